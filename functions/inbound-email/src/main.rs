//! Lambda entry point of `inbound-email`: clients and configuration once per cold start,
//! then each SES receipt event (`INBOUND_BUCKET`, `INBOUND_PREFIX`, `REPLY_DOMAIN`,
//! `SES_FROM`, `SITE_URL`).

use std::sync::Arc;

use aws_lambda_events::ses::SimpleEmailEvent;
use common::lambda::{self, Error};
use common::metering::Meter;
use inbound_email::{Inbound, RawStore};

fn env(name: &str) -> Result<String, Error> {
    std::env::var(name).map_err(|_| format!("{name} is not set").into())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda::init_tracing();
    let meter = Meter::for_lambda("inbound-email");
    let aws = lambda::aws().await;
    let app = lambda::app(&aws).await?;
    let from = env("SES_FROM")?;
    // `Name <address>` or a bare address.
    let from_address = match from.rsplit_once('<') {
        Some((_, rest)) => rest.trim_end_matches('>').to_string(),
        None => from.clone(),
    };
    let inbound = Inbound {
        mailer: Arc::new(lambda::mailer(&aws, &meter)?),
        reply_domain: env("REPLY_DOMAIN")?,
        site_url: env("SITE_URL")?,
        from_address,
        app,
    };
    let raw = RawStore {
        client: aws_sdk_s3::Client::new(&aws),
        bucket: env("INBOUND_BUCKET")?,
        prefix: std::env::var("INBOUND_PREFIX").unwrap_or_default(),
    };
    let (table, clock) = (inbound.app.table.clone(), inbound.app.clock.clone());
    lambda::run_events(&meter, table.as_ref(), clock.as_ref(), |event| {
        let (inbound, raw) = (&inbound, &raw);
        async move {
            let event: SimpleEmailEvent = event.payload;
            Ok::<_, Error>(inbound_email::handle(inbound, raw, event).await?)
        }
    })
    .await
}
