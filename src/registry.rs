//! Schema lookups for enforcement: the embedded registry in-process, or a Confluent-compatible
//! registry over HTTP, behind a cache ([`CachedRegistry`]).
//!
//! Every lookup answers one of three ways, and callers must keep them apart:
//! - found;
//! - not found (the registry answered and does not know it): the record is rejected;
//! - [`RegistryError`] (the registry could not answer): never a rejection and never a pass,
//!   but a retriable error (fail-closed) or an unchecked pass when configured fail-open.

mod cache;
mod http;

pub use cache::{CachedRegistry, CompiledSchema};
pub use http::HttpRegistry;

use std::path::PathBuf;
use std::sync::Arc;

/// The schema language of a registered schema (`schemaType`; absent means AVRO).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SchemaType {
    Avro,
    Json,
    Protobuf,
}

impl std::fmt::Display for SchemaType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Avro => "AVRO",
            Self::Json => "JSON",
            Self::Protobuf => "PROTOBUF",
        })
    }
}

/// A registered schema as the enforcer needs it: its text plus the texts of every schema it
/// references (transitively, dependencies before dependants), ready to compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaText {
    pub schema_type: SchemaType,
    pub schema: String,
    pub references: Vec<String>,
}

/// Client-side registry settings (`registry:` section).
///
/// ```yaml
/// registry:
///   url: https://sr.example.com:8081   # unset: the embedded registry
///   username: svc                      # basic auth (with password)
///   password: secret
///   bearer_token: eyJ...               # instead of basic auth
///   ca_file: /etc/ssl/sr-ca.pem        # extra trusted root(s), PEM
///   client_cert_file: /etc/ssl/me.pem  # mTLS: certificate chain, PEM
///   client_key_file: /etc/ssl/me.key   # mTLS: its private key, PEM
///   timeout_ms: 5000
///   cache: { max_schemas: 10000, membership_ttl_ms: 300000, negative_ttl_ms: 1000 }
/// ```
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegistryConfig {
    /// External Confluent-compatible registry. When unset, the embedded registry is used.
    pub url: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub bearer_token: Option<String>,
    pub ca_file: Option<PathBuf>,
    pub client_cert_file: Option<PathBuf>,
    pub client_key_file: Option<PathBuf>,
    /// Whole-request timeout for one registry HTTP call.
    pub timeout_ms: u64,
    pub cache: CacheConfig,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        Self {
            url: None,
            username: None,
            password: None,
            bearer_token: None,
            ca_file: None,
            client_cert_file: None,
            client_key_file: None,
            timeout_ms: 5_000,
            cache: CacheConfig::default(),
        }
    }
}

/// Cache bounds and lifetimes (`registry.cache`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheConfig {
    /// Compiled schemas kept (ids are immutable, so entries never expire; LRU-bounded).
    pub max_schemas: u64,
    /// `(subject, id)` pairs kept.
    pub max_memberships: u64,
    /// How long a positive `(subject, id)` membership is trusted (versions can be deleted).
    pub membership_ttl_ms: u64,
    /// How long a "not found" / "not in subject" answer is trusted before asking again.
    pub negative_ttl_ms: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            max_schemas: 10_000,
            max_memberships: 100_000,
            membership_ttl_ms: 300_000,
            negative_ttl_ms: 1_000,
        }
    }
}

/// Secrets are redacted: configurations get logged.
impl std::fmt::Debug for RegistryConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redact = |s: &Option<String>| s.as_ref().map(|_| "<redacted>");
        f.debug_struct("RegistryConfig")
            .field("url", &self.url)
            .field("username", &self.username)
            .field("password", &redact(&self.password))
            .field("bearer_token", &redact(&self.bearer_token))
            .field("ca_file", &self.ca_file)
            .field("client_cert_file", &self.client_cert_file)
            .field("client_key_file", &self.client_key_file)
            .field("timeout_ms", &self.timeout_ms)
            .field("cache", &self.cache)
            .finish()
    }
}

impl RegistryConfig {
    /// Every problem in the section, all at once (empty when valid).
    pub fn validate(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(url) = &self.url
            && reqwest::Url::parse(url).is_err()
        {
            out.push(format!("registry.url: {url:?} is not a URL"));
        }
        if self.username.is_some() != self.password.is_some() {
            out.push("registry: username and password go together".to_owned());
        }
        if self.username.is_some() && self.bearer_token.is_some() {
            out.push("registry: choose basic auth or bearer_token, not both".to_owned());
        }
        if self.client_cert_file.is_some() != self.client_key_file.is_some() {
            out.push("registry: client_cert_file and client_key_file go together".to_owned());
        }
        if self.url.is_none()
            && (self.username.is_some() || self.bearer_token.is_some() || self.ca_file.is_some())
        {
            out.push("registry: credentials and TLS settings need registry.url".to_owned());
        }
        if self.timeout_ms == 0 {
            out.push("registry.timeout_ms: must be greater than 0".to_owned());
        }
        out
    }
}

/// Read access to an in-process registry (the embedded one). Reads come from memory, so the
/// methods are synchronous and cheap.
pub trait LocalRegistry: Send + Sync + std::fmt::Debug {
    /// The schema registered under `id` (soft-deleted versions still resolve, as in Confluent).
    fn schema_text(&self, id: i32) -> Option<SchemaText>;
    /// Every live (not soft-deleted) `(subject, version)` whose schema id is `id`.
    fn subject_versions_of(&self, id: i32) -> Vec<(String, i32)>;
    /// True once the state has been rebuilt from `_schemas` and is being tailed.
    fn is_ready(&self) -> bool;
}

/// The registry could not answer (as opposed to answering "not found").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    #[error("schema registry unavailable: {0}")]
    Unavailable(String),
    #[error("schema registry answered {what} with HTTP {status}: {body}")]
    Status {
        what: String,
        status: u16,
        body: String,
    },
    #[error("schema registry sent an unreadable answer to {what}: {reason}")]
    BadAnswer { what: String, reason: String },
    #[error("registry client configuration: {0}")]
    Config(String),
}

/// Where schemas come from.
#[derive(Debug, Clone)]
pub enum SchemaSource {
    /// The embedded registry, read in-process.
    Embedded(Arc<dyn LocalRegistry>),
    /// A Confluent-compatible registry over HTTP.
    Http(HttpRegistry),
}

impl SchemaSource {
    /// The HTTP source when `registry.url` is set, else the embedded registry (which must
    /// then be given).
    pub fn from_config(
        cfg: &RegistryConfig,
        embedded: Option<Arc<dyn LocalRegistry>>,
    ) -> Result<Self, RegistryError> {
        match (&cfg.url, embedded) {
            (Some(_), _) => HttpRegistry::new(cfg).map(Self::Http),
            (None, Some(local)) => Ok(Self::Embedded(local)),
            (None, None) => Err(RegistryError::Config(
                "no registry.url and no embedded registry running".to_owned(),
            )),
        }
    }

    /// The schema under `id`; `Ok(None)` when the registry does not know it.
    pub async fn schema(&self, id: i32) -> Result<Option<SchemaText>, RegistryError> {
        match self {
            Self::Embedded(local) => {
                ready(local.as_ref())?;
                Ok(local.schema_text(id))
            }
            Self::Http(http) => http.schema(id).await,
        }
    }

    /// Whether schema `id` is a live version of `subject`.
    pub async fn is_member(&self, subject: &str, id: i32) -> Result<bool, RegistryError> {
        match self {
            Self::Embedded(local) => {
                ready(local.as_ref())?;
                Ok(local
                    .subject_versions_of(id)
                    .iter()
                    .any(|(s, _)| s == subject))
            }
            Self::Http(http) => http.is_member(subject, id).await,
        }
    }
}

impl SchemaSource {
    /// The subjects `id` is a live version of (for messages; empty when the registry cannot
    /// list them).
    pub async fn subjects_of(&self, id: i32) -> Result<Vec<String>, RegistryError> {
        match self {
            Self::Embedded(local) => {
                ready(local.as_ref())?;
                Ok(local
                    .subject_versions_of(id)
                    .into_iter()
                    .map(|(s, _)| s)
                    .collect())
            }
            Self::Http(http) => http.subjects_of(id).await,
        }
    }
}

fn ready(local: &dyn LocalRegistry) -> Result<(), RegistryError> {
    if local.is_ready() {
        Ok(())
    } else {
        Err(RegistryError::Unavailable(
            "embedded registry is still loading _schemas".to_owned(),
        ))
    }
}

#[cfg(test)]
mod tests;
