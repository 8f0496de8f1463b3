//! `notify`: the one function that sends notifications. It takes three kinds of event:
//! the table's DynamoDB stream (new messages: in-app, email, SMS), an EventBridge
//! schedule (SMS held for quiet hours, daily email digests, webhook retries), and SES bounce and complaint notices through SNS
//! (suppress the address).

use aws_lambda_events::dynamodb::Event as StreamEvent;
use aws_lambda_events::sns::SnsEvent;
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use chrono::{DateTime, Utc};
use common::notify::Notifier;
use common::notify::suppression::{addresses_to_suppress, suppress};
use common::table::{Key, StreamRecord, from_dynamodb_json};
use lambda_runtime::{Error, LambdaEvent};
use serde_json::{Value, json};

/// Dispatches on the event's source; stream batches answer with their failed records, so
/// only those are retried.
pub async fn handle(notifier: &Notifier, event: LambdaEvent<Value>) -> Result<Value, Error> {
    let payload = event.payload;
    let source = payload["Records"][0]["eventSource"]
        .as_str()
        .or_else(|| payload["Records"][0]["EventSource"].as_str())
        .or_else(|| payload["source"].as_str())
        .unwrap_or_default()
        .to_string();
    match source.as_str() {
        "aws:dynamodb" => {
            let event: StreamEvent = serde_json::from_value(payload)?;
            let records = stream_records(&event)?;
            let failed = notifier.process(&records).await;
            let mut response = DynamoDbEventResponse::default();
            for id in failed {
                let mut failure = DynamoDbBatchItemFailure::default();
                failure.item_identifier = Some(id);
                response.batch_item_failures.push(failure);
            }
            Ok(serde_json::to_value(response)?)
        }
        "aws:sns" => {
            let event: SnsEvent = serde_json::from_value(payload)?;
            let now = notifier.clock.now();
            let mut suppressed = 0;
            for record in &event.records {
                for (email, reason) in addresses_to_suppress(&record.sns.message) {
                    notifier
                        .table
                        .write(vec![suppress(&email, &reason, now)?])
                        .await?;
                    suppressed += 1;
                }
            }
            Ok(json!({ "suppressed": suppressed }))
        }
        "aws.events" => {
            // The schedule's own time is "now", so a late or replayed run is deterministic.
            let now = payload["time"]
                .as_str()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map_or_else(|| notifier.clock.now(), |t| t.with_timezone(&Utc));
            let released = notifier.release_held(now).await?;
            let digests = notifier.send_digests(now).await?;
            let webhooks = notifier.retry_webhooks(now).await?;
            Ok(json!({ "released": released, "digests": digests, "webhooks_retried": webhooks }))
        }
        other => Err(format!("notify does not handle events from {other:?}").into()),
    }
}

fn stream_records(event: &StreamEvent) -> anyhow::Result<Vec<StreamRecord>> {
    event
        .records
        .iter()
        .map(|record| {
            let change = &record.change;
            let keys = image(&change.keys)?.unwrap_or_default();
            let text = |name: &str| {
                keys.get(name)
                    .and_then(|v| v.as_s())
                    .unwrap_or_default()
                    .to_string()
            };
            Ok(StreamRecord {
                id: change
                    .sequence_number
                    .clone()
                    .unwrap_or_else(|| record.event_id.clone()),
                key: Key::new(text("pk"), text("sk")),
                old: image(&change.old_image)?,
                new: image(&change.new_image)?,
            })
        })
        .collect()
}

/// A stream image (DynamoDB JSON) as an item; an empty image is no item.
fn image(image: &impl serde::Serialize) -> anyhow::Result<Option<common::table::Item>> {
    let json = serde_json::to_value(image)?;
    if json.as_object().is_none_or(|o| o.is_empty()) {
        return Ok(None);
    }
    Ok(Some(from_dynamodb_json(&json)?))
}
