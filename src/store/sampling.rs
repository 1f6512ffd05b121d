//! Review samples (نمونه‌گیری) and their claims.

use crate::domain::record_ids::{ClaimId, OfficeId, ProviderId, SampleId, UserId};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{claims, review_sample_claims, review_samples};
use crate::db::AnyConnection;
use crate::store::claims::ClaimRow;

#[derive(Clone, Debug, Queryable, Selectable, Insertable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = review_samples)]
pub struct SampleRow {
    pub id: SampleId,
    pub office_id: OfficeId,
    pub provider_id: ProviderId,
    pub service_month: String,
    pub method: String,
    pub percent: Option<String>,
    pub above_amount: Option<i64>,
    pub status: crate::domain::lifecycle::review::SampleStatus,
    pub rate: Option<String>,
    pub created_by: UserId,
    pub created_at: NaiveDateTime,
    pub closed_by: Option<UserId>,
    pub closed_at: Option<NaiveDateTime>,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = review_sample_claims)]
pub struct MemberRow {
    pub sample_id: SampleId,
    pub claim_id: ClaimId,
    pub selected: bool,
    pub payable_at_sampling: i64,
    /// The sample's provider (the distribution key on Citus).
    pub provider_id: ProviderId,
}

/// The decided claims of a provider's month in an office that no sample holds yet.
pub fn population(
    conn: &mut AnyConnection,
    office_id: &OfficeId,
    provider_id: &ProviderId,
    service_month: &str,
) -> QueryResult<Vec<ClaimRow>> {
    let sampled = review_sample_claims::table.select(review_sample_claims::claim_id);
    claims::table
        .filter(claims::office_id.eq(office_id))
        .filter(claims::provider_id.eq(provider_id))
        .filter(claims::service_month.eq(service_month))
        .filter(claims::status.eq_any([
            crate::domain::lifecycle::claim::ClaimStatus::Approved,
            crate::domain::lifecycle::claim::ClaimStatus::PartiallyApproved,
        ]))
        .filter(claims::id.ne_all(sampled))
        .select(ClaimRow::as_select())
        .order(claims::id.asc())
        .load(conn)
}

pub fn insert(conn: &mut AnyConnection, sample: &SampleRow, members: &[MemberRow]) -> QueryResult<()> {
    diesel::insert_into(review_samples::table).values(sample).execute(conn)?;
    // One statement per row: diesel's multi-row INSERT is not available through MultiBackend.
    for m in members {
        diesel::insert_into(review_sample_claims::table).values(m).execute(conn)?;
    }
    Ok(())
}

/// A sample by id if it is in `scope`.
pub fn find_in(
    conn: &mut AnyConnection,
    scope: &crate::auth::Scope,
    id: &SampleId,
) -> QueryResult<Option<SampleRow>> {
    review_samples::table
        .find(id)
        .filter(crate::store::scope::review_samples(scope))
        .select(SampleRow::as_select())
        .first(conn)
        .optional()
}

/// The samples in `scope`, newest first.
pub fn list_in(
    conn: &mut AnyConnection,
    scope: &crate::auth::Scope,
    limit: i64,
) -> QueryResult<Vec<SampleRow>> {
    review_samples::table
        .filter(crate::store::scope::review_samples(scope))
        .order((review_samples::created_at.desc(), review_samples::id.desc()))
        .limit(limit)
        .select(SampleRow::as_select())
        .load(conn)
}

/// The sample's claims with their current state.
pub fn members(conn: &mut AnyConnection, id: &SampleId) -> QueryResult<Vec<(MemberRow, ClaimRow)>> {
    review_sample_claims::table
        .inner_join(
            claims::table.on(claims::id
                .eq(review_sample_claims::claim_id)
                .and(claims::provider_id.eq(review_sample_claims::provider_id))),
        )
        .filter(review_sample_claims::sample_id.eq(id))
        .select((MemberRow::as_select(), ClaimRow::as_select()))
        .order(review_sample_claims::claim_id.asc())
        .load(conn)
}

/// A selected claim goes back to the review queue, saying why.
pub fn send_to_review(
    conn: &mut AnyConnection,
    claim_id: &ClaimId,
    pend_notes: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(claims::table.find(claim_id))
        .set((
            claims::status.eq(crate::domain::lifecycle::claim::ClaimStatus::Pended),
            claims::pend_notes.eq(pend_notes),
            claims::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Closes an open sample (once: two supervisors at once, one wins).
pub fn close(
    conn: &mut AnyConnection,
    id: &SampleId,
    status: crate::domain::lifecycle::review::SampleStatus,
    rate: Option<String>,
    by: &UserId,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        review_samples::table
            .find(id)
            .filter(review_samples::status.eq(crate::domain::lifecycle::review::SampleStatus::Open)),
    )
    .set((
        review_samples::status.eq(status),
        review_samples::rate.eq(rate),
        review_samples::closed_by.eq(by),
        review_samples::closed_at.eq(at),
    ))
    .execute(conn)?;
    Ok(n == 1)
}
