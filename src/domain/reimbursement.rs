//! Reimbursing insured persons (بازپرداخت هزینه‌های درمان غیرمستقیم): pure rules, no IO.
//!
//! Three benefits (iran-sso.md §3):
//!
//! - **care** at a non-contracted doctor, hospital or pharmacy: priced by the same engine as
//!   claims, on the *government* tariff of the service date, with a synthetic contract
//!   ([`non_contracted_contract`]) that bills no gap. What the Organization pays is its share;
//!   the rest of what the insured paid is the franchise, the amount above the tariff, or what is
//!   not covered, each with its rule or reason code ([`split`]).
//! - **support items** (پروتز و اروتز, the 169-item list): a fixed amount per item from the
//!   tariff's device list, at most what was paid, and no second item of the same code inside
//!   its renewal period ([`price_support_item`]).
//! - **travel and accommodation** of the patient and a companion (Art. 57, Art. 62(5)): only
//!   with the medical council's approval, not for excluded groups, stays only for wage earners
//!   ([`price_travel`]).
//!
//! Every line ends as [`LineAmounts`] with `paid = reimbursed + franchise + above_tariff +
//! not_covered` (stored in the claim columns: billed, insurer_payable, patient_share,
//! patient_gap = 0, deducted), so the review office's decision rules apply unchanged.
//!
//! A whole request is priced by [`price_care_lines`], [`price_support_item_lines`] or
//! [`price_travel_lines`] from what the service has read (the insured person, their history,
//! earlier items); its totals are [`Split::total`].

use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::adjudication::{
    adjudicate, Claim, ClaimKind, ClaimLine, Context, ContractFacts, HistoryLine, PreAuthorization,
    ProviderFacts, Setting,
};
use crate::domain::contract::{ContractStatus, ContractTerms, StatusEvent, TermsVersion};
use crate::domain::eligibility::{decide, DependantRules, InsuranceType, Person};
use crate::domain::jalali::JalaliDate;
use crate::domain::money::Rial;
use crate::domain::pricing::ItemType;
use crate::domain::provider::ProviderKind;
use crate::domain::reasons::Reason;
use crate::domain::review::LineAmounts;
use crate::domain::tariff::{DeviceTariff, Sector, TariffBook};

/// No filing deadline for SSO reimbursements was found (iran-sso.md §3.2); we allow a year
/// after the end of the service month, the same horizon a supplementary contract used
/// (3 months after the contract's end) stretched to the Organization's yearly tariff cycle.
pub const FILING_DEADLINE_DAYS: u32 = 365;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Benefit {
    /// Treatment at a non-contracted provider (درمان در مراکز طرف قرارداد نبوده).
    Care,
    /// Prosthesis and orthosis (پروتز و اروتز).
    SupportItem,
    /// Travel and accommodation of patient and companion (هزینه سفر و اقامت).
    Travel,
}

impl Benefit {
    pub fn as_str(self) -> &'static str {
        match self {
            Benefit::Care => "care",
            Benefit::SupportItem => "support_item",
            Benefit::Travel => "travel",
        }
    }
    pub fn parse(s: &str) -> Option<Benefit> {
        [Benefit::Care, Benefit::SupportItem, Benefit::Travel].into_iter().find(|b| b.as_str() == s)
    }
    /// The benefit in Persian, for the console.
    pub fn name_fa(self) -> &'static str {
        match self {
            Benefit::Care => "درمان در مرکز غیرطرف قرارداد",
            Benefit::SupportItem => "پروتز و اروتز",
            Benefit::Travel => "هزینهٔ سفر و اقامت",
        }
    }
    /// Whether the insured person bears a franchise (فرانشیز): only on care, which the claims
    /// engine prices with the setting's cost-sharing rule. Support items and travel are fixed
    /// amounts and allowances, reimbursed in full up to their limit.
    pub fn has_franchise(self) -> bool {
        self == Benefit::Care
    }
}

/// The kinds of document a file may hold (a claim's, an objection's, a pre-authorization's, a
/// reimbursement request's): the one vocabulary of the upload (`document_type`) and of the
/// checklist below, so every document the checklist asks for is one the upload accepts.
pub const DOCUMENT_TYPES: [&str; 10] = [
    "prescription",
    "invoice",
    "medical_report",
    "anesthesia_report",
    "lab_result",
    "imaging_report",
    "discharge_summary",
    "referral",
    "accident_report",
    "other",
];

// The texts of `DOCUMENT_TYPES`, for the API contract only: the service reads and stores the
// text itself.
/// The kind of a document (`document_type`).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // documentation only
pub enum DocumentType {
    Prescription,
    Invoice,
    MedicalReport,
    AnesthesiaReport,
    LabResult,
    ImagingReport,
    DischargeSummary,
    Referral,
    AccidentReport,
    Other,
}

/// One entry of the checklist: the document types any one of which meets it (each one of
/// [`DOCUMENT_TYPES`]).
pub type Requirement = &'static [&'static str];

const INVOICE: Requirement = &["invoice"];
const PRESCRIPTION: Requirement = &["prescription"];
const MEDICAL_REPORT: Requirement = &["medical_report"];
const ANESTHESIA_REPORT: Requirement = &["anesthesia_report"];
const DISCHARGE_SUMMARY: Requirement = &["discharge_summary"];
/// A paraclinic result: the laboratory's result or the imaging report, whichever was done.
const PARACLINIC_RESULT: Requirement = &["lab_result", "imaging_report"];

/// The documents a request must have in its file before it can be submitted (iran-sso.md §3.2
/// for care, §3.3 for support items, §3.4 for travel). With an e-prescription tracking code
/// (کد رهگیری) the paper prescription is not needed.
pub fn required_documents(
    benefit: Benefit,
    kind: Option<ClaimKind>,
    has_tracking_code: bool,
) -> Vec<Requirement> {
    let prescription = (!has_tracking_code).then_some(PRESCRIPTION);
    let mut docs: Vec<Requirement> = vec![INVOICE];
    match benefit {
        Benefit::Care => match kind {
            Some(ClaimKind::Inpatient) | Some(ClaimKind::DaySurgery) => {
                // The treating doctor's certificate, the anaesthetist's, the discharge summary
                // and the original bills confirmed by the hospital.
                docs.extend([MEDICAL_REPORT, ANESTHESIA_REPORT, DISCHARGE_SUMMARY]);
            }
            Some(ClaimKind::Pharmacy) | Some(ClaimKind::Physiotherapy) => docs.extend(prescription),
            Some(ClaimKind::Paraclinic) => {
                docs.extend(prescription);
                docs.push(PARACLINIC_RESULT);
            }
            Some(ClaimKind::Visit) | Some(ClaimKind::Dental) | None => {}
        },
        // The treating doctor's prescription (for glasses, with the refraction) and the invoice.
        Benefit::SupportItem => docs.push(PRESCRIPTION),
        // The doctor's certificate that the treatment is not available locally, and the tickets.
        Benefit::Travel => docs.push(MEDICAL_REPORT),
    }
    docs
}

/// The requirements no document in the file meets (`present`: the document types attached).
pub fn missing_documents(required: &[Requirement], present: &[String]) -> Vec<Requirement> {
    required.iter().copied().filter(|r| !r.iter().any(|t| present.iter().any(|p| p == t))).collect()
}

/// The document types the requirements name, in order: what the answer's
/// `required_documents` and `missing_documents` list. A requirement met by either of two types
/// (a lab result or an imaging report) lists both; attaching one meets it.
pub fn document_types(requirements: &[Requirement]) -> Vec<&'static str> {
    requirements.iter().flat_map(|r| r.iter().copied()).collect()
}

/// The requirements in words, for a refusal: `lab_result or imaging_report`, comma-separated.
pub fn describe(requirements: &[Requirement]) -> String {
    requirements.iter().map(|r| r.join(" or ")).collect::<Vec<_>>().join(", ")
}

/// The terms a non-contracted provider is priced on: the government tariff, no gap billing,
/// no discount, no scope limit, the filing deadline above.
pub fn non_contracted_terms() -> ContractTerms {
    ContractTerms {
        tariff_basis: Sector::Government,
        may_bill_gap: false,
        submission_deadline_days: FILING_DEADLINE_DAYS,
        ..ContractTerms::default()
    }
}

/// A contract that is always in force with [`non_contracted_terms`], so the engine's contract
/// rules (R03, R04, R19) do not apply and its deadline rule (R14) uses the filing deadline.
pub fn non_contracted_contract() -> ContractFacts {
    let start = NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid date");
    ContractFacts {
        valid_from: start,
        valid_to: NaiveDate::from_ymd_opt(2999, 12, 31).expect("valid date"),
        events: vec![StatusEvent { effective_on: start, status: ContractStatus::Active, reason: None }],
        versions: vec![TermsVersion { version: 1, effective_from: start, terms: non_contracted_terms() }],
    }
}

/// Reasons whose amount is "above the tariff" for the insured; every other deduction is "not
/// covered" (not recognised at all).
pub const ABOVE_TARIFF_REASONS: [&str; 3] = ["R07", "R20", "R22"];

/// How what the insured paid divides: `paid = reimbursed + franchise + above_tariff +
/// not_covered`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = ReimbursementSplit)]
pub struct Split {
    pub paid: i64,
    /// The Organization's share: what is paid back.
    pub reimbursed: i64,
    /// The insured's legal share (فرانشیز).
    pub franchise: i64,
    /// Paid above the tariff (or above an item's fixed amount).
    pub above_tariff: i64,
    /// Not recognised: not covered, not eligible, refused, reduced by a reviewer.
    pub not_covered: i64,
}

impl Split {
    /// A request's totals: the sum of its lines' splits.
    pub fn total<'a>(lines: impl IntoIterator<Item = &'a LineAmounts>) -> Split {
        let mut t = Split::default();
        for l in lines {
            t.add(&split(l));
        }
        t
    }

    pub fn add(&mut self, o: &Split) {
        self.paid += o.paid;
        self.reimbursed += o.reimbursed;
        self.franchise += o.franchise;
        self.above_tariff += o.above_tariff;
        self.not_covered += o.not_covered;
    }
    pub fn conserves(&self) -> bool {
        self.paid == self.reimbursed + self.franchise + self.above_tariff + self.not_covered
    }
}

/// A stored line's amounts as a reviewer's decision sees them: `review::apply` splits what the
/// reviewer recognises again with the line's `cost_sharing_rule`, read as the insured's share.
/// The rule stored on a support item or travel line says how its amount was set
/// (`stay_allowance:50%` is the companion's share of the daily wage, not the insured's share of
/// the line), so on a benefit without a franchise it is dropped: the amount a reviewer
/// recognises, lower or higher, is reimbursed in full.
pub fn for_review(benefit: Benefit, amounts: LineAmounts) -> LineAmounts {
    if benefit.has_franchise() {
        amounts
    } else {
        LineAmounts { cost_sharing_rule: None, ..amounts }
    }
}

pub fn split(a: &LineAmounts) -> Split {
    let above: i64 =
        a.reasons.iter().filter(|r| ABOVE_TARIFF_REASONS.contains(&r.0.as_str())).map(|r| r.1 .0).sum();
    Split {
        paid: a.billed.0,
        reimbursed: a.insurer_payable.0,
        franchise: a.patient_share.0,
        above_tariff: above + a.patient_gap.0,
        not_covered: a.deducted.0 - above,
    }
}

/// A priced line of a support item or travel request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Priced {
    pub amounts: LineAmounts,
    /// The fixed amount or allowance the line is measured against (0 when refused).
    pub tariff_amount: Rial,
    /// The rule that set the amount, e.g. `device_fixed_amount` or `stay_allowance:100%`.
    pub rule: Option<String>,
    /// For a refusal inside a renewal period: the first date a new item is paid.
    pub renewable_on: Option<NaiveDate>,
}

/// The whole line refused with a reason.
pub fn refused(line_no: u32, paid: Rial, reason: Reason, detail: String) -> Priced {
    Priced {
        amounts: LineAmounts {
            line_no,
            billed: paid,
            insurer_payable: Rial::ZERO,
            patient_share: Rial::ZERO,
            patient_gap: Rial::ZERO,
            deducted: paid,
            reasons: vec![(reason.code().into(), paid, detail)],
            cost_sharing_rule: None,
        },
        tariff_amount: Rial::ZERO,
        rule: None,
        renewable_on: None,
    }
}

/// Paid up to `amount`; anything above is R07 with `detail`. No franchise: these are fixed
/// allowances, not priced care, so the amounts carry no cost-sharing rule (`rule` says how the
/// amount was set).
fn up_to(line_no: u32, paid: Rial, amount: Rial, rule: String, detail: String) -> Priced {
    let reimbursed = paid.min(amount);
    let above = paid.0 - reimbursed.0;
    Priced {
        amounts: LineAmounts {
            line_no,
            billed: paid,
            insurer_payable: reimbursed,
            patient_share: Rial::ZERO,
            patient_gap: Rial::ZERO,
            deducted: Rial(above),
            reasons: if above > 0 { vec![("R07".into(), Rial(above), detail)] } else { Vec::new() },
            cost_sharing_rule: None,
        },
        tariff_amount: amount,
        rule: Some(rule),
        renewable_on: None,
    }
}

/// An item the insured person already received (approved or waiting for a decision).
#[derive(Clone, Debug)]
pub struct PriorItem {
    pub code: String,
    pub service_date: NaiveDate,
}

/// Whether an item received on `received` blocks another on `date`: the two lie less than
/// `months` apart, whichever came first. A renewal period runs both ways in time, so an item
/// filed late with an earlier service date is refused as surely as one filed in order.
fn within_renewal(received: NaiveDate, date: NaiveDate, months: Months) -> bool {
    let (first, second) = if received <= date { (received, date) } else { (date, received) };
    first.checked_add_months(months).is_some_and(|renewed| renewed > second)
}

/// The first date, `date` or later, on which a new item is paid when the same item was
/// received on the `received` dates; `None` when `date` itself is outside every renewal period.
/// A refused date moves to the end of the periods that block it until none does (an item
/// received later can block that end too).
pub fn renewable_on(date: NaiveDate, renewal_months: u32, received: &[NaiveDate]) -> Option<NaiveDate> {
    if renewal_months == 0 {
        return None;
    }
    let months = Months::new(renewal_months);
    let mut at = date;
    let mut blocked = false;
    // Each round moves `at` to a later end of a period, of which there are `received.len()`.
    for _ in 0..=received.len() {
        let end = received
            .iter()
            .filter(|r| within_renewal(**r, at, months))
            .filter_map(|r| r.checked_add_months(months))
            .max();
        match end {
            Some(end) if end > at => {
                at = end;
                blocked = true;
            }
            _ => break,
        }
    }
    blocked.then_some(at)
}

/// A support item line: the device list's fixed amount × quantity, at most what was paid.
/// Refused when the code is not on the list (R05) or when the same item was received less
/// than its renewal period before or after `date` (R10, with the date it becomes possible
/// again: [`renewable_on`]).
pub fn price_support_item(
    line_no: u32,
    code: &str,
    quantity: Decimal,
    paid: Rial,
    date: NaiveDate,
    item: Option<&DeviceTariff>,
    prior: &[PriorItem],
) -> Priced {
    let Some(item) = item else {
        return refused(line_no, paid, Reason::R05, format!("{code} is not on the support-item list"));
    };
    let received: Vec<NaiveDate> = prior.iter().filter(|p| p.code == code).map(|p| p.service_date).collect();
    if let Some(next) = renewable_on(date, item.renewal_months, &received) {
        let mut p = refused(
            line_no,
            paid,
            Reason::R10,
            format!(
                "{} is renewed every {} months; a new one is paid from {next}",
                item.name_en, item.renewal_months
            ),
        );
        p.renewable_on = Some(next);
        return p;
    }
    let amount = match Rial::round(Decimal::from(item.amount) * quantity) {
        Ok(a) => a,
        Err(_) => return refused(line_no, paid, Reason::R09, "quantity too large".into()),
    };
    up_to(
        line_no,
        paid,
        amount,
        "device_fixed_amount".into(),
        format!("paid {} above the fixed amount {} of {}", paid.0 - amount.0, amount.0, item.name_en),
    )
}

/// The four kinds of travel line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TravelCode {
    /// The patient's ticket (bus, train, plane), at its price (Art. 57).
    PatientTicket,
    /// The companion's ticket, when the doctor certifies a companion is needed.
    CompanionTicket,
    /// The patient's accommodation: 100 % of the daily wage per day (Art. 62(5)).
    PatientStay,
    /// The companion's allowance: 50 % of the insured's daily wage per day.
    CompanionStay,
}

impl TravelCode {
    pub fn parse(s: &str) -> Option<TravelCode> {
        match s {
            "patient_ticket" => Some(TravelCode::PatientTicket),
            "companion_ticket" => Some(TravelCode::CompanionTicket),
            "patient_stay" => Some(TravelCode::PatientStay),
            "companion_stay" => Some(TravelCode::CompanionStay),
            _ => None,
        }
    }

    pub const ALL: [TravelCode; 4] = [
        TravelCode::PatientTicket,
        TravelCode::CompanionTicket,
        TravelCode::PatientStay,
        TravelCode::CompanionStay,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TravelCode::PatientTicket => "patient_ticket",
            TravelCode::CompanionTicket => "companion_ticket",
            TravelCode::PatientStay => "patient_stay",
            TravelCode::CompanionStay => "companion_stay",
        }
    }

    /// The line's name in Persian (بلیت / هزینهٔ اقامت).
    pub fn name_fa(self) -> &'static str {
        match self {
            TravelCode::PatientTicket => "بلیت رفت‌وبرگشت بیمار",
            TravelCode::CompanionTicket => "بلیت رفت‌وبرگشت همراه",
            TravelCode::PatientStay => "هزینهٔ اقامت بیمار (روز)",
            TravelCode::CompanionStay => "هزینهٔ اقامت همراه (روز)",
        }
    }
}

/// The conditions of a travel request (iran-sso.md §3.4).
#[derive(Clone, Debug)]
pub struct TravelFacts {
    /// The insurance type of the main insured (a dependant's follows the main insured's).
    pub insurance_type: InsuranceType,
    /// The patient is the main insured (a wage earner's stay is tied to wage compensation).
    pub patient_is_main: bool,
    /// The medical council's (شورای پزشکی) approval of the transfer, by its number.
    pub council_approval_no: Option<String>,
    /// The treating doctor certifies that a companion is needed.
    pub companion_needed: bool,
}

/// Groups without the travel benefit: the self-employed and pensioners (who pay a treatment
/// per-capita fee; this service does not hold who pays it, so all pensioners are excluded —
/// recorded in the README).
pub fn travel_excluded(t: InsuranceType) -> bool {
    matches!(t, InsuranceType::SelfEmployed | InsuranceType::Pensioner)
}

/// The minimum daily wage (حداقل دستمزد روزانه) of a Jalali year, in rials: the basis of the
/// stay allowances, because the insured's own wage is not held by this service.
///
/// SAMPLE values: 1403 and 1404 follow the Supreme Labour Council's published monthly minimum
/// (71,661,840 and 103,990,860 rials ÷ 30); 1405 is 1404 grown by 30 %, not a published figure.
/// Responses mark the travel rates `sample`.
pub fn minimum_daily_wage(jalali_year: i32) -> Option<Rial> {
    match jalali_year {
        1403 => Some(Rial(2_388_728)),
        1404 => Some(Rial(3_466_362)),
        1405 => Some(Rial(4_506_271)),
        _ => None,
    }
}

/// The status of the travel rates above.
pub const TRAVEL_RATES_STATUS: &str = "sample";

/// A travel line. `days` is the line's quantity for stays (ignored for tickets).
pub fn price_travel(
    line_no: u32,
    code: TravelCode,
    days: Decimal,
    paid: Rial,
    facts: &TravelFacts,
    daily_wage: Option<Rial>,
) -> Priced {
    if travel_excluded(facts.insurance_type) {
        return refused(
            line_no,
            paid,
            Reason::R06,
            format!("{} insured persons have no travel benefit", facts.insurance_type.as_str()),
        );
    }
    if facts.council_approval_no.is_none() {
        return refused(
            line_no,
            paid,
            Reason::R91,
            "the medical council has not approved the transfer".into(),
        );
    }
    let companion = matches!(code, TravelCode::CompanionTicket | TravelCode::CompanionStay);
    if companion && !facts.companion_needed {
        return refused(
            line_no,
            paid,
            Reason::R91,
            "the doctor has not certified that a companion is needed".into(),
        );
    }
    match code {
        TravelCode::PatientTicket | TravelCode::CompanionTicket => Priced {
            amounts: LineAmounts {
                line_no,
                billed: paid,
                insurer_payable: paid,
                patient_share: Rial::ZERO,
                patient_gap: Rial::ZERO,
                deducted: Rial::ZERO,
                reasons: Vec::new(),
                cost_sharing_rule: None,
            },
            tariff_amount: paid,
            rule: Some("ticket_price".into()),
            renewable_on: None,
        },
        TravelCode::PatientStay | TravelCode::CompanionStay => {
            if !(facts.patient_is_main && facts.insurance_type == InsuranceType::Mandatory) {
                return refused(
                    line_no,
                    paid,
                    Reason::R06,
                    "accommodation is paid only to wage-earning (mandatory) insured persons".into(),
                );
            }
            let Some(wage) = daily_wage else {
                return refused(line_no, paid, Reason::R05, "no daily wage is set for the year".into());
            };
            let percent =
                if code == TravelCode::PatientStay { Decimal::ONE_HUNDRED } else { Decimal::from(50) };
            let per_day = wage.percent(percent).unwrap_or(Rial::ZERO);
            let amount = Rial::round(per_day.to_decimal() * days).unwrap_or(Rial::ZERO);
            up_to(
                line_no,
                paid,
                amount,
                format!("stay_allowance:{percent}%"),
                format!("{} days × {} allowance = {}", days.normalize(), per_day.0, amount.0),
            )
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A whole request

/// A line of a request as the insured person filed it: what they paid for which item on which
/// date. `quantity` is the number of items, or the days of a stay.
#[derive(Clone, Debug)]
pub struct RequestLine {
    pub line_no: u32,
    pub item_type: ItemType,
    pub code: String,
    pub quantity: Decimal,
    pub service_date: NaiveDate,
    pub paid: Rial,
}

/// The tariff year and the status (`official`, `sample`) of the rates a line was priced with;
/// `None` when no rates are in force on its date.
pub type RatesUsed = Option<(i32, &'static str)>;

/// What pricing a request reads besides its lines: the tariffs and the insured person it is for.
pub struct RequestContext<'a> {
    pub tariffs: &'a TariffBook,
    pub insured: &'a Person,
    /// The main insured of a dependant; `None` when the patient is the main insured.
    pub main_insured: Option<&'a Person>,
    pub dependant_rules: &'a DependantRules,
}

impl RequestContext<'_> {
    /// The line refused with R02 when the insured person is not eligible on its date; support
    /// items and travel check it themselves (care goes through the engine, which does).
    fn ineligible(&self, line: &RequestLine) -> Option<Priced> {
        let decision = decide(self.insured, self.main_insured, line.service_date, self.dependant_rules);
        (!decision.eligible).then(|| refused(line.line_no, line.paid, Reason::R02, decision.reason_en))
    }
}

/// What a care request says besides its lines: the non-contracted provider and the stay.
pub struct CareRequest<'a> {
    /// The request's id: the engine knows its provider as `non-contracted:<id>`, an id no
    /// contracted provider's history line carries.
    pub id: &'a crate::domain::record_ids::ReimbursementId,
    pub provider_kind: ProviderKind,
    pub sector: Sector,
    pub hospital_grade: Option<u8>,
    pub setting: Setting,
    pub kind: ClaimKind,
    pub prescribed_on: Option<NaiveDate>,
    pub admitted_on: Option<NaiveDate>,
    pub discharged_on: Option<NaiveDate>,
}

/// Care at a non-contracted provider: the claims engine on the government tariff
/// ([`non_contracted_contract`]), against the insured's history of claims and earlier
/// reimbursements (duplicates, intervals) and their pre-authorizations, as if submitted on
/// `today`. No monthly ceiling, no auto-approval amount; the medical record counts as on file
/// because the checklist requires it before submission.
pub fn price_care_lines(
    ctx: &RequestContext<'_>,
    request: &CareRequest<'_>,
    lines: &[RequestLine],
    history: &[HistoryLine],
    preauthorizations: &[PreAuthorization],
    today: NaiveDate,
) -> Vec<(Priced, RatesUsed)> {
    let provider = ProviderFacts {
        id: format!("non-contracted:{}", request.id).into(),
        kind: request.provider_kind,
        sector: request.sector,
        hospital_grade: request.hospital_grade,
        sso_owned: false,
    };
    let contract = non_contracted_contract();
    let claim = Claim {
        setting: request.setting,
        kind: request.kind,
        submitted_on: today,
        prescribed_on: request.prescribed_on,
        physician_council_no: None,
        admitted_on: request.admitted_on,
        discharged_on: request.discharged_on,
        lines: lines
            .iter()
            .map(|l| ClaimLine {
                line_no: l.line_no,
                item_type: l.item_type,
                code: l.code.clone(),
                quantity: l.quantity,
                service_date: l.service_date,
                billed: l.paid,
                unit_price: None,
                anesthesia_units: Decimal::ZERO,
                medical_order: false,
                physician_council_no: None,
                preauthorization_id: None,
            })
            .collect(),
    };
    let engine = Context {
        tariffs: ctx.tariffs,
        insured: Some(ctx.insured),
        main_insured: ctx.main_insured,
        dependant_rules: ctx.dependant_rules,
        provider: &provider,
        contract: Some(&contract),
        history,
        preauthorizations,
        month_payable_so_far: Rial::ZERO,
        auto_approve_limit: None,
        has_medical_record: true,
    };
    adjudicate(&claim, &engine)
        .lines
        .into_iter()
        .map(|l| {
            let rates = l.tariff_year.map(|y| (y, l.tariff_status.map_or("", |s| s.as_str())));
            let amounts = l.amounts();
            let priced = Priced {
                amounts,
                tariff_amount: l.tariff_amount,
                rule: l.cost_sharing_rule,
                renewable_on: None,
            };
            (priced, rates)
        })
        .collect()
}

/// Support items, in line order: each line is priced by [`price_support_item`] on the device
/// list in force on its date, against the items received before (`prior`) and the lines of this
/// request already paid, so a second item of a code inside its renewal period is refused.
pub fn price_support_item_lines(
    ctx: &RequestContext<'_>,
    lines: &[RequestLine],
    mut prior: Vec<PriorItem>,
) -> Vec<(Priced, RatesUsed)> {
    lines
        .iter()
        .map(|l| {
            let tariff = ctx.tariffs.for_date(l.service_date);
            let rates = tariff.map(|t| (t.meta.year, t.meta.status.as_str()));
            let priced = ctx.ineligible(l).unwrap_or_else(|| {
                let item = tariff.and_then(|t| t.devices.get(&l.code));
                price_support_item(l.line_no, &l.code, l.quantity, l.paid, l.service_date, item, &prior)
            });
            if priced.amounts.insurer_payable.0 > 0 {
                prior.push(PriorItem { code: l.code.clone(), service_date: l.service_date });
            }
            (priced, rates)
        })
        .collect()
}

/// Travel and accommodation lines ([`price_travel`]): the conditions are the main insured's
/// insurance type, whether the patient is the main insured, the council's approval and the
/// doctor's certificate that a companion is needed; stays are measured against the minimum
/// daily wage of the line's Jalali year. A code that is not a [`TravelCode`] is R05.
pub fn price_travel_lines(
    ctx: &RequestContext<'_>,
    lines: &[RequestLine],
    council_approval_no: Option<String>,
    companion_needed: bool,
) -> Vec<(Priced, RatesUsed)> {
    let facts = TravelFacts {
        insurance_type: ctx.main_insured.unwrap_or(ctx.insured).insurance_type,
        patient_is_main: ctx.main_insured.is_none(),
        council_approval_no,
        companion_needed,
    };
    lines
        .iter()
        .map(|l| {
            let year = JalaliDate::from_gregorian(l.service_date).year();
            let priced = ctx.ineligible(l).unwrap_or_else(|| match TravelCode::parse(&l.code) {
                None => refused(l.line_no, l.paid, Reason::R05, format!("{} is not a travel item", l.code)),
                Some(code) => {
                    price_travel(l.line_no, code, l.quantity, l.paid, &facts, minimum_daily_wage(year))
                }
            });
            (priced, Some((year, TRAVEL_RATES_STATUS)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use super::*;
    use crate::domain::adjudication::{
        adjudicate, Claim, ClaimLine, Context, HistoryLine, LineResult, ProviderFacts, Setting,
    };
    use crate::domain::eligibility::{Coverage, DependantRules, Person, Sex};
    use crate::domain::pricing::ItemType;
    use crate::domain::provider::ProviderKind;
    use crate::domain::review::{apply, LineAction, LineDecision};
    use crate::domain::tariff::{parse_tariff, tests::repo_year, TariffBook};
    use rust_decimal_macros::dec;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn glasses() -> DeviceTariff {
        DeviceTariff {
            code: "D002".into(),
            name_fa: "عینک کامل".into(),
            name_en: "Complete spectacles".into(),
            group: "glasses".into(),
            amount: 8_200_000,
            renewal_months: 24,
        }
    }

    #[test]
    fn support_item_pays_the_fixed_amount_at_most() {
        let p =
            price_support_item(1, "D002", dec!(1), Rial(9_000_000), d("2024-10-01"), Some(&glasses()), &[]);
        assert_eq!(p.amounts.insurer_payable, Rial(8_200_000));
        assert_eq!(p.amounts.deducted, Rial(800_000));
        assert_eq!(
            split(&p.amounts),
            Split {
                paid: 9_000_000,
                reimbursed: 8_200_000,
                franchise: 0,
                above_tariff: 800_000,
                not_covered: 0
            }
        );
        let cheap =
            price_support_item(1, "D002", dec!(1), Rial(5_000_000), d("2024-10-01"), Some(&glasses()), &[]);
        assert_eq!(cheap.amounts.insurer_payable, Rial(5_000_000));
        assert!(cheap.amounts.conserves());
    }

    #[test]
    fn renewal_period_refuses_with_the_date_it_becomes_possible() {
        let prior = [PriorItem { code: "D002".into(), service_date: d("2023-03-15") }];
        let inside = price_support_item(
            1,
            "D002",
            dec!(1),
            Rial(9_000_000),
            d("2025-03-14"),
            Some(&glasses()),
            &prior,
        );
        assert_eq!(inside.amounts.reasons[0].0, "R10");
        assert_eq!(inside.renewable_on, Some(d("2025-03-15")));
        assert_eq!(split(&inside.amounts).not_covered, 9_000_000);
        // On the day it becomes possible: paid.
        let on = price_support_item(
            1,
            "D002",
            dec!(1),
            Rial(9_000_000),
            d("2025-03-15"),
            Some(&glasses()),
            &prior,
        );
        assert_eq!(on.amounts.insurer_payable, Rial(8_200_000));
        // Another code is not blocked.
        let other = price_support_item(1, "D003", dec!(1), Rial(1), d("2024-01-01"), None, &prior);
        assert_eq!(other.amounts.reasons[0].0, "R05");
    }

    fn facts(t: InsuranceType) -> TravelFacts {
        TravelFacts {
            insurance_type: t,
            patient_is_main: true,
            council_approval_no: Some("1403/55".into()),
            companion_needed: true,
        }
    }

    #[test]
    fn travel_rules() {
        let wage = minimum_daily_wage(1403);
        let ticket = price_travel(
            1,
            TravelCode::PatientTicket,
            dec!(1),
            Rial(12_000_000),
            &facts(InsuranceType::Mandatory),
            wage,
        );
        assert_eq!(ticket.amounts.insurer_payable, Rial(12_000_000));
        let stay = price_travel(
            2,
            TravelCode::PatientStay,
            dec!(3),
            Rial(9_000_000),
            &facts(InsuranceType::Mandatory),
            wage,
        );
        assert_eq!(stay.amounts.insurer_payable, Rial(7_166_184));
        assert_eq!(stay.amounts.deducted, Rial(1_833_816));
        let comp = price_travel(
            3,
            TravelCode::CompanionStay,
            dec!(3),
            Rial(9_000_000),
            &facts(InsuranceType::Mandatory),
            wage,
        );
        assert_eq!(comp.amounts.insurer_payable, Rial(3_583_092));
        for t in [InsuranceType::SelfEmployed, InsuranceType::Pensioner] {
            let r = price_travel(1, TravelCode::PatientTicket, dec!(1), Rial(100), &facts(t), wage);
            assert_eq!(r.amounts.reasons[0].0, "R06");
        }
        let voluntary = price_travel(
            1,
            TravelCode::PatientStay,
            dec!(1),
            Rial(100),
            &facts(InsuranceType::Voluntary),
            wage,
        );
        assert_eq!(voluntary.amounts.reasons[0].0, "R06");
        let mut no_council = facts(InsuranceType::Mandatory);
        no_council.council_approval_no = None;
        let r = price_travel(1, TravelCode::PatientTicket, dec!(1), Rial(100), &no_council, wage);
        assert_eq!(r.amounts.reasons[0].0, "R91");
        let mut alone = facts(InsuranceType::Mandatory);
        alone.companion_needed = false;
        let r = price_travel(1, TravelCode::CompanionTicket, dec!(1), Rial(100), &alone, wage);
        assert_eq!(r.amounts.reasons[0].0, "R91");
    }

    #[test]
    fn checklist() {
        let inpatient = required_documents(Benefit::Care, Some(ClaimKind::Inpatient), false);
        assert_eq!(
            document_types(&inpatient),
            ["invoice", "medical_report", "anesthesia_report", "discharge_summary"]
        );
        let pharmacy = required_documents(Benefit::Care, Some(ClaimKind::Pharmacy), true);
        assert_eq!(document_types(&pharmacy), ["invoice"]);
        let pharmacy = required_documents(Benefit::Care, Some(ClaimKind::Pharmacy), false);
        assert_eq!(document_types(&pharmacy), ["invoice", "prescription"]);
        // A paraclinic result is the lab's or the imaging centre's: either meets it.
        let para = required_documents(Benefit::Care, Some(ClaimKind::Paraclinic), true);
        assert_eq!(document_types(&para), ["invoice", "lab_result", "imaging_report"]);
        let missing = missing_documents(&para, &["invoice".into()]);
        assert_eq!(document_types(&missing), ["lab_result", "imaging_report"]);
        assert_eq!(describe(&missing), "lab_result or imaging_report");
        assert!(missing_documents(&para, &["invoice".into(), "imaging_report".into()]).is_empty());
        assert!(missing_documents(&para, &["invoice".into(), "lab_result".into()]).is_empty());
        // Only the names the checklist uses meet it: no `result`.
        assert_eq!(missing_documents(&para, &["invoice".into(), "result".into()]).len(), 1);
    }

    #[test]
    fn the_checklist_asks_only_for_documents_the_upload_accepts() {
        for kind in ClaimKind::ALL.map(Some).into_iter().chain([None]) {
            for benefit in [Benefit::Care, Benefit::SupportItem, Benefit::Travel] {
                for tracking in [false, true] {
                    for t in document_types(&required_documents(benefit, kind, tracking)) {
                        assert!(DOCUMENT_TYPES.contains(&t), "{t} ({benefit:?}, {kind:?}) is not uploadable");
                    }
                }
            }
        }
    }

    #[test]
    fn renewal_period_runs_both_ways_in_time() {
        // A pair received on 2024-10-09; another filed later with an earlier service date, inside
        // the 24 months before it, is refused too; a new one is paid 24 months after the later.
        let prior = [PriorItem { code: "D002".into(), service_date: d("2024-10-09") }];
        let earlier = price_support_item(
            1,
            "D002",
            dec!(1),
            Rial(9_000_000),
            d("2024-09-22"),
            Some(&glasses()),
            &prior,
        );
        assert_eq!(earlier.amounts.reasons[0].0, "R10");
        assert_eq!(earlier.renewable_on, Some(d("2026-10-09")));
        assert_eq!(split(&earlier.amounts).reimbursed, 0);
        // 24 months or more before it: paid.
        let long_before = price_support_item(
            1,
            "D002",
            dec!(1),
            Rial(9_000_000),
            d("2022-10-09"),
            Some(&glasses()),
            &prior,
        );
        assert_eq!(long_before.amounts.insurer_payable, Rial(8_200_000));
        let just_inside = renewable_on(d("2022-10-10"), 24, &[d("2024-10-09")]);
        assert_eq!(just_inside, Some(d("2026-10-09")));
    }

    #[test]
    fn renewable_on_moves_past_every_blocking_item() {
        // Items on 2024-01-15 and 2025-06-01, renewed every 24 months. On 2023-06-01 the first
        // blocks (its period ends 2026-01-15), and on that date the second still does.
        let received = [d("2024-01-15"), d("2025-06-01")];
        assert_eq!(renewable_on(d("2023-06-01"), 24, &received), Some(d("2027-06-01")));
        assert_eq!(renewable_on(d("2027-06-01"), 24, &received), None);
        assert_eq!(renewable_on(d("2022-01-15"), 24, &received), None);
        assert_eq!(renewable_on(d("2024-01-15"), 0, &received), None);
    }

    #[test]
    fn a_reviewer_adjusting_a_travel_line_moves_no_amount_into_the_franchise() {
        let wage = minimum_daily_wage(1403);
        let mandatory = facts(InsuranceType::Mandatory);
        let adjust = |line: &LineAmounts, amount: i64| {
            let decision = LineDecision {
                line_no: line.line_no,
                action: LineAction::Adjust,
                approved_amount: Some(amount),
                approved_quantity: None,
                reason: None,
                note: None,
            };
            apply(line, &decision).unwrap()
        };
        // Patient stay: 3 × 2,388,728 = 7,166,184 of 9,000,000 paid; companion: half of it.
        let stay = price_travel(2, TravelCode::PatientStay, dec!(3), Rial(9_000_000), &mandatory, wage);
        let comp = price_travel(3, TravelCode::CompanionStay, dec!(3), Rial(9_000_000), &mandatory, wage);
        assert_eq!(stay.rule.as_deref(), Some("stay_allowance:100%"));
        assert_eq!(comp.rule.as_deref(), Some("stay_allowance:50%"));
        for (p, down, up) in [(&stay, 6_000_000, 8_000_000), (&comp, 3_000_000, 4_000_000)] {
            // As stored: the rule column holds `rule`; the review sees the benefit's amounts.
            let stored = LineAmounts { cost_sharing_rule: p.rule.clone(), ..p.amounts.clone() };
            for line in [p.amounts.clone(), for_review(Benefit::Travel, stored)] {
                let lower = adjust(&line, down);
                assert_eq!((lower.insurer_payable, lower.patient_share), (Rial(down), Rial::ZERO));
                assert_eq!(lower.reasons.last().unwrap().0, "R90");
                assert!(lower.conserves());
                // Upward: the allowance's R07 is given back and reimbursed.
                let higher = adjust(&line, up);
                assert_eq!((higher.insurer_payable, higher.patient_share), (Rial(up), Rial::ZERO));
                assert_eq!(higher.deducted, Rial(9_000_000 - up));
                let s = split(&higher);
                assert_eq!((s.reimbursed, s.franchise, s.above_tariff), (up, 0, 9_000_000 - up));
            }
        }
        // A ticket and a support item: the same.
        let ticket = price_travel(1, TravelCode::PatientTicket, dec!(1), Rial(12_000_000), &mandatory, wage);
        let stored = LineAmounts { cost_sharing_rule: ticket.rule.clone(), ..ticket.amounts.clone() };
        let cut = adjust(&for_review(Benefit::Travel, stored), 10_000_000);
        assert_eq!((cut.insurer_payable, cut.patient_share), (Rial(10_000_000), Rial::ZERO));
        let item =
            price_support_item(1, "D002", dec!(1), Rial(9_000_000), d("2024-10-01"), Some(&glasses()), &[]);
        let stored = LineAmounts { cost_sharing_rule: item.rule.clone(), ..item.amounts.clone() };
        let up = adjust(&for_review(Benefit::SupportItem, stored), 8_500_000);
        assert_eq!((up.insurer_payable, up.patient_share), (Rial(8_500_000), Rial::ZERO));
        // Care keeps its franchise: the engine's rule splits a reviewer's amount.
        let care = LineAmounts {
            line_no: 1,
            billed: Rial(1_890_000),
            insurer_payable: Rial(394_800),
            patient_share: Rial(169_200),
            patient_gap: Rial::ZERO,
            deducted: Rial(1_326_000),
            reasons: vec![("R07".into(), Rial(1_326_000), String::new())],
            cost_sharing_rule: Some("franchise_outpatient:30%".into()),
        };
        let cut = adjust(&for_review(Benefit::Care, care), 400_000);
        assert_eq!((cut.insurer_payable, cut.patient_share), (Rial(280_000), Rial(120_000)));
    }

    /// A specialist visit at a non-contracted office, priced by the claims engine as a care
    /// reimbursement is (no physician is known for it), for an insured person who already had
    /// one on the same day.
    fn reimbursed_visit(history: &[HistoryLine]) -> LineResult {
        let book = book_1403();
        let person = insured_since_2020();
        let provider = ProviderFacts {
            id: "non-contracted:r-2".into(),
            kind: ProviderKind::PhysicianOffice,
            sector: Sector::Private,
            hospital_grade: None,
            sso_owned: false,
        };
        let contract = non_contracted_contract();
        let rules = DependantRules::default();
        let ctx = Context {
            tariffs: book,
            insured: Some(&person),
            main_insured: None,
            dependant_rules: &rules,
            provider: &provider,
            contract: Some(&contract),
            history,
            preauthorizations: &[],
            month_payable_so_far: Rial::ZERO,
            auto_approve_limit: None,
            has_medical_record: true,
        };
        let claim = Claim {
            setting: Setting::Outpatient,
            kind: ClaimKind::Visit,
            submitted_on: d("2024-10-10"),
            prescribed_on: None,
            physician_council_no: None,
            admitted_on: None,
            discharged_on: None,
            lines: vec![ClaimLine {
                line_no: 1,
                item_type: ItemType::Visit,
                code: "specialist".into(),
                quantity: dec!(1),
                service_date: d("2024-10-06"),
                billed: Rial(1_890_000),
                unit_price: None,
                anesthesia_units: Decimal::ZERO,
                medical_order: false,
                physician_council_no: None,
                preauthorization_id: None,
            }],
        };
        adjudicate(&claim, &ctx).lines.remove(0)
    }

    fn visit_on(provider_id: &str, date: &str, physician: Option<&str>) -> HistoryLine {
        HistoryLine {
            provider_id: provider_id.into(),
            item_type: ItemType::Visit,
            code: "specialist".into(),
            service_date: d(date),
            quantity: dec!(1),
            physician_council_no: physician.map(String::from),
        }
    }

    /// Needs the engine change of defect 1 (R08 for a visit whose physician is not known) in
    /// `domain::adjudication`.
    #[test]
    fn a_visit_already_paid_is_not_reimbursed_again() {
        // Billed by a contracted provider (who names the physician) for the same day: R08.
        let l = reimbursed_visit(&[visit_on("p-1", "2024-10-06", Some("12345"))]);
        assert_eq!(l.reasons.iter().map(|r| r.reason).collect::<Vec<_>>(), [Reason::R08]);
        assert_eq!((l.insurer_payable, l.deducted), (Rial::ZERO, Rial(1_890_000)));
        // Reimbursed earlier (no physician on either): R08.
        let l = reimbursed_visit(&[visit_on("reimbursement", "2024-10-06", None)]);
        assert_eq!(l.reasons.iter().map(|r| r.reason).collect::<Vec<_>>(), [Reason::R08]);
        // Another day is not a duplicate: the 564,000 tariff, 30 % franchise, the rest R07.
        let l = reimbursed_visit(&[visit_on("p-1", "2024-10-05", Some("12345"))]);
        assert_eq!((l.insurer_payable, l.patient_share), (Rial(394_800), Rial(169_200)));
        assert_eq!(l.reasons.iter().map(|r| r.reason).collect::<Vec<_>>(), [Reason::R07]);
    }

    fn insured_since_2020() -> Person {
        Person {
            sex: Sex::Male,
            birth_date: d("1980-01-01"),
            insurance_type: InsuranceType::Mandatory,
            special_disease: false,
            supplementary: false,
            coverage: vec![Coverage { from: d("2020-01-01"), to: None }],
            dependant: None,
        }
    }

    /// Pricing a request of a main insured person covered since 2020, on the 1403 tariff.
    fn main_insured_since_2020() -> RequestContext<'static> {
        static PERSON: OnceLock<Person> = OnceLock::new();
        static RULES: OnceLock<DependantRules> = OnceLock::new();
        RequestContext {
            tariffs: book_1403(),
            insured: PERSON.get_or_init(insured_since_2020),
            main_insured: None,
            dependant_rules: RULES.get_or_init(DependantRules::default),
        }
    }

    fn book_1403() -> &'static TariffBook {
        static BOOK: OnceLock<TariffBook> = OnceLock::new();
        BOOK.get_or_init(|| TariffBook::new(vec![parse_tariff(&repo_year(1403)).unwrap()]))
    }

    fn request_line(
        line_no: u32,
        item_type: ItemType,
        code: &str,
        quantity: Decimal,
        date: &str,
        paid: i64,
    ) -> RequestLine {
        RequestLine {
            line_no,
            item_type,
            code: code.into(),
            quantity,
            service_date: d(date),
            paid: Rial(paid),
        }
    }

    /// Every line's paid amount divides exactly: `paid = reimbursed + franchise + above_tariff +
    /// not_covered`, and so does the request's.
    fn splits(priced: &[(Priced, RatesUsed)]) -> Vec<Split> {
        let lines: Vec<Split> = priced.iter().map(|(p, _)| split(&p.amounts)).collect();
        assert!(lines.iter().all(Split::conserves), "{lines:?}");
        let amounts: Vec<LineAmounts> = priced.iter().map(|(p, _)| p.amounts.clone()).collect();
        let total = Split::total(&amounts);
        assert!(total.conserves());
        assert_eq!(total.paid, lines.iter().map(|s| s.paid).sum::<i64>());
        lines
    }

    fn split_of(paid: i64, reimbursed: i64, franchise: i64, above_tariff: i64, not_covered: i64) -> Split {
        Split { paid, reimbursed, franchise, above_tariff, not_covered }
    }

    #[test]
    fn care_is_priced_by_the_engine_on_the_government_tariff() {
        let ctx = main_insured_since_2020();
        let id = crate::domain::record_ids::ReimbursementId::from("r-1");
        let request = CareRequest {
            id: &id,
            provider_kind: ProviderKind::PhysicianOffice,
            sector: Sector::Private,
            hospital_grade: None,
            setting: Setting::Outpatient,
            kind: ClaimKind::Visit,
            prescribed_on: None,
            admitted_on: None,
            discharged_on: None,
        };
        let lines = [
            // The specialist visit: 564,000 on the government tariff, 30 % franchise, the rest
            // of the private fee above the tariff.
            request_line(1, ItemType::Visit, "specialist", dec!(1), "2024-10-06", 1_890_000),
            // Not in the tariff: not covered at all.
            request_line(2, ItemType::Visit, "no_such_visit", dec!(1), "2024-10-06", 700_000),
            // Before the insured's coverage: not eligible.
            request_line(3, ItemType::Visit, "general", dec!(1), "2019-06-01", 500_000),
        ];
        let priced = price_care_lines(&ctx, &request, &lines, &[], &[], d("2024-10-10"));
        assert_eq!(
            splits(&priced),
            [
                split_of(1_890_000, 394_800, 169_200, 1_326_000, 0),
                split_of(700_000, 0, 0, 0, 700_000),
                split_of(500_000, 0, 0, 0, 500_000),
            ]
        );
        let p = &priced[0].0;
        assert_eq!(p.tariff_amount, Rial(564_000));
        assert_eq!(p.rule.as_deref(), Some("franchise_outpatient:30%"));
        assert_eq!(priced[0].1, Some((1403, "sample")));
        let reasons: Vec<&str> = priced.iter().map(|(p, _)| p.amounts.reasons[0].0.as_str()).collect();
        assert_eq!(reasons, ["R07", "R05", "R02"]);
        // The same visit already paid that day (another provider's claim): R08, nothing paid.
        let paid_before = [visit_on("p-1", "2024-10-06", Some("12345"))];
        let again = price_care_lines(&ctx, &request, &lines[..1], &paid_before, &[], d("2024-10-10"));
        assert_eq!(splits(&again), [split_of(1_890_000, 0, 0, 0, 1_890_000)]);
        assert_eq!(again[0].0.amounts.reasons[0].0, "R08");
    }

    #[test]
    fn a_request_pays_one_support_item_per_renewal_period() {
        let ctx = main_insured_since_2020();
        let lines = [
            request_line(1, ItemType::Device, "D002", dec!(1), "2024-10-01", 9_000_000),
            // The same item again a month later, in the same request: inside its 24 months.
            request_line(2, ItemType::Device, "D002", dec!(1), "2024-11-01", 8_000_000),
            // Two lenses at 2,730,000 each, paid below the fixed amount: all of it.
            request_line(3, ItemType::Device, "D001", dec!(2), "2024-10-01", 5_000_000),
            request_line(4, ItemType::Device, "D999", dec!(1), "2024-10-01", 100_000),
            request_line(5, ItemType::Device, "D003", dec!(1), "2019-06-01", 6_000_000),
        ];
        let priced = price_support_item_lines(&ctx, &lines, Vec::new());
        assert_eq!(
            splits(&priced),
            [
                split_of(9_000_000, 8_200_000, 0, 800_000, 0),
                split_of(8_000_000, 0, 0, 0, 8_000_000),
                split_of(5_000_000, 5_000_000, 0, 0, 0),
                split_of(100_000, 0, 0, 0, 100_000),
                split_of(6_000_000, 0, 0, 0, 6_000_000),
            ]
        );
        let reasons: Vec<Option<&str>> =
            priced.iter().map(|(p, _)| p.amounts.reasons.first().map(|r| r.0.as_str())).collect();
        assert_eq!(reasons, [Some("R07"), Some("R10"), None, Some("R05"), Some("R02")]);
        assert_eq!(priced[1].0.renewable_on, Some(d("2026-10-01")));
        assert!(priced[..4].iter().all(|(_, rates)| *rates == Some((1403, "sample"))));
        // No tariff is in force on a date before the book's first year.
        assert_eq!(priced[4].1, None);
        // An item received before the request blocks its first line too.
        let prior = vec![PriorItem { code: "D002".into(), service_date: d("2023-10-01") }];
        let blocked = price_support_item_lines(&ctx, &lines[..1], prior);
        assert_eq!(splits(&blocked), [split_of(9_000_000, 0, 0, 0, 9_000_000)]);
    }

    #[test]
    fn travel_lines_follow_the_main_insured_and_the_wage_of_their_year() {
        let ctx = main_insured_since_2020();
        let lines = [
            request_line(1, ItemType::Service, "patient_ticket", dec!(1), "2024-10-01", 12_000_000),
            // 3 days × 2,388,728 = 7,166,184; the companion's half: 3,583,092.
            request_line(2, ItemType::Service, "patient_stay", dec!(3), "2024-10-01", 9_000_000),
            request_line(3, ItemType::Service, "companion_stay", dec!(3), "2024-10-01", 9_000_000),
            request_line(4, ItemType::Service, "taxi", dec!(1), "2024-10-01", 300_000),
            request_line(5, ItemType::Service, "patient_ticket", dec!(1), "2019-06-01", 4_000_000),
        ];
        let priced = price_travel_lines(&ctx, &lines, Some("1403/55".into()), true);
        assert_eq!(
            splits(&priced),
            [
                split_of(12_000_000, 12_000_000, 0, 0, 0),
                split_of(9_000_000, 7_166_184, 0, 1_833_816, 0),
                split_of(9_000_000, 3_583_092, 0, 5_416_908, 0),
                split_of(300_000, 0, 0, 0, 300_000),
                split_of(4_000_000, 0, 0, 0, 4_000_000),
            ]
        );
        assert_eq!(priced[3].0.amounts.reasons[0].2, "taxi is not a travel item");
        assert_eq!(priced[4].0.amounts.reasons[0].0, "R02");
        assert_eq!(priced[4].1, Some((1398, "sample")));
        // Without the council's approval nothing is paid.
        let refused = price_travel_lines(&ctx, &lines[..1], None, true);
        assert_eq!(splits(&refused), [split_of(12_000_000, 0, 0, 0, 12_000_000)]);
    }
}
