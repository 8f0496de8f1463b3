//! Lambda entry point of `reports`: one function for two kinds of event, the HTTP API's
//! requests and the monthly EventBridge schedule, told apart by the event's `source`.

use std::sync::Arc;

use common::delivery::ses::SesMailer;
use common::metering::{Meter, MeteredMailer};
use lambda_http::request::LambdaRequest;
use lambda_http::{Adapter, Service};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    common::http::init_lambda_tracing();
    let app = common::App::from_lambda_env().await?;
    let aws = aws_config::load_from_env().await;
    let from = std::env::var("SES_FROM").map_err(|_| "SES_FROM is not set")?;
    let meter = Meter::for_lambda("reports");
    let mailer = MeteredMailer {
        inner: Arc::new(SesMailer::new(
            aws_sdk_sesv2::Client::new(&aws),
            from,
            std::env::var("SES_CONFIGURATION_SET").ok(),
        )),
        meter: meter.clone(),
    };
    let http = Adapter::from(reports::router(app.clone()));
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let (app, meter, mailer, mut http) = (&app, &meter, &mailer, http.clone());
        async move {
            let scheduled = event.payload["source"] == "aws.events";
            let work = async {
                if scheduled {
                    return Ok::<_, Error>(reports::scheduled(app, mailer, &event.payload).await?);
                }
                let request: LambdaRequest = serde_json::from_value(event.payload)?;
                let response = http.call(LambdaEvent::new(request, event.context)).await?;
                Ok(serde_json::to_value(response)?)
            };
            meter
                .invocation(app.table.as_ref(), app.clock.as_ref(), !scheduled, work)
                .await
        }
    }))
    .await
}
