//! The HTTP API as the website uses it: users, admins and the website's backend, through
//! the same routers the Lambda functions serve.

use axum::http::{Method, StatusCode};
use chrono::Duration;
use serde_json::{Value, json};
use tests::{TestApp, error_message};

const SUPPORT_AGENT: &[&str] = &["agent", "team-support"];
const BILLING_AGENT: &[&str] = &["agent", "team-billing"];

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

/// Alice, a user, and Sam, an agent of the support team.
fn alice_and_sam() -> (TestApp, String, String) {
    let app = TestApp::in_memory();
    let alice = app.token("alice", &[]);
    let sam = app.token("sam", SUPPORT_AGENT);
    (app, alice, sam)
}

#[tokio::test]
async fn a_support_conversation_is_routed_by_category_and_payment_is_urgent() {
    let app = TestApp::in_memory();
    let alice = app.token("alice", &[]);
    let request = json!({"type": "support", "category": "payment", "subject": "Double charge", "body": "  I paid twice  "});
    let (code, created) = app.post("/v1/conversations", &alice, request).await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    let conversation = &created["conversation"];
    assert_eq!(conversation["team"], "billing");
    assert_eq!(conversation["priority"], "urgent");
    assert_eq!(conversation["status"], "open");
    assert_eq!(conversation["participants"], json!(["alice"]));
    assert_eq!(conversation["unread_count"], 0);
    // Urgent: 4 hours after 09:00 local on a Tuesday.
    assert_eq!(
        conversation["sla"]["first_response_due"],
        "2026-11-24T11:00:00Z"
    );
    assert_eq!(conversation["sla"]["breached"], false);
    assert_eq!(
        created["message"]["body"], "I paid twice",
        "bodies are trimmed"
    );
    assert_eq!(created["message"]["sender_role"], "user");

    let general = app.support(&alice, "general", "How do I renew?").await;
    let (_, conversation) = app
        .get(&format!("/v1/conversations/{general}"), &alice)
        .await;
    assert_eq!(conversation["team"], "support");
    assert_eq!(conversation["priority"], "normal");
    assert_eq!(
        conversation["sla"]["first_response_due"],
        "2026-11-25T07:00:00Z"
    );
    let (_, technical) = app.post("/v1/conversations", &alice, json!({"type": "support", "category": "technical", "subject": "s", "body": "b", "priority": "urgent"})).await;
    assert_eq!(technical["conversation"]["team"], "technical");
    assert_eq!(
        technical["conversation"]["priority"], "urgent",
        "a user may flag urgent"
    );
}

#[tokio::test]
async fn a_support_conversation_may_be_about_a_listing_but_not_an_unknown_one() {
    let app = TestApp::in_memory();
    let alice = app.token("alice", &[]);
    app.listing("L1", "bob", "inactive").await;
    let about = |listing: &str| json!({"type": "support", "category": "general", "subject": "s", "body": "b", "listing_id": listing});
    let (code, created) = app.post("/v1/conversations", &alice, about("L1")).await;
    assert_eq!(
        code,
        StatusCode::CREATED,
        "an inactive listing can still be asked about: {created}"
    );
    assert_eq!(created["conversation"]["listing_id"], "L1");
    let before = app.item_count();
    let (code, error) = app.post("/v1/conversations", &alice, about("L404")).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(error["error"]["code"], "not_found");
    assert_eq!(app.item_count(), before, "a refused request writes nothing");
}

#[tokio::test]
async fn a_buyer_writes_to_the_seller_of_an_active_listing_only() {
    let app = TestApp::in_memory();
    let (buyer, seller) = (app.token("buyer", &[]), app.token("seller", &[]));
    app.listing("car", "seller", "active").await;
    app.listing("sold", "seller", "inactive").await;
    let direct =
        |listing: &str, body: &str| json!({"type": "direct", "listing_id": listing, "body": body});

    let before = app.item_count();
    let (code, error) = app
        .post("/v1/conversations", &buyer, direct("sold", "Still there?"))
        .await;
    assert_eq!(
        (code, error["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict"))
    );
    let (code, _) = app
        .post("/v1/conversations", &buyer, direct("nope", "Hi"))
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let (code, error) = app
        .post("/v1/conversations", &seller, direct("car", "Hi me"))
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(error_message(&error).starts_with("listing_id:"));
    assert_eq!(app.item_count(), before, "refused requests write nothing");

    let (code, created) = app
        .post(
            "/v1/conversations",
            &buyer,
            direct("car", "Is it available?"),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    let conversation = &created["conversation"];
    assert_eq!(conversation["type"], "direct");
    assert_eq!(conversation["participants"], json!(["buyer", "seller"]));
    assert_eq!(conversation["subject"], "Listing car");
    assert!(
        conversation.get("sla").is_none(),
        "direct conversations have no SLA"
    );
    let id = conversation["id"].as_str().unwrap();

    let (_, seen_by_seller) = app.get(&format!("/v1/conversations/{id}"), &seller).await;
    assert_eq!(seen_by_seller["unread_count"], 1);

    // Writing again about the same listing continues the same thread.
    let (code, again) = app
        .post("/v1/conversations", &buyer, direct("car", "Hello?"))
        .await;
    assert_eq!(code, StatusCode::CREATED);
    assert_eq!(again["conversation"]["id"], id);
    let (_, inbox) = app.get("/v1/conversations", &seller).await;
    assert_eq!(ids(&inbox), [id]);
    assert_eq!(inbox["items"][0]["unread_count"], 2);

    // The listing going inactive stops new threads, not the conversation itself.
    app.listing("car", "seller", "inactive").await;
    let (code, _) = app.post_message(&seller, id, "Sold, sorry").await;
    assert_eq!(code, StatusCode::CREATED);
}

#[tokio::test]
async fn the_inbox_lists_most_recent_activity_first_in_pages_with_filters() {
    let app = TestApp::in_memory();
    let alice = app.token("alice", &[]);
    app.listing("L1", "bob", "active").await;
    let mut opened = Vec::new();
    for n in 0..5 {
        app.clock.advance(Duration::minutes(1));
        opened.push(
            app.support(&alice, "general", &format!("question {n}"))
                .await,
        );
    }
    app.clock.advance(Duration::minutes(1));
    let direct = app.direct(&alice, "L1", "hi").await;
    // New activity moves the oldest to the top.
    app.clock.advance(Duration::minutes(1));
    app.post_message(&alice, &opened[0], "any news?").await;

    let (_, first) = app.get("/v1/conversations?limit=3", &alice).await;
    assert_eq!(
        ids(&first),
        [opened[0].clone(), direct.clone(), opened[4].clone()]
    );
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = app
        .get(
            &format!("/v1/conversations?limit=3&cursor={cursor}"),
            &alice,
        )
        .await;
    assert_eq!(
        ids(&second),
        [opened[3].clone(), opened[2].clone(), opened[1].clone()]
    );
    assert_eq!(second["next_cursor"], Value::Null);

    let (_, directs) = app.get("/v1/conversations?type=direct", &alice).await;
    assert_eq!(ids(&directs), [direct]);
    let (_, pending) = app.get("/v1/conversations?status=pending", &alice).await;
    assert!(ids(&pending).is_empty());
    let (_, open) = app
        .get("/v1/conversations?status=open&type=support&limit=2", &alice)
        .await;
    assert_eq!(ids(&open).len(), 2);
    assert!(open["next_cursor"].is_string());
}

#[tokio::test]
async fn the_inbox_filtered_by_listing_holds_only_the_callers_conversations_about_it() {
    let app = TestApp::in_memory();
    let lerato = app.token("lerato", &[]);
    app.listing("L1", "pieter", "active").await;
    app.listing("L2", "naledi", "active").await;
    let about_l1 = app
        .direct(&lerato, "L1", "Is the bakkie still for sale?")
        .await;
    app.clock.advance(Duration::minutes(1));
    let about_l2 = app
        .direct(&lerato, "L2", "Is the fridge still for sale?")
        .await;
    app.clock.advance(Duration::minutes(1));
    let (code, support) = app
        .post(
            "/v1/conversations",
            &lerato,
            json!({"type": "support", "category": "complaint", "subject": "The fridge", "body": "The seller does not answer", "listing_id": "L2"}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{support}");
    let support = support["conversation"]["id"].as_str().unwrap().to_string();
    app.clock.advance(Duration::minutes(1));
    app.support(&lerato, "general", "How do I renew my ad?")
        .await;

    let about = |token: &str, query: &str| {
        let path = format!("/v1/conversations?{query}");
        let token = token.to_string();
        let app = &app;
        async move {
            let (code, page) = app.get(&path, &token).await;
            assert_eq!(code, StatusCode::OK, "{page}");
            page
        }
    };
    let page = about(&lerato, "listing_id=L1").await;
    assert_eq!(ids(&page), [about_l1.as_str()]);
    assert_eq!(page["items"][0]["listing_id"], "L1");
    assert_eq!(page["next_cursor"], Value::Null);
    let page = about(&lerato, "listing_id=L2").await;
    assert_eq!(
        ids(&page),
        [support.as_str(), about_l2.as_str()],
        "support and buyer–seller, newest first"
    );
    let page = about(&lerato, "listing_id=L2&type=direct").await;
    assert_eq!(ids(&page), [about_l2.as_str()]);
    let first = about(&lerato, "listing_id=L2&limit=1").await;
    assert_eq!(ids(&first), [support]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let next = about(&lerato, &format!("listing_id=L2&limit=1&cursor={cursor}")).await;
    assert_eq!(ids(&next), [about_l2]);

    // The seller sees the buyer's thread about their listing; no one else sees it.
    let pieter = app.token("pieter", &[]);
    assert_eq!(ids(&about(&pieter, "listing_id=L1").await), [about_l1]);
    assert!(ids(&about(&pieter, "listing_id=L2").await).is_empty());
    let thabo = app.token("thabo", &[]);
    assert!(ids(&about(&thabo, "listing_id=L1").await).is_empty());
    assert!(ids(&about(&lerato, "listing_id=L404").await).is_empty());
}

#[tokio::test]
async fn messages_page_in_both_orders_and_internal_notes_stay_internal() {
    let (app, alice, sam) = alice_and_sam();
    let id = app.support(&alice, "general", "m0").await;
    for n in 1..5 {
        app.clock.advance(Duration::seconds(1));
        app.post_message(&alice, &id, &format!("m{n}")).await;
    }
    let (code, note) = app
        .post_reply(&sam, &id, json!({"body": "VIP customer", "internal": true}))
        .await;
    assert_eq!(code, StatusCode::CREATED, "{note}");
    assert_eq!(note["internal"], true);

    let bodies = |page: &Value| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["body"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let path = format!("/v1/conversations/{id}/messages");
    let after = |page: &Value| {
        let cursor = page["next_cursor"].as_str().unwrap();
        format!("{path}?limit=2&cursor={cursor}")
    };
    let (_, page) = app.get(&format!("{path}?limit=2"), &alice).await;
    assert_eq!(bodies(&page), ["m0", "m1"]);
    let (_, page) = app.get(&after(&page), &alice).await;
    assert_eq!(bodies(&page), ["m2", "m3"]);
    let (_, page) = app.get(&after(&page), &alice).await;
    assert_eq!(
        bodies(&page),
        ["m4"],
        "the internal note is not the user's to see"
    );
    assert_eq!(page["next_cursor"], Value::Null);
    let (_, newest) = app.get(&format!("{path}?order=desc&limit=3"), &alice).await;
    assert_eq!(bodies(&newest), ["m4", "m3", "m2"]);

    let (_, admin_view) = app
        .get(
            &format!("/v1/admin/conversations/{id}/messages?order=desc&limit=1"),
            &sam,
        )
        .await;
    assert_eq!(bodies(&admin_view), ["VIP customer"]);
    let (_, conversation) = app.get(&format!("/v1/conversations/{id}"), &alice).await;
    assert_eq!(conversation["status"], "open", "a note is not a reply");
    assert_eq!(conversation["sla"]["first_response_at"], Value::Null);
}

#[tokio::test]
async fn unread_counts_are_right_for_each_participant() {
    let app = TestApp::in_memory();
    let (buyer, seller) = (app.token("buyer", &[]), app.token("seller", &[]));
    app.listing("L1", "seller", "active").await;
    let (_, created) = app
        .post(
            "/v1/conversations",
            &buyer,
            json!({"type": "direct", "listing_id": "L1", "body": "one"}),
        )
        .await;
    let id = created["conversation"]["id"].as_str().unwrap().to_string();
    let first = created["message"]["id"].clone();
    let path = format!("/v1/conversations/{id}");
    let (_, second) = app
        .post(&format!("{path}/messages"), &buyer, json!({"body": "two"}))
        .await;
    app.post(
        &format!("{path}/messages"),
        &buyer,
        json!({"body": "three"}),
    )
    .await;
    let unread = |token: String| {
        let app = &app;
        let path = path.clone();
        async move {
            app.get(&path, &token).await.1["unread_count"]
                .as_u64()
                .unwrap()
        }
    };
    assert_eq!(
        (unread(seller.clone()).await, unread(buyer.clone()).await),
        (3, 0)
    );

    let read_up_to = async |token: &str, message: &Value| {
        let read = format!("{path}/read");
        app.post(&read, token, json!({"message_id": message})).await
    };
    let (code, _) = read_up_to(&seller, &first).await;
    assert_eq!(code, StatusCode::NO_CONTENT);
    assert_eq!(unread(seller.clone()).await, 2);
    read_up_to(&seller, &second["id"]).await;
    assert_eq!(unread(seller.clone()).await, 1);
    // Marking an older message read again never raises the count.
    read_up_to(&seller, &first).await;
    assert_eq!(unread(seller.clone()).await, 1);

    let (_, reply) = app
        .post(&format!("{path}/messages"), &seller, json!({"body": "yes"}))
        .await;
    assert_eq!(
        (unread(seller.clone()).await, unread(buyer.clone()).await),
        (0, 1),
        "writing reads the thread"
    );
    read_up_to(&buyer, &reply["id"]).await;
    assert_eq!(unread(buyer.clone()).await, 0);
    let (code, error) = read_up_to(&buyer, &json!("01NOTAMESSAGE")).await;
    assert_eq!(code, StatusCode::NOT_FOUND, "{error}");
}

#[tokio::test]
async fn agents_work_their_queue_reply_and_the_status_follows_the_conversation() {
    let (app, alice, sam) = alice_and_sam();
    let id = app
        .support(&alice, "general", "How do I renew my ad?")
        .await;

    let (code, queue) = app.get("/v1/admin/conversations", &sam).await;
    assert_eq!(code, StatusCode::OK, "{queue}");
    assert_eq!(ids(&queue), [id.as_str()]);
    assert_eq!(
        queue["items"][0]["unread_count"], 1,
        "the admin side has the user's message unread"
    );

    app.clock.advance(Duration::minutes(7));
    let (code, reply) = app
        .post_reply(&sam, &id, json!({"body": "Open My Ads and choose Renew."}))
        .await;
    assert_eq!(code, StatusCode::CREATED, "{reply}");
    assert_eq!(reply["sender_role"], "admin");
    let (_, seen) = app.get(&format!("/v1/conversations/{id}"), &alice).await;
    assert_eq!(seen["status"], "pending");
    assert_eq!(
        seen["assignee"], "sam",
        "whoever answers an unassigned conversation takes it"
    );
    assert_eq!(seen["unread_count"], 1);
    assert_eq!(seen["sla"]["first_response_at"], "2026-11-24T07:07:00Z");
    assert_eq!(
        seen["sla"]["next_response_due"],
        Value::Null,
        "pending stops the clock"
    );
    let (_, queue) = app.get("/v1/admin/conversations", &sam).await;
    assert!(
        ids(&queue).is_empty(),
        "pending conversations leave the open queue"
    );
    let (_, pending) = app
        .get("/v1/admin/conversations?status=pending", &sam)
        .await;
    assert_eq!(ids(&pending), [id.as_str()]);

    app.clock.advance(Duration::hours(1));
    app.post_message(&alice, &id, "It says expired").await;
    let (_, seen) = app
        .get(&format!("/v1/admin/conversations/{id}"), &sam)
        .await;
    assert_eq!(seen["status"], "open", "a user message on pending reopens");
    assert_eq!(seen["sla"]["next_response_due"], "2026-11-25T08:07:00Z");

    let (code, resolved) = app
        .patch(
            &format!("/v1/admin/conversations/{id}"),
            &sam,
            json!({"status": "resolved"}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{resolved}");
    assert_eq!(resolved["status"], "resolved");
    let (_, reply) = app
        .post_reply(&sam, &id, json!({"body": "Done", "status": "resolved"}))
        .await;
    assert_eq!(reply["body"], "Done");
}

#[tokio::test]
async fn admins_change_assignee_priority_category_and_team() {
    let (app, alice, sam) = alice_and_sam();
    let bongi = app.token("bongi", BILLING_AGENT);
    let id = app.support(&alice, "general", "Refund please").await;
    let path = format!("/v1/admin/conversations/{id}");

    let (_, changed) = app
        .patch(&path, &sam, json!({"assignee": "me", "priority": "urgent"}))
        .await;
    assert_eq!(
        (changed["assignee"].as_str(), changed["priority"].as_str()),
        (Some("sam"), Some("urgent"))
    );
    assert_eq!(
        changed["sla"]["next_response_due"], "2026-11-24T11:00:00Z",
        "urgent deadlines apply at once"
    );
    let (_, changed) = app.patch(&path, &sam, json!({"assignee": null})).await;
    assert_eq!(changed["assignee"], Value::Null);

    let (code, _) = app.get(&path, &bongi).await;
    assert_eq!(
        code,
        StatusCode::NOT_FOUND,
        "billing cannot see support's conversation"
    );
    let (_, moved) = app.patch(&path, &sam, json!({"category": "payment"})).await;
    assert_eq!(
        (moved["category"].as_str(), moved["team"].as_str()),
        (Some("payment"), Some("billing")),
        "a new category re-routes"
    );
    let (code, _) = app.get(&path, &bongi).await;
    assert_eq!(code, StatusCode::OK);
    let (code, _) = app.get(&path, &sam).await;
    assert_eq!(code, StatusCode::NOT_FOUND, "and support no longer sees it");
    let (_, moved) = app
        .patch(
            &path,
            &bongi,
            json!({"team": "technical", "priority": "normal"}),
        )
        .await;
    assert_eq!(
        (moved["team"].as_str(), moved["priority"].as_str()),
        (Some("technical"), Some("normal"))
    );
}

#[tokio::test]
async fn the_queue_filters_sorts_and_merges_teams_page_by_page() {
    let (app, alice, sam) = alice_and_sam();
    let max = app.token("max", &["manager"]);
    let general = app.support(&alice, "general", "g").await; // due tomorrow 09:00
    app.clock.advance(Duration::minutes(1));
    let payment = app.support(&alice, "payment", "p").await; // urgent: due in 4 h (billing)
    app.clock.advance(Duration::minutes(1));
    let complaint = app.support(&alice, "complaint", "c").await; // support, due tomorrow 09:02
    app.clock.advance(Duration::minutes(1));
    let account = app.support(&alice, "account", "a").await; // support, urgent
    app.clock.advance(Duration::minutes(1));
    let technical = app.support(&alice, "technical", "t").await; // technical

    let (_, queue) = app.get("/v1/admin/conversations", &sam).await;
    assert_eq!(
        ids(&queue),
        [account.clone(), general.clone(), complaint.clone()],
        "soonest due first, own team only"
    );
    let (_, recent) = app.get("/v1/admin/conversations?sort=recent", &sam).await;
    assert_eq!(
        ids(&recent),
        [account.clone(), complaint.clone(), general.clone()]
    );
    let (_, complaints) = app
        .get("/v1/admin/conversations?category=complaint", &sam)
        .await;
    assert_eq!(ids(&complaints), [complaint.as_str()]);
    let (_, urgent) = app
        .get("/v1/admin/conversations?priority=urgent", &sam)
        .await;
    assert_eq!(ids(&urgent), [account.as_str()]);
    // Alice's other conversations, as the support team sees them: its own only, newest first.
    let (_, hers) = app.get("/v1/admin/users/alice/conversations", &sam).await;
    assert_eq!(
        ids(&hers),
        [account.clone(), complaint.clone(), general.clone()]
    );
    app.patch(
        &format!("/v1/admin/conversations/{general}"),
        &sam,
        json!({"assignee": "me"}),
    )
    .await;
    let (_, mine) = app.get("/v1/admin/conversations?assignee=me", &sam).await;
    assert_eq!(ids(&mine), [general.as_str()]);
    let (_, unassigned) = app.get("/v1/admin/conversations?assignee=none", &sam).await;
    assert_eq!(ids(&unassigned), [account.clone(), complaint.clone()]);

    // A manager sees every team, merged in due order, across pages without gaps.
    let mut seen = Vec::new();
    let mut path = "/v1/admin/conversations?limit=2".to_string();
    loop {
        let (code, page) = app.get(&path, &max).await;
        assert_eq!(code, StatusCode::OK, "{page}");
        assert!(ids(&page).len() <= 2);
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/admin/conversations?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        [payment.clone(), account, general, complaint, technical]
    );
    let (_, billing) = app.get("/v1/admin/conversations?team=billing", &max).await;
    assert_eq!(ids(&billing), [payment]);
}

#[tokio::test]
async fn every_route_validates_input_and_names_the_field() {
    let (app, alice, sam) = alice_and_sam();
    let website = app.token("website", &["service"]);
    let id = app.support(&alice, "general", "hello").await;
    let before = app.item_count();
    let long = "x".repeat(5_001);
    let cases: Vec<(Method, String, &str, Value, &str)> = vec![
        (
            Method::POST,
            "/v1/conversations".into(),
            &alice,
            json!({"type": "support", "category": "general", "subject": "s"}),
            "body",
        ),
        (
            Method::POST,
            "/v1/conversations".into(),
            &alice,
            json!({"type": "support", "category": "general", "subject": "s", "body": "   "}),
            "body",
        ),
        (
            Method::POST,
            "/v1/conversations".into(),
            &alice,
            json!({"type": "support", "category": "general", "subject": "s", "body": long}),
            "body",
        ),
        (
            Method::POST,
            "/v1/conversations".into(),
            &alice,
            json!({"type": "support", "category": "general", "subject": "s".repeat(201), "body": "b"}),
            "subject",
        ),
        (
            Method::POST,
            "/v1/conversations".into(),
            &alice,
            json!({"type": "support", "category": "gossip", "subject": "s", "body": "b"}),
            "category",
        ),
        (
            Method::POST,
            "/v1/conversations".into(),
            &alice,
            json!({"type": "support", "subject": "s", "body": "b"}),
            "category",
        ),
        (
            Method::POST,
            "/v1/conversations".into(),
            &alice,
            json!({"type": "chat", "body": "b"}),
            "type",
        ),
        (
            Method::POST,
            "/v1/conversations".into(),
            &alice,
            json!({"type": "direct", "body": "b"}),
            "listing_id",
        ),
        (
            Method::POST,
            "/v1/conversations".into(),
            &alice,
            json!({"type": "direct", "body": "b", "listing_id": "a#b"}),
            "listing_id",
        ),
        (
            Method::POST,
            "/v1/conversations".into(),
            &alice,
            json!({"type": "support", "category": "general", "subject": "s", "body": "b", "colour": 1}),
            "colour",
        ),
        (
            Method::POST,
            format!("/v1/conversations/{id}/messages"),
            &alice,
            json!({"body": 5}),
            "body",
        ),
        (
            Method::POST,
            format!("/v1/conversations/{id}/read"),
            &alice,
            json!({}),
            "message_id",
        ),
        (
            Method::POST,
            format!("/v1/admin/conversations/{id}/replies"),
            &sam,
            json!({}),
            "body",
        ),
        (
            Method::POST,
            format!("/v1/admin/conversations/{id}/replies"),
            &sam,
            json!({"body": "b", "template_id": "t"}),
            "body",
        ),
        (
            Method::POST,
            format!("/v1/admin/conversations/{id}/replies"),
            &sam,
            json!({"body": "b", "status": "closed"}),
            "status",
        ),
        (
            Method::PATCH,
            format!("/v1/admin/conversations/{id}"),
            &sam,
            json!({}),
            "body",
        ),
        (
            Method::PATCH,
            format!("/v1/admin/conversations/{id}"),
            &sam,
            json!({"team": "marketing"}),
            "team",
        ),
        (
            Method::PATCH,
            format!("/v1/admin/conversations/{id}"),
            &sam,
            json!({"assignee": "bad id"}),
            "assignee",
        ),
        (
            Method::PUT,
            "/v1/listings/L1".into(),
            &website,
            json!({"title": "", "seller_id": "s", "category": "c", "location": "l", "status": "active"}),
            "title",
        ),
        (
            Method::PUT,
            "/v1/listings/L1".into(),
            &website,
            json!({"title": "t", "seller_id": "s", "category": "c", "location": "l", "status": "sold"}),
            "status",
        ),
    ];
    for (method, path, token, body, field) in cases {
        let (code, error) = app
            .call(method.clone(), &path, Some(token), Some(body.clone()))
            .await;
        assert_eq!(
            code,
            StatusCode::BAD_REQUEST,
            "{method} {path} {body}: {error}"
        );
        assert_eq!(error["error"]["code"], "invalid_request");
        let message = error_message(&error);
        assert!(
            message.contains(field),
            "{method} {path} {body}: the message should name {field}: {message}"
        );
    }
    for query in [
        "limit=0",
        "limit=101",
        "limit=abc",
        "cursor=%%%",
        "status=closed",
        "type=x",
        "listing_id=L%201",
        "colour=red",
    ] {
        let (code, error) = app.get(&format!("/v1/conversations?{query}"), &alice).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{query}: {error}");
        let field = query.split('=').next().unwrap();
        assert!(error_message(&error).contains(field), "{query}: {error}");
    }
    for query in ["sort=oldest", "assignee=a%20b", "team=marketing"] {
        let (code, _) = app
            .get(&format!("/v1/admin/conversations?{query}"), &sam)
            .await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{query}");
    }
    // No body, a method the route does not take, a route there is not.
    for (method, path, expected, error_code) in [
        (
            Method::POST,
            "/v1/conversations",
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            Method::DELETE,
            "/v1/conversations",
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            Method::GET,
            "/v1/nothing",
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ] {
        let (code, error) = app.call(method.clone(), path, Some(&alice), None).await;
        assert_eq!(
            (code, error["error"]["code"].as_str()),
            (expected, Some(error_code)),
            "{method} {path}"
        );
    }
    let (code, _, error) = app
        .exchange(
            Method::POST,
            "/v1/conversations",
            Some(&alice),
            None,
            &[("content-type", "application/json")],
        )
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{error}");
    // A cursor from another list cannot be used to read someone else's.
    let (_, page) = app
        .get(&format!("/v1/conversations/{id}/messages?limit=1"), &alice)
        .await;
    let foreign = page["next_cursor"]
        .as_str()
        .unwrap_or("eyJwayI6eyJTIjoiWCJ9fQ");
    let (code, _) = app
        .get(&format!("/v1/conversations?cursor={foreign}"), &alice)
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.item_count(),
        before,
        "no invalid request wrote anything"
    );
}

#[tokio::test]
async fn strict_input_months_control_characters_and_the_declared_body_type() {
    let app = TestApp::in_memory();
    let alice = app.token("alice", &[]);
    let max = app.token("max", &["manager"]);
    let mpho = app.token("mpho", &["moderator"]);
    for month in ["-001-01", "0000-01", "2026-1", "2026-13"] {
        let (code, error) = app.get(&format!("/v1/admin/reports/{month}"), &max).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{month}: {error}");
    }
    let (code, error) = app.get("/v1/admin/audit?month=2026-1", &mpho).await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{error}");

    let items = app.item_count();
    let nul =
        json!({"type": "support", "category": "general", "subject": "Help", "body": "a\u{0}b"});
    let (code, error) = app.post("/v1/conversations", &alice, nul).await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{error}");
    assert!(error_message(&error).starts_with("body:"), "{error}");
    let header = json!({"type": "support", "category": "general", "subject": "Help\r\nBcc: evil@x.test", "body": "hi"});
    let (code, error) = app.post("/v1/conversations", &alice, header).await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{error}");
    assert!(error_message(&error).starts_with("subject:"), "{error}");
    assert_eq!(app.item_count(), items, "nothing stored");

    // A JSON body declared as something else is refused as such: 415.
    let body = json!({"type": "support", "category": "general", "subject": "Help", "body": "hi"});
    let (body, bearer) = (&body, format!("Bearer {alice}"));
    let declared_as = |declared: &'static str| {
        let headers = [
            ("authorization", bearer.clone()),
            ("content-type", declared.into()),
        ];
        let app = &app;
        async move {
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
            let bytes = body.to_string().into_bytes();
            let (code, _, answer) = app
                .raw(Method::POST, "/v1/conversations", &headers, bytes)
                .await;
            (
                code,
                serde_json::from_slice::<serde_json::Value>(&answer).unwrap(),
            )
        }
    };
    for declared in ["text/plain", "application/x-www-form-urlencoded"] {
        let (code, answer) = declared_as(declared).await;
        assert_eq!(
            code,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{declared}: {answer}"
        );
        assert_eq!(answer["error"]["code"], "unsupported_media_type");
    }
    let (code, _) = declared_as("application/json; charset=utf-8").await;
    assert_eq!(code, StatusCode::CREATED);
    assert!(app.item_count() > items);
}

#[tokio::test]
async fn anyone_signed_in_reads_a_listings_public_details_but_not_its_seller() {
    let (app, alice, _) = alice_and_sam();
    app.listing("L1", "bob", "active").await;
    let (code, listing) = app.get("/v1/listings/L1", &alice).await;
    assert_eq!(code, StatusCode::OK, "{listing}");
    assert_eq!(
        (
            listing["title"].as_str(),
            listing["location"].as_str(),
            listing["status"].as_str()
        ),
        (Some("Listing L1"), Some("Pretoria"), Some("active"))
    );
    assert!(listing.get("seller_id").is_none(), "{listing}");
    let (code, _) = app.get("/v1/listings/L404", &alice).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
}
