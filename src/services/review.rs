//! The review office (دفتر رسیدگی): the queue of pended claims, taking and releasing a claim,
//! manual decisions with a supervisor's second approval above a threshold (four eyes), and
//! providers' objections to deductions. Every change is an audit event; every decision that
//! concerns a provider leaves a notification in the outbox, in the same transaction.

use crate::domain::record_ids::{ClaimId, DecisionId, ObjectionId, OfficeId, ProviderId, UserId};
use chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::{Caller, Role};
use crate::context::ServiceContext;
use crate::db::AnyConnection;
use crate::domain::lifecycle::claim::{ClaimStatus, LineStatus};
use crate::domain::lifecycle::review::{
    decision_transition, objection_transition, ApprovalAction, DecisionStatus, ObjectionAction,
    ObjectionStatus,
};
use crate::domain::lifecycle::Outcome;
use crate::domain::money::Rial;
use crate::domain::review::{apply, needs_second_approval, working_days_after, LineAmounts, LineDecision};
use crate::error::{AppError, AppResult};
use crate::services::claims::{parse_reasons, reasons_json, view, ClaimView};
use crate::store::audit::{self, Actor};
use crate::store::claims::{self as claims_store, ClaimRow, LineRow};
use crate::store::outbox;
use crate::store::review::{self as store, DecisionRow, ObjectionRow, QueueFilter};

/// A claim in the queue.
#[derive(Serialize, utoipa::ToSchema)]
pub struct QueueItem {
    pub id: ClaimId,
    pub provider_id: ProviderId,
    pub provider_document_no: String,
    #[schema(value_type = crate::domain::adjudication::ClaimKind)]
    pub kind: String,
    /// `pended`, or `awaiting_approval` (a decision waits for a supervisor).
    pub status: ClaimStatus,
    pub billed: i64,
    pub insurer_payable: i64,
    /// When the claim was received: UTC, without an offset (`2026-11-23T08:30:00`, fractions
    /// of a second when there are any).
    #[schema(value_type = String, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?$")]
    pub received_at: NaiveDateTime,
    /// Whole days since it was received.
    pub age_days: i64,
    /// The user id of the reviewer who took it.
    pub assigned_to: Option<UserId>,
    pub pend_notes: Vec<String>,
    /// An insured person reported a service of the claim as not received (R93) and nobody has
    /// looked into it yet: the claim is in the queue for that, whatever its status.
    pub not_received: bool,
}

fn office_of(caller: &Caller) -> AppResult<OfficeId> {
    caller.office_id.clone().ok_or_else(|| AppError::forbidden("the caller belongs to no review office"))
}

pub async fn queue(
    state: &ServiceContext,
    caller: Caller,
    mut filter: QueueFilter,
) -> AppResult<Vec<QueueItem>> {
    filter.office_id = Some(office_of(&caller)?);
    let now = state.now();
    state
        .db(move |conn| {
            crate::services::providers::check_filters(conn, &caller, None, filter.provider_id.as_ref())?;
            let rows = store::queue(conn, &filter)?;
            let ids: Vec<ClaimId> = rows.iter().map(|(c, _)| c.id.clone()).collect();
            let flagged = crate::store::service_flags::open_among(conn, &ids)?;
            Ok(rows
                .into_iter()
                .map(|(c, assigned_to)| QueueItem {
                    not_received: flagged.contains(&c.id),
                    age_days: (now - c.created_at).num_days(),
                    pend_notes: serde_json::from_str(&c.pend_notes).unwrap_or_default(),
                    id: c.id,
                    provider_id: c.provider_id,
                    provider_document_no: c.provider_document_no,
                    kind: c.kind,
                    status: c.status,
                    billed: c.billed,
                    insurer_payable: c.insurer_payable,
                    received_at: c.created_at,
                    assigned_to,
                })
                .collect())
        })
        .await
}

/// The queue's size under `filter` for each minimum age in `min_ages_days` (صف بر حسب سن):
/// `(days, claims received at least that many days ago)`, in the order given. The filter's own
/// age condition is replaced by each threshold in turn; its other conditions hold.
pub async fn queue_counts(
    state: &ServiceContext,
    caller: Caller,
    mut filter: QueueFilter,
    min_ages_days: Vec<i64>,
) -> AppResult<Vec<(i64, i64)>> {
    filter.office_id = Some(office_of(&caller)?);
    let now = state.now();
    state
        .db(move |conn| {
            crate::services::providers::check_filters(conn, &caller, None, filter.provider_id.as_ref())?;
            let mut counts = Vec::with_capacity(min_ages_days.len());
            for days in min_ages_days {
                filter.received_before = (days > 0).then(|| received_before(now, days));
                counts.push((days, store::queue_count(conn, &filter)?));
            }
            Ok(counts)
        })
        .await
}

/// The claim, if it belongs to the reviewer's office (404 otherwise, as for any unseen claim).
fn office_claim(conn: &mut AnyConnection, caller: &Caller, id: &ClaimId) -> AppResult<ClaimRow> {
    let office = office_of(caller)?;
    claims_store::find_in(conn, &crate::auth::Scope::Office(office), id)?
        .ok_or_else(|| AppError::not_found("no such claim"))
}

/// Takes a pended claim so that no other reviewer works it.
pub async fn take(state: &ServiceContext, caller: Caller, id: ClaimId) -> AppResult<ClaimView> {
    let clock = state.clock;
    state
        .write(move |conn| {
            let c = office_claim(conn, &caller, &id)?;
            if c.status != ClaimStatus::Pended {
                return Err(AppError::conflict(
                    "not_pended",
                    format!("the claim is {}, not pended", c.status),
                ));
            }
            let taken = match store::assign(conn, &id, &c.provider_id, &caller.user_id, clock.now()) {
                Err(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _,
                )) => false,
                other => other?,
            };
            if !taken {
                return Err(AppError::conflict("claim_taken", "another reviewer is working on this claim"));
            }
            audit::append(
                conn,
                &Actor::of(&caller),
                "claim",
                &id,
                "taken",
                None,
                Some(json!({"assigned_to": caller.user_id})),
            )?;
            view(conn, c)
        })
        .await
}

/// A supervisor gives a pended claim of their office to a reviewer of the same office
/// (ارجاع پرونده): the same holder `take` sets. The reviewer must be an active reviewer or
/// supervisor of the office (422 naming `reviewer_id`); a claim someone holds may be
/// re-assigned, and the audit event records the previous holder.
pub async fn assign(
    state: &ServiceContext,
    caller: Caller,
    id: ClaimId,
    reviewer_id: UserId,
) -> AppResult<ClaimView> {
    if caller.role != Role::Supervisor {
        return Err(AppError::forbidden("claims are assigned by a supervisor"));
    }
    let clock = state.clock;
    state
        .write(move |conn| {
            let c = office_claim(conn, &caller, &id)?;
            let reviewer = crate::store::users::find(conn, &reviewer_id)?.filter(|u| {
                u.active
                    && u.office_id == caller.office_id
                    && matches!(Role::parse(&u.role), Some(Role::Reviewer | Role::Supervisor))
            });
            let Some(reviewer) = reviewer else {
                return Err(AppError::field(
                    "reviewer_id",
                    "not_a_reviewer",
                    "not an active reviewer of the caller's office",
                ));
            };
            if c.status != ClaimStatus::Pended {
                return Err(AppError::conflict(
                    "not_pended",
                    format!("the claim is {}, not pended", c.status),
                ));
            }
            let previous = store::review_state(conn, &id, &c.provider_id)?.assigned_to;
            if previous.as_ref() != Some(&reviewer.id) {
                store::reassign(conn, &id, &c.provider_id, &reviewer.id, clock.now())?;
                audit::append(
                    conn,
                    &Actor::of(&caller),
                    "claim",
                    &id,
                    "assigned",
                    Some(json!({"assigned_to": previous})),
                    Some(json!({"assigned_to": reviewer.id})),
                )?;
            }
            view(conn, c)
        })
        .await
}

/// Gives a claim back to the queue (its holder, or a supervisor of the office).
pub async fn release(state: &ServiceContext, caller: Caller, id: ClaimId) -> AppResult<()> {
    state
        .write(move |conn| {
            let c = office_claim(conn, &caller, &id)?;
            let rs = store::review_state(conn, &id, &c.provider_id)?;
            let holder = rs.assigned_to.clone();
            if holder.is_none() {
                return Ok(());
            }
            if holder.as_ref() != Some(&caller.user_id) && caller.role != Role::Supervisor {
                return Err(AppError::conflict("claim_taken", "another reviewer is working on this claim"));
            }
            store::release(conn, &id, &c.provider_id)?;
            audit::append(
                conn,
                &Actor::of(&caller),
                "claim",
                &id,
                "released",
                Some(json!({"assigned_to": holder})),
                None,
            )?;
            Ok(())
        })
        .await
}

#[derive(Debug, Deserialize)]
pub struct DecisionInput {
    pub lines: Vec<LineDecision>,
    pub note: Option<String>,
}

/// What a decision did: applied at once, or waiting for a supervisor.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DecisionOutcome {
    pub decision_id: DecisionId,
    /// `applied`, `awaiting_approval` (answered 202) or `returned`.
    pub status: DecisionStatus,
    pub payable_before: i64,
    pub payable_after: i64,
    pub claim: ClaimView,
}

pub(crate) fn amounts_of(l: &LineRow) -> AppResult<LineAmounts> {
    Ok(LineAmounts {
        line_no: l.line_no as u32,
        billed: Rial(l.billed),
        insurer_payable: Rial(l.insurer_payable),
        patient_share: Rial(l.patient_share),
        patient_gap: Rial(l.patient_gap),
        deducted: Rial(l.deducted),
        reasons: parse_reasons(&l.reasons)?,
        cost_sharing_rule: l.cost_sharing_rule.clone(),
    })
}

/// A line's amounts after a decision, with the quantity the reviewer accepted.
pub(crate) type Computed = (LineAmounts, Option<String>);

/// Applies the decisions to the claim's current lines (pure; nothing is written). Only
/// `allowed` lines may be decided (all for a review, the objected ones for an objection).
pub(crate) fn compute(
    lines: &[LineRow],
    decisions: &[LineDecision],
    allowed: Option<&[u32]>,
) -> AppResult<Vec<Computed>> {
    let mut out = Vec::new();
    for (i, d) in decisions.iter().enumerate() {
        let field = format!("lines[{i}]");
        if decisions[..i].iter().any(|e| e.line_no == d.line_no) {
            return Err(AppError::field(
                &format!("{field}.line_no"),
                "duplicate",
                "this line is decided twice",
            ));
        }
        if allowed.is_some_and(|a| !a.contains(&d.line_no)) {
            return Err(AppError::field(
                &format!("{field}.line_no"),
                "not_objected",
                "this line was not objected to",
            ));
        }
        let line = lines.iter().find(|l| l.line_no as u32 == d.line_no).ok_or_else(|| {
            AppError::field(&format!("{field}.line_no"), "unknown", "the claim has no such line")
        })?;
        let new = apply(&amounts_of(line)?, d).map_err(|m| AppError::field(&field, "invalid", m))?;
        let qty = d.approved_quantity.map(|q| q.normalize().to_string());
        out.push((new, qty));
    }
    Ok(out)
}

/// The claim's payable if the decisions were applied.
fn payable_after(lines: &[LineRow], computed: &[Computed]) -> i64 {
    lines
        .iter()
        .map(|l| {
            computed
                .iter()
                .find(|(a, _)| a.line_no == l.line_no as u32)
                .map(|(a, _)| a.insurer_payable.0)
                .unwrap_or(l.insurer_payable)
        })
        .sum()
}

/// Writes the decided lines and the claim's new totals and status, and tells the provider; the
/// report aggregates move with it (`reports::restate`).
pub(crate) fn apply_decision(
    conn: &mut AnyConnection,
    claim: &ClaimRow,
    lines: &[LineRow],
    computed: &[Computed],
    reviewer: &UserId,
    actor: &Actor,
    now: NaiveDateTime,
) -> AppResult<ClaimRow> {
    crate::services::reports::restate(conn, &claim.id, now, |conn| {
        write_decision(conn, claim, lines, computed, reviewer, actor, now)
    })
}

fn write_decision(
    conn: &mut AnyConnection,
    claim: &ClaimRow,
    lines: &[LineRow],
    computed: &[Computed],
    reviewer: &UserId,
    actor: &Actor,
    now: NaiveDateTime,
) -> AppResult<ClaimRow> {
    for (a, qty) in computed {
        store::update_line(
            conn,
            &claim.id,
            &store::LineUpdate {
                line_no: a.line_no as i32,
                status: a.outcome().into(),
                approved_quantity: qty.clone(),
                insurer_payable: a.insurer_payable.0,
                patient_share: a.patient_share.0,
                patient_gap: a.patient_gap.0,
                deducted: a.deducted.0,
                reasons: reasons_json(&a.reasons)?,
            },
        )?;
    }
    // Lines not named keep their amounts; a pended line not named is accepted as decided.
    for l in lines.iter().filter(|l| {
        Some(l.status) == Some(LineStatus::Pended)
            && !computed.iter().any(|(a, _)| a.line_no == l.line_no as u32)
    }) {
        let a = amounts_of(l)?;
        store::update_line(
            conn,
            &claim.id,
            &store::LineUpdate {
                line_no: l.line_no,
                status: a.outcome().into(),
                approved_quantity: None,
                insurer_payable: l.insurer_payable,
                patient_share: l.patient_share,
                patient_gap: l.patient_gap,
                deducted: l.deducted,
                reasons: l.reasons.clone(),
            },
        )?;
    }
    let now_lines = claims_store::lines(conn, &claim.id)?;
    let sum = |f: fn(&LineRow) -> i64| now_lines.iter().map(f).sum::<i64>();
    let (payable, share, gap, deducted) =
        (sum(|l| l.insurer_payable), sum(|l| l.patient_share), sum(|l| l.patient_gap), sum(|l| l.deducted));
    if payable + share + gap + deducted != claim.billed {
        return Err(AppError::internal(format!("conservation broken on claim {}", claim.id)));
    }
    let status = ClaimStatus::from(Outcome::from_amounts(deducted, payable + share + gap));
    store::decide_claim(
        conn,
        &claim.id,
        &claim.provider_id,
        &store::ClaimDecided {
            status,
            insurer_payable: payable,
            patient_share: share,
            patient_gap: gap,
            deducted,
            reviewed_by: reviewer,
            at: now,
        },
    )?;
    // The provider's month total follows the payable (the ceiling rule reads it).
    claims_store::adjust_month(
        conn,
        &claim.provider_id,
        &claim.service_month,
        payable - claim.insurer_payable,
    )?;
    let before =
        json!({"status": claim.status, "insurer_payable": claim.insurer_payable, "deducted": claim.deducted});
    let after = json!({"status": status, "insurer_payable": payable, "deducted": deducted});
    audit::append(conn, actor, "claim", &claim.id, "decided", Some(before), Some(after.clone()))?;
    outbox::enqueue(
        conn,
        "claim_decided",
        "provider",
        &claim.provider_id,
        &claim.id,
        json!({"claim_id": claim.id, "provider_document_no": claim.provider_document_no, "decision": after}),
    )?;
    claims_store::find(conn, &claim.id)?.ok_or_else(|| AppError::not_found("no such claim"))
}

/// A reviewer decides a claim they hold. Above the four-eyes threshold the decision waits for a
/// supervisor and the claim is `awaiting_approval`.
pub async fn decide(
    state: &ServiceContext,
    caller: Caller,
    id: ClaimId,
    input: DecisionInput,
) -> AppResult<DecisionOutcome> {
    let threshold = Rial(state.config.four_eyes_threshold);
    let clock = state.clock;
    state
        .write(move |conn| {
            let c = office_claim(conn, &caller, &id)?;
            if c.status != ClaimStatus::Pended {
                return Err(AppError::conflict(
                    "not_pended",
                    format!("the claim is {}, not pended", c.status),
                ));
            }
            if store::review_state(conn, &id, &c.provider_id)?.assigned_to.as_ref() != Some(&caller.user_id) {
                return Err(AppError::conflict("not_taken", "take the claim before deciding it"));
            }
            record_decision(conn, &caller, c, "review", None, &input, None, threshold, clock.now())
        })
        .await
}

/// A split of billed rials: `billed = insurer_payable + patient_share + patient_gap + deducted`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Split {
    pub insurer_payable: i64,
    /// The franchise (فرانشیز).
    pub patient_share: i64,
    /// The private–government gap (مابه‌التفاوت).
    pub patient_gap: i64,
    /// The deductions (کسور).
    pub deducted: i64,
}

impl Split {
    fn of(a: &LineAmounts) -> Split {
        Split {
            insurer_payable: a.insurer_payable.0,
            patient_share: a.patient_share.0,
            patient_gap: a.patient_gap.0,
            deducted: a.deducted.0,
        }
    }

    fn add(self, o: Split) -> Split {
        Split {
            insurer_payable: self.insurer_payable + o.insurer_payable,
            patient_share: self.patient_share + o.patient_share,
            patient_gap: self.patient_gap + o.patient_gap,
            deducted: self.deducted + o.deducted,
        }
    }
}

/// One decided line as it would be after saving.
#[derive(Debug, Serialize)]
pub struct LinePreview {
    pub line_no: u32,
    pub status: LineStatus,
    pub before: Split,
    pub after: Split,
}

/// What a decision would do (پیش‌نمایش تصمیم), computed exactly as `decide` computes it and
/// written nowhere: the decided lines' new splits, the claim's totals before and after, and
/// whether the change needs a supervisor's approval (four eyes).
#[derive(Debug, Serialize)]
pub struct DecisionPreview {
    pub lines: Vec<LinePreview>,
    pub before: Split,
    pub after: Split,
    pub needs_supervisor: bool,
}

/// Previews a reviewer's decision on a pended claim of their office without saving it: the
/// same checks of the input, the same `domain::review::apply` per line and the same four-eyes
/// rule as `decide`, so what it shows is what saving stores (or sends to a supervisor).
pub async fn preview(
    state: &ServiceContext,
    caller: Caller,
    id: ClaimId,
    input: DecisionInput,
) -> AppResult<DecisionPreview> {
    let threshold = Rial(state.config.four_eyes_threshold);
    state
        .db(move |conn| {
            let c = office_claim(conn, &caller, &id)?;
            if c.status != ClaimStatus::Pended {
                return Err(AppError::conflict(
                    "not_pended",
                    format!("the claim is {}, not pended", c.status),
                ));
            }
            let lines = claims_store::lines(conn, &c.id)?;
            let computed = compute(&lines, &input.lines, None)?;
            let after_payable = payable_after(&lines, &computed);
            let zero = Split { insurer_payable: 0, patient_share: 0, patient_gap: 0, deducted: 0 };
            let (mut before, mut after, mut previews) = (zero, zero, Vec::new());
            for l in &lines {
                let now = Split::of(&amounts_of(l)?);
                before = before.add(now);
                match computed.iter().find(|(a, _)| a.line_no == l.line_no as u32) {
                    Some((a, _)) => {
                        after = after.add(Split::of(a));
                        previews.push(LinePreview {
                            line_no: a.line_no,
                            status: a.outcome().into(),
                            before: now,
                            after: Split::of(a),
                        });
                    }
                    None => after = after.add(now),
                }
            }
            debug_assert_eq!(after.insurer_payable, after_payable);
            Ok(DecisionPreview {
                lines: previews,
                before,
                after,
                needs_supervisor: needs_second_approval(
                    Rial(c.insurer_payable),
                    Rial(after_payable),
                    threshold,
                ),
            })
        })
        .await
}

/// Who holds a claim (کارشناس در حال رسیدگی), for showing it; `None` when nobody took it.
#[derive(Debug, Serialize)]
pub struct Holder {
    pub user_id: UserId,
    pub display_name: String,
}

/// The reviewer holding a claim the caller may see (404 otherwise).
pub async fn holder(state: &ServiceContext, caller: Caller, id: ClaimId) -> AppResult<Option<Holder>> {
    state
        .db(move |conn| {
            let c = crate::services::claims::load_visible(conn, &caller, &id)?;
            let Some(user_id) = store::review_state(conn, &c.id, &c.provider_id)?.assigned_to else {
                return Ok(None);
            };
            let display_name = crate::store::users::find(conn, &user_id)?
                .map(|u| u.display_name)
                .unwrap_or_else(|| user_id.to_string());
            Ok(Some(Holder { user_id, display_name }))
        })
        .await
}

#[allow(clippy::too_many_arguments)]
fn record_decision(
    conn: &mut AnyConnection,
    caller: &Caller,
    c: ClaimRow,
    origin: &str,
    objection: Option<&ObjectionRow>,
    input: &DecisionInput,
    allowed: Option<&[u32]>,
    threshold: Rial,
    now: NaiveDateTime,
) -> AppResult<DecisionOutcome> {
    let lines = claims_store::lines(conn, &c.id)?;
    let computed = compute(&lines, &input.lines, allowed)?;
    let after = payable_after(&lines, &computed);
    let four_eyes = needs_second_approval(Rial(c.insurer_payable), Rial(after), threshold);
    let mut row = DecisionRow {
        id: DecisionId::new(),
        claim_id: c.id.clone(),
        origin: origin.into(),
        objection_id: objection.map(|o| o.id.clone()),
        decided_by: caller.user_id.clone(),
        status: DecisionStatus::initial(four_eyes),
        lines: serde_json::to_string(&input.lines).map_err(AppError::internal)?,
        note: input.note.clone(),
        payable_before: c.insurer_payable,
        payable_after: after,
        approved_by: None,
        approved_at: None,
        created_at: now,
        provider_id: c.provider_id.clone(),
    };
    store::insert_decision(conn, &row)?;
    let actor = Actor::of(caller);
    audit::append(
        conn,
        &actor,
        "decision",
        &row.id,
        "proposed",
        None,
        Some(
            json!({"claim_id": c.id, "origin": origin, "status": row.status, "lines": input.lines, "payable_before": row.payable_before, "payable_after": after}),
        ),
    )?;
    let claim = if four_eyes {
        crate::services::reports::restate(conn, &c.id, now, |conn| {
            Ok(store::set_status(conn, &c.id, ClaimStatus::AwaitingApproval, now)?)
        })?;
        if let Some(o) = objection {
            let to = objection_transition(o.status, ObjectionAction::Propose).map_err(AppError::internal)?;
            crate::services::reports::restate_objection(conn, &o.id, |conn| {
                Ok(store::set_objection_status(conn, &o.id, to, Some(&caller.user_id), None)?)
            })?;
        }
        audit::append(
            conn,
            &actor,
            "claim",
            &c.id,
            "awaiting_approval",
            Some(json!({"status": c.status})),
            Some(json!({"status": ClaimStatus::AwaitingApproval})),
        )?;
        claims_store::find(conn, &c.id)?.ok_or_else(|| AppError::not_found("no such claim"))?
    } else {
        row.status = DecisionStatus::Applied;
        finish(conn, &c, objection, &lines, &computed, &caller.user_id, &actor, now)?
    };
    Ok(DecisionOutcome {
        decision_id: row.id,
        status: row.status,
        payable_before: row.payable_before,
        payable_after: after,
        claim: view(conn, claim)?,
    })
}

/// Applies a decision (at once, or on the supervisor's approval) and closes its objection.
#[allow(clippy::too_many_arguments)]
fn finish(
    conn: &mut AnyConnection,
    c: &ClaimRow,
    objection: Option<&ObjectionRow>,
    lines: &[LineRow],
    computed: &[Computed],
    reviewer: &UserId,
    actor: &Actor,
    now: NaiveDateTime,
) -> AppResult<ClaimRow> {
    let claim = apply_decision(conn, c, lines, computed, reviewer, actor, now)?;
    if let Some(o) = objection {
        let action = match o.status {
            ObjectionStatus::AwaitingApproval => ObjectionAction::Approve,
            _ => ObjectionAction::Decide,
        };
        let to = objection_transition(o.status, action).map_err(AppError::internal)?;
        crate::services::reports::restate_objection(conn, &o.id, |conn| {
            Ok(store::set_objection_status(conn, &o.id, to, Some(reviewer), Some(now))?)
        })?;
        audit::append(
            conn,
            actor,
            "objection",
            &o.id,
            "decided",
            Some(json!({"status": o.status})),
            Some(json!({"status": to})),
        )?;
        outbox::enqueue(
            conn,
            "objection_decided",
            "provider",
            &c.provider_id,
            &o.id,
            json!({"claim_id": c.id, "objection_id": o.id, "insurer_payable": claim.insurer_payable}),
        )?;
    }
    Ok(claim)
}

/// A supervisor approves (or returns) a decision waiting for the second pair of eyes. The
/// reviewer who proposed it cannot approve it. `note`, the supervisor's word to the reviewer
/// (why it is returned), is kept in the decision's audit event.
pub async fn review_decision(
    state: &ServiceContext,
    caller: Caller,
    id: DecisionId,
    approve: bool,
    note: Option<String>,
) -> AppResult<DecisionOutcome> {
    let clock = state.clock;
    state
        .write(move |conn| {
            let d =
                store::find_decision(conn, &id)?.ok_or_else(|| AppError::not_found("no such decision"))?;
            let c = office_claim(conn, &caller, &d.claim_id)
                .map_err(|_| AppError::not_found("no such decision"))?;
            let action = if approve { ApprovalAction::Approve } else { ApprovalAction::Return };
            let Ok(to) = decision_transition(d.status, action) else {
                return Err(AppError::conflict("not_awaiting", format!("the decision is {}", d.status)));
            };
            if d.decided_by == caller.user_id {
                return Err(AppError::forbidden(
                    "four eyes: a decision is approved by someone other than its author",
                ));
            }
            let decisions: Vec<LineDecision> = serde_json::from_str(&d.lines).map_err(AppError::internal)?;
            let objection = match &d.objection_id {
                Some(oid) => store::find_objection(conn, oid)?,
                None => None,
            };
            let allowed: Option<Vec<u32>> =
                objection.as_ref().map(|o| serde_json::from_str(&o.line_nos).unwrap_or_default());
            let now = clock.now();
            let actor = Actor::of(&caller);
            let status = to.as_str();
            store::close_decision(conn, &d.id, to, &caller.user_id, now)?;
            audit::append(
                conn,
                &actor,
                "decision",
                &d.id,
                status,
                Some(json!({"status": d.status})),
                Some(match &note {
                    Some(n) => json!({"status": status, "note": n}),
                    None => json!({"status": status}),
                }),
            )?;
            let claim = if approve {
                let back = if objection.is_some() { c.status } else { ClaimStatus::Pended };
                // The claim returns to its state before the proposal for `finish` to decide.
                let restored = ClaimRow { status: back, ..c.clone() };
                // The claim has been locked in awaiting_approval since the proposal, so its lines
                // are the ones the proposal was computed on.
                let lines = claims_store::lines(conn, &c.id)?;
                let computed = compute(&lines, &decisions, allowed.as_deref())?;
                finish(conn, &restored, objection.as_ref(), &lines, &computed, &d.decided_by, &actor, now)?
            } else {
                let back =
                    if objection.is_some() { previous_status(conn, &c.id)? } else { ClaimStatus::Pended };
                crate::services::reports::restate(conn, &c.id, now, |conn| {
                    Ok(store::set_status(conn, &c.id, back, now)?)
                })?;
                if let Some(o) = &objection {
                    let to = objection_transition(o.status, ObjectionAction::Return)
                        .map_err(AppError::internal)?;
                    crate::services::reports::restate_objection(conn, &o.id, |conn| {
                        Ok(store::set_objection_status(conn, &o.id, to, None, None)?)
                    })?;
                }
                audit::append(
                    conn,
                    &actor,
                    "claim",
                    &c.id,
                    "returned",
                    Some(json!({"status": c.status})),
                    Some(json!({"status": back})),
                )?;
                claims_store::find(conn, &c.id)?.ok_or_else(|| AppError::not_found("no such claim"))?
            };
            Ok(DecisionOutcome {
                decision_id: d.id,
                status: to,
                payable_before: d.payable_before,
                payable_after: d.payable_after,
                claim: view(conn, claim)?,
            })
        })
        .await
}

/// The claim's status before it started waiting for a supervisor, from its audit trail.
fn previous_status(conn: &mut AnyConnection, claim_id: &ClaimId) -> AppResult<ClaimStatus> {
    let events = audit::for_entity(conn, "claim", claim_id)?;
    let before = events
        .iter()
        .rev()
        .find(|e| e.action == "awaiting_approval")
        .and_then(|e| e.before_state.as_deref())
        .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
        .and_then(|v| v["status"].as_str().map(String::from));
    // The proposal's audit event is written in the proposal's own transaction: without it the
    // trail is broken, and guessing a status would hide that.
    let before = before.ok_or_else(|| {
        AppError::internal(format!("claim {claim_id}: no audit event of its proposal to restore from"))
    })?;
    Ok(before.parse()?)
}

#[derive(Debug, Deserialize)]
pub struct ObjectionInput {
    pub reason: String,
    pub line_nos: Vec<u32>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Objection)]
pub struct ObjectionView {
    pub id: ObjectionId,
    pub claim_id: ClaimId,
    pub reason: String,
    pub line_nos: Vec<u32>,
    pub status: ObjectionStatus,
    /// UTC, without an offset (`2026-11-23T08:30:00`).
    #[schema(value_type = String, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?$")]
    pub filed_at: NaiveDateTime,
    /// UTC, without an offset.
    #[schema(value_type = Option<String>, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?$")]
    pub decided_at: Option<NaiveDateTime>,
    /// The last day the objection could be filed (Jalali `YYYY-MM-DD`); given only in the
    /// answer to filing it, null in lists.
    #[schema(pattern = r"^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub window_closed_after: Option<String>,
}

pub(crate) fn objection_view(o: ObjectionRow, window: Option<String>) -> ObjectionView {
    ObjectionView {
        line_nos: serde_json::from_str(&o.line_nos).unwrap_or_default(),
        id: o.id,
        claim_id: o.claim_id,
        reason: o.reason,
        status: o.status,
        filed_at: o.created_at,
        decided_at: o.decided_at,
        window_closed_after: window,
    }
}

/// The objection window of a decided claim: the contract's working days (10 without one) and
/// the last day an objection may be filed, counted from the decision (from receipt for claims
/// the engine decided).
fn objection_deadline(
    conn: &mut AnyConnection,
    c: &ClaimRow,
    holidays: &[chrono::NaiveDate],
) -> AppResult<(u32, chrono::NaiveDate)> {
    let decided_on =
        store::review_state(conn, &c.id, &c.provider_id)?.decided_at.unwrap_or(c.created_at).date();
    let days = crate::services::providers::terms_on(conn, &c.provider_id, c.first_service_date)?
        .and_then(|t| t.terms)
        .map(|t| t.objection_window_working_days)
        .unwrap_or(10);
    Ok((days, working_days_after(decided_on, days, holidays)))
}

/// The objection window (مهلت اعتراض) of a claim as its reader sees it, so a screen can show
/// the deadline before anyone files: `object` applies the same [`objection_deadline`].
pub struct ObjectionWindow {
    /// Working days the contract gives.
    pub working_days: u32,
    /// The last day an objection may be filed; `None` while the claim is not decided.
    pub last_day: Option<chrono::NaiveDate>,
    /// Whether an objection filed today would be in time.
    pub open: bool,
}

pub async fn objection_window(
    state: &ServiceContext,
    caller: Caller,
    claim_id: ClaimId,
) -> AppResult<ObjectionWindow> {
    let today = state.today();
    let holidays = state.config.holidays.clone();
    state
        .db(move |conn| {
            let c = crate::services::claims::load_visible(conn, &caller, &claim_id)?;
            if !c.status.is_decided() {
                return Ok(ObjectionWindow { working_days: 0, last_day: None, open: false });
            }
            let (working_days, last_day) = objection_deadline(conn, &c, &holidays)?;
            Ok(ObjectionWindow { working_days, last_day: Some(last_day), open: today <= last_day })
        })
        .await
}

/// A provider objects to deductions on its claim within the contract's window of working days
/// from the decision (from receipt for claims the engine decided).
pub async fn object(
    state: &ServiceContext,
    caller: Caller,
    claim_id: ClaimId,
    input: ObjectionInput,
) -> AppResult<ObjectionView> {
    let now = state.now();
    let today = now.date();
    let holidays = state.config.holidays.clone();
    state
        .write(move |conn| {
            let c = crate::services::claims::load_visible(conn, &caller, &claim_id)?;
            if !c.status.is_decided() {
                return Err(AppError::conflict(
                    "not_decided",
                    format!("the claim is {}; object after its decision", c.status),
                ));
            }
            let (days, last_day) = objection_deadline(conn, &c, &holidays)?;
            let last_jalali = crate::domain::jalali::JalaliDate::from_gregorian(last_day).to_string();
            if today > last_day {
                return Err(AppError::field(
                    "claim_id",
                    "window_closed",
                    format!("the objection window ({days} working days) closed on {last_jalali}"),
                ));
            }
            if input.line_nos.is_empty() {
                return Err(AppError::field("line_nos", "empty", "name at least one line"));
            }
            let lines = claims_store::lines(conn, &c.id)?;
            for (i, n) in input.line_nos.iter().enumerate() {
                match lines.iter().find(|l| l.line_no as u32 == *n) {
                    None => {
                        return Err(AppError::field(
                            &format!("line_nos[{i}]"),
                            "unknown",
                            "the claim has no such line",
                        ))
                    }
                    Some(l) if l.deducted == 0 => {
                        return Err(AppError::field(
                            &format!("line_nos[{i}]"),
                            "nothing_deducted",
                            "this line has no deduction",
                        ))
                    }
                    _ => {}
                }
            }
            if store::claim_objections(conn, &c.id)?
                .iter()
                .any(|o| Some(o.status) != Some(ObjectionStatus::Decided))
            {
                return Err(AppError::conflict(
                    "objection_open",
                    "an objection to this claim is already open",
                ));
            }
            let row = ObjectionRow {
                id: ObjectionId::new(),
                claim_id: c.id.clone(),
                filed_by: caller.user_id.clone(),
                reason: input.reason.trim().to_string(),
                line_nos: serde_json::to_string(&input.line_nos).map_err(AppError::internal)?,
                status: ObjectionStatus::Open,
                decided_by: None,
                decided_at: None,
                created_at: now,
                provider_id: c.provider_id.clone(),
            };
            crate::services::reports::restate_objection(conn, &row.id, |conn| {
                Ok(store::insert_objection(conn, &row)?)
            })?;
            audit::append(
                conn,
                &Actor::of(&caller),
                "objection",
                &row.id,
                "filed",
                None,
                Some(json!({"claim_id": c.id, "line_nos": input.line_nos, "reason": row.reason})),
            )?;
            Ok(objection_view(row, Some(last_jalali)))
        })
        .await
}

pub async fn claim_objections(
    state: &ServiceContext,
    caller: Caller,
    claim_id: ClaimId,
) -> AppResult<Vec<ObjectionView>> {
    state
        .db(move |conn| {
            let c = crate::services::claims::load_visible(conn, &caller, &claim_id)?;
            Ok(store::claim_objections(conn, &c.id)?.into_iter().map(|o| objection_view(o, None)).collect())
        })
        .await
}

/// A reviewer other than the one who decided the claim decides the objected lines.
pub async fn decide_objection(
    state: &ServiceContext,
    caller: Caller,
    id: ObjectionId,
    input: DecisionInput,
) -> AppResult<DecisionOutcome> {
    let threshold = Rial(state.config.four_eyes_threshold);
    let clock = state.clock;
    state
        .write(move |conn| {
            let o =
                store::find_objection(conn, &id)?.ok_or_else(|| AppError::not_found("no such objection"))?;
            let c = office_claim(conn, &caller, &o.claim_id)
                .map_err(|_| AppError::not_found("no such objection"))?;
            if objection_transition(o.status, ObjectionAction::Decide).is_err() {
                return Err(AppError::conflict("not_open", format!("the objection is {}", o.status)));
            }
            if store::review_state(conn, &c.id, &c.provider_id)?.reviewed_by.as_ref() == Some(&caller.user_id)
            {
                return Err(AppError::forbidden(
                    "an objection is decided by a reviewer other than the one who decided the claim",
                ));
            }
            let allowed: Vec<u32> = serde_json::from_str(&o.line_nos).map_err(AppError::internal)?;
            record_decision(
                conn,
                &caller,
                c,
                "objection",
                Some(&o),
                &input,
                Some(&allowed),
                threshold,
                clock.now(),
            )
        })
        .await
}

/// One event of a claim's story.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    /// The event's place in the audit trail.
    pub seq: i64,
    /// UTC, without an offset (`2026-11-23T08:30:00.123456`).
    #[schema(value_type = String, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?$")]
    pub at: NaiveDateTime,
    /// The username of who did it (`asnad` for the service itself).
    pub actor: String,
    /// Their role, or `system` for the service itself.
    pub role: String,
    /// `claim`, `decision` or `objection`.
    pub entity: String,
    pub action: String,
    /// The state before the event, as recorded (null when none).
    pub before: Option<serde_json::Value>,
    /// The state after the event, as recorded (null when none).
    pub after: Option<serde_json::Value>,
}

/// The claim's story: its own events, its decisions' and its objections'.
pub async fn history(
    state: &ServiceContext,
    caller: Caller,
    claim_id: ClaimId,
) -> AppResult<Vec<HistoryEntry>> {
    state
        .db(move |conn| {
            let c = crate::services::claims::load_visible(conn, &caller, &claim_id)?;
            let mut events = audit::for_entity(conn, "claim", &c.id)?;
            for d in store::claim_decisions(conn, &c.id)? {
                events.extend(audit::for_entity(conn, "decision", &d.id)?);
            }
            for o in store::claim_objections(conn, &c.id)? {
                events.extend(audit::for_entity(conn, "objection", &o.id)?);
            }
            events.sort_by_key(|e| e.seq);
            let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
            Ok(events
                .into_iter()
                .map(|e| HistoryEntry {
                    seq: e.seq,
                    at: e.at,
                    actor: e.actor_name,
                    role: e.actor_role,
                    entity: e.entity,
                    action: e.action,
                    before: parse(e.before_state),
                    after: parse(e.after_state),
                })
                .collect())
        })
        .await
}

/// The age filter of the queue: received at least `days` before `now` (the service clock's).
pub fn received_before(now: NaiveDateTime, days: i64) -> NaiveDateTime {
    now - Duration::days(days)
}

/// An objection of the office's list, with what the list shows of its claim.
pub struct OfficeObjection {
    pub objection: ObjectionView,
    pub provider_id: ProviderId,
    pub provider_document_no: String,
    /// What is deducted today on the objected lines (rials).
    pub disputed_deducted: i64,
    pub claim_billed: i64,
}

/// A page of the office's objections, and how many the filter holds.
pub struct OfficeObjections {
    pub items: Vec<OfficeObjection>,
    pub total: i64,
}

/// The review office's objections (کارتابل اعتراض‌ها): those to the caller's office's claims,
/// oldest first, with the amount still deducted on the objected lines. The API decides them
/// one by one (`decide_objection`); this is the list a reviewer works from.
pub async fn office_objections(
    state: &ServiceContext,
    caller: Caller,
    mut filter: store::ObjectionFilter,
) -> AppResult<OfficeObjections> {
    filter.office_id = Some(office_of(&caller)?);
    state
        .db(move |conn| {
            crate::services::providers::check_filters(conn, &caller, None, filter.provider_id.as_ref())?;
            let total = store::office_objections_count(conn, &filter)?;
            let mut items = Vec::new();
            for (o, c) in store::office_objections(conn, &filter)? {
                let view = objection_view(o, None);
                let lines = claims_store::lines(conn, &c.id)?;
                let disputed_deducted = lines
                    .iter()
                    .filter(|l| view.line_nos.contains(&(l.line_no as u32)))
                    .map(|l| l.deducted)
                    .sum();
                items.push(OfficeObjection {
                    objection: view,
                    provider_id: c.provider_id,
                    provider_document_no: c.provider_document_no,
                    disputed_deducted,
                    claim_billed: c.billed,
                });
            }
            Ok(OfficeObjections { items, total })
        })
        .await
}

/// One objection of the caller's office with its claim (404 for another office's, as for its
/// claim), and who decided the claim: the objection goes to another reviewer.
pub async fn office_objection(
    state: &ServiceContext,
    caller: Caller,
    id: ObjectionId,
) -> AppResult<(ObjectionView, ClaimView, Option<UserId>)> {
    state
        .db(move |conn| {
            let o =
                store::find_objection(conn, &id)?.ok_or_else(|| AppError::not_found("no such objection"))?;
            let c = office_claim(conn, &caller, &o.claim_id)
                .map_err(|_| AppError::not_found("no such objection"))?;
            let decided_by = store::review_state(conn, &c.id, &c.provider_id)?.reviewed_by;
            Ok((objection_view(o, None), view(conn, c)?, decided_by))
        })
        .await
}
