//! A DynamoDB stream event as Lambda delivers it, turned into [`StreamRecord`]s, and the
//! answer that retries only the records that failed: shared by every stream consumer.

use aws_lambda_events::dynamodb::Event;
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};

use super::{Item, Key, StreamRecord, from_dynamodb_json};

/// The records of a stream event, in order.
pub fn records(event: Event) -> anyhow::Result<Vec<StreamRecord>> {
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
fn image(image: &impl serde::Serialize) -> anyhow::Result<Option<Item>> {
    let json = serde_json::to_value(image)?;
    if json.as_object().is_none_or(|o| o.is_empty()) {
        return Ok(None);
    }
    Ok(Some(from_dynamodb_json(&json)?))
}

/// The batch response naming the records to retry (`ReportBatchItemFailures`).
pub fn batch_response(failed: Vec<String>) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    for id in failed {
        let mut failure = DynamoDbBatchItemFailure::default();
        failure.item_identifier = Some(id);
        response.batch_item_failures.push(failure);
    }
    response
}
