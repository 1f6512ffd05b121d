//! Reimbursement requests (درخواست بازپرداخت) and their priced lines.

use crate::domain::lifecycle::reimbursement::{ReimbursementLineStatus, ReimbursementStatus};
use crate::domain::record_ids::{InsuredId, OfficeId, PaymentOrderId, ReimbursementId, UserId};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{reimbursement_lines, reimbursements};
use crate::db::AnyConnection;

#[derive(Clone, Debug, Queryable, Selectable, Insertable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = reimbursements)]
pub struct ReimbursementRow {
    pub id: ReimbursementId,
    pub office_id: OfficeId,
    pub insured_id: InsuredId,
    pub main_insured_id: InsuredId,
    pub filed_by: UserId,
    pub benefit: String,
    pub setting: Option<String>,
    pub kind: Option<String>,
    pub provider_name: String,
    pub provider_kind: String,
    pub prescription_tracking_code: Option<String>,
    pub prescribed_on: Option<NaiveDate>,
    pub admitted_on: Option<NaiveDate>,
    pub discharged_on: Option<NaiveDate>,
    pub diagnoses: String,
    pub travel: Option<String>,
    pub sheba: String,
    pub account_holder: String,
    pub status: crate::domain::lifecycle::reimbursement::ReimbursementStatus,
    pub paid_total: i64,
    pub reimbursed: i64,
    pub franchise: i64,
    pub above_tariff: i64,
    pub not_covered: i64,
    pub machine_reimbursed: Option<i64>,
    pub submitted_at: Option<NaiveDateTime>,
    pub proposal: Option<String>,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<NaiveDateTime>,
    pub decision_note: Option<String>,
    pub payment_order_id: Option<PaymentOrderId>,
    pub created_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = reimbursement_lines)]
pub struct RLineRow {
    pub reimbursement_id: ReimbursementId,
    pub line_no: i32,
    pub item_type: String,
    pub code: String,
    pub quantity: String,
    pub service_date: NaiveDate,
    pub status: ReimbursementLineStatus,
    pub billed: i64,
    pub tariff_amount: i64,
    pub insurer_payable: i64,
    pub patient_share: i64,
    pub patient_gap: i64,
    pub deducted: i64,
    pub reasons: String,
    pub cost_sharing_rule: Option<String>,
    pub tariff_year: Option<i32>,
    pub tariff_status: Option<String>,
    pub renewable_on: Option<NaiveDate>,
}

pub fn insert(conn: &mut AnyConnection, r: &ReimbursementRow, lines: &[RLineRow]) -> QueryResult<()> {
    diesel::insert_into(reimbursements::table).values(r).execute(conn)?;
    replace_lines(conn, &r.id, lines)
}

/// Writes a request's lines anew (they are re-priced on submission and on each decision).
pub fn replace_lines(conn: &mut AnyConnection, id: &ReimbursementId, lines: &[RLineRow]) -> QueryResult<()> {
    diesel::delete(reimbursement_lines::table.filter(reimbursement_lines::reimbursement_id.eq(id)))
        .execute(conn)?;
    for l in lines {
        diesel::insert_into(reimbursement_lines::table).values(l).execute(conn)?;
    }
    Ok(())
}

/// A request by id, whoever asks (system work; re-reads after [`find_in`]).
pub fn find(conn: &mut AnyConnection, id: &ReimbursementId) -> QueryResult<Option<ReimbursementRow>> {
    reimbursements::table.find(id).select(ReimbursementRow::as_select()).first(conn).optional()
}

/// A request by id if it is in `scope`.
pub fn find_in(
    conn: &mut AnyConnection,
    scope: &crate::auth::Scope,
    id: &ReimbursementId,
) -> QueryResult<Option<ReimbursementRow>> {
    reimbursements::table
        .find(id)
        .filter(crate::store::scope::reimbursements(scope))
        .select(ReimbursementRow::as_select())
        .first(conn)
        .optional()
}

pub fn lines(conn: &mut AnyConnection, id: &ReimbursementId) -> QueryResult<Vec<RLineRow>> {
    reimbursement_lines::table
        .filter(reimbursement_lines::reimbursement_id.eq(id))
        .order(reimbursement_lines::line_no.asc())
        .select(RLineRow::as_select())
        .load(conn)
}

/// The amounts and status after pricing or a decision.
pub struct Totals {
    pub status: crate::domain::lifecycle::reimbursement::ReimbursementStatus,
    pub reimbursed: i64,
    pub franchise: i64,
    pub above_tariff: i64,
    pub not_covered: i64,
}

/// Moves a request from `from` to a new status with its totals, only if it is still in `from`
/// (two reviewers at once: one wins). Returns whether it moved.
pub fn transition(
    conn: &mut AnyConnection,
    id: &ReimbursementId,
    from: ReimbursementStatus,
    t: &Totals,
    extra: Transition,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let target = reimbursements::table.find(id).filter(reimbursements::status.eq(from));
    let n = diesel::update(target)
        .set((
            reimbursements::status.eq(t.status),
            reimbursements::reimbursed.eq(t.reimbursed),
            reimbursements::franchise.eq(t.franchise),
            reimbursements::above_tariff.eq(t.above_tariff),
            reimbursements::not_covered.eq(t.not_covered),
        ))
        .execute(conn)?;
    if n == 1 {
        let row = reimbursements::table.find(id);
        match extra {
            Transition::Submitted => {
                diesel::update(row)
                    .set((
                        reimbursements::submitted_at.eq(now),
                        reimbursements::machine_reimbursed.eq(t.reimbursed),
                    ))
                    .execute(conn)?;
            }
            Transition::Proposed { by, proposal } => {
                diesel::update(row)
                    .set((reimbursements::decided_by.eq(by), reimbursements::proposal.eq(proposal)))
                    .execute(conn)?;
            }
            Transition::Decided { by, note } => {
                diesel::update(row)
                    .set((
                        reimbursements::decided_by.eq(by),
                        reimbursements::decision_note.eq(note),
                        reimbursements::decided_at.eq(now),
                        reimbursements::proposal.eq(None::<UserId>),
                    ))
                    .execute(conn)?;
            }
            Transition::Returned => {
                diesel::update(row).set(reimbursements::proposal.eq(None::<UserId>)).execute(conn)?;
            }
            Transition::None => {}
        }
    }
    Ok(n == 1)
}

/// What else a transition records.
pub enum Transition {
    None,
    Submitted,
    Proposed { by: UserId, proposal: String },
    Decided { by: UserId, note: Option<String> },
    Returned,
}

#[derive(Debug, Default)]
pub struct ReimbursementFilter {
    /// Whose requests: the caller's scope (the default, `Nothing`, lists none).
    pub scope: crate::auth::Scope,
    /// The main insured's requests or the patient's own.
    pub insured_id: Option<InsuredId>,
    pub office_id: Option<OfficeId>,
    pub status: Option<crate::domain::lifecycle::reimbursement::ReimbursementStatus>,
    pub benefit: Option<String>,
    pub after: Option<String>,
    pub limit: i64,
    /// Filed at or after this instant (UTC).
    pub filed_from: Option<NaiveDateTime>,
    /// Filed before this instant (UTC).
    pub filed_before: Option<NaiveDateTime>,
    /// Rows skipped (the console's pages; the API pages by `after`).
    pub offset: i64,
    /// Newest filed first (the office's list) instead of by id.
    pub newest_first: bool,
}

/// The rows `f` selects, every condition but the status (the counts by status are of these).
fn filtered(f: &ReimbursementFilter) -> reimbursements::BoxedQuery<'static, crate::store::scope::Db> {
    let mut q = reimbursements::table.filter(crate::store::scope::reimbursements(&f.scope)).into_boxed();
    if let Some(v) = &f.insured_id {
        q = q.filter(
            reimbursements::main_insured_id.eq(v.clone()).or(reimbursements::insured_id.eq(v.clone())),
        );
    }
    if let Some(v) = &f.office_id {
        q = q.filter(reimbursements::office_id.eq(v.clone()));
    }
    if let Some(v) = &f.benefit {
        q = q.filter(reimbursements::benefit.eq(v.clone()));
    }
    if let Some(v) = f.filed_from {
        q = q.filter(reimbursements::created_at.ge(v));
    }
    if let Some(v) = f.filed_before {
        q = q.filter(reimbursements::created_at.lt(v));
    }
    q
}

/// How many requests `f` selects in each status (`f.status` ignored), for the list's counts.
pub fn count_by_status(
    conn: &mut AnyConnection,
    f: &ReimbursementFilter,
) -> QueryResult<Vec<(crate::domain::lifecycle::reimbursement::ReimbursementStatus, i64)>> {
    use crate::domain::lifecycle::reimbursement::ReimbursementStatus;
    // One count per status (eight small indexed counts): diesel cannot group a boxed query.
    ReimbursementStatus::ALL
        .iter()
        .map(|s| Ok((*s, filtered(f).filter(reimbursements::status.eq(*s)).count().get_result::<i64>(conn)?)))
        .filter(|r| !matches!(r, Ok((_, 0))))
        .collect()
}

pub fn list(conn: &mut AnyConnection, f: &ReimbursementFilter) -> QueryResult<Vec<ReimbursementRow>> {
    if f.newest_first {
        let mut q = filtered(f).select(ReimbursementRow::as_select());
        if let Some(v) = &f.status {
            q = q.filter(reimbursements::status.eq(*v));
        }
        return q
            .order((reimbursements::created_at.desc(), reimbursements::id.desc()))
            .offset(f.offset)
            .limit(f.limit)
            .load(conn);
    }
    let mut q = reimbursements::table
        .select(ReimbursementRow::as_select())
        .filter(crate::store::scope::reimbursements(&f.scope))
        .into_boxed();
    if let Some(v) = &f.insured_id {
        q = q.filter(
            reimbursements::main_insured_id.eq(v.clone()).or(reimbursements::insured_id.eq(v.clone())),
        );
    }
    if let Some(v) = &f.office_id {
        q = q.filter(reimbursements::office_id.eq(v.clone()));
    }
    if let Some(v) = &f.status {
        q = q.filter(reimbursements::status.eq(*v));
    }
    if let Some(v) = &f.benefit {
        q = q.filter(reimbursements::benefit.eq(v.clone()));
    }
    if let Some(v) = &f.after {
        q = q.filter(reimbursements::id.gt(v.clone()));
    }
    q.order(reimbursements::id.asc()).limit(f.limit).load(conn)
}

/// Support items the patient received or asked for (not refused), for the renewal rule.
pub fn prior_items(
    conn: &mut AnyConnection,
    insured_id: &InsuredId,
    except: &ReimbursementId,
) -> QueryResult<Vec<(String, NaiveDate)>> {
    reimbursement_lines::table
        .inner_join(reimbursements::table)
        .filter(reimbursements::insured_id.eq(insured_id))
        .filter(reimbursements::id.ne(except))
        .filter(reimbursements::benefit.eq("support_item"))
        .filter(
            reimbursements::status.ne(crate::domain::lifecycle::reimbursement::ReimbursementStatus::Draft),
        )
        .filter(reimbursement_lines::status.ne(ReimbursementLineStatus::Rejected))
        .select((reimbursement_lines::code, reimbursement_lines::service_date))
        .load(conn)
}

/// The patient's earlier non-refused care lines (for duplicates and intervals), as
/// (item_type, code, date, quantity).
pub fn prior_care(
    conn: &mut AnyConnection,
    insured_id: &InsuredId,
    except: &ReimbursementId,
) -> QueryResult<Vec<(String, String, NaiveDate, String)>> {
    reimbursement_lines::table
        .inner_join(reimbursements::table)
        .filter(reimbursements::insured_id.eq(insured_id))
        .filter(reimbursements::id.ne(except))
        .filter(reimbursements::benefit.eq("care"))
        .filter(
            reimbursements::status.ne(crate::domain::lifecycle::reimbursement::ReimbursementStatus::Draft),
        )
        .filter(reimbursement_lines::status.ne(ReimbursementLineStatus::Rejected))
        .select((
            reimbursement_lines::item_type,
            reimbursement_lines::code,
            reimbursement_lines::service_date,
            reimbursement_lines::quantity,
        ))
        .load(conn)
}

/// Decided requests with something to pay and in no payment order yet.
pub fn payable(conn: &mut AnyConnection) -> QueryResult<Vec<ReimbursementRow>> {
    reimbursements::table
        .filter(reimbursements::status.eq_any([
            crate::domain::lifecycle::reimbursement::ReimbursementStatus::Approved,
            crate::domain::lifecycle::reimbursement::ReimbursementStatus::PartiallyApproved,
        ]))
        .filter(reimbursements::payment_order_id.is_null())
        .filter(reimbursements::reimbursed.gt(0))
        .select(ReimbursementRow::as_select())
        .order(reimbursements::id.asc())
        .load(conn)
}

/// Puts requests into a payment order; only those still in none (returns how many).
pub fn order(
    conn: &mut AnyConnection,
    ids: &[ReimbursementId],
    order_id: &PaymentOrderId,
) -> QueryResult<usize> {
    diesel::update(
        reimbursements::table
            .filter(reimbursements::id.eq_any(ids))
            .filter(reimbursements::payment_order_id.is_null()),
    )
    .set((
        reimbursements::payment_order_id.eq(order_id),
        reimbursements::status.eq(crate::domain::lifecycle::reimbursement::ReimbursementStatus::Ordered),
    ))
    .execute(conn)
}

pub fn of_order(conn: &mut AnyConnection, order_id: &PaymentOrderId) -> QueryResult<Vec<ReimbursementRow>> {
    reimbursements::table
        .filter(reimbursements::payment_order_id.eq(order_id))
        .select(ReimbursementRow::as_select())
        .order(reimbursements::id.asc())
        .load(conn)
}

/// The order's requests are paid (called once, when the order is; the date and the bank's
/// reference are the order's).
pub fn pay_order(conn: &mut AnyConnection, order_id: &PaymentOrderId) -> QueryResult<usize> {
    diesel::update(reimbursements::table.filter(reimbursements::payment_order_id.eq(order_id)))
        .set(reimbursements::status.eq(crate::domain::lifecycle::reimbursement::ReimbursementStatus::Paid))
        .execute(conn)
}

/// A request as the budget report reads it: status, reimbursed, the estimate at submission,
/// decided at.
pub type BudgetEntry = (ReimbursementStatus, i64, Option<i64>, Option<NaiveDateTime>);

/// The requests of a benefit under a budget's unit (an office, or a province's offices).
pub fn for_budget(
    conn: &mut AnyConnection,
    office_id: Option<&OfficeId>,
    province_id: Option<i32>,
    benefit: &str,
) -> QueryResult<Vec<BudgetEntry>> {
    use crate::db::schema::offices;
    let mut q = reimbursements::table
        .filter(reimbursements::benefit.eq(benefit.to_string()))
        .select((
            reimbursements::status,
            reimbursements::reimbursed,
            reimbursements::machine_reimbursed,
            reimbursements::decided_at,
        ))
        .into_boxed();
    if let Some(o) = office_id {
        q = q.filter(reimbursements::office_id.eq(o.clone()));
    }
    if let Some(p) = province_id {
        q = q.filter(
            reimbursements::office_id
                .eq_any(offices::table.filter(offices::province_id.eq(p)).select(offices::id)),
        );
    }
    q.load(conn)
}
