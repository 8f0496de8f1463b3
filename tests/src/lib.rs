//! Helpers shared by the end-to-end tests: the moto server endpoint, test apps, requests.

use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use common::store::table::dynamo::DynamoTable;

/// The moto server the test command started (`infra/test.sh` sets `SAYPRO_MOTO_URL`).
/// These tests never skip: without moto they fail and say how to run them.
pub fn moto_url() -> String {
    std::env::var("SAYPRO_MOTO_URL").unwrap_or_else(|_| {
        panic!("SAYPRO_MOTO_URL is not set: run the tests with `make test` (infra/test.sh starts moto server)")
    })
}

/// SDK configuration for moto: its endpoint, a region, dummy credentials.
pub async fn moto_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(moto_url())
        .region(aws_config::Region::new("eu-west-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "tests",
        ))
        .load()
        .await
}

pub async fn dynamo_client() -> Client {
    Client::new(&moto_config().await)
}

/// What moto holds, from its own HTTP API (`/moto-api/data.json`): sent email and SMS.
pub fn moto_data() -> serde_json::Value {
    use std::io::{Read, Write};
    let address = moto_url().trim_start_matches("http://").to_string();
    let mut stream = std::net::TcpStream::connect(&address).expect("connect to moto");
    write!(
        stream,
        "GET /moto-api/data.json HTTP/1.0\r\nHost: {address}\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let body = response.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    serde_json::from_str(body).expect("moto data.json")
}

/// A fresh bucket on moto, and the Objects adapter on it (path-style addressing, as
/// an emulator on 127.0.0.1 needs).
pub async fn moto_objects() -> (aws_sdk_s3::Client, String, common::objects::s3::S3Objects) {
    let config = aws_sdk_s3::config::Builder::from(&moto_config().await)
        .force_path_style(true)
        .build();
    let client = aws_sdk_s3::Client::from_conf(config);
    let bucket = format!(
        "saypro-test-{}",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    client
        .create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .expect("create bucket on moto");
    let objects = common::objects::s3::S3Objects::new(client.clone(), &bucket);
    (client, bucket, objects)
}

/// One plain HTTP request, as a browser would make it with a signed URL: status,
/// headers and body.
pub async fn http(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Vec<u8>,
) -> (u16, axum::http::HeaderMap, Vec<u8>) {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Full<axum::body::Bytes>>();
    let mut request = axum::http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let request = request
        .body(http_body_util::Full::new(axum::body::Bytes::from(body)))
        .unwrap();
    let response = client.request(request).await.expect("HTTP request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, bytes.to_vec())
}

/// A signed request's headers, from its JSON.
pub fn signed_headers(request: &serde_json::Value) -> Vec<(String, String)> {
    request["headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, value)| (name.clone(), value.as_str().unwrap().to_string()))
        .collect()
}

/// A fresh table on moto with a unique name, so test binaries and cases never share state.
pub async fn moto_table() -> Arc<DynamoTable> {
    let client = dynamo_client().await;
    let name = format!(
        "saypro-test-{}",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    DynamoTable::create_table(&client, &name)
        .await
        .expect("create table on moto");
    Arc::new(DynamoTable::new(client, name))
}

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use chrono::{DateTime, Duration, Utc};
use common::domain::clock::ManualClock;
use common::domain::identity::Claims;
use common::jwt;
use common::store::table::Table;
use common::store::table::embedded::EmbeddedTable;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

pub const SECRET: &str = "test-secret";

/// A Tuesday morning in Johannesburg, so SLA deadlines in tests are easy to read.
pub fn tuesday_morning() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-24T07:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// The whole HTTP API (every function's routes) on a table, with a clock tests move.
pub struct TestApp {
    pub router: Router,
    pub clock: Arc<ManualClock>,
    pub table: Arc<dyn Table>,
    /// The embedded table itself when there is one (to count items).
    pub embedded: Option<Arc<EmbeddedTable>>,
    /// The local system: notifier and outbox.
    pub system: local::Local,
    /// The embedded table's change feed, drained by [`TestApp::deliver`].
    feed: Option<
        std::sync::Mutex<tokio::sync::mpsc::UnboundedReceiver<common::store::table::StreamRecord>>,
    >,
}

impl TestApp {
    pub fn in_memory() -> Self {
        let table = Arc::new(EmbeddedTable::in_memory());
        let feed = table.subscribe();
        let mut app = Self::on(table.clone());
        app.embedded = Some(table);
        app.feed = Some(std::sync::Mutex::new(feed));
        app
    }

    /// Runs notify over every change so far, as the stream would; returns the ids of the
    /// records that failed.
    pub async fn deliver(&self) -> Vec<String> {
        let records = self.take_records();
        self.system.notifier.process(&records).await
    }

    /// Runs both stream consumers (notify and broadcast) until the stream is quiet, as
    /// AWS would: a broadcast's steps trigger each other through it. Returns the ids of
    /// the records that failed.
    pub async fn run_stream(&self) -> Vec<String> {
        let mut failed = Vec::new();
        loop {
            let records = self.take_records();
            if records.is_empty() {
                return failed;
            }
            failed.extend(self.system.notifier.process(&records).await);
            failed.extend(self.system.app.broadcast_stream(&records).await);
        }
    }

    /// Hands the change feed to the dev server's own stream consumers, as `local serve`
    /// does.
    pub fn spawn_stream_consumers(&mut self) {
        let feed = self
            .feed
            .take()
            .expect("an embedded table's feed")
            .into_inner()
            .unwrap();
        self.system.spawn_stream_consumers(feed);
    }

    /// The changes so far from the embedded table's feed.
    pub fn take_records(&self) -> Vec<common::store::table::StreamRecord> {
        let mut feed = self
            .feed
            .as_ref()
            .expect("an embedded table's feed")
            .lock()
            .unwrap();
        std::iter::from_fn(|| feed.try_recv().ok()).collect()
    }

    pub fn on(table: Arc<dyn Table>) -> Self {
        let clock = Arc::new(ManualClock::new(tuesday_morning()));
        let system = local::Local::new(
            table.clone(),
            clock.clone(),
            SECRET,
            None,
            local::DEFAULT_BASE_URL,
        );
        Self {
            router: system.router(),
            clock,
            table,
            embedded: None,
            system,
            feed: None,
        }
    }

    /// The same system with its files on another store (S3 on moto).
    pub fn with_objects(mut self, objects: Arc<dyn common::objects::Objects>) -> Self {
        self.system = self.system.with_objects(objects);
        self.router = self.system.router();
        self
    }

    pub fn item_count(&self) -> usize {
        self.embedded
            .as_ref()
            .expect("an embedded table")
            .item_count()
    }

    /// A token for `sub` with `groups`, valid for a day of the test clock.
    pub fn token(&self, sub: &str, groups: &[&str]) -> String {
        let claims = Claims {
            sub: sub.into(),
            exp: Some((self.clock_now() + Duration::days(1)).timestamp()),
            email: Some(format!("{sub}@example.co.za")),
            phone_number: Some("+27821234567".into()),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            ..Claims::default()
        };
        jwt::sign(&claims, SECRET.as_bytes())
    }

    /// A token for a user of a membership tier (`custom:tier`), or none.
    pub fn member_token(&self, sub: &str, tier: Option<&str>) -> String {
        let claims = Claims {
            sub: sub.into(),
            exp: Some((self.clock_now() + Duration::days(1)).timestamp()),
            tier: tier.map(String::from),
            ..Claims::default()
        };
        jwt::sign(&claims, SECRET.as_bytes())
    }

    pub fn clock_now(&self) -> DateTime<Utc> {
        use common::domain::clock::Clock;
        self.clock.now()
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.send(method, path, token, body, &[]).await
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let (status, _, json) = self.exchange(method, path, token, body, headers).await;
        (status, json)
    }

    /// A request and the whole answer: status, headers and JSON body.
    pub async fn exchange(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, axum::http::HeaderMap, Value) {
        let authorization = token.map(|token| format!("Bearer {token}"));
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        if let Some(value) = &authorization {
            all.push(("authorization", value));
        }
        let bytes = match body {
            Some(json) => {
                all.push(("content-type", "application/json"));
                json.to_string().into_bytes()
            }
            None => Vec::new(),
        };
        let (status, headers, bytes) = self.raw(method, path, &all, bytes).await;
        let json = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        (status, headers, json)
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    /// Saves a configuration document as a console would: reads it (for the version the
    /// edit replaces; 0 if the caller may not read it), then `PUT`s `{version, policy}`.
    pub async fn save(&self, path: &str, token: &str, policy: Value) -> (StatusCode, Value) {
        let (code, current) = self.get(path, token).await;
        let version = if code == StatusCode::OK {
            current["version"].clone()
        } else {
            Value::from(0)
        };
        let edit = serde_json::json!({ "version": version, "policy": policy });
        self.call(Method::PUT, path, Some(token), Some(edit)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(token), Some(body))
            .await
    }

    /// Registers a listing as the website would.
    pub async fn listing(&self, id: &str, seller: &str, status: &str) {
        let website = self.token("website", &["service"]);
        let body = json!({"title": format!("Listing {id}"), "seller_id": seller, "category": "vehicles", "location": "Pretoria", "status": status});
        let (code, reply) = self
            .call(
                Method::PUT,
                &format!("/v1/listings/{id}"),
                Some(&website),
                Some(body),
            )
            .await;
        assert_eq!(code, StatusCode::OK, "{reply}");
    }

    /// Opens a direct conversation about `listing` with its seller; returns its id.
    pub async fn direct(&self, token: &str, listing: &str, body: &str) -> String {
        let request = json!({"type": "direct", "listing_id": listing, "body": body});
        let (code, reply) = self.post("/v1/conversations", token, request).await;
        assert_eq!(code, StatusCode::CREATED, "{reply}");
        reply["conversation"]["id"].as_str().unwrap().to_string()
    }

    /// A request with raw bytes, to a path or to one of the dev server's own URLs (the
    /// signed links it hands out): status, headers and body.
    pub async fn raw(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let path = url.strip_prefix(local::DEFAULT_BASE_URL).unwrap_or(url);
        let mut request = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, headers, bytes.to_vec())
    }

    /// GETs one of the dev server's signed links, as a browser would.
    pub async fn fetch(&self, url: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        self.raw(Method::GET, url, &[], Vec::new()).await
    }

    /// Uploads a file as a client would (ask for a signed upload, PUT the bytes with the
    /// headers given); returns the attachment's id.
    pub async fn upload(
        &self,
        token: &str,
        filename: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> String {
        let request =
            json!({"filename": filename, "content_type": content_type, "size": bytes.len()});
        let (code, ticket) = self.post("/v1/attachments", token, request).await;
        assert_eq!(code, StatusCode::CREATED, "{ticket}");
        let (code, _, answer) = put_signed(self, &ticket["upload"], bytes).await;
        assert_eq!(code, StatusCode::OK, "{}", String::from_utf8_lossy(&answer));
        ticket["id"].as_str().unwrap().to_string()
    }

    /// Opens a support conversation; returns its id.
    pub async fn support(&self, token: &str, category: &str, body: &str) -> String {
        let request =
            json!({"type": "support", "category": category, "subject": "Help", "body": body});
        let (code, reply) = self.post("/v1/conversations", token, request).await;
        assert_eq!(code, StatusCode::CREATED, "{reply}");
        reply["conversation"]["id"].as_str().unwrap().to_string()
    }
}

/// PUTs `bytes` with a signed upload's URL and headers, to the dev server.
pub async fn put_signed(
    app: &TestApp,
    upload: &Value,
    bytes: &[u8],
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let headers = signed_headers(upload);
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let url = upload["url"].as_str().unwrap();
    app.raw(Method::PUT, url, &headers, bytes.to_vec()).await
}

/// A small PNG (its signature and header chunk: enough to be recognised).
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";
/// A small PDF.
pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";

/// What [`Interleaved`] runs between an operation's read and its write.
pub type Hook =
    Box<dyn FnOnce() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> + Send>;

/// An embedded table that runs a hook once, just before the next write reaches the
/// store: another writer acting between an operation's read and its write.
pub struct Interleaved {
    pub inner: Arc<EmbeddedTable>,
    hook: std::sync::Mutex<Option<Hook>>,
}

impl Interleaved {
    pub fn new(inner: Arc<EmbeddedTable>) -> Self {
        Self {
            inner,
            hook: std::sync::Mutex::new(None),
        }
    }

    pub fn before_next_write(&self, hook: Hook) {
        *self.hook.lock().unwrap() = Some(hook);
    }

    pub fn hook_ran(&self) -> bool {
        self.hook.lock().unwrap().is_none()
    }
}

#[async_trait::async_trait]
impl Table for Interleaved {
    async fn get(
        &self,
        key: &common::store::table::Key,
        consistent: bool,
    ) -> Result<Option<common::store::table::Item>, common::store::table::TableError> {
        self.inner.get(key, consistent).await
    }
    async fn query(
        &self,
        query: &common::store::table::Query,
    ) -> Result<common::store::table::Page, common::store::table::TableError> {
        self.inner.query(query).await
    }
    async fn write(
        &self,
        ops: Vec<common::store::table::WriteOp>,
    ) -> Result<(), common::store::table::TableError> {
        let hook = self.hook.lock().unwrap().take();
        if let Some(hook) = hook {
            hook().await;
        }
        self.inner.write(ops).await
    }
    fn metrics(&self) -> &common::store::table::TableMetrics {
        self.inner.metrics()
    }
}

/// A notifier whose email goes through SES and SMS through SNS on moto (from a sender
/// identity it verifies there), on `app`'s table and clock.
pub async fn moto_notifier(app: &TestApp) -> common::notifications::Notifier {
    use common::delivery::ses::SesMailer;
    use common::delivery::sns::SnsSms;
    let config = moto_config().await;
    let from = format!(
        "messages-{}@saypro.test",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    let ses = aws_sdk_sesv2::Client::new(&config);
    ses.create_email_identity()
        .email_identity(&from)
        .send()
        .await
        .expect("verify the sender on moto");
    common::notifications::Notifier {
        table: app.table.clone(),
        mailer: Arc::new(SesMailer::new(ses, from, None)),
        sms: Arc::new(SnsSms::new(
            aws_sdk_sns::Client::new(&config),
            "0.50",
            "SayPro",
        )),
        webhooks: app.system.notifier.webhooks.clone(),
        clock: app.system.notifier.clock.clone(),
        config: common::notifications::NotifyConfig {
            site_url: "https://www.saypro.test".into(),
            unsubscribe_url: "https://www.saypro.test/account".into(),
            sms_daily_cap: 100,
        },
    }
}

/// Every route the dev server serves, as `METHOD /path`: the functions' routes and its
/// own (`/local/...`, `/openapi.json`).
pub fn served_routes() -> std::collections::BTreeSet<String> {
    let outbox = Arc::new(common::delivery::outbox::Outbox::new(
        None,
        Arc::new(common::domain::clock::SystemClock),
    ));
    let objects = Arc::new(common::objects::local::LocalObjects::in_memory(
        local::DEFAULT_BASE_URL,
        SECRET.as_bytes(),
    ));
    local::routes(outbox, objects)
        .list()
        .iter()
        .map(|(method, path)| format!("{method} {path}"))
        .collect()
}
