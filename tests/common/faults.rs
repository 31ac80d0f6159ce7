//! Helpers for the fault tests: this process's resources (the proxy runs in the test process,
//! so its RSS and open files are the proxy's plus the test's), the proxy's `/metrics`, and a
//! healthy idempotent producer that runs alongside a fault and must not notice it.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout};

use kafka_protocol::messages::MetadataRequest;

use super::clients::{args, python};
use super::proxy::Proxy;
use super::tools::{client_program, python_binary};
use super::wire::{KafkaConnection, encode_request};

/// A length prefix of 100 and the first 6 of its 10 header bytes (ApiVersions v3, half of the
/// correlation id): a request frame that never completes.
pub const PARTIAL_FRAME: [u8; 10] = [0, 0, 0, 100, 0, 18, 0, 3, 0, 0];

/// This process's resident set size in KB (`VmRSS` in `/proc/self/status`).
pub fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmRSS in /proc/self/status:\n{status}"))
}

/// File descriptors this process has open now (entries of `/proc/self/fd`).
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("read /proc/self/fd")
        .count()
}

/// The proxy's Prometheus text from its admin listener.
pub async fn metrics_text(proxy: &Proxy) -> String {
    let admin = proxy.app.admin_addr().expect("admin listener");
    reqwest::get(format!("http://{admin}/metrics"))
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("metrics body")
}

/// The sum of every series of metric `name` in a Prometheus text (0 when absent).
pub fn metric_sum(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|line| {
            line.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Client connections the proxy holds now (`schemagate_connections_active`, all listeners).
/// The gauge is process-wide, so a test that reads it runs in its own test binary.
pub async fn active_connections(proxy: &Proxy) -> i64 {
    let text = metrics_text(proxy).await;
    metric_sum(&text, "schemagate_connections_active") as i64
}

/// Waits until the proxy holds at most `target` client connections; returns how long it took.
pub async fn wait_for_active_connections(proxy: &Proxy, target: i64, within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let active = active_connections(proxy).await;
        if active <= target {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "the proxy still holds {active} connections after {within:?} (baseline {target})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the proxy holds at least `target` client connections.
pub async fn wait_for_at_least(proxy: &Proxy, target: i64, within: Duration) {
    let started = Instant::now();
    loop {
        let active = active_connections(proxy).await;
        if active >= target {
            return;
        }
        if started.elapsed() >= within {
            let text = metrics_text(proxy).await;
            panic!("the proxy holds {active} connections, not {target}, after {within:?}\n{text}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// How long a fresh connection to `proxy` waits for a Metadata answer.
pub async fn metadata_latency(proxy: &Proxy) -> Duration {
    let started = Instant::now();
    let mut probe = KafkaConnection::connect(proxy.bootstrap_addr()).await;
    probe
        .write_raw(&encode_request(&MetadataRequest::default(), 1, 1))
        .await;
    assert!(probe.read_frame().await.is_some(), "Metadata not answered");
    started.elapsed()
}

/// What the healthy producer did, after its records were read back from the topic.
#[derive(Debug)]
pub struct HealthyReport {
    pub delivered: u64,
    pub stored: usize,
}

/// `tests/clients/steady_producer.py`: an idempotent confluent-kafka producer that keeps
/// producing through the proxy until [`HealthyProducer::finish`].
pub struct HealthyProducer {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    bootstrap: String,
    topic: String,
}

impl HealthyProducer {
    /// Starts the producer on `topic` and waits until its first record is delivered.
    pub async fn start(proxy: &Proxy, topic: &str) -> HealthyProducer {
        let mut child = tokio::process::Command::new(python_binary())
            .arg(client_program("steady_producer.py"))
            .args([&proxy.bootstrap(), topic])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start the healthy producer");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let ready = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .expect("healthy producer not ready within 60s")
            .expect("read the healthy producer");
        assert_eq!(
            ready.as_deref(),
            Some(r#"{"ready": true}"#),
            "healthy producer did not start"
        );
        HealthyProducer {
            child,
            lines,
            bootstrap: proxy.bootstrap(),
            topic: topic.to_owned(),
        }
    }

    /// Stops the producer, asserts it saw no error at all, then consumes the topic through
    /// the proxy and asserts every delivered record is stored exactly once.
    pub async fn finish(mut self) -> HealthyReport {
        drop(self.child.stdin.take());
        let line = tokio::time::timeout(Duration::from_secs(60), self.lines.next_line())
            .await
            .expect("healthy producer did not report")
            .expect("read the healthy producer")
            .expect("a result line");
        let status = self.child.wait().await.expect("healthy producer exit");
        let result: Value = serde_json::from_str(&line).expect("healthy producer result JSON");
        assert!(status.success(), "healthy producer failed: {result}");
        assert_eq!(result["undelivered"], 0, "{result}");
        assert_eq!(result["failed"], serde_json::json!([]), "{result}");
        assert_eq!(result["errors"], serde_json::json!([]), "{result}");
        let delivered = result["delivered"].as_u64().unwrap_or(0);
        assert!(delivered > 0, "{result}");
        assert_eq!(result["produced"].as_u64(), Some(delivered), "{result}");

        let values = stored_values(&self.bootstrap, &self.topic).await;
        let mut distinct = values.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(
            distinct.len(),
            values.len(),
            "the healthy producer's records were duplicated"
        );
        assert_eq!(
            values.len() as u64,
            delivered,
            "stored records differ from delivered ones: {result}"
        );
        HealthyReport {
            delivered,
            stored: values.len(),
        }
    }
}

/// Every value of `topic` (hex), read from the beginning through `bootstrap`.
pub async fn stored_values(bootstrap: &str, topic: &str) -> Vec<String> {
    // The registry URL is required by the program's command line but unused by `consume`.
    let arguments = args([
        bootstrap,
        "http://127.0.0.1:9",
        topic,
        "consume",
        "--idle",
        "4",
    ]);
    let output = python(
        "enforce_produce.py",
        &arguments,
        &[],
        Duration::from_secs(180),
    )
    .await;
    let result = output.json();
    result["records"]
        .as_array()
        .unwrap_or_else(|| panic!("no records array: {result}"))
        .iter()
        .map(|record| record[2].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Produces and consumes back `count` records through `proxy` with confluent-kafka.
pub async fn healthy_roundtrip(proxy: &Proxy, topic: &str, count: u32) {
    let arguments = args([
        &proxy.bootstrap(),
        topic,
        "--count",
        &count.to_string(),
        "--idempotence",
    ]);
    let output = python("roundtrip.py", &arguments, &[], Duration::from_secs(120)).await;
    let result = output.json();
    assert_eq!(result["consumed"], count, "{}", output.describe());
    assert_eq!(result["duplicates"], 0, "{result}");
}

/// Starts `enforce_produce.py steady` (idempotent, one value of the JSON `values_file` every
/// `interval` seconds) in the background; the task ends with the producer's report.
pub fn spawn_steady_producer(
    bootstrap: &str,
    registry: &str,
    topic: &str,
    values_file: &std::path::Path,
    interval: &str,
) -> tokio::task::JoinHandle<super::ClientOutput> {
    let mut arguments = args([bootstrap, registry, topic, "steady"]);
    let file = values_file.display().to_string();
    arguments.extend(args(["--values-file", &file, "--interval", interval]));
    tokio::spawn(async move {
        python(
            "enforce_produce.py",
            &arguments,
            &[],
            Duration::from_secs(200),
        )
        .await
    })
}
