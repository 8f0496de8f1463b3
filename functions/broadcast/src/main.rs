//! Lambda entry point of `broadcast`: build everything once per cold start.

use lambda_runtime::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    common::http::init_lambda_tracing();
    let app = common::App::from_lambda_env().await?;
    lambda_runtime::run(service_fn(|event| broadcast::handle(&app, event))).await
}
