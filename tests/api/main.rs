//! Integration tests: the real application over real HTTP on a fresh database per test.
//! SQLite (a temp file) by default; PostgreSQL when `ASNAD_TEST_DATABASE_URL` is set to a
//! server URL (each test then creates and drops its own database).

mod fixtures;
mod helpers;

mod attachments;
mod audit;
mod auth;
mod backup;
mod batches;
mod bodies;
mod budgets;
mod claims;
mod demo;
mod errors;
mod health;
mod insured;
mod mail;
mod me;
mod migrations;
mod offices;
mod openapi;
mod preauth;
mod providers;
mod reimbursements;
mod report_months;
mod report_objections;
mod reports;
mod review;
mod settlements;
mod tariffs;
mod tenancy;
mod two_processes;
