//! A reimbursement request (درخواست بازپرداخت هزینه / غرامت) of an insured person.
//!
//! | from | action | to |
//! |---|---|---|
//! | draft | submit — every required document attached | in_review |
//! | in_review | decide(o) — a reviewer, within the four-eyes threshold | o |
//! | in_review | propose — beyond it | awaiting_approval |
//! | awaiting_approval | approve(o) — a supervisor | o |
//! | awaiting_approval | return | in_review |
//! | approved, partially_approved | order — put in a payment order | ordered |
//! | ordered | pay — its order is paid | paid |

use super::{Outcome, TransitionError};

text_enum! {
    /// The status of a reimbursement request (وضعیت درخواست بازپرداخت / غرامت).
    pub enum ReimbursementStatus ("reimbursement") {
        /// Being filed; documents may be added (پیش‌نویس).
        Draft = "draft",
        /// Submitted, with the office's reviewers (در حال رسیدگی).
        InReview = "in_review",
        /// A reviewer's decision waits for a supervisor (در انتظار تأیید).
        AwaitingApproval = "awaiting_approval",
        /// Reimbursed in full (تأیید).
        Approved = "approved",
        /// Reimbursed in part (تأیید با کسور).
        PartiallyApproved = "partially_approved",
        /// Nothing reimbursed (رد).
        Rejected = "rejected",
        /// In a payment order (در دستور پرداخت).
        Ordered = "ordered",
        /// Paid (پرداخت شده).
        Paid = "paid",
    }
}

text_enum! {
    /// The status of a line of a reimbursement request (وضعیت ردیف درخواست): not priced yet while
    /// the request is a draft, then what its amounts say.
    pub enum ReimbursementLineStatus ("reimbursement line") {
        /// Not priced yet (در انتظار).
        Pending = "pending",
        /// Reimbursed in full (تأیید).
        Approved = "approved",
        /// Reimbursed in part (تأیید با کسور).
        PartiallyApproved = "partially_approved",
        /// Nothing reimbursed (رد).
        Rejected = "rejected",
    }
}

impl ReimbursementLineStatus {
    /// The line's status in Persian, for the console.
    pub fn name_fa(self) -> &'static str {
        match self {
            ReimbursementLineStatus::Pending => "در انتظار",
            ReimbursementLineStatus::Approved => "تأیید",
            ReimbursementLineStatus::PartiallyApproved => "تأیید با کسور",
            ReimbursementLineStatus::Rejected => "رد",
        }
    }
}

impl From<Outcome> for ReimbursementLineStatus {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::Approved => ReimbursementLineStatus::Approved,
            Outcome::PartiallyApproved => ReimbursementLineStatus::PartiallyApproved,
            Outcome::Rejected => ReimbursementLineStatus::Rejected,
        }
    }
}

impl ReimbursementStatus {
    /// The status in Persian (as the doc comments above name them), for the console.
    pub fn name_fa(self) -> &'static str {
        match self {
            ReimbursementStatus::Draft => "پیش‌نویس",
            ReimbursementStatus::InReview => "در حال رسیدگی",
            ReimbursementStatus::AwaitingApproval => "در انتظار تأیید",
            ReimbursementStatus::Approved => "تأیید",
            ReimbursementStatus::PartiallyApproved => "تأیید با کسور",
            ReimbursementStatus::Rejected => "رد",
            ReimbursementStatus::Ordered => "در دستور پرداخت",
            ReimbursementStatus::Paid => "پرداخت شده",
        }
    }

    /// Its file takes documents: a draft, or a request in review.
    pub fn accepts_documents(self) -> bool {
        matches!(self, ReimbursementStatus::Draft | ReimbursementStatus::InReview)
    }
}

impl From<Outcome> for ReimbursementStatus {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::Approved => ReimbursementStatus::Approved,
            Outcome::PartiallyApproved => ReimbursementStatus::PartiallyApproved,
            Outcome::Rejected => ReimbursementStatus::Rejected,
        }
    }
}

/// What is done to a reimbursement request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReimbursementAction {
    Submit,
    Decide(Outcome),
    Propose,
    Approve(Outcome),
    Return,
    Order,
    Pay,
}

impl ReimbursementAction {
    pub fn all() -> Vec<ReimbursementAction> {
        use ReimbursementAction::*;
        let mut v = vec![Submit, Propose, Return, Order, Pay];
        for &o in Outcome::ALL {
            v.extend([Decide(o), Approve(o)]);
        }
        v
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ReimbursementAction::Submit => "submitted",
            ReimbursementAction::Decide(_) => "decided",
            ReimbursementAction::Propose => "proposed for approval",
            ReimbursementAction::Approve(_) => "approved by a supervisor",
            ReimbursementAction::Return => "returned to review",
            ReimbursementAction::Order => "ordered",
            ReimbursementAction::Pay => "paid",
        }
    }
}

/// The request's status after `action`, or why not.
pub fn transition(
    from: ReimbursementStatus,
    action: ReimbursementAction,
) -> Result<ReimbursementStatus, TransitionError> {
    use ReimbursementAction::*;
    use ReimbursementStatus::*;
    match (from, action) {
        (Draft, Submit) => Ok(InReview),
        (InReview, Decide(o)) => Ok(o.into()),
        (InReview, Propose) => Ok(AwaitingApproval),
        (AwaitingApproval, Approve(o)) => Ok(o.into()),
        (AwaitingApproval, Return) => Ok(InReview),
        (Approved | PartiallyApproved, Order) => Ok(Ordered),
        (Ordered, Pay) => Ok(Paid),
        (from, action) => {
            Err(TransitionError { entity: "reimbursement", from: from.as_str(), action: action.as_str() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::table;
    use super::*;
    use Outcome as O;

    #[test]
    fn every_transition() {
        use ReimbursementAction::*;
        use ReimbursementStatus::*;
        let mut allowed = vec![
            (Draft, Submit, InReview),
            (InReview, Propose, AwaitingApproval),
            (AwaitingApproval, Return, InReview),
            (Approved, Order, Ordered),
            (PartiallyApproved, Order, Ordered),
            (Ordered, Pay, Paid),
        ];
        for (o, to) in
            [(O::Approved, Approved), (O::PartiallyApproved, PartiallyApproved), (O::Rejected, Rejected)]
        {
            allowed.push((InReview, Decide(o), to));
            allowed.push((AwaitingApproval, Approve(o), to));
        }
        table::walk(ReimbursementStatus::ALL, &ReimbursementAction::all(), &allowed, transition);
    }

    #[test]
    fn texts() {
        table::round_trip(ReimbursementStatus::ALL, ReimbursementStatus::as_str, ReimbursementStatus::parse);
        let texts: Vec<_> = ReimbursementStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            texts,
            [
                "draft",
                "in_review",
                "awaiting_approval",
                "approved",
                "partially_approved",
                "rejected",
                "ordered",
                "paid"
            ]
        );
        let open: Vec<_> = ReimbursementStatus::ALL.iter().filter(|s| s.accepts_documents()).collect();
        assert_eq!(open, [&ReimbursementStatus::Draft, &ReimbursementStatus::InReview]);
    }

    #[test]
    fn line_statuses() {
        table::round_trip(
            ReimbursementLineStatus::ALL,
            ReimbursementLineStatus::as_str,
            ReimbursementLineStatus::parse,
        );
        let from: Vec<_> = [Outcome::Approved, Outcome::PartiallyApproved, Outcome::Rejected]
            .into_iter()
            .map(ReimbursementLineStatus::from)
            .map(|s| s.as_str())
            .collect();
        assert_eq!(from, ["approved", "partially_approved", "rejected"]);
        assert_eq!(ReimbursementLineStatus::Pending.as_str(), "pending");
    }
}
