//! Issue 3, acceptance 6: on shutdown (in process, and SIGTERM to the binary) with requests in
//! flight, every request the proxy accepted gets its response before the connection closes
//! and the proxy exits.
//!
//! The pipeline holds a Fetch that long-polls an empty partition for 2 s, so the requests
//! queued behind it are certainly still in flight when the shutdown starts.

mod common;

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};

use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::{ApiVersionsRequest, FetchRequest, MetadataRequest};
use kafka_protocol::protocol::StrBytes;

use common::net::{free_port, refuses_connections, wait_until_accepting};
use common::wire::{KafkaConnection, correlation_id_of};
use common::{Tansu, create_topic, random_topic_name, start_proxy};

const LONG_POLL_MS: i32 = 2_000;

fn long_poll(topic: &str) -> FetchRequest {
    FetchRequest::default()
        .with_max_wait_ms(LONG_POLL_MS)
        .with_min_bytes(1)
        .with_max_bytes(1 << 20)
        .with_topics(vec![
            FetchTopic::default()
                .with_topic(StrBytes::from_string(topic.to_owned()).into())
                .with_partitions(vec![
                    FetchPartition::default()
                        .with_partition(0)
                        .with_fetch_offset(0)
                        .with_partition_max_bytes(1 << 20),
                ]),
        ])
}

/// Sends ApiVersions, Metadata, a long-polling Fetch and more Metadata back to back; returns
/// the correlation ids in order.
async fn send_pipeline(connection: &mut KafkaConnection, topic: &str) -> Vec<i32> {
    let mut sent = vec![connection.send(&ApiVersionsRequest::default(), 0).await];
    sent.push(connection.send(&MetadataRequest::default(), 1).await);
    sent.push(connection.send(&long_poll(topic), 12).await);
    for _ in 0..4 {
        sent.push(connection.send(&MetadataRequest::default(), 1).await);
    }
    sent
}

/// Reads responses until the connection closes; asserts every sent request was answered in order.
async fn assert_all_answered(connection: &mut KafkaConnection, sent: &[i32], started: Instant) {
    let mut received = Vec::new();
    while let Some(frame) = connection.read_frame().await {
        received.push(correlation_id_of(&frame));
    }
    assert_eq!(received, sent, "responses before close (correlation ids)");
    assert!(
        started.elapsed()
            >= Duration::from_millis(u64::try_from(LONG_POLL_MS).expect("positive") / 2),
        "the long poll should have been in flight during shutdown"
    );
}

async fn topic_on(bootstrap: &str) -> String {
    let topic = random_topic_name("drain");
    create_topic(bootstrap, &topic, 1).await;
    topic
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_answers_every_request_in_flight() {
    let tansu = Tansu::start().await;
    let proxy = start_proxy(&tansu.bootstrap()).await;
    let topic = topic_on(&proxy.bootstrap()).await;
    let bootstrap = proxy.bootstrap_addr();

    let mut connection = KafkaConnection::connect(bootstrap).await;
    let started = Instant::now();
    let sent = send_pipeline(&mut connection, &topic).await;
    // Let the proxy read the pipeline off the socket before stopping it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let app = proxy.app;
    app.shutdown_trigger().trigger();

    assert_all_answered(&mut connection, &sent, started).await;
    tokio::time::timeout(Duration::from_secs(30), app.wait())
        .await
        .expect("proxy did not exit within 30s of shutdown")
        .expect("clean drain");
    assert!(
        refuses_connections(bootstrap),
        "the bootstrap listener still accepts after shutdown"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_to_the_binary_answers_every_request_in_flight() {
    let tansu = Tansu::start().await;
    let listen: SocketAddr = ([127, 0, 0, 1], free_port()).into();
    let mut binary = tokio::process::Command::new(env!("CARGO_BIN_EXE_schemagate"))
        .args([
            "serve",
            "--bootstrap-servers",
            &tansu.bootstrap(),
            "--listen",
            &listen.to_string(),
        ])
        .args(["--advertised-host", "127.0.0.1", "--broker-port-base", "0"])
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn the schemagate binary");
    wait_until_accepting(listen, Duration::from_secs(30), "schemagate binary").await;
    let topic = topic_on(&listen.to_string()).await;

    let mut connection = KafkaConnection::connect(listen).await;
    let started = Instant::now();
    let sent = send_pipeline(&mut connection, &topic).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = binary.id().expect("binary pid").to_string();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status();
    assert!(kill.expect("run kill").success(), "kill -TERM {pid}");

    assert_all_answered(&mut connection, &sent, started).await;
    let status = tokio::time::timeout(Duration::from_secs(30), binary.wait())
        .await
        .expect("binary did not exit within 30s of SIGTERM")
        .expect("wait for the binary");
    assert!(
        status.success(),
        "schemagate exited with {status} after SIGTERM"
    );
}
