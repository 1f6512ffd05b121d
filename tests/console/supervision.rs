//! The supervisor's screens over HTTP: the four-eyes inbox and its diff (approve, return, one's
//! own proposal refused), samples (draw, progress, close), the backlog by age and reviewer, and
//! assigning a claim from the claim page. Each screen's scope (a supervisor of another office
//! gets 404), CSRF (403 without) and role (a reviewer gets 403).

use asnad::auth::Role;
use serde_json::{json, Value};

use crate::fixtures::World;
use crate::helpers::{Scope, TestApp, PASSWORD};
use crate::support::{age_claim, document, pended_claim, scene, Browser, Page, Scene};

pub fn rials(v: &Value) -> String {
    asnad::console::format::Rials(v.as_i64().unwrap_or_else(|| panic!("an amount: {v}"))).to_string()
}

/// The `<tr>` of a page that carries `marker`.
pub fn row<'p>(page: &'p Page, marker: &str) -> &'p str {
    let at = page.body.find(marker).unwrap_or_else(|| panic!("{marker} not in {}", page.body));
    let rest = &page.body[at..];
    &rest[..rest.find("</tr>").expect("end of row")]
}

/// The office of `scene` with a supervisor (sara), and another office with its own supervisor
/// (soraya); returns their user ids.
pub struct Desk {
    pub scene: Scene,
    pub ana: String,
    pub bahram: String,
}

pub fn desk(app: &TestApp) -> Desk {
    let scene = scene(app);
    app.create_user("sara", Role::Supervisor, Scope::office(&scene.office.id));
    let world = World::new(app, app.login("root", PASSWORD));
    let other = world.office("THR-S");
    app.create_user("soraya", Role::Supervisor, Scope::office(&other.id));
    let me = |user: &str| -> String {
        let token = app.login(user, PASSWORD);
        let v: Value = app.get("/api/v1/auth/me", Some(&token)).json().unwrap();
        v["id"].as_str().expect("id").to_string()
    };
    Desk { ana: me("ana"), bahram: me("bahram"), scene }
}

/// `user` takes the claim and cuts line 1 to half its covered amount through the API: above a
/// threshold of 1 rial the decision waits for a supervisor. Returns the API's outcome.
pub fn propose_cut(app: &TestApp, user: &str, claim: &str) -> Value {
    let token = app.login(user, PASSWORD);
    let c: Value = app.get(&format!("/api/v1/claims/{claim}"), Some(&token)).json().unwrap();
    let l1 = &c["lines"][0];
    let covered = l1["insurer_payable"].as_i64().unwrap() + l1["patient_share"].as_i64().unwrap();
    let res = app
        .request(reqwest::Method::POST, &format!("/api/v1/review/claims/{claim}/take"), Some(&token))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = app.post_json(
        &format!("/api/v1/review/claims/{claim}/decision"),
        Some(&token),
        &json!({"lines": [{"line_no": 1, "action": "adjust", "approved_amount": covered / 2, "reason": "R90", "note": "سطح ویزیت مستند نیست"},
                          {"line_no": 3, "action": "approve"}],
                "note": "کاهش ویزیت"}),
    );
    assert_eq!(res.status(), 202, "four eyes");
    res.json().unwrap()
}

#[test]
fn the_inbox_shows_the_diff_and_approving_applies_exactly_the_proposed_amounts() {
    let app = TestApp::spawn_with(|c| c.four_eyes_threshold = 1);
    let d = desk(&app);
    let s = &d.scene;
    let claim =
        pended_claim(&app, &s.hospitals[0], &document("SP-1403-5001", &s.insured, "1403-07-13", 1_890_000));
    let admin = app.login("root", PASSWORD);
    let before: Value = app.get(&format!("/api/v1/claims/{claim}"), Some(&admin)).json().unwrap();
    let out = propose_cut(&app, "ana", &claim);
    let decision = out["decision_id"].as_str().unwrap().to_string();

    // A reviewer has no inbox: 403 on every supervisor page.
    let ana = Browser::signed_in(&app, "ana");
    for path in [
        "/console/approvals",
        &format!("/console/approvals/{decision}"),
        "/console/samples",
        "/console/backlog",
    ] {
        assert_eq!(ana.get(path).status, 403, "{path} for a reviewer");
    }
    let ana_csrf = ana.get("/console/queue").csrf();
    let res = ana.post(&format!("/console/approvals/{decision}/approve"), &[("csrf", &ana_csrf)]);
    assert_eq!(res.status, 403, "a reviewer cannot approve");
    assert!(
        !ana.get("/console/queue").body.contains("/console/approvals"),
        "no inbox in a reviewer's navigation"
    );

    // The supervisor's inbox: the claim, provider, insured, proposer and the change in rials.
    let sara = Browser::signed_in(&app, "sara");
    let inbox = sara.get("/console/approvals");
    assert_eq!(inbox.status, 200, "{}", inbox.body);
    for nav in ["/console/queue", "/console/approvals", "/console/samples", "/console/backlog"] {
        inbox.assert_contains(&format!("href=\"{nav}\""));
    }
    let listed = row(&inbox, "SP-1403-5001");
    for text in ["بیمارستان خصوصی سپیدار", s.insured.as_str(), "ana"] {
        assert!(listed.contains(text), "{text} not in {listed}");
    }
    let change = out["payable_after"].as_i64().unwrap() - out["payable_before"].as_i64().unwrap();
    assert!(change < 0);
    for v in [&out["payable_before"], &out["payable_after"], &json!(change)] {
        assert!(listed.contains(&format!(">{}<", rials(v))), "{} not in {listed}", rials(v));
    }

    // The diff: line 1 changes (highlighted, old and new amounts), R90 added, the notes; line 2
    // does not change; the totals before and after.
    let diff = sara.get(&format!("/console/approvals/{decision}"));
    assert_eq!(diff.status, 200, "{}", diff.body);
    let l1 = row(&diff, "data-diff-line=\"1\"");
    assert!(l1.contains("is-changed") && l1.contains("class=\"num changed\""), "{l1}");
    assert!(l1.contains("R90") && l1.contains("سطح ویزیت مستند نیست"), "{l1}");
    assert!(
        l1.contains(&format!("اکنون </span>{}</del>", rials(&before["lines"][0]["insurer_payable"]))),
        "{l1}"
    );
    let l2 = row(&diff, "data-diff-line=\"2\"");
    assert!(!l2.contains("changed"), "line 2 is not changed: {l2}");
    let totals = row(&diff, "data-diff-total");
    assert!(totals.contains(&format!("اکنون </span>{}</del>", rials(&out["payable_before"]))), "{totals}");
    assert!(totals.contains(&format!("پیشنهادی </span>{}</ins>", rials(&out["payable_after"]))), "{totals}");
    diff.assert_contains("کاهش ویزیت");
    let csrf = diff.csrf();

    // Another office's supervisor: the decision does not exist for them, and their inbox is empty.
    let soraya = Browser::signed_in(&app, "soraya");
    assert_eq!(soraya.get(&format!("/console/approvals/{decision}")).status, 404);
    let their_csrf = soraya.get("/console/approvals").csrf();
    assert!(!soraya.get("/console/approvals").body.contains("SP-1403-5001"));
    let res = soraya.post(&format!("/console/approvals/{decision}/approve"), &[("csrf", &their_csrf)]);
    assert_eq!(res.status, 404, "{}", res.body);

    // Without the token: 403, nothing applied.
    assert_eq!(sara.post(&format!("/console/approvals/{decision}/approve"), &[]).status, 403);
    let still: Value = app.get(&format!("/api/v1/claims/{claim}"), Some(&admin)).json().unwrap();
    assert_eq!(still["status"], "awaiting_approval");

    // Approve: back to the inbox, and the claim carries exactly the amounts the diff proposed.
    let res = sara.post(&format!("/console/approvals/{decision}/approve"), &[("csrf", &csrf)]);
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.location(), "/console/approvals?done=approved");
    let after: Value = app.get(&format!("/api/v1/claims/{claim}"), Some(&admin)).json().unwrap();
    assert_eq!(after["totals"]["insurer_payable"], out["payable_after"]);
    let stored = &after["lines"][0];
    for key in ["insurer_payable", "patient_share", "deducted"] {
        if stored[key] != before["lines"][0][key] {
            assert!(l1.contains(&format!("پیشنهادی </span>{}</ins>", rials(&stored[key]))), "{key} in {l1}");
        }
    }
    let inbox = sara.get("/console/approvals?done=approved");
    inbox.assert_contains("تصمیم تأیید و بر سند اعمال شد");
    assert!(!inbox.body.contains("SP-1403-5001"), "no longer waiting");
}

#[test]
fn a_supervisor_cannot_approve_their_own_proposal_and_another_returns_one_with_a_note() {
    let app = TestApp::spawn_with(|c| c.four_eyes_threshold = 1);
    let d = desk(&app);
    let s = &d.scene;
    app.create_user("sina", Role::Supervisor, Scope::office(&s.office.id));
    let own =
        pended_claim(&app, &s.hospitals[0], &document("SP-1403-5002", &s.insured, "1403-07-13", 1_890_000));
    let out = propose_cut(&app, "sara", &own);
    let decision = out["decision_id"].as_str().unwrap();

    let sara = Browser::signed_in(&app, "sara");
    let diff = sara.get(&format!("/console/approvals/{decision}"));
    diff.assert_contains("این پیشنهاد خودتان است");
    let res = sara.post(&format!("/console/approvals/{decision}/approve"), &[("csrf", &diff.csrf())]);
    assert_eq!(res.status, 403, "four eyes");
    res.assert_contains("four eyes: a decision is approved by someone other than its author");
    res.assert_contains("data-diff-line=\"1\"");

    // Another supervisor returns it, with a note the history keeps; the claim is pended again.
    let sina = Browser::signed_in(&app, "sina");
    let csrf = sina.get(&format!("/console/approvals/{decision}")).csrf();
    let res = sina.post(
        &format!("/console/approvals/{decision}/return"),
        &[("csrf", &csrf), ("note", "مدارک ویزیت پیوست شود")],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.location(), "/console/approvals?done=returned");
    let admin = app.login("root", PASSWORD);
    let c: Value = app.get(&format!("/api/v1/claims/{own}"), Some(&admin)).json().unwrap();
    assert_eq!(c["status"], "pended");
    assert_eq!(c["totals"]["insurer_payable"], out["payable_before"], "nothing applied");
    let h: Value = app.get(&format!("/api/v1/claims/{own}/history"), Some(&admin)).json().unwrap();
    let returned = h["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["entity"] == "decision" && e["action"] == "returned");
    assert_eq!(returned.expect("returned event")["after"]["note"], "مدارک ویزیت پیوست شود", "{h}");
    // The decision's page now says it is no longer waiting; no buttons.
    let page = sina.get(&format!("/console/approvals/{decision}"));
    page.assert_contains("دیگر منتظر تأیید نیست");
    assert!(!page.body.contains("/approve\""));
}

/// Claims of a provider's month, decided by ana through the API (approved as priced).
fn decided_claims(app: &TestApp, s: &Scene, n: usize) -> Vec<String> {
    let ana = app.login("ana", PASSWORD);
    (0..n)
        .map(|i| {
            let id = pended_claim(
                app,
                &s.hospitals[0],
                &document(&format!("SMP-{i}"), &s.insured, &format!("1403-07-{:02}", 3 + i), 1_890_000),
            );
            let take = app
                .request(reqwest::Method::POST, &format!("/api/v1/review/claims/{id}/take"), Some(&ana))
                .send()
                .unwrap();
            assert_eq!(take.status(), 200);
            let res = app.post_json(
                &format!("/api/v1/review/claims/{id}/decision"),
                Some(&ana),
                &json!({"lines": [{"line_no": 1, "action": "approve"}, {"line_no": 3, "action": "approve"}]}),
            );
            assert_eq!(res.status(), 200, "{:?}", res.text());
            id
        })
        .collect()
}

#[test]
fn a_supervisor_draws_a_sample_follows_its_progress_and_closes_it() {
    let app = TestApp::spawn();
    let d = desk(&app);
    let s = &d.scene;
    let claims = decided_claims(&app, s, 3);
    let sara = Browser::signed_in(&app, "sara");
    let page = sara.get("/console/samples");
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_contains("هنوز نمونه‌ای گرفته نشده است");
    let csrf = page.csrf();
    let provider = s.hospitals[0].id.as_str();

    // A wrong month: the form again, the field named, nothing drawn.
    let res = sara.post(
        "/console/samples",
        &[("csrf", &csrf), ("provider_id", provider), ("service_month", "1403-13"), ("method", "all")],
    );
    assert_eq!(res.status, 422, "{}", res.body);
    res.assert_contains("id=\"s-month\" name=\"service_month\" type=\"text\" dir=\"ltr\" inputmode=\"numeric\" placeholder=\"1403-07\" value=\"1403-13\" aria-invalid=\"true\"");
    // Without the token: 403.
    assert_eq!(
        sara.post(
            "/console/samples",
            &[("provider_id", provider), ("service_month", "1403-07"), ("method", "all")]
        )
        .status,
        403
    );

    // Every claim of the month: all three back in the queue, none reviewed yet.
    let res = sara.post(
        "/console/samples",
        &[
            ("csrf", &csrf),
            ("provider_id", provider),
            ("service_month", "1403-07"),
            ("method", "all"),
            ("percent", "10"),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let url = res.location();
    assert!(url.starts_with("/console/samples/") && url.ends_with("?done=created"), "{url}");
    let sample_url = url.split('?').next().unwrap().to_string();
    let page = sara.get(&url);
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_contains("نمونه گرفته شد");
    page.assert_contains(
        "<p class=\"big\" data-progress><span class=\"n\">0</span> از <span class=\"n\">3</span></p>",
    );
    for id in &claims {
        page.assert_contains(&format!("/console/claims/{id}"));
    }
    let list = sara.get("/console/samples");
    list.assert_contains(&sample_url);
    list.assert_contains("همهٔ اسناد");

    // ana decides one: the progress says so.
    let ana = app.login("ana", PASSWORD);
    let take = app
        .request(reqwest::Method::POST, &format!("/api/v1/review/claims/{}/take", claims[0]), Some(&ana))
        .send()
        .unwrap();
    assert_eq!(take.status(), 200);
    let res = app.post_json(
        &format!("/api/v1/review/claims/{}/decision", claims[0]),
        Some(&ana),
        &json!({"lines": [{"line_no": 1, "action": "approve"}]}),
    );
    assert_eq!(res.status(), 200);
    let page = sara.get(&sample_url);
    page.assert_contains(
        "<p class=\"big\" data-progress><span class=\"n\">1</span> از <span class=\"n\">3</span></p>",
    );
    assert!(!page.body.contains("/extrapolate\""), "only a random sample is extrapolated");

    // Scope and role: another office's supervisor 404, a reviewer 403.
    let soraya = Browser::signed_in(&app, "soraya");
    assert_eq!(soraya.get(&sample_url).status, 404);
    let their_csrf = soraya.get("/console/samples").csrf();
    assert!(!soraya.get("/console/samples").body.contains(&sample_url));
    assert_eq!(soraya.post(&format!("{sample_url}/close"), &[("csrf", &their_csrf)]).status, 404);
    let ana_b = Browser::signed_in(&app, "ana");
    assert_eq!(ana_b.get(&sample_url).status, 403);

    // The API's rule shown on the page: a sample drawn "all" cannot be extrapolated (409).
    let res = sara.post(&format!("{sample_url}/extrapolate"), &[("csrf", &csrf)]);
    assert_eq!(res.status, 409, "{}", res.body);
    res.assert_contains("only a random sample stands for the claims not reviewed");
    // Close without the token: 403; with it: closed.
    assert_eq!(sara.post(&format!("{sample_url}/close"), &[]).status, 403);
    let res = sara.post(&format!("{sample_url}/close"), &[("csrf", &csrf)]);
    assert_eq!(res.status, 303, "{}", res.body);
    let page = sara.get(&res.location());
    page.assert_contains("نمونه بدون تعمیم بسته شد");
    page.assert_contains("<span class=\"badge plain\">بسته</span>");
}

#[test]
fn the_backlog_counts_by_age_and_reviewer_and_a_supervisor_assigns_from_the_claim_page() {
    let app = TestApp::spawn();
    let d = desk(&app);
    let s = &d.scene;
    let old = pended_claim(&app, &s.hospitals[0], &document("BL-OLD", &s.insured, "1403-07-01", 1_890_000));
    age_claim(&app, &old, 15);
    let new = pended_claim(&app, &s.hospitals[1], &document("BL-NEW", &s.insured, "1403-07-02", 1_250_000));
    let sara = Browser::signed_in(&app, "sara");

    let backlog = sara.get("/console/backlog");
    assert_eq!(backlog.status, 200, "{}", backlog.body);
    let all = row(&backlog, "همهٔ کار باز دفتر");
    assert!(all.contains("<a href=\"/console/queue\" class=\"n\">2</a>"), "{all}");
    assert!(all.contains("<a href=\"/console/queue?age=14\" class=\"n late\">1</a>"), "{all}");
    let free = row(&backlog, "بدون کارشناس");
    assert!(
        free.contains("<a href=\"/console/queue?age=14&#38;unassigned=1\" class=\"n late\">1</a>"),
        "{free}"
    );
    let ana_row = row(&backlog, ">ana");
    assert!(
        ana_row.contains(&format!("<a href=\"/console/queue?reviewer={}\" class=\"n zero\">0</a>", d.ana)),
        "{ana_row}"
    );

    // The claim page offers the office's reviewers (not another office's).
    let url = format!("/console/claims/{old}");
    let page = sara.get(&url);
    page.assert_contains("action=\"/console/claims/");
    page.assert_contains(&format!("<option value=\"{}\"", d.ana));
    assert!(!page.body.contains(&d.bahram), "another office's reviewer is not offered");
    let csrf = page.csrf();

    // CSRF, role and scope first.
    assert_eq!(sara.post(&format!("{url}/assign"), &[("reviewer_id", &d.ana)]).status, 403);
    let ana = Browser::signed_in(&app, "ana");
    let ana_csrf = ana.get(&url).csrf();
    assert!(!ana.get(&url).body.contains("/assign\""), "a reviewer has no assignment box");
    assert_eq!(
        ana.post(&format!("{url}/assign"), &[("csrf", &ana_csrf), ("reviewer_id", &d.ana)]).status,
        403
    );
    let soraya = Browser::signed_in(&app, "soraya");
    let their_csrf = soraya.get("/console/backlog").csrf();
    assert_eq!(
        soraya.post(&format!("{url}/assign"), &[("csrf", &their_csrf), ("reviewer_id", &d.ana)]).status,
        404
    );
    // A reviewer of another office: the field's refusal.
    let res = sara.post(&format!("{url}/assign"), &[("csrf", &csrf), ("reviewer_id", &d.bahram)]);
    assert_eq!(res.status, 422, "{}", res.body);
    res.assert_contains("reviewer_id");

    // Assigned to ana: she holds it, the history says who did it, the backlog counts it.
    let res = sara.post(&format!("{url}/assign"), &[("csrf", &csrf), ("reviewer_id", &d.ana)]);
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.location(), format!("{url}?done=assigned"));
    let page = sara.get(&res.location());
    page.assert_contains("سند به کارشناس انتخاب‌شده ارجاع شد");
    page.assert_contains("در دست رسیدگی: <b>ana</b>");
    page.assert_contains("ارجاع به کارشناس توسط سرپرست");
    let admin = app.login("root", PASSWORD);
    let q: Value = app.get("/api/v1/review/queue", Some(&app.login("ana", PASSWORD))).json().unwrap();
    let held = q["items"].as_array().unwrap().iter().find(|i| i["id"] == old.as_str()).expect("in the queue");
    assert_eq!(held["assigned_to"], d.ana.as_str());
    drop(admin);
    let backlog = sara.get("/console/backlog");
    let ana_row = row(&backlog, ">ana");
    assert!(
        ana_row.contains(&format!(
            "<a href=\"/console/queue?age=14&#38;reviewer={}\" class=\"n late\">1</a>",
            d.ana
        )),
        "{ana_row}"
    );
    let free = row(&backlog, "بدون کارشناس");
    assert!(free.contains("<a href=\"/console/queue?unassigned=1\" class=\"n\">1</a>"), "{free}");
    // The queue filtered by that reviewer lists just that claim.
    let queue = sara.get(&format!("/console/queue?reviewer={}", d.ana));
    assert_eq!(queue.status, 200);
    queue.assert_contains("BL-OLD");
    assert!(!queue.body.contains("BL-NEW"), "{new} is not ana's");
}
