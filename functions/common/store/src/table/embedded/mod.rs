//! The embedded store: the whole table in memory, made durable by an append-only journal
//! with group commit, for the dev server and tests.
//!
//! **Durability.** A write is planned and applied in memory under one lock (so conditions
//! and transactions behave as in DynamoDB) and appended to the journal buffer; the caller
//! is answered, and the change feed told, only once a flusher thread has written and
//! synced it. Concurrent writes that arrive during one sync share the next one, so N
//! concurrent writers pay about one disk flush, not N.
//!
//! Applying before the sync lets writes to one item chain within a sync window (64
//! clients replying in one conversation: 3,900 requests/s; applied only after the sync,
//! each read-modify-write would wait a whole sync for the version before it). It is safe
//! because the journal is written in apply order: a crash loses a suffix of the applied
//! writes, never one without those it read, and none of them was acknowledged or reached
//! the change feed (no notification goes out for it). What a crash between apply and
//! sync can undo is only what a concurrent plain read returned within that window
//! (tested). A failed write or sync fails that write and every one applied after it, takes
//! them back in memory (memory is then what is on disk), cuts the file back to its
//! durable end, and the table takes no more writes until it is reopened (after a failed
//! fsync the file's state is unknown).
//!
//! **Opening** replays the journal; it is rewritten compactly only when most of it is
//! overwritten history (see [`journal::should_compact`]), and a torn last line (a write
//! never acknowledged) is cut off.
//!
//! **Memory.** Items and index entries are held compactly ([`codec`]): about 340 bytes of
//! heap for a stored message of 10 attributes (1.1 KB as a `BTreeMap` item under a
//! `Key`), 130 bytes for a 3-attribute stats claim (810), about 1.1 KB for the four
//! items an admin reply leaves (message, notification, stats claim, email marker; 3.9 KB
//! before), against about 1.1 KB of journal.
//! The change feed is a cursor over the journal ([`Feed`]), so a slow consumer leaves its
//! backlog on disk, not in memory.
//!
//! **TTL.** [`EmbeddedTable::remove_expired`] deletes what DynamoDB's TTL would, when the
//! dev server's schedule calls it; until then expired items are still read, as there.

mod codec;
mod feed;
mod journal;
mod plan;
mod state;

use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use anyhow::Context;
use async_trait::async_trait;
use tokio::sync::mpsc;

use super::capacity::{item_size, read_half_units};
use super::schema::TTL;
use super::{
    Condition, Consumed, GET_MANY_KEYS, Item, Key, Page, Query, StreamRecord, Table, TableError,
    TableMetrics, Value, WRITE_EACH_OPS, WriteOp, check_write_each, key_item,
};
pub use feed::{Feed, KeyFilter};
use journal::Journal;
use plan::{Effect, filter_matches, past_range, plan, sort_matches};
use state::State;

/// DynamoDB's TTL leaves alone items whose expiry is more than five years in the past.
const TTL_HORIZON_SECONDS: i64 = 5 * 365 * 24 * 3600;

/// How many items the TTL sweep looks at per lock.
const SWEEP_BATCH: usize = 4096;

/// What the table and its flusher share.
pub(super) struct Core {
    state: Mutex<State>,
    /// Pushed records, once someone subscribes (see [`EmbeddedTable::subscribe`]).
    feed: Mutex<Option<mpsc::UnboundedSender<StreamRecord>>>,
    /// When the table was opened (microseconds): record ids start with it.
    base: u64,
    /// Records pushed by the memory-only table, for their ids.
    pushed: AtomicU64,
}

impl Core {
    fn new(state: State) -> Arc<Self> {
        let base = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as u64);
        Arc::new(Self {
            state: Mutex::new(state),
            feed: Mutex::new(None),
            base,
            pushed: AtomicU64::new(0),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-applied write: changes are
        // computed first and applied without fallible steps, so the state stays usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn feed(&self) -> MutexGuard<'_, Option<mpsc::UnboundedSender<StreamRecord>>> {
        self.feed.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sends synced writes' records to a subscriber, in order.
    fn push(&self, records: Vec<StreamRecord>) {
        if records.is_empty() {
            return;
        }
        if let Some(sender) = self.feed().as_ref() {
            for record in records {
                let _ = sender.send(record);
            }
        }
    }
}

pub struct EmbeddedTable {
    core: Arc<Core>,
    journal: Option<Journal>,
    metrics: TableMetrics,
}

impl EmbeddedTable {
    /// A table that lives in memory only (tests, benchmarks).
    pub fn in_memory() -> Self {
        Self {
            core: Core::new(State::default()),
            journal: None,
            metrics: TableMetrics::default(),
        }
    }

    /// Opens (or creates) the durable table in `dir`, replaying its journal.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        fs::create_dir_all(dir)
            .with_context(|| format!("creating data folder {}", dir.display()))?;
        let path = dir.join("table.journal");
        let (state, len) = if path.exists() {
            let mut replayed = journal::replay(&path)?;
            let len = if journal::should_compact(replayed.len, replayed.live) {
                tracing::info!(
                    journal = replayed.len,
                    live = replayed.live,
                    "compacting the journal"
                );
                journal::compact(&path, &mut replayed.state)?
            } else {
                if replayed.torn {
                    journal::truncate(&path, replayed.len)?;
                }
                replayed.len
            };
            (replayed.state, len)
        } else {
            fs::File::create(&path)?.sync_all()?;
            journal::sync_dir(&path)?;
            (State::default(), 0)
        };
        let core = Core::new(state);
        let journal = Journal::start(&path, len, core.clone())?;
        Ok(Self {
            core,
            journal: Some(journal),
            metrics: TableMetrics::default(),
        })
    }

    /// Every change from now on, once durable, pushed into an unbounded channel: for
    /// tests and in-process benches that drain it as they go. One subscriber: a new one
    /// (or a [`stream`](Self::stream)) replaces the last. A consumer that may fall behind
    /// (the dev server's) reads [`stream`](Self::stream) instead.
    pub fn subscribe(&self) -> mpsc::UnboundedReceiver<StreamRecord> {
        let (sender, receiver) = mpsc::unbounded_channel();
        *self.core.feed() = Some(sender);
        receiver
    }

    /// Every change from now on, once durable: on a durable table a cursor over the
    /// journal, so records a slow consumer has not reached wait on disk, not in memory
    /// (as a DynamoDB stream keeps them for 24 hours), and writers never wait for it; any
    /// number of readers. The memory-only table has no journal: it pushes records into a
    /// channel, like [`subscribe`](Self::subscribe).
    pub fn stream(&self) -> Feed {
        match &self.journal {
            Some(journal) => {
                *self.core.feed() = None;
                Feed::journal(journal.path.clone(), journal.durable(), self.core.base)
            }
            None => self.subscribe().into(),
        }
    }

    /// How many items the table holds (diagnostics and tests: proves a failed request
    /// left nothing behind).
    pub fn item_count(&self) -> usize {
        self.core.lock().items.len()
    }

    /// Every item, in key order (tests: proves erased content is gone everywhere).
    pub fn items(&self) -> Vec<Item> {
        let state = self.core.lock();
        state
            .items
            .iter()
            .map(|(bytes, stored)| codec::decode_at(&state.names, bytes, &stored.bytes))
            .collect()
    }

    /// Disk syncs so far: with group commit, fewer than the writes acknowledged.
    pub fn journal_syncs(&self) -> u64 {
        self.journal.as_ref().map_or(0, Journal::syncs)
    }

    /// Deletes the items whose TTL (`expires_at`, epoch seconds) is before `now`, as
    /// DynamoDB's TTL process does: eventually (when the dev server's schedule runs it;
    /// until then reads still return them), each as an ordinary delete that the change
    /// feed reports as a REMOVE with the old image, at no capacity, and only if the item
    /// still has the expiry seen (a write that extends it wins). Items expired more than
    /// five years ago are left, as DynamoDB leaves them. Returns how many were deleted.
    pub async fn remove_expired(&self, now: i64) -> Result<usize, TableError> {
        let expired = |text: &str| {
            text.parse::<f64>()
                .is_ok_and(|at| at < now as f64 && at > (now - TTL_HORIZON_SECONDS) as f64)
        };
        let mut removed = 0;
        let mut after: Option<Box<[u8]>> = None;
        loop {
            let (seq, next) = {
                let mut state = self.core.lock();
                let lower = match &after {
                    Some(key) => std::ops::Bound::Excluded(&key[..]),
                    None => std::ops::Bound::Unbounded,
                };
                let (mut scanned, mut last, mut found) = (0, None, Vec::new());
                for (bytes, stored) in state
                    .items
                    .range::<[u8], _>((lower, std::ops::Bound::Unbounded))
                    .take(SWEEP_BATCH)
                {
                    scanned += 1;
                    last = Some(bytes);
                    if let Some(text) = codec::number(&state.names, &stored.bytes, TTL)
                        && expired(text)
                    {
                        found.push((codec::key_of(bytes), text.to_string()));
                    }
                }
                let next = (scanned == SWEEP_BATCH).then(|| last.cloned()).flatten();
                let mut seq = None;
                for (key, text) in found {
                    let op = WriteOp::Delete {
                        key,
                        condition: Some(Condition::Equals(TTL.into(), Value::N(text))),
                    };
                    // Changed by a write queued since: no longer what expired.
                    let Ok(effects) = plan(&state, std::slice::from_ref(&op), false) else {
                        continue;
                    };
                    seq = self.commit(&mut state, effects)?.or(seq);
                    removed += 1;
                }
                (seq, next)
            };
            if let (Some(journal), Some(seq)) = (&self.journal, seq) {
                journal.wait_durable(seq).await?;
            }
            match next {
                Some(key) => after = Some(key),
                None => return Ok(removed),
            }
        }
    }

    /// Makes planned effects happen: at once without a journal, else queued for the
    /// flusher (the sequence number to wait for).
    fn commit(&self, state: &mut State, effects: Vec<Effect>) -> Result<Option<u64>, TableError> {
        if let Some(journal) = &self.journal {
            let push = self.core.feed().is_some();
            return journal
                .append(state, effects, self.core.base, push)
                .map(Some);
        }
        let feed = self.core.feed();
        for effect in effects {
            state.apply(effect.bytes, &effect.key, effect.after.as_ref(), 0);
            if let Some(sender) = feed.as_ref() {
                let n = self.core.pushed.fetch_add(1, Ordering::Relaxed);
                let _ = sender.send(StreamRecord {
                    id: format!("{:016}{n:016}", self.core.base),
                    key: effect.key,
                    old: effect.before,
                    new: effect.after,
                });
            }
        }
        Ok(None)
    }

    /// Plans `ops` (all or nothing when `transactional`), meters them as DynamoDB
    /// would, and applies them; the journal sequence to wait for, if durable.
    fn apply(&self, ops: &[WriteOp], transactional: bool) -> Result<Option<u64>, TableError> {
        let mut state = self.core.lock();
        let planned = plan(&state, ops, transactional);
        let units = match &planned {
            Ok(effects) => effects.iter().map(|e| e.units).sum(),
            Err((_, units)) => *units,
        };
        self.metrics.record(Consumed {
            read_half_units: 0,
            write_units: units,
        });
        let effects = planned.map_err(|(error, _)| error)?;
        self.commit(&mut state, effects)
    }

    /// BatchGetItem, metered as DynamoDB bills it: a round trip per [`GET_MANY_KEYS`]
    /// keys, each item found on its own, rounded up to 4 KB.
    fn batch_get(&self, keys: &[Key], consistent: bool) -> Vec<Item> {
        let mut found = Vec::new();
        for chunk in keys.chunks(GET_MANY_KEYS) {
            let state = self.core.lock();
            let mut half_units = 0;
            for key in chunk {
                if let Some(item) = state.get(key) {
                    half_units += read_half_units(item_size(&item), consistent);
                    found.push(item);
                }
            }
            drop(state);
            self.metrics.record(Consumed {
                read_half_units: half_units,
                write_units: 0,
            });
        }
        found
    }

    #[cfg(test)]
    fn journal(&self) -> &Journal {
        self.journal.as_ref().expect("a durable table")
    }
}

#[async_trait]
impl Table for EmbeddedTable {
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, TableError> {
        let item = self.core.lock().get(key);
        let bytes = item.as_ref().map_or(0, item_size);
        self.metrics.record(Consumed {
            read_half_units: read_half_units(bytes, consistent),
            write_units: 0,
        });
        Ok(item)
    }

    async fn query(&self, query: &Query) -> Result<Page, TableError> {
        let state = self.core.lock();
        let keys = state.partition(query)?;
        let limit = query.limit.map_or(usize::MAX, |l| l as usize);
        let mut page = Page::default();
        let mut bytes = 0;
        let mut evaluated = 0;
        for (sk, key, stored) in keys {
            if !sort_matches(query, &sk) {
                // Keys come in sort-key order: once past the condition's range, stop
                // (as DynamoDB reads only the matching range).
                if past_range(query, &sk) {
                    break;
                }
                continue;
            }
            let item = codec::decode_at(&state.names, key, &stored.bytes);
            evaluated += 1;
            bytes += item_size(&item);
            let last = (evaluated == limit).then(|| key_item(query.index, &item));
            if query.filters.iter().all(|f| filter_matches(f, &item)) {
                page.items.push(item);
            }
            if last.is_some() {
                page.last = last;
                break;
            }
        }
        drop(state);
        let consistent = query.consistent;
        self.metrics.record(Consumed {
            read_half_units: read_half_units(bytes, consistent),
            write_units: 0,
        });
        Ok(page)
    }

    async fn write(&self, ops: Vec<WriteOp>) -> Result<(), TableError> {
        let transactional = ops.len() > 1;
        let seq = self.apply(&ops, transactional)?;
        if let (Some(journal), Some(seq)) = (&self.journal, seq) {
            journal.wait_durable(seq).await?;
        }
        Ok(())
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, TableError> {
        Ok(self.batch_get(keys, false))
    }

    async fn get_many_consistent(&self, keys: &[Key]) -> Result<Vec<Item>, TableError> {
        Ok(self.batch_get(keys, true))
    }

    async fn write_each(&self, ops: Vec<WriteOp>) -> Result<(), TableError> {
        check_write_each(&ops)?;
        let mut last_seq = None;
        for chunk in ops.chunks(WRITE_EACH_OPS) {
            last_seq = self.apply(chunk, false)?.or(last_seq);
        }
        if let (Some(journal), Some(seq)) = (&self.journal, last_seq) {
            journal.wait_durable(seq).await?;
        }
        Ok(())
    }

    fn metrics(&self) -> &TableMetrics {
        &self.metrics
    }
}

#[cfg(test)]
mod tests;
