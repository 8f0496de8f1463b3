//! Replies by email: the Reply-To address each notification email carries (one per
//! recipient and conversation, standing for both), what a reply may be taken from, and
//! the rules that cut the quoted history off a reply so only the new text is posted.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How long a reply address takes replies after its email was sent.
pub const ADDRESS_DAYS: i64 = 90;
/// A resolved conversation takes an email reply (which reopens it) for this long after
/// it was resolved; later, the writer is asked to start a new conversation.
pub const REOPEN_DAYS: i64 = 30;
/// The largest raw message taken (SES receives up to 40 MB; the files a message may
/// carry are far smaller).
pub const MAX_RAW_BYTES: usize = 25 * 1024 * 1024;

/// The local part's prefix: `reply+<token>@<domain>`.
const PREFIX: &str = "reply+";

/// What a reply address stands for: who was written to, about which conversation, at
/// which address. A reply is taken only from that address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplyAddress {
    /// 160 random bits, 32 lowercase Crockford base32 characters.
    pub token: String,
    pub recipient: String,
    pub conversation_id: String,
    /// The address the email went to, as sent.
    pub address: String,
    /// The recipient was written to as an admin (their reply is the team's answer).
    pub admin: bool,
    pub created_at: DateTime<Utc>,
    /// Unix seconds (DynamoDB TTL): replies are refused after it.
    pub expires_at: i64,
}

impl ReplyAddress {
    pub fn new(
        recipient: &str,
        conversation_id: &str,
        address: &str,
        admin: bool,
        now: DateTime<Utc>,
    ) -> Self {
        // A ULID's last 16 characters are its 80 random bits.
        let random = || ulid::Ulid::new().to_string()[10..].to_lowercase();
        Self {
            token: format!("{}{}", random(), random()),
            recipient: recipient.to_string(),
            conversation_id: conversation_id.to_string(),
            address: address.to_string(),
            admin,
            created_at: now,
            expires_at: (now + Duration::days(ADDRESS_DAYS)).timestamp(),
        }
    }

    /// The address to put in Reply-To, at `domain`.
    pub fn at(&self, domain: &str) -> String {
        format!("{PREFIX}{}@{domain}", self.token)
    }

    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        now.timestamp() >= self.expires_at
    }

    /// Whether `from` is the address this one was sent to (case aside: mail systems
    /// treat addresses so).
    pub fn sent_to(&self, from: &str) -> bool {
        self.address.eq_ignore_ascii_case(from.trim())
    }
}

/// The token of a reply address at `domain`, if `address` is one; case does not matter
/// (some mail systems lower-case addresses).
pub fn token_of(address: &str, domain: &str) -> Option<String> {
    let address = address.trim().to_ascii_lowercase();
    let (local, at) = address.rsplit_once('@')?;
    if !at.eq_ignore_ascii_case(domain) {
        return None;
    }
    let token = local.strip_prefix(PREFIX)?;
    (token.len() == 32 && token.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| token.to_string())
}

/// Whether headers mark a message as sent by a machine (RFC 3834's `Auto-Submitted`,
/// `Precedence: bulk`, and the vendor headers of out-of-office replies): never answered,
/// never posted. `header` gives a header's value by (case-insensitive) name.
pub fn automatic<'a>(header: impl Fn(&str) -> Option<&'a str>) -> Option<&'static str> {
    let lower = |name| header(name).map(|v| v.trim().to_ascii_lowercase());
    if lower("auto-submitted").is_some_and(|v| v != "no") {
        return Some("auto_submitted");
    }
    if lower("precedence")
        .is_some_and(|v| ["bulk", "junk", "list", "auto_reply"].contains(&v.as_str()))
    {
        return Some("precedence");
    }
    if header("x-autoreply").is_some() || header("x-autorespond").is_some() {
        return Some("auto_reply");
    }
    None
}

/// The new text of a plain-text reply: what is above the quoted history and the
/// signature. The history starts at the first of: an attribution line ("On … wrote:",
/// possibly wrapped over two lines; Afrikaans "Op … geskryf:"), a `>` quoted line,
/// Outlook's "-----Original Message-----" or its header block (From: with Sent: or
/// Date: under it), or a line of underscores above such a block. A signature starts at
/// `-- ` (RFC 3676), and a mobile client's "Sent from my …" at the end is dropped.
pub fn new_text(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let lines: Vec<&str> = text.lines().collect();
    let end = (0..lines.len())
        .find(|&i| starts_history(&lines, i))
        .unwrap_or(lines.len());
    let mut kept: Vec<&str> = lines[..end].to_vec();
    if let Some(signature) = kept.iter().position(|l| *l == "-- " || *l == "--") {
        kept.truncate(signature);
    }
    while kept
        .last()
        .is_some_and(|l| l.trim().is_empty() || mobile_signature(l))
    {
        kept.pop();
    }
    while kept.first().is_some_and(|l| l.trim().is_empty()) {
        kept.remove(0);
    }
    kept.iter()
        .map(|l| l.trim_end())
        .collect::<Vec<_>>()
        .join("\n")
}

fn starts_history(lines: &[&str], i: usize) -> bool {
    let line = lines[i].trim();
    let next = lines.get(i + 1).map(|l| l.trim()).unwrap_or_default();
    if line.starts_with('>') {
        return true;
    }
    if attribution(line) || (attribution_start(line) && attribution_end(next)) {
        return true;
    }
    if line
        .trim_matches('-')
        .trim()
        .eq_ignore_ascii_case("original message")
        && line.contains("---")
    {
        return true;
    }
    let header_block = |at: usize| {
        lines.get(at).is_some_and(|l| header_line(l, "from"))
            && lines[at + 1..]
                .iter()
                .take(3)
                .any(|l| header_line(l, "sent") || header_line(l, "date"))
    };
    if line.len() >= 10 && line.chars().all(|c| c == '_') {
        return header_block(i + 1) || header_block(i + 2);
    }
    header_block(i)
}

fn attribution_start(line: &str) -> bool {
    line.starts_with("On ") || line.starts_with("Op ")
}

fn attribution_end(line: &str) -> bool {
    line.ends_with("wrote:") || line.ends_with("geskryf:")
}

fn attribution(line: &str) -> bool {
    attribution_start(line) && attribution_end(line)
}

/// `Name: …`, as Outlook writes the quoted message's headers (bold in HTML, `*From:*`
/// once converted to text).
fn header_line(line: &str, name: &str) -> bool {
    let line = line.trim().trim_start_matches('*');
    line.len() > name.len()
        && line[..name.len()].eq_ignore_ascii_case(name)
        && line[name.len()..].trim_start_matches('*').starts_with(':')
}

fn mobile_signature(line: &str) -> bool {
    let line = line.trim();
    line.starts_with("Sent from my ")
        || line.starts_with("Sent from Outlook for ")
        || line.starts_with("Get Outlook for ")
        || line.starts_with("Sent from Mail for ")
}

/// An HTML-only reply's markup with the quoted history removed, before it is turned
/// into text: Gmail's `gmail_quote`, Outlook's `divRplyFwdMsg` / `appendonsend`, Apple
/// Mail's and Thunderbird's `<blockquote type="cite">`, Yahoo's `yahoo_quoted`. Whatever
/// survives is cut again as text ([`new_text`]).
pub fn cut_html(html: &str) -> &str {
    const MARKERS: [&str; 6] = [
        "class=\"gmail_quote",
        "id=\"divrplyfwdmsg\"",
        "id=\"appendonsend\"",
        "type=\"cite\"",
        "class=\"yahoo_quoted",
        "id=\"mail-editor-reference-message-container\"",
    ];
    let lower = html.to_ascii_lowercase();
    let cut = MARKERS
        .iter()
        .filter_map(|marker| lower.find(marker))
        .filter_map(|at| lower[..at].rfind('<'))
        .min();
    match cut {
        Some(at) => &html[..at],
        None => html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-01T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn an_address_is_unguessable_short_enough_and_found_again_whatever_its_case() {
        let a = ReplyAddress::new("u1", "c1", "Thandi@Example.com", false, now());
        let b = ReplyAddress::new("u1", "c1", "Thandi@Example.com", false, now());
        assert_ne!(a.token, b.token);
        assert_eq!(a.token.len(), 32);
        let address = a.at("saypro.online");
        assert!(address.split('@').next().unwrap().len() <= 64);
        assert_eq!(token_of(&address, "saypro.online"), Some(a.token.clone()));
        assert_eq!(
            token_of(&address.to_uppercase(), "SayPro.Online"),
            Some(a.token.clone())
        );
        assert_eq!(token_of(&address, "elsewhere.example"), None);
        assert_eq!(token_of("reply+short@saypro.online", "saypro.online"), None);
        assert_eq!(token_of("messages@saypro.online", "saypro.online"), None);
        assert!(a.sent_to(" thandi@example.COM "));
        assert!(!a.sent_to("mallory@example.com"));
        assert!(!a.expired(now() + Duration::days(ADDRESS_DAYS - 1)));
        assert!(a.expired(now() + Duration::days(ADDRESS_DAYS)));
    }

    #[test]
    fn machines_are_told_apart_by_their_headers() {
        let headers = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| *v)
            }
        };
        assert_eq!(
            automatic(headers(&[("Auto-Submitted", "auto-replied")])),
            Some("auto_submitted")
        );
        assert_eq!(automatic(headers(&[("Auto-Submitted", "no")])), None);
        assert_eq!(
            automatic(headers(&[("Precedence", "Bulk")])),
            Some("precedence")
        );
        assert_eq!(
            automatic(headers(&[("X-Autoreply", "yes")])),
            Some("auto_reply")
        );
        assert_eq!(automatic(headers(&[("Subject", "Re: hi")])), None);
    }

    #[test]
    fn gmail_keeps_the_text_above_a_wrapped_attribution() {
        let text = "Yes, it is still available.\n\nThandi\n\nOn Tue, 1 Dec 2026 at 10:02, SayPro Classifieds <\nreply+abc@saypro.online> wrote:\n\n> New message about your listing\n> \"Is the bike still for sale?\"\n";
        assert_eq!(new_text(text), "Yes, it is still available.\n\nThandi");
        let one_line =
            "Thanks!\r\n\r\nOn Tue, Dec 1, 2026 at 10:02 AM SayPro <x@y> wrote:\r\n> quoted\r\n";
        assert_eq!(new_text(one_line), "Thanks!");
        assert_eq!(
            new_text("Dankie!\n\nOp Di 1 Des 2026 om 10:02 het SayPro geskryf:\n> ou teks"),
            "Dankie!"
        );
    }

    #[test]
    fn outlook_cuts_at_its_header_block_or_original_message_line() {
        let text = "I can collect on Friday.\n\n________________________________\nFrom: SayPro Classifieds <messages@saypro.online>\nSent: Tuesday, 1 December 2026 10:02\nTo: Thandi <thandi@example.com>\nSubject: New message\n\nIs the bike still for sale?\n";
        assert_eq!(new_text(text), "I can collect on Friday.");
        let classic = "Fine by me.\n-----Original Message-----\nFrom: SayPro\nquoted";
        assert_eq!(new_text(classic), "Fine by me.");
        let bold = "Paid.\n\n*From:* SayPro <m@s>\n*Sent:* Tuesday\n*Subject:* x";
        assert_eq!(new_text(bold), "Paid.");
    }

    #[test]
    fn signatures_and_mobile_footers_go_and_text_that_merely_mentions_from_stays() {
        let text = "See you at 5.\n\n-- \nThandi Nkosi\n082 000 0000\n";
        assert_eq!(new_text(text), "See you at 5.");
        assert_eq!(new_text("Ok\n\nSent from my iPhone\n"), "Ok");
        let kept = "From: the seller's note, the price is firm.\nThanks";
        assert_eq!(new_text(kept), kept);
        assert_eq!(new_text("> only quoted\n> text"), "");
    }

    #[test]
    fn html_history_is_cut_at_each_clients_marker() {
        let gmail = "<div dir=\"ltr\">Yes please</div><br><div class=\"gmail_quote\"><div dir=\"ltr\" class=\"gmail_attr\">On Tue wrote:</div><blockquote>old</blockquote></div>";
        assert_eq!(cut_html(gmail), "<div dir=\"ltr\">Yes please</div><br>");
        let apple = "<div>Sure</div><div><br><blockquote type=\"cite\"><div>On 1 Dec wrote:</div>old</blockquote></div>";
        assert_eq!(cut_html(apple), "<div>Sure</div><div><br>");
        let outlook =
            "<p>Done</p><div id=\"appendonsend\"></div><hr><div id=\"divRplyFwdMsg\">From: x</div>";
        assert_eq!(cut_html(outlook), "<p>Done</p>");
        assert_eq!(cut_html("<p>plain</p>"), "<p>plain</p>");
    }
}
