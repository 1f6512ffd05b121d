//! The reviewer's queue (صف رسیدگی): the office's pended claims and those awaiting a supervisor,
//! through the API's queue use case (`services::review::queue`) with the same filters, plus
//! counts by age (`services::review::queue_counts`). The filters live in the URL, so a filtered
//! queue can be shared, bookmarked and reached again with the back button; the page works
//! without JavaScript, and htmx only swaps the results in place.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::console::format::{Day, Rials};
use crate::console::listing::{self, Choice, PageLink};
use crate::console::session::Signed;
use crate::console::{is_reviewer, render, ConsoleError, Layout};
use crate::context::ServiceContext;
use crate::domain::adjudication::ClaimKind;
use crate::domain::reasons::Reason;
use crate::error::{AppError, FieldError};
use crate::services;
use crate::store::providers::ProviderFilter;
use crate::store::review::{QueueFilter, QueueSort};

/// Page sizes offered; the API allows 1–500.
const PAGE_SIZES: [i64; 4] = [20, 50, 100, 200];
/// The age thresholds counted above the table (days since receipt, "at least").
const AGES: [i64; 5] = [0, 3, 7, 14, 30];
/// The most rows one CSV export carries (pages of the API's maximum, 500).
const CSV_MAX_ROWS: i64 = 20_000;

/// The query string, every field as typed (so a bad value is shown back with its error).
#[derive(Deserialize, Default, Clone)]
pub struct QueueQuery {
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub min_amount: String,
    #[serde(default)]
    pub max_amount: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub age: String,
    #[serde(default)]
    pub unassigned: String,
    /// Only the claims this reviewer (user id) holds: the supervisor's backlog links here.
    #[serde(default)]
    pub reviewer: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub page: String,
    #[serde(default)]
    pub per: String,
}

/// The query, read: the filter for the use case, the page, or the fields that are wrong.
struct Parsed {
    filter: QueueFilter,
    min_age_days: i64,
    page: i64,
    per: i64,
}

fn parse_amount(field: &str, text: &str, errors: &mut Vec<FieldError>) -> Option<i64> {
    let t: String = text.trim().chars().filter(|c| *c != ',' && *c != '٬').collect();
    if t.is_empty() {
        return None;
    }
    match t.parse::<i64>() {
        Ok(v) if v >= 0 => Some(v),
        _ => {
            errors.push(FieldError::new(field, "integer", "must be a whole number of rials"));
            None
        }
    }
}

/// The queue's sort by its API name.
pub fn parse_sort(s: &str) -> Option<QueueSort> {
    match s {
        "" | "oldest" => Some(QueueSort::Oldest),
        "newest" => Some(QueueSort::Newest),
        "amount_desc" => Some(QueueSort::AmountDesc),
        "amount_asc" => Some(QueueSort::AmountAsc),
        _ => None,
    }
}

fn parse(q: &QueueQuery, state: &ServiceContext) -> Result<Parsed, AppError> {
    let mut errors = Vec::new();
    let min_billed = parse_amount("min_amount", &q.min_amount, &mut errors);
    let max_billed = parse_amount("max_amount", &q.max_amount, &mut errors);
    let sort = parse_sort(q.sort.trim()).unwrap_or_else(|| {
        errors.push(FieldError::new("sort", "one_of", "must be oldest, newest, amount_desc or amount_asc"));
        QueueSort::Oldest
    });
    let min_age_days = match q.age.trim() {
        "" => 0,
        t => match t.parse::<i64>() {
            Ok(d) if (0..=3650).contains(&d) => d,
            _ => {
                errors.push(FieldError::new("age", "range", "must be between 0 and 3650"));
                0
            }
        },
    };
    let page = listing::page_number(&q.page, &mut errors);
    let per = listing::page_size(&q.per, PAGE_SIZES[0], &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    Ok(Parsed {
        filter: QueueFilter {
            office_id: None,
            provider_id: text(&q.provider).map(Into::into),
            kind: text(&q.kind),
            min_billed,
            max_billed,
            reason: text(&q.reason),
            received_before: (min_age_days > 0)
                .then(|| services::review::received_before(state.now(), min_age_days)),
            unassigned: (q.unassigned.trim() == "1").then_some(true),
            assigned_to: text(&q.reviewer).map(Into::into),
            sort,
            limit: per,
            offset: (page - 1).saturating_mul(per),
        },
        min_age_days,
        page,
        per,
    })
}

/// A row of the queue, ready to print.
pub struct Row {
    pub id: String,
    pub document_no: String,
    pub provider: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub awaiting_approval: bool,
    pub billed: Rials,
    pub payable: Rials,
    pub received: Day,
    pub age_days: i64,
    /// `شما`, `کارشناس دیگر` or nothing.
    pub holder: &'static str,
    pub notes: String,
    /// An insured person reported a service as not received (R93): a badge of its own.
    pub not_received: bool,
}

/// An age count above the table; each is a link to the queue filtered by that age.
pub struct AgeCount {
    pub label: String,
    pub count: i64,
    pub href: String,
    pub current: bool,
    /// Long waits are marked (colour is never the only sign: the label says the age).
    pub late: bool,
}

pub struct SortLink {
    pub href: String,
    /// `ascending`, `descending` or empty.
    pub aria: &'static str,
}

#[derive(Template)]
#[template(path = "console/queue.html")]
pub struct QueuePage {
    pub layout: Layout,
    pub q: QueueQuery,
    pub rows: Vec<Row>,
    pub total: i64,
    pub first: i64,
    pub last: i64,
    pub ages: Vec<AgeCount>,
    pub providers: Vec<Choice>,
    pub kinds: Vec<Choice>,
    pub reasons: Vec<Choice>,
    pub sorts: Vec<Choice>,
    pub sizes: Vec<Choice>,
    /// The page-size form's target and hidden fields (the filters kept).
    pub list_path: &'static str,
    pub kept: Vec<(&'static str, String)>,
    pub unassigned: bool,
    pub pages: Vec<PageLink>,
    pub csv_href: String,
    pub clear_href: String,
    pub sort_received: SortLink,
    pub sort_amount: SortLink,
    pub filtered: bool,
    /// Fields the query got wrong: `(field, message)`.
    pub errors: Vec<(String, String)>,
    pub page_total_billed: Rials,
    pub page_total_payable: Rials,
}

impl QueuePage {
    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }
}

/// The query string of `q` with some fields replaced (empty values are left out).
/// The list's query as (name, value) pairs, in the URL's order.
fn query_pairs(q: &QueueQuery) -> Vec<(&'static str, String)> {
    vec![
        ("provider", q.provider.clone()),
        ("kind", q.kind.clone()),
        ("min_amount", q.min_amount.clone()),
        ("max_amount", q.max_amount.clone()),
        ("reason", q.reason.clone()),
        ("age", q.age.clone()),
        ("unassigned", q.unassigned.clone()),
        ("reviewer", q.reviewer.clone()),
        ("sort", q.sort.clone()),
        ("page", q.page.clone()),
        ("per", q.per.clone()),
    ]
}

fn href(q: &QueueQuery, path: &str, changes: &[(&str, String)]) -> String {
    let pairs = query_pairs(q);
    listing::href(path, pairs, changes)
}

fn require_reviewer(s: &crate::console::session::Session) -> Result<(), ConsoleError> {
    // The API's `Require<Reviewers>`: the same 403 for every other role.
    s.caller.require_any(<crate::auth::Reviewers as crate::auth::RoleSet>::ROLES).map_err(ConsoleError::from)
}

/// The office's providers by id, for the filter and the rows.
async fn providers(
    state: &ServiceContext,
    s: &crate::console::session::Session,
) -> Result<Vec<(String, String)>, ConsoleError> {
    let rows = services::providers::list(
        state,
        s.caller.clone(),
        ProviderFilter { limit: 500, ..Default::default() },
    )
    .await?;
    Ok(rows.into_iter().map(|p| (p.id.into_string(), p.name_fa)).collect())
}

/// `GET /console/queue`.
pub async fn page(
    state: web::Data<ServiceContext>,
    signed: Signed,
    q: web::Query<QueueQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    require_reviewer(&s)?;
    debug_assert!(is_reviewer(&s.caller));
    let q = q.into_inner();
    let providers = providers(&state, &s).await?;
    let (parsed, errors) = match parse(&q, &state) {
        Ok(p) => (p, Vec::new()),
        Err(AppError::Validation(errs)) => {
            // Show the page unfiltered with the errors beside their fields.
            let fallback = parse(&QueueQuery::default(), &state)?;
            (fallback, errs.into_iter().map(|e| (e.field, e.message)).collect::<Vec<_>>())
        }
        Err(e) => return Err(e.into()),
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let mut thresholds: Vec<i64> = AGES.to_vec();
    if !thresholds.contains(&parsed.min_age_days) {
        thresholds.push(parsed.min_age_days);
    }
    let counts =
        services::review::queue_counts(&state, s.caller.clone(), parsed.filter.clone(), thresholds).await?;
    let total = counts.iter().find(|(d, _)| *d == parsed.min_age_days).map(|(_, n)| *n).unwrap_or(0);
    let items = services::review::queue(&state, s.caller.clone(), parsed.filter.clone()).await?;

    let name_of = |id: &str| {
        providers.iter().find(|(p, _)| p == id).map(|(_, n)| n.clone()).unwrap_or_else(|| id.to_string())
    };
    let rows: Vec<Row> = items
        .into_iter()
        .map(|i| Row {
            provider: name_of(i.provider_id.as_str()),
            kind: ClaimKind::parse(&i.kind).map(|k| k.name_fa()).unwrap_or("—"),
            status: i.status.name_fa(),
            awaiting_approval: i.status == crate::domain::lifecycle::claim::ClaimStatus::AwaitingApproval,
            billed: Rials(i.billed),
            payable: Rials(i.insurer_payable),
            received: Day::of_instant(i.received_at),
            age_days: i.age_days,
            holder: match i.assigned_to.as_ref() {
                None => "",
                Some(u) if *u == s.caller.user_id => "شما",
                Some(_) => "کارشناس دیگر",
            },
            notes: i.pend_notes.join("؛ "),
            not_received: i.not_received,
            document_no: i.provider_document_no,
            id: i.id.into_string(),
        })
        .collect();
    let page_total_billed = Rials(rows.iter().map(|r| r.billed.0).sum());
    let page_total_payable = Rials(rows.iter().map(|r| r.payable.0).sum());

    let ages = counts
        .iter()
        .filter(|(d, _)| AGES.contains(d))
        .map(|(d, n)| AgeCount {
            label: if *d == 0 {
                "همهٔ اسناد صف".into()
            } else {
                format!("{d} روز و بیشتر")
            },
            count: *n,
            href: href(
                &q,
                "/console/queue",
                &[("age", if *d == 0 { String::new() } else { d.to_string() }), ("page", String::new())],
            ),
            current: *d == parsed.min_age_days,
            late: *d >= 14 && *n > 0,
        })
        .collect();
    let choice = |value: &str, label: String, current: &str| Choice {
        selected: value == current.trim(),
        value: value.to_string(),
        label,
    };
    let page_href =
        |p: i64| href(&q, "/console/queue", &[("page", if p == 1 { String::new() } else { p.to_string() })]);
    let pages = listing::pager(parsed.page, parsed.per, total, page_href);
    let sort_link = |asc: &str, desc: &str, default_desc: bool| {
        let cur = q.sort.trim();
        let cur = if cur.is_empty() { "oldest" } else { cur };
        let (aria, next) = if cur == asc {
            ("ascending", desc)
        } else if cur == desc {
            ("descending", asc)
        } else {
            ("", if default_desc { desc } else { asc })
        };
        SortLink {
            href: href(&q, "/console/queue", &[("sort", next.to_string()), ("page", String::new())]),
            aria,
        }
    };
    let first = if total == 0 { 0 } else { parsed.filter.offset + 1 };
    let last = parsed.filter.offset + rows.len() as i64;
    let filtered =
        [&q.provider, &q.kind, &q.min_amount, &q.max_amount, &q.reason, &q.age, &q.unassigned, &q.reviewer]
            .iter()
            .any(|v| !v.trim().is_empty());
    let page = QueuePage {
        layout: Layout::signed("صف رسیدگی", &s, "queue"),
        providers: providers.iter().map(|(id, name)| choice(id, name.clone(), &q.provider)).collect(),
        kinds: ClaimKind::ALL.iter().map(|k| choice(k.as_str(), k.name_fa().to_string(), &q.kind)).collect(),
        reasons: Reason::ALL
            .iter()
            .map(|r| choice(r.code(), format!("{} — {}", r.code(), r.message_fa()), &q.reason))
            .collect(),
        sorts: [
            ("oldest", "قدیمی‌ترین اول"),
            ("newest", "تازه‌ترین اول"),
            ("amount_desc", "بیشترین مبلغ اول"),
            ("amount_asc", "کمترین مبلغ اول"),
        ]
        .iter()
        .map(|(v, l)| choice(v, l.to_string(), if q.sort.trim().is_empty() { "oldest" } else { &q.sort }))
        .collect(),
        sizes: PAGE_SIZES
            .iter()
            .map(|n| choice(&n.to_string(), n.to_string(), &parsed.per.to_string()))
            .collect(),
        unassigned: q.unassigned.trim() == "1",
        pages,
        csv_href: href(&q, "/console/queue.csv", &[("page", String::new()), ("per", String::new())]),
        clear_href: "/console/queue".into(),
        sort_received: sort_link("oldest", "newest", false),
        sort_amount: sort_link("amount_asc", "amount_desc", true),
        filtered,
        errors,
        rows,
        total,
        list_path: "/console/queue",
        kept: listing::kept(query_pairs(&q)),
        first,
        last,
        ages,
        page_total_billed,
        page_total_payable,
        q,
    };
    render(status, &page)
}

/// `GET /console/queue.csv`: the filtered queue (every page, up to `CSV_MAX_ROWS`) as CSV for a
/// spreadsheet; amounts as plain integers in rials, dates both Jalali and ISO.
pub async fn csv(
    state: web::Data<ServiceContext>,
    signed: Signed,
    q: web::Query<QueueQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    require_reviewer(&s)?;
    let parsed = parse(&q, &state)?;
    let providers = providers(&state, &s).await?;
    let mut filter = parsed.filter;
    filter.limit = 500;
    filter.offset = 0;
    let mut out = csv::Writer::from_writer(Vec::new());
    let header = [
        "claim_id",
        "document_no",
        "provider_id",
        "provider",
        "kind",
        "status",
        "billed_rials",
        "insurer_payable_rials",
        "received_jalali",
        "received_at_utc",
        "age_days",
        "assigned_to",
    ];
    out.write_record(header).map_err(AppError::internal)?;
    loop {
        let items = services::review::queue(&state, s.caller.clone(), filter.clone()).await?;
        let n = items.len() as i64;
        for i in items {
            let provider = providers
                .iter()
                .find(|(p, _)| p == i.provider_id.as_str())
                .map(|(_, n)| n.clone())
                .unwrap_or_default();
            out.write_record([
                i.id.as_str(),
                i.provider_document_no.as_str(),
                i.provider_id.as_str(),
                provider.as_str(),
                i.kind.as_str(),
                i.status.as_str(),
                &i.billed.to_string(),
                &i.insurer_payable.to_string(),
                &Day::of_instant(i.received_at).jalali,
                &i.received_at.format("%Y-%m-%dT%H:%M:%S").to_string(),
                &i.age_days.to_string(),
                i.assigned_to.as_ref().map_or("", |u| u.as_str()),
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
        .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"queue.csv\""))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}
