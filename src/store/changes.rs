//! A process-wide generation of the facts claim intake caches (providers, contracts, offices:
//! `services::provider_facts`). The store functions that write them call `changed`; a cached
//! fact read under an older generation is not used.
//!
//! A lookup running between a write and its commit would read the old row under the new
//! generation, so `db::write_tx` calls `after_transaction` once the transaction is over, which
//! bumps the generation again if the transaction changed anything.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

static GENERATION: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Set by `changed`; `after_transaction` bumps again and clears it.
    static CHANGED_IN_TRANSACTION: Cell<bool> = const { Cell::new(false) };
}

/// A provider, office or contract is being changed: forget every cached fact.
pub fn changed() {
    GENERATION.fetch_add(1, Ordering::SeqCst);
    CHANGED_IN_TRANSACTION.with(|c| c.set(true));
}

/// Called after a commit (or rollback): if the transaction changed facts, forget again what was
/// read while it was uncommitted.
pub fn after_transaction() {
    if CHANGED_IN_TRANSACTION.with(|c| c.replace(false)) {
        GENERATION.fetch_add(1, Ordering::SeqCst);
    }
}

/// The current generation.
pub fn generation() -> u64 {
    GENERATION.load(Ordering::SeqCst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_bumps_the_generation_and_again_after_its_transaction() {
        let before = generation();
        changed();
        let during = generation();
        after_transaction();
        let after = generation();
        assert!(during > before && after > during);
        assert!(!CHANGED_IN_TRANSACTION.with(|c| c.get()));
    }
}
