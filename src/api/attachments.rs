//! The electronic file: `/api/v1/claims/{id}/attachments`, and the documents of
//! pre-authorization requests and objections.

use actix_multipart::Multipart;
use actix_web::{web, HttpResponse};
use futures_util::TryStreamExt;

use crate::auth::Caller;
use crate::context::ServiceContext;
use crate::error::{AppError, AppResult};
use crate::services::attachments::{self as service, AttachmentView, CaseKind, Upload};

/// Reads a `multipart/form-data` upload: a `document_type` text field and a `file` field, the
/// file at most `limit` bytes (413 past it, without reading the rest).
/// A form that cannot be read: 408 when it stopped arriving, 400 otherwise.
fn multipart_error(e: actix_multipart::MultipartError) -> AppError {
    match &e {
        actix_multipart::MultipartError::Payload(p) if crate::api::body_guard::payload_timed_out(p) => {
            crate::api::body_guard::timeout_error()
        }
        _ => AppError::bad_request("invalid_multipart", format!("unreadable form: {e}")),
    }
}

/// The client's file name, kept for the record only (never used as a path or a header): control
/// characters dropped, at most 255 characters.
fn clean_file_name(name: &str) -> Option<String> {
    let clean: String = name.chars().filter(|c| !c.is_control()).take(255).collect();
    let clean = clean.trim().to_string();
    (!clean.is_empty()).then_some(clean)
}

async fn read_upload(mut form: Multipart, limit: usize) -> AppResult<Upload> {
    let mut document_type: Option<String> = None;
    let mut file: Option<(Option<String>, Vec<u8>)> = None;
    while let Some(mut field) = form.try_next().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or("").to_string();
        let filename = field.content_disposition().and_then(|cd| cd.get_filename().and_then(clean_file_name));
        let mut buf = Vec::new();
        while let Some(chunk) = field.try_next().await.map_err(multipart_error)? {
            if buf.len() + chunk.len() > limit {
                return Err(AppError::PayloadTooLarge(format!("a document may be at most {limit} bytes")));
            }
            buf.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "document_type" => document_type = Some(String::from_utf8_lossy(&buf).trim().to_string()),
            "file" => file = Some((filename, buf)),
            other => {
                return Err(AppError::field(other, "unknown_field", "expected only document_type and file"))
            }
        }
    }
    let document_type =
        document_type.ok_or_else(|| AppError::field("document_type", "required", "is required"))?;
    let (original_name, bytes) = file.ok_or_else(|| AppError::field("file", "required", "is required"))?;
    Ok(Upload { document_type, original_name, bytes })
}

fn stored(created: bool, view: AttachmentView) -> HttpResponse {
    if created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    }
}

/// A stored document, served as a download: its type as recognised at upload, never sniffed by
/// the browser (`nosniff`), and a file name made only of the content hash and the type's
/// extension — the client's own name never reaches a header.
fn document(content_type: String, sha256: &str, bytes: Vec<u8>) -> HttpResponse {
    let extension = match content_type.as_str() {
        "application/pdf" => "pdf",
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/tiff" => "tif",
        _ => "bin",
    };
    let name: String = sha256.chars().filter(|c| c.is_ascii_hexdigit()).take(16).collect();
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{name}.{extension}\"")))
        .insert_header(("ETag", format!("\"{sha256}\"")))
        .insert_header(("Cache-Control", "private, max-age=31536000, immutable"))
        .body(bytes)
}

fn items(items: Vec<AttachmentView>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "items": items, "next_cursor": null }))
}

/// `POST /api/v1/claims/{id}/attachments`.
pub async fn upload(
    state: web::Data<ServiceContext>,
    caller: Caller,
    claim_id: web::Path<String>,
    form: Multipart,
) -> AppResult<HttpResponse> {
    let up = read_upload(form, state.config.max_attachment_bytes).await?;
    let (created, view) = service::attach(&state, caller, claim_id.into_inner(), up).await?;
    Ok(stored(created, view))
}

pub async fn list(
    state: web::Data<ServiceContext>,
    caller: Caller,
    claim_id: web::Path<String>,
) -> AppResult<HttpResponse> {
    Ok(items(service::list(&state, caller, claim_id.into_inner()).await?))
}

pub async fn download(
    state: web::Data<ServiceContext>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (claim_id, id) = path.into_inner();
    let (row, bytes) = service::download(&state, caller, claim_id, id).await?;
    Ok(document(row.content_type, &row.sha256, bytes))
}

async fn upload_case(
    state: &ServiceContext,
    caller: Caller,
    kind: CaseKind,
    id: String,
    form: Multipart,
) -> AppResult<HttpResponse> {
    let up = read_upload(form, state.config.max_attachment_bytes).await?;
    let (created, view) = service::attach_to_case(state, caller, kind, id, up).await?;
    Ok(stored(created, view))
}

async fn download_case(
    state: &ServiceContext,
    caller: Caller,
    kind: CaseKind,
    path: (String, String),
) -> AppResult<HttpResponse> {
    let (content_type, sha, bytes) = service::download_case(state, caller, kind, path.0, path.1).await?;
    Ok(document(content_type, &sha, bytes))
}

/// The upload, list and download handlers of a case's documents (`/api/v1/<cases>/{id}/attachments`).
macro_rules! case_handlers {
    ($kind:expr, $upload:ident, $list:ident, $download:ident) => {
        pub async fn $upload(
            state: web::Data<ServiceContext>,
            caller: Caller,
            id: web::Path<String>,
            form: Multipart,
        ) -> AppResult<HttpResponse> {
            upload_case(&state, caller, $kind, id.into_inner(), form).await
        }

        pub async fn $list(
            state: web::Data<ServiceContext>,
            caller: Caller,
            id: web::Path<String>,
        ) -> AppResult<HttpResponse> {
            Ok(items(service::list_case(&state, caller, $kind, id.into_inner()).await?))
        }

        pub async fn $download(
            state: web::Data<ServiceContext>,
            caller: Caller,
            path: web::Path<(String, String)>,
        ) -> AppResult<HttpResponse> {
            download_case(&state, caller, $kind, path.into_inner()).await
        }
    };
}

case_handlers!(CaseKind::Preauthorization, upload_preauth, list_preauth, download_preauth);
case_handlers!(CaseKind::Objection, upload_objection, list_objection, download_objection);
case_handlers!(CaseKind::Reimbursement, upload_reimbursement, list_reimbursement, download_reimbursement);
