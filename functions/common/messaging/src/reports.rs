//! Users report a message or a conversation; moderators work the reports, soonest due
//! first (the safety policy's `report_response_hours`), read each in context (an
//! audited read of someone else's conversation) and close it: dismissed, the message
//! hidden, or its author blocked. Each closing is audited with its action.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use super::moderation::Block;
use super::user::Viewer;
use super::{Created, Idempotency, Order, Page, PageRequest};
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use domain::broadcast::{Recipient, from_support};
use domain::conversation::{ADMIN_SIDE, ConversationView};
use domain::identity::{Access, Caller};
use domain::routing::{RoutingInput, RoutingRules};
use domain::safety::SafetyPolicy;
use domain::sla::Sla;
use domain::{Category, Conversation, ConversationType, Message, SenderRole, Status, validate};
use store::keys::{REPORT_QUEUE, report_key, reports_by_partition};
use store::table::{
    Change, Condition, Index, Query, TableError, Value, WriteOp, from_item, to_item,
};
use store::{self, conversation_writes, message_key, message_write, record_write, sortable_time};

/// Messages shown around a report.
const CONTEXT_MESSAGES: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportReason {
    Spam,
    Scam,
    Abuse,
    Harassment,
    Other,
}

/// `POST /v1/conversations/{id}/reports`: a message of the conversation, or the whole of it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    pub reason: ReportReason,
    #[schema(max_length = 1000)]
    pub comment: Option<String>,
    /// A message of the conversation; the whole conversation if absent
    pub message_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    Open,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportOutcome {
    Dismissed,
    MessageHidden,
    UserBlocked,
    /// A buyer–seller thread handed to the support team as a complaint from the
    /// reporter, with the listing.
    FlaggedToSupport,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Report {
    pub id: String,
    pub conversation_id: String,
    #[schema(required = true)]
    pub message_id: Option<String>,
    /// Whom it is about: the message's author, or the other party of the conversation.
    #[schema(required = true)]
    pub reported_user: Option<String>,
    pub reporter: String,
    pub reason: ReportReason,
    #[schema(required = true)]
    pub comment: Option<String>,
    pub status: ReportStatus,
    pub created_at: DateTime<Utc>,
    /// The moderators' response target.
    pub due_at: DateTime<Utc>,
    #[schema(required = true)]
    pub outcome: Option<ReportOutcome>,
    #[schema(required = true)]
    pub note: Option<String>,
    #[schema(required = true)]
    pub closed_by: Option<String>,
    #[schema(required = true)]
    pub closed_at: Option<DateTime<Utc>>,
}

/// A conversation as a moderator reads it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ModeratorView {
    pub conversation: ConversationView,
    /// The latest messages, oldest first, hidden ones as they were written.
    pub messages: Vec<Message>,
}

/// A report with what moderators need to judge it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportInContext {
    pub report: Report,
    pub conversation: ConversationView,
    /// The latest messages, hidden ones as they were written.
    pub messages: Vec<Message>,
}

/// `POST /v1/admin/moderation/reports/{id}/close`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseReport {
    pub outcome: ReportOutcome,
    #[schema(max_length = 1000)]
    pub note: Option<String>,
}

fn report_write(report: &Report, condition: Condition) -> anyhow::Result<WriteOp> {
    let mut item = to_item(report)?;
    let key = report_key(&report.id);
    item.insert("pk".into(), Value::s(key.pk));
    item.insert("sk".into(), Value::s(key.sk));
    // In the moderators' queue, soonest due first, while open; then under its reporter.
    let (pk, sk) = Index::Gsi1.key_attributes();
    let list = match report.status {
        ReportStatus::Open => REPORT_QUEUE.to_string(),
        ReportStatus::Closed => reports_by_partition(&report.reporter),
    };
    item.insert(pk.into(), Value::s(list));
    item.insert(
        sk.into(),
        Value::s(format!("{}#{}", sortable_time(report.due_at), report.id)),
    );
    let (ttl, expires) = store::expiry(report.created_at);
    item.insert(ttl, expires);
    Ok(WriteOp::Put {
        item,
        condition: Some(condition),
    })
}

impl App {
    #[instrument(skip_all, fields(caller = caller.id(), conversation = id))]
    pub async fn report(
        &self,
        caller: &Caller,
        id: &str,
        request: ReportRequest,
        idempotency: Option<&Idempotency>,
    ) -> ApiResult<Created<Report>> {
        caller.require_person()?;
        let comment = request
            .comment
            .as_deref()
            .map(|c| validate::bounded_text("comment", c, 1000))
            .transpose()?;
        let conversation = self
            .load_conversation(id, |c| c.is_participant(caller.id()))
            .await?;
        let reported_user = match &request.message_id {
            Some(message_id) => {
                validate::id("message_id", message_id)?;
                let message: Message =
                    match self.table.get(&message_key(id, message_id), true).await? {
                        Some(item) => from_item(item)?,
                        None => {
                            return Err(ApiError::invalid(
                                "message_id: not a message of this conversation",
                            ));
                        }
                    };
                if message.internal {
                    return Err(ApiError::invalid(
                        "message_id: not a message of this conversation",
                    ));
                }
                if message.sender_id == caller.id() {
                    return Err(ApiError::invalid(
                        "message_id: you cannot report your own message",
                    ));
                }
                Some(message.sender_id)
            }
            None => conversation
                .participants
                .iter()
                .find(|p| *p != caller.id())
                .cloned(),
        };
        let safety = self.setting::<SafetyPolicy>().await?;
        let now = self.clock.now();
        let report = Report {
            id: self.ids.next(now),
            conversation_id: id.to_string(),
            message_id: request.message_id,
            reported_user,
            reporter: caller.id().to_string(),
            reason: request.reason,
            comment,
            status: ReportStatus::Open,
            created_at: now,
            due_at: now + Duration::hours(i64::from(safety.policy.report_response_hours)),
            outcome: None,
            note: None,
            closed_by: None,
            closed_at: None,
        };
        let write = report_write(&report, Condition::NotExists)?;
        let about = (id, report.message_id.as_deref());
        let guards = super::safety::report_guards(&safety.policy, caller.id(), about, now)?;
        self.create_once(write, guards, report, idempotency).await
    }

    /// Open reports, soonest due first.
    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn reports(&self, caller: &Caller, page: PageRequest) -> ApiResult<Page<Report>> {
        Access::Moderator.check(caller)?;
        let query = Query::partition(Index::Gsi1, REPORT_QUEUE).start(page.cursor.map(|c| c.0));
        let (items, next) = store::page(self.table.as_ref(), query, page.limit).await?;
        let reports = items
            .into_iter()
            .map(|item| Ok(from_item(item)?))
            .collect::<ApiResult<_>>()?;
        Ok(Page::new(reports, next))
    }

    async fn load_report(&self, id: &str) -> ApiResult<Report> {
        validate::id("id", id)?;
        match self.table.get(&report_key(id), true).await? {
            Some(item) => Ok(from_item(item)?),
            None => Err(ApiError::not_found("report")),
        }
    }

    /// The report with its conversation: reading someone else's conversation is
    /// audited, the entry written before anything is shown.
    #[instrument(skip_all, fields(caller = caller.id(), report = id))]
    pub async fn report_in_context(&self, caller: &Caller, id: &str) -> ApiResult<ReportInContext> {
        Access::Moderator.check(caller)?;
        let report = self.load_report(id).await?;
        let seen = self
            .moderator_read(caller, &report.conversation_id, format!("report:{id}"))
            .await?;
        Ok(ReportInContext {
            conversation: seen.conversation,
            messages: seen.messages,
            report,
        })
    }

    /// A conversation a moderator looks into outside a report (`why` says what for).
    #[instrument(skip_all, fields(caller = caller.id(), conversation = id))]
    pub async fn moderate_conversation(
        &self,
        caller: &Caller,
        id: &str,
        why: &str,
    ) -> ApiResult<ModeratorView> {
        Access::Moderator.check(caller)?;
        validate::id("id", id)?;
        let why = validate::bounded_text("reason", why, 500)?;
        self.moderator_read(caller, id, why).await
    }

    /// The conversation and its latest messages (hidden ones as written, no internal
    /// notes), after an audit entry for the read.
    async fn moderator_read(
        &self,
        caller: &Caller,
        id: &str,
        why: String,
    ) -> ApiResult<ModeratorView> {
        let conversation = self.load_conversation(id, |_| true).await?;
        let audit = self.audit(
            caller,
            "conversation.read",
            format!("conversation:{id}"),
            Some(why),
        )?;
        self.table.write(vec![audit]).await?;
        let page = PageRequest {
            limit: CONTEXT_MESSAGES,
            cursor: None,
        };
        let mut messages = self
            .read_messages(id, |_| true, Viewer::Moderator, Order::Desc, page)
            .await?
            .items;
        messages.reverse();
        Ok(ModeratorView {
            conversation: ConversationView::new(&conversation, ADMIN_SIDE, self.clock.now()),
            messages,
        })
    }

    /// Closes a report with its outcome, in one transaction with what the outcome does
    /// (hide the message, block its author) and the audit entry.
    #[instrument(skip_all, fields(caller = caller.id(), report = id))]
    pub async fn close_report(
        &self,
        caller: &Caller,
        id: &str,
        request: CloseReport,
    ) -> ApiResult<Report> {
        Access::Moderator.check(caller)?;
        let note = request
            .note
            .as_deref()
            .map(|n| validate::bounded_text("note", n, 1000))
            .transpose()?;
        let mut report = self.load_report(id).await?;
        if report.status == ReportStatus::Closed {
            return Err(ApiError::conflict("the report is already closed"));
        }
        // Closed, the reporter may report the same again.
        let mut writes = vec![WriteOp::Delete {
            key: store::keys::open_report_key(
                &report.reporter,
                &report.conversation_id,
                report.message_id.as_deref(),
            ),
            condition: None,
        }];
        let (action, target) = match request.outcome {
            ReportOutcome::Dismissed => ("report.dismissed", format!("report:{id}")),
            ReportOutcome::MessageHidden => {
                let message = report.message_id.as_deref().ok_or_else(|| {
                    ApiError::invalid("outcome: the report is about a conversation, not a message")
                })?;
                writes.push(WriteOp::Update {
                    key: message_key(&report.conversation_id, message),
                    changes: vec![Change::Set("hidden".into(), Value::Bool(true))],
                    condition: Some(Condition::Exists),
                });
                ("message.hidden", format!("message:{message}"))
            }
            ReportOutcome::UserBlocked => {
                let user = report
                    .reported_user
                    .clone()
                    .ok_or_else(|| ApiError::invalid("outcome: nobody to block in this report"))?;
                let block = Block {
                    user_id: user.clone(),
                    reason: note.clone().unwrap_or_else(|| format!("report {id}")),
                    blocked_by: caller.id().to_string(),
                    blocked_at: self.clock.now(),
                };
                writes.push(record_write(&store::keys::block_key(&user), &block, None)?);
                ("user.blocked", format!("user:{user}"))
            }
            ReportOutcome::FlaggedToSupport => {
                let support = self.flag_to_support(caller, &report).await?;
                let target = format!("conversation:{}", support.conversation.id);
                writes.extend(support.writes);
                ("report.flagged_to_support", target)
            }
        };
        report.status = ReportStatus::Closed;
        report.outcome = Some(request.outcome);
        report.note = note.clone();
        report.closed_by = Some(caller.id().to_string());
        report.closed_at = Some(self.clock.now());
        writes.insert(
            0,
            report_write(
                &report,
                Condition::Equals("status".into(), Value::s("open")),
            )?,
        );
        writes.push(self.audit(caller, action, target, Some(format!("report:{id}")))?);
        match self.table.write(writes).await {
            Ok(()) => Ok(report),
            Err(TableError::ConditionFailed { index: 0 }) => Err(ApiError::conflict(
                "another moderator closed this report at the same time",
            )),
            Err(other) => Err(other.into()),
        }
    }
}

/// The support conversation a flagged thread becomes, and its writes.
struct Flagged {
    conversation: Conversation,
    writes: Vec<WriteOp>,
}

impl App {
    /// Hands a buyer–seller thread to the support team: a complaint conversation with the
    /// reporter about the same listing, routed and on the clock like any complaint, with
    /// an internal note for the team pointing at the thread and the report.
    async fn flag_to_support(&self, caller: &Caller, report: &Report) -> ApiResult<Flagged> {
        let thread = self
            .load_conversation(&report.conversation_id, |_| true)
            .await?;
        if thread.kind != ConversationType::Direct {
            return Err(ApiError::invalid(
                "outcome: only a buyer–seller conversation is flagged to support",
            ));
        }
        let (rules, targets) = (
            self.setting::<RoutingRules>().await?,
            self.sla_targets().await?,
        );
        let now = self.clock.now();
        let reporter = Recipient {
            user_id: report.reporter.clone(),
            contact: thread
                .contacts
                .get(&report.reporter)
                .cloned()
                .unwrap_or_default(),
        };
        let (mut conversation, message) = from_support(
            self.ids.next(now),
            &reporter,
            &format!("Your report about {}", thread.subject),
            "Thank you for your report. SayPro Support is looking into this conversation and will reply here.",
            now,
        );
        let route = rules.policy.route(&RoutingInput {
            category: Category::Complaint,
            text: report.comment.as_deref().unwrap_or_default(),
            listing_category: None,
            user_tier: None,
        });
        conversation.category = Category::Complaint;
        conversation.listing_id = thread.listing_id.clone();
        conversation.team = Some(route.team);
        conversation.priority = route.priority;
        conversation.status = Status::Open;
        conversation.unread.insert(ADMIN_SIDE.to_string(), 1);
        conversation.sla = Some(Sla::start(
            now,
            route.priority,
            Category::Complaint,
            &targets,
        ));
        let note = self.new_message(
            &conversation.id,
            caller,
            SenderRole::System,
            format!(
                "Flagged by moderator {} from report {} ({:?}{}) about the conversation {} between {}.",
                caller.id(),
                report.id,
                report.reason,
                report.comment.as_deref().map(|c| format!(": {c}")).unwrap_or_default(),
                thread.id,
                thread.participants.join(" and "),
            ),
            true,
        );
        conversation.last_message_id = note.id.clone();
        let mut writes = vec![message_write(&message)?, message_write(&note)?];
        writes.extend(conversation_writes(&conversation, None)?);
        Ok(Flagged {
            conversation,
            writes,
        })
    }
}
