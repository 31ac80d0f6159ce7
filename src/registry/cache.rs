//! The schema cache in front of a [`SchemaSource`].
//!
//! Invariants:
//! - id → compiled schema entries never expire (ids are immutable); the cache is an LRU
//!   bounded by `max_schemas`.
//! - `(subject, id)` memberships are trusted for `membership_ttl_ms` (versions can be deleted).
//! - "Not found" and "not in subject" answers are cached for `negative_ttl_ms` only, so a
//!   rejection is always based on an answer at most that old: a schema registered a moment
//!   ago is accepted as soon as the registry knows it.
//! - Before a cached negative answer becomes a rejection it is re-asked once when it is
//!   older than `negative_ttl_ms` (moka expiry), and concurrent misses for the same key
//!   share one registry call (moka `try_get_with`).
//! - "Unavailable" is never cached.

use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;

use super::{CacheConfig, RegistryError, SchemaSource, SchemaType};
use crate::validate::avro::AvroValidator;

/// A registered schema, compiled once per id.
#[derive(Debug)]
pub struct CompiledSchema {
    pub id: i32,
    pub schema_type: SchemaType,
    /// Full name of the top-level named type (record/enum/fixed) for the record-name
    /// strategies; `None` for unnamed (primitive, union, array, map) or non-Avro schemas.
    pub record_name: Option<String>,
    /// The payload validator, or why the schema could not be compiled into one.
    pub validator: Result<AvroValidator, String>,
}

impl CompiledSchema {
    pub fn compile(id: i32, text: &super::SchemaText) -> Self {
        let (record_name, validator) = match text.schema_type {
            SchemaType::Avro => (
                avro_full_name(&text.schema),
                AvroValidator::compile(&text.schema, &text.references).map_err(|e| e.to_string()),
            ),
            other => (
                None,
                Err(format!(
                    "payload validation of {other} schemas is not supported"
                )),
            ),
        };
        Self {
            id,
            schema_type: text.schema_type,
            record_name,
            validator,
        }
    }
}

/// The full name of an Avro schema's top-level named type.
fn avro_full_name(schema: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(schema).ok()?;
    let name = value.get("name")?.as_str()?;
    if name.contains('.') {
        return Some(name.to_owned());
    }
    match value.get("namespace").and_then(|n| n.as_str()) {
        Some(ns) if !ns.is_empty() => Some(format!("{ns}.{name}")),
        _ => Some(name.to_owned()),
    }
}

/// Why a lookup did not produce a schema.
#[derive(Debug, Clone, thiserror::Error)]
enum Miss {
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Unavailable(#[from] RegistryError),
}

/// Cached, single-flight schema lookups. Cheap to clone.
#[derive(Debug, Clone)]
pub struct CachedRegistry {
    source: SchemaSource,
    schemas: Cache<i32, Arc<CompiledSchema>>,
    missing: Cache<i32, ()>,
    members: Cache<(String, i32), bool>,
    non_members: Cache<(String, i32), ()>,
}

impl CachedRegistry {
    pub fn new(source: SchemaSource, cfg: &CacheConfig) -> Self {
        let negative = Duration::from_millis(cfg.negative_ttl_ms.max(1));
        Self {
            source,
            schemas: Cache::builder().max_capacity(cfg.max_schemas).build(),
            missing: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(negative)
                .build(),
            members: Cache::builder()
                .max_capacity(cfg.max_memberships)
                .time_to_live(Duration::from_millis(cfg.membership_ttl_ms.max(1)))
                .build(),
            non_members: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(negative)
                .build(),
        }
    }

    /// The compiled schema for `id`; `Ok(None)` when the registry does not know it.
    pub async fn schema(&self, id: i32) -> Result<Option<Arc<CompiledSchema>>, RegistryError> {
        if let Some(hit) = self.schemas.get(&id).await {
            metrics::counter!("schemagate_schema_cache_hits_total").increment(1);
            return Ok(Some(hit));
        }
        metrics::counter!("schemagate_schema_cache_misses_total").increment(1);
        if self.missing.contains_key(&id) {
            return Ok(None);
        }
        let source = &self.source;
        let loaded = self
            .schemas
            .try_get_with(id, async move {
                match source.schema(id).await? {
                    Some(text) => Ok(Arc::new(CompiledSchema::compile(id, &text))),
                    None => Err(Miss::NotFound),
                }
            })
            .await;
        match loaded {
            Ok(schema) => Ok(Some(schema)),
            Err(e) => match e.as_ref() {
                Miss::NotFound => {
                    self.missing.insert(id, ()).await;
                    Ok(None)
                }
                Miss::Unavailable(u) => Err(u.clone()),
            },
        }
    }

    /// Whether `id` is a version of `subject`.
    pub async fn is_member(&self, subject: &str, id: i32) -> Result<bool, RegistryError> {
        let key = (subject.to_owned(), id);
        if self.members.get(&key).await == Some(true) {
            metrics::counter!("schemagate_schema_cache_hits_total").increment(1);
            return Ok(true);
        }
        metrics::counter!("schemagate_schema_cache_misses_total").increment(1);
        if self.non_members.contains_key(&key) {
            return Ok(false);
        }
        let source = &self.source;
        let loaded = self
            .members
            .try_get_with(key.clone(), async move {
                match source.is_member(subject, id).await? {
                    true => Ok(true),
                    false => Err(Miss::NotFound),
                }
            })
            .await;
        match loaded {
            Ok(member) => Ok(member),
            Err(e) => match e.as_ref() {
                Miss::NotFound => {
                    self.non_members.insert(key, ()).await;
                    Ok(false)
                }
                Miss::Unavailable(u) => Err(u.clone()),
            },
        }
    }

    /// Cache-only lookup: the compiled schema if it is cached (no registry call, no metrics).
    pub async fn cached_schema(&self, id: i32) -> Option<Arc<CompiledSchema>> {
        self.schemas.get(&id).await
    }

    /// Cache-only lookup: true if `(subject, id)` is a cached positive membership.
    pub async fn cached_member(&self, subject: &str, id: i32) -> bool {
        self.members.get(&(subject.to_owned(), id)).await == Some(true)
    }

    /// The subjects `id` is registered under, uncached: only used to explain a rejection.
    pub async fn subjects_of(&self, id: i32) -> Result<Vec<String>, RegistryError> {
        self.source.subjects_of(id).await
    }

    /// Forget everything (tests and operator-triggered refresh).
    pub fn invalidate_all(&self) {
        self.schemas.invalidate_all();
        self.missing.invalidate_all();
        self.members.invalidate_all();
        self.non_members.invalidate_all();
    }
}
