//! The review office: queue and assignment, four eyes at the threshold, objections inside and
//! outside the working-day window, the audit trail and the outbox.

use asnad::auth::Role;
use diesel::prelude::*;
use reqwest::Method;
use serde_json::{json, Value};

use crate::claims::{document, insured, setup};
use crate::helpers::{assert_problem, Scope, TestApp, PASSWORD};

/// A visit-only document on `date`: government 564,000 recognised (insurer 394,800 at 30 %).
fn visit(no: &str, date: &str) -> Value {
    json!({
        "provider_document_no": no, "setting": "outpatient", "kind": "visit",
        "insured_national_code": "0012345679", "physician_council_no": "12345",
        "lines": [{"line_no": 1, "item_type": "visit", "code": "specialist", "quantity": "1",
                   "service_date": date, "billed_amount": 1890000}]
    })
}

/// A hospital whose office pends every claim (auto-approval limit 1 rial); returns
/// (office id, provider key).
fn pending_office(app: &TestApp, admin: &str, code: &str, legal_id: &str) -> (String, String) {
    let (hospital, key) = setup(app, admin, code, legal_id);
    let p: Value = app.get(&format!("/api/v1/providers/{hospital}"), Some(admin)).json().unwrap();
    let office = p["office_id"].as_str().unwrap().to_string();
    let res = app.put_json(
        &format!("/api/v1/offices/{office}"),
        Some(admin),
        &json!({"province_id": 1, "code": code, "name_fa": "دفتر", "name_en": "Office", "auto_approve_limit": 1}),
    );
    assert_eq!(res.status(), 200, "{:?}", res.text());
    (office, key)
}

fn post(app: &TestApp, path: &str, token: &str) -> reqwest::blocking::Response {
    app.request(Method::POST, path, Some(token)).send().unwrap()
}

#[test]
fn one_reviewer_per_claim_and_other_offices_see_nothing() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (office, key) = pending_office(&app, &admin, "REV-1", "10101010111");
    insured(&app, &admin);
    let claim: Value =
        app.post_json("/api/v1/claims", Some(&key), &visit("V-1", "1403-07-01")).json().unwrap();
    assert_eq!(claim["status"], "pended");
    let id = claim["id"].as_str().unwrap();

    let ana = app.token_for("ana", Role::Reviewer, Scope::office(&office));
    let reza = app.token_for("reza", Role::Reviewer, Scope::office(&office));
    let q: Value = app.get("/api/v1/review/queue?unassigned=true", Some(&ana)).json().unwrap();
    assert_eq!(q["items"].as_array().unwrap().len(), 1);
    assert_eq!(q["items"][0]["id"], id);

    // Both try at once: exactly one holds it.
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| post(&app, &format!("/api/v1/review/claims/{id}/take"), &ana).status().as_u16());
        let b = s.spawn(|| post(&app, &format!("/api/v1/review/claims/{id}/take"), &reza).status().as_u16());
        (a.join().unwrap(), b.join().unwrap())
    });
    let mut statuses = vec![a, b];
    statuses.sort();
    assert_eq!(statuses, vec![200, 409]);
    let (holder, other) = if a == 200 { (&ana, &reza) } else { (&reza, &ana) };
    // The loser cannot release it either.
    assert_problem(post(&app, &format!("/api/v1/review/claims/{id}/release"), other), 409, "claim_taken");
    let q: Value = app.get("/api/v1/review/queue?unassigned=true", Some(&ana)).json().unwrap();
    assert!(q["items"].as_array().unwrap().is_empty());

    // A reviewer of another office: the claim does not exist for them.
    let (other_office, _) = crate::providers::office_and_hospital(&app, &admin, "REV-X", "10101010112");
    let stranger = app.token_for("stranger", Role::Reviewer, Scope::office(&other_office));
    assert_problem(post(&app, &format!("/api/v1/review/claims/{id}/take"), &stranger), 404, "not_found");
    assert_problem(app.get(&format!("/api/v1/claims/{id}"), Some(&stranger)), 404, "not_found");
    let q: Value = app.get("/api/v1/review/queue", Some(&stranger)).json().unwrap();
    assert!(q["items"].as_array().unwrap().is_empty());
    // Providers have no queue.
    assert_eq!(app.get("/api/v1/review/queue", Some(&key)).status(), 403);

    // The holder releases; the other takes it.
    assert_eq!(post(&app, &format!("/api/v1/review/claims/{id}/release"), holder).status(), 204);
    assert_eq!(post(&app, &format!("/api/v1/review/claims/{id}/take"), other).status(), 200);
}

#[test]
fn four_eyes_above_the_threshold_and_never_ones_own() {
    // 400,000 recognised instead of 564,000: the payable falls 394,800 → 280,000 (114,800).
    let app = TestApp::spawn_with(|c| c.four_eyes_threshold = 114_800);
    let admin = app.admin_token();
    let (office, key) = pending_office(&app, &admin, "REV-2", "10101010121");
    insured(&app, &admin);
    let ana = app.token_for("ana2", Role::Reviewer, Scope::office(&office));
    let sara = app.token_for("sara", Role::Supervisor, Scope::office(&office));
    let decide = |no: &str, date: &str, amount: i64| {
        let c: Value = app.post_json("/api/v1/claims", Some(&key), &visit(no, date)).json().unwrap();
        let id = c["id"].as_str().unwrap().to_string();
        assert_eq!(post(&app, &format!("/api/v1/review/claims/{id}/take"), &ana).status(), 200);
        let res = app.post_json(
            &format!("/api/v1/review/claims/{id}/decision"),
            Some(&ana),
            &json!({"lines": [{"line_no": 1, "action": "adjust", "approved_amount": amount, "note": "documented visit level"}]}),
        );
        (id, res)
    };

    // Exactly at the threshold: applied at once.
    let (id, res) = decide("V-2", "1403-07-02", 400_000);
    assert_eq!(res.status(), 200);
    let out: Value = res.json().unwrap();
    assert_eq!((out["status"].as_str(), out["payable_after"].as_i64()), (Some("applied"), Some(280_000)));
    let c = &out["claim"];
    assert_eq!(c["status"], "partially_approved");
    let l = &c["lines"][0];
    assert_eq!(
        (
            l["insurer_payable"].as_i64(),
            l["patient_share"].as_i64(),
            l["patient_gap"].as_i64(),
            l["deducted"].as_i64()
        ),
        (Some(280_000), Some(120_000), Some(1_326_000), Some(164_000))
    );
    assert_eq!(l["reasons"][0]["code"], "R90");
    assert_eq!(c["totals"]["insurer_payable"], 280_000);

    // One rial further (payable 279,999: 114,801 less): waits for a supervisor.
    let (id2, res) = decide("V-3", "1403-07-03", 399_999);
    assert_eq!(res.status(), 202);
    let out: Value = res.json().unwrap();
    assert_eq!(out["status"], "awaiting_approval");
    assert_eq!(out["claim"]["status"], "awaiting_approval");
    assert_eq!(out["claim"]["totals"]["insurer_payable"], 394_800, "nothing applied yet");
    let decision = out["decision_id"].as_str().unwrap();
    // The author cannot approve (a reviewer has no such right; a supervisor-author neither).
    assert_eq!(post(&app, &format!("/api/v1/review/decisions/{decision}/approve"), &ana).status(), 403);
    let res = post(&app, &format!("/api/v1/review/decisions/{decision}/approve"), &sara);
    assert_eq!(res.status(), 200);
    let out: Value = res.json().unwrap();
    assert_eq!(out["claim"]["totals"]["insurer_payable"], 279_999);
    assert_eq!(out["claim"]["status"], "partially_approved");
    assert_problem(
        post(&app, &format!("/api/v1/review/decisions/{decision}/approve"), &sara),
        409,
        "not_awaiting",
    );

    // A supervisor who proposes cannot approve their own proposal.
    let c: Value = app.post_json("/api/v1/claims", Some(&key), &visit("V-4", "1403-07-04")).json().unwrap();
    let id3 = c["id"].as_str().unwrap();
    assert_eq!(post(&app, &format!("/api/v1/review/claims/{id3}/take"), &sara).status(), 200);
    let res = app.post_json(
        &format!("/api/v1/review/claims/{id3}/decision"),
        Some(&sara),
        &json!({"lines": [{"line_no": 1, "action": "reject", "reason": "R15"}]}),
    );
    assert_eq!(res.status(), 202);
    let d: Value = res.json().unwrap();
    assert_eq!(
        post(
            &app,
            &format!("/api/v1/review/decisions/{}/approve", d["decision_id"].as_str().unwrap()),
            &sara
        )
        .status(),
        403
    );
    // Another supervisor returns it: nothing applied, the claim is pended again.
    let omar = app.token_for("omar", Role::Supervisor, Scope::office(&office));
    let res =
        post(&app, &format!("/api/v1/review/decisions/{}/return", d["decision_id"].as_str().unwrap()), &omar);
    assert_eq!(res.status(), 200);
    let out: Value = res.json().unwrap();
    assert_eq!((out["status"].as_str(), out["claim"]["status"].as_str()), (Some("returned"), Some("pended")));
    assert_eq!(out["claim"]["totals"]["insurer_payable"], 394_800);

    // Bad input names the field and changes nothing.
    let bad = app.post_json(
        &format!("/api/v1/review/claims/{id3}/decision"),
        Some(&sara),
        &json!({"lines": [{"line_no": 1, "action": "reject", "reason": "R99"}]}),
    );
    let body = assert_problem(bad, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "lines[0]");
    let bad = app.post_json(
        &format!("/api/v1/review/claims/{id3}/decision"),
        Some(&sara),
        &json!({"lines": [{"line_no": 7, "action": "approve"}]}),
    );
    assert_eq!(assert_problem(bad, 422, "validation_failed")["errors"][0]["field"], "lines[0].line_no");
    let bad = app.post_json(
        &format!("/api/v1/review/claims/{id3}/decision"),
        Some(&sara),
        &json!({"lines": "all"}),
    );
    assert_eq!(bad.status(), 422);
    let sorted = app.get("/api/v1/review/queue?sort=random", Some(&sara));
    assert_eq!(assert_problem(sorted, 422, "validation_failed")["errors"][0]["field"], "sort");
    assert_problem(post(&app, "/api/v1/review/decisions/nope/approve", &sara), 404, "not_found");

    // The provider sees the decisions in the claim's history, and the outbox holds one
    // notification per applied decision.
    let h: Value = app.get(&format!("/api/v1/claims/{id2}/history"), Some(&key)).json().unwrap();
    let actions: Vec<&str> =
        h["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["submitted", "taken", "proposed", "awaiting_approval", "applied", "decided"]);
    let mut conn = app.pool.get().unwrap();
    for claim in [&id, &id2] {
        let n = asnad::store::outbox::for_subject(&mut conn, claim).unwrap();
        assert_eq!(n.len(), 1);
        assert_eq!((n[0].kind.as_str(), n[0].recipient_kind.as_str()), ("claim_decided", "provider"));
    }
    assert!(asnad::store::outbox::for_subject(&mut conn, id3).unwrap().is_empty());
}

/// `doc` with every line served on `date`.
fn served_on(mut doc: Value, date: &str) -> Value {
    for l in doc["lines"].as_array_mut().unwrap() {
        l["service_date"] = json!(date);
    }
    doc
}

fn object(app: &TestApp, key: &str, claim: &str, line: u32) -> reqwest::blocking::Response {
    app.post_json(
        &format!("/api/v1/claims/{claim}/objections"),
        Some(key),
        &json!({"reason": "40 tablets were prescribed for 20 days", "line_nos": [line]}),
    )
}

/// The objection window is ten working days (Fridays off) counted on the service clock: from
/// receipt for a claim the engine decided, from the decision for a claim a reviewer decided.
/// Days pass by restarting the service with a later `ASNAD_FIXED_TODAY`, nothing is written
/// behind the API's back.
#[test]
fn objections_inside_the_window_only_and_decided_by_another_reviewer() {
    // Received on Sunday 2024-09-29 (1403-07-08): ten working days end Thursday 10-10
    // (1403-07-19), Friday 10-04 being off.
    let mut app = TestApp::spawn_with(|c| c.fixed_today = Some("2024-09-29".parse().unwrap()));
    let admin = app.admin_token();
    let (hospital, key) = setup(&app, &admin, "REV-3", "10101010131");
    insured(&app, &admin);
    let p: Value = app.get(&format!("/api/v1/providers/{hospital}"), Some(&admin)).json().unwrap();
    let office = p["office_id"].as_str().unwrap().to_string();
    // O-1 and O-3: the engine decides at once and deducts on line 2 (40 tablets, 30 paid: R09);
    // O-2 a visit without a deduction.
    let mut engine_decided = Vec::new();
    for (no, day) in [("O-1", "1403-07-01"), ("O-3", "1403-07-02")] {
        let c: Value =
            app.post_json("/api/v1/claims", Some(&key), &served_on(document(no), day)).json().unwrap();
        assert_eq!(c["status"], "partially_approved", "{c}");
        assert!(c["lines"][1]["deducted"].as_i64().unwrap() > 0, "{c}");
        engine_decided.push(c["id"].as_str().unwrap().to_string());
    }
    assert_eq!(
        app.get(&format!("/api/v1/claims/{}", engine_decided[0]), Some(&key)).json::<Value>().unwrap()
            ["lines"][1]["deducted"],
        250_000
    );
    let on_time: Value =
        app.post_json("/api/v1/claims", Some(&key), &visit("O-2", "1403-07-04")).json().unwrap();
    let on_time = on_time["id"].as_str().unwrap().to_string();
    // R-1, received the same day, waits for a reviewer (the office now pends everything).
    let res = app.put_json(
        &format!("/api/v1/offices/{office}"),
        Some(&admin),
        &json!({"province_id": 1, "code": "REV-3", "name_fa": "دفتر", "name_en": "Office", "auto_approve_limit": 1}),
    );
    assert_eq!(res.status(), 200);
    let pended: Value =
        app.post_json("/api/v1/claims", Some(&key), &visit("R-1", "1403-07-05")).json().unwrap();
    assert_eq!(pended["status"], "pended");
    let pended = pended["id"].as_str().unwrap().to_string();
    app.create_user("ana", Role::Reviewer, Scope::office(&office));

    // Tuesday 10-01 (1403-07-10): a reviewer cuts R-1's visit; its window runs from today to
    // Sunday 10-13 (1403-07-22).
    app.restart_on("2024-10-01");
    let reviewer = app.login("ana", PASSWORD);
    assert_eq!(post(&app, &format!("/api/v1/review/claims/{pended}/take"), &reviewer).status(), 200);
    let res = app.post_json(
        &format!("/api/v1/review/claims/{pended}/decision"),
        Some(&reviewer),
        &json!({"lines": [{"line_no": 1, "action": "adjust", "approved_amount": 400000, "note": "level of the visit"}]}),
    );
    assert_eq!(res.status(), 200, "{:?}", res.text());

    // Thursday 10-10, the tenth working day after receipt: O-1's objection is in time.
    app.restart_on("2024-10-10");
    let id = &engine_decided[0];
    // Only deducted lines can be objected to.
    let body = assert_problem(object(&app, &key, &on_time, 1), 422, "validation_failed");
    assert_eq!(
        (body["errors"][0]["field"].as_str(), body["errors"][0]["code"].as_str()),
        (Some("line_nos[0]"), Some("nothing_deducted"))
    );
    let res = object(&app, &key, id, 2);
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let o: Value = res.json().unwrap();
    assert_eq!((o["status"].as_str(), o["window_closed_after"].as_str()), (Some("open"), Some("1403-07-19")));

    // The provider attaches the prescription to the objection; the reviewer sees it.
    let oid = o["id"].as_str().unwrap();
    let form = reqwest::blocking::multipart::Form::new().text("document_type", "prescription").part(
        "file",
        reqwest::blocking::multipart::Part::bytes(b"%PDF-1.4\nrx\n%%EOF\n".to_vec()).file_name("rx.pdf"),
    );
    let res = app
        .request(Method::POST, &format!("/api/v1/objections/{oid}/attachments"), Some(&key))
        .multipart(form)
        .send()
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(res.json::<Value>().unwrap()["case_kind"], "objection");

    // A reviewer upholds it: the 250,000 deducted for quantity comes back, split at 30 %.
    let omid = app.token_for("omid", Role::Reviewer, Scope::office(&office));
    let res = app.post_json(
        &format!("/api/v1/objections/{oid}/decision"),
        Some(&omid),
        &json!({"lines": [{"line_no": 2, "action": "adjust", "approved_amount": 1000000}]}),
    );
    assert_eq!(res.status(), 200, "{:?}", res.text());
    let out: Value = res.json().unwrap();
    let docs: Value = app.get(&format!("/api/v1/objections/{oid}/attachments"), Some(&omid)).json().unwrap();
    assert_eq!(docs["items"][0]["document_type"], "prescription");
    let l = &out["claim"]["lines"][1];
    assert_eq!(
        (l["insurer_payable"].as_i64(), l["patient_share"].as_i64(), l["deducted"].as_i64()),
        (Some(700_000), Some(300_000), Some(0))
    );
    let list: Value = app.get(&format!("/api/v1/claims/{id}/objections"), Some(&key)).json().unwrap();
    assert_eq!(list["items"][0]["status"], "decided");
    let mut conn = app.pool.get().unwrap();
    let n = asnad::store::outbox::for_subject(&mut conn, oid).unwrap();
    assert_eq!(n[0].kind, "objection_decided");
    drop(conn);

    // Saturday 10-12, the eleventh working day: O-3, received with O-1, is out of time…
    app.restart_on("2024-10-12");
    let body = assert_problem(object(&app, &key, &engine_decided[1], 2), 422, "validation_failed");
    assert_eq!(body["errors"][0]["code"], "window_closed", "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("1403-07-19"), "{body}");
    // …while R-1, received the same day but decided on 10-01, is still in time.
    let res = object(&app, &key, &pended, 1);
    assert_eq!(res.status(), 201, "{:?}", res.text());
    assert_eq!(res.json::<Value>().unwrap()["window_closed_after"], "1403-07-22");
}

/// An objection is re-examined by a reviewer other than the one who decided the claim.
#[test]
fn the_claims_own_reviewer_cannot_decide_its_objection() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (office, key) = pending_office(&app, &admin, "REV-5", "10101010171");
    insured(&app, &admin);
    let c: Value = app.post_json("/api/v1/claims", Some(&key), &visit("OWN-1", "1403-07-05")).json().unwrap();
    let id = c["id"].as_str().unwrap();
    let ana = app.token_for("ana5", Role::Reviewer, Scope::office(&office));
    assert_eq!(post(&app, &format!("/api/v1/review/claims/{id}/take"), &ana).status(), 200);
    let res = app.post_json(
        &format!("/api/v1/review/claims/{id}/decision"),
        Some(&ana),
        &json!({"lines": [{"line_no": 1, "action": "adjust", "approved_amount": 400000, "note": "level of the visit"}]}),
    );
    assert_eq!(res.status(), 200, "{:?}", res.text());
    let res = object(&app, &key, id, 1);
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let oid = res.json::<Value>().unwrap()["id"].as_str().unwrap().to_string();
    let give_back = json!({"lines": [{"line_no": 1, "action": "adjust", "approved_amount": 564000}]});

    // The reviewer who made the deduction: refused, and nothing changes.
    let path = format!("/api/v1/objections/{oid}/decision");
    assert_problem(app.post_json(&path, Some(&ana), &give_back), 403, "forbidden");
    let list: Value = app.get(&format!("/api/v1/claims/{id}/objections"), Some(&key)).json().unwrap();
    assert_eq!(list["items"][0]["status"], "open");
    let c: Value = app.get(&format!("/api/v1/claims/{id}"), Some(&key)).json().unwrap();
    assert_eq!(c["totals"]["insurer_payable"], 280_000);

    // A colleague decides it: the deduction is given back.
    let omid = app.token_for("omid5", Role::Reviewer, Scope::office(&office));
    let res = app.post_json(&path, Some(&omid), &give_back);
    assert_eq!(res.status(), 200, "{:?}", res.text());
    let out: Value = res.json().unwrap();
    assert_eq!(out["claim"]["totals"]["insurer_payable"], 394_800);
}

#[test]
fn the_audit_chain_detects_an_altered_event() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (_, key) = setup(&app, &admin, "REV-4", "10101010141");
    insured(&app, &admin);
    // Setting up already left events: the office, the provider, its contract (created, activated),
    // its user and API key — each with who did it.
    let before: Value = app.get("/api/v1/audit/verify", Some(&admin)).json().unwrap();
    let setup_events = before["events"].as_i64().unwrap();
    {
        use asnad::db::schema::audit_events;
        let mut conn = app.pool.get().unwrap();
        let mut seen: Vec<(String, String, String)> = audit_events::table
            .select((audit_events::entity, audit_events::action, audit_events::actor_role))
            .load(&mut *conn)
            .unwrap();
        seen.sort();
        seen.dedup();
        for expected in [
            ("api_key", "created", "admin"),
            ("contract", "activate", "admin"),
            ("contract", "created", "admin"),
            ("office", "created", "admin"),
            ("provider", "created", "admin"),
            ("user", "created", "system"),
        ] {
            let e = (expected.0.to_string(), expected.1.to_string(), expected.2.to_string());
            assert!(seen.contains(&e), "no {expected:?} event in {seen:?}");
        }
    }
    for no in ["A-1", "A-2"] {
        assert_eq!(app.post_json("/api/v1/claims", Some(&key), &document(no)).status(), 201);
    }
    let v: Value = app.get("/api/v1/audit/verify", Some(&admin)).json().unwrap();
    assert_eq!((v["ok"].as_bool(), v["events"].as_i64()), (Some(true), Some(setup_events + 2)));
    assert_eq!(app.get("/api/v1/audit/verify", Some(&key)).status(), 403);

    // Someone with database access "improves" the first claim's record.
    let first_claim_event = setup_events + 1;
    {
        use asnad::db::schema::audit_events;
        let mut conn = app.pool.get().unwrap();
        let n = diesel::update(
            audit_events::table.find(first_claim_event).filter(audit_events::entity.eq("claim")),
        )
        .set(audit_events::after_state.eq(r#"{"status":"approved"}"#))
        .execute(&mut *conn)
        .unwrap();
        assert_eq!(n, 1);
    }
    let v: Value = app.get("/api/v1/audit/verify", Some(&admin)).json().unwrap();
    assert_eq!((v["ok"].as_bool(), v["first_bad_seq"].as_i64()), (Some(false), Some(first_claim_event)));

    // Deleting the last event is detected too (the chain's head remembers it).
    {
        use asnad::db::schema::audit_events;
        let mut conn = app.pool.get().unwrap();
        let mut c = app.verify_audit();
        assert!(!c.ok);
        diesel::delete(audit_events::table.filter(audit_events::seq.ge(1i64))).execute(&mut *conn).unwrap();
        c = app.verify_audit();
        assert_eq!((c.ok, c.events), (false, 0));
    }
}

#[test]
fn a_random_sample_is_reviewed_and_its_rate_extrapolated_as_r92() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (hospital, key) = setup(&app, &admin, "SMP-1", "10101010151");
    insured(&app, &admin);
    let p: Value = app.get(&format!("/api/v1/providers/{hospital}"), Some(&admin)).json().unwrap();
    let office = p["office_id"].as_str().unwrap().to_string();
    // Ten visits on ten days of Mehr 1403, each approved: 394,800 payable.
    for day in 1..=10 {
        let c: Value = app
            .post_json(
                "/api/v1/claims",
                Some(&key),
                &visit(&format!("S-{day}"), &format!("1403-07-{day:02}")),
            )
            .json()
            .unwrap();
        assert_eq!(
            (c["status"].as_str(), c["totals"]["insurer_payable"].as_i64()),
            (Some("approved"), Some(394_800))
        );
    }
    let boss = app.token_for("sara", Role::Supervisor, Scope::office(&office));
    let reviewer = app.token_for("nima", Role::Reviewer, Scope::office(&office));

    // Bad requests name the field; reviewers cannot draw samples.
    let bad = app.post_json(
        "/api/v1/review/samples",
        Some(&boss),
        &json!({"provider_id": hospital, "service_month": "1403-13", "method": "random"}),
    );
    let p = assert_problem(bad, 422, "validation_failed");
    let fields: Vec<&str> =
        p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["service_month", "percent"]);
    let body =
        json!({"provider_id": hospital, "service_month": "1403-07", "method": "random", "percent": "20"});
    assert_problem(app.post_json("/api/v1/review/samples", Some(&reviewer), &body), 403, "forbidden");

    // 20 % of 10: two claims go back to the queue.
    let res = app.post_json("/api/v1/review/samples", Some(&boss), &body);
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let s: Value = res.json().unwrap();
    assert_eq!(
        (s["population"].as_i64(), s["selected"].as_i64(), s["reviewed"].as_i64()),
        (Some(10), Some(2), Some(0))
    );
    let sid = s["id"].as_str().unwrap();
    let q: Value = app.get("/api/v1/review/queue", Some(&reviewer)).json().unwrap();
    let queued: Vec<&str> =
        q["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(queued.len(), 2);
    assert!(q["items"][0]["pend_notes"][0].as_str().unwrap().starts_with("sampled for review"));
    // The same month again: nothing left outside the sample.
    assert_problem(app.post_json("/api/v1/review/samples", Some(&boss), &body), 422, "validation_failed");
    // Not before the sample is reviewed.
    assert_problem(
        post(&app, &format!("/api/v1/review/samples/{sid}/extrapolate"), &boss),
        409,
        "sample_not_reviewed",
    );

    // One is rejected outright, the other confirmed: the reviewers cut 394,800 of 789,600 = 50 %.
    for (i, id) in queued.iter().enumerate() {
        assert_eq!(post(&app, &format!("/api/v1/review/claims/{id}/take"), &reviewer).status(), 200);
        let action = if i == 0 { "reject" } else { "approve" };
        let res = app.post_json(
            &format!("/api/v1/review/claims/{id}/decision"),
            Some(&reviewer),
            &json!({"lines": [{"line_no": 1, "action": action, "reason": "R90", "note": "no record of the visit"}]}),
        );
        assert_eq!(res.status(), 200, "{:?}", res.text());
    }
    let s: Value = app.get(&format!("/api/v1/review/samples/{sid}"), Some(&reviewer)).json().unwrap();
    assert_eq!((s["reviewed"].as_i64(), s["rate"].as_str()), (Some(2), Some("0.5")));

    // Extrapolated: each of the eight others loses half its payable as R92.
    let res = post(&app, &format!("/api/v1/review/samples/{sid}/extrapolate"), &boss);
    assert_eq!(res.status(), 200, "{:?}", res.text());
    let s: Value = res.json().unwrap();
    assert_eq!((s["status"].as_str(), s["rate"].as_str()), (Some("extrapolated"), Some("0.5")));
    let mut total = 0;
    for m in s["claims"].as_array().unwrap() {
        let c: Value = app
            .get(&format!("/api/v1/claims/{}", m["claim_id"].as_str().unwrap()), Some(&key))
            .json()
            .unwrap();
        let l = &c["lines"][0];
        let sum = ["insurer_payable", "patient_share", "patient_gap", "deducted"]
            .iter()
            .map(|f| l[*f].as_i64().unwrap())
            .sum::<i64>();
        assert_eq!(sum, 1_890_000, "conservation on {c}");
        if !m["selected"].as_bool().unwrap() {
            assert_eq!(
                (l["insurer_payable"].as_i64(), l["patient_share"].as_i64(), l["deducted"].as_i64()),
                (Some(197_400), Some(169_200), Some(197_400))
            );
            assert_eq!(l["reasons"][0]["code"], "R92");
            assert_eq!(c["status"], "partially_approved");
        }
        total += c["totals"]["insurer_payable"].as_i64().unwrap();
    }
    // 8 × 197,400 + 0 + 394,800.
    assert_eq!(total, 1_974_000);
    assert_problem(
        post(&app, &format!("/api/v1/review/samples/{sid}/extrapolate"), &boss),
        409,
        "sample_closed",
    );
    // Another office's supervisor: no such sample.
    let (other_office, _) = crate::providers::office_and_hospital(&app, &admin, "SMP-X", "10101010152");
    let stranger = app.token_for("stranger", Role::Supervisor, Scope::office(&other_office));
    assert_problem(app.get(&format!("/api/v1/review/samples/{sid}"), Some(&stranger)), 404, "not_found");
}

/// A supervisor assigns a pended claim of the office to one of its reviewers (ارجاع پرونده):
/// the reviewer then holds it as after `take`; re-assigning is allowed and the audit trail
/// records who held it before. Another office's claim is 404, a reviewer of another office
/// (or an inactive one) 422 naming `reviewer_id`, a reviewer may not assign (403), and a claim
/// that no longer waits for review is 409.
#[test]
fn a_supervisor_assigns_a_claim_to_a_reviewer_of_the_office() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (office, key) = pending_office(&app, &admin, "ASG-1", "10101010131");
    insured(&app, &admin);
    let claim: Value =
        app.post_json("/api/v1/claims", Some(&key), &visit("A-1", "1403-07-01")).json().unwrap();
    let id = claim["id"].as_str().unwrap().to_string();
    let ana_id = app.create_user("asg-ana", Role::Reviewer, Scope::office(&office));
    let ana = app.login("asg-ana", PASSWORD);
    let reza_id = app.create_user("asg-reza", Role::Reviewer, Scope::office(&office));
    let sara = app.token_for("asg-sara", Role::Supervisor, Scope::office(&office));
    let (other_office, _) = crate::providers::office_and_hospital(&app, &admin, "ASG-X", "10101010132");
    let stranger_id = app.create_user("asg-stranger", Role::Reviewer, Scope::office(&other_office));
    let other_sup = app.token_for("asg-other-sup", Role::Supervisor, Scope::office(&other_office));
    let path = format!("/api/v1/review/claims/{id}/assignment");

    // A reviewer may not assign, not even to themselves.
    let res = app.post_json(&path, Some(&ana), &json!({"reviewer_id": ana_id}));
    assert_problem(res, 403, "forbidden");
    // Another office's supervisor: the claim does not exist for them.
    assert_problem(
        app.post_json(&path, Some(&other_sup), &json!({"reviewer_id": stranger_id})),
        404,
        "not_found",
    );
    // A reviewer of another office, or no such user: 422 naming the field.
    for who in [stranger_id.as_str(), "usr_nobody"] {
        let body = assert_problem(
            app.post_json(&path, Some(&sara), &json!({"reviewer_id": who})),
            422,
            "validation_failed",
        );
        assert_eq!(body["errors"][0]["field"], "reviewer_id", "{body}");
    }

    // Assigned to ana: she holds it (the queue says so) and may decide it without taking it.
    let res = app.post_json(&path, Some(&sara), &json!({"reviewer_id": ana_id}));
    assert_eq!(res.status(), 200, "{:?}", res.text());
    let q: Value = app.get("/api/v1/review/queue", Some(&ana)).json().unwrap();
    assert_eq!(q["items"][0]["assigned_to"], ana_id.as_str());
    assert_problem(
        post(&app, &format!("/api/v1/review/claims/{id}/take"), &app.login("asg-reza", PASSWORD)),
        409,
        "claim_taken",
    );

    // Re-assigned to reza: allowed for a supervisor, and audited with the previous holder.
    let res = app.post_json(&path, Some(&sara), &json!({"reviewer_id": reza_id}));
    assert_eq!(res.status(), 200, "{:?}", res.text());
    let q: Value = app.get("/api/v1/review/queue", Some(&ana)).json().unwrap();
    assert_eq!(q["items"][0]["assigned_to"], reza_id.as_str());
    let history: Value = app.get(&format!("/api/v1/claims/{id}/history"), Some(&sara)).json().unwrap();
    let assigned: Vec<&Value> =
        history["items"].as_array().unwrap().iter().filter(|e| e["action"] == "assigned").collect();
    assert_eq!(assigned.len(), 2, "{history}");
    assert_eq!(assigned[1]["actor"], "asg-sara");
    assert_eq!(assigned[1]["role"], "supervisor");
    assert_eq!(assigned[1]["before"]["assigned_to"], ana_id.as_str());
    assert_eq!(assigned[1]["after"]["assigned_to"], reza_id.as_str());
    assert_eq!(assigned[0]["before"]["assigned_to"], Value::Null);

    // reza decides it; a decided claim is no longer assigned (409).
    let reza = app.login("asg-reza", PASSWORD);
    let res = app.post_json(
        &format!("/api/v1/review/claims/{id}/decision"),
        Some(&reza),
        &json!({"lines": [{"line_no": 1, "action": "approve"}]}),
    );
    assert_eq!(res.status(), 200, "{:?}", res.text());
    assert_problem(app.post_json(&path, Some(&sara), &json!({"reviewer_id": ana_id})), 409, "not_pended");

    // An inactive reviewer is no longer one of the office's.
    let res = app.patch_json(&format!("/api/v1/users/{ana_id}"), Some(&admin), &json!({"active": false}));
    assert_eq!(res.status(), 200);
    let second: Value =
        app.post_json("/api/v1/claims", Some(&key), &visit("A-2", "1403-07-02")).json().unwrap();
    let second = second["id"].as_str().unwrap();
    let body = assert_problem(
        app.post_json(
            &format!("/api/v1/review/claims/{second}/assignment"),
            Some(&sara),
            &json!({"reviewer_id": ana_id}),
        ),
        422,
        "validation_failed",
    );
    assert_eq!(body["errors"][0]["field"], "reviewer_id");
}
