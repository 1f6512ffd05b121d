//! The review office's data: who works a claim, reviewers' decisions and providers' objections.

use crate::domain::record_ids::{ClaimId, DecisionId, ObjectionId, OfficeId, ProviderId, UserId};
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{claim_lines, claim_reviews, claims, objections, review_decisions, service_flags};
use crate::db::AnyConnection;
use crate::store::claims::ClaimRow;

/// A claim's review bookkeeping (a row once a reviewer has touched the claim).
#[derive(Clone, Debug, Default, Queryable)]
pub struct ReviewState {
    pub assigned_to: Option<UserId>,
    pub assigned_at: Option<NaiveDateTime>,
    pub reviewed_by: Option<UserId>,
    pub decided_at: Option<NaiveDateTime>,
}

/// The claim's review bookkeeping. Every function on `claim_reviews` takes the claim's provider
/// too: the row is keyed by (claim_id, provider_id), the distribution key on Citus.
pub fn review_state(
    conn: &mut AnyConnection,
    claim_id: &ClaimId,
    provider_id: &ProviderId,
) -> QueryResult<ReviewState> {
    Ok(claim_reviews::table
        .find(claim_id)
        .filter(claim_reviews::provider_id.eq(provider_id))
        .select((
            claim_reviews::assigned_to,
            claim_reviews::assigned_at,
            claim_reviews::reviewed_by,
            claim_reviews::decided_at,
        ))
        .first(conn)
        .optional()?
        .unwrap_or_default())
}

/// Makes sure the claim has its bookkeeping row (inserted on first touch; a second insert of
/// the same claim is not attempted because the row is looked up first inside the transaction).
fn ensure_row(conn: &mut AnyConnection, claim_id: &ClaimId, provider_id: &ProviderId) -> QueryResult<()> {
    let exists = claim_reviews::table
        .find(claim_id)
        .filter(claim_reviews::provider_id.eq(provider_id))
        .select(claim_reviews::claim_id)
        .first::<String>(conn)
        .optional()?;
    if exists.is_none() {
        diesel::insert_into(claim_reviews::table)
            .values((claim_reviews::claim_id.eq(claim_id), claim_reviews::provider_id.eq(provider_id)))
            .execute(conn)?;
    }
    Ok(())
}

/// Filters and order of the review queue.
#[derive(Clone, Debug, Default)]
pub struct QueueFilter {
    /// The caller's office, set by the use case (`None` matches nothing).
    pub office_id: Option<OfficeId>,
    pub provider_id: Option<ProviderId>,
    pub kind: Option<String>,
    pub min_billed: Option<i64>,
    pub max_billed: Option<i64>,
    /// Claims with a line pended or deducted for this reason code.
    pub reason: Option<String>,
    /// Claims received at or before this time (the age filter).
    pub received_before: Option<NaiveDateTime>,
    /// Only claims nobody has taken (`true`) or only taken ones (`false`).
    pub unassigned: Option<bool>,
    /// Only claims this reviewer holds (a supervisor's backlog per reviewer).
    pub assigned_to: Option<UserId>,
    pub sort: QueueSort,
    pub limit: i64,
    pub offset: i64,
}

/// The queue's order (`?sort=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum QueueSort {
    /// Oldest first: the default, so nothing waits forever.
    #[default]
    Oldest,
    Newest,
    AmountDesc,
    AmountAsc,
}

/// The claims an insured person reported a service of as not received, not yet looked into
/// (`store::service_flags`): they are in the queue whatever their status, flagged, not decided.
macro_rules! open_flags {
    () => {
        service_flags::table.filter(service_flags::resolved_at.is_null()).select(service_flags::claim_id)
    };
}

/// The queue's conditions on a boxed query selecting `$select`: the rows and the counts of the
/// queue are read under exactly the same filters.
macro_rules! filtered_queue {
    ($f:expr, $office:expr, $select:expr) => {{
        let f: &QueueFilter = $f;
        let office: &OfficeId = $office;
        let mut q = claims::table
            .filter(claims::office_id.eq(office))
            .filter(
                claims::status
                    .eq_any([
                        crate::domain::lifecycle::claim::ClaimStatus::Pended,
                        crate::domain::lifecycle::claim::ClaimStatus::AwaitingApproval,
                    ])
                    .or(claims::id.eq_any(open_flags!())),
            )
            .left_join(
                claim_reviews::table.on(claim_reviews::claim_id
                    .eq(claims::id)
                    .and(claim_reviews::provider_id.eq(claims::provider_id))),
            )
            .select($select)
            .into_boxed();
        if let Some(v) = &f.provider_id {
            q = q.filter(claims::provider_id.eq(v.clone()));
        }
        if let Some(v) = &f.kind {
            q = q.filter(claims::kind.eq(v.clone()));
        }
        if let Some(v) = f.min_billed {
            q = q.filter(claims::billed.ge(v));
        }
        if let Some(v) = f.max_billed {
            q = q.filter(claims::billed.le(v));
        }
        if let Some(code) = &f.reason {
            let pattern = format!("%\"{code}\"%");
            let with_reason = claim_lines::table
                .filter(
                    claim_lines::reasons.like(pattern.clone()).or(claim_lines::pend_reasons.like(pattern)),
                )
                .select(claim_lines::claim_id);
            // R93 (not received, as the insured reports) is the queue's filter of flagged claims.
            if code == crate::domain::reasons::Reason::R93.code() {
                q = q.filter(claims::id.eq_any(with_reason).or(claims::id.eq_any(open_flags!())));
            } else {
                q = q.filter(claims::id.eq_any(with_reason));
            }
        }
        if let Some(t) = f.received_before {
            q = q.filter(claims::created_at.le(t));
        }
        match f.unassigned {
            Some(true) => q = q.filter(claim_reviews::assigned_to.is_null()),
            Some(false) => q = q.filter(claim_reviews::assigned_to.is_not_null()),
            None => {}
        }
        if let Some(u) = &f.assigned_to {
            q = q.filter(claim_reviews::assigned_to.eq(u.clone()));
        }
        q
    }};
}

/// The office's pended claims (and those awaiting a supervisor), with their assignee.
pub fn queue(conn: &mut AnyConnection, f: &QueueFilter) -> QueryResult<Vec<(ClaimRow, Option<UserId>)>> {
    let Some(office_id) = &f.office_id else { return Ok(Vec::new()) };
    let mut q = filtered_queue!(f, office_id, (ClaimRow::as_select(), claim_reviews::assigned_to.nullable()));
    q = match f.sort {
        QueueSort::Oldest => q.order((claims::created_at.asc(), claims::id.asc())),
        QueueSort::Newest => q.order((claims::created_at.desc(), claims::id.desc())),
        QueueSort::AmountDesc => q.order((claims::billed.desc(), claims::id.asc())),
        QueueSort::AmountAsc => q.order((claims::billed.asc(), claims::id.asc())),
    };
    q.limit(f.limit).offset(f.offset).load(conn)
}

/// How many claims the queue holds under `f` (its sort, limit and offset are ignored).
pub fn queue_count(conn: &mut AnyConnection, f: &QueueFilter) -> QueryResult<i64> {
    let Some(office_id) = &f.office_id else { return Ok(0) };
    filtered_queue!(f, office_id, diesel::dsl::count_star()).get_result(conn)
}

/// Takes a claim for `user_id` unless someone else has it: one conditional update, so of two
/// reviewers taking the same claim at once exactly one succeeds. Returns whether the caller
/// now holds it.
pub fn assign(
    conn: &mut AnyConnection,
    claim_id: &ClaimId,
    provider_id: &ProviderId,
    user_id: &UserId,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    ensure_row(conn, claim_id, provider_id)?;
    let n = diesel::update(
        claim_reviews::table
            .find(claim_id)
            .filter(claim_reviews::provider_id.eq(provider_id))
            .filter(claim_reviews::assigned_to.is_null().or(claim_reviews::assigned_to.eq(user_id))),
    )
    .set((claim_reviews::assigned_to.eq(user_id), claim_reviews::assigned_at.eq(now)))
    .execute(conn)?;
    Ok(n == 1)
}

/// Gives a claim to `user_id` whoever holds it (a supervisor's assignment, ارجاع).
pub fn reassign(
    conn: &mut AnyConnection,
    claim_id: &ClaimId,
    provider_id: &ProviderId,
    user_id: &UserId,
    now: NaiveDateTime,
) -> QueryResult<()> {
    ensure_row(conn, claim_id, provider_id)?;
    diesel::update(claim_reviews::table.find(claim_id).filter(claim_reviews::provider_id.eq(provider_id)))
        .set((claim_reviews::assigned_to.eq(user_id), claim_reviews::assigned_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

pub fn release(conn: &mut AnyConnection, claim_id: &ClaimId, provider_id: &ProviderId) -> QueryResult<()> {
    diesel::update(claim_reviews::table.find(claim_id).filter(claim_reviews::provider_id.eq(provider_id)))
        .set((
            claim_reviews::assigned_to.eq(None::<UserId>),
            claim_reviews::assigned_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_status(
    conn: &mut AnyConnection,
    claim_id: &ClaimId,
    status: crate::domain::lifecycle::claim::ClaimStatus,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(claims::table.find(claim_id))
        .set((claims::status.eq(status), claims::updated_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

/// New amounts of one line after a decision.
pub struct LineUpdate {
    pub line_no: i32,
    pub status: crate::domain::lifecycle::claim::LineStatus,
    pub approved_quantity: Option<String>,
    pub insurer_payable: i64,
    pub patient_share: i64,
    pub patient_gap: i64,
    pub deducted: i64,
    pub reasons: String,
}

pub fn update_line(conn: &mut AnyConnection, claim_id: &ClaimId, u: &LineUpdate) -> QueryResult<()> {
    let target = claim_lines::table.find((claim_id, u.line_no));
    diesel::update(target)
        .set((
            claim_lines::status.eq(u.status),
            claim_lines::insurer_payable.eq(u.insurer_payable),
            claim_lines::patient_share.eq(u.patient_share),
            claim_lines::patient_gap.eq(u.patient_gap),
            claim_lines::deducted.eq(u.deducted),
            claim_lines::reasons.eq(&u.reasons),
            claim_lines::pend_reasons.eq("[]"),
        ))
        .execute(conn)?;
    if let Some(q) = &u.approved_quantity {
        diesel::update(target).set(claim_lines::approved_quantity.eq(q)).execute(conn)?;
    }
    Ok(())
}

/// The claim's totals and status after a decision; the claim leaves the reviewer's hands.
pub struct ClaimDecided<'a> {
    pub status: crate::domain::lifecycle::claim::ClaimStatus,
    pub insurer_payable: i64,
    pub patient_share: i64,
    pub patient_gap: i64,
    pub deducted: i64,
    pub reviewed_by: &'a UserId,
    pub at: NaiveDateTime,
}

pub fn decide_claim(
    conn: &mut AnyConnection,
    claim_id: &ClaimId,
    provider_id: &ProviderId,
    d: &ClaimDecided<'_>,
) -> QueryResult<()> {
    diesel::update(claims::table.find(claim_id))
        .set((
            claims::status.eq(d.status),
            claims::insurer_payable.eq(d.insurer_payable),
            claims::patient_share.eq(d.patient_share),
            claims::patient_gap.eq(d.patient_gap),
            claims::deducted.eq(d.deducted),
            claims::updated_at.eq(d.at),
        ))
        .execute(conn)?;
    ensure_row(conn, claim_id, provider_id)?;
    diesel::update(claim_reviews::table.find(claim_id).filter(claim_reviews::provider_id.eq(provider_id)))
        .set((
            claim_reviews::reviewed_by.eq(d.reviewed_by),
            claim_reviews::decided_at.eq(d.at),
            claim_reviews::assigned_to.eq(None::<UserId>),
            claim_reviews::assigned_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = review_decisions)]
pub struct DecisionRow {
    pub id: DecisionId,
    pub claim_id: ClaimId,
    pub origin: String,
    pub objection_id: Option<ObjectionId>,
    pub decided_by: UserId,
    pub status: crate::domain::lifecycle::review::DecisionStatus,
    pub lines: String,
    pub note: Option<String>,
    pub payable_before: i64,
    pub payable_after: i64,
    pub approved_by: Option<UserId>,
    pub approved_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    /// The claim's provider (the distribution key on Citus).
    pub provider_id: ProviderId,
}

pub fn insert_decision(conn: &mut AnyConnection, d: &DecisionRow) -> QueryResult<()> {
    diesel::insert_into(review_decisions::table).values(d).execute(conn)?;
    Ok(())
}

pub fn find_decision(conn: &mut AnyConnection, id: &DecisionId) -> QueryResult<Option<DecisionRow>> {
    review_decisions::table.find(id).select(DecisionRow::as_select()).first(conn).optional()
}

pub fn claim_decisions(conn: &mut AnyConnection, claim_id: &ClaimId) -> QueryResult<Vec<DecisionRow>> {
    review_decisions::table
        .filter(review_decisions::claim_id.eq(claim_id))
        .order(review_decisions::id.asc())
        .select(DecisionRow::as_select())
        .load(conn)
}

/// The office's decisions waiting for a supervisor, oldest first, with their claims.
pub fn awaiting_in_office(
    conn: &mut AnyConnection,
    office_id: &OfficeId,
) -> QueryResult<Vec<(DecisionRow, ClaimRow)>> {
    review_decisions::table
        .inner_join(
            claims::table.on(claims::id
                .eq(review_decisions::claim_id)
                .and(claims::provider_id.eq(review_decisions::provider_id))),
        )
        .filter(claims::office_id.eq(office_id))
        .filter(
            review_decisions::status.eq(crate::domain::lifecycle::review::DecisionStatus::AwaitingApproval),
        )
        .order((review_decisions::created_at.asc(), review_decisions::id.asc()))
        .select((DecisionRow::as_select(), ClaimRow::as_select()))
        .load(conn)
}

pub fn close_decision(
    conn: &mut AnyConnection,
    id: &DecisionId,
    status: crate::domain::lifecycle::review::DecisionStatus,
    by: &UserId,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(review_decisions::table.find(id))
        .set((
            review_decisions::status.eq(status),
            review_decisions::approved_by.eq(by),
            review_decisions::approved_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = objections)]
pub struct ObjectionRow {
    pub id: ObjectionId,
    pub claim_id: ClaimId,
    pub filed_by: UserId,
    pub reason: String,
    pub line_nos: String,
    pub status: crate::domain::lifecycle::review::ObjectionStatus,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    /// The claim's provider (the distribution key on Citus).
    pub provider_id: ProviderId,
}

pub fn insert_objection(conn: &mut AnyConnection, o: &ObjectionRow) -> QueryResult<()> {
    diesel::insert_into(objections::table).values(o).execute(conn)?;
    Ok(())
}

pub fn find_objection(conn: &mut AnyConnection, id: &ObjectionId) -> QueryResult<Option<ObjectionRow>> {
    objections::table.find(id).select(ObjectionRow::as_select()).first(conn).optional()
}

pub fn claim_objections(conn: &mut AnyConnection, claim_id: &ClaimId) -> QueryResult<Vec<ObjectionRow>> {
    objections::table
        .filter(objections::claim_id.eq(claim_id))
        .order(objections::id.asc())
        .select(ObjectionRow::as_select())
        .load(conn)
}

pub fn set_objection_status(
    conn: &mut AnyConnection,
    id: &ObjectionId,
    status: crate::domain::lifecycle::review::ObjectionStatus,
    decided_by: Option<&UserId>,
    at: Option<NaiveDateTime>,
) -> QueryResult<()> {
    diesel::update(objections::table.find(id))
        .set((
            objections::status.eq(status),
            objections::decided_by.eq(decided_by),
            objections::decided_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The review office's objections (اعتراض‌های دفتر): those to claims of `office_id`, of one
/// status and one provider when given, oldest first, `limit` from `offset`.
#[derive(Clone, Debug, Default)]
pub struct ObjectionFilter {
    pub office_id: Option<OfficeId>,
    pub status: Option<crate::domain::lifecycle::review::ObjectionStatus>,
    pub provider_id: Option<ProviderId>,
    pub limit: i64,
    pub offset: i64,
}

fn office_objections_query(
    f: &ObjectionFilter,
    office_id: OfficeId,
) -> objections::BoxedQuery<'static, crate::store::scope::Db> {
    // A boxed subquery is not a fragment of every backend: one unboxed subquery per case.
    let mut q = match &f.provider_id {
        None => objections::table
            .filter(
                objections::claim_id
                    .eq_any(claims::table.filter(claims::office_id.eq(office_id)).select(claims::id)),
            )
            .into_boxed(),
        Some(p) => objections::table
            .filter(
                objections::claim_id.eq_any(
                    claims::table
                        .filter(claims::office_id.eq(office_id))
                        .filter(claims::provider_id.eq(p.clone()))
                        .select(claims::id),
                ),
            )
            .into_boxed(),
    };
    if let Some(s) = f.status {
        q = q.filter(objections::status.eq(s));
    }
    q
}

pub fn office_objections(
    conn: &mut AnyConnection,
    f: &ObjectionFilter,
) -> QueryResult<Vec<(ObjectionRow, ClaimRow)>> {
    let Some(office_id) = f.office_id.clone() else { return Ok(Vec::new()) };
    let rows: Vec<ObjectionRow> = office_objections_query(f, office_id)
        .select(ObjectionRow::as_select())
        .order((objections::created_at.asc(), objections::id.asc()))
        .limit(f.limit)
        .offset(f.offset)
        .load(conn)?;
    let ids: Vec<&str> = rows.iter().map(|o| o.claim_id.as_str()).collect();
    let claims: Vec<ClaimRow> =
        claims::table.filter(claims::id.eq_any(&ids)).select(ClaimRow::as_select()).load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|o| {
            let c = claims.iter().find(|c| c.id == o.claim_id)?.clone();
            Some((o, c))
        })
        .collect())
}

pub fn office_objections_count(conn: &mut AnyConnection, f: &ObjectionFilter) -> QueryResult<i64> {
    let Some(office_id) = f.office_id.clone() else { return Ok(0) };
    office_objections_query(f, office_id).count().get_result(conn)
}

/// A provider's objections (اعتراض‌های مرکز), newest first, with their claims: at most `limit`.
pub fn provider_objections(
    conn: &mut AnyConnection,
    provider_id: &ProviderId,
    limit: i64,
) -> QueryResult<Vec<(ObjectionRow, ClaimRow)>> {
    objections::table
        .inner_join(
            claims::table
                .on(claims::id.eq(objections::claim_id).and(claims::provider_id.eq(objections::provider_id))),
        )
        .filter(claims::provider_id.eq(provider_id))
        .order((objections::created_at.desc(), objections::id.desc()))
        .limit(limit)
        .select((ObjectionRow::as_select(), ClaimRow::as_select()))
        .load(conn)
}
