//! The service's clock: the one source of "now" and "today" for business rules.
//!
//! Every date a rule compares with, and every timestamp a rule counts from, comes from here:
//! a claim's receipt (`claims.created_at`, from which the objection window of an engine-decided
//! claim runs and the review queue's age is measured), review decisions (`decided_at`, from
//! which the objection window of a reviewed claim runs), objections, samples, monthly lists and
//! their advances, settlements and payment orders (due dates, `days_late`), pre-authorizations,
//! reimbursements, attachment stamps, submission deadlines, and logins (token lifetimes, the
//! lock after repeated failures). So the objection window, advances, overdue settlements and
//! submission deadlines all count from the same "today".
//!
//! With `ASNAD_FIXED_TODAY` the date is pinned and the time of day is the real one (UTC), so
//! that events of one day keep their order. Time cannot pass the pinned day: once the real
//! clock has crossed midnight since the clock was made, `now()` stays at the pinned day's last
//! microsecond — timestamps never go backwards — and a test (or demonstration) moves to a later
//! day by restarting with a later date. Durations that would end after that day (a token's
//! lifetime, a login lock) therefore last until such a restart.
//!
//! The wall clock (`store::now`) remains for what records when the system really did
//! something and that no rule counts from: the audit trail (its events say when a change was
//! actually made, whatever day the service was told it is), the outbox and the mail worker's
//! retry schedule (real seconds of waiting), caches and metrics, and the bookkeeping columns of
//! administrative records (offices, providers and contracts, users as an admin edits them,
//! insured persons, tariff imports).

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    pinned: Option<Pinned>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pinned {
    /// The day the service is told it is.
    date: NaiveDate,
    /// The real (UTC) day on which the clock was made: after it, the pinned day has ended.
    made_on: NaiveDate,
}

impl Clock {
    /// The wall clock (production).
    pub fn system() -> Self {
        Clock { pinned: None }
    }

    /// `fixed_today` pinned (tests, demonstrations), or the wall clock when `None`.
    pub fn new(fixed_today: Option<NaiveDate>) -> Self {
        Clock { pinned: fixed_today.map(|date| Pinned { date, made_on: crate::store::now().date() }) }
    }

    /// Now, UTC, to the microsecond (what both databases store).
    pub fn now(&self) -> NaiveDateTime {
        Self::at(self.pinned, crate::store::now())
    }

    /// Today's date: `now()`'s date.
    pub fn today(&self) -> NaiveDate {
        self.now().date()
    }

    /// The pinned day is real time of day on the pinned date, up to its last microsecond.
    fn at(pinned: Option<Pinned>, real: NaiveDateTime) -> NaiveDateTime {
        match pinned {
            None => real,
            Some(p) if real.date() > p.made_on => p.date.and_time(last_microsecond()),
            Some(p) => p.date.and_time(real.time()),
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

fn last_microsecond() -> NaiveTime {
    NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999).unwrap_or(NaiveTime::MIN)
}

/// A stored timestamp (UTC) as the API and the views show it: RFC 3339, whole seconds, `Z`.
pub fn ts(t: NaiveDateTime) -> String {
    t.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap()
    }

    #[test]
    fn a_pinned_day_keeps_the_real_time_of_day_and_never_goes_back() {
        let p = Some(Pinned { date: "2024-10-10".parse().unwrap(), made_on: "2026-03-01".parse().unwrap() });
        assert_eq!(Clock::at(p, dt("2026-03-01 08:15:00.5")), dt("2024-10-10 08:15:00.5"));
        assert_eq!(Clock::at(p, dt("2026-03-01 23:59:59.25")), dt("2024-10-10 23:59:59.25"));
        // Past midnight the pinned day has ended: its last microsecond, not 00:00 again.
        assert_eq!(Clock::at(p, dt("2026-03-02 00:00:01")), dt("2024-10-10 23:59:59.999999"));
        assert_eq!(Clock::at(None, dt("2026-03-02 00:00:01")), dt("2026-03-02 00:00:01"));
    }

    #[test]
    fn today_is_the_pinned_date() {
        let c = Clock::new(Some("2024-10-10".parse().unwrap()));
        assert_eq!(c.today(), "2024-10-10".parse::<NaiveDate>().unwrap());
        assert_eq!(c.now().date(), c.today());
    }
}
