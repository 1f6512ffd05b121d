//! What a claim line cost whom, as the insured person reads it in their portal (سهم پرداختی).
//!
//! A line's billed amount is split four ways by the engine and the reviewer: the Organization's
//! payable, the franchise (فرانشیز), the private–government gap (مابه‌التفاوت) and the
//! deductions. Each deduction's reason belongs to a group: the insured's responsibility (`PR`,
//! e.g. R06 not covered, R20 a private room without a medical order) is theirs to pay; a
//! provider write-off (`CO`) or a rejected document (`RJ`) the provider may not charge them for.

use crate::domain::reasons::{Group, Reason};

/// A line's (or a claim's) billed amount by who bears it, rials:
/// `billed = organization + insured + provider_write_off`, and
/// `insured = franchise + gap + insured_deductions`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WhoPays {
    pub billed: i64,
    /// The Organization's payable (سهم سازمان).
    pub organization: i64,
    /// Everything the insured person pays.
    pub insured: i64,
    pub franchise: i64,
    pub gap: i64,
    /// Deductions of the insured-responsibility group (PR).
    pub insured_deductions: i64,
    /// What neither pays: deductions the provider bears (CO) or a rejected document (RJ).
    pub provider_write_off: i64,
}

impl WhoPays {
    /// A line's split: `deducted` is the line's whole deduction, `reasons` its parts by code
    /// (an unknown code counts as the provider's, never as the insured's).
    pub fn of_line(
        billed: i64,
        insurer_payable: i64,
        patient_share: i64,
        patient_gap: i64,
        deducted: i64,
        reasons: &[(&str, i64)],
    ) -> WhoPays {
        let insured_deductions: i64 = reasons
            .iter()
            .filter(|(code, _)| Reason::parse(code).map(|r| r.group()) == Some(Group::InsuredResponsibility))
            .map(|(_, amount)| *amount)
            .sum::<i64>()
            .min(deducted);
        WhoPays {
            billed,
            organization: insurer_payable,
            insured: patient_share + patient_gap + insured_deductions,
            franchise: patient_share,
            gap: patient_gap,
            insured_deductions,
            provider_write_off: deducted - insured_deductions,
        }
    }

    /// The sum of two splits (a claim's total over its lines).
    pub fn plus(self, o: WhoPays) -> WhoPays {
        WhoPays {
            billed: self.billed + o.billed,
            organization: self.organization + o.organization,
            insured: self.insured + o.insured,
            franchise: self.franchise + o.franchise,
            gap: self.gap + o.gap,
            insured_deductions: self.insured_deductions + o.insured_deductions,
            provider_write_off: self.provider_write_off + o.provider_write_off,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_room_difference_is_the_insureds_and_a_write_off_is_not() {
        // 10,000,000 billed: 5,600,000 paid, 1,400,000 franchise, 1,000,000 gap, 1,500,000 R20
        // (the insured's) and 500,000 R07 (the provider's).
        let w = WhoPays::of_line(
            10_000_000,
            5_600_000,
            1_400_000,
            1_000_000,
            2_000_000,
            &[("R20", 1_500_000), ("R07", 500_000)],
        );
        assert_eq!(w.insured, 3_900_000);
        assert_eq!(w.insured_deductions, 1_500_000);
        assert_eq!(w.provider_write_off, 500_000);
        assert_eq!(w.organization + w.insured + w.provider_write_off, w.billed);
    }
}
