//! Paying providers end to end: an advance on the monthly list, a settlement netting it, the
//! remittance advice, a payment order paid once, a settled claim later reduced and recovered in
//! the next settlement, the reconciliation check and the overdue list at its boundary.

use asnad::auth::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::batches::wait_done;
use crate::claims::{self, insured, setup};
use crate::helpers::{assert_problem, Scope, TestApp, PASSWORD};
use crate::reimbursements;

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

/// Records the bank's payment of an order, then checks a second recording is refused.
fn pay_once(app: &TestApp, finance: &str, order_id: &str, reference: &str, paid_on: &str) {
    let bank = json!({"bank_reference": reference, "paid_on": paid_on});
    let path = format!("/api/v1/payment-orders/{order_id}/paid");
    assert_eq!(app.post_json(&path, Some(finance), &bank).status(), 200);
    assert_problem(app.post_json(&path, Some(finance), &bank), 409, "already_paid");
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

    // The monthly list: 2 × 564,000 billed, less the 30 % franchise paid at the counter, is
    // 789,600 claimed from the Organization → an advance of 60 % = 473,760, due 14 days after
    // receipt.
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
        (Some(789_600), Some(473_760), Some("2024-10-24"))
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

    // Settlement of Mehr: 789,600 payable − 473,760 advanced = 315,840, due in 90 days.
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
        (Some(789_600), Some(473_760), Some(315_840), Some("2025-01-08"))
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
    // The console's askama template (grouped rials, Jalali days, print styles).
    assert!(
        html.contains(r#"dir="rtl""#)
            && html.contains(
                r#"<dt>خالص پرداختی</dt><dd><span dir="ltr" class="n" data-net>315,840</span> ریال</dd>"#
            )
            && html.contains(
                r#"<time datetime="2025-01-08" title="میلادی: 2025-01-08" class="n">1403/10/19</time>"#
            )
            && html.contains("@media print"),
        "{html}"
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
    assert_eq!(order["order"]["total"], 315_840);
    let oid = order["order"]["id"].as_str().unwrap();
    let file = app.get(&format!("/api/v1/payment-orders/{oid}?format=csv"), Some(&finance)).text().unwrap();
    assert_eq!(
        file.lines().nth(1).unwrap(),
        format!("IR820540102680020817909002,بیمارستان نمونه,315840,settlement:{sid}")
    );
    assert_problem(post(&app, "/api/v1/payment-orders", &finance), 409, "nothing_to_pay");
    pay_once(&app, &finance, oid, "SATNA-1", "1403-08-01");

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

    // Aban's net is negative: it is carried, not paid, and never late.
    assert_eq!(s2["status"], "carried");
    assert_problem(post(&app, "/api/v1/payment-orders", &finance), 409, "nothing_to_pay");
    let due = s2["due_on"].as_str().unwrap().parse::<chrono::NaiveDate>().unwrap();
    app.restart_with(|c| c.fixed_today = Some(due + chrono::Duration::days(30)));
    let finance = app.token_for("mina2", Role::Finance, Scope::default());
    let late: Value = app.get("/api/v1/settlements?overdue=true", Some(&finance)).json().unwrap();
    assert!(late["items"].as_array().unwrap().is_empty(), "{late}");
}

/// A claim priced `payable` with every line on `date`.
fn on(mut doc: Value, date: &str) -> Value {
    for l in doc["lines"].as_array_mut().unwrap() {
        l["service_date"] = json!(date);
    }
    doc
}

fn submit_claim(app: &TestApp, key: &str, doc: &Value) -> Value {
    let res = app.post_json("/api/v1/claims", Some(key), doc);
    assert_eq!(res.status(), 201, "{:?}", res.text());
    res.json().unwrap()
}

fn settle(app: &TestApp, finance: &str, office: &str, month: &str) -> Value {
    let res = app.post_json(
        "/api/v1/settlements",
        Some(finance),
        &json!({"office_id": office, "service_month": month}),
    );
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let out: Value = res.json().unwrap();
    assert_eq!(out["created"].as_array().unwrap().len(), 1, "{out}");
    out["created"][0].clone()
}

fn amounts(s: &Value, keys: &[&str]) -> Vec<i64> {
    keys.iter().map(|k| s[*k].as_i64().unwrap()).collect()
}

/// The month of issue 8 end to end: a monthly list with its advance, decided claims, an
/// insured person's reimbursement paid in the same payment order as the settlement, an
/// objection whose re-examination reduces a claim already paid, the recovery carried from a
/// negative month into the next, the overdue boundary and the reconciliation.
#[test]
fn a_month_with_an_advance_an_objection_and_a_reimbursement_is_settled_and_paid_exactly() {
    let mut app = TestApp::spawn();
    let admin = app.admin_token();
    // The insured person (0012345679, with a login) and a review office for reimbursements.
    let w = reimbursements::world(&app, &admin);
    let (hospital, key) = setup(&app, &admin, "PAY-3", "10101010163");
    let p: Value = app.get(&format!("/api/v1/providers/{hospital}"), Some(&admin)).json().unwrap();
    let office = p["office_id"].as_str().unwrap().to_string();
    let finance = w.finance.clone();

    // Mehr's list. E-1 (10 Mehr): visit 1,890,000 (394,800 payable, 169,200 franchise, 1,326,000
    // gap), 40 amoxicillin 1,000,000 (30 paid: 525,000 payable, 225,000 franchise, 250,000
    // deducted R09), an unknown code 100,000 (R05). E-2: a visit at the tariff, 394,800 payable.
    let list = json!({"documents": [on(claims::document("E-1"), "1403-07-10"), visit("E-2", "1403-07-02")]});
    let b: Value = app.post_json("/api/v1/claim-batches", Some(&key), &list).json().unwrap();
    assert_eq!(wait_done(&app, &key, b["id"].as_str().unwrap())["succeeded"], 2);
    // Claimed from the Organization: 2,990,000 − 394,200 − 1,326,000 + 564,000 − 169,200
    // = 1,664,600; the advance is 60 % = 998,760.
    let adv: Value = app.get("/api/v1/advances", Some(&finance)).json().unwrap();
    let a = &adv["items"][0];
    assert_eq!(amounts(a, &["claimed", "amount"]), [1_664_600, 998_760]);
    let aid = a["id"].as_str().unwrap();
    let paid = json!({"paid_on": "1403-07-25", "bank_reference": "ADV-3"});
    assert_eq!(
        app.post_json(&format!("/api/v1/advances/{aid}/payment"), Some(&finance), &paid).status(),
        200
    );

    // The insured person's reimbursement for a visit at a non-contracted clinic (15 Mehr): 394,800.
    let r = reimbursements::file(&app, &w.insured, &reimbursements::care_body(&w));
    let rid = r["id"].as_str().unwrap().to_string();
    reimbursements::attach(&app, &w.insured, &rid, "invoice");
    reimbursements::submit(&app, &w.insured, &rid);
    let r = reimbursements::decide(&app, &w.reviewer, &rid, &json!({"lines": []}));
    assert_eq!(r["totals"]["reimbursed"], 394_800, "{r}");

    // Mehr is settled: 919,800 + 394,800 = 1,314,600 payable − 998,760 advanced = 315,840.
    let mehr = settle(&app, &finance, &office, "1403-07");
    assert_eq!(
        amounts(&mehr, &["claims_payable", "adjustments", "advances_netted", "carried_in", "net_payable"]),
        [1_314_600, 0, 998_760, 0, 315_840]
    );
    assert_eq!(mehr["status"], "approved");

    // One payment order pays both: the settlement and the reimbursement, 710,640 in all.
    let res = post(&app, "/api/v1/payment-orders", &finance);
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let order: Value = res.json().unwrap();
    assert_eq!(
        (order["order"]["total"].as_i64(), order["order"]["items"].as_i64()),
        (Some(710_640), Some(2))
    );
    let oid = order["order"]["id"].as_str().unwrap();
    let file = app.get(&format!("/api/v1/payment-orders/{oid}?format=csv"), Some(&finance)).text().unwrap();
    let mut rows: Vec<&str> = file.lines().skip(1).collect();
    rows.sort();
    let mut want = vec![
        format!(
            "IR820540102680020817909002,بیمارستان نمونه,315840,settlement:{}",
            mehr["id"].as_str().unwrap()
        ),
        format!("IR820540102680020817909002,مریم احمدی,394800,reimbursement:{rid}"),
    ];
    want.sort();
    assert_eq!(rows, want, "{file}");
    pay_once(&app, &finance, oid, "SATNA-3", "1403-08-05");
    assert_problem(post(&app, "/api/v1/payment-orders", &finance), 409, "nothing_to_pay");
    let r: Value = app.get(&format!("/api/v1/reimbursements/{rid}"), Some(&w.insured)).json().unwrap();
    assert_eq!(r["status"], "paid");

    // After payment the provider objects to the R09 deduction on E-1; on re-examination a
    // reviewer finds the drug was not prescribed at all and rejects the line: E-1 falls from
    // 919,800 to 394,800, and the 525,000 already paid is to be recovered.
    let claims: Value = app.get("/api/v1/claims?limit=10", Some(&key)).json().unwrap();
    let e1 = claims["items"].as_array().unwrap().iter().find(|c| c["provider_document_no"] == "E-1").unwrap();
    let e1 = e1["id"].as_str().unwrap();
    let res = app.post_json(
        &format!("/api/v1/claims/{e1}/objections"),
        Some(&key),
        &json!({"reason": "40 tablets were prescribed", "line_nos": [2]}),
    );
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let oid = res.json::<Value>().unwrap()["id"].as_str().unwrap().to_string();
    let reviewer = app.token_for("pay3-reviewer", Role::Reviewer, Scope::office(&office));
    let res = app.post_json(
        &format!("/api/v1/objections/{oid}/decision"),
        Some(&reviewer),
        &json!({"lines": [{"line_no": 2, "action": "reject", "reason": "R90", "note": "no prescription in the file"}]}),
    );
    assert_eq!(res.status(), 200, "{:?}", res.text());
    assert_eq!(res.json::<Value>().unwrap()["claim"]["totals"]["insurer_payable"], 394_800);

    // Aban has no claim: its settlement is the recovery alone, −525,000. It is carried (the
    // provider owes it), is not put in a payment order and is never late.
    let aban = settle(&app, &finance, &office, "1403-08");
    assert_eq!(amounts(&aban, &["claims_payable", "adjustments", "net_payable"]), [0, -525_000, -525_000]);
    assert_eq!(aban["status"], "carried");
    assert_problem(post(&app, "/api/v1/payment-orders", &finance), 409, "nothing_to_pay");

    // Azar (today is now 30 Azar): two visits, 789,600 payable, less the 525,000 carried in =
    // 264,600 to pay. Seventy days on, yesterday's sessions have expired.
    app.restart_with(|c| c.fixed_today = Some("2024-12-20".parse().unwrap()));
    let finance = app.login("rb-finance", PASSWORD);
    submit_claim(&app, &key, &visit("E-3", "1403-09-03"));
    submit_claim(&app, &key, &visit("E-4", "1403-09-10"));
    let azar = settle(&app, &finance, &office, "1403-09");
    assert_eq!(
        amounts(&azar, &["claims_payable", "adjustments", "advances_netted", "carried_in", "net_payable"]),
        [789_600, 0, 0, -525_000, 264_600]
    );
    let azar_id = azar["id"].as_str().unwrap();
    let list: Value =
        app.get(&format!("/api/v1/settlements?office_id={office}"), Some(&finance)).json().unwrap();
    let aban_now = list["items"].as_array().unwrap().iter().find(|s| s["id"] == aban["id"]).unwrap();
    assert_eq!(
        (aban_now["status"].as_str(), aban_now["carried_to"].as_str()),
        (Some("carried"), Some(azar_id))
    );
    let html =
        app.get(&format!("/api/v1/settlements/{azar_id}/remittance?format=html"), Some(&key)).text().unwrap();
    assert!(
        html.contains(r#"<dt>مانده از تسویهٔ قبلی</dt><dd><span dir="ltr" class="n">-525,000</span></dd>"#)
            && html.contains(r#"data-net>264,600</span> ریال"#),
        "{html}"
    );

    // Reconciliation of Mehr: 789,600 payable now = 1,314,600 settled − 525,000 recovered.
    let rec: Value = app
        .get(&format!("/api/v1/reconciliation?office_id={office}&service_month=1403-07"), Some(&finance))
        .json()
        .unwrap();
    assert_eq!(
        (rec["ok"].as_bool(), amounts(&rec, &["claims_payable", "settled", "unsettled"])),
        (Some(true), vec![789_600, 789_600, 0])
    );

    // Overdue: Azar's settlement (unpaid) is not late on its due date, late the day after.
    let due = azar["due_on"].as_str().unwrap().parse::<chrono::NaiveDate>().unwrap();
    app.restart_with(|c| c.fixed_today = Some(due));
    let finance = app.token_for("pay3-finance", Role::Finance, Scope::default());
    let late: Value = app.get("/api/v1/settlements?overdue=true", Some(&finance)).json().unwrap();
    assert!(late["items"].as_array().unwrap().is_empty(), "{late}");
    app.restart_with(|c| c.fixed_today = Some(due + chrono::Duration::days(1)));
    let finance = app.login("pay3-finance", PASSWORD);
    let late: Value = app.get("/api/v1/settlements?overdue=true", Some(&finance)).json().unwrap();
    let items = late["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{late}");
    assert_eq!((items[0]["id"].as_str(), items[0]["days_late"].as_i64()), (Some(azar_id), Some(1)));
}

/// A provider whose contract sets a yearly late-payment rate: a settlement left unpaid past its
/// due date lists its days late and the damages, net × rate × days / 365 rounded down to the
/// rial, counted on the service clock; paid, it is no longer late.
#[test]
fn an_unpaid_settlement_accrues_damages_at_the_contracts_rate() {
    let mut app = TestApp::spawn();
    let admin = app.admin_token();
    let (office, hospital) = crate::providers::office_and_hospital(&app, &admin, "LATE-1", "10101010181");
    let c: Value = app
        .post_json(
            &format!("/api/v1/providers/{hospital}/contracts"),
            Some(&admin),
            &json!({"number": "C-LATE-1", "valid_from": "1403-01-01", "valid_to": "1403-12-30",
                    "terms": {"late_payment_rate_percent": "18.5", "balance_payment_days": 30}}),
        )
        .json()
        .unwrap();
    let res = app.post_json(
        &format!("/api/v1/contracts/{}/status", c["id"].as_str().unwrap()),
        Some(&admin),
        &json!({"action": "activate", "effective_on": "1403-01-01"}),
    );
    assert_eq!(res.status(), 200);
    insured(&app, &admin);
    let his = app.token_for("his-late", Role::Provider, Scope::provider(&hospital));
    app.create_user("mina", Role::Finance, Scope::default());
    let finance = app.login("mina", PASSWORD);

    // One visit at the tariff, 394,800 payable; settled today (2024-10-10), due 30 days later.
    assert_eq!(submit_claim(&app, &his, &visit("D-1", "1403-07-05"))["totals"]["insurer_payable"], 394_800);
    let s = settle(&app, &finance, &office, "1403-07");
    assert_eq!(
        (s["net_payable"].as_i64(), s["due_on"].as_str(), s["late_payment_rate"].as_str()),
        (Some(394_800), Some("2024-11-09"), Some("18.5"))
    );
    let sid = s["id"].as_str().unwrap().to_string();
    let overdue = |app: &TestApp, token: &str| -> Vec<Value> {
        let res = app.get("/api/v1/settlements?overdue=true", Some(token));
        assert_eq!(res.status(), 200);
        res.json::<Value>().unwrap()["items"].as_array().unwrap().clone()
    };
    assert!(overdue(&app, &finance).is_empty());

    // On the due date it is not late yet.
    app.restart_on("2024-11-09");
    let finance = app.login("mina", PASSWORD);
    assert!(overdue(&app, &finance).is_empty());

    // 45 days later: 394,800 × 18.5 % × 45 / 365 = 9,004.68… → 9,004 rials, for the provider too.
    app.restart_on("2024-12-24");
    let finance = app.login("mina", PASSWORD);
    let his = app.login("his-late", PASSWORD);
    let expected = 394_800i64 * 185 * 45 / (1000 * 365);
    assert_eq!(expected, 9_004);
    for token in [&finance, &his] {
        let items = overdue(&app, token);
        assert_eq!(items.len(), 1, "{items:?}");
        assert_eq!(
            (items[0]["id"].as_str(), items[0]["days_late"].as_i64(), items[0]["damages"].as_i64()),
            (Some(sid.as_str()), Some(45), Some(expected))
        );
    }
    // A day more, a day more of damages: 46 days, 9,204.78… → 9,204.
    app.restart_on("2024-12-25");
    let finance = app.login("mina", PASSWORD);
    let items = overdue(&app, &finance);
    assert_eq!((items[0]["days_late"].as_i64(), items[0]["damages"].as_i64()), (Some(46), Some(9_204)));

    // In a payment order it is still owed and still late; once paid, it is not.
    let res = post(&app, "/api/v1/payment-orders", &finance);
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let order: Value = res.json().unwrap();
    assert_eq!(overdue(&app, &finance).len(), 1);
    pay_once(&app, &finance, order["order"]["id"].as_str().unwrap(), "SATNA-LATE", "1403-10-05");
    assert!(overdue(&app, &finance).is_empty());
}

/// The advance is on what the provider claims from the Organization: the R20 room difference
/// is the insured's (like the franchise), the R07 write-off stays claimed.
#[test]
fn an_advance_leaves_out_what_the_insured_pays_for_a_better_room() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    insured(&app, &admin);
    let key = claims::hospital(&app, &admin, "ADV-R20", "10101010211", "government", json!({}));
    let finance = app.token_for("fin-r20", Role::Finance, Scope::default());
    let day = |date: &str, billed: i64| json!({"item_type": "bed_day", "code": "bed_1", "quantity": "1", "service_date": date, "billed_amount": billed});
    let mut lines = [day("1403-07-10", 10_300_000), day("1403-07-11", 12_000_000)];
    for (i, l) in lines.iter_mut().enumerate() {
        l["line_no"] = json!(i + 1);
    }
    let doc = json!({"provider_document_no": "ADV-1", "setting": "inpatient", "kind": "inpatient",
        "insured_national_code": "0012345679", "physician_council_no": "12345", "diagnoses": ["K35.8"],
        "admitted_on": "1403-07-10", "discharged_on": "1403-07-11", "lines": lines});
    let b: Value =
        app.post_json("/api/v1/claim-batches", Some(&key), &json!({"documents": [doc]})).json().unwrap();
    let b = wait_done(&app, &key, b["id"].as_str().unwrap());
    assert_eq!(b["succeeded"], 1, "{b}");
    // Billed 22,300,000 − franchise 1,030,000 − R20 2 × 5,150,000 = 10,970,000 claimed (the
    // R07 write-off of 1,700,000 is in it); 60 % = 6,582,000.
    let adv: Value = app.get("/api/v1/advances", Some(&finance)).json().unwrap();
    let a = &adv["items"][0];
    assert_eq!((a["claimed"].as_i64(), a["amount"].as_i64()), (Some(10_970_000), Some(6_582_000)), "{adv}");
}

/// The preview (`POST /api/v1/settlements/preview`) computes what the run stores, through the
/// same code: the nets, amounts and due dates of every provider, for an office and for a
/// province; it writes nothing, and finance bound to another office may not preview it.
#[test]
fn the_preview_is_exactly_what_the_run_stores() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (hospital, key) = setup(&app, &admin, "PRV-1", "10101010171");
    insured(&app, &admin);
    let p: Value = app.get(&format!("/api/v1/providers/{hospital}"), Some(&admin)).json().unwrap();
    let office = p["office_id"].as_str().unwrap().to_string();
    let finance = app.token_for("mina", Role::Finance, Scope::default());
    let b: Value = app
        .post_json(
            "/api/v1/claim-batches",
            Some(&key),
            &json!({"documents": [visit("P-1", "1403-07-01"), visit("P-2", "1403-07-02")]}),
        )
        .json()
        .unwrap();
    wait_done(&app, &key, b["id"].as_str().unwrap());
    let adv: Value = app.get("/api/v1/advances", Some(&finance)).json().unwrap();
    let aid = adv["items"][0]["id"].as_str().unwrap();
    let paid = json!({"paid_on": "1403-07-18", "bank_reference": "ADV-1"});
    assert_eq!(
        app.post_json(&format!("/api/v1/advances/{aid}/payment"), Some(&finance), &paid).status(),
        200
    );

    let body = json!({"office_id": office, "service_month": "1403-07"});
    let res = app.post_json("/api/v1/settlements/preview", Some(&finance), &body);
    assert_eq!(res.status(), 200, "{:?}", res.text());
    let preview: Value = res.json().unwrap();
    let line = &preview["offices"][0]["providers"][0];
    assert_eq!(
        (
            line["claims"].as_i64(),
            line["claims_payable"].as_i64(),
            line["advances_netted"].as_i64(),
            line["net_payable"].as_i64()
        ),
        (Some(2), Some(789_600), Some(473_760), Some(315_840))
    );
    assert_eq!(preview["net_payable"], 315_840);
    // Nothing was written: a province's preview (one transaction over its offices) still sees it.
    let province: Value = app
        .post_json(
            "/api/v1/settlements/preview",
            Some(&finance),
            &json!({"province_id": 1, "service_month": "1403-07"}),
        )
        .json()
        .unwrap();
    let mine =
        province["offices"].as_array().unwrap().iter().find(|o| o["office_id"] == office.as_str()).unwrap();
    assert_eq!(mine["providers"][0], *line);
    // Finance bound to another office may not preview (nor run) this one.
    let other = crate::fixtures::World::new(&app, admin.clone()).office("PRV-X");
    let bound = app.token_for("omid", Role::Finance, Scope::office(&other.id));
    let p = assert_problem(
        app.post_json("/api/v1/settlements/preview", Some(&bound), &body),
        422,
        "validation_failed",
    );
    assert_eq!(p["errors"][0]["field"], "office_id");
    assert_problem(app.post_json("/api/v1/settlements", Some(&bound), &body), 422, "validation_failed");

    // The run stores exactly the preview.
    let run: Value = app.post_json("/api/v1/settlements", Some(&finance), &body).json().unwrap();
    let s = &run["created"][0];
    for key in [
        "provider_id",
        "claims_payable",
        "adjustments",
        "advances_netted",
        "carried_in",
        "net_payable",
        "due_on",
        "status",
    ] {
        assert_eq!(s[key], line[key], "{key}");
    }
    // After the run, the preview lists the provider as already settled.
    let after: Value = app.post_json("/api/v1/settlements/preview", Some(&finance), &body).json().unwrap();
    assert_eq!(after["offices"][0]["providers"], json!([]));
    assert_eq!(after["offices"][0]["already_settled"][0], hospital.as_str());
    // The payment orders' list.
    assert_eq!(post(&app, "/api/v1/payment-orders", &finance).status(), 201);
    let orders: Value = app.get("/api/v1/payment-orders", Some(&finance)).json().unwrap();
    assert_eq!(
        (orders["items"][0]["total"].as_i64(), orders["items"][0]["status"].as_str()),
        (Some(315_840), Some("issued"))
    );
    assert_problem(app.get("/api/v1/payment-orders", Some(&key)), 403, "forbidden");
}
