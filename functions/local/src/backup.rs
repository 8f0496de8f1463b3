//! Backups you can restore, for both stores.
//!
//! **The dev server's data folder.** Its table is one append-only journal (compacted
//! only when a table is opened), and a write is acknowledged only once its line is
//! synced. So a copy of the journal's first N bytes, N read when the backup begins, holds
//! every write acknowledged before then, whatever the server does meanwhile: `local
//! backup` while it runs is consistent. A torn last line (a write in flight, never
//! acknowledged) is cut off when the copy is opened. Uploads are files written once; they
//! are copied after the journal, so every file the copied messages name is there.
//!
//! **DynamoDB.** Point-in-time recovery restores the table as it was at a time into a
//! new table (`local restore-table`, which `infra/restore-table.sh` runs for a stack);
//! the copy is then checked the same way: items per kind, and a sample of conversations
//! read back through the Table port the API uses.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::path::Path;

use anyhow::{Context, bail};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::primitives::DateTime as AwsDateTime;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use common::store::keys::{MESSAGE_PREFIX, META, conversation_key, messages_partition};
use common::store::table::dynamo::DynamoTable;
use common::store::table::embedded::EmbeddedTable;
use common::store::table::{Index, Query, SortKey, Table};
use serde::Serialize;

const JOURNAL: &str = "table.journal";
const UPLOADS: &str = "uploads";

/// What a backup or a restored copy holds.
#[derive(Debug, Serialize)]
pub struct Checked {
    /// Items per kind: the partition key's prefix (`CONV`, `USER`, `STATS`, ...).
    pub kinds: BTreeMap<String, u64>,
    /// Conversations read back through the Table port, with their messages.
    pub sampled: Vec<SampledConversation>,
}

#[derive(Debug, Serialize)]
pub struct SampledConversation {
    pub id: String,
    pub messages: usize,
}

/// Copies the table (as of now) and its uploads from `data` into the new folder `to`.
pub fn backup(data: &Path, to: &Path) -> anyhow::Result<u64> {
    let journal = data.join(JOURNAL);
    // The length first: every write acknowledged before this line is within it.
    let length = fs::metadata(&journal)
        .with_context(|| format!("{}: no table here", journal.display()))?
        .len();
    new_folder(to)?;
    let mut source = fs::File::open(&journal)?.take(length);
    let mut copy = fs::File::create(to.join(JOURNAL))?;
    std::io::copy(&mut source, &mut copy)?;
    copy.flush()?;
    copy.sync_all()?;
    copy_tree(&data.join(UPLOADS), &to.join(UPLOADS))?;
    Ok(length)
}

/// Restores the backup in `from` into the new data folder `data`, opens it (replaying
/// the journal) and checks it.
pub async fn restore(from: &Path, data: &Path) -> anyhow::Result<Checked> {
    if !from.join(JOURNAL).exists() {
        bail!("{}: not a backup (no {JOURNAL})", from.display());
    }
    new_folder(data)?;
    fs::copy(from.join(JOURNAL), data.join(JOURNAL))?;
    copy_tree(&from.join(UPLOADS), &data.join(UPLOADS))?;
    let table = EmbeddedTable::open(data)?;
    let mut kinds = BTreeMap::new();
    let mut conversations = Vec::new();
    for item in table.items() {
        let pk = item
            .get("pk")
            .and_then(|v| v.as_s())
            .unwrap_or_default()
            .to_string();
        let sk = item.get("sk").and_then(|v| v.as_s()).unwrap_or_default();
        if let Some(id) = pk.strip_prefix("CONV#").filter(|_| sk == META) {
            conversations.push(id.to_string());
        }
        *kinds.entry(kind_of(&pk)).or_default() += 1;
    }
    let sampled = sample(&table, &conversations).await?;
    Ok(Checked { kinds, sampled })
}

/// Restores DynamoDB table `source` as it was at `at` (the latest restorable time if
/// none) into the new table `target`, waits until it is active, and checks it.
pub async fn restore_table(
    client: &Client,
    source: &str,
    target: &str,
    at: Option<DateTime<Utc>>,
) -> anyhow::Result<Checked> {
    let mut request = client
        .restore_table_to_point_in_time()
        .source_table_name(source)
        .target_table_name(target);
    request = match at {
        Some(at) => request.restore_date_time(AwsDateTime::from_secs(at.timestamp())),
        None => request.use_latest_restorable_time(true),
    };
    request.send().await.context("RestoreTableToPointInTime")?;
    for _ in 0..600 {
        let described = client.describe_table().table_name(target).send().await?;
        let status = described
            .table()
            .and_then(|t| t.table_status())
            .map(|s| s.as_str().to_string());
        if status.as_deref() == Some("ACTIVE") {
            return check_table(client, target).await;
        }
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    }
    bail!("{target} did not become active in 20 minutes")
}

/// Items per kind (a Scan of keys only: an operator's check, never a request path),
/// and a sample of conversations read back through the Table port.
pub async fn check_table(client: &Client, table: &str) -> anyhow::Result<Checked> {
    let mut kinds = BTreeMap::new();
    let mut conversations = Vec::new();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(table)
            .projection_expression("pk, sk")
            .set_exclusive_start_key(start)
            .send()
            .await
            .context("Scan")?;
        for item in page.items() {
            let text = |name: &str| match item.get(name) {
                Some(AttributeValue::S(s)) => s.clone(),
                _ => String::new(),
            };
            let pk = text("pk");
            if let Some(id) = pk.strip_prefix("CONV#").filter(|_| text("sk") == META) {
                conversations.push(id.to_string());
            }
            *kinds.entry(kind_of(&pk)).or_default() += 1;
        }
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            break;
        }
    }
    let port = DynamoTable::new(client.clone(), table);
    let sampled = sample(&port, &conversations).await?;
    Ok(Checked { kinds, sampled })
}

/// Up to 20 conversations read back as the API reads them: the conversation's item, and
/// its messages in order.
async fn sample(
    table: &dyn Table,
    conversations: &[String],
) -> anyhow::Result<Vec<SampledConversation>> {
    let step = (conversations.len() / 20).max(1);
    let mut sampled = Vec::new();
    for id in conversations.iter().step_by(step).take(20) {
        table
            .get(&conversation_key(id), true)
            .await?
            .with_context(|| format!("conversation {id} listed but not readable"))?;
        let query = Query::partition(Index::Table, messages_partition(id))
            .sort(SortKey::BeginsWith(MESSAGE_PREFIX.into()));
        let (messages, _) = common::store::page(table, query, 1_000).await?;
        sampled.push(SampledConversation {
            id: id.clone(),
            messages: messages.len(),
        });
    }
    Ok(sampled)
}

fn kind_of(pk: &str) -> String {
    pk.split('#').next().unwrap_or(pk).to_string()
}

/// A folder that does not exist yet, or is empty: a backup or restore never mixes with
/// what is there.
fn new_folder(path: &Path) -> anyhow::Result<()> {
    if path.exists() && fs::read_dir(path)?.next().is_some() {
        bail!("{} is not empty: choose a new folder", path.display());
    }
    fs::create_dir_all(path).with_context(|| format!("creating {}", path.display()))
}

fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    if !from.exists() {
        return Ok(());
    }
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}
