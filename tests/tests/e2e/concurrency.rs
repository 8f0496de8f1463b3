//! Retried requests and concurrent admins: an Idempotency-Key creates at most once, and
//! two changes at once are both kept (optimistic concurrency with retry).

use std::sync::Arc;

use axum::http::StatusCode;
use common::domain::Conversation;
use common::store::conversation_key;
use common::store::table::embedded::EmbeddedTable;
use common::store::table::{Table, Value, WriteOp, from_item};
use serde_json::json;
use tests::{Interleaved, TestApp};

#[tokio::test]
async fn a_retried_create_returns_the_first_result_and_creates_nothing() {
    let app = TestApp::in_memory();
    let alice = app.token("alice", &[]);
    let request =
        json!({"type": "support", "category": "general", "subject": "s", "body": "only once"});
    let (code, first) = app
        .post_with_key("/v1/conversations", &alice, request.clone(), "k-1")
        .await;
    assert_eq!(code, StatusCode::CREATED);
    let items = app.item_count();
    app.clock.advance(chrono::Duration::minutes(1));
    let (code, again) = app
        .post_with_key("/v1/conversations", &alice, request.clone(), "k-1")
        .await;
    assert_eq!(code, StatusCode::CREATED);
    assert_eq!(again, first, "the first result, to the byte");
    assert_eq!(app.item_count(), items, "nothing new");

    let (code, error) = app
        .post_with_key(
            "/v1/conversations",
            &alice,
            json!({"type": "support", "category": "general", "subject": "s", "body": "other"}),
            "k-1",
        )
        .await;
    assert_eq!(
        code,
        StatusCode::CONFLICT,
        "a key reused for another request: {error}"
    );
    // Keys are per caller: Bob's k-1 is his own.
    let bob = app.token("bob", &[]);
    let (_, bobs) = app
        .post_with_key("/v1/conversations", &bob, request, "k-1")
        .await;
    assert_ne!(bobs["conversation"]["id"], first["conversation"]["id"]);
    let (_, inbox) = app.get("/v1/conversations", &alice).await;
    assert_eq!(inbox["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn retried_messages_and_replies_are_stored_once() {
    let app = TestApp::in_memory();
    let alice = app.token("alice", &[]);
    let sam = app.token("sam", &["agent", "team-support"]);
    let id = app.support(&alice, "general", "hi").await;
    for (token, path, body) in [
        (
            &alice,
            format!("/v1/conversations/{id}/messages"),
            json!({"body": "again"}),
        ),
        (
            &sam,
            format!("/v1/admin/conversations/{id}/replies"),
            json!({"body": "hello"}),
        ),
    ] {
        let (code, first) = app.post_with_key(&path, token, body.clone(), "retry").await;
        assert_eq!(code, StatusCode::CREATED, "{first}");
        let (code, second) = app.post_with_key(&path, token, body, "retry").await;
        assert_eq!((code, &second), (StatusCode::CREATED, &first));
    }
    let (_, messages) = app
        .get(&format!("/v1/admin/conversations/{id}/messages"), &sam)
        .await;
    assert_eq!(messages["items"].as_array().unwrap().len(), 3);
    let (code, _) = app
        .post_with_key(
            &format!("/v1/conversations/{id}/messages"),
            &alice,
            json!({"body": "x"}),
            "",
        )
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_request_sent_twice_at_once_creates_one_conversation() {
    let app = Arc::new(TestApp::in_memory());
    let alice = app.token("alice", &[]);
    let request =
        json!({"type": "support", "category": "general", "subject": "s", "body": "double click"});
    let send = || {
        let (app, alice, request) = (app.clone(), alice.clone(), request.clone());
        tokio::spawn(async move {
            app.post_with_key("/v1/conversations", &alice, request, "click")
                .await
        })
    };
    let (a, b) = (send(), send());
    let ((code_a, a), (code_b, b)) = (a.await.unwrap(), b.await.unwrap());
    assert_eq!((code_a, code_b), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(a["conversation"]["id"], b["conversation"]["id"]);
    let (_, inbox) = app.get("/v1/conversations", &alice).await;
    assert_eq!(inbox["items"].as_array().unwrap().len(), 1);
}

async fn stored(table: &dyn Table, id: &str) -> Conversation {
    from_item(
        table
            .get(&conversation_key(id), true)
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_agents_at_once_both_keep_every_change() {
    let app = Arc::new(TestApp::in_memory());
    let alice = app.token("alice", &[]);
    let id = app.support(&alice, "general", "help").await;
    let mut tasks = Vec::new();
    for n in 0..10 {
        let (app_a, id_a) = (app.clone(), id.clone());
        tasks.push(tokio::spawn(async move {
            let (app, id) = (app_a, id_a);
            let sam = app.token("sam", &["agent", "team-support"]);
            app.post(
                &format!("/v1/admin/conversations/{id}/replies"),
                &sam,
                json!({"body": format!("reply {n}"), "status": "open"}),
            )
            .await
            .0
        }));
        let (app_b, id_b) = (app.clone(), id.clone());
        tasks.push(tokio::spawn(async move {
            let (app, id) = (app_b, id_b);
            let sue = app.token("sue", &["senior"]);
            let priority = if n % 2 == 0 { "urgent" } else { "normal" };
            app.patch(
                &format!("/v1/admin/conversations/{id}"),
                &sue,
                json!({"priority": priority}),
            )
            .await
            .0
        }));
    }
    for task in tasks {
        assert!(task.await.unwrap().is_success());
    }
    let conversation = stored(app.table.as_ref(), &id).await;
    assert_eq!(
        conversation.version, 21,
        "created at 1, then 20 changes, none lost"
    );
    let sam = app.token("sam", &["agent", "team-support"]);
    let (_, messages) = app
        .get(
            &format!("/v1/admin/conversations/{id}/messages?limit=100"),
            &sam,
        )
        .await;
    assert_eq!(messages["items"].as_array().unwrap().len(), 11);
}

#[tokio::test]
async fn a_change_that_lands_between_read_and_write_is_kept_and_the_reply_retried() {
    let inner = Arc::new(EmbeddedTable::in_memory());
    let setup = TestApp::on(inner.clone());
    let alice = setup.token("alice", &[]);
    let id = setup.support(&alice, "general", "help").await;
    let table = Arc::new(Interleaved::new(inner.clone()));
    // Another agent assigns the conversation to Bongi meanwhile.
    let key = conversation_key(&id);
    table.before_next_write(Box::new(move || {
        Box::pin(async move {
            let mut meta = inner.get(&key, true).await.unwrap().unwrap();
            let version = meta["version"].as_i64().unwrap();
            meta.insert("version".into(), Value::n(version + 1));
            meta.insert("assignee".into(), Value::s("bongi"));
            let put = WriteOp::Put {
                item: meta,
                condition: None,
            };
            inner.write(vec![put]).await.unwrap();
        })
    }));
    let app = TestApp::on(table.clone());
    let sam = app.token("sam", &["agent", "team-support"]);
    let (code, _) = app
        .post(
            &format!("/v1/admin/conversations/{id}/replies"),
            &sam,
            json!({"body": "hi"}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED);
    assert!(table.hook_ran(), "the competing write happened");
    let conversation = stored(table.as_ref(), &id).await;
    assert_eq!(
        conversation.assignee.as_deref(),
        Some("bongi"),
        "the other change is kept"
    );
    assert!(
        conversation.sla.unwrap().first_response_at.is_some(),
        "and so is the reply"
    );
    assert_eq!(conversation.version, 3);
}
