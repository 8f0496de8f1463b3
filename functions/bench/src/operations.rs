//! Per operation, in process: round trips, capacity units and handler time, beside the
//! floor (a bare handler doing the same JWT check and JSON parse).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use common::AppState;
use common::domain::clock::SystemClock;
use common::domain::identity::Access;
use common::http::{Authenticated, JsonBody, Routes};
use common::messaging::NewMessage;
use common::store::table::embedded::EmbeddedTable;
use common::store::table::{MetricsSnapshot, Table};
use serde_json::{Value, json};

use crate::Options;
use crate::support::*;

/// The floor: the same token check and JSON parse as a real handler, and nothing else.
/// The floor: a JWT check and a JSON parse, nothing else.
#[utoipa::path(post, path = "/bare", responses((status = 201, description = "Parsed")))]
pub(crate) async fn bare(
    State(_): State<AppState>,
    Authenticated(_caller): Authenticated,
    JsonBody(message): JsonBody<NewMessage>,
) -> impl IntoResponse {
    (
        StatusCode::CREATED,
        axum::Json(json!({ "body": message.body })),
    )
}

/// An operation measured: its name, the router serving it, and its request (method,
/// path, token, body).
type Operation<'a> = (
    &'a str,
    &'a axum::Router,
    &'a str,
    &'a str,
    &'a str,
    Option<&'a Value>,
);

pub(crate) async fn per_operation(options: &Options, secret: &str) -> anyhow::Result<()> {
    let table = Arc::new(EmbeddedTable::in_memory());
    let system = bench_system(table.clone(), Arc::new(SystemClock), secret).await?;
    let (app, router) = (system.app.clone(), system.router());
    let floor = Routes::default()
        .on(Access::SignedIn, common::route!(bare))
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
    let photo_message = post_message(&router, &id, &user, &with_photo).await?;
    let download = format!(
        "/v1/conversations/{id}/messages/{}/attachments/{photo}",
        photo_message["id"].as_str().context("message id")?
    );
    let reply =
        json!({"body": "Open My Ads and choose Renew; it is free for 30 days.", "status": "open"});

    // Each operation: its name, the router it is served by, and its request.
    let (messages, replies) = (
        format!("/v1/conversations/{id}/messages"),
        format!("/v1/admin/conversations/{id}/replies"),
    );
    let page = format!("/v1/conversations/{id}/messages?order=desc&limit=20");
    let operations: [Operation; 9] = [
        (
            "create conversation",
            &router,
            "POST",
            "/v1/conversations",
            &user,
            Some(&support),
        ),
        (
            "send message",
            &router,
            "POST",
            &messages,
            &user,
            Some(&message),
        ),
        (
            "sign an upload",
            &router,
            "POST",
            "/v1/attachments",
            &user,
            Some(&upload),
        ),
        (
            "send message with a photo",
            &router,
            "POST",
            &messages,
            &user,
            Some(&with_photo),
        ),
        ("sign a download", &router, "GET", &download, &user, None),
        ("reply", &router, "POST", &replies, &agent, Some(&reply)),
        (
            "inbox page (20)",
            &router,
            "GET",
            "/v1/conversations?limit=20",
            &user,
            None,
        ),
        (
            "read conversation (20 msgs)",
            &router,
            "GET",
            &page,
            &user,
            None,
        ),
        (
            "floor: bare JWT + JSON",
            &floor,
            "POST",
            "/bare",
            &user,
            Some(&message),
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
    for (name, router, method, path, token, body) in operations {
        call(router, request(method, path, token, body)).await?;
        let before: MetricsSnapshot = table.metrics().snapshot();
        let mut times = Vec::with_capacity(options.iterations);
        for _ in 0..options.iterations {
            let request = request(method, path, token, body);
            let started = Instant::now();
            call(router, request).await?;
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
