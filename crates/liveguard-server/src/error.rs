//! One error type for the API: `application/problem+json` with a stable `code`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use liveguard_store::StoreError;
use serde::Serialize;

/// The error kinds of the API. Codes are stable.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No valid session or token.
    #[error("authentication required")]
    Unauthenticated,
    /// Authenticated, but the role may not do this.
    #[error("your role may not do this")]
    Forbidden,
    /// The CSRF token is missing or wrong.
    #[error("missing or invalid CSRF token")]
    Csrf,
    /// Too many attempts.
    #[error("too many attempts; try again later")]
    RateLimited,
    /// Wrong user name or password (deliberately not saying which).
    #[error("wrong user name or password")]
    BadCredentials,
    /// The account is locked after failed logins.
    #[error("account locked after repeated failed logins; try again after {0}")]
    Locked(String),
    /// The account is disabled.
    #[error("account disabled")]
    Disabled,
    /// Not found.
    #[error("not found")]
    NotFound,
    /// Conflicts with existing data.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A field is invalid; the first string names the field.
    #[error("invalid field `{field}`: {message}")]
    Validation {
        /// The field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The review workflow refused the action (the message says why).
    #[error("{0}")]
    Workflow(String),
    /// A helper program (OCR, PDF) is missing or failed; the message says which and what to do.
    #[error("{0}")]
    Unavailable(String),
    /// The database cannot be reached right now; nothing was changed; retry shortly.
    #[error("the database is unreachable; nothing was changed — retry shortly")]
    DatabaseUnavailable,
    /// A bounded queue is full: nothing of the request was accepted; retry after a second.
    #[error("{0}")]
    Busy(String),
    /// The request body is larger than `request_bytes_max`.
    #[error("request body too large")]
    TooLarge,
    /// The request body could not be read as the expected JSON.
    #[error("malformed request body: {0}")]
    BadBody(String),
    /// Something failed inside; details are logged, not returned.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// A validation error naming `field`.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ApiError::Validation {
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// (status, stable code, type).
    pub fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            ApiError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated", "auth"),
            ApiError::Forbidden => (StatusCode::FORBIDDEN, "forbidden", "auth"),
            ApiError::Csrf => (StatusCode::FORBIDDEN, "csrf_invalid", "auth"),
            ApiError::RateLimited => (StatusCode::TOO_MANY_REQUESTS, "rate_limited", "auth"),
            ApiError::BadCredentials => (StatusCode::UNAUTHORIZED, "bad_credentials", "auth"),
            ApiError::Locked(_) => (StatusCode::FORBIDDEN, "account_locked", "auth"),
            ApiError::Disabled => (StatusCode::FORBIDDEN, "account_disabled", "auth"),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found", "invalid_request"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict", "invalid_request"),
            ApiError::Validation { .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "invalid_request",
            ),
            ApiError::BadBody(_) => (StatusCode::BAD_REQUEST, "malformed_body", "invalid_request"),
            ApiError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "invalid_request",
            ),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", "system"),
            ApiError::Busy(_) => (StatusCode::SERVICE_UNAVAILABLE, "queue_full", "system"),
            ApiError::DatabaseUnavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                "system",
            ),
            ApiError::Workflow(_) => (StatusCode::CONFLICT, "workflow_refused", "invalid_request"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal"),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Conflict { constraint } => ApiError::Conflict(constraint),
            StoreError::Invalid(m) => ApiError::Validation {
                field: "body".into(),
                message: m,
            },
            StoreError::Unavailable(e) => {
                tracing::warn!(error = %e, "The database is unreachable; answering 503.");
                ApiError::DatabaseUnavailable
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: String,
    status: u16,
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    link: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, kind) = self.parts();
        if let ApiError::Internal(detail) = &self {
            tracing::error!(error = %detail, "Request failed with an internal error.");
        }
        let field = match &self {
            ApiError::Validation { field, .. } => Some(field.as_str()),
            _ => None,
        };
        let body = Problem {
            kind,
            title: self.to_string(),
            status: status.as_u16(),
            code,
            field,
            link: format!("/docs/errors#{code}"),
        };
        let mut resp = (status, Json(body)).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if matches!(self, ApiError::Busy(_) | ApiError::DatabaseUnavailable) {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_database_answers_503_with_retry_after() {
        let e = ApiError::from(StoreError::Unavailable(sqlx_timeout()));
        let r = e.into_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[header::RETRY_AFTER], "1");
        let busy = ApiError::Busy("full".into()).into_response();
        assert_eq!(busy.headers()[header::RETRY_AFTER], "1");
        // A missing helper program is not fixed by retrying in a second.
        let missing = ApiError::Unavailable("chromium is not installed".into()).into_response();
        assert!(missing.headers().get(header::RETRY_AFTER).is_none());
    }

    fn sqlx_timeout() -> liveguard_store::SqlxError {
        liveguard_store::SqlxError::PoolTimedOut
    }
}
