//! The caller's own data: the export holds everything about them and nothing of anyone
//! else's.

use axum::http::{Method, StatusCode};
use common::objects::Objects;
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

#[tokio::test]
async fn erasure_leaves_nothing_of_what_the_user_wrote_in_any_item_of_the_table() {
    let app = TestApp::in_memory();
    app.listing("L1", "sipho", "active").await;
    let thandi = app.token("thandi", &[]);
    let sipho = app.token("sipho", &[]);
    let sam = app.token("agent-sam", &["agent", "team-support"]);
    app.get("/v1/admin/conversations", &sam).await; // joins the team's directory
    let direct = app
        .direct(
            &thandi,
            "L1",
            "BIKE-SECRET-1: is it still for sale? see saypro.co.za/l/1",
        )
        .await;
    let path = format!("/v1/conversations/{direct}/messages");
    app.post_with_key(
        &path,
        &thandi,
        json!({"body": "RETRY-SECRET: I can come on Saturday"}),
        "retry-1",
    )
    .await;
    let photo = app
        .upload(&thandi, "FILE-SECRET.png", "image/png", tests::PNG)
        .await;
    let unsent = app
        .upload(&thandi, "never-sent.pdf", "application/pdf", tests::PDF)
        .await;
    let (code, _) = app
        .post(&path, &thandi, json!({"body": "", "attachments": [photo]}))
        .await;
    assert_eq!(code, StatusCode::CREATED);
    app.post(&path, &sipho, json!({"body": "SELLER-TEXT: yes, come"}))
        .await;
    let (code, _) = app
        .post(
            &path,
            &thandi,
            json!({"body": "HELD-SECRET: shall I pay a deposit first to hold it?"}),
        )
        .await;
    assert_eq!(code, StatusCode::ACCEPTED, "held, as a deposit");
    // A held message a moderator rejected, and reports with comments, open and closed.
    let mpho = app.token("mpho", &["moderator"]);
    let (_, rejected) = app
        .post(
            &path,
            &thandi,
            json!({"body": "REJECTED-SECRET: or a deposit by gift card?"}),
        )
        .await;
    let reject = format!(
        "/v1/admin/moderation/held/{}/reject",
        rejected["held_id"].as_str().unwrap()
    );
    let (code, _) = app.post(&reject, &mpho, json!({})).await;
    assert_eq!(code, StatusCode::OK);
    let reports = format!("/v1/conversations/{direct}/reports");
    let (_, closed) = app
        .post(
            &reports,
            &thandi,
            json!({"reason": "other", "comment": "CLOSED-REPORT-SECRET"}),
        )
        .await;
    let close = format!(
        "/v1/admin/moderation/reports/{}/close",
        closed["id"].as_str().unwrap()
    );
    let (code, _) = app
        .post(&close, &mpho, json!({"outcome": "dismissed"}))
        .await;
    assert_eq!(code, StatusCode::OK);
    let (code, _) = app
        .post(
            &reports,
            &thandi,
            json!({"reason": "spam", "comment": "OPEN-REPORT-SECRET"}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED);
    let (_, support) = app
        .post(
            "/v1/conversations",
            &thandi,
            json!({"type": "support", "category": "general", "subject": "SUBJECT-SECRET", "body": "SUPPORT-SECRET: my ad vanished"}),
        )
        .await;
    let support = support["conversation"]["id"].as_str().unwrap().to_string();
    app.post(
        &format!("/v1/admin/conversations/{support}/replies"),
        &sam,
        json!({"body": "AGENT-TEXT: restored", "status": "resolved"}),
    )
    .await;
    // Resolved: the survey link carries the subject; her rating has a comment.
    let (code, _) = app
        .post(
            &format!("/v1/conversations/{support}/rating"),
            &thandi,
            json!({"stars": 2, "comment": "RATING-SECRET: slow"}),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    assert!(app.run_stream().await.is_empty());
    let secrets = [
        "BIKE-SECRET",
        "RETRY-SECRET",
        "HELD-SECRET",
        "REJECTED-SECRET",
        "CLOSED-REPORT-SECRET",
        "OPEN-REPORT-SECRET",
        "SUBJECT-SECRET",
        "SUPPORT-SECRET",
        "saypro.co.za/l/1",
        "FILE-SECRET",
        "RATING-SECRET",
    ];
    let holding = |secret: &str| {
        app.embedded
            .as_ref()
            .unwrap()
            .items()
            .into_iter()
            .filter(|item| format!("{item:?}").contains(secret))
            .count()
    };
    assert!(
        secrets.iter().all(|s| holding(s) > 0),
        "the scenario stored each secret"
    );

    let (code, erased) = app
        .call(Method::DELETE, "/v1/me/messages", Some(&thandi), None)
        .await;
    assert_eq!(code, StatusCode::OK, "{erased}");
    assert_eq!(erased["messages"], 4);
    assert_eq!(erased["files"], 2, "the sent file and the one never sent");
    for file in [&photo, &unsent] {
        let key = common::domain::attachment::object_key("thandi", file);
        assert!(app.system.objects.inspect(&key).await.unwrap().is_none());
    }
    for secret in secrets {
        assert_eq!(holding(secret), 0, "{secret} is still in the table");
    }
    assert!(
        holding("SELLER-TEXT") > 0 && holding("AGENT-TEXT") > 0,
        "others' words stay"
    );

    let (_, seen) = app.get(&path, &sipho).await;
    let bodies: Vec<&str> = seen["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        [
            common::domain::message::ERASED_BODY,
            common::domain::message::ERASED_BODY,
            common::domain::message::ERASED_BODY,
            "SELLER-TEXT: yes, come"
        ],
        "who wrote when stays"
    );
    let (_, again) = app
        .call(Method::DELETE, "/v1/me/messages", Some(&thandi), None)
        .await;
    assert_eq!(again["messages"], 0, "erasing twice changes nothing more");
}

#[tokio::test]
async fn conversations_expire_two_years_after_their_last_activity_through_dynamodb_ttl() {
    let app = TestApp::in_memory();
    let thandi = app.token("thandi", &[]);
    let id = app.support(&thandi, "general", "Hello").await;
    let expiry = |pk: &str, sk_prefix: &str| -> Vec<i64> {
        app.embedded
            .as_ref()
            .unwrap()
            .items()
            .into_iter()
            .filter(|item| {
                item["pk"].as_s() == Some(pk)
                    && item["sk"]
                        .as_s()
                        .is_some_and(|sk| sk.starts_with(sk_prefix))
            })
            .map(|item| item["expires_at"].as_i64().expect("an expires_at"))
            .collect()
    };
    let two_years =
        |at: chrono::DateTime<chrono::Utc>| (at + chrono::Duration::days(730)).timestamp();
    let created = app.clock_now();
    let conversation = format!("CONV#{id}");
    assert_eq!(
        expiry(&conversation, "META"),
        [two_years(created); 2],
        "META and its SLA timeline"
    );
    assert_eq!(expiry(&conversation, "MSG#"), [two_years(created)]);
    assert_eq!(
        expiry("USER#thandi", &format!("CONV#{id}")),
        [two_years(created)]
    );

    app.clock.advance(chrono::Duration::days(100));
    let (code, posted) = app
        .post(
            &format!("/v1/conversations/{id}/messages"),
            &app.token("thandi", &[]),
            json!({"body": "Still there?"}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{posted}");
    let later = app.clock_now();
    assert_eq!(
        expiry(&conversation, "META")[0],
        two_years(later),
        "activity extends it"
    );
    assert_eq!(
        expiry("USER#thandi", &format!("CONV#{id}")),
        [two_years(later)]
    );
    assert_eq!(
        expiry(&conversation, "MSG#"),
        [two_years(created), two_years(later)],
        "each message two years after it was written"
    );
}
