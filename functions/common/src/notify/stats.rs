//! The stream's changes counted into the daily stats (see `domain::stats`), once each: a
//! claim item written in the same transaction as the additions makes a redelivered
//! record count nothing. notify is the stream's first consumer, so counting needs no
//! extra reader of the stream (DynamoDB Streams serves at most two well).

use chrono::{DateTime, Datelike, Duration, Utc};
use serde::de::DeserializeOwned;

use super::pipeline::{Notifier, NotifyError};
use crate::domain::calendar::Calendar;
use crate::domain::stats::{self, Tally};
use crate::domain::survey::{NpsAnswer, Rating};
use crate::domain::{Conversation, ConversationType, Listing, Message};
use crate::store::message_key;
use crate::table::{
    Change, Condition, Item, Key, StreamRecord, TableError, Value, WriteOp, from_item,
};

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
    Key::new(
        format!("LISTING#{listing}"),
        format!("ENGAGED#{}", day.format("%Y-%m")),
    )
}

impl Notifier {
    /// Counts what a change to a conversation, a rating, an NPS answer or a listing
    /// adds to the stats. Messages are counted where their conversation is read
    /// ([`count_message`](Self::count_message)).
    pub(super) async fn count_change(&self, record: &StreamRecord) -> Result<(), NotifyError> {
        let (pk, sk) = (record.key.pk.as_str(), record.key.sk.as_str());
        let mut tally = Tally::default();
        let mut engaged = None;
        if pk.starts_with("CONV#") && sk == "META" {
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
                }
                _ => {}
            }
        } else if pk.starts_with("USER#") && sk.starts_with("RATING#") {
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
        } else if pk.starts_with("USER#") && sk.starts_with("NPS#") && record.old.is_none() {
            if let Some(answer) = image::<NpsAnswer>(&record.new)? {
                tally.nps(answer.answered_at, answer.score);
            }
        } else if pk.starts_with("LISTING#") && sk == "META" {
            let old: Option<Listing> = image(&record.old)?;
            let new: Option<Listing> = image(&record.new)?;
            tally.listing(old.as_ref(), new.as_ref());
        }
        self.write_tally(&record.id, tally, engaged).await
    }

    /// A newly stored message: volumes and the hour it came in.
    pub(super) async fn count_message(
        &self,
        record_id: &str,
        message: &Message,
        conversation: &Conversation,
    ) -> Result<(), NotifyError> {
        let mut tally = Tally::default();
        tally.message(message, conversation);
        self.write_tally(record_id, tally, None).await
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

    /// Writes a record's additions with its claim, as one transaction. A claim already
    /// there means the record was counted. A listing already counted this month is
    /// counted again without its marker.
    async fn write_tally(
        &self,
        record_id: &str,
        tally: Tally,
        mut engaged: Option<(Key, DateTime<Utc>)>,
    ) -> Result<(), NotifyError> {
        let now = self.clock.now();
        loop {
            let mut tally = tally.clone();
            if let Some((_, at)) = &engaged {
                tally.listing_engaged(*at);
            }
            if tally.is_empty() {
                return Ok(());
            }
            let mut writes = vec![claim(record_id, now)];
            if let Some((key, _)) = &engaged {
                writes.push(create_once(key.clone(), now + Duration::days(ENGAGED_DAYS)));
            }
            writes.extend(tally.updates().map(|(key, additions)| {
                WriteOp::Update {
                    key,
                    changes: additions
                        .iter()
                        .filter(|(_, n)| **n != 0)
                        .map(|(name, n)| Change::Add(name.clone(), *n))
                        .collect(),
                    condition: None,
                }
            }));
            match self.table.write(writes).await {
                Ok(()) | Err(TableError::ConditionFailed { index: 0 }) => return Ok(()),
                Err(TableError::ConditionFailed { index: 1 }) if engaged.is_some() => {
                    engaged = None;
                }
                Err(other) => return Err(other.into()),
            }
        }
    }
}

fn claim(record_id: &str, now: DateTime<Utc>) -> WriteOp {
    create_once(
        Key::new(format!("COUNTED#{record_id}"), "COUNTED"),
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
