//! Load generator: posts realistic claims to a running asnad and reports throughput and latency.
//!
//! ```sh
//! bash benches/load.sh            # starts a release server on a temp SQLite DB and runs this
//! cargo run --release --example loadgen -- --base http://127.0.0.1:8080 \
//!     --admin-password '...' --concurrency 32 --seconds 60
//! ```
//!
//! Setup (through the API, as an admin): an office, a private hospital with an active 1403
//! contract, 10,000 insured persons (CSV import) and an API key. Then `concurrency` threads
//! post claims of 10 lines (visits, drugs, labs, imaging, bed-days) for random insured persons
//! for `seconds`: about 3 % resend an earlier document number (idempotent 200), 2 % carry an
//! unknown national code (R01). Requests stay on the loopback address given by `--base`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use serde_json::{json, Value};

struct Args {
    base: String,
    admin_password: String,
    concurrency: usize,
    seconds: u64,
    insured: usize,
}

fn args() -> Args {
    let mut a = Args {
        base: "http://127.0.0.1:8080".into(),
        admin_password: String::new(),
        concurrency: 32,
        seconds: 60,
        insured: 10_000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().unwrap_or_default();
        match k.as_str() {
            "--base" => a.base = v,
            "--admin-password" => a.admin_password = v,
            "--concurrency" => a.concurrency = v.parse().expect("--concurrency N"),
            "--seconds" => a.seconds = v.parse().expect("--seconds N"),
            "--insured" => a.insured = v.parse().expect("--insured N"),
            other => panic!("unknown argument {other}"),
        }
    }
    let host = a.base.trim_start_matches("http://").split(['/', ':']).next().unwrap_or("");
    assert!(
        host == "127.0.0.1" || host == "localhost" || host == "[::1]",
        "loadgen only targets the loopback address"
    );
    a
}

fn national_code(n: u64) -> String {
    let body = format!("{n:09}");
    let s: u32 = body.bytes().enumerate().map(|(i, b)| (b - b'0') as u32 * (10 - i as u32)).sum::<u32>() % 11;
    format!("{body}{}", if s < 2 { s } else { 11 - s })
}

fn ok(res: reqwest::blocking::Response, what: &str) -> Value {
    let status = res.status();
    let body: Value = res.json().unwrap_or(Value::Null);
    assert!(status.is_success(), "{what}: {status} {body}");
    body
}

/// Creates what the load needs and returns the provider's API key.
fn setup(c: &Client, a: &Args) -> String {
    let login = |password: &str| -> Value {
        c.post(format!("{}/api/v1/auth/token", a.base))
            .json(&json!({"username": "admin", "password": password}))
            .send()
            .map(|r| r.json().unwrap_or(Value::Null))
            .unwrap_or(Value::Null)
    };
    let new_password = format!("{}-load", a.admin_password);
    let mut t = login(&a.admin_password);
    if t["must_change_password"] == true {
        let token = t["access_token"].as_str().unwrap_or_default().to_string();
        ok(
            c.put(format!("{}/api/v1/auth/password", a.base))
                .bearer_auth(&token)
                .json(&json!({"current_password": a.admin_password, "new_password": new_password}))
                .send()
                .expect("password"),
            "change password",
        );
        t = login(&new_password);
    } else if t["access_token"].is_null() {
        t = login(&new_password);
    }
    let admin = t["access_token"].as_str().expect("admin token").to_string();
    let post = |path: &str, body: Value| {
        ok(c.post(format!("{}{path}", a.base)).bearer_auth(&admin).json(&body).send().expect("post"), path)
    };
    let office = post(
        "/api/v1/offices",
        json!({"province_id": 1, "code": "LOAD-1", "name_fa": "دفتر آزمون بار", "name_en": "Load office"}),
    );
    let provider = post(
        "/api/v1/providers",
        json!({"name_fa": "بیمارستان آزمون", "kind": "hospital", "sector": "private", "hospital_grade": 2, "province_id": 1,
               "office_id": office["id"], "legal_national_id": "10101010101"}),
    );
    let pid = provider["id"].as_str().expect("provider id").to_string();
    let contract = post(
        &format!("/api/v1/providers/{pid}/contracts"),
        json!({"number": "LOAD-C-1", "valid_from": "1403-01-01", "valid_to": "1403-12-30", "terms": {"may_bill_gap": true}}),
    );
    post(
        &format!("/api/v1/contracts/{}/status", contract["id"].as_str().expect("id")),
        json!({"action": "activate", "effective_on": "1403-01-01"}),
    );
    let mut csv = String::from("national_code,insurance_no,first_name,last_name,sex,birth_date,insurance_type,special_disease,supplementary,coverage_from,coverage_to,email,mobile,main_national_code,relation,student_until,disabled,married,employed\n");
    for i in 0..a.insured {
        csv.push_str(&format!(
            "{},{:08},علی,کریمی,{},{}-01-01,mandatory,0,0,1400-01-01,,,,,,,,,\n",
            national_code(20_000_000 + i as u64),
            30_000_000 + i,
            if i % 2 == 0 { "male" } else { "female" },
            1950 + (i % 60)
        ));
    }
    ok(
        c.post(format!("{}/api/v1/insured/import", a.base))
            .bearer_auth(&admin)
            .header("content-type", "text/csv")
            .body(csv)
            .send()
            .expect("import"),
        "insured import",
    );
    let user = post(
        "/api/v1/users",
        json!({"username": "load-his", "display_name": "Load HIS", "role": "provider", "provider_id": pid, "password": "load-his-password"}),
    );
    let key = post("/api/v1/api-keys", json!({"user_id": user["id"], "name": "load"}));
    key["key"].as_str().expect("key").to_string()
}

fn claim(thread: usize, n: u64, insured: usize) -> Value {
    let mut r = (thread as u64 + 1) * 0x9E37_79B9 + n * 2_654_435_761;
    let mut next = move || {
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        r
    };
    let who = if next() % 100 < 2 {
        national_code(90_000_000 + next() % 1000)
    } else {
        national_code(20_000_000 + next() % insured as u64)
    };
    let day = 1 + next() % 18;
    let date = format!("1403-07-{day:02}");
    let drugs = ["10010", "10020", "13045", "11010", "10140"];
    let labs = ["800035", "801175", "800025", "800060"];
    let doc =
        if next() % 100 < 3 && n > 10 { format!("L-{thread}-{}", n - 5) } else { format!("L-{thread}-{n}") };
    let mut lines = vec![
        json!({"line_no": 1, "item_type": "visit", "code": "specialist", "quantity": "1", "service_date": date, "billed_amount": 1_890_000}),
        json!({"line_no": 2, "item_type": "service", "code": labs[(next() % 4) as usize], "quantity": "1", "service_date": date, "billed_amount": 700_000}),
        json!({"line_no": 3, "item_type": "service", "code": labs[(next() % 4) as usize], "quantity": "1", "service_date": date, "billed_amount": 400_000}),
    ];
    for i in 0..5 {
        lines.push(json!({"line_no": 4 + i, "item_type": "drug", "code": drugs[(next() % 5) as usize],
                          "quantity": format!("{}", 1 + next() % 40), "service_date": date, "billed_amount": 100_000 + next() % 900_000}));
    }
    lines.push(json!({"line_no": 9, "item_type": "bed_day", "code": "bed_3plus", "quantity": "1", "service_date": date, "billed_amount": 26_000_000}));
    lines.push(json!({"line_no": 10, "item_type": "service", "code": "901925", "quantity": "1", "service_date": date, "billed_amount": 500_000}));
    json!({
        "provider_document_no": doc, "setting": "outpatient", "kind": "visit", "insured_national_code": who,
        "physician_council_no": format!("{}", 10_000 + next() % 50), "diagnoses": ["J06.9"], "lines": lines
    })
}

fn main() {
    let a = args();
    let client = Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(a.concurrency)
        .build()
        .expect("client");
    let key = setup(&client, &a);
    eprintln!("setup done; posting for {} s with {} connections", a.seconds, a.concurrency);
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(Mutex::new(Vec::<u32>::with_capacity(1 << 20)));
    let started = Instant::now();
    let threads: Vec<_> = (0..a.concurrency)
        .map(|t| {
            let (client, key, base, stop, sent, errors, latencies) = (
                client.clone(),
                key.clone(),
                a.base.clone(),
                stop.clone(),
                sent.clone(),
                errors.clone(),
                latencies.clone(),
            );
            let insured = a.insured;
            std::thread::spawn(move || {
                let mut mine = Vec::with_capacity(1 << 16);
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let body = claim(t, n, insured);
                    let t0 = Instant::now();
                    match client.post(format!("{base}/api/v1/claims")).bearer_auth(&key).json(&body).send() {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes();
                        }
                        Ok(r) => {
                            if errors.fetch_add(1, Ordering::Relaxed) < 5 {
                                eprintln!("{}: {}", r.status(), r.text().unwrap_or_default());
                            }
                        }
                        Err(e) => {
                            if errors.fetch_add(1, Ordering::Relaxed) < 5 {
                                eprintln!("error: {e}");
                            }
                        }
                    }
                    mine.push(t0.elapsed().as_micros() as u32);
                    sent.fetch_add(1, Ordering::Relaxed);
                }
                latencies.lock().expect("lock").extend(mine);
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(a.seconds));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut l = latencies.lock().expect("lock").clone();
    l.sort_unstable();
    let pct = |p: f64| {
        l.get(((l.len() as f64 * p) as usize).min(l.len().saturating_sub(1))).copied().unwrap_or(0) as f64
            / 1000.0
    };
    let n = sent.load(Ordering::Relaxed);
    println!(
        "claims: {n} in {elapsed:.1} s = {:.0} claims/s ({:.0} lines/s); errors {}; latency ms p50 {:.1} p90 {:.1} p99 {:.1} max {:.1}",
        n as f64 / elapsed,
        n as f64 * 10.0 / elapsed,
        errors.load(Ordering::Relaxed),
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(1.0)
    );
}
