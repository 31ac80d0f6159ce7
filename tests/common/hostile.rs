//! The scene for the record-level hostile-input tests (`tests/faults_hostile_*.rs`, which
//! include this file with `#[path]`): a real tansu broker, schemagate in front of it with its
//! embedded registry and a `payload` rule on keys and values, three registered schemas, a
//! healthy idempotent confluent-kafka producer running for the whole test, and hand-built
//! record batches sent on raw connections.
//!
//! Hostile batches carry a valid CRC-32C and otherwise valid-looking records, so a batch the
//! proxy let through would be stored by the broker and show up in the final consume: the
//! no-bypass check compares the topic's contents with exactly the healthy producer's values.
#![allow(dead_code)]

use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{FetchRequest, MetadataRequest, ProduceRequest, TopicName};
use kafka_protocol::protocol::StrBytes;
use serde_json::Value;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::common::clients::{ClientOutput, args, create_topic, python};
use crate::common::net::{random_topic_name, wait_for_registry};
use crate::common::proxy::{Proxy, start_proxy_with};
use crate::common::tansu::Tansu;
use crate::common::wire::KafkaConnection;

const CLIENT: &str = "enforce_produce.py";
/// Records the healthy producer sends, one every [`INTERVAL`] seconds (about 20 s in all, so
/// it outlasts every hostile input).
pub const COUNT: usize = 400;
const INTERVAL: &str = "0.05";
/// `policy.max_decompressed_bytes`: small, so a bomb needs only a small frame.
pub const CAP: usize = 65_536;
/// Hostile records that would otherwise be valid use user ids from here, so none of them can
/// be mistaken for one of the healthy producer's.
pub const HOSTILE_IDS: i64 = 1_000_000;

pub const VALUE_SCHEMA: &str = r#"{"type":"record","name":"User","namespace":"ssup2.com","fields":[{"name":"id","type":"int"},{"name":"name","type":"string"},{"name":"email","type":"string"}]}"#;
pub const KEY_SCHEMA: &str = r#"{"type":"record","name":"UserKey","namespace":"ssup2.com","fields":[{"name":"id","type":"long"}]}"#;
pub const OTHER_SCHEMA: &str = r#"{"type":"record","name":"Payment","namespace":"shop","fields":[{"name":"amount","type":"long"}]}"#;
pub const OTHER_SUBJECT: &str = "payments-value";

/// Schema ids as the embedded registry assigned them.
#[derive(Debug, Clone, Copy)]
pub struct SchemaIds {
    pub value: i32,
    pub key: i32,
    pub other: i32,
}

pub struct Scene {
    pub tansu: Tansu,
    pub proxy: Proxy,
    pub registry: String,
    pub topic: String,
    pub ids: SchemaIds,
}

/// Broker, proxy (keys and values at `payload`, decompression capped at [`CAP`]), a
/// one-partition topic and the schemas of `<topic>-value`, `<topic>-key` and
/// [`OTHER_SUBJECT`].
pub async fn scene() -> Scene {
    let tansu = Tansu::start().await;
    let extra = format!(
        "embedded_registry: {{listen: \"127.0.0.1:0\"}}\n\
         policy:\n  max_decompressed_bytes: {CAP}\n  rules:\n    \
         - match: {{prefix: \"hostile\"}}\n      key: {{level: payload}}\n      \
         value: {{level: payload}}\n"
    );
    let proxy = start_proxy_with(&tansu.bootstrap(), &extra).await;
    let registry = format!("http://{}", proxy.app.registry_addr().expect("registry"));
    wait_for_registry(&registry, Duration::from_secs(30)).await;
    let topic = random_topic_name("hostile");
    create_topic(&proxy.bootstrap(), &topic, 1).await;
    let ids = SchemaIds {
        value: register(&registry, &format!("{topic}-value"), VALUE_SCHEMA).await,
        key: register(&registry, &format!("{topic}-key"), KEY_SCHEMA).await,
        other: register(&registry, OTHER_SUBJECT, OTHER_SCHEMA).await,
    };
    assert!(ids.value != ids.key && ids.key != ids.other, "{ids:?}");
    Scene {
        tansu,
        proxy,
        registry,
        topic,
        ids,
    }
}

async fn register(url: &str, subject: &str, schema: &str) -> i32 {
    let body = serde_json::json!({ "schema": schema }).to_string();
    let response = reqwest::Client::new()
        .post(format!("{url}/subjects/{subject}/versions"))
        .header("content-type", "application/vnd.schemaregistry.v1+json")
        .body(body)
        .send()
        .await
        .expect("register a schema");
    let status = response.status();
    let text = response.text().await.expect("registration body");
    assert!(status.is_success(), "register {subject}: {status} {text}");
    let body: Value = serde_json::from_str(&text).expect("registration JSON");
    let id = body["id"].as_i64().expect("registration id");
    i32::try_from(id).expect("id fits i32")
}

// ---- Avro values and keys ----

/// Appends `value` as an Avro long / Kafka varlong (zigzag varint).
pub fn zigzag(out: &mut Vec<u8>, value: i64) {
    let mut n = ((value << 1) ^ (value >> 63)) as u64;
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn avro_string(out: &mut Vec<u8>, text: &str) {
    zigzag(out, text.len() as i64);
    out.extend_from_slice(text.as_bytes());
}

/// Confluent framing: 0x00, big-endian schema id, payload.
pub fn framed(id: i32, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8];
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// User `i` framed with schema `id` (valid when `id` is the value schema's).
pub fn user(id: i32, i: i64) -> Vec<u8> {
    user_named(id, i, &format!("user{i}"))
}

pub fn user_named(id: i32, i: i64, name: &str) -> Vec<u8> {
    let mut payload = Vec::new();
    zigzag(&mut payload, i);
    avro_string(&mut payload, name);
    avro_string(&mut payload, &format!("user{i}@example.com"));
    framed(id, &payload)
}

/// Key `i` framed with schema `id` (valid when `id` is the key schema's).
pub fn user_key(id: i32, i: i64) -> Vec<u8> {
    let mut payload = Vec::new();
    zigzag(&mut payload, i);
    framed(id, &payload)
}

/// A payment framed with schema `id` (valid for [`OTHER_SUBJECT`] when `id` is its id).
pub fn payment(id: i32, amount: i64) -> Vec<u8> {
    let mut payload = Vec::new();
    zigzag(&mut payload, amount);
    framed(id, &payload)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---- The healthy producer ----

/// The idempotent producer sending valid keys and values all through the test.
pub struct Healthy {
    task: JoinHandle<ClientOutput>,
    values: Vec<String>,
    _dir: tempfile::TempDir,
}

/// Starts the healthy producer and returns once its first record is in the topic.
pub async fn start_healthy(scene: &Scene) -> Healthy {
    let dir = tempfile::tempdir().expect("tempdir");
    let count = i64::try_from(COUNT).expect("count");
    let values: Vec<String> = (0..count).map(|i| hex(&user(scene.ids.value, i))).collect();
    let keys: Vec<String> = (0..count)
        .map(|i| hex(&user_key(scene.ids.key, i)))
        .collect();
    let values_file = dir.path().join("values.json");
    let keys_file = dir.path().join("keys.json");
    std::fs::write(&values_file, serde_json::to_string(&values).expect("json")).expect("write");
    std::fs::write(&keys_file, serde_json::to_string(&keys).expect("json")).expect("write");
    let mut arguments = args([&scene.proxy.bootstrap(), &scene.registry, &scene.topic]);
    arguments.extend(args(["steady", "--interval", INTERVAL]));
    arguments.extend(args(["--values-file", &values_file.display().to_string()]));
    arguments.extend(args(["--keys-file", &keys_file.display().to_string()]));
    let task =
        tokio::spawn(
            async move { python(CLIENT, &arguments, &[], Duration::from_secs(240)).await },
        );
    wait_for_first_record(scene).await;
    Healthy {
        task,
        values,
        _dir: dir,
    }
}

/// Polls the topic's high watermark with a raw Fetch through the proxy.
async fn wait_for_first_record(scene: &Scene) {
    let mut connection = KafkaConnection::connect(scene.proxy.bootstrap_addr()).await;
    let partition = FetchPartition::default()
        .with_partition(0)
        .with_fetch_offset(0)
        .with_partition_max_bytes(1024);
    let topic = FetchTopic::default()
        .with_topic(topic_name(&scene.topic))
        .with_partitions(vec![partition]);
    let request = FetchRequest::default()
        .with_replica_id((-1).into())
        .with_max_wait_ms(0)
        .with_min_bytes(1)
        .with_max_bytes(1024)
        .with_topics(vec![topic]);
    for _ in 0..300 {
        let response = connection.request(&request, 4).await;
        let watermark = response
            .responses
            .first()
            .and_then(|t| t.partitions.first())
            .map_or(0, |p| p.high_watermark);
        if watermark > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the healthy producer stored nothing within 30 s");
}

/// Checks the healthy producer never noticed, then that the topic holds exactly its values,
/// each once (no hostile record got through), and shuts the proxy down.
pub async fn finish(scene: Scene, healthy: Healthy) {
    assert!(
        !healthy.task.is_finished(),
        "the healthy producer must still be running after the last hostile input"
    );
    let out = healthy.task.await.expect("producer task").json();
    assert_eq!(
        out["delivered"], COUNT,
        "every healthy record delivered: {out}"
    );
    assert_eq!(
        out["failed"],
        serde_json::json!([]),
        "no delivery errors: {out}"
    );
    let arguments = args([
        &scene.proxy.bootstrap(),
        &scene.registry,
        &scene.topic,
        "consume",
    ]);
    let stored = python(CLIENT, &arguments, &[], Duration::from_secs(120))
        .await
        .json();
    let mut stored: Vec<String> = stored["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| r[2].as_str().expect("value hex").to_owned())
        .collect();
    stored.sort();
    let mut expected = healthy.values;
    expected.sort();
    assert!(
        stored == expected,
        "the topic must hold exactly the {COUNT} healthy values, each once; it holds {} \
         values, of which these are not healthy ones: {:?}",
        stored.len(),
        stored
            .iter()
            .filter(|v| !expected.contains(v))
            .collect::<Vec<_>>()
    );
    scene.proxy.app.shutdown().await.expect("clean shutdown");
    drop(scene.tansu);
}

// ---- Hand-built records and batches ----

/// One v2 record's body (no headers, timestamp delta 0), without its length prefix.
pub fn record_body(offset_delta: i32, key: Option<&[u8]>, value: Option<&[u8]>) -> Vec<u8> {
    let mut body = vec![0u8];
    zigzag(&mut body, 0);
    zigzag(&mut body, i64::from(offset_delta));
    for part in [key, value] {
        match part {
            Some(bytes) => {
                zigzag(&mut body, bytes.len() as i64);
                body.extend_from_slice(bytes);
            }
            None => zigzag(&mut body, -1),
        }
    }
    zigzag(&mut body, 0);
    body
}

/// `body` with its varint length prefix.
pub fn length_prefixed(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    zigzag(&mut out, body.len() as i64);
    out.extend_from_slice(body);
    out
}

/// One v2 record with its length prefix.
pub fn record(offset_delta: i32, key: Option<&[u8]>, value: Option<&[u8]>) -> Vec<u8> {
    length_prefixed(&record_body(offset_delta, key, value))
}

/// A record's key and value.
pub type KeyValue = (Option<Vec<u8>>, Option<Vec<u8>>);

/// Records `0..` from (key, value) pairs, concatenated (an uncompressed records section).
pub fn records(parts: &[KeyValue]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, (key, value)) in parts.iter().enumerate() {
        let delta = i32::try_from(i).expect("index");
        out.extend(record(delta, key.as_deref(), value.as_deref()));
    }
    out
}

/// Attribute codec bits.
pub const GZIP: i16 = 1;
pub const LZ4: i16 = 3;
pub const ZSTD: i16 = 4;

/// A v2 batch around `section` claiming `count` records, with a correct CRC.
pub fn batch(section: &[u8], count: i32, attributes: i16) -> Vec<u8> {
    let mut b = Vec::with_capacity(61 + section.len());
    b.extend_from_slice(&0i64.to_be_bytes());
    let length = i32::try_from(49 + section.len()).expect("batch length");
    b.extend_from_slice(&length.to_be_bytes());
    b.extend_from_slice(&(-1i32).to_be_bytes()); // partitionLeaderEpoch
    b.push(2);
    b.extend_from_slice(&[0; 4]); // crc, set by seal
    b.extend_from_slice(&attributes.to_be_bytes());
    b.extend_from_slice(&(count - 1).max(0).to_be_bytes());
    b.extend_from_slice(&1_700_000_000_000i64.to_be_bytes());
    b.extend_from_slice(&1_700_000_000_000i64.to_be_bytes());
    b.extend_from_slice(&(-1i64).to_be_bytes()); // producerId
    b.extend_from_slice(&(-1i16).to_be_bytes()); // producerEpoch
    b.extend_from_slice(&(-1i32).to_be_bytes()); // baseSequence
    b.extend_from_slice(&count.to_be_bytes());
    b.extend_from_slice(section);
    seal(&mut b);
    b
}

/// Recomputes the CRC-32C of a v2 batch (it covers attributes to the end).
pub fn seal(batch: &mut [u8]) {
    let crc = crc32c(&batch[21..]);
    batch[17..21].copy_from_slice(&crc.to_be_bytes());
}

fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0x82F6_3B78 & mask);
        }
    }
    !crc
}

pub fn gzip(section: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(section).expect("gzip");
    encoder.finish().expect("gzip")
}

pub fn lz4(section: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = lz4_flex::frame::FrameEncoder::new(Vec::new());
    encoder.write_all(section).expect("lz4");
    encoder.finish().expect("lz4")
}

pub fn zstd(section: &[u8]) -> Vec<u8> {
    zstd::encode_all(section, 19).expect("zstd")
}

/// A legacy message set (magic 0 or 1) of one message with a null key, CRC-32 correct.
pub fn legacy_message_set(magic: u8, value: &[u8]) -> Vec<u8> {
    let mut message = vec![magic, 0];
    if magic == 1 {
        message.extend_from_slice(&1_700_000_000_000i64.to_be_bytes());
    }
    message.extend_from_slice(&(-1i32).to_be_bytes());
    let length = i32::try_from(value.len()).expect("value length");
    message.extend_from_slice(&length.to_be_bytes());
    message.extend_from_slice(value);
    let mut crc = flate2::Crc::new();
    crc.update(&message);
    let mut out = 0i64.to_be_bytes().to_vec();
    let size = i32::try_from(4 + message.len()).expect("message size");
    out.extend_from_slice(&size.to_be_bytes());
    out.extend_from_slice(&crc.sum().to_be_bytes());
    out.extend_from_slice(&message);
    out
}

// ---- Produce requests on raw connections ----

fn topic_name(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_owned()))
}

/// Where a Produce request sends its one partition (0).
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    Name(&'a str),
    Id(Uuid),
}

/// What the proxy answered for the request's one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub code: i16,
    pub message: Option<String>,
    pub record_errors: Vec<(i32, String)>,
}

impl Answer {
    pub fn new(code: i16, message: Option<&str>, record_errors: &[(i32, &str)]) -> Answer {
        Answer {
            code,
            message: message.map(str::to_owned),
            record_errors: record_errors
                .iter()
                .map(|(i, m)| (*i, (*m).to_owned()))
                .collect(),
        }
    }
}

pub fn produce_request(target: Target<'_>, records: Vec<u8>) -> ProduceRequest {
    let partition = PartitionProduceData::default()
        .with_index(0)
        .with_records(Some(Bytes::from(records)));
    let topic = match target {
        Target::Name(name) => TopicProduceData::default().with_name(topic_name(name)),
        Target::Id(id) => TopicProduceData::default().with_topic_id(id),
    };
    ProduceRequest::default()
        .with_acks(-1)
        .with_timeout_ms(30_000)
        .with_topic_data(vec![topic.with_partition_data(vec![partition])])
}

/// Sends `records` for partition 0 of `target` at `version` on a fresh connection, returns
/// the answer, and checks that the same connection still answers a Metadata request.
pub async fn produce_alone(
    scene: &Scene,
    version: i16,
    target: Target<'_>,
    records: Vec<u8>,
) -> Answer {
    let mut connection = KafkaConnection::connect(scene.proxy.bootstrap_addr()).await;
    let response = connection
        .request(&produce_request(target, records), version)
        .await;
    assert_eq!(response.responses.len(), 1, "{response:?}");
    let partitions = &response.responses[0].partition_responses;
    assert_eq!(partitions.len(), 1, "{response:?}");
    let p = &partitions[0];
    let answer = Answer {
        code: p.error_code,
        message: p.error_message.as_ref().map(|m| m.to_string()),
        record_errors: p
            .record_errors
            .iter()
            .map(|e| {
                let message = e.batch_index_error_message.as_ref();
                (
                    e.batch_index,
                    message.map(|m| m.to_string()).unwrap_or_default(),
                )
            })
            .collect(),
    };
    topic_id_on(&mut connection, &scene.topic).await;
    answer
}

/// The topic's id from a Metadata v12 request on `connection` (which teaches the proxy the
/// id, as a real v13 client's Metadata request would).
pub async fn topic_id_on(connection: &mut KafkaConnection, topic: &str) -> Uuid {
    let wanted = MetadataRequestTopic::default().with_name(Some(topic_name(topic)));
    let response = connection
        .request(
            &MetadataRequest::default().with_topics(Some(vec![wanted])),
            12,
        )
        .await;
    let found = response
        .topics
        .first()
        .expect("one topic in the Metadata response");
    assert_eq!(found.error_code, 0, "Metadata for {topic}: {found:?}");
    found.topic_id
}

/// Sends `records` for partition 0 of the topic with `acks=0` at `version`, then a Metadata
/// request on the same connection: the first answer must be the Metadata one (a refused
/// `acks=0` request is dropped, with no response of its own, and the connection stays open).
pub async fn dropped_alone(scene: &Scene, version: i16, records: Vec<u8>) {
    let mut connection = KafkaConnection::connect(scene.proxy.bootstrap_addr()).await;
    let request = produce_request(Target::Name(&scene.topic), records).with_acks(0);
    connection.send(&request, version).await;
    topic_id_on(&mut connection, &scene.topic).await;
}

/// Writes `frame` (length prefix included) on a fresh connection and asserts that the proxy
/// closes it without an answer; then a fresh connection must still be served.
pub async fn closed_alone(scene: &Scene, label: &str, frame: &[u8]) {
    let mut connection = KafkaConnection::connect(scene.proxy.bootstrap_addr()).await;
    connection.write_raw(frame).await;
    let closed = tokio::time::timeout(Duration::from_secs(10), connection.read_frame()).await;
    assert!(
        matches!(closed, Ok(None)),
        "{label}: expected the connection closed without an answer, got {closed:?}"
    );
    let mut fresh = KafkaConnection::connect(scene.proxy.bootstrap_addr()).await;
    topic_id_on(&mut fresh, &scene.topic).await;
}

/// A hostile request: label, Produce version, target, partition 0's records, expected answer.
pub type Case<'a> = (&'static str, i16, Target<'a>, Vec<u8>, Answer);

/// Runs each case on its own connection and asserts every answer at once, so one run shows
/// every mismatch.
pub async fn run_cases(scene: &Scene, cases: Vec<Case<'_>>) {
    let mut mismatches = Vec::new();
    for (label, version, target, records, expected) in cases {
        let got = produce_alone(scene, version, target, records).await;
        if got != expected {
            mismatches.push(format!(
                "{label} (v{version}):\n  expected {expected:?}\n  got      {got:?}"
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
