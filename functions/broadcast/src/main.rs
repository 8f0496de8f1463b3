//! Lambda entry point of `broadcast`: build everything once per cold start.

use common::lambda::{self, Error};
use common::metering::Meter;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda::init_tracing();
    let app = lambda::app(&lambda::aws().await).await?;
    let meter = Meter::for_lambda("broadcast");
    lambda::run_events(&meter, app.table.as_ref(), app.clock.as_ref(), |event| {
        broadcast::handle(&app, event)
    })
    .await
}
