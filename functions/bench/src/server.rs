//! The dev server as a separate process: requests per second, latency and peak memory
//! for N concurrent senders, durable and in memory.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::body::Bytes;
use axum::http::{Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};

use crate::Options;
use crate::support::*;

/// One client: one keep-alive HTTP/1.1 connection, requests one after another.
pub(crate) async fn client(
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

pub(crate) async fn server(options: &Options, secret: &str, durable: bool) -> anyhow::Result<()> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let data =
        std::env::temp_dir().join(format!("saypro-bench-server-{}-{port}", std::process::id()));
    // The dev server's own binary, built beside this one (`make bench` builds both).
    let local = std::env::current_exe()?.with_file_name("local");
    anyhow::ensure!(
        local.exists(),
        "{} is missing: run `make bench` (it builds the dev server too)",
        local.display()
    );
    let mut command = tokio::process::Command::new(local);
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

pub(crate) async fn load(
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
                &json!({"version": 0, "policy": unlimited_policy()}),
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
