//! The dev server: every HTTP function in one process on the embedded store, with dev
//! tokens and demo data, so the whole system runs on one machine with no AWS account.

pub mod asyncapi;
pub mod backup;
pub mod console;
pub mod demo;
pub mod site;
pub mod socket;

use common::metering::{Meter, MeteredMailer, MeteredPoster, MeteredSms};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use common::connections::Connections;
use common::delivery::outbox::{Outbox, Sent};
use common::delivery::push::LocalPusher;
use common::domain::clock::Clock;
use common::domain::identity::Claims;
use common::domain::preferences::DEFAULT_EMAIL_DELAY_MINUTES;
use common::domain::webhook::Reach;
use common::domain::{attachment, email_reply};
use common::http::{ErrorBody, JsonBody, NotFound, Params, Routes};
use common::jwt;
use common::messaging::SlaCheckOutcome;
use common::messaging::Sockets;
use common::notifications::pipeline::DueEmails;
use common::notifications::{Notifier, NotifyConfig};
use common::objects::Objects;
use common::objects::local::{LocalObjects, Refused, SignedQuery};
use common::reporting::Reports;
use common::route;
use common::store::table::embedded::{EmbeddedTable, Feed};
use common::store::table::{StreamRecord, Table};
use common::{ApiError, App, AppState, HttpResult, IdentitySource};
use inbound_email::{Inbound, Outcome, Verdicts};
use tokio::sync::mpsc;

/// The secret local tokens are signed with unless `SAYPRO_JWT_SECRET` is set. For local
/// use only: deployed functions never see it (API Gateway verifies Cognito's tokens).
pub const DEFAULT_JWT_SECRET: &str = "saypro-local-dev-secret";

/// Whether the dev server may listen at `addr` with `secret`: anywhere but this machine
/// only with a secret of the operator's own. With the built-in one, anyone who can reach
/// it could mint tokens, read every email at `/local/outbox` and move the SLA clock.
pub fn may_listen(addr: std::net::SocketAddr, secret: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        addr.ip().is_loopback() || secret != DEFAULT_JWT_SECRET,
        "refusing to listen on {addr} with the built-in token secret: the dev server's /local \
         routes are for this machine only; set SAYPRO_JWT_SECRET to a secret of your own to \
         listen elsewhere"
    );
    Ok(())
}

/// Where the dev server answers by default (`local serve --addr`).
pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:3000";
/// The domain of the dev server's reply addresses (`reply+<token>@saypro.local`): mail to
/// them is posted with `POST /local/inbound-email`.
pub const REPLY_DOMAIN: &str = "saypro.local";
/// The address the dev server's notifications are "from": mail from it is a loop.
pub const LOCAL_FROM: &str = "messages@saypro.local";

/// Every route of every HTTP function, plus the dev server's own (`/openapi.json`, the
/// outbox of what was "sent", running an SLA check at a given time, and the signed
/// uploads and downloads of attachments S3 serves on AWS). The dev server's handlers
/// find the outbox and the files as request extensions ([`Local::router`]).
pub fn routes() -> Routes {
    send::routes()
        .merge(reply::routes())
        .merge(listings::routes())
        .merge(reports::routes())
        .open(route!(openapi))
        .open(route!(asyncapi))
        // The local cap is the default one; the signature fixes each upload's exact size.
        .open(route!(upload).body_limit(attachment::DEFAULT_MAX_BYTES as usize))
        .open(route!(download))
        .open(route!(outbox))
        .open(route!(run_sla_check))
        .open(route!(deliver_due))
        .open(route!(run_monthly_report))
        .open(route!(receive_email).body_limit(email_reply::MAX_RAW_BYTES))
}

/// The API document of every route the dev server serves.
pub fn openapi_document() -> String {
    routes().openapi().to_pretty_json().unwrap_or_default()
}

/// The real-time protocol's AsyncAPI 3 document.
#[utoipa::path(
    get,
    path = "/asyncapi.json",
    operation_id = "asyncapi",
    tag = "local",
    responses((status = 200, description = "The AsyncAPI 3 document of the socket", body = Object))
)]
async fn asyncapi() -> axum::Json<serde_json::Value> {
    axum::Json(asyncapi::document())
}

/// The document this server serves, made once when the router is built.
#[derive(Clone)]
struct Document(Arc<String>);

/// The OpenAPI document of every route.
#[utoipa::path(
    get,
    path = "/openapi.json",
    operation_id = "openapi",
    tag = "local",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object))
)]
async fn openapi(Extension(Document(document)): Extension<Document>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        document.as_str().to_string(),
    )
}

/// What the local adapters "sent", oldest first.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct SentItems {
    items: Vec<Sent>,
}

/// Dev server: the email and SMS the local adapters "sent", oldest first (the latest
/// 10,000; every one is also in `outbox.jsonl` in the data folder).
#[utoipa::path(
    get,
    path = "/local/outbox",
    operation_id = "outbox",
    tag = "local",
    responses((status = 200, description = "What was sent", body = SentItems))
)]
async fn outbox(Extension(outbox): Extension<Arc<Outbox>>) -> axum::Json<SentItems> {
    axum::Json(SentItems {
        items: outbox.sent(),
    })
}

/// Dev server: last month's report to the managers, as the schedule on the 1st does on
/// AWS (here into the outbox).
#[utoipa::path(
    post,
    path = "/local/monthly-report",
    operation_id = "localMonthlyReport",
    tag = "local",
    request_body = ScheduleRequest,
    responses(
        (status = 200, description = "Who got the report", body = common::reporting::Delivered),
    )
)]
async fn run_monthly_report(
    State(app): State<AppState>,
    Extension(outbox): Extension<Arc<Outbox>>,
    JsonBody(request): JsonBody<ScheduleRequest>,
) -> HttpResult<axum::Json<common::reporting::Delivered>> {
    let now = request.time.unwrap_or_else(|| app.clock.now());
    Ok(axum::Json(
        Reports(&app)
            .deliver_monthly_report(now, outbox.as_ref())
            .await?,
    ))
}

/// When a scheduled run happens, as if the schedule fired then.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ScheduleRequest {
    /// As if the schedule fired at this time; now if absent.
    time: Option<DateTime<Utc>>,
}

/// Dev server: one SLA check as if the schedule fired at `time`, as EventBridge does on
/// AWS.
#[utoipa::path(
    post,
    path = "/local/sla-check",
    operation_id = "localSlaCheck",
    tag = "local",
    request_body = ScheduleRequest,
    responses(
        (status = 200, description = "What the check did", body = SlaCheckOutcome),
    )
)]
async fn run_sla_check(
    State(app): State<AppState>,
    JsonBody(request): JsonBody<ScheduleRequest>,
) -> HttpResult<axum::Json<SlaCheckOutcome>> {
    let now = request.time.unwrap_or_else(|| app.clock.now());
    Ok(axum::Json(app.sla_check(now).await?))
}

/// Dev server: every message email waiting to be read first that is due by `time`, as
/// notify's schedule sends them on AWS: those still unread go, the read ones are dropped.
#[utoipa::path(
    post,
    path = "/local/deliver-due",
    operation_id = "localDeliverDue",
    tag = "local",
    request_body = ScheduleRequest,
    responses(
        (status = 200, description = "What was sent, and what reading made unnecessary", body = DueEmails),
    )
)]
async fn deliver_due(
    State(app): State<AppState>,
    Extension(notifier): Extension<Arc<Notifier>>,
    JsonBody(request): JsonBody<ScheduleRequest>,
) -> HttpResult<axum::Json<DueEmails>> {
    let now = request.time.unwrap_or_else(|| app.clock.now());
    let done = notifier
        .send_due_emails(now)
        .await
        .map_err(|e| ApiError::Unexpected(e.into()))?;
    Ok(axum::Json(done))
}

/// Dev server: an email received at one of its addresses, as SES hands it to the
/// inbound-email function on AWS: a reply to a notification (at a `reply+<token>@saypro.local`
/// address in its To or Cc) is posted in its conversation, refused mail is bounced (the
/// bounce is in the outbox), and machines' mail is dropped. SES's verdicts pass unless the
/// query says otherwise; the same message sent again is the same email.
#[utoipa::path(
    post,
    path = "/local/inbound-email",
    operation_id = "localInboundEmail",
    tag = "local",
    params(Verdicts),
    request_body(content = Vec<u8>, content_type = "message/rfc822", description = "The raw RFC 5322 message"),
    responses(
        (status = 200, description = "What became of the email", body = Outcome),
        (status = 415, description = "Not `message/rfc822`", body = ErrorBody),
    )
)]
async fn receive_email(
    State(app): State<AppState>,
    Extension(notifier): Extension<Arc<Notifier>>,
    Params(verdicts): Params<Verdicts>,
    headers: HeaderMap,
    body: Bytes,
) -> HttpResult<axum::Json<Outcome>> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type.eq_ignore_ascii_case("message/rfc822") {
        return Err(ApiError::UnsupportedMediaType(
            "Content-Type: send the raw email as message/rfc822".into(),
        )
        .into());
    }
    let inbound = Inbound {
        app,
        mailer: notifier.mailer.clone(),
        reply_domain: REPLY_DOMAIN.into(),
        from_address: LOCAL_FROM.into(),
        site_url: notifier.config.site_url.clone(),
    };
    let envelope = inbound_email::envelope_of(&body, verdicts);
    let outcome = inbound
        .receive(&envelope, &body)
        .await
        .map_err(ApiError::Unexpected)?;
    Ok(axum::Json(outcome))
}

/// Dev server: what S3 does with a presigned PUT (store the body if it is the upload
/// signed: type, length, name and `if-none-match: *` as signed, before it expires, and
/// nothing is stored under the key yet).
#[utoipa::path(
    put,
    path = "/local/objects/{key}",
    operation_id = "localUpload",
    tag = "local",
    params(
        ("key" = String, Path, description = "The object key the upload was signed for"),
        ("expires" = i64, Query, description = "When the signature ends (Unix seconds)"),
        ("signature" = String, Query, description = "The dev server's signature"),
    ),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "Stored"),
        (status = 403, description = "Not the upload signed, or too late", body = ErrorBody),
        (status = 412, description = "A file is already stored under this key: an upload is written once", body = ErrorBody),
    )
)]
async fn upload(
    State(app): State<AppState>,
    Extension(objects): Extension<Arc<LocalObjects>>,
    UrlPath(key): UrlPath<String>,
    Params(query): Params<SignedQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> HttpResult<StatusCode> {
    objects
        .accept_upload(&key, &query, &headers, &body, app.clock.now())
        .map_err(refusal)?;
    Ok(StatusCode::OK)
}

/// Dev server: what S3 does with a presigned GET.
#[utoipa::path(
    get,
    path = "/local/objects/{key}",
    operation_id = "localDownload",
    tag = "local",
    params(("key" = String, Path, description = "The object key the download was signed for"), SignedQuery),
    responses(
        (status = 200, description = "The file, with the type and disposition signed", content((Vec<u8> = "application/octet-stream"))),
        (status = 403, description = "A changed or expired link", body = ErrorBody),
        (status = 404, response = NotFound),
    )
)]
async fn download(
    State(app): State<AppState>,
    Extension(objects): Extension<Arc<LocalObjects>>,
    UrlPath(key): UrlPath<String>,
    Params(query): Params<SignedQuery>,
) -> HttpResult<impl IntoResponse> {
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
        Refused::Exists => ApiError::PreconditionFailed(refused.to_string()),
        Refused::Storage(error) => ApiError::Unexpected(error),
        other => ApiError::forbidden(other.to_string()),
    }
}

/// The whole system on one machine: the API, and notifications delivered to an outbox.
pub struct Local {
    pub app: AppState,
    pub outbox: Arc<Outbox>,
    pub objects: Arc<LocalObjects>,
    pub notifier: Arc<Notifier>,
    /// What this process used, as each Lambda function meters its own.
    pub meter: Arc<Meter>,
    /// The open sockets, as API Gateway holds them on AWS.
    pub pusher: Arc<LocalPusher>,
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
        let pusher = Arc::new(LocalPusher::default());
        let realtime = Arc::new(Connections {
            table: table.clone(),
            pusher: pusher.clone(),
            clock: clock.clone(),
        });
        let mut app = App::new(table.clone(), clock.clone(), identity);
        app.objects = Some(objects.clone());
        app.webhook_reach = Reach::PublicAndThisMachine;
        app.sockets = Some(Sockets {
            realtime: realtime.clone(),
            url: format!("{}{}", base_url.replacen("http", "ws", 1), socket::PATH),
        });
        let app = Arc::new(app);
        let outbox_file = data.map(|folder| folder.join("outbox.jsonl"));
        let outbox = Arc::new(Outbox::new(outbox_file, clock.clone()));
        let config = NotifyConfig {
            site_url: base_url.into(),
            unsubscribe_url: format!("{base_url}/account/notifications"),
            sms_daily_cap: 500,
            email_delay: chrono::Duration::minutes(DEFAULT_EMAIL_DELAY_MINUTES),
            reply_domain: Some(REPLY_DOMAIN.into()),
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
            webhooks: Arc::new(MeteredPoster {
                inner: Arc::new(common::delivery::poster::HttpPoster::new(
                    Reach::PublicAndThisMachine,
                )),
                meter: meter.clone(),
            }),
            clock,
            config,
            realtime: Some(realtime),
        });
        Self {
            app,
            outbox,
            objects,
            notifier,
            meter,
            pusher,
        }
    }

    /// The same system with message emails waiting `minutes` to be read first (0: at
    /// once; `SAYPRO_EMAIL_DELAY_MINUTES` for the dev server).
    pub fn with_email_delay(mut self, minutes: i64) -> Self {
        let mut notifier = (*self.notifier).clone();
        notifier.config.email_delay = chrono::Duration::minutes(minutes);
        self.notifier = Arc::new(notifier);
        self
    }

    /// The same system counting its use (requests, email, SMS) with `meter`, as another
    /// system's use on the same table (the demo's last month, counted with the dev
    /// server's meter so its use is not counted again as today's).
    pub fn with_meter(mut self, meter: Arc<Meter>) -> Self {
        let mut notifier = (*self.notifier).clone();
        notifier.mailer = Arc::new(MeteredMailer {
            inner: self.outbox.clone(),
            meter: meter.clone(),
        });
        notifier.sms = Arc::new(MeteredSms {
            inner: self.outbox.clone(),
            meter: meter.clone(),
        });
        notifier.webhooks = Arc::new(MeteredPoster {
            inner: Arc::new(common::delivery::poster::HttpPoster::new(
                Reach::PublicAndThisMachine,
            )),
            meter: meter.clone(),
        });
        self.notifier = Arc::new(notifier);
        self.meter = meter;
        self
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
        app.webhook_reach = self.app.webhook_reach;
        app.sockets = self.app.sockets.clone();
        self.app = Arc::new(app);
        self
    }

    pub fn router(&self) -> axum::Router {
        let routes = routes();
        let document = Document(Arc::new(
            routes.openapi().to_pretty_json().unwrap_or_default(),
        ));
        let sockets = axum::Router::new()
            .route(socket::PATH, axum::routing::get(socket::open))
            .with_state(self.app.clone());
        routes
            .into_router(self.app.clone())
            .merge(sockets)
            .layer(Extension(self.pusher.clone()))
            .layer(Extension(self.notifier.clone()))
            .layer(Extension(self.outbox.clone()))
            .layer(Extension(self.objects.clone()))
            .layer(Extension(document))
    }

    /// The router as `local serve` runs it: every request metered, as on Lambda, so the
    /// cost report has figures locally too.
    pub fn metered_router(&self) -> axum::Router {
        common::http::metered(
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
                        if common::notifications::hears(&record) {
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
                !common::notifications::hears(&record)
                    || notifier.process(&[record]).await.is_empty()
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
    /// release of SMS held for quiet hours, digests and message emails when due, and
    /// webhook retries.
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
                if let Err(error) = notifier.send_due_emails(now).await {
                    tracing::warn!(error = %error, "sending emails due failed; will try again");
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
pub(crate) fn broadcast_keys(pk: &str, sk: &str) -> bool {
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
/// A token issued at `issued` for `hours` (at most 24: longer is refused when verified).
pub fn mint_token(mut claims: Claims, secret: &str, issued: DateTime<Utc>, hours: i64) -> String {
    claims.iat = Some(issued.timestamp());
    claims.exp = Some(issued.timestamp() + hours * 3600);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_secret_listens_on_this_machine_only() {
        let loopback = "127.0.0.1:3000".parse().expect("an address");
        let anywhere = "0.0.0.0:3000".parse().expect("an address");
        assert!(may_listen(loopback, DEFAULT_JWT_SECRET).is_ok());
        let refused = may_listen(anywhere, DEFAULT_JWT_SECRET).unwrap_err();
        assert!(
            refused.to_string().contains("SAYPRO_JWT_SECRET"),
            "{refused}"
        );
        assert!(may_listen(anywhere, "a secret of the operator's own").is_ok());
    }
}
