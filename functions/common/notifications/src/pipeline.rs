//! From a stored message to notifications sent, exactly once as far as the design allows:
//! in-app notifications are create-once items, and each email or SMS is claimed with a
//! conditional marker before it is sent and marked sent after. A record processed twice
//! sends nothing twice; a failed send releases its claim and fails the record, so the
//! stream retries it (and what keeps failing goes to the on-failure destination).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::notifier::{Notifier, NotifyError};
use super::render::{self, DigestEntry, Links};
use super::stats::Counted;
use super::webhooks;
use delivery::{Email, SendError, TextMessage};
use domain::directory::Member;
use domain::email_reply::ReplyAddress;
use domain::notice::Notification;
use domain::notice::{Audience, Notice, notices_for};
use domain::preferences::{Preferences, SmsTiming, channels, digest_due, email_delay};
use domain::redact::redact;
use domain::webhook::WebhookEvent;
use domain::{Contact, Conversation, Message, Status};
use store::inbox;
use store::keys::{
    DIGESTS_DUE, EMAILS_DUE, HELD_SMS, Kind, digest_due_key, digest_entry_key, digest_partition,
    email_due_key, held_sms_key, notification_key, preferences_key, profile_key, role_partition,
    sent_marker_key, sms_sent_key, suppression_key, team_partition,
};
use store::table::{Condition, Key, Query, SortKey, StreamRecord, TableError, WriteOp, from_item};
use store::{self, conversation_key, record_write};
use tracing::Instrument;

/// What a run of [`Notifier::send_due_emails`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DueEmails {
    pub sent: usize,
    /// Read in the app before they were due: not sent.
    pub read: usize,
}

/// A claim older than this is taken to be from a worker that died mid-send.
const CLAIM_LEASE_SECONDS: i64 = 120;
/// Markers are kept this long (DynamoDB TTL), longer than any stream retry.
const MARKER_DAYS: i64 = 7;

/// A person to notify and how to reach them.
struct Recipient {
    id: String,
    admin: bool,
    contact: Contact,
}

#[derive(Serialize, Deserialize)]
struct Marker {
    state: MarkerState,
    claimed_at: DateTime<Utc>,
    expires_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum MarkerState {
    Sending,
    Sent,
    /// The provider refused it for good; not retried.
    Rejected,
}

/// An SMS held for the end of someone's quiet hours.
#[derive(Serialize, Deserialize)]
struct HeldSms {
    marker: String,
    message: TextMessage,
}

#[derive(Serialize, Deserialize)]
struct DigestDue {
    user: String,
}

/// A message's email, waiting to see whether the message is read in the app first.
#[derive(Serialize, Deserialize)]
struct WaitingEmail {
    marker: String,
    email: Email,
    /// Whose in-app notification of it (its id is the message's): read there, the
    /// email is not sent.
    recipient: String,
    conversation_id: String,
    /// Whose read mark in the conversation counts: the recipient's, or the admin side's.
    reader: String,
    message_id: String,
}

/// Whose reading counts for `to`: an admin who is not a participant reads as the team.
fn reader_of(to: &Recipient, conversation: &Conversation) -> String {
    if to.admin && !conversation.is_participant(&to.id) {
        domain::conversation::ADMIN_SIDE.to_string()
    } else {
        to.id.clone()
    }
}

impl Notifier {
    /// Processes a batch; returns the ids of the records that failed (to be retried).
    /// What the records add to the daily stats is written once, at the end; if that
    /// fails, the whole batch is retried (sends are once-only, counts claimed).
    pub async fn process(&self, records: &[StreamRecord]) -> Vec<String> {
        let mut failed = Vec::new();
        let mut counted = Vec::new();
        for record in records {
            // Every line about this record carries the id of the request that made the
            // change, when a request did.
            let span = tracing::info_span!(
                "record",
                record = %record.id,
                request_id = tracing::field::Empty,
            );
            if let Some(id) =
                store::correlation::of_change(record.old.as_ref(), record.new.as_ref())
            {
                span.record("request_id", id);
            }
            async {
                match self.record(record).await {
                    Ok(counts) => counted.push(counts),
                    Err(error) => {
                        tracing::warn!(record = %record.id, error = redact(&format!("{error:#}")), "notification failed; will retry");
                        failed.push(record.id.clone());
                    }
                }
            }
            .instrument(span)
            .await;
        }
        if let Err(error) = self.write_counts(counted).await {
            tracing::warn!(
                error = redact(&format!("{error:#}")),
                "counting the batch failed; will retry"
            );
            return records.iter().map(|r| r.id.clone()).collect();
        }
        let stored = records
            .iter()
            .filter(|r| r.old.is_none() && r.new.is_some() && !failed.contains(&r.id))
            .filter(|r| matches!(Kind::of(&r.key), Kind::Message { .. }))
            .count();
        if stored > 0 {
            // Per batch. A message after a failed record comes again and counts again.
            metering::emf::counts(&[("MessagesStored", stored as u64)]);
        }
        failed
    }

    /// Notifies about one record; returns what it adds to the stats.
    async fn record(&self, record: &StreamRecord) -> Result<Counted, NotifyError> {
        let counted = self.count_change(record).await?;
        if let Kind::Conversation { .. } = Kind::of(&record.key) {
            self.index_conversation(record).await?;
            self.push_conversation(record).await;
            self.status_change(record).await?;
            return Ok(counted);
        }
        let Kind::Message { .. } = Kind::of(&record.key) else {
            return Ok(counted);
        };
        // Only newly stored messages notify anyone; changed ones (hidden, erased) and
        // removed ones change what search finds.
        let (None, Some(new)) = (&record.old, &record.new) else {
            self.index_message(record, None).await?;
            return Ok(counted);
        };
        let message: Message = from_item(new.clone())?;
        let Some(item) = self
            .table
            .get(&conversation_key(&message.conversation_id), true)
            .await?
        else {
            return Ok(counted);
        };
        let conversation: Conversation = from_item(item)?;
        let counted = Self::count_message(&record.id, &message, &conversation);
        self.index_message(record, Some(&conversation)).await?;
        self.push_message(&conversation, &message).await;
        let events = webhooks::message_events(&message, &conversation);
        self.deliver_webhooks(
            &events,
            &message.id,
            message.created_at,
            &conversation,
            Some(&message),
        )
        .await?;
        let mut outcome = Ok(());
        for notice in notices_for(&message, &conversation) {
            for recipient in self.recipients(&notice, &conversation).await? {
                // Keep going for the others; the record fails if anyone's send failed.
                if let Err(error) = self
                    .notify(&notice, &recipient, &conversation, &message)
                    .await
                {
                    outcome = Err(error);
                }
            }
        }
        outcome.map(|()| counted)
    }

    /// A support conversation's status changed: the integrations hear of it. Only the
    /// images' `status` is compared; the conversation itself is read, as stored now.
    async fn status_change(&self, record: &StreamRecord) -> Result<(), NotifyError> {
        let status = |image: &Option<store::table::Item>| {
            image
                .as_ref()
                .and_then(|i| i.get("status"))
                .and_then(|v| v.as_s())
                .map(String::from)
        };
        let (before, after) = (status(&record.old), status(&record.new));
        if before.is_none() || before == after {
            return Ok(());
        }
        let Some(item) = self.table.get(&record.key, true).await? else {
            return Ok(());
        };
        let conversation: Conversation = from_item(item)?;
        if conversation.kind != domain::ConversationType::Support {
            return Ok(());
        }
        let version = record
            .new
            .as_ref()
            .and_then(|i| i.get("version"))
            .and_then(|v| v.as_i64())
            .unwrap_or_default();
        let key = format!("{}.v{version}", conversation.id);
        let at = self.clock.now();
        let events: &[WebhookEvent] = if after.as_deref() == Some(Status::Merged.as_str()) {
            &[
                WebhookEvent::StatusChanged,
                WebhookEvent::ConversationMerged,
            ]
        } else {
            &[WebhookEvent::StatusChanged]
        };
        self.deliver_webhooks(events, &key, at, &conversation, None)
            .await?;
        if after.as_deref() == Some(Status::Resolved.as_str()) {
            self.invite_to_survey(&conversation).await?;
        }
        Ok(())
    }

    async fn recipients(
        &self,
        notice: &Notice,
        conversation: &Conversation,
    ) -> Result<Vec<Recipient>, NotifyError> {
        Ok(match &notice.audience {
            Audience::Person { id, admin } => {
                let mut contact = conversation.contacts.get(id).cloned().unwrap_or_default();
                if contact.email.is_none() && contact.phone.is_none() {
                    contact = self.directory_contact(id).await?.unwrap_or(contact);
                }
                vec![Recipient {
                    id: id.clone(),
                    admin: *admin,
                    contact,
                }]
            }
            Audience::Team(team) => self.directory(&team_partition(*team)).await?,
            Audience::Role(role) => self.directory(&role_partition(*role)).await?,
        })
    }

    /// The admins listed in a team's or a role's directory partition.
    async fn directory(&self, partition: &str) -> Result<Vec<Recipient>, NotifyError> {
        let (items, _) = store::page(
            self.table.as_ref(),
            Query::partition(store::table::Index::Table, partition),
            100,
        )
        .await
        .map_err(|e| anyhow::anyhow!("reading directory {partition}: {e}"))?;
        let members = items
            .into_iter()
            .map(|item| {
                let member: Member = from_item(item)?;
                Ok(Recipient {
                    id: member.id,
                    admin: true,
                    contact: member.contact,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(members)
    }

    async fn directory_contact(&self, user: &str) -> Result<Option<Contact>, NotifyError> {
        let key = profile_key(user);
        match self.table.get(&key, false).await? {
            Some(item) => Ok(Some(from_item::<Member>(item)?.contact)),
            None => Ok(None),
        }
    }

    async fn notify(
        &self,
        notice: &Notice,
        to: &Recipient,
        conversation: &Conversation,
        message: &Message,
    ) -> Result<(), NotifyError> {
        let now = self.clock.now();
        let notification = Notification {
            id: message.id.clone(),
            conversation_id: conversation.id.clone(),
            kind: notice.kind,
            title: conversation.subject.clone(),
            preview: render::preview(&message.preview_text()),
            created_at: message.created_at,
            read: false,
        };
        match self
            .table
            .write(vec![inbox::create(&to.id, &notification)?])
            .await
        {
            Ok(()) => self.push_notification(&to.id, &notification).await,
            // Created by an earlier try of this record: pushed then.
            Err(TableError::ConditionFailed { .. }) => {}
            Err(other) => return Err(other.into()),
        }

        let preferences: Preferences = match self.table.get(&preferences_key(&to.id), false).await?
        {
            Some(item) => from_item(item)?,
            None => Preferences::default(),
        };
        let suppressed = match &to.contact.email {
            Some(email) => self
                .table
                .get(&suppression_key(email), false)
                .await?
                .is_some(),
            None => false,
        };
        let chosen = channels(notice, to.admin, &preferences, &to.contact, suppressed, now);
        let links = Links {
            site: self.config.site_url.clone(),
            // Users may turn these off; admins' alerts are part of their work.
            unsubscribe: (!to.admin).then(|| self.config.unsubscribe_url.clone()),
        };
        let mut outcome = Ok(());
        if let Some(address) = chosen.email {
            let sent = if preferences.digest {
                let entry = DigestEntry {
                    conversation_id: conversation.id.clone(),
                    title: conversation.subject.clone(),
                    preview: render::preview(&message.preview_text()),
                    admin: to.admin,
                    email: address,
                };
                self.collect_for_digest(&to.id, &message.id, entry, digest_due(&preferences, now))
                    .await
            } else {
                let reply_to = self.reply_address(to, conversation, &address, now).await?;
                let email = render::email(
                    &address,
                    notice.kind,
                    conversation,
                    message,
                    to.admin,
                    &links,
                    reply_to,
                );
                let marker = format!("{}#{}#email", message.id, to.id);
                match email_delay(notice.kind, &preferences, self.config.email_delay) {
                    Some(delay) => {
                        let waiting = WaitingEmail {
                            marker,
                            email,
                            recipient: to.id.clone(),
                            conversation_id: conversation.id.clone(),
                            reader: reader_of(to, conversation),
                            message_id: message.id.clone(),
                        };
                        self.wait(now + delay, &waiting).await
                    }
                    None => self.once(&marker, || self.mailer.send(&email)).await,
                }
            };
            if let Err(e) = sent {
                outcome = Err(e);
            }
        }
        if let Some((phone, timing)) = chosen.sms {
            let sms = render::sms(
                &phone,
                notice.kind,
                conversation,
                to.admin,
                &links,
                notice.urgent,
            );
            let marker = format!("{}#{}#sms", message.id, to.id);
            let sent = match timing {
                SmsTiming::Now => self.once(&marker, || self.send_sms(&sms)).await,
                SmsTiming::HeldUntil(until) => self.hold(&marker, until, sms).await,
            };
            if let Err(e) = sent {
                outcome = Err(e);
            }
        }
        outcome
    }

    /// A reply address for this recipient and conversation, stored until it expires;
    /// none where replies by email are not received.
    async fn reply_address(
        &self,
        to: &Recipient,
        conversation: &Conversation,
        address: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, NotifyError> {
        let Some(domain) = &self.config.reply_domain else {
            return Ok(None);
        };
        let reply = ReplyAddress::new(&to.id, &conversation.id, address, to.admin, now);
        self.table
            .write(vec![store::reply_address_write(&reply)?])
            .await?;
        Ok(Some(reply.at(domain)))
    }

    /// Sends at most once per marker: claim, send, mark sent.
    pub(super) async fn once<F, Fut>(&self, marker: &str, send: F) -> Result<(), NotifyError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<(), SendError>>,
    {
        let key = sent_marker_key(marker);
        let now = self.clock.now();
        let marker_item = |state| Marker {
            state,
            claimed_at: now,
            expires_at: (now + Duration::days(MARKER_DAYS)).timestamp(),
        };
        let claim = record_write(
            &key,
            &marker_item(MarkerState::Sending),
            Some(Condition::NotExists),
        )?;
        match self.table.write(vec![claim]).await {
            Ok(()) => {}
            Err(TableError::ConditionFailed { .. }) => {
                let existing: Marker = match self.table.get(&key, true).await? {
                    Some(item) => from_item(item)?,
                    None => return Err(NotifyError::Claimed),
                };
                match existing.state {
                    MarkerState::Sent | MarkerState::Rejected => return Ok(()),
                    MarkerState::Sending
                        if now - existing.claimed_at < Duration::seconds(CLAIM_LEASE_SECONDS) =>
                    {
                        return Err(NotifyError::Claimed);
                    }
                    // The claimant died mid-send: take over (at worst one duplicate).
                    MarkerState::Sending => {
                        // The claim time exactly as stored (the same serializer wrote it).
                        let stored = serde_json::to_value(existing.claimed_at)
                            .map_err(anyhow::Error::from)?;
                        let claimed = store::table::Value::s(stored.as_str().unwrap_or_default());
                        let condition = Condition::Equals("claimed_at".into(), claimed);
                        let take_over = record_write(
                            &key,
                            &marker_item(MarkerState::Sending),
                            Some(condition),
                        )?;
                        if self.table.write(vec![take_over]).await.is_err() {
                            return Err(NotifyError::Claimed);
                        }
                    }
                }
            }
            Err(other) => return Err(other.into()),
        }
        match send().await {
            Ok(()) => {
                self.table
                    .write(vec![record_write(
                        &key,
                        &marker_item(MarkerState::Sent),
                        None,
                    )?])
                    .await?;
                Ok(())
            }
            Err(SendError::Rejected(reason)) => {
                tracing::warn!(
                    reason = redact(&reason),
                    "provider refused the notification; not retried"
                );
                self.table
                    .write(vec![record_write(
                        &key,
                        &marker_item(MarkerState::Rejected),
                        None,
                    )?])
                    .await?;
                Ok(())
            }
            Err(SendError::Unavailable(error)) => {
                // Release the claim so the retry sends it.
                self.table
                    .write(vec![WriteOp::Delete {
                        key,
                        condition: None,
                    }])
                    .await?;
                Err(NotifyError::Unavailable(error))
            }
        }
    }

    /// Sends an SMS if today's count is below the cap; past it, the SMS is refused for
    /// good (and logged), so a runaway loop cannot run up the bill.
    async fn send_sms(&self, message: &TextMessage) -> Result<(), SendError> {
        let today = self.clock.now().date_naive();
        let counter = WriteOp::Update {
            key: sms_sent_key(today),
            changes: vec![
                store::table::Change::Add("count".into(), 1),
                store::table::Change::Set(
                    "expires_at".into(),
                    store::table::Value::n(
                        (self.clock.now() + Duration::days(MARKER_DAYS)).timestamp(),
                    ),
                ),
            ],
            condition: Some(Condition::AbsentOrBelow(
                "count".into(),
                i64::from(self.config.sms_daily_cap),
            )),
        };
        match self.table.write(vec![counter]).await {
            Ok(()) => self.sms.send(message).await,
            Err(TableError::ConditionFailed { .. }) => {
                tracing::error!(
                    cap = self.config.sms_daily_cap,
                    "daily SMS cap reached; SMS not sent"
                );
                Err(SendError::Rejected("the daily SMS cap is reached".into()))
            }
            Err(other) => Err(SendError::Unavailable(other.into())),
        }
    }

    async fn hold(
        &self,
        marker: &str,
        until: DateTime<Utc>,
        message: TextMessage,
    ) -> Result<(), NotifyError> {
        let key = held_sms_key(until, marker);
        let held = HeldSms {
            marker: marker.to_string(),
            message,
        };
        match self
            .table
            .write(vec![record_write(&key, &held, Some(Condition::NotExists))?])
            .await
        {
            Ok(()) | Err(TableError::ConditionFailed { .. }) => Ok(()),
            Err(other) => Err(other.into()),
        }
    }

    /// Keeps a message's email until `due` (once per marker, however often the record
    /// is processed).
    async fn wait(&self, due: DateTime<Utc>, waiting: &WaitingEmail) -> Result<(), NotifyError> {
        let key = email_due_key(due, &waiting.marker);
        match self
            .table
            .write(vec![record_write(
                &key,
                waiting,
                Some(Condition::NotExists),
            )?])
            .await
        {
            Ok(()) | Err(TableError::ConditionFailed { .. }) => Ok(()),
            Err(other) => Err(other.into()),
        }
    }

    /// Sends the waiting message emails due by `now` whose message is still unread (in
    /// the conversation and as a notification), each once; the read ones are dropped.
    /// Run on notify's schedule and by `POST /local/deliver-due`. Returns how many were
    /// sent and how many reading made unnecessary.
    pub async fn send_due_emails(&self, now: DateTime<Utc>) -> Result<DueEmails, NotifyError> {
        let query = Query::partition(store::table::Index::Table, EMAILS_DUE)
            .sort(SortKey::Le(format!("{}~", store::sortable_time(now))));
        let (items, _) = store::page(self.table.as_ref(), query, 100)
            .await
            .map_err(|e| anyhow::anyhow!("reading emails due: {e}"))?;
        let mut done = DueEmails::default();
        for item in items {
            let key = Key::of(&item)?;
            let waiting: WaitingEmail = from_item(item)?;
            if self.was_read(&waiting).await? {
                done.read += 1;
            } else {
                self.once(&waiting.marker, || self.mailer.send(&waiting.email))
                    .await?;
                done.sent += 1;
            }
            self.table
                .write(vec![WriteOp::Delete {
                    key,
                    condition: None,
                }])
                .await?;
        }
        Ok(done)
    }

    /// Whether the recipient read the message: their read mark in the conversation is at
    /// it or past it, or they marked its notification read.
    async fn was_read(&self, waiting: &WaitingEmail) -> Result<bool, NotifyError> {
        let notification = notification_key(&waiting.recipient, &waiting.message_id);
        let (conversation, notification) = futures_util::future::join(
            self.table
                .get(&conversation_key(&waiting.conversation_id), false),
            self.table.get(&notification, false),
        )
        .await;
        let read_in_conversation = match conversation? {
            Some(item) => from_item::<Conversation>(item)?
                .read_marks
                .get(&waiting.reader)
                .is_some_and(|mark| mark.message_id >= waiting.message_id),
            None => true,
        };
        let read_as_notification = match notification? {
            Some(item) => from_item::<Notification>(item)?.read,
            None => false,
        };
        Ok(read_in_conversation || read_as_notification)
    }

    /// Keeps a message for the recipient's next digest, and makes sure the digest is due.
    async fn collect_for_digest(
        &self,
        user: &str,
        message_id: &str,
        entry: DigestEntry,
        due: DateTime<Utc>,
    ) -> Result<(), NotifyError> {
        let entry = record_write(&digest_entry_key(user, message_id), &entry, None)?;
        let schedule = record_write(
            &digest_due_key(due, user),
            &DigestDue {
                user: user.to_string(),
            },
            None,
        )?;
        self.table.write(vec![entry, schedule]).await?;
        Ok(())
    }

    /// Sends every digest due by `now`: one email per person with what they collected
    /// (run on a schedule). Returns how many were sent.
    pub async fn send_digests(&self, now: DateTime<Utc>) -> Result<usize, NotifyError> {
        let query = Query::partition(store::table::Index::Table, DIGESTS_DUE)
            .sort(SortKey::Le(format!("{}~", store::sortable_time(now))));
        let (due, _) = store::page(self.table.as_ref(), query, 100)
            .await
            .map_err(|e| anyhow::anyhow!("reading due digests: {e}"))?;
        let mut sent = 0;
        for item in due {
            let due_key = Key::of(&item)?;
            let DigestDue { user } = from_item(item)?;
            let partition = digest_partition(&user);
            let query = Query::partition(store::table::Index::Table, &partition).descending(true);
            let (items, _) = store::page(self.table.as_ref(), query, 100)
                .await
                .map_err(|e| anyhow::anyhow!("reading digest: {e}"))?;
            let mut keys = Vec::new();
            let mut entries = Vec::new();
            for item in items {
                keys.push(Key::of(&item)?);
                entries.push(from_item::<DigestEntry>(item)?);
            }
            if let Some(first) = entries.first() {
                let links = Links {
                    site: self.config.site_url.clone(),
                    unsubscribe: (!first.admin).then(|| self.config.unsubscribe_url.clone()),
                };
                let email = render::digest(&first.email, &entries, &links);
                self.once(&format!("digest#{}", due_key.sk), || {
                    self.mailer.send(&email)
                })
                .await?;
                sent += 1;
            }
            for key in keys.into_iter().chain([due_key]) {
                self.table
                    .write(vec![WriteOp::Delete {
                        key,
                        condition: None,
                    }])
                    .await?;
            }
        }
        Ok(sent)
    }

    /// Sends the SMS whose quiet hours have ended by `now` (run on a schedule).
    pub async fn release_held(&self, now: DateTime<Utc>) -> Result<usize, NotifyError> {
        let query = Query::partition(store::table::Index::Table, HELD_SMS)
            .sort(SortKey::Le(format!("{}~", store::sortable_time(now))));
        let (items, _) = store::page(self.table.as_ref(), query, 100)
            .await
            .map_err(|e| anyhow::anyhow!("reading held sms: {e}"))?;
        let mut released = 0;
        for item in items {
            let key = Key::of(&item)?;
            let held: HeldSms = from_item(item)?;
            self.once(&held.marker, || self.sms.send(&held.message))
                .await?;
            self.table
                .write(vec![WriteOp::Delete {
                    key,
                    condition: None,
                }])
                .await?;
            released += 1;
        }
        Ok(released)
    }
}
