use std::collections::HashMap;

use asnad::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, Scope, TestApp};

pub fn year_files(year: i32) -> HashMap<String, String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tariffs").join(year.to_string());
    asnad::domain::tariff::FILES
        .iter()
        .map(|f| (f.to_string(), std::fs::read_to_string(dir.join(f)).unwrap()))
        .collect()
}

#[test]
fn shipped_years_are_imported_at_start_and_listed() {
    let app = TestApp::spawn();
    let token = app.token_for("clinic", Role::Provider, Scope::provider("p-1"));
    let body: Value = app.get("/api/v1/tariffs", Some(&token)).json().unwrap();
    let years: Vec<i64> =
        body["items"].as_array().unwrap().iter().map(|t| t["year"].as_i64().unwrap()).collect();
    assert_eq!(years, [1403, 1404, 1405]);
    assert!(body["items"].as_array().unwrap().iter().all(|t| t["status"] == "sample"));
    assert_eq!(body["items"][0]["effective_from"], "1403-01-01");
    assert_eq!(body["items"][0]["effective_from_gregorian"], "2024-03-20");
}

#[test]
fn search_services_drugs_devices() {
    let app = TestApp::spawn();
    let token = app.token_for("rev", Role::Finance, Scope::default());
    let s: Value = app.get("/api/v1/tariffs/1403/services/801175", Some(&token)).json().unwrap();
    assert_eq!(s["flag"], "#");
    assert_eq!(s["professional_units"], "0.54");
    assert_eq!(s["technical_units"], "1.43");
    assert_eq!(s["tariff_status"], "sample");
    // Persian digits in the path are accepted.
    assert_eq!(app.get("/api/v1/tariffs/1403/services/۸۰۱۱۷۵", Some(&token)).status(), 200);

    let by_prefix: Value = app.get("/api/v1/tariffs/1403/services?q=8011", Some(&token)).json().unwrap();
    let codes: Vec<&str> =
        by_prefix["items"].as_array().unwrap().iter().map(|i| i["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"801175") && codes.iter().all(|c| c.starts_with("8011")));
    // Arabic kaf/yeh in the query match Persian text.
    let by_text: Value =
        app.get("/api/v1/tariffs/1403/services?q=ويزيت&limit=3", Some(&token)).json().unwrap();
    let items = by_text["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert!(items.iter().all(|i| i["description_fa"].as_str().unwrap().contains("ویزیت")));
    assert!(by_text["next_cursor"].is_string());
    let labs: Value =
        app.get("/api/v1/tariffs/1403/services?category=lab&limit=500", Some(&token)).json().unwrap();
    assert!(labs["items"].as_array().unwrap().iter().all(|i| i["category"] == "lab"));
    assert_problem(
        app.get("/api/v1/tariffs/1403/services?category=magic", Some(&token)),
        422,
        "validation_failed",
    );

    let d: Value = app.get("/api/v1/tariffs/1403/drugs/10010", Some(&token)).json().unwrap();
    assert_eq!(d["name"], "Amoxicillin 500 mg");
    let by_irc: Value = app.get("/api/v1/tariffs/1403/drugs/6260100100070070", Some(&token)).json().unwrap();
    assert_eq!(by_irc["generic_code"], "10010");
    let found: Value = app.get("/api/v1/tariffs/1403/drugs?q=amoxi", Some(&token)).json().unwrap();
    assert!(found["items"].as_array().unwrap().len() >= 2);

    let glasses: Value = app.get("/api/v1/tariffs/1403/devices?group=glasses", Some(&token)).json().unwrap();
    assert!(glasses["items"].as_array().unwrap().iter().all(|i| i["group"] == "glasses"));
    let dev: Value = app.get("/api/v1/tariffs/1403/devices/d002", Some(&token)).json().unwrap();
    assert_eq!(dev["amount"], 8_200_000);

    assert_problem(app.get("/api/v1/tariffs/1399/services", Some(&token)), 404, "not_found");
    assert_problem(app.get("/api/v1/tariffs/1403/services/999999", Some(&token)), 404, "not_found");
    assert_problem(app.get("/api/v1/tariffs/abcd/services", Some(&token)), 400, "invalid_path");
    assert_problem(app.get("/api/v1/tariffs", None), 401, "unauthenticated");
}

#[test]
fn quote_prices_every_item_type() {
    let app = TestApp::spawn();
    let token = app.token_for("hospital", Role::Provider, Scope::provider("p-9"));
    let body = json!({
        "sector": "private",
        "hospital_grade": 2,
        "lines": [
            {"line_no": 1, "item_type": "service", "code": "801175", "quantity": "2", "service_date": "1403-07-15"},
            {"line_no": 2, "item_type": "visit", "code": "specialist", "quantity": 1, "service_date": "2024-10-06"},
            {"line_no": 3, "item_type": "bed_day", "code": "bed_1", "quantity": "1", "service_date": "۱۴۰۳/۰۷/۱۵"},
            {"line_no": 4, "item_type": "drug", "code": "10010", "quantity": "20", "service_date": "1403-07-15"},
            {"line_no": 5, "item_type": "device", "code": "D002", "quantity": "1", "service_date": "1403-07-15"},
            {"line_no": 6, "item_type": "service", "code": "999999", "quantity": "1", "service_date": "1403-07-15"}
        ]
    });
    let res = app.post_json("/api/v1/pricing/quote", Some(&token), &body);
    assert_eq!(res.status(), 200);
    let q: Value = res.json().unwrap();
    assert_eq!(q["tariff_status"], "sample");
    let l = |i: usize| &q["lines"][i];
    // Hand-computed on the 1403 sample tariff (see src/domain/pricing.rs tests).
    assert_eq!(l(0)["tariff_amount"], 1_466_274);
    assert_eq!(l(0)["cap_amount"], 4_494_704);
    assert_eq!(l(0)["tariff_year"], 1403);
    assert_eq!(l(0)["service_date"], "2024-10-06");
    assert_eq!(l(0)["service_date_jalali"], "1403-07-15");
    assert_eq!(l(0)["rule"], "rvu: 0.54×365400 + 1.43×374700 + 0×365400");
    assert_eq!(
        (l(1)["tariff_amount"].as_i64(), l(1)["cap_amount"].as_i64()),
        (Some(564_000), Some(1_890_000))
    );
    assert_eq!(
        (l(2)["tariff_amount"].as_i64(), l(2)["cap_amount"].as_i64()),
        (Some(10_300_000), Some(48_178_000))
    );
    assert_eq!(l(3)["tariff_amount"], 500_000);
    assert_eq!(l(4)["tariff_amount"], 8_200_000);
    assert_eq!(l(5)["error"]["code"], "R05");
    assert!(l(5).get("tariff_amount").is_none());
    assert_eq!(q["totals"]["tariff"], 1_466_274 + 564_000 + 10_300_000 + 500_000 + 8_200_000);

    // 1405 (the current year) is priced on its own tariff.
    let res = app.post_json(
        "/api/v1/pricing/quote",
        Some(&token),
        &json!({"sector": "government", "lines": [{"line_no": 1, "item_type": "visit", "code": "general", "quantity": "1", "service_date": "2026-11-23"}]}),
    );
    let q: Value = res.json().unwrap();
    assert_eq!(q["lines"][0]["tariff_year"], 1405);
    assert_eq!(q["lines"][0]["service_date_jalali"], "1405-09-02");
}

#[test]
fn quote_names_every_bad_field() {
    let app = TestApp::spawn();
    let token = app.token_for("clinic", Role::Provider, Scope::provider("p-1"));
    let body = json!({
        "sector": "private",
        "lines": [
            {"line_no": 1, "item_type": "service", "code": "801175", "quantity": "0", "service_date": "1403-13-01"},
            {"line_no": 1, "item_type": "visit", "code": "general", "quantity": "1", "service_date": "2024-10-06"}
        ]
    });
    let res =
        assert_problem(app.post_json("/api/v1/pricing/quote", Some(&token), &body), 422, "validation_failed");
    let fields: Vec<&str> =
        res["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["lines[0].service_date", "lines[0].quantity", "lines[1].line_no"]);
    let res = assert_problem(
        app.post_json("/api/v1/pricing/quote", Some(&token), &json!({"sector": "martian", "lines": []})),
        422,
        "validation_failed",
    );
    assert_eq!(res["errors"][0]["field"], "sector");
    let res = assert_problem(
        app.post_json("/api/v1/pricing/quote", Some(&token), &json!({"sector": "private", "lines": [{"line_no": 1, "item_type": "drug", "code": "10010", "quantity": "1"}]})),
        422,
        "validation_failed",
    );
    assert_eq!(res["errors"][0]["field"], "lines[0].service_date");
}

#[test]
fn import_through_the_api() {
    let app = TestApp::spawn();
    let admin = app.token_for("tariffs", Role::TariffAdmin, Scope::default());
    let provider = app.token_for("clinic", Role::Provider, Scope::provider("p-1"));
    let files = year_files(1403);

    // The same content again changes nothing.
    let res = app.post_json("/api/v1/tariffs/import", Some(&admin), &json!({ "files": files }));
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().unwrap()["outcome"], "unchanged");

    // Only tariff admins import.
    assert_problem(
        app.post_json("/api/v1/tariffs/import", Some(&provider), &json!({ "files": files })),
        403,
        "forbidden",
    );

    // Errors name file and line; nothing is imported.
    let mut bad = files.clone();
    let services = bad["services.csv"].replacen(",lab,", ",laboratory,", 1);
    bad.insert("services.csv".into(), services.clone());
    let line = services.lines().position(|l| l.contains(",laboratory,")).unwrap() + 1;
    let res = assert_problem(
        app.post_json("/api/v1/tariffs/import", Some(&admin), &json!({ "files": bad })),
        422,
        "validation_failed",
    );
    assert_eq!(res["errors"][0]["field"], format!("services.csv:{line}"));
    assert!(res["errors"][0]["message"].as_str().unwrap().starts_with("category: must be one of"));

    // An official year, once imported, cannot silently change; a new revision can.
    let mut official = year_files(1405);
    let meta = official["meta.toml"]
        .replace("status = \"sample\"", "status = \"official\"")
        .replace("revision = 1", "revision = 2");
    official.insert("meta.toml".into(), meta.clone());
    let res = app.post_json("/api/v1/tariffs/import", Some(&admin), &json!({ "files": official }));
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let mut changed = official.clone();
    changed.insert("devices.csv".into(), official["devices.csv"].replacen(",24\n", ",36\n", 1));
    assert_problem(
        app.post_json("/api/v1/tariffs/import", Some(&admin), &json!({ "files": changed })),
        409,
        "tariff_revision_refused",
    );
    let mut rev3 = changed.clone();
    rev3.insert("meta.toml".into(), meta.replace("revision = 2", "revision = 3"));
    let res = app.post_json("/api/v1/tariffs/import", Some(&admin), &json!({ "files": rev3 }));
    assert_eq!(res.status(), 201);
    // Re-sending the older revision unchanged is a no-op; changing it is refused.
    let res = app.post_json("/api/v1/tariffs/import", Some(&admin), &json!({ "files": year_files(1405) }));
    assert_eq!(res.status(), 200);
    let mut old = year_files(1405);
    old.insert("devices.csv".into(), old["devices.csv"].replacen(",24\n", ",36\n", 1));
    let res = app.post_json("/api/v1/tariffs/import", Some(&admin), &json!({ "files": old }));
    assert_problem(res, 409, "tariff_revision_refused");

    // The service now prices 1405 on revision 3, official.
    let list: Value = app.get("/api/v1/tariffs", Some(&provider)).json().unwrap();
    let revs: Vec<(i64, i64, String)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["year"] == 1405)
        .map(|t| {
            (
                t["year"].as_i64().unwrap(),
                t["revision"].as_i64().unwrap(),
                t["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        revs,
        [(1405, 1, "sample".into()), (1405, 2, "official".into()), (1405, 3, "official".into())]
    );
    let q: Value = app
        .post_json(
            "/api/v1/pricing/quote",
            Some(&provider),
            &json!({"sector": "government", "lines": [{"line_no": 1, "item_type": "device", "code": "D001", "quantity": "1", "service_date": "1405-05-01"}]}),
        )
        .json()
        .unwrap();
    assert_eq!(q["lines"][0]["tariff_revision"], 3);
    assert_eq!(q["tariff_status"], "official");
}

/// A quote in which no line could be priced names no tariff status; a global code is priced on
/// the bundle of the provider's sector, never below the government bundle.
#[test]
fn quotes_of_nothing_priced_and_of_global_codes() {
    let app = TestApp::spawn();
    let token = app.token_for("hospital", Role::Provider, Scope::provider("p-9"));
    let body = json!({"sector": "private", "lines": [
        {"line_no": 1, "item_type": "service", "code": "999999", "quantity": "1", "service_date": "1405-02-01"}]});
    let q: Value = app.post_json("/api/v1/pricing/quote", Some(&token), &body).json().unwrap();
    assert_eq!(q["tariff_status"], "none", "{q}");
    assert!(q["lines"][0]["error"].is_object() || q["lines"][0]["tariff_amount"].is_null(), "{q}");

    // 428010 (tonsillectomy, global) in 1405: government bundle 38,520,000; the public
    // non-governmental bundle 62,260,000 (the unit formula would give 30,146,900, below it).
    let body = json!({"sector": "public_non_governmental", "lines": [
        {"line_no": 1, "item_type": "service", "code": "428010", "quantity": "1", "service_date": "1405-02-01"}]});
    let q: Value = app.post_json("/api/v1/pricing/quote", Some(&token), &body).json().unwrap();
    assert_eq!(q["tariff_status"], "sample");
    assert_eq!(
        (q["lines"][0]["tariff_amount"].as_i64(), q["lines"][0]["cap_amount"].as_i64()),
        (Some(38_520_000), Some(62_260_000)),
        "{q}"
    );
}

/// Claims keep the revision they were priced with: a correction imported later prices new
/// claims from its effective date and leaves the stored claims as they were.
#[test]
fn a_claim_keeps_its_tariff_revision_after_a_new_one_is_imported() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (_, key) = crate::claims::setup(&app, &admin, "TRF-1", "10101010191");
    crate::claims::insured(&app, &admin);
    let tariffs = app.token_for("tariffs", Role::TariffAdmin, Scope::default());
    let visit = |no: &str, date: &str, billed: i64| {
        let res = app.post_json(
            "/api/v1/claims",
            Some(&key),
            &json!({"provider_document_no": no, "setting": "outpatient", "kind": "visit",
                    "insured_national_code": "0012345679", "physician_council_no": "12345",
                    "lines": [{"line_no": 1, "item_type": "visit", "code": "specialist", "quantity": "1",
                               "service_date": date, "billed_amount": billed}]}),
        );
        assert_eq!(res.status(), 201, "{:?}", res.text());
        res.json::<Value>().unwrap()
    };
    let priced = |c: &Value| {
        let l = &c["lines"][0];
        (
            l["tariff_revision"].as_i64().unwrap(),
            l["tariff_amount"].as_i64().unwrap(),
            l["insurer_payable"].as_i64().unwrap(),
        )
    };

    // 15 Mehr 1403 on revision 1: the specialist visit is 564,000, 394,800 payable.
    let before = visit("T-1", "1403-07-15", 564_000);
    assert_eq!(priced(&before), (1, 564_000, 394_800));
    let id = before["id"].as_str().unwrap();

    // A correction, revision 2 (official), from 1 Mehr: the visit becomes 600,000.
    let mut files = year_files(1403);
    let meta = files["meta.toml"]
        .replace("status = \"sample\"", "status = \"official\"")
        .replace("revision = 1", "revision = 2")
        .replace("effective_from = \"1403-01-01\"", "effective_from = \"1403-07-01\"");
    files.insert("meta.toml".into(), meta);
    let visits = files["visits.csv"].clone();
    let line = visits.lines().find(|l| l.starts_with("specialist,")).unwrap().to_string();
    assert!(line.contains(",564000,"), "{line}");
    files.insert("visits.csv".into(), visits.replacen(&line, &line.replacen(",564000,", ",600000,", 1), 1));
    let res = app.post_json("/api/v1/tariffs/import", Some(&tariffs), &json!({ "files": files }));
    assert_eq!(res.status(), 201, "{:?}", res.text());

    // The stored claim is exactly as it was: revision 1, its amounts, its decision.
    let after: Value = app.get(&format!("/api/v1/claims/{id}"), Some(&key)).json().unwrap();
    assert_eq!(after, before);
    let c: Value = app.get(&format!("/api/v1/claims/{id}"), Some(&admin)).json().unwrap();
    assert_eq!(priced(&c), (1, 564_000, 394_800));

    // A new claim of a later day in Mehr is priced on revision 2; one served before 1 Mehr
    // still on revision 1, which remains the tariff in force for it.
    let new = visit("T-2", "1403-07-16", 600_000);
    assert_eq!(priced(&new), (2, 600_000, 420_000));
    assert_eq!(new["tariff_status"], "official");
    let earlier = visit("T-3", "1403-06-20", 564_000);
    assert_eq!(priced(&earlier), (1, 564_000, 394_800));
    assert_eq!(earlier["tariff_status"], "sample");
}
