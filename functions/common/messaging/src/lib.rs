//! The operations the HTTP functions expose, on [`App`]: authorize, validate, write.
//! Each is written once against the Table port and runs the same on DynamoDB and on
//! the embedded store. Their errors are [`ApiError`]s: the contract's kinds, mapped to
//! statuses by the HTTP layer (`common::http`).

mod admin;
pub mod app;
mod attachments;
mod audit;
mod automation;
mod broadcasts;
mod config;
mod directory;
mod edit;
mod email_replies;
pub mod error;
mod health;
mod idempotency;
mod linked;
mod listings;
mod merge;
mod moderation;
mod notifications;
mod privacy;
mod realtime;
mod reports;
mod routing_rules;
mod safety;
mod search;
mod sla_check;
mod sla_policy;
pub mod surveys;
mod templates;
mod user;
mod users;
mod webhooks;

pub use admin::{ConversationChanges, QueueFilter, QueueSort, ReplyRequest};
pub use attachments::{AttachmentRef, AttachmentTransfer};
pub use audit::AuditEntry;
pub use automation::{AutoAnswer, AutomationRules, VersionedAutomation};
pub use broadcasts::{BroadcastRequest, BroadcastView, Reach, ReachRequest};
pub use config::{Replacement, Versioned};
pub use directory::AgentChanges;
pub use domain::notice::UnreadCounts;
pub use email_replies::{EmailFile, EmailReply, PostedReply};
pub use health::HEALTH_TIMEOUT;
pub use idempotency::{Created, Idempotency};
pub use listings::{ListingRequest, ListingResults, ListingsRequest, PublicListing};
pub use merge::MergeRequest;
pub use moderation::{
    Block, BlockRequest, Gate, Held, HeldNotice, HeldRequest, HeldStatus, WarnRequest,
};
pub use notifications::NotificationOrder;
pub use privacy::{Erased, Export, ExportedConversation};
pub use realtime::{Sockets, TicketView};
pub use reports::{CloseReport, ModeratorView, Report, ReportInContext, ReportRequest};
pub use routing_rules::{VersionedMembership, VersionedRules};
pub use safety::VersionedSafety;
pub use search::{AdminSearchFilter, MAX_SEARCH_LIMIT, SearchHit, SearchPage};
pub use sla_check::{SlaCheckOutcome, SlaTimeline};
pub use sla_policy::SlaPolicy;
pub use templates::{
    Preview, Template, TemplateFilter, TemplateRequest, TextOrNumber, Variables, VariablesSchema,
};
pub use user::{ConversationFilter, CreatedConversation, NewConversation, NewMessage, ReadRequest};
pub use users::{AccountSource, UserAccount, UserRequest};
pub use webhooks::{WebhookRequest, WebhookView};

pub use app::{App, AppState, IdentitySource};
pub use error::{ApiError, ApiResult};

use serde::Serialize;

use store::Cursor;

/// One page of a list, as the API returns it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, next: Option<Cursor>) -> Self {
        Self {
            items,
            next_cursor: next.map(|c| c.encode()),
        }
    }
}

/// Paging parameters of every list: `limit` (default 20, at most 100) and `cursor`.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    pub limit: usize,
    pub cursor: Option<Cursor>,
}

impl PageRequest {
    pub const DEFAULT_LIMIT: usize = 20;
    pub const MAX_LIMIT: usize = 100;

    pub fn parse(limit: Option<u32>, cursor: Option<&str>) -> ApiResult<Self> {
        let limit = limit.map_or(Self::DEFAULT_LIMIT, |l| l as usize);
        if !(1..=Self::MAX_LIMIT).contains(&limit) {
            return Err(ApiError::invalid(format!(
                "limit: must be between 1 and {}",
                Self::MAX_LIMIT
            )));
        }
        Ok(Self {
            limit,
            cursor: cursor.map(Cursor::decode).transpose()?,
        })
    }
}

/// Message order in a conversation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    #[default]
    Asc,
    Desc,
}
