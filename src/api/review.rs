//! `/api/v1/review/...`, objections and the audit trail: thin handlers over
//! `services::review`.

use crate::domain::record_ids::ProviderId;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::api::openapi::params::Id;
use crate::api::openapi::responses;
use crate::api::ApiJson;
use crate::auth::{Admins, Caller, Require, Reviewers, Role, Supervisors};
use crate::context::ServiceContext;
use crate::domain::review::LineDecision;
use crate::error::{AppError, AppResult};
use crate::services::claims::ClaimView;
use crate::services::review::{
    self as service, DecisionInput, DecisionOutcome, HistoryEntry, ObjectionInput, ObjectionView, QueueItem,
};
use crate::services::sampling::SampleView;
use crate::store::audit::Verification;
use crate::store::review::{QueueFilter, QueueSort};

/// This module's part of the contract (see `api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        history,
        objections,
        object,
        queue,
        take,
        release,
        assign,
        decide,
        create_sample,
        get_sample,
        extrapolate_sample,
        close_sample,
        approve,
        return_decision,
        decide_objection,
        verify_audit
    ),
    components(schemas(QueueSort))
)]
pub struct Api;

/// `GET /api/v1/review/queue`: `{ "items": [...] }` (paged by `offset`, no cursor).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReviewQueue {
    pub items: Vec<QueueItem>,
}

/// `GET /api/v1/claims/{id}/objections`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ClaimObjections {
    pub items: Vec<ObjectionView>,
}

/// `GET /api/v1/claims/{id}/history`: events, oldest first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ClaimHistory {
    pub items: Vec<HistoryEntry>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    /// Only this provider's claims (404 for a provider the caller does not see).
    pub provider_id: Option<ProviderId>,
    /// Only claims of this kind (`visit`, `pharmacy`, …; not checked: another text finds none).
    pub kind: Option<String>,
    /// Only claims billed at least this much (rials).
    pub min_amount: Option<i64>,
    /// Only claims billed at most this much (rials).
    pub max_amount: Option<i64>,
    /// Only claims with a line pended or deducted for this reason code.
    pub reason: Option<String>,
    /// Only claims received at least this many days ago.
    #[param(minimum = 0, maximum = 3650)]
    pub min_age_days: Option<i64>,
    /// `true`: only claims nobody has taken; `false`: only taken ones.
    pub unassigned: Option<bool>,
    /// `oldest` (the default), `newest`, `amount_desc` or `amount_asc`.
    #[param(value_type = Option<QueueSort>)]
    pub sort: Option<String>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Claims to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// The office's pended claims (and those awaiting a supervisor).
#[utoipa::path(get, path = "/api/v1/review/queue", tag = "review", params(QueueQuery),
    responses((status = 200, description = "The queue.", body = ReviewQueue),
        (status = 404, response = responses::NotFound)))]
pub async fn queue(
    state: web::Data<ServiceContext>,
    caller: Require<Reviewers>,
    q: web::Query<QueueQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let sort = match q.sort.as_deref() {
        None | Some("oldest") => QueueSort::Oldest,
        Some("newest") => QueueSort::Newest,
        Some("amount_desc") => QueueSort::AmountDesc,
        Some("amount_asc") => QueueSort::AmountAsc,
        Some(_) => {
            return Err(AppError::field(
                "sort",
                "one_of",
                "must be oldest, newest, amount_desc or amount_asc",
            ))
        }
    };
    if q.min_age_days.is_some_and(|d| !(0..=3650).contains(&d)) {
        return Err(AppError::field("min_age_days", "range", "must be between 0 and 3650"));
    }
    if q.offset.is_some_and(|o| o < 0) {
        return Err(AppError::field("offset", "range", "must not be negative"));
    }
    let filter = QueueFilter {
        office_id: None,
        provider_id: q.provider_id,
        kind: q.kind,
        min_billed: q.min_amount,
        max_billed: q.max_amount,
        reason: q.reason,
        received_before: q.min_age_days.map(|d| service::received_before(state.now(), d)),
        unassigned: q.unassigned,
        assigned_to: None,
        sort,
        limit: crate::api::page_limit(q.limit)?,
        offset: q.offset.unwrap_or(0),
    };
    let items = service::queue(&state, caller.caller, filter).await?;
    Ok(HttpResponse::Ok().json(ReviewQueue { items }))
}

/// Take a pended claim so that no other reviewer works it (409 if someone has it).
#[utoipa::path(post, path = "/api/v1/review/claims/{id}/take", tag = "review", params(Id),
    responses((status = 200, description = "The claim, now held by the caller.", body = ClaimView),
        (status = 409, response = responses::Conflict)))]
pub async fn take(
    state: web::Data<ServiceContext>,
    caller: Require<Reviewers>,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::take(&state, caller.caller, id.into_inner().into()).await?))
}

/// Give the claim back to the queue (its holder or a supervisor).
#[utoipa::path(post, path = "/api/v1/review/claims/{id}/release", tag = "review", params(Id),
    responses((status = 204, description = "Released (also when nobody held it)."),
        (status = 409, response = responses::Conflict)))]
pub async fn release(
    state: web::Data<ServiceContext>,
    caller: Require<Reviewers>,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    service::release(&state, caller.caller, id.into_inner().into()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Whom a supervisor gives the claim to.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[schema(as = AssignmentInput)]
#[serde(deny_unknown_fields)]
pub struct AssignmentBody {
    /// The user id of an active reviewer or supervisor of the supervisor's office.
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub reviewer_id: String,
}

/// A supervisor assigns a pended claim of the office to a reviewer (ارجاع پرونده).
///
/// The reviewer then holds the claim as if they had taken it. A claim someone else holds is
/// re-assigned (the audit trail records the previous holder). A reviewer who is not an active
/// reviewer or supervisor of the office is 422 naming `reviewer_id`; a claim that no longer
/// waits for review is 409.
#[utoipa::path(post, path = "/api/v1/review/claims/{id}/assignment", tag = "review", params(Id),
    request_body = AssignmentBody,
    responses((status = 200, description = "The claim, now held by the reviewer.", body = ClaimView),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict)))]
pub async fn assign(
    state: web::Data<ServiceContext>,
    caller: Require<Supervisors>,
    id: web::Path<String>,
    body: ApiJson<AssignmentBody>,
) -> AppResult<HttpResponse> {
    let out =
        service::assign(&state, caller.caller, id.into_inner().into(), body.0.reviewer_id.into()).await?;
    Ok(HttpResponse::Ok().json(out))
}

/// A reviewer's decision on a claim or on an objection's lines.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[schema(as = DecisionInput)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    #[validate(length(min = 1, max = 500))]
    #[schema(min_items = 1, max_items = 500)]
    pub lines: Vec<LineDecision>,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// Decide the claim line by line; above the four-eyes threshold it waits for a supervisor (202).
///
/// The reviewer must hold the claim (`take`, 409 otherwise); pended lines the decision does
/// not name are accepted as the engine priced them.
#[utoipa::path(post, path = "/api/v1/review/claims/{id}/decision", tag = "review", params(Id),
    request_body = DecisionBody,
    responses((status = 200, description = "Applied.", body = DecisionOutcome),
        (status = 202, description = "Waiting for a supervisor's approval.", body = DecisionOutcome),
        (status = 409, response = responses::Conflict)))]
pub async fn decide(
    state: web::Data<ServiceContext>,
    caller: Require<Reviewers>,
    id: web::Path<String>,
    body: ApiJson<DecisionBody>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    let out = service::decide(
        &state,
        caller.caller,
        id.into_inner().into(),
        DecisionInput { lines: b.lines, note: b.note },
    )
    .await?;
    Ok(decision_response(out))
}

/// 200 when the decision was applied, 202 when it waits for a supervisor.
fn decision_response(out: service::DecisionOutcome) -> HttpResponse {
    let status = if out.status == crate::domain::lifecycle::review::DecisionStatus::AwaitingApproval {
        actix_web::http::StatusCode::ACCEPTED
    } else {
        actix_web::http::StatusCode::OK
    };
    HttpResponse::build(status).json(out)
}

/// A supervisor other than its author approves a decision; it is applied.
#[utoipa::path(post, path = "/api/v1/review/decisions/{id}/approve", tag = "review", params(Id),
    responses((status = 200, description = "Applied.", body = DecisionOutcome),
        (status = 409, response = responses::Conflict)))]
pub async fn approve(
    state: web::Data<ServiceContext>,
    caller: Require<Supervisors>,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(service::review_decision(&state, caller.caller, id.into_inner().into(), true, None).await?))
}

/// A supervisor returns a decision to its reviewer; nothing is applied.
#[utoipa::path(post, path = "/api/v1/review/decisions/{id}/return", tag = "review", params(Id),
    responses((status = 200, description = "Returned.", body = DecisionOutcome),
        (status = 409, response = responses::Conflict)))]
pub async fn return_decision(
    state: web::Data<ServiceContext>,
    caller: Require<Supervisors>,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(service::review_decision(&state, caller.caller, id.into_inner().into(), false, None).await?))
}

/// A provider's objection to deductions.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[schema(as = ObjectionInput)]
#[serde(deny_unknown_fields)]
pub struct ObjectionBody {
    #[validate(length(min = 3, max = 4000))]
    #[schema(min_length = 3, max_length = 4000)]
    pub reason: String,
    /// The claim's lines objected to; each must have a deduction.
    #[validate(length(min = 1, max = 500))]
    #[schema(min_items = 1, max_items = 500)]
    pub line_nos: Vec<u32>,
}

/// The provider objects to deductions (اعتراض به کسورات) within the contract's working-day window.
///
/// Only the claim's provider objects, once the claim is decided, and one objection at a time.
/// After the window (the contract's working days from the decision, 10 by default) the answer
/// is 422 naming `claim_id`.
#[utoipa::path(post, path = "/api/v1/claims/{id}/objections", tag = "review", params(Id),
    request_body = ObjectionBody,
    responses((status = 201, description = "Filed.", body = ObjectionView),
        (status = 409, response = responses::Conflict)))]
pub async fn object(
    state: web::Data<ServiceContext>,
    caller: Caller,
    id: web::Path<String>,
    body: ApiJson<ObjectionBody>,
) -> AppResult<HttpResponse> {
    if caller.role != Role::Provider {
        return Err(AppError::forbidden("objections are filed by the claim's provider"));
    }
    let b = body.0;
    let out = service::object(
        &state,
        caller,
        id.into_inner().into(),
        ObjectionInput { reason: b.reason, line_nos: b.line_nos },
    )
    .await?;
    Ok(HttpResponse::Created().json(out))
}

/// Objections to the claim's deductions.
#[utoipa::path(get, path = "/api/v1/claims/{id}/objections", tag = "review", params(Id),
    responses((status = 200, description = "The objections.", body = ClaimObjections)))]
pub async fn objections(
    state: web::Data<ServiceContext>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let items = service::claim_objections(&state, caller, id.into_inner().into()).await?;
    Ok(HttpResponse::Ok().json(ClaimObjections { items }))
}

/// A reviewer other than the claim's decides the objected lines.
///
/// Only the objected lines may be named; above the four-eyes threshold the decision waits for
/// a supervisor (202).
#[utoipa::path(post, path = "/api/v1/objections/{id}/decision", tag = "review", params(Id),
    request_body = DecisionBody,
    responses((status = 200, description = "Applied.", body = DecisionOutcome),
        (status = 202, description = "Waiting for a supervisor's approval.", body = DecisionOutcome),
        (status = 409, response = responses::Conflict)))]
pub async fn decide_objection(
    state: web::Data<ServiceContext>,
    caller: Require<Reviewers>,
    id: web::Path<String>,
    body: ApiJson<DecisionBody>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    let out = service::decide_objection(
        &state,
        caller.caller,
        id.into_inner().into(),
        DecisionInput { lines: b.lines, note: b.note },
    )
    .await?;
    Ok(decision_response(out))
}

/// The claim's story from the audit trail (its decisions and objections included).
#[utoipa::path(get, path = "/api/v1/claims/{id}/history", tag = "review", params(Id),
    responses((status = 200, description = "Events, oldest first.", body = ClaimHistory)))]
pub async fn history(
    state: web::Data<ServiceContext>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let items = service::history(&state, caller, id.into_inner().into()).await?;
    Ok(HttpResponse::Ok().json(ClaimHistory { items }))
}

/// Verify the audit trail (admin).
///
/// Walks every event in seq order — rows below 1 and, on SQLite, seqs that are not integers
/// included — recomputing each SHA-256 hash and checking each event's HMAC under the server's
/// audit key, then compares the chain's end with its head row and with the authenticated
/// checkpoints of the server's checkpoint log. Reports the first break. The answer is 200
/// whether or not the trail is intact.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit",
    responses((status = 200, description = "The verification.", body = Verification)))]
pub async fn verify_audit(
    state: web::Data<ServiceContext>,
    _admin: Require<Admins>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(crate::services::audit::verify(&state).await?))
}

/// What to sample: `random` needs `percent` (and no `above_amount`), `above_amount` needs
/// `above_amount` (and no `percent`), `all` takes neither.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[schema(as = SampleInput)]
#[serde(deny_unknown_fields)]
pub struct SampleBody {
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub provider_id: String,
    /// Jalali `YYYY-MM`.
    #[schema(pattern = "^1[34][0-9]{2}-(0[1-9]|1[0-2])$")]
    pub service_month: String,
    pub method: crate::services::sampling::Method,
    /// `random`: the percentage to draw, more than 0 and at most 100.
    #[serde(default, deserialize_with = "crate::domain::money::plain_decimal::optional")]
    #[schema(schema_with = crate::domain::money::plain_decimal::schema::decimal_or_null)]
    pub percent: Option<rust_decimal::Decimal>,
    /// `above_amount`: the least payable (rials) of the claims drawn.
    #[schema(minimum = 0)]
    pub above_amount: Option<i64>,
}

/// A supervisor samples a provider's decided claims of a month for review (random %, above an amount, or all).
///
/// Only the provider's decided claims of the month that no other sample holds are drawn from
/// (422 naming `service_month` when there are none); a provider outside the supervisor's
/// office is 404.
#[utoipa::path(post, path = "/api/v1/review/samples", tag = "review", request_body = SampleBody,
    responses((status = 201, description = "Drawn; the selected claims are back in the review queue.", body = SampleView),
        (status = 404, response = responses::NotFound)))]
pub async fn create_sample(
    state: web::Data<ServiceContext>,
    caller: Require<Supervisors>,
    body: ApiJson<SampleBody>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    let new = crate::services::sampling::NewSample {
        provider_id: b.provider_id.into(),
        service_month: b.service_month,
        method: b.method,
        percent: b.percent,
        above_amount: b.above_amount,
    };
    Ok(HttpResponse::Created().json(crate::services::sampling::create(&state, caller.caller, new).await?))
}

/// A sample, its claims and the rate its reviewed claims show so far.
#[utoipa::path(get, path = "/api/v1/review/samples/{id}", tag = "review", params(Id),
    responses((status = 200, description = "The sample.", body = SampleView)))]
pub async fn get_sample(
    state: web::Data<ServiceContext>,
    caller: Require<Reviewers>,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(crate::services::sampling::get(&state, caller.caller, id.into_inner().into()).await?))
}

/// Apply the reviewed random sample's deduction rate to the claims not selected (R92 on each line).
///
/// Only a random sample, and only once every selected claim is decided (409 otherwise).
#[utoipa::path(post, path = "/api/v1/review/samples/{id}/extrapolate", tag = "review", params(Id),
    responses((status = 200, description = "Extrapolated.", body = SampleView),
        (status = 409, response = responses::Conflict)))]
pub async fn extrapolate_sample(
    state: web::Data<ServiceContext>,
    caller: Require<Supervisors>,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let out = crate::services::sampling::close(&state, caller.caller, id.into_inner().into(), true).await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Close the sample without extrapolating.
#[utoipa::path(post, path = "/api/v1/review/samples/{id}/close", tag = "review", params(Id),
    responses((status = 200, description = "Closed.", body = SampleView),
        (status = 409, response = responses::Conflict)))]
pub async fn close_sample(
    state: web::Data<ServiceContext>,
    caller: Require<Supervisors>,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let out = crate::services::sampling::close(&state, caller.caller, id.into_inner().into(), false).await?;
    Ok(HttpResponse::Ok().json(out))
}
