//! Provider contracts (قرارداد): the life cycle, the terms, and which version applies on a date.
//!
//! Life cycle: draft → active → suspended ↔ active → terminated; a contract whose `valid_to`
//! has passed is expired on that date whatever its state. Suspension and termination carry a
//! reason and a date. Terms change by amendment: a new version with its effective date; the
//! history is kept, and a claim is judged by the version in force on its service date.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::pricing::ItemType;
use crate::domain::tariff::{Sector, ServiceCategory};

/// The stored state of a contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContractStatus {
    Draft,
    Active,
    Suspended,
    Terminated,
}

impl ContractStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ContractStatus::Draft => "draft",
            ContractStatus::Active => "active",
            ContractStatus::Suspended => "suspended",
            ContractStatus::Terminated => "terminated",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Draft, Self::Active, Self::Suspended, Self::Terminated].into_iter().find(|x| x.as_str() == s)
    }
}

/// What is done to a contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContractAction {
    Activate,
    Suspend,
    Reinstate,
    Terminate,
}

impl ContractAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ContractAction::Activate => "activate",
            ContractAction::Suspend => "suspend",
            ContractAction::Reinstate => "reinstate",
            ContractAction::Terminate => "terminate",
        }
    }
}

/// Why a contract is suspended or terminated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusReason {
    /// At the provider's request.
    ProviderRequest,
    /// Repeated violations (تخلفات مکرر).
    RepeatedViolations,
    /// Fraud: benefits obtained with false documents (Art. 97 of the Social Security Law).
    FraudArt97,
    /// The provider's licence (پروانه) was revoked.
    LicenceRevoked,
    /// Not renewed at the end of its term.
    NonRenewal,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("a {0} contract cannot be {1}")]
    NotAllowed(&'static str, &'static str),
    #[error("{0} needs a reason")]
    ReasonRequired(&'static str),
    #[error("the date must fall within the contract's validity ({0} to {1})")]
    DateOutsideValidity(NaiveDate, NaiveDate),
    #[error("the date must not be before the last change of state ({0})")]
    DateBeforeLastChange(NaiveDate),
}

/// The state after `action`, or why not.
pub fn transition(from: ContractStatus, action: ContractAction) -> Result<ContractStatus, TransitionError> {
    use ContractAction::*;
    use ContractStatus::*;
    match (from, action) {
        (Draft, Activate) => Ok(Active),
        (Active, Suspend) => Ok(Suspended),
        (Suspended, Reinstate) => Ok(Active),
        (Active | Suspended, Terminate) => Ok(Terminated),
        (from, action) => Err(TransitionError::NotAllowed(
            from.as_str(),
            match action {
                Activate => "activated",
                Suspend => "suspended",
                Reinstate => "reinstated",
                Terminate => "terminated",
            },
        )),
    }
}

/// A recorded change of state, effective from its date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StatusEvent {
    pub effective_on: NaiveDate,
    pub status: ContractStatus,
    pub reason: Option<StatusReason>,
}

/// The contract's standing on a date, as a claim of that date sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StandingOnDate {
    NotYetValid,
    Draft,
    Active,
    Suspended,
    Terminated,
    Expired,
}

impl StandingOnDate {
    /// Only an active contract lets claims of that date through (else R03).
    pub fn is_active(self) -> bool {
        self == StandingOnDate::Active
    }
}

/// The standing on `date` from the validity window and the state timeline.
pub fn standing_on(
    valid_from: NaiveDate,
    valid_to: NaiveDate,
    events: &[StatusEvent],
    date: NaiveDate,
) -> StandingOnDate {
    if date < valid_from {
        return StandingOnDate::NotYetValid;
    }
    let state =
        events.iter().filter(|e| e.effective_on <= date).max_by_key(|e| e.effective_on).map(|e| e.status);
    match state {
        Some(ContractStatus::Terminated) => StandingOnDate::Terminated,
        _ if date > valid_to => StandingOnDate::Expired,
        None | Some(ContractStatus::Draft) => StandingOnDate::Draft,
        Some(ContractStatus::Active) => StandingOnDate::Active,
        Some(ContractStatus::Suspended) => StandingOnDate::Suspended,
    }
}

/// Checks the date of a state change: inside the validity window and not before the last one.
pub fn check_change_date(
    valid_from: NaiveDate,
    valid_to: NaiveDate,
    events: &[StatusEvent],
    date: NaiveDate,
) -> Result<(), TransitionError> {
    if date < valid_from || date > valid_to {
        return Err(TransitionError::DateOutsideValidity(valid_from, valid_to));
    }
    if let Some(last) = events.iter().map(|e| e.effective_on).max() {
        if date < last {
            return Err(TransitionError::DateBeforeLastChange(last));
        }
    }
    Ok(())
}

fn default_advance_percent() -> Decimal {
    Decimal::from(60)
}
fn default_advance_days() -> u32 {
    14
}
fn default_balance_days() -> u32 {
    90
}
fn default_objection_days() -> u32 {
    10
}
fn default_submission_days() -> u32 {
    // Unsourced for SSO: a supplementary-insurer example allowed 3 months (iran-sso.md §6); we
    // default to the end of the month following the service month, and contracts may say more.
    30
}
fn government() -> Sector {
    Sector::Government
}

/// The terms of one contract version. Defaults are the law's or the Organization's usual values
/// (iran-sso.md §4.2: advance 60–80 % within 2 weeks, balance within 3 months, objections within
/// 10 working days).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractTerms {
    /// The sector whose tariff the Organization pays (government by default).
    #[serde(default = "government")]
    pub tariff_basis: Sector,
    /// May the provider bill the insured the private–government gap?
    #[serde(default)]
    pub may_bill_gap: bool,
    /// Service categories the provider may bill (empty: any).
    #[serde(default)]
    pub scope_categories: Vec<ServiceCategory>,
    /// Item types the provider may bill (empty: any).
    #[serde(default)]
    pub scope_item_types: Vec<ItemType>,
    /// Discount on the tariff, percent (0–100), a decimal written as a string (default `"0"`).
    #[serde(default, deserialize_with = "crate::domain::money::plain_decimal::required")]
    #[schema(schema_with = crate::domain::money::plain_decimal::schema::percent)]
    pub discount_percent: Decimal,
    /// Most the Organization pays in a month, rials (none: no ceiling).
    #[serde(default)]
    #[schema(minimum = 1)]
    pub monthly_ceiling: Option<i64>,
    /// Codes that need pre-authorization under this contract, besides the tariff's own.
    #[serde(default)]
    pub preauth_codes: Vec<String>,
    /// Per-code quantity caps (per claim line), besides the tariff's.
    #[serde(default)]
    pub quantity_caps: BTreeMap<String, u32>,
    /// Days after the end of the service month within which documents must be submitted (default 30).
    #[serde(default = "default_submission_days")]
    #[schema(maximum = 365)]
    pub submission_deadline_days: u32,
    /// Advance (علی‌الحساب) percent of the claimed amount (0–100), a decimal written as a string
    /// (default `"60"`).
    #[serde(
        default = "default_advance_percent",
        deserialize_with = "crate::domain::money::plain_decimal::required"
    )]
    #[schema(schema_with = crate::domain::money::plain_decimal::schema::percent)]
    pub advance_percent: Decimal,
    /// Days after submission the advance falls due (default 14).
    #[serde(default = "default_advance_days")]
    #[schema(maximum = 365)]
    pub advance_days: u32,
    /// Days after settlement the balance falls due (90; the 1402 budget law says 30).
    #[serde(default = "default_balance_days")]
    #[schema(maximum = 365)]
    pub balance_payment_days: u32,
    /// Working days a provider has to object to deductions (1–90, default 10).
    #[serde(default = "default_objection_days")]
    #[schema(minimum = 1, maximum = 90)]
    pub objection_window_working_days: u32,
    /// Yearly late-payment rate, percent (0–100), for damages (Art. 38 of the 1393 law), if
    /// agreed; a decimal written as a string.
    #[serde(default, deserialize_with = "crate::domain::money::plain_decimal::optional")]
    #[schema(schema_with = crate::domain::money::plain_decimal::schema::percent_or_null)]
    pub late_payment_rate_percent: Option<Decimal>,
}

impl Default for ContractTerms {
    fn default() -> Self {
        serde_json::from_str("{}").expect("all terms have defaults")
    }
}

impl ContractTerms {
    /// Checks ranges; returns (field, message) pairs.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut p = Vec::new();
        let pct = |d: Decimal| d >= Decimal::ZERO && d <= Decimal::ONE_HUNDRED;
        if !pct(self.discount_percent) {
            p.push(("discount_percent", "must be between 0 and 100".into()));
        }
        if !pct(self.advance_percent) {
            p.push(("advance_percent", "must be between 0 and 100".into()));
        }
        if self.monthly_ceiling.is_some_and(|c| c <= 0) {
            p.push(("monthly_ceiling", "must be greater than zero".into()));
        }
        if self.late_payment_rate_percent.is_some_and(|r| !pct(r)) {
            p.push(("late_payment_rate_percent", "must be between 0 and 100".into()));
        }
        if self.submission_deadline_days > 365 {
            p.push(("submission_deadline_days", "must be at most 365".into()));
        }
        if self.advance_days > 365 || self.balance_payment_days > 365 {
            p.push(("balance_payment_days", "payment days must be at most 365".into()));
        }
        if self.objection_window_working_days == 0 || self.objection_window_working_days > 90 {
            p.push(("objection_window_working_days", "must be between 1 and 90".into()));
        }
        for code in &self.preauth_codes {
            if code.is_empty() || code.len() > 32 {
                p.push(("preauth_codes", format!("invalid code {code:?}")));
            }
        }
        for (code, cap) in &self.quantity_caps {
            if *cap == 0 || code.is_empty() {
                p.push(("quantity_caps", format!("invalid cap for {code:?}")));
            }
        }
        p
    }
}

/// A version of the terms, effective from its date.
#[derive(Clone, Debug, PartialEq)]
pub struct TermsVersion {
    pub version: i32,
    pub effective_from: NaiveDate,
    pub terms: ContractTerms,
}

/// The version in force on `date`: the latest effective on or before it.
pub fn version_on(versions: &[TermsVersion], date: NaiveDate) -> Option<&TermsVersion> {
    versions.iter().filter(|v| v.effective_from <= date).max_by_key(|v| (v.effective_from, v.version))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ContractAction::*;
    use ContractStatus::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn every_transition() {
        let all_states = [Draft, Active, Suspended, Terminated];
        let all_actions = [Activate, Suspend, Reinstate, Terminate];
        let allowed = [
            (Draft, Activate, Active),
            (Active, Suspend, Suspended),
            (Suspended, Reinstate, Active),
            (Active, Terminate, Terminated),
            (Suspended, Terminate, Terminated),
        ];
        for s in all_states {
            for a in all_actions {
                let expected = allowed.iter().find(|(f, act, _)| *f == s && *act == a).map(|(_, _, to)| *to);
                match (transition(s, a), expected) {
                    (Ok(to), Some(want)) => assert_eq!(to, want, "{s:?} {a:?}"),
                    (Err(_), None) => {}
                    (got, want) => panic!("{s:?} {a:?}: got {got:?}, want {want:?}"),
                }
            }
        }
    }

    #[test]
    fn standing_follows_the_timeline() {
        let events = vec![
            StatusEvent { effective_on: d("2024-03-20"), status: Active, reason: None },
            StatusEvent {
                effective_on: d("2024-06-01"),
                status: Suspended,
                reason: Some(StatusReason::RepeatedViolations),
            },
            StatusEvent { effective_on: d("2024-07-01"), status: Active, reason: None },
        ];
        let (from, to) = (d("2024-03-20"), d("2025-03-20"));
        assert_eq!(standing_on(from, to, &events, d("2024-03-19")), StandingOnDate::NotYetValid);
        assert_eq!(standing_on(from, to, &events, d("2024-03-20")), StandingOnDate::Active);
        assert_eq!(standing_on(from, to, &events, d("2024-05-31")), StandingOnDate::Active);
        assert_eq!(standing_on(from, to, &events, d("2024-06-01")), StandingOnDate::Suspended);
        assert_eq!(standing_on(from, to, &events, d("2024-06-30")), StandingOnDate::Suspended);
        assert_eq!(standing_on(from, to, &events, d("2024-07-01")), StandingOnDate::Active);
        assert_eq!(standing_on(from, to, &events, d("2025-03-20")), StandingOnDate::Active);
        assert_eq!(standing_on(from, to, &events, d("2025-03-21")), StandingOnDate::Expired);
        assert_eq!(standing_on(from, to, &[], d("2024-05-01")), StandingOnDate::Draft);
    }

    #[test]
    fn change_dates_are_checked() {
        let events = vec![StatusEvent { effective_on: d("2024-06-01"), status: Active, reason: None }];
        let (from, to) = (d("2024-03-20"), d("2025-03-20"));
        assert!(check_change_date(from, to, &events, d("2024-06-01")).is_ok());
        assert!(matches!(
            check_change_date(from, to, &events, d("2024-05-31")),
            Err(TransitionError::DateBeforeLastChange(_))
        ));
        assert!(matches!(
            check_change_date(from, to, &events, d("2025-03-21")),
            Err(TransitionError::DateOutsideValidity(..))
        ));
    }

    #[test]
    fn version_in_force_around_amendments() {
        let v = |n, from: &str, discount: i64| TermsVersion {
            version: n,
            effective_from: d(from),
            terms: ContractTerms { discount_percent: Decimal::from(discount), ..ContractTerms::default() },
        };
        let versions = vec![v(1, "2024-03-20", 0), v(2, "2024-09-22", 5), v(3, "2025-01-01", 7)];
        assert!(version_on(&versions, d("2024-03-19")).is_none());
        assert_eq!(version_on(&versions, d("2024-03-20")).unwrap().version, 1);
        assert_eq!(version_on(&versions, d("2024-09-21")).unwrap().version, 1);
        assert_eq!(version_on(&versions, d("2024-09-22")).unwrap().version, 2);
        assert_eq!(version_on(&versions, d("2024-12-31")).unwrap().version, 2);
        assert_eq!(version_on(&versions, d("2025-01-01")).unwrap().version, 3);
    }

    #[test]
    fn default_terms_are_the_usual_ones() {
        let t = ContractTerms::default();
        assert_eq!(t.tariff_basis, Sector::Government);
        assert_eq!((t.advance_percent, t.advance_days, t.balance_payment_days), (Decimal::from(60), 14, 90));
        assert_eq!(t.objection_window_working_days, 10);
        assert!(t.problems().is_empty());
        let bad = ContractTerms { discount_percent: Decimal::from(150), ..t };
        assert_eq!(bad.problems()[0].0, "discount_percent");
    }
}
