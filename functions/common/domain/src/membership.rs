//! Who may start which kind of conversation: membership rules managers edit, by
//! conversation type and (for support) category, naming the membership tiers allowed
//! (`custom:tier` in the token, e.g. verified or premium). Without a rule, everyone
//! signed in may.

use serde::{Deserialize, Serialize};

use super::{Category, ConversationType};
use crate::{Rejection, Result};

const MAX_RULES: usize = 100;
const MAX_TIER: usize = 50;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MembershipRule {
    #[serde(rename = "type")]
    pub kind: ConversationType,
    /// Support only; `None`: every category without a rule of its own.
    #[serde(default)]
    pub category: Option<Category>,
    /// The tiers that may start such a conversation (case-insensitive).
    #[schema(min_items = 1)]
    pub tiers: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MembershipRules {
    #[schema(max_items = 100)]
    pub rules: Vec<MembershipRule>,
}

impl MembershipRules {
    /// Whether someone of `tier` may start a conversation of `kind` and `category`; a
    /// refusal says what they need.
    pub fn check(
        &self,
        kind: ConversationType,
        category: Option<Category>,
        tier: Option<&str>,
    ) -> Result<()> {
        let rule = |category: Option<Category>| {
            self.rules
                .iter()
                .find(|r| r.kind == kind && r.category == category)
        };
        let Some(rule) = category.and_then(|c| rule(Some(c))).or_else(|| rule(None)) else {
            return Ok(());
        };
        let allowed =
            tier.is_some_and(|tier| rule.tiers.iter().any(|t| t.eq_ignore_ascii_case(tier)));
        if allowed {
            return Ok(());
        }
        let what = match (kind, category) {
            (ConversationType::Direct, _) => "Messaging sellers".to_string(),
            (ConversationType::Support, Some(category)) => format!(
                "Writing to SayPro about {}",
                serde_json::to_value(category)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default()
            ),
            (ConversationType::Support, None) => "Writing to SayPro".to_string(),
        };
        Err(Rejection::forbidden(format!(
            "{what} needs a {} membership{}",
            rule.tiers.join(" or "),
            match tier {
                Some(tier) => format!(" (yours is {tier})"),
                None => String::new(),
            }
        )))
    }

    pub fn validate(&self) -> Result<()> {
        if self.rules.len() > MAX_RULES {
            return Err(Rejection::invalid(format!("rules: at most {MAX_RULES}")));
        }
        for (n, rule) in self.rules.iter().enumerate() {
            if rule.tiers.is_empty() {
                return Err(Rejection::invalid(format!(
                    "rules[{n}].tiers: at least one (no rule lets everyone in)"
                )));
            }
            if rule.kind == ConversationType::Direct && rule.category.is_some() {
                return Err(Rejection::invalid(format!(
                    "rules[{n}].category: direct conversations have none"
                )));
            }
            if let Some(k) = rule
                .tiers
                .iter()
                .position(|t| t.trim().is_empty() || t.chars().count() > MAX_TIER)
            {
                return Err(Rejection::invalid(format!(
                    "rules[{n}].tiers[{k}]: 1 to {MAX_TIER} characters"
                )));
            }
            let same = self
                .rules
                .iter()
                .filter(|r| r.kind == rule.kind && r.category == rule.category)
                .count();
            if same > 1 {
                return Err(Rejection::invalid(format!(
                    "rules[{n}]: more than one rule for the same type and category"
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> MembershipRules {
        MembershipRules {
            rules: vec![
                MembershipRule {
                    kind: ConversationType::Direct,
                    category: None,
                    tiers: vec!["verified".into(), "premium".into()],
                },
                MembershipRule {
                    kind: ConversationType::Support,
                    category: Some(Category::Technical),
                    tiers: vec!["premium".into()],
                },
            ],
        }
    }

    #[test]
    fn a_rule_admits_its_tiers_and_tells_others_what_they_need() {
        let rules = rules();
        rules.validate().unwrap();
        assert!(
            rules
                .check(ConversationType::Direct, None, Some("Premium"))
                .is_ok()
        );
        let refused = rules
            .check(ConversationType::Direct, None, Some("basic"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            refused,
            "Messaging sellers needs a verified or premium membership (yours is basic)"
        );
        assert!(rules.check(ConversationType::Direct, None, None).is_err());
        assert!(
            rules
                .check(ConversationType::Support, Some(Category::General), None)
                .is_ok()
        );
        let refused = rules
            .check(ConversationType::Support, Some(Category::Technical), None)
            .unwrap_err()
            .to_string();
        assert_eq!(
            refused,
            "Writing to SayPro about technical needs a premium membership"
        );
    }

    #[test]
    fn an_invalid_rule_is_refused_naming_the_field() {
        let mut rules = rules();
        rules.rules[0].tiers.clear();
        assert!(
            rules
                .validate()
                .unwrap_err()
                .to_string()
                .starts_with("rules[0].tiers")
        );
        let mut rules = self::tests::rules();
        rules.rules[0].category = Some(Category::General);
        assert!(
            rules
                .validate()
                .unwrap_err()
                .to_string()
                .starts_with("rules[0].category")
        );
        let mut rules = self::tests::rules();
        rules.rules.push(rules.rules[1].clone());
        assert!(
            rules
                .validate()
                .unwrap_err()
                .to_string()
                .starts_with("rules[1]")
        );
    }
}
