//! `/api/v1/reports/…`: the numbers offices, provinces and headquarters decide with, as JSON or
//! as CSV (`?format=csv`: UTF-8 with a byte-order mark, so a spreadsheet shows the Persian).
//! Every report takes the same filters (`office_id`, `province_id`, `provider_id`,
//! `provider_kind`, `from`, `to` — Jalali months) inside the caller's reach
//! (`services::reports`).

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::openapi::responses;
use crate::auth::Caller;
use crate::context::ServiceContext;
use crate::error::{AppError, AppResult};
use crate::services::reports::{
    self as service, BudgetQuery, BudgetReport, DeductionsReport, ReportQuery, TurnaroundReport,
};

/// This module's part of the contract (see `api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(deductions, turnaround, budget, provider_quality, work_accidents))]
pub struct Api;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// `json` (default) or `csv`.
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

/// Reads `?format=` and the report's filters from one query string.
fn split(q: &web::Query<std::collections::HashMap<String, String>>) -> AppResult<(bool, ReportQuery)> {
    let mut q = q.clone().into_inner();
    let csv = match q.remove("format").as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(AppError::field("format", "one_of", "must be json or csv")),
    };
    let value = serde_json::to_value(&q).map_err(AppError::internal)?;
    let mut value = value;
    if let Some(p) = q.get("province_id") {
        let n: i32 =
            p.trim().parse().map_err(|_| AppError::field("province_id", "invalid", "a province's number"))?;
        value["province_id"] = serde_json::json!(n);
    }
    let known = ["office_id", "province_id", "provider_id", "provider_kind", "from", "to"];
    if let Some(k) = q.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(AppError::Validation(vec![crate::error::FieldError::new(
            k.clone(),
            "unknown",
            "not a filter of reports",
        )]));
    }
    let query: ReportQuery =
        serde_json::from_value(value).map_err(|e| AppError::field("query", "invalid", e.to_string()))?;
    Ok((csv, query))
}

/// A report as a CSV download (also the console's CSV links).
pub(crate) fn csv_response(name: &str, body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.csv\"")))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RowsQuery {
    /// How many detailed rows, largest first (default 1,000, at most 100,000); the totals cover
    /// every row the filters select.
    #[param(minimum = 1, maximum = 100000)]
    pub limit: Option<i64>,
}

/// Deductions by reason × provider × month: lines, amount and share of what the provider billed
/// that month, largest first; totals by reason, by provider (the 50 largest) and by month.
#[utoipa::path(get, path = "/api/v1/reports/deductions", tag = "reports", params(ReportQuery, RowsQuery, FormatQuery),
    responses((status = 200, description = "The report, in the `format` asked for.", content(
        (DeductionsReport = "application/json"),
        (String = "text/csv"),
    )), (status = 404, response = responses::NotFound)))]
pub async fn deductions(
    state: web::Data<ServiceContext>,
    caller: Caller,
    q: web::Query<std::collections::HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    let mut q = q;
    let limit = match q.0.remove("limit") {
        None => None,
        Some(v) => {
            Some(v.trim().parse::<i64>().map_err(|_| AppError::field("limit", "invalid", "a whole number"))?)
        }
    };
    let (csv, query) = split(&q)?;
    let r = service::deductions(&state, caller, query, limit).await?;
    Ok(if csv {
        csv_response("deductions", service::deductions_csv(&r)?)
    } else {
        HttpResponse::Ok().json(r)
    })
}

/// Turnaround: receipt → decision and decision → payment in whole days (p50, p90, max) per
/// office and month, and the backlog by age.
#[utoipa::path(get, path = "/api/v1/reports/turnaround", tag = "reports", params(ReportQuery, FormatQuery),
    responses((status = 200, description = "The report, in the `format` asked for.", content(
        (TurnaroundReport = "application/json"),
        (String = "text/csv"),
    )), (status = 404, response = responses::NotFound)))]
pub async fn turnaround(
    state: web::Data<ServiceContext>,
    caller: Caller,
    q: web::Query<std::collections::HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    let (csv, query) = split(&q)?;
    let r = service::turnaround(&state, caller, query).await?;
    Ok(if csv {
        csv_response("turnaround", service::turnaround_csv(&r)?)
    } else {
        HttpResponse::Ok().json(r)
    })
}

/// Each approved budget in the caller's reach for the year, with the decided spending of each
/// month so far, the commitment (received, undecided) and the projection to year end
/// (`domain::budget::project`).
#[utoipa::path(get, path = "/api/v1/reports/budget", tag = "reports", params(BudgetQuery, FormatQuery),
    responses((status = 200, description = "The report, in the `format` asked for.", content(
        (BudgetReport = "application/json"),
        (String = "text/csv"),
    )), (status = 404, response = responses::NotFound)))]
pub async fn budget(
    state: web::Data<ServiceContext>,
    caller: Caller,
    q: web::Query<std::collections::HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    let mut q = q.into_inner();
    let csv = match q.remove("format").as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(AppError::field("format", "one_of", "must be json or csv")),
    };
    let year = match q.remove("year") {
        None => None,
        Some(y) => Some(
            y.trim()
                .parse::<i32>()
                .ok()
                .filter(|y| (1300..1500).contains(y))
                .ok_or_else(|| AppError::field("year", "invalid", "a Jalali year, e.g. 1403"))?,
        ),
    };
    if let Some(k) = q.keys().next() {
        return Err(AppError::Validation(vec![crate::error::FieldError::new(
            k.clone(),
            "unknown",
            "not a filter of this report",
        )]));
    }
    let r = service::budget(&state, caller, BudgetQuery { year }).await?;
    Ok(if csv { csv_response("budget", service::budget_csv(&r)?) } else { HttpResponse::Ok().json(r) })
}

/// Provider quality per provider: deduction, rejection, objection and upheld rates, the sample
/// cut rate, cost per document against the median of its kind, "not received" flags, and the
/// outliers among the office's providers of the same kind (modified z-score, |score| > 3.5).
#[utoipa::path(get, path = "/api/v1/reports/provider-quality", tag = "reports", params(ReportQuery, FormatQuery),
    responses((status = 200, description = "The report, in the `format` asked for.", content(
        (crate::services::report_quality::ProviderQualityReport = "application/json"),
        (String = "text/csv"),
    )), (status = 404, response = responses::NotFound)))]
pub async fn provider_quality(
    state: web::Data<ServiceContext>,
    caller: Caller,
    q: web::Query<std::collections::HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    use crate::services::report_quality as quality;
    let (csv, query) = split(&q)?;
    let r = quality::provider_quality(&state, caller, query).await?;
    Ok(if csv {
        csv_response("provider-quality", quality::provider_quality_csv(&r)?)
    } else {
        HttpResponse::Ok().json(r)
    })
}

/// Work accidents (Art. 66) per employer and service month, with each employer's total and the
/// grand total: what the Organization paid and may recover from the employer.
#[utoipa::path(get, path = "/api/v1/reports/work-accidents", tag = "reports", params(ReportQuery, FormatQuery),
    responses((status = 200, description = "The report, in the `format` asked for.", content(
        (crate::services::report_quality::WorkAccidentsReport = "application/json"),
        (String = "text/csv"),
    )), (status = 404, response = responses::NotFound)))]
pub async fn work_accidents(
    state: web::Data<ServiceContext>,
    caller: Caller,
    q: web::Query<std::collections::HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    use crate::services::report_quality as quality;
    let (csv, query) = split(&q)?;
    let r = quality::work_accidents(&state, caller, query).await?;
    Ok(if csv {
        csv_response("work-accidents", quality::work_accidents_csv(&r)?)
    } else {
        HttpResponse::Ok().json(r)
    })
}
