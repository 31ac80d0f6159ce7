//! Produce enforcement: the contract between a [`crate::session`] and the enforcer.
//!
//! The session hands every Produce request frame (the bytes after the 4-byte length prefix)
//! to [`Enforcer::check`] before forwarding it, and acts on the returned [`ProduceAction`].
//! A schema rejection is a value ([`ProduceAction::Respond`] / [`ProduceAction::Partial`]),
//! never an `Err`; an `Err` means the connection must be closed.
//!
//! Decisions, per partition (partitions are independent, as on a broker):
//! - every checked record passes → the partition is forwarded as its original bytes;
//! - a record is invalid → [`INVALID_RECORD`] (87, not retriable) with, on v8+,
//!   `record_errors` (the record's position in its batch, KIP-467) and an `error_message`
//!   such as `record 3 value: schema id 42 is registered under "payments-value", not
//!   "orders-value"`;
//! - the registry cannot answer → [`REGISTRY_UNAVAILABLE_ERROR`] (retriable) when
//!   fail-closed, forwarded unchecked when fail-open;
//! - v13 topic id the proxy has not seen in Metadata → UNKNOWN_TOPIC_ID (100).
//!
//! Then for the request: nothing refused → [`ProduceAction::Forward`] of the original frame;
//! some refused → [`ProduceAction::Partial`]; all refused (or `reject_scope: request`) →
//! [`ProduceAction::Respond`]. `acks=0` has no response: refused partitions are dropped (the
//! rest forwarded) or the connection is closed. `audit` rules forward and only count.

mod check;
mod decode;
mod prescan;
mod report;
mod response;

pub use check::{Fault, Outcome, Side, framed_schema_id};
pub use response::TopicOrder;

use std::sync::Arc;

use bytes::Bytes;

use crate::policy::{
    Acks0Action, CompiledPolicy, Mode, PolicyConfig, RegistryUnavailable, RejectScope,
};
use crate::registry::{CachedRegistry, RegistryConfig, RegistryError, SchemaSource};
use crate::topology::TopicIds;

/// Kafka INVALID_RECORD: non-retriable; Java fails the batch with InvalidRecordException.
pub const INVALID_RECORD: i16 = 87;
/// Kafka UNKNOWN_TOPIC_ID (KIP-516): the client refreshes metadata and retries.
pub const UNKNOWN_TOPIC_ID: i16 = 100;
/// The error for partitions that could not be checked because the registry did not answer:
/// NOT_ENOUGH_REPLICAS (19). It is the one Produce error that all three client families
/// retry without side effects:
/// - Java: `NotEnoughReplicasException extends RetriableException`, so the Sender retries
///   the batch (and, unlike NOT_LEADER_OR_FOLLOWER or KAFKA_STORAGE_ERROR, it is not an
///   `InvalidMetadataException`, so no metadata refresh storm);
/// - librdkafka `rd_kafka_err_action()` (rdkafka_request.c): NOT_ENOUGH_REPLICAS →
///   `RETRY | MSG_NOT_PERSISTED`. REQUEST_TIMED_OUT (7) is `MSG_POSSIBLY_PERSISTED`, which
///   makes an idempotent producer treat the sequence as uncertain; NOT_LEADER_OR_FOLLOWER
///   (6) is `REFRESH` only; KAFKA_STORAGE_ERROR (56) also refreshes metadata;
/// - kafka-python `errors.py`: `NotEnoughReplicasError.retriable = True` (no
///   `invalid_metadata`), and its Sender retries retriable errors.
///
/// "Not persisted" is also the truth: nothing was written, so an idempotent producer's
/// retry keeps its sequence numbers and nothing is duplicated or lost.
pub const REGISTRY_UNAVAILABLE_ERROR: i16 = 19;

/// What the session knows about a Produce request when it asks the enforcer.
#[derive(Debug, Clone, Copy)]
pub struct ProduceContext<'a> {
    pub api_version: i16,
    pub correlation_id: i32,
    /// Topic-id → name map learned from Metadata responses (Produce v13 names topics by id).
    pub topic_ids: &'a TopicIds,
}

/// What the session must do with a Produce request.
#[derive(Debug)]
pub enum ProduceAction {
    /// Forward these bytes (normally the original frame, untouched) and relay the broker's
    /// response unchanged.
    Forward(Bytes),
    /// Forward `request` (re-encoded without the rejected partitions), then, when the broker's
    /// response arrives, pass it through [`Rejected::merge_into`] before relaying it.
    Partial { request: Bytes, rejected: Rejected },
    /// Answer locally with this complete response frame body (response header + body, without
    /// the length prefix); nothing is forwarded. The session must still emit it in order.
    Respond(Bytes),
    /// `acks=0` request with rejected records: forward nothing, send nothing.
    Drop,
    /// Close the client connection (policy for `acks=0` rejections), with a reason to log.
    Close(String),
}

/// Partitions the enforcer refused, to merge into the broker's response to the rest.
#[derive(Debug, Default)]
pub struct Rejected {
    /// Opaque to the session; the enforcer fills it.
    pub(crate) partitions: Vec<RejectedPartition>,
    /// Every topic and partition of the client's request, in its order.
    pub(crate) order: Vec<TopicOrder>,
    pub(crate) api_version: i16,
}

/// One refused partition of a Produce request.
#[derive(Debug, Clone)]
pub struct RejectedPartition {
    pub topic: String,
    pub topic_id: Option<uuid::Uuid>,
    pub partition: i32,
    pub error_code: i16,
    pub error_message: String,
    /// (batch-relative record index, message) for Produce v8+ `record_errors`.
    pub record_errors: Vec<(i32, String)>,
}

/// Errors that close the connection (not schema rejections).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProduceError {
    #[error("cannot decode Produce v{version} request: {reason}")]
    Decode { version: i16, reason: String },
    #[error("cannot encode Produce v{version} {what}: {reason}")]
    Encode {
        version: i16,
        what: &'static str,
        reason: String,
    },
}

/// The enforcer could not be built from its configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnforcerError {
    #[error("invalid policy: {}", .0.join("; "))]
    Policy(Vec<String>),
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

impl Rejected {
    /// Merge the refused partitions into the broker's response frame body (response header +
    /// ProduceResponse) for a request of `api_version`, keeping the client's topic order.
    pub fn merge_into(
        &self,
        broker_response: Bytes,
        api_version: i16,
    ) -> Result<Bytes, ProduceError> {
        if self.partitions.is_empty() {
            return Ok(broker_response);
        }
        if api_version != self.api_version {
            return Err(ProduceError::Decode {
                version: api_version,
                reason: format!("response for a v{} request", self.api_version),
            });
        }
        response::merge(self, broker_response)
    }

    /// The refused partitions.
    pub fn partitions(&self) -> &[RejectedPartition] {
        &self.partitions
    }
}

/// The Produce enforcer. Cheap to clone (shared state behind `Arc`s).
/// `Enforcer::default()` has no rules and forwards everything untouched.
#[derive(Debug, Clone, Default)]
pub struct Enforcer {
    inner: Option<Arc<Inner>>,
}

#[derive(Debug)]
struct Inner {
    rules: CompiledPolicy,
    reject_scope: RejectScope,
    acks0: Acks0Action,
    registry_unavailable: RegistryUnavailable,
    max_decompressed: usize,
    registry: CachedRegistry,
    logs: report::LogLimiter,
}

impl Enforcer {
    /// An enforcer applying `policy` with schemas from `source`, cached per `registry_cfg`.
    pub fn new(
        policy: PolicyConfig,
        source: SchemaSource,
        registry_cfg: &RegistryConfig,
    ) -> Result<Enforcer, EnforcerError> {
        let rules = policy.compile().map_err(EnforcerError::Policy)?;
        let inner = Inner {
            rules,
            reject_scope: policy.reject_scope,
            acks0: policy.acks0,
            registry_unavailable: policy.registry_unavailable,
            max_decompressed: policy.max_decompressed_bytes,
            registry: CachedRegistry::new(source, &registry_cfg.cache),
            logs: report::LogLimiter::default(),
        };
        Ok(Enforcer {
            inner: Some(Arc::new(inner)),
        })
    }

    /// Decide what to do with one Produce request frame (header + body, no length prefix).
    pub async fn check(
        &self,
        ctx: ProduceContext<'_>,
        frame: Bytes,
    ) -> Result<ProduceAction, ProduceError> {
        match &self.inner {
            Some(inner) if !inner.rules.is_inert() => inner.check(ctx, frame).await,
            _ => Ok(ProduceAction::Forward(frame)),
        }
    }
}

/// The verdict on one partition of the request, by (topic index, partition index).
struct Verdict {
    topic: usize,
    partition: usize,
    refusal: Option<RejectedPartition>,
}

impl Inner {
    async fn check(
        &self,
        ctx: ProduceContext<'_>,
        frame: Bytes,
    ) -> Result<ProduceAction, ProduceError> {
        let request = decode::decode_request(&frame, ctx.api_version)?;
        let version = request.version;
        let mut checker = check::Checker::new(&self.registry, self.max_decompressed);
        let mut verdicts = Vec::new();
        let mut order = Vec::with_capacity(request.body.topic_data.len());
        for (ti, topic) in request.body.topic_data.iter().enumerate() {
            let id = topic.topic_id;
            let name = if version >= 13 {
                ctx.topic_ids.name_of(&id)
            } else {
                Some(topic.name.0.to_string())
            };
            order.push(TopicOrder {
                name: name.clone().unwrap_or_default(),
                topic_id: id,
                partitions: topic.partition_data.iter().map(|p| p.index).collect(),
            });
            for (pi, p) in topic.partition_data.iter().enumerate() {
                let refusal = match &name {
                    None => Some(self.unknown_topic_id(id, p.index)),
                    Some(name) => {
                        let records = p.records.as_deref().unwrap_or_default();
                        self.check_partition(&mut checker, name, id, p.index, records)
                            .await
                    }
                };
                verdicts.push(Verdict {
                    topic: ti,
                    partition: pi,
                    refusal,
                });
            }
        }
        self.decide(&request, frame, verdicts, order)
    }

    fn unknown_topic_id(&self, id: uuid::Uuid, partition: i32) -> RejectedPartition {
        RejectedPartition {
            topic: String::new(),
            topic_id: Some(id),
            partition,
            error_code: UNKNOWN_TOPIC_ID,
            error_message: format!("topic id {id} is not known to the proxy yet"),
            record_errors: Vec::new(),
        }
    }

    /// Check one partition; `Some` when it must be refused.
    async fn check_partition(
        &self,
        checker: &mut check::Checker<'_>,
        topic: &str,
        topic_id: uuid::Uuid,
        partition: i32,
        records: &[u8],
    ) -> Option<RejectedPartition> {
        let rule = self.rules.rule_for(topic)?;
        if rule.is_inert() {
            return None;
        }
        let outcome = checker.check_partition(topic, rule, records).await;
        report::record(&self.logs, topic, partition, rule.mode, &outcome);
        let refuse = |error_code, error_message, record_errors| RejectedPartition {
            topic: topic.to_owned(),
            topic_id: (!topic_id.is_nil()).then_some(topic_id),
            partition,
            error_code,
            error_message,
            record_errors,
        };
        match outcome {
            Outcome::Accepted { .. } => None,
            _ if rule.mode == Mode::Audit => None,
            Outcome::Invalid {
                record_errors,
                message,
                ..
            } => Some(refuse(INVALID_RECORD, message, record_errors)),
            Outcome::Unavailable { .. }
                if self.registry_unavailable == RegistryUnavailable::FailOpen =>
            {
                None
            }
            Outcome::Unavailable { message } => {
                Some(refuse(REGISTRY_UNAVAILABLE_ERROR, message, Vec::new()))
            }
        }
    }

    fn decide(
        &self,
        request: &decode::DecodedRequest,
        frame: Bytes,
        mut verdicts: Vec<Verdict>,
        order: Vec<TopicOrder>,
    ) -> Result<ProduceAction, ProduceError> {
        let refused = verdicts.iter().filter(|v| v.refusal.is_some()).count();
        if refused == 0 {
            return Ok(ProduceAction::Forward(frame));
        }
        if request.body.acks == 0 {
            return self.decide_acks0(request, &verdicts, refused);
        }
        if self.reject_scope == RejectScope::Request {
            widen_to_request(request, &mut verdicts);
        }
        let all = refused == verdicts.len() || self.reject_scope == RejectScope::Request;
        let kept = accepted_set(&verdicts);
        let keep = |ti: usize, pi: usize| kept.contains(&(ti, pi));
        let request_bytes = if all {
            None
        } else {
            Some(decode::encode_request_keeping(request, keep)?)
        };
        let rejected = Rejected {
            partitions: verdicts.into_iter().filter_map(|v| v.refusal).collect(),
            order,
            api_version: request.version,
        };
        match request_bytes {
            None => Ok(ProduceAction::Respond(response::full_response(
                &rejected,
                request.header.correlation_id,
            )?)),
            Some(request) => Ok(ProduceAction::Partial { request, rejected }),
        }
    }

    fn decide_acks0(
        &self,
        request: &decode::DecodedRequest,
        verdicts: &[Verdict],
        refused: usize,
    ) -> Result<ProduceAction, ProduceError> {
        metrics::counter!("schemagate_acks0_dropped_partitions_total").increment(refused as u64);
        if self.acks0 == Acks0Action::Close {
            return Ok(ProduceAction::Close(format!(
                "acks=0 produce request with {refused} refused partition(s)"
            )));
        }
        if refused == verdicts.len() {
            return Ok(ProduceAction::Drop);
        }
        let kept = accepted_set(verdicts);
        let keep = |ti: usize, pi: usize| kept.contains(&(ti, pi));
        // No response will come, so the trimmed request can be forwarded as-is.
        Ok(ProduceAction::Forward(decode::encode_request_keeping(
            request, keep,
        )?))
    }
}

/// (topic index, partition index) of every partition that is not refused.
fn accepted_set(verdicts: &[Verdict]) -> std::collections::HashSet<(usize, usize)> {
    verdicts
        .iter()
        .filter(|v| v.refusal.is_none())
        .map(|v| (v.topic, v.partition))
        .collect()
}

/// `reject_scope: request`: every partition fails. Partitions that passed get the error of
/// the request (INVALID_RECORD, or the retriable code when the only problem is the registry).
fn widen_to_request(request: &decode::DecodedRequest, verdicts: &mut [Verdict]) {
    let any_invalid = verdicts.iter().any(|v| {
        v.refusal
            .as_ref()
            .is_some_and(|r| r.error_code == INVALID_RECORD)
    });
    let (code, message) = if any_invalid {
        (
            INVALID_RECORD,
            "not written: another partition of this request has invalid records (reject_scope: request)",
        )
    } else {
        (
            REGISTRY_UNAVAILABLE_ERROR,
            "not written: another partition of this request could not be checked (reject_scope: request)",
        )
    };
    for v in verdicts.iter_mut().filter(|v| v.refusal.is_none()) {
        let Some(topic) = request.body.topic_data.get(v.topic) else {
            continue;
        };
        let Some(p) = topic.partition_data.get(v.partition) else {
            continue;
        };
        v.refusal = Some(RejectedPartition {
            topic: topic.name.0.to_string(),
            topic_id: (!topic.topic_id.is_nil()).then_some(topic.topic_id),
            partition: p.index,
            error_code: code,
            error_message: message.to_owned(),
            record_errors: Vec::new(),
        });
    }
}

#[cfg(test)]
mod tests;
