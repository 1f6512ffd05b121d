//! The API contract, generated from the handlers' `#[utoipa::path]` annotations and the request
//! and response types' `ToSchema` derives. `openapi.yaml` in the repository is this document;
//! `tests/api/openapi.rs` regenerates it and fails on any difference, so the file can never drift
//! from the code (`cargo run -- openapi > openapi.yaml` writes it anew).
//!
//! Each annotation names what is particular to its route — success answers, request body,
//! parameters, conflicts. The answers every route shares are added here once, by
//! [`CommonResponses`], from what the operation is: authenticated → 401 and 403; a body → 400,
//! 408, 413, 415 and 422; path parameters → 400 and 404; query parameters → 400 and 422; everything that
//! reads the database → 503.

use std::sync::OnceLock;

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::{Modify, OpenApi};

use crate::api;
use crate::api::problem::Problem;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "asnad — claims adjudication API",
        description = "Claims adjudication for the indirect-treatment department (درمان غیرمستقیم) of Iran's \
Social Security Organization (تامین اجتماعی).\n\n\
Conventions: JSON bodies; amounts are integers in rials; errors are RFC 9457 \
`application/problem+json` with a stable `code`; lists take `?limit=&cursor=` and answer \
`{ \"items\": [...], \"next_cursor\": ... }`. Authenticate with `Authorization: Bearer <token>` \
(a login token from `POST /api/v1/auth/token`, or a provider system's API key).",
        license(name = "MIT OR Apache-2.0"),
    ),
    servers((url = "http://127.0.0.1:8080")),
    security(("bearer" = [])),
    components(schemas(Problem)),
    tags(
        (name = "operations", description = "Probes, metrics and this document."),
        (name = "auth", description = "Logging in and out, the caller, passwords."),
        (name = "users", description = "User accounts (administrators)."),
        (name = "api-keys", description = "Provider systems' API keys."),
        (name = "offices", description = "Provinces and review offices."),
        (name = "budgets", description = "Approved annual budgets of offices and provinces, by benefit."),
        (name = "tariffs", description = "Approved tariffs by Jalali year, and price quotes."),
        (name = "providers", description = "Contracted providers and their contracts."),
        (name = "insured", description = "Insured persons and their eligibility."),
        (name = "claims", description = "Documents sent by providers, their decisions and explanations."),
        (name = "me", description = "An insured person's own portal: the claims billed in their and their dependants' names, and reporting a service as not received."),
        (name = "review", description = "The review office: queue, decisions, four eyes, samples, objections."),
        (name = "preauthorization", description = "Pre-authorization requests and decisions."),
        (name = "reimbursement", description = "Insured persons' reimbursement of non-contracted care."),
        (name = "attachments", description = "Scanned documents attached to claims, objections, requests."),
        (name = "payment", description = "Advances, settlements, remittances, payment orders."),
        (name = "audit", description = "The tamper-evident audit trail."),
        (name = "reports", description = "Reports for offices, provinces and headquarters (JSON or CSV)."),
    )
)]
pub struct ApiDoc;

/// The whole contract: the document's head above, each resource module's `Api` (its handlers,
/// in the order they are listed there), then the shared answers.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for part in [
        api::health::Api::openapi(),
        api::auth::Api::openapi(),
        api::users::Api::openapi(),
        api::api_keys::Api::openapi(),
        api::offices::Api::openapi(),
        api::budgets::Api::openapi(),
        api::tariffs::Api::openapi(),
        api::pricing::Api::openapi(),
        api::providers::Api::openapi(),
        api::insured::Api::openapi(),
        api::claims::Api::openapi(),
        api::me::Api::openapi(),
        api::batches::Api::openapi(),
        api::review::Api::openapi(),
        api::attachments::Api::openapi(),
        api::preauth::Api::openapi(),
        api::reimbursements::Api::openapi(),
        api::settlements::Api::openapi(),
        api::reports::Api::openapi(),
    ] {
        doc.merge(part);
    }
    CommonResponses.modify(&mut doc);
    doc
}

/// The contract as YAML, generated once per process.
pub fn yaml() -> &'static str {
    static YAML: OnceLock<String> = OnceLock::new();
    YAML.get_or_init(|| document().to_yaml().expect("the OpenAPI document serializes"))
}

/// Adds the security scheme and the answers every route shares (see the module doc).
struct CommonResponses;

/// (status, component name, description) of the shared error answers.
const SHARED: &[(&str, &str, &str)] = &[
    ("400", "BadRequest", "The request could not be read (malformed JSON, bad query string)."),
    ("401", "Unauthenticated", "Missing, unknown, expired or revoked credentials, or wrong username/password."),
    ("403", "Forbidden", "The caller's role may not do this (or a one-time password must be changed first)."),
    ("404", "NotFound", "No such resource, or it belongs to another tenant."),
    ("408", "RequestTimeout", "The body stopped arriving (ASNAD_BODY_TIMEOUT_SECONDS)."),
    ("409", "Conflict", "Conflicts with the current state."),
    ("413", "PayloadTooLarge", "The body is larger than the limit."),
    ("415", "UnsupportedMediaType", "The body's media type is not accepted: JSON bodies must be `application/json`; an upload must be a PDF, JPEG, PNG or TIFF."),
    ("422", "ValidationFailed", "Readable but invalid; `errors` names every bad field."),
    ("429", "TooManyRequests", "Locked after repeated failures; see `Retry-After`."),
    ("503", "Unavailable", "The database is unreachable."),
];

/// Routes that never touch the database, so never answer 503.
const NO_DATABASE: &[&str] = &["/healthz", "/metrics", "/openapi.yaml"];

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.security_schemes.insert(
            "bearer".into(),
            RefOr::T(SecurityScheme::Http({
                let mut http = Http::new(HttpAuthScheme::Bearer);
                http.description =
                    Some("A login token (`at_…`) or a provider system's API key (`ak_…`).".into());
                http
            })),
        );
        for (_, name, description) in SHARED {
            let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build();
            let response =
                ResponseBuilder::new().description(*description).content("application/problem+json", content);
            components.responses.insert((*name).to_string(), RefOr::T(response.build()));
        }
        let mut ids = std::collections::BTreeSet::new();
        for (path, item) in openapi.paths.paths.iter_mut() {
            let database = !NO_DATABASE.contains(&path.as_str());
            for op in [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch]
                .into_iter()
                .flatten()
            {
                add_shared(op, database);
                // Handler names repeat across modules (`list`, `get`): the id is `<tag>_<handler>`.
                let tag = op.tags.as_ref().and_then(|t| t.first()).expect("every operation has a tag");
                let id =
                    format!("{}_{}", tag.replace('-', "_"), op.operation_id.as_deref().unwrap_or_default());
                assert!(ids.insert(id.clone()), "operationId {id} is not unique");
                op.operation_id = Some(id);
            }
        }
    }
}

fn add_shared(op: &mut Operation, database: bool) {
    // An operation without its own `security` inherits the document's bearer requirement.
    let authenticated = op.security.is_none();
    let params = op.parameters.as_deref().unwrap_or_default();
    let has = |place: ParameterIn| {
        params.iter().any(|p| matches!(p, RefOr::T(p) if std::mem::discriminant(&p.parameter_in) == std::mem::discriminant(&place)))
    };
    let (path_params, query_params) = (has(ParameterIn::Path), has(ParameterIn::Query));
    let body = op.request_body.is_some();
    let mut wanted: Vec<&str> = Vec::new();
    if authenticated {
        wanted.extend(["401", "403"]);
    }
    if body {
        wanted.extend(["400", "408", "413", "415", "422"]);
    }
    if query_params {
        wanted.extend(["400", "422"]);
    }
    if path_params {
        // A path parameter of the wrong type (`/tariffs/abc/...`) is a 400; an unknown id a 404.
        wanted.extend(["400", "404"]);
    }
    if database {
        wanted.push("503");
    }
    for status in wanted {
        if op.responses.responses.contains_key(status) {
            continue;
        }
        let name = SHARED.iter().find(|(s, ..)| *s == status).map(|(_, n, _)| *n).expect("a shared status");
        op.responses.responses.insert(status.to_string(), RefOr::Ref(Ref::from_response_name(name)));
    }
}

/// The shared answers an annotation names itself (those the modifier cannot tell from the
/// operation's shape): `responses((status = 409, response = Conflict))`. Their components are
/// written by [`CommonResponses`] under the same names.
pub mod responses {
    use utoipa::ToResponse;

    use super::Problem;

    /// 404 where the route has no path parameter (a filter naming another tenant's record).
    #[derive(ToResponse)]
    #[allow(dead_code)]
    pub struct NotFound(Problem);

    /// 422 on a route without a body or query (a path parameter or the record's state is checked).
    #[derive(ToResponse)]
    #[allow(dead_code)]
    pub struct ValidationFailed(Problem);

    /// 409: conflicts with the current state.
    #[derive(ToResponse)]
    #[allow(dead_code)]
    pub struct Conflict(Problem);

    /// 429: locked after repeated failures.
    #[derive(ToResponse)]
    #[allow(dead_code)]
    pub struct TooManyRequests(Problem);

    /// 401 on a route that needs no token (wrong username or password).
    #[derive(ToResponse)]
    #[allow(dead_code)]
    pub struct Unauthenticated(Problem);
}

/// Shared parameters, used by the annotations.
pub mod params {
    use serde::Deserialize;
    use utoipa::IntoParams;

    /// `{id}` of a resource.
    #[derive(Deserialize, IntoParams, utoipa::ToSchema)]
    #[into_params(parameter_in = Path)]
    #[allow(dead_code)]
    pub struct Id {
        /// The resource's id.
        pub id: String,
    }
}
