//! Monthly lists (لیست ماهانه): received at once (202), adjudicated in the background one
//! document at a time through the same intake as single claims. One bad document fails alone.
//! Progress is in the database, so a restart resumes where the last run stopped; a document
//! processed just before a crash is recognised by its number (intake is idempotent).

use crate::domain::record_ids::{BatchId, ClaimId, ProviderId};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::auth::{Caller, Role};
use crate::context::ServiceContext;
use crate::domain::lifecycle::batch::ItemStatus;
use crate::error::{AppError, AppResult};
use crate::store::batches::{self as store, BatchRow, ItemRow};

/// A monthly list (لیست ماهانه) and its progress.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Batch)]
pub struct BatchView {
    pub id: BatchId,
    pub provider_id: ProviderId,
    /// `queued`, `processing` or `done`.
    pub status: crate::domain::lifecycle::batch::BatchStatus,
    /// Documents in the list.
    pub total: i32,
    pub processed: i64,
    pub succeeded: i64,
    pub failed: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub finished_at: Option<String>,
    /// Per document, in list order; empty in the answer to the POST.
    pub items: Vec<ItemView>,
}

/// A document of a monthly list and what became of it.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = BatchItem)]
pub struct ItemView {
    /// Position in the list, from 1.
    pub seq: i32,
    pub provider_document_no: Option<String>,
    /// `pending`, `done` or `failed`.
    pub status: crate::domain::lifecycle::batch::ItemStatus,
    pub claim_id: Option<ClaimId>,
    /// What a single POST would have answered: 201 new, 200 resend, 422 invalid…
    pub http_status: Option<i32>,
    /// Why a document failed.
    #[schema(value_type = Option<BatchItemError>)]
    pub error: Option<serde_json::Value>,
}

/// Why a document of a monthly list failed: the problem a single POST would have answered.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documentation only: the value is built in `problem_json`
pub struct BatchItemError {
    /// The problem's stable machine code, e.g. `validation_failed`.
    code: String,
    detail: String,
    /// For an invalid document: every bad field (else empty).
    errors: Vec<crate::error::FieldError>,
}

/// Stores the documents as a queued batch and wakes the worker.
pub async fn create(
    state: &ServiceContext,
    caller: Caller,
    documents: Vec<serde_json::Value>,
) -> AppResult<BatchView> {
    let provider_id = caller
        .provider_id
        .clone()
        .filter(|_| caller.role == Role::Provider)
        .ok_or_else(|| AppError::forbidden("only a provider's users and systems send monthly lists"))?;
    if documents.is_empty() || documents.len() > 50_000 {
        return Err(AppError::field("documents", "length", "must have between 1 and 50000 documents"));
    }
    let now = state.now();
    let view = state
        .write(move |conn| {
            let batch = BatchRow {
                id: BatchId::new(),
                provider_id,
                created_by: caller.username.clone(),
                status: crate::domain::lifecycle::batch::BatchStatus::Queued,
                total: documents.len() as i32,
                created_at: now,
                finished_at: None,
                received_on: Some(now.date()),
            };
            let items: Vec<ItemRow> = documents
                .iter()
                .enumerate()
                .map(|(i, d)| ItemRow {
                    batch_id: batch.id.clone(),
                    seq: i as i32 + 1,
                    provider_document_no: d
                        .get("provider_document_no")
                        .and_then(|v| v.as_str())
                        .map(String::from),
                    payload: d.to_string(),
                    status: crate::domain::lifecycle::batch::ItemStatus::Pending,
                    claim_id: None,
                    http_status: None,
                    error: None,
                    provider_id: batch.provider_id.clone(),
                })
                .collect();
            store::insert(conn, &batch, &items)?;
            view_of(conn, batch, false)
        })
        .await?;
    state.batch_notify.notify_one();
    Ok(view)
}

fn view_of(conn: &mut crate::db::AnyConnection, b: BatchRow, with_items: bool) -> AppResult<BatchView> {
    let (succeeded, failed) = store::progress(conn, &b.id)?;
    let items = if with_items {
        store::items(conn, &b.id)?
            .into_iter()
            .map(|i| ItemView {
                seq: i.seq,
                provider_document_no: i.provider_document_no,
                status: i.status,
                claim_id: i.claim_id,
                http_status: i.http_status,
                error: i.error.and_then(|e| serde_json::from_str(&e).ok()),
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(BatchView {
        id: b.id,
        provider_id: b.provider_id,
        status: b.status,
        total: b.total,
        processed: succeeded + failed,
        succeeded,
        failed,
        created_at: crate::clock::ts(b.created_at),
        finished_at: b.finished_at.map(crate::clock::ts),
        items,
    })
}

/// Progress and per-document results; the batch's provider and the Organization's staff see it.
pub async fn get(state: &ServiceContext, caller: Caller, id: BatchId) -> AppResult<BatchView> {
    state
        .db(move |conn| {
            // A list is as visible as its provider's claims: the provider, its office's staff and
            // the Organization-wide roles.
            let b = store::find_in(conn, &caller.scope_for(crate::auth::Record::Claim), &id)?
                .ok_or_else(|| AppError::not_found("no such batch"))?;
            view_of(conn, b, true)
        })
        .await
}

/// How many of a provider's monthly lists its portal shows (the newest).
pub const RECENT_LISTS: i64 = 50;

/// The caller provider's own monthly lists, newest first, with their progress (no items): the
/// portal's list of uploads. Only a provider's users have "own" lists (403 for anyone else).
pub async fn list_own(state: &ServiceContext, caller: Caller) -> AppResult<Vec<BatchView>> {
    let provider_id = caller
        .provider_id
        .clone()
        .filter(|_| caller.role == Role::Provider)
        .ok_or_else(|| AppError::forbidden("only a provider's users have monthly lists"))?;
    state
        .db(move |conn| {
            store::of_provider(conn, &provider_id, RECENT_LISTS)?
                .into_iter()
                .map(|b| view_of(conn, b, false))
                .collect()
        })
        .await
}

/// Processes unfinished batches until none is left, then waits for a new one (or polls every
/// few seconds, which also picks up batches left by a previous run or by a process that died).
///
/// Several processes may run this worker on one database: each takes a list by a lease
/// (`store::take_next`) and renews it at half-time while it works, so a list is read by one
/// worker at a time and taken over by another only after its holder stopped renewing.
pub async fn run_worker(state: Arc<ServiceContext>) {
    // Who holds a lease: this run of the worker (a restarted process is a new holder).
    let holder = uuid::Uuid::new_v4().simple().to_string();
    loop {
        match process_next(&state, &holder).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "monthly-list worker"),
        }
        let notified = state.batch_notify.clone();
        let _ = tokio::time::timeout(Duration::from_secs(3), notified.notified()).await;
    }
}

/// A worker's hold on one list, renewed at half its length. Leases are in the wall clock
/// (`store::now`), not the service's business clock: processes compare them with each other.
struct Lease {
    id: BatchId,
    holder: String,
    length: chrono::Duration,
    renew_at: std::time::Instant,
}

impl Lease {
    fn renew_after(length: chrono::Duration) -> std::time::Instant {
        std::time::Instant::now() + length.to_std().unwrap_or_default() / 2
    }

    /// Renews the lease when half of it has passed; false when it was lost to another worker.
    async fn keep(&mut self, state: &ServiceContext) -> AppResult<bool> {
        if std::time::Instant::now() < self.renew_at {
            return Ok(true);
        }
        let (id, holder, until) = (self.id.clone(), self.holder.clone(), crate::store::now() + self.length);
        let kept = state.write(move |conn| Ok(store::renew(conn, &id, &holder, until)?)).await?;
        self.renew_at = Self::renew_after(self.length);
        Ok(kept)
    }
}

/// Works through one batch's pending items; `Ok(false)` when there was nothing to do.
async fn process_next(state: &Arc<ServiceContext>, holder: &str) -> AppResult<bool> {
    let length =
        chrono::Duration::from_std(state.config.batch_lease).unwrap_or(chrono::Duration::seconds(30));
    let taken = {
        let holder = holder.to_string();
        state
            .write(move |conn| {
                let now = crate::store::now();
                Ok(store::take_next(conn, &holder, now, now + length)?)
            })
            .await?
    };
    let Some(batch) = taken else {
        return Ok(false);
    };
    let id = batch.id.clone();
    let mut lease =
        Lease { id: id.clone(), holder: holder.to_string(), length, renew_at: Lease::renew_after(length) };
    let clock = state.clock;
    loop {
        let items = state
            .db({
                let id = id.clone();
                move |conn| Ok(store::pending_items(conn, &id, 200)?)
            })
            .await?;
        if items.is_empty() {
            break;
        }
        for item in items {
            if !lease.keep(state).await? {
                // Another worker took the list over (this one was too slow to renew): it
                // carries on from the items still pending; what this one stored is kept.
                tracing::warn!(batch = %id, "monthly list taken over by another worker");
                return Ok(true);
            }
            let outcome = process_item(state, &batch, &item).await;
            let (status, claim_id, http, error) = match outcome {
                // Marked done in the transaction that stored the claim.
                Ok((true, _)) => continue,
                Ok((false, claim_id)) => (ItemStatus::Done, Some(claim_id), 200, None),
                Err(e) => {
                    let body = problem_json(&e);
                    (ItemStatus::Failed, None, e.http_status() as i32, Some(body))
                }
            };
            let (bid, seq) = (id.clone(), item.seq);
            state
                .write(move |conn| {
                    Ok(store::finish_item(
                        conn,
                        &bid,
                        seq,
                        status,
                        claim_id.as_ref().map(|s| s.as_str().into()).as_ref(),
                        http,
                        error.as_deref(),
                    )?)
                })
                .await?;
        }
    }
    state
        .write(move |conn| {
            let now = clock.now();
            // The list is read: its advance (علی‌الحساب) falls due, in the same transaction,
            // so a crash here leaves the batch unfinished and the advance is made on resume —
            // and only by the worker whose finish marked it done.
            if store::finish(conn, &id, now)? {
                crate::services::settlements::advance_for_list(conn, &batch, now)?;
            }
            Ok(())
        })
        .await?;
    Ok(true)
}

fn problem_json(e: &AppError) -> String {
    let errors = match e {
        AppError::Validation(list) => serde_json::to_value(list).unwrap_or_default(),
        _ => serde_json::Value::Array(vec![]),
    };
    serde_json::json!({ "code": e.code(), "detail": e.to_string(), "errors": errors }).to_string()
}

async fn process_item(
    state: &Arc<ServiceContext>,
    batch: &BatchRow,
    item: &ItemRow,
) -> AppResult<(bool, ClaimId)> {
    // A document of a list was submitted when the list was received, however late the worker
    // reads it (after a restart, say): its submission deadline counts from that day.
    let received_on = batch.received_on.unwrap_or(batch.created_at.date());
    let sub = crate::services::claim_document::parse_document(item.payload.as_bytes(), received_on)?;
    let list_item = crate::services::claims::ListItem { batch_id: batch.id.clone(), seq: item.seq };
    let done = crate::services::claims::submit_for(
        state,
        batch.provider_id.clone(),
        batch.created_by.clone(),
        sub,
        Some(list_item),
    )
    .await?;
    Ok((done.created, done.view.id))
}

/// Starts the worker on the current (single-threaded) runtime.
pub fn spawn_worker(state: Arc<ServiceContext>) {
    tokio::task::spawn_local(run_worker(state));
}

/// The notifier the API uses to wake the worker.
pub fn notifier() -> Arc<tokio::sync::Notify> {
    Arc::new(tokio::sync::Notify::new())
}
