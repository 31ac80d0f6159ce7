//! The seed's compatibility walkthrough through the registry's REST API, per mode: under
//! BACKWARD a field may be deleted or added with a default but not added without one; FORWARD
//! is the mirror; FULL needs both; `*_TRANSITIVE` refuses a v3 that fits v2 but not v1.

mod registry_support;

use registry_support::*;
use serde_json::{Value, json};

fn user(fields: &[(&str, Option<Value>)]) -> String {
    let mut all = vec![json!({"name": "id", "type": "string"})];
    for (name, default) in fields {
        let mut f = json!({"name": name, "type": "string"});
        if let Some(d) = default {
            f["default"] = d.clone();
        }
        all.push(f);
    }
    json!({"type": "record", "name": "User", "namespace": "live11", "fields": all}).to_string()
}

/// Register `schema` under `subject`: Ok(id) or Err(409 message).
async fn try_register(u: &str, subject: &str, schema: &str) -> Result<i64, String> {
    let a = post(
        u,
        &format!("/subjects/{subject}/versions"),
        json!({"schema": schema}),
    )
    .await;
    if a.status == 200 {
        return Ok(a.body["id"].as_i64().unwrap());
    }
    Err(a.error(409, 409))
}

async fn fresh(u: &str, subject: &str, level: &str, v1: &str) {
    put(
        u,
        &format!("/config/{subject}"),
        json!({"compatibility": level}),
    )
    .await
    .ok();
    try_register(u, subject, v1).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_walkthrough_per_mode() {
    let tansu = Tansu::start().await;
    let r = start_registry(&tansu.bootstrap, "_schemas").await;
    let u = &r.url;
    let no_default = user(&[("email", None)]);
    let with_default = user(&[("email", Some(json!("")))]);
    let base = user(&[]);
    let base_with_name = user(&[("name", None)]);

    // BACKWARD: deleting a field and adding one with a default are accepted...
    fresh(u, "bw-del", "BACKWARD", &base_with_name).await;
    try_register(u, "bw-del", &base).await.unwrap();
    fresh(u, "bw-add-default", "BACKWARD", &base).await;
    try_register(u, "bw-add-default", &with_default)
        .await
        .unwrap();
    // ...adding one without a default is refused, naming the field.
    fresh(u, "bw-add", "BACKWARD", &base).await;
    let m = try_register(u, "bw-add", &no_default).await.unwrap_err();
    assert!(m.contains("/fields/email"), "{m}");
    assert!(m.contains("\"bw-add\""), "{m}");

    // FORWARD is the mirror: adding without a default is fine, deleting a required field is not.
    fresh(u, "fw-add", "FORWARD", &base).await;
    try_register(u, "fw-add", &no_default).await.unwrap();
    fresh(u, "fw-del", "FORWARD", &base_with_name).await;
    let m = try_register(u, "fw-del", &base).await.unwrap_err();
    assert!(m.contains("name"), "{m}");
    fresh(u, "fw-del-default", "FORWARD", &with_default).await;
    try_register(u, "fw-del-default", &base).await.unwrap();

    // FULL needs both: only fields with defaults come and go.
    fresh(u, "full", "FULL", &base).await;
    try_register(u, "full", &no_default).await.unwrap_err();
    try_register(u, "full", &with_default).await.unwrap();
    try_register(u, "full", &base).await.unwrap();

    // Transitive: v3 fits v2 but not v1.
    let v1 = user(&[("a", None)]);
    let v2 = user(&[("a", Some(json!("")))]);
    let v3 = user(&[]);
    // FORWARD: v2 reads v3 (a has a default) but v1 cannot (a required, missing).
    fresh(u, "fwt", "FORWARD_TRANSITIVE", &v1).await;
    try_register(u, "fwt", &v2).await.unwrap();
    let m = try_register(u, "fwt", &v3).await.unwrap_err();
    assert!(m.contains("/fields/a"), "{m}");
    fresh(u, "fw-non-transitive", "FORWARD", &v1).await;
    try_register(u, "fw-non-transitive", &v2).await.unwrap();
    try_register(u, "fw-non-transitive", &v3).await.unwrap();
    // BACKWARD: v3 (b with default) reads v2 but not v1 where b had another type.
    let b1 = json!({"type": "record", "name": "T", "fields": [{"name": "b", "type": "boolean"}]})
        .to_string();
    let b2 = json!({"type": "record", "name": "T", "fields": []}).to_string();
    let b3 = json!({"type": "record", "name": "T", "fields": [{"name": "b", "type": "string", "default": ""}]}).to_string();
    fresh(u, "bwt", "BACKWARD_TRANSITIVE", &b1).await;
    try_register(u, "bwt", &b2).await.unwrap();
    let m = try_register(u, "bwt", &b3).await.unwrap_err();
    assert!(m.contains("/fields/b"), "{m}");
    fresh(u, "bw-non-transitive", "BACKWARD", &b1).await;
    try_register(u, "bw-non-transitive", &b2).await.unwrap();
    try_register(u, "bw-non-transitive", &b3).await.unwrap();
    fresh(u, "fullt", "FULL_TRANSITIVE", &b1).await;
    // FULL: b2 → b1 forward fails (b1 reads b2: b missing, no default).
    try_register(u, "fullt", &b2).await.unwrap_err();

    // Soft-deleted versions don't count for transitive checks.
    delete(u, "/subjects/bwt/versions/1").await.ok();
    try_register(u, "bwt", &b3).await.unwrap();
}
