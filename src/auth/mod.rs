//! Who is calling, and what they may do.
//!
//! Credentials arrive as `Authorization: Bearer <secret>`: a login token (`at_…`, from
//! `POST /api/v1/auth/token`) or an API key of a provider's system (`ak_…`). Both are random,
//! stored only as SHA-256, and resolved to a [`Caller`]: the user, their role and their scope.

pub mod cache;
pub mod password;
pub mod secret;

use crate::domain::record_ids::{ApiKeyId, InsuredId, OfficeId, ProviderId, UserId};
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::{web, FromRequest, HttpRequest};
use serde::{Deserialize, Serialize};

use crate::context::ServiceContext;
use crate::error::AppError;

/// The roles of the service. A user has exactly one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// System administrator: users, offices, API keys.
    Admin,
    /// Maintains the approved tariffs (تعرفه).
    TariffAdmin,
    /// Review-office expert (کارشناس رسیدگی), scoped to an office.
    Reviewer,
    /// Review-office supervisor: second approval above the threshold.
    Supervisor,
    /// Medical advisor (پزشک معتمد): pre-authorizations.
    MedicalAdvisor,
    /// Finance: advances, settlements, payment orders.
    Finance,
    /// A contracted provider's user or system, scoped to one provider.
    Provider,
    /// An insured person (بیمه‌شده), scoped to themselves.
    Insured,
    /// A province's treatment management (مدیریت درمان استان): reads the reports and the
    /// records of its province's offices; decides nothing.
    ProvinceManager,
    /// Headquarters (ستاد): reads the reports and records of the whole country; decides nothing.
    Headquarters,
}

impl Role {
    pub const ALL: [Role; 10] = [
        Role::Admin,
        Role::TariffAdmin,
        Role::Reviewer,
        Role::Supervisor,
        Role::MedicalAdvisor,
        Role::Finance,
        Role::Provider,
        Role::Insured,
        Role::ProvinceManager,
        Role::Headquarters,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::TariffAdmin => "tariff_admin",
            Role::Reviewer => "reviewer",
            Role::Supervisor => "supervisor",
            Role::MedicalAdvisor => "medical_advisor",
            Role::Finance => "finance",
            Role::Provider => "provider",
            Role::Insured => "insured",
            Role::ProvinceManager => "province_manager",
            Role::Headquarters => "headquarters",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The role in Persian, for the console's top bar.
    pub fn name_fa(self) -> &'static str {
        match self {
            Role::Admin => "مدیر سامانه",
            Role::TariffAdmin => "کارشناس تعرفه",
            Role::Reviewer => "کارشناس رسیدگی",
            Role::Supervisor => "سرپرست رسیدگی",
            Role::MedicalAdvisor => "پزشک معتمد",
            Role::Finance => "امور مالی",
            Role::Provider => "مرکز درمانی",
            Role::Insured => "بیمه‌شده",
            Role::ProvinceManager => "مدیریت درمان استان",
            Role::Headquarters => "ستاد",
        }
    }

    /// Office staff work inside the Organization; they are never tenants.
    pub fn is_staff(self) -> bool {
        !matches!(self, Role::Provider | Role::Insured)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the caller proved who they are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Credential {
    /// A login token; the hash identifies it for logout.
    Token { token_hash: String },
    ApiKey {
        #[schema(value_type = String)]
        key_id: ApiKeyId,
    },
}

/// The authenticated caller: user, role and scope.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user_id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub provider_id: Option<ProviderId>,
    pub office_id: Option<OfficeId>,
    pub insured_id: Option<InsuredId>,
    /// A province manager's province.
    pub province_id: Option<i32>,
    pub must_change_password: bool,
    pub credential: Credential,
}

impl Caller {
    pub fn require_any(&self, roles: &[Role]) -> Result<(), AppError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::forbidden(format!(
                "the role {} may not do this (allowed: {})",
                self.role,
                roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
            )))
        }
    }
}

fn bearer_secret(req: &HttpRequest) -> Result<String, AppError> {
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .ok_or_else(|| AppError::Unauthenticated("missing Authorization: Bearer <token> header".into()))?;
    let value = header
        .to_str()
        .map_err(|_| AppError::Unauthenticated("the Authorization header is not readable text".into()))?;
    let (scheme, secret) = value
        .split_once(' ')
        .ok_or_else(|| AppError::Unauthenticated("expected Authorization: Bearer <token>".into()))?;
    if !scheme.eq_ignore_ascii_case("bearer") || secret.trim().is_empty() {
        return Err(AppError::Unauthenticated("expected Authorization: Bearer <token>".into()));
    }
    Ok(secret.trim().to_string())
}

async fn resolve_caller(req: HttpRequest) -> Result<Caller, AppError> {
    let secret = bearer_secret(&req)?;
    let state = req
        .app_data::<web::Data<ServiceContext>>()
        .cloned()
        .ok_or_else(|| AppError::internal("application state missing"))?;
    crate::services::auth::authenticate(&state, secret).await
}

/// Any authenticated caller who has no pending password change. Use [`PendingCaller`] on the
/// few routes a user with a one-time password may reach (me, change password, logout).
impl FromRequest for Caller {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let caller = resolve_caller(req).await?;
            // A one-time password gates the sessions opened with it, not a system's API key.
            let is_session = matches!(caller.credential, Credential::Token { .. });
            if caller.must_change_password && is_session {
                return Err(AppError::Forbidden {
                    code: "password_change_required",
                    detail: "change the one-time password first (PUT /api/v1/auth/password)".into(),
                });
            }
            Ok(caller)
        })
    }
}

/// An authenticated caller who may still have to change a one-time password.
pub struct PendingCaller(pub Caller);

impl FromRequest for PendingCaller {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { resolve_caller(req).await.map(PendingCaller) })
    }
}

/// A set of roles allowed on a route, as a type: `Require<Admins>` in a handler's arguments.
pub trait RoleSet {
    const ROLES: &'static [Role];
}

/// A caller whose role is in `R`; 401 without credentials, 403 with the wrong role.
pub struct Require<R: RoleSet> {
    pub caller: Caller,
    _roles: PhantomData<R>,
}

impl<R: RoleSet> std::ops::Deref for Require<R> {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.caller
    }
}

impl<R: RoleSet + 'static> FromRequest for Require<R> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let fut = Caller::from_request(req, payload);
        Box::pin(async move {
            let caller = fut.await?;
            caller.require_any(R::ROLES)?;
            Ok(Require { caller, _roles: PhantomData })
        })
    }
}

macro_rules! role_set {
    ($(#[$doc:meta])* $name:ident => [$($role:ident),+]) => {
        $(#[$doc])*
        pub struct $name;
        impl RoleSet for $name {
            const ROLES: &'static [Role] = &[$(Role::$role),+];
        }
    };
}

role_set!(/// System administrators only.
    Admins => [Admin]);
role_set!(/// Everyone who works inside the Organization.
    Staff => [Admin, TariffAdmin, Reviewer, Supervisor, MedicalAdvisor, Finance, ProvinceManager, Headquarters]);
role_set!(/// Review-office experts and their supervisors.
    Reviewers => [Reviewer, Supervisor]);
role_set!(/// Review-office supervisors: the second pair of eyes.
    Supervisors => [Supervisor]);
role_set!(/// Medical advisors (پزشک معتمد): pre-authorizations.
    MedicalAdvisors => [MedicalAdvisor]);
role_set!(/// Finance: advances, settlements, payment orders.
    Finances => [Finance]);

/// The part of the Organization's records a caller may see (دامنهٔ دسترسی). Every read of a
/// record goes through it — `Caller::scope_for` decides it from the role, its binding and the
/// kind of record, and the store filters every get and list by it (`store::scope`) — so a
/// record outside the scope is answered 404, as if it did not exist, and a new endpoint that
/// reads through the store is tenant-safe by construction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Scope {
    /// Organization-wide roles (admin, tariff administration; finance and medical advisors
    /// without an office).
    All,
    /// The review offices of one province (province-level management, with the reports issue).
    Province(i32),
    /// One review office: its reviewers and supervisors, and finance or a medical advisor bound
    /// to it.
    Office(OfficeId),
    /// One contracted provider's users and systems.
    Provider(ProviderId),
    /// One insured person (and, where a rule says so, their dependants).
    Insured(InsuredId),
    /// A tenant-bound role whose binding is missing, or a role with no business with a kind
    /// of record: sees nothing. The default, so that a filter nobody scoped shows nothing.
    #[default]
    Nothing,
}

impl Scope {
    /// Whether a filter naming this office may be answered: staff of the office (or of its
    /// province) and Organization-wide roles. A provider or an insured person never filters by
    /// office.
    pub fn admits_office(&self, office_id: &OfficeId, office_province: i32) -> bool {
        match self {
            Scope::All => true,
            Scope::Province(p) => *p == office_province,
            Scope::Office(o) => o == office_id,
            Scope::Provider(_) | Scope::Insured(_) | Scope::Nothing => false,
        }
    }
}

/// The kinds of record whose reach differs by role (see `Caller::scope_for`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Record {
    /// Claims (اسناد پزشکی) and what hangs on them: lines, history, objections, attachments,
    /// samples, monthly lists.
    Claim,
    /// Providers and their contracts.
    Provider,
    /// Settlements, advances, remittances.
    Settlement,
    /// Pre-authorization requests (درخواست تأیید قبلی).
    Preauthorization,
    /// Insured persons' reimbursement requests (بازپرداخت هزینه).
    Reimbursement,
}

impl Caller {
    /// What of `record` the caller may read: the one table of who sees what. A role that has no
    /// business with a kind of record gets `Nothing` (its reads answer 404).
    pub fn scope_for(&self, record: Record) -> Scope {
        use Record::*;
        use Role::*;
        let office_only = || self.office_id.clone().map(Scope::Office).unwrap_or(Scope::Nothing);
        match (self.role, record) {
            (Admin, _) => Scope::All,
            // The province's and the country's management read everything in their reach
            // (every write refuses them by role).
            (ProvinceManager | Headquarters, _) => self.scope(),
            // Claims and providers: everyone within their scope (an insured person's holds no
            // claims: their portal reads their family's through `scope::insured_family_claims`).
            (_, Claim | Record::Provider) => self.scope(),
            // Money owed to providers: the provider, its office's staff, finance and admins.
            (Role::Provider | Reviewer | Supervisor | Finance, Settlement) => self.scope(),
            (TariffAdmin | MedicalAdvisor | Insured, Settlement) => Scope::Nothing,
            // Pre-authorizations: the provider, the insured person, the office's staff and
            // medical advisors (Organization-wide unless bound to an office).
            (Role::Provider | Insured | Reviewer | Supervisor | MedicalAdvisor, Preauthorization) => {
                self.scope()
            }
            (TariffAdmin | Finance, Preauthorization) => Scope::Nothing,
            // Reimbursements: the insured person, the office's staff (a medical advisor only
            // when bound to an office), and finance, which pays them, Organization-wide.
            (Insured | Reviewer | Supervisor, Reimbursement) => self.scope(),
            (MedicalAdvisor, Reimbursement) => office_only(),
            (Finance, Reimbursement) => Scope::All,
            (Role::Provider | TariffAdmin, Reimbursement) => Scope::Nothing,
        }
    }

    /// The caller's scope, from the role and its binding (the same for every kind of record;
    /// `scope_for` narrows it by kind).
    pub fn scope(&self) -> Scope {
        fn bound<T: Clone>(id: &Option<T>, f: fn(T) -> Scope) -> Scope {
            id.clone().map(f).unwrap_or(Scope::Nothing)
        }
        match self.role {
            Role::Admin | Role::TariffAdmin => Scope::All,
            // Finance and medical advisors work Organization-wide unless bound to an office.
            Role::Finance | Role::MedicalAdvisor => {
                self.office_id.clone().map(Scope::Office).unwrap_or(Scope::All)
            }
            Role::Reviewer | Role::Supervisor => bound(&self.office_id, Scope::Office),
            Role::Provider => bound(&self.provider_id, Scope::Provider),
            Role::Insured => bound(&self.insured_id, Scope::Insured),
            Role::ProvinceManager => bound(&self.province_id, Scope::Province),
            Role::Headquarters => Scope::All,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role, office: Option<&str>) -> Caller {
        Caller {
            user_id: "u".into(),
            username: "u".into(),
            display_name: "u".into(),
            role,
            provider_id: (role == Role::Provider).then(|| "P".into()),
            office_id: office.map(OfficeId::from),
            insured_id: (role == Role::Insured).then(|| "I".into()),
            province_id: (role == Role::ProvinceManager).then_some(8),
            must_change_password: false,
            credential: Credential::Token { token_hash: "h".into() },
        }
    }

    /// The whole who-sees-what table, row by row: a change to it must change this test.
    #[test]
    fn every_role_reaches_exactly_its_records() {
        use Record::*;
        use Scope::{All, Nothing, Office};
        let p = || Scope::Provider("P".into());
        let i = || Scope::Insured("I".into());
        let o = || Office("O".into());
        let pr = || Scope::Province(8);
        let rows: Vec<(Role, Option<&str>, [Scope; 5])> = vec![
            // role, office binding: [Claim, Provider, Settlement, Preauthorization, Reimbursement]
            (Role::Admin, None, [All, All, All, All, All]),
            (Role::TariffAdmin, None, [All, All, Nothing, Nothing, Nothing]),
            (Role::Reviewer, Some("O"), [o(), o(), o(), o(), o()]),
            (Role::Reviewer, None, [Nothing, Nothing, Nothing, Nothing, Nothing]),
            (Role::Supervisor, Some("O"), [o(), o(), o(), o(), o()]),
            (Role::Finance, None, [All, All, All, Nothing, All]),
            (Role::Finance, Some("O"), [o(), o(), o(), Nothing, All]),
            (Role::MedicalAdvisor, None, [All, All, Nothing, All, Nothing]),
            (Role::MedicalAdvisor, Some("O"), [o(), o(), Nothing, o(), o()]),
            (Role::Provider, None, [p(), p(), p(), p(), Nothing]),
            (Role::Insured, None, [i(), i(), Nothing, i(), i()]),
            (Role::ProvinceManager, None, [pr(), pr(), pr(), pr(), pr()]),
            (Role::Headquarters, None, [All, All, All, All, All]),
        ];
        for (role, office, expected) in rows {
            let c = caller(role, office);
            let got = [Claim, Record::Provider, Settlement, Preauthorization, Reimbursement]
                .map(|r| c.scope_for(r));
            assert_eq!(got, expected, "{role:?} bound to {office:?}");
        }
    }

    #[test]
    fn a_province_reaches_its_offices_only() {
        let province = Scope::Province(8);
        assert!(province.admits_office(&"O1".into(), 8) && !province.admits_office(&"O2".into(), 23));
        assert!(!Scope::Nothing.admits_office(&"O1".into(), 8) && Scope::default() == Scope::Nothing);
    }
}
