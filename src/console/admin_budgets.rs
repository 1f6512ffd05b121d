//! The administrator's approved budgets (بودجهٔ مصوب سالانه): a year's budgets grouped by level
//! (provinces, then review offices) with their totals, a form to enter one or change its amount,
//! and the CSV import with every problem listed.
//!
//! Every handler admits the API's writers (`services::budgets::require_admin`: administrators),
//! checks the CSRF token of a POST first, and calls the use case the API calls. The form is read
//! into the API's own request body (`api::budgets::CreateBody` / `ChangeBody`) and validated as
//! the API validates it. The unit is one select (`province:<id>` or `office:<id>`) so that a
//! level and its unit cannot disagree; the use case's `office_id`, `province_id` and `level`
//! errors are shown beside it.

use std::collections::HashMap;

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use serde_json::{Map, Value};
use validator::Validate;

use crate::api::budgets::{ChangeBody, CreateBody};
use crate::console::admin_contracts::{refusal, Refusal};
use crate::console::format::{Day, Rials};
use crate::console::listing::Choice;
use crate::console::session::{Session, Signed};
use crate::console::upload::read_multipart;
use crate::console::{field, render, see_other, ConsoleError, Layout, Pairs};
use crate::context::ServiceContext;
use crate::domain::budget::{Benefit, Level};
use crate::domain::jalali::{JalaliDate, MAX_YEAR, MIN_YEAR};
use crate::domain::text::ascii_digits;
use crate::error::AppError;
use crate::services;
use crate::store::budgets::{BudgetFilter, BudgetRow};
use crate::store::offices::{OfficeFilter, OfficeRow, ProvinceRow};

/// One budget of the table.
pub struct BudgetItem {
    pub id: String,
    pub unit: String,
    pub code: String,
    pub benefit: &'static str,
    pub amount: Rials,
    pub note: String,
    pub changed: Day,
    pub editing: bool,
}

/// The budgets of one level, with their total.
pub struct LevelGroup {
    pub key: &'static str,
    pub name: &'static str,
    pub rows: Vec<BudgetItem>,
    pub total: Rials,
}

/// The form as typed (or, when changing one, as stored).
#[derive(Default)]
pub struct BudgetForm {
    pub unit: String,
    pub benefit: String,
    pub amount: String,
    pub note: String,
}

/// The budget being changed: its key, shown, not editable.
pub struct Editing {
    pub id: String,
    pub unit: String,
    pub benefit: &'static str,
}

#[derive(Template)]
#[template(path = "console/admin_budgets.html")]
pub struct BudgetsPage {
    pub layout: Layout,
    pub year: i32,
    pub groups: Vec<LevelGroup>,
    pub total: Rials,
    pub count: usize,
    pub editing: Option<Editing>,
    pub form: BudgetForm,
    pub provinces: Vec<Choice>,
    pub offices: Vec<Choice>,
    pub benefits: Vec<Choice>,
    pub errors: Vec<(String, String)>,
    pub problem: Option<String>,
    /// Every problem of the last import, `line N: column: message`.
    pub problems: Vec<String>,
    pub notice: Option<String>,
}

impl BudgetsPage {
    pub fn error_for(&self, name: &str) -> Option<&str> {
        self.errors.iter().find(|(f, _)| f == name).map(|(_, m)| m.as_str())
    }
}

#[derive(Deserialize, Default)]
pub struct BudgetsQuery {
    #[serde(default)]
    pub year: String,
    #[serde(default)]
    pub done: String,
}

/// The year asked for, or the current Jalali year.
fn year_of(state: &ServiceContext, text: &str) -> i32 {
    ascii_digits(text.trim())
        .parse::<i32>()
        .ok()
        .filter(|y| (MIN_YEAR..=MAX_YEAR).contains(y))
        .unwrap_or_else(|| JalaliDate::from_gregorian(state.today()).year())
}

/// A refused form: as typed, the fields named (form's names) and the problem's detail.
type Typed = (BudgetForm, Vec<(String, String)>, String);

/// What the page shows beside the table and the form.
#[derive(Default)]
struct Outcome {
    typed: Option<Typed>,
    problems: Vec<String>,
    notice: Option<String>,
}

/// Every budget of a year (the API's pages, followed to the end).
async fn year_budgets(state: &ServiceContext, s: &Session, year: i32) -> Result<Vec<BudgetRow>, AppError> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let filter =
            BudgetFilter { year: Some(year), after, limit: crate::api::MAX_PAGE, ..Default::default() };
        let page = services::budgets::list(state, &s.caller, filter).await?;
        let full = page.len() as i64 == crate::api::MAX_PAGE;
        after = page.last().map(|b| b.id.to_string());
        all.extend(page);
        if !full {
            return Ok(all);
        }
    }
}

async fn page(
    state: &ServiceContext,
    s: &Session,
    year: i32,
    editing: Option<&BudgetRow>,
    outcome: Outcome,
) -> Result<BudgetsPage, ConsoleError> {
    let provinces: Vec<ProvinceRow> = services::offices::provinces(state).await?;
    let mut offices: Vec<OfficeRow> = services::offices::list(
        state,
        OfficeFilter { province_id: None, active: None, after: None, limit: crate::api::MAX_PAGE },
    )
    .await?;
    offices.sort_by(|a, b| (a.province_id, &a.code).cmp(&(b.province_id, &b.code)));
    let province_by_id: HashMap<i32, &ProvinceRow> = provinces.iter().map(|p| (p.id, p)).collect();
    let office_by_id: HashMap<String, &OfficeRow> = offices.iter().map(|o| (o.id.to_string(), o)).collect();
    let unit_of = |b: &BudgetRow| -> (String, String) {
        match (&b.office_id, b.province_id) {
            (Some(o), _) => office_by_id
                .get(o.as_str())
                .map(|o| (o.name_fa.clone(), o.code.clone()))
                .unwrap_or_else(|| (o.to_string(), String::new())),
            (None, Some(p)) => province_by_id
                .get(&p)
                .map(|p| (p.name_fa.clone(), p.code.clone()))
                .unwrap_or_else(|| (p.to_string(), String::new())),
            (None, None) => (String::new(), String::new()),
        }
    };
    let benefit_fa = |b: &str| Benefit::parse(b).map(Benefit::name_fa).unwrap_or("");
    let mut rows = year_budgets(state, s, year).await?;
    // Units in order (province id, office code), benefits in their order within a unit.
    let rank = |b: &BudgetRow| {
        let unit = match (&b.office_id, b.province_id) {
            (Some(o), _) => office_by_id.get(o.as_str()).map(|o| (o.province_id, o.code.clone())),
            (None, Some(p)) => Some((p, String::new())),
            _ => None,
        };
        let benefit = Benefit::parse(&b.benefit).map(|x| x as u8).unwrap_or(u8::MAX);
        (unit, benefit)
    };
    rows.sort_by_key(rank);
    let count = rows.len();
    let mut groups = Vec::new();
    for level in [Level::Province, Level::Office] {
        let items: Vec<BudgetItem> = rows
            .iter()
            .filter(|b| b.level == level.as_str())
            .map(|b| {
                let (unit, code) = unit_of(b);
                BudgetItem {
                    id: b.id.to_string(),
                    unit,
                    code,
                    benefit: benefit_fa(&b.benefit),
                    amount: Rials(b.amount_rials),
                    note: b.note.clone().unwrap_or_default(),
                    changed: Day::of_instant(b.updated_at),
                    editing: editing.is_some_and(|e| e.id == b.id),
                }
            })
            .collect();
        let total = Rials(items.iter().map(|i| i.amount.0).sum());
        groups.push(LevelGroup {
            key: level.as_str(),
            name: match level {
                Level::Province => "بودجهٔ استان‌ها (مدیریت درمان)",
                Level::Office => "بودجهٔ دفاتر رسیدگی",
            },
            rows: items,
            total,
        });
    }
    let total = Rials(rows.iter().map(|b| b.amount_rials).sum());
    let (form, errors, problem) = match (outcome.typed, editing) {
        (Some((form, errors, detail)), _) => (form, errors, Some(detail)),
        (None, Some(b)) => (
            BudgetForm {
                unit: String::new(),
                benefit: b.benefit.clone(),
                amount: b.amount_rials.to_string(),
                note: b.note.clone().unwrap_or_default(),
            },
            Vec::new(),
            None,
        ),
        (None, None) => (BudgetForm::default(), Vec::new(), None),
    };
    let choices = |items: Vec<(String, String)>| -> Vec<Choice> {
        items
            .into_iter()
            .map(|(value, label)| Choice { selected: value == form.unit, value, label })
            .collect()
    };
    let province_choices =
        choices(provinces.iter().map(|p| (format!("province:{}", p.id), p.name_fa.clone())).collect());
    let office_choices = choices(
        offices
            .iter()
            .map(|o| {
                let province = province_by_id.get(&o.province_id).map(|p| p.name_fa.as_str()).unwrap_or("");
                (format!("office:{}", o.id), format!("{} ({}) · {}", o.name_fa, o.code, province))
            })
            .collect(),
    );
    Ok(BudgetsPage {
        layout: Layout::signed(
            if editing.is_some() { "تغییر بودجه" } else { "بودجهٔ مصوب" },
            s,
            "admin_budgets",
        ),
        year,
        groups,
        total,
        count,
        editing: editing.map(|b| Editing {
            id: b.id.to_string(),
            unit: {
                let (unit, code) = unit_of(b);
                format!("{unit} ({code})")
            },
            benefit: benefit_fa(&b.benefit),
        }),
        benefits: Benefit::ALL
            .iter()
            .map(|b| Choice {
                value: b.as_str().into(),
                label: b.name_fa().into(),
                selected: form.benefit == b.as_str(),
            })
            .collect(),
        form,
        provinces: province_choices,
        offices: office_choices,
        errors,
        problem,
        problems: outcome.problems,
        notice: outcome.notice,
    })
}

fn admin(s: &Session) -> Result<(), ConsoleError> {
    services::budgets::require_admin(&s.caller).map_err(ConsoleError::from)
}

/// `GET /console/admin/budgets?year=`: the year's budgets, the form and the import.
pub async fn list(
    state: web::Data<ServiceContext>,
    signed: Signed,
    q: web::Query<BudgetsQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    admin(&s)?;
    let notice = match q.done.as_str() {
        "created" => Some("بودجه ثبت شد.".to_string()),
        "updated" => Some("مبلغ بودجه تغییر کرد؛ مبلغ پیشین در ردپای ممیزی مانده است.".to_string()),
        _ => None,
    };
    let year = year_of(&state, &q.year);
    render(StatusCode::OK, &page(&state, &s, year, None, Outcome { notice, ..Default::default() }).await?)
}

/// `GET /console/admin/budgets/{id}`: the year's budgets with this one's form.
pub async fn edit(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    admin(&s)?;
    let b = services::budgets::get(&state, &s.caller, id.into_inner().into()).await?;
    render(StatusCode::OK, &page(&state, &s, b.year, Some(&b), Outcome::default()).await?)
}

/// The amount as typed: grouped digits and Persian digits are read as the number they show.
fn amount(m: &mut Map<String, Value>, text: &str) {
    let v = ascii_digits(text).replace([',', '،', '٬', ' '], "");
    if !v.is_empty() {
        m.insert("amount_rials".into(), v.parse::<i64>().map(Value::from).unwrap_or(Value::String(v)));
    }
}

fn note(m: &mut Map<String, Value>, text: &str) {
    if !text.is_empty() {
        m.insert("note".into(), Value::String(text.into()));
    }
}

/// The form as the API's request body, parsed and validated as the API does.
fn body<T: serde::de::DeserializeOwned + Validate>(m: Map<String, Value>) -> Result<T, AppError> {
    let bytes = serde_json::to_vec(&Value::Object(m)).map_err(AppError::internal)?;
    let value = crate::input::parse_json::<T>(&bytes)?;
    value.validate()?;
    Ok(value)
}

fn create_body(p: &[(String, String)], year: i32) -> Result<CreateBody, AppError> {
    let mut m = Map::new();
    m.insert("year".into(), Value::from(year));
    match field(p, "unit").split_once(':') {
        Some(("province", id)) => {
            m.insert("level".into(), Value::from("province"));
            m.insert("province_id".into(), id.parse::<i32>().map(Value::from).unwrap_or(Value::from(id)));
        }
        Some(("office", id)) => {
            m.insert("level".into(), Value::from("office"));
            m.insert("office_id".into(), Value::from(id));
        }
        _ => return Err(AppError::field("unit", "required", "choose the province or the office")),
    }
    let benefit = field(p, "benefit");
    if !benefit.is_empty() {
        m.insert("benefit".into(), Value::from(benefit));
    }
    amount(&mut m, field(p, "amount"));
    note(&mut m, field(p, "note"));
    body(m)
}

/// The use case's field names as the form's.
fn form_errors(errors: Vec<(String, String)>) -> Vec<(String, String)> {
    errors
        .into_iter()
        .map(|(f, m)| {
            let name = match f.as_str() {
                "office_id" | "province_id" | "level" => "unit",
                "amount_rials" => "amount",
                other => other,
            };
            (name.to_string(), m)
        })
        .collect()
}

fn typed(p: &[(String, String)]) -> BudgetForm {
    BudgetForm {
        unit: field(p, "unit").into(),
        benefit: field(p, "benefit").into(),
        amount: field(p, "amount").into(),
        note: field(p, "note").into(),
    }
}

/// `POST /console/admin/budgets`: `services::budgets::create`.
pub async fn create(
    state: web::Data<ServiceContext>,
    signed: Signed,
    form: Pairs,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    s.verify_csrf(field(&form, "csrf"))?;
    admin(&s)?;
    let year = year_of(&state, field(&form, "year"));
    let result = match create_body(&form, year) {
        Ok(b) => services::budgets::create(&state, &s.caller, b.into()).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(b) => Ok(see_other(&format!("/console/admin/budgets?year={}&done=created", b.year))),
        Err(e) => {
            let Refusal { errors, detail, status } = refusal(e)?;
            let outcome =
                Outcome { typed: Some((typed(&form), form_errors(errors), detail)), ..Default::default() };
            render(status, &page(&state, &s, year, None, outcome).await?)
        }
    }
}

/// `POST /console/admin/budgets/{id}`: `services::budgets::update` (the amount and the note).
pub async fn update(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    form: Pairs,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    s.verify_csrf(field(&form, "csrf"))?;
    admin(&s)?;
    let b = services::budgets::get(&state, &s.caller, id.into_inner().into()).await?;
    let mut m = Map::new();
    amount(&mut m, field(&form, "amount"));
    note(&mut m, field(&form, "note"));
    let result = match body::<ChangeBody>(m) {
        Ok(change) => services::budgets::update(&state, &s.caller, b.id.clone(), change.into()).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(b) => Ok(see_other(&format!("/console/admin/budgets?year={}&done=updated", b.year))),
        Err(e) => {
            let Refusal { errors, detail, status } = refusal(e)?;
            let outcome =
                Outcome { typed: Some((typed(&form), form_errors(errors), detail)), ..Default::default() };
            render(status, &page(&state, &s, b.year, Some(&b), outcome).await?)
        }
    }
}

/// `POST /console/admin/budgets/import` (multipart: `csrf`, `year` — the year shown — and the
/// CSV as `file`): `services::budgets::import`, the API's import. Every problem is listed as
/// `line N: column: message`, and then nothing was written.
pub async fn import(
    state: web::Data<ServiceContext>,
    signed: Signed,
    form: Multipart,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    let limit = state.config.max_json_bytes;
    let form = read_multipart(form, limit).await?;
    s.verify_csrf(form.get("csrf").trim())?;
    admin(&s)?;
    let year = year_of(&state, &form.get("year"));
    if form.too_large {
        return Err(AppError::PayloadTooLarge(format!("the file is larger than {limit} bytes")).into());
    }
    let Some((_, bytes)) = form.file() else {
        let outcome = Outcome {
            problems: vec!["file: پرونده‌ای برگزیده نشده است".into()],
            ..Default::default()
        };
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page(&state, &s, year, None, outcome).await?);
    };
    match services::budgets::import(&state, &s.caller, bytes).await {
        Ok(r) => {
            let notice = format!(
                "پرونده وارد شد: {} سطر · {} بودجهٔ تازه · {} تغییر · {} بی‌تغییر.",
                r.rows, r.created, r.updated, r.unchanged
            );
            render(
                StatusCode::OK,
                &page(&state, &s, year, None, Outcome { notice: Some(notice), ..Default::default() }).await?,
            )
        }
        Err(AppError::Validation(errors)) => {
            let problems = errors.into_iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(&state, &s, year, None, Outcome { problems, ..Default::default() }).await?,
            )
        }
        Err(e) => Err(e.into()),
    }
}
