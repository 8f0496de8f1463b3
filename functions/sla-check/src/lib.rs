//! `sla-check`: run by an EventBridge schedule (every 5 minutes by default). It takes
//! the SLA steps due by the event's own `time` (warn, escalate to seniors, then to
//! managers), so a late or replayed run is deterministic.

use chrono::{DateTime, Utc};
use common::App;
use lambda_runtime::{Error, LambdaEvent};
use serde_json::Value;

pub async fn handle(app: &App, event: LambdaEvent<Value>) -> Result<Value, Error> {
    let payload = event.payload;
    if payload["source"] != "aws.events" {
        return Err(format!(
            "sla-check handles EventBridge schedules, not {}",
            payload["source"]
        )
        .into());
    }
    let now = match payload["time"].as_str() {
        Some(time) => DateTime::parse_from_rfc3339(time)
            .map_err(|e| format!("the event's time {time:?} is not RFC 3339: {e}"))?
            .with_timezone(&Utc),
        None => app.clock.now(),
    };
    let outcome = app.sla_check(now).await?;
    Ok(serde_json::to_value(outcome)?)
}
