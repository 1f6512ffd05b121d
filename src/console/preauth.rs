//! The medical advisor's pre-authorization inbox (کارتابل تأیید قبلی پزشک معتمد): the requests
//! in the advisor's scope (`services::preauth::inbox`, the API list's scope) with their filters
//! in the URL, counts by status, sort and pages; the request's page (provider, insured person
//! and eligibility today, the requested service with its tariff description, the provider's
//! justification, the documents inline) with the decision form, which calls
//! `services::preauth::decide` as `POST /api/v1/preauthorizations/{id}/decision` does. A
//! decided request shows its decision read-only.
//!
//! Only the API's `MedicalAdvisors` decide, so only they have the inbox: every other role gets
//! the same 403 as the API's decision route. A request outside the advisor's scope is a 404.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::auth::{MedicalAdvisors, RoleSet};
use crate::console::format::Day;
use crate::console::listing::{self, Choice, PageLink};
use crate::console::session::{Session, Signed};
use crate::console::{render, see_other, ConsoleError, Layout};
use crate::context::ServiceContext;
use crate::domain::lifecycle::preauth::PreauthStatus;
use crate::domain::pricing::ItemType;
use crate::domain::text::normalize_identifier;
use crate::error::{AppError, FieldError};
use crate::services;
use crate::services::attachments::CaseKind;
use crate::services::preauth::{AdvisorDecision, PreauthView, Verdict};
use crate::store::preauth::{InboxFilter, InboxSort};
use crate::store::providers::ProviderFilter;

/// Page sizes offered.
const PAGE_SIZES: [i64; 3] = [20, 50, 100];

fn require_advisor(s: &Session) -> Result<(), ConsoleError> {
    s.caller.require_any(MedicalAdvisors::ROLES).map_err(ConsoleError::from)
}

/// The inbox's query string, every field as typed. `status` empty means waiting requests
/// (what the advisor has to do); `all` lists every status.
#[derive(Deserialize, Default, Clone)]
pub struct InboxQuery {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub page: String,
    #[serde(default)]
    pub per: String,
}

struct Parsed {
    filter: InboxFilter,
    page: i64,
    per: i64,
    /// The status shown: `requested`, `approved`, `rejected` or `all`.
    status: String,
}

fn parse(q: &InboxQuery) -> Result<Parsed, AppError> {
    let mut errors = Vec::new();
    let (status, status_key) = match q.status.trim() {
        "" | "requested" => (Some(PreauthStatus::Requested), "requested".to_string()),
        "all" => (None, "all".to_string()),
        t => match PreauthStatus::parse(t) {
            Some(s) => (Some(s), t.to_string()),
            None => {
                errors.push(FieldError::new(
                    "status",
                    "one_of",
                    "must be requested, approved, rejected or all",
                ));
                (Some(PreauthStatus::Requested), "requested".to_string())
            }
        },
    };
    let sort = match q.sort.trim() {
        "" | "oldest" => InboxSort::Oldest,
        "newest" => InboxSort::Newest,
        _ => {
            errors.push(FieldError::new("sort", "one_of", "must be oldest or newest"));
            InboxSort::Oldest
        }
    };
    let page = listing::page_number(&q.page, &mut errors);
    let per = listing::page_size(&q.per, PAGE_SIZES[0], &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    Ok(Parsed {
        filter: InboxFilter {
            status,
            provider_id: text(&q.provider).map(Into::into),
            code: text(&q.code).map(|c| normalize_identifier(&c)),
            sort,
            limit: per,
            offset: (page - 1).saturating_mul(per),
            ..InboxFilter::default()
        },
        page,
        per,
        status: status_key,
    })
}

/// The query string of `q` with some fields replaced (empty values left out).
/// The list's query as (name, value) pairs, in the URL's order.
fn query_pairs(q: &InboxQuery) -> Vec<(&'static str, String)> {
    vec![
        ("status", q.status.clone()),
        ("provider", q.provider.clone()),
        ("code", q.code.clone()),
        ("sort", q.sort.clone()),
        ("page", q.page.clone()),
        ("per", q.per.clone()),
    ]
}

fn href(q: &InboxQuery, changes: &[(&str, String)]) -> String {
    let pairs = query_pairs(q);
    listing::href("/console/preauthorizations", pairs, changes)
}

fn status_class(s: PreauthStatus) -> &'static str {
    match s {
        PreauthStatus::Requested => "pend",
        PreauthStatus::Approved => "ok",
        PreauthStatus::Rejected => "bad",
    }
}

fn item_type_fa(t: &str) -> &'static str {
    match ItemType::parse(t) {
        Some(ItemType::Service) => "خدمت",
        Some(ItemType::Visit) => "ویزیت",
        Some(ItemType::Drug) => "دارو",
        Some(ItemType::Device) => "وسیلهٔ کمک‌پزشکی",
        Some(ItemType::BedDay) => "تخت‌روز",
        None => "—",
    }
}

/// The providers the advisor sees, by id (for the filter and the rows).
async fn providers(state: &ServiceContext, s: &Session) -> Result<Vec<(String, String)>, ConsoleError> {
    let rows = services::providers::list(
        state,
        s.caller.clone(),
        ProviderFilter { limit: 500, ..Default::default() },
    )
    .await?;
    Ok(rows.into_iter().map(|p| (p.id.into_string(), p.name_fa)).collect())
}

pub struct InboxRow {
    pub id: String,
    pub requested: Day,
    pub provider: String,
    pub national_code: String,
    pub code: String,
    pub item_type: &'static str,
    pub description: String,
    pub quantity: String,
    pub status: &'static str,
    pub status_class: &'static str,
}

/// A count above the table; a link to the inbox of that status.
pub struct StatusCount {
    pub label: &'static str,
    pub count: i64,
    pub href: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "console/preauth_inbox.html")]
pub struct InboxPage {
    pub layout: Layout,
    pub q: InboxQuery,
    pub rows: Vec<InboxRow>,
    pub counts: Vec<StatusCount>,
    pub total: i64,
    pub first: i64,
    pub last: i64,
    pub providers: Vec<Choice>,
    pub sorts: Vec<Choice>,
    pub sizes: Vec<Choice>,
    /// The page-size form's target and hidden fields (the filters kept).
    pub list_path: &'static str,
    pub kept: Vec<(&'static str, String)>,
    pub pages: Vec<PageLink>,
    pub status: String,
    pub status_label: &'static str,
    pub filtered: bool,
    pub errors: Vec<(String, String)>,
    pub csv_href: String,
}

fn status_label(key: &str) -> &'static str {
    match key {
        "all" => "همهٔ درخواست‌ها",
        k => PreauthStatus::parse(k).map(|s| s.name_fa()).unwrap_or("—"),
    }
}

/// `GET /console/preauthorizations`.
pub async fn inbox(
    state: web::Data<ServiceContext>,
    signed: Signed,
    q: web::Query<InboxQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    require_advisor(&s)?;
    let q = q.into_inner();
    let providers = providers(&state, &s).await?;
    let (parsed, errors) = match parse(&q) {
        Ok(p) => (p, Vec::new()),
        Err(AppError::Validation(errs)) => (
            parse(&InboxQuery::default())?,
            errs.into_iter().map(|e| (e.field, e.message)).collect::<Vec<_>>(),
        ),
        Err(e) => return Err(e.into()),
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let inbox = services::preauth::inbox(&state, s.caller.clone(), parsed.filter.clone()).await?;
    let name_of = |id: &str| {
        providers.iter().find(|(p, _)| p == id).map(|(_, n)| n.clone()).unwrap_or_else(|| id.to_string())
    };
    let rows: Vec<InboxRow> = inbox
        .items
        .iter()
        .map(|r| InboxRow {
            id: r.id.to_string(),
            requested: Day::of_rfc3339(&r.requested_at),
            provider: name_of(r.provider_id.as_str()),
            national_code: r.insured_national_code.clone(),
            code: r.code.clone(),
            item_type: item_type_fa(&r.item_type),
            description: services::preauth::code_description(&state, &r.item_type, &r.code)
                .unwrap_or_default(),
            quantity: r.quantity.clone(),
            status: r.status.name_fa(),
            status_class: status_class(r.status),
        })
        .collect();
    let all: i64 = inbox.by_status.iter().map(|(_, n)| n).sum();
    let mut counts: Vec<StatusCount> = inbox
        .by_status
        .iter()
        .map(|(st, n)| StatusCount {
            label: st.name_fa(),
            count: *n,
            href: href(&q, &[("status", st.as_str().to_string()), ("page", String::new())]),
            current: parsed.status == st.as_str(),
        })
        .collect();
    counts.push(StatusCount {
        label: "همه",
        count: all,
        href: href(&q, &[("status", "all".into()), ("page", String::new())]),
        current: parsed.status == "all",
    });
    let choice = |value: &str, label: String, current: &str| Choice {
        selected: value == current.trim(),
        value: value.to_string(),
        label,
    };
    let total = inbox.total;
    let page_href = |p: i64| href(&q, &[("page", if p == 1 { String::new() } else { p.to_string() })]);
    let pages = listing::pager(parsed.page, parsed.per, total, page_href);
    let first = if total == 0 { 0 } else { parsed.filter.offset + 1 };
    let last = parsed.filter.offset + rows.len() as i64;
    let page = InboxPage {
        layout: Layout::signed("درخواست‌های تأیید قبلی", &s, "preauth"),
        providers: providers.iter().map(|(id, name)| choice(id, name.clone(), &q.provider)).collect(),
        sorts: [("oldest", "قدیمی‌ترین اول"), ("newest", "تازه‌ترین اول")]
            .iter()
            .map(|(v, l)| choice(v, l.to_string(), if q.sort.trim().is_empty() { "oldest" } else { &q.sort }))
            .collect(),
        sizes: PAGE_SIZES
            .iter()
            .map(|n| choice(&n.to_string(), n.to_string(), &parsed.per.to_string()))
            .collect(),
        filtered: !q.provider.trim().is_empty() || !q.code.trim().is_empty(),
        status_label: status_label(&parsed.status),
        csv_href: href(&q, &[("page", String::new()), ("per", String::new())]).replacen(
            "/console/preauthorizations",
            "/console/preauthorizations.csv",
            1,
        ),
        status: parsed.status,
        pages,
        counts,
        rows,
        total,
        list_path: "/console/preauthorizations",
        kept: listing::kept(query_pairs(&q)),
        first,
        last,
        errors,
        q,
    };
    render(status, &page)
}

/// The most rows one CSV export carries.
const CSV_MAX_ROWS: i64 = 20_000;

/// `GET /console/preauthorizations.csv`: the inbox under the same filters (every page, up to
/// `CSV_MAX_ROWS`) for a spreadsheet; dates both Jalali and ISO.
pub async fn csv(
    state: web::Data<ServiceContext>,
    signed: Signed,
    q: web::Query<InboxQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    require_advisor(&s)?;
    let providers = providers(&state, &s).await?;
    let mut filter = parse(&q)?.filter;
    filter.limit = 500;
    filter.offset = 0;
    let mut out = ::csv::Writer::from_writer(Vec::new());
    out.write_record([
        "preauthorization_id",
        "status",
        "provider_id",
        "provider",
        "insured_national_code",
        "item_type",
        "code",
        "quantity",
        "requested_jalali",
        "requested_at_utc",
        "approved_quantity",
        "valid_from",
        "valid_to",
        "decision_reason",
    ])
    .map_err(AppError::internal)?;
    loop {
        let page = services::preauth::inbox(&state, s.caller.clone(), filter.clone()).await?;
        let n = page.items.len() as i64;
        for r in page.items {
            let provider = providers
                .iter()
                .find(|(p, _)| p == r.provider_id.as_str())
                .map(|(_, n)| n.clone())
                .unwrap_or_default();
            out.write_record([
                r.id.as_str(),
                r.status.as_str(),
                r.provider_id.as_str(),
                provider.as_str(),
                r.insured_national_code.as_str(),
                r.item_type.as_str(),
                r.code.as_str(),
                r.quantity.as_str(),
                &Day::of_rfc3339(&r.requested_at).jalali,
                r.requested_at.as_str(),
                r.approved_quantity.as_deref().unwrap_or(""),
                &r.valid_from.map(|d| d.to_string()).unwrap_or_default(),
                &r.valid_to.map(|d| d.to_string()).unwrap_or_default(),
                r.decision_reason.as_deref().unwrap_or(""),
            ])
            .map_err(AppError::internal)?;
        }
        filter.offset += n;
        if n < filter.limit || filter.offset >= CSV_MAX_ROWS {
            break;
        }
    }
    let bytes = out.into_inner().map_err(AppError::internal)?;
    // A byte-order mark so that spreadsheet programs read the Persian names as UTF-8.
    let mut body = "\u{feff}".as_bytes().to_vec();
    body.extend(bytes);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"preauthorizations.csv\""))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// One document of the request's file, as shown.
pub struct Doc {
    pub no: usize,
    pub url: String,
    pub kind: &'static str,
    pub document_type: &'static str,
    pub is_image: bool,
    pub is_pdf: bool,
    pub day: Day,
    pub size_kb: i64,
}

/// The documents of a case for the page: all of them, each inline (a request has a few).
pub fn docs(views: &[services::attachments::AttachmentView], base: &str) -> Vec<Doc> {
    views
        .iter()
        .enumerate()
        .map(|(i, a)| Doc {
            no: i + 1,
            url: format!("{base}/files/{}", a.id),
            kind: match a.content_type.as_str() {
                "application/pdf" => "PDF",
                "image/jpeg" => "JPEG",
                "image/png" => "PNG",
                _ => "TIFF",
            },
            document_type: crate::console::claims::document_type_fa(&a.document_type),
            is_image: matches!(a.content_type.as_str(), "image/jpeg" | "image/png"),
            is_pdf: a.content_type == "application/pdf",
            day: Day::of_rfc3339(&a.created_at),
            size_kb: (a.size_bytes + 1023) / 1024,
        })
        .collect()
}

/// The insured person as the request page shows them.
pub struct Person {
    pub name: String,
    pub born: Day,
    /// Eligibility today: `(eligible, the rule's words in Persian)`.
    pub eligibility: Option<(bool, String)>,
}

/// The decision form as typed (shown again when the decision is refused).
#[derive(Deserialize, Default)]
pub struct DecisionForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub decision: String,
    #[serde(default)]
    pub approved_quantity: String,
    #[serde(default)]
    pub valid_from: String,
    #[serde(default)]
    pub valid_to: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub note: String,
}

pub struct ReasonChoice {
    pub code: &'static str,
    pub text: &'static str,
}

/// A claim line that used the approval.
pub struct Use {
    pub claim_id: String,
    pub line_no: i32,
    pub quantity: String,
    pub status: &'static str,
}

#[derive(Template)]
#[template(path = "console/preauth.html")]
pub struct RequestPage {
    pub layout: Layout,
    pub r: PreauthView,
    pub status: &'static str,
    pub status_class: &'static str,
    pub requested: Day,
    pub provider: String,
    pub person: Option<Person>,
    pub item_type: &'static str,
    pub description: String,
    pub docs: Vec<Doc>,
    pub decided: bool,
    pub valid_from: Option<Day>,
    pub valid_to: Option<Day>,
    pub decided_on: Option<Day>,
    pub decision_reason: Option<(String, &'static str)>,
    pub uses: Vec<Use>,
    pub form: DecisionForm,
    pub reasons: Vec<ReasonChoice>,
    pub notice: Option<&'static str>,
    pub problem: Option<(String, Vec<(String, String)>)>,
    /// Today in the Jalali calendar (`1403/07/19`): the form's default start.
    pub today: String,
    pub max_days: i64,
}

impl RequestPage {
    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.problem.as_ref()?.1.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }
}

#[derive(Deserialize, Default)]
pub struct RequestQuery {
    pub done: Option<String>,
}

async fn build(
    state: &ServiceContext,
    s: &Session,
    id: String,
    form: DecisionForm,
    notice: Option<&'static str>,
    problem: Option<(String, Vec<(String, String)>)>,
) -> Result<RequestPage, ConsoleError> {
    let r = services::preauth::get(state, s.caller.clone(), id.clone().into()).await?;
    let provider = services::providers::get(state, s.caller.clone(), r.provider_id.clone())
        .await
        .map(|p| p.name_fa)
        .unwrap_or_else(|_| r.provider_id.to_string());
    let today = state.now().date();
    let person = match crate::domain::ids::NationalCode::parse(&r.insured_national_code) {
        Ok(code) => {
            let p = services::insured::get(state, s.caller.clone(), code.clone()).await.ok();
            let e = services::insured::eligibility(state, s.caller.clone(), code, today).await.ok();
            p.map(|p| Person {
                name: format!("{} {}", p.first_name, p.last_name),
                born: Day::of(p.birth_date),
                eligibility: e.map(|e| (e.eligible, e.reason_fa.to_string())),
            })
        }
        Err(_) => None,
    };
    let files =
        services::attachments::list_case(state, s.caller.clone(), CaseKind::Preauthorization, id.clone())
            .await?;
    let decided = r.status != PreauthStatus::Requested;
    let page = RequestPage {
        layout: Layout::signed(format!("درخواست تأیید قبلی {}", r.code), s, "preauth"),
        status: r.status.name_fa(),
        status_class: status_class(r.status),
        requested: Day::of_rfc3339(&r.requested_at),
        provider,
        person,
        item_type: item_type_fa(&r.item_type),
        description: services::preauth::code_description(state, &r.item_type, &r.code).unwrap_or_default(),
        docs: docs(&files, &format!("/console/preauthorizations/{id}")),
        decided,
        valid_from: r.valid_from.map(Day::of),
        valid_to: r.valid_to.map(Day::of),
        decided_on: r.decided_at.as_deref().map(Day::of_rfc3339),
        decision_reason: r.decision_reason.as_ref().map(|c| (c.clone(), r.decision_message_fa.unwrap_or(""))),
        uses: r
            .uses
            .iter()
            .map(|u| Use {
                claim_id: u.claim_id.to_string(),
                line_no: u.line_no,
                quantity: u.quantity.clone(),
                status: u.status.name_fa(),
            })
            .collect(),
        form,
        reasons: services::preauth::REFUSAL_REASONS
            .iter()
            .map(|r| ReasonChoice { code: r.code(), text: r.message_fa() })
            .collect(),
        notice,
        problem,
        today: Day::of(today).jalali,
        max_days: services::preauth::MAX_VALIDITY_DAYS,
        r,
    };
    Ok(page)
}

/// `GET /console/preauthorizations/{id}`.
pub async fn page(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    q: web::Query<RequestQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    require_advisor(&s)?;
    let notice = match q.done.as_deref() {
        Some("approved") => Some("درخواست تأیید شد و به مرکز درمانی اطلاع داده می‌شود."),
        Some("rejected") => Some("درخواست رد شد و به مرکز درمانی اطلاع داده می‌شود."),
        _ => None,
    };
    let page = build(&state, &s, id.into_inner(), DecisionForm::default(), notice, None).await?;
    render(StatusCode::OK, &page)
}

/// The form as the use case's decision; errors name the API's fields.
fn decision_of(f: &DecisionForm) -> Result<AdvisorDecision, AppError> {
    let mut errors = Vec::new();
    let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let decision = match f.decision.trim() {
        "approve" => Verdict::Approve,
        "reject" => Verdict::Reject,
        _ => {
            return Err(AppError::Validation(vec![FieldError::new(
                "decision",
                "one_of",
                "choose approve or reject",
            )]))
        }
    };
    let approve = decision == Verdict::Approve;
    let date = |field: &str, v: &str, errors: &mut Vec<FieldError>| {
        let v = v.trim();
        if v.is_empty() {
            return None;
        }
        crate::domain::jalali::parse_date(v)
            .map_err(|e| errors.push(FieldError::new(field, "invalid_date", e.to_string())))
            .ok()
    };
    // Only the fields of the chosen decision are sent, as an API client would.
    let approved_quantity = match (approve, f.approved_quantity.trim()) {
        (false, _) | (true, "") => None,
        (true, q) => match crate::domain::text::ascii_digits(q).parse::<Decimal>() {
            Ok(q) => Some(q),
            Err(_) => {
                errors.push(FieldError::new("approved_quantity", "number", "a quantity"));
                None
            }
        },
    };
    let valid_from = if approve { date("valid_from", &f.valid_from, &mut errors) } else { None };
    let valid_to = if approve { date("valid_to", &f.valid_to, &mut errors) } else { None };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok(AdvisorDecision {
        decision,
        approved_quantity,
        valid_from,
        valid_to,
        reason: if approve { None } else { text(&f.reason) },
        note: text(&f.note),
    })
}

/// `POST /console/preauthorizations/{id}/decision`: the advisor's decision through
/// `services::preauth::decide`; back to the request (PRG). A refused decision shows the page
/// again with the form as typed and each field's message beside it (422), or the conflict
/// (409: decided meanwhile).
pub async fn decide(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    form: web::Form<DecisionForm>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    s.verify_csrf(&form.csrf)?;
    require_advisor(&s)?;
    let id = id.into_inner();
    let form = form.into_inner();
    let result = match decision_of(&form) {
        Ok(d) => services::preauth::decide(&state, s.caller.clone(), id.clone().into(), d).await,
        Err(e) => Err(e),
    };
    let e = match result {
        Ok(r) => {
            let done = if r.status == PreauthStatus::Approved { "approved" } else { "rejected" };
            return Ok(see_other(&format!("/console/preauthorizations/{id}?done={done}")));
        }
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => e,
        Err(e) => return Err(e.into()),
    };
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    let fields = match &e {
        AppError::Validation(errors) => errors.iter().map(|f| (f.field.clone(), f.message.clone())).collect(),
        _ => Vec::new(),
    };
    let page = build(&state, &s, id, form, None, Some((e.detail(), fields))).await?;
    render(status, &page)
}

/// A case document through `services::attachments::download_case` (the API download's use
/// case and scope: another office's request or objection is a 404), inline, never sniffed,
/// framed only by the console itself.
pub async fn case_file(
    state: &ServiceContext,
    s: Session,
    kind: CaseKind,
    case_id: String,
    id: String,
) -> Result<HttpResponse, ConsoleError> {
    let (content_type, _, bytes) =
        services::attachments::download_case(state, s.caller, kind, case_id, id.into()).await?;
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CONTENT_DISPOSITION, "inline"))
        .insert_header((header::X_FRAME_OPTIONS, "SAMEORIGIN"))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}

/// `GET /console/preauthorizations/{id}/files/{attachment_id}`.
pub async fn file(
    state: web::Data<ServiceContext>,
    signed: Signed,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    require_advisor(&s)?;
    let (case_id, id) = path.into_inner();
    case_file(&state, s, CaseKind::Preauthorization, case_id, id).await
}
