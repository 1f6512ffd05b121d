//! Kinds of contracted providers (مراکز طرف قرارداد) and what identifies them.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// بیمارستان
    Hospital,
    /// مرکز جراحی محدود (limited/day surgery): no hotelling, 10 % franchise.
    DaySurgery,
    /// درمانگاه تخصصی / پلی‌کلینیک
    Polyclinic,
    /// درمانگاه
    Clinic,
    /// مطب پزشک
    PhysicianOffice,
    /// مطب دندانپزشک
    DentalOffice,
    /// داروخانه
    Pharmacy,
    /// آزمایشگاه
    Laboratory,
    /// مرکز تصویربرداری
    Imaging,
    /// مرکز فیزیوتراپی
    Physiotherapy,
    /// مرکز توانبخشی
    Rehabilitation,
}

impl ProviderKind {
    /// The kind in Persian, for the console (as the doc comments above name them).
    pub fn name_fa(self) -> &'static str {
        match self {
            ProviderKind::Hospital => "بیمارستان",
            ProviderKind::DaySurgery => "مرکز جراحی محدود",
            ProviderKind::Polyclinic => "درمانگاه تخصصی",
            ProviderKind::Clinic => "درمانگاه",
            ProviderKind::PhysicianOffice => "مطب پزشک",
            ProviderKind::DentalOffice => "مطب دندانپزشک",
            ProviderKind::Pharmacy => "داروخانه",
            ProviderKind::Laboratory => "آزمایشگاه",
            ProviderKind::Imaging => "مرکز تصویربرداری",
            ProviderKind::Physiotherapy => "مرکز فیزیوتراپی",
            ProviderKind::Rehabilitation => "مرکز توانبخشی",
        }
    }
    pub const ALL: [ProviderKind; 11] = [
        ProviderKind::Hospital,
        ProviderKind::DaySurgery,
        ProviderKind::Polyclinic,
        ProviderKind::Clinic,
        ProviderKind::PhysicianOffice,
        ProviderKind::DentalOffice,
        ProviderKind::Pharmacy,
        ProviderKind::Laboratory,
        ProviderKind::Imaging,
        ProviderKind::Physiotherapy,
        ProviderKind::Rehabilitation,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Hospital => "hospital",
            ProviderKind::DaySurgery => "day_surgery",
            ProviderKind::Polyclinic => "polyclinic",
            ProviderKind::Clinic => "clinic",
            ProviderKind::PhysicianOffice => "physician_office",
            ProviderKind::DentalOffice => "dental_office",
            ProviderKind::Pharmacy => "pharmacy",
            ProviderKind::Laboratory => "laboratory",
            ProviderKind::Imaging => "imaging",
            ProviderKind::Physiotherapy => "physiotherapy",
            ProviderKind::Rehabilitation => "rehabilitation",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
    /// A physician's or dentist's office is identified by the council number and degree; every
    /// other provider by the legal entity's national id.
    pub fn is_individual(self) -> bool {
        matches!(self, ProviderKind::PhysicianOffice | ProviderKind::DentalOffice)
    }
}

/// Physician degree, as the visit tariff distinguishes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PhysicianDegree {
    General,
    Specialist,
    Subspecialist,
    Psychiatrist,
    PsychiatrySubspecialist,
    Msc,
    Bsc,
}

impl PhysicianDegree {
    pub fn as_str(self) -> &'static str {
        match self {
            PhysicianDegree::General => "general",
            PhysicianDegree::Specialist => "specialist",
            PhysicianDegree::Subspecialist => "subspecialist",
            PhysicianDegree::Psychiatrist => "psychiatrist",
            PhysicianDegree::PsychiatrySubspecialist => "psychiatry_subspecialist",
            PhysicianDegree::Msc => "msc",
            PhysicianDegree::Bsc => "bsc",
        }
    }
}
