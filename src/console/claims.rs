//! The claim page (صفحهٔ سند), read-only for now: the header, the lines with their split of the
//! billed amount and the deductions' reasons in Persian, and the totals. It reads the claim
//! through the API's use case (`services::claims::get`), so a claim outside the caller's scope
//! is the same 404 as in the API.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::console::format::{service_month, Day, Rials};
use crate::console::session::Signed;
use crate::console::{is_reviewer, render, ConsoleError, Layout};
use crate::context::ServiceContext;
use crate::domain::adjudication::{ClaimKind, Setting};
use crate::domain::lifecycle::claim::{ClaimStatus, LineStatus};
use crate::domain::reasons::{Group, Reason};
use crate::services;

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
}

pub struct Totals {
    pub billed: Rials,
    pub tariff: Rials,
    pub payable: Rials,
    pub franchise: Rials,
    pub gap: Rials,
    pub deducted: Rials,
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

/// `GET /console/claims/{id}`.
pub async fn page(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    let c = services::claims::get(&state, s.caller.clone(), id.into_inner().into()).await?;
    let provider = services::providers::get(&state, s.caller.clone(), c.provider_id.clone())
        .await
        .map(|p| p.name_fa)
        .unwrap_or_else(|_| c.provider_id.to_string());
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
            LineRow {
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
    let page = ClaimPage {
        layout: Layout::signed(format!("سند {}", c.provider_document_no), &s, "queue"),
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
    };
    render(StatusCode::OK, &page)
}
