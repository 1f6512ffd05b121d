//! The command line: `asnad` (serve, the default), `asnad migrate`, `asnad user add`,
//! `asnad backup FILE`, …

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::app::Application;
use crate::auth::Role;
use crate::config::Config;
use crate::db::{DatabaseUrl, PoolOptions};
use crate::services::users::{bootstrap_admin, create_user_on, NewUser};

#[derive(Parser)]
#[command(
    name = "asnad",
    version,
    about = "Claims adjudication for the SSO's indirect treatment (درمان غیرمستقیم)"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the HTTP service (the default). Applies migrations first.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage insured persons.
    Insured {
        #[command(subcommand)]
        command: InsuredCommand,
    },
    /// Manage approved tariffs.
    Tariffs {
        #[command(subcommand)]
        command: TariffCommand,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Write a consistent copy of the SQLite database to FILE (which must not exist) while the
    /// service runs. Attachments are not in it. PostgreSQL: use pg_dump or pg_basebackup.
    Backup { file: std::path::PathBuf },
    /// Fill an empty database with a month of one review office (providers, insured families,
    /// claims with scans, pre-authorizations, reviews, objections, reimbursements) and a user of
    /// every role, whose one-time passwords and API keys are printed once. See docs/DEMO.md.
    Demo {
        /// How many claims to send (the month's documents).
        #[arg(long, default_value_t = 2000)]
        claims: usize,
        /// The seed of every random choice: the same seed makes the same documents.
        #[arg(long, default_value_t = 1405)]
        seed: u64,
        /// No progress bar (for scripts).
        #[arg(long)]
        quiet: bool,
    },
    /// Print the API contract (OpenAPI 3.1, YAML) generated from the code; the repository's
    /// `openapi.yaml` is this output (`cargo run -- openapi > openapi.yaml`).
    Openapi,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check every audit event (hash chain, MAC under the key of ASNAD_AUDIT_KEY_FILE) and the
    /// chain's end against the checkpoint log; exits 1 if anything was altered, inserted,
    /// deleted, truncated or re-hashed.
    Verify,
}

#[derive(Subcommand)]
enum InsuredCommand {
    /// Import insured persons from a CSV file (header: see `asnad insured import --help` or the
    /// README). Bad rows are reported as `line: field: message`; good rows are imported.
    Import {
        file: std::path::PathBuf,
        /// No progress bar (for scripts).
        #[arg(long)]
        quiet: bool,
    },
}

#[derive(Subcommand)]
enum TariffCommand {
    /// Validate and import year folders (e.g. tariffs/1403). Errors are printed as
    /// file:line: message and nothing of a failing folder is imported.
    Import {
        #[arg(required = true)]
        dirs: Vec<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user. Prints a one-time password unless --password-stdin is given.
    Add {
        #[arg(long)]
        username: String,
        /// admin, tariff_admin, reviewer, supervisor, medical_advisor, finance, provider, insured,
        /// province_manager, headquarters
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        provider_id: Option<String>,
        #[arg(long)]
        office_id: Option<String>,
        #[arg(long)]
        insured_id: Option<String>,
        /// A province manager's province (its numeric id).
        #[arg(long)]
        province_id: Option<i32>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s)
        .ok_or_else(|| format!("unknown role {s:?}; one of: {}", Role::ALL.map(|r| r.as_str()).join(", ")))
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if matches!(cli.command, Some(Command::Openapi)) {
        // Needs no configuration or database.
        print!("{}", crate::api::openapi::yaml());
        return ExitCode::SUCCESS;
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    crate::telemetry::init_tracing(&config);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config),
        Command::Migrate => open_pool(&config).map(|_| println!("migrations applied")),
        Command::User { command } => user(config, command),
        Command::Tariffs { command: TariffCommand::Import { dirs } } => import_tariffs(&config, &dirs),
        Command::Audit { command: AuditCommand::Verify } => verify_audit(&config),
        Command::Backup { file } => backup(&config, &file),
        Command::Openapi => unreachable!("handled before the configuration is read"),
        Command::Demo { claims, seed, quiet } => demo(config, claims, seed, quiet),
        Command::Insured { command: InsuredCommand::Import { file, quiet } } => {
            import_insured(&config, &file, quiet)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Verifies with the existing key only: a verification never creates one.
fn verify_audit(config: &Config) -> Result<(), String> {
    let key = crate::services::audit::load_key(&config.audit_key_path())?;
    let pool = open_pool(config)?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let v = crate::services::audit::verify_on(&mut conn, &key, config)?;
    let anchored = match &v.last_checkpoint {
        Some(c) => format!("{} checkpoints, the last at event {} ({})", v.checkpoints, c.seq, c.at),
        None => format!("no checkpoint in {}", config.audit_checkpoint_path().display()),
    };
    if v.ok {
        println!(
            "audit trail intact: {} events, authenticated from event {}; {anchored}",
            v.events, v.authenticated_from
        );
        Ok(())
    } else {
        let at = v.first_bad_seq.map(|s| format!(" at event {s}")).unwrap_or_default();
        let kind =
            v.kind.and_then(|k| serde_json::to_value(k).ok()).and_then(|k| k.as_str().map(String::from));
        Err(format!(
            "audit trail BROKEN{at} ({}): {} ({} events verified before it; {anchored})",
            kind.unwrap_or_default(),
            v.problem.unwrap_or_default(),
            v.events
        ))
    }
}

fn demo(config: Config, claims: usize, seed: u64, quiet: bool) -> Result<(), String> {
    let options = crate::demo::Options { claims, seed, progress: !quiet && std::io::stderr().is_terminal() };
    let report = crate::demo::run(config, options)?;
    crate::demo::print(&report);
    Ok(())
}

fn backup(config: &Config, file: &std::path::Path) -> Result<(), String> {
    let database = DatabaseUrl::parse(&config.database_url)?;
    let r = crate::db::backup(&database, file)?;
    println!(
        "backup written to {}: {:.1} MiB ({} bytes), {} claims, audit head seq {}, in {:.2} s",
        r.path.display(),
        r.bytes as f64 / (1024.0 * 1024.0),
        r.bytes,
        r.claims,
        r.audit_seq,
        r.elapsed.as_secs_f64()
    );
    println!(
        "not in it: the attachments under {} (back them up with rsync; see README: Backup and restore)",
        config.data_dir.join("attachments").display()
    );
    Ok(())
}

/// The audit key for a command that appends events (installed on this thread while the guard
/// lives), and the checkpointer that anchors them when the command is done.
fn audit_key(
    config: &Config,
    conn: &mut crate::db::AnyConnection,
) -> Result<(crate::store::audit::KeyScope, crate::services::audit::Checkpointer), String> {
    let key = crate::services::audit::open_key(config, conn)?;
    let checkpoints = crate::services::audit::Checkpointer::open(config, key.clone())?;
    Ok((crate::store::audit::use_key(&key), checkpoints))
}

fn open_pool(config: &Config) -> Result<crate::db::DbPool, String> {
    let database = DatabaseUrl::parse(&config.database_url)?;
    crate::db::connect_and_migrate(
        &database,
        &PoolOptions { max_size: config.db_pool_size, connection_timeout: config.db_timeout },
    )
}

/// The write path for a command (no group-commit thread, no caches to keep: see `db::writer`).
fn open_writer(config: &Config) -> Result<crate::db::Writer, String> {
    let pool = open_pool(config)?;
    let key = {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        crate::services::audit::open_key(config, &mut conn)?
    };
    Ok(crate::db::Writer::new(pool, key, None, Default::default()))
}

fn serve(config: Config) -> Result<(), String> {
    let database = DatabaseUrl::parse(&config.database_url)?;
    tracing::info!(database = %crate::db::redact_url(&config.database_url), "opening the database");
    let pool = open_pool(&config)?;
    {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        // The service's start writes the checkpoint that covers these events.
        let (_audit_key, _) = audit_key(&config, &mut conn)?;
        crate::services::tariffs::import_on_start(&mut conn, &config.tariffs_dir);
        if let Some(password) =
            bootstrap_admin(&mut conn, config.bootstrap_admin_password.clone()).map_err(|e| e.to_string())?
        {
            print_bootstrap(&password, config.bootstrap_admin_password.is_some());
        }
    }
    let bind = config.bind.clone();
    actix_web::rt::System::new().block_on(async move {
        let app = Application::with_pool(config, database, pool)?;
        tracing::info!(address = %bind, "asnad is listening");
        app.run_until_stopped().await.map_err(|e| e.to_string())
    })
}

fn print_bootstrap(password: &str, from_env: bool) {
    println!("================================================================");
    println!(" First start: created the user 'admin' (role admin).");
    if from_env {
        println!(" Password: the value of ASNAD_BOOTSTRAP_ADMIN_PASSWORD.");
    } else {
        println!(" One-time password: {password}");
    }
    println!(" It must be changed at first login: PUT /api/v1/auth/password");
    println!(" This is the only time it is shown.");
    println!("================================================================");
}

fn user(config: Config, command: UserCommand) -> Result<(), String> {
    let UserCommand::Add {
        username,
        role,
        display_name,
        email,
        provider_id,
        office_id,
        insured_id,
        province_id,
        password_stdin,
    } = command;
    let password = if password_stdin {
        let stdin = std::io::stdin();
        if stdin.is_terminal() {
            eprintln!("password: ");
        }
        let mut line = String::new();
        stdin.lock().read_line(&mut line).map_err(|e| e.to_string())?;
        Some(line.trim_end_matches(['\r', '\n']).to_string())
    } else {
        None
    };
    let pool = open_pool(&config)?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let (_audit_key, checkpoints) = audit_key(&config, &mut conn)?;
    let created = create_user_on(
        &mut conn,
        &cli_actor(),
        NewUser {
            display_name: display_name.unwrap_or_else(|| username.clone()),
            username,
            email,
            role,
            provider_id: provider_id.map(Into::into),
            office_id: office_id.map(Into::into),
            insured_id: insured_id.map(Into::into),
            province_id,
            must_change_password: password.is_none(),
            password,
        },
    )
    .map_err(|e| match e {
        crate::error::AppError::Validation(errs) => {
            errs.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; ")
        }
        other => other.to_string(),
    })?;
    checkpoints.checkpoint(&mut conn)?;
    println!("created user {} ({}) id {}", created.user.username, created.user.role, created.user.id);
    if let Some(p) = created.generated_password {
        println!("one-time password: {p}");
    }
    Ok(())
}

fn import_tariffs(config: &Config, dirs: &[std::path::PathBuf]) -> Result<(), String> {
    use crate::services::tariffs::{import_files, read_dir_files};
    let pool = open_pool(config)?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let (_audit_key, checkpoints) = audit_key(config, &mut conn)?;
    let mut failed = 0;
    for dir in dirs {
        let result = read_dir_files(dir).map_err(|e| e.to_string()).and_then(|files| {
            import_files(&mut conn, &files, &cli_actor()).map_err(|e| match e {
                // Prefix each problem with the folder so the path is complete.
                crate::services::tariffs::ImportFailure::Invalid(errs) => {
                    errs.iter().map(|e| format!("{}/{e}", dir.display())).collect::<Vec<_>>().join("\n")
                }
                other => format!("{}: {other}", dir.display()),
            })
        });
        match result {
            Ok(r) => println!(
                "{}: tariff {} revision {} ({}): {:?}",
                dir.display(),
                r.year,
                r.revision,
                r.status.as_str(),
                r.outcome
            ),
            Err(e) => {
                eprintln!("{e}");
                failed += 1;
            }
        }
    }
    checkpoints.checkpoint(&mut conn)?;
    if failed > 0 {
        Err(format!("{failed} folder(s) not imported"))
    } else {
        Ok(())
    }
}

fn import_insured(config: &Config, file: &std::path::Path, quiet: bool) -> Result<(), String> {
    let size = std::fs::metadata(file).map_err(|e| format!("{}: {e}", file.display()))?.len();
    let reader = std::io::BufReader::with_capacity(
        1 << 20,
        std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?,
    );
    let writer = open_writer(config)?;
    let bar = if quiet { indicatif::ProgressBar::hidden() } else { indicatif::ProgressBar::new(size) };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {msg} ({elapsed}, eta {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let today = crate::clock::Clock::new(config.fixed_today).today();
    let report = crate::services::insured::import_csv(&writer, reader, today, |rows, byte| {
        bar.set_position(byte.min(size));
        bar.set_message(format!("{rows} rows"));
    })
    .map_err(|e| match e {
        crate::error::AppError::Validation(errs) => {
            errs.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; ")
        }
        other => other.to_string(),
    })?;
    bar.finish_and_clear();
    for e in &report.errors {
        eprintln!("{}:{e}", file.display());
    }
    println!(
        "{} rows in {:.1} s: {} inserted, {} updated, {} unchanged, {} coverage periods added, {} rejected",
        report.rows,
        started.elapsed().as_secs_f64(),
        report.inserted,
        report.updated,
        report.unchanged,
        report.coverage_added,
        report.rejected
    );
    if report.rejected as usize > report.errors.len() {
        eprintln!("(only the first {} problems are listed)", report.errors.len());
    }
    Ok(())
}

/// Changes made from the command line are audited as the operator's (`$USER`), role `cli`.
fn cli_actor() -> crate::store::audit::Actor {
    let who = std::env::var("USER").unwrap_or_else(|_| "operator".into());
    crate::store::audit::Actor { id: None, name: format!("cli:{who}"), role: "cli".into() }
}
