//! Money: whole rials (ریال), never floating point.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// An amount in whole rials. Arithmetic is checked: an overflow is an error, never a wrap.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
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

/// The one accepted written form of a decimal (quantities, percentages, rates): a JSON string of
/// digits with an optional fraction — `"2"`, `"0.5"`, `"12.75"`, optionally negative — or a
/// JSON integer. Exponents (`"1e5"`), signs other than `-`, spaces, and JSON fractions (`1.5`,
/// whose binary value is not the decimal written) are refused, so a value is read exactly as
/// a person reads it. Use with `#[serde(deserialize_with = "plain_decimal::required")]` (or
/// `optional` for an `Option<Decimal>` with `#[serde(default)]`).
pub mod plain_decimal {
    use rust_decimal::Decimal;
    use serde::de::{Error, Unexpected, Visitor};
    use serde::{Deserialize, Deserializer};

    const EXPECTED: &str = "a decimal written as a string of digits with an optional fraction, e.g. \"1.5\"";

    /// Parses the plain form; `None` for anything else.
    pub fn parse(s: &str) -> Option<Decimal> {
        let digits = s.strip_prefix('-').unwrap_or(s);
        let (whole, fraction) = match digits.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (digits, None),
        };
        let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(whole) || fraction.is_some_and(|f| !all_digits(f)) {
            return None;
        }
        s.parse().ok()
    }

    struct Plain;

    impl Visitor<'_> for Plain {
        type Value = Decimal;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str(EXPECTED)
        }

        fn visit_str<E: Error>(self, s: &str) -> Result<Decimal, E> {
            parse(s).ok_or_else(|| E::invalid_value(Unexpected::Str(s), &EXPECTED))
        }

        fn visit_u64<E: Error>(self, n: u64) -> Result<Decimal, E> {
            Ok(Decimal::from(n))
        }

        fn visit_i64<E: Error>(self, n: i64) -> Result<Decimal, E> {
            Ok(Decimal::from(n))
        }

        fn visit_f64<E: Error>(self, n: f64) -> Result<Decimal, E> {
            Err(E::invalid_type(Unexpected::Float(n), &EXPECTED))
        }
    }

    pub fn required<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        d.deserialize_any(Plain)
    }

    pub fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped(#[serde(deserialize_with = "required")] Decimal);
        Ok(Option::<Wrapped>::deserialize(d)?.map(|w| w.0))
    }

    /// The contract's schemas of such fields: a string of the plain form, or a JSON integer —
    /// exactly what the deserializer accepts (`#[schema(schema_with = plain_decimal::schema::…)]`).
    pub mod schema {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};

        fn either(pattern: &str, min: i64, max: Option<i64>, nullable: bool) -> Schema {
            let mut one_of = OneOfBuilder::new()
                .item(ObjectBuilder::new().schema_type(Type::String).pattern(Some(pattern)))
                .item(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(min)).maximum(max));
            if nullable {
                one_of = one_of.item(ObjectBuilder::new().schema_type(Type::Null));
            }
            Schema::OneOf(one_of.build())
        }

        const QUANTITY: &str = r"^[0-9]{1,6}(\.[0-9]{1,3})?$";
        const DECIMAL: &str = r"^[0-9]+(\.[0-9]+)?$";
        const PERCENT: &str = r"^(100(\.0+)?|[0-9]{1,2}(\.[0-9]+)?)$";

        /// A claim line's quantity: more than 0, at most 100000, at most 3 decimals.
        pub fn quantity() -> Schema {
            either(QUANTITY, 1, Some(100_000), false)
        }

        /// Anaesthesia units, 0–1000, or null.
        pub fn units_or_null() -> Schema {
            either(r"^[0-9]{1,4}(\.[0-9]+)?$", 0, Some(1000), true)
        }

        /// A non-negative decimal (its range is checked by the use case).
        pub fn decimal() -> Schema {
            either(DECIMAL, 0, None, false)
        }

        /// A non-negative decimal, or null.
        pub fn decimal_or_null() -> Schema {
            either(DECIMAL, 0, None, true)
        }

        /// A percentage, 0–100.
        pub fn percent() -> Schema {
            either(PERCENT, 0, Some(100), false)
        }

        /// A percentage, 0–100, or null.
        pub fn percent_or_null() -> Schema {
            either(PERCENT, 0, Some(100), true)
        }
    }
}

/// Rials grouped in thousands for people to read: `1234567` → `1,234,567`; `-1000` → `-1,000`.
/// The console, the e-mails and the command line all write amounts this way.
pub fn group_thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands_with_the_sign_kept() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1000), "1,000");
        assert_eq!(group_thousands(-1234567), "-1,234,567");
    }
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

    #[test]
    fn decimals_are_read_in_their_plain_form_only() {
        use super::plain_decimal::parse;
        assert_eq!(parse("2"), Some(Decimal::from(2)));
        assert_eq!(parse("0.50"), Some(Decimal::new(50, 2)));
        assert_eq!(parse("-1.5"), Some(Decimal::new(-15, 1)));
        for bad in ["1e5", "1E5", "+1", " 1", "1.", ".5", "", "-", "1,5", "0x10", "۱"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        #[derive(Deserialize)]
        struct Q {
            #[serde(deserialize_with = "super::plain_decimal::required")]
            q: Decimal,
            #[serde(default, deserialize_with = "super::plain_decimal::optional")]
            o: Option<Decimal>,
        }
        let q: Q = serde_json::from_str(r#"{"q": 3, "o": "0.25"}"#).unwrap();
        assert_eq!((q.q, q.o), (Decimal::from(3), Some(Decimal::new(25, 2))));
        let q: Q = serde_json::from_str(r#"{"q": "1", "o": null}"#).unwrap();
        assert_eq!(q.o, None);
        assert!(serde_json::from_str::<Q>(r#"{"q": "1e5"}"#).is_err());
        assert!(serde_json::from_str::<Q>(r#"{"q": 1.5}"#).is_err());
    }
}
