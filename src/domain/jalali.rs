//! Jalali (Solar Hijri, هجری شمسی) dates.
//!
//! Dates are stored Gregorian; tariff years, settlement months and reports follow the Jalali
//! calendar, whose year starts on 1 Farvardin (the March equinox). Conversion is ICU4X's
//! `icu_calendar` Persian calendar, whose leap years match the astronomical calculation
//! (Tehran meridian) for 1178–3000 AP — more exact than the 33-year arithmetic rule.

use chrono::{Datelike, NaiveDate};
use icu_calendar::cal::{Iso, Persian};
use icu_calendar::Date;

use crate::domain::text::ascii_digits;

/// A valid Jalali date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JalaliDate {
    year: i32,
    month: u8,
    day: u8,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("expected a date as YYYY-MM-DD (Gregorian, e.g. 2024-10-06) or Jalali (e.g. 1403-07-15 or 1403/07/15)")]
    Format,
    #[error("{0} is not a valid date")]
    Invalid(String),
}

/// The years this service accepts. Outside them ICU still converts, but no document of the
/// Organization can be dated there; rejecting early catches typos like 14033-07-15.
pub const MIN_YEAR: i32 = 1300;
pub const MAX_YEAR: i32 = 1600;

impl JalaliDate {
    pub fn new(year: i32, month: u8, day: u8) -> Result<Self, DateError> {
        let invalid = || DateError::Invalid(format!("{year:04}-{month:02}-{day:02}"));
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) || !(1..=12).contains(&month) || day == 0 {
            return Err(invalid());
        }
        if day > days_in_month(year, month) {
            return Err(invalid());
        }
        Ok(Self { year, month, day })
    }

    pub fn year(self) -> i32 {
        self.year
    }
    pub fn month(self) -> u8 {
        self.month
    }
    pub fn day(self) -> u8 {
        self.day
    }

    pub fn from_gregorian(date: NaiveDate) -> Self {
        // The ISO date of a chrono NaiveDate is always constructible (same proleptic calendar).
        let iso = Date::try_new_iso(date.year(), date.month() as u8, date.day() as u8)
            .unwrap_or_else(|_| Date::try_new_iso(2000, 1, 1).expect("a fixed valid date"));
        let p = iso.to_calendar(Persian);
        Self { year: p.year().extended_year(), month: p.month().ordinal, day: p.day_of_month().0 }
    }

    pub fn to_gregorian(self) -> NaiveDate {
        let iso = Date::try_new_persian(self.year, self.month, self.day)
            .map(|d| d.to_calendar(Iso))
            .unwrap_or_else(|_| Date::try_new_iso(2000, 1, 1).expect("a fixed valid date"));
        NaiveDate::from_ymd_opt(
            iso.year().extended_year(),
            iso.month().ordinal as u32,
            iso.day_of_month().0 as u32,
        )
        .unwrap_or_default()
    }

    /// Parses `1403-07-15` or `1403/07/15`, with ASCII, Persian or Arabic-Indic digits.
    pub fn parse(s: &str) -> Result<Self, DateError> {
        let s = ascii_digits(s.trim());
        let parts: Vec<&str> = if s.contains('/') { s.split('/').collect() } else { s.split('-').collect() };
        let [y, m, d] = parts.as_slice() else {
            return Err(DateError::Format);
        };
        let num = |p: &str, max_len: usize| -> Result<u32, DateError> {
            if p.is_empty() || p.len() > max_len || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(DateError::Format);
            }
            p.parse().map_err(|_| DateError::Format)
        };
        let (y, m, d) = (num(y, 4)?, num(m, 2)?, num(d, 2)?);
        Self::new(y as i32, m as u8, d as u8)
    }

    /// First day of this date's month.
    pub fn first_of_month(self) -> Self {
        Self { day: 1, ..self }
    }

    /// Last day of this date's month.
    pub fn last_of_month(self) -> Self {
        Self { day: days_in_month(self.year, self.month), ..self }
    }

    /// 1 Farvardin of `year`, in Gregorian.
    pub fn year_start(year: i32) -> NaiveDate {
        Self { year, month: 1, day: 1 }.to_gregorian()
    }
}

impl std::fmt::Display for JalaliDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Iran's offset from UTC (no daylight saving since 1401): stored times are UTC, people read
/// them in Tehran time, so a claim received at 22:00 UTC belongs to the next Jalali day.
const TEHRAN_OFFSET_MINUTES: i64 = 3 * 60 + 30;

/// A stored UTC instant in Tehran time.
pub fn tehran(at: chrono::NaiveDateTime) -> chrono::NaiveDateTime {
    at + chrono::Duration::minutes(TEHRAN_OFFSET_MINUTES)
}

/// Esfand has 30 days in a leap year.
pub fn is_leap_year(year: i32) -> bool {
    Date::try_new_persian(year, 1, 1).map(|d| d.is_in_leap_year()).unwrap_or(false)
}

/// Months 1–6 have 31 days, 7–11 have 30, Esfand 29 (30 in a leap year).
pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1..=6 => 31,
        7..=11 => 30,
        12 if is_leap_year(year) => 30,
        12 => 29,
        _ => 0,
    }
}

/// A date as the API accepts it: ISO `2024-10-06`, or Jalali `1403-07-15` / `1403/07/15`
/// Whether `s` is a Jalali month as `YYYY-MM` (service months, settlement periods).
pub fn is_month(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || c.is_ascii_digit())
        && (1..=12).contains(&s[5..].parse::<u8>().unwrap_or(0))
}

/// (a year below 1700 is Jalali), with any digits.
pub fn parse_date(s: &str) -> Result<NaiveDate, DateError> {
    let ascii = ascii_digits(s.trim());
    let year: i32 = ascii
        .split(['-', '/'])
        .next()
        .filter(|y| !y.is_empty() && y.len() <= 4 && y.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|y| y.parse().ok())
        .ok_or(DateError::Format)?;
    if year < 1700 {
        return JalaliDate::parse(&ascii).map(JalaliDate::to_gregorian);
    }
    if ascii.contains('/') {
        return Err(DateError::Format);
    }
    NaiveDate::parse_from_str(&ascii, "%Y-%m-%d").map_err(|_| DateError::Invalid(ascii.clone())).and_then(
        |d| {
            if (1921..=2221).contains(&d.year()) {
                Ok(d)
            } else {
                Err(DateError::Invalid(ascii))
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn golden_new_years() {
        assert_eq!(JalaliDate::new(1403, 1, 1).unwrap().to_gregorian(), g(2024, 3, 20));
        assert_eq!(JalaliDate::new(1404, 1, 1).unwrap().to_gregorian(), g(2025, 3, 21));
        assert_eq!(JalaliDate::new(1404, 1, 7).unwrap().to_gregorian(), g(2025, 3, 27));
        assert_eq!(JalaliDate::from_gregorian(g(2024, 3, 20)).to_string(), "1403-01-01");
        assert_eq!(JalaliDate::from_gregorian(g(2024, 10, 6)).to_string(), "1403-07-15");
        assert_eq!(JalaliDate::from_gregorian(g(2026, 11, 23)).to_string(), "1405-09-02");
    }

    #[test]
    fn leap_esfand() {
        assert!(JalaliDate::new(1403, 12, 30).is_ok(), "1403 is a leap year");
        assert_eq!(JalaliDate::new(1403, 12, 30).unwrap().to_gregorian(), g(2025, 3, 20));
        assert!(JalaliDate::new(1404, 12, 30).is_err(), "1404 is not");
        assert!(is_leap_year(1403) && !is_leap_year(1404) && !is_leap_year(1405));
        assert_eq!(JalaliDate::new(1404, 12, 1).unwrap().last_of_month().day(), 29);
    }

    #[test]
    fn parses_every_spelling() {
        let want = JalaliDate::new(1403, 7, 15).unwrap();
        assert_eq!(JalaliDate::parse("1403-07-15").unwrap(), want);
        assert_eq!(JalaliDate::parse("1403/7/15").unwrap(), want);
        assert_eq!(JalaliDate::parse("۱۴۰۳/۰۷/۱۵").unwrap(), want);
        assert_eq!(JalaliDate::parse("١٤٠٣-٠٧-١٥").unwrap(), want);
        assert!(JalaliDate::parse("1403-13-01").is_err());
        assert!(JalaliDate::parse("1403-07-32").is_err());
        assert!(JalaliDate::parse("1403-07").is_err());
        assert!(JalaliDate::parse("14a3-07-01").is_err());
    }

    #[test]
    fn api_dates_accept_both_calendars() {
        assert_eq!(parse_date("2024-10-06").unwrap(), g(2024, 10, 6));
        assert_eq!(parse_date("1403-07-15").unwrap(), g(2024, 10, 6));
        assert_eq!(parse_date("۱۴۰۳/۰۷/۱۵").unwrap(), g(2024, 10, 6));
        assert!(parse_date("2024/10/06").is_err());
        assert!(parse_date("2024-02-30").is_err());
        assert!(parse_date("yesterday").is_err());
        assert!(parse_date("").is_err());
    }

    #[test]
    fn month_boundaries() {
        let d = JalaliDate::new(1403, 6, 15).unwrap();
        assert_eq!(d.first_of_month().to_string(), "1403-06-01");
        assert_eq!(d.last_of_month().to_string(), "1403-06-31");
        assert_eq!(JalaliDate::new(1403, 7, 9).unwrap().last_of_month().day(), 30);
        assert_eq!(JalaliDate::year_start(1405), g(2026, 3, 21));
    }

    /// Every day of 1300–1500: Jalali → Gregorian → Jalali is the identity, consecutive
    /// Jalali days are consecutive Gregorian days, and every year has 365 or 366 days.
    #[test]
    fn round_trip_1300_to_1500() {
        let mut previous: Option<NaiveDate> = None;
        for year in 1300..=1500 {
            let mut days = 0;
            for month in 1..=12u8 {
                for day in 1..=days_in_month(year, month) {
                    let j = JalaliDate::new(year, month, day).unwrap();
                    let greg = j.to_gregorian();
                    assert_eq!(JalaliDate::from_gregorian(greg), j);
                    if let Some(p) = previous {
                        assert_eq!(greg - p, chrono::Duration::days(1), "after {j}");
                    }
                    previous = Some(greg);
                    days += 1;
                }
            }
            assert!(days == 365 || days == 366, "{year}: {days}");
            assert_eq!(days == 366, is_leap_year(year));
        }
    }

    #[test]
    fn months_are_yyyy_mm() {
        assert!(is_month("1403-07") && is_month("1403-12"));
        assert!(!is_month("1403-13") && !is_month("1403-00") && !is_month("1403-7"));
        assert!(!is_month("۱۴۰۳-07") && !is_month("14a3-07") && !is_month("1403/07"));
    }
}
