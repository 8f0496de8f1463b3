//! Notify: what delivering a new message costs.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use common::domain::clock::SystemClock;
use common::store::table::Table;
use common::store::table::embedded::EmbeddedTable;
use serde_json::json;

use crate::Options;
use crate::support::*;

/// The notify path on the in-memory table: a user message to a support team of two
/// agents (in-app and email each) and an agent's reply to the user (in-app and email).
pub(crate) async fn notifications(options: &Options, secret: &str) -> anyhow::Result<()> {
    let table = Arc::new(EmbeddedTable::in_memory());
    let mut feed = table.subscribe();
    // Emails at once, as before delayed email: what a message costs when it is emailed.
    let system = bench_system(table.clone(), Arc::new(SystemClock), secret)
        .await?
        .with_email_delay(0);
    let router = system.router();
    for agent in ["bench-agent-1", "bench-agent-2"] {
        call(
            &router,
            request(
                "GET",
                "/v1/admin/conversations",
                &token(secret, agent, &["agent", "team-support"]),
                None,
            ),
        )
        .await?;
    }
    let (user, agent) = (
        token(secret, "bench-user", &[]),
        token(secret, "bench-agent-1", &["agent", "team-support"]),
    );
    let support = json!({"type": "support", "category": "general", "subject": "Renewing my ad", "body": "How do I renew?"});
    let reply = json!({"body": "Open My Ads and choose Renew.", "status": "open"});
    let conversations = options.iterations / 4;
    for _ in 0..conversations {
        let created = call(
            &router,
            request("POST", "/v1/conversations", &user, Some(&support)),
        )
        .await?;
        let id = created["conversation"]["id"].as_str().context("id")?;
        call(
            &router,
            request(
                "POST",
                &format!("/v1/admin/conversations/{id}/replies"),
                &agent,
                Some(&reply),
            ),
        )
        .await?;
    }
    let records: Vec<_> = std::iter::from_fn(|| feed.try_recv().ok()).collect();
    let messages = records
        .iter()
        .filter(|r| r.old.is_none() && r.key.sk.starts_with("MSG#"))
        .count();
    let before = table.metrics().snapshot();
    let started = Instant::now();
    for batch in records.chunks(25) {
        let failed = system.notifier.process(batch).await;
        if !failed.is_empty() {
            bail!("{} records failed", failed.len());
        }
    }
    let elapsed = started.elapsed();
    let used = table.metrics().snapshot() - before;
    // Every recipient gets one in-app notification and one email (in the outbox).
    let emails = system.outbox.sent().len();
    let delivered = emails * 2;
    let per = |x: f64| x / messages as f64;
    println!(
        "notify, in process: {messages} new messages ({} stream records, batches of 25)",
        records.len()
    );
    println!(
        "  {emails} emails; {:.0} messages/s, {:.0} notifications/s (in-app + email); per message: {:.1} round trips, {:.1} RCU, {:.1} WCU",
        messages as f64 / elapsed.as_secs_f64(),
        delivered as f64 / elapsed.as_secs_f64(),
        per(used.round_trips as f64),
        per(used.read_units),
        per(used.write_units as f64)
    );
    println!();
    Ok(())
}
