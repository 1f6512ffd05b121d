//! What one claim adds to the report aggregates (جمع‌های ماهانهٔ گزارش): the monthly sums by
//! office, provider and service month, and the deductions by reason. The aggregates are kept in
//! the same transaction as every write of a claim (`store::reports`): a write takes away the
//! claim's contribution as it was and adds it as it is now, so the sums are always exact — and
//! `reports::verify` recounts them from the lines to prove it.
//!
//! Pure: the contribution is a function of the claim's stored amounts, status and lines.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::domain::jalali::JalaliDate;
use crate::domain::lifecycle::claim::ClaimStatus;

/// The claim as the aggregates see it.
#[derive(Clone, Debug)]
pub struct ClaimFacts {
    pub office_id: String,
    pub provider_id: String,
    /// Jalali `YYYY-MM` of the first service date.
    pub service_month: String,
    pub status: ClaimStatus,
    pub billed: i64,
    pub insurer_payable: i64,
    pub patient_share: i64,
    pub patient_gap: i64,
    pub deducted: i64,
    /// Each line's deductions, as `(reason code, amount)`.
    pub lines: Vec<Vec<(String, i64)>>,
}

/// The monthly sums a claim adds to its (office, provider, service month).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MonthSums {
    pub claims: i64,
    pub lines: i64,
    pub billed: i64,
    pub insurer_payable: i64,
    pub patient_share: i64,
    pub patient_gap: i64,
    pub deducted: i64,
    /// Decided claims (approved, partially approved, rejected).
    pub decided: i64,
    pub rejected: i64,
    /// Claims waiting for a person (pended, awaiting the second approval).
    pub pending: i64,
    /// What the waiting claims bill: the Organization's commitment (تعهد) not yet decided.
    pub pending_billed: i64,
    /// What the engine would pay of the waiting claims: the commitment's likely cost.
    pub pending_payable: i64,
}

impl MonthSums {
    /// `self + sign × other`, field by field.
    pub fn plus(self, other: MonthSums, sign: i64) -> MonthSums {
        MonthSums {
            claims: self.claims + sign * other.claims,
            lines: self.lines + sign * other.lines,
            billed: self.billed + sign * other.billed,
            insurer_payable: self.insurer_payable + sign * other.insurer_payable,
            patient_share: self.patient_share + sign * other.patient_share,
            patient_gap: self.patient_gap + sign * other.patient_gap,
            deducted: self.deducted + sign * other.deducted,
            decided: self.decided + sign * other.decided,
            rejected: self.rejected + sign * other.rejected,
            pending: self.pending + sign * other.pending,
            pending_billed: self.pending_billed + sign * other.pending_billed,
            pending_payable: self.pending_payable + sign * other.pending_payable,
        }
    }

    pub fn is_zero(&self) -> bool {
        *self == MonthSums::default()
    }
}

/// A reason's part of a claim: how many of its lines carry it, and for how much.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReasonSums {
    pub lines: i64,
    pub amount: i64,
}

/// What one claim adds to the aggregates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contribution {
    pub office_id: String,
    pub provider_id: String,
    pub service_month: String,
    pub sums: MonthSums,
    /// By reason code.
    pub reasons: BTreeMap<String, ReasonSums>,
}

/// Whether a claim of this status is decided, for the aggregates and the turnaround.
pub fn is_decided(status: ClaimStatus) -> bool {
    ClaimStatus::DECIDED.contains(&status)
}

impl Contribution {
    pub fn of(c: &ClaimFacts) -> Contribution {
        let pending = matches!(c.status, ClaimStatus::Pended | ClaimStatus::AwaitingApproval);
        let mut reasons: BTreeMap<String, ReasonSums> = BTreeMap::new();
        for line in &c.lines {
            // A reason twice on one line is one line of that reason, with both amounts.
            let mut seen: Vec<&str> = Vec::new();
            for (code, amount) in line {
                let r = reasons.entry(code.clone()).or_default();
                r.amount += amount;
                if !seen.contains(&code.as_str()) {
                    r.lines += 1;
                    seen.push(code);
                }
            }
        }
        Contribution {
            office_id: c.office_id.clone(),
            provider_id: c.provider_id.clone(),
            service_month: c.service_month.clone(),
            sums: MonthSums {
                claims: 1,
                lines: c.lines.len() as i64,
                billed: c.billed,
                insurer_payable: c.insurer_payable,
                patient_share: c.patient_share,
                patient_gap: c.patient_gap,
                deducted: c.deducted,
                decided: i64::from(is_decided(c.status)),
                rejected: i64::from(c.status == ClaimStatus::Rejected),
                pending: i64::from(pending),
                pending_billed: if pending { c.billed } else { 0 },
                pending_payable: if pending { c.insurer_payable } else { 0 },
            },
            reasons,
        }
    }
}

/// The stages whose duration the turnaround report measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// Receipt → first decision (دریافت تا تصمیم).
    Decision,
    /// Decision → payment to the provider (تصمیم تا پرداخت).
    Payment,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Decision => "decision",
            Stage::Payment => "payment",
        }
    }

    pub fn parse(s: &str) -> Option<Stage> {
        match s {
            "decision" => Some(Stage::Decision),
            "payment" => Some(Stage::Payment),
            _ => None,
        }
    }
}

/// The Jalali `YYYY-MM` of a day (the month an event is counted in).
pub fn jalali_month(d: NaiveDate) -> String {
    let j = JalaliDate::from_gregorian(d);
    format!("{:04}-{:02}", j.year(), j.month())
}

/// Whole days from `from` to `to` (never negative: a clock set back counts 0).
pub fn days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days().max(0)
}

/// A percentile of a day histogram (`(days, count)`, any order): the smallest day such that at
/// least `p` % of the events took that long or less (the nearest-rank definition: exact on
/// whole days, no interpolation). `None` for an empty histogram.
pub fn percentile(histogram: &[(i64, i64)], p: u32) -> Option<i64> {
    let mut h: Vec<(i64, i64)> = histogram.iter().copied().filter(|(_, n)| *n > 0).collect();
    h.sort_unstable();
    let total: i64 = h.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return None;
    }
    // The nearest rank: ceil(p/100 × N), at least 1.
    let rank = ((i64::from(p) * total + 99) / 100).max(1);
    let mut seen = 0;
    for (days, n) in h {
        seen += n;
        if seen >= rank {
            return Some(days);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(status: ClaimStatus, lines: Vec<Vec<(&str, i64)>>) -> ClaimFacts {
        ClaimFacts {
            office_id: "O".into(),
            provider_id: "P".into(),
            service_month: "1403-07".into(),
            status,
            billed: 1_000_000,
            insurer_payable: 600_000,
            patient_share: 200_000,
            patient_gap: 0,
            deducted: 200_000,
            lines: lines
                .into_iter()
                .map(|l| l.into_iter().map(|(c, a)| (c.to_string(), a)).collect())
                .collect(),
        }
    }

    #[test]
    fn a_claim_counts_its_lines_by_reason_once_each_with_every_amount() {
        let c = Contribution::of(&claim(
            ClaimStatus::PartiallyApproved,
            vec![vec![("R07", 100_000), ("R07", 50_000)], vec![("R07", 20_000), ("R12", 30_000)], vec![]],
        ));
        assert_eq!(c.reasons["R07"], ReasonSums { lines: 2, amount: 170_000 });
        assert_eq!(c.reasons["R12"], ReasonSums { lines: 1, amount: 30_000 });
        assert_eq!((c.sums.claims, c.sums.lines, c.sums.decided, c.sums.pending), (1, 3, 1, 0));
    }

    #[test]
    fn a_waiting_claim_is_commitment_and_taking_it_away_leaves_nothing() {
        let c = Contribution::of(&claim(ClaimStatus::Pended, vec![vec![]]));
        assert_eq!((c.sums.pending, c.sums.pending_billed, c.sums.pending_payable), (1, 1_000_000, 600_000));
        assert_eq!(c.sums.decided, 0);
        assert!(c.sums.plus(c.sums, -1).is_zero());
    }

    #[test]
    fn percentiles_are_nearest_rank_on_whole_days() {
        let h = [(3, 1), (0, 5), (10, 2), (1, 2)];
        // Sorted: 0×5, 1×2, 3×1, 10×2 (10 events).
        assert_eq!(percentile(&h, 50), Some(0));
        assert_eq!(percentile(&h, 60), Some(1));
        assert_eq!(percentile(&h, 80), Some(3));
        assert_eq!(percentile(&h, 90), Some(10));
        assert_eq!(percentile(&h, 100), Some(10));
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[(4, 0)], 50), None);
    }
}

// ---------------------------------------------------------------------------------------------
// Outliers among peers (مراکز پرت نسبت به همتایان)

/// The modified z-score beyond which a provider is flagged (|score| > 3.5), as Iglewicz and
/// Hoaglin recommend: B. Iglewicz, D. C. Hoaglin, *How to Detect and Handle Outliers* (ASQC
/// Basic References in Quality Control, vol. 16, 1993).
pub const OUTLIER_THRESHOLD: rust_decimal::Decimal = rust_decimal::Decimal::from_parts(35, 0, 0, false, 1);

/// The fewest peers (the provider included) a score is computed among. With four or fewer the
/// median and the MAD are each set by one or two providers: a single unusual peer moves them
/// enough to flag — or hide — anyone, so a small office's providers get no score at all rather
/// than a misleading one.
pub const MIN_PEERS: usize = 5;

/// The median of `xs` (the mean of the two middle values for an even count); `None` when empty.
pub fn median(xs: &[rust_decimal::Decimal]) -> Option<rust_decimal::Decimal> {
    let mut v = xs.to_vec();
    v.sort_unstable();
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / rust_decimal::Decimal::TWO),
    }
}

/// The modified z-score (امتیاز z اصلاح‌شده) of `x` among `peers` (which include `x`): how far
/// `x` lies from the peers' median in robust units, `0.6745 · (x − median) / MAD`, where MAD is
/// the median of the absolute deviations from the median (Iglewicz & Hoaglin 1993). Robust:
/// the outlier itself moves neither the median nor the MAD much, unlike a mean and a standard
/// deviation.
///
/// When more than half of the peers share one value the MAD is 0; then the mean absolute
/// deviation from the median (MeanAD) stands in: `(x − median) / (1.253314 · MeanAD)`
/// (1.253314 ≈ √(π/2) makes MeanAD estimate the standard deviation of a normal population, as
/// 1/0.6745 does for the MAD). When that is also 0 every peer has the same value and nobody is
/// unusual: no score. Fewer than [`MIN_PEERS`] peers: no score. Rounded to two decimals (half
/// away from zero).
pub fn modified_z_score(
    x: rust_decimal::Decimal,
    peers: &[rust_decimal::Decimal],
) -> Option<rust_decimal::Decimal> {
    use rust_decimal::Decimal;
    if peers.len() < MIN_PEERS {
        return None;
    }
    let med = median(peers)?;
    let deviations: Vec<Decimal> = peers.iter().map(|p| (*p - med).abs()).collect();
    let mad = median(&deviations)?;
    let score = if !mad.is_zero() {
        Decimal::new(6745, 4) * (x - med) / mad
    } else {
        let mean_ad = deviations.iter().copied().sum::<Decimal>() / Decimal::from(deviations.len() as u64);
        if mean_ad.is_zero() {
            return None;
        }
        (x - med) / (Decimal::new(1_253_314, 6) * mean_ad)
    };
    Some(score.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero))
}

/// Whether a modified z-score marks an outlier: |score| > [`OUTLIER_THRESHOLD`].
pub fn is_outlier(score: rust_decimal::Decimal) -> bool {
    score.abs() > OUTLIER_THRESHOLD
}

#[cfg(test)]
mod outlier_tests {
    use super::*;
    use rust_decimal::Decimal;

    fn d(xs: &[i64]) -> Vec<Decimal> {
        xs.iter().map(|x| Decimal::from(*x)).collect()
    }

    #[test]
    fn one_clear_outlier_is_flagged_and_the_others_are_not() {
        // median 11, deviations 1,1,0,1,1,0,89 → MAD 1; 0.6745 × 89 / 1 = 60.03.
        let peers = d(&[10, 12, 11, 10, 12, 11, 100]);
        assert_eq!(modified_z_score(Decimal::from(100), &peers), Some(Decimal::new(6003, 2)));
        assert!(is_outlier(modified_z_score(Decimal::from(100), &peers).unwrap()));
        for x in [10, 11, 12] {
            let s = modified_z_score(Decimal::from(x), &peers).unwrap();
            assert!(!is_outlier(s), "{x}: {s}");
        }
        assert_eq!(modified_z_score(Decimal::from(10), &peers), Some(Decimal::new(-67, 2)));
    }

    #[test]
    fn a_score_just_at_the_threshold_is_not_flagged_and_just_beyond_it_is() {
        // Peers 8, 8, 10, 12, 12 and x (the largest): median 11, deviations 3, 3, 1, 1, 1 and
        // x − 11 → MAD (1 + 3) / 2 = 2. 0.6745 × (21.378 − 11) / 2 = 3.49998… → 3.50: not
        // beyond 3.5. 0.6745 × (21.4 − 11) / 2 = 3.5074 → 3.51: flagged.
        let score = |x: Decimal| {
            let mut peers = d(&[8, 12, 10, 8, 12]);
            peers.push(x);
            modified_z_score(x, &peers).unwrap()
        };
        let near = score(Decimal::new(21_378, 3));
        assert_eq!(near, Decimal::new(350, 2));
        assert!(!is_outlier(near));
        let beyond = score(Decimal::new(214, 1));
        assert_eq!(beyond, Decimal::new(351, 2));
        assert!(is_outlier(beyond));
        assert!(is_outlier(Decimal::new(-351, 2)));
    }

    #[test]
    fn when_most_peers_agree_the_mean_absolute_deviation_stands_in() {
        // median 10, deviations 0,0,0,0,40 → MAD 0; MeanAD 8; 40 / (1.253314 × 8) = 3.989…
        let peers = d(&[10, 10, 10, 10, 50]);
        let s = modified_z_score(Decimal::from(50), &peers).unwrap();
        assert_eq!(s, Decimal::new(399, 2));
        assert!(is_outlier(s));
        assert_eq!(modified_z_score(Decimal::from(10), &peers), Some(Decimal::ZERO));
        // All equal: MAD and MeanAD are 0 — nobody is unusual, no score.
        assert_eq!(modified_z_score(Decimal::from(7), &d(&[7, 7, 7, 7, 7])), None);
    }

    #[test]
    fn fewer_than_five_peers_get_no_score() {
        assert_eq!(modified_z_score(Decimal::from(100), &d(&[10, 11, 12, 100])), None);
        assert!(modified_z_score(Decimal::from(100), &d(&[10, 11, 12, 10, 100])).is_some());
        assert_eq!(median(&[]), None);
        assert_eq!(median(&d(&[3, 1, 2, 4])), Some(Decimal::new(25, 1)));
    }
}

/// What one objection to deductions (اعتراض به کسورات) adds to `report_objections`, under its
/// claim's office, provider and service month: it was filed; it is decided; it was upheld
/// (پذیرفته), i.e. decided and the applied decision that answered it raised the claim's payable —
/// the provider won something back. A decision that confirms the deduction is not upheld.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ObjectionSums {
    pub objections: i64,
    pub decided: i64,
    pub upheld: i64,
}

impl ObjectionSums {
    /// One objection: `decided` when its status is decided; `raised` when an applied decision
    /// answering it has `payable_after > payable_before`.
    pub fn of(decided: bool, raised: bool) -> ObjectionSums {
        ObjectionSums { objections: 1, decided: i64::from(decided), upheld: i64::from(decided && raised) }
    }

    /// `self + sign × other`, field by field.
    pub fn plus(self, other: ObjectionSums, sign: i64) -> ObjectionSums {
        ObjectionSums {
            objections: self.objections + sign * other.objections,
            decided: self.decided + sign * other.decided,
            upheld: self.upheld + sign * other.upheld,
        }
    }
}

/// An objection's place and weight in `report_objections`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectionContribution {
    pub office_id: String,
    pub provider_id: String,
    pub service_month: String,
    pub sums: ObjectionSums,
}

#[cfg(test)]
mod objection_tests {
    use super::ObjectionSums;

    #[test]
    fn an_objection_is_upheld_only_when_decided_and_raised() {
        assert_eq!(ObjectionSums::of(false, false), ObjectionSums { objections: 1, decided: 0, upheld: 0 });
        // A decision proposed but not yet approved does not uphold the objection.
        assert_eq!(ObjectionSums::of(false, true), ObjectionSums { objections: 1, decided: 0, upheld: 0 });
        assert_eq!(ObjectionSums::of(true, false), ObjectionSums { objections: 1, decided: 1, upheld: 0 });
        assert_eq!(ObjectionSums::of(true, true), ObjectionSums { objections: 1, decided: 1, upheld: 1 });
        let two = ObjectionSums::default()
            .plus(ObjectionSums::of(true, true), 1)
            .plus(ObjectionSums::of(false, false), 1);
        assert_eq!(two.plus(ObjectionSums::of(true, true), -1), ObjectionSums::of(false, false));
    }
}
