//! The insured person's own reimbursement requests over HTTP: they file one for their spouse with
//! the office of their choice (refused fields in Persian beside their fields, values kept), the
//! checklist gates submission, a phone-sized JPEG is taken and a larger file or a text file is
//! refused with the page saying why, nothing stored; another family, a dependant's own login and
//! the office's staff each get what their scope allows; the decision and the payment are then
//! on the person's page with the exact amounts.

use asnad::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{Scope, TestApp, PASSWORD};
use crate::reimbursements::{post_owned, upload_to, SHEBA};
use crate::support::{Browser, Page};

/// The main insured (`maryam`'s login), their spouse (a dependant with a login of her own,
/// `sima`), another family (`omid`).
pub const MAIN: &str = "0012345679";
pub const SPOUSE: &str = "0076543218";
pub const OTHER: &str = "0045678901";

/// The offices and people of these tests; returns the office's id and the other office's.
pub fn me_rb_scene(app: &TestApp) -> (String, String) {
    let world = app.world();
    let office = world.office("RB-ME");
    let other = world.office("RB-OT");
    let admin = app.login("root", PASSWORD);
    let person = |code: &str, first: &str, main: Option<&str>| -> String {
        let mut body = json!({"national_code": code, "first_name": first, "last_name": "احمدی",
            "sex": if main.is_some() { "female" } else { "male" }, "birth_date": "1980-01-01",
            "insurance_type": "mandatory", "email": format!("p{code}@example.org"),
            "coverage": [{"from": "1400-01-01", "to": "1404-12-29"}]});
        match main {
            None => body["insurance_no"] = json!(format!("9{}", &code[3..])),
            Some(m) => {
                body["main_national_code"] = json!(m);
                body["relation"] = json!("spouse");
                body["coverage"] = json!([]);
            }
        }
        let res = app.post_json("/api/v1/insured", Some(&admin), &body);
        assert_eq!(res.status(), 201, "{:?}", res.text());
        res.json::<Value>().unwrap()["id"].as_str().unwrap().to_string()
    };
    let main = person(MAIN, "رضا", None);
    let spouse = person(SPOUSE, "سیما", Some(MAIN));
    let other_family = person(OTHER, "امید", None);
    let insured = |id: String| Scope { insured_id: Some(id), ..Scope::default() };
    app.create_user("maryam", Role::Insured, insured(main));
    app.create_user("sima", Role::Insured, insured(spouse));
    app.create_user("omid", Role::Insured, insured(other_family));
    app.create_user("reza", Role::Reviewer, Scope::office(&office.id));
    app.create_user("farid", Role::Finance, Scope::default());
    (office.id, other.id)
}

/// The form for the spouse's specialist visit paid 1,890,000 at a private office on 1403/07/15:
/// 564,000 on the government tariff, 30 % franchise — 394,800 reimbursed, 169,200 franchise,
/// 1,326,000 above the tariff.
pub fn visit_form(office: &str) -> Vec<(&'static str, String)> {
    vec![
        ("office_id", office.to_string()),
        ("patient_national_code", SPOUSE.into()),
        ("benefit", "care".into()),
        ("setting", "outpatient".into()),
        ("kind", "visit".into()),
        ("provider_name", "مطب دکتر نمونه".into()),
        ("provider_kind", "physician_office".into()),
        ("provider_sector", "private".into()),
        ("line.1.item_type", "visit".into()),
        ("line.1.code", "specialist".into()),
        ("line.1.quantity", "1".into()),
        ("line.1.service_date", "1403/07/15".into()),
        ("line.1.paid_amount", "1,890,000".into()),
        ("line.2.item_type", "visit".into()),
        ("line.2.code", "".into()),
        ("line.2.quantity", "1".into()),
        ("line.2.service_date", "".into()),
        ("line.2.paid_amount", "".into()),
        ("sheba", SHEBA.into()),
    ]
}

/// A phone camera's JPEG as the upload sees it: the JPEG signature, then `size` bytes.
fn phone_jpeg(size: usize) -> Vec<u8> {
    let mut bytes = include_bytes!("phone-receipt.jpg").to_vec();
    bytes.resize(size, 0);
    bytes
}

fn id_of(location: &str) -> String {
    location
        .strip_prefix("/console/me/reimbursements/")
        .and_then(|rest| rest.split('?').next())
        .unwrap_or_else(|| panic!("the request's page: {location}"))
        .to_string()
}

fn api(app: &TestApp, id: &str) -> Value {
    let admin = app.login("root", PASSWORD);
    app.get(&format!("/api/v1/reimbursements/{id}"), Some(&admin)).json().unwrap()
}

#[test]
fn an_insured_person_files_for_their_spouse_uploads_a_photo_and_submits() {
    let app = TestApp::spawn();
    let (office, _) = me_rb_scene(&app);
    let b = Browser::signed_in(&app, "maryam");

    let list = b.get("/console/me/reimbursements");
    assert_eq!(list.status, 200, "{}", list.body);
    list.assert_contains("هنوز درخواست بازپرداختی ندارید");
    list.assert_contains("aria-current=\"page\">بازپرداخت‌های من");
    let form = b.get("/console/me/reimbursements/new");
    assert_eq!(form.status, 200, "{}", form.body);
    // The family to choose from, the caller first; the offices by province.
    form.assert_contains(&format!("<option value=\"{MAIN}\" selected>رضا احمدی (خودم)</option>"));
    form.assert_contains(&format!("<option value=\"{SPOUSE}\">سیما احمدی (همسر)</option>"));
    form.assert_contains("<optgroup label=");
    form.assert_contains("<option value=\"specialist\">");

    // No office and a date in the future: refused in Persian beside each field, every value
    // kept, nothing filed.
    let csrf = form.csrf();
    let mut fields = visit_form("");
    fields.push(("csrf", csrf.clone()));
    let set = |fields: &mut Vec<(&'static str, String)>, key: &str, value: &str| {
        fields.iter_mut().find(|(k, _)| *k == key).expect(key).1 = value.to_string();
    };
    set(&mut fields, "line.1.service_date", "1499/01/01");
    let refused = post_owned(&b, "/console/me/reimbursements", &fields);
    assert_eq!(refused.status, 422, "{}", refused.body);
    refused.assert_contains("id=\"m-office-err\">دفتر رسیدگی را انتخاب کنید.</p>");
    refused.assert_contains("<li><b>دفتر رسیدگی</b>: دفتر رسیدگی را انتخاب کنید.</li>");
    refused.assert_contains("تاریخ نمی‌تواند بعد از امروز باشد.");
    refused.assert_contains(&format!("<option value=\"{SPOUSE}\" selected>"));
    // An amount in words: the form's own reading refuses it, kept as typed.
    set(&mut fields, "line.1.service_date", "1403/07/15");
    set(&mut fields, "line.1.paid_amount", "یک میلیون");
    let refused = post_owned(&b, "/console/me/reimbursements", &fields);
    assert_eq!(refused.status, 422, "{}", refused.body);
    refused.assert_contains("<li><b>ردیف 1</b>: مبلغ را به ریال و فقط با رقم بنویسید.</li>");
    refused.assert_contains("value=\"یک میلیون\"");
    assert!(b.get("/console/me/reimbursements").body.contains("هنوز درخواست بازپرداختی ندارید"));

    // Without the token: refused.
    let mut no_token = visit_form(&office);
    assert_eq!(post_owned(&b, "/console/me/reimbursements", &no_token).status, 403);

    // Filed: a draft with its estimate, the invoice missing, submission not yet offered.
    no_token.push(("csrf", csrf.clone()));
    let filed = post_owned(&b, "/console/me/reimbursements", &no_token);
    assert_eq!(filed.status, 303, "{}", filed.body);
    let id = id_of(&filed.location());
    let r = api(&app, &id);
    assert_eq!(
        (r["status"].as_str(), r["office_id"].as_str(), r["insured_national_code"].as_str()),
        (Some("draft"), Some(office.as_str()), Some(MAIN))
    );
    assert_eq!((r["patient_national_code"].as_str(), r["sheba"].as_str()), (Some(SPOUSE), Some(SHEBA)));
    let page = b.get(&format!("/console/me/reimbursements/{id}?done=filed"));
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_contains("سیما احمدی (همسر)");
    page.assert_contains("id=\"mr-reimbursed\">394,800</dd>");
    page.assert_contains("id=\"mr-paid\">1,890,000</dd>");
    page.assert_contains(r#"data-document-type="invoice" data-present="no""#);
    page.assert_contains("disabled aria-describedby=\"send-why\"");
    page.assert_contains("capture=\"environment\"");
    // The checklist is the use case's: submitting now is refused with the reason.
    let early = b.post(&format!("/console/me/reimbursements/{id}/submit"), &[("csrf", &csrf)]);
    assert_eq!(early.status, 422, "{}", early.body);
    early.assert_contains("درخواست فرستاده نشد.");

    let files = format!("/console/me/reimbursements/{id}/files");
    // Larger than the limit (10 MB): refused before it is read, with the console's page.
    let big =
        upload_to(&b, &files, "photo", "invoice", &phone_jpeg(11 * 1024 * 1024), "IMG_0001.jpg", Some(&csrf));
    assert_eq!(big.status, 413);
    assert!(big.header("content-type").starts_with("text/html"), "{}", big.header("content-type"));
    big.assert_contains("فایل بزرگ‌تر از حد مجاز است");
    // Just over it (the form's room for its other fields lets it be read): the request's page
    // says so.
    let over = upload_to(
        &b,
        &files,
        "photo",
        "invoice",
        &phone_jpeg(10 * 1024 * 1024 + 1),
        "IMG_0001.jpg",
        Some(&csrf),
    );
    assert_eq!(over.status, 413);
    over.assert_contains("فایل بزرگ‌تر از حد مجاز است و بارگذاری نشد.");
    over.assert_contains(r#"data-document-type="invoice" data-present="no""#);
    // Not a picture or a PDF.
    let text = upload_to(&b, &files, "file", "invoice", b"just some text", "note.txt", Some(&csrf));
    assert_eq!(text.status, 415, "{}", text.body);
    text.assert_contains("این فایل عکس یا PDF نیست");
    assert_eq!(api(&app, &id)["missing_documents"], json!(["invoice"]));
    // Without the token: refused.
    assert_eq!(upload_to(&b, &files, "photo", "invoice", &phone_jpeg(1024), "a.jpg", None).status, 403);

    // A phone's 7 MB photograph of the invoice, through the camera input.
    let photo = phone_jpeg(7 * 1024 * 1024);
    let up = upload_to(&b, &files, "photo", "invoice", &photo, "IMG_0002.jpg", Some(&csrf));
    assert_eq!(up.status, 303, "{}", up.body);
    let page = b.get(&format!("/console/me/reimbursements/{id}?done=uploaded"));
    page.assert_contains(r#"data-document-type="invoice" data-present="yes""#);
    page.assert_contains("مدرک بارگذاری شد.");
    assert!(!page.body.contains("disabled aria-describedby=\"send-why\""), "submission is offered");
    let att: Value = app
        .get(&format!("/api/v1/reimbursements/{id}/attachments"), Some(&app.login("root", PASSWORD)))
        .json()
        .unwrap();
    let att =
        &att.get("items").unwrap_or(&att).as_array().unwrap_or_else(|| panic!("the attachments: {att}"))[0];
    assert_eq!(
        (att["content_type"].as_str(), att["size_bytes"].as_i64()),
        (Some("image/jpeg"), Some(photo.len() as i64))
    );
    let href = format!("/console/me/reimbursements/{id}/files/{}", att["id"].as_str().unwrap());
    let file = b.get(&href);
    assert_eq!((file.status, file.header("content-type")), (200, "image/jpeg".to_string()));

    // Submitted: in review, the first two steps done.
    let sent = b.post(&format!("/console/me/reimbursements/{id}/submit"), &[("csrf", &csrf)]);
    assert_eq!(
        (sent.status, sent.location()),
        (303, format!("/console/me/reimbursements/{id}?done=submitted"))
    );
    assert_eq!(api(&app, &id)["status"], "in_review");
    let page = b.get(&format!("/console/me/reimbursements/{id}"));
    page.assert_contains("aria-current=\"step\"");
    // In review a document can still be added (the office may ask for one); sending is done.
    page.assert_contains("name=\"photo\"");
    assert!(!page.body.contains("/submit\""), "no second submission");
    let list = b.get("/console/me/reimbursements");
    list.assert_contains(&id[id.len() - 8..]);
    list.assert_contains("1,890,000");

    // The spouse's own login reads it (she is the patient) but files none.
    let sima = Browser::signed_in(&app, "sima");
    assert_eq!(sima.get(&format!("/console/me/reimbursements/{id}")).status, 200);
    let hers = sima.get("/console/me/reimbursements");
    hers.assert_contains(&id[id.len() - 8..]);
    assert!(!hers.body.contains("/console/me/reimbursements/new"), "no filing for a dependant");
    assert_eq!(sima.get("/console/me/reimbursements/new").status, 403);

    // Another family: 404 for the page, the document and the upload; not in their list.
    let omid = Browser::signed_in(&app, "omid");
    assert_eq!(omid.get(&format!("/console/me/reimbursements/{id}")).status, 404);
    assert_eq!(omid.get(&href).status, 404);
    let their_csrf = omid.get("/console/me/reimbursements").csrf();
    let p = upload_to(&omid, &files, "photo", "prescription", &phone_jpeg(2048), "x.jpg", Some(&their_csrf));
    assert_eq!(p.status, 404);
    assert!(!omid.get("/console/me/reimbursements").body.contains(&id[id.len() - 8..]));
    // Staff are refused the insured's pages (they have their own).
    let reviewer = Browser::signed_in(&app, "reza");
    assert_eq!(reviewer.get("/console/me/reimbursements").status, 403);
    assert_eq!(reviewer.get(&format!("/console/me/reimbursements/{id}")).status, 403);
}

/// Decides `id` through the API as the office's reviewer: the visit recognised at 400,000
/// (R90) — 280,000 reimbursed, 120,000 franchise.
pub fn decide_visit(app: &TestApp, id: &str) {
    let token = app.login("reza", PASSWORD);
    let body = json!({"lines": [{"line_no": 1, "action": "adjust", "approved_amount": 400000, "reason": "R90",
        "note": "یک ویزیت به نرخ معمول"}], "note": "ویزیت به نرخ تعرفه پذیرفته شد."});
    let res = app.post_json(&format!("/api/v1/reimbursements/{id}/decision"), Some(&token), &body);
    assert_eq!(res.status(), 200, "{:?}", res.text());
}

/// Pays every decided request through a payment order, recorded paid on 1403/08/01 as BR-77.
pub fn pay_all(app: &TestApp) {
    let token = app.login("farid", PASSWORD);
    let res = app.post_json("/api/v1/payment-orders", Some(&token), &json!({}));
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let order: Value = res.json().unwrap();
    let oid = order["order"]["id"].as_str().unwrap();
    let bank = json!({"bank_reference": "BR-77", "paid_on": "1403-08-01"});
    let res = app.post_json(&format!("/api/v1/payment-orders/{oid}/paid"), Some(&token), &bank);
    assert_eq!(res.status(), 200, "{:?}", res.text());
}

/// Files, documents and submits the spouse's visit as `maryam` through the console; the id.
pub fn filed_and_submitted(app: &TestApp, office: &str) -> String {
    let b = Browser::signed_in(app, "maryam");
    let csrf = b.get("/console/me/reimbursements/new").csrf();
    let mut fields = visit_form(office);
    fields.push(("csrf", csrf.clone()));
    let filed = post_owned(&b, "/console/me/reimbursements", &fields);
    assert_eq!(filed.status, 303, "{}", filed.body);
    let id = id_of(&filed.location());
    let up: Page = upload_to(
        &b,
        &format!("/console/me/reimbursements/{id}/files"),
        "file",
        "invoice",
        &phone_jpeg(4096),
        "r.jpg",
        Some(&csrf),
    );
    assert_eq!(up.status, 303, "{}", up.body);
    assert_eq!(b.post(&format!("/console/me/reimbursements/{id}/submit"), &[("csrf", &csrf)]).status, 303);
    id
}

#[test]
fn the_decision_and_the_payment_are_on_the_insured_person_s_page() {
    let app = TestApp::spawn();
    let (office, _) = me_rb_scene(&app);
    let id = filed_and_submitted(&app, &office);
    decide_visit(&app, &id);
    let b = Browser::signed_in(&app, "maryam");
    let page = b.get(&format!("/console/me/reimbursements/{id}"));
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_contains("id=\"mr-reimbursed\">280,000</dd>");
    page.assert_contains("بازپرداخت</dt>");
    page.assert_contains("ویزیت به نرخ تعرفه پذیرفته شد.");
    page.assert_contains("<b dir=\"ltr\">R90</b>");
    // The office's reviewer is named by role, not by name.
    page.assert_contains("کارشناس");
    assert!(!page.body.contains(">reza<"), "staff names stay the office's");
    assert!(!page.body.contains("id=\"mr-paid-on\""));

    pay_all(&app);
    let page = b.get(&format!("/console/me/reimbursements/{id}"));
    page.assert_contains("id=\"mr-paid-on\"");
    page.assert_contains("1403/08/01");
    page.assert_contains("BR-77");
    let r = api(&app, &id);
    assert_eq!((r["status"].as_str(), r["totals"]["reimbursed"].as_i64()), (Some("paid"), Some(280_000)));
}
