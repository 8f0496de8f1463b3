//! Lambda entry point of `notify`: clients and configuration once per cold start.

use common::lambda::{self, Error};
use common::metering::Meter;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda::init_tracing();
    let meter = Meter::for_lambda("notify");
    let notifier = lambda::notifier(&lambda::aws().await, &meter).await?;
    lambda::run_events(
        &meter,
        notifier.table.as_ref(),
        notifier.clock.as_ref(),
        |event| notify::handle(&notifier, event),
    )
    .await
}
