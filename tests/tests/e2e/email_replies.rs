//! Replies by email, end to end through the dev server's `POST /local/inbound-email` and
//! through the inbound-email function's own handler (an SES receipt event, the raw
//! message on moto's S3): the samples in `tests/samples/email` are the layouts Gmail,
//! Outlook and Apple Mail write. The right text lands once; what cannot be taken is
//! bounced once or dropped.

use axum::http::{Method, StatusCode};
use chrono::Duration;
use common::delivery::outbox::{Channel, Sent};
use serde_json::{Value, json};
use tests::TestApp;

const AGENT: &[&str] = &["agent", "team-support"];
const MODERATOR: &[&str] = &["moderator"];

fn sample(name: &str) -> String {
    let path = format!("{}/samples/email/{name}.eml", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A sample as `from` writes it to `reply_to`, with a Message-ID of its own (`id`).
fn written(name: &str, from: &str, reply_to: &str, id: &str) -> Vec<u8> {
    sample(name)
        .replace("{{FROM}}", from)
        .replace("{{REPLY_TO}}", reply_to)
        .replace("{{ID}}", id)
        .replace('\n', "\r\n")
        .into_bytes()
}

/// The dev server receives a raw email; `query` sets SES's verdicts.
async fn receive(app: &TestApp, raw: Vec<u8>, query: &str) -> Value {
    let path = format!("/local/inbound-email{query}");
    let (status, _, body) = app
        .raw(
            Method::POST,
            &path,
            &[("content-type", "message/rfc822")],
            raw,
        )
        .await;
    let answer: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer
}

fn emails_to(app: &TestApp, to: &str) -> Vec<Sent> {
    app.system
        .outbox
        .sent()
        .into_iter()
        .filter(|s| s.channel == Channel::Email && s.to == to)
        .collect()
}

/// alice's support conversation, answered by sam; the reply address of the email that
/// told alice of the answer.
async fn answered(app: &TestApp) -> (String, String) {
    let sam = app.token("sam", AGENT);
    let alice = app.token("alice", &[]);
    let id = app
        .support(&alice, "general", "How do I renew my ad?")
        .await;
    let (code, reply) = app
        .post_reply(&sam, &id, json!({"body": "Open the ad and press Renew."}))
        .await;
    assert_eq!(code, StatusCode::CREATED, "{reply}");
    assert!(app.deliver().await.is_empty());
    let emails = emails_to(app, "alice@example.co.za");
    let email = emails.last().expect("alice is told of the answer by email");
    let reply_to = email
        .reply_to
        .clone()
        .expect("the email carries a reply address");
    assert!(
        reply_to.starts_with("reply+") && reply_to.ends_with("@saypro.local"),
        "{reply_to}"
    );
    assert!(
        reply_to.split('@').next().unwrap().len() <= 40,
        "{reply_to}"
    );
    assert!(
        email.body.contains("Reply to this email to answer"),
        "{}",
        email.body
    );
    (id, reply_to)
}

/// An admin changes the conversation (`PATCH`), which must succeed.
async fn change(app: &TestApp, admin: &str, id: &str, changes: Value) {
    let path = format!("/v1/admin/conversations/{id}");
    let (code, answer) = app.patch(&path, admin, changes).await;
    assert_eq!(code, StatusCode::OK, "{answer}");
}

async fn messages(app: &TestApp, id: &str) -> Vec<Value> {
    let alice = app.token("alice", &[]);
    let (code, page) = app
        .get(&format!("/v1/conversations/{id}/messages"), &alice)
        .await;
    assert_eq!(code, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn each_clients_reply_lands_once_with_only_its_new_text() {
    let app = TestApp::in_memory();
    let (id, reply_to) = answered(&app).await;
    let cases = [
        (
            "gmail",
            "Thanks, I pressed Renew but the ad still shows as expired.\nCan you check it?",
        ),
        (
            "outlook",
            "I paid by EFT this morning, reference SP-20331.\n\nKind regards\nAlice",
        ),
        ("apple", "It works now — thank you!"),
        ("html-only", "Which photos are allowed?\nAlice"),
    ];
    for (n, (name, expected)) in cases.into_iter().enumerate() {
        let raw = written(name, "alice@example.co.za", &reply_to, &format!("m{n}"));
        let outcome = receive(&app, raw.clone(), "").await;
        assert_eq!(outcome["outcome"], "posted", "{name}: {outcome}");
        assert_eq!(outcome["conversation_id"], id.as_str());
        assert_eq!(outcome["replayed"], false);
        let posted = messages(&app, &id).await;
        let last = posted.last().unwrap();
        assert_eq!(last["body"], expected, "{name}");
        assert_eq!(last["sender_id"], "alice");
        assert_eq!(last["id"], outcome["message_id"]);

        // SES delivers again (or the event is replayed): nothing is posted twice.
        let again = receive(&app, raw, "").await;
        assert_eq!(again["outcome"], "posted", "{again}");
        assert_eq!(again["replayed"], true);
        assert_eq!(again["message_id"], outcome["message_id"]);
        assert_eq!(messages(&app, &id).await.len(), posted.len(), "{name}");
    }
    // The same path as the API's: the answer reopened the conversation for the team,
    // whose agent is told.
    let sam = app.token("sam", AGENT);
    let (_, conversation) = app
        .get(&format!("/v1/admin/conversations/{id}"), &sam)
        .await;
    assert_eq!(conversation["status"], "open", "{conversation}");
    assert!(app.deliver().await.is_empty());
}

#[tokio::test]
async fn a_photo_and_a_pdf_become_the_messages_files() {
    let app = TestApp::in_memory();
    let (id, reply_to) = answered(&app).await;
    let raw = written("photo", "alice@example.co.za", &reply_to, "photo1");
    let outcome = receive(&app, raw.clone(), "").await;
    assert_eq!(outcome["outcome"], "posted", "{outcome}");
    let last = messages(&app, &id).await.pop().unwrap();
    assert_eq!(
        last["body"],
        "Here is the photo of the damage, and the invoice."
    );
    let files: Vec<(&str, &str)> = last["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["filename"].as_str().unwrap(),
                a["content_type"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        files,
        [
            ("IMG_2044.jpg", "image/jpeg"),
            ("invoice.pdf", "application/pdf")
        ]
    );
    // Its files download as any upload's.
    let alice = app.token("alice", &[]);
    let photo = last["attachments"][0]["id"].as_str().unwrap();
    let message = last["id"].as_str().unwrap();
    let path = format!("/v1/conversations/{id}/messages/{message}/attachments/{photo}");
    let (code, link) = app.get(&path, &alice).await;
    assert_eq!(code, StatusCode::OK, "{link}");
    let (code, _, bytes) = app.fetch(link["download"]["url"].as_str().unwrap()).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(&bytes[..3], [0xff, 0xd8, 0xff]);

    let count = messages(&app, &id).await.len();
    let again = receive(&app, raw, "").await;
    assert_eq!(again["replayed"], true, "{again}");
    assert_eq!(messages(&app, &id).await.len(), count);
}

#[tokio::test]
async fn machines_are_dropped_and_counted_never_answered() {
    let app = TestApp::in_memory();
    let (id, reply_to) = answered(&app).await;
    let before = messages(&app, &id).await.len();
    let sent = app.system.outbox.sent().len();

    let auto = written("auto-reply", "alice@example.co.za", &reply_to, "oof1");
    let outcome = receive(&app, auto, "").await;
    assert_eq!(
        outcome,
        json!({"outcome": "dropped", "reason": "auto_submitted"})
    );
    // A list's or a bulk sender's mail, a delivery report, and our own mail coming back.
    let bulk = String::from_utf8(written("gmail", "alice@example.co.za", &reply_to, "b1"))
        .unwrap()
        .replacen("MIME-Version", "Precedence: bulk\r\nMIME-Version", 1);
    let outcome = receive(&app, bulk.into_bytes(), "").await;
    assert_eq!(outcome["reason"], "precedence", "{outcome}");
    let report = String::from_utf8(written("gmail", "alice@example.co.za", &reply_to, "d1"))
        .unwrap()
        .replacen("Return-Path: <alice@example.co.za>", "Return-Path: <>", 1);
    let outcome = receive(&app, report.into_bytes(), "").await;
    assert_eq!(outcome["reason"], "delivery_report", "{outcome}");
    let own = written("gmail", local::LOCAL_FROM, &reply_to, "loop1");
    let outcome = receive(&app, own, "").await;
    assert_eq!(outcome["reason"], "loop", "{outcome}");
    let spam = written("gmail", "alice@example.co.za", &reply_to, "s1");
    let outcome = receive(&app, spam, "?spam=FAIL").await;
    assert_eq!(outcome["reason"], "spam_or_virus", "{outcome}");

    assert_eq!(messages(&app, &id).await.len(), before, "nothing posted");
    assert_eq!(app.system.outbox.sent().len(), sent, "nothing answered");
}

/// Receives `raw`, expecting one bounce to `to` whose reason contains `why`, and none
/// more when the same email arrives again.
async fn bounced_once(app: &TestApp, raw: Vec<u8>, query: &str, to: &str, why: &str) {
    let before = emails_to(app, to).len();
    let outcome = receive(app, raw.clone(), query).await;
    assert_eq!(outcome["outcome"], "bounced", "{outcome}");
    assert!(
        outcome["reason"].as_str().unwrap().contains(why),
        "{why}: {outcome}"
    );
    let bounces = emails_to(app, to);
    assert_eq!(bounces.len(), before + 1, "one bounce");
    let bounce = bounces.last().unwrap();
    assert!(
        bounce
            .subject
            .as_deref()
            .unwrap()
            .starts_with("Your reply was not posted"),
        "{bounce:?}"
    );
    assert!(bounce.body.contains(why), "{}", bounce.body);
    assert_eq!(bounce.reply_to, None);
    let again = receive(app, raw, query).await;
    assert_eq!(again, outcome);
    assert_eq!(emails_to(app, to).len(), before + 1, "not bounced twice");
}

#[tokio::test]
async fn a_forged_sender_a_failed_verdict_and_an_unknown_or_stale_address_are_bounced() {
    let app = TestApp::in_memory();
    let (id, reply_to) = answered(&app).await;
    let before = messages(&app, &id).await.len();

    // Someone else's address with alice's reply address: it is not alice's.
    let forged = written("forged", "", &reply_to, "f1");
    bounced_once(
        &app,
        forged,
        "",
        "mallory@example.net",
        "sent to another email address",
    )
    .await;
    // alice's address, but her provider's signature does not hold.
    for (n, query) in ["?spf=FAIL", "?dkim=FAIL"].into_iter().enumerate() {
        let raw = written("gmail", "alice@example.co.za", &reply_to, &format!("v{n}"));
        bounced_once(&app, raw, query, "alice@example.co.za", "SPF or DKIM").await;
    }
    // An address nobody was given.
    let unknown = "reply+0000000000000000000000000000zzzz@saypro.local";
    let raw = written("gmail", "alice@example.co.za", unknown, "u1");
    bounced_once(
        &app,
        raw,
        "",
        "alice@example.co.za",
        "unknown or has expired",
    )
    .await;
    // No reply above the quote.
    let empty = String::from_utf8(written("apple", "alice@example.co.za", &reply_to, "e1"))
        .unwrap()
        .replace("It works now =E2=80=94 thank you!", "");
    bounced_once(
        &app,
        empty.into_bytes(),
        "",
        "alice@example.co.za",
        "We found no reply",
    )
    .await;
    // The address expires 90 days after its email.
    app.clock.advance(Duration::days(91));
    let stale = written("gmail", "alice@example.co.za", &reply_to, "old1");
    bounced_once(
        &app,
        stale,
        "",
        "alice@example.co.za",
        "unknown or has expired",
    )
    .await;

    assert_eq!(messages(&app, &id).await.len(), before, "nothing posted");
}

#[tokio::test]
async fn the_apis_own_refusals_are_bounced_a_blocked_user_and_a_conversation_long_resolved() {
    let app = TestApp::in_memory();
    let (id, reply_to) = answered(&app).await;
    let moderator = app.token("mo", MODERATOR);
    let (code, answer) = app
        .post(
            "/v1/admin/users/alice/block",
            &moderator,
            json!({"reason": "spam"}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{answer}");
    let raw = written("gmail", "alice@example.co.za", &reply_to, "blk1");
    bounced_once(
        &app,
        raw,
        "",
        "alice@example.co.za",
        "blocked from sending messages",
    )
    .await;
    let code = app
        .call(
            Method::POST,
            "/v1/admin/users/alice/unblock",
            Some(&moderator),
            None,
        )
        .await
        .0;
    assert!(code.is_success(), "{code}");

    // Resolved, then 31 days pass: the reply asks for a new conversation instead.
    let sam = app.token("sam", AGENT);
    change(&app, &sam, &id, json!({"status": "resolved"})).await;
    app.clock.advance(Duration::days(31));
    let raw = written("gmail", "alice@example.co.za", &reply_to, "late1");
    bounced_once(
        &app,
        raw,
        "",
        "alice@example.co.za",
        "resolved more than 30 days ago",
    )
    .await;
}

#[tokio::test]
async fn an_admins_email_reply_is_the_teams_public_answer_and_the_conversation_goes_pending() {
    let app = TestApp::in_memory();
    let (id, alice_reply_to) = answered(&app).await;
    let sam = app.token("sam", AGENT);
    // Opening the queue puts sam in the directory, with the roles his token gives.
    let (code, queue) = app.get("/v1/admin/conversations", &sam).await;
    assert_eq!(code, StatusCode::OK, "{queue}");
    change(&app, &sam, &id, json!({"assignee": "me"})).await;
    let raw = written("gmail", "alice@example.co.za", &alice_reply_to, "a1");
    assert_eq!(receive(&app, raw, "").await["outcome"], "posted");
    assert!(app.deliver().await.is_empty());
    let email = emails_to(&app, "sam@example.co.za")
        .pop()
        .expect("sam, the assignee, is told by email");
    let sam_reply_to = email.reply_to.expect("a reply address of sam's own");
    assert_ne!(sam_reply_to, alice_reply_to);

    let raw = written("outlook", "sam@example.co.za", &sam_reply_to, "a2");
    let outcome = receive(&app, raw, "").await;
    assert_eq!(outcome["outcome"], "posted", "{outcome}");
    let last = messages(&app, &id).await.pop().unwrap();
    assert_eq!(last["sender_role"], "admin", "{last}");
    assert!(last["body"].as_str().unwrap().starts_with("I paid by EFT"));
    let (_, conversation) = app
        .get(&format!("/v1/admin/conversations/{id}"), &sam)
        .await;
    assert_eq!(conversation["status"], "pending", "{conversation}");

    // alice cannot use sam's address, nor sam alice's.
    let raw = written("gmail", "alice@example.co.za", &sam_reply_to, "a3");
    assert_eq!(receive(&app, raw, "").await["outcome"], "bounced");
}

#[tokio::test]
async fn only_raw_messages_are_taken() {
    let app = TestApp::in_memory();
    let (status, _, body) = app
        .raw(
            Method::POST,
            "/local/inbound-email",
            &[("content-type", "application/json")],
            b"{}".to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let answer: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        answer["error"]["code"], "unsupported_media_type",
        "{answer}"
    );
    // Bytes that are no email: dropped, nothing else.
    let outcome = receive(&app, b"\x00\x01 not mail".to_vec(), "").await;
    assert_eq!(outcome["outcome"], "dropped", "{outcome}");
}

/// The function's own handler with the SES receipt event of `events/inbound-email`: the
/// raw message read from the inbound bucket (on moto's S3) by the message id SES gives;
/// the event replayed posts nothing twice.
#[tokio::test]
async fn the_ses_receipt_event_is_handled_from_the_bucket_and_replayed_without_effect() {
    let app = TestApp::in_memory();
    let (id, reply_to) = answered(&app).await;
    let (s3, bucket, _) = tests::moto_objects().await;
    let path = format!(
        "{}/../events/inbound-email/ses-receipt.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let sample = std::fs::read_to_string(&path).unwrap();
    let event: Value = serde_json::from_str(&sample).unwrap();
    let mail_id = event["Records"][0]["ses"]["mail"]["messageId"]
        .as_str()
        .unwrap()
        .to_string();
    let sample_recipient = event["Records"][0]["ses"]["receipt"]["recipients"][0]
        .as_str()
        .unwrap()
        .to_string();
    let event: aws_lambda_events::ses::SimpleEmailEvent =
        serde_json::from_str(&sample.replace(&sample_recipient, &reply_to)).unwrap();
    let raw = written("gmail", "alice@example.co.za", &reply_to, "ses1");
    s3.put_object()
        .bucket(&bucket)
        .key(format!("inbound/{mail_id}"))
        .body(raw.into())
        .send()
        .await
        .unwrap();
    let inbound = inbound_email::Inbound {
        app: app.system.app.clone(),
        mailer: app.system.notifier.mailer.clone(),
        reply_domain: local::REPLY_DOMAIN.into(),
        from_address: local::LOCAL_FROM.into(),
        site_url: local::DEFAULT_BASE_URL.into(),
    };
    let store = inbound_email::RawStore {
        client: s3,
        bucket,
        prefix: "inbound/".into(),
    };
    let before = messages(&app, &id).await.len();
    let first = inbound_email::handle(&inbound, &store, event.clone())
        .await
        .unwrap();
    let first = serde_json::to_value(&first).unwrap();
    assert_eq!(first[0]["outcome"], "posted", "{first}");
    let second = inbound_email::handle(&inbound, &store, event)
        .await
        .unwrap();
    assert_eq!(serde_json::to_value(&second).unwrap()[0]["replayed"], true);
    assert_eq!(messages(&app, &id).await.len(), before + 1);
}
