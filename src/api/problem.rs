//! Errors as HTTP answers: every `AppError` a use case returns is rendered here, once, as RFC
//! 9457 `application/problem+json` with a stable `code` (and `Allow`, `Retry-After` or
//! `WWW-Authenticate` where they apply). Internal causes are logged with the request id, never
//! shown.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::error::{AppError, FieldError};
use crate::telemetry::current_request_id;

/// The problem+json body (RFC 9457) with our extensions `code`, `request_id` and `errors`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `urn:asnad:problem:<code>`.
    #[serde(rename = "type")]
    #[schema(example = "urn:asnad:problem:validation_failed")]
    pub type_: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    /// Stable machine code, e.g. `validation_failed`.
    pub code: &'static str,
    /// The request's `X-Request-Id`, to quote when reporting a problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// For 422: every bad field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
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
