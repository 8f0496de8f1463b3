//! Who hears about a new message: the rules, as pure functions.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::identity::{Role, Team};
use crate::sla::SlaAction;
use crate::{Conversation, ConversationType, Message, SenderRole};

/// Whom a notice is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// One person; `admin` when they answer for SayPro (admins may get SMS).
    Person { id: String, admin: bool },
    /// Everyone working a team's queue: a support conversation nobody is assigned to.
    Team(Team),
    /// Every admin with a role (SLA escalations go to seniors, then managers).
    Role(Role),
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// A user wrote in a support conversation.
    UserMessage,
    /// An admin answered the user.
    AdminReply,
    /// A broadcast from SayPro Support reached the user.
    Announcement,
    /// The other party of a buyer–seller conversation wrote.
    DirectMessage,
    /// An answer is due soon.
    SlaWarning,
    /// An answer is overdue and was escalated.
    SlaEscalation,
    /// A snoozed conversation's time came: it is open again.
    SnoozeEnded,
    /// A support conversation was resolved: how did we do?
    Survey,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub audience: Audience,
    pub kind: NoticeKind,
    /// Urgent conversations may reach admins by SMS, even in quiet hours.
    pub urgent: bool,
}

/// The notices a stored message gives rise to. Internal notes notify nobody outside the
/// team, and the team works them in the queue, so they notify nobody at all; except the
/// SLA check's, which are its warnings and escalations.
/// How many notifications are unread (`GET /v1/notifications/unread-counts`, and the
/// `unread.changed` event): the badges.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UnreadCounts {
    pub total: u32,
    /// Unread notifications per conversation id.
    pub conversations: BTreeMap<String, u32>,
}

pub fn notices_for(message: &Message, conversation: &Conversation) -> Vec<Notice> {
    let urgent = conversation.priority == crate::Priority::Urgent;
    if let (SenderRole::System, Some(alert)) = (message.sender_role, message.sla_alert) {
        return sla_notices(alert, conversation, urgent);
    }
    if message.sender_role == SenderRole::System && message.snooze_ended {
        return whoever_answers(conversation)
            .map(|audience| Notice {
                audience,
                kind: NoticeKind::SnoozeEnded,
                urgent,
            })
            .into_iter()
            .collect();
    }
    if message.internal {
        return Vec::new();
    }
    let others = || {
        conversation
            .participants
            .iter()
            .filter(|p| **p != message.sender_id)
    };
    match (conversation.kind, message.sender_role) {
        (ConversationType::Support, SenderRole::User) => {
            let Some(audience) = whoever_answers(conversation) else {
                return Vec::new();
            };
            vec![Notice {
                audience,
                kind: NoticeKind::UserMessage,
                urgent,
            }]
        }
        (ConversationType::Support, _) => others()
            .map(|user| Notice {
                audience: Audience::Person {
                    id: user.clone(),
                    admin: false,
                },
                kind: match message.broadcast_id {
                    Some(_) => NoticeKind::Announcement,
                    None => NoticeKind::AdminReply,
                },
                urgent: false,
            })
            .collect(),
        (ConversationType::Direct, _) => others()
            .map(|user| Notice {
                audience: Audience::Person {
                    id: user.clone(),
                    admin: false,
                },
                kind: NoticeKind::DirectMessage,
                urgent: false,
            })
            .collect(),
    }
}

/// Whoever must answer a support conversation: its assignee, or its team's agents.
fn whoever_answers(conversation: &Conversation) -> Option<Audience> {
    match (&conversation.assignee, conversation.team) {
        (Some(assignee), _) => Some(Audience::Person {
            id: assignee.clone(),
            admin: true,
        }),
        (None, Some(team)) => Some(Audience::Team(team)),
        (None, None) => None,
    }
}

/// A warning goes to whoever must answer; escalations go up, by SMS and email whatever
/// the conversation's priority (a breach is urgent by definition).
fn sla_notices(alert: SlaAction, conversation: &Conversation, urgent: bool) -> Vec<Notice> {
    let (audience, kind, urgent) = match alert {
        SlaAction::Warn => {
            let Some(audience) = whoever_answers(conversation) else {
                return Vec::new();
            };
            (audience, NoticeKind::SlaWarning, urgent)
        }
        SlaAction::Breach => (
            Audience::Role(Role::Senior),
            NoticeKind::SlaEscalation,
            true,
        ),
        SlaAction::EscalateToManager => (
            Audience::Role(Role::Manager),
            NoticeKind::SlaEscalation,
            true,
        ),
    };
    vec![Notice {
        audience,
        kind,
        urgent,
    }]
}

/// An in-app notification, as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Notification {
    /// The message it is about (unique per recipient).
    pub id: String,
    pub conversation_id: String,
    pub kind: NoticeKind,
    pub title: String,
    pub preview: String,
    pub created_at: DateTime<Utc>,
    pub read: bool,
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::Priority;

    fn conversation(
        kind: ConversationType,
        assignee: Option<&str>,
        priority: Priority,
    ) -> Conversation {
        Conversation {
            assignee: assignee.map(str::to_string),
            priority,
            ..Conversation::sample(kind)
        }
    }

    fn message(sender: &str, role: SenderRole, internal: bool) -> Message {
        Message::new(
            "m".into(),
            "c".into(),
            sender.into(),
            role,
            "b".into(),
            Utc::now(),
            internal,
        )
    }

    #[test]
    fn a_user_message_goes_to_the_assignee_or_else_the_team() {
        let unassigned = conversation(ConversationType::Support, None, Priority::Urgent);
        let notices = notices_for(&message("buyer", SenderRole::User, false), &unassigned);
        assert_eq!(
            notices,
            [Notice {
                audience: Audience::Team(Team::Support),
                kind: NoticeKind::UserMessage,
                urgent: true
            }]
        );
        let assigned = conversation(ConversationType::Support, Some("sam"), Priority::Normal);
        let notices = notices_for(&message("buyer", SenderRole::User, false), &assigned);
        assert_eq!(
            notices[0].audience,
            Audience::Person {
                id: "sam".into(),
                admin: true
            }
        );
        assert!(!notices[0].urgent);
    }

    #[test]
    fn an_admin_reply_goes_to_the_user_and_a_note_to_nobody() {
        let support = conversation(ConversationType::Support, Some("sam"), Priority::Urgent);
        let notices = notices_for(&message("sam", SenderRole::Admin, false), &support);
        assert_eq!(
            notices,
            [Notice {
                audience: Audience::Person {
                    id: "buyer".into(),
                    admin: false
                },
                kind: NoticeKind::AdminReply,
                urgent: false
            }]
        );
        assert!(notices_for(&message("sam", SenderRole::Admin, true), &support).is_empty());
    }

    #[test]
    fn a_direct_message_goes_to_the_other_party_only() {
        let direct = conversation(ConversationType::Direct, None, Priority::Normal);
        let notices = notices_for(&message("seller", SenderRole::User, false), &direct);
        assert_eq!(notices.len(), 1);
        assert_eq!(
            notices[0].audience,
            Audience::Person {
                id: "buyer".into(),
                admin: false
            }
        );
        assert_eq!(notices[0].kind, NoticeKind::DirectMessage);
    }
}
