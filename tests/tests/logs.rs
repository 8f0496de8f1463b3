//! Logs never carry message bodies, emails or phone numbers (POPIA: personal information
//! stays out of CloudWatch), whatever happens in a full scenario. Its own test binary:
//! it captures every log line of the process, so no other suite may run beside it.

use std::sync::{Arc, Mutex};

use serde_json::json;
use tests::TestApp;

/// A log sink the test can read.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn logs_never_carry_message_bodies_emails_or_phone_numbers() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .finish();
    // Global, and alone in its test binary: tracing caches per-callsite interest across
    // threads, so a thread-scoped subscriber could miss events.
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let app = TestApp::in_memory();
    let (alice, seller) = (app.token("alice", &[]), app.token("seller", &[]));
    let sam = app.token("sam", &["agent", "team-support"]);
    let secret_body = "Call me on 082 555 0101 or thandi.private@example.org about PIN 4411";
    app.listing("L1", "seller", "active").await;
    let id = app.support(&alice, "account", secret_body).await;
    app.post(
        &format!("/v1/conversations/{id}/messages"),
        &alice,
        json!({"body": secret_body}),
    )
    .await;
    app.post(
        &format!("/v1/admin/conversations/{id}/replies"),
        &sam,
        json!({"body": format!("Re: {secret_body}")}),
    )
    .await;
    app.post(
        &format!("/v1/admin/conversations/{id}/replies"),
        &sam,
        json!({"body": secret_body, "internal": true}),
    )
    .await;
    let direct = app.direct(&alice, "L1", secret_body).await;
    app.post(
        &format!("/v1/conversations/{direct}/messages"),
        &seller,
        json!({"body": secret_body}),
    )
    .await;
    app.get(&format!("/v1/conversations/{id}/messages"), &alice)
        .await;
    app.get("/v1/admin/conversations", &sam).await;
    // Failures log too: bad input, and someone else's conversation.
    app.post(
        &format!("/v1/conversations/{id}/messages"),
        &seller,
        json!({"body": secret_body}),
    )
    .await;
    app.post(
        "/v1/conversations",
        &alice,
        json!({"type": "support", "body": secret_body}),
    )
    .await;

    // One message followed from its request to notify, by its request id. A caller's
    // id that could carry anything into the logs (an email here) is not taken.
    let (_, answered, _) = app
        .exchange(
            axum::http::Method::POST,
            &format!("/v1/conversations/{id}/messages"),
            Some(&alice),
            Some(json!({"body": secret_body})),
            &[("x-request-id", "thandi.private@example.org")],
        )
        .await;
    let request_id = answered["x-request-id"].to_str().unwrap().to_string();
    assert!(
        request_id.len() <= 64
            && request_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{request_id}"
    );

    // Notifications too, with providers whose errors quote the address they refused.
    assert!(app.deliver().await.is_empty());
    let base = &app.system.notifier;
    let notifier = common::notifications::Notifier {
        mailer: Arc::new(Refusing),
        sms: Arc::new(Refusing),
        ..(**base).clone()
    };
    app.get("/v1/admin/conversations", &sam).await;
    app.support(&alice, "account", secret_body).await;
    notifier.process(&app.take_records()).await;

    // Moderation, broadcasts and erasure, with the secret in every text they carry.
    let mpho = app.token("mpho", &["moderator"]);
    let max = app.token("max", &["manager"]);
    app.post(
        &format!("/v1/conversations/{direct}/messages"),
        &seller,
        json!({"body": format!("{secret_body}; pay a deposit first")}),
    )
    .await;
    let (_, report) = app
        .post(
            &format!("/v1/conversations/{direct}/reports"),
            &alice,
            json!({"reason": "scam", "comment": secret_body}),
        )
        .await;
    let report = report["id"].as_str().unwrap();
    app.get(&format!("/v1/admin/moderation/reports/{report}"), &mpho)
        .await;
    app.post(
        &format!("/v1/admin/moderation/reports/{report}/close"),
        &mpho,
        json!({"outcome": "user_blocked", "note": secret_body}),
    )
    .await;
    app.post(
        "/v1/admin/users/seller/warn",
        &mpho,
        json!({"message": secret_body}),
    )
    .await;
    app.post(
        "/v1/admin/broadcasts",
        &max,
        json!({"subject": "News", "body": secret_body, "segment": {"kind": "users", "user_ids": ["alice"]}}),
    )
    .await;
    assert!(app.run_stream().await.is_empty());
    app.call(
        axum::http::Method::DELETE,
        "/v1/me/messages",
        Some(&alice),
        None,
    )
    .await;

    // The SLA check, with its metrics (off Lambda, their EMF lines are debug log lines).
    let now = app.system.app.clock.now() + chrono::Duration::days(3);
    app.system.app.sla_check(now).await.unwrap();
    app.run_stream().await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains(r#"\"Heartbeat\":1"#) && logs.contains(r#"\"MessagesStored\":"#),
        "the SLA check's and notify's metrics were logged"
    );
    assert!(
        logs.contains("close_report") && logs.contains("erase_messages"),
        "the moderation and erasure were logged"
    );
    assert!(
        logs.contains("create_conversation") && logs.contains("reply"),
        "the scenario was logged: {logs}"
    );
    assert!(
        logs.contains("provider refused the notification"),
        "the notify path was logged"
    );
    let followed: Vec<&str> = logs.lines().filter(|l| l.contains(&request_id)).collect();
    assert!(
        followed.iter().any(|l| l.contains(r#""name":"request""#)),
        "the request's lines carry its id: {followed:?}"
    );
    assert!(
        followed.iter().any(|l| l.contains(r#""name":"record""#)),
        "notify's lines for the message carry the request's id: {followed:?}"
    );
    for secret in [
        "082 555 0101",
        "thandi.private",
        "example.org",
        "PIN 4411",
        "@example.co.za",
        "+27821234567",
        "Call me",
    ] {
        assert!(!logs.contains(secret), "the logs contain {secret:?}");
    }
}

/// SES and SNS refusing, in their own words, which quote the recipient.
struct Refusing;

#[async_trait::async_trait]
impl common::delivery::Mailer for Refusing {
    async fn send(
        &self,
        email: &common::delivery::Email,
    ) -> Result<(), common::delivery::SendError> {
        Err(common::delivery::SendError::Rejected(format!(
            "MessageRejected: Email address is not verified: {}",
            email.to
        )))
    }
}

#[async_trait::async_trait]
impl common::delivery::Sms for Refusing {
    async fn send(
        &self,
        message: &common::delivery::TextMessage,
    ) -> Result<(), common::delivery::SendError> {
        Err(common::delivery::SendError::Unavailable(anyhow::anyhow!(
            "throttled sending to {}",
            message.to
        )))
    }
}
