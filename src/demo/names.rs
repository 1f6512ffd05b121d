//! Realistic Persian identities for the demonstration: names (نام و نام خانوادگی), national
//! codes (کد ملی) and Sheba numbers (شبا) whose check digits are right, mobile numbers, and the
//! ICD-10 codes an office sees every day. Everything is drawn from the caller's seeded RNG, so
//! two runs make the same people.

use rand::rngs::StdRng;
use rand::Rng;

/// Common Persian men's first names.
#[rustfmt::skip]
pub const MALE_NAMES: &[&str] = &[
    "علی", "محمد", "حسین", "رضا", "مهدی", "حسن", "امیر", "مصطفی", "سعید", "احمد", "جواد", "مجید",
    "مرتضی", "حمید", "محسن", "ابوالفضل", "امیرحسین", "سجاد", "وحید", "بهروز", "فرهاد", "کامران",
    "داوود", "یوسف", "ابراهیم", "اکبر", "هادی", "مسعود", "پیمان", "بابک", "آرش", "نیما",
];

/// Common Persian women's first names.
#[rustfmt::skip]
pub const FEMALE_NAMES: &[&str] = &[
    "فاطمه", "زهرا", "مریم", "زینب", "معصومه", "سمیه", "نرگس", "مهسا", "الهام", "لیلا", "سارا",
    "نازنین", "فرشته", "شیرین", "پریسا", "مینا", "طاهره", "اعظم", "ریحانه", "کوثر", "هانیه",
    "آزاده", "سحر", "ندا", "منیژه", "شهلا", "رقیه", "مهناز", "نسرین", "هستی", "یاسمن", "ستاره",
];

/// Common Persian family names.
#[rustfmt::skip]
pub const LAST_NAMES: &[&str] = &[
    "محمدی", "حسینی", "احمدی", "رضایی", "موسوی", "کریمی", "جعفری", "رحیمی", "صادقی", "قاسمی",
    "حیدری", "نوری", "کاظمی", "ابراهیمی", "هاشمی", "مرادی", "اکبری", "سلیمانی", "عباسی", "رستمی",
    "طاهری", "شریفی", "یزدانی", "نجفی", "اصفهانی", "تهرانی", "قربانی", "زارعی", "بهرامی", "فرهادی",
    "امینی", "پورمحمدی", "خسروی", "میرزایی", "کرمانی", "شیرازی", "باقری", "سلطانی", "یوسفی",
    "مختاری",
];

/// Diagnoses (ICD-10) by what the claim is about, so that a visit says J06.9 and a fracture
/// S52.5, as real documents do.
pub const DX_OUTPATIENT: &[&str] =
    &["J06.9", "J02.9", "I10", "E11.9", "K21.0", "M54.5", "N39.0", "J45.9", "R51", "E78.5", "K29.7", "L30.9"];
pub const DX_INPATIENT: &[&str] = &["K35.8", "K80.2", "S72.0", "I21.9", "J18.9", "O80", "N20.0", "S52.5"];
pub const DX_DENTAL: &[&str] = &["K02.1", "K04.0", "K05.1", "K08.1"];
pub const DX_PHYSIO: &[&str] = &["M54.5", "M17.1", "M75.1", "S83.5", "G81.9"];

pub fn pick<'a, T: ?Sized>(rng: &mut StdRng, items: &'a [&'a T]) -> &'a T {
    items[rng.gen_range(0..items.len())]
}

/// A valid national code (کد ملی): nine random digits and the mod-11 check digit of
/// `domain::ids::NationalCode`. The first three digits are a real-looking city prefix (001–499).
pub fn national_code(rng: &mut StdRng) -> String {
    loop {
        let mut d: Vec<u32> = vec![0; 10];
        let prefix = rng.gen_range(1..500u32);
        d[0] = prefix / 100;
        d[1] = prefix / 10 % 10;
        d[2] = prefix % 10;
        for x in d.iter_mut().take(9).skip(3) {
            *x = rng.gen_range(0..10);
        }
        let sum: u32 = (0..9).map(|i| d[i] * (10 - i as u32)).sum();
        let r = sum % 11;
        d[9] = if r < 2 { r } else { 11 - r };
        if d.iter().all(|x| *x == d[0]) {
            continue;
        }
        return d.iter().map(|x| char::from(b'0' + *x as u8)).collect();
    }
}

/// A national code no one in `issued` has yet; remembered there.
pub fn unused_national_code(rng: &mut StdRng, issued: &mut std::collections::HashSet<String>) -> String {
    loop {
        let code = national_code(rng);
        if issued.insert(code.clone()) {
            return code;
        }
    }
}

/// A valid Sheba (شبا): `IR`, the ISO 13616 check digits, a bank code (017 Melli, 012 Mellat,
/// 054 Parsian, 056 Saman, 018 Tejarat) and a 19-digit account.
pub fn sheba(rng: &mut StdRng) -> String {
    const BANKS: &[&str] = &["017", "012", "054", "056", "018"];
    let mut bban = format!("0{}", BANKS[rng.gen_range(0..BANKS.len())]);
    while bban.len() < 22 {
        bban.push(char::from(b'0' + rng.gen_range(0..10u8)));
    }
    // Check digits: 98 − (BBAN + "IR00", letters as numbers) mod 97.
    let rearranged = format!("{bban}182700");
    let rem = rearranged.bytes().fold(0u32, |acc, b| (acc * 10 + (b - b'0') as u32) % 97);
    format!("IR{:02}{bban}", 98 - rem)
}

/// A mobile number: 09 and nine digits, with an operator prefix (0912 Hamrah-e Aval, 0935
/// Irancell, 0921 Rightel).
pub fn mobile(rng: &mut StdRng) -> String {
    const PREFIX: &[&str] = &["0912", "0935", "0919", "0937", "0921", "0901"];
    let mut m = PREFIX[rng.gen_range(0..PREFIX.len())].to_string();
    while m.len() < 11 {
        m.push(char::from(b'0' + rng.gen_range(0..10u8)));
    }
    m
}

/// `n` random digits.
pub fn digits(rng: &mut StdRng, n: usize) -> String {
    (0..n).map(|_| char::from(b'0' + rng.gen_range(0..10u8))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{NationalCode, Sheba};
    use rand::SeedableRng;

    #[test]
    fn generated_identifiers_pass_the_services_checks() {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..500 {
            let code = national_code(&mut rng);
            assert_eq!(NationalCode::parse(&code).map(|c| c.to_string()), Ok(code.clone()));
            let s = sheba(&mut rng);
            assert!(Sheba::parse(&s).is_ok(), "{s}");
            let m = mobile(&mut rng);
            assert!(m.len() == 11 && m.starts_with("09"), "{m}");
        }
    }

    #[test]
    fn the_same_seed_makes_the_same_people() {
        let a: Vec<String> = (0..5)
            .map({
                let mut rng = StdRng::seed_from_u64(1);
                move |_| national_code(&mut rng)
            })
            .collect();
        let b: Vec<String> = (0..5)
            .map({
                let mut rng = StdRng::seed_from_u64(1);
                move |_| national_code(&mut rng)
            })
            .collect();
        assert_eq!(a, b);
    }
}
