//! What the console's tests share: a browser-like HTTP client (cookies kept, redirects not
//! followed, so every 303 can be checked), and an office whose claims all wait for a reviewer.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;

use asnad::auth::Role;
use asnad::services::users::{create_user_on, NewUser};
use reqwest::blocking::Client;
use reqwest::header::{HeaderMap, SET_COOKIE};
use serde_json::{json, Value};

use crate::fixtures::{Office, Provider, World};
use crate::helpers::{Scope, TestApp, PASSWORD};

/// One answer, read whole.
pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn header(&self, name: &str) -> String {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
    }

    pub fn location(&self) -> String {
        self.header("location")
    }

    /// Every `Set-Cookie` of the answer.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers.get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).map(String::from).collect()
    }

    /// The `Set-Cookie` that sets `name`.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.set_cookies().into_iter().find(|c| c.starts_with(&format!("{name}=")))
    }

    /// The value of the first `<input name="csrf">` of the page.
    pub fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("no csrf field in {}", self.body));
        let rest = &self.body[at + "name=\"csrf\" value=\"".len()..];
        rest[..rest.find('"').expect("end of value")].to_string()
    }

    pub fn assert_contains(&self, text: &str) {
        assert!(self.body.contains(text), "{text:?} not in the page ({}):\n{}", self.status, self.body);
    }
}

/// A browser as far as HTTP goes: keeps cookies, never follows redirects by itself.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    client: Client,
    cookies: RefCell<BTreeMap<String, String>>,
    /// Extra headers on every request (`X-Forwarded-Proto`, …).
    pub extra: Vec<(&'static str, String)>,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        let client = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        Browser { app, client, cookies: RefCell::new(BTreeMap::new()), extra: Vec::new() }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.borrow().get(name).cloned()
    }

    pub fn set_cookie_value(&self, name: &str, value: &str) {
        self.cookies.borrow_mut().insert(name.into(), value.into());
    }

    fn send(&self, rb: reqwest::blocking::RequestBuilder) -> Page {
        let mut rb = rb;
        let jar =
            self.cookies.borrow().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        if !jar.is_empty() {
            rb = rb.header("cookie", jar);
        }
        for (k, v) in &self.extra {
            rb = rb.header(*k, v);
        }
        let res = rb.send().expect("request");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = res.text().unwrap_or_default();
        let page = Page { status, headers, body };
        for c in page.set_cookies() {
            let first = c.split(';').next().unwrap_or("");
            let (name, value) = first.split_once('=').unwrap_or((first, ""));
            if value.is_empty() || c.contains("Max-Age=0") {
                self.cookies.borrow_mut().remove(name);
            } else {
                self.cookies.borrow_mut().insert(name.to_string(), value.to_string());
            }
        }
        page
    }

    pub fn get(&self, path: &str) -> Page {
        self.send(self.client.get(format!("{}{}", self.app.base, path)))
    }

    pub fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send(self.client.post(format!("{}{}", self.app.base, path)).form(form))
    }

    /// Opens the login page and sends the form; returns the answer to the POST.
    pub fn login(&self, username: &str, password: &str) -> Page {
        let form = self.get("/console/login");
        assert_eq!(form.status, 200, "{}", form.body);
        let csrf = form.csrf();
        self.post("/console/login", &[("username", username), ("password", password), ("csrf", &csrf)])
    }

    /// Logs in and expects to be signed in.
    pub fn signed_in(app: &'a TestApp, username: &str) -> Browser<'a> {
        let b = Browser::new(app);
        let res = b.login(username, PASSWORD);
        assert_eq!(res.status, 303, "login of {username}: {}", res.body);
        assert!(b.cookie("asnad_session").is_some());
        b
    }
}

/// A user whose password is a one-time one (must be changed at first login).
pub fn create_user_with_one_time_password(app: &TestApp, username: &str, role: Role, scope: Scope) -> String {
    let _audit = app.audit_scope();
    let mut conn = app.pool.get().expect("conn");
    create_user_on(
        &mut conn,
        &asnad::store::audit::Actor::system(),
        NewUser {
            username: username.into(),
            display_name: username.into(),
            email: None,
            role,
            provider_id: scope.provider_id.map(Into::into),
            office_id: scope.office_id.map(Into::into),
            insured_id: scope.insured_id.map(Into::into),
            province_id: scope.province_id,
            password: Some(PASSWORD.into()),
            must_change_password: true,
        },
    )
    .expect("create user")
    .user
    .id
    .into_string()
}

/// An office whose auto-approval limit is 1 rial, so every claim waits for a reviewer.
pub fn pending_office(world: &World<'_>, code: &str) -> Office {
    let office = world.office(code);
    let res = world.app.put_json(
        &format!("/api/v1/offices/{}", office.id),
        Some(&world.admin),
        &json!({"province_id": office.province_id, "code": code, "name_fa": "دفتر رسیدگی غرب تهران",
                "name_en": "Office", "auto_approve_limit": 1}),
    );
    assert_eq!(res.status(), 200, "{:?}", res.text());
    office
}

/// A hospital of `office` with a contract that allows gap billing, named in Persian.
pub fn hospital(world: &World<'_>, office: &Office, name_fa: &str) -> Provider {
    world.hospital(office).with("name_fa", json!(name_fa)).terms(json!({"may_bill_gap": true})).contracted()
}

/// A visit, a drug and an unknown service for `insured` on `date` (Jalali), billed as given:
/// the engine recognises part of the visit and deducts the unknown service.
pub fn document(no: &str, insured: &str, date: &str, visit_billed: i64) -> Value {
    json!({
        "provider_document_no": no, "setting": "outpatient", "kind": "visit",
        "insured_national_code": insured, "physician_council_no": "12345", "diagnoses": ["J06.9"],
        "lines": [
            {"line_no": 1, "item_type": "visit", "code": "specialist", "quantity": "1", "service_date": date, "billed_amount": visit_billed},
            {"line_no": 2, "item_type": "drug", "code": "10010", "quantity": "40", "service_date": date, "billed_amount": 1000000},
            {"line_no": 3, "item_type": "service", "code": "999999", "quantity": "1", "service_date": date, "billed_amount": 100000}
        ]
    })
}

/// Sends a claim and returns its id (it must be pended).
pub fn pended_claim(app: &TestApp, provider: &Provider, body: &Value) -> String {
    let res = app.post_json("/api/v1/claims", Some(&provider.key), body);
    let status = res.status().as_u16();
    let c: Value = res.json().expect("claim json");
    assert!(status == 201 || status == 200, "{status} {c}");
    assert_eq!(c["status"], "pended", "{c}");
    c["id"].as_str().expect("id").to_string()
}

/// Moves a claim's receipt back by `days` (the queue's age counts from it).
pub fn age_claim(app: &TestApp, id: &str, days: i64) {
    use asnad::db::schema::claims;
    use diesel::prelude::*;
    let mut conn = app.pool.get().expect("conn");
    let at: chrono::NaiveDateTime =
        claims::table.find(id).select(claims::created_at).first(&mut conn).expect("claim");
    diesel::update(claims::table.find(id))
        .set(claims::created_at.eq(at - chrono::Duration::days(days)))
        .execute(&mut conn)
        .expect("age claim");
}

/// Office A with two hospitals and an insured person, a reviewer of A and a reviewer of
/// another office B; returns (office A, hospitals, reviewer A's name, reviewer B's name).
pub struct Scene {
    pub office: Office,
    pub hospitals: Vec<Provider>,
    pub insured: String,
}

pub fn scene(app: &TestApp) -> Scene {
    let world = app.world();
    let office = pending_office(&world, "THR-W");
    let hospitals = vec![
        hospital(&world, &office, "بیمارستان خصوصی سپیدار"),
        hospital(&world, &office, "درمانگاه تخصصی نیلوفر"),
    ];
    let insured = "0012345679".to_string();
    world.insured(&insured).create();
    app.create_user("ana", Role::Reviewer, Scope::office(&office.id));
    let other = world.office("THR-E");
    app.create_user("bahram", Role::Reviewer, Scope::office(&other.id));
    Scene { office, hospitals, insured }
}

/// The stand-in scan of the tests: a ruled form with a stamp (PNG).
pub const SCAN_PNG: &[u8] = include_bytes!("scan.png");

/// Attaches `bytes` to a claim as its provider's system does (API upload); returns its id.
pub fn attach(app: &TestApp, provider: &Provider, claim: &str, document_type: &str, bytes: &[u8]) -> String {
    use reqwest::blocking::multipart::{Form, Part};
    let form = Form::new()
        .text("document_type", document_type.to_string())
        .part("file", Part::bytes(bytes.to_vec()).file_name("scan"));
    let res = app
        .request(reqwest::Method::POST, &format!("/api/v1/claims/{claim}/attachments"), Some(&provider.key))
        .multipart(form)
        .send()
        .expect("upload");
    assert_eq!(res.status().as_u16(), 201);
    let v: Value = res.json().expect("attachment json");
    v["id"].as_str().expect("id").to_string()
}

/// The Jalali day the console shows for "now" under the tests' clock: the fixed day
/// (2024-10-10, 1403/07/19) with the real time of day, in Tehran — after 20:30 UTC that is
/// already the next day, so a page's "created today" is never a constant.
pub fn shown_today() -> String {
    let now = chrono::Utc::now().naive_utc();
    let at = chrono::NaiveDate::from_ymd_opt(2024, 10, 10).expect("date").and_time(now.time());
    asnad::console::format::Day::of_instant(at).jalali
}
