//! Helpers shared by the end-to-end tests: the moto server endpoint, test apps, requests.

use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use common::table::dynamo::DynamoTable;

/// The moto server the test command started (`infra/test.sh` sets `SAYPRO_MOTO_URL`).
/// These tests never skip: without moto they fail and say how to run them.
pub fn moto_url() -> String {
    std::env::var("SAYPRO_MOTO_URL").unwrap_or_else(|_| {
        panic!("SAYPRO_MOTO_URL is not set: run the tests with `make test` (infra/test.sh starts moto server)")
    })
}

pub async fn dynamo_client() -> Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(moto_url())
        .region(aws_config::Region::new("eu-west-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "tests"))
        .load()
        .await;
    Client::new(&config)
}

/// A fresh table on moto with a unique name, so test binaries and cases never share state.
pub async fn moto_table() -> Arc<DynamoTable> {
    let client = dynamo_client().await;
    let name = format!("saypro-test-{}", ulid::Ulid::new().to_string().to_lowercase());
    DynamoTable::create_table(&client, &name).await.expect("create table on moto");
    Arc::new(DynamoTable::new(client, name))
}
