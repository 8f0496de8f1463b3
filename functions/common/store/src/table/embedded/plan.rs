//! DynamoDB's semantics over the state: conditions, updates, transactions, and which
//! items a query reads.

use std::collections::BTreeSet;

use super::super::capacity::{check_units, write_units};
use super::super::schema::{PK, SK};
use super::super::{
    Change, Condition, Filter, Item, Key, Query, SortKey, TableError, Value, WriteOp,
};
use super::codec;
use super::state::State;

/// The resolved outcome of one op that changes an item.
pub(super) struct Effect {
    pub key: Key,
    pub bytes: Box<[u8]>,
    /// The item before (queued or durable), and where the journal holds that version.
    pub before: Option<Item>,
    pub prev: Option<u64>,
    /// The item after; None = deleted.
    pub after: Option<Item>,
    pub units: u64,
}

/// Checks every condition and computes every new item before anything is applied, so a
/// failed transaction changes nothing. The error carries the units DynamoDB still bills
/// (condition checks included; a successful write bills its changes, as before). Writes
/// see queued (not yet durable) writes: they are ordered after them.
pub(super) fn plan(
    state: &State,
    ops: &[WriteOp],
    transactional: bool,
) -> Result<Vec<Effect>, (TableError, u64)> {
    let mut seen = BTreeSet::new();
    let mut effects = Vec::with_capacity(ops.len());
    let mut units = 0;
    let mut failed = None;
    for (index, op) in ops.iter().enumerate() {
        let key = op_key(op).map_err(|e| (e, 0))?;
        if !seen.insert(key.clone()) {
            return Err((
                TableError::Invalid("one transaction touches the same item twice".into()),
                0,
            ));
        }
        let bytes = codec::key_bytes(&key);
        let current = state.current(&bytes, &key);
        let before = current.item.as_ref();
        let condition = match op {
            WriteOp::Put { condition, .. }
            | WriteOp::Update { condition, .. }
            | WriteOp::Delete { condition, .. } => condition.as_ref(),
            WriteOp::Check { condition, .. } => Some(condition),
        };
        if failed.is_none() && !condition.is_none_or(|c| condition_holds(c, before)) {
            failed = Some(index);
        }
        let after = match op {
            WriteOp::Put { item, .. } => Some(item.clone()),
            WriteOp::Update { changes, .. } => {
                Some(updated(&key, before, changes).map_err(|e| (e, 0))?)
            }
            WriteOp::Delete { .. } => None,
            WriteOp::Check { .. } => {
                units += check_units(before, transactional);
                continue;
            }
        };
        let op_units = write_units(before, after.as_ref(), transactional);
        units += op_units;
        effects.push(Effect {
            key,
            bytes,
            before: current.item,
            prev: current.at,
            after,
            units: op_units,
        });
    }
    match failed {
        Some(index) => Err((TableError::ConditionFailed { index }, units)),
        None => Ok(effects),
    }
}

fn op_key(op: &WriteOp) -> Result<Key, TableError> {
    match op {
        WriteOp::Put { item, .. } => match (item.get(PK), item.get(SK)) {
            (Some(Value::S(pk)), Some(Value::S(sk))) => Ok(Key::new(pk, sk)),
            _ => Err(TableError::Invalid(
                "a put item needs string pk and sk".into(),
            )),
        },
        WriteOp::Update { key, .. } | WriteOp::Delete { key, .. } | WriteOp::Check { key, .. } => {
            Ok(key.clone())
        }
    }
}

fn condition_holds(condition: &Condition, item: Option<&Item>) -> bool {
    match condition {
        Condition::NotExists => item.is_none(),
        Condition::Exists => item.is_some(),
        Condition::Equals(attr, value) => item.and_then(|i| i.get(attr)) == Some(value),
        Condition::AbsentOrDiffers(attr, value) => item.and_then(|i| i.get(attr)) != Some(value),
        Condition::AbsentOrBelow(attr, limit) => item.is_none_or(|i| {
            i.get(attr)
                .and_then(Value::as_i64)
                .is_some_and(|n| n < *limit)
        }),
    }
}

fn updated(key: &Key, before: Option<&Item>, changes: &[Change]) -> Result<Item, TableError> {
    let mut item = before.cloned().unwrap_or_else(|| {
        Item::from([
            (PK.to_string(), Value::s(&key.pk)),
            (SK.to_string(), Value::s(&key.sk)),
        ])
    });
    for change in changes {
        let attr = match change {
            Change::Set(a, _) | Change::Add(a, _) | Change::Remove(a) => a,
        };
        if attr == PK || attr == SK {
            return Err(TableError::Invalid(format!(
                "cannot update key attribute {attr}"
            )));
        }
        match change {
            Change::Set(a, v) => {
                item.insert(a.clone(), v.clone());
            }
            Change::Remove(a) => {
                item.remove(a);
            }
            Change::Add(a, n) => {
                let current = match item.get(a) {
                    None => 0,
                    Some(v) => v
                        .as_i64()
                        .ok_or_else(|| TableError::Invalid(format!("ADD to non-number {a}")))?,
                };
                item.insert(a.clone(), Value::n(current + n));
            }
        }
    }
    Ok(item)
}

/// Whether the item's sort key (the table's or the index's) meets the query's condition.
pub(super) fn sort_matches(query: &Query, sk: &str) -> bool {
    let Some(condition) = &query.sort else {
        return true;
    };
    match condition {
        SortKey::Eq(v) => sk == v,
        SortKey::BeginsWith(p) => sk.starts_with(p.as_str()),
        SortKey::Between(a, b) => sk >= a.as_str() && sk <= b.as_str(),
        SortKey::Lt(v) => sk < v.as_str(),
        SortKey::Le(v) => sk <= v.as_str(),
        SortKey::Gt(v) => sk > v.as_str(),
        SortKey::Ge(v) => sk >= v.as_str(),
    }
}

/// Whether a sort key that does not match the condition lies beyond its range in the
/// direction the query reads, so no later item can match.
pub(super) fn past_range(query: &Query, sk: &str) -> bool {
    let Some(condition) = &query.sort else {
        return false;
    };
    if query.descending {
        match condition {
            SortKey::Eq(v) | SortKey::BeginsWith(v) | SortKey::Between(v, _) | SortKey::Ge(v) => {
                sk < v.as_str()
            }
            SortKey::Gt(v) => sk <= v.as_str(),
            SortKey::Lt(_) | SortKey::Le(_) => false,
        }
    } else {
        match condition {
            SortKey::Eq(v) | SortKey::Between(_, v) | SortKey::Le(v) => sk > v.as_str(),
            SortKey::BeginsWith(p) => sk > p.as_str(),
            SortKey::Lt(v) => sk >= v.as_str(),
            SortKey::Gt(_) | SortKey::Ge(_) => false,
        }
    }
}

pub(super) fn filter_matches(filter: &Filter, item: &Item) -> bool {
    match filter {
        Filter::Equals(attr, value) => item.get(attr) == Some(value),
        Filter::Exists(attr) => item.contains_key(attr),
        Filter::NotExists(attr) => !item.contains_key(attr),
    }
}
