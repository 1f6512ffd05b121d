//! The administrator's budgets page over real HTTP: only administrators open it, every form
//! refuses a request without the CSRF token, a budget is entered and its amount changed through
//! the forms (the page shows the year's budgets grouped by level, in grouped rials, with each
//! level's total), another record is a 404, and a bad CSV import lists every problem as
//! `line N: column: message` and writes nothing.

use serde_json::Value;

use crate::admin::desk;
use crate::helpers::{TestApp, PASSWORD};
use crate::provider::multipart;
use crate::support::{Browser, Page};

const NO_ID: &str = "01000000-0000-7000-8000-000000000000";

fn import(b: &Browser<'_>, csv: &str, csrf: Option<&str>) -> Page {
    let mut fields = vec![("year", "1404")];
    if let Some(c) = csrf {
        fields.push(("csrf", c));
    }
    multipart(b, "/console/admin/budgets/import", &fields, Some((csv.as_bytes(), "budgets.csv")))
}

fn budgets(app: &TestApp) -> Vec<Value> {
    let admin = app.login("root", PASSWORD);
    let v: Value = app.get("/api/v1/budgets?year=1404", Some(&admin)).json().unwrap();
    v["items"].as_array().unwrap().clone()
}

#[test]
fn only_administrators_open_the_budgets_and_every_form_needs_the_token() {
    let app = TestApp::spawn();
    let ids = desk(&app);
    for user in ["ana", "sara", "fatemeh", "dr-moein", "tarrif", "sepidar", "maryam"] {
        let b = Browser::signed_in(&app, user);
        let csrf = b.get("/console/password").csrf();
        assert_eq!(b.get("/console/admin/budgets").status, 403, "{user}");
        assert_eq!(b.get(&format!("/console/admin/budgets/{NO_ID}")).status, 403, "{user}");
        let form = [("csrf", csrf.as_str()), ("unit", "province:1"), ("benefit", "claims"), ("amount", "5")];
        assert_eq!(b.post("/console/admin/budgets", &form).status, 403, "{user}");
        assert_eq!(import(&b, "year,level,code,benefit,amount_rials\n", Some(&csrf)).status, 403, "{user}");
        assert!(!b.get("/console/").body.contains("/console/admin/budgets"), "{user} has no budgets entry");
    }
    let admin = Browser::signed_in(&app, "root");
    let home = admin.get("/console/admin/budgets?year=1404");
    assert_eq!(home.status, 200);
    home.assert_contains("href=\"/console/admin/budgets\" aria-current=\"page\"");
    let unit = format!("office:{}", ids.office);
    let form = [("year", "1404"), ("unit", unit.as_str()), ("benefit", "claims"), ("amount", "5")];
    assert_eq!(admin.post("/console/admin/budgets", &form).status, 403, "no token");
    assert_eq!(
        import(&admin, "year,level,code,benefit,amount_rials\n1404,province,THR,claims,5\n", None).status,
        403
    );
    assert!(budgets(&app).is_empty(), "nothing was written");
    assert_eq!(admin.get(&format!("/console/admin/budgets/{NO_ID}")).status, 404);
}

#[test]
fn a_budget_is_entered_changed_and_imported_through_the_page() {
    let app = TestApp::spawn();
    let ids = desk(&app);
    let admin = Browser::signed_in(&app, "root");
    let csrf = admin.get("/console/admin/budgets?year=1404").csrf();
    let unit = format!("office:{}", ids.office);

    // A refused input is the form again with the error beside the field, nothing written.
    let bad = admin.post(
        "/console/admin/budgets",
        &[("csrf", &csrf), ("year", "1404"), ("unit", &unit), ("benefit", "claims"), ("amount", "0")],
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    bad.assert_contains("id=\"b-amount\" name=\"amount\" type=\"text\" inputmode=\"numeric\" dir=\"ltr\" value=\"0\" aria-invalid=\"true\"");
    assert!(budgets(&app).is_empty());

    // Entered with grouped Persian digits, as people type amounts.
    let done = admin.post(
        "/console/admin/budgets",
        &[
            ("csrf", &csrf),
            ("year", "1404"),
            ("unit", &unit),
            ("benefit", "claims"),
            ("amount", "۱٬۲۰۰٬۰۰۰٬۰۰۰"),
            ("note", "مصوبهٔ ۱۲"),
        ],
    );
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location(), "/console/admin/budgets?year=1404&done=created");
    let all = budgets(&app);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["amount_rials"], 1_200_000_000i64);
    let id = all[0]["id"].as_str().unwrap().to_string();
    // The same again is refused with the use case's reason.
    let again = admin.post(
        "/console/admin/budgets",
        &[("csrf", &csrf), ("year", "1404"), ("unit", &unit), ("benefit", "claims"), ("amount", "1")],
    );
    assert_eq!(again.status, 409);
    again.assert_contains("change its amount instead");

    // A province's budget, then the page: grouped by level, grouped rials, each level's total.
    let prov = admin.post(
        "/console/admin/budgets",
        &[
            ("csrf", &csrf),
            ("year", "1404"),
            ("unit", "province:1"),
            ("benefit", "devices"),
            ("amount", "30000000000"),
        ],
    );
    assert_eq!(prov.status, 303);
    let page = admin.get("/console/admin/budgets?year=1404");
    assert_eq!(page.status, 200);
    let provinces = page.body.find("بودجهٔ استان‌ها").unwrap();
    let offices = page.body.find("بودجهٔ دفاتر رسیدگی").unwrap();
    assert!(provinces < offices, "provinces first");
    page.assert_contains("<span dir=\"ltr\">30,000,000,000</span>");
    page.assert_contains("<span dir=\"ltr\">1,200,000,000</span>");
    page.assert_contains("پروتز و اروتز");
    page.assert_contains("<b dir=\"ltr\">31,200,000,000</b>");
    assert!(admin.get("/console/admin/budgets?year=1403").body.contains("بودجه‌ای در این سطح ثبت نشده است"));

    // Changing the amount: the edit form, then the same row with the new amount.
    let edit = admin.get(&format!("/console/admin/budgets/{id}"));
    assert_eq!(edit.status, 200);
    edit.assert_contains("value=\"1200000000\"");
    let changed =
        admin.post(&format!("/console/admin/budgets/{id}"), &[("csrf", &csrf), ("amount", "1,350,000,000")]);
    assert_eq!(changed.status, 303, "{}", changed.body);
    assert_eq!(changed.location(), "/console/admin/budgets?year=1404&done=updated");
    let all = budgets(&app);
    assert_eq!(all.len(), 2);
    let office_budget = all.iter().find(|b| b["id"] == id.as_str()).unwrap();
    assert_eq!(office_budget["amount_rials"], 1_350_000_000i64);
    assert_eq!(office_budget["note"], Value::Null, "an emptied note is cleared");

    // A bad file: every problem listed, nothing written.
    let bad = import(
        &admin,
        "year,level,code,benefit,amount_rials,note\n1404,office,THR-W,travel,5000000,\n1404,office,NOPE,claims,1,\n1404,province,THR,drugs,x,\n",
        Some(&csrf),
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    bad.assert_contains("<code>line 3: code: no office with code NOPE</code>");
    bad.assert_contains("<code>line 4: benefit: one of claims, reimbursements, devices, travel</code>");
    bad.assert_contains("<code>line 4: amount_rials: a positive whole number of rials</code>");
    bad.assert_contains("چیزی وارد نشد");
    assert_eq!(budgets(&app).len(), 2);

    // The corrected file, with a byte-order mark: one new, one changed.
    let good = import(
        &admin,
        "\u{feff}year,level,code,benefit,amount_rials\n1404,office,THR-W,travel,5000000\n1404,province,THR,devices,31000000000\n",
        Some(&csrf),
    );
    assert_eq!(good.status, 200, "{}", good.body);
    good.assert_contains("پرونده وارد شد: 2 سطر · 1 بودجهٔ تازه · 1 تغییر · 0 بی‌تغییر.");
    good.assert_contains("<span dir=\"ltr\">31,000,000,000</span>");
    assert_eq!(budgets(&app).len(), 3);
}
