//! Manual adjudication (رسیدگی دستی), the four-eyes rule and the objection window
//! (مهلت اعتراض): pure functions, no IO.
//!
//! A reviewer's decision on a line works on the amount the Organization recognises for it,
//! `covered = insurer_payable + patient_share` (the tariff-based amount before the franchise).
//! Reducing it adds a deduction with the reviewer's reason; raising it (an objection upheld)
//! gives back earlier deductions, newest first; rejecting deducts everything, including the
//! gap, as the engine does for a rejected line. The franchise is then split again with the
//! line's own cost-sharing rule, so `billed = insurer_payable + patient_share + patient_gap +
//! deducted` holds before and after.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::lifecycle::Outcome;
use crate::domain::money::Rial;
use crate::domain::reasons::Reason;

/// A line's amounts as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineAmounts {
    pub line_no: u32,
    pub billed: Rial,
    pub insurer_payable: Rial,
    pub patient_share: Rial,
    pub patient_gap: Rial,
    pub deducted: Rial,
    /// Deductions in the order they were made: (reason code, amount, detail).
    pub reasons: Vec<(String, Rial, String)>,
    /// E.g. `franchise_outpatient:30%`, `drug_insurer_share:70%` or an exemption's id.
    pub cost_sharing_rule: Option<String>,
}

impl LineAmounts {
    pub fn covered(&self) -> Rial {
        Rial(self.insurer_payable.0 + self.patient_share.0)
    }

    pub fn conserves(&self) -> bool {
        self.insurer_payable.0 + self.patient_share.0 + self.patient_gap.0 + self.deducted.0 == self.billed.0
            && self.reasons.iter().map(|r| r.1 .0).sum::<i64>() == self.deducted.0
    }

    /// Approved, partially approved or rejected, from the amounts.
    pub fn outcome(&self) -> Outcome {
        Outcome::from_amounts(self.deducted.0, self.covered().0 + self.patient_gap.0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineAction {
    /// Accept the engine's amounts (clears a pend).
    Approve,
    /// Set the recognised amount (`approved_amount`): lower deducts, higher gives back.
    Adjust,
    /// Deduct the whole line.
    Reject,
}

/// One line of a reviewer's decision.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
pub struct LineDecision {
    pub line_no: u32,
    pub action: LineAction,
    /// For `adjust`: the amount the Organization recognises (before the franchise).
    pub approved_amount: Option<i64>,
    /// The quantity the reviewer accepts (recorded; the amount is what is paid); a decimal
    /// written as a string, or an integer.
    #[serde(default, deserialize_with = "crate::domain::money::plain_decimal::optional")]
    #[schema(schema_with = crate::domain::money::plain_decimal::schema::decimal_or_null)]
    pub approved_quantity: Option<Decimal>,
    /// The reason code of a deduction (R90 when not given).
    #[schema(value_type = Option<crate::domain::reasons::Reason>)]
    pub reason: Option<String>,
    pub note: Option<String>,
}

/// The insured's share in percent under a line's cost-sharing rule (see
/// `adjudication::cost_share`): `name:NN%` is the insured's percentage, except
/// `drug_insurer_share:NN%`, which is the insurer's; any other rule is an exemption (0 %).
pub fn patient_percent(rule: Option<&str>) -> Decimal {
    let Some(rule) = rule else { return Decimal::ZERO };
    let Some((name, pct)) = rule.rsplit_once(':') else { return Decimal::ZERO };
    let Ok(p) = pct.trim_end_matches('%').parse::<Decimal>() else { return Decimal::ZERO };
    if name == "drug_insurer_share" {
        Decimal::ONE_HUNDRED - p
    } else {
        p
    }
}

/// Applies one decision to a line. Errors name what is wrong (for the `lines[i]` field).
pub fn apply(line: &LineAmounts, d: &LineDecision) -> Result<LineAmounts, String> {
    let reason = match &d.reason {
        None => Reason::R90,
        Some(code) => Reason::parse(code).ok_or_else(|| format!("unknown reason code {code}"))?,
    };
    let note = d.note.clone().unwrap_or_default();
    let mut out = line.clone();
    let covered = line.covered();
    match d.action {
        LineAction::Approve => return Ok(out),
        LineAction::Reject => {
            let extra = covered.0 + line.patient_gap.0;
            out.insurer_payable = Rial::ZERO;
            out.patient_share = Rial::ZERO;
            out.patient_gap = Rial::ZERO;
            if extra > 0 {
                out.deducted = Rial(line.deducted.0 + extra);
                out.reasons.push((reason.code().into(), Rial(extra), note));
            }
        }
        LineAction::Adjust => {
            let target = d.approved_amount.ok_or("approved_amount is required to adjust a line")?;
            let most = covered.0 + line.deducted.0;
            if target < 0 || target > most {
                return Err(format!("approved_amount must be between 0 and {most} for this line"));
            }
            if target < covered.0 {
                let cut = covered.0 - target;
                out.deducted = Rial(line.deducted.0 + cut);
                out.reasons.push((reason.code().into(), Rial(cut), note));
            } else if target > covered.0 {
                // Give back earlier deductions, newest first.
                let mut back = target - covered.0;
                out.deducted = Rial(line.deducted.0 - back);
                for r in out.reasons.iter_mut().rev() {
                    let take = back.min(r.1 .0);
                    r.1 = Rial(r.1 .0 - take);
                    back -= take;
                }
                out.reasons.retain(|r| r.1 .0 > 0);
            }
            let share = Rial(target)
                .percent(patient_percent(line.cost_sharing_rule.as_deref()))
                .map_err(|_| "amount too large".to_string())?;
            out.patient_share = share;
            out.insurer_payable = Rial(target - share.0);
        }
    }
    debug_assert!(out.conserves());
    Ok(out)
}

/// Whether a decision changing the claim's payable from `before` to `after` needs a
/// supervisor's approval: a change of more than `threshold` rials either way.
pub fn needs_second_approval(before: Rial, after: Rial, threshold: Rial) -> bool {
    (after.0 - before.0).abs() > threshold.0
}

/// Iranian working days: Friday is the weekend; `holidays` are the official holidays.
pub fn is_working_day(d: NaiveDate, holidays: &[NaiveDate]) -> bool {
    d.weekday() != Weekday::Fri && !holidays.contains(&d)
}

/// The last day of a window of `days` working days starting the day after `from`.
pub fn working_days_after(from: NaiveDate, days: u32, holidays: &[NaiveDate]) -> NaiveDate {
    let mut d = from;
    let mut left = days;
    while left > 0 {
        d += Duration::days(1);
        if is_working_day(d, holidays) {
            left -= 1;
        }
    }
    d
}

/// Sampling (نمونه‌گیری): how many of `population` claims a random `percent` selects — rounded
/// up, and at least one (openIMIS claim_sampling does the same).
pub fn sample_size(population: usize, percent: Decimal) -> usize {
    if population == 0 {
        return 0;
    }
    let n = (Decimal::from(population as u64) * percent / Decimal::ONE_HUNDRED).ceil();
    let n: usize = n.try_into().unwrap_or(population);
    n.clamp(1, population)
}

/// The deduction rate a reviewed sample shows: what the reviewers took off its payable, over the
/// payable before review. Raises are not extrapolated (never below 0); at most 1. Kept to six
/// decimals, rounded down: an estimate is not rounded against the provider.
pub fn sample_rate(before: Rial, after: Rial) -> Decimal {
    if before.0 <= 0 || after.0 >= before.0 {
        return Decimal::ZERO;
    }
    let rate = Decimal::from(before.0 - after.0.max(0)) / Decimal::from(before.0);
    rate.round_dp_with_strategy(6, rust_decimal::RoundingStrategy::ToZero).min(Decimal::ONE)
}

/// R92 on a line that was not reviewed: its insurer payable times the sample's rate, rounded
/// down to the rial, is deducted. The insured's share does not change (it was set on the tariff
/// amount), so the line still conserves.
pub fn extrapolate(line: &LineAmounts, rate: Decimal, detail: &str) -> LineAmounts {
    let cut = (Decimal::from(line.insurer_payable.0) * rate).floor();
    let cut: i64 = cut.try_into().unwrap_or(0).clamp(0, line.insurer_payable.0);
    let mut out = line.clone();
    if cut > 0 {
        out.insurer_payable = Rial(line.insurer_payable.0 - cut);
        out.deducted = Rial(line.deducted.0 + cut);
        out.reasons.push((Reason::R92.code().into(), Rial(cut), detail.into()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn line() -> LineAmounts {
        // Billed 1,000,000; covered 800,000 at 30 % (560,000 + 240,000); gap 100,000; R08 100,000.
        LineAmounts {
            line_no: 1,
            billed: Rial(1_000_000),
            insurer_payable: Rial(560_000),
            patient_share: Rial(240_000),
            patient_gap: Rial(100_000),
            deducted: Rial(100_000),
            reasons: vec![("R08".into(), Rial(100_000), String::new())],
            cost_sharing_rule: Some("franchise_outpatient:30%".into()),
        }
    }

    fn decision(action: LineAction, amount: Option<i64>) -> LineDecision {
        LineDecision {
            line_no: 1,
            action,
            approved_amount: amount,
            approved_quantity: None,
            reason: None,
            note: Some("x".into()),
        }
    }

    #[test]
    fn reducing_adds_an_r90_deduction_and_splits_again() {
        let out = apply(&line(), &decision(LineAction::Adjust, Some(500_000))).unwrap();
        assert_eq!((out.insurer_payable, out.patient_share), (Rial(350_000), Rial(150_000)));
        assert_eq!(out.deducted, Rial(400_000));
        assert_eq!(out.reasons[1], ("R90".into(), Rial(300_000), "x".into()));
        assert!(out.conserves());
        assert_eq!(out.outcome(), Outcome::PartiallyApproved);
    }

    #[test]
    fn raising_gives_back_deductions_newest_first() {
        let out = apply(&line(), &decision(LineAction::Adjust, Some(900_000))).unwrap();
        assert_eq!(
            (out.insurer_payable, out.patient_share, out.deducted),
            (Rial(630_000), Rial(270_000), Rial(0))
        );
        assert!(out.reasons.is_empty());
        assert!(out.conserves());
        assert_eq!(out.outcome(), Outcome::Approved);
        let err = apply(&line(), &decision(LineAction::Adjust, Some(900_001))).unwrap_err();
        assert!(err.contains("between 0 and 900000"), "{err}");
    }

    #[test]
    fn rejecting_deducts_everything_and_approving_changes_nothing() {
        let out = apply(&line(), &decision(LineAction::Reject, None)).unwrap();
        assert_eq!(
            (out.insurer_payable.0, out.patient_share.0, out.patient_gap.0, out.deducted.0),
            (0, 0, 0, 1_000_000)
        );
        assert!(out.conserves());
        assert_eq!(out.outcome(), Outcome::Rejected);
        assert_eq!(apply(&line(), &decision(LineAction::Approve, None)).unwrap(), line());
    }

    #[test]
    fn percent_of_each_rule_kind() {
        assert_eq!(patient_percent(Some("franchise_inpatient:10%")), Decimal::from(10));
        assert_eq!(patient_percent(Some("drug_insurer_share:70%")), Decimal::from(30));
        assert_eq!(patient_percent(Some("exempt_under_7_gov")), Decimal::ZERO);
        assert_eq!(patient_percent(None), Decimal::ZERO);
    }

    #[test]
    fn four_eyes_above_the_threshold_only() {
        let t = Rial(10_000_000);
        assert!(!needs_second_approval(Rial(50_000_000), Rial(40_000_000), t));
        assert!(needs_second_approval(Rial(50_000_000), Rial(39_999_999), t));
        assert!(needs_second_approval(Rial(50_000_000), Rial(60_000_001), t));
    }

    #[test]
    fn working_days_skip_fridays_and_holidays() {
        // 2024-10-10 is a Thursday; ten working days later, skipping two Fridays, is 10-22.
        let thu = NaiveDate::from_ymd_opt(2024, 10, 10).unwrap();
        assert_eq!(working_days_after(thu, 10, &[]), NaiveDate::from_ymd_opt(2024, 10, 22).unwrap());
        assert_eq!(working_days_after(thu, 1, &[]), NaiveDate::from_ymd_opt(2024, 10, 12).unwrap());
        let holiday = [NaiveDate::from_ymd_opt(2024, 10, 12).unwrap()];
        assert_eq!(working_days_after(thu, 1, &holiday), NaiveDate::from_ymd_opt(2024, 10, 13).unwrap());
    }

    #[test]
    fn sample_sizes_round_up_and_take_at_least_one() {
        assert_eq!(sample_size(0, dec!(10)), 0);
        assert_eq!(sample_size(7, dec!(10)), 1); // 0.7 → 1
        assert_eq!(sample_size(10, dec!(10)), 1);
        assert_eq!(sample_size(11, dec!(10)), 2); // 1.1 → 2
        assert_eq!(sample_size(3, dec!(100)), 3);
        assert_eq!(sample_size(40, dec!(25)), 10);
    }

    #[test]
    fn the_rate_is_what_reviewers_cut_never_negative() {
        assert_eq!(sample_rate(Rial(1_000_000), Rial(900_000)), dec!(0.1));
        assert_eq!(sample_rate(Rial(3), Rial(2)), dec!(0.333333)); // rounded down
        assert_eq!(sample_rate(Rial(1_000_000), Rial(1_100_000)), Decimal::ZERO);
        assert_eq!(sample_rate(Rial(0), Rial(0)), Decimal::ZERO);
        assert_eq!(sample_rate(Rial(500), Rial(0)), Decimal::ONE);
    }

    #[test]
    fn extrapolation_deducts_r92_from_the_insurer_part_rounded_down() {
        let line = LineAmounts {
            line_no: 1,
            billed: Rial(1_890_000),
            insurer_payable: Rial(394_800),
            patient_share: Rial(169_200),
            patient_gap: Rial(1_326_000),
            deducted: Rial(0),
            reasons: vec![],
            cost_sharing_rule: Some("franchise_outpatient:30%".into()),
        };
        // 394,800 × 0.123457 = 48,740.82… → 48,740.
        let out = extrapolate(&line, dec!(0.123457), "sample S");
        assert_eq!(out.insurer_payable, Rial(346_060));
        assert_eq!(out.deducted, Rial(48_740));
        assert_eq!(out.patient_share, line.patient_share);
        assert_eq!(out.reasons, vec![("R92".to_string(), Rial(48_740), "sample S".to_string())]);
        assert!(out.conserves());
        assert_eq!(out.outcome(), Outcome::PartiallyApproved);
        // A zero rate changes nothing.
        assert_eq!(extrapolate(&line, Decimal::ZERO, "x"), line);
    }
}
