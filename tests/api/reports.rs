//! The reports over HTTP: each report's numbers equal what the test recomputes from the claims it
//! created (exact rials), the aggregates equal a recount from the lines after intake and after a
//! reviewer's decision, every role reads its reach only (office, province, headquarters;
//! providers and insured persons refused), and the CSV opens with its Persian intact.

use std::collections::BTreeMap;

use asnad::auth::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::claims::{document, insured, setup};
use crate::fixtures::World;
use crate::helpers::{assert_problem, Scope, TestApp};

/// A visit-only document served on `date`.
fn visit(no: &str, date: &str, billed: i64) -> Value {
    json!({
        "provider_document_no": no, "setting": "outpatient", "kind": "visit",
        "insured_national_code": "0012345679", "physician_council_no": "12345",
        "lines": [{"line_no": 1, "item_type": "visit", "code": "specialist", "quantity": "1",
                   "service_date": date, "billed_amount": billed}]
    })
}

fn send(app: &TestApp, key: &str, body: &Value) -> Value {
    let res = app.post_json("/api/v1/claims", Some(key), body);
    assert_eq!(res.status(), 201, "{:?}", res.text());
    res.json().unwrap()
}

/// What the deductions report must say, recomputed from the claims as the API returns them:
/// by (reason, provider, month): (lines, amount); and billed by (provider, month).
#[allow(clippy::type_complexity)]
fn expected(
    app: &TestApp,
    admin: &str,
    ids: &[String],
) -> (BTreeMap<(String, String, String), (i64, i64)>, BTreeMap<(String, String), i64>) {
    let mut cube = BTreeMap::new();
    let mut billed = BTreeMap::new();
    for id in ids {
        let c: Value = app.get(&format!("/api/v1/claims/{id}"), Some(admin)).json().unwrap();
        let provider = c["provider_id"].as_str().unwrap().to_string();
        let month = c["service_month"].as_str().unwrap().to_string();
        *billed.entry((provider.clone(), month.clone())).or_insert(0) +=
            c["totals"]["billed"].as_i64().unwrap();
        for line in c["lines"].as_array().unwrap() {
            let mut seen = Vec::new();
            for r in line["reasons"].as_array().unwrap() {
                let code = r["code"].as_str().unwrap().to_string();
                let e = cube.entry((code.clone(), provider.clone(), month.clone())).or_insert((0, 0));
                e.1 += r["amount"].as_i64().unwrap();
                if !seen.contains(&code) {
                    e.0 += 1;
                    seen.push(code);
                }
            }
        }
    }
    (cube, billed)
}

fn report(app: &TestApp, token: &str, query: &str) -> Value {
    let res = app.get(&format!("/api/v1/reports/deductions{query}"), Some(token));
    assert_eq!(res.status(), 200, "{query}: {:?}", res.text());
    res.json().unwrap()
}

fn cube_of(r: &Value) -> BTreeMap<(String, String, String), (i64, i64)> {
    r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                (
                    x["reason"].as_str().unwrap().to_string(),
                    x["provider_id"].as_str().unwrap().to_string(),
                    x["service_month"].as_str().unwrap().to_string(),
                ),
                (x["lines"].as_i64().unwrap(), x["amount"].as_i64().unwrap()),
            )
        })
        .collect()
}

fn assert_exact(app: &TestApp) {
    let mut conn = app.pool.get().unwrap();
    let diffs = asnad::services::reports::verify_conn(&mut conn).unwrap();
    assert!(diffs.is_empty(), "the aggregates differ from a recount:\n{}", diffs.join("\n"));
}

#[test]
fn deductions_and_turnaround_equal_the_claims_and_each_role_reads_its_reach() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    insured(&app, &admin);
    let (ha, key_a) = setup(&app, &admin, "RPA", "10101010201");
    let (hb, key_b) = setup(&app, &admin, "RPB", "10101010202");
    let world = World::new(&app, admin.clone());
    let office_c = world.office_in("RPC", 8);
    let hc = world
        .hospital(&office_c)
        .legal_id("10101010203")
        .with("name_fa", json!("بیمارستان \"البرز\"، شعبهٔ ۲, کرج"))
        .contracted();
    let pa: Value = app.get(&format!("/api/v1/providers/{ha}"), Some(&admin)).json().unwrap();
    let office_a = pa["office_id"].as_str().unwrap().to_string();

    let mut ids = Vec::new();
    for (key, no) in [(&key_a, "A-1"), (&key_a, "A-2"), (&key_b, "B-1"), (&hc.key, "C-1")] {
        ids.push(send(&app, key, &document(no))["id"].as_str().unwrap().to_string());
    }
    ids.push(send(&app, &key_a, &visit("A-3", "1403-06-20", 1_890_000))["id"].as_str().unwrap().to_string());
    assert_exact(&app);

    // A pended claim decided by a reviewer: the aggregates move with it.
    let res = app.put_json(
        &format!("/api/v1/offices/{office_a}"),
        Some(&admin),
        &json!({"province_id": 1, "code": "RPA", "name_fa": "دفتر", "name_en": "Office", "auto_approve_limit": 1}),
    );
    assert_eq!(res.status(), 200, "{:?}", res.text());
    let pended = send(&app, &key_a, &visit("A-4", "1403-06-21", 1_890_000));
    assert_eq!(pended["status"], "pended");
    let pid = pended["id"].as_str().unwrap().to_string();
    ids.push(pid.clone());
    assert_exact(&app);
    let ana = app.token_for("ana", Role::Reviewer, Scope::office(&office_a));
    let before = report(&app, &ana, "");
    assert_eq!(
        app.request(Method::POST, &format!("/api/v1/review/claims/{pid}/take"), Some(&ana))
            .send()
            .unwrap()
            .status(),
        200
    );
    let res = app.post_json(
        &format!("/api/v1/review/claims/{pid}/decision"),
        Some(&ana),
        &json!({"lines": [{"line_no": 1, "action": "adjust", "approved_amount": 400000, "reason": "R90", "note": "visit level"}]}),
    );
    assert_eq!(res.status(), 200, "{:?}", res.text());
    assert_exact(&app);

    // Headquarters: everything, equal to the recount from the claims.
    let hq = app.token_for("hq", Role::Headquarters, Scope::default());
    let (want, billed) = expected(&app, &admin, &ids);
    let all = report(&app, &hq, "");
    assert_eq!(cube_of(&all), want);
    for row in all["rows"].as_array().unwrap() {
        let key = (
            row["provider_id"].as_str().unwrap().to_string(),
            row["service_month"].as_str().unwrap().to_string(),
        );
        assert_eq!(row["billed"].as_i64(), billed.get(&key).copied(), "billed of {key:?}");
    }
    let total_billed: i64 = billed.values().sum();
    assert_eq!(all["billed"].as_i64(), Some(total_billed));
    let r90: Vec<&Value> = all["rows"].as_array().unwrap().iter().filter(|r| r["reason"] == "R90").collect();
    assert_eq!(r90.len(), 1, "the reviewer's R90 is counted once");
    assert!(!cube_of(&before).keys().any(|(r, _, _)| r == "R90"), "R90 only after the decision");

    // An office's reviewer: their office only; another office is 404.
    let mine = report(&app, &ana, "");
    assert!(cube_of(&mine).keys().all(|(_, p, _)| *p == ha), "office A sees its hospital only");
    assert_eq!(
        cube_of(&mine),
        want.iter().filter(|((_, p, _), _)| *p == ha).map(|(k, v)| (k.clone(), *v)).collect()
    );
    assert_problem(
        app.get(&format!("/api/v1/reports/deductions?office_id={}", office_c.id), Some(&ana)),
        404,
        "not_found",
    );
    assert_problem(
        app.get(&format!("/api/v1/reports/deductions?provider_id={}", hc.id), Some(&ana)),
        404,
        "not_found",
    );

    // A province manager: the province's offices (A and B), not C's; another province 404.
    let tehran =
        app.token_for("tehran", Role::ProvinceManager, Scope { province_id: Some(1), ..Scope::default() });
    let province = report(&app, &tehran, "");
    let providers: std::collections::BTreeSet<String> =
        cube_of(&province).keys().map(|(_, p, _)| p.clone()).collect();
    assert_eq!(providers, [ha.clone(), hb.clone()].into_iter().collect());
    assert_problem(app.get("/api/v1/reports/deductions?province_id=8", Some(&tehran)), 404, "not_found");
    let only_c = report(&app, &hq, "?province_id=8");
    assert!(cube_of(&only_c).keys().all(|(_, p, _)| *p == hc.id));
    // Filters: a provider, a month range.
    let b_only = report(&app, &tehran, &format!("?provider_id={hb}"));
    assert!(!cube_of(&b_only).is_empty() && cube_of(&b_only).keys().all(|(_, p, _)| *p == hb));
    let shahrivar = report(&app, &hq, "?from=1403-06&to=1403-06");
    assert!(!cube_of(&shahrivar).is_empty() && cube_of(&shahrivar).keys().all(|(_, _, m)| m == "1403-06"));
    assert_problem(app.get("/api/v1/reports/deductions?from=1403-13", Some(&hq)), 422, "validation_failed");
    assert_problem(
        app.get("/api/v1/reports/deductions?to=1403-01&from=1403-05", Some(&hq)),
        422,
        "validation_failed",
    );

    // Providers and insured persons are refused.
    assert_eq!(app.get("/api/v1/reports/deductions", Some(&key_a)).status(), 403);
    let person: Value = app.get("/api/v1/insured/0012345679", Some(&admin)).json().unwrap();
    let me = app.token_for(
        "me",
        Role::Insured,
        Scope { insured_id: Some(person["id"].as_str().unwrap().to_string()), ..Scope::default() },
    );
    assert_eq!(app.get("/api/v1/reports/deductions", Some(&me)).status(), 403);
    assert_eq!(app.get("/api/v1/reports/turnaround", Some(&me)).status(), 403);

    // CSV: a byte-order mark, Persian headers and names intact, the name's quotes and commas
    // quoted.
    let res = app.get("/api/v1/reports/deductions?format=csv&province_id=8", Some(&hq));
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let bytes = res.bytes().unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "a UTF-8 byte-order mark");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    assert!(text.starts_with("کد دلیل,دلیل,"), "{text}");
    assert!(text.contains(r#""بیمارستان ""البرز""، شعبهٔ ۲, کرج""#), "quoted: {text}");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), cube_of(&only_c).len());
    assert_eq!(&rows[0][3], "بیمارستان \"البرز\"، شعبهٔ ۲, کرج");

    // Turnaround: every decision counted once, in its office.
    let t: Value = app.get("/api/v1/reports/turnaround", Some(&hq)).json().unwrap();
    let decided_in = |office: &str| -> i64 {
        t["decision"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["office_id"] == office)
            .map(|r| r["claims"].as_i64().unwrap())
            .sum()
    };
    // A-1, A-2, A-3 decided at intake, A-4 by the reviewer.
    assert_eq!(decided_in(&office_a), 4);
    assert_eq!(decided_in(&office_c.id), 1);
    let row = t["decision"].as_array().unwrap().iter().find(|r| r["office_id"] == office_a).unwrap();
    assert_eq!((row["p50_days"].as_i64(), row["max_days"].as_i64()), (Some(0), Some(0)));
    let backlog: i64 = t["backlog"].as_array().unwrap().iter().map(|b| b["claims"].as_i64().unwrap()).sum();
    assert_eq!(backlog, 0, "nothing waits");
    let mine: Value = app.get("/api/v1/reports/turnaround", Some(&ana)).json().unwrap();
    assert!(mine["decision"].as_array().unwrap().iter().all(|r| r["office_id"] == office_a));
    assert_problem(
        app.get(&format!("/api/v1/reports/turnaround?provider_id={ha}"), Some(&hq)),
        422,
        "validation_failed",
    );
}

#[test]
fn a_rebuild_from_the_claims_gives_the_same_aggregates() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    insured(&app, &admin);
    let (_, key) = setup(&app, &admin, "RPR", "10101010204");
    for no in ["R-1", "R-2", "R-3"] {
        send(&app, &key, &document(no));
    }
    let hq = app.token_for("hq", Role::Headquarters, Scope::default());
    let kept = report(&app, &hq, "");
    let mut conn = app.pool.get().unwrap();
    asnad::services::reports::rebuild_conn(&mut conn).unwrap();
    drop(conn);
    assert_eq!(report(&app, &hq, ""), kept);
    assert_exact(&app);
}

#[test]
fn the_budget_report_counts_decided_spending_by_month_and_the_waiting_claims_as_commitment() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    insured(&app, &admin);
    let (ha, key) = setup(&app, &admin, "RPG", "10101010205");
    let p: Value = app.get(&format!("/api/v1/providers/{ha}"), Some(&admin)).json().unwrap();
    let office = p["office_id"].as_str().unwrap().to_string();
    let mut decided = Vec::new();
    for (no, date) in [("G-1", "1403-06-10"), ("G-2", "1403-06-11"), ("G-3", "1403-07-01")] {
        decided.push(send(&app, &key, &visit(no, date, 1_890_000)));
    }
    // From now on the office pends: one claim waits.
    let res = app.put_json(
        &format!("/api/v1/offices/{office}"),
        Some(&admin),
        &json!({"province_id": 1, "code": "RPG", "name_fa": "دفتر", "name_en": "Office", "auto_approve_limit": 1}),
    );
    assert_eq!(res.status(), 200);
    let waiting = send(&app, &key, &visit("G-4", "1403-07-02", 1_890_000));
    assert_eq!(waiting["status"], "pended");
    let body = json!({"year": 1403, "level": "office", "office_id": office, "benefit": "claims", "amount_rials": 50_000_000});
    assert_eq!(app.post_json("/api/v1/budgets", Some(&admin), &body).status(), 201);

    // Recomputed from the claims: decided payable by service month, the waiting one's payable.
    let mut monthly = [0i64; 12];
    for c in &decided {
        assert_ne!(c["status"], "pended");
        let m: usize = c["service_month"].as_str().unwrap()[5..7].parse().unwrap();
        monthly[m - 1] += c["totals"]["insurer_payable"].as_i64().unwrap();
    }
    let commitment = waiting["totals"]["insurer_payable"].as_i64().unwrap();
    let hq = app.token_for("hq", Role::Headquarters, Scope::default());
    let r: Value = app.get("/api/v1/reports/budget?year=1403", Some(&hq)).json().unwrap();
    let month = r["current_month"].as_u64().unwrap() as usize;
    assert!(month >= 7, "the test clock is in 1403-07 or later: {r}");
    let line = &r["lines"][0];
    let got: Vec<i64> = line["monthly"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
    assert_eq!(got, monthly[..month].to_vec());
    let want =
        asnad::domain::budget::project(50_000_000, &monthly[..month], commitment, month as u8).unwrap();
    assert_eq!(line["projection"], serde_json::to_value(&want).unwrap());
    assert_eq!(line["projection"]["commitment"].as_i64(), Some(commitment));
    assert_eq!(line["projection"]["spent_to_date"].as_i64(), Some(monthly.iter().sum::<i64>()));

    // Another office's reviewer sees none of it; a provider is refused; CSV has the BOM.
    let (other, _) = crate::providers::office_and_hospital(&app, &admin, "RPH", "10101010206");
    let stranger = app.token_for("stranger", Role::Reviewer, Scope::office(&other));
    let theirs: Value = app.get("/api/v1/reports/budget?year=1403", Some(&stranger)).json().unwrap();
    assert_eq!(theirs["lines"], json!([]));
    assert_eq!(app.get("/api/v1/reports/budget", Some(&key)).status(), 403);
    assert_problem(app.get("/api/v1/reports/budget?year=1499", Some(&hq)), 422, "validation_failed");
    let csv = app.get("/api/v1/reports/budget?year=1403&format=csv", Some(&hq)).bytes().unwrap();
    assert_eq!(&csv[..3], b"\xEF\xBB\xBF");
    let benefit = line["benefit_fa"].as_str().unwrap();
    assert!(
        !benefit.is_empty() && std::str::from_utf8(&csv[3..]).unwrap().contains(benefit),
        "the benefit in Persian"
    );
}

#[test]
fn decision_to_payment_is_counted_once_when_the_order_is_paid() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    insured(&app, &admin);
    let (h, key) = setup(&app, &admin, "RPP", "10101010207");
    let p: Value = app.get(&format!("/api/v1/providers/{h}"), Some(&admin)).json().unwrap();
    let office = p["office_id"].as_str().unwrap().to_string();
    let claims: Vec<Value> = [("P-1", "1403-06-10"), ("P-2", "1403-06-11")]
        .iter()
        .map(|(no, d)| send(&app, &key, &visit(no, d, 1_890_000)))
        .collect();
    let finance = app.token_for("fin", Role::Finance, Scope::default());
    let res = app.post_json(
        "/api/v1/settlements",
        Some(&finance),
        &json!({"office_id": office, "service_month": "1403-06"}),
    );
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let res = app.request(Method::POST, "/api/v1/payment-orders", Some(&finance)).send().unwrap();
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let order: Value = res.json().unwrap();
    let path = format!("/api/v1/payment-orders/{}/paid", order["order"]["id"].as_str().unwrap());
    let bank = json!({"bank_reference": "BR-9", "paid_on": "1403-08-01"});
    assert_eq!(app.post_json(&path, Some(&finance), &bank).status(), 200);
    assert_problem(app.post_json(&path, Some(&finance), &bank), 409, "already_paid");

    // Both claims were decided by the engine at intake (the decision is the receipt): the days
    // from their receipt to 1403-08-01 (2024-10-22).
    let paid = chrono::NaiveDate::from_ymd_opt(2024, 10, 22).unwrap();
    let mut days: Vec<i64> = claims
        .iter()
        .map(|c| {
            let at = c["submitted_at"].as_str().unwrap();
            let d = chrono::DateTime::parse_from_rfc3339(at).unwrap().naive_utc().date();
            (paid - d).num_days().max(0)
        })
        .collect();
    days.sort();
    let hq = app.token_for("hq", Role::Headquarters, Scope::default());
    let t: Value = app.get("/api/v1/reports/turnaround", Some(&hq)).json().unwrap();
    let rows = t["payment"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{t}");
    assert_eq!(
        (rows[0]["office_id"].as_str(), rows[0]["month"].as_str()),
        (Some(office.as_str()), Some("1403-08"))
    );
    assert_eq!(rows[0]["claims"].as_i64(), Some(2), "each claim once, the refused second recording none");
    assert_eq!((rows[0]["p50_days"].as_i64(), rows[0]["max_days"].as_i64()), (Some(days[0]), Some(days[1])));
}
