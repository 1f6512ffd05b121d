//! The reports' per-month views the dashboards draw (`DeductionsReport::months`,
//! `TurnaroundReport::{decision,payment}_by_month`): the months equal the claims' totals by
//! service month (exact rials; payable counts decided claims only), and the per-month
//! percentiles over several offices come from their merged histograms, not from the offices'
//! percentiles.

use std::collections::BTreeMap;

use asnad::auth::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::claims::{document, insured, setup};
use crate::helpers::{Scope, TestApp};

/// The claims tests' document served on Mehr `day` (distinct days: not duplicates).
fn doc(no: &str, day: u8) -> Value {
    let text = document(no).to_string().replace("1403-07-15", &format!("1403-07-{day:02}"));
    serde_json::from_str(&text).unwrap()
}

fn get(app: &TestApp, token: &str, path: &str) -> Value {
    let res = app.get(path, Some(token));
    assert_eq!(res.status(), 200, "{path}: {:?}", res.text());
    res.json().unwrap()
}

/// Moves a claim's receipt back by `days` (turnaround counts from it at the decision).
fn age(app: &TestApp, id: &str, days: i64) {
    use asnad::db::schema::claims;
    use diesel::prelude::*;
    let mut conn = app.pool.get().unwrap();
    let at: chrono::NaiveDateTime =
        claims::table.find(id).select(claims::created_at).first(&mut conn).unwrap();
    diesel::update(claims::table.find(id))
        .set(claims::created_at.eq(at - chrono::Duration::days(days)))
        .execute(&mut conn)
        .unwrap();
}

#[test]
fn months_equal_the_claims_and_turnaround_by_month_merges_the_offices() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    insured(&app, &admin);
    let (ha, key_a) = setup(&app, &admin, "RMA", "10101010301");
    let (hb, key_b) = setup(&app, &admin, "RMB", "10101010302");
    let pa: Value = get(&app, &admin, &format!("/api/v1/providers/{ha}"));
    let office_a = pa["office_id"].as_str().unwrap().to_string();
    // Office A pends everything; office B's engine decides at intake (0 days).
    let res = app.put_json(
        &format!("/api/v1/offices/{office_a}"),
        Some(&admin),
        &json!({"province_id": 1, "code": "RMA", "name_fa": "دفتر", "name_en": "Office", "auto_approve_limit": 1}),
    );
    assert_eq!(res.status(), 200, "{:?}", res.text());
    let mut ids = Vec::new();
    for (no, day) in [("B-1", 1), ("B-2", 2), ("B-3", 3)] {
        let res = app.post_json("/api/v1/claims", Some(&key_b), &doc(no, day));
        assert_eq!(res.status(), 201);
        ids.push(res.json::<Value>().unwrap()["id"].as_str().unwrap().to_string());
    }
    let ana = app.token_for("ana", Role::Reviewer, Scope::office(&office_a));
    for (no, days, day) in [("A-1", 10, 4), ("A-2", 20, 5), ("A-3", 0, 6)] {
        let res = app.post_json("/api/v1/claims", Some(&key_a), &doc(no, day));
        assert_eq!(res.status(), 201);
        let c: Value = res.json().unwrap();
        assert_eq!(c["status"], "pended");
        let id = c["id"].as_str().unwrap().to_string();
        ids.push(id.clone());
        if days == 0 {
            continue; // A-3 stays waiting: billed and deducted, not yet payable.
        }
        age(&app, &id, days);
        let res = app
            .request(Method::POST, &format!("/api/v1/review/claims/{id}/take"), Some(&ana))
            .send()
            .unwrap();
        assert_eq!(res.status(), 200);
        let res = app.post_json(
            &format!("/api/v1/review/claims/{id}/decision"),
            Some(&ana),
            &json!({"lines": [{"line_no": 1, "action": "adjust", "approved_amount": 400000, "reason": "R90"}]}),
        );
        assert_eq!(res.status(), 200, "{:?}", res.text());
    }

    // The months: what the claims say, by service month.
    let mut want: BTreeMap<String, (i64, i64, i64, i64)> = BTreeMap::new();
    for id in &ids {
        let c = get(&app, &admin, &format!("/api/v1/claims/{id}"));
        let e = want.entry(c["service_month"].as_str().unwrap().to_string()).or_default();
        e.0 += 1;
        e.1 += c["totals"]["billed"].as_i64().unwrap();
        if c["status"] != "pended" {
            e.2 += c["totals"]["insurer_payable"].as_i64().unwrap();
        }
        e.3 += c["totals"]["deducted"].as_i64().unwrap();
    }
    let hq = app.token_for("hq", Role::Headquarters, Scope::default());
    let r = get(&app, &hq, "/api/v1/reports/deductions");
    let have: BTreeMap<String, (i64, i64, i64, i64)> = r["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let n = |k: &str| m[k].as_i64().unwrap();
            (
                m["service_month"].as_str().unwrap().to_string(),
                (n("claims"), n("billed"), n("payable"), n("deducted")),
            )
        })
        .collect();
    assert_eq!(have, want);
    assert_eq!(want.len(), 1, "all served in Mehr");

    // Turnaround by month over both offices: days {0, 0, 0, 10, 20} → p50 0, p90 20, max 20
    // (the offices' own p50 are 0 and 10: no mix of those gives the merged answer).
    let t = get(&app, &hq, "/api/v1/reports/turnaround");
    let merged = &t["decision_by_month"].as_array().unwrap();
    assert_eq!(merged.len(), 1, "{t}");
    let m = &merged[0];
    assert_eq!((m["office_id"].as_str(), m["claims"].as_i64()), (Some(""), Some(5)), "{m}");
    assert_eq!(
        (m["p50_days"].as_i64(), m["p90_days"].as_i64(), m["max_days"].as_i64()),
        (Some(0), Some(20), Some(20))
    );
    let a: Vec<&Value> =
        t["decision"].as_array().unwrap().iter().filter(|l| l["office_id"] == office_a).collect();
    assert_eq!((a[0]["p50_days"].as_i64(), a[0]["p90_days"].as_i64()), (Some(10), Some(20)));
    assert_eq!(t["payment_by_month"], json!([]), "nothing paid");
    // An office's reviewer: its own histogram only.
    let mine = get(&app, &ana, "/api/v1/reports/turnaround");
    let m = &mine["decision_by_month"][0];
    assert_eq!((m["claims"].as_i64(), m["p50_days"].as_i64()), (Some(2), Some(10)));

    // By provider and by provider kind: the providers' histogram, the same percentiles. A's
    // provider {10, 20}; B's {0, 0, 0}; both are hospitals; no clinic decided anything.
    // Each month as [claims, p50, p90, max].
    let pct = |path: &str| -> Value {
        get(&app, &hq, path)["decision_by_month"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| json!([m["claims"], m["p50_days"], m["p90_days"], m["max_days"]]))
            .collect()
    };
    assert_eq!(pct(&format!("/api/v1/reports/turnaround?provider_id={ha}")), json!([[2, 10, 20, 20]]));
    assert_eq!(pct(&format!("/api/v1/reports/turnaround?provider_id={hb}")), json!([[3, 0, 0, 0]]));
    assert_eq!(pct("/api/v1/reports/turnaround?provider_kind=hospital"), json!([[5, 0, 20, 20]]));
    assert_eq!(pct("/api/v1/reports/turnaround?provider_kind=clinic"), json!([]));
    let by_a = get(&app, &hq, &format!("/api/v1/reports/turnaround?provider_id={ha}&provider_kind=hospital"));
    assert_eq!(by_a["decision"][0]["office_id"], office_a.as_str());
    // B's provider becomes a day-surgery centre: its history follows it to the new kind, as the
    // other reports follow the provider's kind now.
    let p = get(&app, &admin, &format!("/api/v1/providers/{hb}"));
    let body = json!({"name_fa": p["name_fa"], "kind": "day_surgery", "sector": p["sector"],
                      "province_id": p["province_id"], "office_id": p["office_id"],
                      "legal_national_id": p["legal_national_id"], "sheba": p["sheba"]});
    let res = app.put_json(&format!("/api/v1/providers/{hb}"), Some(&admin), &body);
    assert_eq!(res.status(), 200, "{:?}", res.text());
    assert_eq!(pct("/api/v1/reports/turnaround?provider_kind=hospital"), json!([[2, 10, 20, 20]]));
    assert_eq!(pct("/api/v1/reports/turnaround?provider_kind=day_surgery"), json!([[3, 0, 0, 0]]));
    let mut conn = app.pool.get().unwrap();
    let diffs = asnad::services::reports::verify_conn(&mut conn).unwrap();
    assert!(diffs.is_empty(), "{diffs:?}");
}
