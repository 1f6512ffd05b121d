//! `/api/v1/auth`: tokens, the caller, own password.

use crate::domain::record_ids::{InsuredId, OfficeId, ProviderId, UserId};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::api::openapi::responses;
use crate::api::{ts, ApiJson};
use crate::auth::{Credential, PendingCaller};
use crate::context::ServiceContext;
use crate::error::AppResult;
use crate::services;

/// This module's part of the contract (see `api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(issue_token, revoke_token, me, change_password))]
pub struct Api;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub username: String,
    #[validate(length(min = 1, max = 256))]
    #[schema(min_length = 1, max_length = 256)]
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(pattern = "^Bearer$")]
    pub token_type: &'static str,
    #[schema(format = DateTime)]
    pub expires_at: String,
    /// Seconds.
    pub expires_in: i64,
    pub must_change_password: bool,
}

/// Log in — exchange username and password for a bearer token.
///
/// Consecutive failed logins lock the account for a while (default 5 failures, 15 minutes);
/// while locked the answer is 429 with `Retry-After`, even for the right password.
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth", security(()), request_body = TokenRequest,
    responses((status = 201, description = "Token issued.", body = TokenResponse),
        (status = 401, response = responses::Unauthenticated), (status = 429, response = responses::TooManyRequests)))]
pub async fn issue_token(
    state: web::Data<ServiceContext>,
    body: ApiJson<TokenRequest>,
) -> AppResult<HttpResponse> {
    let req = body.0;
    let issued = services::auth::login(&state, req.username, req.password).await?;
    Ok(HttpResponse::Created().json(TokenResponse {
        access_token: issued.access_token,
        token_type: "Bearer",
        expires_at: ts(issued.expires_at),
        expires_in: state.config.token_ttl.num_seconds(),
        must_change_password: issued.must_change_password,
    }))
}

/// Log out — revoke the token used for this request.
#[utoipa::path(delete, path = "/api/v1/auth/token", tag = "auth", responses((status = 204, description = "Revoked.")))]
pub async fn revoke_token(
    state: web::Data<ServiceContext>,
    caller: PendingCaller,
) -> AppResult<HttpResponse> {
    services::auth::logout(&state, caller.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Serialize, ToSchema)]
#[schema(as = CallerScope)]
pub struct Scope {
    pub provider_id: Option<ProviderId>,
    pub office_id: Option<OfficeId>,
    pub insured_id: Option<InsuredId>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = Me)]
pub struct MeResponse {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    #[schema(value_type = crate::auth::Role)]
    pub role: String,
    pub scope: Scope,
    pub must_change_password: bool,
    /// `token` or `api_key`.
    /// `token` or `api_key`.
    #[schema(pattern = "^(token|api_key)$")]
    pub authenticated_by: &'static str,
}

/// The caller — user, role and scope.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", responses((status = 200, description = "The caller.", body = MeResponse)))]
pub async fn me(caller: PendingCaller) -> HttpResponse {
    let c = caller.0;
    HttpResponse::Ok().json(MeResponse {
        id: c.user_id,
        username: c.username,
        display_name: c.display_name,
        role: c.role.as_str().to_string(),
        scope: Scope { provider_id: c.provider_id, office_id: c.office_id, insured_id: c.insured_id },
        must_change_password: c.must_change_password,
        authenticated_by: match c.credential {
            Credential::Token { .. } => "token",
            Credential::ApiKey { .. } => "api_key",
        },
    })
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    #[validate(length(min = 1, max = 256))]
    #[schema(min_length = 1, max_length = 256)]
    pub current_password: String,
    #[validate(length(min = 10, max = 256))]
    #[schema(min_length = 10, max_length = 256)]
    pub new_password: String,
}

/// Change the caller's own password (required after a one-time password).
#[utoipa::path(put, path = "/api/v1/auth/password", tag = "auth", request_body = PasswordChange,
    responses((status = 204, description = "Changed; every other token of the user is revoked.")))]
pub async fn change_password(
    state: web::Data<ServiceContext>,
    caller: PendingCaller,
    body: ApiJson<PasswordChange>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    services::auth::change_password(&state, caller.0, b.current_password, b.new_password).await?;
    Ok(HttpResponse::NoContent().finish())
}
