//! `listings`: the website's backend registers its listings (only active ones can be
//! messaged about) and its users (the registry broadcasts reach).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::Method;
use axum::response::IntoResponse;
use common::auth::Caller;
use common::http::{JsonBody, Routes};
use common::messaging::{ListingRequest, UserRequest};
use common::{ApiResult, AppState};

pub fn routes() -> Routes {
    Routes::default()
        .on(Method::PUT, "/v1/listings/{id}", put_listing)
        .on(Method::PUT, "/v1/users/{id}", put_user)
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

async fn put_user(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<UserRequest>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(app.put_user(&caller, &id, request).await?))
}
