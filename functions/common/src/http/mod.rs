//! What every HTTP function shares: extractors that turn requests into typed input (and
//! bad input into the contract's 400s), the route table, and the Lambda entry point.

mod extract;
mod routes;

pub use extract::{IdempotencyHeader, JsonBody, Params};
pub use routes::Routes;

use axum::Router;
use serde::Deserialize;

use crate::messaging::Order;

/// Query of a conversation's messages, the same for users and admins.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessagesQuery {
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    #[serde(default)]
    pub order: Order,
}

/// Serves a router on Lambda behind API Gateway (HTTP API, payload v2), metering every
/// request as `function`'s.
pub async fn run_on_lambda(
    function: &str,
    app: &crate::AppState,
    router: Router,
) -> Result<(), lambda_http::Error> {
    let meter = crate::metering::Meter::for_lambda(function);
    let metered = crate::metering::http_layer(router, meter, app.table.clone(), app.clock.clone());
    lambda_http::run(metered).await
}

/// JSON logs on Lambda (CloudWatch parses them), filtered by `RUST_LOG` (default info).
pub fn init_lambda_tracing() {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_current_span(false)
        .without_time() // CloudWatch stamps each line
        .with_target(false)
        .init();
}

/// Runs an event function (stream, schedule) on Lambda, metering each invocation as
/// `function`'s.
pub async fn run_events_on_lambda<F, Fut>(
    function: &str,
    app: &crate::AppState,
    handler: F,
) -> Result<(), lambda_http::Error>
where
    F: Fn(lambda_http::LambdaEvent<serde_json::Value>) -> Fut,
    Fut: std::future::Future<Output = Result<serde_json::Value, lambda_http::Error>>,
{
    let meter = crate::metering::Meter::for_lambda(function);
    let (meter, handler) = (&meter, &handler);
    lambda_http::lambda_runtime::run(lambda_http::service_fn(|event| async move {
        meter
            .invocation(
                app.table.as_ref(),
                app.clock.as_ref(),
                false,
                handler(event),
            )
            .await
    }))
    .await
}
