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
//! The messages are askama templates, one per outbox kind, compiled in: see [`mail`].

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

pub mod mail;

pub use mail::{render, Rendered, Unrenderable};

/// The recipient's address and name; `None` when they have no e-mail address.
fn recipient(conn: &mut AnyConnection, row: &OutboxRow) -> AppResult<Option<(String, String)>> {
    Ok(match row.recipient_kind.as_str() {
        "provider" => providers::find_provider(conn, &row.recipient_id.as_str().into())?
            .and_then(|p| p.email.filter(|e| !e.is_empty()).map(|e| (e, p.name_fa))),
        "insured" => insured::find(conn, &row.recipient_id.as_str().into())?.and_then(|p| {
            p.email.filter(|e| !e.is_empty()).map(|e| (e, format!("{} {}", p.first_name, p.last_name)))
        }),
        // The review office's own address (services::portal's reports of services not received).
        "office" => crate::store::offices::find(conn, &row.recipient_id.as_str().into())?
            .filter(|o| o.active)
            .and_then(|o| o.email.filter(|e| !e.is_empty()).map(|e| (e, o.name_fa))),
        // A staff member (an office's supervisor when the office has no address); not a
        // deactivated one.
        "user" => crate::store::users::find(conn, &row.recipient_id.as_str().into())?
            .filter(|u| u.active)
            .and_then(|u| u.email.filter(|e| !e.is_empty()).map(|e| (e, u.display_name))),
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
        let r = match render(&row.kind, &payload, &name) {
            Ok(r) => r,
            Err(why) => {
                // Kept as sent with the reason: retrying cannot change a kind or a payload.
                tracing::warn!(outbox_id = %row.id, kind = %row.kind, ?why, "mail not renderable");
                mark_sent(&row.id, now, Some(format!("skipped: cannot render: {why:?}")))?;
                pass.skipped += 1;
                continue;
            }
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

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let base = Duration::seconds(30);
        assert_eq!(backoff(1, base), Duration::seconds(30));
        assert_eq!(backoff(2, base), Duration::seconds(60));
        assert_eq!(backoff(4, base), Duration::seconds(240));
        assert_eq!(backoff(30, base), Duration::hours(1));
    }
}
