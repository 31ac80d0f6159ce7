//! The embedded registry's REST API against a real tansu broker: Confluent semantics and every
//! error case (HTTP status, `error_code`, message shape).

mod registry_support;

use registry_support::*;
use serde_json::json;

async fn setup() -> (Tansu, Instance) {
    let tansu = Tansu::start().await;
    let instance = start_registry(&tansu.bootstrap, "_schemas").await;
    (tansu, instance)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_lookup_and_read_back() {
    let (_tansu, r) = setup().await;
    let u = &r.url;
    assert_eq!(get(u, "/").await.ok(), &json!({}));
    let v1 = record_schema("User", &["id"]);
    let id = register(u, "users-value", &v1).await;
    assert_eq!(id, 1);
    // Idempotent re-register: same id, no new version.
    assert_eq!(register(u, "users-value", &v1).await, 1);
    // The same schema under another subject reuses its id.
    assert_eq!(register(u, "other-value", &v1).await, 1);
    let v = get(u, "/subjects/users-value/versions/latest").await;
    assert!(
        v.content_type
            .starts_with("application/vnd.schemaregistry.v1+json")
    );
    let v = v.ok().clone();
    assert_eq!(v["subject"], "users-value");
    assert_eq!(v["version"], 1);
    assert_eq!(v["id"], 1);
    assert!(v.get("schemaType").is_none());
    assert_eq!(
        get(u, "/subjects/users-value/versions/-1").await.ok()["id"],
        1
    );
    assert_eq!(
        get(u, "/subjects/users-value/versions").await.ok(),
        &json!([1])
    );
    assert_eq!(
        get(u, "/subjects").await.ok(),
        &json!(["other-value", "users-value"])
    );
    assert_eq!(
        get(u, "/subjects?subjectPrefix=users").await.ok(),
        &json!(["users-value"])
    );
    let by_id = get(u, "/schemas/ids/1").await.ok().clone();
    let canonical = by_id["schema"].as_str().unwrap().to_owned();
    assert!(canonical.contains("\"User\""));
    assert_eq!(get(u, "/schemas/ids/1/schema").await.ok()["name"], "User");
    assert_eq!(
        get(u, "/schemas/ids/1/subjects").await.ok(),
        &json!(["other-value", "users-value"])
    );
    assert_eq!(
        get(u, "/schemas/ids/1/versions").await.ok(),
        &json!([{"subject": "other-value", "version": 1}, {"subject": "users-value", "version": 1}])
    );
    let all = get(u, "/schemas?subjectPrefix=users").await.ok().clone();
    assert_eq!(all.as_array().map(Vec::len), Some(1));
    assert_eq!(all[0]["subject"], "users-value");
    assert_eq!(get(u, "/contexts").await.ok(), &json!(["."]));
    let mut types = get(u, "/schemas/types").await.ok().clone();
    types.as_array_mut().unwrap().sort_by_key(|v| v.to_string());
    assert_eq!(types, json!(["AVRO", "JSON", "PROTOBUF"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookup_matches_canonical_form() {
    let (_tansu, r) = setup().await;
    let u = &r.url;
    let v1 = record_schema("User", &["id"]);
    register(u, "users-value", &v1).await;
    // Lookup matches the canonical form, whatever the spacing sent.
    let spaced =
        serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(&v1).unwrap())
            .unwrap();
    let found = post(u, "/subjects/users-value", json!({"schema": spaced})).await;
    assert_eq!(found.ok()["id"], 1);
    assert_eq!(found.ok()["version"], 1);
    // A second, compatible version gets a new id and version 2.
    let v2 = r#"{"type":"record","name":"User","fields":[{"name":"id","type":"int"},{"name":"email","type":"string","default":""}]}"#;
    assert_eq!(register(u, "users-value", v2).await, 2);
    assert_eq!(
        get(u, "/subjects/users-value/versions").await.ok(),
        &json!([1, 2])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_types_and_query_flags() {
    let (_tansu, r) = setup().await;
    let client = reqwest::Client::new();
    for ct in [
        "application/vnd.schemaregistry.v1+json",
        "application/vnd.schemaregistry+json",
        "application/json",
        "application/octet-stream",
    ] {
        let resp = client
            .post(format!("{}/subjects/ct/versions", r.url))
            .header("Content-Type", ct)
            .body(json!({"schema": "\"string\""}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200, "content type {ct}");
    }
    // Python sends normalize=False & deleted=False.
    let a = post(
        &r.url,
        "/subjects/ct?normalize=False&deleted=False",
        json!({"schema": "\"string\"", "schemaType": "AVRO", "references": []}),
    )
    .await;
    assert_eq!(a.ok()["version"], 1);
    delete(&r.url, "/subjects/ct").await.ok();
    let a = post(
        &r.url,
        "/subjects/ct?deleted=TRUE",
        json!({"schema": "\"string\""}),
    )
    .await;
    assert_eq!(a.ok()["version"], 1);
    assert_eq!(
        get(&r.url, "/subjects?deleted=True").await.ok(),
        &json!(["ct"])
    );
    assert_eq!(get(&r.url, "/subjects").await.ok(), &json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_found_errors() {
    let (_tansu, r) = setup().await;
    let u = &r.url;
    let m = get(u, "/subjects/nope/versions").await.error(404, 40401);
    assert_eq!(m, "Subject 'nope' not found.");
    get(u, "/subjects/nope/versions/1").await.error(404, 40401);
    post(u, "/subjects/nope", json!({"schema": "\"int\""}))
        .await
        .error(404, 40401);
    delete(u, "/subjects/nope").await.error(404, 40401);
    delete(u, "/subjects/nope/versions/1")
        .await
        .error(404, 40401);
    register(u, "s", "\"int\"").await;
    let m = get(u, "/subjects/s/versions/7").await.error(404, 40402);
    assert_eq!(m, "Version 7 not found.");
    get(u, "/subjects/s/versions/7/schema")
        .await
        .error(404, 40402);
    delete(u, "/subjects/s/versions/7").await.error(404, 40402);
    post(
        u,
        "/compatibility/subjects/s/versions/7",
        json!({"schema": "\"int\""}),
    )
    .await
    .error(404, 40402);
    let m = post(u, "/subjects/s", json!({"schema": "\"long\""}))
        .await
        .error(404, 40403);
    assert_eq!(m, "Schema not found");
    let m = get(u, "/schemas/ids/99").await.error(404, 40403);
    assert_eq!(m, "Schema 99 not found");
    get(u, "/schemas/ids/99/schema").await.error(404, 40403);
    get(u, "/schemas/ids/99/versions").await.error(404, 40403);
    get(u, "/schemas/ids/99/subjects").await.error(404, 40403);
    let m = get(u, "/config/s").await.error(404, 40408);
    assert_eq!(
        m,
        "Subject 's' does not have subject-level compatibility configured"
    );
    get(u, "/mode/s").await.error(404, 40409);
    delete(u, "/config/s").await.error(404, 40401);
    delete(u, "/mode/s").await.error(404, 40401);
    get(u, "/no/such/path").await.error(404, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_errors_and_semantics() {
    let (_tansu, r) = setup().await;
    let u = &r.url;
    register(u, "s", "\"int\"").await;
    register(u, "s", "\"long\"").await;
    // Permanent before soft.
    let m = delete(u, "/subjects/s?permanent=true")
        .await
        .error(404, 40405);
    assert!(m.contains("'s'") && m.contains("not deleted first"), "{m}");
    let m = delete(u, "/subjects/s/versions/1?permanent=true")
        .await
        .error(404, 40407);
    assert!(m.contains("Version 1"), "{m}");
    // Soft delete of a version, twice.
    assert_eq!(delete(u, "/subjects/s/versions/1").await.ok(), &json!(1));
    let m = delete(u, "/subjects/s/versions/1").await.error(404, 40406);
    assert!(m.contains("soft deleted"), "{m}");
    get(u, "/subjects/s/versions/1").await.error(404, 40402);
    let d = get(u, "/subjects/s/versions/1?deleted=true").await;
    assert_eq!(d.ok()["deleted"], true);
    // Soft-deleted ids stay resolvable.
    get(u, "/schemas/ids/1").await.ok();
    assert_eq!(get(u, "/subjects/s/versions").await.ok(), &json!([2]));
    assert_eq!(
        get(u, "/subjects/s/versions?deletedOnly=true").await.ok(),
        &json!([1])
    );
    assert_eq!(
        get(u, "/subjects/s/versions?deleted=true&offset=1&limit=1")
            .await
            .ok(),
        &json!([2])
    );
    assert_eq!(
        get(u, "/subjects/s/versions?deleted=true").await.ok(),
        &json!([1, 2])
    );
    // Soft delete of the subject, twice.
    assert_eq!(delete(u, "/subjects/s").await.ok(), &json!([2]));
    let m = delete(u, "/subjects/s").await.error(404, 40404);
    assert!(m.contains("soft deleted"), "{m}");
    get(u, "/subjects/s/versions").await.error(404, 40401);
    assert_eq!(
        get(u, "/subjects?deletedOnly=true").await.ok(),
        &json!(["s"])
    );
    // A new registration after soft delete continues the version numbers.
    register(u, "s", "\"string\"").await;
    assert_eq!(
        get(u, "/subjects/s/versions/latest").await.ok()["version"],
        3
    );
    delete(u, "/subjects/s").await.ok();
    assert_eq!(
        delete(u, "/subjects/s?permanent=true").await.ok(),
        &json!([1, 2, 3])
    );
    get(u, "/subjects/s/versions?deleted=true")
        .await
        .error(404, 40401);
    get(u, "/schemas/ids/1").await.error(404, 40403);
    // Permanent version delete after soft.
    register(u, "t", "\"int\"").await;
    delete(u, "/subjects/t/versions/latest").await.ok();
    assert_eq!(
        delete(u, "/subjects/t/versions/1?permanent=true")
            .await
            .ok(),
        &json!(1)
    );
    get(u, "/subjects/t/versions?deleted=true")
        .await
        .error(404, 40401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_version_and_schema() {
    let (_tansu, r) = setup().await;
    let u = &r.url;
    register(u, "s", "\"int\"").await;
    for bad in ["0", "abc", "-2", "2147483648", "1.5"] {
        let m = get(u, &format!("/subjects/s/versions/{bad}"))
            .await
            .error(422, 42202);
        assert!(
            m.starts_with(&format!(
                "The specified version '{bad}' is not a valid version id."
            )),
            "{m}"
        );
    }
    delete(u, "/subjects/s/versions/zero")
        .await
        .error(422, 42202);
    post(
        u,
        "/compatibility/subjects/s/versions/x",
        json!({"schema": "\"int\""}),
    )
    .await
    .error(422, 42202);
    // Invalid Avro.
    let m = post(
        u,
        "/subjects/s/versions",
        json!({"schema": "{\"type\":\"nope\"}"}),
    )
    .await
    .error(422, 42201);
    assert!(!m.is_empty());
    post(u, "/subjects/s/versions", json!({"schema": "{not json"}))
        .await
        .error(422, 42201);
    post(u, "/subjects/s/versions", json!({}))
        .await
        .error(422, 42201);
    post(
        u,
        "/subjects/s/versions",
        json!({"schema": "\"int\"", "schemaType": "XML"}),
    )
    .await
    .error(422, 42201);
    // JSON schema must be JSON; PROTOBUF must be non-empty.
    post(
        u,
        "/subjects/j/versions",
        json!({"schema": "{", "schemaType": "JSON"}),
    )
    .await
    .error(422, 42201);
    post(
        u,
        "/subjects/p/versions",
        json!({"schema": " ", "schemaType": "PROTOBUF"}),
    )
    .await
    .error(422, 42201);
    // Missing reference.
    let m = post(
        u,
        "/subjects/r/versions",
        json!({"schema": "\"int\"", "references": [{"name": "x", "subject": "missing", "version": 1}]}),
    )
    .await
    .error(422, 42201);
    assert!(m.contains("missing"), "{m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_level_mode_subject_and_body() {
    let (_tansu, r) = setup().await;
    let u = &r.url;
    // Compatibility level and mode names.
    let m = put(u, "/config", json!({"compatibility": "SIDEWAYS"}))
        .await
        .error(422, 42203);
    assert!(m.starts_with("Invalid compatibility level."), "{m}");
    put(u, "/config/s", json!({})).await.error(422, 42203);
    let m = put(u, "/mode", json!({"mode": "SOMETIMES"}))
        .await
        .error(422, 42204);
    assert!(m.starts_with("Invalid mode."), "{m}");
    // Invalid subject.
    post(
        u,
        "/subjects/__GLOBAL/versions",
        json!({"schema": "\"int\""}),
    )
    .await
    .error(422, 42208);
    put(u, "/config/__EMPTY", json!({"compatibility": "NONE"}))
        .await
        .error(422, 42208);
    // Malformed body.
    let a = call(u, "POST", "/subjects/s/versions", None).await;
    assert_eq!(a.status, 400);
    // Refusals made by the HTTP layer itself are Confluent-shaped JSON too (found by the
    // registry_http fuzz target: they were axum's plain text).
    let m = get(u, "/subjects/%FF/versions").await.error(400, 400);
    assert!(m.contains("Invalid UTF-8"), "{m}");
    let huge = json!({"schema": "x".repeat(3 << 20)});
    let m = post(u, "/subjects/s/versions", huge).await.error(413, 413);
    assert!(!m.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_and_protobuf_are_stored() {
    let (_tansu, r) = setup().await;
    let u = &r.url;
    let a = post(
        u,
        "/subjects/j/versions",
        json!({"schema": "{ \"type\": \"object\" }", "schemaType": "JSON"}),
    )
    .await;
    let id = a.ok()["id"].as_i64().unwrap();
    let s = get(u, &format!("/schemas/ids/{id}")).await;
    assert_eq!(s.ok()["schemaType"], "JSON");
    assert_eq!(s.ok()["schema"], "{\"type\":\"object\"}");
    let proto = "syntax = \"proto3\";\nmessage M { string a = 1; }\n";
    let a = post(
        u,
        "/subjects/p/versions",
        json!({"schema": proto, "schemaType": "PROTOBUF"}),
    )
    .await;
    let id = a.ok()["id"].as_i64().unwrap();
    let s = get(u, "/subjects/p/versions/1").await;
    assert_eq!(s.ok()["schemaType"], "PROTOBUF");
    assert_eq!(s.ok()["schema"], proto);
    assert_eq!(s.ok()["id"], id);
    // A different type after AVRO is incompatible under BACKWARD.
    register(u, "mixed", "\"int\"").await;
    let m = post(
        u,
        "/subjects/mixed/versions",
        json!({"schema": "{}", "schemaType": "JSON"}),
    )
    .await
    .error(409, 409);
    assert!(m.contains("Incompatible schema type"), "{m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_levels_and_defaults() {
    let (_tansu, r) = setup().await;
    let u = &r.url;
    assert_eq!(
        get(u, "/config").await.ok(),
        &json!({"compatibilityLevel": "BACKWARD"})
    );
    assert_eq!(
        put(u, "/config", json!({"compatibility": "full"}))
            .await
            .ok(),
        &json!({"compatibility": "FULL"})
    );
    assert_eq!(get(u, "/config").await.ok()["compatibilityLevel"], "FULL");
    assert_eq!(
        get(u, "/config/s?defaultToGlobal=true").await.ok()["compatibilityLevel"],
        "FULL"
    );
    put(u, "/config/s", json!({"compatibility": "NONE"}))
        .await
        .ok();
    assert_eq!(get(u, "/config/s").await.ok()["compatibilityLevel"], "NONE");
    assert_eq!(
        delete(u, "/config/s").await.ok()["compatibilityLevel"],
        "NONE"
    );
    get(u, "/config/s").await.error(404, 40408);
    assert_eq!(
        delete(u, "/config").await.ok()["compatibilityLevel"],
        "FULL"
    );
    assert_eq!(
        get(u, "/config").await.ok()["compatibilityLevel"],
        "BACKWARD"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modes_readonly_and_import() {
    let (_tansu, r) = setup().await;
    let u = &r.url;
    // Modes.
    assert_eq!(get(u, "/mode").await.ok(), &json!({"mode": "READWRITE"}));
    put(u, "/mode/ro", json!({"mode": "READONLY"})).await.ok();
    let m = post(u, "/subjects/ro/versions", json!({"schema": "\"int\""}))
        .await
        .error(422, 42205);
    assert!(m.contains("read-only"), "{m}");
    assert_eq!(get(u, "/mode/ro").await.ok()["mode"], "READONLY");
    assert_eq!(
        get(u, "/mode/other?defaultToGlobal=true").await.ok()["mode"],
        "READWRITE"
    );
    assert_eq!(delete(u, "/mode/ro").await.ok()["mode"], "READONLY");
    register(u, "ro", "\"int\"").await;
    // IMPORT needs an empty registry unless forced, then takes ids from the body.
    put(u, "/mode", json!({"mode": "IMPORT"}))
        .await
        .error(422, 42205);
    put(u, "/mode?force=true", json!({"mode": "IMPORT"}))
        .await
        .ok();
    let a = post(
        u,
        "/subjects/imported/versions",
        json!({"schema": "\"string\"", "id": 100, "version": 5}),
    )
    .await;
    assert_eq!(a.ok()["id"], 100);
    assert_eq!(
        get(u, "/subjects/imported/versions").await.ok(),
        &json!([5])
    );
    post(
        u,
        "/subjects/imported2/versions",
        json!({"schema": "\"long\"", "id": 100}),
    )
    .await
    .error(422, 42207);
    put(u, "/mode", json!({"mode": "READWRITE"})).await.ok();
    // New ids continue above the imported one.
    assert_eq!(register(u, "after", "\"double\"").await, 101);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compatibility_endpoint_and_409() {
    let (_tansu, r) = setup().await;
    let u = &r.url;
    // No versions yet: compatible (Confluent).
    let a = post(
        u,
        "/compatibility/subjects/c/versions/latest",
        json!({"schema": "\"int\""}),
    )
    .await;
    assert_eq!(a.ok(), &json!({"is_compatible": true}));
    register(u, "c", &record_schema("R", &["a"])).await;
    let incompatible = record_schema("R", &["a", "b"]);
    let a = post(
        u,
        "/compatibility/subjects/c/versions/latest",
        json!({"schema": incompatible}),
    )
    .await;
    assert_eq!(a.ok(), &json!({"is_compatible": false}));
    let a = post(
        u,
        "/compatibility/subjects/c/versions?verbose=true",
        json!({"schema": incompatible}),
    )
    .await;
    assert_eq!(a.ok()["is_compatible"], false);
    assert!(!a.ok()["messages"].as_array().unwrap().is_empty(), "{a:?}");
    let m = post(u, "/subjects/c/versions", json!({"schema": incompatible}))
        .await
        .error(409, 409);
    assert!(
        m.starts_with(
            "Schema being registered is incompatible with an earlier schema for subject \"c\", details: ["
        ),
        "{m}"
    );
    // Invalid schema: 42201, or a message when verbose.
    post(
        u,
        "/compatibility/subjects/c/versions/1",
        json!({"schema": "{"}),
    )
    .await
    .error(422, 42201);
    let a = post(
        u,
        "/compatibility/subjects/c/versions/1?verbose=true",
        json!({"schema": "{"}),
    )
    .await;
    assert_eq!(a.ok()["is_compatible"], false);
    // NONE accepts anything.
    put(u, "/config/c", json!({"compatibility": "NONE"}))
        .await
        .ok();
    register(u, "c", &incompatible).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn references_and_referencedby() {
    let (_tansu, r) = setup().await;
    let u = &r.url;
    let address = r#"{"type":"record","name":"Address","namespace":"ex","fields":[{"name":"city","type":"string"}]}"#;
    let addr_id = register(u, "address", address).await;
    let person = r#"{"type":"record","name":"Person","namespace":"ex","fields":[{"name":"home","type":"ex.Address"}]}"#;
    let a = post(
        u,
        "/subjects/person/versions",
        json!({"schema": person, "references": [{"name": "ex.Address", "subject": "address", "version": 1}]}),
    )
    .await;
    let person_id = a.ok()["id"].as_i64().unwrap();
    assert_ne!(person_id, addr_id);
    let s = get(u, &format!("/schemas/ids/{person_id}")).await;
    assert_eq!(
        s.ok()["references"],
        json!([{"name": "ex.Address", "subject": "address", "version": 1}])
    );
    assert_eq!(
        get(u, "/subjects/address/versions/1/referencedby")
            .await
            .ok(),
        &json!([person_id])
    );
    let m = delete(u, "/subjects/address/versions/1")
        .await
        .error(422, 42206);
    assert!(
        m.starts_with("One or more references exist to the schema"),
        "{m}"
    );
    delete(u, "/subjects/address").await.error(422, 42206);
    // The in-process view used by enforcement resolves references, dependencies first.
    use schemagate::registry::LocalRegistry;
    let text = r
        .registry
        .schema_text(i32::try_from(person_id).unwrap())
        .unwrap();
    assert_eq!(text.references.len(), 1);
    assert!(text.references[0].contains("Address"));
    assert!(r.registry.is_ready());
    assert_eq!(
        r.registry
            .subject_versions_of(i32::try_from(addr_id).unwrap()),
        vec![("address".to_owned(), 1)]
    );
}
