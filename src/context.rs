//! The shared state the use cases need: the database pool, the configuration, the clock, the
//! parsed tariffs, caches, the audit key and the background workers' signals. It knows nothing
//! of HTTP: the web layer (`app`, `api`) holds it in `web::Data<ServiceContext>`, the command
//! line and the workers hold it in an `Arc`.

use std::sync::{Arc, RwLock};

use crate::config::Config;
use crate::db::{AnyConnection, DatabaseUrl, DbPool};
use crate::domain::tariff::TariffBook;
use crate::error::{AppError, AppResult};

/// Shared state of every use case (and so of every request).
pub struct ServiceContext {
    pub pool: DbPool,
    pub database: DatabaseUrl,
    pub config: Arc<Config>,
    /// The one source of "now" and "today" for business rules (see `clock`).
    pub clock: crate::clock::Clock,
    /// Every imported tariff revision, parsed; replaced whole after an import.
    pub tariffs: RwLock<Arc<TariffBook>>,
    /// Counts replacements of `tariffs`, so that a reload begun before an import does not
    /// overwrite the import's book (`set_tariffs_unless_replaced`).
    pub tariffs_generation: std::sync::atomic::AtomicU64,
    /// Wakes the monthly-list worker when a batch arrives.
    pub batch_notify: Arc<tokio::sync::Notify>,
    /// Recently verified API keys (see `auth::cache`).
    pub auth_cache: crate::auth::cache::AuthCache,
    /// Recently read provider, contract and office facts (see `services::provider_facts`).
    pub provider_facts: Arc<crate::services::provider_facts::ProviderFactsCache>,
    /// The one write path (see `db::writer`): every change goes through `write`.
    pub writer: crate::db::Writer,
    /// The secret key that authenticates audit events (`services::audit`); installed for every
    /// unit of work run by `db` and by the group-commit writer.
    pub audit_key: crate::store::audit::AuditKey,
    /// Writes the audit chain's checkpoints outside the database.
    pub audit_checkpoints: Arc<crate::services::audit::Checkpointer>,
}

impl ServiceContext {
    /// Today's date for business rules (submission dates, deadlines): the clock's.
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.today()
    }

    /// Now for business rules and the timestamps they count from: the clock's.
    pub fn now(&self) -> chrono::NaiveDateTime {
        self.clock.now()
    }

    /// The tariffs as they are now (a cheap clone of an `Arc`).
    pub fn tariffs(&self) -> Arc<TariffBook> {
        match self.tariffs.read() {
            Ok(t) => t.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn set_tariffs(&self, book: TariffBook) {
        let mut guard = match self.tariffs.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = Arc::new(book);
        self.tariffs_generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    /// How many times the tariffs were replaced so far (see `set_tariffs_unless_replaced`).
    pub fn tariffs_generation(&self) -> u64 {
        self.tariffs_generation.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Replaces the tariffs with `book`, read from the database after `generation` was seen,
    /// unless they were replaced since (by a newer book); true when replaced.
    pub fn set_tariffs_unless_replaced(&self, generation: u64, book: TariffBook) -> bool {
        let mut guard = match self.tariffs.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        if self.tariffs_generation() != generation {
            return false;
        }
        *guard = Arc::new(book);
        self.tariffs_generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        true
    }

    /// Runs `work` as one unit of work through the writer (`db::writer`): committed whole or
    /// not at all, answered after the commit.
    pub async fn write<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut AnyConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.writer.write(work).await
    }

    /// As `write`, for a unit of work PostgreSQL may run again after a deadlock or a race.
    pub async fn write_retrying<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnMut(&mut AnyConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.writer.write_retrying(work).await
    }

    /// As `write_retrying`, in a partition of the writers (claim intake: the insured person's
    /// national code), see `db::group_commit`.
    pub async fn write_retrying_in<T, F>(&self, partition: &str, work: F) -> AppResult<T>
    where
        F: FnMut(&mut AnyConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.writer.write_retrying_in(Some(partition), work).await
    }

    /// Runs blocking database *reads* on the runtime's blocking pool, with the caller's tracing
    /// span re-entered there and the audit key in scope (`store::audit::use_key`). The
    /// connection is taken inside the closure because `get` blocks.
    pub async fn db<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut AnyConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        let audit_key = self.audit_key.clone();
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let _audit_key = crate::store::audit::use_key(&audit_key);
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await
        .map_err(|e| AppError::internal(format!("database work did not finish: {e}")))?
    }
}
