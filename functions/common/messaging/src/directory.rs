//! The admin directory: a profile per admin (name, teams, roles, email, phone from their
//! token; capacity, working hours and away flag set by managers), and each admin's count
//! of open conversations, kept in the same transaction as every change of assignee or
//! status, so automatic assignment reads one partition to choose. Capacity is checked
//! when choosing: two conversations arriving at the same instant may both go to an
//! agent with one place left.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use tracing::instrument;

use super::Page;
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use domain::directory::{AgentProfile, WorkingHours};
use domain::identity::{Caller, Role, Team};
use domain::{Conversation, Status, validate};
use store::keys::{DIRECTORY, profile_key};
use store::table::{Change, Condition, Index, Query, TableError, Value, WriteOp, from_item};

const MAX_CAPACITY: u32 = 500;
const MAX_AGENTS: usize = 1_000;

/// `PATCH /v1/admin/agents/{id}`: managers set any of these; an admin may set their own
/// `away`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentChanges {
    #[schema(maximum = 500)]
    pub capacity: Option<u32>,
    #[serde(default, deserialize_with = "super::admin::present")]
    /// When they take new conversations; null: any time
    pub working_hours: Option<Option<WorkingHours>>,
    pub away: Option<bool>,
}

/// Whether a conversation counts toward its assignee's load.
fn counts(conversation: &Conversation) -> Option<&str> {
    match conversation.status {
        Status::Open | Status::Pending => conversation.assignee.as_deref(),
        Status::Resolved | Status::Merged => None,
    }
}

fn load_change(user: &str, by: i64) -> WriteOp {
    WriteOp::Update {
        key: profile_key(user),
        changes: vec![
            Change::Set("id".into(), Value::s(user)),
            Change::Add("open_count".into(), by),
        ],
        condition: None,
    }
}

/// The writes that keep assignees' open counts right when a conversation goes from
/// `before` (`None`: new) to `after`.
pub(crate) fn load_changes(before: Option<&Conversation>, after: &Conversation) -> Vec<WriteOp> {
    load_changes_of(&[(before, after)])
}

/// As [`load_changes`], for several conversations changed in one transaction: one write
/// per assignee (a transaction touches an item once), with the net change.
pub(crate) fn load_changes_of(changes: &[(Option<&Conversation>, &Conversation)]) -> Vec<WriteOp> {
    let mut net: Vec<(&str, i64)> = Vec::new();
    for (before, after) in changes {
        let (was, is) = (before.and_then(counts), counts(after));
        if was == is {
            continue;
        }
        for (user, by) in [(was, -1), (is, 1)] {
            let Some(user) = user else { continue };
            match net.iter_mut().find(|(u, _)| *u == user) {
                Some((_, n)) => *n += by,
                None => net.push((user, by)),
            }
        }
    }
    net.into_iter()
        .filter(|(_, by)| *by != 0)
        .map(|(user, by)| load_change(user, by))
        .collect()
}

impl App {
    /// Every admin in the directory (one query of its index partition).
    pub async fn agents(&self) -> ApiResult<Vec<AgentProfile>> {
        let (items, _) = store::page(
            self.table.as_ref(),
            Query::partition(Index::Gsi1, DIRECTORY),
            MAX_AGENTS,
        )
        .await?;
        Ok(items
            .into_iter()
            .map(from_item::<AgentProfile>)
            .collect::<Result<_, _>>()?)
    }

    /// An admin's directory profile, if they are in the directory.
    pub(crate) async fn agent_profile(&self, user: &str) -> ApiResult<Option<AgentProfile>> {
        match self.table.get(&profile_key(user), true).await? {
            Some(item) => Ok(Some(from_item(item)?)),
            None => Ok(None),
        }
    }

    /// The available agent of `team` with the fewest open conversations (ties: by id).
    pub(crate) async fn least_loaded(
        &self,
        team: Team,
        now: DateTime<Utc>,
    ) -> ApiResult<Option<AgentProfile>> {
        let agents = self.agents().await?;
        Ok(agents
            .into_iter()
            .filter(|a| a.available(team, now))
            .min_by(|a, b| a.open_count.cmp(&b.open_count).then(a.id.cmp(&b.id))))
    }

    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn list_agents(
        &self,
        caller: &Caller,
        team: Option<Team>,
    ) -> ApiResult<Page<AgentProfile>> {
        caller.require_admin()?;
        let mut agents = self.agents().await?;
        agents.retain(|a| team.is_none_or(|t| a.teams.contains(&t)));
        Ok(Page::new(agents, None))
    }

    #[instrument(skip_all, fields(caller = caller.id(), agent = id))]
    pub async fn update_agent(
        &self,
        caller: &Caller,
        id: &str,
        changes: AgentChanges,
    ) -> ApiResult<AgentProfile> {
        caller.require_admin()?;
        validate::id("id", id)?;
        let manager = caller.has(Role::Manager);
        let own_away_flag =
            id == caller.id() && changes.capacity.is_none() && changes.working_hours.is_none();
        if !(manager || own_away_flag) {
            return Err(ApiError::forbidden(
                "managers edit profiles; an admin may only set their own away flag",
            ));
        }
        let mut set = Vec::new();
        if let Some(capacity) = changes.capacity {
            if capacity > MAX_CAPACITY {
                return Err(ApiError::invalid(format!(
                    "capacity: at most {MAX_CAPACITY}"
                )));
            }
            set.push(Change::Set(
                "capacity".into(),
                Value::n(i64::from(capacity)),
            ));
        }
        if let Some(hours) = changes.working_hours {
            let value = match hours {
                Some(hours) => store::table::to_item(&hours)
                    .map(Value::M)
                    .map_err(ApiError::Unexpected)?,
                None => Value::Null,
            };
            set.push(Change::Set("working_hours".into(), value));
        }
        if let Some(away) = changes.away {
            set.push(Change::Set("away".into(), Value::Bool(away)));
        }
        if set.is_empty() {
            return Err(ApiError::invalid(
                "body: give at least one of capacity, working_hours, away",
            ));
        }
        let write = WriteOp::Update {
            key: profile_key(id),
            changes: set,
            condition: Some(Condition::Exists),
        };
        match self.table.write(vec![write]).await {
            Ok(()) => {}
            Err(TableError::ConditionFailed { .. }) => return Err(ApiError::not_found("agent")),
            Err(other) => return Err(other.into()),
        }
        match self.table.get(&profile_key(id), true).await? {
            Some(item) => Ok(from_item(item)?),
            None => Err(ApiError::not_found("agent")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::ConversationType;

    #[test]
    fn assignee_and_status_changes_move_the_open_counts() {
        let open = |assignee: Option<&str>, status| Conversation {
            assignee: assignee.map(String::from),
            status,
            ..Conversation::sample(ConversationType::Support)
        };
        let keys = |writes: Vec<WriteOp>| -> Vec<(String, i64)> {
            writes
                .into_iter()
                .map(|w| match w {
                    WriteOp::Update { key, changes, .. } => {
                        let by = changes
                            .iter()
                            .find_map(|c| match c {
                                Change::Add(_, by) => Some(*by),
                                _ => None,
                            })
                            .unwrap();
                        (key.pk, by)
                    }
                    _ => panic!("an update"),
                })
                .collect()
        };
        let sam = open(Some("sam"), Status::Open);
        assert_eq!(keys(load_changes(None, &sam)), [("USER#sam".into(), 1)]);
        assert!(load_changes(Some(&sam), &open(Some("sam"), Status::Pending)).is_empty());
        assert_eq!(
            keys(load_changes(Some(&sam), &open(Some("bo"), Status::Open))),
            [("USER#sam".into(), -1), ("USER#bo".into(), 1)]
        );
        assert_eq!(
            keys(load_changes(
                Some(&sam),
                &open(Some("sam"), Status::Resolved)
            )),
            [("USER#sam".into(), -1)]
        );
    }
}
