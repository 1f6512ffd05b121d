//! The migrations themselves: every down.sql undoes its up.sql, on the backend under test (SQLite
//! by default, PostgreSQL when `ASNAD_TEST_DATABASE_URL` is set), and both backends have the same
//! migrations. The schema is compared as the database describes it (SQLite's `sqlite_master`,
//! PostgreSQL's catalogs), not as the files spell it. And the schema stays ready for Citus: every
//! table has its placement, and the claim side's keys hold the distribution column.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};
use diesel::sqlite::Sqlite;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Diesel's own bookkeeping table, left out of the schema comparisons.
const BOOKKEEPING: &str = "__diesel_schema_migrations";

enum Conn {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

/// Runs `$body` with `$c` bound to the backend's connection and `$m` to its migrations.
macro_rules! on_backend {
    ($conn:expr, |$c:ident, $m:ident| $body:expr) => {
        match $conn {
            Conn::Sqlite($c) => {
                let $m = SQLITE_MIGRATIONS;
                $body
            }
            Conn::Postgres($c) => {
                let $m = POSTGRES_MIGRATIONS;
                $body
            }
        }
    };
}

/// A PostgreSQL database created for one test and dropped after it.
struct PgDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut c) = PgConnection::establish(&self.admin_url) {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

/// A fresh, empty database with a direct connection to it (no pool, no application).
struct MigrationDb {
    // Dropped in this order: the connection, then the PostgreSQL database, then the SQLite file.
    conn: Conn,
    _pg: Option<PgDatabase>,
    _dir: tempfile::TempDir,
}

impl MigrationDb {
    fn fresh() -> MigrationDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let (conn, pg) = match std::env::var("ASNAD_TEST_DATABASE_URL") {
            Ok(server) if !server.is_empty() => {
                let name = format!("asnad_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = PgConnection::establish(&server).expect("connect to ASNAD_TEST_DATABASE_URL");
                admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("create test database");
                let pg = PgDatabase { admin_url: server.clone(), name: name.clone() };
                let base = server.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(server);
                let conn =
                    PgConnection::establish(&format!("{base}/{name}")).expect("connect to test database");
                (Conn::Postgres(conn), Some(pg))
            }
            _ => {
                let path = dir.path().join("asnad.db");
                let mut conn = SqliteConnection::establish(&path.to_string_lossy()).expect("open sqlite");
                // As the service's connections are: WAL, foreign keys enforced.
                conn.batch_execute("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;").expect("pragmas");
                (Conn::Sqlite(conn), None)
            }
        };
        let mut db = MigrationDb { conn, _pg: pg, _dir: dir };
        // Creates diesel's bookkeeping table, so that it can be read directly from now on.
        let applied = on_backend!(&mut db.conn, |c, _m| c.applied_migrations()).expect("applied migrations");
        assert!(applied.is_empty(), "a fresh database has no migration applied: {applied:?}");
        db
    }

    fn backend(&self) -> &'static str {
        match self.conn {
            Conn::Sqlite(_) => "sqlite",
            Conn::Postgres(_) => "postgres",
        }
    }

    /// Every migration version of this backend, in order.
    fn versions(&self) -> Vec<String> {
        let mut versions = match self.conn {
            Conn::Sqlite(_) => versions_of::<Sqlite>(&SQLITE_MIGRATIONS),
            Conn::Postgres(_) => versions_of::<Pg>(&POSTGRES_MIGRATIONS),
        };
        versions.sort();
        versions
    }

    fn up_next(&mut self) -> String {
        let backend = self.backend();
        on_backend!(&mut self.conn, |c, m| c.run_next_migration(m))
            .unwrap_or_else(|e| panic!("{backend}: up.sql failed: {e}"))
            .to_string()
    }

    fn down_last(&mut self) -> String {
        let backend = self.backend();
        on_backend!(&mut self.conn, |c, m| c.revert_last_migration(m))
            .unwrap_or_else(|e| panic!("{backend}: down.sql failed: {e}"))
            .to_string()
    }

    fn up_all(&mut self) -> Vec<String> {
        let backend = self.backend();
        on_backend!(&mut self.conn, |c, m| c.run_pending_migrations(m))
            .unwrap_or_else(|e| panic!("{backend}: migrating up failed: {e}"))
            .iter()
            .map(|v| v.to_string())
            .collect()
    }

    fn down_all(&mut self) -> Vec<String> {
        let backend = self.backend();
        on_backend!(&mut self.conn, |c, m| c.revert_all_migrations(m))
            .unwrap_or_else(|e| panic!("{backend}: reverting every migration failed: {e}"))
            .iter()
            .map(|v| v.to_string())
            .collect()
    }

    /// The versions recorded in diesel's bookkeeping table, in order.
    fn applied(&mut self) -> Vec<String> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Text)]
            version: String,
        }
        let query = format!("SELECT version FROM {BOOKKEEPING} ORDER BY version");
        let rows: Vec<Row> = on_backend!(&mut self.conn, |c, _m| diesel::sql_query(&query).load(c))
            .expect("read the applied migrations");
        rows.into_iter().map(|r| r.version).collect()
    }

    /// The tables of the database, diesel's bookkeeping included.
    fn tables(&mut self) -> Vec<String> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Text)]
            name: String,
        }
        let rows: Vec<Row> = match &mut self.conn {
            Conn::Sqlite(c) => diesel::sql_query(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
                 ORDER BY name",
            )
            .load(c),
            Conn::Postgres(c) => diesel::sql_query(
                "SELECT tablename::text AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
            )
            .load(c),
        }
        .expect("list tables");
        rows.into_iter().map(|r| r.name).collect()
    }

    /// The schema of our own objects (diesel's bookkeeping left out), one sorted line per fact.
    fn schema(&mut self) -> Vec<String> {
        let mut lines = match &mut self.conn {
            Conn::Sqlite(c) => sqlite_schema(c),
            Conn::Postgres(c) => postgres_schema(c),
        };
        lines.sort();
        lines
    }
}

fn versions_of<DB: diesel::backend::Backend>(source: &dyn MigrationSource<DB>) -> Vec<String> {
    source.migrations().expect("embedded migrations").iter().map(|m| m.name().version().to_string()).collect()
}

fn normalise(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn sqlite_schema(c: &mut SqliteConnection) -> Vec<String> {
    #[derive(QueryableByName)]
    struct Object {
        #[diesel(sql_type = Text)]
        kind: String,
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Text)]
        tbl_name: String,
        #[diesel(sql_type = Nullable<Text>)]
        sql: Option<String>,
    }
    let objects: Vec<Object> = diesel::sql_query(format!(
        "SELECT type AS kind, name, tbl_name, sql FROM sqlite_master \
         WHERE name NOT LIKE 'sqlite_%' AND tbl_name <> '{BOOKKEEPING}' ORDER BY name"
    ))
    .load(c)
    .expect("read sqlite_master");
    objects
        .into_iter()
        .map(|o| {
            format!("{} {} on {}: {}", o.kind, o.name, o.tbl_name, normalise(o.sql.as_deref().unwrap_or("")))
        })
        .collect()
}

fn postgres_schema(c: &mut PgConnection) -> Vec<String> {
    #[derive(QueryableByName)]
    struct Column {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Text)]
        column_name: String,
        // Its rank among the table's live columns: ordinal_position itself counts dropped ones,
        // so a column dropped and added again would look moved.
        #[diesel(sql_type = BigInt)]
        position: i64,
        #[diesel(sql_type = Text)]
        data_type: String,
        #[diesel(sql_type = Nullable<Text>)]
        type_modifiers: Option<String>,
        #[diesel(sql_type = Text)]
        is_nullable: String,
        #[diesel(sql_type = Nullable<Text>)]
        column_default: Option<String>,
    }
    #[derive(QueryableByName)]
    struct Index {
        #[diesel(sql_type = Text)]
        indexname: String,
        #[diesel(sql_type = Text)]
        indexdef: String,
    }
    #[derive(QueryableByName)]
    struct Constraint {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Text)]
        constraint_name: String,
        #[diesel(sql_type = Text)]
        constraint_type: String,
        #[diesel(sql_type = Text)]
        columns: String,
        #[diesel(sql_type = Nullable<Text>)]
        definition: Option<String>,
    }
    #[derive(QueryableByName)]
    struct Object {
        #[diesel(sql_type = Text)]
        kind: String,
        #[diesel(sql_type = Text)]
        name: String,
    }

    let columns: Vec<Column> = diesel::sql_query(format!(
        "SELECT table_name::text AS table_name, column_name::text AS column_name,
                row_number() OVER (PARTITION BY table_name ORDER BY ordinal_position) AS position,
                data_type::text AS data_type,
                concat_ws(',', character_maximum_length::text, numeric_precision::text,
                          numeric_scale::text, datetime_precision::text) AS type_modifiers,
                is_nullable::text AS is_nullable, column_default::text AS column_default
           FROM information_schema.columns
          WHERE table_schema = 'public' AND table_name <> '{BOOKKEEPING}'"
    ))
    .load(c)
    .expect("read information_schema.columns");
    let indexes: Vec<Index> = diesel::sql_query(format!(
        "SELECT indexname::text AS indexname, indexdef FROM pg_indexes
          WHERE schemaname = 'public' AND tablename <> '{BOOKKEEPING}'"
    ))
    .load(c)
    .expect("read pg_indexes");
    // NOT NULL shows up in table_constraints as CHECK constraints named after OIDs, which change
    // when a table is made again; nullability is compared with the columns.
    let constraints: Vec<Constraint> = diesel::sql_query(format!(
        "SELECT tc.table_name::text AS table_name, tc.constraint_name::text AS constraint_name,
                tc.constraint_type::text AS constraint_type,
                coalesce(string_agg(kcu.column_name::text, ',' ORDER BY kcu.ordinal_position), '')
                    AS columns,
                (SELECT pg_get_constraintdef(pc.oid) FROM pg_constraint pc
                  WHERE pc.conname = tc.constraint_name
                    AND pc.conrelid = format('%I', tc.table_name)::regclass) AS definition
           FROM information_schema.table_constraints tc
           LEFT JOIN information_schema.key_column_usage kcu
             ON kcu.constraint_schema = tc.constraint_schema
            AND kcu.constraint_name = tc.constraint_name
            AND kcu.table_name = tc.table_name
          WHERE tc.table_schema = 'public' AND tc.table_name <> '{BOOKKEEPING}'
            AND NOT (tc.constraint_type = 'CHECK' AND tc.constraint_name LIKE '%\\_not\\_null')
          GROUP BY tc.table_name, tc.constraint_name, tc.constraint_type"
    ))
    .load(c)
    .expect("read information_schema.table_constraints");
    // Everything else that could be left behind: relations (sequences, views…), functions, types
    // of our own (a table's row type goes with the table), triggers.
    let objects: Vec<Object> = diesel::sql_query(format!(
        "SELECT 'relation ' || c.relkind::text AS kind, c.relname::text AS name
           FROM pg_class c
          WHERE c.relnamespace = 'public'::regnamespace AND c.relname NOT LIKE '{BOOKKEEPING}%'
         UNION ALL
         SELECT 'function', p.proname::text || '(' || pg_get_function_identity_arguments(p.oid) || ')'
           FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
         UNION ALL
         SELECT 'type ' || t.typtype::text, t.typname::text
           FROM pg_type t
          WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('e', 'd', 'r', 'm')
         UNION ALL
         SELECT 'trigger', tg.tgname::text || ' on ' || tg.tgrelid::regclass::text
           FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid
          WHERE NOT tg.tgisinternal AND c.relnamespace = 'public'::regnamespace"
    ))
    .load(c)
    .expect("read pg_catalog");

    let mut lines = Vec::new();
    lines.extend(columns.into_iter().map(|c| {
        format!(
            "column {}.{} #{}: {}({}) nullable={} default={}",
            c.table_name,
            c.column_name,
            c.position,
            c.data_type,
            c.type_modifiers.unwrap_or_default(),
            c.is_nullable,
            c.column_default.unwrap_or_default()
        )
    }));
    lines.extend(indexes.into_iter().map(|i| format!("index {}: {}", i.indexname, i.indexdef)));
    lines.extend(constraints.into_iter().map(|k| {
        format!(
            "constraint {}.{} {}({}): {}",
            k.table_name,
            k.constraint_name,
            k.constraint_type,
            k.columns,
            k.definition.unwrap_or_default()
        )
    }));
    lines.extend(objects.into_iter().map(|o| format!("{} {}", o.kind, o.name)));
    lines
}

/// Asserts two schema captures are equal, naming the lines that differ.
#[track_caller]
fn assert_same_schema(what: &str, expected: &[String], actual: &[String]) {
    if expected == actual {
        return;
    }
    let expected_set: BTreeSet<&String> = expected.iter().collect();
    let actual_set: BTreeSet<&String> = actual.iter().collect();
    let missing: Vec<_> = expected_set.difference(&actual_set).collect();
    let unexpected: Vec<_> = actual_set.difference(&expected_set).collect();
    panic!("{what}: the schema differs\nmissing: {missing:#?}\nunexpected: {unexpected:#?}");
}

#[test]
fn sqlite_and_postgres_have_the_same_migrations() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let folders = |backend: &str| -> Vec<String> {
        let dir = root.join(backend);
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("dir entry"))
            .filter(|e| e.file_type().expect("file type").is_dir())
            .map(|e| e.file_name().into_string().expect("UTF-8 folder name"))
            .collect();
        names.sort();
        for name in &names {
            for file in ["up.sql", "down.sql"] {
                let path = dir.join(name).join(file);
                let sql =
                    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert!(!sql.trim().is_empty(), "{} is empty", path.display());
            }
        }
        names
    };
    let sqlite = folders("sqlite");
    let postgres = folders("postgres");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres, "migrations/sqlite and migrations/postgres have different migrations");
    // And what is embedded in the binary is what is on disk.
    let mut embedded = versions_of::<Sqlite>(&SQLITE_MIGRATIONS);
    embedded.sort();
    assert_eq!(embedded, versions_of_folders(&sqlite));
    let mut embedded = versions_of::<Pg>(&POSTGRES_MIGRATIONS);
    embedded.sort();
    assert_eq!(embedded, versions_of_folders(&postgres));
}

/// `2026-11-23-100000_foundation` → diesel's version `20261123100000`.
fn versions_of_folders(folders: &[String]) -> Vec<String> {
    folders
        .iter()
        .map(|f| f.split('_').next().expect("version").chars().filter(|c| c.is_ascii_digit()).collect())
        .collect()
}

/// For each migration in turn: up, down (back to the schema before it), up again (the same
/// schema as the first time), diesel's record of applied versions following every step.
#[test]
fn migrations_each_revert_and_reapply() {
    let started = std::time::Instant::now();
    let mut db = MigrationDb::fresh();
    let versions = db.versions();
    let mut before = db.schema();
    assert!(before.is_empty(), "a fresh database has objects: {before:#?}");
    for (i, version) in versions.iter().enumerate() {
        assert_eq!(&db.up_next(), version);
        assert_eq!(db.applied(), versions[..=i], "after up of {version}");
        let after = db.schema();
        assert_ne!(after, before, "{version}: up.sql changed nothing");

        assert_eq!(&db.down_last(), version);
        assert_eq!(db.applied(), versions[..i], "after down of {version}");
        assert_same_schema(&format!("{version} down"), &before, &db.schema());

        assert_eq!(&db.up_next(), version);
        assert_eq!(db.applied(), versions[..=i], "after second up of {version}");
        assert_same_schema(&format!("{version} up again"), &after, &db.schema());
        before = after;
    }
    eprintln!("{}: {} migrations up, down, up in {:?}", db.backend(), versions.len(), started.elapsed());
}

/// All the way up, all the way down (nothing of ours left), all the way up again: the same schema.
#[test]
fn migrations_revert_to_nothing_and_reapply() {
    let started = std::time::Instant::now();
    let mut db = MigrationDb::fresh();
    let versions = db.versions();

    assert_eq!(db.up_all(), versions);
    assert_eq!(db.applied(), versions);
    let first = db.schema();
    assert!(!first.is_empty());

    let mut reverted = db.down_all();
    reverted.reverse();
    assert_eq!(reverted, versions, "every migration reverted, last first");
    assert!(db.applied().is_empty(), "applied after reverting all: {:?}", db.applied());
    assert_eq!(db.tables(), [BOOKKEEPING], "tables left after reverting every migration");
    assert_same_schema("reverted every migration", &[], &db.schema());

    assert_eq!(db.up_all(), versions);
    assert_eq!(db.applied(), versions);
    assert_same_schema("migrated up again", &first, &db.schema());
    eprintln!("{}: {} migrations up, all down, up in {:?}", db.backend(), versions.len(), started.elapsed());
}

/// Where each table lives on Citus (migration 2026-12-01-120000_citus_distribution). A new table
/// goes in exactly one list, and its migration's DO block must say the same (see
/// `every_table_has_a_citus_placement`).
///
/// Distributed by `provider_id`, colocated with `claims`: the claim side, one provider's rows on
/// one shard.
const DISTRIBUTED_BY_PROVIDER: &[&str] = &[
    "claims",
    "claim_lines",
    "attachments",
    "claim_batches",
    "claim_batch_items",
    "provider_month_totals",
    "claim_reviews",
    "review_decisions",
    "objections",
    "review_samples",
    "review_sample_claims",
    "advances",
    "settlements",
    "settlement_items",
    "service_flags",
    "report_months",
    "report_deductions",
    "report_objections",
    "report_turnaround_providers",
];
/// Reference tables, a copy on every node: small or rarely written, or referenced by the claim
/// side. None of them references a distributed table.
const REFERENCE: &[&str] = &[
    "provinces",
    "offices",
    "users",
    "auth_tokens",
    "api_keys",
    "tariff_revisions",
    "tariff_files",
    "providers",
    "contracts",
    "contract_versions",
    "contract_events",
    "insured_persons",
    "coverage_periods",
    "preauthorizations",
    "payment_orders",
    "reimbursements",
    "reimbursement_lines",
    "budgets",
    "report_turnaround",
];
/// Plain tables on the coordinator only: no foreign key to or from any other table, never
/// joined (the audit chain must stay in one place).
const LOCAL: &[&str] = &["audit_events", "audit_head", "outbox", "case_attachments"];

/// One `create_…(` call of the PostgreSQL migrations, in the order they run.
struct CitusCall {
    function: String,
    table: String,
    /// The rest of the arguments, as written (`'provider_id', colocate_with => 'claims'`).
    rest: String,
}

/// Every `create_reference_table('t'…)` and `create_distributed_table('t'…)` of the PostgreSQL
/// migrations, migration by migration.
fn citus_calls() -> Vec<CitusCall> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    let mut folders: Vec<_> =
        std::fs::read_dir(&dir).expect("migrations").map(|e| e.expect("dir entry").path()).collect();
    folders.sort();
    let mut calls = Vec::new();
    for folder in folders {
        let Ok(sql) = std::fs::read_to_string(folder.join("up.sql")) else { continue };
        // In file order: split on the common prefix, then tell the two functions apart.
        for piece in sql.split("create_").skip(1) {
            for function in ["reference_table", "distributed_table"] {
                let Some(args) = piece.strip_prefix(&format!("{function}('")) else { continue };
                let (table, rest) = args.split_once('\'').expect("a quoted table name");
                let rest = rest.split(')').next().unwrap_or("").trim_start_matches(',').trim();
                calls.push(CitusCall {
                    function: format!("create_{function}"),
                    table: table.to_string(),
                    rest: rest.to_string(),
                });
            }
        }
    }
    calls
}

/// Both backends: every table of the schema is in exactly one of the three lists, and the
/// PostgreSQL migrations make reference and distributed tables of exactly those lists, each
/// once, the distributed ones by `provider_id` in claims' colocation group.
#[test]
fn every_table_has_a_citus_placement() {
    let mut placed: BTreeMap<&str, &str> = BTreeMap::new();
    for (list, names) in
        [("distributed", DISTRIBUTED_BY_PROVIDER), ("reference", REFERENCE), ("local", LOCAL)]
    {
        for name in names {
            if let Some(before) = placed.insert(name, list) {
                panic!("{name} is both {before} and {list}");
            }
        }
    }
    let mut db = MigrationDb::fresh();
    db.up_all();
    let tables: BTreeSet<String> = db.tables().into_iter().filter(|t| t != BOOKKEEPING).collect();
    let named: BTreeSet<String> = placed.keys().map(|t| t.to_string()).collect();
    assert_eq!(
        tables,
        named,
        "{}: put every table in DISTRIBUTED_BY_PROVIDER, REFERENCE or LOCAL (and place it in its migration)",
        db.backend()
    );

    let calls = citus_calls();
    let of = |function: &str| -> Vec<String> {
        calls.iter().filter(|c| c.function == function).map(|c| c.table.clone()).collect()
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let listed = |l: &[&str]| sorted(l.iter().map(|t| t.to_string()).collect());
    assert_eq!(sorted(of("create_distributed_table")), listed(DISTRIBUTED_BY_PROVIDER));
    assert_eq!(sorted(of("create_reference_table")), listed(REFERENCE));
    for c in calls.iter().filter(|c| c.function == "create_distributed_table") {
        let expected =
            if c.table == "claims" { "'provider_id'" } else { "'provider_id', colocate_with => 'claims'" };
        assert_eq!(c.rest, expected, "create_distributed_table('{}', …)", c.table);
    }
}

/// PostgreSQL: what Citus requires of the claim side, checked on the migrated schema (Citus
/// itself need not be installed). Every unique index of a distributed table, its primary key
/// included, holds `provider_id`; a foreign key into a distributed table comes from another
/// one and pairs `provider_id` with `provider_id`; no reference table references a distributed
/// one; local tables have no foreign key either way; and the DO block places a table after the
/// tables it references.
#[test]
fn claim_side_keys_include_provider_id() {
    let mut db = MigrationDb::fresh();
    if db.backend() != "postgres" {
        eprintln!("skipped: PostgreSQL only (set ASNAD_TEST_DATABASE_URL)");
        return;
    }
    db.up_all();
    let Conn::Postgres(c) = &mut db.conn else { unreachable!() };

    #[derive(QueryableByName)]
    struct Key {
        #[diesel(sql_type = Text)]
        tbl: String,
        #[diesel(sql_type = Text)]
        idx: String,
        #[diesel(sql_type = Bool)]
        primary: bool,
        #[diesel(sql_type = Text)]
        cols: String,
    }
    let keys: Vec<Key> = diesel::sql_query(
        "SELECT t.relname::text AS tbl, i.relname::text AS idx, x.indisprimary AS primary,
                coalesce(string_agg(a.attname::text, ',' ORDER BY k.ord), '') AS cols
           FROM pg_index x
           JOIN pg_class t ON t.oid = x.indrelid
           JOIN pg_class i ON i.oid = x.indexrelid
          CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
           LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
          WHERE t.relnamespace = 'public'::regnamespace AND x.indisunique
          GROUP BY t.relname, i.relname, x.indisprimary",
    )
    .load(c)
    .expect("read the unique indexes");
    for t in DISTRIBUTED_BY_PROVIDER {
        assert!(keys.iter().any(|k| k.tbl == *t && k.primary), "{t} has no primary key");
        for k in keys.iter().filter(|k| k.tbl == *t) {
            assert!(
                k.cols.split(',').any(|col| col == "provider_id"),
                "{t}: unique index {} ({}) lacks provider_id, the distribution column",
                k.idx,
                k.cols
            );
        }
    }

    #[derive(QueryableByName)]
    struct Fk {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Text)]
        src: String,
        #[diesel(sql_type = Text)]
        dst: String,
        #[diesel(sql_type = Bool)]
        pairs_provider: bool,
    }
    let fks: Vec<Fk> = diesel::sql_query(
        "SELECT f.conname::text AS name, s.relname::text AS src, d.relname::text AS dst,
                EXISTS (SELECT 1 FROM unnest(f.conkey, f.confkey) AS k(src_col, dst_col)
                          JOIN pg_attribute sa ON sa.attrelid = f.conrelid AND sa.attnum = k.src_col
                          JOIN pg_attribute da ON da.attrelid = f.confrelid AND da.attnum = k.dst_col
                         WHERE sa.attname = 'provider_id' AND da.attname = 'provider_id') AS pairs_provider
           FROM pg_constraint f
           JOIN pg_class s ON s.oid = f.conrelid
           JOIN pg_class d ON d.oid = f.confrelid
          WHERE f.contype = 'f' AND s.relnamespace = 'public'::regnamespace",
    )
    .load(c)
    .expect("read the foreign keys");
    assert!(!fks.is_empty());
    let distributed = |t: &str| DISTRIBUTED_BY_PROVIDER.contains(&t);
    let calls = citus_calls();
    let placed_at = |t: &str| calls.iter().position(|c| c.table == t);
    for f in &fks {
        let (src, dst) = (f.src.as_str(), f.dst.as_str());
        assert!(!LOCAL.contains(&src), "{}: the local table {src} has a foreign key (to {dst})", f.name);
        assert!(!LOCAL.contains(&dst), "{}: {src} references the local table {dst}", f.name);
        if distributed(dst) {
            assert!(distributed(src), "{}: {src} is not distributed but references {dst}", f.name);
            assert!(f.pairs_provider, "{}: {src} → {dst} does not pair provider_id with provider_id", f.name);
        }
        // Citus: distribute the referenced table first.
        if src != dst {
            let (Some(s), Some(d)) = (placed_at(src), placed_at(dst)) else {
                panic!("{}: {src} → {dst}, one of them is not placed", f.name)
            };
            assert!(d < s, "{}: {src} is placed before {dst}, which it references", f.name);
        }
    }
}
