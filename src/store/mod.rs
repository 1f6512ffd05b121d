//! Diesel queries, one module per aggregate. Every function takes `&mut AnyConnection` and
//! returns `QueryResult`, so the calling service decides the transaction.

pub mod attachments;
pub mod audit;
pub mod batches;
pub mod budgets;
pub mod changes;
pub mod claims;
pub mod deferred;
pub mod insured;
pub mod offices;
pub mod outbox;
pub mod preauth;
pub mod providers;
pub mod reimbursements;
pub mod report_quality;
pub mod reports;
pub mod review;
pub mod sampling;
pub mod scope;
pub mod service_flags;
pub mod settlements;
pub mod tariffs;
pub mod text_sql;
pub mod tokens;
pub mod users;

/// The wall clock: now, UTC, truncated to microseconds (what both backends store). For the
/// audit trail, the outbox and administrative bookkeeping only; business rules and the
/// timestamps they count from take the service clock (`clock::Clock`, `ServiceContext::now`).
pub fn now() -> chrono::NaiveDateTime {
    use chrono::{SubsecRound, Utc};
    Utc::now().naive_utc().trunc_subsecs(6)
}
