//! The audit trail against someone who can write to the database but holds neither the audit
//! key nor the checkpoint log: forged, altered, re-hashed, deleted and truncated events are
//! reported by `GET /api/v1/audit/verify` (and `asnad audit verify`, the same function).

use asnad::db::schema::{audit_events, audit_head};
use asnad::store::audit::{event_hash, AuditEvent, GENESIS};
use diesel::prelude::*;
use serde_json::Value;

use crate::claims::{document, insured, setup};
use crate::helpers::TestApp;

/// An app with the usual setup events and `claims` claims submitted; the admin's token and the
/// provider's key.
fn app_with_claims(code: &str, legal_id: &str, claims: usize) -> (TestApp, String, String) {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (_, key) = setup(&app, &admin, code, legal_id);
    insured(&app, &admin);
    for i in 0..claims {
        let res = app.post_json("/api/v1/claims", Some(&key), &document(&format!("{code}-{i}")));
        assert_eq!(res.status(), 201, "{:?}", res.text());
    }
    (app, admin, key)
}

fn verify(app: &TestApp, admin: &str) -> Value {
    let res = app.get("/api/v1/audit/verify", Some(admin));
    assert_eq!(res.status(), 200);
    res.json().unwrap()
}

/// (ok, kind, first_bad_seq) of a report.
fn outcome(v: &Value) -> (bool, Option<&str>, Option<i64>) {
    (v["ok"].as_bool().unwrap(), v["kind"].as_str(), v["first_bad_seq"].as_i64())
}

fn events(app: &TestApp) -> Vec<AuditEvent> {
    let mut conn = app.pool.get().unwrap();
    audit_events::table
        .order(audit_events::seq.asc())
        .select(AuditEvent::as_select())
        .load(&mut *conn)
        .unwrap()
}

fn set_head(app: &TestApp, seq: i64, hash: &str) {
    let mut conn = app.pool.get().unwrap();
    diesel::update(audit_head::table.find(1))
        .set((audit_head::seq.eq(seq), audit_head::hash.eq(hash)))
        .execute(&mut *conn)
        .unwrap();
}

#[test]
fn audit_verify_passes_an_untouched_chain_every_event_authenticated() {
    let (mut app, admin, _) = app_with_claims("AUD-1", "10101010171", 3);
    let all = events(&app);
    let v = verify(&app, &admin);
    assert_eq!(outcome(&v), (true, None, None), "{v}");
    assert_eq!(v["events"].as_i64(), Some(all.len() as i64));
    assert_eq!(v["authenticated_from"], 1);
    // Every event carries a MAC; the start of the service wrote a checkpoint.
    assert!(all.iter().all(|e| e.mac.as_deref().is_some_and(|m| m.len() == 64)));
    assert!(v["checkpoints"].as_u64().unwrap() >= 1, "{v}");
    assert_eq!(app.verify_audit().events, all.len() as i64);

    // The key file is the owner's alone, in the data directory.
    use std::os::unix::fs::PermissionsExt;
    let key_file = app.config().audit_key_path();
    assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);

    // Shutting down writes a checkpoint of the head; the restarted service verifies the same.
    app.restart_with(|_| {});
    let last = verify(&app, &admin);
    assert_eq!(outcome(&last), (true, None, None), "{last}");
    assert_eq!(last["last_checkpoint"]["seq"].as_i64(), Some(all.len() as i64), "{last}");

    // A lost key is not silently replaced while authenticated events exist.
    std::fs::rename(&key_file, key_file.with_extension("bak")).unwrap();
    let mut conn = app.pool.get().unwrap();
    let e = asnad::services::audit::open_key(app.config(), &mut conn).unwrap_err();
    assert!(e.contains("ASNAD_AUDIT_KEY_FILE") && e.contains("restore"), "{e}");
    assert!(!key_file.exists());
    std::fs::rename(key_file.with_extension("bak"), &key_file).unwrap();
}

#[test]
fn audit_verify_reports_a_forged_event_before_the_first_and_history_hides_it() {
    let (app, admin, key) = app_with_claims("AUD-2", "10101010172", 1);
    let claim = events(&app).into_iter().rev().find(|e| e.entity == "claim").unwrap().entity_id;
    // A forged approval, chained from the genesis hash as if it came first.
    for seq in [0, -4] {
        let mut forged = AuditEvent {
            seq,
            at: asnad::store::now(),
            actor_id: None,
            actor_name: "boss".into(),
            actor_role: "supervisor".into(),
            entity: "claim".into(),
            entity_id: claim.clone(),
            action: "approved".into(),
            before_state: None,
            after_state: Some(r#"{"status":"approved"}"#.into()),
            prev_hash: GENESIS.into(),
            hash: String::new(),
            mac: None,
        };
        forged.hash = event_hash(&forged);
        let mut conn = app.pool.get().unwrap();
        diesel::insert_into(audit_events::table).values(&forged).execute(&mut *conn).unwrap();
    }
    let v = verify(&app, &admin);
    assert_eq!(outcome(&v), (false, Some("seq_not_positive"), Some(-4)), "{v}");
    assert_eq!(v["events"], 0);
    let history: Value = app.get(&format!("/api/v1/claims/{claim}/history"), Some(&key)).json().unwrap();
    let items = history["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|e| e["seq"].as_i64().unwrap() >= 1 && e["action"] != "approved"), "{history}");

    // Gone again: the chain verifies.
    {
        let mut conn = app.pool.get().unwrap();
        diesel::delete(audit_events::table.filter(audit_events::seq.le(0i64))).execute(&mut *conn).unwrap();
    }
    assert_eq!(outcome(&verify(&app, &admin)), (true, None, None));

    // SQLite keeps whatever it is given in a BIGINT column: a seq of 1.5 is not an integer.
    if !app.is_postgres() {
        use diesel::connection::SimpleConnection;
        let mut conn = app.pool.get().unwrap();
        conn.batch_execute(
            "INSERT INTO audit_events SELECT '1.5', at, actor_id, actor_name, actor_role, entity, entity_id, \
             action, before_state, after_state, prev_hash, hash, mac FROM audit_events WHERE seq = 1",
        )
        .unwrap();
        let v = verify(&app, &admin);
        assert_eq!(outcome(&v), (false, Some("non_integer_seq"), None), "{v}");
        assert!(v["problem"].as_str().unwrap().contains("1.5"), "{v}");
    }
}

#[test]
fn audit_verify_detects_an_altered_event_rehashed_without_the_key() {
    let (app, admin, _) = app_with_claims("AUD-3", "10101010173", 3);
    let mut all = events(&app);
    let first = all.iter().position(|e| e.entity == "claim").unwrap();
    let target = all[first].seq;
    // The payload "improved", and the plain SHA-256 chain recomputed from there to the head, as
    // anyone can without the key.
    all[first].after_state = Some(r#"{"status":"approved","insurer_payable":99000000}"#.into());
    for i in first..all.len() {
        all[i].prev_hash = if i == 0 { GENESIS.into() } else { all[i - 1].hash.clone() };
        all[i].hash = event_hash(&all[i]);
    }
    {
        let mut conn = app.pool.get().unwrap();
        for e in &all[first..] {
            diesel::update(audit_events::table.find(e.seq))
                .set((
                    audit_events::after_state.eq(&e.after_state),
                    audit_events::prev_hash.eq(&e.prev_hash),
                    audit_events::hash.eq(&e.hash),
                ))
                .execute(&mut *conn)
                .unwrap();
        }
    }
    let head = all.last().unwrap();
    set_head(&app, head.seq, &head.hash);
    let v = verify(&app, &admin);
    assert_eq!(outcome(&v), (false, Some("mac_mismatch"), Some(target)), "{v}");
    assert_eq!(v["events"].as_i64(), Some(target - 1));

    // Stripping every MAC and claiming they were never there (in the database) does not help:
    // the checkpoint log outside it says events are authenticated from 1.
    {
        let mut conn = app.pool.get().unwrap();
        diesel::update(audit_events::table)
            .set(audit_events::mac.eq(None::<String>))
            .execute(&mut *conn)
            .unwrap();
        diesel::update(audit_head::table.find(1))
            .set(audit_head::authenticated_from.eq(1_000_000i64))
            .execute(&mut *conn)
            .unwrap();
    }
    let v = verify(&app, &admin);
    assert_eq!(outcome(&v), (false, Some("mac_missing"), Some(1)), "{v}");
    assert_eq!(v["authenticated_from"], 1);
}

#[test]
fn audit_verify_reports_events_truncated_after_a_checkpoint() {
    let (app, admin, _) = app_with_claims("AUD-4", "10101010174", 3);
    let checkpointed = app.audit_checkpoint();
    let v = verify(&app, &admin);
    assert_eq!(outcome(&v), (true, None, None), "{v}");
    assert_eq!(v["last_checkpoint"]["seq"].as_i64(), Some(checkpointed));

    // The last two events deleted and the head moved back: nothing inside the database shows it.
    let all = events(&app);
    let keep = checkpointed - 2;
    {
        let mut conn = app.pool.get().unwrap();
        diesel::delete(audit_events::table.filter(audit_events::seq.gt(keep))).execute(&mut *conn).unwrap();
    }
    set_head(&app, keep, &all[keep as usize - 1].hash);
    let v = verify(&app, &admin);
    assert_eq!(outcome(&v), (false, Some("truncated"), Some(keep + 1)), "{v}");
    assert_eq!(v["events"].as_i64(), Some(keep));
    let cli = app.verify_audit();
    assert_eq!((cli.ok, cli.first_bad_seq), (false, Some(keep + 1)));

    // Everything deleted, the head reset to an empty chain.
    {
        let mut conn = app.pool.get().unwrap();
        diesel::delete(audit_events::table).execute(&mut *conn).unwrap();
    }
    set_head(&app, 0, GENESIS);
    let v = verify(&app, &admin);
    assert_eq!(outcome(&v), (false, Some("truncated"), Some(1)), "{v}");
    assert_eq!(v["events"], 0);

    // Nor can the checkpoint log be edited without the key.
    let path = app.config().audit_checkpoint_path();
    let log = std::fs::read_to_string(&path).unwrap();
    let forged: String = log
        .lines()
        .map(|l| {
            let mut c: Value = serde_json::from_str(l).unwrap();
            c["seq"] = 0.into();
            c["head_hash"] = GENESIS.into();
            format!("{c}\n")
        })
        .collect();
    std::fs::write(&path, forged).unwrap();
    let v = verify(&app, &admin);
    assert_eq!(outcome(&v).1, Some("checkpoint_invalid"), "{v}");
    assert_eq!(v["checkpoints"], 0);
}

#[test]
fn audit_verify_reports_a_deleted_middle_event_as_a_gap() {
    let (app, admin, _) = app_with_claims("AUD-5", "10101010175", 3);
    let all = events(&app);
    let middle = all[all.len() / 2].seq;
    {
        let mut conn = app.pool.get().unwrap();
        diesel::delete(audit_events::table.find(middle)).execute(&mut *conn).unwrap();
    }
    let v = verify(&app, &admin);
    assert_eq!(outcome(&v), (false, Some("gap"), Some(middle)), "{v}");
    assert!(v["problem"].as_str().unwrap().contains(&format!("event {middle} is missing")), "{v}");
}

#[test]
fn audit_events_from_before_macs_are_checked_by_the_plain_chain_and_covered_by_later_ones() {
    let (mut app, admin, key) = app_with_claims("AUD-6", "10101010176", 2);
    let legacy = events(&app).len() as i64;
    let claim = events(&app).into_iter().find(|e| e.entity == "claim").unwrap().entity_id;
    // As a database from before the MAC column looks after the migration, first started with
    // this version (no checkpoint log yet).
    let pool = app.pool.clone();
    app.restart_with(|config| {
        let mut conn = pool.get().unwrap();
        diesel::update(audit_events::table)
            .set(audit_events::mac.eq(None::<String>))
            .execute(&mut *conn)
            .unwrap();
        diesel::update(audit_head::table.find(1))
            .set(audit_head::authenticated_from.eq(legacy + 1))
            .execute(&mut *conn)
            .unwrap();
        std::fs::remove_file(config.audit_checkpoint_path()).unwrap();
    });
    let res = app.post_json("/api/v1/claims", Some(&key), &document("AUD-6-new"));
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let all = events(&app);
    assert!(all.iter().all(|e| e.mac.is_some() == (e.seq > legacy)));
    let v = verify(&app, &admin);
    assert_eq!(outcome(&v), (true, None, None), "{v}");
    assert_eq!(v["authenticated_from"].as_i64(), Some(legacy + 1));
    // Old events without a MAC still tell the claim's story.
    let history: Value = app.get(&format!("/api/v1/claims/{claim}/history"), Some(&key)).json().unwrap();
    assert_eq!(history["items"][0]["action"], "submitted", "{history}");

    // An old event altered and the plain chain re-hashed to the head: the start's checkpoint
    // pins the old head, and the first authenticated event's MAC covers its predecessor.
    let mut all = all;
    all[1].actor_name = "someone else".into();
    for i in 1..all.len() {
        all[i].prev_hash = all[i - 1].hash.clone();
        all[i].hash = event_hash(&all[i]);
    }
    {
        let mut conn = app.pool.get().unwrap();
        for e in &all[1..] {
            diesel::update(audit_events::table.find(e.seq))
                .set((
                    audit_events::actor_name.eq(&e.actor_name),
                    audit_events::prev_hash.eq(&e.prev_hash),
                    audit_events::hash.eq(&e.hash),
                ))
                .execute(&mut *conn)
                .unwrap();
        }
    }
    let head = all.last().unwrap();
    set_head(&app, head.seq, &head.hash);
    let v = verify(&app, &admin);
    assert_eq!(outcome(&v), (false, Some("rehashed"), Some(legacy)), "{v}");
    std::fs::remove_file(app.config().audit_checkpoint_path()).unwrap();
    let v = verify(&app, &admin);
    assert_eq!(outcome(&v), (false, Some("mac_mismatch"), Some(legacy + 1)), "{v}");
}
