//! The stream's changes counted into the daily stats (see `domain::stats`), once each.
//! Each record's additions are computed as it is processed; at the end of the batch
//! they are summed and written in one transaction with a claim item per record, so a
//! redelivered record counts nothing and a day's items are updated once per batch, not
//! once per record. notify is the stream's first consumer, so counting needs no extra
//! reader of the stream (DynamoDB Streams serves at most two well).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, Utc};
use serde::de::DeserializeOwned;

use super::notifier::{Notifier, NotifyError};
use domain::broadcast::Engagement;
use domain::calendar::Calendar;
use domain::stats::{self, Tally};
use domain::survey::{NpsAnswer, Rating};
use domain::{Conversation, ConversationType, Listing, Message};
use store::keys::{self, Kind};
use store::message_key;
use store::table::{Condition, Item, Key, StreamRecord, TableError, Value, WriteOp, from_item};

/// Claims outlive the stream's 24-hour retention.
const CLAIM_DAYS: i64 = 2;
/// Listing engagement markers outlive the month they mark.
const ENGAGED_DAYS: i64 = 62;

fn image<T: DeserializeOwned>(image: &Option<Item>) -> Result<Option<T>, NotifyError> {
    Ok(image.clone().map(from_item).transpose()?)
}

/// Business time is counted on South Africa's calendar (the seed's), for the year of the
/// event and the one before (a response may wait across New Year).
fn calendar(at: DateTime<Utc>) -> Calendar {
    Calendar::south_africa([at.year() - 1, at.year()])
}

/// First conversation about a listing in a month: the marker that counts it once.
fn engaged_marker(listing: &str, at: DateTime<Utc>) -> Key {
    let (day, _) = stats::local_day_hour(at);
    keys::listing_engaged_key(listing, day)
}

/// What one record adds, and whether it is a listing's first conversation this month.
#[derive(Debug, Clone, Default)]
pub(super) struct Counted {
    record: String,
    tally: Tally,
    /// The marker that counts a listing once a month, and when.
    engaged: Option<(Key, DateTime<Utc>)>,
    /// What a recipient did with a broadcast: counted on the broadcast's item.
    broadcasts: Vec<(String, Engagement)>,
}

impl Counted {
    fn tally(&self) -> Tally {
        let mut tally = self.tally.clone();
        if let Some((_, at)) = &self.engaged {
            tally.listing_engaged(*at);
        }
        tally
    }

    fn is_empty(&self) -> bool {
        self.tally().is_empty() && self.broadcasts.is_empty()
    }
}

/// A group's broadcast engagement, summed per broadcast (a transaction touches an item
/// once).
fn engagement_sums(group: &[Counted]) -> BTreeMap<&str, BTreeMap<Engagement, i64>> {
    let mut sums: BTreeMap<&str, BTreeMap<Engagement, i64>> = BTreeMap::new();
    for (broadcast, engagement) in group.iter().flat_map(|c| &c.broadcasts) {
        *sums
            .entry(broadcast.as_str())
            .or_default()
            .entry(*engagement)
            .or_default() += 1;
    }
    sums
}

/// DynamoDB's limit on the items of one transaction.
const MAX_TRANSACTION_ITEMS: usize = 100;

impl Notifier {
    /// What a change to a conversation, a rating, an NPS answer or a listing adds to
    /// the stats. Messages are counted where their conversation is read
    /// ([`count_message`](Self::count_message)).
    pub(super) async fn count_change(&self, record: &StreamRecord) -> Result<Counted, NotifyError> {
        let mut tally = Tally::default();
        let mut engaged = None;
        let mut broadcasts = Vec::new();
        let kind = Kind::of(&record.key);
        if let Kind::Conversation { .. } = kind {
            let old: Option<Conversation> = image(&record.old)?;
            let new: Option<Conversation> = image(&record.new)?;
            tally.queues(old.as_ref(), new.as_ref());
            match (&old, &new) {
                (None, Some(new)) => {
                    tally.opened(new);
                    if let Some(listing) = new
                        .listing_id
                        .as_deref()
                        .filter(|_| new.kind == ConversationType::Direct)
                    {
                        engaged = Some((engaged_marker(listing, new.created_at), new.created_at));
                    }
                }
                (Some(old), Some(new)) => {
                    let calendar = calendar(new.last_message_at);
                    if let Some(response) = stats::response(old, new) {
                        let agent = self.replier(new).await?;
                        tally.responded(new, &response, &agent, &calendar);
                    }
                    tally.status_changed(old, new, &calendar);
                    if let Some(broadcast) = &new.broadcast_id {
                        broadcasts.extend(
                            domain::broadcast::engagement(old, new)
                                .into_iter()
                                .map(|e| (broadcast.clone(), e)),
                        );
                    }
                }
                _ => {}
            }
        } else if kind == Kind::Rating {
            let old: Option<Rating> = image(&record.old)?;
            let new: Option<Rating> = image(&record.new)?;
            if let Some(about) = new.as_ref().or(old.as_ref()) {
                let (old_figures, new_figures) = (
                    old.as_ref().map(Rating::figures),
                    new.as_ref().map(Rating::figures),
                );
                if old_figures != new_figures {
                    tally.rating(
                        (about.category, about.team, about.agent.as_deref()),
                        about.rated_at,
                        old_figures.as_ref(),
                        new_figures.as_ref(),
                    );
                }
            }
        } else if kind == Kind::Nps && record.old.is_none() {
            if let Some(answer) = image::<NpsAnswer>(&record.new)? {
                tally.nps(answer.answered_at, answer.score);
            }
        } else if kind == Kind::Listing {
            let old: Option<Listing> = image(&record.old)?;
            let new: Option<Listing> = image(&record.new)?;
            tally.listing(old.as_ref(), new.as_ref());
        }
        Ok(Counted {
            record: record.id.clone(),
            tally,
            engaged,
            broadcasts,
        })
    }

    /// A newly stored message: volumes and the hour it came in; a broadcast's copy
    /// delivered to its recipient.
    pub(super) fn count_message(
        record_id: &str,
        message: &Message,
        conversation: &Conversation,
    ) -> Counted {
        let mut tally = Tally::default();
        tally.message(message, conversation);
        Counted {
            record: record_id.to_string(),
            tally,
            engaged: None,
            broadcasts: message
                .broadcast_id
                .iter()
                .map(|b| (b.clone(), Engagement::Delivered))
                .collect(),
        }
    }

    /// Who answered: the author of the conversation's latest message (written in the
    /// same transaction as this change), else its assignee.
    async fn replier(&self, conversation: &Conversation) -> Result<String, NotifyError> {
        let key = message_key(&conversation.id, &conversation.last_message_id);
        let author = match self.table.get(&key, true).await? {
            Some(item) => Some(from_item::<Message>(item)?.sender_id),
            None => None,
        };
        Ok(author
            .or_else(|| conversation.assignee.clone())
            .unwrap_or_else(|| "unknown".into()))
    }

    /// Writes a batch's additions, summed, with a claim per record: one transaction (or
    /// a few, past DynamoDB's 100 items). A claim already there means that record was
    /// counted: it is left out and the rest written. A listing already counted this
    /// month is counted without its marker.
    pub(super) async fn write_counts(&self, counted: Vec<Counted>) -> Result<(), NotifyError> {
        let mut pending: Vec<Counted> = counted.into_iter().filter(|c| !c.is_empty()).collect();
        while !pending.is_empty() {
            let take = fitting(&pending);
            let mut group: Vec<Counted> = pending.drain(..take).collect();
            self.write_group(&mut group).await?;
        }
        Ok(())
    }

    async fn write_group(&self, group: &mut Vec<Counted>) -> Result<(), NotifyError> {
        let now = self.clock.now();
        // Two conversations about one listing in a batch: its marker once (a transaction
        // may not touch an item twice).
        let mut markers_seen = std::collections::BTreeSet::new();
        for counted in group.iter_mut() {
            if let Some((key, _)) = &counted.engaged
                && !markers_seen.insert(key.clone())
            {
                counted.engaged = None;
            }
        }
        loop {
            if group.is_empty() {
                return Ok(());
            }
            let mut sum = Tally::default();
            group.iter().for_each(|c| sum.merge(&c.tally()));
            let mut writes: Vec<WriteOp> = group.iter().map(|c| claim(&c.record, now)).collect();
            let markers: Vec<usize> = (0..group.len())
                .filter(|i| group[*i].engaged.is_some())
                .collect();
            for i in &markers {
                if let Some((key, _)) = &group[*i].engaged {
                    writes.push(create_once(key.clone(), now + Duration::days(ENGAGED_DAYS)));
                }
            }
            writes.extend(store::stats::writes(&sum));
            for (broadcast, counts) in engagement_sums(group) {
                let counts: Vec<(Engagement, i64)> = counts.into_iter().collect();
                writes.push(store::engagement_write(broadcast, &counts));
            }
            match self.table.write(writes).await {
                Ok(()) => return Ok(()),
                // Counted before (a redelivered record): leave it out.
                Err(TableError::ConditionFailed { index }) if index < group.len() => {
                    group.remove(index);
                }
                // The listing was counted this month already.
                Err(TableError::ConditionFailed { index })
                    if index < group.len() + markers.len() =>
                {
                    let listing = markers[index - group.len()];
                    group[listing].engaged = None;
                }
                Err(other) => return Err(other.into()),
            }
        }
    }
}

/// How many of the first records fit in one transaction.
fn fitting(pending: &[Counted]) -> usize {
    let mut sum = Tally::default();
    let mut markers = 0;
    let mut broadcasts = std::collections::BTreeSet::new();
    for (n, counted) in pending.iter().enumerate() {
        sum.merge(&counted.tally());
        markers += usize::from(counted.engaged.is_some());
        broadcasts.extend(counted.broadcasts.iter().map(|(b, _)| b.as_str()));
        if n + 1 + markers + sum.updates().count() + broadcasts.len() > MAX_TRANSACTION_ITEMS {
            return n.max(1);
        }
    }
    pending.len()
}

fn claim(record_id: &str, now: DateTime<Utc>) -> WriteOp {
    create_once(
        keys::counted_key(record_id),
        now + Duration::days(CLAIM_DAYS),
    )
}

fn create_once(key: Key, expires: DateTime<Utc>) -> WriteOp {
    let item = Item::from([
        ("pk".to_string(), Value::s(key.pk)),
        ("sk".to_string(), Value::s(key.sk)),
        ("expires_at".to_string(), Value::n(expires.timestamp())),
    ]);
    WriteOp::Put {
        item,
        condition: Some(Condition::NotExists),
    }
}
