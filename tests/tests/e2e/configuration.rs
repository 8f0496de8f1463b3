//! Versioned configuration documents round-trip: what `GET` returns can be `PUT` back
//! as it is, its `version` naming the version the edit replaces. Of two managers editing
//! the same version, one wins and the other is told (409); nothing is lost silently.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use tests::{TestApp, error_message};

/// A change to make to what a document's GET returned, marked `a` or `b`.
type Change = fn(&mut Value, &str);

/// Each document, who edits it, and a change to make to it.
fn documents() -> Vec<(&'static str, &'static [&'static str], Change)> {
    vec![
        ("/v1/admin/sla-policy", &["manager"], |policy, mark| {
            policy["warn_at_percent"] = json!(if mark == "a" { 70 } else { 90 });
        }),
        ("/v1/admin/routing-rules", &["manager"], |policy, mark| {
            policy["rules"] =
                json!([{"category": "general", "keywords": [mark], "team": "billing"}]);
        }),
        (
            "/v1/admin/membership-rules",
            &["manager"],
            |policy, mark| {
                let tiers = if mark == "a" {
                    ["verified"]
                } else {
                    ["premium"]
                };
                policy["rules"] = json!([{"type": "direct", "tiers": tiers}]);
            },
        ),
        (
            "/v1/admin/automation-rules",
            &["manager"],
            |policy, mark| {
                policy["acknowledge"] = json!(mark == "a");
            },
        ),
        ("/v1/admin/safety-policy", &["moderator"], |policy, mark| {
            policy["blocked_words"] = json!([format!("word-{mark}")]);
        }),
    ]
}

#[tokio::test]
async fn what_get_returns_can_be_put_back_as_it_is() {
    let app = TestApp::in_memory();
    for (path, groups, _) in documents() {
        let editor = app.token("ed", groups);
        let (code, current) = app.get(path, &editor).await;
        assert_eq!(code, StatusCode::OK, "{path}: {current}");
        assert_eq!(current["version"], 0, "{path}: the built-in default");
        let (code, saved) = app
            .call(Method::PUT, path, Some(&editor), Some(current.clone()))
            .await;
        assert_eq!(code, StatusCode::OK, "{path}: {saved}");
        assert_eq!(saved["version"], 1, "{path}");
        assert_eq!(saved["updated_by"], "ed", "{path}");
        // And again, the saved one as it came back: nothing in it changes.
        let (code, again) = app
            .call(Method::PUT, path, Some(&editor), Some(saved.clone()))
            .await;
        assert_eq!(
            (code, again["version"].clone()),
            (StatusCode::OK, json!(2)),
            "{path}"
        );
        assert_eq!(again["policy"], saved["policy"], "{path}");
    }
}

#[tokio::test]
async fn of_two_editors_of_one_version_one_wins_and_the_other_is_told() {
    let app = TestApp::in_memory();
    for (path, groups, change) in documents() {
        let (first, second) = (app.token("ed-a", groups), app.token("ed-b", groups));
        let (_, read_a) = app.get(path, &first).await;
        let (_, read_b) = app.get(path, &second).await;
        let (mut edit_a, mut edit_b) = (read_a, read_b);
        change(&mut edit_a["policy"], "a");
        change(&mut edit_b["policy"], "b");
        let ((code_a, saved_a), (code_b, saved_b)) = tokio::join!(
            app.call(Method::PUT, path, Some(&first), Some(edit_a.clone())),
            app.call(Method::PUT, path, Some(&second), Some(edit_b.clone())),
        );
        let mut codes = [code_a, code_b];
        codes.sort();
        assert_eq!(
            codes,
            [StatusCode::OK, StatusCode::CONFLICT],
            "{path}: {saved_a} / {saved_b}"
        );
        let (winner, loser) = match code_a {
            StatusCode::OK => (saved_a, saved_b),
            _ => (saved_b, saved_a),
        };
        assert_eq!(loser["error"]["code"], "conflict", "{path}");
        assert!(
            error_message(&loser).contains("no longer version 0"),
            "{path}: {loser}"
        );
        let (_, now) = app.get(path, &first).await;
        assert_eq!(now["version"], 1, "{path}");
        assert_eq!(
            now["policy"], winner["policy"],
            "{path}: the winner's edit is kept"
        );
        // The one told reloads, redoes the change on top, and saves.
        let mut retry = now.clone();
        change(&mut retry["policy"], "b");
        let (code, saved) = app
            .call(Method::PUT, path, Some(&second), Some(retry))
            .await;
        assert_eq!(
            (code, saved["version"].clone()),
            (StatusCode::OK, json!(2)),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_save_without_the_version_it_replaces_is_refused_naming_it() {
    let app = TestApp::in_memory();
    for (path, groups, _) in documents() {
        let editor = app.token("ed", groups);
        let (_, current) = app.get(path, &editor).await;
        let (code, error) = app
            .call(
                Method::PUT,
                path,
                Some(&editor),
                Some(json!({"policy": current["policy"]})),
            )
            .await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{path}: {error}");
        assert!(error_message(&error).contains("version"), "{path}: {error}");
        // A version that was never saved is stale too.
        let (code, error) = app
            .call(
                Method::PUT,
                path,
                Some(&editor),
                Some(json!({"version": 7, "policy": current["policy"]})),
            )
            .await;
        assert_eq!(code, StatusCode::CONFLICT, "{path}: {error}");
        let (_, unchanged) = app.get(path, &editor).await;
        assert_eq!(unchanged["version"], 0, "{path}: nothing was written");
    }
}
