//! In-process enforcement tests: real Produce frames (kafka-protocol encoders) through
//! `Enforcer::check`, with an in-memory registry. No broker, no payload validator needed:
//! payload-level tests live in `enforce_payload.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "enforce_support.rs"]
mod support;

use std::sync::Arc;

use bytes::Bytes;
use kafka_protocol::records::Compression;
use schemagate::policy::{Level, PolicyConfig};
use schemagate::produce::{Enforcer, ProduceAction, ProduceContext};
use schemagate::registry::{RegistryConfig, SchemaSource};
use schemagate::topology::TopicIds;
use support::*;
use uuid::Uuid;

const VERSIONS: [i16; 5] = [3, 8, 9, 12, 13];

fn policy(yaml: &str) -> PolicyConfig {
    serde_yaml_ng::from_str(yaml).unwrap()
}

fn registry() -> Arc<MapRegistry> {
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

fn enforcer_with(policy: PolicyConfig, reg: Arc<MapRegistry>) -> Enforcer {
    Enforcer::new(
        policy,
        SchemaSource::Embedded(reg),
        &RegistryConfig::default(),
    )
    .unwrap()
}

fn enforcer(yaml: &str) -> Enforcer {
    enforcer_with(policy(yaml), registry())
}

struct Topics {
    ids: TopicIds,
    orders: Uuid,
    payments: Uuid,
}

fn topics() -> Topics {
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

async fn run(e: &Enforcer, version: i16, frame: Bytes, ids: &TopicIds) -> ProduceAction {
    let ctx = ProduceContext {
        api_version: version,
        correlation_id: 42,
        topic_ids: ids,
    };
    e.check(ctx, frame).await.unwrap()
}

fn good() -> Option<Vec<u8>> {
    Some(framed(1, b"\x02\x02a\x02b"))
}

/// Run a single-partition `orders` request and return the response rows it was answered with.
async fn refused_rows(
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

const SUBJECT_RULE: &str = "rules: [{match: {topic: orders}, value: {level: subject}}]";

#[tokio::test]
async fn no_rules_forward_the_original_frame_untouched() {
    let t = topics();
    for e in [
        Enforcer::default(),
        enforcer("{}"),
        enforcer("rules: [{match: {topic: orders}}]"),
    ] {
        for v in VERSIONS {
            let frame = produce_frame(
                v,
                -1,
                42,
                &[(
                    "orders",
                    t.orders,
                    vec![(0, batch_of(&[Some(b"x".to_vec())], Compression::None))],
                )],
            );
            match run(&e, v, frame.clone(), &t.ids).await {
                ProduceAction::Forward(out) => assert_eq!(out, frame),
                other => panic!("{other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn valid_records_are_forwarded_untouched_at_every_version_and_codec() {
    let e = enforcer(SUBJECT_RULE);
    let t = topics();
    for v in VERSIONS {
        for codec in [
            Compression::None,
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ] {
            let values = vec![good(), None, good()];
            let frame = produce_frame(
                v,
                -1,
                42,
                &[("orders", t.orders, vec![(0, batch_of(&values, codec))])],
            );
            match run(&e, v, frame.clone(), &t.ids).await {
                ProduceAction::Forward(out) => assert_eq!(out, frame, "v{v} {codec:?}"),
                other => panic!("v{v} {codec:?}: {other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn missing_magic_byte_is_refused_with_the_record_index_and_reason() {
    let e = enforcer("rules: [{match: {topic: orders}, value: {level: wire-format}}]");
    let values = vec![
        good(),
        Some(b"{\"id\":1}".to_vec()),
        good(),
        Some(vec![0, 0, 1]),
    ];
    for v in VERSIONS {
        let rows = refused_rows(&e, v, &values, Compression::None).await;
        assert_eq!(rows.len(), 1);
        let (_, partition, code, offset, message, errors) = &rows[0];
        assert_eq!((*partition, *code, *offset), (0, 87, -1));
        if v >= 8 {
            assert_eq!(
                message.as_deref(),
                Some("record 1 value: magic byte 0x7b is not 0x00 (and 1 more invalid records)")
            );
            assert_eq!(
                errors,
                &vec![
                    (1, "record 1 value: magic byte 0x7b is not 0x00".to_owned()),
                    (
                        3,
                        "record 3 value: 3 bytes is too short for the 5-byte schema header"
                            .to_owned()
                    ),
                ]
            );
        } else {
            assert_eq!(
                (message, errors.len()),
                (&None, 0),
                "v{v} has no record_errors field"
            );
        }
    }
}

#[tokio::test]
async fn unknown_schema_id_is_refused() {
    let e = enforcer("rules: [{match: {topic: orders}, value: {level: registered}}]");
    let rows = refused_rows(&e, 9, &[good(), Some(framed(77, b"x"))], Compression::None).await;
    assert_eq!(
        rows[0].4.as_deref(),
        Some("record 1 value: schema id 77 is not registered")
    );
    assert_eq!(
        rows[0].5,
        vec![(
            1,
            "record 1 value: schema id 77 is not registered".to_owned()
        )]
    );
}

#[tokio::test]
async fn id_from_another_subject_is_refused_naming_where_it_is_registered() {
    let e = enforcer(SUBJECT_RULE);
    let values = vec![good(), good(), good(), Some(framed(2, b"\x02"))];
    let rows = refused_rows(&e, 12, &values, Compression::Lz4).await;
    let expected = r#"record 3 value: schema id 2 is registered under "payments-value", "com.example.Payment", "orders-com.example.Payment", not "orders-value""#;
    assert_eq!(rows[0].4.as_deref(), Some(expected));
    assert_eq!(rows[0].5[0].0, 3);
}

#[tokio::test]
async fn record_name_strategies_use_the_schema_full_name() {
    let t = topics();
    for (strategy, ok_id) in [("record_name", 2), ("topic_record_name", 2)] {
        let yaml = format!(
            "rules: [{{match: {{topic: orders}}, value: {{level: subject, subject_strategy: {strategy}}}}}]"
        );
        let e = enforcer(&yaml);
        let frame = produce_frame(
            9,
            -1,
            42,
            &[(
                "orders",
                t.orders,
                vec![(0, batch_of(&[Some(framed(ok_id, b""))], Compression::None))],
            )],
        );
        assert!(
            matches!(run(&e, 9, frame, &t.ids).await, ProduceAction::Forward(_)),
            "{strategy}"
        );
        let rows = refused_rows(&e, 9, &[good()], Compression::None).await;
        let msg = rows[0].4.clone().unwrap_or_default();
        let subject = if strategy == "record_name" {
            "com.example.User"
        } else {
            "orders-com.example.User"
        };
        assert!(
            msg.contains(&format!("not {subject:?}")),
            "{strategy}: {msg}"
        );
    }
}

#[tokio::test]
async fn nulls_pass_by_default_and_are_refused_when_not_allowed() {
    let t = topics();
    let frame = || {
        produce_frame(
            9,
            -1,
            42,
            &[(
                "orders",
                t.orders,
                vec![(0, batch_of(&[good(), None], Compression::None))],
            )],
        )
    };
    let allowed = enforcer(SUBJECT_RULE);
    assert!(matches!(
        run(&allowed, 9, frame(), &t.ids).await,
        ProduceAction::Forward(_)
    ));
    let strict =
        enforcer("rules: [{match: {topic: orders}, value: {level: subject, allow_null: false}}]");
    let rows = refused_rows(&strict, 9, &[good(), None], Compression::None).await;
    assert_eq!(
        rows[0].5,
        vec![(1, "record 1 value: null value is not allowed".to_owned())]
    );
}

#[tokio::test]
async fn keys_are_checked_by_their_own_rule_and_subject() {
    let e = enforcer("rules: [{match: {topic: orders}, key: {level: subject}}]");
    let t = topics();
    let recs = vec![
        record(0, Some(framed(3, b"")), Some(b"anything".to_vec())),
        record(1, Some(framed(1, b"")), None),
    ];
    let frame = produce_frame(
        9,
        -1,
        42,
        &[(
            "orders",
            t.orders,
            vec![(0, batch(&recs, Compression::Zstd))],
        )],
    );
    let ProduceAction::Respond(resp) = run(&e, 9, frame, &t.ids).await else {
        panic!("expected Respond")
    };
    let rows = rows(&decode_response(&resp, 9).1);
    assert_eq!(
        rows[0].5,
        vec![(
            1,
            r#"record 1 key: schema id 1 is registered under "orders-value", not "orders-key""#
                .to_owned()
        )]
    );
}

#[tokio::test]
async fn a_bad_record_hidden_in_each_codec_is_found_at_its_index() {
    let e = enforcer(SUBJECT_RULE);
    for codec in [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ] {
        let mut values: Vec<Option<Vec<u8>>> = (0..50).map(|_| good()).collect();
        values[37] = Some(b"plain text".to_vec());
        let rows = refused_rows(&e, 13, &values, codec).await;
        assert_eq!(
            rows[0].5,
            vec![(
                37,
                "record 37 value: magic byte 0x70 is not 0x00".to_owned()
            )],
            "{codec:?}"
        );
    }
}

#[tokio::test]
async fn a_decompression_bomb_is_refused() {
    let mut p = policy(SUBJECT_RULE);
    p.max_decompressed_bytes = 100_000;
    let e = enforcer_with(p, registry());
    let bomb = vec![Some(framed(1, &vec![b'a'; 300_000]))];
    let rows = refused_rows(&e, 9, &bomb, Compression::Zstd).await;
    assert_eq!(rows[0].2, 87);
    assert_eq!(
        rows[0].4.as_deref(),
        Some("batch at byte 0: decompressed size exceeds 100000 bytes")
    );
}

#[tokio::test]
async fn a_record_count_that_lies_and_legacy_magic_are_refused() {
    let e = enforcer(SUBJECT_RULE);
    let t = topics();
    let original = batch_of(&[good(), good()], Compression::None);
    let mut lying = original.to_vec();
    lying[60] = 5;
    let mut legacy = original.to_vec();
    legacy[16] = 1;
    for (bytes, expected) in [
        (lying, "batch at byte 0: header says 5 records, found 2"),
        (
            legacy,
            "batch at byte 0: magic 1 is not supported (only record batch v2)",
        ),
    ] {
        let frame = produce_frame(
            9,
            -1,
            42,
            &[("orders", t.orders, vec![(0, Bytes::from(bytes))])],
        );
        let ProduceAction::Respond(resp) = run(&e, 9, frame, &t.ids).await else {
            panic!("expected Respond")
        };
        let rows = rows(&decode_response(&resp, 9).1);
        assert_eq!((rows[0].2, rows[0].4.as_deref()), (87, Some(expected)));
    }
}

#[tokio::test]
async fn one_bad_partition_of_three_is_cut_out_and_merged_back_in_client_order() {
    let e = enforcer("rules: [{match: {prefix: ''}, value: {level: registered}}]");
    let t = topics();
    for v in VERSIONS {
        let ok0 = batch_of(&[good()], Compression::Lz4);
        let ok2 = batch_of(&[good(), good()], Compression::Gzip);
        let bad = batch_of(&[good(), Some(framed(99, b""))], Compression::Snappy);
        let frame = produce_frame(
            v,
            -1,
            42,
            &[
                ("orders", t.orders, vec![(0, ok0.clone()), (1, bad)]),
                ("payments", t.payments, vec![(2, ok2.clone())]),
            ],
        );
        let ProduceAction::Partial { request, rejected } = run(&e, v, frame, &t.ids).await else {
            panic!("v{v}: expected Partial")
        };
        let forwarded = decode_request(&request, v);
        let kept: Vec<(i32, Option<Bytes>)> = forwarded
            .topic_data
            .iter()
            .flat_map(|t| {
                t.partition_data
                    .iter()
                    .map(|p| (p.index, p.records.clone()))
            })
            .collect();
        assert_eq!(
            kept,
            vec![(0, Some(ok0.clone())), (2, Some(ok2.clone()))],
            "v{v}: original batch bytes"
        );
        // The broker answers in another order; the merge restores the client's.
        let broker = broker_response(
            v,
            42,
            &[
                ("payments", t.payments, vec![2]),
                ("orders", t.orders, vec![0]),
            ],
        );
        let merged = rejected.merge_into(broker, v).unwrap();
        let (cid, body) = decode_response(&merged, v);
        assert_eq!((cid, body.throttle_time_ms), (42, 7));
        let got: Vec<(i32, i16, i64)> = rows(&body).iter().map(|r| (r.1, r.2, r.3)).collect();
        assert_eq!(got, vec![(0, 0, 100), (1, 87, -1), (2, 0, 102)], "v{v}");
        let names: Vec<String> = rows(&body).into_iter().map(|r| r.0).collect();
        let (o, p) = if v >= 13 {
            (t.orders.to_string(), t.payments.to_string())
        } else {
            ("orders".into(), "payments".into())
        };
        assert_eq!(names, vec![o.clone(), o, p], "v{v}");
    }
}

#[tokio::test]
async fn reject_scope_request_fails_every_partition() {
    let e = enforcer(
        "rules: [{match: {topic: orders}, value: {level: registered}}]\nreject_scope: request",
    );
    let t = topics();
    let frame = produce_frame(
        9,
        -1,
        42,
        &[
            (
                "orders",
                t.orders,
                vec![(0, batch_of(&[Some(framed(99, b""))], Compression::None))],
            ),
            (
                "payments",
                t.payments,
                vec![(0, batch_of(&[Some(b"raw".to_vec())], Compression::None))],
            ),
        ],
    );
    let ProduceAction::Respond(resp) = run(&e, 9, frame, &t.ids).await else {
        panic!("expected Respond")
    };
    let rows = rows(&decode_response(&resp, 9).1);
    assert_eq!(
        rows.iter().map(|r| (r.0.as_str(), r.2)).collect::<Vec<_>>(),
        vec![("orders", 87), ("payments", 87)]
    );
    assert!(
        rows[1]
            .4
            .as_deref()
            .unwrap_or_default()
            .contains("reject_scope: request")
    );
}

#[tokio::test]
async fn acks0_drops_refused_partitions_or_closes_the_connection() {
    let t = topics();
    let bad = || batch_of(&[Some(b"raw".to_vec())], Compression::None);
    let ok = || batch_of(&[good()], Compression::None);
    let drop = enforcer(SUBJECT_RULE);
    let mixed = produce_frame(
        9,
        0,
        42,
        &[("orders", t.orders, vec![(0, ok()), (1, bad())])],
    );
    let ProduceAction::Forward(trimmed) = run(&drop, 9, mixed.clone(), &t.ids).await else {
        panic!("expected Forward")
    };
    let kept: Vec<i32> = decode_request(&trimmed, 9).topic_data[0]
        .partition_data
        .iter()
        .map(|p| p.index)
        .collect();
    assert_eq!(kept, vec![0]);
    let all_bad = produce_frame(9, 0, 42, &[("orders", t.orders, vec![(1, bad())])]);
    assert!(matches!(
        run(&drop, 9, all_bad, &t.ids).await,
        ProduceAction::Drop
    ));
    let close = enforcer(&format!("{SUBJECT_RULE}\nacks0: close"));
    assert!(matches!(
        run(&close, 9, mixed, &t.ids).await,
        ProduceAction::Close(_)
    ));
}

#[tokio::test]
async fn audit_mode_forwards_bad_records_untouched() {
    let e = enforcer("rules: [{match: {topic: orders}, value: {level: subject}, mode: audit}]");
    let t = topics();
    let frame = produce_frame(
        9,
        -1,
        42,
        &[(
            "orders",
            t.orders,
            vec![(0, batch_of(&[Some(b"raw".to_vec())], Compression::None))],
        )],
    );
    match run(&e, 9, frame.clone(), &t.ids).await {
        ProduceAction::Forward(out) => assert_eq!(out, frame),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn registry_down_gives_a_retriable_error_or_passes_when_fail_open() {
    let reg = registry();
    reg.set_down(true);
    let closed = enforcer_with(policy(SUBJECT_RULE), reg.clone());
    let rows = refused_rows(&closed, 9, &[good()], Compression::None).await;
    assert_eq!(
        rows[0].2, 19,
        "NOT_ENOUGH_REPLICAS: retriable for Java, librdkafka, kafka-python"
    );
    assert!(
        rows[0]
            .4
            .as_deref()
            .unwrap_or_default()
            .contains("unavailable"),
        "{:?}",
        rows[0].4
    );
    // A definitely invalid record still wins over "could not check".
    let rows = refused_rows(
        &closed,
        9,
        &[good(), Some(b"raw".to_vec())],
        Compression::None,
    )
    .await;
    assert_eq!(rows[0].2, 87);
    // Registry back: nothing was cached, the same records now pass.
    reg.set_down(false);
    let t = topics();
    let frame = produce_frame(
        9,
        -1,
        42,
        &[(
            "orders",
            t.orders,
            vec![(0, batch_of(&[good()], Compression::None))],
        )],
    );
    assert!(matches!(
        run(&closed, 9, frame.clone(), &t.ids).await,
        ProduceAction::Forward(_)
    ));
    reg.set_down(true);
    let open = enforcer_with(
        policy(&format!("{SUBJECT_RULE}\nregistry_unavailable: fail-open")),
        reg,
    );
    assert!(matches!(
        run(&open, 9, frame, &t.ids).await,
        ProduceAction::Forward(_)
    ));
}

#[tokio::test]
async fn unknown_topic_id_gets_unknown_topic_id_and_known_ids_use_the_name_rule() {
    let e = enforcer(SUBJECT_RULE);
    let t = topics();
    let stranger = Uuid::from_u128(0xdead);
    let frame = produce_frame(
        13,
        -1,
        42,
        &[
            (
                "orders",
                t.orders,
                vec![(0, batch_of(&[Some(b"raw".to_vec())], Compression::None))],
            ),
            (
                "?",
                stranger,
                vec![(4, batch_of(&[good()], Compression::None))],
            ),
        ],
    );
    let ProduceAction::Respond(resp) = run(&e, 13, frame, &t.ids).await else {
        panic!("expected Respond")
    };
    let rows = rows(&decode_response(&resp, 13).1);
    assert_eq!(
        rows.iter()
            .map(|r| (r.0.clone(), r.1, r.2))
            .collect::<Vec<_>>(),
        vec![
            (t.orders.to_string(), 0, 87),
            (stranger.to_string(), 4, 100)
        ]
    );
}

#[tokio::test]
async fn cli_default_levels_apply_to_every_topic() {
    let mut p = PolicyConfig::default();
    p.set_default_value_level(Level::WireFormat);
    let e = enforcer_with(p, registry());
    let rows = refused_rows(&e, 9, &[Some(b"raw".to_vec())], Compression::None).await;
    assert_eq!(rows[0].2, 87);
}

#[tokio::test]
async fn undecodable_frames_are_errors_not_verdicts() {
    let e = enforcer(SUBJECT_RULE);
    let t = topics();
    let frame = produce_frame(
        9,
        -1,
        42,
        &[(
            "orders",
            t.orders,
            vec![(0, batch_of(&[good()], Compression::None))],
        )],
    );
    for len in [0, 5, frame.len() - 3] {
        let ctx = ProduceContext {
            api_version: 9,
            correlation_id: 42,
            topic_ids: &t.ids,
        };
        assert!(
            e.check(ctx, frame.slice(..len)).await.is_err(),
            "length {len}"
        );
    }
    let ctx = ProduceContext {
        api_version: 2,
        correlation_id: 42,
        topic_ids: &t.ids,
    };
    assert!(e.check(ctx, frame).await.is_err(), "v2 cannot be checked");
}
