//! The supervisor in a real headless Chromium: signs in, opens the four-eyes inbox, reads the
//! diff of a reviewer's large cut and approves it — the claim then carries exactly the
//! proposed amounts (read back through the API) — and looks at the samples and the backlog.
//! Screenshots: `supervisor-inbox-1366`, `supervisor-diff-1366`, `supervisor-diff-390`,
//! `samples-1366`, `backlog-1366`.

use fantoccini::{Client, Locator};
use serde_json::{json, Value};

use crate::browser_support::{
    accessibility_violations, browser_binaries, in_browser, scrolls_sideways, shoot, sign_in,
    unlabelled_controls, viewport, wait_for_text, wait_for_url,
};
use crate::helpers::{TestApp, PASSWORD};
use crate::supervision::{desk, propose_cut, rials};
use crate::support::{age_claim, document, pended_claim};

#[test]
fn a_supervisor_reads_the_diff_of_a_large_cut_and_approves_it() {
    let Some((chromium, chromedriver)) = browser_binaries() else { return };
    let app = TestApp::spawn_with(|c| c.four_eyes_threshold = 1);
    let d = desk(&app);
    let s = &d.scene;

    // Two cuts waiting for a supervisor, a month of decided claims sampled, and open work of
    // several ages, one claim of it assigned to ana.
    let claim =
        pended_claim(&app, &s.hospitals[0], &document("SP-1403-4417", &s.insured, "1403-07-13", 1_890_000));
    let other =
        pended_claim(&app, &s.hospitals[1], &document("NLF-22871", &s.insured, "1403-07-11", 2_450_000));
    let out = propose_cut(&app, "ana", &claim);
    propose_cut(&app, "ana", &other);
    let ana = app.login("ana", PASSWORD);
    for (i, date) in ["1403-07-02", "1403-07-05", "1403-07-09", "1403-07-17"].iter().enumerate() {
        let id = pended_claim(
            &app,
            &s.hospitals[0],
            &document(&format!("SP-1403-39{i}"), &s.insured, date, 1_640_000),
        );
        let take = app
            .request(reqwest::Method::POST, &format!("/api/v1/review/claims/{id}/take"), Some(&ana))
            .send()
            .unwrap();
        assert_eq!(take.status(), 200);
        let res = app.post_json(
            &format!("/api/v1/review/claims/{id}/decision"),
            Some(&ana),
            &json!({"lines": [{"line_no": 1, "action": "approve"}, {"line_no": 3, "action": "approve"}]}),
        );
        assert_eq!(res.status(), 200, "{:?}", res.text());
    }
    let sara = app.login("sara", PASSWORD);
    let res = app.post_json(
        "/api/v1/review/samples",
        Some(&sara),
        &json!({"provider_id": s.hospitals[0].id, "service_month": "1403-07", "method": "random", "percent": "50"}),
    );
    assert_eq!(res.status(), 201, "{:?}", res.text());
    for (no, h, date, age) in [
        ("SP-1403-4502", 0, "1403-07-03", 2),
        ("NLF-22904", 1, "1403-07-04", 9),
        ("NLF-22911", 1, "1403-07-06", 16),
        ("SP-1403-4530", 0, "1403-07-07", 33),
    ] {
        let id = pended_claim(&app, &s.hospitals[h], &document(no, &s.insured, date, 1_250_000));
        age_claim(&app, &id, age);
        if no == "NLF-22904" {
            let res = app.post_json(
                &format!("/api/v1/review/claims/{id}/assignment"),
                Some(&sara),
                &json!({"reviewer_id": d.ana}),
            );
            assert_eq!(res.status(), 200, "{:?}", res.text());
        }
    }

    let decision = out["decision_id"].as_str().unwrap().to_string();
    let base = app.base.clone();
    let diff = in_browser(&chromium, &chromedriver, {
        let decision = decision.clone();
        move |c| Box::pin(drive(c, base, decision))
    });

    // The claim now carries exactly what the diff proposed, in rials.
    let admin = app.login("root", PASSWORD);
    let after: Value = app.get(&format!("/api/v1/claims/{claim}"), Some(&admin)).json().unwrap();
    assert_eq!(after["status"], "partially_approved", "{after}");
    assert_eq!(after["totals"]["insurer_payable"], out["payable_after"]);
    assert!(
        diff.contains(&format!("پیشنهادی </span>{}</ins>", rials(&out["payable_after"]))),
        "the diff showed the proposed total"
    );
    let l1 = &after["lines"][0];
    for key in ["insurer_payable", "patient_share", "deducted"] {
        let shown = format!("پیشنهادی </span>{}</ins>", rials(&l1[key]));
        assert!(diff.contains(&shown), "line 1's {key} ({}) was on the diff", rials(&l1[key]));
    }
    assert!(l1["reasons"].as_array().unwrap().iter().any(|r| r["code"] == "R90"), "{l1}");
}

async fn drive(c: &Client, base: String, decision: String) -> String {
    let base = base.as_str();
    c.goto(&format!("{base}/console/approvals")).await.expect("open the inbox");
    wait_for_url(c, "/console/login?next=").await;
    sign_in(c, "sara", PASSWORD, "/console/approvals").await;
    let body = wait_for_text(c, "SP-1403-4417").await;
    assert!(body.contains("NLF-22871"), "both waiting decisions are listed");
    c.execute("return document.fonts.ready.then(() => true)", vec![]).await.expect("fonts");
    viewport(c, 1366, 900).await;
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on the inbox at 1366 px");
    assert_eq!(unlabelled_controls(c).await, Vec::<String>::new(), "inbox");
    assert_eq!(accessibility_violations(c).await, Vec::<String>::new(), "inbox");
    shoot(c, 1366, "supervisor-inbox-1366").await;

    // Open the decision: the diff of the lines and the totals.
    c.find(Locator::Css(&format!("td.doc a[href='/console/approvals/{decision}']")))
        .await
        .expect("the decision's link")
        .click()
        .await
        .expect("open the decision");
    wait_for_url(c, &format!("/console/approvals/{decision}")).await;
    let diff = wait_for_text(c, "data-diff-line=\"1\"").await;
    let changed = c
        .execute("return document.querySelectorAll('tr[data-diff-line=\"1\"] td.changed').length", vec![])
        .await
        .expect("changed cells");
    assert!(changed.as_u64().unwrap_or(0) >= 2, "line 1's changed cells are highlighted: {changed}");
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on the diff at 1366 px");
    assert_eq!(unlabelled_controls(c).await, Vec::<String>::new(), "diff page");
    assert_eq!(accessibility_violations(c).await, Vec::<String>::new(), "diff page");
    shoot(c, 1366, "supervisor-diff-1366").await;
    viewport(c, 390, 900).await;
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on the diff at 390 px");
    shoot(c, 390, "supervisor-diff-390").await;
    viewport(c, 1366, 900).await;

    // Approve.
    c.find(Locator::XPath("//button[contains(., 'تأیید و اعمال')]"))
        .await
        .expect("approve button")
        .click()
        .await
        .expect("approve");
    wait_for_url(c, "done=approved").await;
    let body = wait_for_text(c, "تصمیم تأیید و بر سند اعمال شد").await;
    assert!(!body.contains("SP-1403-4417") && body.contains("NLF-22871"), "the approved one left the inbox");

    // Samples and backlog, from the navigation.
    c.find(Locator::Css("nav.mainnav a[href='/console/samples']"))
        .await
        .expect("samples")
        .click()
        .await
        .expect("go");
    wait_for_url(c, "/console/samples").await;
    wait_for_text(c, "نمونه‌های دفتر").await;
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on the samples at 1366 px");
    assert_eq!(unlabelled_controls(c).await, Vec::<String>::new(), "samples page");
    assert_eq!(accessibility_violations(c).await, Vec::<String>::new(), "samples page");
    shoot(c, 1366, "samples-1366").await;
    c.find(Locator::Css("nav.mainnav a[href='/console/backlog']"))
        .await
        .expect("backlog")
        .click()
        .await
        .expect("go");
    wait_for_url(c, "/console/backlog").await;
    wait_for_text(c, "کار باز بر حسب سن").await;
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on the backlog at 1366 px");
    assert_eq!(accessibility_violations(c).await, Vec::<String>::new(), "backlog page");
    shoot(c, 1366, "backlog-1366").await;
    // Each number opens the queue filtered the same way.
    c.find(Locator::Css("a[href='/console/queue?age=14&unassigned=1']"))
        .await
        .expect("count")
        .click()
        .await
        .expect("go");
    wait_for_url(c, "unassigned=1").await;
    let queue = wait_for_text(c, "NLF-22911").await;
    assert!(!queue.contains("NLF-22904"), "the assigned claim is not among the unassigned");
    diff
}
