//! Payload-level enforcement (needs the Avro validator from the validator slice; until it is
//! merged, `AvroValidator::compile` is a stub and these tests fail by design).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "enforce_support.rs"]
mod support;

use std::sync::Arc;

use kafka_protocol::records::Compression;
use schemagate::produce::{Enforcer, ProduceAction, ProduceContext};
use schemagate::registry::{RegistryConfig, SchemaSource};
use schemagate::topology::TopicIds;
use support::*;
use uuid::Uuid;

/// `User{id: 1, name: "a", email: "b"}` in Avro binary.
const USER_OK: &[u8] = b"\x02\x02a\x02b";

fn enforcer() -> Enforcer {
    let reg = Arc::new(MapRegistry::with(&[(1, USER, &["users-value"])]));
    let policy =
        serde_yaml_ng::from_str("rules: [{match: {topic: users}, value: {level: payload}}]")
            .unwrap();
    Enforcer::new(
        policy,
        SchemaSource::Embedded(reg),
        &RegistryConfig::default(),
    )
    .unwrap()
}

async fn verdict(values: &[Option<Vec<u8>>], codec: Compression) -> ProduceAction {
    let ids = TopicIds::default();
    let frame = produce_frame(
        9,
        -1,
        1,
        &[("users", Uuid::nil(), vec![(0, batch_of(values, codec))])],
    );
    let ctx = ProduceContext {
        api_version: 9,
        correlation_id: 1,
        topic_ids: &ids,
    };
    enforcer().check(ctx, frame).await.unwrap()
}

#[tokio::test]
async fn valid_payloads_pass_in_every_codec() {
    for codec in [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ] {
        let values = vec![Some(framed(1, USER_OK)); 10];
        assert!(
            matches!(verdict(&values, codec).await, ProduceAction::Forward(_)),
            "{codec:?}"
        );
    }
}

#[tokio::test]
async fn truncated_trailing_and_wrong_type_payloads_are_refused_with_the_field() {
    let cases: [(&[u8], &str); 3] = [
        // email missing
        (
            b"\x02\x02a",
            "record 1 value: field /email: expected string, found end of input",
        ),
        // one byte too many
        (
            b"\x02\x02a\x02b\x00",
            "record 1 value: field /: 1 trailing byte after the datum",
        ),
        // name length -5
        (b"\x02\x09a\x02b", "record 1 value: field /name"),
    ];
    for (payload, prefix) in cases {
        let values = vec![
            Some(framed(1, USER_OK)),
            Some(framed(1, payload)),
            Some(framed(1, USER_OK)),
        ];
        let ProduceAction::Respond(resp) = verdict(&values, Compression::Lz4).await else {
            panic!("{payload:?} accepted")
        };
        let rows = rows(&decode_response(&resp, 9).1);
        assert_eq!(rows[0].2, 87);
        assert_eq!(rows[0].5.len(), 1, "{:?}", rows[0].5);
        assert_eq!(rows[0].5[0].0, 1);
        assert!(
            rows[0].5[0].1.starts_with(prefix),
            "{payload:?}: {}",
            rows[0].5[0].1
        );
    }
}
