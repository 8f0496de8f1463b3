//! Which team answers a support conversation, and how urgent it is: routing rules
//! managers edit (category, and optionally keywords, the listing's category and the
//! user's tier → team and priority), tried in order; the built-in defaults after them.

use serde::{Deserialize, Serialize};

use super::{Category, Priority};
use crate::identity::Team;
use crate::{Rejection, Result};

const MAX_RULES: usize = 200;
const MAX_KEYWORDS: usize = 50;
const MAX_TEXT: usize = 100;

/// The built-in team of a category: general, complaint and account → support,
/// payment → billing, technical → technical.
fn default_team(category: Category) -> Team {
    match category {
        Category::General | Category::Complaint | Category::Account => Team::Support,
        Category::Payment => Team::Billing,
        Category::Technical => Team::Technical,
    }
}

/// Payment problems and account access are urgent unless the caller says otherwise.
fn default_priority(category: Category) -> Priority {
    match category {
        Category::Payment | Category::Account => Priority::Urgent,
        _ => Priority::Normal,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoutingRule {
    pub category: Category,
    /// Any of these words in the subject or first message (case-insensitive); empty:
    /// any text.
    #[serde(default)]
    #[schema(max_items = 50)]
    pub keywords: Vec<String>,
    /// The category of the listing the conversation is about (the website's own).
    #[serde(default)]
    pub listing_category: Option<String>,
    /// The user's membership tier (`custom:tier`, e.g. premium).
    #[serde(default)]
    pub user_tier: Option<String>,
    pub team: Team,
    /// `None`: the category's default priority.
    #[serde(default)]
    pub priority: Option<Priority>,
}

/// The rules as managers write them (`PUT /v1/admin/routing-rules`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoutingRules {
    /// Tried in order; the first match wins; then the defaults (general, complaint, account → support; payment → billing; technical → technical; payment and account urgent)
    #[schema(max_items = 200)]
    pub rules: Vec<RoutingRule>,
    /// Teams whose new conversations go straight to the available agent with the fewest
    /// open ones; others wait in the team queue for someone to claim them.
    #[serde(default)]
    pub auto_assign: Vec<Team>,
}

/// What is known of a conversation when it is routed.
#[derive(Debug, Clone, Copy)]
pub struct RoutingInput<'a> {
    pub category: Category,
    /// Subject and first message.
    pub text: &'a str,
    pub listing_category: Option<&'a str>,
    pub user_tier: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub team: Team,
    pub priority: Priority,
}

impl RoutingRule {
    fn matches(&self, input: &RoutingInput) -> bool {
        let text = input.text.to_lowercase();
        let same = |want: &Option<String>, have: Option<&str>| {
            want.as_deref()
                .is_none_or(|want| have.is_some_and(|have| have.eq_ignore_ascii_case(want)))
        };
        self.category == input.category
            && (self.keywords.is_empty()
                || self
                    .keywords
                    .iter()
                    .any(|k| text.contains(&k.to_lowercase())))
            && same(&self.listing_category, input.listing_category)
            && same(&self.user_tier, input.user_tier)
    }
}

impl RoutingRules {
    /// The first matching rule's team and priority, else the category's defaults.
    pub fn route(&self, input: &RoutingInput) -> Route {
        let default = Route {
            team: default_team(input.category),
            priority: default_priority(input.category),
        };
        match self.rules.iter().find(|rule| rule.matches(input)) {
            Some(rule) => Route {
                team: rule.team,
                priority: rule.priority.unwrap_or(default.priority),
            },
            None => default,
        }
    }

    /// Whether any rule looks at the listing's category (so routing needs the listing).
    pub fn uses_listing_category(&self) -> bool {
        self.rules.iter().any(|r| r.listing_category.is_some())
    }

    pub fn validate(&self) -> Result<()> {
        if self.rules.len() > MAX_RULES {
            return Err(Rejection::invalid(format!("rules: at most {MAX_RULES}")));
        }
        for (n, rule) in self.rules.iter().enumerate() {
            if rule.keywords.len() > MAX_KEYWORDS {
                return Err(Rejection::invalid(format!(
                    "rules[{n}].keywords: at most {MAX_KEYWORDS}"
                )));
            }
            for (k, keyword) in rule.keywords.iter().enumerate() {
                let length = keyword.trim().chars().count();
                if length == 0 || length > MAX_TEXT {
                    return Err(Rejection::invalid(format!(
                        "rules[{n}].keywords[{k}]: 1 to {MAX_TEXT} characters"
                    )));
                }
            }
            for (field, value) in [
                ("listing_category", &rule.listing_category),
                ("user_tier", &rule.user_tier),
            ] {
                if value
                    .as_deref()
                    .is_some_and(|v| v.trim().is_empty() || v.chars().count() > MAX_TEXT)
                {
                    return Err(Rejection::invalid(format!(
                        "rules[{n}].{field}: 1 to {MAX_TEXT} characters"
                    )));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(category: Category, text: &'a str, tier: Option<&'a str>) -> RoutingInput<'a> {
        RoutingInput {
            category,
            text,
            listing_category: Some("vehicles"),
            user_tier: tier,
        }
    }

    fn rule(category: Category, team: Team) -> RoutingRule {
        RoutingRule {
            category,
            keywords: Vec::new(),
            listing_category: None,
            user_tier: None,
            team,
            priority: None,
        }
    }

    #[test]
    fn without_rules_each_category_goes_to_its_default_team() {
        let rules = RoutingRules::default();
        let route = |category| rules.route(&input(category, "", None));
        assert_eq!(route(Category::General).team, Team::Support);
        assert_eq!(route(Category::Complaint).team, Team::Support);
        assert_eq!(
            route(Category::Payment),
            Route {
                team: Team::Billing,
                priority: Priority::Urgent
            }
        );
        assert_eq!(route(Category::Technical).team, Team::Technical);
        assert_eq!(
            route(Category::Account),
            Route {
                team: Team::Support,
                priority: Priority::Urgent
            }
        );
    }

    #[test]
    fn the_first_matching_rule_wins_on_keywords_tier_and_listing_category() {
        let rules = RoutingRules {
            rules: vec![
                RoutingRule {
                    keywords: vec!["Invoice".into(), "VAT".into()],
                    priority: Some(Priority::Normal),
                    ..rule(Category::General, Team::Billing)
                },
                RoutingRule {
                    user_tier: Some("premium".into()),
                    priority: Some(Priority::Urgent),
                    ..rule(Category::General, Team::Sales)
                },
                RoutingRule {
                    listing_category: Some("Vehicles".into()),
                    ..rule(Category::Technical, Team::Support)
                },
            ],
            auto_assign: Vec::new(),
        };
        rules.validate().unwrap();
        assert_eq!(
            rules.route(&input(
                Category::General,
                "Where is my vat invoice?",
                Some("premium")
            )),
            Route {
                team: Team::Billing,
                priority: Priority::Normal
            }
        );
        assert_eq!(
            rules.route(&input(Category::General, "hello", Some("Premium"))),
            Route {
                team: Team::Sales,
                priority: Priority::Urgent
            }
        );
        assert_eq!(
            rules.route(&input(Category::General, "hello", None)).team,
            Team::Support
        );
        assert_eq!(
            rules
                .route(&input(Category::Technical, "photos", None))
                .team,
            Team::Support
        );
        assert!(rules.uses_listing_category());
    }

    #[test]
    fn an_invalid_rule_is_refused_naming_the_field() {
        let rules = RoutingRules {
            rules: vec![RoutingRule {
                keywords: vec![" ".into()],
                ..rule(Category::General, Team::Sales)
            }],
            auto_assign: Vec::new(),
        };
        let message = rules.validate().unwrap_err().to_string();
        assert!(message.starts_with("rules[0].keywords[0]"), "{message}");
    }
}
