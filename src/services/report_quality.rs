//! Two reports beside `services::reports`, read the same way (its `filter_for`: the caller's
//! reach, the same filters, 404 outside the reach, 422 naming a malformed filter; JSON or CSV
//! with a byte-order mark):
//!
//! - **Provider quality (کیفیت خدمات خریداری‌شده)**: per provider, what the office cut,
//!   rejected, what the provider objected to and won back, what sampled review cut, what a
//!   document costs against the peers of its kind, what insured persons said they did not
//!   receive — and which providers stand out among the office's peers of the same kind
//!   (`domain::report::modified_z_score`).
//! - **Work accidents (حوادث ناشی از کار، ماده ۶۶)**: per employer and service month, what the
//!   Organization paid for its workers' work-accident care, for recovery from the employer.
//!
//! Definitions and the performance approach: `docs/ARCHITECTURE.md`, "Reports".

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde::Serialize;

use crate::auth::Caller;
use crate::context::ServiceContext;
use crate::domain::report::{is_outlier, median, modified_z_score};
use crate::error::{AppError, AppResult};
use crate::services::reports::{csv_writer, filter_for, finish_csv, percent, ReportQuery};
use crate::store::report_quality as store;
use crate::store::reports::{self as aggregates, ReportFilter};

// ---------------------------------------------------------------------------------------------
// Provider quality

/// One provider's quality over the filter's months, in one office (a provider is registered
/// with one office; were its claims ever kept by two, it has a row in each).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProviderQualityLine {
    pub office_id: String,
    pub provider_id: String,
    pub provider_name: String,
    /// hospital, clinic, pharmacy, …
    pub provider_kind: String,
    /// Documents received (اسناد), by service month within the filter.
    pub claims: i64,
    pub lines: i64,
    pub billed: i64,
    pub insurer_payable: i64,
    pub deducted: i64,
    /// Decided claims (approved, partially approved, rejected).
    pub decided: i64,
    pub rejected: i64,
    /// `deducted / billed`, percent, two decimals; null when nothing was billed.
    #[schema(value_type = Option<String>)]
    pub deduction_rate: Option<Decimal>,
    /// `rejected / decided`, percent; null when nothing is decided.
    #[schema(value_type = Option<String>)]
    pub rejection_rate: Option<Decimal>,
    /// Objections filed on the provider's claims (any status).
    pub objections: i64,
    pub objections_decided: i64,
    /// Decided objections whose decision raised the claim's payable (the provider won back
    /// something).
    pub objections_upheld: i64,
    /// `objections / decided`, percent; null when nothing is decided.
    #[schema(value_type = Option<String>)]
    pub objection_rate: Option<Decimal>,
    /// `objections_upheld / objections_decided`, percent; null when none is decided.
    #[schema(value_type = Option<String>)]
    pub upheld_share: Option<Decimal>,
    /// Closed review samples: the payable of the claims drawn, when they were drawn.
    pub sampled_payable: i64,
    /// What the reviewers cut of it (per sample, never below 0).
    pub sample_cut: i64,
    /// `sample_cut / sampled_payable`, percent; null without a closed sample.
    #[schema(value_type = Option<String>)]
    pub sample_cut_rate: Option<Decimal>,
    /// `insurer_payable / claims`, whole rials (half away from zero); null without claims.
    pub cost_per_document: Option<i64>,
    /// The median cost per document of the providers of this kind in the same scope.
    pub kind_median_cost_per_document: Option<i64>,
    /// "Not received" flags (اعلام عدم دریافت خدمت) from insured persons on its claims.
    pub not_received_flags: i64,
    /// Of them, not yet resolved by the office.
    pub not_received_open: i64,
    /// Modified z-score of the deduction rate among the office's providers of the same kind;
    /// null with fewer than five such peers (or all equal).
    #[schema(value_type = Option<String>)]
    pub deduction_rate_score: Option<Decimal>,
    /// Modified z-score of the cost per document among the same peers.
    #[schema(value_type = Option<String>)]
    pub cost_per_document_score: Option<Decimal>,
    /// The metrics whose |score| > 3.5: `deduction_rate`, `cost_per_document`.
    pub outliers: Vec<&'static str>,
}

/// Cost per document by provider kind, over the rows of the report.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct KindCost {
    pub provider_kind: String,
    pub providers: i64,
    pub claims: i64,
    pub insurer_payable: i64,
    /// `insurer_payable / claims`, whole rials; null without claims.
    pub cost_per_document: Option<i64>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProviderQualityReport {
    /// By office, then provider.
    pub rows: Vec<ProviderQualityLine>,
    pub by_kind: Vec<KindCost>,
}

/// `part / whole` to the whole rial, half away from zero; `None` when `whole` is 0.
fn per(part: i64, whole: i64) -> Option<i64> {
    if whole == 0 {
        return None;
    }
    let d = (Decimal::from(part) / Decimal::from(whole))
        .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    i64::try_from(d).ok()
}

/// Which office, provider and service month a record of a small table counts under.
struct Admit {
    office: Option<String>,
    offices: Option<BTreeSet<String>>,
    from: Option<String>,
    to: Option<String>,
}

impl Admit {
    fn of(conn: &mut crate::db::AnyConnection, f: &ReportFilter) -> AppResult<Admit> {
        let offices = match f.offices_of_province {
            None => None,
            Some(p) => Some(
                crate::store::offices::list(
                    conn,
                    &crate::store::offices::OfficeFilter {
                        province_id: Some(p),
                        active: None,
                        after: None,
                        limit: 100_000,
                    },
                )?
                .into_iter()
                .map(|o| o.id.to_string())
                .collect(),
            ),
        };
        Ok(Admit {
            office: f.office_id.as_ref().map(|o| o.to_string()),
            offices,
            from: f.from_month.clone(),
            to: f.to_month.clone(),
        })
    }

    fn admits(&self, office: &str, month: &str) -> bool {
        self.office.as_deref().is_none_or(|o| o == office)
            && self.offices.as_ref().is_none_or(|s| s.contains(office))
            && self.from.as_deref().is_none_or(|m| month >= m)
            && self.to.as_deref().is_none_or(|m| month <= m)
    }
}

#[derive(Default)]
struct Tally {
    sums: crate::domain::report::MonthSums,
    objections: i64,
    objections_decided: i64,
    objections_upheld: i64,
    sampled_payable: i64,
    sample_cut: i64,
    flags: i64,
    flags_open: i64,
}

/// The provider-quality report. The peers a provider is scored among, and the kind's median
/// cost per document, are read with the caller's reach, office, province and months but
/// without the provider and kind filters: filtering one provider still reads it against its
/// office's peers. Rows are then kept by those filters.
pub async fn provider_quality(
    state: &ServiceContext,
    caller: Caller,
    q: ReportQuery,
) -> AppResult<ProviderQualityReport> {
    state
        .db(move |conn| {
            let f = filter_for(conn, &caller, &q)?;
            let peers = ReportFilter { provider_id: None, provider_kind: None, ..f.clone() };
            let admit = Admit::of(conn, &peers)?;
            let mut tally: BTreeMap<(String, String), Tally> = BTreeMap::new();
            for m in aggregates::months(conn, &peers)? {
                let t = tally.entry((m.office_id, m.provider_id)).or_default();
                t.sums = t.sums.plus(m.sums, 1);
            }

            // Objections: their aggregate (`report_objections`), under the same reach, office,
            // province and months as the monthly sums.
            for (office, provider, _, o) in aggregates::objections(conn, &peers)? {
                let t = tally.entry((office, provider)).or_default();
                t.objections += o.objections;
                t.objections_decided += o.decided;
                t.objections_upheld += o.upheld;
            }

            // Closed samples: per sample, the drawn claims' payable then and now.
            let samples: Vec<store::ClosedSample> = store::closed_samples(conn, f.office_id.as_ref())?
                .into_iter()
                .filter(|s| admit.admits(&s.office_id, &s.service_month))
                .collect();
            let drawn = store::drawn_claims(conn, &samples.iter().map(|s| s.id.clone()).collect::<Vec<_>>())?;
            let now = store::claim_keys(conn, &drawn.iter().map(|(_, c, _)| c.clone()).collect::<Vec<_>>())?;
            let mut per_sample: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
            for (sample, claim, before) in &drawn {
                let e = per_sample.entry(sample.as_str()).or_default();
                e.0 += before;
                e.1 += now.get(claim).map(|c| c.insurer_payable).unwrap_or(0);
            }
            for s in &samples {
                let (before, after) = per_sample.get(s.id.as_str()).copied().unwrap_or_default();
                let t = tally.entry((s.office_id.clone(), s.provider_id.clone())).or_default();
                t.sampled_payable += before;
                t.sample_cut += (before - after).max(0);
            }

            // "Not received" flags, by the flagged claim's service month.
            let flags = store::flags(conn, f.office_id.as_ref())?;
            let months = store::claim_keys(
                conn,
                &flags
                    .iter()
                    .map(|(_, _, c, _)| c.clone())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect::<Vec<_>>(),
            )?;
            for (office, provider, claim, resolved) in flags {
                let Some(c) = months.get(&claim) else { continue };
                if !admit.admits(&office, &c.service_month) {
                    continue;
                }
                let t = tally.entry((office, provider)).or_default();
                t.flags += 1;
                t.flags_open += i64::from(!resolved);
            }

            let ids: Vec<String> =
                tally.keys().map(|(_, p)| p.clone()).collect::<BTreeSet<_>>().into_iter().collect();
            let providers: BTreeMap<String, store::ProviderFacts> =
                store::providers_of(conn, &ids)?.into_iter().map(|p| (p.id.clone(), p)).collect();
            let mut rows: Vec<ProviderQualityLine> = tally
                .into_iter()
                .map(|((office_id, provider_id), t)| {
                    let p = providers.get(&provider_id);
                    let s = t.sums;
                    ProviderQualityLine {
                        provider_name: p.map(|p| p.name_fa.clone()).unwrap_or_default(),
                        provider_kind: p.map(|p| p.kind.clone()).unwrap_or_default(),
                        office_id,
                        provider_id,
                        claims: s.claims,
                        lines: s.lines,
                        billed: s.billed,
                        insurer_payable: s.insurer_payable,
                        deducted: s.deducted,
                        decided: s.decided,
                        rejected: s.rejected,
                        deduction_rate: percent(s.deducted, s.billed),
                        rejection_rate: percent(s.rejected, s.decided),
                        objections: t.objections,
                        objections_decided: t.objections_decided,
                        objections_upheld: t.objections_upheld,
                        objection_rate: percent(t.objections, s.decided),
                        upheld_share: percent(t.objections_upheld, t.objections_decided),
                        sampled_payable: t.sampled_payable,
                        sample_cut: t.sample_cut,
                        sample_cut_rate: percent(t.sample_cut, t.sampled_payable),
                        cost_per_document: per(s.insurer_payable, s.claims),
                        kind_median_cost_per_document: None,
                        not_received_flags: t.flags,
                        not_received_open: t.flags_open,
                        deduction_rate_score: None,
                        cost_per_document_score: None,
                        outliers: Vec::new(),
                    }
                })
                .collect();

            // The kind's median cost per document (the scope), and each provider's scores among
            // the office's providers of the same kind (a provider without the metric is no peer).
            let mut kind_costs: BTreeMap<String, Vec<Decimal>> = BTreeMap::new();
            let mut peer_rates: BTreeMap<(String, String), Vec<Decimal>> = BTreeMap::new();
            let mut peer_costs: BTreeMap<(String, String), Vec<Decimal>> = BTreeMap::new();
            for r in &rows {
                let group = (r.office_id.clone(), r.provider_kind.clone());
                if let Some(c) = r.cost_per_document {
                    kind_costs.entry(r.provider_kind.clone()).or_default().push(Decimal::from(c));
                    peer_costs.entry(group.clone()).or_default().push(Decimal::from(c));
                }
                if let Some(d) = r.deduction_rate {
                    peer_rates.entry(group).or_default().push(d);
                }
            }
            // Each kind's median once (a country's physicians are thousands: per row it was
            // most of the report's second at 6,000 providers).
            let kind_medians: BTreeMap<String, Option<i64>> = kind_costs
                .iter()
                .map(|(kind, v)| {
                    let m = median(v)
                        .map(|m| {
                            m.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
                        })
                        .and_then(|m| i64::try_from(m).ok());
                    (kind.clone(), m)
                })
                .collect();
            for r in &mut rows {
                let group = (r.office_id.clone(), r.provider_kind.clone());
                r.kind_median_cost_per_document = kind_medians.get(&r.provider_kind).copied().flatten();
                r.deduction_rate_score = r.deduction_rate.and_then(|x| {
                    modified_z_score(x, peer_rates.get(&group).map(Vec::as_slice).unwrap_or(&[]))
                });
                r.cost_per_document_score = r.cost_per_document.and_then(|x| {
                    modified_z_score(
                        Decimal::from(x),
                        peer_costs.get(&group).map(Vec::as_slice).unwrap_or(&[]),
                    )
                });
                if r.deduction_rate_score.is_some_and(is_outlier) {
                    r.outliers.push("deduction_rate");
                }
                if r.cost_per_document_score.is_some_and(is_outlier) {
                    r.outliers.push("cost_per_document");
                }
            }

            // Now the provider and kind filters.
            rows.retain(|r| {
                f.provider_id.as_ref().is_none_or(|p| p.as_str() == r.provider_id)
                    && f.provider_kind.as_deref().is_none_or(|k| k == r.provider_kind)
            });
            let mut kinds: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
            for r in &rows {
                let k = kinds.entry(r.provider_kind.clone()).or_default();
                k.0 += 1;
                k.1 += r.claims;
                k.2 += r.insurer_payable;
            }
            let by_kind = kinds
                .into_iter()
                .map(|(provider_kind, (providers, claims, insurer_payable))| KindCost {
                    provider_kind,
                    providers,
                    claims,
                    insurer_payable,
                    cost_per_document: per(insurer_payable, claims),
                })
                .collect();
            Ok(ProviderQualityReport { rows, by_kind })
        })
        .await
}

/// The provider-quality report as CSV: one row per provider, Persian headers.
pub fn provider_quality_csv(r: &ProviderQualityReport) -> AppResult<Vec<u8>> {
    let mut out = csv_writer();
    out.write_record([
        "شناسهٔ دفتر",
        "شناسهٔ مرکز",
        "مرکز",
        "نوع مرکز",
        "اسناد",
        "ردیف‌ها",
        "مبلغ درخواستی (ریال)",
        "سهم سازمان (ریال)",
        "کسور (ریال)",
        "نرخ کسور (٪)",
        "نرخ رد (٪)",
        "اعتراض‌ها",
        "نرخ اعتراض (٪)",
        "سهم اعتراض پذیرفته (٪)",
        "مبلغ نمونه (ریال)",
        "کسر نمونه (ریال)",
        "نرخ کسر نمونه (٪)",
        "هزینهٔ هر سند (ریال)",
        "میانهٔ هزینهٔ هر سند هم‌نوع (ریال)",
        "اعلام عدم دریافت",
        "اعلام باز",
        "امتیاز نرخ کسور",
        "امتیاز هزینهٔ هر سند",
        "پرت",
    ])
    .map_err(AppError::internal)?;
    let d = |v: Option<Decimal>| v.map(|d| d.to_string()).unwrap_or_default();
    let i = |v: Option<i64>| v.map(|d| d.to_string()).unwrap_or_default();
    for x in &r.rows {
        out.write_record([
            x.office_id.clone(),
            x.provider_id.clone(),
            x.provider_name.clone(),
            x.provider_kind.clone(),
            x.claims.to_string(),
            x.lines.to_string(),
            x.billed.to_string(),
            x.insurer_payable.to_string(),
            x.deducted.to_string(),
            d(x.deduction_rate),
            d(x.rejection_rate),
            x.objections.to_string(),
            d(x.objection_rate),
            d(x.upheld_share),
            x.sampled_payable.to_string(),
            x.sample_cut.to_string(),
            d(x.sample_cut_rate),
            i(x.cost_per_document),
            i(x.kind_median_cost_per_document),
            x.not_received_flags.to_string(),
            x.not_received_open.to_string(),
            d(x.deduction_rate_score),
            d(x.cost_per_document_score),
            x.outliers.join(" "),
        ])
        .map_err(AppError::internal)?;
    }
    finish_csv(out)
}

// ---------------------------------------------------------------------------------------------
// Work accidents (Art. 66)

/// Work-accident claims of one employer in one service month, or a total.
#[derive(Clone, Copy, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct AccidentSums {
    pub claims: i64,
    pub billed: i64,
    /// What the Organization pays for the decided claims: the amount it may recover from the
    /// employer (Art. 66). Claims still waiting for a reviewer are not in it.
    pub insurer_payable: i64,
    /// Claims still waiting for a reviewer (counted in `claims` and `billed` only).
    pub pending_claims: i64,
}

impl AccidentSums {
    fn add(&mut self, o: &AccidentSums) {
        self.claims += o.claims;
        self.billed += o.billed;
        self.insurer_payable += o.insurer_payable;
        self.pending_claims += o.pending_claims;
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AccidentMonth {
    /// Jalali `YYYY-MM` of the service.
    pub service_month: String,
    #[serde(flatten)]
    pub sums: AccidentSums,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct EmployerAccidents {
    /// The employer's workshop code (کد کارگاه).
    pub employer_code: String,
    /// The name the latest claim gave.
    pub employer_name: String,
    pub months: Vec<AccidentMonth>,
    pub total: AccidentSums,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct WorkAccidentsReport {
    /// By employer code.
    pub employers: Vec<EmployerAccidents>,
    pub total: AccidentSums,
}

/// The work-accidents report.
///
/// **Why a query and not an aggregate table.** Work accidents are about 1 % of the claims
/// (≈10,000 of a million) and the report needs their employer, which no other aggregate keys
/// by; an index on `(work_accident, office_id, service_month)` reaches exactly those claims, so
/// the query reads ≈1 % of the rows and stays exact without a fourth aggregate to keep, verify
/// and rebuild. It selects what `GET /api/v1/claims/work-accidents` lists (`work_accident`
/// set), within the report's filters.
pub async fn work_accidents(
    state: &ServiceContext,
    caller: Caller,
    q: ReportQuery,
) -> AppResult<WorkAccidentsReport> {
    state
        .db(move |conn| {
            let f = filter_for(conn, &caller, &q)?;
            let mut by: BTreeMap<String, (String, BTreeMap<String, AccidentSums>)> = BTreeMap::new();
            let mut name_month: BTreeMap<String, String> = BTreeMap::new();
            for c in store::accident_claims(conn, &f)? {
                let code = c.employer_code.unwrap_or_default();
                let e = by.entry(code.clone()).or_default();
                if let Some(n) = c.employer_name.filter(|n| !n.trim().is_empty()) {
                    let latest = name_month.entry(code).or_default();
                    if c.service_month >= *latest {
                        *latest = c.service_month.clone();
                        e.0 = n;
                    }
                }
                let waiting = matches!(c.status.as_str(), "pended" | "awaiting_approval");
                let s = e.1.entry(c.service_month).or_default();
                s.add(&AccidentSums {
                    claims: 1,
                    billed: c.billed,
                    insurer_payable: if waiting { 0 } else { c.insurer_payable },
                    pending_claims: i64::from(waiting),
                });
            }
            let mut total = AccidentSums::default();
            let employers = by
                .into_iter()
                .map(|(employer_code, (employer_name, months))| {
                    let mut t = AccidentSums::default();
                    for s in months.values() {
                        t.add(s);
                    }
                    total.add(&t);
                    EmployerAccidents {
                        employer_code,
                        employer_name,
                        months: months
                            .into_iter()
                            .map(|(service_month, sums)| AccidentMonth { service_month, sums })
                            .collect(),
                        total: t,
                    }
                })
                .collect();
            Ok(WorkAccidentsReport { employers, total })
        })
        .await
}

/// The work-accidents report as CSV: each employer's months, then its total, then the grand
/// total.
pub fn work_accidents_csv(r: &WorkAccidentsReport) -> AppResult<Vec<u8>> {
    let mut out = csv_writer();
    out.write_record([
        "کد کارگاه",
        "کارفرما",
        "ماه خدمت",
        "اسناد",
        "مبلغ درخواستی (ریال)",
        "سهم سازمان (ریال)",
        "اسناد در انتظار رسیدگی",
    ])
    .map_err(AppError::internal)?;
    let row = |code: &str, name: &str, month: &str, s: &AccidentSums| {
        [
            code.to_string(),
            name.to_string(),
            month.to_string(),
            s.claims.to_string(),
            s.billed.to_string(),
            s.insurer_payable.to_string(),
            s.pending_claims.to_string(),
        ]
    };
    for e in &r.employers {
        for m in &e.months {
            out.write_record(row(&e.employer_code, &e.employer_name, &m.service_month, &m.sums))
                .map_err(AppError::internal)?;
        }
        out.write_record(row(&e.employer_code, &e.employer_name, "جمع کارفرما", &e.total))
            .map_err(AppError::internal)?;
    }
    out.write_record(row("", "", "جمع کل", &r.total)).map_err(AppError::internal)?;
    finish_csv(out)
}
