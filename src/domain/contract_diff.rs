//! Contract terms for people: the difference between two versions of a contract's terms
//! (مقایسهٔ نسخه‌های قرارداد), field by field, and the Persian names of a contract's states,
//! actions and reasons. Pure: the console's administrator pages print what this returns.

use serde_json::Value;

use crate::domain::contract::{transition, ContractAction, ContractStatus, ContractTerms, StatusReason};
use crate::domain::money::group_thousands;
use crate::domain::pricing::ItemType;
use crate::domain::tariff::{Sector, ServiceCategory};

/// The terms in the order a contract states them, with their Persian labels (بند قرارداد).
pub const TERM_FIELDS: [(&str, &str); 14] = [
    ("tariff_basis", "مبنای تعرفهٔ پرداخت"),
    ("may_bill_gap", "دریافت مابه‌التفاوت از بیمه‌شده"),
    ("scope_categories", "گروه‌های خدمت مجاز"),
    ("scope_item_types", "انواع قلم مجاز"),
    ("discount_percent", "تخفیف بر تعرفه (درصد)"),
    ("monthly_ceiling", "سقف پرداخت ماهانه (ریال)"),
    ("preauth_codes", "کدهای نیازمند تأیید قبلی"),
    ("quantity_caps", "سقف تعداد هر کد در هر ردیف"),
    ("submission_deadline_days", "مهلت ارسال اسناد (روز پس از ماه خدمت)"),
    ("advance_percent", "علی‌الحساب (درصد مبلغ درخواستی)"),
    ("advance_days", "مهلت پرداخت علی‌الحساب (روز)"),
    ("balance_payment_days", "مهلت پرداخت مانده (روز)"),
    ("objection_window_working_days", "مهلت اعتراض (روز کاری)"),
    ("late_payment_rate_percent", "نرخ سالانهٔ خسارت تأخیر (درصد)"),
];

/// One term of two versions side by side: its label, each version's value in words, and
/// whether it changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TermChange {
    pub field: &'static str,
    pub label_fa: &'static str,
    pub before: String,
    pub after: String,
    pub changed: bool,
}

/// Every term of `before` and `after`, in the contract's order, each marked changed or not.
pub fn diff(before: &ContractTerms, after: &ContractTerms) -> Vec<TermChange> {
    let a = serde_json::to_value(before).unwrap_or(Value::Null);
    let b = serde_json::to_value(after).unwrap_or(Value::Null);
    TERM_FIELDS
        .iter()
        .map(|(field, label_fa)| {
            let (x, y) = (a.get(field).unwrap_or(&Value::Null), b.get(field).unwrap_or(&Value::Null));
            TermChange {
                field,
                label_fa,
                before: term_text(field, x),
                after: term_text(field, y),
                changed: !same(x, y),
            }
        })
        .collect()
}

/// Equal values; decimals written differently (`"5"` and `"5.0"`) are equal.
fn same(x: &Value, y: &Value) -> bool {
    match (x, y) {
        (Value::String(a), Value::String(b)) => match (a.parse::<rust_decimal::Decimal>(), b.parse()) {
            (Ok(p), Ok(q)) => p == q,
            _ => a == b,
        },
        _ => x == y,
    }
}

/// A term's value in Persian words: `—` for none, the names of sectors, categories and item
/// types, amounts grouped.
pub fn term_text(field: &str, v: &Value) -> String {
    let list = |items: Vec<String>| if items.is_empty() { "همه".to_string() } else { items.join("، ") };
    match (field, v) {
        (_, Value::Null) => "—".into(),
        (_, Value::Bool(true)) => "بله".into(),
        (_, Value::Bool(false)) => "خیر".into(),
        ("tariff_basis", Value::String(s)) => Sector::parse(s).map(Sector::name_fa).unwrap_or(s).to_string(),
        ("scope_categories", Value::Array(a)) => list(
            a.iter()
                .filter_map(Value::as_str)
                .map(|s| ServiceCategory::parse(s).map(category_fa).unwrap_or(s).to_string())
                .collect(),
        ),
        ("scope_item_types", Value::Array(a)) => list(
            a.iter()
                .filter_map(Value::as_str)
                .map(|s| ItemType::parse(s).map(item_type_fa).unwrap_or(s).to_string())
                .collect(),
        ),
        ("preauth_codes", Value::Array(a)) => {
            if a.is_empty() {
                "—".into()
            } else {
                a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("، ")
            }
        }
        ("quantity_caps", Value::Object(m)) => {
            if m.is_empty() {
                "—".into()
            } else {
                m.iter().map(|(k, n)| format!("{k}: {n}")).collect::<Vec<_>>().join("، ")
            }
        }
        ("monthly_ceiling", Value::Number(n)) => {
            n.as_i64().map(group_thousands).unwrap_or_else(|| n.to_string())
        }
        (_, Value::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

/// A service category (گروه خدمت) in Persian.
pub fn category_fa(c: ServiceCategory) -> &'static str {
    match c {
        ServiceCategory::Visit => "ویزیت",
        ServiceCategory::Lab => "آزمایشگاه",
        ServiceCategory::Pathology => "آسیب‌شناسی",
        ServiceCategory::Imaging => "تصویربرداری",
        ServiceCategory::Surgery => "جراحی",
        ServiceCategory::Procedure => "اقدام درمانی",
        ServiceCategory::Dental => "دندانپزشکی",
        ServiceCategory::Physiotherapy => "فیزیوتراپی",
        ServiceCategory::Rehabilitation => "توانبخشی",
        ServiceCategory::Other => "سایر",
    }
}

/// An item type (نوع قلم) in Persian.
pub fn item_type_fa(t: ItemType) -> &'static str {
    match t {
        ItemType::Service => "خدمت (کتاب ارزش نسبی)",
        ItemType::Visit => "ویزیت",
        ItemType::Drug => "دارو",
        ItemType::BedDay => "تخت‌روز",
        ItemType::Device => "پروتز و اروتز",
    }
}

/// A contract's stored state (وضعیت قرارداد) in Persian.
pub fn status_fa(s: ContractStatus) -> &'static str {
    match s {
        ContractStatus::Draft => "پیش‌نویس",
        ContractStatus::Active => "فعال",
        ContractStatus::Suspended => "معلق",
        ContractStatus::Terminated => "فسخ‌شده",
    }
}

/// What is done to a contract, in Persian.
pub fn action_fa(a: ContractAction) -> &'static str {
    match a {
        ContractAction::Activate => "فعال‌سازی",
        ContractAction::Suspend => "تعلیق",
        ContractAction::Reinstate => "رفع تعلیق",
        ContractAction::Terminate => "فسخ",
    }
}

pub const ACTIONS: [ContractAction; 4] =
    [ContractAction::Activate, ContractAction::Suspend, ContractAction::Reinstate, ContractAction::Terminate];

pub const REASONS: [StatusReason; 5] = [
    StatusReason::ProviderRequest,
    StatusReason::RepeatedViolations,
    StatusReason::FraudArt97,
    StatusReason::LicenceRevoked,
    StatusReason::NonRenewal,
];

/// Why a contract is suspended or terminated, in Persian.
pub fn reason_fa(r: StatusReason) -> &'static str {
    match r {
        StatusReason::ProviderRequest => "درخواست مرکز",
        StatusReason::RepeatedViolations => "تخلفات مکرر",
        StatusReason::FraudArt97 => "تقلب (مادهٔ 97 قانون تأمین اجتماعی)",
        StatusReason::LicenceRevoked => "لغو پروانهٔ مرکز",
        StatusReason::NonRenewal => "عدم تمدید",
    }
}

/// The API's spelling of a reason (`provider_request`…).
pub fn reason_str(r: StatusReason) -> &'static str {
    match r {
        StatusReason::ProviderRequest => "provider_request",
        StatusReason::RepeatedViolations => "repeated_violations",
        StatusReason::FraudArt97 => "fraud_art97",
        StatusReason::LicenceRevoked => "licence_revoked",
        StatusReason::NonRenewal => "non_renewal",
    }
}

/// The actions the life cycle allows from `status` (`transition`'s table), in order.
pub fn allowed_actions(status: ContractStatus) -> Vec<ContractAction> {
    ACTIONS.into_iter().filter(|a| transition(status, *a).is_ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    #[test]
    fn the_diff_marks_exactly_the_changed_terms_with_both_values() {
        let v1 = ContractTerms::default();
        let v2 = ContractTerms {
            discount_percent: Decimal::from(5),
            monthly_ceiling: Some(2_500_000_000),
            may_bill_gap: true,
            ..v1.clone()
        };
        let d = diff(&v1, &v2);
        assert_eq!(d.len(), TERM_FIELDS.len());
        let changed: Vec<_> = d.iter().filter(|c| c.changed).map(|c| c.field).collect();
        assert_eq!(changed, ["may_bill_gap", "discount_percent", "monthly_ceiling"]);
        let ceiling = d.iter().find(|c| c.field == "monthly_ceiling").unwrap();
        assert_eq!((ceiling.before.as_str(), ceiling.after.as_str()), ("—", "2,500,000,000"));
        let gap = d.iter().find(|c| c.field == "may_bill_gap").unwrap();
        assert_eq!((gap.before.as_str(), gap.after.as_str()), ("خیر", "بله"));
        let basis = d.iter().find(|c| c.field == "tariff_basis").unwrap();
        assert_eq!((basis.after.as_str(), basis.changed), ("دولتی", false));
        assert!(diff(&v2, &v2).iter().all(|c| !c.changed));
    }

    #[test]
    fn the_actions_offered_follow_the_life_cycle() {
        assert_eq!(allowed_actions(ContractStatus::Draft), [ContractAction::Activate]);
        assert_eq!(
            allowed_actions(ContractStatus::Active),
            [ContractAction::Suspend, ContractAction::Terminate]
        );
        assert_eq!(
            allowed_actions(ContractStatus::Suspended),
            [ContractAction::Reinstate, ContractAction::Terminate]
        );
        assert!(allowed_actions(ContractStatus::Terminated).is_empty());
    }
}
