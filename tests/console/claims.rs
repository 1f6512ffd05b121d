//! The claim page: lines, reasons in Persian, totals, the insured person's other recent claims;
//! another office's claim is a 404 page.

use serde_json::{json, Value};

use asnad::auth::Role;

use crate::helpers::{Scope, TestApp, PASSWORD};
use crate::support::{document, hospital, pended_claim, pending_office, scene, Browser, Scene};

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

#[test]
fn the_claim_page_lists_the_insured_persons_other_claims_of_90_days_in_the_office_only() {
    let app = TestApp::spawn();
    // The scene's office and hospitals, from the same fixture builder as the other office's.
    let world = app.world();
    let admin = app.login("root", PASSWORD);
    let office = pending_office(&world, "THR-W");
    let s = Scene {
        hospitals: vec![
            hospital(&world, &office, "بیمارستان خصوصی سپیدار"),
            hospital(&world, &office, "درمانگاه تخصصی نیلوفر"),
        ],
        office,
        insured: "0012345679".into(),
    };
    world.insured(&s.insured).create();
    app.create_user("ana", Role::Reviewer, Scope::office(&s.office.id));
    let under_review =
        pended_claim(&app, &s.hospitals[0], &document("SP-1403-4417", &s.insured, "1403-07-13", 1_890_000));
    // 43 days before, the same diagnosis at the other hospital of the office: listed, marked.
    let same_dx =
        pended_claim(&app, &s.hospitals[1], &document("NLF-22871", &s.insured, "1403-06-01", 1_250_000));
    // Three days before at the same hospital, another diagnosis: listed, not marked.
    let mut other = document("SP-1403-4390", &s.insured, "1403-07-10", 980_000);
    other["diagnoses"] = json!(["M54.5"]);
    let other_dx = pended_claim(&app, &s.hospitals[0], &other);
    // 101 days before: outside the window (and refused as late, R14 — still a claim).
    let late = app.post_json(
        "/api/v1/claims",
        Some(&s.hospitals[0].key),
        &document("SP-1403-3001", &s.insured, "1403-04-05", 700_000),
    );
    assert!(late.status().is_success(), "{:?}", late.text());
    // The same person in another office: that office's business, never shown here.
    let north = world.office("THR-N");
    let elsewhere = hospital(&world, &north, "بیمارستان شمال");
    let res = app.post_json(
        "/api/v1/claims",
        Some(&elsewhere.key),
        &document("NORTH-77", &s.insured, "1403-07-01", 1_100_000),
    );
    assert!(res.status().is_success(), "{:?}", res.text());

    let claim =
        |id: &str| -> Value { app.get(&format!("/api/v1/claims/{id}"), Some(&admin)).json().unwrap() };
    let ana = Browser::signed_in(&app, "ana");
    let page = ana.get(&format!("/console/claims/{under_review}"));
    assert_eq!(page.status, 200, "{}", page.body);
    let at = page.body.find("id=\"recent-h\"").expect("the recent claims section");
    let section = &page.body[at..at + page.body[at..].find("</section>").unwrap()];
    let section = &section[section.find("<tbody>").expect("rows")..];
    for (id, no) in [(&same_dx, "NLF-22871"), (&other_dx, "SP-1403-4390")] {
        assert!(section.contains(&format!("href=\"/console/claims/{id}\"")), "{no} linked:\n{section}");
        let c = claim(id);
        for key in ["billed", "insurer_payable", "deducted"] {
            let shown = asnad::console::format::Rials(c["totals"][key].as_i64().unwrap()).to_string();
            assert!(section.contains(&shown), "{no}'s {key} {shown} shown");
        }
    }
    // Newest first, the shared diagnosis marked on the other hospital's claim only.
    assert!(section.find("SP-1403-4390").unwrap() < section.find("NLF-22871").unwrap());
    assert_eq!(section.matches(">J06.9</span>").count(), 1, "{section}");
    assert!(section.contains("(همین مرکز)"));
    for absent in ["SP-1403-3001", "NORTH-77", "SP-1403-4417"] {
        assert!(!section.contains(absent), "{absent} must not be listed:\n{section}");
    }
}
