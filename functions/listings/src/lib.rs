//! `listings`: the website's backend registers listings; only active ones can be
//! messaged about.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::Method;
use axum::response::IntoResponse;
use common::auth::Caller;
use common::http::{JsonBody, Routes};
use common::messaging::ListingRequest;
use common::{ApiResult, AppState};

pub fn routes() -> Routes {
    Routes::default().on(Method::PUT, "/v1/listings/{id}", put_listing)
}

pub fn router(state: AppState) -> axum::Router {
    routes().into_router(state)
}

async fn put_listing(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<ListingRequest>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(app.put_listing(&caller, &id, request).await?))
}
