//! The claim document as providers send it (سند): one visit, one prescription, one inpatient
//! stay. The same type reads a single `POST /api/v1/claims` and each document of a monthly list
//! (stored as sent and adjudicated later by the worker), so both go through one set of checks.

use rust_decimal::Decimal;
use serde::Deserialize;
use validator::Validate;

use crate::domain::adjudication::{Claim, ClaimKind, ClaimLine, Setting};
use crate::domain::ids::NationalCode;
use crate::domain::jalali::parse_date;
use crate::domain::money::Rial;
use crate::domain::pricing::ItemType;
use crate::domain::text::normalize_identifier;
use crate::error::{AppError, AppResult, FieldError};
use crate::services::claims::{Submission, WorkAccident};

/// A work accident (حادثه ناشی از کار): the cost is recovered from the employer (Art. 66).
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = WorkAccidentInput)]
pub struct WorkAccidentBody {
    /// The accident report's number (گزارش حادثه ناشی از کار).
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub report_no: String,
    /// The employer's code (کد کارگاه) the cost is recovered from.
    #[validate(length(min = 1, max = 32))]
    #[schema(min_length = 1, max_length = 32)]
    pub employer_code: String,
    #[validate(length(max = 300))]
    #[schema(max_length = 300)]
    pub employer_name: Option<String>,
}

/// A line of a claim as sent.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ClaimLineInput)]
pub struct LineBody {
    /// Unique within the claim.
    #[validate(range(min = 1, max = 100000))]
    #[schema(minimum = 1, maximum = 100000)]
    pub line_no: u32,
    pub item_type: ItemType,
    /// The tariff code of the service, drug or device.
    #[validate(length(min = 1, max = 32))]
    #[schema(min_length = 1, max_length = 32)]
    pub code: String,
    /// More than 0, at most 100000, at most 3 decimals; a decimal written as a string.
    #[serde(deserialize_with = "crate::domain::money::plain_decimal::required")]
    #[schema(schema_with = crate::domain::money::plain_decimal::schema::quantity)]
    pub quantity: Decimal,
    /// Gregorian `YYYY-MM-DD` or Jalali (`1403-07-15`); not in the future.
    #[schema(pattern = "^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub service_date: String,
    /// Rials.
    #[validate(range(min = 0, max = 1_000_000_000_000i64))]
    #[schema(minimum = 0, maximum = 1000000000000.0)]
    pub billed_amount: i64,
    /// Rials.
    #[validate(range(min = 0, max = 1_000_000_000_000i64))]
    #[schema(minimum = 0, maximum = 1000000000000.0)]
    pub unit_price: Option<i64>,
    /// Anaesthesia units (0–1000); a decimal written as a string.
    #[serde(default, deserialize_with = "crate::domain::money::plain_decimal::optional")]
    #[schema(schema_with = crate::domain::money::plain_decimal::schema::units_or_null)]
    pub anesthesia_units: Option<Decimal>,
    /// A physician's order for a one- or two-bed room.
    #[serde(default)]
    pub medical_order: bool,
    #[validate(length(min = 1, max = 16))]
    #[schema(min_length = 1, max_length = 16)]
    pub physician_council_no: Option<String>,
    /// An approved pre-authorization (تأیید قبلی) for the line's code.
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub preauthorization_id: Option<String>,
}

/// The claim as a provider sends it (one document: a visit, a prescription, an inpatient stay…).
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ClaimInput)]
pub struct ClaimBody {
    /// The provider's own number for the document, unique per provider: a resend answers with
    /// the first claim.
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub provider_document_no: String,
    pub setting: Setting,
    pub kind: ClaimKind,
    /// The insured person's national code (کد ملی): 10 digits (8 or 9 are left-padded with
    /// zeros), mod-11 checked.
    #[schema(pattern = "^[0-9]{8,10}$")]
    pub insured_national_code: String,
    #[validate(length(min = 1, max = 32))]
    #[schema(min_length = 1, max_length = 32)]
    pub prescription_tracking_code: Option<String>,
    /// Gregorian `YYYY-MM-DD` or Jalali (`1403-07-15`).
    #[schema(pattern = "^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub prescribed_on: Option<String>,
    #[validate(length(min = 1, max = 16))]
    #[schema(min_length = 1, max_length = 16)]
    pub physician_council_no: Option<String>,
    #[serde(default)]
    #[schema(schema_with = diagnoses_schema)]
    pub diagnoses: Vec<String>,
    /// Gregorian `YYYY-MM-DD` or Jalali (`1403-07-15`); required for an inpatient claim.
    #[schema(pattern = "^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub admitted_on: Option<String>,
    /// Gregorian `YYYY-MM-DD` or Jalali (`1403-07-15`); not before `admitted_on`.
    #[schema(pattern = "^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub discharged_on: Option<String>,
    #[validate(nested)]
    pub work_accident: Option<WorkAccidentBody>,
    /// 1 to 500 lines with distinct line numbers.
    #[validate(nested)]
    #[schema(min_items = 1, max_items = 500)]
    pub lines: Vec<LineBody>,
}

/// `diagnoses`: at most 20 ICD-10 codes, each 3 to 8 characters starting with a capital letter.
fn diagnoses_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    ArrayBuilder::new()
        .items(ObjectBuilder::new().schema_type(Type::String).pattern(Some("^[A-Z][A-Za-z0-9.]{2,7}$")))
        .max_items(Some(20))
        .description(Some("ICD-10 codes like `J06.9`, at most 20."))
        .build()
}

impl ClaimBody {
    /// Field-by-field checks serde and validator cannot make; every problem is named.
    pub fn into_submission(self, today: chrono::NaiveDate) -> AppResult<Submission> {
        let mut errors: Vec<FieldError> = Vec::new();
        let date = |field: String, v: &str, errors: &mut Vec<FieldError>| match parse_date(v) {
            Ok(d) => Some(d),
            Err(e) => {
                errors.push(FieldError::new(field, "invalid_date", e.to_string()));
                None
            }
        };
        let national_code = match NationalCode::parse(&self.insured_national_code) {
            Ok(c) => c.to_string(),
            Err(e) => {
                errors.push(FieldError::new("insured_national_code", "invalid", e.to_string()));
                String::new()
            }
        };
        let prescribed_on =
            self.prescribed_on.as_deref().and_then(|v| date("prescribed_on".into(), v, &mut errors));
        let admitted_on =
            self.admitted_on.as_deref().and_then(|v| date("admitted_on".into(), v, &mut errors));
        let discharged_on =
            self.discharged_on.as_deref().and_then(|v| date("discharged_on".into(), v, &mut errors));
        if let (Some(a), Some(d)) = (admitted_on, discharged_on) {
            if d < a {
                errors.push(FieldError::new(
                    "discharged_on",
                    "before_admission",
                    "must not be before admitted_on",
                ));
            }
        }
        if self.setting == Setting::Inpatient && admitted_on.is_none() {
            errors.push(FieldError::new("admitted_on", "required", "is required for an inpatient claim"));
        }
        if self.diagnoses.len() > 20 {
            errors.push(FieldError::new("diagnoses", "length", "at most 20 diagnoses"));
        }
        for (i, dx) in self.diagnoses.iter().enumerate() {
            let ok = (3..=8).contains(&dx.len()) && dx.chars().next().is_some_and(|c| c.is_ascii_uppercase());
            if !ok {
                errors.push(FieldError::new(
                    format!("diagnoses[{i}]"),
                    "icd10",
                    "must be an ICD-10 code like J06.9",
                ));
            }
        }
        if self.lines.is_empty() || self.lines.len() > 500 {
            errors.push(FieldError::new("lines", "length", "must have between 1 and 500 lines"));
        }
        let mut lines = Vec::with_capacity(self.lines.len());
        for (i, l) in self.lines.iter().enumerate() {
            let service_date = date(format!("lines[{i}].service_date"), &l.service_date, &mut errors);
            if service_date.is_some_and(|d| d > today) {
                errors.push(FieldError::new(
                    format!("lines[{i}].service_date"),
                    "future",
                    "must not be in the future",
                ));
            }
            let repeated = self.lines[..i].iter().any(|o| o.line_no == l.line_no);
            check_line_amounts(i, l.quantity, l.anesthesia_units, repeated, &mut errors);
            if let Some(d) = service_date {
                lines.push(ClaimLine {
                    line_no: l.line_no,
                    item_type: l.item_type,
                    code: normalize_identifier(&l.code),
                    quantity: l.quantity,
                    service_date: d,
                    billed: Rial(l.billed_amount),
                    unit_price: l.unit_price.map(Rial),
                    anesthesia_units: l.anesthesia_units.unwrap_or_default(),
                    medical_order: l.medical_order,
                    physician_council_no: l.physician_council_no.as_deref().map(normalize_identifier),
                    preauthorization_id: l.preauthorization_id.clone().map(Into::into),
                });
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        Ok(Submission {
            provider_document_no: normalize_identifier(&self.provider_document_no),
            insured_national_code: national_code,
            prescription_tracking_code: self.prescription_tracking_code.as_deref().map(normalize_identifier),
            diagnoses: self.diagnoses,
            work_accident: self.work_accident.map(|w| WorkAccident {
                report_no: normalize_identifier(&w.report_no),
                employer_code: normalize_identifier(&w.employer_code),
                employer_name: w.employer_name,
            }),
            claim: Claim {
                setting: self.setting,
                kind: self.kind,
                submitted_on: today,
                prescribed_on,
                physician_council_no: self.physician_council_no.as_deref().map(normalize_identifier),
                admitted_on,
                discharged_on,
                lines,
            },
        })
    }
}

/// A document of a monthly list, parsed and validated like a single POST.
pub fn parse_document(bytes: &[u8], today: chrono::NaiveDate) -> AppResult<Submission> {
    let body: ClaimBody = crate::input::parse_json(bytes)?;
    body.validate()?;
    body.into_submission(today)
}

/// The checks every priced line shares, a claim's as a quote's: quantity (more than 0, at most
/// 100,000, three decimals), anaesthesia units (0–1000) and a line number not `repeated` from
/// an earlier line. Each problem is pushed with its field path.
pub fn check_line_amounts(
    i: usize,
    quantity: Decimal,
    anesthesia_units: Option<Decimal>,
    repeated: bool,
    errors: &mut Vec<FieldError>,
) {
    if quantity <= Decimal::ZERO || quantity.scale() > 3 || quantity > Decimal::from(100_000) {
        errors.push(FieldError::new(
            format!("lines[{i}].quantity"),
            "range",
            "must be greater than 0, at most 100000, with at most 3 decimals",
        ));
    }
    if anesthesia_units.is_some_and(|u| u < Decimal::ZERO || u > Decimal::from(1000)) {
        errors.push(FieldError::new(
            format!("lines[{i}].anesthesia_units"),
            "range",
            "must be between 0 and 1000",
        ));
    }
    if repeated {
        errors.push(FieldError::new(
            format!("lines[{i}].line_no"),
            "duplicate",
            "line numbers must be unique",
        ));
    }
}
