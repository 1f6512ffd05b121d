//! Insured persons and their coverage periods.

use crate::domain::record_ids::InsuredId;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{coverage_periods, insured_persons};
use crate::db::AnyConnection;

#[derive(Clone, Debug, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = insured_persons, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct InsuredRow {
    pub id: InsuredId,
    pub national_code: String,
    pub insurance_no: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub sex: String,
    pub birth_date: NaiveDate,
    pub email: Option<String>,
    pub mobile: Option<String>,
    pub insurance_type: String,
    pub special_disease: bool,
    pub supplementary: bool,
    pub main_insured_id: Option<InsuredId>,
    pub relation: Option<String>,
    pub student_until: Option<NaiveDate>,
    pub disabled: bool,
    pub married: bool,
    pub employed: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl InsuredRow {
    /// Same facts, ignoring id and timestamps (to skip unchanged rows on re-import).
    pub fn same_facts(&self, other: &InsuredRow) -> bool {
        let strip = |r: &InsuredRow| InsuredRow {
            id: InsuredId::from(""),
            created_at: NaiveDateTime::default(),
            updated_at: NaiveDateTime::default(),
            ..r.clone()
        };
        strip(self) == strip(other)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = coverage_periods, treat_none_as_default_value = false)]
pub struct CoverageRow {
    pub insured_id: InsuredId,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

pub fn insert(conn: &mut AnyConnection, row: &InsuredRow) -> QueryResult<()> {
    diesel::insert_into(insured_persons::table).values(row).execute(conn).map(|_| ())
}

pub fn update(conn: &mut AnyConnection, row: &InsuredRow) -> QueryResult<usize> {
    diesel::update(insured_persons::table.find(&row.id)).set(row).execute(conn)
}

pub fn find(conn: &mut AnyConnection, id: &InsuredId) -> QueryResult<Option<InsuredRow>> {
    insured_persons::table.find(id).select(InsuredRow::as_select()).first(conn).optional()
}

pub fn find_by_code(conn: &mut AnyConnection, national_code: &str) -> QueryResult<Option<InsuredRow>> {
    insured_persons::table
        .filter(insured_persons::national_code.eq(national_code))
        .select(InsuredRow::as_select())
        .first(conn)
        .optional()
}

pub fn coverage(conn: &mut AnyConnection, insured_id: &InsuredId) -> QueryResult<Vec<CoverageRow>> {
    coverage_periods::table
        .filter(coverage_periods::insured_id.eq(insured_id))
        .select(CoverageRow::as_select())
        .order(coverage_periods::valid_from.asc())
        .load(conn)
}

/// Replaces a person's coverage periods.
pub fn set_coverage(
    conn: &mut AnyConnection,
    insured_id: &InsuredId,
    periods: &[CoverageRow],
) -> QueryResult<()> {
    diesel::delete(coverage_periods::table.filter(coverage_periods::insured_id.eq(insured_id)))
        .execute(conn)?;
    for p in periods {
        diesel::insert_into(coverage_periods::table).values(p).execute(conn)?;
    }
    Ok(())
}

pub fn dependants(conn: &mut AnyConnection, main_id: &InsuredId) -> QueryResult<Vec<InsuredRow>> {
    insured_persons::table
        .filter(insured_persons::main_insured_id.eq(main_id))
        .select(InsuredRow::as_select())
        .order(insured_persons::id.asc())
        .load(conn)
}

pub struct InsuredFilter {
    pub national_code: Option<String>,
    pub insurance_no: Option<String>,
    /// Matches the start of the last name, or of "first last".
    pub name: Option<String>,
    pub after: Option<String>,
    pub limit: i64,
}

pub fn list(conn: &mut AnyConnection, f: &InsuredFilter) -> QueryResult<Vec<InsuredRow>> {
    let mut q =
        insured_persons::table.select(InsuredRow::as_select()).order(insured_persons::id.asc()).into_boxed();
    if let Some(c) = &f.national_code {
        q = q.filter(insured_persons::national_code.eq(c.clone()));
    }
    if let Some(n) = &f.insurance_no {
        q = q.filter(insured_persons::insurance_no.eq(n.clone()));
    }
    if let Some(name) = &f.name {
        let pattern = format!("{name}%");
        q = q.filter(
            insured_persons::last_name.like(pattern.clone()).or(insured_persons::first_name.like(pattern)),
        );
    }
    if let Some(a) = &f.after {
        q = q.filter(insured_persons::id.gt(a.clone()));
    }
    q.limit(f.limit).load(conn)
}

/// How many keys one `IN` look-up of a bulk import takes: SQLite binds each key as a parameter
/// (under its limit with room to spare); PostgreSQL binds the whole list as one array
/// (`= ANY($1)`), so a chunk is one query.
pub fn lookup_chunk(conn: &AnyConnection) -> usize {
    match conn {
        AnyConnection::Sqlite(_) => 900,
        AnyConnection::Postgresql(_) => 100_000,
    }
}

/// Rows whose national codes are in `codes` (a bulk-import chunk).
pub fn find_many_by_code(conn: &mut AnyConnection, codes: &[String]) -> QueryResult<Vec<InsuredRow>> {
    insured_persons::table
        .filter(insured_persons::national_code.eq_any(codes))
        .select(InsuredRow::as_select())
        .load(conn)
}

pub fn coverage_of_many(conn: &mut AnyConnection, ids: &[InsuredId]) -> QueryResult<Vec<CoverageRow>> {
    coverage_periods::table
        .filter(coverage_periods::insured_id.eq_any(ids))
        .select(CoverageRow::as_select())
        .load(conn)
}

/// Many rows at once (a bulk-import chunk), see `store::bulk_insert`.
pub fn insert_many(conn: &mut AnyConnection, rows: &[InsuredRow]) -> QueryResult<()> {
    crate::store::bulk_insert!(conn, insured_persons::table, rows, 1000);
    Ok(())
}

/// Coverage periods at once, see `store::bulk_insert`.
pub fn insert_coverage_many(conn: &mut AnyConnection, rows: &[CoverageRow]) -> QueryResult<()> {
    crate::store::bulk_insert!(conn, coverage_periods::table, rows, 5000);
    Ok(())
}
