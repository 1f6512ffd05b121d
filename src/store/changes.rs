//! What the current unit of work changed that a cache keeps a copy of. The store functions that
//! write providers, contracts or offices call [`changed`]; the writer (`db::writer`) takes the
//! record when the transaction ends ([`take`]) and, if it committed, runs its commit hooks with
//! it — the provider-facts cache drops its entries there. The record is per thread: a unit of
//! work runs on one thread from its first statement to its commit.

use std::cell::Cell;

/// What a unit of work changed, as far as caches care.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Providers, contracts (with their events and terms) or offices: the facts claim intake
    /// caches (`services::provider_facts`).
    pub provider_facts: bool,
}

impl Changes {
    pub fn any(self) -> bool {
        self.provider_facts
    }

    /// Both records together (a group commit's jobs).
    pub fn and(self, other: Changes) -> Changes {
        Changes { provider_facts: self.provider_facts || other.provider_facts }
    }
}

thread_local! {
    static CHANGED: Cell<Changes> = const { Cell::new(Changes { provider_facts: false }) };
}

/// A provider, office or contract is being changed in the current unit of work.
pub fn changed() {
    CHANGED.with(|c| c.set(Changes { provider_facts: true }));
}

/// What the unit of work that just ended changed; clears the record.
pub fn take() -> Changes {
    CHANGED.with(|c| c.replace(Changes::default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_is_recorded_until_taken() {
        assert!(!take().any());
        changed();
        assert!(take().provider_facts);
        assert!(!take().any());
    }
}
