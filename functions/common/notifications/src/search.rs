//! Keeps the search index in step with the table, from the same stream records that
//! notify: a message stored is findable within the batch; hidden, erased or expired it
//! is taken out; a conversation's own words follow its subject, its starter's contact
//! and its team (a support conversation moved to another team moves its messages'
//! entries with it). Each change writes only its difference (`store::search::changes`),
//! so a redelivered record writes nothing new.

use domain::search::{Document, Scope, conversation_documents, message_documents};
use domain::{Conversation, Message};
use store::keys::{MESSAGE_PREFIX, listing_key, messages_partition};
use store::search::changes;
use store::table::{Index, Query, SortKey, StreamRecord, from_item};
use store::{conversation_key, retention};

use super::notifier::{Notifier, NotifyError};

type Indexed = Vec<(Scope, Document, i64)>;

/// A message's entries live as long as the message.
fn of_message(conversation: &Conversation, message: &Message) -> Indexed {
    let expires = (message.created_at + retention()).timestamp();
    message_documents(conversation, message)
        .into_iter()
        .map(|(scope, document)| (scope, document, expires))
        .collect()
}

/// A conversation's own entries outlive it by up to a month: they are rewritten when its
/// activity moves into a new month (not on every message), and deleted with it.
fn of_conversation(conversation: &Conversation, listing_title: Option<&str>) -> Indexed {
    let expires =
        (conversation.last_message_at + retention() + chrono::Duration::days(31)).timestamp();
    conversation_documents(conversation, listing_title)
        .into_iter()
        .map(|(scope, document)| (scope, document, expires))
        .collect()
}

/// Whether two versions of a conversation index differently.
fn indexed_alike(old: &Conversation, new: &Conversation) -> bool {
    let month = |c: &Conversation| c.last_message_at.format("%Y-%m").to_string();
    old.subject == new.subject
        && old.team == new.team
        && old.kind == new.kind
        && old.participants == new.participants
        && old.contacts.get(&old.created_by) == new.contacts.get(&new.created_by)
        && month(old) == month(new)
}

impl Notifier {
    /// A message stored (`conversation` already read for its notifications), changed
    /// (hidden, erased) or removed.
    pub(super) async fn index_message(
        &self,
        record: &StreamRecord,
        conversation: Option<&Conversation>,
    ) -> Result<(), NotifyError> {
        let old: Option<Message> = record.old.clone().map(from_item).transpose()?;
        let new: Option<Message> = record.new.clone().map(from_item).transpose()?;
        let Some(any) = new.as_ref().or(old.as_ref()) else {
            return Ok(());
        };
        let read;
        let conversation = match conversation {
            Some(conversation) => conversation,
            None => match self
                .table
                .get(&conversation_key(&any.conversation_id), false)
                .await?
            {
                Some(item) => {
                    read = from_item::<Conversation>(item)?;
                    &read
                }
                // Gone with its conversation: the entries expire with the message.
                None => return Ok(()),
            },
        };
        let before = old.map_or_else(Vec::new, |m| of_message(conversation, &m));
        let after = new.map_or_else(Vec::new, |m| of_message(conversation, &m));
        self.apply(changes(&before, &after)).await
    }

    /// A conversation created, changed or removed: its own words, and on a move to
    /// another team every message's entries.
    pub(super) async fn index_conversation(
        &self,
        record: &StreamRecord,
    ) -> Result<(), NotifyError> {
        let old: Option<Conversation> = record.old.clone().map(from_item).transpose()?;
        let new: Option<Conversation> = record.new.clone().map(from_item).transpose()?;
        if let (Some(old), Some(new)) = (&old, &new)
            && indexed_alike(old, new)
        {
            return Ok(());
        }
        let Some(any) = new.as_ref().or(old.as_ref()) else {
            return Ok(());
        };
        let title = match &any.listing_id {
            Some(listing) => self
                .table
                .get(&listing_key(listing), false)
                .await?
                .and_then(|item| from_item::<domain::Listing>(item).ok())
                .map(|listing| listing.title),
            None => None,
        };
        let before = old
            .as_ref()
            .map_or_else(Vec::new, |c| of_conversation(c, title.as_deref()));
        let after = new
            .as_ref()
            .map_or_else(Vec::new, |c| of_conversation(c, title.as_deref()));
        let mut writes = changes(&before, &after);
        if let (Some(old), Some(new)) = (&old, &new)
            && old.team != new.team
        {
            let messages = store::everything(
                self.table.as_ref(),
                Query::partition(Index::Table, messages_partition(&new.id))
                    .sort(SortKey::BeginsWith(MESSAGE_PREFIX.into())),
                100_000,
                "the conversation",
            )
            .await
            .map_err(|e| anyhow::anyhow!("reading the messages to move: {e}"))?;
            for item in messages {
                let message: Message = from_item(item)?;
                writes.extend(changes(
                    &of_message(old, &message),
                    &of_message(new, &message),
                ));
            }
        }
        self.apply(writes).await
    }

    async fn apply(&self, writes: Vec<store::table::WriteOp>) -> Result<(), NotifyError> {
        if writes.is_empty() {
            return Ok(());
        }
        self.table.write_each(writes).await?;
        Ok(())
    }
}
