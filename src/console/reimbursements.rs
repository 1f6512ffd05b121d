//! Reimbursements in the console (بازپرداخت / خسارت متفرقه): the office's list, filing a
//! request on behalf of an insured person, its documents and checklist, submission, the
//! reviewer's line decisions and the supervisor's approval. Every action is a use case of
//! `services::reimbursements` (or `services::attachments` for the documents) that the API also
//! runs; the console adds no rule.
//!
//! **Who is the clerk.** The API says "the main insured (or an office clerk on their behalf)
//! files". In the code the clerk is a reviewer or supervisor of the office: `file` accepts
//! `Insured | Reviewer | Supervisor`, and `may_edit` (documents, submission) the filer or a
//! reviewer/supervisor of the request's office. There is no clerk role, and the console invents
//! none: these pages are the API's `Reviewers` (reviewer and supervisor), 403 for any other
//! role; the approval is the API's `Supervisors`. The scope is the use cases': another office's
//! request is a 404 page.
//!
//! **The stamp.** The API's upload takes a document type and the file only; the scan stamp
//! (مهر «اسکن شد») is put by `attach_to_case` with the uploader's name and office and the day.
//! The upload form says so and each document shows its stamp; there are no stamp fields to
//! fill in.

use std::collections::BTreeMap;

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use serde::Deserialize;
use validator::Validate;

use crate::api::reimbursements::{new_request, FileBody, LineBody, TravelBody};
use crate::auth::{Reviewers, RoleSet, Supervisors};
use crate::console::claims::{document_type_fa, Draft, LineForm};
use crate::console::format::{tehran, Day, Rials};
use crate::console::listing::{self, Choice, PageLink};
use crate::console::preauth::case_file;
use crate::console::review::{console_fields, decision_input, mark_lines};
use crate::console::session::{Session, Signed};
use crate::console::upload::{read_multipart, MultipartForm};
use crate::console::{field, render, see_other, ConsoleError, Layout, Pairs};
use crate::context::ServiceContext;
use crate::domain::adjudication::{ClaimKind, Setting};
use crate::domain::ids::NationalCode;
use crate::domain::lifecycle::reimbursement::{ReimbursementLineStatus, ReimbursementStatus};
use crate::domain::provider::ProviderKind;
use crate::domain::reasons::Reason;
use crate::domain::reimbursement::{Benefit, DOCUMENT_TYPES};
use crate::domain::tariff::Sector;
use crate::error::{AppError, FieldError};
use crate::services;
use crate::services::attachments::CaseKind;
use crate::services::reimbursements::{OfficeListFilter, ReimbursementView};

/// Page sizes offered on the list.
const PAGE_SIZES: [i64; 3] = [20, 50, 100];
/// Blank line rows the filing form starts with; "ردیف بیشتر" adds this many again.
pub(crate) const LINE_ROWS: usize = 4;
/// The most line rows the form shows (the API takes up to 200 lines).
pub(crate) const MAX_LINE_ROWS: usize = 200;

fn require_reviewer(s: &Session) -> Result<(), ConsoleError> {
    s.caller.require_any(Reviewers::ROLES).map_err(ConsoleError::from)
}

/// A refused action shown on the request's page: what was refused (Persian), the problem's
/// detail, and the fields it names.
pub type Problem = (&'static str, String, Vec<(String, String)>);

pub(crate) fn status_class(s: ReimbursementStatus) -> &'static str {
    match s {
        ReimbursementStatus::Draft => "plain",
        ReimbursementStatus::InReview | ReimbursementStatus::AwaitingApproval => "pend",
        ReimbursementStatus::Approved | ReimbursementStatus::Ordered | ReimbursementStatus::Paid => "ok",
        ReimbursementStatus::PartiallyApproved => "plain",
        ReimbursementStatus::Rejected => "bad",
    }
}

pub(crate) fn line_class(s: ReimbursementLineStatus) -> &'static str {
    match s {
        ReimbursementLineStatus::Pending => "pend",
        ReimbursementLineStatus::Approved => "ok",
        ReimbursementLineStatus::PartiallyApproved => "plain",
        ReimbursementLineStatus::Rejected => "bad",
    }
}

pub(crate) fn benefit_fa(b: &str) -> &'static str {
    Benefit::parse(b).map(|b| b.name_fa()).unwrap_or("—")
}

// ---------------------------------------------------------------------------------------------
// The list

/// The list's query, every field as typed.
#[derive(Deserialize, Default, Clone)]
pub struct ListQuery {
    #[serde(default)]
    pub status: String,
    /// The insured person's national code (main insured or patient).
    #[serde(default)]
    pub insured: String,
    /// Filed on or after this Jalali day.
    #[serde(default)]
    pub from: String,
    /// Filed on or before this Jalali day.
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub page: String,
    #[serde(default)]
    pub per: String,
}

pub struct Row {
    pub id: String,
    pub short_id: String,
    pub insured: String,
    pub patient: String,
    pub benefit: &'static str,
    pub provider: String,
    pub filed: Day,
    pub paid: Rials,
    pub reimbursed: Rials,
    pub status: &'static str,
    pub status_class: &'static str,
}

pub struct StatusCount {
    pub label: &'static str,
    pub count: i64,
    pub href: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "console/reimbursements.html")]
pub struct ListPage {
    pub layout: Layout,
    pub q: ListQuery,
    pub rows: Vec<Row>,
    pub total: i64,
    pub first: i64,
    pub last: i64,
    pub counts: Vec<StatusCount>,
    pub statuses: Vec<Choice>,
    pub sizes: Vec<Choice>,
    /// The page-size form's target and hidden fields (the filters kept).
    pub list_path: &'static str,
    pub kept: Vec<(&'static str, String)>,
    pub pages: Vec<PageLink>,
    pub filtered: bool,
    pub errors: Vec<(String, String)>,
    pub page_paid: Rials,
    pub page_reimbursed: Rials,
}

impl ListPage {
    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }
}

/// The list's query as (name, value) pairs, in the URL's order.
fn query_pairs(q: &ListQuery) -> Vec<(&'static str, String)> {
    vec![
        ("status", q.status.clone()),
        ("insured", q.insured.clone()),
        ("from", q.from.clone()),
        ("to", q.to.clone()),
        ("page", q.page.clone()),
        ("per", q.per.clone()),
    ]
}

fn list_href(q: &ListQuery, changes: &[(&str, String)]) -> String {
    let pairs = query_pairs(q);
    listing::href("/console/reimbursements", pairs, changes)
}

/// The UTC instant a Tehran calendar day starts.
fn tehran_day_start(d: chrono::NaiveDate) -> NaiveDateTime {
    let midnight = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    midnight - (tehran(midnight) - midnight)
}

struct ListParsed {
    filter: OfficeListFilter,
    page: i64,
    per: i64,
}

fn parse_list(q: &ListQuery) -> Result<ListParsed, AppError> {
    let mut errors = Vec::new();
    let status = match q.status.trim() {
        "" => None,
        s => ReimbursementStatus::parse(s).or_else(|| {
            errors.push(FieldError::new("status", "one_of", "not a status of a reimbursement request"));
            None
        }),
    };
    let insured = match q.insured.trim() {
        "" => None,
        c => match NationalCode::parse(c) {
            Ok(c) => Some(c.to_string()),
            Err(e) => {
                errors.push(FieldError::new("insured", "invalid", e.to_string()));
                None
            }
        },
    };
    let mut day = |name: &str, v: &str| match v.trim() {
        "" => None,
        v => match crate::domain::jalali::parse_date(v) {
            Ok(d) => Some(d),
            Err(e) => {
                errors.push(FieldError::new(name, "invalid_date", e.to_string()));
                None
            }
        },
    };
    let from = day("from", &q.from);
    let to = day("to", &q.to);
    let page = listing::page_number(&q.page, &mut errors);
    let per = listing::page_size(&q.per, PAGE_SIZES[0], &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok(ListParsed {
        filter: OfficeListFilter {
            status,
            insured_national_code: insured,
            filed_from: from.map(tehran_day_start),
            // "To" is inclusive: before the next day starts.
            filed_before: to.and_then(|d| d.succ_opt()).map(tehran_day_start),
            offset: (page - 1).saturating_mul(per),
            limit: per,
        },
        page,
        per,
    })
}

/// `GET /console/reimbursements`: the office's requests, newest first.
pub async fn list(
    state: web::Data<ServiceContext>,
    signed: Signed,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    require_reviewer(&s)?;
    let q = q.into_inner();
    let (parsed, errors) = match parse_list(&q) {
        Ok(p) => (p, Vec::new()),
        Err(AppError::Validation(errs)) => {
            (parse_list(&ListQuery::default())?, errs.into_iter().map(|e| (e.field, e.message)).collect())
        }
        Err(e) => return Err(e.into()),
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let current_status = parsed.filter.status;
    let out = services::reimbursements::office_list(&state, s.caller.clone(), parsed.filter).await?;
    let offset = (parsed.page - 1) * parsed.per;
    let rows: Vec<Row> = out
        .items
        .into_iter()
        .map(|r| Row {
            short_id: r.id.as_str().chars().rev().take(8).collect::<Vec<_>>().into_iter().rev().collect(),
            id: r.id.to_string(),
            insured: r.insured_national_code,
            patient: r.patient_national_code,
            benefit: benefit_fa(&r.benefit),
            provider: r.provider_name,
            filed: Day::of_rfc3339(&r.created_at),
            paid: Rials(r.totals.paid),
            reimbursed: Rials(r.totals.reimbursed),
            status: r.status.name_fa(),
            status_class: status_class(r.status),
        })
        .collect();
    let all: i64 = out.counts.iter().map(|(_, n)| n).sum();
    let mut counts = vec![StatusCount {
        label: "همه",
        count: all,
        href: list_href(&q, &[("status", String::new()), ("page", String::new())]),
        current: current_status.is_none(),
    }];
    counts.extend(ReimbursementStatus::ALL.iter().map(|st| StatusCount {
        label: st.name_fa(),
        count: out.counts.iter().filter(|(c, _)| c == st).map(|(_, n)| *n).sum(),
        href: list_href(&q, &[("status", st.as_str().to_string()), ("page", String::new())]),
        current: current_status == Some(*st),
    }));
    let total = out.total;
    let page_href = |p: i64| list_href(&q, &[("page", if p == 1 { String::new() } else { p.to_string() })]);
    let pages = listing::pager(parsed.page, parsed.per, total, page_href);
    let choice = |value: &str, label: String, current: &str| Choice {
        selected: value == current.trim(),
        value: value.to_string(),
        label,
    };
    let page = ListPage {
        layout: Layout::signed("درخواست‌های بازپرداخت", &s, "reimbursements"),
        statuses: ReimbursementStatus::ALL
            .iter()
            .map(|st| choice(st.as_str(), st.name_fa().to_string(), &q.status))
            .collect(),
        sizes: PAGE_SIZES
            .iter()
            .map(|n| choice(&n.to_string(), n.to_string(), &parsed.per.to_string()))
            .collect(),
        filtered: [&q.status, &q.insured, &q.from, &q.to].iter().any(|v| !v.trim().is_empty()),
        list_path: "/console/reimbursements",
        kept: listing::kept(query_pairs(&q)),
        first: if total == 0 || rows.is_empty() { 0 } else { offset + 1 },
        last: offset + rows.len() as i64,
        page_paid: Rials(rows.iter().map(|r| r.paid.0).sum()),
        page_reimbursed: Rials(rows.iter().map(|r| r.reimbursed.0).sum()),
        rows,
        total,
        counts,
        pages,
        errors,
        q,
    };
    render(status, &page)
}

// ---------------------------------------------------------------------------------------------
// Filing on behalf of an insured person

/// A line row of the filing form, as typed, with its fields' errors.
#[derive(Default, Clone)]
pub struct LineInput {
    pub no: usize,
    pub item_type: String,
    pub code: String,
    pub quantity: String,
    pub service_date: String,
    pub paid_amount: String,
    /// `(field, message)` of this row: `item_type`, `code`, … or `line` for the row itself.
    pub errors: Vec<(String, String)>,
}

impl LineInput {
    pub(crate) fn blank(&self) -> bool {
        self.code.is_empty() && self.paid_amount.is_empty() && self.service_date.is_empty()
    }

    pub fn error_for(&self, f: &str) -> Option<&str> {
        self.errors.iter().find(|(k, _)| k == f).map(|(_, m)| m.as_str())
    }
}

#[derive(Template)]
#[template(path = "console/reimbursement_file.html")]
pub struct FilePage {
    pub layout: Layout,
    /// The form's values by field name (the API's names).
    pub values: BTreeMap<String, String>,
    /// `(field, message)`: the use case's fields in the API's names (`lines[i]` renamed to the row).
    pub errors: Vec<(String, String)>,
    pub detail: Option<String>,
    pub lines: Vec<LineInput>,
    pub benefits: Vec<Choice>,
    pub settings: Vec<Choice>,
    pub kinds: Vec<Choice>,
    pub provider_kinds: Vec<Choice>,
    pub sectors: Vec<Choice>,
    pub item_types: Vec<(&'static str, &'static str)>,
    pub companion_needed: bool,
}

impl FilePage {
    pub fn v(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    pub fn error_for(&self, name: &str) -> Option<&str> {
        self.errors.iter().find(|(f, _)| f == name).map(|(_, m)| m.as_str())
    }
}

/// The form's plain fields, in the API's `FileBody` names.
const FILE_FIELDS: [&str; 20] = [
    "insured_national_code",
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
    "diagnoses",
    "travel.origin",
    "travel.destination",
    "travel.council_approval_no",
    "sheba",
    "sheba_owner_national_code",
    "travel.companion_needed",
];

/// The line item types by benefit, in Persian.
pub(crate) const ITEM_TYPES: [(&str, &str); 6] = [
    ("visit", "ویزیت"),
    ("service", "خدمت"),
    ("drug", "دارو"),
    ("bed_day", "روز بستری"),
    ("device", "پروتز و اروتز"),
    ("travel", "سفر و اقامت"),
];

fn file_page(
    s: &Session,
    values: BTreeMap<String, String>,
    lines: Vec<LineInput>,
    errors: Vec<(String, String)>,
    detail: Option<String>,
) -> FilePage {
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
    FilePage {
        layout: Layout::signed("ثبت درخواست بازپرداخت", s, "reimbursements"),
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
        companion_needed: v("travel.companion_needed") == "1",
        values,
        lines,
        errors,
        detail,
    }
}

pub(crate) fn blank_lines(from: usize, n: usize) -> Vec<LineInput> {
    (from..from + n).map(|no| LineInput { no, quantity: "1".into(), ..LineInput::default() }).collect()
}

/// `GET /console/reimbursements/new`.
pub async fn new_form(signed: Signed) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    require_reviewer(&s)?;
    let page = file_page(&s, BTreeMap::new(), blank_lines(1, LINE_ROWS), Vec::new(), None);
    render(StatusCode::OK, &page)
}

/// Reads the form into the API's `FileBody` (every line row not left blank), or the fields the
/// console itself could not read (an amount that is not a number, …). `rows[i]` is the form
/// row of the body's line `i`.
pub(crate) fn file_body(
    values: &BTreeMap<String, String>,
    lines: &[LineInput],
) -> (Result<FileBody, Vec<FieldError>>, Vec<usize>) {
    let mut errors = Vec::new();
    let text = |k: &str| values.get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    // The choices are read as the API reads them (serde, the same names).
    fn choice<T: serde::de::DeserializeOwned>(
        k: &str,
        v: Option<String>,
        errors: &mut Vec<FieldError>,
    ) -> Option<T> {
        let v = v?;
        serde_json::from_value(serde_json::Value::String(v))
            .map_err(|_| {
                errors.push(FieldError::new(k, "one_of", "not one of the choices"));
            })
            .ok()
    }
    let benefit: Benefit = choice("benefit", text("benefit"), &mut errors).unwrap_or(Benefit::Care);
    let setting: Option<Setting> = choice("setting", text("setting"), &mut errors);
    let kind: Option<ClaimKind> = choice("kind", text("kind"), &mut errors);
    let provider_sector: Option<Sector> = choice("provider_sector", text("provider_sector"), &mut errors);
    let provider_kind = match text("provider_kind") {
        None => {
            errors.push(FieldError::new("provider_kind", "required", "choose the provider's kind"));
            ProviderKind::Clinic
        }
        v => choice("provider_kind", v, &mut errors).unwrap_or(ProviderKind::Clinic),
    };
    let hospital_grade = text("hospital_grade").and_then(|g| {
        g.parse::<u8>()
            .map_err(|_| errors.push(FieldError::new("hospital_grade", "number", "a grade from 1 to 5")))
            .ok()
    });
    let travel = if benefit == Benefit::Travel {
        Some(TravelBody {
            origin: text("travel.origin").unwrap_or_default(),
            destination: text("travel.destination").unwrap_or_default(),
            council_approval_no: text("travel.council_approval_no"),
            companion_needed: text("travel.companion_needed").as_deref() == Some("1"),
        })
    } else {
        None
    };
    let mut rows = Vec::new();
    let mut body_lines = Vec::new();
    for l in lines.iter().filter(|l| !l.blank()) {
        let i = body_lines.len();
        let digits: String = l.paid_amount.chars().filter(|c| !matches!(c, ',' | '٬' | ' ')).collect();
        let digits = crate::domain::text::normalize_identifier(&digits);
        let paid_amount = digits.parse::<i64>().unwrap_or_else(|_| {
            errors.push(FieldError::new(
                format!("lines[{i}].paid_amount"),
                "number",
                "an amount in whole rials",
            ));
            0
        });
        let quantity = match l.quantity.trim() {
            "" => Decimal::ONE,
            q => q.parse::<Decimal>().unwrap_or_else(|_| {
                errors.push(FieldError::new(format!("lines[{i}].quantity"), "number", "a quantity"));
                Decimal::ONE
            }),
        };
        rows.push(l.no);
        body_lines.push(LineBody {
            line_no: l.no as u32,
            item_type: l.item_type.trim().to_string(),
            code: l.code.trim().to_string(),
            quantity,
            service_date: l.service_date.trim().to_string(),
            paid_amount,
        });
    }
    if body_lines.is_empty() {
        errors.push(FieldError::new("lines", "length", "at least one line"));
    }
    let body = FileBody {
        office_id: None,
        insured_national_code: text("insured_national_code"),
        patient_national_code: text("patient_national_code"),
        benefit,
        setting,
        kind,
        provider_name: text("provider_name").unwrap_or_default(),
        provider_kind,
        provider_sector,
        hospital_grade,
        prescription_tracking_code: text("prescription_tracking_code"),
        prescribed_on: text("prescribed_on"),
        admitted_on: text("admitted_on"),
        discharged_on: text("discharged_on"),
        diagnoses: text("diagnoses")
            .map(|d| d.split([',', '،']).map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect())
            .unwrap_or_default(),
        travel,
        sheba: text("sheba").unwrap_or_default(),
        sheba_owner_national_code: text("sheba_owner_national_code").unwrap_or_default(),
        lines: body_lines,
    };
    if errors.is_empty() {
        (Ok(body), rows)
    } else {
        (Err(errors), rows)
    }
}

/// Puts the fields of a refusal beside the form's fields: `lines[i].x` beside row `rows[i]`'s
/// `x`, `lines[i]` on the row itself; every other field under its own name.
pub(crate) fn place_errors(
    errors: Vec<FieldError>,
    rows: &[usize],
    lines: &mut [LineInput],
) -> Vec<(String, String)> {
    let mut top = Vec::new();
    for e in errors {
        let on_line = e.field.strip_prefix("lines[").and_then(|rest| {
            let (i, tail) = rest.split_once(']')?;
            let row = *rows.get(i.parse::<usize>().ok()?)?;
            Some((row, tail.trim_start_matches('.').to_string()))
        });
        match on_line.and_then(|(row, f)| Some((lines.iter_mut().find(|l| l.no == row)?, f))) {
            Some((l, f)) => {
                l.errors.push((if f.is_empty() { "line".into() } else { f }, e.message.clone()));
                top.push((format!("ردیف {}", l.no), e.message));
            }
            None => top.push((e.field, e.message)),
        }
    }
    top
}

/// The line rows of a posted filing form (`line.<n>.<field>`), in row order, at most
/// [`MAX_LINE_ROWS`].
pub(crate) fn read_lines(form: &[(String, String)]) -> Vec<LineInput> {
    let mut rows: Vec<usize> =
        form.iter().filter_map(|(k, _)| k.strip_prefix("line.")?.split('.').next()?.parse().ok()).collect();
    rows.sort_unstable();
    rows.dedup();
    rows.truncate(MAX_LINE_ROWS);
    rows.iter()
        .map(|&no| {
            let get = |f: &str| field(form, &format!("line.{no}.{f}")).to_string();
            LineInput {
                no,
                item_type: get("item_type"),
                code: get("code"),
                quantity: get("quantity"),
                service_date: get("service_date"),
                paid_amount: get("paid_amount"),
                errors: Vec::new(),
            }
        })
        .collect()
}

/// "ردیف بیشتر": [`LINE_ROWS`] more blank rows, up to [`MAX_LINE_ROWS`].
pub(crate) fn add_rows(lines: &mut Vec<LineInput>) {
    let next = lines.iter().map(|l| l.no).max().unwrap_or(0) + 1;
    let room = MAX_LINE_ROWS.saturating_sub(lines.len()).min(LINE_ROWS);
    lines.extend(blank_lines(next, room));
}

/// `POST /console/reimbursements`: files the draft through `services::reimbursements::file`
/// (the API's `FileBody` read by the API's `new_request`), then to its page. A refusal shows
/// the form again with every value kept and each field's message beside it (422). The
/// "ردیف بیشتر" button only shows the form again with more empty rows.
pub async fn file(
    state: web::Data<ServiceContext>,
    signed: Signed,
    form: Pairs,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    s.verify_csrf(field(&form, "csrf"))?;
    require_reviewer(&s)?;
    let values: BTreeMap<String, String> = FILE_FIELDS
        .iter()
        .map(|k| (k.to_string(), field(&form, k).to_string()))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let mut lines = read_lines(&form);
    if !field(&form, "more").is_empty() {
        add_rows(&mut lines);
        return render(StatusCode::OK, &file_page(&s, values, lines, Vec::new(), None));
    }
    // The office's staff read the use case's own words (as the API gives them).
    match file_form(&state, s.caller.clone(), &values, &mut lines, None, |e| e.message.clone()).await? {
        Filed::Done(id) => Ok(see_other(&format!("/console/reimbursements/{id}?done=filed"))),
        Filed::Refused { status, detail, errors } => {
            render(status, &file_page(&s, values, lines, errors, Some(detail)))
        }
    }
}

/// What filing a form came to.
pub(crate) enum Filed {
    /// Filed: the new request.
    Done(crate::domain::record_ids::ReimbursementId),
    /// Refused: the status to answer, the problem's detail, and the fields not on a line row
    /// (each row's are on the row).
    Refused { status: StatusCode, detail: String, errors: Vec<(String, String)> },
}

/// Files the form's request: read into the API's `FileBody` (`file_body`), validated and turned
/// into the use case's input as the API does (`new_request`), then
/// `services::reimbursements::file`. A refusal of the input or the state comes back with its
/// fields placed beside the form's (`place_errors`); any other error is the error page.
pub(crate) async fn file_form(
    state: &ServiceContext,
    caller: crate::auth::Caller,
    values: &BTreeMap<String, String>,
    lines: &mut [LineInput],
    office_id: Option<crate::domain::record_ids::OfficeId>,
    words: fn(&FieldError) -> String,
) -> Result<Filed, ConsoleError> {
    let (body, sent_rows) = file_body(values, lines);
    let result = match body {
        Err(errors) => Err(AppError::Validation(errors)),
        Ok(mut body) => {
            body.office_id = office_id;
            match body.validate() {
                Err(e) => Err(AppError::from(e)),
                Ok(()) => match new_request(body) {
                    Err(e) => Err(e),
                    Ok(new) => services::reimbursements::file(state, caller, new).await,
                },
            }
        }
    };
    let e = match result {
        Ok(r) => return Ok(Filed::Done(r.id)),
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => e,
        Err(e) => return Err(e.into()),
    };
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    let detail = e.detail();
    let errors = match e {
        AppError::Validation(errors) => errors,
        _ => Vec::new(),
    };
    let errors = errors.into_iter().map(|e| FieldError { message: words(&e), ..e }).collect();
    Ok(Filed::Refused { status, detail, errors: place_errors(errors, &sent_rows, lines) })
}

// ---------------------------------------------------------------------------------------------
// A request's page

pub struct ReasonRow {
    pub code: String,
    pub text: &'static str,
    pub amount: Rials,
}

pub struct LineRow {
    pub no: i32,
    pub item_type: String,
    pub code: String,
    pub quantity: String,
    pub date: Day,
    pub status: &'static str,
    pub status_class: &'static str,
    pub paid: Rials,
    pub tariff: Rials,
    pub reimbursed: Rials,
    pub franchise: Rials,
    pub above_tariff: Rials,
    pub not_covered: Rials,
    pub reasons: Vec<ReasonRow>,
    /// The amount recognised today (reimbursed + franchise): what an adjustment replaces.
    pub recognised: i64,
    pub form: LineForm,
}

pub struct Checklist {
    pub document_type: &'static str,
    pub name: &'static str,
    pub present: bool,
}

pub struct DocRow {
    pub no: usize,
    pub url: String,
    pub href: String,
    pub name: &'static str,
    pub kind: &'static str,
    pub is_image: bool,
    pub is_pdf: bool,
    pub size_kb: i64,
    pub stamp: String,
    pub stamp_by: String,
    pub stamp_day: String,
    pub current: bool,
}

pub struct TrailRow {
    pub day: Day,
    pub time: String,
    pub action: &'static str,
    pub status: Option<&'static str>,
    pub actor: String,
    pub role: String,
    pub reimbursed: Option<Rials>,
}

pub struct ReasonChoice {
    pub code: &'static str,
    pub text: &'static str,
}

pub struct SplitRow {
    pub paid: Rials,
    pub reimbursed: Rials,
    pub franchise: Rials,
    pub above_tariff: Rials,
    pub not_covered: Rials,
}

#[derive(Template)]
#[template(path = "console/reimbursement.html")]
pub struct RequestPage {
    pub layout: Layout,
    pub id: String,
    pub short_id: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub is_draft: bool,
    pub benefit: &'static str,
    pub kind: &'static str,
    pub setting: &'static str,
    pub provider: String,
    pub provider_kind: &'static str,
    pub sector: &'static str,
    pub insured: String,
    pub patient: String,
    pub account_holder: String,
    pub sheba: String,
    pub filed: Day,
    pub submitted: Option<Day>,
    pub decided: Option<Day>,
    pub lines: Vec<LineRow>,
    pub totals: SplitRow,
    pub machine_reimbursed: Option<Rials>,
    pub checklist: Vec<Checklist>,
    pub missing: usize,
    pub docs: Vec<DocRow>,
    pub shown: Option<usize>,
    pub document_types: Vec<(&'static str, &'static str)>,
    pub trail: Vec<TrailRow>,
    pub decided_by: Option<String>,
    pub approved_by: Option<String>,
    pub decision_note: Option<String>,
    pub may_add_documents: bool,
    pub may_submit: bool,
    pub may_decide: bool,
    pub may_approve: bool,
    pub awaiting: bool,
    pub notice: Option<&'static str>,
    /// A refused action: what it was, the problem's detail and the fields it names.
    pub problem: Option<Problem>,
    pub claim_note: String,
    pub reason_choices: Vec<ReasonChoice>,
    pub travel: Option<String>,
}

impl RequestPage {
    fn shown_doc(&self) -> Option<&DocRow> {
        self.docs.iter().find(|d| d.current)
    }
}

/// The page's query: the document shown and the last action's outcome (after a redirect).
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    pub file: Option<usize>,
    pub done: Option<String>,
}

pub(crate) fn action_fa(action: &str) -> &'static str {
    match action {
        "filed" => "ثبت درخواست (پیش‌نویس)",
        "submitted" => "ارسال برای رسیدگی",
        "proposed" => "تصمیم کارشناس، در انتظار تأیید",
        "returned" => "بازگرداندن تصمیم به رسیدگی",
        "decided" => "ثبت نتیجهٔ رسیدگی",
        "ordered" => "صدور دستور پرداخت",
        "paid" => "پرداخت",
        _ => "رویداد",
    }
}

/// The request's page for `s`; `draft` and `problem` carry a refused action's values.
async fn build(
    state: &ServiceContext,
    s: &Session,
    id: String,
    q: &PageQuery,
    mut draft: Draft,
    problem: Option<Problem>,
) -> Result<RequestPage, ConsoleError> {
    let r: ReimbursementView =
        services::reimbursements::get(state, s.caller.clone(), id.clone().into()).await?;
    let trail = services::reimbursements::trail(state, s.caller.clone(), r.id.clone()).await?;
    let attachments =
        services::attachments::list_case(state, s.caller.clone(), CaseKind::Reimbursement, r.id.to_string())
            .await?;
    let shown = match attachments.len() {
        0 => None,
        n => Some(q.file.unwrap_or(1).clamp(1, n)),
    };
    let docs = attachments
        .iter()
        .enumerate()
        .map(|(i, a)| DocRow {
            no: i + 1,
            url: format!("/console/reimbursements/{}/files/{}", r.id, a.id),
            href: format!("/console/reimbursements/{}?file={}#docs", r.id, i + 1),
            name: document_type_fa(&a.document_type),
            kind: match a.content_type.as_str() {
                "application/pdf" => "PDF",
                "image/jpeg" => "JPEG",
                "image/png" => "PNG",
                _ => "TIFF",
            },
            is_image: matches!(a.content_type.as_str(), "image/jpeg" | "image/png"),
            is_pdf: a.content_type == "application/pdf",
            size_kb: (a.size_bytes + 1023) / 1024,
            stamp: a.stamp.text.to_string(),
            stamp_by: format!("{} · {}", a.stamp.user_name, a.stamp.office),
            stamp_day: a.stamp.date.replace('-', "/"),
            current: shown == Some(i + 1),
        })
        .collect();
    let checklist: Vec<Checklist> = r
        .required_documents
        .iter()
        .map(|t| Checklist {
            document_type: t,
            name: document_type_fa(t),
            present: !r.missing_documents.contains(t),
        })
        .collect();
    let lines = r
        .lines
        .iter()
        .map(|l| LineRow {
            no: l.line_no,
            item_type: l.item_type.clone(),
            code: l.code.clone(),
            quantity: l.quantity.clone(),
            date: Day::of(l.service_date),
            status: l.status.name_fa(),
            status_class: line_class(l.status),
            paid: Rials(l.paid_amount),
            tariff: Rials(l.tariff_amount),
            reimbursed: Rials(l.reimbursed),
            franchise: Rials(l.franchise),
            above_tariff: Rials(l.above_tariff),
            not_covered: Rials(l.not_covered),
            reasons: l
                .reasons
                .iter()
                .map(|x| ReasonRow { code: x.code.clone(), text: x.message_fa, amount: Rials(x.amount) })
                .collect(),
            recognised: l.reimbursed + l.franchise,
            form: draft.lines.remove(&l.line_no).unwrap_or_default(),
        })
        .collect();
    let notice = match q.done.as_deref() {
        Some("filed") => {
            Some("پیش‌نویس ثبت و برآورد شد. مدارک را بارگذاری کنید و سپس درخواست را برای رسیدگی بفرستید.")
        }
        Some("uploaded") => Some("مدرک بارگذاری و مهر «اسکن شد» خورد."),
        Some("submitted") => Some("درخواست برای رسیدگی فرستاده شد و دوباره قیمت‌گذاری شد."),
        Some("decided") => Some("نتیجهٔ رسیدگی ثبت شد."),
        Some("awaiting") => Some("تغییر مبلغ بیش از سقف است: تصمیم در انتظار تأیید سرپرست است."),
        Some("approved") => Some("تصمیم کارشناس تأیید و اعمال شد."),
        Some("returned") => Some("تصمیم به رسیدگی بازگردانده شد."),
        _ => None,
    };
    let mut reason_choices = vec![ReasonChoice { code: Reason::R90.code(), text: Reason::R90.message_fa() }];
    reason_choices.extend(
        Reason::ALL
            .into_iter()
            .filter(|x| *x != Reason::R90)
            .map(|x| ReasonChoice { code: x.code(), text: x.message_fa() }),
    );
    let t = &r.totals;
    let travel = r.travel.as_ref().map(|t| {
        let s = |k: &str| t.get(k).and_then(|v| v.as_str()).unwrap_or("—").to_string();
        format!("{} ← {} · مجوز شورای پزشکی: {}", s("destination"), s("origin"), s("council_approval_no"))
    });
    Ok(RequestPage {
        layout: Layout::signed(
            format!("درخواست بازپرداخت {}", &r.id.as_str()[r.id.as_str().len().saturating_sub(8)..]),
            s,
            "reimbursements",
        ),
        short_id: r.id.as_str()[r.id.as_str().len().saturating_sub(8)..].to_string(),
        id: r.id.to_string(),
        status: r.status.name_fa(),
        status_class: status_class(r.status),
        is_draft: r.status == ReimbursementStatus::Draft,
        awaiting: r.status == ReimbursementStatus::AwaitingApproval,
        benefit: benefit_fa(&r.benefit),
        kind: r.kind.as_deref().and_then(ClaimKind::parse).map(|k| k.name_fa()).unwrap_or("—"),
        setting: r.setting.as_deref().and_then(Setting::parse).map(|k| k.name_fa()).unwrap_or("—"),
        provider: r.provider_name.clone(),
        provider_kind: ProviderKind::ALL
            .into_iter()
            .find(|k| k.as_str() == r.provider_kind)
            .map(|k| k.name_fa())
            .unwrap_or("—"),
        sector: Sector::parse(&r.provider_sector).map(|x| x.name_fa()).unwrap_or("—"),
        insured: r.insured_national_code.clone(),
        patient: r.patient_national_code.clone(),
        account_holder: r.account_holder.clone(),
        sheba: r.sheba.clone(),
        filed: Day::of_rfc3339(&r.created_at),
        submitted: r.submitted_at.as_deref().map(Day::of_rfc3339),
        decided: r.decided_at.as_deref().map(Day::of_rfc3339),
        lines,
        totals: SplitRow {
            paid: Rials(t.paid),
            reimbursed: Rials(t.reimbursed),
            franchise: Rials(t.franchise),
            above_tariff: Rials(t.above_tariff),
            not_covered: Rials(t.not_covered),
        },
        machine_reimbursed: r.machine_reimbursed.map(Rials),
        missing: checklist.iter().filter(|c| !c.present).count(),
        checklist,
        docs,
        shown,
        // What the checklist still lacks first (the first is preselected), then the rest.
        document_types: {
            let mut types: Vec<(&'static str, &'static str)> =
                DOCUMENT_TYPES.iter().map(|t| (*t, document_type_fa(t))).collect();
            types.sort_by_key(|(t, _)| !r.missing_documents.contains(t));
            types
        },
        trail: trail
            .events
            .iter()
            .map(|e| TrailRow {
                day: Day::of_instant(e.at),
                time: tehran(e.at).format("%H:%M").to_string(),
                action: action_fa(&e.action),
                status: e.status.map(|s| s.name_fa()),
                actor: e.actor.clone(),
                role: crate::auth::Role::parse(&e.role)
                    .map(|r| r.name_fa().to_string())
                    .unwrap_or_else(|| "سامانه".into()),
                reimbursed: e.reimbursed.map(Rials),
            })
            .collect(),
        decided_by: trail.decided_by,
        approved_by: trail.approved_by,
        decision_note: r.decision_note.clone(),
        may_add_documents: trail.may_add_documents,
        may_submit: trail.may_submit,
        may_decide: trail.may_decide,
        may_approve: trail.may_approve,
        notice,
        problem,
        claim_note: draft.note,
        reason_choices,
        travel,
    })
}

/// `GET /console/reimbursements/{id}`.
pub async fn page(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    require_reviewer(&s)?;
    let page = build(&state, &s, id.into_inner(), &q, Draft::default(), None).await?;
    render(StatusCode::OK, &page)
}

/// A refusal the page can show beside the form that caused it (the input or the state); any
/// other error (scope, role) is the error page.
pub(crate) fn shown_on_page(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Validation(_)
            | AppError::Conflict { .. }
            | AppError::UnsupportedMediaType(_)
            | AppError::PayloadTooLarge(_)
    )
}

pub(crate) fn problem_fields(e: &AppError) -> Vec<(String, String)> {
    match e {
        AppError::Validation(errors) => errors.iter().map(|f| (f.field.clone(), f.message.clone())).collect(),
        _ => Vec::new(),
    }
}

/// `POST /console/reimbursements/{id}/files` (multipart: `csrf`, `document_type`, `file`):
/// `services::attachments::attach_to_case`, the API upload's use case, then back to the page
/// with the new document shown. A refused file (type, size, format, a decided request) shows
/// the page again with the problem.
pub async fn upload(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    form: Multipart,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    let form = read_multipart(form, state.config.max_attachment_bytes).await?;
    s.verify_csrf(&form.get("csrf"))?;
    require_reviewer(&s)?;
    let id = id.into_inner();
    match attach(&state, &s, &id, &form).await {
        Ok(n) => Ok(see_other(&format!("/console/reimbursements/{id}?done=uploaded&file={n}#docs"))),
        Err(e) if shown_on_page(&e) => {
            let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            let problem = Some(("مدرک بارگذاری نشد.", e.detail(), problem_fields(&e)));
            let page = build(&state, &s, id, &PageQuery::default(), Draft::default(), problem).await?;
            render(status, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// The form's document attached to the request (`services::attachments::attach_to_case`, the
/// API upload's use case: its type, content, size and the request's state are its rules);
/// returns how many documents the request now has, so the page can show the new one.
pub(crate) async fn attach(
    state: &ServiceContext,
    s: &Session,
    id: &str,
    form: &MultipartForm,
) -> Result<usize, AppError> {
    let upload = form
        .upload(state.config.max_attachment_bytes)?
        .ok_or_else(|| AppError::field("file", "required", "is required"))?;
    services::attachments::attach_to_case(
        state,
        s.caller.clone(),
        CaseKind::Reimbursement,
        id.to_string(),
        upload,
    )
    .await?;
    Ok(services::attachments::list_case(state, s.caller.clone(), CaseKind::Reimbursement, id.to_string())
        .await?
        .len())
}

/// `GET /console/reimbursements/{id}/files/{attachment_id}`: a document through
/// `services::attachments::download_case` (the API download's use case and scope), shown
/// inline on the page as `review::file` does for a claim's.
pub async fn document(
    state: web::Data<ServiceContext>,
    signed: Signed,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let (id, attachment) = path.into_inner();
    case_file(&state, signed.0, CaseKind::Reimbursement, id, attachment).await
}

/// `POST /console/reimbursements/{id}/submit`: `services::reimbursements::submit`. A checklist
/// not complete (422 naming `documents`) or a request no longer a draft (409) shows the page
/// again with the detail.
pub async fn submit(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    form: Pairs,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    s.verify_csrf(field(&form, "csrf"))?;
    require_reviewer(&s)?;
    let id = id.into_inner();
    match services::reimbursements::submit(&state, s.caller.clone(), id.clone().into()).await {
        Ok(_) => Ok(see_other(&format!("/console/reimbursements/{id}?done=submitted"))),
        Err(e) if shown_on_page(&e) => {
            let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            let problem = Some(("درخواست فرستاده نشد.", e.detail(), problem_fields(&e)));
            let page = build(&state, &s, id, &PageQuery::default(), Draft::default(), problem).await?;
            render(status, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /console/reimbursements/{id}/decision`: the line decisions (the claim page's form and
/// reading, `console::review::decision_input`) through `services::reimbursements::decide`; a
/// change beyond the four-eyes threshold waits for a supervisor. A refused input shows the page
/// again with the reviewer's draft and each line's message.
pub async fn decide(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    form: Pairs,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    s.verify_csrf(field(&form, "csrf"))?;
    require_reviewer(&s)?;
    let id = id.into_inner();
    let (input, mut draft) = decision_input(&form);
    let (result, sent) = match input {
        Ok(input) => {
            let sent = services::review::DecisionInput { lines: input.lines.clone(), note: None };
            let input = services::reimbursements::DecisionInput { lines: input.lines, note: input.note };
            (
                services::reimbursements::decide(&state, s.caller.clone(), id.clone().into(), input).await,
                Some(sent),
            )
        }
        Err(e) => (Err(e), None),
    };
    let e = match result {
        Ok(r) => {
            let done = if r.status == ReimbursementStatus::AwaitingApproval { "awaiting" } else { "decided" };
            return Ok(see_other(&format!("/console/reimbursements/{id}?done={done}")));
        }
        Err(e) if shown_on_page(&e) => e,
        Err(e) => return Err(e.into()),
    };
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    let fields = console_fields(&e, sent.as_ref());
    mark_lines(&mut draft, &fields);
    let problem = Some(("تصمیم ثبت نشد.", e.detail(), fields));
    let page = build(&state, &s, id, &PageQuery::default(), draft, problem).await?;
    render(status, &page)
}

/// `POST /console/reimbursements/{id}/approval` (`approve` = `1` applies the reviewer's
/// decision, `0` returns it to review): the API's `Supervisors`, then
/// `services::reimbursements::approve`, which refuses the reviewer who proposed it.
pub async fn approve(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    form: Pairs,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    s.verify_csrf(field(&form, "csrf"))?;
    s.caller.require_any(Supervisors::ROLES)?;
    let id = id.into_inner();
    let approve = match field(&form, "approve") {
        "1" => true,
        "0" => false,
        _ => return Err(AppError::field("approve", "one_of", "1 (approve) or 0 (return to review)").into()),
    };
    match services::reimbursements::approve(&state, s.caller.clone(), id.clone().into(), approve).await {
        Ok(_) => {
            let done = if approve { "approved" } else { "returned" };
            Ok(see_other(&format!("/console/reimbursements/{id}?done={done}")))
        }
        Err(e @ AppError::Conflict { .. }) => {
            let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::CONFLICT);
            let problem = Some(("تأیید ثبت نشد.", e.detail(), Vec::new()));
            let page = build(&state, &s, id, &PageQuery::default(), Draft::default(), problem).await?;
            render(status, &page)
        }
        Err(e) => Err(e.into()),
    }
}
