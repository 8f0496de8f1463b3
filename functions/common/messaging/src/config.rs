//! Configuration managers edit (the SLA policy, routing and membership rules): one
//! versioned item each under `CONFIG#<kind>/CURRENT`. A save writes the next version
//! conditioned on the one it replaces, so two managers saving at once cannot silently
//! overwrite each other. Functions keep what they read for a minute.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use std::sync::Arc;

use crate::app::{App, Cached};
use crate::error::{ApiError, ApiResult};
use domain::identity::{Caller, Role};
use store::record_write;
use store::table::{Condition, Key, Table, TableError, Value, WriteOp, from_item};

/// A configuration with its version, as stored and as its `GET` route shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Versioned<T> {
    /// 0 for the built-in default (never saved).
    pub version: u32,
    pub updated_at: Option<DateTime<Utc>>,
    pub updated_by: Option<String>,
    pub policy: T,
}

pub(crate) fn config_key(kind: &str) -> Key {
    Key::new(format!("CONFIG#{kind}"), "CURRENT")
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

/// Saves `policy` of `kind` as the version after `current` (a save racing another is a
/// 409 that names `what`), with the writes that go `with` it (an audit entry).
pub(crate) async fn save<T: Serialize>(
    table: &dyn Table,
    (kind, what): (&str, &str),
    current: u32,
    policy: T,
    caller: &Caller,
    now: DateTime<Utc>,
    with: Vec<WriteOp>,
) -> ApiResult<Versioned<T>> {
    let saved = Versioned {
        version: current + 1,
        updated_at: Some(now),
        updated_by: Some(caller.id().to_string()),
        policy,
    };
    let condition = match current {
        0 => Condition::NotExists,
        version => Condition::Equals("version".into(), Value::n(i64::from(version))),
    };
    let mut writes = vec![record_write(&config_key(kind), &saved, Some(condition))?];
    writes.extend(with);
    match table.write(writes).await {
        Ok(()) => Ok(saved),
        Err(TableError::ConditionFailed { index: 0 }) => Err(ApiError::conflict(format!(
            "the {what} was changed at the same time; reload it and retry"
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
        value: T,
    ) -> ApiResult<Versioned<T>> {
        caller.require(Role::Manager, "managers")?;
        value.validate()?;
        let current = self.stored_setting::<T>(caller).await?;
        let saved = save(
            self.table.as_ref(),
            (T::KIND, T::LABEL),
            current.version,
            value,
            caller,
            self.clock.now(),
            Vec::new(),
        )
        .await?;
        T::cache(self).clear();
        Ok(saved)
    }
}
