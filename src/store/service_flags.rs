//! Insured persons' reports that a billed service was not received (گزارش عدم دریافت خدمت), and
//! the page of claims an insured person reads in their portal.

use crate::domain::record_ids::{ClaimId, InsuredId, OfficeId, ProviderId, ServiceFlagId, UserId};
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{claims, service_flags};
use crate::db::AnyConnection;
use crate::store::claims::ClaimRow;

/// The line number a flag on the whole document carries (lines are numbered from 1).
pub const WHOLE_DOCUMENT: i32 = 0;

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = service_flags)]
pub struct FlagRow {
    pub id: ServiceFlagId,
    pub claim_id: ClaimId,
    /// The flagged line, or [`WHOLE_DOCUMENT`].
    pub line_no: i32,
    pub provider_id: ProviderId,
    pub office_id: OfficeId,
    /// Whose claim it is.
    pub insured_id: InsuredId,
    /// Who reported it (the person, or their main insured).
    pub flagged_by: InsuredId,
    pub user_id: UserId,
    pub note: String,
    pub created_at: NaiveDateTime,
    pub resolved_by: Option<UserId>,
    pub resolved_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut AnyConnection, row: &FlagRow) -> QueryResult<()> {
    diesel::insert_into(service_flags::table).values(row).execute(conn).map(|_| ())
}

/// The flag on a claim's line (or on the whole document), if there is one.
pub fn find(conn: &mut AnyConnection, claim_id: &ClaimId, line_no: i32) -> QueryResult<Option<FlagRow>> {
    service_flags::table
        .filter(service_flags::claim_id.eq(claim_id).and(service_flags::line_no.eq(line_no)))
        .select(FlagRow::as_select())
        .first(conn)
        .optional()
}

/// The flags on some claims, oldest first.
pub fn of_claims(conn: &mut AnyConnection, ids: &[ClaimId]) -> QueryResult<Vec<FlagRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    service_flags::table
        .filter(service_flags::claim_id.eq_any(ids))
        .order((service_flags::created_at.asc(), service_flags::id.asc()))
        .select(FlagRow::as_select())
        .load(conn)
}

/// A page of the claims billed in `insured`'s and their dependants' names, newest received
/// first; `before` is the last id of the previous page (ids are time-ordered).
pub fn family_claims(
    conn: &mut AnyConnection,
    insured: &InsuredId,
    before: Option<&ClaimId>,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<ClaimRow>> {
    let mut q = claims::table
        .filter(crate::store::scope::insured_family_claims(insured))
        .select(ClaimRow::as_select())
        .order(claims::id.desc())
        .into_boxed();
    if let Some(b) = before {
        q = q.filter(claims::id.lt(b.clone()));
    }
    q.limit(limit).offset(offset).load(conn)
}

/// How many claims the family holds.
pub fn family_count(conn: &mut AnyConnection, insured: &InsuredId) -> QueryResult<i64> {
    claims::table.filter(crate::store::scope::insured_family_claims(insured)).count().get_result(conn)
}

/// A claim of the family by id (`None` otherwise: answered 404).
pub fn find_in_family(
    conn: &mut AnyConnection,
    insured: &InsuredId,
    id: &ClaimId,
) -> QueryResult<Option<ClaimRow>> {
    claims::table
        .find(id)
        .filter(crate::store::scope::insured_family_claims(insured))
        .select(ClaimRow::as_select())
        .first(conn)
        .optional()
}

/// Which of these claims have a flag nobody has looked into yet.
pub fn open_among(conn: &mut AnyConnection, ids: &[ClaimId]) -> QueryResult<Vec<ClaimId>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    service_flags::table
        .filter(service_flags::claim_id.eq_any(ids))
        .filter(service_flags::resolved_at.is_null())
        .select(service_flags::claim_id)
        .distinct()
        .load(conn)
}

/// Marks the claim's open flags as looked into by `user_id`; returns how many.
pub fn resolve_open(
    conn: &mut AnyConnection,
    claim_id: &ClaimId,
    user_id: &UserId,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        service_flags::table
            .filter(service_flags::claim_id.eq(claim_id))
            .filter(service_flags::resolved_at.is_null()),
    )
    .set((service_flags::resolved_by.eq(user_id), service_flags::resolved_at.eq(at)))
    .execute(conn)
}
