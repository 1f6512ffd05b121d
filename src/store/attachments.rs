use crate::domain::record_ids::{AttachmentId, CaseAttachmentId, ClaimId, ProviderId};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{attachments, case_attachments};
use crate::db::AnyConnection;

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = attachments)]
pub struct AttachmentRow {
    pub id: AttachmentId,
    pub claim_id: ClaimId,
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
    /// The claim's provider (the distribution key on Citus).
    pub provider_id: ProviderId,
}

pub fn insert(conn: &mut AnyConnection, row: &AttachmentRow) -> QueryResult<()> {
    diesel::insert_into(attachments::table).values(row).execute(conn).map(|_| ())
}

pub fn find_by_hash(
    conn: &mut AnyConnection,
    claim_id: &ClaimId,
    sha256: &str,
) -> QueryResult<Option<AttachmentRow>> {
    attachments::table
        .filter(attachments::claim_id.eq(claim_id).and(attachments::sha256.eq(sha256)))
        .select(AttachmentRow::as_select())
        .first(conn)
        .optional()
}

pub fn find(
    conn: &mut AnyConnection,
    claim_id: &ClaimId,
    id: &AttachmentId,
) -> QueryResult<Option<AttachmentRow>> {
    attachments::table
        .filter(attachments::claim_id.eq(claim_id).and(attachments::id.eq(id)))
        .select(AttachmentRow::as_select())
        .first(conn)
        .optional()
}

pub fn of_claim(conn: &mut AnyConnection, claim_id: &ClaimId) -> QueryResult<Vec<AttachmentRow>> {
    attachments::table
        .filter(attachments::claim_id.eq(claim_id))
        .select(AttachmentRow::as_select())
        .order(attachments::id.asc())
        .load(conn)
}

/// A document of a case other than a claim (a pre-authorization request, an objection).
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = case_attachments)]
pub struct CaseAttachmentRow {
    pub id: CaseAttachmentId,
    pub case_kind: String,
    pub case_id: String,
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

pub fn insert_case(conn: &mut AnyConnection, row: &CaseAttachmentRow) -> QueryResult<()> {
    diesel::insert_into(case_attachments::table).values(row).execute(conn).map(|_| ())
}

fn of_case_query(
    kind: &str,
    case_id: &str,
) -> case_attachments::BoxedQuery<'static, crate::db::MultiBackend> {
    case_attachments::table
        .filter(case_attachments::case_kind.eq(kind.to_string()))
        .filter(case_attachments::case_id.eq(case_id.to_string()))
        .into_boxed()
}

pub fn case_by_hash(
    conn: &mut AnyConnection,
    kind: &str,
    case_id: &str,
    sha256: &str,
) -> QueryResult<Option<CaseAttachmentRow>> {
    of_case_query(kind, case_id)
        .filter(case_attachments::sha256.eq(sha256.to_string()))
        .select(CaseAttachmentRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_case(
    conn: &mut AnyConnection,
    kind: &str,
    case_id: &str,
    id: &CaseAttachmentId,
) -> QueryResult<Option<CaseAttachmentRow>> {
    of_case_query(kind, case_id)
        .filter(case_attachments::id.eq(id.to_string()))
        .select(CaseAttachmentRow::as_select())
        .first(conn)
        .optional()
}

pub fn of_case(conn: &mut AnyConnection, kind: &str, case_id: &str) -> QueryResult<Vec<CaseAttachmentRow>> {
    of_case_query(kind, case_id)
        .select(CaseAttachmentRow::as_select())
        .order(case_attachments::id.asc())
        .load(conn)
}
