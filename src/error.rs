//! `AppError`: every way a use case can fail, with the stable `code` clients switch on and the
//! HTTP status it stands for. It knows nothing of the web framework: `api::problem` renders it
//! as RFC 9457 `application/problem+json`, logging internal causes with the request id and never
//! putting them in a body. Data code returns `QueryResult`; `From` impls below lift it.

use serde::Serialize;

/// One problem with one input field, for 422 answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
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

    /// The problem's human title.
    pub fn title(&self) -> &'static str {
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
        match self {
            Self::BadRequest { .. } => 400,
            Self::Validation(_) => 422,
            Self::Unauthenticated(_) => 401,
            Self::Forbidden { .. } => 403,
            Self::NotFound(_) => 404,
            Self::MethodNotAllowed(_) => 405,
            Self::Conflict { .. } => 409,
            Self::RequestTimeout(_) => 408,
            Self::PayloadTooLarge(_) => 413,
            Self::UnsupportedMediaType(_) => 415,
            Self::TooManyRequests { .. } => 429,
            Self::Unavailable(_) => 503,
            Self::Internal(_) => 500,
        }
    }

    /// What the client is told. Never the internal cause of a 500 or 503.
    pub fn detail(&self) -> String {
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
        assert_eq!(AppError::bad_request("x", "y").http_status(), 400);
        assert_eq!(AppError::field("a", "required", "is required").http_status(), 422);
        assert_eq!(AppError::Unauthenticated("no".into()).http_status(), 401);
        assert_eq!(AppError::forbidden("no").http_status(), 403);
        assert_eq!(AppError::not_found("x").http_status(), 404);
        assert_eq!(AppError::conflict("dup", "x").http_status(), 409);
        assert_eq!(AppError::Unavailable("db".into()).http_status(), 503);
        assert_eq!(AppError::internal("boom").http_status(), 500);
        assert_eq!(AppError::from(diesel::result::Error::NotFound).http_status(), 404);
    }

    #[test]
    fn internal_causes_are_not_shown() {
        assert!(!AppError::internal("password=secret").detail().contains("secret"));
        assert!(!AppError::Unavailable("host db:5432 refused".into()).detail().contains("5432"));
    }
}
