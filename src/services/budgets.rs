//! Approved annual budgets (بودجهٔ مصوب سالانه): entered or imported by an administrator, read
//! by the Organization's staff within their scope.
//!
//! - **Writes** (create, change, CSV import) are the administrator's. A budget is one row per
//!   year, unit (office or province) and benefit: entering it again is a 409, changing its amount
//!   is an update recorded in the audit trail with the amount before and after.
//! - **Reads** go through the caller's scope (`Caller::scope`, `store::scope::budgets`): an
//!   office's reviewers and supervisors (and finance bound to it) read their office's budgets, a
//!   province scope its own and its offices', an Organization-wide role every one; a budget
//!   outside the scope is a 404. Providers and insured persons are refused (403), and so are the
//!   tariff administrator and medical advisors, whose work has nothing to do with budgets.

use std::collections::HashMap;

use serde::Serialize;

use crate::auth::{Caller, Role, Scope};
use crate::context::ServiceContext;
use crate::db::AnyConnection;
use crate::domain::budget::{Benefit, Level};
use crate::domain::jalali::{MAX_YEAR, MIN_YEAR};
use crate::domain::record_ids::{BudgetId, OfficeId};
use crate::domain::text::{ascii_digits, normalize_identifier, normalize_persian};
use crate::error::{AppError, AppResult, FieldError};
use crate::store::audit::{self, Actor};
use crate::store::budgets::{self as store, BudgetFilter, BudgetRow};
use crate::store::offices;

/// A new budget: its key (year, unit, benefit) and amount.
#[derive(Clone, Debug)]
pub struct BudgetInput {
    /// The Jalali year.
    pub year: i32,
    pub level: Level,
    /// Set for `Level::Office` only.
    pub office_id: Option<OfficeId>,
    /// Set for `Level::Province` only.
    pub province_id: Option<i32>,
    pub benefit: Benefit,
    /// Integer rials, > 0.
    pub amount_rials: i64,
    pub note: Option<String>,
}

/// A change to a budget: the amount and the note (its key never changes; a budget of another
/// year or unit is another budget).
#[derive(Clone, Debug)]
pub struct BudgetChange {
    pub amount_rials: i64,
    pub note: Option<String>,
}

/// The scope a caller reads budgets in, or 403 for the roles that have no business with them.
pub fn read_scope(caller: &Caller) -> AppResult<Scope> {
    match caller.role {
        Role::Provider | Role::Insured | Role::TariffAdmin | Role::MedicalAdvisor => {
            Err(AppError::forbidden(format!("the role {} does not read budgets", caller.role)))
        }
        _ => Ok(caller.scope()),
    }
}

/// Writes (create, change, import) are the administrator's.
pub fn require_admin(caller: &Caller) -> AppResult<()> {
    caller.require_any(&[Role::Admin])
}

fn check_amount(amount: i64, field: &str) -> Result<(), FieldError> {
    if amount > 0 {
        Ok(())
    } else {
        Err(FieldError::new(field, "range", "must be a positive number of rials"))
    }
}

/// A note as stored: Persian letters normalized and digits Latin (the console's convention, and
/// one spelling of a resolution number for searching).
fn clean_note(note: Option<String>) -> Option<String> {
    note.map(|n| ascii_digits(&normalize_persian(&n))).filter(|n| !n.is_empty())
}

/// The key's own checks: the year, and exactly one of office and province, which must exist.
fn check_key(conn: &mut AnyConnection, input: &BudgetInput) -> AppResult<()> {
    let mut errors = Vec::new();
    if !(MIN_YEAR..=MAX_YEAR).contains(&input.year) {
        errors.push(FieldError::new("year", "range", format!("a Jalali year {MIN_YEAR}–{MAX_YEAR}")));
    }
    match input.level {
        Level::Office => {
            if input.province_id.is_some() {
                errors.push(FieldError::new(
                    "province_id",
                    "not_allowed",
                    "an office's budget names no province",
                ));
            }
            match &input.office_id {
                None => errors.push(FieldError::new(
                    "office_id",
                    "required",
                    "an office's budget names its office",
                )),
                Some(o) if offices::find(conn, o)?.is_none() => {
                    errors.push(FieldError::new("office_id", "not_found", "no such office"))
                }
                Some(_) => {}
            }
        }
        Level::Province => {
            if input.office_id.is_some() {
                errors.push(FieldError::new(
                    "office_id",
                    "not_allowed",
                    "a province's budget names no office",
                ));
            }
            match input.province_id {
                None => errors.push(FieldError::new(
                    "province_id",
                    "required",
                    "a province's budget names its province",
                )),
                Some(p) if !offices::province_exists(conn, p)? => {
                    errors.push(FieldError::new("province_id", "not_found", "no such province (1–31)"))
                }
                Some(_) => {}
            }
        }
    }
    if let Err(e) = check_amount(input.amount_rials, "amount_rials") {
        errors.push(e);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

/// Enter a budget (admin). The same year, unit and benefit again is a 409: change that one.
pub async fn create(state: &ServiceContext, caller: &Caller, input: BudgetInput) -> AppResult<BudgetRow> {
    require_admin(caller)?;
    let actor = Actor::of(caller);
    let user = caller.user_id.clone();
    state
        .write(move |conn| {
            check_key(conn, &input)?;
            let unit = store::find_unit(
                conn,
                input.year,
                input.office_id.as_ref(),
                input.province_id,
                input.benefit.as_str(),
            )?;
            if let Some(existing) = unit {
                return Err(AppError::conflict(
                    "budget_exists",
                    format!(
                        "a {} budget of {} for this {} exists ({}): change its amount instead",
                        input.benefit.as_str(),
                        input.year,
                        input.level.as_str(),
                        existing.id
                    ),
                ));
            }
            let now = crate::store::now();
            let row = BudgetRow {
                id: BudgetId::new(),
                year: input.year,
                level: input.level.as_str().into(),
                office_id: input.office_id,
                province_id: input.province_id,
                benefit: input.benefit.as_str().into(),
                amount_rials: input.amount_rials,
                note: clean_note(input.note),
                created_by: user,
                created_at: now,
                updated_at: now,
            };
            store::insert(conn, &row)?;
            audit::append(conn, &actor, "budget", &row.id, "created", None, audit::json(&row))?;
            Ok(row)
        })
        .await
}

/// Change a budget's amount and note (admin); the audit trail keeps the amount before.
pub async fn update(
    state: &ServiceContext,
    caller: &Caller,
    id: BudgetId,
    change: BudgetChange,
) -> AppResult<BudgetRow> {
    require_admin(caller)?;
    let actor = Actor::of(caller);
    state
        .write(move |conn| {
            let Some(mut row) = store::find(conn, &Scope::All, &id)? else {
                return Err(AppError::not_found("no such budget"));
            };
            check_amount(change.amount_rials, "amount_rials").map_err(|e| AppError::Validation(vec![e]))?;
            let before = audit::json(&row);
            row.amount_rials = change.amount_rials;
            row.note = clean_note(change.note);
            row.updated_at = crate::store::now();
            store::update(conn, &row)?;
            audit::append(conn, &actor, "budget", &row.id, "updated", before, audit::json(&row))?;
            Ok(row)
        })
        .await
}

/// One budget the caller may read (another unit's is a 404).
pub async fn get(state: &ServiceContext, caller: &Caller, id: BudgetId) -> AppResult<BudgetRow> {
    let scope = read_scope(caller)?;
    state
        .db(move |conn| store::find(conn, &scope, &id)?.ok_or_else(|| AppError::not_found("no such budget")))
        .await
}

/// The budgets the caller may read, by the filter.
pub async fn list(
    state: &ServiceContext,
    caller: &Caller,
    filter: BudgetFilter,
) -> AppResult<Vec<BudgetRow>> {
    let scope = read_scope(caller)?;
    state.db(move |conn| Ok(store::list(conn, &scope, &filter)?)).await
}

// ---------------------------------------------------------------------------------------------
// CSV import.

/// The columns of an import, in this order; `note` may be left out.
pub const IMPORT_COLUMNS: [&str; 6] = ["year", "level", "code", "benefit", "amount_rials", "note"];

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = BudgetImportReport)]
pub struct ImportReport {
    /// Data lines read.
    pub rows: u64,
    pub created: u64,
    /// Lines whose budget existed with another amount or note.
    pub updated: u64,
    /// Lines equal to the budget already entered.
    pub unchanged: u64,
}

/// One parsed line: its number and the budget it names (the unit still a code).
struct Line {
    line: u64,
    year: i32,
    level: Level,
    code: String,
    benefit: Benefit,
    amount: i64,
    /// `None` when the file has no note column: the note stays as it is.
    note: Option<Option<String>>,
}

/// A problem of a line, with its number to order the problems by.
fn problem(line: u64, column: &str, message: impl Into<String>) -> (u64, FieldError) {
    (line, FieldError::new(format!("line {line}: {column}"), "invalid", message))
}

fn problem_of_file(line: u64, column: &str, message: impl Into<String>) -> FieldError {
    problem(line, column, message).1
}

/// The good lines and the problems of the others (with their line numbers), or the problem
/// of the whole file.
type Parsed = Result<(Vec<Line>, Vec<(u64, FieldError)>), Vec<FieldError>>;

/// Reads the file into its good lines and the problems of the others, each named `line N:
/// column` (a problem of the whole file — encoding, header — is the only one reported).
fn parse(body: &[u8]) -> Parsed {
    let text = std::str::from_utf8(body).map_err(|e| {
        vec![problem_of_file(
            1 + body[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() as u64,
            "file",
            "not UTF-8: save the file as UTF-8",
        )]
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rdr = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(text.as_bytes());
    let header: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_string()).collect(),
        Err(e) => return Err(vec![problem_of_file(1, "header", e.to_string())]),
    };
    let with_note = header.len() == 6;
    if header.len() < 5 || header.len() > 6 || header.iter().zip(IMPORT_COLUMNS).any(|(h, c)| h != c) {
        return Err(vec![problem_of_file(
            1,
            "header",
            format!("the header must be {} (note optional)", IMPORT_COLUMNS.join(",")),
        )]);
    }
    let (mut lines, mut errors) = (Vec::new(), Vec::new());
    let mut seen: HashMap<(i32, Level, String, Benefit), u64> = HashMap::new();
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                errors.push(problem(line, "row", e.to_string()));
                continue;
            }
        };
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if rec.len() != header.len() {
            errors.push(problem(
                line,
                "row",
                format!("expected {} fields, found {}", header.len(), rec.len()),
            ));
            continue;
        }
        let cell = |i: usize| ascii_digits(rec.get(i).unwrap_or("").trim());
        let before = errors.len();
        let year = cell(0).parse::<i32>().ok().filter(|y| (MIN_YEAR..=MAX_YEAR).contains(y));
        if year.is_none() {
            errors.push(problem(line, "year", format!("a Jalali year {MIN_YEAR}–{MAX_YEAR}")));
        }
        let level = Level::parse(&cell(1));
        if level.is_none() {
            errors.push(problem(line, "level", "office or province"));
        }
        let code = normalize_identifier(&cell(2)).to_uppercase();
        if code.is_empty() {
            errors.push(problem(line, "code", "the office's or the province's code is required"));
        }
        let benefit = Benefit::parse(&cell(3));
        if benefit.is_none() {
            let names: Vec<&str> = Benefit::ALL.iter().map(|b| b.as_str()).collect();
            errors.push(problem(line, "benefit", format!("one of {}", names.join(", "))));
        }
        let amount = cell(4).replace([',', '_'], "").parse::<i64>().ok().filter(|a| *a > 0);
        if amount.is_none() {
            errors.push(problem(line, "amount_rials", "a positive whole number of rials"));
        }
        let note = with_note.then(|| clean_note(rec.get(5).map(String::from)));
        if errors.len() > before {
            continue;
        }
        let (Some(year), Some(level), Some(benefit), Some(amount)) = (year, level, benefit, amount) else {
            continue;
        };
        if let Some(first) = seen.insert((year, level, code.clone(), benefit), line) {
            errors.push(problem(line, "code", format!("the same budget as line {first}")));
            continue;
        }
        lines.push(Line { line, year, level, code, benefit, amount, note });
    }
    Ok((lines, errors))
}

/// Import budgets from CSV (admin): `year,level,code,benefit,amount_rials[,note]`, `code` the
/// office's or the province's code, UTF-8 with or without a byte-order mark. An upsert: a line
/// equal to the budget entered changes nothing (importing a file twice is harmless), another
/// amount or note updates it (audited). Every problem of every line is reported as
/// `line N: column` with its message, and then nothing is written: the file is one transaction.
pub async fn import(state: &ServiceContext, caller: &Caller, body: Vec<u8>) -> AppResult<ImportReport> {
    require_admin(caller)?;
    let (lines, mut errors) = parse(&body).map_err(AppError::Validation)?;
    let actor = Actor::of(caller);
    let user = caller.user_id.clone();
    state
        .write(move |conn| {
            let provinces: HashMap<String, i32> =
                offices::list_provinces(conn)?.into_iter().map(|p| (p.code.to_uppercase(), p.id)).collect();
            let office_list =
                offices::list(conn, &offices::OfficeFilter { limit: i64::MAX, ..Default::default() })?;
            let office_ids: HashMap<String, OfficeId> =
                office_list.into_iter().map(|o| (o.code.to_uppercase(), o.id)).collect();
            // Every code is resolved before anything is written, and its problems join the
            // others in the order of the file.
            let mut resolved = Vec::with_capacity(lines.len());
            for l in lines {
                let unit = match l.level {
                    Level::Office => office_ids.get(&l.code).cloned().map(|o| (Some(o), None)),
                    Level::Province => provinces.get(&l.code).copied().map(|p| (None, Some(p))),
                };
                match unit {
                    Some(u) => resolved.push((l, u)),
                    None => errors.push(problem(
                        l.line,
                        "code",
                        format!("no {} with code {}", l.level.as_str(), l.code),
                    )),
                }
            }
            if !errors.is_empty() {
                errors.sort_by_key(|(line, _)| *line);
                return Err(AppError::Validation(errors.into_iter().map(|(_, e)| e).collect()));
            }
            let mut report = ImportReport { rows: resolved.len() as u64, ..Default::default() };
            let now = crate::store::now();
            for (l, (office_id, province_id)) in resolved {
                match store::find_unit(conn, l.year, office_id.as_ref(), province_id, l.benefit.as_str())? {
                    Some(mut row) => {
                        let note = l.note.unwrap_or_else(|| row.note.clone());
                        if row.amount_rials == l.amount && row.note == note {
                            report.unchanged += 1;
                            continue;
                        }
                        let before = audit::json(&row);
                        row.amount_rials = l.amount;
                        row.note = note;
                        row.updated_at = now;
                        store::update(conn, &row)?;
                        audit::append(conn, &actor, "budget", &row.id, "updated", before, audit::json(&row))?;
                        report.updated += 1;
                    }
                    None => {
                        let row = BudgetRow {
                            id: BudgetId::new(),
                            year: l.year,
                            level: l.level.as_str().into(),
                            office_id,
                            province_id,
                            benefit: l.benefit.as_str().into(),
                            amount_rials: l.amount,
                            note: l.note.flatten(),
                            created_by: user.clone(),
                            created_at: now,
                            updated_at: now,
                        };
                        store::insert(conn, &row)?;
                        audit::append(conn, &actor, "budget", &row.id, "created", None, audit::json(&row))?;
                        report.created += 1;
                    }
                }
            }
            Ok(report)
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(r: Parsed) -> Vec<String> {
        match r {
            Ok((_, errors)) => errors.into_iter().map(|(_, e)| e.field).collect(),
            Err(errors) => errors.into_iter().map(|e| e.field).collect(),
        }
    }

    #[test]
    fn a_file_with_a_bom_and_no_note_column_parses() {
        let lines = parse(
            "\u{feff}year,level,code,benefit,amount_rials\n1404,office,thr-01,claims,\"1,200,000\"\n"
                .as_bytes(),
        )
        .ok()
        .unwrap()
        .0;
        assert_eq!(lines.len(), 1);
        assert_eq!((lines[0].line, lines[0].code.as_str(), lines[0].amount), (2, "THR-01", 1_200_000));
        assert!(lines[0].note.is_none());
    }

    #[test]
    fn every_problem_is_named_by_line_and_column() {
        let csv = "year,level,code,benefit,amount_rials,note\n\
                   1404,office,A,claims,100,\n\
                   99,region,,drugs,-5,x\n\
                   1404,office,A,claims,200,dup\n\
                   1404,province,THR,travel\n";
        assert_eq!(
            fields(parse(csv.as_bytes())),
            [
                "line 3: year",
                "line 3: level",
                "line 3: code",
                "line 3: benefit",
                "line 3: amount_rials",
                "line 4: code",
                "line 5: row"
            ]
        );
        assert_eq!(fields(parse(b"year,level,code\n")), ["line 1: header"]);
        assert_eq!(
            fields(parse(b"year,level,code,benefit,amount_rials\n1404,office,\xff,claims,1\n")),
            ["line 2: file"]
        );
    }
}
