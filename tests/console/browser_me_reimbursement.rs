//! An insured person's own reimbursement in a real headless Chromium on a 390 px phone screen:
//! they file their spouse's visit, photograph the invoice through the camera input (a phone
//! JPEG stored sideways with its EXIF orientation), see the checklist fill and submit; after the
//! office decides and finance pays, they read the decision with its reason and the payment.
//! Screenshots: `me-reimb-file-390`, `me-reimb-draft-390`, `me-reimb-uploaded-390`,
//! `me-reimb-decided-390`, `me-reimbs-390`.

use fantoccini::{Client, Locator};
use serde_json::json;

use crate::browser_support::{
    accessibility_violations, browser_binaries, choose, click_text, fill, in_browser, scrolls_sideways,
    shoot, sign_in, unlabelled_controls, viewport, wait_for_text, wait_for_url,
};
use crate::helpers::{TestApp, PASSWORD};
use crate::me_reimbursements::{decide_visit, me_rb_scene, pay_all, SPOUSE};
use crate::reimbursements::SHEBA;

#[test]
fn an_insured_person_on_a_phone_files_photographs_submits_and_reads_the_decision() {
    let Some((chromium, chromedriver)) = browser_binaries() else { return };
    let app = TestApp::spawn();
    let (office, _) = me_rb_scene(&app);

    let base = app.base.clone();
    let id = in_browser(&chromium, &chromedriver, move |c| Box::pin(file_and_submit(c, base, office)));

    decide_visit(&app, &id);
    pay_all(&app);
    let base = app.base.clone();
    in_browser(&chromium, &chromedriver, move |c| Box::pin(read_the_outcome(c, base, id)));
}

async fn checks(c: &Client, what: &str) {
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on {what} at 390 px");
    assert_eq!(unlabelled_controls(c).await, Vec::<String>::new(), "{what}");
    assert_eq!(accessibility_violations(c).await, Vec::<String>::new(), "{what}");
}

async fn file_and_submit(c: &Client, base: String, office: String) -> String {
    let base = base.as_str();
    viewport(c, 390, 844).await;
    c.goto(&format!("{base}/console/me/reimbursements")).await.expect("open");
    wait_for_url(c, "/console/login").await;
    sign_in(c, "maryam", PASSWORD, "/console/me/reimbursements").await;
    wait_for_text(c, "هنوز درخواست بازپرداختی ندارید").await;
    click_text(c, "درخواست تازه").await;
    wait_for_url(c, "/console/me/reimbursements/new").await;

    choose(c, "#m-patient", SPOUSE).await;
    choose(c, "#m-office", &office).await;
    choose(c, "#m-setting", "outpatient").await;
    choose(c, "#m-kind", "visit").await;
    fill(c, "#m-provider-name", "مطب دکتر نمونه").await;
    choose(c, "#m-provider-kind", "physician_office").await;
    choose(c, "select[name='line.1.item_type']", "visit").await;
    fill(c, "input[name='line.1.code']", "specialist").await;
    fill(c, "input[name='line.1.service_date']", "1403/07/15").await;
    fill(c, "input[name='line.1.paid_amount']", "1,890,000").await;
    fill(c, "#m-sheba", SHEBA).await;
    checks(c, "the filing form").await;
    shoot(c, 390, "me-reimb-file-390").await;
    click_text(c, "ثبت درخواست و رفتن به بارگذاری مدارک").await;
    wait_for_url(c, "done=filed").await;
    let url = c.current_url().await.expect("url").to_string();
    let id = url
        .split("/console/me/reimbursements/")
        .nth(1)
        .and_then(|rest| rest.split('?').next())
        .expect("the request's id")
        .to_string();

    // The draft: its estimate, the invoice missing, sending not yet possible.
    let body = c.source().await.expect("source");
    assert!(body.contains("id=\"mr-reimbursed\">394,800</dd>"), "the estimate in grouped rials");
    assert!(body.contains(r#"data-document-type="invoice" data-present="no""#), "the invoice is missing");
    let send = c.find(Locator::XPath("//button[contains(., 'ارسال برای رسیدگی')]")).await.expect("send");
    assert_eq!(send.attr("disabled").await.expect("attr").as_deref(), Some("true"), "not yet");
    checks(c, "the draft").await;
    shoot(c, 390, "me-reimb-draft-390").await;

    // The camera: a phone's JPEG, stored 640×480 with "rotate 90°" in its EXIF.
    let photo = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/console/phone-receipt.jpg");
    c.find(Locator::Id("u-photo")).await.expect("camera input").send_keys(photo).await.expect("take");
    let chosen = c.find(Locator::Css("[data-chosen]")).await.expect("chosen").text().await.expect("text");
    assert!(chosen.contains("phone-receipt.jpg"), "the page says what was chosen: {chosen}");
    c.find(Locator::Css(".me-upload button[type=submit]"))
        .await
        .expect("upload")
        .click()
        .await
        .expect("upload");
    wait_for_url(c, "done=uploaded").await;
    let body = c.source().await.expect("source");
    assert!(body.contains(r#"data-document-type="invoice" data-present="yes""#), "the checklist filled");
    assert!(body.contains(r#"<progress class="me-progress" max="1" value="1""#), "1 of 1");
    // Shown upright: the browser applies the EXIF orientation, so the 640×480 file is 480×640.
    let size = c
        .execute(
            "const i = document.querySelector('.me-thumbs img'); return i.decode().then(() => [i.naturalWidth, i.naturalHeight])",
            vec![],
        )
        .await
        .expect("the photo");
    assert_eq!(size, json!([480, 640]), "the photo is shown upright");
    checks(c, "the documents").await;
    shoot(c, 390, "me-reimb-uploaded-390").await;

    click_text(c, "ارسال برای رسیدگی").await;
    wait_for_url(c, "done=submitted").await;
    wait_for_text(c, "در حال رسیدگی").await;
    id
}

async fn read_the_outcome(c: &Client, base: String, id: String) {
    let base = base.as_str();
    viewport(c, 390, 844).await;
    c.goto(&format!("{base}/console/me/reimbursements")).await.expect("open");
    wait_for_url(c, "/console/login").await;
    sign_in(c, "maryam", PASSWORD, "/console/me/reimbursements").await;
    let body = wait_for_text(c, "بازپرداخت‌های من").await;
    assert!(body.contains("280,000") && body.contains("1,890,000"), "paid and reimbursed on the card");
    checks(c, "my reimbursements").await;
    shoot(c, 390, "me-reimbs-390").await;

    c.find(Locator::Css(&format!("a[href='/console/me/reimbursements/{id}']")))
        .await
        .expect("the request's card")
        .click()
        .await
        .expect("open");
    wait_for_url(c, &format!("/console/me/reimbursements/{id}")).await;
    let body = wait_for_text(c, "سابقهٔ درخواست").await;
    assert!(body.contains("id=\"mr-reimbursed\">280,000</dd>"), "the decided reimbursement");
    let line = c.find(Locator::Css("#line-1")).await.expect("line 1").text().await.expect("text");
    assert!(line.contains("R90") && line.contains("120,000"), "the reason and the franchise: {line}");
    let paid = c.find(Locator::Id("mr-paid-on")).await.expect("paid").text().await.expect("text");
    assert!(paid.contains("1403/08/01") && paid.contains("BR-77") && paid.contains("280,000"), "{paid}");
    checks(c, "the decided request").await;
    shoot(c, 390, "me-reimb-decided-390").await;
}
