//! The messaging domain: conversations, messages and listings, and the rules they follow.
//! Pure code: no I/O, no AWS, HTTP or async runtime; time and ids are passed in. Its
//! refusals are [`Rejection`]s, which the layer above turns into the API's errors.

pub mod attachment;
pub mod broadcast;
pub mod calendar;
pub mod clock;
pub mod conversation;
pub mod digest;
pub mod directory;
pub mod email_reply;
pub mod histogram;
pub mod identity;
pub mod listing;
pub mod membership;
pub mod message;
pub mod notice;
pub mod preferences;
pub mod pricing;
pub mod realtime;
pub mod redact;
mod rejection;
pub mod report;
pub mod routing;
pub mod safety;
pub mod search;
pub mod sla;
pub mod sla_policy;
pub mod stats;
pub mod survey;
pub mod system;
pub mod template;
#[cfg(test)]
mod times;
pub mod validate;
pub mod webhook;
pub mod zone;

pub use rejection::{Rejection, Result};

pub use zone::{HOME_TIME_ZONE, Zone};

pub use conversation::{Category, Contact, Conversation, ConversationType, Priority, Status};
pub use listing::{Listing, ListingStatus};
pub use message::{Message, SenderRole};
