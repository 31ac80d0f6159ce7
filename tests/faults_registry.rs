//! Issue 7, faults: the embedded registry's cluster is down when schemagate starts. The proxy
//! starts anyway, refuses framed records with a retriable error (nothing reaches the topic)
//! and, once the registry's cluster is up and the schema is registered, an idempotent
//! producer's records are all stored exactly once.

mod common;

use std::time::Duration;

use common::clients::{args, python};
use common::faults::spawn_steady_producer;
use common::net::{free_port, wait_for_registry};
use common::proxy::start_proxy_with;
use common::tansu::spawn_broker;
use common::{Tansu, create_topic, random_topic_name};
use serde_json::Value;

const CLIENT: &str = "enforce_produce.py";
const COUNT: usize = 40;
const USER_SCHEMA: &str = r#"{"type":"record","name":"User","namespace":"ssup2.com","fields":[{"name":"id","type":"int"},{"name":"name","type":"string"},{"name":"email","type":"string"}]}"#;
/// The id the embedded registry gives the first schema registered on an empty `_schemas`.
const FIRST_ID: u32 = 1;
const PAYLOAD_POLICY: &str =
    "  rules:\n    - match: {prefix: \"user-events\"}\n      value: {level: payload}\n";

fn zigzag(mut out: Vec<u8>, value: i64) -> Vec<u8> {
    let mut n = ((value << 1) ^ (value >> 63)) as u64;
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
    out
}

fn avro_string(out: Vec<u8>, text: &str) -> Vec<u8> {
    let mut out = zigzag(out, text.len() as i64);
    out.extend_from_slice(text.as_bytes());
    out
}

/// User `i` as a Confluent-framed Avro value under schema id [`FIRST_ID`], hex-encoded.
fn framed_user(i: usize) -> String {
    let mut value = vec![0u8];
    value.extend_from_slice(&FIRST_ID.to_be_bytes());
    let value = zigzag(value, i as i64);
    let value = avro_string(value, &format!("user{i}"));
    let value = avro_string(value, &format!("user{i}@example.com"));
    value.iter().map(|b| format!("{b:02x}")).collect()
}

async fn register(url: &str, subject: &str) -> Value {
    let body = serde_json::json!({ "schema": USER_SCHEMA }).to_string();
    let response = reqwest::Client::new()
        .post(format!("{url}/subjects/{subject}/versions"))
        .header("content-type", "application/vnd.schemaregistry.v1+json")
        .body(body)
        .send()
        .await
        .expect("register the schema");
    assert!(response.status().is_success(), "{response:?}");
    let text = response.text().await.expect("registration body");
    serde_json::from_str(&text).expect("registration JSON")
}

async fn consume(bootstrap: &str, url: &str, topic: &str, idle: &str) -> Vec<Value> {
    let arguments = args([bootstrap, url, topic, "consume", "--idle", idle]);
    let out = python(CLIENT, &arguments, &[], Duration::from_secs(120))
        .await
        .json();
    out["records"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_registry_down_at_start_up_answers_retriable_until_it_is_back() {
    let data = Tansu::start().await;
    let registry_port = free_port();
    let extra = format!(
        "embedded_registry: {{listen: \"127.0.0.1:0\", \
         bootstrap_servers: [\"127.0.0.1:{registry_port}\"]}}\npolicy:\n{PAYLOAD_POLICY}"
    );
    let proxy = start_proxy_with(&data.bootstrap(), &extra).await;
    let url = format!(
        "http://{}",
        proxy.app.registry_addr().expect("embedded registry")
    );
    let topic = random_topic_name("user-events");
    create_topic(&proxy.bootstrap(), &topic, 1).await;

    let dir = tempfile::tempdir().expect("tempdir");
    let values: Vec<String> = (0..COUNT).map(framed_user).collect();
    let file = dir.path().join("values.json");
    std::fs::write(&file, serde_json::to_string(&values).expect("json")).expect("write values");
    let producing = spawn_steady_producer(&proxy.bootstrap(), &url, &topic, &file, "0.1");
    tokio::time::sleep(Duration::from_secs(2)).await;
    // Fail-closed while the registry cannot load: nothing reaches the topic.
    let during = consume(&proxy.bootstrap(), &url, &topic, "2").await;
    assert!(
        during.is_empty(),
        "stored while the registry was down: {during:?}"
    );
    assert!(!producing.is_finished(), "the producer is still retrying");

    let _registry_broker = spawn_broker("memory://tansu/", false, registry_port, dir.path()).await;
    wait_for_registry(&url, Duration::from_secs(60)).await;
    let registered = register(&url, &format!("{topic}-value")).await;
    assert_eq!(registered["id"], FIRST_ID, "{registered}");

    let out = producing.await.expect("producer task").json();
    assert_eq!(out["delivered"], COUNT, "every record delivered: {out}");
    let stored = consume(&proxy.bootstrap(), &url, &topic, "6").await;
    let mut seen: Vec<String> = stored
        .iter()
        .filter_map(|r| r[2].as_str().map(str::to_owned))
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), COUNT, "every value stored: {stored:?}");
    assert_eq!(stored.len(), COUNT, "no value stored twice: {stored:?}");
    let admin = proxy.app.admin_addr().expect("admin listener");
    let metrics = reqwest::get(format!("http://{admin}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics body");
    // The refused batches are counted as unchecked because the registry was unavailable.
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("schemagate_batches_total")
                && l.contains(&topic)
                && l.contains("reason=\"registry_unavailable\"")
                && !l.ends_with(" 0")),
        "the refusals while the registry was down were counted:\n{metrics}"
    );
    proxy.app.shutdown().await.expect("clean shutdown");
}
