//! What admins do: work their teams' queues, read conversations (with internal notes),
//! reply, and change status, assignee, priority, category and team.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use futures_util::future::try_join_all;
use serde::{Deserialize, Deserializer, Serialize};
use tracing::instrument;

use super::edit::Edit;
use super::merge::merged_elsewhere;
use super::templates;
use super::user::Viewer;
use super::{Created, Idempotency, Order, Page, PageRequest};
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use domain::conversation::{ADMIN_SIDE, ConversationView};
use domain::identity::{Caller, Team};
use domain::routing::{RoutingInput, RoutingRules};
use domain::{
    Category, Conversation, ConversationType, Message, Priority, SenderRole, Status, template,
    validate,
};
use store::table::{Filter, Index, Item, Query, Value, from_item, key_item};
use store::{self, Cursor, message_write, queue_partition};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QueueSort {
    /// Soonest SLA deadline first.
    #[default]
    Due,
    /// Most recent activity first.
    Recent,
}

#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub status: Option<Status>,
    pub team: Option<Team>,
    pub category: Option<Category>,
    pub priority: Option<Priority>,
    /// `me`, `none`, or a user id.
    pub assignee: Option<String>,
    /// Only snoozed conversations (`true`), or none of them (`false`).
    pub snoozed: Option<bool>,
    pub sort: QueueSort,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyRequest {
    #[schema(max_length = 5000, min_length = 1)]
    pub body: Option<String>,
    pub template_id: Option<String>,
    #[schema(value_type = Option<super::templates::VariablesSchema>)]
    pub variables: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    pub internal: bool,
    /// The status after the reply: `pending` by default (unchanged for an internal note).
    pub status: Option<Status>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversationChanges {
    pub status: Option<Status>,
    /// Absent: unchanged; `null`: unassign; `me`, or an admin in the directory who works
    /// the conversation's team: assign.
    #[serde(default, deserialize_with = "present")]
    pub assignee: Option<Option<String>>,
    pub priority: Option<Priority>,
    pub category: Option<Category>,
    pub team: Option<Team>,
    /// Absent: unchanged; `null`: wake it (it stays pending); a time: snooze a pending
    /// conversation until then (the SLA check reopens it; a user's message sooner).
    #[serde(default, deserialize_with = "present")]
    pub snoozed_until: Option<Option<DateTime<Utc>>>,
}

const MERGED_BY_MERGING: &str =
    "status: a conversation becomes merged by merging it (POST /v1/admin/conversations/{id}/merge)";

/// Tells a field that is present but null from one that is absent.
pub(super) fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// The teams a queue or search reads: the one asked for, which must be the caller's,
/// or all the caller works.
pub(super) fn teams_to_read(caller: &Caller, team: Option<Team>) -> ApiResult<Vec<Team>> {
    match team {
        Some(team) if !caller.works_team(team) => Err(ApiError::forbidden(format!(
            "team: you do not work the {team} queue"
        ))),
        Some(team) => Ok(vec![team]),
        None => Ok(caller.queue_teams()),
    }
}

/// Admins see support conversations of the teams they work.
pub(super) fn admin_may_see(caller: &Caller, conversation: &Conversation) -> bool {
    conversation.kind == ConversationType::Support
        && conversation.team.is_some_and(|t| caller.works_team(t))
}

impl App {
    /// The queue across the caller's teams (or one team), merged in sort order. The cursor
    /// keeps each team's position, so paging neither skips nor repeats.
    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn queue(
        &self,
        caller: &Caller,
        filter: QueueFilter,
        page: PageRequest,
    ) -> ApiResult<Page<ConversationView>> {
        caller.require_admin()?;
        let teams = teams_to_read(caller, filter.team)?;
        let status = match (filter.status, filter.snoozed) {
            (Some(status), Some(true)) if status != Status::Pending => {
                return Err(ApiError::invalid(
                    "snoozed: only pending conversations are snoozed (leave out status, or ask for pending)",
                ));
            }
            (Some(status), _) => status,
            (None, Some(true)) => Status::Pending,
            (None, _) => Status::Open,
        };
        let (index, descending) = match filter.sort {
            QueueSort::Due => (Index::Gsi1, false),
            QueueSort::Recent => (Index::Gsi3, true),
        };
        let positions = QueuePositions::from_cursor(page.cursor.as_ref(), &teams)?;
        let mut filters = Vec::new();
        if let Some(category) = filter.category {
            filters.push(Filter::Equals("category".into(), serde_value(&category)?));
        }
        if let Some(priority) = filter.priority {
            filters.push(Filter::Equals("priority".into(), serde_value(&priority)?));
        }
        match filter.snoozed {
            Some(true) => filters.push(Filter::Exists("snoozed_until".into())),
            Some(false) => filters.push(Filter::NotExists("snoozed_until".into())),
            None => {}
        }
        match filter.assignee.as_deref() {
            None => {}
            Some("none") => filters.push(Filter::NotExists("assignee".into())),
            Some("me") => filters.push(Filter::Equals("assignee".into(), Value::s(caller.id()))),
            Some(user) => filters.push(Filter::Equals(
                "assignee".into(),
                Value::s(validate::id("assignee", user)?),
            )),
        }
        let reads = positions.open_teams().map(|(team, start)| {
            let mut query = Query::partition(index, queue_partition(team, status))
                .descending(descending)
                .start(start.cloned());
            query.filters = filters.clone();
            async move {
                store::page(self.table.as_ref(), query, page.limit)
                    .await
                    .map(|r| (team, r))
            }
        });
        // The directory row is kept current alongside, at no extra latency.
        let (pages, registered) = tokio::join!(try_join_all(reads), self.register_admin(caller));
        let pages = pages?;
        if let Err(error) = registered {
            tracing::warn!(error = %error, "could not update the admin directory");
        }

        // Merge by the index's sort key, then take one page.
        let (_, sort_attr) = index.key_attributes();
        let sort_key = |item: &Item| {
            item.get(sort_attr)
                .and_then(Value::as_s)
                .unwrap_or_default()
                .to_string()
        };
        let mut merged: Vec<(String, Team, Item)> = pages
            .iter()
            .flat_map(|(team, (items, _))| items.iter().map(|i| (sort_key(i), *team, i.clone())))
            .collect();
        merged.sort_by(|a, b| {
            if descending {
                b.0.cmp(&a.0)
            } else {
                a.0.cmp(&b.0)
            }
        });
        merged.truncate(page.limit);

        let mut next = positions;
        for (team, (items, team_next)) in &pages {
            let taken: Vec<&Item> = merged
                .iter()
                .filter(|(_, t, _)| t == team)
                .map(|(_, _, i)| i)
                .collect();
            if taken.len() == items.len() {
                next.set(*team, team_next.as_ref().map(|c| c.0.clone()));
            } else if let Some(last) = taken.last() {
                next.set(*team, Some(key_item(index, last)));
            }
        }
        let now = self.clock.now();
        let views = merged
            .into_iter()
            .map(|(_, _, item)| {
                Ok(ConversationView::new(
                    &from_item::<Conversation>(item)?,
                    ADMIN_SIDE,
                    now,
                ))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Page {
            items: views,
            next_cursor: next.into_cursor().map(|c| c.encode()),
        })
    }

    #[instrument(skip_all, fields(caller = caller.id(), conversation = id))]
    pub async fn admin_get_conversation(
        &self,
        caller: &Caller,
        id: &str,
    ) -> ApiResult<ConversationView> {
        caller.require_admin()?;
        let conversation = self
            .load_conversation(id, |c| admin_may_see(caller, c))
            .await?;
        Ok(ConversationView::new(
            &conversation,
            ADMIN_SIDE,
            self.clock.now(),
        ))
    }

    /// A user's support conversations that the caller works, the newest first (one
    /// query of the user's inbox rows; a page holds those the caller may see).
    #[instrument(skip_all, fields(caller = caller.id(), user = user))]
    pub async fn user_conversations(
        &self,
        caller: &Caller,
        user: &str,
        page: PageRequest,
    ) -> ApiResult<Page<ConversationView>> {
        caller.require_admin()?;
        let user = validate::id("id", user)?;
        let query = Query::partition(Index::Table, store::keys::user_partition(&user))
            .sort(store::table::SortKey::BeginsWith(
                store::keys::INBOX_ROW_PREFIX.into(),
            ))
            .descending(true)
            .start(page.cursor.map(|c| c.0));
        let (rows, next) = store::page(self.table.as_ref(), query, page.limit).await?;
        let now = self.clock.now();
        let mut views = Vec::new();
        for row in rows {
            let conversation: Conversation = from_item(row)?;
            // A merged duplicate is read in the conversation it joined.
            if admin_may_see(caller, &conversation) && conversation.status != Status::Merged {
                views.push(ConversationView::new(&conversation, ADMIN_SIDE, now));
            }
        }
        Ok(Page::new(views, next))
    }

    #[instrument(skip_all, fields(caller = caller.id(), conversation = id))]
    pub async fn admin_list_messages(
        &self,
        caller: &Caller,
        id: &str,
        order: Order,
        page: PageRequest,
    ) -> ApiResult<Page<Message>> {
        caller.require_admin()?;
        self.read_messages(id, |c| admin_may_see(caller, c), Viewer::Admin, order, page)
            .await
    }

    #[instrument(skip_all, fields(caller = caller.id(), conversation = id))]
    pub async fn admin_mark_read(
        &self,
        caller: &Caller,
        id: &str,
        message_id: &str,
    ) -> ApiResult<()> {
        caller.require_admin()?;
        self.mark_read_as(id, message_id, ADMIN_SIDE, true, |c| {
            admin_may_see(caller, c)
        })
        .await
    }

    #[instrument(skip_all, fields(caller = caller.id(), conversation = id, internal = request.internal))]
    pub async fn reply(
        &self,
        caller: &Caller,
        id: &str,
        request: ReplyRequest,
        idempotency: Option<&Idempotency>,
    ) -> ApiResult<Created<Message>> {
        caller.require_admin()?;
        if request.status == Some(Status::Merged) {
            return Err(ApiError::invalid(MERGED_BY_MERGING));
        }
        let (body, template) = match (&request.body, &request.template_id) {
            (Some(_), Some(_)) => {
                return Err(ApiError::invalid(
                    "body: give either body or template_id, not both",
                ));
            }
            (None, None) => return Err(ApiError::invalid("body: required (or template_id)")),
            (Some(body), None) if request.variables.is_none() => {
                (validate::body("body", body)?, None)
            }
            (Some(_), None) => {
                return Err(ApiError::invalid("variables: only used with template_id"));
            }
            (None, Some(template)) => (String::new(), Some(self.load_template(template).await?)),
        };
        let variables = templates::variable_values(request.variables.as_ref())?;
        // Only a template with listing fields nobody gave costs the listing's read.
        let listing = match &template {
            Some(t) if t.needs_listing(&variables) => {
                let conversation = self
                    .load_conversation(id, |c| admin_may_see(caller, c))
                    .await?;
                match &conversation.listing_id {
                    Some(listing) => self.listing(listing).await?,
                    None => None,
                }
            }
            _ => None,
        };
        let today = self.today_text();
        let targets = self.sla_targets().await?;
        self.edit_conversation(
            id,
            idempotency,
            |c| admin_may_see(caller, c),
            |conversation| {
                if let Some(refusal) = merged_elsewhere(conversation) {
                    return Err(refusal);
                }
                let mut extra = Vec::new();
                let body = match &template {
                    Some(template) => {
                        let values = templates::placeholder_values(
                            conversation,
                            listing.as_ref(),
                            caller.claims.name.clone(),
                            today.clone(),
                            variables.clone(),
                        );
                        extra.push(App::count_template_use(&template.id));
                        template::render(&template.body, &values)?
                    }
                    None => body.clone(),
                };
                let mut message =
                    self.new_message(id, caller, SenderRole::Admin, body, request.internal);
                message.template_id = template.as_ref().map(|t| t.id.clone());
                let now = message.created_at;
                conversation.remember_contact(caller.id(), caller.contact());
                if request.internal {
                    if let Some(status) = request.status {
                        conversation.set_status(status, now, &targets);
                    }
                } else {
                    conversation.admin_replied(
                        caller.id(),
                        &message.id,
                        now,
                        request.status.unwrap_or(Status::Pending),
                    );
                }
                extra.push(message_write(&message)?);
                Ok(Edit::with(extra, message))
            },
        )
        .await
    }

    #[instrument(skip_all, fields(caller = caller.id(), conversation = id))]
    pub async fn update_conversation(
        &self,
        caller: &Caller,
        id: &str,
        changes: ConversationChanges,
    ) -> ApiResult<ConversationView> {
        caller.require_admin()?;
        let nothing = changes.status.is_none()
            && changes.assignee.is_none()
            && changes.priority.is_none()
            && changes.category.is_none()
            && changes.team.is_none()
            && changes.snoozed_until.is_none();
        if nothing {
            return Err(ApiError::invalid(
                "body: give at least one of status, assignee, priority, category, team, snoozed_until",
            ));
        }
        if changes.status == Some(Status::Merged) {
            return Err(ApiError::invalid(MERGED_BY_MERGING));
        }
        let assignee = match &changes.assignee {
            Some(Some(user)) if user == "me" => Some(Some(caller.id().to_string())),
            Some(Some(user)) => Some(Some(validate::id("assignee", user)?)),
            other => other.clone(),
        };
        // Another admin to assign: one the directory knows (admins join it with their
        // first call); whether they work the team is checked on the conversation below.
        let assigned = match &assignee {
            Some(Some(user)) if user != caller.id() => {
                Some(self.agent_profile(user).await?.ok_or_else(|| {
                    ApiError::invalid(format!(
                        "assignee: {user} is not an admin SayPro knows (admins join the directory \
                         when they first open their queue)"
                    ))
                })?)
            }
            _ => None,
        };
        let targets = self.sla_targets().await?;
        let rules = self.setting::<RoutingRules>().await?;
        let updated = self
            .edit_conversation(
                id,
                None,
                |c| admin_may_see(caller, c),
                |conversation| {
                    if let Some(refusal) = merged_elsewhere(conversation) {
                        return Err(refusal);
                    }
                    let now = self.clock.now();
                    if let Some(category) = changes.category {
                        conversation.category = category;
                        // A new category is routed again by the rules (on its subject),
                        // and may make it urgent, unless the same request says otherwise.
                        let route = rules.policy.route(&RoutingInput {
                            category,
                            text: &conversation.subject,
                            listing_category: None,
                            user_tier: None,
                        });
                        if changes.team.is_none() {
                            conversation.team = Some(route.team);
                        }
                        if changes.priority.is_none() && route.priority == Priority::Urgent {
                            conversation.set_priority(Priority::Urgent, &targets);
                        }
                    }
                    if let Some(team) = changes.team {
                        conversation.team = Some(team);
                    }
                    if let Some(priority) = changes.priority {
                        conversation.set_priority(priority, &targets);
                    }
                    if let Some(status) = changes.status {
                        conversation.set_status(status, now, &targets);
                    }
                    let mut extra = Vec::new();
                    if let Some(until) = changes.snoozed_until
                        && until != conversation.snoozed_until
                    {
                        conversation.snooze(until, now)?;
                        // Recorded on the conversation, for the team only.
                        let body = match until {
                            Some(until) => {
                                format!("Snoozed until {} by {}.", local_time(until), caller.id())
                            }
                            None => format!("Snooze ended by {}.", caller.id()),
                        };
                        let note = self.new_message(id, caller, SenderRole::System, body, true);
                        extra.push(message_write(&note)?);
                    }
                    if let Some(profile) = &assigned
                        && !profile.may_work(conversation.team)
                    {
                        return Err(ApiError::invalid(format!(
                            "assignee: {} does not work the {} team",
                            profile.id,
                            conversation.team.map_or("conversation's", |t| t.as_str())
                        )));
                    }
                    if let Some(assignee) =
                        assignee.as_ref().filter(|a| **a != conversation.assignee)
                    {
                        conversation.assignee = assignee.clone();
                        // Recorded on the conversation, for the team only.
                        let body = match assignee {
                            Some(to) if to == caller.id() => {
                                format!("{to} took this conversation.")
                            }
                            Some(to) => format!("Assigned to {to} by {}.", caller.id()),
                            None => format!("Unassigned by {}.", caller.id()),
                        };
                        let note = self.new_message(id, caller, SenderRole::System, body, true);
                        extra.push(message_write(&note)?);
                    }
                    Ok(Edit::with(
                        extra,
                        ConversationView::new(conversation, ADMIN_SIDE, now),
                    ))
                },
            )
            .await?;
        updated.into_new()
    }
}

/// A time as SayPro's admins read it (South African time).
pub(super) fn local_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&domain::HOME_TIME_ZONE)
        .format("%a %-d %b %H:%M %Z")
        .to_string()
}

fn serde_value<T: Serialize>(value: &T) -> anyhow::Result<Value> {
    match serde_json::to_value(value)? {
        serde_json::Value::String(s) => Ok(Value::S(s)),
        other => anyhow::bail!("expected a string, got {other}"),
    }
}

/// Where each team's part of a merged queue continues: not started (absent), after a
/// key, or exhausted.
struct QueuePositions(BTreeMap<Team, Option<Item>>, Vec<Team>);

impl QueuePositions {
    fn from_cursor(cursor: Option<&Cursor>, teams: &[Team]) -> ApiResult<Self> {
        let mut positions = BTreeMap::new();
        if let Some(cursor) = cursor {
            for (name, value) in &cursor.0 {
                let team: Team = serde_json::from_value(serde_json::Value::String(name.clone()))
                    .map_err(|_| ApiError::invalid("cursor: not a cursor of this list"))?;
                if !teams.contains(&team) {
                    return Err(ApiError::invalid("cursor: not a cursor of this list"));
                }
                match value {
                    Value::Null => positions.insert(team, None),
                    Value::M(key) => positions.insert(team, Some(key.clone())),
                    _ => return Err(ApiError::invalid("cursor: not a cursor of this list")),
                };
            }
        }
        Ok(Self(positions, teams.to_vec()))
    }

    /// Teams with more to read, and where to start.
    fn open_teams(&self) -> impl Iterator<Item = (Team, Option<&Item>)> {
        self.1.iter().filter_map(|team| match self.0.get(team) {
            None => Some((*team, None)),
            Some(Some(key)) => Some((*team, Some(key))),
            Some(None) => None,
        })
    }

    /// `None` marks the team exhausted.
    fn set(&mut self, team: Team, after: Option<Item>) {
        self.0.insert(team, after);
    }

    fn into_cursor(self) -> Option<Cursor> {
        let all_done = self
            .1
            .iter()
            .all(|team| matches!(self.0.get(team), Some(None)));
        if all_done {
            return None;
        }
        let item = self
            .0
            .into_iter()
            .map(|(team, key)| (team.as_str().to_string(), key.map_or(Value::Null, Value::M)))
            .collect();
        Some(Cursor(item))
    }
}
