//! The report aggregates (`report_months`, `report_deductions`, `report_turnaround`): adding a
//! claim's contribution (with a sign: −1 takes it away) inside the writer's transaction, and
//! reading the aggregates under a filter. What a contribution is: `domain::report`.

use std::collections::BTreeMap;

use diesel::prelude::*;

use crate::db::schema::{
    offices, providers, report_deductions, report_months, report_objections, report_turnaround,
    report_turnaround_providers,
};
use crate::db::AnyConnection;
use crate::domain::record_ids::{OfficeId, ProviderId};
use crate::domain::report::{
    Contribution, MonthSums, ObjectionContribution, ObjectionSums, ReasonSums, Stage,
};
use crate::store::deferred;

/// Adds `sign × c` to the aggregates: deferred to the end of the transaction when the writer
/// opened a deferral (`store::deferred`), written at once otherwise.
pub fn apply(conn: &mut AnyConnection, c: &Contribution, sign: i64) -> QueryResult<()> {
    let key = (c.office_id.clone(), c.provider_id.clone(), c.service_month.clone());
    if !deferred::add_month(key.clone(), c.sums, sign) {
        write_month(conn, &key, MonthSums::default().plus(c.sums, sign))?;
    }
    for (reason, r) in &c.reasons {
        let key = (key.0.clone(), key.1.clone(), key.2.clone(), reason.clone());
        if !deferred::add_reason(key.clone(), *r, sign) {
            write_reason(conn, &key, ReasonSums { lines: sign * r.lines, amount: sign * r.amount })?;
        }
    }
    Ok(())
}

/// Adds `s` to a row of `report_months`. Rows are created on first use (update, then insert
/// when nothing was updated: on PostgreSQL two first claims of a month in two processes may race
/// to create a row, and the loser's transaction fails and is tried again by the writer, as
/// `claims::add_to_month`).
pub fn write_month(conn: &mut AnyConnection, key: &deferred::MonthKey, s: MonthSums) -> QueryResult<()> {
    let key = (key.0.as_str(), key.1.as_str(), key.2.as_str());
    use report_months as m;
    let updated = diesel::update(m::table.find(key))
        .set((
            m::claims.eq(m::claims + s.claims),
            m::lines.eq(m::lines + s.lines),
            m::billed.eq(m::billed + s.billed),
            m::insurer_payable.eq(m::insurer_payable + s.insurer_payable),
            m::patient_share.eq(m::patient_share + s.patient_share),
            m::patient_gap.eq(m::patient_gap + s.patient_gap),
            m::deducted.eq(m::deducted + s.deducted),
            m::decided.eq(m::decided + s.decided),
            m::rejected.eq(m::rejected + s.rejected),
            m::pending.eq(m::pending + s.pending),
            m::pending_billed.eq(m::pending_billed + s.pending_billed),
            m::pending_payable.eq(m::pending_payable + s.pending_payable),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(m::table)
            .values((
                m::office_id.eq(key.0),
                m::provider_id.eq(key.1),
                m::service_month.eq(key.2),
                m::claims.eq(s.claims),
                m::lines.eq(s.lines),
                m::billed.eq(s.billed),
                m::insurer_payable.eq(s.insurer_payable),
                m::patient_share.eq(s.patient_share),
                m::patient_gap.eq(s.patient_gap),
                m::deducted.eq(s.deducted),
                m::decided.eq(s.decided),
                m::rejected.eq(s.rejected),
                m::pending.eq(s.pending),
                m::pending_billed.eq(s.pending_billed),
                m::pending_payable.eq(s.pending_payable),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Adds `r` to a row of `report_deductions` (update, then insert, as [`write_month`]).
pub fn write_reason(conn: &mut AnyConnection, key: &deferred::ReasonKey, r: ReasonSums) -> QueryResult<()> {
    use report_deductions as d;
    let key = (key.0.as_str(), key.1.as_str(), key.2.as_str(), key.3.as_str());
    let updated = diesel::update(d::table.find(key))
        .set((d::lines.eq(d::lines + r.lines), d::amount.eq(d::amount + r.amount)))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(d::table)
            .values((
                d::office_id.eq(key.0),
                d::provider_id.eq(key.1),
                d::service_month.eq(key.2),
                d::reason.eq(key.3),
                d::lines.eq(r.lines),
                d::amount.eq(r.amount),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Counts `n` events of `stage` that took `days`, in the `month` of the provider's `office_id`:
/// once in the office's histogram (what the dashboards read) and once in the provider's (what a
/// provider or provider-kind filter reads). Both are written by [`write_turnaround`] and nowhere
/// else, so they always hold the same events (`services::reports::verify` checks it). Deferred
/// as [`apply`].
pub fn add_turnaround(
    conn: &mut AnyConnection,
    office_id: &str,
    provider_id: &str,
    month: &str,
    stage: Stage,
    days: i64,
    n: i64,
) -> QueryResult<()> {
    let key = (office_id.to_string(), provider_id.to_string(), month.to_string(), stage, days);
    if !deferred::add_turnaround(key.clone(), n) {
        write_turnaround(conn, &key, n)?;
    }
    Ok(())
}

/// Adds `n` to both turnaround histograms (see [`add_turnaround`]).
pub fn write_turnaround(conn: &mut AnyConnection, key: &deferred::TurnaroundKey, n: i64) -> QueryResult<()> {
    let (office_id, provider_id, month, stage, days) =
        (key.0.as_str(), key.1.as_str(), key.2.as_str(), key.3, key.4);
    use report_turnaround as t;
    let key = (office_id, month, stage.as_str(), days);
    let updated = diesel::update(t::table.find(key)).set(t::claims.eq(t::claims + n)).execute(conn)?;
    if updated == 0 {
        diesel::insert_into(t::table)
            .values((
                t::office_id.eq(office_id),
                t::month.eq(month),
                t::stage.eq(stage.as_str()),
                t::days.eq(days),
                t::claims.eq(n),
            ))
            .execute(conn)?;
    }
    use report_turnaround_providers as tp;
    let key = (provider_id, month, stage.as_str(), days, office_id);
    let updated = diesel::update(tp::table.find(key)).set(tp::claims.eq(tp::claims + n)).execute(conn)?;
    if updated == 0 {
        // A new row copies the provider's kind (kept up to date by `provider_kind_changed`).
        let kind: String = providers::table
            .find(provider_id)
            .select(providers::kind)
            .first(conn)
            .optional()?
            .unwrap_or_default();
        diesel::insert_into(tp::table)
            .values((
                tp::provider_id.eq(provider_id),
                tp::month.eq(month),
                tp::stage.eq(stage.as_str()),
                tp::days.eq(days),
                tp::office_id.eq(office_id),
                tp::provider_kind.eq(kind),
                tp::claims.eq(n),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Adds `sign × c` to `report_objections`, deferred as [`apply`].
pub fn apply_objection(conn: &mut AnyConnection, c: &ObjectionContribution, sign: i64) -> QueryResult<()> {
    let key = (c.office_id.clone(), c.provider_id.clone(), c.service_month.clone());
    if !deferred::add_objection(key.clone(), c.sums, sign) {
        write_objection(conn, &key, ObjectionSums::default().plus(c.sums, sign))?;
    }
    Ok(())
}

/// Adds `s` to a row of `report_objections` (update, then insert, as [`write_month`]).
pub fn write_objection(
    conn: &mut AnyConnection,
    key: &deferred::MonthKey,
    s: ObjectionSums,
) -> QueryResult<()> {
    use report_objections as o;
    let key = (key.0.as_str(), key.1.as_str(), key.2.as_str());
    let updated = diesel::update(o::table.find(key))
        .set((
            o::objections.eq(o::objections + s.objections),
            o::decided.eq(o::decided + s.decided),
            o::upheld.eq(o::upheld + s.upheld),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(o::table)
            .values((
                o::office_id.eq(key.0),
                o::provider_id.eq(key.1),
                o::service_month.eq(key.2),
                o::objections.eq(s.objections),
                o::decided.eq(s.decided),
                o::upheld.eq(s.upheld),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Empties the aggregates (before a rebuild).
pub fn clear(conn: &mut AnyConnection) -> QueryResult<()> {
    diesel::delete(report_deductions::table).execute(conn)?;
    diesel::delete(report_months::table).execute(conn)?;
    diesel::delete(report_turnaround::table).execute(conn)?;
    diesel::delete(report_turnaround_providers::table).execute(conn)?;
    diesel::delete(report_objections::table).execute(conn)?;
    Ok(())
}

/// Which aggregates a report reads: the caller's reach and the report's filters, each optional.
#[derive(Clone, Debug, Default)]
pub struct ReportFilter {
    /// The caller's reach: `None` for all.
    pub offices_of_province: Option<i32>,
    pub office_id: Option<OfficeId>,
    pub provider_id: Option<ProviderId>,
    /// The provider's kind (`hospital`, `clinic`, …).
    pub provider_kind: Option<String>,
    /// Jalali `YYYY-MM`, inclusive.
    pub from_month: Option<String>,
    pub to_month: Option<String>,
}

/// A row of `report_months`.
#[derive(Clone, Debug, Queryable)]
pub struct MonthRow {
    pub office_id: String,
    pub provider_id: String,
    pub service_month: String,
    pub sums: MonthSums,
}

/// A row of `report_deductions`.
#[derive(Clone, Debug, Queryable)]
pub struct DeductionRow {
    pub office_id: String,
    pub provider_id: String,
    pub service_month: String,
    pub reason: String,
    pub sums: ReasonSums,
}

impl diesel::Queryable<(diesel::sql_types::BigInt, diesel::sql_types::BigInt), crate::store::scope::Db>
    for ReasonSums
{
    type Row = (i64, i64);
    fn build((lines, amount): (i64, i64)) -> diesel::deserialize::Result<Self> {
        Ok(ReasonSums { lines, amount })
    }
}

type SumsSql = (
    diesel::sql_types::BigInt,
    diesel::sql_types::BigInt,
    diesel::sql_types::BigInt,
    diesel::sql_types::BigInt,
    diesel::sql_types::BigInt,
    diesel::sql_types::BigInt,
    diesel::sql_types::BigInt,
    diesel::sql_types::BigInt,
    diesel::sql_types::BigInt,
    diesel::sql_types::BigInt,
    diesel::sql_types::BigInt,
    diesel::sql_types::BigInt,
);

impl diesel::Queryable<SumsSql, crate::store::scope::Db> for MonthSums {
    type Row = (i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64);
    fn build(r: Self::Row) -> diesel::deserialize::Result<Self> {
        Ok(MonthSums {
            claims: r.0,
            lines: r.1,
            billed: r.2,
            insurer_payable: r.3,
            patient_share: r.4,
            patient_gap: r.5,
            deducted: r.6,
            decided: r.7,
            rejected: r.8,
            pending: r.9,
            pending_billed: r.10,
            pending_payable: r.11,
        })
    }
}

macro_rules! filtered {
    ($table:ident, $f:expr) => {
        filtered!($table, $f, $table::table)
    };
    // `$from`: the table, or the table grouped (a boxed query cannot be grouped afterwards).
    ($table:ident, $f:expr, $from:expr) => {{
        let f = $f;
        let mut q = $from.into_boxed();
        if let Some(p) = f.offices_of_province {
            q = q.filter(
                $table::office_id
                    .eq_any(offices::table.filter(offices::province_id.eq(p)).select(offices::id)),
            );
        }
        if let Some(o) = &f.office_id {
            q = q.filter($table::office_id.eq(o.as_str().to_string()));
        }
        if let Some(p) = &f.provider_id {
            q = q.filter($table::provider_id.eq(p.as_str().to_string()));
        }
        if let Some(k) = &f.provider_kind {
            q = q.filter(
                $table::provider_id
                    .eq_any(providers::table.filter(providers::kind.eq(k.clone())).select(providers::id)),
            );
        }
        if let Some(m) = &f.from_month {
            q = q.filter($table::service_month.ge(m.clone()));
        }
        if let Some(m) = &f.to_month {
            q = q.filter($table::service_month.le(m.clone()));
        }
        q
    }};
}

pub fn months(conn: &mut AnyConnection, f: &ReportFilter) -> QueryResult<Vec<MonthRow>> {
    use report_months as m;
    filtered!(report_months, f)
        .select((
            m::office_id,
            m::provider_id,
            m::service_month,
            (
                m::claims,
                m::lines,
                m::billed,
                m::insurer_payable,
                m::patient_share,
                m::patient_gap,
                m::deducted,
                m::decided,
                m::rejected,
                m::pending,
                m::pending_billed,
                m::pending_payable,
            ),
        ))
        .load(conn)
}

pub fn deductions(conn: &mut AnyConnection, f: &ReportFilter) -> QueryResult<Vec<DeductionRow>> {
    use report_deductions as d;
    filtered!(report_deductions, f)
        .select((d::office_id, d::provider_id, d::service_month, d::reason, (d::lines, d::amount)))
        .load(conn)
}

/// The `limit` largest rows of `report_deductions` under the filter, by amount (then by key, so
/// a page is stable), and how many rows the filter selects in all. A country's reason ×
/// provider × month rows run to hundreds of thousands: the report shows the largest and totals
/// the rest in SQL ([`deductions_by_reason`]).
pub fn deductions_top(
    conn: &mut AnyConnection,
    f: &ReportFilter,
    limit: i64,
) -> QueryResult<Vec<DeductionRow>> {
    use report_deductions as d;
    filtered!(report_deductions, f)
        .filter(d::lines.ne(0).or(d::amount.ne(0)))
        .select((d::office_id, d::provider_id, d::service_month, d::reason, (d::lines, d::amount)))
        .order_by((d::amount.desc(), d::reason, d::provider_id, d::service_month, d::office_id))
        .limit(limit)
        .load(conn)
}

/// The deductions by reason under the filter, summed in the database: `(reason, rows, lines,
/// amount)`, where rows counts the (office, provider, month) rows that carry the reason.
pub fn deductions_by_reason(
    conn: &mut AnyConnection,
    f: &ReportFilter,
) -> QueryResult<Vec<(String, i64, i64, i64)>> {
    use diesel::dsl::sql;
    use diesel::sql_types::BigInt;
    use report_deductions as d;
    // CAST: SUM of a BIGINT is NUMERIC on PostgreSQL and INTEGER on SQLite; one type for both.
    let grouped = d::table.group_by(d::reason).select((
        d::reason,
        sql::<BigInt>("CAST(COUNT(*) AS BIGINT)"),
        sql::<BigInt>("CAST(SUM(report_deductions.lines) AS BIGINT)"),
        sql::<BigInt>("CAST(SUM(report_deductions.amount) AS BIGINT)"),
    ));
    filtered!(report_deductions, f, grouped)
        .filter(d::lines.ne(0).or(d::amount.ne(0)))
        .order_by(d::reason)
        .load(conn)
}

/// The turnaround histogram of `stage` under the filter's reach, office, provider, provider kind
/// and months (the month of the event): `(office_id, month, days, claims)`. Without a provider
/// or kind it reads the offices' histogram; with one, the providers' histogram summed in SQL to
/// the same shape (a provider: its primary-key range; a kind: the range of
/// `report_turnaround_providers_kind`, already in the GROUP BY's order).
pub fn turnaround(
    conn: &mut AnyConnection,
    f: &ReportFilter,
    stage: Stage,
) -> QueryResult<Vec<(String, String, i64, i64)>> {
    if f.provider_id.is_some() || f.provider_kind.is_some() {
        return turnaround_of_providers(conn, f, stage);
    }
    use report_turnaround as t;
    let mut q = t::table.filter(t::stage.eq(stage.as_str())).into_boxed();
    if let Some(p) = f.offices_of_province {
        q = q.filter(
            t::office_id.eq_any(offices::table.filter(offices::province_id.eq(p)).select(offices::id)),
        );
    }
    if let Some(o) = &f.office_id {
        q = q.filter(t::office_id.eq(o.as_str().to_string()));
    }
    if let Some(m) = &f.from_month {
        q = q.filter(t::month.ge(m.clone()));
    }
    if let Some(m) = &f.to_month {
        q = q.filter(t::month.le(m.clone()));
    }
    q.select((t::office_id, t::month, t::days, t::claims)).load(conn)
}

fn turnaround_of_providers(
    conn: &mut AnyConnection,
    f: &ReportFilter,
    stage: Stage,
) -> QueryResult<Vec<(String, String, i64, i64)>> {
    use diesel::dsl::sql;
    use diesel::sql_types::BigInt;
    use report_turnaround_providers as tp;
    // CAST: SUM of a BIGINT is NUMERIC on PostgreSQL and INTEGER on SQLite; one type for both.
    let grouped = tp::table.group_by((tp::office_id, tp::month, tp::days)).select((
        tp::office_id,
        tp::month,
        tp::days,
        sql::<BigInt>("CAST(SUM(report_turnaround_providers.claims) AS BIGINT)"),
    ));
    let mut q = grouped.filter(tp::stage.eq(stage.as_str())).into_boxed();
    if let Some(p) = f.offices_of_province {
        q = q.filter(
            tp::office_id.eq_any(offices::table.filter(offices::province_id.eq(p)).select(offices::id)),
        );
    }
    if let Some(o) = &f.office_id {
        q = q.filter(tp::office_id.eq(o.as_str().to_string()));
    }
    if let Some(p) = &f.provider_id {
        q = q.filter(tp::provider_id.eq(p.as_str().to_string()));
    }
    if let Some(k) = &f.provider_kind {
        q = q.filter(tp::provider_kind.eq(k.clone()));
    }
    if let Some(m) = &f.from_month {
        q = q.filter(tp::month.ge(m.clone()));
    }
    if let Some(m) = &f.to_month {
        q = q.filter(tp::month.le(m.clone()));
    }
    q.load(conn)
}

/// Both turnaround histograms summed to `(stage, office_id, month, days) → claims`, the offices'
/// first: they must be equal (`services::reports::verify`).
pub fn turnaround_both(conn: &mut AnyConnection) -> QueryResult<(TurnaroundKeyed, TurnaroundKeyed)> {
    let mut offices_h = TurnaroundKeyed::new();
    let mut providers_h = TurnaroundKeyed::new();
    for stage in [Stage::Decision, Stage::Payment] {
        for (o, m, d, n) in turnaround(conn, &ReportFilter::default(), stage)? {
            *offices_h.entry((stage.as_str().to_string(), o, m, d)).or_default() += n;
        }
        use report_turnaround_providers as tp;
        let rows: Vec<(String, String, i64, i64)> = tp::table
            .filter(tp::stage.eq(stage.as_str()))
            .select((tp::office_id, tp::month, tp::days, tp::claims))
            .load(conn)?;
        for (o, m, d, n) in rows {
            *providers_h.entry((stage.as_str().to_string(), o, m, d)).or_default() += n;
        }
    }
    Ok((offices_h, providers_h))
}

/// A turnaround histogram keyed by `(stage, office_id, month, days)`.
pub type TurnaroundKeyed = BTreeMap<(String, String, String, i64), i64>;

/// The rows of `report_objections` under the filter (the objected claims' office, provider
/// and service month): `(office_id, provider_id, service_month, sums)`.
pub fn objections(
    conn: &mut AnyConnection,
    f: &ReportFilter,
) -> QueryResult<Vec<(String, String, String, ObjectionSums)>> {
    use report_objections as o;
    let rows: Vec<(String, String, String, i64, i64, i64)> = filtered!(report_objections, f)
        .select((o::office_id, o::provider_id, o::service_month, o::objections, o::decided, o::upheld))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(office, provider, month, objections, decided, upheld)| {
            (office, provider, month, ObjectionSums { objections, decided, upheld })
        })
        .collect())
}

/// `report_objections` keyed by (office, provider, month).
pub type KeyedObjections = BTreeMap<(String, String, String), ObjectionSums>;

/// Every `report_objections` row as stored, keyed, for the reconciliation.
pub fn all_objections(conn: &mut AnyConnection) -> QueryResult<KeyedObjections> {
    Ok(objections(conn, &ReportFilter::default())?.into_iter().map(|(o, p, m, s)| ((o, p, m), s)).collect())
}

/// The aggregates keyed: months by (office, provider, month), deductions by (office, provider,
/// month, reason).
pub type Keyed =
    (BTreeMap<(String, String, String), MonthSums>, BTreeMap<(String, String, String, String), ReasonSums>);

/// Every aggregate row as stored, keyed, for the reconciliation (`services::reports::verify`).
pub fn all(conn: &mut AnyConnection) -> QueryResult<Keyed> {
    let months = months(conn, &ReportFilter::default())?
        .into_iter()
        .map(|r| ((r.office_id, r.provider_id, r.service_month), r.sums))
        .collect();
    let deductions = deductions(conn, &ReportFilter::default())?
        .into_iter()
        .map(|r| ((r.office_id, r.provider_id, r.service_month, r.reason), r.sums))
        .collect();
    Ok((months, deductions))
}

/// A provider's kind changed: its turnaround rows follow, so a kind filter reads the providers
/// of that kind now, as every other report does (through `providers`).
pub fn provider_kind_changed(conn: &mut AnyConnection, provider_id: &str, kind: &str) -> QueryResult<usize> {
    use report_turnaround_providers as tp;
    diesel::update(tp::table.filter(tp::provider_id.eq(provider_id)).filter(tp::provider_kind.ne(kind)))
        .set(tp::provider_kind.eq(kind))
        .execute(conn)
}
