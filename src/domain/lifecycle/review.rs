//! The review office's cases besides the claim itself: a reviewer's decision waiting for the
//! second pair of eyes (تأیید دوم), a provider's objection (اعتراض) and a sample (نمونه).
//!
//! A decision's first status is from the four-eyes rule ([`DecisionStatus::initial`]): applied at
//! once, or awaiting approval. Then:
//!
//! | entity | from | action | to |
//! |---|---|---|---|
//! | decision | awaiting_approval | approve | applied |
//! | decision | awaiting_approval | return | returned |
//! | objection | open | decide — at once | decided |
//! | objection | open | propose — above the four-eyes threshold | awaiting_approval |
//! | objection | awaiting_approval | approve | decided |
//! | objection | awaiting_approval | return | open |
//! | sample | open | extrapolate — its rate applied to the claims not selected | extrapolated |
//! | sample | open | close — without extrapolating | closed |

use super::TransitionError;

text_enum! {
    /// The status of a reviewer's decision (وضعیت رأی کارشناس).
    pub enum DecisionStatus ("decision") {
        /// Waiting for a supervisor (در انتظار تأیید).
        AwaitingApproval = "awaiting_approval",
        /// Applied to the claim (اعمال شد).
        Applied = "applied",
        /// Sent back by the supervisor (برگشت خورد).
        Returned = "returned",
    }
}

impl DecisionStatus {
    /// A new decision: waiting for a supervisor when the four-eyes rule says so, else applied.
    pub fn initial(needs_second_approval: bool) -> DecisionStatus {
        if needs_second_approval {
            DecisionStatus::AwaitingApproval
        } else {
            DecisionStatus::Applied
        }
    }
}

text_enum! {
    /// The supervisor's answer to a waiting decision (shared by decisions and objections).
    pub enum ApprovalAction ("approval action") {
        Approve = "approve",
        Return = "return",
    }
}

/// The decision's status after `action`, or why not.
pub fn decision_transition(
    from: DecisionStatus,
    action: ApprovalAction,
) -> Result<DecisionStatus, TransitionError> {
    use ApprovalAction::*;
    use DecisionStatus::*;
    match (from, action) {
        (AwaitingApproval, Approve) => Ok(Applied),
        (AwaitingApproval, Return) => Ok(Returned),
        (from, action) => {
            Err(TransitionError { entity: "decision", from: from.as_str(), action: action.as_str() })
        }
    }
}

text_enum! {
    /// The status of a provider's objection to deductions (وضعیت اعتراض به کسورات).
    pub enum ObjectionStatus ("objection") {
        /// Filed, waiting for a reviewer (باز).
        Open = "open",
        /// Its decision waits for a supervisor (در انتظار تأیید).
        AwaitingApproval = "awaiting_approval",
        /// Decided (رسیدگی شد).
        Decided = "decided",
    }
}

text_enum! {
    /// What is done to an objection.
    pub enum ObjectionAction ("objection action") {
        Decide = "decide",
        Propose = "propose",
        Approve = "approve",
        Return = "return",
    }
}

impl ObjectionStatus {
    /// The status in Persian, as the review office and the provider read it.
    pub fn name_fa(self) -> &'static str {
        match self {
            ObjectionStatus::Open => "باز",
            ObjectionStatus::AwaitingApproval => "در انتظار تأیید سرپرست",
            ObjectionStatus::Decided => "رسیدگی شد",
        }
    }
}

/// The objection's status after `action`, or why not.
pub fn objection_transition(
    from: ObjectionStatus,
    action: ObjectionAction,
) -> Result<ObjectionStatus, TransitionError> {
    use ObjectionAction::*;
    use ObjectionStatus::*;
    match (from, action) {
        (Open, Decide) => Ok(Decided),
        (Open, Propose) => Ok(AwaitingApproval),
        (AwaitingApproval, Approve) => Ok(Decided),
        (AwaitingApproval, Return) => Ok(Open),
        (from, action) => {
            Err(TransitionError { entity: "objection", from: from.as_str(), action: action.as_str() })
        }
    }
}

text_enum! {
    /// The status of a review sample (وضعیت نمونه‌گیری).
    pub enum SampleStatus ("sample") {
        /// Its selected claims are with the reviewers (باز).
        Open = "open",
        /// Its rate was applied to the claims not selected, R92 (تعمیم داده شد).
        Extrapolated = "extrapolated",
        /// Closed without extrapolating (بسته).
        Closed = "closed",
    }
}

text_enum! {
    /// What is done to a sample.
    pub enum SampleAction ("sample action") {
        Extrapolate = "extrapolate",
        Close = "close",
    }
}

/// The sample's status after `action`, or why not.
pub fn sample_transition(from: SampleStatus, action: SampleAction) -> Result<SampleStatus, TransitionError> {
    use SampleAction::*;
    use SampleStatus::*;
    match (from, action) {
        (Open, Extrapolate) => Ok(Extrapolated),
        (Open, Close) => Ok(Closed),
        (from, action) => {
            Err(TransitionError { entity: "sample", from: from.as_str(), action: action.as_str() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::table;
    use super::*;

    #[test]
    fn every_decision_transition() {
        use ApprovalAction::*;
        use DecisionStatus::*;
        let allowed = [(AwaitingApproval, Approve, Applied), (AwaitingApproval, Return, Returned)];
        table::walk(DecisionStatus::ALL, ApprovalAction::ALL, &allowed, decision_transition);
        table::round_trip(DecisionStatus::ALL, DecisionStatus::as_str, DecisionStatus::parse);
        assert_eq!(DecisionStatus::initial(true), AwaitingApproval);
        assert_eq!(DecisionStatus::initial(false), Applied);
    }

    #[test]
    fn every_objection_transition() {
        use ObjectionAction::*;
        use ObjectionStatus::*;
        let allowed = [
            (Open, Decide, Decided),
            (Open, Propose, AwaitingApproval),
            (AwaitingApproval, Approve, Decided),
            (AwaitingApproval, Return, Open),
        ];
        table::walk(ObjectionStatus::ALL, ObjectionAction::ALL, &allowed, objection_transition);
        table::round_trip(ObjectionStatus::ALL, ObjectionStatus::as_str, ObjectionStatus::parse);
    }

    #[test]
    fn every_sample_transition() {
        use SampleAction::*;
        use SampleStatus::*;
        let allowed = [(Open, Extrapolate, Extrapolated), (Open, Close, Closed)];
        table::walk(SampleStatus::ALL, SampleAction::ALL, &allowed, sample_transition);
        table::round_trip(SampleStatus::ALL, SampleStatus::as_str, SampleStatus::parse);
    }
}
