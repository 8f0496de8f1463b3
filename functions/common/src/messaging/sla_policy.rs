//! The SLA policy as configuration in the table: managers edit it, every admin reads it,
//! and new clocks start under the version in force.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use crate::app::App;
use crate::auth::{Caller, Role};
use crate::domain::sla::SlaTargets;
use crate::domain::sla_policy::SlaPolicyConfig;
use crate::error::{ApiError, ApiResult};
use crate::store::record_write;
use crate::table::{Condition, Key, TableError, Value, from_item};

/// How long a function instance keeps the policy before reading it again: a saved
/// change applies to new clocks within this time, and creating a conversation rarely
/// pays an extra read.
const POLICY_CACHE: Duration = Duration::from_secs(60);

fn policy_key() -> Key {
    Key::new("CONFIG#sla-policy", "CURRENT")
}

/// The policy with its version, as stored and as `GET /v1/admin/sla-policy` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaPolicy {
    /// 0 for the built-in default (never saved).
    pub version: u32,
    pub updated_at: Option<DateTime<Utc>>,
    pub updated_by: Option<String>,
    pub policy: SlaPolicyConfig,
}

impl App {
    /// The policy in force (cached for a minute).
    pub async fn sla_targets(&self) -> ApiResult<Arc<SlaTargets>> {
        if let Some((read_at, targets)) =
            self.sla.read().unwrap_or_else(|p| p.into_inner()).as_ref()
            && read_at.elapsed() < POLICY_CACHE
        {
            return Ok(targets.clone());
        }
        let stored = self.stored_policy().await?;
        let targets = Arc::new(SlaTargets {
            version: stored.version,
            policy: stored.policy,
        });
        *self.sla.write().unwrap_or_else(|p| p.into_inner()) =
            Some((Instant::now(), targets.clone()));
        Ok(targets)
    }

    async fn stored_policy(&self) -> ApiResult<SlaPolicy> {
        Ok(match self.table.get(&policy_key(), true).await? {
            Some(item) => from_item(item)?,
            None => SlaPolicy {
                version: 0,
                updated_at: None,
                updated_by: None,
                policy: SlaPolicyConfig::default_for(self.clock.now().year()),
            },
        })
    }

    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn get_sla_policy(&self, caller: &Caller) -> ApiResult<SlaPolicy> {
        caller.require_admin()?;
        self.stored_policy().await
    }

    /// Saves the next version on top of the current one (a save racing another is a 409).
    /// It applies to clocks started from now on; running clocks keep their version.
    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn put_sla_policy(
        &self,
        caller: &Caller,
        policy: SlaPolicyConfig,
    ) -> ApiResult<SlaPolicy> {
        caller.require(Role::Manager, "managers")?;
        policy.validate()?;
        let current = self.stored_policy().await?;
        let saved = SlaPolicy {
            version: current.version + 1,
            updated_at: Some(self.clock.now()),
            updated_by: Some(caller.id().to_string()),
            policy,
        };
        let condition = match current.version {
            0 => Condition::NotExists,
            version => Condition::Equals("version".into(), Value::n(i64::from(version))),
        };
        match self
            .table
            .write(vec![record_write(&policy_key(), &saved, Some(condition))?])
            .await
        {
            Ok(()) => {}
            Err(TableError::ConditionFailed { .. }) => {
                return Err(ApiError::conflict(
                    "the SLA policy was changed at the same time; reload it and retry",
                ));
            }
            Err(other) => return Err(other.into()),
        }
        *self.sla.write().unwrap_or_else(|p| p.into_inner()) = None;
        Ok(saved)
    }
}
