//! The claim page (صفحهٔ سند): the header, the lines with their split of the billed amount and
//! the deductions' reasons in Persian, the totals, the engine's explanation, the claim's
//! history and its electronic file (پرونده الکترونیک) beside the lines; for the reviewer who
//! holds the claim, a decision form per line (the handlers of the reviewer's actions are in
//! `console::review`). It reads the claim through the API's use cases
//! (`services::claims::get`, `services::review::history`, `services::attachments::list`), so a
//! claim outside the caller's scope is the same 404 as in the API.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::console::format::{service_month, tehran, Day, Rials};
use crate::console::session::{Session, Signed};
use crate::console::{is_reviewer, render, ConsoleError, Layout};
use crate::context::ServiceContext;
use crate::domain::adjudication::{ClaimKind, Setting};
use crate::domain::lifecycle::claim::{ClaimStatus, LineStatus};
use crate::domain::reasons::{Group, Reason};
use crate::services;
use crate::services::review::HistoryEntry;

/// A deduction or a pending reason under a line.
pub struct ReasonRow {
    pub code: String,
    pub text: &'static str,
    /// `co` (the provider writes it off), `pr` (the insured pays it), `pend` (waits for a
    /// reviewer) or `rj`: the CSS class and, in words, who bears it.
    pub class: &'static str,
    pub bearer: &'static str,
    pub amount: Option<Rials>,
    /// The engine's detail (the rule and its figures), shown on hover and focus.
    pub detail: String,
}

pub struct LineRow {
    pub no: i32,
    pub code: String,
    pub item_type: String,
    pub quantity: String,
    pub approved_quantity: String,
    pub date: Day,
    pub status: &'static str,
    pub status_class: &'static str,
    pub billed: Rials,
    pub tariff: Rials,
    pub payable: Rials,
    pub franchise: Rials,
    pub gap: Rials,
    pub deducted: Rials,
    pub reasons: Vec<ReasonRow>,
    /// The most the reviewer may recognise on this line (covered + earlier deductions), the
    /// upper bound `domain::review::apply` checks; shown as a hint and as the field's `max`.
    pub most: Rials,
    /// The covered amount today (insurer + franchise), the amount field's starting value.
    pub covered: i64,
    /// The decision form's values (the reviewer's draft after a refused save) and its error.
    pub form: LineForm,
}

/// A line's part of the decision form.
#[derive(Default)]
pub struct LineForm {
    /// `""` (leave as priced), `approve`, `adjust` or `reject`.
    pub action: String,
    pub amount: String,
    pub quantity: String,
    pub reason: String,
    pub note: String,
    /// The problem's message for this line, when a save or preview was refused.
    pub error: Option<String>,
}

pub struct Totals {
    pub billed: Rials,
    pub tariff: Rials,
    pub payable: Rials,
    pub franchise: Rials,
    pub gap: Rials,
    pub deducted: Rials,
}

/// A reason a reviewer can give, for the picker.
pub struct ReasonChoice {
    pub code: &'static str,
    pub text: &'static str,
}

/// One event of the claim's history, as shown.
pub struct HistoryRow {
    pub day: Day,
    /// Tehran time, `14:05`.
    pub time: String,
    pub actor: String,
    pub role: String,
    pub action: &'static str,
    /// The insurer's payable after the event, when the event recorded one.
    pub payable: Option<Rials>,
}

/// One document of the electronic file.
pub struct FileRow {
    pub no: usize,
    pub url: String,
    pub kind: &'static str,
    pub document_type: &'static str,
    pub is_image: bool,
    pub is_pdf: bool,
    pub day: Day,
    pub size_kb: i64,
    pub sha_short: String,
}

/// Another claim of the same insured person, as listed beside the claim.
pub struct RecentRow {
    pub href: String,
    pub document_no: String,
    pub provider: String,
    pub same_provider: bool,
    pub day: Day,
    pub status: &'static str,
    pub status_class: &'static str,
    pub billed: Rials,
    pub payable: Rials,
    pub deducted: Rials,
    /// Diagnoses it shares with this claim: the same illness treated again, or elsewhere.
    pub shared_diagnoses: Vec<String>,
}

/// The electronic file's pager: the document shown and its neighbours.
pub struct FilePager {
    pub current: FileRow,
    pub count: usize,
    pub prev: Option<String>,
    pub next: Option<String>,
}

#[derive(Template)]
#[template(path = "console/claim.html")]
pub struct ClaimPage {
    pub layout: Layout,
    pub document_no: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub provider: String,
    pub provider_id: String,
    pub insured_national_code: String,
    pub setting: &'static str,
    pub kind: &'static str,
    pub month: String,
    pub submitted: Day,
    pub diagnoses: Vec<String>,
    pub tariff_year: Option<i32>,
    pub pend_notes: Vec<String>,
    pub lines: Vec<LineRow>,
    pub totals: Totals,
    pub back_to_queue: bool,
    pub id: String,
    /// Who holds the claim (نام کارشناس), if anyone.
    pub holder: Option<String>,
    /// The caller is a reviewer of the office and the claim is pended: take / release shown.
    pub can_take: bool,
    pub holds: bool,
    /// The decision form is shown: the caller holds the pended claim.
    pub can_decide: bool,
    pub awaiting_supervisor: bool,
    pub notice: Option<&'static str>,
    /// A refused save: the problem's detail and the fields it names.
    pub problem: Option<(String, Vec<(String, String)>)>,
    pub claim_note: String,
    pub reason_choices: Vec<ReasonChoice>,
    pub explanation: Vec<String>,
    pub explanation_summary: String,
    pub history: Vec<HistoryRow>,
    pub file: Option<FilePager>,
    pub files: usize,
    /// The insured person's other claims of the last `services::claims::RECENT_DAYS` days.
    pub recent: Vec<RecentRow>,
    pub recent_days: i64,
    /// The provider's objections to the claim's deductions (`review::claim_objections`); a link
    /// to each for the office's reviewers (`console::objections`).
    pub objections: Vec<ObjectionLink>,
    /// For a supervisor of the office while the claim is pended: the office's reviewers to
    /// assign it to, `(user id, name, holds it now)` (`console::supervision::assignable`).
    pub assignable: Vec<(String, String, bool)>,
    /// The insured's "not received" reports (R93) for the office's reviewers
    /// (`services::portal::office_flags`), and whether one is still open.
    pub insured_reports: Vec<crate::console::me::ReportRow>,
    pub reports_open: bool,
}

/// An objection to the claim, as the claim page lists it.
pub struct ObjectionLink {
    pub href: Option<String>,
    pub filed: Day,
    pub lines: String,
    pub status: &'static str,
}

fn status_class(s: ClaimStatus) -> &'static str {
    match s {
        ClaimStatus::Pended | ClaimStatus::AwaitingApproval => "pend",
        ClaimStatus::Approved => "ok",
        ClaimStatus::PartiallyApproved => "plain",
        ClaimStatus::Rejected => "bad",
    }
}

fn line_class(s: LineStatus) -> &'static str {
    match s {
        LineStatus::Pended => "pend",
        LineStatus::Approved => "ok",
        LineStatus::PartiallyApproved => "plain",
        LineStatus::Rejected => "bad",
    }
}

fn group_class(g: Group) -> &'static str {
    match g {
        Group::ProviderWriteOff => "co",
        Group::InsuredResponsibility => "pr",
        Group::Rejected => "co",
    }
}

/// The claim page's query: which document of the electronic file to show, and the outcome of
/// the last action (after a redirect).
#[derive(Debug, Default, Deserialize)]
pub struct ClaimQuery {
    pub file: Option<usize>,
    pub done: Option<String>,
}

/// What a refused save brings back to the page: the reviewer's draft and the problem.
#[derive(Default)]
pub struct Draft {
    pub lines: BTreeMap<i32, LineForm>,
    pub note: String,
    pub problem: Option<(String, Vec<(String, String)>)>,
}

/// `GET /console/claims/{id}`.
pub async fn page(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    q: web::Query<ClaimQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let page = build(&state, &signed.0, id.into_inner(), &q, Draft::default()).await?;
    render(StatusCode::OK, &page)
}

/// A document type in Persian (the upload's vocabulary, `domain::reimbursement::DocumentType`).
pub fn document_type_fa(t: &str) -> &'static str {
    match t {
        "prescription" => "نسخه",
        "invoice" => "صورتحساب",
        "medical_report" => "گزارش پزشکی",
        "anesthesia_report" => "گزارش بیهوشی",
        "lab_result" => "جواب آزمایش",
        "imaging_report" => "گزارش تصویربرداری",
        "discharge_summary" => "خلاصهٔ ترخیص",
        "referral" => "ارجاع",
        "accident_report" => "گزارش حادثه",
        _ => "سایر مدارک",
    }
}

/// An audit action in Persian.
fn action_fa(entity: &str, action: &str) -> &'static str {
    match (entity, action) {
        ("claim", "submitted") | ("claim", "created") => "ثبت سند",
        ("claim", "taken") => "برداشتن سند برای رسیدگی",
        ("claim", "released") => "بازگرداندن سند به صف",
        ("claim", "assigned") => "ارجاع به کارشناس توسط سرپرست",
        ("claim", "decided") => "ثبت نتیجهٔ رسیدگی",
        ("claim", "awaiting_approval") => "ارسال برای تأیید سرپرست",
        ("claim", "returned") => "بازگشت از سرپرست",
        ("claim", "flagged_not_received") => "گزارش بیمه‌شده: خدمت دریافت نشده (R93)",
        ("decision", "proposed") => "تصمیم کارشناس",
        ("decision", "applied") => "تأیید تصمیم توسط سرپرست",
        ("decision", "returned") => "بازگرداندن تصمیم توسط سرپرست",
        ("objection", "filed") => "ثبت اعتراض",
        ("objection", "decided") => "رسیدگی به اعتراض",
        ("claim", _) => "رویداد سند",
        _ => "رویداد",
    }
}

fn history_row(e: &HistoryEntry) -> HistoryRow {
    let payable = e
        .after
        .as_ref()
        .and_then(|a| a.get("insurer_payable").or_else(|| a.get("payable_after")))
        .and_then(|v| v.as_i64())
        .map(Rials);
    HistoryRow {
        day: Day::of_instant(e.at),
        time: tehran(e.at).format("%H:%M").to_string(),
        actor: e.actor.clone(),
        role: crate::auth::Role::parse(&e.role)
            .map(|r| r.name_fa().to_string())
            .unwrap_or_else(|| "سامانه".into()),
        action: action_fa(&e.entity, &e.action),
        payable,
    }
}

/// The claim page for `session`; `draft` carries a refused save's values and problem.
pub async fn build(
    state: &ServiceContext,
    s: &Session,
    id: String,
    q: &ClaimQuery,
    mut draft: Draft,
) -> Result<ClaimPage, ConsoleError> {
    let c = services::claims::get(state, s.caller.clone(), id.clone().into()).await?;
    let provider = services::providers::get(state, s.caller.clone(), c.provider_id.clone())
        .await
        .map(|p| p.name_fa)
        .unwrap_or_else(|_| c.provider_id.to_string());
    let history = services::review::history(state, s.caller.clone(), c.id.clone()).await?;
    let attachments = services::attachments::list(state, s.caller.clone(), c.id.clone()).await?;
    let explanation = services::claims::explain(&c);
    let recent = services::claims::recent_of_insured(state, s.caller.clone(), c.id.clone())
        .await?
        .into_iter()
        .map(|r| RecentRow {
            href: format!("/console/claims/{}", r.id),
            document_no: r.document_no,
            provider: r.provider_name,
            same_provider: r.same_provider,
            day: Day::of(r.first_service_date),
            status: r.status.name_fa(),
            status_class: status_class(r.status),
            billed: Rials(r.billed),
            payable: Rials(r.insurer_payable),
            deducted: Rials(r.deducted),
            shared_diagnoses: r.shared_diagnoses,
        })
        .collect();
    let objections = services::review::claim_objections(state, s.caller.clone(), c.id.clone()).await?;
    let reviewer = is_reviewer(&s.caller) && s.caller.office_id.as_ref() == Some(&c.office_id);
    // Who holds the claim is the review office's business (the API shows it in the queue only).
    let holder = match reviewer {
        true => services::review::holder(state, s.caller.clone(), c.id.clone()).await?,
        false => None,
    };
    let pended = c.status == ClaimStatus::Pended;
    let holds = holder.as_ref().is_some_and(|h| h.user_id == s.caller.user_id);
    let assignable = crate::console::supervision::assignable(
        state,
        s,
        &c.office_id,
        pended,
        holder.as_ref().map(|h| &h.user_id),
    )
    .await?;
    let can_decide = reviewer && pended && holds;
    let lines = c
        .lines
        .iter()
        .map(|l| {
            let mut reasons: Vec<ReasonRow> = l
                .reasons
                .iter()
                .map(|r| ReasonRow {
                    code: r.code.clone(),
                    text: r.message_fa,
                    class: group_class(r.group),
                    bearer: r.group.bearer_fa(),
                    amount: Some(Rials(r.amount)),
                    detail: r.detail.clone(),
                })
                .collect();
            reasons.extend(l.pend_reasons.iter().map(|code| ReasonRow {
                text: Reason::parse(code).map(|r| r.message_fa()).unwrap_or(""),
                class: "pend",
                bearer: "در انتظار رسیدگی",
                amount: None,
                detail: String::new(),
                code: code.clone(),
            }));
            let covered = l.insurer_payable + l.patient_share;
            LineRow {
                most: Rials(covered + l.deducted),
                covered,
                form: draft.lines.remove(&l.line_no).unwrap_or_default(),
                no: l.line_no,
                code: l.code.clone(),
                item_type: l.item_type.clone(),
                quantity: l.quantity.clone(),
                approved_quantity: l.approved_quantity.clone(),
                date: Day::of(l.service_date),
                status: l.status.name_fa(),
                status_class: line_class(l.status),
                billed: Rials(l.billed),
                tariff: Rials(l.tariff_amount),
                payable: Rials(l.insurer_payable),
                franchise: Rials(l.patient_share),
                gap: Rials(l.patient_gap),
                deducted: Rials(l.deducted),
                reasons,
            }
        })
        .collect();
    let t = &c.totals;
    let submitted = chrono::DateTime::parse_from_rfc3339(&c.submitted_at)
        .map(|t| Day::of_instant(t.naive_utc()))
        .unwrap_or_else(|_| Day {
            jalali: c.submitted_at.clone(),
            iso: c.submitted_at.clone(),
            gregorian: String::new(),
        });
    // The file is paged one document at a time (1-based `?file=`), beside the lines.
    let files = attachments.len();
    let shown = q.file.unwrap_or(1).clamp(1, files.max(1));
    let link = |n: usize| format!("/console/claims/{}?file={n}#efile", c.id);
    let file = attachments.get(shown - 1).map(|a| FilePager {
        current: FileRow {
            no: shown,
            url: format!("/console/claims/{}/files/{}", c.id, a.id),
            kind: match a.content_type.as_str() {
                "application/pdf" => "PDF",
                "image/jpeg" => "JPEG",
                "image/png" => "PNG",
                _ => "TIFF",
            },
            document_type: document_type_fa(&a.document_type),
            // Chromium shows JPEG and PNG inline and PDF in its viewer; TIFF is a download.
            is_image: matches!(a.content_type.as_str(), "image/jpeg" | "image/png"),
            is_pdf: a.content_type == "application/pdf",
            day: chrono::DateTime::parse_from_rfc3339(&a.created_at)
                .map(|t| Day::of_instant(t.naive_utc()))
                .unwrap_or_else(|_| Day {
                    jalali: a.created_at.clone(),
                    iso: a.created_at.clone(),
                    gregorian: String::new(),
                }),
            size_kb: (a.size_bytes + 1023) / 1024,
            sha_short: a.sha256.chars().take(12).collect(),
        },
        count: files,
        prev: (shown > 1).then(|| link(shown - 1)),
        next: (shown < files).then(|| link(shown + 1)),
    });
    let insured_reports = crate::console::me::reports_for(state, s, &c.id).await?;
    let notice = match q.done.as_deref() {
        Some("taken") => Some("سند برای رسیدگی به نام شما برداشته شد."),
        Some("released") => Some("سند به صف بازگشت."),
        Some("assigned") => Some("سند به کارشناس انتخاب‌شده ارجاع شد."),
        Some("applied") => Some("نتیجهٔ رسیدگی ثبت شد."),
        Some("awaiting") => Some("تغییر مبلغ بیش از سقف است: تصمیم در انتظار تأیید سرپرست است."),
        Some("reports-resolved") => Some("گزارش بیمه‌شده بررسی‌شده ثبت شد."),
        _ => None,
    };
    // The catalogue, with the reviewer's own reason first: `decide` accepts every code and
    // uses R90 when none is given.
    let mut reason_choices = vec![ReasonChoice { code: Reason::R90.code(), text: Reason::R90.message_fa() }];
    reason_choices.extend(
        Reason::ALL
            .into_iter()
            .filter(|r| *r != Reason::R90)
            .map(|r| ReasonChoice { code: r.code(), text: r.message_fa() }),
    );
    let page = ClaimPage {
        layout: Layout::signed(format!("سند {}", c.provider_document_no), s, "queue"),
        document_no: c.provider_document_no.clone(),
        status: c.status.name_fa(),
        status_class: status_class(c.status),
        provider,
        provider_id: c.provider_id.to_string(),
        insured_national_code: c.insured_national_code.clone(),
        setting: Setting::parse(&c.setting).map(|x| x.name_fa()).unwrap_or("—"),
        kind: ClaimKind::parse(&c.kind).map(|k| k.name_fa()).unwrap_or("—"),
        month: service_month(&c.service_month),
        submitted,
        diagnoses: c.diagnoses.clone(),
        tariff_year: c.tariff_year,
        pend_notes: c.pend_notes.clone(),
        lines,
        totals: Totals {
            billed: Rials(t.billed),
            tariff: Rials(t.tariff),
            payable: Rials(t.insurer_payable),
            franchise: Rials(t.patient_share),
            gap: Rials(t.patient_gap),
            deducted: Rials(t.deducted),
        },
        back_to_queue: is_reviewer(&s.caller),
        reports_open: insured_reports.iter().any(|r| !r.resolved),
        insured_reports,
        id: c.id.to_string(),
        holder: holder.map(|h| h.display_name),
        can_take: reviewer && pended,
        holds,
        can_decide,
        awaiting_supervisor: c.status == ClaimStatus::AwaitingApproval,
        notice,
        problem: draft.problem.take(),
        claim_note: draft.note,
        reason_choices,
        explanation: explanation.lines.into_iter().map(|l| l.fa).collect(),
        explanation_summary: explanation.summary_fa,
        history: history.iter().map(history_row).collect(),
        file,
        files,
        recent,
        recent_days: services::claims::RECENT_DAYS,
        objections: objections
            .iter()
            .map(|o| ObjectionLink {
                href: reviewer.then(|| format!("/console/objections/{}", o.id)),
                filed: Day::of_instant(o.filed_at),
                lines: o.line_nos.iter().map(|n| n.to_string()).collect::<Vec<_>>().join("، "),
                status: o.status.name_fa(),
            })
            .collect(),
        assignable,
    };
    Ok(page)
}
