//! Approved annual budgets (بودجهٔ مصوب سالانه) and the year's projection against them
//! (پیش‌بینی هزینهٔ پایان سال).
//!
//! A budget is an amount in integer rials per Jalali year, level (a review office or a
//! province's treatment management, مدیریت درمان استان) and benefit. The projection is a pure
//! function of plain numbers — the approved amount, the spending of each month so far, the
//! commitment and the current month — so the reports can call it with their monthly aggregates.
//!
//! ## The projection rule
//!
//! The year's months are 1 (فروردین) … 12 (اسفند). In month `m` the months `1..m` are
//! *completed* (`m - 1` of them) and month `m` is in progress.
//!
//! - **Spent to date** (هزینهٔ قطعی): the sum of the decided payable of every month so far,
//!   the current month's partial spending included.
//! - **Commitment** (تعهد): documents received and not yet decided. Under the Public Accounting
//!   Law (قانون محاسبات عمومی کشور، مادهٔ 19) an obligation arises when the service is rendered,
//!   not when it is paid: a received document is a debt of the Organization whatever its
//!   decision date, so the budget must cover it.
//! - **Run rate** (میانگین ماهانه): the average spending of the *completed* months. The current
//!   month is left out: a half-month would pull the average down.
//! - **Projection to year end**:
//!   `spent in completed months + max(current month so far, run rate) + run rate × (12 − m) +
//!   commitment`. The current month costs at least what is already decided in it and, as a
//!   month, at least the run rate; each month after it costs the run rate. The commitment is
//!   added on top because at any time a steady flow of documents leaves about as much
//!   received-but-undecided at year end as now: decisions at the run rate plus the backlog then
//!   is what the year's services cost (the debt of Art. 19).
//! - With no completed month (month 1) there is no run rate: the projection is what is known —
//!   spent plus commitment — and `completed_months` is 0 so a reader can say "too early".
//!
//! ## Rounding
//!
//! All amounts are exact integer rials. The only division is the run rate; it is applied as
//! `floor(spent in completed months × months / completed months)` — one division, rounded
//! down (toward zero: every amount is ≥ 0), so the projection is at most one rial below the
//! exact value instead of up to eleven when a rounded average is multiplied. Shares are in basis
//! points (1/100 of a percent), rounded down the same way.

use serde::{Deserialize, Serialize};

/// The benefits a budget is approved for (ردیف بودجه).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
// Named apart from the reimbursement's `Benefit` in the contract: one component name per type,
// or the later one replaces the other (schemathesis caught `?benefit=claims` on reimbursements).
#[schema(as = BudgetBenefit)]
pub enum Benefit {
    /// Documents of contracted providers (اسناد پزشکی مراکز طرف قرارداد).
    Claims,
    /// Insured persons' reimbursements (هزینه‌های غیرمستقیم / بازپرداخت).
    Reimbursements,
    /// Prostheses and orthoses (پروتز و اروتز).
    Devices,
    /// Travel costs of treatment (هزینهٔ سفر درمانی).
    Travel,
}

impl Benefit {
    pub const ALL: [Benefit; 4] =
        [Benefit::Claims, Benefit::Reimbursements, Benefit::Devices, Benefit::Travel];

    pub fn as_str(self) -> &'static str {
        match self {
            Benefit::Claims => "claims",
            Benefit::Reimbursements => "reimbursements",
            Benefit::Devices => "devices",
            Benefit::Travel => "travel",
        }
    }

    pub fn parse(s: &str) -> Option<Benefit> {
        Benefit::ALL.into_iter().find(|b| b.as_str() == s)
    }

    pub fn name_fa(self) -> &'static str {
        match self {
            Benefit::Claims => "اسناد مراکز طرف قرارداد",
            Benefit::Reimbursements => "بازپرداخت هزینه",
            Benefit::Devices => "پروتز و اروتز",
            Benefit::Travel => "هزینهٔ سفر",
        }
    }
}

/// Whose budget it is (سطح بودجه): a review office's or a province's.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[schema(as = BudgetLevel)]
pub enum Level {
    /// A province's treatment management (مدیریت درمان استان).
    Province,
    /// A review office (دفتر رسیدگی).
    Office,
}

impl Level {
    pub const ALL: [Level; 2] = [Level::Province, Level::Office];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Office => "office",
            Level::Province => "province",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }

    pub fn name_fa(self) -> &'static str {
        match self {
            Level::Office => "دفتر رسیدگی",
            Level::Province => "استان",
        }
    }
}

/// The figures of a budget's year so far, in rials (see the module's rule).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Projection {
    /// The approved amount (بودجهٔ مصوب).
    pub approved: i64,
    /// Decided payable of every month so far, the current one included (هزینهٔ قطعی).
    pub spent_to_date: i64,
    /// Received, undecided (تعهد).
    pub commitment: i64,
    /// Approved − spent to date; negative once spending passes the budget (مانده).
    pub remaining: i64,
    /// Approved − spent − commitment: what is still free (مانده پس از تعهدات).
    pub available: i64,
    /// Months completed before the current one (0 in the first month: no run rate yet).
    pub completed_months: u8,
    /// Average spending of the completed months, rounded down (میانگین ماهانه).
    pub run_rate: i64,
    /// Projected cost of the year (پیش‌بینی پایان سال).
    pub projected_year_end: i64,
    /// Projected − approved: positive is over the budget, negative under it.
    pub projected_variance: i64,
    /// Spent to date / approved, in basis points (10000 = all of it), rounded down.
    pub share_used_bp: i64,
    /// Projected / approved, in basis points, rounded down.
    pub projected_share_bp: i64,
}

impl Projection {
    /// Whether the year is projected to cost more than the budget.
    pub fn over_budget(&self) -> bool {
        self.projected_variance > 0
    }
}

/// Inputs the projection cannot work with; a caller's bug, named for its message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProjectionError {
    #[error("the approved amount must be positive")]
    ApprovedNotPositive,
    #[error("the current month must be 1–12")]
    MonthOutOfRange,
    #[error("spending is given for {given} months, but the current month is {current}")]
    MonthsBeyondCurrent { given: usize, current: u8 },
    #[error("amounts must not be negative")]
    Negative,
}

/// The year's projection (see the module's rule). `monthly_spending[i]` is month `i + 1`'s
/// decided payable; months not given count as nothing spent. `current_month` is 1..=12.
pub fn project(
    approved: i64,
    monthly_spending: &[i64],
    commitment: i64,
    current_month: u8,
) -> Result<Projection, ProjectionError> {
    if approved <= 0 {
        return Err(ProjectionError::ApprovedNotPositive);
    }
    if !(1..=12).contains(&current_month) {
        return Err(ProjectionError::MonthOutOfRange);
    }
    if monthly_spending.len() > current_month as usize {
        return Err(ProjectionError::MonthsBeyondCurrent {
            given: monthly_spending.len(),
            current: current_month,
        });
    }
    if commitment < 0 || monthly_spending.iter().any(|&m| m < 0) {
        return Err(ProjectionError::Negative);
    }
    let month = |i: usize| i128::from(monthly_spending.get(i).copied().unwrap_or(0));
    let completed = current_month - 1;
    let spent_completed: i128 = (0..completed as usize).map(month).sum();
    let current = month(completed as usize);
    let spent_to_date = spent_completed + current;
    let commitment = i128::from(commitment);
    let approved_wide = i128::from(approved);
    let (run_rate, projected) = if completed == 0 {
        (0, spent_to_date + commitment)
    } else {
        let c = i128::from(completed);
        let after = i128::from(12 - current_month);
        // Compared exactly (current × completed against the completed months' total), not
        // against the rounded run rate.
        let projected = if current * c > spent_completed {
            // The current month already costs more than a month at the run rate.
            spent_completed + current + spent_completed * after / c
        } else {
            // The current month and the months after it at the run rate, in one division.
            spent_completed + spent_completed * (after + 1) / c
        };
        (spent_completed / c, projected + commitment)
    };
    let narrow = |v: i128| i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX });
    Ok(Projection {
        approved,
        spent_to_date: narrow(spent_to_date),
        commitment: narrow(commitment),
        remaining: narrow(approved_wide - spent_to_date),
        available: narrow(approved_wide - spent_to_date - commitment),
        completed_months: completed,
        run_rate: narrow(run_rate),
        projected_year_end: narrow(projected),
        projected_variance: narrow(projected - approved_wide),
        share_used_bp: narrow(spent_to_date * 10_000 / approved_wide),
        projected_share_bp: narrow(projected * 10_000 / approved_wide),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A crafted year: 1.2 billion rials approved, 100 million a month at first.
    const APPROVED: i64 = 1_200_000_000;

    #[test]
    fn mid_year_projects_the_run_rate_over_the_remaining_months() {
        // Month 7 (مهر): six completed months, 100 + 90 + 110 + 100 + 95 + 105 = 600 million,
        // 40 million decided in مهر so far, 55 million received and undecided.
        let months = [100_000_000, 90_000_000, 110_000_000, 100_000_000, 95_000_000, 105_000_000, 40_000_000];
        let p = project(APPROVED, &months, 55_000_000, 7).unwrap();
        assert_eq!(p.spent_to_date, 640_000_000);
        assert_eq!(p.completed_months, 6);
        assert_eq!(p.run_rate, 100_000_000);
        // 600 completed + max(40, 100) for مهر + 100 × 5 remaining months + 55 commitment.
        assert_eq!(p.projected_year_end, 600_000_000 + 100_000_000 + 500_000_000 + 55_000_000);
        assert_eq!(p.projected_variance, 55_000_000);
        assert!(p.over_budget());
        assert_eq!(p.remaining, 560_000_000);
        assert_eq!(p.available, 505_000_000);
        assert_eq!(p.share_used_bp, 5_333); // 640 / 1200 = 53.33…%, rounded down
        assert_eq!(p.projected_share_bp, 10_458); // 1255 / 1200 = 104.58…%
    }

    #[test]
    fn the_run_rate_is_divided_once_and_rounded_down() {
        // Month 4: three completed months of 100, 100 and 101 rials: 301 / 3 = 100.33…
        let p = project(10_000, &[100, 100, 101], 0, 4).unwrap();
        assert_eq!(p.run_rate, 100);
        // 301 + floor(301 × 9 / 3) = 301 + 903 = 1204 (a rounded average × 9 would give 1201).
        assert_eq!(p.projected_year_end, 1_204);
        assert_eq!(p.spent_to_date, 301);
        // A current month given as 0 is the same as one not given.
        assert_eq!(project(10_000, &[100, 100, 101, 0], 0, 4).unwrap().projected_year_end, 1_204);
        // Month 3 with 7 and 8 rials: floor(15 × 10 / 2) = 75, + 15 = 90.
        assert_eq!(project(10_000, &[7, 8], 0, 3).unwrap().projected_year_end, 90);
    }

    #[test]
    fn the_first_month_has_no_run_rate() {
        // فروردین: nothing completed; 12 million decided, 30 million received.
        let p = project(APPROVED, &[12_000_000], 30_000_000, 1).unwrap();
        assert_eq!(p.completed_months, 0);
        assert_eq!(p.run_rate, 0);
        assert_eq!(p.spent_to_date, 12_000_000);
        assert_eq!(p.projected_year_end, 42_000_000);
        assert_eq!(p.projected_variance, 42_000_000 - APPROVED);
        assert!(!p.over_budget());
        assert_eq!(p.share_used_bp, 100); // 1%
                                          // And with nothing at all.
        let p = project(APPROVED, &[], 0, 1).unwrap();
        assert_eq!((p.spent_to_date, p.projected_year_end, p.share_used_bp), (0, 0, 0));
    }

    #[test]
    fn a_current_month_above_the_run_rate_counts_as_decided() {
        // Month 3: 100 and 100 completed, 150 already decided in the current month.
        let p = project(APPROVED, &[100_000_000, 100_000_000, 150_000_000], 0, 3).unwrap();
        // 200 + 150 (not the run rate of 100) + 100 × 9.
        assert_eq!(p.projected_year_end, 200_000_000 + 150_000_000 + 900_000_000);
        assert_eq!(p.projected_variance, 50_000_000);
    }

    #[test]
    fn over_budget_spending_leaves_a_negative_remainder() {
        // Month 11 (بهمن): 10 completed months at 130 million = 1.3 billion, over already.
        let mut months = vec![130_000_000; 10];
        months.push(20_000_000);
        let p = project(APPROVED, &months, 10_000_000, 11).unwrap();
        assert_eq!(p.spent_to_date, 1_320_000_000);
        assert_eq!(p.remaining, -120_000_000);
        assert_eq!(p.available, -130_000_000);
        // 1300 + max(20, 130) + 130 × 1 + 10.
        assert_eq!(p.projected_year_end, 1_300_000_000 + 130_000_000 + 130_000_000 + 10_000_000);
        assert_eq!(p.projected_variance, 370_000_000);
        assert_eq!(p.share_used_bp, 11_000);
        assert!(p.over_budget());
    }

    #[test]
    fn zero_spending_projects_only_the_commitment() {
        let p = project(APPROVED, &[0, 0, 0, 0, 0], 0, 6).unwrap();
        assert_eq!((p.spent_to_date, p.run_rate, p.projected_year_end), (0, 0, 0));
        assert_eq!(p.remaining, APPROVED);
        assert_eq!(p.projected_variance, -APPROVED);
        let p = project(APPROVED, &[], 7_000_000, 6).unwrap();
        assert_eq!(p.projected_year_end, 7_000_000);
    }

    #[test]
    fn the_last_month_projects_itself() {
        // اسفند: eleven completed months at 100, 60 decided so far: 1100 + 100 + 0 after.
        let mut months = vec![100; 11];
        months.push(60);
        let p = project(1_200, &months, 0, 12).unwrap();
        assert_eq!(p.projected_year_end, 1_200);
        assert_eq!(p.projected_variance, 0);
        assert!(!p.over_budget());
    }

    #[test]
    fn wrong_inputs_are_refused() {
        assert_eq!(project(0, &[], 0, 1), Err(ProjectionError::ApprovedNotPositive));
        assert_eq!(project(1, &[], 0, 0), Err(ProjectionError::MonthOutOfRange));
        assert_eq!(project(1, &[], 0, 13), Err(ProjectionError::MonthOutOfRange));
        assert_eq!(
            project(1, &[1, 2, 3], 0, 2),
            Err(ProjectionError::MonthsBeyondCurrent { given: 3, current: 2 })
        );
        assert_eq!(project(1, &[-1], 0, 1), Err(ProjectionError::Negative));
        assert_eq!(project(1, &[], -1, 1), Err(ProjectionError::Negative));
    }

    #[test]
    fn benefits_and_levels_round_trip() {
        for b in Benefit::ALL {
            assert_eq!(Benefit::parse(b.as_str()), Some(b));
            assert!(!b.name_fa().is_empty());
        }
        for l in Level::ALL {
            assert_eq!(Level::parse(l.as_str()), Some(l));
        }
        assert_eq!(Benefit::parse("drugs"), None);
    }
}
