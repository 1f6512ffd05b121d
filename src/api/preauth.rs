//! `/api/v1/preauthorizations`: requests by providers, decisions by medical advisors.

use actix_web::{web, HttpResponse};
use rust_decimal::Decimal;
use serde::Deserialize;
use validator::Validate;

use crate::api::{date_field, page_limit, ApiJson, Page};
use crate::auth::{Caller, MedicalAdvisors, Require};
use crate::context::ServiceContext;
use crate::domain::ids::NationalCode;
use crate::domain::pricing::ItemType;
use crate::domain::text::normalize_identifier;
use crate::error::{AppError, AppResult};
use crate::services::preauth::{self as service, AdvisorDecision, NewRequest, PreauthView, Verdict};
use crate::store::preauth::PreauthFilter;

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    pub insured_national_code: String,
    pub item_type: ItemType,
    #[validate(length(min = 1, max = 32))]
    pub code: String,
    #[serde(deserialize_with = "crate::domain::money::plain_decimal::required")]
    pub quantity: Decimal,
    #[serde(default)]
    #[validate(length(max = 20))]
    pub diagnoses: Vec<String>,
    /// The clinical reason for the request.
    #[validate(length(min = 1, max = 4000))]
    pub justification: String,
}

pub async fn request(
    state: web::Data<ServiceContext>,
    caller: Caller,
    body: ApiJson<RequestBody>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    let code = NationalCode::parse(&b.insured_national_code)
        .map_err(|e| AppError::field("insured_national_code", "invalid", e.to_string()))?;
    let new = NewRequest {
        national_code: code.to_string(),
        item_type: b.item_type,
        code: normalize_identifier(&b.code),
        quantity: b.quantity,
        diagnoses: b.diagnoses,
        justification: b.justification.trim().to_string(),
    };
    Ok(HttpResponse::Created().json(service::request(&state, caller, new).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// requested, approved or rejected.
    pub status: Option<String>,
    pub code: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

pub async fn list(
    state: web::Data<ServiceContext>,
    caller: Caller,
    q: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    if q.status.as_deref().is_some_and(|s| !["requested", "approved", "rejected"].contains(&s)) {
        return Err(AppError::field("status", "one_of", "must be requested, approved or rejected"));
    }
    let limit = page_limit(q.limit)?;
    let filter = PreauthFilter {
        status: q.status,
        code: q.code.as_deref().map(normalize_identifier),
        after: q.cursor,
        limit,
        ..PreauthFilter::default()
    };
    let items = service::list(&state, caller, filter).await?;
    Ok(HttpResponse::Ok().json(Page::<PreauthView>::from_rows(items, limit, |r| r.id.clone(), |r| r)))
}

pub async fn get(
    state: web::Data<ServiceContext>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::get(&state, caller, id.into_inner()).await?))
}

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    pub decision: Verdict,
    #[serde(default, deserialize_with = "crate::domain::money::plain_decimal::optional")]
    pub approved_quantity: Option<Decimal>,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    /// For a refusal: a reason code of the catalogue (R91 when not given).
    #[validate(length(min = 1, max = 8))]
    pub reason: Option<String>,
    #[validate(length(max = 2000))]
    pub note: Option<String>,
}

pub async fn decide(
    state: web::Data<ServiceContext>,
    advisor: Require<MedicalAdvisors>,
    id: web::Path<String>,
    body: ApiJson<DecisionBody>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    let d = AdvisorDecision {
        decision: b.decision,
        approved_quantity: b.approved_quantity,
        valid_from: b.valid_from.as_deref().map(|v| date_field("valid_from", v)).transpose()?,
        valid_to: b.valid_to.as_deref().map(|v| date_field("valid_to", v)).transpose()?,
        reason: b.reason,
        note: b.note,
    };
    Ok(HttpResponse::Ok().json(service::decide(&state, advisor.caller, id.into_inner(), d).await?))
}
