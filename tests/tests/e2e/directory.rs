//! The admin directory and assignment: profiles from tokens, what managers set, open
//! counts kept with every change, automatic assignment to the least-loaded available
//! agent for teams that opt in, and every assignment recorded on the conversation.

use axum::http::StatusCode;
use serde_json::{Value, json};
use tests::TestApp;

async fn join(app: &TestApp, who: &str, groups: &[&str]) -> String {
    let token = app.token(who, groups);
    let (code, _) = app.get("/v1/admin/conversations", &token).await;
    assert_eq!(code, StatusCode::OK);
    token
}

async fn agent(app: &TestApp, token: &str, id: &str) -> Value {
    let (_, agents) = app.get("/v1/admin/agents", token).await;
    agents["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id)
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn admins_join_the_directory_and_managers_set_capacity_hours_and_away() {
    let app = TestApp::in_memory();
    let sam = join(&app, "sam", &["agent", "team-support"]).await;
    join(&app, "bongi", &["agent", "team-billing"]).await;
    let max = join(&app, "max", &["manager"]).await;

    let (_, support) = app.get("/v1/admin/agents?team=support", &sam).await;
    let ids: Vec<&str> = support["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["sam"]);
    let profile = agent(&app, &max, "sam").await;
    assert_eq!(profile["teams"], json!(["support"]));
    assert_eq!(profile["roles"], json!(["agent"]));
    assert_eq!(profile["contact"]["email"], "sam@example.co.za");
    assert_eq!(
        (profile["capacity"].as_u64(), profile["away"].as_bool()),
        (Some(20), Some(false))
    );

    let (code, updated) = app
        .patch(
            "/v1/admin/agents/sam",
            &max,
            json!({"capacity": 5, "working_hours": {"start": "08:00:00", "end": "17:00:00"}}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{updated}");
    assert_eq!(updated["capacity"], 5);
    let (code, _) = app
        .patch("/v1/admin/agents/sam", &sam, json!({"capacity": 50}))
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN, "only managers set capacity");
    let (code, _) = app
        .patch("/v1/admin/agents/bongi", &sam, json!({"away": true}))
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN, "nor someone else's away flag");
    let (code, away) = app
        .patch("/v1/admin/agents/sam", &sam, json!({"away": true}))
        .await;
    assert_eq!((code, &away["away"]), (StatusCode::OK, &json!(true)));
    let (code, _) = app
        .patch("/v1/admin/agents/nobody", &max, json!({"away": true}))
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let (code, error) = app
        .patch("/v1/admin/agents/sam", &max, json!({"capacity": -1}))
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{error}");

    // A later queue call (claims unchanged or not) keeps what the manager set.
    let sam = app.token("sam", &["agent", "team-support", "team-sales"]);
    app.get("/v1/admin/conversations", &sam).await;
    let profile = agent(&app, &max, "sam").await;
    assert_eq!(profile["teams"], json!(["support", "sales"]));
    assert_eq!(
        (profile["capacity"].as_u64(), profile["away"].as_bool()),
        (Some(5), Some(true))
    );
}

#[tokio::test]
async fn teams_that_opt_in_assign_to_the_least_loaded_available_agent() {
    let app = TestApp::in_memory();
    join(&app, "sam", &["agent", "team-support"]).await;
    let lee = join(&app, "lee", &["agent", "team-support"]).await;
    join(&app, "bongi", &["agent", "team-billing"]).await;
    let max = join(&app, "max", &["manager"]).await;
    let (code, _) = app
        .save(
            "/v1/admin/routing-rules",
            &max,
            json!({"rules": [], "auto_assign": ["support"]}),
        )
        .await;
    assert_eq!(code, StatusCode::OK);

    let alice = app.token("alice", &[]);
    let mut assigned = Vec::new();
    for _ in 0..4 {
        let id = app.support(&alice, "general", "help").await;
        let (_, conversation) = app
            .get(&format!("/v1/admin/conversations/{id}"), &max)
            .await;
        assigned.push(conversation["assignee"].as_str().unwrap().to_string());
    }
    assert_eq!(
        assigned,
        ["lee", "sam", "lee", "sam"],
        "fewest open first, ties by id"
    );
    assert_eq!(agent(&app, &max, "sam").await["open_count"], 2);
    let billing = app.support(&alice, "payment", "refund").await;
    let (_, conversation) = app
        .get(&format!("/v1/admin/conversations/{billing}"), &max)
        .await;
    assert_eq!(
        conversation["assignee"],
        Value::Null,
        "billing did not opt in"
    );

    // Away agents get nothing new; full agents neither: then it waits in the queue.
    app.patch("/v1/admin/agents/sam", &max, json!({"away": true}))
        .await;
    app.patch("/v1/admin/agents/lee", &max, json!({"capacity": 3}))
        .await;
    let next = app.support(&alice, "general", "help").await;
    let (_, conversation) = app
        .get(&format!("/v1/admin/conversations/{next}"), &max)
        .await;
    assert_eq!(conversation["assignee"], "lee");
    let waiting = app.support(&alice, "general", "help").await;
    let (_, conversation) = app
        .get(&format!("/v1/admin/conversations/{waiting}"), &max)
        .await;
    assert_eq!(
        conversation["assignee"],
        Value::Null,
        "lee is full and sam away"
    );

    // Resolving one frees a place; reassigning moves the count.
    let (code, _) = app
        .patch(
            &format!("/v1/admin/conversations/{next}"),
            &lee,
            json!({"status": "resolved"}),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(agent(&app, &max, "lee").await["open_count"], 2);
    app.patch(
        &format!("/v1/admin/conversations/{waiting}"),
        &lee,
        json!({"assignee": "me"}),
    )
    .await;
    assert_eq!(agent(&app, &max, "lee").await["open_count"], 3);
}

#[tokio::test]
async fn every_assignment_is_recorded_on_the_conversation_for_the_team_only() {
    let app = TestApp::in_memory();
    let sam = join(&app, "sam", &["agent", "team-support"]).await;
    let sue = join(&app, "sue", &["senior"]).await;
    join(&app, "lee", &["agent", "team-support"]).await;
    let alice = app.token("alice", &[]);
    let id = app.support(&alice, "general", "help").await;
    let path = format!("/v1/admin/conversations/{id}");
    app.patch(&path, &sam, json!({"assignee": "me"})).await;
    app.patch(&path, &sue, json!({"assignee": "lee"})).await;
    app.patch(&path, &sue, json!({"assignee": "lee"})).await;
    app.patch(&path, &sue, json!({"assignee": null})).await;
    let (_, messages) = app.get(&format!("{path}/messages"), &sam).await;
    let notes: Vec<&str> = messages["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["sender_role"] == "system")
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        notes,
        [
            "sam took this conversation.",
            "Assigned to lee by sue.",
            "Unassigned by sue."
        ],
        "an unchanged assignee records nothing"
    );
    let (_, seen) = app
        .get(&format!("/v1/conversations/{id}/messages"), &alice)
        .await;
    assert_eq!(
        seen["items"].as_array().unwrap().len(),
        1,
        "the user sees none of it"
    );
    assert!(app.deliver().await.is_empty());
}

#[tokio::test]
async fn conversations_go_only_to_admins_who_work_their_team() {
    let app = TestApp::in_memory();
    let sam = join(&app, "sam", &["agent", "team-support"]).await;
    join(&app, "bongi", &["agent", "team-billing"]).await;
    join(&app, "sue", &["senior"]).await;
    let alice = app.token("alice", &[]);
    let lerato = app.token("lerato", &[]);
    app.get("/v1/conversations", &lerato).await;
    let id = app.support(&alice, "general", "help").await;
    let path = format!("/v1/admin/conversations/{id}");

    for (assignee, why) in [
        ("lerato", "a buyer is not an admin"),
        ("alice", "nor is the conversation's own user"),
        ("nobody", "an id the directory does not know"),
        ("bongi", "an agent of another team"),
    ] {
        let (code, error) = app.patch(&path, &sam, json!({"assignee": assignee})).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{why}: {error}");
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .contains(assignee),
            "{error}"
        );
    }
    let (_, unchanged) = app.get(&path, &sam).await;
    assert_eq!(unchanged["assignee"], Value::Null, "nothing was written");

    let (code, changed) = app.patch(&path, &sam, json!({"assignee": "sue"})).await;
    assert_eq!(
        (code, &changed["assignee"]),
        (StatusCode::OK, &json!("sue")),
        "seniors work every team"
    );
    let (code, changed) = app.patch(&path, &sam, json!({"assignee": "me"})).await;
    assert_eq!(
        (code, &changed["assignee"]),
        (StatusCode::OK, &json!("sam"))
    );
}
