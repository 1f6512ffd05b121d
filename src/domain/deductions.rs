//! A provider's deductions (کسورات) of a month, grouped by reason: what the provider reads to
//! see why it was paid less, and which lines to object to. Pure: the lines come from the use
//! case, the grouping is here.

use crate::domain::money::Rial;

/// One reason's share of the month: its code, the total, and each deducted line behind it
/// (`T` is whatever the caller keeps of a line: its claim, number, code…).
#[derive(Debug, PartialEq, Eq)]
pub struct ReasonGroup<T> {
    /// The reason's code (`R12`…).
    pub reason: String,
    pub total: Rial,
    /// `(amount of this reason on the line, the line)`, in the order given.
    pub lines: Vec<(Rial, T)>,
}

/// Groups `(reason code, amount, line)` by reason, the largest total first (ties by code), so
/// the page opens on what cost the provider most. A line with two reasons appears under both,
/// each with its own amount; amounts of zero are left out (a reason that took nothing).
pub fn by_reason<T>(items: impl IntoIterator<Item = (String, Rial, T)>) -> Vec<ReasonGroup<T>> {
    let mut groups: Vec<ReasonGroup<T>> = Vec::new();
    for (reason, amount, line) in items {
        if amount.0 == 0 {
            continue;
        }
        match groups.iter_mut().find(|g| g.reason == reason) {
            Some(g) => {
                g.total = Rial(g.total.0 + amount.0);
                g.lines.push((amount, line));
            }
            None => groups.push(ReasonGroup { reason, total: amount, lines: vec![(amount, line)] }),
        }
    }
    groups.sort_by(|a, b| b.total.0.cmp(&a.total.0).then_with(|| a.reason.cmp(&b.reason)));
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_by_reason_largest_first_and_skips_zero_amounts() {
        let g = by_reason(vec![
            ("R12".to_string(), Rial(100_000), "A/3"),
            ("R20".to_string(), Rial(500_000), "A/1"),
            ("R12".to_string(), Rial(450_000), "B/2"),
            ("R05".to_string(), Rial(0), "B/1"),
        ]);
        assert_eq!(g.len(), 2);
        assert_eq!((g[0].reason.as_str(), g[0].total), ("R12", Rial(550_000)));
        assert_eq!(g[0].lines, vec![(Rial(100_000), "A/3"), (Rial(450_000), "B/2")]);
        assert_eq!((g[1].reason.as_str(), g[1].total), ("R20", Rial(500_000)));
    }

    #[test]
    fn equal_totals_are_ordered_by_code() {
        let g = by_reason(vec![("R30".to_string(), Rial(1), ()), ("R10".to_string(), Rial(1), ())]);
        assert_eq!(g.iter().map(|g| g.reason.as_str()).collect::<Vec<_>>(), ["R10", "R30"]);
    }
}
