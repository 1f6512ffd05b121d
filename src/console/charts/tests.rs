//! The charts parsed back as XML: well-formed, the right number of bars and points, the labels,
//! the right-to-left order, the empty state, negative values, and the same bytes twice.

use super::*;

fn m(month: u8) -> Month {
    Month::new(1403, month)
}

/// Parses the SVG (panics with the text when it is not well-formed XML) and checks the
/// accessible frame every chart has.
fn parse(svg: &str) -> roxmltree::Document<'_> {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not well-formed ({e}): {svg}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.tag_name().namespace(), Some("http://www.w3.org/2000/svg"));
    assert_eq!(root.attribute("role"), Some("img"));
    assert_eq!(root.attribute("direction"), Some("rtl"));
    let labelled: Vec<&str> =
        root.attribute("aria-labelledby").expect("aria-labelledby").split(' ').collect();
    for id in labelled {
        let el = doc.descendants().find(|n| n.attribute("id") == Some(id)).expect("the named element");
        assert!(matches!(el.tag_name().name(), "title" | "desc"));
        assert!(!el.text().unwrap_or_default().trim().is_empty(), "{id} is empty");
    }
    assert!(root.attribute("viewBox").is_some() && root.attribute("width").is_none(), "responsive");
    doc
}

fn with_class<'a>(doc: &'a roxmltree::Document<'a>, class: &str) -> Vec<roxmltree::Node<'a, 'a>> {
    doc.descendants()
        .filter(|n| n.attribute("class").is_some_and(|c| c.split(' ').any(|x| x == class)))
        .collect()
}

fn num(n: &roxmltree::Node, attr: &str) -> f64 {
    n.attribute(attr).unwrap_or_else(|| panic!("{attr}")).parse().expect("a number")
}

fn texts(doc: &roxmltree::Document) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or_default().to_string())
        .collect()
}

fn desc(doc: &roxmltree::Document) -> String {
    doc.descendants().find(|n| n.has_tag_name("desc")).and_then(|n| n.text()).unwrap_or_default().to_string()
}

fn money() -> MonthlyChart {
    MonthlyChart {
        id: "money".into(),
        title: "مبالغ ماهانه".into(),
        unit: Unit::Rials,
        layout: Columns::Grouped,
        series: vec![
            Series::new(
                "صورتحساب",
                vec![(m(1), 4_200_000_000), (m(2), 3_900_000_000), (m(3), 5_100_000_000)],
            ),
            Series::new(
                "قابل پرداخت",
                vec![(m(1), 3_600_000_000), (m(2), 3_300_000_000), (m(3), 4_400_000_000)],
            )
            .tone(Tone::Paid),
            Series::new("کسور", vec![(m(1), 600_000_000), (m(2), 600_000_000), (m(3), 700_000_000)])
                .tone(Tone::Deducted),
        ],
    }
}

#[test]
fn grouped_columns_draw_a_bar_per_series_and_month_the_first_month_on_the_right() {
    let svg = monthly_columns(&money());
    let doc = parse(&svg);
    let bars = with_class(&doc, "bar");
    assert_eq!(bars.len(), 9);
    let x_of = |series: &str, month: &str| {
        let b = bars
            .iter()
            .find(|b| b.attribute("data-series") == Some(series) && b.attribute("data-month") == Some(month))
            .unwrap_or_else(|| panic!("bar {series} {month}"));
        num(b, "x")
    };
    // Months run right to left: Farvardin's columns right of Ordibehesht's, right of Khordad's.
    assert!(x_of("0", "1403-01") > x_of("0", "1403-02"));
    assert!(x_of("0", "1403-02") > x_of("0", "1403-03"));
    // Within a month the first series is the rightmost.
    assert!(x_of("0", "1403-01") > x_of("1", "1403-01"));
    assert!(x_of("1", "1403-01") > x_of("2", "1403-01"));
    // The values, exactly, and a taller column for a larger value.
    let bar = |s: &str, mo: &str| {
        bars.iter()
            .find(|b| b.attribute("data-series") == Some(s) && b.attribute("data-month") == Some(mo))
            .unwrap()
    };
    assert_eq!(bar("0", "1403-03").attribute("data-value"), Some("5100000000"));
    assert!(num(bar("0", "1403-03"), "height") > num(bar("1", "1403-03"), "height"));
    // Persian month names, the unit in billions of rials, the series in the legend.
    let t = texts(&doc);
    for label in ["فروردین", "اردیبهشت", "خرداد", "1403", "میلیارد ریال", "صورتحساب", "قابل پرداخت", "کسور"]
    {
        assert!(t.iter().any(|x| x == label), "{label} in {t:?}");
    }
    // Ticks abbreviated: 0 to 6 billion.
    assert!(t.iter().any(|x| x == "0") && t.iter().any(|x| x == "6"), "{t:?}");
    // The exact value in each bar's title; the summary in <desc>.
    assert!(svg.contains("<title>صورتحساب · خرداد 1403: 5,100,000,000 ریال</title>"), "{svg}");
    let d = desc(&doc);
    assert!(d.contains("3 ماه از فروردین 1403 تا خرداد 1403"), "{d}");
    assert!(d.contains("صورتحساب: جمع 13,200,000,000"), "{d}");
    // Series differ by more than colour: the second and third are patterns.
    assert!(svg.contains(r#"<pattern id="money-p1""#) && svg.contains(r#"<pattern id="money-p2""#));
    assert!(svg.contains("#2e7d57") && svg.contains("#c4513c"));
}

#[test]
fn the_same_data_gives_the_same_bytes() {
    assert_eq!(monthly_columns(&money()), monthly_columns(&money()));
    let mut reordered = money();
    for s in &mut reordered.series {
        s.points.reverse();
    }
    assert_eq!(monthly_columns(&money()), monthly_columns(&reordered));
}

#[test]
fn stacked_columns_put_negative_adjustments_below_zero() {
    let chart = MonthlyChart {
        id: "stack".into(),
        title: "پرداخت و اصلاحات".into(),
        unit: Unit::Rials,
        layout: Columns::Stacked,
        series: vec![
            Series::new("پرداخت", vec![(m(7), 2_000_000), (m(8), 3_000_000)]),
            Series::new("اصلاحیه", vec![(m(7), -500_000), (m(8), 250_000)]),
        ],
    };
    let svg = monthly_columns(&chart);
    let doc = parse(&svg);
    let zero = with_class(&doc, "zero");
    assert_eq!(zero.len(), 1);
    let zero_y = num(&zero[0], "y1");
    let bars = with_class(&doc, "bar");
    assert_eq!(bars.len(), 4);
    let bar = |s: &str, mo: &str| {
        *bars
            .iter()
            .find(|b| b.attribute("data-series") == Some(s) && b.attribute("data-month") == Some(mo))
            .unwrap()
    };
    // The negative adjustment hangs from zero; the positive one sits on the payment.
    let neg = bar("1", "1403-07");
    assert_eq!(neg.attribute("data-value"), Some("-500000"));
    assert!((num(&neg, "y") - zero_y).abs() < 0.2, "starts at zero");
    let pay = bar("0", "1403-08");
    let adj = bar("1", "1403-08");
    assert!((num(&adj, "y") + num(&adj, "height") - num(&pay, "y")).abs() < 0.2, "stacked on top");
    // One column per month: both series share the x.
    assert_eq!(num(&pay, "x"), num(&adj, "x"));
    let t = texts(&doc);
    assert!(t.iter().any(|x| x.starts_with('-')), "a negative tick, written -x: {t:?}");
    assert!(t.iter().any(|x| x == "میلیون ریال"), "{t:?}");
}

#[test]
fn empty_charts_say_there_is_no_data() {
    let no_series = MonthlyChart {
        id: "e".into(),
        title: "خالی".into(),
        unit: Unit::Rials,
        layout: Columns::Grouped,
        series: vec![],
    };
    let empty_series =
        MonthlyChart { series: vec![Series::new("صورتحساب", vec![])], ..no_series.clone() };
    let line = LineChart { id: "e2".into(), title: "خالی".into(), unit: Unit::Days, series: vec![] };
    let bars = BarChart {
        id: "e3".into(),
        title: "خالی".into(),
        unit: Unit::Rials,
        bars: vec![],
        top: 5,
        tone: Tone::Deducted,
    };
    let gauge = BudgetGauge {
        id: "e4".into(),
        title: "خالی".into(),
        approved: 0,
        spent: 0,
        committed: 0,
        projected: 0,
    };
    for svg in [
        monthly_columns(&no_series),
        monthly_columns(&empty_series),
        line_chart(&line),
        horizontal_bars(&bars),
        budget_gauge(&gauge),
    ] {
        let doc = parse(&svg);
        assert_eq!(with_class(&doc, "bar").len() + with_class(&doc, "pt").len(), 0);
        assert_eq!(with_class(&doc, "no-data").len(), 1);
        assert!(texts(&doc).iter().any(|t| t == NO_DATA));
    }
    // Its card: an empty table that says so, no totals.
    let card = ChartCard::monthly(&empty_series, None);
    assert!(card.table.rows.is_empty() && card.table.foot.is_none());
    assert!(card.html().contains("داده‌ای برای این دوره نیست."));
}

#[test]
fn a_line_chart_draws_a_point_per_value_with_gaps_and_its_labels() {
    let chart = LineChart {
        id: "turnaround".into(),
        title: "زمان رسیدگی".into(),
        unit: Unit::Days,
        series: vec![
            Series::new("میانه", vec![(m(1), 9), (m(2), 11), (m(3), 8), (m(4), 10)]),
            Series::new("صدک 90", vec![(m(1), 21), (m(2), 25), (m(4), 22)]),
            Series::new("بیشینه", vec![(m(1), 40), (m(2), 52), (m(3), 47), (m(4), 45)]),
        ],
    };
    let svg = line_chart(&chart);
    let doc = parse(&svg);
    assert_eq!(with_class(&doc, "pt").len(), 11);
    let lines = with_class(&doc, "line");
    assert_eq!(lines.len(), 3);
    // The missing month breaks the p90 line in two.
    assert_eq!(lines[1].attribute("d").unwrap().matches('M').count(), 2);
    assert_eq!(lines[0].attribute("d").unwrap().matches('M').count(), 1);
    // First month on the right.
    let pts = with_class(&doc, "pt");
    let x = |mo: &str| {
        let p = pts
            .iter()
            .find(|p| p.attribute("data-series") == Some("0") && p.attribute("data-month") == Some(mo))
            .unwrap();
        num(p, "cx")
    };
    assert!(x("1403-01") > x("1403-02") && x("1403-02") > x("1403-04"));
    // Each line named at its end, and the three differ in marker and dash.
    let ends: Vec<String> =
        with_class(&doc, "end-label").iter().map(|n| n.text().unwrap().to_string()).collect();
    assert_eq!(ends.len(), 3);
    for name in ["میانه", "صدک 90", "بیشینه"] {
        assert!(ends.iter().any(|e| e == name));
    }
    assert!(
        lines[1].attribute("stroke-dasharray").is_some() && lines[0].attribute("stroke-dasharray").is_none()
    );
    let shapes: BTreeSet<&str> = pts.iter().map(|p| p.tag_name().name()).collect();
    assert_eq!(shapes.len(), 3, "circle, square, triangle");
    assert!(texts(&doc).iter().any(|t| t == "روز"));
    let d = desc(&doc);
    assert!(d.contains("بیشینه: از 40 تا 52 روز"), "{d}");
}

#[test]
fn horizontal_bars_show_the_top_n_and_sum_the_rest() {
    let chart = BarChart {
        id: "reasons".into(),
        title: "کسور بر حسب دلیل".into(),
        unit: Unit::Rials,
        bars: vec![
            ("مغایرت با تعرفه".into(), 48_500_000),
            ("نبود دستور پزشک".into(), 91_250_000),
            ("خارج از تعهد".into(), 12_000_000),
            ("تکرار خدمت".into(), 30_000_000),
            ("نقص مدارک".into(), 7_500_000),
            ("اصلاحیه سند قبلی".into(), -2_000_000),
        ],
        top: 4,
        tone: Tone::Deducted,
    };
    let doc_text = horizontal_bars(&chart);
    let doc = parse(&doc_text);
    let bars = with_class(&doc, "bar");
    assert_eq!(bars.len(), 5, "four and «others»");
    let labels: Vec<&str> = bars.iter().map(|b| b.attribute("data-label").unwrap()).collect();
    assert_eq!(labels, ["نبود دستور پزشک", "مغایرت با تعرفه", "تکرار خدمت", "خارج از تعهد", "سایر (2 مورد)"]);
    assert_eq!(bars[4].attribute("data-value"), Some("5500000"));
    // The largest at the top, growing leftwards from the zero line: a longer bar starts
    // further left and all end at zero on the right.
    assert!(num(&bars[0], "y") < num(&bars[1], "y"));
    assert!(num(&bars[0], "x") < num(&bars[1], "x"));
    let right = |b: &roxmltree::Node| num(b, "x") + num(b, "width");
    assert!((right(&bars[0]) - right(&bars[3])).abs() < 0.2);
    // The labels sit to the right of every bar.
    let label_x: Vec<f64> = with_class(&doc, "label").iter().map(|n| num(n, "x")).collect();
    assert_eq!(label_x.len(), 5);
    assert!(label_x.iter().all(|lx| *lx > right(&bars[0])));
    assert!(texts(&doc).iter().any(|t| t == "نبود دستور پزشک"));
    assert!(texts(&doc).iter().any(|t| t == "میلیون ریال"));
    // The card's table has the same rows, exact, and their total.
    let card = ChartCard::bars(&chart, "دلیل کسر", "مبلغ کسر", Some("/api/v1/reports/deductions.csv".into()));
    assert_eq!(card.table.rows.len(), 5);
    assert_eq!(card.table.rows[0].cells[0].text, "91,250,000");
    assert_eq!(card.table.foot.as_ref().unwrap().cells[0].text, "187,250,000");
}

#[test]
fn a_negative_bar_grows_rightwards_from_zero() {
    let chart = BarChart {
        id: "adj".into(),
        title: "اصلاحات".into(),
        unit: Unit::Rials,
        bars: vec![("بیمارستان الف".into(), 3_000_000), ("بیمارستان ب".into(), -1_000_000)],
        top: 10,
        tone: Tone::Deducted,
    };
    let svg = horizontal_bars(&chart);
    let doc = parse(&svg);
    let zero_x = num(&with_class(&doc, "zero")[0], "x1");
    let bars = with_class(&doc, "bar");
    assert!((num(&bars[0], "x") + num(&bars[0], "width") - zero_x).abs() < 0.2, "positive ends at zero");
    assert!((num(&bars[1], "x") - zero_x).abs() < 0.2, "negative starts at zero");
    assert!(texts(&doc).iter().any(|t| t == "-1"), "{:?}", texts(&doc));
}

#[test]
fn long_labels_are_cut_but_whole_in_the_title() {
    let long = "بیمارستان تخصصی و فوق تخصصی قلب و عروق شهید دکتر نمونه تهران بزرگ".to_string();
    let chart = BarChart {
        id: "p".into(),
        title: "مراکز".into(),
        unit: Unit::Count,
        bars: vec![(long.clone(), 12)],
        top: 5,
        tone: Tone::Deducted,
    };
    let svg = horizontal_bars(&chart);
    let doc = parse(&svg);
    let label = with_class(&doc, "label")[0].text().unwrap().to_string();
    assert!(label.ends_with('…') && label.chars().count() < long.chars().count());
    assert!(svg.contains(&format!("<title>{long}: 12</title>")));
}

#[test]
fn the_budget_gauge_marks_spending_commitment_and_the_projection() {
    let b = BudgetGauge {
        id: "budget".into(),
        title: "اعتبار درمان غیرمستقیم 1403".into(),
        approved: 120_000_000_000,
        spent: 70_000_000_000,
        committed: 15_000_000_000,
        projected: 131_000_000_000,
    };
    let svg = budget_gauge(&b);
    let doc = parse(&svg);
    let spent = &with_class(&doc, "spent")[0];
    let committed = &with_class(&doc, "committed")[0];
    // Filled from the right: spending ends at the right edge, commitment continues leftwards.
    assert!(num(spent, "x") > num(committed, "x"));
    assert!((num(committed, "x") + num(committed, "width") - num(spent, "x")).abs() < 0.2);
    // The projection (over the budget) is left of the approved line, and says so in red.
    let approved_x = num(&with_class(&doc, "approved")[0], "x1");
    let projection = &with_class(&doc, "projection")[0];
    assert!(num(projection, "x1") < approved_x);
    assert_eq!(projection.attribute("stroke"), Some(BAD));
    let words = with_class(&doc, "projection-label")[0].text().unwrap().to_string();
    assert_eq!(words, "پیش‌بینی پایان سال 109٪ — بیش از اعتبار");
    let t = texts(&doc);
    assert!(t.iter().any(|x| x == "هزینه‌شده 58٪") && t.iter().any(|x| x == "تعهد 13٪"), "{t:?}");
    assert!(desc(&doc).contains("اعتبار مصوب 120,000,000,000 ریال"));
    let card = ChartCard::budget(&b, None);
    assert_eq!(card.table.rows[3].cells[0].text, "131,000,000,000");
    assert_eq!(card.table.rows[3].cells[1].text, "109٪");
}

#[test]
fn a_gauge_without_an_approved_budget_still_draws() {
    let b = BudgetGauge {
        id: "nb".into(),
        title: "بی‌اعتبار".into(),
        approved: 0,
        spent: 5_000_000,
        committed: -1,
        projected: 9_000_000,
    };
    let svg = budget_gauge(&b);
    let doc = parse(&svg);
    assert!(texts(&doc).iter().any(|t| t == "هزینه‌شده —"));
    assert_eq!(percent_of(1, 0), None);
    assert_eq!(percent_of(1, 200), Some(1), "0.5 rounds up");
    assert_eq!(percent_of(-3, 200), Some(-1), "-1.5 rounds up to -1");
}

#[test]
fn ticks_are_round_and_cover_the_data() {
    assert_eq!(
        ticks(0, 5_100_000_000, 5),
        vec![0, 1_000_000_000, 2_000_000_000, 3_000_000_000, 4_000_000_000, 5_000_000_000, 6_000_000_000]
    );
    assert_eq!(
        ticks(-500_000, 3_250_000, 5),
        vec![-1_000_000, 0, 1_000_000, 2_000_000, 3_000_000, 4_000_000]
    );
    assert_eq!(ticks(0, 0, 5), vec![0, 1]);
    assert_eq!(ticks(0, 7, 5), vec![0, 1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(ticks(0, 11, 5), vec![0, 2, 4, 6, 8, 10, 12]);
    let huge = ticks(i128::from(i64::MIN), i128::from(i64::MAX), 5);
    assert!(huge.len() < 64 && huge[0] <= i128::from(i64::MIN));
    assert_eq!(scaled(2_500_000_000, 1_000_000_000), "2.5");
    assert_eq!(scaled(1_234_000_000_000, 1_000_000_000), "1,234");
    assert_eq!(scaled(-1_250_000, 1_000_000), "-1.25");
    assert_eq!(scaled(0, 1_000_000), "0");
}

#[test]
fn texts_are_escaped_and_ids_cleaned() {
    let chart = MonthlyChart {
        id: "Bad id\"<x>".into(),
        title: "<script>alert(1)</script> & co".into(),
        unit: Unit::Count,
        layout: Columns::Grouped,
        series: vec![Series::new("a<b & \"c\"", vec![(m(1), 1)])],
    };
    let svg = monthly_columns(&chart);
    let doc = parse(&svg);
    assert!(!svg.contains("<script>"));
    assert_eq!(
        doc.descendants().find(|n| n.has_tag_name("title")).unwrap().text(),
        Some("<script>alert(1)</script> & co")
    );
    assert!(doc.root_element().attribute("aria-labelledby").unwrap().starts_with("bad-id--x--t "));
}

#[test]
fn month_keys_parse_and_name() {
    assert_eq!(Month::parse("1403-07"), Some(Month::new(1403, 7)));
    assert_eq!(Month::parse("1403-13"), None);
    assert_eq!(Month::parse("garbage"), None);
    assert_eq!(Month::new(1403, 12).name(), "اسفند 1403");
    assert_eq!(Month::new(1403, 1).key(), "1403-01");
}

#[test]
fn the_card_renders_its_chart_table_and_csv_link() {
    let card =
        ChartCard::monthly(&money(), Some("/api/v1/reports/deductions.csv?from=1403-01&to=1403-03".into()))
            .with_sub("دفتر رسیدگی تهران");
    let html = card.html();
    assert!(html.contains(r#"<section class="card chart-card" id="money""#));
    assert!(html.contains(r#"<svg xmlns="http://www.w3.org/2000/svg""#), "the SVG unescaped");
    assert!(html.contains(r#"href="/api/v1/reports/deductions.csv?from=1403-01&#38;to=1403-03""#), "{html}");
    assert!(html.contains("<th scope=\"row\">فروردین 1403</th>"));
    assert!(html.contains("4,200,000,000"));
    // The totals: 4.2 + 3.9 + 5.1 billion.
    assert_eq!(card.table.foot.as_ref().unwrap().cells[0].text, "13,200,000,000");
    assert!(html.contains("مبالغ به ریال"));
}

#[test]
fn a_month_without_values_keeps_its_slot_across_the_new_year() {
    let chart = MonthlyChart {
        id: "gap".into(),
        title: "اسناد".into(),
        unit: Unit::Count,
        layout: Columns::Grouped,
        series: vec![Series::new("تعداد", vec![(Month::new(1403, 11), 5), (Month::new(1404, 1), 7)])],
    };
    let svg = monthly_columns(&chart);
    let doc = parse(&svg);
    assert_eq!(with_class(&doc, "bar").len(), 2);
    // Bahman, Esfand, Farvardin: three slots, the year written again where it changes.
    let card = ChartCard::monthly(&chart, None);
    let rows: Vec<&str> = card.table.rows.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(rows, ["بهمن 1403", "اسفند 1403", "فروردین 1404"]);
    assert_eq!(card.table.rows[1].cells[0].text, "—");
    assert_eq!(card.table.foot.unwrap().cells[0].text, "12");
    let t = texts(&doc);
    assert!(t.iter().any(|x| x == "1403") && t.iter().any(|x| x == "1404"), "{t:?}");
    // A month that is not one (13) cannot loop forever: the months given are kept.
    let odd = MonthlyChart {
        series: vec![Series::new("تعداد", vec![(Month::new(1403, 13), 1), (Month::new(1403, 12), 2)])],
        ..chart
    };
    assert_eq!(with_class(&parse(&monthly_columns(&odd)), "bar").len(), 2);
}

#[test]
fn rates_are_hundredths_of_a_percent() {
    assert_eq!(Unit::Percent.exact(1234), "12.34٪");
    assert_eq!(Unit::Percent.exact(1250), "12.5٪");
    assert_eq!(Unit::Percent.exact(-50), "-0.5٪");
    let chart = BarChart {
        id: "rates".into(),
        title: "نرخ کسر مراکز".into(),
        unit: Unit::Percent,
        bars: vec![("بیمارستان الف".into(), 1875), ("درمانگاه ب".into(), 420)],
        top: 10,
        tone: Tone::Accent,
    };
    let svg = horizontal_bars(&chart);
    let doc = parse(&svg);
    let t = texts(&doc);
    assert!(t.iter().any(|x| x == "درصد") && t.iter().any(|x| x == "18.75"), "{t:?}");
    assert!(svg.contains("#1d5fa6"));
    let card = ChartCard::bars(&chart, "مرکز", "نرخ کسر", None);
    assert_eq!(card.table.rows[0].cells[0].text, "18.75٪");
    assert_eq!(card.table.note, "به درصد");
}

#[test]
fn long_series_names_are_cut_in_the_legend_and_at_a_line_end() {
    let long = "زمان از دریافت سند در دبیرخانهٔ دفتر رسیدگی تا ثبت نخستین تصمیم کارشناس".to_string();
    let chart = LineChart {
        id: "long".into(),
        title: "زمان".into(),
        unit: Unit::Days,
        series: vec![Series::new(long.clone(), vec![(m(1), 3), (m(2), 4)])],
    };
    let svg = line_chart(&chart);
    let doc = parse(&svg);
    let end = with_class(&doc, "end-label")[0].text().unwrap().to_string();
    assert!(end.ends_with('…'), "{end}");
    assert!(texts(&doc).iter().filter(|t| t.ends_with('…')).count() == 2, "the legend too");
    assert!(text_width(&end, 12.0) <= 120.0);
    assert_eq!(ChartCard::lines(&chart, None).table.heads, [long]);
}
