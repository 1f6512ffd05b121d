//! Recently read facts about a provider for claim intake: its row, its contracts with their
//! events and terms versions, and its office's auto-approval amount. Claim intake read them on
//! every claim — five queries of the ten it needs — though they change a few times a year.
//!
//! Every committed change to providers, contracts or offices made through this process
//! invalidates the cache: the writer's commit hook (`db::writer`, registered in `app`) calls
//! [`ProviderFactsCache::invalidate`], which bumps the cache's generation. An entry read under
//! an older generation is not used — including one read while the change was not yet committed. Changes made elsewhere — the CLI, or a second instance on the same
//! PostgreSQL — are seen within `TTL`, as for API keys (`auth::cache`).

use crate::domain::record_ids::ProviderId;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::db::AnyConnection;
use crate::domain::adjudication::ContractFacts;
use crate::domain::money::Rial;
use crate::error::AppResult;
use crate::store::providers::{self, ContractRow, ProviderRow};

/// How long facts are trusted without asking the database again.
pub const TTL: Duration = Duration::from_secs(10);
/// A bound on memory: the cache is emptied rather than grown past this many providers.
const MAX_ENTRIES: usize = 20_000;

/// What claim intake needs about a provider.
pub struct Facts {
    pub provider: ProviderRow,
    /// Ascending as stored, each with its events and terms versions.
    pub contracts: Vec<(ContractRow, ContractFacts)>,
    pub auto_approve_limit: Option<Rial>,
}

impl Facts {
    /// The contract covering `date`, or else the latest (which the engine then finds not in
    /// force: R03).
    pub fn contract_covering(&self, date: chrono::NaiveDate) -> Option<&ContractFacts> {
        self.contracts
            .iter()
            .rev()
            .find(|(c, _)| c.valid_from <= date && date <= c.valid_to)
            .or(self.contracts.last())
            .map(|(_, f)| f)
    }
}

/// Per provider id: the generation it was read under, when, and the facts.
type Entries = HashMap<ProviderId, (u64, Instant, Arc<Facts>)>;

#[derive(Default)]
pub struct ProviderFactsCache {
    entries: Mutex<Entries>,
    /// Bumped by every committed change of providers, contracts or offices.
    generation: AtomicU64,
}

impl ProviderFactsCache {
    /// Forgets every entry: called after a commit that changed provider facts.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The provider's facts, from the cache or the database; `None` for an unknown provider.
    pub fn get(&self, conn: &mut AnyConnection, provider_id: &ProviderId) -> AppResult<Option<Arc<Facts>>> {
        // Read before the database: facts loaded across a commit keep the older generation.
        let generation = self.generation.load(Ordering::SeqCst);
        if let Some((g, at, facts)) = self.lock().get(provider_id) {
            if *g == generation && at.elapsed() < TTL {
                return Ok(Some(facts.clone()));
            }
        }
        let Some(facts) = load(conn, provider_id)? else { return Ok(None) };
        let facts = Arc::new(facts);
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(provider_id.clone(), (generation, Instant::now(), facts.clone()));
        Ok(Some(facts))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn load(conn: &mut AnyConnection, provider_id: &ProviderId) -> AppResult<Option<Facts>> {
    let Some(provider) = providers::find_provider(conn, provider_id)? else { return Ok(None) };
    let mut contracts = Vec::new();
    for c in providers::provider_contracts(conn, provider_id)? {
        let facts = crate::services::providers::contract_facts(conn, &c)?;
        contracts.push((c, facts));
    }
    let auto_approve_limit =
        crate::store::offices::find(conn, &provider.office_id)?.and_then(|o| o.auto_approve_limit).map(Rial);
    Ok(Some(Facts { provider, contracts, auto_approve_limit }))
}
