//! `/api/v1/budgets`: approved annual budgets (بودجهٔ مصوب سالانه) of offices and provinces.
//! Administrators enter, change and import them; the Organization's staff read those of their
//! scope (`services::budgets`); providers and insured persons are refused.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::api::openapi::params::Id;
use crate::api::openapi::responses;
use crate::api::{page_limit, ts, ApiJson, Page};
use crate::auth::Caller;
use crate::context::ServiceContext;
use crate::domain::budget::{Benefit, Level};
use crate::domain::record_ids::{BudgetId, OfficeId, UserId};
use crate::error::{AppError, AppResult};
use crate::services::budgets::{self as service, BudgetChange, BudgetInput, ImportReport};
use crate::store::budgets::{BudgetFilter, BudgetRow};

/// This module's part of the contract (see `api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, create, get, update, import), components(schemas(ImportReport)))]
pub struct Api;

/// An approved annual budget (بودجهٔ مصوب سالانه) of an office or a province for one benefit.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Budget)]
pub struct BudgetView {
    pub id: BudgetId,
    /// The Jalali year.
    pub year: i32,
    pub level: Level,
    /// Set when `level` is `office`.
    pub office_id: Option<OfficeId>,
    /// Set when `level` is `province`.
    pub province_id: Option<i32>,
    pub benefit: Benefit,
    /// The approved amount, integer rials.
    pub amount_rials: i64,
    pub note: Option<String>,
    /// Who entered it.
    pub created_by: UserId,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<BudgetRow> for BudgetView {
    fn from(r: BudgetRow) -> Self {
        Self {
            id: r.id,
            year: r.year,
            // The table's CHECKs admit only these values.
            level: Level::parse(&r.level).unwrap_or(Level::Office),
            office_id: r.office_id,
            province_id: r.province_id,
            benefit: Benefit::parse(&r.benefit).unwrap_or(Benefit::Claims),
            amount_rials: r.amount_rials,
            note: r.note,
            created_by: r.created_by,
            created_at: ts(r.created_at),
            updated_at: ts(r.updated_at),
        }
    }
}

/// The body of POST: a new budget.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[schema(as = BudgetInput)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    /// The Jalali year (1300–1600).
    #[validate(range(min = 1300, max = 1600))]
    #[schema(minimum = 1300, maximum = 1600)]
    pub year: i32,
    pub level: Level,
    /// Required when `level` is `office`, absent otherwise.
    pub office_id: Option<String>,
    /// Required when `level` is `province` (1–31), absent otherwise.
    pub province_id: Option<i32>,
    pub benefit: Benefit,
    /// Integer rials, more than zero.
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub amount_rials: i64,
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

/// The body of PUT: the amount and the note (a budget's year, unit and benefit never change).
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[schema(as = BudgetChange)]
#[serde(deny_unknown_fields)]
pub struct ChangeBody {
    /// Integer rials, more than zero.
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub amount_rials: i64,
    /// The note; absent or null clears it.
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

impl From<CreateBody> for BudgetInput {
    fn from(b: CreateBody) -> Self {
        Self {
            year: b.year,
            level: b.level,
            office_id: b.office_id.map(OfficeId::from),
            province_id: b.province_id,
            benefit: b.benefit,
            amount_rials: b.amount_rials,
            note: b.note,
        }
    }
}

impl From<ChangeBody> for BudgetChange {
    fn from(b: ChangeBody) -> Self {
        Self { amount_rials: b.amount_rials, note: b.note }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this Jalali year.
    pub year: Option<i32>,
    /// `office` or `province`.
    pub level: Option<String>,
    /// Only this office's budgets.
    pub office_id: Option<String>,
    /// Only this province's own budgets (not its offices').
    pub province_id: Option<i32>,
    /// `claims`, `reimbursements`, `devices` or `travel`.
    pub benefit: Option<String>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The budgets of the caller's scope (staff; providers and insured persons 403).
///
/// An office's reviewers and supervisors read their office's budgets, a province scope its own
/// and its offices', Organization-wide roles every one.
#[utoipa::path(get, path = "/api/v1/budgets", tag = "budgets", params(ListQuery),
    responses((status = 200, description = "A page of budgets, oldest first.", body = Page<BudgetView>)))]
pub async fn list(
    state: web::Data<ServiceContext>,
    caller: Caller,
    q: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let limit = page_limit(q.limit)?;
    if let Some(l) = q.level.as_deref().filter(|l| Level::parse(l).is_none()) {
        return Err(AppError::field("level", "invalid", format!("{l}: office or province")));
    }
    if let Some(b) = q.benefit.as_deref().filter(|b| Benefit::parse(b).is_none()) {
        return Err(AppError::field(
            "benefit",
            "invalid",
            format!("{b}: claims, reimbursements, devices or travel"),
        ));
    }
    let filter = BudgetFilter {
        year: q.year,
        level: q.level,
        office_id: q.office_id.map(OfficeId::from),
        province_id: q.province_id,
        benefit: q.benefit,
        after: q.cursor,
        limit,
    };
    let rows = service::list(&state, &caller, filter).await?;
    Ok(HttpResponse::Ok().json(Page::<BudgetView>::from_rows(
        rows,
        limit,
        |r| r.id.to_string(),
        BudgetView::from,
    )))
}

/// Enter an approved budget (admin).
///
/// One budget per year, unit and benefit: the same again is a 409 (`budget_exists`); change its
/// amount with PUT.
#[utoipa::path(post, path = "/api/v1/budgets", tag = "budgets", request_body = CreateBody,
    responses((status = 201, description = "Entered.", body = BudgetView),
        (status = 409, response = responses::Conflict), (status = 422, response = responses::ValidationFailed)))]
pub async fn create(
    state: web::Data<ServiceContext>,
    caller: Caller,
    body: ApiJson<CreateBody>,
) -> AppResult<HttpResponse> {
    let row = service::create(&state, &caller, body.0.into()).await?;
    Ok(HttpResponse::Created().json(BudgetView::from(row)))
}

/// One budget (404 outside the caller's scope).
#[utoipa::path(get, path = "/api/v1/budgets/{id}", tag = "budgets", params(Id),
    responses((status = 200, description = "The budget.", body = BudgetView), (status = 404, response = responses::NotFound)))]
pub async fn get(
    state: web::Data<ServiceContext>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let row = service::get(&state, &caller, id.into_inner().into()).await?;
    Ok(HttpResponse::Ok().json(BudgetView::from(row)))
}

/// Change a budget's amount and note (admin); the audit trail keeps the amount before.
#[utoipa::path(put, path = "/api/v1/budgets/{id}", tag = "budgets", params(Id), request_body = ChangeBody,
    responses((status = 200, description = "The changed budget.", body = BudgetView),
        (status = 404, response = responses::NotFound), (status = 422, response = responses::ValidationFailed)))]
pub async fn update(
    state: web::Data<ServiceContext>,
    caller: Caller,
    id: web::Path<String>,
    body: ApiJson<ChangeBody>,
) -> AppResult<HttpResponse> {
    let row = service::update(&state, &caller, id.into_inner().into(), body.0.into()).await?;
    Ok(HttpResponse::Ok().json(BudgetView::from(row)))
}

/// Import budgets from CSV (admin): `year,level,code,benefit,amount_rials[,note]`.
///
/// `level` is `office` or `province`, `code` the office's or the province's code (`THR`),
/// `benefit` one of `claims`, `reimbursements`, `devices`, `travel`, `amount_rials` a positive
/// whole number. UTF-8, with or without a byte-order mark. A line equal to the budget entered
/// changes nothing, another amount or note updates it (audited), a new one is entered; without
/// the `note` column notes stay as they are. Every problem is listed in `errors[]` with `field`
/// `line N: column`, and then nothing is written.
#[utoipa::path(post, path = "/api/v1/budgets/import", tag = "budgets",
    request_body(content = String, content_type = "text/csv", description = "The CSV file, with its header line."),
    responses((status = 200, description = "What the import did.", body = ImportReport),
        (status = 422, response = responses::ValidationFailed)))]
pub async fn import(
    state: web::Data<ServiceContext>,
    caller: Caller,
    req: HttpRequest,
    crate::api::RawBody(body): crate::api::RawBody,
) -> AppResult<HttpResponse> {
    service::require_admin(&caller)?;
    let ct = req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.starts_with("text/csv") {
        return Err(AppError::UnsupportedMediaType("send the file as Content-Type: text/csv".into()));
    }
    if body.len() > state.config.max_json_bytes {
        return Err(AppError::PayloadTooLarge(format!(
            "the file is larger than {} bytes",
            state.config.max_json_bytes
        )));
    }
    let report = service::import(&state, &caller, body.to_vec()).await?;
    Ok(HttpResponse::Ok().json(report))
}
