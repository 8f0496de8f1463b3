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
/// characters, no bidirectional overrides (a subject, a title, a name: what may end up
/// in an email's header, or be shown beside another name it could disguise itself as).
pub fn line(field: &str, text: &str, max: usize) -> Result<String> {
    if text.trim().contains(['\r', '\n']) {
        return Err(Rejection::invalid(format!("{field}: must be one line")));
    }
    if text.chars().any(is_bidi_override) {
        return Err(Rejection::invalid(format!(
            "{field}: must not contain bidirectional overrides"
        )));
    }
    bounded_text(field, text, max)
}

/// Embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): they reorder how
/// the text around them is shown (`gpj.exe` as `exe.jpg`).
fn is_bidi_override(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` made fit for a one-line header (an email's subject): every control character
/// (CR and LF above all: they would start a header of their own) and bidirectional
/// override becomes a space. What the input checks let through is already clean; this
/// is the last line before a header is written.
pub fn header_line(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c.is_control() || is_bidi_override(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    cleaned.trim().to_string()
}

/// An email address, trimmed: `local@domain` in ASCII, as SES takes it. The local part
/// 1 to 64 of letters, digits and ``.!#$%&'*+/=?^_`{|}~-`` (no dot first, last or twice
/// in a row); the domain two or more labels of letters, digits and inner hyphens. No
/// spaces, quotes, brackets or control characters, so it can sit in a header as it is.
pub fn email(field: &str, text: &str) -> Result<String> {
    let text = text.trim();
    let local_ok = |local: &str| {
        (1..=64).contains(&local.len())
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".!#$%&'*+/=?^_`{|}~-".contains(c))
    };
    let label_ok = |label: &str| {
        (1..=63).contains(&label.len())
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    let ok = text.len() <= 254
        && text.split_once('@').is_some_and(|(local, domain)| {
            local_ok(local) && domain.split('.').count() >= 2 && domain.split('.').all(label_ok)
        });
    if ok {
        Ok(text.to_string())
    } else {
        Err(Rejection::invalid(format!("{field}: not an email address")))
    }
}

/// A phone number in E.164: `+` and 8 to 15 digits.
pub fn phone(field: &str, text: &str) -> Result<String> {
    let digits = text.trim().strip_prefix('+').unwrap_or_default();
    if (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(format!("+{digits}"))
    } else {
        Err(Rejection::invalid(format!(
            "{field}: must be in international form, e.g. +27821234567"
        )))
    }
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
    fn emails_and_phones_are_checked_and_phones_kept_in_international_form() {
        assert_eq!(
            email("email", " thandi@example.co.za ").unwrap(),
            "thandi@example.co.za"
        );
        assert!(email("email", "o'brien+ads@mail.example.com").is_ok());
        for refused in [
            "thandi",
            "a b@example.com",
            "a@b@example.com",
            "thandi@localhost",
            ".a@example.com",
            "a..b@example.com",
            "a@-example.com",
            "a@example..com",
            "thandi@example.com\r\nBcc: evil@x.test",
            "thandi@example.com>, evil@x.test",
            "\"a\"@example.com",
        ] {
            assert!(email("email", refused).is_err(), "{refused}");
        }
        assert_eq!(phone("phone", "+27821234567").unwrap(), "+27821234567");
        assert!(phone("phone", "0821234567").is_err());
        assert!(phone("phone", "+27 82 123").is_err());
    }

    #[test]
    fn a_header_line_has_no_line_breaks_or_overrides() {
        assert_eq!(
            header_line("Hello\r\nBcc: evil@x.test"),
            "Hello  Bcc: evil@x.test"
        );
        assert_eq!(header_line("photo\u{202E}gpj.exe"), "photo gpj.exe");
        assert!(line("name", "photo\u{202E}gpj.exe", 200).is_err());
        assert!(line("name", "Zanele \u{200F}Dlamini", 200).is_ok());
    }

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
