//! Roles and teams from `cognito:groups`, and the role checks routes make.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Claims;
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Agent,
    Senior,
    Manager,
    Moderator,
    /// Reads what the system costs (`GET /v1/admin/costs/{month}`).
    Finance,
    /// The website's own backend.
    Service,
}

impl Role {
    const ALL: [Role; 6] = [
        Role::Agent,
        Role::Senior,
        Role::Manager,
        Role::Moderator,
        Role::Finance,
        Role::Service,
    ];

    /// The `cognito:groups` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Senior => "senior",
            Role::Manager => "manager",
            Role::Moderator => "moderator",
            Role::Finance => "finance",
            Role::Service => "service",
        }
    }

    fn from_group(group: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == group)
    }
}

/// The admin teams a support conversation is routed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Team {
    Support,
    Sales,
    Technical,
    Billing,
}

impl Team {
    pub const ALL: [Team; 4] = [Team::Support, Team::Sales, Team::Technical, Team::Billing];

    pub fn as_str(self) -> &'static str {
        match self {
            Team::Support => "support",
            Team::Sales => "sales",
            Team::Technical => "technical",
            Team::Billing => "billing",
        }
    }

    fn from_group(group: &str) -> Option<Team> {
        Team::ALL
            .into_iter()
            .find(|t| group.strip_prefix("team-") == Some(t.as_str()))
    }
}

impl fmt::Display for Team {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The authenticated caller: their claims, and the roles and teams their groups give.
#[derive(Debug, Clone)]
pub struct Caller {
    pub claims: Claims,
    roles: Vec<Role>,
    teams: Vec<Team>,
}

impl Caller {
    pub fn new(claims: Claims) -> Self {
        let roles = claims
            .groups
            .iter()
            .filter_map(|g| Role::from_group(g))
            .collect();
        let teams = claims
            .groups
            .iter()
            .filter_map(|g| Team::from_group(g))
            .collect();
        Self {
            claims,
            roles,
            teams,
        }
    }

    pub fn id(&self) -> &str {
        &self.claims.sub
    }

    /// How to reach the caller, from their token.
    pub fn contact(&self) -> crate::domain::Contact {
        crate::domain::Contact {
            name: self.claims.name.clone(),
            email: self.claims.email.clone(),
            phone: self.claims.phone_number.clone(),
        }
    }

    /// The caller's roles, from their groups.
    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    /// The teams the caller's groups name (seniors and managers work others too).
    pub fn teams(&self) -> &[Team] {
        &self.teams
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Agents, seniors and managers answer users.
    pub fn is_admin(&self) -> bool {
        [Role::Agent, Role::Senior, Role::Manager]
            .iter()
            .any(|r| self.has(*r))
    }

    /// Seniors and managers work every team's queue; agents only their own teams'.
    pub fn works_all_teams(&self) -> bool {
        self.has(Role::Senior) || self.has(Role::Manager)
    }

    pub fn works_team(&self, team: Team) -> bool {
        self.works_all_teams() || self.teams.contains(&team)
    }

    /// The teams whose queues this admin sees.
    pub fn queue_teams(&self) -> Vec<Team> {
        if self.works_all_teams() {
            Team::ALL.to_vec()
        } else {
            self.teams.clone()
        }
    }

    pub fn require_admin(&self) -> ApiResult<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "this route is for admins (groups agent, senior or manager)",
            ))
        }
    }

    pub fn require(&self, role: Role, route_for: &str) -> ApiResult<()> {
        if self.has(role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "this route is for {route_for}"
            )))
        }
    }

    /// Users, and staff writing as themselves, take part in conversations; the website's
    /// backend does not.
    pub fn require_person(&self) -> ApiResult<()> {
        if self.has(Role::Service) {
            Err(ApiError::forbidden(
                "the service role cannot take part in conversations",
            ))
        } else {
            Ok(())
        }
    }
}
