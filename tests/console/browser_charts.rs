//! The dashboards' charts in a real headless Chromium, without a server: every kind of chart
//! card (`console::charts`, `templates/console/_chart.html`) rendered with sample data into a
//! standalone page — `dir="rtl" lang="fa"`, the console's stylesheet inlined with its font —
//! under the target directory, opened with `file://`. Checks that each chart draws (a non-zero
//! box), that its texts stay inside it and month names do not collide, that the first month is
//! on the right on screen, no sideways scroll at 1366 and 390 px, and no axe-core violation.
//! Screenshots: `charts-1366`, `charts-390`.

use asnad::console::charts::{
    BarChart, BudgetGauge, ChartCard, Columns, LineChart, Month, MonthlyChart, Series, Tone, Unit,
};
use base64::Engine as _;
use fantoccini::Client;
use serde_json::{json, Value};

use crate::browser_support::{
    accessibility_violations, browser_binaries, in_browser, scrolls_sideways, shoot, viewport,
};

const CSS: &str = include_str!("../../static/console.css");
const FONT: &[u8] = include_bytes!("../../static/fonts/vazirmatn-variable.woff2");

fn months(values: &[i64]) -> Vec<(Month, i64)> {
    values.iter().enumerate().map(|(i, v)| (Month::new(1403, i as u8 + 1), *v)).collect()
}

/// One card of each kind with numbers of an office's year: 1403, all twelve months.
fn gallery() -> Vec<ChartCard> {
    let billed = [
        48_200_000_000,
        51_750_000_000,
        46_900_000_000,
        53_300_000_000,
        55_100_000_000,
        49_800_000_000,
        57_400_000_000,
        60_250_000_000,
        58_900_000_000,
        62_300_000_000,
        59_700_000_000,
        64_850_000_000,
    ];
    let deducted = [
        5_300_000_000,
        6_100_000_000,
        4_900_000_000,
        6_700_000_000,
        7_050_000_000,
        5_850_000_000,
        6_950_000_000,
        7_400_000_000,
        7_100_000_000,
        8_050_000_000,
        7_300_000_000,
        8_450_000_000,
    ];
    let payable: Vec<i64> = billed.iter().zip(&deducted).map(|(b, d)| b - d).collect();
    let money = MonthlyChart {
        id: "money".into(),
        title: "صورتحساب، قابل پرداخت و کسور ماهانه".into(),
        unit: Unit::Rials,
        layout: Columns::Grouped,
        series: vec![
            Series::new("صورتحساب", months(&billed)),
            Series::new("قابل پرداخت", months(&payable)).tone(Tone::Paid),
            Series::new("کسور", months(&deducted)).tone(Tone::Deducted),
        ],
    };
    let stacked = MonthlyChart {
        id: "settled".into(),
        title: "پرداخت و اصلاحیه‌ها".into(),
        unit: Unit::Rials,
        layout: Columns::Stacked,
        series: vec![
            Series::new(
                "پرداخت قطعی",
                months(&[820_000_000, 910_500_000, 760_000_000, 1_040_000_000, 985_000_000, 1_120_000_000]),
            ),
            Series::new(
                "علی‌الحساب",
                months(&[300_000_000, 250_000_000, 410_000_000, 200_000_000, 350_000_000, 280_000_000]),
            )
            .tone(Tone::Insured),
            Series::new(
                "اصلاحیه",
                months(&[-45_000_000, 12_500_000, -80_000_000, 0, -15_250_000, 30_000_000]),
            )
            .tone(Tone::Pending),
        ],
    };
    let reasons = BarChart {
        id: "reasons".into(),
        title: "کسور بر حسب دلیل".into(),
        unit: Unit::Rials,
        bars: vec![
            ("مغایرت مبلغ با تعرفه مصوب".into(), 18_450_000_000),
            ("نبود دستور پزشک معالج".into(), 11_200_000_000),
            ("خدمت خارج از تعهد سازمان".into(), 9_875_000_000),
            ("تکرار خدمت در همان روز".into(), 6_300_000_000),
            ("نقص مدارک پرونده".into(), 4_150_000_000),
            ("مغایرت تاریخ خدمت با بستری".into(), 2_900_000_000),
            ("دارو خارج از فهرست".into(), 1_250_000_000),
            ("اصلاحیه سند دوره قبل".into(), -350_000_000),
        ],
        top: 6,
        tone: Tone::Deducted,
    };
    let turnaround = LineChart {
        id: "turnaround".into(),
        title: "زمان رسیدگی از دریافت تا تصمیم".into(),
        unit: Unit::Days,
        series: vec![
            Series::new("میانه", months(&[9, 11, 8, 10, 12, 9, 8, 10, 11, 9, 8, 7])),
            Series::new("صدک 90", months(&[21, 25, 19, 22, 27, 23, 20, 24, 26, 22, 19, 18]))
                .tone(Tone::Pending),
            Series::new("بیشینه", months(&[40, 52, 38, 45, 61, 49, 44, 47, 55, 43, 39, 36]))
                .tone(Tone::Deducted),
        ],
    };
    let budget = BudgetGauge {
        id: "budget".into(),
        title: "اعتبار اسناد پزشکی 1403".into(),
        approved: 620_000_000_000,
        spent: 491_650_000_000,
        committed: 48_300_000_000,
        projected: 655_400_000_000,
    };
    let empty = MonthlyChart {
        id: "accidents".into(),
        title: "حوادث ناشی از کار بر حسب ماه".into(),
        unit: Unit::Count,
        layout: Columns::Grouped,
        series: vec![Series::new("تعداد", vec![])],
    };
    let csv = |report: &str| Some(format!("/api/v1/reports/{report}.csv?office=1&from=1403-01&to=1403-12"));
    vec![
        ChartCard::budget(&budget, csv("budget")).with_sub("دفتر رسیدگی تهران · تا پایان اسفند"),
        ChartCard::monthly(&money, csv("deductions")),
        ChartCard::bars(&reasons, "دلیل کسر", "مبلغ کسر", csv("deductions")),
        ChartCard::lines(&turnaround, csv("turnaround")),
        ChartCard::monthly(&stacked, csv("budget")),
        ChartCard::monthly(&empty, csv("accidents")),
    ]
}

/// The page the test opens: the console's stylesheet with its font inlined (a `file://` page
/// may not fetch another file's font).
fn page(cards: &[ChartCard]) -> String {
    let font = base64::engine::general_purpose::STANDARD.encode(FONT);
    let css = CSS.replace("url(vazirmatn-variable.woff2)", &format!("url(data:font/woff2;base64,{font})"));
    assert_ne!(css, CSS, "the stylesheet names its font");
    let body: String = cards.iter().map(ChartCard::html).collect();
    format!(
        r#"<!doctype html>
<html lang="fa" dir="rtl"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>نمودارهای داشبورد — نمونه</title><style>{css}</style></head>
<body><main class="wrap" id="main">
<div class="page-head"><div><h1>نمودارهای داشبورد</h1><p class="sub">نمونهٔ هر نمودار با جدول ارقام دقیق و پیوند CSV — داده‌های ساختگی</p></div></div>
<div class="chart-grid">{body}</div>
</main></body></html>"#
    )
}

/// Per chart: its box, whether any text leaves the SVG's viewBox, and whether two month names
/// overlap.
const CHECK: &str = r#"
    return [...document.querySelectorAll('svg.chart-svg')].map(svg => {
        const box = svg.getBoundingClientRect();
        const vb = svg.viewBox.baseVal;
        const outside = [...svg.querySelectorAll('text')].filter(t => {
            const b = t.getBBox();
            return b.x < vb.x - 1 || b.x + b.width > vb.x + vb.width + 1 || b.y < vb.y - 1 || b.y + b.height > vb.y + vb.height + 1;
        }).map(t => t.textContent);
        const months = [...svg.querySelectorAll('text.month')].map(t => t.getBBox());
        let overlap = false;
        for (let i = 1; i < months.length; i++) {
            const [a, b] = [months[i - 1], months[i]];
            if (b.x + b.width > a.x && a.x + a.width > b.x) overlap = true;
        }
        return {id: (svg.closest('section') || svg).id, width: box.width, height: box.height, outside, overlap,
                months: months.length};
    });"#;

/// The charts (`console::charts`) on the current page as the checks see them: `id`, `width`,
/// `height`, `outside` (texts that leave the chart), `overlap` (month names that collide),
/// `months` (how many are named).
pub(crate) async fn charts_on_page(c: &Client) -> Vec<Value> {
    let charts = c.execute(CHECK, vec![]).await.expect("check the charts");
    charts.as_array().cloned().unwrap_or_default()
}

/// What is wrong with the charts on the current page, each as `id: problem` — none drawn, a
/// chart without a box, a text outside its chart, colliding month names. For any page with
/// charts, e.g. a dashboard: `assert!(chart_problems(c, 4).await.is_empty())`.
pub(crate) async fn chart_problems(c: &Client, expected: usize) -> Vec<String> {
    let charts = charts_on_page(c).await;
    let mut problems = Vec::new();
    if charts.len() != expected {
        problems.push(format!("{} charts, expected {expected}", charts.len()));
    }
    for chart in &charts {
        let id = chart["id"].as_str().unwrap_or("?");
        if chart["width"].as_f64().unwrap_or(0.0) < 100.0 || chart["height"].as_f64().unwrap_or(0.0) < 40.0 {
            problems.push(format!("{id}: drawn {}×{}", chart["width"], chart["height"]));
        }
        if chart["outside"] != json!([]) {
            problems.push(format!("{id}: texts outside the chart {}", chart["outside"]));
        }
        if chart["overlap"] == json!(true) {
            problems.push(format!("{id}: month names collide"));
        }
    }
    problems
}

#[test]
fn every_chart_renders_right_to_left_with_its_table() {
    let Some((chromium, chromedriver)) = browser_binaries() else { return };
    let cards = gallery();
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("charts-gallery");
    std::fs::create_dir_all(&dir).expect("gallery dir");
    let file = dir.join("charts.html");
    std::fs::write(&file, page(&cards)).expect("write the gallery");
    let url = url::Url::from_file_path(&file).expect("file URL").to_string();

    in_browser(&chromium, &chromedriver, |c| {
        Box::pin(async move {
            viewport(c, 1366, 900).await;
            c.goto(&url).await.expect("open the gallery");
            let fonts = c
                .execute_async(
                    "const done = arguments[0]; document.fonts.ready.then(() => done(document.fonts.check('13px Vazirmatn')));",
                    vec![],
                )
                .await
                .expect("fonts");
            assert_eq!(fonts, json!(true), "Vazirmatn loaded");

            for width in [1366u32, 390] {
                viewport(c, width, 900).await;
                let problems = chart_problems(c, 6).await;
                assert!(problems.is_empty(), "at {width}: {problems:#?}");
                let charts = charts_on_page(c).await;
                assert!(charts.iter().all(|x| x["width"].as_f64().unwrap_or(0.0) > 200.0), "{charts:?}");
                let with = |id: &str| charts.iter().find(|x| x["id"] == id).cloned().unwrap_or(Value::Null);
                assert!(with("money")["months"].as_u64().unwrap() >= 6, "month names under the axis");
                assert!(!scrolls_sideways(c).await, "sideways scroll at {width}");
            }
            viewport(c, 1366, 900).await;

            // On screen, the first month's column is the rightmost; the table lists it first.
            let xs = c
                .execute(
                    "return [...document.querySelectorAll('#money rect.bar[data-series=\"0\"]')].map(b => [b.dataset.month, b.getBoundingClientRect().x]);",
                    vec![],
                )
                .await
                .expect("bars");
            let xs: Vec<(String, f64)> = serde_json::from_value(xs).expect("pairs");
            assert_eq!(xs.len(), 12);
            assert_eq!(xs[0].0, "1403-01");
            assert!(xs.windows(2).all(|w| w[0].1 > w[1].1), "right to left: {xs:?}");
            let first_row = c
                .execute("return document.querySelector('#money tbody th').textContent", vec![])
                .await
                .expect("first row");
            assert_eq!(first_row, json!("فروردین 1403"));
            // The exact amounts beside the chart, grouped; the total in the foot.
            let body = c.source().await.expect("source");
            assert!(body.contains("48,200,000,000"));
            assert!(
                body.contains(&asnad::console::format::Rials(668_450_000_000).to_string()),
                "billed total"
            );
            assert!(body.contains("پیش‌بینی پایان سال 106٪ — بیش از اعتبار"));
            assert!(body.contains("داده‌ای برای این دوره نیست"));

            let violations = accessibility_violations(c).await;
            assert!(violations.is_empty(), "axe-core at 1366: {violations:#?}");
            shoot(c, 1366, "charts-1366").await;

            viewport(c, 390, 900).await;
            let violations = accessibility_violations(c).await;
            assert!(violations.is_empty(), "axe-core at 390: {violations:#?}");
            shoot(c, 390, "charts-390").await;

            // The check sees a text pushed out of its chart (so a pass above means something).
            c.execute("document.querySelector('#reasons text.label').setAttribute('x', '-400')", vec![])
                .await
                .expect("break a label");
            let problems = chart_problems(c, 6).await;
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert!(problems[0].starts_with("reasons: texts outside the chart"), "{problems:?}");
        })
    });
}
