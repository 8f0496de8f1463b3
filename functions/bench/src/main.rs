//! `bench` (`make bench`): what each operation costs and how fast the system serves.
//!
//! 1. Per operation, in process: the router called with `oneshot` on the in-memory
//!    table (no network): DynamoDB round trips and capacity units per call, and the
//!    handler's own time, beside a bare axum handler doing the same JWT check and JSON
//!    parse (the floor).
//! 2. The SLA check: capacity of one check with 100 and 10,000 open conversations.
//! 3. Notify: what delivering a new message costs.
//! 4. A broadcast's fan-out: cost per recipient, steps, and recipients per second.
//! 5. Group commit: concurrent sends on the durable table, and how many disk syncs
//!    they needed.
//! 6. The dev server as a separate process: requests per second, latency percentiles
//!    and peak memory for sending messages with N concurrent clients, durable and in
//!    memory.
//! 7. Reports: items read for a month's report at 1,000 and 100,000 messages, and the
//!    metered cost of 10,000 conversations of 6 messages.
//! 8. Real-time push: latency from a POST's answer to the event at 1, 100 and 1,000
//!    sockets, the fan-out's cost, and memory with the sockets open.
//! 9. Search: what indexing a message costs beside its own writes, and queries at
//!    10,000, 100,000 and 1,000,000 indexed messages beside a brute-force scan.
//! 10. Cold starts: each function's size and start on a stand-in Runtime API, beside a
//!     hello-world lambda_http binary (the floor).

mod broadcast;
mod cold_start;
mod group_commit;
mod notify;
mod operations;
mod push;
mod reports;
mod search;
mod server;
mod sla;
mod support;

use clap::Parser;

#[derive(clap::Parser)]
#[command(
    name = "bench",
    about = "SayPro messaging: round trips, capacity units, handler time and throughput"
)]
pub struct Options {
    /// Calls per operation for the in-process figures.
    #[arg(long, default_value_t = 2000)]
    pub iterations: usize,
    /// Concurrent clients for the group-commit and server figures.
    #[arg(long, default_value_t = 16)]
    pub clients: usize,
    /// Messages each client sends to the server.
    #[arg(long, default_value_t = 300)]
    pub messages: usize,
    /// The secret the bench's tokens are signed with (the dev server it starts uses it).
    #[arg(long, env = "SAYPRO_JWT_SECRET", default_value = local::DEFAULT_JWT_SECRET, hide_default_value = true)]
    pub secret: String,
    /// Run one section only: operations, sla, notify, broadcast, reports, group-commit,
    /// server, push, search or cold-start.
    #[arg(long)]
    pub only: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    let secret = options.secret.as_str();
    if cfg!(debug_assertions) {
        println!("note: a debug build; run `make bench` (release) for figures worth quoting\n");
    }
    let run = |section: &str| options.only.as_deref().is_none_or(|only| only == section);
    if run("operations") {
        operations::per_operation(&options, secret).await?;
    }
    if run("sla") {
        sla::sla_check(secret).await?;
    }
    if run("notify") {
        notify::notifications(&options, secret).await?;
    }
    if run("broadcast") {
        broadcast::broadcast(secret).await?;
    }
    if run("reports") {
        reports::reports(secret).await?;
    }
    if run("push") {
        push::push(secret).await?;
    }
    if run("search") {
        search::search(secret).await?;
    }
    if run("cold-start") {
        cold_start::cold_starts().await?;
    }
    if run("group-commit") {
        group_commit::group_commit(&options, secret).await?;
    }
    if run("server") {
        for durable in [false, true] {
            server::server(&options, secret, durable).await?;
        }
    }
    Ok(())
}
