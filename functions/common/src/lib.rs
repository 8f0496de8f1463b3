//! The shared crate of every SayPro messaging function: domain rules, the operations
//! handlers call, the ports (Table) and their adapters, and the HTTP plumbing.
//!
//! Where a rule lives: input limits in [`domain::validate`], routing and urgency in
//! [`domain::routing`], deadlines in [`domain::sla`], the status machine in
//! [`domain::conversation`], the abuse filter in [`domain::safety`], broadcasts'
//! segments in [`domain::broadcast`], keys and indexes in [`store`], who may do what in
//! [`auth`] and the `messaging` operations, the error shape in [`error`]. Daily stats
//! in [`domain::stats`] (counted by [`notify`]), the monthly report's figures in
//! [`domain::report`], prices in [`domain::pricing`], reading them in [`reporting`],
//! each function's own use in [`metering`].

pub mod app;
pub mod auth;
pub mod clock;
pub mod delivery;
pub mod domain;
pub mod error;
pub mod http;

/// The OpenAPI document of every route, checked in beside this crate.
pub const OPENAPI: &str = include_str!("../openapi.json");
pub mod messaging;
pub mod metering;
pub mod notify;
pub mod objects;
pub mod redact;
pub mod reporting;
pub mod store;
pub mod table;

pub use app::{App, AppState, IdentitySource};
pub use error::{ApiError, ApiResult};
