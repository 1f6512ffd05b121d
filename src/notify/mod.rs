//! E-mail (اطلاع‌رسانی با رایانامه) from the persistent outbox.
//!
//! Decisions write an outbox row in their own transaction (`store::outbox::enqueue`); this
//! module delivers them: a background worker takes due rows, renders the kind's template in
//! Persian (RTL) with an English part, and sends it through lettre. A failed attempt is counted
//! and retried later with exponential backoff (`retry_base × 2^(attempts−1)`, at most an hour),
//! so a mail-server outage delays mail but loses none. `ASNAD_SMTP_URL` selects SMTP
//! (`smtp://host:port` plain for a local relay, `smtp://…?tls=required` STARTTLS,
//! `smtps://…` TLS, credentials in the URL); without it each message is written as an `.eml`
//! file under `<data dir>/mail/`.
//!
//! Templates are `templates/email/<kind>.fa.txt` and `<kind>.en.txt`, compiled in: the first
//! line is the subject, the rest the body; `{{key}}` takes a value of the row's payload
//! (nested keys joined by `.`), `{{name}}` the recipient's name and `{{…status_fa}}` the
//! Persian word for a status.

use crate::domain::record_ids::OutboxId;
use std::path::PathBuf;
use std::time::Duration as StdDuration;

use chrono::{Duration, NaiveDateTime};
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{FileTransport, Message, SmtpTransport, Transport};
use serde_json::Value;

use crate::context::ServiceContext;
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult};
use crate::store::outbox::{self, OutboxRow};
use crate::store::{insured, providers};

/// Where mail goes.
pub enum Mailer {
    Smtp(Box<SmtpTransport>),
    File(FileTransport, PathBuf),
}

impl Mailer {
    pub fn from_config(smtp_url: Option<&str>, data_dir: &std::path::Path) -> Result<Mailer, String> {
        match smtp_url {
            Some(url) => {
                let t = SmtpTransport::from_url(url)
                    .map_err(|e| format!("ASNAD_SMTP_URL: {e}"))?
                    .timeout(Some(StdDuration::from_secs(10)))
                    .build();
                Ok(Mailer::Smtp(Box::new(t)))
            }
            None => {
                let dir = data_dir.join("mail");
                std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                Ok(Mailer::File(FileTransport::new(&dir), dir))
            }
        }
    }

    fn send(&self, m: &Message) -> Result<(), String> {
        match self {
            Mailer::Smtp(t) => t.send(m).map(|_| ()).map_err(|e| e.to_string()),
            Mailer::File(t, _) => t.send(m).map(|_| ()).map_err(|e| e.to_string()),
        }
    }
}

/// A message ready to send.
#[derive(Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn template(kind: &str) -> Option<(&'static str, &'static str)> {
    macro_rules! t {
        ($k:literal) => {
            (
                include_str!(concat!("../../templates/email/", $k, ".fa.txt")),
                include_str!(concat!("../../templates/email/", $k, ".en.txt")),
            )
        };
    }
    Some(match kind {
        "claim_decided" => t!("claim_decided"),
        "objection_decided" => t!("objection_decided"),
        "preauthorization_decided" => t!("preauthorization_decided"),
        "reimbursement_decided" => t!("reimbursement_decided"),
        _ => return None,
    })
}

/// The Persian word for a status in a payload (a decision's outcome: the claim's words, which
/// reimbursements and objections share), for the Persian part; empty for any other text.
pub fn status_fa(s: &str) -> &'static str {
    crate::domain::lifecycle::claim::ClaimStatus::parse(s).map(|c| c.name_fa()).unwrap_or("")
}

use crate::domain::money::group_thousands as grouped;

fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&key, v, out);
            }
        }
        Value::String(s) => {
            if prefix == "status" || prefix.ends_with(".status") {
                out.push((format!("{prefix}_fa"), status_fa(s).to_string()));
            }
            out.push((prefix.to_string(), s.clone()));
        }
        Value::Number(n) => {
            out.push((prefix.to_string(), n.as_i64().map(grouped).unwrap_or_else(|| n.to_string())))
        }
        Value::Null => out.push((prefix.to_string(), "—".into())),
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

fn fill(template: &str, values: &[(String, String)]) -> String {
    let mut s = template.to_string();
    for (k, v) in values {
        s = s.replace(&format!("{{{{{k}}}}}", k = k), v);
    }
    s
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn paragraphs(body: &str) -> String {
    body.trim()
        .split("\n\n")
        .map(|p| format!("<p>{}</p>", escape(p).replace('\n', "<br>")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Renders an outbox row for its recipient; `None` for a kind without a template.
pub fn render(kind: &str, payload: &Value, name: &str) -> Option<Rendered> {
    let (fa, en) = template(kind)?;
    let mut values = vec![("name".to_string(), name.to_string())];
    flatten("", payload, &mut values);
    let split = |t: &str| {
        let filled = fill(t, &values);
        let (subject, body) = filled.split_once('\n').unwrap_or((filled.as_str(), ""));
        (subject.trim().to_string(), body.trim().to_string())
    };
    let (fa_subject, fa_body) = split(fa);
    let (en_subject, en_body) = split(en);
    let text = format!("{fa_body}\n\n----------------------------------------\n\n{en_body}\n");
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"fa\" dir=\"rtl\">\n<head><meta charset=\"utf-8\"><title>{}</title></head>\n\
         <body style=\"font-family: Tahoma, 'Vazirmatn', sans-serif; line-height: 1.8\">\n\
         <div dir=\"rtl\" lang=\"fa\" style=\"text-align: right\">\n{}\n</div>\n<hr>\n\
         <div dir=\"ltr\" lang=\"en\" style=\"text-align: left\">\n{}\n</div>\n</body>\n</html>\n",
        escape(&fa_subject),
        paragraphs(&fa_body),
        paragraphs(&en_body)
    );
    Some(Rendered { subject: format!("{fa_subject} | {en_subject}"), text, html })
}

/// The recipient's address and name; `None` when they have no e-mail address.
fn recipient(conn: &mut AnyConnection, row: &OutboxRow) -> AppResult<Option<(String, String)>> {
    Ok(match row.recipient_kind.as_str() {
        "provider" => providers::find_provider(conn, &row.recipient_id.as_str().into())?
            .and_then(|p| p.email.filter(|e| !e.is_empty()).map(|e| (e, p.name_fa))),
        "insured" => insured::find(conn, &row.recipient_id.as_str().into())?.and_then(|p| {
            p.email.filter(|e| !e.is_empty()).map(|e| (e, format!("{} {}", p.first_name, p.last_name)))
        }),
        _ => None,
    })
}

/// How long after the `attempts`-th failure the next try is.
pub fn backoff(attempts: i32, base: Duration) -> Duration {
    let factor = 1i64 << (attempts.clamp(1, 20) - 1);
    (base * factor as i32).min(Duration::hours(1))
}

/// What a delivery pass did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pass {
    pub sent: usize,
    pub failed: usize,
    pub skipped: usize,
}

/// One delivery pass over the due rows (blocking: SMTP is synchronous here). Reads on `conn`;
/// every change of a row (lease, sent, failed) is its own unit of work through `writer`, so no
/// write waits on the mail server.
pub fn deliver_due(
    conn: &mut AnyConnection,
    writer: &crate::db::Writer,
    mailer: &Mailer,
    from: &Mailbox,
    retry_base: Duration,
) -> AppResult<Pass> {
    let mut pass = Pass::default();
    let now: NaiveDateTime = crate::store::now();
    let mark_sent = |id: &OutboxId, at: NaiveDateTime, note: Option<String>| -> AppResult<()> {
        let id = id.clone();
        writer.write_blocking(move |conn| Ok(outbox::mark_sent(conn, &id, at, note.as_deref())?))
    };
    for row in outbox::due(conn, now, 50)? {
        // The lease outlives an SMTP timeout; a sender that dies leaves the row for later.
        let leased = {
            let row = row.clone();
            writer.write_blocking(move |conn| Ok(outbox::lease(conn, &row, now + Duration::minutes(5))?))?
        };
        if !leased {
            continue;
        }
        let payload: Value = serde_json::from_str(&row.payload).unwrap_or(Value::Null);
        let Some((address, name)) = recipient(conn, &row)? else {
            mark_sent(&row.id, now, Some("skipped: the recipient has no e-mail address".into()))?;
            pass.skipped += 1;
            continue;
        };
        let Some(r) = render(&row.kind, &payload, &name) else {
            mark_sent(&row.id, now, Some("skipped: no template for this kind".into()))?;
            pass.skipped += 1;
            continue;
        };
        let to: Mailbox = match address.parse() {
            Ok(m) => m,
            Err(e) => {
                mark_sent(&row.id, now, Some(format!("skipped: bad address {address}: {e}")))?;
                pass.skipped += 1;
                continue;
            }
        };
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(r.subject)
            .multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(r.text))
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(r.html)),
            )
            .map_err(AppError::internal)?;
        match mailer.send(&message) {
            Ok(()) => {
                mark_sent(&row.id, crate::store::now(), None)?;
                pass.sent += 1;
            }
            Err(e) => {
                let attempts = row.attempts + 1;
                let next = crate::store::now() + backoff(attempts, retry_base);
                tracing::warn!(outbox_id = %row.id, attempts, error = %e, "mail delivery failed; will retry");
                let (id, error) = (row.id.clone(), e.to_string());
                writer.write_blocking(move |conn| {
                    Ok(outbox::mark_failed(conn, &id, attempts, next, &error)?)
                })?;
                pass.failed += 1;
            }
        }
    }
    Ok(pass)
}

/// Runs delivery passes every `mail_poll` in the background for the life of the process.
pub fn spawn_worker(state: actix_web::web::Data<ServiceContext>) -> Result<(), String> {
    let mailer = Mailer::from_config(state.config.smtp_url.as_deref(), &state.config.data_dir)?;
    let from: Mailbox = state.config.mail_from.parse().map_err(|e| format!("ASNAD_MAIL_FROM: {e}"))?;
    let mailer = std::sync::Arc::new(mailer);
    let base = Duration::from_std(state.config.mail_retry_base).unwrap_or(Duration::seconds(30));
    actix_web::rt::spawn(async move {
        loop {
            let (m, f, w) = (mailer.clone(), from.clone(), state.writer.clone());
            let result = state.db(move |conn| deliver_due(conn, &w, &m, &f, base)).await;
            if let Err(e) = result {
                tracing::error!(error = %e, "mail delivery pass failed");
            }
            actix_web::rt::time::sleep(state.config.mail_poll).await;
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_persian_and_english_with_values() {
        let payload = json!({"reimbursement_id": "r1", "status": "partially_approved", "reimbursed": 1234000,
            "paid_total": 2000000, "franchise": 1, "above_tariff": 0, "not_covered": 765999});
        let r = render("reimbursement_decided", &payload, "علی رضایی").unwrap();
        assert!(r.subject.starts_with("درخواست بازپرداخت هزینه شما رسیدگی شد | Your reimbursement"));
        assert!(r.text.contains("علی رضایی گرامی"));
        assert!(r.text.contains("سهم سازمان (قابل بازپرداخت): 1,234,000 ریال"));
        assert!(r.text.contains("نتیجه: تأیید با کسر"));
        assert!(r.text.contains("Reimbursed by the Organization: 1,234,000 rials"));
        assert!(r.html.contains("dir=\"rtl\""));
        assert!(!r.text.contains("{{"), "every placeholder is filled: {}", r.text);
        assert!(render("unknown_kind", &payload, "x").is_none());
    }

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let base = Duration::seconds(30);
        assert_eq!(backoff(1, base), Duration::seconds(30));
        assert_eq!(backoff(2, base), Duration::seconds(60));
        assert_eq!(backoff(4, base), Duration::seconds(240));
        assert_eq!(backoff(30, base), Duration::hours(1));
    }

    #[test]
    fn groups_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(-1234567), "-1,234,567");
    }
}
