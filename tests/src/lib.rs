//! Helpers shared by the end-to-end tests, by concern: the API in process ([`app`]),
//! moto server ([`moto`]), plain HTTP with signed URLs ([`http`]), and a table that
//! interleaves writers ([`interleaved`]).

mod app;
mod http;
mod interleaved;
mod moto;
mod socket;

pub use app::*;
pub use http::*;
pub use interleaved::*;
pub use moto::*;
pub use socket::*;
