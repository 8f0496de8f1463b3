//! The application: its dependencies, built once per cold start and shared by every
//! request, and its configuration.

use std::sync::Arc;

use crate::{VersionedAutomation, VersionedMembership, VersionedRules};
use domain::attachment;
use domain::clock::{Clock, Ids};
use domain::pricing::PriceTable;
use domain::sla::SlaTargets;
use domain::webhook::Reach;
use objects::Objects;
use store::table::Table;

/// How callers prove who they are.
#[derive(Clone)]
pub enum IdentitySource {
    /// On Lambda: API Gateway's JWT authorizer has verified the token; read its claims
    /// from the request context.
    ApiGateway,
    /// Locally: verify an HS256 bearer token with this secret.
    Hs256 { secret: Vec<u8> },
}

pub struct App {
    pub table: Arc<dyn Table>,
    pub clock: Arc<dyn Clock>,
    pub ids: Ids,
    pub identity: IdentitySource,
    /// The SLA policy in force, as last read (see `App::sla_targets`).
    pub(crate) sla: Cached<SlaTargets>,
    /// The routing and membership rules in force, as last read (see `App::setting`).
    pub(crate) routing: Cached<VersionedRules>,
    pub(crate) membership: Cached<VersionedMembership>,
    pub(crate) automation: Cached<VersionedAutomation>,
    pub(crate) safety: Cached<crate::VersionedSafety>,
    /// Admins whose directory rows this instance has written, by id, with the claims
    /// written: the queue route skips the write while they are unchanged.
    pub(crate) registered_admins: std::sync::Mutex<std::collections::HashMap<String, String>>,
    /// How long an Idempotency-Key is remembered.
    pub idempotency_hours: i64,
    /// Recipients one step of a broadcast's fan-out reaches: the pace of a broadcast,
    /// and so of the email it makes notify send.
    pub broadcast_step_size: usize,
    /// Where attachments are stored; functions that never touch them have none.
    pub objects: Option<Arc<dyn Objects>>,
    /// The largest attachment accepted.
    pub attachment_max_bytes: u64,
    /// What metered use costs (`PRICE_TABLE`).
    pub prices: PriceTable,
    /// Where webhooks may be registered to go: public https on AWS (the default), this
    /// machine too on the dev server.
    pub webhook_reach: Reach,
    /// Real-time sockets, where this function serves or relays them.
    pub sockets: Option<crate::Sockets>,
}

pub type AppState = Arc<App>;

impl App {
    pub fn new(table: Arc<dyn Table>, clock: Arc<dyn Clock>, identity: IdentitySource) -> Self {
        Self {
            table,
            clock,
            ids: Ids::default(),
            identity,
            sla: Default::default(),
            routing: Default::default(),
            membership: Default::default(),
            automation: Default::default(),
            safety: Default::default(),
            registered_admins: Default::default(),
            idempotency_hours: 24,
            broadcast_step_size: 100,
            objects: None,
            attachment_max_bytes: attachment::DEFAULT_MAX_BYTES,
            prices: PriceTable::default(),
            webhook_reach: Reach::Public,
            sockets: None,
        }
    }
}

/// Configuration read from the table and kept for a while by each function instance, so
/// requests rarely pay a read for it; a save on this instance clears it.
pub struct Cached<T>(std::sync::RwLock<Option<(std::time::Instant, Arc<T>)>>);

impl<T> Default for Cached<T> {
    fn default() -> Self {
        Self(std::sync::RwLock::new(None))
    }
}

impl<T> Cached<T> {
    /// How long a read stays good: a save elsewhere applies within this time.
    const MAX_AGE: std::time::Duration = std::time::Duration::from_secs(60);

    pub(crate) fn fresh(&self) -> Option<Arc<T>> {
        let cached = self.0.read().unwrap_or_else(|p| p.into_inner());
        cached
            .as_ref()
            .filter(|(read_at, _)| read_at.elapsed() < Self::MAX_AGE)
            .map(|(_, value)| value.clone())
    }

    pub(crate) fn keep(&self, value: Arc<T>) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) =
            Some((std::time::Instant::now(), value));
    }

    pub(crate) fn clear(&self) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = None;
    }
}
