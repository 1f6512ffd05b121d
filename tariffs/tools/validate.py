#!/usr/bin/env python3
"""Validate every tariffs/<year>/ folder against the contract in tariffs/README.md.

    python3 tariffs/tools/validate.py            # all year folders
    python3 tariffs/tools/validate.py 1405       # one year

Exit status 0 when everything passes, 1 otherwise (each problem is printed).
Standard library only (Python 3.11+ for tomllib).
"""

from __future__ import annotations

import csv
import re
import sys
import tomllib
from decimal import Decimal, InvalidOperation
from pathlib import Path

TARIFFS = Path(__file__).resolve().parent.parent

FILES = {
    "meta.toml": None,
    "services.csv": "code,flag,description_fa,category,professional_units,technical_units,anesthesia_base_units,global,global_price,global_price_private,global_price_public_non_governmental,global_price_charity,not_covered,needs_medical_record,sex,min_age,max_age,max_per_day,min_interval_days,requires_preauth",
    "coefficients.csv": "sector,component,rial_per_unit",
    "visits.csv": "code,degree,full_time,description_fa,government,private,public_non_governmental,charity",
    "hotelling.csv": "room_type,grade,description_fa,government,private,public_non_governmental,charity",
    "drugs.csv": "generic_code,irc,name,form,unit_price,covered,otc,insurer_share_percent,max_per_prescription",
    "devices.csv": "code,name_fa,name_en,group,amount_rial,renewal_months",
    "cost_sharing.csv": "id,kind,setting,sector_scope,condition,percent,effective_from,effective_to,description_fa,source",
}
MIN_ROWS = {"services.csv": 300, "drugs.csv": 120, "devices.csv": 40}
EXACT_ROWS = {"coefficients.csv": 16, "visits.csv": 14, "hotelling.csv": 40}

SECTORS = ["government", "private", "public_non_governmental", "charity"]
# The bundled (global) price of each sector, in SECTORS order.
GLOBAL_PRICE_COLUMNS = ["global_price", "global_price_private", "global_price_public_non_governmental", "global_price_charity"]
COMPONENTS = ["professional", "technical", "anesthesia", "dental_consumables"]
CATEGORIES = {"visit", "lab", "pathology", "imaging", "surgery", "procedure", "dental", "physiotherapy", "rehabilitation", "other"}
DEGREES = ["general", "specialist", "subspecialist", "psychiatrist", "psychiatry_subspecialist", "msc", "bsc"]
ROOMS = ["bed_1", "bed_2", "bed_3plus", "icu", "ccu", "post_ccu", "nicu", "newborn", "companion", "day_care"]
DEVICE_GROUPS = {"glasses", "hearing_aid", "denture", "wheelchair", "orthosis", "prosthesis", "mobility", "respiratory", "other"}
SETTINGS = {"inpatient", "outpatient", "emergency_under_6h", "limited_surgery", "any"}
SCOPES = {"any", "government", "sso_owned"}
INSURANCE_TYPES = {"mandatory", "voluntary", "self_employed", "pensioner", "unemployment"}
REQUIRED_COST_ROWS = {
    "franchise_inpatient": ("franchise", "inpatient", "10"),
    "franchise_outpatient": ("franchise", "outpatient", "30"),
    "franchise_emergency_under_6h": ("franchise", "emergency_under_6h", "30"),
    "franchise_limited_surgery": ("franchise", "limited_surgery", "10"),
    "exempt_age_65_inpatient_gov": ("exemption", "inpatient", "0"),
    "exempt_under_7_gov": ("exemption", "any", "0"),
    "exempt_special_disease": ("exemption", "any", "0"),
    "exempt_sso_owned": ("exemption", "any", "0"),
}

INT_RE = re.compile(r"^(0|[1-9][0-9]*)$")
UNITS_RE = re.compile(r"^(0|[1-9][0-9]*)(\.[0-9]{1,2})?$")
PERCENT_RE = re.compile(r"^(0|[1-9][0-9]*)(\.[0-9]+)?$")
JDATE_RE = re.compile(r"^(1[2-4][0-9]{2})-([0-9]{2})-([0-9]{2})$")
ARABIC_YEH_KAF = re.compile("[\u064A\u0643\u0649]")


class Report:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def err(self, where: str, msg: str) -> None:
        self.errors.append(f"{where}: {msg}")


def is_int(v: str) -> bool:
    return bool(INT_RE.match(v))


def valid_jdate(v: str) -> bool:
    m = JDATE_RE.match(v)
    if not m:
        return False
    mo, d = int(m.group(2)), int(m.group(3))
    if not 1 <= mo <= 12 or d < 1:
        return False
    return d <= (31 if mo <= 6 else 30)


def persian_ok(v: str) -> bool:
    return not ARABIC_YEH_KAF.search(v)


def read(path: Path, header: str, r: Report) -> list[dict[str, str]] | None:
    raw = path.read_bytes()
    where = str(path.relative_to(TARIFFS))
    if raw.startswith(b"\xef\xbb\xbf"):
        r.err(where, "starts with a BOM")
    if b"\r" in raw:
        r.err(where, "contains CR characters (use LF line ends)")
    if not raw.endswith(b"\n"):
        r.err(where, "does not end with a newline")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        r.err(where, f"not UTF-8: {e}")
        return None
    rows = list(csv.reader(text.splitlines()))
    if not rows or ",".join(rows[0]) != header:
        r.err(where, f"header must be exactly: {header}")
        return None
    cols = rows[0]
    out = []
    for i, row in enumerate(rows[1:], start=2):
        if len(row) != len(cols):
            r.err(f"{where}:{i}", f"{len(row)} fields, expected {len(cols)}")
            continue
        if any(v != v.strip() for v in row):
            r.err(f"{where}:{i}", "leading/trailing whitespace in a field")
        out.append(dict(zip(cols, row)))
    return out


def unique(rows, key, where, r):
    seen = set()
    for i, row in enumerate(rows, start=2):
        k = tuple(row[c] for c in key) if isinstance(key, tuple) else row[key]
        if k in seen:
            r.err(f"{where}:{i}", f"duplicate key {k}")
        seen.add(k)


def check_flags(row, cols, where, r):
    for c in cols:
        if row[c] not in ("0", "1"):
            r.err(where, f"{c} must be 0 or 1, got {row[c]!r}")


def check_opt_int(row, cols, where, r):
    for c in cols:
        if row[c] != "" and not is_int(row[c]):
            r.err(where, f"{c} must be an integer or empty, got {row[c]!r}")


def check_services(rows, where, r):
    unique(rows, "code", where, r)
    have = dict.fromkeys(["min_interval_days", "sex_F", "sex_M", "max_age<=12", "min_age>=18", "global", "not_covered", "requires_preauth", "needs_medical_record", "max_per_day=1"], False)
    cats = set()
    for i, s in enumerate(rows, start=2):
        w = f"{where}:{i}"
        if not re.fullmatch(r"[0-9]{6}", s["code"]):
            r.err(w, f"code must be 6 digits: {s['code']!r}")
        if s["flag"] not in ("", "#", "*"):
            r.err(w, f"flag must be empty, # or *: {s['flag']!r}")
        if not s["description_fa"] or not persian_ok(s["description_fa"]):
            r.err(w, "description_fa empty or uses Arabic ي/ك/ى")
        if s["category"] not in CATEGORIES:
            r.err(w, f"bad category {s['category']!r}")
        cats.add(s["category"])
        for c in ("professional_units", "technical_units", "anesthesia_base_units"):
            if not UNITS_RE.match(s[c]):
                r.err(w, f"{c} must be a decimal >= 0 with at most 2 decimals: {s[c]!r}")
        check_flags(s, ("global", "not_covered", "needs_medical_record", "requires_preauth"), w, r)
        if s["global"] == "1":
            prices = []
            for c in GLOBAL_PRICE_COLUMNS:
                if not is_int(s[c]) or int(s[c]) <= 0:
                    r.err(w, f"global=1 needs a positive integer {c}")
                else:
                    prices.append(int(s[c]))
            # Each sector's bundle is at least the government's (the same ordering as K, visits
            # and bed-days): a provider's cap never falls below the government basis.
            if len(prices) == 4:
                gov, priv, pub, ch = prices
                if not (priv >= pub >= gov and priv >= ch >= gov):
                    r.err(w, "expected global_price_private >= global_price_public_non_governmental/global_price_charity >= global_price")
        else:
            for c in GLOBAL_PRICE_COLUMNS:
                if s[c] != "":
                    r.err(w, f"{c} must be empty when global=0")
        if s["sex"] not in ("", "M", "F"):
            r.err(w, f"sex must be empty, M or F: {s['sex']!r}")
        check_opt_int(s, ("min_age", "max_age", "max_per_day", "min_interval_days"), w, r)
        if s["min_age"] and s["max_age"] and int(s["min_age"]) > int(s["max_age"]):
            r.err(w, "min_age > max_age")
        if s["max_per_day"] == "0":
            r.err(w, "max_per_day 0 (use empty for no limit)")
        have["min_interval_days"] |= s["min_interval_days"] != ""
        have["sex_F"] |= s["sex"] == "F"
        have["sex_M"] |= s["sex"] == "M"
        have["max_age<=12"] |= s["max_age"] != "" and int(s["max_age"] or 99) <= 12
        have["min_age>=18"] |= s["min_age"] != "" and int(s["min_age"] or 0) >= 18
        have["global"] |= s["global"] == "1"
        have["not_covered"] |= s["not_covered"] == "1"
        have["requires_preauth"] |= s["requires_preauth"] == "1"
        have["needs_medical_record"] |= s["needs_medical_record"] == "1"
        have["max_per_day=1"] |= s["max_per_day"] == "1"
    for k, ok in have.items():
        if not ok:
            r.err(where, f"no row exercises {k}")
    if cats != CATEGORIES:
        r.err(where, f"categories missing: {sorted(CATEGORIES - cats)}")
    hplc = {s["code"]: s for s in rows}.get("801175")
    if not hplc or (hplc["flag"], hplc["professional_units"], hplc["technical_units"]) != ("#", "0.54", "1.43"):
        r.err(where, "sourced row 801175 must be flag #, professional 0.54, technical 1.43")


def check_coefficients(rows, where, r):
    unique(rows, ("sector", "component"), where, r)
    k = {}
    for i, c in enumerate(rows, start=2):
        w = f"{where}:{i}"
        if c["sector"] not in SECTORS or c["component"] not in COMPONENTS:
            r.err(w, f"bad sector/component {c['sector']}/{c['component']}")
        if not is_int(c["rial_per_unit"]) or int(c["rial_per_unit"]) <= 0:
            r.err(w, "rial_per_unit must be a positive integer")
            continue
        k[(c["sector"], c["component"])] = int(c["rial_per_unit"])
    for comp in COMPONENTS:
        try:
            g, p, pub, ch = (k[(s, comp)] for s in SECTORS)
        except KeyError:
            r.err(where, f"missing a sector for {comp}")
            continue
        if not (p > pub and p > ch and pub > g and ch > g):
            r.err(where, f"{comp}: expected private > public_non_governmental ~ charity > government")


def check_money_sectors(row, w, r):
    vals = []
    for s in SECTORS:
        if not is_int(row[s]) or int(row[s]) <= 0:
            r.err(w, f"{s} must be a positive integer, got {row[s]!r}")
            return
        vals.append(int(row[s]))
    if not (vals[1] >= vals[2] >= vals[0] and vals[1] >= vals[3] >= vals[0]):
        r.err(w, "expected private >= public_non_governmental/charity >= government")


def check_visits(rows, where, r):
    unique(rows, "code", where, r)
    want = {f"{d}{'_ft' if ft else ''}": (d, str(ft)) for d in DEGREES for ft in (0, 1)}
    got = set()
    for i, v in enumerate(rows, start=2):
        w = f"{where}:{i}"
        if want.get(v["code"]) != (v["degree"], v["full_time"]):
            r.err(w, f"code {v['code']!r} does not match degree {v['degree']!r} / full_time {v['full_time']!r}")
        got.add(v["code"])
        if not persian_ok(v["description_fa"]):
            r.err(w, "description_fa uses Arabic ي/ك")
        check_money_sectors(v, w, r)
    if got != set(want):
        r.err(where, f"missing visit codes: {sorted(set(want) - got)}")


def check_hotelling(rows, where, r):
    unique(rows, ("room_type", "grade"), where, r)
    by = {}
    for i, h in enumerate(rows, start=2):
        w = f"{where}:{i}"
        if h["room_type"] not in ROOMS or h["grade"] not in ("1", "2", "3", "4"):
            r.err(w, f"bad room_type/grade {h['room_type']}/{h['grade']}")
            continue
        if not persian_ok(h["description_fa"]):
            r.err(w, "description_fa uses Arabic ي/ك")
        check_money_sectors(h, w, r)
        by[(h["room_type"], int(h["grade"]))] = h
    for room in ROOMS:
        for s in SECTORS:
            prices = [int(by[(room, g)][s]) for g in (1, 2, 3, 4) if (room, g) in by and is_int(by[(room, g)][s])]
            if prices != sorted(prices, reverse=True):
                r.err(where, f"{room}/{s}: grade 1 must be the highest price, decreasing to grade 4")


def check_drugs(rows, where, r):
    unique(rows, "generic_code", where, r)
    unique(rows, "irc", where, r)
    for i, d in enumerate(rows, start=2):
        w = f"{where}:{i}"
        if not re.fullmatch(r"[0-9]{5}", d["generic_code"]):
            r.err(w, "generic_code must be 5 digits")
        if not re.fullmatch(r"[0-9]{16}", d["irc"]):
            r.err(w, "irc must be 16 digits")
        if not d["name"] or not d["form"]:
            r.err(w, "name and form are required")
        if not is_int(d["unit_price"]) or int(d["unit_price"]) <= 0:
            r.err(w, "unit_price must be a positive integer")
        check_flags(d, ("covered", "otc"), w, r)
        sh = d["insurer_share_percent"]
        if sh != "" and (not is_int(sh) or not 0 < int(sh) <= 100):
            r.err(w, f"insurer_share_percent must be empty or an integer 1..100: {sh!r}")
        if d["covered"] == "0" and sh != "":
            r.err(w, "a non-covered drug must not carry insurer_share_percent")
        if not is_int(d["max_per_prescription"]) or int(d["max_per_prescription"]) <= 0:
            r.err(w, "max_per_prescription must be a positive integer")


def check_devices(rows, where, r):
    unique(rows, "code", where, r)
    for i, d in enumerate(rows, start=2):
        w = f"{where}:{i}"
        if not re.fullmatch(r"D[0-9]{3}", d["code"]):
            r.err(w, "code must be D + 3 digits")
        if not d["name_fa"] or not persian_ok(d["name_fa"]) or not d["name_en"]:
            r.err(w, "name_fa (Persian letters) and name_en are required")
        if d["group"] not in DEVICE_GROUPS:
            r.err(w, f"bad group {d['group']!r}")
        for c in ("amount_rial", "renewal_months"):
            if not is_int(d[c]) or int(d[c]) <= 0:
                r.err(w, f"{c} must be a positive integer")


def valid_condition(cond: str) -> bool:
    if cond == "":
        return True
    for p in cond.split(";"):
        name, _, arg = p.partition(":")
        if name in ("age_gte", "age_lt"):
            if not is_int(arg):
                return False
        elif name == "not_insurance_type":
            if arg not in INSURANCE_TYPES:
                return False
        elif name in ("special_disease", "not_supplementary"):
            if arg or ":" in p:
                return False
        else:
            return False
    return True


def check_cost_sharing(rows, where, r):
    unique(rows, "id", where, r)
    ids = {}
    for i, c in enumerate(rows, start=2):
        w = f"{where}:{i}"
        ids[c["id"]] = c
        if not re.fullmatch(r"[a-z0-9_]+", c["id"]):
            r.err(w, "id must be snake_case")
        if c["kind"] not in ("franchise", "exemption"):
            r.err(w, f"bad kind {c['kind']!r}")
        if c["setting"] not in SETTINGS:
            r.err(w, f"bad setting {c['setting']!r}")
        if c["sector_scope"] not in SCOPES:
            r.err(w, f"bad sector_scope {c['sector_scope']!r}")
        if not valid_condition(c["condition"]):
            r.err(w, f"condition outside the closed grammar: {c['condition']!r}")
        if not PERCENT_RE.match(c["percent"]) or Decimal(c["percent"]) > 100:
            r.err(w, f"percent must be a number 0..100: {c['percent']!r}")
        elif c["kind"] == "exemption" and Decimal(c["percent"]) != 0:
            r.err(w, "exemption rows have percent 0")
        if not valid_jdate(c["effective_from"]):
            r.err(w, f"effective_from not a Jalali YYYY-MM-DD date: {c['effective_from']!r}")
        if c["effective_to"] and (not valid_jdate(c["effective_to"]) or c["effective_to"] < c["effective_from"]):
            r.err(w, f"bad effective_to {c['effective_to']!r}")
        if not persian_ok(c["description_fa"]):
            r.err(w, "description_fa uses Arabic ي/ك")
        if c["source"] != "sample" and not re.match(r"^https?://", c["source"]):
            r.err(w, "source must be a URL or 'sample'")
    for rid, (kind, setting, pct) in REQUIRED_COST_ROWS.items():
        c = ids.get(rid)
        if not c:
            r.err(where, f"required row {rid} missing")
        elif (c["kind"], c["setting"], c["percent"]) != (kind, setting, pct):
            r.err(where, f"{rid}: expected kind/setting/percent {kind}/{setting}/{pct}")


def check_meta(path: Path, year: int, r: Report) -> None:
    where = str(path.relative_to(TARIFFS))
    try:
        m = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        r.err(where, f"invalid TOML: {e}")
        return
    want = {"year": int, "effective_from": str, "cabinet_resolution": str, "status": str, "revision": int, "note": str}
    for k, t in want.items():
        if not isinstance(m.get(k), t) or isinstance(m.get(k), bool):
            r.err(where, f"{k} missing or not {t.__name__}")
    if set(m) - set(want):
        r.err(where, f"unknown keys {sorted(set(m) - set(want))}")
    if m.get("year") != year:
        r.err(where, f"year {m.get('year')} does not match folder {year}")
    if m.get("status") not in ("official", "sample"):
        r.err(where, "status must be official or sample")
    ef = m.get("effective_from", "")
    if not valid_jdate(ef) or not ef.startswith(f"{year}-"):
        r.err(where, f"effective_from must be a Jalali date in {year}")
    if not isinstance(m.get("revision"), int) or m.get("revision", 0) < 1:
        r.err(where, "revision must be an integer >= 1")


CHECKS = {
    "services.csv": check_services,
    "coefficients.csv": check_coefficients,
    "visits.csv": check_visits,
    "hotelling.csv": check_hotelling,
    "drugs.csv": check_drugs,
    "devices.csv": check_devices,
    "cost_sharing.csv": check_cost_sharing,
}


def check_year(folder: Path, r: Report) -> dict[str, int]:
    year = int(folder.name)
    present = {p.name for p in folder.iterdir()}
    if present != set(FILES):
        r.err(folder.name, f"must contain exactly {sorted(FILES)}; extra {sorted(present - set(FILES))}, missing {sorted(set(FILES) - present)}")
    counts = {}
    if "meta.toml" in present:
        check_meta(folder / "meta.toml", year, r)
    for name, header in FILES.items():
        if header is None or name not in present:
            continue
        rows = read(folder / name, header, r)
        if rows is None:
            continue
        where = f"{folder.name}/{name}"
        counts[name] = len(rows)
        if name in MIN_ROWS and len(rows) < MIN_ROWS[name]:
            r.err(where, f"{len(rows)} rows, need at least {MIN_ROWS[name]}")
        if name in EXACT_ROWS and len(rows) != EXACT_ROWS[name]:
            r.err(where, f"{len(rows)} rows, need exactly {EXACT_ROWS[name]}")
        CHECKS[name](rows, where, r)
    return counts


def main() -> int:
    years = sys.argv[1:] or sorted(p.name for p in TARIFFS.iterdir() if p.is_dir() and re.fullmatch(r"1[34][0-9]{2}", p.name))
    r = Report()
    for y in years:
        counts = check_year(TARIFFS / y, r)
        print(y, " ".join(f"{k.removesuffix('.csv')}={v}" for k, v in counts.items()))
    for e in r.errors:
        print("ERROR", e)
    print("OK" if not r.errors else f"{len(r.errors)} problem(s)")
    return 1 if r.errors else 0


if __name__ == "__main__":
    sys.exit(main())
