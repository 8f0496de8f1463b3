//! The caller's own data: the export holds everything about them and nothing of anyone
//! else's.

use axum::http::{Method, StatusCode};
use serde_json::json;
use tests::TestApp;

#[tokio::test]
async fn the_export_holds_the_callers_conversations_messages_notifications_and_settings_only() {
    let app = TestApp::in_memory();
    app.listing("L1", "sipho", "active").await;
    let thandi = app.token("thandi", &[]);
    let sipho = app.token("sipho", &[]);
    let direct = app
        .direct(&thandi, "L1", "Is the bike still for sale?")
        .await;
    app.post(
        &format!("/v1/conversations/{direct}/messages"),
        &sipho,
        json!({"body": "Yes, come see it"}),
    )
    .await;
    let support = app.support(&thandi, "payment", "I was charged twice").await;
    let agent = app.token("agent-bongi", &["agent", "team-billing"]);
    app.post(
        &format!("/v1/admin/conversations/{support}/replies"),
        &agent,
        json!({"body": "Checking with finance", "internal": true}),
    )
    .await;
    app.post(
        &format!("/v1/admin/conversations/{support}/replies"),
        &agent,
        json!({"body": "Refunded today"}),
    )
    .await;
    app.call(
        Method::PUT,
        "/v1/me/preferences",
        Some(&thandi),
        Some(json!({"email": false, "sms": "off", "time_zone": "Africa/Johannesburg", "digest": false})),
    )
    .await;
    assert!(app.run_stream().await.is_empty());
    // Someone else's conversation, which must not appear.
    app.support(&app.token("ben", &[]), "general", "Ben's secret question")
        .await;

    let (code, headers, export) = app
        .exchange(Method::GET, "/v1/me/export", Some(&thandi), None, &[])
        .await;
    assert_eq!(code, StatusCode::OK, "{export}");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"saypro-messages-thandi.json\""
    );
    assert_eq!(export["user_id"], "thandi");
    assert_eq!(export["preferences"]["email"], false);
    assert_eq!(export["account"]["source"], "messaging", "{export}");
    let conversations = export["conversations"].as_array().unwrap();
    assert_eq!(conversations.len(), 2);
    let bodies: Vec<&str> = conversations
        .iter()
        .flat_map(|c| c["messages"].as_array().unwrap())
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    for expected in [
        "Is the bike still for sale?",
        "Yes, come see it",
        "I was charged twice",
        "Refunded today",
    ] {
        assert!(bodies.contains(&expected), "{expected} in {bodies:?}");
    }
    let text = export.to_string();
    assert!(
        !text.contains("Checking with finance"),
        "internal notes stay internal"
    );
    assert!(
        !text.contains("Ben's secret"),
        "nobody else's conversations"
    );
    assert!(
        !text.contains("sipho@example.co.za") && !text.contains("agent-bongi@"),
        "nobody else's contact details"
    );
    assert!(
        !export["notifications"].as_array().unwrap().is_empty(),
        "the reply notified her"
    );

    let (code, _) = app
        .get("/v1/me/export", &app.token("website", &["service"]))
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN);
}
