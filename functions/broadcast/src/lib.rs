//! `broadcast`: the fan-out of broadcasts, driven by the table's DynamoDB stream. A
//! queued or sending broadcast's item takes one step (the next recipients get their
//! conversation) and records its progress, which is itself a change on the stream and
//! so triggers the next step, until the segment is exhausted or an admin cancels. New
//! conversations register their starter in the segments broadcasts reach.

use common::App;
use common::table::stream;
use lambda_runtime::{Error, LambdaEvent};
use serde_json::Value;

/// Answers with the records that failed, so only those are retried.
pub async fn handle(app: &App, event: LambdaEvent<Value>) -> Result<Value, Error> {
    let source = event.payload["Records"][0]["eventSource"].clone();
    if source != "aws:dynamodb" {
        return Err(format!("broadcast handles the table's stream, not {source}").into());
    }
    let records = stream::records(serde_json::from_value(event.payload)?)?;
    let failed = app.broadcast_stream(&records).await;
    Ok(serde_json::to_value(stream::batch_response(failed))?)
}
