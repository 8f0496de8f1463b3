//! The local stand-in for SES and SNS: every email and SMS "sent" is kept in order, in
//! memory (for `GET /local/outbox`) and appended to a JSON-lines file if one is given.

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
    pub sent_at: DateTime<Utc>,
}

pub struct Outbox {
    sent: Mutex<Vec<Sent>>,
    file: Option<PathBuf>,
    clock: Arc<dyn Clock>,
}

impl Outbox {
    /// `file`: where to append each entry as a JSON line (None: memory only).
    pub fn new(file: Option<PathBuf>, clock: Arc<dyn Clock>) -> Self {
        Self {
            sent: Mutex::new(Vec::new()),
            file,
            clock,
        }
    }

    /// Everything sent so far, oldest first.
    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap_or_else(|p| p.into_inner()).clone()
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
        sent.push(entry);
        Ok(())
    }
}

#[async_trait]
impl Mailer for Outbox {
    async fn send(&self, email: &Email) -> Result<(), SendError> {
        self.record(Sent {
            channel: Channel::Email,
            to: email.to.clone(),
            subject: Some(email.subject.clone()),
            body: email.text.clone(),
            html: Some(email.html.clone()),
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
            sent_at: self.clock.now(),
        })
    }
}
