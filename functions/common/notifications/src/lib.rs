//! Notifications: every stored message reaches the right people by the right channels,
//! once. Request handlers never send anything: the table's stream (or the embedded
//! table's change feed locally) drives [`Notifier`], which also delivers the webhooks
//! integrations subscribed to.

mod notifier;
pub mod pipeline;
mod push;
pub mod render;
mod stats;
pub mod suppression;
mod survey;
pub mod webhooks;

pub use notifier::{Notifier, NotifyConfig, NotifyError};

/// The records notify is invoked for: what template.yaml's stream filter lets through
/// (new messages; conversation and listing items, any change; ratings and NPS answers).
/// The dev server and the bench apply it so that they see what Lambda would.
pub fn hears(record: &store::table::StreamRecord) -> bool {
    use store::keys::{MESSAGE_PREFIX, META, NPS_PREFIX, RATING_PREFIX};
    let sk = record.key.sk.as_str();
    let new_message =
        record.old.is_none() && record.new.is_some() && sk.starts_with(MESSAGE_PREFIX);
    new_message || sk == META || sk.starts_with(RATING_PREFIX) || sk.starts_with(NPS_PREFIX)
}
