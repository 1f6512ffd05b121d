//! `/api/v1/provinces` and `/api/v1/offices`. Reading is open to every authenticated caller
//! (providers need to know their office); changes are for admins.

use crate::domain::record_ids::OfficeId;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::api::openapi::params::Id;
use crate::api::openapi::responses;
use crate::api::{page_limit, ts, ApiJson, Page};
use crate::auth::{Admins, Caller, Require};
use crate::context::ServiceContext;
use crate::domain::text::{normalize_identifier, normalize_persian};
use crate::error::AppResult;
use crate::services;
use crate::services::offices::OfficeInput;
use crate::store::audit::Actor;
use crate::store::offices::{OfficeFilter, OfficeRow, ProvinceRow};

/// This module's part of the contract (see `api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(list_provinces, list, create, get, update, deactivate))]
pub struct Api;

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Province)]
pub struct ProvinceView {
    pub id: i32,
    pub code: String,
    pub name_fa: String,
    pub name_en: String,
}

impl From<ProvinceRow> for ProvinceView {
    fn from(p: ProvinceRow) -> Self {
        Self { id: p.id, code: p.code, name_fa: p.name_fa, name_en: p.name_en }
    }
}

/// The 31 provinces.
#[utoipa::path(get, path = "/api/v1/provinces", tag = "offices",
    responses((status = 200, description = "All provinces, in one page (`next_cursor` is always null).", body = Page<ProvinceView>)))]
pub async fn list_provinces(state: web::Data<ServiceContext>, _caller: Caller) -> AppResult<HttpResponse> {
    let rows = services::offices::provinces(&state).await?;
    let items: Vec<ProvinceView> = rows.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(Page { items, next_cursor: None }))
}

/// A review office (دفتر رسیدگی).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Office)]
pub struct OfficeView {
    pub id: OfficeId,
    pub province_id: i32,
    pub code: String,
    pub name_fa: String,
    pub name_en: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub active: bool,
    /// Above this payable (rials) a claim waits for a reviewer; null: no limit.
    pub auto_approve_limit: Option<i64>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<OfficeRow> for OfficeView {
    fn from(o: OfficeRow) -> Self {
        Self {
            id: o.id,
            province_id: o.province_id,
            code: o.code,
            name_fa: o.name_fa,
            name_en: o.name_en,
            address: o.address,
            phone: o.phone,
            email: o.email,
            active: o.active,
            auto_approve_limit: o.auto_approve_limit,
            created_at: ts(o.created_at),
            updated_at: ts(o.updated_at),
        }
    }
}

/// The body of POST and PUT: the whole office.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[schema(as = OfficeInput)]
#[serde(deny_unknown_fields)]
pub struct OfficeBody {
    /// One of the 31 provinces (`GET /api/v1/provinces`).
    #[validate(range(min = 1, max = 31))]
    #[schema(minimum = 1, maximum = 31)]
    pub province_id: i32,
    /// Unique; stored in upper case.
    #[validate(length(min = 1, max = 32))]
    #[schema(min_length = 1, max_length = 32)]
    pub code: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name_fa: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name_en: String,
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub address: Option<String>,
    #[validate(length(max = 32))]
    #[schema(max_length = 32)]
    pub phone: Option<String>,
    #[validate(email)]
    #[schema(format = Email)]
    pub email: Option<String>,
    #[serde(default = "yes")]
    #[schema(default = true)]
    pub active: bool,
    /// Above this payable (rials) a claim waits for a reviewer; null or absent: no limit.
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub auto_approve_limit: Option<i64>,
}

fn yes() -> bool {
    true
}

impl From<OfficeBody> for OfficeInput {
    fn from(b: OfficeBody) -> Self {
        Self {
            province_id: b.province_id,
            code: normalize_identifier(&b.code).to_uppercase(),
            name_fa: normalize_persian(&b.name_fa),
            name_en: b.name_en.trim().to_string(),
            address: b.address.map(|a| normalize_persian(&a)),
            phone: b.phone.map(|p| normalize_identifier(&p)),
            email: b.email.map(|e| e.trim().to_string()),
            active: b.active,
            auto_approve_limit: b.auto_approve_limit,
        }
    }
}

/// Create a review office (admin).
#[utoipa::path(post, path = "/api/v1/offices", tag = "offices", request_body = OfficeBody,
    responses((status = 201, description = "Created.", body = OfficeView), (status = 409, response = responses::Conflict)))]
pub async fn create(
    state: web::Data<ServiceContext>,
    admin: Require<Admins>,
    body: ApiJson<OfficeBody>,
) -> AppResult<HttpResponse> {
    let row = services::offices::create(&state, Actor::of(&admin), body.0.into()).await?;
    Ok(HttpResponse::Created().json(OfficeView::from(row)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only the offices of this province.
    pub province_id: Option<i32>,
    /// Only active (`true`) or deactivated (`false`) offices.
    pub active: Option<bool>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List review offices (دفاتر رسیدگی).
#[utoipa::path(get, path = "/api/v1/offices", tag = "offices", params(ListQuery),
    responses((status = 200, description = "A page of offices.", body = Page<OfficeView>)))]
pub async fn list(
    state: web::Data<ServiceContext>,
    _caller: Caller,
    q: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let limit = page_limit(q.limit)?;
    let rows = services::offices::list(
        &state,
        OfficeFilter { province_id: q.province_id, active: q.active, after: q.cursor, limit },
    )
    .await?;
    Ok(HttpResponse::Ok().json(Page::<OfficeView>::from_rows(
        rows,
        limit,
        |r| r.id.to_string(),
        OfficeView::from,
    )))
}

/// One office.
#[utoipa::path(get, path = "/api/v1/offices/{id}", tag = "offices", params(Id),
    responses((status = 200, description = "The office.", body = OfficeView)))]
pub async fn get(
    state: web::Data<ServiceContext>,
    _caller: Caller,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let row = services::offices::get(&state, id.into_inner().into()).await?;
    Ok(HttpResponse::Ok().json(OfficeView::from(row)))
}

/// Replace an office's details (admin).
#[utoipa::path(put, path = "/api/v1/offices/{id}", tag = "offices", params(Id), request_body = OfficeBody,
    responses((status = 200, description = "The updated office.", body = OfficeView), (status = 409, response = responses::Conflict)))]
pub async fn update(
    state: web::Data<ServiceContext>,
    admin: Require<Admins>,
    id: web::Path<String>,
    body: ApiJson<OfficeBody>,
) -> AppResult<HttpResponse> {
    let row =
        services::offices::update(&state, Actor::of(&admin), id.into_inner().into(), body.0.into()).await?;
    Ok(HttpResponse::Ok().json(OfficeView::from(row)))
}

/// Deactivate an office (admin).
///
/// Offices are never deleted (users, claims and contracts refer to them): they are deactivated.
#[utoipa::path(delete, path = "/api/v1/offices/{id}", tag = "offices", params(Id),
    responses((status = 204, description = "Deactivated.")))]
pub async fn deactivate(
    state: web::Data<ServiceContext>,
    admin: Require<Admins>,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    services::offices::deactivate(&state, Actor::of(&admin), id.into_inner().into()).await?;
    Ok(HttpResponse::NoContent().finish())
}
