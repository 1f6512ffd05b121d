//! `/api/v1/api-keys` (admin): keys for providers' billing systems.

use crate::domain::record_ids::{ApiKeyId, UserId};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::api::openapi::params::Id;
use crate::api::{page_limit, ts, ApiJson, Page};
use crate::auth::{Admins, Require};
use crate::context::ServiceContext;
use crate::error::AppResult;
use crate::services;
use crate::store::tokens::ApiKeyRow;

/// This module's part of the contract (see `api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, create, revoke))]
pub struct Api;

/// An API key of a provider user's system. The secret itself is never shown again.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ApiKey)]
pub struct ApiKeyView {
    pub id: ApiKeyId,
    pub user_id: UserId,
    pub name: String,
    /// The first characters of the key, to recognise it in a provider's configuration.
    pub prefix: String,
    /// The admin who created it (user id).
    pub created_by: UserId,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub last_used_at: Option<String>,
    #[schema(format = DateTime)]
    pub revoked_at: Option<String>,
}

impl From<ApiKeyRow> for ApiKeyView {
    fn from(k: ApiKeyRow) -> Self {
        Self {
            id: k.id,
            user_id: k.user_id,
            name: k.name,
            prefix: k.prefix,
            created_by: k.created_by,
            created_at: ts(k.created_at),
            last_used_at: k.last_used_at.map(ts),
            revoked_at: k.revoked_at.map(ts),
        }
    }
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    /// An active user with the `provider` role.
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub user_id: String,
    /// What the key is for, e.g. the billing system's name.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = CreatedApiKey)]
pub struct CreatedApiKeyView {
    #[serde(flatten)]
    pub key_info: ApiKeyView,
    /// The secret, shown this once. Send it as `Authorization: Bearer <key>`.
    pub key: String,
}

/// Create an API key for a provider user's system (admin). The key is shown once.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys", request_body = CreateApiKey,
    responses((status = 201, description = "Created; `key` is the secret.", body = CreatedApiKeyView)))]
pub async fn create(
    state: web::Data<ServiceContext>,
    admin: Require<Admins>,
    body: ApiJson<CreateApiKey>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    let created = services::auth::create_api_key(&state, admin.caller, b.user_id.into(), b.name).await?;
    Ok(HttpResponse::Created().json(CreatedApiKeyView { key_info: created.row.into(), key: created.key }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only the keys of this user.
    pub user_id: Option<UserId>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List API keys (admin). Secrets are never listed.
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys", params(ListQuery),
    responses((status = 200, description = "A page of keys, revoked ones included.", body = Page<ApiKeyView>)))]
pub async fn list(
    state: web::Data<ServiceContext>,
    _admin: Require<Admins>,
    q: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let limit = page_limit(q.limit)?;
    let rows = services::auth::list_api_keys(&state, q.user_id, q.cursor, limit).await?;
    Ok(HttpResponse::Ok().json(Page::<ApiKeyView>::from_rows(
        rows,
        limit,
        |r| r.id.to_string(),
        ApiKeyView::from,
    )))
}

/// Revoke an API key (admin).
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api-keys", params(Id),
    responses((status = 204, description = "Revoked (revoking a revoked key changes nothing).")))]
pub async fn revoke(
    state: web::Data<ServiceContext>,
    admin: Require<Admins>,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    services::auth::revoke_api_key(&state, crate::store::audit::Actor::of(&admin), id.into_inner().into())
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
