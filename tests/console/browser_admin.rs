//! The administrator in a real headless Chromium: opens a provider's contract, amends it (a
//! discount, a monthly ceiling, a larger advance from 1403/07/01) and reads the side-by-side
//! diff of the two versions — exactly the changed terms marked, each with its old and new value
//! — then suspends the contract with a reason and finds it in the history; creates an API key
//! and sees it once; a tariff administrator's bad import lists every problem. Screenshots:
//! `admin-providers-1366`, `admin-provider-1366`, `admin-contract-diff-1366`,
//! `admin-contract-390`, `admin-offices-1366`, `admin-users-1366`, `admin-user-1366`,
//! `admin-keys-1366`, `admin-key-once-1366`, `admin-tariffs-errors-1366`, `admin-audit-1366`.

use fantoccini::{Client, Locator};
use serde_json::Value;

use crate::admin::desk;
use crate::browser_support::{
    accessibility_violations, browser_binaries, in_browser, scrolls_sideways, shoot, sign_in,
    unlabelled_controls, viewport, wait_for_text, wait_for_url,
};
use crate::helpers::{TestApp, PASSWORD};

#[test]
fn an_administrator_amends_a_contract_and_sees_the_diff_of_the_versions() {
    let Some((chromium, chromedriver)) = browser_binaries() else { return };
    let app = TestApp::spawn();
    let ids = desk(&app);
    // A year's tariff files with problems on two lines, to import from the browser.
    let dir = tempfile::tempdir().unwrap();
    for f in asnad::domain::tariff::FILES {
        let mut text = std::fs::read_to_string(format!("tariffs/1404/{f}")).unwrap();
        if f == "services.csv" {
            let mut lines: Vec<String> = text.lines().map(String::from).collect();
            let mut cells: Vec<String> = lines[1].split(',').map(String::from).collect();
            cells[0] = "12x".into();
            lines[1] = cells.join(",");
            let mut cells: Vec<String> = lines[2].split(',').map(String::from).collect();
            cells[1] = "?".into();
            lines[2] = cells.join(",");
            text = lines.join("\n") + "\n";
        }
        std::fs::write(dir.path().join(f), text).unwrap();
    }
    let paths: Vec<String> =
        asnad::domain::tariff::FILES.iter().map(|f| dir.path().join(f).display().to_string()).collect();

    let base = app.base.clone();
    let (provider, contract) = (ids.provider.clone(), ids.contract.clone());
    let diff =
        in_browser(&chromium, &chromedriver, move |c| Box::pin(drive(c, base, provider, contract, paths)));

    // The contract now has the second version, with exactly what the form said.
    let admin = app.login("root", PASSWORD);
    let c: Value = app.get(&format!("/api/v1/contracts/{}", ids.contract), Some(&admin)).json().unwrap();
    let v2 = &c["versions"][1]["terms"];
    assert_eq!(
        (v2["discount_percent"].as_str(), v2["monthly_ceiling"].as_i64()),
        (Some("5"), Some(2_500_000_000))
    );
    assert_eq!(v2["advance_percent"], "70");
    assert_eq!(c["versions"][1]["effective_from"], "2024-09-22");
    assert_eq!(c["status"], "suspended");
    assert_eq!(c["events"].as_array().unwrap().last().unwrap()["reason"], "repeated_violations");
    assert!(diff.contains("2,500,000,000"), "the diff showed the new ceiling");
}

async fn drive(
    c: &Client,
    base: String,
    provider: String,
    contract: String,
    tariff_files: Vec<String>,
) -> String {
    let base = base.as_str();
    c.goto(&format!("{base}/console/")).await.expect("open the console");
    wait_for_url(c, "/console/login").await;
    sign_in(c, "root", PASSWORD, "/console/admin/providers").await;
    wait_for_text(c, "بیمارستان خصوصی سپیدار").await;
    c.execute("return document.fonts.ready.then(() => true)", vec![]).await.expect("fonts");
    viewport(c, 1366, 900).await;
    check(c, "providers").await;
    shoot(c, 1366, "admin-providers-1366").await;

    // The provider, and its contract.
    c.find(Locator::Css(&format!("td.doc a[href='/console/admin/providers/{provider}']")))
        .await
        .expect("the provider's link")
        .click()
        .await
        .expect("open the provider");
    wait_for_url(c, &format!("/console/admin/providers/{provider}")).await;
    wait_for_text(c, "قراردادها").await;
    check(c, "provider").await;
    shoot(c, 1366, "admin-provider-1366").await;
    c.find(Locator::Css(&format!("a[href='/console/admin/contracts/{contract}']")))
        .await
        .expect("the contract's link")
        .click()
        .await
        .expect("open the contract");
    wait_for_url(c, &format!("/console/admin/contracts/{contract}")).await;
    wait_for_text(c, "این قرارداد هنوز یک نسخه دارد").await;

    // The amendment: the form holds version 1's terms; change three of them.
    let set = |id: &'static str, value: &'static str| async move {
        let el = c.find(Locator::Id(id)).await.expect(id);
        el.clear().await.expect("clear");
        el.send_keys(value).await.expect("type");
    };
    set("am-from", "1403/07/01").await;
    set("t-discount_percent", "5").await;
    set("t-monthly_ceiling", "2500000000").await;
    set("t-advance_percent", "70").await;
    c.find(Locator::XPath("//button[contains(., 'ثبت الحاقیه')]"))
        .await
        .expect("amend button")
        .click()
        .await
        .expect("amend");
    wait_for_url(c, "done=amended").await;
    let page = wait_for_text(c, "data-compare=\"1-2\"").await;
    assert!(page.contains("الحاقیه ثبت شد"));

    // Exactly the three changed terms are marked, in words and not by colour alone, each with
    // its old (struck) and new value side by side.
    let changed = c
        .execute(
            "return [...document.querySelectorAll('tr.is-changed')].map(r => [r.dataset.term, \
             r.querySelector('td.old').innerText.trim(), r.querySelector('td.new').innerText.trim(), \
             r.querySelector('td:last-child').innerText.trim()])",
            vec![],
        )
        .await
        .expect("changed rows");
    let rows: Vec<Vec<String>> = serde_json::from_value(changed).unwrap();
    let want = [
        ("discount_percent", "0", "5"),
        ("monthly_ceiling", "—", "2,500,000,000"),
        ("advance_percent", "60", "70"),
    ];
    assert_eq!(rows.len(), want.len(), "only the changed terms are marked: {rows:?}");
    for (row, (term, old, new)) in rows.iter().zip(want) {
        assert_eq!(row[0], term);
        assert!(row[1].ends_with(old), "{term}: old value {:?}", row[1]);
        assert!(row[2].ends_with(new), "{term}: new value {:?}", row[2]);
        assert_eq!(row[3], "تغییر کرد", "{term}: marked in words");
    }
    let struck = c
        .execute("return document.querySelectorAll('tr.is-changed td.old del').length", vec![])
        .await
        .expect("struck");
    assert_eq!(struck.as_u64(), Some(3), "the old values are struck");
    let same = c
        .execute("return document.querySelector('tr[data-term=\"advance_days\"]').className", vec![])
        .await
        .expect("unchanged");
    assert_eq!(same.as_str(), Some(""), "an unchanged term is not marked");
    let diff = c.source().await.expect("source");
    check(c, "contract").await;
    shoot(c, 1366, "admin-contract-diff-1366").await;

    // Suspend with a reason: the history shows it.
    c.find(Locator::Css("#st-action option[value='suspend']"))
        .await
        .expect("suspend")
        .click()
        .await
        .expect("pick");
    c.find(Locator::Css("#st-reason option[value='repeated_violations']"))
        .await
        .expect("reason")
        .click()
        .await
        .expect("pick");
    let on = c.find(Locator::Id("st-on")).await.expect("date");
    on.clear().await.expect("clear");
    on.send_keys("1403/08/01").await.expect("type");
    c.find(Locator::Id("st-note")).await.expect("note").send_keys("سه تخلف در مهر").await.expect("type");
    c.find(Locator::XPath("//button[contains(., 'ثبت تغییر وضعیت')]"))
        .await
        .expect("button")
        .click()
        .await
        .expect("go");
    wait_for_url(c, "done=status").await;
    let page = wait_for_text(c, "علت: تخلفات مکرر").await;
    assert!(
        page.contains("سه تخلف در مهر") && page.contains("1403/08/01"),
        "the history shows the suspension"
    );
    viewport(c, 390, 900).await;
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on the contract at 390 px");
    shoot(c, 390, "admin-contract-390").await;
    viewport(c, 1366, 900).await;

    // The other screens, from the navigation.
    for (href, text, name) in [
        ("/console/admin/offices", "دفتر رسیدگی غرب تهران", "admin-offices-1366"),
        ("/console/admin/users", "کاربر تازه", "admin-users-1366"),
        ("/console/admin/api-keys", "کلید تازه", "admin-keys-1366"),
    ] {
        c.find(Locator::Css(&format!("nav.mainnav a[href='{href}']")))
            .await
            .expect(href)
            .click()
            .await
            .expect("go");
        wait_for_url(c, href).await;
        wait_for_text(c, text).await;
        check(c, name).await;
        shoot(c, 1366, name).await;
    }
    // A key, shown once.
    c.find(Locator::Css("#k-user option:nth-child(2)"))
        .await
        .expect("a provider user")
        .click()
        .await
        .expect("pick");
    c.find(Locator::Id("k-name"))
        .await
        .expect("name")
        .send_keys("سامانهٔ HIS بخش اورژانس")
        .await
        .expect("type");
    c.find(Locator::XPath("//button[contains(., 'ساخت کلید')]"))
        .await
        .expect("button")
        .click()
        .await
        .expect("go");
    let page = wait_for_text(c, "فقط همین یک بار").await;
    assert!(page.contains("data-secret"));
    check(c, "key once").await;
    shoot(c, 1366, "admin-key-once-1366").await;
    c.find(Locator::XPath("//a[contains(., 'فهرست کلیدها')]"))
        .await
        .expect("back")
        .click()
        .await
        .expect("go");
    wait_for_url(c, "/console/admin/api-keys").await;
    let list = wait_for_text(c, "سامانهٔ HIS بخش اورژانس").await;
    assert!(!list.contains("data-secret"), "the list never shows the key");

    // A user's page.
    c.find(Locator::Css("nav.mainnav a[href='/console/admin/users']"))
        .await
        .expect("users")
        .click()
        .await
        .expect("go");
    wait_for_url(c, "/console/admin/users").await;
    c.find(Locator::XPath("//td[@class='doc']/a[contains(., 'ana')]"))
        .await
        .expect("ana")
        .click()
        .await
        .expect("go");
    wait_for_text(c, "بازنشانی گذرواژه").await;
    check(c, "user").await;
    shoot(c, 1366, "admin-user-1366").await;

    // The tariffs: an import with problems lists every one of them.
    c.find(Locator::Css("nav.mainnav a[href='/console/admin/tariffs']"))
        .await
        .expect("tariffs")
        .click()
        .await
        .expect("go");
    wait_for_url(c, "/console/admin/tariffs").await;
    c.find(Locator::Id("ti-files"))
        .await
        .expect("files")
        .send_keys(&tariff_files.join("\n"))
        .await
        .expect("choose");
    c.find(Locator::XPath("//button[contains(., 'بررسی و ورود')]"))
        .await
        .expect("import")
        .click()
        .await
        .expect("go");
    let page = wait_for_text(c, "ایراد دارند").await;
    assert!(page.contains("services.csv:2: "), "the bad line is listed");
    assert!(page.contains("services.csv:3: "), "the other bad line is listed");
    check(c, "tariffs").await;
    shoot(c, 1366, "admin-tariffs-errors-1366").await;

    // The audit trail, verified.
    c.find(Locator::Css("nav.mainnav a[href='/console/admin/audit']"))
        .await
        .expect("audit")
        .click()
        .await
        .expect("go");
    wait_for_url(c, "/console/admin/audit").await;
    c.find(Locator::XPath("//button[contains(., 'بررسی کن')]"))
        .await
        .expect("verify")
        .click()
        .await
        .expect("go");
    wait_for_text(c, "زنجیرهٔ ممیزی سالم است").await;
    check(c, "audit").await;
    shoot(c, 1366, "admin-audit-1366").await;
    diff
}

/// No sideways scroll at 1366 px, a label on every control, no axe-core violation.
async fn check(c: &Client, what: &str) {
    assert!(!scrolls_sideways(c).await, "no horizontal scroll on {what} at 1366 px");
    assert_eq!(unlabelled_controls(c).await, Vec::<String>::new(), "{what}");
    assert_eq!(accessibility_violations(c).await, Vec::<String>::new(), "{what}");
}
