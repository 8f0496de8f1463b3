//! Backups restored for real: the dev server's data folder backed up while it takes
//! writes (the copy holds every write acknowledged before the backup began), and a
//! DynamoDB table restored on moto, point in time and from an on-demand backup, each
//! checked the same way (items per kind, conversations read back through the Table
//! port).

use std::sync::Arc;

use axum::http::StatusCode;
use common::store::keys::message_key;
use common::store::table::Table;
use common::store::table::dynamo::DynamoTable;
use common::store::table::embedded::EmbeddedTable;
use serde_json::json;
use tests::TestApp;

fn scratch(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("saypro-{name}-{}", ulid::Ulid::new()))
}

/// A support conversation and `replies` admin replies (admins have no rate limit).
async fn conversation_with_replies(app: &TestApp, replies: usize) -> (String, Vec<String>) {
    let user = app.token("thandi", &[]);
    let sam = app.token("sam", &["agent", "team-support"]);
    let id = app.support(&user, "general", "How do I renew my ad?").await;
    let mut ids = Vec::new();
    for i in 0..replies {
        let (code, reply) = app
            .post(
                &format!("/v1/admin/conversations/{id}/replies"),
                &sam,
                json!({ "body": format!("Answer number {i}") }),
            )
            .await;
        assert_eq!(code, StatusCode::CREATED, "{reply}");
        ids.push(reply["id"].as_str().unwrap().to_string());
    }
    (id, ids)
}

#[tokio::test]
async fn a_data_folder_backed_up_while_it_takes_writes_holds_every_write_acknowledged_before() {
    let (data, copy, restored) = (scratch("data"), scratch("backup"), scratch("restored"));
    let app = TestApp::on(Arc::new(EmbeddedTable::open(&data).unwrap()));
    let (id, mut acknowledged) = conversation_with_replies(&app, 20).await;
    let sam = app.token("sam", &["agent", "team-support"]);
    // The backup begins now, in another thread, while replies keep coming.
    let before = acknowledged.clone();
    let (from, to) = (data.clone(), copy.clone());
    let backup = tokio::task::spawn_blocking(move || local::backup::backup(&from, &to));
    for i in 0..20 {
        let (code, reply) = app
            .post(
                &format!("/v1/admin/conversations/{id}/replies"),
                &sam,
                json!({ "body": format!("Later answer {i}") }),
            )
            .await;
        assert_eq!(code, StatusCode::CREATED, "{reply}");
        acknowledged.push(reply["id"].as_str().unwrap().to_string());
    }
    backup.await.unwrap().unwrap();

    let checked = local::backup::restore(&copy, &restored).await.unwrap();
    assert!(checked.kinds["CONV"] > 20, "{checked:?}");
    assert_eq!(checked.sampled.len(), 1, "{checked:?}");
    assert!(checked.sampled[0].messages >= 21, "{checked:?}");
    let table = EmbeddedTable::open(&restored).unwrap();
    for message in &before {
        assert!(
            table
                .get(&message_key(&id, message), true)
                .await
                .unwrap()
                .is_some(),
            "{message}, acknowledged before the backup began, is in it"
        );
    }
    assert!(
        local::backup::restore(&copy, &restored).await.is_err(),
        "a restore never mixes with a folder in use"
    );
    for folder in [data, copy, restored] {
        let _ = std::fs::remove_dir_all(folder);
    }
}

#[tokio::test]
async fn a_table_on_moto_restored_to_a_point_in_time_and_from_a_backup_reads_back_the_same() {
    let client = tests::dynamo_client().await;
    let name = format!(
        "saypro-test-{}",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    DynamoTable::create_table(&client, &name).await.unwrap();
    let app = TestApp::on(Arc::new(DynamoTable::new(client.clone(), &name)));
    conversation_with_replies(&app, 5).await;
    let source = local::backup::check_table(&client, &name).await.unwrap();
    assert_eq!(source.sampled[0].messages, 6, "{source:?}");

    // Point-in-time recovery into a new table (moto copies the table as it is now,
    // whatever the time asked: the time travel is DynamoDB's own).
    let target = format!("{name}-restored");
    let restored = local::backup::restore_table(&client, &name, &target, None)
        .await
        .unwrap();
    assert_eq!(restored.kinds, source.kinds);
    assert_eq!(restored.sampled[0].messages, 6);

    // An on-demand backup (what the AWS Backup plan takes daily), restored and checked.
    let backup = client
        .create_backup()
        .table_name(&name)
        .backup_name("daily")
        .send()
        .await
        .unwrap();
    let arn = backup.backup_details().unwrap().backup_arn();
    let from_backup = format!("{name}-from-backup");
    client
        .restore_table_from_backup()
        .backup_arn(arn)
        .target_table_name(&from_backup)
        .send()
        .await
        .unwrap();
    let checked = local::backup::check_table(&client, &from_backup)
        .await
        .unwrap();
    assert_eq!(checked.kinds, source.kinds);
    assert_eq!(checked.sampled[0].messages, 6);
}
