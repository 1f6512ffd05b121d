//! The adjudication engine (رسیدگی خودکار): `adjudicate(&Claim, &Context) -> Adjudication`.
//!
//! Pure: everything it needs is in the context (eligibility facts, the contract timeline, the
//! tariffs, the insured's history), so it is testable, benchmarkable and explainable.
//!
//! Rules are applied to each line in this order; the first rejection ends the line. The table
//! is `LINE_RULES`, one function per rule, and a unit test holds this list to it:
//!
//! | step | rule | effect |
//! |---|---|---|
//! | 1 | R01 insured not found | whole claim rejected |
//! | 2 | R02 not eligible on the line's date | line rejected |
//! | 3 | R03 no active contract on the date | line rejected |
//! | 4 | R14 submitted after the contract's deadline | line rejected |
//! | 5 | R13 prescription older than 60 days | line rejected |
//! | 6 | R21 inpatient line outside the admission | line rejected |
//! | 7 | R05 code not in the tariff of the service year | line rejected |
//! | 8 | R04 outside the contract's scope (and hotelling at a limited-surgery centre) | line rejected |
//! | 9 | R06 not covered | line rejected (insured's) |
//! | 10 | R11 sex or age restriction | line rejected |
//! | 11 | R18 OTC drug, insured ≥ 12 and not inpatient | line rejected (insured's) |
//! | 12 | R12 pre-authorization required and none approved | line rejected |
//! | 13 | R08 duplicate (same insured, code and date, any provider, or twice in the claim) | line rejected |
//! | 14 | R16 second visit by the same physician the same day | line rejected |
//! | 15 | R10 repeated within the code's minimum interval | line rejected |
//! | 16 | R09 quantity above the per-day, per-prescription or contract cap | quantity reduced |
//! | 17 | R22 unit price × quantity above the billed amount's basis | excess deducted |
//! | 18 | R05 the pricing engine cannot price the quantity kept on the contract's basis | line rejected |
//! | 19 | R07 billed above what the provider may charge for the room or item billed | excess deducted |
//! | 20 | R20 1–2 bed room without a medical order | 3-bed rate recognised, room difference the insured's |
//! | 21 | cost sharing: contract discount, franchise or exemption, drug share, private gap | split |
//! | 22 | R19 the contract's monthly ceiling | payable above it deducted |
//! | 23 | R15 a needed medical record is not on file; claim above the auto-approval amount | pended |
//!
//! R17 (code pairs) needs a pair table the tariff data does not have yet; it is not applied.
//! Every line ends with `billed = insurer_payable + patient_share + patient_gap + deducted`,
//! every deducted rial under exactly one reason, whose group says who bears it: R07 is the
//! provider's write-off (CO), R20 the insured's (PR). How a 1–2 bed room day without a medical
//! order divides between the Organization, R20, the private–government gap and R07 is
//! the documentation of `room_difference`.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::contract::{standing_on, version_on, ContractTerms, StatusEvent, TermsVersion};
use crate::domain::eligibility::{age_on, conditions_hold, decide, DependantRules, Person, Sex as PersonSex};
use crate::domain::jalali::JalaliDate;
use crate::domain::money::Rial;
use crate::domain::pricing::{price_line, ItemType, LineToPrice, Price, PricingError, ProviderTerms};
use crate::domain::provider::ProviderKind;
use crate::domain::reasons::Reason;
use crate::domain::review::LineAmounts;
use crate::domain::tariff::{
    DrugTariff, RoomType, RuleKind, Sector, SectorScope, ServiceTariff, SettingScope, Sex, Tariff,
    TariffBook, TariffStatus,
};

/// Prescription validity: 60 days (joint directive of the basic insurers, iran-sso.md §5.3).
pub const PRESCRIPTION_VALID_DAYS: i64 = 60;
/// OTC drugs are covered under this age or for inpatients (SSO notice 1397/03/23).
pub const OTC_MAX_AGE: u32 = 12;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Setting {
    Outpatient,
    Inpatient,
    /// Emergency or temporary stay under 6 hours (30 % franchise).
    Emergency,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClaimKind {
    Visit,
    Pharmacy,
    Paraclinic,
    Inpatient,
    DaySurgery,
    Dental,
    Physiotherapy,
}

impl Setting {
    pub const ALL: [Setting; 3] = [Setting::Outpatient, Setting::Inpatient, Setting::Emergency];
    pub fn as_str(self) -> &'static str {
        match self {
            Setting::Outpatient => "outpatient",
            Setting::Inpatient => "inpatient",
            Setting::Emergency => "emergency",
        }
    }
    pub fn parse(s: &str) -> Option<Setting> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
    /// The setting in Persian (نوع پذیرش), as the office reads it.
    pub fn name_fa(self) -> &'static str {
        match self {
            Setting::Outpatient => "سرپایی",
            Setting::Inpatient => "بستری",
            Setting::Emergency => "اورژانس",
        }
    }
}

impl ClaimKind {
    pub const ALL: [ClaimKind; 7] = [
        ClaimKind::Visit,
        ClaimKind::Pharmacy,
        ClaimKind::Paraclinic,
        ClaimKind::Inpatient,
        ClaimKind::DaySurgery,
        ClaimKind::Dental,
        ClaimKind::Physiotherapy,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimKind::Visit => "visit",
            ClaimKind::Pharmacy => "pharmacy",
            ClaimKind::Paraclinic => "paraclinic",
            ClaimKind::Inpatient => "inpatient",
            ClaimKind::DaySurgery => "day_surgery",
            ClaimKind::Dental => "dental",
            ClaimKind::Physiotherapy => "physiotherapy",
        }
    }
    pub fn parse(s: &str) -> Option<ClaimKind> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
    /// The kind of document in Persian (نوع سند), as the office reads it.
    pub fn name_fa(self) -> &'static str {
        match self {
            ClaimKind::Visit => "ویزیت",
            ClaimKind::Pharmacy => "دارو",
            ClaimKind::Paraclinic => "پاراکلینیک",
            ClaimKind::Inpatient => "بستری",
            ClaimKind::DaySurgery => "جراحی محدود",
            ClaimKind::Dental => "دندانپزشکی",
            ClaimKind::Physiotherapy => "فیزیوتراپی",
        }
    }
}

#[derive(Clone, Debug)]
pub struct ClaimLine {
    pub line_no: u32,
    pub item_type: ItemType,
    pub code: String,
    pub quantity: Decimal,
    pub service_date: NaiveDate,
    pub billed: Rial,
    /// The unit price the provider states, if any (checked against the billed amount, R22).
    pub unit_price: Option<Rial>,
    pub anesthesia_units: Decimal,
    /// A physician's order for a 1–2 bed room (R20).
    pub medical_order: bool,
    /// The physician of a visit line, if other than the claim's.
    pub physician_council_no: Option<String>,
    /// The pre-authorization (تأیید قبلی) the provider cites for this line, if any.
    pub preauthorization_id: Option<crate::domain::record_ids::PreauthId>,
}

#[derive(Clone, Debug)]
pub struct Claim {
    pub setting: Setting,
    pub kind: ClaimKind,
    pub submitted_on: NaiveDate,
    pub prescribed_on: Option<NaiveDate>,
    pub physician_council_no: Option<String>,
    pub admitted_on: Option<NaiveDate>,
    pub discharged_on: Option<NaiveDate>,
    pub lines: Vec<ClaimLine>,
}

/// The provider facts the rules need.
#[derive(Clone, Debug)]
pub struct ProviderFacts {
    pub id: crate::domain::record_ids::ProviderId,
    pub kind: ProviderKind,
    pub sector: Sector,
    pub hospital_grade: Option<u8>,
    pub sso_owned: bool,
}

/// The provider's contract covering the claim: validity, state timeline and term versions.
#[derive(Clone, Debug)]
pub struct ContractFacts {
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub events: Vec<StatusEvent>,
    pub versions: Vec<TermsVersion>,
}

/// A line the insured already had paid or approved (any provider).
#[derive(Clone, Debug)]
pub struct HistoryLine {
    pub provider_id: crate::domain::record_ids::ProviderId,
    pub item_type: ItemType,
    pub code: String,
    pub service_date: NaiveDate,
    pub quantity: Decimal,
    pub physician_council_no: Option<String>,
}

/// A medical advisor's decision on a pre-authorization request (تأیید قبلی) of the insured.
#[derive(Clone, Debug)]
pub struct PreAuthorization {
    pub id: crate::domain::record_ids::PreauthId,
    pub code: String,
    /// `false`: the advisor refused it (a line relying on it is rejected with R91).
    pub approved: bool,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    /// What is left of the approved quantity after earlier claims.
    pub remaining: Decimal,
}

pub struct Context<'a> {
    pub tariffs: &'a TariffBook,
    /// `None`: the national code is not an insured person (R01).
    pub insured: Option<&'a Person>,
    pub main_insured: Option<&'a Person>,
    pub dependant_rules: &'a DependantRules,
    pub provider: &'a ProviderFacts,
    pub contract: Option<&'a ContractFacts>,
    pub history: &'a [HistoryLine],
    pub preauthorizations: &'a [PreAuthorization],
    /// What the Organization already owes this provider for the claim's service month (R19).
    pub month_payable_so_far: Rial,
    /// Above this total the claim waits for a reviewer.
    pub auto_approve_limit: Option<Rial>,
    /// Whether a medical record / report is on file for the claim (R15).
    pub has_medical_record: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Deduction {
    pub reason: Reason,
    pub amount: Rial,
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = AdjudicatedLineStatus)]
pub enum LineStatus {
    Approved,
    PartiallyApproved,
    Rejected,
    Pended,
}

/// The engine's decision on a claim (what a claim's status starts as).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = AdjudicatedStatus)]
pub enum ClaimStatus {
    Approved,
    PartiallyApproved,
    Rejected,
    Pended,
}

impl ClaimStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Approved => "approved",
            ClaimStatus::PartiallyApproved => "partially_approved",
            ClaimStatus::Rejected => "rejected",
            ClaimStatus::Pended => "pended",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LineResult {
    pub line_no: u32,
    pub status: LineStatus,
    pub tariff_year: Option<i32>,
    pub tariff_revision: Option<i32>,
    pub tariff_status: Option<TariffStatus>,
    pub approved_quantity: Decimal,
    pub billed: Rial,
    pub tariff_unit_price: Rial,
    pub tariff_amount: Rial,
    pub insurer_payable: Rial,
    pub patient_share: Rial,
    pub patient_gap: Rial,
    pub deducted: Rial,
    pub reasons: Vec<Deduction>,
    /// The rule that split the cost, e.g. `franchise_outpatient:30%` or `exempt_under_7_gov`.
    pub cost_sharing_rule: Option<String>,
    /// Why a human must look at it (R15, …), when pended.
    pub pend_reasons: Vec<Reason>,
    /// The pre-authorization this line used (its quantity counts against it).
    pub preauthorization_id: Option<crate::domain::record_ids::PreauthId>,
}

impl LineResult {
    /// The line's amounts as the review office's rules (`review::apply`) and reimbursements
    /// work on them: the deductions in the engine's order, their reasons as codes.
    pub fn amounts(&self) -> LineAmounts {
        LineAmounts {
            line_no: self.line_no,
            billed: self.billed,
            insurer_payable: self.insurer_payable,
            patient_share: self.patient_share,
            patient_gap: self.patient_gap,
            deducted: self.deducted,
            reasons: self
                .reasons
                .iter()
                .map(|d| (d.reason.code().to_string(), d.amount, d.detail.clone()))
                .collect(),
            cost_sharing_rule: self.cost_sharing_rule.clone(),
        }
    }

    /// `billed = insurer_payable + patient_share + patient_gap + deducted`.
    pub fn conserves(&self) -> bool {
        self.insurer_payable.0 + self.patient_share.0 + self.patient_gap.0 + self.deducted.0 == self.billed.0
            && self.reasons.iter().map(|d| d.amount.0).sum::<i64>() == self.deducted.0
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Totals {
    pub billed: Rial,
    pub tariff: Rial,
    pub insurer_payable: Rial,
    pub patient_share: Rial,
    pub patient_gap: Rial,
    pub deducted: Rial,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Adjudication {
    pub status: ClaimStatus,
    pub lines: Vec<LineResult>,
    pub totals: Totals,
    /// Claim-level reasons for pending (e.g. above the auto-approval amount).
    pub pend_notes: Vec<String>,
}

/// What holds on one service date: computed once per distinct date of a claim (most lines of
/// a document share a date), which keeps calendar conversions and eligibility off the
/// per-line path.
struct Day<'a> {
    date: NaiveDate,
    tariff: Option<&'a Tariff>,
    eligibility: crate::domain::eligibility::Decision,
    standing: Option<crate::domain::contract::StandingOnDate>,
    terms: Option<&'a ContractTerms>,
    end_of_month: NaiveDate,
    /// The insured's share and its rule for lines without a drug-specific share.
    share: Option<(Decimal, String)>,
}

fn day<'a>(claim: &Claim, ctx: &Context<'a>, date: NaiveDate) -> Day<'a> {
    let eligibility = match ctx.insured {
        Some(p) => decide(p, ctx.main_insured, date, ctx.dependant_rules),
        None => crate::domain::eligibility::Decision {
            eligible: false,
            rule: "insured_not_found",
            reason_en: String::new(),
            reason_fa: "",
            source: "",
        },
    };
    let (standing, terms) = match ctx.contract {
        Some(c) => (
            Some(standing_on(c.valid_from, c.valid_to, &c.events, date)),
            version_on(&c.versions, date).map(|v| &v.terms),
        ),
        None => (None, None),
    };
    let tariff = ctx.tariffs.for_date(date).map(|t| t.as_ref());
    let share = match (tariff, ctx.insured) {
        (Some(t), Some(p)) => Some(cost_share(claim, ctx, t, p, date, None)),
        _ => None,
    };
    Day {
        date,
        tariff,
        eligibility,
        standing,
        terms,
        end_of_month: JalaliDate::from_gregorian(date).last_of_month().to_gregorian(),
        share,
    }
}

/// Adjudicates a claim. See the module documentation for the order of the rules.
pub fn adjudicate(claim: &Claim, ctx: &Context<'_>) -> Adjudication {
    let mut accepted: Vec<HistoryLine> = Vec::with_capacity(claim.lines.len());
    let mut month_payable = ctx.month_payable_so_far;
    let mut days: Vec<Day<'_>> = Vec::with_capacity(2);
    let mut lines: Vec<LineResult> = claim
        .lines
        .iter()
        .map(|line| {
            let idx = match days.iter().position(|d| d.date == line.service_date) {
                Some(i) => i,
                None => {
                    days.push(day(claim, ctx, line.service_date));
                    days.len() - 1
                }
            };
            let r = adjudicate_line(claim, line, ctx, &days[idx], &accepted, &mut month_payable);
            if r.status != LineStatus::Rejected {
                accepted.push(HistoryLine {
                    provider_id: ctx.provider.id.clone(),
                    item_type: line.item_type,
                    code: line.code.clone(),
                    service_date: line.service_date,
                    quantity: r.approved_quantity,
                    physician_council_no: line
                        .physician_council_no
                        .clone()
                        .or_else(|| claim.physician_council_no.clone()),
                });
            }
            r
        })
        .collect();

    let mut totals = Totals::default();
    for l in &lines {
        totals.billed.0 += l.billed.0;
        totals.tariff.0 += l.tariff_amount.0;
        totals.insurer_payable.0 += l.insurer_payable.0;
        totals.patient_share.0 += l.patient_share.0;
        totals.patient_gap.0 += l.patient_gap.0;
        totals.deducted.0 += l.deducted.0;
    }
    let mut pend_notes = Vec::new();
    if let Some(limit) = ctx.auto_approve_limit {
        if totals.insurer_payable > limit {
            pend_notes.push(format!(
                "payable {} is above the office's auto-approval amount {}",
                totals.insurer_payable.0, limit.0
            ));
        }
    }
    let any_pended = lines.iter().any(|l| !l.pend_reasons.is_empty());
    if any_pended {
        pend_notes.push("a line waits for a reviewer".into());
        for l in lines.iter_mut().filter(|l| !l.pend_reasons.is_empty()) {
            l.status = LineStatus::Pended;
        }
    }
    let status = if !pend_notes.is_empty() {
        ClaimStatus::Pended
    } else if lines.iter().all(|l| l.status == LineStatus::Rejected) {
        ClaimStatus::Rejected
    } else if lines.iter().all(|l| l.status == LineStatus::Approved) {
        ClaimStatus::Approved
    } else {
        ClaimStatus::PartiallyApproved
    };
    Adjudication { status, lines, totals, pend_notes }
}

fn rejected(line: &ClaimLine, reason: Reason, detail: String, tariff: Option<&Tariff>) -> LineResult {
    LineResult {
        line_no: line.line_no,
        status: LineStatus::Rejected,
        tariff_year: tariff.map(|t| t.meta.year),
        tariff_revision: tariff.map(|t| t.meta.revision),
        tariff_status: tariff.map(|t| t.meta.status),
        approved_quantity: Decimal::ZERO,
        billed: line.billed,
        tariff_unit_price: Rial::ZERO,
        tariff_amount: Rial::ZERO,
        insurer_payable: Rial::ZERO,
        patient_share: Rial::ZERO,
        patient_gap: Rial::ZERO,
        deducted: line.billed,
        reasons: vec![Deduction { reason, amount: line.billed, detail }],
        cost_sharing_rule: None,
        pend_reasons: Vec::new(),
        preauthorization_id: None,
    }
}

/// A line the pricing engine cannot price on the tariff of its date (R05).
fn unpriced(line: &ClaimLine, error: PricingError, tariff: &Tariff) -> Flow {
    let detail = match error {
        PricingError::UnknownCode => format!("{} is not in the {} tariff", line.code, tariff.meta.year),
        other => other.to_string(),
    };
    Flow::Reject(Reason::R05, detail)
}

/// R20: the part of a 1–2 bed room day billed without a medical order that is the insured's
/// because the Organization recognises only the 3-bed room the insured is entitled to.
///
/// `billed` is what is left after R09, R22 and R07 (step 19), so it is at most what the provider
/// may charge for the room it billed; `three_bed` and `room` are the 3-bed room's and the billed
/// room's tariff on the contract's basis (the government tariff unless the contract says
/// otherwise), for the line's quantity. The answer is `billed − three_bed`, at least 0 and at
/// most `room − three_bed`.
///
/// Every rial of such a line belongs to exactly one party and reason, in slices from the bottom:
///
/// 1. up to the 3-bed tariff: recognised by the Organization and split by the franchise
///    (`insurer_payable`, `patient_share`; a contract discount on it is R07);
/// 2. from the 3-bed tariff up to the billed room's tariff: the room difference, the insured's
///    (R20, group PR);
/// 3. from the billed room's tariff up to the billed room's cap: the private–government gap,
///    the insured's (`patient_gap`, gap-billing contracts only);
/// 4. above the billed room's cap: the provider's write-off (R07, group CO, step 19).
///
/// The cap is what the provider may charge for the room it billed: its own sector's tariff
/// under a gap-billing contract, else the contract's basis (then slice 3 is empty).
///
/// The room difference is taken on the basis tariff, not on the cap, also at a gap-billing
/// hospital. R20 is thus exactly what the Organization recognises less for want of the order
/// (with an order the same day is recognised at the room's tariff), and the gap is the same
/// private–government difference of the room billed that the insured pays with an order: the
/// order decides who bears the room difference and never changes the gap. So a gap-billing
/// hospital's 1-bed day billed above the 3-bed tariff always carries R20 (the room difference
/// is never folded into the gap), and a reviewer who accepts the order later and raises the
/// recognised amount by the R20 (review::apply gives back the newest deductions first) gets
/// the with-order result to the rial. Taking the difference on the cap instead (private 1-bed
/// less private 3-bed) would label part of the private–government gap as room difference,
/// and giving that back would make the Organization recognise private prices.
///
/// Example, 1403, grade 2, one day of `bed_1` (government 10,300,000, private 48,178,000;
/// `bed_3plus` government 5,150,000), 10 % inpatient franchise, billed 50,000,000 by a private
/// hospital with gap billing: the Organization 4,635,000 and franchise 515,000 (on 5,150,000),
/// R20 5,150,000, gap 37,878,000, R07 1,822,000. Without gap billing the cap is 10,300,000:
/// R20 5,150,000 and R07 39,700,000.
fn room_difference(billed: Rial, three_bed: Rial, room: Rial) -> Rial {
    let most = (room.0 - three_bed.0).max(0);
    Rial((billed.0 - three_bed.0).clamp(0, most))
}

/// Whether rule 12 may look at the insured's pre-authorizations for this claim: some line's
/// code needs one in a tariff revision (any: over-approximating is harmless) or in a terms
/// version of the contract, or a line names one. When not, intake skips reading them — most
/// claims (visits, drugs, labs) need none.
pub fn may_need_preauthorization(
    claim: &Claim,
    tariffs: &TariffBook,
    contract: Option<&ContractFacts>,
) -> bool {
    claim.lines.iter().any(|l| {
        l.preauthorization_id.is_some()
            || contract.is_some_and(|c| c.versions.iter().any(|v| v.terms.preauth_codes.contains(&l.code)))
            || (l.item_type == ItemType::Service
                && tariffs.all().any(|t| t.services.get(&l.code).is_some_and(|s| s.requires_preauth)))
    })
}

/// The approval a line that needs one relies on: the one it names, or else any approval of its
/// code valid on its date with enough quantity left (after earlier lines of this claim). An
/// approval used up or not valid on the date is R12; with no approval at all, a refusal by the
/// medical advisor is R91, and nothing on file is R12.
fn find_preauthorization<'c>(
    line: &ClaimLine,
    ctx: &Context<'c>,
    accepted: &[HistoryLine],
) -> Result<&'c PreAuthorization, (Reason, String)> {
    let date = line.service_date;
    let relevant = |p: &&PreAuthorization| {
        p.code == line.code && line.preauthorization_id.as_ref().is_none_or(|id| *id == p.id)
    };
    let in_window = |p: &PreAuthorization| p.valid_from <= date && date <= p.valid_to;
    let used_here = |p: &PreAuthorization| -> Decimal {
        accepted
            .iter()
            .filter(|h| h.code == line.code && p.valid_from <= h.service_date && h.service_date <= p.valid_to)
            .map(|h| h.quantity)
            .sum()
    };
    let mut short = None;
    for p in ctx.preauthorizations.iter().filter(relevant).filter(|p| p.approved) {
        if !in_window(p) {
            continue;
        }
        let left = p.remaining - used_here(p);
        if line.quantity <= left {
            return Ok(p);
        }
        short = Some((p, left));
    }
    if let Some((p, left)) = short {
        return Err((
            Reason::R12,
            format!(
                "pre-authorization {} has {} left of its quantity, the line asks {}",
                p.id,
                left.normalize(),
                line.quantity.normalize()
            ),
        ));
    }
    if let Some(p) = ctx.preauthorizations.iter().filter(relevant).find(|p| p.approved) {
        return Err((
            Reason::R12,
            format!("pre-authorization {} is valid {} to {}, not on {date}", p.id, p.valid_from, p.valid_to),
        ));
    }
    if let Some(p) = ctx.preauthorizations.iter().filter(relevant).find(|p| !p.approved) {
        return Err((Reason::R91, format!("pre-authorization {} for {} was refused", p.id, line.code)));
    }
    let detail = match &line.preauthorization_id {
        Some(id) => format!("pre-authorization {id} is not an approval of {} valid on {date}", line.code),
        None => format!("{} needs an approved pre-authorization", line.code),
    };
    Err((Reason::R12, detail))
}

fn setting_scope(claim: &Claim, provider: &ProviderFacts) -> SettingScope {
    match (claim.setting, provider.kind) {
        (_, ProviderKind::DaySurgery) => SettingScope::LimitedSurgery,
        (Setting::Inpatient, _) => SettingScope::Inpatient,
        (Setting::Outpatient, _) => SettingScope::Outpatient,
        (Setting::Emergency, _) => SettingScope::EmergencyUnder6h,
    }
}

/// Whether a line goes on to the next rule.
enum Flow {
    Continue,
    /// The line is rejected whole with this reason and detail; no later rule runs.
    Reject(Reason, String),
}

/// One step of `LINE_RULES`: the reason it gives, what it checks and what it does to the line —
/// the words of the module documentation's table, which a unit test holds to this one.
struct Rule {
    /// `None` for the cost split, which gives no reason of its own (its contract discount is R07).
    reason: Option<Reason>,
    checks: &'static str,
    effect: &'static str,
    apply: fn(&mut LineState<'_>) -> Flow,
}

/// The line rules in their order, as the module documentation lists them: the reason each gives
/// (`None` for the cost split), what it checks and what it does to the line — for explaining the
/// engine itself, and for the test that holds the documentation to the table.
pub fn line_rules() -> impl Iterator<Item = (Option<Reason>, &'static str, &'static str)> {
    LINE_RULES.iter().map(|r| (r.reason, r.checks, r.effect))
}

/// The steps of `LINE_RULES` (numbered from 1, in the order they run) that give `reason`, each
/// with what it checks: how an explanation names the rule behind a deduction. Empty for reasons
/// no engine rule gives (a reviewer's adjustment, a sample's extrapolation).
pub fn rules_giving(reason: Reason) -> Vec<(usize, &'static str)> {
    LINE_RULES
        .iter()
        .enumerate()
        .filter(|(_, r)| r.reason == Some(reason))
        .map(|(i, r)| (i + 1, r.checks))
        .collect()
}

/// The rules every line goes through, in this order; the first rejection ends the line. The
/// rules that establish what later ones rely on come first: R01 the insured person, R03 the
/// contract's terms, R05 the tariff and its row, the pricing step the line's price.
const LINE_RULES: &[Rule] = &[
    Rule {
        reason: Some(Reason::R01),
        checks: "insured not found",
        effect: "whole claim rejected",
        apply: insured_is_known,
    },
    Rule {
        reason: Some(Reason::R02),
        checks: "not eligible on the line's date",
        effect: "line rejected",
        apply: eligible_on_the_date,
    },
    Rule {
        reason: Some(Reason::R03),
        checks: "no active contract on the date",
        effect: "line rejected",
        apply: contract_active_on_the_date,
    },
    Rule {
        reason: Some(Reason::R14),
        checks: "submitted after the contract's deadline",
        effect: "line rejected",
        apply: submitted_before_the_deadline,
    },
    Rule {
        reason: Some(Reason::R13),
        checks: "prescription older than 60 days",
        effect: "line rejected",
        apply: prescription_still_valid,
    },
    Rule {
        reason: Some(Reason::R21),
        checks: "inpatient line outside the admission",
        effect: "line rejected",
        apply: inside_the_admission,
    },
    Rule {
        reason: Some(Reason::R05),
        checks: "code not in the tariff of the service year",
        effect: "line rejected",
        apply: code_in_the_tariff,
    },
    Rule {
        reason: Some(Reason::R04),
        checks: "outside the contract's scope (and hotelling at a limited-surgery centre)",
        effect: "line rejected",
        apply: inside_the_contract_scope,
    },
    Rule {
        reason: Some(Reason::R06),
        checks: "not covered",
        effect: "line rejected (insured's)",
        apply: covered,
    },
    Rule {
        reason: Some(Reason::R11),
        checks: "sex or age restriction",
        effect: "line rejected",
        apply: for_the_insureds_sex_and_age,
    },
    Rule {
        reason: Some(Reason::R18),
        checks: "OTC drug, insured ≥ 12 and not inpatient",
        effect: "line rejected (insured's)",
        apply: otc_only_for_children_or_inpatients,
    },
    Rule {
        reason: Some(Reason::R12),
        checks: "pre-authorization required and none approved",
        effect: "line rejected",
        apply: preauthorized,
    },
    Rule {
        reason: Some(Reason::R08),
        checks: "duplicate (same insured, code and date, any provider, or twice in the claim)",
        effect: "line rejected",
        apply: not_a_duplicate,
    },
    Rule {
        reason: Some(Reason::R16),
        checks: "second visit by the same physician the same day",
        effect: "line rejected",
        apply: one_visit_per_physician_a_day,
    },
    Rule {
        reason: Some(Reason::R10),
        checks: "repeated within the code's minimum interval",
        effect: "line rejected",
        apply: not_repeated_too_soon,
    },
    Rule {
        reason: Some(Reason::R09),
        checks: "quantity above the per-day, per-prescription or contract cap",
        effect: "quantity reduced",
        apply: quantity_within_the_caps,
    },
    Rule {
        reason: Some(Reason::R22),
        checks: "unit price × quantity above the billed amount's basis",
        effect: "excess deducted",
        apply: unit_price_reconciles,
    },
    Rule {
        reason: Some(Reason::R05),
        checks: "the pricing engine cannot price the quantity kept on the contract's basis",
        effect: "line rejected",
        apply: priced_on_the_contracts_basis,
    },
    Rule {
        reason: Some(Reason::R07),
        checks: "billed above what the provider may charge for the room or item billed",
        effect: "excess deducted",
        apply: within_what_the_provider_may_charge,
    },
    Rule {
        reason: Some(Reason::R20),
        checks: "1–2 bed room without a medical order",
        effect: "3-bed rate recognised, room difference the insured's",
        apply: room_difference_without_a_medical_order,
    },
    Rule {
        reason: None,
        checks: "cost sharing: contract discount, franchise or exemption, drug share, private gap",
        effect: "split",
        apply: share_the_cost,
    },
    Rule {
        reason: Some(Reason::R19),
        checks: "the contract's monthly ceiling",
        effect: "payable above it deducted",
        apply: within_the_monthly_ceiling,
    },
    Rule {
        reason: Some(Reason::R15),
        checks: "a needed medical record is not on file; claim above the auto-approval amount",
        effect: "pended",
        apply: medical_record_on_file,
    },
];

/// One line on its way through `LINE_RULES`: the line and what it is judged against, what the
/// rules before have established, and the amounts and reasons so far.
struct LineState<'a> {
    claim: &'a Claim,
    line: &'a ClaimLine,
    ctx: &'a Context<'a>,
    day: &'a Day<'a>,
    /// The lines of this claim accepted before this one.
    accepted: &'a [HistoryLine],
    /// What the Organization owes the provider for the month, this claim's earlier lines
    /// included (R19).
    month_payable: &'a mut Rial,
    /// The contract's terms on the line's date (from R03 on).
    terms: Option<&'a ContractTerms>,
    /// The tariff's row of a service or drug line (from R05 on).
    service: Option<&'a ServiceTariff>,
    drug: Option<&'a DrugTariff>,
    /// The pre-authorization the line relies on (R12).
    preauth: Option<&'a PreAuthorization>,
    /// The quantity and amount still claimed after the reductions so far (R09, R22, R07, R20).
    quantity: Decimal,
    billed: Rial,
    /// The price on the contract's basis and, for a 1–2 bed room without a medical order, the
    /// price of the room billed (from the pricing step on).
    price: Option<Price>,
    room: Option<Price>,
    /// The split (cost sharing, then R19).
    insurer: Rial,
    patient_share: Rial,
    gap: Rial,
    cost_sharing_rule: Option<String>,
    reasons: Vec<Deduction>,
    pend_reasons: Vec<Reason>,
}

// What an earlier rule of `LINE_RULES` established. The table's order guarantees it (a rule that
// finds it missing rejects the line first), so a missing one is a mistake in the table.
impl<'a> LineState<'a> {
    fn person(&self) -> &'a Person {
        self.ctx.insured.expect("R01 rejects a line without an insured person")
    }

    fn terms(&self) -> &'a ContractTerms {
        self.terms.expect("R03 rejects a line without the contract's terms")
    }

    fn tariff(&self) -> &'a Tariff {
        self.day.tariff.expect("R05 rejects a line without a tariff")
    }

    fn price(&self) -> Price {
        self.price.expect("the pricing step rejects a line it cannot price")
    }

    /// The insured's age on the line's date.
    fn age(&self) -> u32 {
        age_on(self.person().birth_date, self.line.service_date)
    }

    /// The physician of the line: its own, or else the claim's.
    fn physician(&self) -> Option<&'a String> {
        self.line.physician_council_no.as_ref().or(self.claim.physician_council_no.as_ref())
    }

    fn deduct(&mut self, reason: Reason, amount: Rial, detail: String) {
        self.reasons.push(Deduction { reason, amount, detail });
    }

    /// The line after every rule.
    fn result(self) -> LineResult {
        let (tariff, price) = (self.tariff(), self.price());
        let deducted = Rial(self.reasons.iter().map(|d| d.amount.0).sum());
        let status = if self.insurer.0 == 0 && self.patient_share.0 == 0 && self.gap.0 == 0 {
            LineStatus::Rejected
        } else if deducted.0 == 0 {
            LineStatus::Approved
        } else {
            LineStatus::PartiallyApproved
        };
        LineResult {
            line_no: self.line.line_no,
            status,
            tariff_year: Some(tariff.meta.year),
            tariff_revision: Some(tariff.meta.revision),
            tariff_status: Some(tariff.meta.status),
            approved_quantity: self.quantity,
            billed: self.line.billed,
            tariff_unit_price: price.unit_price,
            tariff_amount: price.amount,
            insurer_payable: self.insurer,
            patient_share: self.patient_share,
            patient_gap: self.gap,
            deducted,
            reasons: self.reasons,
            cost_sharing_rule: self.cost_sharing_rule,
            pend_reasons: self.pend_reasons,
            preauthorization_id: self.preauth.map(|p| p.id.clone()),
        }
    }
}

/// Takes one line through `LINE_RULES`, in order; the first rejection ends it.
fn adjudicate_line(
    claim: &Claim,
    line: &ClaimLine,
    ctx: &Context<'_>,
    day: &Day<'_>,
    accepted: &[HistoryLine],
    month_payable: &mut Rial,
) -> LineResult {
    let mut state = LineState {
        claim,
        line,
        ctx,
        day,
        accepted,
        month_payable,
        terms: None,
        service: None,
        drug: None,
        preauth: None,
        quantity: line.quantity,
        billed: line.billed,
        price: None,
        room: None,
        insurer: Rial::ZERO,
        patient_share: Rial::ZERO,
        gap: Rial::ZERO,
        cost_sharing_rule: None,
        reasons: Vec::new(),
        pend_reasons: Vec::new(),
    };
    for rule in LINE_RULES {
        if let Flow::Reject(reason, detail) = (rule.apply)(&mut state) {
            return rejected(line, reason, detail, day.tariff);
        }
    }
    state.result()
}

/// R01 (catalogue: insured person not found): the national code is an insured person. Every line
/// of such a claim is rejected, so the whole claim is.
fn insured_is_known(s: &mut LineState<'_>) -> Flow {
    match s.ctx.insured {
        Some(_) => Flow::Continue,
        None => Flow::Reject(Reason::R01, "the national code is not an insured person".into()),
    }
}

/// R02 (not eligible on the service date): a coverage period, or for a dependant the dependant
/// rules (Social Security Act Art. 58), covers the line's date; decided once per date
/// (`eligibility::decide`).
fn eligible_on_the_date(s: &mut LineState<'_>) -> Flow {
    if s.day.eligibility.eligible {
        Flow::Continue
    } else {
        Flow::Reject(Reason::R02, s.day.eligibility.reason_en.clone())
    }
}

/// R03 (no active contract on the service date): the provider's contract covers the date, is
/// active on it (its status timeline) and has terms in force; keeps the terms for the rules below.
fn contract_active_on_the_date(s: &mut LineState<'_>) -> Flow {
    let Some(standing) = s.day.standing else {
        return Flow::Reject(Reason::R03, "the provider has no contract covering the date".into());
    };
    match (standing.is_active(), s.day.terms) {
        (true, Some(t)) => {
            s.terms = Some(t);
            Flow::Continue
        }
        _ => Flow::Reject(
            Reason::R03,
            format!("the contract is {standing:?} on {}", s.line.service_date).to_lowercase(),
        ),
    }
}

/// R14 (submitted after the deadline): the claim arrived within the contract's
/// `submission_deadline_days` after the end of the (Jalali) service month.
fn submitted_before_the_deadline(s: &mut LineState<'_>) -> Flow {
    let deadline = s.day.end_of_month + chrono::Duration::days(s.terms().submission_deadline_days as i64);
    if s.claim.submitted_on > deadline {
        return Flow::Reject(
            Reason::R14,
            format!("submitted {} after the deadline {deadline}", s.claim.submitted_on),
        );
    }
    Flow::Continue
}

/// R13 (prescription expired): served within `PRESCRIPTION_VALID_DAYS` (60) of the prescription
/// (joint directive of the basic insurers, iran-sso.md §5.3).
fn prescription_still_valid(s: &mut LineState<'_>) -> Flow {
    let date = s.line.service_date;
    if let Some(p) = s.claim.prescribed_on {
        if (date - p).num_days() > PRESCRIPTION_VALID_DAYS {
            return Flow::Reject(Reason::R13, format!("prescribed {p}, served {date}: more than 60 days"));
        }
    }
    Flow::Continue
}

/// R21 (service date outside the admission): an inpatient line is dated from admission to
/// discharge, when the claim gives both.
fn inside_the_admission(s: &mut LineState<'_>) -> Flow {
    let (claim, date) = (s.claim, s.line.service_date);
    if claim.setting == Setting::Inpatient {
        if let (Some(a), Some(d)) = (claim.admitted_on, claim.discharged_on) {
            if date < a || date > d {
                return Flow::Reject(Reason::R21, format!("{date} is outside the admission {a} to {d}"));
            }
        }
    }
    Flow::Continue
}

/// R05 (code not in the tariff of the service year): a tariff is in force on the line's date and
/// has the code. Keeps the row of a service or drug for the rules below: one lookup per line.
fn code_in_the_tariff(s: &mut LineState<'_>) -> Flow {
    let line = s.line;
    let Some(tariff) = s.day.tariff else {
        return Flow::Reject(Reason::R05, format!("no tariff is in force on {}", line.service_date));
    };
    s.service = (line.item_type == ItemType::Service).then(|| tariff.services.get(&line.code)).flatten();
    s.drug = (line.item_type == ItemType::Drug).then(|| tariff.drug(&line.code)).flatten();
    let known = match line.item_type {
        ItemType::Service => s.service.is_some(),
        ItemType::Visit => tariff.visits.contains_key(&line.code),
        ItemType::Drug => s.drug.is_some(),
        ItemType::BedDay => RoomType::parse(&line.code).is_some(),
        ItemType::Device => tariff.devices.contains_key(&line.code),
    };
    if !known {
        return Flow::Reject(Reason::R05, format!("{} is not in the {} tariff", line.code, tariff.meta.year));
    }
    Flow::Continue
}

/// R04 (service outside the contract's scope): the line's item type and service category are in
/// the contract's scope (an empty list is no limit); limited-surgery centres have no hotelling.
fn inside_the_contract_scope(s: &mut LineState<'_>) -> Flow {
    let (line, terms) = (s.line, s.terms());
    if !terms.scope_item_types.is_empty() && !terms.scope_item_types.contains(&line.item_type) {
        return Flow::Reject(
            Reason::R04,
            format!("{:?} lines are outside the contract's scope", line.item_type).to_lowercase(),
        );
    }
    if let (Some(service), false) = (s.service, terms.scope_categories.is_empty()) {
        if !terms.scope_categories.contains(&service.category) {
            return Flow::Reject(
                Reason::R04,
                format!("category {} is outside the contract's scope", service.category.as_str()),
            );
        }
    }
    if line.item_type == ItemType::BedDay && s.ctx.provider.kind == ProviderKind::DaySurgery {
        return Flow::Reject(Reason::R04, "limited-surgery centres are not paid hotelling".into());
    }
    Flow::Continue
}

/// R06 (not covered, the insured's): the tariff does not mark the service not covered or the drug
/// outside the formulary.
fn covered(s: &mut LineState<'_>) -> Flow {
    if s.service.is_some_and(|x| x.not_covered) || s.drug.is_some_and(|d| !d.covered) {
        return Flow::Reject(Reason::R06, format!("{} is not covered", s.line.code));
    }
    Flow::Continue
}

/// R11 (age or sex does not match the service): the service's sex and age range, per the tariff,
/// admit the insured on the line's date.
fn for_the_insureds_sex_and_age(s: &mut LineState<'_>) -> Flow {
    let Some(service) = s.service else {
        return Flow::Continue;
    };
    let code = &s.line.code;
    let other_sex = matches!(
        (service.sex, s.person().sex),
        (Some(Sex::Male), PersonSex::Female) | (Some(Sex::Female), PersonSex::Male)
    );
    if other_sex {
        return Flow::Reject(Reason::R11, format!("{code} is for the other sex"));
    }
    let age = s.age();
    if service.min_age.is_some_and(|m| age < m) || service.max_age.is_some_and(|m| age > m) {
        return Flow::Reject(Reason::R11, format!("{code} is not for age {age}"));
    }
    Flow::Continue
}

/// R18 (OTC drug, the insured's): an OTC drug is covered only under `OTC_MAX_AGE` (12) or for an
/// inpatient (SSO notice 1397/03/23).
fn otc_only_for_children_or_inpatients(s: &mut LineState<'_>) -> Flow {
    if s.drug.is_some_and(|d| d.otc) && s.claim.setting != Setting::Inpatient {
        let age = s.age();
        if age >= OTC_MAX_AGE {
            return Flow::Reject(Reason::R18, format!("OTC drug for an outpatient aged {age}"));
        }
    }
    Flow::Continue
}

/// R12 (pre-authorization missing), R91 (refused by the medical advisor): a code the tariff or
/// the contract puts under pre-authorization (تأیید قبلی) relies on an approval valid on the date
/// with quantity left (`find_preauthorization`); keeps the approval, whose quantity the line uses.
fn preauthorized(s: &mut LineState<'_>) -> Flow {
    let needs =
        s.service.is_some_and(|x| x.requires_preauth) || s.terms().preauth_codes.contains(&s.line.code);
    if needs {
        match find_preauthorization(s.line, s.ctx, s.accepted) {
            Ok(p) => s.preauth = Some(p),
            Err((reason, detail)) => return Flow::Reject(reason, detail),
        }
    }
    Flow::Continue
}

/// R08 (duplicate): the same code on the same day for the same insured, at any provider or
/// earlier in this claim. Drugs and bed-days legitimately repeat across days but not within one.
/// Two visits the same day are both paid when both name their physicians and they differ (R16
/// judges the same one); a visit whose physician is not known on either side (a reimbursement's,
/// or a claim's without one) cannot be told apart, so it is a duplicate like any other line.
fn not_a_duplicate(s: &mut LineState<'_>) -> Flow {
    let (line, date) = (s.line, s.line.service_date);
    let physician = s.physician();
    let told_apart = |h: &HistoryLine| physician.is_some() && h.physician_council_no.is_some();
    let same = |h: &HistoryLine| {
        h.item_type == line.item_type
            && h.code == line.code
            && h.service_date == date
            && (line.item_type != ItemType::Visit || !told_apart(h))
    };
    if let Some(h) = s.ctx.history.iter().find(|h| same(h)) {
        let whose = if h.provider_id == s.ctx.provider.id { "this provider" } else { "another provider" };
        return Flow::Reject(Reason::R08, format!("already billed by {whose} for {date}"));
    }
    if s.accepted.iter().any(same) {
        return Flow::Reject(Reason::R08, "the same line twice in this claim".into());
    }
    Flow::Continue
}

/// R16 (second visit by the same physician the same day): one visit per physician per insured per
/// day is paid, counting the insured's history and this claim.
fn one_visit_per_physician_a_day(s: &mut LineState<'_>) -> Flow {
    let date = s.line.service_date;
    let physician = s.physician();
    if s.line.item_type == ItemType::Visit && physician.is_some() {
        let seen = |h: &HistoryLine| {
            h.item_type == ItemType::Visit
                && h.service_date == date
                && h.physician_council_no.as_ref() == physician
        };
        if s.ctx.history.iter().any(seen) || s.accepted.iter().any(seen) {
            return Flow::Reject(
                Reason::R16,
                format!("a visit by the same physician on {date} is already paid"),
            );
        }
    }
    Flow::Continue
}

/// R10 (repeated too soon): a service is not repeated within its minimum interval (the tariff's
/// `min_interval_days`), before or after, in the history or this claim.
fn not_repeated_too_soon(s: &mut LineState<'_>) -> Flow {
    let (line, date) = (s.line, s.line.service_date);
    if let Some(days) = s.service.and_then(|x| x.min_interval_days) {
        let too_soon = |h: &HistoryLine| {
            h.item_type == ItemType::Service
                && h.code == line.code
                && (date - h.service_date).num_days().abs() < days as i64
        };
        if let Some(h) = s.ctx.history.iter().chain(s.accepted.iter()).find(|h| too_soon(h)) {
            return Flow::Reject(
                Reason::R10,
                format!("{} was done on {}; allowed again after {days} days", line.code, h.service_date),
            );
        }
    }
    Flow::Continue
}

/// R09 (quantity above the limit): the quantity is cut to the smallest cap it exceeds — the
/// service's per day (history and this claim counted), the drug's per prescription, the
/// contract's — and the billed amount in proportion; nothing left under a cap rejects the line.
fn quantity_within_the_caps(s: &mut LineState<'_>) -> Flow {
    let (line, date) = (s.line, s.line.service_date);
    let quantity = s.quantity;
    let mut caps: Vec<(Decimal, String)> = Vec::new();
    if let Some(max) = s.service.and_then(|x| x.max_per_day) {
        let used: Decimal = s
            .ctx
            .history
            .iter()
            .chain(s.accepted.iter())
            .filter(|h| h.service_date == date && h.item_type == ItemType::Service && h.code == line.code)
            .map(|h| h.quantity)
            .sum();
        caps.push(((Decimal::from(max) - used).max(Decimal::ZERO), format!("at most {max} per day")));
    }
    if let Some(d) = s.drug {
        caps.push((
            Decimal::from(d.max_per_prescription),
            format!("at most {} per prescription", d.max_per_prescription),
        ));
    }
    if let Some(cap) = s.terms().quantity_caps.get(&line.code) {
        caps.push((Decimal::from(*cap), format!("the contract allows {cap}")));
    }
    if let Some((cap, why)) = caps.into_iter().filter(|(c, _)| *c < quantity).min_by(|a, b| a.0.cmp(&b.0)) {
        if cap <= Decimal::ZERO {
            return Flow::Reject(Reason::R09, format!("quantity above the limit: {why}"));
        }
        let kept = Rial::round(line.billed.to_decimal() * cap / quantity).unwrap_or(line.billed);
        s.deduct(
            Reason::R09,
            Rial(line.billed.0 - kept.0),
            format!("{} of {} paid: {why}", cap.normalize(), quantity.normalize()),
        );
        s.quantity = cap;
        s.billed = kept;
    }
    Flow::Continue
}

/// R22 (unit price inconsistent): a stated unit price × the quantity kept is the most the line
/// may bill; the excess is deducted.
fn unit_price_reconciles(s: &mut LineState<'_>) -> Flow {
    if let Some(unit) = s.line.unit_price {
        let (quantity, billed) = (s.quantity, s.billed);
        let expected = Rial::round(unit.to_decimal() * quantity).unwrap_or(billed);
        if billed > expected {
            s.deduct(
                Reason::R22,
                Rial(billed.0 - expected.0),
                format!("{} × {} = {}, billed {}", unit.0, quantity.normalize(), expected.0, billed.0),
            );
            s.billed = expected;
        }
    }
    Flow::Continue
}

/// R05 when the pricing engine cannot price the line (`pricing::price_line`): prices the quantity
/// kept on the contract's basis, with the cap of what the provider may charge (its own sector's
/// tariff under a gap-billing contract). A 1–2 bed room without a medical order is recognised as a
/// 3-bed room; the room it billed is priced as well, for what the provider may charge (R07) and
/// the room difference (R20).
fn priced_on_the_contracts_basis(s: &mut LineState<'_>) -> Flow {
    let (line, terms, tariff) = (s.line, s.terms(), s.tariff());
    let cap_sector = if terms.may_bill_gap { s.ctx.provider.sector } else { terms.tariff_basis };
    let pricing = ProviderTerms {
        sector: cap_sector,
        hospital_grade: s.ctx.provider.hospital_grade,
        tariff_basis: terms.tariff_basis,
    };
    let private_room = line.item_type == ItemType::BedDay
        && matches!(line.code.as_str(), "bed_1" | "bed_2")
        && !line.medical_order;
    let priced_code = if private_room { "bed_3plus" } else { line.code.as_str() };
    let quantity = s.quantity;
    let price_of = |code: &str| {
        let to_price = LineToPrice {
            item_type: line.item_type,
            code,
            quantity,
            extra_anesthesia_units: line.anesthesia_units,
        };
        price_line(tariff, &to_price, &pricing)
    };
    match price_of(priced_code) {
        Ok(p) => s.price = Some(p),
        Err(e) => return unpriced(line, e, tariff),
    }
    match private_room.then(|| price_of(line.code.as_str())).transpose() {
        Ok(r) => s.room = r,
        Err(e) => return unpriced(line, e, tariff),
    }
    Flow::Continue
}

/// R07 (billed above the approved tariff, the provider's write-off): what is still billed is at
/// most what the provider may charge for what it billed — for a 1–2 bed room, that room's cap,
/// not the 3-bed room's it is recognised as.
fn within_what_the_provider_may_charge(s: &mut LineState<'_>) -> Flow {
    let may_charge = s.room.map_or(s.price().cap_amount, |r| r.cap_amount);
    let billed = s.billed;
    if billed > may_charge {
        s.deduct(
            Reason::R07,
            Rial(billed.0 - may_charge.0),
            format!("billed {} above the tariff {}", billed.0, may_charge.0),
        );
        s.billed = may_charge;
    }
    Flow::Continue
}

/// R20 (private room without a medical order, the insured's): the room difference of a 1–2 bed
/// room day billed without a medical order; see `room_difference`.
fn room_difference_without_a_medical_order(s: &mut LineState<'_>) -> Flow {
    if let Some(room) = s.room {
        let three_bed = s.price().amount;
        let difference = room_difference(s.billed, three_bed, room.amount);
        if difference.0 > 0 {
            let detail = format!(
                "{} without a medical order: recognised as bed_3plus at {}, the room's tariff is {}",
                s.line.code, three_bed.0, room.amount.0
            );
            s.deduct(Reason::R20, difference, detail);
            s.billed = Rial(s.billed.0 - difference.0);
        }
    }
    Flow::Continue
}

/// Cost sharing on the basis tariff, after the contract's discount (what is billed above the
/// discounted tariff and is not the private–government gap is R07): the insured's share is set by
/// an exemption, a drug's own insurer share or the franchise of the setting (`cost_share`); the gap
/// above the basis tariff is the insured's under a gap-billing contract.
fn share_the_cost(s: &mut LineState<'_>) -> Flow {
    let (terms, price, billed) = (s.terms(), s.price(), s.billed);
    let discount = Rial::round(price.amount.to_decimal() * terms.discount_percent / Decimal::ONE_HUNDRED)
        .unwrap_or(Rial::ZERO);
    let discounted = Rial(price.amount.0 - discount.0);
    let base = billed.min(discounted);
    let gap = if terms.may_bill_gap { Rial((billed.0 - price.amount.0).max(0)) } else { Rial::ZERO };
    let excess = billed.0 - base.0 - gap.0;
    if excess > 0 {
        s.deduct(
            Reason::R07,
            Rial(excess),
            format!(
                "the contract's {}% discount on the tariff {}",
                terms.discount_percent.normalize(),
                price.amount.0
            ),
        );
    }
    // The day's share is computed once; a drug with its own insurer share is decided here.
    let (share_percent, rule) = match (s.drug.and_then(|d| d.insurer_share_percent), &s.day.share) {
        (None, Some((p, r))) => (*p, r.clone()),
        (own, _) => cost_share(s.claim, s.ctx, s.tariff(), s.person(), s.line.service_date, own),
    };
    s.patient_share = base.percent(share_percent).unwrap_or(Rial::ZERO);
    s.insurer = Rial(base.0 - s.patient_share.0);
    s.gap = gap;
    s.cost_sharing_rule = Some(rule);
    Flow::Continue
}

/// R19 (the contract's monthly ceiling): the Organization pays the provider at most the contract's
/// `monthly_ceiling` a month, what it already owes and this claim's earlier lines counted; the
/// line's payable counts towards it.
fn within_the_monthly_ceiling(s: &mut LineState<'_>) -> Flow {
    if let Some(ceiling) = s.terms().monthly_ceiling {
        let room = (ceiling - s.month_payable.0).max(0);
        if s.insurer.0 > room {
            s.deduct(
                Reason::R19,
                Rial(s.insurer.0 - room),
                format!("the contract's monthly ceiling {ceiling} is reached"),
            );
            s.insurer = Rial(room);
        }
    }
    s.month_payable.0 += s.insurer.0;
    Flow::Continue
}

/// R15 (missing documents): a service the tariff says needs a medical record waits for a reviewer
/// when none is on file. (The claim-level pend above the office's auto-approval amount is decided
/// by `adjudicate` on the totals.)
fn medical_record_on_file(s: &mut LineState<'_>) -> Flow {
    if s.service.is_some_and(|x| x.needs_medical_record) && !s.ctx.has_medical_record {
        s.pend_reasons.push(Reason::R15);
    }
    Flow::Continue
}

/// The insured's share in percent and the rule that set it: an applicable exemption (0 %)
/// wins; else a drug's own insurer share; else the franchise of the setting.
fn cost_share(
    claim: &Claim,
    ctx: &Context<'_>,
    tariff: &Tariff,
    person: &Person,
    date: NaiveDate,
    drug_insurer_share: Option<u8>,
) -> (Decimal, String) {
    let setting = setting_scope(claim, ctx.provider);
    let in_force = |from: NaiveDate, to: Option<NaiveDate>| from <= date && to.is_none_or(|t| date <= t);
    let sector_ok = |s: SectorScope| match s {
        SectorScope::Any => true,
        SectorScope::Government => ctx.provider.sector == Sector::Government,
        SectorScope::SsoOwned => ctx.provider.sso_owned,
    };
    if let Some(ex) = tariff.cost_sharing.iter().find(|r| {
        r.kind == RuleKind::Exemption
            && (r.setting == SettingScope::Any || r.setting == setting)
            && sector_ok(r.sector_scope)
            && in_force(r.effective_from, r.effective_to)
            && conditions_hold(r, person, ctx.main_insured, date)
    }) {
        return (Decimal::ZERO, ex.id.clone());
    }
    if let Some(share) = drug_insurer_share {
        let p = Decimal::from(100 - share.min(100));
        return (p, format!("drug_insurer_share:{share}%"));
    }
    match tariff.cost_sharing.iter().find(|r| {
        r.kind == RuleKind::Franchise && r.setting == setting && in_force(r.effective_from, r.effective_to)
    }) {
        Some(f) => (f.percent, format!("{}:{}%", f.id, f.percent.normalize())),
        // The law's defaults when a tariff year lacks the row (the importer requires it).
        None => {
            let p = if claim.setting == Setting::Inpatient { 10 } else { 30 };
            (Decimal::from(p), format!("franchise_default:{p}%"))
        }
    }
}

#[cfg(test)]
#[path = "adjudication_tests.rs"]
mod tests;
