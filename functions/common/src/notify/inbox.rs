//! In-app notifications as stored: one item per recipient and message, newest first in
//! the recipient's partition, and in a sparse index while unread.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::audience::NoticeKind;
use crate::store::record_item;
use crate::table::{Condition, Index, Item, Key, Value, WriteOp};

/// An in-app notification, as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

pub fn partition(recipient: &str) -> String {
    format!("NOTIF#{recipient}")
}

pub fn unread_partition(recipient: &str) -> String {
    format!("UNREAD#{recipient}")
}

pub fn key(recipient: &str, id: &str) -> Key {
    Key::new(partition(recipient), id)
}

/// The write that stores a notification once (a replayed record changes nothing).
pub fn create(recipient: &str, notification: &Notification) -> anyhow::Result<WriteOp> {
    let mut item = record_item(&key(recipient, &notification.id), notification)?;
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
        key: key(recipient, id),
        changes: vec![
            crate::table::Change::Set("read".into(), Value::Bool(true)),
            crate::table::Change::Remove(pk.into()),
            crate::table::Change::Remove(sk.into()),
        ],
        condition: Some(Condition::Exists),
    }
}
