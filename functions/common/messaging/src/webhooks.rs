//! Managers register webhook endpoints for integrations (CRM, ticketing): which events,
//! and a secret per endpoint, shown once, that signs every delivery. The notify path
//! delivers them (`notifications/src/webhooks.rs`); the delivery log shows each attempt.

use serde::{Deserialize, Serialize};
use tracing::instrument;

use super::{Created, Idempotency, Page};
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use domain::identity::{Access, Caller};
use domain::validate;
use domain::webhook::{Delivery, Webhook};
use domain::webhook::{WebhookEvent, check_url};
use store::keys::{WEBHOOKS, deliveries_partition, webhook_key};
use store::table::{Condition, Index, Query, TableError, WriteOp, from_item};
use store::{self, record_write};

const MAX_WEBHOOKS: usize = 100;
const LOG_PAGE: usize = 50;

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookRequest {
    /// https:// (http:// only to 127.0.0.1 or localhost)
    pub url: String,
    #[schema(min_items = 1)]
    pub events: Vec<WebhookEvent>,
}

/// An endpoint as listed: the secret is shown only when it is created.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = Webhook)]
pub struct WebhookView {
    pub id: String,
    pub url: String,
    pub events: Vec<WebhookEvent>,
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Only in the creation's answer: signs each delivery (X-SayPro-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">)
    pub secret: Option<String>,
}

impl WebhookView {
    fn of(webhook: Webhook, with_secret: bool) -> Self {
        Self {
            secret: with_secret.then_some(webhook.secret),
            id: webhook.id,
            url: webhook.url,
            events: webhook.events,
            created_by: webhook.created_by,
            created_at: webhook.created_at,
        }
    }
}

/// 320 random bits, hex: the random parts of four ULIDs (drawn from a CSPRNG).
fn new_secret() -> String {
    (0..4)
        .map(|_| format!("{:020x}", ulid::Ulid::new().random()))
        .collect()
}

impl App {
    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn create_webhook(
        &self,
        caller: &Caller,
        request: WebhookRequest,
        idempotency: Option<&Idempotency>,
    ) -> ApiResult<Created<WebhookView>> {
        Access::Manager.check(caller)?;
        let url = check_url(&request.url, self.webhook_reach)?;
        if request.events.is_empty() {
            return Err(ApiError::invalid("events: at least one"));
        }
        let mut events = request.events.clone();
        events.sort();
        events.dedup();
        let now = self.clock.now();
        let webhook = Webhook {
            id: self.ids.next(now),
            url,
            events,
            secret: new_secret(),
            created_by: caller.id().to_string(),
            created_at: now,
        };
        let write = record_write(
            &webhook_key(&webhook.id),
            &webhook,
            Some(Condition::NotExists),
        )?;
        self.create_once(
            write,
            Vec::new(),
            WebhookView::of(webhook, true),
            idempotency,
        )
        .await
    }

    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn list_webhooks(&self, caller: &Caller) -> ApiResult<Page<WebhookView>> {
        Access::Manager.check(caller)?;
        let (items, _) = store::page(
            self.table.as_ref(),
            Query::partition(Index::Table, WEBHOOKS),
            MAX_WEBHOOKS,
        )
        .await?;
        let webhooks = items
            .into_iter()
            .map(|item| Ok(WebhookView::of(from_item(item)?, false)))
            .collect::<ApiResult<_>>()?;
        Ok(Page::new(webhooks, None))
    }

    #[instrument(skip_all, fields(caller = caller.id(), webhook = id))]
    pub async fn delete_webhook(&self, caller: &Caller, id: &str) -> ApiResult<()> {
        Access::Manager.check(caller)?;
        validate::id("id", id)?;
        let delete = WriteOp::Delete {
            key: webhook_key(id),
            condition: Some(Condition::Exists),
        };
        match self.table.write(vec![delete]).await {
            Ok(()) => Ok(()),
            Err(TableError::ConditionFailed { .. }) => Err(ApiError::not_found("webhook")),
            Err(other) => Err(other.into()),
        }
    }

    /// The latest deliveries of an endpoint, newest first.
    #[instrument(skip_all, fields(caller = caller.id(), webhook = id))]
    pub async fn webhook_deliveries(&self, caller: &Caller, id: &str) -> ApiResult<Page<Delivery>> {
        Access::Manager.check(caller)?;
        validate::id("id", id)?;
        if self.table.get(&webhook_key(id), false).await?.is_none() {
            return Err(ApiError::not_found("webhook"));
        }
        let query = Query::partition(Index::Table, deliveries_partition(id)).descending(true);
        let (items, _) = store::page(self.table.as_ref(), query, LOG_PAGE).await?;
        let deliveries = items
            .into_iter()
            .map(|item| Ok(from_item(item)?))
            .collect::<ApiResult<_>>()?;
        Ok(Page::new(deliveries, None))
    }
}
