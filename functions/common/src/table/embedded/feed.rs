//! The change feed (the embedded DynamoDB stream) as a cursor over the journal.
//!
//! A consumer behind the writers (notify does several durable writes per record) used to
//! hold a copy of every record it had not reached, old and new image, in an unbounded
//! channel: 78,000 admin replies left over a gigabyte queued in the dev server. A
//! journal cursor holds a position instead and reads records from the file when asked
//! (the OS page cache serves the recent ones): what waits is on disk, as a DynamoDB
//! stream keeps 24 hours of records, and memory holds one chunk at a time. Old images
//! come from the line the entry's `prev` points at. Writers are never held back.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::PathBuf;

use tokio::sync::{mpsc, watch};

use super::super::{Item, Key, StreamRecord};
use super::journal::{Durable, JournalEntry};

/// At most this much of the journal is read (and its records held) at a time.
const CHUNK: usize = 256 << 10;

/// The new images of about this many recent records are kept for the old images of the
/// next changes of the same items (a reader at the end of the journal reads few lines at
/// a time, and hot items change in every one).
const RECENT: usize = 512;

/// Every change, once durable, in the shape a DynamoDB stream delivers it (keys, old and
/// new image), in write order.
pub struct Feed(Source);

enum Source {
    /// Records pushed as writes are applied (the memory-only table, and [`subscribe`]).
    ///
    /// [`subscribe`]: super::EmbeddedTable::subscribe
    Channel(mpsc::UnboundedReceiver<StreamRecord>),
    Journal(JournalFeed),
}

impl From<mpsc::UnboundedReceiver<StreamRecord>> for Feed {
    fn from(receiver: mpsc::UnboundedReceiver<StreamRecord>) -> Self {
        Feed(Source::Channel(receiver))
    }
}

impl Feed {
    pub(super) fn journal(path: PathBuf, durable: watch::Receiver<Durable>, base: u64) -> Self {
        let at = durable.borrow().end;
        Feed(Source::Journal(JournalFeed {
            path,
            file: None,
            at,
            durable,
            base,
            queue: VecDeque::new(),
            recent: HashMap::new(),
        }))
    }

    /// The next record; None once the table is gone and every record was delivered.
    pub async fn recv(&mut self) -> Option<StreamRecord> {
        match &mut self.0 {
            Source::Channel(receiver) => receiver.recv().await,
            Source::Journal(journal) => journal.recv().await,
        }
    }

    /// A second, independent reader from the same position, as each DynamoDB stream
    /// consumer reads the stream at its own pace. None for a pushed feed (one receiver).
    pub fn try_clone(&self) -> Option<Feed> {
        match &self.0 {
            Source::Channel(_) => None,
            Source::Journal(j) => Some(Feed(Source::Journal(JournalFeed {
                path: j.path.clone(),
                file: None,
                at: j.at,
                durable: j.durable.clone(),
                base: j.base,
                queue: j.queue.clone(),
                recent: j.recent.clone(),
            }))),
        }
    }

    /// Records read from disk but not yet delivered (tests: the feed holds one chunk).
    pub fn buffered(&self) -> usize {
        match &self.0 {
            Source::Channel(receiver) => receiver.len(),
            Source::Journal(j) => j.queue.len(),
        }
    }
}

/// A record's id: unique across restarts (the table's opening time first) and the same
/// for every reader of one record (its line's offset and place in the line).
pub(super) fn record_id(base: u64, at: u64, index: usize) -> String {
    format!("{base:016}{at:013}{index:03}")
}

struct JournalFeed {
    path: PathBuf,
    file: Option<File>,
    /// Where the next unread line starts.
    at: u64,
    durable: watch::Receiver<Durable>,
    base: u64,
    queue: VecDeque<StreamRecord>,
    /// Recent records' new images, by key: the line that wrote each, and the image.
    recent: HashMap<Key, (u64, Option<Item>)>,
}

impl JournalFeed {
    async fn recv(&mut self) -> Option<StreamRecord> {
        loop {
            if let Some(record) = self.queue.pop_front() {
                return Some(record);
            }
            let at = self.at;
            let end = match self.durable.wait_for(|d| d.end > at).await {
                Ok(durable) => durable.end,
                Err(_) => return None,
            };
            if let Err(error) = self.read(end) {
                tracing::error!(error = %format!("{error:#}"), "reading the change feed from the journal failed; will retry");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    }

    fn file(&mut self) -> anyhow::Result<&mut File> {
        if self.file.is_none() {
            self.file = Some(File::open(&self.path)?);
        }
        Ok(self.file.as_mut().expect("opened above"))
    }

    /// Reads whole lines from `at` (at most about one chunk, at least one line) into
    /// the queue, up to the durable `end`.
    fn read(&mut self, end: u64) -> anyhow::Result<()> {
        let at = self.at;
        let file = self.file()?;
        file.seek(SeekFrom::Start(at))?;
        let mut reader = file.take(end - at);
        let mut chunk = Vec::with_capacity(CHUNK.min((end - at) as usize));
        loop {
            let read = reader.by_ref().take(CHUNK as u64).read_to_end(&mut chunk)?;
            if read == 0 || chunk.contains(&b'\n') {
                break;
            }
        }
        let whole = chunk.iter().rposition(|b| *b == b'\n').map_or(0, |n| n + 1);
        anyhow::ensure!(whole > 0, "no whole line at journal offset {at}");
        let mut offset = at;
        for line in chunk[..whole].split_inclusive(|b| *b == b'\n') {
            let entries: Vec<JournalEntry> = serde_json::from_slice(line)?;
            for (index, entry) in entries.into_iter().enumerate() {
                let key = Key::new(entry.pk, entry.sk);
                let old = match entry.prev {
                    None => None,
                    Some(prev) => match self.recent.get(&key) {
                        Some((line, image)) if *line == prev => image.clone(),
                        _ => self.version_at(prev, &key)?,
                    },
                };
                if self.recent.len() >= RECENT && !self.recent.contains_key(&key) {
                    self.recent.clear();
                }
                self.recent
                    .insert(key.clone(), (offset, entry.item.clone()));
                self.queue.push_back(StreamRecord {
                    id: record_id(self.base, offset, index),
                    key,
                    old,
                    new: entry.item,
                });
            }
            offset += line.len() as u64;
        }
        self.at = offset;
        Ok(())
    }

    /// The version of `key` written by the line at `offset`.
    fn version_at(&mut self, offset: u64, key: &Key) -> anyhow::Result<Option<Item>> {
        let file = self.file()?;
        file.seek(SeekFrom::Start(offset))?;
        let mut line = Vec::new();
        BufReader::with_capacity(8 << 10, file).read_until(b'\n', &mut line)?;
        let entries: Vec<JournalEntry> = serde_json::from_slice(&line)?;
        Ok(entries
            .into_iter()
            .find(|e| e.pk == key.pk && e.sk == key.sk)
            .and_then(|e| e.item))
    }
}
