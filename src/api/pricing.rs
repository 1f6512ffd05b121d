//! `POST /api/v1/pricing/quote`: a provider prices a document's lines before sending it.

use actix_web::{web, HttpResponse};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::api::ApiJson;
use crate::auth::Caller;
use crate::context::ServiceContext;
use crate::domain::jalali::{parse_date, JalaliDate};
use crate::domain::pricing::{price_line, ItemType, LineToPrice, ProviderTerms};
use crate::domain::tariff::{Sector, TariffStatus};
use crate::domain::text::normalize_identifier;
use crate::error::{AppError, AppResult, FieldError};

/// This module's part of the contract (see `api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(quote))]
pub struct Api;

fn government() -> Sector {
    Sector::Government
}

/// The quote's `tariff_status`, over the lines that were priced: `sample` when any was priced on
/// a sample tariff, `official` when every one was priced on an official tariff, `none` when no
/// line could be priced (the quote then rests on no tariff at all).
fn quote_tariff_status(priced: impl IntoIterator<Item = TariffStatus>) -> &'static str {
    let mut status = "none";
    for s in priced {
        match s {
            TariffStatus::Sample => return TariffStatus::Sample.as_str(),
            TariffStatus::Official => status = TariffStatus::Official.as_str(),
        }
    }
    status
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    /// The provider's own sector: its tariff caps what it may charge.
    pub sector: Sector,
    /// Hospital grade 1–4, needed for bed-days.
    #[validate(range(min = 1, max = 4))]
    #[schema(minimum = 1, maximum = 4)]
    pub hospital_grade: Option<u8>,
    /// The sector whose tariff the Organization pays on (government unless the contract says).
    #[serde(default = "government")]
    #[schema(default = "government")]
    pub tariff_basis: Sector,
    /// 1 to 1,000 lines (checked in the handler), each `line_no` once.
    #[validate(nested)]
    #[schema(min_items = 1, max_items = 1000)]
    pub lines: Vec<QuoteLine>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteLine {
    /// Unique within the request.
    #[validate(range(min = 1, max = 100000))]
    #[schema(minimum = 1, maximum = 100000)]
    pub line_no: u32,
    pub item_type: ItemType,
    /// The code in the list of `item_type` (Persian digits are accepted).
    #[validate(length(min = 1, max = 32))]
    #[schema(min_length = 1, max_length = 32)]
    pub code: String,
    /// Decimal, as a string (`"1"`, `"2.5"`) or a number: greater than 0, at most 100000, with
    /// at most 3 decimals.
    #[serde(deserialize_with = "crate::domain::money::plain_decimal::required")]
    #[schema(schema_with = crate::domain::money::plain_decimal::schema::quantity)]
    pub quantity: Decimal,
    /// Gregorian `2024-10-06` or Jalali `1403-07-15`.
    #[schema(
        pattern = r"^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
        example = "1403-07-15"
    )]
    pub service_date: String,
    /// Anaesthesia time and modifier units on top of the code's base units: a decimal 0–1000,
    /// as a string or a number.
    #[serde(default, deserialize_with = "crate::domain::money::plain_decimal::optional")]
    #[schema(schema_with = crate::domain::money::plain_decimal::schema::units_or_null)]
    pub anesthesia_units: Option<Decimal>,
}

/// The answer of `POST /api/v1/pricing/quote`.
#[derive(Serialize, ToSchema)]
struct Quote {
    /// Over the priced lines only: `sample` if any was priced on a sample tariff, `official` if
    /// all were priced on official tariffs, `none` if no line could be priced.
    #[schema(pattern = "^(official|sample|none)$")]
    tariff_status: &'static str,
    tariff_basis: Sector,
    sector: Sector,
    totals: QuoteTotals,
    lines: Vec<QuotedLine>,
}

/// Sums over the priced lines, rials.
#[derive(Serialize, ToSchema)]
struct QuoteTotals {
    /// On the tariff basis: what the Organization's shares are computed on.
    tariff: i64,
    /// On the provider's own sector: the most it may charge.
    cap: i64,
}

/// A priced line. A line that could not be priced carries `error` and no amounts.
#[derive(Serialize, ToSchema)]
struct QuotedLine {
    line_no: u32,
    item_type: ItemType,
    /// The code as priced (digits made ASCII).
    code: String,
    quantity: Decimal,
    #[schema(format = Date)]
    service_date: String,
    #[schema(pattern = r"^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    service_date_jalali: String,
    /// The tariff in force on the service date (absent when there is none).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    tariff_year: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    tariff_revision: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<TariffStatus>, nullable = false)]
    tariff_status: Option<&'static str>,
    /// Unit price on the tariff basis.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    tariff_unit_price: Option<i64>,
    /// Quantity × unit price on the tariff basis.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    tariff_amount: Option<i64>,
    /// Unit price on the provider's own sector.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    cap_unit_price: Option<i64>,
    /// Quantity × unit price on the provider's own sector.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    cap_amount: Option<i64>,
    /// How the price was found, e.g. `rvu: 1.5×… + …`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    error: Option<LineError>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = QuoteLineError)]
struct LineError {
    /// A reason code of the catalogue when there is one (R05), else a pricing code.
    #[schema(pattern = "^(R05|pricing_error)$")]
    code: &'static str,
    message_fa: &'static str,
    message_en: String,
}

/// Price a document's lines before sending it.
///
/// Each line is priced on the tariff in force on its service date (the Jalali year of the
/// date, its latest effective revision). `tariff_amount` is on the tariff basis (what the
/// Organization's shares are computed on); `cap_amount` on the provider's own sector (the most
/// it may charge). A line that cannot be priced carries `error` (R05 for an unknown code); the
/// others are still priced.
#[utoipa::path(post, path = "/api/v1/pricing/quote", tag = "tariffs", request_body = QuoteRequest,
    responses((status = 200, description = "The priced lines.", body = Quote)))]
pub async fn quote(
    state: web::Data<ServiceContext>,
    _caller: Caller,
    body: ApiJson<QuoteRequest>,
) -> AppResult<HttpResponse> {
    let req = body.0;
    // Dates and quantities are checked here, all at once, so every bad field is named.
    let mut errors = Vec::new();
    if req.lines.is_empty() || req.lines.len() > 1000 {
        return Err(AppError::field("lines", "length", "must have between 1 and 1000 lines"));
    }
    let mut dates = Vec::with_capacity(req.lines.len());
    for (i, l) in req.lines.iter().enumerate() {
        match parse_date(&l.service_date) {
            Ok(d) => dates.push(d),
            Err(e) => {
                errors.push(FieldError::new(
                    format!("lines[{i}].service_date"),
                    "invalid_date",
                    e.to_string(),
                ));
                dates.push(chrono::NaiveDate::default());
            }
        }
        let repeated = req.lines[..i].iter().any(|o| o.line_no == l.line_no);
        crate::services::claim_document::check_line_amounts(
            i,
            l.quantity,
            l.anesthesia_units,
            repeated,
            &mut errors,
        );
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }

    let book = state.tariffs();
    let terms = ProviderTerms {
        sector: req.sector,
        hospital_grade: req.hospital_grade,
        tariff_basis: req.tariff_basis,
    };
    let mut lines = Vec::with_capacity(req.lines.len());
    let (mut total, mut total_cap) = (0i64, 0i64);
    // The tariff status of every priced line (a refused line rests on no tariff).
    let mut priced = Vec::with_capacity(req.lines.len());
    for (l, date) in req.lines.iter().zip(dates) {
        let code = normalize_identifier(&l.code);
        let mut out = QuotedLine {
            line_no: l.line_no,
            item_type: l.item_type,
            code: code.clone(),
            quantity: l.quantity,
            service_date: date.to_string(),
            service_date_jalali: JalaliDate::from_gregorian(date).to_string(),
            tariff_year: None,
            tariff_revision: None,
            tariff_status: None,
            tariff_unit_price: None,
            tariff_amount: None,
            cap_unit_price: None,
            cap_amount: None,
            rule: None,
            error: None,
        };
        let Some(tariff) = book.for_date(date) else {
            out.error = Some(LineError {
                code: "R05",
                message_fa: "کد در تعرفه سال خدمت وجود ندارد",
                message_en: format!("no tariff is in force on {date}"),
            });
            lines.push(out);
            continue;
        };
        out.tariff_year = Some(tariff.meta.year);
        out.tariff_revision = Some(tariff.meta.revision);
        out.tariff_status = Some(tariff.meta.status.as_str());
        let line = LineToPrice {
            item_type: l.item_type,
            code: &code,
            quantity: l.quantity,
            extra_anesthesia_units: l.anesthesia_units.unwrap_or_default(),
        };
        match price_line(tariff, &line, &terms) {
            Ok(p) => {
                priced.push(tariff.meta.status);
                total = total.saturating_add(p.amount.0);
                total_cap = total_cap.saturating_add(p.cap_amount.0);
                out.tariff_unit_price = Some(p.unit_price.0);
                out.tariff_amount = Some(p.amount.0);
                out.cap_unit_price = Some(p.cap_unit_price.0);
                out.cap_amount = Some(p.cap_amount.0);
                out.rule = Some(p.rule.describe());
            }
            Err(e) => {
                out.error = Some(match e {
                    crate::domain::pricing::PricingError::UnknownCode => LineError {
                        code: "R05",
                        message_fa: "کد در تعرفه سال خدمت وجود ندارد",
                        message_en: format!("{code} is not in the {} tariff", tariff.meta.year),
                    },
                    other => LineError {
                        code: "pricing_error",
                        message_fa: "قیمت‌گذاری ممکن نشد",
                        message_en: other.to_string(),
                    },
                });
            }
        }
        lines.push(out);
    }
    Ok(HttpResponse::Ok().json(Quote {
        tariff_status: quote_tariff_status(priced),
        tariff_basis: req.tariff_basis,
        sector: req.sector,
        totals: QuoteTotals { tariff: total, cap: total_cap },
        lines,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_status_is_over_the_priced_lines() {
        use crate::domain::tariff::TariffStatus::{Official, Sample};
        // No line priced (every line refused, e.g. R05): no tariff, never `official`.
        assert_eq!(quote_tariff_status(Vec::<TariffStatus>::new()), "none");
        assert_eq!(quote_tariff_status([Official]), "official");
        assert_eq!(quote_tariff_status([Official, Official]), "official");
        assert_eq!(quote_tariff_status([Sample]), "sample");
        assert_eq!(quote_tariff_status([Official, Sample, Official]), "sample");
    }
}
