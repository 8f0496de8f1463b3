//! Real-time push over a WebSocket: the events the server sends, the actions a client
//! may send, who a connection belongs to, and the one rule of who hears what. Every
//! event reaches the connections of those who could read its object through the API
//! now, and nobody else: a conversation's participants (internal notes never), and the
//! admins who work its team for a support conversation (never a buyer–seller thread).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::conversation::{ADMIN_SIDE, Conversation, ConversationType, ConversationView};
use crate::identity::{Caller, Team};
use crate::message::Message;
use crate::notice::{Notification, UnreadCounts};

/// How long a ticket may wait for its socket: it is spent on the upgrade.
pub const TICKET_SECONDS: i64 = 60;

/// API Gateway closes a WebSocket after two hours; a connection's rows outlive that a
/// little (DynamoDB TTL), so a lost `$disconnect` leaves nothing behind for long.
pub fn connection_expiry(connected_at: DateTime<Utc>) -> DateTime<Utc> {
    connected_at + Duration::hours(2) + Duration::minutes(10)
}

/// Who a connection belongs to, as their token said when the ticket was issued: what
/// deciding who hears an event needs, kept with the connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listener {
    pub user_id: String,
    /// An agent, senior or manager: hears the support conversations of `teams`.
    pub admin: bool,
    /// The teams whose support conversations they hear (every team for seniors and
    /// managers); none for users.
    pub teams: Vec<Team>,
}

impl Listener {
    pub fn of(caller: &Caller) -> Self {
        let admin = caller.is_admin();
        Self {
            user_id: caller.id().to_string(),
            admin,
            teams: if admin {
                caller.queue_teams()
            } else {
                Vec::new()
            },
        }
    }

    /// Whether they could read the conversation through the API now: a participant, or
    /// an admin of its team for a support conversation.
    pub fn may_see(&self, conversation: &Conversation) -> bool {
        conversation.is_participant(&self.user_id) || self.works(conversation)
    }

    /// Whether they hear of it as the admin team rather than as a participant.
    pub fn works(&self, conversation: &Conversation) -> bool {
        self.admin
            && conversation.kind == ConversationType::Support
            && conversation.team.is_some_and(|t| self.teams.contains(&t))
    }

    /// Whether they may read this message of a conversation they may see: internal
    /// notes are the admin team's only.
    pub fn may_read(&self, conversation: &Conversation, message: &Message) -> bool {
        if message.internal {
            self.works(conversation)
        } else {
            self.may_see(conversation)
        }
    }

    /// Whose unread count and read position is theirs: their own, or the admin side's.
    pub fn reader(&self, conversation: &Conversation) -> String {
        if self.works(conversation) && !conversation.is_participant(&self.user_id) {
            ADMIN_SIDE.to_string()
        } else {
            self.user_id.clone()
        }
    }

    /// The message as they may see it (a participant sees a hidden message as removed).
    pub fn view_of(&self, conversation: &Conversation, message: &Message) -> Message {
        if self.works(conversation) {
            message.clone()
        } else {
            message.clone().as_participants_see_it()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Toggle {
    On,
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Online,
    /// Connected, but the console has been idle (the client says so).
    Away,
    Offline,
}

/// What the server sends, one JSON text frame each.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type")]
pub enum Event {
    /// A message was stored in a conversation the receiver may see (not their own).
    #[serde(rename = "message.created")]
    MessageCreated {
        conversation_id: String,
        message: Message,
    },
    /// The conversation changed (status, assignee, priority, team, SLA, unread count),
    /// as the receiver sees it.
    #[serde(rename = "conversation.updated")]
    ConversationUpdated { conversation: ConversationView },
    /// The other side read up to a message: "Seen". The admin side reads as the team
    /// (`reader_id` is `@admins`), so users never learn which admin read.
    #[serde(rename = "conversation.read")]
    ConversationRead {
        conversation_id: String,
        reader_id: String,
        message_id: String,
        read_at: DateTime<Utc>,
    },
    /// Someone is typing in a conversation the receiver may see (relayed, not stored).
    #[serde(rename = "typing")]
    Typing {
        conversation_id: String,
        user_id: String,
        state: Toggle,
    },
    /// An admin came online, stepped away or went offline (admins only: the console's
    /// "who is on"). On connecting, an admin gets one for each admin of their teams
    /// already on.
    #[serde(rename = "presence")]
    Presence { user_id: String, status: Presence },
    /// Another admin opened or left a conversation (admins only: so two do not answer
    /// at once).
    #[serde(rename = "viewing")]
    Viewing {
        conversation_id: String,
        user_id: String,
        state: Toggle,
    },
    /// A new in-app notification of the receiver's.
    #[serde(rename = "notification.created")]
    NotificationCreated { notification: Notification },
    /// The receiver's unread counts changed (as `GET /v1/notifications/unread-counts`).
    #[serde(rename = "unread.changed")]
    UnreadChanged { counts: UnreadCounts },
    /// The answer to a ping.
    #[serde(rename = "pong")]
    Pong,
    /// An action the server could not take: what was wrong with it.
    #[serde(rename = "error")]
    Error { message: String },
}

impl Event {
    pub fn error(message: &str) -> Self {
        Event::Error {
            message: message.to_string(),
        }
    }

    pub fn to_json(&self) -> String {
        // An enum of plain data always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// What a client may send, one JSON text frame each.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Typing in a conversation: relayed to the others who may see it.
    Typing {
        conversation_id: String,
        state: Toggle,
    },
    /// An admin has a conversation open, or left it: relayed to the other admins who
    /// may see it.
    Viewing {
        conversation_id: String,
        state: Toggle,
    },
    /// An admin is away from the console, or back (`online`): relayed to the admins of
    /// their teams.
    Presence { status: Presence },
    /// Keeps the connection open (API Gateway closes one idle for 10 minutes).
    Ping,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn support(team: Team) -> Conversation {
        let mut conversation = Conversation::sample(ConversationType::Support);
        conversation.team = Some(team);
        conversation
    }

    fn note() -> Message {
        serde_json::from_value(serde_json::json!({
            "id": "m1", "conversation_id": "c", "sender_id": "bongi", "sender_role": "admin",
            "body": "refund approved", "created_at": "2026-12-01T08:00:00Z",
            "internal": true, "template_id": null
        }))
        .unwrap()
    }

    fn listener(user: &str, admin: bool, teams: &[Team]) -> Listener {
        Listener {
            user_id: user.into(),
            admin,
            teams: teams.to_vec(),
        }
    }

    #[test]
    fn a_support_conversation_is_heard_by_its_user_and_its_teams_admins_only() {
        let conversation = support(Team::Billing);
        let note = note();
        let user = listener("buyer", false, &[]);
        let billing = listener("bongi", true, &[Team::Billing]);
        let sales = listener("sam", true, &[Team::Sales]);
        let stranger = listener("eve", false, &[]);
        assert!(user.may_see(&conversation) && !user.may_read(&conversation, &note));
        assert!(billing.may_read(&conversation, &note));
        assert!(!sales.may_see(&conversation));
        assert!(!stranger.may_see(&conversation));
        assert_eq!(billing.reader(&conversation), ADMIN_SIDE);
        assert_eq!(user.reader(&conversation), "buyer");
    }

    #[test]
    fn admins_never_hear_a_buyer_seller_thread() {
        let conversation = Conversation::sample(ConversationType::Direct);
        let admin = listener("max", true, &Team::ALL);
        assert!(!admin.may_see(&conversation));
    }

    #[test]
    fn events_and_actions_are_tagged_json() {
        let pong = Event::Pong.to_json();
        assert_eq!(pong, r#"{"type":"pong"}"#);
        let action: Action =
            serde_json::from_str(r#"{"action":"typing","conversation_id":"c1","state":"on"}"#)
                .unwrap();
        assert!(matches!(
            action,
            Action::Typing {
                state: Toggle::On,
                ..
            }
        ));
        assert!(serde_json::from_str::<Action>(r#"{"action":"shout"}"#).is_err());
    }
}
