//! Request bodies, as a careless client or an attacker sends them: stalled, oversized,
//! concatenated, blank, with control characters or exponents. Each is refused with a clear
//! answer and stores nothing.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use asnad::auth::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::claims::{document, insured, setup};
use crate::helpers::{assert_problem, Scope, TestApp};

fn addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_string()
}

/// Sends the head of a request and `body_part`, then nothing more; returns the stream.
fn stall(app: &TestApp, path: &str, key: &str, content_length: usize, body_part: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr(app)).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: {content_length}\r\n\r\n{body_part}"
    )
    .unwrap();
    s.flush().unwrap();
    s
}

/// Reads what the server answers until it closes (or 10 s pass); the status, if any.
fn answer(mut s: TcpStream) -> Option<u16> {
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    text.strip_prefix("HTTP/1.1 ").and_then(|r| r.get(..3)).and_then(|c| c.parse().ok())
}

fn claims_stored(app: &TestApp, key: &str) -> usize {
    let list: Value = app.get("/api/v1/claims", Some(key)).json().unwrap();
    list["items"].as_array().unwrap().len()
}

#[test]
fn a_stalled_body_is_cut_and_an_oversized_one_refused_unread() {
    let app = TestApp::spawn_with(|c| {
        c.body_timeout = Duration::from_secs(1);
        c.max_json_bytes = 64 * 1024;
    });
    let admin = app.admin_token();
    let (_, key) = setup(&app, &admin, "BODY-1", "10101010201");

    // 200 authenticated uploads that stop after their first bytes: every one is cut with 408
    // within the timeout (plus scheduling), none stays open.
    let started = Instant::now();
    let stalled: Vec<TcpStream> = (0..200)
        .map(|_| stall(&app, "/api/v1/claims", &key, 4000, r#"{"provider_document_no": "S-"#))
        .collect();
    let statuses: Vec<Option<u16>> = stalled.into_iter().map(answer).collect();
    let elapsed = started.elapsed();
    assert!(statuses.iter().all(|s| *s == Some(408) || s.is_none()), "{statuses:?}");
    assert!(statuses.iter().filter(|s| **s == Some(408)).count() > 150, "{statuses:?}");
    assert!(elapsed < Duration::from_secs(20), "stalled bodies held for {elapsed:?}");
    // The problem is named.
    let s = stall(&app, "/api/v1/claims", &key, 100, "{");
    let mut s = s;
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("application/problem+json") && text.contains("\"request_timeout\""), "{text}");

    // A body that trickles (a byte every 300 ms, never idle for the timeout) is cut too.
    let started = Instant::now();
    let mut s = stall(&app, "/api/v1/claims", &key, 4000, "{");
    s.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    let mut got = Vec::new();
    while started.elapsed() < Duration::from_secs(15) {
        if s.write_all(b" ").is_err() {
            break;
        }
        let mut buf = [0u8; 512];
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                got.extend_from_slice(&buf[..n]);
                break;
            }
            Err(_) => {} // nothing yet: the read timed out
        }
    }
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 408"), "after {:?}: {text}", started.elapsed());
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());

    // A declared length above the limit: 413 at once, before a byte of the body is sent.
    let started = Instant::now();
    let mut s = stall(&app, "/api/v1/claims", &key, 10_000_000, "");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut head = [0u8; 12];
    s.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 413");
    assert!(started.elapsed() < Duration::from_millis(900), "{:?}", started.elapsed());
    // Uploads have their own, larger limit; above it the same.
    let mut s = TcpStream::connect(addr(&app)).unwrap();
    write!(
        s,
        "POST /api/v1/claims/x/attachments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 999999999\r\n\r\n"
    )
    .unwrap();
    assert_eq!(answer(s), Some(413));
    assert_eq!(claims_stored(&app, &key), 0);
    // The service is still there.
    assert_eq!(app.get("/healthz", None).status(), 200);
}

#[test]
fn one_json_document_per_body() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (_, key) = setup(&app, &admin, "BODY-2", "10101010202");
    insured(&app, &admin);
    let one = document("J-1").to_string();
    for body in [format!("{one}{one}"), format!("{one}garbage"), format!("{one} {{")] {
        let res = app
            .request(Method::POST, "/api/v1/claims", Some(&key))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .unwrap();
        assert_problem(res, 400, "malformed_json");
    }
    assert_eq!(claims_stored(&app, &key), 0);
    // Whitespace after the document is fine.
    let res = app
        .request(Method::POST, "/api/v1/claims", Some(&key))
        .header("content-type", "application/json")
        .body(format!("{one}\r\n\t "))
        .send()
        .unwrap();
    assert_eq!(res.status(), 201);
}

fn fields(p: &Value) -> Vec<(String, String)> {
    p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap().to_string(), e["code"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn text_is_trimmed_before_its_length_and_control_characters_are_refused() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (hospital, key) = setup(&app, &admin, "BODY-3", "10101010203");
    insured(&app, &admin);

    // A blank document number is no document number.
    let mut doc = document("X");
    doc["provider_document_no"] = json!("   ");
    let p = assert_problem(app.post_json("/api/v1/claims", Some(&key), &doc), 422, "validation_failed");
    assert_eq!(fields(&p), [("provider_document_no".to_string(), "length".to_string())]);

    // Identifiers and codes: no control characters at all, each field named.
    let mut doc = document("C-1");
    doc["lines"][0]["code"] = json!("special\nist");
    doc["physician_council_no"] = json!("123\u{0}45");
    doc["diagnoses"] = json!(["J06.9", "K\t35"]);
    let p = assert_problem(app.post_json("/api/v1/claims", Some(&key), &doc), 422, "validation_failed");
    let mut got = fields(&p);
    got.sort();
    assert_eq!(
        got,
        [
            ("diagnoses[1]".to_string(), "control_character".to_string()),
            ("lines[0].code".to_string(), "control_character".to_string()),
            ("physician_council_no".to_string(), "control_character".to_string()),
        ]
    );
    // A name with a NUL: 422 on both databases (PostgreSQL cannot store it), never 500.
    let p = assert_problem(
        app.put_json(
            &format!("/api/v1/providers/{hospital}"),
            Some(&admin),
            &json!({"name_fa": "بیمارستان\u{0}", "kind": "hospital", "sector": "private", "hospital_grade": 2,
                    "province_id": 1, "office_id": "x", "legal_national_id": "10101010203",
                    "sheba": "IR820540102680020817909002"}),
        ),
        422,
        "validation_failed",
    );
    assert_eq!(fields(&p), [("name_fa".to_string(), "control_character".to_string())]);
    assert_eq!(claims_stored(&app, &key), 0);

    // Free text keeps its line breaks, never a NUL.
    let claim: Value = app.post_json("/api/v1/claims", Some(&key), &document("C-2")).json().unwrap();
    let id = claim["id"].as_str().unwrap();
    assert_eq!(claim["lines"][2]["reasons"][0]["code"], "R05");
    let p = assert_problem(
        app.post_json(
            &format!("/api/v1/claims/{id}/objections"),
            Some(&key),
            &json!({"reason": "the code\u{0} exists", "line_nos": [3]}),
        ),
        422,
        "validation_failed",
    );
    assert_eq!(fields(&p), [("reason".to_string(), "control_character".to_string())]);
    let res = app.post_json(
        &format!("/api/v1/claims/{id}/objections"),
        Some(&key),
        &json!({"reason": "  the code exists:\n\tsee the 1403 book  ", "line_nos": [3]}),
    );
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let o: Value = res.json().unwrap();
    assert_eq!(o["reason"], "the code exists:\n\tsee the 1403 book");
}

#[test]
fn decimals_only_in_their_plain_form() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (hospital, key) = setup(&app, &admin, "BODY-4", "10101010204");
    insured(&app, &admin);
    let mut doc = document("D-1");
    doc["lines"][1]["quantity"] = json!("1e5");
    doc["lines"][0]["quantity"] = json!(1.5);
    let p = assert_problem(app.post_json("/api/v1/claims", Some(&key), &doc), 422, "validation_failed");
    let got = fields(&p);
    assert!(got.iter().any(|(f, _)| f == "lines[1].quantity" || f == "lines[0].quantity"), "{got:?}");
    doc["lines"][0]["quantity"] = json!("1");
    let p = assert_problem(app.post_json("/api/v1/claims", Some(&key), &doc), 422, "validation_failed");
    assert_eq!(fields(&p)[0].0, "lines[1].quantity");
    assert_eq!(claims_stored(&app, &key), 0);
    // Rates in a contract's terms too.
    let res = app.post_json(
        &format!("/api/v1/providers/{hospital}/contracts"),
        Some(&admin),
        &json!({"number": "C-2", "valid_from": "1404-01-01", "valid_to": "1404-12-29",
                "terms": {"discount_percent": "5E0"}}),
    );
    let p = assert_problem(res, 422, "validation_failed");
    assert_eq!(fields(&p)[0].0, "terms.discount_percent");
    // And a reviewer's approved quantity (read before the claim is even looked up).
    let office: Value = app.get("/api/v1/offices", Some(&admin)).json().unwrap();
    let office = office["items"][0]["id"].as_str().unwrap();
    let reviewer = app.token_for("rev-dec", Role::Reviewer, Scope::office(office));
    let res = app.post_json(
        "/api/v1/review/claims/00000000-0000-0000-0000-000000000000/decision",
        Some(&reviewer),
        &json!({"lines": [{"line_no": 1, "action": "approve", "approved_quantity": 1.5}]}),
    );
    let p = assert_problem(res, 422, "validation_failed");
    assert_eq!(fields(&p)[0].0, "lines[0].approved_quantity");
    // The documented form is accepted.
    doc["lines"][1]["quantity"] = json!("40");
    assert_eq!(app.post_json("/api/v1/claims", Some(&key), &doc).status(), 201);
}

#[test]
fn documents_download_as_attachments_never_sniffed() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (_, key) = setup(&app, &admin, "BODY-5", "10101010205");
    insured(&app, &admin);
    let claim: Value = app.post_json("/api/v1/claims", Some(&key), &document("A-1")).json().unwrap();
    let id = claim["id"].as_str().unwrap();
    let form = reqwest::blocking::multipart::Form::new().text("document_type", "invoice").part(
        "file",
        reqwest::blocking::multipart::Part::bytes(b"%PDF-1.4\n<script>alert(1)</script>\n%%EOF\n".to_vec())
            .file_name("نسخه \"1\"; x=.html"),
    );
    let res = app
        .request(Method::POST, &format!("/api/v1/claims/{id}/attachments"), Some(&key))
        .multipart(form)
        .send()
        .unwrap();
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let a: Value = res.json().unwrap();
    let reviewer = app.token_for(
        "rev-body",
        Role::Reviewer,
        Scope::office(
            app.get(&format!("/api/v1/claims/{id}"), Some(&admin)).json::<Value>().unwrap()["office_id"]
                .as_str()
                .unwrap(),
        ),
    );
    let res =
        app.get(&format!("/api/v1/claims/{id}/attachments/{}", a["id"].as_str().unwrap()), Some(&reviewer));
    assert_eq!(res.status(), 200);
    let h = |n: &str| res.headers().get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert_eq!(h("x-content-type-options"), "nosniff");
    assert_eq!(h("content-type"), "application/pdf");
    let cd = h("content-disposition");
    let sha = a["sha256"].as_str().unwrap();
    assert_eq!(cd, format!("attachment; filename=\"{}.pdf\"", &sha[..16]));
}
