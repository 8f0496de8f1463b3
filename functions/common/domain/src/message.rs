use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::attachment::Attachment;
use super::sla::SlaAction;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SenderRole {
    User,
    Admin,
    System,
}

/// A message as stored and as the API shows it (`Message` in the OpenAPI document).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Message {
    pub id: String,
    pub conversation_id: String,
    pub sender_id: String,
    pub sender_role: SenderRole,
    pub body: String,
    pub created_at: DateTime<Utc>,
    /// Internal notes are for the admin team only; users never see them.
    pub internal: bool,
    #[schema(required = true)]
    pub template_id: Option<String>,
    /// On the SLA check's internal notes: what it did (warned, escalated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla_alert: Option<SlaAction>,
    /// On the SLA check's internal note when a snooze ended and the conversation reopened.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub snooze_ended: bool,
    /// Sent by automation (an acknowledgement or an automatic answer), not by a person.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub automated: bool,
    /// On the message a broadcast delivered: which broadcast.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broadcast_id: Option<String>,
    /// The abuse filter's caution, shown to the recipient beside the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    /// The links in the body, as structured entities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<super::safety::Link>,
    /// A moderator hid it: participants see that it was removed, not what it said.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hidden: bool,
    /// Its author erased their messages: the body is gone, its time and sender stay.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub erased: bool,
    /// Files it carries (downloaded through the attachment route).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// What is left of a message its author erased.
pub const ERASED_BODY: &str = "This message was deleted by its author.";

/// What participants see instead of a message a moderator hid.
pub const HIDDEN_BODY: &str = "This message was removed by a SayPro moderator.";

impl Message {
    /// A plain message: who wrote what, where and when; nothing else set.
    pub fn new(
        id: String,
        conversation_id: String,
        sender_id: String,
        sender_role: SenderRole,
        body: String,
        created_at: DateTime<Utc>,
        internal: bool,
    ) -> Self {
        Self {
            id,
            conversation_id,
            sender_id,
            sender_role,
            body,
            created_at,
            internal,
            template_id: None,
            sla_alert: None,
            snooze_ended: false,
            automated: false,
            broadcast_id: None,
            warning: None,
            links: Vec::new(),
            hidden: false,
            erased: false,
            attachments: Vec::new(),
        }
    }

    /// What a notification quotes: the text, or which files were sent without any.
    pub fn preview_text(&self) -> String {
        match (self.body.is_empty(), self.attachments.as_slice()) {
            (true, [one]) => format!("Sent a file: {}", one.filename),
            (true, [_, ..]) => format!("Sent {} files", self.attachments.len()),
            _ => self.body.clone(),
        }
    }

    /// The message as the conversation's participants see it (moderators and admins see
    /// a hidden message's original).
    pub fn as_participants_see_it(mut self) -> Self {
        if self.hidden {
            self.body = HIDDEN_BODY.to_string();
            self.links.clear();
            self.warning = None;
            self.attachments.clear();
        }
        self
    }
}
