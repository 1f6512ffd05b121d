//! `asnad backup FILE` (`asnad::db::backup`): a consistent copy of the SQLite database taken
//! while claims are being written.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use asnad::db::schema::{audit_events, claim_lines, claims};
use asnad::db::{connect_and_migrate, DatabaseUrl, PoolOptions};
use diesel::prelude::*;

use crate::claims::{document, insured, setup};
use crate::helpers::TestApp;

/// Claims acknowledged (201) by the load threads, in the order the answers arrived.
type Acked = Arc<Mutex<Vec<String>>>;

/// Sends claims until `stop`, recording the ids of those acknowledged with 201 (and any other
/// answer, which would be a failure of the test).
fn load(
    base: String,
    key: String,
    thread: usize,
    acked: Acked,
    other: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
) {
    let client = reqwest::blocking::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let res = client
            .post(format!("{base}/api/v1/claims"))
            .bearer_auth(&key)
            .json(&document(&format!("BK-{thread}-{n}")))
            .send()
            .unwrap();
        let status = res.status().as_u16();
        let body: serde_json::Value = res.json().unwrap_or_default();
        if status == 201 {
            acked.lock().unwrap().push(body["id"].as_str().unwrap().to_string());
        } else {
            other.lock().unwrap().push(format!("{status}: {body}"));
        }
    }
}

fn wait_for(acked: &Acked, at_least: usize) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while acked.lock().unwrap().len() < at_least {
        assert!(Instant::now() < deadline, "the load stalled at {} claims", acked.lock().unwrap().len());
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_backup_taken_during_claim_intake_restores_with_every_acknowledged_claim_and_a_sound_audit_trail() {
    let app = TestApp::spawn();
    // PostgreSQL is backed up with pg_dump / pg_basebackup (the command refuses it; see the
    // unit test in src/db/backup.rs): nothing to test here on that backend.
    if app.is_postgres() {
        return;
    }
    let admin = app.admin_token();
    let (_, key) = setup(&app, &admin, "BKP-1", "10101010101");
    insured(&app, &admin);

    let acked: Acked = Arc::default();
    let other = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    // Two senders, so that the group-commit writer also commits several claims at once.
    let threads: Vec<_> = (0..2)
        .map(|t| {
            let (base, key, acked, other, stop) =
                (app.base.clone(), key.clone(), acked.clone(), other.clone(), stop.clone());
            std::thread::spawn(move || load(base, key, t, acked, other, stop))
        })
        .collect();
    wait_for(&acked, 40);

    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("asnad-backup.db");
    // Every claim answered 201 before this point was committed before the backup began.
    let before: Vec<String> = acked.lock().unwrap().clone();
    let report = asnad::db::backup(&app.database, &dest).expect("backup");
    let during = acked.lock().unwrap().len() - before.len();
    // The load goes on after the backup, so that the live database moves past it.
    wait_for(&acked, before.len() + during + 10);
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    assert!(other.lock().unwrap().is_empty(), "answers other than 201: {:?}", other.lock().unwrap());
    eprintln!(
        "backup: {} bytes, {} claims, audit seq {}, {:?}; {} claims acknowledged before it, {} while it ran, {} in all",
        report.bytes,
        report.claims,
        report.audit_seq,
        report.elapsed,
        before.len(),
        during,
        acked.lock().unwrap().len()
    );
    assert_eq!(report.path, dest);
    assert_eq!(report.bytes, std::fs::metadata(&dest).unwrap().len());
    // Only the backup is in its directory: no temporary file is left.
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["asnad-backup.db"]);

    // Restore as the README says: the backup copied to where the database lives, then opened
    // by the service's own start-up path (WAL, migrations).
    let restored_dir = tempfile::tempdir().unwrap();
    let restored = restored_dir.path().join("asnad.db");
    std::fs::copy(&dest, &restored).unwrap();
    let pool = connect_and_migrate(
        &DatabaseUrl::Sqlite(restored),
        &PoolOptions { max_size: 1, connection_timeout: Duration::from_secs(5) },
    )
    .expect("open the restored database");
    let mut conn = pool.get().unwrap();

    // Every claim acknowledged before the backup began is there, once.
    let ids: Vec<String> = claims::table.select(claims::id).load(&mut conn).unwrap();
    assert_eq!(ids.len() as i64, report.claims);
    let mut count: HashMap<&str, usize> = HashMap::new();
    for id in &ids {
        *count.entry(id.as_str()).or_default() += 1;
    }
    for id in &before {
        assert_eq!(count.get(id.as_str()), Some(&1), "claim {id} acknowledged before the backup");
    }
    let documents: HashSet<String> =
        claims::table.select(claims::provider_document_no).load(&mut conn).unwrap().into_iter().collect();
    assert_eq!(documents.len(), ids.len(), "one claim per provider document");
    // The backup is a snapshot: the live database went on without it.
    let live: i64 = claims::table.count().get_result(&mut app.pool.get().unwrap()).unwrap();
    assert!(live > report.claims, "live {live}, backup {}", report.claims);

    // Each claim came with its three lines and its audit event, in the same transaction: a
    // snapshot has all of a claim or nothing of it.
    let mut lines: HashMap<String, usize> = HashMap::new();
    for claim_id in claim_lines::table.select(claim_lines::claim_id).load::<String>(&mut conn).unwrap() {
        *lines.entry(claim_id).or_default() += 1;
    }
    for id in &ids {
        assert_eq!(lines.get(id), Some(&3), "lines of claim {id}");
    }
    assert_eq!(lines.len(), ids.len());
    let submitted: HashSet<String> = audit_events::table
        .filter(audit_events::entity.eq("claim").and(audit_events::action.eq("submitted")))
        .select(audit_events::entity_id)
        .load::<String>(&mut conn)
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(submitted, ids.iter().cloned().collect::<HashSet<_>>());

    // The audit chain of the restored database verifies, up to the head the backup reported.
    // With the service's key, and the checkpoints written up to the backup's head: the live
    // log also holds later ones, which a restored copy is rightly behind (README: restore).
    let (mut checkpoints, _) =
        asnad::services::audit::read_checkpoints(&app.config().audit_checkpoint_path(), &app.audit_key)
            .unwrap();
    checkpoints.valid.retain(|c| c.seq <= report.audit_seq);
    let verification = asnad::store::audit::verify(&mut conn, &app.audit_key, &checkpoints).unwrap();
    assert!(verification.ok, "{verification:?}");
    assert_eq!(verification.events, report.audit_seq);
}

#[test]
fn a_backup_never_overwrites_a_file() {
    let app = TestApp::spawn();
    if app.is_postgres() {
        // The command refuses PostgreSQL before looking at the file.
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("existing.db");
    std::fs::write(&dest, b"an older backup").unwrap();
    let err = asnad::db::backup(&app.database, &dest).unwrap_err();
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(std::fs::read(&dest).unwrap(), b"an older backup");
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["existing.db"], "nothing else written beside it");

    // A missing directory is reported, not created.
    let err = asnad::db::backup(&app.database, &dir.path().join("no/such/dir/b.db")).unwrap_err();
    assert!(err.contains("backup directory"), "{err}");
}
