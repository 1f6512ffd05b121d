//! The provider's portal in a real headless Chromium: a provider's user signs in, reads the
//! Mehr remittance and the month's deductions, opens the deducted claim, files an objection with
//! a document on the deducted line and sees it listed as open; then requests a
//! pre-authorization with a document and sends a monthly list whose progress htmx follows to
//! the per-document results. Each screen is checked for sideways scroll (1366 and 390 px),
//! labels and axe-core, and photographed: `provider-remittances-1366`,
//! `provider-remittance-1366`, `provider-deductions-1366`, `provider-claim-1366`,
//! `provider-claim-390`, `provider-objections-1366`, `provider-preauth-new-1366`,
//! `provider-preauth-1366`, `provider-preauths-1366`, `provider-batches-1366`,
//! `provider-batch-1366`.

use fantoccini::{Client, Locator};
use serde_json::Value;

use crate::browser_support::{
    accessibility_violations, browser_binaries, click_css, in_browser, scrolls_sideways, shoot, sign_in,
    unlabelled_controls, viewport, wait_for_text, wait_for_url,
};
use crate::helpers::{TestApp, PASSWORD};
use crate::provider::{monthly_csv, world};
use crate::support::SCAN_PNG;
use asnad::console::format::Rials;

/// Checks a screen at 1366 and 390 px (no sideways scroll, every control labelled, no axe-core
/// violation) and photographs it at 1366.
async fn check(c: &Client, name: &str) {
    viewport(c, 1366, 900).await;
    assert!(!scrolls_sideways(c).await, "{name}: no horizontal scroll at 1366 px");
    assert_eq!(unlabelled_controls(c).await, Vec::<String>::new(), "{name}");
    assert_eq!(accessibility_violations(c).await, Vec::<String>::new(), "{name}");
    shoot(c, 1366, name).await;
    viewport(c, 390, 900).await;
    assert!(!scrolls_sideways(c).await, "{name}: no horizontal scroll at 390 px");
    viewport(c, 1366, 900).await;
}

#[test]
fn a_provider_files_an_objection_with_a_document_and_follows_its_work() {
    let Some((chromium, chromedriver)) = browser_binaries() else { return };
    let app = TestApp::spawn();
    let w = world(&app);
    // The files the browser uploads, from disk.
    let dir = tempfile::tempdir().expect("temp dir");
    let scan = dir.path().join("prescription.png");
    std::fs::write(&scan, SCAN_PNG).unwrap();
    let csv = dir.path().join("mehr-1403.csv");
    std::fs::write(&csv, monthly_csv(&w.s.insured)).unwrap();
    let deducted = w.c["lines"][(w.line - 1) as usize]["deducted"].as_i64().unwrap();

    let base = app.base.clone();
    let (claim, line, settlement, insured) =
        (w.claim.clone(), w.line, w.settlement.clone(), w.s.insured.clone());
    let (scan_path, csv_path) = (scan.display().to_string(), csv.display().to_string());
    in_browser(&chromium, &chromedriver, move |c| {
        Box::pin(scenario(c, base, claim, line, deducted, settlement, insured, scan_path, csv_path))
    });

    // The objection is filed, open, with its document, through the API's use cases.
    let admin = app.login("root", PASSWORD);
    let o: Value = app.get(&format!("/api/v1/claims/{}/objections", w.claim), Some(&admin)).json().unwrap();
    assert_eq!(o["items"][0]["status"], "open");
    assert_eq!(o["items"][0]["line_nos"][0].as_i64(), Some(w.line));
    let oid = o["items"][0]["id"].as_str().unwrap();
    let docs: Value = app.get(&format!("/api/v1/objections/{oid}/attachments"), Some(&admin)).json().unwrap();
    assert_eq!(
        (docs["items"][0]["document_type"].as_str(), docs["items"][0]["content_type"].as_str()),
        (Some("prescription"), Some("image/png"))
    );
}

#[allow(clippy::too_many_arguments)]
async fn scenario(
    c: &Client,
    base: String,
    claim: String,
    line: i64,
    deducted: i64,
    settlement: String,
    insured: String,
    scan: String,
    csv: String,
) {
    c.goto(&format!("{base}/console/")).await.expect("open the console");
    wait_for_url(c, "/console/login").await;
    sign_in(c, "sepidar", PASSWORD, "/console/provider/remittances").await;
    wait_for_text(c, "حواله‌ها و تسویه‌ها").await;
    check(c, "provider-remittances-1366").await;

    // The Mehr remittance, line by line.
    click_css(c, &format!("td a[href='/console/provider/remittances/{settlement}']")).await;
    wait_for_url(c, &format!("/console/provider/remittances/{settlement}")).await;
    let body = wait_for_text(c, "صورت‌حساب تسویهٔ مهر 1403").await;
    assert!(body.contains("PV-1403-0712"));
    check(c, "provider-remittance-1366").await;

    // The month's deductions, by reason; the deducted line's claim from there.
    click_css(c, "a[href='/console/provider/deductions?month=1403-07']").await;
    wait_for_url(c, "/console/provider/deductions?month=1403-07").await;
    let body = wait_for_text(c, "کسورات مهر 1403").await;
    assert!(body.contains(&Rials(deducted).to_string()), "the line's deduction in exact rials");
    check(c, "provider-deductions-1366").await;
    click_css(c, &format!("a[href='/console/provider/claims/{claim}']")).await;
    wait_for_url(c, &format!("/console/provider/claims/{claim}")).await;
    wait_for_text(c, "مهلت اعتراض").await;
    check(c, "provider-claim-1366").await;
    viewport(c, 390, 900).await;
    shoot(c, 390, "provider-claim-390").await;
    viewport(c, 1366, 900).await;

    // The objection: the deducted line, the reason, the prescription's scan.
    click_css(c, &format!("input[name=line][value='{line}']")).await;
    c.find(Locator::Id("ob-reason"))
        .await
        .expect("reason")
        .send_keys("۴۰ عدد برای ۲۰ روز تجویز شده است؛ نسخه پیوست است.")
        .await
        .expect("type");
    c.find(Locator::Id("ob-type"))
        .await
        .expect("type")
        .select_by_value("prescription")
        .await
        .expect("choose");
    c.find(Locator::Id("ob-file")).await.expect("file").send_keys(&scan).await.expect("choose the file");
    c.find(Locator::XPath("//button[contains(., 'ثبت اعتراض')]"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("file");
    wait_for_url(c, "done=objected").await;
    let body = wait_for_text(c, "اعتراض ثبت شد").await;
    assert!(body.contains("<span class=\"badge pend\">باز</span>"), "the objection is open");
    assert!(body.contains("نسخه (PNG"), "its document is listed");

    // Listed as open among the provider's objections, with the amount still deducted.
    click_css(c, "nav.mainnav a[href='/console/provider/objections']").await;
    wait_for_url(c, "/console/provider/objections").await;
    let body = wait_for_text(c, "PV-1403-0712").await;
    assert!(body.contains("<span class=\"badge pend\">باز</span>"));
    assert!(body.contains(&Rials(deducted).to_string()));
    check(c, "provider-objections-1366").await;

    // A pre-authorization with its document.
    click_css(c, "nav.mainnav a[href='/console/provider/preauthorizations']").await;
    wait_for_url(c, "/console/provider/preauthorizations").await;
    click_css(c, "a[href='/console/provider/preauthorizations/new']").await;
    wait_for_url(c, "/console/provider/preauthorizations/new").await;
    for (id, text) in [
        ("pa-nc", insured.as_str()),
        ("pa-code", "806035"),
        ("pa-dx", "Q99.9"),
        ("pa-why", "بررسی ناهنجاری کروموزومی؛ دو فرزند با تأخیر رشد"),
    ] {
        c.find(Locator::Id(id)).await.expect(id).send_keys(text).await.expect("type");
    }
    c.find(Locator::Id("pa-file")).await.expect("file").send_keys(&scan).await.expect("choose the file");
    check(c, "provider-preauth-new-1366").await;
    c.find(Locator::XPath("//button[contains(., 'ثبت درخواست')]"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("send");
    wait_for_url(c, "done=requested").await;
    wait_for_text(c, "درخواست ثبت شد").await;
    check(c, "provider-preauth-1366").await;
    click_css(c, "nav.mainnav a[href='/console/provider/preauthorizations']").await;
    wait_for_url(c, "/console/provider/preauthorizations").await;
    wait_for_text(c, "در انتظار تصمیم").await;
    check(c, "provider-preauths-1366").await;

    // The monthly list: progress followed by htmx to each document's result.
    click_css(c, "nav.mainnav a[href='/console/provider/batches']").await;
    wait_for_url(c, "/console/provider/batches").await;
    c.find(Locator::Id("b-file")).await.expect("file").send_keys(&csv).await.expect("choose the file");
    c.find(Locator::XPath("//button[contains(., 'ارسال فهرست')]"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("send");
    wait_for_url(c, "/console/provider/batches/").await;
    let body = wait_for_text(c, "پایان یافت").await;
    assert!(
        body.contains("<span class=\"badge bad\">رد شد</span>") && body.contains("insured_national_code")
    );
    check(c, "provider-batch-1366").await;
    click_css(c, "nav.mainnav a[href='/console/provider/batches']").await;
    wait_for_url(c, "/console/provider/batches").await;
    wait_for_text(c, "فهرست‌های ارسالی").await;
    check(c, "provider-batches-1366").await;
}
