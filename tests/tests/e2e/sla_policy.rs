//! The SLA policy as configuration: managers save versions, every admin reads them, new
//! clocks start under the version in force and record it.

use axum::http::StatusCode;
use serde_json::{Value, json};
use tests::{TestApp, error_message};

async fn put(app: &TestApp, token: &str, policy: Value) -> (StatusCode, Value) {
    app.save("/v1/admin/sla-policy", token, policy).await
}

#[tokio::test]
async fn managers_save_a_new_version_that_applies_to_new_clocks_only() {
    let app = TestApp::in_memory();
    let max = app.token("max", &["manager"]);
    let alice = app.token("alice", &[]);
    let (code, current) = app.get("/v1/admin/sla-policy", &max).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(
        current["version"], 0,
        "the built-in default until a manager saves one"
    );
    assert!(
        current["policy"]["calendars"]["south-africa"]["holidays"]
            .as_array()
            .unwrap()
            .contains(&json!("2026-12-16"))
    );

    let before = app.support(&alice, "complaint", "before").await;
    let mut policy = current["policy"].clone();
    policy["targets"].as_array_mut().unwrap().push(json!({"priority": "normal", "category": "complaint", "minutes": 120, "counting": "wall", "calendar": "south-africa"}));
    let (code, saved) = put(&app, &max, policy.clone()).await;
    assert_eq!(code, StatusCode::OK, "{saved}");
    assert_eq!(
        (saved["version"].as_u64(), saved["updated_by"].as_str()),
        (Some(1), Some("max"))
    );

    let after = app.support(&alice, "complaint", "after").await;
    let (_, new) = app.get(&format!("/v1/conversations/{after}"), &alice).await;
    assert_eq!(new["sla"]["policy_version"], 1);
    assert_eq!(
        new["sla"]["first_response_due"], "2026-11-24T09:00:00Z",
        "complaints: two hours, wall clock"
    );
    let (_, old) = app
        .get(&format!("/v1/conversations/{before}"), &alice)
        .await;
    assert_eq!(old["sla"]["policy_version"], 0);
    assert_eq!(
        old["sla"]["first_response_due"], "2026-11-25T07:00:00Z",
        "a running clock keeps its policy"
    );

    let (code, _) = put(&app, &max, policy).await;
    assert_eq!(code, StatusCode::OK);
    let (_, current) = app
        .get(
            "/v1/admin/sla-policy",
            &app.token("sam", &["agent", "team-support"]),
        )
        .await;
    assert_eq!(current["version"], 2, "agents read the policy too");
}

#[tokio::test]
async fn only_managers_save_and_an_invalid_policy_is_refused_naming_the_field() {
    let app = TestApp::in_memory();
    let max = app.token("max", &["manager"]);
    let (_, current) = app.get("/v1/admin/sla-policy", &max).await;
    let policy = current["policy"].clone();
    for token in [
        app.token("sue", &["senior"]),
        app.token("sam", &["agent", "team-support"]),
        app.token("alice", &[]),
    ] {
        let (code, _) = put(&app, &token, policy.clone()).await;
        assert_eq!(code, StatusCode::FORBIDDEN);
    }
    let (code, _) = app
        .get("/v1/admin/sla-policy", &app.token("alice", &[]))
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN);

    let broken = |path: &str, value: Value| {
        let mut policy = policy.clone();
        *policy.pointer_mut(path).unwrap() = value;
        policy
    };
    for (body, field) in [
        (broken("/warn_at_percent", json!(0)), "warn_at_percent"),
        (
            broken("/targets/0/calendar", json!("mars")),
            "targets[0].calendar",
        ),
        (
            broken("/calendars/south-africa/time_zone", json!("Nowhere/City")),
            "time_zone",
        ),
        (broken("/targets", json!([])), "targets"),
        (
            broken("/targets/1/counting", json!("sometimes")),
            "counting",
        ),
    ] {
        let (code, error) = put(&app, &max, body).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{error}");
        assert!(error_message(&error).contains(field), "{error}");
    }
    let (_, still) = app.get("/v1/admin/sla-policy", &max).await;
    assert_eq!(still["version"], 0, "nothing invalid was saved");
}
