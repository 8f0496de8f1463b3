//! The scheduled SLA check, and the SLA timeline admins read.
//!
//! The check reads only what is due: the sparse due index lists each conversation under
//! the time of its next SLA step (warn, breach, escalate to managers), so a query for
//! "up to now" costs what is due, not what is open. Each step is taken through the
//! version-conditioned edit: when two checks overlap, one writes and the other re-reads
//! a conversation that has nothing due any more, so every warning and escalation
//! happens once. The step is announced by an internal system note, which the notify
//! path delivers (warning to the assignee, escalations to seniors and then managers).

use chrono::{DateTime, Duration, Utc};
use domain::Zone;
use futures_util::{StreamExt, TryStreamExt, stream};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use super::Created;
use super::admin::admin_may_see;
use super::edit::Edit;
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use domain::conversation::{ADMIN_SIDE, ConversationView, SlaView};
use domain::identity::Caller;
use domain::sla::{SlaAction, SlaEvent, SlaTargets};
use domain::{Conversation, Message, SenderRole};
use store::table::{Index, Query, SortKey, from_item};
use store::{
    self, DUE_SHARDS, SLA_TIMELINE_PREFIX, SlaTimelineEntry, due_shard, message_write,
    messages_partition, sortable_time,
};

/// The sender id of the SLA check's notes.
const SLA_CHECK_SENDER: &str = "sla-check";
/// Conversations stepped at once.
const CONCURRENCY: usize = 8;
/// Due conversations read per page of the due index.
const PAGE: usize = 100;
/// A timeline of more changes than this shows the latest.
const TIMELINE_LIMIT: usize = 300;

/// What one check did.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SlaCheckOutcome {
    /// Conversations the due index listed.
    pub due: usize,
    pub warned: usize,
    pub escalated_to_senior: usize,
    pub escalated_to_manager: usize,
    /// Snoozed conversations whose time came: open again, their assignee told.
    pub reopened: usize,
    /// Steps another check took first, or that were no longer due.
    pub skipped: usize,
}

/// What the check did to one conversation.
#[derive(Debug, Clone, Copy, Default, Serialize)]
struct Stepped {
    woke: bool,
    action: Option<SlaAction>,
}

impl SlaCheckOutcome {
    /// The check's figures as custom metrics, and a heartbeat: the alarm on its absence
    /// says the check has stopped running.
    fn report(&self) {
        metering::emf::counts(&[
            ("Due", self.due as u64),
            ("Warned", self.warned as u64),
            // A breach is what escalates to the seniors.
            ("Breached", self.escalated_to_senior as u64),
            ("EscalatedToManager", self.escalated_to_manager as u64),
            ("Reopened", self.reopened as u64),
            ("Heartbeat", 1),
        ]);
    }
}

/// `GET /v1/admin/conversations/{id}/sla`: the clocks now and how they got there.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SlaTimeline {
    pub conversation_id: String,
    pub sla: SlaView,
    /// The SLA check's next step, if any.
    #[schema(required = true)]
    pub next_step: Option<NextStep>,
    /// Oldest first.
    pub events: Vec<SlaEvent>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NextStep {
    pub at: DateTime<Utc>,
    pub action: SlaAction,
}

impl App {
    /// Takes every SLA step due by `now` (the schedule's own time).
    #[instrument(skip_all, fields(now = %now))]
    pub async fn sla_check(&self, now: DateTime<Utc>) -> ApiResult<SlaCheckOutcome> {
        let targets = self.sla_targets().await?;
        let shards = futures_util::future::try_join_all(
            (0..DUE_SHARDS).map(|shard| self.due_in_shard(shard, now)),
        )
        .await?;
        let due: Vec<String> = shards.into_iter().flatten().collect();
        let listed = due.len();
        let targets = &targets;
        let steps: Vec<Stepped> = stream::iter(due)
            .map(|id| async move { self.take_sla_step(&id, now, targets).await })
            .buffer_unordered(CONCURRENCY)
            .try_collect()
            .await?;
        let mut outcome = SlaCheckOutcome {
            due: listed,
            ..SlaCheckOutcome::default()
        };
        for step in steps {
            outcome.reopened += usize::from(step.woke);
            match step.action {
                Some(SlaAction::Warn) => outcome.warned += 1,
                Some(SlaAction::Breach) => outcome.escalated_to_senior += 1,
                Some(SlaAction::EscalateToManager) => outcome.escalated_to_manager += 1,
                None if !step.woke => outcome.skipped += 1,
                None => {}
            }
        }
        tracing::info!(?outcome, "sla check done");
        outcome.report();
        Ok(outcome)
    }

    /// Ids of the conversations in one shard of the due index with a step due by `now`.
    async fn due_in_shard(&self, shard: u32, now: DateTime<Utc>) -> ApiResult<Vec<String>> {
        // Sort keys are `<time>#<id>`: `~` sorts after every id character.
        let query = Query::partition(Index::Gsi2, due_shard(shard))
            .sort(SortKey::Le(format!("{}~", sortable_time(now))));
        let mut ids = Vec::new();
        let mut cursor = None;
        loop {
            let (items, next) =
                store::page(self.table.as_ref(), query.clone().start(cursor), PAGE).await?;
            for item in items {
                let conversation: Conversation = from_item(item)?;
                ids.push(conversation.id);
            }
            match next {
                Some(next) => cursor = Some(next.0),
                None => return Ok(ids),
            }
        }
    }

    async fn take_sla_step(
        &self,
        id: &str,
        now: DateTime<Utc>,
        targets: &SlaTargets,
    ) -> ApiResult<Stepped> {
        let stepped = self
            .edit_conversation(
                id,
                None,
                |_| true,
                |conversation| {
                    let snoozed_until = conversation.snoozed_until;
                    let woke = conversation.wake(now, targets);
                    let action = conversation.advance_sla(now);
                    let stepped = Stepped { woke, action };
                    let mut notes = Vec::new();
                    if let Some(until) = snoozed_until.filter(|_| woke) {
                        notes.push(message_write(&self.wake_note(conversation, until, now))?);
                    }
                    if let Some(action) = action {
                        let note = self.sla_note(conversation, action, now, targets);
                        notes.push(message_write(&note)?);
                    }
                    if notes.is_empty() {
                        return Ok(Edit::unchanged(stepped));
                    }
                    Ok(Edit::with(notes, stepped))
                },
            )
            .await;
        match stepped {
            Ok(Created::New(stepped)) => Ok(stepped),
            Ok(Created::Replayed(_) | Created::Held(_)) => Ok(Stepped::default()),
            // Deleted meanwhile: nothing to escalate.
            Err(ApiError::NotFound(_)) => Ok(Stepped::default()),
            Err(other) => Err(other),
        }
    }

    /// The internal note that reopens a snoozed conversation and, through the notify
    /// path, tells whoever answers it.
    fn wake_note(
        &self,
        conversation: &Conversation,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Message {
        let body = format!(
            "Snoozed until {}: open again.",
            super::admin::local_time(until)
        );
        Message {
            snooze_ended: true,
            ..self.check_note(conversation, body, now)
        }
    }

    /// An internal note from the SLA check on the conversation.
    fn check_note(&self, conversation: &Conversation, body: String, now: DateTime<Utc>) -> Message {
        Message::new(
            self.ids.next(now),
            conversation.id.clone(),
            SLA_CHECK_SENDER.into(),
            SenderRole::System,
            body,
            now,
            true,
        )
    }

    /// The internal note that records a step on the conversation and carries it to the
    /// notify path.
    fn sla_note(
        &self,
        conversation: &Conversation,
        action: SlaAction,
        now: DateTime<Utc>,
        targets: &SlaTargets,
    ) -> Message {
        let zone = targets
            .policy
            .time_zone(conversation.priority, conversation.category)
            .unwrap_or(domain::HOME_TIME_ZONE);
        let sla = conversation.sla.as_ref();
        let due = sla.and_then(|s| s.next_response_due).unwrap_or(now);
        let since = sla.and_then(|s| s.awaiting_since).unwrap_or(now);
        let body = match action {
            SlaAction::Warn => format!(
                "SLA warning: the user has waited since {}; an answer is due by {}.",
                local(since, &zone),
                local(due, &zone)
            ),
            SlaAction::Breach => format!(
                "SLA breached: no answer since {}, due by {}. Escalated to senior admins.",
                local(since, &zone),
                local(due, &zone)
            ),
            SlaAction::EscalateToManager => format!(
                "Still unanswered {} after the deadline ({}). Escalated to managers.",
                waited(now - due),
                local(due, &zone)
            ),
        };
        Message {
            sla_alert: Some(action),
            ..self.check_note(conversation, body, now)
        }
    }

    /// The conversation's clocks and timeline, in one query: its META item and the
    /// timeline items that sort right after it.
    #[instrument(skip_all, fields(caller = caller.id(), conversation = id))]
    pub async fn sla_timeline(&self, caller: &Caller, id: &str) -> ApiResult<SlaTimeline> {
        caller.require_admin()?;
        let query = Query::partition(Index::Table, messages_partition(id))
            .sort(SortKey::BeginsWith("META".into()))
            .descending(true);
        // Newest first, so a very long timeline keeps its latest entries; META sorts
        // before its entries, so it comes last, or not at all past the limit.
        let (items, _) = store::page(self.table.as_ref(), query, TIMELINE_LIMIT).await?;
        let mut entries = Vec::new();
        let mut conversation: Option<Conversation> = None;
        for item in items {
            let is_timeline = item
                .get("sk")
                .and_then(|v| v.as_s())
                .is_some_and(|sk| sk.starts_with(SLA_TIMELINE_PREFIX));
            if is_timeline {
                entries.push(from_item::<SlaTimelineEntry>(item)?);
            } else {
                conversation = Some(from_item(item)?);
            }
        }
        let conversation = match conversation {
            Some(c) => c,
            None => self.load_conversation(id, |_| true).await?,
        };
        if !admin_may_see(caller, &conversation) {
            return Err(ApiError::not_found("conversation"));
        }
        let now = self.clock.now();
        let view = ConversationView::new(&conversation, ADMIN_SIDE, now);
        let (Some(sla), Some(clocks)) = (view.sla, conversation.sla.as_ref()) else {
            return Err(ApiError::not_found(
                "SLA (only support conversations have one)",
            ));
        };
        let events = entries.into_iter().rev().flat_map(|e| e.events).collect();
        Ok(SlaTimeline {
            conversation_id: conversation.id.clone(),
            sla,
            next_step: clocks
                .next_step()
                .map(|(at, action)| NextStep { at, action }),
            events,
        })
    }
}

fn local(at: DateTime<Utc>, zone: &Zone) -> String {
    at.with_timezone(zone)
        .format("%a %-d %b %H:%M %Z")
        .to_string()
}

fn waited(span: Duration) -> String {
    let minutes = span.num_minutes().max(0);
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}
