//! The one write path (مسیر نوشتن): every use case that changes data hands its unit of work to
//! [`Writer::write`] and is answered only once that work is committed.
//!
//! The writer owns the choice the use cases must not make:
//! - **In the server** the unit of work goes to the group-committing writer thread
//!   ([`super::group_commit`]), which runs it in a savepoint of a transaction shared with other
//!   waiting writes and commits them together — on SQLite (one writer at a time) and on
//!   PostgreSQL alike (where one commit per claim, each holding the shared rows' locks until its
//!   WAL flush, made concurrent claims queue anyway; see that module).
//! - **Without that thread** (the command line, tests' writers) it runs in its own transaction
//!   ([`super::write_tx`]): `BEGIN IMMEDIATE` behind the process's writer lock on SQLite.
//! - On **PostgreSQL** another process may write at the same time. [`Writer::write_retrying`]
//!   runs the unit of work again (at most [`ATTEMPTS`] times) when PostgreSQL gives up on it for
//!   a reason that a second try can clear: a deadlock, a serialization failure, or a unique-key
//!   race with a concurrent insert.
//!
//! After a commit the writer runs its **commit hooks** with what the unit of work changed
//! ([`Changes`], recorded by the store functions through `store::changes`), before the caller
//! is answered: caches that keep copies of data (provider facts) drop them there. A rolled-back
//! unit of work runs no hook.

use std::sync::Arc;

use super::group_commit::GroupCommit;
use super::{write_tx, AnyConnection, DbPool};
use crate::error::{AppError, AppResult};
use crate::store::audit::AuditKey;
use crate::store::changes::{self, Changes};

/// How many times [`Writer::write_retrying`] runs a unit of work on PostgreSQL at most.
pub const ATTEMPTS: usize = 3;

/// Called after each commit that changed something a cache holds.
pub type CommitHook = Arc<dyn Fn(Changes) + Send + Sync>;

/// The write path of one process (see the module doc). Cheap to clone: clones share the pool,
/// the writer thread and the hooks.
#[derive(Clone)]
pub struct Writer {
    pool: DbPool,
    audit_key: AuditKey,
    /// SQLite in the server: the group-committing writer thread.
    group: Option<GroupCommit>,
    hooks: Arc<Vec<CommitHook>>,
}

impl Writer {
    /// A writer over `pool`; `group` is the SQLite writer thread when there is one, started with
    /// the same `hooks` (it runs them after its own commits).
    pub fn new(
        pool: DbPool,
        audit_key: AuditKey,
        group: Option<GroupCommit>,
        hooks: Arc<Vec<CommitHook>>,
    ) -> Self {
        Self { pool, audit_key, group, hooks }
    }

    /// Runs `work` as one unit: all of it is committed, or — when it returns an error — none of
    /// it. Answers after the commit.
    pub async fn write<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut AnyConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        match &self.group {
            Some(group) => group.run(work).await,
            None => self.on_pool(move |conn, hooks| run_once(conn, hooks, work)).await,
        }
    }

    /// As [`write`](Self::write), for a unit of work that may run more than once: on a pooled
    /// connection (PostgreSQL; SQLite without the writer thread) it is run again after a
    /// deadlock, a serialization failure or a unique-key race (the answer is then the last
    /// attempt's). The SQLite writer thread runs one write at a time: nothing to retry there.
    pub async fn write_retrying<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnMut(&mut AnyConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.write_retrying_in(None, work).await
    }

    /// As [`write_retrying`](Self::write_retrying), in `partition`: writes of one partition go
    /// to the same writer thread (see `group_commit`).
    pub async fn write_retrying_in<T, F>(&self, partition: Option<&str>, mut work: F) -> AppResult<T>
    where
        F: FnMut(&mut AnyConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        if let Some(group) = &self.group {
            return group.run_retrying(partition, work).await;
        }
        self.on_pool(move |conn, hooks| {
            let mut attempt = 1;
            loop {
                match run_once(conn, hooks, &mut work) {
                    Err(e) if attempt < ATTEMPTS && may_retry(&e) => {
                        tracing::debug!(attempt, error = %e, "write retried");
                        attempt += 1;
                    }
                    outcome => return outcome,
                }
            }
        })
        .await
    }

    /// The same for code that already runs on a blocking thread (the command line, workers):
    /// waits for the commit without an async runtime.
    pub fn write_blocking<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut AnyConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        match &self.group {
            Some(group) => group.run_blocking(work),
            None => {
                let _audit_key = crate::store::audit::use_key(&self.audit_key);
                let mut conn = self.pool.get()?;
                run_once(&mut conn, &self.hooks, work)
            }
        }
    }

    /// Runs `f` on a pooled connection on the blocking pool, with the audit key in scope.
    async fn on_pool<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut AnyConnection, &[CommitHook]) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let (pool, audit_key, hooks) = (self.pool.clone(), self.audit_key.clone(), self.hooks.clone());
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let _audit_key = crate::store::audit::use_key(&audit_key);
            let mut conn = pool.get()?;
            f(&mut conn, &hooks)
        })
        .await
        .map_err(|e| AppError::internal(format!("database work did not finish: {e}")))?
    }
}

/// One transaction, then the hooks if it committed.
fn run_once<T>(
    conn: &mut AnyConnection,
    hooks: &[CommitHook],
    work: impl FnOnce(&mut AnyConnection) -> AppResult<T>,
) -> AppResult<T> {
    let outcome = write_tx(conn, work);
    let changed = changes::take();
    if outcome.is_ok() {
        run_hooks(hooks, changed);
    }
    outcome
}

/// Runs the commit hooks for what a committed transaction changed.
pub fn run_hooks(hooks: &[CommitHook], changed: Changes) {
    if changed.any() {
        for hook in hooks {
            hook(changed);
        }
    }
}

/// Whether PostgreSQL refused the work for a reason a second attempt can clear.
pub(crate) fn may_retry(e: &AppError) -> bool {
    match e {
        // A unique-key race with a concurrent insert (see `AppError::from(diesel::Error)`).
        AppError::Conflict { code, .. } => *code == "conflict",
        AppError::Internal(message) => {
            message.contains("deadlock detected") || message.contains("could not serialize access")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use diesel::connection::SimpleConnection;

    use super::*;
    use crate::db::{connect_and_migrate, DatabaseUrl, PoolOptions};

    /// A writer over a fresh SQLite file without a group-commit thread (the command line's), and
    /// how many times its hook saw a provider-facts change.
    fn writer() -> (tempfile::TempDir, Writer, Arc<AtomicUsize>) {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::Sqlite(dir.path().join("w.db"));
        let options = PoolOptions { max_size: 2, connection_timeout: std::time::Duration::from_secs(5) };
        let pool = connect_and_migrate(&url, &options).unwrap();
        let seen = Arc::new(AtomicUsize::new(0));
        let hook: CommitHook = {
            let seen = seen.clone();
            Arc::new(move |c: Changes| {
                if c.provider_facts {
                    seen.fetch_add(1, Ordering::SeqCst);
                }
            })
        };
        let writer = Writer::new(pool, AuditKey::from_bytes([7; AuditKey::LEN]), None, Arc::new(vec![hook]));
        (dir, writer, seen)
    }

    fn count(writer: &Writer) -> i64 {
        writer
            .write_blocking(|conn| {
                use diesel::prelude::*;
                #[derive(QueryableByName)]
                struct N {
                    #[diesel(sql_type = diesel::sql_types::BigInt)]
                    n: i64,
                }
                let n: N = diesel::sql_query("SELECT COUNT(*) AS n FROM t").get_result(conn)?;
                Ok(n.n)
            })
            .unwrap()
    }

    #[test]
    fn a_committed_change_runs_the_hooks_and_a_failed_one_leaves_nothing() {
        let (_dir, writer, seen) = writer();
        writer.write_blocking(|conn| Ok(conn.batch_execute("CREATE TABLE t (x INTEGER)")?)).unwrap();
        writer
            .write_blocking(|conn| {
                changes::changed();
                Ok(conn.batch_execute("INSERT INTO t VALUES (1)")?)
            })
            .unwrap();
        assert_eq!((count(&writer), seen.load(Ordering::SeqCst)), (1, 1));
        let failed = writer.write_blocking(|conn| {
            changes::changed();
            conn.batch_execute("INSERT INTO t VALUES (2)")?;
            Err::<(), _>(AppError::conflict("refused", "after a write"))
        });
        assert!(failed.is_err());
        // Rolled back whole, and no cache was told of a change that did not happen.
        assert_eq!((count(&writer), seen.load(Ordering::SeqCst)), (1, 1));
        assert!(!changes::take().any(), "the record does not leak into the next unit of work");
    }

    #[test]
    fn a_unique_race_is_tried_again_and_a_refusal_is_not() {
        let (_dir, writer, _) = writer();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let attempts = Arc::new(AtomicUsize::new(0));
        let tried = attempts.clone();
        let outcome = runtime.block_on(writer.write_retrying(move |_| {
            tried.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(AppError::conflict("conflict", "the record conflicts with one that already exists"))
        }));
        assert!(outcome.is_err());
        assert_eq!(attempts.load(Ordering::SeqCst), ATTEMPTS);
        let attempts = Arc::new(AtomicUsize::new(0));
        let tried = attempts.clone();
        let outcome = runtime.block_on(writer.write_retrying(move |_| {
            tried.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(AppError::conflict("username_taken", "the username is taken"))
        }));
        assert!(outcome.is_err());
        assert_eq!(attempts.load(Ordering::SeqCst), 1, "a business refusal is final");
    }
}
