//! Typed fixtures: the records a test needs, made through the API the way an office makes them,
//! returned as handles that name what they are (crates.io's `TestApp::init().with_user()` is the
//! model).
//!
//! ```ignore
//! let app = TestApp::spawn();
//! let world = app.world();                       // an administrator's token
//! let office = world.office("THR-1");
//! let hospital = world.hospital(&office).sector("private").terms(json!({"may_bill_gap": true})).contracted();
//! let ali = world.insured("0012345679").create();
//! let res = app.post_json("/api/v1/claims", Some(&hospital.key), &claims::document("H-1"));
//! ```
//!
//! Each builder has the defaults most tests want (a grade-2 private hospital in Tehran with a
//! contract for 1403 activated on 1 Farvardin, an insured man covered 1400–1403), so a test
//! spells out only what it is about.

use std::cell::Cell;

use asnad::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{Scope, TestApp};

/// An administrator's view of the app under test, from which fixtures are made.
pub struct World<'a> {
    pub app: &'a TestApp,
    /// The administrator's bearer token.
    pub admin: String,
    /// Numbers handed out for identifiers that must be unique (legal ids, contract numbers).
    next: Cell<u32>,
}

/// A review office (دفتر رسیدگی).
#[derive(Clone, Debug)]
pub struct Office {
    pub id: String,
    pub code: String,
    pub province_id: i64,
}

/// A provider (مرکز درمانی طرف قرارداد) with, when contracted, its contract and a provider
/// system's API key.
#[derive(Clone, Debug)]
pub struct Provider {
    pub id: String,
    /// The active contract (`contracted()`), if any.
    pub contract_id: Option<String>,
    /// An API key of the provider's system (`contracted()`), to send claims with.
    pub key: String,
}

/// An insured person (بیمه‌شده).
#[derive(Clone, Debug)]
pub struct Insured {
    pub national_code: String,
}

impl TestApp {
    /// A fixture builder acting as a fresh administrator (`root`).
    pub fn world(&self) -> World<'_> {
        World::new(self, self.admin_token())
    }
}

impl<'a> World<'a> {
    /// A builder acting with an administrator token the test already has.
    pub fn new(app: &'a TestApp, admin: String) -> Self {
        World { app, admin, next: Cell::new(1) }
    }

    fn serial(&self) -> u32 {
        let n = self.next.get();
        self.next.set(n + 1);
        n
    }

    fn post(&self, path: &str, body: &Value, what: &str) -> Value {
        let res = self.app.post_json(path, Some(&self.admin), body);
        let status = res.status().as_u16();
        let body: Value = res.json().unwrap_or(Value::Null);
        assert!(status == 200 || status == 201, "{what}: {status} {body}");
        body
    }

    /// A review office in Tehran province (1).
    pub fn office(&self, code: &str) -> Office {
        self.office_in(code, 1)
    }

    /// A review office in `province_id`.
    pub fn office_in(&self, code: &str, province_id: i64) -> Office {
        let o = self.post(
            "/api/v1/offices",
            &json!({"province_id": province_id, "code": code, "name_fa": "دفتر", "name_en": "Office"}),
            "create office",
        );
        Office { id: o["id"].as_str().expect("office id").to_string(), code: code.to_string(), province_id }
    }

    /// A hospital reviewed by `office` (grade 2, private, with a SHEBA).
    pub fn hospital(&self, office: &Office) -> ProviderBuilder<'_, 'a> {
        ProviderBuilder {
            world: self,
            office: office.clone(),
            body: json!({"name_fa": "بیمارستان", "kind": "hospital", "sector": "private", "hospital_grade": 2,
                         "province_id": office.province_id, "office_id": office.id,
                         "sheba": "IR820540102680020817909002"}),
            terms: json!({}),
            system_user: None,
        }
    }

    /// An insured person with `national_code` (a valid one), male, born 1980, mandatory
    /// insurance covered 1400-01-01 … 1403-12-30.
    pub fn insured(&self, national_code: &str) -> InsuredBuilder<'_, 'a> {
        InsuredBuilder {
            world: self,
            body: json!({"national_code": national_code, "insurance_no": "12345678", "first_name": "علی",
                         "last_name": "کریمی", "sex": "male", "birth_date": "1980-01-01",
                         "insurance_type": "mandatory", "coverage": [{"from": "1400-01-01", "to": "1403-12-30"}]}),
        }
    }
}

/// A provider on its way to being created; `create()` registers it, `contracted()` also gives it
/// an active contract and an API key.
pub struct ProviderBuilder<'w, 'a> {
    world: &'w World<'a>,
    office: Office,
    body: Value,
    terms: Value,
    system_user: Option<String>,
}

impl ProviderBuilder<'_, '_> {
    /// `private`, `public`, `charity`…
    pub fn sector(mut self, sector: &str) -> Self {
        self.body["sector"] = json!(sector);
        self
    }

    /// The legal national id (شناسه ملی); by default a fresh one.
    pub fn legal_id(mut self, legal_id: &str) -> Self {
        self.body["legal_national_id"] = json!(legal_id);
        self
    }

    /// Any other field of the provider body.
    pub fn with(mut self, field: &str, value: Value) -> Self {
        self.body[field] = value;
        self
    }

    /// The contract's terms (`may_bill_gap`, discounts, caps…).
    pub fn terms(mut self, terms: Value) -> Self {
        self.terms = terms;
        self
    }

    /// The username of the provider's system user (default `his-<office code>-<n>`).
    pub fn system_user(mut self, username: &str) -> Self {
        self.system_user = Some(username.into());
        self
    }

    /// Registers the provider only: no contract, no key.
    pub fn create(mut self) -> Provider {
        let n = self.world.serial();
        if self.body.get("legal_national_id").is_none() {
            // 11 digits, unique within the test's database.
            self.body["legal_national_id"] = json!(format!("2020202{n:04}"));
        }
        let p = self.world.post("/api/v1/providers", &self.body, "create provider");
        Provider {
            id: p["id"].as_str().unwrap_or_else(|| panic!("provider id in {p}")).to_string(),
            contract_id: None,
            key: String::new(),
        }
    }

    /// Registers the provider, gives it a contract activated on its first day, and a system
    /// user with an API key.
    pub fn contracted(self) -> Provider {
        let world = self.world;
        let terms = self.terms.clone();
        let (from, to) = ("1403-01-01", "1403-12-30");
        let username = self.system_user.clone();
        let office_code = self.office.code.clone();
        let mut provider = self.create();
        let n = world.serial();
        let c = world.post(
            &format!("/api/v1/providers/{}/contracts", provider.id),
            &json!({"number": format!("C-{office_code}-{n}"), "valid_from": from, "valid_to": to, "terms": terms}),
            "create contract",
        );
        let contract_id = c["id"].as_str().expect("contract id").to_string();
        world.post(
            &format!("/api/v1/contracts/{contract_id}/status"),
            &json!({"action": "activate", "effective_on": from}),
            "activate contract",
        );
        let username = username.unwrap_or_else(|| format!("his-{office_code}-{n}"));
        let user = world.app.create_user(&username, Role::Provider, Scope::provider(&provider.id));
        let key = world.post("/api/v1/api-keys", &json!({"user_id": user, "name": "HIS"}), "create API key");
        provider.contract_id = Some(contract_id);
        provider.key = key["key"].as_str().expect("API key").to_string();
        provider
    }
}

/// An insured person on their way to being registered.
pub struct InsuredBuilder<'w, 'a> {
    world: &'w World<'a>,
    body: Value,
}

impl InsuredBuilder<'_, '_> {
    pub fn create(self) -> Insured {
        let national_code = self.body["national_code"].as_str().expect("national code").to_string();
        self.world.post("/api/v1/insured", &self.body, "create insured person");
        Insured { national_code }
    }
}
