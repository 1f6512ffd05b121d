//! `/api/v1/tariffs`: the approved tariffs, readable by every authenticated caller; imports by
//! tariff admins.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::api::openapi::responses;
use crate::api::{page_limit, ApiJson, Page};
use crate::auth::Role;
use crate::auth::{Caller, Require, RoleSet};
use crate::context::ServiceContext;
use crate::domain::tariff::{
    DeviceTariff, DrugTariff, ServiceCategory, ServiceTariff, Tariff, TariffStatus, FILES,
};
use crate::domain::text::{ascii_digits, normalize_persian};
use crate::error::{AppError, AppResult};
use crate::services::tariffs::Outcome;

/// This module's part of the contract (see `api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, import, services, service, drugs, drug, devices, device))]
pub struct Api;

/// Who may import tariffs.
pub struct TariffAdmins;
impl RoleSet for TariffAdmins {
    const ROLES: &'static [Role] = &[Role::TariffAdmin, Role::Admin];
}

/// One imported revision of a year's tariff.
#[derive(Serialize, ToSchema)]
#[schema(as = TariffRevision)]
struct RevisionView {
    year: i32,
    revision: i32,
    #[schema(value_type = TariffStatus)]
    status: &'static str,
    /// Jalali date from which the revision is in force, `1403-01-01`.
    #[schema(pattern = r"^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    effective_from: String,
    /// The same date in Gregorian.
    #[schema(format = Date)]
    effective_from_gregorian: String,
    cabinet_resolution: String,
    note: String,
    /// Number of RVU services.
    services: usize,
    /// Number of drugs.
    drugs: usize,
    /// Number of prosthesis and orthosis items.
    devices: usize,
}

/// Every imported tariff revision (year, revision, status, effective date).
#[utoipa::path(get, path = "/api/v1/tariffs", tag = "tariffs",
    responses((status = 200, description = "The revisions, ascending by year and revision, in one page (`next_cursor` is always null).",
        body = Page<RevisionView>)))]
pub async fn list(state: web::Data<ServiceContext>, _caller: Caller) -> HttpResponse {
    let book = state.tariffs();
    let items: Vec<RevisionView> = book
        .all()
        .map(|t| RevisionView {
            year: t.meta.year,
            revision: t.meta.revision,
            status: t.meta.status.as_str(),
            effective_from: t.meta.effective_from.0.to_string(),
            effective_from_gregorian: t.effective_from.to_string(),
            cabinet_resolution: t.meta.cabinet_resolution.clone(),
            note: t.meta.note.clone(),
            services: t.services.len(),
            drugs: t.drugs.len(),
            devices: t.devices.len(),
        })
        .collect();
    HttpResponse::Ok().json(Page { items, next_cursor: None })
}

fn year_tariff(state: &ServiceContext, year: i32) -> AppResult<Arc<Tariff>> {
    state
        .tariffs()
        .year(year)
        .cloned()
        .ok_or_else(|| AppError::not_found(format!("no tariff for the year {year}")))
}

/// Search text as stored: Persian letters, ASCII digits, lower case.
fn normalize_query(q: &str) -> String {
    ascii_digits(&normalize_persian(q)).to_lowercase()
}

/// `?q=&category=&limit=&cursor=` of `GET /api/v1/tariffs/{year}/services`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ServiceQuery {
    /// A code prefix (digits, Persian digits too) or words of the Persian description.
    pub q: Option<String>,
    /// Only services of this category.
    #[param(value_type = Option<ServiceCategory>)]
    pub category: Option<String>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// `?q=&limit=&cursor=` of `GET /api/v1/tariffs/{year}/drugs`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DrugQuery {
    /// A generic code or IRC prefix (digits, Persian digits too), or words of the name.
    pub q: Option<String>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// `?q=&group=&limit=&cursor=` of `GET /api/v1/tariffs/{year}/devices`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeviceQuery {
    /// A code prefix, or words of the Persian or English name.
    pub q: Option<String>,
    /// Only devices of this group: glasses, hearing_aid, denture, wheelchair, orthosis,
    /// prosthesis, mobility, respiratory or other (any other value matches nothing).
    pub group: Option<String>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A page of one of a tariff's lists, with the revision it was read from.
#[derive(Serialize, ToSchema)]
pub struct TariffPage<T> {
    pub tariff_year: i32,
    pub tariff_revision: i32,
    pub tariff_status: TariffStatus,
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// One row of a tariff's lists, with the revision it was read from.
#[derive(Serialize, ToSchema)]
pub struct TariffItem<T> {
    #[serde(flatten)]
    pub item: T,
    pub tariff_year: i32,
    pub tariff_revision: i32,
    pub tariff_status: TariffStatus,
}

/// Filters, sorts by code and pages any of the tariff's lists.
fn page<'a, T: Serialize + 'a>(
    tariff: &Tariff,
    items: impl Iterator<Item = (&'a String, &'a T)>,
    matches: impl Fn(&T) -> bool,
    limit: i64,
    cursor: Option<&str>,
) -> TariffPage<&'a T> {
    let mut found: Vec<(&String, &T)> =
        items.filter(|(code, item)| cursor.is_none_or(|c| code.as_str() > c) && matches(item)).collect();
    found.sort_by(|a, b| a.0.cmp(b.0));
    let more = found.len() as i64 > limit;
    found.truncate(limit as usize);
    let next = if more { found.last().map(|(c, _)| c.to_string()) } else { None };
    TariffPage {
        tariff_year: tariff.meta.year,
        tariff_revision: tariff.meta.revision,
        tariff_status: tariff.meta.status,
        items: found.into_iter().map(|(_, t)| t).collect(),
        next_cursor: next,
    }
}

/// Search the RVU services of a year's latest revision.
#[utoipa::path(get, path = "/api/v1/tariffs/{year}/services", tag = "tariffs", params(Year, ServiceQuery),
    responses((status = 200, description = "A page of services, by code.", body = TariffPage<ServiceTariff>)))]
pub async fn services(
    state: web::Data<ServiceContext>,
    _caller: Caller,
    year: web::Path<i32>,
    q: web::Query<ServiceQuery>,
) -> AppResult<HttpResponse> {
    let t = year_tariff(&state, year.into_inner())?;
    let q = q.into_inner();
    let limit = page_limit(q.limit)?;
    let category = match q.category.as_deref() {
        None => None,
        Some(c) => Some(ServiceCategory::parse(c).ok_or_else(|| {
            AppError::field("category", "invalid_choice", "must be one of visit, lab, pathology, imaging, surgery, procedure, dental, physiotherapy, rehabilitation, other")
        })?),
    };
    let needle = q.q.as_deref().map(normalize_query).filter(|s| !s.is_empty());
    let by_code = needle.as_deref().is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()));
    let body = page(
        &t,
        t.services.iter(),
        |s| {
            category.is_none_or(|c| s.category == c)
                && match &needle {
                    None => true,
                    Some(n) if by_code => s.code.starts_with(n.as_str()),
                    Some(n) => s.description_fa.to_lowercase().contains(n.as_str()),
                }
        },
        limit,
        q.cursor.as_deref(),
    );
    Ok(HttpResponse::Ok().json(body))
}

/// One RVU service of a year's latest revision.
#[utoipa::path(get, path = "/api/v1/tariffs/{year}/services/{code}", tag = "tariffs",
    params(Year, ("code" = String, Path, description = "The 6-digit RVU code (Persian digits too).")),
    responses((status = 200, description = "The service, with the revision it was read from.", body = TariffItem<ServiceTariff>)))]
pub async fn service(
    state: web::Data<ServiceContext>,
    _caller: Caller,
    path: web::Path<(i32, String)>,
) -> AppResult<HttpResponse> {
    let (year, code) = path.into_inner();
    let t = year_tariff(&state, year)?;
    let code = ascii_digits(code.trim());
    let s = t
        .services
        .get(&code)
        .ok_or_else(|| AppError::not_found(format!("no service {code} in the {year} tariff")))?;
    Ok(HttpResponse::Ok().json(with_tariff(&t, s)))
}

fn with_tariff<'a, T: Serialize>(t: &Tariff, item: &'a T) -> TariffItem<&'a T> {
    TariffItem {
        item,
        tariff_year: t.meta.year,
        tariff_revision: t.meta.revision,
        tariff_status: t.meta.status,
    }
}

/// Search the drug list of a year's latest revision (by generic code or IRC prefix, or name).
#[utoipa::path(get, path = "/api/v1/tariffs/{year}/drugs", tag = "tariffs", params(Year, DrugQuery),
    responses((status = 200, description = "A page of drugs, by generic code.", body = TariffPage<DrugTariff>)))]
pub async fn drugs(
    state: web::Data<ServiceContext>,
    _caller: Caller,
    year: web::Path<i32>,
    q: web::Query<DrugQuery>,
) -> AppResult<HttpResponse> {
    let t = year_tariff(&state, year.into_inner())?;
    let q = q.into_inner();
    let limit = page_limit(q.limit)?;
    let needle = q.q.as_deref().map(normalize_query).filter(|s| !s.is_empty());
    let body = page(
        &t,
        t.drugs.iter(),
        |d| match &needle {
            None => true,
            Some(n) if n.bytes().all(|b| b.is_ascii_digit()) => {
                d.generic_code.starts_with(n.as_str()) || d.irc.starts_with(n.as_str())
            }
            Some(n) => d.name.to_lowercase().contains(n.as_str()),
        },
        limit,
        q.cursor.as_deref(),
    );
    Ok(HttpResponse::Ok().json(body))
}

/// One drug of a year's latest revision.
#[utoipa::path(get, path = "/api/v1/tariffs/{year}/drugs/{code}", tag = "tariffs",
    params(Year, ("code" = String, Path, description = "The 5-digit generic code or the 16-digit IRC (Persian digits too).")),
    responses((status = 200, description = "The drug, with the revision it was read from.", body = TariffItem<DrugTariff>)))]
pub async fn drug(
    state: web::Data<ServiceContext>,
    _caller: Caller,
    path: web::Path<(i32, String)>,
) -> AppResult<HttpResponse> {
    let (year, code) = path.into_inner();
    let t = year_tariff(&state, year)?;
    let code = ascii_digits(code.trim());
    let d =
        t.drug(&code).ok_or_else(|| AppError::not_found(format!("no drug {code} in the {year} tariff")))?;
    Ok(HttpResponse::Ok().json(with_tariff(&t, d)))
}

/// Search the prosthesis and orthosis items of a year's latest revision.
#[utoipa::path(get, path = "/api/v1/tariffs/{year}/devices", tag = "tariffs", params(Year, DeviceQuery),
    responses((status = 200, description = "A page of devices, by code.", body = TariffPage<DeviceTariff>)))]
pub async fn devices(
    state: web::Data<ServiceContext>,
    _caller: Caller,
    year: web::Path<i32>,
    q: web::Query<DeviceQuery>,
) -> AppResult<HttpResponse> {
    let t = year_tariff(&state, year.into_inner())?;
    let q = q.into_inner();
    let limit = page_limit(q.limit)?;
    let needle = q.q.as_deref().map(normalize_query).filter(|s| !s.is_empty());
    let body = page(
        &t,
        t.devices.iter(),
        |d| {
            q.group.as_deref().is_none_or(|g| d.group == g)
                && needle.as_deref().is_none_or(|n| {
                    d.code.to_lowercase().starts_with(n)
                        || d.name_fa.contains(n)
                        || d.name_en.to_lowercase().contains(n)
                })
        },
        limit,
        q.cursor.as_deref(),
    );
    Ok(HttpResponse::Ok().json(body))
}

/// One prosthesis or orthosis item of a year's latest revision.
#[utoipa::path(get, path = "/api/v1/tariffs/{year}/devices/{code}", tag = "tariffs",
    params(Year, ("code" = String, Path, description = "`D` and 3 digits (case does not matter).")),
    responses((status = 200, description = "The device, with the revision it was read from.", body = TariffItem<DeviceTariff>)))]
pub async fn device(
    state: web::Data<ServiceContext>,
    _caller: Caller,
    path: web::Path<(i32, String)>,
) -> AppResult<HttpResponse> {
    let (year, code) = path.into_inner();
    let t = year_tariff(&state, year)?;
    let code = code.trim().to_uppercase();
    let d = t
        .devices
        .get(&code)
        .ok_or_else(|| AppError::not_found(format!("no device {code} in the {year} tariff")))?;
    Ok(HttpResponse::Ok().json(with_tariff(&t, d)))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(as = TariffImportRequest)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    /// File name → content, exactly the files of a year folder (meta.toml, services.csv, …).
    #[validate(length(min = 1, max = 16))]
    #[schema(schema_with = tariff_files_schema)]
    pub files: HashMap<String, String>,
}

/// `files`: exactly the eight files of a year folder, each a text; a missing or unexpected
/// file is a 422.
fn tariff_files_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Type};
    let mut object = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(format!(
            "File name → content: exactly the files of a year folder ({}); see `tariffs/README.md`.",
            FILES.join(", ")
        )))
        .additional_properties(Some(AdditionalProperties::FreeForm(false)));
    for name in FILES {
        object = object.property(name, ObjectBuilder::new().schema_type(Type::String)).required(name);
    }
    object.build()
}

/// `POST /api/v1/tariffs/import`.
#[derive(Serialize, ToSchema)]
#[schema(as = TariffImport)]
struct ImportView {
    year: i32,
    revision: i32,
    status: TariffStatus,
    outcome: Outcome,
}

/// `{year}` of the tariff routes.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // documentation only: the handlers read `web::Path<i32>`
struct Year {
    /// Jalali year, e.g. 1403; its latest revision is read.
    year: i32,
}

/// Validate and import one year's files (tariff_admin, admin).
///
/// The same (year, revision) with the same content is a no-op (200). An official revision
/// never changes: a correction is a new revision with its own effective date (409 otherwise);
/// a sample revision may be replaced in place while it is the year's latest. Errors name
/// `file:line` in `errors[].field`; nothing is imported then.
#[utoipa::path(post, path = "/api/v1/tariffs/import", tag = "tariffs", request_body = ImportRequest,
    responses((status = 200, description = "Already imported with the same content; nothing changed.", body = ImportView),
        (status = 201, description = "Imported (`outcome` `imported`, or `replaced` for a sample revision replaced in place).", body = ImportView),
        (status = 409, response = responses::Conflict)))]
pub async fn import(
    state: web::Data<ServiceContext>,
    admin: Require<TariffAdmins>,
    body: ApiJson<ImportRequest>,
) -> AppResult<HttpResponse> {
    let files = body.0.files;
    let actor = crate::store::audit::Actor::of(&admin);
    let report = crate::services::tariffs::import(&state, files, actor).await?;
    let body = ImportView {
        year: report.year,
        revision: report.revision,
        status: report.status,
        outcome: report.outcome,
    };
    Ok(match report.outcome {
        Outcome::Unchanged => HttpResponse::Ok().json(body),
        _ => HttpResponse::Created().json(body),
    })
}
