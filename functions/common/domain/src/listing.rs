use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListingStatus {
    Active,
    Inactive,
}

/// A listing as the website registers it; only active listings can be messaged about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Listing {
    pub id: String,
    pub title: String,
    pub seller_id: String,
    pub category: String,
    pub location: String,
    pub status: ListingStatus,
    pub updated_at: DateTime<Utc>,
}
