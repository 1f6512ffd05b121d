//! Paying providers end to end: an advance on the monthly list, a settlement netting it, the
//! remittance advice, a payment order paid once, a settled claim later reduced and recovered in
//! the next settlement, the reconciliation check and the overdue list at its boundary.

use asnad::auth::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::batches::wait_done;
use crate::claims::{insured, setup};
use crate::helpers::{assert_problem, Scope, TestApp};

/// A specialist visit billed at the government tariff: 564,000 recognised, 394,800 payable.
fn visit(no: &str, date: &str) -> Value {
    json!({"provider_document_no": no, "setting": "outpatient", "kind": "visit",
           "insured_national_code": "0012345679", "physician_council_no": "12345",
           "lines": [{"line_no": 1, "item_type": "visit", "code": "specialist", "quantity": "1",
                      "service_date": date, "billed_amount": 564000}]})
}

fn post(app: &TestApp, path: &str, token: &str) -> reqwest::blocking::Response {
    app.request(Method::POST, path, Some(token)).send().unwrap()
}

#[test]
fn a_month_is_advanced_settled_paid_once_and_corrected_later() {
    let mut app = TestApp::spawn();
    let admin = app.admin_token();
    let (hospital, key) = setup(&app, &admin, "PAY-1", "10101010161");
    insured(&app, &admin);
    let p: Value = app.get(&format!("/api/v1/providers/{hospital}"), Some(&admin)).json().unwrap();
    let office = p["office_id"].as_str().unwrap().to_string();
    let finance = app.token_for("mina", Role::Finance, Scope::default());

    // The monthly list: 2 × 564,000 claimed → an advance of 60 % = 676,800, due in 14 days.
    let b: Value = app
        .post_json(
            "/api/v1/claim-batches",
            Some(&key),
            &json!({"documents": [visit("L-1", "1403-07-01"), visit("L-2", "1403-07-02")]}),
        )
        .json()
        .unwrap();
    let b = wait_done(&app, &key, b["id"].as_str().unwrap());
    assert_eq!(b["succeeded"], 2);
    let adv: Value = app.get("/api/v1/advances", Some(&finance)).json().unwrap();
    let a = &adv["items"][0];
    assert_eq!(
        (a["claimed"].as_i64(), a["amount"].as_i64(), a["due_on"].as_str()),
        (Some(1_128_000), Some(676_800), Some("2024-10-24"))
    );
    let aid = a["id"].as_str().unwrap();
    // Only finance records it paid, once.
    let paid = json!({"paid_on": "1403-07-25", "bank_reference": "ADV-77"});
    assert_problem(
        app.post_json(&format!("/api/v1/advances/{aid}/payment"), Some(&key), &paid),
        403,
        "forbidden",
    );
    assert_eq!(
        app.post_json(&format!("/api/v1/advances/{aid}/payment"), Some(&finance), &paid).status(),
        200
    );
    assert_problem(
        app.post_json(&format!("/api/v1/advances/{aid}/payment"), Some(&finance), &paid),
        409,
        "already_paid",
    );

    // Settlement of Mehr: 789,600 payable − 676,800 advanced = 112,800, due in 90 days.
    let run = json!({"office_id": office, "service_month": "1403-07"});
    let res = app.post_json("/api/v1/settlements", Some(&finance), &run);
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let out: Value = res.json().unwrap();
    let s = &out["created"][0];
    assert_eq!(
        (
            s["claims_payable"].as_i64(),
            s["advances_netted"].as_i64(),
            s["net_payable"].as_i64(),
            s["due_on"].as_str()
        ),
        (Some(789_600), Some(676_800), Some(112_800), Some("2025-01-08"))
    );
    let sid = s["id"].as_str().unwrap().to_string();
    assert_problem(app.post_json("/api/v1/settlements", Some(&finance), &run), 409, "already_settled");

    // The remittance, as JSON, CSV and a Persian page.
    let r: Value = app.get(&format!("/api/v1/settlements/{sid}/remittance"), Some(&key)).json().unwrap();
    assert_eq!(r["items"].as_array().unwrap().len(), 2);
    assert_eq!(r["items"][0]["claim"]["lines"][0]["insurer_payable"], 394_800);
    let csv =
        app.get(&format!("/api/v1/settlements/{sid}/remittance?format=csv"), Some(&key)).text().unwrap();
    assert_eq!(csv.lines().count(), 3);
    assert!(csv.lines().nth(1).unwrap().contains(",564000,564000,394800,169200,0,0,"), "{csv}");
    let html =
        app.get(&format!("/api/v1/settlements/{sid}/remittance?format=html"), Some(&key)).text().unwrap();
    assert!(
        html.contains(r#"dir="rtl""#)
            && html.contains("خالص پرداختی: 112800 ریال")
            && html.contains("1403-10-19")
    );
    // Another provider sees nothing of it.
    let (_, other_key) = setup(&app, &admin, "PAY-2", "10101010162");
    assert_problem(
        app.get(&format!("/api/v1/settlements/{sid}/remittance"), Some(&other_key)),
        404,
        "not_found",
    );

    // A payment order with the settlement; paid once, never twice.
    let res = post(&app, "/api/v1/payment-orders", &finance);
    assert_eq!(res.status(), 201);
    let order: Value = res.json().unwrap();
    assert_eq!(order["order"]["total"], 112_800);
    let oid = order["order"]["id"].as_str().unwrap();
    let file = app.get(&format!("/api/v1/payment-orders/{oid}?format=csv"), Some(&finance)).text().unwrap();
    assert_eq!(
        file.lines().nth(1).unwrap(),
        format!("IR820540102680020817909002,بیمارستان نمونه,112800,settlement:{sid}")
    );
    assert_problem(post(&app, "/api/v1/payment-orders", &finance), 409, "nothing_to_pay");
    let bank = json!({"bank_reference": "SATNA-1", "paid_on": "1403-08-01"});
    assert_eq!(
        app.post_json(&format!("/api/v1/payment-orders/{oid}/paid"), Some(&finance), &bank).status(),
        200
    );
    assert_problem(
        app.post_json(&format!("/api/v1/payment-orders/{oid}/paid"), Some(&finance), &bank),
        409,
        "already_paid",
    );

    // After payment, a review cuts one claim to nothing: 394,800 is recovered next month.
    let boss = app.token_for("sara", Role::Supervisor, Scope::office(&office));
    let reviewer = app.token_for("nima", Role::Reviewer, Scope::office(&office));
    let res = app.post_json(
        "/api/v1/review/samples",
        Some(&boss),
        &json!({"provider_id": hospital, "service_month": "1403-07", "method": "all"}),
    );
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let sample: Value = res.json().unwrap();
    for (i, m) in sample["claims"].as_array().unwrap().iter().enumerate() {
        let id = m["claim_id"].as_str().unwrap();
        assert_eq!(post(&app, &format!("/api/v1/review/claims/{id}/take"), &reviewer).status(), 200);
        let action = if i == 0 { "reject" } else { "approve" };
        let res = app.post_json(
            &format!("/api/v1/review/claims/{id}/decision"),
            Some(&reviewer),
            &json!({"lines": [{"line_no": 1, "action": action, "reason": "R90", "note": "visit not documented"}]}),
        );
        assert_eq!(res.status(), 200, "{:?}", res.text());
    }
    // Aban is settled for the whole province (its treatment management) in one call.
    let aban = json!({"province_id": 1, "service_month": "1403-08"});
    let res = app.post_json("/api/v1/settlements", Some(&finance), &aban);
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let out: Value = res.json().unwrap();
    let mine = out["offices"].as_array().unwrap().iter().find(|o| o["office_id"] == office.as_str()).unwrap();
    let s2 = &mine["created"][0];
    assert_eq!(
        (s2["claims_payable"].as_i64(), s2["adjustments"].as_i64(), s2["net_payable"].as_i64()),
        (Some(0), Some(-394_800), Some(-394_800))
    );
    assert_problem(app.post_json("/api/v1/settlements", Some(&finance), &aban), 409, "already_settled");
    let both = json!({"office_id": office, "province_id": 1, "service_month": "1403-08"});
    let p =
        assert_problem(app.post_json("/api/v1/settlements", Some(&finance), &both), 422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "office_id");

    // Reconciliation of Mehr: 394,800 payable = 789,600 − 394,800 settled + 0 unsettled.
    let rec: Value = app
        .get(&format!("/api/v1/reconciliation?office_id={office}&service_month=1403-07"), Some(&finance))
        .json()
        .unwrap();
    assert_eq!(
        (
            rec["ok"].as_bool(),
            rec["claims_payable"].as_i64(),
            rec["settled"].as_i64(),
            rec["unsettled"].as_i64()
        ),
        (Some(true), Some(394_800), Some(394_800), Some(0))
    );

    // Overdue: the Azar settlement (unpaid) is not late on its due date, late the day after.
    let due = s2["due_on"].as_str().unwrap().parse::<chrono::NaiveDate>().unwrap();
    app.restart_with(|c| c.fixed_today = Some(due));
    let finance = app.token_for("mina2", Role::Finance, Scope::default());
    let late: Value = app.get("/api/v1/settlements?overdue=true", Some(&finance)).json().unwrap();
    assert!(late["items"].as_array().unwrap().is_empty(), "{late}");
    app.restart_with(|c| c.fixed_today = Some(due + chrono::Duration::days(1)));
    let late: Value = app.get("/api/v1/settlements?overdue=true", Some(&finance)).json().unwrap();
    let items = late["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{late}");
    assert_eq!((items[0]["id"].as_str(), items[0]["days_late"].as_i64()), (s2["id"].as_str(), Some(1)));
}
