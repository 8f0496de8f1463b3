//! `local bench`: what each operation costs and how fast the system serves.
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

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{Method, Request, StatusCode, header};
use axum::response::IntoResponse;
use common::AppState;
use common::domain::clock::{Clock, ManualClock, SystemClock};
use common::domain::identity::{Access, Caller, Claims};
use common::http::{Authenticated, JsonBody, Routes};
use common::messaging::{NewMessage, Replacement};
use common::reporting::Reports;
use common::store::table::embedded::EmbeddedTable;
use common::store::table::{MetricsSnapshot, Table};
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};
use tower::ServiceExt;

#[derive(clap::Args)]
pub struct Options {
    /// Calls per operation for the in-process figures.
    #[arg(long, default_value_t = 2000)]
    iterations: usize,
    /// Concurrent clients for the group-commit and server figures.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Messages each client sends to the server.
    #[arg(long, default_value_t = 300)]
    messages: usize,
    /// Run one section only: operations, sla, notify, broadcast, reports, group-commit
    /// or server.
    #[arg(long)]
    only: Option<String>,
}

pub async fn run(options: Options, secret: &str) -> anyhow::Result<()> {
    if cfg!(debug_assertions) {
        println!("note: a debug build; run `make bench` (release) for figures worth quoting\n");
    }
    let run = |section: &str| options.only.as_deref().is_none_or(|only| only == section);
    if run("operations") {
        per_operation(&options, secret).await?;
    }
    if run("sla") {
        sla_check(secret).await?;
    }
    if run("notify") {
        notifications(&options, secret).await?;
    }
    if run("broadcast") {
        broadcast(secret).await?;
    }
    if run("reports") {
        reports(secret).await?;
    }
    if run("group-commit") {
        group_commit(&options, secret).await?;
    }
    if run("server") {
        for durable in [false, true] {
            server(&options, secret, durable).await?;
        }
    }
    Ok(())
}

fn token(secret: &str, sub: &str, groups: &[&str]) -> String {
    let claims = Claims {
        sub: sub.into(),
        email: Some(format!("{sub}@example.co.za")),
        groups: groups.iter().map(|g| g.to_string()).collect(),
        ..Claims::default()
    };
    crate::mint_token(claims, secret, 2)
}

fn request(method: &str, uri: &str, token: &str, body: Option<&Value>) -> Request<Body> {
    let builder = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json");
    builder
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .unwrap_or_default()
}

async fn call(router: &axum::Router, request: Request<Body>) -> anyhow::Result<Value> {
    let response = router.clone().oneshot(request).await?;
    let status = response.status();
    let bytes = response.into_body().collect().await?.to_bytes();
    if !status.is_success() {
        bail!("{status}: {}", String::from_utf8_lossy(&bytes));
    }
    Ok(if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)?
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn micros(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e6)
}

/// The floor: the same token check and JSON parse as a real handler, and nothing else.
async fn bare(
    State(_): State<AppState>,
    Authenticated(_caller): Authenticated,
    JsonBody(message): JsonBody<NewMessage>,
) -> impl IntoResponse {
    (
        StatusCode::CREATED,
        axum::Json(json!({ "body": message.body })),
    )
}

/// A safety policy whose rate and repeat limits one bench sender cannot reach: the bench
/// measures the store, and one user writes thousands of the same messages (the counters
/// are still read, written and paid for).
fn unlimited_policy() -> common::domain::safety::SafetyPolicy {
    let mut policy = common::domain::safety::SafetyPolicy::default();
    let limits = &mut policy.rate_limits;
    for limit in [
        &mut limits.per_minute,
        &mut limits.per_hour,
        &mut limits.new_account_per_minute,
        &mut limits.new_account_per_hour,
        &mut limits.listing_conversations_per_hour,
    ] {
        *limit = u32::MAX / 2;
    }
    // The same texts again and again: a spammer to the filter, a benchmark here (the
    // repeats are still read and counted).
    policy.duplicates.max_conversations = u32::MAX / 2;
    policy
}

/// The system on `table`, with rate limits out of the bench's way.
async fn bench_system(
    table: Arc<EmbeddedTable>,
    clock: Arc<dyn Clock>,
    secret: &str,
) -> anyhow::Result<crate::Local> {
    let system = crate::Local::new(table, clock, secret, None, crate::DEFAULT_BASE_URL);
    let moderator = Caller::new(Claims {
        sub: "bench-moderator".into(),
        groups: vec!["moderator".into()],
        ..Claims::default()
    });
    system
        .app
        .put_safety_policy(&moderator, Replacement::of(0, unlimited_policy()))
        .await?;
    Ok(system)
}

async fn per_operation(options: &Options, secret: &str) -> anyhow::Result<()> {
    let table = Arc::new(EmbeddedTable::in_memory());
    let system = bench_system(table.clone(), Arc::new(SystemClock), secret).await?;
    let (app, router) = (system.app.clone(), system.router());
    let floor = Routes::default()
        .on(Method::POST, "/bare", Access::SignedIn, bare)
        .into_router(app.clone());
    let (user, agent, website) = (
        token(secret, "bench-user", &[]),
        token(secret, "bench-agent", &["agent", "team-support"]),
        token(secret, "web", &["service"]),
    );
    let listing = json!({"title": "Bench bakkie", "seller_id": "bench-seller", "category": "vehicles", "location": "Pretoria", "status": "active"});
    call(
        &router,
        request("PUT", "/v1/listings/bench", &website, Some(&listing)),
    )
    .await?;
    let support = json!({"type": "support", "category": "general", "subject": "Renewing my ad", "body": "How do I renew my ad? It expires on Friday."});
    let created = call(
        &router,
        request("POST", "/v1/conversations", &user, Some(&support)),
    )
    .await?;
    let id = created["conversation"]["id"]
        .as_str()
        .context("conversation id")?
        .to_string();
    let message = json!({"body": "Any news on this? I would like to renew before the weekend."});
    let upload = json!({"filename": "ad.png", "content_type": "image/png", "size": PNG.len()});
    let ticket = call(
        &router,
        request("POST", "/v1/attachments", &user, Some(&upload)),
    )
    .await?;
    put_file(&router, &ticket["upload"], PNG).await?;
    let photo = ticket["id"].as_str().context("attachment id")?.to_string();
    let with_photo = json!({"body": "Here is the ad as it shows.", "attachments": [photo]});
    let photo_message = call(
        &router,
        request(
            "POST",
            &format!("/v1/conversations/{id}/messages"),
            &user,
            Some(&with_photo),
        ),
    )
    .await?;
    let download = format!(
        "/v1/conversations/{id}/messages/{}/attachments/{photo}",
        photo_message["id"].as_str().context("message id")?
    );
    let reply =
        json!({"body": "Open My Ads and choose Renew; it is free for 30 days.", "status": "open"});

    type MakeRequest<'a> = Box<dyn Fn() -> (axum::Router, Request<Body>) + 'a>;
    let operations: Vec<(&str, MakeRequest)> = vec![
        (
            "create conversation",
            Box::new(|| {
                (
                    router.clone(),
                    request("POST", "/v1/conversations", &user, Some(&support)),
                )
            }),
        ),
        (
            "send message",
            Box::new(|| {
                (
                    router.clone(),
                    request(
                        "POST",
                        &format!("/v1/conversations/{id}/messages"),
                        &user,
                        Some(&message),
                    ),
                )
            }),
        ),
        (
            "sign an upload",
            Box::new(|| {
                (
                    router.clone(),
                    request("POST", "/v1/attachments", &user, Some(&upload)),
                )
            }),
        ),
        (
            "send message with a photo",
            Box::new(|| {
                (
                    router.clone(),
                    request(
                        "POST",
                        &format!("/v1/conversations/{id}/messages"),
                        &user,
                        Some(&with_photo),
                    ),
                )
            }),
        ),
        (
            "sign a download",
            Box::new(|| (router.clone(), request("GET", &download, &user, None))),
        ),
        (
            "reply",
            Box::new(|| {
                (
                    router.clone(),
                    request(
                        "POST",
                        &format!("/v1/admin/conversations/{id}/replies"),
                        &agent,
                        Some(&reply),
                    ),
                )
            }),
        ),
        (
            "inbox page (20)",
            Box::new(|| {
                (
                    router.clone(),
                    request("GET", "/v1/conversations?limit=20", &user, None),
                )
            }),
        ),
        (
            "read conversation (20 msgs)",
            Box::new(|| {
                (
                    router.clone(),
                    request(
                        "GET",
                        &format!("/v1/conversations/{id}/messages?order=desc&limit=20"),
                        &user,
                        None,
                    ),
                )
            }),
        ),
        (
            "floor: bare JWT + JSON",
            Box::new(|| {
                (
                    floor.clone(),
                    request("POST", "/bare", &user, Some(&message)),
                )
            }),
        ),
    ];

    println!(
        "per operation, in process ({} calls each; router via oneshot on the in-memory table)",
        options.iterations
    );
    println!(
        "{:<30} {:>11} {:>8} {:>8} {:>10} {:>10} {:>10}",
        "operation", "round trips", "RCU", "WCU", "p50 µs", "p99 µs", "mean µs"
    );
    for (name, make) in operations {
        let (router, warm_up) = make();
        call(&router, warm_up).await?;
        let before: MetricsSnapshot = table.metrics().snapshot();
        let mut times = Vec::with_capacity(options.iterations);
        for _ in 0..options.iterations {
            let (router, request) = make();
            let started = Instant::now();
            call(&router, request).await?;
            times.push(started.elapsed());
        }
        let used = table.metrics().snapshot() - before;
        let n = options.iterations as f64;
        let mean = times.iter().sum::<Duration>() / options.iterations as u32;
        times.sort();
        println!(
            "{:<30} {:>11.1} {:>8.1} {:>8.1} {:>10} {:>10} {:>10}",
            name,
            used.round_trips as f64 / n,
            used.read_units / n,
            used.write_units as f64 / n,
            micros(percentile(&times, 0.5)),
            micros(percentile(&times, 0.99)),
            micros(mean)
        );
    }
    println!();
    Ok(())
}

/// A small PNG: its signature and header chunk.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";

/// PUTs a file to a signed upload, as the website would.
async fn put_file(router: &axum::Router, upload: &Value, bytes: &[u8]) -> anyhow::Result<()> {
    let url = upload["url"].as_str().context("upload url")?;
    let mut builder = Request::put(url.strip_prefix(crate::DEFAULT_BASE_URL).unwrap_or(url));
    for (name, value) in upload["headers"].as_object().context("upload headers")? {
        builder = builder.header(name.as_str(), value.as_str().unwrap_or_default());
    }
    let response = router
        .clone()
        .oneshot(builder.body(Body::from(bytes.to_vec()))?)
        .await?;
    anyhow::ensure!(
        response.status().is_success(),
        "upload answered {}",
        response.status()
    );
    Ok(())
}

/// What one SLA check costs with many conversations open and a few due: it reads the
/// sparse due index, so its cost should follow the due ones, not the open ones.
async fn sla_check(secret: &str) -> anyhow::Result<()> {
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

/// A broadcast to every user of a registry of 1,000 and 10,000, stepped to the end as
/// the stream would drive it (notify's cost per recipient is the notify figure).
async fn broadcast(secret: &str) -> anyhow::Result<()> {
    use common::messaging::{BroadcastRequest, UserRequest};
    println!("broadcast fan-out, in process (in-memory table), steps of 100");
    println!(
        "{:>8} {:>6} {:>11} {:>9} {:>9} {:>13} {:>13}",
        "users", "steps", "round trips", "RCU", "WCU", "WCU/recipient", "recipients/s"
    );
    let caller = |sub: &str, groups: &[&str]| {
        Caller::new(Claims {
            sub: sub.into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            ..Claims::default()
        })
    };
    for users in [1_000, 10_000] {
        let table = Arc::new(EmbeddedTable::in_memory());
        let system = crate::Local::new(
            table.clone(),
            Arc::new(SystemClock),
            secret,
            None,
            crate::DEFAULT_BASE_URL,
        );
        let app = &system.app;
        let website = caller("website", &["service"]);
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
            .create_broadcast(&caller("max", &["manager"]), request, None)
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

/// The notify path on the in-memory table: a user message to a support team of two
/// agents (in-app and email each) and an agent's reply to the user (in-app and email).
async fn notifications(options: &Options, secret: &str) -> anyhow::Result<()> {
    let table = Arc::new(EmbeddedTable::in_memory());
    let mut feed = table.subscribe();
    let system = bench_system(table.clone(), Arc::new(SystemClock), secret).await?;
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

async fn group_commit(options: &Options, secret: &str) -> anyhow::Result<()> {
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
                    call(
                        &router,
                        request(
                            "POST",
                            &format!("/v1/conversations/{id}/messages"),
                            &user,
                            Some(&message),
                        ),
                    )
                    .await?;
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

/// One client: one keep-alive HTTP/1.1 connection, requests one after another.
async fn client(
    addr: SocketAddr,
    token: String,
    id: String,
    count: usize,
) -> anyhow::Result<Vec<Duration>> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let body = Bytes::from(
        json!({"body": "Is the bakkie still available? I can view it on Saturday."}).to_string(),
    );
    let mut times = Vec::with_capacity(count);
    for _ in 0..count {
        let request = Request::post(format!("/v1/conversations/{id}/messages"))
            .header(header::HOST, addr.to_string())
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(body.clone()))?;
        let started = Instant::now();
        let response = sender.send_request(request).await?;
        let status = response.status();
        response.into_body().collect().await?;
        times.push(started.elapsed());
        if status != StatusCode::CREATED {
            bail!("send answered {status}");
        }
    }
    Ok(times)
}

async fn server(options: &Options, secret: &str, durable: bool) -> anyhow::Result<()> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let data =
        std::env::temp_dir().join(format!("saypro-bench-server-{}-{port}", std::process::id()));
    let mut command = tokio::process::Command::new(std::env::current_exe()?);
    command
        .args(["serve", "--addr", &addr.to_string()])
        .env("SAYPRO_JWT_SECRET", secret)
        .env("RUST_LOG", "warn");
    if durable {
        command.arg("--data").arg(&data);
    } else {
        command.arg("--memory");
    }
    let mut child = command
        .kill_on_drop(true)
        .spawn()
        .context("starting the dev server")?;
    let pid = child.id().context("server pid")?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        if Instant::now() > deadline {
            bail!("the dev server did not start");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let result = load(options, secret, addr, pid, durable).await;
    child.kill().await.ok();
    let _ = std::fs::remove_dir_all(&data);
    result
}

async fn load(
    options: &Options,
    secret: &str,
    addr: SocketAddr,
    pid: u32,
    durable: bool,
) -> anyhow::Result<()> {
    {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        let moderator = token(secret, "bench-moderator", &["moderator"]);
        let request = Request::put("/v1/admin/safety-policy")
            .header(header::HOST, addr.to_string())
            .header(header::AUTHORIZATION, format!("Bearer {moderator}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(serde_json::to_vec(
                &unlimited_policy(),
            )?)))?;
        let status = sender.send_request(request).await?.status();
        if !status.is_success() {
            bail!("lifting the rate limits answered {status}");
        }
    }
    // Each client writes in its own conversation, as real users do.
    let user = token(secret, "bench-user", &[]);
    let mut ids = Vec::new();
    for _ in 0..options.clients {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        let body =
            json!({"type": "support", "category": "general", "subject": "Bench", "body": "Hello"})
                .to_string();
        let request = Request::post("/v1/conversations")
            .header(header::HOST, addr.to_string())
            .header(header::AUTHORIZATION, format!("Bearer {user}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))?;
        let response = sender.send_request(request).await?;
        let bytes = response.into_body().collect().await?.to_bytes();
        let created: Value = serde_json::from_slice(&bytes)?;
        ids.push(
            created["conversation"]["id"]
                .as_str()
                .context("conversation id")?
                .to_string(),
        );
    }
    let started = Instant::now();
    let clients: Vec<_> = ids
        .into_iter()
        .map(|id| tokio::spawn(client(addr, user.clone(), id, options.messages)))
        .collect();
    let mut times = Vec::new();
    for c in clients {
        times.extend(c.await??);
    }
    let elapsed = started.elapsed();
    times.sort();
    let peak_kib = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("0").to_string())
        })
        .and_then(|kib| kib.parse::<u64>().ok());
    println!(
        "dev server, {} mode: {} clients × {} sends over HTTP/1.1 keep-alive",
        if durable { "durable" } else { "in-memory" },
        options.clients,
        options.messages
    );
    println!(
        "  {:.0} requests/s; latency p50 {} µs, p90 {} µs, p99 {} µs, max {} µs; server peak memory {}",
        times.len() as f64 / elapsed.as_secs_f64(),
        micros(percentile(&times, 0.5)),
        micros(percentile(&times, 0.9)),
        micros(percentile(&times, 0.99)),
        micros(percentile(&times, 1.0)),
        peak_kib.map_or("unknown".to_string(), |k| format!(
            "{:.1} MiB",
            k as f64 / 1024.0
        ))
    );
    println!();
    Ok(())
}

/// One month of support traffic through the real pipeline: `conversations` of six
/// messages (three questions, three answers, the last resolving), spread over October
/// 2026, each request metered as on Lambda and the stream run in batches of 25 (one
/// notify invocation each). Returns the system, for the reports.
async fn month_of_traffic(
    secret: &str,
    conversations: usize,
) -> anyhow::Result<(crate::Local, Arc<EmbeddedTable>, Arc<ManualClock>)> {
    let table = Arc::new(EmbeddedTable::in_memory());
    let mut feed = table.subscribe();
    let october = chrono::DateTime::parse_from_rfc3339("2026-10-01T06:00:00Z")?.to_utc();
    let clock = Arc::new(ManualClock::new(october));
    let system = bench_system(table.clone(), clock.clone(), secret).await?;
    let router = system.metered_router();
    let month_token = |sub: &str, groups: &[&str]| {
        let claims = Claims {
            sub: sub.into(),
            email: Some(format!("{sub}@example.co.za")),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            ..Claims::default()
        };
        crate::mint_token(claims, secret, 24 * 90)
    };
    let agents: Vec<String> = (0..8)
        .map(|i| {
            month_token(
                &format!("bench-agent-{i}"),
                &[
                    "agent",
                    "team-support",
                    "team-billing",
                    "team-technical",
                    "team-sales",
                ],
            )
        })
        .collect();
    let spacing = chrono::Duration::seconds(30 * 24 * 3600 / conversations.max(1) as i64);
    let steps = [0, 4, 30, 41, 180, 200].map(chrono::Duration::minutes);
    let meter = system.meter.clone();
    let mut pending = Vec::new();
    for i in 0..conversations {
        let start = october + spacing * i as i32;
        let user = month_token(&format!("bench-user-{}", i % 500), &[]);
        let agent = &agents[i % agents.len()];
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
        for (step, at) in steps.iter().enumerate().skip(1) {
            clock.set(start + *at);
            if step % 2 == 1 {
                let status = if step == 5 { "resolved" } else { "pending" };
                let reply = json!({"body": "Open My Ads and choose Renew.", "status": status});
                call(
                    &router,
                    request(
                        "POST",
                        &format!("/v1/admin/conversations/{id}/replies"),
                        agent,
                        Some(&reply),
                    ),
                )
                .await?;
            } else {
                let more = json!({"body": "Thanks, and what does it cost?"});
                call(
                    &router,
                    request(
                        "POST",
                        &format!("/v1/conversations/{id}/messages"),
                        &user,
                        Some(&more),
                    ),
                )
                .await?;
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
    clock.set(chrono::DateTime::parse_from_rfc3339("2026-11-01T04:00:00Z")?.to_utc());
    Ok((system, table, clock))
}

/// Reports: what building a month's report reads at 1,000 and at 100,000 messages (it
/// reads the daily stats, not the messages), and the metered cost of 10,000
/// conversations of 6 messages, priced by the default price table.
async fn reports(secret: &str) -> anyhow::Result<()> {
    let october = chrono::NaiveDate::from_ymd_opt(2026, 10, 1).context("date")?;
    println!(
        "reports, in process (a month of support conversations of 6 messages, through the API and the stream):"
    );
    for conversations in [167, 16_667] {
        let started = Instant::now();
        let (system, table, _) = month_of_traffic(secret, conversations).await?;
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
    let (system, table, clock) = month_of_traffic(secret, 10_000).await?;
    system.meter.flush(table.as_ref(), clock.as_ref()).await;
    let finance = Caller::new(Claims {
        sub: "bench-finance".into(),
        groups: vec!["finance".into()],
        ..Claims::default()
    });
    let cost = Reports(&system.app)
        .cost_report(&finance, "2026-10")
        .await?;
    let usage = &cost.usage;
    let by = &cost.by_service;
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
    println!();
    Ok(())
}
