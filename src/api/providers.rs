//! `/api/v1/providers` and `/api/v1/contracts`.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::api::{date_field, page_limit, ts, ApiJson, Page};
use crate::auth::{Admins, Caller, Require};
use crate::context::ServiceContext;
use crate::domain::contract::{ContractAction, ContractTerms, StatusReason};
use crate::domain::ids::Sheba;
use crate::domain::provider::{PhysicianDegree, ProviderKind};
use crate::domain::tariff::Sector;
use crate::domain::text::{normalize_identifier, normalize_persian};
use crate::error::{AppError, AppResult, FieldError};
use crate::services::providers::{self as service, NewContract};
use crate::store::audit::Actor;
use crate::store::providers::{ProviderFilter, ProviderRow};
use crate::store::{new_id, now};

#[derive(Serialize)]
pub struct ProviderView {
    pub id: String,
    pub name_fa: String,
    pub name_en: Option<String>,
    pub kind: String,
    pub sector: String,
    pub hospital_grade: Option<i32>,
    pub sso_owned: bool,
    pub province_id: i32,
    pub office_id: String,
    pub legal_national_id: Option<String>,
    pub medical_council_no: Option<String>,
    pub physician_degree: Option<String>,
    pub sheba: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub active: bool,
    pub created_at: String,
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
#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct ProviderBody {
    #[validate(length(min = 1, max = 300))]
    pub name_fa: String,
    #[validate(length(min = 1, max = 300))]
    pub name_en: Option<String>,
    pub kind: ProviderKind,
    pub sector: Sector,
    #[validate(range(min = 1, max = 4))]
    pub hospital_grade: Option<i32>,
    #[serde(default)]
    pub sso_owned: bool,
    #[validate(range(min = 1, max = 31))]
    pub province_id: i32,
    #[validate(length(min = 1, max = 64))]
    pub office_id: String,
    /// National id of the legal entity (شناسه ملی), 11 digits.
    pub legal_national_id: Option<String>,
    /// Medical council number (شماره نظام پزشکی) of a physician's or dentist's office.
    pub medical_council_no: Option<String>,
    pub physician_degree: Option<PhysicianDegree>,
    pub sheba: Option<String>,
    #[validate(email)]
    pub email: Option<String>,
    #[validate(length(max = 32))]
    pub phone: Option<String>,
    #[validate(length(max = 500))]
    pub address: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

impl ProviderBody {
    /// Checks that depend on the kind, and normalizes; errors name each field.
    fn into_row(self, id: String) -> AppResult<ProviderRow> {
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
            office_id: self.office_id,
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

pub async fn create(
    state: web::Data<ServiceContext>,
    admin: Require<Admins>,
    body: ApiJson<ProviderBody>,
) -> AppResult<HttpResponse> {
    let row = body.0.into_row(new_id())?;
    let row = service::create(&state, Actor::of(&admin), row).await?;
    Ok(HttpResponse::Created().json(ProviderView::from(row)))
}

pub async fn update(
    state: web::Data<ServiceContext>,
    admin: Require<Admins>,
    id: web::Path<String>,
    body: ApiJson<ProviderBody>,
) -> AppResult<HttpResponse> {
    let row = body.0.into_row(id.into_inner())?;
    let row = service::update(&state, Actor::of(&admin), row).await?;
    Ok(HttpResponse::Ok().json(ProviderView::from(row)))
}

pub async fn deactivate(
    state: web::Data<ServiceContext>,
    admin: Require<Admins>,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    service::deactivate(&state, Actor::of(&admin), id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn get(
    state: web::Data<ServiceContext>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let row = service::get(&state, caller, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(ProviderView::from(row)))
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub office_id: Option<String>,
    pub province_id: Option<i32>,
    pub kind: Option<ProviderKind>,
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

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
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(Page::<ProviderView>::from_rows(
        rows,
        limit,
        |r| r.id.clone(),
        ProviderView::from,
    )))
}

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct ContractBody {
    #[validate(length(min = 1, max = 64))]
    pub number: String,
    /// ISO or Jalali.
    pub valid_from: String,
    pub valid_to: String,
    /// Terms of version 1; omitted fields take their defaults.
    #[serde(default)]
    pub terms: Option<serde_json::Value>,
    #[validate(length(max = 1000))]
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

pub async fn create_contract(
    state: web::Data<ServiceContext>,
    admin: Require<Admins>,
    provider_id: web::Path<String>,
    body: ApiJson<ContractBody>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    let new = NewContract {
        number: normalize_identifier(&b.number),
        provider_id: provider_id.into_inner(),
        valid_from: date_field("valid_from", &b.valid_from)?,
        valid_to: date_field("valid_to", &b.valid_to)?,
        terms: terms_from(b.terms)?,
        note: b.note,
    };
    let v = service::create_contract(&state, admin.caller, new).await?;
    Ok(HttpResponse::Created().json(v))
}

pub async fn provider_contracts(
    state: web::Data<ServiceContext>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let items = service::provider_contracts(&state, caller, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items, "next_cursor": null })))
}

pub async fn get_contract(
    state: web::Data<ServiceContext>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::get_contract(&state, caller, id.into_inner()).await?))
}

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct AmendmentBody {
    pub effective_from: String,
    /// The terms that change; the others carry over from the previous version.
    pub terms: serde_json::Map<String, serde_json::Value>,
    #[validate(length(max = 1000))]
    pub note: Option<String>,
}

pub async fn amend(
    state: web::Data<ServiceContext>,
    admin: Require<Admins>,
    id: web::Path<String>,
    body: ApiJson<AmendmentBody>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    let date = date_field("effective_from", &b.effective_from)?;
    let v = service::amend(&state, admin.caller, id.into_inner(), date, b.terms, b.note).await?;
    Ok(HttpResponse::Created().json(v))
}

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    pub action: ContractAction,
    pub effective_on: String,
    /// Required to suspend or terminate.
    pub reason: Option<StatusReason>,
    #[validate(length(max = 1000))]
    pub note: Option<String>,
}

pub async fn change_status(
    state: web::Data<ServiceContext>,
    admin: Require<Admins>,
    id: web::Path<String>,
    body: ApiJson<StatusBody>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    let date = date_field("effective_on", &b.effective_on)?;
    let v = service::change_status(&state, admin.caller, id.into_inner(), b.action, date, b.reason, b.note)
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[derive(Debug, Deserialize)]
pub struct DateQuery {
    pub date: Option<String>,
}

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
    Ok(HttpResponse::Ok().json(service::contract_on(&state, caller, id.into_inner(), date).await?))
}
