use asnad::auth::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, Scope, TestApp};

const MAIN: &str = "0012345679";
const WIFE: &str = "0499370899";
const SON: &str = "0790419904";
const MOTHER: &str = "0084575948";
const STRANGER: &str = "0013542419";

fn create(app: &TestApp, admin: &str, body: Value) -> Value {
    let res = app.post_json("/api/v1/insured", Some(admin), &body);
    assert_eq!(res.status(), 201, "{:?}", res.text());
    res.json().unwrap()
}

fn family(app: &TestApp, admin: &str) {
    create(
        app,
        admin,
        json!({"national_code": "12345679", "insurance_no": "۱۲۳۴۵۶۷۸", "first_name": "علي", "last_name": "كريمي",
               "sex": "male", "birth_date": "1350-05-10", "insurance_type": "mandatory",
               "coverage": [{"from": "1400-01-01", "to": "1403-12-30"}]}),
    );
    create(
        app,
        admin,
        json!({"national_code": WIFE, "first_name": "مریم", "last_name": "کریمی", "sex": "female",
        "birth_date": "1355-01-01", "insurance_type": "mandatory", "main_national_code": MAIN, "relation": "spouse"}),
    );
    create(
        app,
        admin,
        json!({"national_code": SON, "first_name": "رضا", "last_name": "کریمی", "sex": "male",
        "birth_date": "2006-05-10", "insurance_type": "mandatory", "main_national_code": MAIN, "relation": "child",
        "student_until": "2024-09-22"}),
    );
    create(
        app,
        admin,
        json!({"national_code": MOTHER, "first_name": "زهرا", "last_name": "احمدی", "sex": "female",
        "birth_date": "1969-06-02", "insurance_type": "mandatory", "main_national_code": MAIN, "relation": "parent"}),
    );
}

#[test]
fn records_are_normalized_and_linked() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    family(&app, &admin);
    let main: Value = app.get(&format!("/api/v1/insured/{MAIN}"), Some(&admin)).json().unwrap();
    assert_eq!((main["first_name"].as_str(), main["last_name"].as_str()), (Some("علی"), Some("کریمی")));
    assert_eq!(main["insurance_no"], "12345678");
    assert_eq!(main["birth_date_jalali"], "1350-05-10");
    assert_eq!(main["dependants"].as_array().unwrap().len(), 3);
    let son: Value = app.get(&format!("/api/v1/insured/{SON}"), Some(&admin)).json().unwrap();
    assert_eq!(son["main_national_code"], MAIN);
    // Search by name prefix (Arabic letters normalized), national code and insurance number.
    let found: Value = app.get("/api/v1/insured?name=كريم", Some(&admin)).json().unwrap();
    assert_eq!(found["items"].as_array().unwrap().len(), 3);
    let found: Value = app.get("/api/v1/insured?insurance_no=12345678", Some(&admin)).json().unwrap();
    assert_eq!(found["items"][0]["national_code"], MAIN);
    // Duplicates and bad identifiers.
    assert_problem(
        app.post_json(
            "/api/v1/insured",
            Some(&admin),
            &json!({"national_code": MAIN, "insurance_no": "12345678", "first_name": "x",
            "last_name": "y", "sex": "male", "birth_date": "1990-01-01", "insurance_type": "voluntary"}),
        ),
        409,
        "insured_exists",
    );
    let bad = assert_problem(
        app.post_json(
            "/api/v1/insured",
            Some(&admin),
            &json!({"national_code": "1111111111", "insurance_no": "123", "first_name": "x",
            "last_name": "y", "sex": "male", "birth_date": "1403-12-31", "insurance_type": "voluntary"}),
        ),
        422,
        "validation_failed",
    );
    let fields: Vec<&str> =
        bad["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["national_code", "insurance_no", "birth_date"]);
    assert_problem(app.get("/api/v1/insured/0012345678", Some(&admin)), 422, "validation_failed");
}

#[test]
fn eligibility_for_main_and_dependants_at_the_boundaries() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    family(&app, &admin);
    let provider = app.token_for("clinic", Role::Provider, Scope::provider("p-1"));
    let elig = |code: &str, date: &str| -> Value {
        let res = app.get(&format!("/api/v1/insured/{code}/eligibility?date={date}"), Some(&provider));
        assert_eq!(res.status(), 200);
        res.json().unwrap()
    };
    // Coverage 1400-01-01 .. 1403-12-30 (inclusive).
    assert_eq!(elig(MAIN, "1399-12-30")["eligible"], false);
    assert_eq!(elig(MAIN, "1400-01-01")["eligible"], true);
    assert_eq!(elig(MAIN, "1403-12-30")["eligible"], true);
    let after = elig(MAIN, "1404-01-01");
    assert_eq!((after["eligible"].as_bool(), after["rule"].as_str()), (Some(false), Some("coverage_period")));
    // The wife shares the main insured's coverage.
    assert_eq!(elig(WIFE, "2024-06-01")["relation"], "spouse");
    assert_eq!(elig(WIFE, "2024-06-01")["eligible"], true);
    assert_eq!(elig(WIFE, "2025-03-21")["eligible"], false);
    // The son turns 18 on 2024-05-10; a student certificate until 2024-09-22 keeps him covered.
    assert_eq!(elig(SON, "2024-05-09")["rule"], "dependant_son_age");
    assert_eq!(elig(SON, "2024-05-10")["rule"], "dependant_son_student");
    let late = elig(SON, "2024-09-23");
    assert_eq!((late["eligible"].as_bool(), late["rule"].as_str()), (Some(false), Some("dependant_son_age")));
    // The mother turns 55 on 2024-06-02.
    assert_eq!(elig(MOTHER, "2024-06-01")["eligible"], false);
    let m = elig(MOTHER, "2024-06-02");
    assert_eq!(m["eligible"], true);
    assert!(
        m.get("first_name").is_none() && m.get("birth_date").is_none(),
        "no personal data for providers: {m}"
    );
    // Exemptions whose person conditions hold: only the one for the Organization's own centres
    // (the main insured is 53, not a special-disease patient).
    let main_now = elig(MAIN, "1403-06-01");
    let ids: Vec<&str> =
        main_now["exemptions"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["exempt_sso_owned"], "{main_now}");
    assert_eq!(main_now["exemptions"][0]["sector_scope"], "sso_owned");
    assert_eq!(main_now["tariff_year"], 1403);
    // Unknown and invalid national codes.
    assert_problem(
        app.get(&format!("/api/v1/insured/{STRANGER}/eligibility"), Some(&provider)),
        404,
        "not_found",
    );
    assert_problem(
        app.get("/api/v1/insured/0012345678/eligibility", Some(&provider)),
        422,
        "validation_failed",
    );
    assert_problem(
        app.get(&format!("/api/v1/insured/{MAIN}/eligibility?date=1403-13-01"), Some(&provider)),
        422,
        "validation_failed",
    );
}

#[test]
fn exemptions_follow_age_and_dates() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    create(
        &app,
        &admin,
        json!({"national_code": MAIN, "insurance_no": "12345678", "first_name": "پدر", "last_name": "بزرگ",
        "sex": "male", "birth_date": "1958-01-01", "insurance_type": "mandatory", "coverage": [{"from": "2000-01-01"}]}),
    );
    create(
        &app,
        &admin,
        json!({"national_code": SON, "first_name": "کودک", "last_name": "بزرگ", "sex": "male",
        "birth_date": "2020-01-01", "insurance_type": "mandatory", "main_national_code": MAIN, "relation": "child"}),
    );
    let ids = |code: &str, date: &str| -> Vec<String> {
        let v: Value =
            app.get(&format!("/api/v1/insured/{code}/eligibility?date={date}"), Some(&admin)).json().unwrap();
        v["exemptions"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_string()).collect()
    };
    // 65 on 2023-01-01; the exemption for 65+ in government hospitals applies (inpatient).
    assert!(ids(MAIN, "2024-06-01").contains(&"exempt_age_65_inpatient_gov".to_string()));
    assert!(!ids(MAIN, "2022-12-31").contains(&"exempt_age_65_inpatient_gov".to_string()));
    // Under 7 in government centres from 1403-02-08 (2024-04-27).
    assert!(!ids(SON, "2024-04-26").contains(&"exempt_under_7_gov".to_string()));
    assert!(ids(SON, "2024-04-27").contains(&"exempt_under_7_gov".to_string()));
}

#[test]
fn bulk_import_with_good_and_bad_rows_is_idempotent() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    let csv = "\
national_code,insurance_no,first_name,last_name,sex,birth_date,insurance_type,special_disease,supplementary,coverage_from,coverage_to,email,mobile,main_national_code,relation,student_until,disabled,married,employed
0012345679,12345678,علی,کریمی,male,1350-05-10,mandatory,0,0,1400-01-01,,a@example.org,09121234567,,,,,,
0012345678,12345679,بد,کد,male,1350-05-10,mandatory,0,0,1400-01-01,,,,,,,,,
0499370899,,مریم,کریمی,female,1355-01-01,mandatory,0,0,,,,,0012345679,spouse,,,,
0790419904,,رضا,کریمی,male,2006-05-10,mandatory,0,0,,,,,0013542419,child,,,,
0084575948,87654321,زهرا,احمدی,female,1969-06-02,voluntary,2,0,1401-01-01,1400-01-01,,0912,,,,,,
";
    let send = |body: &str| {
        app.request(Method::POST, "/api/v1/insured/import", Some(&admin))
            .header("content-type", "text/csv")
            .body(body.to_string())
            .send()
            .unwrap()
    };
    let res = send(csv);
    assert_eq!(res.status(), 200);
    let r: Value = res.json().unwrap();
    assert_eq!(
        (r["rows"].as_u64(), r["inserted"].as_u64(), r["rejected"].as_u64()),
        (Some(5), Some(2), Some(3))
    );
    assert_eq!(r["coverage_added"], 1);
    let errors: Vec<String> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{}: {}", e["line"], e["field"].as_str().unwrap()))
        .collect();
    assert!(errors.contains(&"3: national_code".to_string()), "{errors:?}");
    assert!(errors.contains(&"5: main_national_code".to_string()), "{errors:?}");
    for f in ["special_disease", "mobile", "coverage_to"] {
        assert!(errors.contains(&format!("6: {f}")), "{f} in {errors:?}");
    }
    // The good rows are there, linked.
    let wife: Value = app.get("/api/v1/insured/0499370899", Some(&admin)).json().unwrap();
    assert_eq!(wife["main_national_code"], "0012345679");

    // Again: nothing changes.
    let r: Value = send(csv).json().unwrap();
    assert_eq!(
        (
            r["inserted"].as_u64(),
            r["updated"].as_u64(),
            r["unchanged"].as_u64(),
            r["coverage_added"].as_u64()
        ),
        (Some(0), Some(0), Some(2), Some(0))
    );
    // A changed row is updated, a new coverage period added once.
    let changed = csv.replace("a@example.org,09121234567", "b@example.org,09121234567").replace(
        "0012345679,12345678,علی,کریمی,male,1350-05-10,mandatory,0,0,1400-01-01,,",
        "0012345679,12345678,علی,کریمی,male,1350-05-10,mandatory,0,0,1404-01-01,,",
    );
    let r: Value = send(&changed).json().unwrap();
    assert_eq!((r["updated"].as_u64(), r["coverage_added"].as_u64()), (Some(1), Some(1)));
    let main: Value = app.get("/api/v1/insured/0012345679", Some(&admin)).json().unwrap();
    assert_eq!(main["email"], "b@example.org");
    assert_eq!(main["coverage"].as_array().unwrap().len(), 2);

    // A wrong header is refused whole; only admins import.
    let body = assert_problem(send("code,name\n1,2\n"), 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "file");
    let clinic = app.token_for("clinic", Role::Provider, Scope::provider("p-1"));
    let res = app
        .request(Method::POST, "/api/v1/insured/import", Some(&clinic))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .unwrap();
    assert_problem(res, 403, "forbidden");
}

#[test]
fn providers_and_other_insured_cannot_read_records() {
    let app = TestApp::spawn();
    let admin = app.admin_token();
    family(&app, &admin);
    create(
        &app,
        &admin,
        json!({"national_code": STRANGER, "insurance_no": "11112222", "first_name": "غریبه", "last_name": "دیگر",
        "sex": "female", "birth_date": "1990-01-01", "insurance_type": "voluntary", "coverage": [{"from": "2020-01-01"}]}),
    );
    let main_id = app.get(&format!("/api/v1/insured/{MAIN}"), Some(&admin)).json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    let provider = app.token_for("clinic", Role::Provider, Scope::provider("p-1"));
    assert_problem(app.get(&format!("/api/v1/insured/{MAIN}"), Some(&provider)), 403, "forbidden");
    assert_problem(app.get("/api/v1/insured?name=کریمی", Some(&provider)), 403, "forbidden");

    // The main insured sees themselves and their dependants, not others.
    let me = app.token_for("ali", Role::Insured, Scope { insured_id: Some(main_id), ..Default::default() });
    assert_eq!(app.get(&format!("/api/v1/insured/{MAIN}"), Some(&me)).status(), 200);
    assert_eq!(app.get(&format!("/api/v1/insured/{SON}"), Some(&me)).status(), 200);
    assert_eq!(app.get(&format!("/api/v1/insured/{SON}/eligibility"), Some(&me)).status(), 200);
    assert_problem(app.get(&format!("/api/v1/insured/{STRANGER}"), Some(&me)), 404, "not_found");
    assert_problem(app.get(&format!("/api/v1/insured/{STRANGER}/eligibility"), Some(&me)), 404, "not_found");
}
