//! What every JSON body goes through before it reaches a request type — over HTTP or from a
//! stored monthly list: one place, so that no field can be forgotten.
//!
//! - Every string is trimmed *before* any length check, so `"   "` is empty and a `min = 1`
//!   rule names the field (passwords are the exception: they are taken byte for byte).
//! - Control characters are refused with 422 naming the field: NUL (U+0000) everywhere —
//!   PostgreSQL cannot store it in TEXT — and every other C0/C1 control character in
//!   identifiers, codes and names. Free-text fields ([`FREE_TEXT`]) may keep line feeds,
//!   carriage returns and tabs.
//!
//! Decimal amounts (quantities, rates) have their own strict form: see
//! [`crate::domain::money::plain_decimal`].

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{AppError, FieldError};

/// Fields written by people as prose, where a line break is part of the text.
pub const FREE_TEXT: &[&str] = &["note", "notes", "reason", "justification", "description", "address"];

/// Fields taken exactly as sent (no trimming, line breaks kept; a NUL is still refused): a
/// password's spaces are part of it, and a tariff import's `files` are whole CSV files whose
/// importer checks every line itself.
const VERBATIM: &[&str] = &["password", "current_password", "new_password", "files"];

/// Trims every string of `value` in place and lists the fields holding a forbidden character.
pub fn normalize(value: &mut Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    walk(value, String::new(), None, false, &mut errors);
    errors
}

fn walk(value: &mut Value, path: String, name: Option<&str>, verbatim: bool, errors: &mut Vec<FieldError>) {
    let verbatim = verbatim || name.is_some_and(|n| VERBATIM.contains(&n));
    match value {
        Value::String(s) => {
            let free_text = name.is_some_and(|n| FREE_TEXT.contains(&n));
            let problem = if verbatim {
                s.contains('\0').then(|| "must not contain a NUL character".to_string())
            } else {
                forbidden_character(s, free_text)
            };
            if let Some(problem) = problem {
                let field = if path.is_empty() { "body".to_string() } else { path };
                errors.push(FieldError::new(field, "control_character", problem));
                return;
            }
            if !verbatim {
                let trimmed = s.trim();
                if trimmed.len() != s.len() {
                    *s = trimmed.to_string();
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                walk(item, format!("{path}[{i}]"), name, verbatim, errors);
            }
        }
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                let child = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                walk(item, child, Some(key.as_str()), verbatim, errors);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Why `s` may not be stored, if it may not.
fn forbidden_character(s: &str, free_text: bool) -> Option<String> {
    let bad = s
        .chars()
        .find(|&c| c == '\0' || (c.is_control() && !(free_text && matches!(c, '\n' | '\r' | '\t'))))?;
    Some(if bad == '\0' {
        "must not contain a NUL character".to_string()
    } else if free_text {
        format!(
            "must not contain the control character U+{:04X} (line breaks and tabs are allowed)",
            bad as u32
        )
    } else {
        format!("must not contain the control character U+{:04X} (no line breaks or tabs here)", bad as u32)
    })
}

/// Reads a JSON body strictly: one JSON value and nothing after it but whitespace (400
/// otherwise), every string trimmed and checked for control characters ([`normalize`]),
/// then the request type, whose data errors name their field (422).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    use serde::Deserialize;
    let malformed = |e: serde_json::Error| {
        AppError::bad_request("malformed_json", format!("the body is not valid JSON: {e}"))
    };
    let mut de = serde_json::Deserializer::from_slice(body);
    let mut value = serde_json::Value::deserialize(&mut de).map_err(malformed)?;
    // `{…}{…}` or `{…}garbage`: one document per body, never the first of several.
    de.end().map_err(malformed)?;
    let errors = normalize(&mut value);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(v) => Ok(v),
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            Err(AppError::Validation(vec![data_error(&path, &inner.to_string())]))
        }
    }
}

fn data_error(path: &str, message: &str) -> FieldError {
    let message = message.split(" at line ").next().unwrap_or(message).to_string();
    let base = if path == "." { "" } else { path };
    let join = |name: &str| if base.is_empty() { name.to_string() } else { format!("{base}.{name}") };
    if let Some(name) = message.strip_prefix("missing field `").and_then(|r| r.split('`').next()) {
        return FieldError::new(join(name), "required", "is required");
    }
    if let Some(name) = message.strip_prefix("unknown field `").and_then(|r| r.split('`').next()) {
        // Here serde's path already ends with the unknown field's name.
        let field = if base.is_empty() { name.to_string() } else { base.to_string() };
        return FieldError::new(field, "unknown_field", message.clone());
    }
    let field = if base.is_empty() { "body".to_string() } else { base.to_string() };
    let code = if message.starts_with("invalid type") {
        "invalid_type"
    } else if message.starts_with("unknown variant") {
        "invalid_choice"
    } else {
        "invalid"
    };
    FieldError::new(field, code, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_are_trimmed_everywhere_but_passwords() {
        let mut v = json!({"a": "  x ", "lines": [{"code": "\u{a0}801175 "}], "password": " p w "});
        assert!(normalize(&mut v).is_empty());
        assert_eq!(v, json!({"a": "x", "lines": [{"code": "801175"}], "password": " p w "}));
        // A blank value becomes empty, for the length rule to name it.
        let mut v = json!({"provider_document_no": "   "});
        assert!(normalize(&mut v).is_empty());
        assert_eq!(v["provider_document_no"], "");
    }

    #[test]
    fn persian_text_keeps_its_zero_width_non_joiner() {
        let mut v = json!({"name_fa": "بیمارستان\u{200c}ها"});
        assert!(normalize(&mut v).is_empty());
        assert_eq!(v["name_fa"], "بیمارستان\u{200c}ها");
    }

    #[test]
    fn control_characters_are_refused_by_field() {
        let mut v = json!({"code": "80\n1175", "lines": [{"line_no": 1, "code": "A\u{0}"}], "note": "one\ntwo\tthree"});
        let errors = normalize(&mut v);
        let fields: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect();
        assert_eq!(fields, [("code", "control_character"), ("lines[0].code", "control_character")]);
        assert!(errors[1].message.contains("NUL"));
        // Free text keeps its lines but never a NUL or another control character.
        let mut v = json!({"note": "a\u{0}b", "reason": "x\u{1b}[31m"});
        let errors = normalize(&mut v);
        assert_eq!(errors.len(), 2);
        assert!(errors.iter().all(|e| e.code == "control_character"));
        // Passwords are not trimmed, but a NUL is refused there too.
        let mut v = json!({"password": "a\u{0}"});
        assert_eq!(normalize(&mut v)[0].field, "password");
        // A tariff file keeps its lines and its last line break.
        let mut v = json!({"files": {"visits.csv": "code,amount\nspecialist,1\n"}});
        assert!(normalize(&mut v).is_empty());
        assert_eq!(v["files"]["visits.csv"], "code,amount\nspecialist,1\n");
    }

    #[test]
    fn a_list_of_names_is_checked_by_its_field() {
        let mut v = json!({"diagnoses": ["J06.9", "K\r35"]});
        assert_eq!(normalize(&mut v)[0].field, "diagnoses[1]");
    }
}

#[cfg(test)]
mod reader_tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, utoipa::ToSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Line {
        quantity: i64,
    }
    #[derive(Debug, Deserialize, utoipa::ToSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        name: String,
        lines: Vec<Line>,
    }

    fn field_of(body: &str) -> (String, String) {
        match parse_json::<Doc>(body.as_bytes()) {
            Err(AppError::Validation(e)) => (e[0].field.clone(), e[0].code.clone()),
            other => panic!("expected validation error, got {other:?}"),
        }
    }

    #[test]
    fn names_the_bad_field() {
        assert_eq!(field_of(r#"{"lines": []}"#), ("name".into(), "required".into()));
        assert_eq!(field_of(r#"{"name": 5, "lines": []}"#), ("name".into(), "invalid_type".into()));
        assert_eq!(
            field_of(r#"{"name": "x", "lines": [{"quantity": 1}, {"quantity": "a"}]}"#),
            ("lines[1].quantity".into(), "invalid_type".into())
        );
        assert_eq!(
            field_of(r#"{"name": "x", "lines": [{}]}"#),
            ("lines[0].quantity".into(), "required".into())
        );
        assert_eq!(
            field_of(r#"{"name": "x", "lines": [], "extra": 1}"#),
            ("extra".into(), "unknown_field".into())
        );
    }

    #[test]
    fn one_document_per_body() {
        for body in [
            &br#"{"name": "x", "lines": []}{"name": "y", "lines": []}"#[..],
            br#"{"name": "x", "lines": []}garbage"#,
        ] {
            match parse_json::<Doc>(body) {
                Err(e @ AppError::BadRequest { .. }) => assert_eq!(e.code(), "malformed_json"),
                other => panic!("{other:?}"),
            }
        }
        assert!(parse_json::<Doc>(b"{\"name\": \" x \", \"lines\": []}\n\t ").is_ok());
    }

    #[test]
    fn malformed_json_is_400() {
        match parse_json::<Doc>(b"{\"name\": ") {
            Err(e @ AppError::BadRequest { .. }) => assert_eq!(e.code(), "malformed_json"),
            other => panic!("{other:?}"),
        }
    }
}
