//! The reviewer's work on the claim page: take and release, preview and save a decision (the
//! preview's numbers are the ones the save stores), history, the electronic file's documents,
//! CSRF, and the scope: another office's reviewer gets 404 everywhere, a provider 403.

use asnad::auth::Role;
use serde_json::Value;

use crate::helpers::{Scope, TestApp, PASSWORD};
use crate::support::{attach, document, pended_claim, scene, Browser, Page, SCAN_PNG};

fn rials(v: &Value) -> String {
    asnad::console::format::Rials(v.as_i64().expect("an amount")).to_string()
}

/// The `<tr>` of a fragment that carries `marker`.
fn row<'p>(page: &'p Page, marker: &str) -> &'p str {
    let at = page.body.find(marker).unwrap_or_else(|| panic!("{marker} not in {}", page.body));
    let rest = &page.body[at..];
    &rest[..rest.find("</tr>").expect("end of row")]
}

/// The four amounts of a split in order, as the page prints them, are in `text`.
fn assert_split(text: &str, v: &Value) {
    let mut from = 0;
    for key in ["insurer_payable", "patient_share", "patient_gap", "deducted"] {
        let want = format!("<span dir=\"ltr\">{}</span>", rials(&v[key]));
        let at = text[from..].find(&want).unwrap_or_else(|| panic!("{key} {want} not in order in {text}"));
        from += at + want.len();
    }
}

#[test]
fn a_reviewer_takes_previews_and_saves_a_decision_and_the_page_shows_what_was_stored() {
    let app = TestApp::spawn();
    let s = scene(&app);
    let id =
        pended_claim(&app, &s.hospitals[0], &document("SP-1403-4417", &s.insured, "1403-07-13", 1_890_000));
    let admin = app.login("root", PASSWORD);
    let before: Value = app.get(&format!("/api/v1/claims/{id}"), Some(&admin)).json().unwrap();
    let line1 = &before["lines"][0];
    let covered = line1["insurer_payable"].as_i64().unwrap() + line1["patient_share"].as_i64().unwrap();
    assert!(covered > 1000, "{before}");
    let target = (covered / 2).to_string();

    let ana = Browser::signed_in(&app, "ana");
    let url = format!("/console/claims/{id}");
    let page = ana.get(&url);
    page.assert_contains("کسی این سند را برنداشته است");
    page.assert_contains("برداشتن برای رسیدگی");
    assert!(!page.body.contains("تصمیم کارشناس"), "no decision form before taking the claim");
    let csrf = page.csrf();

    // Take: without the token 403, with it back to the page (PRG), held by ana.
    assert_eq!(ana.post(&format!("{url}/take"), &[]).status, 403);
    let res = ana.post(&format!("{url}/take"), &[("csrf", &csrf)]);
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.location(), format!("{url}?done=taken"));
    let page = ana.get(&res.location());
    page.assert_contains("در دست رسیدگی: <b>ana</b>");
    page.assert_contains("تصمیم کارشناس");
    page.assert_contains("بازگرداندن به صف");

    // Preview: the arithmetic of the decision, nothing saved.
    let form = [
        ("csrf", csrf.as_str()),
        ("action.1", "adjust"),
        ("amount.1", target.as_str()),
        ("reason.1", "R90"),
        ("lnote.1", "کاردکس"),
        ("action.2", ""),
        ("action.3", ""),
    ];
    assert_eq!(ana.post(&format!("{url}/preview"), &form[1..]).status, 403, "preview without CSRF");
    let preview = ana.post(&format!("{url}/preview"), &form);
    assert_eq!(preview.status, 200, "{}", preview.body);
    preview.assert_contains("data-four-eyes=\"no\"");
    let unchanged: Value = app.get(&format!("/api/v1/claims/{id}"), Some(&admin)).json().unwrap();
    assert_eq!(unchanged["totals"], before["totals"], "the preview saved nothing");

    // Save without the token: 403, nothing saved. With it: applied, back to the page.
    assert_eq!(ana.post(&format!("{url}/decision"), &form[1..]).status, 403);
    let res = ana.post(&format!("{url}/decision"), &form);
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.location(), format!("{url}?done=applied"));
    let after: Value = app.get(&format!("/api/v1/claims/{id}"), Some(&admin)).json().unwrap();
    let l1 = &after["lines"][0];
    assert_eq!(l1["insurer_payable"].as_i64().unwrap() + l1["patient_share"].as_i64().unwrap(), covered / 2);
    assert!(l1["reasons"].as_array().unwrap().iter().any(|r| r["code"] == "R90"), "{l1}");

    // The preview showed exactly what the save stored: the line and the claim's totals.
    assert_split(row(&preview, "data-preview-line=\"1\""), l1);
    let totals = &after["totals"];
    let totals_split = serde_json::json!({"insurer_payable": totals["insurer_payable"],
        "patient_share": totals["patient_share"], "patient_gap": totals["patient_gap"], "deducted": totals["deducted"]});
    assert_split(row(&preview, "data-preview-total"), &totals_split);

    // The page shows the stored amounts (exact rials, grouped) and the decision in the history.
    let page = ana.get(&res.location());
    assert_eq!(page.status, 200);
    page.assert_contains("نتیجهٔ رسیدگی ثبت شد");
    for key in ["insurer_payable", "patient_share", "deducted"] {
        page.assert_contains(&rials(&l1[key]));
        page.assert_contains(&rials(&totals[key]));
    }
    page.assert_contains("ثبت نتیجهٔ رسیدگی");
    page.assert_contains("تصمیم کارشناس");
    let history: Value = app.get(&format!("/api/v1/claims/{id}/history"), Some(&admin)).json().unwrap();
    assert!(history["items"].as_array().unwrap().iter().any(|e| e["action"] == "decided"), "{history}");
    assert!(!page.body.contains("name=\"action.1\""), "a decided claim has no decision form");
}

#[test]
fn release_gives_the_claim_back_and_a_refused_decision_shows_its_field() {
    let app = TestApp::spawn();
    let s = scene(&app);
    let id =
        pended_claim(&app, &s.hospitals[0], &document("SP-1403-4418", &s.insured, "1403-07-13", 1_890_000));
    let ana = Browser::signed_in(&app, "ana");
    let url = format!("/console/claims/{id}");
    let csrf = ana.get(&url).csrf();
    assert_eq!(ana.post(&format!("{url}/take"), &[("csrf", &csrf)]).status, 303);

    // An amount above what the line may recognise: the page again (422), the draft kept, the
    // use case's detail and the line named beside it. The preview says the same.
    let form =
        [("csrf", csrf.as_str()), ("action.1", "adjust"), ("amount.1", "999999999999"), ("reason.1", "R07")];
    let page = ana.post(&format!("{url}/decision"), &form);
    assert_eq!(page.status, 422, "{}", page.body);
    page.assert_contains("تصمیم ثبت نشد");
    page.assert_contains("line.1");
    page.assert_contains("approved_amount must be between 0 and");
    page.assert_contains("value=\"999999999999\"");
    page.assert_contains("aria-invalid=\"true\"");
    let preview = ana.post(&format!("{url}/preview"), &form);
    assert_eq!(preview.status, 422);
    preview.assert_contains("approved_amount must be between 0 and");
    let bad =
        ana.post(&format!("{url}/preview"), &[("csrf", &csrf), ("action.1", "adjust"), ("amount.1", "abc")]);
    assert_eq!(bad.status, 422);
    bad.assert_contains("amount.1");

    // Release: back to the queue, nobody holds it.
    assert_eq!(ana.post(&format!("{url}/release"), &[]).status, 403);
    let res = ana.post(&format!("{url}/release"), &[("csrf", &csrf)]);
    assert_eq!(res.status, 303);
    assert_eq!(res.location(), format!("{url}?done=released"));
    let page = ana.get(&res.location());
    page.assert_contains("کسی این سند را برنداشته است");
    page.assert_contains("بازگرداندن سند به صف");
    // Saving without holding the claim: the use case's conflict, shown on the page.
    let page = ana.post(&format!("{url}/decision"), &[("csrf", &csrf), ("action.1", "approve")]);
    assert_eq!(page.status, 409);
    page.assert_contains("take the claim before deciding it");
}

#[test]
fn a_change_above_the_threshold_waits_for_a_supervisor() {
    let app = TestApp::spawn_with(|c| c.four_eyes_threshold = 1);
    let s = scene(&app);
    let id =
        pended_claim(&app, &s.hospitals[0], &document("SP-1403-4419", &s.insured, "1403-07-13", 1_890_000));
    let ana = Browser::signed_in(&app, "ana");
    let url = format!("/console/claims/{id}");
    let csrf = ana.get(&url).csrf();
    assert_eq!(ana.post(&format!("{url}/take"), &[("csrf", &csrf)]).status, 303);
    let form = [("csrf", csrf.as_str()), ("action.1", "reject"), ("reason.1", "R15")];
    let preview = ana.post(&format!("{url}/preview"), &form);
    preview.assert_contains("data-four-eyes=\"yes\"");
    let res = ana.post(&format!("{url}/decision"), &form);
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.location(), format!("{url}?done=awaiting"));
    let page = ana.get(&res.location());
    page.assert_contains("در انتظار تأیید سرپرست");
    page.assert_contains("ارسال برای تأیید سرپرست");
}

#[test]
fn the_electronic_file_is_served_in_scope_only_and_never_sniffed() {
    let app = TestApp::spawn();
    let s = scene(&app);
    let id =
        pended_claim(&app, &s.hospitals[0], &document("SP-1403-4420", &s.insured, "1403-07-13", 1_890_000));
    let scan = attach(&app, &s.hospitals[0], &id, "medical_report", SCAN_PNG);
    let pdf = attach(
        &app,
        &s.hospitals[0],
        &id,
        "invoice",
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n",
    );
    let url = format!("/console/claims/{id}");

    let ana = Browser::signed_in(&app, "ana");
    let page = ana.get(&url);
    page.assert_contains(&format!("<img src=\"{url}/files/{scan}\""));
    page.assert_contains("مدرک <span class=\"n\">1</span> از <span class=\"n\">2</span>");
    let second = ana.get(&format!("{url}?file=2"));
    second.assert_contains(&format!("<object data=\"{url}/files/{pdf}\" type=\"application/pdf\""));
    let file = ana.get(&format!("{url}/files/{scan}"));
    assert_eq!(file.status, 200);
    assert_eq!(file.header("content-type"), "image/png");
    assert_eq!(file.header("x-content-type-options"), "nosniff");
    assert_eq!(ana.get(&format!("{url}/files/no-such-file")).status, 404);

    // Another office's reviewer: the claim does not exist — page, preview, save, take, file.
    let bahram = Browser::signed_in(&app, "bahram");
    let csrf = bahram.get("/console/queue").csrf();
    assert_eq!(bahram.get(&url).status, 404);
    for action in ["preview", "decision", "take", "release"] {
        let res = bahram.post(&format!("{url}/{action}"), &[("csrf", &csrf), ("action.1", "approve")]);
        assert_eq!(res.status, 404, "{action}: {}", res.body);
    }
    let file = bahram.get(&format!("{url}/files/{scan}"));
    assert_eq!(file.status, 404);
    assert!(file.header("content-type").starts_with("text/html"));

    // A provider: its own claim's page and file, but none of the reviewer's actions (403).
    app.create_user("sepidar", Role::Provider, Scope::provider(&s.hospitals[0].id));
    let provider = Browser::signed_in(&app, "sepidar");
    let page = provider.get(&url);
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("برداشتن برای رسیدگی") && !page.body.contains("name=\"action.1\""));
    assert_eq!(provider.get(&format!("{url}/files/{scan}")).status, 200);
    let csrf = page.csrf();
    for action in ["preview", "decision", "take", "release"] {
        let res = provider.post(&format!("{url}/{action}"), &[("csrf", &csrf), ("action.1", "approve")]);
        assert_eq!(res.status, 403, "{action}: {}", res.body);
    }
    // The other hospital's user: the claim is not theirs (404), nor its file.
    app.create_user("niloufar", Role::Provider, Scope::provider(&s.hospitals[1].id));
    let other = Browser::signed_in(&app, "niloufar");
    assert_eq!(other.get(&url).status, 404);
    assert_eq!(other.get(&format!("{url}/files/{scan}")).status, 404);
}
