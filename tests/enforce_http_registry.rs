//! Enforcement against an external Confluent-compatible registry over HTTP with basic auth:
//! a tiny axum registry started by the test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "enforce_support.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use kafka_protocol::records::Compression;
use schemagate::produce::{Enforcer, ProduceAction, ProduceContext};
use schemagate::registry::{RegistryConfig, SchemaSource};
use schemagate::topology::TopicIds;
use serde_json::json;
use support::*;
use uuid::Uuid;

#[derive(Clone, Default)]
struct Registry {
    down: Arc<AtomicBool>,
    calls: Arc<AtomicUsize>,
}

fn check(s: &Registry, headers: &HeaderMap) -> Option<Response> {
    s.calls.fetch_add(1, Ordering::SeqCst);
    if s.down.load(Ordering::SeqCst) {
        return Some(StatusCode::SERVICE_UNAVAILABLE.into_response());
    }
    // "svc:secret"
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    (auth != Some("Basic c3ZjOnNlY3JldA==")).then(|| StatusCode::UNAUTHORIZED.into_response())
}

async fn schema(State(s): State<Registry>, h: HeaderMap, Path(id): Path<i32>) -> Response {
    if let Some(r) = check(&s, &h) {
        return r;
    }
    match id {
        1 => axum::Json(json!({"schema": USER})).into_response(),
        2 => axum::Json(json!({"schema": PAYMENT})).into_response(),
        _ => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"error_code": 40403})),
        )
            .into_response(),
    }
}

async fn versions(State(s): State<Registry>, h: HeaderMap, Path(id): Path<i32>) -> Response {
    if let Some(r) = check(&s, &h) {
        return r;
    }
    match id {
        1 => axum::Json(json!([{"subject": "orders-value", "version": 1}])).into_response(),
        2 => axum::Json(json!([{"subject": "payments-value", "version": 1}])).into_response(),
        _ => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"error_code": 40403})),
        )
            .into_response(),
    }
}

async fn start() -> (String, Registry) {
    let state = Registry::default();
    let app = axum::Router::new()
        .route("/schemas/ids/{id}", get(schema))
        .route("/schemas/ids/{id}/versions", get(versions))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, state)
}

#[tokio::test]
async fn http_registry_with_basic_auth_accepts_good_records_and_refuses_bad_ones() {
    let (url, state) = start().await;
    let cfg: RegistryConfig = serde_yaml_ng::from_str(&format!(
        "url: {url}\nusername: svc\npassword: secret\ntimeout_ms: 2000"
    ))
    .unwrap();
    let source = SchemaSource::from_config(&cfg, None).unwrap();
    let policy =
        serde_yaml_ng::from_str("rules: [{match: {topic: orders}, value: {level: subject}}]")
            .unwrap();
    let e = Enforcer::new(policy, source, &cfg).unwrap();
    let ids = TopicIds::default();
    let run = |values: Vec<Option<Vec<u8>>>| {
        let e = e.clone();
        let ids = &ids;
        async move {
            let frame = produce_frame(
                9,
                -1,
                5,
                &[(
                    "orders",
                    Uuid::nil(),
                    vec![(0, batch_of(&values, Compression::Zstd))],
                )],
            );
            e.check(
                ProduceContext {
                    api_version: 9,
                    correlation_id: 5,
                    topic_ids: ids,
                },
                frame,
            )
            .await
            .unwrap()
        }
    };
    let good = || Some(framed(1, b""));
    assert!(matches!(
        run(vec![good(), good()]).await,
        ProduceAction::Forward(_)
    ));
    let calls = state.calls.load(Ordering::SeqCst);
    assert!(matches!(run(vec![good()]).await, ProduceAction::Forward(_)));
    assert_eq!(
        state.calls.load(Ordering::SeqCst),
        calls,
        "second request served from the cache"
    );

    for (bad, expected) in [
        (
            framed(2, b""),
            r#"record 1 value: schema id 2 is registered under "payments-value", not "orders-value""#,
        ),
        (
            framed(9, b""),
            "record 1 value: schema id 9 is not registered",
        ),
    ] {
        let ProduceAction::Respond(resp) = run(vec![good(), Some(bad)]).await else {
            panic!("expected Respond")
        };
        let rows = rows(&decode_response(&resp, 9).1);
        assert_eq!((rows[0].2, rows[0].4.as_deref()), (87, Some(expected)));
    }

    // Registry down: ids already cached still pass; new ids get the retriable error.
    state.down.store(true, Ordering::SeqCst);
    assert!(matches!(run(vec![good()]).await, ProduceAction::Forward(_)));
    let ProduceAction::Respond(resp) = run(vec![Some(framed(3, b""))]).await else {
        panic!("expected Respond")
    };
    assert_eq!(rows(&decode_response(&resp, 9).1)[0].2, 19);
}
