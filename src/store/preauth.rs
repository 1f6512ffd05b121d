//! Pre-authorization requests (درخواست تأیید قبلی) and what claims used of them.

use crate::domain::record_ids::{ClaimId, InsuredId, OfficeId, PreauthId, ProviderId, UserId};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{claim_lines, preauthorizations};
use crate::db::AnyConnection;

#[derive(Clone, Debug, Queryable, Selectable, Insertable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = preauthorizations)]
pub struct PreauthRow {
    pub id: PreauthId,
    pub provider_id: ProviderId,
    pub office_id: OfficeId,
    pub insured_id: InsuredId,
    pub national_code: String,
    pub item_type: String,
    pub code: String,
    pub quantity: String,
    pub diagnoses: String,
    pub justification: String,
    pub status: crate::domain::lifecycle::preauth::PreauthStatus,
    pub approved_quantity: Option<String>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    pub decision_reason: Option<String>,
    pub decision_note: Option<String>,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<NaiveDateTime>,
    pub requested_by: UserId,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut AnyConnection, row: &PreauthRow) -> QueryResult<()> {
    diesel::insert_into(preauthorizations::table).values(row).execute(conn).map(|_| ())
}

/// A request by id, whoever asks (system work; re-reads after [`find_in`]).
pub fn find(conn: &mut AnyConnection, id: &PreauthId) -> QueryResult<Option<PreauthRow>> {
    preauthorizations::table.find(id).select(PreauthRow::as_select()).first(conn).optional()
}

/// A request by id if it is in `scope`.
pub fn find_in(
    conn: &mut AnyConnection,
    scope: &crate::auth::Scope,
    id: &PreauthId,
) -> QueryResult<Option<PreauthRow>> {
    preauthorizations::table
        .find(id)
        .filter(crate::store::scope::preauthorizations(scope))
        .select(PreauthRow::as_select())
        .first(conn)
        .optional()
}

/// Who may be listed: one provider's, one office's, one insured person's, or all.
#[derive(Debug, Default)]
pub struct PreauthFilter {
    /// Whose requests: the caller's scope (the default, `Nothing`, lists none).
    pub scope: crate::auth::Scope,
    pub provider_id: Option<ProviderId>,
    pub office_id: Option<OfficeId>,
    pub insured_id: Option<InsuredId>,
    pub status: Option<crate::domain::lifecycle::preauth::PreauthStatus>,
    pub code: Option<String>,
    pub after: Option<String>,
    pub limit: i64,
}

pub fn list(conn: &mut AnyConnection, f: &PreauthFilter) -> QueryResult<Vec<PreauthRow>> {
    let mut q = preauthorizations::table
        .select(PreauthRow::as_select())
        .filter(crate::store::scope::preauthorizations(&f.scope))
        .into_boxed();
    if let Some(v) = &f.provider_id {
        q = q.filter(preauthorizations::provider_id.eq(v.clone()));
    }
    if let Some(v) = &f.office_id {
        q = q.filter(preauthorizations::office_id.eq(v.clone()));
    }
    if let Some(v) = &f.insured_id {
        q = q.filter(preauthorizations::insured_id.eq(v.clone()));
    }
    if let Some(v) = &f.status {
        q = q.filter(preauthorizations::status.eq(*v));
    }
    if let Some(v) = &f.code {
        q = q.filter(preauthorizations::code.eq(v.clone()));
    }
    if let Some(v) = &f.after {
        q = q.filter(preauthorizations::id.gt(v.clone()));
    }
    q.order(preauthorizations::id.asc()).limit(f.limit).load(conn)
}

/// The medical advisor's decision, only on a request still waiting (two advisors at once: one
/// wins, the other gets `false`).
pub struct Decision<'a> {
    pub status: crate::domain::lifecycle::preauth::PreauthStatus,
    pub approved_quantity: Option<String>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub decided_by: &'a UserId,
    pub decided_at: NaiveDateTime,
}

pub fn decide(conn: &mut AnyConnection, id: &PreauthId, d: &Decision<'_>) -> QueryResult<bool> {
    let n =
        diesel::update(preauthorizations::table.find(id).filter(
            preauthorizations::status.eq(crate::domain::lifecycle::preauth::PreauthStatus::Requested),
        ))
        .set((
            preauthorizations::status.eq(d.status),
            preauthorizations::approved_quantity.eq(&d.approved_quantity),
            preauthorizations::valid_from.eq(d.valid_from),
            preauthorizations::valid_to.eq(d.valid_to),
            preauthorizations::decision_reason.eq(&d.reason),
            preauthorizations::decision_note.eq(&d.note),
            preauthorizations::decided_by.eq(d.decided_by),
            preauthorizations::decided_at.eq(d.decided_at),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// The insured person's decided requests (what the engine may rely on), with the quantity
/// claim lines not rejected have used of each.
pub fn decided_for_insured(
    conn: &mut AnyConnection,
    insured_id: &InsuredId,
) -> QueryResult<Vec<(PreauthRow, Vec<String>)>> {
    let rows: Vec<PreauthRow> = preauthorizations::table
        .filter(preauthorizations::insured_id.eq(insured_id))
        .filter(preauthorizations::status.ne(crate::domain::lifecycle::preauth::PreauthStatus::Requested))
        .select(PreauthRow::as_select())
        .order(preauthorizations::id.asc())
        .load(conn)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let used: Vec<(Option<String>, String)> = claim_lines::table
        .filter(claim_lines::preauthorization_id.eq_any(&ids))
        .filter(claim_lines::status.ne(crate::domain::lifecycle::claim::LineStatus::Rejected))
        .select((claim_lines::preauthorization_id, claim_lines::approved_quantity))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let q =
                used.iter().filter(|(id, _)| id.as_deref() == Some(r.id.as_str())).map(|(_, q)| q.clone());
            let q = q.collect();
            (r, q)
        })
        .collect())
}

/// The claim lines that used an approval: (claim id, line no, approved quantity, status).
pub fn uses(
    conn: &mut AnyConnection,
    id: &PreauthId,
) -> QueryResult<Vec<(ClaimId, i32, String, crate::domain::lifecycle::claim::LineStatus)>> {
    claim_lines::table
        .filter(claim_lines::preauthorization_id.eq(id))
        .select((
            claim_lines::claim_id,
            claim_lines::line_no,
            claim_lines::approved_quantity,
            claim_lines::status,
        ))
        .order((claim_lines::claim_id.asc(), claim_lines::line_no.asc()))
        .load(conn)
}

/// The order of the medical advisor's inbox.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InboxSort {
    /// Longest waiting first (the default: requests are decided in the order they came).
    #[default]
    Oldest,
    Newest,
}

/// A page of the medical advisor's inbox (کارتابل پزشک معتمد): the scope's requests with the
/// given status, provider and code, sorted, `limit` from `offset`.
#[derive(Clone, Debug, Default)]
pub struct InboxFilter {
    pub scope: crate::auth::Scope,
    pub status: Option<crate::domain::lifecycle::preauth::PreauthStatus>,
    pub provider_id: Option<ProviderId>,
    pub code: Option<String>,
    pub sort: InboxSort,
    pub limit: i64,
    pub offset: i64,
}

fn inbox_query<'a>(f: &'a InboxFilter) -> preauthorizations::BoxedQuery<'a, crate::store::scope::Db> {
    let mut q =
        preauthorizations::table.filter(crate::store::scope::preauthorizations(&f.scope)).into_boxed();
    if let Some(v) = &f.status {
        q = q.filter(preauthorizations::status.eq(*v));
    }
    if let Some(v) = &f.provider_id {
        q = q.filter(preauthorizations::provider_id.eq(v.clone()));
    }
    if let Some(v) = &f.code {
        q = q.filter(preauthorizations::code.eq(v.clone()));
    }
    q
}

pub fn inbox(conn: &mut AnyConnection, f: &InboxFilter) -> QueryResult<Vec<PreauthRow>> {
    let q = inbox_query(f).select(PreauthRow::as_select());
    let q = match f.sort {
        InboxSort::Oldest => q.order((preauthorizations::created_at.asc(), preauthorizations::id.asc())),
        InboxSort::Newest => q.order((preauthorizations::created_at.desc(), preauthorizations::id.desc())),
    };
    q.limit(f.limit).offset(f.offset).load(conn)
}

pub fn inbox_count(conn: &mut AnyConnection, f: &InboxFilter) -> QueryResult<i64> {
    inbox_query(f).count().get_result(conn)
}
