//! One test per reason code: a claim that triggers it and one that barely does not, with exact
//! amounts on the 1403 sample tariff (government K: professional 365,400, technical 374,700).

use std::sync::OnceLock;

use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::*;
use crate::domain::contract::{ContractStatus, ContractTerms, StatusEvent, StatusReason, TermsVersion};
use crate::domain::eligibility::{Coverage, InsuranceType, Person, Sex as PSex};
use crate::domain::reasons::Group;
use crate::domain::tariff::parse_tariff;
use crate::domain::tariff::tests::repo_year;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn book() -> &'static TariffBook {
    static B: OnceLock<TariffBook> = OnceLock::new();
    B.get_or_init(|| {
        TariffBook::new(vec![
            parse_tariff(&repo_year(1403)).unwrap(),
            parse_tariff(&repo_year(1404)).unwrap(),
        ])
    })
}

fn person(sex: PSex, birth: &str) -> Person {
    Person {
        sex,
        birth_date: d(birth),
        insurance_type: InsuranceType::Mandatory,
        special_disease: false,
        supplementary: false,
        coverage: vec![Coverage { from: d("2020-01-01"), to: Some(d("2024-12-31")) }],
        dependant: None,
    }
}

fn provider() -> ProviderFacts {
    ProviderFacts {
        id: "p-1".into(),
        kind: ProviderKind::Hospital,
        sector: Sector::Private,
        hospital_grade: Some(2),
        sso_owned: false,
    }
}

fn contract(terms: ContractTerms) -> ContractFacts {
    ContractFacts {
        valid_from: d("2024-03-20"),
        valid_to: d("2025-03-20"),
        events: vec![StatusEvent {
            effective_on: d("2024-03-20"),
            status: ContractStatus::Active,
            reason: None,
        }],
        versions: vec![TermsVersion { version: 1, effective_from: d("2024-03-20"), terms }],
    }
}

fn line(item_type: ItemType, code: &str, qty: Decimal, date: &str, billed: i64) -> ClaimLine {
    ClaimLine {
        preauthorization_id: None,
        line_no: 1,
        item_type,
        code: code.into(),
        quantity: qty,
        service_date: d(date),
        billed: Rial(billed),
        unit_price: None,
        anesthesia_units: Decimal::ZERO,
        medical_order: false,
        physician_council_no: None,
    }
}

fn claim(setting: Setting, lines: Vec<ClaimLine>) -> Claim {
    Claim {
        setting,
        kind: ClaimKind::Visit,
        submitted_on: d("2024-10-10"),
        prescribed_on: None,
        physician_council_no: Some("12345".into()),
        admitted_on: None,
        discharged_on: None,
        lines,
    }
}

/// A context with everything in order; tests change one thing.
struct Fixture {
    insured: Option<Person>,
    provider: ProviderFacts,
    contract: Option<ContractFacts>,
    history: Vec<HistoryLine>,
    preauths: Vec<PreAuthorization>,
    month_payable_so_far: Rial,
    has_medical_record: bool,
    auto_approve_limit: Option<Rial>,
}

impl Fixture {
    fn new() -> Self {
        Fixture {
            insured: Some(person(PSex::Male, "1980-01-01")),
            provider: provider(),
            contract: Some(contract(ContractTerms::default())),
            history: vec![],
            preauths: vec![],
            month_payable_so_far: Rial::ZERO,
            has_medical_record: true,
            auto_approve_limit: None,
        }
    }
    fn run(&self, c: &Claim) -> Adjudication {
        let rules = DependantRules::default();
        let ctx = Context {
            tariffs: book(),
            insured: self.insured.as_ref(),
            main_insured: None,
            dependant_rules: &rules,
            provider: &self.provider,
            contract: self.contract.as_ref(),
            history: &self.history,
            preauthorizations: &self.preauths,
            month_payable_so_far: self.month_payable_so_far,
            auto_approve_limit: self.auto_approve_limit,
            has_medical_record: self.has_medical_record,
        };
        let a = adjudicate(c, &ctx);
        for l in &a.lines {
            assert!(l.conserves(), "line {} does not add up: {l:?}", l.line_no);
        }
        a
    }
    fn one(&self, c: &Claim) -> LineResult {
        self.run(c).lines.remove(0)
    }
}

/// Specialist visit, outpatient, government basis: 564,000; franchise 30 % = 169,200.
fn visit(date: &str) -> Claim {
    claim(Setting::Outpatient, vec![line(ItemType::Visit, "specialist", dec!(1), date, 564_000)])
}

fn reasons(l: &LineResult) -> Vec<(Reason, i64)> {
    l.reasons.iter().map(|r| (r.reason, r.amount.0)).collect()
}

fn assert_split(l: &LineResult, insurer: i64, share: i64, gap: i64, deducted: i64) {
    assert_eq!(
        (l.insurer_payable.0, l.patient_share.0, l.patient_gap.0, l.deducted.0),
        (insurer, share, gap, deducted),
        "{l:?}"
    );
}

/// The module documentation's ordered list is `LINE_RULES`, row for row.
#[test]
fn the_documented_order_is_the_rule_table() {
    let documented: Vec<&str> = include_str!("adjudication.rs")
        .lines()
        .filter(|l| {
            l.strip_prefix("//! | ").is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        })
        .collect();
    let table: Vec<String> = line_rules()
        .enumerate()
        .map(|(i, (reason, checks, effect))| match reason {
            Some(r) => format!("//! | {} | {} {checks} | {effect} |", i + 1, r.code()),
            None => format!("//! | {} | {checks} | {effect} |", i + 1),
        })
        .collect();
    assert_eq!(documented, table);
}

/// An explanation names the step that gave a deduction: the table's own numbering, both steps
/// where two rules give the same reason, none for reasons the engine never gives.
#[test]
fn rules_giving_a_reason_are_found_by_their_step() {
    let steps: Vec<(Option<Reason>, usize)> =
        line_rules().enumerate().map(|(i, (reason, _, _))| (reason, i + 1)).collect();
    let r09 = rules_giving(Reason::R09);
    assert_eq!(r09.len(), 1);
    assert_eq!(steps[r09[0].0 - 1].0, Some(Reason::R09));
    assert_eq!(r09[0].1, line_rules().nth(r09[0].0 - 1).unwrap().1);
    let r05: Vec<usize> = rules_giving(Reason::R05).into_iter().map(|(s, _)| s).collect();
    assert_eq!(
        r05,
        steps.iter().filter(|(r, _)| *r == Some(Reason::R05)).map(|(_, s)| *s).collect::<Vec<_>>()
    );
    assert_eq!(r05.len(), 2, "code not in the tariff, and not priceable on the contract's basis");
    assert!(rules_giving(Reason::R90).is_empty(), "a reviewer's adjustment is no engine rule");
}

#[test]
fn clean_visit_is_approved_with_the_outpatient_franchise() {
    let a = Fixture::new().run(&visit("2024-10-06"));
    assert_eq!(a.status, ClaimStatus::Approved);
    let l = &a.lines[0];
    assert_split(l, 394_800, 169_200, 0, 0);
    assert_eq!(l.cost_sharing_rule.as_deref(), Some("franchise_outpatient:30%"));
    assert_eq!((l.tariff_year, l.tariff_status), (Some(1403), Some(TariffStatus::Sample)));
}

#[test]
fn r01_insured_not_found() {
    let mut f = Fixture::new();
    f.insured = None;
    let a = f.run(&visit("2024-10-06"));
    assert_eq!(a.status, ClaimStatus::Rejected);
    assert_eq!(reasons(&a.lines[0]), [(Reason::R01, 564_000)]);
    assert_split(&a.lines[0], 0, 0, 0, 564_000);
}

#[test]
fn r02_not_eligible_on_the_date() {
    let f = Fixture::new();
    assert_eq!(reasons(&f.one(&visit("2025-01-01"))), [(Reason::R02, 564_000)]);
    assert!(f.one(&visit("2024-12-31")).reasons.is_empty());
}

#[test]
fn r03_contract_not_active() {
    let mut f = Fixture::new();
    let mut c = contract(ContractTerms::default());
    c.events.push(StatusEvent {
        effective_on: d("2024-06-01"),
        status: ContractStatus::Suspended,
        reason: Some(StatusReason::RepeatedViolations),
    });
    f.contract = Some(c);
    let mut cl = visit("2024-06-01");
    cl.submitted_on = d("2024-06-05");
    assert_eq!(reasons(&f.one(&cl)), [(Reason::R03, 564_000)]);
    let mut cl = visit("2024-05-31");
    cl.submitted_on = d("2024-06-05");
    assert!(f.one(&cl).reasons.is_empty());
    f.contract = None;
    assert_eq!(reasons(&f.one(&cl)), [(Reason::R03, 564_000)]);
}

#[test]
fn r14_submitted_after_the_deadline() {
    // 2024-10-06 is 1403-07-15; Mehr ends 2024-10-21; default deadline 30 days → 2024-11-20.
    let f = Fixture::new();
    let mut c = visit("2024-10-06");
    c.submitted_on = d("2024-11-21");
    assert_eq!(reasons(&f.one(&c)), [(Reason::R14, 564_000)]);
    c.submitted_on = d("2024-11-20");
    assert!(f.one(&c).reasons.is_empty());
}

#[test]
fn r13_prescription_older_than_60_days() {
    let f = Fixture::new();
    let mut c =
        claim(Setting::Outpatient, vec![line(ItemType::Drug, "10010", dec!(10), "2024-10-06", 250_000)]);
    c.prescribed_on = Some(d("2024-08-07")); // 60 days before
    assert!(f.one(&c).reasons.is_empty());
    c.prescribed_on = Some(d("2024-08-06")); // 61 days
    assert_eq!(reasons(&f.one(&c)), [(Reason::R13, 250_000)]);
}

#[test]
fn r21_outside_the_admission() {
    let f = Fixture::new();
    let mut c = claim(
        Setting::Inpatient,
        vec![line(ItemType::BedDay, "bed_3plus", dec!(1), "2024-10-06", 5_150_000)],
    );
    c.admitted_on = Some(d("2024-10-01"));
    c.discharged_on = Some(d("2024-10-05"));
    assert_eq!(reasons(&f.one(&c)), [(Reason::R21, 5_150_000)]);
    c.discharged_on = Some(d("2024-10-06"));
    let l = f.one(&c);
    // Inpatient: 10 % franchise on the government bed-day 5,150,000.
    assert_split(&l, 4_635_000, 515_000, 0, 0);
}

#[test]
fn r05_unknown_code() {
    let f = Fixture::new();
    let c =
        claim(Setting::Outpatient, vec![line(ItemType::Service, "999999", dec!(1), "2024-10-06", 100_000)]);
    assert_eq!(reasons(&f.one(&c)), [(Reason::R05, 100_000)]);
    // Before the first tariff year there is no tariff at all.
    let mut c = visit("2024-03-19");
    c.submitted_on = d("2024-03-25");
    let mut f2 = Fixture::new();
    f2.contract.as_mut().unwrap().valid_from = d("2024-03-01");
    f2.contract.as_mut().unwrap().events[0].effective_on = d("2024-03-01");
    f2.contract.as_mut().unwrap().versions[0].effective_from = d("2024-03-01");
    assert_eq!(reasons(&f2.one(&c))[0].0, Reason::R05);
}

#[test]
fn r04_outside_the_contract_scope() {
    let mut f = Fixture::new();
    f.contract =
        Some(contract(ContractTerms { scope_item_types: vec![ItemType::Visit], ..ContractTerms::default() }));
    let drug =
        claim(Setting::Outpatient, vec![line(ItemType::Drug, "10010", dec!(10), "2024-10-06", 250_000)]);
    assert_eq!(reasons(&f.one(&drug)), [(Reason::R04, 250_000)]);
    assert!(f.one(&visit("2024-10-06")).reasons.is_empty());
    // A limited-surgery centre is not paid hotelling.
    let mut f = Fixture::new();
    f.provider.kind = ProviderKind::DaySurgery;
    let bed = claim(
        Setting::Inpatient,
        vec![line(ItemType::BedDay, "bed_3plus", dec!(1), "2024-10-06", 5_150_000)],
    );
    assert_eq!(reasons(&f.one(&bed)), [(Reason::R04, 5_150_000)]);
}

#[test]
fn r06_not_covered_is_the_insureds() {
    let f = Fixture::new();
    let c = claim(Setting::Outpatient, vec![line(ItemType::Drug, "22015", dec!(30), "2024-10-06", 900_000)]);
    let l = f.one(&c);
    assert_eq!(reasons(&l), [(Reason::R06, 900_000)]);
    assert_eq!(l.reasons[0].reason.group(), crate::domain::reasons::Group::InsuredResponsibility);
    assert!(f
        .one(&claim(
            Setting::Outpatient,
            vec![line(ItemType::Drug, "10010", dec!(30), "2024-10-06", 750_000)]
        ))
        .reasons
        .is_empty());
}

#[test]
fn r11_sex_and_age() {
    // 800030 is for women: 0.1 × 365,400 + 0.3 × 374,700 = 148,950.
    let mut f = Fixture::new();
    let c =
        claim(Setting::Outpatient, vec![line(ItemType::Service, "800030", dec!(1), "2024-10-06", 148_950)]);
    assert_eq!(reasons(&f.one(&c)), [(Reason::R11, 148_950)]);
    f.insured = Some(person(PSex::Female, "1980-01-01"));
    assert_split(&f.one(&c), 104_265, 44_685, 0, 0);
    // 901955 is for infants (max age 0): born 2023-10-07 is 0 on 2024-10-06, 1 on 2024-10-07.
    f.insured = Some(person(PSex::Female, "2023-10-07"));
    let infant = |date: &str| {
        claim(Setting::Outpatient, vec![line(ItemType::Service, "901955", dec!(1), date, 548_100)])
    };
    assert!(f.one(&infant("2024-10-06")).reasons.iter().all(|r| r.reason != Reason::R11));
    assert_eq!(reasons(&f.one(&infant("2024-10-07")))[0].0, Reason::R11);
}

#[test]
fn r18_otc_only_under_12_or_inpatient() {
    let mut f = Fixture::new();
    // Paracetamol 500 mg, OTC, 3,000 per tablet.
    let c = |setting| claim(setting, vec![line(ItemType::Drug, "11010", dec!(20), "2024-10-06", 60_000)]);
    assert_eq!(reasons(&f.one(&c(Setting::Outpatient))), [(Reason::R18, 60_000)]);
    assert_split(&f.one(&c(Setting::Inpatient)), 54_000, 6_000, 0, 0);
    f.insured = Some(person(PSex::Male, "2012-10-06")); // 12 on 2024-10-06
    assert_eq!(reasons(&f.one(&c(Setting::Outpatient))), [(Reason::R18, 60_000)]);
    f.insured = Some(person(PSex::Male, "2012-10-07")); // 11
    assert_split(&f.one(&c(Setting::Outpatient)), 42_000, 18_000, 0, 0);
}

#[test]
fn r12_preauthorization() {
    // 806035 needs pre-authorization: 4 × 365,400 + 12 × 374,700 = 5,958,000.
    let mut f = Fixture::new();
    let c =
        claim(Setting::Outpatient, vec![line(ItemType::Service, "806035", dec!(1), "2024-10-06", 5_958_000)]);
    assert_eq!(reasons(&f.one(&c)), [(Reason::R12, 5_958_000)]);
    f.preauths = vec![PreAuthorization {
        id: "pa-1".into(),
        code: "806035".into(),
        approved: true,
        valid_from: d("2024-10-07"),
        valid_to: d("2024-11-06"),
        remaining: dec!(1),
    }];
    assert_eq!(reasons(&f.one(&c))[0].0, Reason::R12, "not yet valid on the service date");
    f.preauths[0].valid_from = d("2024-10-06");
    let r = f.one(&c);
    assert_split(&r, 4_170_600, 1_787_400, 0, 0);
    assert_eq!(r.preauthorization_id.as_ref().map(|p| p.as_str()), Some("pa-1"));
    // The approved quantity is used up: R12, naming what is left.
    f.preauths[0].remaining = dec!(0.5);
    let r = f.one(&c);
    assert_eq!(reasons(&r), [(Reason::R12, 5_958_000)]);
    assert!(r.reasons[0].detail.contains("0.5 left"), "{}", r.reasons[0].detail);
    // A second line of the same code in the same claim uses what the first left.
    f.preauths[0].remaining = dec!(1);
    let two = claim(
        Setting::Outpatient,
        vec![
            line(ItemType::Service, "806035", dec!(1), "2024-10-06", 5_958_000),
            line(ItemType::Service, "806035", dec!(1), "2024-10-08", 5_958_000),
        ],
    );
    let mut two = two;
    two.lines[1].line_no = 2;
    let a = f.run(&two);
    assert_eq!(a.lines[0].status, LineStatus::Approved);
    assert_eq!(a.lines[1].reasons[0].reason, Reason::R12);
    // Naming another approval than the one on file: R12.
    let mut named = c.clone();
    named.lines[0].preauthorization_id = Some("pa-other".into());
    assert_eq!(reasons(&f.one(&named))[0].0, Reason::R12);
    named.lines[0].preauthorization_id = Some("pa-1".into());
    assert_eq!(f.one(&named).status, LineStatus::Approved);
    // The advisor refused it: R91.
    f.preauths[0].approved = false;
    assert_eq!(reasons(&f.one(&c)), [(Reason::R91, 5_958_000)]);
    // A contract may add codes of its own.
    let mut f = Fixture::new();
    f.contract = Some(contract(ContractTerms {
        preauth_codes: vec!["specialist".into()],
        ..ContractTerms::default()
    }));
    assert_eq!(reasons(&f.one(&visit("2024-10-06")))[0].0, Reason::R12);
}

#[test]
fn intake_reads_preauthorizations_only_when_a_line_may_need_one() {
    let mri =
        claim(Setting::Outpatient, vec![line(ItemType::Service, "806035", dec!(1), "2024-10-06", 5_958_000)]);
    assert!(may_need_preauthorization(&mri, book(), None), "the tariff requires one for 806035");
    assert!(!may_need_preauthorization(&visit("2024-10-06"), book(), None));
    let own =
        contract(ContractTerms { preauth_codes: vec!["specialist".into()], ..ContractTerms::default() });
    assert!(may_need_preauthorization(&visit("2024-10-06"), book(), Some(&own)), "the contract adds it");
    let mut named = visit("2024-10-06");
    named.lines[0].preauthorization_id = Some("pa-1".into());
    assert!(may_need_preauthorization(&named, book(), None));
}

fn history(
    provider: &str,
    item_type: ItemType,
    code: &str,
    date: &str,
    physician: Option<&str>,
) -> HistoryLine {
    HistoryLine {
        provider_id: provider.into(),
        item_type,
        code: code.into(),
        service_date: d(date),
        quantity: dec!(1),
        physician_council_no: physician.map(String::from),
    }
}

#[test]
fn r08_duplicates() {
    let mut f = Fixture::new();
    let c =
        claim(Setting::Outpatient, vec![line(ItemType::Service, "800035", dec!(1), "2024-10-06", 447_780)]);
    f.history = vec![history("p-2", ItemType::Service, "800035", "2024-10-05", None)];
    // Another day is not a duplicate (800035 has a 90-day interval, checked separately).
    assert_eq!(reasons(&f.one(&c))[0].0, Reason::R10);
    f.history = vec![history("p-2", ItemType::Service, "800035", "2024-10-06", None)];
    let l = f.one(&c);
    assert_eq!(reasons(&l), [(Reason::R08, 447_780)]);
    assert!(l.reasons[0].detail.contains("another provider"));
    // The same line twice in one claim: the second is the duplicate.
    let f = Fixture::new();
    let mut twice = claim(
        Setting::Outpatient,
        vec![
            line(ItemType::Drug, "10010", dec!(10), "2024-10-06", 250_000),
            line(ItemType::Drug, "10010", dec!(10), "2024-10-06", 250_000),
        ],
    );
    twice.lines[1].line_no = 2;
    let a = f.run(&twice);
    assert!(a.lines[0].reasons.is_empty());
    assert_eq!(reasons(&a.lines[1]), [(Reason::R08, 250_000)]);
    assert_eq!(a.status, ClaimStatus::PartiallyApproved);
}

#[test]
fn r16_second_visit_by_the_same_physician() {
    let mut f = Fixture::new();
    f.history = vec![history("p-1", ItemType::Visit, "specialist", "2024-10-06", Some("12345"))];
    assert_eq!(reasons(&f.one(&visit("2024-10-06"))), [(Reason::R16, 564_000)]);
    f.history = vec![history("p-1", ItemType::Visit, "specialist", "2024-10-06", Some("99999"))];
    assert!(f.one(&visit("2024-10-06")).reasons.is_empty());
}

#[test]
fn r10_repeated_too_soon() {
    // 800035: minimum interval 90 days.
    let mut f = Fixture::new();
    let c =
        claim(Setting::Outpatient, vec![line(ItemType::Service, "800035", dec!(1), "2024-10-06", 447_780)]);
    f.history = vec![history("p-2", ItemType::Service, "800035", "2024-07-09", None)]; // 89 days
    assert_eq!(reasons(&f.one(&c)), [(Reason::R10, 447_780)]);
    f.history = vec![history("p-2", ItemType::Service, "800035", "2024-07-08", None)]; // 90 days
    assert_split(&f.one(&c), 313_446, 134_334, 0, 0);
}

#[test]
fn r09_quantity_is_reduced_to_the_limit() {
    // Amoxicillin: at most 30 per prescription, 25,000 each.
    let f = Fixture::new();
    let c =
        claim(Setting::Outpatient, vec![line(ItemType::Drug, "10010", dec!(40), "2024-10-06", 1_000_000)]);
    let l = f.one(&c);
    assert_eq!(reasons(&l), [(Reason::R09, 250_000)]);
    assert_eq!(l.approved_quantity, dec!(30));
    assert_split(&l, 525_000, 225_000, 0, 250_000);
    assert_eq!(l.status, LineStatus::PartiallyApproved);
    let ok = claim(Setting::Outpatient, vec![line(ItemType::Drug, "10010", dec!(30), "2024-10-06", 750_000)]);
    assert!(f.one(&ok).reasons.is_empty());
    // Per day, counting what was already paid that day: 901925 at most 1 per day.
    let mut f = Fixture::new();
    f.history = vec![history("p-2", ItemType::Service, "901925", "2024-10-05", None)];
    let c =
        claim(Setting::Outpatient, vec![line(ItemType::Service, "901925", dec!(2), "2024-10-06", 950_040)]);
    let l = f.one(&c);
    assert_eq!(reasons(&l), [(Reason::R09, 475_020)]);
}

#[test]
fn r22_unit_price_does_not_reconcile() {
    let f = Fixture::new();
    let mut c = visit("2024-10-06");
    c.lines[0].unit_price = Some(Rial(500_000));
    let l = f.one(&c);
    assert_eq!(reasons(&l), [(Reason::R22, 64_000)]);
    assert_split(&l, 350_000, 150_000, 0, 64_000);
    c.lines[0].unit_price = Some(Rial(564_000));
    assert!(f.one(&c).reasons.is_empty());
}

/// One day of a 1–2 bed room on 1403-07-15, inpatient (10 % franchise), no medical order.
fn room_day(code: &str, billed: i64) -> Claim {
    claim(Setting::Inpatient, vec![line(ItemType::BedDay, code, dec!(1), "2024-10-06", billed)])
}

/// The reasons with the group that bears each.
fn borne(l: &LineResult) -> Vec<(Reason, i64, Group)> {
    l.reasons.iter().map(|r| (r.reason, r.amount.0, r.reason.group())).collect()
}

const CO: Group = Group::ProviderWriteOff;
const PR: Group = Group::InsuredResponsibility;

#[test]
fn r20_government_hospital() {
    // Grade 1, government sector: it may charge the government tariff, which is also the basis.
    // hotelling 1403 grade 1 government: bed_1 12,874,000, bed_3plus 6,437,000.
    let mut f = Fixture::new();
    f.provider.sector = Sector::Government;
    f.provider.hospital_grade = Some(1);
    // Within the price: recognised at 6,437,000 (franchise 643,700, Organization 5,793,300);
    // the room difference 12,874,000 − 6,437,000 = 6,437,000 is the insured's.
    let l = f.one(&room_day("bed_1", 12_874_000));
    assert_eq!(borne(&l), [(Reason::R20, 6_437_000, PR)]);
    assert_split(&l, 5_793_300, 643_700, 0, 6_437_000);
    assert_eq!(l.tariff_amount, Rial(6_437_000));
    assert_eq!(l.status, LineStatus::PartiallyApproved);
    assert!(l.conserves());
    // Above it: 14,000,000 − 12,874,000 = 1,126,000 is the hospital's write-off, not the
    // insured's; the room difference is unchanged.
    let l = f.one(&room_day("bed_1", 14_000_000));
    assert_eq!(borne(&l), [(Reason::R07, 1_126_000, CO), (Reason::R20, 6_437_000, PR)]);
    assert_split(&l, 5_793_300, 643_700, 0, 7_563_000);
    assert!(l.conserves());
    // Billed no more than the 3-bed tariff: the room costs the insured nothing.
    let l = f.one(&room_day("bed_1", 6_437_000));
    assert!(l.reasons.is_empty());
    assert_split(&l, 5_793_300, 643_700, 0, 0);
    // With a medical order the 1-bed day is recognised in full: 12,874,000 → 1,287,400 franchise.
    let mut c = room_day("bed_1", 12_874_000);
    c.lines[0].medical_order = true;
    assert_split(&f.one(&c), 11_586_600, 1_287_400, 0, 0);
}

#[test]
fn r20_private_hospital_without_gap_billing() {
    // The fixture: private, grade 2, default contract (government basis, no gap billing), so it
    // may charge the government tariff only. hotelling 1403 grade 2 government: bed_1
    // 10,300,000, bed_2 7,725,000, bed_3plus 5,150,000 (private bed_1 48,178,000).
    let f = Fixture::new();
    // Within the price: 5,150,000 recognised (515,000 franchise); 10,300,000 − 5,150,000.
    let l = f.one(&room_day("bed_1", 10_300_000));
    assert_eq!(borne(&l), [(Reason::R20, 5_150_000, PR)]);
    assert_split(&l, 4_635_000, 515_000, 0, 5_150_000);
    assert!(l.conserves());
    // Billed at the private tariff it may not charge: 48,178,000 − 10,300,000 = 37,878,000 is
    // the hospital's write-off; only 5,150,000 is the insured's.
    let l = f.one(&room_day("bed_1", 48_178_000));
    assert_eq!(borne(&l), [(Reason::R07, 37_878_000, CO), (Reason::R20, 5_150_000, PR)]);
    assert_split(&l, 4_635_000, 515_000, 0, 43_028_000);
    assert!(l.conserves());
    // A 2-bed room: 7,725,000 − 5,150,000 = 2,575,000; billed 8,000,000 → 275,000 above.
    let l = f.one(&room_day("bed_2", 7_725_000));
    assert_eq!(borne(&l), [(Reason::R20, 2_575_000, PR)]);
    assert_split(&l, 4_635_000, 515_000, 0, 2_575_000);
    let l = f.one(&room_day("bed_2", 8_000_000));
    assert_eq!(borne(&l), [(Reason::R07, 275_000, CO), (Reason::R20, 2_575_000, PR)]);
    assert_split(&l, 4_635_000, 515_000, 0, 2_850_000);
}

#[test]
fn r20_private_hospital_with_gap_billing() {
    // Private, grade 2, gap billing: it may charge the private tariff. hotelling 1403 grade 2:
    // bed_1 government 10,300,000, private 48,178,000; bed_3plus government 5,150,000.
    let mut f = Fixture::new();
    f.contract = Some(contract(ContractTerms { may_bill_gap: true, ..ContractTerms::default() }));
    // Within the price: 5,150,000 recognised (515,000 franchise); the room difference on the
    // government tariff 10,300,000 − 5,150,000 = 5,150,000 (R20); the room's private–government
    // gap 48,178,000 − 10,300,000 = 37,878,000.
    let l = f.one(&room_day("bed_1", 48_178_000));
    assert_eq!(borne(&l), [(Reason::R20, 5_150_000, PR)]);
    assert_split(&l, 4_635_000, 515_000, 37_878_000, 5_150_000);
    assert!(l.conserves());
    // The same day with a medical order: the gap is the same, the room difference is covered.
    let mut ordered = room_day("bed_1", 48_178_000);
    ordered.lines[0].medical_order = true;
    let l = f.one(&ordered);
    assert!(l.reasons.is_empty());
    assert_split(&l, 9_270_000, 1_030_000, 37_878_000, 0);
    // Above the price: 50,000,000 − 48,178,000 = 1,822,000 is the hospital's write-off.
    let l = f.one(&room_day("bed_1", 50_000_000));
    assert_eq!(borne(&l), [(Reason::R07, 1_822_000, CO), (Reason::R20, 5_150_000, PR)]);
    assert_split(&l, 4_635_000, 515_000, 37_878_000, 6_972_000);
    assert!(l.conserves());
    // Billed below the private 3-bed tariff (26,763,000): the day still carries R20, the room
    // difference is not folded into the gap.
    let l = f.one(&room_day("bed_1", 26_763_000));
    assert_eq!(borne(&l), [(Reason::R20, 5_150_000, PR)]);
    assert_split(&l, 4_635_000, 515_000, 16_463_000, 5_150_000);
    let l = f.one(&room_day("bed_1", 10_300_000));
    assert_eq!(borne(&l), [(Reason::R20, 5_150_000, PR)]);
    assert_split(&l, 4_635_000, 515_000, 0, 5_150_000);
    let l = f.one(&room_day("bed_1", 8_000_000));
    assert_eq!(borne(&l), [(Reason::R20, 2_850_000, PR)]);
    assert_split(&l, 4_635_000, 515_000, 0, 2_850_000);
    // A 5 % contract discount is on the recognised 5,150,000 only: 257,500 (R07); the base
    // 4,892,500 → franchise 489,250.
    f.contract = Some(contract(ContractTerms {
        may_bill_gap: true,
        discount_percent: dec!(5),
        ..ContractTerms::default()
    }));
    let l = f.one(&room_day("bed_1", 48_178_000));
    assert_eq!(borne(&l), [(Reason::R20, 5_150_000, PR), (Reason::R07, 257_500, CO)]);
    assert_split(&l, 4_403_250, 489_250, 37_878_000, 5_407_500);
}

#[test]
fn r20_given_back_by_a_reviewer_is_the_day_with_an_order() {
    use crate::domain::review::{apply, LineAction, LineDecision};
    let mut f = Fixture::new();
    f.contract = Some(contract(ContractTerms { may_bill_gap: true, ..ContractTerms::default() }));
    let l = f.one(&room_day("bed_1", 50_000_000));
    let stored = l.amounts();
    // The order turns up: the reviewer recognises the 1-bed tariff, 10,300,000.
    let decision = LineDecision {
        line_no: 1,
        action: LineAction::Adjust,
        approved_amount: Some(10_300_000),
        approved_quantity: None,
        reason: None,
        note: None,
    };
    let out = apply(&stored, &decision).unwrap();
    let left: Vec<(&str, i64)> = out.reasons.iter().map(|r| (r.0.as_str(), r.1 .0)).collect();
    assert_eq!(left, [("R07", 1_822_000)]);
    assert_eq!(
        (out.insurer_payable.0, out.patient_share.0, out.patient_gap.0, out.deducted.0),
        (9_270_000, 1_030_000, 37_878_000, 1_822_000)
    );
    // What the engine decides for the day sent with the order.
    let mut ordered = room_day("bed_1", 50_000_000);
    ordered.lines[0].medical_order = true;
    let w = f.one(&ordered);
    assert_eq!(borne(&w), [(Reason::R07, 1_822_000, CO)]);
    assert_split(&w, 9_270_000, 1_030_000, 37_878_000, 1_822_000);
}

proptest! {
    /// Any bill for a 1–2 bed room day without an order at the private grade-2 fixture, with or
    /// without gap billing, divides into the slices `room_difference` documents.
    #[test]
    fn r20_every_rial_of_a_room_day_in_its_slice(
        billed in 1i64..80_000_000,
        bed_2 in any::<bool>(),
        gap in any::<bool>(),
    ) {
        // hotelling 1403 grade 2: bed_3plus government 5,150,000; bed_1 10,300,000 (private
        // 48,178,000); bed_2 7,725,000 (private 37,468,000).
        let (code, room, private) =
            if bed_2 { ("bed_2", 7_725_000i64, 37_468_000i64) } else { ("bed_1", 10_300_000, 48_178_000) };
        let three_bed = 5_150_000i64;
        let cap = if gap { private } else { room };
        let mut f = Fixture::new();
        f.contract = Some(contract(ContractTerms { may_bill_gap: gap, ..ContractTerms::default() }));
        let l = f.one(&room_day(code, billed));
        let amount = |r: Reason| l.reasons.iter().filter(|d| d.reason == r).map(|d| d.amount.0).sum::<i64>();
        let kept = billed.min(cap);
        prop_assert_eq!(amount(Reason::R07), billed - kept);
        prop_assert_eq!(amount(Reason::R20), (kept - three_bed).clamp(0, room - three_bed));
        prop_assert_eq!(l.patient_gap.0, (kept - room).max(0));
        prop_assert_eq!(l.insurer_payable.0 + l.patient_share.0, kept.min(three_bed));
        prop_assert_eq!(l.deducted.0, amount(Reason::R07) + amount(Reason::R20));
    }
}

#[test]
fn r07_billed_above_the_tariff() {
    let f = Fixture::new();
    let mut c = visit("2024-10-06");
    c.lines[0].billed = Rial(600_000);
    let l = f.one(&c);
    assert_eq!(reasons(&l), [(Reason::R07, 36_000)]);
    assert_split(&l, 394_800, 169_200, 0, 36_000);
    // With gap billing a private provider may charge up to its own sector's tariff.
    let mut f = Fixture::new();
    f.contract = Some(contract(ContractTerms { may_bill_gap: true, ..ContractTerms::default() }));
    c.lines[0].billed = Rial(1_890_000);
    assert_split(&f.one(&c), 394_800, 169_200, 1_326_000, 0);
    c.lines[0].billed = Rial(1_890_001);
    assert_eq!(reasons(&f.one(&c)), [(Reason::R07, 1)]);
    // A contract discount is deducted from the Organization's base.
    let mut f = Fixture::new();
    f.contract = Some(contract(ContractTerms { discount_percent: dec!(5), ..ContractTerms::default() }));
    c.lines[0].billed = Rial(564_000);
    let l = f.one(&c);
    assert_eq!(reasons(&l), [(Reason::R07, 28_200)]);
    assert_split(&l, 375_060, 160_740, 0, 28_200);
}

#[test]
fn r19_monthly_ceiling() {
    let mut f = Fixture::new();
    f.contract =
        Some(contract(ContractTerms { monthly_ceiling: Some(1_000_000), ..ContractTerms::default() }));
    f.month_payable_so_far = Rial(605_200);
    assert!(f.one(&visit("2024-10-06")).reasons.is_empty(), "394,800 fits exactly");
    f.month_payable_so_far = Rial(605_201);
    let l = f.one(&visit("2024-10-06"));
    assert_eq!(reasons(&l), [(Reason::R19, 1)]);
    assert_split(&l, 394_799, 169_200, 0, 1);
}

#[test]
fn r15_missing_record_pends() {
    // 901900 needs the medical record: 1 × 365,400.
    let mut f = Fixture::new();
    f.has_medical_record = false;
    let c =
        claim(Setting::Inpatient, vec![line(ItemType::Service, "901900", dec!(1), "2024-10-06", 365_400)]);
    let a = f.run(&c);
    assert_eq!(a.status, ClaimStatus::Pended);
    assert_eq!(a.lines[0].pend_reasons, [Reason::R15]);
    f.has_medical_record = true;
    assert_eq!(f.run(&c).status, ClaimStatus::Approved);
}

#[test]
fn auto_approval_limit_pends() {
    let mut f = Fixture::new();
    f.auto_approve_limit = Some(Rial(394_799));
    assert_eq!(f.run(&visit("2024-10-06")).status, ClaimStatus::Pended);
    f.auto_approve_limit = Some(Rial(394_800));
    assert_eq!(f.run(&visit("2024-10-06")).status, ClaimStatus::Approved);
}

#[test]
fn exemptions_and_drug_shares() {
    // Under 7 at a government centre from 1403-02-08: no franchise.
    let mut f = Fixture::new();
    f.provider.sector = Sector::Government;
    f.insured = Some(person(PSex::Female, "2020-01-01"));
    let l = f.one(&visit("2024-10-06"));
    assert_split(&l, 564_000, 0, 0, 0);
    assert_eq!(l.cost_sharing_rule.as_deref(), Some("exempt_under_7_gov"));
    // Not at a private centre.
    f.provider.sector = Sector::Private;
    assert_split(&f.one(&visit("2024-10-06")), 394_800, 169_200, 0, 0);
    // Insulin: the Organization pays 90 %.
    let f = Fixture::new();
    let l = f.one(&claim(
        Setting::Outpatient,
        vec![line(ItemType::Drug, "13045", dec!(2), "2024-10-06", 5_000_000)],
    ));
    assert_split(&l, 4_500_000, 500_000, 0, 0);
    assert_eq!(l.cost_sharing_rule.as_deref(), Some("drug_insurer_share:90%"));
}

#[test]
fn lines_are_priced_on_their_own_years_tariff() {
    // 1403-12-30 (2025-03-20) and 1404-01-01 (2025-03-21) in one inpatient claim.
    let mut f = Fixture::new();
    f.insured.as_mut().unwrap().coverage[0].to = None;
    let mut c = claim(
        Setting::Inpatient,
        vec![
            line(ItemType::BedDay, "bed_3plus", dec!(1), "2025-03-20", 5_150_000),
            line(ItemType::BedDay, "bed_3plus", dec!(1), "2025-03-21", 9_000_000),
        ],
    );
    c.lines[1].line_no = 2;
    c.submitted_on = d("2025-03-25");
    let mut k = contract(ContractTerms::default());
    k.valid_to = d("2026-03-20");
    f.contract = Some(k);
    let a = f.run(&c);
    assert_eq!((a.lines[0].tariff_year, a.lines[1].tariff_year), (Some(1403), Some(1404)));
    assert!(a.lines[1].tariff_amount > a.lines[0].tariff_amount);
}

proptest! {
    /// Whatever the claim, every line and the claim add up to the rial.
    #[test]
    fn conservation_over_random_claims(
        picks in prop::collection::vec((0usize..6, 1i64..40, 0i64..20_000_000, 0u32..120, any::<bool>()), 1..12),
        gap in any::<bool>(),
        discount in 0u32..30,
        ceiling in prop::option::of(1i64..50_000_000),
    ) {
        let codes = [
            (ItemType::Visit, "specialist"),
            (ItemType::Drug, "10010"),
            (ItemType::Service, "800035"),
            (ItemType::BedDay, "bed_1"),
            (ItemType::Service, "901925"),
            (ItemType::Drug, "13045"),
        ];
        let mut f = Fixture::new();
        f.contract = Some(contract(ContractTerms {
            may_bill_gap: gap,
            discount_percent: Decimal::from(discount),
            monthly_ceiling: ceiling,
            ..ContractTerms::default()
        }));
        let lines: Vec<ClaimLine> = picks
            .iter()
            .enumerate()
            .map(|(i, (k, q, billed, day, order))| {
                let (t, code) = codes[*k];
                let mut l = line(t, code, Decimal::from(*q), "2024-09-01", *billed);
                l.service_date = d("2024-09-01") + chrono::Duration::days(*day as i64);
                l.line_no = i as u32 + 1;
                l.medical_order = *order;
                l
            })
            .collect();
        let mut c = claim(Setting::Inpatient, lines);
        c.submitted_on = d("2024-12-31");
        let a = f.run(&c);
        let t = a.totals;
        prop_assert_eq!(t.billed.0, t.insurer_payable.0 + t.patient_share.0 + t.patient_gap.0 + t.deducted.0);
        for l in &a.lines {
            prop_assert!(l.conserves());
            prop_assert!(l.insurer_payable.0 >= 0 && l.patient_share.0 >= 0 && l.patient_gap.0 >= 0 && l.deducted.0 >= 0);
        }
    }
}

#[test]
fn r08_a_visit_whose_physician_is_not_known() {
    let mut f = Fixture::new();
    let mut c = visit("2024-10-06");
    c.physician_council_no = None;
    f.history = vec![history("p-2", ItemType::Visit, "specialist", "2024-10-06", Some("12345"))];
    assert_eq!(reasons(&f.one(&c)), [(Reason::R08, 564_000)]);
    f.history = vec![history("p-2", ItemType::Visit, "specialist", "2024-10-06", None)];
    assert_eq!(reasons(&f.one(&visit("2024-10-06"))), [(Reason::R08, 564_000)]);
    f.history = vec![history("p-2", ItemType::Visit, "general", "2024-10-06", None)];
    assert!(f.one(&c).reasons.is_empty());
    f.history = vec![history("p-2", ItemType::Visit, "specialist", "2024-10-06", Some("99999"))];
    assert!(f.one(&visit("2024-10-06")).reasons.is_empty());
    let mut twice = claim(
        Setting::Outpatient,
        vec![
            line(ItemType::Visit, "specialist", dec!(1), "2024-10-06", 564_000),
            line(ItemType::Visit, "specialist", dec!(1), "2024-10-06", 564_000),
        ],
    );
    twice.physician_council_no = None;
    twice.lines[1].line_no = 2;
    let a = Fixture::new().run(&twice);
    assert!(a.lines[0].reasons.is_empty());
    assert_eq!(reasons(&a.lines[1]), [(Reason::R08, 564_000)]);
}
