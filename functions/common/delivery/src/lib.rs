//! Delivery channels: the Mailer (email) and Sms ports, with their AWS adapters (SES v2,
//! SNS) and the local outbox that stands in for both in the dev server and tests; and
//! the webhook poster (HTTPS) for integrations.

pub mod outbox;
pub mod poster;
pub mod push;
pub mod ses;
pub mod sns;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// One email, ready to send: both an HTML and a plain-text part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub html: String,
    pub text: String,
    /// One-click unsubscribe address for non-essential mail (List-Unsubscribe).
    pub unsubscribe: Option<String>,
    /// The broadcast it carries, if any: tagged on the sent message (SES tag
    /// [`BROADCAST_TAG`]), so that a bounce is counted on the broadcast.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broadcast: Option<String>,
    /// Where a reply goes: the conversation's reply address for this recipient
    /// (`domain::email_reply`), so answering the email posts in the conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// Sent by the system in answer to mail (a refused email reply): marked
    /// `Auto-Submitted: auto-replied` (RFC 3834), so other systems do not answer it back.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub auto_submitted: bool,
}

/// The SES message tag naming the broadcast an email carries (bounce events repeat it).
pub const BROADCAST_TAG: &str = "broadcast";

/// One SMS to an E.164 number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextMessage {
    pub to: String,
    pub body: String,
}

/// An email's header fields, as a mailer may write them.
pub struct Headers {
    pub to: String,
    pub subject: String,
    pub unsubscribe: Option<String>,
    pub reply_to: Option<String>,
}

impl Email {
    /// The header fields fit to write: the recipient an email address, the subject and
    /// the unsubscribe link one line without control characters (a CR/LF would start a
    /// header of its own: `Bcc:`). Input is checked where it enters (claims, the user
    /// registry, subjects); this holds for whatever reaches a mailer all the same. A
    /// recipient that is not an address is rejected for good.
    pub fn headers(&self) -> Result<Headers, SendError> {
        let to = domain::validate::email("to", &self.to)
            .map_err(|e| SendError::Rejected(e.to_string()))?;
        Ok(Headers {
            to,
            subject: domain::validate::header_line(&self.subject),
            unsubscribe: self
                .unsubscribe
                .as_deref()
                .map(domain::validate::header_line),
            reply_to: match &self.reply_to {
                Some(address) => Some(
                    domain::validate::email("reply_to", address)
                        .map_err(|e| SendError::Rejected(e.to_string()))?,
                ),
                None => None,
            },
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The provider refused this message for good (bad address, opted out): retrying
    /// cannot help.
    #[error("rejected: {0}")]
    Rejected(String),
    /// The provider could not take it now (throttled, down): retry later.
    #[error(transparent)]
    Unavailable(#[from] anyhow::Error),
}

/// An AWS provider's failure as a [`SendError`]: rejected for good where `permanent`
/// says so (retrying cannot help), otherwise unavailable (the record is retried).
fn classify<E, R>(
    error: aws_sdk_sesv2::error::SdkError<E, R>,
    permanent: impl FnOnce(&E) -> bool,
    operation: &'static str,
) -> SendError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    if error.as_service_error().is_some_and(permanent) {
        SendError::Rejected(aws_sdk_sesv2::error::DisplayErrorContext(&error).to_string())
    } else {
        SendError::Unavailable(anyhow::Error::new(error).context(operation))
    }
}

#[async_trait]
pub trait Mailer: Send + Sync + 'static {
    async fn send(&self, email: &Email) -> Result<(), SendError>;
}

#[async_trait]
pub trait Sms: Send + Sync + 'static {
    async fn send(&self, message: &TextMessage) -> Result<(), SendError>;
}

/// Why a webhook delivery got no answer.
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    /// The request could not be built (a URL or header the HTTP stack refuses).
    #[error("bad request: {0}")]
    Request(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// No connection, or it broke before an answer.
    #[error("unreachable: {0}")]
    Unreachable(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("no answer within {} s", .0.as_secs())]
    Timeout(std::time::Duration),
    /// Not a destination webhooks may reach (`domain::webhook::Reach`).
    #[error("refused: {0}")]
    Refused(String),
}

/// Posts a signed webhook delivery; the answer's status code, or why there was none.
#[async_trait]
pub trait WebhookPoster: Send + Sync + 'static {
    async fn post(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: &str,
    ) -> Result<u16, PostError>;
}
