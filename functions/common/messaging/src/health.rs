//! Whether this function can do its work: one cheap read of the table.

use std::time::Duration;

use store::probe_key;

use crate::App;

/// How long the health check waits for the table: a load balancer's check should not
/// hang on a table that does not answer.
pub const HEALTH_TIMEOUT: Duration = Duration::from_secs(2);

impl App {
    /// One eventually consistent read of a key nothing is stored under (½ RCU),
    /// within [`HEALTH_TIMEOUT`]; why not, if the table does not answer (for the log:
    /// the caller is told only that the API is unavailable).
    #[tracing::instrument(skip_all)]
    pub async fn check_health(&self) -> anyhow::Result<()> {
        match tokio::time::timeout(HEALTH_TIMEOUT, self.table.get(&probe_key(), false)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) => Err(anyhow::Error::new(error).context("reading the table")),
            Err(_) => anyhow::bail!("the table did not answer within {HEALTH_TIMEOUT:?}"),
        }
    }
}
