//! In-process enforcement tests, request level: partial forwarding and the merge of our
//! refusals into the broker's response, reject scope, acks=0, audit, registry outage and
//! Produce v13 topic ids.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "enforce_support.rs"]
mod support;

use bytes::Bytes;
use kafka_protocol::records::Compression;
use schemagate::produce::ProduceAction;
use support::*;
use uuid::Uuid;

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
async fn registry_failing_mid_request_still_serves_cached_ids_to_other_partitions() {
    let reg = registry();
    let e = enforcer_with(policy(SUBJECT_RULE), reg.clone());
    let t = topics();
    let warm = produce_frame(
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
        run(&e, 9, warm, &t.ids).await,
        ProduceAction::Forward(_)
    ));
    reg.set_down(true);
    reg.add(5, USER, &["orders-value"]);
    let frame = produce_frame(
        9,
        -1,
        42,
        &[(
            "orders",
            t.orders,
            vec![
                (0, batch_of(&[Some(framed(5, b""))], Compression::None)),
                (1, batch_of(&[good(), good()], Compression::None)),
            ],
        )],
    );
    let ProduceAction::Partial { request, rejected } = run(&e, 9, frame, &t.ids).await else {
        panic!("expected Partial")
    };
    let kept: Vec<i32> = decode_request(&request, 9).topic_data[0]
        .partition_data
        .iter()
        .map(|p| p.index)
        .collect();
    assert_eq!(
        kept,
        vec![1],
        "the cached id passes although the registry is down"
    );
    let refused: Vec<(i32, i16)> = rejected
        .partitions()
        .iter()
        .map(|p| (p.partition, p.error_code))
        .collect();
    assert_eq!(refused, vec![(0, 19)]);
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
