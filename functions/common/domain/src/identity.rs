//! Who is calling: the claims of their token (from API Gateway's JWT authorizer on Lambda,
//! or an HS256 token verified by the dev server), and the roles and teams its
//! `cognito:groups` give.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Rejection, Result};

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
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
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
    /// The caller whose token carries `claims`, once they are checked
    /// ([`Claims::checked`]); a refusal is the API's 401.
    pub fn new(claims: Claims) -> Result<Self> {
        let claims = claims.checked()?;
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
        Ok(Self {
            claims,
            roles,
            teams,
        })
    }

    pub fn id(&self) -> &str {
        &self.claims.sub
    }

    /// How to reach the caller, from their token.
    pub fn contact(&self) -> crate::Contact {
        crate::Contact {
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

    pub fn require_admin(&self) -> Result<()> {
        Access::Admin.check(self)
    }

    /// Users, and staff writing as themselves, take part in conversations; the website's
    /// backend does not.
    pub fn require_person(&self) -> Result<()> {
        Access::Person.check(self)
    }
}

/// Who a route (or a socket action) is for: checked from the caller's groups alone,
/// before anything of the request is read. Which objects they may touch is the
/// operation's to decide (a 404 for what is not theirs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone signed in.
    SignedIn,
    /// People taking part in conversations: anyone but the website's backend.
    Person,
    /// Users (not admins, not the website): the NPS question.
    User,
    /// Agents, seniors and managers.
    Admin,
    /// Seniors and managers.
    Supervisor,
    Manager,
    /// Moderators and managers.
    Moderator,
    /// Admins and moderators (search: support conversations, or buyer–seller threads).
    AdminOrModerator,
    /// Finance and managers.
    FinanceOrManager,
    /// The website's own backend.
    Service,
}

impl Access {
    pub fn admits(self, caller: &Caller) -> bool {
        let has = |role| caller.has(role);
        match self {
            Access::SignedIn => true,
            Access::Person => !has(Role::Service),
            Access::User => !caller.is_admin() && !has(Role::Service),
            Access::Admin => caller.is_admin(),
            Access::Supervisor => has(Role::Senior) || has(Role::Manager),
            Access::Manager => has(Role::Manager),
            Access::Moderator => has(Role::Moderator) || has(Role::Manager),
            Access::AdminOrModerator => caller.is_admin() || has(Role::Moderator),
            Access::FinanceOrManager => has(Role::Finance) || has(Role::Manager),
            Access::Service => has(Role::Service),
        }
    }

    /// Who that is, as the API document says it.
    pub fn audience(self) -> &'static str {
        match self {
            Access::SignedIn => "anyone signed in",
            Access::Person => "anyone signed in but the website's backend",
            Access::User => "users (not admins, not the website's backend)",
            Access::Admin => "admins (groups agent, senior or manager)",
            Access::Supervisor => "seniors and managers",
            Access::Manager => "managers",
            Access::Moderator => "moderators and managers",
            Access::AdminOrModerator => "admins and moderators",
            Access::FinanceOrManager => "finance and managers",
            Access::Service => "the website's backend (group service)",
        }
    }

    /// Why someone else is refused, as the 403 says it.
    pub fn refusal(self) -> &'static str {
        match self {
            Access::SignedIn => "this route needs a signed-in caller",
            Access::Person => "the service role cannot take part in conversations",
            Access::User => "this route is for users",
            Access::Admin => "this route is for admins (groups agent, senior or manager)",
            Access::Supervisor => "this route is for seniors and managers",
            Access::Manager => "this route is for managers",
            Access::Moderator => "this route is for moderators and managers",
            Access::AdminOrModerator => "this route is for admins and moderators",
            Access::FinanceOrManager => "this route is for finance and managers",
            Access::Service => "this route is for the website's backend (group service)",
        }
    }

    pub fn check(self, caller: &Caller) -> Result<()> {
        if self.admits(caller) {
            Ok(())
        } else {
            Err(Rejection::forbidden(self.refusal()))
        }
    }
}

/// The claims the website's tokens carry (Cognito's names).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Claims {
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Issued at, and not before (Unix seconds): checked when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(
        rename = "cognito:groups",
        default,
        with = "groups",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub groups: Vec<String>,
    #[serde(
        rename = "custom:tier",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub tier: Option<String>,
    /// When the account was created on the website (`custom:joined_at`: Unix seconds or
    /// RFC 3339); new accounts get tighter rate limits.
    #[serde(
        rename = "custom:joined_at",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub joined_at: Option<String>,
}

impl Claims {
    /// The claims this system uses, checked once, where the caller is built: `sub` by
    /// the rule for ids (it becomes part of table and object keys: `uploads/<sub>/`
    /// cannot then be a prefix of another user's files), `email` an address, `name` one
    /// line, `phone_number` E.164, `custom:tier` an id and `custom:joined_at` a time.
    /// Normalised as the same fields are when the website syncs a user.
    pub fn checked(mut self) -> Result<Claims> {
        self.sub = crate::validate::id("sub", &self.sub)?;
        self.email = self
            .email
            .map(|e| crate::validate::email("email", &e))
            .transpose()?;
        self.name = self
            .name
            .map(|n| crate::validate::line("name", &n, 200))
            .transpose()?;
        self.phone_number = self
            .phone_number
            .map(|p| crate::validate::phone("phone_number", &p))
            .transpose()?;
        if let Some(tier) = &self.tier {
            crate::validate::id("custom:tier", tier)?;
        }
        if self.joined_at.is_some() && self.joined_at().is_none() {
            return Err(Rejection::invalid(
                "custom:joined_at: Unix seconds or an RFC 3339 time",
            ));
        }
        Ok(self)
    }

    pub fn joined_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let text = self.joined_at.as_deref()?.trim();
        match text.parse::<i64>() {
            Ok(seconds) => chrono::DateTime::from_timestamp(seconds, 0),
            Err(_) => chrono::DateTime::parse_from_rfc3339(text)
                .ok()
                .map(|t| t.with_timezone(&chrono::Utc)),
        }
    }

    /// Claims as API Gateway's JWT authorizer hands them over: every value a string,
    /// `cognito:groups` flattened to `[a b]`.
    pub fn from_authorizer(claims: &HashMap<String, String>) -> Option<Claims> {
        let get = |name: &str| claims.get(name).filter(|v| !v.is_empty()).cloned();
        Some(Claims {
            sub: get("sub")?,
            exp: get("exp").and_then(|e| e.parse().ok()),
            iat: get("iat").and_then(|e| e.parse().ok()),
            nbf: get("nbf").and_then(|e| e.parse().ok()),
            email: get("email"),
            name: get("name"),
            phone_number: get("phone_number"),
            groups: get("cognito:groups")
                .map(|g| groups::parse_flat(&g))
                .unwrap_or_default(),
            tier: get("custom:tier"),
            joined_at: get("custom:joined_at"),
        })
    }
}

/// `cognito:groups` is a JSON array in a token, but a string like `[a b]` (or `a,b`)
/// once API Gateway has flattened it: accept every form.
mod groups {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn parse_flat(text: &str) -> Vec<String> {
        text.trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .split(|c: char| c.is_whitespace() || c == ',')
            .map(|g| g.trim_matches('"'))
            .filter(|g| !g.is_empty())
            .map(str::to_string)
            .collect()
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Groups {
        List(Vec<String>),
        Flat(String),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        Ok(match Groups::deserialize(d)? {
            Groups::List(list) => list,
            Groups::Flat(text) => parse_flat(&text),
        })
    }

    pub fn serialize<S: Serializer>(groups: &[String], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(groups)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_arrive_as_a_list_or_as_api_gateways_flattened_string() {
        let from_token: Claims =
            serde_json::from_str(r#"{"sub":"u","cognito:groups":["agent","team-billing"]}"#)
                .unwrap();
        let flattened = Claims::from_authorizer(&HashMap::from([
            ("sub".to_string(), "u".to_string()),
            (
                "cognito:groups".to_string(),
                "[agent team-billing]".to_string(),
            ),
        ]))
        .unwrap();
        assert_eq!(from_token.groups, vec!["agent", "team-billing"]);
        assert_eq!(flattened.groups, from_token.groups);
        assert_eq!(groups::parse_flat("agent,senior"), vec!["agent", "senior"]);
        assert!(groups::parse_flat("[]").is_empty());
    }

    #[test]
    fn a_caller_is_built_only_from_claims_that_hold() {
        let claims = |json: serde_json::Value| serde_json::from_value::<Claims>(json).unwrap();
        let caller = Caller::new(claims(serde_json::json!({
            "sub": "thandi", "email": " thandi@example.co.za ", "phone_number": "+27821234567",
            "name": "Thandi", "custom:joined_at": "1767225600"
        })))
        .unwrap();
        assert_eq!(caller.claims.email.as_deref(), Some("thandi@example.co.za"));
        for (sub, field) in [
            ("../x", "sub:"),
            ("a#b", "sub:"),
            ("USER#thandi", "sub:"),
            ("eve/x", "sub:"),
            ("", "sub:"),
            ("line\nbreak", "sub:"),
            ("rtl\u{202E}override", "sub:"),
        ] {
            let refused = Caller::new(claims(serde_json::json!({"sub": sub}))).unwrap_err();
            assert!(refused.to_string().starts_with(field), "{sub:?}: {refused}");
        }
        let long = "a".repeat(5_000);
        assert!(Caller::new(claims(serde_json::json!({"sub": long}))).is_err());
        for (claim, value) in [
            ("email", "thandi@example.com\r\nBcc: evil@x.test"),
            ("name", "Thandi\r\nBcc: evil@x.test"),
            ("phone_number", "0821234567"),
            ("custom:tier", "gold#1"),
            ("custom:joined_at", "last week"),
        ] {
            let refused =
                Caller::new(claims(serde_json::json!({"sub": "u", claim: value}))).unwrap_err();
            assert!(refused.to_string().starts_with(claim), "{claim}: {refused}");
        }
    }
}
