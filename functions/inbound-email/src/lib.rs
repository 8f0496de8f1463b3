//! `inbound-email`: replies by email. SES receives mail for the sender domain, stores the
//! raw message in S3 (`INBOUND_BUCKET`, under `INBOUND_PREFIX`) and invokes this
//! function with the receipt: the recipients and SES's verdicts. A reply to a reply
//! address (`reply+<token>@<domain>`) is posted in its conversation as the person the
//! address was sent to; mail that cannot be taken gets one short bounce saying why; mail
//! a machine sent (auto-replies, delivery reports, our own) is dropped and counted.
//! The dev server hands raw messages to [`Inbound::receive`] the same way
//! (`POST /local/inbound-email`).

pub mod parse;

use std::sync::Arc;

use aws_lambda_events::ses::SimpleEmailEvent;
use serde::Serialize;

use common::delivery::{Mailer, SendError};
use common::domain::email_reply::{MAX_RAW_BYTES, token_of};
use common::messaging::{ApiError, AppState, EmailReply, PostedReply};
use common::metering::emf;
use common::notifications::render;
use common::store::keys::inbound_mail_key;
use common::store::record_item;
use common::store::table::schema::TTL;
use common::store::table::{Condition, TableError, Value, WriteOp};

/// SES's verdicts on a received message (`PASS`, `FAIL`, `GRAY`,
/// `PROCESSING_FAILED`); the dev server's pass unless a test says otherwise.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Verdicts {
    pub spf: Option<String>,
    pub dkim: Option<String>,
    pub spam: Option<String>,
    pub virus: Option<String>,
}

fn failed(verdict: &Option<String>) -> bool {
    verdict
        .as_deref()
        .is_some_and(|v| v.eq_ignore_ascii_case("FAIL"))
}

/// How a received email arrived: its id (SES's message id) and envelope recipients.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub mail_id: String,
    pub recipients: Vec<String>,
    pub verdicts: Verdicts,
}

/// The envelope of a raw message received without SES (the dev server): its To and Cc as
/// recipients, and its Message-ID (or, without one, a digest of its bytes) as its id, so
/// the same message received twice is the same email.
pub fn envelope_of(raw: &[u8], verdicts: Verdicts) -> Envelope {
    let (recipients, message_id) = parse::addressed(raw);
    let digest = || common::domain::digest::hex(&common::domain::digest::sha256(raw));
    let mail_id = message_id
        .filter(|id| !id.is_empty() && id.len() <= 200 && id.chars().all(|c| c.is_ascii_graphic()))
        .map(|id| format!("local-{id}"))
        .unwrap_or_else(|| format!("local-{}", digest()));
    Envelope {
        mail_id,
        recipients,
        verdicts,
    }
}

/// What became of one received email.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Posted in its conversation (or held there for a moderator, as any message).
    Posted(PostedReply),
    /// Refused: the sender was told why, once.
    Bounced { reason: String },
    /// Sent by a machine, or not worth an answer: dropped without one, and counted.
    Dropped { reason: String },
}

/// What the function needs: the API's operations, a mailer for bounces, the reply
/// domain, and the sender address our own mail comes from.
pub struct Inbound {
    pub app: AppState,
    pub mailer: Arc<dyn Mailer>,
    /// Reply addresses are `reply+<token>@<reply_domain>`.
    pub reply_domain: String,
    /// The address our notifications come from (`SES_FROM`'s address).
    pub from_address: String,
    /// The website, for the bounce's link back.
    pub site_url: String,
}

/// How long what became of an email is remembered: the inbound bucket's default keeping
/// (`InboundMailDays`), beyond which the raw email is gone and cannot be handed over again.
const OUTCOME_DAYS: i64 = 30;

/// Why an email is not posted.
enum Refusal {
    /// Sent by a machine, or not worth an answer.
    Drop(&'static str),
    /// The sender is told this.
    Bounce(String),
}

/// A refusal the sender can act on, as the bounce says it; `None` for a failure of our
/// own (the table unavailable), which is retried instead.
fn refusal(error: &ApiError) -> Option<String> {
    match error {
        ApiError::Unavailable(_) | ApiError::Unexpected(_) => None,
        other => Some(other.to_string()),
    }
}

impl Inbound {
    /// Takes one received email: posts it, bounces it or drops it. Handling the same
    /// email again (SES retries, a replayed event) posts, bounces and counts nothing twice.
    pub async fn receive(&self, envelope: &Envelope, raw: &[u8]) -> anyhow::Result<Outcome> {
        let Some(received) = parse::read(raw) else {
            return self.drop(envelope, "unreadable").await;
        };
        let Some(from) = received.from.clone() else {
            return self.drop(envelope, "no_sender").await;
        };
        let reply = match self.taken(envelope, raw, &received, &from) {
            Ok(reply) => reply,
            Err(Refusal::Drop(reason)) => return self.drop(envelope, reason).await,
            Err(Refusal::Bounce(reason)) => {
                return self
                    .bounce(envelope, &from, &received.subject, &reason)
                    .await;
            }
        };
        match self.app.post_email_reply(&reply).await {
            Ok(posted) => {
                if !posted.replayed {
                    emf::counts(&[("InboundEmailPosted", 1)]);
                }
                tracing::info!(
                    mail = envelope.mail_id,
                    conversation = posted.conversation_id,
                    held = posted.held,
                    "email reply posted"
                );
                Ok(Outcome::Posted(posted))
            }
            Err(error) => match refusal(&error) {
                Some(reason) => {
                    self.bounce(envelope, &from, &received.subject, &reason)
                        .await
                }
                None => Err(anyhow::Error::new(error).context("posting an email reply")),
            },
        }
    }

    /// The reply to post, or why the email is not taken: the checks that need nothing
    /// stored (the address's own are the operation's, `App::post_email_reply`).
    fn taken(
        &self,
        envelope: &Envelope,
        raw: &[u8],
        received: &parse::Received,
        from: &str,
    ) -> Result<EmailReply, Refusal> {
        if let Some(reason) = received.automatic {
            return Err(Refusal::Drop(reason));
        }
        let own = from.eq_ignore_ascii_case(&self.from_address)
            || from
                .rsplit_once('@')
                .is_some_and(|(_, domain)| domain.eq_ignore_ascii_case(&self.reply_domain));
        if own {
            return Err(Refusal::Drop("loop"));
        }
        // Malware and spam get no answer: the From of either is usually forged.
        if failed(&envelope.verdicts.virus) || failed(&envelope.verdicts.spam) {
            return Err(Refusal::Drop("spam_or_virus"));
        }
        if raw.len() > MAX_RAW_BYTES {
            return Err(Refusal::Bounce(format!(
                "The email was too large ({} MB; at most {} MB with its files).",
                raw.len() / (1024 * 1024),
                MAX_RAW_BYTES / (1024 * 1024)
            )));
        }
        if failed(&envelope.verdicts.spf) || failed(&envelope.verdicts.dkim) {
            return Err(Refusal::Bounce(
                "Your email provider could not confirm the email came from your address (SPF or \
DKIM failed), so it was not posted."
                    .into(),
            ));
        }
        let token = envelope
            .recipients
            .iter()
            .find_map(|to| token_of(to, &self.reply_domain))
            .ok_or_else(|| {
                Refusal::Bounce(
                    "This address does not take messages: answer a conversation by replying to \
its notification email, or on the website."
                        .into(),
                )
            })?;
        if received.text.is_empty() && received.files.is_empty() {
            return Err(Refusal::Bounce(
                "We found no reply in your email: write your answer above the quoted message."
                    .into(),
            ));
        }
        Ok(EmailReply {
            mail_id: envelope.mail_id.clone(),
            token,
            from: from.to_string(),
            text: received.text.clone(),
            files: received.files.clone(),
        })
    }

    /// Records what became of the email, once: `false` if an earlier handling did.
    /// Kept as long as the raw email may be handed over again (SES retries within hours;
    /// an operator replays a queued event within days), then removed (TTL).
    async fn record_once(&self, envelope: &Envelope, outcome: &Outcome) -> anyhow::Result<bool> {
        let mut item = record_item(&inbound_mail_key(&envelope.mail_id), outcome)?;
        let expires = self.app.clock.now() + chrono::Duration::days(OUTCOME_DAYS);
        item.insert(TTL.into(), Value::n(expires.timestamp()));
        let write = WriteOp::Put {
            item,
            condition: Some(Condition::NotExists),
        };
        match self.app.table.write(vec![write]).await {
            Ok(()) => Ok(true),
            Err(TableError::ConditionFailed { .. }) => Ok(false),
            Err(other) => Err(other.into()),
        }
    }

    async fn drop(&self, envelope: &Envelope, reason: &str) -> anyhow::Result<Outcome> {
        let outcome = Outcome::Dropped {
            reason: reason.to_string(),
        };
        if self.record_once(envelope, &outcome).await? {
            emf::counts(&[("InboundEmailDropped", 1)]);
            tracing::info!(mail = envelope.mail_id, reason, "email dropped");
        }
        Ok(outcome)
    }

    /// One short bounce to the sender. The record is written first, so a redelivery does
    /// not bounce again; if the send fails, it is removed and the email handled again.
    async fn bounce(
        &self,
        envelope: &Envelope,
        to: &str,
        subject: &str,
        reason: &str,
    ) -> anyhow::Result<Outcome> {
        let outcome = Outcome::Bounced {
            reason: reason.to_string(),
        };
        if !self.record_once(envelope, &outcome).await? {
            return Ok(outcome);
        }
        let email = render::bounce(to, subject, reason, &self.site_url);
        match self.mailer.send(&email).await {
            // An address SES will not send to is not worth another try.
            Ok(()) | Err(SendError::Rejected(_)) => {}
            Err(SendError::Unavailable(error)) => {
                let release = WriteOp::Delete {
                    key: inbound_mail_key(&envelope.mail_id),
                    condition: None,
                };
                self.app.table.write(vec![release]).await?;
                return Err(error.context("sending a bounce"));
            }
        }
        emf::counts(&[("InboundEmailBounced", 1)]);
        tracing::info!(mail = envelope.mail_id, reason, "email reply bounced");
        Ok(outcome)
    }
}

/// Where SES stored each raw message: `<prefix><message id>` in the inbound bucket.
pub struct RawStore {
    pub client: aws_sdk_s3::Client,
    pub bucket: String,
    pub prefix: String,
}

impl RawStore {
    async fn get(&self, mail_id: &str) -> anyhow::Result<Vec<u8>> {
        let key = format!("{}{mail_id}", self.prefix);
        let object = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&key)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e).context(format!("s3 get_object {key}")))?;
        Ok(object.body.collect().await?.into_bytes().to_vec())
    }
}

/// The SES receipt event: each record's raw message read from S3 and received.
pub async fn handle(
    inbound: &Inbound,
    raw: &RawStore,
    event: SimpleEmailEvent,
) -> anyhow::Result<Vec<Outcome>> {
    let mut outcomes = Vec::with_capacity(event.records.len());
    for record in event.records {
        let mail = record.ses.mail;
        let receipt = record.ses.receipt;
        let mail_id = mail
            .message_id
            .ok_or_else(|| anyhow::anyhow!("an SES receipt without a message id"))?;
        let envelope = Envelope {
            recipients: receipt.recipients,
            verdicts: Verdicts {
                spf: receipt.spf_verdict.status,
                dkim: receipt.dkim_verdict.status,
                spam: receipt.spam_verdict.status,
                virus: receipt.virus_verdict.status,
            },
            mail_id,
        };
        let bytes = raw.get(&envelope.mail_id).await?;
        outcomes.push(inbound.receive(&envelope, &bytes).await?);
    }
    Ok(outcomes)
}
