//! Issue 7, limits: many idle client connections are held with bounded memory, and the
//! connection limit refuses new connections cleanly while the existing ones keep working.
//! The proxy runs in this test process, so its memory is this process's RSS.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::faults::{healthy_roundtrip, rss_kb};
use common::proxy::{start_proxy_with, tansu_behind_proxy};
use common::wire::KafkaConnection;
use common::{Tansu, create_topic, random_topic_name};
use kafka_protocol::messages::ApiVersionsRequest;

const IDLE_CONNECTIONS: usize = 1_000;
/// Generous: the proxy's per-connection state is a few buffers, well under 200 KB each.
const RSS_GROWTH_LIMIT_KB: u64 = 200 * 1024;

/// A connection that has completed one ApiVersions exchange with the proxy.
async fn answered_connection(addr: SocketAddr) -> KafkaConnection {
    let mut connection = KafkaConnection::connect(addr).await;
    let response = connection.request(&ApiVersionsRequest::default(), 0).await;
    assert_eq!(response.error_code, 0, "ApiVersions answered with an error");
    connection
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_idle_connections_are_held_with_bounded_memory() {
    let (_tansu, proxy, topic) = tansu_behind_proxy("idle-connections", 1).await;
    // Warm up the proxy's upstream connection and allocator before the baseline.
    drop(answered_connection(proxy.bootstrap_addr()).await);
    let before = rss_kb();
    let started = Instant::now();

    let mut held = Vec::with_capacity(IDLE_CONNECTIONS);
    for _ in 0..IDLE_CONNECTIONS {
        held.push(answered_connection(proxy.bootstrap_addr()).await);
    }
    // Idle for a moment, so buffers that would only grow over time have had the chance.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_kb();
    let growth = after.saturating_sub(before);
    eprintln!(
        "{IDLE_CONNECTIONS} idle connections: RSS {before} kB -> {after} kB (+{growth} kB, \
         {} kB per connection, client and proxy ends together), opened in {:?}",
        growth / IDLE_CONNECTIONS as u64,
        started.elapsed()
    );
    assert!(
        growth < RSS_GROWTH_LIMIT_KB,
        "RSS grew by {growth} kB for {IDLE_CONNECTIONS} idle connections"
    );

    healthy_roundtrip(&proxy, &topic, 200).await;
    // Every held connection is still served.
    for connection in held.iter_mut().step_by(97) {
        let response = connection.request(&ApiVersionsRequest::default(), 0).await;
        assert_eq!(response.error_code, 0);
    }
    drop(held);
    proxy.app.shutdown().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_limit_refuses_new_connections_and_keeps_existing_ones() {
    let tansu = Tansu::start().await;
    // The admin client creates the topic before the limit is in force: a second proxy
    // without the limit in front of the same broker.
    let topic = random_topic_name("limited");
    {
        let setup = start_proxy_with(&tansu.bootstrap(), "").await;
        create_topic(&setup.bootstrap(), &topic, 1).await;
        setup.app.shutdown().await.expect("clean shutdown");
    }
    let proxy = start_proxy_with(&tansu.bootstrap(), "limits: {max_connections: 5}\n").await;
    let addr = proxy.bootstrap_addr();

    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(answered_connection(addr).await);
    }
    // The sixth is accepted by the kernel and closed by the proxy without an answer.
    let mut sixth = KafkaConnection::connect(addr).await;
    let started = Instant::now();
    sixth
        .write_raw(&common::wire::encode_request(
            &ApiVersionsRequest::default(),
            0,
            1,
        ))
        .await;
    assert!(
        sixth.read_frame().await.is_none(),
        "the sixth connection was answered"
    );
    let closed_after = started.elapsed();
    assert!(
        closed_after < Duration::from_secs(2),
        "the sixth connection was closed only after {closed_after:?}"
    );
    let admin = proxy.app.admin_addr().expect("admin listener");
    let metrics = reqwest::get(format!("http://{admin}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics body");
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("schemagate_connections_refused_total") && !l.ends_with(" 0")),
        "the refused connection was counted:\n{metrics}"
    );
    // Those within the limit are unaffected, and keep being served.
    for round in 0..3 {
        for (index, connection) in held.iter_mut().enumerate() {
            let response = connection.request(&ApiVersionsRequest::default(), 0).await;
            assert_eq!(response.error_code, 0, "connection {index}, round {round}");
        }
    }
    // A closed connection gives its place back.
    drop(held.pop());
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut probe = KafkaConnection::connect(addr).await;
        probe
            .write_raw(&common::wire::encode_request(
                &ApiVersionsRequest::default(),
                0,
                1,
            ))
            .await;
        if probe.read_frame().await.is_some() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "a place freed by a closed connection was never given back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(held);
    tokio::time::sleep(Duration::from_millis(300)).await;
    // With the held ones gone, a real client (bootstrap + broker connections) works.
    healthy_roundtrip(&proxy, &topic, 50).await;
    proxy.app.shutdown().await.expect("clean shutdown");
}
