//! `/api/v1/claims`: providers send documents and read the decisions.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::api::{page_limit, ApiJson};
use crate::auth::{Caller, Role};
use crate::context::ServiceContext;
use crate::domain::ids::NationalCode;
use crate::domain::jalali::JalaliDate;
use crate::domain::text::normalize_identifier;
use crate::error::{AppError, AppResult};
use crate::services::claim_document::ClaimBody;
use crate::services::claims::{self as service};
use crate::store::claims::ClaimFilter;

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

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub status: Option<String>,
    /// Jalali service month, `1403-07`.
    pub month: Option<String>,
    pub insured_national_code: Option<String>,
    pub reason: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

fn check_month(m: &str) -> AppResult<String> {
    let d = JalaliDate::parse(&format!("{m}-01"))
        .map_err(|_| AppError::field("month", "format", "must be a Jalali month like 1403-07"))?;
    Ok(format!("{:04}-{:02}", d.year(), d.month()))
}

#[derive(Serialize)]
struct ListPage {
    items: Vec<service::ClaimView>,
    next_cursor: Option<String>,
}

pub async fn list(
    state: web::Data<ServiceContext>,
    caller: Caller,
    q: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let limit = page_limit(q.limit)?;
    if let Some(s) = &q.status {
        if !["approved", "partially_approved", "rejected", "pended"].contains(&s.as_str()) {
            return Err(AppError::field(
                "status",
                "invalid_choice",
                "must be approved, partially_approved, rejected or pended",
            ));
        }
    }
    if let Some(r) = &q.reason {
        if crate::domain::reasons::Reason::parse(r).is_none() {
            return Err(AppError::field("reason", "invalid_choice", "must be a reason code such as R07"));
        }
    }
    let filter = ClaimFilter {
        status: q.status,
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
    let next_cursor = if items.len() as i64 == limit { items.last().map(|c| c.id.clone()) } else { None };
    Ok(HttpResponse::Ok().json(ListPage { items, next_cursor }))
}

pub async fn get(
    state: web::Data<ServiceContext>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::get(&state, caller, id.into_inner()).await?))
}

pub async fn explanation(
    state: web::Data<ServiceContext>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let v = service::get(&state, caller, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(service::explain(&v)))
}

#[derive(Debug, Deserialize)]
pub struct AccidentQuery {
    pub employer_code: Option<String>,
    pub month: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Work-accident claims by employer and month, for recovery from negligent employers
/// (Art. 66). Staff only.
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
    let next_cursor = if items.len() as i64 == limit { items.last().map(|c| c.id.clone()) } else { None };
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "items": items, "next_cursor": next_cursor, "page_insurer_payable": total_payable
    })))
}
