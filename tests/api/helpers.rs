use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use asnad::app::Application;
use asnad::auth::Role;
use asnad::config::Config;
use asnad::db::{connect_and_migrate, DatabaseUrl, DbPool, PoolOptions};
use asnad::services::users::{create_user_on, NewUser};
use asnad::store::audit::{AuditKey, KeyScope, Verification};
use diesel::connection::SimpleConnection;
use diesel::Connection;
use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::Method;
use serde_json::Value;

pub const PASSWORD: &str = "test-password-123";

/// A PostgreSQL database created for one test and dropped after it.
struct PgTestDb {
    admin_url: String,
    name: String,
}

impl Drop for PgTestDb {
    fn drop(&mut self) {
        if let Ok(mut c) = diesel::PgConnection::establish(&self.admin_url) {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

/// The application under test, served on a free loopback port.
pub struct TestApp {
    pub base: String,
    config: Config,
    pub client: Client,
    pub pool: DbPool,
    pub database: DatabaseUrl,
    /// The audit key of the app (its file is in the test's data directory, the default place).
    pub audit_key: AuditKey,
    handle: Option<actix_web::dev::ServerHandle>,
    thread: Option<JoinHandle<()>>,
    pg: Option<PgTestDb>,
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub fn spawn() -> TestApp {
        Self::spawn_with(|_| {})
    }

    /// Starts the app with a test configuration adjusted by `adjust`.
    pub fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let (database_url, pg) = match std::env::var("ASNAD_TEST_DATABASE_URL") {
            Ok(server) if !server.is_empty() => {
                let name = format!("asnad_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin =
                    diesel::PgConnection::establish(&server).expect("connect to ASNAD_TEST_DATABASE_URL");
                admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("create test database");
                let base = server.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(server.clone());
                (format!("{base}/{name}"), Some(PgTestDb { admin_url: server, name }))
            }
            _ => (format!("sqlite://{}", dir.path().join("asnad.db").display()), None),
        };
        let mut config = Config {
            bind: "127.0.0.1:0".into(),
            database_url: database_url.clone(),
            data_dir: dir.path().join("data"),
            db_pool_size: 4,
            db_timeout: Duration::from_secs(2),
            workers: 1,
            // A restarted app takes its lists back after a second, not the default 30 s.
            batch_lease: Duration::from_secs(1),
            tariffs_dir: std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tariffs"),
            // 1403-07-19: claims of Mehr 1403 are within their submission deadline.
            fixed_today: Some(chrono::NaiveDate::from_ymd_opt(2024, 10, 10).expect("date")),
            ..Config::default()
        };
        adjust(&mut config);
        let kept_config = config.clone();
        let database = DatabaseUrl::parse(&config.database_url).expect("database url");
        let pool = connect_and_migrate(
            &database,
            &PoolOptions { max_size: config.db_pool_size, connection_timeout: config.db_timeout },
        )
        .expect("migrate test database");
        let audit_key = {
            let mut conn = pool.get().expect("conn");
            let key = asnad::services::audit::open_key(&config, &mut conn).expect("audit key");
            let _scope = asnad::store::audit::use_key(&key);
            asnad::services::tariffs::import_on_start(&mut conn, &config.tariffs_dir);
            key
        };

        let (port, handle, thread) = start_server(config, database.clone(), pool.clone());
        TestApp {
            base: format!("http://127.0.0.1:{port}"),
            config: kept_config,
            client: Client::builder().timeout(Duration::from_secs(30)).build().expect("client"),
            pool,
            database,
            audit_key,
            handle: Some(handle),
            thread: Some(thread),
            pg,
            _dir: dir,
        }
    }

    /// Stops the server and starts a new one on the same database, as a restart would.
    pub fn restart_with(&mut self, adjust: impl FnOnce(&mut Config)) {
        self.stop();
        adjust(&mut self.config);
        let (port, handle, thread) =
            start_server(self.config.clone(), self.database.clone(), self.pool.clone());
        self.base = format!("http://127.0.0.1:{port}");
        self.handle = Some(handle);
        self.thread = Some(thread);
    }

    fn stop(&mut self) {
        if let Some(handle) = self.handle.take() {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                rt.block_on(handle.stop(false));
            }
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// The configuration the app runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Restarts on the same database with the service's clock pinned to `date` (`ASNAD_FIXED_TODAY`):
    /// days pass as they would between two requests.
    pub fn restart_on(&mut self, date: &str) {
        let date: chrono::NaiveDate = date.parse().expect("ISO date");
        self.restart_with(|c| c.fixed_today = Some(date));
    }

    /// Where the app keeps attachments and mail (`ASNAD_DATA_DIR`).
    pub fn data_dir(&self) -> std::path::PathBuf {
        self.config.data_dir.clone()
    }

    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }

    /// Installs the app's audit key on the test's thread, for audited work done directly on
    /// the pool (as the server's own threads do).
    pub fn audit_scope(&self) -> KeyScope {
        asnad::store::audit::use_key(&self.audit_key)
    }

    /// Writes a checkpoint of the audit chain's head now, into the app's checkpoint log;
    /// returns its seq.
    pub fn audit_checkpoint(&self) -> i64 {
        let checkpoints = asnad::services::audit::Checkpointer::open(&self.config, self.audit_key.clone())
            .expect("checkpointer");
        let mut conn = self.pool.get().expect("conn");
        let head = asnad::store::audit::head(&mut conn).expect("head").expect("head row");
        checkpoints.checkpoint(&mut conn).expect("checkpoint");
        // The log holds a checkpoint of this head (just written, or already there).
        let (log, _) =
            asnad::services::audit::read_checkpoints(&self.config.audit_checkpoint_path(), &self.audit_key)
                .expect("checkpoint log");
        assert!(log.valid.iter().any(|c| c.seq == head.seq && c.head_hash == head.hash), "{log:?}");
        head.seq
    }

    /// Verifies the audit trail directly (as `asnad audit verify` does).
    pub fn verify_audit(&self) -> Verification {
        let mut conn = self.pool.get().expect("conn");
        asnad::services::audit::verify_on(&mut conn, &self.audit_key, &self.config).expect("verify")
    }

    /// Creates a user directly (no HTTP), with the test password and no pending change.
    pub fn create_user(&self, username: &str, role: Role, scope: Scope) -> String {
        let _audit = self.audit_scope();
        let mut conn = self.pool.get().expect("conn");
        create_user_on(
            &mut conn,
            &asnad::store::audit::Actor::system(),
            NewUser {
                username: username.into(),
                display_name: username.into(),
                email: None,
                role,
                provider_id: scope.provider_id.map(Into::into),
                office_id: scope.office_id.map(Into::into),
                insured_id: scope.insured_id.map(Into::into),
                province_id: scope.province_id,
                password: Some(PASSWORD.into()),
                must_change_password: false,
            },
        )
        .unwrap_or_else(|e| panic!("create user {username}: {e:?}"))
        .user
        .id
        .into_string()
    }

    /// Logs in through the API and returns the bearer token.
    pub fn login(&self, username: &str, password: &str) -> String {
        let res = self.post_json(
            "/api/v1/auth/token",
            None,
            &serde_json::json!({"username": username, "password": password}),
        );
        assert_eq!(res.status(), 201, "login of {username}");
        let body: Value = res.json().expect("json");
        body["access_token"].as_str().expect("token").to_string()
    }

    /// A user of `role` (scope as given) and its token.
    pub fn token_for(&self, username: &str, role: Role, scope: Scope) -> String {
        self.create_user(username, role, scope);
        self.login(username, PASSWORD)
    }

    pub fn admin_token(&self) -> String {
        self.token_for("root", Role::Admin, Scope::default())
    }

    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let mut rb = self.client.request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        rb
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.request(Method::GET, path, token).send().expect("request")
    }

    pub fn delete(&self, path: &str, token: Option<&str>) -> Response {
        self.request(Method::DELETE, path, token).send().expect("request")
    }

    pub fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.request(Method::POST, path, token).json(body).send().expect("request")
    }

    pub fn put_json(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.request(Method::PUT, path, token).json(body).send().expect("request")
    }

    pub fn patch_json(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.request(Method::PATCH, path, token).json(body).send().expect("request")
    }

    /// Makes the database disappear: the PostgreSQL test database is dropped (its sessions
    /// terminated), the SQLite file is deleted.
    pub fn remove_database(&self) {
        match &self.pg {
            Some(pg) => {
                let mut c = diesel::PgConnection::establish(&pg.admin_url).expect("admin connection");
                c.batch_execute(&format!("DROP DATABASE {} WITH (FORCE)", pg.name)).expect("drop database");
            }
            None => {
                if let DatabaseUrl::Sqlite(path) = &self.database {
                    for suffix in ["", "-wal", "-shm"] {
                        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                    }
                }
            }
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop();
        // The pool's connections must be closed before the PostgreSQL database can be dropped;
        // fields drop in order after this, and `pg` drops (with FORCE) last of the two.
    }
}

/// Runs the application on its own actix system thread; returns its port, handle and thread.
fn start_server(
    config: Config,
    database: DatabaseUrl,
    pool: DbPool,
) -> (u16, actix_web::dev::ServerHandle, JoinHandle<()>) {
    let (tx, rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let app = Application::with_pool(config, database, pool).expect("build app");
            tx.send((app.port(), app.handle())).expect("send port");
            let _ = app.run_until_stopped().await;
        })
    });
    let (port, handle) = rx.recv().expect("server started");
    (port, handle, thread)
}

#[derive(Default, Clone)]
pub struct Scope {
    pub provider_id: Option<String>,
    pub office_id: Option<String>,
    pub insured_id: Option<String>,
    pub province_id: Option<i32>,
}

impl Scope {
    pub fn office(id: &str) -> Self {
        Scope { office_id: Some(id.into()), ..Default::default() }
    }
    pub fn provider(id: &str) -> Self {
        Scope { provider_id: Some(id.into()), ..Default::default() }
    }
}

/// Asserts an RFC 9457 answer and returns its body.
pub fn assert_problem(res: Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status().as_u16(), status, "status");
    let ct = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert_eq!(ct, "application/problem+json", "content type");
    let body: Value = res.json().expect("problem body is JSON");
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(body["title"].is_string() && body["detail"].is_string(), "{body}");
    assert!(body["request_id"].is_string(), "{body}");
    body
}
