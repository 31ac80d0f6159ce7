//! Creating the `_schemas` topic with `cleanup.policy=compact`.
//!
//! rskafka's `ControllerClient::create_topic` sends no topic configs, and compaction is what keeps
//! `_schemas` small and Confluent-compatible, so this module sends one CreateTopics request
//! itself (kafka-protocol types over a plain TCP connection) to the bootstrap broker, and to the
//! controller named by Metadata if the bootstrap broker answers NOT_CONTROLLER.

use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kafka_protocol::messages::{
    ApiKey, CreateTopicsRequest, CreateTopicsResponse, MetadataRequest, MetadataResponse,
    RequestHeader, ResponseHeader, TopicName,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Largest response accepted from the broker for these small admin requests.
const MAX_RESPONSE_BYTES: usize = 1 << 20;
const CREATE_TOPICS_VERSION: i16 = 4;
const METADATA_VERSION: i16 = 4;
const TOPIC_ALREADY_EXISTS: i16 = 36;
const NOT_CONTROLLER: i16 = 41;

/// Why the topic could not be created.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TopicError {
    #[error("connecting to {addr}: {source}")]
    Io {
        addr: String,
        source: std::io::Error,
    },
    #[error("timed out talking to {0}")]
    Timeout(String),
    #[error("protocol error talking to {addr}: {reason}")]
    Protocol { addr: String, reason: String },
    #[error("creating topic {topic} failed with error code {code}: {message}")]
    Create {
        topic: String,
        code: i16,
        message: String,
    },
    #[error("no broker to talk to")]
    NoBroker,
}

/// Create `topic` (1 partition, compacted) unless it exists.
pub async fn create_compacted_topic(
    bootstrap: &[String],
    topic: &str,
    replication_factor: i16,
    timeout: Duration,
) -> Result<(), TopicError> {
    let addr = bootstrap.first().ok_or(TopicError::NoBroker)?;
    match create_at(addr, topic, replication_factor, timeout).await {
        Err(TopicError::Create { code, .. }) if code == NOT_CONTROLLER => {
            let controller = find_controller(addr, timeout).await?;
            create_at(&controller, topic, replication_factor, timeout).await
        }
        other => other,
    }
}

async fn create_at(
    addr: &str,
    topic: &str,
    replication_factor: i16,
    timeout: Duration,
) -> Result<(), TopicError> {
    let config = |name: &'static str, value: &'static str| {
        CreatableTopicConfig::default()
            .with_name(StrBytes::from_static_str(name))
            .with_value(Some(StrBytes::from_static_str(value)))
    };
    let request = CreateTopicsRequest::default()
        .with_topics(vec![
            CreatableTopic::default()
                .with_name(TopicName(StrBytes::from_string(topic.to_owned())))
                .with_num_partitions(1)
                .with_replication_factor(replication_factor)
                .with_configs(vec![config("cleanup.policy", "compact")]),
        ])
        .with_timeout_ms(i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX));
    let mut body = exchange(
        addr,
        ApiKey::CreateTopics,
        CREATE_TOPICS_VERSION,
        &request,
        timeout,
    )
    .await?;
    let response = CreateTopicsResponse::decode(&mut body, CREATE_TOPICS_VERSION)
        .map_err(|e| protocol(addr, e))?;
    for result in response.topics {
        if result.error_code != 0 && result.error_code != TOPIC_ALREADY_EXISTS {
            return Err(TopicError::Create {
                topic: topic.to_owned(),
                code: result.error_code,
                message: result
                    .error_message
                    .map(|m| m.to_string())
                    .unwrap_or_default(),
            });
        }
    }
    Ok(())
}

async fn find_controller(addr: &str, timeout: Duration) -> Result<String, TopicError> {
    let request = MetadataRequest::default().with_topics(Some(vec![]));
    let mut body = exchange(addr, ApiKey::Metadata, METADATA_VERSION, &request, timeout).await?;
    let response =
        MetadataResponse::decode(&mut body, METADATA_VERSION).map_err(|e| protocol(addr, e))?;
    response
        .brokers
        .iter()
        .find(|b| b.node_id == response.controller_id)
        .map(|b| format!("{}:{}", b.host, b.port))
        .ok_or_else(|| TopicError::Protocol {
            addr: addr.to_owned(),
            reason: format!("controller {} not among brokers", response.controller_id.0),
        })
}

fn protocol(addr: &str, e: impl std::fmt::Display) -> TopicError {
    TopicError::Protocol {
        addr: addr.to_owned(),
        reason: e.to_string(),
    }
}

/// Send one request and return the response body (after the response header).
async fn exchange<R: Encodable>(
    addr: &str,
    api_key: ApiKey,
    version: i16,
    request: &R,
    timeout: Duration,
) -> Result<Bytes, TopicError> {
    let io = |source| TopicError::Io {
        addr: addr.to_owned(),
        source,
    };
    let mut frame = BytesMut::new();
    let header = RequestHeader::default()
        .with_request_api_key(api_key as i16)
        .with_request_api_version(version)
        .with_correlation_id(1)
        .with_client_id(Some(StrBytes::from_static_str("schemagate-registry")));
    header
        .encode(&mut frame, api_key.request_header_version(version))
        .map_err(|e| protocol(addr, e))?;
    request
        .encode(&mut frame, version)
        .map_err(|e| protocol(addr, e))?;
    let len = u32::try_from(frame.len()).map_err(|e| protocol(addr, e))?;
    let round_trip = async {
        let mut stream = TcpStream::connect(addr).await.map_err(io)?;
        let mut out = BytesMut::with_capacity(frame.len() + 4);
        out.put_u32(len);
        out.extend_from_slice(&frame);
        stream.write_all(&out).await.map_err(io)?;
        let size = usize::try_from(stream.read_u32().await.map_err(io)?).unwrap_or(usize::MAX);
        if size > MAX_RESPONSE_BYTES {
            return Err(protocol(addr, format!("response of {size} bytes")));
        }
        let mut buf = vec![0u8; size];
        stream.read_exact(&mut buf).await.map_err(io)?;
        Ok(Bytes::from(buf))
    };
    let mut body = tokio::time::timeout(timeout, round_trip)
        .await
        .map_err(|_| TopicError::Timeout(addr.to_owned()))??;
    ResponseHeader::decode(&mut body, api_key.response_header_version(version))
        .map_err(|e| protocol(addr, e))?;
    if !body.has_remaining() {
        return Err(protocol(addr, "empty response body"));
    }
    Ok(body)
}
