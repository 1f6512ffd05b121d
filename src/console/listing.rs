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
}
