//! Issue 7, faults: schemagate restarted and the broker killed and restarted while an
//! idempotent confluent-kafka producer keeps producing through the proxy. Each test then
//! consumes the topic from the beginning and asserts every record is stored exactly once.

mod common;

use std::time::Duration;

use common::clients::{ClientOutput, args, python};
use common::faults::spawn_steady_producer;
use common::net::free_port;
use common::proxy::{Proxy, start_proxy};
use common::tansu::spawn_broker;
use common::{Tansu, create_topic, random_topic_name};
use schemagate::app::App;
use schemagate::config::Config;

const CLIENT: &str = "enforce_produce.py";
/// The producer client wants a registry URL; without a policy the proxy never asks it.
const UNUSED_REGISTRY: &str = "http://127.0.0.1:9";
const COUNT: usize = 80;

/// `COUNT` distinct values, written where the steady producer reads them.
fn values_file(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let values: Vec<String> = (0..COUNT)
        .map(|i| hex(format!("record-{i:04}").as_bytes()))
        .collect();
    let path = dir.path().join("values.json");
    std::fs::write(&path, serde_json::to_string(&values).expect("json")).expect("write values");
    path
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Asserts the producer delivered everything and the topic holds each value exactly once.
async fn assert_exactly_once(bootstrap: &str, topic: &str, producer: ClientOutput) {
    let out = producer.json();
    assert_eq!(out["delivered"], COUNT, "every record delivered: {out}");
    let arguments = args([bootstrap, UNUSED_REGISTRY, topic, "consume"]);
    let stored = python(CLIENT, &arguments, &[], Duration::from_secs(120))
        .await
        .json();
    let records = stored["records"].as_array().cloned().unwrap_or_default();
    let mut values: Vec<String> = records
        .iter()
        .filter_map(|r| r[2].as_str().map(str::to_owned))
        .collect();
    values.sort();
    values.dedup();
    assert_eq!(values.len(), COUNT, "every value stored: {stored}");
    assert_eq!(records.len(), COUNT, "no value stored twice: {stored}");
}

/// A bootstrap port and a broker port base whose broker 111 port was free a moment ago; the
/// proxy reserves `base..base + 10000` for brokers, so the bootstrap port lies outside it.
fn fixed_ports() -> (u16, u16) {
    for _ in 0..100 {
        let (listen, broker) = (free_port(), free_port());
        let Some(base) = broker.checked_sub(111) else {
            continue;
        };
        if !(base..=base.saturating_add(9_999)).contains(&listen) {
            return (listen, base);
        }
    }
    panic!("no bootstrap port outside the broker port range");
}

/// A proxy on fixed ports (bootstrap `listen`, broker 111 on `base + 111`), so that a new
/// instance can take over the addresses clients already know.
async fn proxy_on(listen: u16, base: u16, upstream: &str) -> App {
    let yaml = format!(
        "listen: \"127.0.0.1:{listen}\"\n\
         bootstrap_servers: [\"{upstream}\"]\n\
         advertised_host: \"127.0.0.1\"\n\
         broker_port_base: {base}\n\
         admin_listen: \"127.0.0.1:0\"\n\
         embedded_registry: {{enabled: false}}\n\
         limits: {{shutdown_grace: 1s}}\n"
    );
    let config: Config = serde_yaml_ng::from_str(&yaml).expect("proxy config");
    App::start(config).await.expect("proxy starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemagate_restarted_clients_reconnect() {
    let tansu = Tansu::start().await;
    let (listen, base) = fixed_ports();
    let app = proxy_on(listen, base, &tansu.bootstrap()).await;
    let bootstrap = app.bootstrap_addr().to_string();
    let topic = random_topic_name("proxy-restart");
    create_topic(&bootstrap, &topic, 1).await;
    assert_eq!(
        app.broker_addr(111).map(|a| a.port()),
        Some(base + 111),
        "broker listener on the fixed port"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let producing = spawn_steady_producer(
        &bootstrap,
        UNUSED_REGISTRY,
        &topic,
        &values_file(&dir),
        "0.1",
    );

    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(!producing.is_finished(), "the producer is still producing");
    app.shutdown().await.expect("clean shutdown");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let app = proxy_on(listen, base, &tansu.bootstrap()).await;

    let producer = producing.await.expect("producer task");
    assert_exactly_once(&bootstrap, &topic, producer).await;
    app.shutdown().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_killed_and_restarted_clients_recover_through_the_proxy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let mut broker = spawn_broker("sqlite://tansu.db", false, port, dir.path()).await;
    let upstream = format!("127.0.0.1:{port}");
    let proxy: Proxy = start_proxy(&upstream).await;
    let topic = random_topic_name("broker-restart");
    create_topic(&proxy.bootstrap(), &topic, 1).await;
    let producing = spawn_steady_producer(
        &proxy.bootstrap(),
        UNUSED_REGISTRY,
        &topic,
        &values_file(&dir),
        "0.1",
    );

    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(!producing.is_finished(), "the producer is still producing");
    broker.kill().await.expect("kill tansu");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let _broker = spawn_broker("sqlite://tansu.db", false, port, dir.path()).await;

    let producer = producing.await.expect("producer task");
    assert_exactly_once(&proxy.bootstrap(), &topic, producer).await;
    proxy.app.shutdown().await.expect("clean shutdown");
}
