//! A real tansu 0.6 broker on a free loopback port, killed when dropped.
//!
//! tansu is one node (id 111) that neither auto-creates topics nor implements EndTxn; tests
//! create their topics with the admin client first and run transactions on the mock cluster.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use super::net::{free_port, wait_until_accepting};
use super::tools;

/// tansu's fixed node id.
pub const TANSU_NODE_ID: i32 = 111;
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A running tansu broker.
pub struct Tansu {
    child: Child,
    addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl Tansu {
    /// A broker with in-memory storage and no authentication.
    pub async fn start() -> Tansu {
        let dir = tempfile::tempdir().expect("tempdir for tansu");
        Tansu::spawn("memory://tansu/", false, dir).await
    }

    /// A broker that requires SASL SCRAM-SHA-512 and knows `user` with `password`.
    ///
    /// tansu stores SCRAM credentials only on persistent storage and accepts
    /// AlterUserScramCredentials only while authentication is off, so: start on an SQLite
    /// file without authentication, create the user, stop, restart on the same file with
    /// `--authentication`.
    pub async fn start_with_scram(user: &str, password: &str) -> Tansu {
        let dir = tempfile::tempdir().expect("tempdir for tansu");
        let storage = format!("sqlite://{}", dir.path().join("tansu.db").display());
        let setup = Tansu::spawn(&storage, false, dir).await;
        create_scram_user(&setup.bootstrap(), user, password).await;
        let Tansu { mut child, dir, .. } = setup;
        child
            .kill()
            .await
            .expect("stop tansu after creating the user");
        Tansu::spawn(&storage, true, dir).await
    }

    async fn spawn(storage: &str, authentication: bool, dir: tempfile::TempDir) -> Tansu {
        let port = free_port();
        let url = format!("tcp://127.0.0.1:{port}");
        let log = std::fs::File::create(dir.path().join("tansu.log")).expect("tansu log file");
        let mut command = Command::new(tools::tansu_binary());
        command
            .args([
                "broker",
                "--storage-engine",
                storage,
                "--listener-url",
                &url,
            ])
            .args(["--advertised-listener-url", &url])
            .args(["--cluster-id", "schemagate-tests"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true);
        if authentication {
            command.arg("--authentication");
        }
        let child = command.spawn().expect("spawn tansu broker");
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let mut tansu = Tansu { child, addr, dir };
        if let Ok(Some(status)) = tansu.child.try_wait() {
            panic!("tansu exited at once ({status}):\n{}", tansu.log());
        }
        wait_until_accepting(addr, START_TIMEOUT, "tansu").await;
        tansu
    }

    /// `127.0.0.1:PORT`, the address the broker listens on and advertises.
    pub fn bootstrap(&self) -> String {
        self.addr.to_string()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The broker's own log so far (for failure messages).
    pub fn log(&self) -> String {
        read_log(&self.dir.path().join("tansu.log"))
    }
}

fn read_log(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| format!("(no log: {error})"))
}

async fn create_scram_user(bootstrap: &str, user: &str, password: &str) {
    let broker = format!("tcp://{bootstrap}");
    let output = Command::new(tools::tansu_binary())
        .args(["user", "create", "--broker", &broker, user, password])
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(START_TIMEOUT, output)
        .await
        .expect("tansu user create did not finish")
        .expect("run tansu user create");
    assert!(
        output.status.success(),
        "tansu user create failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
