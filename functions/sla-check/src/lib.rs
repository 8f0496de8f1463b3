//! `sla-check`: run by an EventBridge schedule (every 5 minutes by default). It takes
//! the SLA steps due by the event's own `time` (warn, escalate to seniors, then to
//! managers), so a late or replayed run is deterministic.

use common::App;
use common::lambda::{Error, Schedule, scheduled_at};
use common::messaging::SlaCheckOutcome;
use lambda_runtime::LambdaEvent;

pub async fn handle(app: &App, event: LambdaEvent<Schedule>) -> Result<SlaCheckOutcome, Error> {
    let schedule = event.payload;
    if schedule.source != "aws.events" {
        return Err(format!(
            "sla-check handles EventBridge schedules, not {:?}",
            schedule.source
        )
        .into());
    }
    Ok(app
        .sla_check(scheduled_at(&schedule, app.clock.as_ref()))
        .await?)
}
