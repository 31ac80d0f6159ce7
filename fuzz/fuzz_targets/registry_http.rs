//! The embedded registry's REST API as HTTP requests through its axum `Router`: methods,
//! paths (percent-encoding, unknown routes, odd versions and ids), query strings, content
//! types and bodies. The registry keeps its `_schemas` log in memory
//! (`EmbeddedRegistry::in_memory`: the same record encoding and apply path as on Kafka), so
//! whole sequences of writes and reads run without a broker.
//!
//! Input: byte 0 picks the default compatibility level; the rest is up to 8 requests separated
//! by 0xFF (never part of UTF-8). A request is an operation byte, a selector byte, then (for a
//! raw path) the path up to a 0x00, then the body:
//! - operation bits 0–2: the method; bits 3–4: the content type; bits 5–7: a route template
//!   (register, lookup, compatibility, version, config, mode, schema by id) or 0 for a raw
//!   path from the input;
//! - selector bits 0–1: the subject; bits 2–4: the version or id; bits 5–7: a query string.
//!
//! Properties besides "no panic": no answer is a 5xx; every error answer is Confluent-shaped
//! JSON (`error_code` whose first three digits are the HTTP status, and a `message`); every
//! success is JSON (or, for `/schema` text endpoints, the schema text); an id returned by a
//! successful registration is then served by `GET /schemas/ids/{id}`.
#![no_main]

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use libfuzzer_sys::fuzz_target;
use schemagate::schema_registry::EmbeddedRegistry;
use schemagate::schema_registry::compat::CompatibilityLevel;
use serde_json::Value;
use tower::ServiceExt;

const LEVELS: [CompatibilityLevel; 4] = [
    CompatibilityLevel::Backward,
    CompatibilityLevel::None,
    CompatibilityLevel::FullTransitive,
    CompatibilityLevel::Forward,
];
const METHODS: [&str; 8] = [
    "GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS", "POST",
];
const CONTENT_TYPES: [Option<&str>; 4] = [
    None,
    Some("application/vnd.schemaregistry.v1+json"),
    Some("application/json"),
    Some("text/plain; charset=\u{7f}"),
];
const SUBJECTS: [&str; 4] = ["orders-value", "orders-key", "a%2Fb%20c", "%FF%FE"];
const VERSIONS: [&str; 8] = ["latest", "1", "2", "-1", "0", "x", "2147483648", "%31"];
const QUERIES: [&str; 8] = [
    "",
    "?permanent=true",
    "?verbose=true",
    "?normalize=true",
    "?deleted=true",
    "?defaultToGlobal=true",
    "?offset=1&limit=1",
    "?permanent=%zz&permanent=false",
];

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a current-thread runtime")
    })
}

/// One request read from the input: method, path and query, content type, body.
struct Call {
    method: &'static str,
    path: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
}

fn parse_call(bytes: &[u8]) -> Option<Call> {
    let (&op, rest) = bytes.split_first()?;
    let (&sel, mut rest) = rest.split_first()?;
    let subject = SUBJECTS[usize::from(sel & 3)];
    let version = VERSIONS[usize::from((sel >> 2) & 7)];
    let query = QUERIES[usize::from(sel >> 5)];
    let mut method = METHODS[usize::from(op & 7)];
    let path = match op >> 5 {
        0 => {
            let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
            let path = String::from_utf8_lossy(&rest[..end]).into_owned();
            rest = rest.get(end + 1..).unwrap_or_default();
            path
        }
        1 => {
            method = "POST";
            format!("/subjects/{subject}/versions{query}")
        }
        2 => {
            method = "POST";
            format!("/subjects/{subject}{query}")
        }
        3 => {
            method = "POST";
            format!("/compatibility/subjects/{subject}/versions/{version}{query}")
        }
        4 => format!("/subjects/{subject}/versions/{version}{query}"),
        5 => format!("/config/{subject}{query}"),
        6 => format!("/mode/{subject}{query}"),
        _ => format!("/schemas/ids/{version}{query}"),
    };
    Some(Call {
        method,
        path,
        content_type: CONTENT_TYPES[usize::from((op >> 3) & 3)],
        body: rest.to_vec(),
    })
}

/// Sends `call`; `None` when it is not a valid HTTP request (hyper would refuse it first).
async fn send(router: &axum::Router, call: &Call) -> Option<(StatusCode, Option<String>, Vec<u8>)> {
    let mut builder = Request::builder()
        .method(Method::from_bytes(call.method.as_bytes()).ok()?)
        .uri(&call.path);
    if let Some(ct) = call.content_type {
        builder = builder.header(header::CONTENT_TYPE, ct);
    }
    let request = builder.body(Body::from(call.body.clone())).ok()?;
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = axum::body::to_bytes(response.into_body(), 16 << 20)
        .await
        .expect("a body under 16 MiB");
    Some((status, content_type, body.to_vec()))
}

/// The properties every answer must have.
fn check_answer(call: &Call, status: StatusCode, content_type: Option<&str>, body: &[u8]) {
    let what = format!("{} {} -> {status}", call.method, call.path);
    assert!(
        !status.is_server_error(),
        "{what}: {}",
        String::from_utf8_lossy(body)
    );
    if call.method == "HEAD" && body.is_empty() {
        return;
    }
    if status.is_success() {
        let route = call.path.split('?').next().unwrap_or_default();
        if !route.ends_with("/schema") {
            // `…/schema` routes answer with the schema text itself.
            serde_json::from_slice::<Value>(body)
                .unwrap_or_else(|e| panic!("{what}: success body is not JSON ({e}): {body:?}"));
        }
        return;
    }
    let error: Value = serde_json::from_slice(body).unwrap_or_else(|e| {
        panic!(
            "{what}: error body is not JSON ({e}), content type {content_type:?}: {:?}",
            String::from_utf8_lossy(body)
        )
    });
    let code = error["error_code"]
        .as_i64()
        .unwrap_or_else(|| panic!("{what}: no error_code in {error}"));
    assert!(
        error["message"].is_string(),
        "{what}: no message in {error}"
    );
    let mut head = code;
    while head >= 1000 {
        head /= 10;
    }
    assert_eq!(
        head,
        i64::from(status.as_u16()),
        "{what}: error_code {code}"
    );
}

/// A successful registration's id is then served by `GET /schemas/ids/{id}`.
async fn check_registered(router: &axum::Router, call: &Call, body: &[u8]) {
    if !(call.method == "POST" && call.path.contains("/versions") && !call.path.contains("compat"))
    {
        return;
    }
    let Ok(answer) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    let Some(id) = answer["id"].as_i64() else {
        return;
    };
    let get = Call {
        method: "GET",
        path: format!("/schemas/ids/{id}"),
        content_type: None,
        body: Vec::new(),
    };
    let (status, _, found) = send(router, &get).await.expect("a valid request");
    assert_eq!(
        status,
        StatusCode::OK,
        "registered id {id} not served: {}",
        String::from_utf8_lossy(&found)
    );
}

fuzz_target!(|data: &[u8]| {
    let Some((&level, rest)) = data.split_first() else {
        return;
    };
    let registry = EmbeddedRegistry::in_memory(LEVELS[usize::from(level & 3)]);
    let router = registry.router();
    runtime().block_on(async {
        for bytes in rest.split(|&b| b == 0xFF).take(8) {
            let Some(call) = parse_call(bytes) else {
                continue;
            };
            let Some((status, content_type, body)) = send(&router, &call).await else {
                continue;
            };
            check_answer(&call, status, content_type.as_deref(), &body);
            if status.is_success() {
                check_registered(&router, &call, &body).await;
            }
        }
    });
});
