//! The insured person's portal over HTTP: their home is *my documents*; a document of another
//! family is the 404 page; the staff's screens are 403 for them; the flag form needs the CSRF
//! token, answers with the page (PRG), is idempotent, and a refused note comes back beside its
//! field.

use serde_json::Value;

use crate::browser_me::{hospital_stay, portal_scene};
use crate::helpers::TestApp;
use crate::support::Browser;

#[test]
fn an_insured_person_reads_their_documents_and_flags_a_line_once() {
    let app = TestApp::spawn();
    let (key, code, _) = portal_scene(&app);
    let mine = app.post_json("/api/v1/claims", Some(&key), &hospital_stay("SP-1403-6001", &code));
    let mine = mine.json::<Value>().unwrap()["id"].as_str().unwrap().to_string();
    // Another family's claim.
    let world = crate::fixtures::World::new(&app, app.login("root", crate::helpers::PASSWORD));
    world.insured("0045678901").create();
    let theirs = app.post_json("/api/v1/claims", Some(&key), &hospital_stay("SP-1403-6002", "0045678901"));
    let theirs = theirs.json::<Value>().unwrap()["id"].as_str().unwrap().to_string();

    let b = Browser::signed_in(&app, "maryam");
    let home = b.get("/console/");
    assert_eq!((home.status, home.location()), (303, "/console/me/claims".to_string()));
    let list = b.get("/console/me/claims");
    assert_eq!(list.status, 200);
    list.assert_contains("SP-1403-6001");
    list.assert_contains("87,086,000");
    assert!(!list.body.contains("SP-1403-6002"), "another family's document is not listed");
    list.assert_contains("aria-current=\"page\">اسناد من");

    let page = b.get(&format!("/console/me/claims/{mine}"));
    assert_eq!(page.status, 200);
    page.assert_contains("43,543,000");
    let other = b.get(&format!("/console/me/claims/{theirs}"));
    assert_eq!(other.status, 404);
    assert!(!other.body.contains("SP-1403-6002"));
    for staff in [
        "/console/queue",
        "/console/reimbursements",
        "/console/approvals",
        &format!("/console/claims/{mine}"),
    ] {
        let p = b.get(staff);
        assert!(p.status == 403 || p.status == 404, "{staff}: {}", p.status);
    }

    // Without the token: refused, nothing stored.
    let path = format!("/console/me/claims/{mine}/not-received");
    assert_eq!(b.post(&path, &[("line_no", "2"), ("note", "x")]).status, 403);
    assert!(!b.get(&format!("/console/me/claims/{mine}")).body.contains("گزارش دادید"));
    let csrf = page.csrf();
    // Another family's claim: the 404 page.
    let p =
        b.post(&format!("/console/me/claims/{theirs}/not-received"), &[("csrf", &csrf), ("line_no", "1")]);
    assert_eq!(p.status, 404);
    // A note too long: the page again, 422, the note kept beside its field.
    let long = "ن".repeat(501);
    let p = b.post(&path, &[("csrf", &csrf), ("line_no", "2"), ("note", &long)]);
    assert_eq!(p.status, 422, "{}", p.body);
    p.assert_contains("aria-describedby=\"note-2-err\"");
    p.assert_contains(&long);
    // Flagged; the same again is the same flag.
    let p = b.post(&path, &[("csrf", &csrf), ("line_no", "2"), ("note", "نرفتم")]);
    assert_eq!((p.status, p.location()), (303, format!("/console/me/claims/{mine}?done=flagged#line-2")));
    let p = b.post(&path, &[("csrf", &csrf), ("line_no", "2"), ("note", "دوباره")]);
    assert_eq!((p.status, p.location()), (303, format!("/console/me/claims/{mine}?done=already#line-2")));
    let page = b.get(&format!("/console/me/claims/{mine}?done=already"));
    page.assert_contains("پیش‌تر گزارش شده بود");
    page.assert_contains("«نرفتم»");
    assert!(!page.body.contains("دوباره"), "the first note is kept");

    // A reviewer is refused the portal.
    let reviewer = Browser::signed_in(&app, "ana");
    assert_eq!(reviewer.get("/console/me/claims").status, 403);
    assert_eq!(reviewer.get(&format!("/console/me/claims/{mine}")).status, 403);
}
