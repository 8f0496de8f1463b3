//! `listings`: the website's backend registers its listings (only active ones can be
//! messaged about) and its users (the registry broadcasts reach).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::Method;
use axum::response::IntoResponse;
use common::domain::identity::Access;
use common::http::{Authenticated, JsonBody, Routes};
use common::messaging::{ListingRequest, UserRequest};
use common::{AppState, HttpResult};

pub fn routes() -> Routes {
    Routes::default()
        .on(
            Method::PUT,
            "/v1/listings/{id}",
            Access::Service,
            put_listing,
        )
        .on(Method::PUT, "/v1/users/{id}", Access::Service, put_user)
}

pub fn router(state: AppState) -> axum::Router {
    routes().into_router(state)
}

async fn put_listing(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<ListingRequest>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.put_listing(&caller, &id, request).await?))
}

async fn put_user(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<UserRequest>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.put_user(&caller, &id, request).await?))
}
