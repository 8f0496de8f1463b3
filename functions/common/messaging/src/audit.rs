//! The audit log: every moderator action lands here, written in the same transaction as
//! the action itself, as a create-once item. No route edits or deletes an entry, so the
//! log is append-only; moderators and managers read it by month (`GET /v1/admin/audit`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use super::{Page, PageRequest};
use crate::app::App;
use crate::error::ApiResult;
use domain::identity::{Access, Caller};
use domain::validate;
use store::keys::{audit_key, audit_partition};
use store::table::{Condition, Index, Query, WriteOp, from_item};
use store::{self, record_write};

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: String,
    pub at: DateTime<Utc>,
    pub actor: String,
    /// What was done: `held.released`, `user.blocked`, `safety_policy.saved`, ...
    pub action: String,
    /// What it was done to: `held:<id>`, `user:<id>`, `conversation:<id>`, ...
    pub target: String,
    #[schema(required = true)]
    pub detail: Option<String>,
}

impl App {
    /// The entry for an action, to write with it.
    pub(crate) fn audit(
        &self,
        caller: &Caller,
        action: &str,
        target: String,
        detail: Option<String>,
    ) -> anyhow::Result<WriteOp> {
        let at = self.clock.now();
        let entry = AuditEntry {
            id: self.ids.next(at),
            at,
            actor: caller.id().to_string(),
            action: action.to_string(),
            target,
            detail,
        };
        let key = audit_key(at, &entry.id);
        record_write(&key, &entry, Some(Condition::NotExists))
    }

    /// One month's entries, oldest first.
    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn audit_log(
        &self,
        caller: &Caller,
        month: Option<&str>,
        page: PageRequest,
    ) -> ApiResult<Page<AuditEntry>> {
        Access::Moderator.check(caller)?;
        let month = match month {
            Some(month) => {
                validate::month("month", month)?;
                month.to_string()
            }
            None => self.clock.now().format("%Y-%m").to_string(),
        };
        let query =
            Query::partition(Index::Table, audit_partition(&month)).start(page.cursor.map(|c| c.0));
        let (items, next) = store::page(self.table.as_ref(), query, page.limit).await?;
        let entries = items
            .into_iter()
            .map(|item| Ok(from_item(item)?))
            .collect::<ApiResult<_>>()?;
        Ok(Page::new(entries, next))
    }
}
