//! The caller's own data (POPIA and GDPR): `GET /v1/me/export` returns everything the
//! system holds about them, read partition by partition (never a Scan);
//! `DELETE /v1/me/messages` erases what they wrote, wherever a copy of it is kept.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tracing::instrument;

use super::users::UserAccount;
use crate::app::App;
use crate::error::ApiResult;
use domain::conversation::ConversationView;
use domain::identity::Caller;
use domain::notice::Notification;
use domain::preferences::Preferences;
use domain::{Conversation, Message};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use store::{self, MESSAGE_PREFIX, account_key, messages_partition};

use super::edit::Edit;
use domain::ConversationType;
use domain::attachment::owner_prefix;
use domain::directory::Member;
use domain::identity::Team;
use domain::message::ERASED_BODY;
use domain::survey::{NpsAnswer, Rating, RatingView};
use store::keys::{
    HELD_QUEUE, INBOX_ROW_PREFIX, NPS_PREFIX, RATING_PREFIX, REPORT_QUEUE, held_by_partition,
    idempotency_partition, invitation_key, invited_key, reports_by_partition, team_partition,
    user_partition,
};
use store::message_key;
use store::table::{
    Change, Condition, Filter, Index, Item, Key, Query, SortKey, TableError, Value, WriteOp,
    from_item,
};

/// More items than this in one list and the export is refused rather than cut short.
const EXPORT_LIMIT: usize = 50_000;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExportedConversation {
    /// As the caller sees it (other people's contact details are not theirs to export).
    pub conversation: ConversationView,
    /// Every message the caller can see in it, oldest first.
    pub messages: Vec<Message>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Export {
    pub user_id: String,
    pub exported_at: DateTime<Utc>,
    /// What the website synced, or what messaging learned from the caller's tokens.
    #[schema(required = true)]
    pub account: Option<UserAccount>,
    pub preferences: Preferences,
    pub conversations: Vec<ExportedConversation>,
    pub notifications: Vec<Notification>,
    /// Their ratings of support conversations, and their NPS answers.
    pub ratings: Vec<RatingView>,
    pub nps: Vec<NpsAnswer>,
}

impl App {
    /// Every item of a list of the caller's.
    async fn everything(&self, query: Query) -> ApiResult<Vec<Item>> {
        Ok(store::everything(self.table.as_ref(), query, EXPORT_LIMIT, "the export").await?)
    }

    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn export(&self, caller: &Caller) -> ApiResult<Export> {
        caller.require_person()?;
        let user = caller.id();
        let now = self.clock.now();
        let rows = self
            .everything(
                Query::partition(Index::Table, user_partition(user))
                    .sort(SortKey::BeginsWith(INBOX_ROW_PREFIX.into())),
            )
            .await?;
        let mut conversations = Vec::with_capacity(rows.len());
        // A merged duplicate's messages are exported in the conversation it joined.
        let mut merged: Vec<(String, ExportedConversation)> = Vec::new();
        for row in rows {
            let conversation: Conversation = from_item(row)?;
            let messages = self
                .everything(
                    Query::partition(Index::Table, messages_partition(&conversation.id))
                        .sort(SortKey::BeginsWith(MESSAGE_PREFIX.into()))
                        .filter(Filter::Equals("internal".into(), Value::Bool(false))),
                )
                .await?
                .into_iter()
                .map(|item| Ok(from_item::<Message>(item)?.as_participants_see_it()))
                .collect::<anyhow::Result<_>>()?;
            let exported = ExportedConversation {
                conversation: ConversationView::new(&conversation, user, now),
                messages,
            };
            match conversation.merged_into {
                Some(into) => merged.push((into, exported)),
                None => conversations.push(exported),
            }
        }
        for (into, duplicate) in merged {
            match conversations.iter_mut().find(|c| c.conversation.id == into) {
                Some(joined) => {
                    joined.messages.extend(duplicate.messages);
                    joined.messages.sort_by(|a, b| a.id.cmp(&b.id));
                }
                None => conversations.push(duplicate),
            }
        }
        let notifications = self
            .everything(Query::partition(
                Index::Table,
                store::keys::notifications_partition(user),
            ))
            .await?
            .into_iter()
            .map(from_item)
            .collect::<anyhow::Result<_>>()?;
        let own = |prefix: &str| {
            Query::partition(Index::Table, user_partition(user))
                .sort(SortKey::BeginsWith(prefix.into()))
        };
        let ratings = self
            .everything(own(RATING_PREFIX))
            .await?
            .into_iter()
            .map(|item| Ok(RatingView::from(&from_item::<Rating>(item)?)))
            .collect::<anyhow::Result<_>>()?;
        let nps = self
            .everything(own(NPS_PREFIX))
            .await?
            .into_iter()
            .map(from_item)
            .collect::<anyhow::Result<_>>()?;
        let account = match self.table.get(&account_key(user), true).await? {
            Some(item) => Some(from_item(item)?),
            None => None,
        };
        Ok(Export {
            user_id: user.to_string(),
            exported_at: now,
            account,
            preferences: self.preferences(caller).await?,
            conversations,
            notifications,
            ratings,
            nps,
        })
    }
}

/// What an erasure changed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Erased {
    /// Messages erased now
    pub messages: usize,
    pub conversations: usize,
    /// Files they uploaded, attached or not.
    pub files: usize,
}

impl App {
    /// Erases the caller's messages: every file they uploaded, each body (and its
    /// links, warning and attachments) in every conversation they take part in, the
    /// previews of them in other people's notifications, their contact details and the
    /// subjects they wrote on the conversations, their stored replies to retried
    /// requests, their messages a moderator held, their comments on reports and ratings,
    /// and the subject on their survey link. What remains (who wrote when, the stars)
    /// keeps the reports' counts and timings right. Running it again changes nothing more.
    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn erase_messages(&self, caller: &Caller) -> ApiResult<Erased> {
        caller.require_person()?;
        let user = caller.id().to_string();
        // The files first: they are the content, and a rerun finds none left.
        let files = self.objects()?.delete_under(&owner_prefix(&user)).await?;
        let rows = self
            .everything(
                Query::partition(Index::Table, user_partition(&user))
                    .sort(SortKey::BeginsWith(INBOX_ROW_PREFIX.into())),
            )
            .await?;
        let mut erased = Erased {
            messages: 0,
            conversations: rows.len(),
            files,
        };
        let mut teams: HashMap<Team, Vec<String>> = HashMap::new();
        for row in rows {
            let conversation: Conversation = from_item(row)?;
            let own = self
                .everything(
                    Query::partition(Index::Table, messages_partition(&conversation.id))
                        .sort(SortKey::BeginsWith(MESSAGE_PREFIX.into()))
                        .filter(Filter::Equals("sender_id".into(), Value::s(&user))),
                )
                .await?;
            // Who may have a notification quoting them: the others, the assignee, the team.
            let mut readers: Vec<String> = conversation
                .participants
                .iter()
                .filter(|p| **p != user)
                .cloned()
                .chain(conversation.assignee.clone())
                .collect();
            if let Some(team) = conversation.team {
                if let Entry::Vacant(slot) = teams.entry(team) {
                    slot.insert(self.team_members(team).await?);
                }
                readers.extend(teams[&team].iter().cloned());
            }
            readers.sort();
            readers.dedup();
            // Notifications carry the conversation's subject as their title.
            let subject_is_theirs =
                conversation.created_by == user && conversation.kind == ConversationType::Support;
            let mut retitle = vec![Change::Set("preview".into(), Value::s(ERASED_BODY))];
            if subject_is_theirs {
                retitle.push(Change::Set("title".into(), Value::s(ERASED_SUBJECT)));
                self.retitle_own_notifications(&user, &conversation.id)
                    .await?;
                self.retitle_survey(&conversation.id).await?;
            }
            for item in own {
                let message: Message = from_item(item)?;
                if message.erased {
                    continue;
                }
                let mut writes = vec![WriteOp::Update {
                    key: message_key(&conversation.id, &message.id),
                    changes: vec![
                        Change::Set("body".into(), Value::s(ERASED_BODY)),
                        Change::Set("erased".into(), Value::Bool(true)),
                        Change::Remove("links".into()),
                        Change::Remove("warning".into()),
                        Change::Remove("attachments".into()),
                    ],
                    condition: Some(Condition::Exists),
                }];
                writes.extend(readers.iter().map(|reader| WriteOp::Update {
                    key: store::keys::notification_key(reader, &message.id),
                    changes: retitle.clone(),
                    condition: Some(Condition::Exists),
                }));
                for write in writes {
                    match self.table.write(vec![write]).await {
                        Ok(()) | Err(TableError::ConditionFailed { .. }) => {}
                        Err(other) => return Err(other.into()),
                    }
                }
                erased.messages += 1;
            }
            self.forget_author(&conversation.id, &user).await?;
        }
        self.erase_pending_requests(&user).await?;
        Ok(erased)
    }

    /// The caller's own notifications about a conversation whose subject they wrote.
    async fn retitle_own_notifications(&self, user: &str, conversation: &str) -> ApiResult<()> {
        let own = self
            .everything(
                Query::partition(Index::Table, store::keys::notifications_partition(user)).filter(
                    Filter::Equals("conversation_id".into(), Value::s(conversation)),
                ),
            )
            .await?;
        for item in own {
            let write = WriteOp::Update {
                key: Key::of(&item)?,
                changes: vec![Change::Set("title".into(), Value::s(ERASED_SUBJECT))],
                condition: Some(Condition::Exists),
            };
            match self.table.write(vec![write]).await {
                Ok(()) | Err(TableError::ConditionFailed { .. }) => {}
                Err(other) => return Err(other.into()),
            }
        }
        Ok(())
    }

    /// The emailed survey about a conversation carries its subject.
    async fn retitle_survey(&self, conversation: &str) -> ApiResult<()> {
        let Some(invited) = self.table.get(&invited_key(conversation), true).await? else {
            return Ok(());
        };
        let Some(token) = invited.get("token").and_then(Value::as_s) else {
            return Ok(());
        };
        let write = WriteOp::Update {
            key: invitation_key(token),
            changes: vec![Change::Set("subject".into(), Value::s(ERASED_SUBJECT))],
            condition: Some(Condition::Exists),
        };
        match self.table.write(vec![write]).await {
            Ok(()) | Err(TableError::ConditionFailed { .. }) => Ok(()),
            Err(other) => Err(other.into()),
        }
    }

    /// The caller's contact details and, on support conversations they started, the
    /// subject they wrote.
    async fn forget_author(&self, id: &str, user: &str) -> ApiResult<()> {
        self.edit_conversation(
            id,
            None,
            |_| true,
            |conversation| {
                let subject_is_theirs = conversation.created_by == user
                    && conversation.kind == ConversationType::Support;
                let deleted_subject = subject_is_theirs && conversation.subject != ERASED_SUBJECT;
                if conversation.contacts.remove(user).is_none() && !deleted_subject {
                    return Ok(Edit::unchanged(()));
                }
                if deleted_subject {
                    conversation.subject = ERASED_SUBJECT.to_string();
                }
                Ok(Edit::with(Vec::new(), ()))
            },
        )
        .await?;
        Ok(())
    }

    /// Replies to retried requests (they quote the messages), messages a moderator held
    /// (waiting or decided), and the comments on the reports and ratings the user made.
    async fn erase_pending_requests(&self, user: &str) -> ApiResult<()> {
        let by_user = |list: &str, attr: &str| {
            Query::partition(Index::Gsi1, list).filter(Filter::Equals(attr.into(), Value::s(user)))
        };
        let replies = self
            .everything(Query::partition(Index::Table, idempotency_partition(user)))
            .await?;
        let held = self.everything(by_user(HELD_QUEUE, "sender_id")).await?;
        let decided = self
            .everything(Query::partition(Index::Gsi1, held_by_partition(user)))
            .await?;
        for item in replies.iter().chain(&held).chain(&decided) {
            let key = Key::of(item)?;
            self.table
                .write(vec![WriteOp::Delete {
                    key,
                    condition: None,
                }])
                .await?;
        }
        let open = self.everything(by_user(REPORT_QUEUE, "reporter")).await?;
        let closed = self
            .everything(Query::partition(Index::Gsi1, reports_by_partition(user)))
            .await?;
        // Ratings keep their stars (the month's figures), not the words.
        let ratings = self
            .everything(
                Query::partition(Index::Table, user_partition(user))
                    .sort(SortKey::BeginsWith(RATING_PREFIX.into())),
            )
            .await?;
        for item in open.iter().chain(&closed).chain(&ratings) {
            let write = WriteOp::Update {
                key: Key::of(item)?,
                changes: vec![Change::Remove("comment".into())],
                condition: Some(Condition::Exists),
            };
            match self.table.write(vec![write]).await {
                Ok(()) | Err(TableError::ConditionFailed { .. }) => {}
                Err(other) => return Err(other.into()),
            }
        }
        Ok(())
    }

    /// The admins in a team's directory.
    async fn team_members(&self, team: Team) -> ApiResult<Vec<String>> {
        let members = self
            .everything(Query::partition(Index::Table, team_partition(team)))
            .await?;
        members
            .into_iter()
            .map(|item| Ok(from_item::<Member>(item)?.id))
            .collect()
    }
}

/// What an erased support conversation's subject becomes.
const ERASED_SUBJECT: &str = "(deleted by its author)";
