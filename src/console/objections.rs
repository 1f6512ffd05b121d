//! The review office's objections (اعتراض‌ها): the providers' objections to deductions on the
//! office's claims (`services::review::office_objections`), open ones first by default, with
//! filters in the URL, counts by status and pages; the objection's page (the claim's disputed
//! lines with their split and reasons, the provider's text, its documents inline) and the
//! decision form, which calls `services::review::decide_objection` as
//! `POST /api/v1/objections/{id}/decision` does.
//!
//! Per disputed line the reviewer keeps the deduction (the line as it stands: `approve`) or
//! upholds the objection with the amount the Organization recognises (`adjust` with
//! `approved_amount`, prefilled with the most the line allows: covered + deducted). The split
//! of that amount is the use case's. Roles as the API's: `Reviewers`; another office's
//! objection is a 404; the claim's own reviewer is refused by the use case (403).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::auth::{Reviewers, RoleSet};
use crate::console::format::{Day, Rials};
use crate::console::listing::{self, Choice, PageLink};
use crate::console::preauth::{case_file, docs, Doc};
use crate::console::session::{Session, Signed};
use crate::console::{field, render, see_other, ConsoleError, Layout, Pairs};
use crate::context::ServiceContext;
use crate::domain::lifecycle::review::{DecisionStatus, ObjectionStatus};
use crate::domain::review::{LineAction, LineDecision};
use crate::error::{AppError, FieldError};
use crate::services;
use crate::services::attachments::CaseKind;
use crate::services::review::DecisionInput;
use crate::store::providers::ProviderFilter;
use crate::store::review::ObjectionFilter;

const PAGE_SIZES: [i64; 3] = [20, 50, 100];

fn require_reviewer(s: &Session) -> Result<(), ConsoleError> {
    s.caller.require_any(Reviewers::ROLES).map_err(ConsoleError::from)
}

/// The list's query string. `status` empty means open objections (the office's work).
#[derive(serde::Deserialize, Default, Clone)]
pub struct ListQuery {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub page: String,
    #[serde(default)]
    pub per: String,
}

/// The list's query as (name, value) pairs, in the URL's order.
fn query_pairs(q: &ListQuery) -> Vec<(&'static str, String)> {
    vec![
        ("status", q.status.clone()),
        ("provider", q.provider.clone()),
        ("page", q.page.clone()),
        ("per", q.per.clone()),
    ]
}

fn href(q: &ListQuery, changes: &[(&str, String)]) -> String {
    let pairs = query_pairs(q);
    listing::href("/console/objections", pairs, changes)
}

fn status_class(s: ObjectionStatus) -> &'static str {
    match s {
        ObjectionStatus::Open => "pend",
        ObjectionStatus::AwaitingApproval => "plain",
        ObjectionStatus::Decided => "ok",
    }
}

pub struct Row {
    pub id: String,
    pub claim_id: String,
    pub document_no: String,
    pub provider: String,
    pub filed: Day,
    pub lines: String,
    pub disputed: Rials,
    pub reason: String,
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
#[template(path = "console/objections.html")]
pub struct ListPage {
    pub layout: Layout,
    pub q: ListQuery,
    pub status: String,
    pub status_label: &'static str,
    pub rows: Vec<Row>,
    pub counts: Vec<StatusCount>,
    pub total: i64,
    pub first: i64,
    pub last: i64,
    pub providers: Vec<Choice>,
    pub sizes: Vec<Choice>,
    /// The page-size form's target and hidden fields (the filters kept).
    pub list_path: &'static str,
    pub kept: Vec<(&'static str, String)>,
    pub pages: Vec<PageLink>,
    pub filtered: bool,
    pub page_disputed: Rials,
    pub csv_href: String,
}

/// The list's filter from the query; a wrong value is a 422 page naming its field.
fn parse(q: &ListQuery) -> Result<(ObjectionFilter, String, i64, i64), AppError> {
    let mut errors = Vec::new();
    let (status, key) = match q.status.trim() {
        "" | "open" => (Some(ObjectionStatus::Open), "open".to_string()),
        "all" => (None, "all".to_string()),
        t => match ObjectionStatus::parse(t) {
            Some(s) => (Some(s), t.to_string()),
            None => {
                errors.push(FieldError::new("status", "one_of", "open, awaiting_approval, decided or all"));
                (None, String::new())
            }
        },
    };
    let page = listing::page_number(&q.page, &mut errors);
    let per = listing::page_size(&q.per, PAGE_SIZES[0], &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let provider = Some(q.provider.trim().to_string()).filter(|s| !s.is_empty());
    let filter = ObjectionFilter {
        office_id: None,
        status,
        provider_id: provider.map(Into::into),
        limit: per,
        offset: (page - 1).saturating_mul(per),
    };
    Ok((filter, key, page, per))
}

/// `GET /console/objections`.
pub async fn list(
    state: web::Data<ServiceContext>,
    signed: Signed,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    require_reviewer(&s)?;
    let q = q.into_inner();
    let (filter, key, page_no, per) = parse(&q)?;
    let providers: Vec<(String, String)> = services::providers::list(
        &state,
        s.caller.clone(),
        ProviderFilter { limit: 500, ..Default::default() },
    )
    .await?
    .into_iter()
    .map(|p| (p.id.into_string(), p.name_fa))
    .collect();
    let out = services::review::office_objections(&state, s.caller.clone(), filter.clone()).await?;
    // Counts by status: the same filter, one status at a time, no rows.
    let mut counts = Vec::new();
    let mut all = 0;
    for st in ObjectionStatus::ALL.iter().copied() {
        let f = ObjectionFilter { status: Some(st), limit: 0, offset: 0, ..filter.clone() };
        let n = services::review::office_objections(&state, s.caller.clone(), f).await?.total;
        all += n;
        counts.push(StatusCount {
            label: st.name_fa(),
            count: n,
            href: href(&q, &[("status", st.as_str().into()), ("page", String::new())]),
            current: key == st.as_str(),
        });
    }
    counts.push(StatusCount {
        label: "همه",
        count: all,
        href: href(&q, &[("status", "all".into()), ("page", String::new())]),
        current: key == "all",
    });
    let name_of = |id: &str| {
        providers.iter().find(|(p, _)| p == id).map(|(_, n)| n.clone()).unwrap_or_else(|| id.to_string())
    };
    let rows: Vec<Row> = out
        .items
        .into_iter()
        .map(|i| Row {
            id: i.objection.id.to_string(),
            claim_id: i.objection.claim_id.to_string(),
            document_no: i.provider_document_no,
            provider: name_of(i.provider_id.as_str()),
            filed: Day::of_instant(i.objection.filed_at),
            lines: i.objection.line_nos.iter().map(|n| n.to_string()).collect::<Vec<_>>().join("، "),
            disputed: Rials(i.disputed_deducted),
            reason: i.objection.reason,
            status: i.objection.status.name_fa(),
            status_class: status_class(i.objection.status),
        })
        .collect();
    let total = out.total;
    let page_href = |p: i64| href(&q, &[("page", if p == 1 { String::new() } else { p.to_string() })]);
    let pages = listing::pager(page_no, per, total, page_href);
    let choice = |value: &str, label: String, current: &str| Choice {
        selected: value == current.trim(),
        value: value.to_string(),
        label,
    };
    let first = if total == 0 { 0 } else { filter.offset + 1 };
    let last = filter.offset + rows.len() as i64;
    let page = ListPage {
        layout: Layout::signed("اعتراض‌ها", &s, "objections"),
        status_label: match key.as_str() {
            "all" => "همهٔ اعتراض‌ها",
            k => ObjectionStatus::parse(k).map(|s| s.name_fa()).unwrap_or("—"),
        },
        status: key,
        providers: providers.iter().map(|(id, n)| choice(id, n.clone(), &q.provider)).collect(),
        sizes: PAGE_SIZES.iter().map(|n| choice(&n.to_string(), n.to_string(), &per.to_string())).collect(),
        filtered: !q.provider.trim().is_empty(),
        page_disputed: Rials(rows.iter().map(|r| r.disputed.0).sum()),
        csv_href: href(&q, &[("page", String::new()), ("per", String::new())]).replacen(
            "/console/objections",
            "/console/objections.csv",
            1,
        ),
        rows,
        counts,
        total,
        list_path: "/console/objections",
        kept: listing::kept(query_pairs(&q)),
        first,
        last,
        pages,
        q,
    };
    render(StatusCode::OK, &page)
}

/// `GET /console/objections.csv`: the list under the same filters (every page, up to 20,000
/// rows) for a spreadsheet; amounts as plain integers in rials, dates both Jalali and ISO.
pub async fn csv(
    state: web::Data<ServiceContext>,
    signed: Signed,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    require_reviewer(&s)?;
    let (mut filter, ..) = parse(&q)?;
    filter.limit = 500;
    filter.offset = 0;
    let mut out = ::csv::Writer::from_writer(Vec::new());
    out.write_record([
        "objection_id",
        "status",
        "claim_id",
        "document_no",
        "provider_id",
        "line_nos",
        "disputed_deducted_rials",
        "filed_jalali",
        "filed_at_utc",
        "reason",
    ])
    .map_err(AppError::internal)?;
    loop {
        let page = services::review::office_objections(&state, s.caller.clone(), filter.clone()).await?;
        let n = page.items.len() as i64;
        for i in page.items {
            let o = &i.objection;
            out.write_record([
                o.id.as_str(),
                o.status.as_str(),
                o.claim_id.as_str(),
                i.provider_document_no.as_str(),
                i.provider_id.as_str(),
                &o.line_nos.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(" "),
                &i.disputed_deducted.to_string(),
                &Day::of_instant(o.filed_at).jalali,
                &o.filed_at.format("%Y-%m-%dT%H:%M:%S").to_string(),
                o.reason.as_str(),
            ])
            .map_err(AppError::internal)?;
        }
        filter.offset += n;
        if n < filter.limit || filter.offset >= 20_000 {
            break;
        }
    }
    let bytes = out.into_inner().map_err(AppError::internal)?;
    let mut body = "\u{feff}".as_bytes().to_vec();
    body.extend(bytes);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            "attachment; filename=\"objections.csv\"",
        ))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// A disputed line, as shown, with the reviewer's part of the form.
pub struct LineView {
    pub no: i32,
    pub code: String,
    pub item_type: String,
    pub quantity: String,
    pub billed: Rials,
    pub payable: Rials,
    pub franchise: Rials,
    pub gap: Rials,
    pub deducted: Rials,
    pub reasons: Vec<(String, &'static str, Rials)>,
    /// The most the Organization can recognise on the line (covered + deducted): the amount
    /// that gives the whole deduction back, `domain::review::apply`'s upper bound.
    pub most: Rials,
    pub most_plain: i64,
    pub form: LineForm,
}

#[derive(Default, Clone)]
pub struct LineForm {
    /// `""`, `keep` or `uphold`.
    pub verdict: String,
    pub amount: String,
    pub note: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "console/objection.html")]
pub struct ObjectionPage {
    pub layout: Layout,
    pub id: String,
    pub claim_id: String,
    pub document_no: String,
    pub provider: String,
    pub insured_national_code: String,
    pub claim_status: &'static str,
    pub status: &'static str,
    pub status_class: &'static str,
    pub open: bool,
    pub filed: Day,
    pub decided_on: Option<Day>,
    pub reason: String,
    pub lines: Vec<LineView>,
    pub claim_payable: Rials,
    pub claim_deducted: Rials,
    pub docs: Vec<Doc>,
    /// The caller decided the claim: the objection is for a colleague.
    pub own_claim: bool,
    pub note: String,
    pub notice: Option<&'static str>,
    pub problem: Option<(String, Vec<(String, String)>)>,
}

#[derive(serde::Deserialize, Default)]
pub struct PageQuery {
    pub done: Option<String>,
}

async fn build(
    state: &ServiceContext,
    s: &Session,
    id: String,
    mut drafts: Vec<(i32, LineForm)>,
    note: String,
    notice: Option<&'static str>,
    problem: Option<(String, Vec<(String, String)>)>,
) -> Result<ObjectionPage, ConsoleError> {
    let (o, c, decided_by) =
        services::review::office_objection(state, s.caller.clone(), id.clone().into()).await?;
    let provider = services::providers::get(state, s.caller.clone(), c.provider_id.clone())
        .await
        .map(|p| p.name_fa)
        .unwrap_or_else(|_| c.provider_id.to_string());
    let files =
        services::attachments::list_case(state, s.caller.clone(), CaseKind::Objection, id.clone()).await?;
    let lines = c
        .lines
        .iter()
        .filter(|l| o.line_nos.contains(&(l.line_no as u32)))
        .map(|l| {
            let most = l.insurer_payable + l.patient_share + l.deducted;
            let form = drafts.iter().position(|(n, _)| *n == l.line_no).map(|i| drafts.remove(i).1);
            LineView {
                no: l.line_no,
                code: l.code.clone(),
                item_type: l.item_type.clone(),
                quantity: l.quantity.clone(),
                billed: Rials(l.billed),
                payable: Rials(l.insurer_payable),
                franchise: Rials(l.patient_share),
                gap: Rials(l.patient_gap),
                deducted: Rials(l.deducted),
                reasons: l.reasons.iter().map(|r| (r.code.clone(), r.message_fa, Rials(r.amount))).collect(),
                most: Rials(most),
                most_plain: most,
                form: form.unwrap_or_default(),
            }
        })
        .collect();
    Ok(ObjectionPage {
        layout: Layout::signed(format!("اعتراض به سند {}", c.provider_document_no), s, "objections"),
        id,
        claim_id: c.id.to_string(),
        document_no: c.provider_document_no.clone(),
        provider,
        insured_national_code: c.insured_national_code.clone(),
        claim_status: c.status.name_fa(),
        status: o.status.name_fa(),
        status_class: status_class(o.status),
        open: o.status == ObjectionStatus::Open,
        filed: Day::of_instant(o.filed_at),
        decided_on: o.decided_at.map(Day::of_instant),
        reason: o.reason,
        lines,
        claim_payable: Rials(c.totals.insurer_payable),
        claim_deducted: Rials(c.totals.deducted),
        docs: docs(&files, &format!("/console/objections/{}", o.id)),
        own_claim: decided_by.as_ref() == Some(&s.caller.user_id),
        note,
        notice,
        problem,
    })
}

/// `GET /console/objections/{id}`.
pub async fn page(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    require_reviewer(&s)?;
    let notice = match q.done.as_deref() {
        Some("applied") => Some("رسیدگی به اعتراض ثبت شد و به مرکز درمانی اطلاع داده می‌شود."),
        Some("awaiting") => Some("تغییر مبلغ بیش از سقف است: تصمیم در انتظار تأیید سرپرست است."),
        _ => None,
    };
    let page = build(&state, &s, id.into_inner(), Vec::new(), String::new(), notice, None).await?;
    render(StatusCode::OK, &page)
}

/// The form as the use case's input (`verdict.N`, `amount.N`, `lnote.N` per disputed line),
/// and the drafts to show again. A line left without a verdict is not sent.
fn input_of(pairs: &[(String, String)]) -> (Result<DecisionInput, AppError>, Vec<(i32, LineForm)>) {
    let mut lines = Vec::new();
    let mut drafts = Vec::new();
    let mut errors = Vec::new();
    for n in pairs.iter().filter_map(|(k, _)| k.strip_prefix("verdict.")?.parse::<u32>().ok()) {
        let get = |what: &str| field(pairs, &format!("{what}.{n}")).to_string();
        let form =
            LineForm { verdict: get("verdict"), amount: get("amount"), note: get("lnote"), error: None };
        let note = (!form.note.is_empty()).then(|| form.note.clone());
        match form.verdict.as_str() {
            "" => {}
            "keep" => lines.push(LineDecision {
                line_no: n,
                action: LineAction::Approve,
                approved_amount: None,
                approved_quantity: None,
                reason: None,
                note,
            }),
            "uphold" => {
                let digits: String = form.amount.chars().filter(|c| *c != ',' && *c != '٬').collect();
                match crate::domain::text::ascii_digits(&digits).parse::<i64>() {
                    Ok(a) => lines.push(LineDecision {
                        line_no: n,
                        action: LineAction::Adjust,
                        approved_amount: Some(a),
                        approved_quantity: None,
                        reason: None,
                        note,
                    }),
                    Err(_) => errors.push(FieldError::new(
                        format!("line.{n}"),
                        "number",
                        "an amount in whole rials",
                    )),
                }
            }
            _ => errors.push(FieldError::new(format!("line.{n}"), "one_of", "keep or uphold")),
        }
        drafts.push((n as i32, form));
    }
    if !errors.is_empty() {
        return (Err(AppError::Validation(errors)), drafts);
    }
    if lines.is_empty() {
        return (
            Err(AppError::Validation(vec![FieldError::new(
                "lines",
                "empty",
                "decide at least one disputed line",
            )])),
            drafts,
        );
    }
    let note = Some(field(pairs, "note").to_string()).filter(|n| !n.is_empty());
    (Ok(DecisionInput { lines, note }), drafts)
}

/// `POST /console/objections/{id}/decision`: through `services::review::decide_objection`,
/// then back to the objection (PRG). A refused input shows the page again with the draft and
/// the problem beside its line (422/409).
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
    let (input, mut drafts) = input_of(&form);
    let sent: Vec<u32> =
        input.as_ref().map(|i| i.lines.iter().map(|l| l.line_no).collect()).unwrap_or_default();
    let result = match input {
        Ok(input) => {
            services::review::decide_objection(&state, s.caller.clone(), id.clone().into(), input).await
        }
        Err(e) => Err(e),
    };
    let e = match result {
        Ok(out) => {
            let done = if out.status == DecisionStatus::AwaitingApproval { "awaiting" } else { "applied" };
            return Ok(see_other(&format!("/console/objections/{id}?done={done}")));
        }
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => e,
        Err(e) => return Err(e.into()),
    };
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    // The use case's `lines[i]` is the i-th line sent: named by its line number here.
    let fields: Vec<(String, String)> = match &e {
        AppError::Validation(errors) => errors
            .iter()
            .map(|f| {
                let line = f
                    .field
                    .strip_prefix("lines[")
                    .and_then(|r| r.split(']').next())
                    .and_then(|i| i.parse::<usize>().ok())
                    .and_then(|i| sent.get(i))
                    .map(|n| format!("line.{n}"));
                (line.unwrap_or_else(|| f.field.clone()), f.message.clone())
            })
            .collect(),
        _ => Vec::new(),
    };
    for (name, message) in &fields {
        if let Some(n) = name.strip_prefix("line.").and_then(|n| n.parse::<i32>().ok()) {
            if let Some((_, d)) = drafts.iter_mut().find(|(m, _)| *m == n) {
                d.error = Some(message.clone());
            }
        }
    }
    let note = field(&form, "note").to_string();
    let page = build(&state, &s, id, drafts, note, None, Some((e.detail(), fields))).await?;
    render(status, &page)
}

/// `GET /console/objections/{id}/files/{attachment_id}`.
pub async fn file(
    state: web::Data<ServiceContext>,
    signed: Signed,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    require_reviewer(&s)?;
    let (case_id, id) = path.into_inner();
    // The objection must be the office's (404 otherwise) before its file is read.
    services::review::office_objection(&state, s.caller.clone(), case_id.clone().into()).await?;
    case_file(&state, s, CaseKind::Objection, case_id, id).await
}
