use asnad::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, Scope, TestApp};

fn office(code: &str, province: i32) -> Value {
    json!({"province_id": province, "code": code, "name_fa": "دفتر رسيدگي  اسناد", "name_en": format!("Office {code}")})
}

#[test]
fn the_31_provinces_are_seeded() {
    let app = TestApp::spawn();
    let token = app.admin_token();
    let body: Value = app.get("/api/v1/provinces", Some(&token)).json().unwrap();
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 31);
    assert_eq!(items[0]["name_fa"], "تهران");
    assert!(items.iter().any(|p| p["name_en"] == "Razavi Khorasan"));
}

#[test]
fn office_crud_by_admin() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let res = app.post_json("/api/v1/offices", Some(&admin), &office("thr-01", 1));
    assert_eq!(res.status(), 201);
    let created: Value = res.json().unwrap();
    // Codes are upper-cased; Arabic yeh/kaf become Persian and spaces collapse.
    assert_eq!(created["code"], "THR-01");
    assert_eq!(created["name_fa"], "دفتر رسیدگی اسناد");
    assert_eq!(created["active"], true);
    let id = created["id"].as_str().unwrap().to_string();

    let got: Value = app.get(&format!("/api/v1/offices/{id}"), Some(&admin)).json().unwrap();
    assert_eq!(got, created);

    assert_problem(
        app.post_json("/api/v1/offices", Some(&admin), &office("THR-01", 1)),
        409,
        "office_code_taken",
    );
    let bad = assert_problem(
        app.post_json("/api/v1/offices", Some(&admin), &office("X", 32)),
        422,
        "validation_failed",
    );
    assert_eq!(bad["errors"][0]["field"], "province_id");

    let mut changed = office("THR-01", 1);
    changed["name_en"] = json!("Tehran office 1");
    changed["phone"] = json!("۰۲۱-۱۲۳۴۵۶۷۸");
    let res = app.put_json(&format!("/api/v1/offices/{id}"), Some(&admin), &changed);
    assert_eq!(res.status(), 200);
    let updated: Value = res.json().unwrap();
    assert_eq!(updated["name_en"], "Tehran office 1");
    assert_eq!(updated["phone"], "021-12345678");

    assert_eq!(app.delete(&format!("/api/v1/offices/{id}"), Some(&admin)).status(), 204);
    let got: Value = app.get(&format!("/api/v1/offices/{id}"), Some(&admin)).json().unwrap();
    assert_eq!(got["active"], false);
    assert_problem(app.get("/api/v1/offices/no-such-office", Some(&admin)), 404, "not_found");
    assert_problem(
        app.put_json("/api/v1/offices/no-such-office", Some(&admin), &office("Z", 2)),
        404,
        "not_found",
    );
}

#[test]
fn only_admins_change_offices_everyone_reads() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let created: Value =
        app.post_json("/api/v1/offices", Some(&admin), &office("ISF-01", 22)).json().unwrap();
    let id = created["id"].as_str().unwrap();
    let reviewer = app.token_for("rev", Role::Reviewer, Scope::office(id));
    let provider = app.token_for("clinic", Role::Provider, Scope::provider("p-1"));
    for token in [&reviewer, &provider] {
        assert_eq!(app.get(&format!("/api/v1/offices/{id}"), Some(token)).status(), 200);
        assert_problem(app.post_json("/api/v1/offices", Some(token), &office("X-1", 3)), 403, "forbidden");
        assert_problem(app.delete(&format!("/api/v1/offices/{id}"), Some(token)), 403, "forbidden");
    }
}

#[test]
fn offices_are_paginated_and_filtered() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    for i in 0..5 {
        let res = app.post_json(
            "/api/v1/offices",
            Some(&admin),
            &office(&format!("F-{i}"), if i < 3 { 24 } else { 25 }),
        );
        assert_eq!(res.status(), 201);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/offices?limit=2&cursor={c}"),
            None => "/api/v1/offices?limit=2".to_string(),
        };
        let page: Value = app.get(&path, Some(&admin)).json().unwrap();
        for item in page["items"].as_array().unwrap() {
            seen.push(item["code"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, ["F-0", "F-1", "F-2", "F-3", "F-4"]);
    let fars: Value = app.get("/api/v1/offices?province_id=24", Some(&admin)).json().unwrap();
    assert_eq!(fars["items"].as_array().unwrap().len(), 3);
}
