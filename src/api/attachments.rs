//! `/api/v1/claims/{id}/attachments`: the claim's electronic file.

use actix_multipart::Multipart;
use actix_web::{web, HttpResponse};
use futures_util::TryStreamExt;

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::services::attachments as service;

/// `multipart/form-data` with a `document_type` text field and a `file` field.
pub async fn upload(
    state: web::Data<AppState>,
    caller: Caller,
    claim_id: web::Path<String>,
    mut form: Multipart,
) -> AppResult<HttpResponse> {
    let limit = state.config.max_attachment_bytes;
    let mut document_type: Option<String> = None;
    let mut file: Option<(Option<String>, Vec<u8>)> = None;
    while let Some(mut field) = form
        .try_next()
        .await
        .map_err(|e| AppError::bad_request("invalid_multipart", format!("unreadable form: {e}")))?
    {
        let name = field.name().unwrap_or("").to_string();
        let filename = field.content_disposition().and_then(|cd| cd.get_filename().map(String::from));
        let mut buf = Vec::new();
        while let Some(chunk) = field
            .try_next()
            .await
            .map_err(|e| AppError::bad_request("invalid_multipart", format!("unreadable form: {e}")))?
        {
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
    let (name, bytes) = file.ok_or_else(|| AppError::field("file", "required", "is required"))?;
    let (created, view) =
        service::attach(&state, caller, claim_id.into_inner(), document_type, name, bytes).await?;
    Ok(if created { HttpResponse::Created().json(view) } else { HttpResponse::Ok().json(view) })
}

pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    claim_id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let items = service::list(&state, caller, claim_id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items, "next_cursor": null })))
}

pub async fn download(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (claim_id, id) = path.into_inner();
    let (row, bytes) = service::download(&state, caller, claim_id, id).await?;
    Ok(HttpResponse::Ok()
        .content_type(row.content_type)
        .insert_header(("ETag", format!("\"{}\"", row.sha256)))
        .insert_header(("Cache-Control", "private, max-age=31536000, immutable"))
        .body(bytes))
}
