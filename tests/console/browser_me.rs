//! The insured person's portal in a real headless Chromium on a 390 px phone screen: an insured
//! person signs in, sees a hospital stay billed in their name with its exact amounts — what the
//! Organization paid, what they paid (franchise, gap, R20) and what the hospital bears (R07) —
//! reports a line as not received, and a reviewer of the office then finds the claim in the
//! queue under R93 with its badge. Screenshots: `me-claims-390`, `me-claim-390`,
//! `me-flag-390`, `me-flagged-390`, `me-claim-1366`, `me-queue-flagged-1366`,
//! `me-report-on-claim-1366` (the report on the reviewer's claim page, resolved there).

use fantoccini::{Client, Locator};
use serde_json::{json, Value};

use crate::browser_support::{
    accessibility_violations, browser_binaries, in_browser, scrolls_sideways, shoot, sign_in,
    unlabelled_controls, viewport, wait_for_text, wait_for_url,
};
use crate::helpers::{Scope, TestApp, PASSWORD};
use asnad::auth::Role;
use asnad::console::format::Rials;

/// Two 1-bed room days without a medical order at a gap-billing private hospital (the R20 case
/// of the API tests): the second day, 50,000,000 billed, is 4,635,000 paid by the Organization,
/// 515,000 franchise, 37,878,000 gap and 5,150,000 R20 — 43,543,000 the insured's — and
/// 1,822,000 R07, the hospital's.
pub fn hospital_stay(no: &str, insured: &str) -> Value {
    let day = |n: i64, date: &str, billed: i64| {
        json!({"line_no": n, "item_type": "bed_day", "code": "bed_1",
        "quantity": "1", "service_date": date, "billed_amount": billed})
    };
    json!({"provider_document_no": no, "setting": "inpatient", "kind": "inpatient",
        "insured_national_code": insured, "physician_council_no": "12345", "diagnoses": ["K35.8"],
        "admitted_on": "1403-07-14", "discharged_on": "1403-07-15",
        "lines": [day(1, "1403-07-14", 48_178_000), day(2, "1403-07-15", 50_000_000)]})
}

/// An office with a gap-billing hospital, an insured person with a login (`maryam`) and a
/// reviewer (`ana`); returns (the hospital's key, the insured's national code, the office id).
pub fn portal_scene(app: &TestApp) -> (String, String, String) {
    let world = app.world();
    let office = world.office("THR-P");
    let hospital = world
        .hospital(&office)
        .with("name_fa", json!("بیمارستان خصوصی سپیدار"))
        .terms(json!({"may_bill_gap": true}))
        .contracted();
    let code = "0012345679".to_string();
    world.insured(&code).create();
    let person: Value = app.get(&format!("/api/v1/insured/{code}"), Some(&world.admin)).json().unwrap();
    let insured_id = person["id"].as_str().unwrap().to_string();
    app.create_user("maryam", Role::Insured, Scope { insured_id: Some(insured_id), ..Scope::default() });
    app.create_user("ana", Role::Reviewer, Scope::office(&office.id));
    (hospital.key, code, office.id)
}

#[test]
fn an_insured_person_on_a_phone_flags_a_line_and_the_office_finds_it_in_the_queue() {
    let Some((chromium, chromedriver)) = browser_binaries() else { return };
    let app = TestApp::spawn();
    let (key, code, _) = portal_scene(&app);
    let res = app.post_json("/api/v1/claims", Some(&key), &hospital_stay("SP-1403-5120", &code));
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let claim: Value = res.json().unwrap();
    let id = claim["id"].as_str().unwrap().to_string();

    let base = app.base.clone();
    in_browser(&chromium, &chromedriver, {
        let id = id.clone();
        move |c| Box::pin(flag(c, base, id))
    });

    // Stored and not decided: the claim is as the engine left it.
    let admin = app.login("root", PASSWORD);
    let after: Value = app.get(&format!("/api/v1/claims/{id}"), Some(&admin)).json().unwrap();
    assert_eq!((&after["status"], &after["totals"]), (&claim["status"], &claim["totals"]));

    let base = app.base.clone();
    in_browser(&chromium, &chromedriver, move |c| Box::pin(find_in_queue(c, base, id)));
}

async fn flag(c: &Client, base: String, id: String) {
    let (base, id) = (base.as_str(), id.as_str());
    viewport(c, 390, 844).await;
    c.goto(&format!("{base}/console/")).await.expect("open the console");
    wait_for_url(c, "/console/login").await;
    sign_in(c, "maryam", PASSWORD, "/console/me/claims").await;

    // My documents: the stay with its totals — 98,178,000 billed, 9,270,000 paid by the
    // Organization, 87,086,000 mine.
    let body = wait_for_text(c, "اسناد من").await;
    for amount in [98_178_000, 9_270_000, 87_086_000] {
        assert!(body.contains(&Rials(amount).to_string()), "{amount} on the list");
    }
    assert!(
        body.contains("بیمارستان خصوصی سپیدار") && body.contains("1403/07/14"),
        "provider and Jalali date"
    );
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on my documents at 390 px");
    assert_eq!(unlabelled_controls(c).await, Vec::<String>::new(), "my documents");
    assert_eq!(accessibility_violations(c).await, Vec::<String>::new(), "my documents");
    shoot(c, 390, "me-claims-390").await;

    // The document, line by line in plain Persian.
    c.find(Locator::Css(&format!("a[href='/console/me/claims/{id}']")))
        .await
        .expect("the document's link")
        .click()
        .await
        .expect("open");
    wait_for_url(c, &format!("/console/me/claims/{id}")).await;
    let body = wait_for_text(c, "خدمت‌ها، یک به یک").await;
    let line2 = c.find(Locator::Css("#line-2")).await.expect("line 2").text().await.expect("text");
    for amount in [50_000_000, 4_635_000, 43_543_000, 515_000, 37_878_000, 5_150_000, 1_822_000] {
        assert!(line2.contains(&Rials(amount).to_string()), "{amount} on line 2: {line2}");
    }
    assert!(
        line2.contains("اتاق یک یا دو تخته بدون دستور پزشک") && line2.contains("به عهدهٔ بیمه‌شده"),
        "R20 and who bears it"
    );
    assert!(
        line2.contains("اضافه درخواست نسبت به تعرفه مصوب") && line2.contains("به عهدهٔ ارائه‌دهنده"),
        "R07 and who bears it"
    );
    assert!(body.contains(&Rials(1_822_000).to_string()), "the hospital's write-off on the total");
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on the document at 390 px");
    assert_eq!(unlabelled_controls(c).await, Vec::<String>::new(), "the document");
    assert_eq!(accessibility_violations(c).await, Vec::<String>::new(), "the document");
    shoot(c, 390, "me-claim-390").await;
    viewport(c, 1366, 900).await;
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on the document at 1366 px");
    shoot(c, 1366, "me-claim-1366").await;
    viewport(c, 390, 844).await;

    // "I did not receive this" on the second day, with a note.
    c.find(Locator::Css("#line-2 details.me-flag summary"))
        .await
        .expect("the flag")
        .click()
        .await
        .expect("open");
    c.find(Locator::Id("note-2"))
        .await
        .expect("the note")
        .send_keys("روز ۱۵ مهر مرخص شده بودم و در بیمارستان نبودم.")
        .await
        .expect("type");
    assert_eq!(accessibility_violations(c).await, Vec::<String>::new(), "the open flag form");
    c.execute("document.getElementById('line-2').scrollIntoView()", vec![]).await.expect("scroll");
    shoot(c, 390, "me-flag-390").await;
    c.find(Locator::Css("#line-2 .me-flag-form button[type=submit]"))
        .await
        .expect("send")
        .click()
        .await
        .expect("send");
    wait_for_url(c, "done=flagged").await;
    let body = wait_for_text(c, "گزارش شما ثبت شد").await;
    let line2 = c.find(Locator::Css("#line-2")).await.expect("line 2").text().await.expect("text");
    assert!(
        line2.contains("گزارش دادید این خدمت را دریافت نکرده‌اید"),
        "line 2 says it was reported: {line2}"
    );
    assert!(line2.contains("روز ۱۵ مهر مرخص شده بودم"), "with the note");
    assert_eq!(body.matches("name=\"line_no\" value=\"2\"").count(), 0, "no second form for line 2");
    assert!(body.contains("name=\"line_no\" value=\"1\""), "line 1 can still be reported");
    assert!(!scrolls_sideways(c).await, "no horizontal scroll after flagging at 390 px");
    assert_eq!(accessibility_violations(c).await, Vec::<String>::new(), "the flagged document");
    shoot(c, 390, "me-flagged-390").await;
}

async fn find_in_queue(c: &Client, base: String, id: String) {
    let (base, id) = (base.as_str(), id.as_str());
    c.goto(&format!("{base}/console/queue?reason=R93")).await.expect("open the queue");
    wait_for_url(c, "/console/login").await;
    sign_in(c, "ana", PASSWORD, "/console/queue").await;
    let body = wait_for_text(c, "SP-1403-5120").await;
    assert!(body.contains("گزارش بیمه‌شده: دریافت نشده"), "the flagged badge");
    assert!(body.contains(&format!("/console/claims/{id}")), "the claim's link");
    let selected = c
        .execute("const s = document.querySelector('select[name=reason]'); return s ? s.value : ''", vec![])
        .await
        .expect("reason filter");
    assert_eq!(selected, json!("R93"), "the queue is filtered by R93");
    viewport(c, 1366, 900).await;
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on the queue at 1366 px");
    shoot(c, 1366, "me-queue-flagged-1366").await;
    // The claim page's history shows the report with its note.
    c.goto(&format!("{base}/console/claims/{id}")).await.expect("open the claim");
    let body = wait_for_text(c, "SP-1403-5120").await;
    assert!(body.contains("گزارش بیمه‌شده: خدمت دریافت نشده (R93)"), "the report in the history");
    let reports =
        c.find(Locator::Id("insured-reports")).await.expect("the reports").text().await.expect("text");
    assert!(reports.contains("ردیف 2") && reports.contains("روز ۱۵ مهر مرخص شده بودم"), "{reports}");
    assert_eq!(accessibility_violations(c).await, Vec::<String>::new(), "the claim page with a report");
    c.execute("document.getElementById('insured-reports').scrollIntoView()", vec![]).await.expect("scroll");
    shoot(c, 1366, "me-report-on-claim-1366").await;
    // The reviewer records that the report was looked into.
    c.find(Locator::Id("reports-note"))
        .await
        .expect("note")
        .send_keys("با مرکز تماس گرفته شد")
        .await
        .expect("type");
    c.find(Locator::Css("#insured-reports button[type=submit]"))
        .await
        .expect("resolve")
        .click()
        .await
        .expect("click");
    wait_for_url(c, "done=reports-resolved").await;
    let reports =
        c.find(Locator::Id("insured-reports")).await.expect("the reports").text().await.expect("text");
    assert!(reports.contains("(بررسی شد)") && !reports.contains("بررسی نشده"), "{reports}");
}
