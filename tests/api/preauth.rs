//! Pre-authorization (تأیید قبلی): requested by a provider with documents, decided by a medical
//! advisor, then used by claims (R12 without an approval or once its quantity is used, R91
//! after a refusal); other tenants see nothing.

use asnad::auth::Role;
use reqwest::blocking::multipart::{Form, Part};
use reqwest::Method;
use serde_json::{json, Value};

use crate::claims::{insured, setup};
use crate::helpers::{assert_problem, Scope, TestApp};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";

/// 806035 needs a pre-authorization (services.csv `requires_preauth`).
fn mri_claim(no: &str, date: &str) -> Value {
    json!({
        "provider_document_no": no, "setting": "outpatient", "kind": "paraclinic",
        "insured_national_code": "0012345679", "physician_council_no": "12345",
        "lines": [{"line_no": 1, "item_type": "service", "code": "806035", "quantity": "1",
                   "service_date": date, "billed_amount": 5958000}]
    })
}

fn request(app: &TestApp, key: &str) -> String {
    let res = app.post_json(
        "/api/v1/preauthorizations",
        Some(key),
        &json!({"insured_national_code": "0012345679", "item_type": "service", "code": "806035",
                "quantity": "1", "diagnoses": ["G35"], "justification": "MS follow-up"}),
    );
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let r: Value = res.json().unwrap();
    assert_eq!(r["status"], "requested");
    r["id"].as_str().unwrap().to_string()
}

fn line_reasons(claim: &Value) -> Vec<(String, i64)> {
    claim["lines"][0]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["code"].as_str().unwrap().to_string(), r["amount"].as_i64().unwrap()))
        .collect()
}

#[test]
fn an_approval_is_used_by_claims_and_a_refusal_is_r91() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (hospital, key) = setup(&app, &admin, "PA-1", "10101010121");
    insured(&app, &admin);
    let advisor = app.token_for("dr-moatamed", Role::MedicalAdvisor, Scope::default());

    // Without any request: R12 on the whole line.
    let c: Value =
        app.post_json("/api/v1/claims", Some(&key), &mri_claim("M-0", "1403-07-15")).json().unwrap();
    assert_eq!(line_reasons(&c), [("R12".to_string(), 5_958_000)]);

    // A refused request: R91.
    let refused = request(&app, &key);
    let bad = app.post_json(
        &format!("/api/v1/preauthorizations/{refused}/decision"),
        Some(&advisor),
        &json!({"decision": "reject"}),
    );
    let p = assert_problem(bad, 422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "note");
    let res = app.post_json(
        &format!("/api/v1/preauthorizations/{refused}/decision"),
        Some(&advisor),
        &json!({"decision": "reject", "note": "no indication on the attached report"}),
    );
    assert_eq!(res.status(), 200, "{:?}", res.text());
    let r: Value = res.json().unwrap();
    assert_eq!((r["status"].as_str(), r["decision_reason"].as_str()), (Some("rejected"), Some("R91")));
    // Decided once only.
    assert_problem(
        app.post_json(
            &format!("/api/v1/preauthorizations/{refused}/decision"),
            Some(&advisor),
            &json!({"decision": "reject", "note": "again"}),
        ),
        409,
        "already_decided",
    );
    let c: Value =
        app.post_json("/api/v1/claims", Some(&key), &mri_claim("M-1", "1403-07-15")).json().unwrap();
    assert_eq!(line_reasons(&c), [("R91".to_string(), 5_958_000)]);

    // An approval for one, valid 1403-07-01 .. 1403-07-30. Bad decisions name their fields.
    let approved = request(&app, &key);
    let bad = app.post_json(
        &format!("/api/v1/preauthorizations/{approved}/decision"),
        Some(&advisor),
        &json!({"decision": "approve", "approved_quantity": "2", "valid_from": "1403-07-10", "valid_to": "1403-07-01"}),
    );
    let p = assert_problem(bad, 422, "validation_failed");
    let fields: Vec<&str> =
        p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["approved_quantity", "valid_to"]);
    // A provider is not a medical advisor.
    assert_problem(
        app.post_json(
            &format!("/api/v1/preauthorizations/{approved}/decision"),
            Some(&key),
            &json!({"decision": "approve"}),
        ),
        403,
        "forbidden",
    );
    let res = app.post_json(
        &format!("/api/v1/preauthorizations/{approved}/decision"),
        Some(&advisor),
        &json!({"decision": "approve", "approved_quantity": "1", "valid_from": "1403-07-01", "valid_to": "1403-07-30"}),
    );
    assert_eq!(res.status(), 200, "{:?}", res.text());
    assert_eq!(res.json::<Value>().unwrap()["remaining_quantity"], "1");

    // Outside the window: R12. Inside it: paid, and the approval is used up.
    let c: Value =
        app.post_json("/api/v1/claims", Some(&key), &mri_claim("M-2", "1403-06-25")).json().unwrap();
    assert_eq!(line_reasons(&c)[0].0, "R12");
    let mut doc = mri_claim("M-3", "1403-07-15");
    doc["lines"][0]["preauthorization_id"] = json!(approved);
    let c: Value = app.post_json("/api/v1/claims", Some(&key), &doc).json().unwrap();
    assert_eq!(c["lines"][0]["status"], "approved", "{c}");
    assert_eq!(c["lines"][0]["preauthorization_id"], approved.as_str());
    assert_eq!(c["lines"][0]["deducted"], 0);
    let used: Value = app.get(&format!("/api/v1/preauthorizations/{approved}"), Some(&key)).json().unwrap();
    assert_eq!(used["remaining_quantity"], "0");
    assert_eq!(used["uses"][0]["claim_id"], c["id"]);
    let c: Value =
        app.post_json("/api/v1/claims", Some(&key), &mri_claim("M-4", "1403-07-16")).json().unwrap();
    let r = line_reasons(&c);
    assert_eq!(r, [("R12".to_string(), 5_958_000)]);

    // The provider was notified of both decisions (outbox), and both are in the audit trail.
    let mut conn = app.pool.get().unwrap();
    let _audit = app.audit_scope();
    for id in [&refused, &approved] {
        let out = asnad::store::outbox::for_subject(&mut conn, id).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(
            (out[0].kind.as_str(), out[0].recipient_id.as_str()),
            ("preauthorization_decided", hospital.as_str())
        );
        let events = asnad::store::audit::for_entity(&mut conn, "preauthorization", id).unwrap();
        let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["requested", "decided"]);
    }
}

#[test]
fn requests_are_checked_documented_and_private_to_their_provider() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (_, key) = setup(&app, &admin, "PA-2", "10101010122");
    let (_, other_key) = setup(&app, &admin, "PA-3", "10101010123");
    insured(&app, &admin);

    let bad = app.post_json(
        "/api/v1/preauthorizations",
        Some(&key),
        &json!({"insured_national_code": "0012345679", "item_type": "service", "code": "123123",
                "quantity": "0", "justification": "x"}),
    );
    let p = assert_problem(bad, 422, "validation_failed");
    let fields: Vec<&str> =
        p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["quantity", "code"]);
    let bad = app.post_json(
        "/api/v1/preauthorizations",
        Some(&key),
        &json!({"insured_national_code": "0012345670", "item_type": "service", "code": "806035",
                "quantity": "1", "justification": "x"}),
    );
    assert_eq!(assert_problem(bad, 422, "validation_failed")["errors"][0]["field"], "insured_national_code");

    let id = request(&app, &key);
    // Documents: stored once, listed, private.
    let upload = |token: &str| {
        let form = Form::new()
            .text("document_type", "medical_report")
            .part("file", Part::bytes(PDF.to_vec()).file_name("report.pdf"));
        app.request(Method::POST, &format!("/api/v1/preauthorizations/{id}/attachments"), Some(token))
            .multipart(form)
            .send()
            .unwrap()
    };
    let first = upload(&key);
    assert_eq!(first.status(), 201);
    let a: Value = first.json().unwrap();
    assert_eq!(
        (a["case_kind"].as_str(), a["case_id"].as_str()),
        (Some("preauthorization"), Some(id.as_str()))
    );
    assert_eq!(a["stamp"]["text"], "اسکن شد");
    assert_eq!(upload(&key).status(), 200);
    let list: Value =
        app.get(&format!("/api/v1/preauthorizations/{id}/attachments"), Some(&key)).json().unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let file = app.get(
        &format!("/api/v1/preauthorizations/{id}/attachments/{}", a["id"].as_str().unwrap()),
        Some(&key),
    );
    assert_eq!(file.bytes().unwrap().as_ref(), PDF);

    // Another provider: nothing exists.
    assert_problem(app.get(&format!("/api/v1/preauthorizations/{id}"), Some(&other_key)), 404, "not_found");
    assert_problem(upload(&other_key), 404, "not_found");
    let list: Value = app.get("/api/v1/preauthorizations", Some(&other_key)).json().unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
    let mine: Value = app.get("/api/v1/preauthorizations?status=requested", Some(&key)).json().unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    assert_problem(app.get("/api/v1/preauthorizations?status=maybe", Some(&key)), 422, "validation_failed");
}
