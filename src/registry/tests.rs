use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::*;

type Entries = HashMap<i32, (SchemaText, Vec<(String, i32)>)>;

/// In-memory `LocalRegistry` double: id → (schema, subjects).
#[derive(Debug, Default)]
pub(crate) struct MapRegistry {
    pub schemas: Mutex<Entries>,
    pub not_ready: AtomicBool,
}

impl MapRegistry {
    pub(crate) fn add(&self, id: i32, schema: &str, subjects: &[(&str, i32)]) {
        let text = SchemaText {
            schema_type: SchemaType::Avro,
            schema: schema.to_owned(),
            references: vec![],
        };
        let subjects = subjects
            .iter()
            .map(|(s, v)| ((*s).to_owned(), *v))
            .collect();
        if let Ok(mut m) = self.schemas.lock() {
            m.insert(id, (text, subjects));
        }
    }
}

impl LocalRegistry for MapRegistry {
    fn schema_text(&self, id: i32) -> Option<SchemaText> {
        self.schemas.lock().ok()?.get(&id).map(|(t, _)| t.clone())
    }
    fn subject_versions_of(&self, id: i32) -> Vec<(String, i32)> {
        let map = self.schemas.lock();
        map.ok()
            .and_then(|m| m.get(&id).map(|(_, s)| s.clone()))
            .unwrap_or_default()
    }
    fn is_ready(&self) -> bool {
        !self.not_ready.load(Ordering::SeqCst)
    }
}

const USER: &str = r#"{"type":"record","name":"User","namespace":"com.example","fields":[{"name":"id","type":"int"}]}"#;

#[derive(Clone)]
struct Server {
    calls: Arc<AtomicUsize>,
    /// When false, `/schemas/ids/{id}/versions` answers 404 without an error code (old registry).
    id_versions: bool,
    down: Arc<AtomicBool>,
}

fn authorized(headers: &HeaderMap) -> bool {
    // "svc:secret" in base64
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Basic c3ZjOnNlY3JldA==")
}

async fn guard(s: &Server, headers: &HeaderMap) -> Option<Response> {
    s.calls.fetch_add(1, Ordering::SeqCst);
    if s.down.load(Ordering::SeqCst) {
        return Some((StatusCode::SERVICE_UNAVAILABLE, "down").into_response());
    }
    if !authorized(headers) {
        return Some((StatusCode::UNAUTHORIZED, "who are you").into_response());
    }
    None
}

async fn by_id(State(s): State<Server>, headers: HeaderMap, Path(id): Path<i32>) -> Response {
    if let Some(r) = guard(&s, &headers).await {
        return r;
    }
    match id {
        1 => axum::Json(json!({"schema": USER})).into_response(),
        2 => axum::Json(json!({"schema": "{\"type\":\"record\",\"name\":\"Order\",\"fields\":[{\"name\":\"u\",\"type\":\"com.example.User\"}]}",
            "references": [{"name": "com.example.User", "subject": "user-value", "version": 1}]}))
        .into_response(),
        _ => (StatusCode::NOT_FOUND, axum::Json(json!({"error_code": 40403, "message": "Schema not found"})))
            .into_response(),
    }
}

async fn id_versions(State(s): State<Server>, headers: HeaderMap, Path(id): Path<i32>) -> Response {
    if let Some(r) = guard(&s, &headers).await {
        return r;
    }
    if !s.id_versions {
        return (StatusCode::NOT_FOUND, "no such route").into_response();
    }
    match id {
        1 => axum::Json(json!([{"subject": "user-value", "version": 1}])).into_response(),
        _ => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"error_code": 40403, "message": "Schema not found"})),
        )
            .into_response(),
    }
}

async fn subject_versions(
    State(s): State<Server>,
    headers: HeaderMap,
    Path(subject): Path<String>,
) -> Response {
    if let Some(r) = guard(&s, &headers).await {
        return r;
    }
    match subject.as_str() {
        "user-value" => axum::Json(json!([1])).into_response(),
        _ => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"error_code": 40401})),
        )
            .into_response(),
    }
}

async fn subject_version(
    State(s): State<Server>,
    headers: HeaderMap,
    Path((subject, version)): Path<(String, i32)>,
) -> Response {
    if let Some(r) = guard(&s, &headers).await {
        return r;
    }
    if subject == "user-value" && version == 1 {
        return axum::Json(json!({"subject": subject, "version": 1, "id": 1, "schema": USER}))
            .into_response();
    }
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({"error_code": 40402})),
    )
        .into_response()
}

async fn start(id_versions_supported: bool) -> (String, Server) {
    start_under("", id_versions_supported).await
}

/// The registry API served under `prefix` (e.g. Apicurio's `/apis/ccompat/v7`).
async fn start_under(prefix: &str, id_versions_supported: bool) -> (String, Server) {
    let state = Server {
        calls: Arc::default(),
        id_versions: id_versions_supported,
        down: Arc::default(),
    };
    let app = axum::Router::new()
        .route("/schemas/ids/{id}", get(by_id))
        .route("/schemas/ids/{id}/versions", get(id_versions))
        .route("/subjects/{subject}/versions", get(subject_versions))
        .route(
            "/subjects/{subject}/versions/{version}",
            get(subject_version),
        )
        .with_state(state.clone());
    let app = if prefix.is_empty() {
        app
    } else {
        axum::Router::new().nest(prefix, app)
    };
    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => panic!("bind: {e}"),
    };
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}{prefix}"), state)
}

fn http_config(url: &str, password: &str) -> RegistryConfig {
    RegistryConfig {
        url: Some(url.to_owned()),
        username: Some("svc".into()),
        password: Some(password.into()),
        ..RegistryConfig::default()
    }
}

fn http(url: &str) -> SchemaSource {
    match SchemaSource::from_config(&http_config(url, "secret"), None) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test]
async fn http_source_fetches_schemas_and_resolves_references_with_basic_auth() {
    let (url, _) = start(true).await;
    let source = http(&url);
    let user = source.schema(1).await.ok().flatten().map(|t| t.schema);
    assert_eq!(user.as_deref(), Some(USER));
    let order = source.schema(2).await.ok().flatten();
    assert_eq!(order.map(|t| t.references), Some(vec![USER.to_owned()]));
    assert_eq!(source.schema(99).await, Ok(None));
}

#[tokio::test]
async fn a_registry_under_a_path_prefix_is_reached_below_it() {
    for url_suffix in ["", "/"] {
        let (url, _) = start_under("/apis/ccompat/v7", true).await;
        let source = http(&format!("{url}{url_suffix}"));
        assert!(
            source.schema(1).await.ok().flatten().is_some(),
            "suffix {url_suffix:?}"
        );
        assert_eq!(source.is_member("user-value", 1).await, Ok(true));
    }
}

#[tokio::test]
async fn http_membership_uses_id_versions_and_falls_back_to_subject_versions() {
    for supported in [true, false] {
        let (url, _) = start(supported).await;
        let source = http(&url);
        assert_eq!(
            source.is_member("user-value", 1).await,
            Ok(true),
            "supported={supported}"
        );
        assert_eq!(
            source.is_member("orders-value", 1).await,
            Ok(false),
            "supported={supported}"
        );
        assert_eq!(
            source.is_member("user-value", 7).await,
            Ok(false),
            "supported={supported}"
        );
    }
}

#[tokio::test]
async fn wrong_password_and_a_down_registry_are_unavailable_not_not_found() {
    let (url, state) = start(true).await;
    let bad = SchemaSource::from_config(&http_config(&url, "wrong"), None);
    let bad = bad.unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        bad.schema(1).await,
        Err(RegistryError::Status { status: 401, .. })
    ));
    state.down.store(true, Ordering::SeqCst);
    assert!(matches!(
        http(&url).schema(1).await,
        Err(RegistryError::Status { status: 503, .. })
    ));
    assert!(http(&url).is_member("user-value", 1).await.is_err());
    state.down.store(false, Ordering::SeqCst);
    let wrong_path = http(&format!("{url}/not/the/registry"));
    assert!(
        matches!(
            wrong_path.schema(1).await,
            Err(RegistryError::Status { status: 404, .. })
        ),
        "a bare 404 is a misconfiguration, not an unknown id"
    );
    let nobody = http("http://127.0.0.1:9");
    assert!(matches!(
        nobody.schema(1).await,
        Err(RegistryError::Unavailable(_))
    ));
}

#[tokio::test]
async fn cache_serves_hits_without_calling_the_registry_and_single_flights_misses() {
    let (url, state) = start(true).await;
    let cache = CachedRegistry::new(http(&url), &CacheConfig::default());
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.schema(1).await })
        })
        .collect();
    for t in tasks {
        let got = t.await.ok().and_then(Result::ok).flatten();
        assert_eq!(
            got.and_then(|s| s.record_name.clone()).as_deref(),
            Some("com.example.User")
        );
    }
    assert_eq!(
        state.calls.load(Ordering::SeqCst),
        1,
        "one registry call for 16 concurrent misses"
    );
    assert!(cache.is_member("user-value", 1).await.unwrap_or(false));
    assert!(cache.is_member("user-value", 1).await.unwrap_or(false));
    assert_eq!(state.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn negative_answers_expire_so_new_registrations_are_seen() {
    let local = Arc::new(MapRegistry::default());
    let cfg = CacheConfig {
        negative_ttl_ms: 50,
        ..CacheConfig::default()
    };
    let cache = CachedRegistry::new(SchemaSource::Embedded(local.clone()), &cfg);
    assert!(cache.schema(5).await.ok().flatten().is_none());
    assert_eq!(cache.is_member("t-value", 5).await, Ok(false));
    local.add(5, USER, &[("t-value", 1)]);
    tokio::time::sleep(std::time::Duration::from_millis(120)).await;
    assert!(cache.schema(5).await.ok().flatten().is_some());
    assert_eq!(cache.is_member("t-value", 5).await, Ok(true));
}

#[tokio::test]
async fn embedded_source_not_ready_is_unavailable_and_not_cached() {
    let local = Arc::new(MapRegistry::default());
    local.add(1, USER, &[("t-value", 1)]);
    local.not_ready.store(true, Ordering::SeqCst);
    let cache = CachedRegistry::new(
        SchemaSource::Embedded(local.clone()),
        &CacheConfig::default(),
    );
    assert!(matches!(
        cache.schema(1).await,
        Err(RegistryError::Unavailable(_))
    ));
    local.not_ready.store(false, Ordering::SeqCst);
    assert!(cache.schema(1).await.ok().flatten().is_some());
}

#[test]
fn config_validation_lists_every_problem() {
    let cfg = RegistryConfig {
        url: Some("not a url".into()),
        username: Some("u".into()),
        bearer_token: Some("t".into()),
        client_cert_file: Some("c.pem".into()),
        timeout_ms: 0,
        ..RegistryConfig::default()
    };
    assert_eq!(cfg.validate().len(), 5, "{:?}", cfg.validate());
    assert!(RegistryConfig::default().validate().is_empty());
    let yaml = "url: https://sr:8081\nusername: a\npassword: b\ncache: {negative_ttl_ms: 10}\n";
    let parsed: RegistryConfig = serde_yaml_ng::from_str(yaml).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed.cache.negative_ttl_ms, 10);
    assert!(serde_yaml_ng::from_str::<RegistryConfig>("uri: x").is_err());
}

#[test]
fn unreadable_tls_files_are_configuration_errors() {
    let cfg = RegistryConfig {
        url: Some("https://sr.invalid:8081".into()),
        ca_file: Some("/nonexistent/ca.pem".into()),
        ..RegistryConfig::default()
    };
    let err = SchemaSource::from_config(&cfg, None)
        .map(|_| ())
        .unwrap_err();
    assert!(
        matches!(&err, RegistryError::Config(m) if m.contains("/nonexistent/ca.pem")),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let garbage = dir.path().join("ca.pem");
    std::fs::write(&garbage, "not a certificate").unwrap_or_else(|e| panic!("{e}"));
    let cfg = RegistryConfig {
        ca_file: Some(garbage),
        ..cfg
    };
    // No PEM block at all: an empty bundle, which must not silently pass as "configured".
    let result = SchemaSource::from_config(&cfg, None);
    assert!(result.is_err(), "a CA file without certificates is refused");
}

#[test]
fn debug_output_never_shows_secrets() {
    let cfg = RegistryConfig {
        bearer_token: None,
        ..http_config("http://sr:8081", "hunter2")
    };
    let with_token = RegistryConfig {
        bearer_token: Some("tok-123".into()),
        ..RegistryConfig::default()
    };
    let source = SchemaSource::from_config(&cfg, None).unwrap_or_else(|e| panic!("{e}"));
    for text in [
        format!("{cfg:?}"),
        format!("{with_token:?}"),
        format!("{source:?}"),
    ] {
        assert!(
            !text.contains("hunter2") && !text.contains("tok-123"),
            "{text}"
        );
    }
}

#[test]
fn avro_full_name_follows_the_namespace_rules() {
    let text = |s: &str| SchemaText {
        schema_type: SchemaType::Avro,
        schema: s.into(),
        references: vec![],
    };
    let name = |s: &str| CompiledSchema::compile(1, &text(s)).record_name;
    assert_eq!(name(USER).as_deref(), Some("com.example.User"));
    assert_eq!(
        name(r#"{"type":"record","name":"a.b.C","namespace":"x","fields":[]}"#).as_deref(),
        Some("a.b.C")
    );
    assert_eq!(
        name(r#"{"type":"record","name":"C","fields":[]}"#).as_deref(),
        Some("C")
    );
    assert_eq!(name(r#""string""#), None);
}
