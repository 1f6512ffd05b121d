//! The audit trail's anchors outside the database (the chain itself is `store::audit`; the
//! threat model is in the README):
//!
//! - The secret key, in the file named by `ASNAD_AUDIT_KEY_FILE` (default
//!   `<ASNAD_DATA_DIR>/audit.key`): 32 bytes, stored as 64 hex digits (32 raw bytes are accepted
//!   too). Created from the operating system's random source with mode 0600 when missing — but
//!   never for a trail that already holds authenticated events: a lost key is restored from its
//!   backup, not silently replaced. A file that group or others may read, or of the wrong
//!   length, stops the service at start.
//! - The checkpoint log, `<ASNAD_DATA_DIR>/audit-checkpoints.jsonl`: one line `{seq, head_hash,
//!   at, authenticated_from, mac}` per checkpoint, appended and fsynced, and the same fields
//!   logged (target `asnad::audit`, so they can be shipped off the host). A checkpoint is written
//!   at start, at shutdown, after `ASNAD_AUDIT_CHECKPOINT_EVENTS` events and at least every
//!   `ASNAD_AUDIT_CHECKPOINT_SECONDS` while events are written. The head is polled once a second
//!   (one primary-key read) rather than counted on the append path: claim intake appends an
//!   event per claim and pays nothing for the checkpoints, and no fsync is added per event.
//!   Processes that share a PostgreSQL database each keep their own log in their own data
//!   directory (and must share the key); verification uses the log it finds.

use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::RngCore;

use crate::config::Config;
use crate::context::ServiceContext;
use crate::db::AnyConnection;
use crate::error::AppResult;
use crate::store::audit::{self, AuditKey, Checkpoint, Checkpoints, Head, KeyCheck, Verification};

/// The variable that names the key file, for error messages.
pub const KEY_FILE_VAR: &str = "ASNAD_AUDIT_KEY_FILE";

/// Reads the key file: a regular file that neither group nor others may access, holding 64 hex
/// digits (surrounding whitespace ignored) or exactly 32 raw bytes.
pub fn load_key(path: &Path) -> Result<AuditKey, String> {
    let fail = |why: String| format!("{KEY_FILE_VAR}: {}: {why}", path.display());
    let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    let meta = file.metadata().map_err(|e| fail(e.to_string()))?;
    if !meta.is_file() {
        return Err(fail("not a regular file".into()));
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(fail(format!(
            "permissions {mode:04o} let others read the audit key; allow the owner only (chmod 600)"
        )));
    }
    let mut bytes = Vec::with_capacity(80);
    file.take(1024).read_to_end(&mut bytes).map_err(|e| fail(e.to_string()))?;
    parse_key(&bytes).map(AuditKey::from_bytes).ok_or_else(|| {
        fail(format!(
            "expected {} bytes as {} hex digits (or {} raw bytes), found {} bytes",
            AuditKey::LEN,
            AuditKey::LEN * 2,
            AuditKey::LEN,
            bytes.len()
        ))
    })
}

fn parse_key(bytes: &[u8]) -> Option<[u8; AuditKey::LEN]> {
    let mut key = [0u8; AuditKey::LEN];
    let text = std::str::from_utf8(bytes).ok().map(str::trim);
    match text {
        Some(t) if t.len() == AuditKey::LEN * 2 && t.bytes().all(|b| b.is_ascii_hexdigit()) => {
            for (i, k) in key.iter_mut().enumerate() {
                *k = u8::from_str_radix(&t[2 * i..2 * i + 2], 16).ok()?;
            }
            Some(key)
        }
        _ if bytes.len() == AuditKey::LEN => {
            key.copy_from_slice(bytes);
            Some(key)
        }
        _ => None,
    }
}

/// Reads the key file, creating it when missing (32 random bytes as hex, mode 0600, written
/// to a temporary file and linked into place, so a concurrent start never sees half a key).
/// Returns whether it was created.
pub fn load_or_create_key(path: &Path) -> Result<(AuditKey, bool), String> {
    match std::fs::symlink_metadata(path) {
        Ok(_) => return load_key(path).map(|k| (k, false)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("{KEY_FILE_VAR}: {}: {e}", path.display())),
    }
    let fail = |why: String| format!("{KEY_FILE_VAR}: cannot create {}: {why}", path.display());
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    let mut bytes = [0u8; AuditKey::LEN];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let text: String = bytes.iter().map(|b| format!("{b:02x}")).collect::<String>() + "\n";
    let tmp = dir.join(format!(".audit-key.{}.tmp", std::process::id()));
    let written = (|| {
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::hard_link(&tmp, path)
    })();
    let _ = std::fs::remove_file(&tmp);
    match written {
        Ok(()) => {
            sync_dir(dir);
            Ok((AuditKey::from_bytes(bytes), true))
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => load_key(path).map(|k| (k, false)),
        Err(e) => Err(fail(e.to_string())),
    }
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// The key for a process that appends events (the service, the command line's writing
/// commands), checked against the trail: created if missing unless the trail already holds
/// authenticated events (then the new file is removed again and start-up refused); a key that
/// does not authenticate the last event is logged as an error (another key, or an altered
/// event: `asnad audit verify` tells which event).
pub fn open_key(config: &Config, conn: &mut AnyConnection) -> Result<AuditKey, String> {
    let path = config.audit_key_path();
    let (key, created) = load_or_create_key(&path)?;
    let check = audit::check_key(conn, &key).map_err(|e| format!("cannot read the audit trail: {e}"))?;
    match check {
        KeyCheck::DoesNotMatch { seq } if created => {
            let _ = std::fs::remove_file(&path);
            return Err(format!(
                "{KEY_FILE_VAR}: {} did not exist, but the audit trail already holds events authenticated \
                 with a key (up to seq {seq}); restore the key file from its backup instead of creating a new one",
                path.display()
            ));
        }
        KeyCheck::DoesNotMatch { seq } => tracing::error!(
            target: "asnad::audit",
            seq,
            key_file = %path.display(),
            fingerprint = %key.fingerprint(),
            "the audit key does not authenticate the trail's last event: wrong {KEY_FILE_VAR}, or the \
             event was altered; run `asnad audit verify`"
        ),
        KeyCheck::Matches | KeyCheck::NothingToCheck => {}
    }
    if created {
        tracing::warn!(
            target: "asnad::audit",
            key_file = %path.display(),
            fingerprint = %key.fingerprint(),
            "created a new audit key; back it up away from the database"
        );
    } else {
        tracing::info!(target: "asnad::audit", fingerprint = %key.fingerprint(), "audit key loaded");
    }
    Ok(key)
}

/// Reads the checkpoint log at `path` (none yet: no checkpoints).
pub fn read_checkpoints(path: &Path, key: &AuditKey) -> Result<(Checkpoints, bool), String> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let torn = !text.is_empty() && !text.ends_with('\n');
            Ok((Checkpoints::parse(&text, key), torn))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((Checkpoints::default(), false)),
        Err(e) => Err(format!("cannot read the audit checkpoint log {}: {e}", path.display())),
    }
}

/// Writes checkpoints of the chain's head to the log (see the module's notes).
pub struct Checkpointer {
    key: AuditKey,
    path: PathBuf,
    every_events: i64,
    every: Duration,
    last: Mutex<Last>,
}

struct Last {
    /// The head of the last checkpoint written (or found in the log).
    head: Option<(i64, String)>,
    at: Instant,
    /// The lowest `authenticated_from` the log holds: carried forward, so that raising it in
    /// the database does not lower the bar.
    authenticated_from: Option<i64>,
}

impl Checkpointer {
    /// Reads the log (its last checkpoint and `authenticated_from`).
    pub fn open(config: &Config, key: AuditKey) -> Result<Self, String> {
        let path = config.audit_checkpoint_path();
        let (log, torn) = read_checkpoints(&path, &key)?;
        if torn {
            drop_torn_line(&path)
                .map_err(|e| format!("cannot repair the audit checkpoint log {}: {e}", path.display()))?;
        }
        if !log.invalid.is_empty() {
            tracing::error!(
                target: "asnad::audit",
                lines = log.invalid.len(),
                first = log.invalid[0].line,
                log = %path.display(),
                "the audit checkpoint log has lines that are not authentic checkpoints"
            );
        }
        Ok(Self {
            key,
            every_events: config.audit_checkpoint_events.max(1),
            every: config.audit_checkpoint_interval,
            last: Mutex::new(Last {
                head: log.last().map(|c| (c.seq, c.head_hash.clone())),
                at: Instant::now(),
                authenticated_from: log.authenticated_from(),
            }),
            path,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes a checkpoint of the committed head now, unless the last one holds the same head.
    pub fn checkpoint(&self, conn: &mut AnyConnection) -> Result<Option<Checkpoint>, String> {
        self.write_if(conn, |_, _| true)
    }

    /// Writes a checkpoint if one is due: the head moved by `ASNAD_AUDIT_CHECKPOINT_EVENTS`, or
    /// moved at all and `ASNAD_AUDIT_CHECKPOINT_SECONDS` passed since the last one.
    pub fn checkpoint_if_due(&self, conn: &mut AnyConnection) -> Result<Option<Checkpoint>, String> {
        let (every_events, every) = (self.every_events, self.every);
        self.write_if(conn, move |last, head| {
            let since = head.seq - last.head.as_ref().map(|h| h.0).unwrap_or(0);
            since.abs() >= every_events || last.at.elapsed() >= every
        })
    }

    fn write_if(
        &self,
        conn: &mut AnyConnection,
        due: impl FnOnce(&Last, &Head) -> bool,
    ) -> Result<Option<Checkpoint>, String> {
        let Some(mut head) = audit::head(conn).map_err(|e| format!("cannot read the audit head: {e}"))?
        else {
            return Err("the audit trail's head row is missing".into());
        };
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if last.head.as_ref().is_some_and(|(seq, hash)| *seq == head.seq && *hash == head.hash)
            || !due(&last, &head)
        {
            return Ok(None);
        }
        if let Some(from) = last.authenticated_from {
            head.authenticated_from = head.authenticated_from.min(from);
        }
        let c = Checkpoint::new(&self.key, &head, chrono::Utc::now());
        let mut line = serde_json::to_string(&c).map_err(|e| e.to_string())?;
        line.push('\n');
        append_synced(&self.path, line.as_bytes())
            .map_err(|e| format!("cannot write the audit checkpoint log {}: {e}", self.path.display()))?;
        tracing::info!(
            target: "asnad::audit",
            seq = c.seq,
            head_hash = %c.head_hash,
            at = %c.at,
            authenticated_from = c.authenticated_from,
            mac = %c.mac,
            "audit checkpoint"
        );
        *last = Last {
            head: Some((c.seq, c.head_hash.clone())),
            at: Instant::now(),
            authenticated_from: Some(c.authenticated_from),
        };
        Ok(Some(c))
    }
}

/// Cuts a last line left unfinished by a crash (it is no checkpoint: `Checkpoints::parse`
/// skips it), so that the next checkpoint starts on a line of its own.
fn drop_torn_line(path: &Path) -> std::io::Result<()> {
    let text = std::fs::read(path)?;
    let keep = text.iter().rposition(|b| *b == b'\n').map(|i| i + 1).unwrap_or(0);
    let f = std::fs::OpenOptions::new().write(true).open(path)?;
    f.set_len(keep as u64)?;
    f.sync_data()
}

/// Appends `bytes` in one write (O_APPEND: lines of two processes never interleave) and
/// waits until they are on disk.
fn append_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let existed = path.exists();
    let mut f = std::fs::OpenOptions::new().append(true).create(true).mode(0o600).open(path)?;
    f.write_all(bytes)?;
    f.sync_data()?;
    if !existed {
        if let Some(dir) = path.parent() {
            sync_dir(dir);
        }
    }
    Ok(())
}

/// Checkpoints in the background for the life of the process: polls the head once a second
/// (or every `ASNAD_AUDIT_CHECKPOINT_SECONDS`, if shorter).
pub fn spawn_checkpoints(state: std::sync::Arc<ServiceContext>) {
    let poll = state.config.audit_checkpoint_interval.min(Duration::from_secs(1));
    tokio::task::spawn_local(async move {
        loop {
            tokio::time::sleep(poll).await;
            let checkpoints = state.audit_checkpoints.clone();
            let written = state.db(move |conn| Ok(checkpoints.checkpoint_if_due(conn))).await;
            if let Err(e) = written.map_err(|e| e.to_string()).and_then(|r| r) {
                tracing::error!(target: "asnad::audit", error = %e, "audit checkpoint failed");
            }
        }
    });
}

/// Verifies the whole trail with `key` against the checkpoint log of `config`'s data directory.
pub fn verify_on(conn: &mut AnyConnection, key: &AuditKey, config: &Config) -> Result<Verification, String> {
    let (log, _) = read_checkpoints(&config.audit_checkpoint_path(), key)?;
    audit::verify(conn, key, &log).map_err(|e| format!("cannot read the audit trail: {e}"))
}

/// `GET /api/v1/audit/verify`.
pub async fn verify(state: &ServiceContext) -> AppResult<Verification> {
    let key = state.audit_key.clone();
    let config = state.config.clone();
    state.db(move |conn| verify_on(conn, &key, &config).map_err(crate::error::AppError::Internal)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_missing_key_is_created_owner_only_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/audit.key");
        let (key, created) = load_or_create_key(&path).unwrap();
        assert!(created);
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.trim().len(), 64);
        let (again, created) = load_or_create_key(&path).unwrap();
        assert!(!created);
        assert_eq!(again.fingerprint(), key.fingerprint());
        // No temporary file left behind.
        assert_eq!(std::fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
    }

    #[test]
    fn a_key_others_can_read_or_of_the_wrong_length_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.key");
        let write = |content: &[u8], mode: u32| {
            let _ = std::fs::remove_file(&path);
            std::fs::write(&path, content).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        };
        let hex = "ab".repeat(32);
        write(hex.as_bytes(), 0o644);
        let e = load_or_create_key(&path).unwrap_err();
        assert!(e.contains(KEY_FILE_VAR) && e.contains("0644"), "{e}");
        write(hex.as_bytes(), 0o400);
        assert!(load_key(&path).is_ok());
        write(b"abcd", 0o600);
        let e = load_key(&path).unwrap_err();
        assert!(e.contains(KEY_FILE_VAR) && e.contains("found 4 bytes"), "{e}");
        write(&[7u8; 32], 0o600);
        assert_eq!(load_key(&path).unwrap().fingerprint(), AuditKey::from_bytes([7u8; 32]).fingerprint());
        write(format!("{hex}\n").as_bytes(), 0o600);
        assert_eq!(load_key(&path).unwrap().fingerprint(), AuditKey::from_bytes([0xab; 32]).fingerprint());
        let e = load_key(dir.path()).unwrap_err();
        assert!(e.contains(KEY_FILE_VAR), "{e}");
    }

    #[test]
    fn a_line_torn_by_a_crash_is_cut_before_the_next_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config { data_dir: dir.path().to_path_buf(), ..Config::default() };
        let path = config.audit_checkpoint_path();
        let key = AuditKey::from_bytes([1; 32]);
        let head = Head { seq: 3, hash: "ab".repeat(32), authenticated_from: 1 };
        let c = Checkpoint::new(&key, &head, chrono::Utc::now());
        let whole = format!("{}\n", serde_json::to_string(&c).unwrap());
        std::fs::write(&path, format!("{whole}{{\"seq\":")).unwrap();
        let (log, torn) = read_checkpoints(&path, &key).unwrap();
        assert!(torn);
        assert_eq!((log.valid.len(), log.invalid.len()), (1, 0));
        let checkpointer = Checkpointer::open(&config, key.clone()).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), whole);
        assert_eq!(checkpointer.last.lock().unwrap().head, Some((3, "ab".repeat(32))));
        append_synced(&path, whole.as_bytes()).unwrap();
        let (log, torn) = read_checkpoints(&path, &key).unwrap();
        assert_eq!((log.valid.len(), log.invalid.len(), torn), (2, 0, false));
    }
}
