//! Webhooks for integrations, delivered to a receiver on this machine: signed, once per
//! event even when stream records come twice, retried with backoff after a failure,
//! logged; and never for buyer–seller conversations.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, Method, StatusCode};
use chrono::{DateTime, Duration, Utc};
use common::domain::webhook::signature;
use serde_json::{Value, json};
use tests::{TestApp, error_message};

/// What the receiver got: each post's headers and body.
type Received = Arc<Mutex<Vec<(HeaderMap, String)>>>;

/// A receiver on 127.0.0.1 that answers `status` (settable) and records each post.
async fn receiver() -> (String, Received, Arc<AtomicU16>) {
    let received: Received = Arc::default();
    let status = Arc::new(AtomicU16::new(200));
    let (log, answer) = (received.clone(), status.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let (log, answer) = (log.clone(), answer.clone());
            async move {
                log.lock().unwrap().push((headers, body));
                StatusCode::from_u16(answer.load(Ordering::SeqCst)).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received, status)
}

fn events(received: &Received) -> Vec<String> {
    received
        .lock()
        .unwrap()
        .iter()
        .map(|(headers, _)| headers["x-saypro-event"].to_str().unwrap().to_string())
        .collect()
}

/// The webhook's delivery log, as a manager reads it.
async fn deliveries(app: &TestApp, manager: &str, webhook: &str) -> Vec<Value> {
    let path = format!("/v1/admin/webhooks/{webhook}/deliveries");
    let (_, log) = app.get(&path, manager).await;
    log["items"].as_array().unwrap().clone()
}

/// Retries the failed deliveries due at `now`, as the schedule does; how many it sent.
async fn retry_webhooks(app: &TestApp, now: DateTime<Utc>) -> usize {
    app.system.notifier.retry_webhooks(now).await.unwrap()
}

#[tokio::test]
async fn subscribed_events_are_delivered_signed_once_and_retried_after_a_failure() {
    let app = TestApp::in_memory();
    let (url, received, status) = receiver().await;
    let max = app.token("max", &["manager"]);
    let all = json!([
        "conversation.created",
        "message.created",
        "status.changed",
        "sla.breached"
    ]);
    let (code, created) = app
        .post(
            "/v1/admin/webhooks",
            &max,
            json!({"url": url, "events": all}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().unwrap().to_string();
    assert_eq!(secret.len(), 80);
    let webhook = created["id"].as_str().unwrap().to_string();
    let (_, listed) = app.get("/v1/admin/webhooks", &max).await;
    assert_eq!(listed["items"][0]["secret"], Value::Null, "shown once only");

    let alice = app.token("alice", &[]);
    let id = app.support(&alice, "general", "How do I renew?").await;
    let records = app.take_records();
    assert!(app.system.notifier.process(&records).await.is_empty());
    assert!(
        app.system.notifier.process(&records).await.is_empty(),
        "redelivered"
    );
    assert_eq!(
        events(&received),
        ["conversation.created", "message.created"]
    );
    let (headers, body) = received.lock().unwrap()[0].clone();
    let signed = headers["x-saypro-signature"].to_str().unwrap();
    let time: i64 = signed
        .strip_prefix("t=")
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        signed,
        signature(&secret, time, &body),
        "the receiver can verify it"
    );
    let payload: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(payload["data"]["conversation"]["id"], id.as_str());
    assert_eq!(payload["data"]["message"]["body"], "How do I renew?");

    // The receiver fails: logged, retried on the schedule, then delivered.
    status.store(503, Ordering::SeqCst);
    let sam = app.token("sam", &["agent", "team-support"]);
    app.post_reply(&sam, &id, json!({"body": "My Ads, then Renew."}))
        .await;
    assert!(app.deliver().await.is_empty());
    let failed = deliveries(&app, &max, &webhook)
        .await
        .into_iter()
        .find(|d| d["state"] == "retrying")
        .expect("a retrying delivery");
    assert_eq!(
        (failed["attempts"].as_u64(), failed["last_result"].as_str()),
        (Some(1), Some("HTTP 503"))
    );
    status.store(200, Ordering::SeqCst);
    let now = app.clock_now();
    assert_eq!(retry_webhooks(&app, now).await, 0, "not due yet");
    let due = now + Duration::minutes(2);
    assert_eq!(
        retry_webhooks(&app, due).await,
        2,
        "the reply's message.created, and its status change to pending"
    );
    assert_eq!(retry_webhooks(&app, due).await, 0, "once");
    let retried = deliveries(&app, &max, &webhook)
        .await
        .into_iter()
        .find(|d| d["id"] == failed["id"])
        .unwrap();
    assert_eq!(
        (retried["state"].as_str(), retried["attempts"].as_u64()),
        (Some("delivered"), Some(2))
    );

    // The reply made it pending: a status change.
    assert!(
        events(&received).contains(&"status.changed".to_string()),
        "{:?}",
        events(&received)
    );

    // Buyer–seller conversations never leave.
    app.listing("bakkie", "pieter", "active").await;
    let before = received.lock().unwrap().len();
    app.direct(&alice, "bakkie", "Still for sale?").await;
    assert!(app.deliver().await.is_empty());
    assert_eq!(received.lock().unwrap().len(), before);
}

#[tokio::test]
async fn an_sla_breach_is_delivered_to_subscribers_of_it_only() {
    let app = TestApp::in_memory();
    let (url, received, _) = receiver().await;
    let max = app.token("max", &["manager"]);
    app.post(
        "/v1/admin/webhooks",
        &max,
        json!({"url": url, "events": ["sla.breached"]}),
    )
    .await;
    let alice = app.token("alice", &[]);
    let request = json!({"type": "support", "category": "payment", "subject": "Charged twice", "body": "Refund please"});
    app.post("/v1/conversations", &alice, request).await;
    let breach = app.clock_now() + Duration::hours(5);
    app.clock.set(breach);
    app.system.app.sla_check(breach).await.unwrap();
    assert!(app.deliver().await.is_empty());
    assert_eq!(events(&received), ["sla.breached"]);
}

#[tokio::test]
async fn only_managers_manage_webhooks_and_urls_must_be_https_to_public_hosts() {
    let app = TestApp::in_memory();
    let sam = app.token("sam", &["agent", "team-support"]);
    let request = json!({"url": "https://crm.example.com/hook", "events": ["message.created"]});
    let (code, _) = app.post("/v1/admin/webhooks", &sam, request.clone()).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let max = app.token("max", &["manager"]);
    for (refused, field) in [
        (
            json!({"url": "http://crm.example.com/hook", "events": ["message.created"]}),
            "url:",
        ),
        (
            json!({"url": "https://crm.example.com/hook", "events": ["ad.sold"]}),
            "events[0]",
        ),
    ]
    .into_iter()
    .chain(
        // What the security review got accepted: a user before the host, a name that
        // only starts like this machine's, the metadata service, the VPC.
        [
            "http://127.0.0.1@crm.example.invalid/hook",
            "http://127.0.0.1:1@127.0.0.1:3999/hook",
            "http://localhost.example.invalid/",
            "https://169.254.169.254/latest/meta-data/",
            "https://10.0.0.1/",
        ]
        .map(|url| (json!({"url": url, "events": ["message.created"]}), "url:")),
    ) {
        let (code, error) = app.post("/v1/admin/webhooks", &max, refused).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{error}");
        assert!(error_message(&error).starts_with(field), "{error}");
    }
    let (_, created) = app.post("/v1/admin/webhooks", &max, request).await;
    let path = format!("/v1/admin/webhooks/{}", created["id"].as_str().unwrap());
    let (code, _) = app.call(Method::DELETE, &path, Some(&max), None).await;
    assert_eq!(code, StatusCode::NO_CONTENT);
    let (code, _) = app.call(Method::DELETE, &path, Some(&max), None).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_redirect_is_a_failed_delivery_and_never_followed() {
    let app = TestApp::in_memory();
    let (target, received, _) = receiver().await;
    let redirecting = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let target = target.clone();
            async move { (StatusCode::TEMPORARY_REDIRECT, [("location", target)]) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, redirecting).await.unwrap() });
    let max = app.token("max", &["manager"]);
    let request = json!({"url": url, "events": ["conversation.created"]});
    let (_, created) = app.post("/v1/admin/webhooks", &max, request).await;

    let alice = app.token("alice", &[]);
    app.support(&alice, "general", "How do I renew?").await;
    assert!(app.deliver().await.is_empty());
    let log = deliveries(&app, &max, created["id"].as_str().unwrap()).await;
    assert_eq!(
        (log[0]["state"].as_str(), log[0]["last_result"].as_str()),
        (Some("retrying"), Some("HTTP 307"))
    );
    assert!(
        received.lock().unwrap().is_empty(),
        "the redirect was followed"
    );
}
