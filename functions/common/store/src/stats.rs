//! Daily stats as items: a tally's additions as `ADD` updates, and a month's items read
//! back into figures. The figures themselves are `domain::stats`.

use chrono::NaiveDate;
use domain::stats::{DailyStats, Dimension, Family, Tally};

use crate::keys;
use crate::table::{Change, Item, Value, WriteOp};

/// The updates that add a tally to its stats items (`ADD`, no condition).
pub fn writes(tally: &Tally) -> Vec<WriteOp> {
    tally
        .updates()
        .map(|(cell, additions)| WriteOp::Update {
            key: keys::stats(&cell),
            changes: additions
                .iter()
                .filter(|(_, n)| **n != 0)
                .map(|(name, n)| Change::Add(name.clone(), *n))
                .collect(),
            condition: None,
        })
        .collect()
}

/// Adds a stats item read from a month's partition; other items are ignored.
pub fn read_into(stats: &mut DailyStats, item: &Item) {
    let Some((day, dimension, family)) = item
        .get(crate::table::schema::SK)
        .and_then(Value::as_s)
        .and_then(day_cell)
    else {
        return;
    };
    let numbers = item
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.as_i64()?)));
    stats.add(day, dimension, family, numbers);
}

/// The day, dimension and family a stats item's sort key names (see `keys::stats`).
fn day_cell(sk: &str) -> Option<(NaiveDate, Dimension, Family)> {
    let (day, rest) = sk.split_once('#')?;
    let day = NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    let (dimension, family) = match rest.strip_suffix(keys::STATS_TIMES_SUFFIX) {
        Some(dimension) => (dimension, Family::Times),
        None => (rest, Family::Counts),
    };
    Some((day, Dimension::parse(dimension)?, family))
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::stats::Cell;

    #[test]
    fn a_cells_key_reads_back_as_the_same_cell() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 3).unwrap();
        for dimension in [
            Dimension::All,
            Dimension::Agent("sam".into()),
            Dimension::Usage,
        ] {
            for family in [Family::Counts, Family::Times] {
                let cell = Cell::Day {
                    day,
                    dimension: dimension.clone(),
                    family,
                };
                let key = keys::stats(&cell);
                assert_eq!(key.pk, "STATS#2026-11");
                assert_eq!(day_cell(&key.sk), Some((day, dimension.clone(), family)));
            }
        }
    }
}
