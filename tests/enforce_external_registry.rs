//! Issue 5 acceptance 4 and 5: enforcement against an external Confluent-compatible registry
//! reached over HTTP with basic auth (a second schemagate registry instance on the same broker,
//! behind an auth check), and that registry stopped mid-stream and restarted while an
//! idempotent producer keeps producing through the proxy.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use common::clients::{args, create_topic, python};
use common::faults::spawn_steady_producer;
use common::net::{free_port, random_topic_name};
use common::proxy::{Proxy, start_proxy_with};
use common::tansu::Tansu;
use schemagate::schema_registry::{EmbeddedRegistry, EmbeddedRegistryConfig};
use serde_json::Value;
use tokio::task::JoinHandle;

const CLIENT: &str = "enforce_produce.py";
const USER: &str = "sr-user";
const PASSWORD: &str = "sr-secret";
// base64("sr-user:sr-secret")
const BASIC: &str = "Basic c3ItdXNlcjpzci1zZWNyZXQ=";

/// The external registry's REST front: answers only requests with the right basic auth.
struct Front {
    addr: SocketAddr,
    registry: Arc<EmbeddedRegistry>,
    task: Option<JoinHandle<()>>,
}

async fn require_basic_auth(request: Request, next: Next) -> Result<Response, StatusCode> {
    let authorized = request
        .headers()
        .get("authorization")
        .is_some_and(|v| v.as_bytes() == BASIC.as_bytes());
    if authorized {
        Ok(next.run(request).await)
    } else {
        Err(StatusCode::UNAUTHORIZED)
    }
}

impl Front {
    async fn start(tansu: &Tansu) -> Front {
        let cfg = EmbeddedRegistryConfig {
            enabled: true,
            ..EmbeddedRegistryConfig::default()
        };
        let registry = EmbeddedRegistry::start(&cfg, &[tansu.bootstrap()])
            .await
            .expect("external registry starts");
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let mut front = Front {
            addr,
            registry,
            task: None,
        };
        front.serve().await;
        front
    }

    async fn serve(&mut self) {
        let router = self
            .registry
            .router()
            .layer(axum::middleware::from_fn(require_basic_auth));
        let listener = tokio::net::TcpListener::bind(self.addr)
            .await
            .expect("bind the registry front");
        self.task = Some(tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        }));
    }

    /// The registry becomes unreachable: connections to its port are refused.
    async fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

async fn proxy_with_external(tansu: &Tansu, registry: &str) -> Proxy {
    let extra = format!(
        "embedded_registry: {{enabled: false}}\n\
         registry: {{url: \"{registry}\", username: \"{USER}\", password: \"{PASSWORD}\", timeout_ms: 1000}}\n\
         policy:\n  rules:\n    - match: {{prefix: \"user-events\"}}\n      value: {{level: payload}}\n"
    );
    start_proxy_with(&tansu.bootstrap(), &extra).await
}

async fn client(proxy: &Proxy, registry: &str, topic: &str, mode: &[&str]) -> Value {
    let mut arguments = args([&proxy.bootstrap(), registry, topic]);
    arguments.extend(mode.iter().map(|s| (*s).to_owned()));
    arguments.extend(args(["--basic-auth", &format!("{USER}:{PASSWORD}")]));
    python(CLIENT, &arguments, &[], Duration::from_secs(200))
        .await
        .json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_registry_with_basic_auth_enforces_every_check() {
    let tansu = Tansu::start().await;
    let front = Front::start(&tansu).await;
    let unauthorized = reqwest::get(format!("{}/subjects", front.url()))
        .await
        .expect("front answers");
    assert_eq!(unauthorized.status(), 401, "the front requires basic auth");
    let proxy = proxy_with_external(&tansu, &front.url()).await;
    let topic = random_topic_name("user-events");
    create_topic(&proxy.bootstrap(), &topic, 1).await;

    let out = client(&proxy, &front.url(), &topic, &["cases"]).await;
    let results = out["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(results.len(), 9, "{out}");
    for r in &results {
        let valid = r["label"].as_str().unwrap_or_default().starts_with("valid");
        if valid {
            assert_eq!(r["error"], Value::Null, "{r}");
        } else {
            assert_eq!(r["code"], "INVALID_RECORD", "{r}");
            let message = r["message"].as_str().unwrap_or_default();
            assert!(message.contains("record 0 value"), "{r}");
        }
    }
    let stored = client(&proxy, &front.url(), &topic, &["consume"]).await;
    assert_eq!(
        stored["records"].as_array().map(Vec::len),
        Some(3),
        "{stored}"
    );
    proxy.app.shutdown().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_outage_mid_stream_loses_nothing_and_lets_nothing_through() {
    let tansu = Tansu::start().await;
    let mut front = Front::start(&tansu).await;
    let proxy = proxy_with_external(&tansu, &front.url()).await;
    let topic = random_topic_name("user-events");
    create_topic(&proxy.bootstrap(), &topic, 1).await;
    let count: usize = 60;
    let serialized = client(
        &proxy,
        &front.url(),
        &topic,
        &["serialize", "--count", &count.to_string()],
    )
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let values_file = dir.path().join("values.json");
    std::fs::write(&values_file, serialized["values"].to_string()).expect("write values");

    // The registry goes away before the proxy has seen the schema id, so nothing is cached.
    front.stop().await;
    let producing = spawn_steady_producer(
        &proxy.bootstrap(),
        &front.url(),
        &topic,
        &values_file,
        "0.1",
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    // Fail-closed: while the registry is down nothing reaches the topic.
    let during = client(&proxy, &front.url(), &topic, &["consume", "--idle", "2"]).await;
    assert_eq!(
        during["records"].as_array().map(Vec::len),
        Some(0),
        "{during}"
    );
    front.serve().await;
    let out = producing.await.expect("producer task").json();

    assert_eq!(out["delivered"], count, "every record delivered: {out}");
    let stored = client(&proxy, &front.url(), &topic, &["consume"]).await;
    let records = stored["records"].as_array().cloned().unwrap_or_default();
    let mut values: Vec<String> = records
        .iter()
        .filter_map(|r| r[2].as_str().map(str::to_owned))
        .collect();
    values.sort();
    values.dedup();
    assert_eq!(records.len(), count, "exactly once: {stored}");
    assert_eq!(values.len(), count, "no duplicates: {stored}");
    let metrics = reqwest::get(format!(
        "http://{}/metrics",
        proxy.app.admin_addr().expect("admin")
    ))
    .await
    .expect("metrics")
    .text()
    .await
    .expect("metrics body");
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("schemagate_registry_errors_total")),
        "registry errors were counted:\n{metrics}"
    );
    proxy.app.shutdown().await.expect("clean shutdown");
}
