//! The messaging domain: conversations, messages and listings, and the rules they follow.
//! Pure code: no I/O, time passed in.

pub mod attachment;
pub mod broadcast;
pub mod calendar;
pub mod conversation;
pub mod histogram;
pub mod listing;
pub mod membership;
pub mod message;
pub mod pricing;
pub mod report;
pub mod routing;
pub mod safety;
pub mod sla;
pub mod sla_policy;
pub mod stats;
pub mod survey;
pub mod template;
pub mod validate;
pub mod webhook;

pub use conversation::{Category, Contact, Conversation, ConversationType, Priority, Status};
pub use listing::{Listing, ListingStatus};
pub use message::{Message, SenderRole};
