//! Liveness, readiness, metrics and the OpenAPI document. Unauthenticated by design: probes
//! and scrapers carry no credentials, and none of these reveal tenant data.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::context::ServiceContext;
use crate::error::AppResult;
use crate::telemetry::Metrics;

/// This module's part of the contract (see `api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(healthz, readyz, metrics, openapi))]
pub struct Api;

/// `GET /healthz`.
#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(pattern = "^ok$")]
    pub status: &'static str,
    pub version: &'static str,
}

/// `GET /readyz`.
#[derive(Serialize, ToSchema)]
pub struct Ready {
    #[schema(pattern = "^ready$")]
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    pub database: &'static str,
}

/// Liveness — the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations", security(()),
    responses((status = 200, description = "Alive.", body = Health)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok", version: env!("CARGO_PKG_VERSION") })
}

/// Readiness — the database answers (503 otherwise).
#[utoipa::path(get, path = "/readyz", tag = "operations", security(()),
    responses((status = 200, description = "Ready.", body = Ready)))]
pub async fn readyz(state: web::Data<ServiceContext>) -> AppResult<HttpResponse> {
    crate::services::health::ready(&state).await?;
    Ok(HttpResponse::Ok().json(Ready { status: "ready", database: crate::services::health::backend(&state) }))
}

/// Prometheus metrics (request counts and latencies by route and status; pool gauges).
#[utoipa::path(get, path = "/metrics", tag = "operations", security(()),
    responses((status = 200, description = "Prometheus text exposition format 0.0.4.", body = String, content_type = "text/plain")))]
pub async fn metrics(state: web::Data<ServiceContext>, metrics: web::Data<Metrics>) -> HttpResponse {
    let pool = crate::services::health::pool(&state);
    let extra = format!(
        "# HELP asnad_db_pool_connections Open database connections.\n# TYPE asnad_db_pool_connections gauge\nasnad_db_pool_connections {}\n\
         # HELP asnad_db_pool_idle_connections Idle database connections.\n# TYPE asnad_db_pool_idle_connections gauge\nasnad_db_pool_idle_connections {}\n",
        pool.connections, pool.idle_connections
    );
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(metrics.render(&extra))
}

/// This document.
#[utoipa::path(get, path = "/openapi.yaml", tag = "operations", security(()),
    responses((status = 200, description = "The OpenAPI document.", body = String, content_type = "application/yaml")))]
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().content_type("application/yaml; charset=utf-8").body(crate::api::openapi::yaml())
}
