//! The SLA policy as configuration in the table: managers edit it, every admin reads it,
//! and new clocks start under the version in force.

use std::sync::Arc;

use chrono::Datelike;
use tracing::instrument;

use super::config::{self, Replacement, Versioned};
use crate::app::App;
use crate::error::ApiResult;
use domain::identity::{Access, Caller};
use domain::sla::SlaTargets;
use domain::sla_policy::SlaPolicyConfig;

const KIND: &str = "sla-policy";

/// The policy with its version, as stored and as `GET /v1/admin/sla-policy` shows it.
pub type SlaPolicy = Versioned<SlaPolicyConfig>;

impl App {
    /// The policy in force (cached for a minute).
    pub async fn sla_targets(&self) -> ApiResult<Arc<SlaTargets>> {
        if let Some(targets) = self.sla.fresh() {
            return Ok(targets);
        }
        let stored = self.stored_policy().await?;
        let targets = Arc::new(SlaTargets {
            version: stored.version,
            policy: stored.policy,
        });
        self.sla.keep(targets.clone());
        Ok(targets)
    }

    async fn stored_policy(&self) -> ApiResult<SlaPolicy> {
        let year = self.clock.now().year();
        config::read(self.table.as_ref(), KIND, || {
            SlaPolicyConfig::default_for(year)
        })
        .await
    }

    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn get_sla_policy(&self, caller: &Caller) -> ApiResult<SlaPolicy> {
        caller.require_admin()?;
        self.stored_policy().await
    }

    /// Saves the next version on top of the one the edit names (a stale one is a 409).
    /// It applies to clocks started from now on; running clocks keep their version.
    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn put_sla_policy(
        &self,
        caller: &Caller,
        edit: Replacement<SlaPolicyConfig>,
    ) -> ApiResult<SlaPolicy> {
        Access::Manager.check(caller)?;
        edit.policy.validate()?;
        let what = (KIND, "SLA policy");
        let now = self.clock.now();
        let saved = config::save(self.table.as_ref(), what, edit, (caller, now), vec![]).await?;
        self.sla.clear();
        Ok(saved)
    }
}
