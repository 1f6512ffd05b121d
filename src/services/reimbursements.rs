//! Reimbursing insured persons (بازپرداخت هزینه‌های درمان غیرمستقیم).
//!
//! An insured person (or an office clerk on their behalf) files a request for care they paid a
//! non-contracted provider, a support item, or travel. It is priced at once, so the filer sees
//! the estimate while adding documents; it is a `draft` until submitted, and submission
//! enforces the benefit's document checklist and prices it again. A reviewer of the office then
//! decides it line by line with the same rules as claims (approve, adjust, reject with a reason
//! code); a decision that moves the amount more than the four-eyes threshold waits for a
//! supervisor other than the reviewer. The insured person is told of the decision (outbox →
//! e-mail) and sees every status change in `history`. Decided requests are paid through the
//! payment orders (`services::settlements::issue_order`), to the main insured's Sheba.
//!
//! Status: draft → in_review → (awaiting_approval →) approved | partially_approved | rejected
//! → ordered → paid.

use crate::domain::record_ids::{OfficeId, PaymentOrderId, ReimbursementId, UserId};
use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::{Caller, Record, Role};
use crate::context::ServiceContext;
use crate::db::AnyConnection;
use crate::domain::adjudication::{ClaimKind, HistoryLine, Setting};
use crate::domain::eligibility::DependantRules;
use crate::domain::jalali::JalaliDate;
use crate::domain::lifecycle::payment::OrderStatus;
use crate::domain::lifecycle::reimbursement::{
    transition, ReimbursementAction, ReimbursementLineStatus, ReimbursementStatus,
};
use crate::domain::lifecycle::Outcome;
use crate::domain::money::Rial;
use crate::domain::pricing::ItemType;
use crate::domain::provider::ProviderKind;
use crate::domain::reasons::Reason;
use crate::domain::reimbursement::{
    self as rules, describe, document_types, for_review, missing_documents, price_care_lines,
    price_support_item_lines, price_travel_lines, required_documents, split, Benefit, CareRequest, PriorItem,
    RequestContext, RequestLine, Requirement, Split, TravelCode,
};
use crate::domain::review::{apply, needs_second_approval, LineAmounts, LineDecision};
use crate::domain::tariff::{Sector, TariffBook};
use crate::error::{AppError, AppResult, FieldError};
use crate::services::claims::{parse_reasons, reasons_json};
use crate::store::audit::{self, Actor};
use crate::store::reimbursements::{
    self as store, RLineRow, ReimbursementFilter, ReimbursementRow, Totals, Transition,
};
use crate::store::{attachments as attachment_store, insured, offices, outbox};

/// One line as filed: what was bought, when, and what the insured paid for it.
#[derive(Clone, Debug)]
pub struct NewLine {
    pub line_no: u32,
    /// service, visit, drug, bed_day, device (support items) or travel.
    pub item_type: String,
    pub code: String,
    pub quantity: Decimal,
    pub service_date: NaiveDate,
    pub paid_amount: i64,
}

/// The conditions of a travel request.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = ReimbursementTravel)]
pub struct TravelInput {
    pub origin: String,
    pub destination: String,
    /// The medical council's (شورای پزشکی) approval number; without it nothing is paid (R91).
    pub council_approval_no: Option<String>,
    /// The doctor certifies a companion is needed.
    #[serde(default)]
    pub companion_needed: bool,
}

#[derive(Clone, Debug)]
pub struct NewRequest {
    pub office_id: Option<OfficeId>,
    /// The main insured who files (an insured caller: themselves).
    pub insured_national_code: Option<String>,
    /// The patient when it is a dependant of the main insured.
    pub patient_national_code: Option<String>,
    pub benefit: Benefit,
    pub setting: Option<Setting>,
    pub kind: Option<ClaimKind>,
    pub provider_name: String,
    pub provider_kind: ProviderKind,
    pub provider_sector: Sector,
    pub hospital_grade: Option<u8>,
    pub prescription_tracking_code: Option<String>,
    pub prescribed_on: Option<NaiveDate>,
    pub admitted_on: Option<NaiveDate>,
    pub discharged_on: Option<NaiveDate>,
    pub diagnoses: Vec<String>,
    pub travel: Option<TravelInput>,
    pub sheba: String,
    pub sheba_owner_national_code: String,
    pub lines: Vec<NewLine>,
}

/// The provider's kind, sector and hospital grade, stored in the one `provider_kind` column as
/// `kind:sector:grade` (the table is at diesel's 32-column limit); read by `parse_provider_key`.
fn provider_key(kind: ProviderKind, sector: Sector, grade: Option<u8>) -> String {
    format!("{}:{}:{}", kind.as_str(), sector.as_str(), grade.map(|g| g.to_string()).unwrap_or_default())
}

fn parse_provider_key(s: &str) -> (ProviderKind, Sector, Option<u8>) {
    let mut it = s.split(':');
    let kind = it.next().and_then(ProviderKind::parse).unwrap_or(ProviderKind::Clinic);
    let sector = it.next().and_then(Sector::parse).unwrap_or(Sector::Private);
    let grade = it.next().and_then(|g| g.parse().ok());
    (kind, sector, grade)
}

// ---------------------------------------------------------------------------------------------
// Views

/// A part of a line's paid amount not reimbursed, and why.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ReimbursementReason)]
pub struct ReasonView {
    #[schema(value_type = Reason)]
    pub code: String,
    pub amount: i64,
    pub message_fa: &'static str,
    pub message_en: &'static str,
    pub detail: String,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ReimbursementLine)]
pub struct LineView {
    pub line_no: i32,
    /// service, visit, drug, bed_day, device or travel.
    #[schema(pattern = "^(service|visit|drug|bed_day|device|travel)$")]
    pub item_type: String,
    pub code: String,
    /// A decimal string.
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$")]
    pub quantity: String,
    pub service_date: NaiveDate,
    /// `service_date` in the Jalali calendar (`YYYY-MM-DD`).
    #[schema(pattern = r"^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub service_date_jalali: String,
    /// `pending` while the request is a draft, then what the amounts say.
    pub status: ReimbursementLineStatus,
    pub paid_amount: i64,
    pub tariff_amount: i64,
    pub reimbursed: i64,
    pub franchise: i64,
    pub above_tariff: i64,
    pub not_covered: i64,
    pub rule: Option<String>,
    pub reasons: Vec<ReasonView>,
    /// The tariff year the line was priced with (Jalali).
    pub tariff_year: Option<i32>,
    /// `official` or `sample`: the status of the tariff (or travel rates) it was priced with.
    pub tariff_status: Option<String>,
    /// For a support item refused inside its renewal period: the first date one is paid again.
    pub renewable_on: Option<NaiveDate>,
    /// `renewable_on` in the Jalali calendar (`YYYY-MM-DD`).
    #[schema(pattern = r"^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub renewable_on_jalali: Option<String>,
}

/// A change of the request, from the audit trail.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ReimbursementStatusChange)]
pub struct StatusChange {
    #[schema(format = DateTime)]
    pub at: String,
    /// What happened (`filed`, `submitted`, `decided`, `ordered`, `paid`, …).
    pub action: String,
    /// The status it left the request in; null when it did not change it.
    #[schema(value_type = Option<ReimbursementStatus>)]
    pub status: Option<String>,
    /// The role of who did it.
    #[schema(value_type = crate::auth::Role)]
    pub by_role: String,
}

/// A reimbursement request. `paid = reimbursed + franchise + above_tariff + not_covered` on
/// every line and in `totals`.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Reimbursement)]
pub struct ReimbursementView {
    pub id: ReimbursementId,
    #[schema(value_type = Benefit)]
    pub benefit: String,
    pub status: ReimbursementStatus,
    pub office_id: OfficeId,
    /// The main insured's national code.
    pub insured_national_code: String,
    /// The patient's national code (the main insured's, or a dependant's).
    pub patient_national_code: String,
    pub provider_name: String,
    #[schema(value_type = ProviderKind)]
    pub provider_kind: String,
    #[schema(value_type = Sector)]
    pub provider_sector: String,
    /// Care requests: the setting.
    #[schema(value_type = Option<Setting>)]
    pub setting: Option<String>,
    /// Care requests: the kind of care.
    #[schema(value_type = Option<ClaimKind>)]
    pub kind: Option<String>,
    pub prescription_tracking_code: Option<String>,
    pub diagnoses: Vec<String>,
    /// Travel requests: their conditions; null otherwise.
    #[schema(value_type = Option<TravelInput>)]
    pub travel: Option<serde_json::Value>,
    /// Travel requests: `sample` while the stay allowances' basis (the minimum daily wage) is
    /// sample data; null for the other benefits.
    #[schema(pattern = "^(sample|official)$")]
    pub travel_rates_status: Option<&'static str>,
    pub sheba: String,
    pub account_holder: String,
    /// paid = reimbursed + franchise + above_tariff + not_covered.
    pub totals: Split,
    /// What the engine computed at submission (before a reviewer).
    pub machine_reimbursed: Option<i64>,
    pub lines: Vec<LineView>,
    /// Every type is one the upload accepts; `lab_result` and `imaging_report` are alternatives
    /// (either meets a paraclinic request's result).
    #[schema(value_type = Vec<crate::domain::reimbursement::DocumentType>)]
    pub required_documents: Vec<&'static str>,
    /// What the checklist still lacks (submission needs none missing).
    #[schema(value_type = Vec<crate::domain::reimbursement::DocumentType>)]
    pub missing_documents: Vec<&'static str>,
    pub decision_note: Option<String>,
    pub payment_order_id: Option<PaymentOrderId>,
    /// When its payment order was paid.
    pub paid_on: Option<NaiveDate>,
    pub bank_reference: Option<String>,
    #[schema(format = DateTime)]
    pub submitted_at: Option<String>,
    #[schema(format = DateTime)]
    pub decided_at: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Every status change, oldest first.
    pub history: Vec<StatusChange>,
}

fn amounts_of(l: &RLineRow) -> AppResult<LineAmounts> {
    Ok(LineAmounts {
        line_no: l.line_no as u32,
        billed: Rial(l.billed),
        insurer_payable: Rial(l.insurer_payable),
        patient_share: Rial(l.patient_share),
        patient_gap: Rial(l.patient_gap),
        deducted: Rial(l.deducted),
        reasons: parse_reasons(&l.reasons)?,
        cost_sharing_rule: l.cost_sharing_rule.clone(),
    })
}

fn line_view(l: RLineRow) -> AppResult<LineView> {
    let a = amounts_of(&l)?;
    let s = split(&a);
    Ok(LineView {
        service_date_jalali: JalaliDate::from_gregorian(l.service_date).to_string(),
        renewable_on_jalali: l.renewable_on.map(|d| JalaliDate::from_gregorian(d).to_string()),
        reasons: a
            .reasons
            .into_iter()
            .map(|(code, amount, detail)| {
                let r = Reason::parse(&code);
                ReasonView {
                    message_fa: r.map(|r| r.message_fa()).unwrap_or(""),
                    message_en: r.map(|r| r.message_en()).unwrap_or(""),
                    code,
                    amount: amount.0,
                    detail,
                }
            })
            .collect(),
        line_no: l.line_no,
        item_type: l.item_type,
        code: l.code,
        quantity: l.quantity,
        service_date: l.service_date,
        status: l.status,
        paid_amount: s.paid,
        tariff_amount: l.tariff_amount,
        reimbursed: s.reimbursed,
        franchise: s.franchise,
        above_tariff: s.above_tariff,
        not_covered: s.not_covered,
        rule: l.cost_sharing_rule,
        tariff_year: l.tariff_year,
        tariff_status: l.tariff_status,
        renewable_on: l.renewable_on,
    })
}

fn benefit_of(r: &ReimbursementRow) -> Benefit {
    Benefit::parse(&r.benefit).unwrap_or(Benefit::Care)
}

fn checklist(r: &ReimbursementRow) -> Vec<Requirement> {
    required_documents(
        benefit_of(r),
        r.kind.as_deref().and_then(ClaimKind::parse),
        r.prescription_tracking_code.is_some(),
    )
}

fn view(conn: &mut AnyConnection, r: ReimbursementRow) -> AppResult<ReimbursementView> {
    let lines = store::lines(conn, &r.id)?.into_iter().map(line_view).collect::<AppResult<Vec<_>>>()?;
    let present: Vec<String> = attachment_store::of_case(conn, "reimbursement", r.id.as_str())?
        .into_iter()
        .map(|a| a.document_type)
        .collect();
    let required = checklist(&r);
    let missing = missing_documents(&required, &present);
    let main_code = insured::find(conn, &r.main_insured_id)?.map(|p| p.national_code).unwrap_or_default();
    let patient_code = insured::find(conn, &r.insured_id)?.map(|p| p.national_code).unwrap_or_default();
    let paid = match &r.payment_order_id {
        Some(o) => crate::store::settlements::find_order(conn, o)?
            .filter(|o| Some(o.status) == Some(OrderStatus::Paid)),
        None => None,
    };
    let history = audit::for_entity(conn, "reimbursement", &r.id)?
        .into_iter()
        .map(|e| StatusChange {
            at: crate::clock::ts(e.at),
            status: e
                .after_state
                .as_deref()
                .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
                .and_then(|v| v.get("status").and_then(|s| s.as_str()).map(String::from)),
            action: e.action,
            by_role: e.actor_role,
        })
        .collect();
    let (kind, sector, _) = parse_provider_key(&r.provider_kind);
    let totals = split_of(&r);
    Ok(ReimbursementView {
        travel_rates_status: (r.benefit == "travel").then_some(rules::TRAVEL_RATES_STATUS),
        travel: r.travel.as_deref().and_then(|t| serde_json::from_str(t).ok()),
        diagnoses: serde_json::from_str(&r.diagnoses).unwrap_or_default(),
        submitted_at: r.submitted_at.map(crate::clock::ts),
        decided_at: r.decided_at.map(crate::clock::ts),
        created_at: crate::clock::ts(r.created_at),
        provider_kind: kind.as_str().into(),
        provider_sector: sector.as_str().into(),
        required_documents: document_types(&required),
        missing_documents: document_types(&missing),
        insured_national_code: main_code,
        patient_national_code: patient_code,
        paid_on: paid.as_ref().and_then(|o| o.paid_on),
        bank_reference: paid.and_then(|o| o.bank_reference),
        id: r.id,
        benefit: r.benefit,
        status: r.status,
        office_id: r.office_id,
        provider_name: r.provider_name,
        setting: r.setting,
        kind: r.kind,
        prescription_tracking_code: r.prescription_tracking_code,
        sheba: r.sheba,
        account_holder: r.account_holder,
        totals,
        machine_reimbursed: r.machine_reimbursed,
        lines,
        decision_note: r.decision_note,
        payment_order_id: r.payment_order_id,
        history,
    })
}

// ---------------------------------------------------------------------------------------------
// Visibility

/// The request if it is in the caller's scope: the insured person who filed it (the main
/// insured) or whom it is about, the office's staff, finance (to pay it) and admins
/// (`Caller::scope_for`). Anyone else gets 404.
pub fn load_visible(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &ReimbursementId,
) -> AppResult<ReimbursementRow> {
    store::find_in(conn, &caller.scope_for(Record::Reimbursement), id)?
        .ok_or_else(|| AppError::not_found("no such reimbursement request"))
}

/// Whether the caller may change the request's file (documents, submission): its filer, or a
/// clerk of its office, while it is a draft.
pub fn may_edit(caller: &Caller, r: &ReimbursementRow) -> bool {
    match caller.role {
        Role::Insured => caller.insured_id.as_ref() == Some(&r.main_insured_id),
        Role::Reviewer | Role::Supervisor => caller.office_id.as_ref() == Some(&r.office_id),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Pricing

/// A stored line as the pricing rules read it: what was paid for which item on which date.
fn request_line(l: &RLineRow) -> RequestLine {
    RequestLine {
        line_no: l.line_no as u32,
        item_type: ItemType::parse(&l.item_type).unwrap_or(ItemType::Service),
        code: l.code.clone(),
        quantity: l.quantity.parse().unwrap_or(Decimal::ONE),
        service_date: l.service_date,
        paid: Rial(l.billed),
    }
}

/// Prices a request's lines (as stored, with `billed` = what was paid) and returns them priced:
/// reads what the benefit's rules need, prices with `domain::reimbursement`.
fn price(
    conn: &mut AnyConnection,
    book: &TariffBook,
    rules_dep: &DependantRules,
    r: &ReimbursementRow,
    lines: &[RLineRow],
    today: NaiveDate,
) -> AppResult<Vec<RLineRow>> {
    let patient =
        insured::find(conn, &r.insured_id)?.ok_or_else(|| AppError::not_found("no such insured person"))?;
    let (person, main) = crate::services::insured::person_and_main(conn, &patient)?;
    let ctx = RequestContext {
        tariffs: book,
        insured: &person,
        main_insured: main.as_ref(),
        dependant_rules: rules_dep,
    };
    let request_lines: Vec<RequestLine> = lines.iter().map(request_line).collect();
    let priced = match benefit_of(r) {
        Benefit::Care => {
            let first = lines.iter().map(|l| l.service_date).min().unwrap_or(today);
            let last = lines.iter().map(|l| l.service_date).max().unwrap_or(today);
            // The claims paid for the insured and the care reimbursed to them before.
            let mut history = crate::services::claims::load_history(conn, &r.insured_id, first, last)?;
            history.extend(store::prior_care(conn, &r.insured_id, &r.id)?.into_iter().map(
                |(t, code, date, qty)| HistoryLine {
                    provider_id: "reimbursement".into(),
                    item_type: ItemType::parse(&t).unwrap_or(ItemType::Service),
                    code,
                    service_date: date,
                    quantity: qty.parse().unwrap_or(Decimal::ZERO),
                    physician_council_no: None,
                },
            ));
            let preauths = crate::services::preauth::for_engine(conn, &r.insured_id)?;
            let (provider_kind, sector, hospital_grade) = parse_provider_key(&r.provider_kind);
            let request = CareRequest {
                id: &r.id,
                provider_kind,
                sector,
                hospital_grade,
                setting: r.setting.as_deref().and_then(Setting::parse).unwrap_or(Setting::Outpatient),
                kind: r.kind.as_deref().and_then(ClaimKind::parse).unwrap_or(ClaimKind::Visit),
                prescribed_on: r.prescribed_on,
                admitted_on: r.admitted_on,
                discharged_on: r.discharged_on,
            };
            price_care_lines(&ctx, &request, &request_lines, &history, &preauths, today)
        }
        Benefit::SupportItem => {
            let prior: Vec<PriorItem> = store::prior_items(conn, &r.insured_id, &r.id)?
                .into_iter()
                .map(|(code, service_date)| PriorItem { code, service_date })
                .collect();
            price_support_item_lines(&ctx, &request_lines, prior)
        }
        Benefit::Travel => {
            let input: TravelInput = r
                .travel
                .as_deref()
                .and_then(|t| serde_json::from_str(t).ok())
                .ok_or_else(|| AppError::internal("travel request without its conditions"))?;
            price_travel_lines(&ctx, &request_lines, input.council_approval_no, input.companion_needed)
        }
    };
    lines
        .iter()
        .zip(priced)
        .map(|(l, (p, rates))| {
            let a = &p.amounts;
            if !a.conserves() {
                return Err(AppError::internal(format!("conservation broken on line {}", l.line_no)));
            }
            Ok(RLineRow {
                status: a.outcome().into(),
                tariff_amount: p.tariff_amount.0,
                insurer_payable: a.insurer_payable.0,
                patient_share: a.patient_share.0,
                patient_gap: a.patient_gap.0,
                deducted: a.deducted.0,
                reasons: reasons_json(&a.reasons)?,
                cost_sharing_rule: p.rule.clone().or(a.cost_sharing_rule.clone()),
                tariff_year: rates.map(|s| s.0),
                tariff_status: rates.map(|s| s.1.to_string()),
                renewable_on: p.renewable_on,
                ..l.clone()
            })
        })
        .collect()
}

/// The request's stored totals.
fn split_of(r: &ReimbursementRow) -> Split {
    Split {
        paid: r.paid_total,
        reimbursed: r.reimbursed,
        franchise: r.franchise,
        above_tariff: r.above_tariff,
        not_covered: r.not_covered,
    }
}

/// What a transition writes: the new status and the amounts.
fn totals_with(status: ReimbursementStatus, t: &Split) -> Totals {
    Totals {
        status,
        reimbursed: t.reimbursed,
        franchise: t.franchise,
        above_tariff: t.above_tariff,
        not_covered: t.not_covered,
    }
}

fn totals_of(lines: &[RLineRow]) -> AppResult<Split> {
    let amounts = lines.iter().map(amounts_of).collect::<AppResult<Vec<_>>>()?;
    let t = Split::total(&amounts);
    if !t.conserves() {
        return Err(AppError::internal("conservation broken on a reimbursement"));
    }
    Ok(t)
}

/// approved, partially_approved or rejected, from the lines.
fn outcome(lines: &[RLineRow]) -> Outcome {
    let deducted: i64 = lines.iter().map(|l| l.deducted).sum();
    let kept: i64 = lines.iter().map(|l| l.insurer_payable + l.patient_share + l.patient_gap).sum();
    Outcome::from_amounts(deducted, kept)
}

// ---------------------------------------------------------------------------------------------
// Filing

fn check_lines(benefit: Benefit, new: &NewRequest, today: NaiveDate) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if new.lines.is_empty() || new.lines.len() > 200 {
        errors.push(FieldError::new("lines", "length", "between 1 and 200 lines"));
    }
    for (i, l) in new.lines.iter().enumerate() {
        let f = |x: &str| format!("lines[{i}].{x}");
        let allowed: &[&str] = match benefit {
            Benefit::Care => &["service", "visit", "drug", "bed_day"],
            Benefit::SupportItem => &["device"],
            Benefit::Travel => &["travel"],
        };
        if !allowed.contains(&l.item_type.as_str()) {
            errors.push(FieldError::new(
                f("item_type"),
                "invalid_choice",
                format!("a {} request takes {} lines", benefit.as_str(), allowed.join(", ")),
            ));
        }
        if benefit == Benefit::Travel && TravelCode::parse(&l.code).is_none() {
            errors.push(FieldError::new(
                f("code"),
                "invalid_choice",
                "must be patient_ticket, companion_ticket, patient_stay or companion_stay",
            ));
        }
        if new.lines[..i].iter().any(|o| o.line_no == l.line_no) {
            errors.push(FieldError::new(f("line_no"), "duplicate", "line numbers must be unique"));
        }
        if l.quantity <= Decimal::ZERO || l.quantity > Decimal::from(10_000) {
            errors.push(FieldError::new(f("quantity"), "range", "must be more than 0 and at most 10000"));
        }
        if l.paid_amount <= 0 || l.paid_amount > 1_000_000_000_000 {
            errors.push(FieldError::new(f("paid_amount"), "range", "must be a positive number of rials"));
        }
        if l.service_date > today {
            errors.push(FieldError::new(f("service_date"), "future", "cannot be after today"));
        }
        if l.item_type == "bed_day" && new.hospital_grade.is_none() {
            errors.push(FieldError::new(
                "hospital_grade",
                "required",
                "bed_day lines need the hospital's grade",
            ));
        }
    }
    match benefit {
        Benefit::Care => {
            if new.setting.is_none() {
                errors.push(FieldError::new("setting", "required", "care requests need a setting"));
            }
            if new.kind.is_none() {
                errors.push(FieldError::new("kind", "required", "care requests need a kind"));
            }
        }
        Benefit::Travel => {
            if new.travel.is_none() {
                errors.push(FieldError::new("travel", "required", "travel requests need their conditions"));
            }
        }
        Benefit::SupportItem => {}
    }
    if benefit != Benefit::Travel && new.travel.is_some() {
        errors.push(FieldError::new("travel", "not_allowed", "only travel requests have travel conditions"));
    }
    errors
}

pub async fn file(state: &ServiceContext, caller: Caller, new: NewRequest) -> AppResult<ReimbursementView> {
    let clock = state.clock;
    let today = clock.today();
    let benefit = new.benefit;
    let mut errors = check_lines(benefit, &new, today);
    if !matches!(caller.role, Role::Insured | Role::Reviewer | Role::Supervisor) {
        return Err(AppError::forbidden("reimbursements are filed by the insured person or an office clerk"));
    }
    let office_id = match (caller.role, &new.office_id, &caller.office_id) {
        (Role::Insured, Some(o), _) => Some(o.clone()),
        (Role::Insured, None, _) => {
            errors.push(FieldError::new("office_id", "required", "the office to file with is required"));
            None
        }
        (_, Some(o), Some(mine)) if o != mine => {
            errors.push(FieldError::new("office_id", "not_yours", "a clerk files with their own office"));
            None
        }
        (_, _, mine) => mine.clone(),
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let office_id = office_id.ok_or_else(|| AppError::forbidden("the caller has no office"))?;
    let book = state.tariffs();
    let rules_dep = state.config.dependant_rules.clone();
    state
        .write(move |conn| {
            let office = offices::find(conn, &office_id)?
                .filter(|o| o.active)
                .ok_or_else(|| AppError::field("office_id", "unknown", "no such active office"))?;
            // The main insured: the caller, or the one a clerk names.
            let main = match caller.role {
                Role::Insured => {
                    let Some(me) = caller.insured_id.clone() else {
                        return Err(AppError::forbidden("the caller is not an insured person"));
                    };
                    let row = insured::find(conn, &me)?.ok_or_else(|| AppError::forbidden("the caller is not an insured person"))?;
                    if new.insured_national_code.as_deref().is_some_and(|c| c != row.national_code) {
                        return Err(AppError::field("insured_national_code", "not_yours", "an insured person files for themselves and their dependants"));
                    }
                    row
                }
                _ => {
                    let code = new.insured_national_code.clone().ok_or_else(|| {
                        AppError::field("insured_national_code", "required", "the main insured filing is required")
                    })?;
                    insured::find_by_code(conn, &code)?.ok_or_else(|| {
                        AppError::field("insured_national_code", "not_insured", "is not an insured person")
                    })?
                }
            };
            if main.main_insured_id.is_some() {
                return Err(AppError::field(
                    "insured_national_code",
                    "dependant",
                    "a dependant's request is filed by the main insured",
                ));
            }
            let patient = match &new.patient_national_code {
                None => main.clone(),
                Some(code) if *code == main.national_code => main.clone(),
                Some(code) => {
                    let p = insured::find_by_code(conn, code)?.ok_or_else(|| {
                        AppError::field("patient_national_code", "not_insured", "is not an insured person")
                    })?;
                    if p.main_insured_id.as_ref() != Some(&main.id) {
                        return Err(AppError::field(
                            "patient_national_code",
                            "not_dependant",
                            "is not a dependant of the main insured",
                        ));
                    }
                    p
                }
            };
            if new.sheba_owner_national_code != main.national_code {
                return Err(AppError::field(
                    "sheba_owner_national_code",
                    "not_own_account",
                    "the Sheba account must be in the main insured's own name",
                ));
            }
            let now = clock.now();
            let id = ReimbursementId::new();
            let mut row = ReimbursementRow {
                id: id.clone(),
                office_id: office.id.clone(),
                insured_id: patient.id.clone(),
                main_insured_id: main.id.clone(),
                filed_by: caller.user_id.clone(),
                benefit: benefit.as_str().into(),
                setting: new.setting.map(|s| s.as_str().into()),
                kind: new.kind.map(|k| k.as_str().into()),
                provider_name: new.provider_name.clone(),
                provider_kind: provider_key(new.provider_kind, new.provider_sector, new.hospital_grade),
                prescription_tracking_code: new.prescription_tracking_code.clone(),
                prescribed_on: new.prescribed_on,
                admitted_on: new.admitted_on,
                discharged_on: new.discharged_on,
                diagnoses: serde_json::to_string(&new.diagnoses).map_err(AppError::internal)?,
                travel: new.travel.as_ref().map(serde_json::to_string).transpose().map_err(AppError::internal)?,
                sheba: new.sheba.clone(),
                account_holder: format!("{} {}", main.first_name, main.last_name),
                status: ReimbursementStatus::Draft,
                paid_total: new.lines.iter().map(|l| l.paid_amount).sum(),
                reimbursed: 0,
                franchise: 0,
                above_tariff: 0,
                not_covered: 0,
                machine_reimbursed: None,
                submitted_at: None,
                proposal: None,
                decided_by: None,
                decided_at: None,
                decision_note: None,
                payment_order_id: None,
                created_at: now,
            };
            let raw: Vec<RLineRow> = new
                .lines
                .iter()
                .map(|l| RLineRow {
                    reimbursement_id: id.clone(),
                    line_no: l.line_no as i32,
                    item_type: l.item_type.clone(),
                    code: l.code.clone(),
                    quantity: l.quantity.normalize().to_string(),
                    service_date: l.service_date,
                    status: ReimbursementLineStatus::Pending,
                    billed: l.paid_amount,
                    tariff_amount: 0,
                    insurer_payable: 0,
                    patient_share: 0,
                    patient_gap: 0,
                    deducted: l.paid_amount,
                    reasons: "[]".into(),
                    cost_sharing_rule: None,
                    tariff_year: None,
                    tariff_status: None,
                    renewable_on: None,
                })
                .collect();
            let lines = price(conn, &book, &rules_dep, &row, &raw, today)?;
            let t = totals_of(&lines)?;
            row.reimbursed = t.reimbursed;
            row.franchise = t.franchise;
            row.above_tariff = t.above_tariff;
            row.not_covered = t.not_covered;
            {
            store::insert(conn, &row, &lines)?;
            audit::append(
                conn,
                &Actor::of(&caller),
                "reimbursement",
                &row.id,
                "filed",
                None,
                Some(json!({"status": "draft", "benefit": row.benefit, "paid_total": row.paid_total, "estimate": t.reimbursed})),
            )?;
            Ok::<_, AppError>(())
        }?;
            view(conn, row)
        })
        .await
}

/// Submits a draft: every required document must be in its file; it is priced again on the
/// day of submission and goes to the office's reviewers.
pub async fn submit(
    state: &ServiceContext,
    caller: Caller,
    id: ReimbursementId,
) -> AppResult<ReimbursementView> {
    let now = state.now();
    let today = now.date();
    let book = state.tariffs();
    let rules_dep = state.config.dependant_rules.clone();
    state
        .write(move |conn| {
            let r = load_visible(conn, &caller, &id)?;
            if !may_edit(&caller, &r) {
                return Err(AppError::forbidden("only the filer or a clerk of the office submits a request"));
            }
            let from: ReimbursementStatus = r.status;
            let Ok(to) = transition(from, ReimbursementAction::Submit) else {
                return Err(AppError::conflict(
                    "not_draft",
                    format!("the request is {}, not a draft", r.status),
                ));
            };
            let present: Vec<String> = attachment_store::of_case(conn, "reimbursement", r.id.as_str())?
                .into_iter()
                .map(|a| a.document_type)
                .collect();
            let missing = missing_documents(&checklist(&r), &present);
            if !missing.is_empty() {
                return Err(AppError::field(
                    "documents",
                    "missing",
                    format!("attach these documents before submitting: {}", describe(&missing)),
                ));
            }
            let stored = store::lines(conn, &r.id)?;
            let lines = price(conn, &book, &rules_dep, &r, &stored, today)?;
            let t = totals_of(&lines)?;
            store::replace_lines(conn, &r.id, &lines)?;
            let totals = totals_with(to, &t);
            if !store::transition(conn, &r.id, from, &totals, Transition::Submitted, now)? {
                return Err(AppError::conflict("not_draft", "the request was submitted meanwhile"));
            }
            audit::append(
                conn,
                &Actor::of(&caller),
                "reimbursement",
                &r.id,
                "submitted",
                Some(json!({"status": from})),
                Some(json!({"status": to, "reimbursed": t.reimbursed})),
            )?;
            let r = store::find(conn, &r.id)?
                .ok_or_else(|| AppError::not_found("no such reimbursement request"))?;
            view(conn, r)
        })
        .await
}

pub async fn get(
    state: &ServiceContext,
    caller: Caller,
    id: ReimbursementId,
) -> AppResult<ReimbursementView> {
    state
        .db(move |conn| {
            let r = load_visible(conn, &caller, &id)?;
            view(conn, r)
        })
        .await
}

pub async fn list(
    state: &ServiceContext,
    caller: Caller,
    mut f: ReimbursementFilter,
) -> AppResult<Vec<ReimbursementView>> {
    if matches!(caller.role, Role::Provider | Role::TariffAdmin) {
        return Err(AppError::forbidden("this role has no reimbursement requests"));
    }
    f.scope = caller.scope_for(Record::Reimbursement);
    state.db(move |conn| store::list(conn, &f)?.into_iter().map(|r| view(conn, r)).collect()).await
}

// ---------------------------------------------------------------------------------------------
// Decisions

/// A reviewer's decision on a reimbursement request, line by line (none: as priced).
#[derive(Debug, Deserialize, Serialize, validator::Validate, utoipa::ToSchema)]
#[schema(as = ReimbursementDecisionInput)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    #[serde(default)]
    pub lines: Vec<LineDecision>,
    pub note: Option<String>,
}

/// Applies a reviewer's line decisions to the current lines (pure; nothing written). The
/// franchise is split again only on care: support items and travel have none.
fn compute(benefit: Benefit, lines: &[RLineRow], decisions: &[LineDecision]) -> AppResult<Vec<RLineRow>> {
    let mut out = lines.to_vec();
    for (i, d) in decisions.iter().enumerate() {
        let field = format!("lines[{i}]");
        if decisions[..i].iter().any(|e| e.line_no == d.line_no) {
            return Err(AppError::field(
                &format!("{field}.line_no"),
                "duplicate",
                "this line is decided twice",
            ));
        }
        let line = out.iter_mut().find(|l| l.line_no as u32 == d.line_no).ok_or_else(|| {
            AppError::field(&format!("{field}.line_no"), "unknown", "the request has no such line")
        })?;
        let new = apply(&for_review(benefit, amounts_of(line)?), d)
            .map_err(|m| AppError::field(&field, "invalid", m))?;
        line.status = new.outcome().into();
        line.insurer_payable = new.insurer_payable.0;
        line.patient_share = new.patient_share.0;
        line.patient_gap = new.patient_gap.0;
        line.deducted = new.deducted.0;
        line.reasons = reasons_json(&new.reasons)?;
    }
    Ok(out)
}

fn office_request(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &ReimbursementId,
) -> AppResult<ReimbursementRow> {
    let r = load_visible(conn, caller, id)?;
    if caller.office_id.as_ref() != Some(&r.office_id) {
        return Err(AppError::not_found("no such reimbursement request"));
    }
    Ok(r)
}

/// Writes the decided lines and totals, tells the insured person.
#[allow(clippy::too_many_arguments)]
fn finish(
    conn: &mut AnyConnection,
    r: &ReimbursementRow,
    lines: &[RLineRow],
    from: ReimbursementStatus,
    reviewer: &UserId,
    note: Option<String>,
    actor: &Actor,
    now: NaiveDateTime,
) -> AppResult<ReimbursementRow> {
    let t = totals_of(lines)?;
    let status = ReimbursementStatus::from(outcome(lines));
    store::replace_lines(conn, &r.id, lines)?;
    let totals = totals_with(status, &t);
    let extra = Transition::Decided { by: reviewer.clone(), note };
    if !store::transition(conn, &r.id, from, &totals, extra, now)? {
        return Err(AppError::conflict("already_decided", "the request was decided meanwhile"));
    }
    let after = json!({"status": status, "reimbursed": t.reimbursed, "paid_total": t.paid});
    audit::append(
        conn,
        actor,
        "reimbursement",
        &r.id,
        "decided",
        Some(json!({"status": r.status})),
        Some(after.clone()),
    )?;
    outbox::enqueue(
        conn,
        "reimbursement_decided",
        "insured",
        &r.main_insured_id,
        &r.id,
        json!({"reimbursement_id": r.id, "status": status, "reimbursed": t.reimbursed, "paid_total": t.paid, "franchise": t.franchise, "above_tariff": t.above_tariff, "not_covered": t.not_covered}),
    )?;
    store::find(conn, &r.id)?.ok_or_else(|| AppError::not_found("no such reimbursement request"))
}

/// A reviewer of the office decides a submitted request. A change of the reimbursed amount
/// from the engine's by more than the four-eyes threshold waits for a supervisor.
pub async fn decide(
    state: &ServiceContext,
    caller: Caller,
    id: ReimbursementId,
    input: DecisionInput,
) -> AppResult<ReimbursementView> {
    let threshold = Rial(state.config.four_eyes_threshold);
    let now = state.now();
    state
        .write(move |conn| {
            let r = office_request(conn, &caller, &id)?;
            if transition(r.status, ReimbursementAction::Propose).is_err() {
                return Err(AppError::conflict("not_in_review", format!("the request is {}, not in review", r.status)));
            }
            let lines = compute(benefit_of(&r), &store::lines(conn, &r.id)?, &input.lines)?;
            let after: i64 = lines.iter().map(|l| l.insurer_payable).sum();
            let before = r.machine_reimbursed.unwrap_or(r.reimbursed);
            let actor = Actor::of(&caller);
            let r = if needs_second_approval(Rial(before), Rial(after), threshold) {
                let proposal = serde_json::to_string(&input).map_err(AppError::internal)?;
                let totals = totals_with(ReimbursementStatus::AwaitingApproval, &split_of(&r));
                let extra = Transition::Proposed { by: caller.user_id.clone(), proposal };
                if !store::transition(conn, &r.id, ReimbursementStatus::InReview, &totals, extra, now)? {
                    return Err(AppError::conflict("already_decided", "the request was decided meanwhile"));
                }
                audit::append(
                    conn,
                    &actor,
                    "reimbursement",
                    &r.id,
                    "proposed",
                    Some(json!({"status": "in_review"})),
                    Some(json!({"status": "awaiting_approval", "reimbursed_before": before, "reimbursed_after": after, "lines": input.lines})),
                )?;
                store::find(conn, &r.id)?.ok_or_else(|| AppError::not_found("no such reimbursement request"))?
            } else {
                finish(conn, &r, &lines, ReimbursementStatus::InReview, &caller.user_id, input.note.clone(), &actor, now)?
            };
            view(conn, r)
        })
        .await
}

/// A supervisor approves (or returns to review) a decision waiting for the second pair of
/// eyes; the reviewer who proposed it cannot.
pub async fn approve(
    state: &ServiceContext,
    caller: Caller,
    id: ReimbursementId,
    approve: bool,
) -> AppResult<ReimbursementView> {
    let now = state.now();
    state
        .write(move |conn| {
            let r = office_request(conn, &caller, &id)?;
            if transition(r.status, ReimbursementAction::Return).is_err() {
                return Err(AppError::conflict(
                    "not_awaiting_approval",
                    format!("the request is {}", r.status),
                ));
            }
            if r.decided_by.as_ref() == Some(&caller.user_id) {
                return Err(AppError::forbidden("the reviewer who proposed a decision cannot approve it"));
            }
            let actor = Actor::of(&caller);
            let r = if approve {
                let input: DecisionInput = serde_json::from_str(r.proposal.as_deref().unwrap_or("{}"))
                    .map_err(AppError::internal)?;
                let lines = compute(benefit_of(&r), &store::lines(conn, &r.id)?, &input.lines)?;
                let reviewer = r
                    .decided_by
                    .clone()
                    .ok_or_else(|| AppError::internal("a proposal without its reviewer"))?;
                finish(
                    conn,
                    &r,
                    &lines,
                    ReimbursementStatus::AwaitingApproval,
                    &reviewer,
                    input.note,
                    &actor,
                    now,
                )?
            } else {
                let totals = totals_with(ReimbursementStatus::InReview, &split_of(&r));
                if !store::transition(
                    conn,
                    &r.id,
                    ReimbursementStatus::AwaitingApproval,
                    &totals,
                    Transition::Returned,
                    now,
                )? {
                    return Err(AppError::conflict("already_decided", "the request was decided meanwhile"));
                }
                audit::append(
                    conn,
                    &actor,
                    "reimbursement",
                    &r.id,
                    "returned",
                    Some(json!({"status": "awaiting_approval"})),
                    Some(json!({"status": "in_review"})),
                )?;
                store::find(conn, &r.id)?
                    .ok_or_else(|| AppError::not_found("no such reimbursement request"))?
            };
            view(conn, r)
        })
        .await
}

/// A line of a payment order for an approved reimbursement: the main insured's Sheba.
pub fn order_line(r: &ReimbursementRow) -> (String, String, i64, String) {
    (r.sheba.clone(), r.account_holder.clone(), r.reimbursed, format!("reimbursement:{}", r.id))
}

// ---------------------------------------------------------------------------------------------
// The office's console: its list with counts, and a request's trail with names

/// What the office's list (فهرست درخواست‌های بازپرداخت) selects: the API's list filters plus
/// the insured person (either the main insured or the patient) and the day filed, paged by
/// offset, newest first.
#[derive(Debug, Default)]
pub struct OfficeListFilter {
    pub status: Option<ReimbursementStatus>,
    /// A national code (already checked): the main insured's or the patient's requests.
    pub insured_national_code: Option<String>,
    /// Filed at or after this instant (UTC).
    pub filed_from: Option<NaiveDateTime>,
    /// Filed before this instant (UTC).
    pub filed_before: Option<NaiveDateTime>,
    pub offset: i64,
    pub limit: i64,
}

/// A page of the office's list, how many the filter selects, and how many in each status
/// (of the filter without its status, so every status's count can be a link).
pub struct OfficeList {
    pub items: Vec<ReimbursementView>,
    pub total: i64,
    pub counts: Vec<(ReimbursementStatus, i64)>,
}

/// The requests in the caller's scope (as `list`), filtered, counted and paged for the console.
pub async fn office_list(
    state: &ServiceContext,
    caller: Caller,
    f: OfficeListFilter,
) -> AppResult<OfficeList> {
    if matches!(caller.role, Role::Provider | Role::TariffAdmin) {
        return Err(AppError::forbidden("this role has no reimbursement requests"));
    }
    let scope = caller.scope_for(Record::Reimbursement);
    state
        .db(move |conn| {
            let insured_id = match &f.insured_national_code {
                None => None,
                Some(code) => match insured::find_by_code(conn, code)? {
                    Some(p) => Some(p.id),
                    // Nobody with that code: no request is theirs.
                    None => return Ok(OfficeList { items: Vec::new(), total: 0, counts: Vec::new() }),
                },
            };
            let filter = ReimbursementFilter {
                scope,
                insured_id,
                status: f.status,
                filed_from: f.filed_from,
                filed_before: f.filed_before,
                offset: f.offset,
                limit: f.limit,
                newest_first: true,
                ..ReimbursementFilter::default()
            };
            let counts = store::count_by_status(conn, &filter)?;
            let total = match f.status {
                Some(s) => counts.iter().filter(|(c, _)| *c == s).map(|(_, n)| n).sum(),
                None => counts.iter().map(|(_, n)| n).sum(),
            };
            let items =
                store::list(conn, &filter)?.into_iter().map(|r| view(conn, r)).collect::<AppResult<_>>()?;
            Ok(OfficeList { items, total, counts })
        })
        .await
}

/// One change of a request, with who made it by name (the audit trail's actor).
pub struct TrailEvent {
    pub at: NaiveDateTime,
    /// `filed`, `submitted`, `proposed`, `returned`, `decided`, `ordered`, `paid`.
    pub action: String,
    /// The status it left the request in, when it changed it.
    pub status: Option<ReimbursementStatus>,
    pub actor: String,
    pub role: String,
    /// The reimbursed amount it recorded, when it recorded one.
    pub reimbursed: Option<i64>,
}

/// A request's trail and what the caller may do with it now: the same conditions the use cases
/// check (`may_edit` and the status for documents and submission, an office reviewer for a
/// request in review, a supervisor other than the proposer for a waiting decision), so a page
/// offers only what the use case would accept.
pub struct Trail {
    pub events: Vec<TrailEvent>,
    /// The reviewer whose decision it is (proposed or applied), by name.
    pub decided_by: Option<String>,
    /// The supervisor who approved a proposed decision (the second pair of eyes), by name.
    pub approved_by: Option<String>,
    pub may_add_documents: bool,
    pub may_submit: bool,
    pub may_decide: bool,
    pub may_approve: bool,
}

pub async fn trail(state: &ServiceContext, caller: Caller, id: ReimbursementId) -> AppResult<Trail> {
    state
        .db(move |conn| {
            let r = load_visible(conn, &caller, &id)?;
            let events: Vec<TrailEvent> = audit::for_entity(conn, "reimbursement", &r.id)?
                .into_iter()
                .map(|e| {
                    let after = e
                        .after_state
                        .as_deref()
                        .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok());
                    TrailEvent {
                        at: e.at,
                        status: after
                            .as_ref()
                            .and_then(|v| v.get("status")?.as_str().and_then(ReimbursementStatus::parse)),
                        reimbursed: after.as_ref().and_then(|v| {
                            v.get("reimbursed").or_else(|| v.get("reimbursed_after"))?.as_i64()
                        }),
                        action: e.action,
                        actor: e.actor_name,
                        role: e.actor_role,
                    }
                })
                .collect();
            // A proposal's reviewer decided it and whoever applied it approved it; a return
            // to review forgets the proposal.
            let (mut proposer, mut decided_by, mut approved_by) = (None, None, None);
            for e in &events {
                match e.action.as_str() {
                    "proposed" => proposer = Some(e.actor.clone()),
                    "returned" => proposer = None,
                    "decided" => match proposer.take() {
                        Some(p) => {
                            decided_by = Some(p);
                            approved_by = Some(e.actor.clone());
                        }
                        None => decided_by = Some(e.actor.clone()),
                    },
                    _ => {}
                }
            }
            if r.status == ReimbursementStatus::AwaitingApproval {
                decided_by = proposer;
            }
            let office_reviewer = matches!(caller.role, Role::Reviewer | Role::Supervisor)
                && caller.office_id.as_ref() == Some(&r.office_id);
            Ok(Trail {
                events,
                decided_by,
                approved_by,
                may_add_documents: may_edit(&caller, &r) && r.status.accepts_documents(),
                may_submit: may_edit(&caller, &r)
                    && transition(r.status, ReimbursementAction::Submit).is_ok(),
                may_decide: office_reviewer && transition(r.status, ReimbursementAction::Propose).is_ok(),
                may_approve: office_reviewer
                    && caller.role == Role::Supervisor
                    && transition(r.status, ReimbursementAction::Return).is_ok()
                    && r.decided_by.as_ref() != Some(&caller.user_id),
            })
        })
        .await
}
