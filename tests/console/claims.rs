//! The claim page: lines, reasons in Persian, totals; another office's claim is a 404 page.

use serde_json::Value;

use crate::helpers::{TestApp, PASSWORD};
use crate::support::{document, pended_claim, scene, Browser};

#[test]
fn the_claim_page_shows_the_split_and_is_404_outside_the_callers_office() {
    let app = TestApp::spawn();
    let s = scene(&app);
    let id =
        pended_claim(&app, &s.hospitals[0], &document("SP-1403-4417", &s.insured, "1403-07-13", 1_890_000));
    let admin = app.login("root", PASSWORD);
    let api: Value = app.get(&format!("/api/v1/claims/{id}"), Some(&admin)).json().unwrap();

    let ana = Browser::signed_in(&app, "ana");
    let page = ana.get(&format!("/console/claims/{id}"));
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_contains("SP-1403-4417");
    page.assert_contains("بیمارستان خصوصی سپیدار");
    page.assert_contains("مهر 1403");
    page.assert_contains("1403/07/13");
    // Every line's amounts and the totals, exactly as the API has them, grouped.
    let rials = |v: &Value| asnad::console::format::Rials(v.as_i64().unwrap()).to_string();
    for key in ["billed", "insurer_payable", "patient_share", "deducted"] {
        page.assert_contains(&rials(&api["totals"][key]));
    }
    // Each deduction and pending reason with its code and Persian text from the catalogue.
    for line in api["lines"].as_array().unwrap() {
        let codes =
            line["reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap().to_string());
        let pend = line["pend_reasons"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_string());
        for code in codes.chain(pend) {
            let reason = asnad::domain::reasons::Reason::parse(&code).unwrap();
            page.assert_contains(&format!("<b dir=\"ltr\">{code}</b>"));
            page.assert_contains(reason.message_fa());
        }
    }

    // Reviewer of another office: the claim does not exist for them (404 page, no data).
    let bahram = Browser::signed_in(&app, "bahram");
    let page = bahram.get(&format!("/console/claims/{id}"));
    assert_eq!(page.status, 404);
    page.assert_contains("پیدا نشد");
    assert!(!page.body.contains("SP-1403-4417"));
    assert_eq!(bahram.get("/console/claims/no-such-claim").status, 404);
}
