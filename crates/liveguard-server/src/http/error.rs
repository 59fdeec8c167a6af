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
    /// Wrong passwords from this client: wait this many seconds before the next attempt.
    #[error("too many failed attempts; try again in {0} s")]
    RetryAfter(i64),
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
        /// What is wrong, in Chinese, for pages (when the message is not already Chinese).
        zh: Option<String>,
    },
    /// The review workflow refused the action (the message says why).
    #[error("{0}")]
    Workflow(String),
    /// The review workflow refused the action; pages say why in Chinese from the kind.
    #[error("{0}")]
    Review(liveguard_review::ReviewError),
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
    /// The request line, path or query could not be read (the message says what).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The route exists, but not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The request body has a content type the route does not take.
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    /// The request took longer than `request_timeout_seconds`; nothing is known to have
    /// been changed by it unless a later read shows so.
    #[error("the request took too long and was stopped")]
    Timeout,
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
            zh: None,
        }
    }

    /// A validation error naming `field`, said in Chinese (`zh`, for pages) and English
    /// (`en`, the API's problem title).
    pub fn invalid(field: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        ApiError::Validation {
            field: field.to_string(),
            message: en.into(),
            zh: Some(zh.into()),
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
            ApiError::RetryAfter(_) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited", "auth"),
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
            ApiError::Workflow(_) | ApiError::Review(_) => {
                (StatusCode::CONFLICT, "workflow_refused", "invalid_request")
            }
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request", "invalid_request"),
            ApiError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "invalid_request",
            ),
            ApiError::UnsupportedMediaType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "invalid_request",
            ),
            ApiError::Timeout => (StatusCode::SERVICE_UNAVAILABLE, "timeout", "system"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal"),
        }
    }
}

impl From<liveguard_pipeline::PipelineError> for ApiError {
    fn from(e: liveguard_pipeline::PipelineError) -> Self {
        use liveguard_pipeline::PipelineError as P;
        match e {
            P::QueueFull(_) | P::StreamRefused(_) => ApiError::Busy(e.to_string()),
            P::Stopped | P::NotStored => ApiError::Unavailable(e.to_string()),
            P::Store(e) => e.into(),
            P::Snapshot { .. } | P::Nats(_) => ApiError::Internal(e.to_string()),
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
                zh: None,
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
        if matches!(
            self,
            ApiError::Busy(_) | ApiError::DatabaseUnavailable | ApiError::Timeout
        ) {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if let ApiError::RetryAfter(seconds) = self {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        }
        resp
    }
}

/// Reads an error answer that axum or a tower layer wrote as plain text (path and query
/// rejections, the body limit, 405, the timeout) as one of our errors; `None` for a
/// status with no stable code, which is left as it is.
fn plain_error(status: StatusCode, detail: String) -> Option<ApiError> {
    Some(match status {
        StatusCode::BAD_REQUEST => ApiError::BadRequest(detail),
        StatusCode::NOT_FOUND => ApiError::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType(detail),
        StatusCode::UNPROCESSABLE_ENTITY => ApiError::BadBody(detail),
        StatusCode::SERVICE_UNAVAILABLE if detail.is_empty() => ApiError::Timeout,
        _ => return None,
    })
}

/// Longest plain-text error body read back to build the problem document.
const PLAIN_ERROR_BYTES_MAX: usize = 16 * 1024;

/// Middleware: every error answer is `application/problem+json` with a stable code (or,
/// for a browser asking for a page, an HTML error page) — also the ones written by axum's
/// extractors and tower's layers, which answer in plain text (security review F14).
pub async fn problem_json(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let page = !req.uri().path().starts_with("/api/")
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"));
    let lang = crate::ui::lang_of(req.headers());
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let content_type = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("application/problem+json") || content_type.starts_with("text/html")
    {
        return resp;
    }
    let allow = resp.headers().get(header::ALLOW).cloned();
    let detail = axum::body::to_bytes(resp.into_body(), PLAIN_ERROR_BYTES_MAX)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let Some(error) = plain_error(status, detail) else {
        return status.into_response();
    };
    let mut out = if page {
        crate::ui::plain_error_page(lang, error)
    } else {
        error.into_response()
    };
    if let Some(allow) = allow {
        out.headers_mut().insert(header::ALLOW, allow);
    }
    out
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
