//! Reimbursing insured persons: non-contracted care priced on the government tariff, support
//! items with renewal periods, travel with its conditions; the document checklist, the
//! reviewer's decision, the payment order, and tenancy.

use asnad::auth::Role;
use reqwest::blocking::multipart::{Form, Part};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, Scope, TestApp};
use crate::providers::office_and_hospital;

pub const MAIN: &str = "0012345679";
const WIFE: &str = "0012345687";
const OTHER: &str = "0045678901";
const SELF_EMPLOYED: &str = "0067890121";
const SHEBA: &str = "IR820540102680020817909002";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";

/// Registers an insured person (a main insured unless `main` is given) and returns their id.
pub fn person(app: &TestApp, admin: &str, code: &str, insurance_type: &str, main: Option<&str>) -> String {
    let mut body = json!({"national_code": code, "first_name": "مریم", "last_name": "احمدی",
        "sex": if main.is_some() { "female" } else { "male" }, "birth_date": "1980-01-01",
        "insurance_type": insurance_type, "email": format!("p{code}@example.org"),
        "coverage": [{"from": "1400-01-01", "to": "1404-12-29"}]});
    if main.is_none() {
        body["insurance_no"] = json!(format!("9{}", &code[3..]));
    }
    if let Some(m) = main {
        body["main_national_code"] = json!(m);
        body["relation"] = json!("spouse");
        body["coverage"] = json!([]);
    }
    let res = app.post_json("/api/v1/insured", Some(admin), &body);
    assert_eq!(res.status(), 201, "{:?}", res.text());
    res.json::<Value>().unwrap()["id"].as_str().unwrap().to_string()
}

/// An office, the main insured with a login, and a reviewer, supervisor and finance user.
pub struct World {
    pub office: String,
    pub insured: String,
    pub reviewer: String,
    pub supervisor: String,
    pub finance: String,
}

pub fn world(app: &TestApp, admin: &str) -> World {
    let (office, _) = office_and_hospital(app, admin, "RB-1", "10101010131");
    let id = person(app, admin, MAIN, "mandatory", None);
    World {
        insured: app.token_for(
            "insured-main",
            Role::Insured,
            Scope { insured_id: Some(id), ..Scope::default() },
        ),
        reviewer: app.token_for("rb-reviewer", Role::Reviewer, Scope::office(&office)),
        supervisor: app.token_for("rb-supervisor", Role::Supervisor, Scope::office(&office)),
        finance: app.token_for("rb-finance", Role::Finance, Scope::default()),
        office,
    }
}

fn request(w: &World, benefit: &str, extra: Value, lines: Value) -> Value {
    let mut body = json!({"office_id": w.office, "benefit": benefit, "provider_name": "مطب دکتر نمونه",
        "provider_kind": "physician_office", "sheba": SHEBA, "sheba_owner_national_code": MAIN, "lines": lines});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

pub fn file(app: &TestApp, token: &str, body: &Value) -> Value {
    let res = app.post_json("/api/v1/reimbursements", Some(token), body);
    assert_eq!(res.status(), 201, "{:?}", res.text());
    res.json().unwrap()
}

pub fn attach(app: &TestApp, token: &str, id: &str, document_type: &str) {
    // Each document differs (the file is stored once by hash per case).
    let bytes = [PDF, document_type.as_bytes()].concat();
    let form = Form::new()
        .text("document_type", document_type.to_string())
        .part("file", Part::bytes(bytes).file_name("scan.pdf"));
    let res = app
        .request(Method::POST, &format!("/api/v1/reimbursements/{id}/attachments"), Some(token))
        .multipart(form)
        .send()
        .unwrap();
    assert_eq!(res.status(), 201, "{:?}", res.text());
}

pub fn submit(app: &TestApp, token: &str, id: &str) -> Value {
    let res = app.post_json(&format!("/api/v1/reimbursements/{id}/submit"), Some(token), &json!({}));
    assert_eq!(res.status(), 200, "{:?}", res.text());
    res.json().unwrap()
}

pub fn decide(app: &TestApp, token: &str, id: &str, body: &Value) -> Value {
    let res = app.post_json(&format!("/api/v1/reimbursements/{id}/decision"), Some(token), body);
    assert_eq!(res.status(), 200, "{:?}", res.text());
    res.json().unwrap()
}

fn totals(r: &Value) -> [i64; 5] {
    let t = &r["totals"];
    ["paid", "reimbursed", "franchise", "above_tariff", "not_covered"].map(|k| t[k].as_i64().unwrap())
}

fn reasons(line: &Value) -> Vec<String> {
    line["reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap().to_string()).collect()
}

/// A visit and an unknown code at a private, non-contracted clinic.
pub fn care_body(w: &World) -> Value {
    request(
        w,
        "care",
        json!({"setting": "outpatient", "kind": "visit", "diagnoses": ["J06.9"]}),
        json!([
            {"line_no": 1, "item_type": "visit", "code": "specialist", "service_date": "1403-07-15", "paid_amount": 1890000},
            {"line_no": 2, "item_type": "service", "code": "999999", "service_date": "1403-07-15", "paid_amount": 100000}
        ]),
    )
}

#[test]
fn care_at_a_non_contracted_clinic_is_paid_on_the_government_tariff() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let w = world(&app, &admin);

    let r = file(&app, &w.insured, &care_body(&w));
    let id = r["id"].as_str().unwrap();
    assert_eq!(r["status"], "draft");
    // The specialist visit's government tariff is 564,000: 1,326,000 above it is the insured's
    // (R07), 30 % franchise 169,200, the Organization pays 394,800; the unknown code is not
    // covered (R05).
    assert_eq!(totals(&r), [1_990_000, 394_800, 169_200, 1_326_000, 100_000]);
    let visit = &r["lines"][0];
    assert_eq!(
        (visit["tariff_amount"].as_i64(), visit["rule"].as_str()),
        (Some(564_000), Some("franchise_outpatient:30%"))
    );
    assert_eq!(reasons(visit), ["R07"]);
    assert_eq!(reasons(&r["lines"][1]), ["R05"]);
    assert_eq!(visit["tariff_status"], "sample");
    assert_eq!(r["required_documents"], json!(["invoice"]));

    // The checklist is enforced before submission.
    let p = assert_problem(
        app.post_json(&format!("/api/v1/reimbursements/{id}/submit"), Some(&w.insured), &json!({})),
        422,
        "validation_failed",
    );
    assert_eq!(p["errors"][0]["field"], "documents");
    attach(&app, &w.insured, id, "invoice");
    let r = submit(&app, &w.insured, id);
    assert_eq!((r["status"].as_str(), r["machine_reimbursed"].as_i64()), (Some("in_review"), Some(394_800)));

    // Another insured person, a provider and another office see nothing.
    let other_id = person(&app, &admin, OTHER, "mandatory", None);
    let other = app.token_for(
        "insured-other",
        Role::Insured,
        Scope { insured_id: Some(other_id), ..Scope::default() },
    );
    assert_problem(app.get(&format!("/api/v1/reimbursements/{id}"), Some(&other)), 404, "not_found");
    let listed: Value = app.get("/api/v1/reimbursements", Some(&other)).json().unwrap();
    assert_eq!(listed["items"], json!([]));
    assert_problem(
        app.get(&format!("/api/v1/reimbursements/{id}/attachments"), Some(&other)),
        404,
        "not_found",
    );
    let (office2, _) = office_and_hospital(&app, &admin, "RB-2", "10101010149");
    let stranger = app.token_for("rb-reviewer-2", Role::Reviewer, Scope::office(&office2));
    assert_problem(app.get(&format!("/api/v1/reimbursements/{id}"), Some(&stranger)), 404, "not_found");
    assert_problem(
        app.post_json(
            &format!("/api/v1/reimbursements/{id}/decision"),
            Some(&stranger),
            &json!({"lines": []}),
        ),
        404,
        "not_found",
    );
    // The insured person cannot decide their own request.
    assert_eq!(
        app.post_json(&format!("/api/v1/reimbursements/{id}/decision"), Some(&w.insured), &json!({}))
            .status(),
        403
    );

    // The reviewer cuts the visit to 400,000 recognised: 280,000 paid, 120,000 franchise.
    let r = decide(
        &app,
        &w.reviewer,
        id,
        &json!({"lines": [{"line_no": 1, "action": "adjust", "approved_amount": 400000, "reason": "R90", "note": "one visit"}]}),
    );
    assert_eq!(r["status"], "partially_approved");
    assert_eq!(totals(&r), [1_990_000, 280_000, 120_000, 1_326_000, 264_000]);
    assert_problem(
        app.post_json(&format!("/api/v1/reimbursements/{id}/decision"), Some(&w.reviewer), &json!({})),
        409,
        "not_in_review",
    );
    // The insured person is told (outbox) and sees the decision.
    let mut conn = app.pool.get().unwrap();
    let mail = asnad::store::outbox::for_subject(&mut conn, id).unwrap();
    assert_eq!(mail.len(), 1);
    assert_eq!(
        (mail[0].kind.as_str(), mail[0].recipient_kind.as_str()),
        ("reimbursement_decided", "insured")
    );

    // Paid through a payment order to the insured's Sheba, once.
    let res = app.post_json("/api/v1/payment-orders", Some(&w.finance), &json!({}));
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let order: Value = res.json().unwrap();
    assert_eq!(order["order"]["total"], 280_000);
    let oid = order["order"]["id"].as_str().unwrap();
    let csv = app.get(&format!("/api/v1/payment-orders/{oid}?format=csv"), Some(&w.finance)).text().unwrap();
    assert_eq!(csv.lines().nth(1).unwrap(), format!("{SHEBA},مریم احمدی,280000,reimbursement:{id}"));
    assert_problem(
        app.post_json("/api/v1/payment-orders", Some(&w.finance), &json!({})),
        409,
        "nothing_to_pay",
    );
    let bank = json!({"bank_reference": "BR-77", "paid_on": "1403-08-01"});
    assert_eq!(
        app.post_json(&format!("/api/v1/payment-orders/{oid}/paid"), Some(&w.finance), &bank).status(),
        200
    );
    let r: Value = app.get(&format!("/api/v1/reimbursements/{id}"), Some(&w.insured)).json().unwrap();
    assert_eq!((r["status"].as_str(), r["bank_reference"].as_str()), (Some("paid"), Some("BR-77")));
    let actions: Vec<&str> =
        r["history"].as_array().unwrap().iter().map(|h| h["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["filed", "submitted", "decided", "ordered", "paid"]);
    // …and told that it is paid, with the bank's reference and the Jalali day, in Persian.
    let mail = asnad::store::outbox::for_subject(&mut conn, id).unwrap();
    let paid = mail.iter().find(|m| m.kind == "reimbursement_paid").expect("a payment e-mail");
    assert_eq!(paid.recipient_kind, "insured");
    let payload: Value = serde_json::from_str(&paid.payload).unwrap();
    let message = asnad::notify::render(&paid.kind, &payload, "مریم احمدی").unwrap();
    assert!(
        message.text.contains("مبلغ 280,000 ریال بابت درخواست بازپرداخت هزینه شماره"),
        "{}",
        message.text
    );
    assert!(
        message.text.contains("شماره پیگیری بانک: BR-77")
            && message.text.contains("تاریخ پرداخت: 1403/08/01")
    );
}

#[test]
fn support_items_have_fixed_amounts_and_renewal_periods() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let w = world(&app, &admin);
    person(&app, &admin, WIFE, "mandatory", Some(MAIN));
    let hearing_aid = |date: &str| {
        request(
            &w,
            "support_item",
            json!({"patient_national_code": WIFE, "provider_kind": "clinic"}),
            json!([{"line_no": 1, "item_type": "device", "code": "D008", "service_date": date, "paid_amount": 32000000}]),
        )
    };
    // The hearing aid's fixed amount is 30,470,000; 1,530,000 paid above it is the insured's.
    let r = file(&app, &w.insured, &hearing_aid("1403-07-01"));
    let id = r["id"].as_str().unwrap();
    assert_eq!(totals(&r), [32_000_000, 30_470_000, 0, 1_530_000, 0]);
    assert_eq!(r["patient_national_code"], WIFE);
    assert_eq!(r["required_documents"], json!(["invoice", "prescription"]));
    attach(&app, &w.insured, id, "invoice");
    attach(&app, &w.insured, id, "prescription");
    submit(&app, &w.insured, id);
    let r = decide(&app, &w.reviewer, id, &json!({"lines": [{"line_no": 1, "action": "approve"}]}));
    assert_eq!(
        (r["status"].as_str(), r["totals"]["reimbursed"].as_i64()),
        (Some("partially_approved"), Some(30_470_000))
    );

    // A second one inside the 36-month renewal period is refused with the date it is paid again
    // (1403-07-01 = 2024-09-22, + 36 months).
    let again = file(&app, &w.insured, &hearing_aid("1403-07-18"));
    let line = &again["lines"][0];
    assert_eq!(reasons(line), ["R10"]);
    assert_eq!(
        (line["renewable_on"].as_str(), line["renewable_on_jalali"].as_str()),
        (Some("2027-09-22"), Some("1406-06-31"))
    );
    assert_eq!(totals(&again), [32_000_000, 0, 0, 0, 32_000_000]);

    // A dependant does not file; the account must be the main insured's; the line type fits the benefit.
    let wife_id = {
        let mut conn = app.pool.get().unwrap();
        asnad::store::insured::find_by_code(&mut conn, WIFE).unwrap().unwrap().id.into_string()
    };
    let wife =
        app.token_for("insured-wife", Role::Insured, Scope { insured_id: Some(wife_id), ..Scope::default() });
    let p = assert_problem(
        app.post_json("/api/v1/reimbursements", Some(&wife), &hearing_aid("1403-07-02")),
        422,
        "validation_failed",
    );
    assert_eq!(p["errors"][0]["field"], "insured_national_code");
    let mut body = hearing_aid("1403-07-02");
    body["sheba_owner_national_code"] = json!(WIFE);
    let p = assert_problem(
        app.post_json("/api/v1/reimbursements", Some(&w.insured), &body),
        422,
        "validation_failed",
    );
    assert_eq!(p["errors"][0]["field"], "sheba_owner_national_code");
    body["sheba_owner_national_code"] = json!(MAIN);
    body["sheba"] = json!("IR820540102680020817909003");
    body["lines"][0]["item_type"] = json!("visit");
    let p = assert_problem(
        app.post_json("/api/v1/reimbursements", Some(&w.insured), &body),
        422,
        "validation_failed",
    );
    let fields: Vec<&str> =
        p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["sheba"]);
}

#[test]
fn travel_needs_the_council_and_excludes_some_groups() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let w = world(&app, &admin);
    let travel = |council: Option<&str>| {
        request(
            &w,
            "travel",
            json!({"provider_kind": "hospital", "travel": {"origin": "زابل", "destination": "تهران",
                   "council_approval_no": council, "companion_needed": true}}),
            json!([
                {"line_no": 1, "item_type": "travel", "code": "patient_ticket", "service_date": "1403-07-10", "paid_amount": 12000000},
                {"line_no": 2, "item_type": "travel", "code": "companion_ticket", "service_date": "1403-07-10", "paid_amount": 12000000},
                {"line_no": 3, "item_type": "travel", "code": "patient_stay", "quantity": "3", "service_date": "1403-07-10", "paid_amount": 9000000}
            ]),
        )
    };
    // Tickets at their price; the stay at 3 × the 1403 minimum daily wage 2,388,728 (sample).
    let r = file(&app, &w.insured, &travel(Some("1403/ش/55")));
    assert_eq!(totals(&r), [33_000_000, 31_166_184, 0, 1_833_816, 0]);
    assert_eq!(r["travel_rates_status"], "sample");
    assert_eq!(r["required_documents"], json!(["invoice", "medical_report"]));
    let id = r["id"].as_str().unwrap();
    attach(&app, &w.reviewer, id, "invoice");
    attach(&app, &w.reviewer, id, "medical_report");
    assert_eq!(submit(&app, &w.reviewer, id)["status"], "in_review");

    // Without the medical council's approval nothing is paid (R91).
    let r = file(&app, &w.insured, &travel(None));
    assert_eq!(totals(&r), [33_000_000, 0, 0, 0, 33_000_000]);
    assert!(r["lines"].as_array().unwrap().iter().all(|l| reasons(l) == ["R91"]));

    // The self-employed have no travel benefit (R06); a clerk files on their behalf.
    person(&app, &admin, SELF_EMPLOYED, "self_employed", None);
    let mut body = travel(Some("1403/ش/56"));
    body["insured_national_code"] = json!(SELF_EMPLOYED);
    body["sheba_owner_national_code"] = json!(SELF_EMPLOYED);
    body.as_object_mut().unwrap().remove("office_id");
    let r = file(&app, &w.reviewer, &body);
    assert_eq!(r["office_id"], w.office.as_str());
    assert_eq!(totals(&r), [33_000_000, 0, 0, 0, 33_000_000]);
    assert!(r["lines"].as_array().unwrap().iter().all(|l| reasons(l) == ["R06"]));
}

#[test]
fn a_large_change_waits_for_a_supervisor() {
    let mut app = TestApp::spawn();
    app.restart_with(|c| c.four_eyes_threshold = 100_000);
    let admin = app.admin_token();
    let w = world(&app, &admin);
    let r = file(&app, &w.insured, &care_body(&w));
    let id = r["id"].as_str().unwrap();
    attach(&app, &w.insured, id, "invoice");
    submit(&app, &w.insured, id);
    let reject = json!({"lines": [{"line_no": 1, "action": "reject", "reason": "R90", "note": "receipt is not original"}]});
    let r = decide(&app, &w.reviewer, id, &reject);
    assert_eq!(
        (r["status"].as_str(), r["totals"]["reimbursed"].as_i64()),
        (Some("awaiting_approval"), Some(394_800))
    );
    let approval = |token: &str| {
        app.post_json(
            &format!("/api/v1/reimbursements/{id}/approval"),
            Some(token),
            &json!({"approve": true}),
        )
    };
    assert_eq!(approval(&w.reviewer).status(), 403);
    let res = approval(&w.supervisor);
    assert_eq!(res.status(), 200, "{:?}", res.text());
    let r: Value = res.json().unwrap();
    assert_eq!(r["status"], "rejected");
    assert_eq!(totals(&r), [1_990_000, 0, 0, 1_326_000, 664_000]);
}

#[test]
fn a_visit_already_reimbursed_is_a_duplicate() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let w = world(&app, &admin);
    let first = file(&app, &w.insured, &care_body(&w));
    let first_id = first["id"].as_str().unwrap();
    assert_eq!(totals(&first), [1_990_000, 394_800, 169_200, 1_326_000, 100_000]);
    attach(&app, &w.insured, first_id, "invoice");
    submit(&app, &w.insured, first_id);
    let again = file(&app, &w.insured, &care_body(&w));
    assert_eq!(reasons(&again["lines"][0]), ["R08"]);
    assert_eq!(totals(&again), [1_990_000, 0, 0, 0, 1_990_000]);
    let again_id = again["id"].as_str().unwrap();
    attach(&app, &w.insured, again_id, "invoice");
    let again = submit(&app, &w.insured, again_id);
    assert_eq!(again["machine_reimbursed"], 0);
    assert_eq!(reasons(&again["lines"][0]), ["R08"]);
}

#[test]
fn a_visit_billed_by_a_contracted_provider_is_not_reimbursed() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let w = world(&app, &admin);
    let (_, key) = crate::claims::setup(&app, &admin, "THR-1", "10101010101");
    let res = app.post_json("/api/v1/claims", Some(&key), &crate::claims::document("H-1403-07-000123"));
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let claim: Value = res.json().unwrap();
    assert_eq!(claim["lines"][0]["insurer_payable"], 394_800);
    let r = file(&app, &w.insured, &care_body(&w));
    let visit = &r["lines"][0];
    assert_eq!(reasons(visit), ["R08"]);
    assert!(visit["reasons"][0]["detail"].as_str().unwrap().contains("another provider"));
    assert_eq!(totals(&r), [1_990_000, 0, 0, 0, 1_990_000]);
}

#[test]
fn a_reviewer_adjusting_a_stay_reimburses_it_without_a_franchise() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let w = world(&app, &admin);
    let body = request(
        &w,
        "travel",
        json!({"provider_kind": "hospital", "travel": {"origin": "زابل", "destination": "تهران",
               "council_approval_no": "1403/ش/57", "companion_needed": true}}),
        json!([
            {"line_no": 1, "item_type": "travel", "code": "patient_stay", "quantity": "3", "service_date": "1403-07-10", "paid_amount": 9000000},
            {"line_no": 2, "item_type": "travel", "code": "companion_stay", "quantity": "3", "service_date": "1403-07-10", "paid_amount": 9000000}
        ]),
    );
    // 3 × 2,388,728 = 7,166,184 for the patient; half, 3,583,092, for the companion.
    let r = file(&app, &w.insured, &body);
    assert_eq!(totals(&r), [18_000_000, 10_749_276, 0, 7_250_724, 0]);
    let id = r["id"].as_str().unwrap();
    attach(&app, &w.insured, id, "invoice");
    attach(&app, &w.insured, id, "medical_report");
    submit(&app, &w.insured, id);
    let r = decide(
        &app,
        &w.reviewer,
        id,
        &json!({"lines": [
            {"line_no": 1, "action": "adjust", "approved_amount": 6000000, "reason": "R90", "note": "two nights"},
            {"line_no": 2, "action": "adjust", "approved_amount": 4000000, "note": "hotel receipt"}
        ]}),
    );
    assert_eq!(r["status"], "partially_approved");
    let line = |i: usize| {
        let l = &r["lines"][i];
        ["reimbursed", "franchise", "above_tariff", "not_covered"].map(|k| l[k].as_i64().unwrap())
    };
    assert_eq!(line(0), [6_000_000, 0, 1_833_816, 1_166_184]);
    assert_eq!(line(1), [4_000_000, 0, 5_000_000, 0]);
    assert_eq!(totals(&r), [18_000_000, 10_000_000, 0, 6_833_816, 1_166_184]);
    assert_eq!(r["lines"][0]["rule"], "stay_allowance:100%");
    let order: Value = app.post_json("/api/v1/payment-orders", Some(&w.finance), &json!({})).json().unwrap();
    assert_eq!(order["order"]["total"], 10_000_000);
}

#[test]
fn a_support_item_dated_before_one_already_paid_is_inside_its_renewal_period() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let w = world(&app, &admin);
    let hearing_aid = |date: &str| {
        request(
            &w,
            "support_item",
            json!({"provider_kind": "clinic"}),
            json!([{"line_no": 1, "item_type": "device", "code": "D008", "service_date": date, "paid_amount": 32000000}]),
        )
    };
    let r = file(&app, &w.insured, &hearing_aid("1403-07-18"));
    let id = r["id"].as_str().unwrap();
    attach(&app, &w.insured, id, "invoice");
    attach(&app, &w.insured, id, "prescription");
    submit(&app, &w.insured, id);
    let r = decide(&app, &w.reviewer, id, &json!({"lines": [{"line_no": 1, "action": "approve"}]}));
    assert_eq!(r["totals"]["reimbursed"], 30_470_000);
    // Filed afterwards with an earlier date (1403-07-01): refused; 36 months after 2024-10-09.
    let earlier = file(&app, &w.insured, &hearing_aid("1403-07-01"));
    let line = &earlier["lines"][0];
    assert_eq!(reasons(line), ["R10"]);
    assert_eq!(
        (line["renewable_on"].as_str(), line["renewable_on_jalali"].as_str()),
        (Some("2027-10-09"), Some("1406-07-17"))
    );
    assert_eq!(totals(&earlier), [32_000_000, 0, 0, 0, 32_000_000]);
}

#[test]
fn the_checklist_names_only_documents_the_upload_accepts() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let w = world(&app, &admin);
    let body = request(
        &w,
        "care",
        json!({"setting": "outpatient", "kind": "paraclinic", "provider_kind": "clinic",
               "prescription_tracking_code": "TRK-1403-55"}),
        json!([{"line_no": 1, "item_type": "service", "code": "800035", "service_date": "1403-07-15", "paid_amount": 600000}]),
    );
    let r = file(&app, &w.insured, &body);
    let id = r["id"].as_str().unwrap();
    assert_eq!(r["required_documents"], json!(["invoice", "lab_result", "imaging_report"]));
    assert_eq!(r["missing_documents"], json!(["invoice", "lab_result", "imaging_report"]));
    let form = Form::new()
        .text("document_type", "result")
        .part("file", Part::bytes(PDF.to_vec()).file_name("scan.pdf"));
    let res = app
        .request(Method::POST, &format!("/api/v1/reimbursements/{id}/attachments"), Some(&w.insured))
        .multipart(form)
        .send()
        .unwrap();
    assert_problem(res, 422, "validation_failed");
    attach(&app, &w.insured, id, "invoice");
    let p = assert_problem(
        app.post_json(&format!("/api/v1/reimbursements/{id}/submit"), Some(&w.insured), &json!({})),
        422,
        "validation_failed",
    );
    assert_eq!(p["errors"][0]["field"], "documents");
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("lab_result or imaging_report"));
    attach(&app, &w.insured, id, "imaging_report");
    let r: Value = app.get(&format!("/api/v1/reimbursements/{id}"), Some(&w.insured)).json().unwrap();
    assert_eq!(r["missing_documents"], json!([]));
    assert_eq!(submit(&app, &w.insured, id)["status"], "in_review");
}
