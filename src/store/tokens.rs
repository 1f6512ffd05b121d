//! Login tokens and API keys.

use crate::domain::record_ids::{ApiKeyId, UserId};
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{api_keys, auth_tokens, users};
use crate::db::AnyConnection;
use crate::store::users::UserRow;

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = auth_tokens)]
pub struct TokenRow {
    pub token_hash: String,
    pub user_id: UserId,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn insert_token(conn: &mut AnyConnection, row: &TokenRow) -> QueryResult<()> {
    diesel::insert_into(auth_tokens::table).values(row).execute(conn).map(|_| ())
}

/// The token's user if the token exists and has not expired at `now`.
pub fn find_token_user(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<UserRow>> {
    auth_tokens::table
        .inner_join(users::table)
        .filter(auth_tokens::token_hash.eq(token_hash))
        .filter(auth_tokens::expires_at.gt(now))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn delete_token(conn: &mut AnyConnection, token_hash: &str) -> QueryResult<usize> {
    diesel::delete(auth_tokens::table.find(token_hash)).execute(conn)
}

pub fn delete_user_tokens(conn: &mut AnyConnection, user_id: &UserId) -> QueryResult<usize> {
    diesel::delete(auth_tokens::table.filter(auth_tokens::user_id.eq(user_id))).execute(conn)
}

pub fn delete_expired_tokens(conn: &mut AnyConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(auth_tokens::table.filter(auth_tokens::expires_at.le(now))).execute(conn)
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = api_keys)]
pub struct ApiKeyRow {
    pub id: ApiKeyId,
    pub user_id: UserId,
    pub name: String,
    pub prefix: String,
    #[serde(skip_serializing)]
    pub key_hash: String,
    pub created_by: UserId,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

pub fn insert_api_key(conn: &mut AnyConnection, row: &ApiKeyRow) -> QueryResult<()> {
    diesel::insert_into(api_keys::table).values(row).execute(conn).map(|_| ())
}

/// An unrevoked key and its user.
pub fn find_api_key(conn: &mut AnyConnection, key_hash: &str) -> QueryResult<Option<(ApiKeyRow, UserRow)>> {
    api_keys::table
        .inner_join(users::table.on(users::id.eq(api_keys::user_id)))
        .filter(api_keys::key_hash.eq(key_hash))
        .filter(api_keys::revoked_at.is_null())
        .select((ApiKeyRow::as_select(), UserRow::as_select()))
        .first(conn)
        .optional()
}

pub fn get_api_key(conn: &mut AnyConnection, id: &ApiKeyId) -> QueryResult<Option<ApiKeyRow>> {
    api_keys::table.find(id).select(ApiKeyRow::as_select()).first(conn).optional()
}

pub fn touch_api_key(conn: &mut AnyConnection, id: &ApiKeyId, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(api_keys::table.find(id))
        .set(api_keys::last_used_at.eq(Some(now)))
        .execute(conn)
        .map(|_| ())
}

pub fn revoke_api_key(conn: &mut AnyConnection, id: &ApiKeyId, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(api_keys::table.find(id).filter(api_keys::revoked_at.is_null()))
        .set(api_keys::revoked_at.eq(Some(now)))
        .execute(conn)
}

pub fn list_api_keys(
    conn: &mut AnyConnection,
    user_id: Option<&UserId>,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<ApiKeyRow>> {
    let mut q = api_keys::table.select(ApiKeyRow::as_select()).order(api_keys::id.asc()).into_boxed();
    if let Some(u) = user_id {
        q = q.filter(api_keys::user_id.eq(u.to_string()));
    }
    if let Some(a) = after {
        q = q.filter(api_keys::id.gt(a.to_string()));
    }
    q.limit(limit).load(conn)
}
