//! Every console route's authorization, from one table: signed out, a page is the login page
//! (and a form is refused); signed in without the CSRF token, every form is 403 and changes
//! nothing; a role the page is not for gets 403 or 404, never the page. A test also fails when
//! `src/console/mod.rs` gains a route this table does not list.

use asnad::auth::Role;

use crate::helpers::{Scope, TestApp, PASSWORD};
use crate::support::{document, pended_claim, scene, Browser};

/// An id that names nothing (a well-formed UUIDv7).
const NO_ID: &str = "01000000-0000-7000-8000-000000000000";

/// The routes behind a session: (method, path). `{id}` and `{attachment_id}` are filled in.
const PROTECTED: &[(&str, &str)] = &[
    ("GET", "/console/queue"),
    ("GET", "/console/queue.csv"),
    ("GET", "/console/claims/{id}"),
    ("POST", "/console/claims/{id}/take"),
    ("POST", "/console/claims/{id}/release"),
    ("POST", "/console/claims/{id}/preview"),
    ("POST", "/console/claims/{id}/decision"),
    ("GET", "/console/claims/{id}/files/{attachment_id}"),
    ("POST", "/console/claims/{id}/assign"),
    ("GET", "/console/preauthorizations"),
    ("GET", "/console/preauthorizations.csv"),
    ("GET", "/console/preauthorizations/{id}"),
    ("POST", "/console/preauthorizations/{id}/decision"),
    ("GET", "/console/preauthorizations/{id}/files/{attachment_id}"),
    ("GET", "/console/objections"),
    ("GET", "/console/objections.csv"),
    ("GET", "/console/objections/{id}"),
    ("POST", "/console/objections/{id}/decision"),
    ("GET", "/console/objections/{id}/files/{attachment_id}"),
    ("GET", "/console/approvals"),
    ("GET", "/console/approvals/{id}"),
    ("POST", "/console/approvals/{id}/approve"),
    ("POST", "/console/approvals/{id}/return"),
    ("GET", "/console/samples"),
    ("POST", "/console/samples"),
    ("GET", "/console/samples/{id}"),
    ("POST", "/console/samples/{id}/extrapolate"),
    ("POST", "/console/samples/{id}/close"),
    ("GET", "/console/backlog"),
    ("GET", "/console/reimbursements"),
    ("POST", "/console/reimbursements"),
    ("GET", "/console/reimbursements/new"),
    ("GET", "/console/reimbursements/{id}"),
    ("POST", "/console/reimbursements/{id}/files"),
    ("GET", "/console/reimbursements/{id}/files/{attachment_id}"),
    ("POST", "/console/reimbursements/{id}/submit"),
    ("POST", "/console/reimbursements/{id}/decision"),
    ("POST", "/console/reimbursements/{id}/approval"),
    // Finance (console::finance).
    ("GET", "/console/finance/advances"),
    ("POST", "/console/finance/advances/{id}/payment"),
    ("GET", "/console/finance/runs"),
    ("POST", "/console/finance/runs"),
    ("GET", "/console/finance/settlements"),
    ("GET", "/console/finance/settlements/{id}"),
    ("GET", "/console/finance/settlements/{id}/remittance.csv"),
    ("GET", "/console/finance/orders"),
    ("POST", "/console/finance/orders"),
    ("GET", "/console/finance/orders/{id}"),
    ("GET", "/console/finance/orders/{id}/bank-file.csv"),
    ("POST", "/console/finance/orders/{id}/paid"),
    ("GET", "/console/finance/overdue"),
    ("GET", "/console/finance/reconciliation"),
    // Administration (tests/console/admin.rs checks each role and the CSRF of each form).
    ("GET", "/console/admin/offices"),
    ("POST", "/console/admin/offices"),
    ("GET", "/console/admin/offices/{id}"),
    ("POST", "/console/admin/offices/{id}"),
    ("GET", "/console/admin/providers"),
    ("POST", "/console/admin/providers"),
    ("GET", "/console/admin/providers/new"),
    ("GET", "/console/admin/providers/{id}"),
    ("POST", "/console/admin/providers/{id}"),
    ("POST", "/console/admin/providers/{id}/deactivate"),
    ("GET", "/console/admin/providers/{id}/contracts/new"),
    ("POST", "/console/admin/providers/{id}/contracts"),
    ("GET", "/console/admin/contracts/{id}"),
    ("POST", "/console/admin/contracts/{id}/amendments"),
    ("POST", "/console/admin/contracts/{id}/status"),
    ("GET", "/console/admin/users"),
    ("POST", "/console/admin/users"),
    ("GET", "/console/admin/users/{id}"),
    ("POST", "/console/admin/users/{id}"),
    ("POST", "/console/admin/users/{id}/password"),
    ("GET", "/console/admin/api-keys"),
    ("POST", "/console/admin/api-keys"),
    ("POST", "/console/admin/api-keys/{id}/revoke"),
    ("GET", "/console/admin/tariffs"),
    ("POST", "/console/admin/tariffs/import"),
    ("GET", "/console/admin/audit"),
    // Approved budgets (console::admin_budgets; tests/console/admin_budgets.rs checks each role).
    ("GET", "/console/admin/budgets"),
    ("POST", "/console/admin/budgets"),
    ("POST", "/console/admin/budgets/import"),
    ("GET", "/console/admin/budgets/{id}"),
    ("POST", "/console/admin/budgets/{id}"),
    // The reports dashboards (console::reports): every staff role at its level.
    ("GET", "/console/reports"),
    ("GET", "/console/reports/deductions.csv"),
    ("GET", "/console/reports/turnaround.csv"),
    ("GET", "/console/reports/budget.csv"),
    ("GET", "/console/reports/provider-quality.csv"),
    ("GET", "/console/reports/work-accidents.csv"),
    // The insured person's portal (console::me).
    ("GET", "/console/me/claims"),
    ("GET", "/console/me/claims/{id}"),
    ("POST", "/console/me/claims/{id}/not-received"),
    ("POST", "/console/claims/{id}/not-received/resolve"),
    // The insured person's reimbursements (console::me_reimbursements).
    ("GET", "/console/me/reimbursements"),
    ("POST", "/console/me/reimbursements"),
    ("GET", "/console/me/reimbursements/new"),
    ("GET", "/console/me/reimbursements/{id}"),
    ("POST", "/console/me/reimbursements/{id}/files"),
    ("GET", "/console/me/reimbursements/{id}/files/{attachment_id}"),
    ("POST", "/console/me/reimbursements/{id}/submit"),
    // The provider's portal (tests/console/provider.rs has its own role and scope checks).
    ("GET", "/console/provider/remittances"),
    ("GET", "/console/provider/remittances/{id}"),
    ("GET", "/console/provider/remittances/{id}/csv"),
    ("GET", "/console/provider/deductions"),
    ("GET", "/console/provider/claims/{id}"),
    ("POST", "/console/provider/claims/{id}/objections"),
    ("GET", "/console/provider/objections"),
    ("POST", "/console/provider/objections/{id}/files"),
    ("GET", "/console/provider/objections/{id}/files/{attachment_id}"),
    ("GET", "/console/provider/preauthorizations"),
    ("POST", "/console/provider/preauthorizations"),
    ("GET", "/console/provider/preauthorizations/new"),
    ("GET", "/console/provider/preauthorizations/{id}"),
    ("GET", "/console/provider/preauthorizations/{id}/files/{attachment_id}"),
    ("GET", "/console/provider/batches"),
    ("POST", "/console/provider/batches"),
    ("GET", "/console/provider/batches/{id}"),
    ("GET", "/console/provider/batches/{id}/progress"),
];

/// Routes every signed-in person may use (their home, their password, signing out).
const ANY_SIGNED_IN: &[(&str, &str)] = &[
    ("GET", "/console/"),
    ("GET", "/console/password"),
    ("POST", "/console/password"),
    ("POST", "/console/logout"),
];

/// Routes before signing in, and the static files.
const PUBLIC: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/console"),
    ("GET", "/console/static/{file}"),
    ("HEAD", "/console/static/{file}"),
    ("GET", "/console/login"),
    ("POST", "/console/login"),
];

fn fill(path: &str, id: &str) -> String {
    path.replace("{id}", id).replace("{attachment_id}", NO_ID)
}

#[test]
fn the_table_lists_every_console_route() {
    let source = include_str!("../../src/console/mod.rs");
    let mut routes = Vec::new();
    for part in source.split(".route(\"").skip(1) {
        let path = &part[..part.find('"').unwrap()];
        let method = part.split("web::").nth(1).unwrap().split("()").next().unwrap().to_uppercase();
        if path != "/console/{rest:.*}" {
            routes.push((method, path.to_string()));
        }
    }
    assert!(routes.len() > 40, "routes read from mod.rs: {routes:?}");
    for (method, path) in &routes {
        let listed =
            PROTECTED.iter().chain(ANY_SIGNED_IN).chain(PUBLIC).any(|(m, p)| m == method && p == path);
        assert!(
            listed,
            "{method} {path} is not in the authorization table of tests/console/authorization.rs"
        );
    }
}

#[test]
fn every_protected_route_refuses_the_signed_out_the_wrong_role_and_a_form_without_csrf() {
    let app = TestApp::spawn();
    let s = scene(&app);
    // A real claim of the office, so that a refusal is about the caller, not a missing record.
    let claim =
        pended_claim(&app, &s.hospitals[0], &document("SP-1403-4417", &s.insured, "1403-07-13", 1_890_000));
    app.create_user("fatemeh", Role::Finance, Scope::default());
    app.create_user("sara", Role::Supervisor, Scope::office(&s.office.id));
    app.create_user("dr-moein", Role::MedicalAdvisor, Scope::default());
    let _ = PASSWORD;

    // Signed out: a page sends to the login page and back; a form is refused.
    let anonymous = Browser::new(&app);
    for (method, path) in PROTECTED {
        let url = fill(path, &claim);
        let page = if *method == "GET" { anonymous.get(&url) } else { anonymous.post(&url, &[]) };
        match *method {
            "GET" => {
                assert_eq!(page.status, 303, "{method} {url} signed out");
                assert!(
                    page.location().starts_with("/console/login"),
                    "{method} {url} → {}",
                    page.location()
                );
            }
            _ => assert!(
                page.status == 403 || (page.status == 303 && page.location().starts_with("/console/login")),
                "{method} {url} signed out: {}",
                page.status
            ),
        }
    }

    // Signed in, every form without the CSRF token: 403, whoever sends it.
    for user in ["ana", "sara", "dr-moein", "fatemeh"] {
        let b = Browser::signed_in(&app, user);
        for (method, path) in PROTECTED.iter().chain(ANY_SIGNED_IN).filter(|(m, _)| *m == "POST") {
            let url = fill(path, &claim);
            // The upload is a multipart form (its token is a part of it); the others are forms.
            let page = match *path {
                "/console/reimbursements/{id}/files" => {
                    crate::reimbursements::upload(&b, &claim, "invoice", crate::support::SCAN_PNG, None)
                }
                "/console/me/reimbursements/{id}/files" => crate::reimbursements::upload_to(
                    &b,
                    &url,
                    "photo",
                    "invoice",
                    crate::support::SCAN_PNG,
                    "scan.png",
                    None,
                ),
                "/console/admin/tariffs/import" => {
                    crate::admin::import(&b, &[("meta.toml", String::new())], None)
                }
                "/console/admin/budgets/import" => {
                    crate::provider::multipart(&b, &url, &[("note", "x")], None)
                }
                p if crate::provider::MULTIPART_ROUTES.contains(&p) => {
                    crate::provider::multipart(&b, &url, &[("note", "x")], None)
                }
                _ => b.post(&url, &[("note", "x")]),
            };
            assert_eq!(page.status, 403, "{user}: {method} {url} without CSRF:\n{}", page.body);
        }
    }
    // …and nothing changed: the claim is still pended and held by no one.
    let admin = app.login("root", PASSWORD);
    let c: serde_json::Value = app.get(&format!("/api/v1/claims/{claim}"), Some(&admin)).json().unwrap();
    assert_eq!(c["status"], "pended");

    // Finance has no review-office screen but the claim page: 403 or 404 on every other one
    // (its own screens aside); with a valid token, every form is refused the same way.
    let finance = Browser::signed_in(&app, "fatemeh");
    let csrf = finance.get("/console/password").csrf();
    // The reports are finance's too (tests/console/reports.rs).
    let finance_own = |p: &str| p.starts_with("/console/finance/") || p.starts_with("/console/reports");
    for (method, path) in PROTECTED.iter().filter(|(_, p)| !finance_own(p)) {
        let url = fill(path, &claim);
        let page = match (*method, *path) {
            ("GET", _) => finance.get(&url),
            (_, "/console/reimbursements/{id}/files") => crate::reimbursements::upload(
                &finance,
                &claim,
                "invoice",
                crate::support::SCAN_PNG,
                Some(&csrf),
            ),
            (_, "/console/admin/tariffs/import") => {
                crate::admin::import(&finance, &[("meta.toml", String::new())], Some(&csrf))
            }
            (_, "/console/admin/budgets/import") => {
                crate::provider::multipart(&finance, &url, &[("csrf", &csrf)], None)
            }
            (_, "/console/me/reimbursements/{id}/files") => crate::reimbursements::upload_to(
                &finance,
                &url,
                "photo",
                "invoice",
                crate::support::SCAN_PNG,
                "scan.png",
                Some(&csrf),
            ),
            (_, p) if crate::provider::MULTIPART_ROUTES.contains(&p) => {
                crate::provider::multipart(&finance, &url, &[("csrf", &csrf)], None)
            }
            _ => finance.post(&url, &[("csrf", &csrf)]),
        };
        if *path == "/console/claims/{id}" {
            // Finance reads claims in the API too (settlements are made of them): the page,
            // read-only — no take, no decision form.
            assert_eq!(page.status, 200, "finance reads the claim");
            assert!(
                !page.body.contains("/take\"") && !page.body.contains("/decision\""),
                "finance: read-only"
            );
            continue;
        }
        assert!(page.status == 403 || page.status == 404, "finance: {method} {url} answered {}", page.status);
        assert!(!page.body.contains("SP-1403-4417"), "finance: {method} {url} shows the claim");
    }
    // A medical advisor has no reviewer's screen, and a reviewer no advisor's.
    let advisor = Browser::signed_in(&app, "dr-moein");
    for url in [
        "/console/queue",
        "/console/objections",
        "/console/reimbursements",
        "/console/approvals",
        "/console/me/claims",
    ] {
        let page = advisor.get(url);
        assert!(page.status == 403 || page.status == 404, "advisor: {url} answered {}", page.status);
    }
    for url in ["/console/reports", "/console/reports/deductions.csv", "/console/reports/budget.csv"] {
        assert_eq!(advisor.get(url).status, 403, "advisor: {url}");
    }
    let reviewer = Browser::signed_in(&app, "ana");
    for url in [
        "/console/preauthorizations",
        "/console/approvals",
        "/console/samples",
        "/console/backlog",
        "/console/me/claims",
        &format!("/console/me/claims/{claim}"),
        "/console/me/reimbursements",
        "/console/me/reimbursements/new",
    ] {
        let page = reviewer.get(url);
        assert_eq!(page.status, 403, "reviewer: {url}");
    }
    // Finance's screens are finance's only (the API's `Finances`).
    for user in ["ana", "sara", "dr-moein"] {
        let b = Browser::signed_in(&app, user);
        for (_, path) in PROTECTED.iter().filter(|(m, p)| *m == "GET" && p.starts_with("/console/finance/")) {
            let url = fill(path, &claim);
            assert_eq!(b.get(&url).status, 403, "{user}: {url}");
        }
    }
    let claim_page = reviewer.get(&format!("/console/claims/{claim}"));
    assert_eq!(claim_page.status, 200, "the reviewer of the office opens the claim");
}
