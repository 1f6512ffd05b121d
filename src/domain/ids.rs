//! Identifiers whose constructors check them: once you hold one, it is valid.

use serde::Serialize;

use crate::domain::text::normalize_identifier;

/// National code (کد ملی): 10 digits with a mod-11 check digit. Inputs of 8 or 9 digits are
/// left-padded with zeros (leading zeros are often dropped by spreadsheets); all-same digits are
/// rejected although they pass the check. Sources: persian-tools `national_id.dart`,
/// `iran-sso.md` §5.2.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(pattern = r"^[0-9]{10}$")]
pub struct NationalCode(String);

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("must be 8 to 10 digits")]
    Length,
    #[error("must contain only digits")]
    NotDigits,
    #[error("the check digit does not match")]
    Checksum,
    #[error("all digits are the same")]
    Repeated,
    #[error("must start with IR followed by 24 digits")]
    ShebaFormat,
}

impl NationalCode {
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let s = normalize_identifier(input);
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdError::NotDigits);
        }
        if !(8..=10).contains(&s.len()) {
            return Err(IdError::Length);
        }
        let s = format!("{s:0>10}");
        let d: Vec<u32> = s.bytes().map(|b| (b - b'0') as u32).collect();
        if d.iter().all(|x| *x == d[0]) {
            return Err(IdError::Repeated);
        }
        let sum: u32 = (0..9).map(|i| d[i] * (10 - i as u32)).sum();
        let r = sum % 11;
        let ok = if r < 2 { d[9] == r } else { d[9] == 11 - r };
        if ok {
            Ok(Self(s))
        } else {
            Err(IdError::Checksum)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for NationalCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Sheba (شبا), Iran's IBAN: `IR` + 24 digits, ISO 13616 mod-97 check. Spaces and Persian
/// digits in the input are accepted.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(pattern = r"^IR[0-9]{24}$")]
pub struct Sheba(String);

impl Sheba {
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let s: String =
            normalize_identifier(input).chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        let s = s.to_uppercase();
        let digits = s.strip_prefix("IR").ok_or(IdError::ShebaFormat)?;
        if digits.len() != 24 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdError::ShebaFormat);
        }
        // Move "IR" + check digits to the end, letters as numbers (I=18, R=27), mod 97 == 1.
        let rearranged = format!("{}1827{}", &digits[2..], &digits[..2]);
        let rem = rearranged.bytes().fold(0u32, |acc, b| (acc * 10 + (b - b'0') as u32) % 97);
        if rem == 1 {
            Ok(Self(s))
        } else {
            Err(IdError::Checksum)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The Organization's 8-digit insurance number (شماره بیمه).
pub fn parse_insurance_number(input: &str) -> Result<String, IdError> {
    let s = normalize_identifier(input);
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IdError::NotDigits);
    }
    if s.len() != 8 {
        return Err(IdError::Length);
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_codes() {
        // Valid: computed by hand with the mod-11 rule.
        for ok in ["0012345679", "0499370899", "0790419904", "0084575948", "0013542419"] {
            assert!(NationalCode::parse(ok).is_ok(), "{ok}");
        }
        // 8 and 9 digit inputs are left-padded; Persian digits accepted.
        assert_eq!(NationalCode::parse("12345679").unwrap().as_str(), "0012345679");
        assert_eq!(NationalCode::parse("۰۰۱۲۳۴۵۶۷۹").unwrap().as_str(), "0012345679");
        assert_eq!(NationalCode::parse("0012345678"), Err(IdError::Checksum));
        assert_eq!(NationalCode::parse("1111111111"), Err(IdError::Repeated));
        assert_eq!(NationalCode::parse("0000000000"), Err(IdError::Repeated));
        assert_eq!(NationalCode::parse("1234567"), Err(IdError::Length));
        assert_eq!(NationalCode::parse("12345678901"), Err(IdError::Length));
        assert_eq!(NationalCode::parse("00123a5679"), Err(IdError::NotDigits));
    }

    #[test]
    fn sheba_numbers() {
        // Known-valid examples (persian-tools test data).
        assert!(Sheba::parse("IR820540102680020817909002").is_ok());
        assert!(Sheba::parse("IR062960000000100324200001").is_ok());
        assert!(Sheba::parse("ir82 0540 1026 8002 0817 9090 02").is_ok());
        assert_eq!(Sheba::parse("IR820540102680020817909003"), Err(IdError::Checksum));
        assert_eq!(Sheba::parse("IR01234567890123456789012"), Err(IdError::ShebaFormat));
        assert_eq!(Sheba::parse("DE820540102680020817909002"), Err(IdError::ShebaFormat));
    }

    #[test]
    fn insurance_numbers() {
        assert_eq!(parse_insurance_number("۱۲۳۴۵۶۷۸").unwrap(), "12345678");
        assert!(parse_insurance_number("1234567").is_err());
    }
}
