//! The journal: one JSON line per write (a transaction is one line), appended by a
//! flusher thread that writes and syncs whatever accumulated during the previous sync
//! (group commit). On open it is replayed, and rewritten compactly only when most of it
//! is overwritten history.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::super::{Item, Key, StreamRecord, TableError};
use super::Core;
use super::codec;
use super::feed::record_id;
use super::plan::Effect;
use super::state::{State, Unsynced};

/// A journal is compacted on open when its overwritten history exceeds both the live data
/// (the file is more than twice what a compact one would be) and this.
pub(super) const MIN_WASTE: u64 = 4 << 20;

#[derive(Serialize, Deserialize)]
pub(super) struct JournalEntry {
    pub pk: String,
    pub sk: String,
    /// The item after the write; absent for a delete.
    pub item: Option<Item>,
    /// The offset of the line holding the item's previous version, if it had one: the
    /// change feed reads the old image there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<u64>,
}

/// A journal replayed into memory.
pub(super) struct Replayed {
    pub state: State,
    /// Where the last complete line ends.
    pub len: u64,
    /// The file went on past `len` with a line that was never acknowledged.
    pub torn: bool,
    /// About how many bytes a compact journal of the same items would take.
    pub live: u64,
}

pub(super) fn replay(path: &Path) -> anyhow::Result<Replayed> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut state = State::default();
    // Each line's offset, length and entry count: a live version's share of its line.
    let mut lines: Vec<(u64, u64, u64)> = Vec::new();
    let (mut len, mut torn) = (0u64, false);
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = reader.read_until(b'\n', &mut line)? as u64;
        if read == 0 {
            break;
        }
        let parsed = match line.last() {
            Some(b'\n') => serde_json::from_slice::<Vec<JournalEntry>>(&line).map_err(Some),
            _ => Err(None),
        };
        match parsed {
            Ok(entries) => {
                lines.push((len, read, entries.len().max(1) as u64));
                for e in entries {
                    let key = Key::new(e.pk, e.sk);
                    state.apply(codec::key_bytes(&key), &key, e.item.as_ref(), len);
                }
                len += read;
            }
            // A torn last line is a write that was never acknowledged: drop it.
            Err(_) if reader.fill_buf()?.is_empty() => {
                tracing::warn!("dropping a torn last journal line");
                torn = true;
                break;
            }
            Err(e) => anyhow::bail!(
                "journal {} line {} is corrupt: {}",
                path.display(),
                lines.len() + 1,
                e.map_or("no line end".to_string(), |e| e.to_string())
            ),
        }
    }
    let live = state
        .items
        .values()
        .map(|stored| {
            let n = lines.partition_point(|(offset, _, _)| *offset <= stored.at);
            lines
                .get(n.wrapping_sub(1))
                .map_or(0, |(_, len, entries)| len / entries)
        })
        .sum();
    Ok(Replayed {
        state,
        len,
        torn,
        live,
    })
}

pub(super) fn should_compact(len: u64, live: u64) -> bool {
    let waste = len.saturating_sub(live);
    waste > live && waste >= MIN_WASTE
}

/// Rewrites the journal as one line per live item, atomically (write, sync, rename), and
/// points the items at their new lines. Returns the new length.
pub(super) fn compact(path: &Path, state: &mut State) -> anyhow::Result<u64> {
    let tmp = path.with_extension("journal.tmp");
    let mut out = std::io::BufWriter::new(File::create(&tmp)?);
    let mut len = 0;
    let State { items, names, .. } = state;
    let mut line = Vec::new();
    for (bytes, stored) in items.iter_mut() {
        let key = codec::key_of(bytes);
        let item = codec::decode_at(names, bytes, &stored.bytes);
        line.clear();
        let entry = [JournalEntry {
            pk: key.pk,
            sk: key.sk,
            item: Some(item),
            prev: None,
        }];
        serde_json::to_writer(&mut line, &entry)?;
        line.push(b'\n');
        out.write_all(&line)?;
        stored.at = len;
        len += line.len() as u64;
    }
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    fs::rename(&tmp, path)?;
    sync_dir(path)?;
    Ok(len)
}

/// Cuts a torn last line off, so that appends start on a line of their own.
pub(super) fn truncate(path: &Path, len: u64) -> anyhow::Result<()> {
    let file = OpenOptions::new().write(true).open(path)?;
    file.set_len(len)?;
    file.sync_all()?;
    Ok(())
}

pub(super) fn sync_dir(path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// How far the journal is durable.
#[derive(Clone, Copy, Debug)]
pub(super) struct Durable {
    /// The last write synced (and applied).
    pub seq: u64,
    /// Where the synced part of the file ends.
    pub end: u64,
    pub syncs: u64,
    /// A write or sync failed: the table takes no more writes (it keeps what is durable).
    pub failed: bool,
}

#[derive(Default)]
struct Pending {
    buffer: Vec<u8>,
    /// Records for a subscriber, sent once the buffer is synced.
    records: Vec<StreamRecord>,
    seq: u64,
    /// Where the file will end once the buffer is written.
    end: u64,
    closed: bool,
    failed: bool,
    /// Tests: the flusher waits, as if a sync were in progress.
    #[cfg(test)]
    held: bool,
    /// Tests: the flusher stops without writing what is pending, as in a crash.
    #[cfg(test)]
    crashed: bool,
}

impl Pending {
    #[cfg(test)]
    fn held(&self) -> bool {
        self.held && !self.crashed
    }
    #[cfg(not(test))]
    fn held(&self) -> bool {
        false
    }
    #[cfg(test)]
    fn crashed(&self) -> bool {
        self.crashed
    }
    #[cfg(not(test))]
    fn crashed(&self) -> bool {
        false
    }
}

struct Shared {
    pending: Mutex<Pending>,
    wake: Condvar,
    /// Tests: how many of the next syncs fail.
    #[cfg(test)]
    failing_syncs: std::sync::atomic::AtomicU32,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub(super) struct Journal {
    shared: Arc<Shared>,
    durable: watch::Receiver<Durable>,
    flusher: Option<std::thread::JoinHandle<()>>,
    pub path: PathBuf,
}

impl Journal {
    /// Appends to the journal at `path`, `len` bytes long, telling `core` what is synced.
    pub fn start(path: &Path, len: u64, core: Arc<Core>) -> anyhow::Result<Self> {
        let file = OpenOptions::new().append(true).open(path)?;
        let shared = Arc::new(Shared {
            pending: Mutex::new(Pending {
                end: len,
                ..Pending::default()
            }),
            wake: Condvar::new(),
            #[cfg(test)]
            failing_syncs: Default::default(),
        });
        let (tx, durable) = watch::channel(Durable {
            seq: 0,
            end: len,
            syncs: 0,
            failed: false,
        });
        let flusher = {
            let (shared, path) = (shared.clone(), path.to_path_buf());
            std::thread::Builder::new()
                .name("journal-flusher".into())
                .spawn(move || flush_loop(file, path, shared, core, tx))?
        };
        Ok(Self {
            shared,
            durable,
            flusher: Some(flusher),
            path: path.to_path_buf(),
        })
    }

    /// Applies one write's effects to `state` (the caller holds its lock) and queues them
    /// for the flusher; returns the sequence number to wait for. `push` asks for the
    /// records a subscriber gets once the write is durable (the flusher sends them).
    pub fn append(
        &self,
        state: &mut State,
        effects: Vec<Effect>,
        base: u64,
        push: bool,
    ) -> Result<u64, TableError> {
        let mut pending = self.shared.lock();
        if effects.is_empty() {
            // A transaction of checks only: durable once what it checked is.
            return Ok(pending.seq);
        }
        if pending.failed || pending.closed {
            return Err(anyhow::anyhow!(
                "the journal failed earlier; the table takes no writes until it is reopened"
            )
            .into());
        }
        let line = encode(&effects)?;
        let at = pending.end;
        pending.buffer.extend_from_slice(&line);
        pending.end += line.len() as u64;
        pending.seq += 1;
        let seq = pending.seq;
        if push {
            let records = effects.iter().enumerate().map(|(index, e)| StreamRecord {
                id: record_id(base, at, index),
                key: e.key.clone(),
                old: e.before.clone(),
                new: e.after.clone(),
            });
            pending.records.extend(records);
        }
        // Applied before the flusher can take the line: once it is synced (its record
        // sent, its line readable by the feed), readers see it.
        let synced = self.durable.borrow().seq;
        while state.unsynced.front().is_some_and(|w| w.seq <= synced) {
            state.unsynced.pop_front();
        }
        let before = effects
            .into_iter()
            .map(|e| {
                let before = state.apply(e.bytes.clone(), &e.key, e.after.as_ref(), at);
                (e.bytes, before)
            })
            .collect();
        state.unsynced.push_back(Unsynced { seq, before });
        drop(pending);
        self.shared.wake.notify_one();
        Ok(seq)
    }

    pub async fn wait_durable(&self, seq: u64) -> Result<(), TableError> {
        let mut durable = self.durable.clone();
        let state = *durable
            .wait_for(|d| d.seq >= seq || d.failed)
            .await
            .map_err(|_| anyhow::anyhow!("journal flusher stopped"))?;
        if state.seq >= seq {
            Ok(())
        } else {
            Err(anyhow::anyhow!("journal write failed; the write was not applied").into())
        }
    }

    pub fn durable(&self) -> watch::Receiver<Durable> {
        self.durable.clone()
    }

    pub fn syncs(&self) -> u64 {
        self.durable.borrow().syncs
    }

    /// Tests: the next `n` syncs fail, as a full or failing disk would.
    #[cfg(test)]
    pub fn fail_syncs(&self, n: u32) {
        self.shared
            .failing_syncs
            .store(n, std::sync::atomic::Ordering::SeqCst);
    }

    /// Tests: holds the flusher back (or lets it go), as a sync in progress would.
    #[cfg(test)]
    pub fn hold(&self, held: bool) {
        self.shared.lock().held = held;
        self.shared.wake.notify_one();
    }

    /// Tests: the flusher stops without writing what is pending, as the process would
    /// in a crash.
    #[cfg(test)]
    pub fn crash(&self) {
        self.shared.lock().crashed = true;
        self.shared.wake.notify_one();
    }

    /// Tests: writes queued for the flusher so far.
    #[cfg(test)]
    pub fn queued(&self) -> u64 {
        self.shared.lock().seq
    }
}

fn encode(effects: &[Effect]) -> Result<Vec<u8>, TableError> {
    let entries: Vec<JournalEntry> = effects
        .iter()
        .map(|e| JournalEntry {
            pk: e.key.pk.clone(),
            sk: e.key.sk.clone(),
            item: e.after.clone(),
            prev: e.prev,
        })
        .collect();
    let mut line = serde_json::to_vec(&entries).context("encoding journal entry")?;
    line.push(b'\n');
    Ok(line)
}

impl Drop for Journal {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.wake.notify_one();
        if let Some(flusher) = self.flusher.take() {
            let _ = flusher.join();
        }
    }
}

/// Writes whatever accumulated while the previous sync ran, syncs once for all of it,
/// then lets those writes' callers (and the change feed) go on.
fn flush_loop(
    mut file: File,
    path: PathBuf,
    shared: Arc<Shared>,
    core: Arc<Core>,
    durable: watch::Sender<Durable>,
) {
    loop {
        let (buffer, records, seq, end) = {
            let mut p = shared.lock();
            while (p.buffer.is_empty() || p.held()) && !p.closed && !p.crashed() {
                p = shared.wake.wait(p).unwrap_or_else(|p| p.into_inner());
            }
            if (p.buffer.is_empty() && p.closed) || p.crashed() {
                return;
            }
            (
                std::mem::take(&mut p.buffer),
                std::mem::take(&mut p.records),
                p.seq,
                p.end,
            )
        };
        #[cfg(test)]
        let injected = shared
            .failing_syncs
            .fetch_update(
                std::sync::atomic::Ordering::SeqCst,
                std::sync::atomic::Ordering::SeqCst,
                |n| n.checked_sub(1),
            )
            .is_ok();
        #[cfg(not(test))]
        let injected = false;
        let written = file.write_all(&buffer).and_then(|()| {
            if injected {
                Err(std::io::Error::other("injected sync failure"))
            } else {
                file.sync_data()
            }
        });
        if let Err(error) = written {
            tracing::error!(error = %error, path = %path.display(), "journal write failed; the table takes no more writes");
            fail(&mut file, &shared, &core, &durable);
            return;
        }
        core.push(records);
        durable.send_modify(|d| {
            d.seq = seq;
            d.end = end;
            d.syncs += 1;
        });
    }
}

/// After a failed write or sync: no write from then on is acknowledged, the ones applied
/// since the last sync are taken back (memory is what is durable), and the file is cut
/// back to its durable end so a restart does not bring back writes that were refused.
fn fail(file: &mut File, shared: &Shared, core: &Core, durable: &watch::Sender<Durable>) {
    {
        let mut p = shared.lock();
        p.failed = true;
        p.buffer = Vec::new();
        p.records = Vec::new();
    }
    let end = durable.borrow().end;
    if let Err(error) = file.set_len(end).and_then(|()| file.sync_all()) {
        tracing::error!(error = %error, "could not cut the journal back to its durable end");
    }
    core.lock().roll_back(durable.borrow().seq);
    durable.send_modify(|d| d.failed = true);
}
