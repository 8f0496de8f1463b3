//! Listings, as the website's backend registers them: one at a time, or up to
//! [`LISTINGS_PER_CALL`] at once.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use chrono::{DateTime, Utc};
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tracing::instrument;

use crate::app::App;
use crate::error::{ApiError, ApiResult};
use domain::identity::{Access, Caller};
use domain::{Listing, ListingStatus, Rejection, validate};
use store::table::from_item;
use store::{listing_key, listing_write};

/// At most this many listings in one `PUT /v1/listings`: what one BatchGetItem reads.
const LISTINGS_PER_CALL: usize = 100;

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

impl ListingRequest {
    /// The listing registered under `id` (named `id_field` in errors), every field checked:
    /// the one check of the single and the bulk registration.
    fn into_listing(self, id_field: &str, id: &str, now: DateTime<Utc>) -> domain::Result<Listing> {
        Ok(Listing {
            id: validate::id(id_field, id)?,
            title: validate::line("title", &self.title, validate::SUBJECT_MAX_CHARS)?,
            seller_id: validate::id("seller_id", &self.seller_id)?,
            category: validate::line("category", &self.category, 100)?,
            location: validate::line("location", &self.location, 200)?,
            status: self.status,
            updated_at: now,
        })
    }
}

/// `PUT /v1/listings`: listings registered (or refused) each on its own.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListingsRequest {
    /// 1 to 100 listings. Each is read on its own, so a malformed one is refused and
    /// the others are still registered.
    #[schema(value_type = Vec<ListingItem>, min_items = 1, max_items = 100)]
    pub items: Vec<Value>,
}

/// One listing of `PUT /v1/listings`: its id and what `PUT /v1/listings/{id}` takes.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ListingItem {
    id: String,
    #[schema(max_length = 200)]
    title: String,
    seller_id: String,
    category: String,
    location: String,
    status: ListingStatus,
}

impl ListingItem {
    /// Reads one listing of a bulk call; an error names the field at fault, as the
    /// single PUT's body reader does.
    fn read(value: Value) -> domain::Result<(String, ListingRequest)> {
        let Value::Object(fields) = value else {
            return Err(Rejection::invalid("listing: must be a JSON object"));
        };
        let fields = Fields {
            rest: fields.into_iter(),
            current: None,
        };
        let item = ListingItem::deserialize(MapAccessDeserializer::new(fields))
            .map_err(|error| Rejection::invalid(error.to_string()))?;
        let request = ListingRequest {
            title: item.title,
            seller_id: item.seller_id,
            category: item.category,
            location: item.location,
            status: item.status,
        };
        Ok((item.id, request))
    }
}

/// A JSON object's fields handed to a record one by one, so that a value's error is
/// prefixed with its field's name (`status: unknown variant ...`).
struct Fields {
    rest: serde_json::map::IntoIter,
    current: Option<(String, Value)>,
}

impl<'de> MapAccess<'de> for Fields {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        let Some((name, value)) = self.rest.next() else {
            return Ok(None);
        };
        let key = seed.deserialize(name.clone().into_deserializer())?;
        self.current = Some((name, value));
        Ok(Some(key))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        let (name, value) = self
            .current
            .take()
            .ok_or_else(|| de::Error::custom("a value before its field"))?;
        seed.deserialize(value)
            .map_err(|error| de::Error::custom(format!("{name}: {error}")))
    }
}

/// What became of each listing of a bulk registration, in the order sent.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ListingResults {
    pub results: Vec<ListingResult>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ListingResult {
    /// The id as sent; null when the listing had no id string.
    pub id: Option<String>,
    pub outcome: ListingOutcome,
    /// Why the listing was refused (only then).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ListingRefusal>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListingOutcome {
    Created,
    Updated,
    /// Stored already exactly so: not written again (its `updated_at` stays).
    Unchanged,
    Refused,
}

/// The contract's error shape, for one listing.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ListingRefusal {
    pub code: RefusalCode,
    /// What is wrong, naming the field.
    pub message: String,
}

/// A listing is refused only for what it says: anything else fails the whole call.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefusalCode {
    InvalidRequest,
}

impl ListingResult {
    fn refused(id: Option<String>, rejection: Rejection) -> Self {
        Self {
            id,
            outcome: ListingOutcome::Refused,
            error: Some(ListingRefusal {
                code: RefusalCode::InvalidRequest,
                message: rejection.to_string(),
            }),
        }
    }
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
        let listing = request.into_listing("listing_id", id, self.clock.now())?;
        self.table.write(vec![listing_write(&listing)?]).await?;
        Ok(listing)
    }

    /// Creates or replaces up to [`LISTINGS_PER_CALL`] listings, each checked as
    /// [`App::put_listing`] checks one: one BatchGetItem reads those stored, and
    /// BatchWriteItem (25 a call) writes those new or changed. Each write is a whole
    /// listing, so a retry of a call that failed part-way is harmless.
    #[instrument(skip_all, fields(listings = request.items.len()))]
    pub async fn put_listings(
        &self,
        caller: &Caller,
        request: ListingsRequest,
    ) -> ApiResult<ListingResults> {
        Access::Service.check(caller)?;
        let sent = request.items.len();
        if sent == 0 {
            return Err(ApiError::invalid("items: at least one listing is required"));
        }
        if sent > LISTINGS_PER_CALL {
            return Err(ApiError::invalid(format!(
                "items: at most {LISTINGS_PER_CALL} listings a call ({sent} sent)"
            )));
        }
        let now = self.clock.now();
        // Where each id first came (1-based): a later listing with the same id is refused,
        // so the call never writes one id twice.
        let mut first_at: HashMap<String, usize> = HashMap::new();
        let checked: Vec<(Option<String>, domain::Result<Listing>)> = request
            .items
            .into_iter()
            .enumerate()
            .map(|(n, item)| {
                let id = item.get("id").and_then(Value::as_str).map(str::to_string);
                if let Some(id) = &id {
                    match first_at.entry(id.clone()) {
                        Entry::Occupied(first) => {
                            let refusal = Rejection::invalid(format!(
                                "id: {id} is listing {} of this call already; send each listing once",
                                first.get()
                            ));
                            return (Some(id.clone()), Err(refusal));
                        }
                        Entry::Vacant(slot) => {
                            slot.insert(n + 1);
                        }
                    }
                }
                let listing = ListingItem::read(item)
                    .and_then(|(id, request)| request.into_listing("id", &id, now));
                (id, listing)
            })
            .collect();
        let keys: Vec<_> = checked
            .iter()
            .filter_map(|(_, listing)| listing.as_ref().ok())
            .map(|listing| listing_key(&listing.id))
            .collect();
        // Strongly consistent: a listing changed a moment ago must not pass for unchanged.
        let stored: HashMap<String, Listing> = self
            .table
            .get_many_consistent(&keys)
            .await?
            .into_iter()
            .map(|item| {
                let listing: Listing = from_item(item)?;
                Ok((listing.id.clone(), listing))
            })
            .collect::<anyhow::Result<_>>()?;
        let mut writes = Vec::new();
        let mut results = Vec::with_capacity(checked.len());
        for (id, listing) in checked {
            let listing = match listing {
                Ok(listing) => listing,
                Err(rejection) => {
                    results.push(ListingResult::refused(id, rejection));
                    continue;
                }
            };
            let outcome = match stored.get(&listing.id) {
                None => ListingOutcome::Created,
                Some(current) if current.same_as(&listing) => ListingOutcome::Unchanged,
                Some(_) => ListingOutcome::Updated,
            };
            if outcome != ListingOutcome::Unchanged {
                writes.push(listing_write(&listing)?);
            }
            results.push(ListingResult {
                id: Some(listing.id),
                outcome,
                error: None,
            });
        }
        self.table.write_each(writes).await?;
        Ok(ListingResults { results })
    }
}
