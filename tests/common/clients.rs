//! Runs the client programs in `tests/clients` (real Kafka clients) and parses their result.
//!
//! Each program prints one JSON object on its last stdout line and exits non-zero with a
//! reason on stderr when it fails; a program that overruns its timeout is killed.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use super::tools;

/// What a client program did.
#[derive(Debug)]
pub struct ClientOutput {
    pub program: String,
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

impl ClientOutput {
    /// The JSON result of a program that must have succeeded.
    pub fn json(&self) -> serde_json::Value {
        assert!(
            self.success,
            "{} failed:\n{}",
            self.program,
            self.describe()
        );
        let last = self
            .stdout
            .lines()
            .rev()
            .find(|line| !line.trim().is_empty());
        let last = last.unwrap_or_else(|| panic!("{} printed no result", self.program));
        serde_json::from_str(last).unwrap_or_else(|error| {
            panic!("{}: result is not JSON ({error}): {last}", self.program)
        })
    }

    /// stdout and the tail of stderr, for assertion messages.
    pub fn describe(&self) -> String {
        let tail: Vec<&str> = self.stderr.lines().rev().take(40).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        format!(
            "--- stdout\n{}\n--- stderr (last 40 lines)\n{}",
            self.stdout,
            tail.join("\n")
        )
    }
}

async fn run(
    program: &Path,
    args: &[String],
    envs: &[(&str, &str)],
    timeout: Duration,
    label: String,
) -> ClientOutput {
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .envs(envs.iter().map(|(k, v)| (OsStr::new(k), OsStr::new(v))))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = command
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start {label}: {error}"));
    let output = tokio::time::timeout(timeout, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{label} did not finish within {timeout:?}"))
        .unwrap_or_else(|error| panic!("waiting for {label}: {error}"));
    ClientOutput {
        program: label,
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `tests/clients/<script>` with the venv Python.
pub async fn python(
    script: &str,
    args: &[String],
    envs: &[(&str, &str)],
    timeout: Duration,
) -> ClientOutput {
    let mut full_args = vec![tools::client_program(script).display().to_string()];
    full_args.extend_from_slice(args);
    let label = format!("python {script} {}", args.join(" "));
    run(&tools::python_binary(), &full_args, envs, timeout, label).await
}

/// Runs `tests/clients/<script>` with node, resolving modules from the cached `node_modules`.
pub async fn node(script: &str, args: &[String], timeout: Duration) -> ClientOutput {
    let node_path = tools::node_dir().join("node_modules").display().to_string();
    let mut full_args = vec![tools::client_program(script).display().to_string()];
    full_args.extend_from_slice(args);
    let label = format!("node {script} {}", args.join(" "));
    run(
        Path::new("node"),
        &full_args,
        &[("NODE_PATH", &node_path)],
        timeout,
        label,
    )
    .await
}

/// `["a", "b"]` as owned arguments.
pub fn args<const N: usize>(items: [&str; N]) -> Vec<String> {
    items.iter().map(|item| (*item).to_owned()).collect()
}

/// Creates `topic` with `partitions` partitions through `bootstrap` (confluent-kafka admin) and
/// waits until every partition has a leader. `extra` are librdkafka `KEY=VALUE` settings.
pub async fn create_topic_with(bootstrap: &str, topic: &str, partitions: u32, extra: &[&str]) {
    let mut arguments = args(["create-topic", bootstrap, topic, &partitions.to_string()]);
    for setting in extra {
        arguments.extend(args(["--extra", setting]));
    }
    let output = python("admin.py", &arguments, &[], Duration::from_secs(60)).await;
    assert_eq!(
        output.json()["partitions"],
        partitions,
        "{}",
        output.describe()
    );
}

/// [`create_topic_with`] without extra settings.
pub async fn create_topic(bootstrap: &str, topic: &str, partitions: u32) {
    create_topic_with(bootstrap, topic, partitions, &[]).await;
}

/// The strings of a JSON array (e.g. a program's `connections`).
pub fn strings(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("expected a JSON array, got {value}"))
        .iter()
        .map(|item| {
            item.as_str()
                .unwrap_or_else(|| panic!("not a string: {item}"))
                .to_owned()
        })
        .collect()
}
