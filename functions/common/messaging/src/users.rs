//! The user registry broadcasts reach: the website's backend syncs its users (contact,
//! membership tier, location), and users seen starting a conversation are added if the
//! website has not synced them, with the listing category and location they wrote
//! about (the segments of `domain::broadcast`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use crate::app::App;
use crate::error::ApiResult;
use domain::broadcast::{Recipient, SAYPRO_SUPPORT, normal};
use domain::identity::{Access, Caller};
use domain::{Contact, Conversation, Listing, validate};
use store::table::{Condition, TableError, from_item};
use store::{SegmentKind, account_write, listing_key, record_write, segment_member_key};

/// A user as the registry knows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserAccount {
    pub id: String,
    #[serde(flatten)]
    pub contact: Contact,
    #[schema(required = true)]
    pub tier: Option<String>,
    #[schema(required = true)]
    pub location: Option<String>,
    pub source: AccountSource,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountSource {
    /// Synced by the website's backend: the source of truth.
    Website,
    /// Seen starting a conversation before the website synced them.
    Messaging,
}

impl UserAccount {
    pub fn recipient(self) -> Recipient {
        Recipient {
            user_id: self.id,
            contact: self.contact,
        }
    }
}

/// `PUT /v1/users/{id}`: the user as the website has them now (replaces what was there).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserRequest {
    pub name: Option<String>,
    pub email: Option<String>,
    /// International form, e.g. +27821234567
    pub phone: Option<String>,
    /// Membership tier, e.g. basic, verified, premium
    pub tier: Option<String>,
    pub location: Option<String>,
}

/// A listing's segment rows: the user who started a conversation about it, and how to
/// reach them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SegmentMember {
    #[serde(flatten)]
    pub recipient: Recipient,
    pub listing_id: String,
    pub at: DateTime<Utc>,
}

impl App {
    /// Creates or replaces a user in the registry (one write).
    #[instrument(skip_all, fields(user = id))]
    pub async fn put_user(
        &self,
        caller: &Caller,
        id: &str,
        request: UserRequest,
    ) -> ApiResult<UserAccount> {
        Access::Service.check(caller)?;
        let optional = |field: &str, value: Option<String>, max: usize| {
            value.map(|v| validate::line(field, &v, max)).transpose()
        };
        let account = UserAccount {
            id: validate::id("user_id", id)?,
            contact: Contact {
                name: optional("name", request.name, 200)?,
                email: request
                    .email
                    .map(|e| validate::email("email", &e))
                    .transpose()?,
                phone: request
                    .phone
                    .map(|p| validate::phone("phone", &p))
                    .transpose()?,
            },
            tier: request
                .tier
                .map(|t| validate::id("tier", &normal(&t)))
                .transpose()?,
            location: optional("location", request.location.map(|l| normal(&l)), 200)?,
            source: AccountSource::Website,
            updated_at: self.clock.now(),
        };
        let write = account_write(&account.id, account.tier.as_deref(), &account, None)?;
        self.table.write(vec![write]).await?;
        Ok(account)
    }

    /// Keeps the registry and segments up to date with a conversation just started (run
    /// from the table's stream): its starter joins the registry if the website has not
    /// synced them, and the segments of the listing's category and location.
    pub async fn register_starter(&self, conversation: &Conversation) -> anyhow::Result<()> {
        let user = &conversation.created_by;
        if user == SAYPRO_SUPPORT {
            return Ok(());
        }
        let now = self.clock.now();
        let recipient = Recipient {
            user_id: user.clone(),
            contact: conversation.contacts.get(user).cloned().unwrap_or_default(),
        };
        let account = UserAccount {
            id: user.clone(),
            contact: recipient.contact.clone(),
            tier: None,
            location: None,
            source: AccountSource::Messaging,
            updated_at: now,
        };
        let write = account_write(user, None, &account, Some(Condition::NotExists))?;
        match self.table.write(vec![write]).await {
            Ok(()) | Err(TableError::ConditionFailed { .. }) => {}
            Err(other) => return Err(other.into()),
        }
        let Some(listing_id) = &conversation.listing_id else {
            return Ok(());
        };
        let Some(item) = self.table.get(&listing_key(listing_id), false).await? else {
            return Ok(());
        };
        let listing: Listing = from_item(item)?;
        let member = SegmentMember {
            recipient,
            listing_id: listing_id.clone(),
            at: now,
        };
        for (kind, value) in [
            (SegmentKind::ListingCategory, &listing.category),
            (SegmentKind::Location, &listing.location),
        ] {
            let key = segment_member_key(kind, &normal(value), user);
            self.table
                .write(vec![record_write(&key, &member, None)?])
                .await?;
        }
        Ok(())
    }
}
