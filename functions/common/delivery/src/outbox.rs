//! The local stand-in for SES and SNS: every email and SMS "sent" is appended to a
//! JSON-lines file if one is given, and the most recent ones are kept in memory, in
//! order, for `GET /local/outbox` (a bounded number: a long load test must not keep
//! every email it caused in the server's memory).

use std::collections::VecDeque;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Email, Mailer, SendError, Sms, TextMessage};
use domain::clock::Clock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
}

/// One entry of the outbox, as `GET /local/outbox` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Sent {
    pub channel: Channel,
    pub to: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub body: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// An email's Reply-To: the address that posts a reply in its conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    pub sent_at: DateTime<Utc>,
}

/// How many entries the outbox keeps in memory (all of them are in its file).
pub const KEPT_IN_MEMORY: usize = 10_000;

pub struct Outbox {
    sent: Mutex<VecDeque<Sent>>,
    file: Option<PathBuf>,
    clock: Arc<dyn Clock>,
}

impl Outbox {
    /// `file`: where to append each entry as a JSON line (None: memory only).
    pub fn new(file: Option<PathBuf>, clock: Arc<dyn Clock>) -> Self {
        Self {
            sent: Mutex::new(VecDeque::new()),
            file,
            clock,
        }
    }

    /// What was sent, oldest first: everything, or the last [`KEPT_IN_MEMORY`].
    pub fn sent(&self) -> Vec<Sent> {
        let sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
        sent.iter().cloned().collect()
    }

    fn record(&self, entry: Sent) -> Result<(), SendError> {
        let mut sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(path) = &self.file {
            let mut line = serde_json::to_vec(&entry).context("encoding outbox entry")?;
            line.push(b'\n');
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .and_then(|mut f| f.write_all(&line))
                .with_context(|| format!("appending to {}", path.display()))?;
        }
        if sent.len() == KEPT_IN_MEMORY {
            sent.pop_front();
        }
        sent.push_back(entry);
        Ok(())
    }
}

#[async_trait]
impl Mailer for Outbox {
    async fn send(&self, email: &Email) -> Result<(), SendError> {
        let headers = email.headers()?;
        self.record(Sent {
            channel: Channel::Email,
            to: headers.to,
            subject: Some(headers.subject),
            body: email.text.clone(),
            html: Some(email.html.clone()),
            reply_to: headers.reply_to,
            sent_at: self.clock.now(),
        })
    }
}

#[async_trait]
impl Sms for Outbox {
    async fn send(&self, message: &TextMessage) -> Result<(), SendError> {
        self.record(Sent {
            channel: Channel::Sms,
            to: message.to.clone(),
            subject: None,
            body: message.body.clone(),
            html: None,
            reply_to: None,
            sent_at: self.clock.now(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_keeps_the_latest_entries_only() {
        let clock = Arc::new(domain::clock::ManualClock::new(DateTime::UNIX_EPOCH));
        let outbox = Outbox::new(None, clock);
        for n in 0..KEPT_IN_MEMORY + 3 {
            let text = TextMessage {
                to: "+27820000000".into(),
                body: format!("message {n}"),
            };
            Sms::send(&outbox, &text).await.unwrap();
        }
        let sent = outbox.sent();
        assert_eq!(sent.len(), KEPT_IN_MEMORY);
        assert_eq!(sent[0].body, "message 3");
        assert_eq!(
            sent[KEPT_IN_MEMORY - 1].body,
            format!("message {}", KEPT_IN_MEMORY + 2)
        );
    }

    #[tokio::test]
    async fn an_email_is_recorded_with_its_headers_on_one_line_or_not_at_all() {
        let clock = Arc::new(domain::clock::ManualClock::new(DateTime::UNIX_EPOCH));
        let outbox = Outbox::new(None, clock);
        let email = |to: &str| Email {
            to: to.into(),
            subject: "Hello\r\nBcc: evil@x.test".into(),
            html: "h".into(),
            text: "t".into(),
            unsubscribe: None,
            broadcast: None,
            reply_to: None,
            auto_submitted: false,
        };
        Mailer::send(&outbox, &email("thandi@example.co.za"))
            .await
            .unwrap();
        assert_eq!(
            outbox.sent()[0].subject.as_deref(),
            Some("Hello  Bcc: evil@x.test")
        );
        let refused = Mailer::send(&outbox, &email("thandi@example.co.za\nBcc: evil@x.test")).await;
        assert!(matches!(refused, Err(SendError::Rejected(_))));
        assert_eq!(outbox.sent().len(), 1);
    }
}
