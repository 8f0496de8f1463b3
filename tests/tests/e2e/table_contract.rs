//! One contract for the Table port, run against every adapter: the embedded table in
//! memory and on disk, and DynamoTable over HTTP against moto server.

use std::sync::Arc;

use common::store::table::embedded::EmbeddedTable;
use common::store::table::{
    Change, Condition, Filter, Index, Item, Key, Query, SortKey, Table, TableError, Value, WriteOp,
};

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

fn sks(items: &[Item]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["sk"].as_s().unwrap().to_string())
        .collect()
}

async fn put_then_get_round_trips_every_value_type(table: Arc<dyn Table>) {
    let nested = Value::M(
        [(
            "a".to_string(),
            Value::L(vec![Value::n(1), Value::s("x"), Value::Bool(true)]),
        )]
        .into(),
    );
    let stored = item(
        "P",
        "S",
        &[
            ("s", Value::s("héllo")),
            ("n", Value::N("-12.5".into())),
            ("b", Value::Bool(false)),
            ("z", Value::Null),
            ("m", nested),
        ],
    );
    table.write(vec![put(stored.clone())]).await.unwrap();
    assert_eq!(
        table.get(&Key::new("P", "S"), true).await.unwrap(),
        Some(stored)
    );
    assert_eq!(
        table.get(&Key::new("P", "missing"), false).await.unwrap(),
        None
    );
}

async fn a_failed_condition_writes_nothing(table: Arc<dyn Table>) {
    let first = item("P", "S", &[("v", Value::n(1))]);
    table
        .write(vec![WriteOp::Put {
            item: first.clone(),
            condition: Some(Condition::NotExists),
        }])
        .await
        .unwrap();
    let second = item("P", "S", &[("v", Value::n(2))]);
    let error = table
        .write(vec![WriteOp::Put {
            item: second.clone(),
            condition: Some(Condition::NotExists),
        }])
        .await;
    assert!(
        matches!(error, Err(TableError::ConditionFailed { index: 0 })),
        "{error:?}"
    );
    let stale = WriteOp::Put {
        item: second.clone(),
        condition: Some(Condition::Equals("v".into(), Value::n(7))),
    };
    assert!(matches!(
        table.write(vec![stale]).await,
        Err(TableError::ConditionFailed { index: 0 })
    ));
    assert_eq!(
        table.get(&Key::new("P", "S"), true).await.unwrap(),
        Some(first)
    );
    let current = WriteOp::Put {
        item: second.clone(),
        condition: Some(Condition::Equals("v".into(), Value::n(1))),
    };
    table.write(vec![current]).await.unwrap();
    assert_eq!(
        table.get(&Key::new("P", "S"), true).await.unwrap(),
        Some(second)
    );
    let missing = WriteOp::Delete {
        key: Key::new("P", "nope"),
        condition: Some(Condition::Exists),
    };
    assert!(matches!(
        table.write(vec![missing]).await,
        Err(TableError::ConditionFailed { index: 0 })
    ));
}

async fn updates_set_add_and_remove_and_create_missing_items(table: Arc<dyn Table>) {
    let key = Key::new("P", "counter");
    let changes = vec![
        Change::Set("name".into(), Value::s("c")),
        Change::Add("count".into(), 2),
        Change::Set("gone".into(), Value::Bool(true)),
    ];
    table
        .write(vec![WriteOp::Update {
            key: key.clone(),
            changes,
            condition: None,
        }])
        .await
        .unwrap();
    let changes = vec![
        Change::Add("count".into(), 3),
        Change::Remove("gone".into()),
    ];
    table
        .write(vec![WriteOp::Update {
            key: key.clone(),
            changes,
            condition: Some(Condition::Exists),
        }])
        .await
        .unwrap();
    let got = table.get(&key, true).await.unwrap().unwrap();
    assert_eq!(
        got,
        item(
            "P",
            "counter",
            &[("name", Value::s("c")), ("count", Value::n(5))]
        )
    );
}

async fn a_transaction_is_all_or_nothing_and_names_the_failed_write(table: Arc<dyn Table>) {
    table
        .write(vec![put(item("T", "existing", &[]))])
        .await
        .unwrap();
    let ops = vec![
        put(item("T", "a", &[])),
        WriteOp::Update {
            key: Key::new("T", "b"),
            changes: vec![Change::Add("n".into(), 1)],
            condition: None,
        },
        WriteOp::Put {
            item: item("T", "existing", &[("x", Value::n(1))]),
            condition: Some(Condition::NotExists),
        },
    ];
    let error = table.write(ops).await;
    assert!(
        matches!(error, Err(TableError::ConditionFailed { index: 2 })),
        "{error:?}"
    );
    assert_eq!(table.get(&Key::new("T", "a"), true).await.unwrap(), None);
    assert_eq!(table.get(&Key::new("T", "b"), true).await.unwrap(), None);

    let checked = vec![
        put(item("T", "c", &[])),
        WriteOp::Check {
            key: Key::new("T", "absent"),
            condition: Condition::Exists,
        },
    ];
    assert!(matches!(
        table.write(checked).await,
        Err(TableError::ConditionFailed { index: 1 })
    ));
    assert_eq!(table.get(&Key::new("T", "c"), true).await.unwrap(), None);

    let ok = vec![
        put(item("T", "d", &[])),
        WriteOp::Check {
            key: Key::new("T", "existing"),
            condition: Condition::Exists,
        },
    ];
    table.write(ok).await.unwrap();
    assert!(
        table
            .get(&Key::new("T", "d"), true)
            .await
            .unwrap()
            .is_some()
    );
}

async fn queries_apply_sort_conditions_in_either_direction(table: Arc<dyn Table>) {
    for sk in ["A#1", "A#2", "A#3", "B#1", "C#1"] {
        table.write(vec![put(item("Q", sk, &[]))]).await.unwrap();
    }
    table
        .write(vec![put(item("Q2", "A#9", &[]))])
        .await
        .unwrap();
    let query = |sort| Query::partition(Index::Table, "Q").sort(sort);
    let run = |q: Query| {
        let table = table.clone();
        async move { sks(&table.query(&q).await.unwrap().items) }
    };
    assert_eq!(
        run(query(SortKey::BeginsWith("A#".into()))).await,
        ["A#1", "A#2", "A#3"]
    );
    assert_eq!(
        run(query(SortKey::BeginsWith("A#".into())).descending(true)).await,
        ["A#3", "A#2", "A#1"]
    );
    assert_eq!(
        run(query(SortKey::Between("A#2".into(), "B#1".into()))).await,
        ["A#2", "A#3", "B#1"]
    );
    assert_eq!(run(query(SortKey::Gt("A#3".into()))).await, ["B#1", "C#1"]);
    assert_eq!(run(query(SortKey::Le("A#2".into()))).await, ["A#1", "A#2"]);
    assert_eq!(run(query(SortKey::Eq("B#1".into()))).await, ["B#1"]);
    assert_eq!(run(Query::partition(Index::Table, "Q")).await.len(), 5);
}

async fn paging_returns_every_item_once_in_both_directions(table: Arc<dyn Table>) {
    for n in 0..7 {
        table
            .write(vec![put(item("PG", &format!("{n:02}"), &[]))])
            .await
            .unwrap();
    }
    for descending in [false, true] {
        let mut seen = Vec::new();
        let mut start = None;
        loop {
            let query = Query::partition(Index::Table, "PG")
                .limit(3)
                .descending(descending)
                .start(start);
            let page = table.query(&query).await.unwrap();
            assert!(page.items.len() <= 3);
            seen.extend(sks(&page.items));
            match page.last {
                Some(last) => start = Some(last),
                None => break,
            }
        }
        let mut expected: Vec<String> = (0..7).map(|n| format!("{n:02}")).collect();
        if descending {
            expected.reverse();
        }
        assert_eq!(seen, expected);
    }
}

async fn indexes_are_sparse_and_follow_updates(table: Arc<dyn Table>) {
    let indexed = |sk: &str, queue: &str, order: &str| {
        item(
            "IX",
            sk,
            &[("gsi1pk", Value::s(queue)), ("gsi1sk", Value::s(order))],
        )
    };
    table
        .write(vec![
            put(indexed("a", "QUEUE#x", "2")),
            put(indexed("b", "QUEUE#x", "1")),
            put(item("IX", "c", &[])),
        ])
        .await
        .unwrap();
    let query = Query::partition(Index::Gsi1, "QUEUE#x");
    assert_eq!(sks(&table.query(&query).await.unwrap().items), ["b", "a"]);
    // Moving an item to another queue removes it from the first.
    table
        .write(vec![put(indexed("b", "QUEUE#y", "1"))])
        .await
        .unwrap();
    assert_eq!(sks(&table.query(&query).await.unwrap().items), ["a"]);
    let remove = vec![
        Change::Remove("gsi1pk".into()),
        Change::Remove("gsi1sk".into()),
    ];
    table
        .write(vec![WriteOp::Update {
            key: Key::new("IX", "a"),
            changes: remove,
            condition: None,
        }])
        .await
        .unwrap();
    assert!(table.query(&query).await.unwrap().items.is_empty());
    table
        .write(vec![
            put(indexed("d", "QUEUE#y", "0")),
            put(indexed("e", "QUEUE#y", "3")),
        ])
        .await
        .unwrap();
    let mut seen = Vec::new();
    let mut start = None;
    loop {
        let page = table
            .query(
                &Query::partition(Index::Gsi1, "QUEUE#y")
                    .limit(1)
                    .start(start),
            )
            .await
            .unwrap();
        seen.extend(sks(&page.items));
        match page.last {
            Some(last) => start = Some(last),
            None => break,
        }
    }
    assert_eq!(seen, ["d", "b", "e"]);
}

async fn filters_drop_items_after_the_limit_counts_them(table: Arc<dyn Table>) {
    let items = [
        item("F", "1", &[("colour", Value::s("red"))]),
        item(
            "F",
            "2",
            &[("colour", Value::s("blue")), ("owner", Value::s("x"))],
        ),
        item(
            "F",
            "3",
            &[("colour", Value::s("red")), ("owner", Value::s("y"))],
        ),
    ];
    table
        .write(items.into_iter().map(put).collect())
        .await
        .unwrap();
    let red = Query::partition(Index::Table, "F")
        .filter(Filter::Equals("colour".into(), Value::s("red")));
    assert_eq!(sks(&table.query(&red).await.unwrap().items), ["1", "3"]);
    let unowned = Query::partition(Index::Table, "F").filter(Filter::NotExists("owner".into()));
    assert_eq!(sks(&table.query(&unowned).await.unwrap().items), ["1"]);
    let owned = Query::partition(Index::Table, "F").filter(Filter::Exists("owner".into()));
    assert_eq!(sks(&table.query(&owned).await.unwrap().items), ["2", "3"]);
    // The limit counts items read, not items kept, as in DynamoDB.
    let page = table.query(&red.clone().limit(2)).await.unwrap();
    assert_eq!(sks(&page.items), ["1"]);
    assert!(page.last.is_some());
}

async fn a_start_key_from_another_partition_is_refused(table: Arc<dyn Table>) {
    table
        .write(vec![put(item("A", "1", &[])), put(item("B", "1", &[]))])
        .await
        .unwrap();
    let foreign = item("B", "1", &[]);
    let result = table
        .query(&Query::partition(Index::Table, "A").start(Some(foreign)))
        .await;
    assert!(
        matches!(result, Err(TableError::ForeignStartKey)),
        "{result:?}"
    );
}

async fn every_call_is_metered_as_one_round_trip_with_capacity(table: Arc<dyn Table>) {
    let before = table.metrics().snapshot();
    table
        .write(vec![put(item(
            "M",
            "1",
            &[("body", Value::s("x".repeat(1500)))],
        ))])
        .await
        .unwrap();
    table.get(&Key::new("M", "1"), true).await.unwrap();
    table
        .query(&Query::partition(Index::Table, "M"))
        .await
        .unwrap();
    table
        .write(vec![put(item("M", "2", &[])), put(item("M", "3", &[]))])
        .await
        .unwrap();
    let used = table.metrics().snapshot() - before;
    assert_eq!(used.round_trips, 4);
    // Capacity is reported; the exact units are DynamoDB's to state (moto simplifies
    // them), and the embedded table's rules are checked on their own below.
    assert!(used.write_units >= 1, "{used:?}");
    assert!(used.read_units >= 1.0, "{used:?}");
}

async fn batches_read_and_write_many_items_each_on_its_own(table: Arc<dyn Table>) {
    // 30 puts: two BatchWriteItem calls of at most 25.
    let puts: Vec<WriteOp> = (0..30)
        .map(|n| put(item("B", &format!("{n:02}"), &[("n", Value::n(n))])))
        .collect();
    let before = table.metrics().snapshot();
    table.write_each(puts).await.unwrap();
    assert_eq!((table.metrics().snapshot() - before).round_trips, 2);
    // 120 keys (and one missing): two BatchGetItem calls of at most 100.
    let mut keys: Vec<Key> = (0..30).map(|n| Key::new("B", format!("{n:02}"))).collect();
    keys.extend((0..90).map(|n| Key::new("B", format!("missing{n}"))));
    let before = table.metrics().snapshot();
    let mut found = table.get_many(&keys).await.unwrap();
    assert_eq!((table.metrics().snapshot() - before).round_trips, 2);
    found.sort_by_key(|i| i["sk"].as_s().unwrap().to_string());
    assert_eq!(found.len(), 30);
    assert_eq!(found[7]["n"], Value::n(7));
    // Deletes go the same way; conditions and updates are refused, nothing written.
    let deletes = (0..10)
        .map(|n| WriteOp::Delete {
            key: Key::new("B", format!("{n:02}")),
            condition: None,
        })
        .collect();
    table.write_each(deletes).await.unwrap();
    let conditional = vec![
        put(item("B", "new", &[])),
        WriteOp::Put {
            item: item("B", "other", &[]),
            condition: Some(Condition::NotExists),
        },
    ];
    assert!(matches!(
        table.write_each(conditional).await,
        Err(TableError::Invalid(_))
    ));
    let left = table
        .query(&Query::partition(Index::Table, "B"))
        .await
        .unwrap();
    assert_eq!(left.items.len(), 20);
    assert_eq!(sks(&left.items)[0], "10");
}

macro_rules! contract {
    ($adapter:ident, $make:expr) => {
        mod $adapter {
            use super::*;
            contract!(@case $make, put_then_get_round_trips_every_value_type);
            contract!(@case $make, a_failed_condition_writes_nothing);
            contract!(@case $make, updates_set_add_and_remove_and_create_missing_items);
            contract!(@case $make, a_transaction_is_all_or_nothing_and_names_the_failed_write);
            contract!(@case $make, queries_apply_sort_conditions_in_either_direction);
            contract!(@case $make, paging_returns_every_item_once_in_both_directions);
            contract!(@case $make, indexes_are_sparse_and_follow_updates);
            contract!(@case $make, filters_drop_items_after_the_limit_counts_them);
            contract!(@case $make, a_start_key_from_another_partition_is_refused);
            contract!(@case $make, every_call_is_metered_as_one_round_trip_with_capacity);
            contract!(@case $make, batches_read_and_write_many_items_each_on_its_own);
        }
    };
    (@case $make:expr, $name:ident) => {
        #[tokio::test]
        async fn $name() {
            let table: Arc<dyn Table> = $make.await;
            super::$name(table).await;
        }
    };
}

fn temp_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("saypro-contract-{}", ulid::Ulid::new()))
}

contract!(embedded_in_memory, async {
    Arc::new(EmbeddedTable::in_memory())
});
contract!(embedded_durable, async {
    Arc::new(EmbeddedTable::open(&temp_dir()).unwrap())
});
contract!(dynamodb_on_moto, async { tests::moto_table().await });

#[tokio::test]
async fn the_durable_table_survives_a_restart_and_drops_a_torn_last_line() {
    let dir = temp_dir();
    {
        let table = EmbeddedTable::open(&dir).unwrap();
        table
            .write(vec![put(item("D", "1", &[("v", Value::n(1))]))])
            .await
            .unwrap();
        table
            .write(vec![
                put(item("D", "2", &[])),
                WriteOp::Delete {
                    key: Key::new("D", "1"),
                    condition: None,
                },
            ])
            .await
            .unwrap();
        table
            .write(vec![put(item(
                "D",
                "3",
                &[("gsi1pk", Value::s("G")), ("gsi1sk", Value::s("1"))],
            ))])
            .await
            .unwrap();
    }
    // A crash mid-write leaves half a line: that write was never acknowledged.
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("table.journal"))
        .unwrap()
        .write_all(b"[{\"pk\":\"D\",\"s")
        .unwrap();
    let table = EmbeddedTable::open(&dir).unwrap();
    assert_eq!(table.get(&Key::new("D", "1"), true).await.unwrap(), None);
    assert!(
        table
            .get(&Key::new("D", "2"), true)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        sks(&table
            .query(&Query::partition(Index::Gsi1, "G"))
            .await
            .unwrap()
            .items),
        ["3"]
    );
    assert_eq!(table.item_count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_durable_writes_are_all_acknowledged_durably() {
    let dir = temp_dir();
    let table = Arc::new(EmbeddedTable::open(&dir).unwrap());
    let writers = (0..200).map(|n| {
        let table = table.clone();
        tokio::spawn(async move {
            table
                .write(vec![put(item("G", &format!("{n:03}"), &[]))])
                .await
        })
    });
    for writer in writers {
        writer.await.unwrap().unwrap();
    }
    drop(table);
    assert_eq!(EmbeddedTable::open(&dir).unwrap().item_count(), 200);
}

#[tokio::test]
async fn the_embedded_table_bills_what_dynamodb_would() {
    let table = EmbeddedTable::in_memory();
    let measure =
        |before: common::store::table::MetricsSnapshot| table.metrics().snapshot() - before;
    let before = table.metrics().snapshot();
    table
        .write(vec![put(item(
            "M",
            "1",
            &[("body", Value::s("x".repeat(1500)))],
        ))])
        .await
        .unwrap();
    assert_eq!(
        measure(before).write_units,
        2,
        "1.5 KB: two started kilobytes"
    );
    let before = table.metrics().snapshot();
    table
        .write(vec![put(item("M", "2", &[])), put(item("M", "3", &[]))])
        .await
        .unwrap();
    assert_eq!(measure(before).write_units, 4, "a transaction doubles");
    let before = table.metrics().snapshot();
    table.get(&Key::new("M", "1"), false).await.unwrap();
    assert_eq!(
        measure(before).read_units,
        0.5,
        "eventually consistent: half a unit"
    );
    let before = table.metrics().snapshot();
    table
        .query(&Query::partition(Index::Table, "M"))
        .await
        .unwrap();
    assert_eq!(
        measure(before).read_units,
        1.0,
        "three items under 4 KB, strongly consistent"
    );
}

#[cfg(unix)]
fn inode(path: &std::path::Path) -> u64 {
    std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(path).unwrap())
}

/// Opening a data folder reads its journal; it does not rewrite it while little of it
/// is overwritten history, and a restart does not change what the table holds.
#[cfg(unix)]
#[tokio::test]
async fn reopening_leaves_a_journal_with_little_history_as_it_is() {
    let dir = temp_dir();
    let journal = dir.join("table.journal");
    {
        let table = EmbeddedTable::open(&dir).unwrap();
        for n in 0..20 {
            table
                .write(vec![put(item(
                    "O",
                    &format!("{}", n % 10),
                    &[("n", Value::n(n))],
                ))])
                .await
                .unwrap();
        }
    }
    let (file, length) = (inode(&journal), std::fs::metadata(&journal).unwrap().len());
    for _ in 0..2 {
        let table = EmbeddedTable::open(&dir).unwrap();
        assert_eq!(table.item_count(), 10);
        let got = table.get(&Key::new("O", "3"), true).await.unwrap().unwrap();
        assert_eq!(got["n"], Value::n(13));
        drop(table);
        assert_eq!(inode(&journal), file, "the journal was not rewritten");
        assert_eq!(std::fs::metadata(&journal).unwrap().len(), length);
    }
}

/// DynamoDB's TTL on both embedded tables: an expired item is read until the sweep
/// deletes it, the stream reports a REMOVE with the old image, and (on disk) a restart
/// does not bring it back.
#[tokio::test]
async fn expired_items_are_removed_by_the_sweep_not_on_read() {
    let dir = temp_dir();
    for durable in [false, true] {
        let table = if durable {
            EmbeddedTable::open(&dir).unwrap()
        } else {
            EmbeddedTable::in_memory()
        };
        let mut feed = table.stream();
        let now = 1_900_000_000;
        let expired = item("X", "old", &[("expires_at", Value::n(now - 1))]);
        table
            .write(vec![
                put(expired.clone()),
                put(item("X", "kept", &[("expires_at", Value::n(now + 60))])),
            ])
            .await
            .unwrap();
        for _ in 0..2 {
            assert!(feed.recv().await.unwrap().old.is_none(), "the two INSERTs");
        }
        assert_eq!(
            table.get(&Key::new("X", "old"), true).await.unwrap(),
            Some(expired.clone()),
            "expired but not yet deleted: still read"
        );
        assert_eq!(table.remove_expired(now).await.unwrap(), 1);
        let removed = feed.recv().await.unwrap();
        assert_eq!(
            (removed.key, removed.old, removed.new),
            (Key::new("X", "old"), Some(expired), None)
        );
        assert_eq!(
            sks(&table
                .query(&Query::partition(Index::Table, "X"))
                .await
                .unwrap()
                .items),
            ["kept"]
        );
        if durable {
            drop(table);
            assert_eq!(EmbeddedTable::open(&dir).unwrap().item_count(), 1);
        }
    }
}

/// The dev server's stream consumers on the durable table read the journal: records
/// written while nobody consumed wait on disk, and notify and broadcast each catch up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dev_server_consumers_catch_up_from_the_journal() {
    let table = Arc::new(EmbeddedTable::open(&temp_dir()).unwrap());
    let feed = table.stream();
    let app = tests::TestApp::on(table.clone());
    let sam = app.token("sam", &["agent", "team-support"]);
    assert_eq!(app.get("/v1/admin/conversations", &sam).await.0, 200);
    for n in 0..20 {
        app.support(
            &app.token(&format!("user-{n}"), &[]),
            "general",
            "Is anyone there?",
        )
        .await;
    }
    assert!(app.system.outbox.sent().is_empty(), "nobody consumed yet");
    app.system.spawn_stream_consumers(feed);
    let mut sent = 0;
    for _ in 0..250 {
        sent = app.system.outbox.sent().len();
        if sent == 20 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(sent, 20, "one email to sam per new conversation");
    assert!(
        app.system
            .outbox
            .sent()
            .iter()
            .all(|s| s.to == "sam@example.co.za")
    );
}
