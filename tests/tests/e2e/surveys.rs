//! Satisfaction surveys end to end: resolving a support conversation invites its user
//! once (in the app and by email); the emailed link's GET records nothing (mail
//! scanners follow links); a POST rates; a rating changes for 7 days; NPS once a quarter.

use axum::http::{Method, StatusCode};
use chrono::Duration;
use common::delivery::outbox::Channel;
use serde_json::json;
use tests::TestApp;

const AGENT: &[&str] = &["agent", "team-support"];

/// A resolved support conversation of alice's, answered by sam; the survey link's token.
async fn resolved(app: &TestApp) -> (String, String) {
    let sam = app.token("sam", AGENT);
    let alice = app.token("alice", &[]);
    let id = app
        .support(&alice, "general", "How do I renew my ad?")
        .await;
    let (code, reply) = app
        .post(
            &format!("/v1/admin/conversations/{id}/replies"),
            &sam,
            json!({"body": "Open the ad and press Renew.", "status": "resolved"}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{reply}");
    assert!(app.deliver().await.is_empty());
    let emails: Vec<_> = app
        .system
        .outbox
        .sent()
        .into_iter()
        .filter(|s| {
            s.channel == Channel::Email && s.subject.as_deref() == Some("How did we do? Help")
        })
        .collect();
    assert_eq!(emails.len(), 1, "one survey email");
    assert_eq!(emails[0].to, "alice@example.co.za");
    let link = emails[0]
        .body
        .split_whitespace()
        .find(|w| w.contains("/surveys/"))
        .expect("a survey link")
        .to_string();
    let token = link.rsplit('/').next().unwrap().to_string();
    (id, token)
}

#[tokio::test]
async fn the_emailed_survey_records_only_on_post_and_counts_in_the_stats() {
    let app = TestApp::in_memory();
    let (id, token) = resolved(&app).await;
    let alice = app.token("alice", &[]);

    // In the app too.
    let (_, notifications) = app.get("/v1/notifications", &alice).await;
    let kinds: Vec<_> = notifications["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_string())
        .collect();
    assert!(kinds.contains(&"survey".to_string()), "{notifications}");

    // A scanner follows the link: nothing is recorded.
    let items = app.item_count();
    let path = format!("/v1/surveys/{token}");
    let (code, view) = app.call(Method::GET, &path, None, None).await;
    assert_eq!(code, StatusCode::OK, "{view}");
    assert_eq!(view["conversation_id"], id.as_str());
    assert_eq!(view["rating"], serde_json::Value::Null);
    assert_eq!(view["nps_due"], true);
    assert!(
        !view.to_string().contains("sam"),
        "the page names no agent: {view}"
    );
    app.call(Method::GET, &path, None, None).await;
    assert_eq!(app.item_count(), items, "a GET writes nothing");

    // The user answers: a rating and the quarter's NPS in one form.
    let answer = json!({"stars": 4, "clarity": 5, "helpfulness": 4, "comment": "Quick", "nps": 9});
    let (code, recorded) = app.call(Method::POST, &path, None, Some(answer)).await;
    assert_eq!(code, StatusCode::OK, "{recorded}");
    assert_eq!(recorded["rating"]["stars"], 4);
    // The link is a bearer token: its answers name neither the agent nor the user.
    for private in ["agent", "user_id"] {
        assert!(recorded["rating"].get(private).is_none(), "{recorded}");
    }
    assert_eq!(recorded["nps"]["score"], 9);

    // Changed in the app within the week; NPS not twice in a quarter.
    app.clock.advance(Duration::days(6));
    let alice = app.token("alice", &[]);
    let (code, changed) = app
        .post(
            &format!("/v1/conversations/{id}/rating"),
            &alice,
            json!({"stars": 5, "nps": 2}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{changed}");
    assert_eq!(changed["rating"]["stars"], 5);
    assert_eq!(
        changed["nps"],
        serde_json::Value::Null,
        "already answered this quarter"
    );
    let (code, _) = app.post("/v1/me/nps", &alice, json!({"score": 3})).await;
    assert_eq!(code, StatusCode::CONFLICT);

    // After the week it is final.
    app.clock.advance(Duration::days(2));
    let alice = app.token("alice", &[]);
    let (code, error) = app
        .post(
            &format!("/v1/conversations/{id}/rating"),
            &alice,
            json!({"stars": 1}),
        )
        .await;
    assert_eq!(code, StatusCode::CONFLICT, "{error}");
    let (_, rating) = app
        .get(&format!("/v1/conversations/{id}/rating"), &alice)
        .await;
    assert_eq!(rating["stars"], 5);

    // Resolving again does not invite again.
    assert!(app.deliver().await.is_empty());
    let surveys = app
        .system
        .outbox
        .sent()
        .into_iter()
        .filter(|s| s.subject.as_deref() == Some("How did we do? Help"))
        .count();
    assert_eq!(surveys, 1);
}

#[tokio::test]
async fn surveys_refuse_bad_answers_strangers_and_unknown_links() {
    let app = TestApp::in_memory();
    let (id, token) = resolved(&app).await;
    let path = format!("/v1/surveys/{token}");
    for bad in [
        json!({"stars": 0}),
        json!({"stars": 6}),
        json!({"stars": 3, "clarity": 7}),
        json!({"stars": 3, "nps": 11}),
        json!({"stars": 3, "extra": true}),
        json!({}),
    ] {
        let (code, error) = app.call(Method::POST, &path, None, Some(bad.clone())).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{bad}: {error}");
        assert!(error["error"]["message"].is_string());
    }
    // The real token with its last character changed (to one it does not already have).
    let last = if token.ends_with('x') { 'y' } else { 'x' };
    let tampered = format!("{}{last}", &token[..51]);
    for unknown in ["nope", &"0".repeat(52), &tampered] {
        let (code, _) = app
            .call(Method::GET, &format!("/v1/surveys/{unknown}"), None, None)
            .await;
        assert_eq!(code, StatusCode::NOT_FOUND, "{unknown}");
    }
    // Someone else cannot rate or read alice's rating; an admin cannot rate.
    let bob = app.token("bob", &[]);
    let (code, _) = app
        .post(
            &format!("/v1/conversations/{id}/rating"),
            &bob,
            json!({"stars": 1}),
        )
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let (code, _) = app
        .get(&format!("/v1/conversations/{id}/rating"), &bob)
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let sam = app.token("sam", AGENT);
    let (code, _) = app
        .post(
            &format!("/v1/conversations/{id}/rating"),
            &sam,
            json!({"stars": 5}),
        )
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);

    // An open conversation cannot be rated yet.
    let alice = app.token("alice", &[]);
    let open = app.support(&alice, "general", "Another question").await;
    let (code, error) = app
        .post(
            &format!("/v1/conversations/{open}/rating"),
            &alice,
            json!({"stars": 3}),
        )
        .await;
    assert_eq!(code, StatusCode::CONFLICT, "{error}");

    // The link expires after 30 days.
    app.clock.advance(Duration::days(31));
    let (code, _) = app.call(Method::GET, &path, None, None).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn nps_is_asked_once_a_quarter() {
    let app = TestApp::in_memory();
    let alice = app.token("alice", &[]);
    let (_, status) = app.get("/v1/me/nps", &alice).await;
    assert_eq!(
        (status["due"].clone(), status["quarter"].clone()),
        (json!(true), json!("2026-Q4"))
    );
    let (code, error) = app.post("/v1/me/nps", &alice, json!({"score": 11})).await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{error}");
    let (code, answer) = app.post("/v1/me/nps", &alice, json!({"score": 10})).await;
    assert_eq!(code, StatusCode::CREATED, "{answer}");
    let (code, _) = app.post("/v1/me/nps", &alice, json!({"score": 10})).await;
    assert_eq!(code, StatusCode::CONFLICT);
    let (_, status) = app.get("/v1/me/nps", &alice).await;
    assert_eq!(status["due"], false);
    // The next quarter asks again.
    app.clock.advance(Duration::days(40));
    let alice = app.token("alice", &[]);
    let (_, status) = app.get("/v1/me/nps", &alice).await;
    assert_eq!(
        (status["due"].clone(), status["quarter"].clone()),
        (json!(true), json!("2027-Q1"))
    );
    let sam = app.token("sam", AGENT);
    let (code, _) = app.post("/v1/me/nps", &sam, json!({"score": 10})).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
}
