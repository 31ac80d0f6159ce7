//! Delete, config and mode endpoints.

use axum::extract::Path;
use axum::response::Response;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::json;

use super::{Params, Reg, VersionId, body, flag, mode_object, ok};
use crate::schema_registry::api_error::ApiError;
use crate::schema_registry::records::Mode;
use crate::schema_registry::service::admin::{parse_level, parse_mode};
use crate::schema_registry::service::effective_level;

type Answer = Result<Response, ApiError>;

pub async fn delete_subject(reg: Reg, Path(subject): Path<String>, params: Params) -> Answer {
    let versions = reg
        .delete_subject(&subject, flag(&params, "permanent"))
        .await?;
    Ok(ok(json!(versions)))
}

pub async fn delete_version(
    reg: Reg,
    Path((subject, version)): Path<(String, String)>,
    params: Params,
) -> Answer {
    let version = VersionId::parse(&version)?;
    let deleted = reg
        .delete_version(&subject, version, flag(&params, "permanent"))
        .await?;
    Ok(ok(json!(deleted)))
}

#[derive(Deserialize)]
struct ConfigBody {
    #[serde(default, alias = "compatibilityLevel")]
    compatibility: Option<String>,
}

/// The level in a `PUT /config` body (`compatibility` or `compatibilityLevel`).
pub fn level_of(
    bytes: &Bytes,
) -> Result<crate::schema_registry::compat::CompatibilityLevel, ApiError> {
    let cfg: ConfigBody = body(bytes)?;
    parse_level(cfg.compatibility.as_deref().unwrap_or(""))
}

pub async fn get_global_config(reg: Reg) -> Answer {
    let level = reg.state().config(None).unwrap_or(reg.default_level());
    Ok(ok(json!({ "compatibilityLevel": level })))
}

pub async fn put_global_config(reg: Reg, bytes: Bytes) -> Answer {
    let level = reg.set_config(None, level_of(&bytes)?).await?;
    Ok(ok(json!({ "compatibility": level })))
}

pub async fn delete_global_config(reg: Reg) -> Answer {
    let level = reg.delete_config(None).await?;
    Ok(ok(json!({ "compatibilityLevel": level })))
}

pub async fn get_subject_config(reg: Reg, Path(subject): Path<String>, params: Params) -> Answer {
    let state = reg.state();
    let level = if flag(&params, "defaultToGlobal") {
        Some(effective_level(&state, &subject, reg.default_level()))
    } else {
        state.config(Some(&subject))
    };
    let level =
        level.ok_or_else(|| ApiError::subject_level_compatibility_not_configured(&subject))?;
    Ok(ok(json!({ "compatibilityLevel": level })))
}

pub async fn put_subject_config(reg: Reg, Path(subject): Path<String>, bytes: Bytes) -> Answer {
    let level = reg.set_config(Some(&subject), level_of(&bytes)?).await?;
    Ok(ok(json!({ "compatibility": level })))
}

pub async fn delete_subject_config(reg: Reg, Path(subject): Path<String>) -> Answer {
    let level = reg.delete_config(Some(&subject)).await?;
    Ok(ok(json!({ "compatibilityLevel": level })))
}

#[derive(Deserialize)]
struct ModeBody {
    #[serde(default)]
    mode: Option<String>,
}

/// The mode in a `PUT /mode` body.
pub fn mode_of(bytes: &Bytes) -> Result<Mode, ApiError> {
    let m: ModeBody = body(bytes)?;
    parse_mode(m.mode.as_deref().unwrap_or(""))
}

pub async fn get_global_mode(reg: Reg) -> Answer {
    let mode = reg.state().mode(None).unwrap_or(Mode::Readwrite);
    Ok(ok(mode_object(mode)))
}

pub async fn put_global_mode(reg: Reg, params: Params, bytes: Bytes) -> Answer {
    let mode = reg
        .set_mode(None, mode_of(&bytes)?, flag(&params, "force"))
        .await?;
    Ok(ok(mode_object(mode)))
}

pub async fn get_subject_mode(reg: Reg, Path(subject): Path<String>, params: Params) -> Answer {
    let state = reg.state();
    let mode = if flag(&params, "defaultToGlobal") {
        Some(state.effective_mode(&subject))
    } else {
        state.mode(Some(&subject))
    };
    let mode = mode.ok_or_else(|| ApiError::subject_level_mode_not_configured(&subject))?;
    Ok(ok(mode_object(mode)))
}

pub async fn put_subject_mode(
    reg: Reg,
    Path(subject): Path<String>,
    params: Params,
    bytes: Bytes,
) -> Answer {
    let mode = reg
        .set_mode(Some(&subject), mode_of(&bytes)?, flag(&params, "force"))
        .await?;
    Ok(ok(mode_object(mode)))
}

pub async fn delete_subject_mode(reg: Reg, Path(subject): Path<String>) -> Answer {
    let mode = reg.delete_mode(&subject).await?;
    Ok(ok(mode_object(mode)))
}
