//! The Table port: the few DynamoDB operations this system needs, as typed calls.
//!
//! Domain code writes its access patterns once against [`Table`]; two adapters implement
//! it: [`dynamo::DynamoTable`] (aws-sdk-dynamodb) and [`embedded::EmbeddedTable`] (a
//! durable local journal, or memory only). Both meter consumed capacity by DynamoDB's
//! rules (see [`capacity`]) so cost is measured the same way everywhere.

pub mod capacity;
pub mod dynamo;
pub mod embedded;
mod item;
mod metrics;
pub mod schema;
pub mod stream;

use async_trait::async_trait;
pub use item::{Item, Value, from_dynamodb_json, from_item, item_json, to_item};
pub use metrics::{Consumed, MetricsSnapshot, TableMetrics};
pub use schema::Index;

/// Primary key of an item: every item in the single table has a partition and a sort key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }

    /// The key of an item read from the table (every item has one).
    pub fn of(item: &Item) -> Result<Self, TableError> {
        let text = |attr: &str| item.get(attr).and_then(Value::as_s).map(str::to_string);
        match (text(schema::PK), text(schema::SK)) {
            (Some(pk), Some(sk)) => Ok(Self { pk, sk }),
            _ => Err(TableError::Invalid("an item without its key".into())),
        }
    }
}

/// A condition on the item a write touches, evaluated atomically with the write.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// The item must not exist yet (create-once).
    NotExists,
    /// The item must exist.
    Exists,
    /// The item exists and the top-level attribute equals the value (optimistic version checks).
    Equals(String, Value),
    /// The item is absent, or the attribute differs from the value (write only on change).
    AbsentOrDiffers(String, Value),
    /// The item is absent, or the numeric attribute is below the limit (counters with a cap).
    AbsentOrBelow(String, i64),
}

/// One change in a write. Several changes in one [`Table::write`] call are one transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteOp {
    Put {
        item: Item,
        condition: Option<Condition>,
    },
    Update {
        key: Key,
        changes: Vec<Change>,
        condition: Option<Condition>,
    },
    Delete {
        key: Key,
        condition: Option<Condition>,
    },
    /// Checks a condition on an item without changing it (only meaningful in a transaction).
    Check { key: Key, condition: Condition },
}

/// One attribute change of an update: DynamoDB's SET, ADD (numbers) and REMOVE.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Set(String, Value),
    Add(String, i64),
    Remove(String),
}

/// A sort-key condition of a query (string comparison, as all sort keys here are strings).
#[derive(Debug, Clone, PartialEq)]
pub enum SortKey {
    Eq(String),
    BeginsWith(String),
    Between(String, String),
    Lt(String),
    Le(String),
    Gt(String),
    Ge(String),
}

/// A filter applied after the key condition, like a DynamoDB FilterExpression: items
/// are read (and paid for) before the filter drops them, and `limit` counts read items.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Equals(String, Value),
    Exists(String),
    NotExists(String),
}

/// A query of one partition of the table or of a global secondary index.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub index: Index,
    pub pk: String,
    pub sort: Option<SortKey>,
    pub filters: Vec<Filter>,
    pub limit: Option<u32>,
    /// Exclusive start: the `last` key of the previous page.
    pub start: Option<Item>,
    pub descending: bool,
    /// Strongly consistent (twice the read units): table queries are, unless asked
    /// otherwise; index queries cannot be.
    pub consistent: bool,
}

impl Query {
    pub fn partition(index: Index, pk: impl Into<String>) -> Self {
        Self {
            index,
            pk: pk.into(),
            sort: None,
            filters: Vec::new(),
            limit: None,
            start: None,
            descending: false,
            consistent: index == Index::Table,
        }
    }
    /// Half the read units, for reads that may miss the last second's writes.
    pub fn eventually_consistent(mut self) -> Self {
        self.consistent = false;
        self
    }
    pub fn sort(mut self, sort: SortKey) -> Self {
        self.sort = Some(sort);
        self
    }
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filters.push(filter);
        self
    }
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }
    pub fn start(mut self, start: Option<Item>) -> Self {
        self.start = start;
        self
    }
    pub fn descending(mut self, descending: bool) -> Self {
        self.descending = descending;
        self
    }
}

/// One change to one item, as a DynamoDB stream (or the embedded table's change feed)
/// reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamRecord {
    /// Identifies the record for retries (the stream's sequence number).
    pub id: String,
    pub key: Key,
    pub old: Option<Item>,
    pub new: Option<Item>,
}

/// One page of a query: the matching items and, if more may follow, the key to start after.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    pub items: Vec<Item>,
    pub last: Option<Item>,
}

#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// The condition of the write at `index` (0 for a single write) did not hold;
    /// nothing was written.
    #[error("condition of write {index} failed")]
    ConditionFailed { index: usize },
    /// Another transaction touched the same items at the same time; nothing was written
    /// and the caller may retry.
    #[error("transaction conflict")]
    Conflict,
    /// A query's start key is not from the partition it reads (a cursor of another list).
    #[error("the start key does not belong to this query")]
    ForeignStartKey,
    /// The request itself is not valid for the table (a duplicate key in one
    /// transaction, an ADD to a string): a bug in the caller, not an outage.
    #[error("invalid table request: {0}")]
    Invalid(String),
    /// The table is throttling or cannot be reached (timeouts, connection failures, 5xx
    /// after the SDK's retries): overload, not a bug; the caller may retry later.
    #[error("the table is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// The key attributes DynamoDB returns as LastEvaluatedKey for a query on `index`: the
/// table key plus the index key.
pub fn key_item(index: Index, item: &Item) -> Item {
    let (ipk, isk) = index.key_attributes();
    [schema::PK, schema::SK, ipk, isk]
        .into_iter()
        .filter_map(|attr| item.get(attr).map(|v| (attr.to_string(), v.clone())))
        .collect()
}

/// A start key must come from the same partition the query reads (DynamoDB refuses
/// others; emulators may not, so both adapters check it here).
pub fn check_start(query: &Query) -> Result<(), TableError> {
    let Some(start) = &query.start else {
        return Ok(());
    };
    let (pk_attr, sk_attr) = query.index.key_attributes();
    let is_text = |attr: &str| matches!(start.get(attr), Some(Value::S(_)));
    let same_partition = start.get(pk_attr).and_then(Value::as_s) == Some(query.pk.as_str());
    if same_partition && [sk_attr, schema::PK, schema::SK].into_iter().all(is_text) {
        Ok(())
    } else {
        Err(TableError::ForeignStartKey)
    }
}

/// The port. Each call is one round trip to the store.
#[async_trait]
pub trait Table: Send + Sync + 'static {
    /// Reads one item; `consistent` asks for a strongly consistent read (twice the cost).
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, TableError>;
    /// Reads one page of a partition, strongly consistent if the query says so
    /// ([`Query::consistent`]: table queries by default; index queries never).
    async fn query(&self, query: &Query) -> Result<Page, TableError>;
    /// Applies one change, or several as one all-or-nothing transaction.
    async fn write(&self, ops: Vec<WriteOp>) -> Result<(), TableError>;
    /// Reads many items at once, eventually consistent (BatchGetItem: up to
    /// [`GET_MANY_KEYS`] keys a round trip); the items found, in no particular order.
    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, TableError> {
        let mut found = Vec::new();
        for key in keys {
            found.extend(self.get(key, false).await?);
        }
        Ok(found)
    }
    /// As [`Table::get_many`], strongly consistent (twice the read units): for reads
    /// that decide whether to write, so a write made just before is never missed.
    async fn get_many_consistent(&self, keys: &[Key]) -> Result<Vec<Item>, TableError> {
        let mut found = Vec::new();
        for key in keys {
            found.extend(self.get(key, true).await?);
        }
        Ok(found)
    }
    /// Applies unconditional puts and deletes each on its own, not as a transaction
    /// (BatchWriteItem: up to [`WRITE_EACH_OPS`] a round trip, 1 unit a KB, not 2): for
    /// writes that are idempotent and need no atomicity, such as the search index's.
    async fn write_each(&self, ops: Vec<WriteOp>) -> Result<(), TableError> {
        for op in ops {
            self.write(vec![op]).await?;
        }
        Ok(())
    }
    /// Round trips and capacity consumed since the table was opened.
    fn metrics(&self) -> &TableMetrics;
}

/// BatchGetItem's limit of keys a call.
pub const GET_MANY_KEYS: usize = 100;
/// BatchWriteItem's limit of writes a call.
pub const WRITE_EACH_OPS: usize = 25;

/// Refuses what [`Table::write_each`] cannot do: conditions, updates and checks.
pub fn check_write_each(ops: &[WriteOp]) -> Result<(), TableError> {
    let plain = ops.iter().all(|op| {
        matches!(
            op,
            WriteOp::Put {
                condition: None,
                ..
            } | WriteOp::Delete {
                condition: None,
                ..
            }
        )
    });
    if plain {
        Ok(())
    } else {
        Err(TableError::Invalid(
            "write_each takes unconditional puts and deletes only".into(),
        ))
    }
}
