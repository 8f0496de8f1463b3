//! Notifications: every stored message reaches the right people by the right channels,
//! once. Request handlers never send anything: the table's stream (or the embedded
//! table's change feed locally) drives [`Notifier`], which also delivers the webhooks
//! integrations subscribed to.

pub mod audience;
pub mod inbox;
pub mod pipeline;
pub mod preferences;
pub mod render;
mod stats;
pub mod suppression;
mod survey;
pub mod webhooks;

pub use pipeline::{Notifier, NotifyConfig, NotifyError};
