//! Notifications: every stored message reaches the right people by the right channels,
//! once. Request handlers never send anything: the table's stream (or the embedded
//! table's change feed locally) drives [`Notifier`], which also delivers the webhooks
//! integrations subscribed to.

mod notifier;
pub mod pipeline;
mod push;
pub mod render;
mod search;
mod stats;
pub mod suppression;
mod survey;
pub mod webhooks;

pub use notifier::{Notifier, NotifyConfig, NotifyError};

/// The records notify is invoked for: what template.yaml's stream filter lets through
/// (messages, conversation and listing items, any change: new messages notify, and
/// search follows every change; ratings and NPS answers). The dev server and the bench
/// apply it so that they see what Lambda would.
pub fn hears(record: &store::table::StreamRecord) -> bool {
    use store::keys::{MESSAGE_PREFIX, META, NPS_PREFIX, RATING_PREFIX};
    let sk = record.key.sk.as_str();
    [MESSAGE_PREFIX, RATING_PREFIX, NPS_PREFIX]
        .iter()
        .any(|prefix| sk.starts_with(prefix))
        || sk == META
}
