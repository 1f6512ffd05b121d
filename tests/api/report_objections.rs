//! `report_objections`, the provider-quality report's objections aggregate, over HTTP: filed,
//! decided and upheld follow every step of an objection — filed, decided against the provider,
//! proposed above the four-eyes threshold, returned by the supervisor, proposed again and
//! approved in the provider's favour — and after each step the aggregate equals a recount
//! (`reports::verify`). The report reads it under the reader's reach and the month filters; a
//! drifted row is reported by `verify` and put right by `rebuild`.

use asnad::auth::Role;
use diesel::prelude::*;
use reqwest::Method;
use serde_json::{json, Value};

use crate::claims::insured;
use crate::fixtures::World;
use crate::helpers::{Scope, TestApp};

/// A specialist's visit billed 700,000: the engine pays 394,800 (564,000 recognised × 70 %).
fn visit(no: &str, date: &str) -> Value {
    json!({
        "provider_document_no": no, "setting": "outpatient", "kind": "visit",
        "insured_national_code": "0012345679", "physician_council_no": "12345",
        "lines": [{"line_no": 1, "item_type": "visit", "code": "specialist", "quantity": "1",
                   "service_date": date, "billed_amount": 700_000}]
    })
}

fn post(app: &TestApp, path: &str, token: &str) -> reqwest::blocking::Response {
    app.request(Method::POST, path, Some(token)).send().unwrap()
}

fn assert_exact(app: &TestApp) {
    let mut conn = app.pool.get().unwrap();
    let diffs = asnad::services::reports::verify_conn(&mut conn).unwrap();
    assert!(diffs.is_empty(), "the aggregates differ from a recount:\n{}", diffs.join("\n"));
}

/// `(objections, objections_decided, objections_upheld)` of every provider the report lists.
fn objections(
    app: &TestApp,
    token: &str,
    query: &str,
) -> std::collections::BTreeMap<String, (i64, i64, i64)> {
    let res = app.get(&format!("/api/v1/reports/provider-quality{query}"), Some(token));
    assert_eq!(res.status(), 200, "{query}: {:?}", res.text());
    let r: Value = res.json().unwrap();
    r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["provider_id"].as_str().unwrap().to_string(),
                (
                    x["objections"].as_i64().unwrap(),
                    x["objections_decided"].as_i64().unwrap(),
                    x["objections_upheld"].as_i64().unwrap(),
                ),
            )
        })
        .collect()
}

/// A claim sent, taken and cut by `reviewer` to `approved` recognised; approved by `boss` when
/// it waits for the second pair of eyes. Returns its id and payable.
fn cut_claim(app: &TestApp, key: &str, reviewer: &str, boss: &str, no: &str, approved: i64) -> (String, i64) {
    // Each on its own day: a second visit of one physician on one day is not paid (R16).
    let day = 2 + no.bytes().map(u32::from).sum::<u32>() % 14;
    let res = app.post_json("/api/v1/claims", Some(key), &visit(no, &format!("1403-07-{day:02}")));
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let c: Value = res.json().unwrap();
    assert_eq!(c["status"], "pended");
    let id = c["id"].as_str().unwrap().to_string();
    assert_eq!(post(app, &format!("/api/v1/review/claims/{id}/take"), reviewer).status(), 200);
    let res = app.post_json(
        &format!("/api/v1/review/claims/{id}/decision"),
        Some(reviewer),
        &json!({"lines": [{"line_no": 1, "action": "adjust", "approved_amount": approved, "note": "level"}]}),
    );
    let status = res.status().as_u16();
    let out: Value = res.json().unwrap();
    if status == 202 {
        let d = out["decision_id"].as_str().unwrap();
        assert_eq!(post(app, &format!("/api/v1/review/decisions/{d}/approve"), boss).status(), 200);
    } else {
        assert_eq!(status, 200, "{out}");
    }
    let c: Value = app.get(&format!("/api/v1/claims/{id}"), Some(boss)).json().unwrap();
    assert_eq!(c["status"], "partially_approved", "{c}");
    (id, c["totals"]["insurer_payable"].as_i64().unwrap())
}

fn file_objection(app: &TestApp, key: &str, claim: &str) -> String {
    let res = app.post_json(
        &format!("/api/v1/claims/{claim}/objections"),
        Some(key),
        &json!({"reason": "the visit was a specialist's", "line_nos": [1]}),
    );
    assert_eq!(res.status(), 201, "{:?}", res.text());
    res.json::<Value>().unwrap()["id"].as_str().unwrap().to_string()
}

/// A reviewer answers the objection, recognising `approved`: `(http status, decision)`.
fn answer(app: &TestApp, reviewer: &str, oid: &str, approved: i64) -> (u16, Value) {
    let res = app.post_json(
        &format!("/api/v1/objections/{oid}/decision"),
        Some(reviewer),
        &json!({"lines": [{"line_no": 1, "action": "adjust", "approved_amount": approved}]}),
    );
    let status = res.status().as_u16();
    (status, res.json().unwrap())
}

fn objection_status(app: &TestApp, key: &str, claim: &str) -> String {
    let list: Value = app.get(&format!("/api/v1/claims/{claim}/objections"), Some(key)).json().unwrap();
    list["items"][0]["status"].as_str().unwrap().to_string()
}

#[test]
fn objections_filed_decided_and_upheld_stay_exact_through_four_eyes() {
    // A change of the payable above 100,000 rials waits for a supervisor.
    let app = TestApp::spawn_with(|c| c.four_eyes_threshold = 100_000);
    let admin = app.admin_token();
    insured(&app, &admin);
    let world = World::new(&app, admin.clone());
    let office = world.office("ROB");
    let far = world.office_in("ROF", 8);
    let p: Vec<_> =
        (0..3).map(|i| world.hospital(&office).legal_id(&format!("1010101040{i}")).contracted()).collect();
    let pf = world.hospital(&far).legal_id("10101010409").contracted();
    for (o, code, province) in [(&office.id, "ROB", 1), (&far.id, "ROF", 8)] {
        let res = app.put_json(
            &format!("/api/v1/offices/{o}"),
            Some(&admin),
            &json!({"province_id": province, "code": code, "name_fa": "دفتر", "name_en": "Office", "auto_approve_limit": 1}),
        );
        assert_eq!(res.status(), 200, "{:?}", res.text());
    }
    let ana = app.token_for("ana-ro", Role::Reviewer, Scope::office(&office.id));
    // Objections are answered by a reviewer other than the one who decided the claim.
    let omid = app.token_for("omid-ro", Role::Reviewer, Scope::office(&office.id));
    let sara = app.token_for("sara-ro", Role::Supervisor, Scope::office(&office.id));
    let farah = app.token_for("farah-ro", Role::Reviewer, Scope::office(&far.id));
    let fomid = app.token_for("fomid-ro", Role::Reviewer, Scope::office(&far.id));
    let fboss = app.token_for("fboss-ro", Role::Supervisor, Scope::office(&far.id));
    let hq = app.token_for("hq-ro", Role::Headquarters, Scope::default());
    let of = |r: &std::collections::BTreeMap<String, (i64, i64, i64)>, i: usize| r.get(&p[i].id).copied();

    // P0: cut 394,800 → 350,000 (44,800: applied at once); the provider objects.
    let (a, payable_a) = cut_claim(&app, &p[0].key, &ana, &sara, "RO-A", 500_000);
    assert_eq!(payable_a, 350_000);
    let oa = file_objection(&app, &p[0].key, &a);
    assert_exact(&app);
    assert_eq!(of(&objections(&app, &hq, ""), 0), Some((1, 0, 0)));

    // The reviewer confirms the cut: decided, payable unchanged, not upheld.
    let (status, out) = answer(&app, &omid, &oa, 500_000);
    assert_eq!(status, 200, "{out}");
    assert_eq!(
        (out["payable_before"].as_i64(), out["payable_after"].as_i64()),
        (Some(350_000), Some(350_000))
    );
    assert_eq!(objection_status(&app, &p[0].key, &a), "decided");
    assert_exact(&app);
    assert_eq!(of(&objections(&app, &hq, ""), 0), Some((1, 1, 0)));

    // P1: cut 394,800 → 280,000 (114,800: a supervisor approves it); the provider objects.
    let (b, payable_b) = cut_claim(&app, &p[1].key, &ana, &sara, "RO-B", 400_000);
    assert_eq!(payable_b, 280_000);
    let ob = file_objection(&app, &p[1].key, &b);
    assert_exact(&app);
    // Giving the 114,800 back waits for the supervisor: not decided yet.
    let (status, out) = answer(&app, &omid, &ob, 564_000);
    assert_eq!(status, 202, "{out}");
    assert_eq!(
        (out["payable_before"].as_i64(), out["payable_after"].as_i64()),
        (Some(280_000), Some(394_800))
    );
    assert_eq!(objection_status(&app, &p[1].key, &b), "awaiting_approval");
    assert_exact(&app);
    assert_eq!(of(&objections(&app, &hq, ""), 1), Some((1, 0, 0)));
    // The supervisor returns it: open again.
    let d = out["decision_id"].as_str().unwrap();
    assert_eq!(post(&app, &format!("/api/v1/review/decisions/{d}/return"), &sara).status(), 200);
    assert_eq!(objection_status(&app, &p[1].key, &b), "open");
    assert_exact(&app);
    assert_eq!(of(&objections(&app, &hq, ""), 1), Some((1, 0, 0)));
    // Proposed again and approved: decided in the provider's favour.
    let (status, out) = answer(&app, &omid, &ob, 564_000);
    assert_eq!(status, 202, "{out}");
    let d = out["decision_id"].as_str().unwrap();
    assert_eq!(post(&app, &format!("/api/v1/review/decisions/{d}/approve"), &sara).status(), 200);
    assert_eq!(objection_status(&app, &p[1].key, &b), "decided");
    let c: Value = app.get(&format!("/api/v1/claims/{b}"), Some(&sara)).json().unwrap();
    assert_eq!(c["totals"]["insurer_payable"], 394_800);
    assert_exact(&app);

    // P2: filed, nobody has answered. P0 objects to a second claim, still open.
    let (c2, _) = cut_claim(&app, &p[2].key, &ana, &sara, "RO-C", 500_000);
    file_objection(&app, &p[2].key, &c2);
    let (a2, _) = cut_claim(&app, &p[0].key, &ana, &sara, "RO-A2", 500_000);
    file_objection(&app, &p[0].key, &a2);
    // Elsewhere (province 8): an objection upheld at once (44,800 back).
    let (f, _) = cut_claim(&app, &pf.key, &farah, &fboss, "RO-F", 500_000);
    let ofar = file_objection(&app, &pf.key, &f);
    let (status, out) = answer(&app, &fomid, &ofar, 564_000);
    assert_eq!(status, 200, "{out}");
    assert_exact(&app);

    let all = objections(&app, &hq, "");
    assert_eq!(
        (of(&all, 0), of(&all, 1), of(&all, 2), all.get(&pf.id).copied()),
        (Some((2, 1, 0)), Some((1, 1, 1)), Some((1, 0, 0)), Some((1, 1, 1)))
    );
    // P0's rates: both its decided claims objected to, neither objection upheld.
    let res: Value = app.get("/api/v1/reports/provider-quality", Some(&hq)).json().unwrap();
    let row = res["rows"].as_array().unwrap().iter().find(|x| x["provider_id"] == p[0].id.as_str()).unwrap();
    let dec = |v: &Value| v.as_str().map(|s| s.parse::<rust_decimal::Decimal>().unwrap());
    assert_eq!(
        (dec(&row["objection_rate"]), dec(&row["upheld_share"])),
        (Some(rust_decimal::Decimal::from(100)), Some(rust_decimal::Decimal::ZERO))
    );

    // Reach: the Tehran manager and the office's reviewer read their own; the month filters.
    let tehran =
        app.token_for("tehran-ro", Role::ProvinceManager, Scope { province_id: Some(1), ..Scope::default() });
    let mine = objections(&app, &tehran, "");
    assert_eq!(mine.get(&pf.id), None);
    assert_eq!(of(&mine, 1), Some((1, 1, 1)));
    assert_eq!(objections(&app, &ana, ""), objections(&app, &hq, &format!("?office_id={}", office.id)));
    assert_eq!(objections(&app, &hq, "?province_id=8").get(&pf.id).copied(), Some((1, 1, 1)));
    assert_eq!(objections(&app, &hq, "?to=1403-07"), all);
    assert!(objections(&app, &hq, "?from=1403-08").is_empty());
    assert_eq!(
        objections(&app, &hq, &format!("?provider_id={}", p[0].id)).into_iter().collect::<Vec<_>>(),
        vec![(p[0].id.clone(), (2, 1, 0))]
    );

    // A drifted row is reported, and a rebuild puts it right with the same report.
    {
        use asnad::db::schema::report_objections as ro;
        let mut conn = app.pool.get().unwrap();
        diesel::update(ro::table.filter(ro::provider_id.eq(&p[1].id)))
            .set(ro::upheld.eq(ro::upheld - 1))
            .execute(&mut *conn)
            .unwrap();
        let diffs = asnad::services::reports::verify_conn(&mut conn).unwrap();
        assert_eq!(diffs.len(), 1, "{diffs:?}");
        assert!(diffs[0].starts_with("report_objections") && diffs[0].contains(&p[1].id), "{diffs:?}");
        asnad::services::reports::rebuild_conn(&mut conn).unwrap();
    }
    assert_exact(&app);
    assert_eq!(objections(&app, &hq, ""), all);
}
