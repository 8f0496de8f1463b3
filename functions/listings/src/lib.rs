//! `listings`: the website's backend registers its listings (only active ones can be
//! messaged about) and its users (the registry broadcasts reach).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use common::domain::identity::Access;
use common::http::{Authenticated, JsonBody, NotFound, Routes};
use common::messaging::{
    ListingRequest, ListingResults, ListingsRequest, PublicListing, UserRequest,
};
use common::{AppState, HttpResult};

use common::domain::listing::Listing;
use common::messaging::UserAccount;
use common::route;

/// 100 listings at their longest (about 2.4 KB each as UTF-8) pass; the other routes
/// keep the common limit.
const LISTINGS_BODY_BYTES: usize = 512 * 1024;

pub fn routes() -> Routes {
    Routes::default()
        .on(Access::Service, route!(put_listing))
        .on(
            Access::Service,
            route!(put_listings).body_limit(LISTINGS_BODY_BYTES),
        )
        .on(Access::SignedIn, route!(get_listing))
        .on(Access::Service, route!(put_user))
}

pub fn router(state: AppState) -> axum::Router {
    routes().into_router(state)
}

/// A listing's public details: title, category, location, status (never the seller's
/// contact details), for the widget and the console.
#[utoipa::path(
    get,
    path = "/v1/listings/{id}",
    operation_id = "getListing",
    tag = "website",
    params(("id" = String, Path, description = "Listing id")),
    responses(
        (status = 200, description = "The listing", body = PublicListing),
        (status = 404, response = NotFound),
    )
)]
async fn get_listing(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.public_listing(&caller, &id).await?))
}

/// Register or update a listing (group service).
#[utoipa::path(
    put,
    path = "/v1/listings/{id}",
    operation_id = "putListing",
    tag = "website",
    params(("id" = String, Path, description = "Listing id")),
    request_body = ListingRequest,
    responses(
        (status = 200, description = "Stored", body = Listing),
    )
)]
async fn put_listing(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<ListingRequest>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.put_listing(&caller, &id, request).await?))
}

/// Register or update up to 100 listings at once (group service).
///
/// Each is checked as `PUT /v1/listings/{id}` checks one, and answered with a result, in
/// the order sent: a refused listing refuses nothing else. A listing stored already
/// exactly so is `unchanged` and not written again, so sending the same listings twice
/// changes nothing.
#[utoipa::path(
    put,
    path = "/v1/listings",
    operation_id = "putListings",
    tag = "website",
    request_body = ListingsRequest,
    responses(
        (status = 200, description = "What became of each listing, in the order sent", body = ListingResults),
    )
)]
async fn put_listings(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    JsonBody(request): JsonBody<ListingsRequest>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.put_listings(&caller, request).await?))
}

/// Register or update a user for broadcasts: contact, membership tier, location (group service).
#[utoipa::path(
    put,
    path = "/v1/users/{id}",
    operation_id = "putUser",
    tag = "website",
    params(("id" = String, Path, description = "User id (the token's sub)")),
    request_body = UserRequest,
    responses(
        (status = 200, description = "Stored", body = UserAccount),
    )
)]
async fn put_user(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<UserRequest>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.put_user(&caller, &id, request).await?))
}
