//! The end-to-end tests: one test binary (one link) for every suite, each suite a module
//! (the logs suite has its own: it captures the whole process's logs).
//! Run one with `cargo test -p tests -- <suite>::`, e.g. `cargo test -p tests -- sla::`.

mod api;
mod attachments;
mod authorization;
mod authorization_matrix;
mod automation;
mod backups;
mod broadcasts;
mod concurrency;
mod configuration;
mod contract;
mod delivery_on_moto;
mod demo;
mod directory;
mod dynamodb_api;
mod email_replies;
mod lambda_events;
mod listings_bulk;
mod membership;
mod notifications;
mod notify_events;
mod operations;
mod privacy;
mod production_path;
mod realtime;
mod realtime_on_aws;
mod reports;
mod routing;
mod s3_api;
mod safety;
mod search;
mod sla;
mod sla_policy;
mod stream_filters;
mod surveys;
mod table_contract;
mod template_checks;
mod templates;
mod webhooks;
mod workflow;
