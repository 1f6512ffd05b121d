use crate::domain::record_ids::UserId;
use crate::domain::record_ids::{InsuredId, OfficeId, ProviderId};
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::users;
use crate::db::AnyConnection;

#[derive(Clone, Debug, Queryable, Selectable, Insertable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    /// Never serialized (the audit trail records users without it).
    #[serde(skip_serializing)]
    pub password_hash: String,
    pub role: String,
    pub provider_id: Option<ProviderId>,
    pub office_id: Option<OfficeId>,
    pub insured_id: Option<InsuredId>,
    pub province_id: Option<i32>,
    pub active: bool,
    pub must_change_password: bool,
    pub failed_logins: i32,
    pub locked_until: Option<NaiveDateTime>,
    pub last_login_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut AnyConnection, row: &UserRow) -> QueryResult<()> {
    diesel::insert_into(users::table).values(row).execute(conn).map(|_| ())
}

pub fn find(conn: &mut AnyConnection, id: &UserId) -> QueryResult<Option<UserRow>> {
    users::table.find(id).select(UserRow::as_select()).first(conn).optional()
}

pub fn find_by_username(conn: &mut AnyConnection, username: &str) -> QueryResult<Option<UserRow>> {
    users::table.filter(users::username.eq(username)).select(UserRow::as_select()).first(conn).optional()
}

pub fn count(conn: &mut AnyConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

pub fn record_failed_login(
    conn: &mut AnyConnection,
    id: &UserId,
    failed_logins: i32,
    locked_until: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::failed_logins.eq(failed_logins),
            users::locked_until.eq(locked_until),
            users::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn record_login(conn: &mut AnyConnection, id: &UserId, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::failed_logins.eq(0),
            users::locked_until.eq(None::<NaiveDateTime>),
            users::last_login_at.eq(Some(now)),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn set_password(
    conn: &mut AnyConnection,
    id: &UserId,
    password_hash: &str,
    must_change: bool,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(password_hash),
            users::must_change_password.eq(must_change),
            users::failed_logins.eq(0),
            users::locked_until.eq(None::<NaiveDateTime>),
            users::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Fields an admin may change; `None` leaves a field as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub email: Option<Option<String>>,
    pub active: Option<bool>,
    pub failed_logins: Option<i32>,
    pub locked_until: Option<Option<NaiveDateTime>>,
    pub updated_at: Option<NaiveDateTime>,
}

pub fn update(conn: &mut AnyConnection, id: &UserId, changes: &UserChanges) -> QueryResult<()> {
    diesel::update(users::table.find(id)).set(changes).execute(conn).map(|_| ())
}

pub struct UserFilter {
    pub role: Option<String>,
    pub office_id: Option<OfficeId>,
    pub provider_id: Option<ProviderId>,
    pub after: Option<String>,
    pub limit: i64,
}

pub fn list(conn: &mut AnyConnection, f: &UserFilter) -> QueryResult<Vec<UserRow>> {
    let mut q = users::table.select(UserRow::as_select()).order(users::id.asc()).into_boxed();
    if let Some(role) = &f.role {
        q = q.filter(users::role.eq(role.clone()));
    }
    if let Some(office) = &f.office_id {
        q = q.filter(users::office_id.eq(office.clone()));
    }
    if let Some(provider) = &f.provider_id {
        q = q.filter(users::provider_id.eq(provider.clone()));
    }
    if let Some(after) = &f.after {
        q = q.filter(users::id.gt(after.clone()));
    }
    q.limit(f.limit).load(conn)
}
