//! Approved budgets (`/api/v1/budgets`): entry, audited changes, one budget per year, unit and
//! benefit, the all-or-nothing CSV import, and who reads which.

use asnad::auth::Role;
use asnad::db::schema::audit_events;
use asnad::store::audit::AuditEvent;
use diesel::prelude::*;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, Scope, TestApp};

fn office(app: &TestApp, admin: &str, code: &str, province: i32) -> String {
    let res = app.post_json(
        "/api/v1/offices",
        Some(admin),
        &json!({"province_id": province, "code": code, "name_fa": "دفتر", "name_en": format!("Office {code}")}),
    );
    assert_eq!(res.status(), 201);
    res.json::<Value>().unwrap()["id"].as_str().unwrap().to_string()
}

fn budget(office_id: &str, benefit: &str, amount: i64) -> Value {
    json!({"year": 1404, "level": "office", "office_id": office_id, "benefit": benefit, "amount_rials": amount})
}

fn created(app: &TestApp, admin: &str, body: &Value) -> Value {
    let res = app.post_json("/api/v1/budgets", Some(admin), body);
    assert_eq!(res.status(), 201, "{:?}", res.text());
    res.json().unwrap()
}

fn import(app: &TestApp, token: &str, csv: &str) -> reqwest::blocking::Response {
    app.request(Method::POST, "/api/v1/budgets/import", Some(token))
        .header("Content-Type", "text/csv; charset=utf-8")
        .body(csv.to_string())
        .send()
        .unwrap()
}

fn events_of(app: &TestApp, id: &str) -> Vec<AuditEvent> {
    let mut conn = app.pool.get().unwrap();
    audit_events::table
        .filter(audit_events::entity.eq("budget"))
        .filter(audit_events::entity_id.eq(id))
        .order(audit_events::seq.asc())
        .select(AuditEvent::as_select())
        .load(&mut *conn)
        .unwrap()
}

fn list(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let res = app.get(&format!("/api/v1/budgets{query}"), Some(token));
    assert_eq!(res.status(), 200);
    res.json::<Value>().unwrap()["items"].as_array().unwrap().clone()
}

#[test]
fn an_admin_enters_a_budget_and_its_change_is_audited() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let o = office(&app, &admin, "THR-01", 1);
    let b = created(
        &app,
        &admin,
        &json!({"year": 1404, "level": "office", "office_id": o, "benefit": "devices",
        "amount_rials": 4_800_000_000i64, "note": "  مصوبهٔ   شورا ۱۲ "}),
    );
    assert_eq!(b["amount_rials"], 4_800_000_000i64);
    assert_eq!(b["level"], "office");
    assert_eq!(b["benefit"], "devices");
    assert_eq!(b["province_id"], Value::Null);
    assert_eq!(b["note"], "مصوبهٔ شورا 12", "normalized, Latin digits");
    let id = b["id"].as_str().unwrap().to_string();
    assert_eq!(app.get(&format!("/api/v1/budgets/{id}"), Some(&admin)).json::<Value>().unwrap(), b);

    // The amount changes in place: the same row, the audit trail holds before and after.
    let res = app.put_json(
        &format!("/api/v1/budgets/{id}"),
        Some(&admin),
        &json!({"amount_rials": 5_100_000_000i64}),
    );
    assert_eq!(res.status(), 200);
    let changed: Value = res.json().unwrap();
    assert_eq!(
        (changed["id"].as_str(), changed["amount_rials"].as_i64()),
        (Some(id.as_str()), Some(5_100_000_000))
    );
    assert_eq!(changed["note"], Value::Null);
    assert_eq!(list(&app, &admin, "").len(), 1);
    let events = events_of(&app, &id);
    assert_eq!(events.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["created", "updated"]);
    let before: Value = serde_json::from_str(events[1].before_state.as_deref().unwrap()).unwrap();
    let after: Value = serde_json::from_str(events[1].after_state.as_deref().unwrap()).unwrap();
    assert_eq!(
        (before["amount_rials"].as_i64(), after["amount_rials"].as_i64()),
        (Some(4_800_000_000), Some(5_100_000_000))
    );
    assert_eq!(events[1].actor_name, "root");

    // A province's budget names its province only.
    let p = created(
        &app,
        &admin,
        &json!({"year": 1404, "level": "province", "province_id": 1, "benefit": "claims",
        "amount_rials": 90_000_000_000i64}),
    );
    assert_eq!((p["province_id"].as_i64(), &p["office_id"]), (Some(1), &Value::Null));
}

#[test]
fn one_budget_per_year_unit_and_benefit_and_every_field_checked() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let o = office(&app, &admin, "THR-01", 1);
    created(&app, &admin, &budget(&o, "claims", 1_000_000));
    assert_problem(
        app.post_json("/api/v1/budgets", Some(&admin), &budget(&o, "claims", 2_000_000)),
        409,
        "budget_exists",
    );
    // Another benefit or another year is another budget.
    created(&app, &admin, &budget(&o, "travel", 1_000_000));
    let mut next_year = budget(&o, "claims", 1_000_000);
    next_year["year"] = json!(1405);
    created(&app, &admin, &next_year);
    // The same for provinces (the NULL office must not let duplicates through).
    let prov =
        json!({"year": 1404, "level": "province", "province_id": 3, "benefit": "claims", "amount_rials": 5});
    created(&app, &admin, &prov);
    assert_problem(app.post_json("/api/v1/budgets", Some(&admin), &prov), 409, "budget_exists");

    let fields = |body: Value| -> Vec<String> {
        let v =
            assert_problem(app.post_json("/api/v1/budgets", Some(&admin), &body), 422, "validation_failed");
        v["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(fields(budget(&o, "claims", 0)), ["amount_rials"]);
    assert_eq!(fields(budget(&o, "drugs", 1)), ["benefit"]);
    assert_eq!(fields(budget("no-such-office", "claims", 1)), ["office_id"]);
    assert_eq!(
        fields(
            json!({"year": 1404, "level": "office", "province_id": 1, "benefit": "claims", "amount_rials": 1})
        ),
        ["province_id", "office_id"]
    );
    assert_eq!(
        fields(
            json!({"year": 1404, "level": "province", "province_id": 99, "benefit": "claims", "amount_rials": 1})
        ),
        ["province_id"]
    );
    let put = app.put_json("/api/v1/budgets/nope", Some(&admin), &json!({"amount_rials": 1}));
    assert_problem(put, 404, "not_found");
}

#[test]
fn an_import_lists_every_problem_and_writes_nothing_then_upserts() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let o = office(&app, &admin, "THR-01", 1);
    office(&app, &admin, "QOM-01", 3);
    let existing = created(&app, &admin, &budget(&o, "claims", 1_000_000));

    let bad = "year,level,code,benefit,amount_rials,note\n\
               1404,office,THR-01,claims,2000000,\n\
               1404,office,NOPE,claims,5,\n\
               1404,province,THR,drugs,10,\n\
               13,office,QOM-01,travel,-1,\n";
    let v = assert_problem(import(&app, &admin, bad), 422, "validation_failed");
    let problems: Vec<String> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{}: {}", e["field"].as_str().unwrap(), e["message"].as_str().unwrap()))
        .collect();
    assert_eq!(
        problems,
        [
            "line 3: code: no office with code NOPE",
            "line 4: benefit: one of claims, reimbursements, devices, travel",
            "line 5: year: a Jalali year 1300–1600",
            "line 5: amount_rials: a positive whole number of rials",
        ]
    );
    // Nothing was written: the existing budget keeps its amount, no other exists.
    let all = list(&app, &admin, "");
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["amount_rials"], 1_000_000);

    // A good file, with a byte-order mark as Excel saves it and Persian digits in one amount.
    let good = "\u{feff}year,level,code,benefit,amount_rials,note\n\
                1404,office,thr-01,claims,2500000,اصلاحیه\n\
                1404,office,QOM-01,devices,\"3,000,000\",\n\
                1404,province,QOM,travel,۷۰۰۰۰۰,سفر\n";
    let res = import(&app, &admin, good);
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().unwrap(), json!({"rows": 3, "created": 2, "updated": 1, "unchanged": 0}));
    let mut amounts: Vec<(String, i64)> = list(&app, &admin, "?year=1404")
        .iter()
        .map(|b| (b["benefit"].as_str().unwrap().to_string(), b["amount_rials"].as_i64().unwrap()))
        .collect();
    amounts.sort();
    assert_eq!(
        amounts,
        [
            ("claims".to_string(), 2_500_000),
            ("devices".to_string(), 3_000_000),
            ("travel".to_string(), 700_000)
        ]
    );
    let id = existing["id"].as_str().unwrap();
    assert_eq!(events_of(&app, id).len(), 2, "the change by import is audited");
    // The same file again changes nothing.
    let again: Value = import(&app, &admin, good).json().unwrap();
    assert_eq!(again, json!({"rows": 3, "created": 0, "updated": 0, "unchanged": 3}));
    assert_eq!(events_of(&app, id).len(), 2);
    // Only administrators import.
    let reviewer = app.token_for("rev", Role::Reviewer, Scope::office(&o));
    assert_problem(import(&app, &reviewer, good), 403, "forbidden");
}

#[test]
fn each_reads_the_budgets_of_its_scope_only() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let a = office(&app, &admin, "THR-01", 1);
    let b = office(&app, &admin, "THR-02", 1);
    let ba = created(&app, &admin, &budget(&a, "claims", 1_000_000))["id"].as_str().unwrap().to_string();
    let bb = created(&app, &admin, &budget(&b, "claims", 2_000_000))["id"].as_str().unwrap().to_string();
    let province = created(
        &app,
        &admin,
        &json!({"year": 1404, "level": "province", "province_id": 1, "benefit": "claims", "amount_rials": 9}),
    )["id"]
        .as_str()
        .unwrap()
        .to_string();

    let reviewer_a = app.token_for("rev-a", Role::Reviewer, Scope::office(&a));
    let supervisor_a = app.token_for("sup-a", Role::Supervisor, Scope::office(&a));
    for t in [&reviewer_a, &supervisor_a] {
        assert_eq!(app.get(&format!("/api/v1/budgets/{ba}"), Some(t)).status(), 200);
        assert_problem(app.get(&format!("/api/v1/budgets/{bb}"), Some(t)), 404, "not_found");
        // The province's own budget is not the office's.
        assert_problem(app.get(&format!("/api/v1/budgets/{province}"), Some(t)), 404, "not_found");
        let ids: Vec<Value> = list(&app, t, "").iter().map(|b| b["id"].clone()).collect();
        assert_eq!(ids, [json!(ba)]);
        assert!(list(&app, t, &format!("?office_id={b}")).is_empty());
        assert_problem(
            app.put_json(&format!("/api/v1/budgets/{ba}"), Some(t), &json!({"amount_rials": 5})),
            403,
            "forbidden",
        );
        assert_problem(app.post_json("/api/v1/budgets", Some(t), &budget(&a, "travel", 5)), 403, "forbidden");
    }
    // Finance without an office works Organization-wide.
    let finance = app.token_for("fin", Role::Finance, Scope::default());
    assert_eq!(list(&app, &finance, "").len(), 3);
    assert_eq!(list(&app, &finance, "?level=province").len(), 1);

    // Providers, insured persons and the tariff administrator never read budgets.
    let provider = app.token_for("prov", Role::Provider, Scope::provider("some-provider"));
    let insured =
        app.token_for("ins", Role::Insured, Scope { insured_id: Some("someone".into()), ..Scope::default() });
    let tariffs = app.token_for("tar", Role::TariffAdmin, Scope::default());
    for t in [&provider, &insured, &tariffs] {
        assert_problem(app.get("/api/v1/budgets", Some(t)), 403, "forbidden");
        assert_problem(app.get(&format!("/api/v1/budgets/{ba}"), Some(t)), 403, "forbidden");
    }
    assert_problem(app.get("/api/v1/budgets?benefit=drugs", Some(&admin)), 422, "validation_failed");

    // A province scope (the province manager of the reports issue) reads its own budget and its
    // offices', not another province's: the store's condition, on the backend under test.
    let qom = office(&app, &admin, "QOM-01", 3);
    created(&app, &admin, &budget(&qom, "claims", 7));
    created(
        &app,
        &admin,
        &json!({"year": 1404, "level": "province", "province_id": 3, "benefit": "claims", "amount_rials": 8}),
    );
    let mut conn = app.pool.get().unwrap();
    let read = |conn: &mut asnad::db::AnyConnection, scope: asnad::auth::Scope| -> Vec<String> {
        let filter = asnad::store::budgets::BudgetFilter { limit: 100, ..Default::default() };
        let mut ids: Vec<String> = asnad::store::budgets::list(conn, &scope, &filter)
            .unwrap()
            .into_iter()
            .map(|b| b.id.to_string())
            .collect();
        ids.sort();
        ids
    };
    let mut tehran = vec![ba.clone(), bb.clone(), province.clone()];
    tehran.sort();
    assert_eq!(read(&mut conn, asnad::auth::Scope::Province(1)), tehran);
    assert_eq!(read(&mut conn, asnad::auth::Scope::Province(3)).len(), 2);
    assert_eq!(read(&mut conn, asnad::auth::Scope::Office(b.clone().into())), vec![bb]);
    assert_eq!(read(&mut conn, asnad::auth::Scope::All).len(), 5);
    assert!(read(&mut conn, asnad::auth::Scope::Nothing).is_empty());
}
