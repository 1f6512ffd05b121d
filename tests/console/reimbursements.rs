//! Reimbursements in the console over HTTP: an office clerk (a reviewer of the office) files a
//! request on behalf of an insured person, uploads its scans, submits it; a reviewer decides
//! it and a second person approves. Field errors beside their fields with the values kept,
//! CSRF on every POST, another office's request a 404 page, amounts as the API stores them.

use asnad::auth::Role;
use reqwest::blocking::multipart::{Form, Part};
use serde_json::Value;

use crate::helpers::{Scope, TestApp, PASSWORD};
use crate::support::{Browser, Page, SCAN_PNG};

pub const INSURED: &str = "0012345679";
pub const SHEBA: &str = "IR820540102680020817909002";

/// Office A with its clerk (`clerk`, a reviewer: the role that files on an insured person's
/// behalf), a second reviewer (`reza`), a supervisor (`sara`); a reviewer of office B
/// (`bahram`); and the insured person.
pub fn rb_scene(app: &TestApp) {
    let world = app.world();
    let office = world.office("RB-A");
    let other = world.office("RB-B");
    world.insured(INSURED).create();
    app.create_user("clerk", Role::Reviewer, Scope::office(&office.id));
    app.create_user("reza", Role::Reviewer, Scope::office(&office.id));
    app.create_user("sara", Role::Supervisor, Scope::office(&office.id));
    app.create_user("bahram", Role::Reviewer, Scope::office(&other.id));
}

/// The filing form for a specialist visit paid 1,890,000 and an unknown service paid 100,000
/// at a private physician's office on 1403/07/15.
pub fn care_form(insured: &str) -> Vec<(&'static str, String)> {
    vec![
        ("insured_national_code", insured.to_string()),
        ("benefit", "care".into()),
        ("setting", "outpatient".into()),
        ("kind", "visit".into()),
        ("provider_name", "مطب دکتر نمونه".into()),
        ("provider_kind", "physician_office".into()),
        ("provider_sector", "private".into()),
        ("diagnoses", "J06.9".into()),
        ("line.1.item_type", "visit".into()),
        ("line.1.code", "specialist".into()),
        ("line.1.quantity", "1".into()),
        ("line.1.service_date", "1403/07/15".into()),
        ("line.1.paid_amount", "1,890,000".into()),
        ("line.2.item_type", "service".into()),
        ("line.2.code", "999999".into()),
        ("line.2.quantity", "1".into()),
        ("line.2.service_date", "1403/07/15".into()),
        ("line.2.paid_amount", "100000".into()),
        ("line.3.item_type", "visit".into()),
        ("line.3.code", "".into()),
        ("line.3.quantity", "1".into()),
        ("line.3.service_date", "".into()),
        ("line.3.paid_amount", "".into()),
        ("sheba", SHEBA.into()),
        ("sheba_owner_national_code", INSURED.into()),
    ]
}

pub fn post_owned(b: &Browser<'_>, path: &str, form: &[(&str, String)]) -> Page {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    b.post(path, &pairs)
}

/// Files the care request through the console form; returns the new request's id.
pub fn file_care(b: &Browser<'_>) -> String {
    let form = b.get("/console/reimbursements/new");
    assert_eq!(form.status, 200, "{}", form.body);
    let mut fields = care_form(INSURED);
    fields.push(("csrf", form.csrf()));
    let res = post_owned(b, "/console/reimbursements", &fields);
    assert_eq!(res.status, 303, "{}", res.body);
    let location = res.location();
    let id = location
        .strip_prefix("/console/reimbursements/")
        .and_then(|rest| rest.split('?').next())
        .expect("the request's page")
        .to_string();
    assert!(location.ends_with("?done=filed"), "{location}");
    id
}

/// Uploads `bytes` as `document_type` through the console's multipart form.
pub fn upload(b: &Browser<'_>, id: &str, document_type: &str, bytes: &[u8], csrf: Option<&str>) -> Page {
    upload_to(
        b,
        &format!("/console/reimbursements/{id}/files"),
        "file",
        document_type,
        bytes,
        "scan.png",
        csrf,
    )
}

/// Posts a document form to `path`: `document_type`, the file as the part `part` (`file`, or
/// the insured's camera input `photo`) named `file_name`, and the CSRF token when given.
pub fn upload_to(
    b: &Browser<'_>,
    path: &str,
    part: &str,
    document_type: &str,
    bytes: &[u8],
    file_name: &str,
    csrf: Option<&str>,
) -> Page {
    let mut form = Form::new();
    if let Some(csrf) = csrf {
        form = form.text("csrf", csrf.to_string());
    }
    form = form
        .text("document_type", document_type.to_string())
        .part(part.to_string(), Part::bytes(bytes.to_vec()).file_name(file_name.to_string()));
    let client =
        reqwest::blocking::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let res = client
        .post(format!("{}{path}", b.app.base))
        .header("cookie", format!("asnad_session={}", b.cookie("asnad_session").expect("signed in")))
        .multipart(form)
        .send()
        .expect("upload");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    Page { status, headers, body: res.text().unwrap_or_default() }
}

fn api_view(app: &TestApp, id: &str) -> Value {
    let admin = app.login("root", PASSWORD);
    let res = app.get(&format!("/api/v1/reimbursements/{id}"), Some(&admin));
    assert_eq!(res.status(), 200);
    res.json().unwrap()
}

fn totals(r: &Value) -> [i64; 5] {
    let t = &r["totals"];
    ["paid", "reimbursed", "franchise", "above_tariff", "not_covered"].map(|k| t[k].as_i64().unwrap())
}

#[test]
fn filing_with_a_bad_national_code_shows_the_field_error_and_keeps_the_other_values() {
    let app = TestApp::spawn();
    rb_scene(&app);
    let b = Browser::signed_in(&app, "clerk");
    let form = b.get("/console/reimbursements/new");
    assert_eq!(form.status, 200);
    form.assert_contains("ثبت درخواست به نیابت از بیمه‌شده");
    // The check digit of 0012345678 is wrong.
    let mut fields = care_form("0012345678");
    fields.push(("csrf", form.csrf()));
    let res = post_owned(&b, "/console/reimbursements", &fields);
    assert_eq!(res.status, 422, "{}", res.body);
    // The error beside its field, the field marked, every other value kept.
    res.assert_contains(
        r#"name="insured_national_code" type="text" autocomplete="off" dir="ltr" inputmode="numeric" value="0012345678" aria-invalid="true" aria-describedby="r-insured-national-code-err""#,
    );
    res.assert_contains(r#"<p class="field-error" id="r-insured-national-code-err">"#);
    res.assert_contains(r#"value="مطب دکتر نمونه""#);
    res.assert_contains(
        r#"name="line.1.paid_amount" dir="ltr" inputmode="numeric" autocomplete="off" value="1,890,000""#,
    );
    res.assert_contains(r#"name="line.2.code" dir="ltr" autocomplete="off" value="999999""#);
    res.assert_contains(&format!(r#"value="{SHEBA}""#));
    res.assert_contains(r#"<option value="physician_office" selected>"#);
    // Only that field is wrong.
    assert!(!res.body.contains(r#"id="r-sheba-err""#));

    // A line's error is shown on its row: a service date in the future.
    let mut fields = care_form(INSURED);
    fields.retain(|(k, _)| *k != "line.2.service_date");
    fields.push(("line.2.service_date", "1499/01/01".into()));
    fields.push(("csrf", form.csrf()));
    let res = post_owned(&b, "/console/reimbursements", &fields);
    assert_eq!(res.status, 422, "{}", res.body);
    res.assert_contains(r#"name="line.2.service_date" dir="ltr" placeholder="1403/07/15" autocomplete="off" value="1499/01/01" aria-invalid="true""#);
    res.assert_contains("service_date: cannot be after today");

    // The same form, right: the draft, priced at once (exact rials, grouped).
    let id = file_care(&b);
    let page = b.get(&format!("/console/reimbursements/{id}?done=filed"));
    assert_eq!(page.status, 200);
    page.assert_contains("پیش‌نویس");
    // The specialist visit's government tariff is 564,000: 394,800 reimbursed, 169,200
    // franchise, 1,326,000 above the tariff; the unknown code 100,000 not covered.
    for amount in ["1,990,000", "394,800", "169,200", "1,326,000", "100,000", "564,000"] {
        page.assert_contains(amount);
    }
    let r = api_view(&app, &id);
    assert_eq!(totals(&r), [1_990_000, 394_800, 169_200, 1_326_000, 100_000]);
    assert_eq!(r["insured_national_code"], INSURED);
    assert_eq!(r["status"], "draft");
    assert_eq!(r["lines"].as_array().unwrap().len(), 2, "the blank row is not a line");
}

#[test]
fn uploads_fill_the_checklist_and_a_complete_draft_is_submitted() {
    let app = TestApp::spawn();
    rb_scene(&app);
    let b = Browser::signed_in(&app, "clerk");
    let id = file_care(&b);
    let page = b.get(&format!("/console/reimbursements/{id}"));
    page.assert_contains(r#"data-document-type="invoice" data-present="no""#);

    // Submitting before the invoice is attached: refused with the detail, the page again.
    let res = b.post(&format!("/console/reimbursements/{id}/submit"), &[("csrf", &page.csrf())]);
    assert_eq!(res.status, 422, "{}", res.body);
    res.assert_contains("درخواست فرستاده نشد.");
    res.assert_contains("attach these documents before submitting: invoice");
    assert_eq!(api_view(&app, &id)["status"], "draft");

    // Without the CSRF token the upload is refused and nothing is stored.
    let res = upload(&b, &id, "invoice", SCAN_PNG, None);
    assert_eq!(res.status, 403);
    // A type the upload does not know: the page with the problem.
    let res = upload(&b, &id, "selfie", SCAN_PNG, Some(&page.csrf()));
    assert_eq!(res.status, 422, "{}", res.body);
    res.assert_contains("مدرک بارگذاری نشد.");
    // The invoice: stored, stamped, the checklist filled.
    let res = upload(&b, &id, "invoice", SCAN_PNG, Some(&page.csrf()));
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.location(), format!("/console/reimbursements/{id}?done=uploaded&file=1#docs"));
    let page = b.get(&format!("/console/reimbursements/{id}?done=uploaded&file=1"));
    page.assert_contains(r#"data-document-type="invoice" data-present="yes""#);
    page.assert_contains("مهر «اسکن شد» · clerk");
    let at = page.body.find("/files/").expect("a document link");
    let src: String = page.body[at..].chars().take_while(|c| *c != '"').collect();
    let doc = b.get(&format!("/console/reimbursements/{id}{src}"));
    assert_eq!(doc.status, 200);
    assert_eq!(doc.header("content-type"), "image/png");
    assert_eq!(doc.header("content-disposition"), "inline");
    assert_eq!(doc.header("x-content-type-options"), "nosniff");
    let listed: Value = app
        .get(&format!("/api/v1/reimbursements/{id}/attachments"), Some(&app.login("root", PASSWORD)))
        .json()
        .unwrap();
    assert_eq!(listed["items"][0]["document_type"], "invoice");
    assert_eq!(listed["items"][0]["stamp"]["user_code"], "clerk");

    // Submit: in review, priced again; the draft's forms are gone.
    let res = b.post(&format!("/console/reimbursements/{id}/submit"), &[("csrf", &page.csrf())]);
    assert_eq!(res.status, 303, "{}", res.body);
    let page = b.get(&res.location());
    page.assert_contains("در حال رسیدگی");
    assert!(!page.body.contains(&format!("/console/reimbursements/{id}/submit")));
    let r = api_view(&app, &id);
    assert_eq!((r["status"].as_str(), r["machine_reimbursed"].as_i64()), (Some("in_review"), Some(394_800)));
    // Submitted twice: the conflict is shown on the page.
    let res = b.post(&format!("/console/reimbursements/{id}/submit"), &[("csrf", &page.csrf())]);
    assert_eq!(res.status, 409, "{}", res.body);
}

/// A submitted care request (filed and submitted by `clerk`); returns its id.
pub fn submitted(app: &TestApp) -> String {
    let b = Browser::signed_in(app, "clerk");
    let id = file_care(&b);
    let page = b.get(&format!("/console/reimbursements/{id}"));
    assert_eq!(upload(&b, &id, "invoice", SCAN_PNG, Some(&page.csrf())).status, 303);
    let res = b.post(&format!("/console/reimbursements/{id}/submit"), &[("csrf", &page.csrf())]);
    assert_eq!(res.status, 303, "{}", res.body);
    id
}

fn reduce_visit(id: &str, csrf: &str) -> Vec<(&'static str, String)> {
    let _ = id;
    vec![
        ("csrf", csrf.to_string()),
        ("action.1", "adjust".into()),
        ("amount.1", "400,000".into()),
        ("reason.1", "R90".into()),
        ("lnote.1", "one visit".into()),
        ("action.2", "".into()),
        ("amount.2", "0".into()),
        ("reason.2", "R90".into()),
        ("lnote.2", "".into()),
        ("note", "reduced to the visit's usual price".into()),
    ]
}

#[test]
fn a_reviewer_decides_and_a_second_person_approves() {
    let mut app = TestApp::spawn();
    app.restart_with(|c| c.four_eyes_threshold = 100_000);
    rb_scene(&app);
    let id = submitted(&app);

    let reza = Browser::signed_in(&app, "reza");
    let page = reza.get(&format!("/console/reimbursements/{id}"));
    assert_eq!(page.status, 200);
    page.assert_contains("تصمیم کارشناس");
    // A decision without the CSRF token: 403, nothing decided.
    let mut no_csrf = reduce_visit(&id, "");
    no_csrf.retain(|(k, _)| *k != "csrf");
    assert_eq!(post_owned(&reza, &format!("/console/reimbursements/{id}/decision"), &no_csrf).status, 403);
    // A bad amount is shown beside its line, the draft kept.
    let mut bad = reduce_visit(&id, &page.csrf());
    bad.retain(|(k, _)| *k != "amount.1");
    bad.push(("amount.1", "a lot".into()));
    let res = post_owned(&reza, &format!("/console/reimbursements/{id}/decision"), &bad);
    assert_eq!(res.status, 422, "{}", res.body);
    res.assert_contains(r#"<p class="field-error" id="err-1" role="alert"><span dir="ltr">an amount in whole rials</span></p>"#);
    res.assert_contains(r#"value="a lot""#);

    // The visit cut to 400,000 recognised: beyond the threshold, it waits for a supervisor.
    let res = post_owned(
        &reza,
        &format!("/console/reimbursements/{id}/decision"),
        &reduce_visit(&id, &page.csrf()),
    );
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.location(), format!("/console/reimbursements/{id}?done=awaiting"));
    let page = reza.get(&res.location());
    page.assert_contains("در انتظار تأیید سرپرست");
    page.assert_contains(r#"<span id="rb-decided-by">reza</span>"#);
    assert!(!page.body.contains("تأیید و اعمال تصمیم"), "the reviewer is offered no approval");
    assert_eq!(api_view(&app, &id)["status"], "awaiting_approval");
    // The reviewer cannot approve (the API's Supervisors), nor can the approval go without CSRF.
    let res = reza
        .post(&format!("/console/reimbursements/{id}/approval"), &[("csrf", &page.csrf()), ("approve", "1")]);
    assert_eq!(res.status, 403);

    let sara = Browser::signed_in(&app, "sara");
    let page = sara.get(&format!("/console/reimbursements/{id}"));
    page.assert_contains("تأیید و اعمال تصمیم");
    assert!(!page.body.contains("/decision\""), "a waiting decision is not decided again");
    assert_eq!(sara.post(&format!("/console/reimbursements/{id}/approval"), &[("approve", "1")]).status, 403);
    let res = sara
        .post(&format!("/console/reimbursements/{id}/approval"), &[("csrf", &page.csrf()), ("approve", "1")]);
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.location(), format!("/console/reimbursements/{id}?done=approved"));

    // As decided: 400,000 recognised = 280,000 reimbursed + 120,000 franchise.
    let r = api_view(&app, &id);
    assert_eq!(r["status"], "partially_approved");
    assert_eq!(totals(&r), [1_990_000, 280_000, 120_000, 1_326_000, 264_000]);
    let page = sara.get(&res.location());
    page.assert_contains("تأیید با کسور");
    page.assert_contains(r#"<span id="rb-decided-by">reza</span>"#);
    page.assert_contains(r#"<span id="rb-approved-by">sara</span>"#);
    page.assert_contains(r#"<span class="n" id="rb-reimbursed">280,000</span>"#);
    for step in
        ["ثبت درخواست (پیش‌نویس)", "ارسال برای رسیدگی", "تصمیم کارشناس، در انتظار تأیید", "ثبت نتیجهٔ رسیدگی"]
    {
        page.assert_contains(step);
    }
    // Decided: read-only — no decision, approval, upload or submission forms.
    for form in ["/decision\"", "/approval\"", "/files\"", "/submit\""] {
        assert!(!page.body.contains(&format!("/console/reimbursements/{id}{form}")), "{form} still offered");
    }
    let res = sara
        .post(&format!("/console/reimbursements/{id}/approval"), &[("csrf", &page.csrf()), ("approve", "1")]);
    assert_eq!(res.status, 409);
}

#[test]
fn another_office_gets_404_and_other_roles_403() {
    let app = TestApp::spawn();
    rb_scene(&app);
    let id = submitted(&app);
    let bahram = Browser::signed_in(&app, "bahram");
    let page = bahram.get(&format!("/console/reimbursements/{id}"));
    assert_eq!(page.status, 404);
    page.assert_contains("پیدا نشد");
    let list = bahram.get("/console/reimbursements");
    assert_eq!(list.status, 200);
    assert!(!list.body.contains(&id), "another office's request is not listed");
    let csrf = list.csrf();
    for action in ["submit", "decision"] {
        let res = bahram.post(&format!("/console/reimbursements/{id}/{action}"), &[("csrf", &csrf)]);
        assert_eq!(res.status, 404, "{action}: {}", res.body);
    }
    assert_eq!(upload(&bahram, &id, "invoice", SCAN_PNG, Some(&csrf)).status, 404);

    // Filing without the CSRF token: 403.
    let clerk = Browser::signed_in(&app, "clerk");
    assert_eq!(post_owned(&clerk, "/console/reimbursements", &care_form(INSURED)).status, 403);

    // Finance has no reimbursement screens in the console (the API's Reviewers only).
    app.create_user("farid", Role::Finance, Scope::default());
    let farid = Browser::signed_in(&app, "farid");
    assert_eq!(farid.get("/console/reimbursements").status, 403);
    assert_eq!(farid.get(&format!("/console/reimbursements/{id}")).status, 403);
}

#[test]
fn the_list_filters_counts_and_pages_in_the_url() {
    let app = TestApp::spawn();
    rb_scene(&app);
    let clerk = Browser::signed_in(&app, "clerk");
    // Empty: it says what to do.
    let page = clerk.get("/console/reimbursements");
    assert_eq!(page.status, 200);
    page.assert_contains("هنوز درخواست بازپرداختی در دفتر شما نیست");
    page.assert_contains(r#"href="/console/reimbursements/new""#);
    page.assert_contains(r#"<a href="/console/reimbursements" aria-current="page">بازپرداخت</a>"#);

    let draft = file_care(&clerk);
    let sent = submitted(&app);
    let page = clerk.get("/console/reimbursements");
    page.assert_contains(&format!("/console/reimbursements/{draft}"));
    page.assert_contains(&format!("/console/reimbursements/{sent}"));
    page.assert_contains(r#"<span class="k">همه</span>"#);

    let page = clerk.get("/console/reimbursements?status=draft");
    page.assert_contains(&format!("/console/reimbursements/{draft}"));
    assert!(!page.body.contains(&format!("/console/reimbursements/{sent}\"")));
    // The counts are of every status: one draft, one in review, two in all.
    page.assert_contains(
        r#"<span class="k">پیش‌نویس</span>
    <span class="v n">1</span>"#,
    );
    page.assert_contains(
        r#"<span class="k">همه</span>
    <span class="v n">2</span>"#,
    );

    // By the insured person's national code, and by the day filed.
    let page = clerk.get(&format!("/console/reimbursements?insured={INSURED}"));
    page.assert_contains(&format!("/console/reimbursements/{draft}"));
    let page = clerk.get("/console/reimbursements?insured=0045678901");
    page.assert_contains("هیچ درخواستی با این فیلترها نیست");
    let page = clerk.get("/console/reimbursements?to=1390/01/01");
    page.assert_contains("هیچ درخواستی با این فیلترها نیست");
    // A bad filter: 422, the error beside its field.
    let page = clerk.get("/console/reimbursements?insured=123");
    assert_eq!(page.status, 422);
    page.assert_contains(r#"id="f-insured-err""#);

    // Paging: one per page.
    let page = clerk.get("/console/reimbursements?per=1");
    page.assert_contains(r#"<a href="/console/reimbursements?page=2&#38;per=1">بعدی</a>"#);
    let page2 = clerk.get("/console/reimbursements?page=2&per=1");
    page2.assert_contains(
        "نمایش <span class=\"n\">2</span> تا <span class=\"n\">2</span> از <span class=\"n\">2</span>",
    );
}
