//! Notifications waiting for delivery (صف اعلان‌ها). Written in the transaction of the decision
//! they announce; the e-mail sender (issue 7) reads and marks them.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::outbox;
use crate::db::AnyConnection;

#[derive(Clone, Debug, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: String,
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
    recipient_id: &str,
    subject_id: &str,
    payload: serde_json::Value,
) -> QueryResult<()> {
    let now = crate::store::now();
    let row = OutboxRow {
        id: crate::store::new_id(),
        kind: kind.into(),
        recipient_kind: recipient_kind.into(),
        recipient_id: recipient_id.into(),
        subject_id: subject_id.into(),
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
