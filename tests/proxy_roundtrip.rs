//! Issue 3, acceptance 1 (and the "every client works unchanged" claim): real clients whose
//! only bootstrap address is the proxy create a topic, produce, consume in a group and read
//! committed offsets back against a real tansu broker, and never dial the broker itself.

mod common;

use std::time::Duration;

use common::clients::{args, strings};
use common::tansu::TANSU_NODE_ID;
use common::{Proxy, Tansu, node, python, tansu_behind_proxy};
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
    let (tansu, proxy, topic) = tansu_behind_proxy("roundtrip", 3).await;

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
    // Offsets are dense: the next offset the producer was told, the one after the last record
    // consumed and the one the group committed must agree on every partition. (Not ListOffsets:
    // tansu 0.6 answers "latest" with 1.)
    for partition in ["0", "1", "2"] {
        let next = as_i64(&result["produced_next_offsets"][partition]);
        for key in ["consumed_next_offsets", "committed", "admin_committed"] {
            let got = as_i64(&result[key][partition]);
            assert_eq!(got, next, "{key}, partition {partition}: {result}");
        }
    }
    let total: i64 = ["0", "1", "2"]
        .iter()
        .map(|p| as_i64(&result["produced_next_offsets"][*p]))
        .sum();
    assert_eq!(total, 10_000, "next offsets: {result}");
    assert_never_dialled_the_broker(
        &proxy,
        &tansu,
        &strings(&result["connections"]),
        "confluent-kafka",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_python_produces_consumes_and_commits_through_the_proxy_only() {
    let (tansu, proxy, topic) = tansu_behind_proxy("kafka-python", 3).await;

    let arguments = args([&proxy.bootstrap(), &topic, "--count", "500"]);
    let output = python("kafka_python_roundtrip.py", &arguments, &[], TIMEOUT).await;
    let result = output.json();

    assert_eq!(result["consumed"], 500, "{}", output.describe());
    let mut total = 0;
    let next_offsets = result["produced_next_offsets"]
        .as_object()
        .expect("next offsets");
    for (partition, next) in next_offsets {
        assert_eq!(
            &result["committed"][partition], next,
            "partition {partition}: {result}"
        );
        total += as_i64(next);
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
    let (_tansu, proxy, topic) = tansu_behind_proxy("kafkajs", 3).await;

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
