//! Who is calling: claims from API Gateway's JWT authorizer on Lambda, or from an HS256
//! token verified here in local mode; the same [`Claims`] either way.

pub mod jwt;
mod roles;

pub use roles::{Caller, Role, Team};

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// The claims the website's tokens carry (Cognito's names).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
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
}
