//! Reimbursements in a real headless Chromium: an office clerk files a request for an insured
//! person (a wrong national code first, shown beside its field), uploads a scan with its type
//! and sees the checklist change, submits; a reviewer reduces a line beyond the four-eyes
//! threshold, a supervisor approves. The amounts the API then returns are the decided ones.
//! Screenshots: `reimbursement-file-1366.png`, `reimbursement-file-390.png`,
//! `reimbursement-1366.png`, `reimbursement-decide-1366.png`, `reimbursements-1366.png`.

use fantoccini::{Client, Locator};
use serde_json::{json, Value};

use crate::browser_support::{
    accessibility_violations, browser_binaries, choose, click_text, fill, in_browser, scrolls_sideways,
    shoot, sign_in, unlabelled_controls, viewport, wait_for_text, wait_for_url,
};
use crate::helpers::{TestApp, PASSWORD};
use crate::reimbursements::{file_care, rb_scene, INSURED, SHEBA};
use crate::support::Browser;

#[test]
fn a_clerk_files_uploads_and_submits_a_reviewer_decides_and_a_supervisor_approves() {
    let Some((chromium, chromedriver)) = browser_binaries() else { return };
    let mut app = TestApp::spawn();
    app.restart_with(|c| c.four_eyes_threshold = 100_000);
    rb_scene(&app);
    // An earlier draft, so that the list has company (a draft is no prior care: the new
    // request's visit is not a duplicate of it).
    file_care(&Browser::signed_in(&app, "clerk"));

    let base = app.base.clone();
    let (id, page) = in_browser(&chromium, &chromedriver, move |c| Box::pin(drive(c, base)));

    // What the browser showed is what the API returns: the visit cut to 400,000 recognised,
    // 280,000 reimbursed and 120,000 franchise; the unknown code's 100,000 and the visit's
    // 164,000 cut are not covered.
    let admin = app.login("root", PASSWORD);
    let r: Value = app.get(&format!("/api/v1/reimbursements/{id}"), Some(&admin)).json().unwrap();
    assert_eq!(r["status"], "partially_approved");
    let t = &r["totals"];
    let got =
        ["paid", "reimbursed", "franchise", "above_tariff", "not_covered"].map(|k| t[k].as_i64().unwrap());
    assert_eq!(got, [1_990_000, 280_000, 120_000, 1_326_000, 264_000]);
    let visit = &r["lines"][0];
    assert_eq!((visit["reimbursed"].as_i64(), visit["franchise"].as_i64()), (Some(280_000), Some(120_000)));
    assert_eq!(r["insured_national_code"], INSURED);
    assert_eq!(r["sheba"], SHEBA);
    for v in [&t["reimbursed"], &t["franchise"], &t["not_covered"], &t["paid"]] {
        let shown = asnad::console::format::Rials(v.as_i64().unwrap()).to_string();
        assert!(page.contains(&shown), "{shown} not on the page after the approval");
    }
}

async fn sign_out(c: &Client) {
    c.find(Locator::Css(".user form button")).await.expect("logout").click().await.expect("log out");
    wait_for_url(c, "/console/login").await;
}

async fn drive(c: &Client, base: String) -> (String, String) {
    let base = base.as_str();
    c.goto(&format!("{base}/console/reimbursements")).await.expect("open the list");
    wait_for_url(c, "/console/login?next=").await;
    sign_in(c, "clerk", PASSWORD, "/console/reimbursements").await;
    click_text(c, "ثبت درخواست به نیابت از بیمه‌شده").await;
    wait_for_url(c, "/console/reimbursements/new").await;

    // The form, with a national code whose check digit is wrong.
    fill(c, "#r-insured-national-code", "0012345678").await;
    choose(c, "#r-setting", "outpatient").await;
    choose(c, "#r-kind", "visit").await;
    fill(c, "#r-provider-name", "مطب دکتر نمونه").await;
    choose(c, "#r-provider-kind", "physician_office").await;
    fill(c, "#r-diagnoses", "J06.9").await;
    choose(c, "select[name='line.1.item_type']", "visit").await;
    fill(c, "input[name='line.1.code']", "specialist").await;
    fill(c, "input[name='line.1.service_date']", "1403/07/15").await;
    fill(c, "input[name='line.1.paid_amount']", "1,890,000").await;
    choose(c, "select[name='line.2.item_type']", "service").await;
    fill(c, "input[name='line.2.code']", "999999").await;
    fill(c, "input[name='line.2.service_date']", "1403/07/15").await;
    fill(c, "input[name='line.2.paid_amount']", "100,000").await;
    fill(c, "#r-sheba", SHEBA).await;
    fill(c, "#r-sheba-owner-national-code", INSURED).await;
    click_text(c, "ثبت پیش‌نویس و برآورد").await;
    let body = wait_for_text(c, "درخواست ثبت نشد.").await;
    assert!(body.contains("id=\"r-insured-national-code-err\""), "the error is beside the national code");
    let at = body.find("line.1.paid_amount").unwrap_or(0);
    assert!(
        body.contains("value=\"1,890,000\""),
        "the other values are kept: {}",
        &body[at..(at + 300).min(body.len())]
    );
    viewport(c, 1366, 900).await;
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on the form at 1366 px");
    assert_eq!(unlabelled_controls(c).await, Vec::<String>::new(), "filing form");
    assert_eq!(accessibility_violations(c).await, Vec::<String>::new(), "filing form");
    shoot(c, 1366, "reimbursement-file-1366").await;
    viewport(c, 390, 900).await;
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on the form at 390 px");
    shoot(c, 390, "reimbursement-file-390").await;
    viewport(c, 1366, 900).await;

    // Corrected: the draft with its estimate.
    fill(c, "#r-insured-national-code", INSURED).await;
    click_text(c, "ثبت پیش‌نویس و برآورد").await;
    wait_for_url(c, "done=filed").await;
    let url = c.current_url().await.expect("url").to_string();
    let id = url
        .split("/console/reimbursements/")
        .nth(1)
        .and_then(|rest| rest.split('?').next())
        .expect("the request's id")
        .to_string();
    let body = c.source().await.expect("source");
    let at = body.find("<tfoot>").unwrap_or(0);
    assert!(
        body.contains("394,800") && body.contains("1,990,000"),
        "the estimate in grouped rials: {}",
        &body[at..(at + 1500).min(body.len())]
    );
    assert!(body.contains(r#"data-document-type="invoice" data-present="no""#), "the invoice is missing");

    // The scan, as an invoice: stamped, shown, and the checklist is complete.
    choose(c, "#u-type", "invoice").await;
    let scan = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/console/scan.png");
    c.find(Locator::Id("u-file")).await.expect("file field").send_keys(scan).await.expect("choose the file");
    c.find(Locator::Css(".rb-upload button[type=submit]"))
        .await
        .expect("upload")
        .click()
        .await
        .expect("upload");
    wait_for_url(c, "done=uploaded").await;
    let body = c.source().await.expect("source");
    assert!(body.contains(r#"data-document-type="invoice" data-present="yes""#), "the checklist changed");
    assert!(body.contains("مهر «اسکن شد» · clerk"), "the stamp");
    let loaded = c
        .execute(
            "const i = document.querySelector('.efile img'); return i.decode().then(() => i.naturalWidth > 0)",
            vec![],
        )
        .await
        .expect("scan");
    assert_eq!(loaded, json!(true), "the scan is displayed");
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on the request at 1366 px");
    assert_eq!(unlabelled_controls(c).await, Vec::<String>::new(), "request page");
    assert_eq!(accessibility_violations(c).await, Vec::<String>::new(), "request page");
    shoot(c, 1366, "reimbursement-1366").await;
    viewport(c, 390, 900).await;
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on the request at 390 px");
    viewport(c, 1366, 900).await;

    // Submit.
    click_text(c, "ارسال برای رسیدگی").await;
    wait_for_url(c, "done=submitted").await;
    wait_for_text(c, "در حال رسیدگی").await;
    sign_out(c).await;

    // A reviewer reduces the visit to 400,000 recognised (beyond the 100,000 threshold).
    c.goto(&format!("{base}/console/reimbursements/{id}")).await.expect("open the request");
    wait_for_url(c, "/console/login?next=").await;
    sign_in(c, "reza", PASSWORD, &format!("/console/reimbursements/{id}")).await;
    choose(c, "select[name='action.1']", "adjust").await;
    fill(c, "input[name='amount.1']", "400000").await;
    fill(c, "input[name='lnote.1']", "یک ویزیت به نرخ معمول").await;
    fill(c, "input[name='note']", "کاهش ویزیت").await;
    c.execute("document.getElementById('dline-1').scrollIntoView()", vec![]).await.expect("scroll");
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on the decision at 1366 px");
    assert_eq!(unlabelled_controls(c).await, Vec::<String>::new(), "decision form");
    assert_eq!(accessibility_violations(c).await, Vec::<String>::new(), "decision form");
    shoot(c, 1366, "reimbursement-decide-1366").await;
    click_text(c, "ثبت تصمیم").await;
    wait_for_url(c, "done=awaiting").await;
    let body = wait_for_text(c, "در انتظار تأیید سرپرست").await;
    assert!(!body.contains("تأیید و اعمال تصمیم"), "the reviewer cannot approve their own decision");
    sign_out(c).await;

    // A supervisor approves.
    c.goto(&format!("{base}/console/reimbursements/{id}")).await.expect("open the request");
    wait_for_url(c, "/console/login?next=").await;
    sign_in(c, "sara", PASSWORD, &format!("/console/reimbursements/{id}")).await;
    click_text(c, "تأیید و اعمال تصمیم").await;
    wait_for_url(c, "done=approved").await;
    let page = wait_for_text(c, "تصمیم کارشناس تأیید و اعمال شد").await;
    assert!(page.contains(r#"<span id="rb-decided-by">reza</span>"#), "who decided");
    assert!(page.contains(r#"<span id="rb-approved-by">sara</span>"#), "who approved");
    assert!(page.contains("تأیید با کسور"));

    // The office's list.
    click_text(c, "درخواست‌های بازپرداخت").await;
    wait_for_url(c, "/console/reimbursements").await;
    wait_for_text(c, "تأیید با کسور").await;
    viewport(c, 1366, 900).await;
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on the list at 1366 px");
    assert_eq!(unlabelled_controls(c).await, Vec::<String>::new(), "list page");
    assert_eq!(accessibility_violations(c).await, Vec::<String>::new(), "list page");
    shoot(c, 1366, "reimbursements-1366").await;
    viewport(c, 390, 900).await;
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on the list at 390 px");
    (id, page)
}
