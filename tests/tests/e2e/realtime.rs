//! Real-time push over a real WebSocket, against the dev server's router on 127.0.0.1:
//! tickets are single-use and short-lived, and every event reaches exactly the sockets
//! of those who could read its object now.

use axum::http::StatusCode;
use common::domain::realtime::Listener;
use common::store::keys::{audience_row_key, user_connections_partition};
use serde_json::{Value, json};
use tests::{Socket, TestApp};

/// Thandi's support question, delivered: her token, agent Sam's (team support), its id.
async fn thandi_asks(app: &TestApp) -> (String, String, String) {
    let thandi = app.token("thandi", &[]);
    let sam = app.token("sam", &["agent", "team-support"]);
    let id = app.support(&thandi, "general", "How do I renew?").await;
    app.deliver().await;
    (thandi, sam, id)
}

fn of_type<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == kind).collect()
}

#[tokio::test]
async fn a_ticket_opens_one_socket_once_within_a_minute() {
    let app = TestApp::in_memory();
    let addr = app.serve().await;
    let thandi = app.token("thandi", &[]);
    let ticket = app.ticket(&thandi).await;
    let secret = ticket["ticket"].as_str().unwrap();
    assert_eq!(secret.len(), 40);
    assert_eq!(
        ticket["url"],
        format!("ws://127.0.0.1:3000/v1/realtime?ticket={secret}")
    );
    let expires =
        chrono::DateTime::parse_from_rfc3339(ticket["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(
        expires - app.clock_now().fixed_offset(),
        chrono::Duration::seconds(60)
    );

    let mut socket = Socket::open(addr, secret).await.expect("opens once");
    assert_eq!(Socket::open(addr, secret).await.err(), Some(401), "used");
    for made_up in ["", "0000000000000000000000000000000000000000", "x%23y"] {
        assert_eq!(Socket::open(addr, made_up).await.err(), Some(401));
    }
    let late = app.ticket(&thandi).await;
    app.clock.advance(chrono::Duration::seconds(61));
    let late = late["ticket"].as_str().unwrap();
    assert_eq!(Socket::open(addr, late).await.err(), Some(401), "expired");

    // The socket answers pings, and says what was wrong with an action.
    socket.send(json!({"action": "ping"})).await;
    socket.send(json!({"action": "shout"})).await;
    let events = socket.events().await;
    assert_eq!(events[0], json!({"type": "pong"}));
    assert_eq!(events[1]["type"], "error", "{}", events[1]);
    // A frame past API Gateway's 32 KB closes the socket, as it would there.
    let typing =
        json!({"action": "typing", "conversation_id": "x".repeat(33 * 1024), "state": "on"});
    socket.send_text(typing.to_string()).await;
    assert!(
        socket.closed().await,
        "an oversized frame closes the socket"
    );

    // Tickets are for people: not the website's backend, not anonymous callers.
    let website = app.token("website", &["service"]);
    let (code, _) = app.post("/v1/realtime/tickets", &website, json!({})).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, _) = app
        .call(axum::http::Method::POST, "/v1/realtime/tickets", None, None)
        .await;
    assert_eq!(code, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_support_message_reaches_its_user_and_its_teams_admins_and_no_one_else() {
    let app = TestApp::in_memory();
    let addr = app.serve().await;
    let (thandi, sam, id) = thandi_asks(&app).await;

    let mut user = app.socket(addr, &thandi).await;
    let mut author = app.socket(addr, &sam).await;
    let mut same_team = app
        .socket(addr, &app.token("lindiwe", &["agent", "team-support"]))
        .await;
    let mut senior = app.socket(addr, &app.token("sue", &["senior"])).await;
    let mut other_team = app
        .socket(addr, &app.token("bongi", &["agent", "team-billing"]))
        .await;
    let mut stranger = app.socket(addr, &app.token("eve", &[])).await;
    let mut moderator = app.socket(addr, &app.token("mo", &["moderator"])).await;

    let (code, reply) = app
        .post_reply(&sam, &id, json!({"body": "My Ads, then Renew."}))
        .await;
    assert_eq!(code, StatusCode::CREATED, "{reply}");
    assert!(app.deliver().await.is_empty());

    let events = user.events().await;
    let created = of_type(&events, "message.created");
    assert_eq!(created.len(), 1, "{events:?}");
    assert_eq!(created[0]["conversation_id"], id.as_str());
    assert_eq!(created[0]["message"]["body"], "My Ads, then Renew.");
    let notified = of_type(&events, "notification.created");
    assert_eq!(notified[0]["notification"]["conversation_id"], id.as_str());
    let updated = of_type(&events, "conversation.updated");
    assert_eq!(
        updated[0]["conversation"]["status"], "pending",
        "{events:?}"
    );
    assert_eq!(updated[0]["conversation"]["unread_count"], 1);

    let events = author.events().await;
    assert!(
        of_type(&events, "message.created").is_empty(),
        "not to its author"
    );
    assert_eq!(
        of_type(&events, "conversation.updated")[0]["conversation"]["unread_count"],
        0
    );
    for admin in [&mut same_team, &mut senior] {
        let events = admin.events().await;
        assert_eq!(of_type(&events, "message.created").len(), 1, "{events:?}");
    }
    for outsider in [&mut other_team, &mut stranger, &mut moderator] {
        assert_eq!(outsider.events().await, Vec::<Value>::new());
    }

    // An internal note reaches the team, never the user.
    app.post_reply(&sam, &id, json!({"body": "VIP customer", "internal": true}))
        .await;
    app.deliver().await;
    assert!(of_type(&user.events().await, "message.created").is_empty());
    let events = senior.events().await;
    let notes = of_type(&events, "message.created");
    assert_eq!(notes[0]["message"]["internal"], true, "{events:?}");
    assert_eq!(stranger.events().await, Vec::<Value>::new());
}

#[tokio::test]
async fn a_buyer_and_seller_hear_each_other_and_no_admin_hears_them() {
    let app = TestApp::in_memory();
    let addr = app.serve().await;
    app.listing("L1", "sipho", "active").await;
    let thandi = app.token("thandi", &[]);
    let sipho = app.token("sipho", &[]);
    let mut seller = app.socket(addr, &sipho).await;
    let mut manager = app.socket(addr, &app.token("max", &["manager"])).await;
    let mut stranger = app.socket(addr, &app.token("eve", &[])).await;
    let id = app
        .direct(&thandi, "L1", "Is the couch still for sale?")
        .await;
    app.deliver().await;
    let events = seller.events().await;
    assert_eq!(of_type(&events, "message.created").len(), 1, "{events:?}");
    assert_eq!(manager.events().await, Vec::<Value>::new());
    assert_eq!(stranger.events().await, Vec::<Value>::new());

    // Typing is relayed to the other side only, and only by those who may see it.
    let mut buyer = app.socket(addr, &thandi).await;
    buyer
        .send(json!({"action": "typing", "conversation_id": id, "state": "on"}))
        .await;
    let typing = seller.events().await;
    assert_eq!(
        typing,
        [json!({"type": "typing", "conversation_id": id, "user_id": "thandi", "state": "on"})]
    );
    assert_eq!(buyer.events().await, Vec::<Value>::new(), "not echoed");
    stranger
        .send(json!({"action": "typing", "conversation_id": id, "state": "on"}))
        .await;
    stranger
        .send(json!({"action": "typing", "conversation_id": "../x", "state": "on"}))
        .await;
    assert_eq!(seller.events().await, Vec::<Value>::new(), "dropped");
    assert_eq!(stranger.events().await, Vec::<Value>::new());
}

#[tokio::test]
async fn reading_sends_the_other_side_a_receipt_and_shows_in_the_conversation() {
    let app = TestApp::in_memory();
    let addr = app.serve().await;
    let thandi = app.token("thandi", &[]);
    let sam = app.token("sam", &["agent", "team-support"]);
    let id = app.support(&thandi, "general", "How do I renew?").await;
    let (_, reply) = app
        .post_reply(&sam, &id, json!({"body": "My Ads, then Renew."}))
        .await;
    app.deliver().await;
    let mut user = app.socket(addr, &thandi).await;
    let mut admin = app.socket(addr, &sam).await;

    let message_id = reply["id"].as_str().unwrap();
    let (code, _) = app
        .post(
            &format!("/v1/conversations/{id}/read"),
            &thandi,
            json!({"message_id": message_id}),
        )
        .await;
    assert!(code.is_success(), "{code}");
    app.deliver().await;
    let events = admin.events().await;
    let receipts = of_type(&events, "conversation.read");
    assert_eq!(receipts.len(), 1, "{events:?}");
    assert_eq!(receipts[0]["reader_id"], "thandi");
    assert_eq!(receipts[0]["message_id"], message_id);
    assert!(
        of_type(&user.events().await, "conversation.read").is_empty(),
        "own read"
    );

    // In the REST view too: the admin side sees how far the user read.
    let (_, seen) = app
        .get(&format!("/v1/admin/conversations/{id}"), &sam)
        .await;
    let seen = if seen["conversation"].is_object() {
        &seen["conversation"]
    } else {
        &seen
    };
    assert_eq!(
        seen["others_read_up_to"]["message_id"], message_id,
        "{seen}"
    );

    // The admin side reads as the team: the user learns that it was read, not by whom.
    let (_, first) = app
        .get(&format!("/v1/conversations/{id}/messages"), &thandi)
        .await;
    let question = first["items"][0]["id"].as_str().unwrap().to_string();
    let (code, _) = app
        .post(
            &format!("/v1/admin/conversations/{id}/read"),
            &sam,
            json!({"message_id": question}),
        )
        .await;
    assert!(code.is_success(), "{code}");
    app.deliver().await;
    let events = user.events().await;
    let receipts = of_type(&events, "conversation.read");
    assert_eq!(receipts[0]["reader_id"], "@admins", "{events:?}");
}

#[tokio::test]
async fn a_connection_found_gone_is_forgotten() {
    let app = TestApp::in_memory();
    let thandi = app.token("thandi", &[]);
    let id = app.support(&thandi, "general", "How do I renew?").await;
    app.deliver().await;
    let sockets = app.system.app.sockets.as_ref().unwrap();
    let listener = Listener {
        user_id: "thandi".into(),
        admin: false,
        teams: Vec::new(),
    };
    // Registered, but no socket behind it (as after a lost $disconnect on AWS).
    sockets.realtime.connect("stale", &listener).await.unwrap();
    let row = audience_row_key(&user_connections_partition("thandi"), "stale");
    assert!(app.table.get(&row, true).await.unwrap().is_some());
    let sam = app.token("sam", &["agent", "team-support"]);
    app.post_reply(&sam, &id, json!({"body": "Hello"})).await;
    assert!(
        app.deliver().await.is_empty(),
        "a gone connection is no failure"
    );
    assert!(sockets.realtime.listener("stale").await.unwrap().is_none());
    assert!(app.table.get(&row, true).await.unwrap().is_none());
}

/// The emails the outbox holds for `user`, by subject.
fn emails_to(app: &TestApp, user: &str) -> Vec<String> {
    let address = format!("{user}@example.co.za");
    app.system
        .outbox
        .sent()
        .into_iter()
        .filter(|s| s.to == address)
        .filter_map(|s| s.subject)
        .collect()
}

#[tokio::test]
async fn a_reply_read_in_the_app_within_five_minutes_is_not_emailed_and_an_unread_one_is_once() {
    let app = TestApp::in_memory().with_email_delay(5);
    let (thandi, sam, id) = thandi_asks(&app).await;

    let (_, read) = app
        .post_reply(&sam, &id, json!({"body": "My Ads, then Renew."}))
        .await;
    app.post_reply(&sam, &id, json!({"body": "Anything else?"}))
        .await;
    // The stream delivers its records twice: each email still waits once.
    let records = app.take_records();
    assert!(app.system.notifier.process(&records).await.is_empty());
    assert!(app.system.notifier.process(&records).await.is_empty());
    assert!(emails_to(&app, "thandi").is_empty(), "nothing yet");

    // Thandi reads the first reply in the app (not the second) within the five minutes.
    let (code, _) = app
        .post(
            &format!("/v1/conversations/{id}/read"),
            &thandi,
            json!({"message_id": read["id"]}),
        )
        .await;
    assert!(code.is_success());
    let early = app.clock_now() + chrono::Duration::minutes(4);
    let due = app.system.notifier.send_due_emails(early).await.unwrap();
    assert_eq!((due.sent, due.read), (0, 0), "not due yet");

    let (code, done) = app
        .call(
            axum::http::Method::POST,
            "/local/deliver-due",
            None,
            Some(json!({"time": app.clock_now() + chrono::Duration::minutes(6)})),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{done}");
    assert_eq!(done, json!({"sent": 1, "read": 1}));
    assert_eq!(emails_to(&app, "thandi"), ["SayPro Support replied: Help"]);
    let again = app
        .system
        .notifier
        .send_due_emails(app.clock_now() + chrono::Duration::minutes(6))
        .await
        .unwrap();
    assert_eq!((again.sent, again.read), (0, 0), "sent once");

    // Someone who asked for email at once gets it at once.
    let (code, _) = app
        .call(
            axum::http::Method::PUT,
            "/v1/me/preferences",
            Some(&thandi),
            Some(json!({"email_timing": "immediately"})),
        )
        .await;
    assert!(code.is_success());
    app.post_reply(&sam, &id, json!({"body": "Done?"})).await;
    app.deliver().await;
    assert_eq!(emails_to(&app, "thandi").len(), 2);
}

#[tokio::test]
async fn every_event_sent_is_as_the_asyncapi_document_describes_it() {
    let app = TestApp::in_memory();
    let addr = app.serve().await;
    let (code, document) = app
        .call(axum::http::Method::GET, "/asyncapi.json", None, None)
        .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(document["asyncapi"], "3.0.0");
    let mut root = json!({"$ref": "#/components/schemas/Event"});
    root["components"] = document["components"].clone();
    let events = jsonschema::draft202012::new(&root).expect("a valid JSON Schema");

    app.listing("L1", "sipho", "active").await;
    let thandi = app.token("thandi", &[]);
    let sipho = app.token("sipho", &[]);
    let mut buyer = app.socket(addr, &thandi).await;
    let mut seller = app.socket(addr, &sipho).await;
    let id = app
        .direct(&thandi, "L1", "Is the couch still for sale?")
        .await;
    app.deliver().await;
    let (_, messages) = app
        .get(&format!("/v1/conversations/{id}/messages"), &sipho)
        .await;
    app.post(
        &format!("/v1/conversations/{id}/read"),
        &sipho,
        json!({"message_id": messages["items"][0]["id"]}),
    )
    .await;
    app.deliver().await;
    seller
        .send(json!({"action": "typing", "conversation_id": id, "state": "on"}))
        .await;
    seller.send(json!({"action": "ping"})).await;
    seller.send(json!({"action": "typing"})).await;

    let mut sent = buyer.events().await;
    sent.extend(seller.events().await);
    let kinds: std::collections::BTreeSet<&str> =
        sent.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "conversation.read",
            "conversation.updated",
            "error",
            "message.created",
            "notification.created",
            "pong",
            "typing",
            "unread.changed"
        ]
        .into(),
        "{sent:?}"
    );
    for event in &sent {
        let errors: Vec<String> = events.iter_errors(event).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{event}: {errors:?}");
    }
}

#[tokio::test]
async fn admins_see_which_admins_are_on_and_who_has_a_conversation_open_and_users_see_neither() {
    let app = TestApp::in_memory();
    let addr = app.serve().await;
    let thandi = app.token("thandi", &[]);
    let id = app.support(&thandi, "general", "How do I renew?").await;
    app.deliver().await;
    let sam = app.token("sam", &["agent", "team-support"]);
    let mut colleague = app
        .socket(addr, &app.token("lindiwe", &["agent", "team-support"]))
        .await;
    let mut other_team = app
        .socket(addr, &app.token("bongi", &["agent", "team-billing"]))
        .await;
    let mut user = app.socket(addr, &thandi).await;
    let online = |who: &str| json!({"type": "presence", "user_id": who, "status": "online"});

    let mut console = app.socket(addr, &sam).await;
    assert_eq!(colleague.events().await, [online("sam")]);
    // The console says it is on, and is told who else is.
    console
        .send(json!({"action": "presence", "status": "online"}))
        .await;
    assert_eq!(console.events().await, [online("lindiwe")]);
    assert_eq!(colleague.events().await, [online("sam")]);

    console
        .send(json!({"action": "viewing", "conversation_id": id, "state": "on"}))
        .await;
    assert_eq!(
        colleague.events().await,
        [json!({"type": "viewing", "conversation_id": id, "user_id": "sam", "state": "on"})]
    );
    // A user can neither announce viewing nor learn of it.
    user.send(json!({"action": "viewing", "conversation_id": id, "state": "on"}))
        .await;
    user.send(json!({"action": "presence", "status": "online"}))
        .await;
    assert_eq!(console.events().await, Vec::<Value>::new());
    assert_eq!(user.events().await, Vec::<Value>::new());
    assert_eq!(other_team.events().await, Vec::<Value>::new());

    console.close().await;
    assert_eq!(
        colleague.events().await,
        [json!({"type": "presence", "user_id": "sam", "status": "offline"})]
    );
    assert_eq!(user.events().await, Vec::<Value>::new());
}

#[tokio::test]
async fn the_badges_follow_notifications_created_and_read() {
    let app = TestApp::in_memory();
    let addr = app.serve().await;
    let (thandi, sam, id) = thandi_asks(&app).await;
    let mut user = app.socket(addr, &thandi).await;
    let mut other_device = app.socket(addr, &thandi).await;
    let (_, reply) = app
        .post_reply(&sam, &id, json!({"body": "My Ads, then Renew."}))
        .await;
    app.deliver().await;
    let counts = json!({"total": 1, "conversations": {id.clone(): 1}});
    for socket in [&mut user, &mut other_device] {
        let events = socket.events().await;
        assert_eq!(
            of_type(&events, "unread.changed")[0]["counts"],
            counts,
            "{events:?}"
        );
    }
    let path = format!("/v1/notifications/{}/read", reply["id"].as_str().unwrap());
    let (code, _) = app.post(&path, &thandi, json!({})).await;
    assert!(code.is_success(), "{code}");
    let events = other_device.events().await;
    assert_eq!(
        events,
        [json!({"type": "unread.changed", "counts": {"total": 0, "conversations": {}}})]
    );
}

#[tokio::test]
async fn a_conversation_answered_and_resolved_while_its_user_is_away_emails_each_reply() {
    let app = TestApp::in_memory().with_email_delay(5);
    let (thandi, sam, id) = thandi_asks(&app).await;
    let (_, question) = app
        .get(&format!("/v1/admin/conversations/{id}/messages"), &sam)
        .await;
    let read = json!({"message_id": question["items"][0]["id"]});
    app.post(&format!("/v1/admin/conversations/{id}/read"), &sam, read)
        .await;
    app.post_reply(
        &sam,
        &id,
        json!({"body": "My Ads, then Renew.", "status": "pending"}),
    )
    .await;
    app.post_message(&thandi, &id, "Thanks, and what does it cost?")
        .await;
    app.post_reply(&sam, &id, json!({"body": "Nothing.", "status": "resolved"}))
        .await;
    assert!(app.deliver().await.is_empty());
    let later = app.clock_now() + chrono::Duration::minutes(6);
    let due = app.system.notifier.send_due_emails(later).await.unwrap();
    // Both replies to Thandi, and her follow-up to Sam, who had read only the question.
    assert_eq!((due.sent, due.read), (3, 0));
    // The survey went at once, on resolving; the replies after their five minutes.
    assert_eq!(
        emails_to(&app, "thandi"),
        [
            "How did we do? Help",
            "SayPro Support replied: Help",
            "SayPro Support replied: Help"
        ]
    );
    assert_eq!(emails_to(&app, "sam").len(), 1);
}
