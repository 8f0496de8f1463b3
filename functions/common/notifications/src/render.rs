//! What a notification says: a branded SayPro email (HTML and text) and a one-segment SMS.
//! The emails' HTML is drawn by MiniJinja templates (`templates/`, one shared layout)
//! that escape every value they write; the text parts are written here.

use std::sync::LazyLock;

use minijinja::{Environment, Value};
use serde::Serialize;

use delivery::{Email, TextMessage};
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
        NoticeKind::SnoozeEnded => format!("Snooze over, open again: {}", conversation.subject),
        NoticeKind::Survey => format!("How did we do? {}", conversation.subject),
    }
}

/// The templates, compiled in (`domain::template::compiled`).
static TEMPLATES: LazyLock<Result<Environment<'static>, String>> = LazyLock::new(|| {
    domain::template::compiled(&[
        ("layout.html", include_str!("../templates/layout.html")),
        (
            "notification.html",
            include_str!("../templates/notification.html"),
        ),
        ("survey.html", include_str!("../templates/survey.html")),
        ("digest.html", include_str!("../templates/digest.html")),
        ("bounce.html", include_str!("../templates/bounce.html")),
    ])
});

fn try_render(name: &str, view: &impl Serialize) -> Result<String, String> {
    let environment = TEMPLATES.as_ref().map_err(Clone::clone)?;
    environment
        .get_template(name)
        .and_then(|template| template.render(Value::from(minijinja::value::Serde(view))))
        .map_err(|e| format!("{name}: {e:#}"))
}

/// An email's HTML from its template. The templates are compiled in and every one is
/// rendered by the tests, so this fails only by a bug in one: then it is logged, and
/// the HTML part is the text part, escaped, so the email still says everything.
fn render(name: &str, view: &impl Serialize, text: &str) -> String {
    try_render(name, view).unwrap_or_else(|error| {
        tracing::error!(%error, "an email template failed; sending its text as HTML");
        format!(
            "<!doctype html><html><body><pre style=\"font-family:Arial,Helvetica,sans-serif;white-space:pre-wrap\">{}</pre></body></html>",
            minijinja::HtmlEscape(text)
        )
    })
}

#[derive(Serialize)]
struct NotificationView<'a> {
    title: &'a str,
    preview: &'a str,
    link: &'a str,
    /// The email carries a reply address: answering it posts in the conversation.
    replies: bool,
    unsubscribe: Option<&'a str>,
}

#[derive(Serialize)]
struct SurveyView<'a> {
    title: &'a str,
    link: &'a str,
    unsubscribe: &'a str,
}

#[derive(Serialize)]
struct DigestLine<'a> {
    title: &'a str,
    preview: &'a str,
    link: String,
}

#[derive(Serialize)]
struct DigestView<'a> {
    title: &'a str,
    answer: &'a str,
    entries: Vec<DigestLine<'a>>,
    unsubscribe: Option<&'a str>,
}

pub fn email(
    to: &str,
    kind: NoticeKind,
    conversation: &Conversation,
    message: &Message,
    admin: bool,
    links: &Links,
    reply_to: Option<String>,
) -> Email {
    let subject = headline(kind, conversation);
    let preview = preview(&message.preview_text());
    let link = links.conversation(conversation, admin);
    let answer = if reply_to.is_some() {
        "Reply to this email to answer, or read and reply"
    } else {
        "Read and reply"
    };
    let mut text =
        format!("{subject}\n\n\"{preview}\"\n\n{answer}: {link}\n\n— SayPro Classifieds\n");
    if let Some(unsubscribe) = &links.unsubscribe {
        text.push_str(&format!("Stop these emails: {unsubscribe}\n"));
    }
    let view = NotificationView {
        title: &subject,
        preview: &preview,
        link: &link,
        replies: reply_to.is_some(),
        unsubscribe: links.unsubscribe.as_deref(),
    };
    let html = render("notification.html", &view, &text);
    Email {
        to: to.to_string(),
        subject,
        html,
        text,
        unsubscribe: links.unsubscribe.clone(),
        broadcast: message.broadcast_id.clone(),
        reply_to,
        auto_submitted: false,
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
    let view = SurveyView {
        title: &subject,
        link,
        unsubscribe,
    };
    Email {
        to: to.to_string(),
        html: render("survey.html", &view, &text),
        subject,
        text,
        unsubscribe: Some(unsubscribe.to_string()),
        broadcast: None,
        reply_to: None,
        auto_submitted: false,
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

#[derive(Serialize)]
struct BounceView<'a> {
    title: &'a str,
    reason: &'a str,
    link: &'a str,
}

/// The one short answer to an email reply that could not be posted: why, and where to
/// answer instead. Marked auto-submitted, so it is never answered back.
pub fn bounce(to: &str, subject: &str, reason: &str, site: &str) -> Email {
    let title = "Your reply was not posted";
    let subject = domain::validate::header_line(&format!("{title}: {subject}"));
    let link = format!("{}/messages", site.trim_end_matches('/'));
    let text = format!(
        "{title}.\n\n{reason}\n\nYour messages are on the website: {link}\n\n— SayPro Classifieds\n"
    );
    let view = BounceView {
        title,
        reason,
        link: &link,
    };
    Email {
        to: to.to_string(),
        html: render("bounce.html", &view, &text),
        subject,
        text,
        unsubscribe: None,
        broadcast: None,
        reply_to: None,
        auto_submitted: true,
    }
}

/// How a digest's reader answers: replies to a digest are not posted.
const DIGEST_ANSWER: &str =
    "To answer, open a conversation above: replies to this email are not posted.";

/// One email summarising the messages of the day, newest first.
pub fn digest(to: &str, entries: &[DigestEntry], links: &Links) -> Email {
    let count = entries.len();
    let subject = format!("Your SayPro messages: {count} new");
    let mut text = format!("{subject}\n\n");
    let mut lines = Vec::with_capacity(count);
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
        lines.push(DigestLine {
            title: &entry.title,
            preview: &entry.preview,
            link,
        });
    }
    // One email for several conversations has no one conversation a reply could go to.
    text.push_str(&format!("\n{DIGEST_ANSWER}\n\n— SayPro Classifieds\n"));
    if let Some(unsubscribe) = &links.unsubscribe {
        text.push_str(&format!("Change or stop these emails: {unsubscribe}\n"));
    }
    let view = DigestView {
        title: &subject,
        answer: DIGEST_ANSWER,
        entries: lines,
        unsubscribe: links.unsubscribe.as_deref(),
    };
    let html = render("digest.html", &view, &text);
    Email {
        to: to.to_string(),
        subject,
        html,
        text,
        unsubscribe: links.unsubscribe.clone(),
        broadcast: None,
        reply_to: None,
        auto_submitted: false,
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
        (NoticeKind::SnoozeEnded, _) => "SayPro: snooze over, open again",
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
            Some("reply+0123456789abcdefghjkmnpqrstvwxyz@saypro.online".into()),
        );
        assert_eq!(email.subject, "SayPro Support replied: Renew <ad>");
        assert_eq!(
            email.reply_to.as_deref(),
            Some("reply+0123456789abcdefghjkmnpqrstvwxyz@saypro.online")
        );
        assert!(
            email
                .text
                .contains("Reply to this email to answer, or read and reply: ")
        );
        assert!(email.html.contains("Or reply to this email"));
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
            email.html.contains(
                // MiniJinja's HTML escaping writes `/` as `&#x2f;`, as HTML reads it.
                "<a href=\"https:&#x2f;&#x2f;api.saypro.online&#x2f;v1&#x2f;unsubscribe?token=t\""
            ),
            "{}",
            email.html
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

    /// The HTML drawn by its template (not the fallback) in the shared layout.
    fn in_layout(html: &str, title: &str) {
        assert!(html.starts_with("<!doctype html>\n<html>"), "{html}");
        assert!(
            html.contains("font-weight:bold;border-radius:8px 8px 0 0\">SayPro Classifieds</td>")
        );
        assert!(html.contains(&format!(
            "<h1 style=\"font-size:18px;margin:0 0 16px\">{title}</h1>"
        )));
        assert!(!html.contains("<pre"), "{html}");
        assert!(html.trim_end().ends_with("</html>"));
    }

    #[test]
    fn every_email_escapes_what_users_wrote_and_keeps_its_text_part() {
        let script = "<script>alert('x')</script>";
        let escaped = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;&#x2f;script&gt;";
        let conversation = conversation(script);

        let notice = email(
            "a@b.co.za",
            NoticeKind::UserMessage,
            &conversation,
            &message(&format!("Hi {script} & bye")),
            true,
            &Links {
                unsubscribe: None,
                ..links()
            },
            None,
        );
        assert_eq!(notice.subject, format!("New message: {script}"));
        assert!(!notice.html.contains("<script"), "{}", notice.html);
        in_layout(&notice.html, &format!("New message: {escaped}"));
        assert!(
            notice
                .html
                .contains(&format!(">Hi {escaped} &amp; bye</blockquote>"))
        );
        assert!(
            !notice.html.contains("Stop these emails"),
            "nothing to stop"
        );
        assert_eq!(
            notice.text,
            format!(
                "New message: {script}\n\n\"Hi {script} & bye\"\n\nRead and reply: \
https://www.saypro.online/admin/messages/01CONV\n\n— SayPro Classifieds\n"
            )
        );

        let survey = survey_email(
            "a@b.co.za",
            &conversation,
            "https://www.saypro.online/surveys/t\"><script>",
            "https://api.saypro.online/v1/unsubscribe?token=t",
        );
        assert!(!survey.html.contains("<script"), "{}", survey.html);
        in_layout(&survey.html, &format!("How did we do? {escaped}"));
        assert!(
            survey
                .html
                .contains("surveys&#x2f;t&quot;&gt;&lt;script&gt;\"")
        );
        assert!(survey.html.contains(">Stop these emails</a>."));
        assert!(
            survey
                .text
                .starts_with(&format!("How did we do? {script}\n\nYour conversation"))
        );

        let entries = [DigestEntry {
            conversation_id: "01CONV".into(),
            title: script.into(),
            preview: "a < b".into(),
            admin: false,
            email: "a@b.co.za".into(),
        }];
        let digest = digest("a@b.co.za", &entries, &links());
        assert_eq!(digest.subject, "Your SayPro messages: 1 new");
        assert!(!digest.html.contains("<script"), "{}", digest.html);
        in_layout(&digest.html, "Your SayPro messages: 1 new");
        assert!(
            digest
                .html
                .contains(&format!("font-weight:bold\">{escaped}</a>"))
        );
        assert!(
            digest
                .html
                .contains("<span style=\"color:#374151\">a &lt; b</span>")
        );
        assert!(digest.html.contains(">Change or stop these emails</a>"));
        assert_eq!(
            digest.text,
            format!(
                "Your SayPro messages: 1 new\n\n* {script}: \"a < b\"\n  \
https://www.saypro.online/messages/01CONV\n\nTo answer, open a conversation above: \
replies to this email are not posted.\n\n— SayPro Classifieds\n\
Change or stop these emails: https://api.saypro.online/v1/unsubscribe?token=t\n"
            )
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
