//! The provider's portal (درگاه مرکز درمانی) under `/console/provider/`: for a provider's
//! users (role `Provider`, bound to a provider), the provider's remittances by month with each
//! remittance and its CSV, the month's deductions grouped by reason with the claim lines behind
//! them, objections (اعتراض) to deducted lines with documents inside the window and their
//! outcome, pre-authorization (تأیید قبلی) requests and their decisions, and the monthly list
//! (فهرست ماهانه) upload with its progress and per-document results.
//!
//! Every read and write is an API use case (`settlements::list`/`remittance`,
//! `review::object`/`objection_window`, `preauth::request`/`list`/`get`,
//! `batches::create`/`get`, `attachments::attach_to_case`), plus the portal's reads in
//! `services::provider_portal`. Any other role gets 403 on every page; another provider's
//! record is the 404 page (the use cases' scope). Every form checks the CSRF token first (a
//! multipart form carries it as a part).

use actix_multipart::Multipart;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use rust_decimal::Decimal;

use crate::console::format::{month_name, service_month, Day, Rials};
use crate::console::preauth::{case_file, docs, Doc};
use crate::console::session::{Session, Signed};
use crate::console::upload::read_multipart;
use crate::console::{render, see_other, ConsoleError, Layout};
use crate::context::ServiceContext;
use crate::domain::ids::NationalCode;
use crate::domain::jalali::JalaliDate;
use crate::domain::lifecycle::batch::{BatchStatus, ItemStatus};
use crate::domain::lifecycle::payment::SettlementStatus;
use crate::domain::lifecycle::preauth::PreauthStatus;
use crate::domain::lifecycle::review::ObjectionStatus;
use crate::domain::pricing::ItemType;
use crate::domain::reasons::Reason;
use crate::domain::text::normalize_identifier;
use crate::error::{AppError, FieldError};
use crate::services;
use crate::services::attachments::{CaseKind, Upload};
use crate::services::provider_portal::{own_provider, ProviderObjection};
use crate::store::preauth::PreauthFilter;
use crate::store::settlements::SettlementFilter;

/// Every page of the portal: a provider's user, or 403 (as the API refuses a provider's
/// screens to staff and insured persons).
fn require_provider(s: &Session) -> Result<(), ConsoleError> {
    own_provider(&s.caller).map(|_| ()).map_err(ConsoleError::from)
}

fn settlement_class(s: SettlementStatus) -> &'static str {
    match s {
        SettlementStatus::Paid | SettlementStatus::Closed => "ok",
        SettlementStatus::Carried => "bad",
        _ => "pend",
    }
}

fn objection_class(s: ObjectionStatus) -> &'static str {
    match s {
        ObjectionStatus::Open => "pend",
        ObjectionStatus::AwaitingApproval => "plain",
        ObjectionStatus::Decided => "ok",
    }
}

/// The Jalali month `1403-07` of a day.
fn month_key(date: chrono::NaiveDate) -> String {
    let j = JalaliDate::from_gregorian(date);
    format!("{:04}-{:02}", j.year(), j.month())
}

/// The last `n` Jalali months, this one first, as (`1403-07`, `مهر 1403`).
fn recent_months(today: chrono::NaiveDate, n: usize) -> Vec<(String, String)> {
    let j = JalaliDate::from_gregorian(today);
    let (mut y, mut m) = (j.year(), j.month());
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push((format!("{y:04}-{m:02}"), month_name(y, m)));
        if m == 1 {
            y -= 1;
            m = 12;
        } else {
            m -= 1;
        }
    }
    out
}

fn problem_fields(e: &AppError) -> Vec<(String, String)> {
    match e {
        AppError::Validation(errors) => errors.iter().map(|f| (f.field.clone(), f.message.clone())).collect(),
        _ => Vec::new(),
    }
}

/// The document types a provider attaches, with their Persian names.
fn document_types(selected: &str) -> Vec<(&'static str, &'static str, bool)> {
    crate::domain::reimbursement::DOCUMENT_TYPES
        .iter()
        .map(|t| (*t, crate::console::claims::document_type_fa(t), *t == selected))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Remittances (حواله‌ها / صورت‌حساب تسویه) by month.

pub struct SettlementRow {
    pub id: String,
    pub month: String,
    pub month_key: String,
    pub claims_payable: Rials,
    pub adjustments: Rials,
    pub advances: Rials,
    pub carried_in: Rials,
    pub net: Rials,
    pub due: Day,
    pub paid: Option<Day>,
    pub status: &'static str,
    pub status_class: &'static str,
    pub days_late: i64,
    pub damages: Rials,
}

#[derive(Template)]
#[template(path = "console/provider_remittances.html")]
pub struct RemittancesPage {
    pub layout: Layout,
    pub rows: Vec<SettlementRow>,
    pub total_net: Rials,
}

/// `GET /console/provider/remittances`: the provider's settlements, newest month first
/// (`settlements::list` in the provider's scope, as `GET /api/v1/settlements`).
pub async fn remittances(
    state: web::Data<ServiceContext>,
    signed: Signed,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    require_provider(&s)?;
    let mut list =
        services::settlements::list(&state, s.caller.clone(), SettlementFilter::default(), false).await?;
    list.sort_by(|a, b| {
        b.row.service_month.cmp(&a.row.service_month).then(b.row.created_at.cmp(&a.row.created_at))
    });
    let rows: Vec<SettlementRow> = list
        .iter()
        .map(|v| SettlementRow {
            id: v.row.id.to_string(),
            month: service_month(&v.row.service_month),
            month_key: v.row.service_month.clone(),
            claims_payable: Rials(v.row.claims_payable),
            adjustments: Rials(v.row.adjustments),
            advances: Rials(v.row.advances_netted),
            carried_in: Rials(v.row.carried_in),
            net: Rials(v.row.net_payable),
            due: Day::of(v.row.due_on),
            paid: v.row.paid_on.map(Day::of),
            status: v.row.status.name_fa(),
            status_class: settlement_class(v.row.status),
            days_late: v.days_late,
            damages: Rials(v.damages),
        })
        .collect();
    let page = RemittancesPage {
        layout: Layout::signed("حواله‌ها و تسویه‌ها", &s, "p-remit"),
        total_net: Rials(list.iter().map(|v| v.row.net_payable).sum()),
        rows,
    };
    render(StatusCode::OK, &page)
}

pub struct RemitLine {
    pub claim_id: String,
    pub document_no: String,
    pub first: bool,
    pub adjustment: bool,
    pub item_amount: Rials,
    pub line_no: i32,
    pub code: String,
    pub date: Day,
    pub billed: Rials,
    pub tariff: Rials,
    pub payable: Rials,
    pub patient: Rials,
    pub deducted: Rials,
    pub reasons: Vec<(String, &'static str, Rials, &'static str)>,
}

#[derive(Template)]
#[template(path = "console/provider_remittance.html")]
pub struct RemittancePage {
    pub layout: Layout,
    pub id: String,
    pub provider: String,
    pub month: String,
    pub month_key: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub due: Day,
    pub paid: Option<Day>,
    pub claims_payable: Rials,
    pub adjustments: Rials,
    pub advances: Rials,
    pub carried_in: Rials,
    pub net: Rials,
    pub carried: bool,
    pub lines: Vec<RemitLine>,
    pub total_billed: Rials,
    pub total_payable: Rials,
    pub total_patient: Rials,
    pub total_deducted: Rials,
}

/// `GET /console/provider/remittances/{id}`: the remittance advice (`settlements::remittance`,
/// the API's `GET /api/v1/settlements/{id}/remittance`), claim by claim and line by line.
pub async fn remittance(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    require_provider(&s)?;
    let r = services::settlements::remittance(&state, s.caller.clone(), id.into_inner().into()).await?;
    let mut lines = Vec::new();
    let (mut billed, mut payable, mut patient, mut deducted) = (0, 0, 0, 0);
    for it in &r.items {
        for (i, l) in it.claim.lines.iter().enumerate() {
            billed += l.billed;
            payable += l.insurer_payable;
            patient += l.patient_share + l.patient_gap;
            deducted += l.deducted;
            lines.push(RemitLine {
                claim_id: it.claim.id.to_string(),
                document_no: it.claim.provider_document_no.clone(),
                first: i == 0,
                adjustment: it.kind == "adjustment",
                item_amount: Rials(it.amount),
                line_no: l.line_no,
                code: l.code.clone(),
                date: Day::of(l.service_date),
                billed: Rials(l.billed),
                tariff: Rials(l.tariff_amount),
                payable: Rials(l.insurer_payable),
                patient: Rials(l.patient_share + l.patient_gap),
                deducted: Rials(l.deducted),
                reasons: l
                    .reasons
                    .iter()
                    .map(|x| (x.code.clone(), x.message_fa, Rials(x.amount), x.group.bearer_fa()))
                    .collect(),
            });
        }
    }
    let row = &r.settlement.row;
    let page = RemittancePage {
        layout: Layout::signed(
            format!("صورت‌حساب تسویهٔ {}", service_month(&row.service_month)),
            &s,
            "p-remit",
        ),
        id: row.id.to_string(),
        provider: r.provider_name.clone(),
        month: service_month(&row.service_month),
        month_key: row.service_month.clone(),
        status: row.status.name_fa(),
        status_class: settlement_class(row.status),
        due: Day::of(row.due_on),
        paid: row.paid_on.map(Day::of),
        claims_payable: Rials(row.claims_payable),
        adjustments: Rials(row.adjustments),
        advances: Rials(row.advances_netted),
        carried_in: Rials(row.carried_in),
        net: Rials(row.net_payable),
        carried: row.status == SettlementStatus::Carried,
        lines,
        total_billed: Rials(billed),
        total_payable: Rials(payable),
        total_patient: Rials(patient),
        total_deducted: Rials(deducted),
    };
    render(StatusCode::OK, &page)
}

/// `GET /console/provider/remittances/{id}/csv`: the API's remittance CSV
/// (`settlements::remittance_csv`), as a download.
pub async fn remittance_csv(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    require_provider(&s)?;
    let r = services::settlements::remittance(&state, s.caller.clone(), id.into_inner().into()).await?;
    let body = services::settlements::remittance_csv(&r)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"remittance-{}.csv\"", r.settlement.row.service_month),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

// ---------------------------------------------------------------------------------------------
// Deductions (کسورات) by month, grouped by reason.

#[derive(serde::Deserialize, Default)]
pub struct MonthQuery {
    #[serde(default)]
    pub month: String,
}

pub struct DedLine {
    pub claim_id: String,
    pub document_no: String,
    pub line_no: i32,
    pub code: String,
    pub item_type: String,
    pub date: Day,
    pub billed: Rials,
    pub amount: Rials,
    pub detail: String,
}

pub struct DedGroup {
    pub code: String,
    pub text: &'static str,
    pub bearer: &'static str,
    pub provider_bears: bool,
    pub total: Rials,
    pub lines: Vec<DedLine>,
}

#[derive(Template)]
#[template(path = "console/provider_deductions.html")]
pub struct DeductionsPage {
    pub layout: Layout,
    pub month: String,
    pub month_label: String,
    pub months: Vec<(String, String, bool)>,
    pub claims: usize,
    pub billed: Rials,
    pub payable: Rials,
    pub deducted: Rials,
    pub groups: Vec<DedGroup>,
}

/// `GET /console/provider/deductions?month=1403-07`: the month's deductions by reason
/// (`provider_portal::deductions`); this month when none is asked for.
pub async fn deductions(
    state: web::Data<ServiceContext>,
    signed: Signed,
    q: web::Query<MonthQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    require_provider(&s)?;
    let today = state.today();
    let month = match q.month.trim() {
        "" => month_key(today),
        m if crate::domain::jalali::is_month(m) => m.to_string(),
        _ => return Err(AppError::field("month", "invalid", "must be a Jalali month, YYYY-MM").into()),
    };
    let d = services::provider_portal::deductions(&state, s.caller.clone(), month.clone()).await?;
    let mut months: Vec<(String, String, bool)> =
        recent_months(today, 12).into_iter().map(|(k, l)| (k.clone(), l, k == month)).collect();
    if !months.iter().any(|m| m.2) {
        months.push((month.clone(), service_month(&month), true));
    }
    let groups = d
        .groups
        .into_iter()
        .map(|g| {
            let reason = Reason::parse(&g.reason);
            DedGroup {
                text: reason.map(|r| r.message_fa()).unwrap_or(""),
                bearer: reason.map(|r| r.group().bearer_fa()).unwrap_or(""),
                provider_bears: reason
                    .is_none_or(|r| r.group() != crate::domain::reasons::Group::InsuredResponsibility),
                code: g.reason,
                total: Rials(g.total.0),
                lines: g
                    .lines
                    .into_iter()
                    .map(|(amount, l)| DedLine {
                        claim_id: l.claim_id.to_string(),
                        document_no: l.document_no,
                        line_no: l.line_no,
                        code: l.code,
                        item_type: l.item_type,
                        date: Day::of(l.service_date),
                        billed: Rials(l.billed),
                        amount: Rials(amount.0),
                        detail: l.detail,
                    })
                    .collect(),
            }
        })
        .collect();
    let page = DeductionsPage {
        layout: Layout::signed(format!("کسورات {}", service_month(&month)), &s, "p-deduct"),
        month_label: service_month(&month),
        month,
        months,
        claims: d.claims,
        billed: Rials(d.billed),
        payable: Rials(d.insurer_payable),
        deducted: Rials(d.deducted),
        groups,
    };
    render(StatusCode::OK, &page)
}

// ---------------------------------------------------------------------------------------------
// A claim, its deducted lines and objections (اعتراض).

pub struct ClaimLine {
    pub no: i32,
    pub code: String,
    pub item_type: String,
    pub date: Day,
    pub billed: Rials,
    pub payable: Rials,
    pub patient: Rials,
    pub deducted: Rials,
    pub objectable: bool,
    pub checked: bool,
    pub reasons: Vec<(String, &'static str, Rials)>,
}

pub struct ObjectionItem {
    pub id: String,
    pub claim_id: String,
    pub document_no: String,
    pub filed: Day,
    pub decided: Option<Day>,
    pub lines: String,
    pub reason: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub deducted_now: Rials,
    pub returned: Option<Rials>,
    pub docs: Vec<Doc>,
    pub open: bool,
}

fn objection_item(o: ProviderObjection, docs_of: Vec<Doc>) -> ObjectionItem {
    let v = o.objection;
    ObjectionItem {
        id: v.id.to_string(),
        claim_id: v.claim_id.to_string(),
        document_no: o.document_no,
        filed: Day::of_instant(v.filed_at),
        decided: v.decided_at.map(Day::of_instant),
        lines: v.line_nos.iter().map(|n| n.to_string()).collect::<Vec<_>>().join("، "),
        reason: v.reason,
        status: v.status.name_fa(),
        status_class: objection_class(v.status),
        deducted_now: Rials(o.deducted_now),
        returned: o.returned.map(Rials),
        docs: docs_of,
        open: v.status == ObjectionStatus::Open,
    }
}

/// A refusal shown on the page: a Persian heading, the problem's detail and its fields.
pub type Problem = (String, String, Vec<(String, String)>);

/// The objection form as typed (kept when the use case refuses it).
#[derive(Default)]
pub struct ObjectionDraft {
    pub lines: Vec<i32>,
    pub reason: String,
    pub document_type: String,
}

#[derive(Template)]
#[template(path = "console/provider_claim.html")]
pub struct ClaimPage {
    pub layout: Layout,
    pub id: String,
    pub document_no: String,
    pub insured: String,
    pub status: &'static str,
    pub month: String,
    pub month_key: String,
    pub billed: Rials,
    pub payable: Rials,
    pub patient: Rials,
    pub deducted: Rials,
    pub lines: Vec<ClaimLine>,
    pub objections: Vec<ObjectionItem>,
    /// The window's last day, once the claim is decided.
    pub deadline: Option<Day>,
    pub window_days: u32,
    pub window_open: bool,
    /// An objection is already open (the use case allows one at a time).
    pub has_open: bool,
    /// Whether the form is offered: decided, in time, a deducted line, none open.
    pub may_object: bool,
    pub draft: ObjectionDraft,
    pub doc_types: Vec<(&'static str, &'static str, bool)>,
    pub notice: Option<&'static str>,
    pub problem: Option<Problem>,
}

#[derive(serde::Deserialize, Default)]
pub struct DoneQuery {
    #[serde(default)]
    pub done: String,
}

async fn claim_page(
    state: &ServiceContext,
    s: &Session,
    id: String,
    draft: ObjectionDraft,
    notice: Option<&'static str>,
    problem: Option<Problem>,
) -> Result<ClaimPage, ConsoleError> {
    let c = services::claims::get(state, s.caller.clone(), id.clone().into()).await?;
    let window = services::review::objection_window(state, s.caller.clone(), id.clone().into()).await?;
    let mut objections = Vec::new();
    for o in services::provider_portal::claim_objections(state, s.caller.clone(), id.clone().into()).await? {
        let oid = o.objection.id.to_string();
        let views =
            services::attachments::list_case(state, s.caller.clone(), CaseKind::Objection, oid.clone())
                .await?;
        objections.push(objection_item(o, docs(&views, &format!("/console/provider/objections/{oid}"))));
    }
    let has_open = objections.iter().any(|o| o.status_class != "ok");
    let lines: Vec<ClaimLine> = c
        .lines
        .iter()
        .map(|l| ClaimLine {
            no: l.line_no,
            code: l.code.clone(),
            item_type: l.item_type.clone(),
            date: Day::of(l.service_date),
            billed: Rials(l.billed),
            payable: Rials(l.insurer_payable),
            patient: Rials(l.patient_share + l.patient_gap),
            deducted: Rials(l.deducted),
            objectable: l.deducted > 0,
            checked: draft.lines.contains(&l.line_no),
            reasons: l.reasons.iter().map(|r| (r.code.clone(), r.message_fa, Rials(r.amount))).collect(),
        })
        .collect();
    let may_object = window.open && !has_open && lines.iter().any(|l| l.objectable);
    Ok(ClaimPage {
        layout: Layout::signed(format!("سند {}", c.provider_document_no), s, "p-objections"),
        id: c.id.to_string(),
        document_no: c.provider_document_no.clone(),
        insured: c.insured_national_code.clone(),
        status: c.status.name_fa(),
        month: service_month(&c.service_month),
        month_key: c.service_month.clone(),
        billed: Rials(c.totals.billed),
        payable: Rials(c.totals.insurer_payable),
        patient: Rials(c.totals.patient_share + c.totals.patient_gap),
        deducted: Rials(c.totals.deducted),
        lines,
        objections,
        deadline: window.last_day.map(Day::of),
        window_days: window.working_days,
        window_open: window.open,
        has_open,
        may_object,
        doc_types: document_types(if draft.document_type.is_empty() {
            "medical_report"
        } else {
            &draft.document_type
        }),
        draft,
        notice,
        problem,
    })
}

/// `GET /console/provider/claims/{id}`: one of the provider's claims (`claims::get`; another
/// provider's is a 404), its deductions, the objection window (`review::objection_window`) and
/// the objections with their documents and outcome.
pub async fn claim(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    require_provider(&s)?;
    let notice = match q.done.as_str() {
        "objected" => Some("اعتراض ثبت شد و به دفتر رسیدگی رفت."),
        "uploaded" => Some("مدرک به اعتراض پیوست شد."),
        _ => None,
    };
    let page = claim_page(&state, &s, id.into_inner(), ObjectionDraft::default(), notice, None).await?;
    render(StatusCode::OK, &page)
}

/// `POST /console/provider/claims/{id}/objections` (multipart: `csrf`, `line` repeated,
/// `reason`, `document_type`, `file`): `review::object` (the API's
/// `POST /api/v1/claims/{id}/objections`: the window, a deducted line, one open at a time),
/// then the document through `attachments::attach_to_case`. The file is checked before the
/// objection is filed, so a wrong file files nothing. A refusal shows the claim again with the
/// problem and the form as typed.
pub async fn object(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    form: Multipart,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    let limit = state.config.max_attachment_bytes;
    let form = read_multipart(form, limit).await?;
    s.verify_csrf(&form.get("csrf"))?;
    require_provider(&s)?;
    let id = id.into_inner();
    let mut errors = Vec::new();
    let mut line_nos = Vec::new();
    for (i, v) in form.all("line").iter().enumerate() {
        match v.trim().parse::<u32>() {
            Ok(n) => line_nos.push(n),
            Err(_) => {
                errors.push(FieldError::new(format!("line_nos[{i}]"), "invalid", "must be a line number"))
            }
        }
    }
    let reason = form.get("reason").trim().to_string();
    if reason.is_empty() {
        errors.push(FieldError::new("reason", "required", "write why the deduction is wrong"));
    } else if reason.chars().count() > 4000 {
        errors.push(FieldError::new("reason", "length", "at most 4000 characters"));
    }
    let draft = ObjectionDraft {
        lines: line_nos.iter().map(|n| *n as i32).collect(),
        reason: reason.clone(),
        document_type: form.get("document_type"),
    };
    let upload = form.upload(limit);
    let result = async {
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let upload = upload?;
        if let Some(u) = &upload {
            precheck(u)?;
        }
        let o = services::review::object(
            &state,
            s.caller.clone(),
            id.clone().into(),
            services::review::ObjectionInput { reason, line_nos },
        )
        .await?;
        if let Some(u) = upload {
            services::attachments::attach_to_case(
                &state,
                s.caller.clone(),
                CaseKind::Objection,
                o.id.to_string(),
                u,
            )
            .await?;
        }
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Ok(see_other(&format!("/console/provider/claims/{id}?done=objected#objections"))),
        Err(e) if e.http_status() < 500 && e.http_status() != 404 && e.http_status() != 403 => {
            let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            let closed = matches!(&e, AppError::Validation(v) if v.iter().any(|f| f.code == "window_closed"));
            let heading = if closed {
                "مهلت اعتراض به این سند گذشته است؛ اعتراض ثبت نشد.".to_string()
            } else {
                "اعتراض ثبت نشد.".to_string()
            };
            let fields = problem_fields(&e);
            let page = claim_page(&state, &s, id, draft, None, Some((heading, e.detail(), fields))).await?;
            render(status, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// What the upload will refuse, checked before a case is filed: the type and the content.
fn precheck(u: &Upload) -> Result<(), AppError> {
    if !crate::domain::reimbursement::DOCUMENT_TYPES.contains(&u.document_type.as_str()) {
        return Err(AppError::field("document_type", "invalid_choice", "choose the document's type"));
    }
    if crate::documents::sniff(&u.bytes).is_none() {
        return Err(AppError::UnsupportedMediaType("the file must be a PDF, JPEG, PNG or TIFF".into()));
    }
    Ok(())
}

/// `POST /console/provider/objections/{id}/files` (multipart: `csrf`, `document_type`, `file`):
/// another document for an objection (`attachments::attach_to_case`, the API's
/// `POST /api/v1/objections/{id}/attachments`); back to the claim.
pub async fn objection_upload(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    form: Multipart,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    let limit = state.config.max_attachment_bytes;
    let form = read_multipart(form, limit).await?;
    s.verify_csrf(&form.get("csrf"))?;
    require_provider(&s)?;
    let oid = id.into_inner();
    let upload = form.upload(limit)?.ok_or_else(|| AppError::field("file", "required", "choose a file"))?;
    // The objection's claim, through the provider's scope (404 for another provider's).
    let objections = services::provider_portal::objections(&state, s.caller.clone()).await?;
    let claim_id = objections
        .iter()
        .find(|o| o.objection.id.to_string() == oid)
        .map(|o| o.objection.claim_id.to_string())
        .ok_or_else(|| AppError::not_found("no such objection"))?;
    services::attachments::attach_to_case(&state, s.caller.clone(), CaseKind::Objection, oid, upload).await?;
    Ok(see_other(&format!("/console/provider/claims/{claim_id}?done=uploaded#objections")))
}

/// `GET /console/provider/objections/{id}/files/{attachment_id}`: an objection's document
/// (`attachments::download_case`; another provider's is a 404).
pub async fn objection_file(
    state: web::Data<ServiceContext>,
    signed: Signed,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    require_provider(&s)?;
    let (case_id, id) = path.into_inner();
    case_file(&state, s, CaseKind::Objection, case_id, id).await
}

#[derive(serde::Deserialize, Default)]
pub struct StatusQuery {
    #[serde(default)]
    pub status: String,
}

pub struct StatusTab {
    pub label: &'static str,
    pub count: usize,
    pub href: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "console/provider_objections.html")]
pub struct ObjectionsPage {
    pub layout: Layout,
    pub tabs: Vec<StatusTab>,
    pub status_label: &'static str,
    pub rows: Vec<ObjectionItem>,
    pub total_deducted: Rials,
    pub total_returned: Rials,
    pub limit: i64,
}

/// `GET /console/provider/objections?status=`: the provider's objections, newest first, with
/// their outcome (`provider_portal::objections`); `status` empty lists all.
pub async fn objections(
    state: web::Data<ServiceContext>,
    signed: Signed,
    q: web::Query<StatusQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    require_provider(&s)?;
    let wanted = match q.status.trim() {
        "" | "all" => None,
        t => Some(ObjectionStatus::parse(t).ok_or_else(|| {
            AppError::field("status", "one_of", "must be open, awaiting_approval, decided or all")
        })?),
    };
    let all = services::provider_portal::objections(&state, s.caller.clone()).await?;
    let mut tabs = vec![StatusTab {
        label: "همه",
        count: all.len(),
        href: "/console/provider/objections".into(),
        current: wanted.is_none(),
    }];
    for st in [ObjectionStatus::Open, ObjectionStatus::AwaitingApproval, ObjectionStatus::Decided] {
        tabs.push(StatusTab {
            label: st.name_fa(),
            count: all.iter().filter(|o| o.objection.status == st).count(),
            href: format!("/console/provider/objections?status={st}"),
            current: wanted == Some(st),
        });
    }
    let rows: Vec<ObjectionItem> = all
        .into_iter()
        .filter(|o| wanted.is_none_or(|w| o.objection.status == w))
        .map(|o| objection_item(o, Vec::new()))
        .collect();
    let page = ObjectionsPage {
        layout: Layout::signed("اعتراض‌ها", &s, "p-objections"),
        status_label: wanted.map(|w| w.name_fa()).unwrap_or("همهٔ اعتراض‌ها"),
        total_deducted: Rials(rows.iter().map(|r| r.deducted_now.0).sum()),
        total_returned: Rials(rows.iter().filter_map(|r| r.returned.map(|x| x.0)).sum()),
        rows,
        tabs,
        limit: services::provider_portal::OBJECTIONS_LIMIT,
    };
    render(StatusCode::OK, &page)
}

// ---------------------------------------------------------------------------------------------
// Pre-authorization (تأیید قبلی) requests.

pub struct PreauthRow {
    pub id: String,
    pub requested: Day,
    pub insured: String,
    pub item_type: String,
    pub code: String,
    pub description: String,
    pub quantity: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub approved: Option<String>,
    pub valid_to: Option<String>,
}

fn preauth_class(s: PreauthStatus) -> &'static str {
    match s {
        PreauthStatus::Requested => "pend",
        PreauthStatus::Approved => "ok",
        PreauthStatus::Rejected => "bad",
    }
}

fn jalali_slash(iso_jalali: &str) -> String {
    iso_jalali.replace('-', "/")
}

#[derive(Template)]
#[template(path = "console/provider_preauths.html")]
pub struct PreauthsPage {
    pub layout: Layout,
    pub tabs: Vec<StatusTab>,
    pub rows: Vec<PreauthRow>,
}

/// How many requests the list shows (the newest): the API's page limit.
const PREAUTH_LIMIT: i64 = 500;

/// `GET /console/provider/preauthorizations?status=`: the provider's requests, newest first
/// (`preauth::list` in the provider's scope, as `GET /api/v1/preauthorizations`).
pub async fn preauths(
    state: web::Data<ServiceContext>,
    signed: Signed,
    q: web::Query<StatusQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    require_provider(&s)?;
    let wanted = match q.status.trim() {
        "" | "all" => None,
        t => Some(PreauthStatus::parse(t).ok_or_else(|| {
            AppError::field("status", "one_of", "must be requested, approved, rejected or all")
        })?),
    };
    let filter = PreauthFilter { limit: PREAUTH_LIMIT, ..PreauthFilter::default() };
    let mut all = services::preauth::list(&state, s.caller.clone(), filter).await?;
    all.reverse();
    let mut tabs = vec![StatusTab {
        label: "همه",
        count: all.len(),
        href: "/console/provider/preauthorizations".into(),
        current: wanted.is_none(),
    }];
    for st in [PreauthStatus::Requested, PreauthStatus::Approved, PreauthStatus::Rejected] {
        tabs.push(StatusTab {
            label: st.name_fa(),
            count: all.iter().filter(|p| p.status == st).count(),
            href: format!("/console/provider/preauthorizations?status={st}"),
            current: wanted == Some(st),
        });
    }
    let rows = all
        .into_iter()
        .filter(|p| wanted.is_none_or(|w| p.status == w))
        .map(|p| PreauthRow {
            description: services::preauth::code_description(&state, &p.item_type, &p.code)
                .unwrap_or_default(),
            id: p.id.to_string(),
            requested: Day::of_rfc3339(&p.requested_at),
            insured: p.insured_national_code,
            item_type: p.item_type,
            code: p.code,
            quantity: p.quantity,
            status: p.status.name_fa(),
            status_class: preauth_class(p.status),
            approved: p.approved_quantity,
            valid_to: p.valid_to_jalali.as_deref().map(jalali_slash),
        })
        .collect();
    let page = PreauthsPage {
        layout: Layout::signed("درخواست‌های تأیید قبلی", &s, "p-preauth"), tabs, rows
    };
    render(StatusCode::OK, &page)
}

/// The request form as typed.
#[derive(Default)]
pub struct PreauthDraft {
    pub insured_national_code: String,
    pub item_type: String,
    pub code: String,
    pub quantity: String,
    pub diagnoses: String,
    pub justification: String,
    pub document_type: String,
}

#[derive(Template)]
#[template(path = "console/provider_preauth_new.html")]
pub struct PreauthNewPage {
    pub layout: Layout,
    pub draft: PreauthDraft,
    pub item_types: Vec<(&'static str, &'static str, bool)>,
    pub doc_types: Vec<(&'static str, &'static str, bool)>,
    pub detail: Option<String>,
    pub errors: Vec<(String, String)>,
}

impl PreauthNewPage {
    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }
}

fn item_type_fa(t: ItemType) -> &'static str {
    match t {
        ItemType::Service => "خدمت (کتاب ارزش نسبی)",
        ItemType::Visit => "ویزیت",
        ItemType::Drug => "دارو",
        ItemType::BedDay => "اقامت (تخت‌روز)",
        ItemType::Device => "پروتز و اروتز",
    }
}

fn new_preauth_page(s: &Session, draft: PreauthDraft, problem: Option<AppError>) -> PreauthNewPage {
    let selected = if draft.item_type.is_empty() { "service".to_string() } else { draft.item_type.clone() };
    PreauthNewPage {
        layout: Layout::signed("درخواست تأیید قبلی", s, "p-preauth"),
        item_types: ItemType::ALL
            .iter()
            .map(|t| (t.as_str(), item_type_fa(*t), t.as_str() == selected))
            .collect(),
        doc_types: document_types(if draft.document_type.is_empty() {
            "medical_report"
        } else {
            &draft.document_type
        }),
        detail: problem.as_ref().map(|e| e.detail()),
        errors: problem.as_ref().map(problem_fields).unwrap_or_default(),
        draft,
    }
}

/// `GET /console/provider/preauthorizations/new`: the request form.
pub async fn preauth_new(signed: Signed) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    require_provider(&s)?;
    render(StatusCode::OK, &new_preauth_page(&s, PreauthDraft::default(), None))
}

/// `POST /console/provider/preauthorizations` (multipart: `csrf`, the API body's fields,
/// `diagnoses` comma-separated, `document_type`, `file`): read as the API's handler reads its
/// body, `preauth::request`, then the document (`attachments::attach_to_case`), checked before
/// the request is filed. A refusal shows the form again (422) with each field's message.
pub async fn preauth_create(
    state: web::Data<ServiceContext>,
    signed: Signed,
    form: Multipart,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    let limit = state.config.max_attachment_bytes;
    let form = read_multipart(form, limit).await?;
    s.verify_csrf(&form.get("csrf"))?;
    require_provider(&s)?;
    let draft = PreauthDraft {
        insured_national_code: form.get("insured_national_code").trim().to_string(),
        item_type: form.get("item_type").trim().to_string(),
        code: form.get("code").trim().to_string(),
        quantity: form.get("quantity").trim().to_string(),
        diagnoses: form.get("diagnoses").trim().to_string(),
        justification: form.get("justification").trim().to_string(),
        document_type: form.get("document_type").trim().to_string(),
    };
    let mut errors = Vec::new();
    let national = NationalCode::parse(&draft.insured_national_code)
        .map_err(|e| errors.push(FieldError::new("insured_national_code", "invalid", e.to_string())))
        .ok();
    let item_type = ItemType::parse(&draft.item_type);
    if item_type.is_none() {
        errors.push(FieldError::new("item_type", "one_of", "choose the kind of item"));
    }
    let code = normalize_identifier(&draft.code);
    if code.is_empty() || code.chars().count() > 32 {
        errors.push(FieldError::new("code", "length", "1 to 32 characters"));
    }
    let quantity = crate::domain::text::ascii_digits(&draft.quantity).parse::<Decimal>().ok();
    if quantity.is_none() {
        errors.push(FieldError::new("quantity", "invalid", "a number, e.g. 1 or 2.5"));
    }
    let diagnoses: Vec<String> = draft
        .diagnoses
        .split([',', '،', ' '])
        .map(|d| d.trim().to_uppercase())
        .filter(|d| !d.is_empty())
        .collect();
    if diagnoses.len() > 20 {
        errors.push(FieldError::new("diagnoses", "length", "at most 20 codes"));
    }
    if draft.justification.is_empty() || draft.justification.chars().count() > 4000 {
        errors.push(FieldError::new("justification", "length", "1 to 4000 characters"));
    }
    let upload = form.upload(limit);
    let result = async {
        let upload = upload?;
        match &upload {
            Some(u) => precheck(u)?,
            None => errors.push(FieldError::new("file", "required", "attach the clinical document")),
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let (Some(national), Some(item_type), Some(quantity), Some(upload)) =
            (national, item_type, quantity, upload)
        else {
            return Err(AppError::internal("checked above"));
        };
        let new = services::preauth::NewRequest {
            national_code: national.to_string(),
            item_type,
            code,
            quantity,
            diagnoses,
            justification: draft.justification.clone(),
        };
        let view = services::preauth::request(&state, s.caller.clone(), new).await?;
        services::attachments::attach_to_case(
            &state,
            s.caller.clone(),
            CaseKind::Preauthorization,
            view.id.to_string(),
            upload,
        )
        .await?;
        Ok(view.id.to_string())
    }
    .await;
    match result {
        Ok(id) => Ok(see_other(&format!("/console/provider/preauthorizations/{id}?done=requested"))),
        Err(e) if e.http_status() < 500 && e.http_status() != 403 => {
            let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            render(status, &new_preauth_page(&s, draft, Some(e)))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "console/provider_preauth.html")]
pub struct PreauthPage {
    pub layout: Layout,
    pub id: String,
    pub insured: String,
    pub item_type: String,
    pub code: String,
    pub description: String,
    pub quantity: String,
    pub diagnoses: Vec<String>,
    pub justification: String,
    pub requested: Day,
    pub decided: Option<Day>,
    pub status: &'static str,
    pub status_class: &'static str,
    pub approved: bool,
    pub rejected: bool,
    pub approved_quantity: String,
    pub remaining: String,
    pub valid_from: String,
    pub valid_to: String,
    pub reason: Option<(String, &'static str)>,
    pub note: String,
    pub uses: Vec<(String, i32, String)>,
    pub docs: Vec<Doc>,
    pub notice: Option<&'static str>,
}

/// `GET /console/provider/preauthorizations/{id}`: the request, its documents and the
/// decision (`preauth::get`; another provider's is a 404).
pub async fn preauth(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    require_provider(&s)?;
    let id = id.into_inner();
    let p = services::preauth::get(&state, s.caller.clone(), id.clone().into()).await?;
    let views =
        services::attachments::list_case(&state, s.caller.clone(), CaseKind::Preauthorization, id.clone())
            .await?;
    let page = PreauthPage {
        layout: Layout::signed("درخواست تأیید قبلی", &s, "p-preauth"),
        description: services::preauth::code_description(&state, &p.item_type, &p.code).unwrap_or_default(),
        docs: docs(&views, &format!("/console/provider/preauthorizations/{id}")),
        id,
        insured: p.insured_national_code,
        item_type: ItemType::parse(&p.item_type).map(item_type_fa).unwrap_or("").to_string(),
        code: p.code,
        quantity: p.quantity,
        diagnoses: p.diagnoses,
        justification: p.justification,
        requested: Day::of_rfc3339(&p.requested_at),
        decided: p.decided_at.as_deref().map(Day::of_rfc3339),
        status: p.status.name_fa(),
        status_class: preauth_class(p.status),
        approved: p.status == PreauthStatus::Approved,
        rejected: p.status == PreauthStatus::Rejected,
        approved_quantity: p.approved_quantity.unwrap_or_default(),
        remaining: p.remaining_quantity.unwrap_or_default(),
        valid_from: p.valid_from_jalali.as_deref().map(jalali_slash).unwrap_or_default(),
        valid_to: p.valid_to_jalali.as_deref().map(jalali_slash).unwrap_or_default(),
        reason: p.decision_reason.map(|r| (r, p.decision_message_fa.unwrap_or(""))),
        note: p.decision_note.unwrap_or_default(),
        uses: p.uses.into_iter().map(|u| (u.claim_id.to_string(), u.line_no, u.quantity)).collect(),
        notice: (q.done == "requested").then_some("درخواست ثبت شد و نزد پزشک معتمد است."),
    };
    render(StatusCode::OK, &page)
}

/// `GET /console/provider/preauthorizations/{id}/files/{attachment_id}`.
pub async fn preauth_file(
    state: web::Data<ServiceContext>,
    signed: Signed,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    require_provider(&s)?;
    let (case_id, id) = path.into_inner();
    case_file(&state, s, CaseKind::Preauthorization, case_id, id).await
}

// ---------------------------------------------------------------------------------------------
// Monthly lists (فهرست ماهانه): upload, progress, per-document results.

pub struct BatchRow {
    pub id: String,
    pub received: Day,
    pub total: i32,
    pub succeeded: i64,
    pub failed: i64,
    pub status: &'static str,
    pub status_class: &'static str,
}

fn batch_status_fa(s: BatchStatus) -> &'static str {
    match s {
        BatchStatus::Queued => "در نوبت",
        BatchStatus::Processing => "در حال رسیدگی",
        BatchStatus::Done => "پایان یافت",
    }
}

fn batch_class(s: BatchStatus) -> &'static str {
    match s {
        BatchStatus::Done => "ok",
        _ => "pend",
    }
}

#[derive(Template)]
#[template(path = "console/provider_batches.html")]
pub struct BatchesPage {
    pub layout: Layout,
    pub rows: Vec<BatchRow>,
    pub header: String,
    pub problem: Option<(String, Vec<(String, String)>)>,
    pub limit: i64,
}

async fn batches_page(
    state: &ServiceContext,
    s: &Session,
    problem: Option<AppError>,
) -> Result<BatchesPage, ConsoleError> {
    let list = services::batches::list_own(state, s.caller.clone()).await?;
    Ok(BatchesPage {
        layout: Layout::signed("فهرست ماهانه", s, "p-batches"),
        rows: list
            .into_iter()
            .map(|b| BatchRow {
                id: b.id.to_string(),
                received: Day::of_rfc3339(&b.created_at),
                total: b.total,
                succeeded: b.succeeded,
                failed: b.failed,
                status: batch_status_fa(b.status),
                status_class: batch_class(b.status),
            })
            .collect(),
        header: crate::api::batches::CSV_HEADER.join(","),
        problem: problem.map(|e| (e.detail(), problem_fields(&e))),
        limit: services::batches::RECENT_LISTS,
    })
}

/// `GET /console/provider/batches`: the upload form and the provider's recent lists.
pub async fn batches(state: web::Data<ServiceContext>, signed: Signed) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    require_provider(&s)?;
    render(StatusCode::OK, &batches_page(&state, &s, None).await?)
}

/// `POST /console/provider/batches` (multipart: `csrf`, `file`): the CSV read as the API reads
/// `text/csv` (`api::batches::csv_documents`), then `batches::create`; to the list's page,
/// which follows its progress. A file that cannot be read (header, a malformed row) is the form
/// again with the problem.
pub async fn batch_upload(
    state: web::Data<ServiceContext>,
    signed: Signed,
    form: Multipart,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    let limit = state.config.max_json_bytes;
    let form = read_multipart(form, limit).await?;
    s.verify_csrf(&form.get("csrf"))?;
    require_provider(&s)?;
    let result = async {
        if form.too_large {
            return Err(AppError::PayloadTooLarge(format!("the list is larger than {limit} bytes")));
        }
        let (_, bytes) =
            form.file().ok_or_else(|| AppError::field("file", "required", "choose the CSV file"))?;
        let documents = crate::api::batches::csv_documents(&bytes)?;
        services::batches::create(&state, s.caller.clone(), documents).await
    }
    .await;
    match result {
        Ok(view) => Ok(see_other(&format!("/console/provider/batches/{}", view.id))),
        Err(e) if e.http_status() < 500 && e.http_status() != 403 => {
            let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            render(status, &batches_page(&state, &s, Some(e)).await?)
        }
        Err(e) => Err(e.into()),
    }
}

pub struct BatchItem {
    pub seq: i32,
    pub document_no: String,
    pub claim_id: Option<String>,
    pub accepted: bool,
    pub pending: bool,
    pub result: &'static str,
    pub detail: String,
    pub errors: Vec<(String, String)>,
}

/// The list's progress and results: the page's body and the fragment htmx polls.
#[derive(Template)]
#[template(path = "console/provider_batch_progress.html")]
pub struct BatchProgress {
    pub id: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub done: bool,
    pub total: i32,
    pub processed: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub percent: i64,
    pub items: Vec<BatchItem>,
}

#[derive(Template)]
#[template(path = "console/provider_batch.html")]
pub struct BatchPage {
    pub layout: Layout,
    pub received: Day,
    pub progress: BatchProgress,
}

async fn batch_progress(
    state: &ServiceContext,
    s: &Session,
    id: String,
) -> Result<(BatchProgress, Day), ConsoleError> {
    let b = services::batches::get(state, s.caller.clone(), id.into()).await?;
    let done = b.status == BatchStatus::Done;
    let items = b
        .items
        .into_iter()
        .map(|i| {
            let error = i.error.unwrap_or(serde_json::Value::Null);
            let errors = error["errors"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|f| {
                            (
                                f["field"].as_str().unwrap_or("").to_string(),
                                f["message"].as_str().unwrap_or("").to_string(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let resent = i.http_status == Some(200);
            BatchItem {
                accepted: i.status == ItemStatus::Done,
                pending: i.status == ItemStatus::Pending,
                result: match i.status {
                    ItemStatus::Pending => "در نوبت",
                    ItemStatus::Done if resent => "پذیرفته (تکراری، همان سند قبلی)",
                    ItemStatus::Done => "پذیرفته",
                    ItemStatus::Failed => "رد شد",
                },
                seq: i.seq,
                document_no: i.provider_document_no.unwrap_or_default(),
                claim_id: i.claim_id.map(|c| c.to_string()),
                detail: error["detail"].as_str().unwrap_or("").to_string(),
                errors,
            }
        })
        .collect();
    let percent = if b.total > 0 { b.processed * 100 / i64::from(b.total) } else { 100 };
    Ok((
        BatchProgress {
            id: b.id.to_string(),
            status: batch_status_fa(b.status),
            status_class: batch_class(b.status),
            done,
            total: b.total,
            processed: b.processed,
            succeeded: b.succeeded,
            failed: b.failed,
            percent,
            items,
        },
        Day::of_rfc3339(&b.created_at),
    ))
}

/// `GET /console/provider/batches/{id}`: the list's progress (polled by htmx while it runs) and
/// each document's result (`batches::get`, as `GET /api/v1/claim-batches/{id}`; another
/// provider's list is a 404).
pub async fn batch(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    require_provider(&s)?;
    let (progress, received) = batch_progress(&state, &s, id.into_inner()).await?;
    let page =
        BatchPage { layout: Layout::signed("فهرست ماهانه", &s, "p-batches"), received, progress };
    render(StatusCode::OK, &page)
}

/// `GET /console/provider/batches/{id}/progress`: the progress fragment htmx swaps in every
/// second until the list is done.
pub async fn batch_poll(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    require_provider(&s)?;
    let (progress, _) = batch_progress(&state, &s, id.into_inner()).await?;
    render(StatusCode::OK, &progress)
}
