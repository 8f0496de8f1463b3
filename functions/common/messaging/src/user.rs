//! What users do: open conversations, list and read them, write, mark read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tracing::instrument;

use super::edit::{Edit, Guard};
use super::linked;
use super::moderation::{Gate, HeldRequest};
use super::safety::{Screened, Screening, screen, send_guards};
use super::{Created, Idempotency, Order, Page, PageRequest};
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use domain::attachment::Attachment;
use domain::conversation::{ADMIN_SIDE, ConversationView};
use domain::identity::Caller;
use domain::membership::MembershipRules;
use domain::routing::{RoutingInput, RoutingRules};
use domain::safety::{SafetyPolicy, Verdict};
use domain::sla::Sla;
use domain::{
    Category, Conversation, ConversationType, Listing, ListingStatus, Message, Priority,
    SenderRole, Status, validate,
};
use store::table::{Condition, Filter, Index, Query, TableError, Value, WriteOp, from_item};
use store::{
    self, conversation_writes, direct_thread_key, inbox_partition, listing_key, message_write,
    record_write,
};

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConversation {
    #[serde(rename = "type")]
    pub kind: ConversationType,
    /// Required for support
    pub category: Option<Category>,
    /// Required for support; a direct conversation defaults to the listing title
    #[schema(max_length = 200)]
    pub subject: Option<String>,
    /// Trimmed; may be empty only when attachments are given
    #[schema(max_length = 5000, min_length = 0)]
    pub body: String,
    /// Required for direct
    pub listing_id: Option<String>,
    /// Support only; payment and account default to urgent
    pub priority: Option<Priority>,
    /// Ids of the caller's uploads (`POST /v1/attachments`) the first message carries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 5)]
    pub attachments: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreatedConversation {
    pub conversation: ConversationView,
    pub message: Message,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    /// Trimmed; may be empty only when attachments are given
    #[schema(max_length = 5000, min_length = 0)]
    pub body: String,
    /// Ids of the caller's uploads (`POST /v1/attachments`) the message carries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 5)]
    pub attachments: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadRequest {
    pub message_id: String,
}

#[derive(Debug, Clone, Default)]
pub struct ConversationFilter {
    pub status: Option<Status>,
    pub kind: Option<ConversationType>,
    /// Only conversations about this listing (support and buyer–seller).
    pub listing_id: Option<String>,
}

/// What the abuse pipeline made of a user's message: what to store with it, and the
/// rate limits its write counts against.
struct Checked {
    screened: Screened,
    attachments: Vec<Attachment>,
    guards: Vec<Guard>,
    /// Counters written with the message (its repeats this hour).
    counts: Vec<WriteOp>,
    gate: Gate,
}

/// Who reads a conversation's messages: its participants (no internal notes; hidden
/// messages as removed), the admin team (everything), or a moderator (no internal
/// notes; hidden messages as written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Viewer {
    Participant,
    Admin,
    Moderator,
}

/// What writing in a conversation came to; the idempotency record keeps a message as
/// the message itself.
#[derive(Serialize)]
#[serde(untagged)]
enum Written<R> {
    Message(R),
    Held(Verdict),
    /// The conversation was merged into this one: the message goes there.
    MergedInto(String),
}

/// How many merges a message follows to the conversation that goes on (merges point
/// at the last one directly, so one unless a merge lands meanwhile).
const MERGE_HOPS: usize = 3;

/// A user's message passed the filter, or is held for a moderator.
enum Gated {
    Pass(Checked),
    Hold(Verdict),
}

/// The pointer to the one direct thread between a buyer and a listing.
#[derive(Serialize, Deserialize)]
struct DirectThread {
    conversation_id: String,
}

/// Why a new conversation was not stored.
enum NotStored {
    /// The check at this position of the caller's checks failed.
    CheckFailed(usize),
    Refused(ApiError),
}

impl<E: Into<ApiError>> From<E> for NotStored {
    fn from(error: E) -> Self {
        NotStored::Refused(error.into())
    }
}

impl App {
    pub async fn create_conversation(
        &self,
        caller: &Caller,
        request: NewConversation,
        idempotency: Option<&Idempotency>,
    ) -> ApiResult<Created<CreatedConversation>> {
        self.create_conversation_as(caller, request, idempotency, Gate::Screen)
            .await
    }

    /// The abuse pipeline for a user's message: its files checked, the filter's verdict
    /// on its text and file names, and the rate limits its write will count against;
    /// only the files for a message a moderator released.
    async fn check_message(
        &self,
        caller: &Caller,
        (text, files): (&str, &[String]),
        direct: bool,
        new_direct_about: Option<&str>,
        gate: Gate,
    ) -> ApiResult<Gated> {
        let attachments = self.attachments(caller, files).await?;
        if gate == Gate::Released {
            return Ok(Gated::Pass(Checked {
                screened: Screened::default(),
                attachments,
                guards: Vec::new(),
                counts: Vec::new(),
                gate,
            }));
        }
        let safety = self.setting::<SafetyPolicy>().await?;
        let text = with_file_names(text, &attachments);
        let repeats = self.repeats(&safety.policy, caller, &text).await?;
        Ok(
            match screen(&safety.policy, &text, direct, repeats.as_ref())? {
                Screening::Hold(verdict) => Gated::Hold(verdict),
                Screening::Pass(screened) => Gated::Pass(Checked {
                    screened,
                    attachments,
                    guards: send_guards(&safety.policy, caller, self.clock.now(), new_direct_about),
                    counts: repeats.map(|r| r.count).into_iter().collect(),
                    gate,
                }),
            },
        )
    }

    #[instrument(skip_all, fields(caller = caller.id(), kind = ?request.kind))]
    pub(crate) async fn create_conversation_as(
        &self,
        caller: &Caller,
        request: NewConversation,
        idempotency: Option<&Idempotency>,
        gate: Gate,
    ) -> ApiResult<Created<CreatedConversation>> {
        caller.require_person()?;
        let body = validate::body_with_files(&request.body, request.attachments.len())?;
        let category = (request.kind == ConversationType::Support)
            .then_some(request.category)
            .flatten();
        let membership = self.setting::<MembershipRules>().await?;
        membership
            .policy
            .check(request.kind, category, caller.claims.tier.as_deref())?;
        let listing_id = request
            .listing_id
            .as_deref()
            .map(|id| validate::id("listing_id", id))
            .transpose()?;
        let text = format!("{}\n{body}", request.subject.as_deref().unwrap_or_default());
        let original = request.clone();
        let held = |verdict: Verdict| {
            let held = HeldRequest::NewConversation {
                request: original.clone(),
            };
            async move { self.hold(caller, held, &verdict, idempotency).await }
        };
        match request.kind {
            ConversationType::Support => {
                let category = request.category.ok_or_else(|| {
                    ApiError::invalid("category: required for a support conversation")
                })?;
                let subject = validate::subject(request.subject.as_deref().unwrap_or_default())?;
                let message = (text.as_str(), request.attachments.as_slice());
                let checked = match self
                    .check_message(caller, message, false, None, gate)
                    .await?
                {
                    Gated::Pass(checked) => checked,
                    Gated::Hold(verdict) => return held(verdict).await,
                };
                self.create_support(
                    caller,
                    category,
                    subject,
                    request.priority,
                    (body, checked),
                    listing_id,
                    idempotency,
                )
                .await
            }
            ConversationType::Direct => {
                for (field, given) in [
                    ("category", request.category.is_some()),
                    ("priority", request.priority.is_some()),
                ] {
                    if given {
                        return Err(ApiError::invalid(format!(
                            "{field}: not used by a direct conversation"
                        )));
                    }
                }
                let listing_id = listing_id.ok_or_else(|| {
                    ApiError::invalid("listing_id: required for a direct conversation")
                })?;
                let subject = request
                    .subject
                    .as_deref()
                    .map(validate::subject)
                    .transpose()?;
                let message = (text.as_str(), request.attachments.as_slice());
                let checked = match self
                    .check_message(caller, message, true, Some(&listing_id), gate)
                    .await?
                {
                    Gated::Pass(checked) => checked,
                    Gated::Hold(verdict) => return held(verdict).await,
                };
                self.create_direct(caller, listing_id, subject, (body, checked), idempotency)
                    .await
            }
        }
    }

    /// A new message, stamped now, with a time-ordered id.
    pub(crate) fn new_message(
        &self,
        conversation_id: &str,
        sender: &Caller,
        sender_role: SenderRole,
        body: String,
        internal: bool,
    ) -> Message {
        let now = self.clock.now();
        Message::new(
            self.ids.next(now),
            conversation_id.to_string(),
            sender.id().to_string(),
            sender_role,
            body,
            now,
            internal,
        )
    }

    /// A user's message, with its files and what the abuse filter found in it.
    fn user_message(
        &self,
        caller: &Caller,
        conversation_id: &str,
        (body, attachments): (String, Vec<Attachment>),
        screened: &Screened,
    ) -> Message {
        let mut message = self.new_message(conversation_id, caller, SenderRole::User, body, false);
        message.warning = screened.warning.clone();
        message.links = screened.links.clone();
        message.attachments = attachments;
        message
    }

    #[allow(clippy::too_many_arguments)]
    async fn create_support(
        &self,
        caller: &Caller,
        category: Category,
        subject: String,
        priority: Option<Priority>,
        (body, checked): (String, Checked),
        listing_id: Option<String>,
        idempotency: Option<&Idempotency>,
    ) -> ApiResult<Created<CreatedConversation>> {
        let targets = self.sla_targets().await?;
        let rules = self.setting::<RoutingRules>().await?;
        // The listing's category costs a read only when a rule looks at it.
        let listing = match &listing_id {
            Some(id) if rules.policy.uses_listing_category() => self.listing(id).await?,
            _ => None,
        };
        let text = format!("{subject}\n{body}");
        let route = rules.policy.route(&RoutingInput {
            category,
            text: &text,
            listing_category: listing.as_ref().map(|l| l.category.as_str()),
            user_tier: caller.claims.tier.as_deref(),
        });
        let priority = priority.unwrap_or(route.priority);
        let now = self.clock.now();
        // Teams that assign automatically: the least-loaded available agent, else the queue.
        let assignee = match rules.policy.auto_assign.contains(&route.team) {
            true => self.least_loaded(route.team, now).await?.map(|a| a.id),
            false => None,
        };
        let id = self.ids.next(now);
        let files = checked.attachments.clone();
        let message = self.user_message(caller, &id, (body, files), &checked.screened);
        let mut conversation = Conversation {
            id: id.clone(),
            kind: ConversationType::Support,
            listing_id: listing_id.clone(),
            subject,
            category,
            priority,
            status: Status::Open,
            created_by: caller.id().to_string(),
            participants: vec![caller.id().to_string()],
            team: Some(route.team),
            assignee,
            created_at: now,
            last_message_at: now,
            last_message_id: message.id.clone(),
            unread: BTreeMap::from([(ADMIN_SIDE.to_string(), 1), (caller.id().to_string(), 0)]),
            read_marks: BTreeMap::new(),
            contacts: BTreeMap::from([(caller.id().to_string(), caller.contact())]),
            sla: Some(Sla::start(now, priority, category, &targets)),
            resolved_at: None,
            snoozed_until: None,
            merged_from: Vec::new(),
            merged_into: None,
            broadcast_id: None,
            version: 1,
        };
        let automated = self
            .automated_replies(&mut conversation, &message.body, listing.as_ref(), &targets)
            .await?;
        // A support conversation may be about any listing the website registered, active
        // or not ("why was my ad taken down?"), but not an unknown one.
        let checks: Vec<WriteOp> = listing_id
            .iter()
            .map(|l| WriteOp::Check {
                key: listing_key(l),
                condition: Condition::Exists,
            })
            .collect();
        self.store_new_conversation(
            caller,
            conversation,
            (message, automated),
            (checks, checked.guards, checked.counts),
            idempotency,
        )
        .await
        .map_err(|not_stored| match not_stored {
            NotStored::CheckFailed(_) => ApiError::not_found("listing"),
            NotStored::Refused(error) => error,
        })
    }

    async fn create_direct(
        &self,
        caller: &Caller,
        listing_id: String,
        subject: Option<String>,
        (body, checked): (String, Checked),
        idempotency: Option<&Idempotency>,
    ) -> ApiResult<Created<CreatedConversation>> {
        let listing: Listing = match self.table.get(&listing_key(&listing_id), true).await? {
            Some(item) => from_item(item)?,
            None => return Err(ApiError::not_found("listing")),
        };
        if listing.status != ListingStatus::Active {
            return Err(ApiError::conflict(
                "listing_id: the listing is not active, so it cannot be messaged about",
            ));
        }
        if listing.seller_id == caller.id() {
            return Err(ApiError::invalid("listing_id: this is your own listing"));
        }
        let now = self.clock.now();
        let id = self.ids.next(now);
        let files = checked.attachments.clone();
        let message = self.user_message(caller, &id, (body.clone(), files), &checked.screened);
        let subject = subject.unwrap_or_else(|| {
            listing
                .title
                .chars()
                .take(validate::SUBJECT_MAX_CHARS)
                .collect()
        });
        let conversation = Conversation {
            id: id.clone(),
            kind: ConversationType::Direct,
            listing_id: Some(listing_id.clone()),
            subject,
            category: Category::General,
            priority: Priority::Normal,
            status: Status::Open,
            created_by: caller.id().to_string(),
            participants: vec![caller.id().to_string(), listing.seller_id.clone()],
            team: None,
            assignee: None,
            created_at: now,
            last_message_at: now,
            last_message_id: message.id.clone(),
            unread: BTreeMap::from([(caller.id().to_string(), 0), (listing.seller_id.clone(), 1)]),
            read_marks: BTreeMap::new(),
            contacts: BTreeMap::from([(caller.id().to_string(), caller.contact())]),
            sla: None,
            resolved_at: None,
            snoozed_until: None,
            merged_from: Vec::new(),
            merged_into: None,
            broadcast_id: None,
            version: 1,
        };
        let thread = direct_thread_key(&listing_id, caller.id());
        let checks = vec![
            // Still active when the conversation is stored, not only when it was read.
            WriteOp::Check {
                key: listing_key(&listing_id),
                condition: Condition::Equals("status".into(), Value::s("active")),
            },
            record_write(
                &thread,
                &DirectThread {
                    conversation_id: id,
                },
                Some(Condition::NotExists),
            )?,
        ];
        let created = self
            .store_new_conversation(
                caller,
                conversation,
                (message, Vec::new()),
                (checks, checked.guards, checked.counts),
                idempotency,
            )
            .await;
        match created {
            Ok(created) => Ok(created),
            Err(NotStored::CheckFailed(0)) => Err(ApiError::conflict(
                "listing_id: the listing is not active, so it cannot be messaged about",
            )),
            Err(NotStored::Refused(error)) => Err(error),
            // The buyer already has a thread about this listing: the message goes there,
            // so buyer and seller keep one conversation per listing.
            Err(NotStored::CheckFailed(_)) => {
                let pointer: DirectThread = match self.table.get(&thread, true).await? {
                    Some(item) => from_item(item)?,
                    None => {
                        return Err(ApiError::conflict(
                            "the conversation changed at the same time; please retry",
                        ));
                    }
                };
                self.write_user_message(
                    caller,
                    &pointer.conversation_id,
                    (body, checked.attachments),
                    idempotency,
                    checked.gate,
                    |c, m, now| CreatedConversation {
                        conversation: ConversationView::new(c, caller.id(), now),
                        message: m.clone(),
                    },
                )
                .await
            }
        }
    }

    /// Stores a new conversation with its first message and the automated replies that
    /// follow it, after `checks` (a failed one is named by its position).
    async fn store_new_conversation(
        &self,
        caller: &Caller,
        conversation: Conversation,
        (message, automated): (Message, Vec<Message>),
        (checks, guards, counts): (Vec<WriteOp>, Vec<Guard>, Vec<WriteOp>),
        idempotency: Option<&Idempotency>,
    ) -> Result<Created<CreatedConversation>, NotStored> {
        let now = self.clock.now();
        let response = CreatedConversation {
            conversation: ConversationView::new(&conversation, caller.id(), now),
            message: message.clone(),
        };
        let mut writes = Vec::new();
        if let Some(key) = idempotency {
            writes.push(key.claim(&response, now, self.idempotency_hours)?);
        }
        let mut refusals = super::edit::push_guards(&mut writes, guards);
        let first_check = writes.len();
        let check_count = checks.len();
        writes.extend(checks);
        writes.extend(counts);
        writes.push(message_write(&message)?);
        for reply in &automated {
            writes.push(message_write(reply)?);
        }
        writes.extend(super::directory::load_changes(None, &conversation));
        writes.extend(conversation_writes(&conversation, None)?);
        match self.table.write(writes).await {
            Ok(()) => Ok(Created::New(response)),
            Err(TableError::ConditionFailed { index: 0 }) if idempotency.is_some() => Ok(
                Created::Replayed(super::edit::replay(self, idempotency).await?),
            ),
            Err(TableError::ConditionFailed { index })
                if (first_check..first_check + check_count).contains(&index) =>
            {
                Err(NotStored::CheckFailed(index - first_check))
            }
            Err(TableError::ConditionFailed { index }) if refusals.contains_key(&index) => {
                Err(NotStored::Refused(
                    refusals
                        .remove(&index)
                        .unwrap_or_else(|| ApiError::conflict("please retry")),
                ))
            }
            Err(other) => Err(ApiError::from(other).into()),
        }
    }

    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn list_conversations(
        &self,
        caller: &Caller,
        filter: ConversationFilter,
        page: PageRequest,
    ) -> ApiResult<Page<ConversationView>> {
        caller.require_person()?;
        let listing_id = filter
            .listing_id
            .as_deref()
            .map(|id| validate::id("listing_id", id))
            .transpose()?;
        // The filters run on the caller's inbox rows (each a copy of the conversation):
        // a page reads the inbox newest first until it has `limit` matches, at most a
        // few round trips (see `store::page`), and may come back short with a cursor.
        let mut query = Query::partition(Index::Gsi1, inbox_partition(caller.id()))
            .descending(true)
            .start(page.cursor.map(|c| c.0));
        if let Some(listing_id) = listing_id {
            query = query.filter(Filter::Equals("listing_id".into(), Value::s(listing_id)));
        }
        if let Some(status) = filter.status {
            query = query.filter(Filter::Equals("status".into(), Value::s(status.as_str())));
        }
        if let Some(kind) = filter.kind {
            let kind = match kind {
                ConversationType::Support => "support",
                ConversationType::Direct => "direct",
            };
            query = query.filter(Filter::Equals("type".into(), Value::s(kind)));
        }
        let (items, next) = store::page(self.table.as_ref(), query, page.limit).await?;
        let now = self.clock.now();
        let views = items
            .into_iter()
            .map(|item| {
                Ok(ConversationView::new(
                    &from_item::<Conversation>(item)?,
                    caller.id(),
                    now,
                ))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Page::new(views, next))
    }

    #[instrument(skip_all, fields(caller = caller.id(), conversation = id))]
    pub async fn get_conversation(&self, caller: &Caller, id: &str) -> ApiResult<ConversationView> {
        caller.require_person()?;
        let conversation = self
            .load_conversation(id, |c| c.is_participant(caller.id()))
            .await?;
        Ok(ConversationView::new(
            &conversation,
            caller.id(),
            self.clock.now(),
        ))
    }

    /// Messages of a conversation the caller may see. The authorization read and the
    /// message query go out together: one round trip of latency. A conversation others
    /// were merged into reads theirs too, from the same position, in a second round.
    pub(crate) async fn read_messages(
        &self,
        id: &str,
        visible: impl Fn(&Conversation) -> bool,
        viewer: Viewer,
        order: Order,
        page: PageRequest,
    ) -> ApiResult<Page<Message>> {
        let after = linked::position(page.cursor.as_ref())?;
        let query = match &after {
            Some(after) => linked::messages_from(id, Some(after), order, viewer),
            None => linked::messages_from(id, None, order, viewer)
                .start(page.cursor.clone().map(|c| c.0)),
        };
        let size = page.limit + usize::from(after.is_some());
        let (conversation, messages) = tokio::join!(
            self.load_conversation(id, visible),
            store::page(self.table.as_ref(), query, size)
        );
        let conversation = conversation?;
        let (items, next) = if conversation.merged_from.is_empty() && after.is_none() {
            messages?
        } else {
            let after = match (after, &page.cursor) {
                (Some(after), _) => Some(after),
                (None, Some(plain)) => Some(linked::position_of_plain(plain)?),
                (None, None) => None,
            };
            let mut partials = vec![linked::Partial::of(messages?)];
            partials.extend(
                self.linked_partials(
                    &conversation.merged_from,
                    after.as_deref(),
                    order,
                    viewer,
                    page.limit,
                )
                .await?,
            );
            linked::combine(partials, after.as_deref(), order, page.limit)
        };
        let messages = items
            .into_iter()
            .map(|item| {
                let message: Message = from_item(item)?;
                Ok(match viewer {
                    Viewer::Participant => message.as_participants_see_it(),
                    Viewer::Admin | Viewer::Moderator => message,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Page::new(messages, next))
    }

    #[instrument(skip_all, fields(caller = caller.id(), conversation = id))]
    pub async fn list_messages(
        &self,
        caller: &Caller,
        id: &str,
        order: Order,
        page: PageRequest,
    ) -> ApiResult<Page<Message>> {
        caller.require_person()?;
        self.read_messages(
            id,
            |c| c.is_participant(caller.id()),
            Viewer::Participant,
            order,
            page,
        )
        .await
    }

    #[instrument(skip_all, fields(caller = caller.id(), conversation = id))]
    pub async fn post_message(
        &self,
        caller: &Caller,
        id: &str,
        request: NewMessage,
        idempotency: Option<&Idempotency>,
    ) -> ApiResult<Created<Message>> {
        self.post_message_as(caller, id, request, idempotency, Gate::Screen)
            .await
    }

    pub(crate) async fn post_message_as(
        &self,
        caller: &Caller,
        id: &str,
        request: NewMessage,
        idempotency: Option<&Idempotency>,
        gate: Gate,
    ) -> ApiResult<Created<Message>> {
        caller.require_person()?;
        let body = validate::body_with_files(&request.body, request.attachments.len())?;
        let attachments = self.attachments(caller, &request.attachments).await?;
        self.write_user_message(
            caller,
            id,
            (body, attachments),
            idempotency,
            gate,
            |_, message, _| message.clone(),
        )
        .await
    }

    /// A user writes in a conversation of theirs. The filter's verdict depends on the
    /// conversation's kind, so it is taken on the conversation as read; a held message
    /// changes nothing and waits for a moderator.
    async fn write_user_message<R: Serialize>(
        &self,
        caller: &Caller,
        id: &str,
        (body, attachments): (String, Vec<Attachment>),
        idempotency: Option<&Idempotency>,
        gate: Gate,
        respond: impl Fn(&Conversation, &Message, chrono::DateTime<chrono::Utc>) -> R,
    ) -> ApiResult<Created<R>> {
        let visible = |c: &Conversation| c.is_participant(caller.id());
        let targets = self.sla_targets().await?;
        let rules = self.setting::<RoutingRules>().await?;
        let safety = self.setting::<SafetyPolicy>().await?;
        let text = with_file_names(&body, &attachments);
        let repeats = match gate {
            Gate::Screen => self.repeats(&safety.policy, caller, &text).await?,
            Gate::Released => None,
        };
        let mut id = id.to_string();
        for _ in 0..MERGE_HOPS {
            let edited = self
                .edit_conversation(&id, idempotency, visible, |conversation| {
                    if let Some(into) = &conversation.merged_into {
                        return Ok(Edit::unchanged(Written::MergedInto(into.clone())));
                    }
                    let direct = conversation.kind == ConversationType::Direct;
                    let (screened, guards) = match gate {
                        Gate::Released => (Screened::default(), Vec::new()),
                        Gate::Screen => {
                            match screen(&safety.policy, &text, direct, repeats.as_ref())? {
                                Screening::Hold(verdict) => {
                                    return Ok(Edit::unchanged(Written::Held(verdict)));
                                }
                                Screening::Pass(screened) => {
                                    let now = self.clock.now();
                                    (screened, send_guards(&safety.policy, caller, now, None))
                                }
                            }
                        }
                    };
                    let files = attachments.clone();
                    let message = self.user_message(caller, &id, (body.clone(), files), &screened);
                    // A broadcast's conversation joins a team's queue when the user answers it.
                    if conversation.kind == ConversationType::Support && conversation.team.is_none()
                    {
                        let route = rules.policy.route(&RoutingInput {
                            category: conversation.category,
                            text: &body,
                            listing_category: None,
                            user_tier: caller.claims.tier.as_deref(),
                        });
                        conversation.team = Some(route.team);
                        conversation.priority = route.priority;
                    }
                    conversation.user_wrote(caller.id(), &message.id, message.created_at, &targets);
                    conversation.remember_contact(caller.id(), caller.contact());
                    let result = respond(conversation, &message, message.created_at);
                    let mut writes = vec![message_write(&message)?];
                    writes.extend(repeats.as_ref().map(|r| r.count.clone()));
                    Ok(Edit::with(writes, Written::Message(result)).guarded(guards))
                })
                .await?;
            return match edited {
                Created::New(Written::MergedInto(into)) => {
                    id = into;
                    continue;
                }
                Created::New(Written::Message(result)) => Ok(Created::New(result)),
                Created::New(Written::Held(verdict)) => {
                    let held = HeldRequest::Message {
                        conversation_id: id,
                        body,
                        attachments: attachments.into_iter().map(|a| a.id).collect(),
                    };
                    self.hold(caller, held, &verdict, idempotency).await
                }
                Created::Replayed(first) => Ok(Created::Replayed(first)),
                Created::Held(notice) => Ok(Created::Held(notice)),
            };
        }
        Err(ApiError::conflict(
            "the conversation is being merged; please retry",
        ))
    }

    /// The user says their support question is answered: resolved, every clock stops.
    #[instrument(skip_all, fields(caller = caller.id(), conversation = id))]
    pub async fn resolve_conversation(
        &self,
        caller: &Caller,
        id: &str,
    ) -> ApiResult<ConversationView> {
        caller.require_person()?;
        let targets = self.sla_targets().await?;
        let visible = |c: &Conversation| c.is_participant(caller.id());
        let resolved = self
            .edit_conversation(id, None, visible, |conversation| {
                if conversation.kind != ConversationType::Support {
                    return Err(ApiError::invalid("only support conversations are resolved"));
                }
                if let Some(refusal) = super::merge::merged_elsewhere(conversation) {
                    return Err(refusal);
                }
                let now = self.clock.now();
                if conversation.status == Status::Resolved {
                    return Ok(Edit::unchanged(ConversationView::new(
                        conversation,
                        caller.id(),
                        now,
                    )));
                }
                conversation.set_status(Status::Resolved, now, &targets);
                Ok(Edit::with(
                    Vec::new(),
                    ConversationView::new(conversation, caller.id(), now),
                ))
            })
            .await?;
        resolved.into_new()
    }

    /// Marks the caller's messages read up to `message_id`; the unread count becomes the
    /// number of later messages from others.
    #[instrument(skip_all, fields(caller = caller.id(), conversation = id))]
    pub async fn mark_read(
        &self,
        caller: &Caller,
        id: &str,
        request: ReadRequest,
    ) -> ApiResult<()> {
        caller.require_person()?;
        let visible = |c: &Conversation| c.is_participant(caller.id());
        self.mark_read_as(id, &request.message_id, caller.id(), false, visible)
            .await
    }

    /// `reader` is a participant's id or the admin side; only admins count internal notes.
    pub(crate) async fn mark_read_as(
        &self,
        id: &str,
        message_id: &str,
        reader: &str,
        include_internal: bool,
        visible: impl Fn(&Conversation) -> bool,
    ) -> ApiResult<()> {
        let message_id = validate::id("message_id", message_id)?;
        for _ in 0..super::edit::ATTEMPTS {
            let conversation = self.load_conversation(id, &visible).await?;
            // Reading up to the latest message, the common case, needs no count.
            let counted = if conversation.last_message_id == message_id {
                0
            } else {
                self.unread_after(&conversation, &message_id, reader, include_internal)
                    .await?
            };
            // Marking an older message read never raises the count, nor moves the mark
            // the other side sees back.
            let unread = counted.min(conversation.unread_for(reader));
            let mut changed = conversation.clone();
            let advanced = changed.mark_read(reader, &message_id, self.clock.now());
            if unread == conversation.unread_for(reader) && !advanced {
                return Ok(());
            }
            changed.unread.insert(reader.to_string(), unread);
            changed.version += 1;
            // Conditioned on the version counted against: a message arriving meanwhile
            // means counting again.
            match self
                .table
                .write(conversation_writes(&changed, Some(conversation.version))?)
                .await
            {
                Ok(()) => return Ok(()),
                Err(TableError::ConditionFailed { .. } | TableError::Conflict) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(ApiError::conflict(
            "the conversation is changing too fast; please retry",
        ))
    }

    /// Messages after `message_id` written by someone other than `reader`, in the
    /// conversation and those merged into it (404 if the message is in none of them).
    async fn unread_after(
        &self,
        conversation: &Conversation,
        message_id: &str,
        reader: &str,
        include_internal: bool,
    ) -> ApiResult<u32> {
        let reads = std::iter::once(&conversation.id)
            .chain(&conversation.merged_from)
            .map(|id| {
                let query = linked::messages_from(id, Some(message_id), Order::Asc, Viewer::Admin);
                store::page(self.table.as_ref(), query, 1_000)
            });
        let mut found = false;
        let mut count = 0;
        for (items, _) in futures_util::future::try_join_all(reads).await? {
            for item in items {
                let message: Message = from_item(item)?;
                if message.id == message_id {
                    found = include_internal || !message.internal;
                    continue;
                }
                let from_reader = message.sender_id == reader
                    || (reader == ADMIN_SIDE && message.sender_role != SenderRole::User);
                if !from_reader && (include_internal || !message.internal) {
                    count += 1;
                }
            }
        }
        if !found {
            return Err(ApiError::not_found("message"));
        }
        Ok(count)
    }
}

/// What the abuse filter reads: the text and the names of the files sent with it (a
/// name can carry a link or a scam as well as a body can).
fn with_file_names<'a>(text: &'a str, attachments: &[Attachment]) -> std::borrow::Cow<'a, str> {
    if attachments.is_empty() {
        return text.into();
    }
    let names: Vec<&str> = attachments.iter().map(|a| a.filename.as_str()).collect();
    format!("{text}\n{}", names.join("\n")).into()
}
