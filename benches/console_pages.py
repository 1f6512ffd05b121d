#!/usr/bin/env python3
"""Times the console's reviewer pages against a running asnad (called by benches/console.sh).

Signs in as the demo's first reviewer (changing the one-time password printed by `asnad demo`,
as a person would), then requests, one at a time on one keep-alive connection:

- the queue as it opens, with filters (provider, kind, amount range, age, unassigned), each sort,
  deep pages, and as the htmx fragment the filters fetch;
- the claim pages of claims drawn at random from the office (pended ones — what a reviewer
  opens — and decided ones, which carry a longer history).

The time of a request is from sending it to having read the whole answer over loopback, so it
is an upper bound of the server's time. Prints count, p50, p95, p99 and max per kind in ms.
Standard library only.
"""

import argparse
import http.client
import random
import re
import sqlite3
import statistics
import sys
import time
import urllib.parse


class Session:
    """One keep-alive connection with its cookies; redirects are not followed."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies = {}

    def request(self, method, path, form=None, headers=None):
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            h["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        self.conn.request(method, path, body=body, headers=h)
        res = self.conn.getresponse()
        data = res.read()
        elapsed = (time.perf_counter() - start) * 1000.0
        for name, value in res.getheaders():
            if name.lower() == "set-cookie":
                k, _, rest = value.partition("=")
                v = rest.split(";", 1)[0]
                if v:
                    self.cookies[k] = v
                else:
                    self.cookies.pop(k, None)
        return res.status, res.getheader("Location"), data.decode("utf-8", "replace"), elapsed


def csrf_of(html):
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    if not m:
        sys.exit("no csrf field on the page")
    return m.group(1)


def sign_in(s, username, password, new_password):
    status, _, html, _ = s.request("GET", "/console/login")
    assert status == 200, status
    status, location, _, _ = s.request(
        "POST", "/console/login", {"username": username, "password": password, "csrf": csrf_of(html), "next": ""}
    )
    assert status == 303, f"login answered {status}"
    if location and location.startswith("/console/password"):
        assert new_password, "the password must be changed but no new one was given"
        status, _, html, _ = s.request("GET", "/console/password")
        form = {
            "csrf": csrf_of(html),
            "current_password": password,
            "new_password": new_password,
            "confirm_password": new_password,
        }
        status, _, _, _ = s.request("POST", "/console/password", form)
        assert status == 303, f"password change answered {status}"


def percentile(sorted_ms, p):
    if not sorted_ms:
        return float("nan")
    k = max(0, min(len(sorted_ms) - 1, int(round(p / 100.0 * len(sorted_ms) + 0.5)) - 1))
    return sorted_ms[k]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--db", required=True, help="the SQLite file, to draw claim ids and providers")
    ap.add_argument("--demo-output", required=True, help="what `asnad demo` printed (the passwords)")
    ap.add_argument("--requests", type=int, default=300, help="requests per kind")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--password", help="the reviewer's password, once the one-time one was changed")
    ap.add_argument("--save-password", help="where to keep the password set at the first sign-in")
    a = ap.parse_args()
    rng = random.Random(a.seed)

    s = Session(a.port)
    if a.password:
        sign_in(s, "demo.reviewer1", a.password, None)
    else:
        printed = open(a.demo_output, encoding="utf-8").read()
        m = re.search(r"^demo\.reviewer1\s+reviewer\s+(\S+)", printed, re.M)
        if not m:
            sys.exit("demo.reviewer1's password is not in the demo's output")
        new_password = "bench-reviewer-password-%d" % random.SystemRandom().randrange(10**9)
        sign_in(s, "demo.reviewer1", m.group(1), new_password)
        if a.save_password:
            with open(a.save_password, "w") as f:
                f.write(new_password)

    db = sqlite3.connect(f"file:{a.db}?mode=ro", uri=True)
    (office,) = db.execute("SELECT office_id FROM users WHERE username = 'demo.reviewer1'").fetchone()
    claims_total = db.execute("SELECT count(*) FROM claims").fetchone()[0]
    lines_total = db.execute("SELECT count(*) FROM claim_lines").fetchone()[0]
    providers = [r[0] for r in db.execute("SELECT id FROM providers WHERE office_id = ?", (office,))]
    pended = [
        r
        for r in db.execute(
            "SELECT id, provider_document_no FROM claims WHERE office_id = ? AND status = 'pended' ORDER BY id",
            (office,),
        )
    ]
    decided = [
        r
        for r in db.execute(
            "SELECT id, provider_document_no FROM claims WHERE office_id = ? AND status <> 'pended' "
            "ORDER BY random() LIMIT ?",
            (office, a.requests),
        )
    ]
    print(f"database: {claims_total} claims, {lines_total} lines; the office's pended claims: {len(pended)}")

    kinds = [r[0] for r in db.execute("SELECT DISTINCT kind FROM providers WHERE office_id = ?", (office,))]
    sorts = ["oldest", "newest", "amount_desc", "amount_asc"]

    def queue_query():
        q = {}
        choice = rng.randrange(6)
        if choice == 1:
            q["provider"] = rng.choice(providers)
        elif choice == 2:
            q["kind"] = rng.choice(kinds)
        elif choice == 3:
            q["min_amount"] = str(rng.choice([1_000_000, 5_000_000, 20_000_000]))
            q["max_amount"] = str(int(q["min_amount"]) * 20)
        elif choice == 4:
            q["age"] = rng.choice(["3", "7", "14", "30"])
        elif choice == 5:
            q["unassigned"] = "1"
        q["sort"] = rng.choice(sorts)
        if rng.random() < 0.3:
            q["page"] = str(rng.randint(2, 12))
        return "/console/queue?" + urllib.parse.urlencode(q)

    plan = {
        "queue (as opened)": lambda i: ("/console/queue", {}, "<table"),
        "queue (filters, sorts, pages)": lambda i: (queue_query(), {}, "</html>"),
        "queue (htmx fragment)": lambda i: (queue_query(), {"HX-Request": "true"}, ""),
        "queue (200 rows)": lambda i: ("/console/queue?per=200&sort=" + rng.choice(sorts), {}, "<table"),
        # A claim page must show its document number: a 200 that is not the claim fails the run.
        "claim page (pended)": lambda i: ("/console/claims/" + pended[i % len(pended)][0], {}, pended[i % len(pended)][1]),
        "claim page (decided)": lambda i: ("/console/claims/" + decided[i % len(decided)][0], {}, decided[i % len(decided)][1]),
    }
    rng.shuffle(pended)
    # Warm-up: the first requests open pooled connections and fill the page cache.
    for path in ["/console/queue", "/console/claims/" + pended[0][0]]:
        s.request("GET", path)

    print(f"{'page':32} {'n':>5} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}   (ms, loopback round trip)")
    worst = 0.0
    for name, make in plan.items():
        times = []
        for i in range(a.requests):
            path, headers, must_show = make(i)
            status, _, body, ms = s.request("GET", path, headers=headers)
            if status != 200 or must_show not in body:
                sys.exit(f"{path} answered {status} without {must_show!r}: {body[:300]}")
            times.append(ms)
        times.sort()
        p95 = percentile(times, 95)
        worst = max(worst, p95)
        print(
            f"{name:32} {len(times):5d} {statistics.median(times):8.1f} {p95:8.1f} "
            f"{percentile(times, 99):8.1f} {times[-1]:8.1f}"
        )
    print(f"worst p95: {worst:.1f} ms (target < 100 ms)")


if __name__ == "__main__":
    main()
