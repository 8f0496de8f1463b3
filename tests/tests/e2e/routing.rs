//! Routing rules managers edit: a new support conversation goes to the team of the
//! first matching rule (category, keywords, listing category, user tier), with its
//! priority; a category change routes again; without rules, the built-in defaults.

use axum::http::StatusCode;
use serde_json::{Value, json};
use tests::{TestApp, error_message};

async fn open(app: &TestApp, token: &str, request: Value) -> Value {
    let (code, created) = app.post("/v1/conversations", token, request).await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    created["conversation"].clone()
}

#[tokio::test]
async fn new_conversations_follow_the_first_matching_rule_and_category_changes_reroute() {
    let app = TestApp::in_memory();
    app.listing("flat", "pieter", "active").await;
    let max = app.token("max", &["manager"]);
    let rules = json!({"rules": [
        {"category": "general", "keywords": ["invoice", "VAT"], "team": "billing"},
        {"category": "general", "user_tier": "premium", "team": "sales", "priority": "urgent"},
        {"category": "technical", "listing_category": "vehicles", "team": "support"}
    ]});
    let (code, saved) = app.save("/v1/admin/routing-rules", &max, rules).await;
    assert_eq!(code, StatusCode::OK, "{saved}");
    assert_eq!(saved["version"], 1);

    let alice = app.token("alice", &[]);
    let invoice = open(&app, &alice, json!({"type": "support", "category": "general", "subject": "Paperwork", "body": "Please send a VAT invoice"})).await;
    assert_eq!(
        (invoice["team"].as_str(), invoice["priority"].as_str()),
        (Some("billing"), Some("normal"))
    );
    let premium = app.member_token("pat", Some("premium"));
    let vip = open(
        &app,
        &premium,
        json!({"type": "support", "category": "general", "subject": "Hello", "body": "A question"}),
    )
    .await;
    assert_eq!(
        (vip["team"].as_str(), vip["priority"].as_str()),
        (Some("sales"), Some("urgent"))
    );
    // The listing's category (the test listings are vehicles) routes technical questions.
    let photos = open(&app, &alice, json!({"type": "support", "category": "technical", "subject": "Photos", "body": "Upload fails", "listing_id": "flat"})).await;
    assert_eq!(photos["team"], "support");
    let plain = open(&app, &alice, json!({"type": "support", "category": "technical", "subject": "Photos", "body": "Upload fails"})).await;
    assert_eq!(plain["team"], "technical", "no rule matched: the default");
    let asked = open(&app, &premium, json!({"type": "support", "category": "general", "subject": "Hi", "body": "b", "priority": "normal"})).await;
    assert_eq!(
        asked["priority"], "normal",
        "the user's own priority stands"
    );

    // Changing the category routes again by the rules, on the subject.
    let sam = app.token("sam", &["agent", "team-support"]);
    let id = plain["id"].as_str().unwrap();
    let (code, moved) = app
        .patch(
            &format!("/v1/admin/conversations/{}", photos["id"].as_str().unwrap()),
            &max,
            json!({"category": "payment"}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{moved}");
    assert_eq!(
        (moved["team"].as_str(), moved["priority"].as_str()),
        (Some("billing"), Some("urgent"))
    );
    let (code, _) = app
        .get(&format!("/v1/admin/conversations/{id}"), &sam)
        .await;
    assert_eq!(
        code,
        StatusCode::NOT_FOUND,
        "a technical conversation is not support's"
    );
}

#[tokio::test]
async fn only_managers_save_rules_and_invalid_ones_are_refused_by_field() {
    let app = TestApp::in_memory();
    let sam = app.token("sam", &["agent", "team-support"]);
    let rules = json!({"rules": [{"category": "general", "team": "sales"}]});
    let (code, _) = app.save("/v1/admin/routing-rules", &sam, rules).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, current) = app.get("/v1/admin/routing-rules", &sam).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(current["version"], 0);
    assert_eq!(current["policy"]["rules"], json!([]));

    let max = app.token("max", &["manager"]);
    for (rules, field) in [
        (
            json!({"rules": [{"category": "general", "team": "sales", "keywords": [""]}]}),
            "rules[0].keywords[0]",
        ),
        (
            json!({"rules": [{"category": "general", "team": "nowhere"}]}),
            "rules[0].team",
        ),
        (json!({"rules": [{"category": "general"}]}), "rules[0]"),
    ] {
        let (code, error) = app.save("/v1/admin/routing-rules", &max, rules).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{error}");
        let message = error_message(&error);
        assert!(message.contains(field), "{message} should name {field}");
    }
}
