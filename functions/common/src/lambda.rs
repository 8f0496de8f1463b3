//! Wiring from the Lambda environment, once per cold start: every function's `main` is
//! a few lines of these. Configuration is read here and nowhere else; a missing or bad
//! setting fails the start, not a request.
//!
//! The mains run tokio's current-thread runtime: Lambda hands a function one event at a
//! time and, at 128 MB, about a fourteenth of a vCPU, and the work is waiting on AWS,
//! so worker threads would only add their start (and each its own malloc arena) to
//! every cold start.

use std::future::Future;
use std::sync::Arc;

use anyhow::{Context, anyhow};
use aws_config::SdkConfig;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_sdk_dynamodb::config::{HttpClient, RuntimeComponents, SharedHttpClient};
use aws_smithy_http_client::tls::TrustStore;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{HttpConnectorSettings, SharedHttpConnector};
use axum::Router;
use chrono::{DateTime, Utc};
use connections::Connections;
use delivery::poster::HttpPoster;
use delivery::push::ApiGatewayPusher;
use delivery::ses::SesMailer;
use delivery::sns::SnsSms;
use domain::clock::{Clock, SystemClock};
use domain::preferences::DEFAULT_EMAIL_DELAY_MINUTES;
use domain::pricing::PriceTable;
use domain::webhook::Reach;
use lambda_runtime::{LambdaEvent, service_fn};
use messaging::{App, AppState, IdentitySource, Sockets};
use metering::{Meter, MeteredMailer, MeteredPoster, MeteredSms};
use notifications::{Notifier, NotifyConfig};
use objects::s3::S3Objects;
use serde::Serialize;
use serde::de::DeserializeOwned;
use store::table::Table;
use store::table::dynamo::DynamoTable;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

pub use lambda_runtime::Error;

/// An EventBridge schedule's event (sla-check, notify's and the reports' schedules).
pub type Schedule = EventBridgeEvent;
/// A batch of the table's stream (notify, broadcast), and the answer naming the records
/// that failed, so only those are retried.
pub use aws_lambda_events::dynamodb::Event as StreamEvent;
pub use aws_lambda_events::streams::DynamoDbEventResponse as StreamResponse;

/// The one reading of a schedule's "now": the event's own time, so a late or replayed
/// run does exactly what the on-time one would have.
pub fn scheduled_at(event: &Schedule, clock: &dyn Clock) -> DateTime<Utc> {
    event.time.unwrap_or_else(|| clock.now())
}

/// JSON logs on Lambda (CloudWatch parses them), filtered by `RUST_LOG`: a level, or
/// `target=level` pairs (default info). Read as `Targets`, not `EnvFilter`: the same
/// syntax without span-field filters, which would link a regex engine into every
/// function for a feature the stack never sets.
pub fn init_tracing() {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| Targets::new().with_default(tracing::Level::INFO));
    tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE) // what passes is the filter's to say
        .with_current_span(false)
        .without_time() // CloudWatch stamps each line
        .with_target(false)
        .finish()
        .with(filter)
        .init();
}

fn env(name: &str) -> anyhow::Result<String> {
    std::env::var(name).map_err(|_| anyhow!("{name} is not set"))
}

/// A number from the environment, within `range`, or `None` when unset.
fn env_number<T>(name: &str, range: std::ops::RangeInclusive<T>) -> anyhow::Result<Option<T>>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Debug,
{
    let Ok(text) = std::env::var(name) else {
        return Ok(None);
    };
    text.parse()
        .ok()
        .filter(|n| range.contains(n))
        .map(Some)
        .ok_or_else(|| anyhow!("{name} {text:?}: {:?} to {:?}", range.start(), range.end()))
}

/// The AWS configuration every client of a function is built from. Credentials and
/// region are the ones Lambda puts in the environment (the execution role's keys,
/// `AWS_REGION`): the SDK's default chain would also build a web-identity client for
/// STS and read profile files, in every cold start, for settings Lambda never gives.
///
/// Retries: the standard mode, 3 attempts in all (exponential backoff with full jitter
/// from 1 s, a retry quota per client), so a throttled or failing call gives up within
/// about 3 s, inside the functions' 10 s timeout, and the API answers 503 `unavailable`
/// with Retry-After. Not adaptive: its client-side rate limiter suits one long-lived
/// client with a steady workload; here many short-lived Lambda instances each hold
/// their own client, and a limiter learned in one would only delay its next requests
/// while the others carry on.
pub async fn aws() -> SdkConfig {
    use aws_config::environment::{
        EnvironmentVariableCredentialsProvider, EnvironmentVariableRegionProvider,
    };
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .credentials_provider(EnvironmentVariableCredentialsProvider::new())
        .region(EnvironmentVariableRegionProvider::new())
        .http_client(https_client())
        .retry_config(retry_config())
        .load()
        .await
}

/// The AWS configuration of a command an operator runs (`local restore-table`): the
/// SDK's whole chain of credentials and region (environment, profiles, roles), the
/// functions' retries, and HTTPS trusting the system's roots, as the operator's
/// machine (a proxy of their own, say) may need.
pub async fn operator_aws() -> SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(https_client_trusting(TrustStore::default()))
        .retry_config(retry_config())
        .load()
        .await
}

/// The functions' SDK clients' HTTPS: hyper and rustls on ring, trusting only the
/// roots of Amazon Trust Services, which sign every AWS endpoint's certificate. The
/// system's bundle holds some 140 roots, and parsing them was a millisecond of every
/// cold start, for roots an AWS endpoint never presents. Webhooks, to anyone's
/// server, keep the system's roots (`delivery::poster`).
pub fn https_client() -> SharedHttpClient {
    https_client_trusting(
        TrustStore::empty()
            .with_native_roots(false)
            .with_pem_certificate(AMAZON_TRUST_SERVICES),
    )
}

/// Amazon Root CA 1 to 4 and the Starfield Services root that cross-signs them, in PEM.
const AMAZON_TRUST_SERVICES: &str = include_str!("amazon-trust-services.pem");

/// Every SDK configuration in the workspace is given one of these (the SDK's default
/// client is not compiled in). Its connector, and the root store with every root
/// certificate parsed, is made on the first request, once: the SDK's own client also
/// makes one to check each new client's configuration, which parsed the roots once per
/// client in every cold start.
#[allow(
    clippy::expect_used,
    reason = "TlsContextBuilder::build only moves its fields; its Result is for later checks"
)]
fn https_client_trusting(roots: TrustStore) -> SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, TlsContext, rustls_provider::CryptoMode};
    let tls = TlsContext::builder()
        .with_trust_store(roots)
        .build()
        .expect("a TLS context of a trust store builds");
    let client = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .tls_context(tls)
        .build_https();
    SharedHttpClient::new(ConnectOnFirstRequest(client))
}

/// An SDK HTTP client that leaves out the connector its clients' checks would make.
#[derive(Debug)]
struct ConnectOnFirstRequest(SharedHttpClient);

impl HttpClient for ConnectOnFirstRequest {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

/// The SDK clients' retries (see [`aws`]).
pub fn retry_config() -> aws_config::retry::RetryConfig {
    aws_config::retry::RetryConfig::standard().with_max_attempts(3)
}

/// The table named by `TABLE_NAME`, its connection opened now: the TLS handshake is
/// most of a first call's latency.
pub async fn table(aws: &SdkConfig) -> anyhow::Result<Arc<dyn Table>> {
    let table = DynamoTable::new(aws_sdk_dynamodb::Client::new(aws), env("TABLE_NAME")?);
    if let Err(error) = table.warm_up().await {
        tracing::warn!(%error, "warm-up read failed; continuing");
    }
    Ok(Arc::new(table))
}

/// The application of the HTTP and event functions: the table, claims from API
/// Gateway, and the optional settings (`BROADCAST_STEP_SIZE`, `ATTACHMENTS_BUCKET`,
/// `ATTACHMENT_MAX_BYTES`, `PRICE_TABLE`).
pub async fn app(aws: &SdkConfig) -> anyhow::Result<AppState> {
    let mut app = App::new(
        table(aws).await?,
        Arc::new(SystemClock),
        IdentitySource::ApiGateway,
    );
    if let Some(size) = env_number("BROADCAST_STEP_SIZE", 1..=1000)? {
        app.broadcast_step_size = size;
    }
    if let Ok(bucket) = std::env::var("ATTACHMENTS_BUCKET") {
        let config = aws_sdk_s3::Config::from(aws);
        app.objects = Some(Arc::new(S3Objects::new(config, bucket)));
    }
    if let Some(bytes) = env_number("ATTACHMENT_MAX_BYTES", 1..=5 * 1024 * 1024 * 1024)? {
        app.attachment_max_bytes = bytes;
    }
    app.prices = prices()?;
    if let Some((realtime, url)) = realtime(aws, &app.table)? {
        app.sockets = Some(Sockets { realtime, url });
    }
    Ok(Arc::new(app))
}

/// Real-time sockets, where the function is given their API: `REALTIME_URL`, the
/// WebSocket stage's `wss://{api}.execute-api.{region}.amazonaws.com/{stage}`, whose
/// management API (the same address over https) pushes to connections.
fn realtime(
    aws: &SdkConfig,
    table: &Arc<dyn Table>,
) -> anyhow::Result<Option<(Arc<Connections>, String)>> {
    let Ok(url) = std::env::var("REALTIME_URL") else {
        return Ok(None);
    };
    let endpoint = url
        .strip_prefix("wss://")
        .map(|rest| format!("https://{rest}"))
        .ok_or_else(|| anyhow!("REALTIME_URL {url:?} is not a wss:// URL"))?;
    let config = aws_sdk_apigatewaymanagement::config::Builder::from(aws)
        .endpoint_url(endpoint)
        .build();
    let pusher = ApiGatewayPusher::new(config);
    let realtime = Connections {
        table: table.clone(),
        pusher: Arc::new(pusher),
        clock: Arc::new(SystemClock),
    };
    Ok(Some((Arc::new(realtime), url)))
}

/// `PRICE_TABLE` (JSON) if set, else the default prices.
fn prices() -> anyhow::Result<PriceTable> {
    match std::env::var("PRICE_TABLE") {
        Ok(json) if !json.trim().is_empty() => {
            serde_json::from_str(&json).context("PRICE_TABLE is not a valid price table")
        }
        _ => Ok(PriceTable::default()),
    }
}

/// Email through SES from `SES_FROM` (with `SES_CONFIGURATION_SET`), metered.
pub fn mailer(aws: &SdkConfig, meter: &Arc<Meter>) -> anyhow::Result<MeteredMailer> {
    let ses = SesMailer::new(
        aws_sdk_sesv2::Client::new(aws),
        env("SES_FROM")?,
        std::env::var("SES_CONFIGURATION_SET").ok(),
    );
    Ok(MeteredMailer {
        inner: Arc::new(ses),
        meter: meter.clone(),
    })
}

/// The notifier of the stream: SES, SNS (`SMS_MAX_PRICE_USD`, `SMS_SENDER_ID`),
/// webhooks over HTTPS, and its links and SMS cap (`SITE_URL`, `UNSUBSCRIBE_URL`,
/// `SMS_DAILY_CAP`).
pub async fn notifier(aws: &SdkConfig, meter: &Arc<Meter>) -> anyhow::Result<Notifier> {
    let sms = SnsSms::new(
        aws_sdk_sns::Client::new(aws),
        env("SMS_MAX_PRICE_USD")?,
        env("SMS_SENDER_ID")?,
    );
    let config = NotifyConfig {
        site_url: env("SITE_URL")?,
        unsubscribe_url: env("UNSUBSCRIBE_URL")?,
        sms_daily_cap: env("SMS_DAILY_CAP")?
            .parse()
            .context("SMS_DAILY_CAP is not a number")?,
        email_delay: chrono::Duration::minutes(
            env_number("EMAIL_DELAY_MINUTES", 0..=1440)?.unwrap_or(DEFAULT_EMAIL_DELAY_MINUTES),
        ),
        // Set where SES receives replies (the stack's ReceiveReplies).
        reply_domain: std::env::var("REPLY_DOMAIN").ok().filter(|d| !d.is_empty()),
    };
    let table = table(aws).await?;
    Ok(Notifier {
        realtime: realtime(aws, &table)?.map(|(realtime, _)| realtime),
        table,
        mailer: Arc::new(mailer(aws, meter)?),
        sms: Arc::new(MeteredSms {
            inner: Arc::new(sms),
            meter: meter.clone(),
        }),
        webhooks: Arc::new(MeteredPoster {
            inner: Arc::new(HttpPoster::new(Reach::Public)),
            meter: meter.clone(),
        }),
        clock: Arc::new(SystemClock),
        config,
    })
}

/// Serves a router on Lambda behind API Gateway (HTTP API, payload v2), metering every
/// request as `function`'s.
pub async fn serve(function: &str, app: &AppState, router: Router) -> Result<(), Error> {
    let meter = Meter::for_lambda(function);
    let metered = crate::http::metered(router, meter, app.table.clone(), app.clock.clone());
    lambda_http::run(metered).await
}

/// Runs an event function (stream, schedule) on Lambda, metering each invocation as
/// `function`'s.
pub async fn run_events<E, R, F, Fut>(
    meter: &Meter,
    table: &dyn Table,
    clock: &dyn Clock,
    handler: F,
) -> Result<(), Error>
where
    E: DeserializeOwned + Send,
    R: Serialize,
    F: Fn(LambdaEvent<E>) -> Fut,
    Fut: Future<Output = Result<R, Error>>,
{
    let handler = &handler;
    lambda_runtime::run(service_fn(|event: LambdaEvent<E>| async move {
        meter
            .judged(table, clock, false, handler(event), Result::is_err)
            .await
    }))
    .await
}

#[cfg(test)]
mod tests {
    use rustls::RootCertStore;
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;

    /// The SDK parses the roots on the first request and panics on one it cannot: read
    /// them here as it does, each a trust anchor.
    #[test]
    fn the_amazon_roots_are_five_trust_anchors() {
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(super::AMAZON_TRUST_SERVICES.as_bytes()) {
            roots
                .add(cert.expect("a PEM certificate"))
                .expect("a trust anchor");
        }
        assert_eq!(roots.len(), 5);
    }
}
