//! A claim (سند پزشکی) and its lines (ردیف‌های سند).
//!
//! A claim's first status is the engine's ([`crate::domain::adjudication::ClaimStatus`]):
//! approved, partially approved, rejected or pended. Then:
//!
//! | from | action | to |
//! |---|---|---|
//! | pended | decide(o) — a reviewer, below the four-eyes threshold | o |
//! | pended | propose — above it | awaiting_approval |
//! | awaiting_approval | approve(o) — the supervisor | o |
//! | awaiting_approval | return — a review decision sent back | pended |
//! | awaiting_approval | return_objection(o) — an objection's decision sent back | o, the status before |
//! | approved, partially_approved, rejected | decide_objection(o) | o |
//! | approved, partially_approved, rejected | propose_on_objection | awaiting_approval |
//! | approved, partially_approved | sample — selected for review | pended |
//! | approved | extrapolate(o) — a sample's rate (R92) | o |
//! | partially_approved | extrapolate(partially_approved or rejected) | that |
//! | rejected | extrapolate(rejected) | rejected |
//!
//! Extrapolation only deducts, so it never makes a claim better than it was.

use super::{Outcome, TransitionError};
use crate::domain::adjudication;

text_enum! {
    /// The status of a claim (وضعیت سند).
    pub enum ClaimStatus ("claim") {
        /// Waiting for a reviewer (در انتظار رسیدگی).
        Pended = "pended",
        /// A reviewer's decision waits for a supervisor (در انتظار تأیید).
        AwaitingApproval = "awaiting_approval",
        /// Paid in full (تأیید).
        Approved = "approved",
        /// Paid with deductions (تأیید با کسور).
        PartiallyApproved = "partially_approved",
        /// Nothing paid (رد).
        Rejected = "rejected",
    }
}

impl ClaimStatus {
    /// The decided statuses (what `is_decided` is true of), for queries.
    pub const DECIDED: [ClaimStatus; 3] =
        [ClaimStatus::Approved, ClaimStatus::PartiallyApproved, ClaimStatus::Rejected];

    /// The status in Persian, as insured persons and providers read it in mail.
    pub fn name_fa(self) -> &'static str {
        match self {
            ClaimStatus::Approved => "تأیید کامل",
            ClaimStatus::PartiallyApproved => "تأیید با کسر",
            ClaimStatus::Rejected => "عدم تأیید",
            ClaimStatus::Pended => "در انتظار رسیدگی",
            ClaimStatus::AwaitingApproval => "در انتظار تأیید سرپرست",
        }
    }

    /// Decided: approved, partially approved or rejected (settled, objected to, sampled).
    pub fn is_decided(self) -> bool {
        self.outcome().is_some()
    }

    /// The decision's outcome, when decided.
    pub fn outcome(self) -> Option<Outcome> {
        match self {
            ClaimStatus::Approved => Some(Outcome::Approved),
            ClaimStatus::PartiallyApproved => Some(Outcome::PartiallyApproved),
            ClaimStatus::Rejected => Some(Outcome::Rejected),
            ClaimStatus::Pended | ClaimStatus::AwaitingApproval => None,
        }
    }
}

impl From<Outcome> for ClaimStatus {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::Approved => ClaimStatus::Approved,
            Outcome::PartiallyApproved => ClaimStatus::PartiallyApproved,
            Outcome::Rejected => ClaimStatus::Rejected,
        }
    }
}

/// The engine's status is a claim's first.
impl From<adjudication::ClaimStatus> for ClaimStatus {
    fn from(s: adjudication::ClaimStatus) -> Self {
        match s {
            adjudication::ClaimStatus::Approved => ClaimStatus::Approved,
            adjudication::ClaimStatus::PartiallyApproved => ClaimStatus::PartiallyApproved,
            adjudication::ClaimStatus::Rejected => ClaimStatus::Rejected,
            adjudication::ClaimStatus::Pended => ClaimStatus::Pended,
        }
    }
}

/// What is done to a claim (the outcome is what the decided amounts say).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClaimAction {
    /// A reviewer's decision on a pended claim, applied at once.
    Decide(Outcome),
    /// A reviewer's decision above the four-eyes threshold: it waits for a supervisor.
    Propose,
    /// The supervisor approves the waiting decision.
    Approve(Outcome),
    /// The supervisor returns a review decision: the claim is pended again.
    Return,
    /// The supervisor returns an objection's decision: the claim is as it was before it.
    ReturnObjection(Outcome),
    /// A reviewer decides an objection (اعتراض) to a decided claim, at once.
    DecideObjection(Outcome),
    /// An objection's decision above the four-eyes threshold.
    ProposeOnObjection,
    /// Selected by a sample (نمونه): back to the review queue.
    Sample,
    /// A random sample's deduction rate applied to a claim not selected (R92).
    Extrapolate(Outcome),
}

impl ClaimAction {
    /// Every action, each outcome apart.
    pub fn all() -> Vec<ClaimAction> {
        use ClaimAction::*;
        let mut v = vec![Propose, Return, ProposeOnObjection, Sample];
        for &o in Outcome::ALL {
            v.extend([Decide(o), Approve(o), ReturnObjection(o), DecideObjection(o), Extrapolate(o)]);
        }
        v
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ClaimAction::Decide(_) => "decided",
            ClaimAction::Propose => "proposed for approval",
            ClaimAction::Approve(_) => "approved by a supervisor",
            ClaimAction::Return => "returned to review",
            ClaimAction::ReturnObjection(_) => "returned from an objection's approval",
            ClaimAction::DecideObjection(_) => "decided on objection",
            ClaimAction::ProposeOnObjection => "proposed for approval on objection",
            ClaimAction::Sample => "sampled for review",
            ClaimAction::Extrapolate(_) => "extrapolated",
        }
    }
}

/// The claim's status after `action`, or why not.
pub fn transition(from: ClaimStatus, action: ClaimAction) -> Result<ClaimStatus, TransitionError> {
    use ClaimAction::*;
    use ClaimStatus::*;
    match (from, action) {
        (Pended, Decide(o)) => Ok(o.into()),
        (Pended, Propose) => Ok(AwaitingApproval),
        (AwaitingApproval, Approve(o)) => Ok(o.into()),
        (AwaitingApproval, Return) => Ok(Pended),
        (AwaitingApproval, ReturnObjection(o)) => Ok(o.into()),
        (Approved | PartiallyApproved | Rejected, DecideObjection(o)) => Ok(o.into()),
        (Approved | PartiallyApproved | Rejected, ProposeOnObjection) => Ok(AwaitingApproval),
        (Approved | PartiallyApproved, Sample) => Ok(Pended),
        (Approved, Extrapolate(o)) => Ok(o.into()),
        (PartiallyApproved, Extrapolate(o @ (Outcome::PartiallyApproved | Outcome::Rejected))) => {
            Ok(o.into())
        }
        (Rejected, Extrapolate(Outcome::Rejected)) => Ok(Rejected),
        (from, action) => {
            Err(TransitionError { entity: "claim", from: from.as_str(), action: action.as_str() })
        }
    }
}

text_enum! {
    /// The status of a claim line (وضعیت ردیف سند).
    #[schema(as = ClaimLineStatus)]
    pub enum LineStatus ("claim line") {
        /// Waiting for a reviewer (در انتظار رسیدگی).
        Pended = "pended",
        /// Paid in full (تأیید).
        Approved = "approved",
        /// Paid with deductions (تأیید با کسور).
        PartiallyApproved = "partially_approved",
        /// Nothing paid (رد).
        Rejected = "rejected",
    }
}

impl LineStatus {
    /// The line's status in Persian, as the office reads it.
    pub fn name_fa(self) -> &'static str {
        match self {
            LineStatus::Pended => "در انتظار رسیدگی",
            LineStatus::Approved => "تأیید",
            LineStatus::PartiallyApproved => "تأیید با کسر",
            LineStatus::Rejected => "رد",
        }
    }
}

impl From<Outcome> for LineStatus {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::Approved => LineStatus::Approved,
            Outcome::PartiallyApproved => LineStatus::PartiallyApproved,
            Outcome::Rejected => LineStatus::Rejected,
        }
    }
}

/// The engine's status is a line's first.
impl From<adjudication::LineStatus> for LineStatus {
    fn from(s: adjudication::LineStatus) -> Self {
        match s {
            adjudication::LineStatus::Approved => LineStatus::Approved,
            adjudication::LineStatus::PartiallyApproved => LineStatus::PartiallyApproved,
            adjudication::LineStatus::Rejected => LineStatus::Rejected,
            adjudication::LineStatus::Pended => LineStatus::Pended,
        }
    }
}

/// What is done to a claim line. Its claim's decision writes every line it names and every
/// pended line it does not (accepted as the engine priced it); a line never goes back to pended
/// (a sampled claim is pended, its lines keep their status).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LineAction {
    /// A pended line decided (named, or accepted with its claim's decision).
    Decide(Outcome),
    /// A decided line decided again: named in a review, an objection or an extrapolation.
    Revise(Outcome),
}

impl LineAction {
    pub fn all() -> Vec<LineAction> {
        Outcome::ALL.iter().flat_map(|&o| [LineAction::Decide(o), LineAction::Revise(o)]).collect()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LineAction::Decide(_) => "decided",
            LineAction::Revise(_) => "revised",
        }
    }
}

/// The line's status after `action`, or why not.
pub fn line_transition(from: LineStatus, action: LineAction) -> Result<LineStatus, TransitionError> {
    use LineAction::*;
    use LineStatus::*;
    match (from, action) {
        (Pended, Decide(o)) => Ok(o.into()),
        (Approved | PartiallyApproved | Rejected, Revise(o)) => Ok(o.into()),
        (from, action) => {
            Err(TransitionError { entity: "claim line", from: from.as_str(), action: action.as_str() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::table;
    use super::*;
    use Outcome as O;

    #[test]
    fn every_claim_transition() {
        use ClaimAction::*;
        use ClaimStatus::*;
        let mut allowed = vec![
            (Pended, Propose, AwaitingApproval),
            (AwaitingApproval, Return, Pended),
            (Approved, ProposeOnObjection, AwaitingApproval),
            (PartiallyApproved, ProposeOnObjection, AwaitingApproval),
            (Rejected, ProposeOnObjection, AwaitingApproval),
            (Approved, Sample, Pended),
            (PartiallyApproved, Sample, Pended),
            (Approved, Extrapolate(O::Approved), Approved),
            (Approved, Extrapolate(O::PartiallyApproved), PartiallyApproved),
            (Approved, Extrapolate(O::Rejected), Rejected),
            (PartiallyApproved, Extrapolate(O::PartiallyApproved), PartiallyApproved),
            (PartiallyApproved, Extrapolate(O::Rejected), Rejected),
            (Rejected, Extrapolate(O::Rejected), Rejected),
        ];
        for (o, to) in
            [(O::Approved, Approved), (O::PartiallyApproved, PartiallyApproved), (O::Rejected, Rejected)]
        {
            allowed.push((Pended, Decide(o), to));
            allowed.push((AwaitingApproval, Approve(o), to));
            allowed.push((AwaitingApproval, ReturnObjection(o), to));
            for from in [Approved, PartiallyApproved, Rejected] {
                allowed.push((from, DecideObjection(o), to));
            }
        }
        table::walk(ClaimStatus::ALL, &ClaimAction::all(), &allowed, transition);
    }

    #[test]
    fn claim_texts() {
        table::round_trip(ClaimStatus::ALL, ClaimStatus::as_str, ClaimStatus::parse);
        assert_eq!(ClaimStatus::ALL.len(), 5);
        assert!("sample".parse::<ClaimStatus>().is_err());
        assert!("decided".parse::<ClaimStatus>().is_err());
        let decided: Vec<_> = ClaimStatus::ALL.iter().filter(|s| s.is_decided()).collect();
        assert_eq!(
            decided,
            [&ClaimStatus::Approved, &ClaimStatus::PartiallyApproved, &ClaimStatus::Rejected]
        );
    }

    #[test]
    fn the_engines_statuses_are_first_statuses() {
        for s in [
            adjudication::ClaimStatus::Approved,
            adjudication::ClaimStatus::PartiallyApproved,
            adjudication::ClaimStatus::Rejected,
            adjudication::ClaimStatus::Pended,
        ] {
            assert_eq!(ClaimStatus::from(s).as_str(), s.as_str());
        }
        for s in [
            adjudication::LineStatus::Approved,
            adjudication::LineStatus::PartiallyApproved,
            adjudication::LineStatus::Rejected,
            adjudication::LineStatus::Pended,
        ] {
            // The engine's line status is stored through serde: the same text.
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::to_value(LineStatus::from(s)).unwrap());
        }
    }

    #[test]
    fn every_line_transition() {
        use LineAction::*;
        use LineStatus::*;
        let mut allowed = Vec::new();
        for (o, to) in
            [(O::Approved, Approved), (O::PartiallyApproved, PartiallyApproved), (O::Rejected, Rejected)]
        {
            allowed.push((Pended, Decide(o), to));
            for from in [Approved, PartiallyApproved, Rejected] {
                allowed.push((from, Revise(o), to));
            }
        }
        table::walk(LineStatus::ALL, &LineAction::all(), &allowed, line_transition);
        table::round_trip(LineStatus::ALL, LineStatus::as_str, LineStatus::parse);
    }
}
