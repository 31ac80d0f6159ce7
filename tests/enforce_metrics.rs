//! The enforcement counters, read back through the Prometheus text exporter.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "enforce_support.rs"]
mod support;

use kafka_protocol::records::Compression;
use metrics_exporter_prometheus::PrometheusBuilder;
use schemagate::produce::ProduceAction;
use support::*;

#[test]
fn accepted_rejected_and_audited_records_are_counted_by_topic_part_and_reason() {
    let recorder = PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    metrics::with_local_recorder(&recorder, || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let t = topics();
            let enforce = enforcer(SUBJECT_RULE);
            let audit =
                enforcer("rules: [{match: {topic: orders}, value: {level: subject}, mode: audit}]");
            let values = vec![good(), Some(b"{}".to_vec()), Some(b"{}".to_vec()), good()];
            let frame = || {
                produce_frame(
                    9,
                    -1,
                    42,
                    &[(
                        "orders",
                        t.orders,
                        vec![(0, batch_of(&values, Compression::None))],
                    )],
                )
            };
            assert!(matches!(
                run(&enforce, 9, frame(), &t.ids).await,
                ProduceAction::Respond(_)
            ));
            assert!(matches!(
                run(&audit, 9, frame(), &t.ids).await,
                ProduceAction::Forward(_)
            ));
            let ok = produce_frame(
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
                run(&enforce, 9, ok, &t.ids).await,
                ProduceAction::Forward(_)
            ));
        });
    });
    let text = handle.render();
    for line in [
        r#"schemagate_records_total{topic="orders",part="value",result="rejected",reason="magic_byte"} 2"#,
        r#"schemagate_records_total{topic="orders",part="value",result="audited",reason="magic_byte"} 2"#,
        r#"schemagate_records_total{topic="orders",part="value",result="accepted",reason="ok"} 1"#,
        r#"schemagate_batches_total{topic="orders",result="rejected",reason="magic_byte"} 1"#,
        r#"schemagate_batches_total{topic="orders",result="audited",reason="magic_byte"} 1"#,
    ] {
        assert!(text.contains(line), "missing {line} in\n{text}");
    }
}
