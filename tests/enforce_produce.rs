//! In-process enforcement tests, record level: real Produce frames (kafka-protocol
//! encoders) through `Enforcer::check`, with an in-memory registry. No broker and no payload
//! validator needed (payload-level tests live in `enforce_payload.rs`; request-level
//! decisions in `enforce_request.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "enforce_support.rs"]
mod support;

use bytes::Bytes;
use kafka_protocol::records::Compression;
use schemagate::policy::{Level, PolicyConfig};
use schemagate::produce::{Enforcer, ProduceAction, ProduceContext};
use support::*;
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
async fn record_indices_count_across_the_batches_of_a_partition() {
    let e = enforcer("rules: [{match: {topic: orders}, value: {level: wire-format}}]");
    let t = topics();
    // Two batches for one partition (a Java broker refuses that at v3+; the proxy checks both
    // anyway): the second batch's record 0 is the partition's record 2.
    let mut records = batch_of(&[good(), good()], Compression::None).to_vec();
    records.extend_from_slice(&batch_of(&[Some(b"{}".to_vec())], Compression::None));
    let frame = produce_frame(
        9,
        -1,
        7,
        &[("orders", t.orders, vec![(0, bytes::Bytes::from(records))])],
    );
    let ProduceAction::Respond(resp) = run(&e, 9, frame, &t.ids).await else {
        panic!("the bad second batch was not refused");
    };
    let (_, body) = decode_response(&resp, 9);
    let (_, _, code, _, _, errors) = &rows(&body)[0];
    assert_eq!(*code, 87);
    assert_eq!(
        errors,
        &vec![(2, "record 2 value: magic byte 0x7b is not 0x00".to_owned())]
    );
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
    let mut control = original.to_vec();
    control[22] |= 0x20; // attributes: control batch
    for (bytes, expected) in [
        (lying, "batch at byte 0: header says 5 records, found 2"),
        (
            legacy,
            "batch at byte 0: magic 1 is not supported (only record batch v2)",
        ),
        (
            control,
            "batch at byte 0: control batches cannot be produced by clients",
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

#[tokio::test]
async fn absurd_array_counts_are_refused_before_decoding() {
    let e = enforcer(SUBJECT_RULE);
    let t = topics();
    for v in VERSIONS {
        let frame = produce_frame(v, -1, 42, &[("orders", t.orders, vec![])]);
        // Overwrite the topic count with 2^31-1 (classic) / a huge compact count (flexible):
        // it sits right after the header, transactional_id, acks and timeout.
        let mut bytes = frame.to_vec();
        let body_start = bytes.len()
            - if v >= 13 {
                16 + 1 + 1 + 1
            } else if v >= 9 {
                1 + 6 + 1 + 1 + 1
            } else {
                2 + 6 + 4
            };
        let count_at = body_start - if v >= 9 { 1 } else { 4 };
        let mut patched = bytes[..count_at].to_vec();
        if v >= 9 {
            patched.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x07]);
        } else {
            patched.extend_from_slice(&i32::MAX.to_be_bytes());
        }
        patched.extend_from_slice(&bytes.split_off(count_at + if v >= 9 { 1 } else { 4 }));
        let ctx = ProduceContext {
            api_version: v,
            correlation_id: 42,
            topic_ids: &t.ids,
        };
        let err = e.check(ctx, Bytes::from(patched)).await.unwrap_err();
        assert!(err.to_string().contains("topic array of"), "v{v}: {err}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]
    /// Any single-byte corruption of a valid frame gives a verdict or an error, never a panic.
    #[test]
    fn corrupted_frames_never_panic(pos in 0usize..400, byte in proptest::num::u8::ANY, vi in 0usize..5) {
        let v = VERSIONS[vi];
        let t = topics();
        let frame = produce_frame(v, -1, 42, &[("orders", t.orders, vec![(0, batch_of(&[good(), good()], Compression::Lz4))])]);
        let mut bytes = frame.to_vec();
        let i = pos % bytes.len();
        bytes[i] = byte;
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let e = enforcer(SUBJECT_RULE);
        let ctx = ProduceContext { api_version: v, correlation_id: 42, topic_ids: &t.ids };
        let _ = rt.block_on(e.check(ctx, Bytes::from(bytes)));
    }
}
