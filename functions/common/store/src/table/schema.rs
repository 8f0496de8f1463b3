//! The single table's key schema: attribute names of the primary key and of the three
//! global secondary indexes. template.yaml and both adapters use these names.

/// Partition and sort key attributes of the table.
pub const PK: &str = "pk";
pub const SK: &str = "sk";
/// Expiry time (epoch seconds) for items DynamoDB TTL removes, such as idempotency records.
pub const TTL: &str = "expires_at";

/// Where a query reads: the table itself or one of its global secondary indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Index {
    Table,
    /// Queues by due time (`QUEUE#<team>#<status>`), and inboxes (`INBOX#<uid>`) by activity.
    Gsi1,
    /// Sparse: conversations awaiting an admin, by due time (`DUE#<shard>`), for the SLA check.
    Gsi2,
    /// Queues by most recent activity.
    Gsi3,
}

impl Index {
    pub const GSIS: [Index; 3] = [Index::Gsi1, Index::Gsi2, Index::Gsi3];

    /// The index name as in template.yaml; `None` for the table itself.
    pub fn name(self) -> Option<&'static str> {
        match self {
            Index::Table => None,
            Index::Gsi1 => Some("gsi1"),
            Index::Gsi2 => Some("gsi2"),
            Index::Gsi3 => Some("gsi3"),
        }
    }

    /// Partition and sort key attribute names of this index.
    pub fn key_attributes(self) -> (&'static str, &'static str) {
        match self {
            Index::Table => (PK, SK),
            Index::Gsi1 => ("gsi1pk", "gsi1sk"),
            Index::Gsi2 => ("gsi2pk", "gsi2sk"),
            Index::Gsi3 => ("gsi3pk", "gsi3sk"),
        }
    }
}
