use asnad::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, Scope, TestApp, PASSWORD};

#[test]
fn token_issue_me_and_logout() {
    let app = TestApp::spawn();
    app.create_user("Reviewer.One", Role::Admin, Scope::default());
    // Usernames are case-insensitive.
    let token = app.login("reviewer.one", PASSWORD);
    assert!(token.starts_with("at_"));

    let res = app.get("/api/v1/auth/me", Some(&token));
    assert_eq!(res.status(), 200);
    let me: Value = res.json().unwrap();
    assert_eq!(me["username"], "reviewer.one");
    assert_eq!(me["role"], "admin");
    assert_eq!(me["authenticated_by"], "token");

    assert_eq!(app.delete("/api/v1/auth/token", Some(&token)).status(), 204);
    let body = assert_problem(app.get("/api/v1/auth/me", Some(&token)), 401, "unauthenticated");
    assert!(body["detail"].as_str().unwrap().contains("expired"), "{body}");
}

#[test]
fn token_expires() {
    let app = TestApp::spawn_with(|c| c.token_ttl = chrono::Duration::seconds(1));
    app.create_user("clerk", Role::Finance, Scope::default());
    let token = app.login("clerk", PASSWORD);
    assert_eq!(app.get("/api/v1/auth/me", Some(&token)).status(), 200);
    std::thread::sleep(std::time::Duration::from_millis(1300));
    assert_problem(app.get("/api/v1/auth/me", Some(&token)), 401, "unauthenticated");
}

#[test]
fn wrong_password_and_unknown_user_are_the_same_401() {
    let app = TestApp::spawn();
    app.create_user("alice", Role::Admin, Scope::default());
    let wrong = app.post_json(
        "/api/v1/auth/token",
        None,
        &json!({"username": "alice", "password": "not-her-password"}),
    );
    assert!(wrong.headers().get("www-authenticate").is_some());
    let a = assert_problem(wrong, 401, "unauthenticated");
    let b = assert_problem(
        app.post_json(
            "/api/v1/auth/token",
            None,
            &json!({"username": "nobody", "password": "whatever-1234"}),
        ),
        401,
        "unauthenticated",
    );
    assert_eq!(a["detail"], b["detail"]);
}

#[test]
fn repeated_failures_lock_the_account() {
    let app = TestApp::spawn_with(|c| c.login_max_failures = 3);
    app.create_user("bob", Role::Admin, Scope::default());
    let bad = json!({"username": "bob", "password": "wrong-password-x"});
    for _ in 0..3 {
        assert_problem(app.post_json("/api/v1/auth/token", None, &bad), 401, "unauthenticated");
    }
    // Locked now: even the right password is refused, with a Retry-After.
    let res = app.post_json("/api/v1/auth/token", None, &json!({"username": "bob", "password": PASSWORD}));
    let retry: i64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 15 * 60, "{retry}");
    assert_problem(res, 429, "too_many_requests");

    // An admin clears the lock.
    let admin = app.admin_token();
    let users: Value = app.get("/api/v1/users?role=admin", Some(&admin)).json().unwrap();
    let bob = users["items"].as_array().unwrap().iter().find(|u| u["username"] == "bob").unwrap();
    assert!(bob["locked_until"].is_string());
    let res = app.patch_json(
        &format!("/api/v1/users/{}", bob["id"].as_str().unwrap()),
        Some(&admin),
        &json!({"unlock": true}),
    );
    assert_eq!(res.status(), 200);
    app.login("bob", PASSWORD);
}

/// The lock lasts `ASNAD_LOGIN_LOCK_MINUTES` on the service clock and then ends by itself; the
/// count of failures starts again from zero, and a successful login clears it too.
#[test]
fn a_lock_expires_and_the_failures_count_again_from_zero() {
    let mut app = TestApp::spawn_with(|c| c.login_max_failures = 3);
    app.create_user("carol", Role::Finance, Scope::default());
    let token = |password: &str| {
        app.post_json("/api/v1/auth/token", None, &json!({"username": "carol", "password": password}))
    };
    let wrong = || token("wrong-password-x");
    for _ in 0..3 {
        assert_problem(wrong(), 401, "unauthenticated");
    }
    let res = token(PASSWORD);
    let retry: i64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 15 * 60, "{retry}");
    assert_problem(res, 429, "too_many_requests");
    // While locked, wrong passwords are not counted either: still locked, not longer.
    assert_problem(wrong(), 429, "too_many_requests");

    // A day later by the service clock (the lock was 15 minutes): open again, without an admin.
    app.restart_on("2024-10-11");
    let token = |password: &str| {
        app.post_json("/api/v1/auth/token", None, &json!({"username": "carol", "password": password}))
    };
    let wrong = || token("wrong-password-x");
    // Counting from zero: two failures do not lock…
    for _ in 0..2 {
        assert_problem(wrong(), 401, "unauthenticated");
    }
    assert_eq!(token(PASSWORD).status(), 201);
    // …and the successful login cleared them: two more do not lock either.
    for _ in 0..2 {
        assert_problem(wrong(), 401, "unauthenticated");
    }
    assert_eq!(token(PASSWORD).status(), 201);
    // The third consecutive failure locks again, for the full period.
    for _ in 0..3 {
        assert_problem(wrong(), 401, "unauthenticated");
    }
    let res = token(PASSWORD);
    let retry: i64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 14 * 60 && retry <= 15 * 60, "{retry}");
    assert_problem(res, 429, "too_many_requests");
}

#[test]
fn missing_or_bad_credentials_are_401() {
    let app = TestApp::spawn();
    assert_problem(app.get("/api/v1/offices", None), 401, "unauthenticated");
    assert_problem(app.get("/api/v1/offices", Some("at_not-a-real-token")), 401, "unauthenticated");
    let res = app
        .client
        .get(format!("{}/api/v1/offices", app.base))
        .header("Authorization", "Basic Zm9vOmJhcg==")
        .send()
        .unwrap();
    assert_problem(res, 401, "unauthenticated");
}

#[test]
fn role_denied_is_403() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let office: Value = app
        .post_json(
            "/api/v1/offices",
            Some(&admin),
            &json!({"province_id": 1, "code": "THR-01", "name_fa": "دفتر یک", "name_en": "Office 1"}),
        )
        .json()
        .unwrap();
    let reviewer = app.token_for("rev", Role::Reviewer, Scope::office(office["id"].as_str().unwrap()));
    let body = assert_problem(app.get("/api/v1/users", Some(&reviewer)), 403, "forbidden");
    assert!(body["detail"].as_str().unwrap().contains("reviewer"));
    assert_problem(
        app.post_json("/api/v1/api-keys", Some(&reviewer), &json!({"user_id": "x", "name": "y"})),
        403,
        "forbidden",
    );
}

#[test]
fn one_time_password_must_be_changed_first() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let created = app.post_json(
        "/api/v1/users",
        Some(&admin),
        &json!({"username": "fin1", "display_name": "Finance One", "role": "finance"}),
    );
    assert_eq!(created.status(), 201);
    let created: Value = created.json().unwrap();
    let otp = created["one_time_password"].as_str().unwrap().to_string();
    assert_eq!(created["must_change_password"], true);

    let token = app.login("fin1", &otp);
    assert_problem(app.get("/api/v1/offices", Some(&token)), 403, "password_change_required");
    assert_eq!(app.get("/api/v1/auth/me", Some(&token)).status(), 200);

    let weak = app.put_json(
        "/api/v1/auth/password",
        Some(&token),
        &json!({"current_password": otp, "new_password": "short"}),
    );
    let body = assert_problem(weak, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "new_password");
    let wrong = app.put_json(
        "/api/v1/auth/password",
        Some(&token),
        &json!({"current_password": "not-the-otp-at-all", "new_password": "a-brand-new-password"}),
    );
    assert_eq!(assert_problem(wrong, 422, "validation_failed")["errors"][0]["field"], "current_password");

    let ok = app.put_json(
        "/api/v1/auth/password",
        Some(&token),
        &json!({"current_password": otp, "new_password": "a-brand-new-password"}),
    );
    assert_eq!(ok.status(), 204);
    assert_eq!(app.get("/api/v1/offices", Some(&token)).status(), 200);
    app.login("fin1", "a-brand-new-password");
}

#[test]
fn api_keys_for_provider_systems() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    // Created through the API: the user's password is one-time, which gates sessions but not
    // the system's API key.
    let created: Value = app
        .post_json(
            "/api/v1/users",
            Some(&admin),
            &json!({"username": "hospital-x", "display_name": "Hospital X", "role": "provider", "provider_id": "prov-1"}),
        )
        .json()
        .unwrap();
    assert_eq!(created["must_change_password"], true);
    let provider_user = created["id"].as_str().unwrap().to_string();
    let res = app.post_json(
        "/api/v1/api-keys",
        Some(&admin),
        &json!({"user_id": provider_user, "name": "HIS of hospital X"}),
    );
    assert_eq!(res.status(), 201);
    let created: Value = res.json().unwrap();
    let key = created["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("ak_"));

    let me: Value = app.get("/api/v1/auth/me", Some(&key)).json().unwrap();
    assert_eq!(me["authenticated_by"], "api_key");
    assert_eq!(app.get("/api/v1/offices", Some(&key)).status(), 200);
    assert_eq!(me["role"], "provider");
    assert_eq!(me["scope"]["provider_id"], "prov-1");

    // The secret is never listed again.
    let list: Value = app.get("/api/v1/api-keys", Some(&admin)).json().unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(list["items"][0].get("key").is_none());
    assert!(key.starts_with(list["items"][0]["prefix"].as_str().unwrap()));

    // Keys are only for provider users.
    let other = app.create_user("advisor", Role::MedicalAdvisor, Scope::default());
    let res = app.post_json("/api/v1/api-keys", Some(&admin), &json!({"user_id": other, "name": "no"}));
    assert_eq!(assert_problem(res, 422, "validation_failed")["errors"][0]["field"], "user_id");

    assert_eq!(
        app.delete(&format!("/api/v1/api-keys/{}", created["id"].as_str().unwrap()), Some(&admin)).status(),
        204
    );
    assert_problem(app.get("/api/v1/auth/me", Some(&key)), 401, "unauthenticated");
    assert_problem(app.delete("/api/v1/api-keys/unknown-id", Some(&admin)), 404, "not_found");
}

#[test]
fn user_scope_is_validated() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let res = app.post_json(
        "/api/v1/users",
        Some(&admin),
        &json!({"username": "rev2", "display_name": "R", "role": "reviewer"}),
    );
    assert_eq!(assert_problem(res, 422, "validation_failed")["errors"][0]["field"], "office_id");
    let res = app.post_json(
        "/api/v1/users",
        Some(&admin),
        &json!({"username": "rev2", "display_name": "R", "role": "reviewer", "office_id": "no-such-office"}),
    );
    assert_eq!(assert_problem(res, 422, "validation_failed")["errors"][0]["code"], "not_found");
    let res = app.post_json(
        "/api/v1/users",
        Some(&admin),
        &json!({"username": "root", "display_name": "again", "role": "admin"}),
    );
    assert_problem(res, 409, "username_taken");
}

#[test]
fn disabling_a_user_ends_their_sessions() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let id = app.create_user("leaver", Role::Finance, Scope::default());
    let token = app.login("leaver", PASSWORD);
    let res = app.patch_json(&format!("/api/v1/users/{id}"), Some(&admin), &json!({"active": false}));
    assert_eq!(res.status(), 200);
    assert_problem(app.get("/api/v1/auth/me", Some(&token)), 401, "unauthenticated");
    assert_problem(
        app.post_json("/api/v1/auth/token", None, &json!({"username": "leaver", "password": PASSWORD})),
        401,
        "unauthenticated",
    );
}
