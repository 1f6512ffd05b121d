//! `/api/v1/review/...`, objections and the audit trail: thin handlers over
//! `services::review`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use validator::Validate;

use crate::api::ApiJson;
use crate::auth::{Admins, Caller, Require, Reviewers, Role, Supervisors};
use crate::context::ServiceContext;
use crate::domain::review::LineDecision;
use crate::error::{AppError, AppResult};
use crate::services::review::{self as service, DecisionInput, ObjectionInput};
use crate::store::review::{QueueFilter, QueueSort};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    pub provider_id: Option<String>,
    pub kind: Option<String>,
    pub min_amount: Option<i64>,
    pub max_amount: Option<i64>,
    pub reason: Option<String>,
    /// Only claims received at least this many days ago.
    pub min_age_days: Option<i64>,
    pub unassigned: Option<bool>,
    /// oldest (default), newest, amount_desc, amount_asc.
    pub sort: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

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
        office_id: String::new(),
        provider_id: q.provider_id,
        kind: q.kind,
        min_billed: q.min_amount,
        max_billed: q.max_amount,
        reason: q.reason,
        received_before: q.min_age_days.map(|d| service::received_before(state.now(), d)),
        unassigned: q.unassigned,
        sort,
        limit: crate::api::page_limit(q.limit)?,
        offset: q.offset.unwrap_or(0),
    };
    let items = service::queue(&state, caller.caller, filter).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

pub async fn take(
    state: web::Data<ServiceContext>,
    caller: Require<Reviewers>,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::take(&state, caller.caller, id.into_inner()).await?))
}

pub async fn release(
    state: web::Data<ServiceContext>,
    caller: Require<Reviewers>,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    service::release(&state, caller.caller, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    #[validate(length(min = 1, max = 500))]
    pub lines: Vec<LineDecision>,
    #[validate(length(max = 2000))]
    pub note: Option<String>,
}

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
        id.into_inner(),
        DecisionInput { lines: b.lines, note: b.note },
    )
    .await?;
    Ok(decision_response(out))
}

/// 200 when the decision was applied, 202 when it waits for a supervisor.
fn decision_response(out: service::DecisionOutcome) -> HttpResponse {
    let status = if out.status == "awaiting_approval" {
        actix_web::http::StatusCode::ACCEPTED
    } else {
        actix_web::http::StatusCode::OK
    };
    HttpResponse::build(status).json(out)
}

pub async fn approve(
    state: web::Data<ServiceContext>,
    caller: Require<Supervisors>,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::review_decision(&state, caller.caller, id.into_inner(), true).await?))
}

pub async fn return_decision(
    state: web::Data<ServiceContext>,
    caller: Require<Supervisors>,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(service::review_decision(&state, caller.caller, id.into_inner(), false).await?))
}

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct ObjectionBody {
    #[validate(length(min = 3, max = 4000))]
    pub reason: String,
    #[validate(length(min = 1, max = 500))]
    pub line_nos: Vec<u32>,
}

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
        id.into_inner(),
        ObjectionInput { reason: b.reason, line_nos: b.line_nos },
    )
    .await?;
    Ok(HttpResponse::Created().json(out))
}

pub async fn objections(
    state: web::Data<ServiceContext>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let items = service::claim_objections(&state, caller, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

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
        id.into_inner(),
        DecisionInput { lines: b.lines, note: b.note },
    )
    .await?;
    Ok(decision_response(out))
}

pub async fn history(
    state: web::Data<ServiceContext>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let items = service::history(&state, caller, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

pub async fn verify_audit(
    state: web::Data<ServiceContext>,
    _admin: Require<Admins>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(crate::services::audit::verify(&state).await?))
}

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct SampleBody {
    #[validate(length(min = 1, max = 64))]
    pub provider_id: String,
    /// Jalali `YYYY-MM`.
    pub service_month: String,
    pub method: crate::services::sampling::Method,
    #[serde(default, deserialize_with = "crate::domain::money::plain_decimal::optional")]
    pub percent: Option<rust_decimal::Decimal>,
    pub above_amount: Option<i64>,
}

/// `POST /api/v1/review/samples`: a supervisor draws a sample for review.
pub async fn create_sample(
    state: web::Data<ServiceContext>,
    caller: Require<Supervisors>,
    body: ApiJson<SampleBody>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    let new = crate::services::sampling::NewSample {
        provider_id: b.provider_id,
        service_month: b.service_month,
        method: b.method,
        percent: b.percent,
        above_amount: b.above_amount,
    };
    Ok(HttpResponse::Created().json(crate::services::sampling::create(&state, caller.caller, new).await?))
}

pub async fn get_sample(
    state: web::Data<ServiceContext>,
    caller: Require<Reviewers>,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(crate::services::sampling::get(&state, caller.caller, id.into_inner()).await?))
}

/// Applies the reviewed sample's rate to the rest of the provider's month (R92).
pub async fn extrapolate_sample(
    state: web::Data<ServiceContext>,
    caller: Require<Supervisors>,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let out = crate::services::sampling::close(&state, caller.caller, id.into_inner(), true).await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Closes the sample without extrapolating.
pub async fn close_sample(
    state: web::Data<ServiceContext>,
    caller: Require<Supervisors>,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let out = crate::services::sampling::close(&state, caller.caller, id.into_inner(), false).await?;
    Ok(HttpResponse::Ok().json(out))
}
