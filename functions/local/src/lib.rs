//! The dev server: every HTTP function in one process on the embedded store, with dev
//! tokens and demo data, so the whole system runs on one machine with no AWS account.

pub mod bench;
pub mod demo;

use common::metering::{Meter, MeteredMailer, MeteredSms};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use chrono::{DateTime, Utc};
use common::auth::{Claims, jwt};
use common::clock::{Clock, SystemClock};
use common::delivery::outbox::Outbox;
use common::domain::attachment;
use common::http::{JsonBody, Params, Routes};
use common::messaging::SlaCheckOutcome;
use common::notify::{Notifier, NotifyConfig};
use common::objects::Objects;
use common::objects::local::{LocalObjects, Refused, SignedQuery};
use common::table::embedded::{EmbeddedTable, Feed};
use common::table::{StreamRecord, Table};
use common::{ApiError, ApiResult, App, AppState, IdentitySource};
use tokio::sync::mpsc;

/// The secret local tokens are signed with unless `SAYPRO_JWT_SECRET` is set. For local
/// use only: deployed functions never see it (API Gateway verifies Cognito's tokens).
pub const DEFAULT_JWT_SECRET: &str = "saypro-local-dev-secret";

/// Where the dev server answers by default (`local serve --addr`).
pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:3000";

/// Every route of every HTTP function, plus the dev server's own (`/openapi.json`, the
/// outbox of what was "sent", running an SLA check at a given time, and the signed
/// uploads and downloads of attachments S3 serves on AWS).
pub fn routes(outbox: Arc<Outbox>, objects: Arc<LocalObjects>) -> Routes {
    let (uploads, downloads) = (objects.clone(), objects);
    let mailer = outbox.clone();
    // The local cap is the default one; the signature fixes each upload's exact size.
    let upload_limit = DefaultBodyLimit::max(attachment::DEFAULT_MAX_BYTES as usize);
    send::routes()
        .merge(reply::routes())
        .merge(listings::routes())
        .merge(reports::routes())
        .route(axum::http::Method::GET, "/openapi.json", get(openapi))
        .route(
            axum::http::Method::PUT,
            "/local/objects/{key}",
            put(move |state, key, query, headers, body| {
                upload(uploads.clone(), state, key, query, headers, body)
            })
            .layer(upload_limit),
        )
        .route(
            axum::http::Method::GET,
            "/local/objects/{key}",
            get(move |state, key, query| download(downloads.clone(), state, key, query)),
        )
        .route(
            axum::http::Method::GET,
            "/local/outbox",
            get(move || async move { axum::Json(serde_json::json!({ "items": outbox.sent() })) }),
        )
        .route(
            axum::http::Method::POST,
            "/local/sla-check",
            post(run_sla_check),
        )
        .route(
            axum::http::Method::POST,
            "/local/monthly-report",
            post(move |state, body| run_monthly_report(mailer.clone(), state, body)),
        )
}

/// `POST /local/monthly-report {"time"}`: what the schedule on the 1st does on AWS
/// (last month's report to the managers, here into the outbox).
async fn run_monthly_report(
    outbox: Arc<Outbox>,
    State(app): State<AppState>,
    JsonBody(request): JsonBody<ScheduleRequest>,
) -> ApiResult<axum::Json<common::reporting::Delivered>> {
    let now = request.time.unwrap_or_else(|| app.clock.now());
    Ok(axum::Json(
        app.deliver_monthly_report(now, outbox.as_ref()).await?,
    ))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleRequest {
    /// As if the schedule fired at this time; now if absent.
    time: Option<DateTime<Utc>>,
}

/// `POST /local/sla-check {"time"}`: what the EventBridge schedule does on AWS.
async fn run_sla_check(
    State(app): State<AppState>,
    JsonBody(request): JsonBody<ScheduleRequest>,
) -> ApiResult<axum::Json<SlaCheckOutcome>> {
    let now = request.time.unwrap_or_else(|| app.clock.now());
    Ok(axum::Json(app.sla_check(now).await?))
}

/// What S3 does with a presigned PUT: store the body if it is the upload signed.
async fn upload(
    objects: Arc<LocalObjects>,
    State(app): State<AppState>,
    UrlPath(key): UrlPath<String>,
    Params(query): Params<SignedQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    objects
        .accept_upload(&key, &query, &headers, &body, app.clock.now())
        .map_err(refusal)?;
    Ok(StatusCode::OK)
}

/// What S3 does with a presigned GET.
async fn download(
    objects: Arc<LocalObjects>,
    State(app): State<AppState>,
    UrlPath(key): UrlPath<String>,
    Params(query): Params<SignedQuery>,
) -> ApiResult<impl IntoResponse> {
    let served = objects
        .serve_download(&key, &query, app.clock.now())
        .map_err(refusal)?;
    Ok((
        [
            (header::CONTENT_TYPE, served.content_type),
            (header::CONTENT_DISPOSITION, served.disposition),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        served.bytes,
    ))
}

fn refusal(refused: Refused) -> ApiError {
    match refused {
        Refused::Missing => ApiError::not_found("file"),
        Refused::Storage(error) => ApiError::Unexpected(error),
        other => ApiError::forbidden(other.to_string()),
    }
}

async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        common::OPENAPI,
    )
}

/// The whole system on one machine: the API, and notifications delivered to an outbox.
pub struct Local {
    pub app: AppState,
    pub outbox: Arc<Outbox>,
    pub objects: Arc<LocalObjects>,
    pub notifier: Arc<Notifier>,
    /// What this process used, as each Lambda function meters its own.
    pub meter: Arc<Meter>,
}

impl Local {
    /// `data`: the folder where sent email and SMS are also appended as JSON lines
    /// (`outbox.jsonl`) and uploads are kept (`uploads/`); in memory without one.
    /// `base_url`: where the dev server answers, for links in mail and to files.
    pub fn new(
        table: Arc<dyn Table>,
        clock: Arc<dyn Clock>,
        secret: &str,
        data: Option<&Path>,
        base_url: &str,
    ) -> Self {
        let identity = IdentitySource::Hs256 {
            secret: secret.as_bytes().to_vec(),
        };
        let objects = Arc::new(match data {
            Some(folder) => {
                LocalObjects::on_disk(base_url, secret.as_bytes(), folder.join("uploads"))
            }
            None => LocalObjects::in_memory(base_url, secret.as_bytes()),
        });
        let mut app = App::new(table.clone(), clock.clone(), identity);
        app.objects = Some(objects.clone());
        let app = Arc::new(app);
        let outbox_file = data.map(|folder| folder.join("outbox.jsonl"));
        let outbox = Arc::new(Outbox::new(outbox_file, clock.clone()));
        let config = NotifyConfig {
            site_url: base_url.into(),
            unsubscribe_url: format!("{base_url}/account/notifications"),
            sms_daily_cap: 500,
        };
        let meter = Meter::new("local", 128);
        let notifier = Arc::new(Notifier {
            table,
            mailer: Arc::new(MeteredMailer {
                inner: outbox.clone(),
                meter: meter.clone(),
            }),
            sms: Arc::new(MeteredSms {
                inner: outbox.clone(),
                meter: meter.clone(),
            }),
            webhooks: Arc::new(common::delivery::poster::HttpPoster::new()),
            clock,
            config,
        });
        Self {
            app,
            outbox,
            objects,
            notifier,
            meter,
        }
    }

    /// The same system with its attachments on another store (S3, in the tests against
    /// moto). The dev server's own file routes stay, unused.
    pub fn with_objects(mut self, objects: Arc<dyn Objects>) -> Self {
        let mut app = App::new(
            self.app.table.clone(),
            self.app.clock.clone(),
            self.app.identity.clone(),
        );
        app.objects = Some(objects);
        self.app = Arc::new(app);
        self
    }

    pub fn router(&self) -> axum::Router {
        routes(self.outbox.clone(), self.objects.clone()).into_router(self.app.clone())
    }

    /// The router as `local serve` runs it: every request metered, as on Lambda, so the
    /// cost report has figures locally too.
    pub fn metered_router(&self) -> axum::Router {
        common::metering::http_layer(
            self.router(),
            self.meter.clone(),
            self.app.table.clone(),
            self.app.clock.clone(),
        )
    }

    /// Runs the stream consumers, notify and broadcast, from the embedded table's change
    /// feed, as the DynamoDB stream drives them on AWS: each gets every record, and a
    /// record that fails is retried with backoff, then given up with an error log (on AWS
    /// it would land on the on-failure queue). A journal-backed feed gives each consumer
    /// its own cursor, so each goes at its own pace and what it has not reached waits on
    /// disk; a pushed feed (memory only, tests) is fanned out to both.
    pub fn spawn_stream_consumers(&self, feed: impl Into<Feed>) {
        let feed = feed.into();
        let (notify_feed, broadcast_feed) = match feed.try_clone() {
            // Each reader skips, unread, what its function's filter drops by key.
            Some(second) => (feed.only(notify_keys), second.only(broadcast_keys)),
            None => {
                let (to_notify, notify_feed) = mpsc::unbounded_channel();
                let (to_broadcast, broadcast_feed) = mpsc::unbounded_channel();
                let mut feed = feed;
                tokio::spawn(async move {
                    while let Some(record) = feed.recv().await {
                        if common::notify::hears(&record) {
                            let _ = to_notify.send(record.clone());
                        }
                        let _ = to_broadcast.send(record);
                    }
                });
                (notify_feed.into(), broadcast_feed.into())
            }
        };
        let notifier = self.notifier.clone();
        consume(notify_feed, "notification", move |record| {
            let notifier = notifier.clone();
            async move {
                // What the template's stream filter lets through to notify.
                !common::notify::hears(&record) || notifier.process(&[record]).await.is_empty()
            }
        });
        let app = self.app.clone();
        consume(broadcast_feed, "broadcast record", move |record| {
            let app = app.clone();
            async move { app.broadcast_stream(&[record]).await.is_empty() }
        });
    }

    /// What DynamoDB's TTL does on AWS: every `every`, the embedded table deletes the
    /// items whose `expires_at` is past by the system's clock (each a REMOVE in the
    /// change feed). Expired items are read as usual until then, as on AWS.
    pub fn spawn_expiry(
        &self,
        table: Arc<EmbeddedTable>,
        every: Duration,
    ) -> tokio::task::JoinHandle<()> {
        let clock = self.app.clock.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                match table.remove_expired(clock.now().timestamp()).await {
                    Ok(0) => {}
                    Ok(removed) => tracing::info!(removed, "expired items removed (TTL)"),
                    Err(error) => {
                        tracing::warn!(error = %error, "removing expired items failed; will try again")
                    }
                }
            }
        })
    }

    /// The schedules AWS runs on EventBridge, every `every`: the SLA check, and notify's
    /// release of SMS held for quiet hours, digests when due and webhook retries.
    pub fn spawn_schedule(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let (app, notifier) = (self.app.clone(), self.notifier.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let now = notifier.clock.now();
                if let Err(error) = app.sla_check(now).await {
                    tracing::warn!(error = %error, "the SLA check failed; will try again");
                }
                if let Err(error) = notifier.release_held(now).await {
                    tracing::warn!(error = %error, "releasing held SMS failed; will try again");
                }
                if let Err(error) = notifier.send_digests(now).await {
                    tracing::warn!(error = %error, "sending digests failed; will try again");
                }
                if let Err(error) = notifier.retry_webhooks(now).await {
                    tracing::warn!(error = %error, "retrying webhooks failed; will try again");
                }
            }
        })
    }
}

const STREAM_ATTEMPTS: u32 = 5;

/// The keys notify's stream filter can let through (template.yaml; `notify::hears`
/// decides on the rest).
fn notify_keys(_pk: &str, sk: &str) -> bool {
    sk == "META"
        || ["MSG#", "RATING#", "NPS#"]
            .iter()
            .any(|p| sk.starts_with(p))
}

/// The keys broadcast's stream filter can let through: broadcasts, and conversations.
fn broadcast_keys(pk: &str, sk: &str) -> bool {
    pk.starts_with("BROADCAST#") || (pk.starts_with("CONV#") && sk == "META")
}

/// One stream consumer: each record through `process` (true when it succeeded), in order.
fn consume<F, Fut>(mut feed: Feed, what: &'static str, process: F)
where
    F: Fn(StreamRecord) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    tokio::spawn(async move {
        while let Some(record) = feed.recv().await {
            let mut delay = Duration::from_millis(200);
            for attempt in 1..=STREAM_ATTEMPTS {
                if process(record.clone()).await {
                    break;
                }
                if attempt == STREAM_ATTEMPTS {
                    tracing::error!(record = %record.id, "{what} given up after {STREAM_ATTEMPTS} attempts");
                } else {
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
            }
        }
    });
}

/// POSTs JSON to the dev server at `addr`; the answer's body, or an error with it.
pub async fn post_json(addr: &str, path: &str, body: &serde_json::Value) -> anyhow::Result<String> {
    use http_body_util::{BodyExt, Full};
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let request = axum::http::Request::post(path)
        .header(header::HOST, addr)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(axum::body::Bytes::from(body.to_string())))?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    let bytes = response.into_body().collect().await?.to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    anyhow::ensure!(status.is_success(), "{path} answered {status}: {text}");
    Ok(text)
}

/// The durable embedded table in `data`, or a memory-only one.
pub fn open_table(data: Option<&Path>) -> anyhow::Result<Arc<EmbeddedTable>> {
    Ok(Arc::new(match data {
        Some(dir) => EmbeddedTable::open(dir)?,
        None => EmbeddedTable::in_memory(),
    }))
}

/// A dev token valid for `hours`.
pub fn mint_token(mut claims: Claims, secret: &str, hours: i64) -> String {
    claims.exp = Some(SystemClock.now().timestamp() + hours * 3600);
    jwt::sign(&claims, secret.as_bytes())
}

/// Serves `router` on `listener` until Ctrl-C (or SIGTERM).
pub async fn serve(listener: tokio::net::TcpListener, router: axum::Router) -> anyhow::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
