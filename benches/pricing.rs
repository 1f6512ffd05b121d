//! Pricing engine throughput over a realistic mix of lines (target: ≥ 1,000,000 lines/s on one
//! core). Run: `cargo bench --bench pricing`.

use std::collections::HashMap;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rust_decimal::Decimal;

use asnad::domain::pricing::{price_line, ItemType, LineToPrice, ProviderTerms};
use asnad::domain::tariff::{parse_tariff, Sector, Tariff, FILES};

fn load(year: i32) -> Tariff {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tariffs").join(year.to_string());
    let files: HashMap<String, String> =
        FILES.iter().map(|f| (f.to_string(), std::fs::read_to_string(dir.join(f)).expect("file"))).collect();
    parse_tariff(&files).expect("tariff parses")
}

/// A deterministic mix like a month of documents: 55 % RVU services (lab, imaging, procedures,
/// surgery), 30 % drugs, 10 % visits, 3 % bed-days, 2 % devices; quantities 1–30.
fn mix(t: &Tariff, n: usize) -> Vec<(ItemType, String, Decimal, Decimal)> {
    let mut services: Vec<&String> = t.services.keys().collect();
    services.sort();
    let mut drugs: Vec<&String> = t.drugs.keys().collect();
    drugs.sort();
    let visits = ["general", "specialist", "subspecialist", "general_ft"];
    let beds = ["bed_3plus", "bed_2", "icu", "ccu"];
    let mut devices: Vec<&String> = t.devices.keys().collect();
    devices.sort();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    (0..n)
        .map(|_| {
            let r = next() % 100;
            let q = Decimal::from(1 + next() % 30);
            match r {
                0..=54 => {
                    let code = services[(next() as usize) % services.len()].clone();
                    let anesthesia = if r % 5 == 0 { Decimal::from(next() % 8) } else { Decimal::ZERO };
                    (ItemType::Service, code, Decimal::ONE, anesthesia)
                }
                55..=84 => (ItemType::Drug, drugs[(next() as usize) % drugs.len()].clone(), q, Decimal::ZERO),
                85..=94 => (
                    ItemType::Visit,
                    visits[(next() as usize) % visits.len()].into(),
                    Decimal::ONE,
                    Decimal::ZERO,
                ),
                95..=97 => (
                    ItemType::BedDay,
                    beds[(next() as usize) % beds.len()].into(),
                    Decimal::from(1 + next() % 7),
                    Decimal::ZERO,
                ),
                _ => (
                    ItemType::Device,
                    devices[(next() as usize) % devices.len()].clone(),
                    Decimal::ONE,
                    Decimal::ZERO,
                ),
            }
        })
        .collect()
}

fn bench_pricing(c: &mut Criterion) {
    let t = load(1403);
    let lines = mix(&t, 10_000);
    let terms = [
        ProviderTerms {
            sector: Sector::Government,
            hospital_grade: Some(1),
            tariff_basis: Sector::Government,
        },
        ProviderTerms { sector: Sector::Private, hospital_grade: Some(2), tariff_basis: Sector::Government },
    ];
    let mut group = c.benchmark_group("pricing");
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function("price_line/10k-mixed-lines", |b| {
        b.iter_batched(
            || (),
            |_| {
                let mut total = 0i64;
                for (i, (item_type, code, qty, anesthesia)) in lines.iter().enumerate() {
                    let line = LineToPrice {
                        item_type: *item_type,
                        code,
                        quantity: *qty,
                        extra_anesthesia_units: *anesthesia,
                    };
                    if let Ok(p) = price_line(&t, &line, &terms[i & 1]) {
                        total = total.wrapping_add(p.amount.0);
                    }
                }
                std::hint::black_box(total)
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench_pricing);
criterion_main!(benches);
