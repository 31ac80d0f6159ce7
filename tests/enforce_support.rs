//! Shared helpers for the in-process enforcement tests (included with `#[path]`; as its own
//! test target it holds no tests).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{
    ApiKey, ProduceRequest, ProduceResponse, RequestHeader, ResponseHeader, TopicName,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes};
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use schemagate::policy::PolicyConfig;
use schemagate::produce::{Enforcer, ProduceAction, ProduceContext};
use schemagate::registry::{LocalRegistry, RegistryConfig, SchemaSource, SchemaText, SchemaType};
use schemagate::topology::TopicIds;
use std::sync::Arc;
use uuid::Uuid;

/// In-memory registry: id → (schema, subjects).
#[derive(Debug, Default)]
pub struct MapRegistry {
    schemas: Mutex<HashMap<i32, (String, Vec<String>)>>,
    pub down: AtomicBool,
}

impl MapRegistry {
    pub fn with(entries: &[(i32, &str, &[&str])]) -> Self {
        let r = Self::default();
        for (id, schema, subjects) in entries {
            r.add(*id, schema, subjects);
        }
        r
    }

    pub fn add(&self, id: i32, schema: &str, subjects: &[&str]) {
        let subjects = subjects.iter().map(|s| (*s).to_owned()).collect();
        self.schemas
            .lock()
            .unwrap()
            .insert(id, (schema.to_owned(), subjects));
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }
}

impl LocalRegistry for MapRegistry {
    fn schema_text(&self, id: i32) -> Option<SchemaText> {
        let map = self.schemas.lock().unwrap();
        map.get(&id).map(|(s, _)| SchemaText {
            schema_type: SchemaType::Avro,
            schema: s.clone(),
            references: vec![],
        })
    }
    fn subject_versions_of(&self, id: i32) -> Vec<(String, i32)> {
        let map = self.schemas.lock().unwrap();
        map.get(&id)
            .map(|(_, subs)| subs.iter().map(|s| (s.clone(), 1)).collect())
            .unwrap_or_default()
    }
    fn is_ready(&self) -> bool {
        !self.down.load(Ordering::SeqCst)
    }
}

pub const USER: &str = r#"{"type":"record","name":"User","namespace":"com.example","fields":[{"name":"id","type":"int"},{"name":"name","type":"string"},{"name":"email","type":"string"}]}"#;
pub const PAYMENT: &str = r#"{"type":"record","name":"Payment","namespace":"com.example","fields":[{"name":"amount","type":"long"}]}"#;

/// A Confluent-framed value: 0x00, big-endian id, payload.
pub fn framed(id: i32, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0u8];
    v.extend_from_slice(&id.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

pub fn record(i: i64, key: Option<Vec<u8>>, value: Option<Vec<u8>>) -> Record {
    Record {
        transactional: false,
        control: false,
        delete_horizon: false,
        partition_leader_epoch: 0,
        producer_id: -1,
        producer_epoch: -1,
        timestamp_type: TimestampType::Creation,
        offset: i,
        sequence: i as i32,
        timestamp: 1_700_000_000_000,
        key: key.map(Bytes::from),
        value: value.map(Bytes::from),
        headers: Default::default(),
    }
}

/// One record batch holding these values (keys null).
pub fn batch_of(values: &[Option<Vec<u8>>], compression: Compression) -> Bytes {
    let records: Vec<Record> = values
        .iter()
        .enumerate()
        .map(|(i, v)| record(i as i64, None, v.clone()))
        .collect();
    batch(&records, compression)
}

pub fn batch(records: &[Record], compression: Compression) -> Bytes {
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        records.iter(),
        &RecordEncodeOptions {
            version: 2,
            compression,
        },
    )
    .unwrap();
    buf.freeze()
}

/// Topic of a request: (name, id, [(partition, records)]).
pub type TopicSpec = (&'static str, Uuid, Vec<(i32, Bytes)>);

pub fn produce_frame(version: i16, acks: i16, correlation_id: i32, topics: &[TopicSpec]) -> Bytes {
    let mut req = ProduceRequest::default();
    req.acks = acks;
    req.timeout_ms = 30_000;
    for (name, id, parts) in topics {
        let mut t = TopicProduceData::default();
        if version >= 13 {
            t.topic_id = *id;
        } else {
            t.name = TopicName(StrBytes::from_static_str(name));
        }
        for (index, records) in parts {
            let mut p = PartitionProduceData::default();
            p.index = *index;
            p.records = Some(records.clone());
            t.partition_data.push(p);
        }
        req.topic_data.push(t);
    }
    let mut header = RequestHeader::default();
    header.request_api_key = ApiKey::Produce as i16;
    header.request_api_version = version;
    header.correlation_id = correlation_id;
    header.client_id = Some(StrBytes::from_static_str("enforce-test"));
    let mut out = BytesMut::new();
    header
        .encode(&mut out, ProduceRequest::header_version(version))
        .unwrap();
    req.encode(&mut out, version).unwrap();
    out.freeze()
}

pub fn decode_request(frame: &Bytes, version: i16) -> ProduceRequest {
    let mut buf = frame.clone();
    RequestHeader::decode(&mut buf, ProduceRequest::header_version(version)).unwrap();
    ProduceRequest::decode(&mut buf, version).unwrap()
}

pub fn decode_response(frame: &Bytes, version: i16) -> (i32, ProduceResponse) {
    let mut buf = frame.clone();
    let header =
        ResponseHeader::decode(&mut buf, ProduceResponse::header_version(version)).unwrap();
    let body = ProduceResponse::decode(&mut buf, version).unwrap();
    assert!(buf.is_empty(), "trailing bytes in response");
    (header.correlation_id, body)
}

/// A broker's success response for these (topic, id, partitions), in the given order.
pub fn broker_response(
    version: i16,
    correlation_id: i32,
    topics: &[(&str, Uuid, Vec<i32>)],
) -> Bytes {
    let mut body = ProduceResponse::default();
    body.throttle_time_ms = 7;
    for (name, id, parts) in topics {
        let mut t = TopicProduceResponse::default();
        if version >= 13 {
            t.topic_id = *id;
        } else {
            t.name = TopicName(StrBytes::from_string((*name).to_owned()));
        }
        for p in parts {
            let mut r = PartitionProduceResponse::default();
            r.index = *p;
            r.base_offset = 100 + i64::from(*p);
            t.partition_responses.push(r);
        }
        body.responses.push(t);
    }
    let mut header = ResponseHeader::default();
    header.correlation_id = correlation_id;
    let mut out = BytesMut::new();
    header
        .encode(&mut out, ProduceResponse::header_version(version))
        .unwrap();
    body.encode(&mut out, version).unwrap();
    out.freeze()
}

/// Flatten a response into (topic name or id, partition, error code, base offset, message,
/// record_errors) rows, in order.
pub type Row = (String, i32, i16, i64, Option<String>, Vec<(i32, String)>);

pub fn rows(resp: &ProduceResponse) -> Vec<Row> {
    let mut out = Vec::new();
    for t in &resp.responses {
        let topic = if t.topic_id.is_nil() {
            t.name.0.to_string()
        } else {
            t.topic_id.to_string()
        };
        for p in &t.partition_responses {
            let errors = p
                .record_errors
                .iter()
                .map(|e| {
                    (
                        e.batch_index,
                        e.batch_index_error_message
                            .as_ref()
                            .map(|m| m.to_string())
                            .unwrap_or_default(),
                    )
                })
                .collect();
            out.push((
                topic.clone(),
                p.index,
                p.error_code,
                p.base_offset,
                p.error_message.as_ref().map(|m| m.to_string()),
                errors,
            ));
        }
    }
    out
}

// ---- Enforcer fixtures shared by the produce tests ----

pub const VERSIONS: [i16; 5] = [3, 8, 9, 12, 13];

pub fn policy(yaml: &str) -> PolicyConfig {
    serde_yaml_ng::from_str(yaml).unwrap()
}

pub fn registry() -> Arc<MapRegistry> {
    Arc::new(MapRegistry::with(&[
        (1, USER, &["orders-value"]),
        (
            2,
            PAYMENT,
            &[
                "payments-value",
                "com.example.Payment",
                "orders-com.example.Payment",
            ],
        ),
        (3, USER, &["orders-key"]),
    ]))
}

pub fn enforcer_with(policy: PolicyConfig, reg: Arc<MapRegistry>) -> Enforcer {
    Enforcer::new(
        policy,
        SchemaSource::Embedded(reg),
        &RegistryConfig::default(),
    )
    .unwrap()
}

pub fn enforcer(yaml: &str) -> Enforcer {
    enforcer_with(policy(yaml), registry())
}

pub struct Topics {
    pub ids: TopicIds,
    pub orders: Uuid,
    pub payments: Uuid,
}

pub fn topics() -> Topics {
    let ids = TopicIds::default();
    let (orders, payments) = (Uuid::from_u128(0xa1), Uuid::from_u128(0xb2));
    ids.insert(orders, "orders");
    ids.insert(payments, "payments");
    Topics {
        ids,
        orders,
        payments,
    }
}

pub async fn run(e: &Enforcer, version: i16, frame: Bytes, ids: &TopicIds) -> ProduceAction {
    let ctx = ProduceContext {
        api_version: version,
        correlation_id: 42,
        topic_ids: ids,
    };
    e.check(ctx, frame).await.unwrap()
}

pub fn good() -> Option<Vec<u8>> {
    Some(framed(1, b"\x02\x02a\x02b"))
}

/// Run a single-partition `orders` request and return the response rows it was answered with.
pub async fn refused_rows(
    e: &Enforcer,
    version: i16,
    values: &[Option<Vec<u8>>],
    codec: Compression,
) -> Vec<Row> {
    let t = topics();
    let frame = produce_frame(
        version,
        -1,
        42,
        &[("orders", t.orders, vec![(0, batch_of(values, codec))])],
    );
    match run(e, version, frame, &t.ids).await {
        ProduceAction::Respond(resp) => {
            let (cid, body) = decode_response(&resp, version);
            assert_eq!(cid, 42);
            assert_eq!(body.throttle_time_ms, 0);
            rows(&body)
        }
        other => panic!("v{version}: expected Respond, got {other:?}"),
    }
}

pub const SUBJECT_RULE: &str = "rules: [{match: {topic: orders}, value: {level: subject}}]";
