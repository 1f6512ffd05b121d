//! Readiness: whether this process can serve — its database answers (and, for SQLite, the file
//! is still where it was).

use crate::context::ServiceContext;
use crate::error::{AppError, AppResult};

/// `Ok` when the database answers; `Unavailable` with the cause otherwise.
pub async fn ready(state: &ServiceContext) -> AppResult<()> {
    let (pool, database) = (state.pool.clone(), state.database.clone());
    tokio::task::spawn_blocking(move || crate::db::check_ready(&pool, &database))
        .await
        .map_err(|e| AppError::internal(format!("the readiness check did not finish: {e}")))?
        .map_err(AppError::Unavailable)
}

/// `sqlite` or `postgres`.
pub fn backend(state: &ServiceContext) -> &'static str {
    state.database.backend_name()
}

/// The connection pool's gauges, for `/metrics`.
pub fn pool(state: &ServiceContext) -> r2d2::State {
    state.pool.state()
}
