use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::table::Index;

fn dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("saypro-embedded-{}", ulid::Ulid::new()))
}

fn item(pk: &str, sk: &str, extra: &[(&str, Value)]) -> Item {
    let mut item = Item::from([
        ("pk".to_string(), Value::s(pk)),
        ("sk".to_string(), Value::s(sk)),
    ]);
    for (k, v) in extra {
        item.insert(k.to_string(), v.clone());
    }
    item
}

fn put(item: Item) -> WriteOp {
    WriteOp::Put {
        item,
        condition: None,
    }
}

fn put_new(item: Item) -> WriteOp {
    WriteOp::Put {
        item,
        condition: Some(Condition::NotExists),
    }
}

/// Waits until `n` writes are queued for the held flusher.
async fn queued(table: &EmbeddedTable, n: u64) {
    for _ in 0..500 {
        if table.journal().queued() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    panic!("{n} writes were never queued");
}

/// Group commit: whatever is pending when the flusher wakes goes to disk with one sync.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_pending_during_a_sync_share_the_next_one() {
    let table = Arc::new(EmbeddedTable::open(&dir()).unwrap());
    table.journal().hold(true);
    let writers: Vec<_> = (0..50)
        .map(|n| {
            let table = table.clone();
            tokio::spawn(
                async move { table.write(vec![put(item("G", &n.to_string(), &[]))]).await },
            )
        })
        .collect();
    queued(&table, 50).await;
    table.journal().hold(false);
    for writer in writers {
        writer.await.unwrap().unwrap();
    }
    assert_eq!(table.journal_syncs(), 1);
    assert_eq!(table.item_count(), 50);
}

/// A write is applied at once (later writes and reads see it) and acknowledged once
/// synced. A crash between the two loses what was applied since the last sync, and
/// nothing else: the journal keeps a prefix of the writes in the order applied, so a
/// surviving write never lacks one it built on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_apply_and_sync_loses_only_unacknowledged_writes() {
    let dir = dir();
    let table = Arc::new(EmbeddedTable::open(&dir).unwrap());
    let key = Key::new("V", "1");
    table
        .write(vec![put_new(item("V", "1", &[("n", Value::n(1))]))])
        .await
        .unwrap();
    let mut feed = table.stream();
    table.journal().hold(true);
    let update = |n: i64| {
        let table = table.clone();
        tokio::spawn(async move {
            let update = WriteOp::Update {
                key: Key::new("V", "1"),
                changes: vec![super::super::Change::Add("n".into(), n)],
                condition: Some(Condition::Exists),
            };
            table.write(vec![update]).await
        })
    };
    let (second, third) = (update(1), update(10));
    queued(&table, 3).await;
    let created = {
        let table = table.clone();
        tokio::spawn(async move { table.write(vec![put_new(item("V", "2", &[]))]).await })
    };
    queued(&table, 4).await;
    // Applied: the updates chained, and a plain read sees them before they are durable.
    let seen = table.get(&key, true).await.unwrap().unwrap();
    assert_eq!(seen["n"], Value::n(12));
    assert!(!second.is_finished() && !third.is_finished() && !created.is_finished());
    table.journal().crash();
    for write in [second, third, created] {
        assert!(write.await.unwrap().is_err(), "never acknowledged");
    }
    drop(table);
    assert!(feed.recv().await.is_none(), "the feed never carried them");
    let reopened = EmbeddedTable::open(&dir).unwrap();
    assert_eq!(
        reopened.items(),
        vec![item("V", "1", &[("n", Value::n(1))])]
    );
}

/// A failed sync fails the write and every write applied behind it, takes them back
/// (items and index entries), and leaves the file as it was: memory and disk agree,
/// before and after a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_sync_fails_the_write_and_leaves_memory_as_on_disk() {
    let dir = dir();
    let table = Arc::new(EmbeddedTable::open(&dir).unwrap());
    let queue = |sk: &str, order: &str| {
        item(
            "F",
            sk,
            &[("gsi1pk", Value::s("QUEUE#f")), ("gsi1sk", Value::s(order))],
        )
    };
    table.write(vec![put(queue("kept", "1"))]).await.unwrap();
    let on_disk = table.items();
    let mut feed = table.stream();
    let length = fs::metadata(dir.join("table.journal")).unwrap().len();
    table.journal().fail_syncs(1);
    table.journal().hold(true);
    let failing: Vec<_> = [
        vec![put(queue("kept", "9"))],
        vec![
            put(queue("new", "0")),
            WriteOp::Delete {
                key: Key::new("F", "other"),
                condition: None,
            },
        ],
    ]
    .into_iter()
    .map(|ops| {
        let table = table.clone();
        tokio::spawn(async move { table.write(ops).await })
    })
    .collect();
    queued(&table, 3).await;
    let in_queue = |table: Arc<EmbeddedTable>| async move {
        let page = table
            .query(&Query::partition(Index::Gsi1, "QUEUE#f"))
            .await
            .unwrap();
        page.items
            .iter()
            .map(|i| i["sk"].as_s().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        in_queue(table.clone()).await,
        ["new", "kept"],
        "applied before the sync"
    );
    table.journal().hold(false);
    for write in failing {
        assert!(
            write.await.unwrap().is_err(),
            "a write that was not synced fails"
        );
    }
    assert_eq!(table.items(), on_disk, "taken back");
    assert_eq!(in_queue(table.clone()).await, ["kept"], "index entries too");
    // Later writes are refused; the file is what it was.
    let later = table.write(vec![put(item("F", "later", &[]))]).await;
    assert!(later.is_err(), "{later:?}");
    assert_eq!(table.items(), on_disk);
    assert_eq!(
        fs::metadata(dir.join("table.journal")).unwrap().len(),
        length
    );
    drop(table);
    assert!(
        feed.recv().await.is_none(),
        "the feed reports no failed write"
    );
    assert_eq!(EmbeddedTable::open(&dir).unwrap().items(), on_disk);
}

fn journal_lines(dir: &Path, lines: impl IntoIterator<Item = Vec<journal::JournalEntry>>) {
    fs::create_dir_all(dir).unwrap();
    let mut text = String::new();
    for line in lines {
        text.push_str(&serde_json::to_string(&line).unwrap());
        text.push('\n');
    }
    fs::write(dir.join("table.journal"), text).unwrap();
}

fn entry(sk: &str, body: &str) -> journal::JournalEntry {
    journal::JournalEntry {
        pk: "J".into(),
        sk: sk.into(),
        item: Some(item("J", sk, &[("body", Value::s(body))])),
        prev: None,
    }
}

#[cfg(unix)]
fn inode(path: &Path) -> u64 {
    std::os::unix::fs::MetadataExt::ino(&fs::metadata(path).unwrap())
}

/// Opening reads the journal; it rewrites it only when most of it is history.
#[cfg(unix)]
#[tokio::test]
async fn opening_rewrites_the_journal_only_when_most_of_it_is_history() {
    let dir = dir();
    let path = dir.join("table.journal");
    // Some overwrites, well under the threshold: left as it is, open after open.
    journal_lines(
        &dir,
        (0..200).map(|n| vec![entry(&(n % 50).to_string(), "x")]),
    );
    let (before, length) = (inode(&path), fs::metadata(&path).unwrap().len());
    for _ in 0..2 {
        let table = EmbeddedTable::open(&dir).unwrap();
        assert_eq!(table.item_count(), 50);
        drop(table);
        assert_eq!(inode(&path), before, "not rewritten");
        assert_eq!(fs::metadata(&path).unwrap().len(), length);
    }
    // One item rewritten 3,000 times (about 6 MB, one item live): compacted once.
    let body = "y".repeat(2000);
    journal_lines(&dir, (0..3000).map(|_| vec![entry("big", &body)]));
    let table = EmbeddedTable::open(&dir).unwrap();
    let compacted = fs::metadata(&path).unwrap().len();
    assert!(compacted < 3000, "{compacted}");
    assert_eq!(table.item_count(), 1);
    // The items point at their new lines: the feed finds the old image there.
    let mut feed = table.stream();
    table
        .write(vec![put(item("J", "big", &[("body", Value::s("z"))]))])
        .await
        .unwrap();
    let record = feed.recv().await.unwrap();
    assert_eq!(record.old.unwrap()["body"], Value::s(body.as_str()));
    drop(table);
    let rewritten = inode(&path);
    EmbeddedTable::open(&dir).unwrap();
    assert_eq!(inode(&path), rewritten, "not rewritten again");
}

/// A torn last line is cut off without rewriting the journal, so that the next append
/// starts on its own line and the journal still replays.
#[tokio::test]
async fn a_torn_last_line_is_cut_off_and_appends_continue() {
    let dir = dir();
    journal_lines(&dir, (0..10).map(|n| vec![entry(&n.to_string(), "x")]));
    let path = dir.join("table.journal");
    let good = fs::metadata(&path).unwrap().len();
    use std::io::Write;
    fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(b"[{\"pk\":\"J\",\"s")
        .unwrap();
    let table = EmbeddedTable::open(&dir).unwrap();
    assert_eq!(fs::metadata(&path).unwrap().len(), good);
    table
        .write(vec![put(item("J", "after", &[]))])
        .await
        .unwrap();
    drop(table);
    assert_eq!(EmbeddedTable::open(&dir).unwrap().item_count(), 11);
}

fn expiring(sk: &str, at: Value) -> Item {
    item("T", sk, &[("expires_at", at)])
}

/// TTL: expired items stay readable until the sweep, which deletes them as REMOVE
/// records at no capacity; unexpired, non-numeric and ancient expiries stay.
#[tokio::test]
async fn the_ttl_sweep_removes_expired_items_as_dynamodb_does() {
    for durable in [false, true] {
        let table = if durable {
            EmbeddedTable::open(&dir()).unwrap()
        } else {
            EmbeddedTable::in_memory()
        };
        let now = 1_800_000_000;
        table
            .write(vec![
                put(expiring("past", Value::n(now - 10))),
                put(expiring("future", Value::n(now + 10))),
                put(expiring("text", Value::s("1"))),
                put(expiring("ancient", Value::n(now - 6 * 365 * 24 * 3600))),
                put(item("T", "none", &[])),
            ])
            .await
            .unwrap();
        let mut feed = table.stream();
        assert!(
            table
                .get(&Key::new("T", "past"), true)
                .await
                .unwrap()
                .is_some(),
            "still read until the sweep"
        );
        let metered = table.metrics().snapshot();
        assert_eq!(table.remove_expired(now).await.unwrap(), 1);
        assert_eq!(table.metrics().snapshot(), metered, "TTL deletes are free");
        assert_eq!(table.get(&Key::new("T", "past"), true).await.unwrap(), None);
        assert_eq!(table.item_count(), 4);
        let record = feed.recv().await.unwrap();
        assert_eq!(record.key, Key::new("T", "past"));
        assert_eq!(record.old, Some(expiring("past", Value::n(now - 10))));
        assert_eq!(record.new, None);
        assert_eq!(table.remove_expired(now).await.unwrap(), 0);
        assert_eq!(table.remove_expired(now + 11).await.unwrap(), 1);
    }
}

/// The sweep goes through large tables a batch at a time and misses nothing.
#[tokio::test]
async fn the_ttl_sweep_covers_every_batch() {
    let table = EmbeddedTable::in_memory();
    for n in 0..(SWEEP_BATCH * 2 + 7) {
        let at = if n % 2 == 0 { 10 } else { 1_000 };
        table
            .write(vec![put(expiring(&format!("{n:05}"), Value::n(at)))])
            .await
            .unwrap();
    }
    let removed = table.remove_expired(100).await.unwrap();
    assert_eq!(removed, SWEEP_BATCH + 4);
    assert_eq!(table.item_count(), SWEEP_BATCH + 3);
}

/// The journal-backed feed: writers never wait for it, it holds at most a chunk of
/// records, and it delivers every change in order with old and new images, the same
/// records (ids included) to every reader; a reader filtering by key gets the rest.
#[tokio::test]
async fn the_journal_feed_keeps_its_backlog_on_disk_and_misses_nothing() {
    let table = EmbeddedTable::open(&dir()).unwrap();
    let mut feed = table.stream();
    let body = "b".repeat(300);
    for n in 0..3000 {
        let counter = WriteOp::Update {
            key: Key::new("C", "counter"),
            changes: vec![super::super::Change::Add("n".into(), 1)],
            condition: None,
        };
        let message = put(item(
            "C",
            &format!("MSG#{n:05}"),
            &[("body", Value::s(body.as_str()))],
        ));
        table.write(vec![counter, message]).await.unwrap();
    }
    assert_eq!(feed.buffered(), 0, "nothing read before the consumer asks");
    let mut other = feed.try_clone().unwrap();
    let mut messages = feed
        .try_clone()
        .unwrap()
        .only(|_, sk| sk.starts_with("MSG#"));
    let mut most = 0;
    for n in 0..3000i64 {
        let counter = feed.recv().await.unwrap();
        most = most.max(feed.buffered());
        assert_eq!(counter.key, Key::new("C", "counter"));
        let old = counter.old.as_ref().map(|i| i["n"].as_i64().unwrap());
        assert_eq!(old, (n > 0).then_some(n));
        assert_eq!(counter.new.as_ref().unwrap()["n"], Value::n(n + 1));
        let message = feed.recv().await.unwrap();
        assert_eq!(message.key.sk, format!("MSG#{n:05}"));
        assert!(message.old.is_none());
        assert_eq!(other.recv().await.unwrap(), counter);
        assert_eq!(other.recv().await.unwrap(), message);
        assert_eq!(
            messages.recv().await.unwrap(),
            message,
            "the counter skipped"
        );
    }
    assert!(
        most < 1200,
        "at most a chunk of records in memory, held {most}"
    );
    // A record comes once durable and applied, with its old image from the journal.
    table
        .write(vec![WriteOp::Delete {
            key: Key::new("C", "MSG#00000"),
            condition: None,
        }])
        .await
        .unwrap();
    let removed = feed.recv().await.unwrap();
    assert_eq!(removed.old.unwrap()["body"], Value::s(body.as_str()));
    assert_eq!(removed.new, None);
}

/// Record ids differ across restarts (notify claims each record id once, for days).
#[tokio::test]
async fn record_ids_are_unique_across_restarts() {
    let dir = dir();
    let mut ids = std::collections::BTreeSet::new();
    for n in 0..2 {
        let table = EmbeddedTable::open(&dir).unwrap();
        let mut feed = table.stream();
        table
            .write(vec![put(item("R", &n.to_string(), &[]))])
            .await
            .unwrap();
        assert!(ids.insert(feed.recv().await.unwrap().id));
        std::thread::sleep(Duration::from_millis(1));
    }
}

// ---- memory per stored item ----

#[allow(
    unsafe_code,
    reason = "a counting allocator around the system one, to measure the memory an item takes"
)]
mod heap {
    //! Counts the heap bytes the current thread holds (requested sizes, without the
    //! allocator's own few bytes per block).
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    pub struct Counting;

    thread_local! {
        static HELD: Cell<isize> = const { Cell::new(0) };
    }

    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            HELD.with(|h| h.set(h.get() + layout.size() as isize));
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            HELD.with(|h| h.set(h.get() - layout.size() as isize));
            unsafe { System.dealloc(ptr, layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            HELD.with(|h| h.set(h.get() + new_size as isize - layout.size() as isize));
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }

    pub fn held() -> isize {
        HELD.with(Cell::get)
    }
}

#[global_allocator]
static HEAP: heap::Counting = heap::Counting;

/// A stored reply as the API writes it: its message (10 attributes, about 440 bytes as
/// JSON), the in-app notification to the user (in an index), the notify stats claim for
/// its record, and the marker of the email it caused.
fn reply_items(n: usize) -> [Item; 4] {
    let conversation = "01M8R9T392TDAWX8HJF3F9HX4Q";
    let id = format!("01M8R9T392TDAWX8HJ{n:08}");
    let message = Item::from([
        ("pk".into(), Value::s(format!("CONV#{conversation}"))),
        ("sk".into(), Value::s(format!("MSG#{id}"))),
        (
            "body".into(),
            Value::s(
                "Thanks for your patience, we are looking into the renewal of your advert now.",
            ),
        ),
        ("conversation_id".into(), Value::s(conversation)),
        ("created_at".into(), Value::s("2026-12-01T07:58:48.610Z")),
        ("expires_at".into(), Value::n(1_859_183_928)),
        ("id".into(), Value::s(&id)),
        ("internal".into(), Value::Bool(false)),
        ("sender_id".into(), Value::s("agent-sam")),
        ("sender_role".into(), Value::s("admin")),
    ]);
    let notification = Item::from([
        ("pk".into(), Value::s("NOTIF#thandi")),
        ("sk".into(), Value::s(&id)),
        ("conversation_id".into(), Value::s(conversation)),
        ("created_at".into(), Value::s("2026-12-01T07:58:48.612Z")),
        ("gsi1pk".into(), Value::s("UNREAD#thandi")),
        ("gsi1sk".into(), Value::s(&id)),
        ("id".into(), Value::s(&id)),
        ("kind".into(), Value::s("admin_reply")),
        (
            "preview".into(),
            Value::s("Thanks for your patience, we are looking into the renewal"),
        ),
        ("read".into(), Value::Bool(false)),
        ("title".into(), Value::s("Renewing my ad")),
    ]);
    let claim = Item::from([
        ("pk".into(), Value::s(format!("COUNTED#17645756{n:016}"))),
        ("sk".into(), Value::s("COUNTED")),
        ("expires_at".into(), Value::n(1_796_284_728)),
    ]);
    let marker = Item::from([
        ("pk".into(), Value::s(format!("SENT#{id}#thandi#email"))),
        ("sk".into(), Value::s("MARKER")),
        ("claimed_at".into(), Value::s("2026-12-01T07:58:48.611Z")),
        ("expires_at".into(), Value::n(1_796_716_728)),
        ("state".into(), Value::s("sent")),
    ]);
    [message, notification, claim, marker]
}

/// The steady state per stored item, stated: a reply's four items take about 1.1 KB of
/// heap in the table (about 3.9 KB as `BTreeMap` items keyed by `Key` with tuple index
/// entries, the representation before; allocator overheads come on top, more so for the
/// many small blocks of the maps), against about 1.1 KB of JSON.
#[test]
fn a_stored_reply_takes_a_fraction_of_its_map_form() {
    const REPLIES: usize = 2000;
    let table = EmbeddedTable::in_memory();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let items: Vec<Item> = (0..REPLIES).flat_map(reply_items).collect();
    let journal_bytes: usize = items
        .iter()
        .map(|i| serde_json::to_vec(i).unwrap().len())
        .sum();
    let start = heap::held();
    runtime.block_on(async {
        for item in &items {
            table.write(vec![put(item.clone())]).await.unwrap();
        }
    });
    let compact = (heap::held() - start) as usize / REPLIES;
    let start = heap::held();
    let key = |i: &Item| Key::new(i["pk"].as_s().unwrap(), i["sk"].as_s().unwrap());
    let maps: std::collections::BTreeMap<Key, Item> =
        items.iter().map(|i| (key(i), i.clone())).collect();
    let index: std::collections::BTreeSet<(String, String, Key)> = items
        .iter()
        .filter_map(|i| {
            let (pk, sk) = (i.get("gsi1pk")?.as_s()?, i.get("gsi1sk")?.as_s()?);
            Some((pk.to_string(), sk.to_string(), key(i)))
        })
        .collect();
    let as_maps = (heap::held() - start) as usize / REPLIES;
    drop((maps, index));
    println!(
        "per reply: {compact} bytes compact, {as_maps} bytes as maps, {} bytes of JSON",
        journal_bytes / REPLIES
    );
    assert!(compact < 1200, "{compact} bytes per reply");
    assert!(compact * 3 < as_maps, "{compact} vs {as_maps}");
}

/// BatchGetItem as DynamoDB bills it: a round trip per 100 keys, each item found ½ unit
/// (eventually consistent) or 1 unit (strongly consistent) a 4 KB.
#[tokio::test]
async fn batch_reads_are_billed_per_item_and_twice_when_consistent() {
    let table = EmbeddedTable::in_memory();
    let puts = (0..30)
        .map(|n| put(item("B", &format!("{n:03}"), &[])))
        .collect();
    table.write_each(puts).await.unwrap();
    let keys: Vec<Key> = (0..150).map(|n| Key::new("B", format!("{n:03}"))).collect();
    for (consistent, units) in [(false, 15.0), (true, 30.0)] {
        let before = table.metrics().snapshot();
        let found = if consistent {
            table.get_many_consistent(&keys).await.unwrap()
        } else {
            table.get_many(&keys).await.unwrap()
        };
        let used = table.metrics().snapshot() - before;
        assert_eq!(found.len(), 30);
        assert_eq!((used.round_trips, used.read_units), (2, units));
    }
}
