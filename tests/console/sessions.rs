//! Sessions: redirects to the login page, the login form (same lockout as the API), the cookie's
//! flags, CSRF on every POST, logout, expiry and one-time passwords.

use asnad::auth::Role;

use crate::helpers::{Scope, TestApp, PASSWORD};
use crate::support::{create_user_with_one_time_password, Browser};

#[test]
fn pages_without_a_session_send_the_browser_to_the_login_page() {
    let app = TestApp::spawn();
    let b = Browser::new(&app);
    let root = b.get("/");
    assert_eq!((root.status, root.location()), (303, "/console/".to_string()));
    let home = b.get("/console/");
    assert_eq!((home.status, home.location()), (303, "/console/login".to_string()));
    let queue = b.get("/console/queue?kind=visit&age=7");
    assert_eq!(queue.status, 303);
    assert_eq!(queue.location(), "/console/login?next=/console/queue%3Fkind%3Dvisit%26age%3D7");
    // htmx is told to leave the page instead of swapping the login form into the results.
    let mut hx = Browser::new(&app);
    hx.extra.push(("hx-request", "true".into()));
    let res = hx.get("/console/queue?kind=visit");
    assert_eq!(res.status, 200);
    assert_eq!(res.header("hx-redirect"), "/console/login?next=/console/queue%3Fkind%3Dvisit");
    let claim = b.get("/console/claims/nope");
    assert_eq!(claim.location(), "/console/login?next=/console/claims/nope");

    // The login page returns only to console paths of this site.
    let form = b.get("/console/login?next=/console/queue%3Fkind%3Dvisit");
    form.assert_contains(r#"name="next" value="/console/queue?kind=visit""#);
    for evil in ["https://evil.example/", "//evil.example/console/", "/api/v1/claims"] {
        let form = b.get(&format!("/console/login?next={}", asnad::console::urlencode(evil)));
        form.assert_contains(r#"name="next" value="/console/""#);
    }
    // The page is Persian, right to left, and its stylesheet is served from a hashed URL that
    // may be kept for a year.
    form.assert_contains(r#"<html lang="fa" dir="rtl">"#);
    let css = asnad::console::assets::url("console.css");
    form.assert_contains(css);
    let res = b.get(css);
    assert_eq!(res.status, 200);
    assert_eq!(res.header("cache-control"), "public, max-age=31536000, immutable");
    assert!(res.header("content-type").starts_with("text/css"));
    assert!(res.body.contains(asnad::console::assets::url("vazirmatn-variable.woff2")));
    let head = app.client.head(format!("{}{css}", app.base)).send().unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(b.get("/console/static/console.0000000000.css").status, 404);
    // A console path that does not exist is an HTML page, not the API's problem+json.
    let res = b.get("/console/no-such-page");
    assert_eq!(res.status, 404);
    assert!(res.header("content-type").starts_with("text/html"));
    res.assert_contains("پیدا نشد");
}

#[test]
fn login_is_the_apis_login_and_the_cookie_is_strict() {
    let app = TestApp::spawn();
    let office = app.world().office("THR-1").id;
    app.create_user("ana", Role::Reviewer, Scope::office(&office));
    let b = Browser::new(&app);

    // Wrong password: the form again, with the error, 401.
    let res = b.login("ana", "not-the-password");
    assert_eq!(res.status, 401);
    res.assert_contains("نام کاربری یا گذرواژه نادرست است.");
    res.assert_contains(r#"value="ana""#);
    assert!(b.cookie("asnad_session").is_none());

    // A login form posted without its double-submit token: 403.
    let res = b.post("/console/login", &[("username", "ana"), ("password", PASSWORD)]);
    assert_eq!(res.status, 403);

    // Right password: 303 to the console, a session cookie with every flag.
    let res = b.login("ana", PASSWORD);
    assert_eq!((res.status, res.location()), (303, "/console/".to_string()));
    let cookie = res.set_cookie("asnad_session").expect("session cookie");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/console", "Max-Age=28800"] {
        assert!(cookie.contains(flag), "{flag} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    // The cookie holds an API login token: the API knows it as a bearer token.
    let token = b.cookie("asnad_session").unwrap();
    assert_eq!(app.get("/api/v1/auth/me", Some(&token)).status(), 200);

    // Behind a TLS-terminating proxy the cookie is Secure.
    let mut tls = Browser::new(&app);
    tls.extra.push(("x-forwarded-proto", "https".into()));
    let res = tls.login("ana", PASSWORD);
    assert_eq!(res.status, 303);
    assert!(res.set_cookie("asnad_session").unwrap().contains("; Secure"));
}

#[test]
fn failed_logins_lock_the_account_as_in_the_api() {
    let app = TestApp::spawn_with(|c| c.login_max_failures = 3);
    let office = app.world().office("THR-1").id;
    app.create_user("reza", Role::Reviewer, Scope::office(&office));
    let b = Browser::new(&app);
    for _ in 0..3 {
        assert_eq!(b.login("reza", "wrong-password-1").status, 401);
    }
    // Locked: even the right password is refused, with Retry-After, in the console and the API.
    let res = b.login("reza", PASSWORD);
    assert_eq!(res.status, 429, "{}", res.body);
    res.assert_contains("قفل");
    assert!(res.header("retry-after").parse::<i64>().unwrap() > 0);
    let api = app.post_json(
        "/api/v1/auth/token",
        None,
        &serde_json::json!({"username": "reza", "password": PASSWORD}),
    );
    assert_eq!(api.status(), 429);
}

#[test]
fn every_post_needs_the_sessions_csrf_token_and_logout_revokes_the_token() {
    let app = TestApp::spawn();
    let office = app.world().office("THR-1").id;
    app.create_user("ana", Role::Reviewer, Scope::office(&office));
    app.create_user("omid", Role::Reviewer, Scope::office(&office));
    let ana = Browser::signed_in(&app, "ana");
    let omid = Browser::signed_in(&app, "omid");
    let token = ana.cookie("asnad_session").unwrap();
    let page = ana.get("/console/password");
    assert_eq!(page.status, 200);
    let csrf = page.csrf();

    // No token, an empty one, another session's: 403, and the session lives on.
    let res = ana.post("/console/logout", &[]);
    assert_eq!(res.status, 403);
    res.assert_contains("درخواست رد شد");
    assert_eq!(ana.post("/console/logout", &[("csrf", "")]).status, 403);
    let omids = omid.get("/console/password").csrf();
    assert_eq!(ana.post("/console/logout", &[("csrf", &omids)]).status, 403);
    let res = ana.post(
        "/console/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", "another-password-1"),
            ("confirm_password", "another-password-1"),
        ],
    );
    assert_eq!(res.status, 403, "a password change without the token");
    assert_eq!(app.get("/api/v1/auth/me", Some(&token)).status(), 200);

    // With it: signed out, the token revoked for the API too, the cookie cleared.
    let res = ana.post("/console/logout", &[("csrf", &csrf)]);
    assert_eq!((res.status, res.location()), (303, "/console/login?signed_out=1".to_string()));
    assert!(res.set_cookie("asnad_session").unwrap().contains("Max-Age=0"));
    assert_eq!(app.get("/api/v1/auth/me", Some(&token)).status(), 401);

    // A browser still holding the revoked token is sent to log in again, with a message.
    ana.set_cookie_value("asnad_session", &token);
    let res = ana.get("/console/password");
    assert_eq!(res.status, 303);
    assert_eq!(res.location(), "/console/login?next=/console/password&expired=1");
    let login = ana.get(&res.location());
    login.assert_contains("نشست شما به پایان رسیده");
    // And an API key is never a console session.
    ana.set_cookie_value("asnad_session", "ak_not_a_session");
    assert_eq!(ana.get("/console/").status, 303);
}

#[test]
fn an_expired_session_is_sent_to_the_login_page() {
    let app = TestApp::spawn_with(|c| c.token_ttl = chrono::Duration::seconds(1));
    let office = app.world().office("THR-1").id;
    app.create_user("ana", Role::Reviewer, Scope::office(&office));
    let b = Browser::signed_in(&app, "ana");
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let res = b.get("/console/queue");
    assert_eq!(res.status, 303);
    assert!(res.location().ends_with("expired=1"), "{}", res.location());
}

#[test]
fn a_one_time_password_is_changed_before_anything_else() {
    let app = TestApp::spawn();
    let office = app.world().office("THR-1").id;
    create_user_with_one_time_password(&app, "neda", Role::Reviewer, Scope::office(&office));
    let b = Browser::new(&app);
    let res = b.login("neda", PASSWORD);
    assert_eq!((res.status, res.location()), (303, "/console/password".to_string()));
    // Every other page sends her back to the password page.
    for path in ["/console/", "/console/queue", "/console/claims/x"] {
        let res = b.get(path);
        assert_eq!((res.status, res.location()), (303, "/console/password".to_string()), "{path}");
    }
    let page = b.get("/console/password");
    page.assert_contains("یک‌بارمصرف");
    let csrf = page.csrf();
    let change = |new: &str, confirm: &str| {
        b.post(
            "/console/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", new),
                ("confirm_password", confirm),
                ("csrf", &csrf),
            ],
        )
    };
    // The two entries differ; the API's policy refuses a short one, naming the field.
    let res = change("a-new-password-1", "a-new-password-2");
    assert_eq!(res.status, 422);
    res.assert_contains("confirm_password-err");
    let res = change("short", "short");
    assert_eq!(res.status, 422);
    res.assert_contains("new_password: ");
    // Changed: the console opens.
    let res = change("a-new-password-1", "a-new-password-1");
    assert_eq!((res.status, res.location()), (303, "/console/".to_string()));
    assert_eq!(b.get("/console/queue").status, 200);
}
