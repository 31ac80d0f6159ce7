//! Issue 3, acceptance 5: each malformed input arrives on its own connection while a healthy
//! producer keeps producing through the proxy on another; the bad connection ends (closed or
//! answered, never hanging), the healthy producer never fails, and the proxy keeps serving
//! new connections.

mod common;

use std::process::Stdio;
use std::time::Duration;

use bytes::{BufMut, BytesMut};
use kafka_protocol::messages::MetadataRequest;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use common::learned::metadata_brokers;
use common::tools::{client_program, python_binary};
use common::wire::{KafkaConnection, encode_request};
use common::{Tansu, create_topic, random_topic_name, start_proxy};

const VERDICT_TIMEOUT: Duration = Duration::from_secs(10);

/// A request frame with an arbitrary header: api key, version, correlation id, null client id.
fn frame(api_key: i16, version: i16, correlation_id: i32, body: &[u8]) -> Vec<u8> {
    let mut frame = BytesMut::new();
    frame.put_i32(i32::try_from(8 + 2 + body.len()).expect("small frame"));
    frame.put_i16(api_key);
    frame.put_i16(version);
    frame.put_i32(correlation_id);
    frame.put_i16(-1);
    frame.extend_from_slice(body);
    frame.to_vec()
}

/// The bad inputs: (name, bytes, close our write side afterwards).
fn bad_inputs() -> Vec<(&'static str, Vec<u8>, bool)> {
    let mut truncated = 100i32.to_be_bytes().to_vec();
    truncated.extend_from_slice(&[0, 3, 0, 12, 0, 0, 0, 1]);
    let mut oversized = i32::MAX.to_be_bytes().to_vec();
    oversized.extend_from_slice(&[0u8; 64]);
    let mut short_header = 3i32.to_be_bytes().to_vec();
    short_header.extend_from_slice(&[0, 3, 0]);
    vec![
        ("negative length", (-5i32).to_be_bytes().to_vec(), false),
        ("oversized length", oversized, false),
        ("length smaller than a request header", short_header, false),
        ("truncated frame, then close", truncated, true),
        (
            "garbage (an HTTP request)",
            b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            false,
        ),
        (
            "garbage after a valid length",
            [&20i32.to_be_bytes()[..], &[0xAB; 20]].concat(),
            false,
        ),
        ("unknown api key", frame(9_999, 0, 7, &[]), false),
        (
            "unsupported version of an inspected api (Metadata v200)",
            frame(3, 200, 8, &[0, 0, 0, 0]),
            false,
        ),
    ]
}

/// Sends one bad input and waits until the proxy closes the connection or answers it.
async fn send_bad_input(proxy: std::net::SocketAddr, name: &str, bytes: &[u8], close_write: bool) {
    let mut stream = tokio::net::TcpStream::connect(proxy)
        .await
        .expect("connect for bad input");
    stream
        .write_all(bytes)
        .await
        .unwrap_or_else(|e| panic!("{name}: write: {e}"));
    if close_write {
        stream
            .shutdown()
            .await
            .unwrap_or_else(|e| panic!("{name}: shutdown: {e}"));
    }
    let mut buf = [0u8; 4096];
    let read = tokio::time::timeout(
        VERDICT_TIMEOUT,
        tokio::io::AsyncReadExt::read(&mut stream, &mut buf),
    )
    .await;
    // Closed (Ok(0) or reset) or answered (an error response) are both fine; silence is not.
    assert!(
        read.is_ok(),
        "{name}: the proxy neither answered nor closed within {VERDICT_TIMEOUT:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_inputs_close_only_their_own_connection() {
    let tansu = Tansu::start().await;
    let proxy = start_proxy(&tansu.bootstrap()).await;
    let topic = random_topic_name("healthy");
    create_topic(&proxy.bootstrap(), &topic, 1).await;

    let mut producer = tokio::process::Command::new(python_binary())
        .arg(client_program("steady_producer.py"))
        .args([&proxy.bootstrap(), &topic])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("start the healthy producer");
    let mut lines = BufReader::new(producer.stdout.take().expect("stdout")).lines();
    let ready = tokio::time::timeout(Duration::from_secs(60), lines.next_line()).await;
    let ready = ready
        .expect("healthy producer not ready within 60s")
        .expect("read producer");
    assert_eq!(
        ready.as_deref(),
        Some(r#"{"ready": true}"#),
        "healthy producer did not start"
    );

    for (name, bytes, close_write) in bad_inputs() {
        send_bad_input(proxy.bootstrap_addr(), name, &bytes, close_write).await;
        // A fresh, well-formed connection still works after each one.
        let mut probe = KafkaConnection::connect(proxy.bootstrap_addr()).await;
        probe
            .write_raw(&encode_request(&MetadataRequest::default(), 1, 1))
            .await;
        assert!(
            probe.read_frame().await.is_some(),
            "proxy stopped answering after: {name}"
        );
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    drop(producer.stdin.take());
    let result_line = tokio::time::timeout(Duration::from_secs(60), lines.next_line()).await;
    let result_line = result_line
        .expect("healthy producer did not report")
        .expect("read")
        .expect("a result line");
    let status = producer.wait().await.expect("producer exit");
    let result: serde_json::Value =
        serde_json::from_str(&result_line).expect("producer result JSON");
    assert!(status.success(), "healthy producer failed: {result}");
    assert!(result["delivered"].as_i64().unwrap_or(0) > 0, "{result}");
    assert_eq!(result["undelivered"], 0, "{result}");
    assert_eq!(result["failed"], serde_json::json!([]), "{result}");
    assert_eq!(result["errors"], serde_json::json!([]), "{result}");
    assert_eq!(
        metadata_brokers(proxy.bootstrap_addr(), 12).await.len(),
        1,
        "proxy still serves Metadata"
    );
}
