//! Stored files: the Objects port, with its S3 adapter and the local one the dev server
//! and tests use. Clients move the bytes themselves with signed requests, so a file
//! never passes through a function (nor its memory, nor API Gateway's 10 MB limit).

pub mod local;
pub mod s3;

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// How long a client has to start its upload.
pub const UPLOAD_TTL: Duration = Duration::from_secs(15 * 60);
/// How long a download link works: long enough to open, too short to pass around.
pub const DOWNLOAD_TTL: Duration = Duration::from_secs(5 * 60);

/// The metadata an upload carries its filename in (percent-encoded: headers are ASCII).
pub const FILENAME_METADATA: &str = "filename";
/// Uploads start tagged pending; the bucket's lifecycle deletes pending ones after a
/// day, so files nobody attached do not stay. Attaching one tags it kept.
pub const STATE_TAG: &str = "state";
pub const PENDING: &str = "pending";
pub const KEPT: &str = "kept";

/// The `If-None-Match` value every upload is signed with: write only if nothing is
/// stored under the key yet. An upload URL creates its file once and can never replace
/// it, so a file a message sent (and was checked when sent) is the file its recipient
/// downloads.
pub const WRITE_ONCE: &str = "*";

/// A file a client may upload: its exact size, type and name are signed into the request,
/// and it may be written once ([`WRITE_ONCE`]).
pub struct Upload<'a> {
    pub key: &'a str,
    pub content_type: &'a str,
    pub size: u64,
    pub filename: &'a str,
}

/// A file a client may download, with the type and disposition it is served with.
pub struct Download<'a> {
    pub key: &'a str,
    pub content_type: &'a str,
    pub disposition: &'a str,
}

/// An HTTP request the client makes itself, signed for it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SignedRequest {
    pub method: String,
    pub url: String,
    /// Headers to send exactly as given (the body's length is implied: exactly `size`).
    /// An upload's include `if-none-match: *`: it is written once, and a second PUT to
    /// the same URL is refused with 412.
    pub headers: BTreeMap<String, String>,
    pub expires_at: DateTime<Utc>,
}

/// What is stored under a key.
#[derive(Debug, Clone)]
pub struct Stored {
    pub size: u64,
    pub content_type: String,
    pub filename: Option<String>,
    /// Its first bytes (up to [`domain::attachment::SNIFF_BYTES`]).
    pub head: Vec<u8>,
}

#[async_trait]
pub trait Objects: Send + Sync + 'static {
    async fn sign_upload(
        &self,
        upload: &Upload<'_>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<SignedRequest>;
    async fn sign_download(
        &self,
        download: &Download<'_>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<SignedRequest>;
    /// Stores a file the system itself received (an email reply's attachment) as an
    /// upload would be: written once (`Ok(false)`: something was stored under `key`
    /// already, as when a redelivered email is handled again), pending until kept.
    async fn put(&self, upload: &Upload<'_>, bytes: &[u8]) -> anyhow::Result<bool>;
    /// What was uploaded under `key`, if anything.
    async fn inspect(&self, key: &str) -> anyhow::Result<Option<Stored>>;
    /// Keeps an upload past the pending uploads' expiry. Changes its state only, never
    /// its bytes, type or name.
    async fn keep(&self, key: &str) -> anyhow::Result<()>;
    /// Deletes every file under `prefix`; how many there were.
    async fn delete_under(&self, prefix: &str) -> anyhow::Result<usize>;
}

/// `Content-Range: bytes 0-15/12345` → 12345.
pub(crate) fn total_from_content_range(range: &str) -> Option<u64> {
    range.rsplit('/').next()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_content_range_gives_the_whole_size() {
        assert_eq!(
            super::total_from_content_range("bytes 0-15/12345"),
            Some(12345)
        );
        assert_eq!(super::total_from_content_range("bytes 0-15/*"), None);
    }
}
