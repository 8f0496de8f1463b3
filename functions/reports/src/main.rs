//! Lambda entry point of `reports`: one function for two kinds of event, the HTTP API's
//! requests and the monthly EventBridge schedule, told apart by the event's `source`.

use common::lambda::{self, Error, Schedule};
use common::metering::Meter;
use lambda_http::request::LambdaRequest;
use lambda_http::{Adapter, Service};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda::init_tracing();
    let aws = lambda::aws().await;
    let app = lambda::app(&aws).await?;
    let meter = Meter::for_lambda("reports");
    let mailer = lambda::mailer(&aws, &meter)?;
    let http = Adapter::from(common::http::timed(
        reports::router(app.clone()),
        meter.clone(),
    ));
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let (app, meter, mailer, mut http) = (&app, &meter, &mailer, http.clone());
        async move {
            let scheduled = event.payload["source"] == "aws.events";
            let work = async {
                if scheduled {
                    let schedule: Schedule = serde_json::from_value(event.payload)?;
                    return Ok::<_, Error>(reports::scheduled(app, mailer, &schedule).await?);
                }
                let request: LambdaRequest = serde_json::from_value(event.payload)?;
                let response = http.call(LambdaEvent::new(request, event.context)).await?;
                Ok(serde_json::to_value(response)?)
            };
            let (table, clock) = (app.table.as_ref(), app.clock.as_ref());
            meter
                .judged(table, clock, !scheduled, work, Result::is_err)
                .await
        }
    }))
    .await
}
