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

use serde::Deserialize;
use serde::de::{
    DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
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
pub struct Feed {
    source: Source,
    keep: Option<KeyFilter>,
}

/// Which records a reader wants, by key, as an event source's filter criteria on keys:
/// the journal reader skips the others without decoding their images.
pub type KeyFilter = fn(pk: &str, sk: &str) -> bool;

enum Source {
    /// Records pushed as writes are applied (the memory-only table, and [`subscribe`]).
    ///
    /// [`subscribe`]: super::EmbeddedTable::subscribe
    Channel(mpsc::UnboundedReceiver<StreamRecord>),
    Journal(JournalFeed),
}

impl From<mpsc::UnboundedReceiver<StreamRecord>> for Feed {
    fn from(receiver: mpsc::UnboundedReceiver<StreamRecord>) -> Self {
        Feed {
            source: Source::Channel(receiver),
            keep: None,
        }
    }
}

impl Feed {
    pub(super) fn journal(path: PathBuf, durable: watch::Receiver<Durable>, base: u64) -> Self {
        let at = durable.borrow().end;
        let journal = JournalFeed {
            path,
            file: None,
            at,
            durable,
            base,
            queue: VecDeque::new(),
            recent: HashMap::new(),
        };
        Feed {
            source: Source::Journal(journal),
            keep: None,
        }
    }

    /// Only the records whose key `keep` accepts.
    pub fn only(mut self, keep: KeyFilter) -> Self {
        self.keep = Some(keep);
        self
    }

    /// The next record; None once the table is gone and every record was delivered.
    pub async fn recv(&mut self) -> Option<StreamRecord> {
        let keep = self.keep.unwrap_or(|_, _| true);
        loop {
            let record = match &mut self.source {
                Source::Channel(receiver) => receiver.recv().await,
                Source::Journal(journal) => journal.recv(keep).await,
            }?;
            if keep(&record.key.pk, &record.key.sk) {
                return Some(record);
            }
        }
    }

    /// A second, independent reader from the same position, as each DynamoDB stream
    /// consumer reads the stream at its own pace. None for a pushed feed (one receiver).
    /// The clone keeps every record (whatever [`only`](Self::only) this one was given).
    pub fn try_clone(&self) -> Option<Feed> {
        match &self.source {
            Source::Channel(_) => None,
            Source::Journal(j) => {
                let clone = JournalFeed {
                    path: j.path.clone(),
                    file: None,
                    at: j.at,
                    durable: j.durable.clone(),
                    base: j.base,
                    queue: j.queue.clone(),
                    recent: j.recent.clone(),
                };
                Some(Feed {
                    source: Source::Journal(clone),
                    keep: None,
                })
            }
        }
    }

    /// Records read from disk but not yet delivered (tests: the feed holds one chunk).
    pub fn buffered(&self) -> usize {
        match &self.source {
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
    async fn recv(&mut self, keep: KeyFilter) -> Option<StreamRecord> {
        loop {
            if let Some(record) = self.queue.pop_front() {
                return Some(record);
            }
            let at = self.at;
            let end = match self.durable.wait_for(|d| d.end > at).await {
                Ok(durable) => durable.end,
                Err(_) => return None,
            };
            if let Err(error) = self.read(end, keep) {
                tracing::error!(error = %format!("{error:#}"), "reading the change feed from the journal failed; will retry");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    }

    fn file(&mut self) -> anyhow::Result<&mut File> {
        match &mut self.file {
            Some(file) => Ok(file),
            file => Ok(file.insert(File::open(&self.path)?)),
        }
    }

    /// Reads whole lines from `at` (at most about one chunk, at least one line) into
    /// the queue, up to the durable `end`.
    fn read(&mut self, end: u64, keep: KeyFilter) -> anyhow::Result<()> {
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
            let entries =
                Line(keep).deserialize(&mut serde_json::Deserializer::from_slice(line))?;
            for (index, entry) in entries.into_iter().enumerate() {
                let Some(entry) = entry else { continue };
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

/// One journal line, decoding only the entries whose key the filter keeps (the writer
/// puts `pk` and `sk` before `item`); the others are None, in their places.
struct Line(KeyFilter);

impl<'de> DeserializeSeed<'de> for Line {
    type Value = Vec<Option<JournalEntry>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Line {
    type Value = Vec<Option<JournalEntry>>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a journal line")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = seq.next_element_seed(Entry(self.0))? {
            entries.push(entry);
        }
        Ok(entries)
    }
}

struct Entry(KeyFilter);

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum Field {
    Pk,
    Sk,
    Item,
    Prev,
    #[serde(other)]
    Other,
}

impl<'de> DeserializeSeed<'de> for Entry {
    type Value = Option<JournalEntry>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Entry {
    type Value = Option<JournalEntry>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a journal entry")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut pk, mut sk, mut item, mut prev) = (None, None, None, None);
        let mut skipped = false;
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::Pk => pk = Some(map.next_value::<String>()?),
                Field::Sk => sk = Some(map.next_value::<String>()?),
                Field::Item => {
                    let wanted = match (&pk, &sk) {
                        (Some(pk), Some(sk)) => (self.0)(pk, sk),
                        _ => true,
                    };
                    if wanted {
                        item = map.next_value::<Option<Item>>()?;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                        skipped = true;
                    }
                }
                Field::Prev => prev = map.next_value::<Option<u64>>()?,
                Field::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let pk = pk.ok_or_else(|| A::Error::missing_field("pk"))?;
        let sk = sk.ok_or_else(|| A::Error::missing_field("sk"))?;
        if skipped || !(self.0)(&pk, &sk) {
            return Ok(None);
        }
        Ok(Some(JournalEntry { pk, sk, item, prev }))
    }
}
