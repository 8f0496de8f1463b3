//! Configuration managers edit (the SLA policy, routing, membership and automation rules,
//! the safety policy): one versioned item each under `CONFIG#<kind>/CURRENT`. What `GET`
//! shows is what `PUT` takes back: its `version` names the version the edit replaces,
//! and the save is conditioned on it, so of two managers editing the same version one
//! wins and the other gets a 409 (nothing is lost silently). Functions keep what they
//! read for a minute.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use std::sync::Arc;

use crate::app::{App, Cached};
use crate::error::{ApiError, ApiResult};
use domain::identity::{Access, Caller};
use store::keys::config_key;
use store::record_write;
use store::table::{Condition, Table, TableError, Value, WriteOp, from_item};

/// A configuration with its version, as stored and as its `GET` route shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Versioned<T> {
    /// 0 for the built-in default (never saved).
    pub version: u32,
    #[schema(required = true)]
    pub updated_at: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub updated_by: Option<String>,
    pub policy: T,
}

/// A save: the document as its `GET` showed it, `version` naming the version replaced
/// (0: the built-in default). `updated_at` and `updated_by` may be sent back; the save
/// sets them.
#[derive(Debug, Clone, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Replacement<T> {
    /// The version this edit replaces, as the `GET` returned it (0: the built-in default).
    pub version: u32,
    pub policy: T,
    /// Ignored: the save sets it.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    /// Ignored: the save sets it.
    #[serde(default)]
    pub updated_by: Option<String>,
}

impl<T> Replacement<T> {
    /// The edit of `version` (tests and demo data).
    pub fn of(version: u32, policy: T) -> Self {
        Self {
            version,
            policy,
            updated_at: None,
            updated_by: None,
        }
    }
}

/// The saved configuration of `kind`, or version 0 of `default`.
pub(crate) async fn read<T: DeserializeOwned>(
    table: &dyn Table,
    kind: &str,
    default: impl FnOnce() -> T,
) -> ApiResult<Versioned<T>> {
    Ok(match table.get(&config_key(kind), true).await? {
        Some(item) => from_item(item)?,
        None => Versioned {
            version: 0,
            updated_at: None,
            updated_by: None,
            policy: default(),
        },
    })
}

/// Saves an edit of `kind` as the version after the one it replaces (if another save
/// came first, a 409 that names `what`), with the writes that go `with` it (an audit
/// entry).
pub(crate) async fn save<T: Serialize>(
    table: &dyn Table,
    (kind, what): (&str, &str),
    edit: Replacement<T>,
    (caller, now): (&Caller, DateTime<Utc>),
    with: Vec<WriteOp>,
) -> ApiResult<Versioned<T>> {
    let (replaces, policy) = (edit.version, edit.policy);
    let saved = Versioned {
        version: replaces + 1,
        updated_at: Some(now),
        updated_by: Some(caller.id().to_string()),
        policy,
    };
    let condition = match replaces {
        0 => Condition::NotExists,
        version => Condition::Equals("version".into(), Value::n(i64::from(version))),
    };
    let mut writes = vec![record_write(&config_key(kind), &saved, Some(condition))?];
    writes.extend(with);
    match table.write(writes).await {
        Ok(()) => Ok(saved),
        Err(TableError::ConditionFailed { index: 0 }) => Err(ApiError::conflict(format!(
            "the {what} is no longer version {replaces}: someone saved it meanwhile; reload it, \
             redo your change and save again"
        ))),
        Err(other) => Err(other.into()),
    }
}

/// A kind of configuration managers edit, with its built-in default.
pub(crate) trait Setting:
    Serialize + DeserializeOwned + Default + Send + Sync + 'static
{
    /// The key's kind: `CONFIG#<KIND>/CURRENT`.
    const KIND: &'static str;
    /// How errors name it.
    const LABEL: &'static str;
    fn validate(&self) -> ApiResult<()>;
    /// This instance's copy.
    fn cache(app: &App) -> &Cached<Versioned<Self>>;
}

impl App {
    /// The version in force (cached for a minute).
    pub(crate) async fn setting<T: Setting>(&self) -> ApiResult<Arc<Versioned<T>>> {
        if let Some(value) = T::cache(self).fresh() {
            return Ok(value);
        }
        let value = Arc::new(read(self.table.as_ref(), T::KIND, T::default).await?);
        T::cache(self).keep(value.clone());
        Ok(value)
    }

    /// The stored version, read now (what `GET` shows and a save builds on).
    pub(crate) async fn stored_setting<T: Setting>(
        &self,
        caller: &Caller,
    ) -> ApiResult<Versioned<T>> {
        caller.require_admin()?;
        read(self.table.as_ref(), T::KIND, T::default).await
    }

    /// Managers save the next version; it applies from now on.
    pub(crate) async fn save_setting<T: Setting>(
        &self,
        caller: &Caller,
        edit: Replacement<T>,
    ) -> ApiResult<Versioned<T>> {
        Access::Manager.check(caller)?;
        edit.policy.validate()?;
        let now = self.clock.now();
        let saved = save(
            self.table.as_ref(),
            (T::KIND, T::LABEL),
            edit,
            (caller, now),
            vec![],
        )
        .await?;
        T::cache(self).clear();
        Ok(saved)
    }
}
