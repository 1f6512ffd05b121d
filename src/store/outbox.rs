//! Notifications waiting for delivery (صف اعلان‌ها). Written in the transaction of the decision
//! they announce; the e-mail sender (issue 7) reads and marks them.

use crate::domain::record_ids::OutboxId;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::outbox;
use crate::db::AnyConnection;

#[derive(Clone, Debug, Queryable, Selectable, Insertable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: OutboxId,
    /// claim_decided, objection_decided, preauthorization_decided, ...
    pub kind: String,
    /// provider or insured.
    pub recipient_kind: String,
    pub recipient_id: String,
    pub subject_id: String,
    pub payload: String,
    pub created_at: NaiveDateTime,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
}

pub fn enqueue(
    conn: &mut AnyConnection,
    kind: &str,
    recipient_kind: &str,
    recipient_id: impl AsRef<str>,
    subject_id: impl AsRef<str>,
    payload: serde_json::Value,
) -> QueryResult<()> {
    let now = crate::store::now();
    let row = OutboxRow {
        id: OutboxId::new(),
        kind: kind.into(),
        recipient_kind: recipient_kind.into(),
        recipient_id: recipient_id.as_ref().into(),
        subject_id: subject_id.as_ref().into(),
        payload: payload.to_string(),
        created_at: now,
        attempts: 0,
        next_attempt_at: now,
        sent_at: None,
        last_error: None,
    };
    diesel::insert_into(outbox::table).values(&row).execute(conn)?;
    Ok(())
}

/// Entries about one subject (a claim, an objection), oldest first.
pub fn for_subject(conn: &mut AnyConnection, subject_id: &str) -> QueryResult<Vec<OutboxRow>> {
    outbox::table
        .filter(outbox::subject_id.eq(subject_id))
        .order(outbox::id.asc())
        .select(OutboxRow::as_select())
        .load(conn)
}

/// Entries due for delivery (not sent, next attempt now or earlier), oldest first.
pub fn due(conn: &mut AnyConnection, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<OutboxRow>> {
    outbox::table
        .filter(outbox::sent_at.is_null())
        .filter(outbox::next_attempt_at.le(now))
        .order(outbox::next_attempt_at.asc())
        .limit(limit)
        .select(OutboxRow::as_select())
        .load(conn)
}

/// Takes an entry for one delivery attempt by pushing its next attempt to `until`, only if it
/// is still due as read (another sender got it otherwise). A sender that dies mid-attempt
/// leaves the entry to be retried at `until`.
pub fn lease(conn: &mut AnyConnection, row: &OutboxRow, until: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(
        outbox::table
            .find(&row.id)
            .filter(outbox::sent_at.is_null())
            .filter(outbox::next_attempt_at.eq(row.next_attempt_at)),
    )
    .set(outbox::next_attempt_at.eq(until))
    .execute(conn)?;
    Ok(n == 1)
}

/// Delivered (or, with `note`, settled without delivery: no address, no template).
pub fn mark_sent(
    conn: &mut AnyConnection,
    id: &OutboxId,
    at: NaiveDateTime,
    note: Option<&str>,
) -> QueryResult<()> {
    diesel::update(outbox::table.find(id))
        .set((outbox::sent_at.eq(at), outbox::last_error.eq(note)))
        .execute(conn)
        .map(|_| ())
}

/// A failed attempt: counted, with the error and the time of the next try.
pub fn mark_failed(
    conn: &mut AnyConnection,
    id: &OutboxId,
    attempts: i32,
    next: NaiveDateTime,
    error: &str,
) -> QueryResult<()> {
    diesel::update(outbox::table.find(id))
        .set((outbox::attempts.eq(attempts), outbox::next_attempt_at.eq(next), outbox::last_error.eq(error)))
        .execute(conn)
        .map(|_| ())
}
