//! Tenancy, route by route. Tenant A (an office, its hospital, an insured person) owns one record
//! of every kind a route can name; the people of tenant B — a reviewer and a supervisor of
//! another office, another hospital, another insured person — call every route of the route
//! table that takes an id or an office / provider / insured filter, and every list, with A's
//! records. Each gets 404 (the record does not exist for them), 403 where the role may never use
//! the route, or — for lists — an answer holding nothing of A's.
//!
//! Every route of `asnad::app::routes()` must be classified here: a route added without an
//! entry fails `every_route_is_classified`, so a new route cannot skip the tenancy check.

use std::collections::BTreeSet;

use asnad::auth::Role;
use reqwest::blocking::multipart::{Form, Part};
use reqwest::Method;
use serde_json::{json, Value};

use crate::batches::wait_done;
use crate::claims::{document, insured, setup};
use crate::helpers::{Scope, TestApp};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";
const INSURED_A: &str = "0012345679";
const INSURED_B: &str = "0045678901";

/// What one role of tenant B must get.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    /// 404: the record does not exist for the caller.
    Hidden,
    /// 403: the role may never use the route.
    Denied,
    /// 200 with nothing of tenant A's in the answer (lists, scoped to the caller).
    Empty,
    /// 200 by design: the record is not tenant data for this role (the case says why).
    Open,
}
use Expect::*;

/// One call: the route as written in the route table, the concrete path, a body that would be
/// valid for the owner (so that a refusal is about the caller, not the input), and what
/// [reviewer B, supervisor B, provider B, insured B] get.
struct Case {
    method: Method,
    route: &'static str,
    path: String,
    body: Body,
    expect: [Expect; 4],
}

enum Body {
    None,
    Json(Value),
    Upload,
}

/// Routes with no id and no tenant filter whose answers hold no tenant data, or that create a
/// record for the caller's own tenant; each with the reason it needs no case.
const EXEMPT: &[(&str, &str, &str)] = &[
    ("GET", "/healthz", "no data"),
    ("GET", "/readyz", "no data"),
    ("GET", "/metrics", "counters by route, no records"),
    ("GET", "/openapi.yaml", "the public contract"),
    ("POST", "/api/v1/auth/token", "login"),
    ("DELETE", "/api/v1/auth/token", "the caller's own session"),
    ("GET", "/api/v1/auth/me", "the caller's own record"),
    ("PUT", "/api/v1/auth/password", "the caller's own password"),
    ("POST", "/api/v1/users", "admins only (role test in auth.rs)"),
    ("POST", "/api/v1/api-keys", "admins only (role test in auth.rs)"),
    ("GET", "/api/v1/provinces", "reference data"),
    ("GET", "/api/v1/offices", "reference data: every office is public (name, province, code)"),
    ("POST", "/api/v1/offices", "admins only"),
    ("POST", "/api/v1/budgets", "admins only (budgets.rs)"),
    ("POST", "/api/v1/budgets/import", "admins only (budgets.rs)"),
    ("GET", "/api/v1/tariffs", "reference data"),
    ("POST", "/api/v1/tariffs/import", "tariff administrators only"),
    ("GET", "/api/v1/tariffs/{year}/services", "reference data, the id is a year"),
    ("GET", "/api/v1/tariffs/{year}/services/{code}", "reference data"),
    ("GET", "/api/v1/tariffs/{year}/drugs", "reference data"),
    ("GET", "/api/v1/tariffs/{year}/drugs/{code}", "reference data"),
    ("GET", "/api/v1/tariffs/{year}/devices", "reference data"),
    ("GET", "/api/v1/tariffs/{year}/devices/{code}", "reference data"),
    ("POST", "/api/v1/pricing/quote", "prices lines, reads no record"),
    ("POST", "/api/v1/providers", "admins only"),
    ("POST", "/api/v1/claims", "the caller's own provider; an insured person may be treated anywhere"),
    (
        "POST",
        "/api/v1/reimbursements",
        "filed by the insured (any office: offices are public) or a clerk with their own office (422 not_yours, reimbursements.rs)",
    ),
    ("POST", "/api/v1/preauthorizations", "the caller's own provider; an insured person may be treated anywhere"),
    ("POST", "/api/v1/claim-batches", "the caller's own provider"),
    ("POST", "/api/v1/payment-orders", "finance only; pays every approved settlement"),
    ("GET", "/api/v1/audit/verify", "admins only; no record"),
    (
        "GET",
        "/api/v1/reports/budget",
        "the budgets of the caller's reach only (reports.rs: another office's reviewer gets none)",
    ),
    ("POST", "/api/v1/insured", "admins only"),
    ("POST", "/api/v1/insured/import", "admins only"),
];

/// Tenant A's records, one of each kind.
struct A {
    office: String,
    hospital: String,
    user: String,
    api_key: String,
    contract: String,
    claim: String,
    pending_decision: String,
    claim_attachment: String,
    objection: String,
    objection_attachment: String,
    sample: String,
    batch: String,
    advance: String,
    settlement: String,
    order: String,
    preauth: String,
    preauth_attachment: String,
    reimbursement: String,
    reimbursement_attachment: String,
    budget: String,
}

fn upload(app: &TestApp, token: &str, path: &str, document_type: &str) -> String {
    let bytes = [PDF, path.as_bytes()].concat();
    let form = Form::new()
        .text("document_type", document_type.to_string())
        .part("file", Part::bytes(bytes).file_name("scan.pdf"));
    let res = app.request(Method::POST, path, Some(token)).multipart(form).send().unwrap();
    assert_eq!(res.status(), 201, "{path}: {:?}", res.text());
    res.json::<Value>().unwrap()["id"].as_str().unwrap().to_string()
}

fn ok(res: reqwest::blocking::Response, status: u16) -> Value {
    assert_eq!(res.status().as_u16(), status, "{:?}", res.text());
    res.json().unwrap()
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_string()
}

/// Builds tenant A's world: every kind of record, through the API.
fn tenant_a(app: &TestApp, admin: &str) -> (A, String, String) {
    let (hospital, key) = setup(app, admin, "TEN-A", "10101010191");
    let p = ok(app.get(&format!("/api/v1/providers/{hospital}"), Some(admin)), 200);
    let office = p["office_id"].as_str().unwrap().to_string();
    // The office pends every claim, so that its reviewers decide them.
    ok(
        app.put_json(
            &format!("/api/v1/offices/{office}"),
            Some(admin),
            &json!({"province_id": 1, "code": "TEN-A", "name_fa": "دفتر", "name_en": "Office", "auto_approve_limit": 1}),
        ),
        200,
    );
    insured(app, admin);
    let insured_id = id(&ok(app.get(&format!("/api/v1/insured/{INSURED_A}"), Some(admin)), 200));
    let insured_a =
        app.token_for("ins-a", Role::Insured, Scope { insured_id: Some(insured_id), ..Scope::default() });
    let user = app.create_user("rev-a", Role::Reviewer, Scope::office(&office));
    let reviewer = app.login("rev-a", crate::helpers::PASSWORD);
    let supervisor = app.token_for("sup-a", Role::Supervisor, Scope::office(&office));
    let finance = app.token_for("fin", Role::Finance, Scope::default());

    // A claim decided by the office (its R05 line stays deducted), objected to by the provider.
    let claim = id(&ok(app.post_json("/api/v1/claims", Some(&key), &document("TA-1")), 201));
    ok(
        app.request(Method::POST, &format!("/api/v1/review/claims/{claim}/take"), Some(&reviewer))
            .send()
            .unwrap(),
        200,
    );
    let lines = json!({"lines": [{"line_no": 1, "action": "approve"}, {"line_no": 2, "action": "approve"},
                                  {"line_no": 3, "action": "approve"}]});
    ok(app.post_json(&format!("/api/v1/review/claims/{claim}/decision"), Some(&reviewer), &lines), 200);
    let claim_attachment = upload(app, &key, &format!("/api/v1/claims/{claim}/attachments"), "invoice");
    let objection = id(&ok(
        app.post_json(
            &format!("/api/v1/claims/{claim}/objections"),
            Some(&key),
            &json!({"reason": "the code is in the contract", "line_nos": [3]}),
        ),
        201,
    ));
    let objection_attachment =
        upload(app, &key, &format!("/api/v1/objections/{objection}/attachments"), "other");

    // A second claim whose reviewer's cut waits for a supervisor (four eyes, threshold 1,000).
    let mut visit = document("TA-2");
    visit["lines"] = json!([visit["lines"][0].clone()]);
    visit["lines"][0]["service_date"] = json!("1403-07-16");
    let second = id(&ok(app.post_json("/api/v1/claims", Some(&key), &visit), 201));
    ok(
        app.request(Method::POST, &format!("/api/v1/review/claims/{second}/take"), Some(&reviewer))
            .send()
            .unwrap(),
        200,
    );
    let cut =
        json!({"lines": [{"line_no": 1, "action": "adjust", "approved_amount": 100000, "note": "level"}]});
    let waiting =
        ok(app.post_json(&format!("/api/v1/review/claims/{second}/decision"), Some(&reviewer), &cut), 202);
    let pending_decision = waiting["decision_id"].as_str().unwrap_or_else(|| panic!("{waiting}")).to_string();

    // A monthly list, and the advance on it.
    let mut listed = document("TA-3");
    listed["lines"] = json!([listed["lines"][1].clone()]);
    listed["lines"][0]["service_date"] = json!("1403-07-17");
    let b = ok(app.post_json("/api/v1/claim-batches", Some(&key), &json!({"documents": [listed]})), 202);
    let batch = id(&b);
    wait_done(app, &key, &batch);
    let advances = ok(app.get("/api/v1/advances", Some(&finance)), 200);
    let advance = id(&advances["items"][0]);

    // A pre-authorization with a document.
    let preauth = id(&ok(
        app.post_json(
            "/api/v1/preauthorizations",
            Some(&key),
            &json!({"insured_national_code": INSURED_A, "item_type": "service", "code": "806035",
                    "quantity": "1", "diagnoses": ["G35"], "justification": "MS follow-up"}),
        ),
        201,
    ));
    let preauth_attachment =
        upload(app, &key, &format!("/api/v1/preauthorizations/{preauth}/attachments"), "medical_report");

    // A reimbursement the insured person filed with the office, with its invoice.
    let r = ok(
        app.post_json(
            "/api/v1/reimbursements",
            Some(&insured_a),
            &json!({"office_id": office, "benefit": "care", "setting": "outpatient", "kind": "visit",
                    "diagnoses": ["J06.9"], "provider_name": "مطب", "provider_kind": "physician_office",
                    "sheba": "IR820540102680020817909002", "sheba_owner_national_code": INSURED_A,
                    "lines": [{"line_no": 1, "item_type": "visit", "code": "specialist", "quantity": "1",
                               "service_date": "1403-07-05", "paid_amount": 1000000}]}),
        ),
        201,
    );
    let reimbursement = id(&r);
    let reimbursement_attachment =
        upload(app, &insured_a, &format!("/api/v1/reimbursements/{reimbursement}/attachments"), "invoice");

    // The month settled and ordered for payment; then a sample of the month.
    ok(
        app.post_json(
            "/api/v1/settlements",
            Some(&finance),
            &json!({"office_id": office, "service_month": "1403-07"}),
        ),
        201,
    );
    let settlements = ok(app.get(&format!("/api/v1/settlements?office_id={office}"), Some(&finance)), 200);
    let settlement = id(&settlements["items"][0]);
    let order = ok(app.post_json("/api/v1/payment-orders", Some(&finance), &json!({})), 201);
    let order = id(&order["order"]);
    let sample = id(&ok(
        app.post_json(
            "/api/v1/review/samples",
            Some(&supervisor),
            &json!({"provider_id": hospital, "service_month": "1403-07", "method": "all"}),
        ),
        201,
    ));

    let contracts = ok(app.get(&format!("/api/v1/providers/{hospital}/contracts"), Some(admin)), 200);
    let contract = id(&contracts["items"][0]);
    let keys = ok(app.get("/api/v1/api-keys", Some(admin)), 200);
    let api_key = id(&keys["items"][0]);
    let budget = id(&ok(
        app.post_json(
            "/api/v1/budgets",
            Some(admin),
            &json!({"year": 1403, "level": "office", "office_id": office, "benefit": "claims",
                    "amount_rials": 9_000_000_000i64}),
        ),
        201,
    ));
    let a = A {
        office,
        hospital,
        user,
        api_key,
        contract,
        claim,
        pending_decision,
        claim_attachment,
        objection,
        objection_attachment,
        sample,
        batch,
        advance,
        settlement,
        order,
        preauth,
        preauth_attachment,
        reimbursement,
        reimbursement_attachment,
        budget,
    };
    (a, key, insured_a)
}

fn cases(a: &A) -> Vec<Case> {
    let none = || Body::None;
    let js = Body::Json;
    let all = |e: Expect| [e, e, e, e];
    let approve = json!({"lines": [{"line_no": 1, "action": "approve"}]});
    let paid = json!({"paid_on": "1403-07-25", "bank_reference": "BANK-1"});
    let provider_body = json!({"name_fa": "بیمارستان", "kind": "hospital", "sector": "private", "hospital_grade": 2,
        "province_id": 1, "office_id": a.office, "legal_national_id": "10101010191",
        "sheba": "IR820540102680020817909002"});
    let office_body = json!({"province_id": 1, "code": "TEN-A", "name_fa": "دفتر", "name_en": "Office"});
    let (o, h) = (&a.office, &a.hospital);
    let c = |method: Method, route: &'static str, path: String, body: Body, expect: [Expect; 4]| Case {
        method,
        route,
        path,
        body,
        expect,
    };
    use Method as M;
    vec![
        // Users and API keys: administrators only.
        c(M::GET, "/api/v1/users", format!("/api/v1/users?office_id={o}"), none(), all(Denied)),
        c(M::GET, "/api/v1/users/{id}", format!("/api/v1/users/{}", a.user), none(), all(Denied)),
        c(
            M::PATCH,
            "/api/v1/users/{id}",
            format!("/api/v1/users/{}", a.user),
            js(json!({"display_name": "x"})),
            all(Denied),
        ),
        c(
            M::POST,
            "/api/v1/users/{id}/password",
            format!("/api/v1/users/{}/password", a.user),
            none(),
            all(Denied),
        ),
        c(M::GET, "/api/v1/api-keys", format!("/api/v1/api-keys?user_id={}", a.user), none(), all(Denied)),
        c(M::DELETE, "/api/v1/api-keys/{id}", format!("/api/v1/api-keys/{}", a.api_key), none(), all(Denied)),
        // Offices are public reference data; only administrators change them.
        c(M::GET, "/api/v1/offices/{id}", format!("/api/v1/offices/{o}"), none(), all(Open)),
        c(M::PUT, "/api/v1/offices/{id}", format!("/api/v1/offices/{o}"), js(office_body), all(Denied)),
        c(M::DELETE, "/api/v1/offices/{id}", format!("/api/v1/offices/{o}"), none(), all(Denied)),
        // Approved budgets: the office's staff read their own (another office's is 404);
        // providers and insured persons never read budgets; only administrators change them.
        c(
            M::GET,
            "/api/v1/budgets",
            format!("/api/v1/budgets?office_id={o}"),
            none(),
            [Empty, Empty, Denied, Denied],
        ),
        c(
            M::GET,
            "/api/v1/budgets/{id}",
            format!("/api/v1/budgets/{}", a.budget),
            none(),
            [Hidden, Hidden, Denied, Denied],
        ),
        c(
            M::PUT,
            "/api/v1/budgets/{id}",
            format!("/api/v1/budgets/{}", a.budget),
            js(json!({"amount_rials": 1})),
            all(Denied),
        ),
        // Providers and contracts.
        c(
            M::GET,
            "/api/v1/providers",
            format!("/api/v1/providers?office_id={o}"),
            none(),
            [Hidden, Hidden, Denied, Denied],
        ),
        c(M::GET, "/api/v1/providers/{id}", format!("/api/v1/providers/{h}"), none(), all(Hidden)),
        c(M::PUT, "/api/v1/providers/{id}", format!("/api/v1/providers/{h}"), js(provider_body), all(Denied)),
        c(M::DELETE, "/api/v1/providers/{id}", format!("/api/v1/providers/{h}"), none(), all(Denied)),
        c(
            M::GET,
            "/api/v1/providers/{id}/contracts",
            format!("/api/v1/providers/{h}/contracts"),
            none(),
            all(Hidden),
        ),
        c(
            M::POST,
            "/api/v1/providers/{id}/contracts",
            format!("/api/v1/providers/{h}/contracts"),
            js(json!({"number": "C-X", "valid_from": "1404-01-01", "valid_to": "1404-12-29"})),
            all(Denied),
        ),
        c(
            M::GET,
            "/api/v1/providers/{id}/contract",
            format!("/api/v1/providers/{h}/contract?date=1403-07-01"),
            none(),
            all(Hidden),
        ),
        c(M::GET, "/api/v1/contracts/{id}", format!("/api/v1/contracts/{}", a.contract), none(), all(Hidden)),
        c(
            M::POST,
            "/api/v1/contracts/{id}/amendments",
            format!("/api/v1/contracts/{}/amendments", a.contract),
            js(json!({"effective_from": "1403-08-01", "terms": {"discount_percent": "5"}})),
            all(Denied),
        ),
        c(
            M::POST,
            "/api/v1/contracts/{id}/status",
            format!("/api/v1/contracts/{}/status", a.contract),
            js(json!({"action": "suspend", "effective_on": "1403-08-01", "reason": "provider_request"})),
            all(Denied),
        ),
        // Claims.
        c(M::GET, "/api/v1/claims", "/api/v1/claims".into(), none(), [Empty, Empty, Empty, Denied]),
        c(
            M::GET,
            "/api/v1/claims",
            format!("/api/v1/claims?insured_national_code={INSURED_A}"),
            none(),
            [Empty, Empty, Empty, Denied],
        ),
        c(
            M::GET,
            "/api/v1/claims/work-accidents",
            "/api/v1/claims/work-accidents".into(),
            none(),
            [Empty, Empty, Denied, Denied],
        ),
        c(M::GET, "/api/v1/claims/{id}", format!("/api/v1/claims/{}", a.claim), none(), all(Hidden)),
        // The insured person's own view: staff and providers are refused it; another insured
        // person sees nothing of A's (A's claims are billed in insured A's name).
        c(M::GET, "/api/v1/me/claims", "/api/v1/me/claims".into(), none(), [Denied, Denied, Denied, Empty]),
        c(
            M::GET,
            "/api/v1/me/claims/{id}",
            format!("/api/v1/me/claims/{}", a.claim),
            none(),
            [Denied, Denied, Denied, Hidden],
        ),
        c(
            M::POST,
            "/api/v1/me/claims/{id}/not-received",
            format!("/api/v1/me/claims/{}/not-received", a.claim),
            js(json!({"line_no": 1, "note": "never there"})),
            [Denied, Denied, Denied, Hidden],
        ),
        c(
            M::POST,
            "/api/v1/review/claims/{id}/not-received/resolve",
            format!("/api/v1/review/claims/{}/not-received/resolve", a.claim),
            js(json!({"note": "checked"})),
            [Hidden, Hidden, Denied, Denied],
        ),
        c(
            M::GET,
            "/api/v1/claims/{id}/explanation",
            format!("/api/v1/claims/{}/explanation", a.claim),
            none(),
            all(Hidden),
        ),
        c(
            M::GET,
            "/api/v1/claims/{id}/history",
            format!("/api/v1/claims/{}/history", a.claim),
            none(),
            all(Hidden),
        ),
        c(
            M::GET,
            "/api/v1/claims/{id}/objections",
            format!("/api/v1/claims/{}/objections", a.claim),
            none(),
            all(Hidden),
        ),
        c(
            M::POST,
            "/api/v1/claims/{id}/objections",
            format!("/api/v1/claims/{}/objections", a.claim),
            js(json!({"reason": "again", "line_nos": [3]})),
            [Denied, Denied, Hidden, Denied],
        ),
        c(
            M::GET,
            "/api/v1/claims/{id}/attachments",
            format!("/api/v1/claims/{}/attachments", a.claim),
            none(),
            all(Hidden),
        ),
        c(
            M::POST,
            "/api/v1/claims/{id}/attachments",
            format!("/api/v1/claims/{}/attachments", a.claim),
            Body::Upload,
            [Hidden, Hidden, Hidden, Denied],
        ),
        c(
            M::GET,
            "/api/v1/claims/{id}/attachments/{attachment_id}",
            format!("/api/v1/claims/{}/attachments/{}", a.claim, a.claim_attachment),
            none(),
            all(Hidden),
        ),
        c(
            M::GET,
            "/api/v1/claim-batches/{id}",
            format!("/api/v1/claim-batches/{}", a.batch),
            none(),
            all(Hidden),
        ),
        // The review office.
        c(
            M::GET,
            "/api/v1/review/queue",
            format!("/api/v1/review/queue?provider_id={h}"),
            none(),
            [Hidden, Hidden, Denied, Denied],
        ),
        c(
            M::GET,
            "/api/v1/review/queue",
            "/api/v1/review/queue".into(),
            none(),
            [Empty, Empty, Denied, Denied],
        ),
        c(
            M::POST,
            "/api/v1/review/claims/{id}/take",
            format!("/api/v1/review/claims/{}/take", a.claim),
            none(),
            [Hidden, Hidden, Denied, Denied],
        ),
        c(
            M::POST,
            "/api/v1/review/claims/{id}/release",
            format!("/api/v1/review/claims/{}/release", a.claim),
            none(),
            [Hidden, Hidden, Denied, Denied],
        ),
        c(
            M::POST,
            "/api/v1/review/claims/{id}/assignment",
            format!("/api/v1/review/claims/{}/assignment", a.claim),
            js(json!({"reviewer_id": a.user})),
            [Denied, Hidden, Denied, Denied],
        ),
        c(
            M::POST,
            "/api/v1/review/claims/{id}/decision",
            format!("/api/v1/review/claims/{}/decision", a.claim),
            js(approve.clone()),
            [Hidden, Hidden, Denied, Denied],
        ),
        c(
            M::POST,
            "/api/v1/review/samples",
            "/api/v1/review/samples".into(),
            js(json!({"provider_id": h, "service_month": "1403-07", "method": "all"})),
            [Denied, Hidden, Denied, Denied],
        ),
        c(
            M::GET,
            "/api/v1/review/samples/{id}",
            format!("/api/v1/review/samples/{}", a.sample),
            none(),
            [Hidden, Hidden, Denied, Denied],
        ),
        c(
            M::POST,
            "/api/v1/review/samples/{id}/extrapolate",
            format!("/api/v1/review/samples/{}/extrapolate", a.sample),
            none(),
            [Denied, Hidden, Denied, Denied],
        ),
        c(
            M::POST,
            "/api/v1/review/samples/{id}/close",
            format!("/api/v1/review/samples/{}/close", a.sample),
            none(),
            [Denied, Hidden, Denied, Denied],
        ),
        c(
            M::POST,
            "/api/v1/review/decisions/{id}/approve",
            format!("/api/v1/review/decisions/{}/approve", a.pending_decision),
            none(),
            [Denied, Hidden, Denied, Denied],
        ),
        c(
            M::POST,
            "/api/v1/review/decisions/{id}/return",
            format!("/api/v1/review/decisions/{}/return", a.pending_decision),
            none(),
            [Denied, Hidden, Denied, Denied],
        ),
        c(
            M::POST,
            "/api/v1/objections/{id}/decision",
            format!("/api/v1/objections/{}/decision", a.objection),
            js(json!({"lines": [{"line_no": 3, "action": "approve"}]})),
            [Hidden, Hidden, Denied, Denied],
        ),
        c(
            M::GET,
            "/api/v1/objections/{id}/attachments",
            format!("/api/v1/objections/{}/attachments", a.objection),
            none(),
            all(Hidden),
        ),
        c(
            M::POST,
            "/api/v1/objections/{id}/attachments",
            format!("/api/v1/objections/{}/attachments", a.objection),
            Body::Upload,
            [Hidden, Hidden, Hidden, Denied],
        ),
        c(
            M::GET,
            "/api/v1/objections/{id}/attachments/{attachment_id}",
            format!("/api/v1/objections/{}/attachments/{}", a.objection, a.objection_attachment),
            none(),
            all(Hidden),
        ),
        // Reimbursements.
        c(
            M::GET,
            "/api/v1/reimbursements",
            "/api/v1/reimbursements".into(),
            none(),
            [Empty, Empty, Denied, Empty],
        ),
        c(
            M::GET,
            "/api/v1/reimbursements/{id}",
            format!("/api/v1/reimbursements/{}", a.reimbursement),
            none(),
            all(Hidden),
        ),
        c(
            M::POST,
            "/api/v1/reimbursements/{id}/submit",
            format!("/api/v1/reimbursements/{}/submit", a.reimbursement),
            js(json!({})),
            all(Hidden),
        ),
        c(
            M::POST,
            "/api/v1/reimbursements/{id}/decision",
            format!("/api/v1/reimbursements/{}/decision", a.reimbursement),
            js(approve.clone()),
            [Hidden, Hidden, Denied, Denied],
        ),
        c(
            M::POST,
            "/api/v1/reimbursements/{id}/approval",
            format!("/api/v1/reimbursements/{}/approval", a.reimbursement),
            js(json!({"approve": true})),
            [Denied, Hidden, Denied, Denied],
        ),
        c(
            M::GET,
            "/api/v1/reimbursements/{id}/attachments",
            format!("/api/v1/reimbursements/{}/attachments", a.reimbursement),
            none(),
            all(Hidden),
        ),
        c(
            M::POST,
            "/api/v1/reimbursements/{id}/attachments",
            format!("/api/v1/reimbursements/{}/attachments", a.reimbursement),
            Body::Upload,
            all(Hidden),
        ),
        c(
            M::GET,
            "/api/v1/reimbursements/{id}/attachments/{attachment_id}",
            format!("/api/v1/reimbursements/{}/attachments/{}", a.reimbursement, a.reimbursement_attachment),
            none(),
            all(Hidden),
        ),
        // Pre-authorizations.
        c(M::GET, "/api/v1/preauthorizations", "/api/v1/preauthorizations".into(), none(), all(Empty)),
        c(
            M::GET,
            "/api/v1/preauthorizations/{id}",
            format!("/api/v1/preauthorizations/{}", a.preauth),
            none(),
            all(Hidden),
        ),
        c(
            M::POST,
            "/api/v1/preauthorizations/{id}/decision",
            format!("/api/v1/preauthorizations/{}/decision", a.preauth),
            js(json!({"decision": "approve", "approved_quantity": "1"})),
            all(Denied),
        ),
        c(
            M::GET,
            "/api/v1/preauthorizations/{id}/attachments",
            format!("/api/v1/preauthorizations/{}/attachments", a.preauth),
            none(),
            all(Hidden),
        ),
        c(
            M::POST,
            "/api/v1/preauthorizations/{id}/attachments",
            format!("/api/v1/preauthorizations/{}/attachments", a.preauth),
            Body::Upload,
            [Hidden, Hidden, Hidden, Denied],
        ),
        c(
            M::GET,
            "/api/v1/preauthorizations/{id}/attachments/{attachment_id}",
            format!("/api/v1/preauthorizations/{}/attachments/{}", a.preauth, a.preauth_attachment),
            none(),
            all(Hidden),
        ),
        // Paying providers.
        c(M::GET, "/api/v1/advances", "/api/v1/advances".into(), none(), all(Empty)),
        c(
            M::POST,
            "/api/v1/advances/{id}/payment",
            format!("/api/v1/advances/{}/payment", a.advance),
            js(paid.clone()),
            all(Denied),
        ),
        c(M::GET, "/api/v1/settlements", "/api/v1/settlements".into(), none(), all(Empty)),
        c(M::GET, "/api/v1/settlements", format!("/api/v1/settlements?office_id={o}"), none(), all(Hidden)),
        c(M::GET, "/api/v1/settlements", format!("/api/v1/settlements?provider_id={h}"), none(), all(Hidden)),
        c(
            M::POST,
            "/api/v1/settlements",
            "/api/v1/settlements".into(),
            js(json!({"office_id": o, "service_month": "1403-08"})),
            all(Denied),
        ),
        c(
            M::POST,
            "/api/v1/settlements/preview",
            "/api/v1/settlements/preview".into(),
            js(json!({"office_id": o, "service_month": "1403-08"})),
            all(Denied),
        ),
        c(M::GET, "/api/v1/payment-orders", "/api/v1/payment-orders".into(), none(), all(Denied)),
        // Reports: tenant A's office is outside B's staff's reach (404); providers and insured
        // persons never read reports.
        c(
            M::GET,
            "/api/v1/reports/deductions",
            format!("/api/v1/reports/deductions?office_id={o}"),
            none(),
            [Hidden, Hidden, Denied, Denied],
        ),
        c(
            M::GET,
            "/api/v1/reports/turnaround",
            format!("/api/v1/reports/turnaround?office_id={o}"),
            none(),
            [Hidden, Hidden, Denied, Denied],
        ),
        c(
            M::GET,
            "/api/v1/reports/provider-quality",
            format!("/api/v1/reports/provider-quality?office_id={o}"),
            none(),
            [Hidden, Hidden, Denied, Denied],
        ),
        c(
            M::GET,
            "/api/v1/reports/work-accidents",
            format!("/api/v1/reports/work-accidents?office_id={o}"),
            none(),
            [Hidden, Hidden, Denied, Denied],
        ),
        c(
            M::GET,
            "/api/v1/settlements/{id}/remittance",
            format!("/api/v1/settlements/{}/remittance", a.settlement),
            none(),
            all(Hidden),
        ),
        c(
            M::GET,
            "/api/v1/payment-orders/{id}",
            format!("/api/v1/payment-orders/{}", a.order),
            none(),
            all(Denied),
        ),
        c(
            M::POST,
            "/api/v1/payment-orders/{id}/paid",
            format!("/api/v1/payment-orders/{}/paid", a.order),
            js(paid),
            all(Denied),
        ),
        c(
            M::GET,
            "/api/v1/reconciliation",
            format!("/api/v1/reconciliation?office_id={o}&service_month=1403-07"),
            none(),
            [Hidden, Hidden, Denied, Denied],
        ),
        // Insured persons are served by every office: the office staff read any record (Open);
        // providers only ask eligibility; an insured person sees themselves and their family.
        c(
            M::GET,
            "/api/v1/insured",
            format!("/api/v1/insured?national_code={INSURED_A}"),
            none(),
            [Open, Open, Denied, Denied],
        ),
        c(
            M::GET,
            "/api/v1/insured/{national_code}",
            format!("/api/v1/insured/{INSURED_A}"),
            none(),
            [Open, Open, Denied, Hidden],
        ),
        c(
            M::PUT,
            "/api/v1/insured/{national_code}",
            format!("/api/v1/insured/{INSURED_A}"),
            js(
                json!({"national_code": INSURED_A, "insurance_no": "12345678", "first_name": "علی", "last_name": "کریمی",
                      "sex": "male", "birth_date": "1980-01-01", "insurance_type": "mandatory", "coverage": []}),
            ),
            all(Denied),
        ),
        c(
            M::GET,
            "/api/v1/insured/{national_code}/eligibility",
            format!("/api/v1/insured/{INSURED_A}/eligibility?date=1403-07-01"),
            none(),
            [Open, Open, Open, Hidden],
        ),
    ]
}

/// Everything of tenant A's that must not appear in a list answered to tenant B.
fn a_ids(a: &A) -> Vec<&str> {
    vec![
        &a.claim,
        &a.hospital,
        &a.batch,
        &a.advance,
        &a.settlement,
        &a.preauth,
        &a.reimbursement,
        &a.objection,
        &a.office,
        &a.budget,
    ]
}

#[test]
fn every_route_is_classified() {
    let routes: BTreeSet<(String, String)> =
        asnad::app::routes().iter().map(|r| (r.method.to_string(), r.path.to_string())).collect();
    let dummy = A {
        office: "o".into(),
        hospital: "h".into(),
        user: "u".into(),
        api_key: "k".into(),
        contract: "c".into(),
        claim: "c".into(),
        pending_decision: "d".into(),
        claim_attachment: "a".into(),
        objection: "o".into(),
        objection_attachment: "a".into(),
        sample: "s".into(),
        batch: "b".into(),
        advance: "a".into(),
        settlement: "s".into(),
        order: "o".into(),
        preauth: "p".into(),
        preauth_attachment: "a".into(),
        reimbursement: "r".into(),
        reimbursement_attachment: "a".into(),
        budget: "b".into(),
    };
    let mut covered: BTreeSet<(String, String)> =
        cases(&dummy).iter().map(|c| (c.method.to_string(), c.route.to_string())).collect();
    for (m, p, why) in EXEMPT {
        assert!(!why.is_empty());
        assert!(covered.insert((m.to_string(), p.to_string())), "{m} {p} is both exempt and tested");
    }
    let missing: Vec<_> = routes.difference(&covered).collect();
    assert!(missing.is_empty(), "routes with no tenancy entry (add a case or an exemption): {missing:?}");
    let stale: Vec<_> = covered.difference(&routes).collect();
    assert!(stale.is_empty(), "tenancy entries for routes that do not exist: {stale:?}");
}

#[test]
fn another_tenant_gets_404_on_every_route() {
    let app = TestApp::spawn_with(|c| c.four_eyes_threshold = 1_000);
    let admin = app.admin_token();
    let (a, _key_a, insured_a) = tenant_a(&app, &admin);

    // Tenant B: another office with its hospital, and another insured person.
    let (hospital_b, key_b) = setup(&app, &admin, "TEN-B", "10101010192");
    let office_b = ok(app.get(&format!("/api/v1/providers/{hospital_b}"), Some(&admin)), 200)["office_id"]
        .as_str()
        .unwrap()
        .to_string();
    let insured_b = crate::reimbursements::person(&app, &admin, INSURED_B, "mandatory", None);
    let tokens = [
        ("reviewer B", app.token_for("rev-b", Role::Reviewer, Scope::office(&office_b))),
        ("supervisor B", app.token_for("sup-b", Role::Supervisor, Scope::office(&office_b))),
        ("provider B", key_b),
        (
            "insured B",
            app.token_for("ins-b", Role::Insured, Scope { insured_id: Some(insured_b), ..Scope::default() }),
        ),
    ];
    let secret_ids = a_ids(&a);

    let mut failures = Vec::new();
    for case in cases(&a) {
        for (i, (who, token)) in tokens.iter().enumerate() {
            let mut rb = app.request(case.method.clone(), &case.path, Some(token));
            rb = match &case.body {
                Body::None => rb,
                Body::Json(v) => rb.json(v),
                Body::Upload => rb.multipart(
                    Form::new()
                        .text("document_type", "other")
                        .part("file", Part::bytes(PDF.to_vec()).file_name("scan.pdf")),
                ),
            };
            let res = rb.send().unwrap();
            let status = res.status().as_u16();
            let text = res.text().unwrap_or_default();
            let ok = match case.expect[i] {
                Hidden => status == 404,
                Denied => status == 403,
                Empty => status == 200 && !secret_ids.iter().any(|s| text.contains(s)),
                Open => status == 200,
            };
            if !ok {
                failures.push(format!(
                    "{} {} as {who}: expected {:?}, got {status} {}",
                    case.method,
                    case.path,
                    case.expect[i],
                    text.chars().take(160).collect::<String>()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{} tenancy failures:\n{}", failures.len(), failures.join("\n"));

    // The owner's side of each GET answers (the ids are real): the administrator, finance,
    // the office's own reviewer or insured A (their own portal) reads them.
    let owners = [
        admin.clone(),
        app.login("fin", crate::helpers::PASSWORD),
        app.login("rev-a", crate::helpers::PASSWORD),
        insured_a,
    ];
    for case in cases(&a).into_iter().filter(|c| c.method == Method::GET) {
        let statuses: Vec<u16> =
            owners.iter().map(|t| app.get(&case.path, Some(t)).status().as_u16()).collect();
        assert!(statuses.contains(&200), "no owner reads GET {}: {statuses:?}", case.path);
    }
}
