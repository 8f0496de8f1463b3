//! `notify`: the one function that sends notifications. It takes three kinds of event:
//! the table's DynamoDB stream (new messages: in-app, email, SMS), an EventBridge
//! schedule (SMS held for quiet hours, daily email digests, webhook retries), and SES bounce and complaint notices through SNS
//! (suppress the address).

use aws_lambda_events::sns::SnsEvent;
use common::lambda::{Schedule, scheduled_at};
use common::notifications::Notifier;
use common::notifications::suppression::{
    addresses_to_suppress, broadcast_bounces, count_bounce, suppress,
};
use common::store::table::{TableError, stream};
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
            let records = stream::records(serde_json::from_value(payload)?)?;
            let failed = notifier.process(&records).await;
            Ok(serde_json::to_value(stream::batch_response(failed))?)
        }
        "aws:sns" => {
            let event: SnsEvent = serde_json::from_value(payload)?;
            let now = notifier.clock.now();
            let mut suppressed = 0;
            let mut bounced = 0;
            for record in &event.records {
                for (email, reason) in addresses_to_suppress(&record.sns.message) {
                    notifier
                        .table
                        .write(vec![suppress(&email, &reason, now)?])
                        .await?;
                    suppressed += 1;
                }
                for (broadcast, email) in broadcast_bounces(&record.sns.message) {
                    match notifier
                        .table
                        .write(count_bounce(&broadcast, &email)?)
                        .await
                    {
                        Ok(()) => bounced += 1,
                        // Counted when SES told of it before.
                        Err(TableError::ConditionFailed { .. }) => {}
                        Err(other) => return Err(other.into()),
                    }
                }
            }
            Ok(json!({ "suppressed": suppressed, "broadcast_bounces": bounced }))
        }
        "aws.events" => {
            let schedule: Schedule = serde_json::from_value(payload)?;
            let now = scheduled_at(&schedule, notifier.clock.as_ref());
            let released = notifier.release_held(now).await?;
            let digests = notifier.send_digests(now).await?;
            let emails = notifier.send_due_emails(now).await?;
            let webhooks = notifier.retry_webhooks(now).await?;
            Ok(json!({
                "released": released,
                "digests": digests,
                "emails": emails,
                "webhooks_retried": webhooks,
            }))
        }
        other => Err(format!("notify does not handle events from {other:?}").into()),
    }
}
