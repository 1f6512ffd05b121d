//! `AppError`: every failure the API can answer, rendered as RFC 9457
//! `application/problem+json` with a stable `code`. Internal causes are logged with the request
//! id and never put in a body. Data code returns `QueryResult`; this type lives at the edge.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::telemetry::current_request_id;

/// One problem with one input field, for 422 answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Path of the field in the request, e.g. `lines[2].quantity`.
    pub field: String,
    /// Stable machine code, e.g. `required`, `invalid_type`, `length`, `checksum`.
    pub code: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), code: code.into(), message: message.into() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: the request could not be read (malformed JSON, bad query string…).
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String },
    /// 422: readable but invalid; every bad field is listed.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// 401: no, unknown, expired or revoked credentials.
    #[error("{0}")]
    Unauthenticated(String),
    /// 403: authenticated, but the role or state does not allow this.
    #[error("{detail}")]
    Forbidden { code: &'static str, detail: String },
    /// 404: no such thing — or one that belongs to another tenant.
    #[error("{0}")]
    NotFound(String),
    /// 405 for a known path with an unsupported method; carries the allowed ones (`Allow`).
    #[error("method not allowed; allowed: {0}")]
    MethodNotAllowed(String),
    /// 409: conflicts with the current state (duplicate username, wrong transition…).
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    /// 408: the body stopped arriving (see `ASNAD_BODY_TIMEOUT_SECONDS`).
    #[error("{0}")]
    RequestTimeout(String),
    /// 413: body too large.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 415: not JSON where JSON is required.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 429: too many attempts; retry after the given seconds.
    #[error("{detail}")]
    TooManyRequests { detail: String, retry_after_seconds: i64 },
    /// 503: the database (or another dependency) is unreachable.
    #[error("{0}")]
    Unavailable(String),
    /// 500: a bug or an unexpected failure. The cause is logged, not shown.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::BadRequest { code, detail: detail.into() }
    }
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::Forbidden { code: "forbidden", detail: detail.into() }
    }
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict { code, detail: detail.into() }
    }
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound(what.into())
    }
    pub fn field(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, code, message)])
    }
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }

    /// The stable code clients switch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. } => code,
            Self::Validation(_) => "validation_failed",
            Self::Unauthenticated(_) => "unauthenticated",
            Self::Forbidden { code, .. } => code,
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed(_) => "method_not_allowed",
            Self::Conflict { code, .. } => code,
            Self::RequestTimeout(_) => "request_timeout",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::TooManyRequests { .. } => "too_many_requests",
            Self::Unavailable(_) => "service_unavailable",
            Self::Internal(_) => "internal_error",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            Self::BadRequest { .. } => "Bad request",
            Self::Validation(_) => "Validation failed",
            Self::Unauthenticated(_) => "Authentication required",
            Self::Forbidden { .. } => "Forbidden",
            Self::NotFound(_) => "Not found",
            Self::MethodNotAllowed(_) => "Method not allowed",
            Self::Conflict { .. } => "Conflict",
            Self::RequestTimeout(_) => "Request timeout",
            Self::PayloadTooLarge(_) => "Payload too large",
            Self::UnsupportedMediaType(_) => "Unsupported media type",
            Self::TooManyRequests { .. } => "Too many requests",
            Self::Unavailable(_) => "Service unavailable",
            Self::Internal(_) => "Internal server error",
        }
    }

    /// The HTTP status this error answers with (also recorded for each document of a monthly
    /// list, whose results read like the answers of single submissions).
    pub fn http_status(&self) -> u16 {
        self.status_code().as_u16()
    }

    /// What the client is told. Never the internal cause of a 500 or 503.
    fn detail(&self) -> String {
        match self {
            Self::Validation(errors) => match errors.as_slice() {
                [one] => format!("{}: {}", one.field, one.message),
                many => format!("{} fields are invalid", many.len()),
            },
            Self::Unavailable(_) => "the service cannot reach its database; try again shortly".into(),
            Self::Internal(_) => {
                "an unexpected error occurred; quote the request id when reporting it".into()
            }
            other => other.to_string(),
        }
    }
}

/// The problem+json body (RFC 9457) with our extensions `code`, `request_id` and `errors`.
#[derive(Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let request_id = current_request_id();
        match self {
            Self::Internal(cause) => tracing::error!(request_id = ?request_id, %cause, "internal error"),
            Self::Unavailable(cause) => {
                tracing::warn!(request_id = ?request_id, %cause, "dependency unavailable")
            }
            _ => {}
        }
        let body = Problem {
            type_: format!("urn:asnad:problem:{}", self.code()),
            title: self.title(),
            status: status.as_u16(),
            detail: self.detail(),
            code: self.code(),
            request_id,
            errors: match self {
                Self::Validation(errors) => errors.clone(),
                _ => Vec::new(),
            },
        };
        let mut res = HttpResponse::build(status);
        res.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        match self {
            Self::Unauthenticated(_) => {
                res.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"asnad\""));
            }
            Self::MethodNotAllowed(allowed) => {
                res.insert_header((header::ALLOW, allowed.clone()));
            }
            Self::TooManyRequests { retry_after_seconds, .. } => {
                res.insert_header((header::RETRY_AFTER, retry_after_seconds.max(&1).to_string()));
            }
            _ => {}
        }
        res.body(serde_json::to_string(&body).unwrap_or_else(|_| "{}".into()))
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => Self::NotFound("not found".into()),
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                Self::Unavailable(info.message().into())
            }
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                // Services check uniqueness first and answer with a precise message; reaching
                // here means a race, which is still a conflict and not a server fault.
                tracing::debug!(message = info.message(), "unique violation");
                Self::conflict("conflict", "the record conflicts with one that already exists")
            }
            Error::DatabaseError(_, ref info)
                if info.message().contains("database is locked")
                    || info.message().contains("disk I/O error") =>
            {
                Self::Unavailable(e.to_string())
            }
            other => Self::Internal(other.to_string()),
        }
    }
}

/// A stored status no life cycle knows is the database's fault, not the caller's.
impl From<crate::domain::lifecycle::UnknownStatus> for AppError {
    fn from(e: crate::domain::lifecycle::UnknownStatus) -> Self {
        AppError::internal(e)
    }
}

impl From<r2d2::Error> for AppError {
    fn from(e: r2d2::Error) -> Self {
        Self::Unavailable(e.to_string())
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        Self::Internal(e.to_string())
    }
}

impl From<validator::ValidationErrors> for AppError {
    fn from(errors: validator::ValidationErrors) -> Self {
        let mut out = Vec::new();
        flatten_validation_errors("", &errors, &mut out);
        out.sort_by(|a, b| a.field.cmp(&b.field));
        Self::Validation(out)
    }
}

fn flatten_validation_errors(prefix: &str, errors: &validator::ValidationErrors, out: &mut Vec<FieldError>) {
    use validator::ValidationErrorsKind;
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() { field.to_string() } else { format!("{prefix}.{field}") };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    let message = e
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| default_message(&e.code, &e.params));
                    out.push(FieldError::new(path.clone(), e.code.to_string(), message));
                }
            }
            ValidationErrorsKind::Struct(inner) => flatten_validation_errors(&path, inner, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    flatten_validation_errors(&format!("{path}[{i}]"), inner, out);
                }
            }
        }
    }
}

fn default_message(
    code: &str,
    params: &std::collections::HashMap<std::borrow::Cow<'static, str>, serde_json::Value>,
) -> String {
    let p = |k: &str| params.get(k).map(|v| v.to_string());
    match code {
        "length" => match (p("min"), p("max")) {
            (Some(min), Some(max)) => format!("length must be between {min} and {max}"),
            (Some(min), None) => format!("length must be at least {min}"),
            (None, Some(max)) => format!("length must be at most {max}"),
            _ => "invalid length".into(),
        },
        "range" => match (p("min"), p("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            _ => "out of range".into(),
        },
        "email" => "must be an email address".into(),
        "required" => "is required".into(),
        other => format!("is invalid ({other})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_specific() {
        assert_eq!(AppError::bad_request("x", "y").status_code(), 400);
        assert_eq!(AppError::field("a", "required", "is required").status_code(), 422);
        assert_eq!(AppError::Unauthenticated("no".into()).status_code(), 401);
        assert_eq!(AppError::forbidden("no").status_code(), 403);
        assert_eq!(AppError::not_found("x").status_code(), 404);
        assert_eq!(AppError::conflict("dup", "x").status_code(), 409);
        assert_eq!(AppError::Unavailable("db".into()).status_code(), 503);
        assert_eq!(AppError::internal("boom").status_code(), 500);
        assert_eq!(AppError::from(diesel::result::Error::NotFound).status_code(), 404);
    }

    #[test]
    fn internal_causes_are_not_shown() {
        assert!(!AppError::internal("password=secret").detail().contains("secret"));
        assert!(!AppError::Unavailable("host db:5432 refused".into()).detail().contains("5432"));
    }
}
