//! The administrator's screens (مدیریت سامانه): review offices, providers, users and their
//! one-time passwords, API keys (shown once), tariffs (the tariff administrator's) and the
//! audit trail's verification. Contracts are `console::admin_contracts`.
//!
//! Every handler admits the API's role set for the same data — `Admins` for offices,
//! providers, users, keys and the audit; `TariffAdmins` (tariff administrator and admin) to
//! import a tariff; any staff role reads the tariff list, as the API's `GET /api/v1/tariffs` —
//! checks the CSRF token of a POST first, and calls the use case the API calls. A form is read
//! into the API's own request body (`OfficeBody`, `ProviderBody`, `CreateUser`…) and validated
//! as the API validates it, so the console accepts exactly what the API accepts.

use std::collections::HashMap;

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use futures_util::TryStreamExt;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};
use validator::Validate;

use crate::api::tariffs::TariffAdmins;
use crate::auth::{Role, RoleSet};
use crate::console::admin_contracts::{admin, refusal, rows as contract_rows, ContractRowView, Refusal};
use crate::console::format::{Day, Rials};
use crate::console::listing::{href, Choice};
use crate::console::session::{Session, Signed};
use crate::console::{field, render, see_other, ConsoleError, Layout, Pairs};
use crate::context::ServiceContext;
use crate::domain::provider::ProviderKind;
use crate::domain::record_ids::{ProviderId, UserId};
use crate::domain::tariff::FILES;
use crate::domain::text::normalize_persian;
use crate::error::AppError;
use crate::services;
use crate::store::audit::{Actor, BreakKind};
use crate::store::offices::{OfficeFilter, OfficeRow, ProvinceRow};
use crate::store::providers::{ProviderFilter, ProviderRow};
use crate::store::users::UserFilter;

/// A text field of a form as the API's JSON: absent when empty (the API's optional fields).
fn text(m: &mut Map<String, Value>, pairs: &[(String, String)], name: &str) {
    let v = field(pairs, name);
    if !v.is_empty() {
        m.insert(name.into(), Value::String(v.into()));
    }
}

/// A number field: a number when it reads as one, else the text (the API's parser names it).
fn number(m: &mut Map<String, Value>, pairs: &[(String, String)], name: &str) {
    let v = field(pairs, name).replace(',', "");
    if !v.is_empty() {
        m.insert(name.into(), v.parse::<i64>().map(Value::from).unwrap_or(Value::String(v)));
    }
}

/// The form as the API's request body, parsed and validated as the API does.
fn body<T: DeserializeOwned + Validate>(m: Map<String, Value>) -> Result<T, AppError> {
    let bytes = serde_json::to_vec(&Value::Object(m)).map_err(AppError::internal)?;
    let value = crate::input::parse_json::<T>(&bytes)?;
    value.validate()?;
    Ok(value)
}

fn error_for<'a>(errors: &'a [(String, String)], name: &str) -> Option<&'a str> {
    errors.iter().find(|(f, _)| f == name).map(|(_, m)| m.as_str())
}

/// A text field of a form: its name, label, value as typed or stored, and the use case's error.
pub struct Input {
    pub name: &'static str,
    pub label: &'static str,
    pub value: String,
    pub ltr: bool,
    pub error: Option<String>,
}

/// A select of a form.
pub struct Select {
    pub name: &'static str,
    pub label: &'static str,
    pub choices: Vec<Choice>,
    pub error: Option<String>,
}

/// The inputs `(name, label, ltr)` with their values from `value` and errors from `errors`.
fn inputs(
    fields: &[(&'static str, &'static str, bool)],
    value: impl Fn(&str) -> String,
    errors: &[(String, String)],
) -> Vec<Input> {
    fields
        .iter()
        .map(|(name, label, ltr)| Input {
            name,
            label,
            value: value(name),
            ltr: *ltr,
            error: error_for(errors, name).map(String::from),
        })
        .collect()
}

fn province_choices(provinces: &[ProvinceRow], selected: &str) -> Vec<Choice> {
    provinces
        .iter()
        .map(|p| Choice {
            value: p.id.to_string(),
            label: p.name_fa.clone(),
            selected: p.id.to_string() == selected,
        })
        .collect()
}

fn province_name(provinces: &[ProvinceRow], id: i32) -> String {
    provinces.iter().find(|p| p.id == id).map(|p| p.name_fa.clone()).unwrap_or_else(|| id.to_string())
}

/// A form as typed, with the fields the use case named and its detail.
type Typed<'a> = (&'a [(String, String)], Vec<(String, String)>, String);

/// Every office (there are a few per province: one page of the API's list holds them all).
async fn all_offices(state: &ServiceContext) -> Result<Vec<OfficeRow>, AppError> {
    services::offices::list(state, OfficeFilter { province_id: None, active: None, after: None, limit: 500 })
        .await
}

// ---------------------------------------------------------------------------------------------
// Offices (دفاتر رسیدگی).

pub struct OfficeItem {
    pub id: String,
    pub code: String,
    pub name: String,
    pub province: String,
    pub active: bool,
    pub limit: Option<Rials>,
    pub phone: String,
}

/// The office form as typed (or as stored, to edit).
#[derive(Default)]
pub struct OfficeForm {
    pub code: String,
    pub name_fa: String,
    pub name_en: String,
    pub address: String,
    pub phone: String,
    pub email: String,
    pub active: bool,
    pub auto_approve_limit: String,
}

impl OfficeForm {
    fn typed(p: &[(String, String)]) -> OfficeForm {
        OfficeForm {
            code: field(p, "code").into(),
            name_fa: field(p, "name_fa").into(),
            name_en: field(p, "name_en").into(),
            address: field(p, "address").into(),
            phone: field(p, "phone").into(),
            email: field(p, "email").into(),
            active: !field(p, "active").is_empty(),
            auto_approve_limit: field(p, "auto_approve_limit").into(),
        }
    }
    fn of(o: &OfficeRow) -> OfficeForm {
        OfficeForm {
            code: o.code.clone(),
            name_fa: o.name_fa.clone(),
            name_en: o.name_en.clone(),
            address: o.address.clone().unwrap_or_default(),
            phone: o.phone.clone().unwrap_or_default(),
            email: o.email.clone().unwrap_or_default(),
            active: o.active,
            auto_approve_limit: o.auto_approve_limit.map(|n| n.to_string()).unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "console/admin_offices.html")]
pub struct OfficesPage {
    pub layout: Layout,
    pub rows: Vec<OfficeItem>,
    pub filter: Vec<Choice>,
    pub province: String,
    /// The form: a new office, or the one being edited (`editing`).
    pub editing: Option<String>,
    pub form: OfficeForm,
    pub inputs: Vec<Input>,
    pub provinces: Vec<Choice>,
    pub errors: Vec<(String, String)>,
    pub problem: Option<String>,
    pub notice: Option<&'static str>,
}

impl OfficesPage {
    pub fn error_for(&self, name: &str) -> Option<&str> {
        error_for(&self.errors, name)
    }
}

#[derive(Deserialize, Default)]
pub struct OfficesQuery {
    #[serde(default)]
    pub province: String,
    #[serde(default)]
    pub done: String,
}

async fn offices_page(
    state: &ServiceContext,
    s: &Session,
    q: &OfficesQuery,
    editing: Option<&OfficeRow>,
    typed: Option<Typed<'_>>,
) -> Result<OfficesPage, ConsoleError> {
    let provinces = services::offices::provinces(state).await?;
    let province_filter = q.province.trim().parse::<i32>().ok();
    let mut offices = all_offices(state).await?;
    offices.retain(|o| province_filter.is_none_or(|p| o.province_id == p));
    offices.sort_by(|a, b| (a.province_id, &a.code).cmp(&(b.province_id, &b.code)));
    let (form, selected, errors, problem) = match (typed, editing) {
        (Some((p, errors, detail)), _) => {
            (OfficeForm::typed(p), field(p, "province_id").to_string(), errors, Some(detail))
        }
        (None, Some(o)) => (OfficeForm::of(o), o.province_id.to_string(), Vec::new(), None),
        (None, None) => (OfficeForm { active: true, ..Default::default() }, String::new(), Vec::new(), None),
    };
    Ok(OfficesPage {
        layout: Layout::signed(
            if editing.is_some() { "ویرایش دفتر" } else { "دفاتر رسیدگی" },
            s,
            "admin_offices",
        ),
        rows: offices
            .iter()
            .map(|o| OfficeItem {
                id: o.id.to_string(),
                code: o.code.clone(),
                name: o.name_fa.clone(),
                province: province_name(&provinces, o.province_id),
                active: o.active,
                limit: o.auto_approve_limit.map(Rials),
                phone: o.phone.clone().unwrap_or_default(),
            })
            .collect(),
        filter: province_choices(&provinces, q.province.trim()),
        province: q.province.trim().to_string(),
        editing: editing.map(|o| o.id.to_string()),
        inputs: inputs(
            &[
                ("code", "کد دفتر", true),
                ("name_fa", "نام فارسی", false),
                ("name_en", "نام لاتین", true),
                ("phone", "تلفن", true),
                ("email", "رایانامه", true),
                ("address", "نشانی", false),
                ("auto_approve_limit", "سقف تأیید خودکار (ریال)", true),
            ],
            |n| match n {
                "code" => form.code.clone(),
                "name_fa" => form.name_fa.clone(),
                "name_en" => form.name_en.clone(),
                "phone" => form.phone.clone(),
                "email" => form.email.clone(),
                "address" => form.address.clone(),
                _ => form.auto_approve_limit.clone(),
            },
            &errors,
        ),
        form,
        provinces: province_choices(&provinces, &selected),
        errors,
        problem,
        notice: match q.done.as_str() {
            "created" => Some("دفتر ثبت شد."),
            "updated" => Some("تغییرات دفتر ذخیره شد."),
            _ => None,
        },
    })
}

fn office_body(p: &[(String, String)]) -> Result<crate::api::offices::OfficeBody, AppError> {
    let mut m = Map::new();
    number(&mut m, p, "province_id");
    for name in ["code", "name_fa", "name_en", "address", "phone", "email"] {
        text(&mut m, p, name);
    }
    m.insert("active".into(), Value::Bool(!field(p, "active").is_empty()));
    number(&mut m, p, "auto_approve_limit");
    body(m)
}

/// `GET /console/admin/offices?province=`: the offices with the new-office form.
pub async fn offices(
    state: web::Data<ServiceContext>,
    signed: Signed,
    q: web::Query<OfficesQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    admin(&s)?;
    render(StatusCode::OK, &offices_page(&state, &s, &q, None, None).await?)
}

/// `GET /console/admin/offices/{id}`: the list with this office's form.
pub async fn office(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    q: web::Query<OfficesQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    admin(&s)?;
    let o = services::offices::get(&state, id.into_inner().into()).await?;
    render(StatusCode::OK, &offices_page(&state, &s, &q, Some(&o), None).await?)
}

/// `POST /console/admin/offices`: `services::offices::create`.
pub async fn create_office(
    state: web::Data<ServiceContext>,
    signed: Signed,
    form: Pairs,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    s.verify_csrf(field(&form, "csrf"))?;
    admin(&s)?;
    let result = match office_body(&form) {
        Ok(b) => services::offices::create(&state, Actor::of(&s.caller), b.into()).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(see_other("/console/admin/offices?done=created")),
        Err(e) => {
            let Refusal { errors, detail, status } = refusal(e)?;
            let page =
                offices_page(&state, &s, &OfficesQuery::default(), None, Some((&form, errors, detail)))
                    .await?;
            render(status, &page)
        }
    }
}

/// `POST /console/admin/offices/{id}`: `services::offices::update` (deactivating is unticking
/// «فعال», as the API's PUT with `active: false`).
pub async fn update_office(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    form: Pairs,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    s.verify_csrf(field(&form, "csrf"))?;
    admin(&s)?;
    let o = services::offices::get(&state, id.into_inner().into()).await?;
    let result = match office_body(&form) {
        Ok(b) => services::offices::update(&state, Actor::of(&s.caller), o.id.clone(), b.into()).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(see_other("/console/admin/offices?done=updated")),
        Err(e) => {
            let Refusal { errors, detail, status } = refusal(e)?;
            let page =
                offices_page(&state, &s, &OfficesQuery::default(), Some(&o), Some((&form, errors, detail)))
                    .await?;
            render(status, &page)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Providers (مراکز درمانی).

pub struct ProviderItem {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub sector: &'static str,
    pub province: String,
    pub office: String,
    pub identifier: String,
    pub active: bool,
}

#[derive(Deserialize, Default)]
pub struct ProvidersQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub province: String,
    #[serde(default)]
    pub office: String,
    #[serde(default)]
    pub kind: String,
    /// The API's cursor: the last id of the previous page.
    #[serde(default)]
    pub after: String,
    #[serde(default)]
    pub per: String,
}

#[derive(Template)]
#[template(path = "console/admin_providers.html")]
pub struct ProvidersPage {
    pub layout: Layout,
    pub rows: Vec<ProviderItem>,
    pub q: String,
    pub provinces: Vec<Choice>,
    pub offices: Vec<Choice>,
    pub kinds: Vec<Choice>,
    pub filtered: bool,
    pub next: Option<String>,
    pub first: Option<String>,
    pub per: i64,
}

fn kind_fa(k: &str) -> &'static str {
    ProviderKind::parse(k).map(ProviderKind::name_fa).unwrap_or("")
}

fn sector_fa(s: &str) -> &'static str {
    crate::domain::tariff::Sector::parse(s).map(|x| x.name_fa()).unwrap_or("")
}

/// `GET /console/admin/providers?q=&province=&office=&kind=&after=&per=`: the API's list
/// (`services::providers::list`) with its filters, a page at a time by the API's cursor.
pub async fn providers(
    state: web::Data<ServiceContext>,
    signed: Signed,
    q: web::Query<ProvidersQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    admin(&s)?;
    let q = q.into_inner();
    let per = q.per.trim().parse::<i64>().ok().filter(|p| (1..=500).contains(p)).unwrap_or(50);
    let provinces = services::offices::provinces(&state).await?;
    let offices = all_offices(&state).await?;
    let rows = services::providers::list(
        &state,
        s.caller.clone(),
        ProviderFilter {
            office_id: Some(q.office.trim()).filter(|o| !o.is_empty()).map(|o| o.to_string().into()),
            province_id: q.province.trim().parse().ok(),
            kind: Some(q.kind.trim().to_string()).filter(|k| !k.is_empty()),
            q: Some(normalize_persian(q.q.trim())).filter(|t| !t.is_empty()),
            after: Some(q.after.trim().to_string()).filter(|a| !a.is_empty()),
            limit: per + 1,
            scope: Default::default(),
        },
    )
    .await?;
    let more = rows.len() as i64 > per;
    let rows: Vec<ProviderRow> = rows.into_iter().take(per as usize).collect();
    let pairs = || {
        vec![
            ("q", q.q.clone()),
            ("province", q.province.clone()),
            ("office", q.office.clone()),
            ("kind", q.kind.clone()),
            ("per", q.per.clone()),
            ("after", q.after.clone()),
        ]
    };
    let next = (more)
        .then(|| {
            rows.last().map(|r| href("/console/admin/providers", pairs(), &[("after", r.id.to_string())]))
        })
        .flatten();
    let first = (!q.after.trim().is_empty())
        .then(|| href("/console/admin/providers", pairs(), &[("after", String::new())]));
    let page = ProvidersPage {
        layout: Layout::signed("مراکز درمانی", &s, "admin_providers"),
        rows: rows
            .iter()
            .map(|p| ProviderItem {
                id: p.id.to_string(),
                name: p.name_fa.clone(),
                kind: kind_fa(&p.kind),
                sector: sector_fa(&p.sector),
                province: province_name(&provinces, p.province_id),
                office: offices
                    .iter()
                    .find(|o| o.id == p.office_id)
                    .map(|o| o.name_fa.clone())
                    .unwrap_or_default(),
                identifier: p.legal_national_id.clone().or(p.medical_council_no.clone()).unwrap_or_default(),
                active: p.active,
            })
            .collect(),
        q: q.q.clone(),
        provinces: province_choices(&provinces, q.province.trim()),
        offices: offices
            .iter()
            .map(|o| Choice {
                value: o.id.to_string(),
                label: o.name_fa.clone(),
                selected: o.id.as_str() == q.office.trim(),
            })
            .collect(),
        kinds: ProviderKind::ALL
            .into_iter()
            .map(|k| Choice {
                value: k.as_str().into(),
                label: k.name_fa().into(),
                selected: k.as_str() == q.kind.trim(),
            })
            .collect(),
        filtered: [&q.q, &q.province, &q.office, &q.kind].iter().any(|v| !v.trim().is_empty()),
        next,
        first,
        per,
    };
    render(StatusCode::OK, &page)
}

/// The provider form as typed or stored.
#[derive(Default)]
pub struct ProviderForm {
    pub name_fa: String,
    pub name_en: String,
    pub kind: String,
    pub sector: String,
    pub hospital_grade: String,
    pub sso_owned: bool,
    pub province_id: String,
    pub office_id: String,
    pub legal_national_id: String,
    pub medical_council_no: String,
    pub physician_degree: String,
    pub sheba: String,
    pub email: String,
    pub phone: String,
    pub address: String,
    pub active: bool,
}

impl ProviderForm {
    fn typed(p: &[(String, String)]) -> ProviderForm {
        let f = |n: &str| field(p, n).to_string();
        ProviderForm {
            name_fa: f("name_fa"),
            name_en: f("name_en"),
            kind: f("kind"),
            sector: f("sector"),
            hospital_grade: f("hospital_grade"),
            sso_owned: !field(p, "sso_owned").is_empty(),
            province_id: f("province_id"),
            office_id: f("office_id"),
            legal_national_id: f("legal_national_id"),
            medical_council_no: f("medical_council_no"),
            physician_degree: f("physician_degree"),
            sheba: f("sheba"),
            email: f("email"),
            phone: f("phone"),
            address: f("address"),
            active: !field(p, "active").is_empty(),
        }
    }
    fn of(r: &ProviderRow) -> ProviderForm {
        ProviderForm {
            name_fa: r.name_fa.clone(),
            name_en: r.name_en.clone().unwrap_or_default(),
            kind: r.kind.clone(),
            sector: r.sector.clone(),
            hospital_grade: r.hospital_grade.map(|g| g.to_string()).unwrap_or_default(),
            sso_owned: r.sso_owned,
            province_id: r.province_id.to_string(),
            office_id: r.office_id.to_string(),
            legal_national_id: r.legal_national_id.clone().unwrap_or_default(),
            medical_council_no: r.medical_council_no.clone().unwrap_or_default(),
            physician_degree: r.physician_degree.clone().unwrap_or_default(),
            sheba: r.sheba.clone().unwrap_or_default(),
            email: r.email.clone().unwrap_or_default(),
            phone: r.phone.clone().unwrap_or_default(),
            address: r.address.clone().unwrap_or_default(),
            active: r.active,
        }
    }
}

#[derive(Template)]
#[template(path = "console/admin_provider.html")]
pub struct ProviderPage {
    pub layout: Layout,
    /// None: a new provider.
    pub id: Option<String>,
    pub title: String,
    pub active: bool,
    pub form: ProviderForm,
    pub selects: Vec<Select>,
    pub inputs: Vec<Input>,
    pub contracts: Vec<ContractRowView>,
    pub errors: Vec<(String, String)>,
    pub problem: Option<String>,
    pub notice: Option<&'static str>,
}

impl ProviderPage {
    pub fn error_for(&self, name: &str) -> Option<&str> {
        error_for(&self.errors, name)
    }
}

const DEGREES: [(&str, &str); 7] = [
    ("general", "پزشک عمومی"),
    ("specialist", "متخصص"),
    ("subspecialist", "فوق‌تخصص"),
    ("psychiatrist", "روان‌پزشک"),
    ("psychiatry_subspecialist", "فوق‌تخصص روان‌پزشکی"),
    ("msc", "کارشناس ارشد"),
    ("bsc", "کارشناس"),
];

async fn provider_page(
    state: &ServiceContext,
    s: &Session,
    stored: Option<&ProviderRow>,
    form: ProviderForm,
    refused: Option<(Vec<(String, String)>, String)>,
    notice: Option<&'static str>,
) -> Result<ProviderPage, ConsoleError> {
    let provinces = services::offices::provinces(state).await?;
    let offices = all_offices(state).await?;
    let contracts = match stored {
        Some(p) => contract_rows(
            services::providers::provider_contracts(state, s.caller.clone(), p.id.clone()).await?,
        ),
        None => Vec::new(),
    };
    let (errors, problem) = match refused {
        Some((e, d)) => (e, Some(d)),
        None => (Vec::new(), None),
    };
    let choose = |items: Vec<(String, String)>, selected: &str| -> Vec<Choice> {
        items.into_iter().map(|(value, label)| Choice { selected: value == selected, value, label }).collect()
    };
    Ok(ProviderPage {
        layout: Layout::signed(
            stored.map(|p| p.name_fa.clone()).unwrap_or("مرکز تازه".into()),
            s,
            "admin_providers",
        ),
        id: stored.map(|p| p.id.to_string()),
        title: stored.map(|p| p.name_fa.clone()).unwrap_or("مرکز درمانی تازه".into()),
        active: stored.is_none_or(|p| p.active),
        selects: [
            (
                "kind",
                "نوع مرکز",
                choose(
                    ProviderKind::ALL.iter().map(|k| (k.as_str().into(), k.name_fa().into())).collect(),
                    &form.kind,
                ),
            ),
            (
                "sector",
                "بخش",
                choose(
                    crate::domain::tariff::Sector::ALL
                        .iter()
                        .map(|k| (k.as_str().into(), k.name_fa().into()))
                        .collect(),
                    &form.sector,
                ),
            ),
            ("province_id", "استان", province_choices(&provinces, &form.province_id)),
            (
                "office_id",
                "دفتر رسیدگی",
                choose(
                    offices
                        .iter()
                        .map(|o| (o.id.to_string(), format!("{} ({})", o.name_fa, o.code)))
                        .collect(),
                    &form.office_id,
                ),
            ),
            (
                "physician_degree",
                "مدرک پزشک (مطب)",
                choose(
                    DEGREES.iter().map(|(v, l)| (v.to_string(), l.to_string())).collect(),
                    &form.physician_degree,
                ),
            ),
        ]
        .into_iter()
        .map(|(name, label, choices)| Select {
            name,
            label,
            choices,
            error: error_for(&errors, name).map(String::from),
        })
        .collect(),
        inputs: inputs(
            &[
                ("name_fa", "نام فارسی", false),
                ("name_en", "نام لاتین", true),
                ("hospital_grade", "درجهٔ بیمارستان (1 تا 4)", true),
                ("legal_national_id", "شناسهٔ ملی (11 رقم)", true),
                ("medical_council_no", "شمارهٔ نظام پزشکی", true),
                ("sheba", "شبا", true),
                ("phone", "تلفن", true),
                ("email", "رایانامه", true),
                ("address", "نشانی", false),
            ],
            |n| {
                match n {
                    "name_fa" => &form.name_fa,
                    "name_en" => &form.name_en,
                    "hospital_grade" => &form.hospital_grade,
                    "legal_national_id" => &form.legal_national_id,
                    "medical_council_no" => &form.medical_council_no,
                    "sheba" => &form.sheba,
                    "phone" => &form.phone,
                    "email" => &form.email,
                    _ => &form.address,
                }
                .clone()
            },
            &errors,
        ),
        form,
        contracts,
        errors,
        problem,
        notice,
    })
}

fn provider_body(p: &[(String, String)]) -> Result<crate::api::providers::ProviderBody, AppError> {
    let mut m = Map::new();
    for name in [
        "name_fa",
        "name_en",
        "kind",
        "sector",
        "office_id",
        "legal_national_id",
        "medical_council_no",
        "physician_degree",
        "sheba",
        "email",
        "phone",
        "address",
    ] {
        text(&mut m, p, name);
    }
    number(&mut m, p, "hospital_grade");
    number(&mut m, p, "province_id");
    m.insert("sso_owned".into(), Value::Bool(!field(p, "sso_owned").is_empty()));
    m.insert("active".into(), Value::Bool(!field(p, "active").is_empty()));
    body(m)
}

#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    pub done: String,
}

/// `GET /console/admin/providers/new`.
pub async fn new_provider(
    state: web::Data<ServiceContext>,
    signed: Signed,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    admin(&s)?;
    let form = ProviderForm { active: true, sector: "private".into(), ..Default::default() };
    render(StatusCode::OK, &provider_page(&state, &s, None, form, None, None).await?)
}

/// `GET /console/admin/providers/{id}`: the provider's details to edit, and its contracts.
pub async fn provider(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    q: web::Query<Done>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    admin(&s)?;
    let p = services::providers::get(&state, s.caller.clone(), id.into_inner().into()).await?;
    let notice = match q.done.as_str() {
        "created" => Some("مرکز ثبت شد. اکنون قرارداد آن را ثبت کنید."),
        "updated" => Some("تغییرات مرکز ذخیره شد."),
        "deactivated" => {
            Some("مرکز غیرفعال شد. مراکز هرگز حذف نمی‌شوند؛ قراردادها و اسناد به آن‌ها ارجاع دارند.")
        }
        _ => None,
    };
    render(StatusCode::OK, &provider_page(&state, &s, Some(&p), ProviderForm::of(&p), None, notice).await?)
}

/// `POST /console/admin/providers`: `services::providers::create`.
pub async fn create_provider(
    state: web::Data<ServiceContext>,
    signed: Signed,
    form: Pairs,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    s.verify_csrf(field(&form, "csrf"))?;
    admin(&s)?;
    let result = match provider_body(&form).and_then(|b| b.into_row(ProviderId::new())) {
        Ok(row) => services::providers::create(&state, Actor::of(&s.caller), row).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(p) => Ok(see_other(&format!("/console/admin/providers/{}?done=created", p.id))),
        Err(e) => {
            let Refusal { errors, detail, status } = refusal(e)?;
            render(
                status,
                &provider_page(&state, &s, None, ProviderForm::typed(&form), Some((errors, detail)), None)
                    .await?,
            )
        }
    }
}

/// `POST /console/admin/providers/{id}`: `services::providers::update` (the whole provider, as
/// the API's PUT).
pub async fn update_provider(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    form: Pairs,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    s.verify_csrf(field(&form, "csrf"))?;
    admin(&s)?;
    let p = services::providers::get(&state, s.caller.clone(), id.into_inner().into()).await?;
    let result = match provider_body(&form).and_then(|b| b.into_row(p.id.clone())) {
        Ok(row) => services::providers::update(&state, Actor::of(&s.caller), row).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(p) => Ok(see_other(&format!("/console/admin/providers/{}?done=updated", p.id))),
        Err(e) => {
            let Refusal { errors, detail, status } = refusal(e)?;
            render(
                status,
                &provider_page(
                    &state,
                    &s,
                    Some(&p),
                    ProviderForm::typed(&form),
                    Some((errors, detail)),
                    None,
                )
                .await?,
            )
        }
    }
}

/// `POST /console/admin/providers/{id}/deactivate`: `services::providers::deactivate` (the
/// API's DELETE; providers are never deleted).
pub async fn deactivate_provider(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    form: Pairs,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    s.verify_csrf(field(&form, "csrf"))?;
    admin(&s)?;
    let p = services::providers::get(&state, s.caller.clone(), id.into_inner().into()).await?;
    services::providers::deactivate(&state, Actor::of(&s.caller), p.id.clone()).await?;
    Ok(see_other(&format!("/console/admin/providers/{}?done=deactivated", p.id)))
}

// ---------------------------------------------------------------------------------------------
// Users (کاربران) and API keys (کلیدهای API).

pub struct UserItem {
    pub id: String,
    pub username: String,
    pub name: String,
    pub role: &'static str,
    pub scope: String,
    pub active: bool,
    pub locked: bool,
    pub must_change: bool,
    pub last_login: Option<Day>,
}

#[derive(Deserialize, Default)]
pub struct UsersQuery {
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub after: String,
    #[serde(default)]
    pub done: String,
}

#[derive(Template)]
#[template(path = "console/admin_users.html")]
pub struct UsersPage {
    pub layout: Layout,
    pub rows: Vec<UserItem>,
    pub roles: Vec<Choice>,
    pub filter_roles: Vec<Choice>,
    pub offices: Vec<Choice>,
    pub next: Option<String>,
    pub first: Option<String>,
    pub inputs: Vec<Input>,
    pub scope_inputs: Vec<Input>,
    pub errors: Vec<(String, String)>,
    pub problem: Option<String>,
}

impl UsersPage {
    pub fn error_for(&self, name: &str) -> Option<&str> {
        error_for(&self.errors, name)
    }
}

fn role_choices(selected: &str) -> Vec<Choice> {
    Role::ALL
        .into_iter()
        .map(|r| Choice {
            value: r.as_str().into(),
            label: r.name_fa().into(),
            selected: r.as_str() == selected,
        })
        .collect()
}

const USERS_PER_PAGE: i64 = 100;

async fn users_page(
    state: &ServiceContext,
    s: &Session,
    q: &UsersQuery,
    typed: Vec<(String, String)>,
    refused: Option<(Vec<(String, String)>, String)>,
) -> Result<UsersPage, ConsoleError> {
    let role = Role::parse(q.role.trim());
    let users = services::users::list(
        state,
        UserFilter {
            role: role.map(|r| r.as_str().to_string()),
            office_id: None,
            provider_id: None,
            after: Some(q.after.trim().to_string()).filter(|a| !a.is_empty()),
            limit: USERS_PER_PAGE + 1,
        },
    )
    .await?;
    let offices = all_offices(state).await?;
    let more = users.len() as i64 > USERS_PER_PAGE;
    let users: Vec<_> = users.into_iter().take(USERS_PER_PAGE as usize).collect();
    let pairs = || vec![("role", q.role.clone()), ("after", q.after.clone())];
    let now = crate::store::now();
    let (errors, problem) = match refused {
        Some((e, d)) => (e, Some(d)),
        None => (Vec::new(), None),
    };
    Ok(UsersPage {
        layout: Layout::signed("کاربران", s, "admin_users"),
        rows: users
            .iter()
            .map(|u| UserItem {
                id: u.id.to_string(),
                username: u.username.clone(),
                name: u.display_name.clone(),
                role: Role::parse(&u.role).map(Role::name_fa).unwrap_or(""),
                scope: u
                    .office_id
                    .as_ref()
                    .map(|o| {
                        offices
                            .iter()
                            .find(|x| &x.id == o)
                            .map(|x| x.name_fa.clone())
                            .unwrap_or(o.to_string())
                    })
                    .or(u.provider_id.as_ref().map(|p| format!("مرکز {p}")))
                    .or(u.insured_id.as_ref().map(|i| format!("بیمه‌شده {i}")))
                    .unwrap_or_default(),
                active: u.active,
                locked: u.locked_until.is_some_and(|t| t > now),
                must_change: u.must_change_password,
                last_login: u.last_login_at.map(Day::of_instant),
            })
            .collect(),
        roles: role_choices(field(&typed, "role")),
        filter_roles: role_choices(q.role.trim()),
        offices: offices
            .iter()
            .map(|o| Choice {
                value: o.id.to_string(),
                label: o.name_fa.clone(),
                selected: o.id.as_str() == field(&typed, "office_id"),
            })
            .collect(),
        next: more
            .then(|| {
                users.last().map(|u| href("/console/admin/users", pairs(), &[("after", u.id.to_string())]))
            })
            .flatten(),
        first: (!q.after.trim().is_empty())
            .then(|| href("/console/admin/users", pairs(), &[("after", String::new())])),
        inputs: inputs(
            &[
                ("username", "نام کاربری", true),
                ("display_name", "نام و نام خانوادگی", false),
                ("email", "رایانامه", true),
            ],
            |n| field(&typed, n).to_string(),
            &errors,
        ),
        scope_inputs: inputs(
            &[
                ("provider_id", "شناسهٔ مرکز (کاربر مرکز درمانی)", true),
                ("insured_id", "شناسهٔ بیمه‌شده (کاربر بیمه‌شده)", true),
            ],
            |n| field(&typed, n).to_string(),
            &errors,
        ),
        errors,
        problem,
    })
}

/// `GET /console/admin/users?role=&after=`: the users with the new-user form.
pub async fn users(
    state: web::Data<ServiceContext>,
    signed: Signed,
    q: web::Query<UsersQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    admin(&s)?;
    render(StatusCode::OK, &users_page(&state, &s, &q, Vec::new(), None).await?)
}

/// What is shown once: a one-time password or an API key, with who it is for.
#[derive(Template)]
#[template(path = "console/admin_secret.html")]
pub struct SecretPage {
    pub layout: Layout,
    pub heading: &'static str,
    pub what: &'static str,
    pub warning: &'static str,
    pub subject: String,
    pub secret: String,
    pub back: String,
    pub back_label: &'static str,
}

/// The words around a secret shown once: the page's heading, what the secret is, the warning
/// and where to go next.
pub struct Shown {
    pub heading: &'static str,
    pub what: &'static str,
    pub warning: &'static str,
    pub back_label: &'static str,
    /// The navigation entry to mark.
    pub nav: &'static str,
}

const NEW_USER: Shown = Shown {
    heading: "کاربر ساخته شد",
    what: "گذرواژهٔ یک‌بارمصرف",
    warning: "این گذرواژه فقط همین یک بار نشان داده می‌شود و جایی ذخیره نمی‌شود. آن را به‌طور امن به کاربر برسانید؛ کاربر در اولین ورود باید آن را عوض کند.",
    back_label: "صفحهٔ کاربر",
    nav: "admin_users",
};

const RESET: Shown = Shown {
    heading: "گذرواژه بازنشانی شد",
    what: "گذرواژهٔ یک‌بارمصرف تازه",
    warning: "این گذرواژه فقط همین یک بار نشان داده می‌شود. نشست‌های کاربر بسته شد؛ در اولین ورود باید گذرواژه را عوض کند.",
    back_label: "صفحهٔ کاربر",
    nav: "admin_users",
};

const NEW_KEY: Shown = Shown {
    heading: "کلید API ساخته شد",
    what: "کلید API",
    warning: "این کلید فقط همین یک بار نشان داده می‌شود و دیگر هرگز؛ سامانه فقط چکیدهٔ آن را نگه می‌دارد. اکنون آن را در تنظیمات سامانهٔ مرکز بگذارید. اگر گم شد، آن را باطل کنید و کلید تازه بسازید.",
    back_label: "فهرست کلیدها",
    nav: "admin_keys",
};

fn secret_page(
    s: &Session,
    shown: Shown,
    subject: String,
    secret: String,
    back: String,
) -> Result<HttpResponse, ConsoleError> {
    // A secret page must never be kept: `render` sends `no-store`.
    let page = SecretPage {
        layout: Layout::signed(shown.heading, s, shown.nav),
        heading: shown.heading,
        what: shown.what,
        warning: shown.warning,
        subject,
        secret,
        back,
        back_label: shown.back_label,
    };
    render(StatusCode::CREATED, &page)
}

/// `POST /console/admin/users`: `services::users::create_user` with the API's `CreateUser`;
/// the one-time password is shown on the answer to this POST, once.
pub async fn create_user(
    state: web::Data<ServiceContext>,
    signed: Signed,
    form: Pairs,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    s.verify_csrf(field(&form, "csrf"))?;
    admin(&s)?;
    let mut m = Map::new();
    for name in ["username", "display_name", "email", "role", "provider_id", "office_id", "insured_id"] {
        text(&mut m, &form, name);
    }
    let result = match body::<crate::api::users::CreateUser>(m) {
        Ok(b) => {
            services::users::create_user(
                &state,
                Actor::of(&s.caller),
                services::users::NewUser {
                    username: b.username,
                    display_name: b.display_name,
                    email: b.email,
                    role: b.role,
                    provider_id: b.provider_id.map(Into::into),
                    office_id: b.office_id.map(Into::into),
                    insured_id: b.insured_id.map(Into::into),
                    province_id: b.province_id,
                    // The console always issues a one-time password: nobody types someone
                    // else's password into a form.
                    password: None,
                    must_change_password: true,
                },
            )
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(created) => secret_page(
            &s,
            NEW_USER,
            format!("{} ({})", created.user.display_name, created.user.username),
            created.generated_password.unwrap_or_default(),
            format!("/console/admin/users/{}", created.user.id),
        ),
        Err(e) => {
            let Refusal { errors, detail, status } = refusal(e)?;
            let page =
                users_page(&state, &s, &UsersQuery::default(), form.into_inner(), Some((errors, detail)))
                    .await?;
            render(status, &page)
        }
    }
}

pub struct KeyItem {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub user: String,
    pub created: Day,
    pub last_used: Option<Day>,
    pub revoked: Option<Day>,
}

#[derive(Template)]
#[template(path = "console/admin_user.html")]
pub struct UserPage {
    pub layout: Layout,
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub role: &'static str,
    pub scope: String,
    pub active: bool,
    pub locked: bool,
    pub must_change: bool,
    pub is_self: bool,
    pub is_provider: bool,
    pub keys: Vec<KeyItem>,
    pub created: Day,
    pub errors: Vec<(String, String)>,
    pub problem: Option<String>,
    pub notice: Option<&'static str>,
}

impl UserPage {
    pub fn error_for(&self, name: &str) -> Option<&str> {
        error_for(&self.errors, name)
    }
}

fn key_items(rows: Vec<crate::store::tokens::ApiKeyRow>, user: impl Fn(&UserId) -> String) -> Vec<KeyItem> {
    rows.into_iter()
        .map(|k| KeyItem {
            id: k.id.to_string(),
            name: k.name,
            prefix: k.prefix,
            user: user(&k.user_id),
            created: Day::of_instant(k.created_at),
            last_used: k.last_used_at.map(Day::of_instant),
            revoked: k.revoked_at.map(Day::of_instant),
        })
        .collect()
}

async fn user_page(
    state: &ServiceContext,
    s: &Session,
    id: UserId,
    refused: Option<(Vec<(String, String)>, String)>,
    notice: Option<&'static str>,
) -> Result<UserPage, ConsoleError> {
    let u = services::users::get(state, id).await?;
    let keys = services::auth::list_api_keys(state, Some(u.id.clone()), None, 500).await?;
    let (errors, problem) = match refused {
        Some((e, d)) => (e, Some(d)),
        None => (Vec::new(), None),
    };
    let office = match &u.office_id {
        Some(o) => services::offices::get(state, o.clone()).await.map(|o| o.name_fa).unwrap_or(o.to_string()),
        None => String::new(),
    };
    Ok(UserPage {
        layout: Layout::signed(u.display_name.clone(), s, "admin_users"),
        id: u.id.to_string(),
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        email: u.email.clone().unwrap_or_default(),
        role: Role::parse(&u.role).map(Role::name_fa).unwrap_or(""),
        scope: if !office.is_empty() {
            format!("دفتر: {office}")
        } else if let Some(p) = &u.provider_id {
            format!("مرکز: {p}")
        } else if let Some(i) = &u.insured_id {
            format!("بیمه‌شده: {i}")
        } else {
            "سراسری".into()
        },
        active: u.active,
        locked: u.locked_until.is_some_and(|t| t > crate::store::now()),
        must_change: u.must_change_password,
        is_self: u.id == s.caller.user_id,
        is_provider: u.role == Role::Provider.as_str(),
        keys: key_items(keys, |_| u.username.clone()),
        created: Day::of_instant(u.created_at),
        errors,
        problem,
        notice,
    })
}

/// `GET /console/admin/users/{id}`: the user, the changes the API allows (name, e-mail,
/// active, unlock), the password reset and — for a provider's user — its API keys.
pub async fn user(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    q: web::Query<Done>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    admin(&s)?;
    let notice = match q.done.as_str() {
        "updated" => Some("تغییرات کاربر ذخیره شد."),
        "revoked" => Some("کلید باطل شد؛ از این پس پذیرفته نمی‌شود."),
        _ => None,
    };
    render(StatusCode::OK, &user_page(&state, &s, id.into_inner().into(), None, notice).await?)
}

/// `POST /console/admin/users/{id}`: `services::users::update` (the API's PATCH: display name,
/// e-mail, active, unlock). The role and scope of a user are fixed at creation, as in the API:
/// a different role is a new account.
pub async fn update_user(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    form: Pairs,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    s.verify_csrf(field(&form, "csrf"))?;
    admin(&s)?;
    let id = UserId::from(id.into_inner());
    let mut m = Map::new();
    text(&mut m, &form, "display_name");
    text(&mut m, &form, "email");
    m.insert("active".into(), Value::Bool(!field(&form, "active").is_empty()));
    m.insert("unlock".into(), Value::Bool(!field(&form, "unlock").is_empty()));
    let result = match body::<crate::api::users::UpdateUser>(m) {
        Ok(b) => {
            services::users::update(
                &state,
                Actor::of(&s.caller),
                id.clone(),
                services::users::UserUpdate {
                    display_name: b.display_name,
                    email: Some(b.email),
                    active: b.active,
                    unlock: b.unlock,
                },
            )
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/console/admin/users/{id}?done=updated"))),
        Err(e) => {
            let Refusal { errors, detail, status } = refusal(e)?;
            render(status, &user_page(&state, &s, id, Some((errors, detail)), None).await?)
        }
    }
}

/// `POST /console/admin/users/{id}/password`: `services::users::reset_password`; the new
/// one-time password is shown on the answer, once, and the user's sessions end.
pub async fn reset_password(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    form: Pairs,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    s.verify_csrf(field(&form, "csrf"))?;
    admin(&s)?;
    let u = services::users::get(&state, id.into_inner().into()).await?;
    let password = services::users::reset_password(&state, Actor::of(&s.caller), u.id.clone()).await?;
    secret_page(
        &s,
        RESET,
        format!("{} ({})", u.display_name, u.username),
        password,
        format!("/console/admin/users/{}", u.id),
    )
}

#[derive(Template)]
#[template(path = "console/admin_keys.html")]
pub struct KeysPage {
    pub layout: Layout,
    pub keys: Vec<KeyItem>,
    pub users: Vec<Choice>,
    pub name: String,
    pub errors: Vec<(String, String)>,
    pub problem: Option<String>,
    pub notice: Option<&'static str>,
}

impl KeysPage {
    pub fn error_for(&self, name: &str) -> Option<&str> {
        error_for(&self.errors, name)
    }
}

async fn keys_page(
    state: &ServiceContext,
    s: &Session,
    typed: &[(String, String)],
    refused: Option<(Vec<(String, String)>, String)>,
    notice: Option<&'static str>,
) -> Result<KeysPage, ConsoleError> {
    let keys = services::auth::list_api_keys(state, None, None, 500).await?;
    let provider_users = services::users::list(
        state,
        UserFilter {
            role: Some(Role::Provider.as_str().into()),
            office_id: None,
            provider_id: None,
            after: None,
            limit: 500,
        },
    )
    .await?;
    let all_users = services::users::list(
        state,
        UserFilter { role: None, office_id: None, provider_id: None, after: None, limit: 500 },
    )
    .await?;
    let name_of = |id: &UserId| {
        all_users.iter().find(|u| &u.id == id).map(|u| u.username.clone()).unwrap_or(id.to_string())
    };
    let (errors, problem) = match refused {
        Some((e, d)) => (e, Some(d)),
        None => (Vec::new(), None),
    };
    Ok(KeysPage {
        layout: Layout::signed("کلیدهای API", s, "admin_keys"),
        keys: key_items(keys, name_of),
        users: provider_users
            .iter()
            .filter(|u| u.active)
            .map(|u| Choice {
                value: u.id.to_string(),
                label: format!("{} ({})", u.display_name, u.username),
                selected: u.id.as_str() == field(typed, "user_id"),
            })
            .collect(),
        name: field(typed, "name").to_string(),
        errors,
        problem,
        notice,
    })
}

/// `GET /console/admin/api-keys`: every key (prefix, owner, use, revocation) — never a secret.
pub async fn keys(
    state: web::Data<ServiceContext>,
    signed: Signed,
    q: web::Query<Done>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    admin(&s)?;
    let notice = (q.done == "revoked").then_some("کلید باطل شد؛ از این پس پذیرفته نمی‌شود.");
    render(StatusCode::OK, &keys_page(&state, &s, &[], None, notice).await?)
}

/// `POST /console/admin/api-keys`: `services::auth::create_api_key`; the key is on the answer
/// to this POST and nowhere else, ever (only its hash is stored).
pub async fn create_key(
    state: web::Data<ServiceContext>,
    signed: Signed,
    form: Pairs,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    s.verify_csrf(field(&form, "csrf"))?;
    admin(&s)?;
    let mut m = Map::new();
    text(&mut m, &form, "user_id");
    text(&mut m, &form, "name");
    let result = match body::<crate::api::api_keys::CreateApiKey>(m) {
        Ok(b) => services::auth::create_api_key(&state, s.caller.clone(), b.user_id.into(), b.name).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(created) => secret_page(
            &s,
            NEW_KEY,
            format!("{} · {}", created.row.name, created.row.prefix),
            created.key,
            "/console/admin/api-keys".into(),
        ),
        Err(e) => {
            let Refusal { errors, detail, status } = refusal(e)?;
            render(status, &keys_page(&state, &s, &form, Some((errors, detail)), None).await?)
        }
    }
}

/// `POST /console/admin/api-keys/{id}/revoke`: `services::auth::revoke_api_key`.
pub async fn revoke_key(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    form: Pairs,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    s.verify_csrf(field(&form, "csrf"))?;
    admin(&s)?;
    services::auth::revoke_api_key(&state, Actor::of(&s.caller), id.into_inner().into()).await?;
    let back = field(&form, "back");
    // Back to the page the form was on: the user's page or the list.
    if back.starts_with("/console/admin/users/") && !back.contains("//") {
        Ok(see_other(&format!("{back}?done=revoked")))
    } else {
        Ok(see_other("/console/admin/api-keys?done=revoked"))
    }
}

// ---------------------------------------------------------------------------------------------
// Tariffs (تعرفه‌ها).

pub struct RevisionItem {
    pub year: i32,
    pub revision: i32,
    pub official: bool,
    pub effective: Day,
    pub resolution: String,
    pub note: String,
    pub services: usize,
    pub drugs: usize,
    pub devices: usize,
    pub latest: bool,
}

/// A file kept from the last attempt: sent again unless a new one replaces it.
pub struct KeptFile {
    pub name: String,
    pub content: String,
    pub lines: usize,
}

#[derive(Template)]
#[template(path = "console/admin_tariffs.html")]
pub struct TariffsPage {
    pub layout: Layout,
    pub revisions: Vec<RevisionItem>,
    pub can_import: bool,
    pub files: Vec<&'static str>,
    pub kept: Vec<KeptFile>,
    /// Every problem of the import, `file:line: column: message`.
    pub problems: Vec<String>,
    pub refused: Option<String>,
    pub notice: Option<String>,
}

fn tariffs_page(
    state: &ServiceContext,
    s: &Session,
    kept: Vec<KeptFile>,
    problems: Vec<String>,
    refused: Option<String>,
    notice: Option<String>,
) -> TariffsPage {
    let book = state.tariffs();
    let mut revisions: Vec<RevisionItem> = book
        .all()
        .map(|t| RevisionItem {
            year: t.meta.year,
            revision: t.meta.revision,
            official: t.meta.status == crate::domain::tariff::TariffStatus::Official,
            effective: Day::of(t.effective_from),
            resolution: t.meta.cabinet_resolution.clone(),
            note: t.meta.note.clone(),
            services: t.services.len(),
            drugs: t.drugs.len(),
            devices: t.devices.len(),
            latest: false,
        })
        .collect();
    revisions.sort_by_key(|r| std::cmp::Reverse((r.year, r.revision)));
    let mut seen = Vec::new();
    for r in &mut revisions {
        if !seen.contains(&r.year) {
            r.latest = true;
            seen.push(r.year);
        }
    }
    TariffsPage {
        layout: Layout::signed("تعرفه‌ها", s, "admin_tariffs"),
        revisions,
        can_import: TariffAdmins::ROLES.contains(&s.caller.role),
        files: FILES.to_vec(),
        kept,
        problems,
        refused,
        notice,
    }
}

/// The staff roles that read tariffs here (the API's `GET /api/v1/tariffs` admits any signed-in
/// caller; the console's page is the administrators').
fn tariff_reader(s: &Session) -> Result<(), ConsoleError> {
    s.caller.require_any(TariffAdmins::ROLES).map_err(ConsoleError::from)
}

/// `GET /console/admin/tariffs`: every year's revisions, and the import form.
pub async fn tariffs(state: web::Data<ServiceContext>, signed: Signed) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    tariff_reader(&s)?;
    render(StatusCode::OK, &tariffs_page(&state, &s, Vec::new(), Vec::new(), None, None))
}

/// `POST /console/admin/tariffs/import` (multipart: `csrf`, the year folder's files as `files`,
/// and the files kept from the last attempt as `kept.<name>`): `services::tariffs::import`,
/// the API's import. Every problem is listed as `file:line: column: message`; the files are kept
/// on the page, so correcting one file and sending again is enough.
pub async fn import_tariff(
    state: web::Data<ServiceContext>,
    signed: Signed,
    mut form: Multipart,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    let limit = state.config.max_json_bytes.max(1 << 20);
    let unreadable = |e: actix_multipart::MultipartError| {
        ConsoleError::App(AppError::bad_request("invalid_multipart", format!("unreadable form: {e}")))
    };
    let mut csrf = String::new();
    let mut files: HashMap<String, String> = HashMap::new();
    let mut kept: HashMap<String, String> = HashMap::new();
    let mut total = 0usize;
    while let Some(mut part) = form.try_next().await.map_err(unreadable)? {
        let name = part.name().unwrap_or("").to_string();
        let filename = part
            .content_disposition()
            .and_then(|cd| cd.get_filename().map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).to_string()));
        let mut buf = Vec::new();
        while let Some(chunk) = part.try_next().await.map_err(unreadable)? {
            total += chunk.len();
            if total > limit {
                return Err(
                    AppError::PayloadTooLarge(format!("the files are larger than {limit} bytes")).into()
                );
            }
            buf.extend_from_slice(&chunk);
        }
        let content = String::from_utf8_lossy(&buf).into_owned();
        match (name.as_str(), filename) {
            ("csrf", _) => csrf = content.trim().to_string(),
            ("files", Some(f)) if !f.is_empty() => {
                files.insert(f, content);
            }
            (n, _) if n.starts_with("kept.") => {
                // A browser sends a kept file back with CRLF line ends (form submission
                // normalizes them); the file had LF.
                kept.insert(n["kept.".len()..].to_string(), content.replace("\r\n", "\n"));
            }
            _ => {}
        }
    }
    s.verify_csrf(&csrf)?;
    s.caller.require_any(TariffAdmins::ROLES)?;
    // A file chosen now replaces the one kept from the last attempt.
    for (name, content) in kept {
        files.entry(name).or_insert(content);
    }
    let keep = |files: &HashMap<String, String>| -> Vec<KeptFile> {
        let mut v: Vec<KeptFile> = files
            .iter()
            .map(|(n, c)| KeptFile { name: n.clone(), content: c.clone(), lines: c.lines().count() })
            .collect();
        v.sort_by_key(|k| FILES.iter().position(|f| *f == k.name).unwrap_or(usize::MAX));
        v
    };
    let result = services::tariffs::import(&state, files.clone(), Actor::of(&s.caller)).await;
    match result {
        Ok(report) => {
            let what = match report.outcome {
                services::tariffs::Outcome::Imported => "وارد شد",
                services::tariffs::Outcome::Replaced => "جایگزین نسخهٔ نمونهٔ پیشین شد",
                services::tariffs::Outcome::Unchanged => "پیش‌تر با همین محتوا وارد شده بود؛ چیزی تغییر نکرد",
            };
            let notice = format!("تعرفهٔ سال {} بازنگری {} {}.", report.year, report.revision, what);
            let status = if report.outcome == services::tariffs::Outcome::Unchanged {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            render(status, &tariffs_page(&state, &s, Vec::new(), Vec::new(), None, Some(notice)))
        }
        Err(AppError::Validation(errors)) => {
            // The import's own errors: `file:line` and `column: message`.
            let problems = errors.into_iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &tariffs_page(&state, &s, keep(&files), problems, None, None),
            )
        }
        Err(e @ AppError::Conflict { .. }) => render(
            StatusCode::CONFLICT,
            &tariffs_page(&state, &s, keep(&files), Vec::new(), Some(e.detail()), None),
        ),
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// The audit trail (ردپای ممیزی).

#[derive(Template)]
#[template(path = "console/admin_audit.html")]
pub struct AuditPage {
    pub layout: Layout,
    pub ran: bool,
    pub ok: bool,
    pub events: i64,
    pub checkpoints: usize,
    pub last_checkpoint: Option<(i64, String)>,
    pub first_bad: Option<i64>,
    pub kind: &'static str,
    pub problem: String,
    pub authenticated_from: i64,
}

/// What a break means, in plain Persian.
fn break_fa(k: &BreakKind) -> &'static str {
    match k {
        BreakKind::NonIntegerSeq => "شمارهٔ ترتیب یک رویداد عدد صحیح نیست.",
        BreakKind::SeqNotPositive => "رویدادی با شمارهٔ صفر یا منفی در زنجیره است.",
        BreakKind::DuplicateSeq => "دو رویداد یک شمارهٔ ترتیب دارند.",
        BreakKind::NonIncreasingSeq => "شماره‌های ترتیب رو به افزایش نیستند.",
        BreakKind::Gap => "رویدادی از میانهٔ زنجیره حذف شده است.",
        BreakKind::BrokenLink => "پیوند یک رویداد به رویداد پیشین گسسته است.",
        BreakKind::HashMismatch => "محتوای یک رویداد با چکیدهٔ آن نمی‌خواند: رویداد تغییر کرده است.",
        BreakKind::MacMissing => "امضای (MAC) رویدادی که باید امضا داشته باشد نیست.",
        BreakKind::MacMismatch => {
            "امضای یک رویداد درست نیست: رویداد بی‌کلید تغییر کرده، افزوده یا بازنویسی شده است."
        }
        BreakKind::Unreadable => "یک رویداد خوانا نیست.",
        BreakKind::Truncated => "زنجیره پیش از جایی که باید تمام می‌شود: رویدادهایی از انتها حذف شده‌اند.",
        BreakKind::HeadMismatch => "سر زنجیره با آخرین رویداد نمی‌خواند.",
        BreakKind::Rehashed => {
            "رویدادی که در نقطهٔ بازبینی ثبت شده بود چکیدهٔ دیگری دارد: زنجیره بازنویسی شده است."
        }
        BreakKind::CheckpointInvalid => "سطری از دفتر نقاط بازبینی معتبر نیست.",
    }
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    pub run: String,
}

/// `GET /console/admin/audit?run=1`: `services::audit::verify`, the API's
/// `GET /api/v1/audit/verify`, with its answer in words. Reading only, so a GET; it runs when
/// asked (`run=1`), as it walks the whole trail.
pub async fn audit(
    state: web::Data<ServiceContext>,
    signed: Signed,
    q: web::Query<AuditQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    admin(&s)?;
    let mut page = AuditPage {
        layout: Layout::signed("بررسی ردپای ممیزی", &s, "admin_audit"),
        ran: false,
        ok: false,
        events: 0,
        checkpoints: 0,
        last_checkpoint: None,
        first_bad: None,
        kind: "",
        problem: String::new(),
        authenticated_from: 0,
    };
    if !q.run.is_empty() {
        let v = services::audit::verify(&state).await?;
        page.ran = true;
        page.ok = v.ok;
        page.events = v.events;
        page.checkpoints = v.checkpoints;
        page.last_checkpoint = v.last_checkpoint.map(|c| {
            let day = chrono::DateTime::parse_from_rfc3339(&c.at)
                .map(|t| Day::of_instant(t.naive_utc()).jalali)
                .unwrap_or(c.at.clone());
            (c.seq, day)
        });
        page.first_bad = v.first_bad_seq;
        page.kind = v.kind.as_ref().map(break_fa).unwrap_or("");
        page.problem = v.problem.unwrap_or_default();
        page.authenticated_from = v.authenticated_from;
    }
    render(StatusCode::OK, &page)
}
