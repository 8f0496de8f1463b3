//! Changing an existing conversation safely: read it (consistently), let the operation
//! decide, then write everything that changes in one transaction conditioned on the
//! version read. If another request changed it meanwhile, start over from a fresh read,
//! so two agents acting at once both keep their changes.

use serde::Serialize;

use super::{Created, Idempotency, directory};
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use domain::Conversation;
use store::table::{TableError, WriteOp, from_item};
use store::{conversation_key, conversation_writes};

pub(super) const ATTEMPTS: usize = 8;

/// A conditional write that must hold for a change to go ahead (a rate limit's
/// counter); when its condition fails, nothing is written and the change fails with
/// `refusal`.
pub struct Guard {
    pub write: WriteOp,
    pub refusal: ApiError,
}

/// What an operation does to a conversation it was handed.
pub struct Edit<R> {
    /// Writes beside the conversation's own (a new message, say).
    pub extra: Vec<WriteOp>,
    pub guards: Vec<Guard>,
    pub result: R,
    /// Nothing to do after all (another worker got there first): write nothing.
    unchanged: bool,
}

impl<R> Edit<R> {
    pub fn with(extra: Vec<WriteOp>, result: R) -> Self {
        Self {
            extra,
            guards: Vec::new(),
            result,
            unchanged: false,
        }
    }

    pub fn guarded(mut self, guards: Vec<Guard>) -> Self {
        self.guards = guards;
        self
    }

    pub fn unchanged(result: R) -> Self {
        Self {
            extra: Vec::new(),
            guards: Vec::new(),
            result,
            unchanged: true,
        }
    }
}

/// Adds `guards` to `writes`; the refusals, by the index their write got.
pub(super) fn push_guards(
    writes: &mut Vec<WriteOp>,
    guards: Vec<Guard>,
) -> std::collections::HashMap<usize, ApiError> {
    guards
        .into_iter()
        .map(|guard| {
            writes.push(guard.write);
            (writes.len() - 1, guard.refusal)
        })
        .collect()
}

impl App {
    /// Loads the conversation if `visible` says the caller may see it (404 otherwise).
    pub(crate) async fn load_conversation(
        &self,
        id: &str,
        visible: impl Fn(&Conversation) -> bool,
    ) -> ApiResult<Conversation> {
        let item = self.table.get(&conversation_key(id), true).await?;
        let conversation: Conversation = match item {
            Some(item) => from_item(item)?,
            None => return Err(ApiError::not_found("conversation")),
        };
        if visible(&conversation) {
            Ok(conversation)
        } else {
            Err(ApiError::not_found("conversation"))
        }
    }

    pub(crate) async fn edit_conversation<R: Serialize>(
        &self,
        id: &str,
        idempotency: Option<&Idempotency>,
        visible: impl Fn(&Conversation) -> bool,
        mut change: impl FnMut(&mut Conversation) -> ApiResult<Edit<R>>,
    ) -> ApiResult<Created<R>> {
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                backoff(attempt).await;
            }
            let mut conversation = self.load_conversation(id, &visible).await?;
            let before = conversation.clone();
            let version = conversation.version;
            let edit = change(&mut conversation)?;
            if edit.unchanged {
                return Ok(Created::New(edit.result));
            }
            conversation.version = version + 1;
            let mut writes = Vec::new();
            if let Some(key) = idempotency {
                writes.push(key.claim(&edit.result, self.clock.now(), self.idempotency_hours)?);
            }
            let mut refusals = push_guards(&mut writes, edit.guards);
            writes.extend(edit.extra);
            writes.extend(directory::load_changes(Some(&before), &conversation));
            let meta_index = writes.len();
            writes.extend(conversation_writes(&conversation, Some(version))?);
            match self.table.write(writes).await {
                Ok(()) => return Ok(Created::New(edit.result)),
                Err(TableError::ConditionFailed { index: 0 }) if idempotency.is_some() => {
                    return Ok(Created::Replayed(replay(self, idempotency).await?));
                }
                Err(TableError::ConditionFailed { index }) if refusals.contains_key(&index) => {
                    return Err(refusals
                        .remove(&index)
                        .unwrap_or_else(|| ApiError::conflict("please retry")));
                }
                Err(TableError::ConditionFailed { index }) if index == meta_index => continue,
                Err(TableError::Conflict) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(ApiError::conflict(
            "the conversation is changing too fast; please retry",
        ))
    }
}

/// After a lost race: wait a random while, up to 2^attempt ms, so writers that collided
/// do not collide again in lockstep.
pub(super) async fn backoff(attempt: usize) {
    let ceiling = 1u64 << attempt.min(6);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()));
    let jitter = (nanos ^ (nanos >> 7)) % (ceiling * 1000);
    tokio::time::sleep(std::time::Duration::from_micros(jitter)).await;
}

/// The first response to an idempotency key that was already claimed.
pub(super) async fn replay(
    app: &App,
    idempotency: Option<&Idempotency>,
) -> ApiResult<serde_json::Value> {
    match idempotency {
        Some(key) => key.replay(app.table.as_ref()).await,
        None => Err(ApiError::conflict(
            "the conversation changed at the same time; please retry",
        )),
    }
}
