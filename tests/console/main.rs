//! The web console over real HTTP (and, in `browser`, in a real headless Chromium) against the
//! real application on a fresh database per test: SQLite by default, PostgreSQL when
//! `ASNAD_TEST_DATABASE_URL` is set. The API tests' harness and fixtures are shared by path.

#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;

#[allow(dead_code)]
#[path = "../api/fixtures.rs"]
mod fixtures;

mod support;

mod admin;
mod admin_budgets;
mod advisor;
mod authorization;
mod browser;
mod browser_admin;
mod browser_advisor;
mod browser_budgets;
mod browser_charts;
mod browser_finance;
mod browser_me;
mod browser_me_reimbursement;
mod browser_provider;
mod browser_reimbursement;
mod browser_reports;
mod browser_supervisor;
mod browser_support;
mod claims;
mod finance;
mod me;
mod me_reimbursements;
mod provider;
mod queue;
mod reimbursements;
mod reports;
mod review;
mod sessions;
mod supervision;
