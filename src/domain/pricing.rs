//! The pricing engine (قیمت‌گذاری): what one claim line is worth on the approved tariff.
//!
//! Pure and allocation-free on the hot path. For each line it returns the tariff amount on the
//! contract's tariff basis (what the Organization's shares are computed on — the government
//! tariff by default) and the cap: the provider's own sector's tariff, the most it may charge
//! (so the private–government gap can be computed later).
//!
//! One rounding per line: the exact unit price (Σ units × K, a decimal) is multiplied by the
//! quantity and rounded once to whole rials, half away from zero. The unit price shown is that
//! exact unit price rounded the same way.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::money::Rial;
use crate::domain::tariff::{Component, RoomType, Sector, Tariff};

/// What a claim line bills (نوع قلم).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ItemType {
    /// An RVU-book service (6-digit code).
    Service,
    /// An outpatient visit (code from visits.csv: `general`, `specialist_ft`, …).
    Visit,
    /// A drug (generic code or IRC).
    Drug,
    /// A bed-day (room type code: `bed_3plus`, `icu`, …) at the provider's grade.
    BedDay,
    /// A prosthesis/orthosis item (`D001`…).
    Device,
}

impl ItemType {
    pub const ALL: [ItemType; 5] =
        [ItemType::Service, ItemType::Visit, ItemType::Drug, ItemType::BedDay, ItemType::Device];

    /// The API's and the database's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemType::Service => "service",
            ItemType::Visit => "visit",
            ItemType::Drug => "drug",
            ItemType::BedDay => "bed_day",
            ItemType::Device => "device",
        }
    }

    pub fn parse(s: &str) -> Option<ItemType> {
        ItemType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// The line to price.
#[derive(Clone, Copy, Debug)]
pub struct LineToPrice<'a> {
    pub item_type: ItemType,
    pub code: &'a str,
    pub quantity: Decimal,
    /// Anaesthesia time and modifier units added to the code's base units (surgery lines).
    pub extra_anesthesia_units: Decimal,
}

/// The provider facts pricing needs.
#[derive(Clone, Copy, Debug)]
pub struct ProviderTerms {
    /// The provider's own sector: its tariff is the cap of what it may charge.
    pub sector: Sector,
    /// Hospital accreditation grade (درجه ارزشیابی) 1–4, for bed-days.
    pub hospital_grade: Option<u8>,
    /// The sector whose tariff the Organization pays on (government unless the contract says).
    pub tariff_basis: Sector,
}

/// How a price was obtained; `describe()` renders it for people.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PriceRule {
    /// Σ units × K of the sector.
    Rvu {
        professional: Decimal,
        technical: Decimal,
        anesthesia: Decimal,
        k: [i64; 3],
    },
    /// A global (bundled) code's fixed price in the sector (its own bundle, never the units).
    Global {
        price: i64,
    },
    Visit,
    BedDay {
        room: RoomType,
        grade: u8,
    },
    Drug {
        unit_price: i64,
    },
    Device {
        amount: i64,
    },
}

impl PriceRule {
    pub fn describe(&self) -> String {
        match self {
            PriceRule::Rvu { professional, technical, anesthesia, k } => {
                format!("rvu: {professional}×{} + {technical}×{} + {anesthesia}×{}", k[0], k[1], k[2])
            }
            PriceRule::Global { price } => format!("global: fixed price {price}"),
            PriceRule::Visit => "visit: flat fee".into(),
            PriceRule::BedDay { room, grade } => format!("bed_day: {} grade {grade}", room.as_str()),
            PriceRule::Drug { unit_price } => format!("drug: unit price {unit_price}"),
            PriceRule::Device { amount } => format!("device: fixed amount {amount}"),
        }
    }
}

/// A priced line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Price {
    /// Unit price on the tariff basis (rounded for display).
    pub unit_price: Rial,
    /// Quantity × exact unit price, rounded once.
    pub amount: Rial,
    /// The same on the provider's own sector: the most it may charge.
    pub cap_unit_price: Rial,
    pub cap_amount: Rial,
    /// The rule applied on the tariff basis.
    pub rule: PriceRule,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    /// Not in the tariff of the service year (reason R05).
    #[error("the code is not in the tariff of the service year")]
    UnknownCode,
    #[error("a bed-day needs the hospital's grade (1–4)")]
    MissingHospitalGrade,
    #[error("quantity must be greater than zero")]
    InvalidQuantity,
    #[error("amount out of range")]
    Overflow,
}

/// Prices one line on `tariff` for a provider with `terms`.
pub fn price_line(
    tariff: &Tariff,
    line: &LineToPrice<'_>,
    terms: &ProviderTerms,
) -> Result<Price, PricingError> {
    if line.quantity <= Decimal::ZERO {
        return Err(PricingError::InvalidQuantity);
    }
    let (basis_unit, rule) = unit_price(tariff, line, terms, terms.tariff_basis)?;
    let (cap_unit, _) = if terms.sector == terms.tariff_basis {
        (basis_unit, rule)
    } else {
        unit_price(tariff, line, terms, terms.sector)?
    };
    let amount = |unit: Decimal| -> Result<Rial, PricingError> {
        Rial::round(unit.checked_mul(line.quantity).ok_or(PricingError::Overflow)?)
            .map_err(|_| PricingError::Overflow)
    };
    let round = |unit: Decimal| Rial::round(unit).map_err(|_| PricingError::Overflow);
    Ok(Price {
        unit_price: round(basis_unit)?,
        amount: amount(basis_unit)?,
        cap_unit_price: round(cap_unit)?,
        cap_amount: amount(cap_unit)?,
        rule,
    })
}

/// The exact (unrounded) unit price in `sector`.
fn unit_price(
    tariff: &Tariff,
    line: &LineToPrice<'_>,
    terms: &ProviderTerms,
    sector: Sector,
) -> Result<(Decimal, PriceRule), PricingError> {
    match line.item_type {
        ItemType::Service => {
            let s = tariff.services.get(line.code).ok_or(PricingError::UnknownCode)?;
            // A global code is priced on the bundle of the sector, in every sector: each sector's
            // global tariff is its own figure (services.csv `global_price*`, tariffs/README.md).
            // Its units are never used.
            if let Some(prices) = s.global_prices {
                let price = prices.get(sector);
                return Ok((Decimal::from(price), PriceRule::Global { price }));
            }
            let k = [
                tariff.k(sector, Component::Professional),
                tariff.k(sector, Component::Technical),
                tariff.k(sector, Component::Anesthesia),
            ];
            let anesthesia = s.anesthesia_base_units + line.extra_anesthesia_units;
            let unit = s.professional_units * Decimal::from(k[0])
                + s.technical_units * Decimal::from(k[1])
                + anesthesia * Decimal::from(k[2]);
            Ok((
                unit,
                PriceRule::Rvu {
                    professional: s.professional_units,
                    technical: s.technical_units,
                    anesthesia,
                    k,
                },
            ))
        }
        ItemType::Visit => {
            let v = tariff.visits.get(line.code).ok_or(PricingError::UnknownCode)?;
            Ok((Decimal::from(v.fees[sector.index()]), PriceRule::Visit))
        }
        ItemType::BedDay => {
            let room = RoomType::parse(line.code).ok_or(PricingError::UnknownCode)?;
            let grade = terms.hospital_grade.ok_or(PricingError::MissingHospitalGrade)?;
            let fee = tariff.hotelling.get(&(room, grade)).ok_or(PricingError::MissingHospitalGrade)?;
            Ok((Decimal::from(fee.fees[sector.index()]), PriceRule::BedDay { room, grade }))
        }
        ItemType::Drug => {
            // Drug prices are national: the same in every sector.
            let d = tariff.drug(line.code).ok_or(PricingError::UnknownCode)?;
            Ok((Decimal::from(d.unit_price), PriceRule::Drug { unit_price: d.unit_price }))
        }
        ItemType::Device => {
            let d = tariff.devices.get(line.code).ok_or(PricingError::UnknownCode)?;
            Ok((Decimal::from(d.amount), PriceRule::Device { amount: d.amount }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tariff::parse_tariff;
    use crate::domain::tariff::tests::repo_year;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;
    use std::sync::OnceLock;

    fn t1403() -> &'static Tariff {
        static T: OnceLock<Tariff> = OnceLock::new();
        T.get_or_init(|| parse_tariff(&repo_year(1403)).expect("1403 parses"))
    }

    fn t1405() -> &'static Tariff {
        static T: OnceLock<Tariff> = OnceLock::new();
        T.get_or_init(|| parse_tariff(&repo_year(1405)).expect("1405 parses"))
    }

    const GOV: ProviderTerms = ProviderTerms {
        sector: Sector::Government,
        hospital_grade: Some(1),
        tariff_basis: Sector::Government,
    };
    const PRIVATE: ProviderTerms =
        ProviderTerms { sector: Sector::Private, hospital_grade: Some(2), tariff_basis: Sector::Government };

    fn line(item_type: ItemType, code: &str, qty: Decimal) -> LineToPrice<'_> {
        LineToPrice { item_type, code, quantity: qty, extra_anesthesia_units: Decimal::ZERO }
    }

    #[test]
    fn rvu_service_hand_computed() {
        // 801175 (HPLC tyrosine), flag #: professional 0.54, technical 1.43 (qavanin.ir 291282).
        // 1403 sample K: government professional 365,400, technical 374,700 rial.
        // 0.54 × 365,400 = 197,316; 1.43 × 374,700 = 535,821; unit = 733,137.
        let p = price_line(t1403(), &line(ItemType::Service, "801175", dec!(1)), &GOV).unwrap();
        assert_eq!(p.unit_price, Rial(733_137));
        assert_eq!(p.amount, Rial(733_137));
        assert_eq!(p.cap_amount, Rial(733_137));
        // Private K: 1,120,100 and 1,148,600 → 0.54×1,120,100 + 1.43×1,148,600 = 604,854 + 1,642,498.
        let p = price_line(t1403(), &line(ItemType::Service, "801175", dec!(2)), &PRIVATE).unwrap();
        assert_eq!(p.amount, Rial(1_466_274));
        assert_eq!(p.cap_unit_price, Rial(2_247_352));
        assert_eq!(p.cap_amount, Rial(4_494_704));
        assert_eq!(p.rule.describe(), "rvu: 0.54×365400 + 1.43×374700 + 0×365400");
    }

    #[test]
    fn anesthesia_units_are_added() {
        let t = t1403();
        let (code, s) = t
            .services
            .iter()
            .find(|(_, s)| s.anesthesia_base_units > Decimal::ZERO && s.global_price.is_none())
            .unwrap();
        let mut l = line(ItemType::Service, code, dec!(1));
        l.extra_anesthesia_units = dec!(4);
        let p = price_line(t, &l, &GOV).unwrap();
        let want = s.professional_units * dec!(365400)
            + s.technical_units * dec!(374700)
            + (s.anesthesia_base_units + dec!(4)) * dec!(365400);
        assert_eq!(p.amount, Rial::round(want).unwrap());
    }

    #[test]
    fn global_code_is_priced_on_the_bundle_of_each_sector() {
        // 428010 (tonsillectomy), global. 1405 sample bundles (services.csv): government
        // 38,520,000, private 140,040,000, public non-governmental and charity 62,260,000.
        let t = t1405();
        for (sector, bundle) in [
            (Sector::Government, 38_520_000),
            (Sector::Private, 140_040_000),
            (Sector::PublicNonGovernmental, 62_260_000),
            (Sector::Charity, 62_260_000),
        ] {
            let terms = ProviderTerms { sector, hospital_grade: None, tariff_basis: Sector::Government };
            let p = price_line(t, &line(ItemType::Service, "428010", dec!(1)), &terms).unwrap();
            assert_eq!((p.unit_price, p.amount), (Rial(38_520_000), Rial(38_520_000)), "{sector:?}");
            assert_eq!((p.cap_unit_price, p.cap_amount), (Rial(bundle), Rial(bundle)), "{sector:?}");
            assert_eq!(p.rule, PriceRule::Global { price: 38_520_000 });
        }
        // The unit formula the public non-governmental cap used to be: 20 × 967,700 +
        // 6 × 992,400 + 5 × 967,700 = 30,146,900, below the government bundle it caps.
        let s = &t.services["428010"];
        let k = |c| Decimal::from(t.k(Sector::PublicNonGovernmental, c));
        let units = s.professional_units * k(Component::Professional)
            + s.technical_units * k(Component::Technical)
            + s.anesthesia_base_units * k(Component::Anesthesia);
        assert_eq!(units, dec!(30146900));
        // A contract paying on the public non-governmental tariff pays that sector's bundle.
        let png = ProviderTerms {
            sector: Sector::PublicNonGovernmental,
            hospital_grade: None,
            tariff_basis: Sector::PublicNonGovernmental,
        };
        let p = price_line(t, &line(ItemType::Service, "428010", dec!(1)), &png).unwrap();
        assert_eq!((p.amount, p.cap_amount), (Rial(62_260_000), Rial(62_260_000)));
        assert_eq!(p.rule.describe(), "global: fixed price 62260000");
        // Anaesthesia time units do not change a bundle; two episodes are two bundles.
        let mut l = line(ItemType::Service, "428010", dec!(2));
        l.extra_anesthesia_units = dec!(4);
        let p = price_line(t, &l, &PRIVATE).unwrap();
        assert_eq!((p.amount, p.cap_amount), (Rial(77_040_000), Rial(280_080_000)));
    }

    #[test]
    fn no_sector_caps_a_global_code_below_the_government_bundle() {
        let t = t1403();
        let globals: Vec<_> = t.services.iter().filter(|(_, s)| s.global_prices.is_some()).collect();
        assert_eq!(globals.len(), 10);
        for (code, s) in globals {
            let bundles = s.global_prices.unwrap();
            assert_eq!(s.global_price, Some(bundles.government));
            for sector in Sector::ALL {
                let terms = ProviderTerms { sector, hospital_grade: None, tariff_basis: Sector::Government };
                let p = price_line(t, &line(ItemType::Service, code, dec!(1)), &terms).unwrap();
                assert_eq!(p.amount, Rial(bundles.government));
                assert_eq!(p.cap_amount, Rial(bundles.get(sector)));
                assert!(p.cap_amount >= p.amount, "{code} {sector:?}");
            }
        }
        // 1403 private bundle of 428010: 1.5 × (20 × 1,120,100 + 6 × 1,148,600 + 5 × 1,120,100)
        // + 1 day × 33,135,000 = 85,478,400 → 85,480,000 (SOURCES.md).
        let p = price_line(t, &line(ItemType::Service, "428010", dec!(1)), &PRIVATE).unwrap();
        assert_eq!((p.amount, p.cap_amount), (Rial(23_510_000), Rial(85_480_000)));
    }

    #[test]
    fn visit_bed_day_drug_device() {
        let t = t1403();
        // visits.csv 1403: specialist government 564,000, private 1,890,000 (iranintl 1403).
        let p = price_line(t, &line(ItemType::Visit, "specialist", dec!(1)), &PRIVATE).unwrap();
        assert_eq!((p.amount, p.cap_amount), (Rial(564_000), Rial(1_890_000)));
        // hotelling 1403: bed_1 grade 1 government 12,874,000 — three days.
        let p = price_line(t, &line(ItemType::BedDay, "bed_1", dec!(3)), &GOV).unwrap();
        assert_eq!(p.amount, Rial(38_622_000));
        // Grade 2 for the private provider: bed_1 government 10,300,000, private 48,178,000.
        let p = price_line(t, &line(ItemType::BedDay, "bed_1", dec!(1)), &PRIVATE).unwrap();
        assert_eq!((p.amount, p.cap_amount), (Rial(10_300_000), Rial(48_178_000)));
        // drugs 1403: 10010 Amoxicillin 500 mg at 25,000 per capsule; by IRC as well.
        let p = price_line(t, &line(ItemType::Drug, "10010", dec!(20)), &PRIVATE).unwrap();
        assert_eq!((p.amount, p.cap_amount), (Rial(500_000), Rial(500_000)));
        let p2 = price_line(t, &line(ItemType::Drug, "6260100100070070", dec!(20)), &PRIVATE).unwrap();
        assert_eq!(p, p2);
        // devices 1403: D002 complete spectacles 8,200,000.
        let p = price_line(t, &line(ItemType::Device, "D002", dec!(1)), &GOV).unwrap();
        assert_eq!(p.amount, Rial(8_200_000));
    }

    #[test]
    fn one_rounding_per_line() {
        // 0.54 × 365,400 + 1.43 × 374,700 = 733,137 exactly; half a unit → 366,568.5 → 366,569.
        let p = price_line(t1403(), &line(ItemType::Service, "801175", dec!(0.5)), &GOV).unwrap();
        assert_eq!(p.amount, Rial(366_569));
        // 3 × 25,000 × 1/3 rounds once, not per unit.
        let p = price_line(t1403(), &line(ItemType::Drug, "10010", dec!(1.333)), &GOV).unwrap();
        assert_eq!(p.amount, Rial(33_325));
    }

    #[test]
    fn refusals() {
        let t = t1403();
        assert_eq!(
            price_line(t, &line(ItemType::Service, "999999", dec!(1)), &GOV),
            Err(PricingError::UnknownCode)
        );
        assert_eq!(
            price_line(t, &line(ItemType::Visit, "801175", dec!(1)), &GOV),
            Err(PricingError::UnknownCode)
        );
        assert_eq!(
            price_line(t, &line(ItemType::Drug, "10010", dec!(0)), &GOV),
            Err(PricingError::InvalidQuantity)
        );
        let no_grade = ProviderTerms { hospital_grade: None, ..GOV };
        assert_eq!(
            price_line(t, &line(ItemType::BedDay, "icu", dec!(1)), &no_grade),
            Err(PricingError::MissingHospitalGrade)
        );
    }

    fn any_sector() -> impl Strategy<Value = Sector> {
        prop::sample::select(Sector::ALL.to_vec())
    }

    proptest! {
        /// For RVU codes the price is exactly Σ units × K of the basis, times the quantity,
        /// rounded once; it is never negative and never below the cap's sector ordering.
        #[test]
        fn rvu_price_is_units_times_k(idx in 0usize..400, qty_milli in 1i64..50_000, sector in any_sector()) {
            let t = t1403();
            let mut codes: Vec<&String> = t.services.iter().filter(|(_, s)| s.global_price.is_none()).map(|(c, _)| c).collect();
            codes.sort();
            let code = codes[idx % codes.len()];
            let s = &t.services[code];
            let qty = Decimal::new(qty_milli, 3);
            let terms = ProviderTerms { sector, hospital_grade: Some(1), tariff_basis: Sector::Government };
            let p = price_line(t, &line(ItemType::Service, code, qty), &terms).unwrap();
            let k = |c| Decimal::from(t.k(Sector::Government, c));
            let unit = s.professional_units * k(Component::Professional) + s.technical_units * k(Component::Technical)
                + s.anesthesia_base_units * k(Component::Anesthesia);
            prop_assert_eq!(p.amount, Rial::round(unit * qty).unwrap());
            prop_assert!(p.amount.0 >= 0 && p.cap_amount.0 >= 0);
        }

        /// More of the same line never costs less.
        #[test]
        fn monotone_in_quantity(idx in 0usize..700, a in 1i64..100_000, b in 1i64..100_000, sector in any_sector()) {
            let t = t1403();
            let mut items: Vec<(ItemType, String)> = t.services.keys().map(|c| (ItemType::Service, c.clone())).collect();
            items.extend(t.drugs.keys().map(|c| (ItemType::Drug, c.clone())));
            items.extend(t.devices.keys().map(|c| (ItemType::Device, c.clone())));
            items.extend(t.visits.keys().map(|c| (ItemType::Visit, c.clone())));
            items.sort();
            let (it, code) = &items[idx % items.len()];
            let (lo, hi) = (a.min(b), a.max(b));
            let terms = ProviderTerms { sector, hospital_grade: Some(3), tariff_basis: Sector::Government };
            let p_lo = price_line(t, &line(*it, code, Decimal::new(lo, 2)), &terms).unwrap();
            let p_hi = price_line(t, &line(*it, code, Decimal::new(hi, 2)), &terms).unwrap();
            prop_assert!(p_lo.amount <= p_hi.amount);
            prop_assert!(p_lo.cap_amount <= p_hi.cap_amount);
        }
    }
}
