//! The reports dashboards in a real headless Chromium, with data: claims of office A over four
//! Jalali months (some decided by its reviewer), budgets of the office and of Tehran province.
//! Each level's page — the office as its reviewer, the province as its manager, the country as
//! headquarters — draws every chart (`browser_charts::chart_problems`: drawn, nothing outside,
//! no colliding month names), passes axe-core, and has no sideways scroll at 1366 and 390 px.
//! Screenshots: `reports-office-1366`, `reports-office-390`, `reports-province-1366`,
//! `reports-hq-1366`.

use fantoccini::{Client, Locator};
use reqwest::Method;
use serde_json::json;

use crate::browser_charts::chart_problems;
use crate::browser_support::{
    accessibility_violations, browser_binaries, in_browser, scrolls_sideways, shoot, sign_in, viewport,
    wait_for_url,
};
use crate::helpers::PASSWORD;
use crate::reports::{decided_claims, report_readers};
use crate::support::{document, scene};

#[test]
fn each_level_dashboard_draws_its_charts() {
    let Some((chromium, chromedriver)) = browser_binaries() else { return };
    let app = crate::helpers::TestApp::spawn();
    let s = scene(&app);
    report_readers(&app, &s);
    decided_claims(&app, &s);
    // Earlier months: claims served from Khordad to Shahrivar (the oldest rejected at intake as
    // sent after the deadline), some of the pended ones decided.
    let ana = app.login("ana", PASSWORD);
    for (i, date) in ["1403-03-08", "1403-04-11", "1403-05-20", "1403-06-02", "1403-06-25"].iter().enumerate()
    {
        let hospital = &s.hospitals[i % 2];
        let body = document(&format!("RB-{i}"), &s.insured, date, 1_500_000 + 350_000 * i as i64);
        let res = app.post_json("/api/v1/claims", Some(&hospital.key), &body);
        assert!(res.status().is_success(), "{:?}", res.text());
        let claim: serde_json::Value = res.json().unwrap();
        if claim["status"] == "pended" && i % 2 == 0 {
            let id = claim["id"].as_str().unwrap();
            let res = app
                .request(Method::POST, &format!("/api/v1/review/claims/{id}/take"), Some(&ana))
                .send()
                .unwrap();
            assert_eq!(res.status(), 200);
            let res = app.post_json(
                &format!("/api/v1/review/claims/{id}/decision"),
                Some(&ana),
                &json!({"lines": [{"line_no": 2, "action": "adjust", "approved_amount": 600000, "reason": "R90"}]}),
            );
            assert_eq!(res.status(), 200, "{:?}", res.text());
        }
    }
    let admin = app.login("root", PASSWORD);
    let res = app
        .request(Method::POST, "/api/v1/budgets/import", Some(&admin))
        .header("Content-Type", "text/csv")
        .body(
            "year,level,code,benefit,amount_rials,note\n\
             1403,office,THR-W,claims,60000000,\n\
             1403,office,THR-W,reimbursements,9000000,\n\
             1403,province,THR,claims,240000000,\n",
        )
        .send()
        .unwrap();
    assert_eq!(res.status(), 200, "{:?}", res.text());

    let base = app.base.clone();
    in_browser(&chromium, &chromedriver, move |c| Box::pin(drive(c, base)));
}

/// Checks the dashboard on screen: `charts` charts drawn well at both widths, axe-core, no
/// sideways scroll; screenshots as `name`.
async fn check(c: &Client, charts: usize, name: &str, narrow_too: bool) {
    c.execute("return document.fonts.ready.then(() => true)", vec![]).await.expect("fonts");
    for width in [1366u32, 390] {
        viewport(c, width, 900).await;
        let problems = chart_problems(c, charts).await;
        assert!(problems.is_empty(), "{name} at {width}: {problems:#?}");
        assert!(!scrolls_sideways(c).await, "{name}: sideways scroll at {width}");
        let violations = accessibility_violations(c).await;
        assert!(violations.is_empty(), "{name}: axe-core at {width}: {violations:#?}");
    }
    shoot(c, 1366, &format!("{name}-1366")).await;
    if narrow_too {
        shoot(c, 390, &format!("{name}-390")).await;
    }
    viewport(c, 1366, 900).await;
}

async fn as_user(c: &Client, base: &str, user: &str, lands: &str) {
    c.delete_all_cookies().await.expect("sign out");
    c.goto(&format!("{base}/console/login")).await.expect("login page");
    sign_in(c, user, PASSWORD, lands).await;
}

async fn drive(c: &Client, base: String) {
    let base = base.as_str();
    viewport(c, 1366, 900).await;

    // The office, as its reviewer: from the queue through the navigation.
    as_user(c, base, "ana", "/console/queue").await;
    c.find(Locator::Css("nav.mainnav a[href='/console/reports']"))
        .await
        .expect("the reports entry")
        .click()
        .await
        .expect("go");
    wait_for_url(c, "/console/reports").await;
    let body = c.source().await.expect("source");
    assert!(body.contains("data-level=\"office\""));
    assert!(body.contains("مهر 1403") && body.contains("خرداد 1403"), "Jalali months");
    // Monthly, reasons, providers, receipt → decision, backlog (nothing paid yet: said, not
    // drawn), provider quality, work accidents and the office's two budgets.
    check(c, 9, "reports-office", true).await;

    // Narrowing with the form (month range), without htmx's help needed: the URL carries it.
    let from = c.find(Locator::Id("r-from")).await.expect("from");
    from.clear().await.expect("clear");
    from.send_keys("1403-05").await.expect("type");
    c.find(Locator::XPath("//button[contains(., 'نمایش')]")).await.expect("show").click().await.expect("go");
    wait_for_url(c, "from=1403-05").await;
    let body = c.source().await.expect("source");
    assert!(!body.contains("<th scope=\"row\">خرداد 1403</th>"), "Khordad is outside the range");

    // The province, as its manager: home is the reports.
    as_user(c, base, "mina", "/console/reports").await;
    let body = c.source().await.expect("source");
    assert!(body.contains("data-level=\"province\""));
    // The five report charts and Tehran province's claims budget.
    check(c, 8, "reports-province", false).await;

    // The country, as headquarters: no gauges until a unit is chosen.
    as_user(c, base, "setad", "/console/reports").await;
    let body = c.source().await.expect("source");
    assert!(body.contains("data-level=\"headquarters\""));
    check(c, 7, "reports-hq", false).await;
}
