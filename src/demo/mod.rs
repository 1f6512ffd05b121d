//! `asnad demo`: fills an empty database with a realistic month of one review office (ماه
//! نمونهٔ یک دفتر رسیدگی) — providers of every kind with contracts, insured families, about
//! 2,000 claims with scans, pre-authorizations, reviews, objections and reimbursements — and a
//! user for every role, so that the console and the API can be tried at once (docs/DEMO.md).
//!
//! Everything goes through the use cases (`services`), as an API caller's request would: the
//! same validation (the API's own body types where the checks live there), pricing,
//! adjudication, four-eyes rule and audit trail. Nothing is inserted directly; the engine itself
//! decides which claim is clean, deducted or pended, from inputs crafted to be so
//! (`scenario`). Providers send their claims with the API key their system was given; staff act
//! through `services::auth::in_process_caller`. The month is played day by day on the service
//! clock, so receipts, decisions and objection windows have the dates they would have had.
//!
//! Deterministic: one seeded RNG (`--seed`) draws every person, claim and decision, so two runs
//! on empty databases make the same documents (ids, timestamps, passwords and API keys differ).

mod names;
mod scans;
mod scenario;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use crate::config::Config;
use crate::context::ServiceContext;
use crate::db::{DatabaseUrl, PoolOptions};

/// What to make.
#[derive(Clone, Debug)]
pub struct Options {
    /// How many claims (the month's documents); 2,000 is a busy office's month.
    pub claims: usize,
    /// The seed of every random choice.
    pub seed: u64,
    /// Show a progress bar on standard error.
    pub progress: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { claims: 2000, seed: 1405, progress: false }
    }
}

/// A user the demonstration created, with its one-time password (shown once).
#[derive(Clone, Debug)]
pub struct DemoUser {
    pub username: String,
    pub role: String,
    /// The office, provider or insured person the user acts for (empty: Organization-wide).
    pub bound_to: String,
    pub password: String,
}

/// An API key of a provider's system, shown once.
#[derive(Clone, Debug)]
pub struct DemoKey {
    pub provider: String,
    pub username: String,
    pub key: String,
}

/// What was made: users and keys to print, and counts read back through the use cases.
#[derive(Debug, Default)]
pub struct Report {
    pub users: Vec<DemoUser>,
    pub api_keys: Vec<DemoKey>,
    pub providers: usize,
    pub insured: usize,
    /// Claims by status (`approved`, `pended`, …).
    pub claims_by_status: BTreeMap<String, usize>,
    /// Lines deducted or rejected, by reason code.
    pub reasons: BTreeMap<String, usize>,
    pub billed: i64,
    pub insurer_payable: i64,
    pub patient_share: i64,
    pub patient_gap: i64,
    pub deducted: i64,
    pub attachments: usize,
    pub preauthorizations: BTreeMap<String, usize>,
    pub objections: BTreeMap<String, usize>,
    pub reimbursements: BTreeMap<String, usize>,
    /// The first and last service dates (the month).
    pub from: String,
    pub to: String,
    pub seconds: f64,
}

/// Runs the demonstration on the database of `config` (migrating it and importing the tariffs
/// of `ASNAD_TARIFFS_DIR` first, as `serve` does). Refuses a database that holds claims,
/// providers or insured persons.
pub fn run(config: Config, options: Options) -> Result<Report, String> {
    let started = std::time::Instant::now();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let mut ctx = open_context(config)?;
    let mut report = runtime.block_on(scenario::play(&mut ctx, &options))?;
    let mut conn = ctx.pool.get().map_err(|e| e.to_string())?;
    ctx.audit_checkpoints.checkpoint(&mut conn)?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// The use cases' shared state for a command: the server's, without the HTTP server, the
/// group-commit thread (each write is its own transaction, `db::writer`) and the workers. The
/// provider-facts cache keeps the commit hook the server registers, because the demonstration
/// changes contracts and then sends claims that read them.
fn open_context(config: Config) -> Result<ServiceContext, String> {
    let database = DatabaseUrl::parse(&config.database_url)?;
    let pool = crate::db::connect_and_migrate(
        &database,
        &PoolOptions { max_size: config.db_pool_size.max(2), connection_timeout: config.db_timeout },
    )?;
    let (book, audit_key, checkpoints) = {
        let mut conn = pool.get().map_err(|e| format!("cannot reach the database: {e}"))?;
        let key = crate::services::audit::open_key(&config, &mut conn)?;
        let _scope = crate::store::audit::use_key(&key);
        crate::services::tariffs::import_on_start(&mut conn, &config.tariffs_dir);
        let book = crate::services::tariffs::load_book(&mut conn)
            .map_err(|e| format!("cannot load tariffs: {e}"))?;
        let checkpoints = crate::services::audit::Checkpointer::open(&config, key.clone())?;
        (book, key, checkpoints)
    };
    let provider_facts = Arc::new(crate::services::provider_facts::ProviderFactsCache::default());
    let hooks: Arc<Vec<crate::db::writer::CommitHook>> = Arc::new(vec![{
        let facts = provider_facts.clone();
        Arc::new(move |changed: crate::store::changes::Changes| {
            if changed.provider_facts {
                facts.invalidate();
            }
        })
    }]);
    let writer = crate::db::Writer::new(pool.clone(), audit_key.clone(), None, hooks);
    Ok(ServiceContext {
        pool,
        database,
        writer,
        clock: crate::clock::Clock::new(config.fixed_today),
        config: Arc::new(config),
        tariffs: RwLock::new(Arc::new(book)),
        tariffs_generation: Default::default(),
        batch_notify: crate::services::batches::notifier(),
        auth_cache: Default::default(),
        provider_facts,
        audit_key,
        audit_checkpoints: Arc::new(checkpoints),
    })
}

pub use crate::domain::money::group_thousands as rials;

/// Prints the report (`render`) on standard output.
pub fn print(report: &Report) {
    print!("{}", render(report));
}

/// The report as the command prints it. The users' table puts the password third so that a
/// script can read `username role password` as the first three words of each row.
pub fn render(report: &Report) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let claims: usize = report.claims_by_status.values().sum();
    let _ = writeln!(out, "asnad demo: a month of one review office, {} to {}", report.from, report.to);
    let _ = writeln!(out);
    let _ =
        writeln!(out, "USERS (one-time passwords: each user changes theirs at first login; shown only now)");
    let _ = writeln!(out, "{:<24} {:<16} {:<22} BOUND TO", "USERNAME", "ROLE", "PASSWORD");
    for u in &report.users {
        let _ = writeln!(out, "{:<24} {:<16} {:<22} {}", u.username, u.role, u.password, u.bound_to);
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "API KEYS of the providers' systems (Authorization: Bearer <key>; shown only now)");
    let _ = writeln!(out, "{:<24} {:<52} PROVIDER", "USERNAME", "KEY");
    for k in &report.api_keys {
        let _ = writeln!(out, "{:<24} {:<52} {}", k.username, k.key, k.provider);
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "MADE");
    let _ = writeln!(out, "  providers with contracts  {}", report.providers);
    let _ = writeln!(out, "  insured persons           {}", report.insured);
    let _ = writeln!(out, "  claims                    {claims}");
    for (status, n) in &report.claims_by_status {
        let _ = writeln!(out, "    {status:<24}{n}");
    }
    let _ = writeln!(out, "  billed                    {} rials", rials(report.billed));
    let _ = writeln!(out, "  payable by the SSO        {} rials", rials(report.insurer_payable));
    let _ = writeln!(out, "  insured's share           {} rials", rials(report.patient_share));
    let _ = writeln!(out, "  private-sector gap        {} rials", rials(report.patient_gap));
    let _ = writeln!(out, "  deducted                  {} rials", rials(report.deducted));
    let reasons: Vec<String> = report.reasons.iter().map(|(r, n)| format!("{r} {n}")).collect();
    let _ = writeln!(out, "  lines deducted by reason  {}", reasons.join(", "));
    let _ = writeln!(out, "  scans attached            {}", report.attachments);
    let line = |m: &BTreeMap<String, usize>| {
        m.iter().map(|(s, n)| format!("{s} {n}")).collect::<Vec<_>>().join(", ")
    };
    let _ = writeln!(out, "  pre-authorizations        {}", line(&report.preauthorizations));
    let _ = writeln!(out, "  objections                {}", line(&report.objections));
    let _ = writeln!(out, "  reimbursements            {}", line(&report.reimbursements));
    let _ = writeln!(out, "  in {:.1} s", report.seconds);
    out
}
