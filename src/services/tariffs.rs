//! Importing tariff years and loading them for pricing.
//!
//! Rules of import (see `tariffs/README.md`):
//! - every file is validated; all problems are reported as `file:line: message`, nothing is
//!   written unless the whole year is valid, and the year is written in one transaction;
//! - importing the same (year, revision) with the same content is a no-op;
//! - an `official` revision is never changed: a correction is a new revision (with its own
//!   effective date), and claims keep the revision they were priced with;
//! - a `sample` revision may be replaced in place while it is the year's latest (sample data
//!   is not used for real payments);
//! - a revision older than the year's latest is refused.

use std::collections::HashMap;
use std::path::Path;

use crate::context::ServiceContext;
use crate::db::{write_tx, AnyConnection};
use crate::domain::tariff::{parse_tariff, ImportError, Tariff, TariffBook, TariffStatus, FILES};
use crate::error::{AppError, AppResult, FieldError};
use crate::store::audit::{self, Actor};
use crate::store::{self, tariffs};

/// What an import did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = TariffImportOutcome)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Imported,
    Unchanged,
    /// A sample revision replaced in place.
    Replaced,
}

#[derive(Debug)]
pub struct ImportReport {
    pub year: i32,
    pub revision: i32,
    pub status: TariffStatus,
    pub outcome: Outcome,
}

#[derive(Debug)]
pub enum ImportFailure {
    /// The files are invalid.
    Invalid(Vec<ImportError>),
    /// Valid, but importing would change what must not change.
    Refused(String),
    Database(AppError),
}

impl std::fmt::Display for ImportFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportFailure::Invalid(errs) => {
                for (i, e) in errs.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "{e}")?;
                }
                Ok(())
            }
            ImportFailure::Refused(m) => f.write_str(m),
            ImportFailure::Database(e) => write!(f, "{e}"),
        }
    }
}

impl From<ImportFailure> for AppError {
    fn from(f: ImportFailure) -> Self {
        match f {
            ImportFailure::Invalid(errs) => AppError::Validation(
                errs.into_iter()
                    .map(|e| {
                        let field =
                            if e.line == 0 { e.file.clone() } else { format!("{}:{}", e.file, e.line) };
                        FieldError::new(field, "invalid_tariff", e.message)
                    })
                    .collect(),
            ),
            ImportFailure::Refused(m) => AppError::conflict("tariff_revision_refused", m),
            ImportFailure::Database(e) => e,
        }
    }
}

impl From<diesel::result::Error> for ImportFailure {
    fn from(e: diesel::result::Error) -> Self {
        ImportFailure::Database(e.into())
    }
}

/// Validates and stores one year's files in a transaction of its own (the command line and the
/// start-up import; the API goes through the writer: `import`).
pub fn import_files(
    conn: &mut AnyConnection,
    files: &HashMap<String, String>,
    actor: &Actor,
) -> Result<ImportReport, ImportFailure> {
    let tariff = parse_tariff(files).map_err(ImportFailure::Invalid)?;
    write_tx(conn, |conn| store_tariff(conn, &tariff, files, actor))
}

/// `POST /api/v1/tariffs/import`: validates the files (before any write), stores them through
/// the writer, and — when something changed — reloads the tariffs every pricing reads.
pub async fn import(
    state: &ServiceContext,
    files: HashMap<String, String>,
    actor: Actor,
) -> AppResult<ImportReport> {
    let tariff = parse_tariff(&files).map_err(ImportFailure::Invalid)?;
    let report = state.write(move |conn| Ok(store_tariff(conn, &tariff, &files, &actor)?)).await?;
    if report.outcome != Outcome::Unchanged {
        let book = state.db(load_book).await?;
        state.set_tariffs(book);
    }
    Ok(report)
}

/// Stores a parsed revision, refusing what would rewrite an official one or go back in time.
fn store_tariff(
    conn: &mut AnyConnection,
    tariff: &Tariff,
    files: &HashMap<String, String>,
    actor: &Actor,
) -> Result<ImportReport, ImportFailure> {
    let (year, revision) = (tariff.meta.year, tariff.meta.revision);
    {
        let existing = tariffs::revisions_of_year(conn, year)?;
        let mut outcome = Outcome::Imported;
        if let Some(same) = existing.iter().find(|r| r.revision == revision) {
            if same.content_hash == tariff.content_hash {
                return Ok(report(tariff, Outcome::Unchanged));
            }
            if same.status == TariffStatus::Official.as_str() {
                return Err(ImportFailure::Refused(format!(
                    "tariff {year} revision {revision} is official and already imported with other content; \
                     a correction is a new revision (revision {} with its effective date)",
                    existing.last().map(|r| r.revision + 1).unwrap_or(revision + 1)
                )));
            }
            if let Some(latest) = existing.last().filter(|l| l.revision > revision) {
                return Err(ImportFailure::Refused(format!(
                    "tariff {year} revision {revision} is older than the imported revision {}",
                    latest.revision
                )));
            }
            tariffs::delete(conn, year, revision)?;
            outcome = Outcome::Replaced;
        } else if let Some(latest) = existing.last() {
            if latest.revision > revision {
                return Err(ImportFailure::Refused(format!(
                    "tariff {year} revision {revision} is older than the imported revision {}",
                    latest.revision
                )));
            }
            if tariff.effective_from < latest.effective_from {
                return Err(ImportFailure::Refused(format!(
                    "revision {revision} takes effect before revision {} of the same year",
                    latest.revision
                )));
            }
        }
        let rev = tariffs::RevisionRow {
            year,
            revision,
            status: tariff.meta.status.as_str().into(),
            effective_from: tariff.effective_from,
            cabinet_resolution: tariff.meta.cabinet_resolution.clone(),
            content_hash: tariff.content_hash.clone(),
            imported_at: store::now(),
            imported_by: actor.name.clone(),
        };
        let rows: Vec<tariffs::FileRow> = FILES
            .iter()
            .map(|name| tariffs::FileRow {
                year,
                revision,
                file_name: name.to_string(),
                content: files.get(*name).cloned().unwrap_or_default(),
            })
            .collect();
        tariffs::insert(conn, &rev, &rows)?;
        let action = if outcome == Outcome::Replaced { "replaced" } else { "imported" };
        let id = format!("{year}/{revision}");
        audit::append(conn, actor, "tariff", &id, action, None, audit::json(&rev))?;
        Ok(report(tariff, outcome))
    }
}

fn report(t: &Tariff, outcome: Outcome) -> ImportReport {
    ImportReport { year: t.meta.year, revision: t.meta.revision, status: t.meta.status, outcome }
}

/// Reads the files of a year folder.
pub fn read_dir_files(dir: &Path) -> Result<HashMap<String, String>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files = HashMap::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        if !entry.file_type().map(|t| t.is_file()).unwrap_or(false) {
            continue;
        }
        let name = entry.file_name().to_string_lossy().to_string();
        let content =
            std::fs::read_to_string(entry.path()).map_err(|e| format!("{}: {e}", entry.path().display()))?;
        files.insert(name, content);
    }
    Ok(files)
}

/// The year folders (named by a 4-digit year) under `root`, ascending.
pub fn year_dirs(root: &Path) -> Vec<std::path::PathBuf> {
    let mut dirs: Vec<_> = std::fs::read_dir(root)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.is_dir()
                        && p.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.len() == 4 && n.bytes().all(|b| b.is_ascii_digit()))
                })
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

/// At start: imports every year folder under `root` (idempotent). A folder that fails is logged
/// and skipped; the service still starts with what it has.
pub fn import_on_start(conn: &mut AnyConnection, root: &Path) {
    if !root.is_dir() {
        tracing::warn!(dir = %root.display(), "no tariff folder; pricing needs tariffs imported (asnad tariffs import)");
        return;
    }
    for dir in year_dirs(root) {
        let result = read_dir_files(&dir)
            .map_err(|e| e.to_string())
            .and_then(|files| import_files(conn, &files, &Actor::system()).map_err(|e| e.to_string()));
        match result {
            Ok(r) if r.outcome == Outcome::Unchanged => {}
            Ok(r) => {
                tracing::info!(year = r.year, revision = r.revision, status = r.status.as_str(), outcome = ?r.outcome, "tariff imported")
            }
            Err(e) => tracing::error!(dir = %dir.display(), error = %e, "tariff folder not imported"),
        }
    }
}

/// How often a process looks for tariff revisions stored by someone else: another process on
/// the same database, or the command line. An import through this process replaces the book at
/// once (`import`); one made elsewhere is priced with here after at most this long.
pub const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// What identifies the stored revisions' content: a revision imported, corrected in place
/// (a new content hash) or made official changes it.
fn fingerprint(revisions: &[tariffs::RevisionRow]) -> Vec<(i32, i32, String, chrono::NaiveDate, String)> {
    revisions
        .iter()
        .map(|r| (r.year, r.revision, r.status.clone(), r.effective_from, r.content_hash.clone()))
        .collect()
}

/// Keeps this process's tariffs equal to the stored ones for its life: every `REFRESH_EVERY`,
/// reloads the book when the stored revisions differ from those last seen. A reload that an
/// import through this process overtook is dropped (`set_tariffs_unless_replaced`).
pub fn spawn_refresh(state: std::sync::Arc<ServiceContext>) {
    tokio::task::spawn_local(async move {
        // Read at the first poll: the book loaded at start may already be older than this.
        let mut seen = None;
        loop {
            tokio::time::sleep(REFRESH_EVERY).await;
            let generation = state.tariffs_generation();
            let stored = state.db(|conn| Ok(fingerprint(&tariffs::revisions(conn)?))).await;
            let stored = match stored {
                Ok(f) => f,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the tariff revisions");
                    continue;
                }
            };
            if seen.as_ref() == Some(&stored) {
                continue;
            }
            match state.db(load_book).await {
                Ok(book) => {
                    if seen.is_some() {
                        tracing::info!("tariff revisions changed elsewhere: reloaded");
                    }
                    state.set_tariffs_unless_replaced(generation, book);
                    seen = Some(stored);
                }
                Err(e) => tracing::error!(error = %e, "cannot reload the tariffs"),
            }
        }
    });
}

/// Parses every stored revision into a book. A stored revision that no longer parses (it was
/// valid when imported) is a bug or tampering; it is logged and left out.
pub fn load_book(conn: &mut AnyConnection) -> AppResult<TariffBook> {
    let mut tariffs_loaded = Vec::new();
    for rev in tariffs::revisions(conn)? {
        let files: HashMap<String, String> = tariffs::files(conn, rev.year, rev.revision)?
            .into_iter()
            .map(|f| (f.file_name, f.content))
            .collect();
        match parse_tariff(&files) {
            Ok(t) => tariffs_loaded.push(t),
            Err(errs) => {
                tracing::error!(year = rev.year, revision = rev.revision, first = %errs[0], "stored tariff does not parse")
            }
        }
    }
    Ok(TariffBook::new(tariffs_loaded))
}
