//! Lambda entry point of `notify`: clients and configuration once per cold start.

use std::sync::Arc;

use common::clock::SystemClock;
use common::delivery::poster::HttpPoster;
use common::delivery::ses::SesMailer;
use common::delivery::sns::SnsSms;
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
    let notifier = Notifier {
        table: Arc::new(table),
        mailer: Arc::new(mailer),
        sms: Arc::new(sms),
        webhooks: Arc::new(HttpPoster::new()),
        clock: Arc::new(SystemClock),
        config,
    };
    lambda_runtime::run(service_fn(|event| notify::handle(&notifier, event))).await
}
