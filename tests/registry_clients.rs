//! Real clients against the embedded registry (and tansu): the seed's confluent_kafka
//! producer/consumer flow, and kafkajs' @kafkajs/confluent-schema-registry.

mod registry_support;

use std::time::Duration;

use registry_support::*;
use serde_json::Value;

const PYTHON: &str = "/root/.cache/schemagate/venv/bin/python";
const NODE_PATH: &str = "/root/.cache/schemagate/node/node_modules";

async fn run(mut cmd: tokio::process::Command) -> (String, String) {
    cmd.kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(120), cmd.output())
        .await
        .expect("client timed out")
        .expect("client did not start");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "client failed: {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    (stdout, stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_producer_consumer_flow_with_confluent_kafka() {
    let tansu = Tansu::start().await;
    let r = start_registry(&tansu.bootstrap, "_schemas").await;
    let mut cmd = tokio::process::Command::new(PYTHON);
    cmd.arg(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/registry_seed_flow.py"
    ))
    .env("SCHEMA_REGISTRY_URL", &r.url)
    .env("KAFKA_BOOTSTRAP_SERVERS", &tansu.bootstrap);
    let (stdout, _) = run(cmd).await;
    let received: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("Received message: "))
        .collect();
    assert_eq!(
        received,
        vec![
            "Received message: {'id': 1, 'name': 'Alice', 'email': 'alice@example.com'}",
            "Received message: {'id': 2, 'name': 'Bob', 'email': 'bob@example.com'}",
            "Received message: {'id': 3, 'name': 'Charlie', 'email': 'charlie@example.com'}",
        ],
        "{stdout}"
    );
    // The serializer auto-registered the same schema under the topic's subject: same id.
    let user = get(&r.url, "/subjects/user/versions/latest").await;
    let events = get(&r.url, "/subjects/user-events-value/versions/latest").await;
    assert_eq!(user.ok()["id"], events.ok()["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafkajs_registers_and_fetches() {
    let tansu = Tansu::start().await;
    let r = start_registry(&tansu.bootstrap, "_schemas").await;
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/registry_kafkajs.js"
    ))
    .env("SCHEMA_REGISTRY_URL", &r.url)
    .env("NODE_PATH", NODE_PATH);
    let (stdout, _) = run(cmd).await;
    let line = stdout.lines().last().unwrap_or_default();
    let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(v["id"], 1);
    assert_eq!(v["again"], 1);
    assert_eq!(v["id2"], 2);
    assert_eq!(v["latest"], 2);
    assert_eq!(v["byVersion"], 1);
    assert_eq!(v["decoded"], serde_json::json!({"id": 7, "name": "Dana"}));
    assert_eq!(v["magic"], 0);
    assert_eq!(v["encodedId"], 1);
    assert_eq!(v["fetchedName"], "ssup2.com.User");
    // kafkajs set the subject's level on first registration.
    let cfg = get(&r.url, "/config/kafkajs-value").await;
    assert_eq!(cfg.ok()["compatibilityLevel"], "BACKWARD");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_admin_calls() {
    let tansu = Tansu::start().await;
    let r = start_registry(&tansu.bootstrap, "_schemas").await;
    let mut cmd = tokio::process::Command::new(PYTHON);
    cmd.arg(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/registry_python_admin.py"
    ))
    .env("SCHEMA_REGISTRY_URL", &r.url)
    .env("KAFKA_BOOTSTRAP_SERVERS", &tansu.bootstrap);
    let (stdout, _) = run(cmd).await;
    let line = stdout.lines().last().unwrap_or_default();
    let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let expected = serde_json::json!({
        "id1": 1, "id2": 2,
        "types": ["AVRO", "JSON", "PROTOBUF"],
        "subjects": ["py"], "versions": [1, 2], "latest_version": 2, "v1_id": 1,
        "lookup_version": 1, "schema_by_id_type": "AVRO", "subjects_by_id": ["py"],
        "compatible_v2": true, "compatible_bad": false, "compatible_all_bad": false,
        "register_bad": [409, 409],
        "global_level": "BACKWARD", "subject_level_missing": [404, 40408],
        "subject_level": "FULL", "global_mode": "READWRITE",
        "delete_version": 1, "versions_after": [2],
        "delete_subject": [2], "delete_permanent": [1, 2], "subjects_after": [],
        "missing_version": [404, 40401],
        "partitions": 1,
    });
    for (key, want) in expected.as_object().unwrap() {
        assert_eq!(&v[key], want, "{key} in {v}");
    }
    let policy = v["cleanup_policy"].as_str().unwrap_or_default();
    assert!(policy == "compact", "cleanup.policy {policy}");
}
