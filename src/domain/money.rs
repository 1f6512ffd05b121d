//! Money: whole rials (ریال), never floating point.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// An amount in whole rials. Arithmetic is checked: an overflow is an error, never a wrap.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Rial(pub i64);

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("amount out of range")]
pub struct Overflow;

impl Rial {
    pub const ZERO: Rial = Rial(0);

    pub fn checked_add(self, other: Rial) -> Result<Rial, Overflow> {
        self.0.checked_add(other.0).map(Rial).ok_or(Overflow)
    }

    pub fn checked_sub(self, other: Rial) -> Result<Rial, Overflow> {
        self.0.checked_sub(other.0).map(Rial).ok_or(Overflow)
    }

    /// The one rounding rule of the service: to whole rials, half away from zero.
    pub fn round(amount: Decimal) -> Result<Rial, Overflow> {
        amount
            .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
            .to_i64()
            .map(Rial)
            .ok_or(Overflow)
    }

    pub fn to_decimal(self) -> Decimal {
        Decimal::from(self.0)
    }

    /// `percent` % of this amount, rounded once.
    pub fn percent(self, percent: Decimal) -> Result<Rial, Overflow> {
        let v = self.to_decimal().checked_mul(percent).ok_or(Overflow)? / Decimal::ONE_HUNDRED;
        Rial::round(v)
    }
}

impl std::fmt::Display for Rial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} rial", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(Rial::round(dec!(2.5)).unwrap(), Rial(3));
        assert_eq!(Rial::round(dec!(2.49)).unwrap(), Rial(2));
        assert_eq!(Rial::round(dec!(-2.5)).unwrap(), Rial(-3));
        assert_eq!(Rial(1001).percent(dec!(30)).unwrap(), Rial(300)); // 300.3
        assert_eq!(Rial(1005).percent(dec!(10)).unwrap(), Rial(101)); // 100.5
    }

    #[test]
    fn overflow_is_an_error() {
        assert_eq!(Rial(i64::MAX).checked_add(Rial(1)), Err(Overflow));
        assert!(Rial::round(Decimal::MAX).is_err());
    }
}
