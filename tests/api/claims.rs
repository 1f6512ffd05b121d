use asnad::auth::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::fixtures::World;
use crate::helpers::{assert_problem, Scope, TestApp};

const INSURED: &str = "0012345679";

/// A private grade-2 hospital with an active contract that allows gap billing, and the
/// hospital's API key. Returns (provider id, key).
pub fn setup(app: &TestApp, admin: &str, office_code: &str, legal_id: &str) -> (String, String) {
    let world = World::new(app, admin.to_string());
    let office = world.office(office_code);
    let h = world
        .hospital(&office)
        .legal_id(legal_id)
        .with("name_fa", json!("بيمارستان نمونه"))
        .with("email", json!("billing@example.org"))
        .terms(json!({"may_bill_gap": true}))
        .system_user(&format!("his-{office_code}"))
        .contracted();
    (h.id, h.key)
}

/// The insured person of these tests (`INSURED`), covered 1400–1403.
pub fn insured(app: &TestApp, admin: &str) {
    World::new(app, admin.to_string()).insured(INSURED).create();
}

pub fn document(no: &str) -> Value {
    json!({
        "provider_document_no": no,
        "setting": "outpatient",
        "kind": "visit",
        "insured_national_code": "۰۰۱۲۳۴۵۶۷۹",
        "physician_council_no": "12345",
        "diagnoses": ["J06.9"],
        "lines": [
            {"line_no": 1, "item_type": "visit", "code": "specialist", "quantity": "1", "service_date": "1403-07-15", "billed_amount": 1890000},
            {"line_no": 2, "item_type": "drug", "code": "10010", "quantity": "40", "service_date": "1403-07-15", "billed_amount": 1000000},
            {"line_no": 3, "item_type": "service", "code": "999999", "quantity": "1", "service_date": "1403-07-15", "billed_amount": 100000}
        ]
    })
}

#[test]
fn a_claim_is_adjudicated_stored_and_resent_idempotently() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (_, key) = setup(&app, &admin, "THR-1", "10101010101");
    insured(&app, &admin);

    let res = app.post_json("/api/v1/claims", Some(&key), &document("H-1403-07-000123"));
    assert_eq!(res.status(), 201, "{:?}", res.text());
    let c: Value = res.json().unwrap();
    assert_eq!(c["status"], "partially_approved");
    assert_eq!((c["tariff_year"].as_i64(), c["tariff_status"].as_str()), (Some(1403), Some("sample")));
    assert_eq!(c["insured_national_code"], INSURED);
    assert_eq!(c["service_month"], "1403-07");
    let l = &c["lines"];
    // Visit: government 564,000 (30 % franchise 169,200), private cap 1,890,000 → gap 1,326,000.
    assert_eq!(
        (
            l[0]["insurer_payable"].as_i64(),
            l[0]["patient_share"].as_i64(),
            l[0]["patient_gap"].as_i64(),
            l[0]["deducted"].as_i64()
        ),
        (Some(394_800), Some(169_200), Some(1_326_000), Some(0))
    );
    assert_eq!(l[0]["cost_sharing_rule"], "franchise_outpatient:30%");
    // Amoxicillin: 30 of 40 paid (R09), 750,000 → franchise 225,000.
    assert_eq!(l[1]["reasons"][0]["code"], "R09");
    assert_eq!(l[1]["reasons"][0]["amount"], 250_000);
    assert_eq!(l[1]["reasons"][0]["group"], "CO");
    assert_eq!(l[1]["approved_quantity"], "30");
    assert_eq!(
        (l[1]["insurer_payable"].as_i64(), l[1]["patient_share"].as_i64()),
        (Some(525_000), Some(225_000))
    );
    // Unknown code: R05, the whole line deducted.
    assert_eq!(
        (l[2]["status"].as_str(), l[2]["reasons"][0]["code"].as_str()),
        (Some("rejected"), Some("R05"))
    );
    assert_eq!(l[2]["reasons"][0]["message_fa"], "کد در تعرفه سال خدمت وجود ندارد");
    let t = &c["totals"];
    assert_eq!(t["billed"], 2_990_000);
    assert_eq!(
        t["insurer_payable"].as_i64().unwrap()
            + t["patient_share"].as_i64().unwrap()
            + t["patient_gap"].as_i64().unwrap()
            + t["deducted"].as_i64().unwrap(),
        2_990_000
    );
    assert_eq!(t["deducted"], 350_000);

    // The same document again: the first answer, 200, nothing new.
    let again = app.post_json("/api/v1/claims", Some(&key), &document("H-1403-07-000123"));
    assert_eq!(again.status(), 200);
    let again: Value = again.json().unwrap();
    assert_eq!(again, c);
    let list: Value = app.get("/api/v1/claims", Some(&key)).json().unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    // A second document the same day: the visit by the same physician is R16, the drug R08.
    let second: Value =
        app.post_json("/api/v1/claims", Some(&key), &document("H-1403-07-000124")).json().unwrap();
    assert_eq!(second["lines"][0]["reasons"][0]["code"], "R16");
    assert_eq!(second["lines"][1]["reasons"][0]["code"], "R08");
    let by_reason: Value = app.get("/api/v1/claims?reason=R16", Some(&key)).json().unwrap();
    assert_eq!(by_reason["items"].as_array().unwrap().len(), 1);
    // Every line of the second document is deducted: the claim is rejected.
    assert_eq!(second["status"], "rejected");
    let by_month: Value = app.get("/api/v1/claims?month=1403-07", Some(&key)).json().unwrap();
    assert_eq!(by_month["items"].as_array().unwrap().len(), 2);
    let rejected: Value = app.get("/api/v1/claims?month=1403-07&status=rejected", Some(&key)).json().unwrap();
    assert_eq!(rejected["items"][0]["id"], second["id"]);

    // The running month total the ceiling rule reads equals the sum over the claims.
    {
        let mut conn = app.pool.get().unwrap();
        let provider = c["provider_id"].as_str().unwrap();
        let running = asnad::store::claims::month_payable(&mut conn, &provider.into(), "1403-07").unwrap();
        let summed =
            asnad::store::claims::month_payable_from_claims(&mut conn, &provider.into(), "1403-07").unwrap();
        assert_eq!((running, summed), (919_800, 919_800));
    }

    // The explanation, line by line, in Persian and English.
    let e: Value = app
        .get(&format!("/api/v1/claims/{}/explanation", c["id"].as_str().unwrap()), Some(&key))
        .json()
        .unwrap();
    assert!(e["lines"][1]["fa"].as_str().unwrap().contains("R09"));
    assert!(e["lines"][1]["en"]
        .as_str()
        .unwrap()
        .contains("250000 deducted, written off by the provider — R09 quantity above the limit"));
    // …and names the engine's rule that gave it, by its step in the rule table.
    let en = e["lines"][1]["en"].as_str().unwrap();
    let step = asnad::domain::adjudication::rules_giving(asnad::domain::reasons::Reason::R09)[0].0;
    assert!(en.contains(&format!("[engine rule {step}: ")), "{en}");
    assert!(e["lines"][1]["fa"].as_str().unwrap().contains(&format!("(قاعدهٔ {step} موتور رسیدگی)")));
    assert!(e["summary_fa"].as_str().unwrap().contains("کسورات 350,000 ریال"));
}

#[test]
fn ineligible_and_unknown_insured_are_rejected() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (_, key) = setup(&app, &admin, "THR-1", "10101010101");
    // Not registered at all: R01.
    let c: Value = app.post_json("/api/v1/claims", Some(&key), &document("D-1")).json().unwrap();
    assert_eq!(c["status"], "rejected");
    assert_eq!(c["lines"][0]["reasons"][0]["code"], "R01");
    assert_eq!(c["lines"][0]["reasons"][0]["group"], "RJ");
    assert_eq!(c["totals"]["deducted"], c["totals"]["billed"]);
}

#[test]
fn bad_documents_name_every_field_and_store_nothing() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (_, key) = setup(&app, &admin, "THR-1", "10101010101");
    let mut doc = document("BAD-1");
    doc["insured_national_code"] = json!("0012345678");
    doc["setting"] = json!("inpatient");
    doc["diagnoses"] = json!(["not a code"]);
    doc["lines"][0]["quantity"] = json!("0");
    doc["lines"][1]["service_date"] = json!("1403-13-01");
    doc["lines"][2]["line_no"] = json!(1);
    let body = assert_problem(app.post_json("/api/v1/claims", Some(&key), &doc), 422, "validation_failed");
    let fields: Vec<&str> =
        body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(
        fields,
        [
            "insured_national_code",
            "admitted_on",
            "diagnoses[0]",
            "lines[0].quantity",
            "lines[1].service_date",
            "lines[2].line_no"
        ]
    );
    let mut doc = document("BAD-2");
    doc["lines"][0]["item_type"] = json!("spaceship");
    let body = assert_problem(app.post_json("/api/v1/claims", Some(&key), &doc), 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "lines[0].item_type");
    let list: Value = app.get("/api/v1/claims", Some(&key)).json().unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
    // Only providers send claims.
    assert_problem(app.post_json("/api/v1/claims", Some(&admin), &document("X")), 403, "forbidden");
}

#[test]
fn providers_cannot_read_each_others_claims() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (_, key_a) = setup(&app, &admin, "THR-1", "10101010101");
    let (_, key_b) = setup(&app, &admin, "THR-2", "20202020202");
    insured(&app, &admin);
    let c: Value = app.post_json("/api/v1/claims", Some(&key_a), &document("A-1")).json().unwrap();
    let id = c["id"].as_str().unwrap();
    assert_eq!(app.get(&format!("/api/v1/claims/{id}"), Some(&key_a)).status(), 200);
    assert_problem(app.get(&format!("/api/v1/claims/{id}"), Some(&key_b)), 404, "not_found");
    assert_problem(app.get(&format!("/api/v1/claims/{id}/explanation"), Some(&key_b)), 404, "not_found");
    let list: Value = app.get("/api/v1/claims", Some(&key_b)).json().unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
    // The same document number is per provider: B may use "A-1" too.
    assert_eq!(app.post_json("/api/v1/claims", Some(&key_b), &document("A-1")).status(), 201);
    // Staff of the office see it; staff of another office do not.
    let office_a = c["office_id"].as_str().unwrap();
    let rev_a = app.token_for("rev-a", Role::Reviewer, Scope::office(office_a));
    assert_eq!(app.get(&format!("/api/v1/claims/{id}"), Some(&rev_a)).status(), 200);
    let other_office: Value = app
        .post_json(
            "/api/v1/offices",
            Some(&admin),
            &json!({"province_id": 2, "code": "ALB-1", "name_fa": "البرز", "name_en": "Alborz"}),
        )
        .json()
        .unwrap();
    let rev_b = app.token_for("rev-b", Role::Reviewer, Scope::office(other_office["id"].as_str().unwrap()));
    assert_problem(app.get(&format!("/api/v1/claims/{id}"), Some(&rev_b)), 404, "not_found");
}

#[test]
fn work_accidents_are_listed_by_employer_and_month() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (_, key) = setup(&app, &admin, "THR-1", "10101010101");
    insured(&app, &admin);
    let mut doc = document("WA-1");
    doc["work_accident"] =
        json!({"report_no": "R-77", "employer_code": "1234567", "employer_name": "کارگاه نمونه"});
    assert_eq!(app.post_json("/api/v1/claims", Some(&key), &doc).status(), 201);
    assert_eq!(app.post_json("/api/v1/claims", Some(&key), &document("NOT-WA")).status(), 201);
    let finance = app.token_for("fin", Role::Finance, Scope::default());
    let list: Value = app
        .get("/api/v1/claims/work-accidents?employer_code=1234567&month=1403-07", Some(&finance))
        .json()
        .unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["work_accident"]["report_no"], "R-77");
    assert_eq!(list["page_insurer_payable"], items[0]["totals"]["insurer_payable"]);
    let none: Value = app
        .get("/api/v1/claims/work-accidents?employer_code=1234567&month=1403-08", Some(&finance))
        .json()
        .unwrap();
    assert!(none["items"].as_array().unwrap().is_empty());
    assert_problem(
        app.get("/api/v1/claims/work-accidents?month=1403-13", Some(&finance)),
        422,
        "validation_failed",
    );
    assert_problem(app.get("/api/v1/claims/work-accidents", Some(&key)), 403, "forbidden");
    let res = app.request(Method::GET, "/api/v1/claims?reason=R99", Some(&key)).send().unwrap();
    assert_problem(res, 422, "validation_failed");
}

/// Many documents at once, each sent by two clients: every document is stored exactly once,
/// both senders get the same claim, the second decision sees the first (R16 same-day visit),
/// and the running month total still equals the sum over the stored claims.
#[test]
fn concurrent_sends_store_each_document_once_and_in_order() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (provider, key) = setup(&app, &admin, "THR-9", "10101010109");
    insured(&app, &admin);
    let answers: Vec<(String, u16, Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|i| {
                let (app, key) = (&app, &key);
                s.spawn(move || {
                    let no = format!("H-CONC-{}", i % 8);
                    let res = app.post_json("/api/v1/claims", Some(key), &document(&no));
                    let status = res.status().as_u16();
                    (no, status, res.json::<Value>().unwrap())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut by_document = std::collections::BTreeMap::<String, Vec<(u16, String)>>::new();
    for (no, status, body) in &answers {
        assert!(*status == 200 || *status == 201, "{status}: {body}");
        by_document.entry(no.clone()).or_default().push((*status, body["id"].as_str().unwrap().to_string()));
    }
    assert_eq!(by_document.len(), 8);
    for (no, sends) in &by_document {
        let mut statuses: Vec<u16> = sends.iter().map(|s| s.0).collect();
        statuses.sort();
        assert_eq!(statuses, vec![200, 201], "{no}");
        assert_eq!(sends[0].1, sends[1].1, "{no}: both senders see the same claim");
    }
    let list: Value = app.get("/api/v1/claims?limit=100", Some(&key)).json().unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 8);
    // Same insured, same physician, same day: exactly one claim pays the visit; the others see
    // it in the history even though they were decided in the same group commit.
    let visits_paid = items.iter().filter(|c| c["lines"][0]["deducted"] == 0).count();
    assert_eq!(visits_paid, 1);
    let mut conn = app.pool.get().unwrap();
    let running =
        asnad::store::claims::month_payable(&mut conn, &provider.as_str().into(), "1403-07").unwrap();
    let summed =
        asnad::store::claims::month_payable_from_claims(&mut conn, &provider.as_str().into(), "1403-07")
            .unwrap();
    assert_eq!(running, summed);
}

/// Intake keeps the provider's facts in memory; a contract change made through the API is seen
/// by the very next claim.
#[test]
fn a_contract_suspended_now_applies_to_the_next_claim() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let (hospital, key) = setup(&app, &admin, "CACHE-1", "10101010171");
    insured(&app, &admin);
    let visit = |no: &str, date: &str| {
        json!({"provider_document_no": no, "setting": "outpatient", "kind": "visit",
               "insured_national_code": INSURED, "physician_council_no": "12345",
               "lines": [{"line_no": 1, "item_type": "visit", "code": "specialist", "quantity": "1",
                          "service_date": date, "billed_amount": 564000}]})
    };
    let c: Value = app.post_json("/api/v1/claims", Some(&key), &visit("K-1", "1403-07-01")).json().unwrap();
    assert_eq!(c["status"], "approved", "{c}");
    let contracts: Value =
        app.get(&format!("/api/v1/providers/{hospital}/contracts"), Some(&admin)).json().unwrap();
    let id = contracts["items"][0]["id"].as_str().unwrap();
    let res = app.post_json(
        &format!("/api/v1/contracts/{id}/status"),
        Some(&admin),
        &json!({"action": "suspend", "effective_on": "1403-06-01", "reason": "repeated_violations"}),
    );
    assert_eq!(res.status(), 200, "{:?}", res.text());
    let c: Value = app.post_json("/api/v1/claims", Some(&key), &visit("K-2", "1403-07-02")).json().unwrap();
    assert_eq!(
        (c["status"].as_str(), c["lines"][0]["reasons"][0]["code"].as_str()),
        (Some("rejected"), Some("R03"))
    );
}

/// A hospital of `sector` in an office of its own (`code`), contracted on `terms` for 1403;
/// returns its API key.
pub fn hospital(
    app: &TestApp,
    admin: &str,
    code: &str,
    legal_id: &str,
    sector: &str,
    terms: Value,
) -> String {
    let world = World::new(app, admin.to_string());
    let office = world.office(code);
    world
        .hospital(&office)
        .sector(sector)
        .legal_id(legal_id)
        .terms(terms)
        .system_user(&format!("his-{code}"))
        .contracted()
        .key
}

/// A 1-bed room day without a medical order (1403, grade 2: bed_1 10,300,000 government and
/// 48,178,000 private; bed_3plus 5,150,000): the Organization recognises the 3-bed day
/// (4,635,000 paid + 515,000 franchise), the room difference up to the room's tariff is the
/// insured's (R20, PR), and anything above what the provider may charge for the room is its
/// write-off (R07, CO) — at a gap-billing hospital the private price is what it may charge, and
/// the difference between the private and the government room is the gap.
#[test]
fn a_one_bed_day_without_an_order_splits_r20_from_the_providers_write_off() {
    let app = TestApp::spawn();
    let world = app.world();
    let patient = world.insured(INSURED).create();
    let office = world.office("R20");
    let government = world.hospital(&office).sector("government").contracted().key;
    let private = world.hospital(&office).sector("private").contracted().key;
    let gap = world.hospital(&office).terms(json!({"may_bill_gap": true})).contracted().key;
    let day = |date: &str, billed: i64| json!({"item_type": "bed_day", "code": "bed_1", "quantity": "1", "service_date": date, "billed_amount": billed});
    let claim = |key: &str, no: &str, lines: [Value; 2]| -> Value {
        let mut lines = lines.to_vec();
        for (i, l) in lines.iter_mut().enumerate() {
            l["line_no"] = json!(i + 1);
        }
        let doc = json!({"provider_document_no": no, "setting": "inpatient", "kind": "inpatient",
            "insured_national_code": patient.national_code, "physician_council_no": "12345", "diagnoses": ["K35.8"],
            "admitted_on": lines[0]["service_date"], "discharged_on": lines[1]["service_date"], "lines": lines});
        let res = app.post_json("/api/v1/claims", Some(key), &doc);
        assert_eq!(res.status(), 201, "{:?}", res.text());
        res.json().unwrap()
    };
    // (payable, franchise, gap, deducted, [(reason, group, amount)]) of a line.
    let split = |l: &Value| {
        let reasons: Vec<(String, String, i64)> = l["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["code"].as_str().unwrap().into(),
                    r["group"].as_str().unwrap().into(),
                    r["amount"].as_i64().unwrap(),
                )
            })
            .collect();
        let amounts =
            ["insurer_payable", "patient_share", "patient_gap", "deducted"].map(|k| l[k].as_i64().unwrap());
        assert_eq!(l["billed"].as_i64().unwrap(), amounts.iter().sum::<i64>(), "conservation: {l}");
        assert_eq!(amounts[3], reasons.iter().map(|r| r.2).sum::<i64>(), "deductions are their reasons: {l}");
        (amounts, reasons)
    };
    let r = |code: &str, group: &str, amount: i64| (code.to_string(), group.to_string(), amount);
    let totals = |c: &Value| {
        ["billed", "insurer_payable", "patient_share", "patient_gap", "deducted"]
            .map(|k| c["totals"][k].as_i64().unwrap())
    };

    // A government hospital: within its price (the room's government tariff), and above it.
    let c = claim(&government, "R20-G-1", [day("1403-07-10", 10_300_000), day("1403-07-11", 12_000_000)]);
    assert_eq!(split(&c["lines"][0]), ([4_635_000, 515_000, 0, 5_150_000], vec![r("R20", "PR", 5_150_000)]));
    assert_eq!(
        split(&c["lines"][1]),
        ([4_635_000, 515_000, 0, 6_850_000], vec![r("R07", "CO", 1_700_000), r("R20", "PR", 5_150_000)])
    );
    assert_eq!(totals(&c), [22_300_000, 9_270_000, 1_030_000, 0, 12_000_000]);

    // A private hospital without gap billing may charge the government tariff only.
    let c = claim(&private, "R20-P-1", [day("1403-07-12", 10_300_000), day("1403-07-13", 48_178_000)]);
    assert_eq!(split(&c["lines"][0]), ([4_635_000, 515_000, 0, 5_150_000], vec![r("R20", "PR", 5_150_000)]));
    assert_eq!(
        split(&c["lines"][1]),
        ([4_635_000, 515_000, 0, 43_028_000], vec![r("R07", "CO", 37_878_000), r("R20", "PR", 5_150_000)])
    );
    assert_eq!(totals(&c), [58_478_000, 9_270_000, 1_030_000, 0, 48_178_000]);

    // A gap-billing private hospital: the day paid at the 3-bed rate still carries R20; the
    // private–government difference of the room is the gap; above the private price is R07.
    let c = claim(&gap, "R20-GAP-1", [day("1403-07-14", 48_178_000), day("1403-07-15", 50_000_000)]);
    assert_eq!(
        split(&c["lines"][0]),
        ([4_635_000, 515_000, 37_878_000, 5_150_000], vec![r("R20", "PR", 5_150_000)])
    );
    assert_eq!(
        split(&c["lines"][1]),
        (
            [4_635_000, 515_000, 37_878_000, 6_972_000],
            vec![r("R07", "CO", 1_822_000), r("R20", "PR", 5_150_000)]
        )
    );
    assert_eq!(totals(&c), [98_178_000, 9_270_000, 1_030_000, 75_756_000, 12_122_000]);

    // The explanation says who bears each amount: the write-off is never the insured's.
    let e: Value = app
        .get(&format!("/api/v1/claims/{}/explanation", c["id"].as_str().unwrap()), Some(&gap))
        .json()
        .unwrap();
    let line = e["lines"][1]["en"].as_str().unwrap();
    assert!(line.contains("1822000 deducted, written off by the provider — R07"), "{line}");
    assert!(line.contains("5150000 deducted, payable by the insured — R20"), "{line}");
    assert!(e["lines"][1]["fa"].as_str().unwrap().contains("کسر 5,150,000 ریال به عهدهٔ بیمه‌شده — R20"));
}
