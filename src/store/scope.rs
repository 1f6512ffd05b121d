//! A caller's [`Scope`] as a SQL condition on each table that holds tenant records: every get and
//! list of those records filters by it, so what a caller may not see never leaves the database
//! (and is answered 404 like a record that does not exist).
//!
//! Each function states, for its table, which columns carry the record's office, provider and
//! insured person. A province scope reaches the records of the province's offices.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Bool;

use crate::auth::Scope;
use crate::db::schema::{
    advances, claim_batches, claims, insured_persons, offices, preauthorizations, providers, reimbursements,
    review_samples, settlements,
};
use crate::db::AnyConnection;
use crate::domain::record_ids::InsuredId;

/// The backend of `AnyConnection` (what boxed queries are built for).
pub type Db = <AnyConnection as diesel::Connection>::Backend;

/// A boxed condition on `T`'s rows.
pub type Condition<T> = Box<dyn BoxableExpression<T, Db, SqlType = Bool>>;

fn always<T: 'static>() -> Condition<T> {
    Box::new(sql::<Bool>("1 = 1"))
}

fn never<T: 'static>() -> Condition<T> {
    Box::new(sql::<Bool>("1 = 0"))
}

/// The ids of a province's offices, as a subquery.
macro_rules! offices_of {
    ($province:expr) => {
        offices::table.filter(offices::province_id.eq($province)).select(offices::id)
    };
}

/// Claims: by office and provider. An insured person reads their family's claims through the
/// portal's own condition, [`insured_family_claims`], not this scope: the routes that read a
/// claim through it (history with reviewers' names and notes, objections, attaching documents)
/// were made for staff and providers.
pub fn claims(scope: &Scope) -> Condition<claims::table> {
    match scope {
        Scope::All => always(),
        Scope::Province(p) => Box::new(claims::office_id.eq_any(offices_of!(*p))),
        Scope::Office(o) => Box::new(claims::office_id.eq(o.clone())),
        Scope::Provider(p) => Box::new(claims::provider_id.eq(p.clone())),
        Scope::Insured(_) | Scope::Nothing => never(),
    }
}

/// The claims billed in an insured person's name and in their dependants' (the family as
/// `services::insured` reads it: a main insured reads their dependants' records, a dependant
/// only their own) — the insured's portal (`services::portal`).
pub fn insured_family_claims(insured: &InsuredId) -> Condition<claims::table> {
    let dependants = insured_persons::table
        .filter(insured_persons::main_insured_id.eq(insured.clone()))
        .select(insured_persons::id);
    Box::new(
        claims::insured_id
            .assume_not_null()
            .eq(insured.clone())
            .or(claims::insured_id.assume_not_null().eq_any(dependants)),
    )
}

/// Providers: by the office that reviews them, and a provider's own record.
pub fn providers(scope: &Scope) -> Condition<providers::table> {
    match scope {
        Scope::All => always(),
        Scope::Province(p) => Box::new(providers::province_id.eq(*p)),
        Scope::Office(o) => Box::new(providers::office_id.eq(o.clone())),
        Scope::Provider(p) => Box::new(providers::id.eq(p.clone())),
        Scope::Insured(_) | Scope::Nothing => never(),
    }
}

/// Monthly lists: by their provider (an office's lists are its providers').
pub fn claim_batches(scope: &Scope) -> Condition<claim_batches::table> {
    match scope {
        Scope::All => always(),
        Scope::Province(p) => Box::new(
            claim_batches::provider_id
                .eq_any(providers::table.filter(providers::province_id.eq(*p)).select(providers::id)),
        ),
        Scope::Office(o) => Box::new(
            claim_batches::provider_id
                .eq_any(providers::table.filter(providers::office_id.eq(o.clone())).select(providers::id)),
        ),
        Scope::Provider(p) => Box::new(claim_batches::provider_id.eq(p.clone())),
        Scope::Insured(_) | Scope::Nothing => never(),
    }
}

/// Settlements: by office and provider.
pub fn settlements(scope: &Scope) -> Condition<settlements::table> {
    match scope {
        Scope::All => always(),
        Scope::Province(p) => Box::new(settlements::office_id.eq_any(offices_of!(*p))),
        Scope::Office(o) => Box::new(settlements::office_id.eq(o.clone())),
        Scope::Provider(p) => Box::new(settlements::provider_id.eq(p.clone())),
        Scope::Insured(_) | Scope::Nothing => never(),
    }
}

/// Advances: by office and provider.
pub fn advances(scope: &Scope) -> Condition<advances::table> {
    match scope {
        Scope::All => always(),
        Scope::Province(p) => Box::new(advances::office_id.eq_any(offices_of!(*p))),
        Scope::Office(o) => Box::new(advances::office_id.eq(o.clone())),
        Scope::Provider(p) => Box::new(advances::provider_id.eq(p.clone())),
        Scope::Insured(_) | Scope::Nothing => never(),
    }
}

/// Pre-authorizations: by office, provider and the insured person they are about.
pub fn preauthorizations(scope: &Scope) -> Condition<preauthorizations::table> {
    match scope {
        Scope::All => always(),
        Scope::Province(p) => Box::new(preauthorizations::office_id.eq_any(offices_of!(*p))),
        Scope::Office(o) => Box::new(preauthorizations::office_id.eq(o.clone())),
        Scope::Provider(p) => Box::new(preauthorizations::provider_id.eq(p.clone())),
        Scope::Insured(i) => Box::new(preauthorizations::insured_id.eq(i.clone())),
        Scope::Nothing => never(),
    }
}

/// Reimbursements: by office, and for an insured person the requests they filed (as the main
/// insured) or that are about them.
pub fn reimbursements(scope: &Scope) -> Condition<reimbursements::table> {
    match scope {
        Scope::All => always(),
        Scope::Province(p) => Box::new(reimbursements::office_id.eq_any(offices_of!(*p))),
        Scope::Office(o) => Box::new(reimbursements::office_id.eq(o.clone())),
        Scope::Insured(i) => Box::new(
            reimbursements::insured_id.eq(i.clone()).or(reimbursements::main_insured_id.eq(i.clone())),
        ),
        Scope::Provider(_) | Scope::Nothing => never(),
    }
}

/// Review samples (نمونه‌گیری): by the office that draws them and the provider sampled.
pub fn review_samples(scope: &Scope) -> Condition<review_samples::table> {
    match scope {
        Scope::All => always(),
        Scope::Province(p) => Box::new(review_samples::office_id.eq_any(offices_of!(*p))),
        Scope::Office(o) => Box::new(review_samples::office_id.eq(o.clone())),
        Scope::Provider(p) => Box::new(review_samples::provider_id.eq(p.clone())),
        Scope::Insured(_) | Scope::Nothing => never(),
    }
}

/// Approved budgets (بودجهٔ مصوب): an office's staff read their office's; a province reads its
/// own and its offices'. Nobody outside the Organization reads budgets.
pub fn budgets(scope: &Scope) -> Condition<crate::db::schema::budgets::table> {
    use crate::db::schema::budgets;
    match scope {
        Scope::All => always(),
        Scope::Province(p) => Box::new(
            budgets::province_id
                .eq(*p)
                .assume_not_null()
                .or(budgets::office_id.assume_not_null().eq_any(offices_of!(*p))),
        ),
        Scope::Office(o) => Box::new(budgets::office_id.eq(o.clone()).assume_not_null()),
        Scope::Provider(_) | Scope::Insured(_) | Scope::Nothing => never(),
    }
}
