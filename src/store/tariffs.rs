use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{tariff_files, tariff_revisions};
use crate::db::AnyConnection;

#[derive(Clone, Debug, Queryable, Selectable, Insertable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = tariff_revisions)]
pub struct RevisionRow {
    pub year: i32,
    pub revision: i32,
    pub status: String,
    pub effective_from: NaiveDate,
    pub cabinet_resolution: String,
    pub content_hash: String,
    pub imported_at: NaiveDateTime,
    pub imported_by: String,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = tariff_files)]
pub struct FileRow {
    pub year: i32,
    pub revision: i32,
    pub file_name: String,
    pub content: String,
}

pub fn revisions(conn: &mut AnyConnection) -> QueryResult<Vec<RevisionRow>> {
    tariff_revisions::table
        .select(RevisionRow::as_select())
        .order((tariff_revisions::year.asc(), tariff_revisions::revision.asc()))
        .load(conn)
}

pub fn revisions_of_year(conn: &mut AnyConnection, year: i32) -> QueryResult<Vec<RevisionRow>> {
    tariff_revisions::table
        .filter(tariff_revisions::year.eq(year))
        .select(RevisionRow::as_select())
        .order(tariff_revisions::revision.asc())
        .load(conn)
}

pub fn files(conn: &mut AnyConnection, year: i32, revision: i32) -> QueryResult<Vec<FileRow>> {
    tariff_files::table
        .filter(tariff_files::year.eq(year).and(tariff_files::revision.eq(revision)))
        .select(FileRow::as_select())
        .load(conn)
}

pub fn insert(conn: &mut AnyConnection, rev: &RevisionRow, files: &[FileRow]) -> QueryResult<()> {
    diesel::insert_into(tariff_revisions::table).values(rev).execute(conn)?;
    // One statement per row: diesel's multi-row INSERT is not available through MultiBackend.
    for f in files {
        diesel::insert_into(tariff_files::table).values(f).execute(conn)?;
    }
    Ok(())
}

pub fn delete(conn: &mut AnyConnection, year: i32, revision: i32) -> QueryResult<()> {
    diesel::delete(
        tariff_files::table.filter(tariff_files::year.eq(year).and(tariff_files::revision.eq(revision))),
    )
    .execute(conn)?;
    diesel::delete(tariff_revisions::table.find((year, revision))).execute(conn)?;
    Ok(())
}
