//! Issue 7, hostile inputs: thousands of client connections opened and abandoned in waves
//! (idle, a partial frame, a request whose answer is never read, a reset), with a healthy
//! idempotent producer running alongside that must not notice. Nothing may leak: the proxy's
//! connection gauge and this process's open files return to their baselines and RSS growth
//! stays bounded. The proxy runs in this process; the gauge and `/proc/self` are
//! process-wide, so this binary holds a single test.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use kafka_protocol::messages::ApiVersionsRequest;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::task::JoinSet;

use common::faults::{
    HealthyProducer, PARTIAL_FRAME, active_connections, open_fds, rss_kb,
    wait_for_active_connections, wait_for_at_least,
};
use common::proxy::Proxy;
use common::wire::encode_request;
use common::{Tansu, create_topic, random_topic_name, start_proxy};

const WAVES: usize = 8;
/// Each wave holds this many client connections at once: with the proxy's two sockets per
/// connection (client side, upstream side) that is 1,500 descriptors, well under `ulimit -n`.
const PER_WAVE: usize = 500;
/// Descriptors that may legitimately come and go meanwhile (the producer's reconnects, the
/// admin listener's `/metrics` connections).
const FD_SLACK: usize = 16;
/// Generous: abandoned connections give their buffers back; the allocator may keep some.
const RSS_GROWTH_LIMIT_KB: u64 = 128 * 1024;
/// A leak of even 5 KB per abandoned connection would add 10 MB over the last four waves.
const RSS_WAVE_DRIFT_KB: u64 = 10 * 1024;

/// How a connection is abandoned.
#[derive(Clone, Copy, Debug)]
enum Abandon {
    /// Connect, send nothing, close.
    Idle,
    /// Send part of a frame, close.
    PartialFrame,
    /// Send a complete ApiVersions request, close without reading the answer.
    UnreadAnswer,
    /// Send part of a frame, then close with `SO_LINGER` 0 (a TCP reset instead of a FIN).
    Reset,
}

const KINDS: [Abandon; 4] = [
    Abandon::Idle,
    Abandon::PartialFrame,
    Abandon::UnreadAnswer,
    Abandon::Reset,
];

async fn open(addr: SocketAddr, kind: Abandon) -> TcpStream {
    let mut stream = TcpStream::connect(addr)
        .await
        .expect("connect to the proxy");
    match kind {
        Abandon::Idle => {}
        Abandon::PartialFrame => stream.write_all(&PARTIAL_FRAME).await.expect("write"),
        Abandon::UnreadAnswer => {
            let request = encode_request(&ApiVersionsRequest::default(), 0, 1);
            stream.write_all(&request).await.expect("write");
        }
        Abandon::Reset => {
            stream.set_zero_linger().expect("SO_LINGER 0");
            stream.write_all(&PARTIAL_FRAME).await.expect("write");
        }
    }
    stream
}

/// One wave: `PER_WAVE` connections of every kind, all accepted by the proxy, then dropped.
/// Returns the RSS (kB) and open descriptors while they were held.
async fn wave(proxy: &Proxy, baseline: i64, number: usize) -> (u64, usize) {
    let addr = proxy.bootstrap_addr();
    // All at once: a burst well beyond the standard library's listen backlog of 128.
    let mut opening = JoinSet::new();
    for index in 0..PER_WAVE {
        opening.spawn(open(addr, KINDS[(number + index) % KINDS.len()]));
    }
    let streams = opening.join_all().await;
    let held = i64::try_from(streams.len()).expect("small");
    wait_for_at_least(proxy, baseline + held, Duration::from_secs(30)).await;
    let held = (rss_kb(), open_fds());
    drop(streams);
    held
}

/// Waits until at most `target` descriptors are open; returns how long it took.
async fn wait_for_fds(target: usize, within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let open = open_fds();
        if open <= target {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "{open} descriptors still open after {within:?} (at most {target} expected)"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_abandoned_connections_leak_nothing_and_a_producer_carries_on() {
    let tansu = Tansu::start().await;
    let proxy = start_proxy(&tansu.bootstrap()).await;
    let topic = random_topic_name("abandoned");
    create_topic(&proxy.bootstrap(), &topic, 1).await;
    let healthy = HealthyProducer::start(&proxy, &topic).await;
    // The admin client's connections close on their own; let them go before the baselines.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let baseline = active_connections(&proxy).await;
    let fds_before = open_fds();
    let rss_before = rss_kb();
    let started = Instant::now();

    let mut held = Vec::with_capacity(WAVES);
    for number in 0..WAVES {
        held.push(wave(&proxy, baseline, number).await);
    }
    let rss_held: Vec<u64> = held.iter().map(|(rss, _)| *rss).collect();
    let fds_held: Vec<usize> = held.iter().map(|(_, fds)| *fds).collect();
    let opened = started.elapsed();
    let settled = wait_for_active_connections(&proxy, baseline, Duration::from_secs(10)).await;
    let fds_settled = wait_for_fds(fds_before + FD_SLACK, Duration::from_secs(10)).await;
    let rss_after = rss_kb();
    eprintln!(
        "{} connections abandoned in {WAVES} waves of {PER_WAVE} in {opened:?}; gauge back to \
         {baseline} {settled:?} after the last wave; descriptors {fds_before} -> {} \
         (settled after {fds_settled:?}; {fds_held:?} while each wave was held); RSS \
         {rss_before} kB -> {rss_held:?} kB while each wave was held -> {rss_after} kB (+{} kB)",
        WAVES * PER_WAVE,
        open_fds(),
        rss_after.saturating_sub(rss_before),
    );
    assert!(
        rss_after.saturating_sub(rss_before) < RSS_GROWTH_LIMIT_KB,
        "RSS grew from {rss_before} kB to {rss_after} kB"
    );

    // The allocator's high-water mark settles within a few waves (16 waves measured: flat
    // from the ninth on); later waves reuse what earlier ones freed.
    let (middle, last) = (rss_held[WAVES / 2 - 1], rss_held[WAVES - 1]);
    assert!(
        last.saturating_sub(middle) < RSS_WAVE_DRIFT_KB,
        "RSS kept growing from wave to wave: {rss_held:?} kB"
    );

    let report = healthy.finish().await;
    eprintln!(
        "healthy producer: {} delivered, {} stored, 0 errors",
        report.delivered, report.stored
    );
    proxy.app.shutdown().await.expect("clean shutdown");
    drop(tansu);
}
