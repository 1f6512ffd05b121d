//! `/api/v1/insured`: insured persons, eligibility, bulk import.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::api::{page_limit, ApiJson, Page};
use crate::auth::{Admins, Caller, Require};
use crate::context::ServiceContext;
use crate::domain::eligibility::{Coverage, InsuranceType, Relation, Sex};
use crate::domain::ids::{parse_insurance_number, NationalCode};
use crate::domain::jalali::parse_date;
use crate::domain::text::{normalize_identifier, normalize_persian};
use crate::error::{AppError, AppResult, FieldError};
use crate::services::insured::{self as service, InsuredInput};
use crate::store::insured::{InsuredFilter, InsuredRow};

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct CoverageBody {
    pub from: String,
    pub to: Option<String>,
}

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct InsuredBody {
    pub national_code: String,
    pub insurance_no: Option<String>,
    #[validate(length(min = 1, max = 100))]
    pub first_name: String,
    #[validate(length(min = 1, max = 100))]
    pub last_name: String,
    pub sex: Sex,
    pub birth_date: String,
    #[validate(email)]
    pub email: Option<String>,
    pub mobile: Option<String>,
    pub insurance_type: InsuranceType,
    #[serde(default)]
    pub special_disease: bool,
    #[serde(default)]
    pub supplementary: bool,
    pub main_national_code: Option<String>,
    pub relation: Option<Relation>,
    pub student_until: Option<String>,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub married: bool,
    #[serde(default)]
    pub employed: bool,
    #[serde(default)]
    pub coverage: Vec<CoverageBody>,
}

impl InsuredBody {
    fn into_input(self) -> AppResult<InsuredInput> {
        let mut errors = Vec::new();
        let mut err = |f: String, code: &str, m: String| errors.push(FieldError::new(f, code, m));
        let national_code = NationalCode::parse(&self.national_code)
            .map_err(|e| err("national_code".into(), "invalid", e.to_string()))
            .ok();
        let insurance_no = match self.insurance_no.as_deref() {
            None => None,
            Some(n) => parse_insurance_number(n)
                .map_err(|e| err("insurance_no".into(), "invalid", e.to_string()))
                .ok(),
        };
        let birth_date = parse_date(&self.birth_date)
            .map_err(|e| err("birth_date".into(), "invalid_date", e.to_string()))
            .ok();
        let mobile = self.mobile.as_deref().map(normalize_identifier);
        if let Some(m) = &mobile {
            if !(m.len() == 11 && m.starts_with("09") && m.bytes().all(|b| b.is_ascii_digit())) {
                err("mobile".into(), "format", "must be 11 digits starting with 09".into());
            }
        }
        let main_national_code = match self.main_national_code.as_deref() {
            None => None,
            Some(c) => NationalCode::parse(c)
                .map_err(|e| err("main_national_code".into(), "invalid", e.to_string()))
                .ok(),
        };
        let student_until = match self.student_until.as_deref() {
            None => None,
            Some(d) => {
                parse_date(d).map_err(|e| err("student_until".into(), "invalid_date", e.to_string())).ok()
            }
        };
        let mut coverage = Vec::new();
        for (i, c) in self.coverage.iter().enumerate() {
            let from = parse_date(&c.from)
                .map_err(|e| err(format!("coverage[{i}].from"), "invalid_date", e.to_string()))
                .ok();
            let to = match c.to.as_deref() {
                None => None,
                Some(t) => parse_date(t)
                    .map_err(|e| err(format!("coverage[{i}].to"), "invalid_date", e.to_string()))
                    .ok(),
            };
            if let Some(from) = from {
                coverage.push(Coverage { from, to });
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let (Some(national_code), Some(birth_date)) = (national_code, birth_date) else {
            return Err(AppError::internal("validated fields missing"));
        };
        Ok(InsuredInput {
            national_code,
            insurance_no,
            first_name: normalize_persian(&self.first_name),
            last_name: normalize_persian(&self.last_name),
            sex: self.sex,
            birth_date,
            email: self.email,
            mobile,
            insurance_type: self.insurance_type,
            special_disease: self.special_disease,
            supplementary: self.supplementary,
            main_national_code,
            relation: self.relation,
            student_until,
            disabled: self.disabled,
            married: self.married,
            employed: self.employed,
            coverage,
        })
    }
}

pub async fn create(
    state: web::Data<ServiceContext>,
    _admin: Require<Admins>,
    body: ApiJson<InsuredBody>,
) -> AppResult<HttpResponse> {
    let input = body.0.into_input()?;
    Ok(HttpResponse::Created().json(service::create(&state, input).await?))
}

fn code_from_path(code: &str) -> AppResult<NationalCode> {
    NationalCode::parse(code).map_err(|e| AppError::field("national_code", "invalid", e.to_string()))
}

pub async fn replace(
    state: web::Data<ServiceContext>,
    _admin: Require<Admins>,
    code: web::Path<String>,
    body: ApiJson<InsuredBody>,
) -> AppResult<HttpResponse> {
    let code = code_from_path(&code)?;
    let input = body.0.into_input()?;
    Ok(HttpResponse::Ok().json(service::replace(&state, code, input).await?))
}

pub async fn get(
    state: web::Data<ServiceContext>,
    caller: Caller,
    code: web::Path<String>,
) -> AppResult<HttpResponse> {
    if caller.role == crate::auth::Role::Provider {
        return Err(AppError::forbidden("providers may only ask about eligibility"));
    }
    let code = code_from_path(&code)?;
    Ok(HttpResponse::Ok().json(service::get(&state, caller, code).await?))
}

#[derive(Serialize)]
pub struct InsuredSummary {
    pub id: String,
    pub national_code: String,
    pub insurance_no: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub sex: String,
    pub birth_date: chrono::NaiveDate,
    pub insurance_type: String,
    pub relation: Option<String>,
}

impl From<InsuredRow> for InsuredSummary {
    fn from(r: InsuredRow) -> Self {
        Self {
            id: r.id,
            national_code: r.national_code,
            insurance_no: r.insurance_no,
            first_name: r.first_name,
            last_name: r.last_name,
            sex: r.sex,
            birth_date: r.birth_date,
            insurance_type: r.insurance_type,
            relation: r.relation,
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub national_code: Option<String>,
    pub insurance_no: Option<String>,
    pub name: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

pub async fn list(
    state: web::Data<ServiceContext>,
    caller: Caller,
    q: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let limit = page_limit(q.limit)?;
    let national_code = match q.national_code.as_deref() {
        None => None,
        Some(c) => Some(code_from_path(c)?.to_string()),
    };
    let rows = service::list(
        &state,
        caller,
        InsuredFilter {
            national_code,
            insurance_no: q.insurance_no.map(|n| normalize_identifier(&n)),
            name: q.name.map(|n| normalize_persian(&n)).filter(|n| !n.is_empty()),
            after: q.cursor,
            limit,
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(Page::<InsuredSummary>::from_rows(
        rows,
        limit,
        |r| r.id.clone(),
        InsuredSummary::from,
    )))
}

#[derive(Debug, Deserialize)]
pub struct DateQuery {
    pub date: Option<String>,
}

pub async fn eligibility(
    state: web::Data<ServiceContext>,
    caller: Caller,
    code: web::Path<String>,
    q: web::Query<DateQuery>,
) -> AppResult<HttpResponse> {
    let code = code_from_path(&code)?;
    let date = match q.into_inner().date {
        Some(d) => parse_date(&d).map_err(|e| AppError::field("date", "invalid_date", e.to_string()))?,
        None => state.today(),
    };
    Ok(HttpResponse::Ok().json(service::eligibility(&state, caller, code, date).await?))
}

/// `POST /api/v1/insured/import` with a CSV body (`text/csv`): bad rows are reported as
/// `line: field: message`, good rows are imported.
pub async fn import(
    state: web::Data<ServiceContext>,
    _admin: Require<Admins>,
    req: HttpRequest,
    crate::api::RawBody(body): crate::api::RawBody,
) -> AppResult<HttpResponse> {
    let ct = req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.starts_with("text/csv") {
        return Err(AppError::UnsupportedMediaType("send the file as Content-Type: text/csv".into()));
    }
    if body.len() > state.config.max_json_bytes {
        return Err(AppError::PayloadTooLarge(format!(
            "the file is larger than {} bytes; import large files with `asnad insured import`",
            state.config.max_json_bytes
        )));
    }
    let today = state.today();
    let report = state.db(move |conn| service::import_csv(conn, &body[..], today, |_, _| {})).await?;
    Ok(HttpResponse::Ok().json(report))
}
