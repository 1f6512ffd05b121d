//! The supervisor's screens (سرپرست رسیدگی): the four-eyes inbox (تصمیم‌های منتظر تأیید دوم)
//! with each decision's diff and the approve / return buttons, samples (نمونه‌گیری: list,
//! draw, progress, extrapolate, close), the office's backlog by age and reviewer (انباشت کار),
//! and the assignment of a claim to a reviewer (ارجاع پرونده) from the claim page.
//!
//! Every handler authorizes as the API's `Supervisors` (403 for every other role, reviewers
//! included), checks the CSRF token on a POST first, and calls the use case the API calls:
//! `services::supervision` for the reads, `services::review::{review_decision, assign}` and
//! `services::sampling` for the acts. Another office's decision or sample is a 404 page.

use std::str::FromStr;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::auth::{Role, RoleSet, Supervisors};
use crate::console::format::{service_month, tehran, Day, Rials};
use crate::console::session::{Session, Signed};
use crate::console::{render, see_other, urlencode, ConsoleError, Layout};
use crate::context::ServiceContext;
use crate::domain::lifecycle::claim::ClaimStatus;
use crate::domain::lifecycle::review::{DecisionStatus, SampleStatus};
use crate::domain::reasons::Reason;
use crate::domain::review::LineAction;
use crate::error::{AppError, FieldError};
use crate::services;
use crate::services::review::Split;
use crate::services::sampling::{Method, NewSample, SampleView};
use crate::store::providers::ProviderFilter;

/// The API's `Require<Supervisors>`: the same 403 for every other role.
fn supervisor(s: &Session) -> Result<(), ConsoleError> {
    s.caller.require_any(Supervisors::ROLES).map_err(ConsoleError::from)
}

/// A form with only the CSRF token and, for a return, the supervisor's note.
#[derive(Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub note: String,
}

/// `?done=` after a redirect.
#[derive(Deserialize, Default)]
pub struct Done {
    pub done: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// The four-eyes inbox.

/// A waiting decision, as listed.
pub struct InboxRow {
    pub id: String,
    pub claim_id: String,
    pub document_no: String,
    pub provider: String,
    pub insured: String,
    pub proposer: String,
    pub own: bool,
    pub objection: bool,
    pub day: Day,
    pub time: String,
    pub before: Rials,
    pub after: Rials,
    /// After minus before: negative when the reviewer cut the payable.
    pub change: Rials,
}

#[derive(Template)]
#[template(path = "console/approvals.html")]
pub struct InboxPage {
    pub layout: Layout,
    pub rows: Vec<InboxRow>,
    pub notice: Option<&'static str>,
    pub total_before: Rials,
    pub total_after: Rials,
    pub total_change: Rials,
}

/// `GET /console/approvals`: the office's decisions waiting for a second approval, oldest
/// first (`services::supervision::awaiting_decisions`).
pub async fn inbox(
    state: web::Data<ServiceContext>,
    signed: Signed,
    q: web::Query<Done>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    supervisor(&s)?;
    let items = services::supervision::awaiting_decisions(&state, s.caller.clone()).await?;
    let rows: Vec<InboxRow> = items
        .into_iter()
        .map(|d| InboxRow {
            own: d.proposed_by == s.caller.user_id,
            objection: d.origin == "objection",
            day: Day::of_instant(d.proposed_at),
            time: tehran(d.proposed_at).format("%H:%M").to_string(),
            before: Rials(d.payable_before),
            after: Rials(d.payable_after),
            change: Rials(d.payable_after - d.payable_before),
            id: d.id.to_string(),
            claim_id: d.claim_id.to_string(),
            document_no: d.provider_document_no,
            provider: d.provider_name,
            insured: d.insured_national_code,
            proposer: d.proposed_by_name,
        })
        .collect();
    let sum = |f: fn(&InboxRow) -> i64| Rials(rows.iter().map(f).sum());
    let page = InboxPage {
        layout: Layout::signed("تصمیم‌های منتظر تأیید دوم", &s, "approvals"),
        notice: match q.done.as_deref() {
            Some("approved") => Some("تصمیم تأیید و بر سند اعمال شد."),
            Some("returned") => Some("تصمیم به کارشناس بازگشت؛ سند دوباره در صف است."),
            _ => None,
        },
        total_before: sum(|r| r.before.0),
        total_after: sum(|r| r.after.0),
        total_change: sum(|r| r.change.0),
        rows,
    };
    render(StatusCode::OK, &page)
}

/// An amount before and after, and whether it changes (the cell is highlighted).
pub struct Cell {
    pub before: Rials,
    pub after: Rials,
    pub changed: bool,
}

fn cells(before: &Split, after: &Split) -> [Cell; 4] {
    let cell = |b: i64, a: i64| Cell { before: Rials(b), after: Rials(a), changed: a != b };
    [
        cell(before.insurer_payable, after.insurer_payable),
        cell(before.patient_share, after.patient_share),
        cell(before.patient_gap, after.patient_gap),
        cell(before.deducted, after.deducted),
    ]
}

pub struct ReasonTag {
    pub code: String,
    pub text: &'static str,
}

fn tags(codes: &[String]) -> Vec<ReasonTag> {
    codes
        .iter()
        .map(|c| ReasonTag { text: Reason::parse(c).map(|r| r.message_fa()).unwrap_or(""), code: c.clone() })
        .collect()
}

pub struct DiffLine {
    pub no: u32,
    pub code: String,
    pub item_type: String,
    pub billed: Rials,
    pub action: &'static str,
    pub changed: bool,
    pub cells: [Cell; 4],
    pub added: Vec<ReasonTag>,
    pub removed: Vec<ReasonTag>,
    pub note: String,
}

#[derive(Template)]
#[template(path = "console/approval.html")]
pub struct DiffPage {
    pub layout: Layout,
    pub id: String,
    pub claim_id: String,
    pub document_no: String,
    pub provider: String,
    pub insured: String,
    pub proposer: String,
    pub day: Day,
    pub time: String,
    pub objection: bool,
    pub status: &'static str,
    pub awaiting: bool,
    pub own: bool,
    pub claim_note: String,
    pub lines: Vec<DiffLine>,
    pub totals: [Cell; 4],
    pub change: Rials,
    /// A refused approval or return: the problem's detail.
    pub problem: Option<String>,
    pub note: String,
}

fn action_fa(a: Option<LineAction>) -> &'static str {
    match a {
        Some(LineAction::Approve) => "تأیید",
        Some(LineAction::Adjust) => "تعدیل مبلغ",
        Some(LineAction::Reject) => "رد",
        None => "بدون تغییر",
    }
}

fn decision_status_fa(s: DecisionStatus) -> &'static str {
    match s {
        DecisionStatus::AwaitingApproval => "در انتظار تأیید دوم",
        DecisionStatus::Applied => "تأیید و اعمال شد",
        DecisionStatus::Returned => "به کارشناس بازگشت",
    }
}

async fn diff_page(
    state: &ServiceContext,
    s: &Session,
    id: String,
    problem: Option<String>,
    note: String,
) -> Result<DiffPage, ConsoleError> {
    let d = services::supervision::decision_diff(state, s.caller.clone(), id.into()).await?;
    let a = &d.decision;
    let lines = d
        .lines
        .iter()
        .map(|l| {
            let cells = cells(&l.before, &l.after);
            DiffLine {
                no: l.line_no,
                code: l.code.clone(),
                item_type: l.item_type.clone(),
                billed: Rials(l.billed),
                action: action_fa(l.action),
                changed: cells.iter().any(|c| c.changed)
                    || !l.reasons_added.is_empty()
                    || !l.reasons_removed.is_empty(),
                cells,
                added: tags(&l.reasons_added),
                removed: tags(&l.reasons_removed),
                note: l.note.clone().unwrap_or_default(),
            }
        })
        .collect();
    Ok(DiffPage {
        layout: Layout::signed(format!("تأیید دوم · سند {}", a.provider_document_no), s, "approvals"),
        id: a.id.to_string(),
        claim_id: a.claim_id.to_string(),
        document_no: a.provider_document_no.clone(),
        provider: a.provider_name.clone(),
        insured: a.insured_national_code.clone(),
        proposer: a.proposed_by_name.clone(),
        day: Day::of_instant(a.proposed_at),
        time: tehran(a.proposed_at).format("%H:%M").to_string(),
        objection: a.origin == "objection",
        status: decision_status_fa(a.status),
        awaiting: a.status == DecisionStatus::AwaitingApproval,
        own: d.own,
        claim_note: a.note.clone().unwrap_or_default(),
        lines,
        totals: cells(&d.before, &d.after),
        change: Rials(a.payable_after - a.payable_before),
        problem,
        note,
    })
}

/// `GET /console/approvals/{id}`: the decision's diff (`services::supervision::decision_diff`).
pub async fn decision(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    supervisor(&s)?;
    let page = diff_page(&state, &s, id.into_inner(), None, String::new()).await?;
    render(StatusCode::OK, &page)
}

/// Approve or return through `services::review::review_decision`, the API's use case. A
/// refusal the supervisor can act on (their own proposal: 403; no longer waiting: 409) shows
/// the diff again with the problem's detail; another office's decision is the 404 page.
async fn close_decision(
    state: &ServiceContext,
    s: Session,
    id: String,
    form: NoteForm,
    approve: bool,
) -> Result<HttpResponse, ConsoleError> {
    s.verify_csrf(&form.csrf)?;
    supervisor(&s)?;
    let note = Some(form.note.trim().to_string()).filter(|n| !n.is_empty());
    match services::review::review_decision(state, s.caller.clone(), id.clone().into(), approve, note).await {
        Ok(_) => Ok(see_other(&format!(
            "/console/approvals?done={}",
            if approve { "approved" } else { "returned" }
        ))),
        Err(e @ (AppError::Forbidden { .. } | AppError::Conflict { .. })) => {
            let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::CONFLICT);
            let page = diff_page(state, &s, id, Some(e.detail()), form.note).await?;
            render(status, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /console/approvals/{id}/approve`.
pub async fn approve(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    form: web::Form<NoteForm>,
) -> Result<HttpResponse, ConsoleError> {
    close_decision(&state, signed.0, id.into_inner(), form.into_inner(), true).await
}

/// `POST /console/approvals/{id}/return`: back to the reviewer, with the supervisor's note.
pub async fn return_decision(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    form: web::Form<NoteForm>,
) -> Result<HttpResponse, ConsoleError> {
    close_decision(&state, signed.0, id.into_inner(), form.into_inner(), false).await
}

// ---------------------------------------------------------------------------------------------
// Samples.

/// How many samples the list shows (newest first).
const SAMPLES_SHOWN: i64 = 200;

pub struct SampleRow {
    pub id: String,
    pub provider: String,
    pub month: String,
    pub method: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub population: usize,
    pub selected: usize,
    pub reviewed: usize,
    /// Reviewed of selected, in whole percent, for the bar.
    pub progress: usize,
    pub rate: String,
    pub day: Day,
}

/// The draw form as typed (shown back with its errors).
#[derive(Deserialize, Default)]
pub struct SampleForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub provider_id: String,
    #[serde(default)]
    pub service_month: String,
    #[serde(default)]
    pub method: String,
    #[serde(default)]
    pub percent: String,
    #[serde(default)]
    pub above_amount: String,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "console/samples.html")]
pub struct SamplesPage {
    pub layout: Layout,
    pub rows: Vec<SampleRow>,
    pub providers: Vec<Choice>,
    pub form: SampleForm,
    pub errors: Vec<(String, String)>,
    pub problem: Option<String>,
}

impl SamplesPage {
    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }
}

fn sample_status(s: SampleStatus) -> (&'static str, &'static str) {
    match s {
        SampleStatus::Open => ("باز", "pend"),
        SampleStatus::Extrapolated => ("تعمیم داده شد", "ok"),
        SampleStatus::Closed => ("بسته", "plain"),
    }
}

/// The method in words: `تصادفی 10٪`, `مبلغ از 5,000,000 ریال`, `همهٔ اسناد`.
fn method_fa(v: &SampleView) -> String {
    match v.method.as_str() {
        "random" => format!("تصادفی {}٪", v.percent.as_deref().unwrap_or("?")),
        "above_amount" => format!("قابل پرداخت از {} ریال", Rials(v.above_amount.unwrap_or(0))),
        _ => "همهٔ اسناد".into(),
    }
}

/// A fraction (`0.1234`) as a percent with two decimals (`12.34٪`).
fn percent(rate: &str) -> String {
    match Decimal::from_str(rate) {
        Ok(r) => format!("{}٪", (r * Decimal::ONE_HUNDRED).round_dp(2).normalize()),
        Err(_) => rate.to_string(),
    }
}

async fn provider_names(state: &ServiceContext, s: &Session) -> Result<Vec<(String, String)>, ConsoleError> {
    let rows = services::providers::list(
        state,
        s.caller.clone(),
        ProviderFilter { limit: 500, ..Default::default() },
    )
    .await?;
    Ok(rows.into_iter().map(|p| (p.id.into_string(), p.name_fa)).collect())
}

async fn samples_page(
    state: &ServiceContext,
    s: &Session,
    form: SampleForm,
    errors: Vec<(String, String)>,
    problem: Option<String>,
) -> Result<SamplesPage, ConsoleError> {
    let providers = provider_names(state, s).await?;
    let name_of = |id: &str| {
        providers.iter().find(|(p, _)| p == id).map(|(_, n)| n.clone()).unwrap_or_else(|| id.to_string())
    };
    let items = services::sampling::list(state, s.caller.clone(), SAMPLES_SHOWN).await?;
    let rows = items
        .into_iter()
        .map(|(v, at)| {
            let (status, status_class) = sample_status(v.status);
            SampleRow {
                id: v.id.to_string(),
                provider: name_of(v.provider_id.as_str()),
                month: service_month(&v.service_month),
                method: method_fa(&v),
                status,
                status_class,
                population: v.population,
                selected: v.selected,
                reviewed: v.reviewed,
                progress: (v.reviewed * 100).checked_div(v.selected).unwrap_or(0),
                rate: percent(&v.rate),
                day: Day::of_instant(at),
            }
        })
        .collect();
    Ok(SamplesPage {
        layout: Layout::signed("نمونه‌گیری", s, "samples"),
        providers: providers
            .iter()
            .map(|(id, name)| Choice {
                selected: *id == form.provider_id,
                value: id.clone(),
                label: name.clone(),
            })
            .collect(),
        rows,
        form,
        errors,
        problem,
    })
}

/// `GET /console/samples`: the office's samples and the form to draw one.
pub async fn samples(state: web::Data<ServiceContext>, signed: Signed) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    supervisor(&s)?;
    let form = SampleForm { method: "random".into(), percent: "10".into(), ..SampleForm::default() };
    let page = samples_page(&state, &s, form, Vec::new(), None).await?;
    render(StatusCode::OK, &page)
}

/// The draw form as the use case's input (`POST /api/v1/review/samples`'s fields); a field
/// that is not a number is named as the API names it.
fn new_sample(f: &SampleForm) -> Result<NewSample, AppError> {
    let mut errors = Vec::new();
    let method = match f.method.trim() {
        "random" => Method::Random,
        "above_amount" => Method::AboveAmount,
        "all" => Method::All,
        _ => {
            errors.push(FieldError::new("method", "one_of", "random, above_amount or all"));
            Method::All
        }
    };
    // Only the method's own parameter is sent: the form keeps the others' values.
    let percent = match (method, f.percent.trim()) {
        (Method::Random, "") => None,
        (Method::Random, t) => match Decimal::from_str(t) {
            Ok(p) => Some(p),
            Err(_) => {
                errors.push(FieldError::new("percent", "number", "a percentage, e.g. 10 or 2.5"));
                None
            }
        },
        _ => None,
    };
    let above_amount = match method {
        Method::AboveAmount => {
            let digits: String =
                f.above_amount.chars().filter(|c| *c != ',' && *c != '٬' && !c.is_whitespace()).collect();
            match digits.parse::<i64>() {
                Ok(a) => Some(a),
                Err(_) => {
                    errors.push(FieldError::new("above_amount", "number", "an amount in whole rials"));
                    None
                }
            }
        }
        _ => None,
    };
    if f.provider_id.trim().is_empty() {
        errors.push(FieldError::new("provider_id", "required", "choose a provider"));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok(NewSample {
        provider_id: f.provider_id.trim().to_string().into(),
        service_month: f.service_month.trim().to_string(),
        method,
        percent,
        above_amount,
    })
}

/// `POST /console/samples`: draws a sample through `services::sampling::create`, then its
/// page. A refused draw shows the form again with each field's message (422) or the problem.
pub async fn create_sample(
    state: web::Data<ServiceContext>,
    signed: Signed,
    form: web::Form<SampleForm>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    s.verify_csrf(&form.csrf)?;
    supervisor(&s)?;
    let form = form.into_inner();
    let result = match new_sample(&form) {
        Ok(new) => services::sampling::create(&state, s.caller.clone(), new).await,
        Err(e) => Err(e),
    };
    let e = match result {
        Ok(v) => return Ok(see_other(&format!("/console/samples/{}?done=created", v.id))),
        Err(e) => e,
    };
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    let (errors, problem) = match &e {
        AppError::Validation(errs) => {
            (errs.iter().map(|f| (f.field.clone(), f.message.clone())).collect(), None)
        }
        // A provider outside the office is "not found" for the supervisor: said beside the field.
        AppError::NotFound(_) => (vec![("provider_id".to_string(), e.detail())], None),
        AppError::Conflict { .. } => (Vec::new(), Some(e.detail())),
        _ => return Err(e.into()),
    };
    let page = samples_page(&state, &s, form, errors, problem).await?;
    render(status, &page)
}

pub struct MemberRow {
    pub claim_id: String,
    pub document_no: String,
    pub selected: bool,
    pub reviewed: bool,
    pub status: &'static str,
    pub at_sampling: Rials,
    pub now: Rials,
    pub changed: bool,
}

#[derive(Template)]
#[template(path = "console/sample.html")]
pub struct SamplePage {
    pub layout: Layout,
    pub id: String,
    pub provider: String,
    pub month: String,
    pub method: String,
    pub random: bool,
    pub status: &'static str,
    pub status_class: &'static str,
    pub open: bool,
    pub population: usize,
    pub selected: usize,
    pub reviewed: usize,
    pub progress: usize,
    pub rate: String,
    pub members: Vec<MemberRow>,
    pub sampled_total: Rials,
    pub now_total: Rials,
    pub notice: Option<&'static str>,
    pub problem: Option<String>,
}

async fn sample_page(
    state: &ServiceContext,
    s: &Session,
    id: String,
    notice: Option<&'static str>,
    problem: Option<String>,
) -> Result<SamplePage, ConsoleError> {
    let v = services::sampling::get(state, s.caller.clone(), id.into()).await?;
    let provider = services::providers::get(state, s.caller.clone(), v.provider_id.clone())
        .await
        .map(|p| p.name_fa)
        .unwrap_or_else(|_| v.provider_id.to_string());
    let (status, status_class) = sample_status(v.status);
    let members: Vec<MemberRow> = v
        .claims
        .iter()
        .map(|m| MemberRow {
            claim_id: m.claim_id.to_string(),
            document_no: m.provider_document_no.clone(),
            selected: m.selected,
            reviewed: !matches!(m.status, ClaimStatus::Pended | ClaimStatus::AwaitingApproval),
            status: m.status.name_fa(),
            at_sampling: Rials(m.payable_at_sampling),
            now: Rials(m.insurer_payable),
            changed: m.payable_at_sampling != m.insurer_payable,
        })
        .collect();
    Ok(SamplePage {
        layout: Layout::signed("نمونه‌گیری", s, "samples"),
        id: v.id.to_string(),
        provider,
        month: service_month(&v.service_month),
        method: method_fa(&v),
        random: v.method == "random",
        status,
        status_class,
        open: v.status == SampleStatus::Open,
        population: v.population,
        selected: v.selected,
        reviewed: v.reviewed,
        progress: (v.reviewed * 100).checked_div(v.selected).unwrap_or(0),
        rate: percent(&v.rate),
        sampled_total: Rials(members.iter().map(|m| m.at_sampling.0).sum()),
        now_total: Rials(members.iter().map(|m| m.now.0).sum()),
        members,
        notice,
        problem,
    })
}

/// `GET /console/samples/{id}`: the sample's progress and claims (`services::sampling::get`).
pub async fn sample(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    q: web::Query<Done>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    supervisor(&s)?;
    let notice = match q.done.as_deref() {
        Some("created") => Some("نمونه گرفته شد؛ اسناد انتخاب‌شده به صف رسیدگی برگشتند."),
        Some("extrapolated") => Some("نرخ کسر نمونه بر اسناد انتخاب‌نشده اعمال شد (R92)."),
        Some("closed") => Some("نمونه بدون تعمیم بسته شد."),
        _ => None,
    };
    let page = sample_page(&state, &s, id.into_inner(), notice, None).await?;
    render(StatusCode::OK, &page)
}

async fn close_sample(
    state: &ServiceContext,
    s: Session,
    id: String,
    csrf: &str,
    apply: bool,
) -> Result<HttpResponse, ConsoleError> {
    s.verify_csrf(csrf)?;
    supervisor(&s)?;
    match services::sampling::close(state, s.caller.clone(), id.clone().into(), apply).await {
        Ok(_) => Ok(see_other(&format!(
            "/console/samples/{}?done={}",
            urlencode(&id),
            if apply { "extrapolated" } else { "closed" }
        ))),
        Err(e @ AppError::Conflict { .. }) => {
            let page = sample_page(state, &s, id, None, Some(e.detail())).await?;
            render(StatusCode::CONFLICT, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /console/samples/{id}/extrapolate`.
pub async fn extrapolate(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    form: web::Form<NoteForm>,
) -> Result<HttpResponse, ConsoleError> {
    close_sample(&state, signed.0, id.into_inner(), &form.csrf, true).await
}

/// `POST /console/samples/{id}/close`.
pub async fn close(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    form: web::Form<NoteForm>,
) -> Result<HttpResponse, ConsoleError> {
    close_sample(&state, signed.0, id.into_inner(), &form.csrf, false).await
}

// ---------------------------------------------------------------------------------------------
// The backlog.

/// The ages of the backlog's columns (days since receipt, "at least"): the queue's own.
const AGES: [i64; 5] = [0, 3, 7, 14, 30];

pub struct BacklogCell {
    pub count: i64,
    pub href: String,
    pub late: bool,
}

pub struct BacklogRow {
    pub label: String,
    pub sub: &'static str,
    pub total: bool,
    pub cells: Vec<BacklogCell>,
}

#[derive(Template)]
#[template(path = "console/backlog.html")]
pub struct BacklogPage {
    pub layout: Layout,
    pub ages: Vec<String>,
    pub rows: Vec<BacklogRow>,
}

/// `GET /console/backlog`: the office's open work by age, for the office, the claims nobody
/// holds and each reviewer (`services::supervision::backlog`); each number opens the queue
/// filtered the same way.
pub async fn backlog(state: web::Data<ServiceContext>, signed: Signed) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    supervisor(&s)?;
    let b = services::supervision::backlog(&state, s.caller.clone(), AGES.to_vec()).await?;
    let row =
        |label: String, sub: &'static str, total: bool, extra: &str, counts: &[(i64, i64)]| BacklogRow {
            label,
            sub,
            total,
            cells: counts
                .iter()
                .map(|(d, n)| {
                    let mut q = Vec::new();
                    if *d > 0 {
                        q.push(format!("age={d}"));
                    }
                    if !extra.is_empty() {
                        q.push(extra.to_string());
                    }
                    BacklogCell {
                        count: *n,
                        href: if q.is_empty() {
                            "/console/queue".into()
                        } else {
                            format!("/console/queue?{}", q.join("&"))
                        },
                        late: *d >= 14 && *n > 0,
                    }
                })
                .collect(),
        };
    let mut rows = vec![
        row("همهٔ کار باز دفتر".into(), "", true, "", &b.all),
        row("بدون کارشناس".into(), "هنوز کسی برنداشته", false, "unassigned=1", &b.unassigned),
    ];
    for (r, counts) in &b.reviewers {
        let sub = if r.role == Role::Supervisor { "سرپرست" } else { "" };
        rows.push(row(
            r.display_name.clone(),
            sub,
            false,
            &format!("reviewer={}", urlencode(r.id.as_str())),
            counts,
        ));
    }
    let page = BacklogPage {
        layout: Layout::signed("انباشت کار", &s, "backlog"),
        ages: AGES.iter().map(|d| if *d == 0 { "همه".into() } else { format!("{d} روز و بیشتر") }).collect(),
        rows,
    };
    render(StatusCode::OK, &page)
}

// ---------------------------------------------------------------------------------------------
// Assignment.

#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub reviewer_id: String,
}

/// `POST /console/claims/{id}/assign`: gives the claim to a reviewer of the office through
/// `services::review::assign` (the API's `POST /api/v1/review/claims/{id}/assignment`).
pub async fn assign(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    form: web::Form<AssignForm>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    s.verify_csrf(&form.csrf)?;
    supervisor(&s)?;
    let id = id.into_inner();
    services::review::assign(
        &state,
        s.caller.clone(),
        id.clone().into(),
        form.reviewer_id.trim().to_string().into(),
    )
    .await?;
    Ok(see_other(&format!("/console/claims/{}?done=assigned", urlencode(&id))))
}

/// The assignment box of the claim page: the office's reviewers for a supervisor of the
/// claim's office while the claim is pended, `(user id, name, holds it now)`; empty otherwise.
pub async fn assignable(
    state: &ServiceContext,
    s: &Session,
    claim_office: &crate::domain::record_ids::OfficeId,
    pended: bool,
    holder: Option<&crate::domain::record_ids::UserId>,
) -> Result<Vec<(String, String, bool)>, ConsoleError> {
    if s.caller.role != Role::Supervisor || s.caller.office_id.as_ref() != Some(claim_office) || !pended {
        return Ok(Vec::new());
    }
    let reviewers = services::supervision::office_reviewers(state, s.caller.clone()).await?;
    Ok(reviewers
        .into_iter()
        .map(|r| {
            let current = holder == Some(&r.id);
            let name = if r.role == Role::Supervisor {
                format!("{} (سرپرست)", r.display_name)
            } else {
                r.display_name
            };
            (r.id.into_string(), name, current)
        })
        .collect())
}
