//! Lambda entry point of `realtime`: build everything once per cold start.

use common::lambda::{self, Error};
use common::metering::Meter;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda::init_tracing();
    let app = lambda::app(&lambda::aws().await).await?;
    let meter = Meter::for_lambda("realtime");
    lambda::run_events(&meter, app.table.as_ref(), app.clock.as_ref(), |event| {
        realtime::handle(&app, event)
    })
    .await
}
