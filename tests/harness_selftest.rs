//! The test harness itself against the real tools, without the proxy: when one of these fails,
//! the environment (tansu, the client venv, the mock cluster) is broken, not schemagate.

mod common;

use std::time::Duration;

use common::clients::args;
use common::net::wait_until_accepting;
use common::{MockCluster, Tansu, python, random_topic_name};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_cluster_brokers_accept_connections_from_other_processes() {
    let mock = MockCluster::start(3).await;
    assert_eq!(mock.brokers().len(), 3, "brokers: {:?}", mock.brokers());
    for addr in mock.brokers().values() {
        wait_until_accepting(*addr, Duration::from_secs(5), "mock broker").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tansu_serves_a_topic_created_by_the_admin_client() {
    let tansu = Tansu::start().await;
    let topic = random_topic_name("selftest");
    let created = python(
        "admin.py",
        &args(["create-topic", &tansu.bootstrap(), &topic, "3"]),
        &[],
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(created.json()["partitions"], 3, "{}", tansu.log());
    let roundtrip = python(
        "roundtrip.py",
        &args([
            &tansu.bootstrap(),
            &topic,
            "--count",
            "100",
            "--partitions",
            "3",
        ]),
        &[],
        Duration::from_secs(120),
    )
    .await
    .json();
    assert_eq!(roundtrip["consumed"], 100, "{roundtrip}");
}
