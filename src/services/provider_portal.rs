//! The provider's portal (درگاه مرکز درمانی): the reads a provider's staff need that the API's
//! use cases do not offer in one piece — a month's deductions grouped by reason with the lines
//! behind them, and the provider's own objections with their outcome. Everything else the
//! portal shows comes from the API's use cases (settlements, remittances, objections,
//! pre-authorizations, monthly lists). Only a provider's users are served (403 for any other
//! role); what they read is their provider's (`Caller::scope_for`).

use chrono::NaiveDate;

use crate::auth::{Caller, Record, Role};
use crate::context::ServiceContext;
use crate::domain::deductions::{by_reason, ReasonGroup};
use crate::domain::lifecycle::review::DecisionStatus;
use crate::domain::money::Rial;
use crate::domain::record_ids::{ClaimId, ProviderId};
use crate::error::{AppError, AppResult};
use crate::services::claims::view;
use crate::services::review::{objection_view, ObjectionView};
use crate::store::claims::{self as claims_store, ClaimFilter};
use crate::store::review as review_store;

/// The most claims a month's deductions read (a provider's month is far below it).
const MONTH_CLAIMS_LIMIT: i64 = 20_000;
/// The most objections the portal lists (the newest).
pub const OBJECTIONS_LIMIT: i64 = 500;

/// The caller's provider, or 403: the portal is a provider's.
pub fn own_provider(caller: &Caller) -> AppResult<ProviderId> {
    caller
        .provider_id
        .clone()
        .filter(|_| caller.role == Role::Provider)
        .ok_or_else(|| AppError::forbidden("the provider's portal is for a provider's users"))
}

/// A deducted line of the month, as the provider reads it under its reason.
pub struct DeductedLine {
    pub claim_id: ClaimId,
    pub document_no: String,
    pub line_no: i32,
    pub item_type: String,
    pub code: String,
    pub service_date: NaiveDate,
    pub billed: i64,
    /// The engine's or reviewer's words on this line (the reason's detail).
    pub detail: String,
}

/// A month's deductions (کسورات ماه): the decided claims of the Jalali month, their totals, and
/// every reason with its lines.
pub struct MonthDeductions {
    /// Jalali `1403-07`.
    pub month: String,
    /// Decided claims of the month.
    pub claims: usize,
    pub billed: i64,
    pub insurer_payable: i64,
    /// The claims' `deducted` total (what neither the Organization nor the insured pays).
    pub deducted: i64,
    pub groups: Vec<ReasonGroup<DeductedLine>>,
}

/// The caller provider's deductions of a Jalali month (service month, `1403-07`): only decided
/// claims (a pended claim's amounts are not final yet).
pub async fn deductions(state: &ServiceContext, caller: Caller, month: String) -> AppResult<MonthDeductions> {
    let provider_id = own_provider(&caller)?;
    state
        .db(move |conn| {
            let filter = ClaimFilter {
                scope: caller.scope_for(Record::Claim),
                provider_id: Some(provider_id),
                month: Some(month.clone()),
                limit: MONTH_CLAIMS_LIMIT,
                ..ClaimFilter::default()
            };
            let mut out = MonthDeductions {
                month,
                claims: 0,
                billed: 0,
                insurer_payable: 0,
                deducted: 0,
                groups: Vec::new(),
            };
            let mut items = Vec::new();
            for c in claims_store::list(conn, &filter)?.into_iter().filter(|c| c.status.is_decided()) {
                let v = view(conn, c)?;
                out.claims += 1;
                out.billed += v.totals.billed;
                out.insurer_payable += v.totals.insurer_payable;
                out.deducted += v.totals.deducted;
                for l in &v.lines {
                    for r in &l.reasons {
                        items.push((
                            r.code.clone(),
                            Rial(r.amount),
                            DeductedLine {
                                claim_id: v.id.clone(),
                                document_no: v.provider_document_no.clone(),
                                line_no: l.line_no,
                                item_type: l.item_type.clone(),
                                code: l.code.clone(),
                                service_date: l.service_date,
                                billed: l.billed,
                                detail: r.detail.clone(),
                            },
                        ));
                    }
                }
            }
            out.groups = by_reason(items);
            Ok(out)
        })
        .await
}

/// One of the provider's objections, with its claim and what came of it.
pub struct ProviderObjection {
    pub objection: ObjectionView,
    pub document_no: String,
    /// What is deducted today on the objected lines (after a decision: what stayed deducted).
    pub deducted_now: i64,
    /// Once decided: what the decision gave back to the Organization's share (payable after
    /// less before; 0 when the deduction was kept).
    pub returned: Option<i64>,
}

/// The caller provider's objections, newest first (at most [`OBJECTIONS_LIMIT`]).
pub async fn objections(state: &ServiceContext, caller: Caller) -> AppResult<Vec<ProviderObjection>> {
    let provider_id = own_provider(&caller)?;
    state
        .db(move |conn| {
            let mut out = Vec::new();
            for (o, c) in review_store::provider_objections(conn, &provider_id, OBJECTIONS_LIMIT)? {
                out.push(outcome(conn, o, &c)?);
            }
            Ok(out)
        })
        .await
}

/// The objections of one of the provider's claims, with their outcome (404 for another's claim).
pub async fn claim_objections(
    state: &ServiceContext,
    caller: Caller,
    claim_id: ClaimId,
) -> AppResult<Vec<ProviderObjection>> {
    own_provider(&caller)?;
    state
        .db(move |conn| {
            let c = crate::services::claims::load_visible(conn, &caller, &claim_id)?;
            review_store::claim_objections(conn, &c.id)?.into_iter().map(|o| outcome(conn, o, &c)).collect()
        })
        .await
}

fn outcome(
    conn: &mut crate::db::AnyConnection,
    o: review_store::ObjectionRow,
    c: &claims_store::ClaimRow,
) -> AppResult<ProviderObjection> {
    let returned = review_store::claim_decisions(conn, &c.id)?
        .into_iter()
        .find(|d| d.objection_id.as_ref() == Some(&o.id) && d.status == DecisionStatus::Applied)
        .map(|d| d.payable_after - d.payable_before);
    let view = objection_view(o, None);
    let deducted_now = claims_store::lines(conn, &c.id)?
        .iter()
        .filter(|l| view.line_nos.contains(&(l.line_no as u32)))
        .map(|l| l.deducted)
        .sum();
    Ok(ProviderObjection {
        objection: view,
        document_no: c.provider_document_no.clone(),
        deducted_now,
        returned,
    })
}
