//! The insured person's portal over HTTP: `/api/v1/me/claims` reads the claims billed in the
//! caller's and their dependants' names (never another family's; staff and providers refused),
//! with the split of each line by who pays it; "I did not receive this" is stored, audited,
//! idempotent, queued for the office with R93 and notified, and changes no decision.

use asnad::auth::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, Scope, TestApp};
use crate::reimbursements::person;

const MAIN: &str = "0012345679";
const SPOUSE: &str = "0012345687";
const STRANGER: &str = "0045678901";

/// Two bed days at a gap-billing private hospital (the R20 case of `claims.rs`): the second day
/// is 50,000,000 billed — 4,635,000 paid by the Organization, 515,000 franchise, 37,878,000 gap,
/// 5,150,000 R20 (the insured's) and 1,822,000 R07 (the hospital's).
fn bed_days(no: &str, national_code: &str, first: &str, second: &str) -> Value {
    let day = |n: i64, date: &str, billed: i64| {
        json!({"line_no": n, "item_type": "bed_day", "code": "bed_1",
        "quantity": "1", "service_date": date, "billed_amount": billed})
    };
    json!({"provider_document_no": no, "setting": "inpatient", "kind": "inpatient",
        "insured_national_code": national_code, "physician_council_no": "12345", "diagnoses": ["K35.8"],
        "admitted_on": first, "discharged_on": second,
        "lines": [day(1, first, 48_178_000), day(2, second, 50_000_000)]})
}

struct Family {
    hospital: String,
    office: String,
    main: String,
    spouse: String,
    stranger: String,
    main_claim: String,
    spouse_claim: String,
    stranger_claim: String,
}

fn family(app: &TestApp) -> Family {
    let admin = app.admin_token();
    let world = crate::fixtures::World::new(app, admin.clone());
    let office = world.office("ME-1");
    let hospital = world.hospital(&office).terms(json!({"may_bill_gap": true})).contracted();
    let main_id = person(app, &admin, MAIN, "mandatory", None);
    let spouse_id = person(app, &admin, SPOUSE, "mandatory", Some(MAIN));
    let stranger_id = person(app, &admin, STRANGER, "mandatory", None);
    let token = |name: &str, id: String| {
        app.token_for(name, Role::Insured, Scope { insured_id: Some(id), ..Scope::default() })
    };
    let send = |doc: Value| -> String {
        let res = app.post_json("/api/v1/claims", Some(&hospital.key), &doc);
        assert_eq!(res.status(), 201, "{:?}", res.text());
        res.json::<Value>().unwrap()["id"].as_str().unwrap().to_string()
    };
    Family {
        main_claim: send(bed_days("ME-M-1", MAIN, "1403-07-14", "1403-07-15")),
        spouse_claim: send(bed_days("ME-S-1", SPOUSE, "1403-07-10", "1403-07-11")),
        stranger_claim: send(bed_days("ME-X-1", STRANGER, "1403-07-08", "1403-07-09")),
        main: token("me-main", main_id),
        spouse: token("me-spouse", spouse_id),
        stranger: token("me-stranger", stranger_id),
        hospital: hospital.key,
        office: office.id,
    }
}

fn ids(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect()
}

#[test]
fn an_insured_person_reads_their_familys_claims_and_nobody_elses() {
    let app = TestApp::spawn();
    let f = family(&app);

    // The main insured: their own claim and their spouse's, newest first; not the stranger's.
    let page: Value = app.get("/api/v1/me/claims", Some(&f.main)).json().unwrap();
    assert_eq!(ids(&page), vec![f.spouse_claim.clone(), f.main_claim.clone()], "{page}");
    assert_eq!(page["next_cursor"], Value::Null);
    assert_eq!(page["items"][0]["patient"]["relation"], "spouse");
    assert_eq!(page["items"][1]["patient"]["relation"], Value::Null);
    assert_eq!(page["items"][1]["patient"]["relation_fa"], "خودم");

    // Paged: one at a time, the cursor leads to the second and last.
    let first: Value = app.get("/api/v1/me/claims?limit=1", Some(&f.main)).json().unwrap();
    assert_eq!(ids(&first), vec![f.spouse_claim.clone()]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second: Value =
        app.get(&format!("/api/v1/me/claims?limit=1&cursor={cursor}"), Some(&f.main)).json().unwrap();
    assert_eq!(ids(&second), vec![f.main_claim.clone()]);

    // A dependant sees their own only; the stranger theirs only.
    let page: Value = app.get("/api/v1/me/claims", Some(&f.spouse)).json().unwrap();
    assert_eq!(ids(&page), vec![f.spouse_claim.clone()]);
    let page: Value = app.get("/api/v1/me/claims", Some(&f.stranger)).json().unwrap();
    assert_eq!(ids(&page), vec![f.stranger_claim.clone()]);

    // Another family's claim does not exist for them; nor the main insured's for the dependant.
    for (token, claim) in [
        (&f.stranger, &f.main_claim),
        (&f.stranger, &f.spouse_claim),
        (&f.main, &f.stranger_claim),
        (&f.spouse, &f.main_claim),
    ] {
        assert_problem(app.get(&format!("/api/v1/me/claims/{claim}"), Some(token)), 404, "not_found");
    }

    // Line by line: who paid what, and why. The second day: 50,000,000 billed.
    let c: Value = app.get(&format!("/api/v1/me/claims/{}", f.main_claim), Some(&f.main)).json().unwrap();
    let l = &c["lines"][1];
    assert_eq!(
        l["amounts"],
        json!({"billed": 50_000_000, "organization_paid": 4_635_000, "insured_paid": 43_543_000,
               "franchise": 515_000, "gap": 37_878_000, "insured_deductions": 5_150_000,
               "provider_write_off": 1_822_000})
    );
    let reasons: Vec<(String, bool, i64)> = l["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["code"].as_str().unwrap().into(),
                r["insured_pays"].as_bool().unwrap(),
                r["amount"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(reasons, vec![("R07".into(), false, 1_822_000), ("R20".into(), true, 5_150_000)]);
    assert_eq!(l["reasons"][1]["message_fa"], "اتاق یک یا دو تخته بدون دستور پزشک");
    assert_eq!(l["reasons"][1]["bearer_fa"], "به عهدهٔ بیمه‌شده");
    assert!(
        l["explanation_fa"].as_str().unwrap().contains("کسر 5,150,000 ریال به عهدهٔ بیمه‌شده — R20"),
        "{l}"
    );
    // The whole document: 98,178,000 = 9,270,000 + 87,086,000 + 1,822,000.
    assert_eq!(
        c["amounts"],
        json!({"billed": 98_178_000, "organization_paid": 9_270_000, "insured_paid": 87_086_000,
               "franchise": 1_030_000, "gap": 75_756_000, "insured_deductions": 10_300_000,
               "provider_write_off": 1_822_000})
    );

    // Staff and providers are refused the insured's own view (they have /api/v1/claims).
    let reviewer = app.token_for("me-rev", Role::Reviewer, Scope::office(&f.office));
    let supervisor = app.token_for("me-sup", Role::Supervisor, Scope::office(&f.office));
    let finance = app.token_for("me-fin", Role::Finance, Scope::default());
    let admin = app.login("root", crate::helpers::PASSWORD);
    for token in [&reviewer, &supervisor, &finance, &admin, &f.hospital] {
        assert_problem(app.get("/api/v1/me/claims", Some(token)), 403, "forbidden");
        assert_problem(
            app.get(&format!("/api/v1/me/claims/{}", f.main_claim), Some(token)),
            403,
            "forbidden",
        );
        assert_problem(
            app.post_json(
                &format!("/api/v1/me/claims/{}/not-received", f.main_claim),
                Some(token),
                &json!({}),
            ),
            403,
            "forbidden",
        );
    }
    // And the insured person is still refused the staff's list.
    assert_problem(app.get("/api/v1/claims", Some(&f.main)), 403, "forbidden");
}

#[test]
fn not_received_is_stored_audited_idempotent_queued_and_notified_without_a_decision() {
    let app = TestApp::spawn();
    let f = family(&app);
    let reviewer = app.token_for("me-rev", Role::Reviewer, Scope::office(&f.office));
    app.create_user("me-sup", Role::Supervisor, Scope::office(&f.office));
    let flag_path = |claim: &str| format!("/api/v1/me/claims/{claim}/not-received");
    let before: Value =
        app.get(&format!("/api/v1/claims/{}", f.spouse_claim), Some(&reviewer)).json().unwrap();
    let queued = |reason: &str| -> Vec<Value> {
        let q: Value =
            app.get(&format!("/api/v1/review/queue?reason={reason}"), Some(&reviewer)).json().unwrap();
        q["items"].as_array().unwrap().clone()
    };
    let in_queue_before = queued("R93");

    // Another family cannot flag it (404), nor flag a line that does not exist (422).
    assert_problem(
        app.post_json(&flag_path(&f.spouse_claim), Some(&f.stranger), &json!({"line_no": 2})),
        404,
        "not_found",
    );
    let bad = app.post_json(&flag_path(&f.spouse_claim), Some(&f.main), &json!({"line_no": 9}));
    assert_eq!(assert_problem(bad, 422, "validation_failed")["errors"][0]["field"], "line_no");

    // The main insured flags the second day of their spouse's stay: 201.
    let res = app.post_json(
        &flag_path(&f.spouse_claim),
        Some(&f.main),
        &json!({"line_no": 2, "note": "she went home on the 10th"}),
    );
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let flag: Value = res.json().unwrap();
    assert_eq!(
        (flag["line_no"].as_i64(), flag["note"].as_str()),
        (Some(2), Some("she went home on the 10th"))
    );

    // The same line again — by the spouse herself, with another note — is the same flag: 200,
    // the first one, nothing new.
    let res =
        app.post_json(&flag_path(&f.spouse_claim), Some(&f.spouse), &json!({"line_no": 2, "note": "again"}));
    assert_eq!(res.status(), 200, "{:?}", res.text());
    let again: Value = res.json().unwrap();
    assert_eq!((&again["id"], &again["note"]), (&flag["id"], &flag["note"]));

    // The whole document is another flag.
    let res = app.post_json(&flag_path(&f.spouse_claim), Some(&f.spouse), &json!({}));
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let doc_flag: Value = res.json().unwrap();
    assert_eq!(doc_flag["line_no"], Value::Null);
    assert_ne!(doc_flag["id"], flag["id"]);

    // Audited: one event per flag, by the insured who sent it.
    let history: Value =
        app.get(&format!("/api/v1/claims/{}/history", f.spouse_claim), Some(&reviewer)).json().unwrap();
    let flagged: Vec<&Value> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "flagged_not_received")
        .collect();
    assert_eq!(flagged.len(), 2, "{history}");
    assert_eq!(
        (flagged[0]["actor"].as_str(), flagged[0]["role"].as_str()),
        (Some("me-main"), Some("insured"))
    );
    assert_eq!(flagged[0]["after"]["line_no"], 2);
    assert_eq!(flagged[0]["after"]["reason"], "R93");
    assert_eq!(flagged[1]["actor"], "me-spouse");
    assert!(app.verify_audit().ok, "the audit chain verifies");

    // Not decided: the claim's status and amounts are as before.
    let after: Value =
        app.get(&format!("/api/v1/claims/{}", f.spouse_claim), Some(&reviewer)).json().unwrap();
    assert_eq!((&after["status"], &after["totals"]), (&before["status"], &before["totals"]));

    // In the office's queue with R93 (whatever its status), marked as reported not received.
    let q = queued("R93");
    assert_eq!(q.len(), in_queue_before.len() + 1);
    let item = q.iter().find(|i| i["id"] == f.spouse_claim.as_str()).expect("the flagged claim is queued");
    assert_eq!(item["not_received"], true);
    let all: Vec<Value> = app.get("/api/v1/review/queue", Some(&reviewer)).json::<Value>().unwrap()["items"]
        .as_array()
        .unwrap()
        .clone();
    assert!(all.iter().any(|i| i["id"] == f.spouse_claim.as_str() && i["not_received"] == true));

    // The office is told: it has no address, so its supervisor, once per flag.
    let mut conn = app.pool.get().unwrap();
    let rows: Vec<_> = asnad::store::outbox::for_subject(&mut conn, &f.spouse_claim)
        .unwrap()
        .into_iter()
        .filter(|r| r.kind == "service_not_received")
        .collect();
    assert_eq!(rows.len(), 2, "one notification per flag");
    assert!(rows.iter().all(|r| r.recipient_kind == "user"));
    let payload: Value = serde_json::from_str(&rows[0].payload).unwrap();
    assert_eq!(payload["line_no"], 2);
    assert_eq!(payload["code"], "bed_1");
    assert_eq!(payload["provider_document_no"], "ME-S-1");
    assert_eq!(payload["note"], "she went home on the 10th");

    // The insured reads the flags on the claim.
    let c: Value = app.get(&format!("/api/v1/me/claims/{}", f.spouse_claim), Some(&f.spouse)).json().unwrap();
    assert_eq!(c["lines"][1]["flag"]["id"], flag["id"]);
    assert_eq!(c["flag"]["id"], doc_flag["id"]);
    assert_eq!(c["lines"][0]["flag"], Value::Null);

    // The office looks into it: the reports are resolved, the badge goes, and the claim stays
    // in the queue only if it waits for a reviewer anyway. A second time there is nothing open.
    let resolve = format!("/api/v1/review/claims/{}/not-received/resolve", f.spouse_claim);
    let res = app.post_json(&resolve, Some(&reviewer), &json!({"note": "called the hospital"}));
    assert_eq!(res.status(), 200, "{:?}", res.text());
    let resolved: Value = res.json().unwrap();
    assert!(resolved.as_array().unwrap().iter().all(|f| f["resolved"] == true), "{resolved}");
    assert_eq!(resolved.as_array().unwrap().len(), 2);
    let q = queued("R93");
    assert!(q.iter().all(|i| i["id"] != f.spouse_claim.as_str() || i["not_received"] == false), "{q:?}");
    assert_eq!(q.len(), in_queue_before.len());
    assert_problem(app.post_json(&resolve, Some(&reviewer), &json!({})), 409, "no_open_flag");
    assert_problem(app.post_json(&resolve, Some(&f.main), &json!({})), 403, "forbidden");
    let history: Value =
        app.get(&format!("/api/v1/claims/{}/history", f.spouse_claim), Some(&reviewer)).json().unwrap();
    assert!(history["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "not_received_reviewed" && e["after"]["note"] == "called the hospital"));
    // Flagging it again is still the same (resolved) flag: nothing reopens it.
    let res = app.post_json(&flag_path(&f.spouse_claim), Some(&f.main), &json!({"line_no": 2}));
    assert_eq!(res.status(), 200);

    // A note too long is refused by field.
    let long = "x".repeat(501);
    let res = app
        .request(Method::POST, &flag_path(&f.main_claim), Some(&f.main))
        .json(&json!({"note": long}))
        .send()
        .unwrap();
    assert_eq!(assert_problem(res, 422, "validation_failed")["errors"][0]["field"], "note");
}
