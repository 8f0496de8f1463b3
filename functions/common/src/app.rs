//! The application: its dependencies, built once per cold start and shared by every
//! request, and its configuration.

use std::sync::Arc;

use crate::clock::{Clock, Ids, SystemClock};
use crate::domain::sla::SlaTargets;
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
    pub(crate) sla: std::sync::RwLock<Option<(std::time::Instant, Arc<SlaTargets>)>>,
    /// Admins whose directory rows this instance has written, by id, with the claims
    /// written: the queue route skips the write while they are unchanged.
    pub(crate) registered_admins: std::sync::Mutex<std::collections::HashMap<String, String>>,
    /// How long an Idempotency-Key is remembered.
    pub idempotency_hours: i64,
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
            registered_admins: Default::default(),
            idempotency_hours: 24,
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
        Ok(Arc::new(App::new(
            Arc::new(table),
            Arc::new(SystemClock),
            IdentitySource::ApiGateway,
        )))
    }
}
