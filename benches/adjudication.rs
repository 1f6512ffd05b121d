//! Throughput of `adjudicate` on realistic 10-line claims (target: ≥ 200,000 claims/s on one
//! core). Run: `cargo bench --bench adjudication`.

use std::collections::HashMap;

use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rust_decimal::Decimal;

use asnad::domain::adjudication::{
    adjudicate, Claim, ClaimKind, ClaimLine, Context, ContractFacts, HistoryLine, ProviderFacts, Setting,
};
use asnad::domain::contract::{ContractStatus, ContractTerms, StatusEvent, TermsVersion};
use asnad::domain::eligibility::{Coverage, DependantRules, InsuranceType, Person, Sex};
use asnad::domain::money::Rial;
use asnad::domain::pricing::ItemType;
use asnad::domain::provider::ProviderKind;
use asnad::domain::tariff::{parse_tariff, Sector, TariffBook, FILES};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

fn book() -> TariffBook {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tariffs").join("1403");
    let files: HashMap<String, String> =
        FILES.iter().map(|f| (f.to_string(), std::fs::read_to_string(dir.join(f)).expect("file"))).collect();
    TariffBook::new(vec![parse_tariff(&files).expect("tariff")])
}

/// 10 lines: two visits, a lab panel, imaging, four drugs, two bed-days — some above the tariff,
/// one over the quantity limit, one unknown code.
fn claims() -> Vec<Claim> {
    let l = |n: u32, t: ItemType, code: &str, q: i64, billed: i64| ClaimLine {
        line_no: n,
        item_type: t,
        code: code.into(),
        quantity: Decimal::from(q),
        service_date: d("2024-10-06"),
        billed: Rial(billed),
        unit_price: None,
        anesthesia_units: Decimal::ZERO,
        medical_order: false,
        physician_council_no: None,
        preauthorization_id: None,
    };
    (0..64)
        .map(|i| Claim {
            setting: if i % 3 == 0 { Setting::Inpatient } else { Setting::Outpatient },
            kind: ClaimKind::Visit,
            submitted_on: d("2024-10-10"),
            prescribed_on: Some(d("2024-10-01")),
            physician_council_no: Some(format!("{}", 10_000 + i)),
            admitted_on: Some(d("2024-10-01")),
            discharged_on: Some(d("2024-10-08")),
            lines: vec![
                l(1, ItemType::Visit, "specialist", 1, 1_890_000),
                l(2, ItemType::Visit, "general", 1, 453_000),
                l(3, ItemType::Service, "800035", 1, 500_000),
                l(4, ItemType::Service, "801175", 1, 733_137),
                l(5, ItemType::Drug, "10010", 40, 1_000_000),
                l(6, ItemType::Drug, "13045", 2, 5_000_000),
                l(7, ItemType::Drug, "11010", 20, 60_000),
                l(8, ItemType::Drug, "10020", 10, 600_000),
                l(9, ItemType::BedDay, "bed_3plus", 2, 10_300_000),
                l(10, ItemType::Service, "999999", 1, 100_000),
            ],
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let tariffs = book();
    let person = Person {
        sex: Sex::Male,
        birth_date: d("1980-01-01"),
        insurance_type: InsuranceType::Mandatory,
        special_disease: false,
        supplementary: false,
        coverage: vec![Coverage { from: d("2020-01-01"), to: None }],
        dependant: None,
    };
    let provider = ProviderFacts {
        id: "p-1".into(),
        kind: ProviderKind::Hospital,
        sector: Sector::Private,
        hospital_grade: Some(2),
        sso_owned: false,
    };
    let contract = ContractFacts {
        valid_from: d("2024-03-20"),
        valid_to: d("2025-03-20"),
        events: vec![StatusEvent {
            effective_on: d("2024-03-20"),
            status: ContractStatus::Active,
            reason: None,
        }],
        versions: vec![TermsVersion {
            version: 1,
            effective_from: d("2024-03-20"),
            terms: ContractTerms {
                may_bill_gap: true,
                monthly_ceiling: Some(50_000_000_000),
                ..ContractTerms::default()
            },
        }],
    };
    // A year of history: 40 earlier lines of the same insured.
    let history: Vec<HistoryLine> = (0..40)
        .map(|i| HistoryLine {
            provider_id: "p-2".into(),
            item_type: ItemType::Service,
            code: format!("80{:04}", 100 + i),
            service_date: d("2024-01-01") + chrono::Duration::days(i * 7),
            quantity: Decimal::ONE,
            physician_council_no: None,
        })
        .collect();
    let rules = DependantRules::default();
    let ctx = Context {
        tariffs: &tariffs,
        insured: Some(&person),
        main_insured: None,
        dependant_rules: &rules,
        provider: &provider,
        contract: Some(&contract),
        history: &history,
        preauthorizations: &[],
        month_payable_so_far: Rial(1_000_000_000),
        auto_approve_limit: Some(Rial(500_000_000)),
        has_medical_record: true,
    };
    let claims = claims();
    let mut group = c.benchmark_group("adjudication");
    group.throughput(Throughput::Elements(claims.len() as u64));
    group.bench_function("adjudicate/64-claims-of-10-lines", |b| {
        b.iter(|| {
            let mut payable = 0i64;
            for claim in &claims {
                payable += adjudicate(claim, &ctx).totals.insurer_payable.0;
            }
            std::hint::black_box(payable)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
