//! Which team answers which category, and which categories are urgent.

use super::{Category, Priority};
use crate::auth::Team;

pub fn default_team(category: Category) -> Team {
    match category {
        Category::General | Category::Complaint | Category::Account => Team::Support,
        Category::Payment => Team::Billing,
        Category::Technical => Team::Technical,
    }
}

/// Payment problems and account access are urgent unless the caller says otherwise.
pub fn default_priority(category: Category) -> Priority {
    match category {
        Category::Payment | Category::Account => Priority::Urgent,
        _ => Priority::Normal,
    }
}
