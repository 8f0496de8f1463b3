//! Automation: an acknowledgement with the time an answer is due (other words outside
//! business hours), automatic answers from templates for frequent questions, marked as
//! automated, never stopping the SLA clock; the user may confirm the answer helped.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use tests::TestApp;

async fn messages(app: &TestApp, token: &str, id: &str) -> Vec<Value> {
    let (_, page) = app
        .get(&format!("/v1/conversations/{id}/messages"), token)
        .await;
    page["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_new_conversation_is_acknowledged_and_a_frequent_question_answered() {
    let app = TestApp::in_memory();
    let max = app.token("max", &["manager"]);
    let (_, template) = app
        .post(
            "/v1/admin/templates",
            &max,
            json!({"name": "Renewing", "body": "Hi {{user.first_name | \"there\"}}: open My Ads and choose Renew. {{agent.name}}"}),
        )
        .await;
    let rules = json!({"acknowledge": true, "answers": [
        {"category": "general", "keywords": ["renew", "expired"], "template_id": template["id"]}
    ]});
    let (code, saved) = app.save("/v1/admin/automation-rules", &max, rules).await;
    assert_eq!(code, StatusCode::OK, "{saved}");

    // Tuesday 09:00 in Johannesburg: business hours.
    let alice = app.token("alice", &[]);
    let id = app
        .support(&alice, "general", "How do I renew my ad?")
        .await;
    let thread = messages(&app, &alice, &id).await;
    assert_eq!(thread.len(), 3, "{thread:?}");
    assert_eq!(
        thread[1]["body"],
        "Thank you for your message. It is with our team, and you will have an answer by Wednesday 25 November at 09:00 at the latest."
    );
    assert_eq!(
        thread[2]["body"],
        "Hi there: open My Ads and choose Renew. SayPro Support"
    );
    assert!(
        thread[1..]
            .iter()
            .all(|m| m["automated"] == true && m["sender_role"] == "system")
    );
    assert_eq!(thread[2]["template_id"], template["id"]);

    let (_, conversation) = app.get(&format!("/v1/conversations/{id}"), &alice).await;
    assert_eq!(
        conversation["status"], "open",
        "automated answers leave it open"
    );
    assert_eq!(conversation["unread_count"], 2);
    assert!(
        conversation["sla"]["next_response_due"].is_string(),
        "the clock runs on"
    );
    assert_eq!(conversation["sla"]["first_response_at"], Value::Null);
    let (_, queue) = app
        .get(
            "/v1/admin/conversations",
            &app.token("sam", &["agent", "team-support"]),
        )
        .await;
    assert_eq!(queue["items"][0]["id"], id.as_str(), "still in the queue");

    // The user confirms it helped: resolved.
    let (code, resolved) = app
        .call(
            Method::POST,
            &format!("/v1/conversations/{id}/resolve"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{resolved}");
    assert_eq!(resolved["status"], "resolved");
    assert_eq!(resolved["sla"]["next_response_due"], Value::Null);

    // Nothing matches: only the acknowledgement.
    let other = app
        .support(&alice, "general", "Is my listing visible?")
        .await;
    assert_eq!(messages(&app, &alice, &other).await.len(), 2);
}

#[tokio::test]
async fn outside_business_hours_the_acknowledgement_says_the_team_is_away() {
    let app = TestApp::in_memory();
    let max = app.token("max", &["manager"]);
    app.save(
        "/v1/admin/automation-rules",
        &max,
        json!({"acknowledge": true}),
    )
    .await;
    // Saturday 10:00 in Johannesburg.
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-11-28T08:00:00Z")
            .unwrap()
            .into(),
    );
    let alice = app.token("alice", &[]);
    let id = app.support(&alice, "general", "Weekend question").await;
    let thread = messages(&app, &alice, &id).await;
    assert_eq!(
        thread[1]["body"],
        "Thank you for your message. Our team is away now; it is first in line when they are back, and you will have an answer by Monday 30 November at 17:00 at the latest."
    );
}

#[tokio::test]
async fn automation_is_off_by_default_and_only_managers_change_it() {
    let app = TestApp::in_memory();
    let alice = app.token("alice", &[]);
    let id = app.support(&alice, "general", "How do I renew?").await;
    assert_eq!(messages(&app, &alice, &id).await.len(), 1);
    let sam = app.token("sam", &["agent", "team-support"]);
    let (code, _) = app
        .save(
            "/v1/admin/automation-rules",
            &sam,
            json!({"acknowledge": true}),
        )
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let max = app.token("max", &["manager"]);
    let (code, error) = app.save("/v1/admin/automation-rules", &max, json!({"answers": [{"category": "general", "keywords": ["renew"], "template_id": "01JNOSUCH"}]}))
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert_eq!(
        error["error"]["message"],
        "answers[0].template_id: no such template"
    );
    let direct_resolve = app
        .call(
            Method::POST,
            "/v1/conversations/nope/resolve",
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(direct_resolve.0, StatusCode::NOT_FOUND);
}
