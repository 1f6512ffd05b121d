//! The administrator's contract screens (قراردادهای مراکز): a new contract of a provider, a
//! contract's page with its versions side by side (مقایسهٔ نسخه‌ها: every term, the changed ones
//! marked in words and with the old value struck, not by colour alone), the amendment form, the
//! change of state (activate, suspend, reinstate, terminate — with a reason where the use case
//! requires one) and the event history.
//!
//! Every handler admits the API's `Admins` (403 for every other role), checks the CSRF token of
//! a POST first, and calls the use case the API calls: `services::providers::{create_contract,
//! get_contract, amend, change_status}`. The diff is `domain::contract_diff::diff`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::api::date_field;
use crate::auth::{Admins, RoleSet};
use crate::console::format::Day;
use crate::console::listing::Choice;
use crate::console::session::{Session, Signed};
use crate::console::{field, render, see_other, ConsoleError, Layout, Pairs};
use crate::context::ServiceContext;
use crate::domain::contract::{ContractStatus, ContractTerms};
use crate::domain::contract_diff::{self as fa, TermChange};
use crate::domain::jalali::JalaliDate;
use crate::domain::pricing::ItemType;
use crate::domain::tariff::{Sector, ServiceCategory};
use crate::domain::text::normalize_identifier;
use crate::error::{AppError, FieldError};
use crate::services;
use crate::services::providers::{ContractView, NewContract};

/// The API's `Require<Admins>`.
pub(crate) fn admin(s: &Session) -> Result<(), ConsoleError> {
    s.caller.require_any(Admins::ROLES).map_err(ConsoleError::from)
}

/// A date as the forms show it: Jalali `1403/07/15`.
pub(crate) fn jalali_text(d: chrono::NaiveDate) -> String {
    let j = JalaliDate::from_gregorian(d);
    format!("{:04}/{:02}/{:02}", j.year(), j.month(), j.day())
}

/// A use case's refusal, for a form shown again: the fields it names, its detail, its status.
pub(crate) struct Refusal {
    pub errors: Vec<(String, String)>,
    pub detail: String,
    pub status: StatusCode,
}

/// Splits a refusal of the input (422, 409, 400) for the form; anything else is the error page.
pub(crate) fn refusal(e: AppError) -> Result<Refusal, ConsoleError> {
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    match e {
        AppError::Validation(errors) => Ok(Refusal {
            errors: errors.into_iter().map(|f| (f.field, f.message)).collect(),
            detail: "ورودی نادرست است".to_string(),
            status,
        }),
        e @ (AppError::Conflict { .. } | AppError::BadRequest { .. }) => {
            Ok(Refusal { errors: Vec::new(), detail: e.detail(), status })
        }
        e => Err(ConsoleError::App(e)),
    }
}

// ---------------------------------------------------------------------------------------------
// The terms' fields, shared by the new contract and the amendment.

/// A text field of the terms: its name (`t.<name>`), label, hint, value and the use case's error.
pub struct TextField {
    pub name: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub value: String,
    pub error: Option<String>,
}

/// The text terms in the form's order: (name, label, hint).
const TEXT_TERMS: [(&str, &str, &str); 10] = [
    ("discount_percent", "تخفیف بر تعرفه (درصد)", "0 تا 100"),
    ("monthly_ceiling", "سقف پرداخت ماهانه (ریال)", "خالی: بدون سقف"),
    ("advance_percent", "علی‌الحساب (درصد مبلغ درخواستی)", "0 تا 100"),
    ("advance_days", "مهلت پرداخت علی‌الحساب (روز)", "پس از ارسال اسناد"),
    ("balance_payment_days", "مهلت پرداخت مانده (روز)", "پس از تسویه"),
    ("submission_deadline_days", "مهلت ارسال اسناد (روز)", "پس از پایان ماه خدمت"),
    ("objection_window_working_days", "مهلت اعتراض (روز کاری)", "1 تا 90"),
    ("late_payment_rate_percent", "نرخ سالانهٔ خسارت تأخیر (درصد)", "خالی: توافق نشده"),
    ("preauth_codes", "کدهای نیازمند تأیید قبلی", "جدا با ویرگول"),
    ("quantity_caps", "سقف تعداد هر کد در هر ردیف", "کد=تعداد، مانند 901010=2"),
];

/// The terms as the form shows them (the text typed, kept when the use case refuses it).
pub struct TermsForm {
    pub tariff_basis: Vec<Choice>,
    pub may_bill_gap: bool,
    pub categories: Vec<Choice>,
    pub item_types: Vec<Choice>,
    pub fields: Vec<TextField>,
}

impl TermsForm {
    fn build(
        basis: &str,
        gap: bool,
        cats: &[String],
        types: &[String],
        text: impl Fn(&str) -> String,
    ) -> TermsForm {
        TermsForm {
            tariff_basis: Sector::ALL
                .into_iter()
                .map(|s| Choice {
                    value: s.as_str().into(),
                    label: s.name_fa().into(),
                    selected: s.as_str() == basis,
                })
                .collect(),
            may_bill_gap: gap,
            categories: ServiceCategory::ALL
                .into_iter()
                .map(|c| Choice {
                    value: c.as_str().into(),
                    label: fa::category_fa(c).into(),
                    selected: cats.iter().any(|x| x == c.as_str()),
                })
                .collect(),
            item_types: ItemType::ALL
                .into_iter()
                .map(|t| Choice {
                    value: t.as_str().into(),
                    label: fa::item_type_fa(t).into(),
                    selected: types.iter().any(|x| x == t.as_str()),
                })
                .collect(),
            fields: TEXT_TERMS
                .iter()
                .map(|(name, label, hint)| TextField { name, label, hint, value: text(name), error: None })
                .collect(),
        }
    }

    /// The use case's errors beside their fields (`terms.<name>`).
    fn marked(mut self, errors: &[(String, String)]) -> TermsForm {
        for f in &mut self.fields {
            let key = format!("terms.{}", f.name);
            f.error = errors.iter().find(|(k, _)| *k == key).map(|(_, m)| m.clone());
        }
        self
    }

    /// The form prefilled with `terms`.
    pub fn of(terms: &ContractTerms) -> TermsForm {
        let v = serde_json::to_value(terms).unwrap_or(Value::Null);
        let strings = |name: &str| -> Vec<String> {
            v.get(name)
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(String::from).collect())
                .unwrap_or_default()
        };
        TermsForm::build(
            terms.tariff_basis.as_str(),
            terms.may_bill_gap,
            &strings("scope_categories"),
            &strings("scope_item_types"),
            |name| match v.get(name) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "),
                Some(Value::Object(m)) => {
                    m.iter().map(|(k, n)| format!("{k}={n}")).collect::<Vec<_>>().join(", ")
                }
                Some(other) => other.to_string(),
            },
        )
    }

    /// The form as typed.
    fn typed(pairs: &[(String, String)]) -> TermsForm {
        let all = |name: &str| -> Vec<String> {
            pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
        };
        TermsForm::build(
            field(pairs, "t.tariff_basis"),
            !field(pairs, "t.may_bill_gap").is_empty(),
            &all("t.scope_categories"),
            &all("t.scope_item_types"),
            |name| field(pairs, &format!("t.{name}")).to_string(),
        )
    }
}

/// The terms of the form as the API's JSON (`ContractTerms`' fields): every field, so an
/// amendment states the whole new version. Text that is not a number where one is needed is a
/// field error here (the API's JSON parser refuses it the same way); ranges are the use case's.
fn terms_json(pairs: &[(String, String)], errors: &mut Vec<FieldError>) -> Map<String, Value> {
    let mut m = Map::new();
    let text = |name: &str| normalize_identifier(field(pairs, &format!("t.{name}")));
    m.insert("tariff_basis".into(), Value::String(field(pairs, "t.tariff_basis").to_string()));
    m.insert("may_bill_gap".into(), Value::Bool(!field(pairs, "t.may_bill_gap").is_empty()));
    for (name, key) in
        [("scope_categories", "t.scope_categories"), ("scope_item_types", "t.scope_item_types")]
    {
        let items = pairs.iter().filter(|(k, _)| k == key).map(|(_, v)| Value::String(v.clone())).collect();
        m.insert(name.into(), Value::Array(items));
    }
    let list = |s: &str| -> Vec<String> {
        s.split([',', '،', ' ', '\n']).map(str::trim).filter(|x| !x.is_empty()).map(String::from).collect()
    };
    m.insert(
        "preauth_codes".into(),
        Value::Array(list(&text("preauth_codes")).into_iter().map(Value::String).collect()),
    );
    let mut caps = Map::new();
    for item in list(&text("quantity_caps").replace(" =", "=").replace("= ", "=")) {
        match item.split_once(['=', ':']).map(|(c, n)| (c.trim().to_string(), n.trim().parse::<u32>())) {
            Some((code, Ok(n))) => {
                caps.insert(code, Value::from(n));
            }
            _ => errors.push(FieldError::new(
                "terms.quantity_caps",
                "format",
                "write code=count, e.g. 901010=2",
            )),
        }
    }
    m.insert("quantity_caps".into(), Value::Object(caps));
    for name in
        ["submission_deadline_days", "advance_days", "balance_payment_days", "objection_window_working_days"]
    {
        match text(name).parse::<u32>() {
            Ok(n) => {
                m.insert(name.into(), Value::from(n));
            }
            Err(_) => {
                errors.push(FieldError::new(format!("terms.{name}"), "format", "must be a whole number"))
            }
        }
    }
    match text("monthly_ceiling").replace(',', "") {
        t if t.is_empty() => {
            m.insert("monthly_ceiling".into(), Value::Null);
        }
        t => match t.parse::<i64>() {
            Ok(n) => {
                m.insert("monthly_ceiling".into(), Value::from(n));
            }
            Err(_) => errors.push(FieldError::new("terms.monthly_ceiling", "format", "must be whole rials")),
        },
    }
    for (name, optional) in
        [("discount_percent", false), ("advance_percent", false), ("late_payment_rate_percent", true)]
    {
        let t = text(name);
        if t.is_empty() && optional {
            m.insert(name.into(), Value::Null);
        } else if t.parse::<rust_decimal::Decimal>().is_ok() {
            m.insert(name.into(), Value::String(t));
        } else {
            errors.push(FieldError::new(format!("terms.{name}"), "format", "must be a number like 5 or 2.5"));
        }
    }
    m
}

fn error_for<'a>(errors: &'a [(String, String)], name: &str) -> Option<&'a str> {
    errors.iter().find(|(f, _)| f == name).map(|(_, m)| m.as_str())
}

// ---------------------------------------------------------------------------------------------
// A new contract.

#[derive(Template)]
#[template(path = "console/admin_contract_new.html")]
pub struct NewContractPage {
    pub layout: Layout,
    pub provider_id: String,
    pub provider_name: String,
    pub number: String,
    pub valid_from: String,
    pub valid_to: String,
    pub note: String,
    pub terms: TermsForm,
    pub errors: Vec<(String, String)>,
    pub problem: Option<String>,
}

impl NewContractPage {
    pub fn error_for(&self, name: &str) -> Option<&str> {
        error_for(&self.errors, name)
    }
}

/// `GET /console/admin/providers/{id}/contracts/new`: the form, with the usual terms
/// (`ContractTerms::default`) and a year from today.
pub async fn new_form(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    admin(&s)?;
    let p = services::providers::get(&state, s.caller.clone(), id.into_inner().into()).await?;
    let today = state.today();
    let page = NewContractPage {
        layout: Layout::signed("قرارداد تازه", &s, "admin_providers"),
        provider_id: p.id.to_string(),
        provider_name: p.name_fa,
        number: String::new(),
        valid_from: jalali_text(today),
        valid_to: jalali_text(today + chrono::Duration::days(364)),
        note: String::new(),
        terms: TermsForm::of(&ContractTerms::default()),
        errors: Vec::new(),
        problem: None,
    };
    render(StatusCode::OK, &page)
}

/// `POST /console/admin/providers/{id}/contracts`: `services::providers::create_contract`, then
/// the contract's page; a refusal is the form again with the fields named.
pub async fn create(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    form: Pairs,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    s.verify_csrf(field(&form, "csrf"))?;
    admin(&s)?;
    let p = services::providers::get(&state, s.caller.clone(), id.into_inner().into()).await?;
    let mut errors = Vec::new();
    let terms = terms_json(&form, &mut errors);
    let from = date_field("valid_from", field(&form, "valid_from"));
    let to = date_field("valid_to", field(&form, "valid_to"));
    let result = match (from, to, errors.is_empty()) {
        (Ok(valid_from), Ok(valid_to), true) => {
            match serde_json::from_value::<ContractTerms>(Value::Object(terms)) {
                Ok(terms) => {
                    let note = Some(field(&form, "note").to_string()).filter(|n| !n.is_empty());
                    services::providers::create_contract(
                        &state,
                        s.caller.clone(),
                        NewContract {
                            number: normalize_identifier(field(&form, "number")),
                            provider_id: p.id.clone(),
                            valid_from,
                            valid_to,
                            terms,
                            note,
                        },
                    )
                    .await
                }
                Err(e) => Err(AppError::field("terms", "invalid", e.to_string())),
            }
        }
        (from, to, _) => {
            let mut all: Vec<FieldError> = errors;
            for r in [from, to] {
                if let Err(AppError::Validation(e)) = r {
                    all.extend(e);
                }
            }
            Err(AppError::Validation(all))
        }
    };
    match result {
        Ok(c) => Ok(see_other(&format!("/console/admin/contracts/{}?done=created", c.id))),
        Err(e) => {
            let Refusal { errors, detail, status } = refusal(e)?;
            let page = NewContractPage {
                layout: Layout::signed("قرارداد تازه", &s, "admin_providers"),
                provider_id: p.id.to_string(),
                provider_name: p.name_fa,
                number: field(&form, "number").into(),
                valid_from: field(&form, "valid_from").into(),
                valid_to: field(&form, "valid_to").into(),
                note: field(&form, "note").into(),
                terms: TermsForm::typed(&form).marked(&errors),
                errors,
                problem: Some(detail),
            };
            render(status, &page)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A contract's page.

pub struct VersionItem {
    pub version: i32,
    pub from: Day,
    pub note: String,
    pub by: String,
}

pub struct EventItem {
    pub action: String,
    pub status: String,
    pub day: Day,
    pub reason: String,
    pub note: String,
    pub actor: String,
}

/// Two versions side by side.
pub struct Compare {
    pub from: i32,
    pub to: i32,
    pub from_day: Day,
    pub to_day: Day,
    pub rows: Vec<TermChange>,
    pub changed: usize,
}

#[derive(Template)]
#[template(path = "console/admin_contract.html")]
pub struct ContractPage {
    pub layout: Layout,
    pub id: String,
    pub number: String,
    pub provider_id: String,
    pub provider_name: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub valid_from: Day,
    pub valid_to: Day,
    pub versions: Vec<VersionItem>,
    pub compare: Option<Compare>,
    pub from_choices: Vec<Choice>,
    pub to_choices: Vec<Choice>,
    pub events: Vec<EventItem>,
    pub can_amend: bool,
    pub terms: TermsForm,
    pub amend_from: String,
    pub amend_note: String,
    pub actions: Vec<Choice>,
    pub reasons: Vec<Choice>,
    pub effective_on: String,
    pub status_note: String,
    pub errors: Vec<(String, String)>,
    /// Which form the errors are about: `amend` or `status`.
    pub failed: &'static str,
    pub problem: Option<String>,
    pub notice: Option<&'static str>,
}

impl ContractPage {
    pub fn error_for(&self, name: &str) -> Option<&str> {
        error_for(&self.errors, name)
    }
}

fn status_class(s: ContractStatus) -> &'static str {
    match s {
        ContractStatus::Active => "ok",
        ContractStatus::Suspended => "pend",
        ContractStatus::Terminated => "bad",
        ContractStatus::Draft => "plain",
    }
}

#[derive(Deserialize, Default)]
pub struct ContractQuery {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub done: String,
}

/// What the page shows besides the contract: the forms as typed after a refusal.
struct Refused<'a> {
    pairs: &'a [(String, String)],
    failed: &'static str,
    errors: Vec<(String, String)>,
    detail: String,
}

async fn contract_page(
    state: &ServiceContext,
    s: &Session,
    c: ContractView,
    q: &ContractQuery,
    refused: Option<Refused<'_>>,
) -> Result<ContractPage, ConsoleError> {
    let provider = services::providers::get(state, s.caller.clone(), c.provider_id.clone()).await?;
    let last = c.versions.last().map(|v| v.version).unwrap_or(1);
    let pick = |text: &str, default: i32| {
        text.trim()
            .parse::<i32>()
            .ok()
            .filter(|n| c.versions.iter().any(|v| v.version == *n))
            .unwrap_or(default)
    };
    // By default the latest version against the one before it: what the last amendment changed.
    let to = pick(&q.to, last);
    let from = pick(&q.from, (to - 1).max(1));
    let version = |n: i32| c.versions.iter().find(|v| v.version == n);
    let compare = match (version(from), version(to)) {
        (Some(a), Some(b)) if c.versions.len() > 1 => {
            let rows = fa::diff(&a.terms, &b.terms);
            Some(Compare {
                from,
                to,
                from_day: Day::of(a.effective_from),
                to_day: Day::of(b.effective_from),
                changed: rows.iter().filter(|r| r.changed).count(),
                rows,
            })
        }
        _ => None,
    };
    let choices = |selected: i32| -> Vec<Choice> {
        c.versions
            .iter()
            .map(|v| Choice {
                value: v.version.to_string(),
                label: format!("نسخهٔ {} — از {}", v.version, Day::of(v.effective_from).jalali),
                selected: v.version == selected,
            })
            .collect()
    };
    let status = c.status;
    let typed_action = refused.as_ref().map(|r| field(r.pairs, "action").to_string()).unwrap_or_default();
    let typed_reason = refused.as_ref().map(|r| field(r.pairs, "reason").to_string()).unwrap_or_default();
    let latest_terms = c.versions.last().map(|v| v.terms.clone()).unwrap_or_default();
    let (terms, amend_from, amend_note, effective_on, status_note) = match &refused {
        Some(r) if r.failed == "amend" => (
            TermsForm::typed(r.pairs).marked(&r.errors),
            field(r.pairs, "effective_from").to_string(),
            field(r.pairs, "note").to_string(),
            jalali_text(state.today()),
            String::new(),
        ),
        Some(r) => (
            TermsForm::of(&latest_terms),
            String::new(),
            String::new(),
            field(r.pairs, "effective_on").to_string(),
            field(r.pairs, "note").to_string(),
        ),
        None => (
            TermsForm::of(&latest_terms),
            String::new(),
            String::new(),
            jalali_text(state.today()),
            String::new(),
        ),
    };
    let (errors, failed, problem) = match refused {
        Some(r) => (r.errors, r.failed, Some(r.detail)),
        None => (Vec::new(), "", None),
    };
    Ok(ContractPage {
        layout: Layout::signed(format!("قرارداد {}", c.number), s, "admin_providers"),
        id: c.id.to_string(),
        number: c.number.clone(),
        provider_id: provider.id.to_string(),
        provider_name: provider.name_fa,
        status: fa::status_fa(status),
        status_class: status_class(status),
        valid_from: Day::of(c.valid_from),
        valid_to: Day::of(c.valid_to),
        versions: c
            .versions
            .iter()
            .rev()
            .map(|v| VersionItem {
                version: v.version,
                from: Day::of(v.effective_from),
                note: v.note.clone().unwrap_or_default(),
                by: v.created_by.clone(),
            })
            .collect(),
        compare,
        from_choices: choices(from),
        to_choices: choices(to),
        events: c
            .events
            .iter()
            .rev()
            .map(|e| EventItem {
                action: fa::ACTIONS
                    .into_iter()
                    .find(|a| a.as_str() == e.action)
                    .map(fa::action_fa)
                    .unwrap_or(&e.action)
                    .to_string(),
                status: ContractStatus::parse(&e.status_after)
                    .map(fa::status_fa)
                    .unwrap_or(&e.status_after)
                    .to_string(),
                day: Day::of(e.effective_on),
                reason: e
                    .reason
                    .as_deref()
                    .and_then(|r| fa::REASONS.into_iter().find(|x| fa::reason_str(*x) == r))
                    .map(fa::reason_fa)
                    .unwrap_or("")
                    .to_string(),
                note: e.note.clone().unwrap_or_default(),
                actor: e.actor.clone(),
            })
            .collect(),
        can_amend: status != ContractStatus::Terminated,
        terms,
        amend_from,
        amend_note,
        actions: fa::allowed_actions(status)
            .into_iter()
            .map(|a| Choice {
                value: a.as_str().into(),
                label: fa::action_fa(a).into(),
                selected: a.as_str() == typed_action,
            })
            .collect(),
        reasons: fa::REASONS
            .into_iter()
            .map(|r| Choice {
                value: fa::reason_str(r).into(),
                label: fa::reason_fa(r).into(),
                selected: fa::reason_str(r) == typed_reason,
            })
            .collect(),
        effective_on,
        status_note,
        errors,
        failed,
        problem,
        notice: match q.done.as_str() {
            "created" => Some("قرارداد به صورت پیش‌نویس ثبت شد. برای اجرا آن را فعال کنید."),
            "amended" => Some("الحاقیه ثبت شد. تفاوت نسخهٔ تازه با نسخهٔ پیشین در جدول مقایسه آمده است."),
            "status" => Some("وضعیت قرارداد تغییر کرد و در تاریخچه ثبت شد."),
            _ => None,
        },
    })
}

/// `GET /console/admin/contracts/{id}?from=&to=`: the contract, two versions side by side
/// (the latest against the one before by default), the forms, the history.
pub async fn page(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    q: web::Query<ContractQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    admin(&s)?;
    let c = services::providers::get_contract(&state, s.caller.clone(), id.into_inner().into()).await?;
    let page = contract_page(&state, &s, c, &q, None).await?;
    render(StatusCode::OK, &page)
}

/// `POST /console/admin/contracts/{id}/amendments`: `services::providers::amend` with the terms
/// of the form, effective from its date; then the page with the new version's diff.
pub async fn amend(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    form: Pairs,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    s.verify_csrf(field(&form, "csrf"))?;
    admin(&s)?;
    let id = id.into_inner();
    let mut errors = Vec::new();
    let changes = terms_json(&form, &mut errors);
    let date = date_field("effective_from", field(&form, "effective_from"));
    let result = match (date, errors.is_empty()) {
        (Ok(date), true) => {
            let note = Some(field(&form, "note").to_string()).filter(|n| !n.is_empty());
            services::providers::amend(&state, s.caller.clone(), id.clone().into(), date, changes, note).await
        }
        (date, _) => {
            if let Err(AppError::Validation(e)) = date {
                errors.extend(e);
            }
            Err(AppError::Validation(errors))
        }
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/console/admin/contracts/{id}?done=amended"))),
        Err(e) => refused_page(&state, &s, id, &form, "amend", e).await,
    }
}

/// `POST /console/admin/contracts/{id}/status`: `services::providers::change_status`.
pub async fn change_status(
    state: web::Data<ServiceContext>,
    signed: Signed,
    id: web::Path<String>,
    form: Pairs,
) -> Result<HttpResponse, ConsoleError> {
    let s = signed.0;
    s.verify_csrf(field(&form, "csrf"))?;
    admin(&s)?;
    let id = id.into_inner();
    let action = fa::ACTIONS.into_iter().find(|a| a.as_str() == field(&form, "action"));
    let reason = fa::REASONS.into_iter().find(|r| fa::reason_str(*r) == field(&form, "reason"));
    let result = match (action, date_field("effective_on", field(&form, "effective_on"))) {
        (Some(action), Ok(date)) => {
            let note = Some(field(&form, "note").to_string()).filter(|n| !n.is_empty());
            services::providers::change_status(
                &state,
                s.caller.clone(),
                id.clone().into(),
                action,
                date,
                reason,
                note,
            )
            .await
        }
        (None, _) => Err(AppError::field("action", "required", "choose what to do")),
        (_, Err(e)) => Err(e),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/console/admin/contracts/{id}?done=status"))),
        Err(e) => refused_page(&state, &s, id, &form, "status", e).await,
    }
}

async fn refused_page(
    state: &ServiceContext,
    s: &Session,
    id: String,
    pairs: &[(String, String)],
    failed: &'static str,
    e: AppError,
) -> Result<HttpResponse, ConsoleError> {
    let Refusal { errors, detail, status } = refusal(e)?;
    let c = services::providers::get_contract(state, s.caller.clone(), id.into()).await?;
    let page = contract_page(
        state,
        s,
        c,
        &ContractQuery::default(),
        Some(Refused { pairs, failed, errors, detail }),
    )
    .await?;
    render(status, &page)
}

/// The provider's contracts, as its page lists them.
pub struct ContractRowView {
    pub id: String,
    pub number: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub valid_from: Day,
    pub valid_to: Day,
    pub versions: usize,
}

pub fn rows(contracts: Vec<ContractView>) -> Vec<ContractRowView> {
    contracts
        .into_iter()
        .rev()
        .map(|c| ContractRowView {
            id: c.id.to_string(),
            number: c.number,
            status: fa::status_fa(c.status),
            status_class: status_class(c.status),
            valid_from: Day::of(c.valid_from),
            valid_to: Day::of(c.valid_to),
            versions: c.versions.len(),
        })
        .collect()
}
