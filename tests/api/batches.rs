use std::time::{Duration, Instant};

use asnad::auth::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, Scope, TestApp};
use crate::providers::office_and_hospital;

fn provider_with_contract(app: &TestApp, admin: &str) -> String {
    let (_, hospital) = office_and_hospital(app, admin, "THR-1", "10101010101");
    let c: Value = app
        .post_json(
            &format!("/api/v1/providers/{hospital}/contracts"),
            Some(admin),
            &json!({"number": "C-1", "valid_from": "1403-01-01", "valid_to": "1403-12-30"}),
        )
        .json()
        .unwrap();
    app.post_json(
        &format!("/api/v1/contracts/{}/status", c["id"].as_str().unwrap()),
        Some(admin),
        &json!({"action": "activate", "effective_on": "1403-01-01"}),
    );
    app.post_json(
        "/api/v1/insured",
        Some(admin),
        &json!({"national_code": "0012345679", "insurance_no": "12345678", "first_name": "علی", "last_name": "کریمی",
                "sex": "male", "birth_date": "1980-01-01", "insurance_type": "mandatory", "coverage": [{"from": "1400-01-01"}]}),
    );
    app.token_for("his", Role::Provider, Scope::provider(&hospital))
}

fn doc(no: &str, code: &str, billed: i64) -> Value {
    json!({"provider_document_no": no, "setting": "outpatient", "kind": "visit", "insured_national_code": "0012345679",
           "lines": [{"line_no": 1, "item_type": "visit", "code": code, "quantity": "1", "service_date": "1403-07-0".to_string() + &no[no.len()-1..], "billed_amount": billed}]})
}

pub fn wait_done(app: &TestApp, token: &str, id: &str) -> Value {
    let start = Instant::now();
    loop {
        let b: Value = app.get(&format!("/api/v1/claim-batches/{id}"), Some(token)).json().unwrap();
        if b["status"] == "done" {
            return b;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "batch not done: {b}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_monthly_list_is_adjudicated_in_the_background() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let token = provider_with_contract(&app, &admin);
    let mut bad = doc("M-3", "general", 453_000);
    bad["lines"][0]["quantity"] = json!("-1");
    let res = app.post_json(
        "/api/v1/claim-batches",
        Some(&token),
        &json!({"documents": [doc("M-1", "specialist", 564_000), doc("M-2", "general", 453_000), bad]}),
    );
    assert_eq!(res.status(), 202);
    let b: Value = res.json().unwrap();
    assert_eq!(b["total"], 3);
    let done = wait_done(&app, &token, b["id"].as_str().unwrap());
    assert_eq!(
        (done["succeeded"].as_i64(), done["failed"].as_i64(), done["processed"].as_i64()),
        (Some(2), Some(1), Some(3))
    );
    let items = done["items"].as_array().unwrap();
    assert_eq!((items[0]["status"].as_str(), items[0]["http_status"].as_i64()), (Some("done"), Some(201)));
    assert_eq!(items[2]["status"], "failed");
    assert_eq!(items[2]["http_status"], 422);
    assert_eq!(items[2]["error"]["errors"][0]["field"], "lines[0].quantity");
    // The claims are the same as if sent one by one.
    let claim: Value = app
        .get(&format!("/api/v1/claims/{}", items[0]["claim_id"].as_str().unwrap()), Some(&token))
        .json()
        .unwrap();
    assert_eq!(claim["totals"]["insurer_payable"], 394_800);
    // Another provider cannot see the batch.
    let (_, other) = office_and_hospital(&app, &admin, "THR-2", "20202020202");
    let other_token = app.token_for("other", Role::Provider, Scope::provider(&other));
    assert_problem(
        app.get(&format!("/api/v1/claim-batches/{}", b["id"].as_str().unwrap()), Some(&other_token)),
        404,
        "not_found",
    );
}

#[test]
fn csv_lists_group_rows_into_documents() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let token = provider_with_contract(&app, &admin);
    let csv = "\
provider_document_no,setting,kind,insured_national_code,prescription_tracking_code,prescribed_on,physician_council_no,admitted_on,discharged_on,line_no,item_type,code,quantity,service_date,billed_amount
C-1,outpatient,pharmacy,0012345679,,1403-07-01,,,,1,drug,10010,10,1403-07-05,250000
C-1,outpatient,pharmacy,0012345679,,1403-07-01,,,,2,drug,13045,2,1403-07-05,5000000
C-2,outpatient,visit,0012345679,,,777,,,1,visit,general,1,1403-07-06,453000
";
    let res = app
        .request(Method::POST, "/api/v1/claim-batches", Some(&token))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .unwrap();
    assert_eq!(res.status(), 202);
    let b: Value = res.json().unwrap();
    assert_eq!(b["total"], 2);
    let done = wait_done(&app, &token, b["id"].as_str().unwrap());
    assert_eq!(done["succeeded"], 2);
    let c1: Value = app
        .get(&format!("/api/v1/claims/{}", done["items"][0]["claim_id"].as_str().unwrap()), Some(&token))
        .json()
        .unwrap();
    assert_eq!(c1["lines"].as_array().unwrap().len(), 2);
    assert_eq!(c1["totals"]["insurer_payable"], 175_000 + 4_500_000);
    let bad = app
        .request(Method::POST, "/api/v1/claim-batches", Some(&token))
        .header("content-type", "text/csv")
        .body("a,b\n1,2\n")
        .send()
        .unwrap();
    assert_problem(bad, 422, "validation_failed");
}

#[test]
fn a_restart_resumes_unfinished_lists() {
    let mut app = TestApp::spawn_with(|c| c.batch_worker = false);
    let admin = app.admin_token();
    let token = provider_with_contract(&app, &admin);
    let res = app.post_json(
        "/api/v1/claim-batches",
        Some(&token),
        &json!({"documents": [doc("R-1", "specialist", 564_000), doc("R-2", "general", 453_000)]}),
    );
    let b: Value = res.json().unwrap();
    let id = b["id"].as_str().unwrap().to_string();
    std::thread::sleep(Duration::from_millis(300));
    let queued: Value = app.get(&format!("/api/v1/claim-batches/{id}"), Some(&token)).json().unwrap();
    assert_eq!((queued["status"].as_str(), queued["processed"].as_i64()), (Some("queued"), Some(0)));
    // The service restarts with its worker: the list is finished.
    app.restart_with(|c| c.batch_worker = true);
    let done = wait_done(&app, &token, &id);
    assert_eq!(done["succeeded"], 2);
}

/// A list stopped half-way — the service goes down while the worker is in the middle of it —
/// resumes where it stopped: every document is stored once, every item names its own claim
/// (201: created by this list), and the list's advance is made once, on all of them. The
/// service comes back weeks later, past the month's submission deadline: the documents were
/// submitted when the list was received, so none is refused as late.
#[test]
fn a_list_stopped_half_way_resumes_without_duplicates() {
    const N: usize = 400;
    let mut app = TestApp::spawn();
    let admin = app.admin_token();
    let token = provider_with_contract(&app, &admin);
    app.create_user("fin", Role::Finance, Scope::default());
    // Specialist visits at the tariff on the first 19 days of Mehr (today is the 19th).
    let documents: Vec<Value> = (0..N)
        .map(|i| {
            json!({"provider_document_no": format!("H-{i:04}"), "setting": "outpatient", "kind": "visit",
                   "insured_national_code": "0012345679",
                   "lines": [{"line_no": 1, "item_type": "visit", "code": "specialist", "quantity": "1",
                              "service_date": format!("1403-07-{:02}", i % 19 + 1), "billed_amount": 564_000}]})
        })
        .collect();
    let res = app.post_json("/api/v1/claim-batches", Some(&token), &json!({ "documents": documents }));
    assert_eq!(res.status(), 202);
    let id = res.json::<Value>().unwrap()["id"].as_str().unwrap().to_string();
    let progress = |app: &TestApp| -> Value {
        app.get(&format!("/api/v1/claim-batches/{id}"), Some(&token)).json().unwrap()
    };

    // As soon as the worker has stored a few documents, the service stops (and comes back
    // without its worker, to look at what the stop left).
    let start = Instant::now();
    while progress(&app)["processed"].as_i64().unwrap() < 5 {
        assert!(start.elapsed() < Duration::from_secs(30), "the worker did not start");
        std::thread::sleep(Duration::from_millis(5));
    }
    app.restart_with(|c| c.batch_worker = false);
    // A write the stopped worker had handed to the database writer lands now or never.
    std::thread::sleep(Duration::from_millis(300));
    let token = app.login("his", crate::helpers::PASSWORD);
    let stopped: Value = app.get(&format!("/api/v1/claim-batches/{id}"), Some(&token)).json().unwrap();
    let processed = stopped["processed"].as_i64().unwrap() as usize;
    assert!(stopped["status"] == "processing" && processed > 0 && processed < N, "not half-way: {stopped}");
    // Every stored claim is named by its item, and no item names a claim that is not stored.
    let stored = provider_claims(&app, &token);
    assert_eq!(stored.len(), processed, "claims stored without their item marked (or the reverse)");

    // The service comes back with its worker on 1 December, after Mehr's submission deadline
    // (20 November): the rest is read, nothing twice.
    app.restart_with(|c| {
        c.batch_worker = true;
        c.fixed_today = Some("2024-12-01".parse().unwrap());
    });
    let token = app.login("his", crate::helpers::PASSWORD);
    let done = wait_done(&app, &token, &id);
    assert_eq!((done["succeeded"].as_i64(), done["failed"].as_i64()), (Some(N as i64), Some(0)), "{done}");
    let items = done["items"].as_array().unwrap();
    assert!(items.iter().all(|i| i["http_status"] == 201), "an item of this list is taken for a resend");
    let mut item_claims: Vec<&str> = items.iter().map(|i| i["claim_id"].as_str().unwrap()).collect();
    item_claims.sort();
    item_claims.dedup();
    assert_eq!(item_claims.len(), N);
    let stored = provider_claims(&app, &token);
    let mut numbers: Vec<&str> = stored.iter().map(|c| c["provider_document_no"].as_str().unwrap()).collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!((stored.len(), numbers.len()), (N, N), "each document stored exactly once");
    let mut stored_ids: Vec<&str> = stored.iter().map(|c| c["id"].as_str().unwrap()).collect();
    stored_ids.sort();
    assert_eq!(stored_ids, item_claims);
    let late: Vec<&Value> = stored
        .iter()
        .filter(|c| c["lines"][0]["reasons"].as_array().unwrap().iter().any(|r| r["code"] == "R14"))
        .collect();
    assert!(late.is_empty(), "refused as submitted late: {late:?}");

    // One advance, on every document: 60 % of what the list claims from the Organization.
    let claimed: i64 = stored
        .iter()
        .map(|c| {
            let t = &c["totals"];
            t["billed"].as_i64().unwrap()
                - t["patient_share"].as_i64().unwrap()
                - t["patient_gap"].as_i64().unwrap()
        })
        .sum();
    let finance = app.login("fin", crate::helpers::PASSWORD);
    let advances: Value = app.get("/api/v1/advances", Some(&finance)).json().unwrap();
    let mine: Vec<&Value> =
        advances["items"].as_array().unwrap().iter().filter(|a| a["batch_id"] == id.as_str()).collect();
    assert_eq!(mine.len(), 1, "{advances}");
    assert_eq!(
        (mine[0]["claimed"].as_i64(), mine[0]["amount"].as_i64(), mine[0]["due_on"].as_str()),
        (Some(claimed), Some(claimed * 6 / 10), Some("2024-10-24"))
    );
}

/// Every claim of the caller's provider, page by page.
fn provider_claims(app: &TestApp, token: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/claims?limit=500&cursor={c}"),
            None => "/api/v1/claims?limit=500".to_string(),
        };
        let page: Value = app.get(&path, Some(token)).json().unwrap();
        all.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return all,
        }
    }
}
