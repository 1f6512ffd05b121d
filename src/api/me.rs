//! `/api/v1/me/…`: the insured person's own view (درگاه بیمه‌شده) — the claims billed in their
//! name and their dependants', and "I did not receive this service". Only an insured person's
//! login reads it (403 for every other role: staff and providers read `/api/v1/claims`).

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;
use validator::Validate;

use crate::api::openapi::params::Id;
use crate::api::{page_limit, ApiJson, Page};
use crate::auth::Caller;
use crate::context::ServiceContext;
use crate::error::AppResult;
use crate::services::portal::{self as service, FlagInput, FlagView, MyClaim, PageAt};

/// This module's part of the contract (see `api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(my_claims, my_claim, not_received, resolve_not_received))]
pub struct Api;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MyClaimsQuery {
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The claims providers billed in the caller's name and in their dependants' (a dependant sees
/// their own only), newest received first, line by line: billed, what the Organization paid,
/// what the insured paid (franchise, gap, deductions of the PR group such as R20) and why.
#[utoipa::path(get, path = "/api/v1/me/claims", tag = "me", params(MyClaimsQuery),
    responses((status = 200, description = "A page of the family's claims.", body = Page<MyClaim>)))]
pub async fn my_claims(
    state: web::Data<ServiceContext>,
    caller: Caller,
    q: web::Query<MyClaimsQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let limit = page_limit(q.limit)?;
    let page =
        service::my_claims(&state, caller, PageAt { before: q.cursor.map(Into::into), offset: 0, limit })
            .await?;
    let next_cursor =
        if page.items.len() as i64 == limit { page.items.last().map(|c| c.id.to_string()) } else { None };
    Ok(HttpResponse::Ok().json(Page { items: page.items, next_cursor }))
}

/// One claim of the caller's family; another person's is 404.
#[utoipa::path(get, path = "/api/v1/me/claims/{id}", tag = "me", params(Id),
    responses((status = 200, description = "The claim.", body = MyClaim)))]
pub async fn my_claim(
    state: web::Data<ServiceContext>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::my_claim_by_id(&state, caller, id.into_inner().into()).await?))
}

/// "I did not receive this service" (این خدمت را دریافت نکرده‌ام).
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotReceivedBody {
    /// The line; omit it (or null) for the whole document.
    #[validate(range(min = 1))]
    pub line_no: Option<i32>,
    /// A short note in the insured's words, at most 500 characters.
    #[validate(length(max = 500))]
    #[serde(default)]
    pub note: String,
}

/// Reports a line or the whole document as not received. The claim goes into its office's
/// review queue flagged (reason R93) — not decided: its status and amounts do not change — and
/// the office is notified. Idempotent: the same claim and line (or the whole document) again is
/// the same flag, answered 200 with the first one (its note kept); a new flag is 201.
#[utoipa::path(post, path = "/api/v1/me/claims/{id}/not-received", tag = "me", params(Id),
    request_body = NotReceivedBody,
    responses((status = 201, description = "Flagged.", body = FlagView),
        (status = 200, description = "Already flagged; the first flag.", body = FlagView)))]
pub async fn not_received(
    state: web::Data<ServiceContext>,
    caller: Caller,
    id: web::Path<String>,
    body: ApiJson<NotReceivedBody>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    let done = service::flag_not_received(
        &state,
        caller,
        id.into_inner().into(),
        FlagInput { line_no: b.line_no, note: b.note },
    )
    .await?;
    Ok(if done.created {
        HttpResponse::Created().json(done.flag)
    } else {
        HttpResponse::Ok().json(done.flag)
    })
}

/// A reviewer's note on the insured's reports.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveBody {
    /// What the office found, at most 500 characters.
    #[validate(length(max = 500))]
    #[serde(default)]
    pub note: String,
}

/// The office has looked into the insured's "not received" reports on a claim (reviewers and
/// supervisors of its office): the open reports are resolved and the claim leaves the queue
/// unless it waits for another reason. The finding itself is a decision on the claim (R93 on a
/// line), not this. 409 when no report is open.
#[utoipa::path(post, path = "/api/v1/review/claims/{id}/not-received/resolve", tag = "review", params(Id),
    request_body = ResolveBody,
    responses((status = 200, description = "The claim's reports, now resolved.", body = Vec<FlagView>),
        (status = 409, response = crate::api::openapi::responses::Conflict)))]
pub async fn resolve_not_received(
    state: web::Data<ServiceContext>,
    caller: Caller,
    id: web::Path<String>,
    body: ApiJson<ResolveBody>,
) -> AppResult<HttpResponse> {
    let flags = service::resolve_flags(&state, caller, id.into_inner().into(), body.0.note).await?;
    Ok(HttpResponse::Ok().json(flags))
}
