//! Persian text as it arrives from many keyboards and systems.
//!
//! Arabic yeh (ي, ى) and kaf (ك) become Persian ی and ک; Persian (۰–۹) and Arabic-Indic (٠–٩)
//! digits become ASCII in identifiers; runs of spaces collapse; ZWNJ (نیم‌فاصله) is kept in
//! names because it is part of the spelling.

/// Normalizes a name or description: Persian letters, single spaces, trimmed. Digits stay as
/// typed (a name may legitimately contain Persian digits), ZWNJ is kept.
pub fn normalize_persian(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last_space = true;
    for c in s.chars() {
        let c = match c {
            'ي' | 'ى' => 'ی',
            'ك' => 'ک',
            '\u{00A0}' | '\t' | '\n' | '\r' => ' ',
            other => other,
        };
        if c == ' ' {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.push(c);
            last_space = false;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Maps Persian and Arabic-Indic digits to ASCII; other characters are unchanged.
pub fn ascii_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '۰'..='۹' => char::from(b'0' + (c as u32 - '۰' as u32) as u8),
            '٠'..='٩' => char::from(b'0' + (c as u32 - '٠' as u32) as u8),
            other => other,
        })
        .collect()
}

/// An identifier (national code, document number, Sheba…): ASCII digits, no spaces around.
pub fn normalize_identifier(s: &str) -> String {
    ascii_digits(s.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_letters_become_persian() {
        assert_eq!(normalize_persian("  علي   كريمي "), "علی کریمی");
        assert_eq!(normalize_persian("مصطفى"), "مصطفی");
    }

    #[test]
    fn zwnj_is_kept() {
        assert_eq!(normalize_persian("می\u{200c}خواهم"), "می\u{200c}خواهم");
    }

    #[test]
    fn digits_become_ascii() {
        assert_eq!(ascii_digits("۱۴۰۳-۰۷-۱۵"), "1403-07-15");
        assert_eq!(ascii_digits("٠١٢٣٤٥٦٧٨٩"), "0123456789");
        assert_eq!(normalize_identifier(" ۰۰۱۲۳۴۵۶۷۹ "), "0012345679");
    }
}
