//! The supervisor's desk (میز سرپرست): what a review office's supervisor reads before acting —
//! the decisions waiting for a second approval (تصمیم‌های منتظر تأیید دوم) with what each would
//! change, the office's reviewers, and its open work by age and by reviewer (انباشت کار).
//! Every read is scoped to the caller's office; the acts themselves are `review::assign`,
//! `review::review_decision` and `sampling`'s use cases, as in the API.

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::auth::{Caller, Role};
use crate::context::ServiceContext;
use crate::db::AnyConnection;
use crate::domain::lifecycle::review::DecisionStatus;
use crate::domain::record_ids::{ClaimId, DecisionId, OfficeId, ProviderId, UserId};
use crate::domain::review::{LineAction, LineAmounts, LineDecision};
use crate::error::{AppError, AppResult};
use crate::services::review::{amounts_of, compute, received_before, Split};
use crate::store::claims::{self as claims_store, ClaimRow};
use crate::store::review::{self as store, DecisionRow, QueueFilter};

/// The supervisor's office; other roles have no desk (403), as the API's `Supervisors`.
fn supervised_office(caller: &Caller) -> AppResult<OfficeId> {
    if caller.role != Role::Supervisor {
        return Err(AppError::forbidden("only a supervisor of the review office may do this"));
    }
    caller.office_id.clone().ok_or_else(|| AppError::forbidden("the caller belongs to no review office"))
}

/// A decision waiting for a supervisor, as listed in the inbox.
#[derive(Debug, Clone, Serialize)]
pub struct AwaitingDecision {
    pub id: DecisionId,
    pub claim_id: ClaimId,
    pub provider_document_no: String,
    pub provider_id: ProviderId,
    pub provider_name: String,
    pub insured_national_code: String,
    /// `review` (a claim) or `objection` (a provider's objection).
    pub origin: String,
    pub proposed_by: UserId,
    pub proposed_by_name: String,
    pub proposed_at: NaiveDateTime,
    pub status: DecisionStatus,
    pub payable_before: i64,
    pub payable_after: i64,
    /// The reviewer's note on the whole decision.
    pub note: Option<String>,
}

fn display_name(conn: &mut AnyConnection, id: &UserId) -> AppResult<String> {
    Ok(crate::store::users::find(conn, id)?.map(|u| u.display_name).unwrap_or_else(|| id.to_string()))
}

fn provider_name(conn: &mut AnyConnection, id: &ProviderId) -> AppResult<String> {
    Ok(crate::store::providers::find_provider(conn, id)?.map(|p| p.name_fa).unwrap_or_else(|| id.to_string()))
}

fn awaiting_of(conn: &mut AnyConnection, d: DecisionRow, c: &ClaimRow) -> AppResult<AwaitingDecision> {
    Ok(AwaitingDecision {
        proposed_by_name: display_name(conn, &d.decided_by)?,
        provider_name: provider_name(conn, &c.provider_id)?,
        id: d.id,
        claim_id: c.id.clone(),
        provider_document_no: c.provider_document_no.clone(),
        provider_id: c.provider_id.clone(),
        insured_national_code: c.insured_national_code.clone(),
        origin: d.origin,
        proposed_by: d.decided_by,
        proposed_at: d.created_at,
        status: d.status,
        payable_before: d.payable_before,
        payable_after: d.payable_after,
        note: d.note,
    })
}

/// The office's decisions waiting for a second approval, oldest first.
pub async fn awaiting_decisions(state: &ServiceContext, caller: Caller) -> AppResult<Vec<AwaitingDecision>> {
    let office = supervised_office(&caller)?;
    state
        .db(move |conn| {
            store::awaiting_in_office(conn, &office)?
                .into_iter()
                .map(|(d, c)| awaiting_of(conn, d, &c))
                .collect()
        })
        .await
}

/// One line of a proposed decision: its amounts now and as proposed.
#[derive(Debug, Clone, Serialize)]
pub struct LineChange {
    pub line_no: u32,
    pub item_type: String,
    pub code: String,
    pub billed: i64,
    /// What the reviewer did to the line; `None`: not named (a pended line is then accepted
    /// as the engine priced it).
    pub action: Option<LineAction>,
    pub before: Split,
    pub after: Split,
    /// Reason codes the decision adds to the line, and those it removes.
    pub reasons_added: Vec<String>,
    pub reasons_removed: Vec<String>,
    /// The reviewer's note on the line.
    pub note: Option<String>,
}

/// A waiting decision with what approving it would do to each line and to the claim.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionDiff {
    pub decision: AwaitingDecision,
    /// The caller proposed it (four eyes: they may not approve it).
    pub own: bool,
    /// Empty once the decision is no longer waiting (the claim has moved on).
    pub lines: Vec<LineChange>,
    pub before: Split,
    pub after: Split,
}

fn split(a: &LineAmounts) -> Split {
    Split {
        insurer_payable: a.insurer_payable.0,
        patient_share: a.patient_share.0,
        patient_gap: a.patient_gap.0,
        deducted: a.deducted.0,
    }
}

fn add(a: Split, b: Split) -> Split {
    Split {
        insurer_payable: a.insurer_payable + b.insurer_payable,
        patient_share: a.patient_share + b.patient_share,
        patient_gap: a.patient_gap + b.patient_gap,
        deducted: a.deducted + b.deducted,
    }
}

/// The codes of `a` not in `b` (each occurrence counted once per occurrence).
fn codes_missing(
    a: &[(String, crate::domain::money::Rial, String)],
    b: &[(String, crate::domain::money::Rial, String)],
) -> Vec<String> {
    let mut rest: Vec<&str> = b.iter().map(|(c, _, _)| c.as_str()).collect();
    let mut out = Vec::new();
    for (code, _, _) in a {
        match rest.iter().position(|c| c == code) {
            Some(i) => {
                rest.remove(i);
            }
            None => out.push(code.clone()),
        }
    }
    out
}

/// A decision of the supervisor's office and what approving it would change, computed by the
/// same `compute` the approval runs on the claim's current (locked) lines. Another office's
/// decision is a 404.
pub async fn decision_diff(
    state: &ServiceContext,
    caller: Caller,
    id: DecisionId,
) -> AppResult<DecisionDiff> {
    let office = supervised_office(&caller)?;
    state
        .db(move |conn| {
            let d =
                store::find_decision(conn, &id)?.ok_or_else(|| AppError::not_found("no such decision"))?;
            let c = claims_store::find_in(conn, &crate::auth::Scope::Office(office), &d.claim_id)?
                .ok_or_else(|| AppError::not_found("no such decision"))?;
            let decisions: Vec<LineDecision> = serde_json::from_str(&d.lines).map_err(AppError::internal)?;
            let awaiting = d.status == DecisionStatus::AwaitingApproval;
            let allowed: Option<Vec<u32>> = match &d.objection_id {
                Some(oid) => store::find_objection(conn, oid)?
                    .map(|o| serde_json::from_str(&o.line_nos).unwrap_or_default()),
                None => None,
            };
            let own = d.decided_by == caller.user_id;
            let decision = awaiting_of(conn, d, &c)?;
            let zero = Split { insurer_payable: 0, patient_share: 0, patient_gap: 0, deducted: 0 };
            if !awaiting {
                return Ok(DecisionDiff { decision, own, lines: Vec::new(), before: zero, after: zero });
            }
            let lines = claims_store::lines(conn, &c.id)?;
            let computed = compute(&lines, &decisions, allowed.as_deref())?;
            let (mut before, mut after, mut changes) = (zero, zero, Vec::new());
            for l in &lines {
                let now = amounts_of(l)?;
                let proposed = computed.iter().find(|(a, _)| a.line_no == l.line_no as u32).map(|(a, _)| a);
                let asked = decisions.iter().find(|x| x.line_no == l.line_no as u32);
                let new = proposed.unwrap_or(&now);
                before = add(before, split(&now));
                after = add(after, split(new));
                changes.push(LineChange {
                    line_no: l.line_no as u32,
                    item_type: l.item_type.clone(),
                    code: l.code.clone(),
                    billed: l.billed,
                    action: asked.map(|x| x.action),
                    before: split(&now),
                    after: split(new),
                    reasons_added: codes_missing(&new.reasons, &now.reasons),
                    reasons_removed: codes_missing(&now.reasons, &new.reasons),
                    note: asked.and_then(|x| x.note.clone()),
                });
            }
            Ok(DecisionDiff { decision, own, lines: changes, before, after })
        })
        .await
}

/// A reviewer of the office, for assigning claims and for the backlog.
#[derive(Debug, Clone, Serialize)]
pub struct OfficeReviewer {
    pub id: UserId,
    pub display_name: String,
    pub role: Role,
}

fn reviewers_of(conn: &mut AnyConnection, office: &OfficeId) -> AppResult<Vec<OfficeReviewer>> {
    let filter = crate::store::users::UserFilter {
        role: None,
        office_id: Some(office.clone()),
        provider_id: None,
        after: None,
        limit: 1000,
    };
    let mut out: Vec<OfficeReviewer> = crate::store::users::list(conn, &filter)?
        .into_iter()
        .filter(|u| u.active)
        .filter_map(|u| match Role::parse(&u.role) {
            Some(role @ (Role::Reviewer | Role::Supervisor)) => {
                Some(OfficeReviewer { id: u.id, display_name: u.display_name, role })
            }
            _ => None,
        })
        .collect();
    out.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    Ok(out)
}

/// The office's active reviewers and supervisors: whom a claim may be assigned to
/// (`review::assign` accepts exactly these).
pub async fn office_reviewers(state: &ServiceContext, caller: Caller) -> AppResult<Vec<OfficeReviewer>> {
    let office = supervised_office(&caller)?;
    state.db(move |conn| reviewers_of(conn, &office)).await
}

/// The office's open work (its review queue) counted at each minimum age: `(days, claims)`.
#[derive(Debug, Clone, Serialize)]
pub struct Backlog {
    pub all: Vec<(i64, i64)>,
    pub unassigned: Vec<(i64, i64)>,
    /// Each reviewer of the office with the claims they hold.
    pub reviewers: Vec<(OfficeReviewer, Vec<(i64, i64)>)>,
}

/// The office's backlog by age (claims received at least each of `min_ages_days` ago), for the
/// whole office, for the claims nobody holds and for each reviewer: the queue's own counts
/// (`store::review::queue_count`, the filter `review::queue_counts` uses).
pub async fn backlog(state: &ServiceContext, caller: Caller, min_ages_days: Vec<i64>) -> AppResult<Backlog> {
    let office = supervised_office(&caller)?;
    let now = state.now();
    state
        .db(move |conn| {
            let count = |conn: &mut AnyConnection, base: &QueueFilter| -> AppResult<Vec<(i64, i64)>> {
                let mut f = base.clone();
                let mut out = Vec::new();
                for d in &min_ages_days {
                    f.received_before = (*d > 0).then(|| received_before(now, *d));
                    out.push((*d, store::queue_count(conn, &f)?));
                }
                Ok(out)
            };
            let base = QueueFilter { office_id: Some(office.clone()), ..QueueFilter::default() };
            let all = count(conn, &base)?;
            let unassigned = count(conn, &QueueFilter { unassigned: Some(true), ..base.clone() })?;
            let mut reviewers = Vec::new();
            for r in reviewers_of(conn, &office)? {
                let counts = count(conn, &QueueFilter { assigned_to: Some(r.id.clone()), ..base.clone() })?;
                reviewers.push((r, counts));
            }
            Ok(Backlog { all, unassigned, reviewers })
        })
        .await
}
