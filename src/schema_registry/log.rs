//! Access to the `_schemas` log with rskafka: partition clients, the produce path, and the
//! tailer task that applies every record, in offset order, to the shared state.
//!
//! The reader and the writer use separate connections: brokers answer one request at a time
//! per connection, so a long-polling fetch would otherwise delay every produce.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use rskafka::BackoffConfig;
use rskafka::client::ClientBuilder;
use rskafka::client::error::{Error as KafkaError, ProtocolError};
use rskafka::client::partition::{Compression, OffsetAt, PartitionClient, UnknownTopicHandling};
use rskafka::record::{Record, RecordAndOffset};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::records::LogRecord;
use super::state::State;

/// Longest a fetch waits for new records; bounds how late other instances' writes appear.
const FETCH_MAX_WAIT_MS: i32 = 100;
/// Largest fetch response.
const FETCH_MAX_BYTES: i32 = 8 << 20;
/// Pause after a failed fetch before retrying.
const RETRY_PAUSE: Duration = Duration::from_millis(200);

/// State shared by the tailer (writer of `state`) and the request handlers (readers).
#[derive(Debug)]
pub struct Shared {
    pub state: RwLock<State>,
    /// The next offset the tailer will read: every record below it has been applied.
    pub next_offset: watch::Sender<i64>,
    pub ready: AtomicBool,
}

impl Default for Shared {
    fn default() -> Self {
        Shared {
            state: RwLock::new(State::default()),
            next_offset: watch::Sender::new(0),
            ready: AtomicBool::new(false),
        }
    }
}

/// Open a client for partition 0 of `topic`. Every broker call retries until `deadline`.
pub async fn open_partition(
    bootstrap: &[String],
    topic: &str,
    sasl: Option<&SaslSettings>,
    deadline: Duration,
) -> Result<PartitionClient, KafkaError> {
    let client = build_client(bootstrap, sasl, deadline).await?;
    client
        .partition_client(topic, 0, UnknownTopicHandling::Retry)
        .await
}

/// SASL settings for the registry's own Kafka connections (`embedded_registry.sasl`).
#[derive(Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaslSettings {
    pub mechanism: SaslMechanism,
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for SaslSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaslSettings")
            .field("mechanism", &self.mechanism)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// SASL mechanisms the registry's Kafka client (rskafka) speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub enum SaslMechanism {
    #[serde(rename = "PLAIN")]
    Plain,
    #[serde(rename = "SCRAM-SHA-256")]
    ScramSha256,
    #[serde(rename = "SCRAM-SHA-512")]
    ScramSha512,
}

impl SaslSettings {
    fn to_rskafka(&self) -> rskafka::client::SaslConfig {
        use rskafka::client::{Credentials, SaslConfig};
        let credentials = Credentials::new(self.username.clone(), self.password.clone());
        match self.mechanism {
            SaslMechanism::Plain => SaslConfig::Plain(credentials),
            SaslMechanism::ScramSha256 => SaslConfig::ScramSha256(credentials),
            SaslMechanism::ScramSha512 => SaslConfig::ScramSha512(credentials),
        }
    }
}

async fn build_client(
    bootstrap: &[String],
    sasl: Option<&SaslSettings>,
    deadline: Duration,
) -> Result<rskafka::client::Client, KafkaError> {
    let backoff = BackoffConfig {
        init_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(500),
        base: 2.,
        deadline: Some(deadline),
    };
    let mut builder = ClientBuilder::new(bootstrap.to_vec())
        .client_id("schemagate-registry")
        .backoff_config(backoff);
    if let Some(sasl) = sasl {
        builder = builder.sasl_config(sasl.to_rskafka());
    }
    builder.build().await
}

/// Create `topic` with one partition through rskafka unless it exists. rskafka sends no topic
/// configs, so the operator must set `cleanup.policy=compact` (or create the topic first).
pub async fn ensure_topic(
    bootstrap: &[String],
    topic: &str,
    replication_factor: i16,
    sasl: &SaslSettings,
    deadline: Duration,
) -> Result<(), KafkaError> {
    let client = build_client(bootstrap, Some(sasl), deadline).await?;
    if client.list_topics().await?.iter().any(|t| t.name == topic) {
        return Ok(());
    }
    tracing::warn!(%topic, "creating the schemas topic without cleanup.policy=compact \
        (not settable over SASL here); set it on the topic or create the topic beforehand");
    let timeout_ms = i32::try_from(deadline.as_millis()).unwrap_or(i32::MAX);
    client
        .controller_client()?
        .create_topic(topic, 1, replication_factor, timeout_ms)
        .await
}

/// Where a registry instance writes `_schemas` records and reads them back before answering.
#[derive(Debug)]
pub enum Writer {
    /// Partition 0 of the topic, on its own connection.
    Kafka(PartitionClient),
    /// An in-process log (tests and fuzzing of the REST layer without a broker): the same
    /// record encoding and the same apply path, with no second instance to race.
    Memory(Mutex<Vec<Record>>),
}

impl Writer {
    /// Produce `records` in one batch (acks=all) and return the offset of the last one.
    pub async fn produce(&self, records: &[LogRecord]) -> Result<i64, KafkaError> {
        let batch = to_kafka_records(records);
        match self {
            Writer::Kafka(client) => {
                let offsets = client.produce(batch, Compression::NoCompression).await?;
                Ok(offsets.last().copied().unwrap_or(-1))
            }
            Writer::Memory(log) => {
                let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
                log.extend(batch);
                Ok(offset_of(log.len()) - 1)
            }
        }
    }

    /// The log end offset (the offset the next record will get).
    pub async fn end_offset(&self) -> Result<i64, KafkaError> {
        match self {
            Writer::Kafka(client) => client.get_offset(OffsetAt::Latest).await,
            Writer::Memory(log) => Ok(offset_of(
                log.lock().unwrap_or_else(|e| e.into_inner()).len(),
            )),
        }
    }

    /// Read until every record below `target` is applied to `shared`. Used by writers so they
    /// need not wait for the tailer's long poll; applying is idempotent because only records at
    /// or above the shared next offset are applied, under the state lock.
    pub async fn read_until(&self, shared: &Shared, target: i64) -> Result<(), KafkaError> {
        match self {
            Writer::Kafka(client) => read_until(client, shared, target).await,
            Writer::Memory(log) => {
                let next = *shared.next_offset.borrow();
                let fetched: Vec<RecordAndOffset> = {
                    let log = log.lock().unwrap_or_else(|e| e.into_inner());
                    (next..target)
                        .zip(log.iter().skip(usize::try_from(next).unwrap_or(usize::MAX)))
                        .map(|(offset, record)| RecordAndOffset {
                            record: record.clone(),
                            offset,
                        })
                        .collect()
                };
                apply_batch(shared, fetched);
                Ok(())
            }
        }
    }
}

fn offset_of(len: usize) -> i64 {
    i64::try_from(len).unwrap_or(i64::MAX)
}

/// `records` as Kafka records with the current time.
fn to_kafka_records(records: &[LogRecord]) -> Vec<Record> {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let timestamp = rskafka::chrono::DateTime::from_timestamp_millis(now_ms).unwrap_or_default();
    records
        .iter()
        .map(|r| Record {
            key: Some(r.key_bytes()),
            value: r.value_bytes(),
            headers: Default::default(),
            timestamp,
        })
        .collect()
}

/// The log end offset (the offset the next record will get).
pub async fn end_offset(client: &PartitionClient) -> Result<i64, KafkaError> {
    client.get_offset(OffsetAt::Latest).await
}

/// Read the log from its start and keep applying records until `cancel`. Marks `shared` ready
/// once every record below `ready_at` has been applied.
pub async fn tail(
    reader: PartitionClient,
    shared: Arc<Shared>,
    ready_at: i64,
    cancel: CancellationToken,
) {
    let mut next = loop {
        match reader.get_offset(OffsetAt::Earliest).await {
            Ok(start) => {
                // Offsets below the log start will never be read: count them as applied.
                shared.next_offset.send_if_modified(|n| {
                    let moved = *n < start;
                    *n = (*n).max(start);
                    moved
                });
                break start;
            }
            Err(e) => {
                tracing::warn!(error = %e, "reading the start of the schemas log");
                if pause_or_cancel(&cancel).await {
                    return;
                }
            }
        }
    };
    loop {
        next = next.max(*shared.next_offset.borrow());
        if next >= ready_at {
            shared.ready.store(true, Ordering::Release);
        }
        let fetched = tokio::select! {
            () = cancel.cancelled() => return,
            r = reader.fetch_records(next, 1..FETCH_MAX_BYTES, FETCH_MAX_WAIT_MS) => r,
        };
        match fetched {
            Ok((records, _high_watermark)) => next = apply_batch(&shared, records),
            Err(KafkaError::ServerError {
                protocol_error: ProtocolError::OffsetOutOfRange,
                ..
            }) => {
                // The log start moved past us (retention or deleted records): resume there.
                if let Ok(start) = reader.get_offset(OffsetAt::Earliest).await {
                    next = next.max(start);
                    shared.next_offset.send_replace(next);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, offset = next, "fetching the schemas log");
                if pause_or_cancel(&cancel).await {
                    return;
                }
            }
        }
    }
}

async fn pause_or_cancel(cancel: &CancellationToken) -> bool {
    tokio::select! {
        () = cancel.cancelled() => true,
        () = tokio::time::sleep(RETRY_PAUSE) => false,
    }
}

/// Read from `client` and apply until every record below `target` has been applied.
async fn read_until(
    client: &PartitionClient,
    shared: &Shared,
    target: i64,
) -> Result<(), KafkaError> {
    loop {
        let next = *shared.next_offset.borrow();
        if next >= target {
            return Ok(());
        }
        let (records, _) = client.fetch_records(next, 1..FETCH_MAX_BYTES, 0).await?;
        if records.is_empty() {
            // Produced but not yet readable (the broker's high watermark lags): retry soon.
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        apply_batch(shared, records);
    }
}

/// Apply fetched records in offset order, skipping those already applied; returns the next
/// offset to read.
fn apply_batch(shared: &Shared, records: Vec<RecordAndOffset>) -> i64 {
    let mut state = shared.state.write().unwrap_or_else(|e| e.into_inner());
    let mut next = *shared.next_offset.borrow();
    if records.is_empty() {
        return next;
    }
    for RecordAndOffset { record, offset } in records {
        if offset < next {
            continue;
        }
        match LogRecord::decode(record.key.as_deref(), record.value.as_deref()) {
            Ok(r) => {
                state.apply(r);
            }
            Err(e) => tracing::debug!(offset, error = %e, "skipping schemas record"),
        }
        next = offset + 1;
    }
    // Published while the state lock is held, so the offset never runs ahead of the state.
    shared.next_offset.send_replace(next);
    next
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema_registry::compat::CompatibilityLevel;

    fn config(subject: &str, level: CompatibilityLevel) -> LogRecord {
        LogRecord::Config {
            subject: Some(subject.to_owned()),
            level: Some(level),
        }
    }

    #[tokio::test]
    async fn the_memory_log_hands_out_offsets_and_applies_up_to_a_target() {
        let writer = Writer::Memory(Mutex::default());
        let shared = Shared::default();
        assert_eq!(writer.end_offset().await.ok(), Some(0));
        let first = [config("a", CompatibilityLevel::Full)];
        assert_eq!(writer.produce(&first).await.ok(), Some(0));
        let second = [
            config("b", CompatibilityLevel::None),
            config("a", CompatibilityLevel::Forward),
        ];
        assert_eq!(writer.produce(&second).await.ok(), Some(2));
        assert_eq!(writer.end_offset().await.ok(), Some(3));

        writer
            .read_until(&shared, 2)
            .await
            .expect("memory never fails");
        {
            let state = shared.state.read().expect("state");
            assert_eq!(state.config(Some("a")), Some(CompatibilityLevel::Full));
            assert_eq!(state.config(Some("b")), Some(CompatibilityLevel::None));
        }
        assert_eq!(*shared.next_offset.borrow(), 2);
        // Reading again from an earlier target applies nothing twice; the rest arrives once.
        writer
            .read_until(&shared, 1)
            .await
            .expect("memory never fails");
        writer
            .read_until(&shared, 3)
            .await
            .expect("memory never fails");
        let state = shared.state.read().expect("state");
        assert_eq!(state.config(Some("a")), Some(CompatibilityLevel::Forward));
        assert_eq!(*shared.next_offset.borrow(), 3);
    }
}
