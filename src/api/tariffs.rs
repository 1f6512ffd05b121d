//! `/api/v1/tariffs`: the approved tariffs, readable by every authenticated caller; imports by
//! tariff admins.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use validator::Validate;

use crate::api::{page_limit, ApiJson};
use crate::auth::Role;
use crate::auth::{Caller, Require, RoleSet};
use crate::context::ServiceContext;
use crate::domain::tariff::{ServiceCategory, Tariff};
use crate::domain::text::{ascii_digits, normalize_persian};
use crate::error::{AppError, AppResult};
use crate::services::tariffs::{import_files, load_book, Outcome};

/// Who may import tariffs.
pub struct TariffAdmins;
impl RoleSet for TariffAdmins {
    const ROLES: &'static [Role] = &[Role::TariffAdmin, Role::Admin];
}

#[derive(Serialize)]
struct RevisionView {
    year: i32,
    revision: i32,
    status: &'static str,
    effective_from: String,
    effective_from_gregorian: String,
    cabinet_resolution: String,
    note: String,
    services: usize,
    drugs: usize,
    devices: usize,
}

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
    HttpResponse::Ok().json(json!({ "items": items, "next_cursor": null }))
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

#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    /// A code prefix (digits) or words of the description.
    pub q: Option<String>,
    pub category: Option<String>,
    pub group: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Filters, sorts by code and pages any of the tariff's lists.
fn page<'a, T: Serialize + 'a>(
    tariff: &Tariff,
    items: impl Iterator<Item = (&'a String, &'a T)>,
    matches: impl Fn(&T) -> bool,
    limit: i64,
    cursor: Option<&str>,
) -> serde_json::Value {
    let mut found: Vec<(&String, &T)> =
        items.filter(|(code, item)| cursor.is_none_or(|c| code.as_str() > c) && matches(item)).collect();
    found.sort_by(|a, b| a.0.cmp(b.0));
    let more = found.len() as i64 > limit;
    found.truncate(limit as usize);
    let next = if more { found.last().map(|(c, _)| c.to_string()) } else { None };
    json!({
        "tariff_year": tariff.meta.year,
        "tariff_revision": tariff.meta.revision,
        "tariff_status": tariff.meta.status.as_str(),
        "items": found.iter().map(|(_, t)| t).collect::<Vec<_>>(),
        "next_cursor": next,
    })
}

pub async fn services(
    state: web::Data<ServiceContext>,
    _caller: Caller,
    year: web::Path<i32>,
    q: web::Query<SearchQuery>,
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

fn with_tariff<T: Serialize>(t: &Tariff, item: &T) -> serde_json::Value {
    let mut v = serde_json::to_value(item).unwrap_or_default();
    if let Some(obj) = v.as_object_mut() {
        obj.insert("tariff_year".into(), json!(t.meta.year));
        obj.insert("tariff_revision".into(), json!(t.meta.revision));
        obj.insert("tariff_status".into(), json!(t.meta.status.as_str()));
    }
    v
}

pub async fn drugs(
    state: web::Data<ServiceContext>,
    _caller: Caller,
    year: web::Path<i32>,
    q: web::Query<SearchQuery>,
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

pub async fn devices(
    state: web::Data<ServiceContext>,
    _caller: Caller,
    year: web::Path<i32>,
    q: web::Query<SearchQuery>,
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

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    /// File name → content, exactly the files of a year folder (meta.toml, services.csv, …).
    #[validate(length(min = 1, max = 16))]
    pub files: HashMap<String, String>,
}

pub async fn import(
    state: web::Data<ServiceContext>,
    admin: Require<TariffAdmins>,
    body: ApiJson<ImportRequest>,
) -> AppResult<HttpResponse> {
    let files = body.0.files;
    let actor = crate::store::audit::Actor::of(&admin);
    let (report, book) = state
        .db(move |conn| {
            let report = import_files(conn, &files, &actor)?;
            let book = if report.outcome == Outcome::Unchanged { None } else { Some(load_book(conn)?) };
            Ok((report, book))
        })
        .await?;
    if let Some(book) = book {
        state.set_tariffs(book);
    }
    let body = json!({
        "year": report.year,
        "revision": report.revision,
        "status": report.status.as_str(),
        "outcome": report.outcome,
    });
    Ok(match report.outcome {
        Outcome::Unchanged => HttpResponse::Ok().json(body),
        _ => HttpResponse::Created().json(body),
    })
}
