//! `/api/v1/claims`: providers send documents and read the decisions.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use crate::api::openapi::params::Id;
use crate::api::openapi::responses;
use crate::api::{page_limit, ApiJson, Page};
use crate::auth::{Caller, Role};
use crate::context::ServiceContext;
use crate::domain::ids::NationalCode;
use crate::domain::jalali::JalaliDate;
use crate::domain::text::normalize_identifier;
use crate::error::{AppError, AppResult};
use crate::services::claim_document::ClaimBody;
use crate::services::claims::{self as service, ClaimView, Explanation};
use crate::store::claims::ClaimFilter;

/// This module's part of the contract (see `api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, submit, work_accidents, get, explanation))]
pub struct Api;

/// Send a document (provider user or API key); it is adjudicated at once.
///
/// The provider's document number is unique per provider: sending it again returns the first
/// answer with 200 and creates nothing. The whole claim is stored in one transaction or not at
/// all. Every line ends with billed = insurer_payable + patient_share + patient_gap + deducted.
#[utoipa::path(post, path = "/api/v1/claims", tag = "claims", request_body = ClaimBody,
    responses((status = 201, description = "Adjudicated and stored.", body = ClaimView),
        (status = 200, description = "A resend; the first answer.", body = ClaimView),
        (status = 409, response = responses::Conflict)))]
pub async fn submit(
    state: web::Data<ServiceContext>,
    caller: Caller,
    body: ApiJson<ClaimBody>,
) -> AppResult<HttpResponse> {
    if caller.role != Role::Provider {
        return Err(AppError::forbidden("only a provider's users and systems send claims"));
    }
    let sub = body.0.into_submission(state.today())?;
    let done = service::submit(&state, caller, sub).await?;
    Ok(if done.created {
        HttpResponse::Created().json(done.view)
    } else {
        HttpResponse::Ok().json(done.view)
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Claims with this status.
    #[param(inline, value_type = Option<crate::domain::lifecycle::claim::ClaimStatus>)]
    pub status: Option<String>,
    /// Jalali service month, `1403-07`.
    #[param(pattern = "^1[34][0-9]{2}-(0[1-9]|1[0-2])$")]
    pub month: Option<String>,
    /// The insured person's national code (کد ملی), 10 digits (8 or 9 are left-padded with zeros).
    #[param(pattern = "^[0-9]{8,10}$")]
    pub insured_national_code: Option<String>,
    /// Claims with a line carrying this reason code.
    #[param(value_type = Option<crate::domain::reasons::Reason>)]
    pub reason: Option<String>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn check_month(m: &str) -> AppResult<String> {
    let d = JalaliDate::parse(&format!("{m}-01"))
        .map_err(|_| AppError::field("month", "format", "must be a Jalali month like 1403-07"))?;
    Ok(format!("{:04}-{:02}", d.year(), d.month()))
}

/// List claims in the caller's scope (a provider its own; reviewers their office's).
#[utoipa::path(get, path = "/api/v1/claims", tag = "claims", params(ListQuery),
    responses((status = 200, description = "A page of claims.", body = Page<ClaimView>)))]
pub async fn list(
    state: web::Data<ServiceContext>,
    caller: Caller,
    q: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let limit = page_limit(q.limit)?;
    use crate::domain::lifecycle::claim::ClaimStatus;
    let status = crate::api::status_filter(q.status.as_deref(), ClaimStatus::ALL, "invalid_choice")?;
    if let Some(r) = &q.reason {
        if crate::domain::reasons::Reason::parse(r).is_none() {
            return Err(AppError::field("reason", "invalid_choice", "must be a reason code such as R07"));
        }
    }
    let filter = ClaimFilter {
        status,
        month: q.month.as_deref().map(check_month).transpose()?,
        insured_national_code: q
            .insured_national_code
            .as_deref()
            .map(|c| {
                NationalCode::parse(c)
                    .map(|c| c.to_string())
                    .map_err(|e| AppError::field("insured_national_code", "invalid", e.to_string()))
            })
            .transpose()?,
        reason: q.reason,
        after: q.cursor,
        limit,
        ..ClaimFilter::default()
    };
    let items = service::list(&state, caller, filter).await?;
    let next_cursor = if items.len() as i64 == limit { items.last().map(|c| c.id.to_string()) } else { None };
    Ok(HttpResponse::Ok().json(Page { items, next_cursor }))
}

/// One claim, line by line.
#[utoipa::path(get, path = "/api/v1/claims/{id}", tag = "claims", params(Id),
    responses((status = 200, description = "The claim.", body = ClaimView)))]
pub async fn get(
    state: web::Data<ServiceContext>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::get(&state, caller, id.into_inner().into()).await?))
}

/// The decision explained line by line in Persian and English.
#[utoipa::path(get, path = "/api/v1/claims/{id}/explanation", tag = "claims", params(Id),
    responses((status = 200, description = "The explanation.", body = Explanation)))]
pub async fn explanation(
    state: web::Data<ServiceContext>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let v = service::get(&state, caller, id.into_inner().into()).await?;
    Ok(HttpResponse::Ok().json(service::explain(&v)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccidentQuery {
    /// The employer's code (کد کارگاه).
    pub employer_code: Option<String>,
    /// Jalali service month, `1403-07`.
    #[param(pattern = "^1[34][0-9]{2}-(0[1-9]|1[0-2])$")]
    pub month: Option<String>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// `GET /api/v1/claims/work-accidents`: a page of claims with the page's payable total.
#[derive(Serialize, utoipa::ToSchema)]
pub struct WorkAccidentPage {
    pub items: Vec<ClaimView>,
    pub next_cursor: Option<String>,
    /// The Organization's payable over this page's claims, rials.
    pub page_insurer_payable: i64,
}

/// Work-accident claims by employer and month, for recovery from the employer (Art. 66). Staff.
#[utoipa::path(get, path = "/api/v1/claims/work-accidents", tag = "claims", params(AccidentQuery),
    responses((status = 200, description = "A page of claims with the page's payable total.", body = WorkAccidentPage)))]
pub async fn work_accidents(
    state: web::Data<ServiceContext>,
    caller: Caller,
    q: web::Query<AccidentQuery>,
) -> AppResult<HttpResponse> {
    if !caller.role.is_staff() {
        return Err(AppError::forbidden("staff only"));
    }
    let q = q.into_inner();
    let limit = page_limit(q.limit)?;
    let filter = ClaimFilter {
        work_accident: Some(true),
        employer_code: q.employer_code.as_deref().map(normalize_identifier),
        month: q.month.as_deref().map(check_month).transpose()?,
        after: q.cursor,
        limit,
        ..ClaimFilter::default()
    };
    let items = service::list(&state, caller, filter).await?;
    let total_payable: i64 = items.iter().map(|c| c.totals.insurer_payable).sum();
    let next_cursor = if items.len() as i64 == limit { items.last().map(|c| c.id.to_string()) } else { None };
    Ok(HttpResponse::Ok().json(WorkAccidentPage { items, next_cursor, page_insurer_payable: total_payable }))
}
