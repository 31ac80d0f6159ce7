//! Issue 7, hostile inputs at the connection level, with a healthy idempotent producer running
//! alongside that must not notice: a partial frame then silence (slowloris), a partial frame
//! trickled one byte at a time, and a zero-length frame. The proxy runs in this process; the
//! connection gauge is process-wide, so this binary holds a single test.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use kafka_protocol::messages::MetadataRequest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

use common::faults::{
    HealthyProducer, PARTIAL_FRAME, active_connections, metadata_latency, metric_sum, metrics_text,
    wait_for_active_connections, wait_for_at_least,
};
use common::proxy::{Proxy, start_proxy_with};
use common::wire::encode_request;
use common::{Tansu, create_topic, random_topic_name};

const IDLE: Duration = Duration::from_secs(3);
/// Scheduling slack on a loaded 2-core machine on top of the idle timeout.
const CLOSE_MARGIN: Duration = Duration::from_secs(2);
const SILENT: usize = 50;
const TRICKLING: usize = 5;
/// Connects and sends `bytes`; returns the stream and when the bytes were written.
async fn connect_and_send(addr: SocketAddr, bytes: &[u8]) -> (TcpStream, Instant) {
    let mut stream = TcpStream::connect(addr)
        .await
        .expect("connect to the proxy");
    stream.write_all(bytes).await.expect("write to the proxy");
    (stream, Instant::now())
}

/// Reads until the proxy closes `stream` (EOF or reset); how long after `since` that was.
/// Panics when the proxy sends bytes or keeps the connection open past `within`.
async fn closed_after(mut stream: TcpStream, since: Instant, within: Duration) -> Duration {
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(within, stream.read(&mut buf))
        .await
        .unwrap_or_else(|_| panic!("the proxy kept the connection open for {within:?}"));
    if let Ok(n) = read {
        assert_eq!(n, 0, "the proxy answered a frame that never completed");
    }
    since.elapsed()
}

/// Sends a 1000-byte length prefix, then one byte every 250 ms, never completing the frame;
/// returns how long after the first bytes the proxy closed the connection.
async fn trickle(addr: SocketAddr) -> Duration {
    let (stream, since) = connect_and_send(addr, &1000i32.to_be_bytes()).await;
    let (mut reader, mut writer) = stream.into_split();
    let dripping = tokio::spawn(async move {
        for _ in 0..200 {
            tokio::time::sleep(Duration::from_millis(250)).await;
            if writer.write_all(&[0]).await.is_err() {
                return;
            }
        }
    });
    let mut buf = [0u8; 64];
    let within = IDLE + CLOSE_MARGIN;
    let read = tokio::time::timeout(within, reader.read(&mut buf))
        .await
        .unwrap_or_else(|_| panic!("a trickling connection was kept open for {within:?}"));
    if let Ok(n) = read {
        assert_eq!(n, 0, "the proxy answered a frame that never completed");
    }
    dripping.abort();
    since.elapsed()
}

async fn client_errors(proxy: &Proxy) -> f64 {
    let text = metrics_text(proxy).await;
    metric_sum(&text, "schemagate_connection_errors_total{side=\"client\"}")
}

/// A zero-length frame closes its connection at once (the empty body has no request header),
/// well before the idle timeout, and a request sent after it is never answered.
async fn zero_length_frame_closes_the_connection(proxy: &Proxy) {
    let errors_before = client_errors(proxy).await;
    let mut bytes = 0i32.to_be_bytes().to_vec();
    bytes.extend_from_slice(&encode_request(&MetadataRequest::default(), 1, 7));
    let (stream, since) = connect_and_send(proxy.bootstrap_addr(), &bytes).await;
    let closed = closed_after(stream, since, IDLE / 2).await;
    eprintln!("zero-length frame: connection closed after {closed:?}");
    // The session records its error just after closing the socket.
    let deadline = Instant::now() + Duration::from_secs(2);
    while client_errors(proxy).await <= errors_before {
        assert!(
            Instant::now() < deadline,
            "the zero-length frame was not counted as a client error"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let probe = metadata_latency(proxy).await;
    eprintln!("zero-length frame: a fresh connection was answered in {probe:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_and_zero_length_frames_are_closed_while_a_producer_carries_on() {
    let tansu = Tansu::start().await;
    let proxy = start_proxy_with(&tansu.bootstrap(), "limits: {idle_timeout: 3s}\n").await;
    let addr = proxy.bootstrap_addr();
    let topic = random_topic_name("slowloris");
    create_topic(&proxy.bootstrap(), &topic, 1).await;
    let healthy = HealthyProducer::start(&proxy, &topic).await;
    // Idle client connections (the admin client's, the producer's bootstrap one) close first.
    tokio::time::sleep(IDLE + Duration::from_secs(1)).await;
    let baseline = active_connections(&proxy).await;

    zero_length_frame_closes_the_connection(&proxy).await;

    let mut closes = JoinSet::new();
    for _ in 0..SILENT {
        let (stream, since) = connect_and_send(addr, &PARTIAL_FRAME).await;
        closes.spawn(closed_after(stream, since, IDLE + CLOSE_MARGIN));
    }
    let mut trickles = JoinSet::new();
    for _ in 0..TRICKLING {
        trickles.spawn(trickle(addr));
    }
    let held = i64::try_from(SILENT + TRICKLING).expect("small");
    wait_for_at_least(&proxy, baseline + held, Duration::from_secs(2)).await;
    let probe = metadata_latency(&proxy).await;
    eprintln!("{held} slowloris connections held: a fresh Metadata answered in {probe:?}");
    assert!(
        probe < Duration::from_secs(1),
        "Metadata took {probe:?} during the slowloris"
    );

    let silent = closes.join_all().await;
    let trickled = trickles.join_all().await;
    for (what, latencies) in [("silent", &silent), ("trickling", &trickled)] {
        let min = latencies.iter().min().copied().unwrap_or_default();
        let max = latencies.iter().max().copied().unwrap_or_default();
        eprintln!(
            "{} {what} partial-frame connections closed {min:?}..{max:?} after their first bytes \
             (idle_timeout {IDLE:?})",
            latencies.len()
        );
        // Closed by the idle timer, not by anything earlier.
        assert!(
            min >= IDLE.mul_f64(0.9),
            "a {what} connection closed after {min:?}, before the idle timeout"
        );
    }
    let settled = wait_for_active_connections(&proxy, baseline, Duration::from_secs(5)).await;
    eprintln!("connection gauge back to its baseline of {baseline} after {settled:?}");

    let report = healthy.finish().await;
    eprintln!(
        "healthy producer: {} delivered, {} stored, 0 errors",
        report.delivered, report.stored
    );
    proxy.app.shutdown().await.expect("clean shutdown");
    drop(tansu);
}
