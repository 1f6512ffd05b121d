//! The administrator's budgets in a real headless Chromium: the year's budgets of two provinces
//! and three offices (imported through the API), a new one entered with the form in grouped
//! Persian digits, the amount changed, and a bad CSV import whose every problem is listed.
//! Screenshots: `admin-budgets-1366`, `admin-budgets-390`, `admin-budgets-import-errors-1366`.

use fantoccini::{Client, Locator};
use reqwest::Method;
use serde_json::{json, Value};

use crate::admin::desk;
use crate::browser_support::{
    accessibility_violations, browser_binaries, fill, in_browser, scrolls_sideways, shoot, sign_in,
    unlabelled_controls, viewport, wait_for_text, wait_for_url, wait_for_value,
};
use crate::helpers::{TestApp, PASSWORD};

const YEAR_FILE: &str = "year,level,code,benefit,amount_rials,note
1404,province,THR,claims,2400000000000,مصوبهٔ شورای درمان ۱۴۰۴/۰۱/۲۰
1404,province,THR,reimbursements,180000000000,
1404,province,THR,devices,95000000000,
1404,province,THR,travel,12000000000,
1404,province,QOM,claims,310000000000,
1404,province,QOM,devices,14500000000,
1404,office,THR-W,claims,860000000000,
1404,office,THR-W,reimbursements,64000000000,
1404,office,THR-E,claims,725000000000,
1404,office,QOM-01,claims,290000000000,
";

#[test]
fn an_administrator_enters_changes_and_imports_budgets() {
    let Some((chromium, chromedriver)) = browser_binaries() else { return };
    let app = TestApp::spawn();
    desk(&app);
    let admin = app.login("root", PASSWORD);
    let office = app.post_json(
        "/api/v1/offices",
        Some(&admin),
        &json!({"province_id": 3, "code": "QOM-01", "name_fa": "دفتر رسیدگی قم", "name_en": "Qom"}),
    );
    assert_eq!(office.status(), 201);
    let res = app
        .request(Method::POST, "/api/v1/budgets/import", Some(&admin))
        .header("Content-Type", "text/csv")
        .body(YEAR_FILE)
        .send()
        .unwrap();
    assert_eq!(res.status(), 200, "{:?}", res.text());

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("budgets-1404.csv");
    std::fs::write(
        &bad,
        "\u{feff}year,level,code,benefit,amount_rials\n1404,office,THR-E,travel,4000000000\n1404,office,ISF-01,claims,1\n14o4,province,QOM,drugs,-3\n",
    )
    .unwrap();
    let base = app.base.clone();
    let bad = bad.display().to_string();
    in_browser(&chromium, &chromedriver, move |c| Box::pin(drive(c, base, bad)));

    // What the browser did, through the API: the new budget, the changed amount, nothing of
    // the bad file.
    let v: Value = app.get("/api/v1/budgets?year=1404&limit=500", Some(&admin)).json().unwrap();
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 11);
    let amount = |benefit: &str, level: &str| -> Vec<i64> {
        items
            .iter()
            .filter(|b| b["benefit"] == benefit && b["level"] == level)
            .map(|b| b["amount_rials"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(amount("devices", "office"), [42_500_000_000]);
    assert_eq!(amount("travel", "office"), Vec::<i64>::new());
    let mut claims = amount("claims", "office");
    claims.sort();
    assert_eq!(claims, [290_000_000_000, 725_000_000_000, 880_000_000_000]);
}

async fn check(c: &Client, what: &str) {
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on {what} at 1366 px");
    assert_eq!(unlabelled_controls(c).await, Vec::<String>::new(), "{what}");
    assert_eq!(accessibility_violations(c).await, Vec::<String>::new(), "{what}");
}

async fn drive(c: &Client, base: String, bad_file: String) {
    let base = base.as_str();
    c.goto(&format!("{base}/console/")).await.expect("open the console");
    wait_for_url(c, "/console/login").await;
    sign_in(c, "root", PASSWORD, "/console/admin/providers").await;
    c.execute("return document.fonts.ready.then(() => true)", vec![]).await.expect("fonts");
    viewport(c, 1366, 900).await;
    c.find(Locator::Css("nav.mainnav a[href='/console/admin/budgets']"))
        .await
        .expect("the budgets entry")
        .click()
        .await
        .expect("go");
    wait_for_url(c, "/console/admin/budgets").await;
    c.goto(&format!("{base}/console/admin/budgets?year=1404")).await.expect("the year 1404");
    wait_for_text(c, "بودجهٔ مصوب سال").await;

    // A new budget: the office of east Tehran, prostheses and orthoses, typed as people type.
    c.find(Locator::Id("b-unit"))
        .await
        .expect("unit")
        .select_by_label("دفتر (THR-E) · تهران")
        .await
        .expect("choose the office");
    c.find(Locator::Id("b-benefit"))
        .await
        .expect("benefit")
        .select_by_value("devices")
        .await
        .expect("benefit");
    c.find(Locator::Id("b-amount")).await.expect("amount").send_keys("۴۲٬۵۰۰٬۰۰۰٬۰۰۰").await.expect("type");
    c.find(Locator::Id("b-note")).await.expect("note").send_keys("ابلاغیهٔ ۱۴۰۴/۰۲").await.expect("type");
    c.find(Locator::XPath("//button[contains(., 'ثبت بودجه')]"))
        .await
        .expect("save")
        .click()
        .await
        .expect("go");
    let page = wait_for_text(c, "بودجه ثبت شد").await;
    assert!(page.contains("42,500,000,000"), "the new amount in grouped rials");

    // Change the amount of the west office's claims budget.
    let west = c
        .find(Locator::XPath(
            "//tr[td[contains(., 'THR-W')] and td[contains(., 'اسناد مراکز طرف قرارداد')]]//a",
        ))
        .await
        .expect("the west office's claims budget");
    west.click().await.expect("open it");
    wait_for_text(c, "تغییر مبلغ بودجه").await;
    wait_for_value(c, "#b-amount", "860000000000").await;
    fill(c, "#b-amount", "880,000,000,000").await;
    c.find(Locator::XPath("//button[contains(., 'ذخیرهٔ مبلغ')]"))
        .await
        .expect("save")
        .click()
        .await
        .expect("go");
    let page = wait_for_text(c, "مبلغ بودجه تغییر کرد").await;
    assert!(page.contains("880,000,000,000"), "the changed amount is listed: {page}");
    // Provinces: 2,400 + 180 + 95 + 12 + 310 + 14.5 billion.
    assert!(page.contains("3,011,500,000,000"), "the provinces' total");
    // Offices: 880 + 64 + 725 + 290 + 42.5 billion.
    assert!(page.contains("2,001,500,000,000"), "the offices' total");
    check(c, "budgets").await;
    shoot(c, 1366, "admin-budgets-1366").await;
    viewport(c, 390, 844).await;
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on budgets at 390 px");
    shoot(c, 390, "admin-budgets-390").await;
    viewport(c, 1366, 900).await;

    // A bad file: every problem listed, nothing imported.
    c.find(Locator::Id("bud-file")).await.expect("file").send_keys(&bad_file).await.expect("choose");
    c.find(Locator::XPath("//button[contains(., 'بررسی و ورود')]"))
        .await
        .expect("import")
        .click()
        .await
        .expect("go");
    let page = wait_for_text(c, "ایراد دارد").await;
    for problem in [
        "line 3: code: no office with code ISF-01",
        "line 4: year: ",
        "line 4: benefit: ",
        "line 4: amount_rials: ",
    ] {
        assert!(page.contains(problem), "{problem} is listed");
    }
    check(c, "budgets import errors").await;
    shoot(c, 1366, "admin-budgets-import-errors-1366").await;
}
