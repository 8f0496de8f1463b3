//! What every section shares: tokens, requests through the router, percentiles, and the
//! bench's system with limits one sender cannot reach.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use axum::body::Body;
use axum::http::{Request, header};
use common::domain::clock::Clock;
use common::domain::identity::{Caller, Claims};
use common::messaging::Replacement;
use common::store::table::embedded::EmbeddedTable;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub(crate) fn token(secret: &str, sub: &str, groups: &[&str]) -> String {
    let claims = Claims {
        sub: sub.into(),
        email: Some(format!("{sub}@example.co.za")),
        groups: groups.iter().map(|g| g.to_string()).collect(),
        ..Claims::default()
    };
    local::mint_token(claims, secret, common::domain::clock::SystemClock.now(), 2)
}

pub(crate) fn request(method: &str, uri: &str, token: &str, body: Option<&Value>) -> Request<Body> {
    let builder = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json");
    builder
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .unwrap_or_default()
}

pub(crate) async fn call(router: &axum::Router, request: Request<Body>) -> anyhow::Result<Value> {
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

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

pub(crate) fn micros(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e6)
}

/// A safety policy whose rate and repeat limits one bench sender cannot reach: the bench
/// measures the store, and one user writes thousands of the same messages (the counters
/// are still read, written and paid for).
pub(crate) fn unlimited_policy() -> common::domain::safety::SafetyPolicy {
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
pub(crate) async fn bench_system(
    table: Arc<EmbeddedTable>,
    clock: Arc<dyn Clock>,
    secret: &str,
) -> anyhow::Result<local::Local> {
    let system = local::Local::new(table, clock, secret, None, local::DEFAULT_BASE_URL);
    let moderator = caller("bench-moderator", &["moderator"])?;
    system
        .app
        .put_safety_policy(&moderator, Replacement::of(0, unlimited_policy()))
        .await?;
    Ok(system)
}

/// A small PNG: its signature and header chunk.
pub(crate) const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";

/// PUTs a file to a signed upload, as the website would.
pub(crate) async fn put_file(
    router: &axum::Router,
    upload: &Value,
    bytes: &[u8],
) -> anyhow::Result<()> {
    let url = upload["url"].as_str().context("upload url")?;
    let mut builder = Request::put(url.strip_prefix(local::DEFAULT_BASE_URL).unwrap_or(url));
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

/// A user's message in a conversation, through the router: what it answered.
pub(crate) async fn post_message(
    router: &axum::Router,
    conversation: &str,
    token: &str,
    message: &Value,
) -> anyhow::Result<Value> {
    let path = format!("/v1/conversations/{conversation}/messages");
    call(router, request("POST", &path, token, Some(message))).await
}

/// A caller with `groups`, as a token with only `sub` and `cognito:groups` makes one.
pub fn caller(sub: &str, groups: &[&str]) -> anyhow::Result<Caller> {
    Ok(Caller::new(Claims {
        sub: sub.into(),
        groups: groups.iter().map(|g| g.to_string()).collect(),
        ..Claims::default()
    })?)
}
