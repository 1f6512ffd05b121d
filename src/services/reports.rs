//! Reports (گزارش‌ها) for offices, provinces and headquarters, and the aggregates they read.
//!
//! **The aggregates stay exact.** Every write of a claim goes through [`track_new`] (intake) or
//! [`restate`] (a decision, a status change, a sample sending it back): in the writer's
//! transaction, the claim's contribution as stored before is taken away and its contribution
//! after is added (`domain::report::Contribution`). A decision that moves a claim out of the
//! waiting statuses also counts in the turnaround histogram (receipt → decision, whole days, in
//! the office and the Jalali month of the decision), once by office and once by provider: the
//! dashboards read the small office histogram, a provider or provider-kind filter the other. [`verify`] recounts everything from the
//! claims and their lines and lists any difference; the tests run it after every scenario, and
//! [`rebuild`] (run at start-up when the aggregates are empty but claims exist, and by
//! `asnad reports rebuild`) recomputes them.
//!
//! **Objections** (`report_objections`: filed, decided, upheld, by the objected claim's office,
//! provider and service month) are kept the same way by [`restate_objection`], around every write
//! that files an objection or changes its status; `verify` recounts and `rebuild` recomputes
//! them with the rest.
//!
//! **Who reads what.** The reports are the staff's: reviewers and supervisors read their office,
//! a province manager their province, headquarters and administrators everything
//! (`Caller::scope_for(Record::Claim)`); finance reads them within its scope. Providers and
//! insured persons are refused (403). A filter naming an office or provider outside the
//! caller's reach is answered 404, as if it did not exist.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::auth::{Caller, Record, Role, Scope};
use crate::context::ServiceContext;
use crate::db::AnyConnection;
use crate::domain::record_ids::{ClaimId, OfficeId, ProviderId};
use crate::domain::report::{self, ClaimFacts, Contribution, MonthSums, ReasonSums, Stage};
use crate::error::{AppError, AppResult, FieldError};
use crate::store::claims::{self as claims_store, ClaimRow, LineRow};
use crate::store::reports::{self as store, ReportFilter};

// ---------------------------------------------------------------------------------------------
// Keeping the aggregates

/// The claim as the aggregates see it.
fn facts(claim: &ClaimRow, lines: &[LineRow]) -> AppResult<ClaimFacts> {
    let lines = lines
        .iter()
        .map(|l| {
            let rs: Vec<crate::services::claims::StoredReasonIn> =
                serde_json::from_str(&l.reasons).map_err(AppError::internal)?;
            Ok(rs.into_iter().map(|r| (r.code, r.amount)).collect())
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(ClaimFacts {
        office_id: claim.office_id.to_string(),
        provider_id: claim.provider_id.to_string(),
        service_month: claim.service_month.clone(),
        status: claim.status,
        billed: claim.billed,
        insurer_payable: claim.insurer_payable,
        patient_share: claim.patient_share,
        patient_gap: claim.patient_gap,
        deducted: claim.deducted,
        lines,
    })
}

/// A new claim (intake), inside its transaction.
pub(crate) fn track_new(
    conn: &mut AnyConnection,
    claim: &ClaimRow,
    lines: &[LineRow],
    now: NaiveDateTime,
) -> AppResult<()> {
    store::apply(conn, &Contribution::of(&facts(claim, lines)?), 1)?;
    if report::is_decided(claim.status) {
        let days = report::days_between(claim.created_at.date(), now.date());
        store::add_turnaround(
            conn,
            claim.office_id.as_str(),
            claim.provider_id.as_str(),
            &report::jalali_month(now.date()),
            Stage::Decision,
            days,
            1,
        )?;
    }
    Ok(())
}

/// Runs `change` (a write of the claim `id`) and moves the aggregates with it, inside the same
/// transaction: the claim's contribution before is taken away, after is added.
pub(crate) fn restate<T>(
    conn: &mut AnyConnection,
    id: &ClaimId,
    now: NaiveDateTime,
    change: impl FnOnce(&mut AnyConnection) -> AppResult<T>,
) -> AppResult<T> {
    let read = |conn: &mut AnyConnection| -> AppResult<(ClaimRow, ClaimFacts)> {
        let c = claims_store::find(conn, id)?.ok_or_else(|| AppError::not_found("no such claim"))?;
        let lines = claims_store::lines(conn, id)?;
        let f = facts(&c, &lines)?;
        Ok((c, f))
    };
    let (before_row, before) = read(conn)?;
    let out = change(conn)?;
    let (_, after) = read(conn)?;
    let (b, a) = (Contribution::of(&before), Contribution::of(&after));
    if b != a {
        store::apply(conn, &b, -1)?;
        store::apply(conn, &a, 1)?;
    }
    if !report::is_decided(before.status) && report::is_decided(after.status) {
        let days = report::days_between(before_row.created_at.date(), now.date());
        store::add_turnaround(
            conn,
            &a.office_id,
            &a.provider_id,
            &report::jalali_month(now.date()),
            Stage::Decision,
            days,
            1,
        )?;
    }
    Ok(out)
}

/// A payment order paid on `paid_on`: each claim it pays for the first time counts once in the
/// decision → payment turnaround, from its decision (the reviewer's; the receipt for a claim the
/// engine decided at intake) to the payment, in its office and the Jalali month of the payment.
pub(crate) fn count_payments(
    conn: &mut AnyConnection,
    order: &crate::domain::record_ids::PaymentOrderId,
    paid_on: chrono::NaiveDate,
) -> AppResult<()> {
    let mut histogram: BTreeMap<(String, String, i64), i64> = BTreeMap::new();
    for c in crate::store::settlements::first_paid_claims(conn, order)? {
        let from = c.decided_at.unwrap_or(c.received_at).date();
        *histogram.entry((c.office_id, c.provider_id, report::days_between(from, paid_on))).or_default() += 1;
    }
    let month = report::jalali_month(paid_on);
    for ((office, provider, days), n) in histogram {
        store::add_turnaround(conn, &office, &provider, &month, Stage::Payment, days, n)?;
    }
    Ok(())
}

/// The aggregates as the claims and their lines say they should be.
fn recount(conn: &mut AnyConnection) -> AppResult<store::Keyed> {
    let mut months: BTreeMap<(String, String, String), MonthSums> = BTreeMap::new();
    let mut deductions: BTreeMap<(String, String, String, String), ReasonSums> = BTreeMap::new();
    let mut after: Option<ClaimId> = None;
    loop {
        // Claims in pages by id; each page's lines in one query.
        let page = claims_store::page_by_id(conn, after.as_ref(), 2_000)?;
        let Some(last) = page.last() else { break };
        after = Some(last.id.clone());
        let ids: Vec<ClaimId> = page.iter().map(|c| c.id.clone()).collect();
        let mut lines = claims_store::lines_of(conn, &ids)?;
        for c in &page {
            let mine: Vec<LineRow> = lines.remove(&c.id).unwrap_or_default();
            let k = Contribution::of(&facts(c, &mine)?);
            let m = months
                .entry((k.office_id.clone(), k.provider_id.clone(), k.service_month.clone()))
                .or_default();
            *m = m.plus(k.sums, 1);
            for (reason, r) in k.reasons {
                let d = deductions
                    .entry((k.office_id.clone(), k.provider_id.clone(), k.service_month.clone(), reason))
                    .or_default();
                d.lines += r.lines;
                d.amount += r.amount;
            }
        }
    }
    Ok((months, deductions))
}

// ---------------------------------------------------------------------------------------------
// Keeping `report_objections`

/// What the objection `id` adds to `report_objections` now, `None` before it is filed: its
/// claim's office, provider and service month (by primary key), and whether an applied decision
/// that answered it raised the claim's payable (the claim's decisions, `review_decisions_claim`).
fn objection_contribution(
    conn: &mut AnyConnection,
    id: &crate::domain::record_ids::ObjectionId,
) -> AppResult<Option<report::ObjectionContribution>> {
    use crate::domain::lifecycle::review::ObjectionStatus;
    let Some(o) = crate::store::review::find_objection(conn, id)? else { return Ok(None) };
    let claim = o.claim_id.to_string();
    let keys = crate::store::report_quality::claim_keys(conn, std::slice::from_ref(&claim))?;
    let c = keys.get(&claim).ok_or_else(|| AppError::internal("an objection to no claim"))?;
    let raised = crate::store::report_quality::objection_decisions(conn, std::slice::from_ref(&claim))?
        .into_iter()
        .any(|(oid, before, after)| oid == o.id.as_str() && after > before);
    Ok(Some(report::ObjectionContribution {
        office_id: c.office_id.clone(),
        provider_id: c.provider_id.clone(),
        service_month: c.service_month.clone(),
        sums: report::ObjectionSums::of(o.status == ObjectionStatus::Decided, raised),
    }))
}

/// Runs `change` (filing the objection `id`, or a change of its status) and moves
/// `report_objections` with it, inside the same transaction, as [`restate`] does for a claim:
/// its contribution before is taken away, after is added. An objection is decided (and so
/// possibly upheld) only after the decision answering it is applied, in the same transaction,
/// so the status change is where its weight moves.
pub(crate) fn restate_objection<T>(
    conn: &mut AnyConnection,
    id: &crate::domain::record_ids::ObjectionId,
    change: impl FnOnce(&mut AnyConnection) -> AppResult<T>,
) -> AppResult<T> {
    let before = objection_contribution(conn, id)?;
    let out = change(conn)?;
    let after = objection_contribution(conn, id)?;
    if before != after {
        if let Some(b) = &before {
            store::apply_objection(conn, b, -1)?;
        }
        if let Some(a) = &after {
            store::apply_objection(conn, a, 1)?;
        }
    }
    Ok(out)
}

/// `report_objections` as the objections and their decisions say it should be: the objections
/// read whole, their claims by primary key, the decisions through `review_decisions_claim`.
fn recount_objections(conn: &mut AnyConnection) -> AppResult<store::KeyedObjections> {
    use crate::store::report_quality as q;
    let objections = q::objections(conn)?;
    let ids: Vec<String> = objections
        .iter()
        .map(|(_, c, _)| c.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let claims = q::claim_keys(conn, &ids)?;
    let raised: std::collections::BTreeSet<String> = q::objection_decisions(conn, &ids)?
        .into_iter()
        .filter(|(_, before, after)| after > before)
        .map(|(o, _, _)| o)
        .collect();
    let mut out = store::KeyedObjections::new();
    for (id, claim_id, status) in &objections {
        let c = claims.get(claim_id).ok_or_else(|| AppError::internal("an objection to no claim"))?;
        let decided = status == crate::domain::lifecycle::review::ObjectionStatus::Decided.as_str();
        let e = out.entry((c.office_id.clone(), c.provider_id.clone(), c.service_month.clone())).or_default();
        *e = e.plus(report::ObjectionSums::of(decided, raised.contains(id)), 1);
    }
    Ok(out)
}

/// A difference between the aggregates and a recount, as text (`report_months (o, p, m): …`).
pub fn verify_conn(conn: &mut AnyConnection) -> AppResult<Vec<String>> {
    let (want_m, want_d) = recount(conn)?;
    let (have_m, have_d) = store::all(conn)?;
    let mut out = Vec::new();
    let zero_m = MonthSums::default();
    for k in want_m.keys().chain(have_m.keys()).collect::<std::collections::BTreeSet<_>>() {
        let (w, h) = (want_m.get(k).unwrap_or(&zero_m), have_m.get(k).unwrap_or(&zero_m));
        if w != h {
            out.push(format!("report_months {k:?}: stored {h:?}, recounted {w:?}"));
        }
    }
    let zero_d = ReasonSums::default();
    for k in want_d.keys().chain(have_d.keys()).collect::<std::collections::BTreeSet<_>>() {
        let (w, h) = (want_d.get(k).unwrap_or(&zero_d), have_d.get(k).unwrap_or(&zero_d));
        if w != h {
            out.push(format!("report_deductions {k:?}: stored {h:?}, recounted {w:?}"));
        }
    }
    // The turnaround is history, not a function of the claims as they are now; what must hold
    // is that the providers' histogram holds the same events as the offices'.
    let (by_office, by_provider) = store::turnaround_both(conn)?;
    for k in by_office.keys().chain(by_provider.keys()).collect::<std::collections::BTreeSet<_>>() {
        let (o, p) = (by_office.get(k).copied().unwrap_or(0), by_provider.get(k).copied().unwrap_or(0));
        if o != p {
            out.push(format!("report_turnaround {k:?}: by office {o}, by provider {p}"));
        }
    }
    let (want_o, have_o) = (recount_objections(conn)?, store::all_objections(conn)?);
    let zero_o = report::ObjectionSums::default();
    for k in want_o.keys().chain(have_o.keys()).collect::<std::collections::BTreeSet<_>>() {
        let (w, h) = (want_o.get(k).unwrap_or(&zero_o), have_o.get(k).unwrap_or(&zero_o));
        if w != h {
            out.push(format!("report_objections {k:?}: stored {h:?}, recounted {w:?}"));
        }
    }
    Ok(out)
}

/// Recomputes the monthly, deduction and objection aggregates from the claims and the
/// objections (the turnaround histogram is history: it is kept as it was counted).
pub fn rebuild_conn(conn: &mut AnyConnection) -> AppResult<usize> {
    let (months, deductions) = recount(conn)?;
    let objections = recount_objections(conn)?;
    diesel::Connection::transaction(conn, |conn| {
        use diesel::RunQueryDsl;
        diesel::delete(crate::db::schema::report_deductions::table).execute(conn)?;
        diesel::delete(crate::db::schema::report_months::table).execute(conn)?;
        diesel::delete(crate::db::schema::report_objections::table).execute(conn)?;
        for ((office_id, provider_id, service_month), sums) in &objections {
            let c = report::ObjectionContribution {
                office_id: office_id.clone(),
                provider_id: provider_id.clone(),
                service_month: service_month.clone(),
                sums: *sums,
            };
            store::apply_objection(conn, &c, 1).map_err(AppError::from)?;
        }
        for ((o, p, m), sums) in &months {
            let c = Contribution {
                office_id: o.clone(),
                provider_id: p.clone(),
                service_month: m.clone(),
                sums: *sums,
                reasons: deductions
                    .range((o.clone(), p.clone(), m.clone(), String::new())..)
                    .take_while(|((o2, p2, m2, _), _)| o2 == o && p2 == p && m2 == m)
                    .map(|((_, _, _, r), s)| (r.clone(), *s))
                    .collect(),
            };
            store::apply(conn, &c, 1).map_err(AppError::from)?;
        }
        Ok::<_, AppError>(months.len())
    })
}

/// Builds the aggregates when there are claims but no aggregates (a database from before them).
pub fn build_if_missing(conn: &mut AnyConnection) -> AppResult<()> {
    use diesel::{QueryDsl, RunQueryDsl};
    let have = crate::db::schema::report_months::table
        .select(crate::db::schema::report_months::claims)
        .limit(1)
        .load::<i64>(conn)?;
    let claims = crate::db::schema::claims::table
        .select(crate::db::schema::claims::id)
        .limit(1)
        .load::<ClaimId>(conn)?;
    if have.is_empty() && !claims.is_empty() {
        let n = rebuild_conn(conn)?;
        tracing::info!(rows = n, "report aggregates built from the claims");
    }
    Ok(())
}

/// `asnad reports verify` and the tests: the differences, none when exact.
pub async fn verify(state: &ServiceContext) -> AppResult<Vec<String>> {
    state.db(verify_conn).await
}

pub async fn rebuild(state: &ServiceContext) -> AppResult<usize> {
    state.write(rebuild_conn).await
}

// ---------------------------------------------------------------------------------------------
// Reading: who, and the filter

/// The roles that read reports (the console's dashboards check it before anything else).
pub const READERS: &[Role] = &[
    Role::Admin,
    Role::Reviewer,
    Role::Supervisor,
    Role::Finance,
    Role::ProvinceManager,
    Role::Headquarters,
];

/// The filters every report takes, as the API reads them.
#[derive(Clone, Debug, Default, Deserialize, serde::Serialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    pub office_id: Option<String>,
    pub province_id: Option<i32>,
    pub provider_id: Option<String>,
    /// The provider's kind: hospital, clinic, pharmacy, lab, imaging, physician_office, …
    pub provider_kind: Option<String>,
    /// First Jalali month, `YYYY-MM` (inclusive).
    #[param(pattern = r"^1[34][0-9]{2}-(0[1-9]|1[0-2])$")]
    pub from: Option<String>,
    /// Last Jalali month, `YYYY-MM` (inclusive).
    #[param(pattern = r"^1[34][0-9]{2}-(0[1-9]|1[0-2])$")]
    pub to: Option<String>,
}

fn month_field(name: &str, v: &Option<String>, errors: &mut Vec<FieldError>) -> Option<String> {
    let v = v.as_deref()?.trim();
    let ok = v.len() == 7
        && v.as_bytes()[4] == b'-'
        && v[..4].parse::<u16>().is_ok_and(|y| (1300..1500).contains(&y))
        && v[5..].parse::<u8>().is_ok_and(|m| (1..=12).contains(&m));
    if ok {
        Some(v.to_string())
    } else {
        errors.push(FieldError::new(name, "invalid", "a Jalali month as YYYY-MM, e.g. 1403-07"));
        None
    }
}

/// The caller's reach and the query's filters as one `ReportFilter`; a filter outside the reach
/// is 404, a malformed one 422 naming it.
pub(crate) fn filter_for(
    conn: &mut AnyConnection,
    caller: &Caller,
    q: &ReportQuery,
) -> AppResult<ReportFilter> {
    caller.require_any(READERS)?;
    let mut errors = Vec::new();
    let from_month = month_field("from", &q.from, &mut errors);
    let to_month = month_field("to", &q.to, &mut errors);
    if let (Some(a), Some(b)) = (&from_month, &to_month) {
        if a > b {
            errors.push(FieldError::new("to", "range", "must not be before `from`"));
        }
    }
    if let Some(k) = &q.provider_kind {
        if !crate::domain::provider::ProviderKind::ALL.iter().any(|x| x.as_str() == k) {
            errors.push(FieldError::new("provider_kind", "invalid_choice", "not a provider kind"));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let mut f = ReportFilter {
        provider_kind: q.provider_kind.clone(),
        from_month,
        to_month,
        ..ReportFilter::default()
    };
    let scope = caller.scope_for(Record::Claim);
    match &scope {
        Scope::All => {}
        Scope::Province(p) => f.offices_of_province = Some(*p),
        Scope::Office(o) => f.office_id = Some(o.clone()),
        _ => return Err(AppError::forbidden("reports are read by the Organization's staff")),
    }
    let missing = || AppError::not_found("no such office, province or provider in your reach");
    if let Some(p) = q.province_id {
        match &scope {
            Scope::All => f.offices_of_province = Some(p),
            Scope::Province(mine) if *mine == p => {}
            Scope::Office(o) => {
                let office = crate::store::offices::find(conn, o)?.ok_or_else(missing)?;
                if office.province_id != p {
                    return Err(missing());
                }
            }
            _ => return Err(missing()),
        }
    }
    if let Some(o) = &q.office_id {
        let office = crate::store::offices::find(conn, &OfficeId::from(o.as_str()))?.ok_or_else(missing)?;
        if !scope.admits_office(&office.id, office.province_id) {
            return Err(missing());
        }
        f.office_id = Some(office.id);
    }
    if let Some(p) = &q.provider_id {
        let id = ProviderId::from(p.as_str());
        crate::store::providers::find_provider_in(conn, &caller.scope_for(Record::Provider), &id)?
            .ok_or_else(missing)?;
        f.provider_id = Some(id);
    }
    Ok(f)
}

/// A share as a percentage with two decimals (`part / whole × 100`, rounded half away from
/// zero), `None` when the whole is zero.
pub fn percent(part: i64, whole: i64) -> Option<Decimal> {
    if whole == 0 {
        return None;
    }
    let p = Decimal::from(part) * Decimal::from(100) / Decimal::from(whole);
    Some(p.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero))
}

// ---------------------------------------------------------------------------------------------
// Deductions by reason × provider × month

/// One row of the deductions report.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DeductionLine {
    pub reason: String,
    pub reason_fa: &'static str,
    /// The office that reviewed the claims (a provider that moved office has a row in each).
    pub office_id: String,
    pub provider_id: String,
    pub provider_name: String,
    /// Jalali `YYYY-MM` of the service.
    pub service_month: String,
    /// Lines carrying the reason.
    pub lines: i64,
    pub amount: i64,
    /// What the provider billed that month (all its claims), rials.
    pub billed: i64,
    /// `amount / billed` in percent, two decimals; null when nothing was billed.
    #[schema(value_type = Option<String>)]
    pub share_of_billed: Option<Decimal>,
}

/// The deductions report: its largest rows (reason × office × provider × month, by amount) and
/// totals over everything the filter selects.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DeductionsReport {
    /// The `limit` largest rows (default 1,000), largest first.
    pub rows: Vec<DeductionLine>,
    /// How many rows the filter selects in all; more than `rows` holds when the limit cut them.
    pub rows_total: i64,
    /// The providers with the largest deductions (at most 50), largest first, over everything
    /// the filter selects.
    pub by_provider: Vec<ProviderTotal>,
    /// By reason over everything the filter selects.
    pub by_reason: Vec<ReasonTotal>,
    pub billed: i64,
    pub deducted: i64,
    #[schema(value_type = Option<String>)]
    pub share_of_billed: Option<Decimal>,
    /// By service month, first month first: what was billed, paid and deducted (the
    /// dashboards' monthly chart).
    pub months: Vec<MonthTotal>,
}

/// A provider's deductions over everything the filter selects.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProviderTotal {
    pub provider_id: String,
    pub provider_name: String,
    /// What the provider billed, rials.
    pub billed: i64,
    /// Its deductions, rials.
    pub deducted: i64,
    /// `deducted / billed` in percent, two decimals; null when nothing was billed.
    #[schema(value_type = Option<String>)]
    pub share_of_billed: Option<Decimal>,
}

/// One service month of the deductions report over everything the filter selects.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MonthTotal {
    /// Jalali `YYYY-MM` of the service.
    pub service_month: String,
    pub claims: i64,
    /// What the providers billed (مبلغ درخواستی), rials.
    pub billed: i64,
    /// What the Organization pays of the decided claims (قابل پرداخت قطعی): the claims still
    /// waiting for a person are not counted until decided.
    pub payable: i64,
    /// Deductions (کسور), rials, of every claim.
    pub deducted: i64,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReasonTotal {
    pub reason: String,
    pub reason_fa: &'static str,
    pub lines: i64,
    pub amount: i64,
    #[schema(value_type = Option<String>)]
    pub share_of_billed: Option<Decimal>,
}

fn reason_fa(code: &str) -> &'static str {
    crate::domain::reasons::Reason::parse(code).map(|r| r.message_fa()).unwrap_or("")
}

/// How many of the deductions report's detailed rows are returned when the caller does not say
/// (`?limit=`), and the most it may ask for. A country's reason × provider × month rows run to
/// hundreds of thousands (640,000 in the 10-million-line bench: 136 MB of JSON); the report
/// returns the largest and its totals cover everything.
pub const DEDUCTION_ROWS_DEFAULT: i64 = 1_000;
pub const DEDUCTION_ROWS_MAX: i64 = 100_000;

/// How many providers `by_provider` names, largest deductions first.
const TOP_PROVIDERS: usize = 50;

pub async fn deductions(
    state: &ServiceContext,
    caller: Caller,
    q: ReportQuery,
    limit: Option<i64>,
) -> AppResult<DeductionsReport> {
    let limit = limit.unwrap_or(DEDUCTION_ROWS_DEFAULT);
    if !(1..=DEDUCTION_ROWS_MAX).contains(&limit) {
        return Err(AppError::field("limit", "range", format!("between 1 and {DEDUCTION_ROWS_MAX}")));
    }
    state
        .db(move |conn| {
            let f = filter_for(conn, &caller, &q)?;
            // The monthly sums (one row per office, provider and month: 72,000 for a country's
            // year) give the billed amounts, the months and the providers' totals; the reasons
            // are summed in the database, and only the largest rows are read.
            let months = store::months(conn, &f)?;
            let top = store::deductions_top(conn, &f, limit)?;
            let reasons = store::deductions_by_reason(conn, &f)?;
            let mut billed: BTreeMap<(&str, &str), i64> = BTreeMap::new();
            let mut by_provider: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
            let mut by_month: BTreeMap<String, MonthSums> = BTreeMap::new();
            for m in &months {
                *billed.entry((m.provider_id.as_str(), m.service_month.as_str())).or_default() +=
                    m.sums.billed;
                let p = by_provider.entry(m.provider_id.as_str()).or_default();
                p.0 += m.sums.billed;
                p.1 += m.sums.deducted;
                let e = by_month.entry(m.service_month.clone()).or_default();
                *e = e.plus(m.sums, 1);
            }
            let total_billed: i64 = billed.values().sum();
            let deducted: i64 = months.iter().map(|m| m.sums.deducted).sum();
            let mut providers: Vec<(&str, (i64, i64))> =
                by_provider.into_iter().filter(|(_, (_, d))| *d != 0).collect();
            providers.sort_by(|a, b| b.1 .1.cmp(&a.1 .1).then(a.0.cmp(b.0)));
            providers.truncate(TOP_PROVIDERS);
            let names = provider_names(
                conn,
                top.iter().map(|r| r.provider_id.clone()).chain(providers.iter().map(|(p, _)| p.to_string())),
            )?;
            let rows: Vec<DeductionLine> = top
                .into_iter()
                .map(|r| {
                    let b =
                        billed.get(&(r.provider_id.as_str(), r.service_month.as_str())).copied().unwrap_or(0);
                    DeductionLine {
                        reason_fa: reason_fa(&r.reason),
                        provider_name: names.get(&r.provider_id).cloned().unwrap_or_default(),
                        reason: r.reason,
                        office_id: r.office_id,
                        provider_id: r.provider_id,
                        service_month: r.service_month,
                        lines: r.sums.lines,
                        amount: r.sums.amount,
                        billed: b,
                        share_of_billed: percent(r.sums.amount, b),
                    }
                })
                .collect();
            Ok(DeductionsReport {
                rows_total: reasons.iter().map(|r| r.1).sum(),
                rows,
                by_provider: providers
                    .into_iter()
                    .map(|(p, (b, d))| ProviderTotal {
                        provider_name: names.get(p).cloned().unwrap_or_default(),
                        provider_id: p.to_string(),
                        billed: b,
                        deducted: d,
                        share_of_billed: percent(d, b),
                    })
                    .collect(),
                months: by_month
                    .into_iter()
                    .filter(|(_, s)| s.claims != 0)
                    .map(|(service_month, s)| MonthTotal {
                        service_month,
                        claims: s.claims,
                        billed: s.billed,
                        payable: s.insurer_payable - s.pending_payable,
                        deducted: s.deducted,
                    })
                    .collect(),
                by_reason: reasons
                    .into_iter()
                    .map(|(reason, _, lines, amount)| ReasonTotal {
                        reason_fa: reason_fa(&reason),
                        reason,
                        lines,
                        amount,
                        share_of_billed: percent(amount, total_billed),
                    })
                    .collect(),
                billed: total_billed,
                deducted,
                share_of_billed: percent(deducted, total_billed),
            })
        })
        .await
}

fn provider_names(
    conn: &mut AnyConnection,
    ids: impl Iterator<Item = String>,
) -> AppResult<BTreeMap<String, String>> {
    let ids: std::collections::BTreeSet<String> = ids.collect();
    let ids: Vec<ProviderId> = ids.iter().map(|id| ProviderId::from(id.as_str())).collect();
    Ok(crate::store::providers::names_of(conn, &ids)?
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect())
}

/// The deductions report as CSV (with a byte-order mark): one row per reason, provider and
/// month, Persian headers and reason texts.
pub fn deductions_csv(r: &DeductionsReport) -> AppResult<Vec<u8>> {
    let mut out = csv_writer();
    out.write_record([
        "کد دلیل",
        "دلیل",
        "شناسهٔ دفتر",
        "شناسهٔ مرکز",
        "مرکز",
        "ماه خدمت",
        "ردیف‌ها",
        "مبلغ کسر (ریال)",
        "مبلغ درخواستی ماه (ریال)",
        "سهم از درخواستی (٪)",
    ])
    .map_err(AppError::internal)?;
    for x in &r.rows {
        out.write_record([
            x.reason.clone(),
            x.reason_fa.to_string(),
            x.office_id.clone(),
            x.provider_id.clone(),
            x.provider_name.clone(),
            x.service_month.clone(),
            x.lines.to_string(),
            x.amount.to_string(),
            x.billed.to_string(),
            x.share_of_billed.map(|d| d.to_string()).unwrap_or_default(),
        ])
        .map_err(AppError::internal)?;
    }
    finish_csv(out)
}

pub(crate) fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new().quote_style(csv::QuoteStyle::Necessary).from_writer(Vec::new())
}

/// The bytes with a byte-order mark first, so that spreadsheet programs read UTF-8.
pub(crate) fn finish_csv(out: csv::Writer<Vec<u8>>) -> AppResult<Vec<u8>> {
    let bytes = out.into_inner().map_err(AppError::internal)?;
    let mut body = "\u{feff}".as_bytes().to_vec();
    body.extend(bytes);
    Ok(body)
}

// ---------------------------------------------------------------------------------------------
// Turnaround

/// One office and month of the turnaround report: whole days, nearest-rank percentiles.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TurnaroundLine {
    pub office_id: String,
    pub office_name: String,
    /// Jalali `YYYY-MM` of the decision (or payment).
    pub month: String,
    pub claims: i64,
    pub p50_days: Option<i64>,
    pub p90_days: Option<i64>,
    pub max_days: Option<i64>,
}

/// The claims waiting for a person, by how long they have waited since receipt.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct BacklogBucket {
    /// `0-7`, `8-14`, `15-30`, `31-60`, `61+` days.
    pub age: &'static str,
    pub claims: i64,
    pub billed: i64,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TurnaroundReport {
    /// Receipt → decision.
    pub decision: Vec<TurnaroundLine>,
    /// Decision → payment (the provider's settlement paid).
    pub payment: Vec<TurnaroundLine>,
    /// Receipt → decision per month over every office the filter selects (percentiles of the
    /// offices' histograms merged, not of their percentiles); `office_id` and `office_name`
    /// empty.
    pub decision_by_month: Vec<TurnaroundLine>,
    /// Decision → payment per month over every office the filter selects, the same way.
    pub payment_by_month: Vec<TurnaroundLine>,
    pub backlog: Vec<BacklogBucket>,
}

pub async fn turnaround(
    state: &ServiceContext,
    caller: Caller,
    q: ReportQuery,
) -> AppResult<TurnaroundReport> {
    let today = state.today();
    state
        .db(move |conn| {
            let f = filter_for(conn, &caller, &q)?;
            let office_names: BTreeMap<String, String> = crate::store::offices::list(
                conn,
                &crate::store::offices::OfficeFilter {
                    province_id: None,
                    active: None,
                    after: None,
                    limit: 100_000,
                },
            )?
            .into_iter()
            .map(|o| (o.id.to_string(), o.name_fa))
            .collect();
            let line = |office_id: String, month: String, hist: Vec<(i64, i64)>| TurnaroundLine {
                office_name: office_names.get(&office_id).cloned().unwrap_or_default(),
                claims: hist.iter().map(|(_, n)| n).sum(),
                p50_days: report::percentile(&hist, 50),
                p90_days: report::percentile(&hist, 90),
                max_days: hist.iter().filter(|(_, n)| *n > 0).map(|(d, _)| *d).max(),
                office_id,
                month,
            };
            let mut lines_of = |stage: Stage| -> AppResult<(Vec<TurnaroundLine>, Vec<TurnaroundLine>)> {
                let mut h: BTreeMap<(String, String), Vec<(i64, i64)>> = BTreeMap::new();
                let mut by_month: BTreeMap<String, BTreeMap<i64, i64>> = BTreeMap::new();
                for (o, m, days, n) in store::turnaround(conn, &f, stage)? {
                    *by_month.entry(m.clone()).or_default().entry(days).or_default() += n;
                    h.entry((o, m)).or_default().push((days, n));
                }
                let per_office = h.into_iter().map(|((o, m), hist)| line(o, m, hist)).collect();
                let per_month = by_month
                    .into_iter()
                    .map(|(m, hist)| line(String::new(), m, hist.into_iter().collect()))
                    .collect();
                Ok((per_office, per_month))
            };
            let (decision, decision_by_month) = lines_of(Stage::Decision)?;
            let (payment, payment_by_month) = lines_of(Stage::Payment)?;
            let backlog = claims_store::backlog_by_age(conn, &f, today)?
                .into_iter()
                .map(|(age, claims, billed)| BacklogBucket { age, claims, billed })
                .collect();
            Ok(TurnaroundReport { decision, payment, decision_by_month, payment_by_month, backlog })
        })
        .await
}

/// The turnaround report as CSV: one row per stage, office and month, then the backlog.
pub fn turnaround_csv(r: &TurnaroundReport) -> AppResult<Vec<u8>> {
    let mut out = csv_writer();
    out.write_record([
        "مرحله",
        "شناسهٔ دفتر",
        "دفتر",
        "ماه",
        "اسناد",
        "میانه (روز)",
        "صدک ۹۰ (روز)",
        "بیشینه (روز)",
    ])
    .map_err(AppError::internal)?;
    let opt = |v: Option<i64>| v.map(|d| d.to_string()).unwrap_or_default();
    for (stage, rows) in [("دریافت تا تصمیم", &r.decision), ("تصمیم تا پرداخت", &r.payment)]
    {
        for x in rows.iter() {
            out.write_record([
                stage.to_string(),
                x.office_id.clone(),
                x.office_name.clone(),
                x.month.clone(),
                x.claims.to_string(),
                opt(x.p50_days),
                opt(x.p90_days),
                opt(x.max_days),
            ])
            .map_err(AppError::internal)?;
        }
    }
    for b in &r.backlog {
        out.write_record([
            "در انتظار رسیدگی".to_string(),
            String::new(),
            String::new(),
            format!("{} روز", b.age),
            b.claims.to_string(),
            String::new(),
            String::new(),
            String::new(),
        ])
        .map_err(AppError::internal)?;
    }
    finish_csv(out)
}

// ---------------------------------------------------------------------------------------------
// Budget against spending

/// The year of the budget report (Jalali); the current year when absent.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BudgetQuery {
    #[param(minimum = 1300, maximum = 1499)]
    pub year: Option<i32>,
}

/// One approved budget with its year so far.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct BudgetLine {
    pub budget_id: String,
    /// `office` or `province`.
    pub level: String,
    pub office_id: Option<String>,
    pub province_id: Option<i32>,
    /// The office's or the province's name.
    pub unit_name: String,
    /// `claims`, `reimbursements`, `devices` or `travel`.
    pub benefit: String,
    pub benefit_fa: &'static str,
    /// Decided spending of each month so far (index 0 = فروردین), rials.
    pub monthly: Vec<i64>,
    pub projection: crate::domain::budget::Projection,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct BudgetReport {
    pub year: i32,
    /// The month in progress (12 for a past year: every month counted).
    pub current_month: u8,
    pub lines: Vec<BudgetLine>,
}

/// Where a budget's spending is read: claims from the monthly aggregates (decided payable by
/// service month; commitment = what the engine would pay of the claims still waiting), the
/// reimbursement benefits from the requests (reimbursed, by the month of the decision;
/// commitment = the estimate of those submitted and undecided): `reimbursements` is care at a
/// non-contracted provider, `devices` the prosthesis and orthosis requests, `travel` travel.
fn spending(
    conn: &mut AnyConnection,
    b: &crate::store::budgets::BudgetRow,
    year: i32,
    months: usize,
) -> AppResult<(Vec<i64>, i64)> {
    use crate::domain::budget::Benefit;
    let f = ReportFilter {
        offices_of_province: b.province_id.filter(|_| b.office_id.is_none()),
        office_id: b.office_id.clone(),
        from_month: Some(format!("{year:04}-01")),
        to_month: Some(format!("{year:04}-12")),
        ..ReportFilter::default()
    };
    let mut monthly = vec![0i64; months];
    let mut commitment = 0;
    let benefit = Benefit::parse(&b.benefit).ok_or_else(|| AppError::internal("a budget of no benefit"))?;
    let month_index = |m: &str| m.get(5..7).and_then(|x| x.parse::<usize>().ok()).map(|x| x - 1);
    match benefit {
        Benefit::Claims => {
            for r in store::months(conn, &f)? {
                if let Some(i) = month_index(&r.service_month).filter(|i| *i < months) {
                    monthly[i] += r.sums.insurer_payable - r.sums.pending_payable;
                }
                commitment += r.sums.pending_payable;
            }
        }
        other => {
            let kind = match other {
                Benefit::Devices => "support_item",
                Benefit::Travel => "travel",
                _ => "care",
            };
            for (status, reimbursed, estimate, decided_at) in crate::store::reimbursements::for_budget(
                conn,
                f.office_id.as_ref(),
                f.offices_of_province,
                kind,
            )? {
                use crate::domain::lifecycle::reimbursement::ReimbursementStatus as S;
                match (status, decided_at) {
                    (S::InReview | S::AwaitingApproval, _) => commitment += estimate.unwrap_or(reimbursed),
                    (S::Approved | S::PartiallyApproved | S::Ordered | S::Paid, Some(at)) => {
                        let m = report::jalali_month(at.date());
                        if m.starts_with(&format!("{year:04}-")) {
                            if let Some(i) = month_index(&m).filter(|i| *i < months) {
                                monthly[i] += reimbursed;
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    Ok((monthly, commitment))
}

pub async fn budget(state: &ServiceContext, caller: Caller, q: BudgetQuery) -> AppResult<BudgetReport> {
    caller.require_any(READERS)?;
    let today = crate::domain::jalali::JalaliDate::from_gregorian(state.today());
    let year = q.year.unwrap_or(today.year());
    let current_month: u8 = match year.cmp(&today.year()) {
        std::cmp::Ordering::Less => 12,
        std::cmp::Ordering::Equal => today.month(),
        std::cmp::Ordering::Greater => {
            return Err(AppError::field("year", "future", "a year that has not begun has no spending"))
        }
    };
    let scope = crate::services::budgets::read_scope(&caller)?;
    state
        .db(move |conn| {
            let budgets = crate::store::budgets::list(
                conn,
                &scope,
                &crate::store::budgets::BudgetFilter {
                    year: Some(year),
                    limit: 100_000,
                    ..Default::default()
                },
            )?;
            let offices: BTreeMap<String, String> = crate::store::offices::list(
                conn,
                &crate::store::offices::OfficeFilter {
                    province_id: None,
                    active: None,
                    after: None,
                    limit: 100_000,
                },
            )?
            .into_iter()
            .map(|o| (o.id.to_string(), o.name_fa))
            .collect();
            let provinces: BTreeMap<i32, String> =
                crate::store::offices::list_provinces(conn)?.into_iter().map(|p| (p.id, p.name_fa)).collect();
            let mut lines = Vec::new();
            for b in budgets {
                let (monthly, commitment) = spending(conn, &b, year, current_month as usize)?;
                let projection =
                    crate::domain::budget::project(b.amount_rials, &monthly, commitment, current_month)
                        .map_err(AppError::internal)?;
                lines.push(BudgetLine {
                    budget_id: b.id.to_string(),
                    unit_name: match (&b.office_id, b.province_id) {
                        (Some(o), _) => offices.get(o.as_str()).cloned().unwrap_or_default(),
                        (None, Some(p)) => provinces.get(&p).cloned().unwrap_or_default(),
                        _ => String::new(),
                    },
                    level: b.level.clone(),
                    office_id: b.office_id.as_ref().map(|o| o.to_string()),
                    province_id: b.province_id,
                    benefit_fa: crate::domain::budget::Benefit::parse(&b.benefit)
                        .map(|x| x.name_fa())
                        .unwrap_or(""),
                    benefit: b.benefit.clone(),
                    monthly,
                    projection,
                });
            }
            Ok(BudgetReport { year, current_month, lines })
        })
        .await
}

/// The budget report as CSV: one row per budget.
pub fn budget_csv(r: &BudgetReport) -> AppResult<Vec<u8>> {
    let mut out = csv_writer();
    out.write_record([
        "سال",
        "سطح",
        "واحد",
        "ردیف بودجه",
        "بودجهٔ مصوب",
        "هزینهٔ قطعی",
        "تعهد",
        "مانده",
        "میانگین ماهانه",
        "پیش‌بینی پایان سال",
        "مازاد/کسری پیش‌بینی",
    ])
    .map_err(AppError::internal)?;
    for l in &r.lines {
        let p = &l.projection;
        out.write_record([
            r.year.to_string(),
            l.level.clone(),
            l.unit_name.clone(),
            l.benefit_fa.to_string(),
            p.approved.to_string(),
            p.spent_to_date.to_string(),
            p.commitment.to_string(),
            p.remaining.to_string(),
            p.run_rate.to_string(),
            p.projected_year_end.to_string(),
            p.projected_variance.to_string(),
        ])
        .map_err(AppError::internal)?;
    }
    finish_csv(out)
}
