//! Pure domain logic: no IO, no diesel, no actix. Everything here is a function of its inputs.

pub mod adjudication;
pub mod budget;
pub mod contract;
pub mod contract_diff;
pub mod deductions;
pub mod eligibility;
pub mod ids;
pub mod jalali;
pub mod lifecycle;
pub mod money;
pub mod out_of_pocket;
pub mod pricing;
pub mod provider;
pub mod reasons;
pub mod record_ids;
pub mod reimbursement;
pub mod report;
pub mod review;
pub mod settlement;
pub mod tariff;
pub mod text;
