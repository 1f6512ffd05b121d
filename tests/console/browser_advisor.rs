//! The medical advisor and the review office's objections in a real headless Chromium: a
//! medical advisor signs in, opens a pre-authorization request with its document shown and
//! refuses it with a reason; the provider then submits a claim whose line needs that
//! pre-authorization, and the engine deducts the line with R91 — in the API and on the
//! console's claim page. A reviewer opens the office's objections and upholds one.
//! Screenshots: `preauth-inbox-1366`, `preauth-1366`, `preauth-390`, `objections-1366`,
//! `objection-1366`.

use fantoccini::{Client, Locator};
use serde_json::{json, Value};

use crate::advisor::{deducted_claim, karyotype_request, setting, upload};
use crate::browser_support::{
    accessibility_violations, browser_binaries, in_browser, scrolls_sideways, shoot, sign_in,
    unlabelled_controls, viewport, wait_for_text, wait_for_url,
};
use crate::helpers::{Scope, TestApp, PASSWORD};
use crate::support::SCAN_PNG;
use asnad::auth::Role;
use asnad::console::format::Rials;

/// 806035 (a karyotype, which needs a pre-authorization) for the insured person on 1403-07-15, billed 5,958,000 rials.
fn karyotype_claim(no: &str, insured: &str) -> Value {
    json!({
        "provider_document_no": no, "setting": "outpatient", "kind": "paraclinic",
        "insured_national_code": insured, "physician_council_no": "12345", "diagnoses": ["Q99.9"],
        "lines": [{"line_no": 1, "item_type": "service", "code": "806035", "quantity": "1",
                   "service_date": "1403-07-15", "billed_amount": 5958000}]
    })
}

async fn image_shown(c: &Client) -> bool {
    c.execute(
        "const i = document.querySelector('.efile img'); return i ? i.decode().then(() => i.naturalWidth > 0) : false",
        vec![],
    )
    .await
    .expect("image")
        == json!(true)
}

#[test]
fn a_medical_advisor_refuses_a_request_and_the_claim_that_relies_on_it_is_deducted_r91() {
    let Some((chromium, chromedriver)) = browser_binaries() else { return };
    let app = TestApp::spawn();
    let s = setting(&app);
    // The inbox with some work: the request to refuse (with a scan) and two others.
    let (id, _) = karyotype_request(&app, &s.hospital, &s.insured, SCAN_PNG);
    karyotype_request(&app, &s.clinic, &s.insured, SCAN_PNG);
    karyotype_request(&app, &s.hospital, &s.insured, SCAN_PNG);
    app.create_user("dr-a", Role::MedicalAdvisor, Scope::office(&s.office.id));

    let base = app.base.clone();
    in_browser(&chromium, &chromedriver, {
        let id = id.clone();
        move |c| Box::pin(refuse(c, base, id))
    });
    let admin = app.login("root", PASSWORD);
    let r: Value = app.get(&format!("/api/v1/preauthorizations/{id}"), Some(&admin)).json().unwrap();
    assert_eq!((r["status"].as_str(), r["decision_reason"].as_str()), (Some("rejected"), Some("R91")));
    assert_eq!(r["decision_note"], "گزارش پیوست اندیکاسیون آزمایش را نشان نمی‌دهد");

    // The provider bills the test anyway: the engine deducts the whole line with R91.
    let res =
        app.post_json("/api/v1/claims", Some(&s.hospital.key), &karyotype_claim("KRT-1403-77", &s.insured));
    assert!(res.status().is_success(), "{:?}", res.status());
    let claim: Value = res.json().unwrap();
    let line = &claim["lines"][0];
    let reasons: Vec<(&str, i64)> = line["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["code"].as_str().unwrap(), r["amount"].as_i64().unwrap()))
        .collect();
    assert_eq!(reasons, [("R91", 5_958_000)], "{claim}");
    assert_eq!((line["deducted"].as_i64(), line["insurer_payable"].as_i64()), (Some(5_958_000), Some(0)));
    let claim_id = claim["id"].as_str().unwrap().to_string();

    // The claim page says so: R91, its Persian text and the amount.
    let base = app.base.clone();
    in_browser(&chromium, &chromedriver, move |c| Box::pin(see_r91(c, base, claim_id)));
}

async fn refuse(c: &Client, base: String, id: String) {
    let (base, id) = (base.as_str(), id.as_str());
    c.goto(&format!("{base}/console/")).await.expect("open the console");
    wait_for_url(c, "/console/login").await;
    sign_in(c, "dr-a", PASSWORD, "/console/preauthorizations").await;
    let body = wait_for_text(c, "درخواست‌های تأیید قبلی").await;
    assert!(
        body.contains("درمانگاه تخصصی نیلوفر") && body.contains("806035"),
        "the inbox lists the requests"
    );
    viewport(c, 1366, 900).await;
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on the inbox at 1366 px");
    assert_eq!(unlabelled_controls(c).await, Vec::<String>::new(), "inbox");
    assert_eq!(accessibility_violations(c).await, Vec::<String>::new(), "inbox");
    shoot(c, 1366, "preauth-inbox-1366").await;
    viewport(c, 390, 900).await;
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on the inbox at 390 px");
    viewport(c, 1366, 900).await;

    // Open the request: its scan is displayed beside the decision form.
    c.find(Locator::Css(&format!("a[href='/console/preauthorizations/{id}']")))
        .await
        .expect("the request's link")
        .click()
        .await
        .expect("open");
    wait_for_url(c, &format!("/console/preauthorizations/{id}")).await;
    assert!(image_shown(c).await, "the request's document is displayed");
    let body = c.source().await.expect("source");
    assert!(body.contains("بررسی ناهنجاری کروموزومی") && body.contains("دارای استحقاق درمان امروز"));
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on the request at 1366 px");
    assert_eq!(unlabelled_controls(c).await, Vec::<String>::new(), "request page");
    assert_eq!(accessibility_violations(c).await, Vec::<String>::new(), "request page");
    shoot(c, 1366, "preauth-1366").await;
    viewport(c, 390, 900).await;
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on the request at 390 px");
    shoot(c, 390, "preauth-390").await;
    viewport(c, 1366, 900).await;

    // Refuse with R91 and a note.
    c.find(Locator::Css("input[name=decision][value=reject]"))
        .await
        .expect("reject")
        .click()
        .await
        .expect("click");
    c.find(Locator::Css("select[name=reason]"))
        .await
        .expect("reason")
        .select_by_value("R91")
        .await
        .expect("choose R91");
    c.find(Locator::Css("textarea[name=note]"))
        .await
        .expect("note")
        .send_keys("گزارش پیوست اندیکاسیون آزمایش را نشان نمی‌دهد")
        .await
        .expect("type the note");
    c.find(Locator::XPath("//button[contains(., 'ثبت تصمیم')]"))
        .await
        .expect("save")
        .click()
        .await
        .expect("save");
    wait_for_url(c, "done=rejected").await;
    let body = wait_for_text(c, "درخواست رد شد").await;
    assert!(body.contains("عدم تأیید پزشک معتمد"), "the decision is shown with its reason");
    assert!(!body.contains("name=\"decision\""), "decided: read-only");
}

async fn see_r91(c: &Client, base: String, claim_id: String) {
    c.goto(&format!("{base}/console/claims/{claim_id}")).await.expect("open the claim");
    wait_for_url(c, "/console/login").await;
    sign_in(c, "dr-a", PASSWORD, &format!("/console/claims/{claim_id}")).await;
    let body = wait_for_text(c, "KRT-1403-77").await;
    assert!(body.contains("<b dir=\"ltr\">R91</b>"), "R91 on the line");
    assert!(body.contains("عدم تأیید پزشک معتمد"), "R91's text");
    assert!(body.contains(&Rials(5_958_000).to_string()), "the amount deducted");
}

#[test]
fn a_reviewer_opens_the_offices_objections_and_upholds_one() {
    let Some((chromium, chromedriver)) = browser_binaries() else { return };
    let app = TestApp::spawn();
    let s = setting(&app);
    let (claim, line_no, c) = deducted_claim(&app, &s.hospital, &s.insured, "SP-1403-4471", "1403-07-06");
    let (other_claim, other_line, _) =
        deducted_claim(&app, &s.hospital, &s.insured, "SP-1403-4502", "1403-07-13");
    let line = &c["lines"][(line_no - 1) as usize];
    let most = line["insurer_payable"].as_i64().unwrap()
        + line["patient_share"].as_i64().unwrap()
        + line["deducted"].as_i64().unwrap();
    let mut oid = String::new();
    for (cl, ln, text) in [
        (&claim, line_no, "بیمار ۴۰ عدد برای ۲۰ روز نسخه دارد؛ نسخه پیوست است."),
        (&other_claim, other_line, "تعداد طبق دستور پزشک معالج بوده است."),
    ] {
        let res = app.post_json(
            &format!("/api/v1/claims/{cl}/objections"),
            Some(&s.hospital.key),
            &json!({"reason": text, "line_nos": [ln]}),
        );
        assert_eq!(res.status(), 201, "{:?}", res.text());
        let id = res.json::<Value>().unwrap()["id"].as_str().unwrap().to_string();
        upload(&app, &s.hospital, &format!("/api/v1/objections/{id}/attachments"), "prescription", SCAN_PNG);
        if oid.is_empty() {
            oid = id;
        }
    }
    app.create_user("ana", Role::Reviewer, Scope::office(&s.office.id));
    let base = app.base.clone();
    in_browser(&chromium, &chromedriver, {
        let oid = oid.clone();
        move |c| Box::pin(uphold(c, base, oid, line_no))
    });
    let admin = app.login("root", PASSWORD);
    let after: Value = app.get(&format!("/api/v1/claims/{claim}"), Some(&admin)).json().unwrap();
    let l = &after["lines"][(line_no - 1) as usize];
    assert_eq!(l["deducted"], 0, "{l}");
    assert_eq!(l["insurer_payable"].as_i64().unwrap() + l["patient_share"].as_i64().unwrap(), most);
}

async fn uphold(c: &Client, base: String, oid: String, line_no: i64) {
    let base = base.as_str();
    c.goto(&format!("{base}/console/objections")).await.expect("open the objections");
    wait_for_url(c, "/console/login").await;
    sign_in(c, "ana", PASSWORD, "/console/objections").await;
    let body = wait_for_text(c, "SP-1403-4502").await;
    assert!(body.contains("SP-1403-4471"), "both open objections are listed");
    viewport(c, 1366, 900).await;
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on the objections at 1366 px");
    assert_eq!(unlabelled_controls(c).await, Vec::<String>::new(), "objections");
    assert_eq!(accessibility_violations(c).await, Vec::<String>::new(), "objections");
    shoot(c, 1366, "objections-1366").await;
    viewport(c, 390, 900).await;
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on the objections at 390 px");
    viewport(c, 1366, 900).await;

    c.find(Locator::Css(&format!("a[href='/console/objections/{oid}']")))
        .await
        .expect("link")
        .click()
        .await
        .expect("open");
    wait_for_url(c, &format!("/console/objections/{oid}")).await;
    assert!(image_shown(c).await, "the objection's document is displayed");
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on the objection at 1366 px");
    assert_eq!(unlabelled_controls(c).await, Vec::<String>::new(), "objection page");
    assert_eq!(accessibility_violations(c).await, Vec::<String>::new(), "objection page");
    c.find(Locator::Css(&format!("select[name='verdict.{line_no}']")))
        .await
        .expect("verdict")
        .select_by_value("uphold")
        .await
        .expect("uphold");
    shoot(c, 1366, "objection-1366").await;
    viewport(c, 390, 900).await;
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on the objection at 390 px");
    viewport(c, 1366, 900).await;
    c.find(Locator::XPath("//button[contains(., 'ثبت نتیجهٔ اعتراض')]"))
        .await
        .expect("save")
        .click()
        .await
        .expect("save");
    wait_for_url(c, "done=applied").await;
    let body = wait_for_text(c, "رسیدگی به اعتراض ثبت شد").await;
    assert!(body.contains("رسیدگی شد"), "the objection is decided");
    assert!(!body.contains("name=\"verdict."), "decided: no form");
}
