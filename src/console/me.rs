//! The insured person's portal (درگاه بیمه‌شده), mobile first: *my documents* — every claim a
//! provider billed in their name or their dependants', and one claim in plain Persian: what was
//! billed, what the Organization paid, what they paid and why — and "I did not receive this"
//! on a line or the whole document. Every page is `services::portal`, the use case of
//! `/api/v1/me/claims`: only an insured person's login (403 for every other role), another
//! family's claim a 404 page; the split of the amounts is the use case's.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::Role;
use crate::console::format::{Day, Rials};
use crate::console::listing::{self, Choice, PageLink};
use crate::console::session::{Session, Signed};
use crate::console::{render, see_other, ConsoleError, Layout};
use crate::context::ServiceContext;
use crate::error::AppError;
use crate::services::portal::{self, FlagInput, MyClaim, PageAt, WhoPaid};

/// The list's path.
const LIST: &str = "/console/me/claims";
/// Claims per page: a phone screen holds a few cards; 10 keeps the page light.
const PER_PAGE: i64 = 10;

fn insured(s: &Session) -> Result<(), ConsoleError> {
    s.caller.require_any(&[Role::Insured]).map_err(ConsoleError::from)
}

/// The amounts of a claim or line, formatted.
pub struct Amounts {
    pub billed: Rials,
    pub organization: Rials,
    pub insured: Rials,
    pub franchise: Rials,
    pub gap: Rials,
    pub insured_deductions: Rials,
    pub provider_write_off: Rials,
}

impl From<WhoPaid> for Amounts {
    fn from(w: WhoPaid) -> Self {
        Amounts {
            billed: Rials(w.billed),
            organization: Rials(w.organization_paid),
            insured: Rials(w.insured_paid),
            franchise: Rials(w.franchise),
            gap: Rials(w.gap),
            insured_deductions: Rials(w.insured_deductions),
            provider_write_off: Rials(w.provider_write_off),
        }
    }
}

fn status_class(c: &MyClaim) -> &'static str {
    use crate::domain::lifecycle::claim::ClaimStatus::*;
    match c.status {
        Approved => "ok",
        PartiallyApproved => "pend",
        Rejected => "bad",
        Pended | AwaitingApproval => "plain",
    }
}

/// A claim in the list.
pub struct Card {
    pub id: String,
    pub document_no: String,
    pub provider: String,
    pub patient: String,
    pub relation: String,
    pub day: Day,
    pub kind: &'static str,
    pub status: &'static str,
    pub status_class: &'static str,
    pub decided: bool,
    pub amounts: Amounts,
    pub flagged: bool,
}

#[derive(Template)]
#[template(path = "console/me_claims.html")]
pub struct ListPage {
    pub layout: Layout,
    pub cards: Vec<Card>,
    pub total: i64,
    pub first: i64,
    pub last: i64,
    pub pages: Vec<PageLink>,
    pub sizes: Vec<Choice>,
    pub list_path: &'static str,
    pub kept: Vec<(&'static str, String)>,
    pub errors: Vec<(String, String)>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub page: String,
    #[serde(default)]
    pub per: String,
}

/// `GET /console/me/claims?page=&per=`: my documents, newest first.
pub async fn list(
    state: web::Data<ServiceContext>,
    signed: Signed,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    insured(&s)?;
    let mut errors = Vec::new();
    let page = listing::page_number(&q.page, &mut errors);
    let per = listing::page_size(&q.per, PER_PAGE, &mut errors);
    let result = portal::my_claims(
        &state,
        s.caller.clone(),
        PageAt { before: None, offset: (page - 1) * per, limit: per },
    )
    .await?;
    let cards = result
        .items
        .iter()
        .map(|c| Card {
            id: c.id.to_string(),
            document_no: c.provider_document_no.clone(),
            provider: c.provider_name.clone(),
            patient: c.patient.name.clone(),
            relation: c.patient.relation_fa.clone(),
            day: Day::of(c.first_service_date),
            kind: c.kind_fa,
            status: c.status_fa,
            status_class: status_class(c),
            decided: c.decided,
            amounts: c.amounts.into(),
            flagged: !c.flags.is_empty(),
        })
        .collect::<Vec<_>>();
    let pairs = || {
        vec![
            ("page", page.to_string()),
            ("per", if q.per.trim().is_empty() { String::new() } else { per.to_string() }),
        ]
    };
    let first = if cards.is_empty() { 0 } else { (page - 1) * per + 1 };
    let last = (page - 1) * per + cards.len() as i64;
    let view = ListPage {
        layout: Layout::signed("اسناد من", &s, "me-claims"),
        total: result.total,
        first,
        last,
        pages: listing::pager(page, per, result.total, |p| {
            listing::href(LIST, pairs(), &[("page", p.to_string())])
        }),
        sizes: [10, 20, 50]
            .into_iter()
            .map(|n| Choice { value: n.to_string(), label: n.to_string(), selected: n == per })
            .collect(),
        list_path: LIST,
        kept: listing::kept(pairs()),
        errors: errors.into_iter().map(|e| (e.field, e.message)).collect(),
        cards,
    };
    render(StatusCode::OK, &view)
}

/// A deduction on a line, as the page shows it.
pub struct ReasonRow {
    pub code: String,
    pub text: &'static str,
    pub bearer: &'static str,
    pub amount: Rials,
    pub insured_pays: bool,
}

/// A flag, as the page shows it.
pub struct FlagRow {
    pub note: String,
    pub day: Day,
    pub resolved: bool,
}

/// A line of the claim.
pub struct LineCard {
    pub no: i32,
    pub code: String,
    pub description: String,
    pub day: Day,
    pub quantity: String,
    pub amounts: Amounts,
    pub rule: String,
    pub reasons: Vec<ReasonRow>,
    pub explanation: String,
    pub flag: Option<FlagRow>,
    /// The note as typed, and its error, when this line's flag form was refused.
    pub note: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "console/me_claim.html")]
pub struct ClaimPage {
    pub layout: Layout,
    pub id: String,
    pub document_no: String,
    pub provider: String,
    pub patient: String,
    pub relation: String,
    pub national_code: String,
    pub day: Day,
    pub kind: &'static str,
    pub setting: &'static str,
    pub status: &'static str,
    pub status_class: &'static str,
    pub decided: bool,
    pub amounts: Amounts,
    pub summary: String,
    pub lines: Vec<LineCard>,
    pub flag: Option<FlagRow>,
    pub notice: Option<&'static str>,
    pub doc_note: String,
    pub doc_error: Option<String>,
    pub csrf: String,
}

fn flag_row(f: &portal::FlagView) -> FlagRow {
    let day = chrono::DateTime::parse_from_rfc3339(&f.flagged_at)
        .map(|t| Day::of_instant(t.naive_utc()))
        .unwrap_or_else(|_| Day::of(chrono::NaiveDate::default()));
    FlagRow { note: f.note.clone(), day, resolved: f.resolved }
}

fn claim_page(s: &Session, c: MyClaim, notice: Option<&'static str>) -> ClaimPage {
    ClaimPage {
        layout: Layout::signed(format!("سند {}", c.provider_document_no), s, "me-claims"),
        id: c.id.to_string(),
        document_no: c.provider_document_no.clone(),
        provider: c.provider_name.clone(),
        patient: c.patient.name.clone(),
        relation: c.patient.relation_fa.clone(),
        national_code: c.patient.national_code.clone(),
        day: Day::of(c.first_service_date),
        kind: c.kind_fa,
        setting: c.setting_fa,
        status: c.status_fa,
        status_class: status_class(&c),
        decided: c.decided,
        amounts: c.amounts.into(),
        summary: c.summary_fa.clone(),
        flag: c.flag.as_ref().map(flag_row),
        lines: c
            .lines
            .iter()
            .map(|l| LineCard {
                no: l.line_no,
                code: l.code.clone(),
                description: l.description_fa.clone().unwrap_or_default(),
                day: Day::of(l.service_date),
                quantity: l.quantity.clone(),
                amounts: l.amounts.into(),
                rule: l.cost_sharing_rule.clone().unwrap_or_default(),
                reasons: l
                    .reasons
                    .iter()
                    .map(|r| ReasonRow {
                        code: r.code.clone(),
                        text: r.message_fa,
                        bearer: r.bearer_fa,
                        amount: Rials(r.amount),
                        insured_pays: r.insured_pays,
                    })
                    .collect(),
                explanation: l.explanation_fa.clone(),
                flag: l.flag.as_ref().map(flag_row),
                note: String::new(),
                error: None,
            })
            .collect(),
        notice,
        doc_note: String::new(),
        doc_error: None,
        csrf: s.csrf.clone(),
    }
}

#[derive(Deserialize)]
pub struct ClaimQuery {
    #[serde(default)]
    pub done: String,
}

/// `GET /console/me/claims/{id}`: one document in plain Persian, with the flag forms.
pub async fn page(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    q: web::Query<ClaimQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    insured(&s)?;
    let c = portal::my_claim_by_id(&state, s.caller.clone(), id.into_inner().into()).await?;
    let notice = match q.done.as_str() {
        "flagged" => Some("گزارش شما ثبت شد و برای دفتر رسیدگی فرستاده شد. کارشناسان آن را بررسی می‌کنند."),
        "already" => Some("این مورد پیش‌تر گزارش شده بود؛ همان گزارش پابرجاست."),
        _ => None,
    };
    render(StatusCode::OK, &claim_page(&s, c, notice))
}

#[derive(Deserialize)]
pub struct FlagForm {
    #[serde(default)]
    pub csrf: String,
    /// Empty for the whole document.
    #[serde(default)]
    pub line_no: String,
    #[serde(default)]
    pub note: String,
}

/// `POST /console/me/claims/{id}/not-received` (`csrf`, `line_no` or empty, `note`).
pub async fn not_received(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    form: web::Form<FlagForm>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    s.verify_csrf(&form.csrf)?;
    insured(&s)?;
    let id = id.into_inner();
    let line_no = match form.line_no.trim() {
        "" => None,
        t => Some(
            t.parse::<i32>().map_err(|_| AppError::field("line_no", "invalid", "must be a line number"))?,
        ),
    };
    let input = FlagInput { line_no, note: form.note.clone() };
    match portal::flag_not_received(&state, s.caller.clone(), id.clone().into(), input).await {
        Ok(done) => {
            let anchor = line_no.map(|n| format!("#line-{n}")).unwrap_or_else(|| "#document-flag".into());
            let done = if done.created { "flagged" } else { "already" };
            Ok(see_other(&format!("/console/me/claims/{id}?done={done}{anchor}")))
        }
        // A refused note: the page again with the note as typed and the message beside it.
        Err(AppError::Validation(errors)) => {
            let c = portal::my_claim_by_id(&state, s.caller.clone(), id.into()).await?;
            let mut view = claim_page(&s, c, None);
            let message = errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join("؛ ");
            match line_no.and_then(|n| view.lines.iter_mut().find(|l| l.no == n)) {
                Some(l) => {
                    l.note = form.note.clone();
                    l.error = Some(message);
                }
                None => {
                    view.doc_note = form.note.clone();
                    view.doc_error = Some(message);
                }
            }
            render(StatusCode::UNPROCESSABLE_ENTITY, &view)
        }
        Err(e) => Err(e.into()),
    }
}

/// An insured person's report as the claim page shows it to the office.
pub struct ReportRow {
    /// «ردیف 2» or «کل سند».
    pub target: String,
    pub note: String,
    pub day: Day,
    pub resolved: bool,
}

/// The reports on a claim for the claim page: the office's reviewers and supervisors only
/// (others see none: the use case's role check).
pub async fn reports_for(
    state: &ServiceContext,
    s: &Session,
    id: &crate::domain::record_ids::ClaimId,
) -> Result<Vec<ReportRow>, ConsoleError> {
    if !crate::console::is_reviewer(&s.caller) {
        return Ok(Vec::new());
    }
    let flags = portal::office_flags(state, s.caller.clone(), id.clone()).await?;
    Ok(flags
        .iter()
        .map(|f| {
            let row = flag_row(f);
            ReportRow {
                target: f.line_no.map(|n| format!("ردیف {n}")).unwrap_or_else(|| "کل سند".into()),
                note: row.note,
                day: row.day,
                resolved: row.resolved,
            }
        })
        .collect())
}

#[derive(Deserialize)]
pub struct ResolveForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub note: String,
}

/// `POST /console/claims/{id}/not-received/resolve` (`csrf`, `note`): a reviewer of the office
/// has looked into the insured's reports (`services::portal::resolve_flags`).
pub async fn resolve(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    form: web::Form<ResolveForm>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    s.verify_csrf(&form.csrf)?;
    let id = id.into_inner();
    portal::resolve_flags(&state, s.caller.clone(), id.clone().into(), form.note.clone()).await?;
    Ok(see_other(&format!("/console/claims/{id}?done=reports-resolved")))
}
