//! Issue 3, acceptance 3: every broker address a client can learn — Metadata, FindCoordinator
//! (v0–3 host/port and v4+ coordinators) and DescribeCluster — is a proxy address, and
//! produce/consume work across every partition leader of a multi-broker cluster.
//!
//! librdkafka's mock cluster gives three brokers but implements neither DescribeCluster nor
//! FindCoordinator v4, so those two are checked against tansu.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::clients::{args, strings};
use common::learned::{describe_cluster_brokers, find_coordinator, metadata, metadata_brokers};
use common::tansu::TANSU_NODE_ID;
use common::{MockCluster, Tansu, python, random_topic_name, start_proxy};

const MOCK_NODES: [i32; 3] = [1, 2, 3];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_cluster_metadata_and_coordinators_name_only_proxy_addresses() {
    let mock = MockCluster::start(3).await;
    let proxy = start_proxy(&mock.bootstrap()).await;
    let bootstrap = proxy.bootstrap_addr();

    for version in [1, 4, 9, 12] {
        let brokers = metadata_brokers(bootstrap, version).await;
        let ids: BTreeSet<i32> = brokers.iter().map(|b| b.node_id).collect();
        assert_eq!(ids, MOCK_NODES.into(), "Metadata v{version}: {brokers:?}");
        proxy.assert_rewritten(&brokers, &format!("Metadata v{version}"));
    }
    // The same answer on a broker port as on the bootstrap port.
    let via_broker_port = metadata_brokers(proxy.broker_addr(2), 12).await;
    proxy.assert_rewritten(&via_broker_port, "Metadata v12 on broker 2's port");

    for version in [0, 1, 3] {
        let group = find_coordinator(bootstrap, version, 0, "a-group").await;
        proxy.assert_rewritten(&group, &format!("FindCoordinator v{version} (group)"));
    }
    for version in [1, 3] {
        let txn = find_coordinator(bootstrap, version, 1, "a-transactional-id").await;
        proxy.assert_rewritten(&txn, &format!("FindCoordinator v{version} (transaction)"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tansu_describe_cluster_and_find_coordinator_v4_name_only_proxy_addresses() {
    let tansu = Tansu::start().await;
    let proxy = start_proxy(&tansu.bootstrap()).await;
    let bootstrap = proxy.bootstrap_addr();

    for version in [0, 1] {
        let brokers = describe_cluster_brokers(bootstrap, version).await;
        proxy.assert_rewritten(&brokers, &format!("DescribeCluster v{version}"));
    }
    for version in [3, 4] {
        let group = find_coordinator(bootstrap, version, 0, "a-group").await;
        proxy.assert_rewritten(&group, &format!("FindCoordinator v{version} (group)"));
    }

    // And as a real admin client sees it (DescribeCluster, Metadata, DescribeGroups' coordinator).
    let group = random_topic_name("group");
    let output = python(
        "admin.py",
        &args(["addresses", &proxy.bootstrap(), "--group", &group]),
        &[],
        Duration::from_secs(60),
    )
    .await;
    let result = output.json();
    let mut seen: Vec<String> = Vec::new();
    for key in ["metadata_brokers", "describe_cluster_nodes"] {
        let brokers = result[key]
            .as_object()
            .unwrap_or_else(|| panic!("{key}: {result}"));
        assert!(!brokers.is_empty(), "{key}: {result}");
        seen.extend(
            brokers
                .values()
                .map(|v| v.as_str().expect("address").to_owned()),
        );
    }
    seen.push(
        result["group_coordinator"]
            .as_str()
            .expect("coordinator")
            .to_owned(),
    );
    seen.extend(strings(&result["connections"]));
    proxy.assert_only_proxy_addresses(
        &[TANSU_NODE_ID],
        seen.iter().map(String::as_str),
        "AdminClient",
    );
    assert!(!seen.contains(&tansu.bootstrap()), "{result}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_and_consume_reach_every_partition_leader_of_the_mock_cluster() {
    let mock = MockCluster::start(3).await;
    let proxy = start_proxy(&mock.bootstrap()).await;
    let topic = random_topic_name("leaders");
    // The mock auto-creates the topic (4 partitions) on its first Metadata request.
    let response = metadata(proxy.bootstrap_addr(), 12, Some(&[topic.as_str()])).await;
    let partitions = &response.topics.first().expect("the topic").partitions;
    let leaders: BTreeSet<i32> = partitions.iter().map(|p| p.leader_id.0).collect();
    assert!(
        leaders.len() > 1,
        "leaders should span brokers to exercise routing: {leaders:?}"
    );

    let arguments = args([
        &proxy.bootstrap(),
        &topic,
        "--count",
        "2000",
        "--partitions",
        &partitions.len().to_string(),
    ]);
    let output = python("roundtrip.py", &arguments, &[], Duration::from_secs(180)).await;
    let result = output.json();

    assert_eq!(result["consumed"], 2000, "{}", output.describe());
    let produced = result["produced_per_partition"]
        .as_object()
        .expect("per partition");
    assert_eq!(
        produced.len(),
        partitions.len(),
        "every partition gets records: {result}"
    );
    let connections = strings(&result["connections"]);
    proxy.assert_only_proxy_addresses(
        &MOCK_NODES,
        connections.iter().map(String::as_str),
        "confluent-kafka",
    );
    for leader in leaders {
        let port = proxy.broker_addr(leader).to_string();
        assert!(
            connections.contains(&port),
            "no connection to leader {leader}'s proxy port {port}: {connections:?}"
        );
    }
    for real in mock.brokers().values() {
        assert!(
            !connections.contains(&real.to_string()),
            "dialled mock broker {real}"
        );
    }
}
