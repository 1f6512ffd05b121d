//! Eligibility for treatment (استحقاق درمان) on a date.
//!
//! A main insured person is eligible while one of their coverage periods contains the date. A
//! dependant (Art. 58 of the Social Security Law) is eligible while the main insured is, and
//! while the dependant rule for their relation holds. Sources disagree on sons' age limits
//! (iran-sso.md §5.1), so those limits are settings, not constants.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::domain::tariff::{Condition, CostShareRule, RuleKind, SectorScope, SettingScope};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InsuranceType {
    /// اجباری — wage earners.
    Mandatory,
    /// اختیاری
    Voluntary,
    /// مشاغل آزاد
    SelfEmployed,
    /// مستمری‌بگیر
    Pensioner,
    /// مقرری‌بگیر بیمه بیکاری
    Unemployment,
}

impl InsuranceType {
    pub const ALL: [InsuranceType; 5] = [
        InsuranceType::Mandatory,
        InsuranceType::Voluntary,
        InsuranceType::SelfEmployed,
        InsuranceType::Pensioner,
        InsuranceType::Unemployment,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            InsuranceType::Mandatory => "mandatory",
            InsuranceType::Voluntary => "voluntary",
            InsuranceType::SelfEmployed => "self_employed",
            InsuranceType::Pensioner => "pensioner",
            InsuranceType::Unemployment => "unemployment",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    Spouse,
    Child,
    Parent,
}

/// A coverage period, `to` inclusive; open-ended when `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Coverage {
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
}

impl Coverage {
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.from <= date && self.to.is_none_or(|t| date <= t)
    }
}

/// The facts about a person the rules need.
#[derive(Clone, Debug)]
pub struct Person {
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub insurance_type: InsuranceType,
    pub special_disease: bool,
    pub supplementary: bool,
    pub coverage: Vec<Coverage>,
    pub dependant: Option<DependantFacts>,
}

/// What makes a dependant eligible (Art. 58).
#[derive(Clone, Debug)]
pub struct DependantFacts {
    pub relation: Relation,
    /// The date a student certificate is valid until.
    pub student_until: Option<NaiveDate>,
    pub disabled: bool,
    pub married: bool,
    pub employed: bool,
}

/// Settings for the dependant rules; the defaults follow Art. 58's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DependantRules {
    /// Sons are covered until this age (Art. 58: under 18). `ASNAD_SON_MAX_AGE`.
    pub son_max_age: u32,
    /// With a valid student certificate, sons are covered up to this age; `None` = as long as
    /// the certificate is valid. `ASNAD_SON_STUDENT_MAX_AGE`.
    pub son_student_max_age: Option<u32>,
    /// A husband is covered from this age, or if disabled (Art. 58). `ASNAD_HUSBAND_MIN_AGE`.
    pub husband_min_age: u32,
    /// Father from 60, mother from 55, or disabled (Art. 58).
    pub father_min_age: u32,
    pub mother_min_age: u32,
}

impl Default for DependantRules {
    fn default() -> Self {
        Self {
            son_max_age: 18,
            son_student_max_age: None,
            husband_min_age: 60,
            father_min_age: 60,
            mother_min_age: 55,
        }
    }
}

/// Whole years of age on `date`.
pub fn age_on(birth: NaiveDate, date: NaiveDate) -> u32 {
    if date < birth {
        return 0;
    }
    let mut years = date.year() - birth.year();
    if (date.month(), date.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years.max(0) as u32
}

/// The answer: eligible or not, and the rule that decided.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Decision {
    pub eligible: bool,
    /// Stable rule id, e.g. `coverage_period`, `dependant_son_age`.
    pub rule: &'static str,
    pub reason_en: String,
    pub reason_fa: &'static str,
    pub source: &'static str,
}

const ART58: &str = "Social Security Law, Art. 58 (dependants); limits configurable";
const ART54: &str = "Social Security Law, Art. 54 (coverage from the start of insurance)";

fn yes(rule: &'static str, reason_en: String, reason_fa: &'static str, source: &'static str) -> Decision {
    Decision { eligible: true, rule, reason_en, reason_fa, source }
}
fn no(rule: &'static str, reason_en: String, reason_fa: &'static str, source: &'static str) -> Decision {
    Decision { eligible: false, rule, reason_en, reason_fa, source }
}

/// Decides eligibility of `person` on `date`. For a dependant, `main` is the main insured (whose
/// coverage the dependant shares).
pub fn decide(person: &Person, main: Option<&Person>, date: NaiveDate, rules: &DependantRules) -> Decision {
    let coverage_owner = match (&person.dependant, main) {
        (Some(_), Some(m)) => m,
        (Some(_), None) => {
            return no(
                "dependant_without_main",
                "the dependant's main insured is unknown".into(),
                "بیمه‌شده اصلی یافت نشد",
                ART58,
            )
        }
        (None, _) => person,
    };
    if !coverage_owner.coverage.iter().any(|c| c.contains(date)) {
        return no(
            "coverage_period",
            format!(
                "no coverage period of the {} contains {date}",
                if person.dependant.is_some() { "main insured" } else { "insured" }
            ),
            "فاقد استحقاق درمان در تاریخ خدمت",
            ART54,
        );
    }
    let Some(dep) = &person.dependant else {
        return yes(
            "coverage_period",
            format!("a coverage period contains {date}"),
            "دارای استحقاق درمان",
            ART54,
        );
    };
    let age = age_on(person.birth_date, date);
    match (dep.relation, person.sex) {
        (Relation::Spouse, Sex::Female) => {
            yes("dependant_wife", "wife of the insured".into(), "همسر بیمه‌شده", ART58)
        }
        (Relation::Spouse, Sex::Male) => {
            if age >= rules.husband_min_age || dep.disabled {
                yes(
                    "dependant_husband",
                    format!("husband aged {age}, or disabled"),
                    "همسر (شوهر) تحت تکفل",
                    ART58,
                )
            } else {
                no(
                    "dependant_husband",
                    format!(
                        "a husband is covered from {} or if disabled; he is {age}",
                        rules.husband_min_age
                    ),
                    "شوهر کمتر از سن مقرر و فاقد از کارافتادگی",
                    ART58,
                )
            }
        }
        (Relation::Child, _) if dep.disabled => {
            yes("dependant_child_disabled", "disabled child, at any age".into(), "فرزند از کارافتاده", ART58)
        }
        (Relation::Child, Sex::Female) => {
            if dep.married || dep.employed {
                no(
                    "dependant_daughter",
                    "a daughter is covered until she marries or is employed".into(),
                    "دختر متأهل یا شاغل",
                    ART58,
                )
            } else {
                yes(
                    "dependant_daughter",
                    "unmarried, not employed daughter".into(),
                    "دختر مجرد و غیرشاغل",
                    ART58,
                )
            }
        }
        (Relation::Child, Sex::Male) => {
            if age < rules.son_max_age {
                return yes(
                    "dependant_son_age",
                    format!("son aged {age}, under {}", rules.son_max_age),
                    "پسر کمتر از سن مقرر",
                    ART58,
                );
            }
            let studying = dep.student_until.is_some_and(|u| date <= u);
            let within = rules.son_student_max_age.is_none_or(|max| age < max);
            if studying && within {
                yes(
                    "dependant_son_student",
                    format!("son aged {age} with a valid student certificate"),
                    "پسر محصل",
                    ART58,
                )
            } else {
                no(
                    "dependant_son_age",
                    format!("son aged {age}: over {} without a valid student certificate", rules.son_max_age),
                    "پسر بیش از سن مقرر و فاقد گواهی تحصیل",
                    ART58,
                )
            }
        }
        (Relation::Parent, sex) => {
            let min = if sex == Sex::Male { rules.father_min_age } else { rules.mother_min_age };
            if age >= min || dep.disabled {
                yes(
                    "dependant_parent",
                    format!("parent aged {age} (from {min}) or disabled"),
                    "پدر یا مادر تحت تکفل",
                    ART58,
                )
            } else {
                no(
                    "dependant_parent",
                    format!(
                        "a {} is covered from {min} or if disabled; aged {age}",
                        if sex == Sex::Male { "father" } else { "mother" }
                    ),
                    "پدر یا مادر کمتر از سن مقرر",
                    ART58,
                )
            }
        }
    }
}

/// Which person-level conditions of a cost-sharing rule hold (the setting and the provider's
/// sector are decided per claim, not here). The insurance type and supplementary flag that
/// count are the main insured's (they describe the insurance, not the patient).
pub fn conditions_hold(
    rule: &CostShareRule,
    person: &Person,
    main: Option<&Person>,
    date: NaiveDate,
) -> bool {
    let policy = main.unwrap_or(person);
    let age = age_on(person.birth_date, date);
    rule.conditions.iter().all(|c| match c {
        Condition::AgeGte(n) => age >= *n,
        Condition::AgeLt(n) => age < *n,
        Condition::SpecialDisease => person.special_disease,
        Condition::NotInsuranceType(t) => policy.insurance_type.as_str() != t,
        Condition::NotSupplementary => !policy.supplementary,
    })
}

/// The exemptions (معافیت از فرانشیز) whose dates and person conditions hold on `date`; the
/// setting and sector they need are returned with them.
pub fn exemptions_on<'a>(
    rules: &'a [CostShareRule],
    person: &Person,
    main: Option<&Person>,
    date: NaiveDate,
) -> Vec<&'a CostShareRule> {
    rules
        .iter()
        .filter(|r| r.kind == RuleKind::Exemption)
        .filter(|r| r.effective_from <= date && r.effective_to.is_none_or(|t| date <= t))
        .filter(|r| conditions_hold(r, person, main, date))
        .collect()
}

/// For display: "any setting" etc.
pub fn scope_text(r: &CostShareRule) -> (String, String) {
    let setting = match r.setting {
        SettingScope::Inpatient => "inpatient",
        SettingScope::Outpatient => "outpatient",
        SettingScope::EmergencyUnder6h => "emergency_under_6h",
        SettingScope::LimitedSurgery => "limited_surgery",
        SettingScope::Any => "any",
    };
    let sector = match r.sector_scope {
        SectorScope::Any => "any",
        SectorScope::Government => "government",
        SectorScope::SsoOwned => "sso_owned",
    };
    (setting.into(), sector.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn main_insured() -> Person {
        Person {
            sex: Sex::Male,
            birth_date: d("1980-01-01"),
            insurance_type: InsuranceType::Mandatory,
            special_disease: false,
            supplementary: false,
            coverage: vec![Coverage { from: d("2020-01-01"), to: Some(d("2024-12-31")) }],
            dependant: None,
        }
    }

    fn dependant(sex: Sex, birth: &str, relation: Relation) -> Person {
        Person {
            sex,
            birth_date: d(birth),
            insurance_type: InsuranceType::Mandatory,
            special_disease: false,
            supplementary: false,
            coverage: vec![],
            dependant: Some(DependantFacts {
                relation,
                student_until: None,
                disabled: false,
                married: false,
                employed: false,
            }),
        }
    }

    #[test]
    fn ages_are_whole_years() {
        assert_eq!(age_on(d("2006-05-10"), d("2024-05-09")), 17);
        assert_eq!(age_on(d("2006-05-10"), d("2024-05-10")), 18);
        assert_eq!(age_on(d("2024-05-10"), d("2024-01-01")), 0);
    }

    #[test]
    fn coverage_boundaries() {
        let m = main_insured();
        let r = DependantRules::default();
        assert!(!decide(&m, None, d("2019-12-31"), &r).eligible);
        assert!(decide(&m, None, d("2020-01-01"), &r).eligible);
        assert!(decide(&m, None, d("2024-12-31"), &r).eligible);
        let after = decide(&m, None, d("2025-01-01"), &r);
        assert!(!after.eligible);
        assert_eq!(after.rule, "coverage_period");
        // A dependant shares the main insured's coverage.
        let wife = dependant(Sex::Female, "1985-01-01", Relation::Spouse);
        assert!(decide(&wife, Some(&m), d("2024-06-01"), &r).eligible);
        assert!(!decide(&wife, Some(&m), d("2025-01-02"), &r).eligible);
    }

    #[test]
    fn sons_by_age_and_study() {
        let m = main_insured();
        let r = DependantRules::default();
        let mut son = dependant(Sex::Male, "2006-05-10", Relation::Child);
        assert!(decide(&son, Some(&m), d("2024-05-09"), &r).eligible, "17 years old");
        let at18 = decide(&son, Some(&m), d("2024-05-10"), &r);
        assert!(!at18.eligible && at18.rule == "dependant_son_age");
        son.dependant.as_mut().unwrap().student_until = Some(d("2024-09-22"));
        assert!(decide(&son, Some(&m), d("2024-09-22"), &r).eligible, "certificate valid");
        assert!(!decide(&son, Some(&m), d("2024-09-23"), &r).eligible, "certificate expired");
        // Configurable: a stricter source caps students at 20.
        let strict = DependantRules { son_student_max_age: Some(18), ..r.clone() };
        assert!(!decide(&son, Some(&m), d("2024-06-01"), &strict).eligible);
        let lenient = DependantRules { son_max_age: 20, ..r };
        son.dependant.as_mut().unwrap().student_until = None;
        assert!(decide(&son, Some(&m), d("2024-06-01"), &lenient).eligible);
    }

    #[test]
    fn daughters_spouses_parents() {
        let m = main_insured();
        let r = DependantRules::default();
        let mut daughter = dependant(Sex::Female, "1995-01-01", Relation::Child);
        assert!(decide(&daughter, Some(&m), d("2024-06-01"), &r).eligible, "unmarried at 29");
        daughter.dependant.as_mut().unwrap().married = true;
        assert!(!decide(&daughter, Some(&m), d("2024-06-01"), &r).eligible);
        daughter.dependant.as_mut().unwrap().disabled = true;
        assert!(decide(&daughter, Some(&m), d("2024-06-01"), &r).eligible, "disabled: any age");

        let husband = dependant(Sex::Male, "1964-06-02", Relation::Spouse);
        assert!(!decide(&husband, Some(&m), d("2024-06-01"), &r).eligible, "59");
        assert!(decide(&husband, Some(&m), d("2024-06-02"), &r).eligible, "60");

        let father = dependant(Sex::Male, "1964-06-02", Relation::Parent);
        assert!(!decide(&father, Some(&m), d("2024-06-01"), &r).eligible);
        assert!(decide(&father, Some(&m), d("2024-06-02"), &r).eligible);
        let mother = dependant(Sex::Female, "1969-06-02", Relation::Parent);
        assert!(!decide(&mother, Some(&m), d("2024-06-01"), &r).eligible, "54");
        assert!(decide(&mother, Some(&m), d("2024-06-02"), &r).eligible, "55");
    }
}
