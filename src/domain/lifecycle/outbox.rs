//! A notification in the outbox (صف اعلان‌ها). It has no status column: its status is read from
//! `sent_at`, `attempts` and `last_error` ([`OutboxStatus::of`]); the text is for reports.
//!
//! | from | action | to |
//! |---|---|---|
//! | pending, retrying | deliver — the mail server took it | sent |
//! | pending, retrying | skip — no address, no template, a bad address | skipped |
//! | pending, retrying | fail — the mail server refused; tried again later | retrying |
//!
//! Taking a row for an attempt (a lease on `next_attempt_at`) changes no status.

use super::TransitionError;

text_enum! {
    /// The delivery status of a notification (وضعیت ارسال اعلان).
    pub enum OutboxStatus ("outbox row") {
        /// Never tried (در صف).
        Pending = "pending",
        /// Tried and failed; tried again at `next_attempt_at` (تلاش دوباره).
        Retrying = "retrying",
        /// Delivered (ارسال شد).
        Sent = "sent",
        /// Settled without delivery, `last_error` says why (رها شد).
        Skipped = "skipped",
    }
}

impl OutboxStatus {
    /// The status a row's columns say.
    pub fn of(sent: bool, attempts: i32, has_note: bool) -> OutboxStatus {
        match (sent, has_note) {
            (true, false) => OutboxStatus::Sent,
            (true, true) => OutboxStatus::Skipped,
            (false, _) if attempts > 0 => OutboxStatus::Retrying,
            (false, _) => OutboxStatus::Pending,
        }
    }
}

text_enum! {
    /// What a delivery attempt does.
    pub enum OutboxAction ("outbox action") {
        Deliver = "deliver",
        Skip = "skip",
        Fail = "fail",
    }
}

/// The row's status after `action`, or why not.
pub fn transition(from: OutboxStatus, action: OutboxAction) -> Result<OutboxStatus, TransitionError> {
    use OutboxAction::*;
    use OutboxStatus::*;
    match (from, action) {
        (Pending | Retrying, Deliver) => Ok(Sent),
        (Pending | Retrying, Skip) => Ok(Skipped),
        (Pending | Retrying, Fail) => Ok(Retrying),
        (from, action) => {
            Err(TransitionError { entity: "outbox row", from: from.as_str(), action: action.as_str() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::table;
    use super::*;

    #[test]
    fn every_transition() {
        use OutboxAction::*;
        use OutboxStatus::*;
        let allowed = [
            (Pending, Deliver, Sent),
            (Pending, Skip, Skipped),
            (Pending, Fail, Retrying),
            (Retrying, Deliver, Sent),
            (Retrying, Skip, Skipped),
            (Retrying, Fail, Retrying),
        ];
        table::walk(OutboxStatus::ALL, OutboxAction::ALL, &allowed, transition);
        table::round_trip(OutboxStatus::ALL, OutboxStatus::as_str, OutboxStatus::parse);
    }

    #[test]
    fn the_status_is_read_from_the_columns() {
        assert_eq!(OutboxStatus::of(false, 0, false), OutboxStatus::Pending);
        assert_eq!(OutboxStatus::of(false, 2, true), OutboxStatus::Retrying);
        assert_eq!(OutboxStatus::of(true, 0, false), OutboxStatus::Sent);
        // Delivered after failures: the error is cleared.
        assert_eq!(OutboxStatus::of(true, 3, false), OutboxStatus::Sent);
        assert_eq!(OutboxStatus::of(true, 0, true), OutboxStatus::Skipped);
    }
}
