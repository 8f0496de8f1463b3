//! The admins' workflow on a conversation: snoozing a pending one until a time (the SLA
//! check reopens it then and tells the assignee; a user's message sooner), and merging a
//! user's duplicate into another of theirs, once, whoever else acts at the same time.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use chrono::{DateTime, Duration, Utc};
use common::store::table::embedded::EmbeddedTable;
use serde_json::{Value, json};
use tests::{Interleaved, TestApp};

const TEAM_AGENT: [&str; 2] = ["agent", "team-support"];

/// Runs the SLA check through the dev server's route at `at`, with the clock there too.
async fn check(app: &TestApp, at: DateTime<Utc>) -> Value {
    app.clock.set(at);
    let (code, outcome) = app
        .call(
            Method::POST,
            "/local/sla-check",
            None,
            Some(json!({ "time": at })),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{outcome}");
    outcome
}

/// Alice's support question, answered by Sam (so pending, and his): its id.
async fn answered(app: &TestApp, body: &str) -> String {
    let alice = app.token("alice", &[]);
    let sam = app.token("sam", &TEAM_AGENT);
    let id = app.support(&alice, "general", body).await;
    let (code, reply) = app
        .post_reply(&sam, &id, json!({"body": "Could you send a screenshot?"}))
        .await;
    assert_eq!(code, StatusCode::CREATED, "{reply}");
    id
}

async fn snooze(app: &TestApp, token: &str, id: &str, until: Value) -> (StatusCode, Value) {
    app.patch(
        &format!("/v1/admin/conversations/{id}"),
        token,
        json!({ "snoozed_until": until }),
    )
    .await
}

async fn admin_view(app: &TestApp, id: &str) -> Value {
    let sam = app.token("sam", &TEAM_AGENT);
    let (code, view) = app
        .get(&format!("/v1/admin/conversations/{id}"), &sam)
        .await;
    assert_eq!(code, StatusCode::OK, "{view}");
    view
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_snoozed_conversation_reopens_at_its_time_and_tells_the_assignee() {
    let app = TestApp::in_memory();
    let sam = app.token("sam", &TEAM_AGENT);
    let id = answered(&app, "My ad does not show").await;
    let other = answered(&app, "And another thing").await;
    let wake = app.clock_now() + Duration::hours(2);
    let (code, view) = snooze(&app, &sam, &id, json!(wake)).await;
    assert_eq!(code, StatusCode::OK, "{view}");
    assert_eq!(view["status"], "pending");
    assert_eq!(view["snoozed_until"], json!(wake));
    assert_eq!(admin_view(&app, &id).await["snoozed_until"], json!(wake));

    // The queue lists snoozed ones apart, and pending ones without them.
    let (_, snoozed) = app.get("/v1/admin/conversations?snoozed=true", &sam).await;
    assert_eq!(ids(&snoozed), [id.as_str()]);
    let (_, awake) = app
        .get("/v1/admin/conversations?status=pending&snoozed=false", &sam)
        .await;
    assert_eq!(ids(&awake), [other.as_str()]);
    let (_, pending) = app
        .get("/v1/admin/conversations?status=pending", &sam)
        .await;
    assert_eq!(
        ids(&pending),
        [other.clone(), id.clone()],
        "snoozed ones last, by when they wake"
    );
    let (code, error) = app
        .get("/v1/admin/conversations?status=open&snoozed=true", &sam)
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{error}");

    // Before its time the check leaves it asleep; at its time it reopens it.
    let early = check(&app, wake - Duration::minutes(5)).await;
    assert_eq!(early["reopened"], 0);
    assert_eq!(admin_view(&app, &id).await["status"], "pending");
    app.deliver().await;
    let outcome = check(&app, wake + Duration::minutes(1)).await;
    assert_eq!(outcome["reopened"], 1, "{outcome}");
    let view = admin_view(&app, &id).await;
    assert_eq!(view["status"], "open");
    assert_eq!(view["snoozed_until"], Value::Null);
    assert!(
        view["sla"]["next_response_due"].is_string(),
        "the team owes an answer again: {view}"
    );
    let again = check(&app, wake + Duration::minutes(2)).await;
    assert_eq!(again["reopened"], 0, "once");

    // Sam, its assignee, hears of it; the team sees why on the conversation.
    app.deliver().await;
    let sam = app.token("sam", &TEAM_AGENT);
    let (_, notifications) = app.get("/v1/notifications", &sam).await;
    let woken = notifications["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["conversation_id"] == id.as_str() && n["kind"] == "snooze_ended")
        .count();
    assert_eq!(woken, 1, "{notifications}");
    let (_, messages) = app
        .get(&format!("/v1/admin/conversations/{id}/messages"), &sam)
        .await;
    let notes: Vec<&str> = messages["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["sender_role"] == "system")
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes[0].starts_with("Snoozed until "), "{notes:?}");
    assert!(notes[1].ends_with(": open again."), "{notes:?}");
    // Alice never sees the team's notes.
    let alice = app.token("alice", &[]);
    let (_, hers) = app
        .get(&format!("/v1/conversations/{id}/messages"), &alice)
        .await;
    assert!(
        hers["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["sender_role"] != "system")
    );
}

#[tokio::test]
async fn only_pending_conversations_snooze_and_only_into_the_future() {
    let app = TestApp::in_memory();
    let sam = app.token("sam", &TEAM_AGENT);
    let alice = app.token("alice", &[]);
    let open = app.support(&alice, "general", "still waiting").await;
    let later = app.clock_now() + Duration::hours(3);
    let (code, error) = snooze(&app, &sam, &open, json!(later)).await;
    assert_eq!(code, StatusCode::CONFLICT, "{error}");
    assert!(
        tests::error_message(&error).contains("only a pending conversation"),
        "{error}"
    );
    // Answered and snoozed in one change.
    let (code, view) = app
        .patch(
            &format!("/v1/admin/conversations/{open}"),
            &sam,
            json!({"status": "pending", "snoozed_until": later}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{view}");
    assert_eq!(view["snoozed_until"], json!(later));

    let id = answered(&app, "please check").await;
    for (until, why) in [
        (json!(app.clock_now() - Duration::minutes(1)), "in the past"),
        (json!(app.clock_now()), "now"),
        (json!(app.clock_now() + Duration::days(366)), "too far"),
        (json!("next tuesday"), "not a time"),
        (json!(5), "not a time"),
    ] {
        let (code, error) = snooze(&app, &sam, &id, until).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{why}: {error}");
        assert!(
            tests::error_message(&error).contains("snoozed_until"),
            "{why}: {error}"
        );
    }
    assert_eq!(admin_view(&app, &id).await["snoozed_until"], Value::Null);

    // `null` wakes it early (still pending); reopening or resolving ends a snooze too.
    let (code, _) = snooze(&app, &sam, &id, json!(later)).await;
    assert_eq!(code, StatusCode::OK);
    let (code, view) = snooze(&app, &sam, &id, Value::Null).await;
    assert_eq!(code, StatusCode::OK, "{view}");
    assert_eq!(
        (&view["status"], &view["snoozed_until"]),
        (&json!("pending"), &Value::Null)
    );
    let (code, _) = snooze(&app, &sam, &id, json!(later)).await;
    assert_eq!(code, StatusCode::OK);
    let (code, view) = app
        .patch(
            &format!("/v1/admin/conversations/{id}"),
            &sam,
            json!({"status": "resolved"}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{view}");
    assert_eq!(view["snoozed_until"], Value::Null);
    let outcome = check(&app, later + Duration::minutes(1)).await;
    assert_eq!(outcome["reopened"], 1, "only the first one: {outcome}");
    assert_eq!(admin_view(&app, &id).await["status"], "resolved");
    assert_eq!(admin_view(&app, &open).await["status"], "open");
}

#[tokio::test]
async fn a_users_message_wakes_a_snoozed_conversation_before_its_time() {
    let app = TestApp::in_memory();
    let sam = app.token("sam", &TEAM_AGENT);
    let alice = app.token("alice", &[]);
    let id = answered(&app, "where is my refund").await;
    let wake = app.clock_now() + Duration::days(2);
    snooze(&app, &sam, &id, json!(wake)).await;
    app.clock.advance(Duration::hours(1));
    let (code, _) = app
        .post_message(&alice, &id, "Here is the screenshot")
        .await;
    assert_eq!(code, StatusCode::CREATED);
    let view = admin_view(&app, &id).await;
    assert_eq!(view["status"], "open");
    assert_eq!(view["snoozed_until"], Value::Null);
    let (_, snoozed) = app.get("/v1/admin/conversations?snoozed=true", &sam).await;
    assert!(ids(&snoozed).is_empty());
    let outcome = check(&app, wake + Duration::minutes(1)).await;
    assert_eq!(outcome["reopened"], 0, "{outcome}");
}

/// The app on `inner`, to act between another request's read and its write.
fn beside(inner: &Arc<EmbeddedTable>) -> TestApp {
    TestApp::on(inner.clone())
}

#[tokio::test]
async fn a_snooze_and_a_users_message_at_once_leave_it_open_whichever_lands_first() {
    // The user's message lands between the snooze's read and its write: the snooze,
    // tried again, finds it open and is refused.
    let inner = Arc::new(EmbeddedTable::in_memory());
    let id = answered(&beside(&inner), "the app crashes").await;
    let table = Arc::new(Interleaved::new(inner.clone()));
    let message_path = format!("/v1/conversations/{id}/messages");
    let (writer, path) = (inner.clone(), message_path.clone());
    table.before_next_write(Box::new(move || {
        Box::pin(async move {
            let app = beside(&writer);
            let alice = app.token("alice", &[]);
            let (code, _) = app
                .post(&path, &alice, json!({"body": "It crashed again"}))
                .await;
            assert_eq!(code, StatusCode::CREATED);
        })
    }));
    let app = TestApp::on(table.clone());
    let sam = app.token("sam", &TEAM_AGENT);
    let wake = app.clock_now() + Duration::hours(4);
    let (code, error) = snooze(&app, &sam, &id, json!(wake)).await;
    assert!(table.hook_ran(), "the message came in between");
    assert_eq!(code, StatusCode::CONFLICT, "{error}");
    let view = admin_view(&app, &id).await;
    assert_eq!(
        (&view["status"], &view["snoozed_until"]),
        (&json!("open"), &Value::Null)
    );

    // The snooze lands between the message's read and its write: the message, tried
    // again, wakes it.
    let inner = Arc::new(EmbeddedTable::in_memory());
    let id = answered(&beside(&inner), "the app crashes").await;
    let table = Arc::new(Interleaved::new(inner.clone()));
    let writer = inner.clone();
    let conversation = id.clone();
    table.before_next_write(Box::new(move || {
        Box::pin(async move {
            let app = beside(&writer);
            let sam = app.token("sam", &TEAM_AGENT);
            let (code, view) = snooze(&app, &sam, &conversation, json!(wake)).await;
            assert_eq!(code, StatusCode::OK, "{view}");
        })
    }));
    let app = TestApp::on(table.clone());
    let alice = app.token("alice", &[]);
    let (code, message) = app.post_message(&alice, &id, "It crashed again").await;
    assert!(table.hook_ran(), "the snooze came in between");
    assert_eq!(code, StatusCode::CREATED, "{message}");
    let view = admin_view(&app, &id).await;
    assert_eq!(
        (&view["status"], &view["snoozed_until"]),
        (&json!("open"), &Value::Null)
    );
    let outcome = check(&app, wake + Duration::minutes(1)).await;
    assert_eq!(outcome["reopened"], 0, "{outcome}");
}

// ----- merging duplicates ------------------------------------------------------------

/// Alice's support conversation with this subject and first message: its id.
async fn asks(app: &TestApp, user: &str, subject: &str, body: &str) -> String {
    let token = app.token(user, &[]);
    let (code, created) = app
        .post(
            "/v1/conversations",
            &token,
            json!({"type": "support", "category": "general", "subject": subject, "body": body}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    created["conversation"]["id"].as_str().unwrap().to_string()
}

async fn merge(app: &TestApp, token: &str, id: &str, into: &str) -> (StatusCode, Value) {
    app.post(
        &format!("/v1/admin/conversations/{id}/merge"),
        token,
        json!({ "into": into }),
    )
    .await
}

/// Sue (a senior) merges `source` into `target` just before the table's next write.
fn merge_before_next_write(
    table: &Interleaved,
    inner: &Arc<EmbeddedTable>,
    source: &str,
    target: &str,
) {
    let (writer, source, target) = (inner.clone(), source.to_string(), target.to_string());
    table.before_next_write(Box::new(move || {
        Box::pin(async move {
            let app = beside(&writer);
            let sue = app.token("sue", &["senior"]);
            let (code, merged) = merge(&app, &sue, &source, &target).await;
            assert_eq!(code, StatusCode::OK, "{merged}");
        })
    }));
}

/// Every message of a conversation, page by page (`limit` a page), in `order`.
async fn all_messages(
    app: &TestApp,
    path: &str,
    token: &str,
    limit: u32,
    order: &str,
) -> Vec<Value> {
    let mut messages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{path}?limit={limit}&order={order}");
        if let Some(cursor) = &cursor {
            url.push_str(&format!("&cursor={cursor}"));
        }
        let (code, page) = app.get(&url, token).await;
        assert_eq!(code, StatusCode::OK, "{page}");
        messages.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return messages,
        }
    }
}

fn bodies(messages: &[Value]) -> Vec<&str> {
    messages
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect()
}

/// A receiver on 127.0.0.1 that records the event of each post.
async fn receiver() -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
    let received: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    let log = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap| {
            let log = log.clone();
            async move {
                let event = headers["x-saypro-event"].to_str().unwrap().to_string();
                log.lock().unwrap().push(event);
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

#[tokio::test]
async fn a_merged_duplicate_is_read_as_one_conversation_by_the_user_and_the_team() {
    let app = TestApp::in_memory();
    let (url, received) = receiver().await;
    let max = app.token("max", &["manager"]);
    let (code, _) = app
        .post(
            "/v1/admin/webhooks",
            &max,
            json!({"url": url, "events": ["conversation.merged", "status.changed"]}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED);
    let (alice, sam) = (app.token("alice", &[]), app.token("sam", &TEAM_AGENT));
    let minute = || app.clock.advance(Duration::minutes(1));
    let first = asks(
        &app,
        "alice",
        "Ad removed",
        "My ad for the bicycle was removed",
    )
    .await;
    minute();
    app.post_reply(&sam, &first, json!({"body": "Which ad?"}))
        .await;
    minute();
    let duplicate = asks(
        &app,
        "alice",
        "Why was my ad removed?",
        "Nobody told me why",
    )
    .await;
    minute();
    app.post_message(&alice, &first, "The red bicycle, listing 42")
        .await;
    minute();
    app.post_reply(&sam, &duplicate, json!({"body": "Looking into it"}))
        .await;
    minute();
    app.post_message(&alice, &duplicate, "Please hurry, kwaaiwoord")
        .await;
    app.deliver().await;

    // The duplicate goes into the first: linked, not moved.
    minute();
    let (code, target) = merge(&app, &sam, &duplicate, &first).await;
    assert_eq!(code, StatusCode::OK, "{target}");
    assert_eq!(target["id"], first.as_str());
    assert_eq!(target["merged_from"], json!([duplicate]));
    assert_eq!(target["status"], "open", "the duplicate awaited an answer");
    let source = admin_view(&app, &duplicate).await;
    assert_eq!(source["status"], "merged");
    assert_eq!(source["merged_into"], first.as_str());
    assert_eq!(
        source["sla"]["next_response_due"],
        Value::Null,
        "its clocks stopped"
    );
    let (_, timeline) = app
        .get(&format!("/v1/admin/conversations/{duplicate}/sla"), &sam)
        .await;
    let stopped = timeline["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "stopped")
        .count();
    assert_eq!(stopped, 2, "the response and resolution clocks: {timeline}");
    assert!(admin_view(&app, &first).await["sla"]["next_response_due"].is_string());

    // The team reads one conversation, in time order, whatever the page size.
    let path = format!("/v1/admin/conversations/{first}/messages");
    let whole = all_messages(&app, &path, &sam, 100, "asc").await;
    let expected = [
        "My ad for the bicycle was removed",
        "Which ad?",
        "Nobody told me why",
        "The red bicycle, listing 42",
        "Looking into it",
        "Please hurry, kwaaiwoord",
    ];
    assert_eq!(&bodies(&whole)[..6], expected);
    assert!(
        bodies(&whole)[6].starts_with(&format!("Merged {duplicate}")),
        "the team's note"
    );
    for limit in [1, 2, 3, 5] {
        let paged = all_messages(&app, &path, &sam, limit, "asc").await;
        assert_eq!(bodies(&paged), bodies(&whole), "pages of {limit}");
        let newest_first = all_messages(&app, &path, &sam, limit, "desc").await;
        let mut reversed = bodies(&whole);
        reversed.reverse();
        assert_eq!(
            bodies(&newest_first),
            reversed,
            "pages of {limit}, newest first"
        );
    }
    // So does Alice, without the team's notes; her inbox has the one conversation.
    let hers = all_messages(
        &app,
        &format!("/v1/conversations/{first}/messages"),
        &alice,
        2,
        "asc",
    )
    .await;
    assert_eq!(bodies(&hers), expected);
    let (_, inbox) = app.get("/v1/conversations", &alice).await;
    assert_eq!(ids(&inbox), [first.as_str()]);
    let (code, old) = app
        .get(&format!("/v1/conversations/{duplicate}"), &alice)
        .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(
        (&old["status"], &old["merged_into"]),
        (&json!("merged"), &json!(first))
    );
    // The queue shows one; the merged one only when asked for.
    let (_, open) = app.get("/v1/admin/conversations", &sam).await;
    assert_eq!(ids(&open), [first.as_str()]);
    let (_, merged) = app.get("/v1/admin/conversations?status=merged", &sam).await;
    assert_eq!(ids(&merged), [duplicate.as_str()]);
    let (_, theirs) = app.get("/v1/admin/users/alice/conversations", &sam).await;
    assert_eq!(ids(&theirs), [first.as_str()]);

    // Reads: a message of the duplicate can be marked read in the conversation it joined.
    let older = whole[2]["id"].as_str().unwrap();
    let (code, _) = app
        .post(
            &format!("/v1/conversations/{first}/read"),
            &alice,
            json!({"message_id": older}),
        )
        .await;
    assert_eq!(code, StatusCode::NO_CONTENT);
    let (code, _) = app
        .post(
            &format!("/v1/admin/conversations/{first}/read"),
            &sam,
            json!({"message_id": whole[5]["id"]}),
        )
        .await;
    assert_eq!(code, StatusCode::NO_CONTENT);
    assert_eq!(admin_view(&app, &first).await["unread_count"], 0);

    // Writing goes on in the conversation it joined; nothing more is written in it.
    minute();
    let (code, message) = app.post_message(&alice, &duplicate, "Any news?").await;
    assert_eq!(code, StatusCode::CREATED, "{message}");
    assert_eq!(message["conversation_id"], first.as_str());
    for (code, error) in [
        app.post_reply(&sam, &duplicate, json!({"body": "hi"}))
            .await,
        app.patch(
            &format!("/v1/admin/conversations/{duplicate}"),
            &sam,
            json!({"priority": "urgent"}),
        )
        .await,
        app.post(
            &format!("/v1/conversations/{duplicate}/resolve"),
            &alice,
            json!({}),
        )
        .await,
    ] {
        assert_eq!(code, StatusCode::CONFLICT, "{error}");
        assert!(tests::error_message(&error).contains(&first), "{error}");
    }
    let (code, error) = app
        .patch(
            &format!("/v1/admin/conversations/{first}"),
            &sam,
            json!({"status": "merged"}),
        )
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{error}");

    // Search and export see one conversation too.
    app.deliver().await;
    let (_, found) = app.get("/v1/search?q=kwaaiwoord", &alice).await;
    let hits: Vec<&Value> = found["items"].as_array().unwrap().iter().collect();
    assert_eq!(hits.len(), 1, "{found}");
    assert_eq!(hits[0]["conversation_id"], first.as_str());
    let (_, found) = app.get("/v1/admin/search?q=kwaaiwoord", &sam).await;
    assert_eq!(
        found["items"][0]["conversation_id"],
        first.as_str(),
        "{found}"
    );
    let (_, export) = app.get("/v1/me/export", &alice).await;
    let conversations = export["conversations"].as_array().unwrap();
    assert_eq!(conversations.len(), 1, "{export}");
    let exported: Vec<&str> = bodies(conversations[0]["messages"].as_array().unwrap());
    assert_eq!(exported.len(), 7);
    assert!(exported.contains(&"Nobody told me why"));

    // The audit trail and the integrations record it.
    let mpho = app.token("mpho", &["moderator"]);
    let (_, audit) = app.get("/v1/admin/audit", &mpho).await;
    let merges: Vec<&Value> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "conversation.merged")
        .collect();
    assert_eq!(merges.len(), 1, "{audit}");
    assert_eq!(merges[0]["target"], format!("conversation:{duplicate}"));
    assert_eq!(merges[0]["actor"], "sam");
    let events = received.lock().unwrap().clone();
    assert_eq!(
        events
            .iter()
            .filter(|e| *e == "conversation.merged")
            .count(),
        1,
        "{events:?}"
    );
}

#[tokio::test]
async fn merges_only_join_one_users_support_conversations_and_never_twice() {
    let app = TestApp::in_memory();
    let sam = app.token("sam", &TEAM_AGENT);
    let alice = app.token("alice", &[]);
    let first = asks(&app, "alice", "Refund", "Where is my refund").await;
    app.clock.advance(Duration::minutes(1));
    let second = asks(&app, "alice", "Refund?", "Still no refund").await;
    app.clock.advance(Duration::minutes(1));
    let third = asks(&app, "alice", "Refund!!", "Refund please").await;
    let bobs = asks(&app, "bob", "Refund", "Where is my refund").await;
    app.listing("L1", "seller", "active").await;
    let direct = app.direct(&alice, "L1", "Is it available?").await;

    let refusals = [
        (
            second.as_str(),
            second.as_str(),
            StatusCode::BAD_REQUEST,
            "itself",
        ),
        (
            second.as_str(),
            bobs.as_str(),
            StatusCode::CONFLICT,
            "another user's",
        ),
        (
            bobs.as_str(),
            second.as_str(),
            StatusCode::CONFLICT,
            "another user's",
        ),
        (
            second.as_str(),
            direct.as_str(),
            StatusCode::NOT_FOUND,
            "not found",
        ),
        (
            direct.as_str(),
            second.as_str(),
            StatusCode::NOT_FOUND,
            "not found",
        ),
        (
            second.as_str(),
            "no such one",
            StatusCode::BAD_REQUEST,
            "into",
        ),
        (
            second.as_str(),
            "01JNOSUCHCONVERSATION0000",
            StatusCode::NOT_FOUND,
            "into",
        ),
    ];
    for (id, into, status, says) in refusals {
        let (code, error) = merge(&app, &sam, id, into).await;
        assert_eq!(code, status, "{id} into {into}: {error}");
        assert!(
            tests::error_message(&error).contains(says),
            "{id} into {into}: {error}"
        );
    }
    for body in [
        json!({}),
        json!({"into": second, "also": 1}),
        json!({"into": 7}),
    ] {
        let (code, error) = app
            .post(
                &format!("/v1/admin/conversations/{second}/merge"),
                &sam,
                body.clone(),
            )
            .await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{body}: {error}");
    }
    let bongi = app.token("bongi", &["agent", "team-billing"]);
    let (code, _) = merge(&app, &bongi, &second, &first).await;
    assert_eq!(code, StatusCode::NOT_FOUND, "not her team's");

    let (code, merged) = merge(&app, &sam, &second, &first).await;
    assert_eq!(code, StatusCode::OK, "{merged}");
    let notes = |messages: &[Value]| {
        messages
            .iter()
            .filter(|m| m["sender_role"] == "system")
            .count()
    };
    let path = format!("/v1/admin/conversations/{first}/messages");
    assert_eq!(notes(&all_messages(&app, &path, &sam, 100, "asc").await), 1);
    // Again: the same answer, nothing written.
    let (code, again) = merge(&app, &sam, &second, &first).await;
    assert_eq!(
        (code, &again["merged_from"]),
        (StatusCode::OK, &merged["merged_from"])
    );
    assert_eq!(notes(&all_messages(&app, &path, &sam, 100, "asc").await), 1);
    let (code, error) = merge(&app, &sam, &second, &third).await;
    assert_eq!(code, StatusCode::CONFLICT, "{error}");
    assert!(
        tests::error_message(&error).contains("already merged"),
        "{error}"
    );
    let (code, error) = merge(&app, &sam, &third, &second).await;
    assert_eq!(code, StatusCode::CONFLICT, "{error}");
    assert!(
        tests::error_message(&error).contains("merge into that one"),
        "{error}"
    );

    // Merged on: the first into the third takes the second with it, pointing there.
    let (code, merged) = merge(&app, &sam, &first, &third).await;
    assert_eq!(code, StatusCode::OK, "{merged}");
    assert_eq!(merged["merged_from"], json!([first, second]));
    assert_eq!(
        admin_view(&app, &second).await["merged_into"],
        third.as_str()
    );
    let (_, message) = app.post_message(&alice, &second, "And now?").await;
    assert_eq!(message["conversation_id"], third.as_str());
    let everything = all_messages(
        &app,
        &format!("/v1/conversations/{third}/messages"),
        &alice,
        2,
        "asc",
    )
    .await;
    assert_eq!(
        bodies(&everything),
        [
            "Where is my refund",
            "Still no refund",
            "Refund please",
            "And now?"
        ]
    );
}

#[tokio::test]
async fn two_merges_at_once_merge_once() {
    // The same merge twice at once: the one that loses the race finds it done.
    let inner = Arc::new(EmbeddedTable::in_memory());
    let setup = beside(&inner);
    let first = asks(&setup, "alice", "Login", "I cannot log in").await;
    let second = asks(&setup, "alice", "Login!", "Still cannot log in").await;
    let third = asks(&setup, "alice", "Login?", "Help me log in").await;
    let table = Arc::new(Interleaved::new(inner.clone()));
    merge_before_next_write(&table, &inner, &second, &first);
    let app = TestApp::on(table.clone());
    let sam = app.token("sam", &TEAM_AGENT);
    let (code, merged) = merge(&app, &sam, &second, &first).await;
    assert!(table.hook_ran(), "the other merge came in between");
    assert_eq!(code, StatusCode::OK, "{merged}");
    assert_eq!(merged["merged_from"], json!([second]));
    let mpho = app.token("mpho", &["moderator"]);
    let (_, audit) = app.get("/v1/admin/audit", &mpho).await;
    let merges: Vec<&Value> = audit["items"].as_array().unwrap().iter().collect();
    assert_eq!(merges.len(), 1, "once: {audit}");
    assert_eq!(merges[0]["actor"], "sue");
    let path = format!("/v1/admin/conversations/{first}/messages");
    let (_, messages) = app.get(&path, &sam).await;
    let notes = messages["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["sender_role"] == "system")
        .count();
    assert_eq!(notes, 1);

    // Into two different conversations at once: one wins, the other is refused.
    let fourth = asks(&setup, "alice", "Login??", "Locked out").await;
    merge_before_next_write(&table, &inner, &fourth, &third);
    let (code, error) = merge(&app, &sam, &fourth, &first).await;
    assert!(table.hook_ran());
    assert_eq!(code, StatusCode::CONFLICT, "{error}");
    assert_eq!(
        admin_view(&app, &fourth).await["merged_into"],
        third.as_str()
    );
    assert_eq!(
        admin_view(&app, &first).await["merged_from"],
        json!([second])
    );

    // Both ways at once: never a cycle.
    merge_before_next_write(&table, &inner, &first, &third);
    let (code, error) = merge(&app, &sam, &third, &first).await;
    assert!(table.hook_ran());
    assert_eq!(code, StatusCode::CONFLICT, "{error}");
    assert_eq!(admin_view(&app, &third).await["status"], "open");
    assert_eq!(
        admin_view(&app, &third).await["merged_from"],
        json!([fourth, first, second])
    );
    assert_eq!(
        admin_view(&app, &second).await["merged_into"],
        third.as_str()
    );
}
