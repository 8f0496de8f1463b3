//! The application: its dependencies, built once per cold start and shared by every
//! request, and its configuration.

use std::sync::Arc;

use crate::clock::{Clock, Ids, SystemClock};
use crate::domain::attachment;
use crate::domain::pricing::PriceTable;
use crate::domain::sla::SlaTargets;
use crate::messaging::{VersionedAutomation, VersionedMembership, VersionedRules};
use crate::objects::Objects;
use crate::objects::s3::S3Objects;
use crate::table::Table;
use crate::table::dynamo::DynamoTable;

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
    pub(crate) safety: Cached<crate::messaging::VersionedSafety>,
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
        }
    }

    /// The Lambda configuration: the DynamoDB table named by `TABLE_NAME`, claims from
    /// API Gateway. Fails at start, not mid-request, when configuration is missing.
    pub async fn from_lambda_env() -> anyhow::Result<AppState> {
        let table_name =
            std::env::var("TABLE_NAME").map_err(|_| anyhow::anyhow!("TABLE_NAME is not set"))?;
        let config = aws_config::load_from_env().await;
        let table = DynamoTable::new(aws_sdk_dynamodb::Client::new(&config), table_name);
        // Open the connection now: the TLS handshake is most of a first call's latency.
        if let Err(error) = table.warm_up().await {
            tracing::warn!(error = %error, "warm-up read failed; continuing");
        }
        let mut app = App::new(
            Arc::new(table),
            Arc::new(SystemClock),
            IdentitySource::ApiGateway,
        );
        if let Ok(size) = std::env::var("BROADCAST_STEP_SIZE") {
            app.broadcast_step_size = size
                .parse()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or_else(|| anyhow::anyhow!("BROADCAST_STEP_SIZE {size:?}: 1 to 1000"))?;
        }
        if let Ok(bucket) = std::env::var("ATTACHMENTS_BUCKET") {
            let client = aws_sdk_s3::Client::new(&config);
            app.objects = Some(Arc::new(S3Objects::new(client, bucket)));
        }
        if let Ok(bytes) = std::env::var("ATTACHMENT_MAX_BYTES") {
            app.attachment_max_bytes = bytes
                .parse()
                .ok()
                .filter(|n| (1..=5 * 1024 * 1024 * 1024).contains(n))
                .ok_or_else(|| anyhow::anyhow!("ATTACHMENT_MAX_BYTES {bytes:?}: 1 to 5 GiB"))?;
        }
        app.prices = PriceTable::from_env()?;
        Ok(Arc::new(app))
    }
}

/// Configuration read from the table and kept for a while by each function instance, so
/// requests rarely pay a read for it; a save on this instance clears it.
pub(crate) struct Cached<T>(std::sync::RwLock<Option<(std::time::Instant, Arc<T>)>>);

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
