//! Record identifiers (شناسهٔ رکورد): one type per entity, so a claim's id cannot be passed where
//! a provider's is expected — the compiler checks what a `String` could not.
//!
//! Every id is a UUIDv7 made by asnad (`new()`): time-ordered, so ordering by id is ordering by
//! creation and the lists' cursors stay simple. An id that arrives from outside (a URL, a JSON
//! body) is taken as it is (`From<String>`): it is only ever looked up, and an unknown one is
//! simply not found — checking its shape would only turn a 404 into a 422.
//!
//! The domain stays free of diesel: the TEXT mapping for both backends lives in
//! `store::text_sql`. Checked identifiers of the outside world (national codes, Sheba numbers)
//! are in `domain::ids`.

use serde::{Deserialize, Serialize};

macro_rules! record_ids {
    ($($(#[$doc:meta])* $name:ident),+ $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A fresh id (UUIDv7).
            #[allow(clippy::new_without_default)] // an id is made, not defaulted
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7().to_string())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    )+};
}

record_ids!(
    /// A review office (دفتر رسیدگی به اسناد پزشکی).
    OfficeId,
    /// A staff or provider user (کاربر).
    UserId,
    /// An API key of a provider's billing system (کلید دسترسی).
    ApiKeyId,
    /// A provider (مؤسسهٔ طرف قرارداد / ارائه‌دهندهٔ خدمت).
    ProviderId,
    /// A contract with a provider (قرارداد).
    ContractId,
    /// An event in a contract's history (رویداد قرارداد).
    ContractEventId,
    /// An insured person (بیمه‌شده), main or dependant.
    InsuredId,
    /// A claim: one document a provider sent (سند پزشکی).
    ClaimId,
    /// A file attached to a claim (پیوست سند).
    AttachmentId,
    /// A file attached to a pre-authorization or a reimbursement (پیوست پرونده).
    CaseAttachmentId,
    /// A monthly list of documents (فهرست ماهانهٔ اسناد).
    BatchId,
    /// A reviewer's decision on a claim (تصمیم کارشناس).
    DecisionId,
    /// A provider's objection to a deduction (اعتراض).
    ObjectionId,
    /// A message waiting to be sent (صف ارسال).
    OutboxId,
    /// A pre-authorization request (تأییدیهٔ قبلی / پیش‌مجوز).
    PreauthId,
    /// A review sample (نمونهٔ رسیدگی).
    SampleId,
    /// An advance on a monthly list (علی‌الحساب).
    AdvanceId,
    /// A provider's monthly settlement (تسویه‌حساب).
    SettlementId,
    /// A payment order to the bank (دستور پرداخت).
    PaymentOrderId,
    /// An insured person's reimbursement request (هزینهٔ غیرمستقیم / بازپرداخت).
    ReimbursementId,
    /// An insured person's report that a billed service was not received (گزارش عدم دریافت خدمت).
    ServiceFlagId,
    /// An approved annual budget (بودجهٔ مصوب سالانه) of an office or a province.
    BudgetId,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_are_time_ordered_and_serialize_as_plain_strings() {
        let a = ClaimId::new();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = ClaimId::new();
        assert!(a < b, "UUIDv7 ids sort by creation");
        assert_eq!(serde_json::to_string(&a).unwrap(), format!("\"{a}\""));
        let back: ClaimId = serde_json::from_str(&format!("\"{b}\"")).unwrap();
        assert_eq!(back, b);
        assert_eq!(b.as_str().len(), 36);
    }

    #[test]
    fn an_outside_id_is_taken_as_it_is() {
        let id = ProviderId::from("not-a-uuid");
        assert_eq!(id, "not-a-uuid");
        assert_eq!(String::from(id), "not-a-uuid");
    }
}
