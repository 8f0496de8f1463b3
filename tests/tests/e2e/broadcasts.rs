//! Broadcasts end to end: the website syncs its users, a manager sends to a segment, the
//! fan-out runs from the stream (not in the request), each recipient gets a conversation
//! from SayPro Support they can answer, progress shows, and a cancel stops it.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::http::{Method, StatusCode};
use common::messaging::{AccountSource, UserAccount};
use common::store::account_write;
use common::store::table::embedded::EmbeddedTable;
use common::store::table::{Condition, Key, Table, TableError, WriteOp};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};
use tests::{Interleaved, TestApp};

const SAMPLE_BROADCAST: &str = "01JSAMPLEBROADCAST00000000";

fn user_id(i: usize) -> String {
    format!("u{i:03}")
}

/// Users as the website syncs them: every third premium, the rest basic; even ones in
/// Cape Town, odd ones in Durban.
async fn sync_users(app: &TestApp, count: usize) {
    let website = app.token("website", &["service"]);
    for i in 0..count {
        let id = user_id(i);
        let body = json!({
            "name": format!("User {i}"),
            "email": format!("{id}@example.co.za"),
            "tier": if i % 3 == 0 { "Premium" } else { "basic" },
            "location": if i % 2 == 0 { "Cape Town" } else { "Durban" },
        });
        let (code, reply) = app
            .call(
                Method::PUT,
                &format!("/v1/users/{id}"),
                Some(&website),
                Some(body),
            )
            .await;
        assert_eq!(code, StatusCode::OK, "{reply}");
    }
}

fn manager(app: &TestApp) -> String {
    app.token("max", &["manager"])
}

async fn send_broadcast(app: &TestApp, subject: &str, segment: Value) -> String {
    let body = json!({"subject": subject, "body": "SayPro now has messaging: write to sellers and to us.", "segment": segment});
    let (code, created) = app.post("/v1/admin/broadcasts", &manager(app), body).await;
    assert_eq!(code, StatusCode::ACCEPTED, "{created}");
    assert_eq!(created["status"], "queued");
    created["id"].as_str().unwrap().to_string()
}

/// What the broadcast form shows before sending: how many a segment would reach.
async fn reach(app: &TestApp, segment: Value) -> (u64, bool) {
    let body = json!({"segment": segment});
    let (code, reach) = app
        .post("/v1/admin/broadcasts/reach", &manager(app), body)
        .await;
    assert_eq!(code, StatusCode::OK, "{reach}");
    (
        reach["recipients"].as_u64().unwrap(),
        reach["capped"].as_bool().unwrap(),
    )
}

async fn progress(app: &TestApp, id: &str) -> Value {
    let (code, broadcast) = app
        .get(&format!("/v1/admin/broadcasts/{id}"), &manager(app))
        .await;
    assert_eq!(code, StatusCode::OK, "{broadcast}");
    broadcast
}

/// The conversations in `user`'s inbox with this subject.
async fn inbox_with(app: &TestApp, user: &str, subject: &str) -> Vec<Value> {
    let (code, listed) = app
        .get("/v1/conversations?limit=100", &app.token(user, &[]))
        .await;
    assert_eq!(code, StatusCode::OK, "{listed}");
    listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["subject"] == subject)
        .cloned()
        .collect()
}

/// Which of `users` got the broadcast with this subject (each at most once).
async fn recipients(app: &TestApp, users: &[String], subject: &str) -> BTreeSet<String> {
    let mut got = BTreeSet::new();
    for user in users {
        match inbox_with(app, user, subject).await.len() {
            0 => {}
            1 => {
                got.insert(user.clone());
            }
            n => panic!("{user} got the broadcast {n} times"),
        }
    }
    got
}

/// Steps a broadcast to its end directly, as the stream would (for tables with no feed).
async fn step_to_end(app: &TestApp, id: &str) {
    for _ in 0..50 {
        if !app.system.app.broadcast_step(id).await.unwrap().is_active() {
            return;
        }
    }
    panic!("the broadcast never finished");
}

#[tokio::test]
async fn announcing_messaging_to_every_user_reaches_each_once_in_the_background_and_they_can_reply()
{
    let app = TestApp::in_memory();
    sync_users(&app, 230).await;
    // Known only from messaging: she started a conversation, the website never synced her.
    app.support(&app.token("lindiwe", &[]), "general", "Hello")
        .await;
    assert!(app.run_stream().await.is_empty());

    let subject = "Messaging is here";
    let id = send_broadcast(&app, subject, json!({"kind": "all"})).await;
    assert!(
        inbox_with(&app, "u001", subject).await.is_empty(),
        "the request only queues it"
    );
    assert!(app.run_stream().await.is_empty());

    let done = progress(&app, &id).await;
    assert_eq!(done["status"], "sent", "{done}");
    assert_eq!(
        (done["sent"].as_u64(), done["failed"].as_u64()),
        (Some(231), Some(0))
    );
    assert!(done["started_at"].is_string() && done["finished_at"].is_string());
    let mut everyone: Vec<String> = (0..230).map(user_id).collect();
    everyone.push("lindiwe".into());
    assert_eq!(
        recipients(&app, &everyone, subject).await.len(),
        231,
        "each user once"
    );

    let conversation = &inbox_with(&app, "u007", subject).await[0];
    assert_eq!(conversation["created_by"], "saypro-support");
    assert_eq!(conversation["status"], "pending");
    assert_eq!(conversation["unread_count"], 1);
    let cid = conversation["id"].as_str().unwrap();
    let u007 = app.token("u007", &[]);
    let (_, messages) = app
        .get(&format!("/v1/conversations/{cid}/messages"), &u007)
        .await;
    let message = &messages["items"][0];
    assert_eq!(message["sender_id"], "saypro-support");
    assert_eq!(message["sender_role"], "admin");
    assert_eq!(message["broadcast_id"], id.as_str());
    assert!(
        app.system
            .outbox
            .sent()
            .iter()
            .any(|s| s.to == "u007@example.co.za"
                && s.subject.as_deref() == Some("From SayPro Support: Messaging is here")),
        "notify emailed it as an announcement"
    );

    // Nobody owes an answer yet: no queue shows the broadcast's conversations.
    let senior = app.token("sue", &["senior"]);
    let (_, pending) = app
        .get("/v1/admin/conversations?status=pending&limit=100", &senior)
        .await;
    assert!(
        pending["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["subject"] != subject),
        "{pending}"
    );
    let (code, _) = app
        .get(&format!("/v1/admin/conversations/{cid}"), &senior)
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);

    // The user answers: the conversation is routed to a team and its clock starts.
    let (code, reply) = app
        .post(
            &format!("/v1/conversations/{cid}/messages"),
            &u007,
            json!({"body": "How do I message a seller?"}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{reply}");
    let agent = app.token("agent-sam", &["agent", "team-support"]);
    let (code, routed) = app
        .get(&format!("/v1/admin/conversations/{cid}"), &agent)
        .await;
    assert_eq!(code, StatusCode::OK, "{routed}");
    assert_eq!(routed["team"], "support");
    assert_eq!(routed["status"], "open");
    assert!(routed["sla"]["first_response_due"].is_string(), "{routed}");
    let (_, queue) = app.get("/v1/admin/conversations", &agent).await;
    assert!(
        queue["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == cid)
    );
}

#[tokio::test]
async fn each_segment_reaches_exactly_its_users_as_counted_beforehand() {
    let app = TestApp::in_memory();
    sync_users(&app, 12).await;
    app.listing("L1", "seller-sipho", "active").await; // vehicles, Pretoria
    let website = app.token("website", &["service"]);
    let property = json!({"title": "Flat", "seller_id": "seller-zola", "category": "Property", "location": "Cape Town", "status": "active"});
    app.call(
        Method::PUT,
        "/v1/listings/L2",
        Some(&website),
        Some(property),
    )
    .await;
    app.direct(&app.token("ann", &[]), "L1", "Is it available?")
        .await;
    let ben = app.token("ben", &[]);
    let (code, _) = app
        .post(
            "/v1/conversations",
            &ben,
            json!({"type": "support", "category": "general", "subject": "Ad", "body": "My flat ad", "listing_id": "L2"}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED);
    app.support(&app.token("cat", &[]), "general", "No listing")
        .await;
    assert!(app.run_stream().await.is_empty());

    let mut everyone: Vec<String> = (0..12).map(user_id).collect();
    everyone.extend(["ann", "ben", "cat", "ghost"].map(String::from));
    let registered: Vec<&str> = everyone[..15].iter().map(String::as_str).collect();
    let cases = [
        ("everyone", json!({"kind": "all"}), registered),
        (
            "premium",
            json!({"kind": "tier", "tier": "PREMIUM"}),
            vec!["u000", "u003", "u006", "u009"],
        ),
        (
            "vehicles",
            json!({"kind": "listing_category", "category": "Vehicles"}),
            vec!["ann"],
        ),
        (
            "cape town",
            json!({"kind": "location", "location": "cape town"}),
            vec!["ben"],
        ),
        (
            "listed",
            json!({"kind": "users", "user_ids": ["u001", "ghost", "u001"]}),
            vec!["ghost", "u001"],
        ),
    ];
    for (subject, segment, expected) in cases {
        assert_eq!(
            reach(&app, segment.clone()).await,
            (expected.len() as u64, false),
            "{subject}"
        );
        let id = send_broadcast(&app, subject, segment).await;
        assert!(app.run_stream().await.is_empty());
        let expected: BTreeSet<String> = expected.into_iter().map(String::from).collect();
        assert_eq!(
            recipients(&app, &everyone, subject).await,
            expected,
            "{subject}"
        );
        let done = progress(&app, &id).await;
        assert_eq!(done["status"], "sent");
        assert_eq!(
            done["sent"].as_u64(),
            Some(expected.len() as u64),
            "{subject}"
        );
    }
}

#[tokio::test]
async fn a_cancelled_broadcast_stops_where_it_is_and_a_sent_one_cannot_be_cancelled() {
    let app = TestApp::in_memory();
    sync_users(&app, 230).await;
    let subject = "Weekend maintenance";
    let id = send_broadcast(&app, subject, json!({"kind": "all"})).await;
    let first = app.system.app.broadcast_step(&id).await.unwrap();
    let reached = first.sent;
    assert!(reached > 0 && first.is_active(), "{first:?}");

    let path = format!("/v1/admin/broadcasts/{id}/cancel");
    let (code, cancelled) = app.post(&path, &manager(&app), json!({})).await;
    assert_eq!(code, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["cancelled_by"], "max");
    assert!(app.run_stream().await.is_empty());
    let after = progress(&app, &id).await;
    assert_eq!(after["status"], "cancelled");
    assert_eq!(after["sent"].as_u64(), Some(u64::from(reached)));
    let everyone: Vec<String> = (0..230).map(user_id).collect();
    assert_eq!(
        recipients(&app, &everyone, subject).await.len(),
        reached as usize,
        "nobody else got it"
    );
    let (code, again) = app.post(&path, &manager(&app), json!({})).await;
    assert_eq!(
        (code, &again["status"]),
        (StatusCode::OK, &json!("cancelled"))
    );

    let sent = send_broadcast(&app, "Done", json!({"kind": "users", "user_ids": ["u001"]})).await;
    assert!(app.run_stream().await.is_empty());
    let (code, error) = app
        .post(
            &format!("/v1/admin/broadcasts/{sent}/cancel"),
            &manager(&app),
            json!({}),
        )
        .await;
    assert_eq!(code, StatusCode::CONFLICT, "{error}");
    let (code, _) = app
        .post(
            "/v1/admin/broadcasts/nope/cancel",
            &manager(&app),
            json!({}),
        )
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_step_run_twice_at_once_delivers_and_counts_once() {
    let table = Arc::new(Interleaved::new(Arc::new(EmbeddedTable::in_memory())));
    let app = TestApp::on(table.clone());
    sync_users(&app, 150).await;
    let subject = "Twice";
    let id = send_broadcast(&app, subject, json!({"kind": "all"})).await;
    // A redelivered stream record: the same step runs whole between the first run's
    // read and its first write.
    let (other, other_id) = (app.system.app.clone(), id.clone());
    table.before_next_write(Box::new(move || {
        Box::pin(async move {
            other.broadcast_step(&other_id).await.unwrap();
        })
    }));
    let first = app.system.app.broadcast_step(&id).await.unwrap();
    assert!(table.hook_ran());
    step_to_end(&app, &id).await;
    let done = progress(&app, &id).await;
    assert_eq!(
        done["sent"].as_u64(),
        Some(150),
        "{done} (first run: {first:?})"
    );
    let everyone: Vec<String> = (0..150).map(user_id).collect();
    assert_eq!(recipients(&app, &everyone, subject).await.len(), 150);
}

/// Picks the writes that fail.
type FailWhen = Box<dyn Fn(&[WriteOp]) -> bool + Send + Sync>;

/// An embedded table on which the writes `fails` picks fail, as if throttled.
struct Failing {
    inner: EmbeddedTable,
    fails: FailWhen,
}

/// Whether `ops` put an item whose partition and sort keys start so.
fn puts(ops: &[WriteOp], pk_prefix: &str, sk_prefix: &str) -> bool {
    let text = |item: &common::store::table::Item, attr: &str| {
        item.get(attr)
            .and_then(|v| v.as_s())
            .unwrap_or_default()
            .to_string()
    };
    ops.iter().any(|op| match op {
        WriteOp::Put { item, .. } => {
            text(item, "pk").starts_with(pk_prefix) && text(item, "sk").starts_with(sk_prefix)
        }
        _ => false,
    })
}

#[async_trait::async_trait]
impl Table for Failing {
    async fn get(
        &self,
        key: &Key,
        consistent: bool,
    ) -> Result<Option<common::store::table::Item>, TableError> {
        self.inner.get(key, consistent).await
    }
    async fn query(
        &self,
        query: &common::store::table::Query,
    ) -> Result<common::store::table::Page, TableError> {
        self.inner.query(query).await
    }
    async fn write(&self, ops: Vec<WriteOp>) -> Result<(), TableError> {
        if (self.fails)(&ops) {
            return Err(TableError::Unexpected(anyhow::anyhow!("throttled")));
        }
        self.inner.write(ops).await
    }
    fn metrics(&self) -> &common::store::table::TableMetrics {
        self.inner.metrics()
    }
}

#[tokio::test]
async fn a_recipient_that_cannot_be_written_is_counted_failed_and_the_rest_still_get_it() {
    let app = TestApp::on(Arc::new(Failing {
        inner: EmbeddedTable::in_memory(),
        fails: Box::new(|ops| puts(ops, "USER#u003", "CONV#")),
    }));
    sync_users(&app, 20).await;
    let id = send_broadcast(&app, "Partial", json!({"kind": "all"})).await;
    step_to_end(&app, &id).await;
    let done = progress(&app, &id).await;
    assert_eq!(done["status"], "sent");
    assert_eq!(
        (done["sent"].as_u64(), done["failed"].as_u64()),
        (Some(19), Some(1))
    );
    assert_eq!(done["failures"][0]["user_id"], "u003");
    assert!(
        done["failures"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("throttled"),
        "{done}"
    );
}

#[tokio::test]
async fn a_step_that_reaches_nobody_is_left_to_the_streams_retries() {
    let down = Arc::new(AtomicBool::new(true));
    let outage = down.clone();
    let app = TestApp::on(Arc::new(Failing {
        inner: EmbeddedTable::in_memory(),
        fails: Box::new(move |ops| puts(ops, "USER#", "CONV#") && outage.load(Ordering::SeqCst)),
    }));
    sync_users(&app, 8).await;
    let id = send_broadcast(&app, "Outage", json!({"kind": "all"})).await;
    let error = app.system.app.broadcast_step(&id).await.unwrap_err();
    assert!(format!("{error:#}").contains("throttled"), "{error:#}");
    let unchanged = progress(&app, &id).await;
    assert_eq!(
        (unchanged["status"].as_str(), unchanged["failed"].as_u64()),
        (Some("queued"), Some(0))
    );
    down.store(false, Ordering::SeqCst);
    step_to_end(&app, &id).await;
    assert_eq!(progress(&app, &id).await["sent"], 8);
}

#[tokio::test]
async fn a_step_that_dies_before_recording_its_progress_is_redone_and_counted_once() {
    let armed = Arc::new(AtomicBool::new(false));
    let trigger = armed.clone();
    let app = TestApp::on(Arc::new(Failing {
        inner: EmbeddedTable::in_memory(),
        // The first progress write after arming: a version-conditioned update of the
        // broadcast.
        fails: Box::new(move |ops| {
            let progress = ops.iter().any(|op| {
                matches!(
                    op,
                    WriteOp::Update {
                        key,
                        condition: Some(Condition::Equals(..)),
                        ..
                    } if key.pk.starts_with("BROADCAST#")
                )
            });
            progress && trigger.swap(false, Ordering::SeqCst)
        }),
    }));
    sync_users(&app, 60).await;
    let subject = "Died once";
    let id = send_broadcast(&app, subject, json!({"kind": "all"})).await;
    armed.store(true, Ordering::SeqCst);
    let died = app.system.app.broadcast_step(&id).await;
    assert!(
        died.is_err(),
        "the progress write failed: the stream would retry"
    );
    assert_eq!(progress(&app, &id).await["sent"], 0);
    step_to_end(&app, &id).await;
    let done = progress(&app, &id).await;
    assert_eq!(done["sent"].as_u64(), Some(60), "{done}");
    assert_eq!(done["failed"].as_u64(), Some(0));
    let everyone: Vec<String> = (0..60).map(user_id).collect();
    assert_eq!(recipients(&app, &everyone, subject).await.len(), 60);
}

#[tokio::test]
async fn broadcasts_are_for_seniors_and_managers_and_bad_requests_store_nothing() {
    let app = TestApp::in_memory();
    let ok = json!({"subject": "s", "body": "b", "segment": {"kind": "all"}});
    for token in [
        app.token("agent-sam", &["agent", "team-support"]),
        app.token("thandi", &[]),
        app.token("mod", &["moderator"]),
        app.token("website", &["service"]),
    ] {
        let (code, _) = app.post("/v1/admin/broadcasts", &token, ok.clone()).await;
        assert_eq!(code, StatusCode::FORBIDDEN);
        let (code, _) = app.get("/v1/admin/broadcasts", &token).await;
        assert_eq!(code, StatusCode::FORBIDDEN);
    }
    let max = manager(&app);
    for bad in [
        json!({"subject": "", "body": "b", "segment": {"kind": "all"}}),
        json!({"subject": "s", "body": "b"}),
        json!({"subject": "s", "body": "b", "segment": {"kind": "planet"}}),
        json!({"subject": "s", "body": "b", "segment": {"kind": "users", "user_ids": []}}),
        json!({"subject": "s", "body": "b", "segment": {"kind": "tier"}}),
        json!({"subject": "s", "body": "b", "segment": {"kind": "all"}, "extra": 1}),
    ] {
        let (code, error) = app.post("/v1/admin/broadcasts", &max, bad.clone()).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{bad}: {error}");
        assert_eq!(error["error"]["code"], "invalid_request");
    }
    let (_, listed) = app.get("/v1/admin/broadcasts", &max).await;
    assert_eq!(listed["items"], json!([]), "nothing stored");

    let key = "launch-1";
    let sue = app.token("sue", &["senior"]);
    let (code, first) = app
        .post_with_key("/v1/admin/broadcasts", &sue, ok.clone(), key)
        .await;
    assert_eq!(code, StatusCode::ACCEPTED, "{first}");
    let (_, retried) = app
        .post_with_key("/v1/admin/broadcasts", &sue, ok, key)
        .await;
    assert_eq!(retried["id"], first["id"]);
    let (_, listed) = app.get("/v1/admin/broadcasts", &max).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let (code, _) = app
        .get("/v1/admin/broadcasts/01JNOSUCHBROADCAST0000000", &max)
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
}

/// Puts `count` users in the registry at once, as the website's sync leaves them.
async fn register(app: &TestApp, from: usize, count: usize) {
    let ops = (from..from + count)
        .map(|i| {
            let account = UserAccount {
                id: format!("bulk{i:05}"),
                contact: Default::default(),
                tier: Some("basic".into()),
                location: None,
                source: AccountSource::Website,
                updated_at: app.clock_now(),
            };
            account_write(&account.id, account.tier.as_deref(), &account, None).unwrap()
        })
        .collect();
    app.table.write_each(ops).await.unwrap();
}

#[tokio::test]
async fn a_huge_registry_is_counted_only_up_to_the_cap() {
    let app = TestApp::in_memory();
    register(&app, 0, 10_000).await;
    assert_eq!(reach(&app, json!({"kind": "all"})).await, (10_000, false));
    register(&app, 10_000, 1).await;
    let before = app.table.metrics().snapshot();
    assert_eq!(
        reach(&app, json!({"kind": "tier", "tier": "basic"})).await,
        (10_000, true)
    );
    let at_cap = app.table.metrics().snapshot() - before;

    register(&app, 10_001, 10_000).await;
    let before = app.table.metrics().snapshot();
    assert_eq!(reach(&app, json!({"kind": "all"})).await, (10_000, true));
    let twice_the_cap = app.table.metrics().snapshot() - before;
    assert!(
        twice_the_cap.read_units <= at_cap.read_units * 1.05,
        "counting stops at the cap: {twice_the_cap:?} against {at_cap:?}"
    );
}

#[tokio::test]
async fn a_reach_is_for_seniors_and_managers_and_its_segment_is_checked() {
    let app = TestApp::in_memory();
    let path = "/v1/admin/broadcasts/reach";
    let agent = app.token("agent-sam", &["agent", "team-support"]);
    for body in [
        json!({"segment": {"kind": "all"}}),
        json!({"segment": {"kind": "planet"}}),
        json!("not a request"),
    ] {
        let (code, error) = app.post(path, &agent, body.clone()).await;
        assert_eq!(code, StatusCode::FORBIDDEN, "{body}: {error}");
        assert_eq!(error["error"]["code"], "forbidden");
    }
    let sue = app.token("sue", &["senior"]);
    for (bad, field) in [
        (
            json!({"segment": {"kind": "users", "user_ids": []}}),
            "segment.user_ids",
        ),
        (
            json!({"segment": {"kind": "tier", "tier": "gold star"}}),
            "segment.tier",
        ),
        (
            json!({"segment": {"kind": "location", "location": " "}}),
            "segment.location",
        ),
        (json!({"segment": {"kind": "planet"}}), "segment"),
        (json!({}), "segment"),
        (json!({"segment": {"kind": "all"}, "extra": 1}), "extra"),
    ] {
        let (code, error) = app.post(path, &sue, bad.clone()).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{bad}: {error}");
        assert_eq!(error["error"]["code"], "invalid_request");
        assert!(
            tests::error_message(&error).contains(field),
            "{bad}: {error}"
        );
    }
    let (code, reach) = app
        .post(path, &sue, json!({"segment": {"kind": "all"}}))
        .await;
    assert_eq!(code, StatusCode::OK, "{reach}");
    assert_eq!(reach, json!({"recipients": 0, "capped": false}));
}

#[tokio::test]
async fn only_the_website_syncs_users_and_their_contacts_are_checked() {
    let app = TestApp::in_memory();
    let website = app.token("website", &["service"]);
    let put = |token: String, body: Value| {
        let app = &app;
        async move {
            app.call(Method::PUT, "/v1/users/thandi", Some(&token), Some(body))
                .await
        }
    };
    let good =
        json!({"email": "thandi@example.co.za", "phone": "+27821234567", "tier": "Verified"});
    for token in [app.token("thandi", &[]), manager(&app)] {
        let (code, _) = put(token, good.clone()).await;
        assert_eq!(code, StatusCode::FORBIDDEN);
    }
    for bad in [
        json!({"email": "not-an-email"}),
        json!({"phone": "082 123 4567"}),
        json!({"tier": "gold star"}),
        json!({"nickname": "T"}),
    ] {
        let (code, error) = put(website.clone(), bad.clone()).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{bad}: {error}");
    }
    let (code, user) = put(website, good).await;
    assert_eq!(code, StatusCode::OK, "{user}");
    assert_eq!(user["tier"], "verified");
    assert_eq!(user["source"], "website");
}

fn event(name: &str, id: &str) -> Value {
    let path = format!(
        "{}/../events/broadcast/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text.replace(SAMPLE_BROADCAST, id)).unwrap()
}

#[tokio::test]
async fn the_broadcast_functions_sample_events_do_what_they_say() {
    let app = TestApp::in_memory();
    let handle = |payload: Value| {
        let state = app.system.app.clone();
        async move {
            let event = serde_json::from_value(payload).unwrap();
            let answer = broadcast::handle(&state, LambdaEvent::new(event, Context::default()))
                .await
                .unwrap();
            serde_json::to_value(answer).unwrap()
        }
    };
    let no_failures = json!({"batchItemFailures": []});
    // thandi wrote about listing L-1001 (vehicles): the stream registers her.
    let website = app.token("website", &["service"]);
    let listing = json!({"title": "Toyota Corolla", "seller_id": "seller-sipho", "category": "Vehicles", "location": "Pretoria", "status": "active"});
    app.call(
        Method::PUT,
        "/v1/listings/L-1001",
        Some(&website),
        Some(listing),
    )
    .await;
    assert_eq!(
        handle(event("stream-conversation-created", "")).await,
        no_failures
    );

    let subject = "Vehicle safety tips";
    let id = send_broadcast(
        &app,
        subject,
        json!({"kind": "listing_category", "category": "vehicles"}),
    )
    .await;
    app.take_records();
    // The queued broadcast's record takes the step; a redelivery changes nothing.
    for _ in 0..2 {
        assert_eq!(
            handle(event("stream-broadcast-queued", &id)).await,
            no_failures
        );
    }
    let done = progress(&app, &id).await;
    assert_eq!(
        (done["status"].as_str(), done["sent"].as_u64()),
        (Some("sent"), Some(1))
    );
    assert_eq!(inbox_with(&app, "thandi", subject).await.len(), 1);
}

/// An SES bounce of a broadcast's email to `email`, as SNS hands it to notify.
fn bounce_of(broadcast: &str, email: &str) -> Value {
    let path = format!(
        "{}/../events/notify/ses-bounce-broadcast.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let text = text
        .replace(SAMPLE_BROADCAST, broadcast)
        .replace("sipho@example.co.za", email);
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn a_broadcast_counts_whom_it_reached_who_read_it_who_replied_and_whose_email_bounced() {
    let app = TestApp::in_memory();
    sync_users(&app, 4).await;
    let subject = "New: message sellers";
    let id = send_broadcast(&app, subject, json!({"kind": "all"})).await;
    assert!(app.run_stream().await.is_empty());
    let counts = |b: &Value| {
        ["sent", "delivered", "read", "replied", "bounced"].map(|name| b[name].as_u64().unwrap())
    };
    assert_eq!(counts(&progress(&app, &id).await), [4, 4, 0, 0, 0]);

    // u000 reads it (twice); u001 reads it and answers (twice); u002 answers unread.
    let copy = |user: &str| {
        let user = user.to_string();
        let app = &app;
        async move {
            inbox_with(app, &user, subject).await[0]["id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    for (user, reads, replies) in [("u000", 2, 0), ("u001", 1, 2), ("u002", 0, 1)] {
        let conversation = copy(user).await;
        let token = app.token(user, &[]);
        for _ in 0..reads {
            let (code, _) = app
                .post(
                    &format!("/v1/conversations/{conversation}/read"),
                    &token,
                    json!({"message_id": conversation}),
                )
                .await;
            assert_eq!(code, StatusCode::NO_CONTENT);
        }
        for n in 0..replies {
            let (code, _) = app
                .post_message(&token, &conversation, &format!("Thanks, question {n}"))
                .await;
            assert_eq!(code, StatusCode::CREATED);
        }
    }
    // The stream delivered twice counts once.
    let records = app.take_records();
    assert!(app.system.notifier.process(&records).await.is_empty());
    assert!(app.system.notifier.process(&records).await.is_empty());
    assert!(app.system.app.broadcast_stream(&records).await.is_empty());
    // u003's email of it bounced for good; SES tells of it twice.
    let notifier = &app.system.notifier;
    for counted in [1, 0] {
        let answer = notify::handle(
            notifier,
            LambdaEvent::new(bounce_of(&id, "u003@example.co.za"), Context::default()),
        )
        .await
        .unwrap();
        assert_eq!(
            answer,
            json!({"suppressed": 1, "broadcast_bounces": counted})
        );
    }
    let broadcast = progress(&app, &id).await;
    assert_eq!(counts(&broadcast), [4, 4, 2, 2, 1], "{broadcast}");
    assert_eq!(
        broadcast["status"], "sent",
        "counting left the fan-out alone"
    );
    let (_, listed) = app.get("/v1/admin/broadcasts", &manager(&app)).await;
    assert_eq!(counts(&listed["items"][0]), [4, 4, 2, 2, 1]);
    // A bounce of an unknown broadcast counts nothing anywhere.
    let answer = notify::handle(
        notifier,
        LambdaEvent::new(
            bounce_of("01JNOSUCHBROADCAST0000000", "u002@example.co.za"),
            Context::default(),
        ),
    )
    .await
    .unwrap();
    assert_eq!(answer["broadcast_bounces"], 0);

    // The month's report has a broadcasts section: JSON, CSV and HTML.
    let max = manager(&app);
    let (code, report) = app.get("/v1/admin/reports/2026-11", &max).await;
    assert_eq!(code, StatusCode::OK, "{report}");
    let section = &report["broadcasts"];
    assert_eq!(section["broadcasts"], 1);
    assert_eq!(
        [
            &section["recipients"],
            &section["delivered"],
            &section["read"],
            &section["replied"],
            &section["bounced"]
        ],
        [&json!(4), &json!(4), &json!(2), &json!(2), &json!(1)]
    );
    assert_eq!(section["read_rate"], 0.5);
    assert_eq!(section["bounce_rate"], 0.25);
    assert_eq!(section["items"][0]["id"], id.as_str());
    assert_eq!(section["items"][0]["subject"], subject);
    let bearer = format!("Bearer {max}");
    let auth = [("authorization", bearer.as_str())];
    let (_, _, csv) = app
        .raw(
            Method::GET,
            "/v1/admin/reports/2026-11?format=csv",
            &auth,
            Vec::new(),
        )
        .await;
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.contains(&format!("\nbroadcasts,{id},replied,2\n")),
        "{csv}"
    );
    assert!(csv.contains("\nbroadcasts,all,reply_rate,0.5\n"), "{csv}");
    let (_, _, html) = app
        .raw(
            Method::GET,
            "/v1/admin/reports/2026-11?format=html",
            &auth,
            Vec::new(),
        )
        .await;
    let html = String::from_utf8(html).unwrap();
    assert!(
        html.contains("Broadcasts") && html.contains(subject),
        "{html}"
    );
    // Not last month's.
    let (_, october) = app.get("/v1/admin/reports/2026-10", &max).await;
    assert_eq!(october["broadcasts"]["broadcasts"], 0);
}

#[tokio::test]
async fn counting_engagement_does_not_step_the_fan_out() {
    let app = TestApp::in_memory();
    sync_users(&app, 2).await;
    let id = send_broadcast(&app, "Tips", json!({"kind": "all"})).await;
    app.take_records();
    let records = |name: &str| {
        let event = event(name, &id);
        common::store::table::stream::records(serde_json::from_value(event).unwrap()).unwrap()
    };
    // A change of its counters only (the same version): nobody is sent anything.
    assert!(
        app.system
            .app
            .broadcast_stream(&records("stream-broadcast-engagement"))
            .await
            .is_empty()
    );
    assert_eq!(progress(&app, &id).await["status"], "queued");
    assert!(inbox_with(&app, "u000", "Tips").await.is_empty());
}
