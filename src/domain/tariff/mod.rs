//! The approved tariff of one Jalali year and revision (تعرفه مصوب): its rows (services, visits,
//! bed-days, drugs, devices, cost-sharing rules), the rial coefficients, and the book of every
//! imported revision that picks the one in force on a service date. Reading and validating the
//! files of `tariffs/<year>/` is `parse`; the contract of those files is `tariffs/README.md`.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::domain::jalali::JalaliDate;

mod parse;

pub use parse::{content_hash, parse_tariff, ImportError, FILES};
// Other modules' tests read the shipped year folders through `tariff::tests::repo_year`.
#[cfg(test)]
pub(crate) use parse::tests;

/// Tariff sectors (بخش): the Organization pays on its contract's basis (government by default);
/// a provider may charge up to its own sector's tariff.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sector {
    /// دولتی
    Government,
    /// خصوصی
    Private,
    /// عمومی غیردولتی
    PublicNonGovernmental,
    /// خیریه
    Charity,
}

impl Sector {
    pub const ALL: [Sector; 4] =
        [Sector::Government, Sector::Private, Sector::PublicNonGovernmental, Sector::Charity];

    pub fn index(self) -> usize {
        self as usize
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Sector::Government => "government",
            Sector::Private => "private",
            Sector::PublicNonGovernmental => "public_non_governmental",
            Sector::Charity => "charity",
        }
    }
    pub fn parse(s: &str) -> Option<Sector> {
        Sector::ALL.into_iter().find(|x| x.as_str() == s)
    }
    /// The sector in Persian, for the console.
    pub fn name_fa(self) -> &'static str {
        match self {
            Sector::Government => "دولتی",
            Sector::Private => "خصوصی",
            Sector::PublicNonGovernmental => "عمومی غیردولتی",
            Sector::Charity => "خیریه",
        }
    }
}

/// Components of an RVU price (اجزای ارزش نسبی).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Component {
    Professional,
    Technical,
    Anesthesia,
    DentalConsumables,
}

impl Component {
    pub const ALL: [Component; 4] =
        [Component::Professional, Component::Technical, Component::Anesthesia, Component::DentalConsumables];
    pub fn as_str(self) -> &'static str {
        match self {
            Component::Professional => "professional",
            Component::Technical => "technical",
            Component::Anesthesia => "anesthesia",
            Component::DentalConsumables => "dental_consumables",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TariffStatus {
    /// Approved by the cabinet and published.
    Official,
    /// Not official values: for development, tests and demonstration. Responses say so.
    Sample,
}

impl TariffStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TariffStatus::Official => "official",
            TariffStatus::Sample => "sample",
        }
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TariffMeta {
    pub year: i32,
    pub revision: i32,
    /// Jalali date, `1403-01-01`.
    #[schema(value_type = String, pattern = r"^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub effective_from: JalaliDateSer,
    pub cabinet_resolution: String,
    pub status: TariffStatus,
    pub note: String,
}

/// A Jalali date that serializes as `"1403-01-01"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JalaliDateSer(pub JalaliDate);

impl Serialize for JalaliDateSer {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceCategory {
    Visit,
    Lab,
    Pathology,
    Imaging,
    Surgery,
    Procedure,
    Dental,
    Physiotherapy,
    Rehabilitation,
    Other,
}

impl ServiceCategory {
    pub const ALL: [ServiceCategory; 10] = [
        ServiceCategory::Visit,
        ServiceCategory::Lab,
        ServiceCategory::Pathology,
        ServiceCategory::Imaging,
        ServiceCategory::Surgery,
        ServiceCategory::Procedure,
        ServiceCategory::Dental,
        ServiceCategory::Physiotherapy,
        ServiceCategory::Rehabilitation,
        ServiceCategory::Other,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceCategory::Visit => "visit",
            ServiceCategory::Lab => "lab",
            ServiceCategory::Pathology => "pathology",
            ServiceCategory::Imaging => "imaging",
            ServiceCategory::Surgery => "surgery",
            ServiceCategory::Procedure => "procedure",
            ServiceCategory::Dental => "dental",
            ServiceCategory::Physiotherapy => "physiotherapy",
            ServiceCategory::Rehabilitation => "rehabilitation",
            ServiceCategory::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// The sex a service is restricted to: `M` or `F`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[schema(as = TariffSex)]
pub enum Sex {
    #[serde(rename = "M")]
    Male,
    #[serde(rename = "F")]
    Female,
}

/// A global (bundled, گلوبال) code's price in each sector, whole rials. Every sector has its own
/// bundle (`tariffs/README.md`, "Global codes"): a global code is priced on the bundle of the
/// sector, never on its units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct GlobalPrices {
    pub government: i64,
    pub private: i64,
    pub public_non_governmental: i64,
    pub charity: i64,
}

impl GlobalPrices {
    pub fn get(&self, sector: Sector) -> i64 {
        match sector {
            Sector::Government => self.government,
            Sector::Private => self.private,
            Sector::PublicNonGovernmental => self.public_non_governmental,
            Sector::Charity => self.charity,
        }
    }
}

/// One row of the RVU book (کتاب ارزش نسبی).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ServiceTariff {
    /// The 6-digit RVU code.
    #[schema(pattern = r"^[0-9]{6}$")]
    pub code: String,
    /// «ویژگی کد» as printed in the book: empty, `#` or `*`.
    #[schema(pattern = r"^[#*]?$")]
    pub flag: String,
    pub description_fa: String,
    pub category: ServiceCategory,
    /// Decimal, at most 2 places.
    #[schema(pattern = r"^[0-9]+(\.[0-9]{1,2})?$")]
    pub professional_units: Decimal,
    /// Decimal, at most 2 places.
    #[schema(pattern = r"^[0-9]+(\.[0-9]{1,2})?$")]
    pub technical_units: Decimal,
    /// Decimal, at most 2 places.
    #[schema(pattern = r"^[0-9]+(\.[0-9]{1,2})?$")]
    pub anesthesia_base_units: Decimal,
    /// The bundled (گلوبال) government price, when the code is global (`global_prices.government`).
    pub global_price: Option<i64>,
    /// The bundled price of every sector, when the code is global.
    pub global_prices: Option<GlobalPrices>,
    pub not_covered: bool,
    pub needs_medical_record: bool,
    pub sex: Option<Sex>,
    pub min_age: Option<u32>,
    pub max_age: Option<u32>,
    pub max_per_day: Option<u32>,
    pub min_interval_days: Option<u32>,
    pub requires_preauth: bool,
}

/// An outpatient visit fee (حق ویزیت) per sector.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct VisitFee {
    pub code: String,
    pub degree: String,
    pub full_time: bool,
    pub description_fa: String,
    #[serde(skip)]
    pub fees: [i64; 4],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoomType {
    Bed1,
    Bed2,
    Bed3plus,
    Icu,
    Ccu,
    PostCcu,
    Nicu,
    Newborn,
    Companion,
    DayCare,
}

impl RoomType {
    pub const ALL: [RoomType; 10] = [
        RoomType::Bed1,
        RoomType::Bed2,
        RoomType::Bed3plus,
        RoomType::Icu,
        RoomType::Ccu,
        RoomType::PostCcu,
        RoomType::Nicu,
        RoomType::Newborn,
        RoomType::Companion,
        RoomType::DayCare,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            RoomType::Bed1 => "bed_1",
            RoomType::Bed2 => "bed_2",
            RoomType::Bed3plus => "bed_3plus",
            RoomType::Icu => "icu",
            RoomType::Ccu => "ccu",
            RoomType::PostCcu => "post_ccu",
            RoomType::Nicu => "nicu",
            RoomType::Newborn => "newborn",
            RoomType::Companion => "companion",
            RoomType::DayCare => "day_care",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A bed-day fee (هتلینگ) per sector, for one room type and hospital grade.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct BedDayFee {
    pub room_type: RoomType,
    pub grade: u8,
    pub description_fa: String,
    #[serde(skip)]
    pub fees: [i64; 4],
}

/// A drug of the Organization's list (فهرست تعهدات دارویی).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DrugTariff {
    /// The 5-digit generic code.
    #[schema(pattern = r"^[0-9]{5}$")]
    pub generic_code: String,
    /// The 16-digit IRC (pharmacies bill brands by it).
    #[schema(pattern = r"^[0-9]{16}$")]
    pub irc: String,
    pub name: String,
    pub form: String,
    pub unit_price: i64,
    pub covered: bool,
    pub otc: bool,
    /// The Organization's share of the government price, percent, replacing the franchise;
    /// null: the default cost sharing.
    #[schema(minimum = 1, maximum = 100)]
    pub insurer_share_percent: Option<u8>,
    pub max_per_prescription: u32,
}

/// A prosthesis or orthosis item (وسایل کمک پزشکی).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DeviceTariff {
    /// `D` and 3 digits.
    #[schema(pattern = r"^D[0-9]{3}$")]
    pub code: String,
    pub name_fa: String,
    pub name_en: String,
    #[schema(
        pattern = "^(glasses|hearing_aid|denture|wheelchair|orthosis|prosthesis|mobility|respiratory|other)$"
    )]
    pub group: String,
    /// Rials.
    pub amount: i64,
    pub renewal_months: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    Franchise,
    Exemption,
}

/// The care setting a cost-sharing rule applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SettingScope {
    Inpatient,
    Outpatient,
    EmergencyUnder6h,
    LimitedSurgery,
    Any,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SectorScope {
    Any,
    Government,
    SsoOwned,
}

/// A predicate of a cost-sharing rule (the closed list of `tariffs/README.md`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Condition {
    AgeGte(u32),
    AgeLt(u32),
    SpecialDisease,
    NotInsuranceType(String),
    NotSupplementary,
}

/// A franchise rule or an exemption (فرانشیز و معافیت).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CostShareRule {
    pub id: String,
    pub kind: RuleKind,
    pub setting: SettingScope,
    pub sector_scope: SectorScope,
    pub conditions: Vec<Condition>,
    /// The insured's share, percent of the government tariff.
    pub percent: Decimal,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    pub description_fa: String,
    pub source: String,
}

/// One year's tariff at one revision.
#[derive(Clone, Debug)]
pub struct Tariff {
    pub meta: TariffMeta,
    /// 1 Farvardin of the year, or the revision's own effective date, in Gregorian.
    pub effective_from: NaiveDate,
    /// SHA-256 of the files, to recognise a re-import of the same data.
    pub content_hash: String,
    pub services: HashMap<String, ServiceTariff>,
    /// `coefficients[sector][component]`: rials per unit (ضریب ریالی K).
    pub coefficients: [[i64; 4]; 4],
    pub visits: HashMap<String, VisitFee>,
    pub hotelling: HashMap<(RoomType, u8), BedDayFee>,
    pub drugs: HashMap<String, DrugTariff>,
    /// IRC → generic code: pharmacies bill brands by IRC.
    pub drug_by_irc: HashMap<String, String>,
    pub devices: HashMap<String, DeviceTariff>,
    pub cost_sharing: Vec<CostShareRule>,
}

impl Tariff {
    pub fn k(&self, sector: Sector, component: Component) -> i64 {
        self.coefficients[sector.index()][component as usize]
    }

    /// A drug by generic code or IRC.
    pub fn drug(&self, code: &str) -> Option<&DrugTariff> {
        self.drugs.get(code).or_else(|| self.drug_by_irc.get(code).and_then(|g| self.drugs.get(g)))
    }
}

/// Every imported tariff revision, to pick the one in force on a service date.
#[derive(Clone, Debug, Default)]
pub struct TariffBook {
    /// Jalali year → revisions, ascending by revision number.
    years: std::collections::BTreeMap<i32, Vec<std::sync::Arc<Tariff>>>,
}

impl TariffBook {
    pub fn new(tariffs: Vec<Tariff>) -> Self {
        let mut book = TariffBook::default();
        for t in tariffs {
            book.years.entry(t.meta.year).or_default().push(std::sync::Arc::new(t));
        }
        for revs in book.years.values_mut() {
            revs.sort_by_key(|t| t.meta.revision);
        }
        book
    }

    /// The tariff in force on `date`: of the Jalali year of the date, the highest revision
    /// already effective. If that year's tariff has not taken effect yet (a resolution dated
    /// after 1 Farvardin), the previous year's tariff still applies. Every revision's
    /// `effective_from` lies in its own year (the importer checks it), so this is the
    /// highest (year, revision) already effective — no calendar conversion on the hot path.
    pub fn for_date(&self, date: NaiveDate) -> Option<&std::sync::Arc<Tariff>> {
        self.years.values().rev().find_map(|revs| revs.iter().rev().find(|t| t.effective_from <= date))
    }

    /// The latest revision of a year.
    pub fn year(&self, year: i32) -> Option<&std::sync::Arc<Tariff>> {
        self.years.get(&year).and_then(|r| r.last())
    }

    /// A specific revision (claims keep the revision they were priced with).
    pub fn revision(&self, year: i32, revision: i32) -> Option<&std::sync::Arc<Tariff>> {
        self.years.get(&year).and_then(|r| r.iter().find(|t| t.meta.revision == revision))
    }

    pub fn all(&self) -> impl Iterator<Item = &std::sync::Arc<Tariff>> {
        self.years.values().flatten()
    }
}
