//! HTTP handlers and their request/response types, one module per resource. Handlers parse,
//! authorize and call a service; they hold no business rules.

pub mod api_keys;
pub mod attachments;
pub mod auth;
pub mod batches;
pub mod body_guard;
pub mod budgets;
pub mod claims;
pub mod health;
pub mod insured;
pub mod me;
pub mod offices;
pub mod openapi;
pub mod preauth;
pub mod pricing;
pub mod problem;
pub mod providers;
pub mod reimbursements;
pub mod reports;
pub mod review;
pub mod settlements;
pub mod tariffs;
pub mod users;

use std::future::Future;
use std::pin::Pin;

use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde::Serialize;
use validator::Validate;

use crate::context::ServiceContext;
use crate::error::AppError;

/// A JSON body that has been parsed and validated. Malformed JSON is a 400 naming the line and
/// column; a well-formed body with wrong or missing fields is a 422 naming each field path.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ApiJson<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let content_type_ok = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|ct| {
                let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            })
            .unwrap_or(false);
        let limit =
            req.app_data::<web::Data<ServiceContext>>().map(|s| s.config.max_json_bytes).unwrap_or(1 << 20);
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !content_type_ok {
                return Err(AppError::UnsupportedMediaType(
                    "send the body as Content-Type: application/json".into(),
                ));
            }
            let body = bytes.await.map_err(|e| payload_error(e, limit))?;
            if body.len() > limit {
                return Err(AppError::PayloadTooLarge(format!("the body is larger than {limit} bytes")));
            }
            let value = crate::input::parse_json::<T>(&body)?;
            value.validate()?;
            Ok(ApiJson(value))
        })
    }
}

/// A raw body (CSV imports), read under the same size and time limits and errors as JSON.
pub struct RawBody(pub web::Bytes);

impl FromRequest for RawBody {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let limit =
            req.app_data::<web::Data<ServiceContext>>().map(|s| s.config.max_json_bytes).unwrap_or(1 << 20);
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move { bytes.await.map(RawBody).map_err(|e| payload_error(e, limit)) })
    }
}

fn payload_error(e: actix_web::Error, limit: usize) -> AppError {
    if body_guard::is_timeout(&e) {
        return body_guard::timeout_error();
    }
    if e.as_response_error().status_code() == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge(format!("the body is larger than {limit} bytes"))
    } else {
        AppError::bad_request("unreadable_body", format!("the request body could not be read: {e}"))
    }
}

/// Deserializes with the path of the failing field, so errors can name it.
pub use crate::input::parse_json;

pub const DEFAULT_PAGE: i64 = 50;
pub const MAX_PAGE: i64 = 500;

/// The `?limit=` of a list (each list's query struct has `limit` and `cursor` fields of its
/// own: serde's `flatten` breaks number parsing in query strings).
pub fn page_limit(limit: Option<i64>) -> Result<i64, AppError> {
    match limit {
        None => Ok(DEFAULT_PAGE),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(_) => Err(AppError::field("limit", "range", format!("must be between 1 and {MAX_PAGE}"))),
    }
}

/// `{ "items": [...], "next_cursor": ... }`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The cursor of the next page; null on the last one.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// `rows` were loaded with `limit`; a full page means there may be more after the last id.
    pub fn from_rows<R>(rows: Vec<R>, limit: i64, id: impl Fn(&R) -> String, map: impl Fn(R) -> T) -> Self {
        let next_cursor = if rows.len() as i64 == limit { rows.last().map(&id) } else { None };
        Page { items: rows.into_iter().map(map).collect(), next_cursor }
    }
}

/// Timestamps in answers: RFC 3339, UTC, whole seconds (`2026-11-23T08:30:00Z`).
pub use crate::clock::ts;

/// A `?status=` list filter: one of a life cycle's statuses (`all`, for the message), or a 422
/// naming `status` with `code`.
pub fn status_filter<T: Copy + std::fmt::Display + std::str::FromStr>(
    value: Option<&str>,
    all: &[T],
    code: &str,
) -> Result<Option<T>, AppError> {
    value
        .map(|s| {
            s.parse::<T>().map_err(|_| {
                let names: Vec<String> = all.iter().map(|s| s.to_string()).collect();
                AppError::field("status", code, format!("must be one of {}", names.join(", ")))
            })
        })
        .transpose()
}

/// A date field (Gregorian `YYYY-MM-DD` or Jalali `1403-07-15`), its error naming the field.
pub fn date_field(field: &str, value: &str) -> Result<chrono::NaiveDate, AppError> {
    crate::domain::jalali::parse_date(value)
        .map_err(|e| AppError::field(field, "invalid_date", e.to_string()))
}
