//! Pre-authorization (تأیید قبلی): a provider asks before treating with a code that needs it
//! (the tariff's `requires_preauth`, or the contract's `preauth_codes`); a medical advisor
//! (پزشک معتمد) approves it with a validity window and a quantity, or refuses it with a reason.
//! Claim lines then rely on the approval (R12 without one, R91 after a refusal), and the
//! quantity they use counts against it.

use crate::domain::record_ids::{ClaimId, InsuredId, OfficeId, PreauthId, ProviderId};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::{Caller, Record, Role, Scope};
use crate::context::ServiceContext;
use crate::db::AnyConnection;
use crate::domain::adjudication::PreAuthorization;
use crate::domain::jalali::JalaliDate;
use crate::domain::lifecycle::claim::LineStatus;
use crate::domain::lifecycle::preauth::{transition, PreauthAction, PreauthStatus};
use crate::domain::pricing::ItemType;
use crate::domain::reasons::Reason;
use crate::domain::tariff::TariffBook;
use crate::error::{AppError, AppResult, FieldError};
use crate::store::audit::{self, Actor};
use crate::store::preauth::{self as store, PreauthFilter, PreauthRow};
use crate::store::{insured, outbox, providers};

/// Longest validity an advisor may give one approval (a year of treatment; a longer course is a
/// new request).
pub const MAX_VALIDITY_DAYS: i64 = 366;

/// A provider's request.
#[derive(Debug)]
pub struct NewRequest {
    pub national_code: String,
    pub item_type: ItemType,
    pub code: String,
    pub quantity: Decimal,
    pub diagnoses: Vec<String>,
    pub justification: String,
}

/// A medical advisor's verdict on a pre-authorization request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = PreauthorizationVerdict)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approve,
    Reject,
}

/// The medical advisor's decision.
#[derive(Debug)]
pub struct AdvisorDecision {
    pub decision: Verdict,
    pub approved_quantity: Option<Decimal>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    /// The reason code of a refusal (R91 when not given).
    pub reason: Option<String>,
    pub note: Option<String>,
}

/// A claim line that used the approval.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = PreauthorizationUse)]
pub struct UseView {
    pub claim_id: ClaimId,
    pub line_no: i32,
    /// A decimal string.
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$")]
    pub quantity: String,
    /// The line's status (a rejected line uses nothing).
    pub status: LineStatus,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Preauthorization)]
pub struct PreauthView {
    pub id: PreauthId,
    pub provider_id: ProviderId,
    pub office_id: OfficeId,
    pub insured_national_code: String,
    #[schema(value_type = ItemType)]
    pub item_type: String,
    pub code: String,
    /// The quantity requested (a decimal string).
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$")]
    pub quantity: String,
    pub diagnoses: Vec<String>,
    pub justification: String,
    pub status: PreauthStatus,
    /// The quantity approved (a decimal string); null until approved.
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$")]
    pub approved_quantity: Option<String>,
    /// What claims have not yet used of the approved quantity.
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$")]
    pub remaining_quantity: Option<String>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    /// `valid_from` in the Jalali calendar (`YYYY-MM-DD`).
    #[schema(pattern = r"^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub valid_from_jalali: Option<String>,
    /// `valid_to` in the Jalali calendar (`YYYY-MM-DD`).
    #[schema(pattern = r"^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub valid_to_jalali: Option<String>,
    /// A refusal's reason code.
    #[schema(value_type = Option<Reason>)]
    pub decision_reason: Option<String>,
    pub decision_message_fa: Option<&'static str>,
    pub decision_message_en: Option<&'static str>,
    pub decision_note: Option<String>,
    #[schema(format = DateTime)]
    pub decided_at: Option<String>,
    #[schema(format = DateTime)]
    pub requested_at: String,
    /// Claim lines that used the approval.
    pub uses: Vec<UseView>,
}

fn view(conn: &mut AnyConnection, r: PreauthRow) -> AppResult<PreauthView> {
    let uses: Vec<UseView> = store::uses(conn, &r.id)?
        .into_iter()
        .map(|(claim_id, line_no, quantity, status)| UseView { claim_id, line_no, quantity, status })
        .collect();
    let remaining = r.approved_quantity.as_deref().and_then(|q| q.parse::<Decimal>().ok()).map(|q| {
        let used: Decimal = uses
            .iter()
            .filter(|u| Some(u.status) != Some(LineStatus::Rejected))
            .filter_map(|u| u.quantity.parse::<Decimal>().ok())
            .sum();
        (q - used).max(Decimal::ZERO).normalize().to_string()
    });
    let reason = r.decision_reason.as_deref().and_then(Reason::parse);
    Ok(PreauthView {
        valid_from_jalali: r.valid_from.map(|d| JalaliDate::from_gregorian(d).to_string()),
        valid_to_jalali: r.valid_to.map(|d| JalaliDate::from_gregorian(d).to_string()),
        decision_message_fa: reason.map(|x| x.message_fa()),
        decision_message_en: reason.map(|x| x.message_en()),
        remaining_quantity: remaining,
        diagnoses: serde_json::from_str(&r.diagnoses).unwrap_or_default(),
        decided_at: r.decided_at.map(crate::clock::ts),
        requested_at: crate::clock::ts(r.created_at),
        id: r.id,
        provider_id: r.provider_id,
        office_id: r.office_id,
        insured_national_code: r.national_code,
        item_type: r.item_type,
        code: r.code,
        quantity: r.quantity,
        justification: r.justification,
        status: r.status,
        approved_quantity: r.approved_quantity,
        valid_from: r.valid_from,
        valid_to: r.valid_to,
        decision_reason: r.decision_reason,
        decision_note: r.decision_note,
        uses,
    })
}

/// The request if it is in the caller's scope: its provider, the insured person, the office's
/// staff, medical advisors (of their office when they have one) and admins
/// (`Caller::scope_for`). Anyone else gets 404.
pub fn load_visible(conn: &mut AnyConnection, caller: &Caller, id: &PreauthId) -> AppResult<PreauthRow> {
    store::find_in(conn, &caller.scope_for(Record::Preauthorization), id)?
        .ok_or_else(|| AppError::not_found("no such pre-authorization"))
}

/// Whether the tariff in force today knows the code for its item type.
fn known_code(book: &TariffBook, today: NaiveDate, item_type: ItemType, code: &str) -> bool {
    let Some(t) = book.for_date(today) else { return true };
    match item_type {
        ItemType::Service => t.services.contains_key(code),
        ItemType::Visit => t.visits.contains_key(code),
        ItemType::Drug => t.drug(code).is_some(),
        ItemType::Device => t.devices.contains_key(code),
        ItemType::BedDay => true,
    }
}

pub async fn request(state: &ServiceContext, caller: Caller, new: NewRequest) -> AppResult<PreauthView> {
    let provider_id = caller
        .provider_id
        .clone()
        .filter(|_| caller.role == Role::Provider)
        .ok_or_else(|| AppError::forbidden("only a provider's users request pre-authorization"))?;
    let mut errors = Vec::new();
    if new.quantity <= Decimal::ZERO || new.quantity > Decimal::from(10_000) {
        errors.push(FieldError::new("quantity", "range", "must be more than 0 and at most 10000"));
    }
    let now = state.now();
    if !known_code(&state.tariffs(), now.date(), new.item_type, &new.code) {
        errors.push(FieldError::new(
            "code",
            "unknown_code",
            format!("{} is not a {} in the tariff in force", new.code, new.item_type.as_str()),
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    state
        .write(move |conn| {
            let provider =
                providers::find_provider(conn, &provider_id)?.filter(|p| p.active).ok_or_else(|| {
                    AppError::forbidden("the caller's provider is not registered or not active")
                })?;
            let person = insured::find_by_code(conn, &new.national_code)?.ok_or_else(|| {
                AppError::field("insured_national_code", "not_insured", "is not an insured person")
            })?;
            let row = PreauthRow {
                id: PreauthId::new(),
                provider_id: provider.id,
                office_id: provider.office_id,
                insured_id: person.id,
                national_code: new.national_code,
                item_type: new.item_type.as_str().into(),
                code: new.code,
                quantity: new.quantity.normalize().to_string(),
                diagnoses: serde_json::to_string(&new.diagnoses).map_err(AppError::internal)?,
                justification: new.justification,
                status: PreauthStatus::Requested,
                approved_quantity: None,
                valid_from: None,
                valid_to: None,
                decision_reason: None,
                decision_note: None,
                decided_by: None,
                decided_at: None,
                requested_by: caller.user_id.clone(),
                created_at: now,
            };
            {
                store::insert(conn, &row)?;
                audit::append(
                    conn,
                    &Actor::of(&caller),
                    "preauthorization",
                    &row.id,
                    "requested",
                    None,
                    audit::json(&row),
                )?;
                Ok::<_, AppError>(())
            }?;
            view(conn, row)
        })
        .await
}

pub async fn get(state: &ServiceContext, caller: Caller, id: PreauthId) -> AppResult<PreauthView> {
    state
        .db(move |conn| {
            let r = load_visible(conn, &caller, &id)?;
            view(conn, r)
        })
        .await
}

/// Lists the requests in the caller's scope.
pub async fn list(
    state: &ServiceContext,
    caller: Caller,
    mut filter: PreauthFilter,
) -> AppResult<Vec<PreauthView>> {
    filter.scope = caller.scope_for(Record::Preauthorization);
    if filter.scope == Scope::Nothing && matches!(caller.role, Role::TariffAdmin | Role::Finance) {
        return Err(AppError::forbidden("this role does not see pre-authorizations"));
    }
    state.db(move |conn| store::list(conn, &filter)?.into_iter().map(|r| view(conn, r)).collect()).await
}

/// Checks a decision on its own; the errors name the fields.
fn check_decision(d: &AdvisorDecision, requested: Decimal, today: NaiveDate) -> AppResult<()> {
    let mut errors = Vec::new();
    match d.decision {
        Verdict::Approve => {
            match d.approved_quantity {
                None => {
                    errors.push(FieldError::new("approved_quantity", "required", "is required to approve"))
                }
                Some(q) if q <= Decimal::ZERO || q > requested => errors.push(FieldError::new(
                    "approved_quantity",
                    "range",
                    format!("must be more than 0 and at most the requested {}", requested.normalize()),
                )),
                _ => {}
            }
            let from = d.valid_from.unwrap_or(today);
            match d.valid_to {
                None => errors.push(FieldError::new("valid_to", "required", "is required to approve")),
                Some(to) if to < from => errors.push(FieldError::new(
                    "valid_to",
                    "before_valid_from",
                    "must not be before valid_from",
                )),
                Some(to) if (to - from).num_days() >= MAX_VALIDITY_DAYS => errors.push(FieldError::new(
                    "valid_to",
                    "too_long",
                    format!("an approval is valid at most {MAX_VALIDITY_DAYS} days"),
                )),
                _ => {}
            }
            if d.reason.is_some() {
                errors.push(FieldError::new("reason", "not_allowed", "an approval has no reason code"));
            }
        }
        Verdict::Reject => {
            if let Some(code) = &d.reason {
                if Reason::parse(code).is_none() {
                    errors.push(FieldError::new(
                        "reason",
                        "unknown_reason",
                        format!("{code} is not in the catalogue"),
                    ));
                }
            }
            if d.note.as_deref().is_none_or(|n| n.trim().is_empty()) {
                errors.push(FieldError::new("note", "required", "a refusal says why"));
            }
            for (field, present) in [
                ("approved_quantity", d.approved_quantity.is_some()),
                ("valid_from", d.valid_from.is_some()),
                ("valid_to", d.valid_to.is_some()),
            ] {
                if present {
                    errors.push(FieldError::new(field, "not_allowed", "is only for an approval"));
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

/// The medical advisor decides a waiting request; the provider is notified (outbox).
pub async fn decide(
    state: &ServiceContext,
    caller: Caller,
    id: PreauthId,
    d: AdvisorDecision,
) -> AppResult<PreauthView> {
    let now = state.now();
    let today = now.date();
    state
        .write(move |conn| {
            let r = load_visible(conn, &caller, &id)?;
            let approve = d.decision == Verdict::Approve;
            let action = if approve { PreauthAction::Approve } else { PreauthAction::Reject };
            let Ok(to) = transition(r.status, action) else {
                return Err(AppError::conflict("already_decided", format!("the request is already {}", r.status)));
            };
            let requested: Decimal = r.quantity.parse().map_err(AppError::internal)?;
            check_decision(&d, requested, today)?;
            let decision = store::Decision {
                status: to,
                approved_quantity: d.approved_quantity.map(|q| q.normalize().to_string()),
                valid_from: approve.then(|| d.valid_from.unwrap_or(today)),
                valid_to: d.valid_to,
                reason: (!approve).then(|| d.reason.clone().unwrap_or_else(|| Reason::R91.code().into())),
                note: d.note.clone(),
                decided_by: &caller.user_id,
                decided_at: now,
            };
            {
            if !store::decide(conn, &r.id, &decision)? {
                return Err(AppError::conflict("already_decided", "another advisor decided the request first"));
            }
            let after = json!({
                "status": decision.status,
                "approved_quantity": decision.approved_quantity,
                "valid_from": decision.valid_from,
                "valid_to": decision.valid_to,
                "reason": decision.reason,
            });
            audit::append(
                conn,
                &Actor::of(&caller),
                "preauthorization",
                &r.id,
                "decided",
                Some(json!({"status": r.status})),
                Some(after.clone()),
            )?;
            outbox::enqueue(
                conn,
                "preauthorization_decided",
                "provider",
                &r.provider_id,
                &r.id,
                json!({"preauthorization_id": r.id, "code": r.code, "insured_national_code": r.national_code, "decision": after}),
            )?;
            Ok::<_, AppError>(())
        }?;
            let r = store::find(conn, &id)?.ok_or_else(|| AppError::not_found("no such pre-authorization"))?;
            view(conn, r)
        })
        .await
}

/// The insured person's decided requests as the engine reads them.
pub fn for_engine(conn: &mut AnyConnection, insured_id: &InsuredId) -> AppResult<Vec<PreAuthorization>> {
    Ok(store::decided_for_insured(conn, insured_id)?
        .into_iter()
        .map(|(r, used)| {
            let approved = Some(r.status) == Some(PreauthStatus::Approved);
            let quantity: Decimal =
                r.approved_quantity.as_deref().and_then(|q| q.parse().ok()).unwrap_or_default();
            let used: Decimal = used.iter().filter_map(|q| q.parse::<Decimal>().ok()).sum();
            PreAuthorization {
                id: r.id,
                code: r.code,
                approved,
                valid_from: r.valid_from.unwrap_or(NaiveDate::MIN),
                valid_to: r.valid_to.unwrap_or(NaiveDate::MIN),
                remaining: (quantity - used).max(Decimal::ZERO),
            }
        })
        .collect())
}

/// The reasons a medical advisor may give a refusal, R91 first (the default): the catalogue's
/// codes that describe a clinical or documentary judgement on a request. `decide` accepts any
/// code of the catalogue (as the API does); the console offers these. Whatever code is given,
/// a claim line that relies on the refused request is deducted with R91 by the engine.
pub const REFUSAL_REASONS: [Reason; 7] =
    [Reason::R91, Reason::R15, Reason::R06, Reason::R11, Reason::R09, Reason::R10, Reason::R04];

/// A page of the medical advisor's inbox, how many requests the filter holds, and how many it
/// holds in each status (the same filter with each status in turn).
pub struct Inbox {
    pub items: Vec<PreauthView>,
    pub total: i64,
    pub by_status: Vec<(PreauthStatus, i64)>,
}

/// The medical advisor's inbox (کارتابل درخواست‌های تأیید قبلی): the requests in the caller's
/// scope under `filter` (its scope is replaced by the caller's), with counts by status.
pub async fn inbox(
    state: &ServiceContext,
    caller: Caller,
    mut filter: store::InboxFilter,
) -> AppResult<Inbox> {
    filter.scope = caller.scope_for(Record::Preauthorization);
    if filter.scope == Scope::Nothing {
        return Err(AppError::forbidden("this role does not see pre-authorizations"));
    }
    state
        .db(move |conn| {
            let items =
                store::inbox(conn, &filter)?.into_iter().map(|r| view(conn, r)).collect::<AppResult<_>>()?;
            let total = store::inbox_count(conn, &filter)?;
            let mut by_status = Vec::new();
            for s in PreauthStatus::ALL.iter().copied() {
                let f = store::InboxFilter { status: Some(s), ..filter.clone() };
                by_status.push((s, store::inbox_count(conn, &f)?));
            }
            Ok(Inbox { items, total, by_status })
        })
        .await
}

/// The Persian description of a code in the tariff in force today (the RVU book's text, the
/// visit's, the drug's name and form, the device's name), if the tariff knows it.
pub fn code_description(state: &ServiceContext, item_type: &str, code: &str) -> Option<String> {
    let book = state.tariffs();
    let t = book.for_date(state.now().date())?;
    match ItemType::parse(item_type)? {
        ItemType::Service => t.services.get(code).map(|s| s.description_fa.clone()),
        ItemType::Visit => t.visits.get(code).map(|v| v.description_fa.clone()),
        ItemType::Drug => t.drug(code).map(|d| format!("{} — {}", d.name, d.form)),
        ItemType::Device => t.devices.get(code).map(|d| d.name_fa.clone()),
        ItemType::BedDay => None,
    }
}
