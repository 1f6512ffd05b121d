//! Paying providers: `/api/v1/advances`, `/api/v1/settlements`, `/api/v1/payment-orders` and
//! `/api/v1/reconciliation`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use validator::Validate;

use crate::api::{date_field, ApiJson};
use crate::auth::{Caller, Finances, Require, Staff};
use crate::context::ServiceContext;
use crate::error::{AppError, AppResult};
use crate::services::settlements as service;
use crate::store::settlements::SettlementFilter;

fn month_field(field: &str, m: &str) -> AppResult<String> {
    if crate::domain::jalali::is_month(m) {
        Ok(m.to_string())
    } else {
        Err(AppError::field(field, "invalid", "must be a Jalali month, YYYY-MM"))
    }
}

pub async fn advances(state: web::Data<ServiceContext>, caller: Caller) -> AppResult<HttpResponse> {
    let items = service::advances(&state, caller).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items, "next_cursor": null })))
}

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct PaymentBody {
    pub paid_on: String,
    #[validate(length(min = 1, max = 64))]
    pub bank_reference: String,
}

pub async fn pay_advance(
    state: web::Data<ServiceContext>,
    finance: Require<Finances>,
    id: web::Path<String>,
    body: ApiJson<PaymentBody>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    let paid_on = date_field("paid_on", &b.paid_on)?;
    let a = service::pay_advance(&state, finance.caller, id.into_inner(), paid_on, b.bank_reference).await?;
    Ok(HttpResponse::Ok().json(a))
}

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct RunBody {
    /// One office's providers, or (`province_id`) every office of a province.
    #[validate(length(min = 1, max = 64))]
    pub office_id: Option<String>,
    pub province_id: Option<i32>,
    pub service_month: String,
}

pub async fn run(
    state: web::Data<ServiceContext>,
    finance: Require<Finances>,
    body: ApiJson<RunBody>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    let month = month_field("service_month", &b.service_month)?;
    match (b.office_id, b.province_id) {
        (Some(office), None) => {
            Ok(HttpResponse::Created().json(service::run(&state, finance.caller, office, month).await?))
        }
        (None, Some(province)) => Ok(HttpResponse::Created()
            .json(service::run_province(&state, finance.caller, province, month).await?)),
        _ => Err(AppError::field("office_id", "one_of", "give either office_id or province_id")),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub office_id: Option<String>,
    pub provider_id: Option<String>,
    pub service_month: Option<String>,
    /// Only unpaid settlements past their due date.
    #[serde(default)]
    pub overdue: bool,
}

pub async fn list(
    state: web::Data<ServiceContext>,
    caller: Caller,
    q: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let f = SettlementFilter {
        office_id: q.office_id,
        provider_id: q.provider_id,
        service_month: q.service_month.as_deref().map(|m| month_field("service_month", m)).transpose()?,
        due_before: None,
    };
    let items = service::list(&state, caller, f, q.overdue).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items, "next_cursor": null })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormatQuery {
    /// json (default), csv or html.
    pub format: Option<String>,
}

pub async fn remittance(
    state: web::Data<ServiceContext>,
    caller: Caller,
    id: web::Path<String>,
    q: web::Query<FormatQuery>,
) -> AppResult<HttpResponse> {
    let format = q.into_inner().format.unwrap_or_else(|| "json".into());
    if !["json", "csv", "html"].contains(&format.as_str()) {
        return Err(AppError::field("format", "one_of", "must be json, csv or html"));
    }
    let r = service::remittance(&state, caller, id.into_inner()).await?;
    Ok(match format.as_str() {
        "csv" => {
            HttpResponse::Ok().content_type("text/csv; charset=utf-8").body(service::remittance_csv(&r)?)
        }
        "html" => {
            HttpResponse::Ok().content_type("text/html; charset=utf-8").body(service::remittance_html(&r))
        }
        _ => HttpResponse::Ok().json(r),
    })
}

pub async fn issue_order(
    state: web::Data<ServiceContext>,
    finance: Require<Finances>,
) -> AppResult<HttpResponse> {
    let (order, items) = service::issue_order(&state, finance.caller).await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "order": order, "lines": items })))
}

pub async fn get_order(
    state: web::Data<ServiceContext>,
    _finance: Require<Finances>,
    id: web::Path<String>,
    q: web::Query<FormatQuery>,
) -> AppResult<HttpResponse> {
    let format = q.into_inner().format.unwrap_or_else(|| "json".into());
    if !["json", "csv"].contains(&format.as_str()) {
        return Err(AppError::field("format", "one_of", "must be json or csv"));
    }
    let (order, lines) = service::get_order(&state, id.into_inner()).await?;
    if format == "csv" {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(service::order_csv(&lines)?));
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({ "order": order, "lines": lines })))
}

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct OrderPaidBody {
    #[validate(length(min = 1, max = 64))]
    pub bank_reference: String,
    pub paid_on: String,
}

pub async fn pay_order(
    state: web::Data<ServiceContext>,
    finance: Require<Finances>,
    id: web::Path<String>,
    body: ApiJson<OrderPaidBody>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    let paid_on = date_field("paid_on", &b.paid_on)?;
    Ok(HttpResponse::Ok()
        .json(service::pay_order(&state, finance.caller, id.into_inner(), b.bank_reference, paid_on).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReconcileQuery {
    pub office_id: String,
    pub service_month: String,
}

pub async fn reconcile(
    state: web::Data<ServiceContext>,
    staff: Require<Staff>,
    q: web::Query<ReconcileQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let month = month_field("service_month", &q.service_month)?;
    Ok(HttpResponse::Ok().json(service::reconcile(&state, staff.caller, q.office_id, month).await?))
}
