//! Per operation, in process: round trips, capacity units and handler time, beside the
//! floor (a bare handler doing the same JWT check and JSON parse).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Method, Request, StatusCode};
use axum::response::IntoResponse;
use common::AppState;
use common::domain::clock::SystemClock;
use common::domain::identity::Access;
use common::http::{Authenticated, JsonBody, Routes};
use common::messaging::NewMessage;
use common::store::table::embedded::EmbeddedTable;
use common::store::table::{MetricsSnapshot, Table};
use serde_json::json;

use crate::Options;
use crate::support::*;

/// The floor: the same token check and JSON parse as a real handler, and nothing else.
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

pub(crate) async fn per_operation(options: &Options, secret: &str) -> anyhow::Result<()> {
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
