//! Real-time push, the same on AWS and on the dev server: one-time tickets that open a
//! socket, the registry of open connections in the table, and the fan-out of an event
//! to exactly the connections that may hear it (`domain::realtime::Listener`).
//!
//! A connection is stored as its own item plus one row in each audience partition it
//! belongs to: its user's, and for an admin each team they work. An event of a
//! conversation is pushed to the rows of its participants and, for a support
//! conversation, of its team: one query each, no scan.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use delivery::push::{PushError, Pusher};
use domain::Conversation;
use domain::clock::Clock;
use domain::realtime::{Event, Listener, TICKET_SECONDS, connection_expiry};
use futures_util::future::join_all;
use serde::{Deserialize, Serialize};
use store::keys::{
    audience_row_key, connection_key, team_connections_partition, ticket_key,
    user_connections_partition,
};
use store::record_item;
use store::table::{Condition, Index, Item, Query, Table, TableError, Value, WriteOp, from_item};

/// A ticket as issued: the secret, where to open the socket with it, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub ticket: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
struct StoredTicket {
    listener: Listener,
    expires_at: i64,
}

/// A connection's own item: who it is and where its audience rows are.
#[derive(Serialize, Deserialize)]
struct Connection {
    listener: Listener,
    partitions: Vec<String>,
    connected_at: DateTime<Utc>,
}

/// A connection's row in an audience partition.
#[derive(Serialize, Deserialize)]
struct AudienceRow {
    connection_id: String,
    listener: Listener,
}

/// What a fan-out did: frames pushed, connections found gone (and forgotten), pushes
/// that failed otherwise.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pushed {
    pub frames: usize,
    pub gone: usize,
    pub failed: usize,
}

pub struct Connections {
    pub table: Arc<dyn Table>,
    pub pusher: Arc<dyn Pusher>,
    pub clock: Arc<dyn Clock>,
}

/// An event as sent: JSON text, shared by every connection it goes to.
pub type Frame = Arc<str>;

pub fn frame(event: &Event) -> Frame {
    event.to_json().into()
}

/// A fresh 160-bit secret.
fn new_ticket() -> String {
    format!(
        "{:020x}{:020x}",
        ulid::Ulid::new().random(),
        ulid::Ulid::new().random()
    )
}

fn with_ttl(mut item: Item, expires_at: DateTime<Utc>) -> Item {
    item.insert(
        store::table::schema::TTL.into(),
        Value::n(expires_at.timestamp()),
    );
    item
}

impl Connections {
    /// Issues a one-time ticket for `listener`, good for [`TICKET_SECONDS`].
    pub async fn issue_ticket(&self, listener: &Listener) -> anyhow::Result<Ticket> {
        let ticket = new_ticket();
        let expires_at = self.clock.now() + Duration::seconds(TICKET_SECONDS);
        let stored = StoredTicket {
            listener: listener.clone(),
            expires_at: expires_at.timestamp(),
        };
        let item = with_ttl(record_item(&ticket_key(&ticket), &stored)?, expires_at);
        self.table
            .write(vec![WriteOp::Put {
                item,
                condition: Some(Condition::NotExists),
            }])
            .await?;
        Ok(Ticket { ticket, expires_at })
    }

    /// Spends a ticket: who it was issued to, if it exists, has not expired and was not
    /// spent before. The delete is conditional, so of two connects racing with one
    /// ticket only one gets it.
    pub async fn spend_ticket(&self, ticket: &str) -> anyhow::Result<Option<Listener>> {
        if ticket.is_empty() || ticket.len() > 100 {
            return Ok(None);
        }
        let key = ticket_key(ticket);
        let Some(item) = self.table.get(&key, true).await? else {
            return Ok(None);
        };
        let stored: StoredTicket = from_item(item)?;
        let spent = self
            .table
            .write(vec![WriteOp::Delete {
                key,
                condition: Some(Condition::Exists),
            }])
            .await;
        match spent {
            Ok(()) if stored.expires_at > self.clock.now().timestamp() => Ok(Some(stored.listener)),
            Ok(()) | Err(TableError::ConditionFailed { .. }) => Ok(None),
            Err(other) => Err(other.into()),
        }
    }

    /// Registers an open connection: its item and its audience rows, in one write.
    pub async fn connect(&self, connection_id: &str, listener: &Listener) -> anyhow::Result<()> {
        let now = self.clock.now();
        let expires_at = connection_expiry(now);
        let mut partitions = vec![user_connections_partition(&listener.user_id)];
        partitions.extend(
            listener
                .teams
                .iter()
                .map(|t| team_connections_partition(*t)),
        );
        let row = AudienceRow {
            connection_id: connection_id.to_string(),
            listener: listener.clone(),
        };
        let mut writes = Vec::with_capacity(partitions.len() + 1);
        for partition in &partitions {
            let item = record_item(&audience_row_key(partition, connection_id), &row)?;
            writes.push(WriteOp::Put {
                item: with_ttl(item, expires_at),
                condition: None,
            });
        }
        let connection = Connection {
            listener: listener.clone(),
            partitions,
            connected_at: now,
        };
        let item = record_item(&connection_key(connection_id), &connection)?;
        writes.push(WriteOp::Put {
            item: with_ttl(item, expires_at),
            condition: None,
        });
        self.table.write(writes).await?;
        Ok(())
    }

    /// Who an open connection belongs to (the socket's actions come with its id only).
    pub async fn listener(&self, connection_id: &str) -> anyhow::Result<Option<Listener>> {
        let item = self
            .table
            .get(&connection_key(connection_id), false)
            .await?;
        Ok(match item {
            Some(item) => Some(from_item::<Connection>(item)?.listener),
            None => None,
        })
    }

    /// Forgets a connection: its item and its rows, in one write. Forgetting one already
    /// gone does nothing.
    pub async fn disconnect(&self, connection_id: &str) -> anyhow::Result<()> {
        let key = connection_key(connection_id);
        let Some(item) = self.table.get(&key, true).await? else {
            return Ok(());
        };
        let connection: Connection = from_item(item)?;
        let mut writes: Vec<WriteOp> = connection
            .partitions
            .iter()
            .map(|partition| WriteOp::Delete {
                key: audience_row_key(partition, connection_id),
                condition: None,
            })
            .collect();
        writes.push(WriteOp::Delete {
            key,
            condition: None,
        });
        self.table.write(writes).await?;
        Ok(())
    }

    /// Pushes what `frame_for` gives each connection that may see `conversation` (none
    /// where it gives `None`); it is asked only for listeners [`Listener::may_see`]
    /// admits. Frames are shared: an event the same for many receivers is serialized once.
    pub async fn to_conversation(
        &self,
        conversation: &Conversation,
        frame_for: impl Fn(&Listener) -> Option<Frame>,
    ) -> anyhow::Result<Pushed> {
        let mut partitions: Vec<String> = conversation
            .participants
            .iter()
            .map(|p| user_connections_partition(p))
            .collect();
        if let (domain::ConversationType::Support, Some(team)) =
            (conversation.kind, conversation.team)
        {
            partitions.push(team_connections_partition(team));
        }
        let rows = join_all(partitions.iter().map(|p| self.rows(p))).await;
        // An admin both a participant and on the team is one connection, heard once.
        let mut connections = BTreeMap::new();
        for row in rows
            .into_iter()
            .collect::<anyhow::Result<Vec<_>>>()?
            .into_iter()
            .flatten()
        {
            connections.entry(row.connection_id).or_insert(row.listener);
        }
        let frames: Vec<(String, Frame)> = connections
            .into_iter()
            .filter(|(_, listener)| listener.may_see(conversation))
            .filter_map(|(id, listener)| Some((id, frame_for(&listener)?)))
            .collect();
        self.push_all(frames).await
    }

    /// Pushes `event` to every connection of `user`.
    pub async fn to_user(&self, user: &str, event: &Event) -> anyhow::Result<Pushed> {
        let frame = frame(event);
        let frames = self
            .rows(&user_connections_partition(user))
            .await?
            .into_iter()
            .map(|row| (row.connection_id, frame.clone()))
            .collect();
        self.push_all(frames).await
    }

    /// How many connections `user` has open.
    pub async fn open_by(&self, user: &str) -> anyhow::Result<usize> {
        Ok(self.rows(&user_connections_partition(user)).await?.len())
    }

    /// The admins connected on `teams` (each once, by id).
    pub async fn admins_on(
        &self,
        teams: &[domain::identity::Team],
    ) -> anyhow::Result<Vec<Listener>> {
        let mut admins = BTreeMap::new();
        for team in teams {
            for row in self.rows(&team_connections_partition(*team)).await? {
                admins
                    .entry(row.listener.user_id.clone())
                    .or_insert(row.listener);
            }
        }
        Ok(admins.into_values().collect())
    }

    /// Pushes `event` to the connections of admins on `teams` but `except`'s.
    pub async fn to_admins(
        &self,
        teams: &[domain::identity::Team],
        except: &str,
        event: &Event,
    ) -> anyhow::Result<Pushed> {
        let frame = frame(event);
        let mut connections = BTreeMap::new();
        for team in teams {
            for row in self.rows(&team_connections_partition(*team)).await? {
                if row.listener.admin && row.listener.user_id != except {
                    connections.insert(row.connection_id, frame.clone());
                }
            }
        }
        self.push_all(connections.into_iter().collect()).await
    }

    /// Pushes `event` to one connection.
    pub async fn to_connection(
        &self,
        connection_id: &str,
        event: &Event,
    ) -> anyhow::Result<Pushed> {
        self.push_all(vec![(connection_id.to_string(), frame(event))])
            .await
    }

    /// Every connection listed in an audience partition.
    async fn rows(&self, partition: &str) -> anyhow::Result<Vec<AudienceRow>> {
        let mut rows = Vec::new();
        let mut start = None;
        loop {
            let query = Query::partition(Index::Table, partition).start(start);
            let page = self.table.query(&query).await?;
            for item in page.items {
                rows.push(from_item(item).context("a connection row")?);
            }
            match page.last {
                Some(last) => start = Some(last),
                None => return Ok(rows),
            }
        }
    }

    /// Pushes each frame to its connection, all at once; a connection found gone is
    /// forgotten. Push is best effort: a failed push is logged, not retried (a client
    /// that missed an event fetches it over REST when it reconnects), so it never holds
    /// up the stream.
    async fn push_all(&self, frames: Vec<(String, Frame)>) -> anyhow::Result<Pushed> {
        let results = join_all(
            frames
                .iter()
                .map(|(id, frame)| async move { (id, self.pusher.push(id, frame).await) }),
        )
        .await;
        let mut pushed = Pushed::default();
        for (id, result) in results {
            match result {
                Ok(()) => pushed.frames += 1,
                Err(PushError::Gone) => {
                    pushed.gone += 1;
                    self.disconnect(id).await?;
                }
                Err(PushError::Unavailable(error)) => {
                    pushed.failed += 1;
                    tracing::warn!(connection = %id, error = %format!("{error:#}"), "push failed");
                }
            }
        }
        Ok(pushed)
    }
}
