//! asnad (اسناد) — claims adjudication for the indirect-treatment department (درمان غیرمستقیم)
//! of Iran's Social Security Organization (تامین اجتماعی).
//!
//! Functional core (`domain`), imperative shell (`api`, `services`, `store`, `db`). Data flows
//! one way: HTTP → `api` → `services` (transaction) → `store` → `domain` → `store` → `api`.

pub mod api;
pub mod app;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod console;
pub mod context;
pub mod db;
pub mod demo;
pub mod documents;
pub mod domain;
pub mod error;
pub mod input;
pub mod notify;
pub mod services;
pub mod store;
pub mod telemetry;
