//! Objects on this machine, for the dev server and tests: files on disk (or in memory),
//! behind signed URLs the dev server checks as S3 would. The website's code is the same
//! in both places: PUT the bytes with the headers given, GET the link. A file is written
//! once: a second PUT to its key is refused with 412, whatever headers it carries.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    DOWNLOAD_TTL, Download, FILENAME_METADATA, KEPT, Objects, PENDING, STATE_TAG, SignedRequest,
    Stored, UPLOAD_TTL, Upload, WRITE_ONCE,
};
use domain::attachment::{SNIFF_BYTES, decode_filename, encode_filename};

/// The dev server's route for stored files.
const ROUTE_PREFIX: &str = "/local/objects/";

pub struct LocalObjects {
    /// Where the dev server answers, e.g. `http://127.0.0.1:3000`.
    base_url: String,
    secret: Vec<u8>,
    files: Files,
}

enum Files {
    Memory(Mutex<BTreeMap<String, File>>),
    /// One file per object, named by its percent-encoded key (so no key can reach
    /// outside the folder), with a `.json` beside it for its metadata.
    Disk(PathBuf),
}

#[derive(Clone, Serialize, Deserialize)]
struct Metadata {
    content_type: String,
    filename: Option<String>,
    state: String,
}

#[derive(Clone)]
struct File {
    metadata: Metadata,
    bytes: Vec<u8>,
}

/// The query of a signed local URL.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SignedQuery {
    pub expires: i64,
    pub signature: String,
    #[serde(rename = "response-content-type")]
    pub content_type: Option<String>,
    #[serde(rename = "response-content-disposition")]
    pub disposition: Option<String>,
}

/// Why a signed request was refused (the dev server answers 403, as S3 does).
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("the link has expired")]
    Expired,
    #[error(
        "the signature does not match the request (type, size, name or if-none-match changed?)"
    )]
    Signature,
    /// The dev server answers 412, as S3 does to a conditional write on an existing key.
    #[error("a file is already stored under this key: an upload is written once")]
    Exists,
    #[error("no such file")]
    Missing,
    #[error(transparent)]
    Storage(#[from] anyhow::Error),
}

/// A file as the dev server serves it.
pub struct Served {
    pub content_type: String,
    pub disposition: String,
    pub bytes: Vec<u8>,
}

impl LocalObjects {
    pub fn in_memory(base_url: &str, secret: &[u8]) -> Self {
        Self::new(base_url, secret, Files::Memory(Mutex::default()))
    }

    pub fn on_disk(base_url: &str, secret: &[u8], folder: PathBuf) -> Self {
        Self::new(base_url, secret, Files::Disk(folder))
    }

    fn new(base_url: &str, secret: &[u8], files: Files) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_string(),
            secret: secret.to_vec(),
            files,
        }
    }

    fn sign(&self, parts: &[&str]) -> String {
        domain::digest::hmac_hex(&self.secret, parts.join("\n").as_bytes())
    }

    fn check(
        &self,
        signature: &str,
        expires: i64,
        now: DateTime<Utc>,
        parts: &[&str],
    ) -> Result<(), Refused> {
        if now.timestamp() > expires {
            return Err(Refused::Expired);
        }
        let expected = self.sign(parts);
        // Constant time, as a signature check should be.
        let matches = expected.len() == signature.len()
            && expected
                .bytes()
                .zip(signature.bytes())
                .fold(0, |diff, (a, b)| diff | (a ^ b))
                == 0;
        matches.then_some(()).ok_or(Refused::Signature)
    }

    /// The dev server's `PUT /local/objects/{key}`: stores the body if the request is
    /// the one signed (same type, name and exact length, `if-none-match: *`, not expired)
    /// and nothing is stored under the key yet.
    pub fn accept_upload(
        &self,
        key: &str,
        query: &SignedQuery,
        headers: &http::HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), Refused> {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let content_type = header("content-type");
        let filename = header(&format!("x-amz-meta-{FILENAME_METADATA}"));
        let if_none_match = header("if-none-match");
        let expires = query.expires.to_string();
        let size = body.len().to_string();
        let parts = [
            "PUT",
            key,
            &expires,
            &content_type,
            &size,
            &filename,
            &if_none_match,
        ];
        self.check(&query.signature, query.expires, now, &parts)?;
        let metadata = Metadata {
            content_type,
            filename: decode_filename(&filename),
            state: PENDING.to_string(),
        };
        self.create(
            key,
            File {
                metadata,
                bytes: body.to_vec(),
            },
        )
    }

    /// The dev server's `GET /local/objects/{key}`.
    pub fn serve_download(
        &self,
        key: &str,
        query: &SignedQuery,
        now: DateTime<Utc>,
    ) -> Result<Served, Refused> {
        let content_type = query.content_type.clone().unwrap_or_default();
        let disposition = query.disposition.clone().unwrap_or_default();
        let expires = query.expires.to_string();
        let parts = ["GET", key, &expires, &content_type, &disposition];
        self.check(&query.signature, query.expires, now, &parts)?;
        let file = self.get(key)?.ok_or(Refused::Missing)?;
        Ok(Served {
            content_type,
            disposition,
            bytes: file.bytes,
        })
    }

    fn url(&self, key: &str, query: &[(&str, &str)]) -> String {
        let query: Vec<String> = query
            .iter()
            .map(|(name, value)| format!("{name}={}", encode_filename(value)))
            .collect();
        // The key is one path segment (`/` encoded), as the dev server's route expects.
        let key = encode_filename(key);
        format!("{}{ROUTE_PREFIX}{key}?{}", self.base_url, query.join("&"))
    }

    fn get(&self, key: &str) -> anyhow::Result<Option<File>> {
        match &self.files {
            Files::Memory(files) => Ok(lock(files).get(key).cloned()),
            Files::Disk(folder) => {
                let path = folder.join(encode_filename(key));
                let bytes = match std::fs::read(&path) {
                    Ok(bytes) => bytes,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(e.into()),
                };
                let metadata = serde_json::from_slice(&std::fs::read(sidecar(&path))?)?;
                Ok(Some(File { metadata, bytes }))
            }
        }
    }

    /// Stores a new file; [`Refused::Exists`] if anything is stored under `key` already
    /// (or being stored: two concurrent uploads, one wins). Nothing ever replaces a file.
    fn create(&self, key: &str, file: File) -> Result<(), Refused> {
        match &self.files {
            Files::Memory(files) => match lock(files).entry(key.to_string()) {
                Entry::Occupied(_) => return Err(Refused::Exists),
                Entry::Vacant(entry) => {
                    entry.insert(file);
                }
            },
            Files::Disk(folder) => {
                std::fs::create_dir_all(folder).map_err(anyhow::Error::from)?;
                let path = folder.join(encode_filename(key));
                // The metadata file is the claim: created only if absent (atomically, by
                // the file system), before the bytes, so a reader that finds the bytes
                // finds their metadata.
                let claim = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(sidecar(&path));
                let mut claim = match claim {
                    Ok(claim) => claim,
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        return Err(Refused::Exists);
                    }
                    Err(e) => return Err(anyhow::Error::from(e).into()),
                };
                let metadata = serde_json::to_vec(&file.metadata).map_err(anyhow::Error::from)?;
                claim.write_all(&metadata).map_err(anyhow::Error::from)?;
                std::fs::write(path, file.bytes).map_err(anyhow::Error::from)?;
            }
        }
        Ok(())
    }

    /// Sets a stored file's state, and nothing else of it.
    fn set_state(&self, key: &str, state: &str) -> anyhow::Result<()> {
        let missing = || anyhow::anyhow!("no file {key} to keep");
        match &self.files {
            Files::Memory(files) => {
                let mut files = lock(files);
                let file = files.get_mut(key).ok_or_else(missing)?;
                file.metadata.state = state.to_string();
            }
            Files::Disk(folder) => {
                let path = folder.join(encode_filename(key));
                let mut file = self.get(key)?.ok_or_else(missing)?;
                file.metadata.state = state.to_string();
                // Written beside and renamed over: a reader sees the old or the new
                // metadata, never half of it.
                let mut staged = sidecar(&path).into_os_string();
                staged.push(".tmp");
                std::fs::write(&staged, serde_json::to_vec(&file.metadata)?)?;
                std::fs::rename(&staged, sidecar(&path))?;
            }
        }
        Ok(())
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// The metadata file beside an object's (appended, not a replaced extension: user ids
/// may hold dots; object ids never end in `.json`).
fn sidecar(path: &std::path::Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".json");
    PathBuf::from(name)
}

#[async_trait]
impl Objects for LocalObjects {
    async fn sign_upload(
        &self,
        upload: &Upload<'_>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<SignedRequest> {
        let expires_at = now + chrono::Duration::from_std(UPLOAD_TTL)?;
        let expires = expires_at.timestamp().to_string();
        let filename = encode_filename(upload.filename);
        let size = upload.size.to_string();
        let signature = self.sign(&[
            "PUT",
            upload.key,
            &expires,
            upload.content_type,
            &size,
            &filename,
            WRITE_ONCE,
        ]);
        let headers = BTreeMap::from([
            ("content-type".to_string(), upload.content_type.to_string()),
            (format!("x-amz-meta-{FILENAME_METADATA}"), filename),
            (
                "x-amz-tagging".to_string(),
                format!("{STATE_TAG}={PENDING}"),
            ),
            ("if-none-match".to_string(), WRITE_ONCE.to_string()),
        ]);
        Ok(SignedRequest {
            method: "PUT".into(),
            url: self.url(
                upload.key,
                &[("expires", &expires), ("signature", &signature)],
            ),
            headers,
            expires_at,
        })
    }

    async fn sign_download(
        &self,
        download: &Download<'_>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<SignedRequest> {
        let expires_at = now + chrono::Duration::from_std(DOWNLOAD_TTL)?;
        let expires = expires_at.timestamp().to_string();
        let signature = self.sign(&[
            "GET",
            download.key,
            &expires,
            download.content_type,
            download.disposition,
        ]);
        let url = self.url(
            download.key,
            &[
                ("expires", &expires),
                ("response-content-type", download.content_type),
                ("response-content-disposition", download.disposition),
                ("signature", &signature),
            ],
        );
        Ok(SignedRequest {
            method: "GET".into(),
            url,
            headers: BTreeMap::new(),
            expires_at,
        })
    }

    async fn put(&self, upload: &Upload<'_>, bytes: &[u8]) -> anyhow::Result<bool> {
        let file = File {
            metadata: Metadata {
                content_type: upload.content_type.to_string(),
                filename: Some(upload.filename.to_string()),
                state: PENDING.to_string(),
            },
            bytes: bytes.to_vec(),
        };
        match self.create(upload.key, file) {
            Ok(()) => Ok(true),
            Err(Refused::Exists) => Ok(false),
            Err(other) => Err(anyhow::Error::new(other)),
        }
    }

    async fn inspect(&self, key: &str) -> anyhow::Result<Option<Stored>> {
        Ok(self.get(key)?.map(|file| Stored {
            size: file.bytes.len() as u64,
            content_type: file.metadata.content_type,
            filename: file.metadata.filename,
            head: file.bytes.into_iter().take(SNIFF_BYTES as usize).collect(),
        }))
    }

    async fn keep(&self, key: &str) -> anyhow::Result<()> {
        self.set_state(key, KEPT)
    }

    async fn delete_under(&self, prefix: &str) -> anyhow::Result<usize> {
        match &self.files {
            Files::Memory(files) => {
                let mut files = lock(files);
                let before = files.len();
                files.retain(|key, _| !key.starts_with(prefix));
                Ok(before - files.len())
            }
            Files::Disk(folder) => {
                let entries = match std::fs::read_dir(folder) {
                    Ok(entries) => entries,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
                    Err(e) => return Err(e.into()),
                };
                let encoded = encode_filename(prefix);
                let mut deleted = 0;
                for entry in entries {
                    let path = entry?.path();
                    let name = path
                        .file_name()
                        .and_then(|n| n.to_str())
                        .unwrap_or_default();
                    if name.starts_with(&encoded) && !name.ends_with(".json") {
                        std::fs::remove_file(sidecar(&path)).ok();
                        std::fs::remove_file(&path)?;
                        deleted += 1;
                    }
                }
                Ok(deleted)
            }
        }
    }
}
