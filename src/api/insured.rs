//! `/api/v1/insured`: insured persons, eligibility, bulk import.

use crate::domain::record_ids::InsuredId;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::api::openapi::responses;
use crate::api::{page_limit, ApiJson, Page};
use crate::auth::{Admins, Caller, Require};
use crate::context::ServiceContext;
use crate::domain::eligibility::{Coverage, InsuranceType, Relation, Sex};
use crate::domain::ids::{parse_insurance_number, NationalCode};
use crate::domain::jalali::parse_date;
use crate::domain::text::{normalize_identifier, normalize_persian};
use crate::error::{AppError, AppResult, FieldError};
use crate::services::insured::{self as service, EligibilityView, ImportReport, InsuredInput, InsuredView};
use crate::store::insured::{InsuredFilter, InsuredRow};

/// This module's part of the contract (see `api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, create, import, get, replace, eligibility))]
pub struct Api;

/// A coverage period, `to` inclusive.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[schema(as = CoveragePeriodInput)]
#[serde(deny_unknown_fields)]
pub struct CoverageBody {
    /// Gregorian `2024-10-06` or Jalali `1403-07-15`.
    #[schema(pattern = r"^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub from: String,
    /// Gregorian or Jalali, not before `from`; null or absent: open-ended.
    #[schema(pattern = r"^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub to: Option<String>,
}

/// The body of POST and PUT: the whole record of an insured person or dependant.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[schema(as = InsuredInput)]
#[serde(deny_unknown_fields)]
pub struct InsuredBody {
    /// 10 digits with a mod-11 check digit (8 or 9 digits are left-padded with zeros; Persian
    /// digits are accepted).
    #[schema(pattern = r"^[0-9]{8,10}$", example = "0012345679")]
    pub national_code: String,
    /// The 8-digit insurance number; required for a main insured person.
    #[schema(pattern = r"^[0-9]{8}$")]
    pub insurance_no: Option<String>,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub first_name: String,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub last_name: String,
    pub sex: Sex,
    /// Gregorian `1980-01-01` or Jalali `1358-10-11`; not in the future.
    #[schema(pattern = r"^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub birth_date: String,
    #[validate(email)]
    #[schema(format = Email)]
    pub email: Option<String>,
    /// 11 digits starting with 09.
    #[schema(pattern = r"^09[0-9]{9}$")]
    pub mobile: Option<String>,
    pub insurance_type: InsuranceType,
    #[serde(default)]
    pub special_disease: bool,
    #[serde(default)]
    pub supplementary: bool,
    /// For a dependant: the national code of their main insured (who is not a dependant).
    #[schema(pattern = r"^[0-9]{8,10}$")]
    pub main_national_code: Option<String>,
    /// For a dependant, required with `main_national_code`.
    pub relation: Option<Relation>,
    /// A student child's studies end (Gregorian or Jalali).
    #[schema(pattern = r"^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub student_until: Option<String>,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub married: bool,
    #[serde(default)]
    pub employed: bool,
    /// A main insured person's coverage periods, each start date once; a dependant has none
    /// (they share the main insured's).
    #[serde(default)]
    pub coverage: Vec<CoverageBody>,
}

impl InsuredBody {
    pub(crate) fn into_input(self) -> AppResult<InsuredInput> {
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

/// Register an insured person or dependant (admin).
#[utoipa::path(post, path = "/api/v1/insured", tag = "insured", request_body = InsuredBody,
    responses((status = 201, description = "Created.", body = InsuredView), (status = 409, response = responses::Conflict)))]
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

/// Replace an insured person's record and coverage periods (admin).
#[utoipa::path(put, path = "/api/v1/insured/{national_code}", tag = "insured", params(NationalCodePath),
    request_body = InsuredBody,
    responses((status = 200, description = "The record.", body = InsuredView), (status = 409, response = responses::Conflict)))]
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

/// One insured person (staff, or the person and their main insured).
#[utoipa::path(get, path = "/api/v1/insured/{national_code}", tag = "insured", params(NationalCodePath),
    responses((status = 200, description = "The record with coverage periods and dependants.", body = InsuredView),
        (status = 422, response = responses::ValidationFailed)))]
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

/// An insured person as a search lists them.
#[derive(Serialize, utoipa::ToSchema)]
pub struct InsuredSummary {
    pub id: InsuredId,
    #[schema(pattern = r"^[0-9]{10}$")]
    pub national_code: String,
    #[schema(pattern = r"^[0-9]{8}$")]
    pub insurance_no: Option<String>,
    pub first_name: String,
    pub last_name: String,
    #[schema(value_type = Sex)]
    pub sex: String,
    pub birth_date: chrono::NaiveDate,
    #[schema(value_type = InsuranceType)]
    pub insurance_type: String,
    /// A dependant's relation to their main insured; null for a main insured person.
    #[schema(value_type = Option<Relation>)]
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

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Exactly this national code (checked like a national code in a body).
    #[param(pattern = r"^[0-9]{8,10}$")]
    pub national_code: Option<String>,
    /// Exactly this insurance number.
    pub insurance_no: Option<String>,
    /// The start of the last name, or of "first last".
    pub name: Option<String>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// `{national_code}` of an insured person.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // documentation only: the handlers read `web::Path<String>`
pub struct NationalCodePath {
    /// 10 digits with a mod-11 check digit (8 or 9 digits are left-padded with zeros; Persian
    /// digits are accepted). An invalid code is a 422.
    #[param(pattern = r"^[0-9]{8,10}$", example = "0012345679")]
    pub national_code: String,
}

/// Search insured persons (staff) by national code, insurance number or name prefix.
#[utoipa::path(get, path = "/api/v1/insured", tag = "insured", params(ListQuery),
    responses((status = 200, description = "A page of insured persons.", body = Page<InsuredSummary>)))]
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
        |r| r.id.to_string(),
        InsuredSummary::from,
    )))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DateQuery {
    /// Gregorian `2024-10-06` or Jalali `1403-07-15`; default today.
    #[param(pattern = r"^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub date: Option<String>,
}

/// Eligibility for treatment (استحقاق درمان) on a date, with the rule, its source and the exemptions.
///
/// Providers may ask; the answer carries no personal data beyond eligibility. An insured
/// person may ask only about themselves and their dependants. A national code the Organization
/// does not know is a 404 (R01).
#[utoipa::path(get, path = "/api/v1/insured/{national_code}/eligibility", tag = "insured",
    params(NationalCodePath, DateQuery),
    responses((status = 200, description = "The decision.", body = EligibilityView)))]
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

/// Bulk import from CSV (admin); bad rows are reported, good rows imported; idempotent.
///
/// The header must be exactly: national_code, insurance_no, first_name, last_name, sex,
/// birth_date, insurance_type, special_disease, supplementary, coverage_from, coverage_to,
/// email, mobile, main_national_code, relation, student_until, disabled, married, employed.
/// Bad rows are reported as `line: field: message` and skipped; an unchanged row changes
/// nothing, a changed row is updated, a coverage period is added once. For files larger than
/// ASNAD_MAX_JSON_BYTES use `asnad insured import FILE`.
#[utoipa::path(post, path = "/api/v1/insured/import", tag = "insured",
    request_body(content = String, content_type = "text/csv", description = "The CSV file, with its header line."),
    responses((status = 200, description = "The import report.", body = ImportReport)))]
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
    let report = service::import(&state, body.to_vec()).await?;
    Ok(HttpResponse::Ok().json(report))
}
