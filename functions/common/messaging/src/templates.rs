//! Reply templates: admins create, edit, delete, list (by team or category) and preview
//! them, and reply with one (`template_id` + `variables`). Stored under
//! `CONFIG#template/<id>`; each use is counted on the template in the reply's own
//! transaction.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use super::{Created, Idempotency, Page};
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use domain::identity::{Caller, Role, Team};
use domain::template::{self, is_known};
use domain::{Category, Conversation, Listing, validate};
use store::keys::{TEMPLATES, template_key};
use store::table::{Change, Condition, Index, Query, TableError, Value, WriteOp, from_item};
use store::{self, listing_key, record_write};

/// Templates are a team's short list: a list returns them all, up to this many.
const MAX_TEMPLATES: usize = 1_000;
const NAME_MAX_CHARS: usize = 100;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Template {
    pub id: String,
    pub name: String,
    /// `None`: for every team.
    #[schema(required = true)]
    pub team: Option<Team>,
    #[schema(required = true)]
    pub category: Option<Category>,
    /// MiniJinja (Jinja2) text: {{user.first_name}}, {{listing.title}}, {{listing.location}}, {{listing.id}}, {{conversation.id}}, {{conversation.subject}}, {{conversation.category}}, {{agent.name}}, {{agent.first_name}}, {{today}}, {{team}}, {{var.<name>}} given when replying; a fallback: {{user.first_name | "there"}}
    pub body: String,
    /// The placeholders the body uses.
    pub placeholders: Vec<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Replies sent with it.
    #[serde(default)]
    #[schema(required = true)]
    pub usage_count: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateRequest {
    #[schema(max_length = 100)]
    pub name: String,
    #[serde(default)]
    pub team: Option<Team>,
    #[serde(default)]
    pub category: Option<Category>,
    #[schema(max_length = 5000)]
    pub body: String,
}

#[derive(Debug, Clone, Default)]
pub struct TemplateFilter {
    pub team: Option<Team>,
    pub category: Option<Category>,
}

/// Values given when replying or previewing: placeholder name → text.
pub type Variables = BTreeMap<String, serde_json::Value>;

/// Placeholder name (e.g. `user.first_name`, `var.date`) → value; overrides what the
/// system knows. (The API document's view of [`Variables`]: values are checked when a
/// reply is made, so a wrong one is refused naming it.)
#[derive(utoipa::ToSchema)]
#[schema(as = Variables)]
#[allow(dead_code, reason = "the API document's view of Variables")]
pub struct VariablesSchema(BTreeMap<String, TextOrNumber>);

/// A placeholder's value: text, or a number (written as text).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code, reason = "the API document's view of a variable")]
pub enum TextOrNumber {
    Text(String),
    Number(f64),
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Preview {
    pub body: String,
}

/// A validated request: the name and body trimmed, the placeholders it uses.
struct Checked {
    name: String,
    body: String,
    placeholders: Vec<String>,
}

fn check(request: &TemplateRequest) -> ApiResult<Checked> {
    let name = validate::line("name", &request.name, NAME_MAX_CHARS)?;
    let body = request.body.trim().to_string();
    let placeholders = template::check("body", &body)?.into_iter().collect();
    Ok(Checked {
        name,
        body,
        placeholders,
    })
}

/// Checks reply-time values: known placeholders, text (numbers are written as text).
pub(crate) fn variable_values(
    variables: Option<&Variables>,
) -> ApiResult<BTreeMap<String, String>> {
    let mut values = BTreeMap::new();
    for (name, value) in variables.into_iter().flatten() {
        if !is_known(name) {
            return Err(ApiError::invalid(format!(
                "variables.{name}: not a placeholder (see the template's placeholders, or use var.<name>)"
            )));
        }
        let text = match value {
            serde_json::Value::String(text) => text.clone(),
            serde_json::Value::Number(number) => number.to_string(),
            _ => {
                return Err(ApiError::invalid(format!(
                    "variables.{name}: must be text or a number"
                )));
            }
        };
        values.insert(name.clone(), text);
    }
    Ok(values)
}

impl Template {
    /// Whether filling it takes the listing: it uses a listing field not given.
    pub fn needs_listing(&self, given: &BTreeMap<String, String>) -> bool {
        self.placeholders
            .iter()
            .any(|p| p.starts_with("listing.") && p != "listing.id" && !given.contains_key(p))
    }
}

/// Authors edit their own templates; seniors and managers edit any.
fn may_edit(caller: &Caller, template: &Template) -> bool {
    template.created_by == caller.id() || caller.has(Role::Senior) || caller.has(Role::Manager)
}

fn first_name(name: &str) -> String {
    name.split_whitespace().next().unwrap_or(name).to_string()
}

/// What the system knows for a reply on `conversation` by `agent` (their name), then the
/// admin's own `variables` on top.
pub(crate) fn placeholder_values(
    conversation: &Conversation,
    listing: Option<&Listing>,
    agent: Option<String>,
    today: String,
    variables: BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    let mut set = |name: &str, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.trim().is_empty()) {
            values.insert(name.to_string(), value);
        }
    };
    let user_name = conversation
        .contacts
        .get(&conversation.created_by)
        .and_then(|c| c.name.clone());
    set("user.first_name", user_name.as_deref().map(first_name));
    set("user.name", user_name);
    set("conversation.id", Some(conversation.id.clone()));
    set("conversation.subject", Some(conversation.subject.clone()));
    set(
        "conversation.category",
        serde_json::to_value(conversation.category)
            .ok()
            .and_then(|v| v.as_str().map(String::from)),
    );
    set("team", conversation.team.map(|t| t.to_string()));
    set("listing.id", conversation.listing_id.clone());
    if let Some(listing) = listing {
        set("listing.title", Some(listing.title.clone()));
        set("listing.location", Some(listing.location.clone()));
    }
    set("agent.first_name", agent.as_deref().map(first_name));
    set("agent.name", agent);
    set("today", Some(today));
    values.extend(variables);
    values
}

impl App {
    /// Today's date as templates write it, in South Africa.
    pub(crate) fn today_text(&self) -> String {
        self.clock
            .now()
            .with_timezone(&domain::HOME_TIME_ZONE)
            .format("%-d %B %Y")
            .to_string()
    }

    pub(crate) async fn load_template(&self, id: &str) -> ApiResult<Template> {
        validate::id("template_id", id)?;
        match self.table.get(&template_key(id), true).await? {
            Some(item) => Ok(from_item(item)?),
            None => Err(ApiError::not_found("template")),
        }
    }

    /// The write that counts one use; it fails if the template was deleted meanwhile.
    pub(crate) fn count_template_use(id: &str) -> WriteOp {
        WriteOp::Update {
            key: template_key(id),
            changes: vec![Change::Add("usage_count".into(), 1)],
            condition: Some(Condition::Exists),
        }
    }

    /// A listing, for its title and location.
    pub(crate) async fn listing(&self, id: &str) -> ApiResult<Option<Listing>> {
        match self.table.get(&listing_key(id), false).await? {
            Some(item) => Ok(Some(from_item(item)?)),
            None => Ok(None),
        }
    }

    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn create_template(
        &self,
        caller: &Caller,
        request: TemplateRequest,
        idempotency: Option<&Idempotency>,
    ) -> ApiResult<Created<Template>> {
        caller.require_admin()?;
        let checked = check(&request)?;
        let now = self.clock.now();
        let template = Template {
            id: self.ids.next(now),
            name: checked.name,
            team: request.team,
            category: request.category,
            body: checked.body,
            placeholders: checked.placeholders,
            created_by: caller.id().to_string(),
            created_at: now,
            updated_at: now,
            usage_count: 0,
        };
        let write = record_write(
            &template_key(&template.id),
            &template,
            Some(Condition::NotExists),
        )?;
        self.create_once(write, Vec::new(), template, idempotency)
            .await
    }

    /// Templates for a team (its own and those for every team) and category, by name.
    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn list_templates(
        &self,
        caller: &Caller,
        filter: TemplateFilter,
    ) -> ApiResult<Page<Template>> {
        caller.require_admin()?;
        let (items, _) = store::page(
            self.table.as_ref(),
            Query::partition(Index::Table, TEMPLATES),
            MAX_TEMPLATES,
        )
        .await?;
        let mut templates = items
            .into_iter()
            .map(from_item::<Template>)
            .collect::<Result<Vec<_>, _>>()?;
        templates.retain(|t| {
            filter
                .team
                .is_none_or(|team| t.team.is_none_or(|t| t == team))
                && filter
                    .category
                    .is_none_or(|category| t.category.is_none_or(|c| c == category))
        });
        templates.sort_by_key(|t| t.name.to_lowercase());
        Ok(Page::new(templates, None))
    }

    #[instrument(skip_all, fields(caller = caller.id(), template = id))]
    pub async fn get_template(&self, caller: &Caller, id: &str) -> ApiResult<Template> {
        caller.require_admin()?;
        self.load_template(id).await
    }

    /// Replaces name, team, category and body; the use count and author stay.
    #[instrument(skip_all, fields(caller = caller.id(), template = id))]
    pub async fn update_template(
        &self,
        caller: &Caller,
        id: &str,
        request: TemplateRequest,
    ) -> ApiResult<Template> {
        caller.require_admin()?;
        let checked = check(&request)?;
        let current = self.load_template(id).await?;
        if !may_edit(caller, &current) {
            return Err(ApiError::forbidden(
                "only its author, a senior or a manager may change a template",
            ));
        }
        let updated = Template {
            name: checked.name,
            team: request.team,
            category: request.category,
            body: checked.body,
            placeholders: checked.placeholders,
            updated_at: self.clock.now(),
            ..current
        };
        let item = store::table::to_item(&updated)?;
        let changes = [
            "name",
            "team",
            "category",
            "body",
            "placeholders",
            "updated_at",
        ]
        .into_iter()
        .map(|field| {
            Change::Set(
                field.into(),
                item.get(field).cloned().unwrap_or(Value::Null),
            )
        })
        .collect();
        let write = WriteOp::Update {
            key: template_key(id),
            changes,
            condition: Some(Condition::Exists),
        };
        match self.table.write(vec![write]).await {
            Ok(()) => Ok(updated),
            Err(TableError::ConditionFailed { .. }) => Err(ApiError::not_found("template")),
            Err(other) => Err(other.into()),
        }
    }

    #[instrument(skip_all, fields(caller = caller.id(), template = id))]
    pub async fn delete_template(&self, caller: &Caller, id: &str) -> ApiResult<()> {
        caller.require_admin()?;
        let current = self.load_template(id).await?;
        if !may_edit(caller, &current) {
            return Err(ApiError::forbidden(
                "only its author, a senior or a manager may delete a template",
            ));
        }
        let delete = WriteOp::Delete {
            key: template_key(id),
            condition: Some(Condition::Exists),
        };
        match self.table.write(vec![delete]).await {
            Ok(()) | Err(TableError::ConditionFailed { .. }) => Ok(()),
            Err(other) => Err(other.into()),
        }
    }

    /// The template filled as a reply in `conversation` would be (its user, its listing,
    /// the caller as the agent), or with sample data, with `variables` on top.
    #[instrument(skip_all, fields(caller = caller.id(), template = id))]
    pub async fn preview_template(
        &self,
        caller: &Caller,
        id: &str,
        variables: Option<&Variables>,
        conversation: Option<&str>,
    ) -> ApiResult<Preview> {
        caller.require_admin()?;
        let template = self.load_template(id).await?;
        if let Some(conversation) = conversation {
            validate::id("conversation_id", conversation)?;
            let conversation = self
                .load_conversation(conversation, |c| super::admin::admin_may_see(caller, c))
                .await?;
            let listing = match &conversation.listing_id {
                Some(listing) => self.listing(listing).await?,
                None => None,
            };
            let values = placeholder_values(
                &conversation,
                listing.as_ref(),
                caller.claims.name.clone(),
                self.today_text(),
                variable_values(variables)?,
            );
            return Ok(Preview {
                body: template::render(&template.body, &values)?,
            });
        }
        let now = self.clock.now();
        let sample = Conversation {
            id: "01JSAMPLECONVERSATION00000".into(),
            kind: domain::ConversationType::Support,
            listing_id: Some("sample-listing".into()),
            subject: "Renewing my ad".into(),
            category: template.category.unwrap_or(Category::General),
            priority: domain::Priority::Normal,
            status: domain::Status::Open,
            created_by: "sample-user".into(),
            participants: vec!["sample-user".into()],
            team: template.team.or(Some(Team::Support)),
            assignee: Some(caller.id().to_string()),
            created_at: now,
            last_message_at: now,
            last_message_id: String::new(),
            unread: BTreeMap::new(),
            read_marks: BTreeMap::new(),
            contacts: BTreeMap::from([(
                "sample-user".to_string(),
                domain::Contact {
                    name: Some("Thandi Nkosi".into()),
                    ..Default::default()
                },
            )]),
            sla: None,
            resolved_at: None,
            snoozed_until: None,
            merged_from: Vec::new(),
            merged_into: None,
            broadcast_id: None,
            version: 1,
        };
        let listing = Listing {
            id: "sample-listing".into(),
            title: "Toyota Corolla 1.6 2015".into(),
            seller_id: "sample-seller".into(),
            category: "vehicles".into(),
            location: "Pretoria".into(),
            status: domain::ListingStatus::Active,
            updated_at: self.clock.now(),
        };
        let values = placeholder_values(
            &sample,
            Some(&listing),
            caller.claims.name.clone(),
            self.today_text(),
            variable_values(variables)?,
        );
        Ok(Preview {
            body: template::render(&template.body, &values)?,
        })
    }
}
