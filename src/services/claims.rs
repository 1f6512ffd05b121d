//! Claim intake and reading: a provider's document is adjudicated and stored in one
//! transaction, or not at all; resending the same document number returns the first answer.

use crate::domain::adjudication::rules_giving;
use crate::domain::record_ids::{BatchId, ClaimId, InsuredId, OfficeId, PreauthId, ProviderId};
use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::auth::{Caller, Record, Role, Scope};
use crate::context::ServiceContext;
use crate::db::AnyConnection;
use crate::domain::adjudication::{
    adjudicate, may_need_preauthorization, Adjudication, Claim, Context, ContractFacts, HistoryLine,
    LineResult, ProviderFacts,
};
use crate::domain::eligibility::{DependantRules, Person};
use crate::domain::jalali::JalaliDate;
use crate::domain::money::Rial;
use crate::domain::pricing::ItemType;
use crate::domain::provider::ProviderKind;
use crate::domain::reasons::Reason;
use crate::domain::tariff::{Sector, TariffBook};
use crate::error::{AppError, AppResult};
use crate::store::audit::{self, Actor};
use crate::store::claims::{self as store, ClaimFilter, ClaimRow, LineRow};
use crate::store::insured;

/// The document as received, after validation.
#[derive(Clone, Debug)]
pub struct Submission {
    pub provider_document_no: String,
    pub insured_national_code: String,
    pub prescription_tracking_code: Option<String>,
    pub diagnoses: Vec<String>,
    pub work_accident: Option<WorkAccident>,
    pub claim: Claim,
}

/// A work accident (حادثه ناشی از کار): the cost is recovered from the employer.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct WorkAccident {
    /// The accident report's number.
    pub report_no: String,
    /// The employer's code (کد کارگاه).
    pub employer_code: String,
    pub employer_name: Option<String>,
}

/// 201 for a new claim, 200 for a resend.
pub struct Submitted {
    pub created: bool,
    pub view: ClaimView,
}

/// What the engine needs about a claim's provider, insured person and history. It is read
/// before the write transaction so that SQLite's single writer is not held for reads; what
/// other claims can change meanwhile (the insured's history, the provider's month total) is
/// checked again inside the transaction (see `submit_for`).
struct Loaded {
    claim: Claim,
    facts: ProviderFacts,
    office_id: OfficeId,
    contract: Option<ContractFacts>,
    insured_id: Option<InsuredId>,
    person: Option<Person>,
    main: Option<Person>,
    history: Vec<HistoryLine>,
    history_stamp: store::HistoryStamp,
    /// The insured's decided pre-authorizations, with what is left of each; read only when
    /// `needs_preauths`.
    preauths: Vec<crate::domain::adjudication::PreAuthorization>,
    needs_preauths: bool,
    auto_approve_limit: Option<Rial>,
    service_month: String,
    first: NaiveDate,
    last: NaiveDate,
}

/// Two years back and ahead covers the longest minimum interval in the tariff (730 days).
const HISTORY_WINDOW_DAYS: i64 = 731;

fn load_context(
    conn: &mut AnyConnection,
    provider: &crate::services::provider_facts::Facts,
    book: &TariffBook,
    sub: &Submission,
) -> AppResult<Loaded> {
    let claim = sub.claim.clone();
    let first = claim.lines.iter().map(|l| l.service_date).min().unwrap_or(claim.submitted_on);
    let last = claim.lines.iter().map(|l| l.service_date).max().unwrap_or(claim.submitted_on);
    let month = JalaliDate::from_gregorian(first);
    let service_month = format!("{:04}-{:02}", month.year(), month.month());

    let row = &provider.provider;
    let facts = ProviderFacts {
        id: row.id.clone(),
        kind: ProviderKind::parse(&row.kind).unwrap_or(ProviderKind::Clinic),
        sector: Sector::parse(&row.sector).unwrap_or(Sector::Private),
        hospital_grade: row.hospital_grade.map(|g| g as u8),
        sso_owned: row.sso_owned,
    };
    let contract = provider.contract_covering(first).cloned();
    let insured_row = insured::find_by_code(conn, &sub.insured_national_code)?;
    let (person, main) = match &insured_row {
        None => (None, None),
        Some(r) => {
            let (p, m) = crate::services::insured::person_and_main(conn, r)?;
            (Some(p), m)
        }
    };
    let insured_id = insured_row.map(|r| r.id);
    let needs_preauths = may_need_preauthorization(&claim, book, contract.as_ref());
    let (history, history_stamp, preauths) = match &insured_id {
        None => (Vec::new(), store::HistoryStamp::default(), Vec::new()),
        Some(id) => (
            load_history(conn, id, first, last)?,
            store::history_stamp(conn, id)?,
            if needs_preauths { crate::services::preauth::for_engine(conn, id)? } else { Vec::new() },
        ),
    };
    Ok(Loaded {
        claim,
        facts,
        office_id: row.office_id.clone(),
        contract,
        insured_id,
        person,
        main,
        history,
        history_stamp,
        preauths,
        needs_preauths,
        auto_approve_limit: provider.auto_approve_limit,
        service_month,
        first,
        last,
    })
}

/// The insured's claim lines within `HISTORY_WINDOW_DAYS` of the dates, as the engine reads
/// them (duplicates, intervals, caps); reimbursed care is priced against them too.
pub(crate) fn load_history(
    conn: &mut AnyConnection,
    insured_id: &InsuredId,
    first: NaiveDate,
    last: NaiveDate,
) -> AppResult<Vec<HistoryLine>> {
    let window = Duration::days(HISTORY_WINDOW_DAYS);
    Ok(store::history(conn, insured_id, first - window, last + window)?
        .into_iter()
        .map(|(l, provider_id, physician)| HistoryLine {
            provider_id,
            item_type: ItemType::parse(&l.item_type).unwrap_or(ItemType::Service),
            code: l.code,
            service_date: l.service_date,
            quantity: l.approved_quantity.parse().unwrap_or(Decimal::ZERO),
            physician_council_no: l.physician_council_no.or(physician),
        })
        .collect())
}

/// Inside the write transaction: brings the history up to date if another claim of the same
/// insured person was stored since it was read, reads the provider's month total, and runs the
/// engine. The engine is pure and takes microseconds, so it always runs here, on the data the
/// transaction sees.
fn decide(
    conn: &mut AnyConnection,
    book: &TariffBook,
    rules: &DependantRules,
    loaded: &mut Loaded,
    ceiling: bool,
) -> AppResult<Adjudication> {
    if let Some(id) = &loaded.insured_id {
        let stamp = store::history_stamp(conn, id)?;
        if stamp != loaded.history_stamp {
            // Another claim of the insured was stored: its lines may also have used a
            // pre-authorization's quantity.
            loaded.history = load_history(conn, id, loaded.first, loaded.last)?;
            if loaded.needs_preauths {
                loaded.preauths = crate::services::preauth::for_engine(conn, id)?;
            }
            loaded.history_stamp = stamp;
        }
    }
    let month_payable =
        if ceiling { store::month_payable(conn, &loaded.facts.id, &loaded.service_month)? } else { 0 };
    let ctx = Context {
        tariffs: book,
        insured: loaded.person.as_ref(),
        main_insured: loaded.main.as_ref(),
        dependant_rules: rules,
        provider: &loaded.facts,
        contract: loaded.contract.as_ref(),
        history: &loaded.history,
        preauthorizations: &loaded.preauths,
        month_payable_so_far: Rial(month_payable),
        auto_approve_limit: loaded.auto_approve_limit,
        // Documents are attached after the claim is created, so a line that needs the medical
        // record pends (R15) until a reviewer has seen it.
        has_medical_record: false,
    };
    Ok(adjudicate(&loaded.claim, &ctx))
}

/// A deduction as stored in a line's `reasons` column (JSON), written here and by the
/// review office's decisions.
#[derive(Serialize)]
pub(crate) struct StoredReason<'a> {
    pub code: &'a str,
    pub amount: i64,
    pub detail: &'a str,
}

fn line_row(
    claim_id: &ClaimId,
    provider_id: &ProviderId,
    input: &crate::domain::adjudication::ClaimLine,
    r: &LineResult,
) -> AppResult<LineRow> {
    let reasons: Vec<StoredReason> = r
        .reasons
        .iter()
        .map(|d| StoredReason { code: d.reason.code(), amount: d.amount.0, detail: &d.detail })
        .collect();
    Ok(LineRow {
        claim_id: claim_id.clone(),
        line_no: input.line_no as i32,
        item_type: input.item_type.as_str().into(),
        code: input.code.clone(),
        quantity: input.quantity.normalize().to_string(),
        approved_quantity: r.approved_quantity.normalize().to_string(),
        service_date: input.service_date,
        billed: input.billed.0,
        unit_price: input.unit_price.map(|u| u.0),
        anesthesia_units: input.anesthesia_units.normalize().to_string(),
        medical_order: input.medical_order,
        physician_council_no: input.physician_council_no.clone(),
        status: r.status.into(),
        tariff_year: r.tariff_year,
        tariff_revision: r.tariff_revision,
        tariff_status: r.tariff_status.map(|s| s.as_str().to_string()),
        tariff_unit_price: r.tariff_unit_price.0,
        tariff_amount: r.tariff_amount.0,
        insurer_payable: r.insurer_payable.0,
        patient_share: r.patient_share.0,
        patient_gap: r.patient_gap.0,
        deducted: r.deducted.0,
        cost_sharing_rule: r.cost_sharing_rule.clone(),
        reasons: serde_json::to_string(&reasons).map_err(AppError::internal)?,
        pend_reasons: serde_json::to_string(&r.pend_reasons.iter().map(|p| p.code()).collect::<Vec<_>>())
            .map_err(AppError::internal)?,
        preauthorization_id: r.preauthorization_id.clone(),
        provider_id: provider_id.clone(),
    })
}

/// Receives a provider's document: idempotent on (provider, document number).
pub async fn submit(state: &ServiceContext, caller: Caller, sub: Submission) -> AppResult<Submitted> {
    let provider_id = caller
        .provider_id
        .clone()
        .filter(|_| caller.role == Role::Provider)
        .ok_or_else(|| AppError::forbidden("only a provider's users and systems send claims"))?;
    submit_for(state, provider_id, caller.username, sub, None).await
}

/// The item of a monthly list a document came from.
#[derive(Clone, Debug)]
pub struct ListItem {
    pub batch_id: BatchId,
    pub seq: i32,
}

/// Intake on behalf of a provider (the API's caller, or the user who sent a monthly list).
/// A document of a list (`item`) that creates a claim marks its item done in the claim's own
/// transaction: a list stopped at any point never holds a claim its item does not name, so on
/// resume the claim is not mistaken for a resend of an earlier list (which the advance leaves
/// out).
pub async fn submit_for(
    state: &ServiceContext,
    provider_id: ProviderId,
    username: String,
    sub: Submission,
    item: Option<ListItem>,
) -> AppResult<Submitted> {
    let book = state.tariffs();
    let rules = state.config.dependant_rules.clone();
    let clock = state.clock;
    let provider_facts = state.provider_facts.clone();
    // First, on any connection and without the write lock: a resend is answered at once, and
    // everything the engine needs is read.
    let intake = state
        .db(move |conn| {
            if let Some(existing) = store::find_by_document(conn, &provider_id, &sub.provider_document_no)? {
                return Ok(Err(Submitted { created: false, view: view(conn, existing)? }));
            }
            let provider =
                provider_facts.get(conn, &provider_id)?.filter(|f| f.provider.active).ok_or_else(|| {
                    AppError::forbidden("the caller's provider is not registered or not active")
                })?;
            let loaded = load_context(conn, &provider, &book, &sub)?;
            Ok(Ok(Intake { sub, loaded, username, book, rules, clock, item }))
        })
        .await?;
    let mut intake = match intake {
        Ok(intake) => intake,
        Err(resent) => return Ok(resent),
    };
    // Then the write. Two sends of the same document at once: the loser's insert hits the
    // unique index (PostgreSQL: after the writer's retries) and is answered with the winner's
    // claim. A conflict without such a claim (two first claims of a month creating its running
    // total) was retried by the writer.
    let provider_id = intake.loaded.facts.id.clone();
    let document_no = intake.sub.provider_document_no.clone();
    let partition = intake.sub.insured_national_code.clone();
    match state.write_retrying_in(&partition, move |conn| store_claim(conn, &mut intake)).await {
        Err(AppError::Conflict { code, detail }) => {
            let existing =
                state.db(move |conn| Ok(store::find_by_document(conn, &provider_id, &document_no)?)).await?;
            match existing {
                Some(existing) => {
                    Ok(Submitted { created: false, view: state.db(move |conn| view(conn, existing)).await? })
                }
                None => Err(AppError::Conflict { code, detail }),
            }
        }
        other => other,
    }
}

/// A document on its way in: read and checked, not yet decided or stored.
struct Intake {
    sub: Submission,
    loaded: Loaded,
    username: String,
    book: std::sync::Arc<TariffBook>,
    rules: DependantRules,
    clock: crate::clock::Clock,
    item: Option<ListItem>,
}

/// Inside the write transaction: decides the document on current data and stores it with its
/// lines and the provider's month total.
fn store_claim(conn: &mut AnyConnection, intake: &mut Intake) -> AppResult<Submitted> {
    let Intake { sub, loaded, username, book, rules, clock, item } = intake;
    // The month's running total matters to the decision only under a monthly ceiling (R19);
    // without one it is not read, so its row is not locked either (it is then one more sum
    // written at the end of the transaction).
    let ceiling = loaded
        .contract
        .as_ref()
        .is_some_and(|c| c.versions.iter().any(|v| v.terms.monthly_ceiling.is_some()));
    // A resend racing the first send: the first one to commit wins.
    if let Some(existing) = store::lock_for_decision(
        conn,
        &sub.provider_document_no,
        loaded.insured_id.as_ref(),
        &loaded.facts.id,
        &loaded.service_month,
        ceiling,
    )? {
        let existing = store::find(conn, &existing)?
            .ok_or_else(|| AppError::internal("a claim found by its document number vanished"))?;
        return Ok(Submitted { created: false, view: view(conn, existing)? });
    }
    let adj = decide(conn, book, rules, loaded, ceiling)?;
    let now = clock.now();
    let row = ClaimRow {
        id: ClaimId::new(),
        provider_id: loaded.facts.id.clone(),
        office_id: loaded.office_id.clone(),
        provider_document_no: sub.provider_document_no.clone(),
        insured_national_code: sub.insured_national_code.clone(),
        insured_id: loaded.insured_id.clone(),
        setting: sub.claim.setting.as_str().into(),
        kind: sub.claim.kind.as_str().into(),
        status: adj.status.as_str().parse()?,
        service_month: loaded.service_month.clone(),
        first_service_date: loaded.first,
        prescription_tracking_code: sub.prescription_tracking_code.clone(),
        prescribed_on: sub.claim.prescribed_on,
        physician_council_no: sub.claim.physician_council_no.clone(),
        diagnoses: serde_json::to_string(&sub.diagnoses).map_err(AppError::internal)?,
        admitted_on: sub.claim.admitted_on,
        discharged_on: sub.claim.discharged_on,
        work_accident: sub.work_accident.is_some(),
        accident_report_no: sub.work_accident.as_ref().map(|w| w.report_no.clone()),
        employer_code: sub.work_accident.as_ref().map(|w| w.employer_code.clone()),
        employer_name: sub.work_accident.as_ref().and_then(|w| w.employer_name.clone()),
        billed: adj.totals.billed.0,
        tariff: adj.totals.tariff.0,
        insurer_payable: adj.totals.insurer_payable.0,
        patient_share: adj.totals.patient_share.0,
        patient_gap: adj.totals.patient_gap.0,
        deducted: adj.totals.deducted.0,
        pend_notes: serde_json::to_string(&adj.pend_notes).map_err(AppError::internal)?,
        created_by: username.clone(),
        created_at: now,
        updated_at: now,
    };
    let lines = sub
        .claim
        .lines
        .iter()
        .zip(&adj.lines)
        .map(|(i, r)| line_row(&row.id, &row.provider_id, i, r))
        .collect::<AppResult<Vec<_>>>()?;
    store::insert(conn, &row, &lines)?;
    store::add_to_month(conn, &row.provider_id, &row.service_month, row.insurer_payable)?;
    crate::services::reports::track_new(conn, &row, &lines, now)?;
    if let Some(item) = item {
        crate::store::batches::finish_item(
            conn,
            &item.batch_id,
            item.seq,
            crate::domain::lifecycle::batch::ItemStatus::Done,
            Some(&row.id),
            201,
            None,
        )?;
    }
    let actor = Actor { id: None, name: username.clone(), role: Role::Provider.as_str().into() };
    let after = serde_json::json!({"status": row.status, "insurer_payable": row.insurer_payable, "deducted": row.deducted});
    audit::append(conn, &actor, "claim", &row.id, "submitted", None, Some(after))?;
    Ok(Submitted { created: true, view: view_of(row, lines)? })
}

/// The claim as the API shows it.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Claim)]
pub struct ClaimView {
    pub id: ClaimId,
    pub provider_id: ProviderId,
    pub office_id: OfficeId,
    pub provider_document_no: String,
    /// The insured person's national code, 10 digits.
    pub insured_national_code: String,
    #[schema(value_type = crate::domain::adjudication::Setting)]
    pub setting: String,
    #[schema(value_type = crate::domain::adjudication::ClaimKind)]
    pub kind: String,
    pub status: crate::domain::lifecycle::claim::ClaimStatus,
    /// Jalali month of the earliest service date, `1403-07`.
    #[schema(pattern = "^1[34][0-9]{2}-(0[1-9]|1[0-2])$")]
    pub service_month: String,
    /// The tariff year the lines were priced by (the first priced line's).
    pub tariff_year: Option<i32>,
    /// `sample` if any line was priced by a sample tariff, else `official`; null if no line was priced.
    #[schema(value_type = Option<crate::domain::tariff::TariffStatus>)]
    pub tariff_status: Option<String>,
    pub prescription_tracking_code: Option<String>,
    /// ICD-10 codes.
    pub diagnoses: Vec<String>,
    pub work_accident: Option<WorkAccident>,
    pub totals: TotalsView,
    /// Why the claim waits for a reviewer.
    pub pend_notes: Vec<String>,
    #[schema(format = DateTime)]
    pub submitted_at: String,
    pub lines: Vec<LineView>,
}

/// The claim's totals, rials: billed = insurer_payable + patient_share + patient_gap + deducted.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ClaimTotals)]
pub struct TotalsView {
    pub billed: i64,
    pub tariff: i64,
    pub insurer_payable: i64,
    pub patient_share: i64,
    pub patient_gap: i64,
    pub deducted: i64,
}

/// A claim line and its decision; amounts in rials.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ClaimLine)]
pub struct LineView {
    pub line_no: i32,
    #[schema(value_type = ItemType)]
    pub item_type: String,
    pub code: String,
    /// A decimal written as a string.
    pub quantity: String,
    /// A decimal written as a string.
    pub approved_quantity: String,
    pub service_date: NaiveDate,
    /// The service date in the Jalali calendar, `1403-07-15`.
    #[schema(pattern = "^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub service_date_jalali: String,
    pub status: crate::domain::lifecycle::claim::LineStatus,
    pub tariff_year: Option<i32>,
    pub tariff_revision: Option<i32>,
    #[schema(value_type = Option<crate::domain::tariff::TariffStatus>)]
    pub tariff_status: Option<String>,
    pub billed: i64,
    pub tariff_unit_price: i64,
    pub tariff_amount: i64,
    pub insurer_payable: i64,
    pub patient_share: i64,
    pub patient_gap: i64,
    pub deducted: i64,
    /// The cost-sharing rule that set the insured's share.
    pub cost_sharing_rule: Option<String>,
    /// The deductions.
    pub reasons: Vec<ReasonView>,
    /// Why the line waits for a reviewer.
    #[schema(value_type = Vec<Reason>)]
    pub pend_reasons: Vec<String>,
    /// The pre-authorization (تأیید قبلی) the line used.
    pub preauthorization_id: Option<PreauthId>,
}

/// A deduction: its reason, who bears it and how much.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ClaimLineReason)]
pub struct ReasonView {
    #[schema(value_type = Reason)]
    pub code: String,
    pub group: crate::domain::reasons::Group,
    pub amount: i64,
    pub message_fa: &'static str,
    pub message_en: &'static str,
    pub detail: String,
}

/// A deduction read back from a line's `reasons` column.
#[derive(serde::Deserialize)]
pub(crate) struct StoredReasonIn {
    pub code: String,
    pub amount: i64,
    pub detail: String,
}

/// A line's deductions as (code, amount, detail), the form the review rules work on, to the
/// stored JSON (claim lines and reimbursement lines alike).
pub(crate) fn reasons_json(reasons: &[(String, Rial, String)]) -> AppResult<String> {
    let rs: Vec<StoredReason> =
        reasons.iter().map(|(c, amt, d)| StoredReason { code: c, amount: amt.0, detail: d }).collect();
    serde_json::to_string(&rs).map_err(AppError::internal)
}

/// The stored JSON back to (code, amount, detail).
pub(crate) fn parse_reasons(json: &str) -> AppResult<Vec<(String, Rial, String)>> {
    let rs: Vec<StoredReasonIn> = serde_json::from_str(json).map_err(AppError::internal)?;
    Ok(rs.into_iter().map(|r| (r.code, Rial(r.amount), r.detail)).collect())
}

fn line_view(l: LineRow) -> LineView {
    let stored: Vec<StoredReasonIn> = serde_json::from_str(&l.reasons).unwrap_or_default();
    let reasons = stored
        .into_iter()
        .filter_map(|r| {
            let reason = Reason::parse(&r.code)?;
            Some(ReasonView {
                code: r.code,
                group: reason.group(),
                amount: r.amount,
                message_fa: reason.message_fa(),
                message_en: reason.message_en(),
                detail: r.detail,
            })
        })
        .collect();
    LineView {
        service_date_jalali: JalaliDate::from_gregorian(l.service_date).to_string(),
        line_no: l.line_no,
        item_type: l.item_type,
        code: l.code,
        quantity: l.quantity,
        approved_quantity: l.approved_quantity,
        service_date: l.service_date,
        status: l.status,
        tariff_year: l.tariff_year,
        tariff_revision: l.tariff_revision,
        tariff_status: l.tariff_status,
        billed: l.billed,
        tariff_unit_price: l.tariff_unit_price,
        tariff_amount: l.tariff_amount,
        insurer_payable: l.insurer_payable,
        patient_share: l.patient_share,
        patient_gap: l.patient_gap,
        deducted: l.deducted,
        cost_sharing_rule: l.cost_sharing_rule,
        reasons,
        pend_reasons: serde_json::from_str(&l.pend_reasons).unwrap_or_default(),
        preauthorization_id: l.preauthorization_id,
    }
}

fn view_of(c: ClaimRow, lines: Vec<LineRow>) -> AppResult<ClaimView> {
    let lines: Vec<LineView> = lines.into_iter().map(line_view).collect();
    let statuses: Vec<&str> = lines.iter().filter_map(|l| l.tariff_status.as_deref()).collect();
    let tariff_status = if statuses.is_empty() {
        None
    } else if statuses.contains(&"sample") {
        Some("sample".to_string())
    } else {
        Some("official".to_string())
    };
    Ok(ClaimView {
        tariff_year: lines.iter().find_map(|l| l.tariff_year),
        tariff_status,
        id: c.id,
        provider_id: c.provider_id,
        office_id: c.office_id,
        provider_document_no: c.provider_document_no,
        insured_national_code: c.insured_national_code,
        setting: c.setting,
        kind: c.kind,
        status: c.status,
        service_month: c.service_month,
        prescription_tracking_code: c.prescription_tracking_code,
        diagnoses: serde_json::from_str(&c.diagnoses).unwrap_or_default(),
        work_accident: match (c.work_accident, c.accident_report_no, c.employer_code) {
            (true, Some(report_no), Some(employer_code)) => {
                Some(WorkAccident { report_no, employer_code, employer_name: c.employer_name })
            }
            _ => None,
        },
        totals: TotalsView {
            billed: c.billed,
            tariff: c.tariff,
            insurer_payable: c.insurer_payable,
            patient_share: c.patient_share,
            patient_gap: c.patient_gap,
            deducted: c.deducted,
        },
        pend_notes: serde_json::from_str(&c.pend_notes).unwrap_or_default(),
        submitted_at: crate::clock::ts(c.created_at),
        lines,
    })
}

pub fn view(conn: &mut AnyConnection, c: ClaimRow) -> AppResult<ClaimView> {
    let lines = store::lines(conn, &c.id)?;
    view_of(c, lines)
}

/// The claim if it is in the caller's scope (404 otherwise): its provider, staff of its office,
/// and the Organization-wide roles (`Caller::scope_for`).
pub fn load_visible(conn: &mut AnyConnection, caller: &Caller, id: &ClaimId) -> AppResult<ClaimRow> {
    store::find_in(conn, &caller.scope_for(Record::Claim), id)?
        .ok_or_else(|| AppError::not_found("no such claim"))
}

pub async fn get(state: &ServiceContext, caller: Caller, id: ClaimId) -> AppResult<ClaimView> {
    state
        .db(move |conn| {
            let c = load_visible(conn, &caller, &id)?;
            view(conn, c)
        })
        .await
}

/// Lists claims in the caller's scope.
pub async fn list(
    state: &ServiceContext,
    caller: Caller,
    mut filter: ClaimFilter,
) -> AppResult<Vec<ClaimView>> {
    filter.scope = caller.scope_for(Record::Claim);
    if matches!(filter.scope, Scope::Insured(_) | Scope::Nothing) {
        return Err(AppError::forbidden("insured persons see their reimbursements, not providers' claims"));
    }
    state
        .db(move |conn| {
            let rows = store::list(conn, &filter)?;
            rows.into_iter().map(|c| view(conn, c)).collect()
        })
        .await
}

/// How far back the claim page looks for the same insured person's other claims (openIMIS shows
/// the last 90 days too): long enough for a course of treatment, short enough to read.
pub const RECENT_DAYS: i64 = 90;
/// The most of them shown; a person with more is a case for the history, not a side panel.
pub const RECENT_LIMIT: i64 = 25;

/// Another claim of the same insured person (سوابق اخیر بیمه‌شده), as a reviewer weighs it
/// beside the claim under review: a second visit, the same diagnosis at another provider.
pub struct RecentClaim {
    pub id: ClaimId,
    pub provider_id: ProviderId,
    pub provider_name: String,
    pub document_no: String,
    pub first_service_date: NaiveDate,
    pub status: crate::domain::lifecycle::claim::ClaimStatus,
    pub billed: i64,
    pub insurer_payable: i64,
    pub deducted: i64,
    /// Diagnoses (ICD-10) it shares with the claim under review.
    pub shared_diagnoses: Vec<String>,
    pub same_provider: bool,
}

/// The insured person's other claims of the last [`RECENT_DAYS`] before the claim's first
/// service date (and after it, up to today: a later visit matters as much), newest first.
///
/// Scoped like the claim itself: a reviewer sees the claims of their office only — the same
/// person's claims in another office stay that office's (a count of them would already tell
/// where the person was treated). A claim the caller cannot see is a 404, as in `get`.
pub async fn recent_of_insured(
    state: &ServiceContext,
    caller: Caller,
    id: ClaimId,
) -> AppResult<Vec<RecentClaim>> {
    state
        .db(move |conn| {
            let c = load_visible(conn, &caller, &id)?;
            let Some(insured_id) = c.insured_id.clone() else { return Ok(Vec::new()) };
            let since = c.first_service_date - Duration::days(RECENT_DAYS);
            let rows = store::of_insured_since(
                conn,
                &caller.scope_for(Record::Claim),
                &insured_id,
                since,
                &c.id,
                RECENT_LIMIT,
            )?;
            let diagnoses: Vec<String> = serde_json::from_str(&c.diagnoses).unwrap_or_default();
            let mut names = std::collections::HashMap::new();
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                if !names.contains_key(&r.provider_id) {
                    let name = crate::store::providers::find_provider(conn, &r.provider_id)?
                        .map(|p| p.name_fa)
                        .unwrap_or_else(|| r.provider_id.to_string());
                    names.insert(r.provider_id.clone(), name);
                }
                let theirs: Vec<String> = serde_json::from_str(&r.diagnoses).unwrap_or_default();
                out.push(RecentClaim {
                    provider_name: names[&r.provider_id].clone(),
                    shared_diagnoses: theirs.into_iter().filter(|d| diagnoses.contains(d)).collect(),
                    same_provider: r.provider_id == c.provider_id,
                    id: r.id,
                    provider_id: r.provider_id,
                    document_no: r.provider_document_no,
                    first_service_date: r.first_service_date,
                    status: r.status,
                    billed: r.billed,
                    insurer_payable: r.insurer_payable,
                    deducted: r.deducted,
                });
            }
            Ok(out)
        })
        .await
}

/// A line-by-line explanation in Persian and English.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ClaimExplanation)]
pub struct Explanation {
    pub id: ClaimId,
    pub status: crate::domain::lifecycle::claim::ClaimStatus,
    pub summary_fa: String,
    pub summary_en: String,
    pub lines: Vec<LineExplanation>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ClaimLineExplanation)]
pub struct LineExplanation {
    pub line_no: i32,
    pub fa: String,
    pub en: String,
}

pub fn explain(v: &ClaimView) -> Explanation {
    // The Persian text is read by people: amounts grouped in thousands, Jalali dates with
    // slashes as everywhere in the console. The English one stays plain for machines and logs.
    let g = crate::domain::money::group_thousands;
    let lines = v
        .lines
        .iter()
        .map(|l| {
            let mut fa = format!(
                "ردیف {}: کد {} به تاریخ {}، مبلغ درخواستی {} ریال، تعرفه {} ریال؛ سهم سازمان {} ریال، سهم بیمه‌شده {} ریال",
                l.line_no,
                l.code,
                l.service_date_jalali.replace('-', "/"),
                g(l.billed),
                g(l.tariff_amount),
                g(l.insurer_payable),
                g(l.patient_share)
            );
            let mut en = format!(
                "Line {}: {} on {}, billed {}, tariff {}; the Organization pays {}, the insured's share is {}",
                l.line_no, l.code, l.service_date, l.billed, l.tariff_amount, l.insurer_payable, l.patient_share
            );
            if l.patient_gap > 0 {
                fa.push_str(&format!("، مابه‌التفاوت بخش خصوصی {} ریال", g(l.patient_gap)));
                en.push_str(&format!(", private-sector gap {}", l.patient_gap));
            }
            if let Some(rule) = &l.cost_sharing_rule {
                fa.push_str(&format!(" (قاعده: {rule})"));
                en.push_str(&format!(" (rule: {rule})"));
            }
            // Each deduction says who bears it: the provider may not charge the insured for a
            // write-off (CO); the insured pays what is theirs (PR, e.g. R20's room difference).
            // And which of the engine's rules gave it (`adjudication::LINE_RULES`, by its step).
            for r in &l.reasons {
                let (who_fa, who_en) = (r.group.bearer_fa(), r.group.bearer_en());
                fa.push_str(&format!("؛ کسر {} ریال {who_fa} — {} {}", g(r.amount), r.code, r.message_fa));
                en.push_str(&format!("; {} deducted, {who_en} — {} {} ({})", r.amount, r.code, r.message_en, r.detail));
                let rules = Reason::parse(&r.code).map(rules_giving).unwrap_or_default();
                if !rules.is_empty() {
                    let steps: Vec<String> = rules.iter().map(|(step, _)| step.to_string()).collect();
                    let checks: Vec<&str> = rules.iter().map(|(_, checks)| *checks).collect();
                    fa.push_str(&format!(" (قاعدهٔ {} موتور رسیدگی)", steps.join(" یا ")));
                    en.push_str(&format!(" [engine rule {}: {}]", steps.join(" or "), checks.join("; ")));
                }
            }
            for p in &l.pend_reasons {
                fa.push_str(&format!("؛ در انتظار رسیدگی کارشناس ({p})"));
                en.push_str(&format!("; waiting for a reviewer ({p})"));
            }
            fa.push('.');
            en.push('.');
            LineExplanation { line_no: l.line_no, fa, en }
        })
        .collect();
    let t = &v.totals;
    Explanation {
        id: v.id.clone(),
        status: v.status,
        summary_fa: format!(
            "سند {}: مبلغ درخواستی {} ریال؛ قابل پرداخت سازمان {} ریال؛ سهم بیمه‌شده {} ریال؛ مابه‌التفاوت {} ریال؛ کسورات {} ریال.",
            v.provider_document_no,
            g(t.billed),
            g(t.insurer_payable),
            g(t.patient_share),
            g(t.patient_gap),
            g(t.deducted)
        ),
        summary_en: format!(
            "Document {}: billed {}; payable by the Organization {}; insured's share {}; gap {}; deducted {}.",
            v.provider_document_no, t.billed, t.insurer_payable, t.patient_share, t.patient_gap, t.deducted
        ),
        lines,
    }
}
