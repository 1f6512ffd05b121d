//! Paying providers: the advance on a monthly list, the monthly settlement (تسویه) netting
//! approved payable against advances and corrections, the remittance advice, payment orders to
//! the bank, deadlines and the reconciliation check. A settlement is never edited: a later change
//! to a settled claim (an objection, a review, an R92 extrapolation) is an adjustment entry of
//! the provider's next settlement.

use crate::domain::record_ids::{
    AdvanceId, ClaimId, OfficeId, PaymentOrderId, ProviderId, ReimbursementId, SettlementId,
};
use chrono::{Duration, NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;

use crate::auth::{Caller, Record, Scope};
use crate::context::ServiceContext;
use crate::db::AnyConnection;
use crate::domain::contract::ContractTerms;
use crate::domain::jalali::JalaliDate;
use crate::domain::lifecycle::payment::{AdvanceStatus, OrderStatus, SettlementStatus};
use crate::domain::lifecycle::reimbursement::ReimbursementStatus;
use crate::domain::money::Rial;
use crate::domain::settlement::{
    advance_amount, claimed_from_organization, days_late, late_damages, net_payable,
};
use crate::error::{AppError, AppResult};
use crate::services::claims::{view as claim_view, ClaimView};
use crate::services::providers::check_filters;
use crate::store::audit::{self, Actor};
use crate::store::batches::BatchRow;
use crate::store::reimbursements as reimbursement_store;
use crate::store::settlements::{
    self as store, AdvanceRow, ItemRow, OrderRow, SettlementFilter, SettlementRow,
};
use crate::store::{outbox, providers};

fn terms(conn: &mut AnyConnection, provider_id: &ProviderId, date: NaiveDate) -> AppResult<ContractTerms> {
    Ok(crate::services::providers::terms_on(conn, provider_id, date)?
        .and_then(|t| t.terms)
        .unwrap_or_default())
}

fn jalali_month(d: NaiveDate) -> String {
    let j = JalaliDate::from_gregorian(d);
    format!("{:04}-{:02}", j.year(), j.month())
}

/// The deductions of a claim that the insured bears (group PR, e.g. R20).
fn insured_deductions(conn: &mut AnyConnection, claim_id: &ClaimId) -> AppResult<Rial> {
    let mut total = 0i64;
    for line in crate::store::claims::lines(conn, claim_id)? {
        for (code, amount, _) in crate::services::claims::parse_reasons(&line.reasons)? {
            let pr = crate::domain::reasons::Reason::parse(&code)
                .is_some_and(|r| r.group() == crate::domain::reasons::Group::InsuredResponsibility);
            if pr {
                total += amount.0;
            }
        }
    }
    Ok(Rial(total))
}

/// When a monthly list has been read: the advance due on it, the contract's percent of what the
/// provider claims from the Organization for the documents the list created (billed less the
/// franchise, gap and patient-responsibility deductions the patient pays; resent documents belong to an earlier list), for the
/// month of their earliest service date, under the contract in force then, due the contract's
/// days after receipt. Nothing without a contract or without a created document.
pub fn advance_for_list(
    conn: &mut AnyConnection,
    batch: &BatchRow,
    now: NaiveDateTime,
) -> AppResult<Option<AdvanceRow>> {
    let claims = crate::store::batches::created_claims(conn, &batch.id)?;
    let Some(first) = claims.iter().map(|c| c.first_service_date).min() else { return Ok(None) };
    let mut claimed = 0i64;
    for c in &claims {
        let insured_deductions = insured_deductions(conn, &c.id)?;
        claimed += claimed_from_organization(
            Rial(c.billed),
            Rial(c.patient_share),
            Rial(c.patient_gap),
            insured_deductions,
        )
        .0;
    }
    let Some(provider) = providers::find_provider(conn, &batch.provider_id)? else { return Ok(None) };
    let Some(t) = crate::services::providers::terms_on(conn, &provider.id, first)?.and_then(|t| t.terms)
    else {
        return Ok(None);
    };
    let received_on = batch.received_on.unwrap_or(batch.created_at.date());
    let row = AdvanceRow {
        id: AdvanceId::new(),
        provider_id: provider.id,
        office_id: provider.office_id,
        service_month: jalali_month(first),
        batch_id: batch.id.clone(),
        claimed,
        percent: t.advance_percent.normalize().to_string(),
        amount: advance_amount(Rial(claimed), t.advance_percent).0,
        due_on: received_on + Duration::days(t.advance_days as i64),
        status: AdvanceStatus::Due,
        paid_on: None,
        bank_reference: None,
        paid_recorded_by: None,
        settlement_id: None,
        created_at: now,
    };
    store::insert_advance(conn, &row)?;
    audit::append(conn, &Actor::system(), "advance", &row.id, "due", None, audit::json(&row))?;
    Ok(Some(row))
}

/// Money owed to providers is seen by the provider, its office's staff, finance and admins
/// (`Caller::scope_for`).
fn money_scope(caller: &Caller) -> Scope {
    caller.scope_for(Record::Settlement)
}

pub async fn advances(state: &ServiceContext, caller: Caller) -> AppResult<Vec<AdvanceRow>> {
    let scope = money_scope(&caller);
    state.db(move |conn| Ok(store::list_advances(conn, &scope)?)).await
}

/// Finance records an advance as paid (once).
pub async fn pay_advance(
    state: &ServiceContext,
    caller: Caller,
    id: AdvanceId,
    paid_on: NaiveDate,
    reference: String,
) -> AppResult<AdvanceRow> {
    state
        .write(move |conn| {
            let a = store::find_advance_in(conn, &money_scope(&caller), &id)?
                .ok_or_else(|| AppError::not_found("no such advance"))?;
            if !store::pay_advance(conn, &a.id, paid_on, &reference, &caller.user_id)? {
                return Err(AppError::conflict("already_paid", "the advance is already recorded as paid"));
            }
            let after =
                json!({"status": AdvanceStatus::Paid, "paid_on": paid_on, "bank_reference": reference});
            audit::append(conn, &Actor::of(&caller), "advance", &a.id, "paid", audit::json(&a), Some(after))?;
            store::find_advance(conn, &a.id)?.ok_or_else(|| AppError::not_found("no such advance"))
        })
        .await
}

/// The outcome of a settlement run.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = SettlementRun)]
pub struct RunOutcome {
    pub office_id: OfficeId,
    /// Jalali month, `1403-07`.
    pub service_month: String,
    /// The settlements created, one per provider with something to settle.
    pub created: Vec<SettlementRow>,
    /// Providers already settled for the month (a second run is refused for them).
    pub already_settled: Vec<ProviderId>,
}

/// Settles every provider of the office for the month: once per provider and month.
pub async fn run(
    state: &ServiceContext,
    caller: Caller,
    office_id: OfficeId,
    month: String,
) -> AppResult<RunOutcome> {
    let now = state.now();
    state
        .write(move |conn| {
            office_in_scope(conn, &caller, &office_id)?;
            let out = settle_office(conn, &caller, &office_id, &month, now)?;
            refuse_second_run(out.created.len(), out.already_settled.len(), "office", &month)?;
            Ok(out)
        })
        .await
}

/// The run's office exists and is the caller's to settle: finance bound to an office settles
/// only that office (another office is "not found", as for every read in its scope).
fn office_in_scope(conn: &mut AnyConnection, caller: &Caller, office_id: &OfficeId) -> AppResult<()> {
    let office = crate::store::offices::find(conn, office_id)?
        .ok_or_else(|| AppError::field("office_id", "not_found", "no such office"))?;
    if !money_scope(caller).admits_office(&office.id, office.province_id) {
        return Err(AppError::field("office_id", "not_found", "no such office"));
    }
    Ok(())
}

/// A province's run: every office of the province, in one transaction.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ProvinceSettlementRun)]
pub struct ProvinceOutcome {
    pub province_id: i32,
    /// Jalali month, `1403-07`.
    pub service_month: String,
    /// Each office's run.
    pub offices: Vec<RunOutcome>,
}

/// The offices of a province the caller may settle as one run: only a caller whose reach is
/// the whole province (or the Organization) runs a province; finance bound to one office
/// would otherwise settle its neighbours.
fn province_offices(
    conn: &mut AnyConnection,
    caller: &Caller,
    province_id: i32,
) -> AppResult<Vec<crate::store::offices::OfficeRow>> {
    let filter = crate::store::offices::OfficeFilter {
        province_id: Some(province_id),
        limit: 10_000,
        ..Default::default()
    };
    let offices = crate::store::offices::list(conn, &filter)?;
    let scope = money_scope(caller);
    let whole = matches!(scope, Scope::All) || scope == Scope::Province(province_id);
    if offices.is_empty() || !whole {
        return Err(AppError::field("province_id", "not_found", "the province has no office"));
    }
    Ok(offices)
}

/// Settles every provider of every office of a province (its treatment management) for the
/// month, in one transaction: all or nothing.
pub async fn run_province(
    state: &ServiceContext,
    caller: Caller,
    province_id: i32,
    month: String,
) -> AppResult<ProvinceOutcome> {
    let now = state.now();
    state
        .write(move |conn| {
            let offices = province_offices(conn, &caller, province_id)?;
            let mut out = ProvinceOutcome { province_id, service_month: month.clone(), offices: vec![] };
            for o in offices {
                out.offices.push(settle_office(conn, &caller, &o.id, &month, now)?);
            }
            let created = out.offices.iter().map(|o| o.created.len()).sum::<usize>();
            let settled = out.offices.iter().map(|o| o.already_settled.len()).sum::<usize>();
            refuse_second_run(created, settled, "province", &month)?;
            Ok(out)
        })
        .await
}

/// A run that created nothing because everyone was already settled is a second run: 409.
fn refuse_second_run(created: usize, already_settled: usize, whose: &str, month: &str) -> AppResult<()> {
    if created == 0 && already_settled > 0 {
        return Err(AppError::conflict(
            "already_settled",
            format!("the {whose}'s providers are already settled for {month}"),
        ));
    }
    Ok(())
}

/// What a run would settle for one provider (پیش‌نمایش تسویه): exactly the amounts the run
/// stores, computed by the same [`plan_office`].
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = SettlementPreviewLine)]
pub struct PlannedSettlement {
    pub provider_id: ProviderId,
    pub provider_name: String,
    /// Claims settled for the first time.
    pub claims: usize,
    /// Claims settled before whose payable changed since (corrections).
    pub corrected_claims: usize,
    pub claims_payable: i64,
    pub adjustments: i64,
    pub advances_netted: i64,
    /// Negative balances of earlier settlements netted here.
    pub carried_in: i64,
    /// Rials: what the settlement will pay (negative: carried to the next one).
    pub net_payable: i64,
    pub due_on: NaiveDate,
    #[schema(value_type = crate::domain::lifecycle::payment::SettlementStatus)]
    pub status: SettlementStatus,
}

/// One provider's settlement as computed, with what storing it touches.
struct Plan {
    line: PlannedSettlement,
    /// (claim, `claim` or `adjustment`, amount).
    items: Vec<(ClaimId, &'static str, i64)>,
    advances: Vec<AdvanceId>,
    carried: Vec<SettlementId>,
    late_payment_rate: Option<String>,
}

/// Inside the caller's transaction, reading only: one plan per provider of the office not yet
/// settled for the month and with something to settle, and the providers already settled.
/// Both the run and its preview go through here, so the preview is what the run stores.
fn plan_office(
    conn: &mut AnyConnection,
    office_id: &OfficeId,
    month: &str,
    today: NaiveDate,
) -> AppResult<(Vec<Plan>, Vec<ProviderId>)> {
    let filter = providers::ProviderFilter {
        // System work over the office's providers: whether the caller may run it was decided
        // before (the run's office is in the caller's scope).
        scope: Scope::All,
        office_id: Some(office_id.clone()),
        limit: 100_000,
        ..Default::default()
    };
    let (mut plans, mut already_settled) = (Vec::new(), Vec::new());
    for p in providers::list_providers(conn, &filter)? {
        if store::settlement_of(conn, &p.id, month)?.is_some() {
            already_settled.push(p.id);
            continue;
        }
        let mut items = Vec::new();
        let (mut claims_payable, mut adjustments, mut claims, mut corrected) = (0i64, 0i64, 0usize, 0usize);
        for (c, paid) in store::claims_to_settle(conn, &p.id, month)? {
            match paid {
                None => {
                    claims_payable += c.insurer_payable;
                    claims += 1;
                    items.push((c.id, "claim", c.insurer_payable));
                }
                Some(paid) if paid != c.insurer_payable => {
                    let diff = c.insurer_payable - paid;
                    adjustments += diff;
                    corrected += 1;
                    items.push((c.id, "adjustment", diff));
                }
                Some(_) => {}
            }
        }
        let advances = store::advances_to_net(conn, &p.id, month)?;
        let advanced: i64 = advances.iter().map(|a| a.amount).sum();
        if items.is_empty() && advances.is_empty() {
            continue;
        }
        let carried = store::open_carried(conn, &p.id)?;
        let carried_in: i64 = carried.iter().map(|c| c.net_payable).sum();
        let net = net_payable(Rial(claims_payable), Rial(adjustments), Rial(advanced), Rial(carried_in));
        let t = terms(conn, &p.id, today)?;
        plans.push(Plan {
            line: PlannedSettlement {
                provider_id: p.id.clone(),
                provider_name: p.name_fa.clone(),
                claims,
                corrected_claims: corrected,
                claims_payable,
                adjustments,
                advances_netted: advanced,
                carried_in,
                net_payable: net.0,
                due_on: today + Duration::days(t.balance_payment_days as i64),
                status: SettlementStatus::for_net(net),
            },
            items,
            advances: advances.into_iter().map(|a| a.id).collect(),
            carried: carried.into_iter().map(|c| c.id).collect(),
            late_payment_rate: t.late_payment_rate_percent.map(|r| r.normalize().to_string()),
        });
    }
    Ok((plans, already_settled))
}

/// Inside the caller's transaction: one settlement per provider of the office not yet settled
/// for the month and with something to settle.
fn settle_office(
    conn: &mut AnyConnection,
    caller: &Caller,
    office_id: &OfficeId,
    month: &str,
    now: NaiveDateTime,
) -> AppResult<RunOutcome> {
    let (plans, already_settled) = plan_office(conn, office_id, month, now.date())?;
    let mut out = RunOutcome {
        office_id: office_id.clone(),
        service_month: month.to_string(),
        created: vec![],
        already_settled,
    };
    for plan in plans {
        let id = SettlementId::new();
        let l = plan.line;
        let items: Vec<ItemRow> = plan
            .items
            .into_iter()
            .map(|(claim_id, kind, amount)| ItemRow {
                settlement_id: id.clone(),
                claim_id,
                kind: kind.into(),
                amount,
                provider_id: l.provider_id.clone(),
            })
            .collect();
        let row = SettlementRow {
            id: id.clone(),
            provider_id: l.provider_id,
            office_id: office_id.clone(),
            service_month: month.to_string(),
            claims_payable: l.claims_payable,
            adjustments: l.adjustments,
            advances_netted: l.advances_netted,
            net_payable: l.net_payable,
            due_on: l.due_on,
            late_payment_rate: plan.late_payment_rate,
            status: l.status,
            payment_order_id: None,
            paid_on: None,
            bank_reference: None,
            created_by: caller.user_id.clone(),
            created_at: now,
            carried_in: l.carried_in,
            carried_to: None,
        };
        store::insert_settlement(conn, &row, &items)?;
        store::mark_netted(conn, &plan.advances, &id)?;
        store::mark_carried_to(conn, &plan.carried, &id)?;
        audit::append(conn, &Actor::of(caller), "settlement", &id, "created", None, audit::json(&row))?;
        out.created.push(row);
    }
    Ok(out)
}

/// The preview of a run (پیش‌نمایش اجرای تسویه): for each office, what running now would store
/// per provider, and who is already settled. Nothing is written.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = SettlementRunPreview)]
pub struct RunPreview {
    /// The province previewed, for a province's run.
    pub province_id: Option<i32>,
    /// Jalali month, `1403-07`.
    pub service_month: String,
    pub offices: Vec<OfficePreview>,
    /// The sum of the nets, rials.
    pub net_payable: i64,
}

/// One office's part of a preview.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = SettlementRunPreviewOffice)]
pub struct OfficePreview {
    pub office_id: OfficeId,
    pub office_name: String,
    pub providers: Vec<PlannedSettlement>,
    pub already_settled: Vec<ProviderId>,
}

fn office_preview(
    conn: &mut AnyConnection,
    office: &crate::store::offices::OfficeRow,
    month: &str,
    today: NaiveDate,
) -> AppResult<OfficePreview> {
    let (plans, already_settled) = plan_office(conn, &office.id, month, today)?;
    Ok(OfficePreview {
        office_id: office.id.clone(),
        office_name: office.name_fa.clone(),
        providers: plans.into_iter().map(|p| p.line).collect(),
        already_settled,
    })
}

/// What [`run`] (an office) or [`run_province`] (a province) would store if run now, with the
/// same scope checks; read-only.
pub async fn preview(
    state: &ServiceContext,
    caller: Caller,
    office_id: Option<OfficeId>,
    province_id: Option<i32>,
    month: String,
) -> AppResult<RunPreview> {
    let today = state.today();
    state
        .db(move |conn| {
            let offices = match (office_id, province_id) {
                (Some(o), None) => {
                    office_in_scope(conn, &caller, &o)?;
                    crate::store::offices::find(conn, &o)?.into_iter().collect()
                }
                (None, Some(p)) => province_offices(conn, &caller, p)?,
                _ => {
                    return Err(AppError::field(
                        "office_id",
                        "one_of",
                        "give either office_id or province_id",
                    ))
                }
            };
            let offices = offices
                .iter()
                .map(|o| office_preview(conn, o, &month, today))
                .collect::<AppResult<Vec<_>>>()?;
            let net = offices.iter().flat_map(|o| &o.providers).map(|p| p.net_payable).sum();
            Ok(RunPreview { province_id, service_month: month, offices, net_payable: net })
        })
        .await
}

/// A settlement as listed: with its lateness and the damages accrued.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Settlement)]
pub struct SettlementView {
    #[serde(flatten)]
    pub row: SettlementRow,
    /// The due date in the Jalali calendar, `1403-07-15`.
    #[schema(pattern = "^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub due_on_jalali: String,
    /// Days past the due date while the Organization still owes it (else 0).
    pub days_late: i64,
    /// Late-payment damages accrued, rials.
    pub damages: i64,
}

fn settlement_view(row: SettlementRow, today: NaiveDate) -> SettlementView {
    // Only what is owed to the provider can be late.
    let owed = row.status.is_owed();
    let late = if owed { days_late(row.due_on, today) } else { 0 };
    let rate: Decimal = row.late_payment_rate.as_deref().and_then(|r| r.parse().ok()).unwrap_or_default();
    SettlementView {
        due_on_jalali: JalaliDate::from_gregorian(row.due_on).to_string(),
        days_late: late,
        damages: late_damages(Rial(row.net_payable), rate, late).0,
        row,
    }
}

pub async fn list(
    state: &ServiceContext,
    caller: Caller,
    mut f: SettlementFilter,
    overdue: bool,
) -> AppResult<Vec<SettlementView>> {
    let today = state.today();
    if overdue {
        f.due_before = Some(today);
    }
    state
        .db(move |conn| {
            check_filters(conn, &caller, f.office_id.as_ref(), f.provider_id.as_ref())?;
            f.scope = money_scope(&caller);
            Ok(store::list_settlements(conn, &f)?.into_iter().map(|s| settlement_view(s, today)).collect())
        })
        .await
}

fn load(conn: &mut AnyConnection, caller: &Caller, id: &SettlementId) -> AppResult<SettlementRow> {
    store::find_settlement_in(conn, &money_scope(caller), id)?
        .ok_or_else(|| AppError::not_found("no such settlement"))
}

/// The remittance advice: the settlement and, claim by claim, what was paid and why.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Remittance {
    pub settlement: SettlementView,
    pub provider_name: String,
    pub items: Vec<RemittanceItem>,
}

/// A claim the settlement pays: its payable (`claim`) or a change since an earlier settlement
/// (`adjustment`).
#[derive(Serialize, utoipa::ToSchema)]
pub struct RemittanceItem {
    #[schema(pattern = "^(claim|adjustment)$")]
    pub kind: String,
    /// Rials.
    pub amount: i64,
    pub claim: ClaimView,
}

pub async fn remittance(state: &ServiceContext, caller: Caller, id: SettlementId) -> AppResult<Remittance> {
    let today = state.today();
    state
        .db(move |conn| {
            let s = load(conn, &caller, &id)?;
            let provider_name =
                providers::find_provider(conn, &s.provider_id)?.map(|p| p.name_fa).unwrap_or_default();
            let items = store::items_of(conn, &s.id)?
                .into_iter()
                .map(|(i, c)| {
                    Ok(RemittanceItem { kind: i.kind, amount: i.amount, claim: claim_view(conn, c)? })
                })
                .collect::<AppResult<Vec<_>>>()?;
            Ok(Remittance { settlement: settlement_view(s, today), provider_name, items })
        })
        .await
}

/// The remittance as CSV: one row per claim line (the adjustments of a claim on its first row).
pub fn remittance_csv(r: &Remittance) -> AppResult<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "settlement_id",
        "provider_document_no",
        "claim_id",
        "item",
        "item_amount",
        "line_no",
        "code",
        "service_date",
        "billed",
        "tariff_amount",
        "insurer_payable",
        "patient_share",
        "patient_gap",
        "deducted",
        "reasons",
    ])
    .map_err(AppError::internal)?;
    for it in &r.items {
        for (i, l) in it.claim.lines.iter().enumerate() {
            let reasons: Vec<String> = l
                .reasons
                .iter()
                .map(|x| format!("{} {} {} {}", x.code, x.group.code(), x.amount, x.message_fa))
                .collect();
            w.write_record([
                r.settlement.row.id.to_string(),
                it.claim.provider_document_no.clone(),
                it.claim.id.to_string(),
                it.kind.clone(),
                if i == 0 { it.amount.to_string() } else { String::new() },
                l.line_no.to_string(),
                l.code.clone(),
                l.service_date_jalali.clone(),
                l.billed.to_string(),
                l.tariff_amount.to_string(),
                l.insurer_payable.to_string(),
                l.patient_share.to_string(),
                l.patient_gap.to_string(),
                l.deducted.to_string(),
                reasons.join("; "),
            ])
            .map_err(AppError::internal)?;
        }
    }
    String::from_utf8(w.into_inner().map_err(AppError::internal)?).map_err(AppError::internal)
}

/// One payee of a payment order: a provider's settlement or an insured person's
/// reimbursement.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = PaymentOrderLine)]
pub struct OrderLine {
    /// `settlement` or `reimbursement`.
    #[schema(pattern = "^(settlement|reimbursement)$")]
    pub kind: &'static str,
    pub id: String,
    pub sheba: String,
    pub name: String,
    pub amount: i64,
    /// What the bank shows the payee: `settlement:<id>` or `reimbursement:<id>`.
    pub reference: String,
}

fn order_lines(conn: &mut AnyConnection, order_id: &PaymentOrderId) -> AppResult<Vec<OrderLine>> {
    let mut lines = Vec::new();
    for s in store::order_items(conn, order_id)? {
        let p = providers::find_provider(conn, &s.provider_id)?;
        let (sheba, name) = p.map(|p| (p.sheba.unwrap_or_default(), p.name_fa)).unwrap_or_default();
        lines.push(OrderLine {
            kind: "settlement",
            reference: format!("settlement:{}", s.id),
            amount: s.net_payable,
            id: s.id.to_string(),
            sheba,
            name,
        });
    }
    for r in reimbursement_store::of_order(conn, order_id)? {
        lines.push(OrderLine {
            kind: "reimbursement",
            reference: format!("reimbursement:{}", r.id),
            amount: r.reimbursed,
            id: r.id.to_string(),
            sheba: r.sheba,
            name: r.account_holder,
        });
    }
    Ok(lines)
}

/// Finance issues a payment order with every approved settlement and every decided
/// reimbursement not yet in one. Each is taken by a conditional update, so nothing is ever in
/// two orders (paid twice).
pub async fn issue_order(state: &ServiceContext, caller: Caller) -> AppResult<(OrderRow, Vec<OrderLine>)> {
    let now = state.now();
    state
        .write(move |conn| {
            let due = store::payable_settlements(conn)?;
            let refunds = reimbursement_store::payable(conn)?;
            if due.is_empty() && refunds.is_empty() {
                return Err(AppError::conflict(
                    "nothing_to_pay",
                    "no approved settlement or reimbursement waits for payment",
                ));
            }
            let order = OrderRow {
                id: PaymentOrderId::new(),
                total: due.iter().map(|s| s.net_payable).sum::<i64>()
                    + refunds.iter().map(|r| r.reimbursed).sum::<i64>(),
                items: (due.len() + refunds.len()) as i32,
                status: OrderStatus::Issued,
                bank_reference: None,
                paid_on: None,
                created_by: caller.user_id.clone(),
                created_at: now,
            };
            store::insert_order(conn, &order)?;
            let ids: Vec<SettlementId> = due.iter().map(|s| s.id.clone()).collect();
            let refund_ids: Vec<ReimbursementId> = refunds.iter().map(|r| r.id.clone()).collect();
            if store::order_settlements(conn, &ids, &order.id)? != ids.len()
                || reimbursement_store::order(conn, &refund_ids, &order.id)? != refund_ids.len()
            {
                return Err(AppError::conflict(
                    "concurrent_order",
                    "another payment order took some items; try again",
                ));
            }
            let actor = Actor::of(&caller);
            audit::append(conn, &actor, "payment_order", &order.id, "issued", None, audit::json(&order))?;
            for id in &refund_ids {
                audit::append(
                    conn,
                    &actor,
                    "reimbursement",
                    id,
                    "ordered",
                    None,
                    Some(json!({"status": ReimbursementStatus::Ordered, "payment_order_id": order.id})),
                )?;
            }
            let lines = order_lines(conn, &order.id)?;
            Ok((order, lines))
        })
        .await
}

pub async fn get_order(state: &ServiceContext, id: PaymentOrderId) -> AppResult<(OrderRow, Vec<OrderLine>)> {
    state
        .db(move |conn| {
            let o =
                store::find_order(conn, &id)?.ok_or_else(|| AppError::not_found("no such payment order"))?;
            let lines = order_lines(conn, &o.id)?;
            Ok((o, lines))
        })
        .await
}

/// Payment orders, newest first (at most 500). Orders are Organization-wide, like issuing
/// them (an order pays every approved settlement): finance only, as `get_order`.
pub async fn list_orders(state: &ServiceContext) -> AppResult<Vec<OrderRow>> {
    state.db(|conn| Ok(store::list_orders(conn)?)).await
}

/// The order file for the bank: Sheba, name, amount in rials, reference.
pub fn order_csv(lines: &[OrderLine]) -> AppResult<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["sheba", "name", "amount_rials", "reference"]).map_err(AppError::internal)?;
    for l in lines {
        w.write_record([l.sheba.as_str(), l.name.as_str(), &l.amount.to_string(), l.reference.as_str()])
            .map_err(AppError::internal)?;
    }
    String::from_utf8(w.into_inner().map_err(AppError::internal)?).map_err(AppError::internal)
}

/// Records the bank's payment of an order, once: its settlements are paid.
pub async fn pay_order(
    state: &ServiceContext,
    caller: Caller,
    id: PaymentOrderId,
    reference: String,
    paid_on: NaiveDate,
) -> AppResult<OrderRow> {
    state
        .write(move |conn| {
            let o = store::find_order(conn, &id)?
                .ok_or_else(|| AppError::not_found("no such payment order"))?;
            if !store::pay_order(conn, &o.id, &reference, paid_on)? {
                return Err(AppError::conflict("already_paid", "the payment order is already paid"));
            }
            crate::services::reports::count_payments(conn, &o.id, paid_on)?;
            for r in reimbursement_store::of_order(conn, &o.id)? {
                audit::append(
                    conn,
                    &Actor::of(&caller),
                    "reimbursement",
                    &r.id,
                    "paid",
                    Some(json!({"status": r.status})),
                    Some(json!({"status": ReimbursementStatus::Paid, "bank_reference": reference, "paid_on": paid_on})),
                )?;
                // The insured person hears that the money is on its way, as at the decision.
                outbox::enqueue(
                    conn,
                    "reimbursement_paid",
                    "insured",
                    &r.main_insured_id,
                    &r.id,
                    json!({"reimbursement_id": r.id, "reimbursed": r.reimbursed, "sheba": r.sheba, "bank_reference": reference, "paid_on": paid_on}),
                )?;
            }
            reimbursement_store::pay_order(conn, &o.id)?;
            audit::append(
                conn,
                &Actor::of(&caller),
                "payment_order",
                &o.id,
                "paid",
                None,
                Some(json!({"bank_reference": reference, "paid_on": paid_on})),
            )?;
            store::find_order(conn, &o.id)?.ok_or_else(|| AppError::not_found("no such payment order"))
        })
        .await
}

/// For an office's month: the payable over its claims equals what settlements paid for them
/// plus what is still unsettled.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Reconciliation {
    pub office_id: OfficeId,
    pub service_month: String,
    /// How many claims the office has for the month.
    pub claims: usize,
    pub claims_payable: i64,
    pub settled: i64,
    pub unsettled: i64,
    pub ok: bool,
}

pub async fn reconcile(
    state: &ServiceContext,
    caller: Caller,
    office_id: OfficeId,
    month: String,
) -> AppResult<Reconciliation> {
    state
        .db(move |conn| {
            check_filters(conn, &caller, Some(&office_id), None)?;
            let claims = store::month_claims(conn, &office_id, &month)?;
            let settled_per = store::settled_so_far(conn, claims.iter().map(|c| &c.id).collect())?;
            let settled: i64 = settled_per.values().sum();
            let payable: i64 = claims.iter().map(|c| c.insurer_payable).sum();
            // Unsettled, counted claim by claim: never settled (all of it), or changed since.
            let unsettled: i64 = claims
                .iter()
                .map(|c| match settled_per.get(&c.id) {
                    None => c.insurer_payable,
                    Some(paid) => c.insurer_payable - paid,
                })
                .sum();
            Ok(Reconciliation {
                ok: payable == settled + unsettled,
                office_id,
                service_month: month,
                claims: claims.len(),
                claims_payable: payable,
                settled,
                unsettled,
            })
        })
        .await
}
