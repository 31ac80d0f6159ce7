//! Deletes (soft and permanent), compatibility config and mode.

use super::super::EmbeddedRegistry;
use super::super::api::VersionId;
use super::super::api_error::ApiError;
use super::super::compat::CompatibilityLevel;
use super::super::records::{LogRecord, Mode, SchemaValue};
use super::super::state::{State, VersionInfo};
use super::{Plan, check_subject};

fn refuse_readonly(state: &State, subject: &str) -> Result<(), ApiError> {
    if state.effective_mode(subject) == Mode::Readonly {
        return Err(ApiError::operation_not_permitted(format!(
            "Subject '{subject}' is in read-only mode"
        )));
    }
    Ok(())
}

/// Tombstones for a subject's CONFIG and MODE keys, for the ones that are set.
fn settings_tombstones(state: &State, subject: &str) -> Vec<LogRecord> {
    let mut records = Vec::new();
    if state.config(Some(subject)).is_some() {
        records.push(LogRecord::Config {
            subject: Some(subject.to_owned()),
            level: None,
        });
    }
    if state.mode(Some(subject)).is_some() {
        records.push(LogRecord::Mode {
            subject: Some(subject.to_owned()),
            mode: None,
        });
    }
    records
}

pub(super) fn plan_delete_subject(
    state: &State,
    subject: &str,
    permanent: bool,
) -> Result<Plan<Vec<i32>>, ApiError> {
    refuse_readonly(state, subject)?;
    let all = state.visible_versions(subject, true);
    if all.is_empty() {
        return Err(ApiError::subject_not_found(subject));
    }
    let live: Vec<i32> = all
        .iter()
        .filter(|(_, v)| !v.deleted)
        .map(|(n, _)| *n)
        .collect();
    for (version, _) in &all {
        if !state.referenced_by(subject, *version, false).is_empty() {
            return Err(ApiError::referenced(subject, *version));
        }
    }
    let owned = subject.to_owned();
    if !permanent {
        let Some(&highest) = live.last() else {
            return Err(ApiError::subject_soft_deleted(subject));
        };
        return Ok(Plan::Write {
            records: vec![LogRecord::DeleteSubject {
                subject: owned.clone(),
                version: highest,
            }],
            result: live,
            won: Box::new(move |s: &State| s.visible_versions(&owned, false).is_empty()),
        });
    }
    if !live.is_empty() {
        return Err(ApiError::subject_not_soft_deleted(subject));
    }
    let versions: Vec<i32> = all.iter().map(|(n, _)| *n).collect();
    let mut records: Vec<LogRecord> = versions
        .iter()
        .rev()
        .map(|v| LogRecord::Schema {
            subject: owned.clone(),
            version: *v,
            value: None,
        })
        .collect();
    records.extend(settings_tombstones(state, subject));
    Ok(Plan::Write {
        records,
        result: versions,
        won: Box::new(move |s: &State| s.versions(&owned).is_none()),
    })
}

pub(super) fn plan_delete_version(
    state: &State,
    subject: &str,
    version: VersionId,
    permanent: bool,
) -> Result<Plan<i32>, ApiError> {
    refuse_readonly(state, subject)?;
    let all = state.visible_versions(subject, true);
    if all.is_empty() {
        return Err(ApiError::subject_not_found(subject));
    }
    let found = match version {
        VersionId::Latest => all.iter().rev().find(|(_, v)| !v.deleted),
        VersionId::Exact(n) => all.iter().find(|(v, _)| *v == n),
    };
    let Some(&(number, info)) = found else {
        return Err(ApiError::version_not_found(&version.to_string()));
    };
    if !state.referenced_by(subject, number, false).is_empty() {
        return Err(ApiError::referenced(subject, number));
    }
    if !permanent {
        return soft_delete_version(state, subject, number, info);
    }
    let owned = subject.to_owned();
    if !info.deleted {
        return Err(ApiError::version_not_soft_deleted(subject, number));
    }
    let mut records = vec![LogRecord::Schema {
        subject: owned.clone(),
        version: number,
        value: None,
    }];
    if all.len() == 1 {
        records.extend(settings_tombstones(state, subject));
    }
    Ok(Plan::Write {
        records,
        result: number,
        won: Box::new(move |s: &State| s.versions(&owned).and_then(|v| v.get(&number)).is_none()),
    })
}

/// Rewrite the version's SCHEMA record with `deleted: true`.
fn soft_delete_version(
    state: &State,
    subject: &str,
    number: i32,
    info: VersionInfo,
) -> Result<Plan<i32>, ApiError> {
    if info.deleted {
        return Err(ApiError::version_soft_deleted(subject, number));
    }
    let owned = subject.to_owned();
    let content = state
        .schema(info.id)
        .cloned()
        .ok_or_else(|| ApiError::schema_id_not_found(info.id))?;
    let record = LogRecord::Schema {
        subject: owned.clone(),
        version: number,
        value: Some(SchemaValue {
            subject: owned.clone(),
            version: number,
            id: info.id,
            schema_type: content.schema_type,
            references: content.references,
            schema: content.schema,
            deleted: true,
        }),
    };
    Ok(Plan::Write {
        records: vec![record],
        result: number,
        won: Box::new(move |s: &State| {
            s.versions(&owned)
                .and_then(|v| v.get(&number))
                .is_none_or(|v| v.deleted)
        }),
    })
}

/// Parse a compatibility level name case-insensitively (42203 otherwise).
pub fn parse_level(name: &str) -> Result<CompatibilityLevel, ApiError> {
    serde_json::from_value(serde_json::Value::String(name.to_ascii_uppercase()))
        .map_err(|_| ApiError::invalid_compatibility_level())
}

/// Parse a mode name case-insensitively (42204 otherwise).
pub fn parse_mode(name: &str) -> Result<Mode, ApiError> {
    serde_json::from_value(serde_json::Value::String(name.to_ascii_uppercase()))
        .map_err(|_| ApiError::invalid_mode())
}

fn last_write_wins<T: Send + 'static>(record: LogRecord, result: T) -> Plan<T> {
    // Config and mode records always apply; any later record simply overrides them.
    Plan::Write {
        records: vec![record],
        result,
        won: Box::new(|_: &State| true),
    }
}

impl EmbeddedRegistry {
    /// `DELETE /subjects/{s}`: the versions deleted.
    pub async fn delete_subject(
        &self,
        subject: &str,
        permanent: bool,
    ) -> Result<Vec<i32>, ApiError> {
        self.write(|state| plan_delete_subject(state, subject, permanent))
            .await
    }

    /// `DELETE /subjects/{s}/versions/{v}`: the version deleted.
    pub async fn delete_version(
        &self,
        subject: &str,
        version: VersionId,
        permanent: bool,
    ) -> Result<i32, ApiError> {
        self.write(|state| plan_delete_version(state, subject, version, permanent))
            .await
    }

    /// `PUT /config[/{s}]`.
    pub async fn set_config(
        &self,
        subject: Option<&str>,
        level: CompatibilityLevel,
    ) -> Result<CompatibilityLevel, ApiError> {
        if let Some(s) = subject {
            check_subject(s)?;
        }
        let record = LogRecord::Config {
            subject: subject.map(str::to_owned),
            level: Some(level),
        };
        self.write(|_| Ok(last_write_wins(record.clone(), level)))
            .await
    }

    /// `DELETE /config[/{s}]`: the level that was set (global: the one in force).
    pub async fn delete_config(
        &self,
        subject: Option<&str>,
    ) -> Result<CompatibilityLevel, ApiError> {
        let default = self.default_level();
        self.write(|state| {
            let previous = state.config(subject);
            let record = LogRecord::Config {
                subject: subject.map(str::to_owned),
                level: None,
            };
            match (previous, subject) {
                (Some(level), _) => Ok(last_write_wins(record, level)),
                (None, None) => Ok(Plan::Done(default)),
                (None, Some(s)) => Err(ApiError::subject_not_found(s)),
            }
        })
        .await
    }

    /// `PUT /mode[/{s}]`. IMPORT needs no schemas in scope unless `force`.
    pub async fn set_mode(
        &self,
        subject: Option<&str>,
        mode: Mode,
        force: bool,
    ) -> Result<Mode, ApiError> {
        if let Some(s) = subject {
            check_subject(s)?;
        }
        self.write(|state| {
            let has_schemas = match subject {
                Some(s) => !state.visible_versions(s, true).is_empty(),
                None => !state.subject_names(true).is_empty(),
            };
            if mode == Mode::Import && has_schemas && !force {
                return Err(ApiError::operation_not_permitted(
                    "Cannot import since found existing subjects",
                ));
            }
            let record = LogRecord::Mode {
                subject: subject.map(str::to_owned),
                mode: Some(mode),
            };
            Ok(last_write_wins(record, mode))
        })
        .await
    }

    /// `DELETE /mode/{s}`: the mode that was set.
    pub async fn delete_mode(&self, subject: &str) -> Result<Mode, ApiError> {
        self.write(|state| {
            let previous = state
                .mode(Some(subject))
                .ok_or_else(|| ApiError::subject_not_found(subject))?;
            let record = LogRecord::Mode {
                subject: Some(subject.to_owned()),
                mode: None,
            };
            Ok(last_write_wins(record, previous))
        })
        .await
    }
}
