//! The abuse pipeline through the API: refusals that say why and store nothing,
//! warnings shown to the recipient, links as entities, rate limits (429 with
//! Retry-After, tighter for new accounts, per listing), and the policy moderators edit.

use axum::http::{Method, StatusCode};
use chrono::Duration;
use common::auth::{Claims, jwt};
use serde_json::{Value, json};
use tests::TestApp;

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

async fn post_message(app: &TestApp, token: &str, id: &str, body: &str) -> (StatusCode, Value) {
    app.post(
        &format!("/v1/conversations/{id}/messages"),
        token,
        json!({"body": body}),
    )
    .await
}

#[tokio::test]
async fn a_refused_message_says_why_and_stores_nothing() {
    let app = TestApp::in_memory();
    app.listing("L1", "sipho", "active").await;
    let thandi = app.token("thandi", &[]);
    let before = app.item_count();
    let (code, error) = app
        .post(
            "/v1/conversations",
            &thandi,
            json!({"type": "direct", "listing_id": "L1", "body": "Please confirm your details at https://saypro-secure.com/login"}),
        )
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{error}");
    assert_eq!(error["error"]["code"], "invalid_request");
    assert_eq!(
        error["error"]["message"],
        "body: this message was not sent because saypro-secure.com imitates SayPro's address"
    );
    assert_eq!(app.item_count(), before, "nothing written, no quota used");

    let id = app.direct(&thandi, "L1", "Is it still available?").await;
    let (code, error) = post_message(
        &app,
        &thandi,
        &id,
        "Send me the OTP you received and I will pay",
    )
    .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("SayPro never needs these"),
        "{error}"
    );
    let (_, messages) = app
        .get(&format!("/v1/conversations/{id}/messages"), &thandi)
        .await;
    assert_eq!(messages["items"].as_array().unwrap().len(), 1);
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
    let (code, plain) = post_message(&app, &sipho, &id, "Yes, still available").await;
    assert_eq!(code, StatusCode::CREATED);
    assert!(plain.get("warning").is_none() && plain.get("links").is_none());

    // To support, a code or a payment is a question, not a scam.
    let (code, _) = app
        .post(
            "/v1/conversations",
            &thandi,
            json!({"type": "support", "category": "account", "subject": "OTP", "body": "My OTP never arrives, please send me the code again"}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED);
}

#[tokio::test]
async fn senders_are_rate_limited_per_minute_with_retry_after_and_new_accounts_sooner() {
    let app = TestApp::in_memory();
    let thandi = app.token("thandi", &[]);
    let id = app.support(&thandi, "general", "Hello").await;
    for n in 2..=10 {
        let (code, reply) = post_message(&app, &thandi, &id, &format!("Message {n}")).await;
        assert_eq!(code, StatusCode::CREATED, "message {n}: {reply}");
    }
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
    let (code, _) = post_message(&app, &thandi, &id, "Message 11, later").await;
    assert_eq!(code, StatusCode::CREATED);

    let newcomer = new_account_token(&app, "newcomer");
    let id = app.support(&newcomer, "general", "Hi").await;
    for n in 2..=4 {
        let (code, _) = post_message(&app, &newcomer, &id, &format!("again {n}")).await;
        assert_eq!(code, StatusCode::CREATED);
    }
    let (code, _) = post_message(&app, &newcomer, &id, "fifth").await;
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
            .call(
                Method::PUT,
                "/v1/admin/safety-policy",
                Some(&token),
                Some(policy.clone()),
            )
            .await;
        assert_eq!(code, StatusCode::FORBIDDEN);
    }
    let (code, saved) = app
        .call(
            Method::PUT,
            "/v1/admin/safety-policy",
            Some(&mpho),
            Some(policy.clone()),
        )
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
        let (code, reply) = app
            .post(
                "/v1/conversations",
                &thandi,
                json!({"type": "direct", "listing_id": "L1", "body": body}),
            )
            .await;
        assert_eq!(code, expected, "{body}: {reply}");
    }
    // The listing takes two new conversations an hour, from anyone.
    let (code, _) = app
        .post(
            "/v1/conversations",
            &app.token("ben", &[]),
            json!({"type": "direct", "listing_id": "L1", "body": "Hi"}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED);
    let (code, error) = app
        .post(
            "/v1/conversations",
            &app.token("cat", &[]),
            json!({"type": "direct", "listing_id": "L1", "body": "Hi"}),
        )
        .await;
    assert_eq!(code, StatusCode::TOO_MANY_REQUESTS, "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("this listing")
    );

    let mut bad = policy.clone();
    bad["rate_limits"]["per_minute"] = json!(0);
    let (code, error) = app
        .call(
            Method::PUT,
            "/v1/admin/safety-policy",
            Some(&mpho),
            Some(bad),
        )
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{error}");
}

#[tokio::test]
async fn rate_limits_hold_on_dynamodb() {
    let app = TestApp::on(tests::moto_table().await);
    let thandi = app.token("thandi", &[]);
    let id = app.support(&thandi, "general", "Hello").await;
    for n in 2..=10 {
        let (code, _) = post_message(&app, &thandi, &id, &format!("Message {n}")).await;
        assert_eq!(code, StatusCode::CREATED);
    }
    let (code, error) = post_message(&app, &thandi, &id, "Message 11").await;
    assert_eq!(code, StatusCode::TOO_MANY_REQUESTS, "{error}");
    let (_, messages) = app
        .get(
            &format!("/v1/conversations/{id}/messages?limit=100"),
            &thandi,
        )
        .await;
    assert_eq!(messages["items"].as_array().unwrap().len(), 10);
}
