//! Diesel queries, one module per aggregate. Every function takes `&mut AnyConnection` and
//! returns `QueryResult`, so the calling service decides the transaction.

/// Inserts many rows of one table at once (a bulk path): on PostgreSQL by `COPY … FROM STDIN`
/// in the binary format (diesel's `copy_from`), which skips the per-row parse and plan of an
/// `INSERT`; on SQLite by multi-row inserts of at most `$sqlite_chunk` rows (under its
/// bind-parameter limit). Both through the inner connection: neither is available on the
/// MultiConnection backend. The rows' Insertable must say `treat_none_as_default_value = false`
/// (COPY has no DEFAULT).
macro_rules! bulk_insert {
    ($conn:expr, $table:expr, $rows:expr, $sqlite_chunk:expr) => {{
        let rows = $rows;
        if !rows.is_empty() {
            match $conn {
                $crate::db::AnyConnection::Postgresql(c) => {
                    diesel::copy_from($table).from_insertable(rows).execute(c)?;
                }
                $crate::db::AnyConnection::Sqlite(c) => {
                    for chunk in rows.chunks($sqlite_chunk) {
                        diesel::insert_into($table).values(chunk).execute(c)?;
                    }
                }
            }
        }
    }};
}
pub(crate) use bulk_insert;

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
