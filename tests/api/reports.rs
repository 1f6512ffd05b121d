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
    assert_eq!(all["rows_total"].as_u64(), Some(want.len() as u64));
    // Largest first; `?limit=` cuts the rows, never the totals.
    let amounts: Vec<i64> =
        all["rows"].as_array().unwrap().iter().map(|r| r["amount"].as_i64().unwrap()).collect();
    assert!(amounts.windows(2).all(|w| w[0] >= w[1]), "largest first: {amounts:?}");
    let one = report(&app, &hq, "?limit=1");
    assert_eq!(one["rows"].as_array().unwrap().len(), 1);
    assert_eq!(one["rows"][0], all["rows"][0]);
    assert_eq!(
        (&one["rows_total"], &one["by_reason"], &one["by_provider"]),
        (&all["rows_total"], &all["by_reason"], &all["by_provider"])
    );
    for bad in ["0", "100001", "x"] {
        let res = app.get(&format!("/api/v1/reports/deductions?limit={bad}"), Some(&hq));
        assert_eq!(res.status(), 422, "limit={bad}");
        assert!(res.text().unwrap().contains("limit"));
    }
    // By reason and by provider: the sums of the cube.
    let mut reasons: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut providers: BTreeMap<String, i64> = BTreeMap::new();
    for ((reason, provider, _), (lines, amount)) in &want {
        let r = reasons.entry(reason.clone()).or_default();
        r.0 += lines;
        r.1 += amount;
        *providers.entry(provider.clone()).or_default() += amount;
    }
    let got: BTreeMap<String, (i64, i64)> = all["by_reason"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["reason"].as_str().unwrap().to_string(),
                (r["lines"].as_i64().unwrap(), r["amount"].as_i64().unwrap()),
            )
        })
        .collect();
    assert_eq!(got, reasons);
    let got: BTreeMap<String, i64> = all["by_provider"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["provider_id"].as_str().unwrap().to_string(), p["deducted"].as_i64().unwrap()))
        .collect();
    assert_eq!(got, providers);
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
    assert_eq!(&rows[0][4], "بیمارستان \"البرز\"، شعبهٔ ۲, کرج");

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
    // By provider: A's four decisions only; the other provider of office A's province none.
    let by_a: Value =
        app.get(&format!("/api/v1/reports/turnaround?provider_id={ha}"), Some(&hq)).json().unwrap();
    let rows = by_a["decision"].as_array().unwrap();
    assert!(rows.iter().all(|r| r["office_id"] == office_a), "{by_a}");
    assert_eq!(rows.iter().map(|r| r["claims"].as_i64().unwrap()).sum::<i64>(), 4);
    let by_b: Value =
        app.get(&format!("/api/v1/reports/turnaround?provider_id={hb}"), Some(&hq)).json().unwrap();
    assert!(by_b["decision"].as_array().unwrap().iter().all(|r| r["office_id"] != office_a), "{by_b}");
    assert_problem(
        app.get(&format!("/api/v1/reports/turnaround?provider_id={hb}"), Some(&ana)),
        404,
        "not_found",
    );
    assert_exact(&app);
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
    // The provider's histogram counted the same payments.
    let mine: Value =
        app.get(&format!("/api/v1/reports/turnaround?provider_id={h}"), Some(&hq)).json().unwrap();
    assert_eq!(mine["payment"], t["payment"]);
    assert_exact(&app);
}

// ---------------------------------------------------------------------------------------------
// Provider quality and work accidents

fn post(app: &TestApp, path: &str, token: &str) -> reqwest::blocking::Response {
    app.request(Method::POST, path, Some(token)).send().unwrap()
}

/// A reviewer takes a waiting claim and decides its first line.
fn decide(app: &TestApp, reviewer: &str, claim: &str, line: Value) {
    assert_eq!(post(app, &format!("/api/v1/review/claims/{claim}/take"), reviewer).status(), 200);
    let res = app.post_json(
        &format!("/api/v1/review/claims/{claim}/decision"),
        Some(reviewer),
        &json!({ "lines": [line] }),
    );
    assert_eq!(res.status(), 200, "{:?}", res.text());
}

/// What the test expects of one provider, recomputed from its claims as the API returns them.
#[derive(Default, Debug)]
struct Want {
    claims: i64,
    lines: i64,
    billed: i64,
    payable: i64,
    deducted: i64,
    decided: i64,
    rejected: i64,
}

fn quality(app: &TestApp, token: &str, query: &str) -> Value {
    let res = app.get(&format!("/api/v1/reports/provider-quality{query}"), Some(token));
    assert_eq!(res.status(), 200, "{query}: {:?}", res.text());
    res.json().unwrap()
}

fn dec(v: &Value) -> Option<rust_decimal::Decimal> {
    v.as_str().map(|s| s.parse().unwrap())
}

#[test]
fn provider_quality_equals_the_claims_and_flags_the_one_extreme_provider_among_its_peers() {
    use asnad::domain::report::{is_outlier, median, modified_z_score};
    use asnad::services::reports::percent;
    use rust_decimal::Decimal;

    let app = TestApp::spawn();
    let admin = app.admin_token();
    insured(&app, &admin);
    let world = World::new(&app, admin.clone());
    let office = world.office("QLT");
    // Six hospitals of one office: five alike, P5 bills whole documents (visit, drug, service).
    let hospitals: Vec<_> = (0..6)
        .map(|i| {
            world
                .hospital(&office)
                .legal_id(&format!("1010101030{i}"))
                .with("name_fa", json!(format!("بیمارستان {i}، شعبهٔ مرکزی, تهران")))
                .contracted()
        })
        .collect();
    // Elsewhere (province 8): a hospital that no Tehran reader may see.
    let far = world.office_in("QLF", 8);
    let hf = world.hospital(&far).legal_id("10101010309").contracted();
    let far_claim = send(&app, &hf.key, &visit("F-1", "1403-07-17", 700_000));

    let mut claims_of: Vec<Vec<String>> = vec![Vec::new(); 6];
    for (i, h) in hospitals.iter().enumerate().take(5) {
        for (n, billed) in [(1, 600_000 + 20_000 * i as i64), (2, 650_000 + 30_000 * i as i64)] {
            let c = send(
                &app,
                &h.key,
                &visit(&format!("Q{i}-{n}"), &format!("1403-07-{:02}", 2 * i + n), billed),
            );
            assert!(["approved", "partially_approved"].contains(&c["status"].as_str().unwrap()), "{c}");
            claims_of[i].push(c["id"].as_str().unwrap().to_string());
        }
    }
    for n in 1..=3 {
        // Each on its own day: a second visit of one physician on one day is not paid (R16).
        let mut doc = document(&format!("Q5-{n}"));
        for l in doc["lines"].as_array_mut().unwrap() {
            l["service_date"] = json!(format!("1403-07-{}", 10 + n));
        }
        let c = send(&app, &hospitals[5].key, &doc);
        claims_of[5].push(c["id"].as_str().unwrap().to_string());
    }

    // From now on the office pends everything.
    let res = app.put_json(
        &format!("/api/v1/offices/{}", office.id),
        Some(&admin),
        &json!({"province_id": 1, "code": "QLT", "name_fa": "دفتر", "name_en": "Office", "auto_approve_limit": 1}),
    );
    assert_eq!(res.status(), 200, "{:?}", res.text());
    let ana = app.token_for("ana-q", Role::Reviewer, Scope::office(&office.id));
    let omid = app.token_for("omid-q", Role::Reviewer, Scope::office(&office.id));
    let boss = app.token_for("sara-q", Role::Supervisor, Scope::office(&office.id));

    // P5: a fourth document, rejected by a reviewer.
    let c = send(&app, &hospitals[5].key, &visit("Q5-4", "1403-07-14", 900_000));
    assert_eq!(c["status"], "pended");
    let rejected = c["id"].as_str().unwrap().to_string();
    decide(
        &app,
        &ana,
        &rejected,
        json!({"line_no": 1, "action": "reject", "reason": "R90", "note": "no record"}),
    );
    claims_of[5].push(rejected);

    // P2: a third visit cut by a reviewer; the provider objects, another reviewer gives it back.
    let c = send(&app, &hospitals[2].key, &visit("Q2-3", "1403-07-15", 700_000));
    let cut = c["id"].as_str().unwrap().to_string();
    decide(
        &app,
        &ana,
        &cut,
        json!({"line_no": 1, "action": "adjust", "approved_amount": 400000, "note": "level"}),
    );
    claims_of[2].push(cut.clone());
    let res = app.post_json(
        &format!("/api/v1/claims/{cut}/objections"),
        Some(&hospitals[2].key),
        &json!({"reason": "the visit was a specialist's", "line_nos": [1]}),
    );
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let oid = res.json::<Value>().unwrap()["id"].as_str().unwrap().to_string();
    let res = app.post_json(
        &format!("/api/v1/objections/{oid}/decision"),
        Some(&omid),
        &json!({"lines": [{"line_no": 1, "action": "adjust", "approved_amount": 564000}]}),
    );
    assert_eq!(res.status(), 200, "{:?}", res.text());
    // P1 objects too; nobody has decided it yet.
    let c = send(&app, &hospitals[1].key, &visit("Q1-3", "1403-07-16", 700_000));
    let open = c["id"].as_str().unwrap().to_string();
    decide(
        &app,
        &ana,
        &open,
        json!({"line_no": 1, "action": "adjust", "approved_amount": 500000, "note": "level"}),
    );
    claims_of[1].push(open.clone());
    let res = app.post_json(
        &format!("/api/v1/claims/{open}/objections"),
        Some(&hospitals[1].key),
        &json!({"reason": "the visit was a specialist's", "line_nos": [1]}),
    );
    assert_eq!(res.status(), 201, "{:?}", res.text());

    // P3: the insured person says they did not receive its first visit.
    let person: Value = app.get("/api/v1/insured/0012345679", Some(&admin)).json().unwrap();
    let me = app.token_for(
        "me-q",
        Role::Insured,
        Scope { insured_id: Some(person["id"].as_str().unwrap().to_string()), ..Scope::default() },
    );
    let res = app.post_json(
        &format!("/api/v1/me/claims/{}/not-received", claims_of[3][0]),
        Some(&me),
        &json!({"line_no": 1}),
    );
    assert_eq!(res.status(), 201, "{:?}", res.text());

    // P4: the supervisor sends all its Mehr claims back for review; one is confirmed, one cut;
    // the sample is closed.
    let res = app.post_json(
        "/api/v1/review/samples",
        Some(&boss),
        &json!({"provider_id": hospitals[4].id, "service_month": "1403-07", "method": "all"}),
    );
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let sample: Value = res.json().unwrap();
    let sid = sample["id"].as_str().unwrap().to_string();
    let sampled_payable: i64 =
        sample["claims"].as_array().unwrap().iter().map(|m| m["payable_at_sampling"].as_i64().unwrap()).sum();
    for (k, m) in sample["claims"].as_array().unwrap().iter().enumerate() {
        let line = if k == 0 {
            json!({"line_no": 1, "action": "approve", "note": "seen"})
        } else {
            json!({"line_no": 1, "action": "adjust", "approved_amount": 500000, "note": "level"})
        };
        decide(&app, &omid, m["claim_id"].as_str().unwrap(), line);
    }
    assert_eq!(post(&app, &format!("/api/v1/review/samples/{sid}/close"), &boss).status(), 200);
    assert_exact(&app);

    // Recompute every provider's numbers from its claims as the API returns them.
    let want: Vec<Want> = claims_of
        .iter()
        .map(|ids| {
            let mut w = Want::default();
            for id in ids {
                let c: Value = app.get(&format!("/api/v1/claims/{id}"), Some(&admin)).json().unwrap();
                w.claims += 1;
                w.lines += c["lines"].as_array().unwrap().len() as i64;
                w.billed += c["totals"]["billed"].as_i64().unwrap();
                w.payable += c["totals"]["insurer_payable"].as_i64().unwrap();
                w.deducted += c["totals"]["deducted"].as_i64().unwrap();
                let status = c["status"].as_str().unwrap();
                w.decided += i64::from(["approved", "partially_approved", "rejected"].contains(&status));
                w.rejected += i64::from(status == "rejected");
            }
            w
        })
        .collect();
    let sample_after: i64 = sample["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let c: Value = app
                .get(&format!("/api/v1/claims/{}", m["claim_id"].as_str().unwrap()), Some(&admin))
                .json()
                .unwrap();
            c["totals"]["insurer_payable"].as_i64().unwrap()
        })
        .sum();
    let cost = |w: &Want| {
        (Decimal::from(w.payable) / Decimal::from(w.claims))
            .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
    };
    let rates: Vec<Decimal> = want.iter().map(|w| percent(w.deducted, w.billed).unwrap()).collect();
    let costs: Vec<Decimal> = want.iter().map(cost).collect();

    let hq = app.token_for("hq-q", Role::Headquarters, Scope::default());
    let r = quality(&app, &hq, &format!("?office_id={}", office.id));
    let rows = r["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 6, "{r}");
    for (i, w) in want.iter().enumerate() {
        let row = rows.iter().find(|x| x["provider_id"] == hospitals[i].id.as_str()).unwrap();
        let ctx = format!("P{i}: {row}");
        assert_eq!(
            (
                row["claims"].as_i64(),
                row["lines"].as_i64(),
                row["billed"].as_i64(),
                row["insurer_payable"].as_i64(),
                row["deducted"].as_i64(),
                row["decided"].as_i64(),
                row["rejected"].as_i64()
            ),
            (
                Some(w.claims),
                Some(w.lines),
                Some(w.billed),
                Some(w.payable),
                Some(w.deducted),
                Some(w.decided),
                Some(w.rejected)
            ),
            "{ctx}"
        );
        assert_eq!(row["provider_kind"], "hospital");
        assert_eq!(dec(&row["deduction_rate"]), Some(rates[i]), "{ctx}");
        assert_eq!(dec(&row["rejection_rate"]), percent(w.rejected, w.decided), "{ctx}");
        let (objections, decided, upheld) = match i {
            1 => (1, 0, 0),
            2 => (1, 1, 1),
            _ => (0, 0, 0),
        };
        assert_eq!(
            (
                row["objections"].as_i64(),
                row["objections_decided"].as_i64(),
                row["objections_upheld"].as_i64()
            ),
            (Some(objections), Some(decided), Some(upheld)),
            "{ctx}"
        );
        assert_eq!(dec(&row["objection_rate"]), percent(objections, w.decided), "{ctx}");
        assert_eq!(dec(&row["upheld_share"]), percent(upheld, decided), "{ctx}");
        let (sampled, cut) =
            if i == 4 { (sampled_payable, (sampled_payable - sample_after).max(0)) } else { (0, 0) };
        assert_eq!(
            (row["sampled_payable"].as_i64(), row["sample_cut"].as_i64()),
            (Some(sampled), Some(cut)),
            "{ctx}"
        );
        assert_eq!(dec(&row["sample_cut_rate"]), percent(cut, sampled), "{ctx}");
        assert_eq!(row["cost_per_document"].as_i64(), i64::try_from(costs[i]).ok(), "{ctx}");
        assert_eq!(
            row["kind_median_cost_per_document"].as_i64(),
            median(&costs)
                .map(|m| m.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero))
                .and_then(|m| i64::try_from(m).ok()),
            "{ctx}"
        );
        let flags = if i == 3 { 1 } else { 0 };
        assert_eq!(
            (row["not_received_flags"].as_i64(), row["not_received_open"].as_i64()),
            (Some(flags), Some(flags)),
            "{ctx}"
        );
        let rate_score = modified_z_score(rates[i], &rates);
        let cost_score = modified_z_score(costs[i], &costs);
        assert_eq!(dec(&row["deduction_rate_score"]), rate_score, "{ctx}");
        assert_eq!(dec(&row["cost_per_document_score"]), cost_score, "{ctx}");
        let mut flagged = Vec::new();
        if rate_score.is_some_and(is_outlier) {
            flagged.push("deduction_rate");
        }
        if cost_score.is_some_and(is_outlier) {
            flagged.push("cost_per_document");
        }
        assert_eq!(row["outliers"], json!(flagged), "{ctx}");
        // The crafted office: P5 stands out, nobody else does.
        if i == 5 {
            assert!(flagged.contains(&"cost_per_document"), "{ctx}");
        } else {
            assert!(flagged.is_empty(), "{ctx}");
        }
    }
    let kinds = r["by_kind"].as_array().unwrap();
    assert_eq!(kinds.len(), 1);
    let (claims, payable): (i64, i64) = want.iter().fold((0, 0), |(c, p), w| (c + w.claims, p + w.payable));
    assert_eq!(
        (kinds[0]["providers"].as_i64(), kinds[0]["claims"].as_i64(), kinds[0]["insurer_payable"].as_i64()),
        (Some(6), Some(claims), Some(payable))
    );
    assert_eq!(
        Some(Decimal::from(kinds[0]["cost_per_document"].as_i64().unwrap())),
        Some(
            (Decimal::from(payable) / Decimal::from(claims))
                .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        )
    );

    // One provider is still read against its office's peers: the same scores.
    let one = quality(&app, &hq, &format!("?provider_id={}", hospitals[5].id));
    assert_eq!(one["rows"].as_array().unwrap().len(), 1);
    let full = rows.iter().find(|x| x["provider_id"] == hospitals[5].id.as_str()).unwrap();
    assert_eq!(&one["rows"][0], full);
    // A month range with none of the claims: nothing.
    assert_eq!(quality(&app, &hq, "?from=1403-01&to=1403-06")["rows"], json!([]));

    // Reach: the office's reviewer reads its office; another office is 404. The Tehran manager
    // reads the province (not the far hospital); headquarters everything.
    let mine = quality(&app, &ana, "");
    let ids = |r: &Value| -> std::collections::BTreeSet<String> {
        r["rows"].as_array().unwrap().iter().map(|x| x["provider_id"].as_str().unwrap().to_string()).collect()
    };
    let ours: std::collections::BTreeSet<String> = hospitals.iter().map(|h| h.id.clone()).collect();
    assert_eq!(ids(&mine), ours);
    assert_problem(
        app.get(&format!("/api/v1/reports/provider-quality?office_id={}", far.id), Some(&ana)),
        404,
        "not_found",
    );
    assert_problem(
        app.get(&format!("/api/v1/reports/provider-quality?provider_id={}", hf.id), Some(&ana)),
        404,
        "not_found",
    );
    let tehran =
        app.token_for("tehran-q", Role::ProvinceManager, Scope { province_id: Some(1), ..Scope::default() });
    assert_eq!(ids(&quality(&app, &tehran, "")), ours);
    assert_problem(
        app.get("/api/v1/reports/provider-quality?province_id=8", Some(&tehran)),
        404,
        "not_found",
    );
    let all = quality(&app, &hq, "");
    let mut everyone = ours.clone();
    everyone.insert(hf.id.clone());
    assert_eq!(ids(&all), everyone);
    let far_row =
        all["rows"].as_array().unwrap().iter().find(|x| x["provider_id"] == hf.id.as_str()).unwrap();
    assert_eq!(far_row["insurer_payable"], far_claim["totals"]["insurer_payable"]);
    assert_eq!(far_row["deduction_rate_score"], Value::Null, "alone in its office: no peers, no score");
    assert_eq!(app.get("/api/v1/reports/provider-quality", Some(&hospitals[0].key)).status(), 403);
    assert_eq!(app.get("/api/v1/reports/provider-quality", Some(&me)).status(), 403);
    assert_problem(
        app.get("/api/v1/reports/provider-quality?from=1403-1", Some(&hq)),
        422,
        "validation_failed",
    );

    // CSV: the byte-order mark, Persian headers, the names with commas quoted.
    let res =
        app.get(&format!("/api/v1/reports/provider-quality?format=csv&office_id={}", office.id), Some(&hq));
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    assert!(text.starts_with("شناسهٔ دفتر,شناسهٔ مرکز,مرکز,نوع مرکز,اسناد,"), "{text}");
    assert!(text.contains("\"بیمارستان 5، شعبهٔ مرکزی, تهران\""), "{text}");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(records.len(), 6);
    let p5 = records.iter().find(|r| &r[1] == hospitals[5].id.as_str()).unwrap();
    assert_eq!(&p5[2], "بیمارستان 5، شعبهٔ مرکزی, تهران");
    assert_eq!(p5[7].parse::<i64>().unwrap(), want[5].payable);
}

/// A work-accident document of `employer` served on `date`.
fn accident(no: &str, date: &str, billed: i64, employer: &str, name: &str) -> Value {
    let mut doc = visit(no, date, billed);
    doc["work_accident"] =
        json!({"report_no": format!("R-{no}"), "employer_code": employer, "employer_name": name});
    doc
}

#[test]
fn work_accidents_are_totalled_per_employer_and_month_within_each_readers_reach() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    insured(&app, &admin);
    let (ha, key_a) = setup(&app, &admin, "WAA", "10101010401");
    let world = World::new(&app, admin.clone());
    let far = world.office_in("WAF", 8);
    let hf = world.hospital(&far).legal_id("10101010402").contracted();
    let pa: Value = app.get(&format!("/api/v1/providers/{ha}"), Some(&admin)).json().unwrap();
    let office_a = pa["office_id"].as_str().unwrap().to_string();

    // Two employers, two months, in office A; one more in the far office; one claim that is no
    // work accident.
    let made: Vec<(String, String, Value)> = [
        ("W-1", "1403-06-10", 1_890_000, "1111111", "کارخانهٔ نساجی، شعبهٔ ۱, یزد"),
        ("W-2", "1403-06-20", 700_000, "1111111", "کارخانهٔ نساجی، شعبهٔ ۱, یزد"),
        ("W-3", "1403-07-02", 900_000, "1111111", "کارخانهٔ نساجی، شعبهٔ ۱, یزد"),
        ("W-4", "1403-06-15", 650_000, "2222222", "شرکت ساختمانی البرز"),
        ("W-5", "1403-07-12", 2_000_000, "2222222", "شرکت ساختمانی البرز"),
    ]
    .iter()
    .map(|(no, d, b, e, n)| {
        (e.to_string(), d[..7].to_string(), send(&app, &key_a, &accident(no, d, *b, e, n)))
    })
    .collect();
    send(&app, &key_a, &visit("NOT-WA", "1403-06-11", 1_000_000));
    let far_claim =
        send(&app, &hf.key, &accident("W-9", "1403-07-01", 800_000, "2222222", "شرکت ساختمانی البرز"));

    let sums = |rows: &[&(String, String, Value)]| -> (i64, i64, i64) {
        rows.iter().fold((0, 0, 0), |(c, b, p), (_, _, x)| {
            (
                c + 1,
                b + x["totals"]["billed"].as_i64().unwrap(),
                p + x["totals"]["insurer_payable"].as_i64().unwrap(),
            )
        })
    };
    let got = |v: &Value| {
        (v["claims"].as_i64().unwrap(), v["billed"].as_i64().unwrap(), v["insurer_payable"].as_i64().unwrap())
    };

    let ana = app.token_for("ana-w", Role::Reviewer, Scope::office(&office_a));
    let r: Value = app.get("/api/v1/reports/work-accidents", Some(&ana)).json().unwrap();
    let employers = r["employers"].as_array().unwrap();
    assert_eq!(employers.len(), 2, "{r}");
    for e in employers {
        let code = e["employer_code"].as_str().unwrap();
        let mine: Vec<&(String, String, Value)> = made.iter().filter(|(c, _, _)| c == code).collect();
        assert_eq!(got(&e["total"]), sums(&mine), "{code}");
        let months: Vec<&str> =
            e["months"].as_array().unwrap().iter().map(|m| m["service_month"].as_str().unwrap()).collect();
        assert_eq!(months, ["1403-06", "1403-07"]);
        for m in e["months"].as_array().unwrap() {
            let month = m["service_month"].as_str().unwrap();
            let these: Vec<&(String, String, Value)> =
                mine.iter().copied().filter(|(_, mm, _)| mm == month).collect();
            assert_eq!(got(m), sums(&these), "{code} {month}");
            assert_eq!(m["pending_claims"].as_i64(), Some(0));
        }
    }
    assert_eq!(employers[0]["employer_name"], "کارخانهٔ نساجی، شعبهٔ ۱, یزد");
    let all_a: Vec<&(String, String, Value)> = made.iter().collect();
    assert_eq!(got(&r["total"]), sums(&all_a), "the grand total");

    // Headquarters: the far office's claim too; the Tehran manager not; a month filter.
    let hq = app.token_for("hq-w", Role::Headquarters, Scope::default());
    let all: Value = app.get("/api/v1/reports/work-accidents", Some(&hq)).json().unwrap();
    let (c, b, p) = sums(&all_a);
    assert_eq!(
        got(&all["total"]),
        (
            c + 1,
            b + far_claim["totals"]["billed"].as_i64().unwrap(),
            p + far_claim["totals"]["insurer_payable"].as_i64().unwrap()
        )
    );
    let tehran =
        app.token_for("tehran-w", Role::ProvinceManager, Scope { province_id: Some(1), ..Scope::default() });
    let t: Value = app.get("/api/v1/reports/work-accidents", Some(&tehran)).json().unwrap();
    assert_eq!(t["total"], r["total"]);
    let mehr: Value =
        app.get("/api/v1/reports/work-accidents?from=1403-07&to=1403-07", Some(&ana)).json().unwrap();
    let in_mehr: Vec<&(String, String, Value)> = made.iter().filter(|(_, m, _)| m == "1403-07").collect();
    assert_eq!(got(&mehr["total"]), sums(&in_mehr));
    assert_problem(
        app.get(&format!("/api/v1/reports/work-accidents?office_id={}", far.id), Some(&ana)),
        404,
        "not_found",
    );
    assert_problem(app.get("/api/v1/reports/work-accidents?province_id=8", Some(&tehran)), 404, "not_found");
    assert_eq!(app.get("/api/v1/reports/work-accidents", Some(&key_a)).status(), 403);
    let person: Value = app.get("/api/v1/insured/0012345679", Some(&admin)).json().unwrap();
    let me = app.token_for(
        "me-w",
        Role::Insured,
        Scope { insured_id: Some(person["id"].as_str().unwrap().to_string()), ..Scope::default() },
    );
    assert_eq!(app.get("/api/v1/reports/work-accidents", Some(&me)).status(), 403);

    // CSV: BOM, Persian header, the employer's name with its comma quoted, totals rows.
    let res = app.get("/api/v1/reports/work-accidents?format=csv", Some(&ana));
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    assert!(text.starts_with("کد کارگاه,کارفرما,ماه خدمت,"), "{text}");
    assert!(text.contains("\"کارخانهٔ نساجی، شعبهٔ ۱, یزد\""), "{text}");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    // Two months and a total for each employer, then the grand total.
    assert_eq!(records.len(), 7);
    let last = records.last().unwrap();
    assert_eq!(&last[2], "جمع کل");
    assert_eq!(last[5].parse::<i64>().unwrap(), p);
}
