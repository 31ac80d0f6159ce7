//! Decoding a Produce request frame and re-encoding it without some partitions.
//!
//! Invariant: re-encoding keeps every accepted partition's `records` as the original `Bytes`
//! (kafka-protocol decodes them as slices of the frame): batches are never rebuilt.

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::{ProduceRequest, RequestHeader};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion};

use super::ProduceError;

/// Produce versions this enforcer can decode (v3+ carries only record batch v2).
pub const MIN_VERSION: i16 = 3;
pub const MAX_VERSION: i16 = 13;

/// A decoded Produce request frame.
#[derive(Debug, Clone)]
pub struct DecodedRequest {
    pub version: i16,
    pub header: RequestHeader,
    pub body: ProduceRequest,
}

/// Decode a frame (request header + body, no length prefix) of Produce `version`.
pub fn decode_request(frame: &Bytes, version: i16) -> Result<DecodedRequest, ProduceError> {
    let fail = |reason: String| ProduceError::Decode { version, reason };
    if !(MIN_VERSION..=MAX_VERSION).contains(&version) {
        return Err(fail(format!(
            "version outside {MIN_VERSION}..={MAX_VERSION}"
        )));
    }
    super::prescan::prescan(frame, version).map_err(fail)?;
    let mut buf = frame.clone();
    let header = RequestHeader::decode(&mut buf, ProduceRequest::header_version(version))
        .map_err(|e| fail(format!("header: {e}")))?;
    let body = ProduceRequest::decode(&mut buf, version).map_err(|e| fail(e.to_string()))?;
    if !buf.is_empty() {
        return Err(fail(format!("{} bytes after the request", buf.len())));
    }
    Ok(DecodedRequest {
        version,
        header,
        body,
    })
}

/// Re-encode `request` keeping only the partitions for which `keep(topic, partition)` holds
/// (indices into `topic_data` / `partition_data`). Topics left empty are dropped.
pub fn encode_request_keeping(
    request: &DecodedRequest,
    keep: impl Fn(usize, usize) -> bool,
) -> Result<Bytes, ProduceError> {
    let mut body = request.body.clone();
    body.topic_data = request
        .body
        .topic_data
        .iter()
        .enumerate()
        .filter_map(|(ti, topic)| {
            let mut topic = topic.clone();
            topic.partition_data = topic
                .partition_data
                .iter()
                .enumerate()
                .filter(|(pi, _)| keep(ti, *pi))
                .map(|(_, p)| p.clone())
                .collect();
            (!topic.partition_data.is_empty()).then_some(topic)
        })
        .collect();
    let version = request.version;
    let fail = |what, reason: String| ProduceError::Encode {
        version,
        what,
        reason,
    };
    let mut out = BytesMut::new();
    request
        .header
        .encode(&mut out, ProduceRequest::header_version(version))
        .map_err(|e| fail("request header", e.to_string()))?;
    body.encode(&mut out, version)
        .map_err(|e| fail("request", e.to_string()))?;
    Ok(out.freeze())
}
