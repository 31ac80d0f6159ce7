//! Issue 7, limits: per-connection buffers are bounded. Clients that pipeline Fetch requests
//! with large answers and never read them are held back by TCP backpressure: the proxy keeps
//! at most a bounded in-flight queue and one frame per direction, so the writers stall, the
//! proxy's memory stays bounded, a healthy client alongside is served, and a stalled client
//! that starts reading gets every answer, in order. The proxy runs in this test process, so
//! its memory is this process's RSS.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::faults::{active_connections, healthy_roundtrip, rss_kb, wait_for_active_connections};
use common::proxy::{Proxy, tansu_behind_proxy};
use common::wire::{
    KafkaConnection, correlation_id_of, encode_request, plain_batch, produce_to_partition_0,
};
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::{FetchRequest, FetchResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// Connections that pipeline without reading.
const STALLED: usize = 8;
/// Of those, how many read their answers back at the end (the others are dropped unread).
const DRAINED: usize = 2;
/// Far more requests than any buffer on the path holds: a writer that gets through all of
/// them was never held back.
const MAX_REQUESTS: usize = 200_000;
/// Records of 1 KiB in the topic, so every Fetch answer is about 128 KiB.
const FILL_RECORDS: usize = 128;
const FETCH_VERSION: i16 = 4;
/// Eight stalled connections, each holding at most one request and one answer frame in the
/// proxy plus a small queue entry per in-flight request: a few MB. The limit is generous.
const RSS_GROWTH_LIMIT_KB: u64 = 96 * 1024;

/// Writes `FILL_RECORDS` records of 1 KiB to partition 0 of `topic` through the proxy.
async fn fill(proxy: &Proxy, topic: &str) {
    let values = vec![Bytes::from(vec![b'x'; 1024]); FILL_RECORDS];
    let request = produce_to_partition_0(topic, 1, plain_batch(&values));
    let mut connection = KafkaConnection::connect(proxy.bootstrap_addr()).await;
    let response = connection.request(&request, 3).await;
    let code = response.responses[0].partition_responses[0].error_code;
    assert_eq!(code, 0, "filling the topic failed: {response:?}");
}

fn fetch_frame(topic: &str, correlation_id: i32) -> Bytes {
    let partition = FetchPartition::default()
        .with_partition(0)
        .with_fetch_offset(0)
        .with_partition_max_bytes(1 << 20);
    let request = FetchRequest::default()
        .with_max_wait_ms(0)
        .with_min_bytes(1)
        .with_max_bytes(1 << 20)
        .with_topics(vec![
            FetchTopic::default()
                .with_topic(TopicName(StrBytes::from_string(topic.to_owned())))
                .with_partitions(vec![partition]),
        ]);
    encode_request(&request, FETCH_VERSION, correlation_id)
}

/// A connection with small socket buffers, so the kernel hides little of the backpressure.
async fn small_buffered(addr: SocketAddr) -> (OwnedReadHalf, OwnedWriteHalf) {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_send_buffer_size(8192).expect("SO_SNDBUF");
    socket.set_recv_buffer_size(8192).expect("SO_RCVBUF");
    socket.connect(addr).await.expect("connect").into_split()
}

/// Pipelines Fetch requests until `MAX_REQUESTS` or `stop`; returns how many it wrote.
async fn pipeline(
    mut writer: OwnedWriteHalf,
    topic: String,
    written: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
) -> (OwnedWriteHalf, usize) {
    let mut sent = 0;
    while sent < MAX_REQUESTS && !stop.load(Ordering::Relaxed) {
        let frame = fetch_frame(&topic, i32::try_from(sent).expect("fits i32"));
        writer.write_all(&frame).await.expect("write to the proxy");
        sent += 1;
        written.fetch_add(1, Ordering::Relaxed);
    }
    (writer, sent)
}

/// Waits until no writer has made progress for two seconds; returns the total written.
async fn wait_for_stall(written: &[Arc<AtomicUsize>]) -> usize {
    let total = || {
        written
            .iter()
            .map(|w| w.load(Ordering::Relaxed))
            .sum::<usize>()
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    let (mut last, mut since) = (total(), Instant::now());
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = total();
        assert!(
            now < STALLED * MAX_REQUESTS,
            "every writer got all {MAX_REQUESTS} requests through without reading: no backpressure"
        );
        if now != last {
            (last, since) = (now, Instant::now());
        } else if last > 0 && since.elapsed() >= Duration::from_secs(2) {
            return last;
        }
        assert!(
            Instant::now() < deadline,
            "writers never stalled ({now} written)"
        );
    }
}

/// The next frame body, or `None` once the connection is closed.
async fn read_frame(reader: &mut OwnedReadHalf) -> Option<Bytes> {
    let mut length = [0u8; 4];
    reader.read_exact(&mut length).await.ok()?;
    let length = usize::try_from(i32::from_be_bytes(length)).ok()?;
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).await.ok()?;
    Some(Bytes::from(body))
}

fn check_fetch(response: &FetchResponse) -> usize {
    let partition = &response.responses[0].partitions[0];
    assert_eq!(partition.error_code, 0, "{partition:?}");
    partition.records.as_ref().map_or(0, Bytes::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_never_read_are_held_back_with_bounded_memory() {
    let (tansu, proxy, topic) = tansu_behind_proxy("backpressure", 1).await;
    fill(&proxy, &topic).await;
    let healthy_topic = common::random_topic_name("backpressure-healthy");
    common::create_topic(&proxy.bootstrap(), &healthy_topic, 1).await;
    let baseline_connections = active_connections(&proxy).await;
    let before = rss_kb();

    let stop = Arc::new(AtomicBool::new(false));
    let (mut readers, mut writers, mut counters) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..STALLED {
        let (reader, writer) = small_buffered(proxy.bootstrap_addr()).await;
        let written = Arc::new(AtomicUsize::new(0));
        readers.push(reader);
        counters.push(Arc::clone(&written));
        writers.push(tokio::spawn(pipeline(
            writer,
            topic.clone(),
            written,
            Arc::clone(&stop),
        )));
    }
    let stalled_at = wait_for_stall(&counters).await;
    let after = rss_kb();
    let growth = after.saturating_sub(before);
    eprintln!(
        "{STALLED} connections pipelining ~128 KiB Fetch answers without reading stalled after \
         {stalled_at} requests ({} per connection on average); RSS {before} kB -> {after} kB \
         (+{growth} kB)",
        stalled_at / STALLED
    );
    assert!(growth < RSS_GROWTH_LIMIT_KB, "RSS grew by {growth} kB");

    // A healthy client alongside does not notice the stalled ones.
    healthy_roundtrip(&proxy, &healthy_topic, 200).await;

    // Stalled clients that start reading get every answer, in order.
    stop.store(true, Ordering::Relaxed);
    for (reader, writer) in readers.drain(..DRAINED).zip(writers.drain(..DRAINED)) {
        drain_while_the_writer_finishes(reader, writer).await;
    }

    // The connections dropped unread are closed and release their places.
    stop.store(true, Ordering::Relaxed);
    drop(readers);
    for writer in writers {
        writer.abort();
    }
    wait_for_active_connections(&proxy, baseline_connections, Duration::from_secs(10)).await;
    proxy.app.shutdown().await.expect("clean shutdown");
    drop(tansu);
}

/// Reads answers while the writer's last blocked write completes, then checks that exactly
/// the requests it sent were answered, in order, each with the records.
async fn drain_while_the_writer_finishes(
    mut reader: OwnedReadHalf,
    writer: tokio::task::JoinHandle<(OwnedWriteHalf, usize)>,
) {
    let (frames_tx, mut frames) = tokio::sync::mpsc::unbounded_channel();
    let reading = tokio::spawn(async move {
        while let Some(frame) = read_frame(&mut reader).await {
            if frames_tx.send(frame).is_err() {
                break;
            }
        }
    });
    let (_writer, sent) = writer.await.expect("writer");
    for expected in 0..sent {
        let frame = tokio::time::timeout(Duration::from_secs(30), frames.recv())
            .await
            .unwrap_or_else(|_| panic!("answer {expected} of {sent} within 30 s"))
            .unwrap_or_else(|| panic!("connection closed after {expected} of {sent} answers"));
        assert_eq!(
            correlation_id_of(&frame),
            expected as i32,
            "answers in order"
        );
        if expected == 0 || expected + 1 == sent {
            let (_, response) = common::wire::decode_response::<FetchRequest>(frame, FETCH_VERSION);
            let records = check_fetch(&response);
            assert!(
                records > 100 * 1024,
                "answer {expected} carries {records} bytes"
            );
        }
    }
    reading.abort();
}
