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
        .post_with_key("/v1/conversations", &buyer, request.clone(), "k")
        .await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    let (_, replayed) = app
        .post_with_key("/v1/conversations", &buyer, request, "k")
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
        let (code, saved) = app.save(path, &max, body).await;
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

#[tokio::test]
async fn broadcasts_fan_out_on_dynamodb() {
    let app = TestApp::on(tests::moto_table().await);
    // Small steps, so a few dozen users page within and across the registry's shards.
    let mut fan_out = common::App::new(
        app.table.clone(),
        app.clock.clone(),
        common::IdentitySource::ApiGateway,
    );
    fan_out.broadcast_step_size = 4;
    let website = app.token("website", &["service"]);
    let users: Vec<String> = (0..40).map(|i| format!("u{i:03}")).collect();
    for (i, user) in users.iter().enumerate() {
        let tier = if i % 2 == 0 { "premium" } else { "basic" };
        let (code, synced) = app
            .call(
                Method::PUT,
                &format!("/v1/users/{user}"),
                Some(&website),
                Some(json!({"email": format!("{user}@example.co.za"), "tier": tier})),
            )
            .await;
        assert_eq!(code, StatusCode::OK, "{synced}");
    }
    // A buyer who wrote about a vehicle joins that category's segment from the stream.
    app.listing("L1", "seller-sipho", "active").await;
    let id = app
        .direct(&app.token("ann", &[]), "L1", "Still for sale?")
        .await;
    let item = app
        .table
        .get(&common::store::conversation_key(&id), true)
        .await
        .unwrap()
        .unwrap();
    let conversation = common::store::table::from_item(item).unwrap();
    fan_out.register_starter(&conversation).await.unwrap();

    let max = app.token("max", &["manager"]);
    for (subject, segment, expected) in [
        ("Everyone", json!({"kind": "all"}), 41),
        ("Premium", json!({"kind": "tier", "tier": "premium"}), 20),
        (
            "Vehicles",
            json!({"kind": "listing_category", "category": "vehicles"}),
            1,
        ),
    ] {
        let body = json!({"subject": subject, "body": "News from SayPro", "segment": segment});
        let (code, created) = app.post("/v1/admin/broadcasts", &max, body).await;
        assert_eq!(code, StatusCode::ACCEPTED, "{created}");
        let broadcast = created["id"].as_str().unwrap();
        let mut steps = 0;
        while fan_out.broadcast_step(broadcast).await.unwrap().is_active() {
            steps += 1;
            assert!(steps < 40, "{subject} never finished");
        }
        let (_, done) = app
            .get(&format!("/v1/admin/broadcasts/{broadcast}"), &max)
            .await;
        assert_eq!(done["status"], "sent", "{done}");
        assert_eq!(done["sent"], expected, "{subject}: {done}");
        assert_eq!(done["failed"], 0);
    }
    for user in users.iter().chain([&"ann".to_string()]) {
        let (_, inbox) = app
            .get("/v1/conversations?limit=100", &app.token(user, &[]))
            .await;
        let everyone = inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["subject"] == "Everyone")
            .count();
        assert_eq!(everyone, 1, "{user}: {inbox}");
    }
}

/// Every message of a conversation through `path`, page by page, in `order`.
async fn paged(app: &TestApp, path: &str, token: &str, order: &str) -> Vec<String> {
    let mut bodies = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{path}?limit=1&order={order}");
        if let Some(cursor) = &cursor {
            url.push_str(&format!("&cursor={cursor}"));
        }
        let (code, page) = app.get(&url, token).await;
        assert_eq!(code, StatusCode::OK, "{page}");
        for message in page["items"].as_array().unwrap() {
            bodies.push(message["body"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return bodies,
        }
    }
}

#[tokio::test]
async fn merges_and_snoozes_run_on_dynamodb() {
    let app = TestApp::on(tests::moto_table().await);
    let (alice, sam) = (
        app.token("alice", &[]),
        app.token("sam", &["agent", "team-support"]),
    );
    let minute = || app.clock.advance(chrono::Duration::minutes(1));
    let first = app.support(&alice, "general", "My ad is gone").await;
    minute();
    let again = app.support(&alice, "general", "Where is my ad?").await;
    minute();
    app.post_reply(&sam, &first, json!({"body": "Which ad?"}))
        .await;
    minute();
    app.post_message(&alice, &again, "The bicycle").await;
    minute();
    let (code, merged) = app
        .post(
            &format!("/v1/admin/conversations/{again}/merge"),
            &sam,
            json!({"into": first}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{merged}");
    let hers = format!("/v1/conversations/{first}/messages");
    let expected = [
        "My ad is gone",
        "Where is my ad?",
        "Which ad?",
        "The bicycle",
    ];
    assert_eq!(paged(&app, &hers, &alice, "asc").await, expected);
    let mut newest_first = expected.to_vec();
    newest_first.reverse();
    assert_eq!(paged(&app, &hers, &alice, "desc").await, newest_first);
    let theirs = paged(
        &app,
        &format!("/v1/admin/conversations/{first}/messages"),
        &sam,
        "asc",
    )
    .await;
    assert_eq!(theirs.len(), 5, "with the team's note: {theirs:?}");

    // Snoozed on DynamoDB: listed apart, and reopened by the check at its time.
    let later = app
        .support(&alice, "general", "Photos will not upload")
        .await;
    app.post_reply(&sam, &later, json!({"body": "A screenshot, please?"}))
        .await;
    let wake = app.clock_now() + chrono::Duration::hours(3);
    let (code, view) = app
        .patch(
            &format!("/v1/admin/conversations/{later}"),
            &sam,
            json!({"snoozed_until": wake}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{view}");
    let (_, snoozed) = app.get("/v1/admin/conversations?snoozed=true", &sam).await;
    assert_eq!(snoozed["items"][0]["id"], later.as_str(), "{snoozed}");
    assert_eq!(snoozed["items"].as_array().unwrap().len(), 1);
    app.clock.set(wake + chrono::Duration::minutes(1));
    let outcome = app.system.app.sla_check(app.clock_now()).await.unwrap();
    assert_eq!(outcome.reopened, 1, "{outcome:?}");
    let (_, view) = app
        .get(&format!("/v1/admin/conversations/{later}"), &sam)
        .await;
    assert_eq!(view["status"], "open");
}
