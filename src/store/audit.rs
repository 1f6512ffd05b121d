//! The audit trail (رد ممیزی): append-only events, each hash covering the previous one, and each
//! authenticated with the server's secret key, so that someone who can write to the database
//! but holds neither the key nor the checkpoint log kept outside it cannot alter, insert, delete,
//! truncate or re-hash events undetected (`verify`). The key file and the checkpoint log live in
//! `services::audit`; the threat model is in the README ("Threat model of the audit trail").
//!
//! Decisions:
//! - An event's `mac` is HMAC-SHA256 under the key of its `hash`, and the hash is SHA-256 over
//!   the previous hash, the seq and every other field. One HMAC over 64 bytes per event thus
//!   authenticates its content, its position and its predecessor. The plain chain stays as it
//!   was: it links the events written before the MAC column existed to the authenticated ones,
//!   and anyone can check it without the key.
//! - Events from before the MAC column (`audit_head.authenticated_from`, set by the migration to
//!   the next seq at the time) have no MAC; they are checked by the plain chain only, and every
//!   authenticated event after them covers them through `prev_hash`. From `authenticated_from`
//!   on, a missing MAC is a break. The checkpoint log repeats `authenticated_from`, so raising
//!   it in the database does not turn authenticated events into "old" ones.
//! - The key reaches `append` through a per-thread scope (`use_key`), not a parameter: every
//!   unit of work runs on one thread (`ServiceContext::db`, the SQLite group-commit writer, the
//!   command line), which installs the key once, so the many callers of `append` stay as they
//!   were. Without a key in scope `append` and `for_entity` fail: no event is ever written
//!   without its MAC.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::db::schema::{audit_events, audit_head};
use crate::db::AnyConnection;

/// The `prev_hash` of the first event (and the head's hash while there is none).
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Domain separation: an event's MAC can never be taken for a checkpoint's, or the reverse.
const EVENT_MAC_DOMAIN: &str = "asnad audit event v1";
const CHECKPOINT_MAC_DOMAIN: &str = "asnad audit checkpoint v1";
const FINGERPRINT_DOMAIN: &str = "asnad audit key fingerprint v1";

type HmacSha256 = Hmac<Sha256>;

/// The server's secret audit key (32 bytes, HMAC-SHA256). It is never logged: `Debug` shows a
/// fingerprint (an HMAC of a constant), which tells two processes' keys apart and nothing else.
#[derive(Clone)]
pub struct AuditKey(Arc<[u8; AuditKey::LEN]>);

impl AuditKey {
    pub const LEN: usize = 32;

    pub fn from_bytes(bytes: [u8; Self::LEN]) -> Self {
        Self(Arc::new(bytes))
    }

    fn hmac(&self, domain: &str, message: &[u8]) -> HmacSha256 {
        // HMAC accepts keys of any length; this cannot fail.
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.0[..]).expect("HMAC key of any length");
        mac.update(domain.as_bytes());
        mac.update(b"\n");
        mac.update(message);
        mac
    }

    fn sign(&self, domain: &str, message: &[u8]) -> String {
        hex(&self.hmac(domain, message).finalize().into_bytes())
    }

    /// Compares in constant time (`verify_slice`).
    fn check(&self, domain: &str, message: &[u8], mac_hex: &str) -> bool {
        match unhex(mac_hex) {
            Some(bytes) => self.hmac(domain, message).verify_slice(&bytes).is_ok(),
            None => false,
        }
    }

    /// The MAC of an event, given its hash.
    pub fn event_mac(&self, hash: &str) -> String {
        self.sign(EVENT_MAC_DOMAIN, hash.as_bytes())
    }

    pub fn event_mac_ok(&self, hash: &str, mac: &str) -> bool {
        self.check(EVENT_MAC_DOMAIN, hash.as_bytes(), mac)
    }

    /// 16 hex digits that identify the key without revealing it (for logs).
    pub fn fingerprint(&self) -> String {
        self.sign(FINGERPRINT_DOMAIN, b"")[..16].to_string()
    }
}

impl fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuditKey(fingerprint {})", self.fingerprint())
    }
}

thread_local! {
    static KEY_IN_SCOPE: RefCell<Option<AuditKey>> = const { RefCell::new(None) };
}

/// The key installed on this thread by `use_key`, until dropped (then the previous one, if any,
/// is back). Not `Send`: it must be dropped on the thread that made it.
#[must_use = "the key is in scope only while the guard lives"]
pub struct KeyScope {
    previous: Option<AuditKey>,
    _not_send: PhantomData<*const ()>,
}

/// Installs `key` for the events appended and read on this thread while the guard lives.
pub fn use_key(key: &AuditKey) -> KeyScope {
    let previous = KEY_IN_SCOPE.with(|k| k.replace(Some(key.clone())));
    KeyScope { previous, _not_send: PhantomData }
}

impl Drop for KeyScope {
    fn drop(&mut self) {
        let previous = self.previous.take();
        KEY_IN_SCOPE.with(|k| *k.borrow_mut() = previous);
    }
}

fn key_in_scope() -> QueryResult<AuditKey> {
    KEY_IN_SCOPE.with(|k| k.borrow().clone()).ok_or_else(|| {
        diesel::result::Error::QueryBuilderError(
            "no audit key in scope on this thread (audit::use_key); the event is not written".into(),
        )
    })
}

/// Who did it: a user, or the service itself (`actor_id` empty, e.g. the adjudication engine).
#[derive(Clone, Debug)]
pub struct Actor {
    pub id: Option<String>,
    pub name: String,
    pub role: String,
}

impl Actor {
    pub fn system() -> Self {
        Self { id: None, name: "asnad".into(), role: "system".into() }
    }

    pub fn of(caller: &crate::auth::Caller) -> Self {
        Self {
            id: Some(caller.user_id.to_string()),
            name: caller.username.clone(),
            role: caller.role.as_str().into(),
        }
    }
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    pub seq: i64,
    pub at: NaiveDateTime,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub actor_role: String,
    pub entity: String,
    pub entity_id: String,
    pub action: String,
    pub before_state: Option<String>,
    pub after_state: Option<String>,
    pub prev_hash: String,
    pub hash: String,
    /// HMAC-SHA256 of `hash` under the server's key; none on events from before MACs existed.
    pub mac: Option<String>,
}

/// The hash of an event: SHA-256 over the previous hash and a JSON array of every other field
/// (JSON so that no field's content can be mistaken for a separator). The MAC is not part of it.
/// Anyone can compute it: it is what a database writer without the key can recompute.
pub fn event_hash(e: &AuditEvent) -> String {
    let body = serde_json::json!([
        e.seq,
        e.at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
        e.actor_id,
        e.actor_name,
        e.actor_role,
        e.entity,
        e.entity_id,
        e.action,
        e.before_state,
        e.after_state,
    ]);
    let mut h = Sha256::new();
    h.update(e.prev_hash.as_bytes());
    h.update(b"\n");
    h.update(body.to_string().as_bytes());
    hex(&h.finalize())
}

/// Lower-case hex. By table, not `format!` per byte: that cost ~4 µs per hash, more than the
/// HMAC itself (~0.5 µs), on the claim-intake path.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    s
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok()).collect()
}

/// A record as the JSON kept in an event's before/after.
pub fn json<T: Serialize>(record: &T) -> Option<serde_json::Value> {
    serde_json::to_value(record).ok()
}

/// Appends an event inside the caller's transaction, with its MAC under the key in scope
/// (`use_key`).
///
/// When the writer opened a deferral (`store::deferred`) the event waits there and is chained
/// and inserted with the transaction's other events just before the commit
/// ([`chain_and_insert`]); without one (set-up code) it is chained and inserted at once.
#[allow(clippy::too_many_arguments)]
pub fn append(
    conn: &mut AnyConnection,
    actor: &Actor,
    entity: &str,
    entity_id: impl AsRef<str>,
    action: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> QueryResult<()> {
    // No event is ever taken without a key to sign it with.
    key_in_scope()?;
    let event = AuditEvent {
        seq: 0,
        at: crate::store::now(),
        actor_id: actor.id.clone(),
        actor_name: actor.name.clone(),
        actor_role: actor.role.clone(),
        entity: entity.into(),
        entity_id: entity_id.as_ref().into(),
        action: action.into(),
        before_state: before.map(|v| v.to_string()),
        after_state: after.map(|v| v.to_string()),
        prev_hash: String::new(),
        hash: String::new(),
        mac: None,
    };
    match crate::store::deferred::add_audit_event(event) {
        None => Ok(()),
        Some(event) => chain_and_insert(conn, &mut [*event]),
    }
}

/// Events per multi-row insert: 13 columns each, well under SQLite's 32,766 parameters.
const EVENTS_PER_INSERT: usize = 1000;

/// Chains `events` onto the end of the trail — each gets the next seq, the previous event's
/// hash, its own hash and its MAC under the key in scope — inserts them and moves the head.
///
/// The head row orders concurrent appenders: it is read with its row lock (on PostgreSQL
/// `FOR UPDATE`; SQLite has one writer anyway), so a second process's transaction waits here
/// until the first commits and then continues the chain from its end.
pub fn chain_and_insert(conn: &mut AnyConnection, events: &mut [AuditEvent]) -> QueryResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let key = key_in_scope()?;
    let (mut seq, mut hash) = lock_head(conn)?;
    for e in events.iter_mut() {
        seq += 1;
        e.seq = seq;
        e.prev_hash = std::mem::take(&mut hash);
        e.hash = event_hash(e);
        e.mac = Some(key.event_mac(&e.hash));
        hash = e.hash.clone();
    }
    // Multi-row inserts through the inner connection (diesel's batch insert is not available on
    // the MultiConnection backend).
    for chunk in events.chunks(EVENTS_PER_INSERT) {
        match conn {
            AnyConnection::Sqlite(c) => diesel::insert_into(audit_events::table).values(chunk).execute(c)?,
            AnyConnection::Postgresql(c) => {
                diesel::insert_into(audit_events::table).values(chunk).execute(c)?
            }
        };
    }
    diesel::update(audit_head::table.find(1))
        .set((audit_head::seq.eq(seq), audit_head::hash.eq(&hash)))
        .execute(conn)?;
    Ok(())
}

/// Reads the head row (seq, hash) with its row lock (see [`chain_and_insert`]).
fn lock_head(conn: &mut AnyConnection) -> QueryResult<(i64, String)> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        seq: i64,
        #[diesel(sql_type = diesel::sql_types::Text)]
        hash: String,
    }
    let sql = match conn {
        AnyConnection::Postgresql(_) => "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
        AnyConnection::Sqlite(_) => "SELECT seq, hash FROM audit_head WHERE id = 1",
    };
    let row: Row = diesel::sql_query(sql).get_result(conn)?;
    Ok((row.seq, row.hash))
}

/// The chain's head row: the last seq written, its hash, and the first seq that carries a MAC.
#[derive(Clone, Debug, PartialEq, Eq, Queryable)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
    pub authenticated_from: i64,
}

pub fn head(conn: &mut AnyConnection) -> QueryResult<Option<Head>> {
    audit_head::table
        .find(1)
        .select((audit_head::seq, audit_head::hash, audit_head::authenticated_from))
        .first::<Head>(conn)
        .optional()
}

/// Whether `key` is the one the trail was written with, judged by the last event.
#[derive(Debug, PartialEq, Eq)]
pub enum KeyCheck {
    /// No event with a MAC yet (an empty trail, or only events from before MACs).
    NothingToCheck,
    Matches,
    /// The last event's MAC is missing or does not check: another key, or an altered event.
    DoesNotMatch {
        seq: i64,
    },
}

/// Checks the key against the head's event (one lookup by primary key, cheap at start-up).
pub fn check_key(conn: &mut AnyConnection, key: &AuditKey) -> QueryResult<KeyCheck> {
    let Some(head) = head(conn)? else { return Ok(KeyCheck::NothingToCheck) };
    if head.seq < head.authenticated_from {
        return Ok(KeyCheck::NothingToCheck);
    }
    let last = audit_events::table
        .find(head.seq)
        .select((audit_events::hash, audit_events::mac))
        .first::<(String, Option<String>)>(conn)
        .optional()?;
    Ok(match last {
        Some((hash, Some(mac))) if key.event_mac_ok(&hash, &mac) => KeyCheck::Matches,
        _ => KeyCheck::DoesNotMatch { seq: head.seq },
    })
}

/// An entity's events, oldest first — only those that belong to the chain as far as can be
/// checked without walking it: seq 1 or above (the chain starts at 1, anything below is forged),
/// content matching the hash, and a MAC that checks (or none, before `authenticated_from`). An
/// event left out is logged; `verify` reports it. Needs the key in scope (`use_key`).
pub fn for_entity(
    conn: &mut AnyConnection,
    entity: &str,
    entity_id: impl AsRef<str>,
) -> QueryResult<Vec<AuditEvent>> {
    let key = key_in_scope()?;
    let authenticated_from = head(conn)?.map(|h| h.authenticated_from).unwrap_or(1);
    let events = audit_events::table
        .filter(audit_events::entity.eq(entity).and(audit_events::entity_id.eq(entity_id.as_ref())))
        .filter(audit_events::seq.ge(1i64))
        .order(audit_events::seq.asc())
        .select(AuditEvent::as_select())
        .load(conn)?;
    Ok(events
        .into_iter()
        .filter(|e| {
            let authentic = event_hash(e) == e.hash
                && match &e.mac {
                    Some(mac) => key.event_mac_ok(&e.hash, mac),
                    None => e.seq < authenticated_from,
                };
            if !authentic {
                tracing::warn!(
                    seq = e.seq,
                    entity,
                    entity_id = entity_id.as_ref(),
                    "audit event fails verification; left out"
                );
            }
            authentic
        })
        // Events of this transaction not inserted yet (`store::deferred`): written by this
        // process a moment ago, chained at the commit.
        .chain(crate::store::deferred::audit_events_of(entity, entity_id.as_ref()))
        .collect())
}

/// A checkpoint: at `at`, the chain's head was `seq` with hash `head_hash`. Written by the
/// server outside the database (`services::audit`), authenticated with the key, so that a
/// shorter or re-hashed chain is noticed even where nothing inside the database shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    pub seq: i64,
    pub head_hash: String,
    /// RFC 3339, UTC; authenticated as written.
    pub at: String,
    /// The first seq that carries a MAC (see the module's notes).
    pub authenticated_from: i64,
    pub mac: String,
}

impl Checkpoint {
    pub fn new(key: &AuditKey, head: &Head, at: chrono::DateTime<chrono::Utc>) -> Self {
        let mut c = Self {
            seq: head.seq,
            head_hash: head.hash.clone(),
            at: at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            authenticated_from: head.authenticated_from,
            mac: String::new(),
        };
        c.mac = key.sign(CHECKPOINT_MAC_DOMAIN, c.body().as_bytes());
        c
    }

    fn body(&self) -> String {
        serde_json::json!([self.seq, self.head_hash, self.at, self.authenticated_from]).to_string()
    }

    pub fn authentic(&self, key: &AuditKey) -> bool {
        key.check(CHECKPOINT_MAC_DOMAIN, self.body().as_bytes(), &self.mac)
    }
}

/// A line of the checkpoint log that is not an authentic checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidCheckpoint {
    /// 1-based.
    pub line: usize,
    /// The seq it claims, if it could be read.
    pub seq: Option<i64>,
    pub why: String,
}

/// The checkpoint log, read and checked with the key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Checkpoints {
    /// The authentic checkpoints, in the log's order.
    pub valid: Vec<Checkpoint>,
    /// The lines that are not.
    pub invalid: Vec<InvalidCheckpoint>,
}

impl Checkpoints {
    /// Reads a log (one JSON checkpoint per line). A last line without its newline that does
    /// not parse is a write cut short by a crash and is skipped; blank lines are skipped.
    pub fn parse(text: &str, key: &AuditKey) -> Self {
        let mut out = Self::default();
        let complete = text.ends_with('\n');
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let torn = i + 1 == lines.len() && !complete;
            match serde_json::from_str::<Checkpoint>(line) {
                Ok(c) if c.authentic(key) => out.valid.push(c),
                Ok(c) => out.invalid.push(InvalidCheckpoint {
                    line: i + 1,
                    seq: Some(c.seq),
                    why: "its MAC does not check (altered, or written with another key)".into(),
                }),
                Err(_) if torn => {}
                Err(e) => out.invalid.push(InvalidCheckpoint {
                    line: i + 1,
                    seq: serde_json::from_str::<serde_json::Value>(line).ok().and_then(|v| v["seq"].as_i64()),
                    why: format!("not a checkpoint: {e}"),
                }),
            }
        }
        out
    }

    /// The authentic checkpoint with the highest seq (the latest written, of equal seqs).
    pub fn last(&self) -> Option<&Checkpoint> {
        self.valid.iter().max_by_key(|c| c.seq)
    }

    /// The lowest `authenticated_from` any authentic checkpoint recorded.
    pub fn authenticated_from(&self) -> Option<i64> {
        self.valid.iter().map(|c| c.authenticated_from).min()
    }
}

/// How the chain is broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = AuditBreakKind)]
#[serde(rename_all = "snake_case")]
pub enum BreakKind {
    /// A row whose seq is not an integer (SQLite stores what it is given).
    NonIntegerSeq,
    /// A row with seq 0 or below: the chain starts at 1.
    SeqNotPositive,
    DuplicateSeq,
    NonIncreasingSeq,
    /// An event is missing (deleted from the middle).
    Gap,
    /// `prev_hash` is not the previous event's hash.
    BrokenLink,
    /// The content does not match the hash.
    HashMismatch,
    /// No MAC on an event that must have one.
    MacMissing,
    /// The MAC does not check: the event was altered, inserted or re-hashed without the key.
    MacMismatch,
    /// A row cannot be read at all.
    Unreadable,
    /// The chain ends before the head or a checkpoint says it did: events deleted at the end.
    Truncated,
    /// The head row does not match the chain's last event.
    HeadMismatch,
    /// The event at a checkpoint's seq has another hash than the checkpoint recorded.
    Rehashed,
    /// A line of the checkpoint log is not an authentic checkpoint.
    CheckpointInvalid,
}

/// The latest checkpoint, in a verification report.
#[derive(Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = AuditCheckpoint)]
pub struct CheckpointSummary {
    pub seq: i64,
    /// RFC 3339, UTC, as the checkpoint was written.
    #[schema(format = DateTime)]
    pub at: String,
}

/// The outcome of checking the whole chain.
#[derive(Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = AuditVerification)]
pub struct Verification {
    pub ok: bool,
    /// Events found in order before the first break (all of them when ok).
    pub events: i64,
    /// The first event that does not fit (for a gap or a truncation: the first one missing);
    /// null when ok, for a seq that is not an integer, or for a bad checkpoint line whose seq
    /// cannot be read.
    pub first_bad_seq: Option<i64>,
    /// How the chain is broken; null when ok.
    pub kind: Option<BreakKind>,
    /// What is wrong, in words; null when ok.
    pub problem: Option<String>,
    /// The first seq that must carry a MAC (earlier events predate MACs).
    pub authenticated_from: i64,
    /// Authentic checkpoints the chain was checked against.
    pub checkpoints: usize,
    pub last_checkpoint: Option<CheckpointSummary>,
}

/// A break found by the walk.
#[derive(Debug, PartialEq, Eq)]
pub struct Break {
    pub seq: Option<i64>,
    pub kind: BreakKind,
    pub problem: String,
}

impl Break {
    fn at(seq: i64, kind: BreakKind, problem: String) -> Self {
        Self { seq: Some(seq), kind, problem }
    }
}

/// The walk over the rows in seq order; pure, so that the rules are unit-tested without a
/// database.
pub struct Walk<'a> {
    key: &'a AuditKey,
    authenticated_from: i64,
    /// Checkpointed seq → the hashes recorded for it.
    anchors: BTreeMap<i64, Vec<&'a str>>,
    next: i64,
    prev_hash: String,
    last_seq: Option<i64>,
}

impl<'a> Walk<'a> {
    pub fn new(key: &'a AuditKey, authenticated_from: i64, checkpoints: &'a [Checkpoint]) -> Self {
        let mut anchors: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
        for c in checkpoints.iter().filter(|c| c.seq >= 1) {
            anchors.entry(c.seq).or_default().push(&c.head_hash);
        }
        Self { key, authenticated_from, anchors, next: 1, prev_hash: GENESIS.into(), last_seq: None }
    }

    /// Events found in order so far.
    pub fn events(&self) -> i64 {
        self.next - 1
    }

    /// Checks the next row, `raw_seq` being its seq as the database holds it (as text). On
    /// success `e.seq` is that seq.
    pub fn step(&mut self, raw_seq: &str, e: &mut AuditEvent) -> Result<(), Break> {
        use BreakKind::*;
        let Some(seq) = parse_seq(raw_seq) else {
            return Err(Break {
                seq: None,
                kind: NonIntegerSeq,
                problem: format!("an event's seq is not an integer: {raw_seq}"),
            });
        };
        e.seq = seq;
        if seq <= 0 {
            return Err(Break::at(seq, SeqNotPositive, format!("event {seq} is before the first (seq 1)")));
        }
        match self.last_seq {
            Some(last) if seq == last => {
                return Err(Break::at(seq, DuplicateSeq, format!("event {seq} appears twice")))
            }
            Some(last) if seq < last => {
                return Err(Break::at(seq, NonIncreasingSeq, format!("event {seq} comes after event {last}")))
            }
            _ => {}
        }
        if seq != self.next {
            let missing = self.next;
            return Err(Break::at(missing, Gap, format!("event {missing} is missing")));
        }
        if e.prev_hash != self.prev_hash {
            return Err(Break::at(
                seq,
                BrokenLink,
                format!("event {seq} does not link to the event before it"),
            ));
        }
        if event_hash(e) != e.hash {
            return Err(Break::at(
                seq,
                HashMismatch,
                format!("the content of event {seq} does not match its hash"),
            ));
        }
        match &e.mac {
            Some(mac) if !self.key.event_mac_ok(&e.hash, mac) => {
                return Err(Break::at(
                    seq,
                    MacMismatch,
                    format!(
                    "the MAC of event {seq} does not check: altered, inserted or re-hashed without the key"
                ),
                ))
            }
            None if seq >= self.authenticated_from => {
                return Err(Break::at(
                    seq,
                    MacMissing,
                    format!("event {seq} has no MAC (every event from {} on must)", self.authenticated_from),
                ))
            }
            _ => {}
        }
        if let Some(recorded) = self.anchors.get(&seq) {
            if recorded.iter().any(|h| *h != e.hash) {
                return Err(Break::at(
                    seq,
                    Rehashed,
                    format!(
                        "event {seq} has another hash than a checkpoint recorded: the chain was re-hashed"
                    ),
                ));
            }
        }
        self.prev_hash = e.hash.clone();
        self.last_seq = Some(seq);
        self.next = seq + 1;
        Ok(())
    }

    /// After the last row: neither a checkpoint nor the head may be ahead of the chain, and the
    /// head must be its last event.
    pub fn finish(&self, head: Option<&Head>, checkpoints: &[Checkpoint]) -> Result<(), Break> {
        use BreakKind::*;
        let end = self.events();
        if let Some(c) = checkpoints.iter().filter(|c| c.seq > end).max_by_key(|c| c.seq) {
            return Err(Break::at(
                end + 1,
                Truncated,
                format!(
                    "the chain ends at event {end} but the checkpoint of {} recorded {} events",
                    c.at, c.seq
                ),
            ));
        }
        let Some(head) = head else {
            return Err(Break::at(end + 1, HeadMismatch, "the chain's head row is missing".into()));
        };
        if head.seq > end {
            return Err(Break::at(
                end + 1,
                Truncated,
                format!("the chain ends at event {end} but {} events were written", head.seq),
            ));
        }
        if head.seq != end || head.hash != self.prev_hash {
            return Err(Break::at(
                end,
                HeadMismatch,
                format!("the head row ({} events) does not match the chain's last event {end}", head.seq),
            ));
        }
        Ok(())
    }
}

/// A seq as the database holds it; `None` unless it is an integer.
fn parse_seq(raw: &str) -> Option<i64> {
    let digits = raw.strip_prefix('-').unwrap_or(raw);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse().ok()
}

/// An event as the verification reads it: the seq as text, so that a seq that is not an
/// integer is seen as it is rather than coerced by the driver.
#[derive(Queryable)]
struct RawEvent {
    seq: String,
    at: NaiveDateTime,
    actor_id: Option<String>,
    actor_name: String,
    actor_role: String,
    entity: String,
    entity_id: String,
    action: String,
    before_state: Option<String>,
    after_state: Option<String>,
    prev_hash: String,
    hash: String,
    mac: Option<String>,
}

impl RawEvent {
    fn split(self) -> (String, AuditEvent) {
        let e = AuditEvent {
            seq: 0,
            at: self.at,
            actor_id: self.actor_id,
            actor_name: self.actor_name,
            actor_role: self.actor_role,
            entity: self.entity,
            entity_id: self.entity_id,
            action: self.action,
            before_state: self.before_state,
            after_state: self.after_state,
            prev_hash: self.prev_hash,
            hash: self.hash,
            mac: self.mac,
        };
        (self.seq, e)
    }
}

const PAGE: i64 = 2000;

/// Walks every row of `audit_events` in seq order — including rows below 1 and, on SQLite,
/// rows whose seq is not an integer — recomputing each hash and checking each MAC with `key`,
/// then compares the end of the chain with the head row and with the authentic checkpoints.
/// Reports the first break.
pub fn verify(
    conn: &mut AnyConnection,
    key: &AuditKey,
    checkpoints: &Checkpoints,
) -> QueryResult<Verification> {
    use diesel::dsl::sql;
    use diesel::sql_types::Text;

    let head = head(conn)?;
    let authenticated_from = [head.as_ref().map(|h| h.authenticated_from), checkpoints.authenticated_from()]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(1);
    // SQLite keeps any value in a BIGINT column; show what is not an integer as "real 1.5".
    let seq_text = match conn {
        AnyConnection::Sqlite(_) => {
            "CASE typeof(seq) WHEN 'integer' THEN CAST(seq AS TEXT) ELSE typeof(seq) || ' ' || quote(seq) END"
        }
        AnyConnection::Postgresql(_) => "CAST(seq AS TEXT)",
    };
    let mut walk = Walk::new(key, authenticated_from, &checkpoints.valid);
    let mut last: Option<i64> = None;
    let found = 'walk: loop {
        let mut query = audit_events::table
            .select((
                sql::<Text>(seq_text),
                audit_events::at,
                audit_events::actor_id,
                audit_events::actor_name,
                audit_events::actor_role,
                audit_events::entity,
                audit_events::entity_id,
                audit_events::action,
                audit_events::before_state,
                audit_events::after_state,
                audit_events::prev_hash,
                audit_events::hash,
                audit_events::mac,
            ))
            .order(audit_events::seq.asc())
            .limit(PAGE)
            .into_boxed();
        if let Some(last) = last {
            query = query.filter(audit_events::seq.gt(last));
        }
        let page: Vec<RawEvent> = match query.load(conn) {
            Ok(page) => page,
            Err(diesel::result::Error::DeserializationError(e)) => {
                let seq = walk.events() + 1;
                break Some(Break::at(
                    seq,
                    BreakKind::Unreadable,
                    format!("an event from {seq} on cannot be read: {e}"),
                ));
            }
            Err(e) => return Err(e),
        };
        if page.is_empty() {
            break None;
        }
        for row in page {
            let (raw_seq, mut e) = row.split();
            if let Err(b) = walk.step(&raw_seq, &mut e) {
                break 'walk Some(b);
            }
            last = Some(e.seq);
        }
    };
    let found = found.or_else(|| walk.finish(head.as_ref(), &checkpoints.valid).err()).or_else(|| {
        checkpoints.invalid.first().map(|c| Break {
            seq: c.seq,
            kind: BreakKind::CheckpointInvalid,
            problem: format!("checkpoint log line {}: {}", c.line, c.why),
        })
    });
    let last_checkpoint = checkpoints.last().map(|c| CheckpointSummary { seq: c.seq, at: c.at.clone() });
    Ok(match found {
        None => Verification {
            ok: true,
            events: walk.events(),
            first_bad_seq: None,
            kind: None,
            problem: None,
            authenticated_from,
            checkpoints: checkpoints.valid.len(),
            last_checkpoint,
        },
        Some(b) => Verification {
            ok: false,
            events: walk.events(),
            first_bad_seq: b.seq,
            kind: Some(b.kind),
            problem: Some(b.problem),
            authenticated_from,
            checkpoints: checkpoints.valid.len(),
            last_checkpoint,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> AuditKey {
        AuditKey::from_bytes([n; AuditKey::LEN])
    }

    fn at(i: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_728_000_000 + i, 123_456_000).unwrap().naive_utc()
    }

    /// A chain of `n` events as `append` writes them; the first `legacy` without MACs.
    fn chain(key: &AuditKey, n: i64, legacy: i64) -> Vec<AuditEvent> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let mut e = AuditEvent {
                    seq,
                    at: at(seq),
                    actor_id: Some("u1".into()),
                    actor_name: "rev1".into(),
                    actor_role: "reviewer".into(),
                    entity: "claim".into(),
                    entity_id: format!("c{seq}"),
                    action: "decided".into(),
                    before_state: None,
                    after_state: Some(format!(r#"{{"payable":{}}}"#, seq * 1000)),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                    mac: None,
                };
                e.hash = event_hash(&e);
                if seq > legacy {
                    e.mac = Some(key.event_mac(&e.hash));
                }
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn head_of(events: &[AuditEvent], authenticated_from: i64) -> Head {
        let last = events.last();
        Head {
            seq: last.map(|e| e.seq).unwrap_or(0),
            hash: last.map(|e| e.hash.clone()).unwrap_or_else(|| GENESIS.into()),
            authenticated_from,
        }
    }

    /// Walks `events` (seqs as given) and the head; the first break.
    fn walk(
        key: &AuditKey,
        events: &[AuditEvent],
        head: &Head,
        authenticated_from: i64,
        checkpoints: &[Checkpoint],
    ) -> Option<(Option<i64>, BreakKind)> {
        let mut w = Walk::new(key, authenticated_from, checkpoints);
        for e in events {
            let mut e = e.clone();
            if let Err(b) = w.step(&e.seq.to_string(), &mut e) {
                return Some((b.seq, b.kind));
            }
        }
        w.finish(Some(head), checkpoints).err().map(|b| (b.seq, b.kind))
    }

    /// Re-hashes from `from` on with the plain SHA-256 chain, as a writer without the key can.
    fn rehash(events: &mut [AuditEvent], from: usize) {
        for i in from..events.len() {
            if i > 0 {
                events[i].prev_hash = events[i - 1].hash.clone();
            }
            events[i].hash = event_hash(&events[i]);
        }
    }

    #[test]
    fn hex_is_lower_case_two_digits_per_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(unhex("000fa0ff"), Some(vec![0x00, 0x0f, 0xa0, 0xff]));
        assert_eq!(unhex("0g"), None);
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("+f"), None);
    }

    #[test]
    fn macs_depend_on_the_key_the_hash_and_the_domain() {
        let (a, b) = (key(1), key(2));
        let h = event_hash(&chain(&a, 1, 0)[0]);
        let m = a.event_mac(&h);
        assert_eq!(m.len(), 64);
        assert!(a.event_mac_ok(&h, &m));
        assert!(!b.event_mac_ok(&h, &m));
        assert!(!a.event_mac_ok(&h.replace('a', "b"), &m));
        assert!(!a.event_mac_ok(&h, "zz"));
        assert!(!a.event_mac_ok(&h, &m[..62]));
        // An event's MAC is not a checkpoint's for the same bytes.
        assert_ne!(a.sign(CHECKPOINT_MAC_DOMAIN, h.as_bytes()), m);
        assert_ne!(a.fingerprint(), b.fingerprint());
        assert!(!format!("{a:?}").contains("0101"), "{a:?}");
    }

    #[test]
    fn an_intact_chain_verifies_and_old_events_need_no_mac() {
        let k = key(1);
        let events = chain(&k, 20, 0);
        assert_eq!(walk(&k, &events, &head_of(&events, 1), 1, &[]), None);
        let events = chain(&k, 20, 5);
        assert_eq!(walk(&k, &events, &head_of(&events, 6), 6, &[]), None);
        // ... but a missing MAC from authenticated_from on is a break.
        assert_eq!(walk(&k, &events, &head_of(&events, 5), 5, &[]), Some((Some(5), BreakKind::MacMissing)));
        assert_eq!(walk(&k, &[], &head_of(&[], 1), 1, &[]), None);
    }

    #[test]
    fn forged_positions_are_breaks() {
        let k = key(1);
        let events = chain(&k, 5, 0);
        let head = head_of(&events, 1);
        // seq 0 (a forged event before the first) and below.
        for seq in [0, -3] {
            let mut forged = events.clone();
            let mut e = events[0].clone();
            e.seq = seq;
            e.hash = event_hash(&e);
            e.mac = Some(k.event_mac(&e.hash));
            forged.insert(0, e);
            assert_eq!(walk(&k, &forged, &head, 1, &[]), Some((Some(seq), BreakKind::SeqNotPositive)));
        }
        // A gap.
        let mut gap = events.clone();
        gap.remove(2);
        assert_eq!(walk(&k, &gap, &head, 1, &[]), Some((Some(3), BreakKind::Gap)));
        // A duplicate and a step back.
        let mut dup = events.clone();
        dup.insert(2, events[1].clone());
        assert_eq!(walk(&k, &dup, &head, 1, &[]), Some((Some(2), BreakKind::DuplicateSeq)));
        let mut back = events.clone();
        back.push(events[0].clone());
        assert_eq!(walk(&k, &back, &head, 1, &[]), Some((Some(1), BreakKind::NonIncreasingSeq)));
        // Not an integer.
        let mut w = Walk::new(&k, 1, &[]);
        let b = w.step("real 1.5", &mut events[0].clone()).unwrap_err();
        assert_eq!((b.seq, b.kind), (None, BreakKind::NonIntegerSeq));
        assert_eq!(parse_seq("+1"), None);
        assert_eq!(parse_seq("-1"), Some(-1));
    }

    #[test]
    fn altering_or_rehashing_without_the_key_is_a_mac_break() {
        let k = key(1);
        let events = chain(&k, 10, 0);
        // Altered content, hash left: hash mismatch.
        let mut altered = events.clone();
        altered[3].after_state = Some(r#"{"payable":999999}"#.into());
        assert_eq!(
            walk(&k, &altered, &head_of(&events, 1), 1, &[]),
            Some((Some(4), BreakKind::HashMismatch))
        );
        // Altered and the plain chain recomputed from there (a full re-hash): the MACs fail.
        rehash(&mut altered, 3);
        assert_eq!(
            walk(&k, &altered, &head_of(&altered, 1), 1, &[]),
            Some((Some(4), BreakKind::MacMismatch))
        );
        // ... and with the MACs stripped as well: missing.
        for e in &mut altered {
            e.mac = None;
        }
        assert_eq!(walk(&k, &altered, &head_of(&altered, 1), 1, &[]), Some((Some(1), BreakKind::MacMissing)));
        // A whole chain MAC'd with another key.
        let other = chain(&key(2), 3, 0);
        assert_eq!(walk(&k, &other, &head_of(&other, 1), 1, &[]), Some((Some(1), BreakKind::MacMismatch)));
    }

    #[test]
    fn checkpoints_catch_truncation_and_rehashing_of_old_events() {
        let k = key(1);
        let now = chrono::DateTime::from_timestamp(1_728_000_000, 0).unwrap();
        // Ten events from before MACs, checkpointed at 8.
        let events = chain(&k, 10, 10);
        let cp = Checkpoint::new(&k, &head_of(&events[..8], 11), now);
        assert!(cp.authentic(&k));
        let cps = [cp.clone()];
        assert_eq!(walk(&k, &events, &head_of(&events, 11), 11, &cps), None);
        // Truncated to 6, head adjusted: only the checkpoint knows.
        let short = &events[..6];
        assert_eq!(walk(&k, short, &head_of(short, 11), 11, &[]), None);
        assert_eq!(walk(&k, short, &head_of(short, 11), 11, &cps), Some((Some(7), BreakKind::Truncated)));
        // Head not adjusted: the head knows.
        assert_eq!(walk(&k, short, &head_of(&events, 11), 11, &[]), Some((Some(7), BreakKind::Truncated)));
        // Old events altered and re-hashed: no MAC to fail, the checkpoint's hash does.
        let mut rehashed = events.clone();
        rehashed[2].actor_name = "someone else".into();
        rehash(&mut rehashed, 2);
        assert_eq!(walk(&k, &rehashed, &head_of(&rehashed, 11), 11, &[]), None);
        assert_eq!(
            walk(&k, &rehashed, &head_of(&rehashed, 11), 11, &cps),
            Some((Some(8), BreakKind::Rehashed))
        );
    }

    #[test]
    fn the_checkpoint_log_is_authenticated_line_by_line() {
        let k = key(1);
        let now = chrono::DateTime::from_timestamp(1_728_000_000, 0).unwrap();
        let events = chain(&k, 4, 0);
        let a = Checkpoint::new(&k, &head_of(&events[..2], 1), now);
        let b = Checkpoint::new(&k, &head_of(&events, 1), now);
        let mut forged = b.clone();
        forged.seq = 2;
        let line = |c: &Checkpoint| serde_json::to_string(c).unwrap();
        let text = format!("{}\n{}\n\n{}\n{{\"seq\":", line(&a), line(&b), line(&forged));
        let log = Checkpoints::parse(&text, &k);
        assert_eq!(log.valid, vec![a.clone(), b.clone()]);
        assert_eq!(log.last(), Some(&b));
        assert_eq!(log.authenticated_from(), Some(1));
        assert_eq!(log.invalid.len(), 1, "{:?}", log.invalid);
        assert_eq!((log.invalid[0].line, log.invalid[0].seq), (4, Some(2)));
        // A torn last line is skipped; a bad line in the middle is not.
        let log = Checkpoints::parse(&format!("{}\n{{\"seq\":\n{}\n", line(&a), line(&b)), &k);
        assert_eq!(log.invalid.len(), 1);
        // Another key's log is not authentic.
        assert_eq!(Checkpoints::parse(&format!("{}\n", line(&a)), &key(2)).valid.len(), 0);
    }

    #[test]
    fn append_needs_a_key_in_scope() {
        assert!(key_in_scope().is_err());
        let k = key(7);
        {
            let _outer = use_key(&k);
            assert_eq!(key_in_scope().unwrap().fingerprint(), k.fingerprint());
            {
                let _inner = use_key(&key(8));
                assert_ne!(key_in_scope().unwrap().fingerprint(), k.fingerprint());
            }
            assert_eq!(key_in_scope().unwrap().fingerprint(), k.fingerprint());
        }
        assert!(key_in_scope().is_err());
    }
}
