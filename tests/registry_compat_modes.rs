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

async fn setup() -> (Tansu, Instance) {
    let tansu = Tansu::start().await;
    let instance = start_registry(&tansu.bootstrap, "_schemas").await;
    (tansu, instance)
}

fn no_default() -> String {
    user(&[("email", None)])
}

fn with_default() -> String {
    user(&[("email", Some(json!("")))])
}

fn base() -> String {
    user(&[])
}

fn base_with_name() -> String {
    user(&[("name", None)])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backward_allows_deleting_and_adding_with_default_only() {
    let (_tansu, r) = setup().await;
    let u = &r.url;
    fresh(u, "bw-del", "BACKWARD", &base_with_name()).await;
    try_register(u, "bw-del", &base()).await.unwrap();
    fresh(u, "bw-add-default", "BACKWARD", &base()).await;
    try_register(u, "bw-add-default", &with_default())
        .await
        .unwrap();
    fresh(u, "bw-add", "BACKWARD", &base()).await;
    let m = try_register(u, "bw-add", &no_default()).await.unwrap_err();
    assert!(m.contains("/fields/email"), "{m}");
    assert!(m.contains("\"bw-add\""), "{m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forward_is_the_mirror() {
    let (_tansu, r) = setup().await;
    let u = &r.url;
    fresh(u, "fw-add", "FORWARD", &base()).await;
    try_register(u, "fw-add", &no_default()).await.unwrap();
    fresh(u, "fw-del", "FORWARD", &base_with_name()).await;
    let m = try_register(u, "fw-del", &base()).await.unwrap_err();
    assert!(m.contains("name"), "{m}");
    fresh(u, "fw-del-default", "FORWARD", &with_default()).await;
    try_register(u, "fw-del-default", &base()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_needs_both_directions() {
    let (_tansu, r) = setup().await;
    let u = &r.url;
    fresh(u, "full", "FULL", &base()).await;
    try_register(u, "full", &no_default()).await.unwrap_err();
    try_register(u, "full", &with_default()).await.unwrap();
    try_register(u, "full", &base()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forward_transitive_refuses_v3_that_only_fits_v2() {
    let (_tansu, r) = setup().await;
    let u = &r.url;
    let v1 = user(&[("a", None)]);
    let v2 = user(&[("a", Some(json!("")))]);
    let v3 = user(&[]);
    // v2 reads v3 (a has a default) but v1 cannot (a is required and missing).
    fresh(u, "fwt", "FORWARD_TRANSITIVE", &v1).await;
    try_register(u, "fwt", &v2).await.unwrap();
    let m = try_register(u, "fwt", &v3).await.unwrap_err();
    assert!(m.contains("/fields/a"), "{m}");
    fresh(u, "fw-non-transitive", "FORWARD", &v1).await;
    try_register(u, "fw-non-transitive", &v2).await.unwrap();
    try_register(u, "fw-non-transitive", &v3).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backward_and_full_transitive_refuse_v3_that_only_fits_v2() {
    let (_tansu, r) = setup().await;
    let u = &r.url;
    // v3 (b: string with default) reads v2 (no b) but not v1 (b: boolean).
    let b1 = json!({"type": "record", "name": "T", "fields": [{"name": "b", "type": "boolean"}]})
        .to_string();
    let b2 = json!({"type": "record", "name": "T", "fields": []}).to_string();
    let b3 = json!({"type": "record", "name": "T", "fields": [{"name": "b", "type": "string", "default": ""}]})
        .to_string();
    fresh(u, "bwt", "BACKWARD_TRANSITIVE", &b1).await;
    try_register(u, "bwt", &b2).await.unwrap();
    let m = try_register(u, "bwt", &b3).await.unwrap_err();
    assert!(m.contains("/fields/b"), "{m}");
    fresh(u, "bw-non-transitive", "BACKWARD", &b1).await;
    try_register(u, "bw-non-transitive", &b2).await.unwrap();
    try_register(u, "bw-non-transitive", &b3).await.unwrap();
    // FULL_TRANSITIVE: v1 cannot read v2 (b missing, no default).
    fresh(u, "fullt", "FULL_TRANSITIVE", &b1).await;
    try_register(u, "fullt", &b2).await.unwrap_err();
    // Soft-deleted versions don't count for transitive checks.
    delete(u, "/subjects/bwt/versions/1").await.ok();
    try_register(u, "bwt", &b3).await.unwrap();
}
