//! The caller's own data (POPIA and GDPR): `GET /v1/me/export` returns everything the
//! system holds about them, read partition by partition (never a Scan).

use chrono::{DateTime, Utc};
use serde::Serialize;
use tracing::instrument;

use super::users::UserAccount;
use crate::app::App;
use crate::auth::Caller;
use crate::domain::conversation::ConversationView;
use crate::domain::{Conversation, Message};
use crate::error::{ApiError, ApiResult};
use crate::notify::inbox::{self, Notification};
use crate::notify::preferences::Preferences;
use crate::store::{self, MESSAGE_PREFIX, account_key, messages_partition};
use crate::table::{Filter, Index, Item, Query, SortKey, Value, from_item};

/// More items than this in one list and the export is refused rather than cut short.
const EXPORT_LIMIT: usize = 50_000;

#[derive(Debug, Serialize)]
pub struct ExportedConversation {
    /// As the caller sees it (other people's contact details are not theirs to export).
    pub conversation: ConversationView,
    /// Every message the caller can see in it, oldest first.
    pub messages: Vec<Message>,
}

#[derive(Debug, Serialize)]
pub struct Export {
    pub user_id: String,
    pub exported_at: DateTime<Utc>,
    /// What the website synced, or what messaging learned from the caller's tokens.
    pub account: Option<UserAccount>,
    pub preferences: Preferences,
    pub conversations: Vec<ExportedConversation>,
    pub notifications: Vec<Notification>,
}

impl App {
    /// Every item of a list, page by page.
    async fn everything(&self, mut query: Query) -> ApiResult<Vec<Item>> {
        let mut items = Vec::new();
        loop {
            let (page, next) = store::page(self.table.as_ref(), query.clone(), 1000).await?;
            items.extend(page);
            if items.len() > EXPORT_LIMIT {
                return Err(ApiError::TooLarge(
                    "the export is too large to serve at once; contact SayPro support".into(),
                ));
            }
            match next {
                Some(cursor) => query = query.start(Some(cursor.0)),
                None => return Ok(items),
            }
        }
    }

    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn export(&self, caller: &Caller) -> ApiResult<Export> {
        caller.require_person()?;
        let user = caller.id();
        let now = self.clock.now();
        let rows = self
            .everything(
                Query::partition(Index::Table, format!("USER#{user}"))
                    .sort(SortKey::BeginsWith("CONV#".into())),
            )
            .await?;
        let mut conversations = Vec::with_capacity(rows.len());
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
            conversations.push(ExportedConversation {
                conversation: ConversationView::new(&conversation, user, now),
                messages,
            });
        }
        let notifications = self
            .everything(Query::partition(Index::Table, inbox::partition(user)))
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
        })
    }
}
