//! What the provider-quality and work-accidents reports read besides the monthly aggregates.
//!
//! **No scan of `claims` or `claim_lines`.** The objections are counted in `report_objections`
//! (`store::reports::objections`); the small tables (review samples, "not received" flags) are
//! read by their own indexed office column (or whole), and the claims
//! they name are then read by primary key, a thousand ids a query ([`claim_keys`]) — never a
//! join that leaves the planner free to drive from the claims. The work-accident claims are
//! found through `claims_work_accident_month (work_accident, office_id, service_month)`.

use std::collections::BTreeMap;

use diesel::prelude::*;

use crate::db::schema::{
    claims, objections, offices, providers, review_decisions, review_sample_claims, review_samples,
    service_flags,
};
use crate::db::AnyConnection;
use crate::domain::record_ids::OfficeId;
use crate::store::reports::ReportFilter;

/// A provider as the quality report names and groups it.
#[derive(Clone, Debug, Queryable)]
pub struct ProviderFacts {
    pub id: String,
    pub name_fa: String,
    pub kind: String,
}

pub fn providers_of(conn: &mut AnyConnection, ids: &[String]) -> QueryResult<Vec<ProviderFacts>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(1000) {
        out.extend(
            providers::table
                .filter(providers::id.eq_any(chunk))
                .select((providers::id, providers::name_fa, providers::kind))
                .load::<ProviderFacts>(conn)?,
        );
    }
    Ok(out)
}

/// The claim's keys for a report: office, provider, service month, the payable now.
#[derive(Clone, Debug, Queryable)]
pub struct ClaimKeys {
    pub id: String,
    pub office_id: String,
    pub provider_id: String,
    pub service_month: String,
    pub insurer_payable: i64,
}

/// The claims `ids`, by primary key, a thousand a query.
pub fn claim_keys(conn: &mut AnyConnection, ids: &[String]) -> QueryResult<BTreeMap<String, ClaimKeys>> {
    let mut out = BTreeMap::new();
    for chunk in ids.chunks(1000) {
        let rows = claims::table
            .filter(claims::id.eq_any(chunk))
            .select((
                claims::id,
                claims::office_id,
                claims::provider_id,
                claims::service_month,
                claims::insurer_payable,
            ))
            .load::<ClaimKeys>(conn)?;
        out.extend(rows.into_iter().map(|r| (r.id.clone(), r)));
    }
    Ok(out)
}

/// Every objection: `(id, claim_id, status)`. Read whole by the reconciliation's recount of
/// `report_objections` (`services::reports::verify_conn`, `rebuild_conn`), never by the report.
pub fn objections(conn: &mut AnyConnection) -> QueryResult<Vec<(String, String, String)>> {
    objections::table.select((objections::id, objections::claim_id, objections::status)).load(conn)
}

/// The applied decisions that answered objections, of the claims `claim_ids` (through
/// `review_decisions_claim`): `(objection_id, payable_before, payable_after)`.
pub fn objection_decisions(
    conn: &mut AnyConnection,
    claim_ids: &[String],
) -> QueryResult<Vec<(String, i64, i64)>> {
    let mut out = Vec::new();
    for chunk in claim_ids.chunks(1000) {
        let rows: Vec<(Option<String>, i64, i64)> = review_decisions::table
            .filter(review_decisions::claim_id.eq_any(chunk))
            .filter(review_decisions::objection_id.is_not_null())
            .filter(review_decisions::status.eq("applied"))
            .select((
                review_decisions::objection_id,
                review_decisions::payable_before,
                review_decisions::payable_after,
            ))
            .load(conn)?;
        out.extend(rows.into_iter().filter_map(|(o, b, a)| o.map(|o| (o, b, a))));
    }
    Ok(out)
}

/// A review sample no longer open (closed, or extrapolated to the claims not drawn).
#[derive(Clone, Debug, Queryable)]
pub struct ClosedSample {
    pub id: String,
    pub office_id: String,
    pub provider_id: String,
    pub service_month: String,
}

/// The closed samples, of one office (through `review_samples_office`) or all.
pub fn closed_samples(conn: &mut AnyConnection, office: Option<&OfficeId>) -> QueryResult<Vec<ClosedSample>> {
    let mut q = review_samples::table.filter(review_samples::status.ne("open")).into_boxed();
    if let Some(o) = office {
        q = q.filter(review_samples::office_id.eq(o.as_str().to_string()));
    }
    q.select((
        review_samples::id,
        review_samples::office_id,
        review_samples::provider_id,
        review_samples::service_month,
    ))
    .load(conn)
}

/// The claims drawn for review in the samples `ids` (the primary key's prefix):
/// `(sample_id, claim_id, payable_at_sampling)`.
pub fn drawn_claims(conn: &mut AnyConnection, ids: &[String]) -> QueryResult<Vec<(String, String, i64)>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(1000) {
        out.extend(
            review_sample_claims::table
                .filter(review_sample_claims::sample_id.eq_any(chunk))
                .filter(review_sample_claims::selected.eq(true))
                .select((
                    review_sample_claims::sample_id,
                    review_sample_claims::claim_id,
                    review_sample_claims::payable_at_sampling,
                ))
                .load::<(String, String, i64)>(conn)?,
        );
    }
    Ok(out)
}

/// The insured persons' "not received" flags, of one office (through `service_flags_office`)
/// or all: `(office_id, provider_id, claim_id, resolved)`.
pub fn flags(
    conn: &mut AnyConnection,
    office: Option<&OfficeId>,
) -> QueryResult<Vec<(String, String, String, bool)>> {
    let mut q = service_flags::table.into_boxed();
    if let Some(o) = office {
        q = q.filter(service_flags::office_id.eq(o.as_str().to_string()));
    }
    let rows: Vec<(String, String, String, Option<chrono::NaiveDateTime>)> = q
        .select((
            service_flags::office_id,
            service_flags::provider_id,
            service_flags::claim_id,
            service_flags::resolved_at,
        ))
        .load(conn)?;
    Ok(rows.into_iter().map(|(o, p, c, r)| (o, p, c, r.is_some())).collect())
}

/// A work-accident claim as its report reads it.
#[derive(Clone, Debug, Queryable)]
pub struct AccidentClaim {
    pub employer_code: Option<String>,
    pub employer_name: Option<String>,
    pub service_month: String,
    pub status: String,
    pub billed: i64,
    pub insurer_payable: i64,
}

/// The claims marked as work accidents under the filter — the same selection as
/// `GET /api/v1/claims/work-accidents` (`store::claims::list` with `work_accident: true`), found
/// through `claims_work_accident_month`.
pub fn accident_claims(conn: &mut AnyConnection, f: &ReportFilter) -> QueryResult<Vec<AccidentClaim>> {
    let mut q = claims::table.filter(claims::work_accident.eq(true)).into_boxed();
    if let Some(p) = f.offices_of_province {
        q = q.filter(
            claims::office_id.eq_any(offices::table.filter(offices::province_id.eq(p)).select(offices::id)),
        );
    }
    if let Some(o) = &f.office_id {
        q = q.filter(claims::office_id.eq(o.clone()));
    }
    if let Some(p) = &f.provider_id {
        q = q.filter(claims::provider_id.eq(p.clone()));
    }
    if let Some(k) = &f.provider_kind {
        q = q.filter(
            claims::provider_id
                .eq_any(providers::table.filter(providers::kind.eq(k.clone())).select(providers::id)),
        );
    }
    if let Some(m) = &f.from_month {
        q = q.filter(claims::service_month.ge(m.clone()));
    }
    if let Some(m) = &f.to_month {
        q = q.filter(claims::service_month.le(m.clone()));
    }
    q.select((
        claims::employer_code,
        claims::employer_name,
        claims::service_month,
        claims::status,
        claims::billed,
        claims::insurer_payable,
    ))
    .load(conn)
}
