//! The Produce path without sockets: a 1 MiB Produce request of 1,000 records through
//! `Enforcer::check` (decode → find batches → decompress → check → decide), per codec and
//! level. Throughput is in records, so criterion reports time per request and records/s.
//!
//! Run: `cargo bench --bench produce_path`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{ApiKey, ProduceRequest, RequestHeader, TopicName};
use kafka_protocol::protocol::{Encodable, HeaderVersion, StrBytes};
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use schemagate::produce::{Enforcer, ProduceAction, ProduceContext};
use schemagate::registry::{LocalRegistry, RegistryConfig, SchemaSource, SchemaText, SchemaType};
use schemagate::topology::TopicIds;

const RECORDS: usize = 1_000;
const SCHEMA: &str = r#"{"type":"record","name":"Blob","namespace":"bench","fields":[{"name":"id","type":"long"},{"name":"data","type":"string"}]}"#;

#[derive(Debug)]
struct OneSchema(HashMap<i32, (SchemaText, Vec<(String, i32)>)>);

impl LocalRegistry for OneSchema {
    fn schema_text(&self, id: i32) -> Option<SchemaText> {
        self.0.get(&id).map(|(t, _)| t.clone())
    }
    fn subject_versions_of(&self, id: i32) -> Vec<(String, i32)> {
        self.0.get(&id).map(|(_, s)| s.clone()).unwrap_or_default()
    }
    fn is_ready(&self) -> bool {
        true
    }
}

/// A ~1 KiB Confluent-framed Avro value: id 1, then `Blob{id, data}`.
fn value(i: usize) -> Bytes {
    let mut v = vec![0, 0, 0, 0, 1];
    v.push(((i % 60) * 2) as u8); // zigzag long < 64
    let data = vec![b'a' + (i % 26) as u8; 1_000];
    v.extend_from_slice(&[0xd0, 0x0f]); // zigzag 1000
    v.extend_from_slice(&data);
    Bytes::from(v)
}

fn frame(compression: Compression) -> Bytes {
    let records: Vec<Record> = (0..RECORDS)
        .map(|i| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: 0,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: TimestampType::Creation,
            offset: i as i64,
            sequence: i as i32,
            timestamp: 1_700_000_000_000,
            key: None,
            value: Some(value(i)),
            headers: Default::default(),
        })
        .collect();
    let mut batch = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut batch,
        records.iter(),
        &RecordEncodeOptions {
            version: 2,
            compression,
        },
    )
    .unwrap();
    let mut p = PartitionProduceData::default();
    p.records = Some(batch.freeze());
    let mut t = TopicProduceData::default();
    t.name = TopicName(StrBytes::from_static_str("bench"));
    t.partition_data.push(p);
    let mut req = ProduceRequest::default();
    req.acks = -1;
    req.timeout_ms = 30_000;
    req.topic_data.push(t);
    let mut header = RequestHeader::default();
    header.request_api_key = ApiKey::Produce as i16;
    header.request_api_version = 9;
    let mut out = BytesMut::new();
    header
        .encode(&mut out, ProduceRequest::header_version(9))
        .unwrap();
    req.encode(&mut out, 9).unwrap();
    out.freeze()
}

fn enforcer(level: &str) -> Enforcer {
    let text = SchemaText {
        schema_type: SchemaType::Avro,
        schema: SCHEMA.into(),
        references: vec![],
    };
    let reg = OneSchema(
        [(1, (text, vec![("bench-value".to_owned(), 1)]))]
            .into_iter()
            .collect(),
    );
    let policy = serde_yaml_ng::from_str(&format!(
        "rules: [{{match: {{topic: bench}}, value: {{level: {level}}}}}]"
    ))
    .unwrap();
    Enforcer::new(
        policy,
        SchemaSource::Embedded(Arc::new(reg)),
        &RegistryConfig::default(),
    )
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let ids = TopicIds::default();
    let mut group = c.benchmark_group("produce_path");
    group.throughput(Throughput::Elements(RECORDS as u64));
    for (codec_name, codec) in [
        ("none", Compression::None),
        ("lz4", Compression::Lz4),
        ("zstd", Compression::Zstd),
    ] {
        let frame = frame(codec);
        for level in ["none", "wire-format", "subject", "payload"] {
            let e = enforcer(level);
            let ctx = ProduceContext {
                api_version: 9,
                correlation_id: 1,
                topic_ids: &ids,
            };
            // Warm the schema cache and report what the path decides.
            let outcome = rt.block_on(e.check(ctx, frame.clone())).unwrap();
            let forwarded = matches!(outcome, ProduceAction::Forward(_));
            eprintln!(
                "{codec_name}/{level}: request {} bytes, forwarded={forwarded}",
                frame.len()
            );
            group.bench_function(format!("{codec_name}/{level}"), |b| {
                b.iter(|| black_box(rt.block_on(e.check(ctx, frame.clone())).unwrap()))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
