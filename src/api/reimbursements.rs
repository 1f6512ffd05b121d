//! `/api/v1/reimbursements`: insured persons' requests for what they paid non-contracted
//! providers, support items and travel; decided by the review office.

use crate::domain::record_ids::OfficeId;
use actix_web::{web, HttpResponse};
use rust_decimal::Decimal;
use serde::Deserialize;
use validator::Validate;

use crate::api::openapi::params::Id;
use crate::api::openapi::responses;
use crate::api::{date_field, page_limit, ApiJson, Page};
use crate::auth::{Caller, Require, Reviewers, Supervisors};
use crate::context::ServiceContext;
use crate::domain::adjudication::{ClaimKind, Setting};
use crate::domain::ids::{NationalCode, Sheba};
use crate::domain::provider::ProviderKind;
use crate::domain::reimbursement::Benefit;
use crate::domain::tariff::Sector;
use crate::domain::text::{normalize_identifier, normalize_persian};
use crate::error::{AppError, AppResult, FieldError};
use crate::services::reimbursements::{
    self as service, DecisionInput, NewLine, NewRequest, ReimbursementView, TravelInput,
};
use crate::store::reimbursements::ReimbursementFilter;

/// This module's part of the contract (see `api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, file, get, submit, decide, approval))]
pub struct Api;

/// One line of a request: what was bought, when, and what the insured person paid for it.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[schema(as = ReimbursementLineInput)]
#[serde(deny_unknown_fields)]
pub struct LineBody {
    /// Unique within the request.
    pub line_no: u32,
    /// service, visit, drug, bed_day (care); device (support items); travel.
    #[validate(length(min = 1, max = 16))]
    #[schema(min_length = 1, max_length = 16, pattern = "^(service|visit|drug|bed_day|device|travel)$")]
    pub item_type: String,
    /// A tariff code; for travel: patient_ticket, companion_ticket, patient_stay or companion_stay.
    #[validate(length(min = 1, max = 32))]
    #[schema(min_length = 1, max_length = 32)]
    pub code: String,
    /// More than 0, at most 10000 (1 when absent; for a stay: days).
    #[serde(default = "one", deserialize_with = "crate::domain::money::plain_decimal::required")]
    #[schema(schema_with = crate::domain::money::plain_decimal::schema::decimal)]
    pub quantity: Decimal,
    /// Gregorian `YYYY-MM-DD` or Jalali `1403-07-15`; not after today.
    #[schema(pattern = r"^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub service_date: String,
    /// What the insured person paid, in rials.
    #[schema(minimum = 1, maximum = 1000000000000.0)]
    pub paid_amount: i64,
}

fn one() -> Decimal {
    Decimal::ONE
}

/// The conditions of a travel request.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[schema(as = ReimbursementTravelInput)]
#[serde(deny_unknown_fields)]
pub struct TravelBody {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub origin: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub destination: String,
    /// The medical council's (شورای پزشکی) approval number; without it nothing is paid (R91).
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub council_approval_no: Option<String>,
    /// The doctor certifies a companion is needed.
    #[serde(default)]
    pub companion_needed: bool,
}

/// A reimbursement request as filed. A care request needs `setting` and `kind`, a travel
/// request `travel` (and only it); `bed_day` lines need `hospital_grade`.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[schema(as = ReimbursementRequest)]
#[serde(deny_unknown_fields)]
pub struct FileBody {
    /// The office to file with: required for an insured caller; an office clerk's own office.
    pub office_id: Option<OfficeId>,
    /// The main insured filing (an insured caller: themselves, may be left out; a clerk must
    /// give it). A national code: 10 digits with a valid check digit.
    #[schema(pattern = "^[0-9]{10}$")]
    pub insured_national_code: Option<String>,
    /// The patient, when a dependant of the main insured.
    #[schema(pattern = "^[0-9]{10}$")]
    pub patient_national_code: Option<String>,
    pub benefit: Benefit,
    pub setting: Option<Setting>,
    pub kind: Option<ClaimKind>,
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300)]
    pub provider_name: String,
    pub provider_kind: ProviderKind,
    /// The non-contracted provider's sector (private by default): exemptions of government
    /// centres depend on it.
    pub provider_sector: Option<Sector>,
    #[validate(range(min = 1, max = 5))]
    #[schema(minimum = 1, maximum = 5)]
    pub hospital_grade: Option<u8>,
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub prescription_tracking_code: Option<String>,
    /// Gregorian `YYYY-MM-DD` or Jalali `1403-07-15`.
    #[schema(pattern = r"^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub prescribed_on: Option<String>,
    /// Gregorian `YYYY-MM-DD` or Jalali `1403-07-15`.
    #[schema(pattern = r"^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub admitted_on: Option<String>,
    /// Gregorian `YYYY-MM-DD` or Jalali `1403-07-15`.
    #[schema(pattern = r"^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub discharged_on: Option<String>,
    #[serde(default)]
    #[validate(length(max = 20))]
    #[schema(max_items = 20)]
    pub diagnoses: Vec<String>,
    #[validate(nested)]
    pub travel: Option<TravelBody>,
    /// IR + 24 digits (ISO 13616 mod-97), in the main insured's own name.
    #[schema(pattern = "^IR[0-9]{24}$")]
    pub sheba: String,
    /// The national code of the account's holder: must be the main insured's.
    #[schema(pattern = "^[0-9]{10}$")]
    pub sheba_owner_national_code: String,
    /// 1 to 200 lines.
    #[validate(nested)]
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Vec<LineBody>,
}

fn national_code(field: &str, v: &str) -> Result<String, FieldError> {
    NationalCode::parse(v)
        .map(|c| c.to_string())
        .map_err(|e| FieldError::new(field, "invalid", e.to_string()))
}

/// The main insured (or an office clerk on their behalf) files a request for care paid at a non-contracted provider, a support item (prosthesis/orthosis) or travel.
///
/// It is priced at once on the government tariff (a draft with the estimate); documents are
/// added, then it is submitted.
#[utoipa::path(post, path = "/api/v1/reimbursements", tag = "reimbursement", request_body = FileBody,
    responses((status = 201, description = "Filed as a draft, priced.", body = ReimbursementView)))]
pub async fn file(
    state: web::Data<ServiceContext>,
    caller: Caller,
    body: ApiJson<FileBody>,
) -> AppResult<HttpResponse> {
    let new = new_request(body.0)?;
    Ok(HttpResponse::Created().json(service::file(&state, caller, new).await?))
}

/// A filed body as the use case's request: national codes, the Sheba and the dates (Gregorian
/// or Jalali) read, every unreadable field named at once (422), texts normalised. The console's
/// filing form builds a `FileBody` and goes through here too, so both refuse the same input
/// with the same fields. (`FileBody::validate` is the caller's: `ApiJson` runs it for the API.)
pub fn new_request(b: FileBody) -> AppResult<NewRequest> {
    let mut errors = Vec::new();
    let mut take = |r: Result<String, FieldError>| match r {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let insured =
        b.insured_national_code.as_deref().and_then(|v| take(national_code("insured_national_code", v)));
    let patient =
        b.patient_national_code.as_deref().and_then(|v| take(national_code("patient_national_code", v)));
    let owner = take(national_code("sheba_owner_national_code", &b.sheba_owner_national_code));
    let sheba = take(
        Sheba::parse(&b.sheba)
            .map(|s| s.as_str().to_string())
            .map_err(|e| FieldError::new("sheba", "invalid", e.to_string())),
    );
    let mut date = |field: String, v: &str| match date_field(&field, v) {
        Ok(d) => Some(d),
        Err(AppError::Validation(mut e)) => {
            errors.append(&mut e);
            None
        }
        Err(_) => None,
    };
    let prescribed_on = b.prescribed_on.as_deref().and_then(|v| date("prescribed_on".into(), v));
    let admitted_on = b.admitted_on.as_deref().and_then(|v| date("admitted_on".into(), v));
    let discharged_on = b.discharged_on.as_deref().and_then(|v| date("discharged_on".into(), v));
    let lines: Vec<NewLine> = b
        .lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let service_date = date(format!("lines[{i}].service_date"), &l.service_date)?;
            Some(NewLine {
                line_no: l.line_no,
                item_type: l.item_type.clone(),
                code: normalize_identifier(&l.code),
                quantity: l.quantity,
                service_date,
                paid_amount: l.paid_amount,
            })
        })
        .collect();
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let new = NewRequest {
        office_id: b.office_id,
        insured_national_code: insured,
        patient_national_code: patient,
        benefit: b.benefit,
        setting: b.setting,
        kind: b.kind,
        provider_name: normalize_persian(&b.provider_name),
        provider_kind: b.provider_kind,
        provider_sector: b.provider_sector.unwrap_or(Sector::Private),
        hospital_grade: b.hospital_grade,
        prescription_tracking_code: b.prescription_tracking_code.as_deref().map(normalize_identifier),
        prescribed_on,
        admitted_on,
        discharged_on,
        diagnoses: b.diagnoses.iter().map(|d| normalize_identifier(d)).collect(),
        travel: b.travel.map(|t| TravelInput {
            origin: normalize_persian(&t.origin),
            destination: normalize_persian(&t.destination),
            council_approval_no: t.council_approval_no.as_deref().map(normalize_identifier),
            companion_needed: t.companion_needed,
        }),
        sheba: sheba.unwrap_or_default(),
        sheba_owner_national_code: owner.unwrap_or_default(),
        lines,
    };
    Ok(new)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only requests with this status.
    #[param(value_type = Option<crate::domain::lifecycle::reimbursement::ReimbursementStatus>)]
    pub status: Option<String>,
    /// Only requests for this benefit.
    pub benefit: Option<Benefit>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Reimbursement requests in the caller's scope (the insured person's own and their dependants', the office's, all for finance and admins).
#[utoipa::path(get, path = "/api/v1/reimbursements", tag = "reimbursement", params(ListQuery),
    responses((status = 200, description = "A page of requests.", body = Page<ReimbursementView>)))]
pub async fn list(
    state: web::Data<ServiceContext>,
    caller: Caller,
    q: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    use crate::domain::lifecycle::reimbursement::ReimbursementStatus;
    let status = crate::api::status_filter(q.status.as_deref(), ReimbursementStatus::ALL, "one_of")?;
    let limit = page_limit(q.limit)?;
    let f = ReimbursementFilter {
        status,
        benefit: q.benefit.map(|b| b.as_str().to_string()),
        after: q.cursor,
        limit,
        ..ReimbursementFilter::default()
    };
    let items = service::list(&state, caller, f).await?;
    Ok(HttpResponse::Ok().json(Page::<ReimbursementView>::from_rows(
        items,
        limit,
        |r| r.id.to_string(),
        |r| r,
    )))
}

/// One request, line by line, with its document checklist and every status change.
#[utoipa::path(get, path = "/api/v1/reimbursements/{id}", tag = "reimbursement", params(Id),
    responses((status = 200, description = "The request.", body = ReimbursementView)))]
pub async fn get(
    state: web::Data<ServiceContext>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::get(&state, caller, id.into_inner().into()).await?))
}

/// Submit a draft to the office; every required document must be attached (422 naming `documents`). Priced again.
#[utoipa::path(post, path = "/api/v1/reimbursements/{id}/submit", tag = "reimbursement", params(Id),
    responses((status = 200, description = "In review.", body = ReimbursementView),
        (status = 409, response = responses::Conflict),
        (status = 422, response = responses::ValidationFailed)))]
pub async fn submit(
    state: web::Data<ServiceContext>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::submit(&state, caller, id.into_inner().into()).await?))
}

/// A reviewer of the office decides line by line (as for claims); a change above the four-eyes threshold waits for a supervisor.
#[utoipa::path(post, path = "/api/v1/reimbursements/{id}/decision", tag = "reimbursement", params(Id),
    request_body = DecisionInput,
    responses((status = 200, description = "Decided, or awaiting a supervisor's approval.", body = ReimbursementView),
        (status = 409, response = responses::Conflict)))]
pub async fn decide(
    state: web::Data<ServiceContext>,
    reviewer: Require<Reviewers>,
    id: web::Path<String>,
    body: ApiJson<DecisionInput>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(service::decide(&state, reviewer.caller, id.into_inner().into(), body.0).await?))
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[schema(as = ReimbursementApproval)]
#[serde(deny_unknown_fields)]
pub struct ApprovalBody {
    /// `true` applies the reviewer's decision; `false` returns it to review.
    pub approve: bool,
}

/// A supervisor (not the reviewer) applies a decision waiting for approval, or returns it to review.
#[utoipa::path(post, path = "/api/v1/reimbursements/{id}/approval", tag = "reimbursement", params(Id),
    request_body = ApprovalBody,
    responses((status = 200, description = "Decided, or back in review.", body = ReimbursementView),
        (status = 409, response = responses::Conflict)))]
pub async fn approval(
    state: web::Data<ServiceContext>,
    supervisor: Require<Supervisors>,
    id: web::Path<String>,
    body: ApiJson<ApprovalBody>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(service::approve(&state, supervisor.caller, id.into_inner().into(), body.0.approve).await?))
}
