//! Group commit (تجمیع تراکنش‌ها): many small write transactions — one per claim sent by a
//! provider's system — become one.
//!
//! A commit costs far more than the inserts of one claim. On SQLite it takes the file lock,
//! appends every changed page to the WAL and sometimes checkpoints; with one transaction per
//! claim the single writer spent most of its time committing and handing its lock from thread
//! to thread (measured: the service then used 1.2 of 2 cores and stalled at ~800 claims/s). On
//! PostgreSQL each commit waits for its WAL flush, and each claim's transaction held the row
//! locks of the shared rows (the audit head, the report aggregates) until then, so concurrent
//! claims queued behind each other anyway (measured: ~140 claims/s, p99 ~350 ms at 32
//! connections).
//!
//! Here one thread, the writer, takes whatever writes are waiting (up to `MAX_GROUP`), runs
//! each in its own savepoint — so one failing write is undone alone — and commits them
//! together. The shared rows are written once per group, just before the commit
//! (`store::deferred`). Nobody is answered before the commit: a write is reported as stored
//! only once it is, and if the commit fails every write of the group gets 503 and nothing of it
//! is kept.
//!
//! PostgreSQL takes several writers at once: there are `ASNAD_DB_WRITERS` writer threads
//! (default 4), and a write names its partition (claim intake: the insured person), so that the
//! claims of one insured person — the rows their decisions lock — always meet in the same
//! writer. Different writers meet only on the shared rows, which each group writes in key order
//! in the short moment before its commit.
//!
//! On PostgreSQL another process may write to the same database (two servers, the command
//! line): a job that loses a race with it (a unique-key conflict, a deadlock) is tried again in a
//! fresh savepoint, as the pooled write path did (`Writer::write_retrying`).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;

use diesel::connection::TransactionManager;
use diesel::r2d2::R2D2Connection;
use diesel::Connection;

use super::writer::{may_retry, run_hooks, CommitHook, ATTEMPTS};
use super::{begin_write, sqlite_writer, AnyConnection, ConnectionManager, DatabaseUrl};
use crate::error::{AppError, AppResult};
use crate::store::changes::{self, Changes};
use crate::store::deferred;

/// At most this many writes share one transaction: bounds how long the last one waits.
const MAX_GROUP: usize = 64;

/// Called after the group's commit with its outcome; answers the waiting request.
type Delivery = Box<dyn FnOnce(Result<(), String>) + Send>;
/// One write, run by the writer thread inside the group's transaction; returns how to answer
/// it and what it changed (nothing when it failed and its savepoint was undone).
type Job = Box<dyn FnOnce(&mut AnyConnection) -> (Delivery, Changes) + Send>;

/// The queues in front of the writer threads (clones share them).
#[derive(Clone)]
pub struct GroupCommit {
    senders: std::sync::Arc<Vec<mpsc::Sender<Job>>>,
}

impl GroupCommit {
    /// Starts `writers` writer threads, each with its own connection (not one of the pool's, so
    /// that a pool busy with readers never starves them) and its own queue. SQLite has one
    /// writer at a time: it gets one thread whatever `writers` says. Audit events they append
    /// are authenticated with `audit_key`, installed on each thread for its whole life; `hooks`
    /// run after each commit that changed something (see `db::writer`).
    pub fn start(
        url: DatabaseUrl,
        audit_key: crate::store::audit::AuditKey,
        hooks: std::sync::Arc<Vec<CommitHook>>,
        writers: usize,
    ) -> Result<Self, String> {
        let writers = match url {
            DatabaseUrl::Sqlite(_) => 1,
            DatabaseUrl::Postgres(_) => writers.max(1),
        };
        let mut senders = Vec::with_capacity(writers);
        for n in 0..writers {
            let manager = ConnectionManager::new(url.clone());
            let conn = r2d2::ManageConnection::connect(&manager).map_err(|e| e.to_string())?;
            let (sender, receiver) = mpsc::channel::<Job>();
            let (audit_key, hooks) = (audit_key.clone(), hooks.clone());
            std::thread::Builder::new()
                .name(format!("db-writer-{n}"))
                .spawn(move || {
                    let _audit_key = crate::store::audit::use_key(&audit_key);
                    writer(manager, conn, receiver, &hooks)
                })
                .map_err(|e| format!("cannot start the database writer: {e}"))?;
            senders.push(sender);
        }
        Ok(Self { senders: std::sync::Arc::new(senders) })
    }

    /// The queue of the writer for `partition`: writes of one partition (claims of one insured
    /// person) always go to the same writer, so two of its groups never wait on each other's
    /// row locks; writes without a partition go to the first writer.
    fn queue(&self, partition: Option<&str>) -> &mpsc::Sender<Job> {
        let n = match partition {
            Some(key) if self.senders.len() > 1 => {
                // FNV-1a: stable, cheap, and good enough to spread national codes.
                let mut h: u64 = 0xcbf2_9ce4_8422_2325;
                for b in key.bytes() {
                    h ^= u64::from(b);
                    h = h.wrapping_mul(0x0100_0000_01b3);
                }
                (h % self.senders.len() as u64) as usize
            }
            _ => 0,
        };
        &self.senders[n]
    }

    /// Runs `f` in the next group transaction and answers after it is committed. An error
    /// from `f` undoes `f`'s writes only.
    pub async fn run<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut AnyConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let answered = self.submit(None, once(f), 1)?;
        // A job dropped unrun (its group could not begin, or an earlier job panicked) drops
        // its sender: the request gets 503 and may be sent again.
        answered.await.map_err(|_| stopped())?
    }

    /// As [`run`](Self::run), for a write that may run again when it loses a race with another
    /// process on PostgreSQL (at most `ATTEMPTS` times, each in a fresh savepoint).
    /// `partition` picks the writer (see `queue`).
    pub async fn run_retrying<T, F>(&self, partition: Option<&str>, f: F) -> AppResult<T>
    where
        F: FnMut(&mut AnyConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.submit(partition, f, ATTEMPTS)?.await.map_err(|_| stopped())?
    }

    /// As [`run`](Self::run), waiting on a blocking thread.
    pub fn run_blocking<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut AnyConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.submit(None, once(f), 1)?.blocking_recv().map_err(|_| stopped())?
    }

    fn submit<T, F>(
        &self,
        partition: Option<&str>,
        mut f: F,
        attempts: usize,
    ) -> AppResult<tokio::sync::oneshot::Receiver<AppResult<T>>>
    where
        F: FnMut(&mut AnyConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel::<AppResult<T>>();
        let span = tracing::Span::current();
        let job: Job = Box::new(move |conn| {
            let _entered = span.enter();
            let mut attempt = 1;
            let (result, changed) = loop {
                deferred::job_begin();
                // Nested in the group's transaction, diesel makes this a savepoint.
                let result = conn.transaction::<T, AppError, _>(&mut f);
                deferred::job_end(result.is_ok());
                // What this job changed counts only if its savepoint was kept.
                let changed = changes::take();
                match result {
                    Err(e) if attempt < attempts && may_retry(&e) => {
                        tracing::debug!(attempt, error = %e, "write retried");
                        attempt += 1;
                    }
                    Ok(v) => break (Ok(v), changed),
                    Err(e) => break (Err(e), Changes::default()),
                }
            };
            let delivery: Delivery = Box::new(move |committed: Result<(), String>| {
                let outcome = match committed {
                    Ok(()) => result,
                    Err(e) => Err(AppError::Unavailable(e)),
                };
                let _ = answer.send(outcome);
            });
            (delivery, changed)
        });
        self.queue(partition).send(job).map_err(|_| stopped())?;
        Ok(answered)
    }
}

/// A write that runs once, in the shape `submit` takes (it runs it once: `attempts` is 1).
fn once<T, F>(f: F) -> impl FnMut(&mut AnyConnection) -> AppResult<T>
where
    F: FnOnce(&mut AnyConnection) -> AppResult<T>,
{
    let mut f = Some(f);
    move |conn| match f.take() {
        Some(f) => f(conn),
        None => Err(AppError::internal("a write that may run once was run twice")),
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
    // The command line's writes in this process queue on the same lock (SQLite only).
    let _writer = match conn {
        AnyConnection::Sqlite(_) => Some(sqlite_writer()),
        AnyConnection::Postgresql(_) => None,
    };
    if let Err(e) = begin_write(conn) {
        tracing::error!(error = %e, writes = jobs.len(), "cannot begin a write transaction");
        return;
    }
    let deferral = deferred::open();
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
    } else if let Err(e) = deferral.flush(conn) {
        tracing::error!(error = %e, "the group's shared rows could not be written");
        let _ = <AnyConnection as Connection>::TransactionManager::rollback_transaction(conn);
        Err("the database could not store the document; nothing was stored, send it again".to_string())
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
