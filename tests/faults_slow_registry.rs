//! Issue 7, faults: a slow registry. schemagate reaches a real registry (the embedded one,
//! served over HTTP in this process) through a relay that delays every request. While the
//! delay exceeds `registry.timeout_ms`, a Produce is answered with the retriable
//! NOT_ENOUGH_REPLICAS within a bounded time, nothing reaches the topic and the proxy keeps
//! answering other requests; once the registry is fast again, records pass at once and an
//! idempotent producer's records are each stored exactly once. A registry that is slow but
//! answers within the timeout delays only the first lookup of each schema id: every record
//! passes, and later Produce requests are served from the cache without waiting.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use kafka_protocol::messages::{ProduceRequest, ProduceResponse};
use schemagate::schema_registry::{EmbeddedRegistry, EmbeddedRegistryConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use common::clients::{args, python};
use common::faults::{
    metadata_latency, metric_sum, metrics_text, spawn_steady_producer, stored_values,
};
use common::proxy::{Proxy, start_proxy_with};
use common::wire::{KafkaConnection, plain_batch, produce_to_partition_0};
use common::{Tansu, create_topic, random_topic_name};

const CLIENT: &str = "enforce_produce.py";
const TIMEOUT: Duration = Duration::from_millis(1_000);
/// Far beyond [`TIMEOUT`]: every registry call times out while it is in force.
const STALL: Duration = Duration::from_secs(5);
/// Well within [`TIMEOUT`]: every registry call succeeds, late.
const SLOW: Duration = Duration::from_millis(400);
/// `registry.cache.negative_ttl_ms` (the documented default).
const NEGATIVE_TTL: Duration = Duration::from_millis(1_000);
const COUNT: usize = 40;
const CONCURRENT: usize = 8;
const NOT_ENOUGH_REPLICAS: i16 = 19;
const PRODUCE_VERSION: i16 = 8;

/// A TCP relay in front of `target` that holds every chunk a client sends for the current
/// delay before passing it on (answers flow back undelayed).
struct SlowRelay {
    addr: SocketAddr,
    delay_ms: Arc<AtomicU64>,
}

impl SlowRelay {
    async fn start(target: SocketAddr) -> SlowRelay {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind relay");
        let addr = listener.local_addr().expect("relay address");
        let delay_ms = Arc::new(AtomicU64::new(0));
        let delay = Arc::clone(&delay_ms);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(relay(client, target, Arc::clone(&delay)));
            }
        });
        SlowRelay { addr, delay_ms }
    }

    fn set_delay(&self, delay: Duration) {
        let millis = u64::try_from(delay.as_millis()).expect("small delay");
        self.delay_ms.store(millis, Ordering::SeqCst);
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

async fn relay(client: TcpStream, target: SocketAddr, delay: Arc<AtomicU64>) {
    let Ok(server) = TcpStream::connect(target).await else {
        return;
    };
    let (mut client_rd, mut client_wr) = client.into_split();
    let (mut server_rd, mut server_wr) = server.into_split();
    let requests = async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match client_rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let millis = delay.load(Ordering::SeqCst);
            if millis > 0 {
                tokio::time::sleep(Duration::from_millis(millis)).await;
            }
            if server_wr
                .write_all(buf.get(..n).unwrap_or_default())
                .await
                .is_err()
            {
                break;
            }
        }
        let _ = server_wr.shutdown().await;
    };
    let answers = async move {
        let _ = tokio::io::copy(&mut server_rd, &mut client_wr).await;
        let _ = client_wr.shutdown().await;
    };
    tokio::join!(requests, answers);
}

/// The embedded registry on `tansu`, served over HTTP on a loopback port.
async fn real_registry(tansu: &Tansu) -> SocketAddr {
    let cfg = EmbeddedRegistryConfig {
        enabled: true,
        ..EmbeddedRegistryConfig::default()
    };
    let registry = EmbeddedRegistry::start(&cfg, &[tansu.bootstrap()])
        .await
        .expect("registry starts");
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind registry");
    let addr = listener.local_addr().expect("registry address");
    let router = registry.router();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(r) = client.get(format!("http://{addr}/subjects")).send().await
            && r.status().is_success()
        {
            return addr;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the registry at {addr} never became ready");
}

/// One Produce request (acks=all) of a single record with `value` to partition 0 of `topic`.
fn produce_request(topic: &str, value: &[u8]) -> ProduceRequest {
    produce_to_partition_0(topic, -1, plain_batch(&[Bytes::copy_from_slice(value)]))
}

/// Sends one raw Produce on a fresh connection; its partition's error code and how long the
/// answer took.
async fn raw_produce(proxy: &Proxy, topic: &str, value: &[u8]) -> (i16, Duration) {
    let mut connection = KafkaConnection::connect(proxy.bootstrap_addr()).await;
    let started = Instant::now();
    let response = connection
        .request(&produce_request(topic, value), PRODUCE_VERSION)
        .await;
    let elapsed = started.elapsed();
    (partition_code(&response), elapsed)
}

/// Registers the seed's schema under `{topic}-value` and returns `count` framed values.
async fn framed_values(registry: &str, topic: &str, count: usize) -> Vec<Vec<u8>> {
    let arguments = args([
        "127.0.0.1:9",
        registry,
        topic,
        "serialize",
        "--count",
        &count.to_string(),
    ]);
    let out = python(CLIENT, &arguments, &[], Duration::from_secs(60))
        .await
        .json();
    out["values"]
        .as_array()
        .unwrap_or_else(|| panic!("no values: {out}"))
        .iter()
        .map(|v| hex_decode(v.as_str().unwrap_or_default()))
        .collect()
}

fn hex_decode(text: &str) -> Vec<u8> {
    (0..text.len() / 2)
        .map(|i| {
            let pair = text.get(2 * i..2 * i + 2).unwrap_or("00");
            u8::from_str_radix(pair, 16).expect("hex")
        })
        .collect()
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// While the registry stalls: [`CONCURRENT`] raw Produce requests on their own connections
/// each get 19 within a bounded time (they share the stalled lookups rather than queue behind
/// each other), and Metadata on another connection is answered at once.
async fn stalled_produces_are_refused_quickly(proxy: &Proxy, topic: &str, value: &[u8]) {
    let producing = spawn_produces(proxy, topic, value);
    tokio::time::sleep(TIMEOUT / 4).await;
    let metadata = metadata_latency(proxy).await;
    let answers = producing.join_all().await;
    let waits: Vec<Duration> = answers.iter().map(|(_, waited)| *waited).collect();
    let min = waits.iter().min().copied().unwrap_or_default();
    let max = waits.iter().max().copied().unwrap_or_default();
    eprintln!(
        "registry stalled {STALL:?} (timeout {TIMEOUT:?}): {CONCURRENT} concurrent Produce \
         requests answered {:?} after {min:?}..{max:?}; Metadata on another connection \
         meanwhile answered in {metadata:?}",
        answers.iter().map(|(code, _)| *code).collect::<Vec<_>>()
    );
    for (code, waited) in answers {
        assert_eq!(code, NOT_ENOUGH_REPLICAS, "a stalled Produce got {code}");
        assert!(
            waited >= TIMEOUT.mul_f64(0.9) && waited < TIMEOUT * 3,
            "a refusal took {waited:?}, timeout {TIMEOUT:?}"
        );
    }
    assert!(
        metadata < Duration::from_millis(500),
        "Metadata took {metadata:?} during the stall"
    );
}

fn partition_code(response: &ProduceResponse) -> i16 {
    response
        .responses
        .first()
        .and_then(|t| t.partition_responses.first())
        .map(|p| p.error_code)
        .unwrap_or_else(|| panic!("no partition in the Produce response: {response:?}"))
}

/// Once the registry is fast again a Produce is accepted at the latest after the negative
/// TTL (a registry outage is never cached, so in practice at once). Stores one `probe`.
async fn first_accepted_once_fast(proxy: &Proxy, topic: &str, probe: &[u8]) {
    let recovered = Instant::now();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let (code, _) = raw_produce(proxy, topic, probe).await;
        if code == 0 {
            break;
        }
        assert_eq!(code, NOT_ENOUGH_REPLICAS, "only retriable refusals");
        assert!(
            recovered.elapsed() < NEGATIVE_TTL + TIMEOUT * 2,
            "records still refused {:?} after the registry became fast",
            recovered.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "registry fast again: a Produce accepted after {:?} ({attempts} attempt(s))",
        recovered.elapsed()
    );
}

/// The topic holds exactly the `expected` values (hex), each once; returns how many.
async fn assert_stored_exactly(proxy: &Proxy, topic: &str, mut expected: Vec<String>) -> usize {
    let mut stored = stored_values(&proxy.bootstrap(), topic).await;
    stored.sort();
    expected.sort();
    assert_eq!(stored, expected, "every record stored exactly once");
    stored.len()
}

/// schemagate on `tansu` reaching the registry through `relay` with [`TIMEOUT`], enforcing
/// values of `slow-registry*` topics at payload level.
async fn proxy_through(tansu: &Tansu, relay: &SlowRelay) -> Proxy {
    let extra = format!(
        "embedded_registry: {{enabled: false}}\n\
         registry: {{url: \"{}\", timeout_ms: {}}}\n\
         policy:\n  rules:\n    - match: {{prefix: \"slow-registry\"}}\n      value: {{level: payload}}\n",
        relay.url(),
        TIMEOUT.as_millis()
    );
    start_proxy_with(&tansu.bootstrap(), &extra).await
}

/// A broker, the real registry behind a [`SlowRelay`], schemagate reaching it through the relay,
/// a fresh topic, and [`COUNT`] framed values for the producer (as hex in `file`) plus one
/// `probe` value for raw requests.
struct Scenario {
    _tansu: Tansu,
    relay: SlowRelay,
    proxy: Proxy,
    topic: String,
    probe: Vec<u8>,
    hex: Vec<String>,
    file: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Scenario {
    async fn start(topic_prefix: &str) -> Self {
        let tansu = Tansu::start().await;
        let registry = real_registry(&tansu).await;
        let relay = SlowRelay::start(registry).await;
        let proxy = proxy_through(&tansu, &relay).await;
        let topic = random_topic_name(topic_prefix);
        create_topic(&proxy.bootstrap(), &topic, 1).await;
        let mut values = framed_values(&format!("http://{registry}"), &topic, COUNT + 1).await;
        let probe = values.pop().expect("probe value");
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("values.json");
        let hex: Vec<String> = values.iter().map(|v| hex_encode(v)).collect();
        std::fs::write(&file, serde_json::to_string(&hex).expect("json")).expect("write values");
        Self {
            _tansu: tansu,
            relay,
            proxy,
            topic,
            probe,
            hex,
            file,
            _dir: dir,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_registry_gives_a_bounded_retriable_error_then_loses_nothing() {
    let s = Scenario::start("slow-registry").await;

    s.relay.set_delay(STALL);
    stalled_produces_are_refused_quickly(&s.proxy, &s.topic, &s.probe).await;
    let producing = spawn_steady_producer(
        &s.proxy.bootstrap(),
        &s.relay.url(),
        &s.topic,
        &s.file,
        "0.05",
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    // Fail-closed while the registry is slow: nothing reaches the topic.
    let during = stored_values(&s.proxy.bootstrap(), &s.topic).await;
    assert!(during.is_empty(), "stored during the stall: {during:?}");
    assert!(!producing.is_finished(), "the producer is still retrying");

    s.relay.set_delay(Duration::ZERO);
    first_accepted_once_fast(&s.proxy, &s.topic, &s.probe).await;

    let out = producing.await.expect("producer task").json();
    assert_eq!(out["delivered"], COUNT, "every record delivered: {out}");
    let mut expected = s.hex;
    expected.push(hex_encode(&s.probe));
    let stored = assert_stored_exactly(&s.proxy, &s.topic, expected).await;
    eprintln!(
        "idempotent producer: {} delivered, {} retriable failures reported, {} stored (+1 probe)",
        out["delivered"],
        out["retriable_failures"],
        stored - 1
    );
    let metrics = metrics_text(&s.proxy).await;
    let timeouts = metric_sum(
        &metrics,
        "schemagate_registry_errors_total{endpoint=\"schemas_by_id\",kind=\"transport\"}",
    );
    eprintln!("registry transport errors (timeouts) counted: {timeouts}");
    assert!(timeouts >= 1.0, "the timeouts were counted:\n{metrics}");
    s.proxy.app.shutdown().await.expect("clean shutdown");
}

/// Starts [`CONCURRENT`] raw Produce requests of `value` at once, each on its own
/// connection; each task ends with its partition error code and how long the answer took.
fn spawn_produces(proxy: &Proxy, topic: &str, value: &[u8]) -> JoinSet<(i16, Duration)> {
    let mut producing = JoinSet::new();
    for _ in 0..CONCURRENT {
        let (proxy_addr, topic, value) = (proxy.bootstrap_addr(), topic.to_owned(), value.to_vec());
        producing.spawn(async move {
            let mut connection = KafkaConnection::connect(proxy_addr).await;
            let started = Instant::now();
            let response = connection
                .request(&produce_request(&topic, &value), PRODUCE_VERSION)
                .await;
            (partition_code(&response), started.elapsed())
        });
    }
    producing
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_registry_within_the_timeout_delays_only_the_first_lookup() {
    let s = Scenario::start("slow-registry-within").await;

    s.relay.set_delay(SLOW);
    // The first lookups of the schema id: all accepted, each waiting about one delay (they
    // share the lookup rather than queue behind each other, and the schema and membership
    // lookups go out together).
    let first = spawn_produces(&s.proxy, &s.topic, &s.probe)
        .join_all()
        .await;
    let waits: Vec<Duration> = first.iter().map(|(_, waited)| *waited).collect();
    eprintln!(
        "registry delayed {SLOW:?} (timeout {TIMEOUT:?}): {CONCURRENT} concurrent first \
         Produce requests answered {:?} after {waits:?}",
        first.iter().map(|(code, _)| *code).collect::<Vec<_>>()
    );
    for (code, waited) in &first {
        assert_eq!(*code, 0, "a Produce behind a slow registry got {code}");
        // One delay, not two: the schema and its subject membership are looked up together.
        assert!(
            *waited >= SLOW && *waited < SLOW + Duration::from_millis(300),
            "a first lookup took {waited:?} with the registry delayed {SLOW:?}"
        );
    }
    // The id is cached now: the delay no longer shows.
    let (code, cached) = raw_produce(&s.proxy, &s.topic, &s.probe).await;
    eprintln!("the same schema id again, from the cache: {code} after {cached:?}");
    assert_eq!(code, 0);
    assert!(cached < SLOW / 2, "a cached lookup took {cached:?}");

    let out = spawn_steady_producer(&s.proxy.bootstrap(), &s.relay.url(), &s.topic, &s.file, "0")
        .await
        .expect("producer task")
        .json();
    assert_eq!(out["delivered"], COUNT, "every record delivered: {out}");
    assert_eq!(out["retriable_failures"], 0, "no refusal: {out}");
    let mut expected = s.hex;
    expected.extend(std::iter::repeat_n(hex_encode(&s.probe), CONCURRENT + 1));
    let stored = assert_stored_exactly(&s.proxy, &s.topic, expected).await;
    eprintln!("idempotent producer behind the slow registry: {stored} stored, as sent");
    let metrics = metrics_text(&s.proxy).await;
    let errors = metric_sum(&metrics, "schemagate_registry_errors_total");
    assert_eq!(errors, 0.0, "no registry error counted:\n{metrics}");
    s.proxy.app.shutdown().await.expect("clean shutdown");
}
