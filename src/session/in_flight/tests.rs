use std::time::Duration;

use bytes::BufMut;
use kafka_protocol::messages::metadata_response::MetadataResponseBroker;
use kafka_protocol::messages::{BrokerId, MetadataResponse};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio_util::codec::{FramedRead, FramedWrite};

use super::*;
use crate::codec::KafkaCodec;

struct FakeRouter {
    topic_ids: TopicIds,
}

impl BrokerRouter for FakeRouter {
    async fn proxy_port(&self, broker: &BrokerAddr) -> Result<u16, SessionError> {
        Ok(40_000 + broker.node_id as u16)
    }
    fn advertised_host(&self) -> &str {
        "edge"
    }
    fn topic_ids(&self) -> &TopicIds {
        &self.topic_ids
    }
}

/// Test ends of a response side: write broker frames, read client frames.
struct Harness {
    entries: mpsc::Sender<InFlight>,
    broker: DuplexStream,
    client: DuplexStream,
    task: tokio::task::JoinHandle<Result<(), SessionError>>,
}

fn start() -> Harness {
    let (tx, rx) = mpsc::channel(16);
    let (broker, upstream) = tokio::io::duplex(1 << 16);
    let (client, client_side) = tokio::io::duplex(1 << 16);
    let task = tokio::spawn(async move {
        let router = FakeRouter {
            topic_ids: TopicIds::default(),
        };
        let count = InFlightCount::default();
        for _ in 0..16 {
            count.add();
        }
        relay_responses(
            rx,
            FramedRead::new(upstream, KafkaCodec::new(1 << 20)),
            FramedWrite::new(client_side, KafkaCodec::new(1 << 20)),
            &router,
            &count,
            &Shutdown::new(),
        )
        .await
    });
    Harness {
        entries: tx,
        broker,
        client,
        task,
    }
}

/// Heartbeat v0: response header v0, relayed opaquely.
fn heartbeat(corr: i32, reply: Reply) -> InFlight {
    InFlight {
        correlation_id: corr,
        api_key: 12,
        api_version: 0,
        reply,
    }
}

fn response(corr: i32, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.put_i32((4 + body.len()) as i32);
    out.put_i32(corr);
    out.extend_from_slice(body);
    out
}

async fn read_frame(client: &mut DuplexStream) -> Vec<u8> {
    let len = client.read_i32().await.unwrap();
    let mut buf = vec![0; len as usize];
    client.read_exact(&mut buf).await.unwrap();
    buf
}

async fn nothing_yet(client: &mut DuplexStream) {
    let mut byte = [0u8];
    assert!(
        tokio::time::timeout(Duration::from_millis(50), client.read(&mut byte))
            .await
            .is_err(),
        "a response was written out of order"
    );
}

#[tokio::test]
async fn local_answers_wait_for_earlier_broker_responses() {
    let mut h = start();
    let local = Bytes::from(response(2, b"local")[4..].to_vec());
    h.entries.send(heartbeat(1, Reply::Broker)).await.unwrap();
    h.entries
        .send(heartbeat(2, Reply::Local(local.clone())))
        .await
        .unwrap();
    h.entries.send(heartbeat(3, Reply::Broker)).await.unwrap();
    nothing_yet(&mut h.client).await;
    h.broker.write_all(&response(1, b"one")).await.unwrap();
    assert_eq!(read_frame(&mut h.client).await, response(1, b"one")[4..]);
    assert_eq!(read_frame(&mut h.client).await, local);
    nothing_yet(&mut h.client).await;
    h.broker.write_all(&response(3, b"three")).await.unwrap();
    assert_eq!(read_frame(&mut h.client).await, response(3, b"three")[4..]);
    drop(h.entries);
    assert!(h.task.await.unwrap().is_ok());
}

#[tokio::test]
async fn pipelined_responses_keep_their_order() {
    let mut h = start();
    for corr in 10..15 {
        h.entries
            .send(heartbeat(corr, Reply::Broker))
            .await
            .unwrap();
    }
    for corr in 10..15 {
        h.broker.write_all(&response(corr, b"x")).await.unwrap();
    }
    for corr in 10..15 {
        assert_eq!(read_frame(&mut h.client).await, response(corr, b"x")[4..]);
    }
}

#[tokio::test]
async fn correlation_mismatch_closes_the_session() {
    let h = start();
    h.entries.send(heartbeat(1, Reply::Broker)).await.unwrap();
    let mut broker = h.broker;
    broker.write_all(&response(2, b"")).await.unwrap();
    let err = h.task.await.unwrap().unwrap_err();
    assert!(
        matches!(
            err,
            SessionError::CorrelationMismatch {
                expected: 1,
                got: 2,
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn broker_closing_with_requests_in_flight_is_reported() {
    let h = start();
    h.entries.send(heartbeat(1, Reply::Broker)).await.unwrap();
    drop(h.broker);
    let err = h.task.await.unwrap().unwrap_err();
    assert!(matches!(err, SessionError::BrokerClosed { .. }), "{err}");
    assert_eq!(err.side(), crate::session::Side::Broker);
}

#[tokio::test]
async fn broker_closing_while_idle_or_sending_unsolicited_frames_ends_the_session() {
    let h = start();
    drop(h.broker);
    assert!(matches!(
        h.task.await.unwrap(),
        Err(SessionError::BrokerClosed { in_flight: 0, .. })
    ));
    let mut h = start();
    h.broker.write_all(&response(9, b"")).await.unwrap();
    assert!(matches!(
        h.task.await.unwrap(),
        Err(SessionError::Unsolicited)
    ));
}

#[tokio::test]
async fn oversized_broker_frame_is_a_broker_error() {
    let mut h = start();
    h.entries.send(heartbeat(1, Reply::Broker)).await.unwrap();
    h.broker.write_all(&i32::MAX.to_be_bytes()).await.unwrap();
    let err = h.task.await.unwrap().unwrap_err();
    assert!(
        matches!(err, SessionError::BrokerFrame(CodecError::Oversized { .. })),
        "{err}"
    );
}

#[tokio::test]
async fn metadata_responses_are_rewritten_on_the_way_through() {
    let mut h = start();
    let version = 12; // flexible: response header v1 with tagged fields
    h.entries
        .send(InFlight {
            correlation_id: 7,
            api_key: ApiKey::Metadata as i16,
            api_version: version,
            reply: Reply::Broker,
        })
        .await
        .unwrap();
    let body = MetadataResponse::default().with_brokers(vec![
        MetadataResponseBroker::default()
            .with_node_id(BrokerId(3))
            .with_host(StrBytes::from_static_str("kafka-3"))
            .with_port(9092),
    ]);
    let mut frame = BytesMut::new();
    frame.put_i32(7);
    frame.put_u8(0); // no header tagged fields
    body.encode(&mut frame, version).unwrap();
    let mut wire = Vec::new();
    wire.put_i32(frame.len() as i32);
    wire.extend_from_slice(&frame);
    h.broker.write_all(&wire).await.unwrap();
    let out = read_frame(&mut h.client).await;
    assert_eq!(&out[..5], &[0, 0, 0, 7, 0]);
    let mut rest = Bytes::from(out[5..].to_vec());
    let back = MetadataResponse::decode(&mut rest, version).unwrap();
    assert_eq!(back.brokers[0].host.as_str(), "edge");
    assert_eq!(back.brokers[0].port, 40_003);
}

#[tokio::test]
async fn undecodable_metadata_closes_instead_of_leaking() {
    let mut h = start();
    h.entries
        .send(InFlight {
            correlation_id: 1,
            api_key: ApiKey::Metadata as i16,
            api_version: 5,
            reply: Reply::Broker,
        })
        .await
        .unwrap();
    h.broker.write_all(&response(1, &[0xff; 3])).await.unwrap();
    let err = h.task.await.unwrap().unwrap_err();
    assert!(matches!(err, SessionError::Rewrite(_)), "{err}");
}

#[tokio::test]
async fn stray_answers_to_acks_zero_produce_are_dropped() {
    let (tx, rx) = mpsc::channel(4);
    let (mut broker, upstream) = tokio::io::duplex(1 << 16);
    let (mut client, client_side) = tokio::io::duplex(1 << 16);
    let count = std::sync::Arc::new(InFlightCount::default());
    count.no_reply(100);
    count.no_reply(101);
    let counter = count.clone();
    let task = tokio::spawn(async move {
        let router = FakeRouter {
            topic_ids: TopicIds::default(),
        };
        relay_responses(
            rx,
            FramedRead::new(upstream, KafkaCodec::new(1 << 20)),
            FramedWrite::new(client_side, KafkaCodec::new(1 << 20)),
            &router,
            &counter,
            &Shutdown::new(),
        )
        .await
    });
    // One stray while idle, one ahead of a real response.
    broker.write_all(&response(100, b"stray")).await.unwrap();
    count.add();
    tx.send(heartbeat(5, Reply::Broker)).await.unwrap();
    broker.write_all(&response(101, b"stray")).await.unwrap();
    broker.write_all(&response(5, b"real")).await.unwrap();
    assert_eq!(read_frame(&mut client).await, response(5, b"real")[4..]);
    // A second answer for the same id is no longer expected: protocol violation.
    broker.write_all(&response(100, b"again")).await.unwrap();
    assert!(matches!(
        task.await.unwrap(),
        Err(SessionError::Unsolicited)
    ));
}
