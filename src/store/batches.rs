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

/// The oldest batch with work left.
pub fn next_unfinished(conn: &mut AnyConnection) -> QueryResult<Option<BatchRow>> {
    claim_batches::table
        .filter(claim_batches::status.ne(crate::domain::lifecycle::batch::BatchStatus::Done))
        .order(claim_batches::id.asc())
        .select(BatchRow::as_select())
        .first(conn)
        .optional()
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
        .inner_join(claims::table.on(claims::id.nullable().eq(claim_batch_items::claim_id)))
        .filter(claim_batch_items::batch_id.eq(batch_id))
        .filter(claim_batch_items::http_status.eq(201))
        .select(crate::store::claims::ClaimRow::as_select())
        .load(conn)
}

pub fn set_status(
    conn: &mut AnyConnection,
    id: &BatchId,
    status: crate::domain::lifecycle::batch::BatchStatus,
    finished_at: Option<NaiveDateTime>,
) -> QueryResult<()> {
    diesel::update(claim_batches::table.find(id))
        .set((claim_batches::status.eq(status), claim_batches::finished_at.eq(finished_at)))
        .execute(conn)
        .map(|_| ())
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
