//! Writes to shared rows deferred to the end of the transaction (نوشتن‌های مشترکِ تأخیری).
//!
//! Every claim adds to rows that many claims share: the report aggregates of its office,
//! provider and month, and the head of the audit chain. Written at once, each claim updates
//! those rows several times — six or seven statements — and, on PostgreSQL, holds their row
//! locks from its first update to its commit, so that concurrent writers queue behind each
//! other. Here they are added up in memory instead and written once per transaction, just
//! before its commit, in key order (the same order in every process, so two processes never
//! wait on each other in a cycle).
//!
//! The writer opens the deferral ([`open`]) for each transaction it runs (`db::write_tx`, and
//! a whole group in `db::group_commit`). A group runs each job in a savepoint; the job's part is
//! kept apart ([`job_begin`], [`job_end`]) and merged only if its savepoint was kept, so a
//! failed job leaves nothing behind — exactly as if its rows had been written and rolled back.
//! Outside an open deferral (set-up code that writes without the writer) everything is written
//! at once, as before.
//!
//! The audit events are deferred too: they are chained (seq, previous hash, MAC) and inserted in
//! one statement at the end, so the chain's head row is locked only from there to the commit,
//! not from a transaction's first event. `audit::for_entity` adds the entity's events still
//! waiting here, so a history read inside the transaction is complete.
//!
//! What this asks of the code: nothing reads the report aggregates, `audit_head` or the raw
//! `audit_events` inside the transaction that changes them (reports are read on their own
//! connections; the audit verification reads committed rows); a running month total is read
//! with what is waiting here added (`claims::month_payable`).
//!
//! The state is per thread: a unit of work runs on one thread from its first statement to its
//! commit (the same rule as `store::changes` and the audit key).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::marker::PhantomData;

use diesel::{Connection, QueryResult};

use crate::db::AnyConnection;
use crate::domain::report::{MonthSums, ObjectionSums, ReasonSums, Stage};
use crate::store::audit::AuditEvent;

/// `(office, provider, service month)`.
pub type MonthKey = (String, String, String);
/// `(office, provider, service month, reason)`.
pub type ReasonKey = (String, String, String, String);
/// `(office, provider, month, stage, days)`.
pub type TurnaroundKey = (String, String, String, Stage, i64);
/// `(provider, service month)`.
pub type ProviderMonth = (String, String);

/// Sums waiting to be written.
#[derive(Debug, Default)]
struct Sums {
    months: BTreeMap<MonthKey, MonthSums>,
    reasons: BTreeMap<ReasonKey, ReasonSums>,
    turnaround: BTreeMap<TurnaroundKey, i64>,
    objections: BTreeMap<MonthKey, ObjectionSums>,
    /// The provider's running month totals: (payable, claims).
    month_totals: BTreeMap<ProviderMonth, (i64, i32)>,
    /// Audit events in the order they were appended, not yet chained (no seq, no hash).
    events: Vec<AuditEvent>,
}

impl Sums {
    fn merge(&mut self, other: Sums) {
        for (k, v) in other.months {
            let e = self.months.entry(k).or_default();
            *e = e.plus(v, 1);
        }
        for (k, v) in other.reasons {
            let e = self.reasons.entry(k).or_default();
            e.lines += v.lines;
            e.amount += v.amount;
        }
        for (k, v) in other.turnaround {
            *self.turnaround.entry(k).or_default() += v;
        }
        for (k, v) in other.objections {
            let e = self.objections.entry(k).or_default();
            *e = e.plus(v, 1);
        }
        for (k, (payable, claims)) in other.month_totals {
            let e = self.month_totals.entry(k).or_default();
            e.0 += payable;
            e.1 += claims;
        }
        self.events.extend(other.events);
    }
}

#[derive(Debug, Default)]
struct Deferral {
    /// What the finished (kept) jobs added.
    kept: Sums,
    /// What the running job adds; merged into `kept` when it succeeds.
    job: Sums,
}

thread_local! {
    static OPEN: RefCell<Option<Deferral>> = const { RefCell::new(None) };
}

/// An open deferral; dropping it forgets whatever was not flushed (a transaction that is rolled
/// back, or a panic).
#[must_use = "the deferral is open only while the guard lives"]
pub struct Open {
    /// Whether this guard opened it (an inner `open` while one is open shares the outer one).
    owner: bool,
    _not_send: PhantomData<*const ()>,
}

/// Opens a deferral on this thread for the transaction about to begin.
pub fn open() -> Open {
    let owner = OPEN.with(|o| {
        let mut o = o.borrow_mut();
        if o.is_some() {
            false
        } else {
            *o = Some(Deferral::default());
            true
        }
    });
    Open { owner, _not_send: PhantomData }
}

impl Drop for Open {
    fn drop(&mut self) {
        if self.owner {
            OPEN.with(|o| o.borrow_mut().take());
        }
    }
}

impl Open {
    /// Writes what the transaction deferred (before its commit). On an error the transaction
    /// must be rolled back.
    pub fn flush(&self, conn: &mut AnyConnection) -> QueryResult<()> {
        if !self.owner {
            return Ok(());
        }
        let taken = OPEN.with(|o| {
            o.borrow_mut().as_mut().map(|d| {
                let mut sums = std::mem::take(&mut d.kept);
                sums.merge(std::mem::take(&mut d.job));
                sums
            })
        });
        let Some(mut sums) = taken else { return Ok(()) };
        // In a savepoint, tried again when another writer (a thread of this process, or another
        // process) created one of the rows first or PostgreSQL broke a deadlock by cancelling
        // this statement: the second time the rows exist and are updated.
        let mut attempt = 1;
        loop {
            match conn.transaction(|conn| write(conn, &mut sums)) {
                Err(e) if attempt < FLUSH_ATTEMPTS && lost_a_race(&e) => {
                    tracing::debug!(attempt, error = %e, "shared rows written again");
                    attempt += 1;
                }
                outcome => return outcome,
            }
        }
    }
}

/// How many times a flush is tried at most.
const FLUSH_ATTEMPTS: usize = 3;

/// A unique-key race, a serialization failure or a deadlock: a second try may pass.
fn lost_a_race(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(
            DatabaseErrorKind::UniqueViolation | DatabaseErrorKind::SerializationFailure,
            _,
        ) => true,
        Error::DatabaseError(_, info) => info.message().contains("deadlock detected"),
        _ => false,
    }
}

/// Writes the sums, in key order, and chains the audit events.
fn write(conn: &mut AnyConnection, sums: &mut Sums) -> QueryResult<()> {
    // The provider's month totals first: the rows every claim of the provider shares.
    for ((provider, month), (payable, claims)) in &sums.month_totals {
        crate::store::claims::write_month_total(conn, provider, month, *payable, *claims)?;
    }
    for (k, s) in &sums.months {
        if !s.is_zero() {
            crate::store::reports::write_month(conn, k, *s)?;
        }
    }
    for (k, s) in &sums.reasons {
        if *s != ReasonSums::default() {
            crate::store::reports::write_reason(conn, k, *s)?;
        }
    }
    for (k, n) in &sums.turnaround {
        if *n != 0 {
            crate::store::reports::write_turnaround(conn, k, *n)?;
        }
    }
    for (k, s) in &sums.objections {
        if *s != ObjectionSums::default() {
            crate::store::reports::write_objection(conn, k, *s)?;
        }
    }
    // The audit events last: the head row is locked from here to the commit only.
    crate::store::audit::chain_and_insert(conn, &mut sums.events)
}

/// Whether a deferral is open on this thread.
pub fn is_open() -> bool {
    OPEN.with(|o| o.borrow().is_some())
}

/// A job of a group begins (inside its savepoint).
pub fn job_begin() {
    OPEN.with(|o| {
        if let Some(d) = o.borrow_mut().as_mut() {
            d.job = Sums::default();
        }
    });
}

/// The job ended; `kept` when its savepoint was released, not rolled back.
pub fn job_end(kept: bool) {
    OPEN.with(|o| {
        if let Some(d) = o.borrow_mut().as_mut() {
            let job = std::mem::take(&mut d.job);
            if kept {
                d.kept.merge(job);
            }
        }
    });
}

/// Runs `f` on the open deferral; `None` (and `f` not run) when none is open.
fn with<T>(f: impl FnOnce(&mut Deferral) -> T) -> Option<T> {
    OPEN.with(|o| o.borrow_mut().as_mut().map(f))
}

/// Adds to a month's sums; false when no deferral is open (write at once).
pub fn add_month(key: MonthKey, sums: MonthSums, sign: i64) -> bool {
    with(|d| {
        let e = d.job.months.entry(key).or_default();
        *e = e.plus(sums, sign);
    })
    .is_some()
}

/// Adds to a reason's sums; false when no deferral is open.
pub fn add_reason(key: ReasonKey, sums: ReasonSums, sign: i64) -> bool {
    with(|d| {
        let e = d.job.reasons.entry(key).or_default();
        e.lines += sign * sums.lines;
        e.amount += sign * sums.amount;
    })
    .is_some()
}

/// Counts turnaround events; false when no deferral is open.
pub fn add_turnaround(key: TurnaroundKey, n: i64) -> bool {
    with(|d| *d.job.turnaround.entry(key).or_default() += n).is_some()
}

/// Adds to an objection month; false when no deferral is open.
pub fn add_objection(key: MonthKey, sums: ObjectionSums, sign: i64) -> bool {
    with(|d| {
        let e = d.job.objections.entry(key).or_default();
        *e = e.plus(sums, sign);
    })
    .is_some()
}

/// Adds a claim to its provider's running month total; false when no deferral is open.
pub fn add_month_total(key: ProviderMonth, payable: i64, claims: i32) -> bool {
    with(|d| {
        let e = d.job.month_totals.entry(key).or_default();
        e.0 += payable;
        e.1 += claims;
    })
    .is_some()
}

/// What this transaction has added to a provider's month and not written yet.
pub fn pending_month_payable(key: &ProviderMonth) -> i64 {
    with(|d| d.kept.month_totals.get(key).map_or(0, |e| e.0) + d.job.month_totals.get(key).map_or(0, |e| e.0))
        .unwrap_or(0)
}

/// An audit event to chain and insert at the end; given back when no deferral is open (to be
/// inserted at once).
pub fn add_audit_event(event: AuditEvent) -> Option<Box<AuditEvent>> {
    OPEN.with(|o| match o.borrow_mut().as_mut() {
        Some(d) => {
            d.job.events.push(event);
            None
        }
        None => Some(Box::new(event)),
    })
}

/// The events of `entity` appended in this transaction and not inserted yet, oldest first.
pub fn audit_events_of(entity: &str, entity_id: &str) -> Vec<AuditEvent> {
    with(|d| {
        d.kept
            .events
            .iter()
            .chain(&d.job.events)
            .filter(|e| e.entity == entity && e.entity_id == entity_id)
            .cloned()
            .collect()
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(p: &str) -> MonthKey {
        ("o".into(), p.into(), "1403-07".into())
    }

    fn sums(claims: i64) -> MonthSums {
        MonthSums { claims, ..Default::default() }
    }

    fn kept_months() -> BTreeMap<MonthKey, MonthSums> {
        OPEN.with(|o| o.borrow().as_ref().map(|d| d.kept.months.clone()).unwrap_or_default())
    }

    fn event(entity_id: &str) -> AuditEvent {
        AuditEvent {
            seq: 0,
            at: chrono::NaiveDateTime::default(),
            actor_id: None,
            actor_name: "t".into(),
            actor_role: "system".into(),
            entity: "claim".into(),
            entity_id: entity_id.into(),
            action: "submitted".into(),
            before_state: None,
            after_state: None,
            prev_hash: String::new(),
            hash: String::new(),
            mac: None,
        }
    }

    #[test]
    fn nothing_is_deferred_without_an_open_deferral() {
        assert!(!is_open());
        assert!(!add_month(key("p"), sums(1), 1));
        assert!(add_audit_event(event("c")).is_some());
    }

    #[test]
    fn a_failed_job_leaves_nothing_and_a_kept_one_adds_up() {
        let open = open();
        job_begin();
        assert!(add_month(key("p"), sums(1), 1));
        assert!(add_audit_event(event("a")).is_none());
        job_end(true);
        job_begin();
        assert!(add_month(key("p"), sums(7), 1));
        assert!(add_month(key("q"), sums(1), 1));
        assert!(add_audit_event(event("b")).is_none());
        assert_eq!(audit_events_of("claim", "b").len(), 1, "the running job's events are seen");
        job_end(false);
        job_begin();
        assert!(add_month(key("p"), sums(2), -1));
        job_end(true);
        assert_eq!(kept_months(), BTreeMap::from([(key("p"), sums(-1))]));
        assert_eq!(audit_events_of("claim", "a").len(), 1);
        assert!(audit_events_of("claim", "b").is_empty(), "the failed job's event is gone");
        // A second guard while one is open shares it and does not close it.
        drop(self::open());
        assert!(is_open());
        drop(open);
        assert!(!is_open());
    }
}
