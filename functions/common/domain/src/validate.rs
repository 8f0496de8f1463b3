//! Input limits of the API contract. Each error message names the field.

use crate::{Rejection, Result};

pub const BODY_MAX_CHARS: usize = 5_000;
pub const SUBJECT_MAX_CHARS: usize = 200;
const ID_MAX_CHARS: usize = 128;

/// A message body: trimmed, 1 to 5,000 characters.
pub fn body(field: &str, text: &str) -> Result<String> {
    bounded_text(field, text, BODY_MAX_CHARS)
}

/// A user's message body: as [`body`], but it may be empty when files carry the message.
pub fn body_with_files(text: &str, files: usize) -> Result<String> {
    if files > 0 && text.trim().is_empty() {
        return Ok(String::new());
    }
    body("body", text)
}

/// A subject: trimmed, 1 to 200 characters.
pub fn subject(text: &str) -> Result<String> {
    bounded_text("subject", text, SUBJECT_MAX_CHARS)
}

/// Trimmed text of 1 to `max` characters.
pub fn bounded_text(field: &str, text: &str, max: usize) -> Result<String> {
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
    fn ids_refuse_key_separators_and_spaces() {
        assert!(id("listing_id", "L-100_a.b").is_ok());
        assert!(id("listing_id", "a#b").is_err());
        assert!(id("listing_id", "a b").is_err());
        assert!(id("listing_id", "").is_err());
    }
}
