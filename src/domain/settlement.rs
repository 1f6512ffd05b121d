//! Paying providers (پرداخت به مراکز طرف قرارداد): advances, settlement netting and late-payment
//! damages. Pure functions on integer rials; every rounding is down (toward the Organization
//! paying no more than it owes, and the damages no more than accrued).

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::domain::lifecycle::payment::SettlementStatus;
use crate::domain::money::Rial;

/// The advance (علی‌الحساب) on a monthly list: `percent` of the claimed amount, rounded down to
/// the rial. Art. 38 of the 1393 law: 60 % within two weeks of receipt (iran-sso.md §4.2).
pub fn advance_amount(claimed: Rial, percent: Decimal) -> Rial {
    let a = (Decimal::from(claimed.0) * percent / Decimal::ONE_HUNDRED).floor();
    Rial(a.try_into().unwrap_or(0))
}

/// What a provider claims from the Organization for a document (مبلغ درخواستی از سازمان): the
/// billed amount less what the patient pays: the franchise, the private–government gap and the
/// deductions of the patient-responsibility group (PR, e.g. R20's room difference). The advance
/// is computed on it, not on the billed amount, so a provider is not advanced money the patient
/// pays. The provider's write-offs (CO) stay in: they are claimed, only not approved.
pub fn claimed_from_organization(
    billed: Rial,
    patient_share: Rial,
    patient_gap: Rial,
    insured_deductions: Rial,
) -> Rial {
    Rial(billed.0 - patient_share.0 - patient_gap.0 - insured_deductions.0)
}

/// What a settlement pays: the decided claims' payable, plus corrections of claims settled
/// before (negative: a recovery), minus the advances already paid for them, plus the negative
/// balances of earlier settlements carried into it (`carried_in` ≤ 0).
pub fn net_payable(claims_payable: Rial, adjustments: Rial, advances_paid: Rial, carried_in: Rial) -> Rial {
    Rial(claims_payable.0 + adjustments.0 - advances_paid.0 + carried_in.0)
}

/// The statuses of a settlement the Organization still owes — the only ones that can be late
/// and accrue damages (not `paid`, `carried` or `closed`).
pub const OWED_STATUSES: [SettlementStatus; 2] = SettlementStatus::OWED;

/// Days a payment is late on `today` (0 on the due date itself and before).
pub fn days_late(due_on: NaiveDate, today: NaiveDate) -> i64 {
    (today - due_on).num_days().max(0)
}

/// Damages for late payment (Art. 38 of the 1393 law provides for them; the rate is the
/// contract's yearly percent): amount × rate × days / 365, rounded down to the rial.
pub fn late_damages(amount: Rial, yearly_rate_percent: Decimal, days_late: i64) -> Rial {
    if amount.0 <= 0 || days_late <= 0 {
        return Rial::ZERO;
    }
    let d = Decimal::from(amount.0) * yearly_rate_percent / Decimal::ONE_HUNDRED * Decimal::from(days_late)
        / Decimal::from(365);
    Rial(d.floor().try_into().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_advance_is_the_percent_rounded_down() {
        assert_eq!(advance_amount(Rial(10_000_001), dec!(60)), Rial(6_000_000)); // 6,000,000.6
        assert_eq!(advance_amount(Rial(0), dec!(60)), Rial(0));
        assert_eq!(advance_amount(Rial(999), dec!(80)), Rial(799)); // 799.2
    }

    #[test]
    fn netting_subtracts_advances_and_adds_corrections() {
        assert_eq!(net_payable(Rial(5_000_000), Rial(-250_000), Rial(3_000_000), Rial(0)), Rial(1_750_000));
        assert_eq!(net_payable(Rial(0), Rial(-250_000), Rial(0), Rial(0)), Rial(-250_000));
        // A balance carried from last month is netted: 1,000,000 − 250,000.
        assert_eq!(net_payable(Rial(1_000_000), Rial(0), Rial(0), Rial(-250_000)), Rial(750_000));
    }

    #[test]
    fn the_net_decides_paid_closed_or_carried() {
        assert_eq!(SettlementStatus::for_net(Rial(1)), SettlementStatus::Approved);
        assert_eq!(SettlementStatus::for_net(Rial(0)), SettlementStatus::Closed);
        assert_eq!(SettlementStatus::for_net(Rial(-1)), SettlementStatus::Carried);
    }

    #[test]
    fn the_claimed_amount_leaves_out_what_the_patient_paid() {
        // Billed 1,890,000: franchise 169,200 and gap 1,326,000 paid at the counter.
        assert_eq!(
            claimed_from_organization(Rial(1_890_000), Rial(169_200), Rial(1_326_000), Rial(0)),
            Rial(394_800)
        );
        // A 1-bed day without an order: the R20 room difference is the patient's too.
        assert_eq!(
            claimed_from_organization(Rial(10_300_000), Rial(515_000), Rial(0), Rial(5_150_000)),
            Rial(4_635_000)
        );
    }

    #[test]
    fn lateness_starts_the_day_after_the_due_date() {
        assert_eq!(days_late(d("2025-01-10"), d("2025-01-10")), 0);
        assert_eq!(days_late(d("2025-01-10"), d("2025-01-11")), 1);
        assert_eq!(days_late(d("2025-01-10"), d("2025-01-01")), 0);
    }

    #[test]
    fn damages_accrue_per_day_at_the_yearly_rate() {
        // 36,500,000 × 18 % × 10 / 365 = 180,000.
        assert_eq!(late_damages(Rial(36_500_000), dec!(18), 10), Rial(180_000));
        // 1,000,000 × 23 % × 1 / 365 = 630.13… → 630.
        assert_eq!(late_damages(Rial(1_000_000), dec!(23), 1), Rial(630));
        assert_eq!(late_damages(Rial(1_000_000), dec!(23), 0), Rial(0));
        assert_eq!(late_damages(Rial(-5), dec!(23), 10), Rial(0));
    }
}
