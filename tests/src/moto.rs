//! Moto server, the AWS emulator the test command starts: its endpoint, SDK clients,
//! fresh tables and buckets, what it recorded, and a notifier that delivers through it.

use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use common::store::table::dynamo::DynamoTable;

use crate::TestApp;

/// The moto server the test command started (`infra/test.sh` sets `SAYPRO_MOTO_URL`).
/// These tests never skip: without moto they fail and say how to run them.
pub fn moto_url() -> String {
    std::env::var("SAYPRO_MOTO_URL").unwrap_or_else(|_| {
        panic!("SAYPRO_MOTO_URL is not set: run the tests with `make test` (infra/test.sh starts moto server)")
    })
}

/// SDK configuration for moto: its endpoint, a region, dummy credentials.
pub async fn moto_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(common::lambda::https_client())
        .endpoint_url(moto_url())
        .region(aws_config::Region::new("eu-west-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "tests",
        ))
        .load()
        .await
}

pub async fn dynamo_client() -> Client {
    Client::new(&moto_config().await)
}

/// What moto holds, from its own HTTP API (`/moto-api/data.json`): sent email and SMS.
pub fn moto_data() -> serde_json::Value {
    use std::io::{Read, Write};
    let address = moto_url().trim_start_matches("http://").to_string();
    let mut stream = std::net::TcpStream::connect(&address).expect("connect to moto");
    write!(
        stream,
        "GET /moto-api/data.json HTTP/1.0\r\nHost: {address}\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let body = response.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    serde_json::from_str(body).expect("moto data.json")
}

/// A fresh bucket on moto, and the Objects adapter on it (path-style addressing, as
/// an emulator on 127.0.0.1 needs).
pub async fn moto_objects() -> (aws_sdk_s3::Client, String, common::objects::s3::S3Objects) {
    let config = aws_sdk_s3::config::Builder::from(&moto_config().await)
        .force_path_style(true)
        .build();
    let client = aws_sdk_s3::Client::from_conf(config);
    let bucket = format!(
        "saypro-test-{}",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    client
        .create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .expect("create bucket on moto");
    let objects = common::objects::s3::S3Objects::new(client.config().clone(), &bucket);
    (client, bucket, objects)
}

/// A fresh table on moto with a unique name, so test binaries and cases never share state.
pub async fn moto_table() -> Arc<DynamoTable> {
    let client = dynamo_client().await;
    let name = format!(
        "saypro-test-{}",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    DynamoTable::create_table(&client, &name)
        .await
        .expect("create table on moto");
    Arc::new(DynamoTable::new(client, name))
}

/// A notifier whose email goes through SES and SMS through SNS on moto (from a sender
/// identity it verifies there), on `app`'s table and clock.
pub async fn moto_notifier(app: &TestApp) -> common::notifications::Notifier {
    use common::delivery::ses::SesMailer;
    use common::delivery::sns::SnsSms;
    let config = moto_config().await;
    let from = format!(
        "messages-{}@saypro.test",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    let ses = aws_sdk_sesv2::Client::new(&config);
    ses.create_email_identity()
        .email_identity(&from)
        .send()
        .await
        .expect("verify the sender on moto");
    common::notifications::Notifier {
        table: app.table.clone(),
        mailer: Arc::new(SesMailer::new(ses, from, None)),
        sms: Arc::new(SnsSms::new(
            aws_sdk_sns::Client::new(&config),
            "0.50",
            "SayPro",
        )),
        webhooks: app.system.notifier.webhooks.clone(),
        clock: app.system.notifier.clock.clone(),
        config: common::notifications::NotifyConfig {
            site_url: "https://www.saypro.test".into(),
            unsubscribe_url: "https://www.saypro.test/account".into(),
            sms_daily_cap: 100,
            email_delay: chrono::Duration::zero(),
            reply_domain: Some("saypro.test".into()),
        },
        realtime: None,
    }
}
