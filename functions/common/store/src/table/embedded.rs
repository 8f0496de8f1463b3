//! The embedded store: the whole table in memory, made durable by an append-only journal
//! with group commit, for the dev server and tests.
//!
//! A write is applied in memory under one lock (so conditions and transactions behave as
//! in DynamoDB) and appended to the journal buffer; the caller is answered once a flusher
//! thread has written and synced the buffer. Concurrent writes that arrive during one
//! sync share the next one, so N concurrent writers pay about one disk flush, not N.
//! On open the journal is replayed and rewritten compactly (one line per item).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use anyhow::Context;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};

use super::capacity::{check_units, item_size, read_half_units, write_units};
use super::schema::{PK, SK};
use super::{
    Change, Condition, Consumed, Filter, Index, Item, Key, Page, Query, SortKey, StreamRecord,
    Table, TableError, TableMetrics, Value, WriteOp, check_start, key_item,
};

/// One index entry: the index's partition and sort key, then the table key for uniqueness.
type IndexEntry = (String, String, Key);

#[derive(Default)]
struct State {
    items: BTreeMap<Key, Item>,
    indexes: HashMap<Index, BTreeSet<IndexEntry>>,
}

pub struct EmbeddedTable {
    state: Mutex<State>,
    journal: Option<Journal>,
    metrics: TableMetrics,
    /// The change feed (the embedded DynamoDB stream), once someone subscribes.
    feed: Mutex<Option<mpsc::UnboundedSender<StreamRecord>>>,
    sequence: std::sync::atomic::AtomicU64,
}

impl EmbeddedTable {
    /// A table that lives in memory only (tests, benchmarks).
    pub fn in_memory() -> Self {
        Self::with(State::default(), None)
    }

    /// Opens (or creates) the durable table in `dir`, replaying and compacting its journal.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        fs::create_dir_all(dir)
            .with_context(|| format!("creating data folder {}", dir.display()))?;
        let path = dir.join("table.journal");
        let mut state = State::default();
        if path.exists() {
            replay(&path, &mut state)?;
        }
        compact(&path, &state)?;
        let journal = Journal::start(&path)?;
        Ok(Self::with(state, Some(journal)))
    }

    fn with(state: State, journal: Option<Journal>) -> Self {
        Self {
            state: Mutex::new(state),
            journal,
            metrics: TableMetrics::default(),
            feed: Mutex::new(None),
            sequence: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Every change from now on, once durable, in the shape a DynamoDB stream delivers
    /// (keys, old and new image). One subscriber: a new one replaces the last.
    pub fn subscribe(&self) -> mpsc::UnboundedReceiver<StreamRecord> {
        let (sender, receiver) = mpsc::unbounded_channel();
        *self.feed.lock().unwrap_or_else(|p| p.into_inner()) = Some(sender);
        receiver
    }

    fn publish(&self, changes: Vec<(Key, Option<Item>, Option<Item>)>) {
        let feed = self.feed.lock().unwrap_or_else(|p| p.into_inner());
        let Some(sender) = feed.as_ref() else { return };
        for (key, old, new) in changes {
            let id = self
                .sequence
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                .to_string();
            let _ = sender.send(StreamRecord { id, key, old, new });
        }
    }

    /// How many items the table holds (diagnostics and tests: proves a failed request
    /// left nothing behind).
    pub fn item_count(&self) -> usize {
        self.lock().items.len()
    }

    /// Every item, in key order (tests: proves erased content is gone everywhere).
    pub fn items(&self) -> Vec<Item> {
        self.lock().items.values().cloned().collect()
    }

    /// Disk syncs so far: with group commit, fewer than the writes acknowledged.
    pub fn journal_syncs(&self) -> u64 {
        self.journal
            .as_ref()
            .map_or(0, |j| j.durable.borrow().syncs)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-applied write: changes are
        // computed first and applied without fallible steps, so the state stays usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl Table for EmbeddedTable {
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, TableError> {
        let item = self.lock().items.get(key).cloned();
        let bytes = item.as_ref().map_or(0, item_size);
        self.metrics.record(Consumed {
            read_half_units: read_half_units(bytes, consistent),
            write_units: 0,
        });
        Ok(item)
    }

    async fn query(&self, query: &Query) -> Result<Page, TableError> {
        let state = self.lock();
        let keys = partition_keys(&state, query)?;
        let limit = query.limit.map_or(usize::MAX, |l| l as usize);
        let mut page = Page::default();
        let mut bytes = 0;
        let mut evaluated = 0;
        for key in keys {
            let Some(item) = state.items.get(key) else {
                continue;
            };
            if !sort_matches(query, item) {
                // Keys come in sort-key order: once past the condition's range, stop
                // (as DynamoDB reads only the matching range).
                if past_range(query, item) {
                    break;
                }
                continue;
            }
            evaluated += 1;
            bytes += item_size(item);
            if query.filters.iter().all(|f| filter_matches(f, item)) {
                page.items.push(item.clone());
            }
            if evaluated == limit {
                page.last = Some(key_item(query.index, item));
                break;
            }
        }
        drop(state);
        // Table queries are strongly consistent, index queries eventually consistent.
        let consistent = query.index == Index::Table;
        self.metrics.record(Consumed {
            read_half_units: read_half_units(bytes, consistent),
            write_units: 0,
        });
        Ok(page)
    }

    async fn write(&self, ops: Vec<WriteOp>) -> Result<(), TableError> {
        let transactional = ops.len() > 1;
        let (result, seq) = {
            let mut state = self.lock();
            let planned = plan(&state, &ops, transactional);
            let units = match &planned {
                Ok(effects) => effects.iter().map(|e| e.units).sum(),
                Err((_, units)) => *units,
            };
            self.metrics.record(Consumed {
                read_half_units: 0,
                write_units: units,
            });
            match planned {
                Err((error, _)) => (Err(error), None),
                Ok(effects) => {
                    let seq = match &self.journal {
                        Some(journal) => Some(journal.append(&effects)?),
                        None => None,
                    };
                    let mut changes = Vec::with_capacity(effects.len());
                    for effect in effects {
                        let before = state.items.get(&effect.key).cloned();
                        changes.push((effect.key.clone(), before, effect.after.clone()));
                        apply(&mut state, effect.key, effect.after);
                    }
                    (Ok(changes), seq)
                }
            }
        };
        if let (Some(journal), Some(seq)) = (&self.journal, seq) {
            journal.wait_durable(seq).await?;
        }
        self.publish(result?);
        Ok(())
    }

    fn metrics(&self) -> &TableMetrics {
        &self.metrics
    }
}

/// The resolved outcome of one op: the item after it (None = deleted or untouched check).
struct Effect {
    key: Key,
    after: Option<Item>,
    units: u64,
    changes: bool,
}

/// Checks every condition and computes every new item before anything is applied, so a
/// failed transaction changes nothing. The error carries the units DynamoDB still bills.
fn plan(
    state: &State,
    ops: &[WriteOp],
    transactional: bool,
) -> Result<Vec<Effect>, (TableError, u64)> {
    let mut seen = BTreeSet::new();
    let mut effects = Vec::with_capacity(ops.len());
    let mut failed = None;
    for (index, op) in ops.iter().enumerate() {
        let key = op_key(op).map_err(|e| (e, 0))?;
        if !seen.insert(key.clone()) {
            return Err((
                TableError::Invalid("one transaction touches the same item twice".into()),
                0,
            ));
        }
        let before = state.items.get(&key);
        let condition = match op {
            WriteOp::Put { condition, .. }
            | WriteOp::Update { condition, .. }
            | WriteOp::Delete { condition, .. } => condition.as_ref(),
            WriteOp::Check { condition, .. } => Some(condition),
        };
        if failed.is_none() && !condition.is_none_or(|c| condition_holds(c, before)) {
            failed = Some(index);
        }
        let (after, changes) = match op {
            WriteOp::Put { item, .. } => (Some(item.clone()), true),
            WriteOp::Update { changes, .. } => (
                Some(updated(&key, before, changes).map_err(|e| (e, 0))?),
                true,
            ),
            WriteOp::Delete { .. } => (None, true),
            WriteOp::Check { .. } => (before.cloned(), false),
        };
        let units = if changes {
            write_units(before, after.as_ref(), transactional)
        } else {
            check_units(before, transactional)
        };
        effects.push(Effect {
            key,
            after,
            units,
            changes,
        });
    }
    match failed {
        Some(index) => Err((
            TableError::ConditionFailed { index },
            effects.iter().map(|e| e.units).sum(),
        )),
        None => Ok(effects.into_iter().filter(|e| e.changes).collect()),
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

fn index_entry(index: Index, key: &Key, item: &Item) -> Option<IndexEntry> {
    let (pk, sk) = index.key_attributes();
    match (item.get(pk), item.get(sk)) {
        (Some(Value::S(ipk)), Some(Value::S(isk))) => Some((ipk.clone(), isk.clone(), key.clone())),
        _ => None,
    }
}

fn apply(state: &mut State, key: Key, after: Option<Item>) {
    if let Some(before) = state.items.remove(&key) {
        for index in Index::GSIS {
            if let Some(entry) = index_entry(index, &key, &before) {
                state.indexes.entry(index).or_default().remove(&entry);
            }
        }
    }
    if let Some(item) = after {
        for index in Index::GSIS {
            if let Some(entry) = index_entry(index, &key, &item) {
                state.indexes.entry(index).or_default().insert(entry);
            }
        }
        state.items.insert(key, item);
    }
}

/// The table keys of one partition in query order, after the exclusive start key. Lazy:
/// a page costs O(log n + page), however large the partition.
fn partition_keys<'a>(
    state: &'a State,
    query: &Query,
) -> Result<Box<dyn Iterator<Item = &'a Key> + 'a>, TableError> {
    check_start(query)?;
    let (_, sk_attr) = query.index.key_attributes();
    let text = |item: &Item, attr: &str| {
        item.get(attr)
            .and_then(Value::as_s)
            .unwrap_or_default()
            .to_string()
    };
    // Where the previous page ended: its index sort key and table key.
    let start = query
        .start
        .as_ref()
        .map(|s| (text(s, sk_attr), Key::new(text(s, PK), text(s, SK))));
    let next_partition = format!("{}\0", query.pk);
    let (descending, pk) = (query.descending, query.pk.clone());
    if query.index == Index::Table {
        let first = Bound::Included(Key::new(&pk, ""));
        let end = Bound::Excluded(Key::new(next_partition, ""));
        let (lower, upper) = match start {
            None => (first, end),
            Some((_, key)) if descending => (first, Bound::Excluded(key)),
            Some((_, key)) => (Bound::Excluded(key), end),
        };
        let keys = state.items.range((lower, upper)).map(|(k, _)| k);
        return Ok(if descending {
            Box::new(keys.rev())
        } else {
            Box::new(keys)
        });
    }
    let Some(entries) = state.indexes.get(&query.index) else {
        return Ok(Box::new(std::iter::empty()));
    };
    let first = Bound::Included((pk.clone(), String::new(), Key::new("", "")));
    let end = Bound::Excluded((next_partition, String::new(), Key::new("", "")));
    let (lower, upper) = match start {
        None => (first, end),
        Some((isk, key)) if descending => (first, Bound::Excluded((pk, isk, key))),
        Some((isk, key)) => (Bound::Excluded((pk, isk, key)), end),
    };
    let keys = entries.range((lower, upper)).map(|(_, _, key)| key);
    Ok(if descending {
        Box::new(keys.rev())
    } else {
        Box::new(keys)
    })
}

fn sort_matches(query: &Query, item: &Item) -> bool {
    let Some(condition) = &query.sort else {
        return true;
    };
    let (_, sk_attr) = query.index.key_attributes();
    let Some(sk) = item.get(sk_attr).and_then(Value::as_s) else {
        return false;
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

/// Whether an item that does not match the sort condition lies beyond its range in the
/// direction the query reads, so no later item can match.
fn past_range(query: &Query, item: &Item) -> bool {
    let Some(condition) = &query.sort else {
        return false;
    };
    let (_, sk_attr) = query.index.key_attributes();
    let Some(sk) = item.get(sk_attr).and_then(Value::as_s) else {
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

fn filter_matches(filter: &Filter, item: &Item) -> bool {
    match filter {
        Filter::Equals(attr, value) => item.get(attr) == Some(value),
        Filter::NotExists(attr) => !item.contains_key(attr),
    }
}

// ---- journal ----

#[derive(Serialize, Deserialize)]
struct JournalEntry {
    pk: String,
    sk: String,
    /// The item after the write; absent for a delete.
    item: Option<Item>,
}

fn replay(path: &Path, state: &mut State) -> anyhow::Result<()> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let lines: Vec<String> = BufReader::new(file).lines().collect::<Result<_, _>>()?;
    let count = lines.len();
    for (number, line) in lines.into_iter().enumerate() {
        match serde_json::from_str::<Vec<JournalEntry>>(&line) {
            Ok(entries) => {
                for e in entries {
                    apply(state, Key::new(e.pk, e.sk), e.item);
                }
            }
            // A torn last line is a write that was never acknowledged: drop it.
            Err(_) if number + 1 == count => tracing::warn!("dropping a torn last journal line"),
            Err(e) => anyhow::bail!(
                "journal {} line {} is corrupt: {e}",
                path.display(),
                number + 1
            ),
        }
    }
    Ok(())
}

/// Rewrites the journal as one line per live item, atomically (write, sync, rename).
fn compact(path: &Path, state: &State) -> anyhow::Result<()> {
    let tmp = path.with_extension("journal.tmp");
    let mut out = std::io::BufWriter::new(File::create(&tmp)?);
    for (key, item) in &state.items {
        let entry = [JournalEntry {
            pk: key.pk.clone(),
            sk: key.sk.clone(),
            item: Some(item.clone()),
        }];
        serde_json::to_writer(&mut out, &entry)?;
        out.write_all(b"\n")?;
    }
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

#[derive(Clone, Copy)]
struct Durable {
    seq: u64,
    syncs: u64,
    failed: bool,
}

#[derive(Default)]
struct Pending {
    buffer: Vec<u8>,
    seq: u64,
    closed: bool,
}

struct Journal {
    pending: Arc<(Mutex<Pending>, Condvar)>,
    durable: watch::Receiver<Durable>,
    flusher: Option<std::thread::JoinHandle<()>>,
}

impl Journal {
    fn start(path: &Path) -> anyhow::Result<Self> {
        let file = OpenOptions::new().append(true).open(path)?;
        let pending = Arc::new((Mutex::new(Pending::default()), Condvar::new()));
        let (tx, durable) = watch::channel(Durable {
            seq: 0,
            syncs: 0,
            failed: false,
        });
        let shared = pending.clone();
        let path = path.to_path_buf();
        let flusher = std::thread::Builder::new()
            .name("journal-flusher".into())
            .spawn(move || flush_loop(file, path, shared, tx))?;
        Ok(Self {
            pending,
            durable,
            flusher: Some(flusher),
        })
    }

    /// Queues one write's effects for the flusher; returns its sequence number.
    fn append(&self, effects: &[Effect]) -> Result<u64, TableError> {
        let line = encode(effects)?;
        let (lock, wake) = &*self.pending;
        let seq = push(&mut lock.lock().unwrap_or_else(|p| p.into_inner()), &line);
        wake.notify_one();
        Ok(seq)
    }

    async fn wait_durable(&self, seq: u64) -> Result<(), TableError> {
        let mut durable = self.durable.clone();
        let state = *durable
            .wait_for(|d| d.seq >= seq || d.failed)
            .await
            .map_err(|_| anyhow::anyhow!("journal flusher stopped"))?;
        if state.seq >= seq {
            Ok(())
        } else {
            Err(anyhow::anyhow!("journal write failed").into())
        }
    }
}

fn encode(effects: &[Effect]) -> Result<Vec<u8>, TableError> {
    let entries: Vec<JournalEntry> = effects
        .iter()
        .map(|e| JournalEntry {
            pk: e.key.pk.clone(),
            sk: e.key.sk.clone(),
            item: e.after.clone(),
        })
        .collect();
    let mut line = serde_json::to_vec(&entries).context("encoding journal entry")?;
    line.push(b'\n');
    Ok(line)
}

fn push(pending: &mut Pending, line: &[u8]) -> u64 {
    pending.buffer.extend_from_slice(line);
    pending.seq += 1;
    pending.seq
}

impl Drop for Journal {
    fn drop(&mut self) {
        let (lock, wake) = &*self.pending;
        lock.lock().unwrap_or_else(|p| p.into_inner()).closed = true;
        wake.notify_one();
        if let Some(flusher) = self.flusher.take() {
            let _ = flusher.join();
        }
    }
}

/// Writes whatever accumulated while the previous sync ran, then syncs once for all of it.
fn flush_loop(
    mut file: File,
    path: PathBuf,
    pending: Arc<(Mutex<Pending>, Condvar)>,
    durable: watch::Sender<Durable>,
) {
    let (lock, wake) = &*pending;
    loop {
        let (buffer, seq) = {
            let mut p = lock.lock().unwrap_or_else(|p| p.into_inner());
            while p.buffer.is_empty() && !p.closed {
                p = wake.wait(p).unwrap_or_else(|p| p.into_inner());
            }
            if p.buffer.is_empty() && p.closed {
                return;
            }
            (std::mem::take(&mut p.buffer), p.seq)
        };
        let written = file.write_all(&buffer).and_then(|()| file.sync_data());
        if let Err(error) = written {
            tracing::error!(error = %error, path = %path.display(), "journal write failed");
            durable.send_modify(|d| d.failed = true);
            return;
        }
        durable.send_modify(|d| {
            d.seq = seq;
            d.syncs += 1;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Group commit: whatever is pending when the flusher wakes goes to disk with one sync.
    #[tokio::test]
    async fn writes_pending_during_a_sync_share_the_next_one() {
        let dir = std::env::temp_dir().join(format!("saypro-group-commit-{}", ulid::Ulid::new()));
        let table = EmbeddedTable::open(&dir).unwrap();
        let journal = table.journal.as_ref().unwrap();
        let (lock, wake) = &*journal.pending;
        let last = {
            // Hold the flusher back, as a sync in progress would, while 50 writes arrive.
            let mut pending = lock.lock().unwrap();
            let mut last = 0;
            for n in 0..50 {
                let effect = Effect {
                    key: Key::new("G", n.to_string()),
                    after: Some(Item::new()),
                    units: 1,
                    changes: true,
                };
                last = push(&mut pending, &encode(&[effect]).unwrap());
            }
            last
        };
        wake.notify_one();
        journal.wait_durable(last).await.unwrap();
        assert_eq!(table.journal_syncs(), 1);
    }
}
