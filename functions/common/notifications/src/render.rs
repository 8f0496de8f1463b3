//! What a notification says: a branded SayPro email (HTML and text) and a one-segment SMS.

use delivery::{Email, TextMessage};
use domain::html::escape;
use domain::notice::NoticeKind;
use domain::{Conversation, Message};

const PREVIEW_CHARS: usize = 140;
/// One GSM-7 SMS segment.
pub const SMS_SEGMENT: usize = 160;

/// Links the notifications carry.
#[derive(Debug, Clone)]
pub struct Links {
    /// The website, e.g. `https://www.saypro.online`.
    pub site: String,
    /// The unsubscribe page for this recipient, if the mail is non-essential.
    pub unsubscribe: Option<String>,
}

impl Links {
    pub fn conversation(&self, conversation: &Conversation, admin: bool) -> String {
        let area = if admin { "admin/messages" } else { "messages" };
        format!(
            "{}/{area}/{}",
            self.site.trim_end_matches('/'),
            conversation.id
        )
    }
}

/// The first words of a message, on one line.
pub fn preview(body: &str) -> String {
    let flat = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= PREVIEW_CHARS {
        return flat;
    }
    let cut: String = flat.chars().take(PREVIEW_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

fn headline(kind: NoticeKind, conversation: &Conversation) -> String {
    match kind {
        NoticeKind::UserMessage => format!("New message: {}", conversation.subject),
        NoticeKind::AdminReply => format!("SayPro Support replied: {}", conversation.subject),
        NoticeKind::Announcement => format!("From SayPro Support: {}", conversation.subject),
        NoticeKind::DirectMessage => format!("New message about {}", conversation.subject),
        NoticeKind::SlaWarning => format!("Answer due soon: {}", conversation.subject),
        NoticeKind::SlaEscalation => format!("Escalated, overdue: {}", conversation.subject),
        NoticeKind::Survey => format!("How did we do? {}", conversation.subject),
    }
}

/// The branded frame of every SayPro email: header, a heading, the content, the footer.
/// `content` and `footer` are HTML already escaped; `title` is text.
fn layout(title: &str, content: &str, footer: &str) -> String {
    format!(
        "<!doctype html><html><body style=\"margin:0;background:#f3f4f6;font-family:Arial,Helvetica,sans-serif\">\
<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\"><tr><td align=\"center\" style=\"padding:24px\">\
<table role=\"presentation\" width=\"560\" cellpadding=\"0\" cellspacing=\"0\" style=\"background:#ffffff;border-radius:8px\">\
<tr><td style=\"background:#0b5394;color:#ffffff;padding:16px 24px;font-size:20px;font-weight:bold;border-radius:8px 8px 0 0\">SayPro Classifieds</td></tr>\
<tr><td style=\"padding:24px;color:#111827\"><h1 style=\"font-size:18px;margin:0 0 16px\">{}</h1>{content}</td></tr>\
<tr><td style=\"padding:16px 24px;color:#6b7280;font-size:12px\">{footer}</td></tr></table></td></tr></table></body></html>",
        escape(title)
    )
}

pub fn email(
    to: &str,
    kind: NoticeKind,
    conversation: &Conversation,
    message: &Message,
    admin: bool,
    links: &Links,
) -> Email {
    let subject = headline(kind, conversation);
    let preview = preview(&message.preview_text());
    let link = links.conversation(conversation, admin);
    let mut text =
        format!("{subject}\n\n\"{preview}\"\n\nRead and reply: {link}\n\n— SayPro Classifieds\n");
    let mut footer = String::from(
        "You receive this because you take part in this conversation on SayPro Classifieds.",
    );
    if let Some(unsubscribe) = &links.unsubscribe {
        text.push_str(&format!("Stop these emails: {unsubscribe}\n"));
        footer.push_str(&format!(
            " <a href=\"{}\" style=\"color:#6b7280\">Stop these emails</a>.",
            escape(unsubscribe)
        ));
    }
    let content = format!(
        "<blockquote style=\"margin:0 0 24px;padding:12px 16px;background:#f9fafb;border-left:4px solid #0b5394;color:#374151\">{}</blockquote>\
<a href=\"{}\" style=\"display:inline-block;background:#0b5394;color:#ffffff;padding:10px 18px;border-radius:6px;text-decoration:none\">Read and reply</a>",
        escape(&preview),
        escape(&link)
    );
    let html = layout(&subject, &content, &footer);
    Email {
        to: to.to_string(),
        subject,
        html,
        text,
        unsubscribe: links.unsubscribe.clone(),
    }
}

/// The survey invitation: one button to the survey page (which records nothing until
/// the user submits it).
pub fn survey_email(to: &str, conversation: &Conversation, link: &str, unsubscribe: &str) -> Email {
    let subject = headline(NoticeKind::Survey, conversation);
    let text = format!(
        "{subject}\n\nYour conversation with SayPro Support was resolved. Tell us how we did \
(it takes a minute): {link}\n\n— SayPro Classifieds\nStop these emails: {unsubscribe}\n"
    );
    let content = format!(
        "<p style=\"margin:0 0 24px;color:#374151\">Your conversation with SayPro Support was resolved. \
Tell us how we did: it takes a minute.</p>\
<a href=\"{}\" style=\"display:inline-block;background:#0b5394;color:#ffffff;padding:10px 18px;border-radius:6px;text-decoration:none\">Rate the answer</a>",
        escape(link)
    );
    let footer = format!(
        "You receive this because you wrote to SayPro Support. <a href=\"{}\" style=\"color:#6b7280\">Stop these emails</a>.",
        escape(unsubscribe)
    );
    Email {
        to: to.to_string(),
        subject: subject.clone(),
        html: layout(&subject, &content, &footer),
        text,
        unsubscribe: Some(unsubscribe.to_string()),
    }
}

/// One line of a digest.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DigestEntry {
    pub conversation_id: String,
    pub title: String,
    pub preview: String,
    pub admin: bool,
    pub email: String,
}

/// One email summarising the messages of the day, newest first.
pub fn digest(to: &str, entries: &[DigestEntry], links: &Links) -> Email {
    let count = entries.len();
    let subject = format!("Your SayPro messages: {count} new");
    let mut text = format!("{subject}\n\n");
    let mut rows = String::new();
    for entry in entries {
        let link = format!(
            "{}/{}/{}",
            links.site.trim_end_matches('/'),
            if entry.admin {
                "admin/messages"
            } else {
                "messages"
            },
            entry.conversation_id
        );
        text.push_str(&format!(
            "* {}: \"{}\"\n  {link}\n",
            entry.title, entry.preview
        ));
        rows.push_str(&format!(
            "<tr><td style=\"padding:8px 0;border-bottom:1px solid #e5e7eb\"><a href=\"{}\" style=\"color:#0b5394;font-weight:bold\">{}</a><br><span style=\"color:#374151\">{}</span></td></tr>",
            escape(&link),
            escape(&entry.title),
            escape(&entry.preview)
        ));
    }
    text.push_str("\n— SayPro Classifieds\n");
    if let Some(unsubscribe) = &links.unsubscribe {
        text.push_str(&format!("Change or stop these emails: {unsubscribe}\n"));
    }
    let footer = links.unsubscribe.as_ref().map_or(String::new(), |u| {
        format!(
            "<a href=\"{}\" style=\"color:#6b7280\">Change or stop these emails</a>",
            escape(u)
        )
    });
    let html = layout(
        &subject,
        &format!("<table role=\"presentation\" width=\"100%\">{rows}</table>"),
        &footer,
    );
    Email {
        to: to.to_string(),
        subject,
        html,
        text,
        unsubscribe: links.unsubscribe.clone(),
    }
}

/// An SMS: who wrote about what, and the link; no message body. Fits one segment by
/// shortening the subject, and keeps to plain ASCII so it stays GSM-7.
pub fn sms(
    to: &str,
    kind: NoticeKind,
    conversation: &Conversation,
    admin: bool,
    links: &Links,
    urgent: bool,
) -> TextMessage {
    let link = links.conversation(conversation, admin);
    let lead = match (kind, urgent) {
        (NoticeKind::UserMessage, true) => "SayPro: URGENT message",
        (NoticeKind::UserMessage, false) => "SayPro: new message",
        (NoticeKind::AdminReply, _) => "SayPro Support replied",
        (NoticeKind::Announcement, _) => "From SayPro Support",
        (NoticeKind::DirectMessage, _) => "SayPro: new message",
        (NoticeKind::SlaWarning, _) => "SayPro: answer due soon",
        (NoticeKind::SlaEscalation, _) => "SayPro: ESCALATED, overdue",
        (NoticeKind::Survey, _) => "SayPro: how did we do?",
    };
    let ascii: String = conversation
        .subject
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                '?'
            }
        })
        .collect();
    let room = SMS_SEGMENT.saturating_sub(lead.len() + link.len() + 6);
    let subject = if ascii.len() <= room {
        ascii
    } else {
        format!("{}...", &ascii[..room.saturating_sub(3)])
    };
    TextMessage {
        to: to.to_string(),
        body: format!("{lead}: \"{subject}\" {link}"),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use domain::{ConversationType, Priority, SenderRole};

    fn conversation(subject: &str) -> Conversation {
        Conversation {
            id: "01CONV".into(),
            subject: subject.into(),
            priority: Priority::Urgent,
            ..Conversation::sample(ConversationType::Support)
        }
    }

    fn message(body: &str) -> Message {
        Message::new(
            "m".into(),
            "01CONV".into(),
            "u".into(),
            SenderRole::User,
            body.into(),
            Utc::now(),
            false,
        )
    }

    fn links() -> Links {
        Links {
            site: "https://www.saypro.online/".into(),
            unsubscribe: Some("https://api.saypro.online/v1/unsubscribe?token=t".into()),
        }
    }

    #[test]
    fn an_email_has_both_parts_the_subject_a_short_preview_a_link_and_an_unsubscribe_link() {
        let body = format!("Hello <b>there</b>   \n{}", "word ".repeat(100));
        let email = email(
            "a@b.co.za",
            NoticeKind::AdminReply,
            &conversation("Renew <ad>"),
            &message(&body),
            false,
            &links(),
        );
        assert_eq!(email.subject, "SayPro Support replied: Renew <ad>");
        assert!(
            email.html.contains("Renew &lt;ad&gt;") && !email.html.contains("<b>there"),
            "escaped"
        );
        assert!(
            email
                .text
                .contains("https://www.saypro.online/messages/01CONV")
        );
        assert!(
            email
                .html
                .contains("https://api.saypro.online/v1/unsubscribe?token=t")
        );
        assert!(
            email.text.chars().count() < 400,
            "a preview, not the whole message"
        );
        assert_eq!(
            email.unsubscribe.as_deref(),
            Some("https://api.saypro.online/v1/unsubscribe?token=t")
        );
    }

    #[test]
    fn an_sms_fits_one_segment_and_carries_no_message_body() {
        let long = "Payment taken twice for my featured advert on the Toyota Corolla listing in Pretoria — please help";
        let sms = sms(
            "+27820000000",
            NoticeKind::UserMessage,
            &conversation(long),
            true,
            &links(),
            true,
        );
        assert!(
            sms.body.len() <= SMS_SEGMENT,
            "{} chars: {}",
            sms.body.len(),
            sms.body
        );
        assert!(sms.body.is_ascii());
        assert!(
            sms.body
                .starts_with("SayPro: URGENT message: \"Payment taken twice")
        );
        assert!(
            sms.body
                .ends_with("https://www.saypro.online/admin/messages/01CONV")
        );
    }
}
