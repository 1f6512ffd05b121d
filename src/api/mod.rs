//! HTTP handlers and their request/response types, one module per resource. Handlers parse,
//! authorize and call a service; they hold no business rules.

pub mod api_keys;
pub mod attachments;
pub mod auth;
pub mod batches;
pub mod body_guard;
pub mod claims;
pub mod health;
pub mod input;
pub mod insured;
pub mod offices;
pub mod preauth;
pub mod pricing;
pub mod providers;
pub mod reimbursements;
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
use crate::error::{AppError, FieldError};

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
            let value = parse_json::<T>(&body)?;
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
/// Reads a JSON body strictly: one JSON value and nothing after it but whitespace (400
/// otherwise), every string trimmed and checked for control characters ([`input::normalize`]),
/// then the request type, whose data errors name their field (422).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    use serde::Deserialize;
    let malformed = |e: serde_json::Error| {
        AppError::bad_request("malformed_json", format!("the body is not valid JSON: {e}"))
    };
    let mut de = serde_json::Deserializer::from_slice(body);
    let mut value = serde_json::Value::deserialize(&mut de).map_err(malformed)?;
    // `{…}{…}` or `{…}garbage`: one document per body, never the first of several.
    de.end().map_err(malformed)?;
    let errors = input::normalize(&mut value);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(v) => Ok(v),
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            Err(AppError::Validation(vec![data_error(&path, &inner.to_string())]))
        }
    }
}

fn data_error(path: &str, message: &str) -> FieldError {
    let message = message.split(" at line ").next().unwrap_or(message).to_string();
    let base = if path == "." { "" } else { path };
    let join = |name: &str| if base.is_empty() { name.to_string() } else { format!("{base}.{name}") };
    if let Some(name) = message.strip_prefix("missing field `").and_then(|r| r.split('`').next()) {
        return FieldError::new(join(name), "required", "is required");
    }
    if let Some(name) = message.strip_prefix("unknown field `").and_then(|r| r.split('`').next()) {
        // Here serde's path already ends with the unknown field's name.
        let field = if base.is_empty() { name.to_string() } else { base.to_string() };
        return FieldError::new(field, "unknown_field", message.clone());
    }
    let field = if base.is_empty() { "body".to_string() } else { base.to_string() };
    let code = if message.starts_with("invalid type") {
        "invalid_type"
    } else if message.starts_with("unknown variant") {
        "invalid_choice"
    } else {
        "invalid"
    };
    FieldError::new(field, code, message)
}

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
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
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

/// A date field (Gregorian `YYYY-MM-DD` or Jalali `1403-07-15`), its error naming the field.
pub fn date_field(field: &str, value: &str) -> Result<chrono::NaiveDate, AppError> {
    crate::domain::jalali::parse_date(value)
        .map_err(|e| AppError::field(field, "invalid_date", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Line {
        quantity: i64,
    }
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        name: String,
        lines: Vec<Line>,
    }

    fn field_of(body: &str) -> (String, String) {
        match parse_json::<Doc>(body.as_bytes()) {
            Err(AppError::Validation(e)) => (e[0].field.clone(), e[0].code.clone()),
            other => panic!("expected validation error, got {other:?}"),
        }
    }

    #[test]
    fn names_the_bad_field() {
        assert_eq!(field_of(r#"{"lines": []}"#), ("name".into(), "required".into()));
        assert_eq!(field_of(r#"{"name": 5, "lines": []}"#), ("name".into(), "invalid_type".into()));
        assert_eq!(
            field_of(r#"{"name": "x", "lines": [{"quantity": 1}, {"quantity": "a"}]}"#),
            ("lines[1].quantity".into(), "invalid_type".into())
        );
        assert_eq!(
            field_of(r#"{"name": "x", "lines": [{}]}"#),
            ("lines[0].quantity".into(), "required".into())
        );
        assert_eq!(
            field_of(r#"{"name": "x", "lines": [], "extra": 1}"#),
            ("extra".into(), "unknown_field".into())
        );
    }

    #[test]
    fn one_document_per_body() {
        for body in [
            &br#"{"name": "x", "lines": []}{"name": "y", "lines": []}"#[..],
            br#"{"name": "x", "lines": []}garbage"#,
        ] {
            match parse_json::<Doc>(body) {
                Err(e @ AppError::BadRequest { .. }) => assert_eq!(e.code(), "malformed_json"),
                other => panic!("{other:?}"),
            }
        }
        assert!(parse_json::<Doc>(b"{\"name\": \" x \", \"lines\": []}\n\t ").is_ok());
    }

    #[test]
    fn malformed_json_is_400() {
        match parse_json::<Doc>(b"{\"name\": ") {
            Err(e @ AppError::BadRequest { .. }) => assert_eq!(e.code(), "malformed_json"),
            other => panic!("{other:?}"),
        }
    }
}
