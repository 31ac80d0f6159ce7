//! Issue 7, hostile inputs at the schema level, end to end: records that are well formed but
//! carry the wrong schema id, batches mixing valid and invalid records, and Produce v13 with
//! topic ids, each on its own raw connection to schemagate (embedded registry, keys and values
//! at `payload`) in front of a real tansu broker, while an idempotent confluent-kafka producer
//! sends valid records to the same partition for the whole test. Each request must get the
//! exact refusal below on a connection that stays usable; the healthy producer must deliver
//! every record without an error; and the topic must end up holding exactly its records.
//! A refused `acks=0` request is dropped without an answer on a connection that carries on.
//! Framing-level inputs are in `faults_hostile_records.rs`.

mod common;
#[path = "common/hostile.rs"]
mod hostile;

use common::wire::KafkaConnection;
use hostile::{
    Answer, Case, HOSTILE_IDS, KeyValue, OTHER_SUBJECT, Scene, Target, batch, finish, payment,
    records, run_cases, scene, start_healthy, user, user_key,
};
use uuid::Uuid;

const INVALID_RECORD: i16 = 87;
const UNKNOWN_TOPIC_ID: i16 = 100;

/// Hostile record `i`: a valid key and value that no healthy record has.
fn valid(scene: &Scene, i: i64) -> KeyValue {
    (
        Some(user_key(scene.ids.key, HOSTILE_IDS + i)),
        Some(user(scene.ids.value, HOSTILE_IDS + i)),
    )
}

/// A valid key with `value`.
fn with_value(scene: &Scene, i: i64, value: Vec<u8>) -> KeyValue {
    (Some(user_key(scene.ids.key, HOSTILE_IDS + i)), Some(value))
}

/// INVALID_RECORD naming one bad record; the partition message repeats the record's.
fn one_bad(index: i32, message: &str) -> Answer {
    Answer::new(INVALID_RECORD, Some(message), &[(index, message)])
}

/// Valid and invalid records in one batch, and a valid batch followed by an invalid one.
fn mixed(scene: &Scene) -> Vec<Case<'_>> {
    let topic = Target::Name(&scene.topic);
    let mut truncated = user(scene.ids.value, HOSTILE_IDS + 12);
    truncated.pop();
    let four = [
        valid(scene, 10),
        valid(scene, 11),
        with_value(scene, 12, truncated.clone()),
        valid(scene, 13),
    ];
    let mut two_batches = batch(&records(&[valid(scene, 14)]), 1, 0);
    two_batches.extend(batch(&records(&[with_value(scene, 15, truncated)]), 1, 0));
    let reason = "value: field /email: expected 23 bytes of string, found 22 before end of input";
    vec![
        (
            "batch of 4, record 2 truncated",
            9,
            topic,
            batch(&records(&four), 4, 0),
            one_bad(2, &format!("record 2 {reason}")),
        ),
        (
            "valid batch, then a batch with a truncated record",
            9,
            topic,
            two_batches,
            // The index counts across the partition's batches: the bad record is the second.
            one_bad(1, &format!("record 1 {reason}")),
        ),
    ]
}

/// Well-formed records whose key or value carries a schema id of the wrong subject.
fn wrong_ids(scene: &Scene) -> Vec<Case<'_>> {
    let topic = Target::Name(&scene.topic);
    let ids = scene.ids;
    let value_subject = format!("{}-value", scene.topic);
    let key_subject = format!("{}-key", scene.topic);
    let under = |id: i32, subject: &str, wanted: &str| {
        format!("schema id {id} is registered under \"{subject}\", not \"{wanted}\"")
    };
    let other = with_value(scene, 20, payment(ids.other, 5));
    let key_id = with_value(scene, 21, user_key(ids.key, HOSTILE_IDS + 21));
    let value_id_key = (
        Some(user(ids.value, HOSTILE_IDS + 22)),
        Some(user(ids.value, HOSTILE_IDS + 22)),
    );
    vec![
        (
            "value with another subject's schema id",
            9,
            topic,
            batch(&records(&[other]), 1, 0),
            one_bad(
                0,
                &format!(
                    "record 0 value: {}",
                    under(ids.other, OTHER_SUBJECT, &value_subject)
                ),
            ),
        ),
        (
            "value with the key schema's id",
            9,
            topic,
            batch(&records(&[valid(scene, 23), key_id]), 2, 0),
            one_bad(
                1,
                &format!(
                    "record 1 value: {}",
                    under(ids.key, &key_subject, &value_subject)
                ),
            ),
        ),
        (
            "key with the value schema's id",
            9,
            topic,
            batch(&records(&[value_id_key]), 1, 0),
            one_bad(
                0,
                &format!(
                    "record 0 key: {}",
                    under(ids.value, &value_subject, &key_subject)
                ),
            ),
        ),
    ]
}

/// Produce v13: an id the proxy has never seen in Metadata, and the topic's real id (learned
/// from a Metadata v12 response) with a value carrying the key schema's id.
fn topic_ids(scene: &Scene, known: Uuid) -> Vec<Case<'_>> {
    let unknown = Uuid::from_u128(0x5eed_dead_beef);
    let key_id = with_value(scene, 31, user_key(scene.ids.key, HOSTILE_IDS + 31));
    let bad = format!(
        "record 0 value: schema id {} is registered under \"{}-key\", not \"{}-value\"",
        scene.ids.key, scene.topic, scene.topic
    );
    vec![
        (
            "v13 with an unknown topic id",
            13,
            Target::Id(unknown),
            batch(&records(&[valid(scene, 30)]), 1, 0),
            Answer::new(
                UNKNOWN_TOPIC_ID,
                Some(&format!("topic id {unknown} is not known to the proxy yet")),
                &[],
            ),
        ),
        (
            "v13 with the known topic id and a value with the key schema's id",
            13,
            Target::Id(known),
            batch(&records(&[key_id]), 1, 0),
            one_bad(0, &bad),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_schema_ids_mixed_batches_and_unknown_topic_ids_are_refused_and_a_healthy_producer_carries_on()
 {
    let scene = scene().await;
    let healthy = start_healthy(&scene).await;
    let mut connection = KafkaConnection::connect(scene.proxy.bootstrap_addr()).await;
    let known = hostile::topic_id_on(&mut connection, &scene.topic).await;
    assert!(!known.is_nil(), "tansu gives the topic an id");
    let mut cases = mixed(&scene);
    cases.extend(wrong_ids(&scene));
    cases.extend(topic_ids(&scene, known));
    run_cases(&scene, cases).await;
    // acks=0 (policy `acks0: drop`): the refused request gets no answer and the connection
    // carries on; the final consume shows it was not written either.
    let other = with_value(&scene, 40, payment(scene.ids.other, 7));
    hostile::dropped_alone(
        &scene,
        9,
        batch(&records(&[valid(&scene, 41), other]), 2, 0),
    )
    .await;
    finish(scene, healthy).await;
}
