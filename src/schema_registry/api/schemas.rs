//! Subjects, versions, schemas by id, registration, lookup and compatibility endpoints.

use axum::extract::Path;
use axum::response::Response;
use bytes::Bytes;
use serde_json::json;

use super::{Params, Reg, VersionId, add_schema_fields, flag, ok, raw, schema_body, schema_object};
use crate::schema_registry::api_error::ApiError;
use crate::schema_registry::state::{State, VersionInfo};

type Answer = Result<Response, ApiError>;

pub async fn list_subjects(reg: Reg, params: Params) -> Answer {
    let prefix = params
        .get("subjectPrefix")
        .map(String::as_str)
        .unwrap_or("");
    let names: Vec<String> = reg
        .state()
        .subject_names(flag(&params, "deleted"))
        .into_iter()
        .filter(|s| s.starts_with(prefix))
        .collect();
    Ok(ok(json!(names)))
}

pub async fn list_versions(reg: Reg, Path(subject): Path<String>, params: Params) -> Answer {
    let versions: Vec<i32> = reg
        .state()
        .visible_versions(&subject, flag(&params, "deleted"))
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    if versions.is_empty() {
        return Err(ApiError::subject_not_found(&subject));
    }
    Ok(ok(json!(versions)))
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
