use asnad::auth::Role;
use reqwest::blocking::multipart::{Form, Part};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, Scope, TestApp};
use crate::providers::office_and_hospital;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";

fn claim_for(app: &TestApp, admin: &str, code: &str, legal: &str) -> (String, String) {
    let (_, hospital) = office_and_hospital(app, admin, code, legal);
    let token = app.token_for(&format!("his-{code}"), Role::Provider, Scope::provider(&hospital));
    let doc = json!({"provider_document_no": "A-1", "setting": "outpatient", "kind": "visit", "insured_national_code": "0012345679",
        "lines": [{"line_no": 1, "item_type": "visit", "code": "general", "quantity": "1", "service_date": "1403-07-15", "billed_amount": 453000}]});
    let c: Value = app.post_json("/api/v1/claims", Some(&token), &doc).json().unwrap();
    (c["id"].as_str().unwrap().to_string(), token)
}

fn upload(
    app: &TestApp,
    token: &str,
    claim: &str,
    doc_type: &str,
    bytes: &[u8],
) -> reqwest::blocking::Response {
    let form = Form::new()
        .text("document_type", doc_type.to_string())
        .part("file", Part::bytes(bytes.to_vec()).file_name("scan.pdf"));
    app.request(Method::POST, &format!("/api/v1/claims/{claim}/attachments"), Some(token))
        .multipart(form)
        .send()
        .unwrap()
}

#[test]
fn documents_are_stored_once_stamped_and_never_altered() {
    let app = TestApp::spawn_with(|c| c.max_attachment_bytes = 4096);
    let admin = app.admin_token();
    let (claim, token) = claim_for(&app, &admin, "THR-1", "10101010101");
    let res = upload(&app, &token, &claim, "medical_report", PDF);
    assert_eq!(res.status(), 201);
    let a: Value = res.json().unwrap();
    assert_eq!(a["content_type"], "application/pdf");
    assert_eq!(a["size_bytes"], PDF.len());
    assert_eq!(a["stamp"]["text"], "اسکن شد");
    assert_eq!(a["stamp"]["office"], "دفتر");
    assert_eq!(a["stamp"]["user_code"], "his-thr-1"); // usernames are stored lower-case
    assert_eq!(a["stamp"]["date"], "1403-07-19");
    let sha = a["sha256"].as_str().unwrap().to_string();
    assert_eq!(sha, asnad::documents::sha256_hex(PDF));

    // The same file again: the first record, nothing new.
    let again = upload(&app, &token, &claim, "medical_report", PDF);
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().unwrap()["id"], a["id"]);
    let list: Value = app.get(&format!("/api/v1/claims/{claim}/attachments"), Some(&token)).json().unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    // Downloaded byte for byte, typed, with the hash as ETag.
    let res =
        app.get(&format!("/api/v1/claims/{claim}/attachments/{}", a["id"].as_str().unwrap()), Some(&token));
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert_eq!(res.headers()["etag"].to_str().unwrap(), format!("\"{sha}\""));
    assert_eq!(res.bytes().unwrap().as_ref(), PDF);

    // Refusals: not a document format, too large, unknown type, missing file.
    let exe = assert_problem(
        upload(&app, &token, &claim, "invoice", b"MZ\x90\0executable"),
        415,
        "unsupported_media_type",
    );
    assert!(exe["detail"].as_str().unwrap().contains("PDF"));
    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(5000, b' ');
    assert_problem(upload(&app, &token, &claim, "invoice", &big), 413, "payload_too_large");
    let body = assert_problem(upload(&app, &token, &claim, "selfie", PDF), 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "document_type");
    let form = Form::new().text("document_type", "invoice");
    let res = app
        .request(Method::POST, &format!("/api/v1/claims/{claim}/attachments"), Some(&token))
        .multipart(form)
        .send()
        .unwrap();
    assert_eq!(assert_problem(res, 422, "validation_failed")["errors"][0]["field"], "file");
}

#[test]
fn another_provider_cannot_see_or_add_documents() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (claim_a, token_a) = claim_for(&app, &admin, "THR-1", "10101010101");
    let (claim_b, token_b) = claim_for(&app, &admin, "THR-2", "20202020202");
    let a: Value = upload(&app, &token_a, &claim_a, "invoice", PDF).json().unwrap();
    assert_problem(upload(&app, &token_b, &claim_a, "invoice", PDF), 404, "not_found");
    assert_problem(
        app.get(&format!("/api/v1/claims/{claim_a}/attachments"), Some(&token_b)),
        404,
        "not_found",
    );
    assert_problem(
        app.get(
            &format!("/api/v1/claims/{claim_a}/attachments/{}", a["id"].as_str().unwrap()),
            Some(&token_b),
        ),
        404,
        "not_found",
    );
    // The same bytes on B's own claim are a new record over the same stored file.
    let b: Value = upload(&app, &token_b, &claim_b, "invoice", PDF).json().unwrap();
    assert_eq!(a["sha256"], b["sha256"]);
    assert_ne!(a["id"], b["id"]);
}

/// The README promises the bytes are verified against their hash when read: a stored file
/// altered on disk is refused (500 `internal_error`, the cause logged — the server's copy is
/// damaged, nothing the caller can fix) and never served; the genuine scan sent again repairs it.
#[test]
fn an_altered_stored_document_is_refused_not_served() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (claim, token) = claim_for(&app, &admin, "THR-1", "10101010101");
    let report: Value = upload(&app, &token, &claim, "medical_report", PDF).json().unwrap();
    let invoice_pdf: &[u8] = b"%PDF-1.4\n% the invoice\n%%EOF\n";
    let invoice: Value = upload(&app, &token, &claim, "invoice", invoice_pdf).json().unwrap();
    let url = |a: &Value| format!("/api/v1/claims/{claim}/attachments/{}", a["id"].as_str().unwrap());

    // Someone with access to the disk changes one letter of the stored report.
    let sha = report["sha256"].as_str().unwrap();
    let path = asnad::documents::path_for(&app.data_dir(), sha);
    assert_eq!(std::fs::read(&path).unwrap(), PDF, "stored verbatim under its hash");
    let altered = String::from_utf8(PDF.to_vec()).unwrap().replace("Catalog", "Catalot");
    std::fs::write(&path, &altered).unwrap();

    let res = app.get(&url(&report), Some(&token));
    assert_ne!(res.headers()["content-type"], "application/pdf");
    let body = assert_problem(res, 500, "internal_error");
    assert!(!body.to_string().contains("Catalot"), "altered bytes served: {body}");
    // The reviewer of the office is refused the same way.
    let p: Value = app.get(&format!("/api/v1/claims/{claim}"), Some(&admin)).json().unwrap();
    let reviewer = app.token_for("rev", Role::Reviewer, Scope::office(p["office_id"].as_str().unwrap()));
    assert_problem(app.get(&url(&report), Some(&reviewer)), 500, "internal_error");
    // The other document of the file is unaffected.
    assert_eq!(app.get(&url(&invoice), Some(&token)).bytes().unwrap().as_ref(), invoice_pdf);

    // The provider sends the genuine scan again: the same record, and the stored file repaired.
    let again = upload(&app, &token, &claim, "medical_report", PDF);
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().unwrap()["id"], report["id"]);
    let res = app.get(&url(&report), Some(&reviewer));
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().unwrap().as_ref(), PDF);
}
