//! Finance (امور مالی) in the console: advances due and paid with "record a payment"
//! (پیش‌پرداخت / علی‌الحساب), settlement runs for an office or a province with a preview of each
//! provider's net (تسویه), the settlements and their remittances (صورت‌حساب تسویه), payment
//! orders with the bank file and "record paid" once (دستور پرداخت), overdue settlements with the
//! late-payment damages (تسویه‌های معوق) and the reconciliation check (تطبیق).
//!
//! Every page and form admits the API's `Finances` only (403 for every other role); every POST
//! checks the CSRF token first. Each handler calls the use case the API calls
//! (`services::settlements`) with the session's caller, so a finance user bound to an office
//! sees and settles only that office (another office's settlement is the 404 page). Payment
//! orders are Organization-wide, as in the API (`issue_order` pays every approved settlement).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use crate::api::settlements::{OrderPaidBody, PaymentBody};
use crate::auth::{Finances, RoleSet};
use crate::console::format::{service_month, Day, Rials};
use crate::console::listing::{self, Choice, PageLink};
use crate::console::remittance::RemittanceDoc;
use crate::console::session::{Session, Signed};
use crate::console::{render, see_other, ConsoleError, Layout};
use crate::context::ServiceContext;
use crate::domain::lifecycle::payment::{AdvanceStatus, OrderStatus};
use crate::error::{AppError, AppResult, FieldError};
use crate::services::settlements as service;
use crate::store::offices::OfficeFilter;
use crate::store::providers::ProviderFilter;
use crate::store::settlements::SettlementFilter;

/// The API's `Require<Finances>`: the same 403 for every other role.
fn finance(s: &Session) -> Result<(), ConsoleError> {
    s.caller.require_any(Finances::ROLES).map_err(ConsoleError::from)
}

/// The fields a refusal names, for the page to show beside its controls.
fn field_errors(e: &AppError) -> Vec<(String, String)> {
    match e {
        AppError::Validation(errs) => errs.iter().map(|f| (f.field.clone(), f.message.clone())).collect(),
        _ => Vec::new(),
    }
}

fn status_of(e: &AppError) -> StatusCode {
    StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY)
}

/// A refusal the page shows in place (input, state); anything else is the error page.
fn shown_on_page(e: &AppError) -> bool {
    matches!(e, AppError::Validation(_) | AppError::Conflict { .. })
}

fn error_for<'a>(errors: &'a [(String, String)], field: &str) -> Option<&'a str> {
    errors.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
}

/// A Jalali month as typed (`1403-07`, `1403/7`, Persian digits too) in the stored form, or the
/// text as typed when it is not one (the use case's check then names the field).
fn month_input(text: &str) -> String {
    let latin: String = text
        .trim()
        .chars()
        .map(|c| match c {
            '۰'..='۹' => char::from(b'0' + (c as u32 - '۰' as u32) as u8),
            '٠'..='٩' => char::from(b'0' + (c as u32 - '٠' as u32) as u8),
            '/' => '-',
            c => c,
        })
        .collect();
    match latin.split_once('-') {
        Some((y, m))
            if y.len() == 4 && !m.is_empty() && m.len() <= 2 && m.chars().all(|c| c.is_ascii_digit()) =>
        {
            format!("{y}-{m:0>2}")
        }
        _ => latin,
    }
}

fn month_field(text: &str) -> Result<String, AppError> {
    let m = month_input(text);
    if crate::domain::jalali::is_month(&m) {
        Ok(m)
    } else {
        Err(AppError::field("service_month", "invalid", "must be a Jalali month, YYYY-MM (e.g. 1403-07)"))
    }
}

/// The current Jalali month, `1403-07`, to prefill the forms.
fn this_month(state: &ServiceContext) -> String {
    let j = crate::domain::jalali::JalaliDate::from_gregorian(state.today());
    format!("{:04}-{:02}", j.year(), j.month())
}

/// Provider names in the caller's scope, by id (lists show names, not ids).
async fn provider_names(state: &ServiceContext, s: &Session) -> AppResult<HashMap<String, String>> {
    let filter = ProviderFilter { limit: 10_000, ..ProviderFilter::default() };
    let rows = crate::services::providers::list(state, s.caller.clone(), filter).await?;
    Ok(rows.into_iter().map(|p| (p.id.to_string(), p.name_fa)).collect())
}

/// The offices the caller may settle (all, or the one it is bound to), and every province that
/// has one, for the pickers.
async fn office_choices(
    state: &ServiceContext,
    s: &Session,
) -> AppResult<(Vec<crate::store::offices::OfficeRow>, Vec<crate::store::offices::ProvinceRow>)> {
    let offices =
        crate::services::offices::list(state, OfficeFilter { limit: 10_000, ..OfficeFilter::default() })
            .await?
            .into_iter()
            .filter(|o| s.caller.office_id.as_ref().is_none_or(|mine| *mine == o.id))
            .collect::<Vec<_>>();
    let provinces = if s.caller.office_id.is_some() {
        // Bound to an office: a province's run is not theirs (the use case refuses it).
        Vec::new()
    } else {
        crate::services::offices::provinces(state)
            .await?
            .into_iter()
            .filter(|p| offices.iter().any(|o| o.province_id == p.id))
            .collect()
    };
    Ok((offices, provinces))
}

fn choices<'a>(items: impl Iterator<Item = (String, String)> + 'a, selected: &str) -> Vec<Choice> {
    items.map(|(value, label)| Choice { selected: value == selected, value, label }).collect()
}

/// `?done=` after a redirect.
#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    pub done: String,
}

// ---------------------------------------------------------------------------------------------
// Advances (علی‌الحساب).

#[derive(Deserialize, Default)]
pub struct AdvancesQuery {
    /// `due` (the default), `paid` or `all`.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub done: String,
}

pub struct AdvanceLine {
    pub id: String,
    pub provider: String,
    pub month: String,
    pub claimed: Rials,
    pub percent: String,
    pub amount: Rials,
    pub due: Day,
    /// Still due after its date.
    pub late: bool,
    pub paid: bool,
    pub status: &'static str,
    pub paid_on: Option<Day>,
    pub reference: String,
    pub netted: bool,
}

#[derive(Template)]
#[template(path = "console/finance_advances.html")]
pub struct AdvancesPage {
    pub layout: Layout,
    pub status: String,
    pub tabs: Vec<(String, &'static str, usize, bool)>,
    pub rows: Vec<AdvanceLine>,
    pub total: Rials,
    pub today: Day,
    pub notice: Option<&'static str>,
    pub problem: Option<String>,
    /// The advance whose payment was refused, with the form as typed and its field errors.
    pub failed: Option<(String, String, String)>,
    pub errors: Vec<(String, String)>,
}

impl AdvancesPage {
    pub fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }

    /// The value to show in a row's payment form: as typed if it was refused, else the default.
    pub fn typed(&self, id: &str, field: &str, default: &str) -> String {
        match &self.failed {
            Some((fid, paid_on, reference)) if fid == id => {
                if field == "paid_on" {
                    paid_on.clone()
                } else {
                    reference.clone()
                }
            }
            _ => default.to_string(),
        }
    }

    pub fn failed_here(&self, id: &str) -> bool {
        self.failed.as_ref().is_some_and(|(fid, _, _)| fid == id)
    }
}

async fn advances_page(
    state: &ServiceContext,
    s: &Session,
    status: &str,
    notice: Option<&'static str>,
    problem: Option<String>,
    failed: Option<(String, String, String)>,
    errors: Vec<(String, String)>,
) -> Result<AdvancesPage, ConsoleError> {
    let all = service::advances(state, s.caller.clone()).await?;
    let names = provider_names(state, s).await?;
    let today = state.today();
    let status = match status {
        "paid" | "all" => status.to_string(),
        _ => "due".to_string(),
    };
    let count = |st: Option<AdvanceStatus>| all.iter().filter(|a| st.is_none_or(|x| a.status == x)).count();
    let tabs = vec![
        ("due".to_string(), "پرداخت‌نشده", count(Some(AdvanceStatus::Due)), status == "due"),
        ("paid".to_string(), "پرداخت‌شده", count(Some(AdvanceStatus::Paid)), status == "paid"),
        ("all".to_string(), "همه", count(None), status == "all"),
    ];
    let mut rows: Vec<AdvanceLine> = all
        .into_iter()
        .filter(|a| match status.as_str() {
            "due" => a.status == AdvanceStatus::Due,
            "paid" => a.status == AdvanceStatus::Paid,
            _ => true,
        })
        .map(|a| AdvanceLine {
            id: a.id.to_string(),
            provider: names.get(a.provider_id.as_str()).cloned().unwrap_or_else(|| a.provider_id.to_string()),
            month: service_month(&a.service_month),
            claimed: Rials(a.claimed),
            percent: a.percent.clone(),
            amount: Rials(a.amount),
            due: Day::of(a.due_on),
            late: a.status == AdvanceStatus::Due && a.due_on < today,
            paid: a.status == AdvanceStatus::Paid,
            status: a.status.name_fa(),
            paid_on: a.paid_on.map(Day::of),
            reference: a.bank_reference.clone().unwrap_or_default(),
            netted: a.settlement_id.is_some(),
        })
        .collect();
    // The soonest due first: that is the order they are paid in.
    rows.sort_by(|a, b| a.due.iso.cmp(&b.due.iso));
    let total = Rials(rows.iter().map(|r| r.amount.0).sum());
    Ok(AdvancesPage {
        layout: Layout::signed("پیش‌پرداخت‌ها", s, "advances"),
        status,
        tabs,
        rows,
        total,
        today: Day::of(today),
        notice,
        problem,
        failed,
        errors,
    })
}

/// `GET /console/finance/advances?status=due|paid|all`.
pub async fn advances(
    state: web::Data<ServiceContext>,
    signed: Signed,
    q: web::Query<AdvancesQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    finance(&s)?;
    let notice = (q.done == "paid").then_some("پرداخت علی‌الحساب ثبت شد.");
    let page = advances_page(&state, &s, &q.status, notice, None, None, Vec::new()).await?;
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct PaymentForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub paid_on: String,
    #[serde(default)]
    pub bank_reference: String,
}

/// `POST /console/finance/advances/{id}/payment`: `services::settlements::pay_advance` with the
/// API's body and checks. Refused (a field, already paid): the list again with the problem.
pub async fn pay_advance(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    form: web::Form<PaymentForm>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    s.verify_csrf(&form.csrf)?;
    finance(&s)?;
    let f = form.into_inner();
    let id = id.into_inner();
    let body = PaymentBody {
        paid_on: f.paid_on.trim().to_string(),
        bank_reference: f.bank_reference.trim().to_string(),
    };
    let result = async {
        body.validate()?;
        let paid_on = crate::api::date_field("paid_on", &body.paid_on)?;
        service::pay_advance(
            &state,
            s.caller.clone(),
            id.clone().into(),
            paid_on,
            body.bank_reference.clone(),
        )
        .await
    }
    .await;
    let e = match result {
        Ok(_) => return Ok(see_other("/console/finance/advances?done=paid")),
        Err(e) if shown_on_page(&e) => e,
        Err(e) => return Err(e.into()),
    };
    let problem = match &e {
        AppError::Conflict { .. } => {
            "این علی‌الحساب پیش‌تر پرداخت‌شده ثبت شده است؛ پرداخت دوباره ثبت نمی‌شود.".to_string()
        }
        _ => format!("پرداخت ثبت نشد: {}", e.detail()),
    };
    let page = advances_page(
        &state,
        &s,
        "due",
        None,
        Some(problem),
        Some((id, f.paid_on, f.bank_reference)),
        field_errors(&e),
    )
    .await?;
    render(status_of(&e), &page)
}

// ---------------------------------------------------------------------------------------------
// Settlements (تسویه): the list, a run's preview, the run.

#[derive(Deserialize, Default)]
pub struct SettlementsQuery {
    #[serde(default)]
    pub office_id: String,
    #[serde(default)]
    pub provider_id: String,
    #[serde(default)]
    pub service_month: String,
    #[serde(default)]
    pub page: String,
    #[serde(default)]
    pub per: String,
    #[serde(default)]
    pub done: String,
}

impl SettlementsQuery {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("office_id", self.office_id.clone()),
            ("provider_id", self.provider_id.clone()),
            ("service_month", self.service_month.clone()),
            ("page", self.page.clone()),
            ("per", self.per.clone()),
        ]
    }
}

pub struct SettlementLine {
    pub id: String,
    pub provider: String,
    pub office: String,
    pub month: String,
    pub claims_payable: Rials,
    pub adjustments: Rials,
    pub advances: Rials,
    pub carried_in: Rials,
    pub net: Rials,
    pub due: Day,
    pub status: &'static str,
    pub status_class: &'static str,
    pub days_late: i64,
    pub damages: Rials,
}

fn settlement_line(
    v: &service::SettlementView,
    providers: &HashMap<String, String>,
    offices: &HashMap<String, String>,
) -> SettlementLine {
    use crate::domain::lifecycle::payment::SettlementStatus as S;
    let r = &v.row;
    SettlementLine {
        id: r.id.to_string(),
        provider: providers.get(r.provider_id.as_str()).cloned().unwrap_or_else(|| r.provider_id.to_string()),
        office: offices.get(r.office_id.as_str()).cloned().unwrap_or_else(|| r.office_id.to_string()),
        month: service_month(&r.service_month),
        claims_payable: Rials(r.claims_payable),
        adjustments: Rials(r.adjustments),
        advances: Rials(r.advances_netted),
        carried_in: Rials(r.carried_in),
        net: Rials(r.net_payable),
        due: Day::of(r.due_on),
        status: r.status.name_fa(),
        status_class: match r.status {
            S::Paid | S::Closed => "ok",
            S::Carried => "bad",
            S::Approved | S::Ordered => "pend",
        },
        days_late: v.days_late,
        damages: Rials(v.damages),
    }
}

async fn office_names(state: &ServiceContext) -> AppResult<HashMap<String, String>> {
    let rows =
        crate::services::offices::list(state, OfficeFilter { limit: 10_000, ..OfficeFilter::default() })
            .await?;
    Ok(rows.into_iter().map(|o| (o.id.to_string(), o.name_fa)).collect())
}

#[derive(Template)]
#[template(path = "console/finance_settlements.html")]
pub struct SettlementsPage {
    pub layout: Layout,
    pub q: SettlementsQuery,
    pub offices: Vec<Choice>,
    pub providers: Vec<Choice>,
    pub rows: Vec<SettlementLine>,
    pub total: usize,
    pub net_total: Rials,
    pub notice: Option<&'static str>,
    pub errors: Vec<(String, String)>,
    pub first: i64,
    pub last: i64,
    pub pages: Vec<PageLink>,
    pub sizes: Vec<Choice>,
    pub list_path: &'static str,
    pub kept: Vec<(&'static str, String)>,
}

impl SettlementsPage {
    pub fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

/// `GET /console/finance/settlements?office_id=&provider_id=&service_month=&page=&per=`: the
/// API's list (`services::settlements::list`) with its filters, a page of it at a time.
pub async fn settlements(
    state: web::Data<ServiceContext>,
    signed: Signed,
    q: web::Query<SettlementsQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    finance(&s)?;
    let q = q.into_inner();
    let mut errors = Vec::new();
    let page_no = listing::page_number(&q.page, &mut errors);
    let per = listing::page_size(&q.per, 50, &mut errors);
    let month = match q.service_month.trim() {
        "" => None,
        m => match month_field(m) {
            Ok(m) => Some(m),
            Err(e) => {
                errors.extend(field_errors(&e).into_iter().map(|(f, m)| FieldError::new(&f, "invalid", &m)));
                None
            }
        },
    };
    let filter = SettlementFilter {
        office_id: Some(q.office_id.trim()).filter(|v| !v.is_empty()).map(Into::into),
        provider_id: Some(q.provider_id.trim()).filter(|v| !v.is_empty()).map(Into::into),
        service_month: month,
        ..SettlementFilter::default()
    };
    let all = service::list(&state, s.caller.clone(), filter, false).await?;
    let names = provider_names(&state, &s).await?;
    let offices = office_names(&state).await?;
    let (mine, _) = office_choices(&state, &s).await?;
    let total = all.len() as i64;
    let net_total = Rials(all.iter().map(|v| v.row.net_payable).sum());
    // Newest month first, then by provider.
    let mut lines: Vec<(String, SettlementLine)> =
        all.iter().map(|v| (v.row.service_month.clone(), settlement_line(v, &names, &offices))).collect();
    lines.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.provider.cmp(&b.1.provider)));
    let sorted = lines.into_iter().map(|(_, l)| l);
    let start = ((page_no - 1) * per).min(total) as usize;
    let rows: Vec<SettlementLine> = sorted.into_iter().skip(start).take(per as usize).collect();
    let pairs = q.pairs();
    let pages = listing::pager(page_no, per, total, |p| {
        listing::href("/console/finance/settlements", pairs.clone(), &[("page", p.to_string())])
    });
    let sizes = choices([20, 50, 100, 500].iter().map(|n| (n.to_string(), n.to_string())), &per.to_string());
    let notice = match q.done.as_str() {
        "run" => Some("تسویه اجرا شد؛ تسویه‌های ساخته‌شده در فهرست‌اند."),
        _ => None,
    };
    let mut provider_list: Vec<(String, String)> = names.into_iter().collect();
    provider_list.sort_by(|a, b| a.1.cmp(&b.1));
    let page = SettlementsPage {
        layout: Layout::signed("تسویه‌ها", &s, "settlements"),
        offices: choices(mine.iter().map(|o| (o.id.to_string(), o.name_fa.clone())), q.office_id.trim()),
        providers: choices(provider_list.into_iter(), q.provider_id.trim()),
        first: if total == 0 { 0 } else { start as i64 + 1 },
        last: start as i64 + rows.len() as i64,
        rows,
        total: total as usize,
        net_total,
        notice,
        errors: errors.iter().map(|f| (f.field.clone(), f.message.clone())).collect(),
        pages,
        sizes,
        list_path: "/console/finance/settlements",
        kept: listing::kept(pairs),
        q,
    };
    render(StatusCode::OK, &page)
}

#[derive(Deserialize, Default, Clone)]
pub struct RunForm {
    #[serde(default)]
    pub csrf: String,
    /// `office` or `province`.
    #[serde(default)]
    pub run_for: String,
    #[serde(default)]
    pub office_id: String,
    #[serde(default)]
    pub province_id: String,
    #[serde(default)]
    pub service_month: String,
}

/// The run's target as the use case takes it: only the chosen one of office and province.
fn run_target(
    f: &RunForm,
) -> Result<(Option<crate::domain::record_ids::OfficeId>, Option<i32>, String), AppError> {
    let month = month_field(&f.service_month);
    let target = match f.run_for.as_str() {
        "province" => match f.province_id.trim().parse::<i32>() {
            Ok(p) => Ok((None, Some(p))),
            Err(_) => Err(AppError::field("province_id", "required", "choose a province")),
        },
        _ => match f.office_id.trim() {
            "" => Err(AppError::field("office_id", "required", "choose an office")),
            o => Ok((Some(o.to_string().into()), None)),
        },
    };
    match (target, month) {
        (Ok((o, p)), Ok(m)) => Ok((o, p, m)),
        (Err(a), Err(b)) => {
            let mut all = Vec::new();
            for e in [a, b] {
                if let AppError::Validation(list) = e {
                    all.extend(list);
                }
            }
            Err(AppError::Validation(all))
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}

pub struct PreviewOffice {
    pub name: String,
    pub providers: Vec<PreviewLine>,
    pub already_settled: Vec<String>,
    pub net: Rials,
}

pub struct PreviewLine {
    pub provider_id: String,
    pub provider: String,
    pub claims: usize,
    pub corrected: usize,
    pub claims_payable: Rials,
    pub adjustments: Rials,
    pub advances: Rials,
    pub carried_in: Rials,
    pub net: Rials,
    pub due: Day,
    pub status: &'static str,
}

#[derive(Template)]
#[template(path = "console/finance_run.html")]
pub struct RunPage {
    pub layout: Layout,
    pub form: RunForm,
    pub offices: Vec<Choice>,
    pub provinces: Vec<Choice>,
    pub preview: Option<Vec<PreviewOffice>>,
    /// The month previewed, by name (`مهر 1403`).
    pub month_name: String,
    pub net_total: Rials,
    pub to_settle: usize,
    pub errors: Vec<(String, String)>,
    pub problem: Option<String>,
}

impl RunPage {
    pub fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

async fn run_page(
    state: &ServiceContext,
    s: &Session,
    form: RunForm,
    preview: Option<service::RunPreview>,
    errors: Vec<(String, String)>,
    problem: Option<String>,
) -> Result<RunPage, ConsoleError> {
    let (offices, provinces) = office_choices(state, s).await?;
    let settled_names = provider_names(state, s).await?;
    let net_total = Rials(preview.as_ref().map_or(0, |p| p.net_payable));
    let preview = preview.map(|p| {
        p.offices
            .into_iter()
            .map(|o| PreviewOffice {
                name: o.office_name,
                net: Rials(o.providers.iter().map(|l| l.net_payable).sum()),
                providers: o
                    .providers
                    .into_iter()
                    .map(|l| PreviewLine {
                        provider_id: l.provider_id.to_string(),
                        provider: l.provider_name,
                        claims: l.claims,
                        corrected: l.corrected_claims,
                        claims_payable: Rials(l.claims_payable),
                        adjustments: Rials(l.adjustments),
                        advances: Rials(l.advances_netted),
                        carried_in: Rials(l.carried_in),
                        net: Rials(l.net_payable),
                        due: Day::of(l.due_on),
                        status: l.status.name_fa(),
                    })
                    .collect(),
                already_settled: o
                    .already_settled
                    .iter()
                    .map(|id| settled_names.get(id.as_str()).cloned().unwrap_or_else(|| id.to_string()))
                    .collect(),
            })
            .collect::<Vec<_>>()
    });
    let to_settle = preview.as_ref().map_or(0, |p| p.iter().map(|o| o.providers.len()).sum());
    Ok(RunPage {
        layout: Layout::signed("اجرای تسویه", s, "settlements"),
        offices: choices(
            offices.iter().map(|o| (o.id.to_string(), o.name_fa.clone())),
            form.office_id.trim(),
        ),
        provinces: choices(
            provinces.iter().map(|p| (p.id.to_string(), p.name_fa.clone())),
            form.province_id.trim(),
        ),
        month_name: service_month(form.service_month.trim()),
        form,
        preview,
        net_total,
        to_settle,
        errors,
        problem,
    })
}

/// `GET /console/finance/runs?run_for=&office_id=&province_id=&service_month=`: the run form
/// and, once a month is given, the preview (`services::settlements::preview`, what the run
/// would store) with the button that runs it.
pub async fn run_form(
    state: web::Data<ServiceContext>,
    signed: Signed,
    q: web::Query<RunForm>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    finance(&s)?;
    let mut form = q.into_inner();
    if form.service_month.trim().is_empty() {
        form.service_month = this_month(&state);
        let page = run_page(&state, &s, form, None, Vec::new(), None).await?;
        return render(StatusCode::OK, &page);
    }
    let result = match run_target(&form) {
        Ok((office, province, month)) => {
            service::preview(&state, s.caller.clone(), office, province, month).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(p) => {
            form.service_month = p.service_month.clone();
            let page = run_page(&state, &s, form, Some(p), Vec::new(), None).await?;
            render(StatusCode::OK, &page)
        }
        Err(e) if shown_on_page(&e) => {
            let page = run_page(&state, &s, form, None, field_errors(&e), None).await?;
            render(status_of(&e), &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /console/finance/runs`: `services::settlements::run` or `run_province`, then the
/// settlements of the run. A second run (409) or a refused input: the form again with why.
pub async fn run(
    state: web::Data<ServiceContext>,
    signed: Signed,
    form: web::Form<RunForm>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    s.verify_csrf(&form.csrf)?;
    finance(&s)?;
    let form = form.into_inner();
    let result = match run_target(&form) {
        Ok((Some(office), None, month)) => {
            service::run(&state, s.caller.clone(), office.clone(), month.clone()).await.map(|_| {
                listing::href(
                    "/console/finance/settlements",
                    vec![("office_id", office.to_string()), ("service_month", month), ("done", "run".into())],
                    &[],
                )
            })
        }
        Ok((_, Some(province), month)) => {
            service::run_province(&state, s.caller.clone(), province, month.clone()).await.map(|_| {
                listing::href(
                    "/console/finance/settlements",
                    vec![("service_month", month), ("done", "run".into())],
                    &[],
                )
            })
        }
        Ok(_) => Err(AppError::field("office_id", "one_of", "give either office_id or province_id")),
        Err(e) => Err(e),
    };
    let e = match result {
        Ok(to) => return Ok(see_other(&to)),
        Err(e) if shown_on_page(&e) => e,
        Err(e) => return Err(e.into()),
    };
    let problem = match &e {
        AppError::Conflict { .. } => {
            Some("تسویهٔ این ماه برای همهٔ مراکز پیش‌تر اجرا شده است؛ اجرای دوباره ثبت نمی‌شود.".to_string())
        }
        _ => None,
    };
    let page = run_page(&state, &s, form, None, field_errors(&e), problem).await?;
    render(status_of(&e), &page)
}

// ---------------------------------------------------------------------------------------------
// A settlement's remittance (صورت‌حساب تسویه).

#[derive(Template)]
#[template(path = "console/finance_remittance.html")]
pub struct RemittancePage {
    pub layout: Layout,
    pub doc: RemittanceDoc,
}

/// `GET /console/finance/settlements/{id}`: the remittance in the console's frame, the same
/// document the API prints (`?format=html`), with a print button and its CSV.
pub async fn remittance(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    finance(&s)?;
    let r = service::remittance(&state, s.caller.clone(), id.into_inner().into()).await?;
    let doc = RemittanceDoc::of(&r);
    let page = RemittancePage {
        layout: Layout::signed(format!("صورت‌حساب {}", doc.provider), &s, "settlements"),
        doc,
    };
    render(StatusCode::OK, &page)
}

fn csv_response(name: &str, body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{name}\"")))
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(body)
}

/// `GET /console/finance/settlements/{id}/remittance.csv`: the API's CSV, unchanged.
pub async fn remittance_csv(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    finance(&s)?;
    let id = id.into_inner();
    let r = service::remittance(&state, s.caller.clone(), id.clone().into()).await?;
    Ok(csv_response(&format!("remittance-{id}.csv"), service::remittance_csv(&r)?))
}

// ---------------------------------------------------------------------------------------------
// Payment orders (دستور پرداخت).

pub struct OrderListLine {
    pub id: String,
    pub day: Day,
    pub items: i32,
    pub total: Rials,
    pub status: &'static str,
    pub paid: bool,
    pub paid_on: Option<Day>,
    pub reference: String,
}

#[derive(Template)]
#[template(path = "console/finance_orders.html")]
pub struct OrdersPage {
    pub layout: Layout,
    pub rows: Vec<OrderListLine>,
    pub open_total: Rials,
    pub problem: Option<String>,
}

async fn orders_page(
    state: &ServiceContext,
    s: &Session,
    problem: Option<String>,
) -> Result<OrdersPage, ConsoleError> {
    let orders = service::list_orders(state).await?;
    let open_total = Rials(orders.iter().filter(|o| o.status == OrderStatus::Issued).map(|o| o.total).sum());
    Ok(OrdersPage {
        layout: Layout::signed("دستورهای پرداخت", s, "orders"),
        rows: orders
            .into_iter()
            .map(|o| OrderListLine {
                id: o.id.to_string(),
                day: Day::of_instant(o.created_at),
                items: o.items,
                total: Rials(o.total),
                status: o.status.name_fa(),
                paid: o.status == OrderStatus::Paid,
                paid_on: o.paid_on.map(Day::of),
                reference: o.bank_reference.unwrap_or_default(),
            })
            .collect(),
        open_total,
        problem,
    })
}

/// `GET /console/finance/orders`: the orders, newest first (`services::settlements::list_orders`).
pub async fn orders(state: web::Data<ServiceContext>, signed: Signed) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    finance(&s)?;
    let page = orders_page(&state, &s, None).await?;
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// `POST /console/finance/orders`: `services::settlements::issue_order`, then the new order.
/// Nothing to pay (409): the list with the reason.
pub async fn issue_order(
    state: web::Data<ServiceContext>,
    signed: Signed,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    s.verify_csrf(&form.csrf)?;
    finance(&s)?;
    match service::issue_order(&state, s.caller.clone()).await {
        Ok((order, _)) => Ok(see_other(&format!("/console/finance/orders/{}?done=issued", order.id))),
        Err(e @ AppError::Conflict { .. }) => {
            let problem = if e.detail().contains("no approved settlement") {
                "تسویهٔ تأییدشده یا بازپرداختی در انتظار پرداخت نیست؛ دستور پرداختی صادر نشد.".to_string()
            } else {
                format!("دستور پرداخت صادر نشد: {}", e.detail())
            };
            let page = orders_page(&state, &s, Some(problem)).await?;
            render(status_of(&e), &page)
        }
        Err(e) => Err(e.into()),
    }
}

pub struct PayeeLine {
    pub kind: &'static str,
    pub link: Option<String>,
    pub name: String,
    pub sheba: String,
    pub amount: Rials,
    pub reference: String,
}

#[derive(Template)]
#[template(path = "console/finance_order.html")]
pub struct OrderPage {
    pub layout: Layout,
    pub id: String,
    pub day: Day,
    pub status: &'static str,
    pub paid: bool,
    pub paid_on: Option<Day>,
    pub reference: String,
    pub total: Rials,
    pub lines: Vec<PayeeLine>,
    pub notice: Option<&'static str>,
    pub problem: Option<String>,
    pub form_paid_on: String,
    pub form_reference: String,
    pub errors: Vec<(String, String)>,
}

impl OrderPage {
    pub fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

async fn order_page(
    state: &ServiceContext,
    s: &Session,
    id: &str,
    notice: Option<&'static str>,
    problem: Option<String>,
    typed: Option<PaymentForm>,
    errors: Vec<(String, String)>,
) -> Result<OrderPage, ConsoleError> {
    let (o, lines) = service::get_order(state, id.to_string().into()).await?;
    let today = Day::of(state.today());
    let typed = typed.unwrap_or(PaymentForm {
        csrf: String::new(),
        paid_on: today.jalali.clone(),
        bank_reference: String::new(),
    });
    Ok(OrderPage {
        layout: Layout::signed("دستور پرداخت", s, "orders"),
        id: o.id.to_string(),
        day: Day::of_instant(o.created_at),
        status: o.status.name_fa(),
        paid: o.status == OrderStatus::Paid,
        paid_on: o.paid_on.map(Day::of),
        reference: o.bank_reference.clone().unwrap_or_default(),
        total: Rials(o.total),
        lines: lines
            .into_iter()
            .map(|l| PayeeLine {
                kind: if l.kind == "settlement" {
                    "تسویهٔ مرکز"
                } else {
                    "بازپرداخت بیمه‌شده"
                },
                link: (l.kind == "settlement").then(|| format!("/console/finance/settlements/{}", l.id)),
                name: l.name,
                sheba: l.sheba,
                amount: Rials(l.amount),
                reference: l.reference,
            })
            .collect(),
        notice,
        problem,
        form_paid_on: typed.paid_on,
        form_reference: typed.bank_reference,
        errors,
    })
}

/// `GET /console/finance/orders/{id}`: the payees, the bank file and, while issued, the form
/// that records the bank's payment.
pub async fn order(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    q: web::Query<Done>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    finance(&s)?;
    let notice = match q.done.as_str() {
        "issued" => {
            Some("دستور پرداخت صادر شد. فایل بانک را بگیرید و پس از پرداخت بانک، پرداخت را ثبت کنید.")
        }
        "paid" => Some("پرداخت دستور ثبت شد؛ تسویه‌ها و بازپرداخت‌های آن پرداخت‌شده‌اند."),
        _ => None,
    };
    let page = order_page(&state, &s, &id, notice, None, None, Vec::new()).await?;
    render(StatusCode::OK, &page)
}

/// `GET /console/finance/orders/{id}/bank-file.csv`: the bank file (`order_csv`, as the API's
/// `?format=csv`).
pub async fn bank_file(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    finance(&s)?;
    let id = id.into_inner();
    let (_, lines) = service::get_order(&state, id.clone().into()).await?;
    Ok(csv_response(&format!("payment-order-{id}.csv"), service::order_csv(&lines)?))
}

/// `POST /console/finance/orders/{id}/paid`: `services::settlements::pay_order`, once. A
/// second recording (409 `already_paid`, e.g. from a page opened before the first) is the
/// order's page again with a Persian message saying it is already paid.
pub async fn pay_order(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    form: web::Form<PaymentForm>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    s.verify_csrf(&form.csrf)?;
    finance(&s)?;
    let f = form.into_inner();
    let id = id.into_inner();
    let body = OrderPaidBody {
        bank_reference: f.bank_reference.trim().to_string(),
        paid_on: f.paid_on.trim().to_string(),
    };
    let result = async {
        body.validate()?;
        let paid_on = crate::api::date_field("paid_on", &body.paid_on)?;
        service::pay_order(&state, s.caller.clone(), id.clone().into(), body.bank_reference.clone(), paid_on)
            .await
    }
    .await;
    let e = match result {
        Ok(_) => return Ok(see_other(&format!("/console/finance/orders/{id}?done=paid"))),
        Err(e) if shown_on_page(&e) => e,
        Err(e) => return Err(e.into()),
    };
    let problem = match &e {
        AppError::Conflict { .. } => {
            "این دستور پرداخت پیش‌تر پرداخت‌شده ثبت شده است؛ پرداخت دوباره ثبت نشد.".to_string()
        }
        _ => format!("پرداخت ثبت نشد: {}", e.detail()),
    };
    let page = order_page(&state, &s, &id, None, Some(problem), Some(f), field_errors(&e)).await?;
    render(status_of(&e), &page)
}

// ---------------------------------------------------------------------------------------------
// Overdue settlements (تسویه‌های معوق) and reconciliation (تطبیق).

#[derive(Deserialize, Default)]
pub struct OfficeQuery {
    #[serde(default)]
    pub office_id: String,
    #[serde(default)]
    pub service_month: String,
}

#[derive(Template)]
#[template(path = "console/finance_overdue.html")]
pub struct OverduePage {
    pub layout: Layout,
    pub offices: Vec<Choice>,
    pub rows: Vec<SettlementLine>,
    pub net_total: Rials,
    pub damages_total: Rials,
    pub today: Day,
}

/// `GET /console/finance/overdue?office_id=`: `services::settlements::list` with `overdue`, the
/// API's `?overdue=true`: unpaid settlements past their due date with days late and damages,
/// the latest first.
pub async fn overdue(
    state: web::Data<ServiceContext>,
    signed: Signed,
    q: web::Query<OfficeQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    finance(&s)?;
    let filter = SettlementFilter {
        office_id: Some(q.office_id.trim()).filter(|v| !v.is_empty()).map(Into::into),
        ..SettlementFilter::default()
    };
    let mut list = service::list(&state, s.caller.clone(), filter, true).await?;
    list.sort_by_key(|v| std::cmp::Reverse(v.days_late));
    let names = provider_names(&state, &s).await?;
    let offices = office_names(&state).await?;
    let (mine, _) = office_choices(&state, &s).await?;
    let page = OverduePage {
        layout: Layout::signed("تسویه‌های معوق", &s, "overdue"),
        offices: choices(mine.iter().map(|o| (o.id.to_string(), o.name_fa.clone())), q.office_id.trim()),
        net_total: Rials(list.iter().map(|v| v.row.net_payable).sum()),
        damages_total: Rials(list.iter().map(|v| v.damages).sum()),
        rows: list.iter().map(|v| settlement_line(v, &names, &offices)).collect(),
        today: Day::of(state.today()),
    };
    render(StatusCode::OK, &page)
}

pub struct ReconciliationView {
    pub office: String,
    pub month: String,
    pub claims: usize,
    pub claims_payable: Rials,
    pub settled: Rials,
    pub unsettled: Rials,
    pub ok: bool,
}

#[derive(Template)]
#[template(path = "console/finance_reconciliation.html")]
pub struct ReconciliationPage {
    pub layout: Layout,
    pub offices: Vec<Choice>,
    pub service_month: String,
    pub result: Option<ReconciliationView>,
    pub errors: Vec<(String, String)>,
}

impl ReconciliationPage {
    pub fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

/// `GET /console/finance/reconciliation?office_id=&service_month=`: `services::settlements::
/// reconcile`, the API's check: the month's payable equals what was settled plus what is not.
pub async fn reconciliation(
    state: web::Data<ServiceContext>,
    signed: Signed,
    q: web::Query<OfficeQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    finance(&s)?;
    let q = q.into_inner();
    let (mine, _) = office_choices(&state, &s).await?;
    let offices = choices(mine.iter().map(|o| (o.id.to_string(), o.name_fa.clone())), q.office_id.trim());
    let mut page = ReconciliationPage {
        layout: Layout::signed("تطبیق", &s, "reconciliation"),
        offices,
        service_month: q.service_month.clone(),
        result: None,
        errors: Vec::new(),
    };
    if q.office_id.trim().is_empty() && q.service_month.trim().is_empty() {
        page.service_month = this_month(&state);
        return render(StatusCode::OK, &page);
    }
    let result = async {
        let month = month_field(&q.service_month)?;
        if q.office_id.trim().is_empty() {
            return Err(AppError::field("office_id", "required", "choose an office"));
        }
        service::reconcile(&state, s.caller.clone(), q.office_id.trim().to_string().into(), month).await
    }
    .await;
    match result {
        Ok(r) => {
            page.service_month = r.service_month.clone();
            page.result = Some(ReconciliationView {
                office: mine
                    .iter()
                    .find(|o| o.id == r.office_id)
                    .map(|o| o.name_fa.clone())
                    .unwrap_or_default(),
                month: service_month(&r.service_month),
                claims: r.claims,
                claims_payable: Rials(r.claims_payable),
                settled: Rials(r.settled),
                unsettled: Rials(r.unsettled),
                ok: r.ok,
            });
            render(StatusCode::OK, &page)
        }
        Err(e) if shown_on_page(&e) => {
            page.errors = field_errors(&e);
            render(status_of(&e), &page)
        }
        Err(e) => Err(e.into()),
    }
}
