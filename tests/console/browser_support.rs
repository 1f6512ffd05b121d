//! The harness of the browser tests: chromedriver on a loopback port, a headless Chromium per
//! scenario, screenshots to `docs/screenshots/`, and the small waits and checks every scenario
//! uses (URL, text, sideways scroll, unlabelled controls, signing in).
//!
//! Needs Debian's `chromium` and `chromium-driver`. Without them a test says so loudly and
//! passes, so that `cargo test` passes on a fresh machine — unless `ASNAD_REQUIRE_BROWSER=1`
//! (as in CI), when their absence fails it.

use std::net::TcpListener;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;
use serde_json::{json, Value};

const CHROMIUM: &[&str] = &["/usr/bin/chromium", "/usr/bin/chromium-browser"];
const CHROMEDRIVER: &[&str] = &["/usr/bin/chromedriver"];

pub(crate) fn first_existing(paths: &[&str]) -> Option<PathBuf> {
    paths.iter().map(PathBuf::from).find(|p| p.exists())
}

/// chromedriver, stopped when dropped — also when the test panics.
pub(crate) struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start(binary: &Path) -> Driver {
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let child = Command::new(binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let driver = Driver { child, port };
        // Ready when it answers its status endpoint.
        let started = Instant::now();
        let client = reqwest::blocking::Client::new();
        loop {
            let ok = client
                .get(format!("http://127.0.0.1:{port}/status"))
                .send()
                .ok()
                .and_then(|r| r.json::<Value>().ok())
                .is_some_and(|v| v["value"]["ready"] == true);
            if ok {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "chromedriver did not start on {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
        driver
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn screenshots_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshots dir");
    dir
}

/// A Chrome DevTools command through chromedriver (`goog/cdp/execute`): WebDriver cannot set
/// the viewport beyond the (headless) screen, DevTools can.
#[derive(Debug)]
pub(crate) struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({"cmd": self.cmd, "params": self.params}).to_string()))
    }
}

/// Sets the viewport to `width` × `height` CSS pixels (a phone's below 500 px).
pub(crate) async fn viewport(c: &Client, width: u32, height: u32) {
    let params = json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500});
    c.issue_cmd(Cdp { cmd: "Emulation.setDeviceMetricsOverride", params }).await.expect("set the viewport");
}

/// Saves a PNG of the whole page at `width`.
pub(crate) async fn shoot(c: &Client, width: u32, name: &str) {
    viewport(c, width, 900).await;
    let height = c
        .execute("return Math.ceil(document.documentElement.scrollHeight)", vec![])
        .await
        .expect("height")
        .as_u64()
        .unwrap_or(900) as u32;
    viewport(c, width, height.clamp(600, 8000)).await;
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(screenshots_dir().join(format!("{name}.png")), png).expect("write screenshot");
    viewport(c, width, 900).await;
}

/// Whether the page scrolls sideways at the current width.
pub(crate) async fn scrolls_sideways(c: &Client) -> bool {
    c.execute("return document.documentElement.scrollWidth > window.innerWidth", vec![])
        .await
        .expect("scroll width")
        .as_bool()
        .unwrap_or(true)
}

/// Form controls of the page that have no accessible name (no label, no aria-label, no text).
pub(crate) async fn unlabelled_controls(c: &Client) -> Vec<String> {
    let script = r#"
        const bad = [];
        for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea, button')) {
            let name = '';
            if (el.labels && el.labels.length) name = el.labels[0].textContent.trim();
            if (!name) name = (el.getAttribute('aria-label') || '').trim();
            if (!name && el.tagName === 'BUTTON') name = el.textContent.trim();
            if (!name) bad.push(el.outerHTML.slice(0, 160));
        }
        return bad;"#;
    let v = c.execute(script, vec![]).await.expect("label check");
    v.as_array().map(|a| a.iter().map(|x| x.to_string()).collect()).unwrap_or_default()
}

/// Waits until the URL contains `part` (and, unless `part` is the login page, is not the login
/// page — whose `next=` may carry the same path) and the page has finished loading.
pub(crate) async fn wait_for_url(c: &Client, part: &str) {
    let started = Instant::now();
    loop {
        let url = c.current_url().await.expect("url").to_string();
        let on_login = url.contains("/console/login") && !part.contains("/console/login");
        let loaded = c.execute("return document.readyState", vec![]).await.ok() == Some(json!("complete"));
        if url.contains(part) && !on_login && loaded {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{part} never in the URL ({url})");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Chromium and chromedriver, or `None` (said loudly) when they are missing and not required.
pub(crate) fn browser_binaries() -> Option<(PathBuf, PathBuf)> {
    let require = std::env::var("ASNAD_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let (Some(chromium), Some(chromedriver)) = (first_existing(CHROMIUM), first_existing(CHROMEDRIVER))
    else {
        assert!(!require, "ASNAD_REQUIRE_BROWSER=1 but chromium or chromedriver is missing (apt-get install chromium chromium-driver)");
        eprintln!();
        eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
        eprintln!("!! BROWSER TEST SKIPPED: chromium and chromium-driver are not installed.");
        eprintln!("!! apt-get install -y chromium chromium-driver, or set ASNAD_REQUIRE_BROWSER=1 to fail.");
        eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
        return None;
    };
    Some((chromium, chromedriver))
}

/// Runs `scenario` in a fresh headless Chromium; the browser session ends even when a check
/// fails (then the test fails).
pub(crate) fn in_browser<T>(
    chromium: &Path,
    chromedriver: &Path,
    scenario: impl for<'c> FnOnce(&'c Client) -> std::pin::Pin<Box<dyn std::future::Future<Output = T> + 'c>>,
) -> T {
    let driver = Driver::start(chromedriver);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let out = rt.block_on(async {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--window-size=1366,900", "--disable-gpu",
                         "--disable-dev-shm-usage", "--hide-scrollbars", "--lang=fa-IR"]
            }),
        );
        let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .expect("WebDriver session");
        let outcome = AssertUnwindSafe(scenario(&c)).catch_unwind().await;
        let _ = c.close().await;
        match outcome {
            Ok(v) => v,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    drop(driver);
    out
}

pub(crate) async fn wait_for_text(c: &Client, text: &str) -> String {
    let started = Instant::now();
    loop {
        let body = c.source().await.expect("source");
        if body.contains(text) {
            return body;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{text} never appeared");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Signs in on the login page the browser is on and waits until it has left it for `then`.
pub(crate) async fn sign_in(c: &Client, username: &str, password: &str, then: &str) {
    c.find(Locator::Id("username")).await.expect("username").send_keys(username).await.expect("type");
    c.find(Locator::Id("password")).await.expect("password").send_keys(password).await.expect("type");
    c.find(Locator::Css("form button[type=submit]")).await.expect("submit").click().await.expect("log in");
    wait_for_url(c, then).await;
}

/// axe-core 4.14.1 (Deque, MPL-2.0; `vendor/axe-core/`, from npm, used by the tests only).
const AXE: &str = include_str!("vendor/axe-core/axe.min.js");

/// The current page's accessibility violations by axe-core's WCAG 2.1 A and AA rules — labels,
/// contrast, names, landmarks, table headers, `lang` — each as `rule (impact): what, where`.
pub(crate) async fn accessibility_violations(c: &Client) -> Vec<String> {
    let loaded =
        c.execute(&format!("{AXE}\n;return typeof window.axe;"), vec![]).await.expect("load axe-core");
    assert_eq!(loaded, json!("object"), "axe-core is loaded");
    let script = r#"
        const done = arguments[arguments.length - 1];
        axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
          .then(r => done({passes: r.passes.map(p => p.id), violations: r.violations.map(v => `${v.id} (${v.impact}): ${v.help} — ` +
                v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' ' + (n.failureSummary || '').replace(/\s+/g, ' ')).join(' | '))}))
          .catch(e => done({passes: [], violations: ['axe failed: ' + e]}));"#;
    let v = c.execute_async(script, vec![]).await.expect("run axe-core");
    // A run that checked nothing would pass silently: the page's contrast and labels must
    // have been among the rules that ran and passed (or failed, then listed).
    let passes: Vec<&str> =
        v["passes"].as_array().map(|a| a.iter().filter_map(|x| x.as_str()).collect()).unwrap_or_default();
    let violations: Vec<String> = v["violations"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect())
        .unwrap_or_default();
    for rule in ["color-contrast", "html-has-lang"] {
        assert!(
            passes.contains(&rule) || violations.iter().any(|x| x.starts_with(rule)),
            "axe-core did not check {rule}: {v}"
        );
    }
    violations
}

/// Clears the field `css` and types `text` into it, then reads the field back: on a loaded
/// machine (the browser tests run side by side in CI) a keystroke can land before the clear has
/// taken effect, so a field that does not hold exactly `text` is cleared and typed again.
pub async fn fill(c: &Client, css: &str, text: &str) {
    for _ in 0..5 {
        let el = c.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("{css}"));
        el.clear().await.expect("clear");
        el.send_keys(text).await.expect("type");
        let held = el.prop("value").await.expect("value").unwrap_or_default();
        if held == text {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{css} never held {text:?}");
}

/// Waits until the field `css` holds `value` (a form the server filled in has loaded).
pub async fn wait_for_value(c: &Client, css: &str, value: &str) {
    let started = Instant::now();
    loop {
        if let Ok(el) = c.find(Locator::Css(css)).await {
            if el.prop("value").await.ok().flatten().as_deref() == Some(value) {
                return;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{css} never held {value:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Selects `value` in the select `css`.
pub async fn choose(c: &Client, css: &str, value: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("{css}"))
        .select_by_value(value)
        .await
        .unwrap_or_else(|_| panic!("{css} = {value}"));
}

/// Clicks the element `css`.
pub async fn click_css(c: &Client, css: &str) {
    c.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("{css}")).click().await.expect("click");
}

/// Clicks the button or link whose text contains `text`.
pub async fn click_text(c: &Client, text: &str) {
    c.find(Locator::XPath(&format!("//button[contains(., '{text}')] | //a[contains(., '{text}')]")))
        .await
        .unwrap_or_else(|_| panic!("no {text}"))
        .click()
        .await
        .expect("click");
}
