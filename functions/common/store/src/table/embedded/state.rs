//! The table in memory, in compact form (see [`codec`](super::codec)), and how to take
//! back the writes applied but not yet durable.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::ops::Bound;

use super::super::{Index, Item, Key, Query, TableError, Value, check_start, schema};
use super::codec::{self, Names};

/// One item: its encoding, and where the journal holds this version (the byte
/// offset of its line; the change feed reads old images there).
pub(super) struct Stored {
    pub bytes: Box<[u8]>,
    pub at: u64,
}

/// A write applied but maybe not yet synced: how to take it back if the sync fails.
pub(super) struct Unsynced {
    pub seq: u64,
    pub before: Vec<(Box<[u8]>, Option<Stored>)>,
}

#[derive(Default)]
pub(super) struct State {
    pub items: BTreeMap<Box<[u8]>, Stored>,
    /// One set of entries per global secondary index, in [`Index::GSIS`] order.
    indexes: [BTreeSet<Box<[u8]>>; 3],
    pub names: Names,
    /// Applied writes, oldest first, from the last one known synced when a write came
    /// (writes drop what is synced as they come; the flusher never takes this lock).
    pub unsynced: VecDeque<Unsynced>,
}

/// The items of one partition, in query order: sort key, table key bytes, item.
pub(super) type Partition<'a> = Box<dyn Iterator<Item = (Cow<'a, str>, &'a [u8], &'a Stored)> + 'a>;

/// What a write plans against: the item (if any) and where its version is in the journal.
pub(super) struct Current {
    pub item: Option<Item>,
    pub at: Option<u64>,
}

impl State {
    /// The item under `key`.
    pub fn get(&self, key: &Key) -> Option<Item> {
        self.items
            .get(&codec::key_bytes(key)[..])
            .map(|stored| codec::decode(&self.names, key, &stored.bytes))
    }

    /// The item as the next write sees it, and where the journal holds its version.
    pub fn current(&self, bytes: &[u8], key: &Key) -> Current {
        match self.items.get(bytes) {
            Some(stored) => Current {
                item: Some(codec::decode(&self.names, key, &stored.bytes)),
                at: Some(stored.at),
            },
            None => Current {
                item: None,
                at: None,
            },
        }
    }

    /// Makes `after` (written at journal offset `at`) the version of `key`, with its
    /// index entries; returns the version it replaces.
    pub fn apply(
        &mut self,
        bytes: Box<[u8]>,
        key: &Key,
        after: Option<&Item>,
        at: u64,
    ) -> Option<Stored> {
        let after = after.map(|item| Stored {
            bytes: codec::encode(&mut self.names, key, item),
            at,
        });
        self.replace(bytes, after)
    }

    /// Puts `stored` (or nothing) under `bytes`, keeping the indexes in step; returns
    /// what was there.
    pub fn replace(&mut self, bytes: Box<[u8]>, stored: Option<Stored>) -> Option<Stored> {
        let before = self.items.remove(&bytes);
        for (n, index) in Index::GSIS.into_iter().enumerate() {
            let (pk, sk) = index.key_attributes();
            let entry = |s: &Stored| {
                codec::string(&self.names, &s.bytes, pk)
                    .zip(codec::string(&self.names, &s.bytes, sk))
                    .map(|(ipk, isk)| codec::index_entry(ipk, isk, &bytes))
            };
            let (old, new) = (
                before.as_ref().and_then(entry),
                stored.as_ref().and_then(entry),
            );
            if old != new {
                if let Some(old) = old {
                    self.indexes[n].remove(&old);
                }
                if let Some(new) = new {
                    self.indexes[n].insert(new);
                }
            }
        }
        if let Some(stored) = stored {
            self.items.insert(bytes, stored);
        }
        before
    }

    /// Takes back every write after `synced`, newest first: memory is what is durable.
    pub fn roll_back(&mut self, synced: u64) {
        while let Some(write) = self.unsynced.pop_back_if(|w| w.seq > synced) {
            for (bytes, before) in write.before.into_iter().rev() {
                self.replace(bytes, before);
            }
        }
    }

    /// The table keys of one partition in query order after the exclusive start key, each
    /// with its sort key (the table's or the index's). Lazy: a page costs O(log n + page),
    /// however large the partition.
    pub fn partition<'a>(&'a self, query: &Query) -> Result<Partition<'a>, TableError> {
        check_start(query)?;
        let (_, sk_attr) = query.index.key_attributes();
        let text = |item: &Item, attr: &str| {
            item.get(attr)
                .and_then(Value::as_s)
                .unwrap_or_default()
                .to_string()
        };
        // Where the previous page ended: its index sort key and table key.
        let start = query.start.as_ref().map(|s| {
            let key = Key::new(text(s, schema::PK), text(s, schema::SK));
            (text(s, sk_attr), codec::key_bytes(&key))
        });
        let (first, end) = codec::partition_bounds(&query.pk);
        let descending = query.descending;
        let Some(n) = Index::GSIS.iter().position(|i| *i == query.index) else {
            let (lower, upper): (Bound<&[u8]>, Bound<&[u8]>) = match &start {
                None => (Bound::Included(&first[..]), Bound::Excluded(&end[..])),
                Some((_, key)) if descending => {
                    (Bound::Included(&first[..]), Bound::Excluded(&key[..]))
                }
                Some((_, key)) => (Bound::Excluded(&key[..]), Bound::Excluded(&end[..])),
            };
            let keys = self
                .items
                .range::<[u8], _>((lower, upper))
                .map(|(k, stored)| (codec::sort_key_of(k), &k[..], stored));
            return Ok(if descending {
                Box::new(keys.rev())
            } else {
                Box::new(keys)
            });
        };
        let start = start.map(|(isk, key)| codec::index_entry(&query.pk, &isk, &key));
        let (lower, upper): (Bound<&[u8]>, Bound<&[u8]>) = match &start {
            None => (Bound::Included(&first[..]), Bound::Excluded(&end[..])),
            Some(entry) if descending => (Bound::Included(&first[..]), Bound::Excluded(&entry[..])),
            Some(entry) => (Bound::Excluded(&entry[..]), Bound::Excluded(&end[..])),
        };
        let keys = self.indexes[n]
            .range::<[u8], _>((lower, upper))
            .filter_map(|entry| {
                let (isk, key) = codec::split_index_entry(entry);
                let (key, stored) = self.items.get_key_value(key)?;
                Some((isk, &key[..], stored))
            });
        Ok(if descending {
            Box::new(keys.rev())
        } else {
            Box::new(keys)
        })
    }
}
