//! librdkafka's mock cluster: three brokers on loopback, alive while the helper process runs.
//!
//! The mock auto-creates topics (4 partitions), implements transactions (EndTxn) and
//! FindCoordinator, but not CreateTopics, DescribeCluster or DescribeGroups, and its Fetch
//! always reports zero aborted transactions, returns one batch per Fetch and writes control
//! batches with CRC 0 (see `tests/clients/mock_cluster.py`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};

use super::tools;

/// A running mock cluster.
pub struct MockCluster {
    child: Child,
    // Closing stdin tells the helper to exit; held until drop.
    _stdin: ChildStdin,
    brokers: BTreeMap<i32, SocketAddr>,
}

#[derive(serde::Deserialize)]
struct Announcement {
    brokers: BTreeMap<String, String>,
}

impl MockCluster {
    /// Starts a mock cluster with `brokers` brokers and waits for its broker list.
    pub async fn start(brokers: u32) -> MockCluster {
        let mut child = Command::new(tools::python_binary())
            .arg(tools::client_program("mock_cluster.py"))
            .arg(brokers.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn the mock cluster helper");
        let stdin = child.stdin.take().expect("mock helper stdin");
        let stdout = child.stdout.take().expect("mock helper stdout");
        let mut line = String::new();
        let mut reader = BufReader::new(stdout);
        let read = reader.read_line(&mut line);
        tokio::time::timeout(Duration::from_secs(30), read)
            .await
            .expect("mock cluster did not announce its brokers within 30s")
            .expect("read the mock cluster announcement");
        let announcement: Announcement = serde_json::from_str(line.trim())
            .unwrap_or_else(|error| panic!("bad mock cluster announcement {line:?}: {error}"));
        let brokers = announcement
            .brokers
            .iter()
            .map(|(id, addr)| {
                let id: i32 = id.parse().expect("numeric node id");
                (id, addr.parse().expect("broker socket address"))
            })
            .collect();
        MockCluster {
            child,
            _stdin: stdin,
            brokers,
        }
    }

    /// Node id → address of every mock broker.
    pub fn brokers(&self) -> &BTreeMap<i32, SocketAddr> {
        &self.brokers
    }

    /// All broker addresses, comma separated.
    pub fn bootstrap(&self) -> String {
        let addrs: Vec<String> = self.brokers.values().map(ToString::to_string).collect();
        addrs.join(",")
    }
}

impl Drop for MockCluster {
    fn drop(&mut self) {
        // Best effort: the helper also exits when its stdin closes.
        let _ = self.child.start_kill();
    }
}
