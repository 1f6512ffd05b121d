use serde_json::Value;

use crate::helpers::{assert_problem, TestApp};

#[test]
fn healthz_and_readyz() {
    let app = TestApp::spawn();
    let res = app.get("/healthz", None);
    assert_eq!(res.status(), 200);
    let res = app.get("/readyz", None);
    assert_eq!(res.status(), 200);
    let body: Value = res.json().unwrap();
    assert_eq!(body["database"], if app.is_postgres() { "postgres" } else { "sqlite" });
}

#[test]
fn readyz_is_503_when_the_database_is_gone() {
    let app = TestApp::spawn();
    assert_eq!(app.get("/readyz", None).status(), 200);
    app.remove_database();
    let body = assert_problem(app.get("/readyz", None), 503, "service_unavailable");
    // The cause is logged, not shown.
    let detail = body["detail"].as_str().unwrap();
    assert!(!detail.contains("asnad_test") && !detail.contains(".db"), "{detail}");
    // Liveness is unaffected: the process is fine, only its dependency is not.
    assert_eq!(app.get("/healthz", None).status(), 200);
}

#[test]
fn request_id_is_echoed_or_generated() {
    let app = TestApp::spawn();
    let res = app
        .client
        .get(format!("{}/healthz", app.base))
        .header("X-Request-Id", "trace-abc_123")
        .send()
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "trace-abc_123");
    let res = app.get("/healthz", None);
    let generated = res.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(generated.len(), 32);
    // An unsafe id is replaced, and problem bodies carry the same id as the header.
    let res = app
        .client
        .get(format!("{}/nowhere", app.base))
        .header("X-Request-Id", "bad id\twith spaces")
        .send()
        .unwrap();
    let header = res.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_ne!(header, "bad id\twith spaces");
    let body = assert_problem(res, 404, "not_found");
    assert_eq!(body["request_id"], header.as_str());
}

#[test]
fn metrics_count_requests_by_route_and_status() {
    let app = TestApp::spawn();
    app.get("/healthz", None);
    app.get("/healthz", None);
    app.get("/api/v1/offices/some-id", None);
    let res = app.get("/metrics", None);
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = res.text().unwrap();
    assert!(
        text.contains(r#"asnad_http_requests_total{method="GET",route="/healthz",status="200"} 2"#),
        "{text}"
    );
    // Routes are reported by pattern, not by concrete path.
    assert!(
        text.contains(
            r#"asnad_http_requests_total{method="GET",route="/api/v1/offices/{id}",status="401"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains(
        r#"asnad_http_request_duration_seconds_count{method="GET",route="/healthz",status="200"} 2"#
    ));
    assert!(text.contains("asnad_db_pool_connections "));
}
