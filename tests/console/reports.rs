//! The reports dashboards (`/console/reports`) over real HTTP: each role lands on its level
//! (office, province, headquarters), a chooser outside the caller's reach is the console's 404,
//! providers and insured persons are refused, the monthly card's table carries exactly the rials
//! of the claims the test created and decided, the CSV links answer with a byte-order mark and
//! Persian headers, and a bad month is a Persian error beside its field with the values kept.

use asnad::auth::Role;
use asnad::console::format::Rials;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{Scope, TestApp, PASSWORD};
use crate::support::{document, pended_claim, scene, Browser, Scene};

/// A province manager of `province` (1: Tehran), headquarters, a supervisor and finance.
pub fn report_readers(app: &TestApp, s: &Scene) {
    app.create_user("mina", Role::ProvinceManager, Scope { province_id: Some(1), ..Scope::default() });
    app.create_user("setad", Role::Headquarters, Scope::default());
    app.create_user("sara", Role::Supervisor, Scope::office(&s.office.id));
}

/// Three claims of office A served in Mehr 1403 (all pended: the office's limit is 1 rial); two
/// decided by its reviewer (one line adjusted with R90). Returns the claims as the API shows
/// them after the decisions.
pub fn decided_claims(app: &TestApp, s: &Scene) -> Vec<Value> {
    let ids = [
        pended_claim(app, &s.hospitals[0], &document("RP-1", &s.insured, "1403-07-13", 1_890_000)),
        pended_claim(app, &s.hospitals[1], &document("RP-2", &s.insured, "1403-07-14", 2_450_000)),
        pended_claim(app, &s.hospitals[0], &document("RP-3", &s.insured, "1403-07-15", 1_200_000)),
    ];
    let ana = app.login("ana", PASSWORD);
    for id in &ids[..2] {
        let res = app
            .request(Method::POST, &format!("/api/v1/review/claims/{id}/take"), Some(&ana))
            .send()
            .unwrap();
        assert_eq!(res.status(), 200, "{:?}", res.text());
        let res = app.post_json(
            &format!("/api/v1/review/claims/{id}/decision"),
            Some(&ana),
            &json!({"lines": [{"line_no": 1, "action": "adjust", "approved_amount": 400000, "reason": "R90", "note": "سطح ویزیت"}]}),
        );
        assert_eq!(res.status(), 200, "{:?}", res.text());
    }
    let admin = app.login("root", PASSWORD);
    ids.iter()
        .map(|id| app.get(&format!("/api/v1/claims/{id}"), Some(&admin)).json::<Value>().unwrap())
        .collect()
}

/// The HTML of the card `id` (from its opening to its `</section>`).
pub fn card<'p>(body: &'p str, id: &str) -> &'p str {
    let at = body.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no card {id} in:\n{body}"));
    let rest = &body[at..];
    &rest[..rest.find("</section>").expect("end of card")]
}

/// A cell of a card's table as the template writes it.
fn cell(head: &str, rials: i64) -> String {
    format!("data-label=\"{head}\"><span class=\"n\">{}</span>", Rials(rials))
}

#[test]
fn each_role_lands_on_its_level_and_the_cards_carry_the_exact_rials() {
    let app = TestApp::spawn();
    let s = scene(&app);
    report_readers(&app, &s);
    let claims = decided_claims(&app, &s);
    let total = |key: &str, only_decided: bool| -> i64 {
        claims
            .iter()
            .filter(|c| !only_decided || c["status"] != "pended")
            .map(|c| c["totals"][key].as_i64().unwrap())
            .sum()
    };
    let (billed, payable, deducted) =
        (total("billed", false), total("insurer_payable", true), total("deducted", false));
    assert!(billed > 0 && payable > 0 && deducted > 0);

    // The reviewer of office A: the office's page, its own office named, no chooser.
    let ana = Browser::signed_in(&app, "ana");
    let page = ana.get("/console/reports");
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_contains("data-level=\"office\"");
    page.assert_contains("گزارش‌های دفتر رسیدگی غرب تهران");
    page.assert_contains("href=\"/console/reports\" aria-current=\"page\">گزارش‌ها</a>");
    assert!(!page.body.contains("id=\"r-office\"") && !page.body.contains("id=\"r-province\""));
    // The default range: six months up to the console's month (Mehr 1403 under the test clock).
    page.assert_contains("value=\"1403-02\"");
    page.assert_contains("value=\"1403-07\"");
    // Monthly: billed, payable (the decided claims) and deducted of Mehr, exact rials.
    let monthly = card(&page.body, "r-monthly");
    assert!(monthly.contains("<th scope=\"row\">مهر 1403</th>"), "{monthly}");
    for (head, v) in [("درخواستی", billed), ("قابل پرداخت", payable), ("کسور", deducted)]
    {
        assert!(monthly.contains(&cell(head, v)), "{head} = {}: {monthly}", Rials(v));
    }
    assert!(
        monthly.contains("href=\"/console/reports/deductions.csv?from=1403-02&#38;to=1403-07\""),
        "{monthly}"
    );
    // By reason: the reviewer's R90 in Persian, with the amount it took off both visits.
    let r90: i64 = claims
        .iter()
        .flat_map(|c| c["lines"].as_array().unwrap().iter())
        .flat_map(|l| l["reasons"].as_array().unwrap().iter())
        .filter(|r| r["code"] == "R90")
        .map(|r| r["amount"].as_i64().unwrap())
        .sum();
    assert!(r90 > 0);
    let reasons = card(&page.body, "r-reasons");
    let r90_fa = asnad::domain::reasons::Reason::parse("R90").unwrap().message_fa();
    assert!(reasons.contains(&format!("<th scope=\"row\">{r90_fa}</th>")), "{reasons}");
    assert!(reasons.contains(&cell("مبلغ کسر", r90)), "{reasons}");
    // By provider: both hospitals by name; the foot is every deduction of the lines.
    let providers = card(&page.body, "r-providers");
    assert!(providers.contains("بیمارستان خصوصی سپیدار") && providers.contains("درمانگاه تخصصی نیلوفر"));
    let reasons_total: i64 = claims
        .iter()
        .flat_map(|c| c["lines"].as_array().unwrap().iter())
        .flat_map(|l| l["reasons"].as_array().unwrap().iter())
        .map(|r| r["amount"].as_i64().unwrap())
        .sum();
    assert!(providers.contains(&cell("مبلغ کسر", reasons_total)), "{providers}");
    // Turnaround: the two decisions, the same day; one claim still waiting (0-7 days).
    let decision = card(&page.body, "r-decision");
    assert!(decision.contains("<th scope=\"row\">مهر 1403</th>"), "{decision}");
    let backlog = card(&page.body, "r-backlog");
    assert!(backlog.contains("data-label=\"تعداد سند\"><span class=\"n\">1</span>"), "{backlog}");
    // Nothing paid yet: said, not drawn.
    let payment = card(&page.body, "r-payment");
    assert!(payment.contains("داده‌ای برای این بازه نیست") && !payment.contains("<svg"), "{payment}");
    // No budget recorded: said plainly; the reviewer gets no link to the administrator's page.
    let budget = card(&page.body, "r-budget");
    assert!(
        budget.contains("بودجه‌ای ثبت نشده است") && !budget.contains("/console/admin/budgets"),
        "{budget}"
    );

    // The supervisor of A: the same office page.
    let sara = Browser::signed_in(&app, "sara");
    let page = sara.get("/console/reports");
    assert_eq!(page.status, 200);
    page.assert_contains("data-level=\"office\"");
    assert!(card(&page.body, "r-monthly").contains(&cell("درخواستی", billed)));

    // The province manager: home is the reports; the province's page with an office chooser.
    let mina = Browser::signed_in(&app, "mina");
    assert_eq!(mina.get("/console/").location(), "/console/reports");
    let page = mina.get("/console/reports");
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_contains("data-level=\"province\"");
    page.assert_contains("گزارش‌های استان تهران");
    page.assert_contains("id=\"r-office\"");
    assert!(!page.body.contains("id=\"r-province\""));
    assert!(card(&page.body, "r-monthly").contains(&cell("درخواستی", billed)));
    // Narrowed to office A: the same numbers, and A's budget said to be missing.
    let page = mina.get(&format!("/console/reports?office={}", s.office.id));
    assert_eq!(page.status, 200);
    assert!(card(&page.body, "r-monthly").contains(&cell("کسور", deducted)));

    // Headquarters: home is the reports; the country with both choosers.
    let setad = Browser::signed_in(&app, "setad");
    assert_eq!(setad.get("/console/").location(), "/console/reports");
    let page = setad.get("/console/reports");
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_contains("data-level=\"headquarters\"");
    page.assert_contains("کل کشور");
    page.assert_contains("id=\"r-province\"");
    page.assert_contains("id=\"r-office\"");
    assert!(card(&page.body, "r-monthly").contains(&cell("قابل پرداخت", payable)));
    page.assert_contains("استان یا دفتر را برگزینید");
    // Narrowed to another province: nothing there.
    let page = setad.get("/console/reports?province=3");
    assert_eq!(page.status, 200);
    assert!(card(&page.body, "r-monthly").contains("داده‌ای برای این بازه نیست"));
    // The administrator is at headquarters too, and is offered the budgets page.
    let root = Browser::signed_in(&app, "root");
    let page = root.get("/console/reports?province=1");
    assert_eq!(page.status, 200);
    page.assert_contains("data-level=\"headquarters\"");
    assert!(card(&page.body, "r-budget").contains("href=\"/console/admin/budgets?year=1403\""));
}

#[test]
fn a_chooser_outside_the_reach_is_404_and_other_roles_are_refused() {
    let app = TestApp::spawn();
    let s = scene(&app);
    report_readers(&app, &s);
    let world = crate::fixtures::World::new(&app, app.login("root", PASSWORD));
    let qom = world.office_in("QOM-9", 3);

    let ana = Browser::signed_in(&app, "ana");
    for url in [
        format!("/console/reports?office={}", qom.id),
        "/console/reports?province=3".to_string(),
        format!("/console/reports/deductions.csv?office={}", qom.id),
        "/console/reports?office=no-such-office".to_string(),
    ] {
        let page = ana.get(&url);
        assert_eq!(page.status, 404, "{url}: {}", page.body);
        page.assert_contains("پیدا نشد");
    }
    let mina = Browser::signed_in(&app, "mina");
    for url in [format!("/console/reports?office={}", qom.id), "/console/reports?province=3".to_string()] {
        assert_eq!(mina.get(&url).status, 404, "{url}");
    }
    // Headquarters reads Qom's office.
    let setad = Browser::signed_in(&app, "setad");
    assert_eq!(setad.get(&format!("/console/reports?office={}", qom.id)).status, 200);

    // A provider, an insured person, a medical advisor: 403 on the page and its CSV.
    app.create_user("sepidar", Role::Provider, Scope::provider(&s.hospitals[0].id));
    let admin = app.login("root", PASSWORD);
    let person: Value = app.get(&format!("/api/v1/insured/{}", s.insured), Some(&admin)).json().unwrap();
    app.create_user(
        "reza",
        Role::Insured,
        Scope { insured_id: Some(person["id"].as_str().unwrap().to_string()), ..Scope::default() },
    );
    app.create_user("dr-moein", Role::MedicalAdvisor, Scope::default());
    for user in ["sepidar", "reza", "dr-moein"] {
        let b = Browser::signed_in(&app, user);
        for url in [
            "/console/reports",
            "/console/reports/deductions.csv",
            "/console/reports/turnaround.csv",
            "/console/reports/budget.csv",
        ] {
            let page = b.get(url);
            assert_eq!(page.status, 403, "{user}: {url}");
            assert!(!page.body.contains("r-monthly"));
        }
    }
}

#[test]
fn the_csv_links_answer_with_a_bom_and_persian_headers() {
    let app = TestApp::spawn();
    let s = scene(&app);
    report_readers(&app, &s);
    let claims = decided_claims(&app, &s);
    let ana = Browser::signed_in(&app, "ana");
    let page = ana.get("/console/reports/deductions.csv?from=1403-02&to=1403-07");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.header("content-type").starts_with("text/csv"));
    assert!(page.body.starts_with('\u{feff}'), "a byte-order mark");
    let text = &page.body['\u{feff}'.len_utf8()..];
    assert!(text.starts_with("کد دلیل,دلیل,شناسهٔ دفتر,شناسهٔ مرکز,مرکز,ماه خدمت"), "{text}");
    let r90_fa = asnad::domain::reasons::Reason::parse("R90").unwrap().message_fa();
    assert!(text.contains(r90_fa) && text.contains("بیمارستان خصوصی سپیدار"), "{text}");
    // The same bytes as the API's CSV for the same filter.
    let token = app.login("ana", PASSWORD);
    let api = app.get("/api/v1/reports/deductions?format=csv&from=1403-02&to=1403-07", Some(&token));
    assert_eq!(api.text().unwrap(), page.body);
    // Every deduction amount of the claims is in the CSV's rows.
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let sum: i64 = reader.records().map(|r| r.unwrap()[7].parse::<i64>().unwrap()).sum();
    let want: i64 = claims
        .iter()
        .flat_map(|c| c["lines"].as_array().unwrap().iter())
        .flat_map(|l| l["reasons"].as_array().unwrap().iter())
        .map(|r| r["amount"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, want);

    // Provider quality and work accidents: the API's bytes too.
    for kind in ["provider-quality", "work-accidents"] {
        let page = ana.get(&format!("/console/reports/{kind}.csv?from=1403-02&to=1403-07"));
        assert_eq!(page.status, 200, "{kind}: {}", page.body);
        assert!(page.body.starts_with('\u{feff}'), "{kind}: a byte-order mark");
        let api =
            app.get(&format!("/api/v1/reports/{kind}?format=csv&from=1403-02&to=1403-07"), Some(&token));
        assert_eq!(api.text().unwrap(), page.body, "{kind}");
    }
    let dashboard = ana.get("/console/reports?from=1403-02&to=1403-07");
    assert!(dashboard.body.contains("مراکز با بیشترین نرخ کسور"), "the provider-quality card");
    assert!(dashboard.body.contains("حوادث ناشی از کار"), "the work-accidents card");
    assert!(dashboard.body.contains("/console/reports/provider-quality.csv?"), "its CSV link");

    let page = ana.get("/console/reports/turnaround.csv?provider_kind=hospital");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.starts_with("\u{feff}مرحله,"), "{}", page.body);
    assert!(page.body.contains("دریافت تا تصمیم") && page.body.contains("در انتظار رسیدگی"));
    let page = ana.get("/console/reports/budget.csv?year=1403");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.starts_with("\u{feff}سال,سطح,واحد"), "{}", page.body);
}

#[test]
fn a_bad_month_is_a_persian_error_beside_its_field_with_the_values_kept() {
    let app = TestApp::spawn();
    let s = scene(&app);
    report_readers(&app, &s);
    let ana = Browser::signed_in(&app, "ana");
    let page = ana.get("/console/reports?from=1403-13&to=1403-07&provider_kind=hospital");
    assert_eq!(page.status, 422, "{}", page.body);
    page.assert_contains("id=\"r-from-err\">ماه را به صورت سال-ماه بنویسید، مانند 1403-07.</p>");
    page.assert_contains("value=\"1403-13\" aria-invalid=\"true\"");
    page.assert_contains("value=\"1403-07\"");
    page.assert_contains("<option value=\"hospital\" selected>");
    assert!(!page.body.contains("id=\"r-monthly\""), "no cards for a wrong filter");
    // Persian digits are read; an end before the start is the end's error.
    let page = ana.get("/console/reports?from=%DB%B1%DB%B4%DB%B0%DB%B3-%DB%B0%DB%B5&to=1403-01");
    assert_eq!(page.status, 422, "{}", page.body);
    page.assert_contains("value=\"1403-05\"");
    page.assert_contains("id=\"r-to-err\">پایان بازه نباید پیش از آغاز آن باشد.</p>");
}
