//! The month itself (سناریوی ماه): who exists, what happens on which day, and how each
//! document is made so that the engine decides it the way a real one would be decided.
//!
//! 1. **The office and its people**: one review office in Tehran, a user for every role, and
//!    fifteen contracted providers of every kind the service knows — hospitals of the four
//!    sectors, a limited-surgery centre, clinics, physicians' and a dentist's offices,
//!    pharmacies, a laboratory, an imaging centre and a physiotherapy centre — each with a
//!    contract for the year, activated, and an API key for its system.
//! 2. **Insured families**: main insured persons with spouses and children, a few whose
//!    coverage ended (their claims are refused, R02).
//! 3. **The claims of the month**, planned up front from the seed: a provider, a patient, a
//!    service date in the last 30 days and a receipt a few days later, and a *flavor*: most are
//!    clean (billed at the tariff the provider may charge), the others carry the mistakes an
//!    office sees — billed above the tariff (R07), a quantity above the limit (R09), a resent
//!    line (R08), a second visit the same day (R16), a unit price that does not add up (R22),
//!    an OTC drug for an adult (R18), an expired prescription (R13), a service for the other
//!    sex (R11), a service not covered (R06), a private room without an order (R20), a code
//!    without or with a refused pre-authorization (R12, R91). Inpatient stays, surgery and MRI
//!    need the medical record and wait for a reviewer (R15); the physiotherapy centre's monthly
//!    ceiling is reached late in the month (R19).
//! 4. **The days**: the service clock is set to each day in turn; that day's pre-authorizations
//!    are requested and decided, claims are received (scans attached), reviewers take and
//!    decide pended claims received days before, a supervisor approves what the four-eyes rule
//!    sends up, providers object to deductions and a second reviewer decides, clerks file
//!    reimbursements, attach their documents, submit and decide them. What happens after a
//!    claim is drawn when its answer is known, in a fixed order, so the run stays reproducible.

use crate::domain::record_ids::{
    ClaimId, DecisionId, InsuredId, ObjectionId, OfficeId, PreauthId, ProviderId, ReimbursementId,
};
use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use validator::Validate;

use super::names::{self, pick};
use super::scans::{self, Page};
use super::{DemoKey, DemoUser, Options, Report};
use crate::auth::{Caller, Role, Scope};
use crate::clock::Clock;
use crate::context::ServiceContext;
use crate::domain::jalali::JalaliDate;
use crate::domain::pricing::{price_line, ItemType, LineToPrice, Price, ProviderTerms};
use crate::domain::tariff::{Sector, ServiceCategory, ServiceTariff, Tariff};
use crate::error::AppError;
use crate::services;
use crate::services::claims::ClaimView;
use crate::store::audit::Actor;

/// The review office's auto-approval amount: a claim paying more waits for a reviewer.
const AUTO_APPROVE_LIMIT: i64 = 500_000_000;

/// A contracted provider as the demonstration registers it.
struct ProviderSpec {
    /// The user name's tail and the document numbers' stem.
    slug: &'static str,
    name_fa: &'static str,
    name_en: &'static str,
    kind: &'static str,
    sector: &'static str,
    grade: Option<i32>,
    /// Physicians' and dentists' offices only.
    degree: Option<&'static str>,
    /// The contract's terms (JSON of `ContractTerms`); the physiotherapy centre's monthly
    /// ceiling is added in `setup_providers`, scaled to the month's size.
    terms: &'static str,
}

const PROVIDERS: &[ProviderSpec] = &[
    ProviderSpec {
        slug: "shohada",
        name_fa: "بیمارستان شهدای تجریش",
        name_en: "Shohada-ye Tajrish Hospital",
        kind: "hospital",
        sector: "government",
        grade: Some(1),
        degree: None,
        terms: "{}",
    },
    ProviderSpec {
        slug: "pars",
        name_fa: "بیمارستان پارس",
        name_en: "Pars Hospital",
        kind: "hospital",
        sector: "private",
        grade: Some(2),
        degree: None,
        terms: r#"{"may_bill_gap": true}"#,
    },
    ProviderSpec {
        slug: "naft",
        name_fa: "بیمارستان صنعت نفت",
        name_en: "Naft Hospital",
        kind: "hospital",
        sector: "public_non_governmental",
        grade: Some(2),
        degree: None,
        terms: "{}",
    },
    ProviderSpec {
        slug: "kahrizak",
        name_fa: "بیمارستان خیریه حضرت ابوالفضل",
        name_en: "Hazrat-e Abolfazl Charity Hospital",
        kind: "hospital",
        sector: "charity",
        grade: Some(3),
        degree: None,
        terms: "{}",
    },
    ProviderSpec {
        slug: "arman",
        name_fa: "مرکز جراحی محدود آرمان",
        name_en: "Arman Day Surgery Centre",
        kind: "day_surgery",
        sector: "private",
        grade: None,
        degree: None,
        terms: "{}",
    },
    ProviderSpec {
        slug: "lavasani",
        name_fa: "درمانگاه تخصصی شهید لواسانی",
        name_en: "Shahid Lavasani Polyclinic",
        kind: "polyclinic",
        sector: "government",
        grade: None,
        degree: None,
        terms: "{}",
    },
    ProviderSpec {
        slug: "emamreza",
        name_fa: "درمانگاه خیریه امام رضا",
        name_en: "Emam Reza Charity Clinic",
        kind: "clinic",
        sector: "charity",
        grade: None,
        degree: None,
        terms: "{}",
    },
    ProviderSpec {
        slug: "dr-karimi",
        name_fa: "مطب دکتر کریمی (متخصص داخلی)",
        name_en: "Dr Karimi's office (internist)",
        kind: "physician_office",
        sector: "private",
        grade: None,
        degree: Some("specialist"),
        terms: r#"{"may_bill_gap": true}"#,
    },
    ProviderSpec {
        slug: "dr-ahmadi",
        name_fa: "مطب دکتر احمدی (پزشک عمومی)",
        name_en: "Dr Ahmadi's office (general practice)",
        kind: "physician_office",
        sector: "private",
        grade: None,
        degree: Some("general"),
        terms: r#"{"may_bill_gap": true}"#,
    },
    ProviderSpec {
        slug: "dr-nouri",
        name_fa: "مطب دندانپزشکی دکتر نوری",
        name_en: "Dr Nouri's dental office",
        kind: "dental_office",
        sector: "private",
        grade: None,
        degree: Some("general"),
        terms: "{}",
    },
    ProviderSpec {
        slug: "sina",
        name_fa: "داروخانه دکتر سینا",
        name_en: "Dr Sina Pharmacy",
        kind: "pharmacy",
        sector: "private",
        grade: None,
        degree: None,
        terms: "{}",
    },
    ProviderSpec {
        slug: "razi",
        name_fa: "داروخانه شبانه‌روزی رازی",
        name_en: "Razi 24-hour Pharmacy",
        kind: "pharmacy",
        sector: "private",
        grade: None,
        degree: None,
        terms: "{}",
    },
    ProviderSpec {
        slug: "pasteur",
        name_fa: "آزمایشگاه پاتوبیولوژی پاستور",
        name_en: "Pasteur Pathobiology Laboratory",
        kind: "laboratory",
        sector: "private",
        grade: None,
        degree: None,
        terms: "{}",
    },
    ProviderSpec {
        slug: "noor",
        name_fa: "مرکز تصویربرداری نور",
        name_en: "Noor Imaging Centre",
        kind: "imaging",
        sector: "private",
        grade: None,
        degree: None,
        terms: "{}",
    },
    ProviderSpec {
        slug: "tavan",
        name_fa: "مرکز فیزیوتراپی توان",
        name_en: "Tavan Physiotherapy Centre",
        kind: "physiotherapy",
        sector: "private",
        grade: None,
        degree: None,
        terms: "{}",
    },
];

/// What a claim is: its provider's kind of document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Recipe {
    Pharmacy,
    Visit,
    ClinicVisit,
    Lab,
    Imaging,
    Dental,
    Physio,
    Emergency,
    Inpatient,
    DaySurgery,
}

/// Shares of an office's month, in claims per hundred.
const RECIPES: &[(Recipe, u32)] = &[
    (Recipe::Pharmacy, 30),
    (Recipe::Visit, 13),
    (Recipe::ClinicVisit, 9),
    (Recipe::Lab, 16),
    (Recipe::Imaging, 7),
    (Recipe::Dental, 4),
    (Recipe::Physio, 5),
    (Recipe::Emergency, 5),
    (Recipe::Inpatient, 8),
    (Recipe::DaySurgery, 3),
];

/// What is wrong with a claim, if anything: the engine finds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flavor {
    Clean,
    /// R07: one line billed above what the provider may charge.
    OverBilled,
    /// R09: a quantity above the drug's per-prescription or the service's per-day limit.
    OverQuantity,
    /// R08 (or R16 for a visit): an earlier claim's line sent again.
    Duplicate,
    /// R22: the stated unit price × quantity is less than the billed amount.
    UnitPrice,
    /// R18: an OTC drug for an outpatient of 12 or more.
    Otc,
    /// R13: served more than 60 days after the prescription.
    ExpiredPrescription,
    /// R02: the patient's coverage has ended.
    Ineligible,
    /// R11: a service for women billed for a man.
    WrongSex,
    /// R06: a service the Organization does not cover.
    NotCovered,
    /// R20: a 1-bed room without a physician's order.
    PrivateRoom,
    /// A pre-authorized line: approved (paid), refused (R91) or never asked (R12).
    PreauthApproved,
    PreauthRefused,
    PreauthMissing,
}

/// The flavors a recipe can have, weighted (per hundred claims of the recipe).
fn flavors(recipe: Recipe) -> &'static [(Flavor, u32)] {
    use Flavor::*;
    match recipe {
        Recipe::Pharmacy => &[
            (Clean, 74),
            (OverBilled, 6),
            (OverQuantity, 7),
            (UnitPrice, 4),
            (Otc, 4),
            (ExpiredPrescription, 3),
            (Ineligible, 2),
        ],
        Recipe::Visit => &[(Clean, 82), (OverBilled, 8), (Duplicate, 7), (Ineligible, 3)],
        Recipe::ClinicVisit => &[(Clean, 85), (OverBilled, 10), (Ineligible, 5)],
        Recipe::Lab => &[
            (Clean, 64),
            (OverBilled, 8),
            (OverQuantity, 5),
            (Duplicate, 6),
            (WrongSex, 3),
            (PreauthApproved, 7),
            (PreauthRefused, 3),
            (PreauthMissing, 2),
            (Ineligible, 2),
        ],
        Recipe::Imaging => &[(Clean, 70), (OverBilled, 12), (PreauthApproved, 14), (Ineligible, 4)],
        Recipe::Dental => &[(Clean, 75), (OverBilled, 10), (NotCovered, 15)],
        Recipe::Physio => &[(Clean, 90), (OverBilled, 10)],
        Recipe::Emergency => &[(Clean, 88), (OverBilled, 12)],
        Recipe::Inpatient => &[(Clean, 80), (PrivateRoom, 20)],
        Recipe::DaySurgery => &[(Clean, 100)],
    }
}

fn weighted<T: Copy>(rng: &mut StdRng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.gen_range(0..total);
    for (item, w) in items {
        if x < *w {
            return *item;
        }
        x -= w;
    }
    items[items.len() - 1].0
}

/// A registered provider and the caller its system sends claims as.
struct Provider {
    spec: &'static ProviderSpec,
    id: ProviderId,
    /// The provider's system, authenticated by its API key (`services::auth::authenticate`).
    system: Caller,
    sector: Sector,
    grade: Option<u8>,
    may_bill_gap: bool,
    /// A physician's office's own council number.
    council_no: Option<String>,
    /// Document numbers issued so far.
    documents: u32,
}

/// An insured person (بیمه‌شده) of the demonstration.
struct Person {
    national_code: String,
    first_name: &'static str,
    last_name: &'static str,
    male: bool,
    birth: NaiveDate,
    /// The index of a dependant's main insured.
    main: Option<usize>,
    /// Covered today (false: coverage ended two months ago).
    eligible: bool,
    /// A main insured person's own account.
    sheba: String,
}

impl Person {
    fn age_on(&self, d: NaiveDate) -> i32 {
        let mut age = d.year() - self.birth.year();
        if (d.month(), d.day()) < (self.birth.month(), self.birth.day()) {
            age -= 1;
        }
        age
    }
    fn name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

/// A claim of the month, planned from the seed before the month is played.
struct ClaimPlan {
    recipe: Recipe,
    flavor: Flavor,
    provider: usize,
    person: usize,
    service: NaiveDate,
    received: NaiveDate,
    /// Inpatient: the days of the stay.
    stay: i64,
    preauth: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Approve,
    Refuse,
    /// Left waiting for the medical advisor.
    Pending,
}

struct PreauthPlan {
    provider: usize,
    person: usize,
    code: String,
    quantity: u32,
    verdict: Verdict,
    requested: NaiveDate,
    decided: NaiveDate,
    id: Option<PreauthId>,
}

struct ReimbursementPlan {
    /// The main insured who files (or on whose behalf a clerk files).
    main: usize,
    patient: usize,
    /// Filed by the insured person's own user (else by a clerk of the office).
    by_insured: bool,
    kind: ReimbursementKind,
    filed: NaiveDate,
    service: NaiveDate,
    submit: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReimbursementKind {
    Visit,
    Lab,
    Pharmacy,
    Glasses,
}

/// One thing that happens on a day. Within a day, tasks run in the order of their rank (then
/// of scheduling): requests before decisions, receipts before reviews.
enum Task {
    RequestPreauth(usize),
    DecidePreauth(usize),
    Claim(usize),
    FileReimbursement(usize),
    Review { claim_id: ClaimId, reviewer: usize },
    Supervise { decision_id: DecisionId },
    Object { claim_id: ClaimId, provider: usize },
    DecideObjection { objection_id: ObjectionId, claim_id: ClaimId, reviewer: usize },
    DecideReimbursement { id: ReimbursementId },
    ApproveReimbursement { id: ReimbursementId },
}

impl Task {
    fn rank(&self) -> u8 {
        match self {
            Task::RequestPreauth(_) => 0,
            Task::DecidePreauth(_) => 1,
            Task::Claim(_) => 2,
            Task::FileReimbursement(_) => 3,
            Task::Review { .. } => 4,
            Task::Supervise { .. } => 5,
            Task::Object { .. } => 6,
            Task::DecideObjection { .. } => 7,
            Task::DecideReimbursement { .. } => 8,
            Task::ApproveReimbursement { .. } => 9,
        }
    }
}

/// The codes a month's documents are made of, read from the tariff in force today (sorted, so
/// that the seed decides alone which are drawn).
struct Pools {
    lab: Vec<String>,
    lab_for_women: Vec<String>,
    lab_preauth: Vec<String>,
    imaging: Vec<String>,
    imaging_preauth: Vec<String>,
    procedure: Vec<String>,
    surgery: Vec<String>,
    dental: Vec<String>,
    dental_not_covered: Vec<String>,
    physio: Vec<String>,
    drugs: Vec<String>,
    otc: Vec<String>,
}

impl Pools {
    fn from_tariff(t: &Tariff) -> Result<Pools, String> {
        let plain = |s: &ServiceTariff| {
            !s.not_covered
                && !s.requires_preauth
                && s.sex.is_none()
                && s.min_age.is_none()
                && s.max_age.is_none()
                && s.min_interval_days.is_none()
                && s.global_prices.is_none()
        };
        let codes = |f: &dyn Fn(&ServiceTariff) -> bool| {
            let mut v: Vec<String> = t.services.values().filter(|s| f(s)).map(|s| s.code.clone()).collect();
            v.sort();
            v
        };
        use ServiceCategory as C;
        let pools = Pools {
            lab: codes(&|s| s.category == C::Lab && plain(s) && !s.needs_medical_record),
            lab_for_women: codes(&|s| {
                s.category == C::Lab
                    && s.sex == Some(crate::domain::tariff::Sex::Female)
                    && s.min_age.is_none()
                    && !s.requires_preauth
            }),
            lab_preauth: codes(&|s| {
                matches!(s.category, C::Lab | C::Pathology)
                    && s.requires_preauth
                    && !s.needs_medical_record
                    && s.sex.is_none()
            }),
            imaging: codes(&|s| s.category == C::Imaging && plain(s) && !s.needs_medical_record),
            imaging_preauth: codes(&|s| {
                s.category == C::Imaging && s.requires_preauth && s.sex.is_none() && s.min_age.is_none()
            }),
            procedure: codes(&|s| s.category == C::Procedure && plain(s) && !s.needs_medical_record),
            surgery: codes(&|s| s.category == C::Surgery && plain(s)),
            dental: codes(&|s| s.category == C::Dental && plain(s)),
            dental_not_covered: codes(&|s| s.category == C::Dental && s.not_covered),
            physio: codes(&|s| s.category == C::Physiotherapy && plain(s) && !s.needs_medical_record),
            // Everyday drugs: the specialty ones (the Organization's own share, vials of
            // millions of rials) are for the special-disease centres, not a month's pharmacies.
            drugs: {
                let mut v: Vec<String> = t
                    .drugs
                    .values()
                    .filter(|d| {
                        d.covered
                            && !d.otc
                            && d.insurer_share_percent.is_none()
                            && d.unit_price <= 2_000_000
                            && d.max_per_prescription >= 2
                    })
                    .map(|d| d.generic_code.clone())
                    .collect();
                v.sort();
                v
            },
            otc: {
                let mut v: Vec<String> =
                    t.drugs.values().filter(|d| d.covered && d.otc).map(|d| d.generic_code.clone()).collect();
                v.sort();
                v
            },
        };
        let empty = [
            ("lab", pools.lab.is_empty()),
            ("imaging", pools.imaging.is_empty()),
            ("procedure", pools.procedure.is_empty()),
            ("surgery", pools.surgery.is_empty()),
            ("dental", pools.dental.is_empty()),
            ("physiotherapy", pools.physio.is_empty()),
            ("drugs", pools.drugs.is_empty()),
        ];
        if let Some((what, _)) = empty.iter().find(|(_, e)| *e) {
            return Err(format!("the tariff {} has no {what} codes to make claims of", t.meta.year));
        }
        Ok(pools)
    }
}

/// An `AppError` as a command prints it, naming the step.
fn failed(what: &'static str) -> impl Fn(AppError) -> String {
    move |e| match e {
        AppError::Validation(errs) => format!(
            "{what}: {}",
            errs.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; ")
        ),
        other => format!("{what}: {other} ({})", other.detail()),
    }
}

fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn jalali(d: NaiveDate) -> String {
    JalaliDate::from_gregorian(d).to_string()
}

/// The demonstration's state while the month is played.
struct Demo<'a> {
    ctx: &'a mut ServiceContext,
    rng: StdRng,
    /// The service clock's day when the demonstration started.
    today: NaiveDate,
    first_day: NaiveDate,
    office_id: OfficeId,
    admin: Caller,
    reviewers: Vec<Caller>,
    supervisor: Caller,
    advisor: Caller,
    insured_user: Option<Caller>,
    providers: Vec<Provider>,
    people: Vec<Person>,
    /// National codes already given to someone: at 100,000 claims the demo registers some
    /// 50,000 people, and random codes would collide (the register refuses a second person).
    issued_codes: std::collections::HashSet<String>,
    /// Physicians who write prescriptions and referrals.
    physicians: Vec<String>,
    pools: Pools,
    claims: Vec<ClaimPlan>,
    preauths: Vec<PreauthPlan>,
    reimbursements: Vec<ReimbursementPlan>,
    agenda: BTreeMap<(NaiveDate, u8, u64), Task>,
    scheduled: u64,
    /// Claims sent, for the duplicates: (provider, person, service date, document body).
    sent: Vec<(usize, usize, NaiveDate, Value)>,
    /// Who reviewed a claim (its objection goes to the other reviewer).
    reviewed_by: BTreeMap<ClaimId, usize>,
    /// The last status seen of each case, for the report.
    preauth_status: BTreeMap<PreauthId, String>,
    objection_status: BTreeMap<ObjectionId, String>,
    reimbursement_status: BTreeMap<ReimbursementId, String>,
    report: Report,
    bar: indicatif::ProgressBar,
}

pub(super) async fn play(ctx: &mut ServiceContext, options: &Options) -> Result<Report, String> {
    refuse_a_database_in_use(ctx).await?;
    let today = ctx.today();
    let original_clock = ctx.clock;
    let book = ctx.tariffs();
    let tariff = book.for_date(today).ok_or_else(|| {
        format!("no tariff is in force on {} (import one: asnad tariffs import)", jalali(today))
    })?;
    let pools = Pools::from_tariff(tariff)?;
    let bar = if options.progress {
        indicatif::ProgressBar::new(options.claims as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} claims {msg} ({elapsed})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut rng = StdRng::seed_from_u64(options.seed);
    let physicians = (0..14).map(|_| names::digits(&mut rng, 6)).collect();
    let (office_id, admin, staff) = setup_office_and_staff(ctx).await?;
    let mut demo = Demo {
        ctx,
        rng,
        today,
        first_day: today - Duration::days(29),
        office_id,
        reviewers: vec![staff.reviewer1, staff.reviewer2],
        supervisor: staff.supervisor,
        advisor: staff.advisor,
        admin,
        insured_user: None,
        providers: Vec::new(),
        people: Vec::new(),
        issued_codes: Default::default(),
        physicians,
        pools,
        claims: Vec::new(),
        preauths: Vec::new(),
        reimbursements: Vec::new(),
        agenda: BTreeMap::new(),
        scheduled: 0,
        sent: Vec::new(),
        reviewed_by: BTreeMap::new(),
        preauth_status: BTreeMap::new(),
        objection_status: BTreeMap::new(),
        reimbursement_status: BTreeMap::new(),
        report: Report { users: staff.users, ..Report::default() },
        bar,
    };
    demo.report.from = jalali(demo.first_day);
    demo.report.to = jalali(today);
    demo.setup_providers(options.claims).await?;
    demo.setup_insured(options.claims).await?;
    demo.plan(options.claims);
    let result = demo.play_the_month().await;
    demo.ctx.clock = original_clock;
    result?;
    demo.bar.finish_and_clear();
    demo.count().await?;
    Ok(demo.report)
}

/// `asnad demo` makes its own world: a database that already holds claims or providers is
/// refused, whatever else it holds.
async fn refuse_a_database_in_use(ctx: &ServiceContext) -> Result<(), String> {
    let (claims, providers) = ctx
        .db(|conn| {
            let claims = crate::store::claims::list(
                conn,
                &crate::store::claims::ClaimFilter { scope: Scope::All, limit: 1, ..Default::default() },
            )?;
            let providers = crate::store::providers::list_providers(
                conn,
                &crate::store::providers::ProviderFilter {
                    scope: Scope::All,
                    limit: 1,
                    ..Default::default()
                },
            )?;
            Ok((claims.len(), providers.len()))
        })
        .await
        .map_err(failed("reading the database"))?;
    if claims > 0 {
        return Err("the database already holds claims; `asnad demo` fills an empty database only \
                    (point ASNAD_DATABASE_URL at a new one)"
            .into());
    }
    if providers > 0 {
        return Err("the database already holds providers; `asnad demo` fills an empty database only \
                    (point ASNAD_DATABASE_URL at a new one)"
            .into());
    }
    Ok(())
}

struct Staff {
    reviewer1: Caller,
    reviewer2: Caller,
    supervisor: Caller,
    advisor: Caller,
    users: Vec<DemoUser>,
}

/// Creates a user with a one-time password (as `asnad user add` or `POST /api/v1/users` does)
/// and returns it as an in-process caller, with the line of the users' table.
async fn add_user(
    ctx: &ServiceContext,
    actor: &Actor,
    username: &str,
    display_name: String,
    role: Role,
    scope: (Option<ProviderId>, Option<OfficeId>, Option<InsuredId>),
    bound_to: String,
) -> Result<(Caller, DemoUser), String> {
    let (provider_id, office_id, insured_id) = scope;
    // The management roles: a province manager of the demo office's province (Tehran, 1).
    let province_id = (role == Role::ProvinceManager).then_some(1);
    let created = services::users::create_user(
        ctx,
        actor.clone(),
        services::users::NewUser {
            username: username.into(),
            display_name,
            email: None,
            role,
            provider_id,
            office_id,
            insured_id,
            province_id,
            password: None,
            must_change_password: true,
        },
    )
    .await
    .map_err(failed("creating a user"))?;
    let caller = services::auth::in_process_caller(ctx, created.user.id.clone())
        .await
        .map_err(failed("resolving a user"))?;
    let line = DemoUser {
        username: created.user.username,
        role: role.as_str().into(),
        bound_to,
        password: created.generated_password.unwrap_or_default(),
    };
    Ok((caller, line))
}

async fn setup_office_and_staff(ctx: &ServiceContext) -> Result<(OfficeId, Caller, Staff), String> {
    // The first administrator is made from the command line, as `asnad user add` makes one.
    let operator = std::env::var("USER").unwrap_or_else(|_| "operator".into());
    let cli = Actor { id: None, name: format!("cli:{operator}"), role: "cli".into() };
    let mut users = Vec::new();
    let (admin, line) = add_user(
        ctx,
        &cli,
        "demo.admin",
        "مدیر سامانه (نمونه)".into(),
        Role::Admin,
        (None, None, None),
        String::new(),
    )
    .await?;
    users.push(line);
    let by_admin = Actor::of(&admin);
    let office = services::offices::create(
        ctx,
        by_admin.clone(),
        services::offices::OfficeInput {
            province_id: 1,
            code: "THR-DEMO".into(),
            name_fa: "دفتر رسیدگی به اسناد پزشکی تهران (نمونه)".into(),
            name_en: "Tehran medical claims review office (demo)".into(),
            address: Some("تهران، خیابان آزادی، ساختمان مدیریت درمان".into()),
            phone: Some("02166000000".into()),
            email: Some("review.thr@example.ir".into()),
            active: true,
            auto_approve_limit: Some(AUTO_APPROVE_LIMIT),
        },
    )
    .await
    .map_err(failed("creating the office"))?;
    let in_office = || (None, Some(office.id.clone()), None);
    let mut staff = Vec::new();
    for (username, display, role, scope, bound) in [
        ("demo.tariffs", "کارشناس تعرفه", Role::TariffAdmin, (None, None, None), String::new()),
        (
            "demo.reviewer1",
            "مریم احمدی — کارشناس رسیدگی",
            Role::Reviewer,
            in_office(),
            office.name_fa.clone(),
        ),
        (
            "demo.reviewer2",
            "حسین رضایی — کارشناس رسیدگی",
            Role::Reviewer,
            in_office(),
            office.name_fa.clone(),
        ),
        (
            "demo.supervisor",
            "زهرا کریمی — سرپرست رسیدگی",
            Role::Supervisor,
            in_office(),
            office.name_fa.clone(),
        ),
        (
            "demo.advisor",
            "دکتر علی موسوی — پزشک معتمد",
            Role::MedicalAdvisor,
            (None, None, None),
            String::new(),
        ),
        ("demo.finance", "کارشناس مالی", Role::Finance, (None, None, None), String::new()),
        (
            "demo.province",
            "مدیریت درمان استان تهران",
            Role::ProvinceManager,
            (None, None, None),
            "استان تهران".into(),
        ),
        ("demo.hq", "ستاد درمان غیرمستقیم", Role::Headquarters, (None, None, None), String::new()),
    ] {
        let (caller, line) = add_user(ctx, &by_admin, username, display.into(), role, scope, bound).await?;
        users.push(line);
        staff.push(caller);
    }
    let mut staff = staff.into_iter();
    let mut next = || staff.next().ok_or_else(|| "internal: staff".to_string());
    let _tariffs = next()?;
    let reviewer1 = next()?;
    let reviewer2 = next()?;
    let supervisor = next()?;
    let advisor = next()?;
    let _finance = next()?;
    Ok((office.id, admin, Staff { reviewer1, reviewer2, supervisor, advisor, users }))
}

impl Demo<'_> {
    /// Sets the service clock to `day` (see `clock`: the pinned day with the real time of day).
    fn set_day(&mut self, day: NaiveDate) {
        if self.ctx.today() != day {
            self.ctx.clock = Clock::new(Some(day));
        }
    }

    fn schedule(&mut self, day: NaiveDate, task: Task) {
        if day > self.today {
            return; // after the month: not (yet) done
        }
        self.scheduled += 1;
        self.agenda.insert((day, task.rank(), self.scheduled), task);
    }

    async fn setup_providers(&mut self, claims: usize) -> Result<(), String> {
        let year = JalaliDate::from_gregorian(self.first_day).year();
        let valid_from = JalaliDate::year_start(year);
        let last_year = JalaliDate::from_gregorian(self.today).year();
        let valid_to = JalaliDate::year_start(last_year + 1) - Duration::days(1);
        for (n, spec) in PROVIDERS.iter().enumerate() {
            let individual = spec.degree.is_some();
            let council_no = individual.then(|| names::digits(&mut self.rng, 6));
            let body = json!({
                "name_fa": spec.name_fa,
                "name_en": spec.name_en,
                "kind": spec.kind,
                "sector": spec.sector,
                "hospital_grade": spec.grade,
                "province_id": 1,
                "office_id": self.office_id,
                "legal_national_id": (!individual).then(|| format!("1010{}", names::digits(&mut self.rng, 7))),
                "medical_council_no": council_no,
                "physician_degree": spec.degree,
                "sheba": names::sheba(&mut self.rng),
                "phone": format!("021{}", names::digits(&mut self.rng, 8)),
                "address": "تهران",
            });
            // The API's own body type and checks (`POST /api/v1/providers`).
            let body: crate::api::providers::ProviderBody =
                serde_json::from_value(body).map_err(|e| format!("provider {}: {e}", spec.slug))?;
            body.validate().map_err(|e| format!("provider {}: {e}", spec.slug))?;
            let row = body.into_row(ProviderId::new()).map_err(failed("registering a provider"))?;
            let row = services::providers::create(self.ctx, Actor::of(&self.admin), row)
                .await
                .map_err(failed("registering a provider"))?;
            let mut terms: Value = serde_json::from_str(spec.terms).map_err(|e| e.to_string())?;
            if spec.kind == "physiotherapy" {
                // About half of what the centre's sessions of one Jalali month come to, so
                // that the ceiling is reached in the second half of that month (R19).
                terms["monthly_ceiling"] = json!(claims as i64 * 20_000);
            }
            let terms = serde_json::from_value(terms).map_err(|e| format!("terms of {}: {e}", spec.slug))?;
            let contract = services::providers::create_contract(
                self.ctx,
                self.admin.clone(),
                services::providers::NewContract {
                    number: format!("SSO-THR-{year}-{:03}", n + 1),
                    provider_id: row.id.clone(),
                    valid_from,
                    valid_to,
                    terms,
                    note: Some("قرارداد نمونه".into()),
                },
            )
            .await
            .map_err(failed("making a contract"))?;
            services::providers::change_status(
                self.ctx,
                self.admin.clone(),
                contract.id,
                crate::domain::contract::ContractAction::Activate,
                valid_from,
                None,
                None,
            )
            .await
            .map_err(failed("activating a contract"))?;
            let username = format!("demo.{}", spec.slug);
            let (user, line) = add_user(
                self.ctx,
                &Actor::of(&self.admin),
                &username,
                format!("کاربر {}", spec.name_fa),
                Role::Provider,
                (Some(row.id.clone()), None, None),
                spec.name_fa.into(),
            )
            .await?;
            self.report.users.push(line);
            let key = services::auth::create_api_key(
                self.ctx,
                self.admin.clone(),
                user.user_id.clone(),
                "HIS".into(),
            )
            .await
            .map_err(failed("issuing an API key"))?;
            // The provider's system authenticates with its key, exactly as over HTTP.
            let system = services::auth::authenticate(self.ctx, key.key.clone())
                .await
                .map_err(failed("authenticating an API key"))?;
            self.report.api_keys.push(DemoKey { provider: spec.name_fa.into(), username, key: key.key });
            self.providers.push(Provider {
                spec,
                id: row.id,
                system,
                sector: Sector::parse(spec.sector).unwrap_or(Sector::Private),
                grade: spec.grade.map(|g| g as u8),
                may_bill_gap: spec.terms.contains("may_bill_gap"),
                council_no,
                documents: 0,
            });
        }
        self.report.providers = self.providers.len();
        Ok(())
    }

    async fn setup_insured(&mut self, claims: usize) -> Result<(), String> {
        let families = (claims / 5).max(40);
        let coverage_from = JalaliDate::year_start(1395);
        for family in 0..families {
            let rng = &mut self.rng;
            let male = rng.gen_bool(0.75);
            let pensioner = rng.gen_bool(0.12);
            let age = if pensioner { rng.gen_range(61..80) } else { rng.gen_range(24..60) };
            let birth = self.today - Duration::days(age * 365 + rng.gen_range(0..365));
            // A few whose coverage ended two months ago: their claims are refused (R02).
            let eligible = family == 0 || !rng.gen_bool(0.03);
            let main = Person {
                national_code: names::unused_national_code(rng, &mut self.issued_codes),
                first_name: if male { pick(rng, names::MALE_NAMES) } else { pick(rng, names::FEMALE_NAMES) },
                last_name: pick(rng, names::LAST_NAMES),
                male,
                birth,
                main: None,
                eligible,
                sheba: names::sheba(rng),
            };
            let insurance_type = if pensioner {
                "pensioner"
            } else {
                weighted(rng, &[("mandatory", 80u32), ("self_employed", 12), ("voluntary", 8)])
            };
            let to = (!eligible).then(|| iso(self.today - Duration::days(60)));
            let body = json!({
                "national_code": main.national_code,
                "insurance_no": names::digits(rng, 8),
                "first_name": main.first_name,
                "last_name": main.last_name,
                "sex": if male { "male" } else { "female" },
                "birth_date": iso(birth),
                "mobile": names::mobile(rng),
                "insurance_type": insurance_type,
                "special_disease": rng.gen_bool(0.03),
                "married": true,
                "coverage": [{"from": iso(coverage_from), "to": to}],
            });
            let main_index = self.people.len();
            self.register(body).await?;
            self.people.push(main);
            // A wife, and children: sons under 18, daughters unmarried.
            let rng = &mut self.rng;
            let mut dependants = Vec::new();
            if male && age < 70 && rng.gen_bool(0.8) {
                dependants.push(("spouse", false, age - rng.gen_range(0..8)));
            }
            if age < 55 {
                for _ in 0..rng.gen_range(0..=3) {
                    let son = rng.gen_bool(0.5);
                    let child_age = rng.gen_range(1..(age - 20).clamp(2, 17));
                    dependants.push(("child", son, child_age));
                }
            }
            for (relation, male, dep_age) in dependants {
                let rng = &mut self.rng;
                let person = Person {
                    national_code: names::unused_national_code(rng, &mut self.issued_codes),
                    first_name: if male {
                        pick(rng, names::MALE_NAMES)
                    } else {
                        pick(rng, names::FEMALE_NAMES)
                    },
                    last_name: if relation == "spouse" {
                        pick(rng, names::LAST_NAMES)
                    } else {
                        self.people[main_index].last_name
                    },
                    male,
                    birth: self.today - Duration::days(dep_age * 365 + rng.gen_range(0..365)),
                    main: Some(main_index),
                    eligible,
                    sheba: String::new(),
                };
                let body = json!({
                    "national_code": person.national_code,
                    "first_name": person.first_name,
                    "last_name": person.last_name,
                    "sex": if male { "male" } else { "female" },
                    "birth_date": iso(person.birth),
                    "insurance_type": insurance_type,
                    "main_national_code": self.people[main_index].national_code,
                    "relation": relation,
                    "married": relation == "spouse",
                });
                self.register(body).await?;
                self.people.push(person);
            }
        }
        self.report.insured = self.people.len();
        // The insured person's user: the first family's main insured, who files reimbursements.
        let first = &self.people[0];
        let (caller, line) = add_user(
            self.ctx,
            &Actor::of(&self.admin),
            "demo.insured",
            first.name(),
            Role::Insured,
            (None, None, Some(self.insured_id(0).await?)),
            format!("{} ({})", first.name(), first.national_code),
        )
        .await?;
        self.report.users.push(line);
        self.insured_user = Some(caller);
        Ok(())
    }

    /// `POST /api/v1/insured`: the API's body type and checks, then the use case.
    async fn register(&mut self, body: Value) -> Result<(), String> {
        let body: crate::api::insured::InsuredBody =
            serde_json::from_value(body).map_err(|e| format!("insured person: {e}"))?;
        body.validate().map_err(|e| format!("insured person: {e}"))?;
        let input = body.into_input().map_err(failed("registering an insured person"))?;
        services::insured::create(self.ctx, input).await.map_err(failed("registering an insured person"))?;
        Ok(())
    }

    async fn insured_id(&self, person: usize) -> Result<InsuredId, String> {
        let code = crate::domain::ids::NationalCode::parse(&self.people[person].national_code)
            .map_err(|e| e.to_string())?;
        let view = services::insured::get(self.ctx, self.admin.clone(), code)
            .await
            .map_err(failed("reading an insured person"))?;
        Ok(view.id)
    }

    fn providers_of(&self, kinds: &[&str]) -> Vec<usize> {
        (0..self.providers.len()).filter(|i| kinds.contains(&self.providers[*i].spec.kind)).collect()
    }

    /// A covered patient (or, for `Ineligible`, one whose coverage ended) who may have the
    /// recipe's care.
    fn patient(&mut self, recipe: Recipe, flavor: Flavor) -> usize {
        for _ in 0..1000 {
            let i = self.rng.gen_range(0..self.people.len());
            let p = &self.people[i];
            let age = p.age_on(self.today);
            let fits = match flavor {
                Flavor::Ineligible => !p.eligible,
                Flavor::WrongSex => p.eligible && p.male && age >= 18,
                Flavor::Otc => p.eligible && age >= 12,
                _ => p.eligible,
            } && match recipe {
                Recipe::Inpatient | Recipe::DaySurgery => age >= 15,
                _ => true,
            };
            if fits {
                return i;
            }
        }
        // Every family may be covered (a small run): the first person, who always is.
        0
    }

    /// Plans the month: every claim, pre-authorization and reimbursement, from the seed.
    fn plan(&mut self, claims: usize) {
        for _ in 0..claims {
            let recipe = weighted(&mut self.rng, RECIPES);
            let mut flavor = weighted(&mut self.rng, flavors(recipe));
            if flavor == Flavor::Ineligible && !self.people.iter().any(|p| !p.eligible) {
                flavor = Flavor::Clean;
            }
            let kinds: &[&str] = match recipe {
                Recipe::Pharmacy => &["pharmacy"],
                Recipe::Visit => &["physician_office"],
                Recipe::ClinicVisit => &["clinic", "polyclinic"],
                Recipe::Lab => &["laboratory"],
                Recipe::Imaging => &["imaging"],
                Recipe::Dental => &["dental_office"],
                Recipe::Physio => &["physiotherapy"],
                Recipe::Emergency | Recipe::Inpatient => &["hospital"],
                Recipe::DaySurgery => &["day_surgery"],
            };
            let candidates = self.providers_of(kinds);
            let provider = candidates[self.rng.gen_range(0..candidates.len())];
            let person = self.patient(recipe, flavor);
            let preauth_flavor =
                matches!(flavor, Flavor::PreauthApproved | Flavor::PreauthRefused | Flavor::PreauthMissing);
            // A pre-authorized service comes some days after the request.
            let earliest = if preauth_flavor { 6 } else { 0 };
            let service = self.first_day + Duration::days(self.rng.gen_range(earliest..30));
            let stay = if recipe == Recipe::Inpatient { self.rng.gen_range(1..=5i64) } else { 0 };
            let stay = stay.min((self.today - service).num_days());
            let received = (service + Duration::days(stay + self.rng.gen_range(0..=4i64))).min(self.today);
            let preauth = match flavor {
                Flavor::PreauthApproved | Flavor::PreauthRefused => {
                    let pool = if recipe == Recipe::Imaging {
                        &self.pools.imaging_preauth
                    } else {
                        &self.pools.lab_preauth
                    };
                    if pool.is_empty() {
                        flavor = Flavor::Clean;
                        None
                    } else {
                        let code = pool[self.rng.gen_range(0..pool.len())].clone();
                        let requested = service - Duration::days(self.rng.gen_range(3..=6));
                        self.preauths.push(PreauthPlan {
                            provider,
                            person,
                            code,
                            quantity: 1,
                            verdict: if flavor == Flavor::PreauthApproved {
                                Verdict::Approve
                            } else {
                                Verdict::Refuse
                            },
                            requested,
                            decided: requested + Duration::days(self.rng.gen_range(1..=2)),
                            id: None,
                        });
                        Some(self.preauths.len() - 1)
                    }
                }
                _ => None,
            };
            self.claims.push(ClaimPlan {
                recipe,
                flavor,
                provider,
                person,
                service,
                received,
                stay,
                preauth,
            });
        }
        // Requests the medical advisor has not decided yet.
        let labs = self.providers_of(&["laboratory", "imaging"]);
        for _ in 0..(claims / 100).max(2) {
            let provider = labs[self.rng.gen_range(0..labs.len())];
            let pool = if self.providers[provider].spec.kind == "imaging"
                && !self.pools.imaging_preauth.is_empty()
            {
                &self.pools.imaging_preauth
            } else if !self.pools.lab_preauth.is_empty() {
                &self.pools.lab_preauth
            } else {
                continue;
            };
            let code = pool[self.rng.gen_range(0..pool.len())].clone();
            let person = self.patient(Recipe::Lab, Flavor::Clean);
            let requested = self.today - Duration::days(self.rng.gen_range(0..4));
            self.preauths.push(PreauthPlan {
                provider,
                person,
                code,
                quantity: 1,
                verdict: Verdict::Pending,
                requested,
                decided: requested,
                id: None,
            });
        }
        // Reimbursements: families who paid a non-contracted provider.
        for n in 0..(claims / 40).max(4) {
            let by_insured = n < 2;
            let main = if by_insured {
                0
            } else {
                loop {
                    let i = self.rng.gen_range(0..self.people.len());
                    if self.people[i].main.is_none() && self.people[i].eligible {
                        break i;
                    }
                }
            };
            let family: Vec<usize> =
                (0..self.people.len()).filter(|i| *i == main || self.people[*i].main == Some(main)).collect();
            let patient = family[self.rng.gen_range(0..family.len())];
            let kind = weighted(
                &mut self.rng,
                &[
                    (ReimbursementKind::Visit, 40),
                    (ReimbursementKind::Lab, 25),
                    (ReimbursementKind::Pharmacy, 25),
                    (ReimbursementKind::Glasses, 10),
                ],
            );
            let filed = self.first_day + Duration::days(self.rng.gen_range(3..30));
            let service = filed - Duration::days(self.rng.gen_range(1..=10));
            let submit = self.rng.gen_bool(0.85);
            self.reimbursements.push(ReimbursementPlan {
                main,
                patient,
                by_insured,
                kind,
                filed,
                service,
                submit,
            });
        }
        for i in 0..self.preauths.len() {
            let (requested, decided, verdict) =
                (self.preauths[i].requested, self.preauths[i].decided, self.preauths[i].verdict);
            self.schedule(requested, Task::RequestPreauth(i));
            if verdict != Verdict::Pending {
                self.schedule(decided, Task::DecidePreauth(i));
            }
        }
        for i in 0..self.claims.len() {
            let day = self.claims[i].received;
            self.schedule(day, Task::Claim(i));
        }
        for i in 0..self.reimbursements.len() {
            let day = self.reimbursements[i].filed;
            self.schedule(day, Task::FileReimbursement(i));
        }
    }

    async fn play_the_month(&mut self) -> Result<(), String> {
        while let Some(((day, _, _), task)) = self.agenda.pop_first() {
            self.set_day(day);
            self.bar.set_message(jalali(day));
            match task {
                Task::RequestPreauth(i) => self.request_preauth(i).await?,
                Task::DecidePreauth(i) => self.decide_preauth(i).await?,
                Task::Claim(i) => {
                    self.send_claim(i).await?;
                    self.bar.inc(1);
                }
                Task::FileReimbursement(i) => self.file_reimbursement(i).await?,
                Task::Review { claim_id, reviewer } => self.review(claim_id, reviewer).await?,
                Task::Supervise { decision_id } => self.supervise(decision_id).await?,
                Task::Object { claim_id, provider } => self.object(claim_id, provider).await?,
                Task::DecideObjection { objection_id, claim_id, reviewer } => {
                    self.decide_objection(objection_id, claim_id, reviewer).await?
                }
                Task::DecideReimbursement { id } => self.decide_reimbursement(id).await?,
                Task::ApproveReimbursement { id } => self.approve_reimbursement(id).await?,
            }
        }
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Pre-authorizations

    async fn request_preauth(&mut self, i: usize) -> Result<(), String> {
        let plan = &self.preauths[i];
        let provider = &self.providers[plan.provider];
        let person = &self.people[plan.person];
        let dx = pick(&mut self.rng, names::DX_OUTPATIENT).to_string();
        let new = services::preauth::NewRequest {
            national_code: person.national_code.clone(),
            item_type: ItemType::Service,
            code: plan.code.clone(),
            quantity: Decimal::from(plan.quantity),
            diagnoses: vec![dx.clone()],
            justification: "بیمار با علائم پایدار پس از درمان اولیه؛ انجام این خدمت برای تشخیص قطعی لازم است."
                .into(),
        };
        let (caller, number, code) = (
            provider.system.clone(),
            format!("PA-{}-{i:04}", provider.spec.slug),
            person.national_code.clone(),
        );
        let view = services::preauth::request(self.ctx, caller.clone(), new)
            .await
            .map_err(failed("requesting a pre-authorization"))?;
        // The physician's letter goes into the request's file.
        let lines = vec![format!("Service {} requested, diagnosis {dx}", self.preauths[i].code)];
        let bytes = scans::pdf(&Page {
            title: "Medical report",
            number: &number,
            date: &jalali(self.ctx.today()),
            national_code: &code,
            lines: &lines,
        });
        self.attach_case(
            caller,
            services::attachments::CaseKind::Preauthorization,
            view.id.to_string(),
            "medical_report",
            &number,
            bytes,
            "pdf",
        )
        .await?;
        self.preauth_status.insert(view.id.clone(), view.status.to_string());
        self.preauths[i].id = Some(view.id);
        Ok(())
    }

    async fn decide_preauth(&mut self, i: usize) -> Result<(), String> {
        let Some(id) = self.preauths[i].id.clone() else { return Ok(()) };
        let today = self.ctx.today();
        let decision = match self.preauths[i].verdict {
            Verdict::Approve => services::preauth::AdvisorDecision {
                decision: services::preauth::Verdict::Approve,
                approved_quantity: Some(Decimal::from(self.preauths[i].quantity)),
                valid_from: Some(today),
                valid_to: Some(today + Duration::days(60)),
                reason: None,
                note: Some("با توجه به گزارش پزشک معالج تأیید شد.".into()),
            },
            _ => services::preauth::AdvisorDecision {
                decision: services::preauth::Verdict::Reject,
                approved_quantity: None,
                valid_from: None,
                valid_to: None,
                reason: None,
                note: Some(
                    "ضرورت پزشکی با مدارک ارسالی احراز نشد؛ ابتدا روش‌های تشخیصی ساده‌تر انجام شود.".into(),
                ),
            },
        };
        let view = services::preauth::decide(self.ctx, self.advisor.clone(), id, decision)
            .await
            .map_err(failed("deciding a pre-authorization"))?;
        self.preauth_status.insert(view.id, view.status.to_string());
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Claims

    /// The tariff price of a line for a provider: the most it may charge (its own sector's
    /// tariff under a gap-billing contract, else the government tariff the Organization pays).
    fn price(&self, p: &Provider, date: NaiveDate, item: ItemType, code: &str, qty: u32) -> Option<Price> {
        let book = self.ctx.tariffs();
        let tariff = book.for_date(date)?;
        let terms = ProviderTerms {
            sector: if p.may_bill_gap { p.sector } else { Sector::Government },
            hospital_grade: p.grade,
            tariff_basis: Sector::Government,
        };
        let line = LineToPrice {
            item_type: item,
            code,
            quantity: Decimal::from(qty),
            extra_anesthesia_units: Decimal::ZERO,
        };
        price_line(tariff, &line, &terms).ok()
    }

    fn max_per_prescription(&self, date: NaiveDate, code: &str) -> u32 {
        let book = self.ctx.tariffs();
        book.for_date(date).and_then(|t| t.drug(code).map(|d| d.max_per_prescription)).unwrap_or(1)
    }

    fn draw(&mut self, pool: fn(&Pools) -> &Vec<String>, n: usize) -> Vec<String> {
        let pool = pool(&self.pools).clone();
        let mut out: Vec<String> = Vec::new();
        for _ in 0..n * 4 {
            if out.len() == n || pool.is_empty() {
                break;
            }
            let c = pool[self.rng.gen_range(0..pool.len())].clone();
            if !out.contains(&c) {
                out.push(c);
            }
        }
        out
    }

    /// One claim line at the tariff, as `(item type, code, quantity, billed, unit price)`.
    fn at_tariff(&self, p: usize, date: NaiveDate, item: ItemType, code: &str, qty: u32) -> Option<Value> {
        let price = self.price(&self.providers[p], date, item, code, qty)?;
        Some(json!({
            "item_type": item.as_str(),
            "code": code,
            "quantity": qty.to_string(),
            "service_date": iso(date),
            "billed_amount": price.cap_amount.0,
        }))
    }

    /// The document a provider's system sends for a planned claim (the body of `POST
    /// /api/v1/claims`).
    fn document(&mut self, i: usize) -> Option<Value> {
        let c = &self.claims[i];
        let (recipe, flavor, p, person, date, stay, preauth) =
            (c.recipe, c.flavor, c.provider, c.person, c.service, c.stay, c.preauth);
        let patient = &self.people[person];
        let national_code = patient.national_code.clone();
        let male = patient.male;
        let provider = &self.providers[p];
        let own_physician = provider.council_no.clone();
        let physician = own_physician
            .clone()
            .unwrap_or_else(|| self.physicians[self.rng.gen_range(0..self.physicians.len())].clone());
        let tracking = format!("14{}", names::digits(&mut self.rng, 10));
        let mut lines: Vec<Value> = Vec::new();
        let mut doc = json!({
            "setting": "outpatient",
            "insured_national_code": national_code,
            "physician_council_no": physician,
        });
        let rng_dx = |rng: &mut StdRng, list: &[&'static str]| json!([pick(rng, list)]);
        match recipe {
            Recipe::Pharmacy => {
                doc["kind"] = json!("pharmacy");
                doc["prescription_tracking_code"] = json!(tracking);
                let prescribed = if flavor == Flavor::ExpiredPrescription {
                    date - Duration::days(70)
                } else {
                    date - Duration::days(self.rng.gen_range(0..=3))
                };
                doc["prescribed_on"] = json!(iso(prescribed));
                doc["diagnoses"] = rng_dx(&mut self.rng, names::DX_OUTPATIENT);
                let n = self.rng.gen_range(1..=4);
                for code in self.draw(|p| &p.drugs, n) {
                    let max = self.max_per_prescription(date, &code);
                    let qty = self.rng.gen_range(1..=max.clamp(1, 30));
                    lines.extend(self.at_tariff(p, date, ItemType::Drug, &code, qty));
                }
                if flavor == Flavor::OverQuantity {
                    if let Some(code) = lines.first().and_then(|l| l["code"].as_str()).map(String::from) {
                        let qty = self.max_per_prescription(date, &code) + self.rng.gen_range(2..=10);
                        if let Some(l) = self.at_tariff(p, date, ItemType::Drug, &code, qty) {
                            lines[0] = l;
                        }
                    }
                }
                if flavor == Flavor::Otc {
                    let otc = self.draw(|p| &p.otc, 1);
                    for code in otc {
                        lines.extend(self.at_tariff(p, date, ItemType::Drug, &code, 1));
                    }
                }
            }
            Recipe::Visit => {
                doc["kind"] = json!("visit");
                doc["diagnoses"] = rng_dx(&mut self.rng, names::DX_OUTPATIENT);
                let code = provider.spec.degree.unwrap_or("general");
                lines.extend(self.at_tariff(p, date, ItemType::Visit, code, 1));
            }
            Recipe::ClinicVisit | Recipe::Emergency => {
                doc["kind"] = json!("visit");
                doc["diagnoses"] = rng_dx(&mut self.rng, names::DX_OUTPATIENT);
                if recipe == Recipe::Emergency {
                    doc["setting"] = json!("emergency");
                    lines.extend(self.at_tariff(p, date, ItemType::Service, "901925", 1));
                } else {
                    let code = if self.rng.gen_bool(0.6) { "specialist" } else { "general" };
                    lines.extend(self.at_tariff(p, date, ItemType::Visit, code, 1));
                }
                let n = self.rng.gen_range(0..=2);
                for code in self.draw(|p| &p.procedure, n) {
                    lines.extend(self.at_tariff(p, date, ItemType::Service, &code, 1));
                }
                if recipe == Recipe::Emergency {
                    let n = self.rng.gen_range(0..=2);
                    for code in self.draw(|p| &p.drugs, n) {
                        lines.extend(self.at_tariff(p, date, ItemType::Drug, &code, 1));
                    }
                }
            }
            Recipe::Lab | Recipe::Imaging => {
                doc["kind"] = json!("paraclinic");
                doc["prescribed_on"] = json!(iso(date - Duration::days(self.rng.gen_range(0..=5))));
                doc["diagnoses"] = rng_dx(&mut self.rng, names::DX_OUTPATIENT);
                let codes = if recipe == Recipe::Lab {
                    let n = self.rng.gen_range(2..=6);
                    self.draw(|p| &p.lab, n)
                } else {
                    let n = self.rng.gen_range(1..=2);
                    self.draw(|p| &p.imaging, n)
                };
                for code in codes {
                    lines.extend(self.at_tariff(p, date, ItemType::Service, &code, 1));
                }
                if flavor == Flavor::OverQuantity {
                    // Twice a test the tariff allows once a day.
                    if let Some(code) = lines.first().and_then(|l| l["code"].as_str()).map(String::from) {
                        if let Some(l) = self.at_tariff(p, date, ItemType::Service, &code, 2) {
                            lines[0] = l;
                        }
                    }
                }
                if flavor == Flavor::WrongSex && male {
                    for code in self.draw(|p| &p.lab_for_women, 1) {
                        lines.extend(self.at_tariff(p, date, ItemType::Service, &code, 1));
                    }
                }
                match (flavor, preauth) {
                    (Flavor::PreauthApproved | Flavor::PreauthRefused, Some(pa)) => {
                        let plan = &self.preauths[pa];
                        if let Some(mut l) = self.at_tariff(p, date, ItemType::Service, &plan.code.clone(), 1)
                        {
                            l["preauthorization_id"] = json!(plan.id);
                            lines.push(l);
                        }
                    }
                    (Flavor::PreauthMissing, _) => {
                        for code in self.draw(|p| &p.lab_preauth, 1) {
                            lines.extend(self.at_tariff(p, date, ItemType::Service, &code, 1));
                        }
                    }
                    _ => {}
                }
            }
            Recipe::Dental => {
                doc["kind"] = json!("dental");
                doc["diagnoses"] = rng_dx(&mut self.rng, names::DX_DENTAL);
                let n = self.rng.gen_range(1..=3);
                for code in self.draw(|p| &p.dental, n) {
                    lines.extend(self.at_tariff(p, date, ItemType::Service, &code, 1));
                }
                if flavor == Flavor::NotCovered {
                    for code in self.draw(|p| &p.dental_not_covered, 1) {
                        lines.extend(self.at_tariff(p, date, ItemType::Service, &code, 1));
                    }
                }
            }
            Recipe::Physio => {
                doc["kind"] = json!("physiotherapy");
                doc["prescribed_on"] = json!(iso(date - Duration::days(self.rng.gen_range(1..=10))));
                doc["diagnoses"] = rng_dx(&mut self.rng, names::DX_PHYSIO);
                let n = self.rng.gen_range(2..=3);
                for code in self.draw(|p| &p.physio, n) {
                    lines.extend(self.at_tariff(p, date, ItemType::Service, &code, 1));
                }
            }
            Recipe::Inpatient | Recipe::DaySurgery => {
                doc["diagnoses"] = rng_dx(&mut self.rng, names::DX_INPATIENT);
                let surgery = self.draw(|p| &p.surgery, 1);
                if recipe == Recipe::Inpatient {
                    doc["kind"] = json!("inpatient");
                    doc["setting"] = json!("inpatient");
                    doc["admitted_on"] = json!(iso(date));
                    doc["discharged_on"] = json!(iso(date + Duration::days(stay)));
                    let room = if flavor == Flavor::PrivateRoom { "bed_1" } else { "bed_3plus" };
                    let nights = stay.max(1) as u32;
                    lines.extend(self.at_tariff(p, date, ItemType::BedDay, room, nights));
                    lines.extend(self.at_tariff(p, date, ItemType::Service, "901905", 1));
                    if self.rng.gen_bool(0.6) {
                        for code in &surgery {
                            lines.extend(self.at_tariff(p, date, ItemType::Service, code, 1));
                        }
                    }
                } else {
                    doc["kind"] = json!("day_surgery");
                    for code in &surgery {
                        lines.extend(self.at_tariff(p, date, ItemType::Service, code, 1));
                    }
                }
                let n = self.rng.gen_range(1..=3);
                for code in self.draw(|p| &p.drugs, n) {
                    lines.extend(self.at_tariff(p, date, ItemType::Drug, &code, 2));
                }
            }
        }
        if lines.is_empty() {
            return None;
        }
        match flavor {
            Flavor::OverBilled => {
                // 10 to 35 % above the tariff, rounded up to a thousand rials.
                let l = &mut lines[0];
                let billed = l["billed_amount"].as_i64().unwrap_or(0);
                let more = billed * self.rng.gen_range(110..=135) / 100;
                l["billed_amount"] = json!((more + 999) / 1000 * 1000);
            }
            Flavor::UnitPrice => {
                let l = &mut lines[0];
                let billed = l["billed_amount"].as_i64().unwrap_or(0);
                let qty: i64 = l["quantity"].as_str().and_then(|q| q.parse().ok()).unwrap_or(1);
                l["unit_price"] = json!(billed / qty.max(1));
                l["billed_amount"] = json!(billed + billed / 10);
            }
            _ => {}
        }
        for (n, l) in lines.iter_mut().enumerate() {
            l["line_no"] = json!(n + 1);
        }
        doc["lines"] = json!(lines);
        Some(doc)
    }

    async fn send_claim(&mut self, i: usize) -> Result<(), String> {
        let (p, person, flavor, recipe, date) = {
            let c = &self.claims[i];
            (c.provider, c.person, c.flavor, c.recipe, c.service)
        };
        // A resent document: an earlier claim's first line, again, under a new number.
        let duplicate = (flavor == Flavor::Duplicate)
            .then(|| self.sent.iter().rev().find(|(sp, _, _, _)| *sp == p).map(|s| (s.1, s.3.clone())))
            .flatten();
        let (person, mut doc) = match duplicate {
            Some((earlier_person, earlier)) => {
                let mut doc = earlier.clone();
                if let Some(first) = earlier["lines"].get(0) {
                    let mut first = first.clone();
                    first["line_no"] = json!(1);
                    doc["lines"] = json!([first]);
                }
                (earlier_person, doc)
            }
            None => match self.document(i) {
                Some(doc) => (person, doc),
                None => return Ok(()),
            },
        };
        let provider = &mut self.providers[p];
        provider.documents += 1;
        let month = JalaliDate::from_gregorian(date);
        let number = format!(
            "{}-{}{:02}-{:05}",
            provider.spec.slug.to_uppercase(),
            month.year(),
            month.month(),
            provider.documents
        );
        doc["provider_document_no"] = json!(number);
        let system = provider.system.clone();
        let today = self.ctx.today();
        // `POST /api/v1/claims`: the API's body type and checks, then the use case.
        let body: services::claim_document::ClaimBody =
            serde_json::from_value(doc.clone()).map_err(|e| format!("claim {number}: {e}"))?;
        body.validate().map_err(|e| format!("claim {number}: {e}"))?;
        let submission = body.into_submission(today).map_err(failed("reading a claim"))?;
        let submitted = services::claims::submit(self.ctx, system.clone(), submission)
            .await
            .map_err(failed("sending a claim"))?;
        let view = submitted.view;
        if flavor == Flavor::Clean && matches!(recipe, Recipe::Lab | Recipe::Imaging | Recipe::Visit) {
            self.sent.push((p, person, date, doc));
        }
        self.attach_scans(i, p, person, &view).await?;
        self.after_decision(&view, p, None);
        if view.status == crate::domain::lifecycle::claim::ClaimStatus::Pended {
            let day = self.ctx.today() + Duration::days(self.rng.gen_range(1..=6));
            let reviewer = self.rng.gen_range(0..self.reviewers.len());
            self.schedule(day, Task::Review { claim_id: view.id.clone(), reviewer });
        }
        Ok(())
    }

    /// The scans a provider sends with a claim: the medical record a pended line waits for, the
    /// discharge summary and invoice of a stay, and now and then a prescription or a result.
    async fn attach_scans(
        &mut self,
        i: usize,
        p: usize,
        person: usize,
        view: &ClaimView,
    ) -> Result<(), String> {
        let recipe = self.claims[i].recipe;
        let pended = view.status == crate::domain::lifecycle::claim::ClaimStatus::Pended;
        let lines: Vec<String> = view
            .lines
            .iter()
            .map(|l| {
                format!(
                    "{}. {} {} x {}  {} rials",
                    l.line_no,
                    l.item_type,
                    l.code,
                    l.quantity,
                    super::rials(l.billed)
                )
            })
            .collect();
        let mut scans: Vec<(&'static str, &'static str, &'static str)> = Vec::new();
        if pended {
            scans.push(("medical_report", "Medical report", "pdf"));
        }
        match recipe {
            Recipe::Inpatient => {
                scans.push(("discharge_summary", "Discharge summary", "pdf"));
                scans.push(("invoice", "Hospital invoice", "png"));
            }
            Recipe::DaySurgery => scans.push(("invoice", "Invoice", "png")),
            Recipe::Pharmacy if self.rng.gen_bool(0.15) => {
                scans.push(("prescription", "Prescription", "png"))
            }
            Recipe::Lab if self.rng.gen_bool(0.15) => scans.push(("lab_result", "Laboratory result", "pdf")),
            Recipe::Imaging if self.rng.gen_bool(0.3) => {
                scans.push(("imaging_report", "Imaging report", "pdf"))
            }
            _ => {}
        }
        let caller = self.providers[p].system.clone();
        let code = self.people[person].national_code.clone();
        let date = jalali(self.ctx.today());
        for (document_type, title, format) in scans {
            let number = format!("{}/{document_type}", view.provider_document_no);
            let page = Page { title, number: &number, date: &date, national_code: &code, lines: &lines };
            let bytes = if format == "pdf" { scans::pdf(&page) } else { scans::png(&page) };
            self.check_size(&bytes)?;
            let upload = services::attachments::Upload {
                document_type: document_type.into(),
                original_name: Some(format!("{}-{document_type}.{format}", view.provider_document_no)),
                bytes,
            };
            services::attachments::attach(self.ctx, caller.clone(), view.id.clone(), upload)
                .await
                .map_err(failed("attaching a scan"))?;
            self.report.attachments += 1;
        }
        Ok(())
    }

    /// The API refuses an upload above `ASNAD_MAX_ATTACHMENT_BYTES` before the use case runs.
    fn check_size(&self, bytes: &[u8]) -> Result<(), String> {
        if bytes.len() > self.ctx.config.max_attachment_bytes {
            return Err(format!("a scan of {} bytes is above ASNAD_MAX_ATTACHMENT_BYTES", bytes.len()));
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn attach_case(
        &mut self,
        caller: Caller,
        kind: services::attachments::CaseKind,
        case_id: String,
        document_type: &str,
        number: &str,
        bytes: Vec<u8>,
        format: &str,
    ) -> Result<(), String> {
        self.check_size(&bytes)?;
        let upload = services::attachments::Upload {
            document_type: document_type.into(),
            original_name: Some(format!("{number}-{document_type}.{format}")),
            bytes,
        };
        services::attachments::attach_to_case(self.ctx, caller, kind, case_id, upload)
            .await
            .map_err(failed("attaching a document"))?;
        self.report.attachments += 1;
        Ok(())
    }

    /// After a claim is decided (by the engine or a reviewer): now and then its provider
    /// objects to a deduction it disputes, within the window.
    fn after_decision(&mut self, view: &ClaimView, provider: usize, reviewer: Option<usize>) {
        if let Some(r) = reviewer {
            self.reviewed_by.insert(view.id.clone(), r);
        }
        if !view.status.is_decided() {
            return;
        }
        let disputable = view.lines.iter().any(|l| {
            l.deducted > 0
                && l.reasons.iter().any(|r| matches!(r.code.as_str(), "R07" | "R09" | "R19" | "R22" | "R90"))
        });
        if disputable && self.rng.gen_bool(0.3) {
            let day = self.ctx.today() + Duration::days(self.rng.gen_range(1..=4));
            self.schedule(day, Task::Object { claim_id: view.id.clone(), provider });
        }
    }

    // -----------------------------------------------------------------------------------------
    // The review office

    async fn review(&mut self, claim_id: ClaimId, reviewer: usize) -> Result<(), String> {
        let caller = self.reviewers[reviewer].clone();
        let view = services::review::take(self.ctx, caller.clone(), claim_id.clone())
            .await
            .map_err(failed("taking a claim"))?;
        let pended: Vec<&crate::services::claims::LineView> = view
            .lines
            .iter()
            .filter(|l| l.status == crate::domain::lifecycle::claim::LineStatus::Pended)
            .collect();
        let roll = self.rng.gen_range(0..100);
        let mut lines = Vec::new();
        let mut note = "پرونده بررسی شد؛ مدارک کامل است.".to_string();
        if let Some(biggest) = pended.iter().max_by_key(|l| l.insurer_payable + l.patient_share) {
            let covered = biggest.insurer_payable + biggest.patient_share;
            if roll < 20 && covered > 0 {
                lines.push(crate::domain::review::LineDecision {
                    line_no: biggest.line_no as u32,
                    action: crate::domain::review::LineAction::Adjust,
                    approved_amount: Some(covered * 85 / 100),
                    approved_quantity: None,
                    reason: Some("R90".into()),
                    note: Some("بخشی از خدمت با گزارش پزشکی پرونده منطبق نیست.".into()),
                });
                note = "کسر بخشی از مبلغ پس از بررسی پرونده.".into();
            } else if roll < 28 && pended.len() > 1 {
                let smallest =
                    pended.iter().min_by_key(|l| l.insurer_payable).map(|l| l.line_no).unwrap_or(1);
                lines.push(crate::domain::review::LineDecision {
                    line_no: smallest as u32,
                    action: crate::domain::review::LineAction::Reject,
                    approved_amount: None,
                    approved_quantity: None,
                    reason: Some("R15".into()),
                    note: Some("گزارش پزشکی این خدمت در پرونده نیست.".into()),
                });
                note = "یک ردیف به علت نقص مدارک رد شد.".into();
            }
        }
        let outcome = services::review::decide(
            self.ctx,
            caller,
            claim_id,
            services::review::DecisionInput { lines, note: Some(note) },
        )
        .await
        .map_err(failed("deciding a claim"))?;
        let provider = self.providers.iter().position(|p| p.id == outcome.claim.provider_id).unwrap_or(0);
        if outcome.status == crate::domain::lifecycle::review::DecisionStatus::AwaitingApproval {
            if self.rng.gen_bool(0.75) {
                let day = self.ctx.today() + Duration::days(self.rng.gen_range(1..=2));
                self.schedule(day, Task::Supervise { decision_id: outcome.decision_id });
            }
            self.reviewed_by.insert(outcome.claim.id.clone(), reviewer);
        } else {
            self.after_decision(&outcome.claim, provider, Some(reviewer));
        }
        Ok(())
    }

    async fn supervise(&mut self, decision_id: DecisionId) -> Result<(), String> {
        let outcome =
            services::review::review_decision(self.ctx, self.supervisor.clone(), decision_id, true, None)
                .await
                .map_err(failed("approving a decision"))?;
        let provider = self.providers.iter().position(|p| p.id == outcome.claim.provider_id).unwrap_or(0);
        self.after_decision(&outcome.claim, provider, None);
        Ok(())
    }

    async fn object(&mut self, claim_id: ClaimId, provider: usize) -> Result<(), String> {
        let caller = self.providers[provider].system.clone();
        let view = services::claims::get(self.ctx, caller.clone(), claim_id.clone())
            .await
            .map_err(failed("reading a claim"))?;
        let line_nos: Vec<u32> =
            view.lines.iter().filter(|l| l.deducted > 0).map(|l| l.line_no as u32).collect();
        if line_nos.is_empty() {
            return Ok(());
        }
        let objection = services::review::object(
            self.ctx,
            caller.clone(),
            claim_id.clone(),
            services::review::ObjectionInput {
                reason:
                    "خدمت طبق دستور پزشک معالج و با تعرفهٔ مصوب ارائه شده است؛ تقاضای بازنگری کسورات را داریم."
                        .into(),
                line_nos,
            },
        )
        .await;
        let objection = match objection {
            Ok(o) => o,
            // Another objection to the claim is still open, or the window closed: as at a
            // real office, the provider's letter is refused and nothing more happens.
            Err(AppError::Conflict { .. }) | Err(AppError::Validation(_)) => return Ok(()),
            Err(e) => return Err(failed("objecting")(e)),
        };
        if self.rng.gen_bool(0.4) {
            let number = format!("OBJ-{}", view.provider_document_no);
            let lines =
                vec!["Objection to deductions".to_string(), format!("Claim {}", view.provider_document_no)];
            let bytes = scans::pdf(&Page {
                title: "Letter of objection",
                number: &number,
                date: &jalali(self.ctx.today()),
                national_code: &view.insured_national_code,
                lines: &lines,
            });
            self.attach_case(
                caller,
                services::attachments::CaseKind::Objection,
                objection.id.to_string(),
                "other",
                &number,
                bytes,
                "pdf",
            )
            .await?;
        }
        self.objection_status.insert(objection.id.clone(), objection.status.to_string());
        if self.rng.gen_bool(0.7) {
            // Decided by a reviewer other than the one who decided the claim.
            let reviewer = match self.reviewed_by.get(&claim_id) {
                Some(r) => (r + 1) % self.reviewers.len(),
                None => self.rng.gen_range(0..self.reviewers.len()),
            };
            let day = self.ctx.today() + Duration::days(self.rng.gen_range(1..=4));
            self.schedule(day, Task::DecideObjection { objection_id: objection.id, claim_id, reviewer });
        }
        Ok(())
    }

    async fn decide_objection(
        &mut self,
        objection_id: ObjectionId,
        claim_id: ClaimId,
        reviewer: usize,
    ) -> Result<(), String> {
        let caller = self.reviewers[reviewer].clone();
        let view = services::claims::get(self.ctx, caller.clone(), claim_id)
            .await
            .map_err(failed("reading a claim"))?;
        let upheld = self.rng.gen_bool(0.5);
        let lines: Vec<crate::domain::review::LineDecision> = view
            .lines
            .iter()
            .filter(|l| l.deducted > 0 && l.insurer_payable + l.patient_share > 0)
            .take(1)
            .map(|l| {
                let covered = l.insurer_payable + l.patient_share;
                crate::domain::review::LineDecision {
                    line_no: l.line_no as u32,
                    action: if upheld {
                        crate::domain::review::LineAction::Adjust
                    } else {
                        crate::domain::review::LineAction::Approve
                    },
                    approved_amount: upheld.then_some(covered + l.deducted / 2),
                    approved_quantity: None,
                    reason: None,
                    note: Some(
                        if upheld {
                            "نیمی از کسر با مستندات اعتراض بازگردانده شد."
                        } else {
                            "کسر به قوت خود باقی است."
                        }
                        .into(),
                    ),
                }
            })
            .collect();
        let outcome = services::review::decide_objection(
            self.ctx,
            caller,
            objection_id.clone(),
            services::review::DecisionInput { lines, note: Some("اعتراض بررسی شد.".into()) },
        )
        .await
        .map_err(failed("deciding an objection"))?;
        let status = if outcome.status == crate::domain::lifecycle::review::DecisionStatus::AwaitingApproval {
            "awaiting_approval"
        } else {
            "decided"
        };
        self.objection_status.insert(objection_id, status.into());
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Reimbursements

    async fn file_reimbursement(&mut self, i: usize) -> Result<(), String> {
        let plan = &self.reimbursements[i];
        let (main, patient, kind, date, by_insured, submit) =
            (plan.main, plan.patient, plan.kind, plan.service, plan.by_insured, plan.submit);
        let book = self.ctx.tariffs();
        let Some(tariff) = book.for_date(date) else { return Ok(()) };
        let tracking = kind == ReimbursementKind::Pharmacy && self.rng.gen_bool(0.5);
        // What the family paid: the private sector's tariff, sometimes more.
        let private =
            ProviderTerms { sector: Sector::Private, hospital_grade: None, tariff_basis: Sector::Private };
        let mut lines = Vec::new();
        let (benefit, claim_kind, provider_name, provider_kind) = match kind {
            ReimbursementKind::Visit => {
                lines.push((ItemType::Visit.as_str(), "specialist".to_string(), 1u32));
                ("care", Some("visit"), "مطب دکتر صادقی (متخصص قلب)", "physician_office")
            }
            ReimbursementKind::Lab => {
                let n = self.rng.gen_range(2..=4);
                for code in self.draw(|p| &p.lab, n) {
                    lines.push((ItemType::Service.as_str(), code, 1));
                }
                ("care", Some("paraclinic"), "آزمایشگاه دکتر رازی (غیرطرف قرارداد)", "laboratory")
            }
            ReimbursementKind::Pharmacy => {
                let n = self.rng.gen_range(1..=3);
                for code in self.draw(|p| &p.drugs, n) {
                    lines.push((ItemType::Drug.as_str(), code, self.rng.gen_range(1..=2)));
                }
                ("care", Some("pharmacy"), "داروخانه دکتر مهرگان (غیرطرف قرارداد)", "pharmacy")
            }
            ReimbursementKind::Glasses => {
                lines.push(("device", "D002".to_string(), 1));
                ("support_item", None, "عینک‌سازی بینا", "clinic")
            }
        };
        let mut new_lines = Vec::new();
        for (n, (item_type, code, qty)) in lines.iter().enumerate() {
            let paid = match ItemType::parse(item_type) {
                Some(item) => {
                    let line = LineToPrice {
                        item_type: item,
                        code,
                        quantity: Decimal::from(*qty),
                        extra_anesthesia_units: Decimal::ZERO,
                    };
                    price_line(tariff, &line, &private).map(|p| p.cap_amount.0).unwrap_or(0)
                }
                None => 0,
            };
            let paid = paid * self.rng.gen_range(100..=120) / 100;
            if paid <= 0 {
                continue;
            }
            new_lines.push(services::reimbursements::NewLine {
                line_no: n as u32 + 1,
                item_type: item_type.to_string(),
                code: code.clone(),
                quantity: Decimal::from(*qty),
                service_date: date,
                paid_amount: (paid + 999) / 1000 * 1000,
            });
        }
        if new_lines.is_empty() {
            return Ok(());
        }
        let provider_kind = crate::domain::provider::ProviderKind::parse(provider_kind)
            .unwrap_or(crate::domain::provider::ProviderKind::Clinic);
        let benefit: crate::domain::reimbursement::Benefit =
            serde_json::from_value(json!(benefit)).map_err(|e| e.to_string())?;
        let main_person = &self.people[main];
        let caller = if by_insured {
            self.insured_user.clone().ok_or("internal: the insured user")?
        } else {
            self.reviewers[0].clone()
        };
        let new = services::reimbursements::NewRequest {
            office_id: by_insured.then(|| self.office_id.clone()),
            insured_national_code: Some(main_person.national_code.clone()),
            patient_national_code: (patient != main).then(|| self.people[patient].national_code.clone()),
            benefit,
            setting: claim_kind.map(|_| crate::domain::adjudication::Setting::Outpatient),
            kind: claim_kind.and_then(crate::domain::adjudication::ClaimKind::parse),
            provider_name: provider_name.into(),
            provider_kind,
            provider_sector: Sector::Private,
            hospital_grade: None,
            prescription_tracking_code: tracking.then(|| format!("14{}", names::digits(&mut self.rng, 10))),
            prescribed_on: (kind != ReimbursementKind::Visit).then(|| date - Duration::days(1)),
            admitted_on: None,
            discharged_on: None,
            diagnoses: vec![pick(&mut self.rng, names::DX_OUTPATIENT).to_string()],
            travel: None,
            sheba: main_person.sheba.clone(),
            sheba_owner_national_code: main_person.national_code.clone(),
            lines: new_lines,
        };
        let view = services::reimbursements::file(self.ctx, caller.clone(), new)
            .await
            .map_err(failed("filing a reimbursement"))?;
        // The documents the checklist asks for, scanned at the office (or by the family).
        let code = self.people[patient].national_code.clone();
        let date_fa = jalali(self.ctx.today());
        let text: Vec<String> = view
            .lines
            .iter()
            .map(|l| {
                format!(
                    "{}. {} x {}  paid {} rials",
                    l.line_no,
                    l.code,
                    l.quantity,
                    super::rials(l.paid_amount)
                )
            })
            .collect();
        for document_type in view.required_documents.clone() {
            let number = format!("RB-{i:04}/{document_type}");
            let page = Page {
                title: document_type,
                number: &number,
                date: &date_fa,
                national_code: &code,
                lines: &text,
            };
            let (bytes, format) = if matches!(document_type, "invoice" | "prescription") {
                (scans::png(&page), "png")
            } else {
                (scans::pdf(&page), "pdf")
            };
            self.attach_case(
                caller.clone(),
                services::attachments::CaseKind::Reimbursement,
                view.id.to_string(),
                document_type,
                &number,
                bytes,
                format,
            )
            .await?;
        }
        let mut status = view.status.to_string();
        if submit {
            let view = services::reimbursements::submit(self.ctx, caller, view.id.clone())
                .await
                .map_err(failed("submitting a reimbursement"))?;
            status = view.status.to_string();
            if self.rng.gen_bool(0.75) {
                let day = self.ctx.today() + Duration::days(self.rng.gen_range(2..=6));
                self.schedule(day, Task::DecideReimbursement { id: view.id.clone() });
            }
        }
        self.reimbursement_status.insert(view.id, status);
        Ok(())
    }

    async fn decide_reimbursement(&mut self, id: ReimbursementId) -> Result<(), String> {
        let reviewer = self.reviewers[1].clone();
        let view = services::reimbursements::get(self.ctx, reviewer.clone(), id.clone())
            .await
            .map_err(failed("reading a reimbursement"))?;
        let mut lines = Vec::new();
        if self.rng.gen_bool(0.3) {
            if let Some(l) = view.lines.iter().find(|l| l.reimbursed + l.franchise > 0) {
                lines.push(crate::domain::review::LineDecision {
                    line_no: l.line_no as u32,
                    action: crate::domain::review::LineAction::Adjust,
                    approved_amount: Some((l.reimbursed + l.franchise) * 80 / 100),
                    approved_quantity: None,
                    reason: Some("R90".into()),
                    note: Some("فاکتور با نسخه منطبق نیست؛ بخشی پذیرفته شد.".into()),
                });
            }
        }
        let view = services::reimbursements::decide(
            self.ctx,
            reviewer,
            id,
            services::reimbursements::DecisionInput { lines, note: Some("بررسی شد.".into()) },
        )
        .await
        .map_err(failed("deciding a reimbursement"))?;
        if view.status == crate::domain::lifecycle::reimbursement::ReimbursementStatus::AwaitingApproval {
            let day = self.ctx.today() + Duration::days(1);
            self.schedule(day, Task::ApproveReimbursement { id: view.id.clone() });
        }
        self.reimbursement_status.insert(view.id, view.status.to_string());
        Ok(())
    }

    async fn approve_reimbursement(&mut self, id: ReimbursementId) -> Result<(), String> {
        let view = services::reimbursements::approve(self.ctx, self.supervisor.clone(), id, true)
            .await
            .map_err(failed("approving a reimbursement"))?;
        self.reimbursement_status.insert(view.id, view.status.to_string());
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // The report

    /// Counts read back through the claims use case, as the administrator sees them.
    async fn count(&mut self) -> Result<(), String> {
        let mut after: Option<String> = None;
        loop {
            let page = services::claims::list(
                self.ctx,
                self.admin.clone(),
                crate::store::claims::ClaimFilter { after: after.clone(), limit: 500, ..Default::default() },
            )
            .await
            .map_err(failed("listing claims"))?;
            let Some(last) = page.last() else { break };
            after = Some(last.id.to_string());
            for c in &page {
                *self.report.claims_by_status.entry(c.status.to_string()).or_default() += 1;
                let t = &c.totals;
                self.report.billed += t.billed;
                self.report.insurer_payable += t.insurer_payable;
                self.report.patient_share += t.patient_share;
                self.report.patient_gap += t.patient_gap;
                self.report.deducted += t.deducted;
                for l in &c.lines {
                    for r in &l.reasons {
                        *self.report.reasons.entry(r.code.clone()).or_default() += 1;
                    }
                }
            }
            if page.len() < 500 {
                break;
            }
        }
        let tally = |statuses: &mut dyn Iterator<Item = &String>| {
            let mut out: BTreeMap<String, usize> = BTreeMap::new();
            for s in statuses {
                *out.entry(s.clone()).or_default() += 1;
            }
            out
        };
        self.report.preauthorizations = tally(&mut self.preauth_status.values());
        self.report.objections = tally(&mut self.objection_status.values());
        self.report.reimbursements = tally(&mut self.reimbursement_status.values());
        Ok(())
    }
}
