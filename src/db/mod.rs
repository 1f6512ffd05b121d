//! Database access: one code path over SQLite and PostgreSQL.
//!
//! `AnyConnection` is diesel's `MultiConnection` over both backends. We pick the backend from the
//! URL scheme in our own r2d2 manager, because the derived `establish` tries every variant and
//! hides the real connection error ("Invalid connection url for multiconnection").

pub mod backup;
pub mod group_commit;
pub mod schema;
pub mod writer;

pub use backup::{backup, backup_sqlite, BackupReport};
pub use writer::Writer;

use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::r2d2::R2D2Connection;
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

/// A connection to either backend. Data code takes `&mut AnyConnection` and never cares which.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

pub type DbPool = r2d2::Pool<ConnectionManager>;
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Which database a URL points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A file path (relative to the working directory, or absolute).
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    /// `sqlite://data/asnad.db` (relative), `sqlite:///var/lib/asnad.db` (absolute),
    /// `postgres://user:pw@host/db` or `postgresql://…`.
    pub fn parse(url: &str) -> Result<Self, String> {
        if let Some(rest) = url.strip_prefix("sqlite://") {
            if rest.is_empty() {
                return Err("sqlite URL has no path (expected sqlite://data/asnad.db)".into());
            }
            Ok(Self::Sqlite(PathBuf::from(rest)))
        } else if let Some(rest) = url.strip_prefix("sqlite:") {
            if rest.is_empty() {
                return Err("sqlite URL has no path (expected sqlite://data/asnad.db)".into());
            }
            Ok(Self::Sqlite(PathBuf::from(rest)))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(url.to_string()))
        } else {
            Err(format!(
                "unsupported database URL scheme in {:?}: use sqlite://PATH or postgres://…",
                redact_url(url)
            ))
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }
}

/// Hides the password of a `scheme://user:password@host` URL, for logs and `Debug`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s + 3 => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Errors while opening or checking a pooled connection; the message is the backend's own.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("cannot prepare the database directory {0}: {1}")]
    Directory(PathBuf, std::io::Error),
}

/// r2d2 manager that opens the backend named by the URL and prepares each connection.
#[derive(Debug)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }
}

/// Per-connection SQLite settings. WAL is set once at start-up (it persists in the file); these
/// do not persist and must be set on every connection. `busy_timeout` makes a writer wait for
/// the lock instead of failing at once; `foreign_keys` is off by default in SQLite. Temporary
/// storage is in memory: the group commit (`group_commit`) runs each claim in a savepoint, whose
/// undo journal would otherwise be a temporary file. No memory map: it was tried (reads got
/// ~5 % faster) but mapped pages count as the process's memory, 366 MiB after a minute of load.
const SQLITE_CONNECTION_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; \
     PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16000; PRAGMA temp_store = MEMORY;";

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = AnyConnection;
    type Error = ConnectError;

    fn connect(&self) -> Result<AnyConnection, ConnectError> {
        match &self.url {
            DatabaseUrl::Sqlite(path) => {
                let path_str = path.to_string_lossy();
                let mut conn = SqliteConnection::establish(&path_str)?;
                conn.batch_execute(SQLITE_CONNECTION_PRAGMAS)?;
                Ok(AnyConnection::Sqlite(conn))
            }
            DatabaseUrl::Postgres(url) => Ok(AnyConnection::Postgresql(PgConnection::establish(url)?)),
        }
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), ConnectError> {
        conn.ping()?;
        Ok(())
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        conn.is_broken()
    }
}

/// Pool settings from the configuration.
#[derive(Clone, Debug)]
pub struct PoolOptions {
    pub max_size: u32,
    pub connection_timeout: Duration,
}

/// Prepares the database (directory, WAL, migrations) and builds the pool.
pub fn connect_and_migrate(url: &DatabaseUrl, options: &PoolOptions) -> Result<DbPool, String> {
    if let DatabaseUrl::Sqlite(path) = url {
        prepare_sqlite_file(path).map_err(|e| e.to_string())?;
    }
    let manager = ConnectionManager::new(url.clone());
    // One connection first, outside the pool, so a bad URL or a dead server is reported with the
    // backend's own message instead of r2d2's "timed out waiting for connection".
    {
        use r2d2::ManageConnection;
        let mut conn = manager.connect().map_err(|e| e.to_string())?;
        run_migrations(&mut conn)?;
        // A database from before the report aggregates (or restored without them) gets them
        // computed once from its claims; from then on every write keeps them.
        crate::services::reports::build_if_missing(&mut conn)
            .map_err(|e| format!("report aggregates: {e}"))?;
    }
    r2d2::Pool::builder()
        .max_size(options.max_size)
        .connection_timeout(options.connection_timeout)
        .build(manager)
        .map_err(|e| format!("cannot build the connection pool: {e}"))
}

fn prepare_sqlite_file(path: &Path) -> Result<(), ConnectError> {
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir).map_err(|e| ConnectError::Directory(dir.into(), e))?;
        }
    }
    let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
    // WAL lets readers proceed while one writer writes; it is stored in the file.
    conn.batch_execute("PRAGMA journal_mode = WAL;")?;
    Ok(())
}

/// Applies every pending migration of the connection's backend.
pub fn run_migrations(conn: &mut AnyConnection) -> Result<(), String> {
    let applied = match conn {
        AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        AnyConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len()),
    }
    .map_err(|e| format!("migration failed: {e}"))?;
    if applied > 0 {
        tracing::info!(applied, "database migrations applied");
    }
    Ok(())
}

/// Runs `f` in a write transaction: `BEGIN IMMEDIATE` on SQLite (so the write lock is taken up
/// front and `busy_timeout` applies, instead of failing with SQLITE_BUSY at the first write of a
/// deferred transaction), a normal transaction on PostgreSQL. Commits on `Ok`, rolls back on `Err`.
///
/// Use cases do not call this: they go through [`Writer`], which calls it (and runs the commit
/// hooks). It stays public for the command line's and the tests' direct set-up functions
/// (`*_on`), which have no writer and no cache to keep.
pub fn write_tx<T, E, F>(conn: &mut AnyConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    // SQLite has one writer. Queuing writers on a mutex in the process is far cheaper than
    // letting them collide in SQLite, whose busy handler sleeps and retries (measured: p99 of
    // claim intake 555 ms without this, see the issue notes). Nested write_tx calls do not
    // happen (services own one transaction each).
    let _writer = match conn {
        AnyConnection::Sqlite(_) => Some(sqlite_writer()),
        AnyConnection::Postgresql(_) => None,
    };
    begin_write(conn)?;
    // Writes to shared rows (report aggregates, the audit head) wait for the end (see
    // `store::deferred`).
    let deferral = crate::store::deferred::open();
    let outcome = f(conn);
    let ended = match &outcome {
        Ok(_) => match deferral.flush(conn) {
            Ok(()) => <AnyConnection as Connection>::TransactionManager::commit_transaction(conn),
            Err(e) => {
                let _ = <AnyConnection as Connection>::TransactionManager::rollback_transaction(conn);
                Err(e)
            }
        },
        Err(_) => <AnyConnection as Connection>::TransactionManager::rollback_transaction(conn),
    };
    ended?;
    outcome
}

/// Opens a write transaction: `BEGIN IMMEDIATE` on SQLite (see `write_tx`), a normal one on
/// PostgreSQL. The caller commits or rolls back through the connection's transaction manager.
pub(crate) fn begin_write(conn: &mut AnyConnection) -> diesel::QueryResult<()> {
    match conn {
        AnyConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE"),
        AnyConnection::Postgresql(c) => AnsiTransactionManager::begin_transaction(c),
    }
}

/// Takes this process's turn to write to SQLite.
fn sqlite_writer() -> std::sync::MutexGuard<'static, ()> {
    SQLITE_WRITER.lock().unwrap_or_else(|p| p.into_inner())
}

/// The in-process queue of SQLite writers (see `write_tx`).
static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Checks that the database answers. For SQLite also that the file is still where it was: a
/// deleted or unmounted file would otherwise keep "working" on the unlinked inode and lose
/// every write at the next restart.
pub fn check_ready(pool: &DbPool, url: &DatabaseUrl) -> Result<(), String> {
    if let DatabaseUrl::Sqlite(path) = url {
        if !path.exists() {
            return Err(format!("database file {} is missing", path.display()));
        }
    }
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    conn.batch_execute("SELECT 1").map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/asnad.db").unwrap(),
            DatabaseUrl::Sqlite("data/asnad.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/asnad.db").unwrap(),
            DatabaseUrl::Sqlite("/var/lib/asnad.db".into())
        );
        assert!(matches!(DatabaseUrl::parse("postgres://u:p@h/db").unwrap(), DatabaseUrl::Postgres(_)));
        assert!(DatabaseUrl::parse("mysql://x").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact_url("postgres://asnad:s3cret@db:5432/asnad"), "postgres://asnad:***@db:5432/asnad");
        assert_eq!(redact_url("postgres://asnad@db/asnad"), "postgres://asnad@db/asnad");
        assert_eq!(redact_url("sqlite://data/asnad.db"), "sqlite://data/asnad.db");
    }
}
