//! The audit trail (رد ممیزی): append-only events, each hash covering the previous one, so that
//! altering, inserting or deleting a past event breaks the chain (`verify`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::schema::{audit_events, audit_head};
use crate::db::AnyConnection;

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
            id: Some(caller.user_id.clone()),
            name: caller.username.clone(),
            role: caller.role.as_str().into(),
        }
    }
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable, Serialize)]
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
}

/// The hash of an event: SHA-256 over the previous hash and a JSON array of every other field
/// (JSON so that no field's content can be mistaken for a separator).
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A record as the JSON kept in an event's before/after.
pub fn json<T: Serialize>(record: &T) -> Option<serde_json::Value> {
    serde_json::to_value(record).ok()
}

/// Appends an event inside the caller's transaction. The head row is updated first: on
/// PostgreSQL that row lock orders concurrent appenders; SQLite has one writer anyway.
#[allow(clippy::too_many_arguments)]
pub fn append(
    conn: &mut AnyConnection,
    actor: &Actor,
    entity: &str,
    entity_id: &str,
    action: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> QueryResult<()> {
    diesel::update(audit_head::table.find(1)).set(audit_head::seq.eq(audit_head::seq + 1)).execute(conn)?;
    let (seq, prev_hash) =
        audit_head::table.find(1).select((audit_head::seq, audit_head::hash)).first::<(i64, String)>(conn)?;
    let mut event = AuditEvent {
        seq,
        at: crate::store::now(),
        actor_id: actor.id.clone(),
        actor_name: actor.name.clone(),
        actor_role: actor.role.clone(),
        entity: entity.into(),
        entity_id: entity_id.into(),
        action: action.into(),
        before_state: before.map(|v| v.to_string()),
        after_state: after.map(|v| v.to_string()),
        prev_hash,
        hash: String::new(),
    };
    event.hash = event_hash(&event);
    diesel::insert_into(audit_events::table).values(&event).execute(conn)?;
    diesel::update(audit_head::table.find(1)).set(audit_head::hash.eq(&event.hash)).execute(conn)?;
    Ok(())
}

/// The outcome of checking the whole chain.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Verification {
    pub ok: bool,
    pub events: i64,
    /// The first event that does not fit, and why.
    pub first_bad_seq: Option<i64>,
    pub problem: Option<String>,
}

/// Walks the chain from the first event, in pages, recomputing every hash.
pub fn verify(conn: &mut AnyConnection) -> QueryResult<Verification> {
    const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
    let bad = |seq: i64, events: i64, why: String| Verification {
        ok: false,
        events,
        first_bad_seq: Some(seq),
        problem: Some(why),
    };
    let mut expected_seq = 1i64;
    let mut prev = GENESIS.to_string();
    loop {
        let page: Vec<AuditEvent> = audit_events::table
            .filter(audit_events::seq.ge(expected_seq))
            .order(audit_events::seq.asc())
            .limit(1000)
            .select(AuditEvent::as_select())
            .load(conn)?;
        if page.is_empty() {
            break;
        }
        for e in page {
            if e.seq != expected_seq {
                return Ok(bad(expected_seq, expected_seq - 1, format!("event {expected_seq} is missing")));
            }
            if e.prev_hash != prev {
                return Ok(bad(e.seq, e.seq - 1, "does not link to the event before it".into()));
            }
            if event_hash(&e) != e.hash {
                return Ok(bad(e.seq, e.seq - 1, "its content does not match its hash".into()));
            }
            prev = e.hash;
            expected_seq += 1;
        }
    }
    let (head_seq, head_hash) =
        audit_head::table.find(1).select((audit_head::seq, audit_head::hash)).first::<(i64, String)>(conn)?;
    let events = expected_seq - 1;
    if head_seq != events || head_hash != prev {
        return Ok(bad(
            events + 1,
            events,
            format!("the chain ends at {events} but {head_seq} events were written"),
        ));
    }
    Ok(Verification { ok: true, events, first_bad_seq: None, problem: None })
}

/// An entity's events, oldest first.
pub fn for_entity(conn: &mut AnyConnection, entity: &str, entity_id: &str) -> QueryResult<Vec<AuditEvent>> {
    audit_events::table
        .filter(audit_events::entity.eq(entity).and(audit_events::entity_id.eq(entity_id)))
        .order(audit_events::seq.asc())
        .select(AuditEvent::as_select())
        .load(conn)
}
