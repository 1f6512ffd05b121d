//! Group commit (تجمیع تراکنش‌ها) for SQLite: many small write transactions — one per claim
//! sent by a provider's system — become one.
//!
//! A SQLite commit costs far more than the inserts of one claim: it takes the file lock,
//! appends every changed page to the WAL and sometimes checkpoints. With one transaction per
//! claim the single writer spent most of its time committing and handing its lock from thread
//! to thread (measured: the service then used 1.2 of 2 cores and stalled at ~800 claims/s).
//! Here one thread, the writer, takes whatever writes are waiting (up to `MAX_GROUP`), runs
//! each in its own savepoint — so one failing write is undone alone — and commits them
//! together. Nobody is answered before the commit: a write is reported as stored only once it
//! is, and if the commit fails every write of the group gets 503 and nothing of it is kept.
//!
//! PostgreSQL has real concurrent writers and does not use this.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;

use diesel::connection::TransactionManager;
use diesel::r2d2::R2D2Connection;
use diesel::Connection;

use super::writer::{run_hooks, CommitHook};
use super::{begin_write, sqlite_writer, AnyConnection, ConnectionManager, DatabaseUrl};
use crate::error::{AppError, AppResult};
use crate::store::changes::{self, Changes};

/// At most this many writes share one transaction: bounds how long the last one waits.
const MAX_GROUP: usize = 64;

/// Called after the group's commit with its outcome; answers the waiting request.
type Delivery = Box<dyn FnOnce(Result<(), String>) + Send>;
/// One write, run by the writer thread inside the group's transaction; returns how to answer
/// it and what it changed (nothing when it failed and its savepoint was undone).
type Job = Box<dyn FnOnce(&mut AnyConnection) -> (Delivery, Changes) + Send>;

/// The queue in front of the writer thread (clones share it).
#[derive(Clone)]
pub struct GroupCommit {
    sender: mpsc::Sender<Job>,
}

impl GroupCommit {
    /// Starts the writer thread with its own connection (not one of the pool's, so that a
    /// pool busy with readers never starves it). Audit events it appends are authenticated
    /// with `audit_key`, installed on the thread for its whole life; `hooks` run after each
    /// commit that changed something (see `db::writer`).
    pub fn start(
        url: DatabaseUrl,
        audit_key: crate::store::audit::AuditKey,
        hooks: std::sync::Arc<Vec<CommitHook>>,
    ) -> Result<Self, String> {
        let manager = ConnectionManager::new(url);
        let conn = r2d2::ManageConnection::connect(&manager).map_err(|e| e.to_string())?;
        let (sender, receiver) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                let _audit_key = crate::store::audit::use_key(&audit_key);
                writer(manager, conn, receiver, &hooks)
            })
            .map_err(|e| format!("cannot start the database writer: {e}"))?;
        Ok(Self { sender })
    }

    /// Runs `f` in the next group transaction and answers after it is committed. An error
    /// from `f` undoes `f`'s writes only.
    pub async fn run<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut AnyConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let answered = self.submit(f)?;
        // A job dropped unrun (its group could not begin, or an earlier job panicked) drops
        // its sender: the request gets 503 and may be sent again.
        answered.await.map_err(|_| stopped())?
    }

    /// As [`run`](Self::run), waiting on a blocking thread.
    pub fn run_blocking<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut AnyConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.submit(f)?.blocking_recv().map_err(|_| stopped())?
    }

    fn submit<T, F>(&self, f: F) -> AppResult<tokio::sync::oneshot::Receiver<AppResult<T>>>
    where
        F: FnOnce(&mut AnyConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel::<AppResult<T>>();
        let span = tracing::Span::current();
        let job: Job = Box::new(move |conn| {
            let result = {
                let _entered = span.enter();
                // Nested in the group's transaction, diesel makes this a savepoint.
                conn.transaction::<T, AppError, _>(f)
            };
            // What this job changed counts only if its savepoint was kept.
            let changed = changes::take();
            let changed = if result.is_ok() { changed } else { Changes::default() };
            let delivery: Delivery = Box::new(move |committed: Result<(), String>| {
                let outcome = match committed {
                    Ok(()) => result,
                    Err(e) => Err(AppError::Unavailable(e)),
                };
                let _ = answer.send(outcome);
            });
            (delivery, changed)
        });
        self.sender.send(job).map_err(|_| stopped())?;
        Ok(answered)
    }
}

/// The writer keeps SQLite's automatic WAL checkpoint (every 1,000 pages, inside the commit
/// that crosses it). Two alternatives were measured under `benches/load.sh` and dropped:
/// checkpointing from a separate thread (with the writer never pausing, the WAL is never fully
/// copied, so never restarted: 5 GiB of WAL in a minute), and `wal_autocheckpoint = 8000`
/// (about 10 % more claims/s, but p99 63 ms from the bigger checkpoints).
fn stopped() -> AppError {
    AppError::Unavailable("the database writer is not running".into())
}

fn writer(
    manager: ConnectionManager,
    mut conn: AnyConnection,
    receiver: mpsc::Receiver<Job>,
    hooks: &[CommitHook],
) {
    while let Ok(first) = receiver.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_GROUP {
            match receiver.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        run_group(&mut conn, jobs, hooks);
        if conn.is_broken() {
            match r2d2::ManageConnection::connect(&manager) {
                Ok(fresh) => conn = fresh,
                Err(e) => tracing::error!(error = %e, "the database writer cannot reconnect"),
            }
        }
    }
}

fn run_group(conn: &mut AnyConnection, jobs: Vec<Job>, hooks: &[CommitHook]) {
    let _writer = sqlite_writer();
    if let Err(e) = begin_write(conn) {
        tracing::error!(error = %e, writes = jobs.len(), "cannot begin a write transaction");
        return;
    }
    let mut deliveries = Vec::with_capacity(jobs.len());
    let mut changed = Changes::default();
    let mut panicked = false;
    for job in jobs {
        match catch_unwind(AssertUnwindSafe(|| job(conn))) {
            Ok((delivery, job_changed)) => {
                deliveries.push(delivery);
                changed = changed.and(job_changed);
            }
            Err(_) => {
                // The panic is logged by the hook; the rest of the group is dropped unrun.
                let _ = changes::take();
                panicked = true;
                break;
            }
        }
    }
    let outcome = if panicked {
        let _ = <AnyConnection as Connection>::TransactionManager::rollback_transaction(conn);
        Err("a write in the same transaction failed; nothing was stored, send it again".to_string())
    } else {
        <AnyConnection as Connection>::TransactionManager::commit_transaction(conn).map_err(|e| {
            tracing::error!(error = %e, "group commit failed");
            let _ = <AnyConnection as Connection>::TransactionManager::rollback_transaction(conn);
            "the database could not store the document; nothing was stored, send it again".to_string()
        })
    };
    tracing::debug!(writes = deliveries.len(), ok = outcome.is_ok(), "group committed");
    // Caches drop what the group changed before anyone is told it is stored.
    if outcome.is_ok() {
        run_hooks(hooks, changed);
    }
    for delivery in deliveries {
        delivery(outcome.clone());
    }
}
