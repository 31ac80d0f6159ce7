//! Issue 3, acceptance 1 (and the "every client works unchanged" claim): real clients whose
//! only bootstrap address is the proxy create a topic, produce, consume in a group and read
//! committed offsets back against a real tansu broker, and never dial the broker itself.

mod common;

use std::time::Duration;

use common::clients::{args, strings};
use common::tansu::TANSU_NODE_ID;
use common::{Proxy, Tansu, create_topic, node, python, random_topic_name, start_proxy};
use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(240);

fn assert_never_dialled_the_broker(
    proxy: &Proxy,
    tansu: &Tansu,
    connections: &[String],
    client: &str,
) {
    assert!(!connections.is_empty(), "{client}: no connections recorded");
    assert!(
        !connections.contains(&tansu.bootstrap()),
        "{client} connected to the broker's own address {}: {connections:?}",
        tansu.bootstrap()
    );
    proxy.assert_only_proxy_addresses(
        &[TANSU_NODE_ID],
        connections.iter().map(String::as_str),
        client,
    );
}

fn as_i64(value: &Value) -> i64 {
    value
        .as_i64()
        .unwrap_or_else(|| panic!("expected an integer, got {value}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_idempotent_zstd_records_round_trip_through_the_proxy_only() {
    let tansu = Tansu::start().await;
    let proxy = start_proxy(&tansu.bootstrap()).await;
    let topic = random_topic_name("roundtrip");
    create_topic(&proxy.bootstrap(), &topic, 3).await;

    let arguments = args([
        &proxy.bootstrap(),
        &topic,
        "--count",
        "10000",
        "--partitions",
        "3",
    ]);
    let options = args(["--compression", "zstd", "--idempotence"]);
    let output = python("roundtrip.py", &[arguments, options].concat(), &[], TIMEOUT).await;
    let result = output.json();

    assert_eq!(result["consumed"], 10_000, "{}", output.describe());
    assert_eq!(result["duplicates"], 0, "{result}");
    let produced = result["produced_per_partition"]
        .as_object()
        .expect("per partition");
    assert_eq!(
        produced.len(),
        3,
        "records must land on all 3 partitions: {result}"
    );
    assert_eq!(
        produced.values().map(as_i64).sum::<i64>(),
        10_000,
        "{result}"
    );
    for partition in ["0", "1", "2"] {
        let end = as_i64(&result["end_offsets"][partition]);
        assert_eq!(
            as_i64(&result["committed"][partition]),
            end,
            "Consumer.committed, partition {partition}: {result}"
        );
        assert_eq!(
            as_i64(&result["admin_committed"][partition]),
            end,
            "OffsetFetch via admin, partition {partition}: {result}"
        );
    }
    let total_end: i64 = ["0", "1", "2"]
        .iter()
        .map(|p| as_i64(&result["end_offsets"][*p]))
        .sum();
    assert_eq!(total_end, 10_000, "end offsets: {result}");
    assert_never_dialled_the_broker(
        &proxy,
        &tansu,
        &strings(&result["connections"]),
        "confluent-kafka",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_python_produces_consumes_and_commits_through_the_proxy_only() {
    let tansu = Tansu::start().await;
    let proxy = start_proxy(&tansu.bootstrap()).await;
    let topic = random_topic_name("kafka-python");
    create_topic(&proxy.bootstrap(), &topic, 3).await;

    let arguments = args([&proxy.bootstrap(), &topic, "--count", "500"]);
    let output = python("kafka_python_roundtrip.py", &arguments, &[], TIMEOUT).await;
    let result = output.json();

    assert_eq!(result["consumed"], 500, "{}", output.describe());
    let mut total = 0;
    for (partition, end) in result["end_offsets"].as_object().expect("end offsets") {
        assert_eq!(
            &result["committed"][partition], end,
            "partition {partition}: {result}"
        );
        total += as_i64(end);
    }
    assert_eq!(total, 500, "{result}");
    let learned: Vec<String> = result["learned_brokers"]
        .as_object()
        .expect("learned brokers")
        .values()
        .map(|v| v.as_str().expect("address").to_owned())
        .collect();
    assert_eq!(
        learned,
        vec![proxy.broker_addr(TANSU_NODE_ID).to_string()],
        "Metadata brokers: {result}"
    );
    assert_never_dialled_the_broker(
        &proxy,
        &tansu,
        &strings(&result["connections"]),
        "kafka-python",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafkajs_produces_and_consumes_through_the_proxy_only() {
    let tansu = Tansu::start().await;
    let proxy = start_proxy(&tansu.bootstrap()).await;
    let topic = random_topic_name("kafkajs");
    create_topic(&proxy.bootstrap(), &topic, 3).await;

    let output = node(
        "kafkajs_roundtrip.js",
        &args([&proxy.bootstrap(), &topic, "200"]),
        TIMEOUT,
    )
    .await;
    let result = output.json();

    assert_eq!(result["consumed"], 200, "{}", output.describe());
    let brokers = result["describe_cluster_brokers"]
        .as_object()
        .expect("brokers");
    let expected = proxy.broker_addr(TANSU_NODE_ID).to_string();
    assert_eq!(
        brokers
            .get(&TANSU_NODE_ID.to_string())
            .and_then(Value::as_str),
        Some(expected.as_str()),
        "{result}"
    );
}
