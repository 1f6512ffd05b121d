//! The deduction and rejection reason catalogue (کسورات و علل عدم پرداخت): the codes, who bears
//! each amount and the Persian and English texts (sources of the rules: `docs/DOMAIN.md`). Codes
//! are stable API: never renumber.

use serde::Serialize;

/// Who bears an amount, in the manner of X12 claim-adjustment group codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub enum Group {
    /// Provider write-off: the contracted provider may not charge the insured.
    #[serde(rename = "CO")]
    ProviderWriteOff,
    /// The insured's responsibility.
    #[serde(rename = "PR")]
    InsuredResponsibility,
    /// The whole document is rejected until corrected and resent.
    #[serde(rename = "RJ")]
    Rejected,
}

impl Group {
    /// The X12-style code: `CO`, `PR` or `RJ`.
    pub fn code(self) -> &'static str {
        match self {
            Group::ProviderWriteOff => "CO",
            Group::InsuredResponsibility => "PR",
            Group::Rejected => "RJ",
        }
    }

    /// Who bears the amount, in Persian, for remittances and explanations.
    pub fn bearer_fa(self) -> &'static str {
        match self {
            Group::ProviderWriteOff => "به عهدهٔ ارائه‌دهنده",
            Group::InsuredResponsibility => "به عهدهٔ بیمه‌شده",
            Group::Rejected => "رد سند",
        }
    }

    /// Who bears the amount, in English, for explanations: the same words as `bearer_fa`.
    pub fn bearer_en(self) -> &'static str {
        match self {
            Group::ProviderWriteOff => "written off by the provider",
            Group::InsuredResponsibility => "payable by the insured",
            Group::Rejected => "document rejected",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
pub enum Reason {
    R01,
    R02,
    R03,
    R04,
    R05,
    R06,
    R07,
    R08,
    R09,
    R10,
    R11,
    R12,
    R13,
    R14,
    R15,
    R16,
    R17,
    R18,
    R19,
    R20,
    R21,
    R22,
    R90,
    R91,
    R92,
    R93,
}

impl Reason {
    pub const ALL: [Reason; 26] = [
        Reason::R01,
        Reason::R02,
        Reason::R03,
        Reason::R04,
        Reason::R05,
        Reason::R06,
        Reason::R07,
        Reason::R08,
        Reason::R09,
        Reason::R10,
        Reason::R11,
        Reason::R12,
        Reason::R13,
        Reason::R14,
        Reason::R15,
        Reason::R16,
        Reason::R17,
        Reason::R18,
        Reason::R19,
        Reason::R20,
        Reason::R21,
        Reason::R22,
        Reason::R90,
        Reason::R91,
        Reason::R92,
        Reason::R93,
    ];

    pub fn code(self) -> &'static str {
        self.info().0
    }
    pub fn group(self) -> Group {
        self.info().1
    }
    pub fn message_fa(self) -> &'static str {
        self.info().2
    }
    pub fn message_en(self) -> &'static str {
        self.info().3
    }
    pub fn parse(code: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.code() == code)
    }

    fn info(self) -> (&'static str, Group, &'static str, &'static str) {
        use Group::*;
        match self {
            Reason::R01 => ("R01", Rejected, "بیمه‌شده یافت نشد", "insured person not found"),
            Reason::R02 => {
                ("R02", Rejected, "فاقد استحقاق درمان در تاریخ خدمت", "not eligible on the service date")
            }
            Reason::R03 => (
                "R03",
                Rejected,
                "مرکز در تاریخ خدمت قرارداد فعال ندارد",
                "no active contract on the service date",
            ),
            Reason::R04 => (
                "R04",
                ProviderWriteOff,
                "خدمت در موضوع قرارداد نیست",
                "service outside the contract's scope",
            ),
            Reason::R05 => (
                "R05",
                ProviderWriteOff,
                "کد در تعرفه سال خدمت وجود ندارد",
                "code not in the tariff of the service year",
            ),
            Reason::R06 => ("R06", InsuredResponsibility, "خدمت یا دارو فاقد پوشش بیمه‌ای است", "not covered"),
            Reason::R07 => (
                "R07",
                ProviderWriteOff,
                "اضافه درخواست نسبت به تعرفه مصوب",
                "billed above the approved tariff",
            ),
            Reason::R08 => ("R08", ProviderWriteOff, "سند یا خدمت تکراری", "duplicate"),
            Reason::R09 => ("R09", ProviderWriteOff, "تعداد بیش از حد مجاز", "quantity above the limit"),
            Reason::R10 => ("R10", ProviderWriteOff, "تکرار خدمت زودتر از فاصله مجاز", "repeated too soon"),
            Reason::R11 => {
                ("R11", ProviderWriteOff, "مغایرت سن یا جنس با خدمت", "age or sex does not match the service")
            }
            Reason::R12 => {
                ("R12", ProviderWriteOff, "فاقد تأیید قبلی پزشک معتمد", "pre-authorization missing")
            }
            Reason::R13 => ("R13", ProviderWriteOff, "نسخه منقضی شده است", "prescription expired"),
            Reason::R14 => {
                ("R14", ProviderWriteOff, "ارسال اسناد خارج از مهلت", "submitted after the deadline")
            }
            Reason::R15 => ("R15", ProviderWriteOff, "نقص مدارک", "missing documents"),
            Reason::R16 => (
                "R16",
                ProviderWriteOff,
                "ویزیت مکرر یک پزشک در یک روز",
                "second visit by the same physician the same day",
            ),
            Reason::R17 => {
                ("R17", ProviderWriteOff, "خدمات غیرقابل جمع", "services that may not be billed together")
            }
            Reason::R18 => (
                "R18",
                InsuredResponsibility,
                "داروی بدون نسخه فقط برای زیر ۱۲ سال یا بستری",
                "OTC drug covered only under 12 or inpatient",
            ),
            Reason::R19 => {
                ("R19", ProviderWriteOff, "سقف ماهانه قرارداد", "contract's monthly ceiling reached")
            }
            Reason::R20 => (
                "R20",
                InsuredResponsibility,
                "اتاق یک یا دو تخته بدون دستور پزشک",
                "private room without a medical order",
            ),
            Reason::R21 => (
                "R21",
                ProviderWriteOff,
                "تاریخ خدمت خارج از دوره بستری",
                "service date outside the admission",
            ),
            Reason::R22 => (
                "R22",
                ProviderWriteOff,
                "قیمت واحد مغایر با تعرفه",
                "unit price inconsistent with the tariff",
            ),
            Reason::R90 => ("R90", ProviderWriteOff, "کسر توسط کارشناس رسیدگی", "reduced by the reviewer"),
            Reason::R91 => {
                ("R91", ProviderWriteOff, "عدم تأیید پزشک معتمد", "not approved by the medical advisor")
            }
            Reason::R92 => (
                "R92",
                ProviderWriteOff,
                "کسر بر اساس نمونه‌گیری",
                "deduction extrapolated from a sample review",
            ),
            // Not found by the engine: an insured person reported, from their portal, that they
            // never received the service (issue 18). It puts the claim in the office's queue
            // without deciding it; a reviewer who confirms it deducts with this code, which the
            // provider bears (it billed a service it did not give).
            Reason::R93 => (
                "R93",
                ProviderWriteOff,
                "خدمت به اظهار بیمه‌شده دریافت نشده است",
                "service not received, as reported by the insured",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        for r in Reason::ALL {
            assert_eq!(Reason::parse(r.code()), Some(r));
            assert!(!r.message_fa().is_empty() && !r.message_en().is_empty());
        }
        assert_eq!(Reason::R06.group(), Group::InsuredResponsibility);
        assert_eq!(serde_json::to_string(&Group::ProviderWriteOff).unwrap(), "\"CO\"");
    }
}
