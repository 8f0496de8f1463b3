//! In-app notifications as stored: one item per recipient and message, newest first in
//! the recipient's partition, and in a sparse index while unread.

use domain::notice::{Notification, UnreadCounts};

use crate::keys::{notification_key, unread_partition};
use crate::paging::{ListError, page};
use crate::record_item;
use crate::table::{Change, Condition, Index, Item, Query, Table, Value, WriteOp};

/// How many unread notifications the counts look at; past that, `total` saturates.
const UNREAD_COUNT_LIMIT: usize = 1_000;

/// A recipient's unread counts: one query of the sparse unread index.
pub async fn unread_counts(table: &dyn Table, recipient: &str) -> Result<UnreadCounts, ListError> {
    let query = Query::partition(Index::Gsi1, unread_partition(recipient));
    let (items, _) = page(table, query, UNREAD_COUNT_LIMIT).await?;
    let mut counts = UnreadCounts::default();
    for item in items {
        if let Some(conversation) = item.get("conversation_id").and_then(Value::as_s) {
            counts.total += 1;
            *counts
                .conversations
                .entry(conversation.to_string())
                .or_default() += 1;
        }
    }
    Ok(counts)
}

/// The write that stores a notification once (a replayed record changes nothing).
pub fn create(recipient: &str, notification: &Notification) -> anyhow::Result<WriteOp> {
    let mut item = record_item(&notification_key(recipient, &notification.id), notification)?;
    mark_unread(&mut item, recipient, &notification.id);
    Ok(WriteOp::Put {
        item,
        condition: Some(Condition::NotExists),
    })
}

fn mark_unread(item: &mut Item, recipient: &str, id: &str) {
    let (pk, sk) = Index::Gsi1.key_attributes();
    item.insert(pk.into(), Value::s(unread_partition(recipient)));
    item.insert(sk.into(), Value::s(id));
}

/// The write that marks one notification read (and takes it out of the unread index).
pub fn mark_read(recipient: &str, id: &str) -> WriteOp {
    let (pk, sk) = Index::Gsi1.key_attributes();
    WriteOp::Update {
        key: notification_key(recipient, id),
        changes: vec![
            Change::Set("read".into(), Value::Bool(true)),
            Change::Remove(pk.into()),
            Change::Remove(sk.into()),
        ],
        condition: Some(Condition::Exists),
    }
}
