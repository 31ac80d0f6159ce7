//! Issue 7, hostile inputs at the record-batch level, end to end: each Produce request below
//! goes on its own raw connection to schemagate (embedded registry, keys and values at
//! `payload`) in front of a real tansu broker, while an idempotent confluent-kafka producer
//! sends valid records to the same partition for the whole test. Each request must get the
//! exact refusal below on a connection that stays usable; the healthy producer must deliver
//! every record without an error; and the topic must end up holding exactly its records
//! (nothing hostile reached the broker). Requests the proxy cannot decode at all close their
//! own connection and nothing else. Schema-level inputs are in `faults_hostile_schemas.rs`.

mod common;
#[path = "common/hostile.rs"]
mod hostile;

use common::wire::encode_request;
use hostile::{
    Answer, CAP, Case, GZIP, HOSTILE_IDS, KeyValue, LZ4, Scene, Target, ZSTD, batch, closed_alone,
    finish, gzip, legacy_message_set, length_prefixed, lz4, produce_request, record, record_body,
    records, run_cases, scene, seal, start_healthy, user, user_key, user_named, zstd,
};

const INVALID_RECORD: i16 = 87;

fn refused(message: &str) -> Answer {
    Answer::new(INVALID_RECORD, Some(message), &[])
}

/// Hostile record `i`: a valid key and value that no healthy record has.
fn valid(scene: &Scene, i: i64) -> KeyValue {
    (
        Some(user_key(scene.ids.key, HOSTILE_IDS + i)),
        Some(user(scene.ids.value, HOSTILE_IDS + i)),
    )
}

fn set_i32(bytes: &mut [u8], at: usize, value: usize) {
    let value = i32::try_from(value).expect("fits i32");
    bytes[at..at + 4].copy_from_slice(&value.to_be_bytes());
}

/// Batches whose header lies about the record count or the batch length.
fn lying_headers(scene: &Scene) -> Vec<Case<'_>> {
    let topic = Target::Name(&scene.topic);
    let two = records(&[valid(scene, 0), valid(scene, 1)]);
    let second_len = two.len() - records(&[valid(scene, 0)]).len();
    // Count says 1: the second record would ride along unchecked if the proxy trusted it.
    let under_counted = batch(&two, 1, 0);
    // batchLength past the end of the partition's bytes.
    let mut too_long = batch(&two, 2, 0);
    let available = too_long.len();
    set_i32(&mut too_long, 8, available + 100 - 12);
    seal(&mut too_long);
    // batchLength ends after the first record; the second is smuggled behind the batch.
    let mut too_short = batch(&two, 1, 0);
    let first_end = 61 + records(&[valid(scene, 0)]).len();
    set_i32(&mut too_short, 8, first_end - 12);
    seal(&mut too_short[..first_end]);
    vec![
        (
            "record count says 5, batch holds 2",
            9,
            topic,
            batch(&two, 5, 0),
            refused("batch at byte 0: header says 5 records, found 2"),
        ),
        (
            "record count says 1, batch holds 2",
            9,
            topic,
            under_counted,
            refused(&format!(
                "batch at byte 0: {second_len} trailing bytes after the last record"
            )),
        ),
        (
            "batchLength past the end",
            9,
            topic,
            too_long,
            refused(&format!(
                "batch at byte 0: batchLength {} is out of range ({available} bytes left)",
                available + 100 - 12
            )),
        ),
        (
            "batchLength covers only the first record",
            9,
            topic,
            too_short,
            // The leftover record is where a next batch would start, and is named as leftovers.
            refused(&format!(
                "{second_len} bytes at byte {first_end}, after the previous batch, are not a \
                 record batch v2: the previous batch's batchLength does not cover its records"
            )),
        ),
    ]
}

/// A varint of ten continuation bytes and a terminator: longer than any 32- or 64-bit value.
const OVERLONG_VARINT: [u8; 11] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
];

/// Varint overflow in a record's length prefix and in a value length inside a record.
fn varint_overflows(scene: &Scene) -> Vec<Case<'_>> {
    let topic = Target::Name(&scene.topic);
    let (key, value) = valid(scene, 2);
    let mut overlong_length = OVERLONG_VARINT.to_vec();
    overlong_length.extend(record_body(0, key.as_deref(), value.as_deref()));
    let mut body = record_body(1, key.as_deref(), None);
    body.pop(); // header count
    body.pop(); // null value length (-1)
    body.extend_from_slice(&OVERLONG_VARINT);
    body.extend(value.as_deref().unwrap_or_default());
    body.push(0);
    let mut overlong_value = records(&[valid(scene, 3)]);
    overlong_value.extend(length_prefixed(&body));
    vec![
        (
            "record length varint of 11 bytes",
            9,
            topic,
            batch(&overlong_length, 1, 0),
            refused("batch at byte 0, record 0: bad record length varint"),
        ),
        (
            "value length varint of 11 bytes in record 1",
            9,
            topic,
            batch(&overlong_value, 2, 0),
            refused("batch at byte 0, record 1: bad value length"),
        ),
    ]
}

/// One valid-looking record whose value inflates to 1 MB (the cap is [`CAP`]), compressed
/// with gzip and with zstd.
fn bombs(scene: &Scene) -> Vec<Case<'_>> {
    let topic = Target::Name(&scene.topic);
    let huge = user_named(scene.ids.value, HOSTILE_IDS + 4, &"a".repeat(1_000_000));
    let key = user_key(scene.ids.key, HOSTILE_IDS + 4);
    let section = record(0, Some(&key), Some(&huge));
    let message = format!("batch at byte 0: decompressed size exceeds {CAP} bytes");
    let gzipped = gzip(&section);
    let zstded = zstd(&section);
    assert!(
        gzipped.len() < 10_000 && zstded.len() < 10_000,
        "bombs are small on the wire"
    );
    vec![
        (
            "gzip bomb",
            9,
            topic,
            batch(&gzipped, 1, GZIP),
            refused(&message),
        ),
        (
            "zstd bomb",
            9,
            topic,
            batch(&zstded, 1, ZSTD),
            refused(&message),
        ),
    ]
}

/// A compressed section made of two streams (gzip members, LZ4 or zstd frames): a valid
/// record, then a record whose value is truncated. The proxy must inspect both, as the
/// consumers that read concatenated streams do (regression: it used to stop after the first
/// gzip member or LZ4 frame, and tansu stored the batch).
fn concatenated_streams(scene: &Scene) -> Vec<Case<'_>> {
    let topic = Target::Name(&scene.topic);
    let first = records(&[valid(scene, 6)]);
    let mut truncated = user(scene.ids.value, HOSTILE_IDS + 7);
    truncated.pop();
    let key = user_key(scene.ids.key, HOSTILE_IDS + 7);
    let second = record(1, Some(&key), Some(&truncated));
    let reason = "record 1 value: field /email: expected 23 bytes of string, found 22 before \
                  end of input";
    let mut cases = Vec::new();
    for (label, codec, compress) in [
        ("gzip, two members", GZIP, gzip as fn(&[u8]) -> Vec<u8>),
        ("lz4, two frames", LZ4, lz4),
        ("zstd, two frames", ZSTD, zstd),
    ] {
        let mut section = compress(&first);
        section.extend(compress(&second));
        // recordsCount 1: only the first stream's record is declared.
        let extra = second.len();
        let hidden = format!("batch at byte 0: {extra} trailing bytes after the last record");
        cases.push((label, 9, topic, batch(&section, 1, codec), refused(&hidden)));
        // recordsCount 2: both declared, the second is checked and named.
        let named = Answer::new(INVALID_RECORD, Some(reason), &[(1, reason)]);
        cases.push((label, 9, topic, batch(&section, 2, codec), named));
    }
    cases
}

/// Legacy message sets (magic 0 and 1) in Produce v3 (no error_message field) and v9.
fn legacy_magic(scene: &Scene) -> Vec<Case<'_>> {
    let topic = Target::Name(&scene.topic);
    let mut cases = Vec::new();
    for (label, magic) in [("magic 0 message set", 0), ("magic 1 message set", 1)] {
        let value = user(scene.ids.value, HOSTILE_IDS + 5 + i64::from(magic));
        let set = legacy_message_set(magic, &value);
        let message =
            format!("batch at byte 0: magic {magic} is not supported (only record batch v2)");
        cases.push((
            label,
            3,
            topic,
            set.clone(),
            Answer::new(INVALID_RECORD, None, &[]),
        ));
        cases.push((label, 9, topic, set, refused(&message)));
    }
    cases
}

/// `frame` with its 4-byte length prefix rewritten to match its new size.
fn relength(mut frame: Vec<u8>) -> Vec<u8> {
    let body = frame.len() - 4;
    set_i32(&mut frame, 0, body);
    frame
}

/// Produce requests the proxy cannot decode: a topic array claiming 2^31 - 1 entries, and a
/// request cut short inside its records. Each closes only its own connection.
async fn undecodable_requests_close_their_connection(scene: &Scene) {
    let records = batch(&records(&[valid(scene, 8)]), 1, 0);
    let request = produce_request(Target::Name(&scene.topic), records);
    let frame = encode_request(&request, 9, 1).to_vec();
    // v9 body after the 4-byte prefix and the 27-byte header (client id "schemagate-tests"):
    // transactional_id (1, null), acks (2), timeout (4), then the topic count as a varint.
    let count_at = 4 + 27 + 1 + 2 + 4;
    assert_eq!(frame[count_at], 2, "one topic, as a compact array count");
    let mut absurd = frame[..count_at].to_vec();
    absurd.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x07]);
    absurd.extend_from_slice(&frame[count_at + 1..]);
    closed_alone(scene, "topic array of 2^31 - 1", &relength(absurd)).await;
    let cut = frame[..frame.len() - 20].to_vec();
    closed_alone(scene, "request cut inside its records", &relength(cut)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lying_headers_varints_bombs_and_legacy_magic_are_refused_and_a_healthy_producer_carries_on()
 {
    let scene = scene().await;
    let healthy = start_healthy(&scene).await;
    let mut cases = lying_headers(&scene);
    cases.extend(varint_overflows(&scene));
    cases.extend(bombs(&scene));
    cases.extend(concatenated_streams(&scene));
    cases.extend(legacy_magic(&scene));
    run_cases(&scene, cases).await;
    undecodable_requests_close_their_connection(&scene).await;
    finish(scene, healthy).await;
}
