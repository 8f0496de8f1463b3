//! One SLA check: its cost with 100 and 10,000 open conversations.

use std::sync::Arc;
use std::time::Instant;

use anyhow::bail;
use common::domain::clock::{Clock, ManualClock, SystemClock};
use common::store::table::Table;
use common::store::table::embedded::EmbeddedTable;
use serde_json::json;

use crate::support::*;

/// What one SLA check costs with many conversations open and a few due: it reads the
/// sparse due index, so its cost should follow the due ones, not the open ones.
pub(crate) async fn sla_check(secret: &str) -> anyhow::Result<()> {
    println!("sla check, in process (in-memory table): cost of one check");
    println!(
        "{:>12} {:>6} {:>11} {:>8} {:>8} {:>10}",
        "open", "due", "round trips", "RCU", "WCU", "ms"
    );
    for (open, due) in [(100, 10), (10_000, 10), (10_000, 0)] {
        let table = Arc::new(EmbeddedTable::in_memory());
        // Four hours ago (tokens last two hours, so the clock only moves forward to now).
        let start = SystemClock.now() - chrono::Duration::hours(4);
        let clock = Arc::new(ManualClock::new(start));
        let system = bench_system(table.clone(), clock.clone(), secret).await?;
        let router = system.router();
        let user = token(secret, "bench-user", &[]);
        let create = |category: &str| {
            let body = json!({"type": "support", "category": category, "subject": "Help", "body": "Please help"});
            request("POST", "/v1/conversations", &user, Some(&body))
        };
        // Urgent ones now: four hours on, they are due. General ones then: not yet.
        for _ in 0..due {
            call(&router, create("payment")).await?;
        }
        clock.advance(chrono::Duration::hours(4));
        for _ in due..open {
            call(&router, create("general")).await?;
        }
        let at = start + chrono::Duration::hours(4) + chrono::Duration::minutes(1);
        let before = table.metrics().snapshot();
        let started = Instant::now();
        let outcome = system.app.sla_check(at).await?;
        let elapsed = started.elapsed();
        let used = table.metrics().snapshot() - before;
        if outcome.escalated_to_senior != due {
            bail!("expected {due} escalations, got {outcome:?}");
        }
        println!(
            "{:>12} {:>6} {:>11} {:>8.1} {:>8} {:>10.2}",
            open,
            due,
            used.round_trips,
            used.read_units,
            used.write_units,
            elapsed.as_secs_f64() * 1000.0
        );
    }
    println!();
    Ok(())
}
