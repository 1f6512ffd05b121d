//! Builds the actix application — the same function serves production and the tests.

use std::sync::{Arc, RwLock};

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer, Route};

use crate::api;
use crate::config::Config;
use crate::context::ServiceContext;
use crate::db::{DatabaseUrl, DbPool, PoolOptions};
use crate::error::AppError;
use crate::telemetry::{observe, Metrics};

/// One route of the API: the single list from which the app is built and against which
/// `openapi.yaml` is checked.
pub struct RouteDef {
    pub method: Method,
    pub path: &'static str,
    pub route: fn() -> Route,
}

macro_rules! routes {
    ($($method:ident $path:literal => $handler:path),* $(,)?) => {
        vec![$(RouteDef {
            method: Method::$method,
            path: $path,
            route: || web::route().method(Method::$method).to($handler),
        }),*]
    };
}

/// Every route the service answers.
pub fn routes() -> Vec<RouteDef> {
    routes![
        GET "/healthz" => api::health::healthz,
        GET "/readyz" => api::health::readyz,
        GET "/metrics" => api::health::metrics,
        GET "/openapi.yaml" => api::health::openapi,
        POST "/api/v1/auth/token" => api::auth::issue_token,
        DELETE "/api/v1/auth/token" => api::auth::revoke_token,
        GET "/api/v1/auth/me" => api::auth::me,
        PUT "/api/v1/auth/password" => api::auth::change_password,
        GET "/api/v1/users" => api::users::list,
        POST "/api/v1/users" => api::users::create,
        GET "/api/v1/users/{id}" => api::users::get,
        PATCH "/api/v1/users/{id}" => api::users::update,
        POST "/api/v1/users/{id}/password" => api::users::reset_password,
        GET "/api/v1/api-keys" => api::api_keys::list,
        POST "/api/v1/api-keys" => api::api_keys::create,
        DELETE "/api/v1/api-keys/{id}" => api::api_keys::revoke,
        GET "/api/v1/provinces" => api::offices::list_provinces,
        GET "/api/v1/offices" => api::offices::list,
        POST "/api/v1/offices" => api::offices::create,
        GET "/api/v1/offices/{id}" => api::offices::get,
        PUT "/api/v1/offices/{id}" => api::offices::update,
        DELETE "/api/v1/offices/{id}" => api::offices::deactivate,
        GET "/api/v1/budgets" => api::budgets::list,
        POST "/api/v1/budgets" => api::budgets::create,
        POST "/api/v1/budgets/import" => api::budgets::import,
        GET "/api/v1/budgets/{id}" => api::budgets::get,
        PUT "/api/v1/budgets/{id}" => api::budgets::update,
        GET "/api/v1/tariffs" => api::tariffs::list,
        POST "/api/v1/tariffs/import" => api::tariffs::import,
        GET "/api/v1/tariffs/{year}/services" => api::tariffs::services,
        GET "/api/v1/tariffs/{year}/services/{code}" => api::tariffs::service,
        GET "/api/v1/tariffs/{year}/drugs" => api::tariffs::drugs,
        GET "/api/v1/tariffs/{year}/drugs/{code}" => api::tariffs::drug,
        GET "/api/v1/tariffs/{year}/devices" => api::tariffs::devices,
        GET "/api/v1/tariffs/{year}/devices/{code}" => api::tariffs::device,
        POST "/api/v1/pricing/quote" => api::pricing::quote,
        GET "/api/v1/providers" => api::providers::list,
        POST "/api/v1/providers" => api::providers::create,
        GET "/api/v1/providers/{id}" => api::providers::get,
        PUT "/api/v1/providers/{id}" => api::providers::update,
        DELETE "/api/v1/providers/{id}" => api::providers::deactivate,
        GET "/api/v1/providers/{id}/contracts" => api::providers::provider_contracts,
        POST "/api/v1/providers/{id}/contracts" => api::providers::create_contract,
        GET "/api/v1/providers/{id}/contract" => api::providers::contract_on,
        GET "/api/v1/contracts/{id}" => api::providers::get_contract,
        POST "/api/v1/contracts/{id}/amendments" => api::providers::amend,
        POST "/api/v1/contracts/{id}/status" => api::providers::change_status,
        GET "/api/v1/claims" => api::claims::list,
        POST "/api/v1/claims" => api::claims::submit,
        GET "/api/v1/claims/work-accidents" => api::claims::work_accidents,
        GET "/api/v1/claims/{id}" => api::claims::get,
        GET "/api/v1/claims/{id}/explanation" => api::claims::explanation,
        GET "/api/v1/me/claims" => api::me::my_claims,
        GET "/api/v1/me/claims/{id}" => api::me::my_claim,
        POST "/api/v1/me/claims/{id}/not-received" => api::me::not_received,
        POST "/api/v1/review/claims/{id}/not-received/resolve" => api::me::resolve_not_received,
        GET "/api/v1/claims/{id}/history" => api::review::history,
        GET "/api/v1/claims/{id}/objections" => api::review::objections,
        POST "/api/v1/claims/{id}/objections" => api::review::object,
        GET "/api/v1/review/queue" => api::review::queue,
        POST "/api/v1/review/claims/{id}/take" => api::review::take,
        POST "/api/v1/review/claims/{id}/release" => api::review::release,
        POST "/api/v1/review/claims/{id}/assignment" => api::review::assign,
        POST "/api/v1/review/claims/{id}/decision" => api::review::decide,
        POST "/api/v1/review/samples" => api::review::create_sample,
        GET "/api/v1/review/samples/{id}" => api::review::get_sample,
        POST "/api/v1/review/samples/{id}/extrapolate" => api::review::extrapolate_sample,
        POST "/api/v1/review/samples/{id}/close" => api::review::close_sample,
        POST "/api/v1/review/decisions/{id}/approve" => api::review::approve,
        POST "/api/v1/review/decisions/{id}/return" => api::review::return_decision,
        POST "/api/v1/objections/{id}/decision" => api::review::decide_objection,
        GET "/api/v1/audit/verify" => api::review::verify_audit,
        GET "/api/v1/objections/{id}/attachments" => api::attachments::list_objection,
        POST "/api/v1/objections/{id}/attachments" => api::attachments::upload_objection,
        GET "/api/v1/objections/{id}/attachments/{attachment_id}" => api::attachments::download_objection,
        GET "/api/v1/reimbursements" => api::reimbursements::list,
        POST "/api/v1/reimbursements" => api::reimbursements::file,
        GET "/api/v1/reimbursements/{id}" => api::reimbursements::get,
        POST "/api/v1/reimbursements/{id}/submit" => api::reimbursements::submit,
        POST "/api/v1/reimbursements/{id}/decision" => api::reimbursements::decide,
        POST "/api/v1/reimbursements/{id}/approval" => api::reimbursements::approval,
        GET "/api/v1/reimbursements/{id}/attachments" => api::attachments::list_reimbursement,
        POST "/api/v1/reimbursements/{id}/attachments" => api::attachments::upload_reimbursement,
        GET "/api/v1/reimbursements/{id}/attachments/{attachment_id}" => api::attachments::download_reimbursement,
        GET "/api/v1/preauthorizations" => api::preauth::list,
        POST "/api/v1/preauthorizations" => api::preauth::request,
        GET "/api/v1/preauthorizations/{id}" => api::preauth::get,
        POST "/api/v1/preauthorizations/{id}/decision" => api::preauth::decide,
        GET "/api/v1/preauthorizations/{id}/attachments" => api::attachments::list_preauth,
        POST "/api/v1/preauthorizations/{id}/attachments" => api::attachments::upload_preauth,
        GET "/api/v1/preauthorizations/{id}/attachments/{attachment_id}" => api::attachments::download_preauth,
        GET "/api/v1/claims/{id}/attachments" => api::attachments::list,
        POST "/api/v1/claims/{id}/attachments" => api::attachments::upload,
        GET "/api/v1/claims/{id}/attachments/{attachment_id}" => api::attachments::download,
        GET "/api/v1/advances" => api::settlements::advances,
        POST "/api/v1/advances/{id}/payment" => api::settlements::pay_advance,
        GET "/api/v1/settlements" => api::settlements::list,
        POST "/api/v1/settlements" => api::settlements::run,
        POST "/api/v1/settlements/preview" => api::settlements::preview,
        GET "/api/v1/settlements/{id}/remittance" => api::settlements::remittance,
        GET "/api/v1/reports/deductions" => api::reports::deductions,
        GET "/api/v1/reports/turnaround" => api::reports::turnaround,
        GET "/api/v1/reports/budget" => api::reports::budget,
        GET "/api/v1/reports/provider-quality" => api::reports::provider_quality,
        GET "/api/v1/reports/work-accidents" => api::reports::work_accidents,
        GET "/api/v1/payment-orders" => api::settlements::list_orders,
        POST "/api/v1/payment-orders" => api::settlements::issue_order,
        GET "/api/v1/payment-orders/{id}" => api::settlements::get_order,
        POST "/api/v1/payment-orders/{id}/paid" => api::settlements::pay_order,
        GET "/api/v1/reconciliation" => api::settlements::reconcile,
        POST "/api/v1/claim-batches" => api::batches::create,
        GET "/api/v1/claim-batches/{id}" => api::batches::get,
        GET "/api/v1/insured" => api::insured::list,
        POST "/api/v1/insured" => api::insured::create,
        POST "/api/v1/insured/import" => api::insured::import,
        GET "/api/v1/insured/{national_code}" => api::insured::get,
        PUT "/api/v1/insured/{national_code}" => api::insured::replace,
        GET "/api/v1/insured/{national_code}/eligibility" => api::insured::eligibility,
    ]
}

/// Registers the routes, one resource per path so that a wrong method is a 405, not a 404.
fn configure(cfg: &mut web::ServiceConfig) {
    let defs = routes();
    let mut paths: Vec<&'static str> = Vec::new();
    for d in &defs {
        if !paths.contains(&d.path) {
            paths.push(d.path);
        }
    }
    for path in paths {
        let mut resource = web::resource(path);
        let mut allowed: Vec<String> = Vec::new();
        for d in defs.iter().filter(|d| d.path == path) {
            resource = resource.route((d.route)());
            allowed.push(d.method.to_string());
        }
        let allowed = allowed.join(", ");
        cfg.service(resource.default_service(web::to(move || {
            let allowed = allowed.clone();
            async move { Err::<actix_web::HttpResponse, _>(AppError::MethodNotAllowed(allowed)) }
        })));
    }
}

async fn route_not_found(req: actix_web::HttpRequest) -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound(format!("no route {} {}", req.method(), req.path())))
}

/// The application with all middleware, routes and extractor error handlers.
pub fn build_app(
    state: web::Data<ServiceContext>,
    metrics: web::Data<Metrics>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    // Raw bodies are read up to the JSON limit; uploads have their own (see `api::body_guard`).
    let body_limit = state.config.max_json_bytes;
    App::new()
        .app_data(state)
        .app_data(metrics)
        .app_data(web::PayloadConfig::new(body_limit))
        .app_data(web::QueryConfig::default().error_handler(|e, _| {
            AppError::bad_request("invalid_query", format!("invalid query string: {e}")).into()
        }))
        .app_data(web::PathConfig::default().error_handler(|e, _| {
            AppError::bad_request("invalid_path", format!("invalid path parameter: {e}")).into()
        }))
        .app_data(web::JsonConfig::default().error_handler(|e, _| {
            AppError::bad_request("malformed_json", format!("the body is not valid JSON: {e}")).into()
        }))
        .configure(configure)
        .configure(crate::console::configure)
        .default_service(web::to(route_not_found))
        .wrap(from_fn(crate::api::body_guard::guard_body))
        .wrap(from_fn(observe))
}

/// A bound, ready-to-run server.
pub struct Application {
    server: Server,
    port: u16,
    pub state: web::Data<ServiceContext>,
}

impl Application {
    /// Connects to the database (applying migrations) and binds `config.bind`.
    pub fn build(config: Config) -> Result<Self, String> {
        let database = DatabaseUrl::parse(&config.database_url)?;
        let pool = crate::db::connect_and_migrate(
            &database,
            &PoolOptions { max_size: config.db_pool_size, connection_timeout: config.db_timeout },
        )?;
        Self::with_pool(config, database, pool)
    }

    /// Binds a server on an existing pool (tests reuse one pool for setup and the server).
    /// Opens the audit key (creating it if missing) and writes a checkpoint of the audit chain.
    pub fn with_pool(config: Config, database: DatabaseUrl, pool: DbPool) -> Result<Self, String> {
        let config = Arc::new(config);
        let (book, audit_key, audit_checkpoints) = {
            let mut conn = pool.get().map_err(|e| format!("cannot reach the database: {e}"))?;
            let book = crate::services::tariffs::load_book(&mut conn)
                .map_err(|e| format!("cannot load tariffs: {e}"))?;
            let key = crate::services::audit::open_key(&config, &mut conn)?;
            let checkpoints = crate::services::audit::Checkpointer::open(&config, key.clone())?;
            checkpoints.checkpoint(&mut conn)?;
            (book, key, Arc::new(checkpoints))
        };
        // Caches that keep copies of data, and the commit hooks that keep them true.
        let provider_facts = Arc::new(crate::services::provider_facts::ProviderFactsCache::default());
        let hooks: Arc<Vec<crate::db::writer::CommitHook>> = Arc::new(vec![{
            let facts = provider_facts.clone();
            Arc::new(move |changed: crate::store::changes::Changes| {
                if changed.provider_facts {
                    facts.invalidate();
                }
            })
        }]);
        // Both backends write through the group-committing writer threads (`db::group_commit`).
        let group_commit = Some(crate::db::group_commit::GroupCommit::start(
            database.clone(),
            audit_key.clone(),
            hooks.clone(),
            config.db_writers,
        )?);
        let writer = crate::db::Writer::new(pool.clone(), audit_key.clone(), group_commit, hooks);
        let state = web::Data::new(ServiceContext {
            pool,
            database,
            writer,
            clock: crate::clock::Clock::new(config.fixed_today),
            config: config.clone(),
            tariffs: RwLock::new(Arc::new(book)),
            tariffs_generation: Default::default(),
            batch_notify: crate::services::batches::notifier(),
            auth_cache: Default::default(),
            provider_facts,
            audit_key,
            audit_checkpoints,
        });
        crate::services::audit::spawn_checkpoints(state.clone().into_inner());
        crate::services::tariffs::spawn_refresh(state.clone().into_inner());
        if config.batch_worker {
            crate::services::batches::spawn_worker(state.clone().into_inner());
        }
        if config.mail_worker {
            crate::notify::spawn_worker(state.clone())?;
        }
        let metrics = web::Data::new(Metrics::default());
        let listener = std::net::TcpListener::bind(&config.bind)
            .map_err(|e| format!("cannot bind {}: {e}", config.bind))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let server_state = state.clone();
        let server = HttpServer::new(move || build_app(server_state.clone(), metrics.clone()))
            .workers(config.workers)
            .listen(listener)
            .map_err(|e| format!("cannot listen: {e}"))?
            .run();
        Ok(Self { server, port, state })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped, then writes a last checkpoint of the audit chain.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        let checkpoints = self.state.audit_checkpoints.clone();
        let written = self.state.db(move |conn| Ok(checkpoints.checkpoint(conn))).await;
        if let Err(e) = written.map_err(|e| e.to_string()).and_then(|r| r) {
            tracing::error!(target: "asnad::audit", error = %e, "last audit checkpoint failed");
        }
        served
    }
}
