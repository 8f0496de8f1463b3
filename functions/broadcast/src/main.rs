//! Lambda entry point of `broadcast`: build everything once per cold start.

use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    common::http::init_lambda_tracing();
    let app = common::App::from_lambda_env().await?;
    common::http::run_events_on_lambda("broadcast", &app, |event| broadcast::handle(&app, event))
        .await
}
