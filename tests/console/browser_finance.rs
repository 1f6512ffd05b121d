//! Finance in a real headless Chromium: records an advance paid, previews office A's
//! settlement and runs it (the previewed nets are the stored nets, exact rials, read back through
//! the API), reads and prints the remittance, issues a payment order and downloads its bank file
//! over HTTP with the session's cookie (rows and amounts checked), records it paid, and a second
//! recording from a page opened before is refused on screen. Screenshots: `finance-advances-1366`,
//! `finance-run-preview-1366`, `finance-settlements-1366`, `finance-remittance-1366`,
//! `finance-remittance-print`, `finance-orders-1366`, `finance-order-1366`,
//! `finance-order-paid-twice-1366`, `finance-overdue-1366`, `finance-reconciliation-1366`,
//! `finance-run-preview-390`.

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, Locator};
use serde_json::{json, Value};

use crate::browser_support::{
    accessibility_violations, browser_binaries, click_css, fill, in_browser, scrolls_sideways, shoot,
    sign_in, unlabelled_controls, viewport, wait_for_text, wait_for_url,
};
use crate::finance::{desk, SHEBA};
use crate::helpers::{TestApp, PASSWORD};

/// `Emulation.setEmulatedMedia` through chromedriver: the page as it prints.
#[derive(Debug)]
struct PrintMedia(bool);

impl WebDriverCompatibleCommand for PrintMedia {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let media = if self.0 { "print" } else { "" };
        (
            http::Method::POST,
            Some(json!({"cmd": "Emulation.setEmulatedMedia", "params": {"media": media}}).to_string()),
        )
    }
}

/// What the browser saw: the previewed nets by provider, and the bank file.
struct Seen {
    previewed: Vec<(String, i64)>,
    bank_file: String,
    settlement: String,
}

fn digits(text: &str) -> i64 {
    let neg = text.trim().starts_with('-');
    let n: i64 = text.chars().filter(|c| c.is_ascii_digit()).collect::<String>().parse().expect("an amount");
    if neg {
        -n
    } else {
        n
    }
}

#[test]
fn finance_previews_and_runs_a_settlement_then_pays_its_order_once() {
    let Some((chromium, chromedriver)) = browser_binaries() else { return };
    let app = TestApp::spawn();
    let d = desk(&app);
    let base = app.base.clone();
    let office = d.office.id.clone();
    let seen = in_browser(&chromium, &chromedriver, move |c| Box::pin(drive(c, base, office)));

    // The run stored exactly the previewed nets: 789,600 payable − 473,760 advanced = 315,840.
    let admin = app.login("root", PASSWORD);
    let stored: Value =
        app.get(&format!("/api/v1/settlements?office_id={}", d.office.id), Some(&admin)).json().unwrap();
    let stored: Vec<(String, i64)> = stored["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["provider_id"].as_str().unwrap().to_string(), s["net_payable"].as_i64().unwrap()))
        .collect();
    assert_eq!(seen.previewed, stored, "the preview is what the run stored");
    assert_eq!(stored, vec![(d.hospital.id.clone(), 315_840)]);

    // The bank file: a header, office A's settlement and office B's (approved, not yet ordered).
    let rows: Vec<&str> = seen.bank_file.lines().collect();
    assert_eq!(rows[0], "sheba,name,amount_rials,reference");
    assert!(
        rows.contains(
            &format!("{SHEBA},بیمارستان خصوصی سپیدار,315840,settlement:{}", seen.settlement).as_str()
        ),
        "{rows:?}"
    );
    assert!(
        rows.contains(&format!("{SHEBA},درمانگاه تخصصی نیلوفر,394800,settlement:{}", d.overdue).as_str()),
        "{rows:?}"
    );
    assert_eq!(rows.len(), 3, "{rows:?}");

    // Paid once: the order and both settlements are paid, with the first reference.
    let finance = app.login("finance-api", PASSWORD);
    let orders: Value = app.get("/api/v1/payment-orders", Some(&finance)).json().unwrap();
    let order = &orders["items"][0];
    assert_eq!(
        (order["status"].as_str(), order["bank_reference"].as_str(), order["total"].as_i64()),
        (Some("paid"), Some("SATNA-1"), Some(710_640))
    );
    let s: Value =
        app.get(&format!("/api/v1/settlements?office_id={}", d.office.id), Some(&admin)).json().unwrap();
    assert_eq!(s["items"][0]["status"], "paid");
}

async fn check(c: &Client, what: &str) {
    viewport(c, 1366, 900).await;
    assert!(!scrolls_sideways(c).await, "{what}: no horizontal scroll at 1366 px");
    assert_eq!(unlabelled_controls(c).await, Vec::<String>::new(), "{what}");
    assert_eq!(accessibility_violations(c).await, Vec::<String>::new(), "{what}");
}

async fn drive(c: &Client, base: String, office: String) -> Seen {
    let base = base.as_str();
    c.goto(&format!("{base}/console/finance/advances")).await.expect("open");
    wait_for_url(c, "/console/login?next=").await;
    sign_in(c, "fatemeh", PASSWORD, "/console/finance/advances").await;
    wait_for_text(c, "473,760").await;
    c.execute("return document.fonts.ready.then(() => true)", vec![]).await.expect("fonts");
    check(c, "advances").await;
    shoot(c, 1366, "finance-advances-1366").await;

    // Record the advance paid (the date is prefilled with today).
    fill(c, "form.fin-pay input[name=bank_reference]", "ADV-77").await;
    click_css(c, "form.fin-pay button[type=submit]").await;
    wait_for_url(c, "done=paid").await;
    wait_for_text(c, "پرداخت علی‌الحساب ثبت شد").await;

    // The run: office A, Mehr 1403, previewed.
    click_css(c, "nav.mainnav a[href='/console/finance/settlements']").await;
    wait_for_url(c, "/console/finance/settlements").await;
    click_css(c, "a[href='/console/finance/runs']").await;
    wait_for_url(c, "/console/finance/runs").await;
    c.find(Locator::Css(&format!("#r-office option[value='{office}']")))
        .await
        .expect("office")
        .click()
        .await
        .expect("choose");
    fill(c, "#r-month", "1403-07").await;
    click_css(c, "form.fin-run button[type=submit]").await;
    wait_for_url(c, "service_month=1403-07").await;
    let body = wait_for_text(c, "پیش‌نمایش تسویهٔ مهر 1403").await;
    assert!(body.contains("315,840"), "the preview shows the net");
    let mut previewed = Vec::new();
    for row in c.find_all(Locator::Css("tr[data-provider]")).await.expect("rows") {
        let provider = row.attr("data-provider").await.expect("attr").expect("provider");
        let net = row.find(Locator::Css("[data-net]")).await.expect("net").text().await.expect("text");
        previewed.push((provider, digits(&net)));
    }
    assert_eq!(previewed.len(), 1);
    check(c, "preview").await;
    shoot(c, 1366, "finance-run-preview-1366").await;
    viewport(c, 390, 800).await;
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on the preview at 390 px");
    shoot(c, 390, "finance-run-preview-390").await;
    viewport(c, 1366, 900).await;

    // Run it: the settlements of the month, A's among them.
    click_css(c, "div.fin-go button[type=submit]").await;
    wait_for_url(c, "done=run").await;
    wait_for_text(c, "تسویه اجرا شد").await;
    check(c, "settlements").await;
    shoot(c, 1366, "finance-settlements-1366").await;

    // Its remittance, on screen and as it prints.
    click_css(c, "table.fin-settlements td.doc a").await;
    wait_for_url(c, "/console/finance/settlements/").await;
    let body = wait_for_text(c, "صورت‌حساب تسویه").await;
    assert!(
        body.contains("315,840") && body.contains("473,760") && body.contains("1403/07/01"),
        "the remittance"
    );
    let url = c.current_url().await.expect("url");
    let settlement = url.path().rsplit('/').next().unwrap().to_string();
    check(c, "remittance").await;
    shoot(c, 1366, "finance-remittance-1366").await;
    c.issue_cmd(PrintMedia(true)).await.expect("print media");
    let hidden = c
        .execute("return getComputedStyle(document.querySelector('.topbar')).display", vec![])
        .await
        .expect("style");
    assert_eq!(hidden, json!("none"), "the console's frame is not printed");
    shoot(c, 1123, "finance-remittance-print").await;
    c.issue_cmd(PrintMedia(false)).await.expect("screen media");

    // Overdue: office B's settlement, 30 days late, with its damages.
    click_css(c, "nav.mainnav a[href='/console/finance/overdue']").await;
    let body = wait_for_text(c, "درمانگاه تخصصی نیلوفر").await;
    assert!(body.contains("5,840"), "the damages");
    check(c, "overdue").await;
    shoot(c, 1366, "finance-overdue-1366").await;

    // Reconciliation of office A's Mehr.
    click_css(c, "nav.mainnav a[href='/console/finance/reconciliation']").await;
    wait_for_url(c, "/console/finance/reconciliation").await;
    c.find(Locator::Css(&format!("#rc-office option[value='{office}']")))
        .await
        .expect("office")
        .click()
        .await
        .expect("choose");
    fill(c, "#rc-month", "1403-07").await;
    click_css(c, "form.fin-rec-form button[type=submit]").await;
    let body = wait_for_text(c, "تطبیق دارد").await;
    assert!(body.contains("789,600"), "the month's payable");
    check(c, "reconciliation").await;
    shoot(c, 1366, "finance-reconciliation-1366").await;

    // A payment order with every approved settlement.
    click_css(c, "nav.mainnav a[href='/console/finance/orders']").await;
    wait_for_url(c, "/console/finance/orders").await;
    wait_for_text(c, "هنوز دستور پرداختی صادر نشده است").await;
    click_css(c, "form[action='/console/finance/orders'] button[type=submit]").await;
    wait_for_url(c, "done=issued").await;
    let body = wait_for_text(c, "دستور پرداخت صادر شد").await;
    assert!(body.contains("710,640"), "the order's total: 315,840 + 394,800");
    check(c, "order").await;
    shoot(c, 1366, "finance-order-1366").await;
    let order_url = c.current_url().await.expect("url");
    let order_path = order_url.path().to_string();

    // The bank file, fetched over HTTP with the session's cookie.
    let cookie = c.get_named_cookie("asnad_session").await.expect("session cookie");
    let bank_file = reqwest::Client::new()
        .get(format!("{base}{order_path}/bank-file.csv"))
        .header("cookie", format!("asnad_session={}", cookie.value()))
        .send()
        .await
        .expect("bank file");
    assert_eq!(bank_file.status(), 200);
    assert!(bank_file.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let bank_file = bank_file.text().await.expect("csv");

    // The same order in a second tab, opened before paying: its form is still there.
    let first = c.window().await.expect("window");
    let second = c.new_window(true).await.expect("new tab").handle;
    c.switch_to_window(second.clone()).await.expect("switch");
    c.goto(&format!("{base}{order_path}")).await.expect("open again");
    wait_for_text(c, "ثبت پرداخت بانک").await;
    c.switch_to_window(first).await.expect("back");

    // Record it paid.
    fill(c, "#o-ref", "SATNA-1").await;
    click_css(c, "form.fin-pay-order button[type=submit]").await;
    wait_for_url(c, "done=paid").await;
    wait_for_text(c, "پرداخت دستور ثبت شد").await;

    // …and again from the stale tab: refused on screen, in Persian.
    c.switch_to_window(second).await.expect("switch");
    fill(c, "#o-ref", "SATNA-2").await;
    click_css(c, "form.fin-pay-order button[type=submit]").await;
    let body = wait_for_text(c, "پیش‌تر پرداخت‌شده ثبت شده است").await;
    assert!(body.contains("role=\"alert\""), "said as an alert");
    assert!(!body.contains("ثبت پرداخت بانک"), "the form is gone: the order is paid");
    check(c, "order paid twice").await;
    shoot(c, 1366, "finance-order-paid-twice-1366").await;

    click_css(c, "nav.mainnav a[href='/console/finance/orders']").await;
    wait_for_text(c, "SATNA-1").await;
    check(c, "orders").await;
    shoot(c, 1366, "finance-orders-1366").await;

    Seen { previewed, bank_file, settlement }
}
