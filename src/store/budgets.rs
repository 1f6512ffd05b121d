//! Approved annual budgets (بودجهٔ مصوب سالانه). Every read is filtered by the caller's scope
//! (`store::scope::budgets`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::Scope;
use crate::db::schema::budgets;
use crate::db::AnyConnection;
use crate::domain::record_ids::{BudgetId, OfficeId, UserId};

#[derive(Clone, Debug, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = budgets)]
pub struct BudgetRow {
    pub id: BudgetId,
    /// The Jalali year.
    pub year: i32,
    /// `office` or `province` (`domain::budget::Level`).
    pub level: String,
    pub office_id: Option<OfficeId>,
    pub province_id: Option<i32>,
    /// `domain::budget::Benefit`.
    pub benefit: String,
    pub amount_rials: i64,
    pub note: Option<String>,
    pub created_by: UserId,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut AnyConnection, row: &BudgetRow) -> QueryResult<()> {
    crate::store::changes::changed();
    diesel::insert_into(budgets::table).values(row).execute(conn).map(|_| ())
}

/// The editable fields: the amount and the note.
pub fn update(conn: &mut AnyConnection, row: &BudgetRow) -> QueryResult<usize> {
    crate::store::changes::changed();
    diesel::update(budgets::table.find(&row.id))
        .set((
            budgets::amount_rials.eq(row.amount_rials),
            budgets::note.eq(&row.note),
            budgets::updated_at.eq(row.updated_at),
        ))
        .execute(conn)
}

/// One budget, if the scope reaches it.
pub fn find(conn: &mut AnyConnection, scope: &Scope, id: &BudgetId) -> QueryResult<Option<BudgetRow>> {
    budgets::table
        .find(id)
        .filter(crate::store::scope::budgets(scope))
        .select(BudgetRow::as_select())
        .first(conn)
        .optional()
}

/// The budget of a year, unit and benefit (the unique key), whoever may read it.
pub fn find_unit(
    conn: &mut AnyConnection,
    year: i32,
    office_id: Option<&OfficeId>,
    province_id: Option<i32>,
    benefit: &str,
) -> QueryResult<Option<BudgetRow>> {
    let mut q = budgets::table
        .filter(budgets::year.eq(year))
        .filter(budgets::benefit.eq(benefit))
        .select(BudgetRow::as_select())
        .into_boxed();
    q = match (office_id, province_id) {
        (Some(o), _) => q.filter(budgets::office_id.eq(o.clone())),
        (None, Some(p)) => q.filter(budgets::province_id.eq(p)),
        (None, None) => return Ok(None),
    };
    q.first(conn).optional()
}

#[derive(Default, Clone, Debug)]
pub struct BudgetFilter {
    pub year: Option<i32>,
    pub level: Option<String>,
    pub office_id: Option<OfficeId>,
    pub province_id: Option<i32>,
    pub benefit: Option<String>,
    pub after: Option<String>,
    pub limit: i64,
}

/// The budgets the scope reaches, oldest first (ids are time-ordered: the cursor is the last id).
pub fn list(conn: &mut AnyConnection, scope: &Scope, f: &BudgetFilter) -> QueryResult<Vec<BudgetRow>> {
    let mut q = budgets::table
        .filter(crate::store::scope::budgets(scope))
        .select(BudgetRow::as_select())
        .order(budgets::id.asc())
        .into_boxed();
    if let Some(y) = f.year {
        q = q.filter(budgets::year.eq(y));
    }
    if let Some(l) = &f.level {
        q = q.filter(budgets::level.eq(l.clone()));
    }
    if let Some(o) = &f.office_id {
        q = q.filter(budgets::office_id.eq(o.clone()));
    }
    if let Some(p) = f.province_id {
        q = q.filter(budgets::province_id.eq(p));
    }
    if let Some(b) = &f.benefit {
        q = q.filter(budgets::benefit.eq(b.clone()));
    }
    if let Some(after) = &f.after {
        q = q.filter(budgets::id.gt(after.clone()));
    }
    q.limit(f.limit).load(conn)
}
