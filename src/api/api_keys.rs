//! `/api/v1/api-keys` (admin): keys for providers' billing systems.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::api::{page_limit, ts, ApiJson, Page};
use crate::auth::{Admins, Require};
use crate::context::ServiceContext;
use crate::error::AppResult;
use crate::services;
use crate::store::tokens::ApiKeyRow;

#[derive(Serialize)]
pub struct ApiKeyView {
    pub id: String,
    pub user_id: String,
    pub name: String,
    /// The first characters of the key, to recognise it in a provider's configuration.
    pub prefix: String,
    pub created_by: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
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

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    #[validate(length(min = 1, max = 64))]
    pub user_id: String,
    #[validate(length(min = 1, max = 200))]
    pub name: String,
}

#[derive(Serialize)]
pub struct CreatedApiKeyView {
    #[serde(flatten)]
    pub key_info: ApiKeyView,
    /// The secret, shown this once. Send it as `Authorization: Bearer <key>`.
    pub key: String,
}

pub async fn create(
    state: web::Data<ServiceContext>,
    admin: Require<Admins>,
    body: ApiJson<CreateApiKey>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    let created = services::auth::create_api_key(&state, admin.caller, b.user_id, b.name).await?;
    Ok(HttpResponse::Created().json(CreatedApiKeyView { key_info: created.row.into(), key: created.key }))
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub user_id: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

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
        |r| r.id.clone(),
        ApiKeyView::from,
    )))
}

pub async fn revoke(
    state: web::Data<ServiceContext>,
    admin: Require<Admins>,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    services::auth::revoke_api_key(&state, crate::store::audit::Actor::of(&admin), id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
