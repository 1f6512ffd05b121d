//! The console's sessions: the API's opaque login token in a cookie, the caller resolved exactly
//! as the API resolves a bearer token (`services::auth::authenticate`), and a CSRF token for every
//! state-changing request.
//!
//! - **Cookie** `asnad_session`: `HttpOnly` (no script reads it), `SameSite=Strict` (no other
//!   site's page sends it), `Path=/console` (the API never receives it: the API takes bearer
//!   tokens only), `Max-Age` the token's lifetime, and `Secure` when the request came over TLS
//!   (see [`is_tls`]).
//! - **CSRF** (on top of `SameSite=Strict`, which older browsers and same-site subdomains do not
//!   honour): a form carries `csrf`, an HMAC-SHA256 of a fixed label keyed with the session's
//!   secret token. It needs no storage, survives restarts and works across instances, and no one
//!   without the (HttpOnly) token can compute it. The login form, which has no session yet, uses
//!   a double-submit cookie (`asnad_login`) instead: a random value in a cookie and in the form.
//! - **Expiry and logout**: a token the database no longer accepts (expired, revoked by logout or
//!   a password change elsewhere) sends the browser to the login page with a message, and the
//!   cookie is cleared.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::auth::{secret, Caller};
use crate::console::ConsoleError;
use crate::context::ServiceContext;

pub const SESSION_COOKIE: &str = "asnad_session";
pub const LOGIN_COOKIE: &str = "asnad_login";
/// The form field (and `X-CSRF-Token` header, for htmx) that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf";

const CSRF_LABEL: &[u8] = b"asnad console csrf v1";

/// The CSRF token of a session: `base64url(HMAC-SHA256(key = session token, label))`.
pub fn csrf_token(session_token: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(csrf_mac(session_token).finalize().into_bytes())
}

fn csrf_mac(session_token: &str) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(session_token.as_bytes()).expect("HMAC takes any key length");
    mac.update(CSRF_LABEL);
    mac
}

/// Whether `given` is the session's CSRF token (compared in constant time).
pub fn csrf_matches(session_token: &str, given: &str) -> bool {
    let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(given.trim()) else {
        return false;
    };
    csrf_mac(session_token).verify_slice(&bytes).is_ok()
}

/// Whether the request reached us over TLS: the connection's scheme as actix reports it, which
/// is `https` for a TLS listener and, behind the TLS-terminating proxy this service is deployed
/// behind, what the proxy says in `Forwarded`/`X-Forwarded-Proto`. A client that forges that
/// header over plain HTTP only makes its own cookie `Secure`, which its browser then withholds.
pub fn is_tls(req: &HttpRequest) -> bool {
    req.connection_info().scheme().eq_ignore_ascii_case("https")
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value with the console's flags; `max_age` 0 deletes it.
pub fn set_cookie(name: &str, value: &str, path: &str, max_age_seconds: i64, secure: bool) -> String {
    let mut c = format!("{name}={value}; Path={path}; HttpOnly; SameSite=Strict; Max-Age={max_age_seconds}");
    if secure {
        c.push_str("; Secure");
    }
    c
}

/// The session cookie for a freshly issued token.
pub fn session_cookie(req: &HttpRequest, token: &str, max_age_seconds: i64) -> String {
    set_cookie(SESSION_COOKIE, token, "/console", max_age_seconds, is_tls(req))
}

/// Deletes the session cookie.
pub fn clear_session_cookie(req: &HttpRequest) -> String {
    set_cookie(SESSION_COOKIE, "", "/console", 0, is_tls(req))
}

/// Only a same-site path inside the console is a place to return to after login; anything
/// else (another host, `//evil`, a backslash trick, the API, a space or a raw non-ASCII letter
/// that cannot go into a `Location` header) is replaced by the console's home.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if (n == "/console" || n.starts_with("/console/"))
                && !n.contains('\\')
                && !n.contains("//")
                // Visible ASCII only (a URL as the browser sends it): it goes into a header.
                && n.chars().all(|c| c.is_ascii_graphic())
                && !n.starts_with("/console/login")
                && !n.starts_with("/console/logout") =>
        {
            n.to_string()
        }
        _ => "/console/".to_string(),
    }
}

/// A signed-in caller of the console: the API's `Caller` and the session's CSRF token.
#[derive(Clone)]
pub struct Session {
    pub caller: Caller,
    pub csrf: String,
    token: String,
}

impl Session {
    /// 403 unless `given` is this session's CSRF token.
    pub fn verify_csrf(&self, given: &str) -> Result<(), ConsoleError> {
        if csrf_matches(&self.token, given) {
            Ok(())
        } else {
            Err(ConsoleError::Csrf)
        }
    }
}

async fn resolve(req: HttpRequest) -> Result<Session, ConsoleError> {
    let back_to = || {
        let is_get = req.method() == actix_web::http::Method::GET;
        let here = req.uri().path_and_query().map(|p| p.as_str().to_string());
        is_get.then_some(here).flatten()
    };
    let htmx = req.headers().contains_key("hx-request");
    let Some(token) = cookie(&req, SESSION_COOKIE) else {
        return Err(ConsoleError::SignIn { next: back_to(), expired: false, htmx });
    };
    // The cookie carries login tokens only: an API key is a provider system's, never a browser's.
    if !token.starts_with(secret::TOKEN_PREFIX) {
        return Err(ConsoleError::SignIn { next: back_to(), expired: true, htmx });
    }
    let state = req
        .app_data::<web::Data<ServiceContext>>()
        .cloned()
        .ok_or_else(|| ConsoleError::from(crate::error::AppError::internal("application state missing")))?;
    match crate::services::auth::authenticate(&state, token.clone()).await {
        Ok(caller) => Ok(Session { csrf: csrf_token(&token), caller, token }),
        Err(crate::error::AppError::Unauthenticated(_)) => {
            Err(ConsoleError::SignIn { next: back_to(), expired: true, htmx })
        }
        Err(e) => Err(e.into()),
    }
}

/// A signed-in caller with no pending one-time password: every console page but the password
/// page and logout. A caller who must change a one-time password is sent to the password page
/// first, as the API answers 403 `password_change_required` to such a session.
pub struct Signed(pub Session);

impl FromRequest for Signed {
    type Error = ConsoleError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let session = resolve(req).await?;
            if session.caller.must_change_password {
                return Err(ConsoleError::PasswordChange);
            }
            Ok(Signed(session))
        })
    }
}

/// A signed-in caller who may still have to change a one-time password (password page, logout).
pub struct Pending(pub Session);

impl FromRequest for Pending {
    type Error = ConsoleError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { resolve(req).await.map(Pending) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csrf_token_belongs_to_its_session() {
        let a = csrf_token("asnad_t_one");
        assert!(csrf_matches("asnad_t_one", &a));
        assert!(!csrf_matches("asnad_t_two", &a));
        assert!(!csrf_matches("asnad_t_one", ""));
        assert!(!csrf_matches("asnad_t_one", "not base64!"));
    }

    #[test]
    fn only_console_paths_are_returned_to() {
        assert_eq!(safe_next(Some("/console/queue?kind=visit")), "/console/queue?kind=visit");
        for bad in [
            "https://evil.example/",
            "//evil.example/console/",
            "/console/..\\evil",
            "/api/v1/claims",
            "/console//evil",
            "/console/login?next=/x",
            "/console/queue?kind=ویزیت",
            "/console/ x",
        ] {
            assert_eq!(safe_next(Some(bad)), "/console/", "{bad}");
        }
        assert_eq!(safe_next(None), "/console/");
    }
}
