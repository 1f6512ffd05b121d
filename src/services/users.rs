//! User accounts: creation with a role and a scope, admin changes, the first admin.

use crate::auth::{password, Role};
use crate::context::ServiceContext;
use crate::db::{write_tx, AnyConnection};
use crate::domain::record_ids::{InsuredId, OfficeId, ProviderId, UserId};
use crate::error::{AppError, AppResult, FieldError};
use crate::services::auth::normalize_username;
use crate::store::audit::{self, Actor};
use crate::store::{self, offices, tokens, users};

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: Role,
    pub provider_id: Option<ProviderId>,
    pub office_id: Option<OfficeId>,
    pub insured_id: Option<InsuredId>,
    /// A province manager's province (`provinces.id`).
    pub province_id: Option<i32>,
    /// `None`: a random one-time password is generated and returned once.
    pub password: Option<String>,
    /// A password set by someone else must be changed at first login.
    pub must_change_password: bool,
}

/// The created user and, when generated, its one-time password.
pub struct CreatedUser {
    pub user: users::UserRow,
    pub generated_password: Option<String>,
}

/// Which scope each role needs: a provider user acts for one provider, an insured user for one
/// insured person, reviewers and supervisors for one office, a province manager for one
/// province. Other roles may carry an office (a medical advisor or finance user of a province)
/// but no provider or insured scope; headquarters carries none.
pub fn check_scope(
    role: Role,
    provider: &Option<ProviderId>,
    office: &Option<OfficeId>,
    insured: &Option<InsuredId>,
    province: &Option<i32>,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let need = |present: bool, field: &str, errors: &mut Vec<FieldError>| {
        if !present {
            errors.push(FieldError::new(field, "required", format!("is required for the role {role}")));
        }
    };
    let forbid = |present: bool, field: &str, errors: &mut Vec<FieldError>| {
        if present {
            errors.push(FieldError::new(field, "not_allowed", format!("is not allowed for the role {role}")));
        }
    };
    match role {
        Role::Provider => {
            need(provider.is_some(), "provider_id", &mut errors);
            forbid(office.is_some(), "office_id", &mut errors);
            forbid(insured.is_some(), "insured_id", &mut errors);
        }
        Role::Insured => {
            need(insured.is_some(), "insured_id", &mut errors);
            forbid(provider.is_some(), "provider_id", &mut errors);
            forbid(office.is_some(), "office_id", &mut errors);
        }
        Role::Reviewer | Role::Supervisor => {
            need(office.is_some(), "office_id", &mut errors);
            forbid(provider.is_some(), "provider_id", &mut errors);
            forbid(insured.is_some(), "insured_id", &mut errors);
        }
        Role::MedicalAdvisor | Role::Finance => {
            forbid(provider.is_some(), "provider_id", &mut errors);
            forbid(insured.is_some(), "insured_id", &mut errors);
        }
        Role::Admin | Role::TariffAdmin | Role::Headquarters => {
            forbid(provider.is_some(), "provider_id", &mut errors);
            forbid(office.is_some(), "office_id", &mut errors);
            forbid(insured.is_some(), "insured_id", &mut errors);
        }
        Role::ProvinceManager => {
            need(province.is_some(), "province_id", &mut errors);
            forbid(provider.is_some(), "provider_id", &mut errors);
            forbid(office.is_some(), "office_id", &mut errors);
            forbid(insured.is_some(), "insured_id", &mut errors);
        }
    }
    if role != Role::ProvinceManager {
        forbid(province.is_some(), "province_id", &mut errors);
    }
    errors
}

/// Creates a user on a connection in a transaction of its own (the command line and the tests'
/// fixtures; the API goes through the writer: `create_user`).
pub fn create_user_on(conn: &mut AnyConnection, actor: &Actor, new: NewUser) -> AppResult<CreatedUser> {
    let created = prepare_user(conn, new)?;
    write_tx(conn, |conn| insert_user(conn, actor, &created.user))?;
    Ok(created)
}

/// Checks a new user and hashes its password (slow: outside any write) — the row to insert.
fn prepare_user(conn: &mut AnyConnection, new: NewUser) -> AppResult<CreatedUser> {
    let username = normalize_username(&new.username);
    let mut errors =
        check_scope(new.role, &new.provider_id, &new.office_id, &new.insured_id, &new.province_id);
    if let Some(p) = &new.password {
        if let Err(m) = password::check_password_policy(p) {
            errors.push(FieldError::new("password", "policy", m));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    if let Some(office_id) = &new.office_id {
        if offices::find(conn, office_id)?.is_none() {
            return Err(AppError::field("office_id", "not_found", "no such office"));
        }
    }
    if let Some(p) = new.province_id {
        if !offices::list_provinces(conn)?.iter().any(|x| x.id == p) {
            return Err(AppError::field("province_id", "not_found", "no such province"));
        }
    }
    let (plain, generated) = match new.password {
        Some(p) => (p, None),
        None => {
            let p = password::generate_password();
            (p.clone(), Some(p))
        }
    };
    let hash = password::hash_password(&plain).map_err(AppError::internal)?;
    let now = store::now();
    let row = users::UserRow {
        id: UserId::new(),
        username,
        display_name: new.display_name.trim().to_string(),
        email: new.email,
        password_hash: hash,
        role: new.role.as_str().to_string(),
        provider_id: new.provider_id,
        office_id: new.office_id,
        insured_id: new.insured_id,
        province_id: new.province_id,
        active: true,
        must_change_password: new.must_change_password,
        failed_logins: 0,
        locked_until: None,
        last_login_at: None,
        created_at: now,
        updated_at: now,
    };
    Ok(CreatedUser { user: row, generated_password: generated })
}

/// Inserts a prepared user (its username checked again under the write).
fn insert_user(conn: &mut AnyConnection, actor: &Actor, row: &users::UserRow) -> AppResult<()> {
    if users::find_by_username(conn, &row.username)?.is_some() {
        return Err(AppError::conflict("username_taken", format!("the username {} is taken", row.username)));
    }
    users::insert(conn, row)?;
    audit::append(conn, actor, "user", &row.id, "created", None, audit::json(row))?;
    Ok(())
}

pub async fn create_user(state: &ServiceContext, actor: Actor, new: NewUser) -> AppResult<CreatedUser> {
    let created = state.db(move |conn| prepare_user(conn, new)).await?;
    let row = created.user.clone();
    state.write(move |conn| insert_user(conn, &actor, &row)).await?;
    Ok(created)
}

/// On an empty database, creates the `admin` user and returns its password (generated unless
/// `ASNAD_BOOTSTRAP_ADMIN_PASSWORD` is set), which the caller prints once. The password must
/// be changed at first login.
pub fn bootstrap_admin(conn: &mut AnyConnection, password: Option<String>) -> AppResult<Option<String>> {
    if users::count(conn)? > 0 {
        return Ok(None);
    }
    let created = create_user_on(
        conn,
        &Actor::system(),
        NewUser {
            username: "admin".into(),
            display_name: "System administrator".into(),
            email: None,
            role: Role::Admin,
            provider_id: None,
            office_id: None,
            insured_id: None,
            province_id: None,
            password: password.clone(),
            must_change_password: true,
        },
    )?;
    Ok(created.generated_password.or(password))
}

pub async fn get(state: &ServiceContext, id: UserId) -> AppResult<users::UserRow> {
    state.db(move |conn| users::find(conn, &id)?.ok_or_else(|| AppError::not_found("no such user"))).await
}

pub async fn list(state: &ServiceContext, filter: users::UserFilter) -> AppResult<Vec<users::UserRow>> {
    state.db(move |conn| Ok(users::list(conn, &filter)?)).await
}

#[derive(Debug, Default)]
pub struct UserUpdate {
    pub display_name: Option<String>,
    pub email: Option<Option<String>>,
    pub active: Option<bool>,
    /// Clears a login lock.
    pub unlock: bool,
}

/// Admin changes. Disabling a user ends their sessions at once; an admin cannot disable their
/// own account (there would be no one left to undo it).
pub async fn update(
    state: &ServiceContext,
    actor: Actor,
    id: UserId,
    upd: UserUpdate,
) -> AppResult<users::UserRow> {
    if upd.active == Some(false) && actor.id.as_deref() == Some(id.as_str()) {
        return Err(AppError::conflict("cannot_disable_self", "an admin cannot disable their own account"));
    }
    let updated = state
        .write(move |conn| {
            let before = users::find(conn, &id)?.ok_or_else(|| AppError::not_found("no such user"))?;
            let changes = users::UserChanges {
                display_name: upd.display_name.map(|s| s.trim().to_string()),
                email: upd.email,
                active: upd.active,
                failed_logins: upd.unlock.then_some(0),
                locked_until: upd.unlock.then_some(None),
                updated_at: Some(store::now()),
            };
            users::update(conn, &id, &changes)?;
            if upd.active == Some(false) {
                tokens::delete_user_tokens(conn, &id)?;
            }
            let after = users::find(conn, &id)?.ok_or_else(|| AppError::not_found("no such user"))?;
            audit::append(conn, &actor, "user", &id, "updated", audit::json(&before), audit::json(&after))?;
            Ok(after)
        })
        .await;
    state.auth_cache.invalidate();
    updated
}

/// Admin reset: a new one-time password, returned once; the user's sessions end.
pub async fn reset_password(state: &ServiceContext, actor: Actor, id: UserId) -> AppResult<String> {
    // The slow hash runs before the write, so it never holds the writer.
    let plain = password::generate_password();
    let hash = password::hash_password(&plain).map_err(AppError::internal)?;
    let plain = state
        .write(move |conn| {
            if users::find(conn, &id)?.is_none() {
                return Err(AppError::not_found("no such user"));
            }
            users::set_password(conn, &id, &hash, true, store::now())?;
            tokens::delete_user_tokens(conn, &id)?;
            audit::append(conn, &actor, "user", &id, "password_reset", None, None)?;
            Ok(plain)
        })
        .await;
    state.auth_cache.invalidate();
    plain
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_rules_per_role() {
        fn some<T: From<&'static str>>() -> Option<T> {
            Some("x".into())
        }
        assert!(check_scope(Role::Provider, &some(), &None, &None, &None).is_empty());
        assert_eq!(check_scope(Role::Provider, &None, &None, &None, &None)[0].field, "provider_id");
        assert_eq!(check_scope(Role::Reviewer, &None, &None, &None, &None)[0].field, "office_id");
        assert!(check_scope(Role::Reviewer, &None, &some(), &None, &None).is_empty());
        assert_eq!(check_scope(Role::Insured, &None, &None, &None, &None)[0].field, "insured_id");
        assert_eq!(check_scope(Role::Admin, &None, &some(), &None, &None)[0].code, "not_allowed");
        assert!(check_scope(Role::Finance, &None, &some(), &None, &None).is_empty());
        assert!(check_scope(Role::Finance, &None, &None, &None, &None).is_empty());
    }
}
