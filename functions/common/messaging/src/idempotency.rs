//! `Idempotency-Key`: the same key from the same caller returns the first result and
//! creates nothing new. The key's record is written in the same transaction as what the
//! request creates, so a retry can never slip between a check and a write.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};
use store::record_write;
use store::table::{Condition, Key, Table, WriteOp, from_item};

/// A validated key with the request it was sent with.
#[derive(Debug, Clone)]
pub struct Idempotency {
    caller: String,
    key: String,
    fingerprint: String,
}

#[derive(Serialize, Deserialize)]
struct Record {
    fingerprint: String,
    /// The first response's body, as JSON text.
    response: String,
    expires_at: i64,
}

/// What a creating request returns: what it created now, or the first response to the
/// same key.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Created<T> {
    New(T),
    Replayed(serde_json::Value),
    /// A user's message the abuse filter held for a moderator.
    Held(super::moderation::HeldNotice),
}

impl<T> Created<T> {
    /// What an operation without an Idempotency-Key, which can be neither replayed nor
    /// held, created.
    pub fn into_new(self) -> ApiResult<T> {
        match self {
            Created::New(value) => Ok(value),
            Created::Replayed(_) | Created::Held(_) => Err(ApiError::conflict("unexpected replay")),
        }
    }

    /// A message held for review (first time or replayed): 202 rather than 201.
    pub fn is_held(&self) -> bool {
        match self {
            Created::Held(_) => true,
            Created::Replayed(first) => first.get("held_id").is_some(),
            Created::New(_) => false,
        }
    }
}

impl Idempotency {
    /// `key` as sent; `route` and `request` fingerprint the request, so reusing a key for a
    /// different request is refused instead of answered with an unrelated result.
    pub fn new(caller: &str, key: &str, route: &str, request: &impl Serialize) -> ApiResult<Self> {
        if key.is_empty() || key.len() > 255 || !key.chars().all(|c| c.is_ascii_graphic()) {
            return Err(ApiError::invalid(
                "Idempotency-Key: must be 1 to 255 visible ASCII characters",
            ));
        }
        let mut fingerprinted = route.as_bytes().to_vec();
        fingerprinted.extend(serde_json::to_vec(request).map_err(anyhow::Error::from)?);
        let fingerprint = domain::digest::hex(&domain::digest::sha256(&fingerprinted));
        Ok(Self {
            caller: caller.to_string(),
            key: key.to_string(),
            fingerprint,
        })
    }

    fn table_key(&self) -> Key {
        store::keys::idempotency_key(&self.caller, &self.key)
    }

    /// The write that claims the key, storing the response the request will return.
    pub fn claim(
        &self,
        response: &impl Serialize,
        now: DateTime<Utc>,
        hours: i64,
    ) -> anyhow::Result<WriteOp> {
        let record = Record {
            fingerprint: self.fingerprint.clone(),
            response: serde_json::to_string(response)?,
            expires_at: (now + Duration::hours(hours)).timestamp(),
        };
        record_write(&self.table_key(), &record, Some(Condition::NotExists))
    }

    /// The key was claimed before: the first response, if this is the same request.
    pub async fn replay(&self, table: &dyn Table) -> ApiResult<serde_json::Value> {
        let item = table.get(&self.table_key(), true).await?.ok_or_else(|| {
            ApiError::conflict(
                "Idempotency-Key: the first request with this key is still in progress",
            )
        })?;
        let record: Record = from_item(item)?;
        if record.fingerprint != self.fingerprint {
            return Err(ApiError::conflict(
                "Idempotency-Key: already used for a different request",
            ));
        }
        Ok(serde_json::from_str(&record.response).map_err(anyhow::Error::from)?)
    }
}

impl crate::app::App {
    /// Stores `write`, the one item a request creates, together with the key's claim:
    /// answers `response`, or the first response when the key was used before.
    pub(crate) async fn create_once<T: Serialize>(
        &self,
        write: WriteOp,
        guards: Vec<super::edit::Guard>,
        response: T,
        idempotency: Option<&Idempotency>,
    ) -> ApiResult<Created<T>> {
        let mut writes = Vec::new();
        if let Some(key) = idempotency {
            writes.push(key.claim(&response, self.clock.now(), self.idempotency_hours)?);
        }
        let mut refusals = super::edit::push_guards(&mut writes, guards);
        writes.push(write);
        match self.table.write(writes).await {
            Ok(()) => Ok(Created::New(response)),
            Err(store::table::TableError::ConditionFailed { index: 0 })
                if idempotency.is_some() =>
            {
                Ok(Created::Replayed(
                    super::edit::replay(self, idempotency).await?,
                ))
            }
            Err(store::table::TableError::ConditionFailed { index })
                if refusals.contains_key(&index) =>
            {
                Err(refusals
                    .remove(&index)
                    .unwrap_or_else(|| ApiError::conflict("please retry")))
            }
            Err(other) => Err(other.into()),
        }
    }
}
