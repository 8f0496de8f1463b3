//! `broadcast`: the fan-out of broadcasts, driven by the table's DynamoDB stream. A
//! queued or sending broadcast's item takes one step (the next recipients get their
//! conversation) and records its progress, which is itself a change on the stream and
//! so triggers the next step, until the segment is exhausted or an admin cancels. New
//! conversations register their starter in the segments broadcasts reach.

use common::App;
use common::lambda::{Error, StreamEvent, StreamResponse};
use common::store::table::stream;
use lambda_runtime::LambdaEvent;

/// Answers with the records that failed, so only those are retried.
pub async fn handle(app: &App, event: LambdaEvent<StreamEvent>) -> Result<StreamResponse, Error> {
    let records = stream::records(event.payload)?;
    let failed = app.broadcast_stream(&records).await;
    Ok(stream::batch_response(failed))
}
