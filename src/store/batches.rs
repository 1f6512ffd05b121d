use crate::domain::record_ids::{BatchId, ClaimId, ProviderId};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::db::schema::{claim_batch_items, claim_batches};
use crate::db::AnyConnection;

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = claim_batches)]
pub struct BatchRow {
    pub id: BatchId,
    pub provider_id: ProviderId,
    pub created_by: String,
    pub status: crate::domain::lifecycle::batch::BatchStatus,
    pub total: i32,
    pub created_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    /// The business day the list was received (its advance's deadline runs from it).
    pub received_on: Option<NaiveDate>,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = claim_batch_items, treat_none_as_default_value = false)]
pub struct ItemRow {
    pub batch_id: BatchId,
    pub seq: i32,
    pub provider_document_no: Option<String>,
    pub payload: String,
    pub status: crate::domain::lifecycle::batch::ItemStatus,
    pub claim_id: Option<ClaimId>,
    pub http_status: Option<i32>,
    pub error: Option<String>,
    /// The list's provider (the distribution key on Citus).
    pub provider_id: ProviderId,
}

/// A monthly list with its items (the items at once, see `store::bulk_insert`).
pub fn insert(conn: &mut AnyConnection, batch: &BatchRow, items: &[ItemRow]) -> QueryResult<()> {
    diesel::insert_into(claim_batches::table).values(batch).execute(conn)?;
    crate::store::bulk_insert!(conn, claim_batch_items::table, items, 500);
    Ok(())
}

/// A monthly list by id, whoever asks (the worker).
pub fn find(conn: &mut AnyConnection, id: &BatchId) -> QueryResult<Option<BatchRow>> {
    claim_batches::table.find(id).select(BatchRow::as_select()).first(conn).optional()
}

/// A monthly list by id if it is in `scope`.
pub fn find_in(
    conn: &mut AnyConnection,
    scope: &crate::auth::Scope,
    id: &BatchId,
) -> QueryResult<Option<BatchRow>> {
    claim_batches::table
        .find(id)
        .filter(crate::store::scope::claim_batches(scope))
        .select(BatchRow::as_select())
        .first(conn)
        .optional()
}

pub fn items(conn: &mut AnyConnection, batch_id: &BatchId) -> QueryResult<Vec<ItemRow>> {
    claim_batch_items::table
        .filter(claim_batch_items::batch_id.eq(batch_id))
        .select(ItemRow::as_select())
        .order(claim_batch_items::seq.asc())
        .load(conn)
}

/// Takes the oldest monthly list with work left that no live worker holds, for `holder` until
/// `until` (its status becomes processing). A list is free when it was never taken, or its
/// lease ran out before `now` (its holder died, or is this process before a restart). Each
/// try is a conditional update, so of two processes racing for a list exactly one gets it.
pub fn take_next(
    conn: &mut AnyConnection,
    holder: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<Option<BatchRow>> {
    use crate::domain::lifecycle::batch::BatchStatus;
    let free = claim_batches::lease_until.is_null().or(claim_batches::lease_until.lt(now));
    let candidates: Vec<BatchId> = claim_batches::table
        .filter(claim_batches::status.ne(BatchStatus::Done))
        .filter(free)
        .order(claim_batches::id.asc())
        .limit(8)
        .select(claim_batches::id)
        .load(conn)?;
    for id in candidates {
        let taken = diesel::update(
            claim_batches::table
                .find(&id)
                .filter(claim_batches::status.ne(BatchStatus::Done))
                .filter(claim_batches::lease_until.is_null().or(claim_batches::lease_until.lt(now))),
        )
        .set((
            claim_batches::status.eq(BatchStatus::Processing),
            claim_batches::leased_by.eq(holder),
            claim_batches::lease_until.eq(until),
        ))
        .execute(conn)?;
        if taken == 1 {
            return find(conn, &id);
        }
    }
    Ok(None)
}

/// Extends `holder`'s lease on a list it still holds; false when the lease was lost (it ran
/// out and another worker took the list) or the list is done.
pub fn renew(
    conn: &mut AnyConnection,
    id: &BatchId,
    holder: &str,
    until: NaiveDateTime,
) -> QueryResult<bool> {
    use crate::domain::lifecycle::batch::BatchStatus;
    let n = diesel::update(
        claim_batches::table
            .find(id)
            .filter(claim_batches::status.ne(BatchStatus::Done))
            .filter(claim_batches::leased_by.eq(holder)),
    )
    .set(claim_batches::lease_until.eq(until))
    .execute(conn)?;
    Ok(n == 1)
}

/// Marks a list done, once: false when it already was (another worker finished it after
/// taking over an expired lease), so what follows the finish — the advance — happens once.
pub fn finish(conn: &mut AnyConnection, id: &BatchId, finished_at: NaiveDateTime) -> QueryResult<bool> {
    use crate::domain::lifecycle::batch::BatchStatus;
    let n = diesel::update(claim_batches::table.find(id).filter(claim_batches::status.ne(BatchStatus::Done)))
        .set((
            claim_batches::status.eq(BatchStatus::Done),
            claim_batches::finished_at.eq(Some(finished_at)),
            claim_batches::lease_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

pub fn pending_items(conn: &mut AnyConnection, batch_id: &BatchId, limit: i64) -> QueryResult<Vec<ItemRow>> {
    claim_batch_items::table
        .filter(
            claim_batch_items::batch_id
                .eq(batch_id)
                .and(claim_batch_items::status.eq(crate::domain::lifecycle::batch::ItemStatus::Pending)),
        )
        .order(claim_batch_items::seq.asc())
        .limit(limit)
        .select(ItemRow::as_select())
        .load(conn)
}

pub fn finish_item(
    conn: &mut AnyConnection,
    batch_id: &BatchId,
    seq: i32,
    status: crate::domain::lifecycle::batch::ItemStatus,
    claim_id: Option<&ClaimId>,
    http_status: i32,
    error: Option<&str>,
) -> QueryResult<()> {
    diesel::update(claim_batch_items::table.find((batch_id, seq)))
        .set((
            claim_batch_items::status.eq(status),
            claim_batch_items::claim_id.eq(claim_id),
            claim_batch_items::http_status.eq(Some(http_status)),
            claim_batch_items::error.eq(error),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The claims a list created (not documents it resent: those belong to an earlier list).
pub fn created_claims(
    conn: &mut AnyConnection,
    batch_id: &BatchId,
) -> QueryResult<Vec<crate::store::claims::ClaimRow>> {
    use crate::db::schema::claims;
    claim_batch_items::table
        .inner_join(
            claims::table.on(claims::id
                .nullable()
                .eq(claim_batch_items::claim_id)
                .and(claims::provider_id.eq(claim_batch_items::provider_id))),
        )
        .filter(claim_batch_items::batch_id.eq(batch_id))
        .filter(claim_batch_items::http_status.eq(201))
        .select(crate::store::claims::ClaimRow::as_select())
        .load(conn)
}

/// (items done, items failed) of a batch.
pub fn progress(conn: &mut AnyConnection, batch_id: &BatchId) -> QueryResult<(i64, i64)> {
    let done: i64 = claim_batch_items::table
        .filter(
            claim_batch_items::batch_id
                .eq(batch_id)
                .and(claim_batch_items::status.eq(crate::domain::lifecycle::batch::ItemStatus::Done)),
        )
        .select(count_star())
        .first(conn)?;
    let failed: i64 = claim_batch_items::table
        .filter(
            claim_batch_items::batch_id
                .eq(batch_id)
                .and(claim_batch_items::status.eq(crate::domain::lifecycle::batch::ItemStatus::Failed)),
        )
        .select(count_star())
        .first(conn)?;
    Ok((done, failed))
}

/// A provider's monthly lists, newest first: at most `limit`.
pub fn of_provider(
    conn: &mut AnyConnection,
    provider_id: &ProviderId,
    limit: i64,
) -> QueryResult<Vec<BatchRow>> {
    claim_batches::table
        .filter(claim_batches::provider_id.eq(provider_id))
        .order((claim_batches::created_at.desc(), claim_batches::id.desc()))
        .limit(limit)
        .select(BatchRow::as_select())
        .load(conn)
}
