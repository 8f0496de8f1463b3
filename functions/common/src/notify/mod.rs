//! Notifications: every stored message reaches the right people by the right channels,
//! once. Request handlers never send anything: the table's stream (or the embedded
//! table's change feed locally) drives [`Notifier`].

pub mod audience;
pub mod inbox;
pub mod pipeline;
pub mod preferences;
pub mod render;
pub mod suppression;

pub use pipeline::{Notifier, NotifyConfig};
