//! A pre-authorization (تأیید قبلی) request, decided once by a medical advisor (پزشک معتمد).
//!
//! | from | action | to |
//! |---|---|---|
//! | requested | approve | approved |
//! | requested | reject | rejected |

use super::TransitionError;

text_enum! {
    /// The status of a pre-authorization request (وضعیت درخواست تأیید قبلی).
    pub enum PreauthStatus ("pre-authorization") {
        /// Waiting for the medical advisor (در انتظار).
        Requested = "requested",
        /// Approved with a quantity and a validity window (تأیید شد).
        Approved = "approved",
        /// Refused with a reason, R91 unless another fits (رد شد).
        Rejected = "rejected",
    }
}

text_enum! {
    /// The medical advisor's decision.
    pub enum PreauthAction ("pre-authorization action") {
        Approve = "approve",
        Reject = "reject",
    }
}

impl PreauthStatus {
    /// The status in Persian, as the medical advisor and the provider read it.
    pub fn name_fa(self) -> &'static str {
        match self {
            PreauthStatus::Requested => "در انتظار تصمیم",
            PreauthStatus::Approved => "تأیید شد",
            PreauthStatus::Rejected => "رد شد",
        }
    }
}

/// The request's status after `action`, or why not.
pub fn transition(from: PreauthStatus, action: PreauthAction) -> Result<PreauthStatus, TransitionError> {
    use PreauthAction::*;
    use PreauthStatus::*;
    match (from, action) {
        (Requested, Approve) => Ok(Approved),
        (Requested, Reject) => Ok(Rejected),
        (from, action) => {
            Err(TransitionError { entity: "pre-authorization", from: from.as_str(), action: action.as_str() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::table;
    use super::*;

    #[test]
    fn every_transition() {
        use PreauthAction::*;
        use PreauthStatus::*;
        let allowed = [(Requested, Approve, Approved), (Requested, Reject, Rejected)];
        table::walk(PreauthStatus::ALL, PreauthAction::ALL, &allowed, transition);
        table::round_trip(PreauthStatus::ALL, PreauthStatus::as_str, PreauthStatus::parse);
    }
}
