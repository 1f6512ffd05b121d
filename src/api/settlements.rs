//! Paying providers: `/api/v1/advances`, `/api/v1/settlements`, `/api/v1/payment-orders` and
//! `/api/v1/reconciliation`.

use crate::domain::record_ids::{OfficeId, ProviderId};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use validator::Validate;

use crate::api::openapi::params::Id;
use crate::api::openapi::responses;
use crate::api::{date_field, ApiJson, Page};
use crate::auth::{Caller, Finances, Require, Staff};
use crate::context::ServiceContext;
use crate::error::{AppError, AppResult};
use crate::services::settlements::{
    self as service, OrderLine, ProvinceOutcome, Reconciliation, Remittance, RunOutcome, RunPreview,
    SettlementView,
};
use crate::store::settlements::{AdvanceRow, OrderRow, SettlementFilter};

/// This module's part of the contract (see `api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    advances,
    pay_advance,
    list,
    run,
    preview,
    remittance,
    list_orders,
    issue_order,
    get_order,
    pay_order,
    reconcile
))]
pub struct Api;

fn month_field(field: &str, m: &str) -> AppResult<String> {
    if crate::domain::jalali::is_month(m) {
        Ok(m.to_string())
    } else {
        Err(AppError::field(field, "invalid", "must be a Jalali month, YYYY-MM"))
    }
}

/// Advances (علی‌الحساب) due on monthly lists, in the caller's scope.
///
/// An advance is the contract's percent of what the list's new documents claim from the
/// Organization (billed less franchise and gap), due the contract's days after receipt; it is
/// made when the list has been read.
#[utoipa::path(get, path = "/api/v1/advances", tag = "payment",
    responses((status = 200, description = "The advances (at most 500, in one page: `next_cursor` is always null).",
        body = Page<AdvanceRow>)))]
pub async fn advances(state: web::Data<ServiceContext>, caller: Caller) -> AppResult<HttpResponse> {
    let items = service::advances(&state, caller).await?;
    Ok(HttpResponse::Ok().json(Page { items, next_cursor: None }))
}

/// The bank's payment of an advance.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AdvancePayment)]
pub struct PaymentBody {
    /// Gregorian `YYYY-MM-DD` or Jalali (`1403-07-15`).
    #[schema(pattern = "^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub paid_on: String,
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub bank_reference: String,
}

/// Finance records an advance as paid (once).
#[utoipa::path(post, path = "/api/v1/advances/{id}/payment", tag = "payment", params(Id), request_body = PaymentBody,
    responses((status = 200, description = "Recorded; the advance.", body = AdvanceRow), (status = 409, response = responses::Conflict)))]
pub async fn pay_advance(
    state: web::Data<ServiceContext>,
    finance: Require<Finances>,
    id: web::Path<String>,
    body: ApiJson<PaymentBody>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    let paid_on = date_field("paid_on", &b.paid_on)?;
    let a = service::pay_advance(&state, finance.caller, id.into_inner().into(), paid_on, b.bank_reference)
        .await?;
    Ok(HttpResponse::Ok().json(a))
}

/// A settlement run: one office or one province (not both), for a Jalali month.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SettlementRunRequest)]
pub struct RunBody {
    /// One office's providers, or (`province_id`) every office of a province.
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub office_id: Option<String>,
    /// Every office of the province, in one transaction.
    pub province_id: Option<i32>,
    /// Jalali month, `1403-07`.
    #[schema(pattern = "^1[34][0-9]{2}-(0[1-9]|1[0-2])$")]
    pub service_month: String,
}

/// The answer to `POST /api/v1/settlements`: an office's run, or a province's.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[schema(as = SettlementRunResult)]
pub enum RunResult {
    Office(RunOutcome),
    Province(ProvinceOutcome),
}

/// Settle an office's (or a province's) providers for a Jalali month, once per provider and month.
///
/// The run nets advances, corrections and earlier negative balances (`carried_in`). A settlement's
/// status is `approved` (to pay), `closed` (net zero) or `carried` (negative; the next settlement
/// nets it and `carried_to` names it). A run that finds every provider already settled is a 409.
#[utoipa::path(post, path = "/api/v1/settlements", tag = "payment", request_body = RunBody,
    responses((status = 201, description = "The settlements created: an office's run (`office_id`), or a province's (`province_id`).",
        body = RunResult), (status = 409, response = responses::Conflict)))]
pub async fn run(
    state: web::Data<ServiceContext>,
    finance: Require<Finances>,
    body: ApiJson<RunBody>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    let month = month_field("service_month", &b.service_month)?;
    match (b.office_id, b.province_id) {
        (Some(office), None) => Ok(HttpResponse::Created()
            .json(RunResult::Office(service::run(&state, finance.caller, office.into(), month).await?))),
        (None, Some(province)) => Ok(HttpResponse::Created().json(RunResult::Province(
            service::run_province(&state, finance.caller, province, month).await?,
        ))),
        _ => Err(AppError::field("office_id", "one_of", "give either office_id or province_id")),
    }
}

/// What a run would store, without storing it: per office, each provider's claims payable,
/// adjustments, advances and carried balances netted, and the net.
///
/// The same body as `POST /api/v1/settlements` and the same computation: running right after
/// stores exactly these amounts. Providers already settled for the month are listed apart.
#[utoipa::path(post, path = "/api/v1/settlements/preview", tag = "payment", request_body = RunBody,
    responses((status = 200, description = "The preview.", body = RunPreview)))]
pub async fn preview(
    state: web::Data<ServiceContext>,
    finance: Require<Finances>,
    body: ApiJson<RunBody>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    let month = month_field("service_month", &b.service_month)?;
    let out =
        service::preview(&state, finance.caller, b.office_id.map(Into::into), b.province_id, month).await?;
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Settlements of this office's providers.
    pub office_id: Option<OfficeId>,
    /// Settlements of this provider.
    pub provider_id: Option<ProviderId>,
    /// Jalali service month, `1403-07`.
    #[param(pattern = "^1[34][0-9]{2}-(0[1-9]|1[0-2])$")]
    pub service_month: Option<String>,
    /// Only unpaid settlements past their due date.
    #[serde(default)]
    pub overdue: bool,
}

/// Settlements in the caller's scope.
///
/// `overdue=true` lists the unpaid ones past their due date, with days late and damages.
#[utoipa::path(get, path = "/api/v1/settlements", tag = "payment", params(ListQuery),
    responses((status = 200, description = "The settlements (at most 500, in one page: `next_cursor` is always null).",
        body = Page<SettlementView>), (status = 404, response = responses::NotFound)))]
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
        ..SettlementFilter::default()
    };
    let items = service::list(&state, caller, f, q.overdue).await?;
    Ok(HttpResponse::Ok().json(Page { items, next_cursor: None }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RemittanceQuery {
    /// `json` (default), `csv` or `html`.
    #[param(pattern = "^(json|csv|html)$")]
    pub format: Option<String>,
}

/// The remittance advice, claim by claim and line by line, as JSON, CSV or a printable Persian page.
#[utoipa::path(get, path = "/api/v1/settlements/{id}/remittance", tag = "payment", params(Id, RemittanceQuery),
    responses((status = 200, description = "The remittance, in the `format` asked for.", content(
        (Remittance = "application/json"),
        (String = "text/csv"),
        (String = "text/html"),
    ))))]
pub async fn remittance(
    state: web::Data<ServiceContext>,
    caller: Caller,
    id: web::Path<String>,
    q: web::Query<RemittanceQuery>,
) -> AppResult<HttpResponse> {
    let format = q.into_inner().format.unwrap_or_else(|| "json".into());
    if !["json", "csv", "html"].contains(&format.as_str()) {
        return Err(AppError::field("format", "one_of", "must be json, csv or html"));
    }
    let r = service::remittance(&state, caller, id.into_inner().into()).await?;
    Ok(match format.as_str() {
        "csv" => {
            HttpResponse::Ok().content_type("text/csv; charset=utf-8").body(service::remittance_csv(&r)?)
        }
        "html" => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(crate::console::remittance::html(&r)?),
        _ => HttpResponse::Ok().json(r),
    })
}

/// A payment order with its payees.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = PaymentOrderWithLines)]
pub struct OrderWithLines {
    /// One line per payee.
    pub lines: Vec<OrderLine>,
    pub order: OrderRow,
}

/// Payment orders, newest first.
#[utoipa::path(get, path = "/api/v1/payment-orders", tag = "payment",
    responses((status = 200, description = "The orders (at most 500, in one page: `next_cursor` is always null).",
        body = Page<OrderRow>)))]
pub async fn list_orders(
    state: web::Data<ServiceContext>,
    _finance: Require<Finances>,
) -> AppResult<HttpResponse> {
    let items = service::list_orders(&state).await?;
    Ok(HttpResponse::Ok().json(Page { items, next_cursor: None }))
}

/// Issue a payment order with every approved settlement and decided reimbursement not yet in one.
#[utoipa::path(post, path = "/api/v1/payment-orders", tag = "payment",
    responses((status = 201, description = "The order.", body = OrderWithLines), (status = 409, response = responses::Conflict)))]
pub async fn issue_order(
    state: web::Data<ServiceContext>,
    finance: Require<Finances>,
) -> AppResult<HttpResponse> {
    let (order, lines) = service::issue_order(&state, finance.caller).await?;
    Ok(HttpResponse::Created().json(OrderWithLines { lines, order }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OrderQuery {
    /// `json` (default) or `csv` (the bank file).
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

/// A payment order; `format=csv` is the bank file (Sheba, name, amount in rials, reference).
#[utoipa::path(get, path = "/api/v1/payment-orders/{id}", tag = "payment", params(Id, OrderQuery),
    responses((status = 200, description = "The order, in the `format` asked for.", content(
        (OrderWithLines = "application/json"),
        (String = "text/csv"),
    ))))]
pub async fn get_order(
    state: web::Data<ServiceContext>,
    _finance: Require<Finances>,
    id: web::Path<String>,
    q: web::Query<OrderQuery>,
) -> AppResult<HttpResponse> {
    let format = q.into_inner().format.unwrap_or_else(|| "json".into());
    if !["json", "csv"].contains(&format.as_str()) {
        return Err(AppError::field("format", "one_of", "must be json or csv"));
    }
    let (order, lines) = service::get_order(&state, id.into_inner().into()).await?;
    if format == "csv" {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(service::order_csv(&lines)?));
    }
    Ok(HttpResponse::Ok().json(OrderWithLines { lines, order }))
}

/// The bank's payment of an order.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PaymentOrderPaid)]
pub struct OrderPaidBody {
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub bank_reference: String,
    /// Gregorian `YYYY-MM-DD` or Jalali (`1403-07-15`).
    #[schema(pattern = "^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub paid_on: String,
}

/// Record the bank's payment of an order, once.
#[utoipa::path(post, path = "/api/v1/payment-orders/{id}/paid", tag = "payment", params(Id), request_body = OrderPaidBody,
    responses((status = 200, description = "Paid; the order.", body = OrderRow), (status = 409, response = responses::Conflict)))]
pub async fn pay_order(
    state: web::Data<ServiceContext>,
    finance: Require<Finances>,
    id: web::Path<String>,
    body: ApiJson<OrderPaidBody>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    let paid_on = date_field("paid_on", &b.paid_on)?;
    Ok(HttpResponse::Ok().json(
        service::pay_order(&state, finance.caller, id.into_inner().into(), b.bank_reference, paid_on).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReconcileQuery {
    pub office_id: OfficeId,
    /// Jalali service month, `1403-07`.
    #[param(pattern = "^1[34][0-9]{2}-(0[1-9]|1[0-2])$")]
    pub service_month: String,
}

/// For an office's month, the claims' payable equals what settlements paid plus what is unsettled.
#[utoipa::path(get, path = "/api/v1/reconciliation", tag = "payment", params(ReconcileQuery),
    responses((status = 200, description = "The check.", body = Reconciliation), (status = 404, response = responses::NotFound)))]
pub async fn reconcile(
    state: web::Data<ServiceContext>,
    staff: Require<Staff>,
    q: web::Query<ReconcileQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let month = month_field("service_month", &q.service_month)?;
    Ok(HttpResponse::Ok().json(service::reconcile(&state, staff.caller, q.office_id, month).await?))
}
