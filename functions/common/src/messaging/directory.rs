//! The admin directory: a profile per admin (name, teams, roles, email, phone from their
//! token; capacity, working hours and away flag set by managers), and each admin's count
//! of open conversations, kept in the same transaction as every change of assignee or
//! status, so automatic assignment reads one partition to choose. Capacity is checked
//! when choosing: two conversations arriving at the same instant may both go to an
//! agent with one place left.

use chrono::{DateTime, NaiveTime, Timelike, Utc};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use super::Page;
use crate::app::App;
use crate::auth::{Caller, Role, Team};
use crate::domain::{Contact, Conversation, Status, validate};
use crate::error::{ApiError, ApiResult};
use crate::store;
use crate::table::{Change, Condition, Index, Key, Query, TableError, Value, WriteOp, from_item};

/// The directory's index partition (gsi1): every admin profile, by id.
pub(crate) const DIRECTORY: &str = "AGENTS";
const DEFAULT_CAPACITY: u32 = 20;
const MAX_CAPACITY: u32 = 500;
const MAX_AGENTS: usize = 1_000;

pub(crate) fn profile_key(user: &str) -> Key {
    Key::new(format!("USER#{user}"), "PROFILE")
}

fn default_capacity() -> u32 {
    DEFAULT_CAPACITY
}

/// When an agent works, in South African time (every day).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkingHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl WorkingHours {
    fn contains(&self, now: DateTime<Utc>) -> bool {
        let local = now.with_timezone(&chrono_tz::Africa::Johannesburg).time();
        let local = NaiveTime::from_hms_opt(local.hour(), local.minute(), 0).unwrap_or(local);
        if self.start <= self.end {
            self.start <= local && local < self.end
        } else {
            local >= self.start || local < self.end
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentProfile {
    pub id: String,
    #[serde(default)]
    pub contact: Contact,
    #[serde(default)]
    pub teams: Vec<Team>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default = "default_capacity")]
    pub capacity: u32,
    #[serde(default)]
    pub working_hours: Option<WorkingHours>,
    #[serde(default)]
    pub away: bool,
    /// Open and pending conversations assigned to them.
    #[serde(default)]
    pub open_count: i64,
}

impl AgentProfile {
    /// May get a new conversation now: in the team, not away, within working hours and
    /// below capacity.
    pub fn available(&self, team: Team, now: DateTime<Utc>) -> bool {
        self.teams.contains(&team)
            && self.on_duty(now)
            && self.open_count < i64::from(self.capacity)
    }

    /// Not away, and within working hours if they have any.
    pub fn on_duty(&self, now: DateTime<Utc>) -> bool {
        !self.away && self.working_hours.is_none_or(|h| h.contains(now))
    }
}

/// `PATCH /v1/admin/agents/{id}`: managers set any of these; an admin may set their own
/// `away`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentChanges {
    pub capacity: Option<u32>,
    #[serde(default, deserialize_with = "super::admin::present")]
    pub working_hours: Option<Option<WorkingHours>>,
    pub away: Option<bool>,
}

/// Whether a conversation counts toward its assignee's load.
fn counts(conversation: &Conversation) -> Option<&str> {
    match conversation.status {
        Status::Open | Status::Pending => conversation.assignee.as_deref(),
        Status::Resolved => None,
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
    let (was, is) = (before.and_then(counts), counts(after));
    if was == is {
        return Vec::new();
    }
    was.map(|user| load_change(user, -1))
        .into_iter()
        .chain(is.map(|user| load_change(user, 1)))
        .collect()
}

impl App {
    /// Every admin in the directory (one query of its index partition).
    pub(crate) async fn agents(&self) -> ApiResult<Vec<AgentProfile>> {
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
                Some(hours) => crate::table::to_item(&hours)
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
    use crate::domain::ConversationType;

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

    #[test]
    fn an_agent_is_available_in_their_team_when_not_away_within_hours_and_capacity() {
        let now = DateTime::parse_from_rfc3339("2026-11-24T07:00:00Z")
            .unwrap()
            .with_timezone(&Utc); // 09:00 in Johannesburg
        let agent = AgentProfile {
            id: "sam".into(),
            contact: Contact::default(),
            teams: vec![Team::Support],
            roles: vec!["agent".into()],
            capacity: 2,
            working_hours: None,
            away: false,
            open_count: 1,
        };
        assert!(agent.available(Team::Support, now));
        assert!(!agent.available(Team::Billing, now));
        assert!(
            !AgentProfile {
                away: true,
                ..agent.clone()
            }
            .available(Team::Support, now)
        );
        assert!(
            !AgentProfile {
                open_count: 2,
                ..agent.clone()
            }
            .available(Team::Support, now)
        );
        let hours = |start: u32, end: u32| {
            Some(WorkingHours {
                start: NaiveTime::from_hms_opt(start, 0, 0).unwrap(),
                end: NaiveTime::from_hms_opt(end, 0, 0).unwrap(),
            })
        };
        assert!(
            AgentProfile {
                working_hours: hours(8, 17),
                ..agent.clone()
            }
            .available(Team::Support, now)
        );
        assert!(
            !AgentProfile {
                working_hours: hours(10, 18),
                ..agent.clone()
            }
            .available(Team::Support, now)
        );
        assert!(
            AgentProfile {
                working_hours: hours(22, 10),
                ..agent
            }
            .available(Team::Support, now)
        );
    }
}
