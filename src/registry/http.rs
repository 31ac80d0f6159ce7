//! Confluent Schema Registry REST client (also Karapace, Redpanda, Apicurio's ccompat API).
//!
//! Endpoints used:
//! - `GET /schemas/ids/{id}`: the schema (404 → not found);
//! - `GET /subjects/{subject}/versions/{version}`: each reference, resolved transitively;
//! - `GET /schemas/ids/{id}/versions`: the `(subject, version)` pairs of an id. Where a
//!   registry lacks it (404 without error code 40403, or 405), membership falls back to
//!   `GET /subjects/{subject}/versions` and `GET /subjects/{subject}/versions/{v}`.
//!
//! Any transport error, timeout, 5xx, 401/403, 404 without error code 40403, or unreadable
//! body is [`RegistryError`] (unavailable), never "not found".

use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode, Url};
use serde::Deserialize;

use super::{RegistryConfig, RegistryError, SchemaText, SchemaType};

/// Confluent's error code for "schema not found" (the id is unknown).
const SCHEMA_NOT_FOUND: i64 = 40403;
/// References deeper or more numerous than this are refused (they would be a cycle or abuse).
const MAX_REFERENCES: usize = 256;
/// Versions of one subject inspected by the membership fallback.
const MAX_FALLBACK_VERSIONS: usize = 1_000;

#[derive(Clone)]
enum Auth {
    None,
    Basic { username: String, password: String },
    Bearer(String),
}

/// Secrets are redacted: the registry client ends up in `Debug` output.
impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Basic { username, .. } => write!(f, "Basic({username}, <redacted>)"),
            Self::Bearer(_) => f.write_str("Bearer(<redacted>)"),
        }
    }
}

/// A Confluent-compatible registry reached over HTTP(S). Cheap to clone.
#[derive(Debug, Clone)]
pub struct HttpRegistry {
    client: Client,
    base: Url,
    auth: Auth,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SchemaBody {
    schema: String,
    #[serde(default)]
    schema_type: Option<SchemaType>,
    #[serde(default)]
    references: Vec<Reference>,
    #[serde(default)]
    id: Option<i32>,
}

#[derive(Debug, Deserialize)]
struct Reference {
    subject: String,
    version: i32,
}

#[derive(Debug, Deserialize)]
struct SubjectVersion {
    subject: String,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    error_code: i64,
}

/// A response the caller must interpret: status and body.
struct Answer {
    status: StatusCode,
    body: bytes::Bytes,
}

impl HttpRegistry {
    pub fn new(cfg: &RegistryConfig) -> Result<Self, RegistryError> {
        let url = cfg.url.as_deref().unwrap_or_default();
        let base = Url::parse(url)
            .map_err(|e| RegistryError::Config(format!("registry.url {url:?}: {e}")))?;
        let mut builder = Client::builder().timeout(Duration::from_millis(cfg.timeout_ms));
        if let Some(ca) = &cfg.ca_file {
            let pem = read(ca)?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| RegistryError::Config(format!("{}: {e}", ca.display())))?;
            if certs.is_empty() {
                let path = ca.display();
                return Err(RegistryError::Config(format!(
                    "{path}: no PEM certificate found"
                )));
            }
            builder = builder.tls_certs_merge(certs);
        }
        if let (Some(cert), Some(key)) = (&cfg.client_cert_file, &cfg.client_key_file) {
            let mut pem = read(cert)?;
            pem.push(b'\n');
            pem.extend(read(key)?);
            let identity = reqwest::Identity::from_pem(&pem)
                .map_err(|e| RegistryError::Config(format!("client certificate: {e}")))?;
            builder = builder.identity(identity);
        }
        let client = builder
            .build()
            .map_err(|e| RegistryError::Config(e.to_string()))?;
        let auth = match (&cfg.username, &cfg.password, &cfg.bearer_token) {
            (Some(u), Some(p), _) => Auth::Basic {
                username: u.clone(),
                password: p.clone(),
            },
            (_, _, Some(t)) => Auth::Bearer(t.clone()),
            _ => Auth::None,
        };
        Ok(Self { client, base, auth })
    }

    fn url(&self, segments: &[&str]) -> Result<Url, RegistryError> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| RegistryError::Config(format!("registry.url {} has no path", self.base)))?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    /// One GET with metrics; transport failures are [`RegistryError::Unavailable`].
    async fn get(
        &self,
        endpoint: &'static str,
        segments: &[&str],
    ) -> Result<Answer, RegistryError> {
        let url = self.url(segments)?;
        let mut request = self.client.get(url).header("accept", "application/json");
        request = match &self.auth {
            Auth::None => request,
            Auth::Basic { username, password } => request.basic_auth(username, Some(password)),
            Auth::Bearer(token) => request.bearer_auth(token),
        };
        let started = Instant::now();
        metrics::counter!("schemagate_registry_requests_total", "endpoint" => endpoint)
            .increment(1);
        let result = async {
            let response = request.send().await?;
            let status = response.status();
            Ok::<_, reqwest::Error>(Answer {
                status,
                body: response.bytes().await?,
            })
        }
        .await;
        metrics::histogram!("schemagate_registry_request_seconds", "endpoint" => endpoint)
            .record(started.elapsed().as_secs_f64());
        let answer = result.map_err(|e| {
            metrics::counter!("schemagate_registry_errors_total", "endpoint" => endpoint, "kind" => "transport")
                .increment(1);
            RegistryError::Unavailable(format!("{endpoint}: {e}"))
        })?;
        if answer.status.is_server_error()
            || answer.status == StatusCode::UNAUTHORIZED
            || answer.status == StatusCode::FORBIDDEN
        {
            metrics::counter!("schemagate_registry_errors_total", "endpoint" => endpoint, "kind" => "status")
                .increment(1);
            return Err(status_error(endpoint, &answer));
        }
        Ok(answer)
    }

    /// `GET /schemas/ids/{id}` plus its references.
    pub async fn schema(&self, id: i32) -> Result<Option<SchemaText>, RegistryError> {
        let id_text = id.to_string();
        let answer = self
            .get("schemas_by_id", &["schemas", "ids", &id_text])
            .await?;
        // Only Confluent's "schema not found" means the id is unknown. A bare 404 is a wrong
        // `registry.url` (or a proxy in the way): rejecting every record as "not registered"
        // would be a non-retriable verdict on a configuration error.
        if answer.status == StatusCode::NOT_FOUND && error_code(&answer) == Some(SCHEMA_NOT_FOUND) {
            return Ok(None);
        }
        let body: SchemaBody = parse("schemas_by_id", &answer)?;
        let mut references = Vec::new();
        let mut seen = Vec::new();
        for r in &body.references {
            self.resolve(r, &mut references, &mut seen, 0).await?;
        }
        Ok(Some(SchemaText {
            schema_type: body.schema_type.unwrap_or(SchemaType::Avro),
            schema: body.schema,
            references,
        }))
    }

    /// Depth-first, dependencies before dependants, each `(subject, version)` once.
    async fn resolve(
        &self,
        r: &Reference,
        out: &mut Vec<String>,
        seen: &mut Vec<(String, i32)>,
        depth: usize,
    ) -> Result<(), RegistryError> {
        let key = (r.subject.clone(), r.version);
        if seen.contains(&key) {
            return Ok(());
        }
        if depth > MAX_REFERENCES || seen.len() >= MAX_REFERENCES {
            return Err(bad(
                "references",
                format!("more than {MAX_REFERENCES} references"),
            ));
        }
        seen.push(key);
        let version = r.version.to_string();
        let answer = self
            .get(
                "subject_version",
                &["subjects", &r.subject, "versions", &version],
            )
            .await?;
        if answer.status == StatusCode::NOT_FOUND {
            // A dangling reference: the registry cannot give a complete schema right now.
            return Err(status_error("subject_version", &answer));
        }
        let body: SchemaBody = parse("subject_version", &answer)?;
        for inner in &body.references {
            Box::pin(self.resolve(inner, out, seen, depth + 1)).await?;
        }
        out.push(body.schema);
        Ok(())
    }

    /// Whether `id` is a version of `subject`.
    pub async fn is_member(&self, subject: &str, id: i32) -> Result<bool, RegistryError> {
        let id_text = id.to_string();
        let answer = self
            .get("id_versions", &["schemas", "ids", &id_text, "versions"])
            .await?;
        let unsupported = answer.status == StatusCode::METHOD_NOT_ALLOWED
            || (answer.status == StatusCode::NOT_FOUND
                && error_code(&answer) != Some(SCHEMA_NOT_FOUND));
        if unsupported {
            return self.is_member_by_subject(subject, id).await;
        }
        if answer.status == StatusCode::NOT_FOUND {
            return Ok(false);
        }
        let pairs: Vec<SubjectVersion> = parse("id_versions", &answer)?;
        Ok(pairs.iter().any(|p| p.subject == subject))
    }

    /// The subjects `id` belongs to; empty when the registry lacks the endpoint.
    pub async fn subjects_of(&self, id: i32) -> Result<Vec<String>, RegistryError> {
        let id_text = id.to_string();
        let answer = self
            .get("id_versions", &["schemas", "ids", &id_text, "versions"])
            .await?;
        if !answer.status.is_success() {
            return Ok(Vec::new());
        }
        let pairs: Vec<SubjectVersion> = parse("id_versions", &answer)?;
        Ok(pairs.into_iter().map(|p| p.subject).collect())
    }

    /// Fallback: walk the subject's versions, newest first, looking for `id`.
    async fn is_member_by_subject(&self, subject: &str, id: i32) -> Result<bool, RegistryError> {
        let answer = self
            .get("subject_versions", &["subjects", subject, "versions"])
            .await?;
        if answer.status == StatusCode::NOT_FOUND {
            return Ok(false);
        }
        let versions: Vec<i32> = parse("subject_versions", &answer)?;
        for v in versions.iter().rev().take(MAX_FALLBACK_VERSIONS) {
            let version = v.to_string();
            let answer = self
                .get(
                    "subject_version",
                    &["subjects", subject, "versions", &version],
                )
                .await?;
            if answer.status == StatusCode::NOT_FOUND {
                continue; // deleted between the two calls
            }
            let body: SchemaBody = parse("subject_version", &answer)?;
            if body.id == Some(id) {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

fn read(path: &std::path::Path) -> Result<Vec<u8>, RegistryError> {
    std::fs::read(path).map_err(|e| RegistryError::Config(format!("{}: {e}", path.display())))
}

fn bad(what: &str, reason: String) -> RegistryError {
    RegistryError::BadAnswer {
        what: what.to_owned(),
        reason,
    }
}

fn error_code(answer: &Answer) -> Option<i64> {
    serde_json::from_slice::<ErrorBody>(&answer.body)
        .ok()
        .map(|b| b.error_code)
}

fn status_error(what: &str, answer: &Answer) -> RegistryError {
    let body = String::from_utf8_lossy(answer.body.get(..200).unwrap_or(&answer.body)).into_owned();
    RegistryError::Status {
        what: what.to_owned(),
        status: answer.status.as_u16(),
        body,
    }
}

fn parse<T: serde::de::DeserializeOwned>(what: &str, answer: &Answer) -> Result<T, RegistryError> {
    if !answer.status.is_success() {
        return Err(status_error(what, answer));
    }
    serde_json::from_slice(&answer.body).map_err(|e| bad(what, e.to_string()))
}
