//! Replies by email: what the inbound-email function parsed of a reply is attributed by
//! its reply address (never by the From header alone) and posted through the API's own
//! operations, so the abuse filter, rate limits, SLA clocks, notifications and webhooks
//! treat it as any message. A redelivered email posts nothing twice: its mail id is the
//! post's idempotency key, and its files are written once under ids derived from it.

use chrono::Duration;
use serde::Serialize;
use tracing::instrument;

use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::idempotency::{Created, Idempotency};
use crate::{NewMessage, ReplyRequest};
use domain::attachment::{MAX_PER_MESSAGE, UploadRequest, check_upload, object_key};
use domain::directory::AgentProfile;
use domain::email_reply::{REOPEN_DAYS, ReplyAddress};
use domain::identity::{Caller, Claims};
use domain::{Conversation, Status};
use objects::Upload;
use store::keys::{account_key, conversation_key, reply_address_key};
use store::table::from_item;

/// A reply as received: who it claims to be from, to which reply address, the new text
/// (quoted history cut off) and its files.
#[derive(Debug, Clone)]
pub struct EmailReply {
    /// The receiving system's id of the email (SES's message id): received again, it is
    /// the same reply.
    pub mail_id: String,
    pub token: String,
    pub from: String,
    pub text: String,
    pub files: Vec<EmailFile>,
}

#[derive(Debug, Clone)]
pub struct EmailFile {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Where a reply was posted.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PostedReply {
    pub conversation_id: String,
    /// The message posted; none when the abuse filter held it for a moderator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    pub held: bool,
    /// Posted when this email was received before.
    pub replayed: bool,
}

/// The refusal of a reply address nobody may use now; the same for unknown and expired
/// tokens, so the answer tells nothing about which tokens exist.
fn unknown_address() -> ApiError {
    ApiError::forbidden(
        "this reply address is unknown or has expired: open the conversation from the link \
in the email to answer",
    )
}

impl App {
    /// Posts an email reply as the person its reply address was sent to, in that
    /// conversation; a refusal is the reason the bounce gives.
    #[instrument(skip_all, fields(mail = reply.mail_id))]
    pub async fn post_email_reply(&self, reply: &EmailReply) -> ApiResult<PostedReply> {
        let now = self.clock.now();
        let address: ReplyAddress = match self
            .table
            .get(&reply_address_key(&reply.token), true)
            .await?
        {
            Some(item) => from_item(item)?,
            None => return Err(unknown_address()),
        };
        if address.expired(now) {
            return Err(unknown_address());
        }
        if !address.sent_to(&reply.from) {
            return Err(ApiError::forbidden(
                "this reply address was sent to another email address: answer from the address \
the email came to",
            ));
        }
        let caller = self.email_caller(&address).await?;
        let conversation: Conversation = match self
            .table
            .get(&conversation_key(&address.conversation_id), true)
            .await?
        {
            Some(item) => from_item(item)?,
            None => return Err(ApiError::not_found("conversation")),
        };
        if conversation.status == Status::Resolved
            && conversation
                .resolved_at
                .is_some_and(|at| now - at > Duration::days(REOPEN_DAYS))
        {
            return Err(ApiError::conflict(format!(
                "this conversation was resolved more than {REOPEN_DAYS} days ago: start a new one \
on the website"
            )));
        }
        let key = format!("email:{}", reply.mail_id);
        let created = if address.admin {
            // The team's public answer, as from the console: the conversation goes pending.
            // (The console's replies carry no files, so neither do these.)
            let request = ReplyRequest {
                body: Some(reply.text.clone()),
                template_id: None,
                variables: None,
                internal: false,
                status: None,
            };
            let idempotency = Idempotency::new(caller.id(), &key, "email-reply", &reply.text)?;
            self.reply(&caller, &conversation.id, request, Some(&idempotency))
                .await?
        } else {
            let attachments = self.store_email_files(&caller, reply).await?;
            let request = NewMessage {
                body: reply.text.clone(),
                attachments,
            };
            let idempotency = Idempotency::new(caller.id(), &key, "email-reply", &request)?;
            self.post_message(&caller, &conversation.id, request, Some(&idempotency))
                .await?
        };
        let held = created.is_held();
        let (message_id, replayed) = match created {
            Created::New(message) => (Some(message.id), false),
            Created::Replayed(first) => (first["id"].as_str().map(str::to_string), true),
            Created::Held(_) => (None, false),
        };
        Ok(PostedReply {
            conversation_id: conversation.id,
            message_id,
            held,
            replayed,
        })
    }

    /// Who a reply address stands for, as a caller: a user with what the registry knows
    /// of them; an admin with the roles and teams the directory has now (someone no
    /// longer an admin cannot answer as one).
    async fn email_caller(&self, address: &ReplyAddress) -> ApiResult<Caller> {
        let claims = if address.admin {
            let profile: AgentProfile = self
                .agent_profile(&address.recipient)
                .await?
                .ok_or_else(unknown_address)?;
            let teams = profile.teams.iter().map(|t| format!("team-{t}"));
            Claims {
                sub: profile.id.clone(),
                email: Some(address.address.clone()),
                name: profile.contact.name.clone(),
                groups: profile.roles.iter().cloned().chain(teams).collect(),
                ..Claims::default()
            }
        } else {
            let account: Option<crate::UserAccount> = match self
                .table
                .get(&account_key(&address.recipient), true)
                .await?
            {
                Some(item) => Some(from_item(item)?),
                None => None,
            };
            Claims {
                sub: address.recipient.clone(),
                email: Some(address.address.clone()),
                name: account.as_ref().and_then(|a| a.contact.name.clone()),
                tier: account.and_then(|a| a.tier),
                ..Claims::default()
            }
        };
        let caller = Caller::new(claims).map_err(|e| ApiError::forbidden(e.to_string()))?;
        if address.admin && !caller.is_admin() {
            return Err(unknown_address());
        }
        Ok(caller)
    }

    /// An email's photos and PDFs, stored as the author's uploads (checked as a signed
    /// upload is, and again when the message names them); their ids.
    async fn store_email_files(
        &self,
        author: &Caller,
        reply: &EmailReply,
    ) -> ApiResult<Vec<String>> {
        if reply.files.len() > MAX_PER_MESSAGE {
            return Err(ApiError::invalid(format!(
                "attachments: at most {MAX_PER_MESSAGE} files in one message (the email had {})",
                reply.files.len()
            )));
        }
        let objects = self.objects()?;
        let mut ids = Vec::with_capacity(reply.files.len());
        for (n, file) in reply.files.iter().enumerate() {
            let request = UploadRequest {
                filename: file.filename.clone(),
                content_type: file.content_type.clone(),
                size: file.bytes.len() as u64,
            };
            let (kind, filename) = check_upload(&request, self.attachment_max_bytes)?;
            let id = file_id(&reply.mail_id, n);
            let key = object_key(author.id(), &id);
            let upload = Upload {
                key: &key,
                content_type: kind.content_type(),
                size: request.size,
                filename: &filename,
            };
            // Already there when the email is received again: the same file.
            objects.put(&upload, &file.bytes).await?;
            ids.push(id);
        }
        Ok(ids)
    }
}

/// The id of an email's `n`th file, derived from the email's id: the same each time
/// the email is handled, so a redelivery finds the file stored and names the same one.
fn file_id(mail_id: &str, n: usize) -> String {
    let digest = domain::digest::sha256(format!("{mail_id}\0{n}").as_bytes());
    let mut bits = [0u8; 16];
    bits[6..].copy_from_slice(&digest[..10]);
    ulid::Ulid::from_parts(0, u128::from_be_bytes(bits)).to_string()
}
