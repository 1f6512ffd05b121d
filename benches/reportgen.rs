//! The national-size database of the reports bench (issue 19): offices in every province,
//! providers of every kind, and `--claims` documents of `--lines` lines each (default 1,000,000
//! × 10 = 10 million claim lines) over the twelve months of 1403, written straight to the tables
//! in batches — intake through HTTP would take hours and measures something else
//! (`benches/load.sh`). Then the report aggregates are built by the service's own
//! `services::reports::rebuild_conn` (what start-up runs on a database without them) and checked
//! by `verify_conn` when `--verify` is given. `benches/reports.sh` runs it and times the reports.
//!
//! The data is synthetic but shaped like the real flow: ~80 % of claims decided (some with
//! deductions under the catalogue's reasons, 3 % rejected), ~7 % waiting for a reviewer, 1 % work
//! accidents of 2,000 employers, objections on some deducted claims, and the turnaround histogram
//! a year of decisions and payments would leave. Every line satisfies
//! `billed = insurer_payable + patient_share + patient_gap + deducted`.
//!
//! Usage: `cargo run --release --example reportgen -- --database-url URL [--claims N]
//! [--lines N] [--providers N] [--verify]`; `--turnaround-only` rewrites only the turnaround
//! histograms of a database generated before (as after a migration that added one).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use asnad::db::schema::{
    claims, objections, offices, providers, provinces, report_turnaround, report_turnaround_providers, users,
};
use asnad::db::{connect_and_migrate, AnyConnection, DatabaseUrl, PoolOptions};
use asnad::domain::lifecycle::claim::{ClaimStatus, LineStatus};
use asnad::domain::record_ids::{ClaimId, OfficeId, ProviderId, UserId};
use asnad::domain::report::jalali_month;
use asnad::store::claims::{ClaimRow, LineRow};
use asnad::store::users::UserRow;

struct Args {
    url: String,
    claims: usize,
    lines: usize,
    providers: usize,
    offices_per_province: usize,
    verify: bool,
    turnaround_only: bool,
}

fn args() -> Args {
    let mut a = Args {
        url: String::new(),
        claims: 1_000_000,
        lines: 10,
        providers: 6_000,
        offices_per_province: 3,
        verify: false,
        turnaround_only: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().unwrap_or_else(|| panic!("{k} needs a value"));
        match k.as_str() {
            "--database-url" => a.url = v(),
            "--claims" => a.claims = v().parse().expect("--claims N"),
            "--lines" => a.lines = v().parse().expect("--lines N"),
            "--providers" => a.providers = v().parse().expect("--providers N"),
            "--offices-per-province" => a.offices_per_province = v().parse().expect("a number"),
            "--verify" => a.verify = true,
            "--turnaround-only" => a.turnaround_only = true,
            other => panic!("unknown argument {other}"),
        }
    }
    assert!(!a.url.is_empty(), "--database-url is required");
    a
}

/// Provider kinds with their share of providers and what their claims look like:
/// (kind, claim kind, setting, weight, smallest and largest line in rials).
const KINDS: &[(&str, &str, &str, u32, i64, i64)] = &[
    ("hospital", "inpatient", "inpatient", 4, 400_000, 60_000_000),
    ("day_surgery", "day_surgery", "outpatient", 2, 300_000, 30_000_000),
    ("polyclinic", "visit", "outpatient", 6, 80_000, 2_000_000),
    ("clinic", "visit", "outpatient", 10, 80_000, 1_500_000),
    ("physician_office", "visit", "outpatient", 30, 150_000, 1_200_000),
    ("dental_office", "dental", "outpatient", 5, 200_000, 8_000_000),
    ("pharmacy", "pharmacy", "outpatient", 25, 20_000, 3_000_000),
    ("laboratory", "paraclinic", "outpatient", 10, 30_000, 2_500_000),
    ("imaging", "paraclinic", "outpatient", 5, 300_000, 12_000_000),
    ("physiotherapy", "physiotherapy", "outpatient", 2, 100_000, 900_000),
    ("rehabilitation", "physiotherapy", "outpatient", 1, 100_000, 900_000),
];

/// Deduction reasons the engine and reviewers give most, with their weights.
const REASONS: &[(&str, u32)] = &[
    ("R03", 20),
    ("R07", 15),
    ("R09", 12),
    ("R10", 8),
    ("R15", 10),
    ("R17", 6),
    ("R18", 8),
    ("R20", 5),
    ("R90", 12),
    ("R91", 4),
];

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
    let total: u32 = items.iter().map(&weight).sum();
    let mut r = rng.gen_range(0..total);
    for it in items {
        let w = weight(it);
        if r < w {
            return it;
        }
        r -= w;
    }
    unreachable!("the weights sum to total")
}

struct Provider {
    id: ProviderId,
    office: OfficeId,
    kind: usize,
}

fn ts(d: NaiveDate, secs: u32) -> NaiveDateTime {
    d.and_hms_opt(8 + secs / 3600 % 10, secs / 60 % 60, secs % 60).expect("a time of day")
}

/// The turnaround histograms a year of these claims would leave, derived from the written
/// claims (receipt = `created_at`, decision = `updated_at` of a decided claim) with a payment
/// 10–70 days after the decision; written by office and by provider, as
/// `store::reports::add_turnaround` keeps them. Replaces whatever histograms were there, so
/// `--turnaround-only` can refresh an existing database. Returns the provider rows written.
fn write_turnaround(conn: &mut AnyConnection, today: NaiveDate) -> usize {
    type Key = (String, String, String, &'static str, i64);
    let mut rng = StdRng::seed_from_u64(66);
    let mut h: BTreeMap<Key, i64> = BTreeMap::new();
    let mut after = String::new();
    loop {
        let page: Vec<(String, String, String, ClaimStatus, NaiveDateTime, NaiveDateTime)> = claims::table
            .filter(claims::id.gt(&after))
            .order(claims::id)
            .limit(50_000)
            .select((
                claims::id,
                claims::provider_id,
                claims::office_id,
                claims::status,
                claims::created_at,
                claims::updated_at,
            ))
            .load(conn)
            .expect("a page of claims");
        let Some(last) = page.last() else { break };
        after = last.0.clone();
        for (_, provider, office, status, created, updated) in page {
            if !matches!(
                status,
                ClaimStatus::Approved | ClaimStatus::PartiallyApproved | ClaimStatus::Rejected
            ) {
                continue;
            }
            let (received, decided_on) = (created.date(), updated.date());
            if decided_on > today {
                continue;
            }
            let k = (
                office.clone(),
                provider.clone(),
                jalali_month(decided_on),
                "decision",
                (decided_on - received).num_days(),
            );
            *h.entry(k).or_default() += 1;
            let paid_on = decided_on + chrono::Duration::days(rng.gen_range(10..70));
            if status != ClaimStatus::Rejected && paid_on <= today {
                let k =
                    (office, provider, jalali_month(paid_on), "payment", (paid_on - decided_on).num_days());
                *h.entry(k).or_default() += 1;
            }
        }
    }
    let kinds: BTreeMap<String, String> = providers::table
        .select((providers::id, providers::kind))
        .load::<(String, String)>(conn)
        .expect("kinds")
        .into_iter()
        .collect();
    let mut by_office: BTreeMap<(&str, &str, &str, i64), i64> = BTreeMap::new();
    for ((o, _, m, stage, d), n) in &h {
        *by_office.entry((o.as_str(), m.as_str(), *stage, *d)).or_default() += n;
    }
    conn.transaction(|conn| {
        diesel::delete(report_turnaround::table).execute(conn)?;
        diesel::delete(report_turnaround_providers::table).execute(conn)?;
        for ((office, month, stage, days), n) in &by_office {
            diesel::insert_into(report_turnaround::table)
                .values((
                    report_turnaround::office_id.eq(office),
                    report_turnaround::month.eq(month),
                    report_turnaround::stage.eq(*stage),
                    report_turnaround::days.eq(days),
                    report_turnaround::claims.eq(n),
                ))
                .execute(conn)?;
        }
        for ((office, provider, month, stage, days), n) in &h {
            diesel::insert_into(report_turnaround_providers::table)
                .values((
                    report_turnaround_providers::provider_id.eq(provider),
                    report_turnaround_providers::month.eq(month),
                    report_turnaround_providers::stage.eq(*stage),
                    report_turnaround_providers::days.eq(days),
                    report_turnaround_providers::office_id.eq(office),
                    report_turnaround_providers::provider_kind.eq(&kinds[provider]),
                    report_turnaround_providers::claims.eq(n),
                ))
                .execute(conn)?;
        }
        diesel::QueryResult::Ok(())
    })
    .expect("the turnaround histograms");
    h.len()
}

fn main() {
    let a = args();
    let started = Instant::now();
    let url = DatabaseUrl::parse(&a.url).expect("a database URL");
    let pool =
        connect_and_migrate(&url, &PoolOptions { max_size: 2, connection_timeout: Duration::from_secs(30) })
            .expect("the database");
    let mut conn = pool.get().expect("a connection");
    let conn: &mut AnyConnection = &mut conn;
    let now = ts(NaiveDate::from_ymd_opt(2025, 3, 20).expect("a date"), 0);
    if a.turnaround_only {
        let t = Instant::now();
        let rows = write_turnaround(conn, now.date());
        println!("turnaround histograms rewritten: {rows} provider rows in {:.1?}", t.elapsed());
        return;
    }
    let have: i64 = claims::table.count().get_result(conn).expect("count claims");
    assert_eq!(have, 0, "the database already has claims: give the generator an empty one");

    let mut rng = StdRng::seed_from_u64(1403);

    // Offices: `--offices-per-province` in every province the migrations seed.
    let province_ids: Vec<i32> =
        provinces::table.select(provinces::id).order(provinces::id).load(conn).expect("provinces");
    let mut office_ids = Vec::new();
    for p in &province_ids {
        for i in 0..a.offices_per_province {
            let id = OfficeId::new();
            diesel::insert_into(offices::table)
                .values((
                    offices::id.eq(id.as_str()),
                    offices::province_id.eq(p),
                    offices::code.eq(format!("G{p:02}{i}")),
                    offices::name_fa.eq(format!("دفتر رسیدگی {p}-{i}")),
                    offices::name_en.eq(format!("Review office {p}-{i}")),
                    offices::active.eq(true),
                    offices::created_at.eq(now),
                    offices::updated_at.eq(now),
                ))
                .execute(conn)
                .expect("an office");
            office_ids.push((id, *p));
        }
    }

    // Providers of every kind, spread over the offices.
    let mut provs = Vec::with_capacity(a.providers);
    for n in 0..a.providers {
        let chosen = pick(&mut rng, KINDS, |k| k.3);
        let kind = KINDS.iter().position(|k| std::ptr::eq(k, chosen)).expect("a kind");
        let (office, province) = office_ids[rng.gen_range(0..office_ids.len())].clone();
        let id = ProviderId::new();
        diesel::insert_into(providers::table)
            .values((
                providers::id.eq(id.as_str()),
                providers::name_fa.eq(format!("مرکز درمانی شماره {n}")),
                providers::kind.eq(KINDS[kind].0),
                providers::sector.eq("private"),
                providers::sso_owned.eq(false),
                providers::province_id.eq(province),
                providers::office_id.eq(office.as_str()),
                providers::active.eq(true),
                providers::created_at.eq(now),
                providers::updated_at.eq(now),
            ))
            .execute(conn)
            .expect("a provider");
        provs.push(Provider { id, office, kind });
    }

    // The first admin, as `serve` would make it on an empty database (with the password of
    // ASNAD_BOOTSTRAP_ADMIN_PASSWORD): `serve` makes none once the objector below exists.
    // Its audit event is authenticated with the key the server will use (ASNAD_AUDIT_KEY_FILE,
    // or audit.key in ASNAD_DATA_DIR), as the command line's writing commands do.
    let key_path = std::env::var("ASNAD_AUDIT_KEY_FILE").map(std::path::PathBuf::from).unwrap_or_else(|_| {
        std::path::PathBuf::from(std::env::var("ASNAD_DATA_DIR").unwrap_or_else(|_| "data".into()))
            .join("audit.key")
    });
    if let Some(dir) = key_path.parent() {
        std::fs::create_dir_all(dir).expect("the data directory");
    }
    let (key, _) = asnad::services::audit::load_or_create_key(&key_path).expect("the audit key");
    let _key_scope = asnad::store::audit::use_key(&key);
    asnad::services::users::bootstrap_admin(conn, std::env::var("ASNAD_BOOTSTRAP_ADMIN_PASSWORD").ok())
        .expect("the first admin");
    // The provider user who files the objections.
    let objector = UserId::new();
    asnad::store::users::insert(
        conn,
        &UserRow {
            id: objector.clone(),
            username: "reportgen.objector".into(),
            display_name: "reportgen".into(),
            email: None,
            password_hash: "!".into(),
            role: "provider".into(),
            provider_id: Some(provs[0].id.clone()),
            office_id: None,
            insured_id: None,
            province_id: None,
            active: false,
            must_change_password: false,
            failed_logins: 0,
            locked_until: None,
            last_login_at: None,
            created_at: now,
            updated_at: now,
        },
    )
    .expect("the objector");
    let _ = users::table; // (the table the objector lands in)
    eprintln!("{} offices, {} providers in {:.1?}", office_ids.len(), provs.len(), started.elapsed());

    // 1403-01-01 … 1403-12-30.
    let year_start = NaiveDate::from_ymd_opt(2024, 3, 20).expect("1 Farvardin 1403");
    let employers: Vec<(String, String)> =
        (0..2_000).map(|i| (format!("{:010}", 1_000_000 + i * 37), format!("کارگاه شماره {i}"))).collect();
    let (mut written_lines, mut objections_n) = (0usize, 0usize);
    let batch = 2_000;
    let insert_started = Instant::now();
    let mut done = 0;
    while done < a.claims {
        let n = batch.min(a.claims - done);
        let mut cs = Vec::with_capacity(n);
        let mut ls = Vec::with_capacity(n * a.lines);
        let mut objs = Vec::new();
        for i in 0..n {
            let p = &provs[rng.gen_range(0..provs.len())];
            let (_, claim_kind, setting, _, lo, hi) = KINDS[p.kind];
            let day = rng.gen_range(0..365);
            let served = year_start + chrono::Duration::days(day);
            let received = served + chrono::Duration::days(rng.gen_range(3..40));
            let roll = rng.gen_range(0..100);
            let status = match roll {
                0..=2 => ClaimStatus::Rejected,
                3..=9 => ClaimStatus::Pended,
                10 => ClaimStatus::AwaitingApproval,
                11..=45 => ClaimStatus::PartiallyApproved,
                _ => ClaimStatus::Approved,
            };
            let id = ClaimId::new();
            let (mut billed, mut payable, mut share, mut gap, mut deducted) = (0i64, 0i64, 0i64, 0i64, 0i64);
            let franchise_pct = if setting == "inpatient" { 10 } else { 30 };
            for line_no in 1..=a.lines {
                let b = rng.gen_range(lo..=hi) / 1_000 * 1_000;
                let (line_status, ded, reasons) = match status {
                    ClaimStatus::Rejected => (
                        LineStatus::Rejected,
                        b,
                        format!(r#"[{{"code":"R02","amount":{b},"detail":"not eligible"}}]"#),
                    ),
                    ClaimStatus::Pended | ClaimStatus::AwaitingApproval => {
                        (LineStatus::Pended, 0, "[]".into())
                    }
                    ClaimStatus::PartiallyApproved if rng.gen_range(0..4) == 0 => {
                        let code = pick(&mut rng, REASONS, |r| r.1).0;
                        let amt = b * rng.gen_range(10..=100) / 100 / 1_000 * 1_000;
                        (
                            LineStatus::PartiallyApproved,
                            amt,
                            format!(r#"[{{"code":"{code}","amount":{amt},"detail":"reportgen"}}]"#),
                        )
                    }
                    _ => (LineStatus::Approved, 0, "[]".into()),
                };
                let rest = b - ded;
                let g = if rest > 0 && rng.gen_range(0..10) == 0 { rest / 10 } else { 0 };
                let s = (rest - g) * franchise_pct / 100;
                let pay = rest - g - s;
                billed += b;
                payable += pay;
                share += s;
                gap += g;
                deducted += ded;
                ls.push(LineRow {
                    claim_id: id.clone(),
                    line_no: line_no as i32,
                    item_type: if claim_kind == "pharmacy" { "drug" } else { "service" }.into(),
                    code: format!("{}", 100_000 + rng.gen_range(0..5_000)),
                    quantity: "1".into(),
                    approved_quantity: "1".into(),
                    service_date: served,
                    billed: b,
                    unit_price: Some(b),
                    anesthesia_units: "0".into(),
                    medical_order: false,
                    physician_council_no: None,
                    status: line_status,
                    tariff_year: Some(1403),
                    tariff_revision: Some(1),
                    tariff_status: Some("sample".into()),
                    tariff_unit_price: b - g,
                    tariff_amount: b - g,
                    insurer_payable: pay,
                    patient_share: s,
                    patient_gap: g,
                    deducted: ded,
                    cost_sharing_rule: None,
                    reasons,
                    pend_reasons: if line_status == LineStatus::Pended {
                        r#"["P01"]"#.into()
                    } else {
                        "[]".into()
                    },
                    preauthorization_id: None,
                    provider_id: p.id.clone(),
                });
            }
            let accident = rng.gen_range(0..100) == 0;
            let employer = accident.then(|| employers[rng.gen_range(0..employers.len())].clone());
            let decided_on = received + chrono::Duration::days(rng.gen_range(0..45));
            let decided = matches!(
                status,
                ClaimStatus::Approved | ClaimStatus::PartiallyApproved | ClaimStatus::Rejected
            );
            if status == ClaimStatus::PartiallyApproved && rng.gen_range(0..40) == 0 {
                objs.push((
                    id.clone(),
                    p.id.clone(),
                    received + chrono::Duration::days(50),
                    rng.gen_range(0..3),
                ));
            }
            cs.push(ClaimRow {
                id,
                provider_id: p.id.clone(),
                office_id: p.office.clone(),
                provider_document_no: format!("RG-{}", done + i),
                insured_national_code: format!("{:010}", rng.gen_range(1_000_000..9_999_999_999i64)),
                insured_id: None,
                setting: setting.into(),
                kind: claim_kind.into(),
                status,
                service_month: jalali_month(served),
                first_service_date: served,
                prescription_tracking_code: None,
                prescribed_on: None,
                physician_council_no: None,
                diagnoses: "[]".into(),
                admitted_on: (setting == "inpatient").then_some(served),
                discharged_on: (setting == "inpatient").then_some(served + chrono::Duration::days(2)),
                work_accident: accident,
                accident_report_no: accident.then(|| format!("WA-{}", done + i)),
                employer_code: employer.as_ref().map(|e| e.0.clone()),
                employer_name: employer.map(|e| e.1),
                billed,
                tariff: billed - gap,
                insurer_payable: payable,
                patient_share: share,
                patient_gap: gap,
                deducted,
                pend_notes: "[]".into(),
                created_by: "reportgen".into(),
                created_at: ts(received, (i * 7) as u32),
                updated_at: ts(if decided { decided_on } else { received }, (i * 7) as u32),
            });
        }
        conn.transaction(|conn| {
            for chunk in cs.chunks(500) {
                match conn {
                    AnyConnection::Sqlite(c) => {
                        diesel::insert_into(claims::table).values(chunk).execute(c)?
                    }
                    AnyConnection::Postgresql(c) => {
                        diesel::insert_into(claims::table).values(chunk).execute(c)?
                    }
                };
            }
            for chunk in ls.chunks(1_000) {
                use asnad::db::schema::claim_lines;
                match conn {
                    AnyConnection::Sqlite(c) => {
                        diesel::insert_into(claim_lines::table).values(chunk).execute(c)?
                    }
                    AnyConnection::Postgresql(c) => {
                        diesel::insert_into(claim_lines::table).values(chunk).execute(c)?
                    }
                };
            }
            for (claim, provider, filed, outcome) in &objs {
                let decided = *outcome < 2;
                diesel::insert_into(objections::table)
                    .values((
                        objections::id.eq(uuid::Uuid::now_v7().to_string()),
                        objections::claim_id.eq(claim.as_str()),
                        objections::filed_by.eq(objector.as_str()),
                        objections::reason.eq("reportgen"),
                        objections::line_nos.eq("[1]"),
                        objections::status.eq(if decided { "decided" } else { "open" }),
                        objections::created_at.eq(ts(*filed, 0)),
                        objections::provider_id.eq(provider.as_str()),
                    ))
                    .execute(conn)?;
            }
            diesel::QueryResult::Ok(())
        })
        .expect("a batch of claims");
        written_lines += ls.len();
        objections_n += objs.len();
        done += n;
        if done % 100_000 < batch {
            let s = insert_started.elapsed().as_secs_f64();
            eprintln!(
                "{done} claims, {written_lines} lines in {s:.0} s ({:.0} lines/s)",
                written_lines as f64 / s
            );
        }
    }
    let turnaround_rows = write_turnaround(conn, now.date());
    let wrote = insert_started.elapsed();
    eprintln!(
        "wrote {} claims, {written_lines} lines, {objections_n} objections, {turnaround_rows} turnaround rows in {wrote:.1?}",
        a.claims
    );
    if let AnyConnection::Postgresql(c) = conn {
        diesel::sql_query("ANALYZE").execute(c).expect("ANALYZE");
    }
    if let AnyConnection::Sqlite(c) = conn {
        diesel::sql_query("ANALYZE").execute(c).expect("ANALYZE");
    }

    let t = Instant::now();
    let rows = asnad::services::reports::rebuild_conn(conn).expect("rebuild the aggregates");
    println!("aggregates rebuilt from {written_lines} lines: {rows} month rows in {:.1?}", t.elapsed());
    if a.verify {
        let t = Instant::now();
        let diffs = asnad::services::reports::verify_conn(conn).expect("verify");
        println!("verify: {} differences in {:.1?}", diffs.len(), t.elapsed());
        assert!(diffs.is_empty(), "{diffs:?}");
    }
    println!("reportgen: {} claims, {written_lines} lines in {:.1?} in all", a.claims, started.elapsed());
}
