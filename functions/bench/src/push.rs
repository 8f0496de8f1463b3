//! Real-time push: from a POST's response to the event at the receiving sockets, with
//! 1, 100 and 1,000 admins of the team connected to the dev server (in this process, in
//! memory; notify driven by the change feed, as `local serve` runs it), what the fan-out
//! costs per message, and the process's memory with the sockets open.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use common::domain::clock::SystemClock;
use common::store::table::Table;
use common::store::table::embedded::EmbeddedTable;
use futures_util::StreamExt;
use serde_json::json;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::support::*;

/// The process's resident memory now, in MB.
fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))?
                .to_string();
            line.split_whitespace().nth(1)?.parse::<f64>().ok()
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

pub(crate) async fn push(secret: &str) -> anyhow::Result<()> {
    println!(
        "real-time push on the dev server: a user's new support conversation, pushed to every \
         connected admin of its team (p50/p99: POST answered → the last socket has it)"
    );
    println!(
        "{:>8} {:>9} {:>10} {:>10} {:>11} {:>12} {:>10} {:>9}",
        "sockets",
        "messages",
        "p50 ms",
        "p99 ms",
        "pushes/msg",
        "round trips",
        "read RCU",
        "RSS MB"
    );
    for sockets in [1usize, 100, 1_000] {
        let table = Arc::new(EmbeddedTable::in_memory());
        let feed = table.subscribe();
        let system = bench_system(table.clone(), Arc::new(SystemClock), secret).await?;
        system.spawn_stream_consumers(feed);
        let router = system.router();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let served = system.router();
        tokio::spawn(async move { axum::serve(listener, served).await });

        let (arrived, mut arrivals) = mpsc::unbounded_channel::<Instant>();
        for i in 0..sockets {
            let admin = token(
                secret,
                &format!("bench-admin-{i}"),
                &["agent", "team-support"],
            );
            let ticket = call(
                &router,
                request("POST", "/v1/realtime/tickets", &admin, Some(&json!({}))),
            )
            .await?;
            let url = format!(
                "ws://{addr}/v1/realtime?ticket={}",
                ticket["ticket"].as_str().context("ticket")?
            );
            // A browser-sized read buffer: tungstenite zeroes its 128 KiB default on every
            // read, which would be the clients' cost, not the server's.
            let config = WebSocketConfig::default().read_buffer_size(4 * 1024);
            let (socket, _) =
                tokio_tungstenite::connect_async_with_config(url, Some(config), false).await?;
            let arrived = arrived.clone();
            tokio::spawn(async move {
                let (_, mut frames) = socket.split();
                while let Some(Ok(frame)) = frames.next().await {
                    if let Frame::Text(text) = frame
                        && text.contains("\"message.created\"")
                    {
                        let _ = arrived.send(Instant::now());
                    }
                }
            });
        }
        let memory = rss_mb();

        let user = token(secret, "bench-user", &[]);
        let rounds = 200;
        let mut latencies = Vec::with_capacity(rounds);
        let before = table.metrics().snapshot();
        for round in 0..rounds {
            let body = json!({"type": "support", "category": "general", "subject": "Renewing my ad", "body": format!("How do I renew? ({round})")});
            call(
                &router,
                request("POST", "/v1/conversations", &user, Some(&body)),
            )
            .await?;
            let answered = Instant::now();
            let mut last = answered;
            for _ in 0..sockets {
                let at = tokio::time::timeout(Duration::from_secs(30), arrivals.recv())
                    .await
                    .context("a socket waited 30 s for its event")?
                    .context("the sockets closed")?;
                last = last.max(at);
            }
            latencies.push(last - answered);
        }
        // Let notify finish the last record's other work before reading the meters.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let used = table.metrics().snapshot();
        latencies.sort();
        let per = |n: f64| n / rounds as f64;
        println!(
            "{:>8} {:>9} {:>10.2} {:>10.2} {:>11} {:>12.1} {:>10.1} {:>9.0}",
            sockets,
            rounds,
            percentile(&latencies, 0.50).as_secs_f64() * 1e3,
            percentile(&latencies, 0.99).as_secs_f64() * 1e3,
            sockets,
            per((used.round_trips - before.round_trips) as f64),
            per(used.read_units - before.read_units),
            memory,
        );
    }
    println!(
        "  round trips and read RCU: per message, everything the POST and notify did (the \
         fan-out's share is one query of the team's connection rows, 1 RCU per 4 KB)\n"
    );
    Ok(())
}
