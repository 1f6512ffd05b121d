use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::attachments;
use crate::db::AnyConnection;

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = attachments)]
pub struct AttachmentRow {
    pub id: String,
    pub claim_id: String,
    pub sha256: String,
    pub document_type: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub original_name: Option<String>,
    pub stamp_office: String,
    pub stamp_user_name: String,
    pub stamp_user_code: String,
    pub stamp_date: NaiveDate,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut AnyConnection, row: &AttachmentRow) -> QueryResult<()> {
    diesel::insert_into(attachments::table).values(row).execute(conn).map(|_| ())
}

pub fn find_by_hash(
    conn: &mut AnyConnection,
    claim_id: &str,
    sha256: &str,
) -> QueryResult<Option<AttachmentRow>> {
    attachments::table
        .filter(attachments::claim_id.eq(claim_id).and(attachments::sha256.eq(sha256)))
        .select(AttachmentRow::as_select())
        .first(conn)
        .optional()
}

pub fn find(conn: &mut AnyConnection, claim_id: &str, id: &str) -> QueryResult<Option<AttachmentRow>> {
    attachments::table
        .filter(attachments::claim_id.eq(claim_id).and(attachments::id.eq(id)))
        .select(AttachmentRow::as_select())
        .first(conn)
        .optional()
}

pub fn of_claim(conn: &mut AnyConnection, claim_id: &str) -> QueryResult<Vec<AttachmentRow>> {
    attachments::table
        .filter(attachments::claim_id.eq(claim_id))
        .select(AttachmentRow::as_select())
        .order(attachments::id.asc())
        .load(conn)
}
