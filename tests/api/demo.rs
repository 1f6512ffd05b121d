//! `asnad demo` (docs/DEMO.md): the demonstration fills the running app's empty database with a
//! small month, and everything it prints works over the API: every role's user logs in with its
//! one-time password, the providers' API keys send requests, the claims show the engine's mix
//! with their amounts conserved, the scans download, and the audit trail verifies. A second run
//! is refused.
//!
//! It calls `asnad::demo::run` (what the subcommand runs) and reads `asnad::demo::render` (what
//! it prints) rather than the built binary: the binary of a shared target directory may be
//! another checkout's.

use std::collections::{BTreeMap, BTreeSet};

use asnad::auth::Role;
use serde_json::{json, Value};

use crate::helpers::TestApp;

const CLAIMS: usize = 150;

/// Runs the demonstration on the app's database and data directory, with the app's clock.
fn run_demo(app: &TestApp) -> Result<asnad::demo::Report, String> {
    let options = asnad::demo::Options { claims: CLAIMS, seed: 1405, progress: false };
    asnad::demo::run(app.config().clone(), options)
}

/// The rows of a printed table: the lines after `header` up to the next blank line.
fn table<'a>(out: &'a str, header: &str) -> Vec<Vec<&'a str>> {
    out.lines()
        .skip_while(|l| !l.starts_with(header))
        .skip(2)
        .take_while(|l| !l.trim().is_empty())
        .map(|l| l.split_whitespace().collect())
        .collect()
}

fn login(app: &TestApp, username: &str, password: &str) -> Value {
    let res = app.post_json("/api/v1/auth/token", None, &json!({"username": username, "password": password}));
    assert_eq!(res.status(), 201, "login of {username} with the printed password");
    res.json().expect("token")
}

/// Every page of a list.
fn all(app: &TestApp, path: &str, token: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}?limit=500&cursor={c}"),
            None => format!("{path}?limit=500"),
        };
        let res = app.get(&url, Some(token));
        assert_eq!(res.status(), 200, "{url}");
        let page: Value = res.json().expect("page");
        items.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return items,
        }
    }
}

#[test]
fn the_demo_fills_an_empty_database_with_a_month_that_works_over_the_api() {
    let app = TestApp::spawn();
    let report = run_demo(&app).expect("the demo runs on an empty database");
    let stdout = asnad::demo::render(&report);

    // A user of every role, each able to log in with the one-time password it was printed with.
    let users = table(&stdout, "USERS");
    let roles: BTreeSet<&str> = users.iter().map(|u| u[1]).collect();
    for role in Role::ALL {
        assert!(roles.contains(role.as_str()), "no {role} user in\n{stdout}");
    }
    let mut passwords = BTreeMap::new();
    for u in &users {
        let token = login(&app, u[0], u[2]);
        assert_eq!(token["must_change_password"], true, "{} has a one-time password", u[0]);
        passwords.insert(u[0].to_string(), u[2].to_string());
    }

    // The administrator changes the one-time password, as the first login asks, and reads.
    let first = login(&app, "demo.admin", &passwords["demo.admin"]);
    let first = first["access_token"].as_str().unwrap();
    let res = app.put_json(
        "/api/v1/auth/password",
        Some(first),
        &json!({"current_password": passwords["demo.admin"], "new_password": "a-new-admin-password"}),
    );
    assert_eq!(res.status(), 204, "password change");
    let admin = login(&app, "demo.admin", "a-new-admin-password");
    let admin = admin["access_token"].as_str().unwrap().to_string();

    // The month's claims: the engine's mix, every amount conserved.
    let claims = all(&app, "/api/v1/claims", &admin);
    assert_eq!(claims.len(), CLAIMS, "every planned claim was sent");
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    let mut reasons: BTreeSet<String> = BTreeSet::new();
    for c in &claims {
        *statuses.entry(c["status"].as_str().unwrap().to_string()).or_default() += 1;
        let t = &c["totals"];
        let sum = |v: &Value| {
            v["insurer_payable"].as_i64().unwrap()
                + v["patient_share"].as_i64().unwrap()
                + v["patient_gap"].as_i64().unwrap()
                + v["deducted"].as_i64().unwrap()
        };
        assert_eq!(t["billed"].as_i64().unwrap(), sum(t), "claim {} conserves", c["id"]);
        for l in c["lines"].as_array().unwrap() {
            assert_eq!(l["billed"].as_i64().unwrap(), sum(l), "a line of {} conserves", c["id"]);
            let deducted: i64 =
                l["reasons"].as_array().unwrap().iter().map(|r| r["amount"].as_i64().unwrap()).sum();
            assert_eq!(deducted, l["deducted"].as_i64().unwrap(), "every deducted rial has a reason");
            for r in l["reasons"].as_array().unwrap() {
                reasons.insert(r["code"].as_str().unwrap().to_string());
            }
        }
    }
    let n = |s: &str| statuses.get(s).copied().unwrap_or(0);
    assert!(n("approved") > CLAIMS / 2, "mostly clean: {statuses:?}");
    assert!(n("partially_approved") + n("rejected") >= CLAIMS / 20, "some deducted: {statuses:?}");
    assert!(n("pended") + n("awaiting_approval") > 0, "some wait for a reviewer: {statuses:?}");
    for code in ["R07", "R02"] {
        assert!(reasons.contains(code), "{code} among the deductions {reasons:?}");
    }
    assert!(reasons.len() >= 5, "a variety of reasons: {reasons:?}");

    // The scans download as the documents they are.
    let mut downloaded = 0;
    for c in claims.iter().filter(|c| c["kind"] == "inpatient").take(4) {
        let id = c["id"].as_str().unwrap();
        let res = app.get(&format!("/api/v1/claims/{id}/attachments"), Some(&admin));
        assert_eq!(res.status(), 200);
        let list: Value = res.json().unwrap();
        let items = list.as_array().or_else(|| list["items"].as_array()).expect("attachments").clone();
        assert!(!items.is_empty(), "a stay has its discharge summary and invoice");
        for a in items {
            let res = app
                .get(&format!("/api/v1/claims/{id}/attachments/{}", a["id"].as_str().unwrap()), Some(&admin));
            assert_eq!(res.status(), 200);
            let bytes = res.bytes().unwrap();
            assert!(bytes.starts_with(b"%PDF-") || bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "a PDF or PNG");
            assert_eq!(bytes.len() as i64, a["size_bytes"].as_i64().unwrap());
            downloaded += 1;
        }
    }
    assert!(downloaded > 0, "no inpatient claim in the month");

    // A provider's system sends requests with its printed key, and sees only its claims.
    let keys = table(&stdout, "API KEYS");
    assert_eq!(keys.len(), users.iter().filter(|u| u[1] == "provider").count());
    let key = keys.iter().find(|k| k[0] == "demo.sina").expect("the pharmacy's key")[1];
    let theirs = all(&app, "/api/v1/claims", key);
    assert!(!theirs.is_empty() && theirs.len() < claims.len());
    let provider = &theirs[0]["provider_id"];
    assert!(theirs.iter().all(|c| &c["provider_id"] == provider));

    // Everything the demo did is in an intact audit trail.
    let v = app.verify_audit();
    assert!(v.ok, "{v:?}");
    // And the report aggregates (objections filed, decided, upheld included) equal a recount.
    let diffs = asnad::services::reports::verify_conn(&mut app.pool.get().unwrap()).unwrap();
    assert!(diffs.is_empty(), "the aggregates differ from a recount:\n{}", diffs.join("\n"));

    // A database that holds claims is refused with a reason (the command prints it and exits 1).
    let refused = run_demo(&app).expect_err("a second run must fail");
    assert!(refused.contains("already holds claims"), "{refused}");
    assert_eq!(all(&app, "/api/v1/claims", &admin).len(), CLAIMS, "nothing added by the refused run");
}
