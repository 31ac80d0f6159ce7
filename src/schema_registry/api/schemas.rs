//! Subjects, versions, schemas by id, registration, lookup and compatibility endpoints.

use axum::extract::Path;
use axum::response::Response;
use bytes::Bytes;
use serde_json::json;

use super::{Params, Reg, VersionId, add_schema_fields, flag, ok, raw, schema_body, schema_object};
use crate::schema_registry::api_error::ApiError;
use crate::schema_registry::state::{State, VersionInfo};

type Answer = Result<Response, ApiError>;

/// Apply Confluent's `offset` and `limit` (negative or absent limit: no limit).
fn page<T>(items: Vec<T>, params: &Params) -> Vec<T> {
    let number = |name: &str| params.get(name).and_then(|v| v.parse::<i64>().ok());
    let offset = usize::try_from(number("offset").unwrap_or(0)).unwrap_or(0);
    let limit = number("limit")
        .and_then(|l| usize::try_from(l).ok())
        .unwrap_or(usize::MAX);
    items.into_iter().skip(offset).take(limit).collect()
}

pub async fn list_subjects(reg: Reg, params: Params) -> Answer {
    let prefix = params
        .get("subjectPrefix")
        .map(String::as_str)
        .unwrap_or("");
    let deleted_only = flag(&params, "deletedOnly");
    let names: Vec<String> = {
        let state = reg.state();
        let live = state.subject_names(false);
        state
            .subject_names(deleted_only || flag(&params, "deleted"))
            .into_iter()
            .filter(|s| s.starts_with(prefix))
            .filter(|s| !deleted_only || !live.contains(s))
            .collect()
    };
    Ok(ok(json!(page(names, &params))))
}

pub async fn list_versions(reg: Reg, Path(subject): Path<String>, params: Params) -> Answer {
    let deleted_only = flag(&params, "deletedOnly");
    let versions: Vec<i32> = reg
        .state()
        .visible_versions(&subject, deleted_only || flag(&params, "deleted"))
        .into_iter()
        .filter(|(_, v)| !deleted_only || v.deleted)
        .map(|(n, _)| n)
        .collect();
    if versions.is_empty() {
        return Err(ApiError::subject_not_found(&subject));
    }
    Ok(ok(json!(page(versions, &params))))
}

/// `GET /schemas`: every (live unless `deleted`) version as a Schema object, or only each
/// subject's latest with `latestOnly`.
pub async fn list_schemas(reg: Reg, params: Params) -> Answer {
    let prefix = params
        .get("subjectPrefix")
        .map(String::as_str)
        .unwrap_or("");
    let deleted = flag(&params, "deleted");
    let latest_only = flag(&params, "latestOnly");
    let state = reg.state();
    let mut out = Vec::new();
    for subject in state.subject_names(deleted) {
        if !subject.starts_with(prefix) {
            continue;
        }
        let mut versions = state.visible_versions(&subject, deleted);
        if latest_only {
            versions = versions.split_off(versions.len().saturating_sub(1));
        }
        for (number, info) in versions {
            if let Some(schema) = state.schema(info.id) {
                out.push(schema_object(&subject, number, info.id, schema));
            }
        }
    }
    Ok(ok(json!(page(out, &params))))
}

/// Resolve `subject`/`version` among the visible versions (live only unless `deleted`).
fn find_version(
    state: &State,
    subject: &str,
    version: &str,
    deleted: bool,
) -> Result<(i32, VersionInfo), ApiError> {
    let version = VersionId::parse(version)?;
    let visible = state.visible_versions(subject, deleted);
    if visible.is_empty() {
        return Err(ApiError::subject_not_found(subject));
    }
    let found = match version {
        VersionId::Latest => visible.last().copied(),
        VersionId::Exact(n) => visible.into_iter().find(|(v, _)| *v == n),
    };
    found.ok_or_else(|| ApiError::version_not_found(&version.to_string()))
}

pub async fn get_version(
    reg: Reg,
    Path((subject, version)): Path<(String, String)>,
    params: Params,
) -> Answer {
    let state = reg.state();
    let (number, info) = find_version(&state, &subject, &version, flag(&params, "deleted"))?;
    let schema = state
        .schema(info.id)
        .ok_or_else(|| ApiError::schema_id_not_found(info.id))?;
    let mut out = schema_object(&subject, number, info.id, schema);
    if info.deleted
        && let Some(map) = out.as_object_mut()
    {
        map.insert("deleted".into(), json!(true));
    }
    Ok(ok(out))
}

pub async fn get_version_schema(
    reg: Reg,
    Path((subject, version)): Path<(String, String)>,
    params: Params,
) -> Answer {
    let state = reg.state();
    let (_, info) = find_version(&state, &subject, &version, flag(&params, "deleted"))?;
    let schema = state
        .schema(info.id)
        .ok_or_else(|| ApiError::schema_id_not_found(info.id))?;
    Ok(raw(schema.schema.clone()))
}

pub async fn referenced_by(
    reg: Reg,
    Path((subject, version)): Path<(String, String)>,
    params: Params,
) -> Answer {
    let state = reg.state();
    let deleted = flag(&params, "deleted");
    let (number, _) = find_version(&state, &subject, &version, true)?;
    Ok(ok(json!(state.referenced_by(&subject, number, deleted))))
}

pub async fn register(reg: Reg, Path(subject): Path<String>, body: Bytes) -> Answer {
    let req = schema_body(&body)?;
    let registered = reg.register(&subject, req).await?;
    Ok(ok(
        json!({"id": registered.id, "version": registered.version}),
    ))
}

pub async fn lookup(reg: Reg, Path(subject): Path<String>, params: Params, body: Bytes) -> Answer {
    let req = schema_body(&body)?;
    let (found, content) = reg.lookup(&subject, &req, flag(&params, "deleted"))?;
    Ok(ok(schema_object(
        &subject,
        found.version,
        found.id,
        &content,
    )))
}

pub async fn types() -> Answer {
    Ok(ok(json!(["JSON", "PROTOBUF", "AVRO"])))
}

/// Only the default context exists here.
pub async fn contexts() -> Answer {
    Ok(ok(json!(["."])))
}

fn parse_id(id: &str) -> Result<i32, ApiError> {
    id.parse::<i32>()
        .map_err(|_| ApiError::new(40403, format!("Schema {id} not found")))
}

pub async fn get_by_id(reg: Reg, Path(id): Path<String>) -> Answer {
    let id = parse_id(&id)?;
    let state = reg.state();
    let schema = state
        .schema(id)
        .ok_or_else(|| ApiError::schema_id_not_found(id))?;
    let mut out = json!({});
    add_schema_fields(&mut out, schema);
    Ok(ok(out))
}

pub async fn get_text_by_id(reg: Reg, Path(id): Path<String>) -> Answer {
    let id = parse_id(&id)?;
    let state = reg.state();
    let schema = state
        .schema(id)
        .ok_or_else(|| ApiError::schema_id_not_found(id))?;
    Ok(raw(schema.schema.clone()))
}

fn pairs_of(reg: &Reg, id: &str, params: &Params) -> Result<Vec<(String, i32)>, ApiError> {
    let id = parse_id(id)?;
    let state = reg.state();
    if state.schema(id).is_none() {
        return Err(ApiError::schema_id_not_found(id));
    }
    Ok(state.subject_versions_of(id, flag(params, "deleted")))
}

pub async fn versions_by_id(reg: Reg, Path(id): Path<String>, params: Params) -> Answer {
    let pairs = pairs_of(&reg, &id, &params)?;
    let out: Vec<_> = pairs
        .into_iter()
        .map(|(subject, version)| json!({"subject": subject, "version": version}))
        .collect();
    Ok(ok(json!(out)))
}

pub async fn subjects_by_id(reg: Reg, Path(id): Path<String>, params: Params) -> Answer {
    let mut subjects: Vec<String> = pairs_of(&reg, &id, &params)?
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    subjects.dedup();
    Ok(ok(json!(subjects)))
}

fn compatibility_answer(
    result: crate::schema_registry::service::Compatibility,
    verbose: bool,
) -> Response {
    if verbose {
        ok(json!({"is_compatible": result.is_compatible, "messages": result.messages}))
    } else {
        ok(json!({"is_compatible": result.is_compatible}))
    }
}

pub async fn check_latest(
    reg: Reg,
    Path(subject): Path<String>,
    params: Params,
    body: Bytes,
) -> Answer {
    let req = schema_body(&body)?;
    let verbose = flag(&params, "verbose");
    let result = reg.check(&subject, None, &req, verbose)?;
    Ok(compatibility_answer(result, verbose))
}

pub async fn check_version(
    reg: Reg,
    Path((subject, version)): Path<(String, String)>,
    params: Params,
    body: Bytes,
) -> Answer {
    let version = VersionId::parse(&version)?;
    let req = schema_body(&body)?;
    let verbose = flag(&params, "verbose");
    let result = reg.check(&subject, Some(version), &req, verbose)?;
    Ok(compatibility_answer(result, verbose))
}
