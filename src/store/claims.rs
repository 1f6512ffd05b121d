//! Claims and their lines.

use crate::domain::record_ids::{ClaimId, InsuredId, OfficeId, PreauthId, ProviderId};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable};

use crate::auth::Scope;
use crate::db::schema::{claim_lines, claims, provider_month_totals};
use crate::db::AnyConnection;
use crate::store::deferred;

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = claims)]
pub struct ClaimRow {
    pub id: ClaimId,
    pub provider_id: ProviderId,
    pub office_id: OfficeId,
    pub provider_document_no: String,
    pub insured_national_code: String,
    pub insured_id: Option<InsuredId>,
    pub setting: String,
    pub kind: String,
    pub status: crate::domain::lifecycle::claim::ClaimStatus,
    pub service_month: String,
    pub first_service_date: NaiveDate,
    pub prescription_tracking_code: Option<String>,
    pub prescribed_on: Option<NaiveDate>,
    pub physician_council_no: Option<String>,
    pub diagnoses: String,
    pub admitted_on: Option<NaiveDate>,
    pub discharged_on: Option<NaiveDate>,
    pub work_accident: bool,
    pub accident_report_no: Option<String>,
    pub employer_code: Option<String>,
    pub employer_name: Option<String>,
    pub billed: i64,
    pub tariff: i64,
    pub insurer_payable: i64,
    pub patient_share: i64,
    pub patient_gap: i64,
    pub deducted: i64,
    pub pend_notes: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = claim_lines)]
pub struct LineRow {
    pub claim_id: ClaimId,
    pub line_no: i32,
    pub item_type: String,
    pub code: String,
    pub quantity: String,
    pub approved_quantity: String,
    pub service_date: NaiveDate,
    pub billed: i64,
    pub unit_price: Option<i64>,
    pub anesthesia_units: String,
    pub medical_order: bool,
    pub physician_council_no: Option<String>,
    pub status: crate::domain::lifecycle::claim::LineStatus,
    pub tariff_year: Option<i32>,
    pub tariff_revision: Option<i32>,
    pub tariff_status: Option<String>,
    pub tariff_unit_price: i64,
    pub tariff_amount: i64,
    pub insurer_payable: i64,
    pub patient_share: i64,
    pub patient_gap: i64,
    pub deducted: i64,
    pub cost_sharing_rule: Option<String>,
    pub reasons: String,
    pub pend_reasons: String,
    pub preauthorization_id: Option<PreauthId>,
    /// The claim's provider (the distribution key on Citus).
    pub provider_id: ProviderId,
}

pub fn insert(conn: &mut AnyConnection, claim: &ClaimRow, lines: &[LineRow]) -> QueryResult<()> {
    diesel::insert_into(claims::table).values(claim).execute(conn)?;
    for chunk in lines.chunks(500) {
        match conn {
            AnyConnection::Sqlite(c) => diesel::insert_into(claim_lines::table).values(chunk).execute(c)?,
            AnyConnection::Postgresql(c) => {
                diesel::insert_into(claim_lines::table).values(chunk).execute(c)?
            }
        };
    }
    Ok(())
}

/// A claim by id, whoever asks: for work the system does and for re-reading a claim a use case
/// has already read through [`find_in`].
pub fn find(conn: &mut AnyConnection, id: &ClaimId) -> QueryResult<Option<ClaimRow>> {
    claims::table.find(id).select(ClaimRow::as_select()).first(conn).optional()
}

/// A claim by id if it is in `scope` (else `None`, answered 404).
pub fn find_in(conn: &mut AnyConnection, scope: &Scope, id: &ClaimId) -> QueryResult<Option<ClaimRow>> {
    claims::table
        .find(id)
        .filter(crate::store::scope::claims(scope))
        .select(ClaimRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_document(
    conn: &mut AnyConnection,
    provider_id: &ProviderId,
    document_no: &str,
) -> QueryResult<Option<ClaimRow>> {
    claims::table
        .filter(claims::provider_id.eq(provider_id).and(claims::provider_document_no.eq(document_no)))
        .select(ClaimRow::as_select())
        .first(conn)
        .optional()
}

pub fn lines(conn: &mut AnyConnection, claim_id: &ClaimId) -> QueryResult<Vec<LineRow>> {
    claim_lines::table
        .filter(claim_lines::claim_id.eq(claim_id))
        .select(LineRow::as_select())
        .order(claim_lines::line_no.asc())
        .load(conn)
}

/// A page of every claim by id (the report aggregates' recount reads them all this way).
pub fn page_by_id(
    conn: &mut AnyConnection,
    after: Option<&ClaimId>,
    limit: i64,
) -> QueryResult<Vec<ClaimRow>> {
    let mut q = claims::table.select(ClaimRow::as_select()).order(claims::id.asc()).limit(limit).into_boxed();
    if let Some(a) = after {
        q = q.filter(claims::id.gt(a.clone()));
    }
    q.load(conn)
}

/// The lines of several claims, by claim.
pub fn lines_of(
    conn: &mut AnyConnection,
    ids: &[ClaimId],
) -> QueryResult<std::collections::HashMap<ClaimId, Vec<LineRow>>> {
    let rows: Vec<LineRow> = claim_lines::table
        .filter(claim_lines::claim_id.eq_any(ids))
        .select(LineRow::as_select())
        .order((claim_lines::claim_id.asc(), claim_lines::line_no.asc()))
        .load(conn)?;
    let mut out: std::collections::HashMap<ClaimId, Vec<LineRow>> = std::collections::HashMap::new();
    for l in rows {
        out.entry(l.claim_id.clone()).or_default().push(l);
    }
    Ok(out)
}

/// The waiting statuses as the SQL of `claims_waiting`'s `WHERE` (migration
/// `2026-12-01-020100_claims_waiting`), written from the enum's own text. A literal, not bound
/// parameters: a planner can only use a partial index when the query's condition matches the
/// index's, and `status IN (?, ?)` does not (SQLite compares the expressions, PostgreSQL must
/// prove the implication at planning time, which a generic plan cannot).
pub(crate) fn waiting_sql() -> String {
    use crate::domain::lifecycle::claim::ClaimStatus;
    format!(
        "claims.status IN ('{}', '{}')",
        ClaimStatus::Pended.as_str(),
        ClaimStatus::AwaitingApproval.as_str()
    )
}

/// The claims waiting for a person (pended or awaiting the second approval) under a report's
/// filter, by their age since receipt: `(bucket, claims, billed)`, every bucket present.
///
/// **Read through `claims_waiting` only.** The partial covering index holds the waiting claims
/// alone (≈8 % of them) with every column this needs, so the table is never read. The SQL
/// carries only the status (as the index's literal) and the office or province, the index's
/// first column: with a month or provider condition in it, SQLite's planner preferred
/// `claims_employer_month` or `claims_provider_month` and read the table (0.4–1 s nationally on
/// a million claims). The months, the provider and its kind are filtered here, on the
/// `(provider_id, service_month)` the index returns — at most every waiting claim of the reach.
pub fn backlog_by_age(
    conn: &mut AnyConnection,
    f: &crate::store::reports::ReportFilter,
    today: NaiveDate,
) -> QueryResult<Vec<(&'static str, i64, i64)>> {
    use crate::db::schema::{offices, providers};
    use diesel::sql_types::Bool;
    let mut q = claims::table
        .filter(sql::<Bool>(&waiting_sql()))
        .select((claims::provider_id, claims::service_month, claims::created_at, claims::billed))
        .into_boxed();
    if let Some(p) = f.offices_of_province {
        q = q.filter(
            claims::office_id.eq_any(offices::table.filter(offices::province_id.eq(p)).select(offices::id)),
        );
    }
    if let Some(o) = &f.office_id {
        q = q.filter(claims::office_id.eq(o.clone()));
    }
    // The providers of the kind: a few thousand ids at most, by the providers' own table.
    let of_kind: Option<std::collections::HashSet<String>> = match &f.provider_kind {
        None => None,
        Some(k) => Some(
            providers::table
                .filter(providers::kind.eq(k.clone()))
                .select(providers::id)
                .load::<String>(conn)?
                .into_iter()
                .collect(),
        ),
    };
    const BUCKETS: [(&str, i64); 5] =
        [("0-7", 7), ("8-14", 14), ("15-30", 30), ("31-60", 60), ("61+", i64::MAX)];
    let mut out: Vec<(&'static str, i64, i64)> = BUCKETS.iter().map(|(b, _)| (*b, 0, 0)).collect();
    for (provider, month, at, billed) in q.load::<(String, String, NaiveDateTime, i64)>(conn)? {
        let admitted = f.provider_id.as_ref().is_none_or(|p| p.as_str() == provider)
            && of_kind.as_ref().is_none_or(|s| s.contains(&provider))
            && f.from_month.as_ref().is_none_or(|m| month >= *m)
            && f.to_month.as_ref().is_none_or(|m| month <= *m);
        if !admitted {
            continue;
        }
        let age = (today - at.date()).num_days().max(0);
        let i = BUCKETS.iter().position(|(_, max)| age <= *max).unwrap_or(BUCKETS.len() - 1);
        out[i].1 += 1;
        out[i].2 += billed;
    }
    Ok(out)
}

/// The insured's lines that were not rejected, served within `[from, to]`, with their provider
/// and the claim's physician: the history the duplicate, frequency and quantity rules need.
pub fn history(
    conn: &mut AnyConnection,
    insured_id: &InsuredId,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<(LineRow, ProviderId, Option<String>)>> {
    claim_lines::table
        .inner_join(
            claims::table.on(claims::id
                .eq(claim_lines::claim_id)
                .and(claims::provider_id.eq(claim_lines::provider_id))),
        )
        .filter(claims::insured_id.eq(insured_id))
        .filter(claim_lines::status.ne(crate::domain::lifecycle::claim::LineStatus::Rejected))
        .filter(claim_lines::service_date.ge(from).and(claim_lines::service_date.le(to)))
        .select((LineRow::as_select(), claims::provider_id, claims::physician_council_no))
        .load(conn)
}

/// The insured person's claims with a service date from `since`, newest first, within `scope`,
/// without `except` (the claim being read), at most `limit`. Uses `claims_insured_service`.
pub fn of_insured_since(
    conn: &mut AnyConnection,
    scope: &Scope,
    insured_id: &InsuredId,
    since: NaiveDate,
    except: &ClaimId,
    limit: i64,
) -> QueryResult<Vec<ClaimRow>> {
    claims::table
        .select(ClaimRow::as_select())
        .filter(crate::store::scope::claims(scope))
        .filter(claims::insured_id.eq(insured_id))
        .filter(claims::first_service_date.ge(since))
        .filter(claims::id.ne(except))
        .order((claims::first_service_date.desc(), claims::id.desc()))
        .limit(limit)
        .load(conn)
}

/// Inside a claim's write transaction, before it is decided: takes the row locks that order
/// concurrent decisions — the insured person's (their history: duplicates, frequency, renewal,
/// pre-authorization quantities) and, when `month_total_matters` (a monthly ceiling), the
/// provider's month — and returns the claim already stored under `document_no`, if any (a
/// resend). Two claims of the same person then decide one after the other, as on SQLite, whose
/// single writer already orders them; without the lock READ COMMITTED let two concurrent
/// same-day visits both be paid (found by a concurrency test). On PostgreSQL the look-up and the insured person's lock are one statement, one
/// round trip fewer per claim in the writer; the look-up may miss a resend another process
/// committed while this one waited for the lock, and then the unique index refuses the second
/// insert and the writer tries again. SQLite has one writer: no locks, the look-up only.
pub fn lock_for_decision(
    conn: &mut AnyConnection,
    document_no: &str,
    insured_id: Option<&InsuredId>,
    provider_id: &ProviderId,
    month: &str,
    month_total_matters: bool,
) -> QueryResult<Option<ClaimId>> {
    use diesel::sql_types::{Nullable, Text};
    let AnyConnection::Postgresql(pg) = conn else {
        return claims::table
            .filter(claims::provider_id.eq(provider_id).and(claims::provider_document_no.eq(document_no)))
            .select(claims::id)
            .first(conn)
            .optional();
    };
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = Nullable<Text>)]
        existing: Option<String>,
    }
    let found: Found = diesel::sql_query(
        "SELECT (SELECT id FROM claims WHERE provider_id = $1 AND provider_document_no = $2) AS existing, \
                (SELECT id FROM insured_persons WHERE id = $3 FOR UPDATE) AS insured",
    )
    .bind::<Text, _>(provider_id)
    .bind::<Text, _>(document_no)
    .bind::<Nullable<Text>, _>(insured_id)
    .get_result(pg)?;
    if month_total_matters {
        diesel::sql_query(
            "SELECT provider_id FROM provider_month_totals WHERE provider_id = $1 AND service_month = $2 FOR UPDATE",
        )
        .bind::<Text, _>(provider_id)
        .bind::<Text, _>(month)
        .execute(pg)?;
    }
    Ok(found.existing.map(ClaimId::from))
}

/// A cheap fingerprint of an insured person's claims: their number and the latest change.
/// Claims are never deleted and every change to one sets `updated_at`, so an unchanged stamp
/// means an unchanged history.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HistoryStamp {
    pub claims: i64,
    pub last_change: Option<NaiveDateTime>,
}

pub fn history_stamp(conn: &mut AnyConnection, insured_id: &InsuredId) -> QueryResult<HistoryStamp> {
    let (claims, last_change) = claims::table
        .filter(claims::insured_id.eq(insured_id))
        .select((diesel::dsl::count_star(), diesel::dsl::max(claims::updated_at)))
        .first::<(i64, Option<NaiveDateTime>)>(conn)?;
    Ok(HistoryStamp { claims, last_change })
}

/// What the Organization already owes a provider for a service month (R19), from the running
/// total.
pub fn month_payable(conn: &mut AnyConnection, provider_id: &ProviderId, month: &str) -> QueryResult<i64> {
    let stored = provider_month_totals::table
        .find((provider_id, month))
        .select(provider_month_totals::insurer_payable)
        .first::<i64>(conn)
        .optional()?
        .unwrap_or(0);
    Ok(stored + deferred::pending_month_payable(&(provider_id.to_string(), month.to_string())))
}

/// Adds a claim to the provider's month (inside the claim's transaction): deferred to the end
/// of the transaction when the writer opened a deferral (`store::deferred`), written at once
/// otherwise.
pub fn add_to_month(
    conn: &mut AnyConnection,
    provider_id: &ProviderId,
    month: &str,
    payable: i64,
) -> QueryResult<()> {
    if deferred::add_month_total((provider_id.to_string(), month.to_string()), payable, 1) {
        return Ok(());
    }
    write_month_total(conn, provider_id.as_str(), month, payable, 1)
}

/// Adds `payable` and `claims` to a provider's month. The row is created on first use; on
/// PostgreSQL two processes' first claims of a month may race to create it, and the loser's
/// transaction fails and is tried again by the writer.
pub fn write_month_total(
    conn: &mut AnyConnection,
    provider_id: &str,
    month: &str,
    payable: i64,
    claims: i32,
) -> QueryResult<()> {
    let updated = diesel::update(provider_month_totals::table.find((provider_id, month)))
        .set((
            provider_month_totals::insurer_payable.eq(provider_month_totals::insurer_payable + payable),
            provider_month_totals::claims.eq(provider_month_totals::claims + claims),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(provider_month_totals::table)
            .values((
                provider_month_totals::provider_id.eq(provider_id),
                provider_month_totals::service_month.eq(month),
                provider_month_totals::insurer_payable.eq(payable),
                provider_month_totals::claims.eq(claims),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Moves a month's running total after a reviewer changed a claim's payable.
pub fn adjust_month(
    conn: &mut AnyConnection,
    provider_id: &ProviderId,
    month: &str,
    delta: i64,
) -> QueryResult<()> {
    diesel::update(provider_month_totals::table.find((provider_id, month)))
        .set(provider_month_totals::insurer_payable.eq(provider_month_totals::insurer_payable + delta))
        .execute(conn)?;
    Ok(())
}

/// The month's payable summed from the claims themselves (for reconciliation checks).
pub fn month_payable_from_claims(
    conn: &mut AnyConnection,
    provider_id: &ProviderId,
    month: &str,
) -> QueryResult<i64> {
    claims::table
        .filter(claims::provider_id.eq(provider_id).and(claims::service_month.eq(month)))
        .select(sql::<Nullable<BigInt>>("CAST(SUM(insurer_payable) AS BIGINT)"))
        .first::<Option<i64>>(conn)
        .map(|v| v.unwrap_or(0))
}

#[derive(Default)]
pub struct ClaimFilter {
    /// Whose claims: the caller's scope (the default, `Nothing`, lists none).
    pub scope: Scope,
    pub provider_id: Option<ProviderId>,
    pub office_id: Option<OfficeId>,
    pub status: Option<crate::domain::lifecycle::claim::ClaimStatus>,
    pub month: Option<String>,
    pub insured_national_code: Option<String>,
    /// Claims with a line carrying this reason code.
    pub reason: Option<String>,
    pub work_accident: Option<bool>,
    pub employer_code: Option<String>,
    pub after: Option<String>,
    pub limit: i64,
}

pub fn list(conn: &mut AnyConnection, f: &ClaimFilter) -> QueryResult<Vec<ClaimRow>> {
    let mut q = claims::table
        .select(ClaimRow::as_select())
        .filter(crate::store::scope::claims(&f.scope))
        .order(claims::id.asc())
        .into_boxed();
    if let Some(v) = &f.provider_id {
        q = q.filter(claims::provider_id.eq(v.clone()));
    }
    if let Some(v) = &f.office_id {
        q = q.filter(claims::office_id.eq(v.clone()));
    }
    if let Some(v) = &f.status {
        q = q.filter(claims::status.eq(*v));
    }
    if let Some(v) = &f.month {
        q = q.filter(claims::service_month.eq(v.clone()));
    }
    if let Some(v) = &f.insured_national_code {
        q = q.filter(claims::insured_national_code.eq(v.clone()));
    }
    if let Some(v) = f.work_accident {
        q = q.filter(claims::work_accident.eq(v));
    }
    if let Some(v) = &f.employer_code {
        q = q.filter(claims::employer_code.eq(v.clone()));
    }
    if let Some(code) = &f.reason {
        let with_reason = claim_lines::table
            .filter(claim_lines::reasons.like(format!("%\"{code}\"%")))
            .select(claim_lines::claim_id);
        q = q.filter(claims::id.eq_any(with_reason));
    }
    if let Some(a) = &f.after {
        q = q.filter(claims::id.gt(a.clone()));
    }
    q.limit(f.limit).load(conn)
}

#[cfg(test)]
mod backlog_plan_tests {
    use super::*;
    use crate::store::reports::ReportFilter;
    use diesel::connection::InstrumentationEvent;
    use std::sync::{Arc, Mutex};

    #[derive(QueryableByName)]
    struct Step {
        #[diesel(sql_type = diesel::sql_types::Text)]
        detail: String,
    }

    /// The condition the query carries is, to the character, the partial index's: otherwise
    /// neither planner may use the index.
    #[test]
    fn the_backlog_condition_is_the_partial_indexs_own() {
        let list = waiting_sql().strip_prefix("claims.").unwrap().to_string();
        for up in [
            include_str!("../../migrations/sqlite/2026-12-01-020100_claims_waiting/up.sql"),
            include_str!("../../migrations/postgres/2026-12-01-020100_claims_waiting/up.sql"),
        ] {
            assert!(up.contains(&format!("WHERE {list};")), "{list} not in:\n{up}");
        }
    }

    /// The backlog's SQL, as diesel sends it to SQLite (the bundled version, a database without
    /// statistics), reads `claims_waiting` alone under every filter: never the table, never
    /// another index of the claims.
    #[test]
    fn the_backlog_reads_only_the_partial_covering_index() {
        let mut conn = AnyConnection::Sqlite(diesel::SqliteConnection::establish(":memory:").unwrap());
        crate::db::run_migrations(&mut conn).unwrap();
        let seen = Arc::new(Mutex::new(Vec::<String>::new()));
        let log = seen.clone();
        if let AnyConnection::Sqlite(c) = &mut conn {
            c.set_instrumentation(move |e: InstrumentationEvent<'_>| {
                if let InstrumentationEvent::StartQuery { query, .. } = e {
                    log.lock().unwrap().push(query.to_string());
                }
            });
        }
        let today = NaiveDate::from_ymd_opt(2024, 10, 10).unwrap();
        let none = ReportFilter::default;
        let filters = [
            ("national", none()),
            ("province", ReportFilter { offices_of_province: Some(1), ..none() }),
            ("office", ReportFilter { office_id: Some(OfficeId::from("o")), ..none() }),
            ("provider", ReportFilter { provider_id: Some(ProviderId::from("p")), ..none() }),
            ("kind", ReportFilter { provider_kind: Some("pharmacy".into()), ..none() }),
            (
                "months",
                ReportFilter {
                    from_month: Some("1403-01".into()),
                    to_month: Some("1403-03".into()),
                    ..none()
                },
            ),
        ];
        for (name, f) in filters {
            seen.lock().unwrap().clear();
            let buckets = backlog_by_age(&mut conn, &f, today).unwrap();
            assert_eq!(buckets.len(), 5);
            let sent = seen.lock().unwrap().clone();
            let sql = sent.iter().find(|q| q.contains("`claims`.`created_at`")).expect("the backlog's query");
            let sql = sql.split(" -- binds:").next().unwrap();
            let plan: Vec<String> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
                .load::<Step>(&mut conn)
                .unwrap()
                .into_iter()
                .map(|s| s.detail)
                .collect();
            let on_claims: Vec<&String> = plan
                .iter()
                .filter(|d| d.starts_with("SCAN claims") || d.starts_with("SEARCH claims"))
                .collect();
            assert!(
                !on_claims.is_empty()
                    && on_claims.iter().all(|d| d.contains("USING COVERING INDEX claims_waiting")),
                "{name}: {plan:?}\n{sql}"
            );
        }
    }
}
