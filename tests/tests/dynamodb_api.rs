//! The API end to end on the DynamoDB adapter, over HTTP to moto server: the same
//! routers and domain code as on Lambda, against a real DynamoDB emulator.

use axum::http::{Method, StatusCode};
use serde_json::json;
use tests::TestApp;

#[tokio::test]
async fn a_conversation_lives_its_whole_life_on_dynamodb() {
    let app = TestApp::on(tests::moto_table().await);
    let (buyer, seller) = (app.token("buyer", &[]), app.token("seller", &[]));
    let bongi = app.token("bongi", &["agent", "team-billing"]);
    app.listing("car", "seller", "active").await;
    app.listing("sold", "seller", "inactive").await;

    let request = json!({"type": "support", "category": "payment", "subject": "Refund", "body": "Charged twice", "listing_id": "car"});
    let (code, created) = app
        .send(
            Method::POST,
            "/v1/conversations",
            Some(&buyer),
            Some(request.clone()),
            &[("Idempotency-Key", "k")],
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    let (_, replayed) = app
        .send(
            Method::POST,
            "/v1/conversations",
            Some(&buyer),
            Some(request),
            &[("Idempotency-Key", "k")],
        )
        .await;
    assert_eq!(replayed, created);
    let id = created["conversation"]["id"].as_str().unwrap();
    let (code, _) = app
        .post(
            "/v1/conversations",
            &buyer,
            json!({"type": "direct", "listing_id": "sold", "body": "hi"}),
        )
        .await;
    assert_eq!(
        code,
        StatusCode::CONFLICT,
        "a transaction's failed check names the listing"
    );

    let (_, queue) = app.get("/v1/admin/conversations", &bongi).await;
    assert_eq!(queue["items"][0]["id"], id);
    let (code, reply) = app
        .post(
            &format!("/v1/admin/conversations/{id}/replies"),
            &bongi,
            json!({"body": "Refunded"}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{reply}");
    app.post(
        &format!("/v1/admin/conversations/{id}/replies"),
        &bongi,
        json!({"body": "note", "internal": true}),
    )
    .await;
    let (_, seen) = app.get(&format!("/v1/conversations/{id}"), &buyer).await;
    assert_eq!(
        (seen["status"].as_str(), seen["unread_count"].as_u64()),
        (Some("pending"), Some(1))
    );
    let (_, messages) = app
        .get(
            &format!("/v1/conversations/{id}/messages?order=desc"),
            &buyer,
        )
        .await;
    assert_eq!(
        messages["items"].as_array().unwrap().len(),
        2,
        "the note stays internal"
    );
    app.post(
        &format!("/v1/conversations/{id}/read"),
        &buyer,
        json!({"message_id": reply["id"]}),
    )
    .await;
    app.post(
        &format!("/v1/conversations/{id}/messages"),
        &buyer,
        json!({"body": "Thanks!"}),
    )
    .await;
    let (_, pending) = app
        .get("/v1/admin/conversations?status=open&sort=recent", &bongi)
        .await;
    assert_eq!(
        pending["items"][0]["id"], id,
        "reopened by the user's message"
    );
    let (_, resolved) = app
        .patch(
            &format!("/v1/admin/conversations/{id}"),
            &bongi,
            json!({"status": "resolved"}),
        )
        .await;
    assert_eq!(resolved["status"], "resolved");

    let (code, direct) = app
        .post(
            "/v1/conversations",
            &buyer,
            json!({"type": "direct", "listing_id": "car", "body": "Still for sale?"}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{direct}");
    let (_, inbox) = app.get("/v1/conversations?limit=1", &buyer).await;
    assert_eq!(inbox["items"][0]["id"], direct["conversation"]["id"]);
    let (_, next) = app
        .get(
            &format!(
                "/v1/conversations?limit=1&cursor={}",
                inbox["next_cursor"].as_str().unwrap()
            ),
            &buyer,
        )
        .await;
    assert_eq!(next["items"][0]["id"], id);
    let (_, seller_inbox) = app.get("/v1/conversations", &seller).await;
    assert_eq!(seller_inbox["items"][0]["unread_count"], 1);
    assert!(app.table.metrics().snapshot().round_trips > 0);
}

/// The admin workflow on DynamoDB: configuration saves, templates and their use counts,
/// automatic assignment and answers, the directory's open counts and the SLA timeline,
/// each through the adapter's updates, conditions and queries.
#[tokio::test]
async fn the_admin_workflow_runs_on_dynamodb() {
    let app = TestApp::on(tests::moto_table().await);
    let max = app.token("max", &["manager"]);
    let sam = app.token("sam", &["agent", "team-support"]);
    app.get("/v1/admin/conversations", &sam).await;
    let (code, template) = app
        .post(
            "/v1/admin/templates",
            &max,
            json!({"name": "Renew", "body": "Hi {{user.first_name | \"there\"}}: My Ads, Renew."}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{template}");
    for (path, body) in [
        (
            "/v1/admin/routing-rules",
            json!({"rules": [], "auto_assign": ["support"]}),
        ),
        (
            "/v1/admin/automation-rules",
            json!({"acknowledge": true, "answers": [{"category": "general", "keywords": ["renew"], "template_id": template["id"]}]}),
        ),
    ] {
        let (code, saved) = app.call(Method::PUT, path, Some(&max), Some(body)).await;
        assert_eq!(
            (code, &saved["version"]),
            (StatusCode::OK, &json!(1)),
            "{path}: {saved}"
        );
    }

    let alice = app.token("alice", &[]);
    let id = app.support(&alice, "general", "How do I renew?").await;
    let (_, thread) = app
        .get(&format!("/v1/conversations/{id}/messages"), &alice)
        .await;
    let bodies: Vec<&str> = thread["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies.len(), 3, "{bodies:?}");
    assert_eq!(bodies[2], "Hi there: My Ads, Renew.");
    let (_, conversation) = app
        .get(&format!("/v1/admin/conversations/{id}"), &sam)
        .await;
    assert_eq!(conversation["assignee"], "sam");

    let (code, _) = app
        .post(
            &format!("/v1/admin/conversations/{id}/replies"),
            &sam,
            json!({"template_id": template["id"], "status": "resolved"}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED);
    let (_, used) = app
        .get(
            &format!("/v1/admin/templates/{}", template["id"].as_str().unwrap()),
            &sam,
        )
        .await;
    assert_eq!(used["usage_count"], 1);
    let (_, agents) = app.get("/v1/admin/agents", &max).await;
    let sam_profile = agents["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "sam")
        .unwrap();
    assert_eq!(sam_profile["open_count"], 0, "assigned, then resolved");
    let (_, timeline) = app
        .get(&format!("/v1/admin/conversations/{id}/sla"), &sam)
        .await;
    let kinds: Vec<&str> = timeline["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["started", "started", "met", "met"]);
}
