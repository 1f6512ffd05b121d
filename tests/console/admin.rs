//! The administrator's screens over real HTTP: every page refuses the other roles (403), every
//! form refuses a request without the session's CSRF token and changes nothing, an API key and a
//! one-time password are shown once and never again, a contract is amended and the versions are
//! compared, and a bad tariff import lists every problem as `file:line: column: message`.

use std::collections::HashMap;

use asnad::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{Scope, TestApp, PASSWORD};
use crate::support::{scene, Browser, Page};

/// Every administrator's page, `{id}` filled per kind by `fill`.
pub const PAGES: &[&str] = &[
    "/console/admin/offices",
    "/console/admin/offices/{office}",
    "/console/admin/providers",
    "/console/admin/providers/new",
    "/console/admin/providers/{provider}",
    "/console/admin/providers/{provider}/contracts/new",
    "/console/admin/contracts/{contract}",
    "/console/admin/users",
    "/console/admin/users/{user}",
    "/console/admin/api-keys",
    "/console/admin/audit?run=1",
];

/// Every administrator's form (urlencoded); the tariff import is multipart (`import`).
pub const FORMS: &[&str] = &[
    "/console/admin/offices",
    "/console/admin/offices/{office}",
    "/console/admin/providers",
    "/console/admin/providers/{provider}",
    "/console/admin/providers/{provider}/deactivate",
    "/console/admin/providers/{provider}/contracts",
    "/console/admin/contracts/{contract}/amendments",
    "/console/admin/contracts/{contract}/status",
    "/console/admin/users",
    "/console/admin/users/{user}",
    "/console/admin/users/{user}/password",
    "/console/admin/api-keys",
    "/console/admin/api-keys/{key}/revoke",
];

pub struct Ids {
    pub office: String,
    pub province: String,
    pub provider: String,
    pub contract: String,
    pub user: String,
    pub key: String,
}

impl Ids {
    pub fn fill(&self, path: &str) -> String {
        path.replace("{office}", &self.office)
            .replace("{provider}", &self.provider)
            .replace("{contract}", &self.contract)
            .replace("{user}", &self.user)
            .replace("{key}", &self.key)
    }
}

/// The office, hospital, contract, provider user and key of a scene, and the other roles' users.
pub fn desk(app: &TestApp) -> Ids {
    let s = scene(app);
    app.create_user("fatemeh", Role::Finance, Scope::default());
    app.create_user("sara", Role::Supervisor, Scope::office(&s.office.id));
    app.create_user("dr-moein", Role::MedicalAdvisor, Scope::default());
    app.create_user("tarrif", Role::TariffAdmin, Scope::default());
    app.create_user("sepidar", Role::Provider, Scope::provider(&s.hospitals[0].id));
    app.create_user(
        "maryam",
        Role::Insured,
        Scope { insured_id: Some("01000000-0000-7000-8000-0000000000aa".into()), ..Default::default() },
    );
    let admin = app.login("root", PASSWORD);
    let keys: Value = app.get("/api/v1/api-keys", Some(&admin)).json().unwrap();
    let key = keys["items"][0]["id"].as_str().unwrap().to_string();
    let user = keys["items"][0]["user_id"].as_str().unwrap().to_string();
    Ids {
        office: s.office.id.clone(),
        province: s.office.province_id.to_string(),
        provider: s.hospitals[0].id.clone(),
        contract: s.hospitals[0].contract_id.clone().unwrap(),
        user,
        key,
    }
}

/// The tariff import form: `files` as chosen files, `kept` as the kept files' parts.
pub fn import(b: &Browser<'_>, files: &[(&str, String)], csrf: Option<&str>) -> Page {
    use reqwest::blocking::multipart::{Form, Part};
    let mut form = Form::new();
    if let Some(c) = csrf {
        form = form.text("csrf", c.to_string());
    }
    for (name, content) in files {
        form = form.part("files", Part::bytes(content.clone().into_bytes()).file_name(name.to_string()));
    }
    send_multipart(b, form)
}

/// Sends a multipart form to the tariff import with the browser's session.
pub fn send_multipart(b: &Browser<'_>, form: reqwest::blocking::multipart::Form) -> Page {
    let client =
        reqwest::blocking::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let res = client
        .post(format!("{}/console/admin/tariffs/import", b.app.base))
        .header("cookie", format!("asnad_session={}", b.cookie("asnad_session").expect("signed in")))
        .multipart(form)
        .send()
        .expect("import");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    Page { status, headers, body: res.text().unwrap_or_default() }
}

/// The value of the secret shown on a page (`data-secret`).
fn secret(page: &Page) -> String {
    let at = page.body.find("data-secret").expect("a secret on the page");
    let before = &page.body[..at];
    let v = before.rfind("value=\"").expect("its value");
    before[v + 7..].split('"').next().unwrap().to_string()
}

fn year_files(year: &str) -> Vec<(&'static str, String)> {
    asnad::domain::tariff::FILES
        .iter()
        .map(|f| (*f, std::fs::read_to_string(format!("tariffs/{year}/{f}")).expect("tariff file")))
        .collect()
}

#[test]
fn every_admin_page_and_form_refuses_reviewers_finance_providers_and_insured_with_403() {
    let app = TestApp::spawn();
    let ids = desk(&app);
    for user in ["ana", "sara", "dr-moein", "fatemeh", "sepidar", "maryam", "tarrif"] {
        let b = Browser::signed_in(&app, user);
        let csrf = b.get("/console/password").csrf();
        for path in PAGES {
            let page = b.get(&ids.fill(path));
            assert_eq!(page.status, 403, "{user}: GET {path}");
            assert!(!page.body.contains("data-secret"), "{user}: {path}");
        }
        for path in FORMS {
            let page = b.post(&ids.fill(path), &[("csrf", &csrf), ("name", "x"), ("code", "X")]);
            assert_eq!(page.status, 403, "{user}: POST {path}");
        }
        let tariffs = b.get("/console/admin/tariffs");
        let import = import(&b, &year_files("1403"), Some(&csrf));
        if user == "tarrif" {
            // The tariff administrator's own page: the tariffs and their import.
            assert_eq!(tariffs.status, 200);
            tariffs.assert_contains("ورود تعرفهٔ یک سال");
            assert!(import.status == 200 || import.status == 201, "tariff admin imports: {}", import.status);
        } else {
            assert_eq!(tariffs.status, 403, "{user}: GET tariffs");
            assert_eq!(import.status, 403, "{user}: import");
        }
    }
    // The administrator's home is the providers; the tariff administrator's the tariffs.
    assert_eq!(Browser::signed_in(&app, "root").get("/console/").location(), "/console/admin/providers");
    assert_eq!(Browser::signed_in(&app, "tarrif").get("/console/").location(), "/console/admin/tariffs");
}

#[test]
fn every_admin_form_without_the_csrf_token_is_403_and_changes_nothing() {
    let app = TestApp::spawn();
    let ids = desk(&app);
    let root = Browser::signed_in(&app, "root");
    let token = app.login("root", PASSWORD);
    let before: Value = app.get(&format!("/api/v1/contracts/{}", ids.contract), Some(&token)).json().unwrap();
    for path in FORMS {
        let url = ids.fill(path);
        let page = root.post(
            &url,
            &[
                ("code", "NEW-1"),
                ("province_id", "8"),
                ("name_fa", "دفتر"),
                ("name_en", "Office"),
                ("active", "1"),
                ("effective_from", "1403/07/01"),
                ("t.discount_percent", "5"),
                ("action", "suspend"),
                ("effective_on", "1403/07/01"),
                ("reason", "repeated_violations"),
                ("username", "new.user"),
                ("display_name", "کاربر"),
                ("role", "finance"),
                ("user_id", &ids.user),
                ("name", "x"),
            ],
        );
        assert_eq!(page.status, 403, "POST {url} without CSRF:\n{}", page.body);
        page.assert_contains("درخواست رد شد");
        let wrong = root.post(&url, &[("csrf", "not-the-token"), ("name", "x")]);
        assert_eq!(wrong.status, 403, "POST {url} with a wrong token");
    }
    assert_eq!(import(&root, &year_files("1403"), None).status, 403, "the import without its token");
    // Nothing changed: the contract, the key, the users, the offices, the provider.
    let after: Value = app.get(&format!("/api/v1/contracts/{}", ids.contract), Some(&token)).json().unwrap();
    assert_eq!(before, after);
    let keys: Value = app.get("/api/v1/api-keys", Some(&token)).json().unwrap();
    assert!(keys["items"].as_array().unwrap().iter().all(|k| k["revoked_at"].is_null()), "{keys}");
    let users: Value = app.get("/api/v1/users?limit=500", Some(&token)).json().unwrap();
    assert!(!users.to_string().contains("new.user"));
    let offices: Value = app.get("/api/v1/offices", Some(&token)).json().unwrap();
    assert!(!offices.to_string().contains("NEW-1"));
    let p: Value = app.get(&format!("/api/v1/providers/{}", ids.provider), Some(&token)).json().unwrap();
    assert_eq!(p["active"], true);
}

#[test]
fn an_api_key_is_shown_once_and_never_again() {
    let app = TestApp::spawn();
    let ids = desk(&app);
    let root = Browser::signed_in(&app, "root");
    let csrf = root.get("/console/admin/api-keys").csrf();
    let created = root
        .post("/console/admin/api-keys", &[("csrf", &csrf), ("user_id", &ids.user), ("name", "HIS تازه")]);
    assert_eq!(created.status, 201, "{}", created.body);
    created.assert_contains("فقط همین یک بار");
    assert_eq!(created.header("cache-control"), "no-store");
    let key = secret(&created);
    assert!(key.len() > 20, "{key}");
    // The key works: the provider's system reads its own provider with it.
    let res = app.get(&format!("/api/v1/providers/{}", ids.provider), Some(&key));
    assert_eq!(res.status(), 200);
    // Never again: not in the list, not on the user's page, not on the list after a reload.
    let list = root.get("/console/admin/api-keys");
    assert_eq!(list.status, 200);
    list.assert_contains("HIS تازه");
    assert!(!list.body.contains(&key), "the list shows the key again");
    assert!(!list.body.contains("data-secret"));
    let prefix = &key[..8];
    assert!(list.body.contains(prefix), "the list shows the key's prefix");
    let user = root.get(&format!("/console/admin/users/{}", ids.user));
    assert_eq!(user.status, 200);
    assert!(!user.body.contains(&key), "the user's page shows the key again");

    // Revoked from the list: the key stops working at once.
    let res = root.post(&format!("/console/admin/api-keys/{}/revoke", ids.key), &[("csrf", &csrf)]);
    assert_eq!(res.status, 303);
    assert_eq!(res.location(), "/console/admin/api-keys?done=revoked");
    let list = root.get("/console/admin/api-keys?done=revoked");
    list.assert_contains("باطل‌شده");

    // A user's one-time password is shown once too, and works once (then must be changed).
    let made = root.post(
        "/console/admin/users",
        &[("csrf", &csrf), ("username", "sima"), ("display_name", "سیما رضایی"), ("role", "finance")],
    );
    assert_eq!(made.status, 201, "{}", made.body);
    let otp = secret(&made);
    let users = root.get("/console/admin/users");
    users.assert_contains("سیما رضایی");
    assert!(!users.body.contains(&otp));
    let sima = Browser::new(&app);
    assert_eq!(sima.login("sima", &otp).status, 303);
    assert_eq!(sima.get("/console/").location(), "/console/password");
    // A user without the scope its role needs is refused with the field named.
    let bad = root.post(
        "/console/admin/users",
        &[("csrf", &csrf), ("username", "ali.r"), ("display_name", "علی"), ("role", "reviewer")],
    );
    assert_eq!(bad.status, 422);
    bad.assert_contains("office_id");
    assert!(!bad.body.contains("data-secret"));
}

#[test]
fn a_bad_tariff_import_lists_every_problem_as_file_line_column_message_and_keeps_the_files() {
    let app = TestApp::spawn();
    desk(&app);
    let tarrif = Browser::signed_in(&app, "tarrif");
    let csrf = tarrif.get("/console/admin/tariffs").csrf();
    let mut files: HashMap<&str, String> = year_files("1404").into_iter().collect();
    // Problems on three lines of services.csv: a code that is not one (line 2), a bad flag
    // (line 3), and a code repeated (line 4 repeats line 5's).
    let services = files["services.csv"].clone();
    let mut lines: Vec<String> = services.lines().map(String::from).collect();
    let header: Vec<String> = lines[0].split(',').map(String::from).collect();
    let mut row2: Vec<String> = lines[1].split(',').map(String::from).collect();
    row2[0] = "12x".into();
    lines[1] = row2.join(",");
    let mut row3: Vec<String> = lines[2].split(',').map(String::from).collect();
    row3[1] = "?".into();
    lines[2] = row3.join(",");
    let code5 = lines[4].split(',').next().unwrap().to_string();
    let mut row4: Vec<String> = lines[3].split(',').map(String::from).collect();
    row4[0] = code5;
    lines[3] = row4.join(",");
    files.insert("services.csv", lines.join("\n") + "\n");
    let sent: Vec<(&str, String)> = files.iter().map(|(k, v)| (*k, v.clone())).collect();
    let page = import(&tarrif, &sent, Some(&csrf));
    assert_eq!(page.status, 422, "{}", page.body);
    // Exactly the use case's problems, each as `file:line: column: message`.
    let token = app.login("tarrif", PASSWORD);
    let api = app.post_json(
        "/api/v1/tariffs/import",
        Some(&token),
        &json!({"files": files.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>()}),
    );
    assert_eq!(api.status(), 422);
    let problem: Value = api.json().unwrap();
    let errors = problem["errors"].as_array().unwrap();
    assert!(errors.len() >= 3, "{problem}");
    let html = |s: &str| {
        s.replace('&', "&amp;")
            .replace('"', "&#34;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('\'', "&#39;")
    };
    for e in errors {
        let line = format!("{}: {}", e["field"].as_str().unwrap(), e["message"].as_str().unwrap());
        assert!(page.body.contains(&format!("<code>{}</code>", html(&line))), "missing on the page: {line}");
    }
    let listed = page.body.matches("<li><code>").count();
    assert_eq!(listed, errors.len(), "every problem once");
    assert!(
        page.body.contains(&format!("<code>services.csv:2: {}: ", header[0])),
        "line 2's column is named: {}",
        header[0]
    );
    assert!(page.body.contains("<code>services.csv:3: "), "line 3");
    assert!(
        page.body.contains("<code>services.csv:4: ") || page.body.contains("<code>services.csv:5: "),
        "the repeated code"
    );
    // The files are kept: sending only the corrected one imports the year.
    assert!(page.body.contains("name=\"kept.services.csv\""), "the files are kept on the page");
    assert!(page.body.contains("name=\"kept.meta.toml\""));
    let good = year_files("1404");
    use reqwest::blocking::multipart::{Form, Part};
    let mut form = Form::new().text("csrf", csrf.clone());
    for (name, content) in &good {
        if *name == "services.csv" {
            form = form.part("files", Part::bytes(content.clone().into_bytes()).file_name(name.to_string()));
        } else {
            form = form.text(format!("kept.{name}"), files[name].clone());
        }
    }
    let ok = send_multipart(&tarrif, form);
    assert!(ok.status == 200 || ok.status == 201, "{}: {}", ok.status, ok.body);
    ok.assert_contains("تعرفهٔ سال 1404");
}

#[test]
fn offices_providers_and_contracts_through_their_forms() {
    let app = TestApp::spawn();
    let ids = desk(&app);
    let root = Browser::signed_in(&app, "root");
    let token = app.login("root", PASSWORD);
    let csrf = root.get("/console/admin/offices").csrf();

    // An office: created, then refused with the field named (unknown province), then edited.
    let res = root.post(
        "/console/admin/offices",
        &[
            ("csrf", &csrf),
            ("province_id", "8"),
            ("code", "thr-n"),
            ("name_fa", "دفتر شمال تهران"),
            ("name_en", "North"),
            ("active", "1"),
            ("auto_approve_limit", "5,000,000"),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let list = root.get("/console/admin/offices?province=8");
    list.assert_contains("دفتر شمال تهران");
    list.assert_contains("5,000,000");
    list.assert_contains("THR-N");
    let bad = root.post(
        "/console/admin/offices",
        &[
            ("csrf", &csrf),
            ("province_id", "8"),
            ("code", "THR-N"),
            ("name_fa", "تکراری"),
            ("name_en", "Dup"),
        ],
    );
    assert_eq!(bad.status, 409);
    bad.assert_contains("THR-N");

    // A provider: a hospital without its grade is refused with the field named.
    let fields = |grade: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("name_fa", "بیمارستان آزمایشی".to_string()),
            ("kind", "hospital".to_string()),
            ("sector", "private".to_string()),
            ("province_id", ids.province.clone()),
            ("office_id", ids.office.clone()),
            ("legal_national_id", "10101234567".to_string()),
            ("hospital_grade", grade.to_string()),
            ("active", "1".to_string()),
        ]
    };
    let as_refs =
        |v: &Vec<(&'static str, String)>| v.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    let no_grade = as_refs(&fields(""));
    let refs: Vec<(&str, &str)> = no_grade.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let bad = root.post("/console/admin/providers", &refs);
    assert_eq!(bad.status, 422, "{}", bad.body);
    bad.assert_contains("hospital_grade");
    bad.assert_contains("بیمارستان آزمایشی");
    let good = as_refs(&fields("2"));
    let refs: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let made = root.post("/console/admin/providers", &refs);
    assert_eq!(made.status, 303, "{}", made.body);
    let at = made.location();
    let provider = at.trim_start_matches("/console/admin/providers/").split('?').next().unwrap().to_string();
    let list = root.get("/console/admin/providers?q=آزمایشی");
    list.assert_contains("بیمارستان آزمایشی");
    assert!(!list.body.contains("سپیدار"), "the filter applies");

    // Its contract: created as a draft, activated, amended, compared.
    let page = root.get(&format!("/console/admin/providers/{provider}/contracts/new"));
    assert_eq!(page.status, 200);
    let made = root.post(
        &format!("/console/admin/providers/{provider}/contracts"),
        &[
            ("csrf", &csrf),
            ("number", "C-TEST-1"),
            ("valid_from", "1403/01/01"),
            ("valid_to", "1403/12/29"),
            ("t.tariff_basis", "government"),
            ("t.discount_percent", "0"),
            ("t.advance_percent", "60"),
            ("t.advance_days", "14"),
            ("t.balance_payment_days", "90"),
            ("t.submission_deadline_days", "30"),
            ("t.objection_window_working_days", "10"),
        ],
    );
    assert_eq!(made.status, 303, "{}", made.body);
    let contract = made
        .location()
        .trim_start_matches("/console/admin/contracts/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let c: Value = app.get(&format!("/api/v1/contracts/{contract}"), Some(&token)).json().unwrap();
    assert_eq!((c["status"].as_str(), c["number"].as_str()), (Some("draft"), Some("C-TEST-1")));
    // Suspending a draft is the life cycle's 409; suspending without a reason the use case's 422.
    let refused = root.post(
        &format!("/console/admin/contracts/{contract}/status"),
        &[
            ("csrf", &csrf),
            ("action", "suspend"),
            ("effective_on", "1403/02/01"),
            ("reason", "repeated_violations"),
        ],
    );
    assert_eq!(refused.status, 409, "{}", refused.body);
    let ok = root.post(
        &format!("/console/admin/contracts/{contract}/status"),
        &[("csrf", &csrf), ("action", "activate"), ("effective_on", "1403/01/01")],
    );
    assert_eq!(ok.status, 303, "{}", ok.body);
    let no_reason = root.post(
        &format!("/console/admin/contracts/{contract}/status"),
        &[("csrf", &csrf), ("action", "suspend"), ("effective_on", "1403/03/01"), ("note", "بی علت")],
    );
    assert_eq!(no_reason.status, 422);
    no_reason.assert_contains("reason");
    no_reason.assert_contains("بی علت");
    let amend = |date: &str, discount: &str| {
        root.post(
            &format!("/console/admin/contracts/{contract}/amendments"),
            &[
                ("csrf", &csrf),
                ("effective_from", date),
                ("t.tariff_basis", "government"),
                ("t.may_bill_gap", "1"),
                ("t.discount_percent", discount),
                ("t.monthly_ceiling", "2,500,000,000"),
                ("t.advance_percent", "60"),
                ("t.advance_days", "14"),
                ("t.balance_payment_days", "90"),
                ("t.submission_deadline_days", "30"),
                ("t.objection_window_working_days", "10"),
            ],
        )
    };
    // Out of range: the use case's error beside the field, the typed value kept.
    let bad = amend("1403/07/01", "150");
    assert_eq!(bad.status, 422, "{}", bad.body);
    bad.assert_contains("terms.discount_percent");
    bad.assert_contains("value=\"150\"");
    let ok = amend("1403/07/01", "5");
    assert_eq!(ok.status, 303, "{}", ok.body);
    let page = root.get(&ok.location());
    page.assert_contains("الحاقیه ثبت شد");
    page.assert_contains("data-compare=\"1-2\"");
    for term in ["may_bill_gap", "discount_percent", "monthly_ceiling"] {
        assert!(
            page.body.contains(&format!("data-term=\"{term}\" class=\"is-changed\"")),
            "{term} marked changed"
        );
    }
    assert!(page.body.contains("data-term=\"advance_percent\">"), "an unchanged term is not marked");
    page.assert_contains("2,500,000,000</ins>");
    let c: Value = app.get(&format!("/api/v1/contracts/{contract}"), Some(&token)).json().unwrap();
    assert_eq!(c["versions"][1]["terms"]["discount_percent"], "5");
    assert_eq!(c["versions"][1]["terms"]["monthly_ceiling"], 2_500_000_000i64);
    assert_eq!(c["versions"][1]["effective_from"], "2024-09-22");

    // Deactivated, never deleted.
    let res = root.post(&format!("/console/admin/providers/{provider}/deactivate"), &[("csrf", &csrf)]);
    assert_eq!(res.status, 303);
    let p: Value = app.get(&format!("/api/v1/providers/{provider}"), Some(&token)).json().unwrap();
    assert_eq!(p["active"], false);
}

#[test]
fn the_audit_verification_says_in_words_whether_the_chain_is_intact() {
    let app = TestApp::spawn();
    desk(&app);
    let root = Browser::signed_in(&app, "root");
    let page = root.get("/console/admin/audit");
    assert_eq!(page.status, 200);
    page.assert_contains("هنوز بررسی نشده است");
    let page = root.get("/console/admin/audit?run=1");
    assert_eq!(page.status, 200);
    page.assert_contains("data-audit=\"ok\"");
    page.assert_contains("زنجیرهٔ ممیزی سالم است");
    let v = app.verify_audit();
    assert!(page.body.contains(&format!("همهٔ <span class=\"n\">{}</span> رویداد", v.events)), "the count");
}

#[test]
fn an_admin_cannot_disable_their_own_account_in_the_api_or_the_console() {
    let app = TestApp::spawn();
    desk(&app);
    let token = app.login("root", PASSWORD);
    let admins: Value = app.get("/api/v1/users?role=admin", Some(&token)).json().unwrap();
    let me = admins["items"].as_array().unwrap().iter().find(|u| u["username"] == "root").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The use case refuses it, for the API and the console alike.
    let res = app.patch_json(&format!("/api/v1/users/{me}"), Some(&token), &json!({"active": false}));
    assert_eq!(res.status(), 409);
    let root = Browser::signed_in(&app, "root");
    let page = root.get(&format!("/console/admin/users/{me}"));
    page.assert_contains("حساب خودتان را نمی‌توانید غیرفعال کنید");
    let csrf = page.csrf();
    let res = root.post(&format!("/console/admin/users/{me}"), &[("csrf", &csrf), ("display_name", "مدیر")]);
    assert_eq!(res.status, 409, "{}", res.body);
    res.assert_contains("cannot disable their own account");
    // Another user is disabled, and their sessions end at once.
    let ana = Browser::signed_in(&app, "ana");
    let users: Value = app.get("/api/v1/users?role=reviewer", Some(&token)).json().unwrap();
    let ana_id = users["items"].as_array().unwrap().iter().find(|u| u["username"] == "ana").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res =
        root.post(&format!("/console/admin/users/{ana_id}"), &[("csrf", &csrf), ("display_name", "آنا")]);
    assert_eq!(res.status, 303, "{}", res.body);
    let u: Value = app.get(&format!("/api/v1/users/{ana_id}"), Some(&token)).json().unwrap();
    assert_eq!((u["active"].as_bool(), u["display_name"].as_str()), (Some(false), Some("آنا")));
    assert!(ana.get("/console/queue").location().starts_with("/console/login"), "ana's session ended");
}
