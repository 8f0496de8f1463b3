//! Who broadcasts can reach, and the broadcasts themselves: the user registry (one
//! account item per user, indexed by shard and tier), the segment rows of users who
//! wrote about a listing category or location, and the broadcast items.

use serde::Serialize;

use super::{set_index, to_item, with_key};
use crate::keys::{
    BROADCASTS, USER_SHARDS, account_key, broadcast_key, shard_of, sortable_time, tier_prefix,
    users_shard,
};
use crate::table::schema;
use crate::table::{Change, Condition, Index, Value, WriteOp};
use domain::broadcast::{Broadcast, Engagement};

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

/// Stores a broadcast; `previous_version` as for conversations (`None`: a new one). A
/// change sets every field but the engagement counters, which notify adds to as they
/// happen (a progress write must not put back the counts it read).
pub fn broadcast_write(
    broadcast: &Broadcast,
    previous_version: Option<u64>,
) -> anyhow::Result<WriteOp> {
    let key = broadcast_key(&broadcast.id);
    let mut item = with_key(to_item(broadcast)?, &key);
    set_index(
        &mut item,
        Index::Gsi1,
        BROADCASTS.to_string(),
        format!("{}#{}", sortable_time(broadcast.created_at), broadcast.id),
    );
    let Some(version) = previous_version else {
        return Ok(WriteOp::Put {
            item,
            condition: Some(Condition::NotExists),
        });
    };
    let counters: Vec<&str> = Engagement::ALL.iter().map(|e| e.attribute()).collect();
    let serde_json::Value::Object(fields) = serde_json::to_value(broadcast)? else {
        anyhow::bail!("a broadcast serializes to an object");
    };
    let mut changes: Vec<Change> = fields
        .iter()
        .filter(|(name, value)| value.is_null() && !counters.contains(&name.as_str()))
        .map(|(name, _)| Change::Remove(name.clone()))
        .collect();
    changes.extend(
        item.into_iter()
            .filter(|(name, _)| {
                !counters.contains(&name.as_str()) && name != schema::PK && name != schema::SK
            })
            .map(|(name, value)| Change::Set(name, value)),
    );
    Ok(WriteOp::Update {
        key,
        changes,
        condition: Some(Condition::Equals(
            "version".into(),
            Value::n(version as i64),
        )),
    })
}

/// The write that counts what recipients did with a broadcast (notify's, once each),
/// on a broadcast that exists.
pub fn engagement_write(broadcast: &str, counts: &[(Engagement, i64)]) -> WriteOp {
    WriteOp::Update {
        key: broadcast_key(broadcast),
        changes: counts
            .iter()
            .map(|(engagement, n)| Change::Add(engagement.attribute().into(), *n))
            .collect(),
        condition: Some(Condition::Exists),
    }
}
