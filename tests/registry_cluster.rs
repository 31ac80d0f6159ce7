//! The registry's `_schemas` log against a real tansu broker: rebuild after restart, several
//! instances without a leader, tailing, and reading records in Confluent's exact byte format.

mod registry_support;

use std::time::Duration;

use registry_support::*;
use rskafka::client::ClientBuilder;
use rskafka::client::partition::{Compression, UnknownTopicHandling};
use rskafka::record::Record;
use serde_json::{Value, json};

/// Everything a client can observe, for before/after comparisons.
async fn snapshot(u: &str) -> Value {
    let subjects = get(u, "/subjects?deleted=true").await.ok().clone();
    let mut versions = serde_json::Map::new();
    for s in subjects.as_array().unwrap() {
        let s = s.as_str().unwrap();
        let all = get(u, &format!("/subjects/{s}/versions?deleted=true")).await;
        let live = get(u, &format!("/subjects/{s}/versions")).await;
        let mut objects = Vec::new();
        for v in all.ok().as_array().unwrap() {
            objects.push(
                get(u, &format!("/subjects/{s}/versions/{v}?deleted=true"))
                    .await
                    .ok()
                    .clone(),
            );
        }
        let config = get(u, &format!("/config/{s}")).await;
        versions.insert(
            s.to_owned(),
            json!({"all": all.body, "live": live.body, "objects": objects, "config": config.body}),
        );
    }
    json!({
        "subjects": subjects,
        "live_subjects": get(u, "/subjects").await.body,
        "versions": versions,
        "config": get(u, "/config").await.body,
        "mode": get(u, "/mode").await.body,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_rebuilds_identical_state() {
    let tansu = Tansu::start().await;
    let a = start_registry(&tansu.bootstrap, "_schemas").await;
    let u = a.url.clone();
    register(&u, "a", &record_schema("A", &["x"])).await;
    register(&u, "a", &record_schema("A", &[])).await;
    register(&u, "b", &record_schema("A", &["x"])).await;
    register(&u, "c", "\"string\"").await;
    register(&u, "d", "\"bytes\"").await;
    put(&u, "/config", json!({"compatibility": "FORWARD"}))
        .await
        .ok();
    put(&u, "/config/b", json!({"compatibility": "NONE"}))
        .await
        .ok();
    put(&u, "/mode/d", json!({"mode": "READONLY"})).await.ok();
    delete(&u, "/subjects/a/versions/1").await.ok();
    delete(&u, "/subjects/c").await.ok();
    let before = snapshot(&u).await;
    a.stop().await;
    let b = start_registry(&tansu.bootstrap, "_schemas").await;
    let after = snapshot(&b.url).await;
    assert_eq!(before, after);
    assert_eq!(after["config"]["compatibilityLevel"], "FORWARD");
    assert_eq!(get(&b.url, "/mode/d").await.ok()["mode"], "READONLY");
    assert_eq!(after["live_subjects"], json!(["a", "b", "d"]));
    // Ids continue after the rebuild.
    assert_eq!(register(&b.url, "e", "\"int\"").await, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_instances_see_writes_within_a_second() {
    let tansu = Tansu::start().await;
    let a = start_registry(&tansu.bootstrap, "_schemas").await;
    let b = start_registry(&tansu.bootstrap, "_schemas").await;
    let id = register(&a.url, "seen", "\"int\"").await;
    let started = std::time::Instant::now();
    let seen = eventually(Duration::from_secs(1), async || {
        get(&b.url, &format!("/schemas/ids/{id}")).await.status == 200
    })
    .await;
    assert!(
        seen,
        "not visible on the other instance after {:?}",
        started.elapsed()
    );
    // And B's writes see A's: the same schema elsewhere reuses the id.
    assert_eq!(register(&b.url, "seen-too", "\"int\"").await, id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_register_concurrently_without_collisions() {
    let tansu = Tansu::start().await;
    let a = start_registry(&tansu.bootstrap, "_schemas").await;
    let b = start_registry(&tansu.bootstrap, "_schemas").await;
    let run = |url: String, tag: &'static str| async move {
        let mut tasks = Vec::new();
        for i in 0..100 {
            let url = url.clone();
            tasks.push(tokio::spawn(async move {
                let schema = record_schema(&format!("{tag}{i}"), &["x"]);
                (
                    format!("{tag}-{i}"),
                    register(&url, &format!("{tag}-{i}"), &schema).await,
                )
            }));
        }
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    };
    let (ra, rb) = tokio::join!(run(a.url.clone(), "a"), run(b.url.clone(), "b"));
    let mut ids: Vec<i64> = ra.iter().chain(rb.iter()).map(|(_, id)| *id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 200, "ids collided");
    // Both instances converge and answer identically for every id and subject.
    let converged = eventually(Duration::from_secs(10), async || {
        let sa = get(&a.url, "/subjects").await.body;
        let sb = get(&b.url, "/subjects").await.body;
        sa == sb && sa.as_array().is_some_and(|s| s.len() == 200)
    })
    .await;
    assert!(converged);
    for (subject, id) in ra.iter().chain(rb.iter()) {
        for path in [
            format!("/schemas/ids/{id}"),
            format!("/subjects/{subject}/versions/latest"),
        ] {
            let x = get(&a.url, &path).await;
            let y = get(&b.url, &path).await;
            assert_eq!(x.ok(), y.ok(), "{path}");
        }
        let v = get(&a.url, &format!("/subjects/{subject}/versions/1")).await;
        assert_eq!(v.ok()["id"].as_i64(), Some(*id));
    }
}

async fn write_fixture(bootstrap: &str, topic: &str) {
    schemagate::schema_registry::topic::create_compacted_topic(
        &[bootstrap.to_owned()],
        topic,
        1,
        Duration::from_secs(10),
    )
    .await
    .unwrap();
    let client = ClientBuilder::new(vec![bootstrap.to_owned()])
        .build()
        .await
        .unwrap();
    let partition = client
        .partition_client(topic, 0, UnknownTopicHandling::Retry)
        .await
        .unwrap();
    let text = include_str!("fixtures/registry_confluent_schemas.log");
    let mut records = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (key, value) = line.split_once('\t').unwrap();
        let value = match value {
            "<null>" => None,
            "<empty>" => Some(Vec::new()),
            v => Some(v.as_bytes().to_vec()),
        };
        records.push(Record {
            key: Some(key.as_bytes().to_vec()),
            value,
            headers: Default::default(),
            timestamp: rskafka::chrono::DateTime::from_timestamp_millis(1_700_000_000_000).unwrap(),
        });
    }
    partition
        .produce(records, Compression::NoCompression)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confluent_fixture_log_is_read() {
    let tansu = Tansu::start().await;
    write_fixture(&tansu.bootstrap, "_schemas").await;
    let r = start_registry(&tansu.bootstrap, "_schemas").await;
    let u = &r.url;
    assert_eq!(
        get(u, "/subjects").await.ok(),
        &json!(["json-value", "legacy", "user-events-value"])
    );
    assert_eq!(
        get(u, "/subjects?deleted=true").await.ok(),
        &json!(["gone", "json-value", "legacy", "soft", "user-events-value"])
    );
    let v1 = get(u, "/subjects/user-events-value/versions/1").await;
    assert_eq!(v1.ok()["id"], 3);
    assert!(v1.ok()["schema"].as_str().unwrap().contains("\"email\""));
    assert_eq!(
        get(u, "/subjects/user-events-value/versions/2").await.ok()["id"],
        4
    );
    assert_eq!(
        get(u, "/subjects/legacy/versions/1").await.ok()["schema"],
        "\"string\""
    );
    assert_eq!(get(u, "/config").await.ok()["compatibilityLevel"], "FULL");
    assert_eq!(
        get(u, "/config/user-events-value").await.ok()["compatibilityLevel"],
        "NONE"
    );
    assert_eq!(get(u, "/mode/locked").await.ok()["mode"], "READONLY");
    // DELETE_SUBJECT soft-deleted "gone"; its id still resolves.
    get(u, "/subjects/gone/versions").await.error(404, 40401);
    assert_eq!(get(u, "/schemas/ids/6").await.ok()["schema"], "\"long\"");
    // Tombstone and Karapace's empty value deleted permanently.
    get(u, "/schemas/ids/7").await.error(404, 40403);
    get(u, "/schemas/ids/8").await.error(404, 40403);
    get(u, "/subjects/tomb/versions?deleted=true")
        .await
        .error(404, 40401);
    // The record reusing id 3 for other content was ignored.
    get(u, "/subjects/conflict/versions?deleted=true")
        .await
        .error(404, 40401);
    assert!(
        get(u, "/schemas/ids/3").await.ok()["schema"]
            .as_str()
            .unwrap()
            .contains("User")
    );
    assert_eq!(get(u, "/schemas/ids/9").await.ok()["schemaType"], "JSON");
    assert_eq!(
        get(u, "/schemas/ids/3/versions?deleted=true").await.ok(),
        &json!([{"subject": "soft", "version": 1}, {"subject": "user-events-value", "version": 1}])
    );
    // New ids continue above every id seen, including the freed ones.
    assert_eq!(register(u, "next", "\"boolean\"").await, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn written_records_are_byte_identical_to_confluent() {
    let tansu = Tansu::start().await;
    let r = start_registry(&tansu.bootstrap, "_schemas").await;
    register(&r.url, "s", "\"int\"").await;
    put(&r.url, "/config", json!({"compatibility": "NONE"}))
        .await
        .ok();
    put(&r.url, "/config/s", json!({"compatibility": "FULL"}))
        .await
        .ok();
    delete(&r.url, "/subjects/s").await.ok();
    let client = ClientBuilder::new(vec![tansu.bootstrap.clone()])
        .build()
        .await
        .unwrap();
    let partition = client
        .partition_client("_schemas", 0, UnknownTopicHandling::Retry)
        .await
        .unwrap();
    let (records, _) = partition
        .fetch_records(0, 1..1_000_000, 1_000)
        .await
        .unwrap();
    let pairs: Vec<(String, Option<String>)> = records
        .into_iter()
        .map(|r| {
            (
                String::from_utf8(r.record.key.unwrap()).unwrap(),
                r.record.value.map(|v| String::from_utf8(v).unwrap()),
            )
        })
        .collect();
    let expected = [
        (
            r#"{"keytype":"SCHEMA","subject":"s","version":1,"magic":1}"#,
            Some(r#"{"subject":"s","version":1,"id":1,"schema":"\"int\"","deleted":false}"#),
        ),
        (
            r#"{"keytype":"CONFIG","subject":null,"magic":0}"#,
            Some(r#"{"compatibilityLevel":"NONE"}"#),
        ),
        (
            r#"{"keytype":"CONFIG","subject":"s","magic":0}"#,
            Some(r#"{"subject":"s","compatibilityLevel":"FULL"}"#),
        ),
        (
            r#"{"keytype":"DELETE_SUBJECT","subject":"s","magic":0}"#,
            Some(r#"{"subject":"s","version":1}"#),
        ),
    ];
    let expected: Vec<(String, Option<String>)> = expected
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.map(str::to_owned)))
        .collect();
    assert_eq!(pairs, expected);
}
