//! `/api/v1/auth`: tokens, the caller, own password.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::api::{ts, ApiJson};
use crate::auth::{Credential, PendingCaller};
use crate::context::ServiceContext;
use crate::error::AppResult;
use crate::services;

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    #[validate(length(min = 1, max = 100))]
    pub username: String,
    #[validate(length(min = 1, max = 256))]
    pub password: String,
}

#[derive(Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_at: String,
    pub expires_in: i64,
    pub must_change_password: bool,
}

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

pub async fn revoke_token(
    state: web::Data<ServiceContext>,
    caller: PendingCaller,
) -> AppResult<HttpResponse> {
    services::auth::logout(&state, caller.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Serialize)]
pub struct Scope {
    pub provider_id: Option<String>,
    pub office_id: Option<String>,
    pub insured_id: Option<String>,
}

#[derive(Serialize)]
pub struct MeResponse {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub scope: Scope,
    pub must_change_password: bool,
    /// `token` or `api_key`.
    pub authenticated_by: &'static str,
}

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

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    #[validate(length(min = 1, max = 256))]
    pub current_password: String,
    #[validate(length(min = 10, max = 256))]
    pub new_password: String,
}

pub async fn change_password(
    state: web::Data<ServiceContext>,
    caller: PendingCaller,
    body: ApiJson<PasswordChange>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    services::auth::change_password(&state, caller.0, b.current_password, b.new_password).await?;
    Ok(HttpResponse::NoContent().finish())
}
