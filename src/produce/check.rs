//! Checking the records of one partition against its rule.
//!
//! Invariants:
//! - Records are read in place ([`crate::records`]); nothing is re-encoded or copied except
//!   compressed sections, inflated into a scratch buffer reused across batches.
//! - Every check except `payload` depends only on (key|value, schema id) within a partition,
//!   so its outcome is memoised per partition: a batch of 1,000 records with one schema id
//!   costs one cache lookup, not 1,000.
//! - A registry that cannot answer never rejects and never accepts: it makes the partition
//!   [`Outcome::Unavailable`], unless a record is definitely invalid (which wins).

use std::sync::Arc;

use crate::policy::{Level, PartRule, RuleBody, SubjectStrategy};
use crate::records::{BatchIter, RecordsError};
use crate::registry::{CachedRegistry, CompiledSchema, RegistryError};

/// Confluent framing: magic byte 0x00 then a big-endian 4-byte schema id.
const HEADER_LEN: usize = 5;
/// At most this many `record_errors` are reported per partition (bounds the response).
const MAX_RECORD_ERRORS: usize = 1_000;
/// At most this many distinct (side, id) verdicts are memoised per partition.
const MAX_MEMO: usize = 64;

/// Which half of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Key,
    Value,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Key => "key",
            Self::Value => "value",
        }
    }
}

/// Why one key or value failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Definitely invalid: `reason` is a metric label, `detail` the human message.
    Invalid {
        reason: &'static str,
        detail: String,
    },
    /// The registry could not answer.
    Unavailable(String),
}

fn invalid(reason: &'static str, detail: String) -> Fault {
    Fault::Invalid { reason, detail }
}

/// The verdict on one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every checked key/value passed (`checked` counts keys and values, for metrics).
    Accepted { checked: [u64; 2] },
    /// At least one record is invalid. `record_errors` holds (batch index, detail);
    /// `message` is the partition's `error_message`; `reason` is the first fault's label;
    /// `counts` counts invalid keys/values per (side, reason) (empty when a whole batch was
    /// unreadable).
    Invalid {
        record_errors: Vec<(i32, String)>,
        message: String,
        reason: &'static str,
        counts: Vec<(Side, &'static str, u64)>,
    },
    /// Some record could not be checked because the registry did not answer.
    Unavailable { message: String },
}

/// Per-request state shared by the partitions of one Produce request.
pub struct Checker<'a> {
    pub registry: &'a CachedRegistry,
    pub max_decompressed: usize,
    /// Set once the registry failed during this request: later lookups fail fast instead of
    /// waiting for the same timeout again.
    pub registry_down: Option<String>,
    scratch: Vec<u8>,
}

/// What one partition's records added up to so far.
#[derive(Default)]
struct Tally {
    /// Records in the partition's earlier batches: indices count across the partition, so
    /// a record in a second batch is not confused with the first batch's record 0 (clients
    /// send one batch per partition, where this equals KIP-467's `batch_index`).
    base: i32,
    errors: Vec<(i32, String)>,
    counts: Vec<(Side, &'static str, u64)>,
    checked: [u64; 2],
    first_reason: Option<&'static str>,
    unavailable: Option<String>,
    memo: Vec<Memo>,
}

impl Tally {
    fn invalid(&mut self, index: i32, side: Side, reason: &'static str, detail: &str) {
        self.first_reason.get_or_insert(reason);
        match self
            .counts
            .iter_mut()
            .find(|(s, r, _)| *s == side && *r == reason)
        {
            Some((_, _, n)) => *n += 1,
            None => self.counts.push((side, reason, 1)),
        }
        if self.errors.len() < MAX_RECORD_ERRORS {
            let text = format!("record {index} {}: {detail}", side.as_str());
            self.errors.push((index, text));
        }
    }

    fn into_outcome(self) -> Outcome {
        match (self.first_reason, self.unavailable) {
            (Some(reason), _) => Outcome::Invalid {
                message: summary(&self.errors, &self.counts),
                record_errors: self.errors,
                reason,
                counts: self.counts,
            },
            (None, Some(message)) => Outcome::Unavailable { message },
            (None, None) => Outcome::Accepted {
                checked: self.checked,
            },
        }
    }
}

/// What is known about one schema id on one side within a partition.
struct Memo {
    side: Side,
    id: i32,
    schema: Option<Arc<CompiledSchema>>,
    fault: Option<Fault>,
}

impl<'a> Checker<'a> {
    /// `scratch` is a (possibly recycled) buffer for decompressed record sections.
    pub fn new(registry: &'a CachedRegistry, max_decompressed: usize, scratch: Vec<u8>) -> Self {
        Self {
            registry,
            max_decompressed,
            registry_down: None,
            scratch,
        }
    }

    /// The scratch buffer, to recycle for a later request.
    pub fn into_scratch(self) -> Vec<u8> {
        self.scratch
    }

    /// Check every record of one partition's `records` bytes against `rule`.
    pub async fn check_partition(
        &mut self,
        topic: &str,
        rule: &RuleBody,
        records: &[u8],
    ) -> Outcome {
        let mut tally = Tally::default();
        let mut scratch = std::mem::take(&mut self.scratch);
        let mut failed = None;
        for batch in BatchIter::new(records) {
            let checked = match batch {
                Ok(batch) => {
                    self.check_batch(topic, rule, batch, &mut scratch, &mut tally)
                        .await
                }
                Err(e) => Err(e),
            };
            if let Err(e) = checked {
                failed = Some(e);
                break;
            }
        }
        self.scratch = scratch;
        match failed {
            Some(e) => batch_outcome(&e, tally.errors),
            None => tally.into_outcome(),
        }
    }

    async fn check_batch(
        &mut self,
        topic: &str,
        rule: &RuleBody,
        batch: crate::records::Batch<'_>,
        scratch: &mut Vec<u8>,
        tally: &mut Tally,
    ) -> Result<(), RecordsError> {
        if batch.header.is_control() {
            // Transaction markers come from the coordinator (WriteTxnMarkers), never from a
            // producer; a control bit on a client batch would otherwise skip every check.
            return Err(RecordsError::ControlBatch { at: batch.position });
        }
        let section = batch.records_section(scratch, self.max_decompressed)?;
        let mut read = 0i32;
        for record in batch.records(section)? {
            let record = record?;
            read = read.saturating_add(1);
            let index = tally.base.saturating_add(record.index);
            let sides = [
                (Side::Key, &rule.key, record.key),
                (Side::Value, &rule.value, record.value),
            ];
            for (side, part, data) in sides {
                if part.level == Level::None {
                    continue;
                }
                tally.checked[side as usize] += 1;
                match self
                    .check_one(topic, side, part, data, &mut tally.memo)
                    .await
                {
                    Ok(()) => {}
                    Err(Fault::Unavailable(m)) => {
                        tally.unavailable.get_or_insert(m);
                    }
                    Err(Fault::Invalid { reason, detail }) => {
                        tally.invalid(index, side, reason, &detail);
                        break; // one error per record: the value is not checked after a bad key
                    }
                }
            }
        }
        tally.base = tally.base.saturating_add(read);
        Ok(())
    }

    /// Check one key or value at its rule's level.
    async fn check_one(
        &mut self,
        topic: &str,
        side: Side,
        part: &PartRule,
        data: Option<&[u8]>,
        memo: &mut Vec<Memo>,
    ) -> Result<(), Fault> {
        let Some(data) = data else {
            return if part.allow_null {
                Ok(())
            } else {
                Err(invalid(
                    "null",
                    format!("null {} is not allowed", side.as_str()),
                ))
            };
        };
        let id = framed_schema_id(data)?;
        if part.level == Level::WireFormat {
            return Ok(());
        }
        let schema = match memo.iter().find(|m| m.side == side && m.id == id) {
            Some(m) => match &m.fault {
                Some(f) => return Err(f.clone()),
                None => m.schema.clone(),
            },
            None => {
                let (schema, fault) = match self.resolve(topic, side, part, id).await {
                    Ok(s) => (Some(s), None),
                    Err(f) => (None, Some(f)),
                };
                if memo.len() < MAX_MEMO {
                    memo.push(Memo {
                        side,
                        id,
                        schema: schema.clone(),
                        fault: fault.clone(),
                    });
                }
                if let Some(f) = fault {
                    return Err(f);
                }
                schema
            }
        };
        if part.level < Level::Payload {
            return Ok(());
        }
        let Some(schema) = schema else { return Ok(()) };
        check_payload(&schema, data.get(HEADER_LEN..).unwrap_or_default())
    }

    /// The `registered` and `subject` checks for one id (everything but the payload).
    async fn resolve(
        &mut self,
        topic: &str,
        side: Side,
        part: &PartRule,
        id: i32,
    ) -> Result<Arc<CompiledSchema>, Fault> {
        if let Some(down) = &self.registry_down {
            // Registry already failed in this request: answer from the cache or fail fast
            // rather than wait for the same timeout again.
            let cached = self.resolve_cached(topic, side, part, id).await;
            return cached.ok_or_else(|| Fault::Unavailable(down.clone()));
        }
        let (schema, early_member) = self.lookup(topic, side, part, id).await;
        let schema = match schema {
            Ok(Some(s)) => s,
            Ok(None) => {
                return Err(invalid(
                    "unknown_schema_id",
                    format!("schema id {id} is not registered"),
                ));
            }
            Err(e) => return Err(self.down(e)),
        };
        if part.level < Level::Subject {
            return Ok(schema);
        }
        let subject = subject_name(topic, side, part.subject_strategy, &schema)?;
        let member = match early_member {
            Some(member) => member,
            None => self.registry.is_member(&subject, id).await,
        };
        match member {
            Ok(true) => Ok(schema),
            Ok(false) => Err(self.not_in_subject(id, &subject).await),
            Err(e) => Err(self.down(e)),
        }
    }

    /// The schema of `id` and, when the subject is known without it (topic name strategy at
    /// subject level or above), whether `id` belongs to it. Both lookups then go out
    /// together, so a cold cache behind a distant registry waits one round trip, not two.
    async fn lookup(
        &self,
        topic: &str,
        side: Side,
        part: &PartRule,
        id: i32,
    ) -> (
        Result<Option<Arc<CompiledSchema>>, RegistryError>,
        Option<Result<bool, RegistryError>>,
    ) {
        if part.level < Level::Subject || part.subject_strategy != SubjectStrategy::TopicName {
            return (self.registry.schema(id).await, None);
        }
        let subject = format!("{topic}-{}", side.as_str());
        let (schema, member) = tokio::join!(
            self.registry.schema(id),
            self.registry.is_member(&subject, id)
        );
        (schema, Some(member))
    }

    /// `resolve` from cached positive answers only; `None` when something is not cached.
    async fn resolve_cached(
        &self,
        topic: &str,
        side: Side,
        part: &PartRule,
        id: i32,
    ) -> Option<Arc<CompiledSchema>> {
        let schema = self.registry.cached_schema(id).await?;
        if part.level < Level::Subject {
            return Some(schema);
        }
        let subject = subject_name(topic, side, part.subject_strategy, &schema).ok()?;
        self.registry
            .cached_member(&subject, id)
            .await
            .then_some(schema)
    }

    fn down(&mut self, e: RegistryError) -> Fault {
        let message = e.to_string();
        self.registry_down = Some(message.clone());
        Fault::Unavailable(message)
    }

    /// The "wrong subject" fault, naming the subjects the id is registered under.
    async fn not_in_subject(&mut self, id: i32, subject: &str) -> Fault {
        let detail = match self.registry.subjects_of(id).await {
            Ok(subjects) if !subjects.is_empty() => {
                let list: Vec<String> = subjects.iter().map(|s| format!("{s:?}")).collect();
                format!(
                    "schema id {id} is registered under {}, not {subject:?}",
                    list.join(", ")
                )
            }
            _ => format!("schema id {id} is not a version of subject {subject:?}"),
        };
        invalid("wrong_subject", detail)
    }
}

/// The schema id of a Confluent-framed key or value.
/// The schema id of a Confluent-framed value ([`crate::wire_format::parse_envelope`]), as the
/// registry's signed id type.
pub fn framed_schema_id(data: &[u8]) -> Result<i32, Fault> {
    use crate::wire_format::{EnvelopeError, parse_envelope};
    match parse_envelope(data) {
        Ok(envelope) => Ok(i32::from_be_bytes(envelope.schema_id.to_be_bytes())),
        Err(EnvelopeError::BadMagic(magic)) => Err(invalid(
            "magic_byte",
            format!("magic byte 0x{magic:02x} is not 0x00"),
        )),
        Err(_) => Err(invalid(
            "too_short",
            format!(
                "{} bytes is too short for the 5-byte schema header",
                data.len()
            ),
        )),
    }
}

/// The subject a key or value must be registered under.
fn subject_name(
    topic: &str,
    side: Side,
    strategy: SubjectStrategy,
    schema: &CompiledSchema,
) -> Result<String, Fault> {
    let record_name = || {
        schema.record_name.clone().ok_or_else(|| {
            invalid(
                "no_record_name",
                format!(
                    "schema id {} has no record name for the record name strategy",
                    schema.id
                ),
            )
        })
    };
    Ok(match strategy {
        SubjectStrategy::TopicName => format!("{topic}-{}", side.as_str()),
        SubjectStrategy::RecordName => record_name()?,
        SubjectStrategy::TopicRecordName => format!("{topic}-{}", record_name()?),
    })
}

fn check_payload(schema: &CompiledSchema, payload: &[u8]) -> Result<(), Fault> {
    match &schema.validator {
        Ok(validator) => validator
            .validate(payload)
            .map_err(|e| invalid("payload", e.to_string())),
        Err(e) => Err(invalid(
            "uncompilable_schema",
            format!(
                "schema id {} cannot be used for payload validation: {e}",
                schema.id
            ),
        )),
    }
}

fn summary(errors: &[(i32, String)], counts: &[(Side, &'static str, u64)]) -> String {
    let first = errors
        .first()
        .map(|(_, m)| m.as_str())
        .unwrap_or("invalid record");
    match counts.iter().map(|(_, _, n)| n).sum::<u64>() {
        0 | 1 => first.to_owned(),
        n => format!("{first} (and {} more invalid records)", n - 1),
    }
}

/// A batch that cannot be read rejects its partition; record errors found before it stay.
fn batch_outcome(e: &RecordsError, record_errors: Vec<(i32, String)>) -> Outcome {
    let reason = match e {
        RecordsError::TooLarge { .. } => "decompression_bomb",
        RecordsError::LegacyMagic { .. } => "legacy_magic",
        RecordsError::ControlBatch { .. } => "control_batch",
        _ => "corrupt_batch",
    };
    Outcome::Invalid {
        record_errors,
        message: e.to_string(),
        reason,
        counts: Vec::new(),
    }
}
