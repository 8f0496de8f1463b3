//! The abuse pipeline through the API: refusals that say why and store nothing,
//! warnings shown to the recipient, links as entities, rate limits (429 with
//! Retry-After, tighter for new accounts, per listing), and the policy moderators edit.

use axum::http::{Method, StatusCode};
use chrono::Duration;
use common::domain::identity::Claims;
use common::jwt;
use serde_json::{Value, json};
use tests::{TestApp, error_message};

fn new_account_token(app: &TestApp, sub: &str) -> String {
    let claims = Claims {
        sub: sub.into(),
        exp: Some((app.clock_now() + Duration::days(1)).timestamp()),
        joined_at: Some(
            (app.clock_now() - Duration::days(2))
                .timestamp()
                .to_string(),
        ),
        ..Claims::default()
    };
    jwt::sign(&claims, tests::SECRET.as_bytes())
}

/// Thandi asks about Sipho's listing L1, and Mpho moderates: the app, the three
/// tokens, and the direct conversation Thandi opened.
async fn enquiry() -> (TestApp, String, String, String, String) {
    let app = TestApp::in_memory();
    app.listing("L1", "sipho", "active").await;
    let thandi = app.token("thandi", &[]);
    let sipho = app.token("sipho", &[]);
    let mpho = app.token("mpho", &["moderator"]);
    let id = app.direct(&thandi, "L1", "Is it still available?").await;
    (app, thandi, sipho, mpho, id)
}

/// Thandi opens a support conversation and writes in it up to the limit of ten a
/// minute: her token and the conversation.
async fn up_to_the_minute_limit(app: &TestApp) -> (String, String) {
    let thandi = app.token("thandi", &[]);
    let id = app.support(&thandi, "general", "Hello").await;
    for n in 2..=10 {
        let (code, reply) = app
            .post_message(&thandi, &id, &format!("Message {n}"))
            .await;
        assert_eq!(code, StatusCode::CREATED, "message {n}: {reply}");
    }
    (thandi, id)
}

/// Where a moderator releases or rejects (`decision`) what an answer says was held.
fn held_path(held: &Value, decision: &str) -> String {
    let id = held["held_id"].as_str().unwrap();
    format!("/v1/admin/moderation/held/{id}/{decision}")
}

async fn block(app: &TestApp, moderator: &str, user: &str, reason: &str) -> (StatusCode, Value) {
    let path = format!("/v1/admin/users/{user}/block");
    app.post(&path, moderator, json!({"reason": reason})).await
}

async fn unblock(app: &TestApp, moderator: &str, user: &str) -> StatusCode {
    let path = format!("/v1/admin/users/{user}/unblock");
    app.call(Method::POST, &path, Some(moderator), None).await.0
}

/// A moderator closes a report with an outcome, and a note if there is one.
async fn close_report(
    app: &TestApp,
    moderator: &str,
    report: &Value,
    outcome: &str,
    note: Option<&str>,
) -> (StatusCode, Value) {
    let path = format!(
        "/v1/admin/moderation/reports/{}/close",
        report["id"].as_str().unwrap()
    );
    let mut decision = json!({"outcome": outcome});
    if let Some(note) = note {
        decision["note"] = json!(note);
    }
    app.post(&path, moderator, decision).await
}

/// The actions in the audit log, in its order.
async fn audited_actions(app: &TestApp, moderator: &str) -> Vec<String> {
    let (_, log) = app.get("/v1/admin/audit", moderator).await;
    log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_refused_message_says_why_and_stores_nothing() {
    let app = TestApp::in_memory();
    app.listing("L1", "sipho", "active").await;
    let thandi = app.token("thandi", &[]);
    let before = app.item_count();
    let phishing = "Please confirm your details at https://saypro-secure.com/login";
    let (code, error) = app.open_direct(&thandi, "L1", phishing).await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{error}");
    assert_eq!(error["error"]["code"], "invalid_request");
    assert_eq!(
        error["error"]["message"],
        "body: this message was not sent because saypro-secure.com imitates SayPro's address"
    );
    assert_eq!(app.item_count(), before, "nothing written, no quota used");

    let id = app.direct(&thandi, "L1", "Is it still available?").await;
    let (code, error) = app
        .post_message(&thandi, &id, "You FUCKING time waster")
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(
        error_message(&error).contains("language that is not allowed"),
        "{error}"
    );
    let (_, messages) = app
        .get(&format!("/v1/conversations/{id}/messages"), &thandi)
        .await;
    assert_eq!(messages["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_held_message_waits_for_a_moderator_who_releases_it_once_or_rejects_it() {
    let (app, thandi, sipho, mpho, id) = enquiry().await;
    assert!(app.run_stream().await.is_empty());
    let notified = app.system.outbox.sent().len();

    let key = "deposit-1";
    let scam =
        json!({"body": "I am away, pay a deposit first to hold it and my courier brings it"});
    let path = format!("/v1/conversations/{id}/messages");
    let (code, held) = app.post_with_key(&path, &sipho, scam.clone(), key).await;
    assert_eq!(code, StatusCode::ACCEPTED, "{held}");
    assert_eq!(held["status"], "waiting");
    assert!(
        held["reason"]
            .as_str()
            .unwrap()
            .contains("waits for a moderator")
    );
    let (code, again) = app.post_with_key(&path, &sipho, scam, key).await;
    assert_eq!(
        (code, &again["held_id"]),
        (StatusCode::ACCEPTED, &held["held_id"])
    );
    let (_, seen) = app.get(&format!("{path}?limit=100"), &thandi).await;
    assert_eq!(seen["items"].as_array().unwrap().len(), 1, "not delivered");
    assert!(app.run_stream().await.is_empty());
    assert_eq!(app.system.outbox.sent().len(), notified, "nobody notified");

    for token in [&thandi, &app.token("agent-sam", &["agent", "team-support"])] {
        let (code, _) = app.get("/v1/admin/moderation/held", token).await;
        assert_eq!(code, StatusCode::FORBIDDEN);
    }
    let (_, queue) = app.get("/v1/admin/moderation/held", &mpho).await;
    let item = &queue["items"][0];
    assert_eq!(queue["items"].as_array().unwrap().len(), 1, "{queue}");
    assert_eq!(item["sender_id"], "sipho");
    assert_eq!(item["request"]["kind"], "message");
    assert_eq!(item["request"]["conversation_id"], id.as_str());
    assert_eq!(item["rules"], json!(["scam:off_platform_payment"]));
    assert!(
        item.get("sender").is_none(),
        "the author's token claims stay stored"
    );

    let release = held_path(&held, "release");
    let (code, released) = app.post(&release, &mpho, json!({})).await;
    assert_eq!(code, StatusCode::OK, "{released}");
    assert_eq!(released["status"], "released");
    assert_eq!(released["decided_by"], "mpho");
    let (code, _) = app.post(&release, &mpho, json!({})).await;
    assert_eq!(code, StatusCode::CONFLICT, "released once");
    let (_, seen) = app.get(&format!("{path}?limit=100"), &thandi).await;
    let messages = seen["items"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1]["sender_id"], "sipho");
    let (_, queue) = app.get("/v1/admin/moderation/held", &mpho).await;
    assert_eq!(queue["items"], json!([]));

    // A new conversation held, then rejected: nothing is ever created.
    let ben = app.token("ben", &[]);
    let prize = "Congratulations, you have won! Pay the release fee";
    let (code, held) = app.open_direct(&ben, "L1", prize).await;
    assert_eq!(code, StatusCode::ACCEPTED, "{held}");
    let reject = held_path(&held, "reject");
    let (code, rejected) = app.post(&reject, &mpho, json!({})).await;
    assert_eq!(
        (code, &rejected["status"]),
        (StatusCode::OK, &json!("rejected"))
    );
    let (_, bens) = app.get("/v1/conversations", &ben).await;
    assert_eq!(bens["items"], json!([]));
    let (code, _) = app.post(&reject, &mpho, json!({})).await;
    assert_eq!(code, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_held_first_message_released_starts_the_conversation_as_its_author() {
    let app = TestApp::in_memory();
    app.listing("L1", "sipho", "active").await;
    let ben = app.token("ben", &[]);
    let (code, held) = app
        .open_direct(&ben, "L1", "More photos at bit.ly/3abcDEF")
        .await;
    assert_eq!(code, StatusCode::ACCEPTED, "{held}");
    let mpho = app.token("mpho", &["moderator"]);
    let (code, _) = app
        .post(&held_path(&held, "release"), &mpho, json!({}))
        .await;
    assert_eq!(code, StatusCode::OK);
    let (_, sellers) = app.get("/v1/conversations", &app.token("sipho", &[])).await;
    assert_eq!(sellers["items"][0]["created_by"], "ben", "{sellers}");
}

#[tokio::test]
async fn a_risky_message_is_delivered_with_a_warning_and_links_are_entities() {
    let app = TestApp::in_memory();
    app.listing("L1", "sipho", "active").await;
    let thandi = app.token("thandi", &[]);
    let id = app
        .direct(
            &thandi,
            "L1",
            "Photos are on saypro.co.za/listing/L1, or WhatsApp me on 082 123 4567",
        )
        .await;
    let sipho = app.token("sipho", &[]);
    let (_, messages) = app
        .get(&format!("/v1/conversations/{id}/messages"), &sipho)
        .await;
    let message = &messages["items"][0];
    assert!(
        message["warning"]
            .as_str()
            .unwrap()
            .starts_with("Be careful: it asks to continue outside SayPro"),
        "{message}"
    );
    assert_eq!(
        message["links"],
        json!([{"url": "saypro.co.za/listing/L1", "domain": "saypro.co.za"}])
    );
    let (code, plain) = app.post_message(&sipho, &id, "Yes, still available").await;
    assert_eq!(code, StatusCode::CREATED);
    assert!(plain.get("warning").is_none() && plain.get("links").is_none());

    // To support, a code or a payment is a question, not a scam.
    let otp = "My OTP never arrives, please send me the code again";
    let (code, _) = app.open_support(&thandi, "account", "OTP", otp).await;
    assert_eq!(code, StatusCode::CREATED);
}

#[tokio::test]
async fn senders_are_rate_limited_per_minute_with_retry_after_and_new_accounts_sooner() {
    let app = TestApp::in_memory();
    let (thandi, id) = up_to_the_minute_limit(&app).await;
    let before = app.item_count();
    let (code, headers, error) = app
        .exchange(
            Method::POST,
            &format!("/v1/conversations/{id}/messages"),
            Some(&thandi),
            Some(json!({"body": "Message 11"})),
            &[],
        )
        .await;
    assert_eq!(code, StatusCode::TOO_MANY_REQUESTS, "{error}");
    assert_eq!(error["error"]["code"], "rate_limited");
    assert_eq!(
        headers["retry-after"], "60",
        "the test clock sits at the start of a minute"
    );
    assert_eq!(app.item_count(), before, "a refused message stores nothing");
    app.clock.advance(Duration::seconds(61));
    let (code, _) = app.post_message(&thandi, &id, "Message 11, later").await;
    assert_eq!(code, StatusCode::CREATED);

    let newcomer = new_account_token(&app, "newcomer");
    let id = app.support(&newcomer, "general", "Hi").await;
    for n in 2..=4 {
        let (code, _) = app
            .post_message(&newcomer, &id, &format!("again {n}"))
            .await;
        assert_eq!(code, StatusCode::CREATED);
    }
    let (code, _) = app.post_message(&newcomer, &id, "fifth").await;
    assert_eq!(
        code,
        StatusCode::TOO_MANY_REQUESTS,
        "4 a minute for new accounts"
    );
}

#[tokio::test]
async fn moderators_set_the_policy_and_it_applies_at_once() {
    let app = TestApp::in_memory();
    app.listing("L1", "sipho", "active").await;
    let mpho = app.token("mpho", &["moderator"]);
    let (code, current) = app.get("/v1/admin/safety-policy", &mpho).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(current["version"], 0);
    let mut policy = current["policy"].clone();
    policy["blocked_words"] = json!(["Scammer"]);
    policy["blocked_domains"] = json!(["cheap-deals.xyz"]);
    policy["rate_limits"]["listing_conversations_per_hour"] = json!(2);
    for token in [
        app.token("agent-sam", &["agent", "team-support"]),
        app.token("thandi", &[]),
    ] {
        let (code, _) = app
            .save("/v1/admin/safety-policy", &token, policy.clone())
            .await;
        assert_eq!(code, StatusCode::FORBIDDEN);
    }
    let (code, saved) = app
        .save("/v1/admin/safety-policy", &mpho, policy.clone())
        .await;
    assert_eq!(code, StatusCode::OK, "{saved}");
    assert_eq!(saved["policy"]["blocked_words"], json!(["scammer"]));

    let thandi = app.token("thandi", &[]);
    for (body, expected) in [
        ("You are a SCAMMER", StatusCode::BAD_REQUEST),
        (
            "Better price at www.cheap-deals.xyz",
            StatusCode::BAD_REQUEST,
        ),
        ("Is it available?", StatusCode::CREATED),
    ] {
        let (code, reply) = app.open_direct(&thandi, "L1", body).await;
        assert_eq!(code, expected, "{body}: {reply}");
    }
    // The listing takes two new conversations an hour, from anyone.
    let (code, _) = app.open_direct(&app.token("ben", &[]), "L1", "Hi").await;
    assert_eq!(code, StatusCode::CREATED);
    let (code, error) = app.open_direct(&app.token("cat", &[]), "L1", "Hi").await;
    assert_eq!(code, StatusCode::TOO_MANY_REQUESTS, "{error}");
    assert!(error_message(&error).contains("this listing"));

    let mut bad = policy.clone();
    bad["rate_limits"]["per_minute"] = json!(0);
    let (code, error) = app.save("/v1/admin/safety-policy", &mpho, bad).await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{error}");
}

#[tokio::test]
async fn rate_limits_hold_on_dynamodb() {
    let app = TestApp::on(tests::moto_table().await);
    let (thandi, id) = up_to_the_minute_limit(&app).await;
    let (code, error) = app.post_message(&thandi, &id, "Message 11").await;
    assert_eq!(code, StatusCode::TOO_MANY_REQUESTS, "{error}");
    let (_, messages) = app
        .get(
            &format!("/v1/conversations/{id}/messages?limit=100"),
            &thandi,
        )
        .await;
    assert_eq!(messages["items"].as_array().unwrap().len(), 10);
}

#[tokio::test]
async fn the_same_long_text_to_many_sellers_is_held_but_a_short_question_is_not() {
    let app = TestApp::in_memory();
    for listing in ["L1", "L2", "L3", "L4", "L5"] {
        app.listing(listing, &format!("seller-{listing}"), "active")
            .await;
    }
    let thandi = app.token("thandi", &[]);
    for listing in ["L1", "L2", "L3", "L4", "L5"] {
        app.direct(&thandi, listing, "Is it still available?").await;
    }
    let spammer = app.token("spammer", &[]);
    let pitch = "Hello dear, I buy all your items for a great price, reply now for details";
    for (n, listing) in ["L1", "L2", "L3", "L4"].into_iter().enumerate() {
        let (code, reply) = app.open_direct(&spammer, listing, pitch).await;
        let expected = if n < 3 {
            StatusCode::CREATED
        } else {
            StatusCode::ACCEPTED
        };
        assert_eq!(code, expected, "conversation {}: {reply}", n + 1);
        if n == 3 {
            assert!(
                reply["reason"]
                    .as_str()
                    .unwrap()
                    .contains("sent 4 times within the hour"),
                "{reply}"
            );
        }
    }
    // An hour later the count starts again.
    app.clock.advance(Duration::hours(1));
    let (code, _) = app.open_direct(&spammer, "L5", pitch).await;
    assert_eq!(code, StatusCode::CREATED);
}

#[tokio::test]
async fn a_blocked_user_is_told_so_and_every_moderator_action_is_in_the_audit_log() {
    let (app, thandi, sipho, mpho, id) = enquiry().await;

    let (code, blocked) = block(&app, &mpho, "sipho", "Asked buyers for OTPs").await;
    assert_eq!(code, StatusCode::OK, "{blocked}");
    let before = app.item_count();
    let (code, error) = app.post_message(&sipho, &id, "Yes it is").await;
    assert_eq!(code, StatusCode::FORBIDDEN, "{error}");
    assert!(error_message(&error).contains("blocked"), "{error}");
    let (code, _) = app
        .open_support(&sipho, "account", "Why?", "Why am I blocked?")
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    assert_eq!(app.item_count(), before, "nothing stored");
    let (code, _) = app.post_message(&thandi, &id, "Hello?").await;
    assert_eq!(code, StatusCode::CREATED, "only the blocked user is");

    assert_eq!(unblock(&app, &mpho, "sipho").await, StatusCode::NO_CONTENT);
    let (code, _) = app.post_message(&sipho, &id, "Sorry, yes it is").await;
    assert_eq!(code, StatusCode::CREATED);
    assert_eq!(
        unblock(&app, &mpho, "sipho").await,
        StatusCode::NOT_FOUND,
        "not blocked any more"
    );

    let (_, current) = app.get("/v1/admin/safety-policy", &mpho).await;
    app.save("/v1/admin/safety-policy", &mpho, current["policy"].clone())
        .await;
    let (code, log) = app.get("/v1/admin/audit", &mpho).await;
    assert_eq!(code, StatusCode::OK, "{log}");
    let actions: Vec<(&str, &str, &str)> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["target"].as_str().unwrap(),
                e["actor"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("user.blocked", "user:sipho", "mpho"),
            ("user.unblocked", "user:sipho", "mpho"),
            ("safety_policy.saved", "safety_policy", "mpho"),
        ]
    );
    assert_eq!(log["items"][0]["detail"], "Asked buyers for OTPs");
    let (code, _) = app.get("/v1/admin/audit", &thandi).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    for method in [Method::PUT, Method::DELETE, Method::PATCH] {
        let (code, _) = app
            .call(
                method.clone(),
                "/v1/admin/audit",
                Some(&mpho),
                Some(json!({})),
            )
            .await;
        assert!(
            code == StatusCode::METHOD_NOT_ALLOWED || code == StatusCode::NOT_FOUND,
            "{method}: nobody edits the log"
        );
    }
    let (code, _) = app.get("/v1/admin/audit?month=2026-13", &mpho).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_report_is_judged_in_context_and_closed_by_hiding_the_message_or_blocking_its_author() {
    let (app, thandi, sipho, mpho, id) = enquiry().await;
    let (_, insult) = app.post_message(&sipho, &id, "Only idiots ask that").await;
    let insult_id = insult["id"].as_str().unwrap();

    let path = format!("/v1/conversations/{id}/reports");
    for (token, body, expected) in [
        (
            &sipho,
            json!({"reason": "abuse", "message_id": insult_id}),
            StatusCode::BAD_REQUEST,
        ),
        (
            &thandi,
            json!({"reason": "abuse", "message_id": "nope"}),
            StatusCode::BAD_REQUEST,
        ),
        (&thandi, json!({"reason": "rude"}), StatusCode::BAD_REQUEST),
        (
            &app.token("ben", &[]),
            json!({"reason": "abuse"}),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let (code, reply) = app.post(&path, token, body.clone()).await;
        assert_eq!(code, expected, "{body}: {reply}");
    }
    let (code, report) = app
        .post(
            &path,
            &thandi,
            json!({"reason": "abuse", "message_id": insult_id, "comment": "Rude"}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{report}");
    assert_eq!(report["reported_user"], "sipho");
    assert_eq!(report["status"], "open");
    assert_eq!(
        report["due_at"], "2026-11-25T07:00:00Z",
        "24 hours to answer"
    );

    let (code, _) = app.get("/v1/admin/moderation/reports", &thandi).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (_, queue) = app.get("/v1/admin/moderation/reports", &mpho).await;
    assert_eq!(queue["items"].as_array().unwrap().len(), 1);
    let report_id = report["id"].as_str().unwrap();
    let (code, context) = app
        .get(&format!("/v1/admin/moderation/reports/{report_id}"), &mpho)
        .await;
    assert_eq!(code, StatusCode::OK, "{context}");
    assert_eq!(context["messages"].as_array().unwrap().len(), 2);
    assert_eq!(context["conversation"]["id"], id.as_str());

    let (code, closed) = close_report(&app, &mpho, &report, "message_hidden", Some("Insult")).await;
    assert_eq!(code, StatusCode::OK, "{closed}");
    assert_eq!(
        (&closed["status"], &closed["outcome"]),
        (&json!("closed"), &json!("message_hidden"))
    );
    let (code, _) = close_report(&app, &mpho, &report, "dismissed", None).await;
    assert_eq!(code, StatusCode::CONFLICT);
    for token in [&thandi, &sipho] {
        let (_, seen) = app
            .get(&format!("/v1/conversations/{id}/messages"), token)
            .await;
        assert_eq!(
            seen["items"][1]["body"],
            common::domain::message::HIDDEN_BODY
        );
    }
    let (_, context) = app
        .get(&format!("/v1/admin/moderation/reports/{report_id}"), &mpho)
        .await;
    assert_eq!(context["messages"][1]["body"], "Only idiots ask that");
    assert_eq!(context["messages"][1]["hidden"], true);

    // A report on the whole conversation, closed by blocking the other party.
    let (_, report) = app
        .post(&path, &thandi, json!({"reason": "harassment"}))
        .await;
    let (code, _) = close_report(
        &app,
        &mpho,
        &report,
        "user_blocked",
        Some("Repeated insults"),
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    let (code, _) = app.post_message(&sipho, &id, "Hello?").await;
    assert_eq!(code, StatusCode::FORBIDDEN, "blocked");

    assert_eq!(
        audited_actions(&app, &mpho).await,
        [
            "conversation.read",
            "message.hidden",
            "conversation.read",
            "user.blocked"
        ]
    );
}

#[tokio::test]
async fn a_warned_user_finds_it_in_their_inbox_and_a_flagged_thread_becomes_a_complaint() {
    let (app, thandi, sipho, mpho, id) = enquiry().await;
    app.post_message(&sipho, &id, "Yes, but only if you pay upfront")
        .await;

    let (code, warning) = app
        .post(
            "/v1/admin/users/sipho/warn",
            &mpho,
            json!({"message": "Asking for payment before viewing is not allowed on SayPro."}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{warning}");
    let (_, inbox) = app.get("/v1/conversations", &sipho).await;
    let warned = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["subject"] == "A warning from SayPro's moderators")
        .expect("the warning is in the inbox");
    assert_eq!(warned["created_by"], "saypro-support");
    assert_eq!(warned["unread_count"], 1);

    let (_, report) = app
        .post(
            &format!("/v1/conversations/{id}/reports"),
            &thandi,
            json!({"reason": "scam", "comment": "Wants payment upfront"}),
        )
        .await;
    let (code, closed) = close_report(&app, &mpho, &report, "flagged_to_support", None).await;
    assert_eq!(code, StatusCode::OK, "{closed}");
    let (_, mine) = app.get("/v1/conversations?type=support", &thandi).await;
    let complaint = &mine["items"][0];
    assert_eq!(complaint["category"], "complaint");
    assert_eq!(complaint["listing_id"], "L1");
    assert_eq!(complaint["status"], "open");
    let agent = app.token("agent-sam", &["agent", "team-support"]);
    let (_, queue) = app.get("/v1/admin/conversations", &agent).await;
    assert_eq!(queue["items"][0]["id"], complaint["id"], "{queue}");
    assert!(queue["items"][0]["sla"]["first_response_due"].is_string());
    let (_, thread) = app
        .get(
            &format!(
                "/v1/admin/conversations/{}/messages",
                complaint["id"].as_str().unwrap()
            ),
            &agent,
        )
        .await;
    let note = &thread["items"][1];
    assert_eq!(note["internal"], true);
    assert!(note["body"].as_str().unwrap().contains(&id), "{note}");

    // Support conversations are the team's already: not flagged again.
    let support = app.support(&thandi, "general", "Hi").await;
    let (_, report) = app
        .post(
            &format!("/v1/conversations/{support}/reports"),
            &thandi,
            json!({"reason": "other"}),
        )
        .await;
    let (code, _) = close_report(&app, &mpho, &report, "flagged_to_support", None).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert_eq!(
        audited_actions(&app, &mpho).await,
        ["user.warned", "report.flagged_to_support"]
    );
}

#[tokio::test]
async fn a_moderator_reads_a_buyer_seller_conversation_only_with_a_reason_that_is_audited() {
    let (app, _, _, mpho, id) = enquiry().await;
    let path = format!("/v1/admin/moderation/conversations/{id}");
    let (code, _) = app.get(&path, &mpho).await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "a reason is required");
    let (code, _) = app
        .get(
            &format!("{path}?reason=spot%20check"),
            &app.token("sam", &["agent", "team-support"]),
        )
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, seen) = app
        .get(&format!("{path}?reason=seller%20complaint"), &mpho)
        .await;
    assert_eq!(code, StatusCode::OK, "{seen}");
    assert_eq!(seen["messages"][0]["body"], "Is it still available?");
    let (_, log) = app.get("/v1/admin/audit", &mpho).await;
    assert_eq!(log["items"][0]["action"], "conversation.read");
    assert_eq!(log["items"][0]["target"], format!("conversation:{id}"));
    assert_eq!(log["items"][0]["detail"], "seller complaint");
}

#[tokio::test]
async fn reports_are_limited_per_reporter_and_once_per_message_while_open() {
    let (app, thandi, sipho, mpho, id) = enquiry().await;
    let path = format!("/v1/conversations/{id}/reports");
    let (code, first) = app.post(&path, &thandi, json!({"reason": "spam"})).await;
    assert_eq!(code, StatusCode::CREATED, "{first}");
    let (code, again) = app.post(&path, &thandi, json!({"reason": "spam"})).await;
    assert_eq!(
        code,
        StatusCode::CONFLICT,
        "one open report of the thread: {again}"
    );
    // Each of Sipho's messages may be reported once: then the hour's limit (5) is reached.
    let mut codes = Vec::new();
    for n in 0..5 {
        let (_, message) = app.post_message(&sipho, &id, &format!("Offer {n}")).await;
        let report = json!({"reason": "spam", "message_id": message["id"]});
        codes.push(app.post(&path, &thandi, report).await.0);
    }
    assert_eq!(
        codes,
        [
            [StatusCode::CREATED; 4].as_slice(),
            &[StatusCode::TOO_MANY_REQUESTS]
        ]
        .concat()
    );
    let (_, queue) = app.get("/v1/admin/moderation/reports", &mpho).await;
    assert_eq!(
        queue["items"].as_array().unwrap().len(),
        5,
        "15 in a row no longer"
    );
    // Closed, the thread may be reported again (next hour).
    let (code, _) = close_report(&app, &mpho, &first, "dismissed", None).await;
    assert_eq!(code, StatusCode::OK);
    app.clock.advance(Duration::hours(1));
    let thandi = app.token("thandi", &[]);
    let (code, again) = app.post(&path, &thandi, json!({"reason": "scam"})).await;
    assert_eq!(code, StatusCode::CREATED, "{again}");
}

#[tokio::test]
async fn a_block_stops_every_write_of_the_user_but_not_their_privacy_rights() {
    let (app, thandi, _sipho, mpho, id) = enquiry().await;
    let resolved = app.support(&thandi, "general", "How do I renew?").await;
    let sam = app.token("sam", &["agent", "team-support"]);
    let (code, _) = app
        .post(
            &format!("/v1/admin/conversations/{resolved}/replies"),
            &sam,
            json!({"body": "Press Renew.", "status": "resolved"}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED);
    let (code, _) = block(&app, &mpho, "thandi", "scam").await;
    assert_eq!(code, StatusCode::OK);
    let items = app.item_count();
    let upload = json!({"filename": "a.pdf", "content_type": "application/pdf", "size": 10});
    for (path, body) in [
        (
            format!("/v1/conversations/{id}/messages"),
            json!({"body": "hello?"}),
        ),
        (
            format!("/v1/conversations/{id}/reports"),
            json!({"reason": "spam"}),
        ),
        ("/v1/attachments".to_string(), upload),
        ("/v1/me/nps".to_string(), json!({"score": 3})),
        (
            format!("/v1/conversations/{resolved}/rating"),
            json!({"stars": 1}),
        ),
    ] {
        let (code, error) = app.post(&path, &thandi, body).await;
        assert_eq!(code, StatusCode::FORBIDDEN, "{path}: {error}");
        assert!(error_message(&error).contains("blocked"), "{path}: {error}");
    }
    assert_eq!(app.item_count(), items, "nothing written");
    let (code, _) = app.get("/v1/me/export", &thandi).await;
    assert_eq!(code, StatusCode::OK, "export stays open");
    let (code, _) = app
        .call(Method::DELETE, "/v1/me/messages", Some(&thandi), None)
        .await;
    assert_eq!(code, StatusCode::OK, "erasure stays open");
}
