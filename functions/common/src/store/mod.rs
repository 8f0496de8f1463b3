//! Access patterns on the single table (DESIGN.md "Data"), written once against the
//! Table port: which keys and index attributes each record gets, and how lists page.

mod audience;
mod paging;

pub use audience::*;
pub use paging::{Cursor, everything, page};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::conversation::Conversation;
use crate::domain::sla::SlaEvent;
use crate::domain::{Listing, Message, Status};
use crate::table::schema::{PK, SK};
use crate::table::{Condition, Index, Item, Key, Value, WriteOp, to_item};

pub fn conversation_key(id: &str) -> Key {
    Key::new(format!("CONV#{id}"), "META")
}

pub fn messages_partition(conversation_id: &str) -> String {
    format!("CONV#{conversation_id}")
}

pub const MESSAGE_PREFIX: &str = "MSG#";

pub fn message_key(conversation_id: &str, message_id: &str) -> Key {
    Key::new(
        messages_partition(conversation_id),
        format!("{MESSAGE_PREFIX}{message_id}"),
    )
}

pub fn inbox_row_key(user: &str, conversation_id: &str) -> Key {
    Key::new(format!("USER#{user}"), format!("CONV#{conversation_id}"))
}

pub fn inbox_partition(user: &str) -> String {
    format!("INBOX#{user}")
}

pub fn listing_key(id: &str) -> Key {
    Key::new(format!("LISTING#{id}"), "META")
}

/// One direct thread per buyer and listing: this item points at it.
pub fn direct_thread_key(listing_id: &str, buyer: &str) -> Key {
    Key::new(format!("LISTING#{listing_id}"), format!("BUYER#{buyer}"))
}

pub fn queue_partition(team: crate::auth::Team, status: Status) -> String {
    format!("QUEUE#{team}#{}", status.as_str())
}

/// Shards of the sparse due index, so SLA checks never crowd one partition.
pub const DUE_SHARDS: u32 = 4;

/// The due-index partition of a conversation: `DUE#<shard>`, the shard fixed by its id.
fn due_partition(conversation_id: &str) -> String {
    due_shard(shard_of(conversation_id, DUE_SHARDS))
}

/// A stable shard in `0..shards` for a key.
fn shard_of(key: &str, shards: u32) -> u32 {
    key.bytes().map(u32::from).sum::<u32>() % shards
}

pub fn due_shard(shard: u32) -> String {
    format!("DUE#{shard}")
}

/// SLA timeline items sort right after the conversation's META item (and before its
/// `MSG#` items), so one query reads the conversation and its timeline.
pub const SLA_TIMELINE_PREFIX: &str = "META#SLA#";

/// The SLA events of one change to a conversation, stored as one item (a change often
/// has two: started and resolution started, breached and escalated).
#[derive(Debug, Serialize, Deserialize)]
pub struct SlaTimelineEntry {
    pub events: Vec<SlaEvent>,
}

/// Unique per change (`version`), so a retried write of the same change lands on the
/// same item.
fn sla_timeline_key(conversation_id: &str, first: &SlaEvent, version: u64) -> Key {
    Key::new(
        messages_partition(conversation_id),
        format!(
            "{SLA_TIMELINE_PREFIX}{}#{version:010}",
            sortable_time(first.at)
        ),
    )
}

/// Fixed-width UTC time: sorts as text in time order.
pub fn sortable_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn with_key(mut item: Item, key: &Key) -> Item {
    item.insert(PK.into(), Value::s(&key.pk));
    item.insert(SK.into(), Value::s(&key.sk));
    item
}

fn set_index(item: &mut Item, index: Index, pk: String, sk: String) {
    let (pk_attr, sk_attr) = index.key_attributes();
    item.insert(pk_attr.into(), Value::S(pk));
    item.insert(sk_attr.into(), Value::S(sk));
}

/// How long a conversation is kept after its last activity, and a message after it was
/// written: `RETENTION_DAYS` (730, about 24 months, unless set), read once.
pub fn retention() -> chrono::Duration {
    static DAYS: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    let days = DAYS.get_or_init(|| {
        std::env::var("RETENTION_DAYS")
            .ok()
            .and_then(|d| d.parse().ok())
            .filter(|d| *d > 0)
            .unwrap_or(730)
    });
    chrono::Duration::days(*days)
}

/// The DynamoDB TTL attribute: the item goes once `retention()` has passed since `at`.
pub(crate) fn expiry(at: DateTime<Utc>) -> (String, Value) {
    (
        "expires_at".into(),
        Value::n((at + retention()).timestamp()),
    )
}

/// The writes that store a conversation: its META item (with the queue and due index
/// entries) and each participant's inbox row. `previous_version` is the version this
/// change was computed from (`None` for a new conversation): the write fails if anyone
/// else changed the conversation since.
pub fn conversation_writes(
    conversation: &Conversation,
    previous_version: Option<u64>,
) -> anyhow::Result<Vec<WriteOp>> {
    let mut record = to_item(conversation)?;
    let (ttl, expires) = expiry(conversation.last_message_at);
    record.insert(ttl, expires);
    let id = &conversation.id;
    let mut meta = with_key(record.clone(), &conversation_key(id));
    let activity = format!("{}#{id}", sortable_time(conversation.last_message_at));
    if let Some(team) = conversation.team {
        let queue = queue_partition(team, conversation.status);
        // The due-sorted queue: soonest due first; those not awaiting an admin by activity.
        let due_order = conversation.due().map_or_else(
            || activity.clone(),
            |due| format!("{}#{id}", sortable_time(due)),
        );
        set_index(&mut meta, Index::Gsi1, queue.clone(), due_order);
        set_index(&mut meta, Index::Gsi3, queue, activity.clone());
        // The SLA check's work list: present only while there is a next step.
        if let Some((at, _)) = conversation.sla.as_ref().and_then(|s| s.next_step()) {
            set_index(
                &mut meta,
                Index::Gsi2,
                due_partition(id),
                format!("{}#{id}", sortable_time(at)),
            );
        }
    }
    let condition = match previous_version {
        None => Condition::NotExists,
        Some(version) => Condition::Equals("version".into(), Value::n(version as i64)),
    };
    let mut writes = vec![WriteOp::Put {
        item: meta,
        condition: Some(condition),
    }];
    if let Some(sla) = conversation
        .sla
        .as_ref()
        .filter(|s| !s.new_events.is_empty())
    {
        let entry = SlaTimelineEntry {
            events: sla.new_events.clone(),
        };
        let key = sla_timeline_key(id, &sla.new_events[0], conversation.version);
        let mut item = record_item(&key, &entry)?;
        let (ttl, expires) = expiry(conversation.last_message_at);
        item.insert(ttl, expires);
        writes.push(WriteOp::Put {
            item,
            condition: None,
        });
    }
    for user in &conversation.participants {
        let mut row = with_key(record.clone(), &inbox_row_key(user, id));
        set_index(
            &mut row,
            Index::Gsi1,
            inbox_partition(user),
            activity.clone(),
        );
        writes.push(WriteOp::Put {
            item: row,
            condition: None,
        });
    }
    Ok(writes)
}

pub fn message_write(message: &Message) -> anyhow::Result<WriteOp> {
    let mut item = with_key(
        to_item(message)?,
        &message_key(&message.conversation_id, &message.id),
    );
    let (ttl, expires) = expiry(message.created_at);
    item.insert(ttl, expires);
    Ok(WriteOp::Put {
        item,
        condition: Some(Condition::NotExists),
    })
}

pub fn listing_write(listing: &Listing) -> anyhow::Result<WriteOp> {
    Ok(WriteOp::Put {
        item: with_key(to_item(listing)?, &listing_key(&listing.id)),
        condition: None,
    })
}

/// A record as the item stored under `key`.
pub fn record_item<T: Serialize>(key: &Key, record: &T) -> anyhow::Result<Item> {
    Ok(with_key(to_item(record)?, key))
}

/// A record stored under `key`, for small items with no index entries.
pub fn record_write<T: Serialize>(
    key: &Key,
    record: &T,
    condition: Option<Condition>,
) -> anyhow::Result<WriteOp> {
    Ok(WriteOp::Put {
        item: record_item(key, record)?,
        condition,
    })
}
