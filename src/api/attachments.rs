//! The electronic file: `/api/v1/claims/{id}/attachments`, and the documents of
//! pre-authorization requests and objections.

use actix_multipart::Multipart;
use actix_web::{web, HttpResponse};
use futures_util::TryStreamExt;

use crate::api::openapi::params::Id;
use crate::api::openapi::responses;
use crate::api::Page;
use crate::auth::Caller;
use crate::context::ServiceContext;
use crate::error::{AppError, AppResult};
use crate::services::attachments::{self as service, AttachmentView, CaseKind, Upload};

/// This module's part of the contract (see `api::openapi`): the documents of objections,
/// reimbursement requests, pre-authorization requests and claims, in the order of the routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list_objection,
    upload_objection,
    download_objection,
    list_reimbursement,
    upload_reimbursement,
    download_reimbursement,
    list_preauth,
    upload_preauth,
    download_preauth,
    list,
    upload,
    download
))]
pub struct Api;

// For the contract only: the form is read by `read_upload`.
/// An upload: a `multipart/form-data` form of exactly these two parts (serde's
/// `deny_unknown_fields` only writes `additionalProperties: false` into the contract).
#[derive(utoipa::ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct UploadForm {
    /// What the document is.
    #[schema(value_type = crate::domain::reimbursement::DocumentType)]
    document_type: String,
    /// The scan: a PDF, JPEG, PNG or TIFF (recognised by its first bytes, 415 otherwise), not
    /// empty, at most `ASNAD_MAX_ATTACHMENT_BYTES` (413 past it).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

// For the contract only: the bytes are sent by `document`.
/// A document's bytes, as stored.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct Document(Vec<u8>);

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

/// Every document of the file on one page: `next_cursor` is always null.
fn items(items: Vec<AttachmentView>) -> HttpResponse {
    HttpResponse::Ok().json(Page { items, next_cursor: None })
}

/// Attach a scanned document (PDF, JPEG, PNG, TIFF), stored once by SHA-256 and stamped «اسکن شد».
///
/// The same file on the same claim again answers 200 with the first record.
#[utoipa::path(post, path = "/api/v1/claims/{id}/attachments", tag = "attachments", params(Id),
    request_body(content_type = "multipart/form-data", content = UploadForm),
    responses((status = 200, description = "The same file was already attached; the first record.", body = AttachmentView),
        (status = 201, description = "Attached.", body = AttachmentView)))]
pub async fn upload(
    state: web::Data<ServiceContext>,
    caller: Caller,
    claim_id: web::Path<String>,
    form: Multipart,
) -> AppResult<HttpResponse> {
    let up = read_upload(form, state.config.max_attachment_bytes).await?;
    let (created, view) = service::attach(&state, caller, claim_id.into_inner().into(), up).await?;
    Ok(stored(created, view))
}

/// The claim's electronic file (پرونده الکترونیک).
#[utoipa::path(get, path = "/api/v1/claims/{id}/attachments", tag = "attachments", params(Id),
    responses((status = 200, description = "The attachments (all of them: `next_cursor` is null).", body = Page<AttachmentView>)))]
pub async fn list(
    state: web::Data<ServiceContext>,
    caller: Caller,
    claim_id: web::Path<String>,
) -> AppResult<HttpResponse> {
    Ok(items(service::list(&state, caller, claim_id.into_inner().into()).await?))
}

/// Download a document, byte for byte (ETag = its SHA-256).
#[utoipa::path(get, path = "/api/v1/claims/{id}/attachments/{attachment_id}", tag = "attachments",
    params(Id, ("attachment_id" = String, Path, description = "The attachment's id.")),
    responses((status = 200, description = "The document, as `Content-Disposition: attachment`.", content(
        (inline(Document) = "application/pdf"), (inline(Document) = "image/jpeg"), (inline(Document) = "image/png"),
        (inline(Document) = "image/tiff")))))]
pub async fn download(
    state: web::Data<ServiceContext>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (claim_id, id) = path.into_inner();
    let (row, bytes) = service::download(&state, caller, claim_id.into(), id.into()).await?;
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
    let (content_type, sha, bytes) =
        service::download_case(state, caller, kind, path.0, path.1.into()).await?;
    Ok(document(content_type, &sha, bytes))
}

/// The upload, list and download handlers of a case's documents (`/api/v1/<cases>/{id}/attachments`),
/// each with its doc comment and `#[utoipa::path]` given at the call.
macro_rules! case_handlers {
    (
        $kind:expr,
        $(#[$upload_meta:meta])* upload $upload:ident,
        $(#[$list_meta:meta])* list $list:ident,
        $(#[$download_meta:meta])* download $download:ident $(,)?
    ) => {
        $(#[$upload_meta])*
        pub async fn $upload(
            state: web::Data<ServiceContext>,
            caller: Caller,
            id: web::Path<String>,
            form: Multipart,
        ) -> AppResult<HttpResponse> {
            upload_case(&state, caller, $kind, id.into_inner(), form).await
        }

        $(#[$list_meta])*
        pub async fn $list(
            state: web::Data<ServiceContext>,
            caller: Caller,
            id: web::Path<String>,
        ) -> AppResult<HttpResponse> {
            Ok(items(service::list_case(&state, caller, $kind, id.into_inner()).await?))
        }

        $(#[$download_meta])*
        pub async fn $download(
            state: web::Data<ServiceContext>,
            caller: Caller,
            path: web::Path<(String, String)>,
        ) -> AppResult<HttpResponse> {
            download_case(&state, caller, $kind, path.into_inner()).await
        }
    };
}

case_handlers!(
    CaseKind::Preauthorization,
    /// Attach a scanned document to the pre-authorization request (stored once by SHA-256, stamped «اسکن شد»).
    ///
    /// The same file on the same request again answers 200 with the first record.
    #[utoipa::path(post, path = "/api/v1/preauthorizations/{id}/attachments", tag = "attachments", params(Id),
        request_body(content_type = "multipart/form-data", content = UploadForm),
        responses((status = 200, description = "The same file was already attached; the first record.", body = AttachmentView),
            (status = 201, description = "Attached.", body = AttachmentView)))]
    upload upload_preauth,
    /// The documents of the pre-authorization request.
    #[utoipa::path(get, path = "/api/v1/preauthorizations/{id}/attachments", tag = "attachments", params(Id),
        responses((status = 200, description = "The attachments (all of them: `next_cursor` is null).", body = Page<AttachmentView>)))]
    list list_preauth,
    /// Download a document of the pre-authorization request, byte for byte (ETag = its SHA-256).
    #[utoipa::path(get, path = "/api/v1/preauthorizations/{id}/attachments/{attachment_id}", tag = "attachments",
        params(Id, ("attachment_id" = String, Path, description = "The attachment's id.")),
        responses((status = 200, description = "The document, as `Content-Disposition: attachment`.", content(
            (inline(Document) = "application/pdf"), (inline(Document) = "image/jpeg"), (inline(Document) = "image/png"),
        (inline(Document) = "image/tiff")))))]
    download download_preauth,
);
case_handlers!(
    CaseKind::Objection,
    /// Attach a scanned document to the objection (stored once by SHA-256, stamped «اسکن شد»).
    ///
    /// The same file on the same objection again answers 200 with the first record.
    #[utoipa::path(post, path = "/api/v1/objections/{id}/attachments", tag = "attachments", params(Id),
        request_body(content_type = "multipart/form-data", content = UploadForm),
        responses((status = 200, description = "The same file was already attached; the first record.", body = AttachmentView),
            (status = 201, description = "Attached.", body = AttachmentView)))]
    upload upload_objection,
    /// The documents of the objection.
    #[utoipa::path(get, path = "/api/v1/objections/{id}/attachments", tag = "attachments", params(Id),
        responses((status = 200, description = "The attachments (all of them: `next_cursor` is null).", body = Page<AttachmentView>)))]
    list list_objection,
    /// Download a document of the objection, byte for byte (ETag = its SHA-256).
    #[utoipa::path(get, path = "/api/v1/objections/{id}/attachments/{attachment_id}", tag = "attachments",
        params(Id, ("attachment_id" = String, Path, description = "The attachment's id.")),
        responses((status = 200, description = "The document, as `Content-Disposition: attachment`.", content(
            (inline(Document) = "application/pdf"), (inline(Document) = "image/jpeg"), (inline(Document) = "image/png"),
        (inline(Document) = "image/tiff")))))]
    download download_objection,
);
case_handlers!(
    CaseKind::Reimbursement,
    /// Attach a scanned document to the reimbursement request (stored once by SHA-256, stamped «اسکن شد»).
    ///
    /// The insured person who filed it or a clerk of the office adds documents, while it is a
    /// draft or in review (409 once decided). The same file on the same request again answers
    /// 200 with the first record.
    #[utoipa::path(post, path = "/api/v1/reimbursements/{id}/attachments", tag = "attachments", params(Id),
        request_body(content_type = "multipart/form-data", content = UploadForm),
        responses((status = 200, description = "The same file was already attached; the first record.", body = AttachmentView),
            (status = 201, description = "Attached.", body = AttachmentView),
            (status = 409, response = responses::Conflict)))]
    upload upload_reimbursement,
    /// The documents of the reimbursement request.
    #[utoipa::path(get, path = "/api/v1/reimbursements/{id}/attachments", tag = "attachments", params(Id),
        responses((status = 200, description = "The attachments (all of them: `next_cursor` is null).", body = Page<AttachmentView>)))]
    list list_reimbursement,
    /// Download a document of the reimbursement request, byte for byte (ETag = its SHA-256).
    #[utoipa::path(get, path = "/api/v1/reimbursements/{id}/attachments/{attachment_id}", tag = "attachments",
        params(Id, ("attachment_id" = String, Path, description = "The attachment's id.")),
        responses((status = 200, description = "The document, as `Content-Disposition: attachment`.", content(
            (inline(Document) = "application/pdf"), (inline(Document) = "image/jpeg"), (inline(Document) = "image/png"),
        (inline(Document) = "image/tiff")))))]
    download download_reimbursement,
);
