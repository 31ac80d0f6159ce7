//! Helpers for the embedded registry tests: a real tansu broker started per test, registry
//! instances served on ephemeral ports, and a small JSON HTTP client.
#![allow(dead_code)]

use std::net::TcpListener as StdListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use schemagate::schema_registry::{EmbeddedRegistry, EmbeddedRegistryConfig};
use serde_json::Value;
use tokio::sync::oneshot;

/// The tansu binary built by scripts/install-tansu.sh.
pub fn tansu_binary() -> PathBuf {
    std::env::var_os("TANSU_BIN").map_or_else(
        || PathBuf::from("/root/.cache/schemagate/tansu-0.6.0/bin/tansu"),
        PathBuf::from,
    )
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port")
}

/// A tansu broker with in-memory storage, killed on drop.
pub struct Tansu {
    child: Child,
    pub bootstrap: String,
}

impl Tansu {
    /// Start tansu on a free port and wait until it accepts connections.
    pub async fn start() -> Tansu {
        let port = free_port();
        let url = format!("tcp://127.0.0.1:{port}");
        let child = Command::new(tansu_binary())
            .args([
                "broker",
                "--storage-engine",
                "memory://tansu/",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tansu binary missing; run scripts/install-tansu.sh");
        let tansu = Tansu {
            child,
            bootstrap: format!("127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while tokio::net::TcpStream::connect(&tansu.bootstrap)
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "tansu did not start listening");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tansu
    }
}

impl Drop for Tansu {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running registry instance: its handle, its base URL, and its server task.
pub struct Instance {
    pub registry: Arc<EmbeddedRegistry>,
    pub url: String,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Instance {
    /// Stop serving and tailing, as a killed process would.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.registry.stop();
    }
}

/// Start a registry on `bootstrap` using `topic`, served on an ephemeral port.
pub async fn start_registry(bootstrap: &str, topic: &str) -> Instance {
    let cfg = EmbeddedRegistryConfig {
        topic: topic.to_owned(),
        ..EmbeddedRegistryConfig::default()
    };
    let registry = EmbeddedRegistry::start(&cfg, &[bootstrap.to_owned()])
        .await
        .expect("registry start");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(Arc::clone(&registry).serve(listener, async {
        let _ = stopped.await;
    }));
    Instance {
        registry,
        url,
        stop: Some(stop),
        server: Some(server),
    }
}

/// A JSON answer: HTTP status and parsed body (`Value::String` when not JSON).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub content_type: String,
}

impl Answer {
    /// Assert a Confluent error envelope with this status and code; returns the message.
    pub fn error(&self, status: u16, code: u64) -> String {
        assert_eq!(self.status, status, "status of {self:?}");
        assert_eq!(
            self.body["error_code"].as_u64(),
            Some(code),
            "code of {self:?}"
        );
        self.body["message"]
            .as_str()
            .unwrap_or_else(|| panic!("no message in {self:?}"))
            .to_owned()
    }

    pub fn ok(&self) -> &Value {
        assert_eq!(self.status, 200, "{self:?}");
        &self.body
    }
}

/// Send `method path` with an optional JSON body (Content-Type of the v1 registry media type).
pub async fn call(base: &str, method: &str, path: &str, body: Option<Value>) -> Answer {
    let client = reqwest::Client::new();
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = client.request(method, format!("{base}{path}"));
    if let Some(body) = body {
        req = req
            .header("Content-Type", "application/vnd.schemaregistry.v1+json")
            .body(body.to_string());
    }
    let resp = req.send().await.expect("http request");
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer {
        status,
        body,
        content_type,
    }
}

pub async fn get(base: &str, path: &str) -> Answer {
    call(base, "GET", path, None).await
}

pub async fn post(base: &str, path: &str, body: Value) -> Answer {
    call(base, "POST", path, Some(body)).await
}

pub async fn put(base: &str, path: &str, body: Value) -> Answer {
    call(base, "PUT", path, Some(body)).await
}

pub async fn delete(base: &str, path: &str) -> Answer {
    call(base, "DELETE", path, None).await
}

/// An Avro record schema named `name` with int fields `fields`.
pub fn record_schema(name: &str, fields: &[&str]) -> String {
    let fields: Vec<Value> = fields
        .iter()
        .map(|f| serde_json::json!({"name": f, "type": "int"}))
        .collect();
    serde_json::json!({"type": "record", "name": name, "fields": fields}).to_string()
}

/// Register `schema` under `subject`; returns the id.
pub async fn register(base: &str, subject: &str, schema: &str) -> i64 {
    let a = post(
        base,
        &format!("/subjects/{subject}/versions"),
        serde_json::json!({ "schema": schema }),
    )
    .await;
    a.ok()["id"].as_i64().unwrap_or_else(|| panic!("{a:?}"))
}

/// Poll `check` until it holds or `timeout` passes.
pub async fn eventually(timeout: Duration, mut check: impl AsyncFnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
