//! SLA clocks end to end: the check warns before a breach, escalates a breach to seniors
//! and later to managers, by SMS and email through the notify path, each exactly once
//! even when checks overlap; a reply stops it; the timeline explains it all. On the
//! embedded store with the outbox, and on moto with the SES and SNS adapters.

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use common::delivery::outbox::Channel;
use common::lambda::Schedule;
use common::messaging::SlaCheckOutcome;
use common::store::message_key;
use common::store::table::StreamRecord;
use common::store::table::embedded::EmbeddedTable;
use common::{App, IdentitySource};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};
use tests::{Interleaved, TestApp};

/// The admins who hear about SLA steps; each joins the directories on a queue call.
async fn staff(app: &TestApp, suffix: &str) -> (String, String, String) {
    let agent = format!("agent-{suffix}");
    let senior = format!("senior-{suffix}");
    let manager = format!("manager-{suffix}");
    for (who, groups) in [
        (&agent, vec!["agent", "team-billing"]),
        (&senior, vec!["senior"]),
        (&manager, vec!["manager"]),
    ] {
        let (code, _) = app
            .get("/v1/admin/conversations", &app.token(who, &groups))
            .await;
        assert_eq!(code, StatusCode::OK);
    }
    (agent, senior, manager)
}

/// An urgent payment conversation opened now; its id.
async fn urgent(app: &TestApp, user: &str, subject: &str) -> String {
    let request = json!({"type": "support", "category": "payment", "subject": subject, "body": "I paid for a premium ad twice"});
    let (code, created) = app
        .post("/v1/conversations", &app.token(user, &[]), request)
        .await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    assert_eq!(created["conversation"]["priority"], "urgent");
    created["conversation"]["id"].as_str().unwrap().to_string()
}

/// Runs the check through the dev server's route, at `at`, with the clock there too.
async fn check(app: &TestApp, at: DateTime<Utc>) -> Value {
    app.clock.set(at);
    let (code, outcome) = app
        .call(
            axum::http::Method::POST,
            "/local/sla-check",
            None,
            Some(json!({ "time": at })),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{outcome}");
    outcome
}

/// What the outbox sent to `who` (by their email address or, for SMS, by body text).
fn sent_to(app: &TestApp, who: &str, channel: Channel) -> Vec<String> {
    let address = format!("{who}@example.co.za");
    app.system
        .outbox
        .sent()
        .into_iter()
        .filter(|s| s.channel == channel)
        .filter(|s| match channel {
            Channel::Email => s.to == address,
            Channel::Sms => true,
        })
        .map(|s| s.subject.unwrap_or(s.body))
        .collect()
}

fn event_kinds(timeline: &Value) -> Vec<String> {
    timeline["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let mut kind = format!(
                "{} {}",
                e["kind"].as_str().unwrap(),
                e["clock"].as_str().unwrap()
            );
            if let Some(level) = e["level"].as_u64() {
                kind.push_str(&format!(" {level}"));
            }
            kind
        })
        .collect()
}

#[tokio::test]
async fn an_urgent_conversation_unanswered_escalates_once_to_seniors_then_to_managers() {
    let app = TestApp::in_memory();
    let (agent, senior, manager) = staff(&app, "a").await;
    let start = app.clock_now();
    let id = urgent(&app, "thandi", "Charged twice").await;
    assert!(app.deliver().await.is_empty());

    let outcome = check(&app, start + Duration::hours(3)).await;
    assert_eq!(
        outcome["due"], 0,
        "nothing is due three hours in: {outcome}"
    );

    // 80% of 4 hours: the team working the queue is warned.
    let outcome = check(&app, start + Duration::minutes(192)).await;
    assert_eq!(outcome["warned"], 1, "{outcome}");
    assert!(app.deliver().await.is_empty());
    assert_eq!(
        sent_to(&app, &agent, Channel::Email),
        [
            "New message: Charged twice",
            "Answer due soon: Charged twice"
        ]
    );
    assert!(sent_to(&app, &senior, Channel::Email).is_empty());
    let texts = sent_to(&app, "", Channel::Sms);
    assert!(
        texts.last().unwrap().starts_with("SayPro: answer due soon"),
        "urgent: the warning is texted too: {texts:?}"
    );
    let sms_before = texts.len();

    // Past the deadline: two checks at once escalate it once.
    let breach = start + Duration::hours(4) + Duration::minutes(1);
    app.clock.set(breach);
    let (one, two) = tokio::join!(check(&app, breach), check(&app, breach));
    assert_eq!(
        one["escalated_to_senior"].as_u64().unwrap() + two["escalated_to_senior"].as_u64().unwrap(),
        1,
        "{one} {two}"
    );
    assert_eq!(
        check(&app, breach).await["due"],
        0,
        "nothing more is due now"
    );
    assert!(app.deliver().await.is_empty());
    assert_eq!(
        sent_to(&app, &senior, Channel::Email),
        ["Escalated, overdue: Charged twice"]
    );
    let texts = sent_to(&app, "", Channel::Sms);
    assert_eq!(
        texts.len(),
        sms_before + 1,
        "one SMS for the senior: {texts:?}"
    );
    assert!(
        texts
            .last()
            .unwrap()
            .starts_with("SayPro: ESCALATED, overdue")
    );
    assert!(sent_to(&app, &manager, Channel::Email).is_empty());

    let admin = app.token(&senior, &["senior"]);
    let (_, conversation) = app
        .get(&format!("/v1/admin/conversations/{id}"), &admin)
        .await;
    assert_eq!(conversation["sla"]["escalation_level"], 1);
    assert_eq!(conversation["sla"]["breached"], true);

    // Two hours past the deadline (the default policy): managers.
    let outcome = check(&app, start + Duration::hours(6)).await;
    assert_eq!(outcome["escalated_to_manager"], 1, "{outcome}");
    assert!(app.deliver().await.is_empty());
    assert_eq!(
        sent_to(&app, &manager, Channel::Email),
        ["Escalated, overdue: Charged twice"]
    );
    assert_eq!(
        check(&app, start + Duration::days(3)).await["due"],
        0,
        "level 2 is the last"
    );
    let admin = app.token(&senior, &["senior"]);

    let (code, timeline) = app
        .get(&format!("/v1/admin/conversations/{id}/sla"), &admin)
        .await;
    assert_eq!(code, StatusCode::OK, "{timeline}");
    assert_eq!(
        event_kinds(&timeline),
        [
            "started first_response",
            "started resolution",
            "warned first_response",
            "breached first_response",
            "escalated first_response 1",
            "escalated first_response 2"
        ]
    );
    assert_eq!(timeline["next_step"], Value::Null);
    assert_eq!(
        timeline["events"][2]["at"],
        json!(start + Duration::minutes(192))
    );
    assert_eq!(
        timeline["events"][3]["due"],
        json!(start + Duration::hours(4))
    );
    assert_eq!(timeline["events"][0]["policy_version"], 0);

    // The steps are on the conversation for admins, as system notes; the user sees none.
    let (_, messages) = app
        .get(&format!("/v1/admin/conversations/{id}/messages"), &admin)
        .await;
    let alerts: Vec<&str> = messages["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["sla_alert"].as_str())
        .collect();
    assert_eq!(alerts, ["warn", "breach", "escalate_to_manager"]);
    let (_, seen) = app
        .get(
            &format!("/v1/conversations/{id}/messages"),
            &app.token("thandi", &[]),
        )
        .await;
    assert_eq!(seen["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn two_overlapping_checks_escalate_once() {
    let inner = Arc::new(EmbeddedTable::in_memory());
    let table = Arc::new(Interleaved::new(inner.clone()));
    let app = TestApp::on(table.clone());
    let id = urgent(&app, "thandi", "Charged twice").await;
    let breach = app.clock_now() + Duration::hours(5);
    app.clock.set(breach);

    // A second check runs, whole, between the first one's read and its write.
    let other = Arc::new(App::new(
        inner,
        app.clock.clone(),
        IdentitySource::ApiGateway,
    ));
    let second = Arc::new(Mutex::new(None));
    let record = second.clone();
    table.before_next_write(Box::new(move || {
        Box::pin(async move {
            *record.lock().unwrap() = Some(other.sla_check(breach).await.unwrap());
        })
    }));
    let first = app.system.app.sla_check(breach).await.unwrap();
    let second: SlaCheckOutcome = second.lock().unwrap().take().expect("the second check ran");
    assert_eq!(
        second.escalated_to_senior, 1,
        "the check that wrote first escalates"
    );
    assert_eq!(
        (first.escalated_to_senior, first.skipped),
        (0, 1),
        "the other finds nothing left to do"
    );
    let (_, messages) = app
        .get(
            &format!("/v1/admin/conversations/{id}/messages"),
            &app.token("max", &["manager"]),
        )
        .await;
    let notes = messages["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["sla_alert"] == "breach")
        .count();
    assert_eq!(notes, 1, "one escalation note, so one notification");
}

#[tokio::test]
async fn a_reply_stops_further_escalation_and_a_new_message_starts_a_fresh_clock() {
    let app = TestApp::in_memory();
    let (agent, _, manager) = staff(&app, "b").await;
    let start = app.clock_now();
    let id = urgent(&app, "lerato", "Locked out").await;
    let breach = start + Duration::hours(4) + Duration::minutes(5);
    assert_eq!(check(&app, breach).await["escalated_to_senior"], 1);

    let (code, _) = app
        .post(
            &format!("/v1/admin/conversations/{id}/replies"),
            &app.token(&agent, &["agent", "team-billing"]),
            json!({"body": "Sorry for the wait: your account is unlocked."}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED);
    assert_eq!(
        check(&app, start + Duration::hours(7)).await["due"],
        0,
        "answered: nothing left to do"
    );
    assert!(app.deliver().await.is_empty());
    assert!(sent_to(&app, &manager, Channel::Email).is_empty());

    // The user writes again the next day: a new clock, warned and escalated afresh.
    let next_day = start + Duration::days(1);
    app.clock.set(next_day);
    let (code, _) = app
        .post(
            &format!("/v1/conversations/{id}/messages"),
            &app.token("lerato", &[]),
            json!({"body": "It is locked again"}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED);
    let outcome = check(&app, next_day + Duration::hours(4) + Duration::minutes(1)).await;
    assert_eq!(outcome["escalated_to_senior"], 1, "{outcome}");

    let (_, timeline) = app
        .get(
            &format!("/v1/admin/conversations/{id}/sla"),
            &app.token("max", &["manager"]),
        )
        .await;
    let kinds = event_kinds(&timeline);
    assert_eq!(
        kinds[2..],
        [
            "breached first_response",
            "escalated first_response 1",
            "met first_response",
            "resumed next_response",
            "breached next_response",
            "escalated next_response 1"
        ]
    );
    assert_eq!(timeline["events"][4]["on_time"], false);
    assert_eq!(timeline["next_step"]["action"], "escalate_to_manager");
}

#[tokio::test]
async fn the_timeline_is_for_admins_who_may_see_the_conversation() {
    let app = TestApp::in_memory();
    let id = urgent(&app, "thandi", "Charged twice").await;
    let path = format!("/v1/admin/conversations/{id}/sla");
    let (code, _) = app.get(&path, &app.token("thandi", &[])).await;
    assert_eq!(
        code,
        StatusCode::FORBIDDEN,
        "users do not read admin routes"
    );
    let (code, _) = app
        .get(&path, &app.token("agent-x", &["agent", "team-sales"]))
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND, "another team's conversation");
    let (code, _) = app
        .get(
            "/v1/admin/conversations/01JNOSUCHCONVERSATION00000/sla",
            &app.token("max", &["manager"]),
        )
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    app.listing("bakkie", "seller-sam", "active").await;
    let direct = app
        .direct(&app.token("buyer-bo", &[]), "bakkie", "Still for sale?")
        .await;
    let (code, body) = app
        .get(
            &format!("/v1/admin/conversations/{direct}/sla"),
            &app.token("max", &["manager"]),
        )
        .await;
    assert_eq!(
        code,
        StatusCode::NOT_FOUND,
        "direct conversations have no SLA: {body}"
    );
}

#[tokio::test]
async fn the_scheduled_event_runs_the_check_at_its_own_time() {
    let app = TestApp::in_memory();
    staff(&app, "c").await;
    // Created at 07:00Z; the sample event fires at 11:05Z, past the 4-hour deadline.
    let id = urgent(&app, "thandi", "Charged twice").await;
    let path = format!(
        "{}/../events/sla-check/schedule.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let event: Schedule = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let run = |event: Schedule| async {
        let outcome =
            sla_check::handle(&app.system.app, LambdaEvent::new(event, Context::default()))
                .await
                .unwrap();
        serde_json::to_value(outcome).unwrap()
    };
    let handled = run(event.clone()).await;
    assert_eq!(handled["escalated_to_senior"], 1, "{handled}");
    let replayed = run(event).await;
    assert_eq!(
        replayed["escalated_to_senior"], 0,
        "a replayed event does nothing twice"
    );
    let (_, conversation) = app
        .get(
            &format!("/v1/admin/conversations/{id}"),
            &app.token("max", &["manager"]),
        )
        .await;
    assert_eq!(conversation["sla"]["escalation_level"], 1);

    let wrong = serde_json::from_value(json!({"source": "aws.s3", "detail-type": "Object Created", "time": "2026-11-24T11:05:00Z", "detail": {}})).unwrap();
    assert!(
        sla_check::handle(&app.system.app, LambdaEvent::new(wrong, Context::default()))
            .await
            .is_err()
    );
}

/// The same escalation on the AWS adapters: the table on DynamoDB, the check's notes
/// delivered through SES and SNS, all over HTTP to moto.
#[tokio::test]
async fn on_moto_an_escalation_reaches_seniors_by_ses_and_sns() {
    let app = TestApp::on(tests::moto_table().await);
    let notifier = tests::moto_notifier(&app).await;
    let unique = ulid::Ulid::new().to_string().to_lowercase();
    let (_, senior, _) = staff(&app, &unique).await;
    let subject = format!("Charged twice {}", &unique[..10]);
    let start = app.clock_now();
    let id = urgent(&app, &format!("user-{unique}"), &subject).await;
    let outcome = check(&app, start + Duration::hours(5)).await;
    assert_eq!(outcome["escalated_to_senior"], 1, "{outcome}");

    // The stream would carry the check's note; build its record from the stored item.
    let admin = app.token(&senior, &["senior"]);
    let (_, messages) = app
        .get(&format!("/v1/admin/conversations/{id}/messages"), &admin)
        .await;
    let note = messages["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["sla_alert"] == "breach")
        .expect("the escalation note")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let key = message_key(&id, &note);
    let record = StreamRecord {
        id: "1".into(),
        key: key.clone(),
        old: None,
        new: app.table.get(&key, true).await.unwrap(),
    };
    assert!(
        notifier
            .process(std::slice::from_ref(&record))
            .await
            .is_empty()
    );

    let data = tests::moto_data();
    let text = |section: &Value| section.to_string();
    let emails = text(&data["ses"]["Message"]);
    assert_eq!(
        emails.matches(&format!("{senior}@example.co.za")).count(),
        1,
        "one email to the senior"
    );
    assert!(emails.contains(&format!("Escalated, overdue: {subject}")));
    let texts = text(&data["sns"]["SMS"]);
    assert!(
        texts.contains(&format!("SayPro: ESCALATED, overdue: \\\"{subject}")),
        "{texts}"
    );
}

#[tokio::test]
async fn pending_pauses_the_clock_and_reopening_restarts_it() {
    let app = TestApp::in_memory();
    let thandi = app.token("thandi", &[]);
    let id = app
        .support(&thandi, "general", "How do I renew my ad?")
        .await;
    let sam = app.token("sam", &["agent", "team-support"]);
    let path = format!("/v1/admin/conversations/{id}");
    let (code, _) = app.patch(&path, &sam, json!({"status": "pending"})).await;
    assert_eq!(code, StatusCode::OK);
    let (_, timeline) = app.get(&format!("{path}/sla"), &sam).await;
    assert_eq!(
        event_kinds(&timeline)[2..],
        ["paused first_response"],
        "{timeline}"
    );
    assert_eq!(
        timeline["next_step"],
        Value::Null,
        "nothing runs while pending"
    );
    assert_eq!(timeline["sla"]["next_response_due"], Value::Null);

    // Reopened a day later (Wednesday 09:00 in Johannesburg): 24 weekday hours from then.
    let reopened = app.clock_now() + Duration::days(1);
    app.clock.set(reopened);
    let sam = app.token("sam", &["agent", "team-support"]);
    let (code, conversation) = app.patch(&path, &sam, json!({"status": "open"})).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(
        conversation["sla"]["next_response_due"],
        json!(reopened + Duration::days(1))
    );
    let (_, timeline) = app.get(&format!("{path}/sla"), &sam).await;
    assert_eq!(
        event_kinds(&timeline)[2..],
        ["paused first_response", "resumed first_response"]
    );
    assert_eq!(timeline["next_step"]["action"], "warn");
}

#[tokio::test]
async fn sla_alerts_go_at_once_while_a_message_email_waits_to_be_read() {
    let app = TestApp::in_memory().with_email_delay(5);
    let (agent, _, _) = staff(&app, "d").await;
    let start = app.clock_now();
    urgent(&app, "thandi", "Charged twice").await;
    assert!(app.deliver().await.is_empty());
    assert!(
        sent_to(&app, &agent, Channel::Email).is_empty(),
        "the new message's email waits to see whether it is read"
    );
    let warned = start + Duration::minutes(192);
    assert_eq!(check(&app, warned).await["warned"], 1);
    assert!(app.deliver().await.is_empty());
    assert_eq!(
        sent_to(&app, &agent, Channel::Email),
        ["Answer due soon: Charged twice"]
    );
    // Nobody read it in the app: its email goes, once, with the alert before it.
    let due = app.system.notifier.send_due_emails(warned).await.unwrap();
    assert_eq!((due.sent, due.read), (1, 0));
    assert_eq!(
        sent_to(&app, &agent, Channel::Email),
        [
            "Answer due soon: Charged twice",
            "New message: Charged twice"
        ]
    );
}
