//! The insured person's own reimbursement requests (بازپرداخت‌های من), mobile first: file one
//! for themselves or a dependant, photograph and upload its documents, watch the checklist
//! fill, submit, follow each status and read the decision with its reasons.
//!
//! Every action is the use case the API and the office's pages run — filing
//! (`services::reimbursements::file`, through the office form's own reader
//! `console::reimbursements::file_form`), documents (`services::attachments`), submission —
//! with the insured person's `Caller`, so the rules and the scope are theirs: a request of
//! another family is a 404 page, and every other role is refused (403). The office's reviewers
//! keep their own pages under `/console/reimbursements`.
//!
//! **What differs from the office's form.** The person files as themselves: the main insured and
//! the account's owner are their own national code, not typed; the patient is chosen from their
//! family; the office is chosen from the active offices (the last one used first). A dependant's
//! own login reads its requests but files none (the use case's rule: the main insured files).
//!
//! **Photographs.** The upload offers the camera (`capture`) and the file picker; a phone's
//! JPEG is stored as taken. Its EXIF orientation is left to the browser, which shows it upright
//! (`image-orientation: from-image`, the default), here and on the reviewer's page alike. The
//! size limit is `ASNAD_MAX_ATTACHMENT_BYTES` (10 MB by default: a 12-megapixel phone photo is
//! 3–8 MB); `console.js` warns before sending a larger file, and the server refuses it with the
//! same words if the warning was skipped.

use std::collections::BTreeMap;

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::Role;
use crate::console::claims::document_type_fa;
use crate::console::format::{tehran, Day, Rials};
use crate::console::listing::{self, Choice, PageLink};
use crate::console::preauth::{case_file, docs, Doc};
use crate::console::reimbursements::{
    action_fa, add_rows, attach, benefit_fa, blank_lines, file_form, line_class, problem_fields, read_lines,
    shown_on_page, status_class, Filed, LineInput, Problem, ITEM_TYPES,
};
use crate::console::session::{Session, Signed};
use crate::console::upload::read_multipart;
use crate::console::{field, render, see_other, ConsoleError, Layout, Pairs};
use crate::context::ServiceContext;
use crate::domain::adjudication::{ClaimKind, Setting};
use crate::domain::lifecycle::reimbursement::ReimbursementStatus;
use crate::domain::provider::ProviderKind;
use crate::domain::reimbursement::{Benefit, DOCUMENT_TYPES};
use crate::domain::tariff::Sector;
use crate::services;
use crate::services::attachments::CaseKind;
use crate::services::portal::FilingChoices;
use crate::services::reimbursements::{OfficeListFilter, ReimbursementView};

/// The list's path.
const LIST: &str = "/console/me/reimbursements";
/// Requests per page: a phone screen holds a few cards.
const PER_PAGE: i64 = 10;

fn insured(s: &Session) -> Result<(), ConsoleError> {
    s.caller.require_any(&[Role::Insured]).map_err(ConsoleError::from)
}

/// The last 8 characters of a request's id: what the person reads to the office on the phone.
fn short(id: &str) -> String {
    id[id.len().saturating_sub(8)..].to_string()
}

// ---------------------------------------------------------------------------------------------
// The list

/// A request in the list.
pub struct Card {
    pub id: String,
    pub short_id: String,
    pub benefit: &'static str,
    pub provider: String,
    pub patient: String,
    pub filed: Day,
    pub status: &'static str,
    pub status_class: &'static str,
    pub paid: Rials,
    /// The decided reimbursement; `None` until decided (the estimate is not a promise).
    pub reimbursed: Option<Rials>,
    /// Documents still missing from a draft.
    pub missing: usize,
    pub is_draft: bool,
}

#[derive(Template)]
#[template(path = "console/me_reimbursements.html")]
pub struct ListPage {
    pub layout: Layout,
    pub cards: Vec<Card>,
    pub may_file: bool,
    pub total: i64,
    pub first: i64,
    pub last: i64,
    pub pages: Vec<PageLink>,
    pub sizes: Vec<Choice>,
    pub list_path: &'static str,
    pub kept: Vec<(&'static str, String)>,
    pub errors: Vec<(String, String)>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub page: String,
    #[serde(default)]
    pub per: String,
}

fn decided(status: ReimbursementStatus) -> bool {
    !matches!(
        status,
        ReimbursementStatus::Draft | ReimbursementStatus::InReview | ReimbursementStatus::AwaitingApproval
    )
}

/// `GET /console/me/reimbursements?page=&per=`: my requests, newest first.
pub async fn list(
    state: web::Data<ServiceContext>,
    signed: Signed,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    insured(&s)?;
    let mut errors = Vec::new();
    let page = listing::page_number(&q.page, &mut errors);
    let per = listing::page_size(&q.per, PER_PAGE, &mut errors);
    let choices = services::portal::filing_choices(&state, s.caller.clone()).await?;
    let result = services::reimbursements::office_list(
        &state,
        s.caller.clone(),
        OfficeListFilter { offset: (page - 1) * per, limit: per, ..OfficeListFilter::default() },
    )
    .await?;
    let name_of = |code: &str| {
        choices
            .family
            .iter()
            .find(|p| p.national_code == code)
            .map(|p| format!("{} ({})", p.name, p.relation_fa))
            .unwrap_or_else(|| code.to_string())
    };
    let cards: Vec<Card> = result
        .items
        .iter()
        .map(|r| Card {
            id: r.id.to_string(),
            short_id: short(r.id.as_str()),
            benefit: benefit_fa(&r.benefit),
            provider: r.provider_name.clone(),
            patient: name_of(&r.patient_national_code),
            filed: Day::of_rfc3339(&r.created_at),
            status: r.status.name_fa(),
            status_class: status_class(r.status),
            paid: Rials(r.totals.paid),
            reimbursed: decided(r.status).then_some(Rials(r.totals.reimbursed)),
            missing: r.missing_documents.len(),
            is_draft: r.status == ReimbursementStatus::Draft,
        })
        .collect();
    let pairs = || {
        vec![
            ("page", page.to_string()),
            ("per", if q.per.trim().is_empty() { String::new() } else { per.to_string() }),
        ]
    };
    let first = if cards.is_empty() { 0 } else { (page - 1) * per + 1 };
    let last = (page - 1) * per + cards.len() as i64;
    let view = ListPage {
        layout: Layout::signed("بازپرداخت‌های من", &s, "me-reimbursements"),
        may_file: choices.may_file,
        total: result.total,
        first,
        last,
        pages: listing::pager(page, per, result.total, |p| {
            listing::href(LIST, pairs(), &[("page", p.to_string())])
        }),
        sizes: [10, 20, 50]
            .into_iter()
            .map(|n| Choice { value: n.to_string(), label: n.to_string(), selected: n == per })
            .collect(),
        list_path: LIST,
        kept: listing::kept(pairs()),
        errors: errors.into_iter().map(|e| (e.field, e.message)).collect(),
        cards,
    };
    render(StatusCode::OK, &view)
}

// ---------------------------------------------------------------------------------------------
// Filing

/// The form's plain fields, in the API's `FileBody` names (the main insured and the account's
/// owner are the caller: not fields).
const MY_FIELDS: [&str; 17] = [
    "office_id",
    "patient_national_code",
    "benefit",
    "setting",
    "kind",
    "provider_name",
    "provider_kind",
    "provider_sector",
    "hospital_grade",
    "prescription_tracking_code",
    "prescribed_on",
    "admitted_on",
    "discharged_on",
    "travel.origin",
    "travel.destination",
    "travel.council_approval_no",
    "sheba",
];

/// A `<select>`'s options under one heading (`<optgroup>`).
pub struct OptionGroup {
    pub label: String,
    pub options: Vec<Choice>,
}

/// A code the form suggests (`<datalist>`): the value and its Persian name.
pub struct KnownCode {
    pub code: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "console/me_reimbursement_file.html")]
pub struct FilePage {
    pub layout: Layout,
    pub values: BTreeMap<String, String>,
    pub errors: Vec<(String, String)>,
    pub detail: Option<String>,
    pub lines: Vec<LineInput>,
    pub offices: Vec<OptionGroup>,
    pub family: Vec<Choice>,
    pub my_code: String,
    pub benefits: Vec<Choice>,
    pub settings: Vec<Choice>,
    pub kinds: Vec<Choice>,
    pub provider_kinds: Vec<Choice>,
    pub sectors: Vec<Choice>,
    pub item_types: Vec<(&'static str, &'static str)>,
    pub known_codes: Vec<KnownCode>,
    pub companion_needed: bool,
    /// The hospital stay's fields are shown open: filled in, refused, or a bed-day line.
    pub inpatient_open: bool,
    /// The travel fields are shown open: a travel request, or a travel field filled in.
    pub travel_open: bool,
}

impl FilePage {
    pub fn v(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    pub fn error_for(&self, name: &str) -> Option<&str> {
        self.errors.iter().find(|(f, _)| f == name).map(|(_, m)| m.as_str())
    }

    /// A refused field's name as the form labels it (the list above the form).
    pub fn label(&self, field: &str) -> String {
        label_fa(field)
    }
}

fn file_page(
    s: &Session,
    choices: &FilingChoices,
    mut values: BTreeMap<String, String>,
    lines: Vec<LineInput>,
    errors: Vec<(String, String)>,
    detail: Option<String>,
) -> FilePage {
    if !values.contains_key("office_id") {
        if let Some(o) = &choices.last_office {
            values.insert("office_id".into(), o.to_string());
        }
    }
    let v = |k: &str| values.get(k).cloned().unwrap_or_default();
    let choice = |value: &str, label: &str, current: &str| Choice {
        selected: value == current,
        value: value.to_string(),
        label: label.to_string(),
    };
    let benefit = v("benefit");
    let benefit = if benefit.is_empty() { "care".to_string() } else { benefit };
    let sector = v("provider_sector");
    let sector = if sector.is_empty() { "private".to_string() } else { sector };
    let office = v("office_id");
    let mut offices: Vec<OptionGroup> = Vec::new();
    for o in &choices.offices {
        let c = choice(o.id.as_str(), &o.name_fa, &office);
        match offices.last_mut() {
            Some(g) if g.label == o.province_fa => g.options.push(c),
            _ => offices.push(OptionGroup { label: o.province_fa.clone(), options: vec![c] }),
        }
    }
    let patient = v("patient_national_code");
    let patient = if patient.is_empty() { choices.national_code.clone() } else { patient };
    let touched = |keys: &[&str]| {
        keys.iter()
            .any(|k| values.keys().any(|x| x.starts_with(k)) || errors.iter().any(|(f, _)| f.starts_with(k)))
    };
    let inpatient_open = touched(&["hospital_grade", "admitted_on", "discharged_on"])
        || v("setting") == "inpatient"
        || lines.iter().any(|l| l.item_type == "bed_day");
    let travel_open = benefit == "travel" || touched(&["travel"]);
    FilePage {
        inpatient_open,
        travel_open,
        layout: Layout::signed("درخواست بازپرداخت تازه", s, "me-reimbursements"),
        offices,
        family: choices
            .family
            .iter()
            .map(|p| choice(&p.national_code, &format!("{} ({})", p.name, p.relation_fa), &patient))
            .collect(),
        my_code: choices.national_code.clone(),
        benefits: [Benefit::Care, Benefit::SupportItem, Benefit::Travel]
            .iter()
            .map(|b| choice(b.as_str(), b.name_fa(), &benefit))
            .collect(),
        settings: Setting::ALL.iter().map(|x| choice(x.as_str(), x.name_fa(), &v("setting"))).collect(),
        kinds: ClaimKind::ALL.iter().map(|x| choice(x.as_str(), x.name_fa(), &v("kind"))).collect(),
        provider_kinds: ProviderKind::ALL
            .iter()
            .map(|x| choice(x.as_str(), x.name_fa(), &v("provider_kind")))
            .collect(),
        sectors: Sector::ALL.iter().map(|x| choice(x.as_str(), x.name_fa(), &sector)).collect(),
        item_types: ITEM_TYPES.to_vec(),
        known_codes: choices
            .known_codes
            .iter()
            .map(|(_, code, name)| KnownCode { code: code.clone(), name: name.clone() })
            .collect(),
        companion_needed: v("travel.companion_needed") == "1",
        values,
        lines,
        errors,
        detail,
    }
}

/// A dependant's own login files nothing: the main insured does (the use case's rule, said here
/// in words rather than as a refused form).
fn may_file(choices: &FilingChoices) -> Result<(), ConsoleError> {
    if choices.may_file {
        Ok(())
    } else {
        Err(crate::error::AppError::forbidden(
            "a dependant's request is filed by the main insured (بیمه‌شدهٔ اصلی)",
        )
        .into())
    }
}

/// `GET /console/me/reimbursements/new`.
pub async fn new_form(
    state: web::Data<ServiceContext>,
    signed: Signed,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    insured(&s)?;
    let choices = services::portal::filing_choices(&state, s.caller.clone()).await?;
    may_file(&choices)?;
    // Two blank rows: a phone shows them without scrolling past the form; "ردیف بیشتر" adds more.
    let page = file_page(&s, &choices, BTreeMap::new(), blank_lines(1, 2), Vec::new(), None);
    render(StatusCode::OK, &page)
}

/// `POST /console/me/reimbursements`: the draft filed as the caller (main insured and account
/// owner: themselves) with the office and patient chosen, then its page, where the documents
/// are added. A refusal shows the form again with every value kept (422).
pub async fn file(
    state: web::Data<ServiceContext>,
    signed: Signed,
    form: Pairs,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    s.verify_csrf(field(&form, "csrf"))?;
    insured(&s)?;
    let choices = services::portal::filing_choices(&state, s.caller.clone()).await?;
    may_file(&choices)?;
    let mut values: BTreeMap<String, String> = MY_FIELDS
        .iter()
        .map(|k| (k.to_string(), field(&form, k).to_string()))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    if field(&form, "travel.companion_needed") == "1" {
        values.insert("travel.companion_needed".into(), "1".into());
    }
    let mut lines = read_lines(&form);
    if !field(&form, "more").is_empty() {
        add_rows(&mut lines);
        return render(StatusCode::OK, &file_page(&s, &choices, values, lines, Vec::new(), None));
    }
    // The person files as themselves: the main insured and the account's owner.
    let mut sent = values.clone();
    sent.insert("insured_national_code".into(), choices.national_code.clone());
    sent.insert("sheba_owner_national_code".into(), choices.national_code.clone());
    let office = values.get("office_id").map(|o| o.as_str().into());
    match file_form(&state, s.caller.clone(), &sent, &mut lines, office, in_persian).await? {
        Filed::Done(id) => Ok(see_other(&format!("{LIST}/{id}?done=filed"))),
        Filed::Refused { status, detail, errors } => {
            render(status, &file_page(&s, &choices, values, lines, errors, Some(detail)))
        }
    }
}

/// A refused field in words for the person filing, not for an engineer: by the field's name and
/// the refusal's code. A refusal not listed keeps the use case's own (English) words, which are
/// still exact.
fn in_persian(e: &crate::error::FieldError) -> String {
    let name = e.field.rsplit('.').next().unwrap_or(&e.field);
    let name = name.split('[').next().unwrap_or(name);
    let date = name.ends_with("_on") || name == "service_date";
    let words = match (name, e.code.as_str()) {
        ("office_id", _) => "دفتر رسیدگی را انتخاب کنید.",
        ("lines", "length") => "دست‌کم یک ردیف هزینه بنویسید (حداکثر ۲۰۰ ردیف).",
        ("paid_amount", "number") => "مبلغ را به ریال و فقط با رقم بنویسید.",
        ("paid_amount", "range") => "مبلغ پرداختی باید بیش از صفر ریال باشد.",
        ("quantity", _) => "تعداد باید عددی بیش از صفر و حداکثر ۱۰٬۰۰۰ باشد.",
        ("hospital_grade", "required") => "برای روز بستری، درجهٔ بیمارستان (۱ تا ۵) را بنویسید.",
        ("hospital_grade", _) => "درجهٔ بیمارستان عددی از ۱ تا ۵ است.",
        ("item_type", _) => "این نوع ردیف با نوع درخواست جور نیست: درمان با ویزیت، خدمت، دارو و روز بستری؛ پروتز و اروتز با همان؛ سفر با ردیف‌های سفر.",
        ("code", "invalid_choice") => "یکی از ردیف‌های سفر را از فهرست انتخاب کنید.",
        ("code", _) => "کد خدمت یا دارو را از روی صورتحساب بنویسید.",
        (_, "future") => "تاریخ نمی‌تواند بعد از امروز باشد.",
        (_, "invalid" | "invalid_date") if date => "تاریخ را خورشیدی بنویسید، مانند 1403/07/15.",
        ("sheba", _) => "شمارهٔ شبا درست نیست: IR و پس از آن ۲۴ رقم، به نام خودتان.",
        ("patient_national_code", "not_dependant") => "این شخص از افراد تحت تکفل شما نیست.",
        ("patient_national_code", _) => "بیمار را از فهرست خانوادهٔ خود انتخاب کنید.",
        ("setting" | "kind", "required") => "برای درخواست درمان، نوع مراجعه و نوع خدمت را انتخاب کنید.",
        ("travel", "required") | ("origin" | "destination", _) => "برای درخواست سفر، مبدأ و مقصد را بنویسید.",
        ("provider_name", _) => "نام مرکز درمانی یا پزشک را بنویسید.",
        ("provider_kind", _) => "نوع مرکز درمانی را انتخاب کنید.",
        ("line_no", "duplicate") => "شمارهٔ ردیف تکراری است.",
        (_, "required") => "این مورد را پر کنید.",
        (_, "one_of" | "invalid_choice") => "یکی از گزینه‌های فهرست را انتخاب کنید.",
        _ => return e.message.clone(),
    };
    words.to_string()
}

/// A field's name as the form labels it, for the list of problems above the form.
fn label_fa(field: &str) -> String {
    let label = match field {
        "office_id" => "دفتر رسیدگی",
        "patient_national_code" => "بیمار",
        "benefit" => "نوع درخواست",
        "setting" => "نوع مراجعه",
        "kind" => "نوع خدمت",
        "provider_name" => "نام مرکز یا پزشک",
        "provider_kind" => "نوع مرکز",
        "provider_sector" => "بخش",
        "hospital_grade" => "درجهٔ بیمارستان",
        "prescription_tracking_code" => "کد رهگیری نسخه",
        "prescribed_on" => "تاریخ نسخه",
        "admitted_on" => "تاریخ پذیرش",
        "discharged_on" => "تاریخ ترخیص",
        "travel" | "travel.origin" => "مبدأ",
        "travel.destination" => "مقصد",
        "travel.council_approval_no" => "مجوز شورای پزشکی",
        "sheba" => "شمارهٔ شبا",
        "lines" => "ردیف‌های هزینه",
        _ => return field.to_string(),
    };
    label.to_string()
}

// ---------------------------------------------------------------------------------------------
// A request's page

/// A step of the request's way, as the page's progress shows it.
pub struct Step {
    pub label: &'static str,
    pub day: Option<Day>,
    pub done: bool,
    pub current: bool,
}

pub struct ReasonRow {
    pub code: String,
    pub text: &'static str,
    pub amount: Rials,
}

pub struct LineCard {
    pub no: i32,
    pub name: String,
    pub code: String,
    pub item_type: &'static str,
    pub quantity: String,
    pub day: Day,
    pub status: &'static str,
    pub status_class: &'static str,
    pub paid: Rials,
    pub reimbursed: Rials,
    pub franchise: Rials,
    pub above_tariff: Rials,
    pub not_covered: Rials,
    pub reasons: Vec<ReasonRow>,
}

pub struct CheckItem {
    pub document_type: &'static str,
    pub name: &'static str,
    pub present: bool,
}

pub struct TrailRow {
    pub day: Day,
    pub time: String,
    pub action: &'static str,
    pub status: Option<&'static str>,
    /// «شما», or the role of the office's staff (their names are the office's business).
    pub who: String,
}

#[derive(Template)]
#[template(path = "console/me_reimbursement.html")]
pub struct RequestPage {
    pub layout: Layout,
    pub id: String,
    pub short_id: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub is_draft: bool,
    pub decided: bool,
    pub benefit: &'static str,
    pub provider: String,
    pub patient: String,
    pub sheba: String,
    pub steps: Vec<Step>,
    pub lines: Vec<LineCard>,
    pub paid: Rials,
    pub reimbursed: Rials,
    pub franchise: Rials,
    pub above_tariff: Rials,
    pub not_covered: Rials,
    pub checklist: Vec<CheckItem>,
    pub present: usize,
    pub missing: usize,
    pub docs: Vec<Doc>,
    pub document_types: Vec<(&'static str, &'static str)>,
    pub decision_note: Option<String>,
    pub paid_on: Option<Day>,
    pub bank_reference: Option<String>,
    pub trail: Vec<TrailRow>,
    pub may_add_documents: bool,
    pub may_submit: bool,
    pub max_bytes: usize,
    pub max_mb: usize,
    pub notice: Option<&'static str>,
    /// A refused action: what it was, the problem's detail and the fields it names.
    pub problem: Option<Problem>,
}

#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    pub done: Option<String>,
}

/// The request's way: filed, sent, decided, paid — each with its day once reached.
fn steps(r: &ReimbursementView) -> Vec<Step> {
    use ReimbursementStatus::*;
    let day_of =
        |action: &str| r.history.iter().rev().find(|h| h.action == action).map(|h| Day::of_rfc3339(&h.at));
    let reached = match r.status {
        Draft => 0,
        InReview | AwaitingApproval => 1,
        Approved | PartiallyApproved | Rejected => 2,
        Ordered => 3,
        Paid => 4,
    };
    let decided_label = match r.status {
        Rejected => "رد شد",
        PartiallyApproved => "بخشی پذیرفته شد",
        Approved | Ordered | Paid => "پذیرفته شد",
        _ => "تصمیم دفتر",
    };
    let mut way = vec![
        ("ثبت پیش‌نویس", r.history.first().map(|h| Day::of_rfc3339(&h.at))),
        ("ارسال برای رسیدگی", day_of("submitted")),
        (decided_label, day_of("decided")),
    ];
    // A rejected request ends at its decision: there is nothing to pay.
    if r.status != Rejected {
        way.push(("دستور پرداخت", day_of("ordered")));
        way.push(("واریز به حساب", r.paid_on.map(Day::of)));
    }
    // The last step reached is where the request waits, unless it is the end of its way.
    let last = way.len() - 1;
    way.into_iter()
        .enumerate()
        .map(|(i, (label, day))| Step {
            label,
            day,
            done: i < reached || (i == reached && reached == last),
            current: i == reached && reached < last,
        })
        .collect()
}

async fn build(
    state: &ServiceContext,
    s: &Session,
    id: String,
    q: &PageQuery,
    problem: Option<Problem>,
) -> Result<RequestPage, ConsoleError> {
    insured(s)?;
    let r = services::reimbursements::get(state, s.caller.clone(), id.clone().into()).await?;
    let trail = services::reimbursements::trail(state, s.caller.clone(), r.id.clone()).await?;
    let attachments =
        services::attachments::list_case(state, s.caller.clone(), CaseKind::Reimbursement, r.id.to_string())
            .await?;
    let choices = services::portal::filing_choices(state, s.caller.clone()).await?;
    let describe = services::portal::describer(state);
    let checklist: Vec<CheckItem> = r
        .required_documents
        .iter()
        .map(|t| CheckItem {
            document_type: t,
            name: document_type_fa(t),
            present: !r.missing_documents.contains(t),
        })
        .collect();
    let notice = match q.done.as_deref() {
        Some("filed") => Some(
            "درخواست شما به صورت پیش‌نویس ثبت شد. حالا از صورتحساب و مدارک لازم عکس بگیرید و بارگذاری کنید؛ سپس «ارسال برای رسیدگی» را بزنید.",
        ),
        Some("uploaded") => Some("مدرک بارگذاری شد."),
        Some("submitted") => Some(
            "درخواست برای رسیدگی به دفتر فرستاده شد. نتیجه را همین‌جا می‌بینید و به نشانی ایمیل شما هم فرستاده می‌شود.",
        ),
        _ => None,
    };
    let patient = choices
        .family
        .iter()
        .find(|p| p.national_code == r.patient_national_code)
        .map(|p| format!("{} ({})", p.name, p.relation_fa))
        .unwrap_or_else(|| r.patient_national_code.clone());
    let t = &r.totals;
    let limit = state.config.max_attachment_bytes;
    Ok(RequestPage {
        layout: Layout::signed(format!("درخواست بازپرداخت {}", short(r.id.as_str())), s, "me-reimbursements"),
        id: r.id.to_string(),
        short_id: short(r.id.as_str()),
        status: r.status.name_fa(),
        status_class: status_class(r.status),
        is_draft: r.status == ReimbursementStatus::Draft,
        decided: decided(r.status),
        benefit: benefit_fa(&r.benefit),
        provider: r.provider_name.clone(),
        patient,
        sheba: r.sheba.clone(),
        steps: steps(&r),
        lines: r
            .lines
            .iter()
            .map(|l| LineCard {
                no: l.line_no,
                name: describe(&l.item_type, &l.code).unwrap_or_default(),
                code: l.code.clone(),
                item_type: ITEM_TYPES.iter().find(|(k, _)| *k == l.item_type).map(|(_, v)| *v).unwrap_or("—"),
                quantity: l.quantity.clone(),
                day: Day::of(l.service_date),
                status: l.status.name_fa(),
                status_class: line_class(l.status),
                paid: Rials(l.paid_amount),
                reimbursed: Rials(l.reimbursed),
                franchise: Rials(l.franchise),
                above_tariff: Rials(l.above_tariff),
                not_covered: Rials(l.not_covered),
                reasons: l
                    .reasons
                    .iter()
                    .map(|x| ReasonRow { code: x.code.clone(), text: x.message_fa, amount: Rials(x.amount) })
                    .collect(),
            })
            .collect(),
        paid: Rials(t.paid),
        reimbursed: Rials(t.reimbursed),
        franchise: Rials(t.franchise),
        above_tariff: Rials(t.above_tariff),
        not_covered: Rials(t.not_covered),
        present: checklist.iter().filter(|c| c.present).count(),
        missing: checklist.iter().filter(|c| !c.present).count(),
        checklist,
        docs: docs(&attachments, &format!("{LIST}/{}", r.id)),
        // What the checklist still lacks first (the first is preselected), then the rest.
        document_types: {
            let mut types: Vec<(&'static str, &'static str)> =
                DOCUMENT_TYPES.iter().map(|t| (*t, document_type_fa(t))).collect();
            types.sort_by_key(|(t, _)| !r.missing_documents.contains(t));
            types
        },
        decision_note: r.decision_note.clone(),
        paid_on: r.paid_on.map(Day::of),
        bank_reference: r.bank_reference.clone(),
        trail: trail
            .events
            .iter()
            .map(|e| TrailRow {
                day: Day::of_instant(e.at),
                time: tehran(e.at).format("%H:%M").to_string(),
                action: action_fa(&e.action),
                status: e.status.map(|x| x.name_fa()),
                who: match Role::parse(&e.role) {
                    // Only the main insured acts on their request as an insured person.
                    Some(Role::Insured) => "شما".into(),
                    Some(role) => role.name_fa().to_string(),
                    None => "سامانه".into(),
                },
            })
            .collect(),
        may_add_documents: trail.may_add_documents,
        may_submit: trail.may_submit,
        max_bytes: limit,
        max_mb: limit / (1024 * 1024),
        notice,
        problem,
    })
}

/// `GET /console/me/reimbursements/{id}`.
pub async fn page(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let page = build(&state, &signed.0, id.into_inner(), &q, None).await?;
    render(StatusCode::OK, &page)
}

/// `POST /console/me/reimbursements/{id}/files` (multipart: `csrf`, `document_type`, and the
/// photo (`photo`) or the file (`file`)): the office page's `attach`, the API upload's use
/// case. A refused file (type, size, format, a request no longer a draft) shows the page again
/// with the problem in plain words.
pub async fn upload(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    form: Multipart,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    let form = read_multipart(form, state.config.max_attachment_bytes).await?;
    s.verify_csrf(&form.get("csrf"))?;
    insured(&s)?;
    let id = id.into_inner();
    match attach(&state, &s, &id, &form).await {
        Ok(_) => Ok(see_other(&format!("{LIST}/{id}?done=uploaded#docs"))),
        Err(e) if shown_on_page(&e) => {
            let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            let heading = match &e {
                crate::error::AppError::PayloadTooLarge(_) => "فایل بزرگ‌تر از حد مجاز است و بارگذاری نشد.",
                crate::error::AppError::UnsupportedMediaType(_) => {
                    "این فایل عکس یا PDF نیست و بارگذاری نشد. عکس (JPEG یا PNG) یا PDF بفرستید."
                }
                _ => "مدرک بارگذاری نشد.",
            };
            let problem = Some((heading, e.detail(), problem_fields(&e)));
            let page = build(&state, &s, id, &PageQuery::default(), problem).await?;
            render(status, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /console/me/reimbursements/{id}/files/{attachment_id}`: a document of the request
/// (`attachments::download_case`: another family's is a 404).
pub async fn document(
    state: web::Data<ServiceContext>,
    signed: Signed,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    insured(&s)?;
    let (id, attachment) = path.into_inner();
    case_file(&state, s, CaseKind::Reimbursement, id, attachment).await
}

/// `POST /console/me/reimbursements/{id}/submit`: `services::reimbursements::submit`. A
/// checklist not complete (422 naming `documents`) or a request no longer a draft (409) shows
/// the page again with the detail.
pub async fn submit(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    form: Pairs,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    s.verify_csrf(field(&form, "csrf"))?;
    insured(&s)?;
    let id = id.into_inner();
    match services::reimbursements::submit(&state, s.caller.clone(), id.clone().into()).await {
        Ok(_) => Ok(see_other(&format!("{LIST}/{id}?done=submitted"))),
        Err(e) if shown_on_page(&e) => {
            let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            let problem = Some(("درخواست فرستاده نشد.", e.detail(), problem_fields(&e)));
            let page = build(&state, &s, id, &PageQuery::default(), problem).await?;
            render(status, &page)
        }
        Err(e) => Err(e.into()),
    }
}
