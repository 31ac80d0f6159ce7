//! Issue 3, acceptance 2: a transactional producer commits one transaction and aborts another
//! through the proxy, and a read_committed reader sees only the committed records.
//!
//! tansu 0.6 has no EndTxn, so this runs on librdkafka's 3-broker mock cluster. The mock writes
//! the COMMIT/ABORT control batches on EndTxn but its Fetch always reports zero aborted
//! transactions, so librdkafka's read_committed consumer cannot filter there. The test
//! therefore (a) runs the real transactional producer and a real read_committed consumer
//! through the proxy, and (b) fetches every partition raw through the proxy and applies
//! read_committed the way a broker's aborted-transaction index does: a transactional batch
//! is visible only if its producer's next control record is COMMIT. Since the mock returns
//! one batch per Fetch, the log is read batch by batch up to the high watermark.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use kafka_protocol::messages::FetchRequest;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{Record, RecordBatchDecoder};

use common::clients::{args, strings};
use common::learned::metadata;
use common::wire::KafkaConnection;
use common::{MockCluster, Proxy, python, random_topic_name, start_proxy};

const RECORDS_PER_TXN: usize = 40;
const READ_COMMITTED: i8 = 1;
/// Control record key: version (i16) then type (i16), 0 = ABORT, 1 = COMMIT.
const CONTROL_COMMIT: i16 = 1;

fn value_of(record: &Record) -> String {
    let value = record.value.as_ref().expect("data record value");
    String::from_utf8_lossy(value).into_owned()
}

fn control_type(record: &Record) -> i16 {
    let mut key = record.key.clone().expect("control record key");
    assert!(key.len() >= 4, "short control key {key:?}");
    key.advance(2);
    key.get_i16()
}

/// CRC-32C (Castagnoli), as record batches use.
fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in data {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The mock writes its COMMIT/ABORT control batches with CRC 0; fill in the real CRC so the
/// (strict) decoder accepts them. Data batches are left exactly as fetched.
fn with_control_batch_crcs(records: Bytes) -> Bytes {
    const LENGTH_AT: usize = 8;
    const CRC_AT: usize = 17;
    const ATTRIBUTES_AT: usize = 21;
    const CONTROL_FLAG: u8 = 0x20;
    let mut bytes = BytesMut::from(&records[..]);
    let mut start = 0;
    while start + ATTRIBUTES_AT + 2 <= bytes.len() {
        let length = i32::from_be_bytes(
            bytes[start + LENGTH_AT..start + LENGTH_AT + 4]
                .try_into()
                .expect("4 bytes"),
        );
        let end = start + 12 + usize::try_from(length).expect("batch length");
        if end > bytes.len() {
            break;
        }
        let control = bytes[start + ATTRIBUTES_AT + 1] & CONTROL_FLAG != 0;
        if control && bytes[start + CRC_AT..start + CRC_AT + 4] == [0, 0, 0, 0] {
            let crc = crc32c(&bytes[start + ATTRIBUTES_AT..end]);
            bytes[start + CRC_AT..start + CRC_AT + 4].copy_from_slice(&crc.to_be_bytes());
        }
        start = end;
    }
    bytes.freeze()
}

/// One Fetch of `partition` from `offset` through the proxy's port for its leader:
/// (records, high watermark).
async fn fetch_once(
    connection: &mut KafkaConnection,
    topic: &str,
    partition: i32,
    offset: i64,
) -> (Vec<Record>, i64) {
    let request = FetchRequest::default()
        .with_max_wait_ms(100)
        .with_min_bytes(1)
        .with_max_bytes(16 << 20)
        .with_isolation_level(READ_COMMITTED)
        .with_topics(vec![
            FetchTopic::default()
                .with_topic(StrBytes::from_string(topic.to_owned()).into())
                .with_partitions(vec![
                    FetchPartition::default()
                        .with_partition(partition)
                        .with_fetch_offset(offset)
                        .with_partition_max_bytes(8 << 20),
                ]),
        ]);
    let response = connection.request(&request, 12).await;
    let data = &response.responses[0].partitions[0];
    assert_eq!(
        data.error_code, 0,
        "Fetch {topic}/{partition} at {offset}: {data:?}"
    );
    let mut bytes = with_control_batch_crcs(data.records.clone().unwrap_or_default());
    let mut records = Vec::new();
    while bytes.has_remaining() {
        let set = RecordBatchDecoder::decode(&mut bytes).expect("decode fetched record batch");
        records.extend(set.records);
    }
    (records, data.high_watermark)
}

/// The whole log of one partition, fetched raw through the proxy. The mock returns one
/// batch per Fetch, so this fetches from the next offset until the high watermark.
async fn fetch_partition(proxy: &Proxy, leader: i32, topic: &str, partition: i32) -> Vec<Record> {
    let mut connection = KafkaConnection::connect(proxy.broker_addr(leader)).await;
    let mut log: Vec<Record> = Vec::new();
    let mut offset = 0;
    loop {
        let (records, high_watermark) = fetch_once(&mut connection, topic, partition, offset).await;
        if offset >= high_watermark {
            return log;
        }
        let last = records.iter().map(|r| r.offset).max();
        let last = last.unwrap_or_else(|| {
            panic!("no records at {offset} below the high watermark {high_watermark}")
        });
        log.extend(records.into_iter().filter(|r| r.offset >= offset));
        offset = last + 1;
    }
}

/// Applies read_committed to one partition's log: (visible values, aborted values, markers).
fn read_committed(records: &[Record]) -> (Vec<String>, Vec<String>, Vec<i16>) {
    let mut pending: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    let (mut visible, mut aborted, mut markers) = (Vec::new(), Vec::new(), Vec::new());
    for record in records {
        if record.control {
            let kind = control_type(record);
            markers.push(kind);
            let values = pending.remove(&record.producer_id).unwrap_or_default();
            if kind == CONTROL_COMMIT {
                visible.extend(values)
            } else {
                aborted.extend(values)
            }
        } else if record.transactional {
            pending
                .entry(record.producer_id)
                .or_default()
                .push(value_of(record));
        } else {
            visible.push(value_of(record));
        }
    }
    assert!(pending.is_empty(), "transactions left open: {pending:?}");
    (visible, aborted, markers)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committed_transaction_is_visible_and_aborted_one_is_not() {
    let mock = MockCluster::start(3).await;
    let proxy = start_proxy(&mock.bootstrap()).await;
    let topic = random_topic_name("txn");

    let arguments = args([
        &proxy.bootstrap(),
        &topic,
        "--records",
        &RECORDS_PER_TXN.to_string(),
    ]);
    let output = python("transactions.py", &arguments, &[], Duration::from_secs(120)).await;
    let result = output.json();
    let committed: BTreeSet<String> = (0..RECORDS_PER_TXN)
        .map(|i| format!("committed-{i}"))
        .collect();
    let aborted: BTreeSet<String> = (0..RECORDS_PER_TXN)
        .map(|i| format!("aborted-{i}"))
        .collect();
    let consumer_view: BTreeSet<String> = strings(&result["read_committed"]).into_iter().collect();
    assert!(
        consumer_view.is_superset(&committed),
        "read_committed consumer misses committed records: {result}"
    );
    let connections = strings(&result["connections"]);
    proxy.assert_only_proxy_addresses(
        &[1, 2, 3],
        connections.iter().map(String::as_str),
        "transactional client",
    );

    let response = metadata(proxy.bootstrap_addr(), 12, Some(&[topic.as_str()])).await;
    let (mut visible, mut hidden, mut markers) = (BTreeSet::new(), BTreeSet::new(), Vec::new());
    for partition in &response.topics[0].partitions {
        let records = fetch_partition(
            &proxy,
            partition.leader_id.0,
            &topic,
            partition.partition_index,
        )
        .await;
        let (v, a, m) = read_committed(&records);
        visible.extend(v);
        hidden.extend(a);
        markers.extend(m);
    }
    assert_eq!(visible, committed, "read_committed view of the log");
    assert_eq!(
        hidden, aborted,
        "the aborted transaction's records, behind ABORT markers"
    );
    assert!(
        markers.contains(&CONTROL_COMMIT) && markers.contains(&0),
        "markers: {markers:?}"
    );
}
