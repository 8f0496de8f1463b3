//! Keeps personal information out of logs: text from elsewhere (a provider's error, say)
//! passes through [`redact`] before it is logged, so email addresses and phone numbers
//! never reach CloudWatch (POPIA).

/// `text` with email addresses replaced by `[email]` and runs of 9 or more digits (phone
/// numbers, with their spaces, dashes and `+`) by `[phone]`.
pub fn redact(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let local_part = |c: char| c.is_ascii_alphanumeric() || "._%+-".contains(c);
    let domain_part = |c: char| c.is_ascii_alphanumeric() || ".-".contains(c);
    while i < chars.len() {
        // An email: back up over the local part already copied, skip over the domain.
        if chars[i] == '@'
            && i > 0
            && local_part(chars[i - 1])
            && chars.get(i + 1).is_some_and(|c| domain_part(*c))
        {
            while out.chars().last().is_some_and(local_part) {
                out.pop();
            }
            i += 1;
            while i < chars.len() && domain_part(chars[i]) {
                i += 1;
            }
            out.push_str("[email]");
            continue;
        }
        // A phone number: digits with separators, at least 9 digits in all.
        if chars[i] == '+' || chars[i].is_ascii_digit() {
            let mut j = i;
            let mut digits = 0;
            while j < chars.len()
                && (chars[j].is_ascii_digit()
                    || (j > i && " -()".contains(chars[j]))
                    || (j == i && chars[j] == '+'))
            {
                digits += usize::from(chars[j].is_ascii_digit());
                j += 1;
            }
            if digits >= 9 {
                out.push_str("[phone]");
                if chars[j - 1] == ' ' {
                    out.push(' ');
                }
                i = j;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_phone_numbers_are_replaced_and_the_rest_kept() {
        assert_eq!(
            redact("MessageRejected: identities failed the check: thandi.n+ads@example.co.za, ok"),
            "MessageRejected: identities failed the check: [email], ok"
        );
        assert_eq!(
            redact("SMS to +27 82 555 0101 failed (code 400)"),
            "SMS to [phone] failed (code 400)"
        );
        assert_eq!(redact("call 0825550101."), "call [phone].");
        assert_eq!(
            redact("retry after 30 s at 2026-11-24"),
            "retry after 30 s at 2026-11-24"
        );
        assert_eq!(redact("a @ b"), "a @ b");
    }
}
