//! Listings, as the website's backend registers them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use crate::app::App;
use crate::error::{ApiError, ApiResult};
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

/// A listing as anyone signed in may see it: what the website shows publicly, never
/// who sells it or how to reach them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicListing {
    pub id: String,
    pub title: String,
    pub category: String,
    pub location: String,
    pub status: ListingStatus,
    pub updated_at: DateTime<Utc>,
}

impl App {
    /// A listing's public details (one read).
    #[instrument(skip_all, fields(listing = id))]
    pub async fn public_listing(&self, caller: &Caller, id: &str) -> ApiResult<PublicListing> {
        Access::SignedIn.check(caller)?;
        validate::id("id", id)?;
        let listing = self
            .listing(id)
            .await?
            .ok_or_else(|| ApiError::not_found("listing"))?;
        Ok(PublicListing {
            id: listing.id,
            title: listing.title,
            category: listing.category,
            location: listing.location,
            status: listing.status,
            updated_at: listing.updated_at,
        })
    }

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
