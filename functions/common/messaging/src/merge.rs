//! Merging a user's duplicate support conversation into another of theirs
//! (`POST /v1/admin/conversations/{id}/merge`). Linked, not moved: the target lists the
//! source among those merged into it and their messages are read side by side, so the
//! merge writes a few items whatever the conversations' length (no transaction near
//! DynamoDB's 100), all in one transaction conditioned on both versions read: it
//! happens whole or not at all, and once, however many admins merge at the same time.

use serde::Deserialize;
use tracing::instrument;

use super::admin::admin_may_see;
use super::directory::load_changes_of;
use super::edit::{ATTEMPTS, backoff};
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use domain::conversation::{ADMIN_SIDE, ConversationView, Merge, merge};
use domain::identity::Caller;
use domain::{Conversation, SenderRole, validate};
use store::table::TableError;
use store::{conversation_writes, message_write, repoint_writes};

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The conversation to merge this one into: the same user's support conversation,
    /// not merged itself.
    pub into: String,
}

impl App {
    /// Merges conversation `id` into `request.into`; the target as it is afterwards. A
    /// merge repeated (a retry, another admin at once) finds it done and answers the
    /// same, writing nothing.
    #[instrument(skip_all, fields(caller = caller.id(), conversation = id))]
    pub async fn merge_conversation(
        &self,
        caller: &Caller,
        id: &str,
        request: MergeRequest,
    ) -> ApiResult<ConversationView> {
        caller.require_admin()?;
        let into = validate::id("into", &request.into)?;
        if into == id {
            return Err(ApiError::invalid(
                "into: a conversation is not merged into itself",
            ));
        }
        let targets = self.sla_targets().await?;
        let visible = |c: &Conversation| admin_may_see(caller, c);
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                backoff(attempt).await;
            }
            let (source, target) = tokio::join!(
                self.load_conversation(id, visible),
                self.load_conversation(&into, visible)
            );
            let mut source = source?;
            let mut target = target.map_err(|error| match error {
                ApiError::NotFound(_) => ApiError::not_found("into: conversation"),
                other => other,
            })?;
            let (source_before, target_before) = (source.clone(), target.clone());
            let now = self.clock.now();
            let repointed = match merge(&mut source, &mut target, now, &targets)? {
                Merge::Already => return Ok(ConversationView::new(&target, ADMIN_SIDE, now)),
                Merge::Done { repointed } => repointed,
            };
            source.version += 1;
            target.version += 1;

            let mut writes = conversation_writes(&source, Some(source_before.version))?;
            let source_meta = 0;
            let target_meta = writes.len();
            writes.extend(conversation_writes(&target, Some(target_before.version))?);
            let mut repoint_metas = Vec::new();
            for earlier in &repointed {
                repoint_metas.push(writes.len());
                writes.extend(repoint_writes(
                    earlier,
                    &source.participants,
                    &source.id,
                    &target.id,
                ));
            }
            let body = format!(
                "Merged {} (“{}”) into this conversation: its messages are shown here.",
                source.id, source.subject
            );
            let note = self.new_message(&target.id, caller, SenderRole::System, body, true);
            writes.push(message_write(&note)?);
            writes.push(self.audit(
                caller,
                "conversation.merged",
                format!("conversation:{}", source.id),
                Some(format!("into conversation:{}", target.id)),
            )?);
            writes.extend(load_changes_of(&[
                (Some(&source_before), &source),
                (Some(&target_before), &target),
            ]));
            match self.table.write(writes).await {
                Ok(()) => return Ok(ConversationView::new(&target, ADMIN_SIDE, now)),
                // One of them changed since it was read: merge again from fresh reads.
                Err(TableError::ConditionFailed { index })
                    if index == source_meta
                        || index == target_meta
                        || repoint_metas.contains(&index) =>
                {
                    continue;
                }
                Err(TableError::Conflict) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(ApiError::conflict(
            "the conversations are changing too fast; please retry",
        ))
    }
}

/// The refusal for a write to a merged conversation: where it goes on.
pub(crate) fn merged_elsewhere(conversation: &Conversation) -> Option<ApiError> {
    conversation.merged_into.as_ref().map(|into| {
        ApiError::conflict(format!(
            "this conversation was merged into {into}; continue there"
        ))
    })
}
