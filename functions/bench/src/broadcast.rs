//! A broadcast's fan-out: cost per recipient, steps, and recipients per second.

use std::sync::Arc;
use std::time::Instant;

use anyhow::bail;
use common::domain::clock::SystemClock;
use common::store::table::Table;
use common::store::table::embedded::EmbeddedTable;

use crate::support::caller;

/// A broadcast to every user of a registry of 1,000 and 10,000, stepped to the end as
/// the stream would drive it (notify's cost per recipient is the notify figure).
pub(crate) async fn broadcast(secret: &str) -> anyhow::Result<()> {
    use common::messaging::{BroadcastRequest, UserRequest};
    println!("broadcast fan-out, in process (in-memory table), steps of 100");
    println!(
        "{:>8} {:>6} {:>11} {:>9} {:>9} {:>13} {:>13}",
        "users", "steps", "round trips", "RCU", "WCU", "WCU/recipient", "recipients/s"
    );
    for users in [1_000, 10_000] {
        let table = Arc::new(EmbeddedTable::in_memory());
        let system = local::Local::new(
            table.clone(),
            Arc::new(SystemClock),
            secret,
            None,
            local::DEFAULT_BASE_URL,
        );
        let app = &system.app;
        let website = caller("website", &["service"])?;
        for i in 0..users {
            let request = UserRequest {
                name: Some(format!("User {i}")),
                email: Some(format!("user{i}@example.co.za")),
                phone: None,
                tier: Some("basic".into()),
                location: None,
            };
            app.put_user(&website, &format!("user-{i}"), request)
                .await?;
        }
        let request = BroadcastRequest {
            subject: "Messaging is here".into(),
            body: "You can now message sellers and SayPro Support.".into(),
            segment: common::domain::broadcast::Segment::All,
        };
        let created = app
            .create_broadcast(&caller("max", &["manager"])?, request, None)
            .await?;
        let view = created.into_new()?;
        let before = table.metrics().snapshot();
        let started = Instant::now();
        let mut steps = 0;
        let done = loop {
            steps += 1;
            let broadcast = app.broadcast_step(&view.id).await?;
            if !broadcast.is_active() {
                break broadcast;
            }
        };
        let elapsed = started.elapsed();
        let used = table.metrics().snapshot() - before;
        if done.sent != users as u32 {
            bail!("expected {users} recipients, reached {}", done.sent);
        }
        println!(
            "{:>8} {:>6} {:>11} {:>9.1} {:>9} {:>13.1} {:>13.0}",
            users,
            steps,
            used.round_trips,
            used.read_units,
            used.write_units,
            used.write_units as f64 / users as f64,
            users as f64 / elapsed.as_secs_f64()
        );
    }
    println!();
    Ok(())
}
