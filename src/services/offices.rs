//! Review offices (دفاتر رسیدگی به اسناد پزشکی) of each province.

use crate::context::ServiceContext;
use crate::domain::record_ids::OfficeId;

use crate::error::{AppError, AppResult};
use crate::store::audit::{self, Actor};
use crate::store::{self, offices};

#[derive(Debug, Clone)]
pub struct OfficeInput {
    pub province_id: i32,
    pub code: String,
    pub name_fa: String,
    pub name_en: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub active: bool,
    pub auto_approve_limit: Option<i64>,
}

pub async fn create(
    state: &ServiceContext,
    actor: Actor,
    input: OfficeInput,
) -> AppResult<offices::OfficeRow> {
    state
        .write(move |conn| {
            check(conn, &input, None)?;
            let now = store::now();
            let row = offices::OfficeRow {
                id: OfficeId::new(),
                province_id: input.province_id,
                code: input.code,
                name_fa: input.name_fa,
                name_en: input.name_en,
                address: input.address,
                phone: input.phone,
                email: input.email,
                active: input.active,
                created_at: now,
                updated_at: now,
                auto_approve_limit: input.auto_approve_limit,
            };
            offices::insert(conn, &row)?;
            audit::append(conn, &actor, "office", &row.id, "created", None, audit::json(&row))?;
            Ok(row)
        })
        .await
}

fn check(conn: &mut crate::db::AnyConnection, input: &OfficeInput, id: Option<&OfficeId>) -> AppResult<()> {
    if !offices::province_exists(conn, input.province_id)? {
        return Err(AppError::field("province_id", "not_found", "no such province (1–31)"));
    }
    if let Some(existing) = offices::find_by_code(conn, &input.code)? {
        if Some(&existing.id) != id {
            return Err(AppError::conflict(
                "office_code_taken",
                format!("an office with code {} exists", input.code),
            ));
        }
    }
    Ok(())
}

pub async fn update(
    state: &ServiceContext,
    actor: Actor,
    id: OfficeId,
    input: OfficeInput,
) -> AppResult<offices::OfficeRow> {
    state
        .write(move |conn| {
            let Some(mut row) = offices::find(conn, &id)? else {
                return Err(AppError::not_found("no such office"));
            };
            check(conn, &input, Some(&id))?;
            let before = audit::json(&row);
            row.province_id = input.province_id;
            row.code = input.code;
            row.name_fa = input.name_fa;
            row.name_en = input.name_en;
            row.address = input.address;
            row.phone = input.phone;
            row.email = input.email;
            row.active = input.active;
            row.auto_approve_limit = input.auto_approve_limit;
            row.updated_at = store::now();
            offices::update(conn, &row)?;
            audit::append(conn, &actor, "office", &row.id, "updated", before, audit::json(&row))?;
            Ok(row)
        })
        .await
}

/// Offices are never deleted (users, claims and contracts refer to them): they are deactivated.
pub async fn deactivate(state: &ServiceContext, actor: Actor, id: OfficeId) -> AppResult<()> {
    state
        .write(move |conn| {
            let Some(mut row) = offices::find(conn, &id)? else {
                return Err(AppError::not_found("no such office"));
            };
            let before = audit::json(&row);
            row.active = false;
            row.updated_at = store::now();
            offices::update(conn, &row)?;
            audit::append(conn, &actor, "office", &row.id, "deactivated", before, audit::json(&row))?;
            Ok(())
        })
        .await
}

pub async fn get(state: &ServiceContext, id: OfficeId) -> AppResult<offices::OfficeRow> {
    state.db(move |conn| offices::find(conn, &id)?.ok_or_else(|| AppError::not_found("no such office"))).await
}

pub async fn list(
    state: &ServiceContext,
    filter: offices::OfficeFilter,
) -> AppResult<Vec<offices::OfficeRow>> {
    state.db(move |conn| Ok(offices::list(conn, &filter)?)).await
}

pub async fn provinces(state: &ServiceContext) -> AppResult<Vec<offices::ProvinceRow>> {
    state.db(|conn| Ok(offices::list_provinces(conn)?)).await
}
