//! Providers (مراکز طرف قرارداد) and their contracts (قرارداد).

use crate::domain::record_ids::{ContractEventId, ContractId, OfficeId, ProviderId};
use chrono::NaiveDate;
use serde::Serialize;

use crate::auth::{Caller, Record, Scope};
use crate::context::ServiceContext;
use crate::db::AnyConnection;
use crate::domain::adjudication::ContractFacts;
use crate::domain::contract::{
    check_change_date, standing_on, transition, version_on, ContractAction, ContractStatus, ContractTerms,
    StandingOnDate, StatusEvent, StatusReason, TermsVersion,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::store::audit::{self, Actor};
use crate::store::providers::{
    self as store, ContractRow, EventRow, ProviderFilter, ProviderRow, VersionRow,
};
use crate::store::{self as st, offices};

/// The provider if it is in the caller's scope: its own users, staff of its office, and the
/// Organization-wide roles. Anyone else gets 404, as if it did not exist.
pub fn load_visible(conn: &mut AnyConnection, caller: &Caller, id: &ProviderId) -> AppResult<ProviderRow> {
    store::find_provider_in(conn, &caller.scope_for(Record::Provider), id)?
        .ok_or_else(|| AppError::not_found("no such provider"))
}

/// A list filter naming an office or a provider outside the caller's scope is answered 404, as
/// reading that office's or provider's records one by one would be: a filter never confirms that
/// another tenant exists.
pub fn check_filters(
    conn: &mut AnyConnection,
    caller: &Caller,
    office_id: Option<&OfficeId>,
    provider_id: Option<&ProviderId>,
) -> AppResult<()> {
    if let Some(o) = office_id {
        let province = offices::find(conn, o)?.map(|office| office.province_id);
        if !province.is_some_and(|p| caller.scope().admits_office(o, p)) {
            return Err(AppError::not_found("no such office"));
        }
    }
    if let Some(p) = provider_id {
        load_visible(conn, caller, p)?;
    }
    Ok(())
}

/// Checks that refer to other records: the office exists and belongs to the province, and the
/// legal identifier is not another provider's.
pub fn check_references(conn: &mut AnyConnection, row: &ProviderRow) -> AppResult<()> {
    let office = offices::find(conn, &row.office_id)?
        .ok_or_else(|| AppError::field("office_id", "not_found", "no such office"))?;
    if office.province_id != row.province_id {
        return Err(AppError::field("office_id", "province_mismatch", "the office is in another province"));
    }
    if let Some(other) =
        store::find_by_identifier(conn, row.legal_national_id.as_deref(), row.medical_council_no.as_deref())?
    {
        if other.id != row.id {
            return Err(AppError::conflict(
                "provider_exists",
                format!("provider {} has the same legal identifier", other.id),
            ));
        }
    }
    Ok(())
}

pub async fn create(state: &ServiceContext, actor: Actor, row: ProviderRow) -> AppResult<ProviderRow> {
    state
        .write(move |conn| {
            check_references(conn, &row)?;
            store::insert_provider(conn, &row)?;
            audit::append(conn, &actor, "provider", &row.id, "created", None, audit::json(&row))?;
            Ok(row)
        })
        .await
}

pub async fn update(state: &ServiceContext, actor: Actor, row: ProviderRow) -> AppResult<ProviderRow> {
    state
        .write(move |conn| {
            let existing = store::find_provider(conn, &row.id)?
                .ok_or_else(|| AppError::not_found("no such provider"))?;
            let row = ProviderRow { created_at: existing.created_at, ..row };
            check_references(conn, &row)?;
            store::update_provider(conn, &row)?;
            audit::append(
                conn,
                &actor,
                "provider",
                &row.id,
                "updated",
                audit::json(&existing),
                audit::json(&row),
            )?;
            Ok(row)
        })
        .await
}

/// Providers are never deleted (contracts and claims refer to them): they are deactivated.
pub async fn deactivate(state: &ServiceContext, actor: Actor, id: ProviderId) -> AppResult<()> {
    state
        .write(move |conn| {
            let mut p =
                store::find_provider(conn, &id)?.ok_or_else(|| AppError::not_found("no such provider"))?;
            let before = audit::json(&p);
            p.active = false;
            p.updated_at = st::now();
            store::update_provider(conn, &p)?;
            audit::append(conn, &actor, "provider", &p.id, "deactivated", before, audit::json(&p))?;
            Ok(())
        })
        .await
}

pub async fn get(state: &ServiceContext, caller: Caller, id: ProviderId) -> AppResult<ProviderRow> {
    state.db(move |conn| load_visible(conn, &caller, &id)).await
}

pub async fn list(
    state: &ServiceContext,
    caller: Caller,
    mut filter: ProviderFilter,
) -> AppResult<Vec<ProviderRow>> {
    filter.scope = caller.scope_for(Record::Provider);
    if matches!(filter.scope, Scope::Provider(_) | Scope::Insured(_) | Scope::Nothing) {
        return Err(AppError::forbidden("providers see only their own record"));
    }
    state
        .db(move |conn| {
            check_filters(conn, &caller, filter.office_id.as_ref(), None)?;
            Ok(store::list_providers(conn, &filter)?)
        })
        .await
}

/// A contract with its versions and state changes.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Contract)]
pub struct ContractView {
    pub id: ContractId,
    pub number: String,
    pub provider_id: ProviderId,
    pub office_id: OfficeId,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub status: ContractStatus,
    /// The versions of the terms, oldest first.
    pub versions: Vec<VersionView>,
    /// The changes of state, oldest first.
    pub events: Vec<EventView>,
}

/// A version of a contract's terms, in force from its date.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ContractVersion)]
pub struct VersionView {
    pub version: i32,
    pub effective_from: NaiveDate,
    pub terms: ContractTerms,
    pub note: Option<String>,
    /// Username of the admin who made it.
    pub created_by: String,
}

/// A change of a contract's state.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ContractEvent)]
pub struct EventView {
    #[schema(value_type = ContractAction)]
    pub action: String,
    #[schema(value_type = ContractStatus)]
    pub status_after: String,
    pub effective_on: NaiveDate,
    #[schema(value_type = Option<StatusReason>)]
    pub reason: Option<String>,
    pub note: Option<String>,
    /// Username of the admin who made it.
    pub actor: String,
}

fn parse_terms(json: &str) -> AppResult<ContractTerms> {
    serde_json::from_str(json)
        .map_err(|e| AppError::internal(format!("stored contract terms do not parse: {e}")))
}

fn status_of(row: &ContractRow) -> AppResult<ContractStatus> {
    ContractStatus::parse(&row.status)
        .ok_or_else(|| AppError::internal(format!("unknown contract status {}", row.status)))
}

fn view(conn: &mut AnyConnection, c: ContractRow) -> AppResult<ContractView> {
    let versions = store::versions(conn, &c.id)?
        .into_iter()
        .map(|v| {
            Ok(VersionView {
                version: v.version,
                effective_from: v.effective_from,
                terms: parse_terms(&v.terms)?,
                note: v.note,
                created_by: v.created_by,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let events = store::events(conn, &c.id)?
        .into_iter()
        .map(|e| EventView {
            action: e.action,
            status_after: e.status_after,
            effective_on: e.effective_on,
            reason: e.reason,
            note: e.note,
            actor: e.actor,
        })
        .collect();
    Ok(ContractView {
        status: status_of(&c)?,
        id: c.id,
        number: c.number,
        provider_id: c.provider_id,
        office_id: c.office_id,
        valid_from: c.valid_from,
        valid_to: c.valid_to,
        versions,
        events,
    })
}

fn check_terms(terms: &ContractTerms) -> AppResult<()> {
    let problems = terms.problems();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(
            problems.into_iter().map(|(f, m)| FieldError::new(format!("terms.{f}"), "invalid", m)).collect(),
        ))
    }
}

pub struct NewContract {
    pub number: String,
    pub provider_id: ProviderId,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub terms: ContractTerms,
    pub note: Option<String>,
}

/// A new contract starts as a draft with its terms as version 1. Contracts of one provider may
/// not overlap unless the earlier one was terminated.
pub async fn create_contract(
    state: &ServiceContext,
    caller: Caller,
    new: NewContract,
) -> AppResult<ContractView> {
    if new.valid_to < new.valid_from {
        return Err(AppError::field("valid_to", "before_valid_from", "must not be before valid_from"));
    }
    check_terms(&new.terms)?;
    state
        .write(move |conn| {
            let provider = load_visible(conn, &caller, &new.provider_id)?;
            if store::find_contract_by_number(conn, &new.number)?.is_some() {
                return Err(AppError::conflict(
                    "contract_number_taken",
                    format!("contract {} exists", new.number),
                ));
            }
            for other in store::provider_contracts(conn, &provider.id)? {
                let overlaps = other.valid_from <= new.valid_to && new.valid_from <= other.valid_to;
                if overlaps && other.status != ContractStatus::Terminated.as_str() {
                    return Err(AppError::conflict(
                        "contract_overlap",
                        format!("contract {} covers part of the same period", other.number),
                    ));
                }
            }
            let now = st::now();
            let row = ContractRow {
                id: ContractId::new(),
                number: new.number,
                provider_id: provider.id,
                office_id: provider.office_id,
                valid_from: new.valid_from,
                valid_to: new.valid_to,
                status: ContractStatus::Draft.as_str().into(),
                created_at: now,
                updated_at: now,
            };
            let version = VersionRow {
                contract_id: row.id.clone(),
                version: 1,
                effective_from: new.valid_from,
                terms: serde_json::to_string(&new.terms).map_err(AppError::internal)?,
                note: new.note,
                created_by: caller.username.clone(),
                created_at: now,
            };
            store::insert_contract(conn, &row, &version)?;
            let created = view(conn, row)?;
            audit::append(
                conn,
                &Actor::of(&caller),
                "contract",
                &created.id,
                "created",
                None,
                audit::json(&created),
            )?;
            Ok(created)
        })
        .await
}

fn load_contract(conn: &mut AnyConnection, caller: &Caller, id: &ContractId) -> AppResult<ContractRow> {
    let c = store::find_contract(conn, id)?.ok_or_else(|| AppError::not_found("no such contract"))?;
    // Visibility follows the provider's.
    load_visible(conn, caller, &c.provider_id).map_err(|_| AppError::not_found("no such contract"))?;
    Ok(c)
}

pub async fn get_contract(state: &ServiceContext, caller: Caller, id: ContractId) -> AppResult<ContractView> {
    state
        .db(move |conn| {
            let c = load_contract(conn, &caller, &id)?;
            view(conn, c)
        })
        .await
}

pub async fn provider_contracts(
    state: &ServiceContext,
    caller: Caller,
    provider_id: ProviderId,
) -> AppResult<Vec<ContractView>> {
    state
        .db(move |conn| {
            let p = load_visible(conn, &caller, &provider_id)?;
            store::provider_contracts(conn, &p.id)?.into_iter().map(|c| view(conn, c)).collect()
        })
        .await
}

/// An amendment: the previous version's terms with `changes` applied, effective from a date
/// after the previous version's and within the contract's validity.
pub async fn amend(
    state: &ServiceContext,
    caller: Caller,
    id: ContractId,
    effective_from: NaiveDate,
    changes: serde_json::Map<String, serde_json::Value>,
    note: Option<String>,
) -> AppResult<ContractView> {
    state
        .write(move |conn| {
            let c = load_contract(conn, &caller, &id)?;
            if c.status == ContractStatus::Terminated.as_str() {
                return Err(AppError::conflict(
                    "contract_terminated",
                    "a terminated contract cannot be amended",
                ));
            }
            if effective_from < c.valid_from || effective_from > c.valid_to {
                return Err(AppError::field(
                    "effective_from",
                    "outside_validity",
                    "must fall within the contract's validity",
                ));
            }
            let versions = store::versions(conn, &c.id)?;
            let last = versions.last().ok_or_else(|| AppError::internal("a contract without versions"))?;
            if effective_from <= last.effective_from {
                return Err(AppError::field(
                    "effective_from",
                    "not_after_previous",
                    format!("must be after the previous version's date {}", last.effective_from),
                ));
            }
            let mut merged: serde_json::Value =
                serde_json::from_str(&last.terms).map_err(AppError::internal)?;
            if let Some(obj) = merged.as_object_mut() {
                for (k, v) in changes {
                    obj.insert(k, v);
                }
            }
            let terms: ContractTerms = serde_json::from_value(merged)
                .map_err(|e| AppError::field("terms", "invalid", e.to_string()))?;
            check_terms(&terms)?;
            let version = VersionRow {
                contract_id: c.id.clone(),
                version: last.version + 1,
                effective_from,
                terms: serde_json::to_string(&terms).map_err(AppError::internal)?,
                note,
                created_by: caller.username.clone(),
                created_at: st::now(),
            };
            store::insert_version(conn, &version)?;
            audit::append(
                conn,
                &Actor::of(&caller),
                "contract",
                &c.id,
                "amended",
                audit::json(last),
                audit::json(&version),
            )?;
            view(conn, c)
        })
        .await
}

fn reason_str(r: StatusReason) -> &'static str {
    match r {
        StatusReason::ProviderRequest => "provider_request",
        StatusReason::RepeatedViolations => "repeated_violations",
        StatusReason::FraudArt97 => "fraud_art97",
        StatusReason::LicenceRevoked => "licence_revoked",
        StatusReason::NonRenewal => "non_renewal",
    }
}

fn reason_parse(s: &str) -> Option<StatusReason> {
    use StatusReason::*;
    [ProviderRequest, RepeatedViolations, FraudArt97, LicenceRevoked, NonRenewal]
        .into_iter()
        .find(|r| reason_str(*r) == s)
}

fn timeline(events: &[EventRow]) -> Vec<StatusEvent> {
    events
        .iter()
        .filter_map(|e| {
            Some(StatusEvent {
                effective_on: e.effective_on,
                status: ContractStatus::parse(&e.status_after)?,
                reason: e.reason.as_deref().and_then(reason_parse),
            })
        })
        .collect()
}

/// Activate, suspend, reinstate or terminate, effective on a date. Suspension and termination
/// need a reason. Every change is kept as an event with its actor.
pub async fn change_status(
    state: &ServiceContext,
    caller: Caller,
    id: ContractId,
    action: ContractAction,
    effective_on: NaiveDate,
    reason: Option<StatusReason>,
    note: Option<String>,
) -> AppResult<ContractView> {
    if matches!(action, ContractAction::Suspend | ContractAction::Terminate) && reason.is_none() {
        return Err(AppError::field("reason", "required", format!("is required to {}", action.as_str())));
    }
    state
        .write(move |conn| {
            let c = load_contract(conn, &caller, &id)?;
            let to = transition(status_of(&c)?, action)
                .map_err(|e| AppError::conflict("invalid_transition", e.to_string()))?;
            let events = store::events(conn, &c.id)?;
            check_change_date(c.valid_from, c.valid_to, &timeline(&events), effective_on)
                .map_err(|e| AppError::field("effective_on", "invalid_date", e.to_string()))?;
            let now = st::now();
            let event = EventRow {
                id: ContractEventId::new(),
                contract_id: c.id.clone(),
                action: action.as_str().into(),
                status_after: to.as_str().into(),
                effective_on,
                reason: reason.map(|r| reason_str(r).to_string()),
                note,
                actor: caller.username.clone(),
                created_at: now,
            };
            store::insert_event(conn, &event, now)?;
            audit::append(
                conn,
                &Actor::of(&caller),
                "contract",
                &c.id,
                action.as_str(),
                audit::json(&c),
                audit::json(&event),
            )?;
            tracing::info!(contract = %c.number, action = action.as_str(), by = %caller.username, "contract state changed");
            let c = store::find_contract(conn, &c.id)?.ok_or_else(|| AppError::not_found("no such contract"))?;
            view(conn, c)
        })
        .await
}

/// Which terms applied on a date: the provider's contract covering the date, its standing then
/// and the version of the terms in force.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TermsOnDate {
    pub date: NaiveDate,
    pub contract_id: ContractId,
    /// The contract's number.
    pub number: String,
    pub standing: StandingOnDate,
    /// The version of the terms in force (null before the first version's date).
    pub version: Option<i32>,
    pub version_effective_from: Option<NaiveDate>,
    pub terms: Option<ContractTerms>,
}

/// A stored contract's validity, state timeline and term versions: what the adjudication engine
/// and the terms-on-a-date lookup both read.
pub fn contract_facts(conn: &mut AnyConnection, c: &ContractRow) -> AppResult<ContractFacts> {
    let events = timeline(&store::events(conn, &c.id)?);
    let versions = store::versions(conn, &c.id)?
        .into_iter()
        .map(|v| {
            Ok(TermsVersion {
                version: v.version,
                effective_from: v.effective_from,
                terms: parse_terms(&v.terms)?,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(ContractFacts { valid_from: c.valid_from, valid_to: c.valid_to, events, versions })
}

/// Which terms applied on a date.
pub fn terms_on(
    conn: &mut AnyConnection,
    provider_id: &ProviderId,
    date: NaiveDate,
) -> AppResult<Option<TermsOnDate>> {
    let contracts = store::provider_contracts(conn, provider_id)?;
    let Some(c) = contracts.into_iter().rev().find(|c| c.valid_from <= date && date <= c.valid_to) else {
        return Ok(None);
    };
    let facts = contract_facts(conn, &c)?;
    let v = version_on(&facts.versions, date);
    Ok(Some(TermsOnDate {
        date,
        standing: standing_on(c.valid_from, c.valid_to, &facts.events, date),
        contract_id: c.id,
        number: c.number,
        version: v.map(|v| v.version),
        version_effective_from: v.map(|v| v.effective_from),
        terms: v.map(|v| v.terms.clone()),
    }))
}

pub async fn contract_on(
    state: &ServiceContext,
    caller: Caller,
    provider_id: ProviderId,
    date: NaiveDate,
) -> AppResult<TermsOnDate> {
    state
        .db(move |conn| {
            let p = load_visible(conn, &caller, &provider_id)?;
            terms_on(conn, &p.id, date)?
                .ok_or_else(|| AppError::not_found(format!("no contract of this provider covers {date}")))
        })
        .await
}
