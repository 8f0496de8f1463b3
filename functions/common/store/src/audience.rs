//! Who broadcasts can reach, and the broadcasts themselves: the user registry (one
//! account item per user, indexed by shard and tier), the segment rows of users who
//! wrote about a listing category or location, and the broadcast items.

use serde::Serialize;

use super::{set_index, to_item, with_key};
use crate::keys::{
    BROADCASTS, USER_SHARDS, account_key, broadcast_key, shard_of, sortable_time, tier_prefix,
    users_shard,
};
use crate::table::{Condition, Index, Value, WriteOp};
use domain::broadcast::Broadcast;

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
