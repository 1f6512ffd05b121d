//! Typed settings, read once from `ASNAD_*` environment variables. Nothing global: the
//! `Config` value is passed to whoever needs it, so tests build their own.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::db::{redact_url, DatabaseUrl};
use crate::domain::eligibility::DependantRules;

#[derive(Clone)]
pub struct Config {
    /// `ASNAD_BIND`, default `127.0.0.1:8080`.
    pub bind: String,
    /// `ASNAD_DATABASE_URL`, default `sqlite://data/asnad.db`.
    pub database_url: String,
    /// `ASNAD_DATA_DIR`, default `data`: attachments, outgoing mail files.
    pub data_dir: PathBuf,
    /// `ASNAD_TARIFFS_DIR`, default `tariffs`: year folders imported at start.
    pub tariffs_dir: PathBuf,
    /// `ASNAD_DB_POOL_SIZE`, default 8.
    pub db_pool_size: u32,
    /// `ASNAD_DB_WRITERS`, default 4: the writer threads that commit groups of writes on
    /// PostgreSQL, each with its own connection (`db::group_commit`). SQLite always has one.
    pub db_writers: usize,
    /// `ASNAD_DB_TIMEOUT_SECONDS`, default 3: how long a request waits for a connection before
    /// answering 503. Short, so a dead database does not pin worker threads.
    pub db_timeout: Duration,
    /// `ASNAD_WORKERS`, default: the number of CPUs.
    pub workers: usize,
    /// `ASNAD_LOG_FORMAT`: `pretty` (default) or `json`.
    pub log_format: LogFormat,
    /// `ASNAD_LOG` (or `RUST_LOG`): tracing filter, default `info`.
    pub log_filter: String,
    /// `ASNAD_TOKEN_TTL_MINUTES`, default 480 (a working day).
    pub token_ttl: chrono::Duration,
    /// `ASNAD_LOGIN_MAX_FAILURES`, default 5: consecutive wrong passwords before the lock.
    pub login_max_failures: i32,
    /// `ASNAD_LOGIN_LOCK_MINUTES`, default 15.
    pub login_lock: chrono::Duration,
    /// `ASNAD_BOOTSTRAP_ADMIN_PASSWORD`: the first admin's password; random when unset.
    pub bootstrap_admin_password: Option<String>,
    /// `ASNAD_MAX_JSON_BYTES`, default 16 MiB (monthly lists are large).
    pub max_json_bytes: usize,
    /// Dependant rules (Art. 58): `ASNAD_SON_MAX_AGE` (18), `ASNAD_SON_STUDENT_MAX_AGE` (none),
    /// `ASNAD_HUSBAND_MIN_AGE` (60), `ASNAD_FATHER_MIN_AGE` (60), `ASNAD_MOTHER_MIN_AGE` (55).
    pub dependant_rules: DependantRules,
    /// `ASNAD_FIXED_TODAY` (ISO date): pins the service's clock (`clock::Clock`) to this date,
    /// with the real time of day, for every business date and timestamp — receipts, decisions,
    /// deadlines, logins. For tests and demonstrations only; unset in production.
    pub fixed_today: Option<chrono::NaiveDate>,
    /// `ASNAD_MAX_ATTACHMENT_BYTES`, default 10 MiB: the largest scanned document accepted.
    pub max_attachment_bytes: usize,
    /// A request body that sends nothing for this long is cut with 408 (`ASNAD_BODY_TIMEOUT_SECONDS`).
    pub body_timeout: std::time::Duration,
    /// `ASNAD_BATCH_WORKER` (default true): process monthly lists in this process.
    pub batch_worker: bool,
    /// `ASNAD_BATCH_LEASE_SECONDS`, default 30: how long a worker's hold on a monthly list lasts
    /// without renewal (renewed at half-time while it works). Another process on the same
    /// database takes over a list whose holder died after at most this long; so does this
    /// process after a restart.
    pub batch_lease: Duration,
    /// `ASNAD_FOUR_EYES_RIALS`, default 100,000,000: a reviewer's decision that changes a
    /// claim's payable by more than this waits for a supervisor (our choice; no circular sets it).
    pub four_eyes_threshold: i64,
    /// `ASNAD_HOLIDAYS`: official holidays as comma-separated ISO dates, for working-day
    /// deadlines (objections). Fridays are always off. The list changes yearly with the lunar
    /// calendar, so it is configuration, not code.
    pub holidays: Vec<chrono::NaiveDate>,
    /// `ASNAD_SMTP_URL`: `smtp://host:port` (plain, a local relay), `smtp://host?tls=required`
    /// (STARTTLS) or `smtps://user:pass@host` (TLS). Unset: mail is written as `.eml` files
    /// under `<data dir>/mail/`. Redacted in Debug (it may hold a password).
    pub smtp_url: Option<String>,
    /// `ASNAD_MAIL_FROM`, default `asnad <no-reply@asnad.tamin.local>`.
    pub mail_from: String,
    /// `ASNAD_MAIL_WORKER` (default true): deliver the outbox from this process.
    pub mail_worker: bool,
    /// `ASNAD_MAIL_POLL_MS`, default 5000: how often the outbox is looked at.
    pub mail_poll: Duration,
    /// `ASNAD_MAIL_RETRY_SECONDS`, default 30: the first retry's delay; doubled per failure up
    /// to an hour.
    pub mail_retry_base: Duration,
    /// `ASNAD_AUDIT_KEY_FILE`, default `<data dir>/audit.key`: the secret key that authenticates
    /// the audit trail (`services::audit`). Created (mode 0600) at the first start if missing.
    /// Only the path is configuration; the key itself is never in `Config` nor in a log.
    pub audit_key_file: Option<PathBuf>,
    /// `ASNAD_AUDIT_CHECKPOINT_EVENTS`, default 1,000: a checkpoint of the audit chain's head is
    /// written after about this many events ...
    pub audit_checkpoint_events: i64,
    /// `ASNAD_AUDIT_CHECKPOINT_SECONDS`, default 300: ... and at least this often while events
    /// are written (also at every start and at shutdown).
    pub audit_checkpoint_interval: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("database_url", &redact_url(&self.database_url))
            .field("data_dir", &self.data_dir)
            .field("tariffs_dir", &self.tariffs_dir)
            .field("db_pool_size", &self.db_pool_size)
            .field("db_writers", &self.db_writers)
            .field("db_timeout", &self.db_timeout)
            .field("workers", &self.workers)
            .field("log_format", &self.log_format)
            .field("log_filter", &self.log_filter)
            .field("token_ttl", &self.token_ttl)
            .field("login_max_failures", &self.login_max_failures)
            .field("login_lock", &self.login_lock)
            .field("bootstrap_admin_password", &self.bootstrap_admin_password.as_ref().map(|_| "***"))
            .field("max_json_bytes", &self.max_json_bytes)
            .field("dependant_rules", &self.dependant_rules)
            .field("fixed_today", &self.fixed_today)
            .field("max_attachment_bytes", &self.max_attachment_bytes)
            .field("body_timeout", &self.body_timeout)
            .field("batch_worker", &self.batch_worker)
            .field("batch_lease", &self.batch_lease)
            .field("four_eyes_threshold", &self.four_eyes_threshold)
            .field("holidays", &self.holidays)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("mail_from", &self.mail_from)
            .field("mail_worker", &self.mail_worker)
            .field("mail_poll", &self.mail_poll)
            .field("mail_retry_base", &self.mail_retry_base)
            .field("audit_key_file", &self.audit_key_path())
            .field("audit_checkpoint_events", &self.audit_checkpoint_events)
            .field("audit_checkpoint_interval", &self.audit_checkpoint_interval)
            .finish()
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            database_url: "sqlite://data/asnad.db".into(),
            data_dir: PathBuf::from("data"),
            tariffs_dir: PathBuf::from("tariffs"),
            db_pool_size: 8,
            db_writers: 4,
            db_timeout: Duration::from_secs(3),
            workers: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
            log_format: LogFormat::Pretty,
            log_filter: "info".into(),
            token_ttl: chrono::Duration::minutes(480),
            login_max_failures: 5,
            login_lock: chrono::Duration::minutes(15),
            bootstrap_admin_password: None,
            max_json_bytes: 16 * 1024 * 1024,
            dependant_rules: DependantRules::default(),
            fixed_today: None,
            max_attachment_bytes: 10 * 1024 * 1024,
            body_timeout: std::time::Duration::from_secs(10),
            batch_worker: true,
            batch_lease: Duration::from_secs(30),
            four_eyes_threshold: 100_000_000,
            holidays: Vec::new(),
            smtp_url: None,
            mail_from: "asnad <no-reply@asnad.tamin.local>".into(),
            mail_worker: true,
            mail_poll: Duration::from_millis(5000),
            mail_retry_base: Duration::from_secs(30),
            audit_key_file: None,
            audit_checkpoint_events: 1000,
            audit_checkpoint_interval: Duration::from_secs(300),
        }
    }
}

impl Config {
    /// Reads the environment; an unparsable value is an error naming the variable.
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut c = Self::default();
        if let Some(v) = get("ASNAD_BIND") {
            c.bind = v;
        }
        if let Some(v) = get("ASNAD_DATABASE_URL") {
            c.database_url = v;
        }
        DatabaseUrl::parse(&c.database_url).map_err(|e| format!("ASNAD_DATABASE_URL: {e}"))?;
        if let Some(v) = get("ASNAD_DATA_DIR") {
            c.data_dir = PathBuf::from(v);
        }
        if let Some(v) = get("ASNAD_TARIFFS_DIR") {
            c.tariffs_dir = PathBuf::from(v);
        }
        if let Some(v) = get("ASNAD_DB_POOL_SIZE") {
            c.db_pool_size = parse_num("ASNAD_DB_POOL_SIZE", &v, 1, 1000)?;
        }
        if let Some(v) = get("ASNAD_DB_WRITERS") {
            c.db_writers = parse_num("ASNAD_DB_WRITERS", &v, 1, 64)?;
        }
        if let Some(v) = get("ASNAD_DB_TIMEOUT_SECONDS") {
            c.db_timeout = Duration::from_secs(parse_num("ASNAD_DB_TIMEOUT_SECONDS", &v, 1, 300)?);
        }
        if let Some(v) = get("ASNAD_WORKERS") {
            c.workers = parse_num("ASNAD_WORKERS", &v, 1, 256)?;
        }
        if let Some(v) = get("ASNAD_LOG_FORMAT") {
            c.log_format = match v.as_str() {
                "pretty" => LogFormat::Pretty,
                "json" => LogFormat::Json,
                other => return Err(format!("ASNAD_LOG_FORMAT: expected pretty or json, got {other:?}")),
            };
        }
        if let Some(v) = get("ASNAD_LOG").or_else(|| get("RUST_LOG")) {
            c.log_filter = v;
        }
        if let Some(v) = get("ASNAD_TOKEN_TTL_MINUTES") {
            c.token_ttl =
                chrono::Duration::minutes(parse_num("ASNAD_TOKEN_TTL_MINUTES", &v, 1, 60 * 24 * 90)?);
        }
        if let Some(v) = get("ASNAD_LOGIN_MAX_FAILURES") {
            c.login_max_failures = parse_num("ASNAD_LOGIN_MAX_FAILURES", &v, 1, 1000)?;
        }
        if let Some(v) = get("ASNAD_LOGIN_LOCK_MINUTES") {
            c.login_lock = chrono::Duration::minutes(parse_num("ASNAD_LOGIN_LOCK_MINUTES", &v, 1, 60 * 24)?);
        }
        c.bootstrap_admin_password = get("ASNAD_BOOTSTRAP_ADMIN_PASSWORD").filter(|p| !p.is_empty());
        if let Some(v) = get("ASNAD_MAX_JSON_BYTES") {
            c.max_json_bytes = parse_num("ASNAD_MAX_JSON_BYTES", &v, 1024, 1 << 30)?;
        }
        if let Some(v) = get("ASNAD_FIXED_TODAY").filter(|v| !v.is_empty()) {
            c.fixed_today = Some(
                chrono::NaiveDate::parse_from_str(&v, "%Y-%m-%d")
                    .map_err(|_| format!("ASNAD_FIXED_TODAY: expected YYYY-MM-DD, got {v:?}"))?,
            );
        }
        if let Some(v) = get("ASNAD_FOUR_EYES_RIALS") {
            c.four_eyes_threshold = parse_num("ASNAD_FOUR_EYES_RIALS", &v, 0, 1_000_000_000_000_000i64)?;
        }
        if let Some(v) = get("ASNAD_HOLIDAYS").filter(|v| !v.trim().is_empty()) {
            c.holidays = v
                .split(',')
                .map(|d| {
                    chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
                        .map_err(|_| format!("ASNAD_HOLIDAYS: expected YYYY-MM-DD dates, got {d:?}"))
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = get("ASNAD_MAX_ATTACHMENT_BYTES") {
            c.max_attachment_bytes = parse_num("ASNAD_MAX_ATTACHMENT_BYTES", &v, 1024, 1 << 30)?;
        }
        if let Some(v) = get("ASNAD_BODY_TIMEOUT_SECONDS") {
            c.body_timeout =
                std::time::Duration::from_secs(parse_num("ASNAD_BODY_TIMEOUT_SECONDS", &v, 1, 3600)?);
        }
        c.smtp_url = get("ASNAD_SMTP_URL").filter(|v| !v.is_empty());
        if let Some(v) = get("ASNAD_MAIL_FROM") {
            c.mail_from = v;
        }
        if let Some(v) = get("ASNAD_MAIL_WORKER") {
            c.mail_worker = match v.as_str() {
                "true" | "1" => true,
                "false" | "0" => false,
                other => return Err(format!("ASNAD_MAIL_WORKER: expected true or false, got {other:?}")),
            };
        }
        if let Some(v) = get("ASNAD_MAIL_POLL_MS") {
            c.mail_poll = Duration::from_millis(parse_num("ASNAD_MAIL_POLL_MS", &v, 10, 3_600_000)?);
        }
        if let Some(v) = get("ASNAD_MAIL_RETRY_SECONDS") {
            c.mail_retry_base = Duration::from_secs(parse_num("ASNAD_MAIL_RETRY_SECONDS", &v, 1, 3600)?);
        }
        if let Some(v) = get("ASNAD_BATCH_WORKER") {
            c.batch_worker = match v.as_str() {
                "true" | "1" => true,
                "false" | "0" => false,
                other => return Err(format!("ASNAD_BATCH_WORKER: expected true or false, got {other:?}")),
            };
        }
        if let Some(v) = get("ASNAD_BATCH_LEASE_SECONDS") {
            c.batch_lease = Duration::from_secs(parse_num("ASNAD_BATCH_LEASE_SECONDS", &v, 1, 3600)?);
        }
        c.audit_key_file = get("ASNAD_AUDIT_KEY_FILE").filter(|v| !v.is_empty()).map(PathBuf::from);
        if let Some(v) = get("ASNAD_AUDIT_CHECKPOINT_EVENTS") {
            c.audit_checkpoint_events = parse_num("ASNAD_AUDIT_CHECKPOINT_EVENTS", &v, 1, 1_000_000_000)?;
        }
        if let Some(v) = get("ASNAD_AUDIT_CHECKPOINT_SECONDS") {
            c.audit_checkpoint_interval =
                Duration::from_secs(parse_num("ASNAD_AUDIT_CHECKPOINT_SECONDS", &v, 1, 86_400)?);
        }
        let r = &mut c.dependant_rules;
        if let Some(v) = get("ASNAD_SON_MAX_AGE") {
            r.son_max_age = parse_num("ASNAD_SON_MAX_AGE", &v, 1, 40)?;
        }
        if let Some(v) = get("ASNAD_SON_STUDENT_MAX_AGE").filter(|v| !v.is_empty()) {
            r.son_student_max_age = Some(parse_num("ASNAD_SON_STUDENT_MAX_AGE", &v, 1, 60)?);
        }
        if let Some(v) = get("ASNAD_HUSBAND_MIN_AGE") {
            r.husband_min_age = parse_num("ASNAD_HUSBAND_MIN_AGE", &v, 1, 120)?;
        }
        if let Some(v) = get("ASNAD_FATHER_MIN_AGE") {
            r.father_min_age = parse_num("ASNAD_FATHER_MIN_AGE", &v, 1, 120)?;
        }
        if let Some(v) = get("ASNAD_MOTHER_MIN_AGE") {
            r.mother_min_age = parse_num("ASNAD_MOTHER_MIN_AGE", &v, 1, 120)?;
        }
        Ok(c)
    }

    /// The audit key file: `ASNAD_AUDIT_KEY_FILE`, or `audit.key` in the data directory.
    pub fn audit_key_path(&self) -> PathBuf {
        self.audit_key_file.clone().unwrap_or_else(|| self.data_dir.join("audit.key"))
    }

    /// The audit checkpoint log: `audit-checkpoints.jsonl` in the data directory (each process
    /// writes its own, in its own data directory).
    pub fn audit_checkpoint_path(&self) -> PathBuf {
        self.data_dir.join("audit-checkpoints.jsonl")
    }

    pub fn database(&self) -> DatabaseUrl {
        // Checked in `from_lookup`; a hand-built Config with a bad URL falls back to the default.
        DatabaseUrl::parse(&self.database_url)
            .unwrap_or_else(|_| DatabaseUrl::Sqlite(PathBuf::from("data/asnad.db")))
    }
}

fn parse_num<T>(name: &str, value: &str, min: T, max: T) -> Result<T, String>
where
    T: std::str::FromStr + PartialOrd + fmt::Display + Copy,
{
    let n: T = value.trim().parse().map_err(|_| format!("{name}: expected a number, got {value:?}"))?;
    if n < min || n > max {
        return Err(format!("{name}: {n} is outside {min}..={max}"));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, String> {
        let m: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| m.get(k).cloned())
    }

    #[test]
    fn defaults_and_overrides() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c.bind, "127.0.0.1:8080");
        assert_eq!(c.database_url, "sqlite://data/asnad.db");
        let c = cfg(&[("ASNAD_BIND", "0.0.0.0:9000"), ("ASNAD_LOG_FORMAT", "json")]).unwrap();
        assert_eq!(c.bind, "0.0.0.0:9000");
        assert_eq!(c.log_format, LogFormat::Json);
    }

    #[test]
    fn bad_values_name_the_variable() {
        assert!(cfg(&[("ASNAD_DB_POOL_SIZE", "lots")]).unwrap_err().contains("ASNAD_DB_POOL_SIZE"));
        assert!(cfg(&[("ASNAD_DATABASE_URL", "mysql://x")]).unwrap_err().contains("ASNAD_DATABASE_URL"));
        assert!(cfg(&[("ASNAD_LOG_FORMAT", "xml")]).unwrap_err().contains("ASNAD_LOG_FORMAT"));
    }

    #[test]
    fn debug_hides_secrets() {
        let c = cfg(&[
            ("ASNAD_DATABASE_URL", "postgres://asnad:topsecret@db/asnad"),
            ("ASNAD_BOOTSTRAP_ADMIN_PASSWORD", "hunter2hunter2"),
        ])
        .unwrap();
        let s = format!("{c:?}");
        assert!(!s.contains("topsecret") && !s.contains("hunter2"), "{s}");
    }

    #[test]
    fn audit_settings() {
        let c = cfg(&[("ASNAD_DATA_DIR", "/srv/asnad")]).unwrap();
        assert_eq!(c.audit_key_path(), PathBuf::from("/srv/asnad/audit.key"));
        assert_eq!(c.audit_checkpoint_path(), PathBuf::from("/srv/asnad/audit-checkpoints.jsonl"));
        assert_eq!(
            (c.audit_checkpoint_events, c.audit_checkpoint_interval),
            (1000, Duration::from_secs(300))
        );
        let c = cfg(&[
            ("ASNAD_AUDIT_KEY_FILE", "/etc/asnad/audit.key"),
            ("ASNAD_AUDIT_CHECKPOINT_EVENTS", "50"),
            ("ASNAD_AUDIT_CHECKPOINT_SECONDS", "60"),
        ])
        .unwrap();
        assert_eq!(c.audit_key_path(), PathBuf::from("/etc/asnad/audit.key"));
        assert_eq!((c.audit_checkpoint_events, c.audit_checkpoint_interval), (50, Duration::from_secs(60)));
        assert!(cfg(&[("ASNAD_AUDIT_CHECKPOINT_EVENTS", "0")])
            .unwrap_err()
            .contains("ASNAD_AUDIT_CHECKPOINT_EVENTS"));
    }
}
