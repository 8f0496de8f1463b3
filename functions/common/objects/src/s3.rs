//! Objects on Amazon S3: presigned PUT (a conditional write: once per key) and GET for
//! clients, a ranged GET to inspect an upload, object tags for the lifecycle, and batch deletes for erasure.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use anyhow::Context;
use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::presigning::{PresignedRequest, PresigningConfig};
use aws_sdk_s3::types::{Delete, ObjectIdentifier, Tag, Tagging};
use chrono::{DateTime, Utc};

use super::{
    DOWNLOAD_TTL, Download, FILENAME_METADATA, KEPT, Objects, PENDING, STATE_TAG, SignedRequest,
    Stored, UPLOAD_TTL, Upload, WRITE_ONCE, total_from_content_range,
};
use domain::attachment::{SNIFF_BYTES, decode_filename, encode_filename};

/// The bucket's objects through a client made on first use: most cold starts of the
/// functions that hold one serve no attachment before they are recycled, and making a
/// client (its endpoint rules' partition table parsed) was part of every init.
pub struct S3Objects {
    config: aws_sdk_s3::Config,
    client: OnceLock<Client>,
    bucket: String,
}

impl S3Objects {
    pub fn new(config: aws_sdk_s3::Config, bucket: impl Into<String>) -> Self {
        Self {
            config,
            client: OnceLock::new(),
            bucket: bucket.into(),
        }
    }

    fn client(&self) -> &Client {
        self.client
            .get_or_init(|| Client::from_conf(self.config.clone()))
    }
}

fn presigning(now: DateTime<Utc>, ttl: std::time::Duration) -> anyhow::Result<PresigningConfig> {
    Ok(PresigningConfig::builder()
        .start_time(now.into())
        .expires_in(ttl)
        .build()?)
}

fn signed(request: PresignedRequest, expires_at: DateTime<Utc>) -> SignedRequest {
    // The client's HTTP stack sets Host and Content-Length itself (browsers refuse to).
    let headers: BTreeMap<String, String> = request
        .headers()
        .filter(|(name, _)| !name.eq_ignore_ascii_case("content-length"))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.to_string()))
        .collect();
    SignedRequest {
        method: request.method().to_string(),
        url: request.uri().to_string(),
        headers,
        expires_at,
    }
}

fn expiry(now: DateTime<Utc>, ttl: std::time::Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(ttl).unwrap_or_default()
}

#[async_trait]
impl Objects for S3Objects {
    async fn sign_upload(
        &self,
        upload: &Upload<'_>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<SignedRequest> {
        let request = self
            .client()
            .put_object()
            .bucket(&self.bucket)
            .key(upload.key)
            .content_type(upload.content_type)
            // Signed: S3 refuses a body of any other length.
            .content_length(i64::try_from(upload.size)?)
            .metadata(FILENAME_METADATA, encode_filename(upload.filename))
            .tagging(format!("{STATE_TAG}={PENDING}"))
            // Signed: the URL creates the object once; a second PUT, even within the
            // 15 minutes and with the same bytes, is refused 412 (and one without the
            // header does not match the signature). A file a message sent stays as sent.
            .if_none_match(WRITE_ONCE)
            .presigned(presigning(now, UPLOAD_TTL)?)
            .await
            .context("presign put_object")?;
        Ok(signed(request, expiry(now, UPLOAD_TTL)))
    }

    async fn sign_download(
        &self,
        download: &Download<'_>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<SignedRequest> {
        let request = self
            .client()
            .get_object()
            .bucket(&self.bucket)
            .key(download.key)
            .response_content_type(download.content_type)
            .response_content_disposition(download.disposition)
            .presigned(presigning(now, DOWNLOAD_TTL)?)
            .await
            .context("presign get_object")?;
        Ok(signed(request, expiry(now, DOWNLOAD_TTL)))
    }

    async fn put(&self, upload: &Upload<'_>, bytes: &[u8]) -> anyhow::Result<bool> {
        let result = self
            .client()
            .put_object()
            .bucket(&self.bucket)
            .key(upload.key)
            .content_type(upload.content_type)
            .metadata(FILENAME_METADATA, encode_filename(upload.filename))
            .tagging(format!("{STATE_TAG}={PENDING}"))
            .if_none_match(WRITE_ONCE)
            .body(bytes.to_vec().into())
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) if error.code() == Some("PreconditionFailed") => Ok(false),
            Err(error) => Err(anyhow::Error::new(error).context("s3 put_object")),
        }
    }

    async fn inspect(&self, key: &str) -> anyhow::Result<Option<Stored>> {
        // One ranged GET answers everything: the whole size (Content-Range), the type,
        // the metadata, and the first bytes.
        let result = self
            .client()
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .range(format!("bytes=0-{}", SNIFF_BYTES - 1))
            .send()
            .await;
        let output = match result {
            Ok(output) => output,
            Err(error) if error.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
                return Ok(None);
            }
            // An empty object has no first byte to range over.
            Err(error) if error.code() == Some("InvalidRange") => {
                return Ok(Some(Stored {
                    size: 0,
                    content_type: String::new(),
                    filename: None,
                    head: Vec::new(),
                }));
            }
            Err(error) => return Err(anyhow::Error::new(error).context("s3 get_object (range)")),
        };
        let size = output
            .content_range()
            .and_then(total_from_content_range)
            .or_else(|| output.content_length().and_then(|n| u64::try_from(n).ok()))
            .context("s3 get_object: no size")?;
        let content_type = output.content_type().unwrap_or_default().to_string();
        let filename = output
            .metadata()
            .and_then(|m| m.get(FILENAME_METADATA))
            .and_then(|name| decode_filename(name));
        let head = output
            .body
            .collect()
            .await
            .context("s3 get_object: reading the first bytes")?
            .to_vec();
        Ok(Some(Stored {
            size,
            content_type,
            filename,
            head,
        }))
    }

    async fn keep(&self, key: &str) -> anyhow::Result<()> {
        let tag = Tag::builder().key(STATE_TAG).value(KEPT).build()?;
        self.client()
            .put_object_tagging()
            .bucket(&self.bucket)
            .key(key)
            .tagging(Tagging::builder().tag_set(tag).build()?)
            .send()
            .await
            .context("s3 put_object_tagging")?;
        Ok(())
    }

    async fn delete_under(&self, prefix: &str) -> anyhow::Result<usize> {
        let mut deleted = 0;
        let mut pages = self
            .client()
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        // A page holds at most 1,000 keys: one DeleteObjects call's worth.
        while let Some(page) = pages.next().await {
            let page = page.context("s3 list_objects_v2")?;
            let keys = page
                .contents()
                .iter()
                .filter_map(|object| object.key())
                .map(|key| ObjectIdentifier::builder().key(key).build())
                .collect::<Result<Vec<_>, _>>()?;
            if keys.is_empty() {
                continue;
            }
            let count = keys.len();
            let output = self
                .client()
                .delete_objects()
                .bucket(&self.bucket)
                .delete(
                    Delete::builder()
                        .set_objects(Some(keys))
                        .quiet(true)
                        .build()?,
                )
                .send()
                .await
                .context("s3 delete_objects")?;
            if let Some(failed) = output.errors().first() {
                anyhow::bail!(
                    "s3 delete_objects: {} not deleted, e.g. {:?}: {:?}",
                    output.errors().len(),
                    failed.key(),
                    failed.code()
                );
            }
            deleted += count;
        }
        Ok(deleted)
    }
}
