//! What every HTTP function shares: the route table with each route's gate (who it is
//! for, checked before anything is read), extractors that turn requests into typed
//! input (and bad input into the contract's 400s), the error shape, and metering.

mod correlation;
mod error;
mod extract;
mod routes;

pub use correlation::X_REQUEST_ID;
pub use error::UNAVAILABLE_RETRY_AFTER_SECONDS;
pub use error::{
    BadRequest, Conflict, ErrorBody, Forbidden, HttpError, HttpResult, Internal, MethodNotAllowed,
    NotFound, TooLarge, TooManyRequests, Unauthorized, Unavailable,
};
pub use extract::{Authenticated, IdempotencyHeader, JsonBody, Params};
pub use routes::{MAX_BODY_BYTES, Route, Routes};
// For `route!`, so the functions' crates name no version of their own.
#[doc(hidden)]
pub use {utoipa, utoipa_axum};

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use domain::clock::Clock;
use messaging::{Created, Order};
use metering::Meter;
use serde::{Deserialize, Serialize};
use store::table::Table;

/// Query of a conversation's messages, the same for users and admins.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MessagesQuery {
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    #[serde(default)]
    #[param(inline)]
    pub order: Order,
}

/// What a create answers: 201, or 202 for a message held for review.
pub fn created<T: Serialize>(created: Created<T>) -> impl IntoResponse {
    let status = if created.is_held() {
        StatusCode::ACCEPTED
    } else {
        StatusCode::CREATED
    };
    (status, Json(created))
}

/// Meters every request a router serves (an HTTP function's invocations), with each
/// answer's latency and status ([`timed`]).
pub fn metered(
    router: Router,
    meter: Arc<Meter>,
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
) -> Router {
    timed(router, meter.clone()).layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| {
            let (meter, table, clock) = (meter.clone(), table.clone(), clock.clone());
            async move {
                meter
                    .invocation(table.as_ref(), clock.as_ref(), true, next.run(request))
                    .await
            }
        },
    ))
}

/// Counts each answer a router gives with `meter`: its time in the router, in its route
/// group's latency histogram (the group read from the path's prefix,
/// `domain::system::RouteGroup`), and a 5xx against the function. Written with the
/// invocation's other figures, so it costs no round trip of its own.
pub fn timed(router: Router, meter: Arc<Meter>) -> Router {
    router.layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| {
            let meter = meter.clone();
            async move {
                let group = domain::system::RouteGroup::of(request.uri().path());
                let started = std::time::Instant::now();
                let response = next.run(request).await;
                meter.answered(group, response.status().as_u16(), started.elapsed());
                response
            }
        },
    ))
}
