//! A minimal raw Kafka connection: frames typed requests with kafka-protocol and decodes the
//! responses. Used for the requests no client library exposes (FindCoordinator of every
//! version, raw Fetch with control batches) and for sending deliberately bad bytes.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, Request, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CLIENT_ID: &str = "schemagate-tests";
const IO_TIMEOUT: Duration = Duration::from_secs(20);

/// Encodes `request` as a complete frame (4-byte length prefix, header, body).
pub fn encode_request<R: Request>(request: &R, version: i16, correlation_id: i32) -> Bytes {
    let api_key = ApiKey::try_from(R::KEY).expect("known api key");
    let header = RequestHeader::default()
        .with_request_api_key(R::KEY)
        .with_request_api_version(version)
        .with_correlation_id(correlation_id)
        .with_client_id(Some(StrBytes::from_static_str(CLIENT_ID)));
    let mut body = BytesMut::new();
    header
        .encode(&mut body, api_key.request_header_version(version))
        .expect("encode request header");
    request
        .encode(&mut body, version)
        .expect("encode request body");
    let mut frame = BytesMut::with_capacity(body.len() + 4);
    frame.put_i32(i32::try_from(body.len()).expect("frame fits i32"));
    frame.extend_from_slice(&body);
    frame.freeze()
}

/// Decodes a response frame body (without its length prefix) to its correlation id and body.
pub fn decode_response<R: Request>(mut frame: Bytes, version: i16) -> (i32, R::Response) {
    let api_key = ApiKey::try_from(R::KEY).expect("known api key");
    let header = ResponseHeader::decode(&mut frame, api_key.response_header_version(version))
        .expect("decode response header");
    let body = R::Response::decode(&mut frame, version).expect("decode response body");
    (header.correlation_id, body)
}

/// One client connection speaking the Kafka protocol.
pub struct KafkaConnection {
    stream: TcpStream,
    next_correlation_id: i32,
}

impl KafkaConnection {
    pub async fn connect(addr: SocketAddr) -> KafkaConnection {
        let stream = tokio::time::timeout(IO_TIMEOUT, TcpStream::connect(addr))
            .await
            .unwrap_or_else(|_| panic!("connect to {addr} timed out"))
            .unwrap_or_else(|error| panic!("connect to {addr}: {error}"));
        KafkaConnection {
            stream,
            next_correlation_id: 1,
        }
    }

    /// Sends `request` and returns the correlation id it used, without waiting for the answer.
    pub async fn send<R: Request>(&mut self, request: &R, version: i16) -> i32 {
        let correlation_id = self.next_correlation_id;
        self.next_correlation_id += 1;
        self.write_raw(&encode_request(request, version, correlation_id))
            .await;
        correlation_id
    }

    /// Reads the next response, which must belong to a request of type `R` at `version`.
    pub async fn receive<R: Request>(&mut self, version: i16) -> (i32, R::Response) {
        let frame = self.read_frame().await.unwrap_or_else(|| {
            panic!(
                "connection closed before a {:?} response",
                ApiKey::try_from(R::KEY)
            )
        });
        decode_response::<R>(frame, version)
    }

    /// Sends `request` and waits for its response.
    pub async fn request<R: Request>(&mut self, request: &R, version: i16) -> R::Response {
        let sent = self.send(request, version).await;
        let (received, response) = self.receive::<R>(version).await;
        assert_eq!(sent, received, "response correlation id");
        response
    }

    pub async fn write_raw(&mut self, bytes: &[u8]) {
        tokio::time::timeout(IO_TIMEOUT, self.stream.write_all(bytes))
            .await
            .expect("write timed out")
            .expect("write to the proxy");
    }

    /// The next frame body, or `None` when the peer closed the connection (cleanly or not).
    pub async fn read_frame(&mut self) -> Option<Bytes> {
        let mut length = [0u8; 4];
        let read = tokio::time::timeout(IO_TIMEOUT, self.stream.read_exact(&mut length))
            .await
            .expect("read timed out");
        read.ok()?;
        let length =
            usize::try_from(i32::from_be_bytes(length)).expect("non-negative response length");
        let mut body = vec![0u8; length];
        tokio::time::timeout(IO_TIMEOUT, self.stream.read_exact(&mut body))
            .await
            .expect("read timed out")
            .ok()?;
        Some(Bytes::from(body))
    }

    /// Waits until the peer closes the connection; panics if it sends a frame instead.
    pub async fn expect_closed(&mut self, within: Duration) {
        let mut buf = [0u8; 64];
        let read = tokio::time::timeout(within, self.stream.read(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("connection still open after {within:?}"));
        if let Ok(n) = read {
            assert_eq!(n, 0, "expected the connection to be closed, got {n} bytes");
        }
    }
}

/// A correlation id read from the first 4 bytes of a response frame body.
pub fn correlation_id_of(frame: &Bytes) -> i32 {
    frame.clone().get_i32()
}

/// One uncompressed v2 record batch of `values` (no keys, no producer id), for raw Produce.
pub fn plain_batch(values: &[Bytes]) -> Bytes {
    use kafka_protocol::records::{
        Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
    };
    let records: Vec<Record> = values
        .iter()
        .enumerate()
        .map(|(offset, value)| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: 0,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: TimestampType::Creation,
            offset: i64::try_from(offset).expect("offset fits i64"),
            sequence: -1,
            timestamp: 1_700_000_000_000,
            key: None,
            value: Some(value.clone()),
            headers: Default::default(),
        })
        .collect();
    let mut batch = BytesMut::new();
    let options = RecordEncodeOptions {
        version: 2,
        compression: Compression::None,
    };
    RecordBatchEncoder::encode(&mut batch, records.iter(), &options).expect("encode batch");
    batch.freeze()
}

/// A Produce request carrying `batch` for partition 0 of `topic` (by name).
pub fn produce_to_partition_0(
    topic: &str,
    acks: i16,
    batch: Bytes,
) -> kafka_protocol::messages::ProduceRequest {
    use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
    use kafka_protocol::messages::{ProduceRequest, TopicName};
    let partition = PartitionProduceData::default()
        .with_index(0)
        .with_records(Some(batch));
    ProduceRequest::default()
        .with_acks(acks)
        .with_timeout_ms(30_000)
        .with_topic_data(vec![
            TopicProduceData::default()
                .with_name(TopicName(StrBytes::from_string(topic.to_owned())))
                .with_partition_data(vec![partition]),
        ])
}
