//! Reports: items read for a month's report at 1,000 and 100,000 messages, and the
//! metered cost of 10,000 conversations.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use common::domain::clock::{Clock, ManualClock};
use common::domain::identity::Claims;
use common::domain::preferences::DEFAULT_EMAIL_DELAY_MINUTES;
use common::reporting::Reports;
use common::store::table::Table;
use common::store::table::embedded::EmbeddedTable;
use serde_json::json;

use crate::support::*;

/// One month of support traffic through the real pipeline: `conversations` of six
/// messages (three questions, three answers, the last resolving), spread over October
/// 2026, each request metered as on Lambda and the stream run in batches of 25 (one
/// notify invocation each). Returns the system, for the reports.
pub(crate) async fn month_of_traffic(
    secret: &str,
    conversations: usize,
    reading: Reading,
) -> anyhow::Result<(local::Local, Arc<EmbeddedTable>, Arc<ManualClock>)> {
    let table = Arc::new(EmbeddedTable::in_memory());
    let mut feed = table.subscribe();
    let october = chrono::DateTime::parse_from_rfc3339("2026-10-01T06:00:00Z")?.to_utc();
    let clock = Arc::new(ManualClock::new(october));
    let delay = match reading {
        Reading::EmailAtOnce => 0,
        Reading::InTheApp { .. } => DEFAULT_EMAIL_DELAY_MINUTES,
    };
    let system = bench_system(table.clone(), clock.clone(), secret)
        .await?
        .with_email_delay(delay);
    let router = system.metered_router();
    // Tokens live a day at most: each conversation's people get theirs when it starts.
    let month_token = |sub: &str, groups: &[&str], issued| {
        let claims = Claims {
            sub: sub.into(),
            email: Some(format!("{sub}@example.co.za")),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            ..Claims::default()
        };
        local::mint_token(claims, secret, issued, 12)
    };
    const AGENT_TEAMS: &[&str] = &[
        "agent",
        "team-support",
        "team-billing",
        "team-technical",
        "team-sales",
    ];
    let spacing = chrono::Duration::seconds(30 * 24 * 3600 / conversations.max(1) as i64);
    let steps = [0, 4, 30, 41, 180, 200].map(chrono::Duration::minutes);
    let meter = system.meter.clone();
    let mut pending = Vec::new();
    for i in 0..conversations {
        let start = october + spacing * i as i32;
        let user = month_token(&format!("bench-user-{}", i % 500), &[], start);
        let agent = &month_token(&format!("bench-agent-{}", i % 8), AGENT_TEAMS, start);
        clock.set(start);
        let category = ["general", "payment", "technical", "complaint"][i % 4];
        let question = json!({"type": "support", "category": category, "subject": "My ad", "body": "How do I renew my ad?"});
        let created = call(
            &router,
            request("POST", "/v1/conversations", &user, Some(&question)),
        )
        .await?;
        let id = created["conversation"]["id"]
            .as_str()
            .context("id")?
            .to_string();
        // Who reads in the app, a minute after each message (within the delay): agents
        // always (the console is open while they work), this share of users (the rest get
        // the replies by email).
        let user_reads = match reading {
            Reading::EmailAtOnce => false,
            Reading::InTheApp { users_percent } => i % 100 < users_percent,
        };
        let mut last = created["message"]["id"]
            .as_str()
            .context("message id")?
            .to_string();
        for (step, at) in steps.iter().enumerate() {
            // Even steps are the user's messages, odd ones the agent's answers.
            let from_user = step % 2 == 0;
            if step > 0 {
                clock.set(start + *at);
                last = if from_user {
                    let more = json!({"body": "Thanks, and what does it cost?"});
                    let sent = post_message(&router, &id, &user, &more).await?;
                    sent["id"].as_str().context("message id")?.to_string()
                } else {
                    let status = if step == 5 { "resolved" } else { "pending" };
                    let reply = json!({"body": "Open My Ads and choose Renew.", "status": status});
                    let path = format!("/v1/admin/conversations/{id}/replies");
                    let answered =
                        call(&router, request("POST", &path, agent, Some(&reply))).await?;
                    answered["id"].as_str().context("reply id")?.to_string()
                };
            }
            let (reader, path) = if from_user {
                (agent, format!("/v1/admin/conversations/{id}/read"))
            } else {
                (&user, format!("/v1/conversations/{id}/read"))
            };
            if reading != Reading::EmailAtOnce && (from_user || user_reads) {
                clock.set(start + *at + chrono::Duration::minutes(1));
                let read = json!({"message_id": last});
                call(&router, request("POST", &path, reader, Some(&read))).await?;
            }
        }
        pending.extend(
            std::iter::from_fn(|| feed.try_recv().ok()).filter(common::notifications::hears),
        );
        while pending.len() >= 25 {
            let batch: Vec<_> = pending.drain(..25).collect();
            let failed = meter
                .invocation(
                    table.as_ref(),
                    clock.as_ref(),
                    false,
                    system.notifier.process(&batch),
                )
                .await;
            if !failed.is_empty() {
                bail!("{} records failed", failed.len());
            }
        }
    }
    pending
        .extend(std::iter::from_fn(|| feed.try_recv().ok()).filter(common::notifications::hears));
    for batch in pending.chunks(25) {
        let failed = meter
            .invocation(
                table.as_ref(),
                clock.as_ref(),
                false,
                system.notifier.process(batch),
            )
            .await;
        if !failed.is_empty() {
            bail!("{} records failed", failed.len());
        }
    }
    // The emails that waited go if still unread, as notify's schedule sends them (100 a
    // run), within the month they belong to: reports count days in South African time,
    // so 23:59 UTC on the 31st would already be November's.
    clock.set(chrono::DateTime::parse_from_rfc3339("2026-10-31T12:00:00Z")?.to_utc());
    loop {
        let due = meter
            .invocation(
                table.as_ref(),
                clock.as_ref(),
                false,
                system.notifier.send_due_emails(clock.now()),
            )
            .await?;
        if due.sent + due.read == 0 {
            break;
        }
    }
    clock.set(chrono::DateTime::parse_from_rfc3339("2026-11-01T04:00:00Z")?.to_utc());
    Ok((system, table, clock))
}

/// How the month's people read what they are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reading {
    /// Every message emailed at once (no delay): the month's upper bound.
    EmailAtOnce,
    /// Emails wait 5 minutes; agents read every message they answer in the console, and
    /// this share of users read the replies in the app within the delay.
    InTheApp { users_percent: usize },
}

/// Reports: what building a month's report reads at 1,000 and at 100,000 messages (it
/// reads the daily stats, not the messages), and the metered cost of 10,000
/// conversations of 6 messages, priced by the default price table.
pub(crate) async fn reports(secret: &str) -> anyhow::Result<()> {
    let october = chrono::NaiveDate::from_ymd_opt(2026, 10, 1).context("date")?;
    println!(
        "reports, in process (a month of support conversations of 6 messages, through the API and the stream):"
    );
    for conversations in [167, 16_667] {
        let started = Instant::now();
        let (system, table, _) =
            month_of_traffic(secret, conversations, Reading::EmailAtOnce).await?;
        let generated = started.elapsed();
        let before = table.metrics().snapshot();
        let began = Instant::now();
        let built = Reports(&system.app).build_report(october).await?;
        let took = began.elapsed();
        let used = table.metrics().snapshot() - before;
        println!(
            "  {:>7} messages ({} conversations, generated in {:.0} s): the report read {} items in {} round trips, {:.1} RCU, {:.1} ms; FRT median {:?} min",
            built.report.volumes.messages,
            conversations,
            generated.as_secs_f64(),
            built.items_read,
            used.round_trips,
            used.read_units,
            took.as_secs_f64() * 1e3,
            built.report.first_response.business.median_minutes,
        );
    }
    for reading in [
        Reading::EmailAtOnce,
        Reading::InTheApp { users_percent: 60 },
    ] {
        month_cost(secret, reading).await?;
    }
    println!();
    Ok(())
}

/// The metered cost of 10,000 conversations × 6 messages, read as `reading` says.
async fn month_cost(secret: &str, reading: Reading) -> anyhow::Result<()> {
    let (system, table, clock) = month_of_traffic(secret, 10_000, reading).await?;
    system.meter.flush(table.as_ref(), clock.as_ref()).await;
    let finance = caller("bench-finance", &["finance"])?;
    let cost = Reports(&system.app)
        .cost_report(&finance, "2026-10")
        .await?;
    let usage = &cost.usage;
    let by = &cost.by_service;
    println!("  {reading:?}:");
    println!(
        "  metered cost of 10,000 conversations × 6 messages ({} API requests, {} invocations, {:.0} RRU, {} WRU, {:.1} GB-s at 128 MB, {} emails):",
        usage.api_requests,
        usage.invocations,
        usage.read_units,
        usage.write_units,
        usage.gb_seconds,
        usage.emails
    );
    println!(
        "    {} {:.4} total = DynamoDB reads {:.4} + writes {:.4}, Lambda requests {:.4} + compute {:.4}, API {:.4}, email {:.4}; {:.6} per conversation",
        cost.prices.currency,
        by.total,
        by.dynamodb_reads,
        by.dynamodb_writes,
        by.lambda_requests,
        by.lambda_compute,
        by.api_requests,
        by.email,
        cost.per_conversation.unwrap_or_default()
    );
    println!("    prices: {}", serde_json::to_string(&cost.prices)?);
    println!(
        "    (Lambda compute is this process's handler time billed at 128 MB: an estimate of Lambda's, not a measurement of it.)"
    );
    Ok(())
}
