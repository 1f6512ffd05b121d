//! Selection for review by sampling (نمونه‌گیری), after openIMIS claim_sampling: an office
//! takes a provider's decided claims of a month and sends some back to its review queue — a
//! random percentage, everything above an amount, or everything. Once the reviewers have
//! decided a random sample, a supervisor may apply the rate they cut to the claims not
//! reviewed, as an R92 deduction on each line.

use crate::domain::record_ids::{ClaimId, OfficeId, ProviderId, SampleId};
use rand::seq::SliceRandom;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::Caller;
use crate::context::ServiceContext;

use crate::domain::lifecycle::claim::ClaimStatus;
use crate::domain::lifecycle::review::{sample_transition, SampleAction, SampleStatus};
use crate::domain::money::Rial;
use crate::domain::review::{extrapolate, sample_rate, sample_size};
use crate::error::{AppError, AppResult, FieldError};
use crate::services::review::{amounts_of, apply_decision, Computed};
use crate::store::audit::{self, Actor};
use crate::store::claims as claims_store;
use crate::store::sampling::{self as store, MemberRow, SampleRow};

/// How a sample is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = SampleMethod)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// A random percentage (at least one claim).
    Random,
    /// Every claim whose payable is at least `above_amount`.
    AboveAmount,
    /// Every claim of the provider's month.
    All,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Random => "random",
            Method::AboveAmount => "above_amount",
            Method::All => "all",
        }
    }
}

#[derive(Debug)]
pub struct NewSample {
    pub provider_id: ProviderId,
    /// Jalali `YYYY-MM`.
    pub service_month: String,
    pub method: Method,
    pub percent: Option<Decimal>,
    pub above_amount: Option<i64>,
}

/// A claim of the sample's population.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = SampleClaim)]
pub struct MemberView {
    pub claim_id: ClaimId,
    pub provider_document_no: String,
    /// Drawn for review (the others are what an extrapolation applies to).
    pub selected: bool,
    /// The claim's status now.
    pub status: ClaimStatus,
    pub payable_at_sampling: i64,
    pub insurer_payable: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Sample)]
pub struct SampleView {
    pub id: SampleId,
    pub office_id: OfficeId,
    pub provider_id: ProviderId,
    /// Jalali `YYYY-MM`.
    #[schema(pattern = "^1[34][0-9]{2}-(0[1-9]|1[0-2])$")]
    pub service_month: String,
    #[schema(value_type = Method)]
    pub method: String,
    /// `random`: the percentage drawn (a decimal string); null otherwise.
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$")]
    pub percent: Option<String>,
    /// `above_amount`: the least payable drawn, in rials; null otherwise.
    pub above_amount: Option<i64>,
    /// open, extrapolated or closed.
    pub status: SampleStatus,
    pub population: usize,
    pub selected: usize,
    /// Selected claims the reviewers have decided.
    pub reviewed: usize,
    /// The deduction rate (a fraction, decimal string) the reviewed claims show so far, or the
    /// one applied.
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$")]
    pub rate: String,
    pub claims: Vec<MemberView>,
}

fn is_decided(status: &ClaimStatus) -> bool {
    !matches!(status, ClaimStatus::Pended | ClaimStatus::AwaitingApproval)
}

fn view(s: SampleRow, members: Vec<(MemberRow, claims_store::ClaimRow)>) -> SampleView {
    let selected: Vec<&(MemberRow, claims_store::ClaimRow)> =
        members.iter().filter(|(m, _)| m.selected).collect();
    let reviewed: Vec<_> = selected.iter().filter(|(_, c)| is_decided(&c.status)).collect();
    let rate = match &s.rate {
        Some(r) => r.clone(),
        None => {
            let before = reviewed.iter().map(|(m, _)| m.payable_at_sampling).sum();
            let after = reviewed.iter().map(|(_, c)| c.insurer_payable).sum();
            sample_rate(Rial(before), Rial(after)).normalize().to_string()
        }
    };
    SampleView {
        population: members.len(),
        selected: selected.len(),
        reviewed: reviewed.len(),
        rate,
        claims: members
            .iter()
            .map(|(m, c)| MemberView {
                claim_id: c.id.clone(),
                provider_document_no: c.provider_document_no.clone(),
                selected: m.selected,
                status: c.status,
                payable_at_sampling: m.payable_at_sampling,
                insurer_payable: c.insurer_payable,
            })
            .collect(),
        id: s.id,
        office_id: s.office_id,
        provider_id: s.provider_id,
        service_month: s.service_month,
        method: s.method,
        percent: s.percent,
        above_amount: s.above_amount,
        status: s.status,
    }
}

fn office_of(caller: &Caller) -> AppResult<OfficeId> {
    caller.office_id.clone().ok_or_else(|| AppError::forbidden("the caller belongs to no review office"))
}

fn check(new: &NewSample) -> AppResult<()> {
    let mut errors = Vec::new();
    if !crate::domain::jalali::is_month(&new.service_month) {
        errors.push(FieldError::new("service_month", "invalid", "must be a Jalali month, YYYY-MM"));
    }
    match (new.method, new.percent, new.above_amount) {
        (Method::Random, Some(p), None) if p > Decimal::ZERO && p <= Decimal::ONE_HUNDRED => {}
        (Method::Random, _, None) => errors.push(FieldError::new(
            "percent",
            "range",
            "a random sample needs a percent above 0, at most 100",
        )),
        (Method::AboveAmount, None, Some(a)) if a >= 0 => {}
        (Method::AboveAmount, None, _) => {
            errors.push(FieldError::new("above_amount", "required", "needs an amount in rials, 0 or more"))
        }
        (Method::All, None, None) => {}
        (_, Some(_), _) => errors.push(FieldError::new("percent", "not_allowed", "only for a random sample")),
        (_, _, Some(_)) => {
            errors.push(FieldError::new("above_amount", "not_allowed", "only for above_amount"))
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

/// Draws a sample of the provider's decided claims of the month (those no other sample holds)
/// and sends the selected ones back to the office's review queue.
pub async fn create(state: &ServiceContext, caller: Caller, new: NewSample) -> AppResult<SampleView> {
    check(&new)?;
    let office_id = office_of(&caller)?;
    let clock = state.clock;
    state
        .write(move |conn| {
            // A provider outside the supervisor's office does not exist for them (404).
            let provider = crate::services::providers::load_visible(conn, &caller, &new.provider_id)?;
            let population = store::population(conn, &office_id, &provider.id, &new.service_month)?;
            if population.is_empty() {
                return Err(AppError::field(
                    "service_month",
                    "nothing_to_sample",
                    "the provider has no decided claims of this month outside other samples",
                ));
            }
            let chosen: std::collections::HashSet<&str> = match new.method {
                Method::Random => {
                    let n = sample_size(population.len(), new.percent.unwrap_or_default());
                    let mut rng = rand::thread_rng();
                    population.choose_multiple(&mut rng, n).map(|c| c.id.as_str()).collect()
                }
                Method::AboveAmount => {
                    let floor = new.above_amount.unwrap_or_default();
                    population.iter().filter(|c| c.insurer_payable >= floor).map(|c| c.id.as_str()).collect()
                }
                Method::All => population.iter().map(|c| c.id.as_str()).collect(),
            };
            let now = clock.now();
            let sample = SampleRow {
                id: SampleId::new(),
                office_id: office_id.clone(),
                provider_id: provider.id.clone(),
                service_month: new.service_month.clone(),
                method: new.method.as_str().into(),
                percent: new.percent.map(|p| p.normalize().to_string()),
                above_amount: new.above_amount,
                status: SampleStatus::Open,
                rate: None,
                created_by: caller.user_id.clone(),
                created_at: now,
                closed_by: None,
                closed_at: None,
            };
            let members: Vec<MemberRow> = population
                .iter()
                .map(|c| MemberRow {
                    sample_id: sample.id.clone(),
                    claim_id: c.id.clone(),
                    selected: chosen.contains(&c.id.as_str()),
                    payable_at_sampling: c.insurer_payable,
                    provider_id: sample.provider_id.clone(),
                })
                .collect();
            store::insert(conn, &sample, &members)?;
            let actor = Actor::of(&caller);
            let note = format!("sampled for review (sample {})", sample.id);
            for c in population.iter().filter(|c| chosen.contains(&c.id.as_str())) {
                let mut notes: Vec<String> = serde_json::from_str(&c.pend_notes).unwrap_or_default();
                notes.push(note.clone());
                let notes = serde_json::to_string(&notes).map_err(AppError::internal)?;
                crate::services::reports::restate(conn, &c.id, now, |conn| {
                    Ok(store::send_to_review(conn, &c.id, &notes, now)?)
                })?;
                audit::append(
                    conn,
                    &actor,
                    "claim",
                    &c.id,
                    "sampled",
                    Some(json!({"status": c.status})),
                    Some(json!({"status": ClaimStatus::Pended, "sample_id": sample.id})),
                )?;
            }
            audit::append(conn, &actor, "review_sample", &sample.id, "created", None, audit::json(&sample))?;
            let members = store::members(conn, &sample.id)?;
            Ok(view(sample, members))
        })
        .await
}

fn load(conn: &mut crate::db::AnyConnection, caller: &Caller, id: &SampleId) -> AppResult<SampleRow> {
    // A sample is its office's work: reviewers and supervisors of that office.
    let office = office_of(caller)?;
    store::find_in(conn, &crate::auth::Scope::Office(office), id)?
        .ok_or_else(|| AppError::not_found("no such sample"))
}

pub async fn get(state: &ServiceContext, caller: Caller, id: SampleId) -> AppResult<SampleView> {
    state
        .db(move |conn| {
            let s = load(conn, &caller, &id)?;
            let members = store::members(conn, &s.id)?;
            Ok(view(s, members))
        })
        .await
}

/// The office's samples, newest first (at most `limit`), each with its progress and when it
/// was drawn. Reviewers and supervisors of the office see them, as `get`.
pub async fn list(
    state: &ServiceContext,
    caller: Caller,
    limit: i64,
) -> AppResult<Vec<(SampleView, chrono::NaiveDateTime)>> {
    let office = office_of(&caller)?;
    state
        .db(move |conn| {
            let rows = store::list_in(conn, &crate::auth::Scope::Office(office), limit)?;
            let mut out = Vec::with_capacity(rows.len());
            for s in rows {
                let members = store::members(conn, &s.id)?;
                let at = s.created_at;
                out.push((view(s, members), at));
            }
            Ok(out)
        })
        .await
}

/// Applies the reviewed sample's rate to the claims not selected (R92 on each line), or, with
/// `apply = false`, closes the sample without touching them. Only a random sample stands for
/// the rest, and only once every selected claim is decided.
pub async fn close(
    state: &ServiceContext,
    caller: Caller,
    id: SampleId,
    apply: bool,
) -> AppResult<SampleView> {
    let clock = state.clock;
    state
        .write(move |conn| {
            let s = load(conn, &caller, &id)?;
            let action = if apply { SampleAction::Extrapolate } else { SampleAction::Close };
            let Ok(to) = sample_transition(s.status, action) else {
                return Err(AppError::conflict(
                    "sample_closed",
                    format!("the sample is already {}", s.status),
                ));
            };
            let members = store::members(conn, &s.id)?;
            let now = clock.now();
            let actor = Actor::of(&caller);
            if !apply {
                if !store::close(conn, &s.id, to, None, &caller.user_id, now)? {
                    return Err(AppError::conflict("sample_closed", "the sample was closed meanwhile"));
                }
                audit::append(conn, &actor, "review_sample", &s.id, "closed", None, None)?;
                let s = load(conn, &caller, &id)?;
                return Ok(view(s, members));
            }
            if s.method != Method::Random.as_str() {
                return Err(AppError::conflict(
                    "not_extrapolable",
                    "only a random sample stands for the claims not reviewed",
                ));
            }
            let pending = members.iter().filter(|(m, c)| m.selected && !is_decided(&c.status)).count();
            if pending > 0 {
                return Err(AppError::conflict(
                    "sample_not_reviewed",
                    format!("{pending} selected claims are not decided yet"),
                ));
            }
            let (before, after) = members
                .iter()
                .filter(|(m, _)| m.selected)
                .fold((0, 0), |(b, a), (m, c)| (b + m.payable_at_sampling, a + c.insurer_payable));
            let rate = sample_rate(Rial(before), Rial(after));
            let detail = format!(
                "sample {}: reviewers cut {} of {before} rials ({}%)",
                s.id,
                before - after.min(before),
                (rate * Decimal::ONE_HUNDRED).normalize()
            );
            if rate > Decimal::ZERO {
                for (_, c) in members.iter().filter(|(m, c)| !m.selected && is_decided(&c.status)) {
                    let lines = claims_store::lines(conn, &c.id)?;
                    let computed: Vec<Computed> = lines
                        .iter()
                        .filter(|l| l.insurer_payable > 0)
                        .map(|l| Ok((extrapolate(&amounts_of(l)?, rate, &detail), None)))
                        .collect::<AppResult<_>>()?;
                    apply_decision(conn, c, &lines, &computed, &caller.user_id, &actor, now)?;
                }
            }
            let rate_text = rate.normalize().to_string();
            if !store::close(conn, &s.id, to, Some(rate_text.clone()), &caller.user_id, now)? {
                return Err(AppError::conflict("sample_closed", "the sample was closed meanwhile"));
            }
            audit::append(
                conn,
                &actor,
                "review_sample",
                &s.id,
                "extrapolated",
                None,
                Some(json!({"rate": rate_text, "payable_before": before, "payable_after": after})),
            )?;
            let s = load(conn, &caller, &id)?;
            let members = store::members(conn, &s.id)?;
            Ok(view(s, members))
        })
        .await
}
