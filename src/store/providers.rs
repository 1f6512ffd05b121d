//! Providers and their contracts.

use crate::domain::record_ids::{ContractEventId, ContractId, OfficeId, ProviderId};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::auth::Scope;
use crate::db::schema::{contract_events, contract_versions, contracts, providers};
use crate::db::AnyConnection;

#[derive(
    Clone, Debug, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize, utoipa::ToSchema,
)]
#[diesel(table_name = providers, treat_none_as_null = true)]
pub struct ProviderRow {
    pub id: ProviderId,
    pub name_fa: String,
    pub name_en: Option<String>,
    pub kind: String,
    pub sector: String,
    pub hospital_grade: Option<i32>,
    pub sso_owned: bool,
    pub province_id: i32,
    pub office_id: OfficeId,
    pub legal_national_id: Option<String>,
    pub medical_council_no: Option<String>,
    pub physician_degree: Option<String>,
    pub sheba: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert_provider(conn: &mut AnyConnection, row: &ProviderRow) -> QueryResult<()> {
    crate::store::changes::changed();
    diesel::insert_into(providers::table).values(row).execute(conn).map(|_| ())
}

pub fn update_provider(conn: &mut AnyConnection, row: &ProviderRow) -> QueryResult<usize> {
    crate::store::changes::changed();
    let n = diesel::update(providers::table.find(&row.id)).set(row).execute(conn)?;
    // The turnaround histogram by provider copies the kind (store::reports).
    crate::store::reports::provider_kind_changed(conn, row.id.as_str(), &row.kind)?;
    Ok(n)
}

/// A provider by id, whoever asks (system work; re-reads after [`find_provider_in`]).
pub fn find_provider(conn: &mut AnyConnection, id: &ProviderId) -> QueryResult<Option<ProviderRow>> {
    providers::table.find(id).select(ProviderRow::as_select()).first(conn).optional()
}

/// A provider by id if it is in `scope` (else `None`, answered 404).
pub fn find_provider_in(
    conn: &mut AnyConnection,
    scope: &Scope,
    id: &ProviderId,
) -> QueryResult<Option<ProviderRow>> {
    providers::table
        .find(id)
        .filter(crate::store::scope::providers(scope))
        .select(ProviderRow::as_select())
        .first(conn)
        .optional()
}

/// Another provider with the same legal identifier, if any.
pub fn find_by_identifier(
    conn: &mut AnyConnection,
    legal_national_id: Option<&str>,
    medical_council_no: Option<&str>,
) -> QueryResult<Option<ProviderRow>> {
    let mut q = providers::table.select(ProviderRow::as_select()).into_boxed();
    match (legal_national_id, medical_council_no) {
        (Some(n), Some(m)) => {
            q = q.filter(
                providers::legal_national_id
                    .eq(n.to_string())
                    .or(providers::medical_council_no.eq(m.to_string())),
            )
        }
        (Some(n), None) => q = q.filter(providers::legal_national_id.eq(n.to_string())),
        (None, Some(m)) => q = q.filter(providers::medical_council_no.eq(m.to_string())),
        (None, None) => return Ok(None),
    }
    q.first(conn).optional()
}

#[derive(Debug, Default)]
pub struct ProviderFilter {
    /// Whose providers: the caller's scope (the default, `Nothing`, lists none).
    pub scope: Scope,
    pub office_id: Option<OfficeId>,
    pub province_id: Option<i32>,
    pub kind: Option<String>,
    pub q: Option<String>,
    pub after: Option<String>,
    pub limit: i64,
}

pub fn list_providers(conn: &mut AnyConnection, f: &ProviderFilter) -> QueryResult<Vec<ProviderRow>> {
    let mut q = providers::table
        .select(ProviderRow::as_select())
        .filter(crate::store::scope::providers(&f.scope))
        .order(providers::id.asc())
        .into_boxed();
    if let Some(o) = &f.office_id {
        q = q.filter(providers::office_id.eq(o.clone()));
    }
    if let Some(p) = f.province_id {
        q = q.filter(providers::province_id.eq(p));
    }
    if let Some(k) = &f.kind {
        q = q.filter(providers::kind.eq(k.clone()));
    }
    if let Some(text) = &f.q {
        q = q.filter(
            providers::name_fa.like(format!("%{text}%")).or(providers::name_en.like(format!("%{text}%"))),
        );
    }
    if let Some(a) = &f.after {
        q = q.filter(providers::id.gt(a.clone()));
    }
    q.limit(f.limit).load(conn)
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = contracts)]
pub struct ContractRow {
    pub id: ContractId,
    pub number: String,
    pub provider_id: ProviderId,
    pub office_id: OfficeId,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = contract_versions)]
pub struct VersionRow {
    pub contract_id: ContractId,
    pub version: i32,
    pub effective_from: NaiveDate,
    pub terms: String,
    pub note: Option<String>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = contract_events)]
pub struct EventRow {
    pub id: ContractEventId,
    pub contract_id: ContractId,
    pub action: String,
    pub status_after: String,
    pub effective_on: NaiveDate,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub actor: String,
    pub created_at: NaiveDateTime,
}

pub fn insert_contract(conn: &mut AnyConnection, c: &ContractRow, v: &VersionRow) -> QueryResult<()> {
    crate::store::changes::changed();
    diesel::insert_into(contracts::table).values(c).execute(conn)?;
    diesel::insert_into(contract_versions::table).values(v).execute(conn)?;
    Ok(())
}

pub fn find_contract(conn: &mut AnyConnection, id: &ContractId) -> QueryResult<Option<ContractRow>> {
    contracts::table.find(id).select(ContractRow::as_select()).first(conn).optional()
}

pub fn find_contract_by_number(conn: &mut AnyConnection, number: &str) -> QueryResult<Option<ContractRow>> {
    contracts::table
        .filter(contracts::number.eq(number))
        .select(ContractRow::as_select())
        .first(conn)
        .optional()
}

pub fn provider_contracts(
    conn: &mut AnyConnection,
    provider_id: &ProviderId,
) -> QueryResult<Vec<ContractRow>> {
    contracts::table
        .filter(contracts::provider_id.eq(provider_id))
        .select(ContractRow::as_select())
        .order(contracts::valid_from.asc())
        .load(conn)
}

pub fn versions(conn: &mut AnyConnection, contract_id: &ContractId) -> QueryResult<Vec<VersionRow>> {
    contract_versions::table
        .filter(contract_versions::contract_id.eq(contract_id))
        .select(VersionRow::as_select())
        .order(contract_versions::version.asc())
        .load(conn)
}

pub fn insert_version(conn: &mut AnyConnection, v: &VersionRow) -> QueryResult<()> {
    crate::store::changes::changed();
    diesel::insert_into(contract_versions::table).values(v).execute(conn).map(|_| ())
}

pub fn events(conn: &mut AnyConnection, contract_id: &ContractId) -> QueryResult<Vec<EventRow>> {
    contract_events::table
        .filter(contract_events::contract_id.eq(contract_id))
        .select(EventRow::as_select())
        .order(contract_events::id.asc())
        .load(conn)
}

pub fn insert_event(conn: &mut AnyConnection, e: &EventRow, now: NaiveDateTime) -> QueryResult<()> {
    crate::store::changes::changed();
    diesel::insert_into(contract_events::table).values(e).execute(conn)?;
    diesel::update(contracts::table.find(&e.contract_id))
        .set((contracts::status.eq(&e.status_after), contracts::updated_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

/// The Persian names of the given providers, in one query per thousand ids (SQLite's limit on
/// bound values) instead of one per provider.
pub fn names_of(conn: &mut AnyConnection, ids: &[ProviderId]) -> QueryResult<Vec<(ProviderId, String)>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(1000) {
        out.extend(
            providers::table
                .filter(providers::id.eq_any(chunk))
                .select((providers::id, providers::name_fa))
                .load::<(ProviderId, String)>(conn)?,
        );
    }
    Ok(out)
}
