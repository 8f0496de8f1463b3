//! Outbound webhooks, so a CRM or ticketing system can follow inquiries: which events
//! there are, how a delivery is signed, and when a failed one is tried again.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::{Rejection, Result};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
pub enum WebhookEvent {
    #[serde(rename = "conversation.created")]
    ConversationCreated,
    #[serde(rename = "message.created")]
    MessageCreated,
    #[serde(rename = "status.changed")]
    StatusChanged,
    #[serde(rename = "sla.breached")]
    SlaBreached,
}

impl WebhookEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookEvent::ConversationCreated => "conversation.created",
            WebhookEvent::MessageCreated => "message.created",
            WebhookEvent::StatusChanged => "status.changed",
            WebhookEvent::SlaBreached => "sla.breached",
        }
    }
}

/// Waits before each retry of a failed delivery; after the last, it is given up (and
/// stays in the delivery log as failed).
const RETRY_MINUTES: [i64; 5] = [1, 5, 30, 120, 720];

/// When to try again after failed attempt number `attempt` (1 for the first).
pub fn retry_after(attempt: u32) -> Option<Duration> {
    RETRY_MINUTES
        .get(attempt as usize - 1)
        .map(|m| Duration::minutes(*m))
}

/// The `X-SayPro-Signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of
/// "<t>.<body>" with the endpoint's secret>`. Receivers recompute it and reject old `t`s,
/// so a captured delivery cannot be replayed later.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let digest =
        crate::digest::hmac_hex(secret.as_bytes(), format!("{timestamp}.{body}").as_bytes());
    format!("t={timestamp},v1={digest}")
}

/// An endpoint URL: https (http only to this machine, for local receivers and tests).
pub fn check_url(url: &str) -> Result<String> {
    let url = url.trim();
    let local = ["http://127.0.0.1", "http://localhost"]
        .iter()
        .any(|prefix| url.starts_with(prefix));
    let ok = (url.starts_with("https://") || local)
        && url.len() <= 2_000
        && !url.chars().any(char::is_whitespace);
    if ok {
        Ok(url.to_string())
    } else {
        Err(Rejection::invalid(
            "url: an https:// URL (http:// only to 127.0.0.1 or localhost)",
        ))
    }
}

/// An endpoint a manager registered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    pub events: Vec<WebhookEvent>,
    pub secret: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Delivered,
    /// Failed; tried again at `next_attempt_at`.
    Retrying,
    /// Failed every attempt.
    Failed,
}

/// One delivery, as the log shows it (`GET /v1/admin/webhooks/{id}/deliveries`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Delivery {
    pub id: String,
    pub event: WebhookEvent,
    pub state: DeliveryState,
    pub attempts: u32,
    /// The receiver's last answer, or why there was none.
    pub last_result: String,
    pub created_at: DateTime<Utc>,
    #[schema(required = true)]
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// What was (and will be) posted.
    pub payload: String,
    pub expires_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_is_the_hmac_of_time_and_body() {
        // Known answer, from Python: hmac.new(b"secret", b"1700000000.{}", sha256).
        assert_eq!(
            signature("secret", 1_700_000_000, "{}"),
            "t=1700000000,v1=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163"
        );
        assert_ne!(
            signature("secret", 1_700_000_001, "{}"),
            signature("secret", 1_700_000_000, "{}")
        );
    }

    #[test]
    fn retries_back_off_then_give_up() {
        assert_eq!(retry_after(1), Some(Duration::minutes(1)));
        assert_eq!(retry_after(5), Some(Duration::minutes(720)));
        assert_eq!(retry_after(6), None);
    }

    #[test]
    fn only_https_or_local_http_urls() {
        assert!(check_url("https://crm.example.com/hooks/saypro").is_ok());
        assert!(check_url("http://127.0.0.1:9000/hook").is_ok());
        assert!(check_url("http://crm.example.com/hook").is_err());
        assert!(check_url("ftp://x").is_err());
    }
}
