//! Listings, as the website's backend registers them.

use serde::Deserialize;
use tracing::instrument;

use crate::app::App;
use crate::error::ApiResult;
use domain::identity::{Access, Caller};
use domain::{Listing, ListingStatus, validate};
use store::listing_write;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListingRequest {
    #[schema(max_length = 200)]
    pub title: String,
    pub seller_id: String,
    pub category: String,
    pub location: String,
    pub status: ListingStatus,
}

impl App {
    /// Creates or replaces a listing (one write).
    #[instrument(skip_all, fields(listing = id))]
    pub async fn put_listing(
        &self,
        caller: &Caller,
        id: &str,
        request: ListingRequest,
    ) -> ApiResult<Listing> {
        Access::Service.check(caller)?;
        let listing = Listing {
            id: validate::id("listing_id", id)?,
            title: validate::line("title", &request.title, validate::SUBJECT_MAX_CHARS)?,
            seller_id: validate::id("seller_id", &request.seller_id)?,
            category: validate::line("category", &request.category, 100)?,
            location: validate::line("location", &request.location, 200)?,
            status: request.status,
            updated_at: self.clock.now(),
        };
        self.table.write(vec![listing_write(&listing)?]).await?;
        Ok(listing)
    }
}
