//! Advances, settlements, their items and payment orders.

use crate::domain::record_ids::{
    AdvanceId, BatchId, ClaimId, OfficeId, PaymentOrderId, ProviderId, SettlementId, UserId,
};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::auth::Scope;
use crate::db::schema::{advances, claims, payment_orders, settlement_items, settlements};
use crate::db::AnyConnection;
use crate::domain::settlement::OWED_STATUSES;
use crate::store::claims::ClaimRow;

/// An advance (علی‌الحساب) on a monthly list.
#[derive(Clone, Debug, Queryable, Selectable, Insertable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = advances)]
#[schema(as = Advance)]
pub struct AdvanceRow {
    pub id: AdvanceId,
    pub provider_id: ProviderId,
    pub office_id: OfficeId,
    /// Jalali month of the list's earliest service date, `1403-07`.
    pub service_month: String,
    /// The monthly list it is due on.
    pub batch_id: BatchId,
    /// What the list's new documents claim from the Organization, rials.
    pub claimed: i64,
    /// The contract's advance percent, a decimal written as a string.
    pub percent: String,
    /// Rials.
    pub amount: i64,
    pub due_on: NaiveDate,
    #[schema(value_type = crate::domain::lifecycle::payment::AdvanceStatus)]
    pub status: crate::domain::lifecycle::payment::AdvanceStatus,
    pub paid_on: Option<NaiveDate>,
    pub bank_reference: Option<String>,
    /// Id of the user who recorded the payment.
    pub paid_recorded_by: Option<UserId>,
    /// The settlement that netted it.
    pub settlement_id: Option<SettlementId>,
    /// UTC, without an offset (`2026-11-23T08:30:00`, possibly with a fraction of a second).
    #[schema(value_type = String, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?$")]
    pub created_at: NaiveDateTime,
}

/// A provider's settlement (تسویه) for a Jalali month; amounts in rials.
#[derive(Clone, Debug, Queryable, Selectable, Insertable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = settlements)]
#[schema(as = SettlementRecord)]
pub struct SettlementRow {
    pub id: SettlementId,
    pub provider_id: ProviderId,
    pub office_id: OfficeId,
    /// Jalali month, `1403-07`.
    pub service_month: String,
    pub claims_payable: i64,
    pub adjustments: i64,
    pub advances_netted: i64,
    pub net_payable: i64,
    pub due_on: NaiveDate,
    /// The contract's yearly late-payment rate, percent, a decimal written as a string.
    pub late_payment_rate: Option<String>,
    #[schema(value_type = crate::domain::lifecycle::payment::SettlementStatus)]
    pub status: crate::domain::lifecycle::payment::SettlementStatus,
    pub payment_order_id: Option<PaymentOrderId>,
    pub paid_on: Option<NaiveDate>,
    pub bank_reference: Option<String>,
    /// Id of the user who ran the settlement.
    pub created_by: UserId,
    /// UTC, without an offset (`2026-11-23T08:30:00`, possibly with a fraction of a second).
    #[schema(value_type = String, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?$")]
    pub created_at: NaiveDateTime,
    /// Negative balances of earlier settlements netted here (recoveries carried forward).
    pub carried_in: i64,
    /// For a `carried` settlement: the later settlement that netted it.
    pub carried_to: Option<String>,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = settlement_items)]
pub struct ItemRow {
    pub settlement_id: SettlementId,
    pub claim_id: ClaimId,
    /// `claim` or `adjustment`.
    pub kind: String,
    pub amount: i64,
    /// The settlement's provider (the distribution key on Citus).
    pub provider_id: ProviderId,
}

/// A payment order to the bank.
#[derive(Clone, Debug, Queryable, Selectable, Insertable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = payment_orders)]
#[schema(as = PaymentOrder)]
pub struct OrderRow {
    pub id: PaymentOrderId,
    /// Rials.
    pub total: i64,
    /// How many payees.
    pub items: i32,
    #[schema(value_type = crate::domain::lifecycle::payment::OrderStatus)]
    pub status: crate::domain::lifecycle::payment::OrderStatus,
    pub bank_reference: Option<String>,
    pub paid_on: Option<NaiveDate>,
    /// Id of the user who issued it.
    pub created_by: UserId,
    /// UTC, without an offset (`2026-11-23T08:30:00`, possibly with a fraction of a second).
    #[schema(value_type = String, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?$")]
    pub created_at: NaiveDateTime,
}

pub fn insert_advance(conn: &mut AnyConnection, row: &AdvanceRow) -> QueryResult<()> {
    diesel::insert_into(advances::table).values(row).execute(conn).map(|_| ())
}

/// An advance by id, whoever asks (system work; re-reads after [`find_advance_in`]).
pub fn find_advance(conn: &mut AnyConnection, id: &AdvanceId) -> QueryResult<Option<AdvanceRow>> {
    advances::table.find(id).select(AdvanceRow::as_select()).first(conn).optional()
}

/// An advance by id if it is in `scope`.
pub fn find_advance_in(
    conn: &mut AnyConnection,
    scope: &Scope,
    id: &AdvanceId,
) -> QueryResult<Option<AdvanceRow>> {
    advances::table
        .find(id)
        .filter(crate::store::scope::advances(scope))
        .select(AdvanceRow::as_select())
        .first(conn)
        .optional()
}

/// The advances in `scope` (the first 500).
pub fn list_advances(conn: &mut AnyConnection, scope: &Scope) -> QueryResult<Vec<AdvanceRow>> {
    advances::table
        .select(AdvanceRow::as_select())
        .filter(crate::store::scope::advances(scope))
        .order(advances::id.asc())
        .limit(500)
        .load(conn)
}

/// Records an advance as paid, once.
pub fn pay_advance(
    conn: &mut AnyConnection,
    id: &AdvanceId,
    paid_on: NaiveDate,
    reference: &str,
    by: &UserId,
) -> QueryResult<bool> {
    let n = diesel::update(
        advances::table
            .find(id)
            .filter(advances::status.eq(crate::domain::lifecycle::payment::AdvanceStatus::Due)),
    )
    .set((
        advances::status.eq(crate::domain::lifecycle::payment::AdvanceStatus::Paid),
        advances::paid_on.eq(paid_on),
        advances::bank_reference.eq(reference),
        advances::paid_recorded_by.eq(by),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Paid advances of a provider for months up to `month` not yet netted by a settlement.
pub fn advances_to_net(
    conn: &mut AnyConnection,
    provider_id: &ProviderId,
    month: &str,
) -> QueryResult<Vec<AdvanceRow>> {
    advances::table
        .filter(advances::provider_id.eq(provider_id))
        .filter(advances::status.eq(crate::domain::lifecycle::payment::AdvanceStatus::Paid))
        .filter(advances::settlement_id.is_null())
        .filter(advances::service_month.le(month))
        .select(AdvanceRow::as_select())
        .load(conn)
}

pub fn mark_netted(
    conn: &mut AnyConnection,
    ids: &[AdvanceId],
    settlement_id: &SettlementId,
) -> QueryResult<()> {
    diesel::update(advances::table.filter(advances::id.eq_any(ids)))
        .set(advances::settlement_id.eq(settlement_id))
        .execute(conn)?;
    Ok(())
}

/// A settlement by id, whoever asks (system work; re-reads after [`find_settlement_in`]).
pub fn find_settlement(conn: &mut AnyConnection, id: &SettlementId) -> QueryResult<Option<SettlementRow>> {
    settlements::table.find(id).select(SettlementRow::as_select()).first(conn).optional()
}

/// A settlement by id if it is in `scope`.
pub fn find_settlement_in(
    conn: &mut AnyConnection,
    scope: &Scope,
    id: &SettlementId,
) -> QueryResult<Option<SettlementRow>> {
    settlements::table
        .find(id)
        .filter(crate::store::scope::settlements(scope))
        .select(SettlementRow::as_select())
        .first(conn)
        .optional()
}

pub fn settlement_of(
    conn: &mut AnyConnection,
    provider_id: &ProviderId,
    month: &str,
) -> QueryResult<Option<SettlementRow>> {
    settlements::table
        .filter(settlements::provider_id.eq(provider_id).and(settlements::service_month.eq(month)))
        .select(SettlementRow::as_select())
        .first(conn)
        .optional()
}

#[derive(Debug, Default)]
pub struct SettlementFilter {
    /// Whose settlements: the caller's scope (the default, `Nothing`, lists none).
    pub scope: Scope,
    pub office_id: Option<OfficeId>,
    pub provider_id: Option<ProviderId>,
    pub service_month: Option<String>,
    /// Unpaid and due before this date.
    pub due_before: Option<NaiveDate>,
}

pub fn list_settlements(conn: &mut AnyConnection, f: &SettlementFilter) -> QueryResult<Vec<SettlementRow>> {
    let mut q = settlements::table
        .select(SettlementRow::as_select())
        .filter(crate::store::scope::settlements(&f.scope))
        .into_boxed();
    if let Some(v) = &f.office_id {
        q = q.filter(settlements::office_id.eq(v.clone()));
    }
    if let Some(v) = &f.provider_id {
        q = q.filter(settlements::provider_id.eq(v.clone()));
    }
    if let Some(v) = &f.service_month {
        q = q.filter(settlements::service_month.eq(v.clone()));
    }
    if let Some(d) = f.due_before {
        q = q.filter(settlements::due_on.lt(d)).filter(settlements::status.eq_any(OWED_STATUSES));
    }
    q.order(settlements::id.asc()).limit(500).load(conn)
}

pub fn insert_settlement(conn: &mut AnyConnection, s: &SettlementRow, items: &[ItemRow]) -> QueryResult<()> {
    diesel::insert_into(settlements::table).values(s).execute(conn)?;
    // One statement per row: diesel's multi-row INSERT is not available through MultiBackend.
    for i in items {
        diesel::insert_into(settlement_items::table).values(i).execute(conn)?;
    }
    Ok(())
}

/// A provider's negative balances not yet netted by a later settlement.
pub fn open_carried(conn: &mut AnyConnection, provider_id: &ProviderId) -> QueryResult<Vec<SettlementRow>> {
    settlements::table
        .filter(settlements::provider_id.eq(provider_id))
        .filter(settlements::status.eq(crate::domain::lifecycle::payment::SettlementStatus::Carried))
        .filter(settlements::carried_to.is_null())
        .select(SettlementRow::as_select())
        .order(settlements::id.asc())
        .load(conn)
}

/// Records which settlement netted the carried balances `ids`.
pub fn mark_carried_to(
    conn: &mut AnyConnection,
    ids: &[SettlementId],
    settlement_id: &SettlementId,
) -> QueryResult<()> {
    diesel::update(
        settlements::table.filter(settlements::id.eq_any(ids)).filter(settlements::carried_to.is_null()),
    )
    .set(settlements::carried_to.eq(settlement_id))
    .execute(conn)
    .map(|_| ())
}

pub fn items_of(
    conn: &mut AnyConnection,
    settlement_id: &SettlementId,
) -> QueryResult<Vec<(ItemRow, ClaimRow)>> {
    settlement_items::table
        .inner_join(
            claims::table.on(claims::id
                .eq(settlement_items::claim_id)
                .and(claims::provider_id.eq(settlement_items::provider_id))),
        )
        .filter(settlement_items::settlement_id.eq(settlement_id))
        .select((ItemRow::as_select(), ClaimRow::as_select()))
        .order(settlement_items::claim_id.asc())
        .load(conn)
}

/// Decided claims of a provider for months up to `month`, with what settlements have paid for
/// each so far (none: never settled).
pub fn claims_to_settle(
    conn: &mut AnyConnection,
    provider_id: &ProviderId,
    month: &str,
) -> QueryResult<Vec<(ClaimRow, Option<i64>)>> {
    let rows: Vec<ClaimRow> = claims::table
        .filter(claims::provider_id.eq(provider_id))
        .filter(claims::service_month.le(month))
        .filter(claims::status.eq_any(crate::domain::lifecycle::claim::ClaimStatus::DECIDED))
        .select(ClaimRow::as_select())
        .order(claims::id.asc())
        .load(conn)?;
    let settled = settled_so_far(conn, rows.iter().map(|c| &c.id).collect())?;
    Ok(rows
        .into_iter()
        .map(|c| {
            let paid = settled.get(&c.id).copied();
            (c, paid)
        })
        .collect())
}

/// Per claim, the sum of what settlements paid for it.
pub fn settled_so_far(
    conn: &mut AnyConnection,
    claim_ids: Vec<&ClaimId>,
) -> QueryResult<std::collections::HashMap<ClaimId, i64>> {
    let mut out = std::collections::HashMap::new();
    for chunk in claim_ids.chunks(500) {
        let items: Vec<(ClaimId, i64)> = settlement_items::table
            .filter(settlement_items::claim_id.eq_any(chunk.iter().copied()))
            .select((settlement_items::claim_id, settlement_items::amount))
            .load(conn)?;
        for (id, a) in items {
            *out.entry(id).or_insert(0) += a;
        }
    }
    Ok(out)
}

/// Claims of an office's month (for the reconciliation check).
pub fn month_claims(
    conn: &mut AnyConnection,
    office_id: &OfficeId,
    month: &str,
) -> QueryResult<Vec<ClaimRow>> {
    claims::table
        .filter(claims::office_id.eq(office_id).and(claims::service_month.eq(month)))
        .select(ClaimRow::as_select())
        .load(conn)
}

pub fn insert_order(conn: &mut AnyConnection, o: &OrderRow) -> QueryResult<()> {
    diesel::insert_into(payment_orders::table).values(o).execute(conn).map(|_| ())
}

pub fn find_order(conn: &mut AnyConnection, id: &PaymentOrderId) -> QueryResult<Option<OrderRow>> {
    payment_orders::table.find(id).select(OrderRow::as_select()).first(conn).optional()
}

/// Payment orders, newest first (the first 500).
pub fn list_orders(conn: &mut AnyConnection) -> QueryResult<Vec<OrderRow>> {
    payment_orders::table
        .select(OrderRow::as_select())
        .order((payment_orders::created_at.desc(), payment_orders::id.desc()))
        .limit(500)
        .load(conn)
}

/// Approved settlements with something to pay and in no order yet.
pub fn payable_settlements(conn: &mut AnyConnection) -> QueryResult<Vec<SettlementRow>> {
    settlements::table
        .filter(settlements::status.eq(crate::domain::lifecycle::payment::SettlementStatus::Approved))
        .filter(settlements::payment_order_id.is_null())
        .filter(settlements::net_payable.gt(0))
        .select(SettlementRow::as_select())
        .order(settlements::id.asc())
        .load(conn)
}

/// Puts settlements into an order; only those still in none (returns how many).
pub fn order_settlements(
    conn: &mut AnyConnection,
    ids: &[SettlementId],
    order_id: &PaymentOrderId,
) -> QueryResult<usize> {
    diesel::update(
        settlements::table
            .filter(settlements::id.eq_any(ids))
            .filter(settlements::payment_order_id.is_null()),
    )
    .set((
        settlements::payment_order_id.eq(order_id),
        settlements::status.eq(crate::domain::lifecycle::payment::SettlementStatus::Ordered),
    ))
    .execute(conn)
}

pub fn order_items(conn: &mut AnyConnection, order_id: &PaymentOrderId) -> QueryResult<Vec<SettlementRow>> {
    settlements::table
        .filter(settlements::payment_order_id.eq(order_id))
        .select(SettlementRow::as_select())
        .order(settlements::id.asc())
        .load(conn)
}

/// Marks an issued order and its settlements paid, once.
pub fn pay_order(
    conn: &mut AnyConnection,
    id: &PaymentOrderId,
    reference: &str,
    paid_on: NaiveDate,
) -> QueryResult<bool> {
    let n = diesel::update(
        payment_orders::table
            .find(id)
            .filter(payment_orders::status.eq(crate::domain::lifecycle::payment::OrderStatus::Issued)),
    )
    .set((
        payment_orders::status.eq(crate::domain::lifecycle::payment::OrderStatus::Paid),
        payment_orders::bank_reference.eq(reference),
        payment_orders::paid_on.eq(paid_on),
    ))
    .execute(conn)?;
    if n == 1 {
        diesel::update(settlements::table.filter(settlements::payment_order_id.eq(id)))
            .set((
                settlements::status.eq(crate::domain::lifecycle::payment::SettlementStatus::Paid),
                settlements::paid_on.eq(paid_on),
                settlements::bank_reference.eq(reference),
            ))
            .execute(conn)?;
    }
    Ok(n == 1)
}

/// A claim a payment order pays for the first time (a settlement's `claim` item, not a later
/// adjustment).
pub struct FirstPaid {
    pub office_id: String,
    pub provider_id: String,
    pub received_at: NaiveDateTime,
    /// The reviewer's decision; none for a claim the engine decided at intake.
    pub decided_at: Option<NaiveDateTime>,
}

/// The claims the payment order `order` pays for the first time.
pub fn first_paid_claims(conn: &mut AnyConnection, order: &PaymentOrderId) -> QueryResult<Vec<FirstPaid>> {
    use crate::db::schema::{claim_reviews, claims};
    use crate::domain::record_ids::{OfficeId, ProviderId};
    settlement_items::table
        .inner_join(
            claims::table.on(claims::id
                .eq(settlement_items::claim_id)
                .and(claims::provider_id.eq(settlement_items::provider_id))),
        )
        .left_join(claim_reviews::table.on(
            claim_reviews::claim_id.eq(claims::id).and(claim_reviews::provider_id.eq(claims::provider_id)),
        ))
        .filter(settlement_items::kind.eq("claim"))
        .filter(settlement_items::settlement_id.eq_any(
            settlements::table.filter(settlements::payment_order_id.eq(order)).select(settlements::id),
        ))
        .select((
            claims::office_id,
            claims::provider_id,
            claims::created_at,
            claim_reviews::decided_at.nullable(),
        ))
        .load::<(OfficeId, ProviderId, NaiveDateTime, Option<NaiveDateTime>)>(conn)
        .map(|rows| {
            rows.into_iter()
                .map(|(o, p, received_at, decided_at)| FirstPaid {
                    office_id: o.to_string(),
                    provider_id: p.to_string(),
                    received_at,
                    decided_at,
                })
                .collect()
        })
}
