//! The whole HTTP API in process, on the embedded table (or any table), with a clock
//! tests move, tokens, and the requests tests make.

use std::sync::Arc;

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

use crate::put_signed;
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
        )
        // Emails go at once unless a test waits for them to be read first
        // ([`TestApp::with_email_delay`]): the suites about what an email says read it
        // right after the stream has run.
        .with_email_delay(0);
        Self {
            router: system.router(),
            clock,
            table,
            embedded: None,
            system,
            feed: None,
        }
    }

    /// The same system with message emails waiting `minutes` to be read in the app.
    pub fn with_email_delay(mut self, minutes: i64) -> Self {
        self.system = self.system.with_email_delay(minutes);
        self.router = self.system.router();
        self
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

    /// A user's token with their name and email, as the website's sign-in gives them.
    pub fn token_with(&self, sub: &str, name: &str, email: &str) -> String {
        let claims = Claims {
            sub: sub.into(),
            exp: Some((self.clock_now() + Duration::days(1)).timestamp()),
            email: Some(email.into()),
            name: Some(name.into()),
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
        let (status, _, json) = self.exchange(method, path, token, body, &[]).await;
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

    /// POSTs as a client that may retry: with an `Idempotency-Key`.
    pub async fn post_with_key(
        &self,
        path: &str,
        token: &str,
        body: Value,
        key: &str,
    ) -> (StatusCode, Value) {
        let headers = [("idempotency-key", key)];
        let (status, _, json) = self
            .exchange(Method::POST, path, Some(token), Some(body), &headers)
            .await;
        (status, json)
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
        let (code, reply) = self.open_direct(token, listing, body).await;
        assert_eq!(code, StatusCode::CREATED, "{reply}");
        reply["conversation"]["id"].as_str().unwrap().to_string()
    }

    /// Asks to open a direct conversation about `listing` (or to write in the one there
    /// is): the answer, whatever it is.
    pub async fn open_direct(&self, token: &str, listing: &str, body: &str) -> (StatusCode, Value) {
        let request = json!({"type": "direct", "listing_id": listing, "body": body});
        self.post("/v1/conversations", token, request).await
    }

    /// Writes `body` in a conversation, as one of its participants.
    pub async fn post_message(
        &self,
        token: &str,
        conversation: &str,
        body: &str,
    ) -> (StatusCode, Value) {
        let path = format!("/v1/conversations/{conversation}/messages");
        self.post(&path, token, json!({"body": body})).await
    }

    /// Answers a conversation as an admin; `reply` is what `POST .../replies` takes (a
    /// body or a template, internal or not, a new status).
    pub async fn post_reply(
        &self,
        token: &str,
        conversation: &str,
        reply: Value,
    ) -> (StatusCode, Value) {
        let path = format!("/v1/admin/conversations/{conversation}/replies");
        self.post(&path, token, reply).await
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

    /// Opens a support conversation (subject "Help"); returns its id.
    pub async fn support(&self, token: &str, category: &str, body: &str) -> String {
        let (code, reply) = self.open_support(token, category, "Help", body).await;
        assert_eq!(code, StatusCode::CREATED, "{reply}");
        reply["conversation"]["id"].as_str().unwrap().to_string()
    }

    /// Asks to open a support conversation: the answer, whatever it is.
    pub async fn open_support(
        &self,
        token: &str,
        category: &str,
        subject: &str,
        body: &str,
    ) -> (StatusCode, Value) {
        let request =
            json!({"type": "support", "category": category, "subject": subject, "body": body});
        self.post("/v1/conversations", token, request).await
    }
}

/// The message of an API error answer (`{"error": {"code": …, "message": …}}`); empty
/// when the answer carries none.
pub fn error_message(answer: &Value) -> &str {
    answer["error"]["message"].as_str().unwrap_or_default()
}

/// own (`/local/...`, `/openapi.json`).
pub fn served_routes() -> std::collections::BTreeSet<String> {
    local::routes()
        .list()
        .iter()
        .map(|(method, path)| format!("{method} {path}"))
        .collect()
}
