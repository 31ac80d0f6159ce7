//! REST errors in Confluent's envelope: `{"error_code": N, "message": "..."}`, HTTP status = the
//! first three digits of the code (`409` itself for incompatible schemas).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::api::CONTENT_TYPE;

/// An error answered to a REST client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub code: u32,
    pub message: String,
}

impl ApiError {
    pub fn new(code: u32, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }

    /// The HTTP status: the code itself when it has three digits, else its first three digits.
    pub fn status(&self) -> StatusCode {
        let mut status = self.code;
        while status >= 1000 {
            status /= 10;
        }
        StatusCode::from_u16(u16::try_from(status).unwrap_or(500))
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn subject_not_found(subject: &str) -> Self {
        Self::new(40401, format!("Subject '{subject}' not found."))
    }

    pub fn version_not_found(version: &str) -> Self {
        Self::new(40402, format!("Version {version} not found."))
    }

    pub fn schema_not_found() -> Self {
        Self::new(40403, "Schema not found")
    }

    pub fn schema_id_not_found(id: i32) -> Self {
        Self::new(40403, format!("Schema {id} not found"))
    }

    pub fn subject_soft_deleted(subject: &str) -> Self {
        Self::new(
            40404,
            format!(
                "Subject '{subject}' was soft deleted.Set permanent=true to delete permanently"
            ),
        )
    }

    pub fn subject_not_soft_deleted(subject: &str) -> Self {
        Self::new(
            40405,
            format!("Subject '{subject}' was not deleted first before being permanently deleted"),
        )
    }

    pub fn version_soft_deleted(subject: &str, version: i32) -> Self {
        Self::new(
            40406,
            format!(
                "Subject '{subject}' Version {version} was soft deleted.Set permanent=true to delete permanently"
            ),
        )
    }

    pub fn version_not_soft_deleted(subject: &str, version: i32) -> Self {
        Self::new(
            40407,
            format!(
                "Subject '{subject}' Version {version} was not deleted first before being permanently deleted"
            ),
        )
    }

    pub fn subject_level_compatibility_not_configured(subject: &str) -> Self {
        Self::new(
            40408,
            format!("Subject '{subject}' does not have subject-level compatibility configured"),
        )
    }

    pub fn subject_level_mode_not_configured(subject: &str) -> Self {
        Self::new(
            40409,
            format!("Subject '{subject}' does not have subject-level mode configured"),
        )
    }

    pub fn incompatible(subject: &str, details: &[String]) -> Self {
        Self::new(
            409,
            format!(
                "Schema being registered is incompatible with an earlier schema for subject \"{subject}\", details: [{}]",
                details.join(", ")
            ),
        )
    }

    pub fn invalid_schema(reason: impl std::fmt::Display) -> Self {
        Self::new(42201, reason.to_string())
    }

    pub fn invalid_version(version: &str) -> Self {
        Self::new(
            42202,
            format!(
                "The specified version '{version}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\""
            ),
        )
    }

    pub fn invalid_compatibility_level() -> Self {
        Self::new(
            42203,
            "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive",
        )
    }

    pub fn invalid_mode() -> Self {
        Self::new(
            42204,
            "Invalid mode. Valid values are READWRITE, READONLY and IMPORT.",
        )
    }

    pub fn operation_not_permitted(message: impl Into<String>) -> Self {
        Self::new(42205, message)
    }

    pub fn referenced(subject: &str, version: i32) -> Self {
        Self::new(
            42206,
            format!(
                "One or more references exist to the schema {{subject={subject},version={version}}}."
            ),
        )
    }

    pub fn id_mismatch(message: impl Into<String>) -> Self {
        Self::new(42207, message)
    }

    pub fn invalid_subject(subject: &str) -> Self {
        Self::new(
            42208,
            format!("The specified subject '{subject}' is not valid."),
        )
    }

    pub fn store(reason: impl std::fmt::Display) -> Self {
        Self::new(50001, format!("Error in the backend data store: {reason}"))
    }

    pub fn timeout(reason: impl std::fmt::Display) -> Self {
        Self::new(50002, format!("Operation timed out: {reason}"))
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }

    pub fn not_found_path() -> Self {
        Self::new(404, "HTTP 404 Not Found")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error_code": self.code, "message": self.message});
        (
            self.status(),
            [(axum::http::header::CONTENT_TYPE, CONTENT_TYPE)],
            body.to_string(),
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_is_first_three_digits() {
        assert_eq!(
            ApiError::subject_not_found("s").status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            ApiError::incompatible("s", &[]).status(),
            StatusCode::CONFLICT
        );
        assert_eq!(
            ApiError::invalid_version("x").status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            ApiError::store("x").status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
