//! Lambda entry point of `broadcast`: build everything once per cold start.

use lambda_runtime::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    common::http::init_lambda_tracing();
    let app = common::App::from_lambda_env().await?;
    let meter = common::metering::Meter::for_lambda("broadcast");
    lambda_runtime::run(service_fn(|event| {
        let (app, meter) = (&app, &meter);
        async move {
            meter
                .invocation(
                    app.table.as_ref(),
                    app.clock.as_ref(),
                    false,
                    broadcast::handle(app, event),
                )
                .await
        }
    }))
    .await
}
