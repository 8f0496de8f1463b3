//! In-app notifications and notification preferences, for users and admins alike; and
//! the admins' directory rows that let a team be notified.

use serde::Deserialize;
use tracing::instrument;

use super::{Page, PageRequest};
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use domain::directory::Member;
use domain::identity::{Caller, Role};
use domain::notice::{Notification, UnreadCounts};
use domain::preferences::{Preferences, SmsPreference};
use store::inbox;
use store::keys::{member_key, preferences_key, role_partition, team_partition};
use store::table::{
    Change, Condition, Filter, Index, Query, TableError, Value, WriteOp, from_item, to_item,
};
use store::{self, Cursor, record_write};

/// Notifications newest first, or unread ones first (then the read ones, newest first).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationOrder {
    #[default]
    Newest,
    UnreadFirst,
}

impl App {
    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn list_notifications(
        &self,
        caller: &Caller,
        order: NotificationOrder,
        page: PageRequest,
    ) -> ApiResult<Page<Notification>> {
        caller.require_person()?;
        let newest = |start| {
            Query::partition(
                Index::Table,
                store::keys::notifications_partition(caller.id()),
            )
            .descending(true)
            .start(start)
        };
        if order == NotificationOrder::Newest {
            let (items, next) = store::page(
                self.table.as_ref(),
                newest(page.cursor.map(|c| c.0)),
                page.limit,
            )
            .await?;
            return notifications(items, next);
        }
        // Unread first: the unread index, then the read ones. The cursor says which phase
        // (a read-phase cursor without a key starts the read ones from the newest).
        let (phase, start) = match page.cursor {
            None => ("unread", None),
            Some(Cursor(mut item)) => {
                let phase = match item.remove("phase").as_ref().and_then(Value::as_s) {
                    Some("read") => "read",
                    Some("unread") => "unread",
                    _ => return Err(ApiError::invalid("cursor: not a cursor of this list")),
                };
                (phase, (!item.is_empty()).then_some(item))
            }
        };
        let mut items = Vec::new();
        let mut next = None;
        let mut read_from = if phase == "read" {
            Some(start.clone())
        } else {
            None
        };
        if phase == "unread" {
            let query = Query::partition(Index::Gsi1, store::keys::unread_partition(caller.id()))
                .descending(true)
                .start(start);
            let (unread, more) = store::page(self.table.as_ref(), query, page.limit).await?;
            items = unread;
            match more {
                Some(cursor) => next = Some(with_phase(cursor, "unread")),
                None if items.len() < page.limit => read_from = Some(None),
                None => next = Some(with_phase(Cursor(Default::default()), "read")),
            }
        }
        if let Some(read_start) = read_from {
            let query = newest(read_start).filter(Filter::Equals("read".into(), Value::Bool(true)));
            let (read, more) =
                store::page(self.table.as_ref(), query, page.limit - items.len()).await?;
            items.extend(read);
            next = more.map(|c| with_phase(c, "read"));
        }
        notifications(items, next)
    }

    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn mark_notification_read(&self, caller: &Caller, id: &str) -> ApiResult<()> {
        caller.require_person()?;
        domain::validate::id("id", id)?;
        match self
            .table
            .write(vec![inbox::mark_read(caller.id(), id)])
            .await
        {
            Ok(()) => {
                self.push_unread_counts(caller.id()).await;
                Ok(())
            }
            Err(TableError::ConditionFailed { .. }) => Err(ApiError::not_found("notification")),
            Err(other) => Err(other.into()),
        }
    }

    /// Marks up to 100 unread notifications read; returns how many (call again for more).
    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn mark_all_notifications_read(&self, caller: &Caller) -> ApiResult<usize> {
        caller.require_person()?;
        let query = Query::partition(Index::Gsi1, store::keys::unread_partition(caller.id()));
        let (items, _) = store::page(self.table.as_ref(), query, 100).await?;
        let ids: Vec<String> = items
            .iter()
            .filter_map(|i| i.get("id").and_then(Value::as_s).map(str::to_string))
            .collect();
        // Each is its own small write: one notification read elsewhere meanwhile must not
        // fail the rest, as it would in a transaction.
        for id in &ids {
            match self
                .table
                .write(vec![inbox::mark_read(caller.id(), id)])
                .await
            {
                Ok(()) | Err(TableError::ConditionFailed { .. }) => {}
                Err(other) => return Err(other.into()),
            }
        }
        if !ids.is_empty() {
            self.push_unread_counts(caller.id()).await;
        }
        Ok(ids.len())
    }

    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn unread_counts(&self, caller: &Caller) -> ApiResult<UnreadCounts> {
        caller.require_person()?;
        Ok(inbox::unread_counts(self.table.as_ref(), caller.id()).await?)
    }

    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn preferences(&self, caller: &Caller) -> ApiResult<Preferences> {
        caller.require_person()?;
        Ok(
            match self.table.get(&preferences_key(caller.id()), false).await? {
                Some(item) => from_item(item)?,
                None => Preferences::default(),
            },
        )
    }

    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn set_preferences(
        &self,
        caller: &Caller,
        preferences: Preferences,
    ) -> ApiResult<Preferences> {
        caller.require_person()?;
        if preferences.time_zone().is_none() {
            return Err(ApiError::invalid(
                "time_zone: not an IANA time zone such as Africa/Johannesburg",
            ));
        }
        if preferences.sms == SmsPreference::All && !caller.is_admin() {
            return Err(ApiError::invalid(
                "sms: SMS notifications are for admins; users are told by email and in the app",
            ));
        }
        self.table
            .write(vec![record_write(
                &preferences_key(caller.id()),
                &preferences,
                None,
            )?])
            .await?;
        Ok(preferences)
    }

    /// Keeps an admin's directory row (contact and teams, from their token) current, so
    /// their team's notifications reach them. Writes only when the claims changed.
    pub(crate) async fn register_admin(&self, caller: &Caller) -> ApiResult<()> {
        let member = Member {
            id: caller.id().to_string(),
            contact: caller.contact(),
        };
        let escalation_roles: Vec<Role> = [Role::Senior, Role::Manager]
            .into_iter()
            .filter(|r| caller.has(*r))
            .collect();
        let role_names: Vec<&str> = caller.roles().iter().map(|r| r.as_str()).collect();
        let fingerprint = serde_json::to_string(&(&member.contact, caller.teams(), &role_names))
            .map_err(anyhow::Error::from)?;
        let registered = self
            .registered_admins
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(caller.id())
            .cloned();
        if registered.as_ref() == Some(&fingerprint) {
            return Ok(());
        }
        // An update, so what managers set (capacity, hours, away) and the open count stay.
        let (index_pk, index_sk) = Index::Gsi1.key_attributes();
        let contact = to_item(&member.contact).map_err(ApiError::Unexpected)?;
        let teams = caller
            .teams()
            .iter()
            .map(|t| Value::s(t.as_str()))
            .collect();
        let roles = role_names.iter().map(|r| Value::s(*r)).collect();
        let mut writes = vec![WriteOp::Update {
            key: store::keys::profile_key(caller.id()),
            changes: vec![
                Change::Set("id".into(), Value::s(caller.id())),
                Change::Set("contact".into(), Value::M(contact)),
                Change::Set("teams".into(), Value::L(teams)),
                Change::Set("roles".into(), Value::L(roles)),
                Change::Set("claims".into(), Value::s(&fingerprint)),
                Change::Set(index_pk.into(), Value::s(store::keys::DIRECTORY)),
                Change::Set(index_sk.into(), Value::s(caller.id())),
            ],
            condition: Some(Condition::AbsentOrDiffers(
                "claims".into(),
                Value::s(&fingerprint),
            )),
        }];
        // Seniors and managers oversee every team; team notifications go to its agents.
        if !caller.works_all_teams() {
            for team in caller.queue_teams() {
                writes.push(record_write(
                    &member_key(team_partition(team), caller.id()),
                    &member,
                    None,
                )?);
            }
        }
        // Seniors and managers hear of SLA escalations.
        for role in escalation_roles {
            writes.push(record_write(
                &member_key(role_partition(role), caller.id()),
                &member,
                None,
            )?);
        }
        match self.table.write(writes).await {
            // Written now, or already current: either way this instance need not write again.
            Ok(()) | Err(TableError::ConditionFailed { index: 0 }) => {
                let mut admins = self
                    .registered_admins
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                admins.insert(caller.id().to_string(), fingerprint);
                Ok(())
            }
            Err(other) => Err(other.into()),
        }
    }
}

fn with_phase(cursor: Cursor, phase: &str) -> Cursor {
    let mut item = cursor.0;
    item.insert("phase".into(), Value::s(phase));
    Cursor(item)
}

fn notifications(
    items: Vec<store::table::Item>,
    next: Option<Cursor>,
) -> ApiResult<Page<Notification>> {
    let notifications = items
        .into_iter()
        .map(from_item)
        .collect::<anyhow::Result<_>>()?;
    Ok(Page::new(notifications, next))
}
