//! A minimal Kafka "sink" broker for load tests: it acknowledges every Produce at once and
//! stores nothing, so a proxy in front of it runs at its own ceiling instead of the broker's.
//!
//! It answers just enough for librdkafka's producer: ApiVersions, Metadata (itself as the only
//! broker, node id 1; every requested topic exists with `PARTITIONS` partitions, led by node 1),
//! InitProducerId, and Produce (base offsets count the records per partition, so offsets are
//! consistent across connections). Any other API closes the connection.
//!
//! Usage: `cargo run --release --example produce_sink -- [LISTEN_ADDR] [PARTITIONS]`
//! (defaults `127.0.0.1:0` and 6). The first line on stdout is `listening on HOST:PORT`.

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::init_producer_id_response::InitProducerIdResponse;
use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsResponse, BrokerId, MetadataRequest, MetadataResponse, ProduceRequest,
    ProduceResponse, ProducerId, RequestHeader, ResponseHeader, TopicName,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The sink's node id, as the only broker of its cluster.
const NODE_ID: i32 = 1;
/// Largest request frame accepted (Kafka's default `socket.request.max.bytes`).
const MAX_FRAME: usize = 100 * 1024 * 1024;
/// Versions offered per API: within what kafka-protocol encodes and what librdkafka uses.
const SUPPORTED: [(ApiKey, i16, i16); 4] = [
    (ApiKey::Produce, 3, 9),
    (ApiKey::Metadata, 0, 12),
    (ApiKey::ApiVersions, 0, 3),
    (ApiKey::InitProducerId, 0, 4),
];
/// Advertised but never answered: librdkafka uses record batch v2 (magic 2) only when the
/// broker offers Produce v3+ and Fetch v4+.
const ADVERTISED_ONLY: [(ApiKey, i16, i16); 1] = [(ApiKey::Fetch, 4, 11)];
/// Kafka's UNSUPPORTED_VERSION error code.
const UNSUPPORTED_VERSION: i16 = 35;

/// State shared by all connections.
struct Sink {
    addr: SocketAddr,
    partitions: i32,
    /// Next offset per (topic, partition).
    offsets: Mutex<HashMap<(Bytes, i32), i64>>,
    next_producer_id: Mutex<i64>,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let listen: SocketAddr = args.next().as_deref().unwrap_or("127.0.0.1:0").parse()?;
    let partitions: i32 = args.next().as_deref().unwrap_or("6").parse()?;
    if partitions < 1 {
        return Err("PARTITIONS must be at least 1".into());
    }
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    println!("listening on {addr}");
    let sink = Arc::new(Sink {
        addr,
        partitions,
        offsets: Mutex::new(HashMap::new()),
        next_producer_id: Mutex::new(1000),
    });
    loop {
        let (stream, peer) = listener.accept().await?;
        let sink = Arc::clone(&sink);
        tokio::spawn(async move {
            if let Err(e) = serve(stream, &sink).await {
                eprintln!("produce_sink: connection {peer}: {e}");
            }
        });
    }
}

/// Answer requests in arrival order until the client closes the connection.
async fn serve(mut stream: TcpStream, sink: &Sink) -> Result<(), Error> {
    stream.set_nodelay(true)?;
    let mut frame = BytesMut::with_capacity(64 * 1024);
    let mut out = BytesMut::with_capacity(64 * 1024);
    loop {
        let len = match stream.read_u32().await {
            Ok(len) => usize::try_from(len)?,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        if len > MAX_FRAME {
            return Err(format!("request frame of {len} bytes exceeds {MAX_FRAME}").into());
        }
        frame.clear();
        frame.resize(len, 0);
        stream.read_exact(&mut frame).await?;
        out.clear();
        if answer(frame.split().freeze(), sink, &mut out)? {
            stream.write_all(&out).await?;
        }
    }
}

/// Write the framed response to `request` into `out`; false when none is due (acks=0).
fn answer(mut request: Bytes, sink: &Sink, out: &mut BytesMut) -> Result<bool, Error> {
    if request.len() < 4 {
        return Err("request frame shorter than its header".into());
    }
    let api_key = i16::from_be_bytes([request[0], request[1]]);
    let version = i16::from_be_bytes([request[2], request[3]]);
    let api = ApiKey::try_from(api_key).map_err(|()| format!("unknown api key {api_key}"))?;
    let header = RequestHeader::decode(&mut request, api.request_header_version(version))?;
    let supported = SUPPORTED
        .iter()
        .any(|&(a, min, max)| a == api && (min..=max).contains(&version));
    if api == ApiKey::ApiVersions && !supported {
        // Clients retry with the version the v0-layout error answer offers.
        let mut response = versions();
        response.error_code = UNSUPPORTED_VERSION;
        finish(out, &header, api, 0, &response)?;
        return Ok(true);
    }
    if !supported {
        return Err(format!("unsupported request {api:?} v{version}").into());
    }
    match api {
        ApiKey::ApiVersions => finish(out, &header, api, version, &versions())?,
        ApiKey::Metadata => {
            let req = MetadataRequest::decode(&mut request, version)?;
            finish(out, &header, api, version, &metadata(sink, &req))?;
        }
        ApiKey::InitProducerId => {
            let mut response = InitProducerIdResponse::default();
            let mut next = sink.next_producer_id.lock().map_err(|_| "poisoned lock")?;
            response.producer_id = ProducerId(*next);
            *next += 1;
            drop(next);
            finish(out, &header, api, version, &response)?;
        }
        ApiKey::Produce => {
            let req = ProduceRequest::decode(&mut request, version)?;
            if req.acks == 0 {
                count(sink, &req)?;
                return Ok(false);
            }
            finish(out, &header, api, version, &produce(sink, &req)?)?;
        }
        _ => return Err(format!("unsupported request {api:?}").into()),
    }
    Ok(true)
}

/// Append size prefix, response header and body.
fn finish<M: Encodable>(
    out: &mut BytesMut,
    request: &RequestHeader,
    api: ApiKey,
    version: i16,
    body: &M,
) -> Result<(), Error> {
    let mut header = ResponseHeader::default();
    header.correlation_id = request.correlation_id;
    let start = out.len();
    out.put_u32(0);
    header.encode(out, api.response_header_version(version))?;
    body.encode(out, version)?;
    let size = u32::try_from(out.len() - start - 4)?;
    out[start..start + 4].copy_from_slice(&size.to_be_bytes());
    Ok(())
}

fn versions() -> ApiVersionsResponse {
    let mut response = ApiVersionsResponse::default();
    response.api_keys = SUPPORTED
        .iter()
        .chain(&ADVERTISED_ONLY)
        .map(|&(api, min, max)| {
            let mut v = ApiVersion::default();
            v.api_key = api as i16;
            v.min_version = min;
            v.max_version = max;
            v
        })
        .collect();
    response
}

/// Every requested topic exists; an "all topics" request is answered with none.
fn metadata(sink: &Sink, request: &MetadataRequest) -> MetadataResponse {
    let mut broker = MetadataResponseBroker::default();
    broker.node_id = BrokerId(NODE_ID);
    broker.host = StrBytes::from_string(sink.addr.ip().to_string());
    broker.port = i32::from(sink.addr.port());
    let mut response = MetadataResponse::default();
    response.brokers = vec![broker];
    response.cluster_id = Some(StrBytes::from_static_str("produce-sink"));
    response.controller_id = BrokerId(NODE_ID);
    let names = request
        .topics
        .iter()
        .flatten()
        .filter_map(|t| t.name.clone());
    response.topics = names.map(|name| topic(sink, name)).collect();
    response
}

fn topic(sink: &Sink, name: TopicName) -> MetadataResponseTopic {
    let mut topic = MetadataResponseTopic::default();
    // A stable, non-nil id per name for clients that key on topic ids.
    let mut id: u128 = 0xcbf2_9ce4_8422_2325;
    for b in name.0.as_bytes() {
        id = (id ^ u128::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
    topic.topic_id = uuid::Uuid::from_u128(id | 1);
    topic.name = Some(name);
    topic.partitions = (0..sink.partitions)
        .map(|index| {
            let mut p = MetadataResponsePartition::default();
            p.partition_index = index;
            p.leader_id = BrokerId(NODE_ID);
            p.replica_nodes = vec![BrokerId(NODE_ID)];
            p.isr_nodes = vec![BrokerId(NODE_ID)];
            p
        })
        .collect();
    topic
}

/// Acknowledge every partition with the base offset of its first record.
fn produce(sink: &Sink, request: &ProduceRequest) -> Result<ProduceResponse, Error> {
    let mut offsets = sink.offsets.lock().map_err(|_| "poisoned lock")?;
    let mut response = ProduceResponse::default();
    for topic in &request.topic_data {
        let mut t = TopicProduceResponse::default();
        t.name = topic.name.clone();
        t.topic_id = topic.topic_id;
        for partition in &topic.partition_data {
            let records = partition.records.as_ref().map_or(0, record_count);
            let next = offsets
                .entry((topic.name.0.clone().into_bytes(), partition.index))
                .or_insert(0);
            let mut p = PartitionProduceResponse::default();
            p.index = partition.index;
            p.base_offset = *next;
            p.log_append_time_ms = -1;
            *next += records;
            t.partition_responses.push(p);
        }
        response.responses.push(t);
    }
    Ok(response)
}

/// Advance offsets for an acks=0 request, which gets no response.
fn count(sink: &Sink, request: &ProduceRequest) -> Result<(), Error> {
    produce(sink, request).map(drop)
}

/// Records in a run of v2 record batches (count at byte 57 of each batch); a malformed tail
/// ends the count.
fn record_count(batches: &Bytes) -> i64 {
    let mut rest = batches.clone();
    let mut total = 0i64;
    while rest.len() >= 61 {
        let batch_len = i32::from_be_bytes([rest[8], rest[9], rest[10], rest[11]]);
        let records = i32::from_be_bytes([rest[57], rest[58], rest[59], rest[60]]);
        let Ok(batch_len) = usize::try_from(batch_len) else {
            break;
        };
        total += i64::from(records.max(0));
        let end = 12usize.saturating_add(batch_len);
        if end > rest.len() {
            break;
        }
        rest.advance(end);
    }
    total
}
