//! Who broadcasts can reach, and the broadcasts themselves: the user registry (one
//! account item per user, indexed by shard and tier), the segment rows of users who
//! wrote about a listing category or location, and the broadcast items.

use serde::Serialize;

use super::{set_index, shard_of, sortable_time, to_item, with_key};
use crate::domain::broadcast::Broadcast;
use crate::table::{Condition, Index, Key, Value, WriteOp};

/// Shards of the user registry on gsi1, so a fan-out to every user reads several
/// partitions rather than crowding one.
pub const USER_SHARDS: u32 = 4;

pub fn account_key(user: &str) -> Key {
    Key::new(format!("USER#{user}"), "ACCOUNT")
}

pub fn users_shard(shard: u32) -> String {
    format!("USERS#{shard}")
}

/// Registry entries sort by tier within a shard: `<tier>#<user>`, `-` for no tier.
pub fn tier_prefix(tier: &str) -> String {
    format!("{tier}#")
}

/// A user's account item, listed in their registry shard under their tier.
pub fn account_write<T: Serialize>(
    user: &str,
    tier: Option<&str>,
    account: &T,
    condition: Option<Condition>,
) -> anyhow::Result<WriteOp> {
    let mut item = with_key(to_item(account)?, &account_key(user));
    set_index(
        &mut item,
        Index::Gsi1,
        users_shard(shard_of(user, USER_SHARDS)),
        format!("{}{user}", tier_prefix(tier.unwrap_or("-"))),
    );
    Ok(WriteOp::Put { item, condition })
}

/// The kinds of segment kept as rows: who started a conversation about a listing of a
/// category, or in a location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentKind {
    ListingCategory,
    Location,
}

impl SegmentKind {
    fn as_str(self) -> &'static str {
        match self {
            SegmentKind::ListingCategory => "listing_category",
            SegmentKind::Location => "location",
        }
    }
}

/// The rows of one segment: `SEGMENT#<kind>#<value>`, one per user (`USER#<id>`).
pub fn segment_partition(kind: SegmentKind, value: &str) -> String {
    format!("SEGMENT#{}#{value}", kind.as_str())
}

pub fn segment_member_key(kind: SegmentKind, value: &str, user: &str) -> Key {
    Key::new(segment_partition(kind, value), format!("USER#{user}"))
}

/// Broadcasts, newest first, on gsi1.
pub const BROADCASTS: &str = "BROADCASTS";

pub fn broadcast_key(id: &str) -> Key {
    Key::new(format!("BROADCAST#{id}"), "BROADCAST")
}

/// Stores a broadcast; `previous_version` as for conversations (`None`: a new one).
pub fn broadcast_write(
    broadcast: &Broadcast,
    previous_version: Option<u64>,
) -> anyhow::Result<WriteOp> {
    let mut item = with_key(to_item(broadcast)?, &broadcast_key(&broadcast.id));
    set_index(
        &mut item,
        Index::Gsi1,
        BROADCASTS.to_string(),
        format!("{}#{}", sortable_time(broadcast.created_at), broadcast.id),
    );
    let condition = match previous_version {
        None => Condition::NotExists,
        Some(version) => Condition::Equals("version".into(), Value::n(version as i64)),
    };
    Ok(WriteOp::Put {
        item,
        condition: Some(condition),
    })
}
