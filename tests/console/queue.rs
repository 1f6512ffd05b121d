//! The reviewer's queue: who may open it, filters in the URL, counts by age, CSV, empty states.

use asnad::auth::Role;

use crate::fixtures::World;
use crate::helpers::{Scope, TestApp, PASSWORD};
use crate::support::{age_claim, document, pended_claim, scene, Browser};

#[test]
fn the_queue_lists_the_offices_pended_claims_with_filters_in_the_url() {
    let app = TestApp::spawn();
    let s = scene(&app);
    let (sepidar, niloofar) = (&s.hospitals[0], &s.hospitals[1]);
    let a = pended_claim(&app, sepidar, &document("SP-1403-4391", &s.insured, "1403-07-10", 1_890_000));
    let b = pended_claim(&app, niloofar, &document("NLF-22871", &s.insured, "1403-07-12", 2_450_000));
    age_claim(&app, &a, 9);

    let ana = Browser::signed_in(&app, "ana");
    assert_eq!(ana.get("/console/").location(), "/console/queue", "a reviewer's home is the queue");
    let q = ana.get("/console/queue");
    assert_eq!(q.status, 200, "{}", q.body);
    q.assert_contains("SP-1403-4391");
    q.assert_contains("NLF-22871");
    q.assert_contains(&format!("/console/claims/{a}"));
    q.assert_contains("بیمارستان خصوصی سپیدار");
    q.assert_contains("در انتظار رسیدگی");
    // Amounts grouped, dates Jalali with the Gregorian beside.
    q.assert_contains("2,990,000");
    q.assert_contains("<time datetime=\"20");
    q.assert_contains("1403/07/");
    // Counts by age: two in all, one waiting at least 7 days.
    let ages = &q.body[q.body.find("class=\"ages\"").unwrap()..];
    let ages = &ages[..ages.find("</nav>").unwrap()];
    assert!(
        ages.contains("<span class=\"v n\">2</span>") && ages.contains("<span class=\"v n\">1</span>"),
        "{ages}"
    );

    // Filters are the API's: provider, amount, age; each answers with the matching rows only.
    let only = |path: &str, yes: &str, no: &str| {
        let p = ana.get(path);
        assert_eq!(p.status, 200, "{path}: {}", p.body);
        p.assert_contains(yes);
        assert!(!p.body.contains(no), "{no} in {path}");
    };
    only(&format!("/console/queue?provider={}", niloofar.id), "NLF-22871", "SP-1403-4391");
    only("/console/queue?min_amount=3,300,000", "NLF-22871", "SP-1403-4391");
    only("/console/queue?age=7", "SP-1403-4391", "NLF-22871");
    only("/console/queue?sort=amount_desc&per=1", "NLF-22871", "SP-1403-4391");
    only("/console/queue?sort=amount_desc&per=1&page=2", "SP-1403-4391", "NLF-22871");
    let p = ana.get("/console/queue?kind=pharmacy");
    p.assert_contains("هیچ سندی با این فیلترها در صف نیست.");

    // A wrong value is named with its field; the page still shows the queue.
    let p = ana.get("/console/queue?min_amount=lots&sort=sideways");
    assert_eq!(p.status, 422);
    p.assert_contains("min_amount");
    p.assert_contains("sort");
    p.assert_contains("NLF-22871");
    // Another office's provider as a filter: 404, as in the API.
    let world = World::new(&app, app.login("root", PASSWORD));
    let stranger = world.hospital(&world.office("THR-Z")).legal_id("30303030301").create();
    assert_eq!(ana.get(&format!("/console/queue?provider={}", stranger.id)).status, 404);

    // The CSV carries the same filter and every row.
    let csv = ana.get("/console/queue.csv?age=7");
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").starts_with("text/csv"));
    assert!(csv.body.contains("SP-1403-4391") && !csv.body.contains("NLF-22871"), "{}", csv.body);
    assert!(csv.body.contains(&a) && !csv.body.contains(&b));

    // Reviewer B's queue is empty and says what that means.
    let bahram = Browser::signed_in(&app, "bahram");
    let q = bahram.get("/console/queue");
    assert_eq!(q.status, 200);
    q.assert_contains("صف دفتر شما خالی است.");
    assert!(!q.body.contains("SP-1403-4391"));
}

#[test]
fn only_reviewers_and_supervisors_open_the_queue_as_in_the_api() {
    let app = TestApp::spawn();
    let s = scene(&app);
    let provider = &s.hospitals[0];
    app.create_user("sara", Role::Supervisor, Scope::office(&s.office.id));
    app.create_user("his-user", Role::Provider, Scope::provider(&provider.id));
    app.create_user("fin", Role::Finance, Scope::default());
    let admin = app.login("root", PASSWORD);
    let insured: serde_json::Value =
        app.get(&format!("/api/v1/insured/{}", s.insured), Some(&admin)).json().unwrap();
    let insured_id = insured["id"].as_str().unwrap_or_else(|| panic!("insured id in {insured}"));
    app.create_user(
        "ali",
        Role::Insured,
        Scope { insured_id: Some(insured_id.into()), ..Default::default() },
    );
    let sara = Browser::signed_in(&app, "sara");
    assert_eq!(sara.get("/console/queue").status, 200);
    for user in ["his-user", "fin", "ali"] {
        let b = Browser::signed_in(&app, user);
        let res = b.get("/console/queue");
        assert_eq!(res.status, 403, "{user}: the API's Require<Reviewers> answers 403");
        res.assert_contains("اجازهٔ این کار را ندارید");
        assert_eq!(b.get("/console/queue.csv").status, 403);
        // Their home is their own screens (a redirect) or says theirs are still to come;
        // neither leads to the queue.
        let home = b.get("/console/");
        assert!(
            home.status == 200 || (home.status == 303 && !home.location().starts_with("/console/queue")),
            "{user}: home {}",
            home.status
        );
        assert!(!home.body.contains("href=\"/console/queue\""));
    }
}

/// Server-side time of the queue and the claim page over real HTTP with a few hundred pended
/// claims (`cargo test --release --test console measure -- --ignored --nocapture`). Not a
/// gate: it prints the median and the 95th percentile.
#[test]
#[ignore = "a measurement, run by hand"]
fn measure_the_queue_and_the_claim_page() {
    let app = TestApp::spawn();
    let s = scene(&app);
    // 25 insured persons × 16 service days: no claim repeats another's services.
    let world = World::new(&app, app.login("root", PASSWORD));
    let people: Vec<String> = (1..=25).map(national_code).collect();
    for p in &people {
        world.insured(p).create();
    }
    let n = 400;
    let mut ids = Vec::new();
    for i in 0..n {
        let h = &s.hospitals[i % 2];
        let no = format!("M-{i:05}");
        let date = format!("1403-07-{:02}", 1 + i / 25);
        let body = document(&no, &people[i % 25], &date, 1_000_000 + (i as i64) * 1_000);
        ids.push(pended_claim(&app, h, &body));
    }
    let ana = Browser::signed_in(&app, "ana");
    let time = |path: &str| {
        let mut ms: Vec<f64> = (0..40)
            .map(|_| {
                let t = std::time::Instant::now();
                let p = ana.get(path);
                assert_eq!(p.status, 200, "{path}");
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        ms.sort_by(|a, b| a.total_cmp(b));
        (ms[ms.len() / 2], ms[ms.len() * 95 / 100])
    };
    for path in [
        "/console/queue".to_string(),
        "/console/queue?per=200&sort=amount_desc".to_string(),
        format!("/console/queue?provider={}&min_amount=1200000", s.hospitals[0].id),
        format!("/console/claims/{}", ids[n / 2]),
    ] {
        let (p50, p95) = time(&path);
        println!("{n} pended claims: GET {path}: p50 {p50:.1} ms, p95 {p95:.1} ms");
    }
}

/// A valid national code (کد ملی) made from `n`: nine digits and their check digit.
fn national_code(n: u32) -> String {
    let body = format!("{:09}", 100_000_000 + n);
    let sum: u32 = body.chars().enumerate().map(|(i, c)| c.to_digit(10).unwrap() * (10 - i as u32)).sum();
    let r = sum % 11;
    let check = if r < 2 { r } else { 11 - r };
    format!("{body}{check}")
}
