use asnad::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, Scope, TestApp};

/// An office and a hospital in Tehran; returns (office id, provider id).
pub fn office_and_hospital(app: &TestApp, admin: &str, code: &str, legal_id: &str) -> (String, String) {
    let office: Value = app
        .post_json(
            "/api/v1/offices",
            Some(admin),
            &json!({"province_id": 1, "code": code, "name_fa": "دفتر", "name_en": "Office"}),
        )
        .json()
        .unwrap();
    let office_id = office["id"].as_str().unwrap().to_string();
    let res = app.post_json(
        "/api/v1/providers",
        Some(admin),
        &json!({
            "name_fa": "بيمارستان نمونه", "kind": "hospital", "sector": "private", "hospital_grade": 2,
            "province_id": 1, "office_id": office_id, "legal_national_id": legal_id,
            "sheba": "IR820540102680020817909002", "email": "billing@example.org"
        }),
    );
    assert_eq!(res.status(), 201);
    let p: Value = res.json().unwrap();
    assert_eq!(p["name_fa"], "بیمارستان نمونه");
    (office_id, p["id"].as_str().unwrap().to_string())
}

#[test]
fn provider_validation_names_fields() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (office_id, _) = office_and_hospital(&app, &admin, "THR-1", "10101010101");
    let res = app.post_json(
        "/api/v1/providers",
        Some(&admin),
        &json!({"name_fa": "مطب", "kind": "physician_office", "sector": "private", "province_id": 1,
                "office_id": office_id, "hospital_grade": 1, "sheba": "IR820540102680020817909003"}),
    );
    let body = assert_problem(res, 422, "validation_failed");
    let fields: Vec<&str> =
        body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["medical_council_no", "physician_degree", "hospital_grade", "sheba"]);
    // The same legal identifier twice is a conflict; an office of another province is refused.
    let dup = json!({"name_fa": "دیگر", "kind": "laboratory", "sector": "private", "province_id": 1,
                     "office_id": office_id, "legal_national_id": "10101010101"});
    assert_problem(app.post_json("/api/v1/providers", Some(&admin), &dup), 409, "provider_exists");
    // Deactivation keeps the record.
    let (_, lab) = office_and_hospital(&app, &admin, "THR-9", "30303030303");
    assert_eq!(app.delete(&format!("/api/v1/providers/{lab}"), Some(&admin)).status(), 204);
    let got: Value = app.get(&format!("/api/v1/providers/{lab}"), Some(&admin)).json().unwrap();
    assert_eq!(got["active"], false);
    let mut other = dup.clone();
    other["legal_national_id"] = json!("20202020202");
    other["province_id"] = json!(2);
    let body =
        assert_problem(app.post_json("/api/v1/providers", Some(&admin), &other), 422, "validation_failed");
    assert_eq!(body["errors"][0]["code"], "province_mismatch");
}

#[test]
fn contract_life_cycle_and_terms_on_a_date() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (_, provider) = office_and_hospital(&app, &admin, "THR-1", "10101010101");
    // A 1403 contract (Jalali dates accepted), version 1 with default terms but a ceiling.
    let res = app.post_json(
        &format!("/api/v1/providers/{provider}/contracts"),
        Some(&admin),
        &json!({"number": "C-1403-001", "valid_from": "1403-01-01", "valid_to": "1403-12-30",
                "terms": {"monthly_ceiling": 5000000000i64, "may_bill_gap": true}}),
    );
    assert_eq!(res.status(), 201);
    let c: Value = res.json().unwrap();
    let id = c["id"].as_str().unwrap().to_string();
    assert_eq!(c["status"], "draft");
    assert_eq!(c["valid_from"], "2024-03-20");
    assert_eq!(c["versions"][0]["terms"]["advance_percent"], "60");
    assert_eq!(c["versions"][0]["terms"]["objection_window_working_days"], 10);

    let status = |action: &str, date: &str, reason: Option<&str>| {
        let mut b = json!({"action": action, "effective_on": date});
        if let Some(r) = reason {
            b["reason"] = json!(r);
        }
        app.post_json(&format!("/api/v1/contracts/{id}/status"), Some(&admin), &b)
    };
    // Refused transitions answer 409 and change nothing.
    assert_problem(status("suspend", "2024-04-01", Some("repeated_violations")), 409, "invalid_transition");
    assert_eq!(status("activate", "2024-03-20", None).status(), 200);
    // Suspension needs a reason; a date before the last change is refused.
    assert_eq!(
        assert_problem(status("suspend", "2024-06-01", None), 422, "validation_failed")["errors"][0]["field"],
        "reason"
    );
    assert_eq!(
        assert_problem(
            status("suspend", "2024-03-01", Some("repeated_violations")),
            422,
            "validation_failed"
        )["errors"][0]["field"],
        "effective_on"
    );
    assert_eq!(status("suspend", "2024-06-01", Some("repeated_violations")).status(), 200);
    assert_eq!(status("reinstate", "2024-07-01", None).status(), 200);

    // Amendment from 1403-07-01 (2024-09-22): discount 5 %, the rest carried over.
    let res = app.post_json(
        &format!("/api/v1/contracts/{id}/amendments"),
        Some(&admin),
        &json!({"effective_from": "1403-07-01", "terms": {"discount_percent": "5"}, "note": "annual discount"}),
    );
    assert_eq!(res.status(), 201);
    let bad = app.post_json(
        &format!("/api/v1/contracts/{id}/amendments"),
        Some(&admin),
        &json!({"effective_from": "1403-08-01", "terms": {"advance_percent": "150"}}),
    );
    assert_eq!(assert_problem(bad, 422, "validation_failed")["errors"][0]["field"], "terms.advance_percent");

    let on = |date: &str| -> Value {
        app.get(&format!("/api/v1/providers/{provider}/contract?date={date}"), Some(&admin)).json().unwrap()
    };
    let v = on("2024-05-31");
    assert_eq!((v["standing"].as_str(), v["version"].as_i64()), (Some("active"), Some(1)));
    assert_eq!(on("2024-06-15")["standing"], "suspended");
    let before = on("1403-06-31");
    assert_eq!(
        (before["version"].as_i64(), before["terms"]["discount_percent"].as_str()),
        (Some(1), Some("0"))
    );
    let after = on("1403-07-01");
    assert_eq!(
        (after["version"].as_i64(), after["terms"]["discount_percent"].as_str()),
        (Some(2), Some("5"))
    );
    assert_eq!(after["terms"]["monthly_ceiling"], 5000000000i64);
    assert_eq!(after["terms"]["may_bill_gap"], true);

    // Termination: with a reason; afterwards nothing else is allowed.
    assert_eq!(status("terminate", "2025-01-01", Some("fraud_art97")).status(), 200);
    assert_eq!(on("2025-01-01")["standing"], "terminated");
    assert_eq!(on("2024-12-31")["standing"], "active");
    assert_problem(status("reinstate", "2025-02-01", None), 409, "invalid_transition");
    let c: Value = app.get(&format!("/api/v1/contracts/{id}"), Some(&admin)).json().unwrap();
    let actions: Vec<&str> =
        c["events"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["activate", "suspend", "reinstate", "terminate"]);
    assert_eq!(c["events"][3]["reason"], "fraud_art97");
    assert_eq!(c["events"][3]["actor"], "root");
    assert_problem(
        app.get(&format!("/api/v1/providers/{provider}/contract?date=2026-01-01"), Some(&admin)),
        404,
        "not_found",
    );
}

#[test]
fn overlapping_contracts_are_refused() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (_, provider) = office_and_hospital(&app, &admin, "THR-1", "10101010101");
    let mk = |n: &str, from: &str, to: &str| {
        app.post_json(
            &format!("/api/v1/providers/{provider}/contracts"),
            Some(&admin),
            &json!({"number": n, "valid_from": from, "valid_to": to}),
        )
    };
    assert_eq!(mk("A", "2024-03-20", "2025-03-20").status(), 201);
    assert_problem(mk("B", "2025-01-01", "2026-03-20"), 409, "contract_overlap");
    assert_problem(mk("A", "2026-03-21", "2027-03-20"), 409, "contract_number_taken");
    assert_eq!(mk("B", "2025-03-21", "2026-03-20").status(), 201);
    let bad = assert_problem(mk("C", "2027-03-21", "2027-01-01"), 422, "validation_failed");
    assert_eq!(bad["errors"][0]["field"], "valid_to");
}

#[test]
fn providers_see_only_their_own() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (office_a, hospital_a) = office_and_hospital(&app, &admin, "THR-1", "10101010101");
    let (_, hospital_b) = office_and_hospital(&app, &admin, "THR-2", "20202020202");
    for p in [&hospital_a, &hospital_b] {
        let res = app.post_json(
            &format!("/api/v1/providers/{p}/contracts"),
            Some(&admin),
            &json!({"number": format!("C-{p}"), "valid_from": "2024-03-20", "valid_to": "2025-03-20"}),
        );
        assert_eq!(res.status(), 201);
    }
    let b_contract: Value =
        app.get(&format!("/api/v1/providers/{hospital_b}/contracts"), Some(&admin)).json().unwrap();
    let b_contract_id = b_contract["items"][0]["id"].as_str().unwrap().to_string();

    let a = app.token_for("hospital-a", Role::Provider, Scope::provider(&hospital_a));
    assert_eq!(app.get(&format!("/api/v1/providers/{hospital_a}"), Some(&a)).status(), 200);
    assert_eq!(
        app.get(&format!("/api/v1/providers/{hospital_a}/contract?date=2024-05-01"), Some(&a)).status(),
        200
    );
    assert_problem(app.get(&format!("/api/v1/providers/{hospital_b}"), Some(&a)), 404, "not_found");
    assert_problem(app.get(&format!("/api/v1/providers/{hospital_b}/contracts"), Some(&a)), 404, "not_found");
    assert_problem(
        app.get(&format!("/api/v1/providers/{hospital_b}/contract?date=2024-05-01"), Some(&a)),
        404,
        "not_found",
    );
    assert_problem(app.get(&format!("/api/v1/contracts/{b_contract_id}"), Some(&a)), 404, "not_found");
    assert_problem(app.get("/api/v1/providers", Some(&a)), 403, "forbidden");
    // A provider cannot change its own contract either.
    assert_problem(
        app.post_json(
            &format!("/api/v1/contracts/{b_contract_id}/status"),
            Some(&a),
            &json!({"action": "activate", "effective_on": "2024-04-01"}),
        ),
        403,
        "forbidden",
    );

    // A reviewer sees the providers of their office only.
    let reviewer = app.token_for("rev-a", Role::Reviewer, Scope::office(&office_a));
    let list: Value = app.get("/api/v1/providers", Some(&reviewer)).json().unwrap();
    let ids: Vec<&str> =
        list["items"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [hospital_a.as_str()]);
    assert_problem(app.get(&format!("/api/v1/contracts/{b_contract_id}"), Some(&reviewer)), 404, "not_found");
}
