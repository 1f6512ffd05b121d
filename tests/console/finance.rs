//! Finance's screens over HTTP: who may open them (finance only; reviewers, providers and
//! insured persons get 403), the scope of a finance user bound to an office (another office's
//! settlement, preview, run and reconciliation are refused as "not found"), CSRF on every form
//! (403, nothing changed), an advance recorded paid once, and the overdue list's damages in
//! exact rials.

use asnad::auth::Role;
use chrono::Duration;
use serde_json::{json, Value};

use crate::fixtures::{Office, Provider};
use crate::helpers::{Scope, TestApp, PASSWORD};
use crate::support::{Browser, Page};

pub const INSURED: &str = "0012345679";
pub const SHEBA: &str = "IR820540102680020817909002";

/// A specialist visit billed at the government tariff: 564,000 recognised, 394,800 payable
/// (the 30 % franchise, 169,200, is paid at the counter).
pub fn visit(no: &str, date: &str) -> Value {
    json!({"provider_document_no": no, "setting": "outpatient", "kind": "visit",
           "insured_national_code": INSURED, "physician_council_no": "12345",
           "lines": [{"line_no": 1, "item_type": "visit", "code": "specialist", "quantity": "1",
                      "service_date": date, "billed_amount": 564000}]})
}

/// Finance's month: office A's hospital sent a monthly list of two visits (its advance,
/// 60 % of 789,600 claimed = 473,760, is due); office B's clinic sent one visit, was settled
/// (net 394,800, 18 % a year for late payment) and that settlement is 30 days past due.
pub struct Desk {
    pub office: Office,
    pub hospital: Provider,
    pub other_office: Office,
    pub other: Provider,
    /// Office B's overdue settlement.
    pub overdue: String,
}

pub fn desk(app: &TestApp) -> Desk {
    let world = app.world();
    let office = world.office("FIN-A");
    let other_office = world.office("FIN-B");
    for (o, name) in [(&office, "دفتر رسیدگی غرب تهران"), (&other_office, "دفتر رسیدگی شرق تهران")]
    {
        let res = app.put_json(
            &format!("/api/v1/offices/{}", o.id),
            Some(&world.admin),
            &json!({"province_id": o.province_id, "code": o.code, "name_fa": name, "name_en": "Office"}),
        );
        assert_eq!(res.status(), 200, "{:?}", res.text());
    }
    let hospital = world.hospital(&office).with("name_fa", json!("بیمارستان خصوصی سپیدار")).contracted();
    let other = world
        .hospital(&other_office)
        .with("name_fa", json!("درمانگاه تخصصی نیلوفر"))
        .terms(json!({"late_payment_rate_percent": "18"}))
        .contracted();
    world.insured(INSURED).create();

    // Office A: the monthly list, read in the background; its advance falls due.
    let res = app.post_json(
        "/api/v1/claim-batches",
        Some(&hospital.key),
        &json!({"documents": [visit("L-1", "1403-07-01"), visit("L-2", "1403-07-02")]}),
    );
    assert_eq!(res.status(), 202, "{:?}", res.text());
    let batch: Value = res.json().unwrap();
    wait_done(app, &hospital.key, batch["id"].as_str().unwrap());

    // Office B: one visit, settled by finance through the API, then left unpaid 30 days past due.
    let res = app.post_json("/api/v1/claims", Some(&other.key), &visit("N-1", "1403-07-03"));
    assert!(res.status().is_success(), "{:?}", res.text());
    let fin = app.token_for("finance-api", Role::Finance, Scope::default());
    let res = app.post_json(
        "/api/v1/settlements",
        Some(&fin),
        &json!({"office_id": other_office.id, "service_month": "1403-07"}),
    );
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let run: Value = res.json().unwrap();
    let overdue = run["created"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(run["created"][0]["net_payable"], 394_800);
    set_due(app, &overdue, -30);
    app.create_user("fatemeh", Role::Finance, Scope::default());
    app.create_user("farhad", Role::Finance, Scope::office(&office.id));
    Desk { office, hospital, other_office, other, overdue }
}

fn wait_done(app: &TestApp, key: &str, id: &str) {
    let started = std::time::Instant::now();
    loop {
        let b: Value = app.get(&format!("/api/v1/claim-batches/{id}"), Some(key)).json().unwrap();
        if b["status"] == "done" {
            assert_eq!(b["succeeded"], 2, "{b}");
            return;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "batch not done: {b}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Moves a settlement's due date to `days` from the test's today.
fn set_due(app: &TestApp, id: &str, days: i64) {
    use asnad::db::schema::settlements;
    use diesel::prelude::*;
    // The tests' today (TestApp's fixed_today): 2024-10-10, 1403/07/19.
    let today = chrono::NaiveDate::from_ymd_opt(2024, 10, 10).expect("date");
    let mut conn = app.pool.get().expect("conn");
    diesel::update(settlements::table.find(id))
        .set(settlements::due_on.eq(today + Duration::days(days)))
        .execute(&mut conn)
        .expect("due date");
}

/// Every finance route, GET pages and POST forms; `{id}` filled by the caller.
pub const FINANCE_PAGES: &[&str] = &[
    "/console/finance/advances",
    "/console/finance/runs",
    "/console/finance/settlements",
    "/console/finance/settlements/{id}",
    "/console/finance/settlements/{id}/remittance.csv",
    "/console/finance/orders",
    "/console/finance/orders/{id}",
    "/console/finance/orders/{id}/bank-file.csv",
    "/console/finance/overdue",
    "/console/finance/reconciliation",
];

pub const FINANCE_FORMS: &[&str] = &[
    "/console/finance/advances/{id}/payment",
    "/console/finance/runs",
    "/console/finance/orders",
    "/console/finance/orders/{id}/paid",
];

/// A read through the API, as finance (payment orders are finance's only).
fn api(app: &TestApp, path: &str) -> Value {
    let token = app.login("finance-api", PASSWORD);
    let res = app.get(path, Some(&token));
    assert_eq!(res.status(), 200, "{path}");
    res.json().unwrap()
}

fn advance_id(app: &TestApp) -> String {
    api(app, "/api/v1/advances")["items"][0]["id"].as_str().unwrap().to_string()
}

#[test]
fn finance_pages_are_for_finance_only() {
    let app = TestApp::spawn();
    let d = desk(&app);
    app.create_user("ana", Role::Reviewer, Scope::office(&d.office.id));
    app.create_user("his-sepidar", Role::Provider, Scope::provider(&d.hospital.id));
    let admin = app.login("root", PASSWORD);
    let insured: Value = app.get(&format!("/api/v1/insured/{INSURED}"), Some(&admin)).json().unwrap();
    app.create_user(
        "ali",
        Role::Insured,
        Scope { insured_id: Some(insured["id"].as_str().unwrap().into()), ..Default::default() },
    );
    app.create_user("sara", Role::Supervisor, Scope::office(&d.office.id));
    let advance = advance_id(&app);
    for user in ["ana", "sara", "his-sepidar", "ali"] {
        let b = Browser::signed_in(&app, user);
        for path in FINANCE_PAGES {
            let page = b.get(&path.replace("{id}", &d.overdue));
            assert_eq!(page.status, 403, "{user}: GET {path}");
            assert!(!page.body.contains("نیلوفر"), "{user}: {path} shows the settlement");
        }
        let csrf = b.get("/console/password").csrf();
        for path in FINANCE_FORMS {
            let page = b.post(
                &path.replace("{id}", &advance),
                &[
                    ("csrf", &csrf),
                    ("paid_on", "1403-07-20"),
                    ("bank_reference", "X-1"),
                    ("service_month", "1403-07"),
                    ("office_id", &d.office.id),
                ],
            );
            assert_eq!(page.status, 403, "{user}: POST {path}");
        }
        // Their navigation has no finance entry.
        assert!(!b.get("/console/password").body.contains("/console/finance/"), "{user}: nav");
    }
    // Nothing was paid or settled by them.
    assert_eq!(api(&app, "/api/v1/advances")["items"][0]["status"], "due");
    assert_eq!(api(&app, &format!("/api/v1/settlements?office_id={}", d.office.id))["items"], json!([]));

    // Finance's home is its first screen, with its own navigation.
    let fin = Browser::signed_in(&app, "fatemeh");
    let home = fin.get("/console/");
    assert_eq!((home.status, home.location()), (303, "/console/finance/advances".to_string()));
    let page = fin.get("/console/finance/advances");
    assert_eq!(page.status, 200);
    for entry in ["پیش‌پرداخت‌ها", "تسویه", "دستور پرداخت", "تسویه‌های معوق", "تطبیق"]
    {
        page.assert_contains(&format!(">{entry}</a>"));
    }
}

#[test]
fn every_finance_form_needs_the_csrf_token_and_changes_nothing_without_it() {
    let app = TestApp::spawn();
    let d = desk(&app);
    let advance = advance_id(&app);
    let fin = Browser::signed_in(&app, "fatemeh");
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            format!("/console/finance/advances/{advance}/payment"),
            vec![("paid_on", "1403-07-20"), ("bank_reference", "ADV-1")],
        ),
        (
            "/console/finance/runs".into(),
            vec![("run_for", "office"), ("office_id", &d.office.id), ("service_month", "1403-07")],
        ),
        ("/console/finance/orders".into(), vec![]),
    ];
    for (path, fields) in &forms {
        let mut wrong = fields.clone();
        wrong.push(("csrf", "not-the-token"));
        for form in [fields.clone(), wrong] {
            let page = fin.post(path, &form);
            assert_eq!(page.status, 403, "POST {path} without the token:\n{}", page.body);
        }
    }
    assert_eq!(api(&app, "/api/v1/advances")["items"][0]["status"], "due");
    assert_eq!(api(&app, &format!("/api/v1/settlements?office_id={}", d.office.id))["items"], json!([]));
    assert_eq!(api(&app, "/api/v1/payment-orders")["items"], json!([]));

    // With the token, the same forms work.
    let csrf = fin.get("/console/finance/advances").csrf();
    let page = fin.post(
        &format!("/console/finance/advances/{advance}/payment"),
        &[("csrf", &csrf), ("paid_on", "1403/07/20"), ("bank_reference", "ADV-1")],
    );
    assert_eq!((page.status, page.location()), (303, "/console/finance/advances?done=paid".to_string()));
    let a = &api(&app, "/api/v1/advances")["items"][0];
    assert_eq!(
        (a["status"].as_str(), a["paid_on"].as_str(), a["amount"].as_i64()),
        (Some("paid"), Some("2024-10-11"), Some(473_760))
    );
    // A second recording is refused on the page, in Persian, and changes nothing.
    let again = fin.post(
        &format!("/console/finance/advances/{advance}/payment"),
        &[("csrf", &csrf), ("paid_on", "1403/07/25"), ("bank_reference", "ADV-2")],
    );
    assert_eq!(again.status, 409);
    again.assert_contains("پیش‌تر پرداخت‌شده ثبت شده است");
    assert_eq!(api(&app, "/api/v1/advances")["items"][0]["bank_reference"], "ADV-1");
    // A wrong date is named beside its field.
    let d2 = fin.post(
        &format!("/console/finance/advances/{advance}/payment"),
        &[("csrf", &csrf), ("paid_on", "1403/13/40"), ("bank_reference", "ADV-3")],
    );
    assert_eq!(d2.status, 422);
    d2.assert_contains("paid_on");
}

#[test]
fn a_finance_user_bound_to_an_office_sees_and_settles_only_that_office() {
    let app = TestApp::spawn();
    let d = desk(&app);
    let farhad = Browser::signed_in(&app, "farhad");

    // Advances: only office A's hospital.
    let advances = farhad.get("/console/finance/advances");
    advances.assert_contains("بیمارستان خصوصی سپیدار");
    advances.assert_contains("473,760");
    // Office B's settlement: not in the lists, its remittance and CSV are 404.
    let list = farhad.get("/console/finance/settlements");
    assert_eq!(list.status, 200);
    assert!(!list.body.contains("نیلوفر") && !list.body.contains(&d.overdue), "B's settlement listed");
    assert!(!list.body.contains(&format!("value=\"{}\"", d.other_office.id)), "B offered as a filter");
    assert!(!farhad.get("/console/finance/overdue").body.contains("نیلوفر"), "B's overdue settlement listed");
    for path in [
        format!("/console/finance/settlements/{}", d.overdue),
        format!("/console/finance/settlements/{}/remittance.csv", d.overdue),
    ] {
        let page = farhad.get(&path);
        assert_eq!(page.status, 404, "{path}");
        assert!(!page.body.contains("394,800") && !page.body.contains("394800"), "{path}");
    }
    let other = farhad.get(&format!("/console/finance/settlements?office_id={}", d.other_office.id));
    assert_eq!(other.status, 404, "filtering by another office");
    // Preview, run and reconciliation of office B: refused as "no such office".
    let q = format!("run_for=office&office_id={}&service_month=1403-07", d.other_office.id);
    let preview = farhad.get(&format!("/console/finance/runs?{q}"));
    assert_eq!(preview.status, 422);
    preview.assert_contains("no such office");
    let province = farhad.get("/console/finance/runs?run_for=province&province_id=1&service_month=1403-07");
    assert_eq!(province.status, 422, "a province is wider than farhad's office");
    let csrf = farhad.get("/console/finance/runs").csrf();
    let run = farhad.post(
        "/console/finance/runs",
        &[
            ("csrf", &csrf),
            ("run_for", "office"),
            ("office_id", &d.other_office.id),
            ("service_month", "1403-08"),
        ],
    );
    assert_eq!(run.status, 422);
    assert_eq!(api(&app, "/api/v1/settlements?service_month=1403-08")["items"], json!([]));
    let rec = farhad.get(&format!(
        "/console/finance/reconciliation?office_id={}&service_month=1403-07",
        d.other_office.id
    ));
    assert_eq!(rec.status, 404);

    // His own office: the preview, then the run stores exactly what it showed.
    let mine = farhad.get(&format!(
        "/console/finance/runs?run_for=office&office_id={}&service_month=1403-07",
        d.office.id
    ));
    assert_eq!(mine.status, 200);
    // 789,600 payable; the advance is not paid yet, so nothing is netted.
    assert_eq!(nets(&mine), vec![(d.hospital.id.clone(), "789,600".to_string())]);
    let run = farhad.post(
        "/console/finance/runs",
        &[("csrf", &csrf), ("run_for", "office"), ("office_id", &d.office.id), ("service_month", "1403-07")],
    );
    assert_eq!(run.status, 303, "{}", run.body);
    let stored = api(&app, &format!("/api/v1/settlements?office_id={}", d.office.id));
    assert_eq!(stored["items"][0]["net_payable"], 789_600);
    // A second run is refused on the form, in Persian.
    let again = farhad.post(
        "/console/finance/runs",
        &[("csrf", &csrf), ("run_for", "office"), ("office_id", &d.office.id), ("service_month", "1403-07")],
    );
    assert_eq!(again.status, 409);
    again.assert_contains("پیش‌تر اجرا شده است");
    let rec = farhad
        .get(&format!("/console/finance/reconciliation?office_id={}&service_month=1403-07", d.office.id));
    assert_eq!(rec.status, 200);
    rec.assert_contains("تطبیق دارد");
    rec.assert_contains("789,600");
}

/// The preview's (provider, net) rows, as shown.
pub fn nets(page: &Page) -> Vec<(String, String)> {
    page.body
        .split("<tr data-provider=\"")
        .skip(1)
        .map(|row| {
            let provider = row[..row.find('"').unwrap()].to_string();
            let at = row.find("data-net>").unwrap() + "data-net>".len();
            (provider, row[at..at + row[at..].find('<').unwrap()].to_string())
        })
        .collect()
}

#[test]
fn overdue_settlements_show_the_days_late_and_the_damages() {
    let app = TestApp::spawn();
    let d = desk(&app);
    let fin = Browser::signed_in(&app, "fatemeh");
    let page = fin.get("/console/finance/overdue");
    assert_eq!(page.status, 200);
    page.assert_contains("درمانگاه تخصصی نیلوفر");
    // 394,800 × 18 % × 30 / 365 = 5,840.87… → 5,840.
    page.assert_contains("<b dir=\"ltr\" data-damages>5,840</b>");
    page.assert_contains("<span class=\"n\">30</span>");
    let api_view = api(&app, "/api/v1/settlements?overdue=true");
    assert_eq!(
        (api_view["items"][0]["damages"].as_i64(), api_view["items"][0]["days_late"].as_i64()),
        (Some(5_840), Some(30))
    );
    // Filtered to office A: nothing overdue, and the page says what to do.
    let a = fin.get(&format!("/console/finance/overdue?office_id={}", d.office.id));
    a.assert_contains("تسویهٔ معوقی نیست");
    let _ = d.other;
}
