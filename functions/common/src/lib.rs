//! The one crate every SayPro messaging function depends on: the layers beneath it,
//! re-exported, plus what only the functions need: the HTTP plumbing ([`http`]), local
//! tokens ([`jwt`]) and the wiring from the Lambda environment ([`lambda`]).
//!
//! The layers, each a crate that depends only on those above it in this list (Cargo
//! enforces it):
//!
//! | crate | holds |
//! |---|---|
//! | [`domain`] | the rules: status machine, SLA and calendars, routing, safety, templates, stats and report figures, pricing, validation, identities and roles. No I/O. |
//! | [`store`] | the Table port, its DynamoDB and embedded adapters, every key and index ([`store::keys`]) and stored record |
//! | [`delivery`] | email, SMS and webhook posting, with their AWS, HTTP and outbox adapters |
//! | [`objects`] | attachment storage: S3 and local |
//! | [`metering`] | each function's own use, for the cost report; custom CloudWatch metrics ([`metering::emf`]) |
//! | [`messaging`] | the operations the routes call (authorize, validate, write) on [`App`], and [`ApiError`] |
//! | [`notifications`] | the stream's consumer: notifications, webhooks, surveys, daily stats |
//! | [`reporting`] | the monthly report, dashboard and costs |

pub use connections;
pub use delivery;
pub use domain;
pub use messaging;
pub use metering;
pub use notifications;
pub use objects;
pub use reporting;
pub use store;

pub mod http;
pub mod jwt;
pub mod lambda;

pub use http::{HttpError, HttpResult};
pub use messaging::{ApiError, App, AppState, IdentitySource};
