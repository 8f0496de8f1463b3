//! The admin directory as the domain sees it: each admin's profile (from their token,
//! and what managers set), when they are on duty, and the entries of the team and role
//! lists that notifications and escalations go to.

use chrono::{DateTime, NaiveTime, Timelike, Utc};
use serde::{Deserialize, Serialize};

use crate::Contact;
use crate::identity::Team;

/// Open conversations an admin takes before automatic assignment passes them by.
pub const DEFAULT_CAPACITY: u32 = 20;

fn default_capacity() -> u32 {
    DEFAULT_CAPACITY
}

/// When an agent works, in South African time (every day).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkingHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl WorkingHours {
    fn contains(&self, now: DateTime<Utc>) -> bool {
        let local = now.with_timezone(&crate::HOME_TIME_ZONE).time();
        let local = NaiveTime::from_hms_opt(local.hour(), local.minute(), 0).unwrap_or(local);
        if self.start <= self.end {
            self.start <= local && local < self.end
        } else {
            local >= self.start || local < self.end
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = Agent)]
pub struct AgentProfile {
    pub id: String,
    #[serde(default)]
    #[schema(required = true)]
    pub contact: Contact,
    #[serde(default)]
    #[schema(required = true)]
    pub teams: Vec<Team>,
    #[serde(default)]
    #[schema(required = true)]
    pub roles: Vec<String>,
    #[serde(default = "default_capacity")]
    /// Most open conversations automatic assignment gives them
    #[schema(required = true)]
    pub capacity: u32,
    #[serde(default)]
    /// When they take new conversations; null: any time
    #[schema(required = true)]
    pub working_hours: Option<WorkingHours>,
    #[serde(default)]
    #[schema(required = true)]
    pub away: bool,
    /// Open and pending conversations assigned to them.
    #[serde(default)]
    #[schema(required = true)]
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

    /// May be given conversations of `team`: an admin of the team, or a senior or a
    /// manager (they work every team).
    pub fn may_work(&self, team: Option<Team>) -> bool {
        let has = |role: &str| self.roles.iter().any(|r| r == role);
        has("senior")
            || has("manager")
            || (has("agent") && team.is_some_and(|t| self.teams.contains(&t)))
    }

    /// Not away, and within working hours if they have any.
    pub fn on_duty(&self, now: DateTime<Utc>) -> bool {
        !self.away && self.working_hours.is_none_or(|h| h.contains(now))
    }
}

/// An admin in a team's directory (written from their token's claims).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Member {
    pub id: String,
    pub contact: Contact,
}

#[cfg(test)]
mod tests {
    use super::*;

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
