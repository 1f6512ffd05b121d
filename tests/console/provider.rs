//! The provider's portal over real HTTP: remittances and deductions with exact rials, an
//! objection filed with a document inside the window (and refused, with a clear message,
//! outside it), pre-authorization requests, the monthly list upload with per-document results;
//! another provider's records are 404 pages, staff and insured persons get 403, and every form
//! refuses a request without its CSRF token (403, nothing changed).

use asnad::auth::Role;
use reqwest::blocking::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::advisor::{deducted_claim, setting, upload, Setting, PDF};
use crate::helpers::{Scope, TestApp, PASSWORD};
use crate::support::{Browser, Page, SCAN_PNG};

fn rials(v: i64) -> String {
    asnad::console::format::Rials(v).to_string()
}

/// A multipart POST from the browser's session: the text `fields`, and `file` as the `file`
/// part when given.
pub fn multipart(b: &Browser<'_>, path: &str, fields: &[(&str, &str)], file: Option<(&[u8], &str)>) -> Page {
    let mut form = Form::new();
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    if let Some((bytes, name)) = file {
        form = form.part("file", Part::bytes(bytes.to_vec()).file_name(name.to_string()));
    }
    let client =
        reqwest::blocking::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let res = client
        .post(format!("{}{path}", b.app.base))
        .header("cookie", format!("asnad_session={}", b.cookie("asnad_session").expect("signed in")))
        .multipart(form)
        .send()
        .expect("multipart post");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    Page { status, headers, body: res.text().unwrap_or_default() }
}

/// The portal's multipart routes, for the authorization table's CSRF check.
pub const MULTIPART_ROUTES: [&str; 4] = [
    "/console/provider/claims/{id}/objections",
    "/console/provider/objections/{id}/files",
    "/console/provider/preauthorizations",
    "/console/provider/batches",
];

/// The setting of the advisor's tests, with a user of each provider (`sepidar` of the
/// hospital, `niloufar` of the clinic), the claim of the hospital the engine decided with a
/// deduction, and its Mehr 1403 settlement; returns (setting, claim id, deducted line, the
/// claim as the API has it, settlement id).
pub struct World {
    pub s: Setting,
    pub claim: String,
    pub line: i64,
    pub c: Value,
    pub settlement: String,
}

pub fn world(app: &TestApp) -> World {
    let s = setting(app);
    let (claim, line, c) = deducted_claim(app, &s.hospital, &s.insured, "PV-1403-0712", "1403-07-13");
    app.create_user("sepidar", Role::Provider, Scope::provider(&s.hospital.id));
    app.create_user("niloufar", Role::Provider, Scope::provider(&s.clinic.id));
    let finance = app.token_for("fin-run", Role::Finance, Scope::default());
    let res = app.post_json(
        "/api/v1/settlements",
        Some(&finance),
        &json!({"office_id": s.office.id, "service_month": "1403-07"}),
    );
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let out: Value = res.json().unwrap();
    let settlement = out["created"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["provider_id"] == s.hospital.id.as_str())
        .expect("the hospital's settlement")["id"]
        .as_str()
        .unwrap()
        .to_string();
    World { s, claim, line, c, settlement }
}

#[test]
fn a_provider_reads_its_remittance_and_deductions_in_exact_rials() {
    let app = TestApp::spawn();
    let w = world(&app);
    let b = Browser::signed_in(&app, "sepidar");
    // The home of a provider is the remittances.
    let home = b.get("/console/");
    assert_eq!((home.status, home.location().as_str()), (303, "/console/provider/remittances"));
    let list = b.get("/console/provider/remittances");
    assert_eq!(list.status, 200, "{}", list.body);
    list.assert_contains("aria-current=\"page\">حواله‌ها</a>");
    list.assert_contains("مهر 1403");
    let payable = w.c["totals"]["insurer_payable"].as_i64().unwrap();
    list.assert_contains(&format!("<b dir=\"ltr\">{}</b>", rials(payable)));
    list.assert_contains(&format!("href=\"/console/provider/remittances/{}\"", w.settlement));

    // The remittance: the claim's lines with their reasons, the totals in exact rials.
    let page = b.get(&format!("/console/provider/remittances/{}", w.settlement));
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_contains("صورت‌حساب تسویهٔ مهر 1403");
    page.assert_contains("PV-1403-0712");
    page.assert_contains(&format!("href=\"/console/provider/claims/{}\"", w.claim));
    let totals = &w.c["totals"];
    page.assert_contains(&format!("<span dir=\"ltr\">{}</span>", rials(totals["billed"].as_i64().unwrap())));
    page.assert_contains(&format!(
        "<span dir=\"ltr\">{}</span>",
        rials(totals["deducted"].as_i64().unwrap())
    ));
    page.assert_contains("1403/07/13");
    // Its CSV is the API's.
    let csv = b.get(&format!("/console/provider/remittances/{}/csv", w.settlement));
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").starts_with("text/csv"));
    assert!(csv.header("content-disposition").starts_with("attachment"));
    assert!(csv.body.starts_with("settlement_id,provider_document_no,"), "{}", csv.body);
    assert!(csv.body.contains("PV-1403-0712"));

    // Deductions of Mehr 1403: every reason of the claim's lines, with its amount and line.
    let d = b.get("/console/provider/deductions?month=1403-07");
    assert_eq!(d.status, 200, "{}", d.body);
    d.assert_contains("کسورات مهر 1403");
    for l in w.c["lines"].as_array().unwrap() {
        for r in l["reasons"].as_array().unwrap() {
            let amount = r["amount"].as_i64().unwrap();
            if amount == 0 {
                continue;
            }
            d.assert_contains(&format!(
                "<span class=\"code\" dir=\"ltr\">{}</span>",
                r["code"].as_str().unwrap()
            ));
            d.assert_contains(&format!(
                "<td class=\"num ded-c\" data-label=\"کسر با این علت\"><span dir=\"ltr\">{}</span>",
                rials(amount)
            ));
        }
    }
    d.assert_contains(&format!("<span class=\"v n\">{}</span>", rials(totals["deducted"].as_i64().unwrap())));
    // Another month has none; a wrong month is a 422 page.
    b.get("/console/provider/deductions?month=1403-05").assert_contains("کسری ثبت نشده است");
    assert_eq!(b.get("/console/provider/deductions?month=13-7").status, 422);
}

#[test]
fn a_provider_objects_with_a_document_inside_the_window_and_sees_it_open() {
    let mut app = TestApp::spawn();
    let w = world(&app);
    let b = Browser::signed_in(&app, "sepidar");
    let url = format!("/console/provider/claims/{}", w.claim);
    let page = b.get(&url);
    assert_eq!(page.status, 200, "{}", page.body);
    // The window's last day is shown before filing (10 working days after 1403/07/19).
    page.assert_contains("مهلت اعتراض");
    page.assert_contains("باز است");
    page.assert_contains(&format!("name=\"line\" value=\"{}\"", w.line));
    let csrf = page.csrf();
    // Without a reason: the form again with the field, nothing filed.
    let line = w.line.to_string();
    let res = multipart(&b, &format!("{url}/objections"), &[("csrf", &csrf), ("line", &line)], None);
    assert_eq!(res.status, 422, "{}", res.body);
    res.assert_contains("اعتراض ثبت نشد.");
    // A file that is not a document files nothing either.
    let res = multipart(
        &b,
        &format!("{url}/objections"),
        &[("csrf", &csrf), ("line", &line), ("reason", "x"), ("document_type", "prescription")],
        Some((b"not a document", "x.txt")),
    );
    assert_eq!(res.status, 415, "{}", res.body);
    let admin = app.login("root", PASSWORD);
    let objections: Value =
        app.get(&format!("/api/v1/claims/{}/objections", w.claim), Some(&admin)).json().unwrap();
    assert_eq!(objections["items"].as_array().unwrap().len(), 0);

    let res = multipart(
        &b,
        &format!("{url}/objections"),
        &[
            ("csrf", &csrf),
            ("line", &line),
            ("reason", "۴۰ عدد برای ۲۰ روز تجویز شده است"),
            ("document_type", "prescription"),
        ],
        Some((PDF, "prescription.pdf")),
    );
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.location(), format!("{url}?done=objected#objections"));
    let objections: Value =
        app.get(&format!("/api/v1/claims/{}/objections", w.claim), Some(&admin)).json().unwrap();
    let o = &objections["items"][0];
    assert_eq!((o["status"].as_str(), o["line_nos"][0].as_i64()), (Some("open"), Some(w.line)));
    let oid = o["id"].as_str().unwrap().to_string();
    let docs: Value = app.get(&format!("/api/v1/objections/{oid}/attachments"), Some(&admin)).json().unwrap();
    assert_eq!(docs["items"][0]["document_type"], "prescription");
    let att = docs["items"][0]["id"].as_str().unwrap().to_string();

    // The claim shows it open with its document; a second objection is not offered.
    let page = b.get(&format!("{url}?done=objected"));
    page.assert_contains("اعتراض ثبت شد");
    page.assert_contains("<span class=\"badge pend\">باز</span>");
    page.assert_contains("۴۰ عدد برای ۲۰ روز تجویز شده است");
    let file_url = format!("/console/provider/objections/{oid}/files/{att}");
    page.assert_contains(&format!("href=\"{file_url}\""));
    assert!(!page.body.contains("name=\"reason\""), "one open objection at a time");
    let file = b.get(&file_url);
    assert_eq!((file.status, file.header("content-type").as_str()), (200, "application/pdf"));
    // Another document for the open objection.
    let more = multipart(
        &b,
        &format!("/console/provider/objections/{oid}/files"),
        &[("csrf", &csrf), ("document_type", "medical_report")],
        Some((SCAN_PNG, "report.png")),
    );
    assert_eq!(more.status, 303, "{}", more.body);
    let docs: Value = app.get(&format!("/api/v1/objections/{oid}/attachments"), Some(&admin)).json().unwrap();
    assert_eq!(docs["items"].as_array().unwrap().len(), 2);

    // The list of objections: open, the amount still deducted on the line.
    let list = b.get("/console/provider/objections");
    assert_eq!(list.status, 200, "{}", list.body);
    list.assert_contains("PV-1403-0712");
    list.assert_contains("<span class=\"badge pend\">باز</span>");
    let deducted = w.c["lines"][(w.line - 1) as usize]["deducted"].as_i64().unwrap();
    list.assert_contains(&format!("<span dir=\"ltr\">{}</span>", rials(deducted)));
    assert!(b.get("/console/provider/objections?status=decided").body.contains("اعتراضی در این فهرست نیست"));

    // Upheld in full by a reviewer of the office: the outcome reads what came back.
    let line = &w.c["lines"][(w.line - 1) as usize];
    let most = line["insurer_payable"].as_i64().unwrap() + line["patient_share"].as_i64().unwrap() + deducted;
    let omid = app.token_for("omid", Role::Reviewer, Scope::office(&w.s.office.id));
    let res = app.post_json(
        &format!("/api/v1/objections/{oid}/decision"),
        Some(&omid),
        &json!({"lines": [{"line_no": w.line, "action": "adjust", "approved_amount": most}]}),
    );
    assert_eq!(res.status(), 200, "{:?}", res.text());
    let after: Value = res.json().unwrap();
    let returned = after["claim"]["totals"]["insurer_payable"].as_i64().unwrap()
        - w.c["totals"]["insurer_payable"].as_i64().unwrap();
    assert!(returned > 0);
    let list = b.get("/console/provider/objections?status=decided");
    list.assert_contains("<span class=\"badge ok\">رسیدگی شد</span>");
    list.assert_contains(&format!("<span class=\"n\">{}</span> بازگشت", rials(returned)));

    // Outside the window: the form is not offered, and the server refuses with a clear message.
    let (late, late_line, _) =
        deducted_claim(&app, &w.s.hospital, &w.s.insured, "PV-1403-0799", "1403-07-14");
    app.restart_on("2024-11-30");
    let b = Browser::signed_in(&app, "sepidar");
    let late_url = format!("/console/provider/claims/{late}");
    let page = b.get(&late_url);
    assert_eq!(page.status, 200);
    page.assert_contains("گذشته است");
    page.assert_contains("مهلت اعتراض به این سند در");
    assert!(!page.body.contains("name=\"reason\""), "no form outside the window");
    let csrf = page.csrf();
    let res = multipart(
        &b,
        &format!("{late_url}/objections"),
        &[
            ("csrf", &csrf),
            ("line", &late_line.to_string()),
            ("reason", "دیر"),
            ("document_type", "prescription"),
        ],
        Some((PDF, "p.pdf")),
    );
    assert_eq!(res.status, 422, "{}", res.body);
    res.assert_contains("مهلت اعتراض به این سند گذشته است؛ اعتراض ثبت نشد.");
    res.assert_contains("the objection window (10 working days) closed on");
    let admin = app.login("root", PASSWORD);
    let objections: Value =
        app.get(&format!("/api/v1/claims/{late}/objections"), Some(&admin)).json().unwrap();
    assert_eq!(objections["items"].as_array().unwrap().len(), 0, "nothing filed late");
}

#[test]
fn a_provider_requests_a_preauthorization_with_a_document_and_reads_the_decision() {
    let app = TestApp::spawn();
    let s = setting(&app);
    app.create_user("sepidar", Role::Provider, Scope::provider(&s.hospital.id));
    let b = Browser::signed_in(&app, "sepidar");
    let form = b.get("/console/provider/preauthorizations/new");
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = form.csrf();
    // A wrong national code and no document: the form again, each field named, values kept.
    let res = multipart(
        &b,
        "/console/provider/preauthorizations",
        &[
            ("csrf", &csrf),
            ("insured_national_code", "0012345678"),
            ("item_type", "service"),
            ("code", "806035"),
            ("quantity", "1"),
            ("diagnoses", "Q99.9"),
            ("justification", "بررسی ناهنجاری کروموزومی"),
            ("document_type", "medical_report"),
        ],
        None,
    );
    assert_eq!(res.status, 422, "{}", res.body);
    res.assert_contains("id=\"pa-nc-err\"");
    res.assert_contains("id=\"pa-file-err\"");
    res.assert_contains("value=\"806035\"");
    let res = multipart(
        &b,
        "/console/provider/preauthorizations",
        &[
            ("csrf", &csrf),
            ("insured_national_code", &s.insured),
            ("item_type", "service"),
            ("code", "806035"),
            ("quantity", "۱"),
            ("diagnoses", "Q99.9"),
            ("justification", "بررسی ناهنجاری کروموزومی؛ دو فرزند با تأخیر رشد"),
            ("document_type", "medical_report"),
        ],
        Some((SCAN_PNG, "report.png")),
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let loc = res.location();
    let id =
        loc.trim_start_matches("/console/provider/preauthorizations/").split('?').next().unwrap().to_string();
    let page = b.get(&loc);
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_contains("درخواست ثبت شد");
    page.assert_contains("در انتظار تصمیم");
    page.assert_contains("<img src=\"/console/provider/preauthorizations/");
    let list = b.get("/console/provider/preauthorizations");
    list.assert_contains(&format!("href=\"/console/provider/preauthorizations/{id}\""));
    list.assert_contains(&crate::support::shown_today());

    // The advisor approves through the API; the provider reads quantity and validity in Jalali.
    let dr = app.token_for("dr-a", Role::MedicalAdvisor, Scope::office(&s.office.id));
    let res = app.post_json(
        &format!("/api/v1/preauthorizations/{id}/decision"),
        Some(&dr),
        &json!({"decision": "approve", "approved_quantity": "1", "valid_from": "1403-07-19", "valid_to": "1403-08-18"}),
    );
    assert_eq!(res.status(), 200, "{:?}", res.text());
    let page = b.get(&format!("/console/provider/preauthorizations/{id}"));
    page.assert_contains("تأیید: <span class=\"n\">1</span>");
    page.assert_contains("<span class=\"n\">1403/07/19</span> تا <span class=\"n\">1403/08/18</span>");
    b.get("/console/provider/preauthorizations?status=approved")
        .assert_contains(&format!("/console/provider/preauthorizations/{id}\""));
}

const CSV_HEADER: &str = "provider_document_no,setting,kind,insured_national_code,prescription_tracking_code,prescribed_on,physician_council_no,admitted_on,discharged_on,line_no,item_type,code,quantity,service_date,billed_amount";

pub fn monthly_csv(insured: &str) -> String {
    format!(
        "{CSV_HEADER}\n\
         ML-1,outpatient,visit,{insured},,,12345,,,1,visit,specialist,1,1403-07-13,1890000\n\
         ML-1,outpatient,visit,{insured},,,12345,,,2,drug,10010,40,1403-07-13,1000000\n\
         ML-2,outpatient,visit,0012345678,,,12345,,,1,visit,specialist,1,1403-07-13,1890000\n"
    )
}

#[test]
fn a_provider_uploads_a_monthly_list_and_follows_each_documents_result() {
    let app = TestApp::spawn();
    let s = setting(&app);
    app.create_user("sepidar", Role::Provider, Scope::provider(&s.hospital.id));
    app.create_user("niloufar", Role::Provider, Scope::provider(&s.clinic.id));
    let b = Browser::signed_in(&app, "sepidar");
    let page = b.get("/console/provider/batches");
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_contains("هنوز فهرستی نفرستاده‌اید");
    let csrf = page.csrf();
    // A file with a wrong header is refused whole, with the API's message.
    let res = multipart(&b, "/console/provider/batches", &[("csrf", &csrf)], Some((b"a,b\n1,2\n", "x.csv")));
    assert_eq!(res.status, 422, "{}", res.body);
    res.assert_contains("فهرست پذیرفته نشد.");
    res.assert_contains("the header must be exactly");

    let csv = monthly_csv(&s.insured);
    let res =
        multipart(&b, "/console/provider/batches", &[("csrf", &csrf)], Some((csv.as_bytes(), "mehr.csv")));
    assert_eq!(res.status, 303, "{}", res.body);
    let url = res.location();
    let id = url.trim_start_matches("/console/provider/batches/").to_string();
    let progress = format!("{url}/progress");
    // The progress fragment polls itself until the list is done.
    let mut done = None;
    for _ in 0..100 {
        let p = b.get(&progress);
        assert_eq!(p.status, 200, "{}", p.body);
        if !p.body.contains("hx-trigger=\"every 1s\"") {
            done = Some(p);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let done = done.expect("the list is processed");
    done.assert_contains("پایان یافت");
    done.assert_contains("<span class=\"n\">2</span> از <span class=\"n\">2</span> سند");
    done.assert_contains("<span class=\"badge ok\">پذیرفته</span>");
    done.assert_contains("<span class=\"badge bad\">رد شد</span>");
    // The rejected document's field error, as a single POST would have answered.
    done.assert_contains("insured_national_code");
    let page = b.get(&url);
    assert_eq!(page.status, 200);
    page.assert_contains("ML-1");
    b.get("/console/provider/batches").assert_contains(&format!("href=\"/console/provider/batches/{id}\""));
    // Another provider's user: 404.
    let other = Browser::signed_in(&app, "niloufar");
    assert_eq!(other.get(&url).status, 404);
    assert_eq!(other.get(&progress).status, 404);
}

#[test]
fn another_providers_records_are_404_and_other_roles_get_403() {
    let app = TestApp::spawn();
    let w = world(&app);
    let res = app.post_json(
        &format!("/api/v1/claims/{}/objections", w.claim),
        Some(&w.s.hospital.key),
        &json!({"reason": "نادرست", "line_nos": [w.line]}),
    );
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let oid = res.json::<Value>().unwrap()["id"].as_str().unwrap().to_string();
    let att =
        upload(&app, &w.s.hospital, &format!("/api/v1/objections/{oid}/attachments"), "prescription", PDF);
    let (pid, patt) = crate::advisor::karyotype_request(&app, &w.s.hospital, &w.s.insured, SCAN_PNG);
    let batch = app
        .request(reqwest::Method::POST, "/api/v1/claim-batches", Some(&w.s.hospital.key))
        .header("content-type", "text/csv")
        .body(monthly_csv(&w.s.insured))
        .send()
        .unwrap();
    assert_eq!(batch.status().as_u16(), 202);
    let bid = batch.json::<Value>().unwrap()["id"].as_str().unwrap().to_string();

    let records = [
        format!("/console/provider/remittances/{}", w.settlement),
        format!("/console/provider/remittances/{}/csv", w.settlement),
        format!("/console/provider/claims/{}", w.claim),
        format!("/console/provider/objections/{oid}/files/{att}"),
        format!("/console/provider/preauthorizations/{pid}"),
        format!("/console/provider/preauthorizations/{pid}/files/{patt}"),
        format!("/console/provider/batches/{bid}"),
        format!("/console/provider/batches/{bid}/progress"),
    ];
    let own = Browser::signed_in(&app, "sepidar");
    for url in &records {
        assert_eq!(own.get(url).status, 200, "the hospital's own {url}");
    }
    // The clinic's user: every one of the hospital's records is the 404 page, and its lists
    // do not show them.
    let other = Browser::signed_in(&app, "niloufar");
    for url in &records {
        let page = other.get(url);
        assert_eq!(page.status, 404, "another provider: {url}");
        assert!(!page.body.contains("PV-1403-0712"));
    }
    for url in [
        "/console/provider/remittances",
        "/console/provider/objections",
        "/console/provider/preauthorizations",
        "/console/provider/batches",
        "/console/provider/deductions?month=1403-07",
    ] {
        let page = other.get(url);
        assert_eq!(page.status, 200, "{url}");
        assert!(
            !page.body.contains("PV-1403-0712")
                && !page.body.contains(&w.settlement)
                && !page.body.contains(&pid)
        );
    }
    // …nor may it object to the hospital's claim or add to its objection.
    let csrf = other.get("/console/provider/objections").csrf();
    let line = w.line.to_string();
    let res = multipart(
        &other,
        &format!("/console/provider/claims/{}/objections", w.claim),
        &[("csrf", &csrf), ("line", &line), ("reason", "x"), ("document_type", "prescription")],
        Some((PDF, "p.pdf")),
    );
    assert_eq!(res.status, 404, "{}", res.body);
    let res = multipart(
        &other,
        &format!("/console/provider/objections/{oid}/files"),
        &[("csrf", &csrf), ("document_type", "prescription")],
        Some((PDF, "p.pdf")),
    );
    assert_eq!(res.status, 404, "{}", res.body);

    // Staff and insured persons: 403 on every page of the portal, GET and POST alike.
    app.create_user("ana", Role::Reviewer, Scope::office(&w.s.office.id));
    app.create_user("fin", Role::Finance, Scope::default());
    app.create_user("dr", Role::MedicalAdvisor, Scope::office(&w.s.office.id));
    let admin = app.login("root", PASSWORD);
    let insured: Value = app.get(&format!("/api/v1/insured/{}", w.s.insured), Some(&admin)).json().unwrap();
    app.create_user(
        "ali",
        Role::Insured,
        Scope { insured_id: Some(insured["id"].as_str().unwrap().into()), ..Default::default() },
    );
    let pages = [
        "/console/provider/remittances",
        "/console/provider/deductions",
        "/console/provider/objections",
        "/console/provider/preauthorizations",
        "/console/provider/preauthorizations/new",
        "/console/provider/batches",
    ];
    for user in ["ana", "fin", "dr", "ali", "root"] {
        let b = Browser::signed_in(&app, user);
        for url in pages.iter().map(|p| p.to_string()).chain(records.iter().cloned()) {
            let page = b.get(&url);
            assert_eq!(page.status, 403, "{user}: {url}");
            page.assert_contains("اجازهٔ این کار را ندارید");
        }
        let csrf = b.get("/console/password").csrf();
        let res = multipart(
            &b,
            &format!("/console/provider/claims/{}/objections", w.claim),
            &[("csrf", &csrf), ("line", &line), ("reason", "x")],
            None,
        );
        assert_eq!(res.status, 403, "{user}: objection");
        let res = multipart(&b, "/console/provider/batches", &[("csrf", &csrf)], Some((b"x", "x.csv")));
        assert_eq!(res.status, 403, "{user}: batch");
        assert!(
            !b.get("/console/").body.contains("/console/provider/"),
            "{user}: no portal in the navigation"
        );
    }
}

#[test]
fn every_portal_form_refuses_a_request_without_its_csrf_token() {
    let app = TestApp::spawn();
    let w = world(&app);
    let b = Browser::signed_in(&app, "sepidar");
    let line = w.line.to_string();
    let csv = monthly_csv(&w.s.insured);
    for (path, fields, file) in [
        (
            format!("/console/provider/claims/{}/objections", w.claim),
            vec![("line", line.as_str()), ("reason", "x"), ("document_type", "prescription")],
            Some((PDF, "p.pdf")),
        ),
        (
            "/console/provider/preauthorizations".to_string(),
            vec![
                ("insured_national_code", w.s.insured.as_str()),
                ("item_type", "service"),
                ("code", "806035"),
                ("quantity", "1"),
                ("justification", "x"),
                ("document_type", "medical_report"),
            ],
            Some((SCAN_PNG, "r.png")),
        ),
        ("/console/provider/batches".to_string(), vec![], Some((csv.as_bytes(), "m.csv"))),
    ] {
        let res = multipart(&b, &path, &fields, file);
        assert_eq!(res.status, 403, "{path} without CSRF");
        let mut wrong = fields.clone();
        wrong.push(("csrf", "d3Jvbmc"));
        let res = multipart(&b, &path, &wrong, file);
        assert_eq!(res.status, 403, "{path} with a wrong CSRF token");
    }
    // Nothing changed: no objection, no request, no list.
    let admin = app.login("root", PASSWORD);
    let o: Value = app.get(&format!("/api/v1/claims/{}/objections", w.claim), Some(&admin)).json().unwrap();
    assert_eq!(o["items"].as_array().unwrap().len(), 0);
    let p: Value = app.get("/api/v1/preauthorizations", Some(&w.s.hospital.key)).json().unwrap();
    assert_eq!(p["items"].as_array().unwrap().len(), 0);
    assert!(b.get("/console/provider/batches").body.contains("هنوز فهرستی نفرستاده‌اید"));
    // The add-a-document form of an objection too.
    let res = app.post_json(
        &format!("/api/v1/claims/{}/objections", w.claim),
        Some(&w.s.hospital.key),
        &json!({"reason": "نادرست", "line_nos": [w.line]}),
    );
    let oid = res.json::<Value>().unwrap()["id"].as_str().unwrap().to_string();
    let res = multipart(
        &b,
        &format!("/console/provider/objections/{oid}/files"),
        &[("document_type", "prescription")],
        Some((PDF, "p.pdf")),
    );
    assert_eq!(res.status, 403);
    let docs: Value = app.get(&format!("/api/v1/objections/{oid}/attachments"), Some(&admin)).json().unwrap();
    assert_eq!(docs["items"].as_array().unwrap().len(), 0);
}
