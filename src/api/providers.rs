//! `/api/v1/providers` and `/api/v1/contracts`.

use crate::domain::record_ids::{OfficeId, ProviderId};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use validator::Validate;

use crate::api::openapi::params::Id;
use crate::api::openapi::responses;
use crate::api::{date_field, page_limit, ts, ApiJson, Page};
use crate::auth::{Admins, Caller, Require};
use crate::context::ServiceContext;
use crate::domain::contract::{ContractAction, ContractTerms, StatusReason};
use crate::domain::ids::Sheba;
use crate::domain::provider::{PhysicianDegree, ProviderKind};
use crate::domain::tariff::Sector;
use crate::domain::text::{normalize_identifier, normalize_persian};
use crate::error::{AppError, AppResult, FieldError};
use crate::services::providers::{self as service, ContractView, NewContract, TermsOnDate};
use crate::store::audit::Actor;
use crate::store::now;
use crate::store::providers::{ProviderFilter, ProviderRow};

/// This module's part of the contract (see `api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list,
    create,
    get,
    update,
    deactivate,
    provider_contracts,
    create_contract,
    contract_on,
    get_contract,
    amend,
    change_status
))]
pub struct Api;

/// A contracted provider (مرکز طرف قرارداد).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Provider)]
pub struct ProviderView {
    pub id: ProviderId,
    pub name_fa: String,
    pub name_en: Option<String>,
    #[schema(value_type = ProviderKind)]
    pub kind: String,
    #[schema(value_type = Sector)]
    pub sector: String,
    /// A hospital's grade (1–4); null for every other kind.
    pub hospital_grade: Option<i32>,
    pub sso_owned: bool,
    pub province_id: i32,
    pub office_id: OfficeId,
    /// National id of the legal entity (شناسه ملی); null for physician and dental offices.
    pub legal_national_id: Option<String>,
    /// Medical council number (شماره نظام پزشکی); only physician and dental offices have one.
    pub medical_council_no: Option<String>,
    /// Only physician and dental offices have one.
    #[schema(value_type = Option<PhysicianDegree>)]
    pub physician_degree: Option<String>,
    /// Sheba (IBAN) the settlements are paid to, `IR` + 24 digits.
    pub sheba: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub active: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<ProviderRow> for ProviderView {
    fn from(p: ProviderRow) -> Self {
        Self {
            id: p.id,
            name_fa: p.name_fa,
            name_en: p.name_en,
            kind: p.kind,
            sector: p.sector,
            hospital_grade: p.hospital_grade,
            sso_owned: p.sso_owned,
            province_id: p.province_id,
            office_id: p.office_id,
            legal_national_id: p.legal_national_id,
            medical_council_no: p.medical_council_no,
            physician_degree: p.physician_degree,
            sheba: p.sheba,
            email: p.email,
            phone: p.phone,
            address: p.address,
            active: p.active,
            created_at: ts(p.created_at),
            updated_at: ts(p.updated_at),
        }
    }
}

fn yes() -> bool {
    true
}

/// The body of POST and PUT: the whole provider.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ProviderInput)]
pub struct ProviderBody {
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300)]
    pub name_fa: String,
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300)]
    pub name_en: Option<String>,
    pub kind: ProviderKind,
    pub sector: Sector,
    /// Required for a hospital, not allowed for any other kind.
    #[validate(range(min = 1, max = 4))]
    #[schema(minimum = 1, maximum = 4)]
    pub hospital_grade: Option<i32>,
    #[serde(default)]
    pub sso_owned: bool,
    #[validate(range(min = 1, max = 31))]
    #[schema(minimum = 1, maximum = 31)]
    pub province_id: i32,
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub office_id: String,
    /// National id of the legal entity (شناسه ملی), 11 digits; required except for physician and
    /// dental offices (ignored for them).
    #[schema(pattern = "^[0-9]{11}$")]
    pub legal_national_id: Option<String>,
    /// Medical council number (شماره نظام پزشکی), 1 to 10 digits; required for a physician's or
    /// dentist's office (ignored for other kinds).
    #[schema(pattern = "^[0-9]{1,10}$")]
    pub medical_council_no: Option<String>,
    /// Required for a physician's or dentist's office (ignored for other kinds).
    pub physician_degree: Option<PhysicianDegree>,
    /// Sheba (IBAN): `IR` + 24 digits, mod-97 checked.
    #[schema(pattern = "^IR[0-9]{24}$")]
    pub sheba: Option<String>,
    #[validate(email)]
    #[schema(format = Email)]
    pub email: Option<String>,
    #[validate(length(max = 32))]
    #[schema(max_length = 32)]
    pub phone: Option<String>,
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub address: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

impl ProviderBody {
    /// Checks that depend on the kind, and normalizes; errors name each field.
    pub(crate) fn into_row(self, id: ProviderId) -> AppResult<ProviderRow> {
        let mut errors = Vec::new();
        let legal = self.legal_national_id.as_deref().map(normalize_identifier);
        let council = self.medical_council_no.as_deref().map(normalize_identifier);
        if self.kind.is_individual() {
            match &council {
                Some(c) if !c.is_empty() && c.len() <= 10 && c.bytes().all(|b| b.is_ascii_digit()) => {}
                Some(_) => {
                    errors.push(FieldError::new("medical_council_no", "format", "must be 1 to 10 digits"))
                }
                None => errors.push(FieldError::new(
                    "medical_council_no",
                    "required",
                    "is required for a physician's or dentist's office",
                )),
            }
            if self.physician_degree.is_none() {
                errors.push(FieldError::new(
                    "physician_degree",
                    "required",
                    "is required for a physician's or dentist's office",
                ));
            }
        } else {
            match &legal {
                Some(n) if n.len() == 11 && n.bytes().all(|b| b.is_ascii_digit()) => {}
                Some(_) => errors.push(FieldError::new("legal_national_id", "format", "must be 11 digits")),
                None => errors.push(FieldError::new(
                    "legal_national_id",
                    "required",
                    "is required for a centre (legal entity)",
                )),
            }
        }
        match (self.kind, self.hospital_grade) {
            (ProviderKind::Hospital, None) => {
                errors.push(FieldError::new("hospital_grade", "required", "is required for a hospital (1–4)"))
            }
            (ProviderKind::Hospital, Some(_)) | (_, None) => {}
            (_, Some(_)) => {
                errors.push(FieldError::new("hospital_grade", "not_allowed", "only hospitals have a grade"))
            }
        }
        let sheba = match self.sheba.as_deref() {
            None => None,
            Some(s) => match Sheba::parse(s) {
                Ok(s) => Some(s.as_str().to_string()),
                Err(e) => {
                    errors.push(FieldError::new("sheba", "invalid", e.to_string()));
                    None
                }
            },
        };
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let ts = now();
        Ok(ProviderRow {
            id,
            name_fa: normalize_persian(&self.name_fa),
            name_en: self.name_en.map(|n| n.trim().to_string()),
            kind: self.kind.as_str().into(),
            sector: self.sector.as_str().into(),
            hospital_grade: self.hospital_grade,
            sso_owned: self.sso_owned,
            province_id: self.province_id,
            office_id: self.office_id.into(),
            legal_national_id: if self.kind.is_individual() { None } else { legal },
            medical_council_no: if self.kind.is_individual() { council } else { None },
            physician_degree: if self.kind.is_individual() {
                self.physician_degree.map(|d| d.as_str().to_string())
            } else {
                None
            },
            sheba,
            email: self.email,
            phone: self.phone.map(|p| normalize_identifier(&p)),
            address: self.address.map(|a| normalize_persian(&a)),
            active: self.active,
            created_at: ts,
            updated_at: ts,
        })
    }
}

/// Register a provider (admin).
#[utoipa::path(post, path = "/api/v1/providers", tag = "providers", request_body = ProviderBody,
    responses((status = 201, description = "Created.", body = ProviderView), (status = 409, response = responses::Conflict)))]
pub async fn create(
    state: web::Data<ServiceContext>,
    admin: Require<Admins>,
    body: ApiJson<ProviderBody>,
) -> AppResult<HttpResponse> {
    let row = body.0.into_row(ProviderId::new())?;
    let row = service::create(&state, Actor::of(&admin), row).await?;
    Ok(HttpResponse::Created().json(ProviderView::from(row)))
}

/// Replace a provider's details (admin).
#[utoipa::path(put, path = "/api/v1/providers/{id}", tag = "providers", params(Id), request_body = ProviderBody,
    responses((status = 200, description = "The provider.", body = ProviderView), (status = 409, response = responses::Conflict)))]
pub async fn update(
    state: web::Data<ServiceContext>,
    admin: Require<Admins>,
    id: web::Path<String>,
    body: ApiJson<ProviderBody>,
) -> AppResult<HttpResponse> {
    let row = body.0.into_row(id.into_inner().into())?;
    let row = service::update(&state, Actor::of(&admin), row).await?;
    Ok(HttpResponse::Ok().json(ProviderView::from(row)))
}

/// Deactivate a provider (admin).
///
/// Providers are never deleted; contracts and claims refer to them.
#[utoipa::path(delete, path = "/api/v1/providers/{id}", tag = "providers", params(Id),
    responses((status = 204, description = "Deactivated.")))]
pub async fn deactivate(
    state: web::Data<ServiceContext>,
    admin: Require<Admins>,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    service::deactivate(&state, Actor::of(&admin), id.into_inner().into()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// One provider (its own users, its office's staff, Organization-wide roles).
#[utoipa::path(get, path = "/api/v1/providers/{id}", tag = "providers", params(Id),
    responses((status = 200, description = "The provider.", body = ProviderView)))]
pub async fn get(
    state: web::Data<ServiceContext>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let row = service::get(&state, caller, id.into_inner().into()).await?;
    Ok(HttpResponse::Ok().json(ProviderView::from(row)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Providers of this office (a reviewer or supervisor may name only their own).
    pub office_id: Option<OfficeId>,
    /// Providers of this province.
    pub province_id: Option<i32>,
    pub kind: Option<ProviderKind>,
    /// Part of the name.
    pub q: Option<String>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List providers (staff; reviewers and supervisors see their office's only).
#[utoipa::path(get, path = "/api/v1/providers", tag = "providers", params(ListQuery),
    responses((status = 200, description = "A page of providers.", body = Page<ProviderView>),
        (status = 404, response = responses::NotFound)))]
pub async fn list(
    state: web::Data<ServiceContext>,
    caller: Caller,
    q: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let limit = page_limit(q.limit)?;
    let rows = service::list(
        &state,
        caller,
        ProviderFilter {
            office_id: q.office_id,
            province_id: q.province_id,
            kind: q.kind.map(|k| k.as_str().to_string()),
            q: q.q.map(|t| normalize_persian(&t)),
            after: q.cursor,
            limit,
            // Set by the use case from the caller.
            scope: Default::default(),
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(Page::<ProviderView>::from_rows(
        rows,
        limit,
        |r| r.id.to_string(),
        ProviderView::from,
    )))
}

/// A new contract.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ContractInput)]
pub struct ContractBody {
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub number: String,
    /// First day, Gregorian `YYYY-MM-DD` or Jalali (`1403-07-15`).
    #[schema(pattern = "^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub valid_from: String,
    /// Last day, Gregorian `YYYY-MM-DD` or Jalali (`1403-07-15`); not before `valid_from`.
    #[schema(pattern = "^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub valid_to: String,
    /// Terms of version 1; omitted fields take their defaults.
    #[serde(default)]
    #[schema(value_type = Option<ContractTerms>)]
    pub terms: Option<serde_json::Value>,
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    pub note: Option<String>,
}

fn terms_from(value: Option<serde_json::Value>) -> AppResult<ContractTerms> {
    match value {
        None => Ok(ContractTerms::default()),
        Some(v) => serde_path_to_error::deserialize(v).map_err(|e| {
            let path = e.path().to_string();
            AppError::field(&format!("terms.{path}"), "invalid", e.into_inner().to_string())
        }),
    }
}

/// Create a contract (admin); it starts as a draft with its terms as version 1.
///
/// Contracts of one provider may not overlap unless the earlier one was terminated.
#[utoipa::path(post, path = "/api/v1/providers/{id}/contracts", tag = "providers", params(Id), request_body = ContractBody,
    responses((status = 201, description = "Created.", body = ContractView), (status = 409, response = responses::Conflict)))]
pub async fn create_contract(
    state: web::Data<ServiceContext>,
    admin: Require<Admins>,
    provider_id: web::Path<String>,
    body: ApiJson<ContractBody>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    let new = NewContract {
        number: normalize_identifier(&b.number),
        provider_id: provider_id.into_inner().into(),
        valid_from: date_field("valid_from", &b.valid_from)?,
        valid_to: date_field("valid_to", &b.valid_to)?,
        terms: terms_from(b.terms)?,
        note: b.note,
    };
    let v = service::create_contract(&state, admin.caller, new).await?;
    Ok(HttpResponse::Created().json(v))
}

/// The provider's contracts, with versions and state changes.
#[utoipa::path(get, path = "/api/v1/providers/{id}/contracts", tag = "providers", params(Id),
    responses((status = 200, description = "All contracts, oldest first, in one page (`next_cursor` is always null).",
        body = Page<ContractView>)))]
pub async fn provider_contracts(
    state: web::Data<ServiceContext>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let items = service::provider_contracts(&state, caller, id.into_inner().into()).await?;
    Ok(HttpResponse::Ok().json(Page { items, next_cursor: None }))
}

/// One contract with its versions and state changes.
#[utoipa::path(get, path = "/api/v1/contracts/{id}", tag = "providers", params(Id),
    responses((status = 200, description = "The contract.", body = ContractView)))]
pub async fn get_contract(
    state: web::Data<ServiceContext>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::get_contract(&state, caller, id.into_inner().into()).await?))
}

/// An amendment of a contract's terms.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ContractAmendment)]
pub struct AmendmentBody {
    /// Gregorian `YYYY-MM-DD` or Jalali (`1403-07-15`): within the contract's validity and after
    /// the previous version's date.
    #[schema(pattern = "^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub effective_from: String,
    /// The terms that change; the others carry over from the previous version.
    #[schema(value_type = ContractTerms)]
    pub terms: serde_json::Map<String, serde_json::Value>,
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    pub note: Option<String>,
}

/// Amend the terms from a date (admin); the changed terms merge into the previous version's.
#[utoipa::path(post, path = "/api/v1/contracts/{id}/amendments", tag = "providers", params(Id), request_body = AmendmentBody,
    responses((status = 201, description = "The contract with the new version.", body = ContractView),
        (status = 409, response = responses::Conflict)))]
pub async fn amend(
    state: web::Data<ServiceContext>,
    admin: Require<Admins>,
    id: web::Path<String>,
    body: ApiJson<AmendmentBody>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    let date = date_field("effective_from", &b.effective_from)?;
    let v = service::amend(&state, admin.caller, id.into_inner().into(), date, b.terms, b.note).await?;
    Ok(HttpResponse::Created().json(v))
}

/// A change of a contract's state.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ContractStatusChange)]
pub struct StatusBody {
    pub action: ContractAction,
    /// Gregorian `YYYY-MM-DD` or Jalali (`1403-07-15`): within the contract's validity and not
    /// before its last change of state.
    #[schema(pattern = "^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub effective_on: String,
    /// Required to suspend or terminate.
    pub reason: Option<StatusReason>,
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    pub note: Option<String>,
}

/// Activate, suspend, reinstate or terminate (admin). Suspend and terminate need a reason.
#[utoipa::path(post, path = "/api/v1/contracts/{id}/status", tag = "providers", params(Id), request_body = StatusBody,
    responses((status = 200, description = "The contract after the change.", body = ContractView),
        (status = 409, response = responses::Conflict)))]
pub async fn change_status(
    state: web::Data<ServiceContext>,
    admin: Require<Admins>,
    id: web::Path<String>,
    body: ApiJson<StatusBody>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    let date = date_field("effective_on", &b.effective_on)?;
    let v = service::change_status(
        &state,
        admin.caller,
        id.into_inner().into(),
        b.action,
        date,
        b.reason,
        b.note,
    )
    .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DateQuery {
    /// Gregorian `YYYY-MM-DD` or Jalali (`1403-07-15`); default today.
    #[param(pattern = "^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub date: Option<String>,
}

/// Which contract and terms applied on a date, and the contract's standing then.
#[utoipa::path(get, path = "/api/v1/providers/{id}/contract", tag = "providers", params(Id, DateQuery),
    responses((status = 200, description = "The terms in force (404 when no contract of the provider covers the date).",
        body = TermsOnDate)))]
pub async fn contract_on(
    state: web::Data<ServiceContext>,
    caller: Caller,
    id: web::Path<String>,
    q: web::Query<DateQuery>,
) -> AppResult<HttpResponse> {
    let date = match q.into_inner().date {
        Some(d) => date_field("date", &d)?,
        None => state.today(),
    };
    Ok(HttpResponse::Ok().json(service::contract_on(&state, caller, id.into_inner().into(), date).await?))
}
