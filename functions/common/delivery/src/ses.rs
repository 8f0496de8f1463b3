//! The Mailer on Amazon SES (v2 API).

use anyhow::Context;
use async_trait::async_trait;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::types::{
    Body, Content, Destination, EmailContent, Message, MessageHeader, MessageTag,
};

use super::{Email, Mailer, SendError};

pub struct SesMailer {
    client: Client,
    /// The verified sender, e.g. `SayPro Classifieds <messages@saypro.online>`.
    from: String,
    /// SES configuration set (event publishing of bounces and complaints), if any.
    configuration_set: Option<String>,
}

impl SesMailer {
    pub fn new(client: Client, from: impl Into<String>, configuration_set: Option<String>) -> Self {
        Self {
            client,
            from: from.into(),
            configuration_set,
        }
    }
}

fn content(text: &str) -> anyhow::Result<Content> {
    Ok(Content::builder().data(text).charset("UTF-8").build()?)
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, email: &Email) -> Result<(), SendError> {
        let headers = email.headers()?;
        let mut message = Message::builder().subject(content(&headers.subject)?).body(
            Body::builder()
                .html(content(&email.html)?)
                .text(content(&email.text)?)
                .build(),
        );
        if let Some(link) = &headers.unsubscribe {
            // The link opens the recipient's notification settings (not a one-click POST
            // endpoint), so no List-Unsubscribe-Post header is promised.
            let header = MessageHeader::builder()
                .name("List-Unsubscribe")
                .value(format!("<{link}>"))
                .build()
                .context("header")?;
            message = message.headers(header);
        }
        if email.auto_submitted {
            let header = MessageHeader::builder()
                .name("Auto-Submitted")
                .value("auto-replied")
                .build()
                .context("header")?;
            message = message.headers(header);
        }
        // Bounce events carry the message's tags: the broadcast a bounce is counted on.
        let tags = match &email.broadcast {
            Some(broadcast) => vec![
                MessageTag::builder()
                    .name(super::BROADCAST_TAG)
                    .value(broadcast)
                    .build()
                    .context("tag")?,
            ],
            None => Vec::new(),
        };
        let result = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(headers.to).build())
            .set_reply_to_addresses(headers.reply_to.map(|address| vec![address]))
            .content(EmailContent::builder().simple(message.build()).build())
            .set_email_tags((!tags.is_empty()).then_some(tags))
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await;
        result.map(drop).map_err(|error| {
            // A refused address or a suppressed recipient will not change on retry.
            super::classify(
                error,
                |e| {
                    e.is_message_rejected()
                        || e.is_account_suspended_exception()
                        || e.is_sending_paused_exception()
                },
                "ses send_email",
            )
        })
    }
}
