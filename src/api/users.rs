//! `/api/v1/users` (admin).

use crate::domain::record_ids::{InsuredId, OfficeId, ProviderId, UserId};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use validator::Validate;

use crate::api::openapi::params::Id;
use crate::api::openapi::responses;

use crate::api::{page_limit, ts, ApiJson, Page};
use crate::auth::{Admins, Require, Role};
use crate::context::ServiceContext;
use crate::error::AppResult;
use crate::services;
use crate::services::users::{NewUser, UserUpdate};
use crate::store::audit::Actor;
use crate::store::users::{UserFilter, UserRow};

/// This module's part of the contract (see `api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, create, get, update, reset_password))]
pub struct Api;

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = User)]
pub struct UserView {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    #[schema(value_type = Role)]
    pub role: String,
    pub provider_id: Option<ProviderId>,
    pub office_id: Option<OfficeId>,
    pub insured_id: Option<InsuredId>,
    pub active: bool,
    pub must_change_password: bool,
    #[schema(format = DateTime)]
    pub locked_until: Option<String>,
    #[schema(format = DateTime)]
    pub last_login_at: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<UserRow> for UserView {
    fn from(u: UserRow) -> Self {
        Self {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            email: u.email,
            role: u.role,
            provider_id: u.provider_id,
            office_id: u.office_id,
            insured_id: u.insured_id,
            active: u.active,
            must_change_password: u.must_change_password,
            locked_until: u.locked_until.map(ts),
            last_login_at: u.last_login_at.map(ts),
            created_at: ts(u.created_at),
        }
    }
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    #[validate(length(min = 3, max = 64), custom(function = "valid_username"))]
    #[schema(min_length = 3, max_length = 64, pattern = "^[A-Za-z0-9._@-]+$")]
    pub username: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub display_name: String,
    #[validate(email)]
    #[schema(format = Email)]
    pub email: Option<String>,
    pub role: Role,
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub provider_id: Option<String>,
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub office_id: Option<String>,
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub insured_id: Option<String>,
    /// The province (`provinces.id`) of a `province_manager`; no other role has one.
    #[validate(range(min = 1, max = 1000))]
    #[schema(minimum = 1, maximum = 1000)]
    pub province_id: Option<i32>,
    /// Optional initial password; without it a one-time password is generated and returned.
    #[validate(length(min = 10, max = 256))]
    #[schema(min_length = 10, max_length = 256)]
    pub password: Option<String>,
}

fn valid_username(u: &str) -> Result<(), validator::ValidationError> {
    if u.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')) {
        Ok(())
    } else {
        let mut e = validator::ValidationError::new("charset");
        e.message = Some("may contain only letters, digits and . _ - @".into());
        Err(e)
    }
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = CreatedUser)]
pub struct CreatedUserView {
    #[serde(flatten)]
    pub user: UserView,
    /// Present only when the service generated the password; shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub one_time_password: Option<String>,
}

/// Create a user; without a password a one-time password is generated and shown once.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUser,
    responses((status = 201, description = "Created.", body = CreatedUserView), (status = 409, response = responses::Conflict)))]
pub async fn create(
    state: web::Data<ServiceContext>,
    admin: Require<Admins>,
    body: ApiJson<CreateUser>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    let created = services::users::create_user(
        &state,
        Actor::of(&admin),
        NewUser {
            username: b.username,
            display_name: b.display_name,
            email: b.email,
            role: b.role,
            provider_id: b.provider_id.map(Into::into),
            office_id: b.office_id.map(Into::into),
            insured_id: b.insured_id.map(Into::into),
            province_id: b.province_id,
            password: b.password,
            must_change_password: true,
        },
    )
    .await?;
    Ok(HttpResponse::Created()
        .json(CreatedUserView { user: created.user.into(), one_time_password: created.generated_password }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    pub role: Option<Role>,
    pub office_id: Option<OfficeId>,
    pub provider_id: Option<ProviderId>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List users.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(ListQuery),
    responses((status = 200, description = "A page of users.", body = Page<UserView>)))]
pub async fn list(
    state: web::Data<ServiceContext>,
    _admin: Require<Admins>,
    q: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let limit = page_limit(q.limit)?;
    let rows = services::users::list(
        &state,
        UserFilter {
            role: q.role.map(|r| r.as_str().to_string()),
            office_id: q.office_id,
            provider_id: q.provider_id,
            after: q.cursor,
            limit,
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(Page::<UserView>::from_rows(
        rows,
        limit,
        |r| r.id.to_string(),
        UserView::from,
    )))
}

/// One user.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(Id),
    responses((status = 200, description = "The user.", body = UserView)))]
pub async fn get(
    state: web::Data<ServiceContext>,
    _admin: Require<Admins>,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let user = services::users::get(&state, id.into_inner().into()).await?;
    Ok(HttpResponse::Ok().json(UserView::from(user)))
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub display_name: Option<String>,
    #[validate(email)]
    #[schema(format = Email)]
    pub email: Option<String>,
    pub active: Option<bool>,
    /// `true` clears a login lock.
    #[serde(default)]
    pub unlock: bool,
}

/// Change a user's name, e-mail or active flag, or lift a lockout.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(Id), request_body = UpdateUser,
    responses((status = 200, description = "The user.", body = UserView), (status = 409, response = responses::Conflict)))]
pub async fn update(
    state: web::Data<ServiceContext>,
    admin: Require<Admins>,
    id: web::Path<String>,
    body: ApiJson<UpdateUser>,
) -> AppResult<HttpResponse> {
    let id = UserId::from(id.into_inner());
    let b = body.0;
    // An admin disabling their own account is refused by the use case (409 cannot_disable_self).
    let user = services::users::update(
        &state,
        Actor::of(&admin),
        id,
        UserUpdate {
            display_name: b.display_name,
            email: b.email.map(Some),
            active: b.active,
            unlock: b.unlock,
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(UserView::from(user)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PasswordReset {
    pub one_time_password: String,
}

/// Reset a user's password to a one-time password, shown once; the user's tokens are revoked.
#[utoipa::path(post, path = "/api/v1/users/{id}/password", tag = "users", params(Id),
    responses((status = 200, description = "The one-time password.", body = PasswordReset)))]
pub async fn reset_password(
    state: web::Data<ServiceContext>,
    admin: Require<Admins>,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let p = services::users::reset_password(&state, Actor::of(&admin), id.into_inner().into()).await?;
    Ok(HttpResponse::Ok().json(PasswordReset { one_time_password: p }))
}
