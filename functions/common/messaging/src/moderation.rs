//! Messages the abuse filter holds: kept as the request that would have sent them,
//! listed oldest first for moderators (`GET /v1/admin/moderation/held`), then released
//! (sent as their author, once, whatever happens to the release) or rejected.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use super::{Created, Idempotency, NewConversation, NewMessage, Page, PageRequest};
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use domain::identity::{Access, Caller, Claims};
use domain::safety::Verdict;
use domain::validate;
use store::keys::{HELD_QUEUE, held_by_partition, held_key};
use store::table::{Condition, Index, Query, TableError, Value, WriteOp, from_item, to_item};
use store::{self, sortable_time};

/// What the held message would have done.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HeldRequest {
    NewConversation {
        request: NewConversation,
    },
    Message {
        conversation_id: String,
        body: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HeldStatus {
    Waiting,
    Released,
    Rejected,
}

/// A held message, as stored and as moderators see it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Held {
    pub id: String,
    pub status: HeldStatus,
    pub sender_id: String,
    /// The author's claims, to send it as them on release.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    sender: Option<Claims>,
    /// What the message would have done: start a conversation (`request`) or write in one (`conversation_id`, `body`, `attachments`)
    pub request: HeldRequest,
    /// Why it was held, in a sentence.
    pub reason: String,
    pub rules: Vec<String>,
    pub created_at: DateTime<Utc>,
    #[schema(required = true)]
    pub decided_by: Option<String>,
    #[schema(required = true)]
    pub decided_at: Option<DateTime<Utc>>,
}

/// What the author is told: their message waits for a moderator.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HeldNotice {
    pub status: HeldStatus,
    pub held_id: String,
    pub reason: String,
}

impl Held {
    /// Moderators see everything but the author's token claims.
    fn view(mut self) -> Self {
        self.sender = None;
        self
    }
}

fn held_write(held: &Held, condition: Condition) -> anyhow::Result<WriteOp> {
    let mut item = to_item(held)?;
    item.insert("pk".into(), Value::s(held_key(&held.id).pk));
    item.insert("sk".into(), Value::s("HELD"));
    // In the moderators' queue while it waits; then under its author.
    let (pk, sk) = Index::Gsi1.key_attributes();
    let list = match held.status {
        HeldStatus::Waiting => HELD_QUEUE.to_string(),
        _ => held_by_partition(&held.sender_id),
    };
    item.insert(pk.into(), Value::s(list));
    item.insert(
        sk.into(),
        Value::s(format!("{}#{}", sortable_time(held.created_at), held.id)),
    );
    // Kept no longer than the messages themselves.
    let (ttl, expires) = store::expiry(held.created_at);
    item.insert(ttl, expires);
    Ok(WriteOp::Put {
        item,
        condition: Some(condition),
    })
}

impl App {
    /// Keeps a message the filter held; the author gets a notice (202), once per
    /// Idempotency-Key.
    pub(crate) async fn hold<T>(
        &self,
        caller: &Caller,
        request: HeldRequest,
        verdict: &Verdict,
        idempotency: Option<&Idempotency>,
    ) -> ApiResult<Created<T>> {
        let now = self.clock.now();
        let held = Held {
            id: self.ids.next(now),
            status: HeldStatus::Waiting,
            sender_id: caller.id().to_string(),
            sender: Some(caller.claims.clone()),
            request,
            reason: verdict.reason(),
            rules: verdict.findings.iter().map(|f| f.rule.clone()).collect(),
            created_at: now,
            decided_by: None,
            decided_at: None,
        };
        let notice = HeldNotice {
            status: HeldStatus::Waiting,
            held_id: held.id.clone(),
            reason: format!("your message waits for a moderator because {}", held.reason),
        };
        let write = held_write(&held, Condition::NotExists)?;
        Ok(
            match self
                .create_once(write, Vec::new(), notice, idempotency)
                .await?
            {
                Created::New(notice) => Created::Held(notice),
                Created::Held(notice) => Created::Held(notice),
                Created::Replayed(first) => Created::Replayed(first),
            },
        )
    }

    /// The queue, oldest first.
    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn held_messages(&self, caller: &Caller, page: PageRequest) -> ApiResult<Page<Held>> {
        Access::Moderator.check(caller)?;
        let query = Query::partition(Index::Gsi1, HELD_QUEUE).start(page.cursor.map(|c| c.0));
        let (items, next) = store::page(self.table.as_ref(), query, page.limit).await?;
        let held = items
            .into_iter()
            .map(|item| Ok(from_item::<Held>(item)?.view()))
            .collect::<ApiResult<_>>()?;
        Ok(Page::new(held, next))
    }

    /// Sends a held message as its author (skipping the filter that held it) and takes
    /// it off the queue. The send is keyed by the held message, so a release retried or
    /// raced sends it once.
    #[instrument(skip_all, fields(caller = caller.id(), held = id))]
    pub async fn release_held(&self, caller: &Caller, id: &str) -> ApiResult<Held> {
        Access::Moderator.check(caller)?;
        let held = self.waiting(id).await?;
        let author =
            Caller::new(held.sender.clone().ok_or_else(|| {
                ApiError::conflict("the held message has no author to send it as")
            })?)?;
        let key = Idempotency::new(
            held.sender_id.as_str(),
            &format!("held-{id}"),
            "release",
            &id,
        )?;
        let sent = match &held.request {
            HeldRequest::NewConversation { request } => self
                .create_conversation_as(&author, request.clone(), Some(&key), Gate::Released)
                .await
                .map(drop),
            HeldRequest::Message {
                conversation_id,
                body,
                attachments,
            } => self
                .post_message_as(
                    &author,
                    conversation_id,
                    NewMessage {
                        body: body.clone(),
                        attachments: attachments.clone(),
                    },
                    Some(&key),
                    Gate::Released,
                )
                .await
                .map(drop),
        };
        sent?;
        self.decide(caller, held, HeldStatus::Released).await
    }

    #[instrument(skip_all, fields(caller = caller.id(), held = id))]
    pub async fn reject_held(&self, caller: &Caller, id: &str) -> ApiResult<Held> {
        Access::Moderator.check(caller)?;
        let held = self.waiting(id).await?;
        self.decide(caller, held, HeldStatus::Rejected).await
    }

    async fn waiting(&self, id: &str) -> ApiResult<Held> {
        validate::id("id", id)?;
        let held: Held = match self.table.get(&held_key(id), true).await? {
            Some(item) => from_item(item)?,
            None => return Err(ApiError::not_found("held message")),
        };
        match held.status {
            HeldStatus::Waiting => Ok(held),
            decided => Err(ApiError::conflict(format!(
                "the held message was already {}",
                match decided {
                    HeldStatus::Released => "released",
                    _ => "rejected",
                }
            ))),
        }
    }

    /// Records the decision, once: a second decision racing this one is a 409.
    async fn decide(&self, caller: &Caller, mut held: Held, status: HeldStatus) -> ApiResult<Held> {
        held.status = status;
        held.decided_by = Some(caller.id().to_string());
        held.decided_at = Some(self.clock.now());
        let write = held_write(
            &held,
            Condition::Equals("status".into(), Value::s("waiting")),
        )?;
        let action = match status {
            HeldStatus::Released => "held.released",
            _ => "held.rejected",
        };
        let audit = self.audit(
            caller,
            action,
            format!("held:{}", held.id),
            Some(held.reason.clone()),
        )?;
        match self.table.write(vec![write, audit]).await {
            Ok(()) => Ok(held.view()),
            Err(TableError::ConditionFailed { .. }) => Err(ApiError::conflict(
                "another moderator decided on this message at the same time",
            )),
            Err(other) => Err(other.into()),
        }
    }
}

/// Whether a user's message goes through the abuse filter and rate limits (always,
/// except when a moderator releases one it held).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Screen,
    Released,
}

/// `POST /v1/admin/users/{id}/block`: why.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BlockRequest {
    #[schema(max_length = 500)]
    pub reason: String,
}

/// A user blocked from sending messages.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Block {
    pub user_id: String,
    pub reason: String,
    pub blocked_by: String,
    pub blocked_at: DateTime<Utc>,
}

impl App {
    /// Blocks a user from sending: every message of theirs is refused from now on (in
    /// the message's own transaction, so at no extra cost).
    #[instrument(skip_all, fields(caller = caller.id(), user = user))]
    pub async fn block_user(
        &self,
        caller: &Caller,
        user: &str,
        request: BlockRequest,
    ) -> ApiResult<Block> {
        Access::Moderator.check(caller)?;
        let block = Block {
            user_id: validate::id("id", user)?,
            reason: validate::bounded_text("reason", &request.reason, 500)?,
            blocked_by: caller.id().to_string(),
            blocked_at: self.clock.now(),
        };
        let audit = self.audit(
            caller,
            "user.blocked",
            format!("user:{user}"),
            Some(block.reason.clone()),
        )?;
        let write = store::record_write(&store::keys::block_key(user), &block, None)?;
        self.table.write(vec![write, audit]).await?;
        Ok(block)
    }

    #[instrument(skip_all, fields(caller = caller.id(), user = user))]
    pub async fn unblock_user(&self, caller: &Caller, user: &str) -> ApiResult<()> {
        Access::Moderator.check(caller)?;
        validate::id("id", user)?;
        let delete = WriteOp::Delete {
            key: store::keys::block_key(user),
            condition: Some(Condition::Exists),
        };
        let audit = self.audit(caller, "user.unblocked", format!("user:{user}"), None)?;
        match self.table.write(vec![delete, audit]).await {
            Ok(()) => Ok(()),
            Err(TableError::ConditionFailed { index: 0 }) => {
                Err(ApiError::not_found("block on this user"))
            }
            Err(other) => Err(other.into()),
        }
    }
}

/// `POST /v1/admin/users/{id}/warn`: what to tell them.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WarnRequest {
    #[schema(max_length = 5000)]
    pub message: String,
}

impl App {
    /// Warns a user: a conversation from SayPro Support in their inbox, which they can
    /// answer (and are told of like any message from the team); audited.
    #[instrument(skip_all, fields(caller = caller.id(), user = user))]
    pub async fn warn_user(
        &self,
        caller: &Caller,
        user: &str,
        request: WarnRequest,
    ) -> ApiResult<domain::Message> {
        Access::Moderator.check(caller)?;
        let user = validate::id("id", user)?;
        let body = validate::body("message", &request.message)?;
        let contact = match self.table.get(&store::account_key(&user), false).await? {
            Some(item) => from_item::<super::UserAccount>(item)?.contact,
            None => Default::default(),
        };
        let now = self.clock.now();
        let recipient = domain::broadcast::Recipient {
            user_id: user.clone(),
            contact,
        };
        let (conversation, message) = domain::broadcast::from_support(
            self.ids.next(now),
            &recipient,
            "A warning from SayPro's moderators",
            &body,
            now,
        );
        let mut writes = vec![store::message_write(&message)?];
        writes.extend(store::conversation_writes(&conversation, None)?);
        writes.push(self.audit(caller, "user.warned", format!("user:{user}"), Some(body))?);
        self.table.write(writes).await?;
        Ok(message)
    }
}
