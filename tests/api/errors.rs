use reqwest::Method;

use crate::helpers::{assert_problem, TestApp};

#[test]
fn unknown_route_is_404_problem() {
    let app = TestApp::spawn();
    let body = assert_problem(app.get("/api/v1/no-such-thing", None), 404, "not_found");
    assert!(body["detail"].as_str().unwrap().contains("/api/v1/no-such-thing"));
}

#[test]
fn wrong_method_is_405_problem() {
    let app = TestApp::spawn();
    let res = app.request(Method::PATCH, "/api/v1/auth/token", None).send().unwrap();
    assert_eq!(res.headers()["allow"], "POST, DELETE");
    assert_problem(res, 405, "method_not_allowed");
}

#[test]
fn malformed_json_is_400_naming_the_problem() {
    let app = TestApp::spawn();
    let res = app
        .request(Method::POST, "/api/v1/auth/token", None)
        .header("content-type", "application/json")
        .body(r#"{"username": "a", "password": }"#)
        .send()
        .unwrap();
    let body = assert_problem(res, 400, "malformed_json");
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("line 1 column"), "{detail}");
}

#[test]
fn invalid_fields_are_422_with_each_field_named() {
    let app = TestApp::spawn();
    let res = app
        .request(Method::POST, "/api/v1/auth/token", None)
        .header("content-type", "application/json")
        .body(r#"{"username": "a"}"#)
        .send()
        .unwrap();
    let body = assert_problem(res, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "password");
    assert_eq!(body["errors"][0]["code"], "required");

    let res = app
        .request(Method::POST, "/api/v1/auth/token", None)
        .header("content-type", "application/json")
        .body(r#"{"username": 12, "password": "x"}"#)
        .send()
        .unwrap();
    let body = assert_problem(res, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "username");
    assert_eq!(body["errors"][0]["code"], "invalid_type");

    let res = app
        .request(Method::POST, "/api/v1/auth/token", None)
        .header("content-type", "application/json")
        .body(r#"{"username": "", "password": ""}"#)
        .send()
        .unwrap();
    let body = assert_problem(res, 422, "validation_failed");
    let fields: Vec<&str> =
        body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["password", "username"]);
}

#[test]
fn non_json_body_is_415() {
    let app = TestApp::spawn();
    let res = app
        .request(Method::POST, "/api/v1/auth/token", None)
        .header("content-type", "text/plain")
        .body("username=a")
        .send()
        .unwrap();
    assert_problem(res, 415, "unsupported_media_type");
}

#[test]
fn bad_query_is_400_and_bad_limit_422() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    assert_problem(app.get("/api/v1/offices?province_id=tehran", Some(&admin)), 400, "invalid_query");
    let body = assert_problem(app.get("/api/v1/offices?limit=0", Some(&admin)), 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "limit");
}

#[test]
fn oversized_body_is_413() {
    let app = TestApp::spawn_with(|c| c.max_json_bytes = 2048);
    let big = format!(r#"{{"username": "{}", "password": "x"}}"#, "a".repeat(4096));
    let res = app
        .request(Method::POST, "/api/v1/auth/token", None)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .unwrap();
    assert_problem(res, 413, "payload_too_large");
}
