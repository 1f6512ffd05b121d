//! Recently verified API keys, so that a provider's system sending thousands of claims is not
//! looked up in the database on every request (a profile of claim intake showed the lookup at
//! an eighth of the server's time).
//!
//! Only API keys are cached; login tokens expire and are always checked in the database.
//! Every change to users or API keys made through this process empties the cache at once
//! (`invalidate`). Changes made elsewhere — the CLI, or a second instance on the same
//! PostgreSQL — are seen within `TTL`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::Caller;

/// How long a verified key is trusted without asking the database again.
pub const TTL: Duration = Duration::from_secs(10);
/// A bound on memory: the cache is emptied rather than grown past this many keys.
const MAX_ENTRIES: usize = 10_000;

#[derive(Default)]
pub struct AuthCache {
    /// The generation counts invalidations: a lookup that began before one (and so may have
    /// read the old state) must not store its result after it.
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    generation: u64,
    entries: HashMap<String, (Instant, Caller)>,
}

impl AuthCache {
    /// The caller for this key hash, if it was verified less than `TTL` ago.
    /// Returns the cached caller, or the generation to pass to `put` after a lookup.
    pub fn get(&self, key_hash: &str) -> Result<Caller, u64> {
        let inner = self.lock();
        match inner.entries.get(key_hash) {
            Some((at, caller)) if at.elapsed() < TTL => Ok(caller.clone()),
            _ => Err(inner.generation),
        }
    }

    /// Stores a caller found by a lookup that began at `generation`, unless something changed
    /// since.
    pub fn put(&self, generation: u64, key_hash: String, caller: Caller) {
        let mut inner = self.lock();
        if inner.generation != generation {
            return;
        }
        if inner.entries.len() >= MAX_ENTRIES {
            inner.entries.clear();
        }
        inner.entries.insert(key_hash, (Instant::now(), caller));
    }

    /// Forgets everything: called after any change to users or API keys.
    pub fn invalidate(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.entries.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Credential, Role};

    fn caller() -> Caller {
        Caller {
            user_id: "u".into(),
            username: "u".into(),
            display_name: "U".into(),
            role: Role::Provider,
            provider_id: Some("p".into()),
            office_id: None,
            insured_id: None,
            province_id: None,
            must_change_password: false,
            credential: Credential::ApiKey { key_id: "k".into() },
        }
    }

    #[test]
    fn a_lookup_that_raced_an_invalidation_is_not_stored() {
        let cache = AuthCache::default();
        let generation = cache.get("h").unwrap_err();
        cache.invalidate();
        cache.put(generation, "h".into(), caller());
        assert!(cache.get("h").is_err());
        let generation = cache.get("h").unwrap_err();
        cache.put(generation, "h".into(), caller());
        assert_eq!(cache.get("h").unwrap().user_id, "u");
        cache.invalidate();
        assert!(cache.get("h").is_err());
    }
}
