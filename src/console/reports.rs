//! The reports dashboards (گزارش‌ها): one page, `/console/reports`, at the caller's level —
//! an **office** (reviewers, supervisors, finance bound to an office: their own office), a
//! **province** (a province manager: its province, with a chooser of its offices) or
//! **headquarters** (headquarters, administrators, finance of no office: the whole country,
//! with a province and an office chooser). The level follows the caller's scope
//! (`Caller::scope_for(Record::Claim)`), never the query: a chooser only narrows, and a query
//! naming an office or province outside the caller's reach is the use case's 404.
//!
//! Every number comes from `services::reports` (the use cases the API serves); this module only
//! shapes them into `console::charts::ChartCard`s. The CSV links point at
//! `/console/reports/{deductions,turnaround,budget}.csv` — the console's session cannot call
//! the API (a bearer token) — which call the same use cases and return the API's bytes.
//!
//! Decisions:
//! - The month range defaults to the last six Jalali months up to the console's today; the
//!   inputs show it, so the page says what it shows.
//! - Turnaround follows the provider kind like every other card (the use case reads the
//!   providers' histogram then).
//! - Budget gauges are per unit (an office or a province): at headquarters without a chooser the
//!   page lists no gauges (a country has dozens of units) and offers the budget CSV instead.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::api::reports::csv_response;
use crate::auth::{Record, Scope};
use crate::console::charts::{
    BarChart, BudgetGauge, ChartCard, Columns, LineChart, Month, MonthlyChart, Series, Tone, Unit,
};
use crate::console::listing::{self, Choice};
use crate::console::session::{Session, Signed};
use crate::console::{render, ConsoleError, Layout};
use crate::context::ServiceContext;
use crate::domain::budget::Benefit;
use crate::domain::jalali::JalaliDate;
use crate::domain::provider::ProviderKind;
use crate::domain::text::ascii_digits;
use crate::error::{AppError, FieldError};
use crate::services::report_quality as quality;
use crate::services::reports::{self as service, BudgetQuery, BudgetReport, ReportQuery};
use crate::store::offices::{OfficeFilter, OfficeRow};

/// How many months the page shows when no range is given.
const DEFAULT_MONTHS: u8 = 6;
/// Bars drawn before the rest is summed into «سایر».
const TOP: usize = 8;
/// What a card without numbers says instead of an empty chart.
pub const EMPTY: &str = "داده‌ای برای این بازه نیست";

/// The page's filters as typed (every field a string, so a wrong one is shown back as typed).
#[derive(Deserialize, Default, Clone)]
pub struct ReportsForm {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub provider_kind: String,
    #[serde(default)]
    pub province: String,
    #[serde(default)]
    pub office: String,
}

/// The level of the page, from the caller's scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Level {
    Office(String),
    Province(i32),
    Headquarters,
}

/// A budget card, or why there is none.
pub enum BudgetPart {
    Cards(Vec<ChartCard>),
    /// No budget recorded for the unit and year: said plainly (with a link for administrators).
    None,
    /// Headquarters without a chooser: choose a unit (the CSV has every budget).
    ChooseUnit,
    /// The use case refused the year (a year not yet begun).
    Refused(String),
}

#[derive(Template)]
#[template(path = "console/reports.html")]
pub struct ReportsPage {
    pub layout: Layout,
    /// «دفتر رسیدگی …», «استان …», «ستاد — کل کشور».
    pub heading: String,
    pub level: &'static str,
    pub q: ReportsForm,
    pub provinces: Vec<Choice>,
    pub offices: Vec<Choice>,
    pub kinds: Vec<Choice>,
    pub show_province: bool,
    pub show_office: bool,
    /// `(field, Persian message)`.
    pub errors: Vec<(String, String)>,
    /// The range in words: «مهر 1403 تا اسفند 1403».
    pub range: String,
    pub cards: Vec<ChartCard>,
    pub budget_year: i32,
    pub budget: BudgetPart,
    pub budget_csv: String,
    pub is_admin: bool,
    /// The provider-quality card and others the lead adds (`services::reports::provider_quality`,
    /// `work_accidents`): rendered after the budget, in order.
    pub more: Vec<ChartCard>,
}

impl ReportsPage {
    /// The budget's gauges (none when there is a message instead).
    pub fn budget_cards(&self) -> &[ChartCard] {
        match &self.budget {
            BudgetPart::Cards(list) => list,
            _ => &[],
        }
    }

    /// What the budget card says when it has no gauge, and whether to offer the budgets page.
    pub fn budget_message(&self) -> Option<(String, bool)> {
        match &self.budget {
            BudgetPart::Cards(_) => None,
            BudgetPart::None => Some((
                format!("برای این واحد و سال {} بودجه‌ای ثبت نشده است.", self.budget_year),
                self.is_admin,
            )),
            BudgetPart::ChooseUnit => Some((
                "برای دیدن بودجه در برابر هزینه، استان یا دفتر را برگزینید؛ بودجهٔ همهٔ واحدها در CSV است."
                    .into(),
                false,
            )),
            BudgetPart::Refused(why) => Some((why.clone(), false)),
        }
    }

    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }
}

fn level_of(s: &Session) -> Result<Level, ConsoleError> {
    // The use cases refuse the roles that read no report (403); the page asks first, so that a
    // provider or an insured person sees nothing of it, not even the form.
    s.caller.require_any(service::READERS)?;
    Ok(match s.caller.scope_for(Record::Claim) {
        Scope::All => Level::Headquarters,
        Scope::Province(p) => Level::Province(p),
        Scope::Office(o) => Level::Office(o.to_string()),
        _ => return Err(AppError::forbidden("reports are read by the Organization's staff").into()),
    })
}

/// The console's Jalali today.
fn this_month(state: &ServiceContext) -> Month {
    let today = JalaliDate::from_gregorian(state.today());
    Month::new(today.year(), today.month())
}

fn months_back(m: Month, n: u8) -> Month {
    let index = m.year * 12 + i32::from(m.month) - 1 - i32::from(n);
    Month::new(index.div_euclid(12), (index.rem_euclid(12) + 1) as u8)
}

/// The form with its defaults filled in and its digits Latin (`۱۴۰۳-۰۷` is `1403-07`).
fn normalized(state: &ServiceContext, q: &ReportsForm) -> ReportsForm {
    let now = this_month(state);
    let clean = |s: &str| ascii_digits(s.trim()).replace('/', "-");
    let mut q = ReportsForm {
        from: clean(&q.from),
        to: clean(&q.to),
        provider_kind: q.provider_kind.trim().to_string(),
        province: ascii_digits(q.province.trim()),
        office: q.office.trim().to_string(),
    };
    if q.to.is_empty() {
        q.to = now.key();
    }
    if q.from.is_empty() {
        let end = Month::parse(&q.to).unwrap_or(now);
        q.from = months_back(end, DEFAULT_MONTHS - 1).key();
    }
    q
}

/// The use case's query for the form; a province that is not a number is a field error.
fn report_query(level: &Level, q: &ReportsForm) -> Result<ReportQuery, FieldError> {
    let text = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
    let province_id = match q.province.as_str() {
        "" => None,
        p => Some(p.parse::<i32>().map_err(|_| FieldError::new("province", "invalid", "not a province"))?),
    };
    Ok(ReportQuery {
        // An office page names its office; a chooser's office or province is passed as chosen
        // and the use case answers 404 for one outside the caller's reach.
        office_id: text(&q.office).or_else(|| match level {
            Level::Office(o) => Some(o.clone()),
            _ => None,
        }),
        province_id,
        provider_id: None,
        provider_kind: text(&q.provider_kind),
        from: text(&q.from),
        to: text(&q.to),
    })
}

/// The use case's field errors in Persian, by the form's field names.
fn persian_errors(errors: Vec<FieldError>) -> Vec<(String, String)> {
    errors
        .into_iter()
        .map(|e| {
            let message = match (e.field.as_str(), e.code.as_str()) {
                ("from" | "to", "range") => "پایان بازه نباید پیش از آغاز آن باشد.",
                ("from" | "to", "future") | ("year", _) => "این سال هنوز آغاز نشده است.",
                ("from" | "to", _) => "ماه را به صورت سال-ماه بنویسید، مانند 1403-07.",
                ("provider_kind", _) => "نوع مرکز را از فهرست برگزینید.",
                ("province", _) => "استان را از فهرست برگزینید.",
                _ => "این مقدار پذیرفته نیست.",
            };
            let field = if e.field == "year" { "to".to_string() } else { e.field };
            (field, message.to_string())
        })
        .collect()
}

/// The query string of the CSV links: the filters as the page applied them.
fn query_string(q: &ReportsForm) -> Vec<(&'static str, String)> {
    vec![
        ("from", q.from.clone()),
        ("to", q.to.clone()),
        ("provider_kind", q.provider_kind.clone()),
        ("province", q.province.clone()),
        ("office", q.office.clone()),
    ]
}

fn months_of(m: &str) -> Month {
    Month::parse(m).unwrap_or(Month::new(0, 1))
}

/// `GET /console/reports`.
pub async fn page(
    state: web::Data<ServiceContext>,
    signed: Signed,
    q: web::Query<ReportsForm>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    let level = level_of(&s)?;
    let q = normalized(&state, &q.into_inner());

    let mut offices: Vec<OfficeRow> = crate::services::offices::list(
        &state,
        OfficeFilter { province_id: None, active: None, after: None, limit: crate::api::MAX_PAGE },
    )
    .await?;
    offices.sort_by(|a, b| (a.province_id, &a.code).cmp(&(b.province_id, &b.code)));
    let provinces = crate::services::offices::provinces(&state).await?;
    let province_name =
        |id: i32| provinces.iter().find(|p| p.id == id).map(|p| p.name_fa.clone()).unwrap_or_default();

    let (heading, level_key, show_province, show_office) = match &level {
        Level::Office(o) => {
            let name = offices.iter().find(|x| x.id.as_str() == o).map(|x| x.name_fa.clone());
            (format!("گزارش‌های {}", name.unwrap_or_else(|| "دفتر".into())), "office", false, false)
        }
        Level::Province(p) => (format!("گزارش‌های استان {}", province_name(*p)), "province", false, true),
        Level::Headquarters => ("گزارش‌های ستاد — کل کشور".to_string(), "headquarters", true, true),
    };

    let mut errors = Vec::new();
    let query = match report_query(&level, &q) {
        Ok(query) => Some(query),
        Err(e) => {
            errors.extend(persian_errors(vec![e]));
            None
        }
    };
    // The deductions report first: it checks the filter (a bad month: the fields' errors; an
    // office or province outside the reach: 404, before anything is shown).
    let deductions = match &query {
        Some(query) => match service::deductions(&state, s.caller.clone(), query.clone(), None).await {
            Ok(r) => Some(r),
            Err(AppError::Validation(errs)) => {
                errors.extend(persian_errors(errs));
                None
            }
            Err(e) => return Err(e.into()),
        },
        None => None,
    };

    // The choosers: only what the caller may read; an office chooser lists the chosen
    // province's offices (or all in reach).
    let chosen_province: Option<i32> = match &level {
        Level::Province(p) => Some(*p),
        _ => q.province.parse().ok(),
    };
    let office_choices: Vec<Choice> = offices
        .iter()
        .filter(|o| chosen_province.is_none_or(|p| o.province_id == p))
        .filter(|o| match &level {
            Level::Office(mine) => o.id.as_str() == mine,
            _ => true,
        })
        .map(|o| Choice {
            value: o.id.to_string(),
            label: if matches!(level, Level::Headquarters) && chosen_province.is_none() {
                format!("{} ({}) · {}", o.name_fa, o.code, province_name(o.province_id))
            } else {
                format!("{} ({})", o.name_fa, o.code)
            },
            selected: o.id.as_str() == q.office,
        })
        .collect();
    let province_choices: Vec<Choice> = provinces
        .iter()
        .map(|p| Choice {
            value: p.id.to_string(),
            label: p.name_fa.clone(),
            selected: p.id.to_string() == q.province,
        })
        .collect();
    let kinds: Vec<Choice> = ProviderKind::ALL
        .iter()
        .map(|k| Choice {
            value: k.as_str().into(),
            label: k.name_fa().into(),
            selected: k.as_str() == q.provider_kind,
        })
        .collect();

    let csv = |kind: &str| listing::href(&format!("/console/reports/{kind}.csv"), query_string(&q), &[]);
    let mut cards = Vec::new();
    let range = format!("{} تا {}", months_of(&q.from).name(), months_of(&q.to).name());
    if let (Some(d), Some(query)) = (&deductions, &query) {
        let series = |name: &str, pick: fn(&service::MonthTotal) -> i64| {
            Series::new(name, d.months.iter().map(|m| (months_of(&m.service_month), pick(m))).collect())
        };
        let monthly = MonthlyChart {
            id: "r-monthly".into(),
            title: "درخواستی، قابل پرداخت و کسور ماهانه".into(),
            unit: Unit::Rials,
            layout: Columns::Grouped,
            series: vec![
                series("درخواستی", |m| m.billed),
                series("قابل پرداخت", |m| m.payable).tone(Tone::Paid),
                series("کسور", |m| m.deducted).tone(Tone::Deducted),
            ],
        };
        cards.push(
            ChartCard::monthly(&monthly, Some(csv("deductions"))).with_sub(format!("ماه خدمت · {range}")),
        );
        let reasons = BarChart {
            id: "r-reasons".into(),
            title: "کسور بر حسب دلیل".into(),
            unit: Unit::Rials,
            bars: d
                .by_reason
                .iter()
                .map(|r| {
                    (
                        if r.reason_fa.is_empty() { r.reason.clone() } else { r.reason_fa.to_string() },
                        r.amount,
                    )
                })
                .collect(),
            top: TOP,
            tone: Tone::Deducted,
        };
        cards.push(
            ChartCard::bars(&reasons, "دلیل کسر", "مبلغ کسر", Some(csv("deductions")))
                .with_sub(range.clone()),
        );
        let providers = BarChart {
            id: "r-providers".into(),
            title: "مراکز با بیشترین کسور".into(),
            unit: Unit::Rials,
            bars: d
                .by_provider
                .iter()
                .map(|p| {
                    (
                        if p.provider_name.is_empty() { &p.provider_id } else { &p.provider_name }.clone(),
                        p.deducted,
                    )
                })
                .collect(),
            top: TOP,
            tone: Tone::Deducted,
        };
        cards.push(
            ChartCard::bars(&providers, "مرکز درمانی", "مبلغ کسر", Some(csv("deductions")))
                .with_sub(range.clone()),
        );

        let t = service::turnaround(&state, s.caller.clone(), query.clone()).await?;
        let percentiles = |id: &str, title: &str, lines: &[service::TurnaroundLine]| {
            let pick = |f: fn(&service::TurnaroundLine) -> Option<i64>| {
                lines.iter().filter_map(|l| f(l).map(|v| (months_of(&l.month), v))).collect::<Vec<_>>()
            };
            LineChart {
                id: id.into(),
                title: title.into(),
                unit: Unit::Days,
                series: vec![
                    Series::new("میانه", pick(|l| l.p50_days)),
                    Series::new("صدک 90", pick(|l| l.p90_days)).tone(Tone::Pending),
                ],
            }
        };
        let decision = percentiles("r-decision", "زمان از دریافت تا تصمیم", &t.decision_by_month);
        cards.push(
            ChartCard::lines(&decision, Some(csv("turnaround"))).with_sub(format!("ماه تصمیم · {range}")),
        );
        let payment = percentiles("r-payment", "زمان از تصمیم تا پرداخت", &t.payment_by_month);
        cards.push(
            ChartCard::lines(&payment, Some(csv("turnaround"))).with_sub(format!("ماه پرداخت · {range}")),
        );
        let backlog = BarChart {
            id: "r-backlog".into(),
            title: "اسناد در انتظار رسیدگی بر حسب سن".into(),
            unit: Unit::Count,
            bars: t.backlog.iter().filter(|b| b.claims != 0).map(|b| (age_label(b.age), b.claims)).collect(),
            top: TOP,
            tone: Tone::Pending,
        };
        cards.push(
            ChartCard::bars(&backlog, "روز از دریافت", "تعداد سند", Some(csv("turnaround")))
                .with_sub("اکنون"),
        );
    }

    // Provider quality and work accidents (services::report_quality), under the same filter.
    let mut more = Vec::new();
    if let (Some(_), Some(query)) = (&deductions, &query) {
        let quality = quality::provider_quality(&state, s.caller.clone(), query.clone()).await?;
        more.push(quality_card(&quality, Some(csv("provider-quality"))).with_sub(range.clone()));
        let accidents = quality::work_accidents(&state, s.caller.clone(), query.clone()).await?;
        more.push(accidents_card(&accidents, Some(csv("work-accidents"))).with_sub(range.clone()));
    }

    // The budget of the year of the range's end, for the unit the page shows.
    let budget_year = months_of(&q.to).year;
    let unit: Option<(Option<String>, Option<i32>)> = match (&level, q.office.as_str(), chosen_province) {
        (Level::Office(o), _, _) => Some((Some(o.clone()), None)),
        (_, o, _) if !o.is_empty() => Some((Some(o.to_string()), None)),
        (_, _, Some(p)) => Some((None, Some(p))),
        _ => None,
    };
    let budget = if deductions.is_none() {
        BudgetPart::Cards(Vec::new())
    } else {
        match unit {
            None => BudgetPart::ChooseUnit,
            Some(unit) => {
                match service::budget(&state, s.caller.clone(), BudgetQuery { year: Some(budget_year) }).await
                {
                    Ok(r) => budget_cards(&r, &unit),
                    Err(AppError::Validation(errs)) => BudgetPart::Refused(
                        persian_errors(errs).into_iter().map(|(_, m)| m).collect::<Vec<_>>().join(" "),
                    ),
                    Err(e) => return Err(e.into()),
                }
            }
        }
    };

    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = ReportsPage {
        layout: Layout::signed(heading.clone(), &s, "reports"),
        heading,
        level: level_key,
        provinces: province_choices,
        offices: office_choices,
        kinds,
        show_province,
        show_office,
        errors,
        range,
        cards,
        budget_year,
        budget,
        budget_csv: format!("/console/reports/budget.csv?year={budget_year}"),
        is_admin: s.caller.role == crate::auth::Role::Admin,
        more,
        q,
    };
    render(status, &page)
}

/// A backlog bucket in words: `0-7` is «0 تا 7 روز», `61+` «61 روز و بیشتر».
fn age_label(age: &str) -> String {
    match age.split_once('-') {
        Some((a, b)) => format!("{a} تا {b} روز"),
        None => format!("{} روز و بیشتر", age.trim_end_matches('+')),
    }
}

/// The gauges of the budgets of one unit (an office, or a province's own budgets), benefits in
/// their order.
fn budget_cards(r: &BudgetReport, (office, province): &(Option<String>, Option<i32>)) -> BudgetPart {
    let mut lines: Vec<_> = r
        .lines
        .iter()
        .filter(|l| match (office, province) {
            (Some(o), _) => l.office_id.as_deref() == Some(o.as_str()),
            (None, Some(p)) => l.level == "province" && l.province_id == Some(*p),
            _ => false,
        })
        .collect();
    lines.sort_by_key(|l| Benefit::parse(&l.benefit).map(|b| b as u8).unwrap_or(u8::MAX));
    if lines.is_empty() {
        return BudgetPart::None;
    }
    let through = crate::console::format::month_name(r.year, r.current_month);
    BudgetPart::Cards(
        lines
            .into_iter()
            .map(|l| {
                let p = &l.projection;
                let gauge = BudgetGauge {
                    id: format!("r-budget-{}", l.benefit.replace('_', "-")),
                    title: format!("بودجهٔ {} — {} {}", l.benefit_fa, l.unit_name, r.year),
                    approved: p.approved,
                    spent: p.spent_to_date,
                    committed: p.commitment,
                    projected: p.projected_year_end,
                };
                ChartCard::budget(&gauge, Some(format!("/console/reports/budget.csv?year={}", r.year)))
                    .with_sub(format!("تا {through}"))
            })
            .collect(),
    )
}

/// The providers with the highest deduction rates (in hundredths of a percent), each flagged
/// outlier among its office's peers of the same kind marked «غیرعادی» — the score and its rule
/// are the use case's (`domain::report::modified_z_score`); the card only shows them.
fn quality_card(r: &quality::ProviderQualityReport, csv_href: Option<String>) -> ChartCard {
    let mut rows: Vec<&quality::ProviderQualityLine> =
        r.rows.iter().filter(|x| x.deduction_rate.is_some()).collect();
    rows.sort_by(|a, b| b.deduction_rate.cmp(&a.deduction_rate).then(a.provider_id.cmp(&b.provider_id)));
    let outliers = r.rows.iter().filter(|x| !x.outliers.is_empty()).count();
    let bars = BarChart {
        id: "r-quality".into(),
        title: "مراکز با بیشترین نرخ کسور".into(),
        unit: Unit::Percent,
        bars: rows
            .iter()
            .map(|x| {
                let name =
                    if x.provider_name.is_empty() { x.provider_id.clone() } else { x.provider_name.clone() };
                let name = if x.outliers.is_empty() { name } else { format!("{name} (غیرعادی)") };
                let hundredths = x
                    .deduction_rate
                    .map(|d| (d * rust_decimal::Decimal::from(100)).round())
                    .and_then(|d| i64::try_from(d).ok())
                    .unwrap_or(0);
                (name, hundredths)
            })
            .collect(),
        top: TOP,
        tone: Tone::Deducted,
    };
    let mut card = ChartCard::bars(&bars, "مرکز درمانی", "نرخ کسور", csv_href);
    // A sum of rates means nothing.
    card.table.foot = None;
    card.title = format!(
        "{} — {} مرکز غیرعادی در برابر همتایان هم‌نوع دفتر",
        card.title,
        crate::console::format::group_thousands(outliers as i64)
    );
    card
}

/// What the Organization paid for work accidents, by employer (Art. 66: recoverable from the
/// employer), the largest first.
fn accidents_card(r: &quality::WorkAccidentsReport, csv_href: Option<String>) -> ChartCard {
    let bars = BarChart {
        id: "r-accidents".into(),
        title: "حوادث ناشی از کار: پرداختی به تفکیک کارفرما (ماده ۶۶)".into(),
        unit: Unit::Rials,
        bars: r
            .employers
            .iter()
            .map(|e| {
                let name = if e.employer_name.is_empty() {
                    e.employer_code.clone()
                } else {
                    e.employer_name.clone()
                };
                (name, e.total.insurer_payable)
            })
            .collect(),
        top: TOP,
        tone: Tone::Paid,
    };
    ChartCard::bars(&bars, "کارفرما", "قابل پرداخت قطعی", csv_href)
}

/// `GET /console/reports/provider-quality.csv`: the API's CSV, same filters.
pub async fn provider_quality_csv(
    state: web::Data<ServiceContext>,
    signed: Signed,
    q: web::Query<ReportsForm>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    let query = csv_query(&state, &s, &q)?;
    let r = quality::provider_quality(&state, s.caller.clone(), query).await?;
    Ok(csv_response("provider-quality", quality::provider_quality_csv(&r)?))
}

/// `GET /console/reports/work-accidents.csv`: the API's CSV, same filters.
pub async fn work_accidents_csv(
    state: web::Data<ServiceContext>,
    signed: Signed,
    q: web::Query<ReportsForm>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    let query = csv_query(&state, &s, &q)?;
    let r = quality::work_accidents(&state, s.caller.clone(), query).await?;
    Ok(csv_response("work-accidents", quality::work_accidents_csv(&r)?))
}

/// The filter of a CSV link, or the use case's error (a bad month: 422 page; out of reach: 404).
fn csv_query(state: &ServiceContext, s: &Session, q: &ReportsForm) -> Result<ReportQuery, ConsoleError> {
    let level = level_of(s)?;
    let q = normalized(state, q);
    report_query(&level, &q).map_err(|e| ConsoleError::App(AppError::Validation(vec![e])))
}

/// `GET /console/reports/deductions.csv`: the API's CSV (`?format=csv`), same filters.
pub async fn deductions_csv(
    state: web::Data<ServiceContext>,
    signed: Signed,
    q: web::Query<ReportsForm>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    let query = csv_query(&state, &s, &q)?;
    let r = service::deductions(&state, s.caller.clone(), query, None).await?;
    Ok(csv_response("deductions", service::deductions_csv(&r)?))
}

/// `GET /console/reports/turnaround.csv`.
pub async fn turnaround_csv(
    state: web::Data<ServiceContext>,
    signed: Signed,
    q: web::Query<ReportsForm>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    let query = csv_query(&state, &s, &q)?;
    let r = service::turnaround(&state, s.caller.clone(), query).await?;
    Ok(csv_response("turnaround", service::turnaround_csv(&r)?))
}

#[derive(Deserialize)]
pub struct YearQuery {
    pub year: Option<String>,
}

/// `GET /console/reports/budget.csv?year=`: every budget in the caller's reach for the year.
pub async fn budget_csv(
    state: web::Data<ServiceContext>,
    signed: Signed,
    q: web::Query<YearQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    level_of(&s)?;
    let year = match q.year.as_deref().map(|y| ascii_digits(y.trim())) {
        None => None,
        Some(y) if y.is_empty() => None,
        Some(y) => Some(y.parse::<i32>().ok().filter(|y| (1300..1500).contains(y)).ok_or_else(|| {
            ConsoleError::App(AppError::field("year", "invalid", "a Jalali year, e.g. 1403"))
        })?),
    };
    let r = service::budget(&state, s.caller.clone(), BudgetQuery { year }).await?;
    Ok(csv_response("budget", service::budget_csv(&r)?))
}
