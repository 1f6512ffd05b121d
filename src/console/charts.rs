//! The dashboards' charts (نمودارها) as inline SVG: plain data in, an SVG string out, no IO.
//!
//! Four kinds, each also shaped into a [`ChartCard`] — the chart with the table of its exact
//! numbers and a CSV link, rendered by `templates/console/_chart.html`:
//!
//! - [`monthly_columns`]: one or more series over Jalali months, grouped or stacked (billed,
//!   payable and deducted per month);
//! - [`horizontal_bars`]: labelled amounts, the largest N and the rest summed (deductions by
//!   reason or by provider);
//! - [`line_chart`]: series over months with markers (p50 / p90 / max turnaround in days);
//! - [`budget_gauge`]: spending and commitment against the approved budget, with the
//!   projection to the year's end marked.
//!
//! Decisions (see also `docs/CONSOLE.md`, "Dashboard charts"):
//! - **Hand-built SVG, not `plotters`.** plotters' SVG backend writes fixed `width`/`height`,
//!   a `font-family` and `font-size` on every text, no `direction`, no `<title>`/`<desc>`/`role`,
//!   and needs a font backend to measure labels; the console wants a responsive `viewBox`, the
//!   page's font (Vazirmatn, inherited because the SVG is inline), right-to-left text and
//!   accessible names. What is drawn here is a few rectangles, paths and texts: simpler to own.
//! - **Right to left.** The month axis runs right to left (the first month is the rightmost
//!   column), the value axis stands on the right, bars grow leftwards from their labels on the
//!   right, the gauge fills from the right. The root has `direction="rtl"`; numbers are LTR
//!   islands (`direction="ltr"` on their `<text>`), so a negative amount reads `-1,500`.
//! - **Amounts** are abbreviated on the axes (one unit per axis, written once: «میلیون ریال»,
//!   «میلیارد ریال»); the exact rials are in the card's table.
//! - **Accessible**: `role="img"` named by `<title>` and described by `<desc>`, which states the
//!   range, totals and extremes; colours from the console's palette with at least 3:1 against
//!   white, and never alone: each series also has its own pattern (solid, stripes, dots, cross
//!   hatch) or, on a line, its own marker shape and dash, and the legend shows both.
//! - **Deterministic**: same data, same bytes (fixed rounding to one decimal, no hash order).
//!   No data draws a "no data" state; negative values (adjustments) go below the zero line.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::console::format::{group_thousands, month_name, Rials};

/// The Jalali months' names alone (for the axis; the year is written once per year).
const MONTHS_FA: [&str; 12] =
    ["فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"];

/// What a chart shows when it has nothing to draw.
pub const NO_DATA: &str = "داده‌ای برای این دوره نیست";

/// A Jalali month (ماه خورشیدی) on a month axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    /// 1 (Farvardin) to 12 (Esfand).
    pub month: u8,
}

impl Month {
    pub fn new(year: i32, month: u8) -> Month {
        Month { year, month }
    }

    /// A month as the reports store it, `1403-07`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Month> {
        let (y, m) = text.split_once('-')?;
        let (year, month) = (y.parse::<i32>().ok()?, m.parse::<u8>().ok()?);
        (1..=12).contains(&month).then_some(Month { year, month })
    }

    /// `مهر 1403`.
    pub fn name(self) -> String {
        month_name(self.year, self.month)
    }

    /// `1403-07`.
    pub fn key(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    /// The month after this one.
    pub fn next(self) -> Month {
        if self.month >= 12 {
            Month { year: self.year + 1, month: 1 }
        } else {
            Month { year: self.year, month: self.month + 1 }
        }
    }

    fn short(self) -> &'static str {
        MONTHS_FA.get(usize::from(self.month).wrapping_sub(1)).copied().unwrap_or("?")
    }
}

/// What a chart's numbers are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Whole rials (ریال); the axis abbreviates them to thousands, millions or billions.
    Rials,
    /// Days (روز), e.g. turnaround.
    Days,
    /// A count (تعداد): documents, lines, flags.
    Count,
    /// A rate in hundredths of a percent (درصد), so that it stays an integer: 1234 is 12.34٪
    /// (a deduction rate, a share of billed). The use case rounds; the chart only writes.
    Percent,
}

impl Unit {
    /// The exact value as the table writes it.
    pub fn exact(self, v: i64) -> String {
        match self {
            Unit::Rials => Rials(v).to_string(),
            Unit::Days | Unit::Count => group_thousands(v),
            Unit::Percent => format!("{}٪", scaled(i128::from(v), 100)),
        }
    }

    /// The table's note on its unit.
    pub fn note(self) -> &'static str {
        match self {
            Unit::Rials => "مبالغ به ریال",
            Unit::Days => "به روز",
            Unit::Count => "به تعداد",
            Unit::Percent => "به درصد",
        }
    }

    /// The axis's divisor and its caption, chosen from the largest tick.
    fn scale(self, largest: i128) -> (i128, &'static str) {
        match self {
            Unit::Rials if largest >= 1_000_000_000 => (1_000_000_000, "میلیارد ریال"),
            Unit::Rials if largest >= 1_000_000 => (1_000_000, "میلیون ریال"),
            Unit::Rials if largest >= 10_000 => (1_000, "هزار ریال"),
            Unit::Rials => (1, "ریال"),
            Unit::Days => (1, "روز"),
            Unit::Count => (1, "تعداد"),
            Unit::Percent => (100, "درصد"),
        }
    }
}

/// A series' colour, from the console's palette (`static/console.css`), each at least 3:1
/// against white (WCAG 1.4.11), and never the only carrier: patterns and markers are too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// `--accent`, the console's blue: billed, or any first series.
    Accent,
    /// `--m-ins`, green: what the Organization pays.
    Paid,
    /// `--m-ded`, red: deductions.
    Deducted,
    /// `--pr`, purple: the insured person's share.
    Insured,
    /// `--warn`, brown: pending, committed.
    Pending,
    /// `--ink-3`, grey: anything else.
    Neutral,
}

impl Tone {
    const ORDER: [Tone; 6] =
        [Tone::Accent, Tone::Paid, Tone::Deducted, Tone::Insured, Tone::Pending, Tone::Neutral];

    fn hex(self) -> &'static str {
        match self {
            Tone::Accent => "#1d5fa6",
            Tone::Paid => "#2e7d57",
            Tone::Deducted => "#c4513c",
            Tone::Insured => "#5a3d8f",
            Tone::Pending => "#7a4800",
            Tone::Neutral => "#586374",
        }
    }
}

/// One named series of values by month (سری).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Series {
    /// Persian, shown in the legend and the table's head: «مبلغ صورتحساب».
    pub name: String,
    /// `None`: the palette's next colour by the series' position.
    pub tone: Option<Tone>,
    /// Values by month, in any order; a month missing here is no column (or a gap in a line).
    /// A month given twice counts once, the last value.
    pub points: Vec<(Month, i64)>,
}

impl Series {
    pub fn new(name: impl Into<String>, points: Vec<(Month, i64)>) -> Series {
        Series { name: name.into(), tone: None, points }
    }

    pub fn tone(mut self, tone: Tone) -> Series {
        self.tone = Some(tone);
        self
    }

    fn value(&self, month: Month) -> Option<i64> {
        self.points.iter().rev().find(|(m, _)| *m == month).map(|(_, v)| *v)
    }
}

/// Grouped columns side by side, or stacked into one column per month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Columns {
    Grouped,
    Stacked,
}

/// A monthly column chart: the months are the union of the series' months, in order.
#[derive(Clone, Debug)]
pub struct MonthlyChart {
    /// Unique on the page (`[a-z0-9-]`): it prefixes the SVG's ids (patterns, title).
    pub id: String,
    pub title: String,
    pub unit: Unit,
    pub layout: Columns,
    pub series: Vec<Series>,
}

/// A line chart over months (percentiles of turnaround: p50, p90, max).
#[derive(Clone, Debug)]
pub struct LineChart {
    pub id: String,
    pub title: String,
    pub unit: Unit,
    pub series: Vec<Series>,
}

/// A horizontal bar chart of labelled values, the largest first.
#[derive(Clone, Debug)]
pub struct BarChart {
    pub id: String,
    pub title: String,
    pub unit: Unit,
    /// Persian labels (a reason's text, a provider's name) and their values, in any order.
    pub bars: Vec<(String, i64)>,
    /// How many bars to draw; the rest are summed into one «سایر» bar. At least 1.
    pub top: usize,
    /// The bars' colour (the «سایر» bar is grey): `Tone::Deducted` for deductions.
    pub tone: Tone,
}

/// A budget (بودجه) and what has been spent against it, in rials, for the gauge.
#[derive(Clone, Debug)]
pub struct BudgetGauge {
    pub id: String,
    pub title: String,
    /// The approved annual budget (اعتبار مصوب).
    pub approved: i64,
    /// Spending so far: decided payable (هزینه‌شده).
    pub spent: i64,
    /// Commitment: received, not yet decided (تعهد).
    pub committed: i64,
    /// The projection of spending to the year's end (پیش‌بینی پایان سال), from the use case.
    pub projected: i64,
}

// ---------------------------------------------------------------------------------------------
// The SVG writer

/// The charts' width in SVG units; the page scales them to the card (the text with them).
const W: f64 = 640.0;
/// The gauge is narrower, so that its few words stay legible when a phone scales it down
/// whole (it does not scroll like the month charts: its ends are what matters).
const GAUGE_W: f64 = 460.0;
const INK: &str = "#17202b";
const INK2: &str = "#3d4857";
const INK3: &str = "#586374";
const GRID: &str = "#e1e5eb";
const AXIS: &str = "#838e9e";
const BAD: &str = "#a02f1d";
const FONT: f64 = 13.0;

/// Text for XML: the five special characters escaped.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// An id for the SVG's own ids: ASCII letters, digits and `-`, never empty.
fn clean_id(id: &str) -> String {
    let cleaned: String = id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c.to_ascii_lowercase() } else { '-' })
        .collect();
    if cleaned.is_empty() {
        "chart".into()
    } else {
        cleaned
    }
}

/// One decimal, and `-0.0` written as `0`: same number, same bytes.
fn f(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == 0.0 {
        "0".into()
    } else if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// A rough width of `text` at `size`: the font is the page's, not measurable here, so wide
/// enough for Vazirmatn's Persian letters and Latin digits (about half an em each).
fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * 0.56
}

/// Where a text's edge sits at its x.
#[derive(Clone, Copy)]
enum Edge {
    Right,
    Left,
    Middle,
}

struct Svg {
    id: String,
    width: f64,
    class: &'static str,
    body: String,
    defs: String,
}

impl Svg {
    fn new(id: &str) -> Svg {
        Svg { id: clean_id(id), width: W, class: "chart-svg", body: String::new(), defs: String::new() }
    }

    /// A Persian text (right to left). `start` is the right end in RTL.
    fn text_fa(
        &mut self,
        (x, y): (f64, f64),
        edge: Edge,
        (size, fill): (f64, &str),
        extra: &str,
        text: &str,
    ) {
        let anchor = match edge {
            Edge::Right => "start",
            Edge::Left => "end",
            Edge::Middle => "middle",
        };
        let _ = write!(
            self.body,
            r#"<text x="{}" y="{}" text-anchor="{anchor}" font-size="{}" fill="{fill}"{extra}>{}</text>"#,
            f(x),
            f(y),
            f(size),
            esc(text)
        );
    }

    /// A number (left to right, so `-1,500` keeps its sign in front).
    fn text_num(&mut self, x: f64, y: f64, edge: Edge, size: f64, fill: &str, text: &str) {
        let anchor = match edge {
            Edge::Right => "end",
            Edge::Left => "start",
            Edge::Middle => "middle",
        };
        let _ = write!(
            self.body,
            r#"<text x="{}" y="{}" direction="ltr" text-anchor="{anchor}" font-size="{}" fill="{fill}">{}</text>"#,
            f(x),
            f(y),
            f(size),
            esc(text)
        );
    }

    fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, extra: &str) {
        let _ = write!(
            self.body,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{stroke}"{extra}/>"#,
            f(x1),
            f(y1),
            f(x2),
            f(y2)
        );
    }

    /// The fill of the series at `index` in `tone`: solid, stripes, dots or cross hatch, in
    /// turn, so that series differ by more than colour.
    fn fill(&mut self, index: usize, tone: Tone) -> String {
        let color = tone.hex();
        let pid = format!("{}-p{index}", self.id);
        match index % 4 {
            0 => color.to_string(),
            kind => {
                let inner = match kind {
                    1 => {
                        r##"<path d="M-1,1 l2,-2 M0,6 l6,-6 M5,7 l2,-2" stroke="#fff" stroke-width="1.6"/>"##
                            .to_string()
                    }
                    2 => r##"<circle cx="3" cy="3" r="1.3" fill="#fff"/>"##.to_string(),
                    _ => r##"<path d="M0,3 h6 M3,0 v6" stroke="#fff" stroke-width="1.4"/>"##.to_string(),
                };
                let _ = write!(
                    self.defs,
                    r#"<pattern id="{pid}" patternUnits="userSpaceOnUse" width="6" height="6"><rect width="6" height="6" fill="{color}"/>{inner}</pattern>"#
                );
                format!("url(#{pid})")
            }
        }
    }

    fn finish(self, height: f64, title: &str, desc: &str) -> String {
        let id = &self.id;
        let mut out = String::new();
        let _ = write!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" class="{}" viewBox="0 0 {} {}" role="img" aria-labelledby="{id}-t {id}-d" direction="rtl" font-size="{}">"#,
            self.class,
            f(self.width),
            f(height),
            f(FONT)
        );
        let _ =
            write!(out, r#"<title id="{id}-t">{}</title><desc id="{id}-d">{}</desc>"#, esc(title), esc(desc));
        if !self.defs.is_empty() {
            let _ = write!(out, "<defs>{}</defs>", self.defs);
        }
        out.push_str(&self.body);
        out.push_str("</svg>");
        out
    }
}

/// The "no data" state: a framed, quiet message in place of the chart.
fn empty_svg(id: &str, title: &str) -> String {
    let mut svg = Svg::new(id);
    let h = 160.0;
    let _ = write!(
        svg.body,
        r##"<rect class="no-data" x="1" y="1" width="{}" height="{}" rx="6" fill="#f8f9fb" stroke="{GRID}" stroke-dasharray="4 3"/>"##,
        f(W - 2.0),
        f(h - 2.0)
    );
    svg.text_fa((W / 2.0, h / 2.0 + 5.0), Edge::Middle, (15.0, INK3), "", NO_DATA);
    svg.finish(h, title, NO_DATA)
}

// ---------------------------------------------------------------------------------------------
// Scales

/// Round ticks (1, 2, 2.5, 5 × 10ⁿ) covering `lo..=hi` (which include 0), about `target` steps.
fn ticks(lo: i128, hi: i128, target: i128) -> Vec<i128> {
    let (lo, hi) = (lo.min(0), hi.max(0));
    let span = if hi == lo { 1 } else { hi - lo };
    let raw = span as f64 / target.max(1) as f64;
    let mag = 10f64.powi(raw.log10().floor() as i32);
    let norm = raw / mag;
    // The nearest round step (as d3 does), not the next larger: 1.02 billion a step is 1.
    let nice = if norm < 1.5 {
        1.0
    } else if norm < 2.25 {
        2.0
    } else if norm < 3.5 {
        2.5
    } else if norm < 7.5 {
        5.0
    } else {
        10.0
    };
    let step = ((nice * mag).round() as i128).max(1);
    let first = lo.div_euclid(step) * step;
    let last = -((-hi).div_euclid(step) * step);
    let last = if last == first { first + step } else { last };
    let mut out = Vec::new();
    let mut t = first;
    while t <= last && out.len() < 64 {
        out.push(t);
        t += step;
    }
    out
}

/// A tick's label in the axis's scale: `2.5`, `1,200`, `-0.5`.
fn scaled(v: i128, divisor: i128) -> String {
    // Hundredths, rounded half away from zero.
    let hundredths = {
        let x = v * 100;
        let q = x / divisor;
        let r = x % divisor;
        if 2 * r.abs() >= divisor {
            q + x.signum()
        } else {
            q
        }
    };
    let neg = hundredths < 0;
    let abs = hundredths.unsigned_abs();
    let (whole, frac) = (abs / 100, abs % 100);
    let whole = group_thousands(i64::try_from(whole).unwrap_or(i64::MAX));
    let sign = if neg { "-" } else { "" };
    match frac {
        0 => format!("{sign}{whole}"),
        f if f % 10 == 0 => format!("{sign}{whole}.{}", f / 10),
        f => format!("{sign}{whole}.{f:02}"),
    }
}

/// A linear scale from values to one pixel axis.
struct Scale {
    lo: i128,
    hi: i128,
    from: f64,
    to: f64,
}

impl Scale {
    fn at(&self, v: i128) -> f64 {
        let span = (self.hi - self.lo).max(1) as f64;
        self.from + (v - self.lo) as f64 / span * (self.to - self.from)
    }
}

/// The months on the axis: every month from the series' first to their last, so that time
/// reads evenly (a month without a value is an empty slot, a gap in a line, «—» in the table).
/// A span of more than ten years, surely a mistaken input, keeps only the months given.
fn months_of(series: &[Series]) -> Vec<Month> {
    let given: BTreeSet<Month> = series.iter().flat_map(|s| s.points.iter().map(|(m, _)| *m)).collect();
    let (Some(first), Some(last)) = (given.first().copied(), given.last().copied()) else {
        return Vec::new();
    };
    let mut months = vec![first];
    let mut current = first;
    while current < last && months.len() <= 120 {
        current = current.next();
        months.push(current);
    }
    if current == last {
        months
    } else {
        given.into_iter().collect()
    }
}

fn tone_of(series: &Series, index: usize) -> Tone {
    series.tone.unwrap_or(Tone::ORDER[index % Tone::ORDER.len()])
}

/// The legend along the top, from the right: a swatch (the series' fill or line) and its
/// name, wrapping to more rows when needed. Returns the height it took.
fn legend(svg: &mut Svg, items: &[(String, String, Option<usize>)], top: f64) -> f64 {
    // items: (name, fill or stroke colour, marker index for a line legend)
    let right = svg.width - 4.0;
    let mut x = right;
    let mut y = top + 15.0;
    for (name, paint, marker) in items {
        // A name longer than half the chart is cut (whole in the table's head).
        let name = &cut_to(name, W / 2.0, FONT);
        let w = 14.0 + 6.0 + text_width(name, FONT) + 18.0;
        if x - w < 4.0 && x < right {
            x = right;
            y += 20.0;
        }
        match marker {
            None => {
                let _ = write!(
                    svg.body,
                    r#"<rect class="key" x="{}" y="{}" width="14" height="12" rx="2" fill="{paint}" stroke="{paint}"/>"#,
                    f(x - 14.0),
                    f(y - 10.0)
                );
            }
            Some(i) => {
                let dash = dash_of(*i);
                svg.line(x - 22.0, y - 4.0, x, y - 4.0, paint, &format!(r#" stroke-width="2"{dash}"#));
                marker_at(svg, *i, x - 11.0, y - 4.0, paint, "key", "");
            }
        }
        let sw = if marker.is_some() { 22.0 } else { 14.0 };
        svg.text_fa((x - sw - 6.0, y), Edge::Right, (FONT, INK2), "", name);
        x -= w + if marker.is_some() { 8.0 } else { 0.0 };
    }
    y - top + 8.0
}

fn dash_of(index: usize) -> &'static str {
    match index % 3 {
        0 => "",
        1 => r#" stroke-dasharray="7 4""#,
        _ => r#" stroke-dasharray="2 3""#,
    }
}

/// A line's marker: circle, square, triangle, diamond, in turn.
fn marker_at(svg: &mut Svg, index: usize, x: f64, y: f64, color: &str, class: &str, data: &str) {
    let _ = match index % 4 {
        0 => write!(
            svg.body,
            r##"<circle class="{class}" cx="{}" cy="{}" r="4" fill="#fff" stroke="{color}" stroke-width="2"{data}/>"##,
            f(x),
            f(y)
        ),
        1 => write!(
            svg.body,
            r#"<rect class="{class}" x="{}" y="{}" width="8" height="8" fill="{color}"{data}/>"#,
            f(x - 4.0),
            f(y - 4.0)
        ),
        2 => write!(
            svg.body,
            r#"<path class="{class}" d="M{},{} l5,8 h-10 z" fill="{color}"{data}/>"#,
            f(x),
            f(y - 5.0)
        ),
        _ => write!(
            svg.body,
            r##"<path class="{class}" d="M{},{} l5,5 l-5,5 l-5,-5 z" fill="#fff" stroke="{color}" stroke-width="2"{data}/>"##,
            f(x),
            f(y - 5.0)
        ),
    };
}

/// The frame every month chart shares: legend, unit caption, the value axis on the right with
/// its grid, and the month axis below, first month on the right. Returns the value scale and
/// each month's centre x and slot width.
struct MonthFrame {
    y: Scale,
    centres: Vec<f64>,
    slot: f64,
}

const FRAME_H: f64 = 320.0;

fn month_frame(
    svg: &mut Svg,
    months: &[Month],
    lo: i128,
    hi: i128,
    unit: Unit,
    legend_h: f64,
    left_room: f64,
) -> MonthFrame {
    let ticks = ticks(lo, hi, 5);
    let largest = ticks.iter().map(|t| t.abs()).max().unwrap_or(0);
    let (divisor, caption) = unit.scale(largest);
    let labels: Vec<String> = ticks.iter().map(|t| scaled(*t, divisor)).collect();
    let label_w = labels.iter().map(|l| text_width(l, 12.0)).fold(0.0, f64::max);
    let right_edge = W - 4.0;
    let plot_right = right_edge - label_w - 10.0;
    let left = 8.0 + left_room;
    let caption_y = 10.0 + legend_h + 12.0;
    svg.text_fa((right_edge, caption_y), Edge::Right, (12.0, INK3), r#" class="unit""#, caption);
    let top = caption_y + 12.0;
    let bottom = FRAME_H - 40.0;
    let y =
        Scale { lo: *ticks.first().unwrap_or(&0), hi: *ticks.last().unwrap_or(&1), from: bottom, to: top };
    for (t, label) in ticks.iter().zip(&labels) {
        let ty = y.at(*t);
        let stroke = if *t == 0 { AXIS } else { GRID };
        svg.line(left, ty, plot_right, ty, stroke, if *t == 0 { r#" class="zero""# } else { "" });
        svg.text_num(right_edge, ty + 4.0, Edge::Right, 12.0, INK3, label);
    }
    let n = months.len().max(1) as f64;
    let slot = (plot_right - left) / n;
    let centres: Vec<f64> = (0..months.len()).map(|i| plot_right - (i as f64 + 0.5) * slot).collect();
    // Month names under the axis; when the slots are too narrow for every name, every k-th
    // (the table beside has them all). The year under the first month and where it changes.
    let widest = months.iter().map(|m| text_width(m.short(), 12.0)).fold(0.0, f64::max);
    let every = ((widest + 6.0) / slot).ceil().max(1.0) as usize;
    let mut last_year = None;
    for (i, (m, x)) in months.iter().zip(&centres).enumerate() {
        svg.line(*x, bottom, *x, bottom + 4.0, AXIS, "");
        if i % every == 0 {
            svg.text_fa((*x, bottom + 18.0), Edge::Middle, (12.0, INK2), r#" class="month""#, m.short());
            if last_year != Some(m.year) {
                svg.text_num(*x, bottom + 33.0, Edge::Middle, 11.0, INK3, &m.year.to_string());
                last_year = Some(m.year);
            }
        }
    }
    MonthFrame { y, centres, slot }
}

// ---------------------------------------------------------------------------------------------
// The charts

/// A column chart over Jalali months: the first month on the right, one column per series
/// side by side (grouped) or one column of the series on each other (stacked; negative values
/// stack below zero). Each column is a `<rect class="bar" data-series data-month data-value>`
/// with a `<title>` of its exact value.
pub fn monthly_columns(chart: &MonthlyChart) -> String {
    let months = months_of(&chart.series);
    if months.is_empty() {
        return empty_svg(&chart.id, &chart.title);
    }
    let mut svg = Svg::new(&chart.id);
    let fills: Vec<String> =
        chart.series.iter().enumerate().map(|(i, s)| svg.fill(i, tone_of(s, i))).collect();
    let items: Vec<(String, String, Option<usize>)> =
        chart.series.iter().zip(&fills).map(|(s, p)| (s.name.clone(), p.clone(), None)).collect();
    let legend_h = legend(&mut svg, &items, 0.0);

    let (mut lo, mut hi) = (0i128, 0i128);
    for m in &months {
        let values = chart.series.iter().filter_map(|s| s.value(*m)).map(i128::from);
        match chart.layout {
            Columns::Grouped => {
                for v in values {
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
            }
            Columns::Stacked => {
                let (mut up, mut down) = (0i128, 0i128);
                for v in values {
                    if v >= 0 {
                        up += v
                    } else {
                        down += v
                    }
                }
                lo = lo.min(down);
                hi = hi.max(up);
            }
        }
    }
    let frame = month_frame(&mut svg, &months, lo, hi, chart.unit, legend_h, 0.0);
    let k = chart.series.len().max(1) as f64;
    for (mi, m) in months.iter().enumerate() {
        let centre = frame.centres[mi];
        let (mut up, mut down) = (0i128, 0i128);
        for (si, s) in chart.series.iter().enumerate() {
            let Some(v) = s.value(*m) else { continue };
            let v128 = i128::from(v);
            let (x, w, from, to) = match chart.layout {
                Columns::Grouped => {
                    let group = frame.slot * 0.74;
                    let w = group / k;
                    // The first series on the right, as the months.
                    let x = centre + group / 2.0 - (si as f64 + 1.0) * w;
                    (x, w, 0, v128)
                }
                Columns::Stacked => {
                    let w = frame.slot * 0.56;
                    let x = centre - w / 2.0;
                    if v >= 0 {
                        up += v128;
                        (x, w, up - v128, up)
                    } else {
                        down += v128;
                        (x, w, down - v128, down)
                    }
                }
            };
            let (ya, yb) = (frame.y.at(from), frame.y.at(to));
            let (top, h) = (ya.min(yb), (ya - yb).abs());
            let color = tone_of(s, si).hex();
            let _ = write!(
                svg.body,
                r#"<rect class="bar" data-series="{si}" data-month="{}" data-value="{v}" x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="{color}" stroke-width="1"><title>{}</title></rect>"#,
                m.key(),
                f(x + 0.5),
                f(top),
                f((w - 1.0).max(1.0)),
                f(h),
                fills[si],
                esc(&format!("{} · {}: {}{}", s.name, m.name(), chart.unit.exact(v), unit_word(chart.unit)))
            );
        }
    }
    let desc = monthly_desc(&chart.series, &months, chart.unit, chart.layout);
    svg.finish(FRAME_H, &chart.title, &desc)
}

/// The unit after a number in a sentence, with its space; none for counts and rates.
fn unit_word(unit: Unit) -> &'static str {
    match unit {
        Unit::Rials => " ریال",
        Unit::Days => " روز",
        Unit::Count | Unit::Percent => "",
    }
}

fn monthly_desc(series: &[Series], months: &[Month], unit: Unit, layout: Columns) -> String {
    let (first, last) = (months[0], months[months.len() - 1]);
    let kind = match layout {
        Columns::Grouped => "نمودار ستونی ماهانه",
        Columns::Stacked => "نمودار ستونی انباشته ماهانه",
    };
    let mut d =
        format!("{kind}، {} ماه از {} تا {}، ماه نخست در راست.", months.len(), first.name(), last.name());
    for s in series {
        let total: i128 = months.iter().filter_map(|m| s.value(*m)).map(i128::from).sum();
        let top = months
            .iter()
            .filter_map(|m| s.value(*m).map(|v| (v, *m)))
            .max_by_key(|(v, m)| (*v, std::cmp::Reverse(*m)));
        let _ = write!(d, " {}: جمع {}", s.name, unit.exact(i64::try_from(total).unwrap_or(i64::MAX)));
        if let Some((v, m)) = top {
            let _ = write!(d, "، بیشینه {} در {}", unit.exact(v), m.name());
        }
        d.push('.');
    }
    d
}

/// A line chart over Jalali months, the first month on the right: each series a line with its
/// own marker shape and dash, labelled at its last point. Each point is a
/// `<… class="pt" data-series data-month data-value>`; a missing month is a gap in the line.
pub fn line_chart(chart: &LineChart) -> String {
    let months = months_of(&chart.series);
    if months.is_empty() {
        return empty_svg(&chart.id, &chart.title);
    }
    let mut svg = Svg::new(&chart.id);
    let items: Vec<(String, String, Option<usize>)> = chart
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.clone(), tone_of(s, i).hex().to_string(), Some(i)))
        .collect();
    let legend_h = legend(&mut svg, &items, 0.0);
    let values = chart.series.iter().flat_map(|s| months.iter().filter_map(|m| s.value(*m))).map(i128::from);
    let (lo, hi) = values.fold((0i128, 0i128), |(lo, hi), v| (lo.min(v), hi.max(v)));
    // Room on the left for each line's name at its last point: at most END_LABEL, a longer
    // name cut there (whole in the legend and the table).
    const END_LABEL: f64 = 120.0;
    let label_room =
        chart.series.iter().map(|s| text_width(&s.name, 12.0)).fold(0.0, f64::max).min(END_LABEL) + 10.0;
    let frame = month_frame(&mut svg, &months, lo, hi, chart.unit, legend_h, label_room);
    let mut ends: Vec<(f64, f64, usize)> = Vec::new();
    for (si, s) in chart.series.iter().enumerate() {
        let color = tone_of(s, si).hex();
        let mut d = String::new();
        let mut pen_down = false;
        let mut last = None;
        for (mi, m) in months.iter().enumerate() {
            match s.value(*m) {
                Some(v) => {
                    let (x, y) = (frame.centres[mi], frame.y.at(i128::from(v)));
                    let _ = write!(d, "{}{},{} ", if pen_down { "L" } else { "M" }, f(x), f(y));
                    pen_down = true;
                    last = Some((x, y));
                }
                None => pen_down = false,
            }
        }
        if !d.is_empty() {
            let _ = write!(
                svg.body,
                r#"<path class="line" data-series="{si}" d="{}" fill="none" stroke="{color}" stroke-width="2.2" stroke-linejoin="round"{}/>"#,
                d.trim_end(),
                dash_of(si)
            );
        }
        for (mi, m) in months.iter().enumerate() {
            if let Some(v) = s.value(*m) {
                let data = format!(r#" data-series="{si}" data-month="{}" data-value="{v}""#, m.key());
                marker_at(&mut svg, si, frame.centres[mi], frame.y.at(i128::from(v)), color, "pt", &data);
            }
        }
        if let Some((x, y)) = last {
            ends.push((x, y, si));
        }
    }
    // Direct labels at the lines' ends, pushed apart when they would overlap.
    ends.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.2.cmp(&b.2)));
    let mut placed: Vec<(f64, f64, usize)> = Vec::new();
    for (x, y, si) in ends {
        let y = match placed.last() {
            Some(p) if y - p.1 < 14.0 => p.1 + 14.0,
            _ => y,
        };
        placed.push((x, y, si));
    }
    // Labels pushed below the plot would sit on the month names (equal values at zero): lift
    // them all back above its bottom.
    let bottom = frame.y.from.max(frame.y.to) - 6.0;
    if let Some(over) = placed.last().map(|p| p.1 - bottom).filter(|o| *o > 0.0) {
        for p in &mut placed {
            p.1 -= over;
        }
    }
    for (x, y, si) in placed {
        let s = &chart.series[si];
        svg.text_fa(
            (x - 8.0, y + 4.0),
            Edge::Right,
            (12.0, INK),
            r#" class="end-label""#,
            &cut_to(&s.name, END_LABEL, 12.0),
        );
    }
    let (first, last) = (months[0], months[months.len() - 1]);
    let mut desc =
        format!("نمودار خطی، {} ماه از {} تا {}، ماه نخست در راست.", months.len(), first.name(), last.name());
    for s in &chart.series {
        let vals: Vec<(Month, i64)> = months.iter().filter_map(|m| s.value(*m).map(|v| (*m, v))).collect();
        if let (Some(min), Some(max)) =
            (vals.iter().map(|(_, v)| *v).min(), vals.iter().map(|(_, v)| *v).max())
        {
            let _ = write!(
                desc,
                " {}: از {} تا {}{}.",
                s.name,
                chart.unit.exact(min),
                chart.unit.exact(max),
                unit_word(chart.unit)
            );
        }
    }
    svg.finish(FRAME_H, &chart.title, &desc)
}

/// «سایر (n مورد)»: the label of the bar that sums what is beyond the top N.
pub fn others_label(count: usize) -> String {
    format!("سایر ({count} مورد)")
}

/// The bars a [`BarChart`] draws: the largest `top` (ties by label, so the order is stable)
/// and, when there are more, one «سایر» bar of their sum.
pub fn top_bars(chart: &BarChart) -> Vec<(String, i64)> {
    let mut bars = chart.bars.clone();
    bars.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let top = chart.top.max(1);
    if bars.len() > top {
        let rest = bars.split_off(top);
        let sum: i128 = rest.iter().map(|(_, v)| i128::from(*v)).sum();
        bars.push((others_label(rest.len()), i64::try_from(sum).unwrap_or(i64::MAX)));
    }
    bars
}

/// A horizontal bar chart: the labels on the right, the bars growing leftwards from zero (a
/// negative value rightwards), the value at each bar's end. Each bar is a
/// `<rect class="bar" data-label data-value>`.
pub fn horizontal_bars(chart: &BarChart) -> String {
    let bars = top_bars(chart);
    if bars.is_empty() {
        return empty_svg(&chart.id, &chart.title);
    }
    let mut svg = Svg::new(&chart.id);
    let (lo, hi) =
        bars.iter().fold((0i128, 0i128), |(lo, hi), (_, v)| (lo.min(i128::from(*v)), hi.max(i128::from(*v))));
    let ticks = ticks(lo, hi, 4);
    let largest = ticks.iter().map(|t| t.abs()).max().unwrap_or(0);
    let (divisor, caption) = chart.unit.scale(largest);
    let row = 30.0;
    let top = 30.0;
    let height = top + row * bars.len() as f64 + 30.0;
    // Labels: at most 40% of the width; a longer one is cut with «…» (whole in its title and
    // in the table).
    let max_label = W * 0.4;
    let label_w = bars.iter().map(|(l, _)| text_width(l, FONT)).fold(0.0, f64::max).min(max_label);
    let value_w =
        bars.iter().map(|(_, v)| text_width(&scaled(i128::from(*v), divisor), 12.0)).fold(0.0, f64::max);
    let plot_right = W - 4.0 - label_w - 12.0;
    let plot_left = 8.0 + value_w + 8.0;
    let x = Scale { lo: ticks[0], hi: *ticks.last().unwrap_or(&1), from: plot_right, to: plot_left };
    svg.text_fa((W - 4.0, 16.0), Edge::Right, (12.0, INK3), r#" class="unit""#, caption);
    let bottom = top + row * bars.len() as f64;
    for t in &ticks {
        let tx = x.at(*t);
        svg.line(
            tx,
            top - 4.0,
            tx,
            bottom,
            if *t == 0 { AXIS } else { GRID },
            if *t == 0 { r#" class="zero""# } else { "" },
        );
        svg.text_num(tx, bottom + 16.0, Edge::Middle, 11.0, INK3, &scaled(*t, divisor));
    }
    let fill = svg.fill(0, chart.tone);
    let others = bars.len() > chart.top.max(1);
    for (i, (label, v)) in bars.iter().enumerate() {
        let cy = top + row * i as f64 + row / 2.0;
        let shown = cut_to(label, max_label, FONT);
        let _ = write!(
            svg.body,
            "<g><title>{}</title>",
            esc(&format!("{label}: {}{}", chart.unit.exact(*v), unit_word(chart.unit)))
        );
        svg.text_fa((W - 4.0, cy + 4.5), Edge::Right, (FONT, INK2), r#" class="label""#, &shown);
        let (x0, x1) = (x.at(0), x.at(i128::from(*v)));
        let (left, w) = (x0.min(x1), (x0 - x1).abs());
        let is_others = others && i == bars.len() - 1;
        let paint = if is_others { Tone::Neutral.hex().to_string() } else { fill.clone() };
        let stroke = if is_others { Tone::Neutral } else { chart.tone }.hex();
        let _ = write!(
            svg.body,
            r#"<rect class="bar" data-label="{}" data-value="{v}" x="{}" y="{}" width="{}" height="{}" fill="{paint}" stroke="{stroke}" stroke-width="1"/>"#,
            esc(label),
            f(left),
            f(cy - 9.0),
            f(w.max(1.0)),
            f(18.0)
        );
        let text = scaled(i128::from(*v), divisor);
        if *v >= 0 {
            svg.text_num(x1 - 5.0, cy + 4.5, Edge::Right, 12.0, INK, &text);
        } else {
            svg.text_num(x1 + 5.0, cy + 4.5, Edge::Left, 12.0, BAD, &text);
        }
        svg.body.push_str("</g>");
    }
    let total: i128 = bars.iter().map(|(_, v)| i128::from(*v)).sum();
    let mut desc = format!(
        "نمودار میله‌ای افقی، {} ردیف، بزرگ‌ترین در بالا، جمع {}{}.",
        bars.len(),
        chart.unit.exact(i64::try_from(total).unwrap_or(i64::MAX)),
        unit_word(chart.unit)
    );
    for (label, v) in bars.iter().take(3) {
        let _ = write!(desc, " {label}: {}{}.", chart.unit.exact(*v), unit_word(chart.unit));
    }
    svg.finish(height, &chart.title, &desc)
}

/// `text` cut with «…» to fit `width` at `size`.
fn cut_to(text: &str, width: f64, size: f64) -> String {
    if text_width(text, size) <= width {
        return text.to_string();
    }
    let keep = ((width / (size * 0.56)) as usize).saturating_sub(1).max(1);
    let mut cut: String = text.chars().take(keep).collect();
    cut = cut.trim_end().to_string();
    cut.push('…');
    cut
}

/// A share of the approved budget in whole percent (rounded half up), or `None` when there is
/// no approved budget to divide by.
pub fn percent_of(value: i64, approved: i64) -> Option<i64> {
    if approved <= 0 {
        return None;
    }
    let x = i128::from(value) * 100;
    let a = i128::from(approved);
    let q = x.div_euclid(a);
    let r = x.rem_euclid(a);
    let q = if 2 * r >= a { q + 1 } else { q };
    i64::try_from(q).ok()
}

fn percent_text(value: i64, approved: i64) -> String {
    percent_of(value, approved).map(|p| format!("{}٪", group_thousands(p))).unwrap_or_else(|| "—".into())
}

/// A gauge of the year's budget: the track is the approved budget (filled from the right),
/// spending solid, commitment striped after it, the approved line marked, and the projection
/// to the year's end a dashed marker with its share; over the budget, the marker and its
/// words turn red and say so. Scale: the largest of approved, spent + committed, projected.
pub fn budget_gauge(b: &BudgetGauge) -> String {
    if b.approved == 0 && b.spent == 0 && b.committed == 0 && b.projected == 0 {
        return empty_svg(&b.id, &b.title);
    }
    let mut svg = Svg::new(&b.id);
    svg.width = GAUGE_W;
    svg.class = "chart-svg gauge";
    let spent = b.spent.max(0);
    let committed = b.committed.max(0);
    let used = i128::from(spent) + i128::from(committed);
    let max = i128::from(b.approved.max(0)).max(used).max(i128::from(b.projected.max(0))).max(1);
    let (right, left) = (GAUGE_W - 8.0, 8.0);
    let x = Scale { lo: 0, hi: max, from: right, to: left };
    let spent_fill = svg.fill(0, Tone::Accent);
    let committed_fill = svg.fill(1, Tone::Pending);
    let items = vec![
        (format!("هزینه‌شده {}", percent_text(b.spent, b.approved)), spent_fill.clone(), None),
        (format!("تعهد {}", percent_text(b.committed, b.approved)), committed_fill.clone(), None),
    ];
    let legend_h = legend(&mut svg, &items, 0.0);
    let track_y = 10.0 + legend_h + 30.0;
    let track_h = 26.0;
    let _ = write!(
        svg.body,
        r##"<rect class="track" x="{}" y="{}" width="{}" height="{}" rx="4" fill="#eef1f5" stroke="{AXIS}" stroke-width="1"/>"##,
        f(x.at(i128::from(b.approved.max(0)))),
        f(track_y),
        f(right - x.at(i128::from(b.approved.max(0)))),
        f(track_h)
    );
    let x_spent = x.at(i128::from(spent));
    let _ = write!(
        svg.body,
        r#"<rect class="bar spent" data-value="{}" x="{}" y="{}" width="{}" height="{}" fill="{spent_fill}" stroke="{}" stroke-width="1"/>"#,
        b.spent,
        f(x_spent),
        f(track_y),
        f(right - x_spent),
        f(track_h),
        Tone::Accent.hex()
    );
    let x_used = x.at(used);
    let _ = write!(
        svg.body,
        r#"<rect class="bar committed" data-value="{}" x="{}" y="{}" width="{}" height="{}" fill="{committed_fill}" stroke="{}" stroke-width="1"/>"#,
        b.committed,
        f(x_used),
        f(track_y),
        f(x_spent - x_used),
        f(track_h),
        Tone::Pending.hex()
    );
    // The approved budget's end, labelled above the track.
    let xa = x.at(i128::from(b.approved.max(0)));
    svg.line(xa, track_y - 8.0, xa, track_y + track_h + 8.0, INK, r#" class="approved" stroke-width="2""#);
    let (edge, label_x) = if xa < GAUGE_W / 2.0 { (Edge::Left, xa - 3.0) } else { (Edge::Right, xa + 3.0) };
    svg.text_fa((label_x, track_y - 12.0), edge, (12.0, INK2), "", "اعتبار مصوب");
    // The projection: a dashed marker below the track with its words.
    let over = b.projected > b.approved;
    let colour = if over { BAD } else { INK };
    let xp = x.at(i128::from(b.projected.max(0)));
    svg.line(
        xp,
        track_y - 4.0,
        xp,
        track_y + track_h + 14.0,
        colour,
        r#" class="projection" stroke-width="2" stroke-dasharray="4 3""#,
    );
    let _ = write!(
        svg.body,
        r#"<path d="M{},{} l5,8 h-10 z" fill="{colour}"/>"#,
        f(xp),
        f(track_y + track_h + 10.0)
    );
    let words = format!(
        "پیش‌بینی پایان سال {}{}",
        percent_text(b.projected, b.approved),
        if over { " — بیش از اعتبار" } else { "" }
    );
    // The words run away from the nearer edge: rightwards from a marker in the left half.
    let edge = if xp < GAUGE_W / 2.0 { Edge::Left } else { Edge::Right };
    let label_x = match edge {
        Edge::Left => xp + 8.0,
        _ => xp - 8.0,
    };
    let label_x = label_x.clamp(8.0, GAUGE_W - 8.0);
    svg.text_fa(
        (label_x, track_y + track_h + 30.0),
        edge,
        (12.5, colour),
        r#" class="projection-label""#,
        &words,
    );
    let height = track_y + track_h + 44.0;
    let desc = format!(
        "اعتبار مصوب {} ریال؛ هزینه‌شده {} ریال ({})؛ تعهد {} ریال ({})؛ پیش‌بینی پایان سال {} ریال ({}){}.",
        Rials(b.approved),
        Rials(b.spent),
        percent_text(b.spent, b.approved),
        Rials(b.committed),
        percent_text(b.committed, b.approved),
        Rials(b.projected),
        percent_text(b.projected, b.approved),
        if over { "، بیش از اعتبار" } else { "" }
    );
    svg.finish(height, &b.title, &desc)
}

// ---------------------------------------------------------------------------------------------
// The card: the chart, the table of its exact numbers, the CSV link

/// One cell of a chart's table: the exact number as written, and whether it is negative.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    pub text: String,
    pub negative: bool,
}

impl Cell {
    fn of(unit: Unit, v: i64) -> Cell {
        Cell { text: unit.exact(v), negative: v < 0 }
    }

    fn text(text: impl Into<String>) -> Cell {
        Cell { text: text.into(), negative: false }
    }

    fn none() -> Cell {
        Cell { text: "—".into(), negative: false }
    }
}

/// A row of a chart's table: its label (a month's name, a reason) and its cells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub label: String,
    pub cells: Vec<Cell>,
}

/// The exact numbers beside a chart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// The head of the label column: «ماه», «دلیل کسر».
    pub label_head: String,
    /// The heads of the value columns.
    pub heads: Vec<String>,
    pub rows: Vec<Row>,
    /// The totals, where adding up means something (not for percentiles).
    pub foot: Option<Row>,
    /// «مبالغ به ریال».
    pub note: String,
}

/// A dashboard's chart card (`templates/console/_chart.html`): heading, the inline SVG, its
/// table and its CSV link. The including template has it in scope as `chart`:
/// `{% for chart in charts %}{% include "console/_chart.html" %}{% endfor %}`.
#[derive(Clone, Debug)]
pub struct ChartCard {
    /// Unique on the page; the card's and the SVG's ids start with it.
    pub id: String,
    pub title: String,
    /// A line under the heading (the filter, the period), or empty.
    pub sub: String,
    /// The SVG, built here (every text escaped), so the template prints it as it is.
    pub svg: String,
    pub table: Table,
    /// The report's CSV with the same filter, e.g. `/api/v1/reports/deductions.csv?…`.
    pub csv_href: Option<String>,
}

impl ChartCard {
    /// A column chart with its table: a row per month (first month first), a column per
    /// series, the totals in the foot.
    pub fn monthly(chart: &MonthlyChart, csv_href: Option<String>) -> ChartCard {
        let months = months_of(&chart.series);
        ChartCard {
            id: clean_id(&chart.id),
            title: chart.title.clone(),
            sub: String::new(),
            svg: monthly_columns(chart),
            table: month_table(&chart.series, &months, chart.unit, true),
            csv_href,
        }
    }

    /// A line chart with its table: a row per month, a column per series, no totals.
    pub fn lines(chart: &LineChart, csv_href: Option<String>) -> ChartCard {
        let months = months_of(&chart.series);
        ChartCard {
            id: clean_id(&chart.id),
            title: chart.title.clone(),
            sub: String::new(),
            svg: line_chart(chart),
            table: month_table(&chart.series, &months, chart.unit, false),
            csv_href,
        }
    }

    /// A bar chart with its table: the same rows as the bars (the «سایر» row included, the
    /// CSV has every row), `label_head` over the labels, the total in the foot.
    pub fn bars(chart: &BarChart, label_head: &str, value_head: &str, csv_href: Option<String>) -> ChartCard {
        let bars = top_bars(chart);
        let total: i128 = bars.iter().map(|(_, v)| i128::from(*v)).sum();
        let rows = bars
            .iter()
            .map(|(l, v)| Row { label: l.clone(), cells: vec![Cell::of(chart.unit, *v)] })
            .collect();
        let foot = (!bars.is_empty()).then(|| Row {
            label: "جمع".into(),
            cells: vec![Cell::of(chart.unit, i64::try_from(total).unwrap_or(i64::MAX))],
        });
        ChartCard {
            id: clean_id(&chart.id),
            title: chart.title.clone(),
            sub: String::new(),
            svg: horizontal_bars(chart),
            table: Table {
                label_head: label_head.into(),
                heads: vec![value_head.into()],
                rows,
                foot,
                note: chart.unit.note().into(),
            },
            csv_href,
        }
    }

    /// The budget gauge with its table: approved, spent, committed, projected, each with its
    /// share of the approved budget.
    pub fn budget(b: &BudgetGauge, csv_href: Option<String>) -> ChartCard {
        let row = |label: &str, v: i64| Row {
            label: label.into(),
            cells: vec![Cell::of(Unit::Rials, v), Cell::text(percent_text(v, b.approved))],
        };
        ChartCard {
            id: clean_id(&b.id),
            title: b.title.clone(),
            sub: String::new(),
            svg: budget_gauge(b),
            table: Table {
                label_head: "شرح".into(),
                heads: vec!["مبلغ".into(), "سهم از اعتبار".into()],
                rows: vec![
                    row("اعتبار مصوب", b.approved),
                    row("هزینه‌شده", b.spent),
                    row("تعهد", b.committed),
                    row("پیش‌بینی پایان سال", b.projected),
                ],
                foot: None,
                note: Unit::Rials.note().into(),
            },
            csv_href,
        }
    }

    /// With a line under the heading.
    pub fn with_sub(mut self, sub: impl Into<String>) -> ChartCard {
        self.sub = sub.into();
        self
    }

    /// The card alone as HTML (the partial rendered by itself), for a page that builds its
    /// cards in Rust, and for the gallery in the tests.
    pub fn html(&self) -> String {
        use askama::Template;
        CardHtml { chart: self }.render().unwrap_or_default()
    }
}

fn month_table(series: &[Series], months: &[Month], unit: Unit, totals: bool) -> Table {
    let rows = months
        .iter()
        .map(|m| Row {
            label: m.name(),
            cells: series
                .iter()
                .map(|s| s.value(*m).map(|v| Cell::of(unit, v)).unwrap_or_else(Cell::none))
                .collect(),
        })
        .collect();
    let foot = (totals && !months.is_empty()).then(|| Row {
        label: "جمع".into(),
        cells: series
            .iter()
            .map(|s| {
                let t: i128 = months.iter().filter_map(|m| s.value(*m)).map(i128::from).sum();
                Cell::of(unit, i64::try_from(t).unwrap_or(i64::MAX))
            })
            .collect(),
    });
    Table {
        label_head: "ماه".into(),
        heads: series.iter().map(|s| s.name.clone()).collect(),
        rows,
        foot,
        note: unit.note().into(),
    }
}

#[derive(askama::Template)]
#[template(path = "console/_chart.html")]
struct CardHtml<'a> {
    chart: &'a ChartCard,
}

#[cfg(test)]
mod tests;
