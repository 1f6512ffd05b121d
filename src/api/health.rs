//! Liveness, readiness, metrics and the OpenAPI document. Unauthenticated by design: probes
//! and scrapers carry no credentials, and none of these reveal tenant data.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::context::ServiceContext;
use crate::error::{AppError, AppResult};
use crate::telemetry::Metrics;

/// The API contract, compiled in so the served file is the one in the repository.
pub const OPENAPI_YAML: &str = include_str!("../../openapi.yaml");

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

/// 200 when the database answers, 503 otherwise.
pub async fn readyz(state: web::Data<ServiceContext>) -> AppResult<HttpResponse> {
    let pool = state.pool.clone();
    let database = state.database.clone();
    let result = web::block(move || crate::db::check_ready(&pool, &database)).await?;
    match result {
        Ok(()) => {
            Ok(HttpResponse::Ok()
                .json(json!({ "status": "ready", "database": state.database.backend_name() })))
        }
        Err(cause) => Err(AppError::Unavailable(cause)),
    }
}

pub async fn metrics(state: web::Data<ServiceContext>, metrics: web::Data<Metrics>) -> HttpResponse {
    let pool = state.pool.state();
    let extra = format!(
        "# HELP asnad_db_pool_connections Open database connections.\n# TYPE asnad_db_pool_connections gauge\nasnad_db_pool_connections {}\n\
         # HELP asnad_db_pool_idle_connections Idle database connections.\n# TYPE asnad_db_pool_idle_connections gauge\nasnad_db_pool_idle_connections {}\n",
        pool.connections, pool.idle_connections
    );
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(metrics.render(&extra))
}

pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().content_type("application/yaml; charset=utf-8").body(OPENAPI_YAML)
}
