//! The reviewer's work on the claim page (رسیدگی کارشناس): take and release the claim, preview
//! a decision (htmx), save it, and open the documents of the electronic file. Each handler
//! parses the form, authorizes as the API does (`Reviewers` for the review routes; the claim's
//! scope for the file), calls one use case — `services::review::{take, release, preview,
//! decide}`, `services::attachments::download` — and redirects back to the page (PRG) or
//! renders. The split of the amounts is always the use case's.

use std::str::FromStr;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use rust_decimal::Decimal;

use crate::auth::{Reviewers, RoleSet};
use crate::console::claims::{build, ClaimQuery, Draft, LineForm};
use crate::console::format::Rials;
use crate::console::session::{Session, Signed};
use crate::console::{field, render, see_other, ConsoleError, Pairs};
use crate::context::ServiceContext;
use crate::domain::review::{LineAction, LineDecision};
use crate::error::{AppError, FieldError};
use crate::services;
use crate::services::review::{DecisionInput, DecisionPreview};

/// Signed in, the right CSRF token, and a reviewer (the API's `Reviewers`, 403 otherwise).
fn reviewer(session: &Session, pairs: &[(String, String)]) -> Result<(), ConsoleError> {
    session.verify_csrf(field(pairs, "csrf"))?;
    session.caller.require_any(Reviewers::ROLES)?;
    Ok(())
}

/// `POST /console/claims/{id}/take`.
pub async fn take(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    form: Pairs,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    reviewer(&s, &form)?;
    let id = id.into_inner();
    services::review::take(&state, s.caller.clone(), id.clone().into()).await?;
    Ok(see_other(&format!("/console/claims/{id}?done=taken")))
}

/// `POST /console/claims/{id}/release`.
pub async fn release(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    form: Pairs,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    reviewer(&s, &form)?;
    let id = id.into_inner();
    services::review::release(&state, s.caller.clone(), id.clone().into()).await?;
    Ok(see_other(&format!("/console/claims/{id}?done=released")))
}

/// The decision form as the use case's input, and each decided line's draft (to show again
/// after a refusal). A line whose action is empty is left as the engine priced it (not sent:
/// `decide` accepts unnamed pended lines as priced). Errors name the console's field.
pub fn decision_input(pairs: &[(String, String)]) -> (Result<DecisionInput, AppError>, Draft) {
    let mut draft = Draft { note: field(pairs, "note").to_string(), ..Draft::default() };
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    let line_nos = pairs.iter().filter_map(|(k, _)| k.strip_prefix("action.")?.parse::<u32>().ok());
    for n in line_nos {
        let get = |what: &str| field(pairs, &format!("{what}.{n}")).to_string();
        let form = LineForm {
            action: get("action"),
            amount: get("amount"),
            quantity: get("quantity"),
            reason: get("reason"),
            note: get("lnote"),
            error: None,
        };
        let action = match form.action.as_str() {
            "" => None,
            "approve" => Some(LineAction::Approve),
            "adjust" => Some(LineAction::Adjust),
            "reject" => Some(LineAction::Reject),
            _ => {
                errors.push(FieldError::new(format!("action.{n}"), "one_of", "approve, adjust or reject"));
                None
            }
        };
        if let Some(action) = action {
            // Only an adjustment names an amount; the digits may carry the separators the page shows.
            let approved_amount = if action == LineAction::Adjust {
                let digits: String = form.amount.chars().filter(|c| *c != ',' && *c != '٬').collect();
                match digits.parse::<i64>() {
                    Ok(a) => Some(a),
                    Err(_) => {
                        errors.push(FieldError::new(
                            format!("amount.{n}"),
                            "number",
                            "an amount in whole rials",
                        ));
                        None
                    }
                }
            } else {
                None
            };
            let approved_quantity = match form.quantity.as_str() {
                "" => None,
                q => match Decimal::from_str(q) {
                    Ok(q) => Some(q),
                    Err(_) => {
                        errors.push(FieldError::new(format!("quantity.{n}"), "number", "a quantity"));
                        None
                    }
                },
            };
            lines.push(LineDecision {
                line_no: n,
                action,
                approved_amount,
                approved_quantity,
                reason: (action != LineAction::Approve && !form.reason.is_empty())
                    .then(|| form.reason.clone()),
                note: (!form.note.is_empty()).then(|| form.note.clone()),
            });
        }
        draft.lines.insert(n as i32, form);
    }
    if !errors.is_empty() {
        return (Err(AppError::Validation(errors)), draft);
    }
    let note = (!draft.note.is_empty()).then(|| draft.note.clone());
    (Ok(DecisionInput { lines, note }), draft)
}

/// The problem's fields in the console's names: the use case's `lines[i]…` is line
/// `input.lines[i].line_no`, shown beside that line.
pub fn console_fields(e: &AppError, input: Option<&DecisionInput>) -> Vec<(String, String)> {
    let AppError::Validation(errors) = e else { return Vec::new() };
    errors
        .iter()
        .map(|f| {
            let line = f
                .field
                .strip_prefix("lines[")
                .and_then(|rest| rest.split(']').next())
                .and_then(|i| i.parse::<usize>().ok())
                .and_then(|i| input?.lines.get(i))
                .map(|d| format!("line.{}", d.line_no));
            (line.unwrap_or_else(|| f.field.clone()), f.message.clone())
        })
        .collect()
}

/// Puts each field's message beside its line in the draft.
pub fn mark_lines(draft: &mut Draft, fields: &[(String, String)]) {
    for (name, message) in fields {
        let n = name.rsplit('.').next().and_then(|n| n.parse::<i32>().ok());
        if let Some(form) = n.and_then(|n| draft.lines.get_mut(&n)) {
            form.error = Some(message.clone());
        }
    }
}

/// `POST /console/claims/{id}/decision`: saves through `services::review::decide`, then back to
/// the page (applied, or awaiting a supervisor). A refused input shows the page again, with the
/// reviewer's draft, the problem's detail and each field's message beside its line (422/409).
pub async fn decide(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    form: Pairs,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    reviewer(&s, &form)?;
    let id = id.into_inner();
    let (input, mut draft) = decision_input(&form);
    let (result, sent) = match input {
        Ok(input) => {
            // The lines as sent, to name the fields of a refusal.
            let sent = DecisionInput { lines: input.lines.clone(), note: input.note.clone() };
            (services::review::decide(&state, s.caller.clone(), id.clone().into(), input).await, Some(sent))
        }
        Err(e) => (Err(e), None),
    };
    let e = match result {
        Ok(out) => {
            let done = if out.status == crate::domain::lifecycle::review::DecisionStatus::AwaitingApproval {
                "awaiting"
            } else {
                "applied"
            };
            return Ok(see_other(&format!("/console/claims/{id}?done={done}")));
        }
        Err(e) => e,
    };
    // Outside the caller's scope, or not theirs to decide: the error page, as for any request.
    if !matches!(e, AppError::Validation(_) | AppError::Conflict { .. }) {
        return Err(e.into());
    }
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    let fields = console_fields(&e, sent.as_ref());
    mark_lines(&mut draft, &fields);
    draft.problem = Some((e.detail(), fields));
    let page = build(&state, &s, id, &ClaimQuery::default(), draft).await?;
    render(status, &page)
}

/// A line of the preview, as shown.
pub struct PreviewLine {
    pub no: u32,
    pub status: &'static str,
    pub before: [Rials; 4],
    pub after: [Rials; 4],
}

/// The preview fragment swapped into the decision panel.
#[derive(Template)]
#[template(path = "console/preview.html")]
pub struct PreviewFragment {
    pub lines: Vec<PreviewLine>,
    pub before: [Rials; 4],
    pub after: [Rials; 4],
    pub needs_supervisor: bool,
    pub problem: Option<(String, Vec<(String, String)>)>,
}

fn split(s: &services::review::Split) -> [Rials; 4] {
    [Rials(s.insurer_payable), Rials(s.patient_share), Rials(s.patient_gap), Rials(s.deducted)]
}

impl PreviewFragment {
    fn of(p: &DecisionPreview) -> PreviewFragment {
        PreviewFragment {
            lines: p
                .lines
                .iter()
                .map(|l| PreviewLine {
                    no: l.line_no,
                    status: l.status.name_fa(),
                    before: split(&l.before),
                    after: split(&l.after),
                })
                .collect(),
            before: split(&p.before),
            after: split(&p.after),
            needs_supervisor: p.needs_supervisor,
            problem: None,
        }
    }
}

/// `POST /console/claims/{id}/preview` (htmx): the decision's outcome, computed by
/// `services::review::preview` (the arithmetic `decide` runs), nothing saved. A refused input is
/// the fragment with the problem (422), which htmx swaps in like any answer.
pub async fn preview(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    form: Pairs,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    reviewer(&s, &form)?;
    let (input, _) = decision_input(&form);
    let (result, sent) = match input {
        Ok(input) => {
            let sent = DecisionInput { lines: input.lines.clone(), note: None };
            (
                services::review::preview(&state, s.caller.clone(), id.into_inner().into(), input).await,
                Some(sent),
            )
        }
        Err(e) => (Err(e), None),
    };
    match result {
        Ok(p) => render(StatusCode::OK, &PreviewFragment::of(&p)),
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => {
            let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            let zero = [Rials(0), Rials(0), Rials(0), Rials(0)];
            let fragment = PreviewFragment {
                lines: Vec::new(),
                before: zero,
                after: zero,
                needs_supervisor: false,
                problem: Some((e.detail(), console_fields(&e, sent.as_ref()))),
            };
            render(status, &fragment)
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /console/claims/{id}/files/{attachment_id}`: a document of the electronic file through
/// `services::attachments::download`, the API download's use case (the same session caller and
/// scope: another office's claim is a 404). Shown inline on the claim page: the type recognised
/// at upload, never sniffed (`nosniff`), framed only by the console itself.
pub async fn file(
    state: web::Data<ServiceContext>,
    signed: Signed,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let (claim_id, id) = path.into_inner();
    let (row, bytes) =
        services::attachments::download(&state, signed.0.caller, claim_id.into(), id.into()).await?;
    Ok(HttpResponse::Ok()
        .content_type(row.content_type)
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CONTENT_DISPOSITION, "inline"))
        .insert_header((header::X_FRAME_OPTIONS, "SAMEORIGIN"))
        // A person's medical document: kept by no cache, as the pages.
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}
