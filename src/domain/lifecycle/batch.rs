//! A monthly list (لیست ماهانه) of a provider's documents and its items.
//!
//! | from | action | to |
//! |---|---|---|
//! | queued | start — the worker picks it up | processing |
//! | processing | resume — picked up again after a restart | processing |
//! | processing | finish — every item read; its advance falls due | done |
//!
//! An item: pending → done (its claim stored, or already stored) or failed (refused).

use super::TransitionError;

text_enum! {
    /// The status of a monthly list (وضعیت لیست ماهانه).
    pub enum BatchStatus ("batch") {
        /// Received, not yet read (در صف).
        Queued = "queued",
        /// Being read (در حال پردازش).
        Processing = "processing",
        /// Every document read (پایان).
        Done = "done",
    }
}

text_enum! {
    /// What is done to a monthly list.
    pub enum BatchAction ("batch action") {
        Start = "start",
        Resume = "resume",
        Finish = "finish",
    }
}

/// The list's status after `action`, or why not.
pub fn transition(from: BatchStatus, action: BatchAction) -> Result<BatchStatus, TransitionError> {
    use BatchAction::*;
    use BatchStatus::*;
    match (from, action) {
        (Queued, Start) => Ok(Processing),
        (Processing, Resume) => Ok(Processing),
        (Processing, Finish) => Ok(Done),
        (from, action) => {
            Err(TransitionError { entity: "batch", from: from.as_str(), action: action.as_str() })
        }
    }
}

text_enum! {
    /// The status of a document of a monthly list (وضعیت سند در لیست).
    #[schema(as = BatchItemStatus)]
    pub enum ItemStatus ("batch item") {
        /// Not read yet (در انتظار).
        Pending = "pending",
        /// Its claim is stored (ثبت شد).
        Done = "done",
        /// Refused; the error says why (رد شد).
        Failed = "failed",
    }
}

text_enum! {
    /// What is done to a document of a monthly list.
    pub enum ItemAction ("batch item action") {
        Succeed = "succeed",
        Fail = "fail",
    }
}

/// The item's status after `action`, or why not.
pub fn item_transition(from: ItemStatus, action: ItemAction) -> Result<ItemStatus, TransitionError> {
    use ItemAction::*;
    use ItemStatus::*;
    match (from, action) {
        (Pending, Succeed) => Ok(Done),
        (Pending, Fail) => Ok(Failed),
        (from, action) => {
            Err(TransitionError { entity: "batch item", from: from.as_str(), action: action.as_str() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::table;
    use super::*;

    #[test]
    fn every_batch_transition() {
        use BatchAction::*;
        use BatchStatus::*;
        let allowed =
            [(Queued, Start, Processing), (Processing, Resume, Processing), (Processing, Finish, Done)];
        table::walk(BatchStatus::ALL, BatchAction::ALL, &allowed, transition);
        table::round_trip(BatchStatus::ALL, BatchStatus::as_str, BatchStatus::parse);
    }

    #[test]
    fn every_item_transition() {
        use ItemAction::*;
        use ItemStatus::*;
        let allowed = [(Pending, Succeed, Done), (Pending, Fail, Failed)];
        table::walk(ItemStatus::ALL, ItemAction::ALL, &allowed, item_transition);
        table::round_trip(ItemStatus::ALL, ItemStatus::as_str, ItemStatus::parse);
    }
}
