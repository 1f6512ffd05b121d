//! `/api/v1/claim-batches`: monthly lists of documents, as JSON or CSV.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};

use crate::api::openapi::params::Id;
use crate::auth::Caller;
use crate::context::ServiceContext;
use crate::error::{AppError, AppResult, FieldError};
use crate::services::batches::{self as service, BatchView};
use crate::services::claim_document::ClaimBody;

/// This module's part of the contract (see `api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(create, get))]
pub struct Api;

/// The JSON form of a monthly list.
#[derive(utoipa::ToSchema)]
#[schema(as = BatchInput)]
#[allow(dead_code)] // documentation only: the body is read as JSON in `create`
pub struct BatchBody {
    /// 1 to 50000 documents, each shaped like the body of `POST /api/v1/claims`; each is checked
    /// on its own when the list is read.
    #[schema(min_items = 1, max_items = 50000)]
    documents: Vec<ClaimBody>,
}

/// The CSV form: one row per claim line, consecutive rows with the same document number form
/// one document.
pub const CSV_HEADER: [&str; 15] = [
    "provider_document_no",
    "setting",
    "kind",
    "insured_national_code",
    "prescription_tracking_code",
    "prescribed_on",
    "physician_council_no",
    "admitted_on",
    "discharged_on",
    "line_no",
    "item_type",
    "code",
    "quantity",
    "service_date",
    "billed_amount",
];

/// Turns CSV rows into documents shaped like the JSON body of `POST /api/v1/claims`; field
/// checks happen per document later, so one bad row fails only its document.
pub fn csv_documents(body: &[u8]) -> AppResult<Vec<Value>> {
    let mut rdr = csv::ReaderBuilder::new().has_headers(true).from_reader(body);
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| AppError::field("file", "header", e.to_string()))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    if header != CSV_HEADER {
        return Err(AppError::field(
            "file",
            "header",
            format!("the header must be exactly: {}", CSV_HEADER.join(",")),
        ));
    }
    let mut docs: Vec<Value> = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            AppError::Validation(vec![FieldError::new(format!("line {line}"), "malformed", e.to_string())])
        })?;
        let get = |i: usize| rec.get(i).unwrap_or("").trim().to_string();
        let opt = |i: usize| {
            let v = get(i);
            if v.is_empty() {
                Value::Null
            } else {
                Value::String(v)
            }
        };
        let number =
            |i: usize| get(i).parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::String(get(i)));
        let line = json!({
            "line_no": number(9), "item_type": get(10), "code": get(11), "quantity": get(12),
            "service_date": get(13), "billed_amount": number(14)
        });
        let doc_no = get(0);
        let same_doc =
            docs.last().and_then(|d| d["provider_document_no"].as_str()).is_some_and(|n| n == doc_no);
        if same_doc {
            if let Some(lines) = docs.last_mut().and_then(|d| d["lines"].as_array_mut()) {
                lines.push(line);
            }
            continue;
        }
        let mut doc = Map::new();
        doc.insert("provider_document_no".into(), Value::String(doc_no));
        doc.insert("setting".into(), Value::String(get(1)));
        doc.insert("kind".into(), Value::String(get(2)));
        doc.insert("insured_national_code".into(), Value::String(get(3)));
        for (i, name) in [
            (4, "prescription_tracking_code"),
            (5, "prescribed_on"),
            (6, "physician_council_no"),
            (7, "admitted_on"),
            (8, "discharged_on"),
        ] {
            if let v @ Value::String(_) = opt(i) {
                doc.insert(name.into(), v);
            }
        }
        doc.insert("lines".into(), Value::Array(vec![line]));
        docs.push(Value::Object(doc));
    }
    Ok(docs)
}

/// Send a monthly list (لیست ماهانه); answered 202 at once and adjudicated in the background.
///
/// JSON `{"documents": [ClaimInput, ...]}` or CSV (`text/csv`, one row per line; header
/// provider_document_no, setting, kind, insured_national_code, prescription_tracking_code,
/// prescribed_on, physician_council_no, admitted_on, discharged_on, line_no, item_type, code,
/// quantity, service_date, billed_amount; consecutive rows of one document number form one
/// document). One bad document fails alone; a restart resumes unfinished lists.
#[utoipa::path(post, path = "/api/v1/claim-batches", tag = "claims", operation_id = "create_batch",
    request_body(content(
        (BatchBody = "application/json"),
        (String = "text/csv"),
    )),
    responses((status = 202, description = "Accepted; follow `Location`.", body = BatchView,
        headers(("Location" = String, description = "The list's address, `/api/v1/claim-batches/{id}`.")))))]
pub async fn create(
    state: web::Data<ServiceContext>,
    caller: Caller,
    req: HttpRequest,
    crate::api::RawBody(body): crate::api::RawBody,
) -> AppResult<HttpResponse> {
    if body.len() > state.config.max_json_bytes {
        return Err(AppError::PayloadTooLarge(format!(
            "the list is larger than {} bytes",
            state.config.max_json_bytes
        )));
    }
    let ct =
        req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let documents = if ct.starts_with("text/csv") {
        csv_documents(&body)?
    } else if ct.starts_with("application/json") {
        let v: Value = crate::api::parse_json(&body)?;
        match v.get("documents") {
            Some(Value::Array(docs)) => docs.clone(),
            _ => return Err(AppError::field("documents", "required", "must be an array of claim documents")),
        }
    } else {
        return Err(AppError::UnsupportedMediaType("send the list as application/json or text/csv".into()));
    };
    let view = service::create(&state, caller, documents).await?;
    Ok(HttpResponse::Accepted()
        .insert_header(("Location", format!("/api/v1/claim-batches/{}", view.id)))
        .json(view))
}

/// Progress and per-document results of a monthly list.
#[utoipa::path(get, path = "/api/v1/claim-batches/{id}", tag = "claims", operation_id = "get_batch", params(Id),
    responses((status = 200, description = "The list, with every document's result.", body = BatchView)))]
pub async fn get(
    state: web::Data<ServiceContext>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::get(&state, caller, id.into_inner().into()).await?))
}
