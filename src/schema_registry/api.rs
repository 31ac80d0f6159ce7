//! The REST API (axum), compatible with Confluent Schema Registry for what common clients call.
//!
//! Request bodies are read as raw bytes and parsed as JSON whatever the content type
//! (`application/vnd.schemaregistry.v1+json`, `application/vnd.schemaregistry+json`,
//! `application/json`, `application/octet-stream`); answers are
//! `application/vnd.schemaregistry.v1+json`. Boolean query parameters are case-insensitive
//! (Python sends `False`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use serde_json::{Value, json};

use super::EmbeddedRegistry;
use super::api_error::ApiError;
use super::records::Mode;
use super::service::SchemaRequest;
use super::state::StoredSchema;
use crate::registry::SchemaType;

mod schemas;
mod settings;

// The body parsers of `PUT /config` and `PUT /mode`, for the fuzz target.
#[doc(hidden)]
pub use settings::{level_of, mode_of};

/// The content type of every answer.
pub const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

type Reg = State<Arc<EmbeddedRegistry>>;
type Params = Query<HashMap<String, String>>;

/// A version in a path: a number in [1, 2^31-1], or `latest` / `-1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionId {
    Latest,
    Exact(i32),
}

impl std::fmt::Display for VersionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VersionId::Latest => f.write_str("latest"),
            VersionId::Exact(n) => write!(f, "{n}"),
        }
    }
}

impl VersionId {
    /// Parse a path version (42202 when it is none of the allowed forms).
    pub fn parse(text: &str) -> Result<VersionId, ApiError> {
        if text.eq_ignore_ascii_case("latest") || text == "-1" {
            return Ok(VersionId::Latest);
        }
        match text.parse::<i32>() {
            Ok(n) if n >= 1 => Ok(VersionId::Exact(n)),
            _ => Err(ApiError::invalid_version(text)),
        }
    }
}

/// The routes, with Confluent-shaped 404/405 answers for anything else.
pub fn router(registry: Arc<EmbeddedRegistry>) -> Router {
    subject_routes()
        .merge(settings_routes())
        .route("/", get(root).post(root))
        .route("/contexts", get(schemas::contexts))
        .route("/schemas", get(schemas::list_schemas))
        .route("/schemas/types", get(schemas::types))
        .route("/schemas/ids/{id}", get(schemas::get_by_id))
        .route("/schemas/ids/{id}/schema", get(schemas::get_text_by_id))
        .route("/schemas/ids/{id}/versions", get(schemas::versions_by_id))
        .route("/schemas/ids/{id}/subjects", get(schemas::subjects_by_id))
        .fallback(|| async { ApiError::not_found_path() })
        .method_not_allowed_fallback(|| async { ApiError::new(405, "HTTP 405 Method Not Allowed") })
        .layer(axum::middleware::map_response(confluent_errors))
        .with_state(registry)
}

/// axum's own refusals (a path segment that is not UTF-8 once percent-decoded, a body over
/// the size limit, …) are plain text; clients parse Confluent's JSON error shape, so they are
/// rewritten to `{"error_code": <status>, "message": <the text>}`. Our own errors pass as they are.
async fn confluent_errors(response: Response) -> Response {
    let status = response.status();
    let ours = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == CONTENT_TYPE.as_bytes());
    if ours || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let text = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let message = match text.is_empty() {
        true => format!("HTTP {status}"),
        false => text,
    };
    ApiError::new(u32::from(status.as_u16()), message).into_response()
}

fn subject_routes() -> Router<Arc<EmbeddedRegistry>> {
    Router::new()
        .route("/subjects", get(schemas::list_subjects))
        .route(
            "/subjects/{subject}",
            post(schemas::lookup).delete(settings::delete_subject),
        )
        .route(
            "/subjects/{subject}/versions",
            get(schemas::list_versions).post(schemas::register),
        )
        .route(
            "/subjects/{subject}/versions/{version}",
            get(schemas::get_version).delete(settings::delete_version),
        )
        .route(
            "/subjects/{subject}/versions/{version}/schema",
            get(schemas::get_version_schema),
        )
        .route(
            "/subjects/{subject}/versions/{version}/referencedby",
            get(schemas::referenced_by),
        )
        .route(
            "/compatibility/subjects/{subject}/versions",
            post(schemas::check_latest),
        )
        .route(
            "/compatibility/subjects/{subject}/versions/{version}",
            post(schemas::check_version),
        )
}

fn settings_routes() -> Router<Arc<EmbeddedRegistry>> {
    Router::new()
        .route(
            "/config",
            get(settings::get_global_config)
                .put(settings::put_global_config)
                .delete(settings::delete_global_config),
        )
        .route(
            "/config/{subject}",
            get(settings::get_subject_config)
                .put(settings::put_subject_config)
                .delete(settings::delete_subject_config),
        )
        .route(
            "/mode",
            get(settings::get_global_mode).put(settings::put_global_mode),
        )
        .route(
            "/mode/{subject}",
            get(settings::get_subject_mode)
                .put(settings::put_subject_mode)
                .delete(settings::delete_subject_mode),
        )
}

async fn root() -> Response {
    ok(json!({}))
}

/// A JSON answer with the registry content type.
pub fn ok(body: Value) -> Response {
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], body.to_string()).into_response()
}

/// A raw schema text answer (`.../schema` endpoints).
pub fn raw(text: String) -> Response {
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response()
}

/// A boolean query parameter: `true` in any case is true, anything else (or absent) false.
pub fn flag(params: &HashMap<String, String>, name: &str) -> bool {
    params
        .get(name)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Parse a JSON request body whatever its content type.
pub fn body<T: serde::de::DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        if e.is_data() {
            ApiError::new(422, format!("Unprocessable entity: {e}"))
        } else {
            ApiError::bad_request(format!("Malformed JSON body: {e}"))
        }
    })
}

/// A register/lookup/compatibility body.
pub fn schema_body(bytes: &Bytes) -> Result<SchemaRequest, ApiError> {
    body(bytes)
}

/// Confluent's Schema object: `subject`, `version`, `id`, `schemaType` (non-AVRO only),
/// `references` (when any), `schema`.
pub fn schema_object(subject: &str, version: i32, id: i32, schema: &StoredSchema) -> Value {
    let mut out = json!({"subject": subject, "version": version, "id": id});
    add_schema_fields(&mut out, schema);
    out
}

/// Add `schemaType` (non-AVRO only), `references` (when any) and `schema` to `out`.
pub fn add_schema_fields(out: &mut Value, schema: &StoredSchema) {
    let Some(map) = out.as_object_mut() else {
        return;
    };
    if schema.schema_type != SchemaType::Avro {
        map.insert("schemaType".into(), json!(schema.schema_type));
    }
    if !schema.references.is_empty() {
        map.insert("references".into(), json!(schema.references));
    }
    map.insert("schema".into(), json!(schema.schema));
}

/// `{"mode": ...}`.
pub fn mode_object(mode: Mode) -> Value {
    json!({ "mode": mode })
}
