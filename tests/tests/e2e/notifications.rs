//! Every stored message reaches the right people by the right channels, once: driven by
//! the embedded table's change feed exactly as the DynamoDB stream drives it on AWS.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use axum::http::{Method, StatusCode};
use chrono::Duration;
use common::delivery::outbox::{Channel, Outbox, Sent};
use common::delivery::{Email, Mailer, SendError, Sms, TextMessage};
use common::notifications::Notifier;
use common::store::table::StreamRecord;
use serde_json::{Value, json};
use tests::{TestApp, error_message};

const SUPPORT_AGENT: &[&str] = &["agent", "team-support"];

fn sent(app: &TestApp, channel: Channel, to: &str) -> Vec<Sent> {
    app.system
        .outbox
        .sent()
        .into_iter()
        .filter(|s| s.channel == channel && s.to == to)
        .collect()
}

/// Sam is on the support team, Alice writes to it: the app, and the changes her
/// message made, not yet delivered.
async fn alice_writes_to_sam(category: &str, body: &str) -> (TestApp, Vec<StreamRecord>) {
    let app = TestApp::in_memory();
    agent(&app, "sam").await;
    let alice = app.token("alice", &[]);
    app.support(&alice, category, body).await;
    let records = app.take_records();
    (app, records)
}

/// What Sam has been sent so far: (emails, text messages). The tests' tokens all carry
/// one phone number, and Sam is the only agent.
fn sent_to_sam(app: &TestApp) -> (usize, usize) {
    (
        sent(app, Channel::Email, "sam@example.co.za").len(),
        sent(app, Channel::Sms, "+27821234567").len(),
    )
}

/// Sends what quiet hours held, as the schedule does now; how many went.
async fn release_held(app: &TestApp) -> usize {
    app.system
        .notifier
        .release_held(app.clock_now())
        .await
        .unwrap()
}

/// Agents join their team's directory on their first queue call.
async fn agent(app: &TestApp, sub: &str) -> String {
    let token = app.token(sub, SUPPORT_AGENT);
    let (code, _) = app.get("/v1/admin/conversations", &token).await;
    assert_eq!(code, StatusCode::OK);
    token
}

#[tokio::test]
async fn a_user_message_reaches_the_team_by_app_and_email_and_by_sms_when_urgent() {
    let app = TestApp::in_memory();
    agent(&app, "sam").await;
    agent(&app, "thabo").await;
    let alice = app.token("alice", &[]);
    app.support(&alice, "general", "How do I renew my ad?")
        .await;
    assert!(app.deliver().await.is_empty());
    for agent in ["sam", "thabo"] {
        let email = sent(&app, Channel::Email, &format!("{agent}@example.co.za"));
        assert_eq!(email.len(), 1, "{agent}");
        assert_eq!(email[0].subject.as_deref(), Some("New message: Help"));
        assert!(email[0].body.contains("How do I renew my ad?"));
        assert!(
            email[0]
                .body
                .contains("http://127.0.0.1:3000/admin/messages/")
        );
    }
    assert!(
        sent(&app, Channel::Sms, "+27821234567").is_empty(),
        "not urgent: no SMS"
    );

    app.support(&alice, "account", "I am locked out").await;
    app.deliver().await;
    let sms = sent(&app, Channel::Sms, "+27821234567");
    assert_eq!(sms.len(), 2, "each agent of the team, once: {sms:?}");
    assert!(sms[0].body.starts_with("SayPro: URGENT message") && sms[0].body.len() <= 160);
    assert!(
        !sms[0].body.contains("locked out"),
        "no message body by SMS"
    );
}

#[tokio::test]
async fn the_assignee_alone_hears_of_user_messages_and_the_user_of_replies_but_not_of_notes() {
    let app = TestApp::in_memory();
    let sam = agent(&app, "sam").await;
    agent(&app, "thabo").await;
    let alice = app.token("alice", &[]);
    let id = app.support(&alice, "general", "first").await;
    app.patch(
        &format!("/v1/admin/conversations/{id}"),
        &sam,
        json!({"assignee": "me"}),
    )
    .await;
    app.deliver().await;
    let before = app.system.outbox.sent().len();

    app.post_message(&alice, &id, "second").await;
    app.deliver().await;
    let new: Vec<Sent> = app.system.outbox.sent().split_off(before);
    assert_eq!(new.len(), 1, "{new:?}");
    assert_eq!(new[0].to, "sam@example.co.za");

    app.post_reply(&sam, &id, json!({"body": "note", "internal": true}))
        .await;
    app.deliver().await;
    assert_eq!(
        app.system.outbox.sent().len(),
        before + 1,
        "an internal note notifies nobody"
    );

    app.post_reply(&sam, &id, json!({"body": "Open My Ads"}))
        .await;
    app.deliver().await;
    let to_alice = sent(&app, Channel::Email, "alice@example.co.za");
    assert_eq!(to_alice.len(), 1);
    assert_eq!(
        to_alice[0].subject.as_deref(),
        Some("SayPro Support replied: Help")
    );
    assert!(
        to_alice[0]
            .html
            .as_deref()
            .unwrap()
            .contains("Stop these emails")
    );
    assert!(
        sent(&app, Channel::Sms, "+27821234567").is_empty(),
        "users get no SMS"
    );
}

#[tokio::test]
async fn a_direct_message_reaches_the_other_party() {
    let app = TestApp::in_memory();
    let (buyer, seller) = (app.token("buyer", &[]), app.token("seller", &[]));
    app.listing("car", "seller", "active").await;
    let id = app.direct(&buyer, "car", "Is it available?").await;
    app.deliver().await;
    let (_, notes) = app.get("/v1/notifications", &seller).await;
    assert_eq!(
        notes["items"][0]["kind"], "direct_message",
        "in-app even before we know the seller's email"
    );
    assert!(sent(&app, Channel::Email, "seller@example.co.za").is_empty());
    app.post_message(&seller, &id, "Yes").await;
    app.post_message(&buyer, &id, "Great").await;
    app.deliver().await;
    assert_eq!(
        sent(&app, Channel::Email, "seller@example.co.za").len(),
        1,
        "the seller's address is known once they write"
    );
    assert_eq!(sent(&app, Channel::Email, "buyer@example.co.za").len(), 1);
}

#[tokio::test]
async fn a_record_processed_twice_sends_nothing_twice() {
    let (app, records) = alice_writes_to_sam("general", "charged twice").await;
    assert!(app.system.notifier.process(&records).await.is_empty());
    assert!(app.system.notifier.process(&records).await.is_empty());
    assert_eq!(sent(&app, Channel::Email, "sam@example.co.za").len(), 1);
    let (_, notes) = app
        .get("/v1/notifications", &app.token("sam", SUPPORT_AGENT))
        .await;
    assert_eq!(notes["items"].as_array().unwrap().len(), 1);
}

/// A provider that fails the first `failures` sends, then delivers to the outbox.
struct Flaky {
    failures: AtomicUsize,
    outbox: Arc<Outbox>,
}

impl Flaky {
    /// Fails (as an outage would) while failures remain.
    fn outage(&self, provider: &str) -> Result<(), SendError> {
        match self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        {
            Ok(_) => Err(SendError::Unavailable(anyhow::anyhow!(
                "{provider} is unavailable"
            ))),
            Err(_) => Ok(()),
        }
    }
}

#[async_trait]
impl Mailer for Flaky {
    async fn send(&self, email: &Email) -> Result<(), SendError> {
        self.outage("SES")?;
        Mailer::send(self.outbox.as_ref(), email).await
    }
}

#[async_trait]
impl Sms for Flaky {
    async fn send(&self, message: &TextMessage) -> Result<(), SendError> {
        self.outage("SNS")?;
        Sms::send(self.outbox.as_ref(), message).await
    }
}

#[tokio::test]
async fn failed_sends_are_retried_until_delivered_and_never_doubled() {
    let (app, records) = alice_writes_to_sam("account", "locked out").await;
    let base = &app.system.notifier;
    let mailer = Arc::new(Flaky {
        failures: AtomicUsize::new(2),
        outbox: base_outbox(&app),
    });
    let sms = Arc::new(Flaky {
        failures: AtomicUsize::new(1),
        outbox: base_outbox(&app),
    });
    let notifier = Notifier {
        mailer,
        sms,
        ..(**base).clone()
    };

    let failed = notifier.process(&records).await;
    assert_eq!(
        failed.len(),
        1,
        "the message's record fails and will be retried"
    );
    assert_eq!(sent_to_sam(&app), (0, 0));
    let failed = notifier.process(&records).await;
    assert_eq!(failed.len(), 1, "still failing email");
    assert_eq!(sent_to_sam(&app).1, 1, "the SMS went on the retry");
    assert!(notifier.process(&records).await.is_empty());
    assert!(notifier.process(&records).await.is_empty());
    assert_eq!(
        sent_to_sam(&app),
        (1, 1),
        "the email delivered once in the end, and the SMS never twice"
    );
}

fn base_outbox(app: &TestApp) -> Arc<Outbox> {
    app.system.outbox.clone()
}

#[tokio::test]
async fn preferences_turn_email_off_and_quiet_hours_hold_sms_until_morning() {
    let app = TestApp::in_memory();
    let sam = agent(&app, "sam").await;
    let (code, defaults) = app.get("/v1/me/preferences", &sam).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(
        defaults,
        json!({"email": true, "sms": "urgent", "quiet_hours": null, "time_zone": "Africa/Johannesburg", "digest": false, "email_timing": "when_unread"})
    );
    let quiet = json!({"email": false, "sms": "all", "quiet_hours": {"start": "22:00", "end": "07:00"}, "time_zone": "Africa/Johannesburg"});
    let (code, saved) = app
        .call(Method::PUT, "/v1/me/preferences", Some(&sam), Some(quiet))
        .await;
    assert_eq!(code, StatusCode::OK, "{saved}");

    // 23:30 in Johannesburg.
    app.clock
        .set(tests::tuesday_morning() + Duration::hours(14) + Duration::minutes(30));
    let alice = app.token("alice", &[]);
    app.support(&alice, "general", "late question").await;
    app.deliver().await;
    assert_eq!(
        sent_to_sam(&app),
        (0, 0),
        "email is off, and the SMS held for quiet hours"
    );
    assert_eq!(release_held(&app).await, 0);
    app.clock.advance(Duration::hours(8));
    assert_eq!(release_held(&app).await, 1);
    assert_eq!(sent_to_sam(&app).1, 1);
    assert_eq!(release_held(&app).await, 0, "sent once");

    for (body, field) in [
        (json!({"time_zone": "Mars/Olympus"}), "time_zone"),
        (
            json!({"quiet_hours": {"start": "25:00", "end": "07:00"}}),
            "quiet_hours",
        ),
        (json!({"colour": "red"}), "colour"),
    ] {
        let (code, error) = app
            .call(Method::PUT, "/v1/me/preferences", Some(&sam), Some(body))
            .await;
        assert_eq!(code, StatusCode::BAD_REQUEST);
        assert!(error_message(&error).contains(field), "{error}");
    }
    let (code, error) = app
        .call(
            Method::PUT,
            "/v1/me/preferences",
            Some(&alice),
            Some(json!({"sms": "all"})),
        )
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "users get no SMS: {error}");
}

#[tokio::test]
async fn in_app_notifications_list_newest_or_unread_first_and_are_marked_read() {
    let app = TestApp::in_memory();
    let sam = app.token("sam", SUPPORT_AGENT);
    let alice = app.token("alice", &[]);
    let id = app.support(&alice, "general", "q").await;
    let mut replies = Vec::new();
    for n in 0..3 {
        app.clock.advance(Duration::minutes(1));
        let answer = json!({"body": format!("answer {n}"), "status": "open"});
        let (_, reply) = app.post_reply(&sam, &id, answer).await;
        replies.push(reply["id"].as_str().unwrap().to_string());
    }
    app.deliver().await;
    let ids = |page: &Value| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let (_, newest) = app.get("/v1/notifications", &alice).await;
    assert_eq!(
        ids(&newest),
        [replies[2].clone(), replies[1].clone(), replies[0].clone()]
    );
    let (_, counts) = app.get("/v1/notifications/unread-counts", &alice).await;
    assert_eq!(
        counts,
        json!({"total": 3, "conversations": {id.clone(): 3}})
    );

    let mark_read = async |token: &str, notification: &str| {
        let path = format!("/v1/notifications/{notification}/read");
        app.post(&path, token, json!({})).await.0
    };
    assert_eq!(mark_read(&alice, &replies[2]).await, StatusCode::NO_CONTENT);
    let (_, unread_first) = app
        .get("/v1/notifications?order=unread_first&limit=2", &alice)
        .await;
    assert_eq!(ids(&unread_first), [replies[1].clone(), replies[0].clone()]);
    let cursor = unread_first["next_cursor"].as_str().unwrap();
    let (_, rest) = app
        .get(
            &format!("/v1/notifications?order=unread_first&limit=2&cursor={cursor}"),
            &alice,
        )
        .await;
    assert_eq!(ids(&rest), [replies[2].clone()]);
    assert_eq!(rest["items"][0]["read"], true);

    assert_eq!(
        mark_read(&sam, &replies[0]).await,
        StatusCode::NOT_FOUND,
        "not sam's notification"
    );
    let (_, marked) = app
        .post("/v1/notifications/read-all", &alice, json!({}))
        .await;
    assert_eq!(marked, json!({"marked": 2}));
    let (_, counts) = app.get("/v1/notifications/unread-counts", &alice).await;
    assert_eq!(counts["total"], 0);
}

#[tokio::test]
async fn past_the_daily_cap_no_sms_goes_out_but_email_still_does() {
    let app = TestApp::in_memory();
    agent(&app, "sam").await;
    let alice = app.token("alice", &[]);
    let base = &app.system.notifier;
    let mut notifier = (**base).clone();
    notifier.config.sms_daily_cap = 1;
    app.support(&alice, "account", "locked out").await;
    app.support(&alice, "account", "still locked out").await;
    assert!(
        notifier.process(&app.take_records()).await.is_empty(),
        "a capped SMS is not retried"
    );
    assert_eq!(sent(&app, Channel::Sms, "+27821234567").len(), 1);
    assert_eq!(sent(&app, Channel::Email, "sam@example.co.za").len(), 2);
}

#[tokio::test]
async fn a_digest_collects_the_days_messages_into_one_email_at_six() {
    let app = TestApp::in_memory();
    let alice = app.token("alice", &[]);
    let sam = app.token("sam", SUPPORT_AGENT);
    let (code, _) = app
        .call(
            Method::PUT,
            "/v1/me/preferences",
            Some(&alice),
            Some(json!({"digest": true})),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    let id = app.support(&alice, "general", "q").await;
    for body in ["Open My Ads", "Then choose Renew"] {
        app.post(
            &format!("/v1/admin/conversations/{id}/replies"),
            &sam,
            json!({"body": body, "status": "open"}),
        )
        .await;
    }
    assert!(app.deliver().await.is_empty());
    assert!(
        sent(&app, Channel::Email, "alice@example.co.za").is_empty(),
        "no email per message"
    );
    let notifier = &app.system.notifier;
    assert_eq!(
        notifier.send_digests(app.clock_now()).await.unwrap(),
        0,
        "09:00: not yet"
    );
    app.clock.advance(Duration::hours(9));
    assert_eq!(
        notifier.send_digests(app.clock_now()).await.unwrap(),
        1,
        "18:00 local"
    );
    let digest = sent(&app, Channel::Email, "alice@example.co.za");
    assert_eq!(digest.len(), 1);
    assert_eq!(
        digest[0].subject.as_deref(),
        Some("Your SayPro messages: 2 new")
    );
    assert!(digest[0].body.contains("Open My Ads") && digest[0].body.contains("Then choose Renew"));
    assert_eq!(
        notifier.send_digests(app.clock_now()).await.unwrap(),
        0,
        "each digest once"
    );
}

#[tokio::test]
async fn the_dev_server_notifies_from_its_change_feed_and_shows_the_outbox() {
    let mut app = TestApp::in_memory();
    app.spawn_stream_consumers();
    agent(&app, "sam").await;
    app.support(&app.token("alice", &[]), "general", "Is anyone there?")
        .await;
    let mut outbox = Value::Null;
    for _ in 0..100 {
        outbox = app.call(Method::GET, "/local/outbox", None, None).await.1;
        if !outbox["items"].as_array().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let items = outbox["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{outbox}");
    assert_eq!(items[0]["channel"], "email");
    assert_eq!(items[0]["to"], "sam@example.co.za");
    assert_eq!(items[0]["subject"], "New message: Help");
}

#[tokio::test]
async fn an_agent_joins_the_directory_once_per_instance_while_their_claims_stay_the_same() {
    let app = TestApp::in_memory();
    let sam = agent(&app, "sam").await;
    let before = app.table.metrics().snapshot();
    app.get("/v1/admin/conversations", &sam).await;
    let used = app.table.metrics().snapshot() - before;
    assert_eq!(
        used.write_units, 0,
        "an unchanged agent's queue call writes nothing"
    );
    // New claims (another team) are written again, and notifications follow them.
    let (code, _) = app
        .get(
            "/v1/admin/conversations",
            &app.token("sam", &["agent", "team-billing"]),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    app.support(&app.token("alice", &[]), "payment", "refund")
        .await;
    app.deliver().await;
    assert_eq!(
        sent(&app, Channel::Email, "sam@example.co.za").len(),
        1,
        "billing reaches sam now"
    );
}
