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

use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::adjudication::{ClaimKind, ContractFacts};
use crate::domain::contract::{ContractStatus, ContractTerms, StatusEvent, TermsVersion};
use crate::domain::eligibility::InsuranceType;
use crate::domain::money::Rial;
use crate::domain::reasons::Reason;
use crate::domain::review::LineAmounts;
use crate::domain::tariff::{DeviceTariff, Sector};

/// No filing deadline for SSO reimbursements was found (iran-sso.md §3.2); we allow a year
/// after the end of the service month, the same horizon a supplementary contract used
/// (3 months after the contract's end) stretched to the Organization's yearly tariff cycle.
pub const FILING_DEADLINE_DAYS: u32 = 365;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
}

/// The documents a request must have in its file before it can be submitted (iran-sso.md §3.2
/// for care, §3.3 for support items, §3.4 for travel). With an e-prescription tracking code
/// (کد رهگیری) the paper prescription is not needed.
pub fn required_documents(
    benefit: Benefit,
    kind: Option<ClaimKind>,
    has_tracking_code: bool,
) -> Vec<&'static str> {
    let prescription = (!has_tracking_code).then_some("prescription");
    let mut docs: Vec<&'static str> = vec!["invoice"];
    match benefit {
        Benefit::Care => match kind {
            Some(ClaimKind::Inpatient) | Some(ClaimKind::DaySurgery) => {
                // The treating doctor's certificate, the anaesthetist's, the discharge summary
                // and the original bills confirmed by the hospital.
                docs.extend(["medical_report", "anesthesia_report", "discharge_summary"]);
            }
            Some(ClaimKind::Pharmacy) | Some(ClaimKind::Physiotherapy) => docs.extend(prescription),
            Some(ClaimKind::Paraclinic) => {
                docs.extend(prescription);
                docs.push("result");
            }
            Some(ClaimKind::Visit) | Some(ClaimKind::Dental) | None => {}
        },
        // The treating doctor's prescription (for glasses, with the refraction) and the invoice.
        Benefit::SupportItem => docs.push("prescription"),
        // The doctor's certificate that the treatment is not available locally, and the tickets.
        Benefit::Travel => docs.push("medical_report"),
    }
    docs
}

/// Which required documents are not in the file. `result` is met by a lab result or an
/// imaging report.
pub fn missing_documents(required: &[&'static str], present: &[String]) -> Vec<&'static str> {
    let has = |t: &str| present.iter().any(|p| p == t);
    required
        .iter()
        .copied()
        .filter(|r| match *r {
            "result" => !(has("lab_result") || has("imaging_report")),
            other => !has(other),
        })
        .collect()
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

/// How what the insured paid divides.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
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
/// allowances, not priced care.
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
            cost_sharing_rule: Some(rule.clone()),
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

/// A support item line: the device list's fixed amount × quantity, at most what was paid.
/// Refused when the code is not on the list (R05) or when the same item was received less
/// than its renewal period ago (R10, with the date it becomes possible again).
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
    if item.renewal_months > 0 {
        let renewal = Months::new(item.renewal_months);
        let blocking = prior
            .iter()
            .filter(|p| p.code == code && p.service_date <= date)
            .filter_map(|p| p.service_date.checked_add_months(renewal))
            .filter(|next| *next > date)
            .max();
        if let Some(next) = blocking {
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
                cost_sharing_rule: Some("ticket_price".into()),
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

#[cfg(test)]
mod tests {
    use super::*;
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
        assert_eq!(inpatient, ["invoice", "medical_report", "anesthesia_report", "discharge_summary"]);
        assert_eq!(required_documents(Benefit::Care, Some(ClaimKind::Pharmacy), true), ["invoice"]);
        assert_eq!(
            required_documents(Benefit::Care, Some(ClaimKind::Pharmacy), false),
            ["invoice", "prescription"]
        );
        let para = required_documents(Benefit::Care, Some(ClaimKind::Paraclinic), true);
        assert_eq!(missing_documents(&para, &["invoice".into()]), ["result"]);
        assert!(missing_documents(&para, &["invoice".into(), "imaging_report".into()]).is_empty());
    }
}
