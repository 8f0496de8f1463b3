//! The notifier: what the stream's consumer works with (the table, the channels, the
//! clock, its configuration), and how its work fails. The pipeline, the stats, the
//! webhooks and the surveys each add their part to it.

use std::sync::Arc;

use delivery::{Mailer, Sms, WebhookPoster};
use domain::clock::Clock;
use store::table::{Table, TableError};

#[derive(Debug, Clone)]
pub struct NotifyConfig {
    /// The website, for links back to conversations.
    pub site_url: String,
    /// Where a recipient turns these emails off (the website's notification settings,
    /// which save `PUT /v1/me/preferences`).
    pub unsubscribe_url: String,
    /// At most this many SMS a day (UTC), whatever happens: the spend guard.
    pub sms_daily_cap: u32,
    /// How long a message's email waits to see whether the message is read in the app
    /// first (`EmailDelayMinutes`); zero sends at once.
    pub email_delay: chrono::Duration,
    /// The domain reply addresses are at (`reply+<token>@<domain>`, received by SES and
    /// posted by inbound-email); `None`: emails carry no reply address.
    pub reply_domain: Option<String>,
}

#[derive(Clone)]
pub struct Notifier {
    pub table: Arc<dyn Table>,
    pub mailer: Arc<dyn Mailer>,
    pub sms: Arc<dyn Sms>,
    pub webhooks: Arc<dyn WebhookPoster>,
    pub clock: Arc<dyn Clock>,
    pub config: NotifyConfig,
    /// Open sockets to push to, where there are any.
    pub realtime: Option<Arc<connections::Connections>>,
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// Another worker holds the delivery's claim: try the record again later.
    #[error("another worker is sending this delivery")]
    Claimed,
    /// The provider could not take it now; the claim was released for the retry.
    #[error("a send failed and will be retried: {0:#}")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Table(#[from] TableError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}
