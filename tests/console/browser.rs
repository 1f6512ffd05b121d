//! The console in a real headless Chromium, driven over WebDriver (chromedriver on a loopback
//! port this test picks): a reviewer logs in, filters the queue, opens a claim; screenshots of
//! the main screens at 1366 and 390 px go to `docs/screenshots/`; a reviewer takes a claim,
//! reduces a line beside its scan, watches the preview and saves.
//!
//! The harness (chromedriver, Chromium, screenshots, waits) is `browser_support`.

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use serde_json::{json, Value};

use crate::browser_support::{
    accessibility_violations, browser_binaries, in_browser, scrolls_sideways, shoot, sign_in,
    unlabelled_controls, viewport, wait_for_text, wait_for_url,
};
use crate::helpers::{TestApp, PASSWORD};
use crate::support::{age_claim, attach, document, pended_claim, scene, SCAN_PNG};

#[test]
fn a_reviewer_logs_in_filters_the_queue_and_opens_a_claim() {
    let Some((chromium, chromedriver)) = browser_binaries() else { return };

    // An office's queue with some variety: two providers, several documents and ages.
    let app = TestApp::spawn();
    let s = scene(&app);
    let docs = [
        ("SP-1403-4391", 0, "1403-07-02", 1_890_000, 13),
        ("SP-1403-4417", 0, "1403-07-08", 2_450_000, 9),
        ("NLF-22871", 1, "1403-07-11", 1_250_000, 8),
        ("SP-1403-4502", 0, "1403-07-14", 3_100_000, 5),
        ("NLF-22904", 1, "1403-07-15", 980_000, 2),
        ("NLF-22911", 1, "1403-07-16", 1_640_000, 0),
    ];
    let mut first_claim = String::new();
    for (no, h, date, billed, age) in docs {
        let id = pended_claim(&app, &s.hospitals[h], &document(no, &s.insured, date, billed));
        age_claim(&app, &id, age);
        if first_claim.is_empty() {
            first_claim = id;
        }
    }
    let base = app.base.clone();
    in_browser(&chromium, &chromedriver, move |c| Box::pin(drive(c, base, first_claim)));
}

#[test]
fn a_reviewer_takes_a_claim_reduces_a_line_beside_the_scan_and_saves() {
    let Some((chromium, chromedriver)) = browser_binaries() else { return };
    let app = TestApp::spawn();
    let s = scene(&app);
    let id =
        pended_claim(&app, &s.hospitals[0], &document("SP-1403-4417", &s.insured, "1403-07-13", 1_890_000));
    attach(&app, &s.hospitals[0], &id, "medical_report", SCAN_PNG);
    let admin = app.login("root", PASSWORD);
    let before: Value = app.get(&format!("/api/v1/claims/{id}"), Some(&admin)).json().unwrap();
    let l1 = &before["lines"][0];
    let covered = l1["insurer_payable"].as_i64().unwrap() + l1["patient_share"].as_i64().unwrap();
    let target = covered / 2;
    let base = app.base.clone();
    let page = in_browser(&chromium, &chromedriver, {
        let id = id.clone();
        move |c| Box::pin(decide_in_browser(c, base, id, target))
    });

    // What the browser showed at the end is what the use case stored.
    let after: Value = app.get(&format!("/api/v1/claims/{id}"), Some(&admin)).json().unwrap();
    let l1 = &after["lines"][0];
    assert_eq!(l1["insurer_payable"].as_i64().unwrap() + l1["patient_share"].as_i64().unwrap(), target);
    for v in [
        &l1["insurer_payable"],
        &l1["deducted"],
        &after["totals"]["insurer_payable"],
        &after["totals"]["deducted"],
    ] {
        let shown = asnad::console::format::Rials(v.as_i64().unwrap()).to_string();
        assert!(page.contains(&shown), "{shown} not on the page after saving");
    }
}

async fn decide_in_browser(c: &Client, base: String, id: String, target: i64) -> String {
    let (base, id) = (base.as_str(), id.as_str());
    c.goto(&format!("{base}/console/claims/{id}")).await.expect("open the claim");
    wait_for_url(c, "/console/login?next=").await;
    sign_in(c, "ana", PASSWORD, &format!("/console/claims/{id}")).await;

    // The scan is shown beside the lines (loaded through the console's file route).
    let loaded = c
        .execute(
            "const i = document.querySelector('.efile img'); return i.decode().then(() => i.naturalWidth > 0)",
            vec![],
        )
        .await
        .expect("scan");
    assert_eq!(loaded, json!(true), "the scan is displayed");

    // Take the claim: the decision form appears.
    c.find(Locator::XPath("//button[contains(., 'برداشتن برای رسیدگی')]"))
        .await
        .expect("take button")
        .click()
        .await
        .expect("take");
    wait_for_url(c, "done=taken").await;
    let totals_before =
        c.find(Locator::Css("table.lines tfoot")).await.expect("totals").text().await.expect("text");

    // ? shows the shortcuts; Escape closes them.
    c.find(Locator::Css("h1")).await.expect("heading").click().await.expect("focus the page");
    c.active_element().await.expect("active").send_keys("?").await.expect("?");
    let open = c.execute("return document.getElementById('help').open", vec![]).await.expect("help");
    assert_eq!(open, json!(true), "? opens the help");
    c.active_element().await.expect("active").send_keys("\u{E00C}").await.expect("Escape");

    // On the focused line r rejects and a approves; k moves to the line above.
    let action_of = |n: u32| format!("return document.querySelector('select[name=\"action.{n}\"]').value");
    c.execute("document.getElementById('dline-2').focus()", vec![]).await.expect("focus line 2");
    c.active_element().await.expect("active").send_keys("r").await.expect("r");
    assert_eq!(c.execute(&action_of(2), vec![]).await.expect("action"), json!("reject"), "r rejects");
    c.active_element().await.expect("active").send_keys("a").await.expect("a");
    assert_eq!(c.execute(&action_of(2), vec![]).await.expect("action"), json!("approve"), "a approves");
    c.active_element().await.expect("active").send_keys("k").await.expect("k");
    let focused = c.execute("return document.activeElement.id", vec![]).await.expect("focused");
    assert_eq!(focused, json!("dline-1"), "k moves to the line above");

    // e on line 1: adjust, the amount field focused; type the reduced amount.
    c.execute("document.getElementById('dline-1').focus()", vec![]).await.expect("focus line 1");
    c.active_element().await.expect("active").send_keys("e").await.expect("e");
    let amount = c.active_element().await.expect("active");
    assert_eq!(amount.attr("name").await.expect("name").as_deref(), Some("amount.1"), "e edits the amount");
    let action = c
        .execute("return document.querySelector('select[name=\"action.1\"]').value", vec![])
        .await
        .expect("action");
    assert_eq!(action, json!("adjust"));
    amount.clear().await.expect("clear");
    amount.send_keys(&target.to_string()).await.expect("type the amount");
    // The preview follows (htmx), computed by the use case; nothing saved yet.
    let body = wait_for_text(c, "data-preview-line=\"1\"").await;
    assert!(body.contains("data-four-eyes=\"no\""), "the preview says whether a supervisor must approve");
    viewport(c, 1366, 900).await;
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on the decision at 1366 px");
    assert_eq!(unlabelled_controls(c).await, Vec::<String>::new(), "decision form");
    assert_eq!(accessibility_violations(c).await, Vec::<String>::new(), "decision form");
    shoot(c, 1366, "claim-decision-1366").await;
    viewport(c, 390, 900).await;
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on the decision at 390 px");
    shoot(c, 390, "claim-decision-390").await;
    viewport(c, 1366, 900).await;

    // Save: the page shows the new amounts and the decision in the history.
    c.find(Locator::XPath("//button[contains(., 'ثبت تصمیم')]"))
        .await
        .expect("save button")
        .click()
        .await
        .expect("save");
    wait_for_url(c, "done=applied").await;
    let body = wait_for_text(c, "نتیجهٔ رسیدگی ثبت شد").await;
    assert!(body.contains("ثبت نتیجهٔ رسیدگی"), "the history has the decision");
    let totals_after =
        c.find(Locator::Css("table.lines tfoot")).await.expect("totals").text().await.expect("text");
    assert_ne!(totals_before, totals_after, "the totals changed");
    shoot(c, 1366, "claim-decided-1366").await;

    // g then q: back to the queue.
    c.find(Locator::Css("h1")).await.expect("heading").click().await.expect("focus the page");
    c.active_element().await.expect("active").send_keys("g").await.expect("g");
    c.active_element().await.expect("active").send_keys("q").await.expect("q");
    wait_for_url(c, "/console/queue").await;
    body
}

async fn drive(c: &Client, base: String, first_claim: String) {
    let (base, first_claim) = (base.as_str(), first_claim.as_str());
    // Unauthenticated: the login page, which returns to the queue afterwards.
    c.goto(&format!("{base}/console/queue")).await.expect("open the queue");
    wait_for_url(c, "/console/login?next=").await;
    assert_eq!(unlabelled_controls(c).await, Vec::<String>::new(), "login page");
    assert_eq!(accessibility_violations(c).await, Vec::<String>::new(), "login page");
    shoot(c, 1366, "login-1366").await;
    sign_in(c, "ana", PASSWORD, "/console/queue").await;
    let body = c.source().await.expect("source");
    assert!(
        body.contains("SP-1403-4391") && body.contains("NLF-22911"),
        "the queue lists the office's claims"
    );

    // The fonts are loaded and the page does not scroll sideways at 1366 px.
    let font = c
        .execute("return document.fonts.ready.then(() => document.fonts.check('16px Vazirmatn'))", vec![])
        .await
        .expect("fonts");
    assert_eq!(font, json!(true), "Vazirmatn is loaded");
    viewport(c, 1366, 900).await;
    assert!(!scrolls_sideways(c).await, "no horizontal scroll at 1366 px");
    assert_eq!(unlabelled_controls(c).await, Vec::<String>::new(), "queue page");
    assert_eq!(accessibility_violations(c).await, Vec::<String>::new(), "queue page");
    shoot(c, 1366, "queue-1366").await;

    // Filter by provider (htmx swaps the results and puts the filter in the URL).
    let select = c.find(Locator::Id("f-provider")).await.expect("provider filter");
    select.select_by_label("درمانگاه تخصصی نیلوفر").await.expect("choose a provider");
    wait_for_url(c, "provider=").await;
    let started = Instant::now();
    loop {
        let body = c.source().await.expect("source");
        if !body.contains("SP-1403-4391") && body.contains("NLF-22871") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the filter did not narrow the queue");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    shoot(c, 1366, "queue-filtered-1366").await;

    // The phone width: usable (cards, no sideways scroll).
    viewport(c, 390, 900).await;
    c.goto(&format!("{base}/console/queue")).await.expect("queue");
    let sideways_390 = scrolls_sideways(c).await;
    shoot(c, 390, "queue-390").await;
    assert!(!sideways_390, "no horizontal scroll at 390 px");

    // Open the first claim from the keyboard: j puts the cursor on the first row, Enter opens it.
    viewport(c, 1366, 900).await;
    c.find(Locator::Css("h1")).await.expect("heading").click().await.expect("focus the page");
    c.active_element().await.expect("active").send_keys("j").await.expect("j");
    let focused = c.active_element().await.expect("active").attr("href").await.expect("href");
    assert_eq!(
        focused.as_deref(),
        Some(format!("/console/claims/{first_claim}").as_str()),
        "j focuses the first claim"
    );
    c.active_element().await.expect("active").send_keys("\u{E007}").await.expect("Enter");
    wait_for_url(c, "/console/claims/").await;
    let body = c.source().await.expect("source");
    assert!(body.contains("SP-1403-4391") && body.contains("جمع سند"));
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on the claim at 1366 px");
    assert_eq!(unlabelled_controls(c).await, Vec::<String>::new(), "claim page");
    assert_eq!(accessibility_violations(c).await, Vec::<String>::new(), "claim page");
    shoot(c, 1366, "claim-1366").await;
    viewport(c, 390, 900).await;
    c.refresh().await.expect("reload at 390 px");
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on the claim at 390 px");
    shoot(c, 390, "claim-390").await;
}
