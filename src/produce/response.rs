//! Produce responses: synthesised for refused partitions, and merged with the broker's.
//!
//! Invariant: the merged response lists topics and partitions in the client's request order
//! (the Java producer and librdkafka match by name/index, but order-sensitive clients exist
//! and a broker answers in request order). Topics are keyed by name before v13 and by topic
//! id from v13 (KIP-516), exactly as the request named them.

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::produce_response::{
    BatchIndexAndErrorMessage, PartitionProduceResponse, TopicProduceResponse,
};
use kafka_protocol::messages::{ProduceResponse, ResponseHeader, TopicName};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes};
use uuid::Uuid;

use super::{ProduceError, Rejected, RejectedPartition};

/// One topic of the client's request, in request order, with its partitions in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicOrder {
    pub name: String,
    pub topic_id: Uuid,
    pub partitions: Vec<i32>,
}

/// How a topic is named at `version`: by id from v13, by name before.
#[derive(Debug, Clone, PartialEq, Eq)]
enum TopicKey {
    Name(String),
    Id(Uuid),
}

fn key_of(version: i16, name: &str, id: Uuid) -> TopicKey {
    if version >= 13 {
        TopicKey::Id(id)
    } else {
        TopicKey::Name(name.to_owned())
    }
}

fn topic_response(version: i16, name: &str, id: Uuid) -> TopicProduceResponse {
    let mut t = TopicProduceResponse::default();
    if version >= 13 {
        t.topic_id = id;
    } else {
        t.name = TopicName(StrBytes::from_string(name.to_owned()));
    }
    t
}

/// The response entry for a partition we refused. `record_errors` and `error_message` exist
/// from v8 (KIP-467); older versions carry only the error code.
pub fn partition_response(p: &RejectedPartition, version: i16) -> PartitionProduceResponse {
    let mut r = PartitionProduceResponse::default();
    r.index = p.partition;
    r.error_code = p.error_code;
    r.base_offset = -1;
    r.log_append_time_ms = -1;
    r.log_start_offset = -1;
    if version >= 8 {
        r.record_errors = p
            .record_errors
            .iter()
            .map(|(i, m)| {
                let mut e = BatchIndexAndErrorMessage::default();
                e.batch_index = *i;
                e.batch_index_error_message = Some(StrBytes::from_string(m.clone()));
                e
            })
            .collect();
        r.error_message = Some(StrBytes::from_string(p.error_message.clone()));
    }
    r
}

/// Encode response header + body for Produce `version`.
pub fn encode_response(
    correlation_id: i32,
    version: i16,
    body: &ProduceResponse,
) -> Result<Bytes, ProduceError> {
    let fail = |what, reason: String| ProduceError::Encode {
        version,
        what,
        reason,
    };
    let mut header = ResponseHeader::default();
    header.correlation_id = correlation_id;
    let mut out = BytesMut::new();
    header
        .encode(&mut out, ProduceResponse::header_version(version))
        .map_err(|e| fail("response header", e.to_string()))?;
    body.encode(&mut out, version)
        .map_err(|e| fail("response", e.to_string()))?;
    Ok(out.freeze())
}

/// Build the response topics in request order: refused partitions from `rejected`, the rest
/// taken from `broker` (whatever the broker sent that the request did not name goes last).
fn merged_topics(
    rejected: &Rejected,
    mut broker: Vec<TopicProduceResponse>,
) -> Vec<TopicProduceResponse> {
    let v = rejected.api_version;
    let mut out = Vec::with_capacity(rejected.order.len());
    for t in &rejected.order {
        let key = key_of(v, &t.name, t.topic_id);
        let mut topic = topic_response(v, &t.name, t.topic_id);
        for &p in &t.partitions {
            let ours = rejected.partitions.iter().find(|r| {
                r.partition == p && key_of(v, &r.topic, r.topic_id.unwrap_or_default()) == key
            });
            if let Some(r) = ours {
                topic.partition_responses.push(partition_response(r, v));
            } else if let Some(b) = take_partition(&mut broker, v, &key, p) {
                topic.partition_responses.push(b);
            }
        }
        if !topic.partition_responses.is_empty() {
            out.push(topic);
        }
    }
    out.extend(
        broker
            .into_iter()
            .filter(|t| !t.partition_responses.is_empty()),
    );
    out
}

fn take_partition(
    broker: &mut [TopicProduceResponse],
    version: i16,
    key: &TopicKey,
    partition: i32,
) -> Option<PartitionProduceResponse> {
    broker
        .iter_mut()
        .filter(|t| key_of(version, t.name.0.as_str(), t.topic_id) == *key)
        .find_map(|t| {
            let at = t
                .partition_responses
                .iter()
                .position(|p| p.index == partition)?;
            Some(t.partition_responses.remove(at))
        })
}

/// A complete response made only of refused partitions (nothing was forwarded).
pub fn full_response(rejected: &Rejected, correlation_id: i32) -> Result<Bytes, ProduceError> {
    let mut body = ProduceResponse::default();
    body.throttle_time_ms = 0;
    body.responses = merged_topics(rejected, Vec::new());
    encode_response(correlation_id, rejected.api_version, &body)
}

/// Merge refused partitions into the broker's response frame body.
pub fn merge(rejected: &Rejected, broker_response: Bytes) -> Result<Bytes, ProduceError> {
    let version = rejected.api_version;
    let fail = |reason: String| ProduceError::Decode { version, reason };
    let mut buf = broker_response;
    let header = ResponseHeader::decode(&mut buf, ProduceResponse::header_version(version))
        .map_err(|e| fail(format!("broker response header: {e}")))?;
    let mut body = ProduceResponse::decode(&mut buf, version)
        .map_err(|e| fail(format!("broker response: {e}")))?;
    let broker = std::mem::take(&mut body.responses);
    body.responses = merged_topics(rejected, broker);
    encode_response(header.correlation_id, version, &body)
}
