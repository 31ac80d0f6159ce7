//! The embedded Confluent-compatible Schema Registry: state in the `_schemas` topic, reads
//! from memory, REST API compatible with Confluent's.
//!
//! Layout: [`records`] (the `_schemas` byte format), [`state`] (the state and its deterministic
//! apply rules), [`log`] (rskafka partition clients and the tailer), [`topic`] (topic creation),
//! [`service`] (the operations), [`api`] (the axum routes), [`api_error`] (Confluent's envelope),
//! [`avro`]/[`compat`] (Avro parsing and compatibility).
//!
//! Invariants:
//! - the state is only changed by the tailer, which applies `_schemas` in offset order, so every
//!   instance reading the same log ends in the same state (no leader election);
//! - a write first catches up to the log end, proposes records computed from that state,
//!   produces them with acks=all and returns only after the tailer applied them and the state
//!   shows they won; a proposal that lost a race (another instance took the id or version first)
//!   is recomputed. Writes within one instance are serialized by `write_lock`;
//! - writers read the log themselves (on their own connection) up to the log end and up to
//!   their own record, so a write does not wait for the tailer's long poll;
//! - AVRO schemas are canonicalised and compatibility-checked; JSON Schema is only checked to be
//!   well-formed JSON and Protobuf to be non-empty, and neither is compatibility-checked yet.
//!
//! Kafka client: rskafka (pure Rust, tokio-native, no C toolchain, already used by the crate).
//! Its `create_topic` sends no topic configs, so [`topic`] sends the CreateTopics request that
//! sets `cleanup.policy=compact` itself.

use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLockReadGuard};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

pub mod api;
pub mod api_error;
pub mod avro;
pub mod compat;
pub mod log;
pub mod records;
pub mod service;
pub mod state;
pub mod topic;

use api_error::ApiError;
use compat::CompatibilityLevel;
use records::LogRecord;
use state::State;

/// How many times a write whose proposal lost a race is recomputed before giving up.
const MAX_WRITE_ATTEMPTS: usize = 50;

/// Embedded registry settings (`embedded_registry:` section).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmbeddedRegistryConfig {
    /// Run the embedded registry (ignored when `registry.url` names an external one).
    pub enabled: bool,
    /// REST listen address.
    pub listen: String,
    /// The topic holding the registry state.
    pub topic: String,
    /// Brokers holding `topic`; `None` means the proxy's upstream cluster.
    pub bootstrap_servers: Option<Vec<String>>,
    /// Compatibility level used when neither the subject nor the global config sets one.
    pub default_compatibility: CompatibilityLevel,
    /// Replication factor used when creating `topic`.
    pub replication_factor: i16,
    /// Longest a write (or start-up) waits for the broker, in milliseconds.
    pub write_timeout_ms: u64,
    /// SASL credentials for a cluster that requires authentication.
    pub sasl: Option<log::SaslSettings>,
}

impl Default for EmbeddedRegistryConfig {
    fn default() -> Self {
        EmbeddedRegistryConfig {
            enabled: true,
            listen: "127.0.0.1:8081".to_owned(),
            topic: "_schemas".to_owned(),
            bootstrap_servers: None,
            default_compatibility: CompatibilityLevel::Backward,
            replication_factor: 1,
            write_timeout_ms: 10_000,
            sasl: None,
        }
    }
}

impl EmbeddedRegistryConfig {
    /// Every problem with these settings, as readable sentences.
    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.listen.parse::<std::net::SocketAddr>().is_err() {
            problems.push(format!(
                "embedded_registry.listen {:?} is not an address like 127.0.0.1:8081",
                self.listen
            ));
        }
        if self.topic.is_empty() || self.topic.len() > 249 {
            problems.push(format!(
                "embedded_registry.topic {:?} must have 1 to 249 characters",
                self.topic
            ));
        } else if !self
            .topic
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            problems.push(format!(
                "embedded_registry.topic {:?} may only contain letters, digits, '.', '_' and '-'",
                self.topic
            ));
        }
        if self.bootstrap_servers.as_ref().is_some_and(Vec::is_empty) {
            problems.push("embedded_registry.bootstrap_servers is empty".to_owned());
        }
        if self.replication_factor < 1 {
            problems.push(format!(
                "embedded_registry.replication_factor {} must be at least 1",
                self.replication_factor
            ));
        }
        if self.write_timeout_ms == 0 {
            problems.push("embedded_registry.write_timeout_ms must be positive".to_owned());
        }
        problems
    }

    fn write_timeout(&self) -> Duration {
        Duration::from_millis(self.write_timeout_ms.max(1))
    }
}

/// Why the registry could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    #[error("no bootstrap servers for the schemas topic")]
    NoBootstrapServers,
    #[error("creating the schemas topic: {0}")]
    Topic(#[from] topic::TopicError),
    #[error("connecting to the schemas topic {topic}: {source}")]
    Kafka {
        topic: String,
        source: rskafka::client::error::Error,
    },
    #[error("timed out after {0:?} reading the schemas topic to its end")]
    CatchUpTimeout(Duration),
}

/// The embedded registry. Dropping the last handle stops its tailer.
#[derive(Debug)]
pub struct EmbeddedRegistry {
    shared: Arc<log::Shared>,
    writer: log::Writer,
    write_lock: tokio::sync::Mutex<()>,
    default_level: CompatibilityLevel,
    write_timeout: Duration,
    cancel: CancellationToken,
}

impl Drop for EmbeddedRegistry {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

impl EmbeddedRegistry {
    /// Create `_schemas` if missing, rebuild the state from its start, keep tailing it, and
    /// return once the state reflects everything written before the call.
    pub async fn start(
        cfg: &EmbeddedRegistryConfig,
        bootstrap_servers: &[String],
    ) -> Result<Arc<EmbeddedRegistry>, RegistryError> {
        let bootstrap = cfg
            .bootstrap_servers
            .clone()
            .unwrap_or_else(|| bootstrap_servers.to_vec());
        if bootstrap.is_empty() {
            return Err(RegistryError::NoBootstrapServers);
        }
        let timeout = cfg.write_timeout();
        match &cfg.sasl {
            // The hand-made CreateTopics exchange speaks plaintext only; with SASL the topic
            // is created through rskafka, which cannot set configs.
            Some(sasl) => log::ensure_topic(
                &bootstrap,
                &cfg.topic,
                cfg.replication_factor,
                sasl,
                timeout,
            )
            .await
            .map_err(|source| RegistryError::Kafka {
                topic: cfg.topic.clone(),
                source,
            })?,
            None => {
                topic::create_compacted_topic(
                    &bootstrap,
                    &cfg.topic,
                    cfg.replication_factor,
                    timeout,
                )
                .await?
            }
        }
        let kafka = |source| RegistryError::Kafka {
            topic: cfg.topic.clone(),
            source,
        };
        let reader = log::open_partition(&bootstrap, &cfg.topic, cfg.sasl.as_ref(), timeout)
            .await
            .map_err(kafka)?;
        let writer = log::open_partition(&bootstrap, &cfg.topic, cfg.sasl.as_ref(), timeout)
            .await
            .map_err(kafka)?;
        let ready_at = log::end_offset(&writer).await.map_err(kafka)?;
        let shared = Arc::new(log::Shared::default());
        let cancel = CancellationToken::new();
        tokio::spawn(log::tail(
            reader,
            Arc::clone(&shared),
            ready_at,
            cancel.clone(),
        ));
        let registry = Arc::new(EmbeddedRegistry {
            shared,
            writer: log::Writer::Kafka(writer),
            write_lock: tokio::sync::Mutex::new(()),
            default_level: cfg.default_compatibility,
            write_timeout: timeout,
            cancel,
        });
        // Start-up may read a long log; allow it several write timeouts.
        registry
            .wait_applied(ready_at, timeout.saturating_mul(6))
            .await
            .map_err(|_| RegistryError::CatchUpTimeout(timeout.saturating_mul(6)))?;
        Ok(registry)
    }

    /// A registry whose `_schemas` log lives in this process: the same REST API, record
    /// encoding and apply path, without a broker. For tests and fuzzing of the REST layer;
    /// schemagate itself always runs the Kafka-backed one.
    #[doc(hidden)]
    pub fn in_memory(default_level: CompatibilityLevel) -> Arc<EmbeddedRegistry> {
        let shared = Arc::new(log::Shared::default());
        shared.ready.store(true, Ordering::Release);
        Arc::new(EmbeddedRegistry {
            shared,
            writer: log::Writer::Memory(std::sync::Mutex::default()),
            write_lock: tokio::sync::Mutex::new(()),
            default_level,
            write_timeout: Duration::from_secs(5),
            cancel: CancellationToken::new(),
        })
    }

    /// The REST API.
    pub fn router(self: &Arc<Self>) -> axum::Router {
        api::router(Arc::clone(self))
    }

    /// Serve the REST API on `listener` until `shutdown` completes; then stop tailing.
    pub async fn serve(
        self: Arc<Self>,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let cancel = self.cancel.clone();
        let result = axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await;
        cancel.cancel();
        result
    }

    /// Stop tailing `_schemas` (reads keep answering from the last state).
    pub fn stop(&self) {
        self.cancel.cancel();
    }

    /// The current state, for reads.
    pub fn state(&self) -> RwLockReadGuard<'_, State> {
        self.shared.state.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The level used when neither the subject nor the global config sets one.
    pub fn default_level(&self) -> CompatibilityLevel {
        self.default_level
    }

    async fn wait_applied(&self, target: i64, timeout: Duration) -> Result<(), ApiError> {
        let mut rx = self.shared.next_offset.subscribe();
        match tokio::time::timeout(timeout, rx.wait_for(|next| *next >= target)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(_)) => Err(ApiError::store("the schemas log reader stopped")),
            Err(_) => Err(ApiError::timeout(format!(
                "waiting for the schemas log to reach offset {target}"
            ))),
        }
    }

    /// Read the log (on the writer's connection) until every record below `target` is applied.
    async fn read_until(&self, target: i64) -> Result<(), ApiError> {
        tokio::time::timeout(
            self.write_timeout,
            self.writer.read_until(&self.shared, target),
        )
        .await
        .map_err(|_| ApiError::timeout(format!("reading the schemas log up to offset {target}")))?
        .map_err(ApiError::store)
    }

    async fn catch_up(&self) -> Result<(), ApiError> {
        let end = tokio::time::timeout(self.write_timeout, self.writer.end_offset())
            .await
            .map_err(|_| ApiError::timeout("reading the schemas log end offset"))?
            .map_err(ApiError::store)?;
        self.read_until(end).await
    }

    /// Run a write: `plan` sees the caught-up state and proposes records; they are produced and
    /// the write succeeds once the applied state passes the plan's check. Lost races re-plan.
    pub(crate) async fn write<T>(
        &self,
        mut plan: impl FnMut(&State) -> Result<service::Plan<T>, ApiError>,
    ) -> Result<T, ApiError> {
        let _serialized = self.write_lock.lock().await;
        for attempt in 0..MAX_WRITE_ATTEMPTS {
            self.catch_up().await?;
            let planned = plan(&self.state())?;
            let (records, result, won) = match planned {
                service::Plan::Done(result) => return Ok(result),
                service::Plan::Write {
                    records,
                    result,
                    won,
                } => (records, result, won),
            };
            let last = self.produce(&records).await?;
            self.read_until(last + 1).await?;
            if won(&self.state()) {
                return Ok(result);
            }
            tracing::debug!(attempt, "schemas write lost a race; re-planning");
            // Two instances with queued writes otherwise race in lockstep, and the slightly
            // slower one could lose every round.
            tokio::time::sleep(race_jitter(attempt)).await;
        }
        Err(ApiError::store(format!(
            "gave up after {MAX_WRITE_ATTEMPTS} attempts racing other registry instances"
        )))
    }

    async fn produce(&self, records: &[LogRecord]) -> Result<i64, ApiError> {
        tokio::time::timeout(self.write_timeout, self.writer.produce(records))
            .await
            .map_err(|_| ApiError::timeout("producing to the schemas log"))?
            .map_err(ApiError::store)
    }
}

/// A random pause of up to 10 ms per lost attempt (capped at 100 ms).
fn race_jitter(attempt: usize) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let cap_ms = u64::try_from(attempt.saturating_add(1).min(10)).unwrap_or(10) * 10;
    Duration::from_millis(random % cap_ms.max(1))
}

impl crate::registry::LocalRegistry for EmbeddedRegistry {
    fn schema_text(&self, id: i32) -> Option<crate::registry::SchemaText> {
        let state = self.state();
        let schema = state.schema(id)?;
        let references = state.resolve_references(&schema.references).ok()?;
        Some(crate::registry::SchemaText {
            schema_type: schema.schema_type,
            schema: schema.schema.clone(),
            references,
        })
    }

    fn subject_versions_of(&self, id: i32) -> Vec<(String, i32)> {
        self.state().subject_versions_of(id, false)
    }

    fn is_ready(&self) -> bool {
        self.shared.ready.load(Ordering::Acquire) && !self.cancel.is_cancelled()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_defaults_and_validation() {
        let cfg: EmbeddedRegistryConfig = serde_yaml_ng::from_str("{}").unwrap();
        assert_eq!(cfg.listen, "127.0.0.1:8081");
        assert_eq!(cfg.topic, "_schemas");
        assert_eq!(cfg.default_compatibility, CompatibilityLevel::Backward);
        assert!(cfg.validate().is_empty());
        let bad: EmbeddedRegistryConfig = serde_yaml_ng::from_str(
            "{listen: nowhere, topic: 'a b', bootstrap_servers: [], replication_factor: 0, write_timeout_ms: 0}",
        )
        .unwrap();
        assert_eq!(bad.validate().len(), 5);
        assert!(serde_yaml_ng::from_str::<EmbeddedRegistryConfig>("{nope: 1}").is_err());
    }
}
