//! Learn the upstream brokers at start-up, so that with a fixed `broker_port_base` every broker
//! listener is back at its port right after a restart (clients keep cached broker addresses
//! and reconnect to them before asking for metadata again).

use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt};
use kafka_protocol::messages::{ApiKey, MetadataRequest};
use kafka_protocol::protocol::Encodable;
use tokio::net::TcpStream;
use tokio_util::codec::Framed;

use crate::codec::KafkaCodec;
use crate::frame;
use crate::rewrite::Decoded;
use crate::server::Proxy;

/// Metadata v4: the oldest version with `allow_auto_topic_creation`, so an empty topic list
/// asks for brokers only and never creates anything.
const METADATA_VERSION: i16 = 4;
const CORRELATION_ID: i32 = 1;

/// Ask the bootstrap server on `stream` for its brokers and open a listener for each.
/// Fails quietly (the caller logs) on a broker that requires SASL first, or any other error.
pub async fn learn_brokers(proxy: &Arc<Proxy>, stream: TcpStream) -> Result<usize, String> {
    let limits = &proxy.limits;
    let mut conn = Framed::new(stream, KafkaCodec::new(limits.max_response_frame_bytes));
    conn.send(metadata_request()?)
        .await
        .map_err(|e| e.to_string())?;
    let frame = tokio::time::timeout(limits.connect_timeout, conn.next())
        .await
        .map_err(|_| "no Metadata response in time".to_owned())?
        .ok_or("connection closed before the Metadata response")?
        .map_err(|e| e.to_string())?;
    let header_version = ApiKey::Metadata.response_header_version(METADATA_VERSION);
    let (corr, _, body) =
        frame::split_response(&frame, header_version).map_err(|e| e.to_string())?;
    if corr != CORRELATION_ID {
        return Err(format!("unexpected correlation id {corr}"));
    }
    let decoded = Decoded::decode(ApiKey::Metadata, METADATA_VERSION, &body)
        .map_err(|e| e.to_string())?
        .ok_or("Metadata response not decoded")?;
    let brokers = decoded.brokers();
    for broker in &brokers {
        proxy
            .brokers
            .record(broker.node_id, &broker.host, broker.port);
        proxy
            .ensure_broker_listener(broker.node_id)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(brokers.len())
}

fn metadata_request() -> Result<Bytes, String> {
    let mut out = BytesMut::new();
    out.put_i16(ApiKey::Metadata as i16);
    out.put_i16(METADATA_VERSION);
    out.put_i32(CORRELATION_ID);
    let client_id = b"schemagate";
    out.put_i16(client_id.len() as i16);
    out.put_slice(client_id);
    MetadataRequest::default()
        .with_topics(Some(Vec::new()))
        .with_allow_auto_topic_creation(false)
        .encode(&mut out, METADATA_VERSION)
        .map_err(|e| format!("{e:#}"))?;
    Ok(out.freeze())
}
