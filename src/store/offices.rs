use crate::domain::record_ids::OfficeId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{offices, provinces};
use crate::db::AnyConnection;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = provinces)]
pub struct ProvinceRow {
    pub id: i32,
    pub code: String,
    pub name_fa: String,
    pub name_en: String,
}

pub fn list_provinces(conn: &mut AnyConnection) -> QueryResult<Vec<ProvinceRow>> {
    provinces::table.select(ProvinceRow::as_select()).order(provinces::id.asc()).load(conn)
}

pub fn province_exists(conn: &mut AnyConnection, id: i32) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(provinces::table.find(id))).get_result(conn)
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = offices)]
pub struct OfficeRow {
    pub id: OfficeId,
    pub province_id: i32,
    pub code: String,
    pub name_fa: String,
    pub name_en: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub auto_approve_limit: Option<i64>,
}

pub fn insert(conn: &mut AnyConnection, row: &OfficeRow) -> QueryResult<()> {
    crate::store::changes::changed();
    diesel::insert_into(offices::table).values(row).execute(conn).map(|_| ())
}

pub fn find(conn: &mut AnyConnection, id: &OfficeId) -> QueryResult<Option<OfficeRow>> {
    offices::table.find(id).select(OfficeRow::as_select()).first(conn).optional()
}

pub fn find_by_code(conn: &mut AnyConnection, code: &str) -> QueryResult<Option<OfficeRow>> {
    offices::table.filter(offices::code.eq(code)).select(OfficeRow::as_select()).first(conn).optional()
}

/// Replaces the editable fields of an office.
pub fn update(conn: &mut AnyConnection, row: &OfficeRow) -> QueryResult<usize> {
    crate::store::changes::changed();
    diesel::update(offices::table.find(&row.id))
        .set((
            offices::province_id.eq(row.province_id),
            offices::code.eq(&row.code),
            offices::name_fa.eq(&row.name_fa),
            offices::name_en.eq(&row.name_en),
            offices::address.eq(&row.address),
            offices::phone.eq(&row.phone),
            offices::email.eq(&row.email),
            offices::active.eq(row.active),
            offices::updated_at.eq(row.updated_at),
            offices::auto_approve_limit.eq(row.auto_approve_limit),
        ))
        .execute(conn)
}

#[derive(Default)]
pub struct OfficeFilter {
    pub province_id: Option<i32>,
    pub active: Option<bool>,
    pub after: Option<String>,
    pub limit: i64,
}

pub fn list(conn: &mut AnyConnection, f: &OfficeFilter) -> QueryResult<Vec<OfficeRow>> {
    let mut q = offices::table.select(OfficeRow::as_select()).order(offices::id.asc()).into_boxed();
    if let Some(p) = f.province_id {
        q = q.filter(offices::province_id.eq(p));
    }
    if let Some(a) = f.active {
        q = q.filter(offices::active.eq(a));
    }
    if let Some(after) = &f.after {
        q = q.filter(offices::id.gt(after.clone()));
    }
    q.limit(f.limit).load(conn)
}
