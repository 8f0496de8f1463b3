//! Input limits of the API contract. Each error message names the field.

use crate::{Rejection, Result};

pub const BODY_MAX_CHARS: usize = 5_000;
pub const SUBJECT_MAX_CHARS: usize = 200;
const ID_MAX_CHARS: usize = 128;

/// A message body: trimmed, 1 to 5,000 characters.
pub fn body(field: &str, text: &str) -> Result<String> {
    bounded_text(field, text, BODY_MAX_CHARS)
}

/// A month as `yyyy-mm` (a real month of this millennium): its first day.
pub fn month(field: &str, text: &str) -> Result<chrono::NaiveDate> {
    let digits = |part: &str, n: usize| part.len() == n && part.bytes().all(|b| b.is_ascii_digit());
    let first = match text.split_once('-') {
        Some((year, month)) if digits(year, 4) && digits(month, 2) && year >= "2000" => {
            chrono::NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").ok()
        }
        _ => None,
    };
    first.ok_or_else(|| Rejection::invalid(format!("{field}: a month as yyyy-mm, e.g. 2026-11")))
}

/// A user's message body: as [`body`], but it may be empty when files carry the message.
pub fn body_with_files(text: &str, files: usize) -> Result<String> {
    if files > 0 && text.trim().is_empty() {
        return Ok(String::new());
    }
    body("body", text)
}

/// A subject: trimmed, 1 to 200 characters, one line.
pub fn subject(text: &str) -> Result<String> {
    line("subject", text, SUBJECT_MAX_CHARS)
}

/// Trimmed text of 1 to `max` characters, on one line: no line breaks, no control
/// characters (a subject, a title, a name: what may end up in an email's header).
pub fn line(field: &str, text: &str, max: usize) -> Result<String> {
    if text.trim().contains(['\r', '\n']) {
        return Err(Rejection::invalid(format!("{field}: must be one line")));
    }
    bounded_text(field, text, max)
}

/// Trimmed text of 1 to `max` characters: lines and tabs, but no other control
/// characters (a NUL, a terminal escape).
pub fn bounded_text(field: &str, text: &str, max: usize) -> Result<String> {
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(Rejection::invalid(format!(
            "{field}: must not contain control characters"
        )));
    }
    let trimmed = text.trim();
    let chars = trimmed.chars().count();
    if chars == 0 {
        return Err(Rejection::invalid(format!("{field}: must not be empty")));
    }
    if chars > max {
        return Err(Rejection::invalid(format!(
            "{field}: must be at most {max} characters (got {chars})"
        )));
    }
    Ok(trimmed.to_string())
}

/// An identifier from outside (listing ids, user ids): 1 to 128 characters of letters,
/// digits and `-_.:@`, so it can sit inside a key without ambiguity.
pub fn id(field: &str, text: &str) -> Result<String> {
    let ok = !text.is_empty()
        && text.chars().count() <= ID_MAX_CHARS
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:@".contains(c));
    if ok {
        Ok(text.to_string())
    } else {
        Err(Rejection::invalid(format!(
            "{field}: must be 1 to {ID_MAX_CHARS} letters, digits or -_.:@"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_trimmed_and_bounded_in_characters_not_bytes() {
        assert_eq!(body("body", "  hi \n").unwrap(), "hi");
        assert!(
            body("body", "   ")
                .unwrap_err()
                .to_string()
                .starts_with("body:")
        );
        assert!(body("body", &"é".repeat(5_000)).is_ok());
        assert!(body("body", &"é".repeat(5_001)).is_err());
        assert!(
            subject(&"s".repeat(201))
                .unwrap_err()
                .to_string()
                .contains("at most 200")
        );
    }

    #[test]
    fn control_characters_are_refused_and_single_lines_stay_single() {
        assert!(body("body", "a\0b").is_err());
        assert!(body("body", "a\u{1b}[31mb").is_err());
        assert!(body("body", "line one\r\nline two\tend").is_ok());
        assert!(subject("Renewing\r\nBcc: evil@x.test").is_err());
        assert!(line("title", "Bakkie\nfor sale", 100).is_err());
        assert!(subject("  Renewing my ad  ").is_ok());
    }

    #[test]
    fn months_are_real_months() {
        assert_eq!(month("month", "2026-11").unwrap().to_string(), "2026-11-01");
        for wrong in [
            "-001-01",
            "0000-01",
            "2026-1",
            "2026-13",
            "2026-00",
            "26-11",
            "2026-11-01",
            "x",
        ] {
            assert!(month("month", wrong).is_err(), "{wrong}");
        }
    }

    #[test]
    fn ids_refuse_key_separators_and_spaces() {
        assert!(id("listing_id", "L-100_a.b").is_ok());
        assert!(id("listing_id", "a#b").is_err());
        assert!(id("listing_id", "a b").is_err());
        assert!(id("listing_id", "").is_err());
    }
}
