//! Use cases. Each owns its transaction: load context through `store`, decide (in `domain`
//! where there is a rule to apply), persist through `store`.

pub mod attachments;
pub mod audit;
pub mod auth;
pub mod batches;
pub mod budgets;
pub mod claim_document;
pub mod claims;
pub mod health;
pub mod insured;
pub mod offices;
pub mod portal;
pub mod preauth;
pub mod provider_facts;
pub mod provider_portal;
pub mod providers;
pub mod reimbursements;
pub mod report_quality;
pub mod reports;
pub mod review;
pub mod sampling;
pub mod settlements;
pub mod supervision;
pub mod tariffs;
pub mod users;
