//! Two asnad processes on one PostgreSQL database (issue 20), as a national deployment runs
//! them behind a load balancer. Both are the real `asnad` binary, started here with the same
//! database, data directory (audit key, attachments) and SMTP server; both run their
//! monthly-list and mail workers. Under load on both at once:
//!
//! - every claim a process acknowledged (201) is stored, once;
//! - every monthly list is read once: each document stored once, one advance per list;
//! - a settlement run sent to both at the same moment settles the month once (the other 409);
//! - a payment order issued on both is issued once, and recorded paid once;
//! - every e-mail in the outbox is delivered exactly once;
//! - the audit trail, written by three processes, verifies.
//!
//! On SQLite the test has nothing to check: an SQLite deployment is one process by design
//! (README, "Deployment"), and it says so and returns.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use asnad::auth::Role;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use reqwest::blocking::{Client, Response};
use serde_json::{json, Value};

use crate::claims::setup;
use crate::helpers::{Scope, TestApp};
use crate::mail::{free_port, start_sink};
use crate::reimbursements::{attach, care_body, file, submit, world};

/// One `asnad` process, killed when dropped.
struct Node {
    base: String,
    client: Client,
    child: Child,
}

impl Node {
    fn start(app: &TestApp, smtp_port: u16) -> Node {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_asnad"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("ASNAD_DATABASE_URL", &app.config().database_url)
            .env("ASNAD_BIND", format!("127.0.0.1:{port}"))
            .env("ASNAD_DATA_DIR", app.data_dir())
            .env("ASNAD_TARIFFS_DIR", &app.config().tariffs_dir)
            .env("ASNAD_FIXED_TODAY", "2024-10-10")
            .env("ASNAD_WORKERS", "2")
            .env("ASNAD_DB_POOL_SIZE", "8")
            .env("ASNAD_SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}"))
            .env("ASNAD_MAIL_POLL_MS", "100")
            .env("ASNAD_BATCH_LEASE_SECONDS", "5")
            .env("ASNAD_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start asnad");
        let node = Node {
            base: format!("http://127.0.0.1:{port}"),
            client: Client::builder().timeout(Duration::from_secs(60)).build().unwrap(),
            child,
        };
        let start = Instant::now();
        while node
            .client
            .get(format!("{}/readyz", node.base))
            .send()
            .map(|r| r.status() != 200)
            .unwrap_or(true)
        {
            assert!(start.elapsed() < Duration::from_secs(60), "asnad on port {port} did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        node
    }

    fn get(&self, path: &str, token: &str) -> Response {
        self.client.get(format!("{}{path}", self.base)).bearer_auth(token).send().unwrap()
    }

    fn post(&self, path: &str, token: &str, body: &Value) -> Response {
        self.client.post(format!("{}{path}", self.base)).bearer_auth(token).json(body).send().unwrap()
    }

    fn post_empty(&self, path: &str, token: &str) -> Response {
        self.client.post(format!("{}{path}", self.base)).bearer_auth(token).send().unwrap()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn count(conn: &mut PgConnection, query: &str) -> i64 {
    diesel::sql_query(query).get_result::<Count>(conn).unwrap_or_else(|e| panic!("{query}: {e}")).n
}

/// A specialist visit of the test's insured person on a day of Mehr 1403.
fn visit(no: &str, day: usize) -> Value {
    json!({"provider_document_no": no, "setting": "outpatient", "kind": "visit",
           "insured_national_code": "0012345679", "physician_council_no": "12345",
           "lines": [{"line_no": 1, "item_type": "visit", "code": "specialist", "quantity": "1",
                      "service_date": format!("1403-07-{:02}", day % 19 + 1), "billed_amount": 564_000}]})
}

/// Sends the same request to both processes at the same moment; their statuses, A's first.
fn at_once(nodes: &[Node; 2], send: impl Fn(&Node) -> Response + Sync) -> Vec<(u16, Value)> {
    let barrier = std::sync::Barrier::new(2);
    std::thread::scope(|s| {
        let handles: Vec<_> = nodes
            .iter()
            .map(|n| {
                let (barrier, send) = (&barrier, &send);
                s.spawn(move || {
                    barrier.wait();
                    let res = send(n);
                    let status = res.status().as_u16();
                    (status, res.json::<Value>().unwrap_or(Value::Null))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn sorted_statuses(answers: &[(u16, Value)]) -> Vec<u16> {
    let mut s: Vec<u16> = answers.iter().map(|(s, _)| *s).collect();
    s.sort();
    s
}

#[test]
fn two_processes_on_one_database_do_everything_once() {
    const THREADS: usize = 6;
    const CLAIMS_PER_THREAD: usize = 30;
    const LISTS: usize = 6;
    const LIST_SIZE: usize = 40;
    const REIMBURSEMENTS: usize = 4;

    // The setup runs on the test's own app, with its workers off: the two processes below do
    // all the background work.
    let app = TestApp::spawn_with(|c| {
        c.batch_worker = false;
        c.mail_worker = false;
    });
    if !app.is_postgres() {
        eprintln!("two processes share a PostgreSQL database only: set ASNAD_TEST_DATABASE_URL");
        return;
    }
    let admin = app.admin_token();
    // The insured person of the claims (`reimbursements::MAIN`, the same as `claims::INSURED`)
    // files reimbursements for Shahrivar; the two processes decide them (each decision mails).
    let w = world(&app, &admin);
    let (hospital, key) = setup(&app, &admin, "TWO-1", "10101010171");
    let p: Value = app.get(&format!("/api/v1/providers/{hospital}"), Some(&admin)).json().unwrap();
    let office = p["office_id"].as_str().unwrap().to_string();
    let finance = app.token_for("two-finance", Role::Finance, Scope::default());
    let refunds: Vec<String> = (0..REIMBURSEMENTS)
        .map(|i| {
            let mut body = care_body(&w);
            for line in body["lines"].as_array_mut().unwrap() {
                line["service_date"] = json!(format!("1403-06-{:02}", i + 1));
            }
            let r = file(&app, &w.insured, &body);
            let id = r["id"].as_str().unwrap().to_string();
            attach(&app, &w.insured, &id, "invoice");
            submit(&app, &w.insured, &id);
            id
        })
        .collect();

    let messages = {
        let port = free_port();
        (start_sink(port), port)
    };
    let nodes = [Node::start(&app, messages.1), Node::start(&app, messages.1)];
    let messages = messages.0;

    // Load on both at once: claims one by one from several threads, monthly lists, and the
    // reviewers' decisions, alternating between the processes.
    let started = Instant::now();
    let (acknowledged, lists) = std::thread::scope(|s| {
        let claim_threads: Vec<_> = (0..THREADS)
            .map(|t| {
                let (nodes, key) = (&nodes, &key);
                s.spawn(move || {
                    let mut ids = Vec::new();
                    for i in 0..CLAIMS_PER_THREAD {
                        let node = &nodes[(t + i) % 2];
                        let res = node.post("/api/v1/claims", key, &visit(&format!("D-{t}-{i:03}"), i));
                        let status = res.status();
                        let body: Value = res.json().unwrap();
                        assert_eq!(status, 201, "{body}");
                        ids.push(body["id"].as_str().unwrap().to_string());
                    }
                    ids
                })
            })
            .collect();
        let list_thread = {
            let (nodes, key) = (&nodes, &key);
            s.spawn(move || {
                (0..LISTS)
                    .map(|l| {
                        let documents: Vec<Value> =
                            (0..LIST_SIZE).map(|i| visit(&format!("L-{l}-{i:03}"), i)).collect();
                        let res = nodes[l % 2].post(
                            "/api/v1/claim-batches",
                            key,
                            &json!({ "documents": documents }),
                        );
                        assert_eq!(res.status(), 202);
                        res.json::<Value>().unwrap()["id"].as_str().unwrap().to_string()
                    })
                    .collect::<Vec<String>>()
            })
        };
        let decisions = {
            let (nodes, w, refunds) = (&nodes, &w, &refunds);
            s.spawn(move || {
                for (i, id) in refunds.iter().enumerate() {
                    let res = nodes[i % 2].post(
                        &format!("/api/v1/reimbursements/{id}/decision"),
                        &w.reviewer,
                        &json!({"lines": []}),
                    );
                    assert_eq!(res.status(), 200, "{:?}", res.text());
                }
            })
        };
        let ids: Vec<String> = claim_threads.into_iter().flat_map(|h| h.join().unwrap()).collect();
        let lists = list_thread.join().unwrap();
        decisions.join().unwrap();
        (ids, lists)
    });

    // Every list finishes, each read by one worker at a time.
    let mut list_claims = Vec::new();
    for (l, id) in lists.iter().enumerate() {
        let b = loop {
            let b: Value = nodes[l % 2].get(&format!("/api/v1/claim-batches/{id}"), &key).json().unwrap();
            if b["status"] == "done" {
                break b;
            }
            assert!(started.elapsed() < Duration::from_secs(240), "list not done: {b}");
            std::thread::sleep(Duration::from_millis(200));
        };
        assert_eq!((b["succeeded"].as_u64(), b["failed"].as_u64()), (Some(LIST_SIZE as u64), Some(0)), "{b}");
        for item in b["items"].as_array().unwrap() {
            assert_eq!(item["http_status"], 201, "an item of a list taken for a resend: {item}");
            list_claims.push(item["claim_id"].as_str().unwrap().to_string());
        }
    }
    eprintln!("two processes: {} claims and {LISTS} lists in {:?}", acknowledged.len(), started.elapsed());

    let mut db = PgConnection::establish(&app.config().database_url).unwrap();
    eprintln!(
        "lists read by {} workers",
        count(&mut db, "SELECT count(DISTINCT leased_by) AS n FROM claim_batches")
    );
    // No acknowledged claim lost, none stored twice.
    let direct = (THREADS * CLAIMS_PER_THREAD) as i64;
    let listed = (LISTS * LIST_SIZE) as i64;
    assert_eq!(
        (
            count(&mut db, "SELECT count(*) AS n FROM claims"),
            count(&mut db, "SELECT count(DISTINCT provider_document_no) AS n FROM claims")
        ),
        (direct + listed, direct + listed)
    );
    let mut every: Vec<&String> = acknowledged.iter().chain(list_claims.iter()).collect();
    every.sort();
    every.dedup();
    assert_eq!(every.len() as i64, direct + listed, "a claim id acknowledged twice");
    for id in acknowledged.iter().step_by(17) {
        assert_eq!(nodes[1].get(&format!("/api/v1/claims/{id}"), &key).status(), 200);
    }
    // One advance per list.
    assert_eq!(count(&mut db, "SELECT count(*) AS n FROM advances"), LISTS as i64);
    assert_eq!(count(&mut db, "SELECT count(DISTINCT batch_id) AS n FROM advances"), LISTS as i64);

    // The month's settlement, asked of both at once: one run settles it, the other is refused.
    let run = json!({"office_id": office, "service_month": "1403-07"});
    let answers = at_once(&nodes, |n| n.post("/api/v1/settlements", &finance, &run));
    assert_eq!(sorted_statuses(&answers), vec![201, 409], "{answers:?}");
    assert_eq!(count(&mut db, "SELECT count(*) AS n FROM settlements"), 1);
    let (items, claims) = (
        count(&mut db, "SELECT count(*) AS n FROM settlement_items"),
        count(&mut db, "SELECT count(DISTINCT claim_id) AS n FROM settlement_items"),
    );
    assert!(items > 0 && items == claims, "a claim settled twice: {items} items, {claims} claims");

    // A payment order with the settlement and the reimbursements: issued once…
    let answers = at_once(&nodes, |n| n.post_empty("/api/v1/payment-orders", &finance));
    assert_eq!(sorted_statuses(&answers), vec![201, 409], "{answers:?}");
    let order =
        answers.iter().find(|(s, _)| *s == 201).unwrap().1["order"]["id"].as_str().unwrap().to_string();
    assert_eq!(count(&mut db, "SELECT count(*) AS n FROM payment_orders"), 1);
    // …and paid once.
    let bank = json!({"bank_reference": "BANK-2", "paid_on": "1403-07-19"});
    let answers =
        at_once(&nodes, |n| n.post(&format!("/api/v1/payment-orders/{order}/paid"), &finance, &bank));
    assert_eq!(sorted_statuses(&answers), vec![200, 409], "{answers:?}");
    let refused = answers.iter().find(|(s, _)| *s == 409).unwrap();
    assert_eq!(refused.1["code"], "already_paid", "{refused:?}");

    // Every mail once: a decision and a payment per reimbursement (and whatever else the
    // outbox holds), each delivered by one of the two mail workers. Wait until the outbox is
    // empty, then for several more polls of both, and count.
    let start = Instant::now();
    while count(&mut db, "SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL") > 0 {
        assert!(start.elapsed() < Duration::from_secs(60), "mail not delivered");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(1500));
    let delivered = count(&mut db, "SELECT count(*) AS n FROM outbox WHERE last_error IS NULL");
    let received = messages.lock().unwrap().clone();
    assert_eq!(received.len() as i64, delivered, "a mail sent twice, or not at all");
    let texts: Vec<String> = received
        .iter()
        .map(|(_, raw)| {
            let mail = mailparse::parse_mail(raw).unwrap();
            mail.subparts.iter().filter_map(|p| p.get_body().ok()).collect::<Vec<_>>().join("\n")
        })
        .collect();
    for id in &refunds {
        let about = texts.iter().filter(|t| t.contains(id.as_str())).count();
        assert_eq!(about, 2, "reimbursement {id}: {about} mails (a decision and a payment)");
    }

    // A tariff revision imported through one process is priced with by the other within
    // `services::tariffs::REFRESH_EVERY` (10 s).
    let tariffs = app.token_for("two-tariffs", Role::TariffAdmin, Scope::default());
    let mut files = crate::tariffs::year_files(1403);
    let meta = files["meta.toml"]
        .replace("status = \"sample\"", "status = \"official\"")
        .replace("revision = 1", "revision = 2")
        .replace("effective_from = \"1403-01-01\"", "effective_from = \"1403-07-01\"");
    files.insert("meta.toml".into(), meta);
    let visits = files["visits.csv"].clone();
    let line = visits.lines().find(|l| l.starts_with("specialist,")).unwrap().to_string();
    files.insert("visits.csv".into(), visits.replacen(&line, &line.replacen(",564000,", ",600000,", 1), 1));
    let res = nodes[0].post("/api/v1/tariffs/import", &tariffs, &json!({ "files": files }));
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let quote = json!({"sector": "private", "hospital_grade": 2, "lines": [{"line_no": 1, "item_type": "visit", "code": "specialist", "quantity": "1",
                                  "service_date": "1403-07-16"}]});
    let start = Instant::now();
    loop {
        let q: Value = nodes[1].post("/api/v1/pricing/quote", &key, &quote).json().unwrap();
        if q["lines"][0]["tariff_amount"] == 600_000 {
            break;
        }
        assert_eq!(q["lines"][0]["tariff_amount"], 564_000, "{q}");
        assert!(start.elapsed() < Duration::from_secs(20), "the other process still prices on revision 1");
        std::thread::sleep(Duration::from_millis(250));
    }
    eprintln!("the other process priced on the new revision after {:?}", start.elapsed());

    // The audit trail, appended to by three processes, is whole.
    let v = app.verify_audit();
    assert!(v.ok, "{v:?}");
}
