//! Lambda entry point of `reply`: build everything once per cold start, then serve.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    common::http::init_lambda_tracing();
    let app = common::App::from_lambda_env().await?;
    common::http::run_on_lambda("reply", &app, reply::router(app.clone())).await
}
