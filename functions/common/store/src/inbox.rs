//! In-app notifications as stored: one item per recipient and message, newest first in
//! the recipient's partition, and in a sparse index while unread.

use domain::notice::Notification;

use crate::keys::{notification_key, unread_partition};
use crate::record_item;
use crate::table::{Change, Condition, Index, Item, Value, WriteOp};

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
