//! `/api/v1/preauthorizations`: requests by providers, decisions by medical advisors.

use actix_web::{web, HttpResponse};
use rust_decimal::Decimal;
use serde::Deserialize;
use validator::Validate;

use crate::api::openapi::params::Id;
use crate::api::openapi::responses;
use crate::api::{date_field, page_limit, ApiJson, Page};
use crate::auth::{Caller, MedicalAdvisors, Require};
use crate::context::ServiceContext;
use crate::domain::ids::NationalCode;
use crate::domain::pricing::ItemType;
use crate::domain::text::normalize_identifier;
use crate::error::{AppError, AppResult};
use crate::services::preauth::{self as service, AdvisorDecision, NewRequest, PreauthView, Verdict};
use crate::store::preauth::PreauthFilter;

/// This module's part of the contract (see `api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, request, get, decide))]
pub struct Api;

/// A provider's request for pre-authorization.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[schema(as = PreauthorizationRequest)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    /// The insured person's national code (کد ملی): 10 digits with a valid check digit.
    #[schema(pattern = "^[0-9]{10}$")]
    pub insured_national_code: String,
    pub item_type: ItemType,
    /// A code of the tariff in force for `item_type`.
    #[validate(length(min = 1, max = 32))]
    #[schema(min_length = 1, max_length = 32)]
    pub code: String,
    /// More than 0, at most 10000.
    #[serde(deserialize_with = "crate::domain::money::plain_decimal::required")]
    #[schema(schema_with = crate::domain::money::plain_decimal::schema::decimal)]
    pub quantity: Decimal,
    #[serde(default)]
    #[validate(length(max = 20))]
    #[schema(max_items = 20)]
    pub diagnoses: Vec<String>,
    /// The clinical reason for the request.
    #[validate(length(min = 1, max = 4000))]
    #[schema(min_length = 1, max_length = 4000)]
    pub justification: String,
}

/// A provider asks for pre-authorization (تأیید قبلی) of a code before treating.
#[utoipa::path(post, path = "/api/v1/preauthorizations", tag = "preauthorization", request_body = RequestBody,
    responses((status = 201, description = "Requested; it waits for a medical advisor.", body = PreauthView)))]
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

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only requests with this status.
    #[param(value_type = Option<crate::domain::lifecycle::preauth::PreauthStatus>)]
    pub status: Option<String>,
    /// Only requests for this code.
    pub code: Option<String>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Pre-authorization requests in the caller's scope (provider, insured person, office, medical advisor).
#[utoipa::path(get, path = "/api/v1/preauthorizations", tag = "preauthorization", params(ListQuery),
    responses((status = 200, description = "A page of requests.", body = Page<PreauthView>)))]
pub async fn list(
    state: web::Data<ServiceContext>,
    caller: Caller,
    q: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    use crate::domain::lifecycle::preauth::PreauthStatus;
    let status = crate::api::status_filter(q.status.as_deref(), PreauthStatus::ALL, "one_of")?;
    let limit = page_limit(q.limit)?;
    let filter = PreauthFilter {
        status,
        code: q.code.as_deref().map(normalize_identifier),
        after: q.cursor,
        limit,
        ..PreauthFilter::default()
    };
    let items = service::list(&state, caller, filter).await?;
    Ok(HttpResponse::Ok().json(Page::<PreauthView>::from_rows(items, limit, |r| r.id.to_string(), |r| r)))
}

/// One request, its decision and the claim lines that used it.
#[utoipa::path(get, path = "/api/v1/preauthorizations/{id}", tag = "preauthorization", params(Id),
    responses((status = 200, description = "The request.", body = PreauthView)))]
pub async fn get(
    state: web::Data<ServiceContext>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::get(&state, caller, id.into_inner().into()).await?))
}

/// A medical advisor's decision: `approve` takes `approved_quantity`, `valid_to` and optionally
/// `valid_from`; `reject` takes a `note` and optionally a `reason`.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[schema(as = PreauthorizationDecision)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    pub decision: Verdict,
    /// Approve: more than 0, at most the requested quantity.
    #[serde(default, deserialize_with = "crate::domain::money::plain_decimal::optional")]
    #[schema(schema_with = crate::domain::money::plain_decimal::schema::decimal_or_null)]
    pub approved_quantity: Option<Decimal>,
    /// Approve: Gregorian `YYYY-MM-DD` or Jalali `1403-07-15`; today when absent.
    #[schema(pattern = r"^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub valid_from: Option<String>,
    /// Approve: on or after `valid_from`, less than 366 days after it (Gregorian or Jalali, as
    /// `valid_from`).
    #[schema(pattern = r"^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub valid_to: Option<String>,
    /// For a refusal: a reason code of the catalogue (R91 when not given).
    #[validate(length(min = 1, max = 8))]
    #[schema(value_type = Option<crate::domain::reasons::Reason>)]
    pub reason: Option<String>,
    /// Required to refuse.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// A medical advisor (پزشک معتمد) approves (quantity, validity) or refuses (reason, note); the provider is notified.
#[utoipa::path(post, path = "/api/v1/preauthorizations/{id}/decision", tag = "preauthorization", params(Id),
    request_body = DecisionBody,
    responses((status = 200, description = "Decided.", body = PreauthView),
        (status = 409, response = responses::Conflict)))]
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
    Ok(HttpResponse::Ok().json(service::decide(&state, advisor.caller, id.into_inner().into(), d).await?))
}
