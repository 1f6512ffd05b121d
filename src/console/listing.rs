//! What every list page shares: its URL with the filters in the query string (shareable,
//! back-button safe) and the reading of the page number and page size from it.

use crate::console::urlencode;
use crate::error::FieldError;

/// `path` with the query `pairs` (a list's fields as typed), `changes` applied over them; empty
/// values are left out, so a cleared filter disappears from the URL.
pub fn href(path: &str, mut pairs: Vec<(&str, String)>, changes: &[(&str, String)]) -> String {
    for (k, v) in changes {
        if let Some(p) = pairs.iter_mut().find(|(name, _)| name == k) {
            p.1 = v.clone();
        }
    }
    let query: Vec<String> = pairs
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", urlencode(v.trim())))
        .collect();
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

/// The hidden fields of a list's page-size form: the query `pairs` that are set, except the page
/// and its size (a new size starts again at page 1).
pub fn kept(pairs: Vec<(&'static str, String)>) -> Vec<(&'static str, String)> {
    pairs.into_iter().filter(|(k, v)| *k != "page" && *k != "per" && !v.trim().is_empty()).collect()
}

/// The 1-based page number of `?page=` (1 when absent); a wrong one is a field error.
pub fn page_number(text: &str, errors: &mut Vec<FieldError>) -> i64 {
    match text.trim() {
        "" => 1,
        t => t.parse::<i64>().ok().filter(|p| *p >= 1).unwrap_or_else(|| {
            errors.push(FieldError::new("page", "range", "must be 1 or more"));
            1
        }),
    }
}

/// The page size of `?per=` (`default` when absent): 1–500, the API's limit.
pub fn page_size(text: &str, default: i64, errors: &mut Vec<FieldError>) -> i64 {
    match text.trim() {
        "" => default,
        t => t.parse::<i64>().ok().filter(|p| (1..=500).contains(p)).unwrap_or_else(|| {
            errors.push(FieldError::new("per", "range", "must be between 1 and 500"));
            default
        }),
    }
}

/// A choice in a select of filters, sort or page size.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One link of a list's pager: previous, a page number, a gap (`…`, no link) or next.
pub struct PageLink {
    pub label: String,
    pub href: Option<String>,
    pub current: bool,
}

/// The pager of a list at 1-based `page` of `per` rows among `total`: previous, the first and
/// last pages and two either side of the current one with `…` for the gaps, next. `page_href`
/// gives a page's URL (the list's filters kept).
pub fn pager(page: i64, per: i64, total: i64, page_href: impl Fn(i64) -> String) -> Vec<PageLink> {
    let pages_count = ((total + per - 1) / per.max(1)).max(1);
    let mut pages = vec![PageLink {
        label: "قبلی".into(),
        href: (page > 1).then(|| page_href(page - 1)),
        current: false,
    }];
    for p in 1..=pages_count {
        if p == 1 || p == pages_count || (p - page).abs() <= 2 {
            pages.push(PageLink { label: p.to_string(), href: Some(page_href(p)), current: p == page });
        } else if (p - page).abs() == 3 {
            pages.push(PageLink { label: "…".into(), href: None, current: false });
        }
    }
    pages.push(PageLink {
        label: "بعدی".into(),
        href: (page < pages_count).then(|| page_href(page + 1)),
        current: false,
    });
    pages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_or_cleared_filter_shows_in_the_url_and_empty_ones_do_not() {
        let pairs = || vec![("status", "open".to_string()), ("q", "".to_string()), ("page", "3".to_string())];
        assert_eq!(href("/console/x", pairs(), &[]), "/console/x?status=open&page=3");
        assert_eq!(href("/console/x", pairs(), &[("page", String::new())]), "/console/x?status=open");
        assert_eq!(
            href("/console/x", pairs(), &[("status", String::new()), ("page", String::new())]),
            "/console/x"
        );
        let mut errors = Vec::new();
        assert_eq!((page_number("", &mut errors), page_size("", 20, &mut errors)), (1, 20));
        assert_eq!((page_number(" 4 ", &mut errors), page_size("200", 20, &mut errors)), (4, 200));
        assert!(errors.is_empty());
        assert_eq!((page_number("0", &mut errors), page_size("501", 20, &mut errors)), (1, 20));
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn the_pager_keeps_the_ends_and_two_either_side_with_gaps_between() {
        let labels = |page, total| {
            pager(page, 10, total, |p| format!("?page={p}"))
                .iter()
                .map(|l| if l.href.is_none() { format!("({})", l.label) } else { l.label.clone() })
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(labels(1, 0), "(قبلی) 1 (بعدی)");
        assert_eq!(labels(6, 200), "قبلی 1 (…) 4 5 6 7 8 (…) 20 بعدی");
        assert_eq!(labels(20, 200), "قبلی 1 (…) 18 19 20 (بعدی)");
        assert!(pager(6, 10, 200, |p| p.to_string()).iter().any(|l| l.current && l.label == "6"));
    }
}
