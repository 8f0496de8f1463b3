//! The `notify` function's handler on the sample events in events/notify: stream changes
//! of each kind, SES feedback through SNS, and the schedule.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use common::delivery::outbox::{Channel, Outbox};
use common::delivery::{Email, Mailer, SendError};
use common::notifications::Notifier;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};
use tests::TestApp;

const SAMPLE_CONVERSATION: &str = "01JSAMPLECONVERSATION00000";

fn event(name: &str, replace: &[(&str, &str)]) -> Value {
    let path = format!(
        "{}/../events/notify/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    for (from, to) in replace {
        text = text.replace(from, to);
    }
    serde_json::from_str(&text).unwrap()
}

async fn handle(notifier: &Notifier, payload: Value) -> Value {
    notify::handle(notifier, LambdaEvent::new(payload, Context::default()))
        .await
        .unwrap()
}

fn emails_to(outbox: &Outbox, to: &str) -> usize {
    outbox
        .sent()
        .iter()
        .filter(|s| s.channel == Channel::Email && s.to == to)
        .count()
}

#[tokio::test]
async fn stream_feedback_and_schedule_events_do_what_they_say_once() {
    let app = TestApp::in_memory();
    app.get(
        "/v1/admin/conversations",
        &app.token("agent-sam", &["agent", "team-support"]),
    )
    .await;
    let thandi = app.token("thandi", &[]);
    let id = app.support(&thandi, "general", "Charged twice").await;
    app.take_records();
    let ids = [(SAMPLE_CONVERSATION, id.as_str())];
    let notifier = &app.system.notifier;
    let outbox = &app.system.outbox;
    let no_failures = json!({"batchItemFailures": []});

    assert_eq!(
        handle(notifier, event("stream-user-message", &ids)).await,
        no_failures
    );
    assert_eq!(
        emails_to(outbox, "agent-sam@example.co.za"),
        1,
        "the unassigned conversation's team hears of it"
    );
    assert_eq!(
        handle(notifier, event("stream-user-message", &ids)).await,
        no_failures
    );
    assert_eq!(
        emails_to(outbox, "agent-sam@example.co.za"),
        1,
        "a redelivered record sends nothing twice"
    );

    handle(notifier, event("stream-admin-reply", &ids)).await;
    assert_eq!(emails_to(outbox, "thandi@example.co.za"), 1);
    let before = outbox.sent().len();
    for name in [
        "stream-internal-note",
        "stream-conversation-modify",
        "stream-idempotency-expired",
        "stream-rating",
        "stream-rating",
    ] {
        assert_eq!(
            handle(notifier, event(name, &ids)).await,
            no_failures,
            "{name}"
        );
    }
    assert_eq!(
        outbox.sent().len(),
        before,
        "notes, conversation changes, expiries and ratings send nothing"
    );
    let max = app.token("max", &["manager"]);
    let (_, report) = app.get("/v1/admin/reports/2026-11", &max).await;
    assert_eq!(
        report["satisfaction"]["distribution"],
        json!([0, 0, 0, 1, 0]),
        "the rating counted, once though delivered twice"
    );

    assert_eq!(
        handle(notifier, event("ses-bounce", &[])).await,
        json!({"suppressed": 1, "broadcast_bounces": 0})
    );
    assert_eq!(
        handle(notifier, event("ses-complaint", &[])).await,
        json!({"suppressed": 1, "broadcast_bounces": 0})
    );
    let another = [
        (SAMPLE_CONVERSATION, id.as_str()),
        ("01JSAMPLEADMINREPLY0000000", "01JSAMPLEADMINREPLY0000001"),
    ];
    handle(notifier, event("stream-admin-reply", &another)).await;
    assert_eq!(
        emails_to(outbox, "thandi@example.co.za"),
        1,
        "a bounced address gets no more email"
    );
    let (_, notes) = app.get("/v1/notifications", &thandi).await;
    assert_eq!(
        notes["items"].as_array().unwrap().len(),
        2,
        "but still hears in the app"
    );

    assert_eq!(
        handle(notifier, event("schedule", &[])).await,
        json!({"released": 0, "digests": 0, "emails": {"sent": 0, "read": 0}, "webhooks_retried": 0})
    );
}

/// A mailer that is down.
struct Down(AtomicBool);

#[async_trait]
impl Mailer for Down {
    async fn send(&self, _: &Email) -> Result<(), SendError> {
        self.0.store(true, Ordering::SeqCst);
        Err(SendError::Unavailable(anyhow::anyhow!("SES unavailable")))
    }
}

#[tokio::test]
async fn a_record_whose_send_fails_is_reported_as_a_batch_item_failure() {
    let app = TestApp::in_memory();
    app.get(
        "/v1/admin/conversations",
        &app.token("agent-sam", &["agent", "team-support"]),
    )
    .await;
    let id = app
        .support(&app.token("thandi", &[]), "general", "Charged twice")
        .await;
    let base = &app.system.notifier;
    let mailer = Arc::new(Down(AtomicBool::new(false)));
    let notifier = Notifier {
        mailer: mailer.clone(),
        ..(**base).clone()
    };
    let response = handle(
        &notifier,
        event("stream-user-message", &[(SAMPLE_CONVERSATION, &id)]),
    )
    .await;
    assert!(mailer.0.load(Ordering::SeqCst));
    assert_eq!(
        response,
        json!({"batchItemFailures": [{"itemIdentifier": "111100000000000000000001"}]})
    );
    // Once SES is back, the retried record delivers.
    let response = handle(
        base,
        event("stream-user-message", &[(SAMPLE_CONVERSATION, &id)]),
    )
    .await;
    assert_eq!(response, json!({"batchItemFailures": []}));
    assert_eq!(emails_to(&app.system.outbox, "agent-sam@example.co.za"), 1);
}
