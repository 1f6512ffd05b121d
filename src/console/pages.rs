//! Signing in and out, the one-time password change, and the console's home.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::secret;
use crate::console::session::{self, Pending, Signed};
use crate::console::{is_reviewer, render, see_other, ConsoleError, Layout};
use crate::context::ServiceContext;
use crate::error::AppError;
use crate::services;

/// `GET /`, `GET /console`: to the console.
pub async fn root() -> HttpResponse {
    see_other("/console/")
}

#[derive(Template)]
#[template(path = "console/home.html")]
pub struct HomePage {
    pub layout: Layout,
    pub name: String,
}

/// `GET /console/`: a reviewer's home is the queue; other roles are told their screens are
/// still to come and where to work meanwhile.
pub async fn home(signed: Signed) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    if is_reviewer(&s.caller) {
        return Ok(see_other("/console/queue"));
    }
    // Each role's home is its first screen.
    match s.caller.role {
        crate::auth::Role::Insured => return Ok(see_other("/console/me/claims")),
        crate::auth::Role::MedicalAdvisor => return Ok(see_other("/console/preauthorizations")),
        crate::auth::Role::Finance => return Ok(see_other("/console/finance/advances")),
        crate::auth::Role::Admin => return Ok(see_other("/console/admin/providers")),
        crate::auth::Role::TariffAdmin => return Ok(see_other("/console/admin/tariffs")),
        crate::auth::Role::Provider => return Ok(see_other("/console/provider/remittances")),
        crate::auth::Role::ProvinceManager | crate::auth::Role::Headquarters => {
            return Ok(see_other("/console/reports"))
        }
        _ => {}
    }
    let page = HomePage {
        layout: Layout::signed("کنسول اسناد", &s, "home"),
        name: s.caller.display_name.clone(),
    };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "console/login.html")]
pub struct LoginPage {
    pub layout: Layout,
    pub username: String,
    pub next: String,
    pub login_csrf: String,
    /// A notice above the form (signed out, session ended).
    pub notice: Option<&'static str>,
    /// Why the last attempt failed, in Persian.
    pub error: Option<String>,
    /// The service's own words for the failure (the problem's `detail`).
    pub detail: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    pub next: Option<String>,
    pub expired: Option<String>,
    pub signed_out: Option<String>,
}

/// The login form's double-submit value: the browser's, if it has a well-formed one (so that
/// two open login tabs both work), or a fresh random one.
fn login_csrf(req: &HttpRequest) -> String {
    session::cookie(req, session::LOGIN_COOKIE)
        .filter(|v| {
            v.len() >= 32
                && v.len() <= 64
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .unwrap_or_else(|| secret::generate(""))
}

fn with_login_cookie(mut res: HttpResponse, req: &HttpRequest, value: &str) -> HttpResponse {
    let c = session::set_cookie(session::LOGIN_COOKIE, value, "/console/login", 3600, session::is_tls(req));
    if let Ok(v) = header::HeaderValue::from_str(&c) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// `GET /console/login`.
pub async fn login_form(req: HttpRequest, q: web::Query<LoginQuery>) -> Result<HttpResponse, ConsoleError> {
    let q = q.into_inner();
    let notice = if q.expired.is_some() {
        Some("نشست شما به پایان رسیده یا باطل شده است. دوباره وارد شوید.")
    } else if q.signed_out.is_some() {
        Some("از سامانه خارج شدید.")
    } else {
        None
    };
    let csrf = login_csrf(&req);
    let page = LoginPage {
        layout: Layout::anonymous("ورود به سامانهٔ اسناد"),
        username: String::new(),
        next: session::safe_next(q.next.as_deref()),
        login_csrf: csrf.clone(),
        notice,
        error: None,
        detail: None,
    };
    Ok(with_login_cookie(render(StatusCode::OK, &page)?, &req, &csrf))
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub next: Option<String>,
    #[serde(default)]
    pub csrf: String,
}

/// `POST /console/login`: the API's login use case (same password check, same lockout); the
/// token goes into the session cookie.
pub async fn login(
    req: HttpRequest,
    state: web::Data<ServiceContext>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, ConsoleError> {
    let f = form.into_inner();
    let expected = session::cookie(&req, session::LOGIN_COOKIE);
    if expected.is_none() || expected.as_deref() != Some(f.csrf.as_str()) {
        return Err(ConsoleError::Csrf);
    }
    let next = session::safe_next(f.next.as_deref());
    let username = f.username.trim().to_string();
    let failed =
        |status: StatusCode, error: String, detail: Option<String>| -> Result<HttpResponse, ConsoleError> {
            let page = LoginPage {
                layout: Layout::anonymous("ورود به سامانهٔ اسناد"),
                username: username.clone(),
                next: next.clone(),
                login_csrf: f.csrf.clone(),
                notice: None,
                error: Some(error),
                detail,
            };
            render(status, &page)
        };
    // The API's limits on the two fields (`TokenRequest`).
    if username.is_empty()
        || username.chars().count() > 100
        || f.password.is_empty()
        || f.password.chars().count() > 256
    {
        return failed(
            StatusCode::UNPROCESSABLE_ENTITY,
            "نام کاربری و گذرواژه را وارد کنید.".into(),
            Some("username: 1–100 characters; password: 1–256 characters".into()),
        );
    }
    match services::auth::login(&state, username.clone(), f.password).await {
        Ok(issued) => {
            // The cookie lives as long as the token (`expires_at` is issue time + `token_ttl`).
            let max_age = state.config.token_ttl.num_seconds();
            let to = if issued.must_change_password { "/console/password".to_string() } else { next.clone() };
            let mut res = see_other(&to);
            let cookies = [
                session::session_cookie(&req, &issued.access_token, max_age),
                session::set_cookie(session::LOGIN_COOKIE, "", "/console/login", 0, session::is_tls(&req)),
            ];
            for c in cookies {
                if let Ok(v) = header::HeaderValue::from_str(&c) {
                    res.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            Ok(res)
        }
        Err(e @ AppError::Unauthenticated(_)) => {
            failed(StatusCode::UNAUTHORIZED, "نام کاربری یا گذرواژه نادرست است.".into(), Some(e.detail()))
        }
        Err(e @ AppError::TooManyRequests { retry_after_seconds, .. }) => {
            let minutes = (retry_after_seconds + 59) / 60;
            let mut res = failed(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "به سبب تلاش‌های ناموفق پیاپی، این حساب برای مدتی قفل شده است. حدود {minutes} دقیقهٔ دیگر دوباره بکوشید."
                ),
                Some(e.detail()),
            )?;
            if let Ok(v) = header::HeaderValue::from_str(&retry_after_seconds.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    pub csrf: String,
}

/// `POST /console/logout`: the API's logout (the token is revoked), then the cookie is cleared.
pub async fn logout(
    req: HttpRequest,
    state: web::Data<ServiceContext>,
    pending: Pending,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, ConsoleError> {
    let s = pending.0;
    s.verify_csrf(&form.csrf)?;
    services::auth::logout(&state, s.caller).await?;
    let mut res = see_other("/console/login?signed_out=1");
    if let Ok(v) = header::HeaderValue::from_str(&session::clear_session_cookie(&req)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

#[derive(Template)]
#[template(path = "console/password.html")]
pub struct PasswordPage {
    pub layout: Layout,
    /// A one-time password must be changed before anything else.
    pub required: bool,
    pub error: Option<String>,
    /// `(field, message)` of the refusal, by form field.
    pub fields: Vec<(String, String)>,
}

impl PasswordPage {
    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.fields.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }
}

/// `GET /console/password`.
pub async fn password_form(pending: Pending) -> Result<HttpResponse, ConsoleError> {
    let s = pending.0;
    let page = PasswordPage {
        layout: Layout::signed("تغییر گذرواژه", &s, ""),
        required: s.caller.must_change_password,
        error: None,
        fields: Vec::new(),
    };
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    pub current_password: String,
    #[serde(default)]
    pub new_password: String,
    #[serde(default)]
    pub confirm_password: String,
    #[serde(default)]
    pub csrf: String,
}

/// `POST /console/password`: the API's password change (same policy; other sessions end).
pub async fn change_password(
    state: web::Data<ServiceContext>,
    pending: Pending,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, ConsoleError> {
    let s = pending.0;
    let f = form.into_inner();
    s.verify_csrf(&f.csrf)?;
    let refused = |fields: Vec<(String, String)>| {
        let page = PasswordPage {
            layout: Layout::signed("تغییر گذرواژه", &s, ""),
            required: s.caller.must_change_password,
            error: Some("گذرواژه تغییر نکرد.".into()),
            fields,
        };
        render(StatusCode::UNPROCESSABLE_ENTITY, &page)
    };
    // Typing the new password twice is the form's own check, not a password rule.
    if f.new_password != f.confirm_password {
        return refused(vec![("confirm_password".into(), "تکرار گذرواژهٔ تازه با آن یکی نیست.".into())]);
    }
    match services::auth::change_password(&state, s.caller.clone(), f.current_password, f.new_password).await
    {
        Ok(()) => Ok(see_other("/console/")),
        Err(AppError::Validation(errors)) => {
            refused(errors.into_iter().map(|e| (e.field, e.message)).collect())
        }
        Err(e) => Err(e.into()),
    }
}
