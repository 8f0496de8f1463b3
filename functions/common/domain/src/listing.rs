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

impl Listing {
    /// The same listing as registered, whenever it was: every field but `updated_at`.
    pub fn same_as(&self, other: &Listing) -> bool {
        *self
            == Listing {
                updated_at: self.updated_at,
                ..other.clone()
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_listing_registered_later_is_the_same_and_any_change_is_not() {
        let listing = Listing {
            id: "L1".into(),
            title: "Bakkie for sale".into(),
            seller_id: "pieter".into(),
            category: "vehicles".into(),
            location: "Durban".into(),
            status: ListingStatus::Active,
            updated_at: DateTime::UNIX_EPOCH,
        };
        let later = Listing {
            updated_at: DateTime::UNIX_EPOCH + chrono::Duration::days(1),
            ..listing.clone()
        };
        assert!(listing.same_as(&later));
        let inactive = Listing {
            status: ListingStatus::Inactive,
            ..later
        };
        assert!(!listing.same_as(&inactive));
    }
}
