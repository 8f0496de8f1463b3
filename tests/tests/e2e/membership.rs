//! Membership rules: who may start which kind of conversation. A refusal is a 403 that
//! says what the user needs, and nothing is written.

use axum::http::StatusCode;
use serde_json::json;
use tests::{TestApp, error_message};

#[tokio::test]
async fn direct_messages_for_verified_or_premium_members_and_support_for_everyone() {
    let app = TestApp::in_memory();
    app.listing("bakkie", "pieter", "active").await;
    let max = app.token("max", &["manager"]);
    let rules = json!({"rules": [
        {"type": "direct", "tiers": ["verified", "premium"]},
        {"type": "support", "category": "technical", "tiers": ["premium"]}
    ]});
    let (code, saved) = app.save("/v1/admin/membership-rules", &max, rules).await;
    assert_eq!(code, StatusCode::OK, "{saved}");

    let basic = app.member_token("bo", Some("basic"));
    let items = app.item_count();
    let direct = json!({"type": "direct", "listing_id": "bakkie", "body": "Still for sale?"});
    let (code, error) = app.post("/v1/conversations", &basic, direct.clone()).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    assert_eq!(
        error["error"]["message"],
        "Messaging sellers needs a verified or premium membership (yours is basic)"
    );
    assert_eq!(app.item_count(), items, "nothing written");
    let verified = app.member_token("vee", Some("verified"));
    let (code, _) = app.post("/v1/conversations", &verified, direct).await;
    assert_eq!(code, StatusCode::CREATED);

    let general = json!({"type": "support", "category": "general", "subject": "s", "body": "b"});
    let (code, _) = app
        .post(
            "/v1/conversations",
            &app.member_token("nobody", None),
            general,
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "support for everyone signed in");
    let technical =
        json!({"type": "support", "category": "technical", "subject": "s", "body": "b"});
    let (code, error) = app.post("/v1/conversations", &basic, technical).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    assert_eq!(
        error["error"]["message"],
        "Writing to SayPro about technical needs a premium membership (yours is basic)"
    );
}

#[tokio::test]
async fn only_managers_save_membership_rules_and_bad_ones_are_refused() {
    let app = TestApp::in_memory();
    let sam = app.token("sam", &["agent", "team-support"]);
    let (code, current) = app.get("/v1/admin/membership-rules", &sam).await;
    assert_eq!((code, &current["version"]), (StatusCode::OK, &json!(0)));
    let rules = json!({"rules": [{"type": "direct", "tiers": ["premium"]}]});
    let (code, _) = app.save("/v1/admin/membership-rules", &sam, rules).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let max = app.token("max", &["manager"]);
    let (code, error) = app
        .save(
            "/v1/admin/membership-rules",
            &max,
            json!({"rules": [{"type": "direct", "tiers": []}]}),
        )
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(error_message(&error).starts_with("rules[0].tiers"));
}
