//! The SES and SNS adapters over HTTP against moto server, reading back from moto what
//! was sent.

use common::delivery::ses::SesMailer;
use common::delivery::sns::SnsSms;
use common::delivery::{Email, Mailer, SendError, Sms, TextMessage};
use serde_json::Value;

fn unique() -> String {
    ulid::Ulid::new().to_string().to_lowercase()
}

/// Every entry of a moto data.json section, however moto nests it.
pub(crate) fn entries(section: &Value) -> Vec<Value> {
    match section {
        Value::Array(items) => items.iter().flat_map(entries).collect(),
        Value::Object(map)
            if map.values().all(|v| v.is_object() || v.is_array()) && !map.is_empty() =>
        {
            map.values().flat_map(entries).collect()
        }
        other => vec![other.clone()],
    }
}

/// A mailer on moto's SES whose sender (returned) is verified.
async fn verified_mailer() -> (SesMailer, String) {
    let client = aws_sdk_sesv2::Client::new(&tests::moto_config().await);
    let from = format!("messages-{}@saypro.test", unique());
    client
        .create_email_identity()
        .email_identity(&from)
        .send()
        .await
        .unwrap();
    (SesMailer::new(client, from.clone(), None), from)
}

#[tokio::test]
async fn ses_sends_the_email_to_its_recipient_from_the_verified_sender() {
    let (mailer, from) = verified_mailer().await;
    let to = format!("user-{}@example.co.za", unique());
    let email = Email {
        to: to.clone(),
        subject: "New reply: Renewing my ad".into(),
        html: "<p>SayPro Support replied</p>".into(),
        text: "SayPro Support replied".into(),
        unsubscribe: Some("https://saypro.test/unsubscribe?t=x".into()),
        // A broadcast's email carries its id as a message tag.
        broadcast: Some("01JSAMPLEBROADCAST00000000".into()),
        reply_to: None,
        auto_submitted: false,
    };
    mailer.send(&email).await.unwrap();

    let data = tests::moto_data();
    let sent: Vec<Value> = entries(&data["ses"]["Message"])
        .into_iter()
        .filter(|m| m.to_string().contains(&to))
        .collect();
    assert_eq!(sent.len(), 1, "{}", data["ses"]);
    assert_eq!(sent[0]["source"], from.as_str());
    assert_eq!(sent[0]["subject"], "New reply: Renewing my ad");
    assert!(
        sent[0]["body"]
            .as_str()
            .unwrap()
            .contains("SayPro Support replied")
    );
}

#[tokio::test]
async fn no_header_reaches_ses_with_a_line_break_in_it() {
    let (mailer, _) = verified_mailer().await;
    let to = format!("user-{}@example.co.za", unique());
    let email = |to: String| Email {
        to,
        subject: "Renewing my ad\r\nBcc: evil@x.test".into(),
        html: "<p>h</p>".into(),
        text: "t".into(),
        unsubscribe: None,
        broadcast: None,
        reply_to: None,
        auto_submitted: false,
    };
    mailer.send(&email(to.clone())).await.unwrap();
    let data = tests::moto_data();
    let sent: Vec<Value> = entries(&data["ses"]["Message"])
        .into_iter()
        .filter(|m| m.to_string().contains(&to))
        .collect();
    assert_eq!(sent[0]["subject"], "Renewing my ad  Bcc: evil@x.test");
    assert!(!data["ses"].to_string().contains("evil@x.test\"]"));

    // A recipient that carries another header is not an address: rejected for good.
    let injected = format!("{to}\r\nBcc: evil@x.test");
    assert!(matches!(
        mailer.send(&email(injected)).await,
        Err(SendError::Rejected(_))
    ));
}

#[tokio::test]
async fn ses_refuses_mail_from_an_unverified_sender_for_good() {
    let client = aws_sdk_sesv2::Client::new(&tests::moto_config().await);
    let mailer = SesMailer::new(client, format!("nobody-{}@saypro.test", unique()), None);
    let email = Email {
        to: "a@example.co.za".into(),
        subject: "s".into(),
        html: "h".into(),
        text: "t".into(),
        unsubscribe: None,
        broadcast: None,
        reply_to: None,
        auto_submitted: false,
    };
    assert!(matches!(
        mailer.send(&email).await,
        Err(SendError::Rejected(_))
    ));
}

#[tokio::test]
async fn sns_sends_the_sms_to_the_phone_number() {
    let client = aws_sdk_sns::Client::new(&tests::moto_config().await);
    let sms = SnsSms::new(client, "0.50", "SayPro");
    let digits: u64 = 100_000 + (ulid::Ulid::new().random() % 800_000) as u64;
    let to = format!("+2782{digits:07}");
    sms.send(&TextMessage {
        to: to.clone(),
        body: "SayPro: new reply on \"Renewing my ad\"".into(),
    })
    .await
    .unwrap();
    let data = tests::moto_data();
    let sent: Vec<Value> = entries(&data["sns"]["SMS"])
        .into_iter()
        .filter(|m| m.to_string().contains(&to))
        .collect();
    assert!(!sent.is_empty(), "{}", data["sns"]["SMS"]);
    assert!(sent[0].to_string().contains("new reply on"));
}

/// The whole notify path on AWS adapters: the table on DynamoDB, email through SES and
/// SMS through SNS, all over HTTP to moto; the stream record is the message item as
/// stored, as the stream would carry it.
#[tokio::test]
async fn a_stored_message_is_notified_through_ses_and_sns_once() {
    use common::store::message_key;
    use common::store::table::StreamRecord;
    use serde_json::json;

    let app = tests::TestApp::on(tests::moto_table().await);
    let notifier = tests::moto_notifier(&app).await;
    let agent = format!("agent-{}", unique());
    app.get(
        "/v1/admin/conversations",
        &app.token(&agent, &["agent", "team-billing"]),
    )
    .await;
    let user = app.token(&format!("user-{}", unique()), &[]);
    let subject = format!("Charged twice {}", &unique()[..8]);
    let request = json!({"type": "support", "category": "payment", "subject": subject, "body": "Please refund"});
    let (_, created) = app.post("/v1/conversations", &user, request).await;
    let (conversation, message) = (
        created["conversation"]["id"].as_str().unwrap(),
        created["message"]["id"].as_str().unwrap(),
    );
    let key = message_key(conversation, message);
    let item = app.table.get(&key, true).await.unwrap().unwrap();
    let record = StreamRecord {
        id: "1".into(),
        key,
        old: None,
        new: Some(item),
    };

    assert!(
        notifier
            .process(std::slice::from_ref(&record))
            .await
            .is_empty()
    );
    assert!(
        notifier
            .process(std::slice::from_ref(&record))
            .await
            .is_empty(),
        "redelivered"
    );
    let data = tests::moto_data();
    let address = format!("{agent}@example.co.za");
    let emails: Vec<Value> = entries(&data["ses"]["Message"])
        .into_iter()
        .filter(|m| m.to_string().contains(&address))
        .collect();
    assert_eq!(emails.len(), 1, "one email, though the record came twice");
    assert_eq!(
        emails[0]["subject"],
        format!("New message: {subject}").as_str()
    );
    let texts: Vec<Value> = entries(&data["sns"]["SMS"])
        .into_iter()
        .filter(|m| m.to_string().contains(&subject))
        .collect();
    assert_eq!(
        texts.len(),
        1,
        "an urgent conversation texts the team's agent, once: {}",
        data["sns"]["SMS"]
    );
}
