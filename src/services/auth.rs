//! Login, logout, authentication of every request, API keys.

use crate::domain::record_ids::{ApiKeyId, UserId};
use chrono::NaiveDateTime;

use crate::auth::{password, secret, Caller, Credential, Role};
use crate::context::ServiceContext;
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult};
use crate::store::audit::{self, Actor};
use crate::store::{self, tokens, users};

/// A freshly issued login token; the secret exists only in this answer.
pub struct IssuedToken {
    pub access_token: String,
    pub expires_at: NaiveDateTime,
    pub must_change_password: bool,
}

const WRONG_CREDENTIALS: &str = "wrong username or password";

/// Usernames are compared case-insensitively and without surrounding spaces.
pub fn normalize_username(username: &str) -> String {
    username.trim().to_lowercase()
}

/// Checks the password and issues a token. Consecutive failures lock the account for a while
/// (`login_max_failures`, `login_lock`); while locked, even the right password is refused
/// with 429 and `Retry-After`.
pub async fn login(
    state: &ServiceContext,
    username: String,
    password_text: String,
) -> AppResult<IssuedToken> {
    let max_failures = state.config.login_max_failures;
    let lock = state.config.login_lock;
    let ttl = state.config.token_ttl;
    // The service clock: a lock and a token last until the clock says so (see `clock`).
    let clock = state.clock;
    let (user, ok, now) = state
        .db(move |conn| {
            let username = normalize_username(&username);
            let now = clock.now();
            let Some(user) = users::find_by_username(conn, &username)? else {
                password::verify_against_dummy(&password_text);
                return Err(AppError::Unauthenticated(WRONG_CREDENTIALS.into()));
            };
            if let Some(until) = user.locked_until.filter(|t| *t > now) {
                return Err(locked(until, now));
            }
            // The slow hash runs outside any transaction, so it never holds SQLite's write lock.
            let ok = password::verify_password(&password_text, &user.password_hash);
            if !user.active {
                return Err(AppError::Unauthenticated(WRONG_CREDENTIALS.into()));
            }
            Ok((user, ok, now))
        })
        .await?;
    if !ok {
        state
            .write(move |conn| {
                let current = users::find(conn, &user.id)?.map(|u| u.failed_logins).unwrap_or(0);
                let failed = current + 1;
                if failed >= max_failures {
                    tracing::warn!(user = %user.username, failed, "account locked after repeated failed logins");
                    users::record_failed_login(conn, &user.id, 0, Some(now + lock), now)?;
                } else {
                    users::record_failed_login(conn, &user.id, failed, None, now)?;
                }
                Ok(())
            })
            .await?;
        return Err(AppError::Unauthenticated(WRONG_CREDENTIALS.into()));
    }
    let access_token = secret::generate(secret::TOKEN_PREFIX);
    let expires_at = now + ttl;
    let must_change_password = user.must_change_password;
    let token_hash = secret::hash(&access_token);
    state
        .write(move |conn| {
            users::record_login(conn, &user.id, now)?;
            tokens::insert_token(
                conn,
                &tokens::TokenRow { token_hash, user_id: user.id.clone(), created_at: now, expires_at },
            )?;
            // Housekeeping on the same path that creates tokens keeps the table small.
            tokens::delete_expired_tokens(conn, now)?;
            Ok(())
        })
        .await?;
    Ok(IssuedToken { access_token, expires_at, must_change_password })
}

fn locked(until: NaiveDateTime, now: NaiveDateTime) -> AppError {
    AppError::TooManyRequests {
        detail: "too many failed logins; the account is locked for a while".into(),
        retry_after_seconds: (until - now).num_seconds().max(1),
    }
}

/// Resolves a bearer secret (login token or API key) to its caller.
pub async fn authenticate(state: &ServiceContext, bearer: String) -> AppResult<Caller> {
    let hash = secret::hash(&bearer);
    let is_api_key = bearer.starts_with(secret::API_KEY_PREFIX);
    let generation = if is_api_key {
        match state.auth_cache.get(&hash) {
            Ok(caller) => return Ok(caller),
            Err(generation) => Some(generation),
        }
    } else {
        None
    };
    let key_hash = hash.clone();
    let clock = state.clock;
    let caller = state
        .db(move |conn| {
            let now = clock.now();
            if is_api_key {
                let Some((key, user)) = tokens::find_api_key(conn, &hash)? else {
                    return Err(AppError::Unauthenticated("unknown or revoked API key".into()));
                };
                // Record use at most every five minutes: a write per request would cost more
                // than the request on SQLite.
                let touch = key.last_used_at.is_none_or(|t| now - t > chrono::Duration::minutes(5));
                let touch = touch.then(|| (key.id.clone(), now));
                Ok((caller_from(user, Credential::ApiKey { key_id: key.id })?, touch))
            } else {
                let Some(user) = tokens::find_token_user(conn, &hash, now)? else {
                    return Err(AppError::Unauthenticated("the token is invalid or has expired".into()));
                };
                Ok((caller_from(user, Credential::Token { token_hash: hash })?, None))
            }
        })
        .await?;
    let caller = match caller {
        (caller, Some((key_id, now))) => {
            state.write(move |conn| Ok(tokens::touch_api_key(conn, &key_id, now)?)).await?;
            caller
        }
        (caller, None) => caller,
    };
    if let Some(generation) = generation {
        state.auth_cache.put(generation, key_hash, caller.clone());
    }
    Ok(caller)
}

fn caller_from(user: users::UserRow, credential: Credential) -> AppResult<Caller> {
    if !user.active {
        return Err(AppError::Unauthenticated("the account is disabled".into()));
    }
    let role =
        Role::parse(&user.role).ok_or_else(|| AppError::internal(format!("unknown role {:?}", user.role)))?;
    Ok(Caller {
        user_id: user.id,
        username: user.username,
        display_name: user.display_name,
        role,
        provider_id: user.provider_id,
        office_id: user.office_id,
        insured_id: user.insured_id,
        province_id: user.province_id,
        must_change_password: user.must_change_password,
        credential,
    })
}

/// A caller for trusted in-process work — `asnad demo`, which acts as the users it has just
/// created: the stored user resolved exactly as `authenticate` resolves a session's (role,
/// scope, active), but without a secret. No HTTP route reaches it: a request's caller is always
/// resolved from its bearer secret by `authenticate`. Its credential names no session (an
/// empty token hash), so `logout` and a password change end nothing on its account.
pub async fn in_process_caller(state: &ServiceContext, user_id: UserId) -> AppResult<Caller> {
    state
        .db(move |conn| {
            let user = users::find(conn, &user_id)?.ok_or_else(|| AppError::not_found("no such user"))?;
            caller_from(user, Credential::Token { token_hash: String::new() })
        })
        .await
}

/// Ends the session of the token used for this request.
pub async fn logout(state: &ServiceContext, caller: Caller) -> AppResult<()> {
    match caller.credential {
        Credential::Token { token_hash } => {
            state
                .write(move |conn| {
                    tokens::delete_token(conn, &token_hash).map(|_| ()).map_err(AppError::from)
                })
                .await
        }
        Credential::ApiKey { .. } => Err(AppError::bad_request(
            "api_key_logout",
            "an API key is not a session; an admin revokes it with DELETE /api/v1/api-keys/{id}",
        )),
    }
}

/// Changes the caller's own password; other sessions of the user end.
pub async fn change_password(
    state: &ServiceContext,
    caller: Caller,
    current: String,
    new: String,
) -> AppResult<()> {
    password::check_password_policy(&new).map_err(|m| AppError::field("new_password", "policy", m))?;
    if current == new {
        return Err(AppError::field("new_password", "unchanged", "must differ from the current password"));
    }
    // The slow hashes run outside the write, so they never hold the writer.
    let user_id = caller.user_id.clone();
    let hash = state
        .db(move |conn| {
            let user = users::find(conn, &user_id)?
                .ok_or_else(|| AppError::Unauthenticated("unknown user".into()))?;
            if !password::verify_password(&current, &user.password_hash) {
                return Err(AppError::field("current_password", "mismatch", "is not the current password"));
            }
            password::hash_password(&new).map_err(AppError::internal)
        })
        .await?;
    state
        .write(move |conn| {
            let now = store::now();
            users::set_password(conn, &caller.user_id, &hash, false, now)?;
            let keep = match &caller.credential {
                Credential::Token { token_hash } => Some(token_hash.clone()),
                Credential::ApiKey { .. } => None,
            };
            delete_other_tokens(conn, &caller.user_id, keep.as_deref())?;
            audit::append(
                conn,
                &Actor::of(&caller),
                "user",
                &caller.user_id,
                "password_changed",
                None,
                None,
            )?;
            Ok(())
        })
        .await?;
    state.auth_cache.invalidate();
    Ok(())
}

fn delete_other_tokens(conn: &mut AnyConnection, user_id: &UserId, keep: Option<&str>) -> AppResult<()> {
    use crate::db::schema::auth_tokens;
    use diesel::prelude::*;
    let mut q = diesel::delete(auth_tokens::table.filter(auth_tokens::user_id.eq(user_id))).into_boxed();
    if let Some(k) = keep {
        q = q.filter(auth_tokens::token_hash.ne(k.to_string()));
    }
    q.execute(conn)?;
    Ok(())
}

/// A created API key; `key` is shown this once.
pub struct CreatedApiKey {
    pub row: tokens::ApiKeyRow,
    pub key: String,
}

/// Creates an API key for a provider user (a provider's billing system).
pub async fn create_api_key(
    state: &ServiceContext,
    admin: Caller,
    user_id: UserId,
    name: String,
) -> AppResult<CreatedApiKey> {
    state
        .write(move |conn| {
            let user = users::find(conn, &user_id)?
                .ok_or_else(|| AppError::field("user_id", "not_found", "no such user"))?;
            if user.role != Role::Provider.as_str() {
                return Err(AppError::field("user_id", "role", "API keys are issued to provider users only"));
            }
            if !user.active {
                return Err(AppError::field("user_id", "inactive", "the user is disabled"));
            }
            let key = secret::generate(secret::API_KEY_PREFIX);
            let row = tokens::ApiKeyRow {
                id: ApiKeyId::new(),
                user_id: user.id,
                name,
                prefix: key.chars().take(10).collect(),
                key_hash: secret::hash(&key),
                created_by: admin.user_id.clone(),
                created_at: store::now(),
                last_used_at: None,
                revoked_at: None,
            };
            tokens::insert_api_key(conn, &row)?;
            audit::append(conn, &Actor::of(&admin), "api_key", &row.id, "created", None, audit::json(&row))?;
            Ok(CreatedApiKey { row, key })
        })
        .await
}

pub async fn revoke_api_key(state: &ServiceContext, actor: Actor, id: ApiKeyId) -> AppResult<()> {
    state
        .write(move |conn| {
            let Some(before) = tokens::get_api_key(conn, &id)? else {
                return Err(AppError::not_found("no such API key"));
            };
            tokens::revoke_api_key(conn, &id, store::now())?;
            audit::append(conn, &actor, "api_key", &id, "revoked", audit::json(&before), None)?;
            Ok(())
        })
        .await?;
    state.auth_cache.invalidate();
    Ok(())
}

pub async fn list_api_keys(
    state: &ServiceContext,
    user_id: Option<UserId>,
    after: Option<String>,
    limit: i64,
) -> AppResult<Vec<tokens::ApiKeyRow>> {
    state.db(move |conn| Ok(tokens::list_api_keys(conn, user_id.as_ref(), after.as_deref(), limit)?)).await
}
