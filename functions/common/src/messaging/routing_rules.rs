//! Routing rules as configuration in the table: managers edit them
//! (`GET/PUT /v1/admin/routing-rules`), new conversations and category changes follow
//! the version in force.

use std::sync::Arc;

use tracing::instrument;

use super::config::{self, Versioned};
use crate::app::App;
use crate::auth::{Caller, Role};
use crate::domain::routing::RoutingRules;
use crate::error::ApiResult;

const KIND: &str = "routing";

/// The rules with their version, as stored and as `GET /v1/admin/routing-rules` shows.
pub type VersionedRules = Versioned<RoutingRules>;

impl App {
    /// The rules in force (cached for a minute).
    pub async fn routing_rules(&self) -> ApiResult<Arc<VersionedRules>> {
        if let Some(rules) = self.routing.fresh() {
            return Ok(rules);
        }
        let rules = Arc::new(self.stored_rules().await?);
        self.routing.keep(rules.clone());
        Ok(rules)
    }

    async fn stored_rules(&self) -> ApiResult<VersionedRules> {
        config::read(self.table.as_ref(), KIND, RoutingRules::default).await
    }

    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn get_routing_rules(&self, caller: &Caller) -> ApiResult<VersionedRules> {
        caller.require_admin()?;
        self.stored_rules().await
    }

    /// Saves the next version; it applies to conversations routed from now on.
    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn put_routing_rules(
        &self,
        caller: &Caller,
        rules: RoutingRules,
    ) -> ApiResult<VersionedRules> {
        caller.require(Role::Manager, "managers")?;
        rules.validate()?;
        let current = self.stored_rules().await?;
        let saved = config::save(
            self.table.as_ref(),
            KIND,
            "routing rules",
            current.version,
            rules,
            caller,
            self.clock.now(),
        )
        .await?;
        self.routing.clear();
        Ok(saved)
    }
}
