//! Group commit: concurrent sends on the durable table, and the disk syncs they needed.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use common::domain::clock::SystemClock;
use common::store::table::embedded::EmbeddedTable;
use serde_json::json;

use crate::Options;
use crate::support::*;

pub(crate) async fn group_commit(options: &Options, secret: &str) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("saypro-bench-{}", std::process::id()));
    let table = Arc::new(EmbeddedTable::open(&dir)?);
    let router = bench_system(table.clone(), Arc::new(SystemClock), secret)
        .await?
        .router();
    let user = token(secret, "bench-user", &[]);
    let support =
        json!({"type": "support", "category": "general", "subject": "s", "body": "first"});
    let message = json!({"body": "Another message, acknowledged only once it is on disk."});
    let mut ids = Vec::new();
    for _ in 0..options.clients {
        let created = call(
            &router,
            request("POST", "/v1/conversations", &user, Some(&support)),
        )
        .await?;
        ids.push(
            created["conversation"]["id"]
                .as_str()
                .context("id")?
                .to_string(),
        );
    }
    let syncs_before = table.journal_syncs();
    let started = Instant::now();
    let per_client = options.messages;
    let tasks: Vec<_> = ids
        .into_iter()
        .map(|id| {
            let (router, user, message) = (router.clone(), user.clone(), message.clone());
            tokio::spawn(async move {
                for _ in 0..per_client {
                    post_message(&router, &id, &user, &message).await?;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let elapsed = started.elapsed();
    let writes = options.clients * per_client;
    let syncs = table.journal_syncs() - syncs_before;
    println!(
        "group commit: {} concurrent senders on the durable table, in process",
        options.clients
    );
    println!(
        "  {writes} sends acknowledged after their disk sync: {syncs} syncs ({:.1} sends per sync), {:.0} sends/s",
        writes as f64 / syncs.max(1) as f64,
        writes as f64 / elapsed.as_secs_f64()
    );
    println!();
    drop(router);
    drop(table);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
