//! A received email, read: who it is from, whether a machine sent it, the new text above
//! its quoted history (`domain::email_reply` has the cutting rules) and its files.

use mail_parser::{HeaderName, MessageParser, MimeHeaders};

use common::domain::email_reply::{automatic, cut_html, new_text};
use common::messaging::EmailFile;

#[derive(Debug)]
pub struct Received {
    /// The From address, if it has one.
    pub from: Option<String>,
    pub subject: String,
    /// Why a machine sent it (an auto-reply, a bounce, a list), if one did.
    pub automatic: Option<&'static str>,
    pub text: String,
    pub files: Vec<EmailFile>,
}

/// Parts a mail client adds on its own, never the writer's files: contact cards, the
/// signature of a signed message, Outlook's rich-text wrapper, calendar data.
fn added_by_the_client(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || matches!(
            content_type,
            "application/pkcs7-signature"
                | "application/x-pkcs7-signature"
                | "application/pgp-signature"
                | "application/ms-tnef"
                | "application/ics"
        )
}

pub fn read(raw: &[u8]) -> Option<Received> {
    let message = MessageParser::default().parse(raw)?;
    // Owned names: a header name borrowed from here would have to outlive the message.
    let header = |name: &str| {
        HeaderName::parse(name.to_string())
            .and_then(|name| message.header_raw(name))
            .map(str::trim)
    };
    // A null return path marks a delivery report: answering one makes a loop.
    let null_sender = header("Return-Path").is_some_and(|path| path == "<>");
    let text = match message.text_part(0) {
        Some(part) if !part.is_text_html() => new_text(&message.body_text(0).unwrap_or_default()),
        _ => match message.body_html(0) {
            Some(html) => new_text(&mail_parser::decoders::html::html_to_text(cut_html(&html))),
            None => String::new(),
        },
    };
    let files = message
        .attachments()
        .filter_map(|part| {
            let content_type = part
                .content_type()
                .map(|t| match t.subtype() {
                    Some(sub) => format!("{}/{sub}", t.ctype()),
                    None => t.ctype().to_string(),
                })
                .unwrap_or_default()
                .to_ascii_lowercase();
            if added_by_the_client(&content_type) || part.is_message() {
                return None;
            }
            Some(EmailFile {
                filename: part.attachment_name().unwrap_or("attachment").to_string(),
                content_type,
                bytes: part.contents().to_vec(),
            })
        })
        .collect();
    Some(Received {
        from: message
            .from()
            .and_then(|from| from.first())
            .and_then(|from| from.address())
            .map(str::to_string),
        subject: message.subject().unwrap_or_default().to_string(),
        automatic: automatic(header).or(null_sender.then_some("delivery_report")),
        text,
        files,
    })
}

/// The addresses a message names as its recipients (To, Cc), and its Message-ID: what
/// SES's receipt tells on AWS, read off the message where there is no SES (the dev
/// server).
pub fn addressed(raw: &[u8]) -> (Vec<String>, Option<String>) {
    let Some(message) = MessageParser::default().parse_headers(raw) else {
        return (Vec::new(), None);
    };
    let recipients = [message.to(), message.cc()]
        .into_iter()
        .flatten()
        .flat_map(|list| list.iter())
        .filter_map(|a| a.address())
        .map(str::to_string)
        .collect();
    (recipients, message.message_id().map(str::to_string))
}
