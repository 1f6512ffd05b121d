#!/usr/bin/env python3
"""Times every report of /api/v1/reports/ against a running asnad (benches/reports.sh starts it
on the database benches/reportgen.rs made). Each report is asked as headquarters (the whole
country: the largest answer), as a province manager, as an office's reviewer, and with the
provider, provider-kind and month filters; each case 5 times, JSON and CSV. Prints the median
and the slowest of each case, and exits non-zero if any answer is not 200.

Usage: reports_time.py BASE_URL ADMIN_PASSWORD"""
import json
import statistics
import sys
import time
import urllib.error
import urllib.request

BASE, ADMIN_PASSWORD = sys.argv[1], sys.argv[2]


def call(method, path, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def login(user, password):
    s, b = call("POST", "/api/v1/auth/token", body={"username": user, "password": password})
    t = json.loads(b) if s in (200, 201) else {}
    if t.get("must_change_password"):
        new = password + "-bench"
        s2, b2 = call("PUT", "/api/v1/auth/password", t["access_token"],
                      {"current_password": password, "new_password": new})
        assert s2 in (200, 204), (s2, b2)
        return login(user, new)
    assert s in (200, 201), (user, s, b)
    return t["access_token"]


try:
    admin = login("admin", ADMIN_PASSWORD)
except AssertionError:  # an earlier run on the same database changed the first password
    admin = login("admin", ADMIN_PASSWORD + "-bench")
s, b = call("GET", "/api/v1/offices?limit=500", admin)
offices = json.loads(b)["items"]
office = offices[0]
s, b = call("GET", f"/api/v1/providers?limit=1&office_id={office['id']}", admin)
providers = json.loads(b)["items"]
provider = providers[0]["id"] if providers else None


def user(name, body):
    body = {"username": name, "display_name": name, "password": "bench-password-" + name, **body}
    s, b = call("POST", "/api/v1/users", admin, body)
    assert s in (200, 201, 409), (s, b)
    if s == 409:  # made by an earlier run on the same database, which changed its password
        return login(name, body["password"] + "-bench")
    return login(name, body["password"])


reviewer = user("bench.reviewer", {"role": "reviewer", "office_id": office["id"]})
province = user("bench.province", {"role": "province_manager", "province_id": office["province_id"]})
hq = user("bench.hq", {"role": "headquarters"})

REPORTS = ["deductions", "turnaround", "budget", "provider-quality", "work-accidents"]
CASES = [
    ("headquarters, whole country, whole year", hq, ""),
    ("headquarters, one quarter", hq, "from=1403-07&to=1403-09"),
    ("headquarters, pharmacies", hq, "provider_kind=pharmacy"),
    ("province manager, own province", province, ""),
    ("province manager, pharmacies", province, "provider_kind=pharmacy"),
    ("reviewer, own office", reviewer, ""),
    ("reviewer, one provider, one month", reviewer, f"provider_id={provider}&from=1403-07&to=1403-07"),
]
worst, failures = 0.0, 0
print(f"{'report':<17} {'case':<42} {'fmt':<4} {'median ms':>9} {'max ms':>7} {'bytes':>9}")
for report in REPORTS:
    s, _ = call("GET", f"/api/v1/reports/{report}", hq)
    if s == 404:
        print(f"{report:<17} (not served by this build)")
        continue
    for label, token, query in CASES:
        if report == "budget":
            # A year's budgets: no month, provider or kind filter.
            if query:
                continue
            query = "year=1403"
        for fmt in ("json", "csv"):
            q = "&".join(x for x in (query, f"format={fmt}") if x)
            times, size = [], 0
            for _ in range(5):
                t = time.perf_counter()
                s, b = call("GET", f"/api/v1/reports/{report}?{q}", token)
                times.append((time.perf_counter() - t) * 1000)
                size = len(b)
                if s != 200:
                    failures += 1
                    print(f"  {report} {label} {fmt}: {s} {b[:200]!r}")
            worst = max(worst, max(times))
            print(f"{report:<17} {label:<42} {fmt:<4} {statistics.median(times):>9.0f} {max(times):>7.0f} {size:>9}")
print(f"slowest answer: {worst:.0f} ms")
sys.exit(1 if failures else 0)
