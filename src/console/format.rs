//! How the console writes numbers and dates for a Persian reader: the view models carry these
//! types, and the templates print them. Latin digits throughout (the fallback fonts draw
//! Persian digits proportional, which breaks amount columns); amounts grouped by thousands;
//! dates in the Jalali calendar with the Gregorian date beside them for `title` and
//! `<time datetime>`.

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime};

use crate::domain::jalali::JalaliDate;

/// The Jalali months (ماه‌های خورشیدی), Farvardin first.
const MONTHS_FA: [&str; 12] =
    ["فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"];

/// An amount in rials (ریال), written `1,234,567`; whole rials, never rounded here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rials(pub i64);

impl fmt::Display for Rials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&group_thousands(self.0))
    }
}

pub use crate::domain::money::group_thousands;

/// A calendar day as the console shows it: `1403/07/15` in the text, the Gregorian date in
/// `title` and `datetime`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Day {
    /// `1403/07/15`.
    pub jalali: String,
    /// `2024-10-06`, for `<time datetime>`.
    pub iso: String,
    /// `2024-10-06 (Gregorian)` wording for the tooltip: the ISO date is unambiguous to all.
    pub gregorian: String,
}

impl Day {
    pub fn of(date: NaiveDate) -> Day {
        let j = JalaliDate::from_gregorian(date);
        let iso = date.format("%Y-%m-%d").to_string();
        Day {
            jalali: format!("{:04}/{:02}/{:02}", j.year(), j.month(), j.day()),
            gregorian: format!("میلادی: {iso}"),
            iso,
        }
    }

    /// The Tehran day of an RFC 3339 instant as the API's views carry it; a text that is not
    /// one is shown as it is.
    pub fn of_rfc3339(ts: &str) -> Day {
        chrono::DateTime::parse_from_rfc3339(ts)
            .map(|t| Day::of_instant(t.naive_utc()))
            .unwrap_or_else(|_| Day { jalali: ts.to_string(), iso: ts.to_string(), gregorian: String::new() })
    }

    /// The Tehran calendar day of a stored (UTC) instant.
    pub fn of_instant(at: NaiveDateTime) -> Day {
        Day::of(tehran(at).date())
    }
}

pub use crate::domain::jalali::tehran;

/// A Jalali month by name: `مهر 1403`.
pub fn month_name(year: i32, month: u8) -> String {
    let name = MONTHS_FA.get(usize::from(month).wrapping_sub(1)).copied().unwrap_or("?");
    format!("{name} {year}")
}

/// A stored Jalali month `1403-07` by name (`مهر 1403`); the text itself if it is not one.
pub fn service_month(text: &str) -> String {
    let parsed = text
        .split_once('-')
        .and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<u8>().ok()?)))
        .filter(|(_, m)| (1..=12).contains(m));
    match parsed {
        Some((y, m)) => month_name(y, m),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_grouped_by_thousands() {
        assert_eq!(Rials(0).to_string(), "0");
        assert_eq!(Rials(999).to_string(), "999");
        assert_eq!(Rials(1_000).to_string(), "1,000");
        assert_eq!(Rials(1_890_000).to_string(), "1,890,000");
        assert_eq!(Rials(-114_800).to_string(), "-114,800");
        assert_eq!(Rials(i64::MIN).to_string(), "-9,223,372,036,854,775,808");
    }

    #[test]
    fn days_are_jalali_with_the_gregorian_beside() {
        let d = Day::of(NaiveDate::from_ymd_opt(2024, 10, 6).unwrap());
        assert_eq!(d.jalali, "1403/07/15");
        assert_eq!(d.iso, "2024-10-06");
        // 21:00 UTC on 19 March 2024 is already 1 Farvardin 1403 (20 March) in Tehran.
        let nowruz = NaiveDate::from_ymd_opt(2024, 3, 19).unwrap().and_hms_opt(21, 0, 0).unwrap();
        assert_eq!(Day::of_instant(nowruz).jalali, "1403/01/01");
    }

    #[test]
    fn months_are_named() {
        assert_eq!(month_name(1403, 7), "مهر 1403");
        assert_eq!(service_month("1403-12"), "اسفند 1403");
        assert_eq!(service_month("garbage"), "garbage");
    }
}
