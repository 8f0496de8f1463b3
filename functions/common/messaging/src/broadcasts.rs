//! Broadcasts: seniors and managers send one message to a segment of users. The
//! request only stores the broadcast; the fan-out runs in the background, one step per
//! change of the broadcast's item on the table's stream (the `broadcast` function), so
//! each step's progress write triggers the next, and a cancellation stops it.

use anyhow::Context;
use chrono::{DateTime, Utc};
use futures_util::future::{join_all, try_join_all};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use super::{Created, Idempotency, Page, PageRequest};
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::users::{SegmentMember, UserAccount};
use domain::broadcast::{
    Broadcast, BroadcastStatus, Failure, FanoutCursor, Recipient, Segment, StepReport,
};
use domain::identity::{Access, Caller};
use domain::{Contact, Conversation, validate};
use store::keys::Kind;
use store::table::{Index, Query, SortKey, StreamRecord, TableError, from_item};
use store::{
    self, BROADCASTS, Cursor, SegmentKind, USER_SHARDS, account_key, broadcast_key,
    broadcast_write, conversation_writes, message_write, segment_partition, tier_prefix,
    users_shard,
};

/// Recipients' conversations written at once within a step.
const CONCURRENT_WRITES: usize = 16;
/// Writes of one recipient's conversation before they count as failed; the fan-out then
/// moves on, so one recipient never holds up the rest (unless the whole step failed).
const DELIVERY_ATTEMPTS: usize = 2;
/// A segment's reach is counted up to this many recipients, so that a huge registry is
/// not read through on a click; past it the answer says `capped`.
const REACH_CAP: usize = 10_000;
/// The most items one counting query asks for.
const REACH_PAGE: usize = 1_000;

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BroadcastRequest {
    #[schema(max_length = 200)]
    pub subject: String,
    #[schema(max_length = 5000)]
    pub body: String,
    pub segment: Segment,
}

/// A segment to count before sending to it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReachRequest {
    pub segment: Segment,
}

/// How many recipients a broadcast to the segment would reach now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reach {
    /// Recipients, counted up to 10,000
    pub recipients: u32,
    /// The segment has more than 10,000: counting stopped there
    pub capped: bool,
}

impl Reach {
    fn of(counted: usize) -> Self {
        Self {
            recipients: counted.min(REACH_CAP) as u32,
            capped: counted > REACH_CAP,
        }
    }
}

/// A broadcast as the API shows it: its message, segment, status and progress.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = Broadcast)]
pub struct BroadcastView {
    pub id: String,
    pub subject: String,
    pub body: String,
    pub segment: Segment,
    pub status: BroadcastStatus,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    #[schema(required = true)]
    pub started_at: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub finished_at: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub cancelled_by: Option<String>,
    /// Recipients who have it in their inbox
    pub sent: u32,
    /// Recipients it could not be written for
    pub failed: u32,
    /// The first 20 failures, with why
    pub failures: Vec<Failure>,
    /// Recipients notify delivered it to (their inbox and notifications; email and SMS
    /// as each chose): follows `sent` within moments
    pub delivered: u32,
    /// Recipients who read it in the app
    pub read: u32,
    /// Recipients who answered it
    pub replied: u32,
    /// Recipients whose email of it bounced for good
    pub bounced: u32,
}

impl From<Broadcast> for BroadcastView {
    fn from(b: Broadcast) -> Self {
        Self {
            id: b.id,
            subject: b.subject,
            body: b.body,
            segment: b.segment,
            status: b.status,
            created_by: b.created_by,
            created_at: b.created_at,
            started_at: b.started_at,
            finished_at: b.finished_at,
            cancelled_by: b.cancelled_by,
            sent: b.sent,
            failed: b.failed,
            failures: b.failures,
            delivered: b.delivered,
            read: b.read,
            replied: b.replied,
            bounced: b.bounced,
        }
    }
}

impl App {
    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn create_broadcast(
        &self,
        caller: &Caller,
        request: BroadcastRequest,
        idempotency: Option<&Idempotency>,
    ) -> ApiResult<Created<BroadcastView>> {
        Access::Supervisor.check(caller)?;
        let subject = validate::subject(&request.subject)?;
        let body = validate::body("body", &request.body)?;
        let segment = request.segment.checked()?;
        let now = self.clock.now();
        let broadcast =
            Broadcast::new(self.ids.next(now), subject, body, segment, caller.id(), now);
        let write = broadcast_write(&broadcast, None)?;
        self.create_once(
            write,
            Vec::new(),
            BroadcastView::from(broadcast),
            idempotency,
        )
        .await
    }

    /// Broadcasts, newest first.
    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn list_broadcasts(
        &self,
        caller: &Caller,
        page: PageRequest,
    ) -> ApiResult<Page<BroadcastView>> {
        Access::Supervisor.check(caller)?;
        let query = Query::partition(Index::Gsi1, BROADCASTS)
            .descending(true)
            .start(page.cursor.map(|c| c.0));
        let (items, next) = store::page(self.table.as_ref(), query, page.limit).await?;
        let views = items
            .into_iter()
            .map(|item| Ok(from_item::<Broadcast>(item)?.into()))
            .collect::<ApiResult<_>>()?;
        Ok(Page::new(views, next))
    }

    /// How many recipients a broadcast to `segment` would reach if sent now, counted up
    /// to 10,000 (`REACH_CAP`; past it: `capped`), by eventually consistent queries of the
    /// segment's sources read side by side. A pasted list reaches each distinct id:
    /// users not in the registry still get the inbox copy.
    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn broadcast_reach(
        &self,
        caller: &Caller,
        request: ReachRequest,
    ) -> ApiResult<Reach> {
        Access::Supervisor.check(caller)?;
        let segment = request.segment.checked()?;
        if let Segment::Users { user_ids } = &segment {
            return Ok(Reach::of(user_ids.len()));
        }
        let mut reading: Vec<Query> = audience_sources(&segment)
            .into_iter()
            .map(Query::eventually_consistent)
            .collect();
        let mut counted = 0;
        while !reading.is_empty() && counted <= REACH_CAP {
            // Each source asks for its share of what is left up to one past the cap, so
            // a segment far larger than the cap is read hardly beyond it.
            let share = (REACH_CAP + 1 - counted)
                .div_ceil(reading.len())
                .min(REACH_PAGE);
            let pages = try_join_all(reading.iter_mut().map(|query| {
                query.limit = Some(share as u32);
                self.table.query(query)
            }))
            .await?;
            let mut more = Vec::with_capacity(reading.len());
            for (query, page) in reading.into_iter().zip(pages) {
                counted += page.items.len();
                if let Some(last) = page.last {
                    more.push(query.start(Some(last)));
                }
            }
            reading = more;
        }
        Ok(Reach::of(counted))
    }

    #[instrument(skip_all, fields(caller = caller.id(), broadcast = id))]
    pub async fn get_broadcast(&self, caller: &Caller, id: &str) -> ApiResult<BroadcastView> {
        Access::Supervisor.check(caller)?;
        Ok(self.load_broadcast(id).await?.into())
    }

    /// Stops the fan-out where it is; recipients already reached keep the message.
    #[instrument(skip_all, fields(caller = caller.id(), broadcast = id))]
    pub async fn cancel_broadcast(&self, caller: &Caller, id: &str) -> ApiResult<BroadcastView> {
        Access::Supervisor.check(caller)?;
        for _ in 0..super::edit::ATTEMPTS {
            let mut broadcast = self.load_broadcast(id).await?;
            let version = broadcast.version;
            if !broadcast.cancel(caller.id(), self.clock.now())? {
                return Ok(broadcast.into());
            }
            broadcast.version = version + 1;
            match self
                .table
                .write(vec![broadcast_write(&broadcast, Some(version))?])
                .await
            {
                Ok(()) => return Ok(broadcast.into()),
                // A fan-out step recorded its progress meanwhile: cancel the new version.
                Err(TableError::ConditionFailed { .. } | TableError::Conflict) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(ApiError::conflict(
            "the broadcast is changing too fast; please retry",
        ))
    }

    async fn load_broadcast(&self, id: &str) -> ApiResult<Broadcast> {
        validate::id("id", id)?;
        match self.table.get(&broadcast_key(id), true).await? {
            Some(item) => Ok(from_item(item)?),
            None => Err(ApiError::not_found("broadcast")),
        }
    }

    /// The `broadcast` function's share of the table's stream: a queued or sending
    /// broadcast takes its next step; a new conversation registers its starter for the
    /// segments. Returns the ids of the records that failed (to be retried).
    pub async fn broadcast_stream(&self, records: &[StreamRecord]) -> Vec<String> {
        let mut failed = Vec::new();
        for record in records {
            let outcome = if let Some(id) = active_broadcast(record) {
                self.broadcast_step(&id).await.map(drop)
            } else if let Some(conversation) = new_conversation(record) {
                match conversation {
                    Ok(conversation) => self.register_starter(&conversation).await,
                    Err(error) => Err(error),
                }
            } else {
                Ok(())
            };
            if let Err(error) = outcome {
                tracing::warn!(record = %record.id, error = format!("{error:#}"), "broadcast stream record failed; will retry");
                failed.push(record.id.clone());
            }
        }
        failed
    }

    /// One step of a broadcast's fan-out: the next recipients from where the last step
    /// stopped, each given their conversation, then the progress recorded (which, on
    /// the stream, triggers the next step). A step repeated after a crash redelivers
    /// nothing (each recipient's conversation is created once) and counts nothing twice.
    pub async fn broadcast_step(&self, id: &str) -> anyhow::Result<Broadcast> {
        let broadcast = self.load_broadcast(id).await?;
        let Some(from) = broadcast.cursor.clone().filter(|_| broadcast.is_active()) else {
            return Ok(broadcast);
        };
        let (recipients, next) = self.recipients(&broadcast.segment, &from).await?;
        let now = self.clock.now();
        let mut report = StepReport {
            from,
            next,
            sent: 0,
            failures: Vec::new(),
        };
        for chunk in recipients.chunks(CONCURRENT_WRITES) {
            let outcomes = join_all(chunk.iter().map(|r| self.deliver(&broadcast, r, now))).await;
            for (recipient, outcome) in chunk.iter().zip(outcomes) {
                match outcome {
                    Ok(()) => report.sent += 1,
                    Err(error) => report.failures.push(Failure {
                        user_id: recipient.user_id.clone(),
                        reason: error.to_string(),
                    }),
                }
            }
        }
        // Nobody reached at all looks like the table, not the recipients: leave the step
        // to the stream's retries rather than mark a whole segment failed.
        if report.sent == 0
            && report.failures.len() == recipients.len()
            && let Some(failure) = report.failures.first()
        {
            anyhow::bail!("every delivery of this step failed: {}", failure.reason);
        }
        self.record_step(id, report).await
    }

    /// Records a step on the latest version of the broadcast (a cancellation may have
    /// landed meanwhile); if another run of the same step got there first, nothing.
    async fn record_step(&self, id: &str, report: StepReport) -> anyhow::Result<Broadcast> {
        for _ in 0..super::edit::ATTEMPTS {
            let mut broadcast = self.load_broadcast(id).await?;
            if broadcast.cursor.as_ref() != Some(&report.from) {
                return Ok(broadcast);
            }
            let version = broadcast.version;
            broadcast.record_step(report.clone(), self.clock.now());
            broadcast.version = version + 1;
            match self
                .table
                .write(vec![broadcast_write(&broadcast, Some(version))?])
                .await
            {
                Ok(()) => return Ok(broadcast),
                Err(TableError::ConditionFailed { .. } | TableError::Conflict) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        anyhow::bail!("broadcast {id} kept changing while its progress was recorded")
    }

    /// Gives one recipient their conversation. Already there means an earlier run of
    /// this step delivered it.
    async fn deliver(
        &self,
        broadcast: &Broadcast,
        recipient: &Recipient,
        now: DateTime<Utc>,
    ) -> Result<(), TableError> {
        let (conversation, message) = broadcast.conversation_for(recipient, now);
        let mut writes = vec![message_write(&message)?];
        writes.extend(conversation_writes(&conversation, None)?);
        let mut attempts = 1;
        loop {
            match self.table.write(writes.clone()).await {
                Ok(()) | Err(TableError::ConditionFailed { .. }) => return Ok(()),
                Err(error) if attempts >= DELIVERY_ATTEMPTS => return Err(error),
                Err(_) => attempts += 1,
            }
        }
    }

    /// Up to a step's worth of recipients from `cursor`, and where the next step starts
    /// (none: the segment is exhausted).
    async fn recipients(
        &self,
        segment: &Segment,
        cursor: &FanoutCursor,
    ) -> anyhow::Result<(Vec<Recipient>, Option<FanoutCursor>)> {
        match segment {
            Segment::All
            | Segment::Tier { .. }
            | Segment::ListingCategory { .. }
            | Segment::Location { .. } => {
                let sources = audience_sources(segment);
                let after = cursor
                    .after
                    .as_deref()
                    .map(Cursor::decode)
                    .transpose()?
                    .map(|c| c.0);
                let query = sources
                    .get(cursor.source as usize)
                    .context("the fan-out cursor is past its segment's sources")?
                    .clone()
                    .start(after);
                let (items, next) =
                    store::page(self.table.as_ref(), query, self.broadcast_step_size).await?;
                let registry = matches!(segment, Segment::All | Segment::Tier { .. });
                let recipients = items
                    .into_iter()
                    .map(|item| match registry {
                        true => Ok(from_item::<UserAccount>(item)?.recipient()),
                        false => Ok(from_item::<SegmentMember>(item)?.recipient),
                    })
                    .collect::<anyhow::Result<_>>()?;
                let next = match next {
                    Some(after) => Some(FanoutCursor {
                        source: cursor.source,
                        after: Some(after.encode()),
                    }),
                    None => (cursor.source as usize + 1 < sources.len()).then(|| FanoutCursor {
                        source: cursor.source + 1,
                        after: None,
                    }),
                };
                Ok((recipients, next))
            }
            Segment::Users { user_ids } => {
                let offset = cursor.source as usize;
                let end = (offset + self.broadcast_step_size).min(user_ids.len());
                let listed = user_ids.get(offset..end).unwrap_or_default();
                let mut recipients = Vec::with_capacity(listed.len());
                for chunk in listed.chunks(CONCURRENT_WRITES) {
                    let keys: Vec<_> = chunk.iter().map(|user| account_key(user)).collect();
                    let accounts =
                        join_all(keys.iter().map(|key| self.table.get(key, false))).await;
                    for (user, account) in chunk.iter().zip(accounts) {
                        // Not in the registry: the inbox still reaches them.
                        let contact = match account? {
                            Some(item) => from_item::<UserAccount>(item)?.contact,
                            None => Contact::default(),
                        };
                        recipients.push(Recipient {
                            user_id: user.clone(),
                            contact,
                        });
                    }
                }
                let next = (end < user_ids.len()).then_some(FanoutCursor {
                    source: end as u32,
                    after: None,
                });
                Ok((recipients, next))
            }
        }
    }
}

/// The queries that read a segment's audience, one a source (a fan-out cursor's
/// `source` numbers them): each registry shard for everyone or a tier, the segment's
/// own partition for a listing category or location; none for a pasted list.
fn audience_sources(segment: &Segment) -> Vec<Query> {
    let rows = |kind, value: &str| {
        vec![Query::partition(
            Index::Table,
            segment_partition(kind, value),
        )]
    };
    match segment {
        Segment::All => (0..USER_SHARDS)
            .map(|shard| Query::partition(Index::Gsi1, users_shard(shard)))
            .collect(),
        Segment::Tier { tier } => (0..USER_SHARDS)
            .map(|shard| {
                Query::partition(Index::Gsi1, users_shard(shard))
                    .sort(SortKey::BeginsWith(tier_prefix(tier)))
            })
            .collect(),
        Segment::ListingCategory { category } => rows(SegmentKind::ListingCategory, category),
        Segment::Location { location } => rows(SegmentKind::Location, location),
        Segment::Users { .. } => Vec::new(),
    }
}

/// The id of a broadcast whose stored item says it has fan-out left to do. Only a new
/// version is a step to take: notify counting recipients' engagement changes the item
/// but not its version.
fn active_broadcast(record: &StreamRecord) -> Option<String> {
    let Kind::Broadcast { id } = Kind::of(&record.key) else {
        return None;
    };
    let new = record.new.as_ref()?;
    let version = |image: &store::table::Item| image.get("version").and_then(|v| v.as_i64());
    if record
        .old
        .as_ref()
        .is_some_and(|old| version(old) == version(new))
    {
        return None;
    }
    let status = new.get("status")?.as_s()?;
    matches!(status, "queued" | "sending").then(|| id.to_string())
}

/// A conversation just created, from its stream image.
fn new_conversation(record: &StreamRecord) -> Option<anyhow::Result<Conversation>> {
    let is_conversation = matches!(Kind::of(&record.key), Kind::Conversation { .. });
    match (&record.old, &record.new) {
        (None, Some(new)) if is_conversation => Some(from_item(new.clone())),
        _ => None,
    }
}
