//! E-mail from the outbox through a real SMTP server (mailin-embedded on a loopback port):
//! delivered in Persian (RTL) with an English part, and, when the server is down, kept and
//! delivered once it is back.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mailin_embedded::{response, Handler, Response, Server, SslConfig};
use serde_json::json;

use crate::helpers::TestApp;
use crate::reimbursements::{attach, care_body, decide, file, submit, world, MAIN};

/// Every message the sink received: its recipients and its raw bytes.
pub type Received = Arc<Mutex<Vec<(Vec<String>, Vec<u8>)>>>;

/// An SMTP sink that keeps every message it receives.
#[derive(Clone, Default)]
struct Sink {
    messages: Received,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Sink {
    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.to = to.to_vec();
        self.data.clear();
        response::OK
    }
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }
    fn data_end(&mut self) -> Response {
        self.messages.lock().unwrap().push((self.to.clone(), std::mem::take(&mut self.data)));
        response::OK
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts the sink on `port` in a background thread (it serves until the test process ends).
pub fn start_sink(port: u16) -> Received {
    let sink = Sink::default();
    let messages = sink.messages.clone();
    let mut server = Server::new(sink);
    // Bound here, so the sink accepts connections as soon as this returns.
    let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind the sink's port");
    server.with_name("sink.test").with_ssl(SslConfig::None).unwrap().with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = server.serve();
    });
    messages
}

fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Files, submits and decides a care reimbursement; returns its id.
fn decided_reimbursement(app: &TestApp) -> String {
    let admin = app.admin_token();
    let w = world(app, &admin);
    let r = file(app, &w.insured, &care_body(&w));
    let id = r["id"].as_str().unwrap().to_string();
    attach(app, &w.insured, &id, "invoice");
    submit(app, &w.insured, &id);
    decide(app, &w.reviewer, &id, &json!({"lines": []}));
    id
}

fn check_message(to: &[String], raw: &[u8], id: &str) {
    assert!(to.iter().any(|t| t.contains(&format!("p{MAIN}@example.org"))), "{to:?}");
    let mail = mailparse::parse_mail(raw).unwrap();
    let subject = mail.headers.iter().find(|h| h.get_key() == "Subject").unwrap().get_value();
    assert!(
        subject.starts_with("درخواست بازپرداخت هزینه شما رسیدگی شد | Your reimbursement request"),
        "{subject}"
    );
    let parts: Vec<(String, String)> =
        mail.subparts.iter().map(|p| (p.ctype.mimetype.clone(), p.get_body().unwrap())).collect();
    let (_, text) = parts.iter().find(|(t, _)| t == "text/plain").expect("a text part");
    let (_, html) = parts.iter().find(|(t, _)| t == "text/html").expect("an html part");
    assert!(text.contains("سهم سازمان (قابل بازپرداخت): 394,800 ریال"), "{text}");
    assert!(text.contains(&format!("Reimbursement request {id} has been decided")), "{text}");
    assert!(html.contains("dir=\"rtl\"") && html.contains("مریم احمدی گرامی"), "{html}");
}

#[test]
fn a_decision_is_mailed_through_smtp() {
    let port = free_port();
    let messages = start_sink(port);
    let mut app = TestApp::spawn();
    app.restart_with(|c| {
        c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        c.mail_poll = Duration::from_millis(100);
    });
    let id = decided_reimbursement(&app);
    let (to, raw) = wait_for("the message", || messages.lock().unwrap().first().cloned());
    check_message(&to, &raw, &id);
    let mut conn = app.pool.get().unwrap();
    let row = wait_for("sent_at", || {
        asnad::store::outbox::for_subject(&mut conn, &id).unwrap().into_iter().find(|r| r.sent_at.is_some())
    });
    assert_eq!((row.attempts, row.last_error), (0, None));
}

#[test]
fn mail_waits_for_a_server_that_is_down_and_is_then_delivered() {
    let port = free_port();
    let mut app = TestApp::spawn();
    app.restart_with(|c| {
        c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        c.mail_poll = Duration::from_millis(100);
        c.mail_retry_base = Duration::from_secs(1);
    });
    let id = decided_reimbursement(&app);
    // Nothing listens: the attempt fails, is counted and kept.
    let mut conn = app.pool.get().unwrap();
    let failed = wait_for("a failed attempt", || {
        asnad::store::outbox::for_subject(&mut conn, &id).unwrap().into_iter().find(|r| r.attempts >= 1)
    });
    assert!(failed.sent_at.is_none());
    assert!(failed.last_error.is_some());
    // The server comes back: the message is delivered on a retry.
    let messages = start_sink(port);
    let (to, raw) = wait_for("the message", || messages.lock().unwrap().first().cloned());
    check_message(&to, &raw, &id);
    let row = wait_for("sent_at", || {
        asnad::store::outbox::for_subject(&mut conn, &id).unwrap().into_iter().find(|r| r.sent_at.is_some())
    });
    assert!(row.attempts >= 1);
    assert_eq!(messages.lock().unwrap().len(), 1, "delivered once");
}
