//! Lambda entry point of `notify`: clients and configuration once per cold start.

use std::sync::Arc;

use common::clock::SystemClock;
use common::delivery::poster::HttpPoster;
use common::delivery::ses::SesMailer;
use common::delivery::sns::SnsSms;
use common::metering::{Meter, MeteredMailer, MeteredSms};
use common::notify::{Notifier, NotifyConfig};
use common::table::dynamo::DynamoTable;
use lambda_runtime::{Error, service_fn};

fn env(name: &str) -> Result<String, Error> {
    std::env::var(name).map_err(|_| format!("{name} is not set").into())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    common::http::init_lambda_tracing();
    let aws = aws_config::load_from_env().await;
    let table = DynamoTable::new(aws_sdk_dynamodb::Client::new(&aws), env("TABLE_NAME")?);
    let mailer = SesMailer::new(
        aws_sdk_sesv2::Client::new(&aws),
        env("SES_FROM")?,
        std::env::var("SES_CONFIGURATION_SET").ok(),
    );
    let sms = SnsSms::new(
        aws_sdk_sns::Client::new(&aws),
        env("SMS_MAX_PRICE_USD")?,
        env("SMS_SENDER_ID")?,
    );
    let config = NotifyConfig {
        site_url: env("SITE_URL")?,
        unsubscribe_url: env("UNSUBSCRIBE_URL")?,
        sms_daily_cap: env("SMS_DAILY_CAP")?.parse()?,
    };
    let meter = Meter::for_lambda("notify");
    let notifier = Notifier {
        table: Arc::new(table),
        mailer: Arc::new(MeteredMailer {
            inner: Arc::new(mailer),
            meter: meter.clone(),
        }),
        sms: Arc::new(MeteredSms {
            inner: Arc::new(sms),
            meter: meter.clone(),
        }),
        webhooks: Arc::new(HttpPoster::new()),
        clock: Arc::new(SystemClock),
        config,
    };
    lambda_runtime::run(service_fn(|event| {
        let (notifier, meter) = (&notifier, &meter);
        async move {
            let work = notify::handle(notifier, event);
            meter
                .invocation(
                    notifier.table.as_ref(),
                    notifier.clock.as_ref(),
                    false,
                    work,
                )
                .await
        }
    }))
    .await
}
