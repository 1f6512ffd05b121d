//! The medical advisor's pre-authorization inbox and the review office's objections over real
//! HTTP: what the pages show (exact quantities, dates in Jalali, exact rials), the decisions
//! through the same use cases as the API, CSRF (403 without), roles (403 for another role, as
//! the API) and scope (another office's request or objection is a 404 page, its documents too).

use asnad::auth::Role;
use reqwest::blocking::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::fixtures::{Office, Provider};
use crate::helpers::{Scope, TestApp, PASSWORD};
use crate::support::{document, hospital, Browser, SCAN_PNG};

pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";

/// An office whose claims the engine decides (no auto-approval limit), two contracted providers
/// of it, the insured person, and a second office B.
pub struct Setting {
    pub office: Office,
    pub other: Office,
    pub hospital: Provider,
    /// A second provider of the office.
    pub clinic: Provider,
    pub insured: String,
}

pub fn setting(app: &TestApp) -> Setting {
    let world = app.world();
    let office = world.office("THR-N");
    let other = world.office("THR-S");
    let hospital = hospital(&world, &office, "بیمارستان خصوصی سپیدار");
    let clinic = crate::support::hospital(&world, &office, "درمانگاه تخصصی نیلوفر");
    let insured = "0012345679".to_string();
    world.insured(&insured).create();
    Setting { office, other, hospital, clinic, insured }
}

/// A request for one peripheral-blood karyotype (806035, which the tariff marks as needing a
/// pre-authorization) with a report attached; returns
/// (request id, attachment id).
pub fn karyotype_request(
    app: &TestApp,
    provider: &Provider,
    insured: &str,
    bytes: &[u8],
) -> (String, String) {
    let res = app.post_json(
        "/api/v1/preauthorizations",
        Some(&provider.key),
        &json!({"insured_national_code": insured, "item_type": "service", "code": "806035", "quantity": "1",
                "diagnoses": ["Q99.9"], "justification": "بررسی ناهنجاری کروموزومی؛ دو فرزند با تأخیر رشد"}),
    );
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let id = res.json::<Value>().unwrap()["id"].as_str().unwrap().to_string();
    let att = upload(
        app,
        provider,
        &format!("/api/v1/preauthorizations/{id}/attachments"),
        "medical_report",
        bytes,
    );
    (id, att)
}

/// Uploads a document as the provider's system does; returns its id.
pub fn upload(app: &TestApp, provider: &Provider, path: &str, document_type: &str, bytes: &[u8]) -> String {
    let form = Form::new()
        .text("document_type", document_type.to_string())
        .part("file", Part::bytes(bytes.to_vec()).file_name("scan"));
    let res =
        app.request(reqwest::Method::POST, path, Some(&provider.key)).multipart(form).send().expect("upload");
    assert_eq!(res.status().as_u16(), 201);
    res.json::<Value>().unwrap()["id"].as_str().unwrap().to_string()
}

#[test]
fn the_advisor_sees_the_inbox_opens_a_request_with_its_document_and_approves_it() {
    let app = TestApp::spawn();
    let s = setting(&app);
    let (id, att) = karyotype_request(&app, &s.hospital, &s.insured, SCAN_PNG);
    app.create_user("dr-a", Role::MedicalAdvisor, Scope::office(&s.office.id));
    app.create_user("dr-b", Role::MedicalAdvisor, Scope::office(&s.other.id));
    app.create_user("ana", Role::Reviewer, Scope::office(&s.office.id));

    // The advisor's home is the inbox; the request waits there, with the tariff's description.
    let dr = Browser::signed_in(&app, "dr-a");
    let home = dr.get("/console/");
    assert_eq!((home.status, home.location().as_str()), (303, "/console/preauthorizations"));
    let inbox = dr.get("/console/preauthorizations");
    assert_eq!(inbox.status, 200, "{}", inbox.body);
    inbox.assert_contains(&format!("href=\"/console/preauthorizations/{id}\""));
    inbox.assert_contains("بیمارستان خصوصی سپیدار");
    inbox.assert_contains("aria-current=\"page\">درخواست‌های تأیید قبلی</a>");
    let book = asnad::services::tariffs::load_book(&mut app.pool.get().unwrap()).unwrap();
    let description = book.for_date(chrono::NaiveDate::from_ymd_opt(2024, 10, 10).unwrap()).unwrap().services
        ["806035"]
        .description_fa
        .clone();
    inbox.assert_contains(&askama_escape(&description));
    inbox.assert_contains(&crate::support::shown_today());
    // Filters in the URL: another code lists nothing; the status counts stay.
    let none = dr.get("/console/preauthorizations?code=999999");
    none.assert_contains("هیچ درخواستی با این فیلترها نیست");
    assert!(!none.body.contains(&format!("/console/preauthorizations/{id}\"")));
    // The CSV of the same filter.
    let csv = dr.get("/console/preauthorizations.csv?status=all");
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").starts_with("text/csv"));
    assert!(csv.body.contains(&format!("{id},requested,")), "{}", csv.body);
    let bad = dr.get("/console/preauthorizations?status=maybe");
    assert_eq!(bad.status, 422);
    bad.assert_contains("must be requested, approved, rejected or all");

    // The request: provider, insured person with eligibility today, the service, the document.
    let url = format!("/console/preauthorizations/{id}");
    let page = dr.get(&url);
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_contains("بررسی ناهنجاری کروموزومی؛ دو فرزند با تأخیر رشد");
    page.assert_contains("علی کریمی");
    page.assert_contains("دارای استحقاق درمان امروز");
    page.assert_contains("<span class=\"code\" dir=\"ltr\">Q99.9</span>");
    let file_url = format!("{url}/files/{att}");
    page.assert_contains(&format!("<img src=\"{file_url}\""));
    let file = dr.get(&file_url);
    assert_eq!((file.status, file.header("content-type").as_str()), (200, "image/png"));
    assert_eq!(file.header("x-content-type-options"), "nosniff");
    let csrf = page.csrf();

    // Another office's advisor: 404 for the page, its document and the decision.
    let other = Browser::signed_in(&app, "dr-b");
    assert_eq!(other.get(&url).status, 404);
    assert_eq!(other.get(&file_url).status, 404);
    let other_csrf = other.get("/console/preauthorizations").csrf();
    let res = other.post(
        &format!("{url}/decision"),
        &[("csrf", &other_csrf), ("decision", "reject"), ("note", "x"), ("reason", "R91")],
    );
    assert_eq!(res.status, 404, "{}", res.body);
    // A reviewer is not a medical advisor: 403, as the API's decision route.
    let ana = Browser::signed_in(&app, "ana");
    assert_eq!(ana.get("/console/preauthorizations").status, 403);
    assert_eq!(ana.get("/console/preauthorizations.csv").status, 403);
    assert_eq!(ana.get(&url).status, 403);
    let ana_csrf = ana.get("/console/queue").csrf();
    assert_eq!(
        ana.post(&format!("{url}/decision"), &[("csrf", &ana_csrf), ("decision", "reject")]).status,
        403
    );
    assert!(
        !ana.get("/console/queue").body.contains("/console/preauthorizations"),
        "not in a reviewer's nav"
    );

    // Without the CSRF token: 403 and nothing decided.
    let form = [
        ("decision", "approve"),
        ("approved_quantity", "1"),
        ("valid_from", "1403/07/19"),
        ("valid_to", "1403/08/18"),
        ("reason", "R91"),
        ("note", ""),
    ];
    assert_eq!(dr.post(&format!("{url}/decision"), &form).status, 403);
    let admin = app.login("root", PASSWORD);
    let api: Value = app.get(&format!("/api/v1/preauthorizations/{id}"), Some(&admin)).json().unwrap();
    assert_eq!(api["status"], "requested");

    // A refusal without a note: the page again (422), the error beside the note, the draft kept.
    let res =
        dr.post(&format!("{url}/decision"), &[("csrf", &csrf), ("decision", "reject"), ("reason", "R15")]);
    assert_eq!(res.status, 422, "{}", res.body);
    res.assert_contains("aria-describedby=\"e-note\"");
    res.assert_contains("a refusal says why");
    res.assert_contains("<option value=\"R15\" selected>");
    // An approval beyond the requested quantity names its field.
    let mut too_many = form.to_vec();
    too_many[1] = ("approved_quantity", "2");
    too_many.push(("csrf", &csrf));
    let res = dr.post(&format!("{url}/decision"), &too_many);
    assert_eq!(res.status, 422, "{}", res.body);
    res.assert_contains("must be more than 0 and at most the requested 1");

    // Approved for one, valid 1403/07/19 to 1403/08/18 (Jalali in the form, as the API takes).
    let mut ok = form.to_vec();
    ok.push(("csrf", &csrf));
    let res = dr.post(&format!("{url}/decision"), &ok);
    assert_eq!((res.status, res.location()), (303, format!("{url}?done=approved")), "{}", res.body);
    let api: Value = app.get(&format!("/api/v1/preauthorizations/{id}"), Some(&admin)).json().unwrap();
    assert_eq!(
        (
            api["status"].as_str(),
            api["approved_quantity"].as_str(),
            api["valid_from"].as_str(),
            api["valid_to"].as_str(),
            api["decision_reason"].as_str()
        ),
        (Some("approved"), Some("1"), Some("2024-10-10"), Some("2024-11-08"), None)
    );
    // Decided: shown read-only, no form; and out of the waiting list.
    let page = dr.get(&res.location());
    page.assert_contains("درخواست تأیید شد");
    page.assert_contains("1403/08/18");
    assert!(!page.body.contains("name=\"decision\""), "a decided request has no form");
    let inbox = dr.get("/console/preauthorizations");
    inbox.assert_contains("درخواستی در انتظار تصمیم شما نیست");
    let approved = dr.get("/console/preauthorizations?status=approved");
    approved.assert_contains(&format!("/console/preauthorizations/{id}\""));
    // Deciding again is a conflict, shown on the page.
    let res = dr.post(&format!("{url}/decision"), &ok);
    assert_eq!(res.status, 409, "{}", res.body);
}

/// askama escapes `'` and `"` and friends; the tariff's text may carry them.
fn askama_escape(s: &str) -> String {
    s.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// A claim served on `date` (Jalali) that the engine decides with a deduction; returns (claim
/// id, deducted line's number, the claim as the API has it).
pub fn deducted_claim(
    app: &TestApp,
    provider: &Provider,
    insured: &str,
    no: &str,
    date: &str,
) -> (String, i64, Value) {
    let res = app.post_json("/api/v1/claims", Some(&provider.key), &document(no, insured, date, 1_890_000));
    let c: Value = res.json().unwrap();
    assert!(c["status"] == "partially_approved", "{c}");
    let line = c["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["deducted"].as_i64().unwrap() > 0 && l["insurer_payable"].as_i64().unwrap() > 0)
        .or_else(|| c["lines"].as_array().unwrap().iter().find(|l| l["deducted"].as_i64().unwrap() > 0))
        .expect("a deducted line")["line_no"]
        .as_i64()
        .unwrap();
    (c["id"].as_str().unwrap().to_string(), line, c)
}

fn rials(v: i64) -> String {
    asnad::console::format::Rials(v).to_string()
}

#[test]
fn a_reviewer_decides_an_objection_from_the_offices_list_and_others_cannot_reach_it() {
    let app = TestApp::spawn();
    let s = setting(&app);
    let (claim, line_no, c) = deducted_claim(&app, &s.hospital, &s.insured, "OB-1403-118", "1403-07-13");
    let line = &c["lines"][(line_no - 1) as usize];
    let deducted = line["deducted"].as_i64().unwrap();
    let most = line["insurer_payable"].as_i64().unwrap() + line["patient_share"].as_i64().unwrap() + deducted;
    let res = app.post_json(
        &format!("/api/v1/claims/{claim}/objections"),
        Some(&s.hospital.key),
        &json!({"reason": "۴۰ عدد برای ۲۰ روز تجویز شده است", "line_nos": [line_no]}),
    );
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let oid = res.json::<Value>().unwrap()["id"].as_str().unwrap().to_string();
    let att =
        upload(&app, &s.hospital, &format!("/api/v1/objections/{oid}/attachments"), "prescription", PDF);
    app.create_user("ana", Role::Reviewer, Scope::office(&s.office.id));
    app.create_user("bahram", Role::Reviewer, Scope::office(&s.other.id));
    app.create_user("dr-a", Role::MedicalAdvisor, Scope::office(&s.office.id));

    // The office's list: the open objection with the amount still deducted on its line.
    let ana = Browser::signed_in(&app, "ana");
    let list = ana.get("/console/objections");
    assert_eq!(list.status, 200, "{}", list.body);
    list.assert_contains(&format!("href=\"/console/objections/{oid}\""));
    list.assert_contains("OB-1403-118");
    list.assert_contains(&format!("<span dir=\"ltr\">{}</span>", rials(deducted)));
    list.assert_contains("aria-current=\"page\">اعتراض‌ها</a>");
    assert!(ana.get("/console/objections?status=decided").body.contains("اعتراضی با این وضعیت نیست"));
    let csv = ana.get("/console/objections.csv");
    assert_eq!(csv.status, 200);
    assert!(csv.body.contains(&format!("{oid},open,{claim},OB-1403-118,")), "{}", csv.body);
    assert!(csv.body.contains(&format!(",{line_no},{deducted},")), "{}", csv.body);
    // The claim page lists its objection with a link.
    let claim_page = ana.get(&format!("/console/claims/{claim}"));
    claim_page.assert_contains("اعتراض‌های مرکز درمانی");
    claim_page.assert_contains(&format!("<a href=\"/console/objections/{oid}\">"));

    // The objection: the disputed line's split, the provider's text, its document inline.
    let url = format!("/console/objections/{oid}");
    let page = ana.get(&url);
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_contains("۴۰ عدد برای ۲۰ روز تجویز شده است");
    page.assert_contains(&format!("name=\"verdict.{line_no}\""));
    page.assert_contains(&format!("value=\"{most}\""));
    let file_url = format!("{url}/files/{att}");
    page.assert_contains(&format!("<object data=\"{file_url}\" type=\"application/pdf\""));
    let file = ana.get(&file_url);
    assert_eq!((file.status, file.header("content-type").as_str()), (200, "application/pdf"));
    let csrf = page.csrf();

    // Another office's reviewer: not in the list, 404 for the page, its file and the decision.
    let bahram = Browser::signed_in(&app, "bahram");
    assert!(!bahram.get("/console/objections?status=all").body.contains(&oid));
    assert_eq!(bahram.get(&url).status, 404);
    assert_eq!(bahram.get(&file_url).status, 404);
    let b_csrf = bahram.get("/console/objections").csrf();
    let verdict = format!("verdict.{line_no}");
    let amount = format!("amount.{line_no}");
    let most_s = most.to_string();
    let res = bahram.post(
        &format!("{url}/decision"),
        &[("csrf", b_csrf.as_str()), (verdict.as_str(), "uphold"), (amount.as_str(), most_s.as_str())],
    );
    assert_eq!(res.status, 404, "{}", res.body);
    // A medical advisor is not a reviewer: 403.
    let dr = Browser::signed_in(&app, "dr-a");
    assert_eq!(dr.get("/console/objections").status, 403);
    assert_eq!(dr.get("/console/objections.csv").status, 403);
    assert_eq!(dr.get(&url).status, 403);

    // Without the CSRF token: 403, nothing changes.
    let form = [(verdict.as_str(), "uphold"), (amount.as_str(), most_s.as_str()), ("note", "نسخه پیوست است")];
    assert_eq!(ana.post(&format!("{url}/decision"), &form).status, 403);
    // Above the line's bound: the page again, the error beside the line.
    let too_much = (most + 1).to_string();
    let res = ana.post(
        &format!("{url}/decision"),
        &[("csrf", csrf.as_str()), (verdict.as_str(), "uphold"), (amount.as_str(), too_much.as_str())],
    );
    assert_eq!(res.status, 422, "{}", res.body);
    res.assert_contains(&format!("aria-describedby=\"ohint-{line_no} oerr-{line_no}\""));
    res.assert_contains(&format!("approved_amount must be between 0 and {most} for this line"));

    // Upheld in full: the deduction comes back; the claim and the objection say so.
    let mut ok = form.to_vec();
    ok.push(("csrf", csrf.as_str()));
    let res = ana.post(&format!("{url}/decision"), &ok);
    assert_eq!((res.status, res.location()), (303, format!("{url}?done=applied")), "{}", res.body);
    let admin = app.login("root", PASSWORD);
    let after: Value = app.get(&format!("/api/v1/claims/{claim}"), Some(&admin)).json().unwrap();
    let l = &after["lines"][(line_no - 1) as usize];
    assert_eq!(l["deducted"], 0, "{l}");
    assert_eq!(l["insurer_payable"].as_i64().unwrap() + l["patient_share"].as_i64().unwrap(), most);
    let objections: Value =
        app.get(&format!("/api/v1/claims/{claim}/objections"), Some(&s.hospital.key)).json().unwrap();
    assert_eq!(objections["items"][0]["status"], "decided");
    let page = ana.get(&res.location());
    page.assert_contains("رسیدگی به اعتراض ثبت شد");
    page.assert_contains(&format!(
        "<span dir=\"ltr\">{}</span>",
        rials(l["insurer_payable"].as_i64().unwrap())
    ));
    assert!(!page.body.contains("name=\"verdict."), "a decided objection has no form");
    assert!(ana.get("/console/objections").body.contains("اعتراض بازی در دفتر نیست"));
    ana.get("/console/objections?status=decided").assert_contains(&format!("/console/objections/{oid}\""));
}
