//! Reading and validating a tariff year's files (`tariffs/<year>/`, the contract is
//! `tariffs/README.md`) into a `Tariff`. Pure: the caller reads the files; this module only
//! parses text, and reports every problem with its file, line and column, not just the first.

use std::collections::HashMap;
use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::*;
use crate::domain::jalali::JalaliDate;

/// The files of a year folder, in the order they are hashed.
pub const FILES: [&str; 8] = [
    "meta.toml",
    "services.csv",
    "coefficients.csv",
    "visits.csv",
    "hotelling.csv",
    "drugs.csv",
    "devices.csv",
    "cost_sharing.csv",
];

/// One problem in the imported files, reported as `file:line: message`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ImportError {
    pub file: String,
    /// 1-based line number; 0 for a problem with the file as a whole.
    pub line: u64,
    pub message: String,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

/// SHA-256 over the files in `FILES` order (name, length, content), hex.
pub fn content_hash(files: &HashMap<String, String>) -> String {
    let mut h = Sha256::new();
    for name in FILES {
        let content = files.get(name).map(String::as_str).unwrap_or("");
        h.update(name.as_bytes());
        h.update((content.len() as u64).to_le_bytes());
        h.update(content.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses and validates every file; returns all problems found, not just the first.
pub fn parse_tariff(files: &HashMap<String, String>) -> Result<Tariff, Vec<ImportError>> {
    let mut errors = Vec::new();
    for name in FILES {
        if !files.contains_key(name) {
            errors.push(ImportError { file: name.into(), line: 0, message: "file is missing".into() });
        }
    }
    for name in files.keys() {
        if !FILES.contains(&name.as_str()) {
            errors.push(ImportError { file: name.clone(), line: 0, message: "unexpected file".into() });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let get = |n: &str| files.get(n).map(String::as_str).unwrap_or("");
    let meta = parse_meta(get("meta.toml"), &mut errors);
    let services = parse_services(get("services.csv"), &mut errors);
    let coefficients = parse_coefficients(get("coefficients.csv"), &mut errors);
    let visits = parse_visits(get("visits.csv"), &mut errors);
    let hotelling = parse_hotelling(get("hotelling.csv"), &mut errors);
    let (drugs, drug_by_irc) = parse_drugs(get("drugs.csv"), &mut errors);
    let devices = parse_devices(get("devices.csv"), &mut errors);
    let cost_sharing = parse_cost_sharing(get("cost_sharing.csv"), &mut errors);
    match (meta, errors.is_empty()) {
        (Some(meta), true) => Ok(Tariff {
            effective_from: meta.effective_from.0.to_gregorian(),
            meta,
            content_hash: content_hash(files),
            services,
            coefficients,
            visits,
            hotelling,
            drugs,
            drug_by_irc,
            devices,
            cost_sharing,
        }),
        _ => Err(errors),
    }
}

fn parse_meta(text: &str, errors: &mut Vec<ImportError>) -> Option<TariffMeta> {
    #[derive(serde::Deserialize, utoipa::ToSchema)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        year: i32,
        effective_from: String,
        cabinet_resolution: String,
        status: String,
        revision: i32,
        note: String,
    }
    let err = |line: u64, message: String| ImportError { file: "meta.toml".into(), line, message };
    let raw: Raw = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() as u64 + 1)
                .unwrap_or(0);
            errors.push(err(line, e.message().to_string()));
            return None;
        }
    };
    let mut ok = true;
    let effective_from = match JalaliDate::parse(&raw.effective_from) {
        Ok(d) if d.year() == raw.year => Some(d),
        Ok(_) => {
            errors.push(err(
                0,
                format!("effective_from {} is not in the year {}", raw.effective_from, raw.year),
            ));
            None
        }
        Err(e) => {
            errors.push(err(0, format!("effective_from: {e}")));
            None
        }
    };
    let status = match raw.status.as_str() {
        "official" => TariffStatus::Official,
        "sample" => TariffStatus::Sample,
        other => {
            errors.push(err(0, format!("status must be official or sample, not {other:?}")));
            ok = false;
            TariffStatus::Sample
        }
    };
    if raw.revision < 1 {
        errors.push(err(0, "revision must be 1 or more".into()));
        ok = false;
    }
    let effective_from = effective_from?;
    ok.then_some(TariffMeta {
        year: raw.year,
        revision: raw.revision,
        effective_from: JalaliDateSer(effective_from),
        cabinet_resolution: raw.cabinet_resolution,
        status,
        note: raw.note,
    })
}

/// Reads one CSV file: checks the header, hands each record to `row` with a field reader.
fn read_csv(
    file: &str,
    text: &str,
    header: &[&str],
    errors: &mut Vec<ImportError>,
    mut row: impl FnMut(&mut Fields),
) {
    let mut rdr = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    match rdr.headers() {
        Ok(h) => {
            let got: Vec<&str> = h.iter().collect();
            if got != header {
                errors.push(ImportError {
                    file: file.into(),
                    line: 1,
                    message: format!("header must be exactly: {}", header.join(",")),
                });
                return;
            }
        }
        Err(e) => {
            errors.push(ImportError {
                file: file.into(),
                line: 1,
                message: format!("unreadable header: {e}"),
            });
            return;
        }
    }
    for rec in rdr.records() {
        match rec {
            Ok(rec) => {
                let line = rec.position().map(|p| p.line()).unwrap_or(0);
                let mut f = Fields { file, line, rec: &rec, header, errors };
                row(&mut f);
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                errors.push(ImportError { file: file.into(), line, message: format!("malformed row: {e}") });
            }
        }
    }
}

/// Typed access to one record's fields; a bad field records an error naming the column.
struct Fields<'a> {
    file: &'a str,
    line: u64,
    rec: &'a csv::StringRecord,
    header: &'a [&'a str],
    errors: &'a mut Vec<ImportError>,
}

impl Fields<'_> {
    fn fail(&mut self, col: usize, message: impl fmt::Display) {
        self.errors.push(ImportError {
            file: self.file.into(),
            line: self.line,
            message: format!("{}: {message}", self.header[col]),
        });
    }
    fn row_fail(&mut self, message: impl fmt::Display) {
        self.errors.push(ImportError {
            file: self.file.into(),
            line: self.line,
            message: message.to_string(),
        });
    }
    fn raw(&self, col: usize) -> &str {
        self.rec.get(col).unwrap_or("")
    }
    fn text(&mut self, col: usize) -> String {
        let v = self.raw(col).to_string();
        if v.is_empty() {
            self.fail(col, "is required");
        }
        crate::domain::text::normalize_persian(&v)
    }
    fn opt_text(&self, col: usize) -> String {
        crate::domain::text::normalize_persian(self.raw(col))
    }
    fn digits(&mut self, col: usize, len: usize) -> String {
        let v = self.raw(col).to_string();
        if v.len() != len || !v.bytes().all(|b| b.is_ascii_digit()) {
            self.fail(col, format!("must be {len} digits, got {v:?}"));
        }
        v
    }
    fn int(&mut self, col: usize) -> i64 {
        match self.opt_int(col) {
            Some(v) => v,
            None => {
                if self.raw(col).is_empty() {
                    self.fail(col, "is required");
                }
                0
            }
        }
    }
    fn opt_int(&mut self, col: usize) -> Option<i64> {
        let v = self.raw(col);
        if v.is_empty() {
            return None;
        }
        if !v.bytes().all(|b| b.is_ascii_digit()) || v.len() > 15 {
            let v = v.to_string();
            self.fail(col, format!("must be a whole number, got {v:?}"));
            return None;
        }
        v.parse().ok()
    }
    fn positive(&mut self, col: usize) -> i64 {
        let v = self.int(col);
        if v <= 0 && !self.raw(col).is_empty() {
            self.fail(col, "must be greater than zero");
        }
        v
    }
    fn decimal(&mut self, col: usize, max_dp: u32) -> Decimal {
        let v = self.raw(col).to_string();
        let ok = !v.is_empty()
            && v.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && v.matches('.').count() <= 1
            && !v.starts_with('.')
            && !v.ends_with('.');
        match (ok, v.parse::<Decimal>()) {
            (true, Ok(d)) if d.scale() <= max_dp => d,
            (true, Ok(_)) => {
                self.fail(col, format!("at most {max_dp} decimal places, got {v:?}"));
                Decimal::ZERO
            }
            _ => {
                self.fail(col, format!("must be a non-negative decimal like 1.25, got {v:?}"));
                Decimal::ZERO
            }
        }
    }
    fn bool(&mut self, col: usize) -> bool {
        match self.raw(col) {
            "0" => false,
            "1" => true,
            other => {
                let other = other.to_string();
                self.fail(col, format!("must be 0 or 1, got {other:?}"));
                false
            }
        }
    }
    fn choice<T>(&mut self, col: usize, parse: impl Fn(&str) -> Option<T>, allowed: &str) -> Option<T> {
        let v = self.raw(col).to_string();
        let r = parse(&v);
        if r.is_none() {
            self.fail(col, format!("must be one of {allowed}, got {v:?}"));
        }
        r
    }
    fn sector_fees(&mut self, first_col: usize) -> [i64; 4] {
        [
            self.positive(first_col),
            self.positive(first_col + 1),
            self.positive(first_col + 2),
            self.positive(first_col + 3),
        ]
    }
    fn jalali(&mut self, col: usize) -> Option<NaiveDate> {
        let v = self.raw(col).to_string();
        match JalaliDate::parse(&v) {
            Ok(d) => Some(d.to_gregorian()),
            Err(e) => {
                self.fail(col, format!("{e} ({v:?})"));
                None
            }
        }
    }
}

const SERVICES_HEADER: [&str; 20] = [
    "code",
    "flag",
    "description_fa",
    "category",
    "professional_units",
    "technical_units",
    "anesthesia_base_units",
    "global",
    "global_price",
    "global_price_private",
    "global_price_public_non_governmental",
    "global_price_charity",
    "not_covered",
    "needs_medical_record",
    "sex",
    "min_age",
    "max_age",
    "max_per_day",
    "min_interval_days",
    "requires_preauth",
];

fn parse_services(text: &str, errors: &mut Vec<ImportError>) -> HashMap<String, ServiceTariff> {
    let mut out: HashMap<String, ServiceTariff> = HashMap::new();
    read_csv("services.csv", text, &SERVICES_HEADER, errors, |f| {
        let code = f.digits(0, 6);
        let flag = f.raw(1).to_string();
        if !matches!(flag.as_str(), "" | "#" | "*") {
            f.fail(1, format!("must be empty, # or *, got {flag:?}"));
        }
        let description_fa = f.text(2);
        let category = f.choice(3, ServiceCategory::parse, "visit, lab, pathology, imaging, surgery, procedure, dental, physiotherapy, rehabilitation, other");
        let professional_units = f.decimal(4, 2);
        let technical_units = f.decimal(5, 2);
        let anesthesia_base_units = f.decimal(6, 2);
        let global = f.bool(7);
        // Columns 8–11: the bundle of each sector, in `Sector::ALL` order; all or none.
        let mut prices = [0i64; 4];
        let mut complete = global;
        for (i, col) in (8..12).enumerate() {
            match (global, f.opt_int(col)) {
                (true, Some(p)) if p > 0 => prices[i] = p,
                (true, value) => {
                    // A malformed number was already reported by `opt_int`.
                    if value.is_some() || f.raw(col).is_empty() {
                        f.fail(col, "is required and positive when global is 1");
                    }
                    complete = false;
                }
                (false, Some(_)) => f.fail(col, "must be empty when global is 0"),
                (false, None) => {}
            }
        }
        let global_prices = complete.then_some(GlobalPrices {
            government: prices[0],
            private: prices[1],
            public_non_governmental: prices[2],
            charity: prices[3],
        });
        let not_covered = f.bool(12);
        let needs_medical_record = f.bool(13);
        let sex = match f.raw(14) {
            "" => None,
            "M" => Some(Sex::Male),
            "F" => Some(Sex::Female),
            other => {
                let other = other.to_string();
                f.fail(14, format!("must be empty, M or F, got {other:?}"));
                None
            }
        };
        let min_age = f.opt_int(15).map(|v| v as u32);
        let max_age = f.opt_int(16).map(|v| v as u32);
        if let (Some(lo), Some(hi)) = (min_age, max_age) {
            if lo > hi {
                f.row_fail(format!("min_age {lo} is above max_age {hi}"));
            }
        }
        let max_per_day = f.opt_int(17).map(|v| v as u32);
        if max_per_day == Some(0) {
            f.fail(17, "must be 1 or more, or empty");
        }
        let min_interval_days = f.opt_int(18).map(|v| v as u32);
        let requires_preauth = f.bool(19);
        if let Some(category) = category {
            if out.contains_key(&code) {
                f.fail(0, format!("duplicate code {code}"));
                return;
            }
            out.insert(
                code.clone(),
                ServiceTariff {
                    code,
                    flag,
                    description_fa,
                    category,
                    professional_units,
                    technical_units,
                    anesthesia_base_units,
                    global_price: global_prices.map(|g| g.government),
                    global_prices,
                    not_covered,
                    needs_medical_record,
                    sex,
                    min_age,
                    max_age,
                    max_per_day,
                    min_interval_days,
                    requires_preauth,
                },
            );
        }
    });
    if out.is_empty() && !errors.iter().any(|e| e.file == "services.csv") {
        errors.push(ImportError { file: "services.csv".into(), line: 0, message: "has no rows".into() });
    }
    out
}

fn parse_coefficients(text: &str, errors: &mut Vec<ImportError>) -> [[i64; 4]; 4] {
    let mut k = [[0i64; 4]; 4];
    let mut seen = [[false; 4]; 4];
    read_csv("coefficients.csv", text, &["sector", "component", "rial_per_unit"], errors, |f| {
        let sector = f.choice(0, Sector::parse, "government, private, public_non_governmental, charity");
        let component = f.choice(
            1,
            |s| Component::ALL.into_iter().find(|c| c.as_str() == s),
            "professional, technical, anesthesia, dental_consumables",
        );
        let value = f.positive(2);
        if let (Some(s), Some(c)) = (sector, component) {
            if seen[s.index()][c as usize] {
                f.row_fail(format!("duplicate {} {}", s.as_str(), c.as_str()));
            }
            seen[s.index()][c as usize] = true;
            k[s.index()][c as usize] = value;
        }
    });
    for s in Sector::ALL {
        for c in Component::ALL {
            if !seen[s.index()][c as usize] {
                errors.push(ImportError {
                    file: "coefficients.csv".into(),
                    line: 0,
                    message: format!("missing the row for {} {}", s.as_str(), c.as_str()),
                });
            }
        }
    }
    k
}

const DEGREES: [&str; 7] =
    ["general", "specialist", "subspecialist", "psychiatrist", "psychiatry_subspecialist", "msc", "bsc"];

fn parse_visits(text: &str, errors: &mut Vec<ImportError>) -> HashMap<String, VisitFee> {
    let header = [
        "code",
        "degree",
        "full_time",
        "description_fa",
        "government",
        "private",
        "public_non_governmental",
        "charity",
    ];
    let mut out = HashMap::new();
    read_csv("visits.csv", text, &header, errors, |f| {
        let code = f.raw(0).to_string();
        let degree = f.choice(1, |s| DEGREES.contains(&s).then(|| s.to_string()), &DEGREES.join(", "));
        let full_time = f.bool(2);
        let description_fa = f.text(3);
        let fees = f.sector_fees(4);
        if let Some(degree) = degree {
            let expected = if full_time { format!("{degree}_ft") } else { degree.clone() };
            if code != expected {
                f.fail(0, format!("must be {expected:?} for this degree and full_time"));
                return;
            }
            if out.contains_key(&code) {
                f.fail(0, format!("duplicate code {code}"));
                return;
            }
            out.insert(code.clone(), VisitFee { code, degree, full_time, description_fa, fees });
        }
    });
    for d in DEGREES {
        for code in [d.to_string(), format!("{d}_ft")] {
            if !out.contains_key(&code) && !errors.iter().any(|e| e.file == "visits.csv") {
                errors.push(ImportError {
                    file: "visits.csv".into(),
                    line: 0,
                    message: format!("missing the row {code}"),
                });
            }
        }
    }
    out
}

fn parse_hotelling(text: &str, errors: &mut Vec<ImportError>) -> HashMap<(RoomType, u8), BedDayFee> {
    let header = [
        "room_type",
        "grade",
        "description_fa",
        "government",
        "private",
        "public_non_governmental",
        "charity",
    ];
    let mut out = HashMap::new();
    read_csv("hotelling.csv", text, &header, errors, |f| {
        let room = f.choice(
            0,
            RoomType::parse,
            "bed_1, bed_2, bed_3plus, icu, ccu, post_ccu, nicu, newborn, companion, day_care",
        );
        let grade = f.int(1);
        if !(1..=4).contains(&grade) {
            f.fail(1, "must be 1, 2, 3 or 4");
        }
        let description_fa = f.text(2);
        let fees = f.sector_fees(3);
        if let Some(room_type) = room {
            let key = (room_type, grade as u8);
            if out.contains_key(&key) {
                f.row_fail(format!("duplicate {} grade {grade}", room_type.as_str()));
                return;
            }
            out.insert(key, BedDayFee { room_type, grade: grade as u8, description_fa, fees });
        }
    });
    for room in RoomType::ALL {
        for grade in 1..=4u8 {
            if !out.contains_key(&(room, grade)) && !errors.iter().any(|e| e.file == "hotelling.csv") {
                errors.push(ImportError {
                    file: "hotelling.csv".into(),
                    line: 0,
                    message: format!("missing the row {} grade {grade}", room.as_str()),
                });
            }
        }
    }
    out
}

#[allow(clippy::type_complexity)]
fn parse_drugs(
    text: &str,
    errors: &mut Vec<ImportError>,
) -> (HashMap<String, DrugTariff>, HashMap<String, String>) {
    let header = [
        "generic_code",
        "irc",
        "name",
        "form",
        "unit_price",
        "covered",
        "otc",
        "insurer_share_percent",
        "max_per_prescription",
    ];
    let mut out: HashMap<String, DrugTariff> = HashMap::new();
    let mut by_irc: HashMap<String, String> = HashMap::new();
    read_csv("drugs.csv", text, &header, errors, |f| {
        let generic_code = f.digits(0, 5);
        let irc = f.digits(1, 16);
        let name = f.text(2);
        let form = f.text(3);
        let unit_price = f.positive(4);
        let covered = f.bool(5);
        let otc = f.bool(6);
        let share = f.opt_int(7);
        if let Some(s) = share {
            if !(1..=100).contains(&s) {
                f.fail(7, "must be 1–100, or empty");
            } else if !covered {
                f.fail(7, "must be empty when covered is 0");
            }
        }
        let max_per_prescription = f.positive(8) as u32;
        if out.contains_key(&generic_code) {
            f.fail(0, format!("duplicate generic code {generic_code}"));
            return;
        }
        if by_irc.contains_key(&irc) {
            f.fail(1, format!("duplicate IRC {irc}"));
            return;
        }
        by_irc.insert(irc.clone(), generic_code.clone());
        out.insert(
            generic_code.clone(),
            DrugTariff {
                generic_code,
                irc,
                name,
                form,
                unit_price,
                covered,
                otc,
                insurer_share_percent: share.map(|s| s as u8),
                max_per_prescription,
            },
        );
    });
    (out, by_irc)
}

const DEVICE_GROUPS: [&str; 9] = [
    "glasses",
    "hearing_aid",
    "denture",
    "wheelchair",
    "orthosis",
    "prosthesis",
    "mobility",
    "respiratory",
    "other",
];

fn parse_devices(text: &str, errors: &mut Vec<ImportError>) -> HashMap<String, DeviceTariff> {
    let header = ["code", "name_fa", "name_en", "group", "amount_rial", "renewal_months"];
    let mut out = HashMap::new();
    read_csv("devices.csv", text, &header, errors, |f| {
        let code = f.raw(0).to_string();
        if !(code.len() == 4 && code.starts_with('D') && code[1..].bytes().all(|b| b.is_ascii_digit())) {
            f.fail(0, format!("must be D followed by 3 digits, got {code:?}"));
        }
        let name_fa = f.text(1);
        let name_en = f.text(2);
        let group =
            f.choice(3, |s| DEVICE_GROUPS.contains(&s).then(|| s.to_string()), &DEVICE_GROUPS.join(", "));
        let amount = f.positive(4);
        let renewal_months = f.positive(5) as u32;
        if let Some(group) = group {
            if out.contains_key(&code) {
                f.fail(0, format!("duplicate code {code}"));
                return;
            }
            out.insert(code.clone(), DeviceTariff { code, name_fa, name_en, group, amount, renewal_months });
        }
    });
    out
}

fn parse_condition(s: &str) -> Result<Condition, String> {
    const TYPES: [&str; 5] = ["mandatory", "voluntary", "self_employed", "pensioner", "unemployment"];
    let (name, arg) = s.split_once(':').map(|(a, b)| (a, Some(b))).unwrap_or((s, None));
    match (name, arg) {
        ("age_gte", Some(n)) => {
            n.parse().map(Condition::AgeGte).map_err(|_| format!("age_gte needs a number: {s:?}"))
        }
        ("age_lt", Some(n)) => {
            n.parse().map(Condition::AgeLt).map_err(|_| format!("age_lt needs a number: {s:?}"))
        }
        ("special_disease", None) => Ok(Condition::SpecialDisease),
        ("not_supplementary", None) => Ok(Condition::NotSupplementary),
        ("not_insurance_type", Some(t)) if TYPES.contains(&t) => {
            Ok(Condition::NotInsuranceType(t.to_string()))
        }
        _ => Err(format!("unknown condition {s:?}")),
    }
}

fn parse_cost_sharing(text: &str, errors: &mut Vec<ImportError>) -> Vec<CostShareRule> {
    let header = [
        "id",
        "kind",
        "setting",
        "sector_scope",
        "condition",
        "percent",
        "effective_from",
        "effective_to",
        "description_fa",
        "source",
    ];
    let mut out: Vec<CostShareRule> = Vec::new();
    read_csv("cost_sharing.csv", text, &header, errors, |f| {
        let id = f.raw(0).to_string();
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            f.fail(0, format!("must be snake_case, got {id:?}"));
        }
        let kind = f.choice(
            1,
            |s| match s {
                "franchise" => Some(RuleKind::Franchise),
                "exemption" => Some(RuleKind::Exemption),
                _ => None,
            },
            "franchise, exemption",
        );
        let setting = f.choice(
            2,
            |s| match s {
                "inpatient" => Some(SettingScope::Inpatient),
                "outpatient" => Some(SettingScope::Outpatient),
                "emergency_under_6h" => Some(SettingScope::EmergencyUnder6h),
                "limited_surgery" => Some(SettingScope::LimitedSurgery),
                "any" => Some(SettingScope::Any),
                _ => None,
            },
            "inpatient, outpatient, emergency_under_6h, limited_surgery, any",
        );
        let sector_scope = f.choice(
            3,
            |s| match s {
                "any" => Some(SectorScope::Any),
                "government" => Some(SectorScope::Government),
                "sso_owned" => Some(SectorScope::SsoOwned),
                _ => None,
            },
            "any, government, sso_owned",
        );
        let mut conditions = Vec::new();
        let cond_text = f.raw(4).to_string();
        if !cond_text.is_empty() {
            for part in cond_text.split(';') {
                match parse_condition(part) {
                    Ok(c) => conditions.push(c),
                    Err(m) => f.fail(4, m),
                }
            }
        }
        let percent = f.decimal(5, 2);
        if percent > Decimal::ONE_HUNDRED {
            f.fail(5, "must be at most 100");
        }
        let effective_from = f.jalali(6);
        let effective_to = if f.raw(7).is_empty() { None } else { f.jalali(7) };
        let description_fa = f.text(8);
        let source = f.opt_text(9);
        if kind == Some(RuleKind::Exemption) && !percent.is_zero() {
            f.fail(5, "an exemption's percent is 0");
        }
        if out.iter().any(|r| r.id == id) {
            f.fail(0, format!("duplicate id {id}"));
            return;
        }
        if let (Some(kind), Some(setting), Some(sector_scope), Some(effective_from)) =
            (kind, setting, sector_scope, effective_from)
        {
            out.push(CostShareRule {
                id,
                kind,
                setting,
                sector_scope,
                conditions,
                percent,
                effective_from,
                effective_to,
                description_fa,
                source,
            });
        }
    });
    for setting in [
        SettingScope::Inpatient,
        SettingScope::Outpatient,
        SettingScope::EmergencyUnder6h,
        SettingScope::LimitedSurgery,
    ] {
        if !out.iter().any(|r| r.kind == RuleKind::Franchise && r.setting == setting)
            && !errors.iter().any(|e| e.file == "cost_sharing.csv")
        {
            errors.push(ImportError {
                file: "cost_sharing.csv".into(),
                line: 0,
                message: format!("missing the franchise row for {setting:?}"),
            });
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The 1403 folder of the repository, read at test time.
    pub fn repo_year(year: i32) -> HashMap<String, String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tariffs").join(year.to_string());
        FILES
            .iter()
            .map(|f| (f.to_string(), std::fs::read_to_string(dir.join(f)).expect("tariff file")))
            .collect()
    }

    #[test]
    fn the_shipped_years_parse() {
        for year in [1403, 1404, 1405] {
            let t = parse_tariff(&repo_year(year))
                .unwrap_or_else(|e| panic!("{year}: {:?}", &e[..e.len().min(5)]));
            assert_eq!(t.meta.year, year);
            assert_eq!(t.meta.status, TariffStatus::Sample);
            assert!(t.services.len() >= 300);
            assert!(t.drugs.len() >= 120);
            assert_eq!(t.visits.len(), 14);
            assert_eq!(t.hotelling.len(), 40);
        }
        let t = parse_tariff(&repo_year(1403)).unwrap();
        let s = &t.services["801175"];
        assert_eq!(
            (s.flag.as_str(), s.professional_units, s.technical_units),
            ("#", Decimal::new(54, 2), Decimal::new(143, 2))
        );
        assert_eq!(t.effective_from, NaiveDate::from_ymd_opt(2024, 3, 20).unwrap());
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let mut files = repo_year(1403);
        let services = files["services.csv"].clone();
        let mut lines: Vec<String> = services.lines().map(String::from).collect();
        // Line 3 of the file: a bad unit value; line 5: an unknown category.
        lines[2] = lines[2].replacen(",1.6,", ",1.6x,", 1);
        let mut cols: Vec<String> = lines[4].split(',').map(String::from).collect();
        cols[3] = "magic".into();
        lines[4] = cols.join(",");
        files.insert("services.csv".into(), lines.join("\n") + "\n");
        files.insert(
            "coefficients.csv".into(),
            "sector,component,rial_per_unit\ngovernment,professional,-5\n".into(),
        );
        let errs = parse_tariff(&files).unwrap_err();
        let text: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert!(text.iter().any(|e| e.starts_with("services.csv:3: professional_units:")), "{text:?}");
        assert!(text.iter().any(|e| e.starts_with("services.csv:5: category: must be one of")), "{text:?}");
        assert!(text.iter().any(|e| e.starts_with("coefficients.csv:2: rial_per_unit:")), "{text:?}");
        assert!(text.iter().any(|e| e.contains("missing the row for private technical")), "{text:?}");
    }

    #[test]
    fn global_codes_carry_a_bundle_per_sector() {
        let t = parse_tariff(&repo_year(1405)).unwrap();
        let s = &t.services["428010"];
        let bundles = GlobalPrices {
            government: 38_520_000,
            private: 140_040_000,
            public_non_governmental: 62_260_000,
            charity: 62_260_000,
        };
        assert_eq!((s.global_price, s.global_prices), (Some(38_520_000), Some(bundles)));
        assert_eq!(bundles.get(Sector::PublicNonGovernmental), 62_260_000);
        assert!(t.services.values().all(|s| s.global_prices.map(|g| g.government) == s.global_price));
        assert_eq!(t.services["801175"].global_prices, None);

        // A global row missing a sector's bundle or with a malformed one, and a plain row with a
        // bundle, are refused with the line and the column.
        let mut files = repo_year(1405);
        let mut lines: Vec<String> = files["services.csv"].lines().map(String::from).collect();
        let row = lines.iter().position(|l| l.starts_with("428010,")).unwrap();
        lines[row] = lines[row].replacen(",140040000,62260000,62260000,", ",14x,62260000,,", 1);
        let plain = lines.iter().position(|l| l.starts_with("801175,")).unwrap();
        let mut cols: Vec<String> = lines[plain].split(',').map(String::from).collect();
        cols[10] = "5000000".into();
        lines[plain] = cols.join(",");
        files.insert("services.csv".into(), lines.join("\n") + "\n");
        let text: Vec<String> = parse_tariff(&files).unwrap_err().iter().map(|e| e.to_string()).collect();
        let (row, plain) = (row + 1, plain + 1);
        let want = [
            (plain, "global_price_public_non_governmental: must be empty when global is 0"),
            (row, "global_price_private: must be a whole number, got \"14x\""),
            (row, "global_price_charity: is required and positive when global is 1"),
        ]
        .map(|(line, m)| format!("services.csv:{line}: {m}"));
        assert_eq!(text, want);
    }

    #[test]
    fn missing_and_extra_files_are_reported() {
        let mut files = repo_year(1403);
        files.remove("drugs.csv");
        files.insert("notes.txt".into(), "x".into());
        let text: Vec<String> = parse_tariff(&files).unwrap_err().iter().map(|e| e.to_string()).collect();
        assert!(text.contains(&"drugs.csv: file is missing".to_string()));
        assert!(text.contains(&"notes.txt: unexpected file".to_string()));
    }

    #[test]
    fn bad_header_and_meta() {
        let mut files = repo_year(1403);
        files.insert("visits.csv".into(), "code,degree\n".into());
        files.insert(
            "meta.toml".into(),
            files["meta.toml"].replace("status = \"sample\"", "status = \"draft\""),
        );
        let text: Vec<String> = parse_tariff(&files).unwrap_err().iter().map(|e| e.to_string()).collect();
        assert!(text.iter().any(|e| e.starts_with("visits.csv:1: header must be exactly")), "{text:?}");
        assert!(text.iter().any(|e| e.contains("meta.toml: status must be official or sample")), "{text:?}");
    }

    #[test]
    fn the_hash_identifies_content() {
        let a = repo_year(1403);
        let mut b = a.clone();
        assert_eq!(content_hash(&a), content_hash(&b));
        b.insert("devices.csv".into(), b["devices.csv"].replace("24\n", "25\n"));
        assert_ne!(content_hash(&a), content_hash(&b));
    }
}
