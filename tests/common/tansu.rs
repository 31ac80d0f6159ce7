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
        Tansu::spawn("memory://tansu/", false, free_port(), dir).await
    }

    /// Kills the broker and waits until it is gone (its port refuses connections).
    pub async fn stop(&mut self) {
        self.child.kill().await.expect("kill tansu");
    }

    /// Starts a fresh in-memory broker on the port this one used (after [`Tansu::stop`]).
    pub async fn restart(self) -> Tansu {
        let Tansu {
            mut child,
            addr,
            dir,
        } = self;
        child.kill().await.expect("kill tansu");
        Tansu::spawn("memory://tansu/", false, addr.port(), dir).await
    }

    /// A broker that requires SASL SCRAM-SHA-512 and knows `user` with `password`.
    ///
    /// tansu stores SCRAM credentials only on persistent storage and accepts
    /// AlterUserScramCredentials only while authentication is off, so: start on an SQLite
    /// file without authentication, create the user, stop, restart on the same file with
    /// `--authentication`.
    pub async fn start_with_scram(user: &str, password: &str) -> Tansu {
        let dir = tempfile::tempdir().expect("tempdir for tansu");
        // tansu resolves the SQLite path against its working directory (the temp dir).
        let storage = "sqlite://tansu.db";
        let setup = Tansu::spawn(storage, false, free_port(), dir).await;
        create_scram_user(&setup.bootstrap(), user, password).await;
        let Tansu { mut child, dir, .. } = setup;
        child
            .kill()
            .await
            .expect("stop tansu after creating the user");
        Tansu::spawn(storage, true, free_port(), dir).await
    }

    async fn spawn(
        storage: &str,
        authentication: bool,
        port: u16,
        dir: tempfile::TempDir,
    ) -> Tansu {
        let child = spawn_broker(storage, authentication, port, dir.path()).await;
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        Tansu { child, addr, dir }
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

/// Starts tansu with `storage` on `port` in `dir` (which also resolves `sqlite://` paths and
/// holds `tansu.log`) and returns once it accepts connections. The caller keeps `dir`, so a
/// broker on SQLite storage can be killed and started again on the same data.
pub async fn spawn_broker(storage: &str, authentication: bool, port: u16, dir: &Path) -> Child {
    let url = format!("tcp://127.0.0.1:{port}");
    let log_path = dir.join("tansu.log");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .expect("tansu log file");
    let mut command = Command::new(tools::tansu_binary());
    command
        .args(["broker", "--storage-engine", storage])
        .args(["--listener-url", &url, "--advertised-listener-url", &url])
        .args(["--cluster-id", "schemagate-tests"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true);
    if authentication {
        command.arg("--authentication");
    }
    let mut child = command.spawn().expect("spawn tansu broker");
    if let Ok(Some(status)) = child.try_wait() {
        panic!("tansu exited at once ({status}):\n{}", read_log(&log_path));
    }
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    wait_until_accepting(addr, START_TIMEOUT, "tansu").await;
    child
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
