//! Webhook deliveries from the stream: support conversations created, messages
//! created (not internal notes), status changes and SLA breaches go to every endpoint
//! that subscribed, signed with its secret. Each delivery is logged once (a conditional
//! create, so a redelivered stream record sends nothing twice); a failed one is tried
//! again on the schedule with backoff, then left in the log as failed. Buyer–seller
//! conversations are private and never leave.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Notifier, NotifyError};
use domain::conversation::{ADMIN_SIDE, ConversationView};
use domain::sla::SlaAction;
use domain::webhook::{Delivery, DeliveryState, Webhook};
use domain::webhook::{WebhookEvent, retry_after, signature};
use domain::{Conversation, ConversationType, Message};
use store::keys::{
    WEBHOOK_RETRIES, WEBHOOKS, deliveries_partition, delivery_key, webhook_key, webhook_retry_key,
};
use store::table::{Condition, Index, Key, Query, SortKey, TableError, WriteOp, from_item};
use store::{self, record_write, sortable_time};

/// Delivery log entries are kept this long (DynamoDB TTL).
const LOG_DAYS: i64 = 30;

/// Points at a delivery to try again.
#[derive(Serialize, Deserialize)]
struct Retry {
    webhook: String,
    delivery_sk: String,
}

/// The events a stored message gives rise to.
pub(super) fn message_events(message: &Message, conversation: &Conversation) -> Vec<WebhookEvent> {
    // Integrations track inquiries: not direct threads, nor each copy of a broadcast.
    if conversation.kind != ConversationType::Support || message.broadcast_id.is_some() {
        return Vec::new();
    }
    let mut events = Vec::new();
    let first = message.created_at == conversation.created_at
        && message.sender_id == conversation.created_by;
    if first {
        events.push(WebhookEvent::ConversationCreated);
    }
    if !message.internal {
        events.push(WebhookEvent::MessageCreated);
    }
    if message.sla_alert == Some(SlaAction::Breach) {
        events.push(WebhookEvent::SlaBreached);
    }
    events
}

impl Notifier {
    /// Delivers `events` about `conversation` (and `message`) to every subscriber, with
    /// one read of the endpoints. `key` identifies what happened (the same for a
    /// redelivered stream record).
    pub(super) async fn deliver_webhooks(
        &self,
        events: &[WebhookEvent],
        key: &str,
        at: DateTime<Utc>,
        conversation: &Conversation,
        message: Option<&Message>,
    ) -> Result<(), NotifyError> {
        if events.is_empty() {
            return Ok(());
        }
        let (items, _) = store::page(
            self.table.as_ref(),
            Query::partition(Index::Table, WEBHOOKS),
            100,
        )
        .await
        .map_err(|e| anyhow::anyhow!("reading webhooks: {e}"))?;
        let webhooks = items
            .into_iter()
            .map(from_item::<Webhook>)
            .collect::<Result<Vec<_>, _>>()?;
        // Paired up front with plain loops: an iterator of closures held across the awaits
        // below would make this future not Send.
        let mut deliveries = Vec::new();
        for webhook in &webhooks {
            for event in events {
                if webhook.events.contains(event) {
                    deliveries.push((webhook, *event));
                }
            }
        }
        for (webhook, event) in deliveries {
            let delivery_id = format!("{key}.{}", event.as_str());
            let payload = serde_json::json!({
                "id": delivery_id,
                "type": event.as_str(),
                "created_at": at,
                "data": {
                    "conversation": ConversationView::new(conversation, ADMIN_SIDE, at),
                    "message": message,
                },
            })
            .to_string();
            let delivery = Delivery {
                id: delivery_id.clone(),
                event,
                state: DeliveryState::Retrying,
                attempts: 0,
                last_result: "not yet sent".into(),
                created_at: at,
                next_attempt_at: Some(at),
                payload,
                expires_at: (at + chrono::Duration::days(LOG_DAYS)).timestamp(),
            };
            // Keyed by what it is about (ids are time-ordered ULIDs), so a redelivered
            // record finds its entry.
            let log_key = delivery_key(&webhook.id, &delivery_id);
            match self
                .table
                .write(vec![record_write(
                    &log_key,
                    &delivery,
                    Some(Condition::NotExists),
                )?])
                .await
            {
                Ok(()) => self.attempt(webhook, log_key, delivery).await?,
                Err(TableError::ConditionFailed { .. }) => {}
                Err(other) => return Err(other.into()),
            }
        }
        Ok(())
    }

    /// Posts a delivery and records the outcome; a failure schedules the next attempt.
    async fn attempt(
        &self,
        webhook: &Webhook,
        log_key: Key,
        mut delivery: Delivery,
    ) -> Result<(), NotifyError> {
        let now = self.clock.now();
        let headers = [
            ("x-saypro-event", delivery.event.as_str().to_string()),
            ("x-saypro-delivery", delivery.id.clone()),
            (
                "x-saypro-signature",
                signature(&webhook.secret, now.timestamp(), &delivery.payload),
            ),
        ];
        let result = self
            .webhooks
            .post(&webhook.url, &headers, &delivery.payload)
            .await;
        delivery.attempts += 1;
        let mut writes = Vec::new();
        match result {
            Ok(status) if (200..300).contains(&status) => {
                delivery.state = DeliveryState::Delivered;
                delivery.last_result = format!("HTTP {status}");
                delivery.next_attempt_at = None;
            }
            failed => {
                delivery.last_result = match failed {
                    Ok(status) => format!("HTTP {status}"),
                    Err(error) => error.to_string(),
                };
                match retry_after(delivery.attempts) {
                    Some(wait) => {
                        let due = now + wait;
                        delivery.state = DeliveryState::Retrying;
                        delivery.next_attempt_at = Some(due);
                        let retry = Retry {
                            webhook: webhook.id.clone(),
                            delivery_sk: log_key.sk.clone(),
                        };
                        let retry_key = webhook_retry_key(due, &webhook.id, &delivery.id);
                        writes.push(record_write(&retry_key, &retry, None)?);
                    }
                    None => {
                        delivery.state = DeliveryState::Failed;
                        delivery.next_attempt_at = None;
                        tracing::warn!(
                            webhook = webhook.id,
                            delivery = delivery.id,
                            "webhook delivery given up"
                        );
                    }
                }
            }
        }
        writes.push(record_write(&log_key, &delivery, None)?);
        self.table.write(writes).await?;
        Ok(())
    }

    /// Tries again the deliveries due by `now` (run on the schedule). Returns how many.
    pub async fn retry_webhooks(&self, now: DateTime<Utc>) -> Result<usize, NotifyError> {
        let query = Query::partition(Index::Table, WEBHOOK_RETRIES)
            .sort(SortKey::Le(format!("{}~", sortable_time(now))));
        let (items, _) = store::page(self.table.as_ref(), query, 100)
            .await
            .map_err(|e| anyhow::anyhow!("reading webhook retries: {e}"))?;
        let mut tried = 0;
        for item in items {
            let retry_key = Key::of(&item)?;
            let retry: Retry = from_item(item)?;
            let log_key = Key::new(deliveries_partition(&retry.webhook), &retry.delivery_sk);
            let webhook = self.table.get(&webhook_key(&retry.webhook), true).await?;
            let delivery = self.table.get(&log_key, true).await?;
            // Claim the retry first, so an overlapping run does not post it twice.
            let claim = WriteOp::Delete {
                key: retry_key,
                condition: Some(Condition::Exists),
            };
            match self.table.write(vec![claim]).await {
                Ok(()) => {}
                Err(TableError::ConditionFailed { .. }) => continue,
                Err(other) => return Err(other.into()),
            }
            // A deleted endpoint, or an expired log entry: nothing to send.
            if let (Some(webhook), Some(delivery)) = (webhook, delivery) {
                self.attempt(&from_item(webhook)?, log_key, from_item(delivery)?)
                    .await?;
                tried += 1;
            }
        }
        Ok(tried)
    }
}
