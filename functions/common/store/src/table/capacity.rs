//! DynamoDB's capacity rules, so the embedded store meters exactly what DynamoDB would bill:
//! 1 WCU per started KB written (the larger of the old and new item), ×2 in a transaction,
//! plus one write per index entry touched; 1 RCU per started 4 KB read strongly
//! consistent, ½ eventually consistent; a query rounds the total it evaluated.

use super::{Index, Item, Value};

const WRITE_UNIT: usize = 1024;
const READ_UNIT: usize = 4096;

/// Item size as DynamoDB counts it: attribute names plus values.
pub fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

fn value_size(value: &Value) -> usize {
    match value {
        Value::S(s) => s.len(),
        // About one byte per two significant digits, plus one.
        Value::N(n) => {
            let digits = n
                .trim_start_matches('-')
                .trim_start_matches('0')
                .replace('.', "")
                .len();
            digits.div_ceil(2) + 1
        }
        Value::Bool(_) | Value::Null => 1,
        Value::L(list) => 3 + list.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        Value::M(map) => {
            3 + map
                .iter()
                .map(|(k, v)| 1 + k.len() + value_size(v))
                .sum::<usize>()
        }
    }
}

/// Write units for one item change: the larger of before and after, at least one unit,
/// doubled in a transaction; plus the index entries the change adds, moves or removes.
pub fn write_units(before: Option<&Item>, after: Option<&Item>, transactional: bool) -> u64 {
    let size = before.map_or(0, item_size).max(after.map_or(0, item_size));
    let base = size.div_ceil(WRITE_UNIT).max(1) as u64;
    let base = if transactional { base * 2 } else { base };
    base + Index::GSIS
        .iter()
        .map(|index| index_write_units(*index, before, after))
        .sum::<u64>()
}

/// A condition check in a transaction is billed like a write of the item, without index entries.
pub fn check_units(item: Option<&Item>, transactional: bool) -> u64 {
    let base = item.map_or(0, item_size).div_ceil(WRITE_UNIT).max(1) as u64;
    if transactional { base * 2 } else { base }
}

fn index_write_units(index: Index, before: Option<&Item>, after: Option<&Item>) -> u64 {
    let key_of = |item: Option<&Item>| {
        let (pk, sk) = index.key_attributes();
        let item = item?;
        Some((item.get(pk)?.clone(), item.get(sk)?.clone()))
    };
    let units = |item: Option<&Item>| item.map_or(0, item_size).div_ceil(WRITE_UNIT).max(1) as u64;
    match (key_of(before), key_of(after)) {
        (None, None) => 0,
        (Some(_), None) => units(before),
        (None, Some(_)) => units(after),
        (Some(old), Some(new)) if old == new => {
            if before == after {
                0
            } else {
                units(after)
            }
        }
        // The entry moves: a delete of the old one and a put of the new one.
        (Some(_), Some(_)) => units(before) + units(after),
    }
}

/// Read units, in halves, for `bytes` read in one call.
pub fn read_half_units(bytes: usize, consistent: bool) -> u64 {
    let blocks = bytes.div_ceil(READ_UNIT).max(1) as u64;
    if consistent { blocks * 2 } else { blocks }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item_of(size: usize) -> Item {
        Item::from([("pk".to_string(), Value::S("x".repeat(size - 2)))])
    }

    #[test]
    fn a_write_costs_one_unit_per_started_kilobyte_and_double_in_a_transaction() {
        assert_eq!(write_units(None, Some(&item_of(100)), false), 1);
        assert_eq!(write_units(None, Some(&item_of(1025)), false), 2);
        assert_eq!(write_units(None, Some(&item_of(1025)), true), 4);
        // An update is billed on the larger of the two versions.
        assert_eq!(
            write_units(Some(&item_of(3000)), Some(&item_of(10)), false),
            3
        );
    }

    #[test]
    fn index_entries_added_or_moved_cost_extra_writes() {
        let mut a = item_of(100);
        a.insert("gsi1pk".into(), Value::s("Q"));
        a.insert("gsi1sk".into(), Value::s("1"));
        let mut b = a.clone();
        b.insert("gsi1sk".into(), Value::s("2"));
        assert_eq!(write_units(None, Some(&a), false), 2);
        assert_eq!(write_units(Some(&a), Some(&b), false), 3);
        assert_eq!(write_units(Some(&a), Some(&a), false), 1);
    }

    #[test]
    fn reads_cost_half_a_unit_per_started_four_kilobytes_when_eventually_consistent() {
        assert_eq!(read_half_units(0, false), 1);
        assert_eq!(read_half_units(4096, false), 1);
        assert_eq!(read_half_units(4097, true), 4);
    }
}
