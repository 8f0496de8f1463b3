//! Attachments: which files a message may carry, and how an upload proves to be the
//! file it claims. A client's declared type is never trusted: the first bytes decide.

use serde::{Deserialize, Serialize};

use crate::{Rejection, Result};

/// The largest upload unless `ATTACHMENT_MAX_BYTES` says otherwise.
pub const DEFAULT_MAX_BYTES: u64 = 10 * 1024 * 1024;
/// Files one message may carry.
pub const MAX_PER_MESSAGE: usize = 5;
pub const FILENAME_MAX_CHARS: usize = 200;
/// How many first bytes recognise every allowed kind.
pub const SNIFF_BYTES: u64 = 16;

/// The kinds of file a message may carry: photos of items and documents (invoices,
/// proof of payment), as browsers show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Jpeg,
    Png,
    Gif,
    Webp,
    Pdf,
}

impl Kind {
    pub const ALL: [Kind; 5] = [Kind::Jpeg, Kind::Png, Kind::Gif, Kind::Webp, Kind::Pdf];

    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
            Kind::Gif => "image/gif",
            Kind::Webp => "image/webp",
            Kind::Pdf => "application/pdf",
        }
    }

    pub fn from_content_type(content_type: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| {
            kind.content_type()
                .eq_ignore_ascii_case(content_type.trim())
        })
    }

    /// The kind in words, for error messages.
    pub fn described(self) -> &'static str {
        match self {
            Kind::Jpeg => "a JPEG image",
            Kind::Png => "a PNG image",
            Kind::Gif => "a GIF image",
            Kind::Webp => "a WebP image",
            Kind::Pdf => "a PDF document",
        }
    }

    /// Whether a file starting with `head` is of this kind.
    pub fn starts(self, head: &[u8]) -> bool {
        match self {
            Kind::Jpeg => head.starts_with(&[0xFF, 0xD8, 0xFF]),
            Kind::Png => head.starts_with(b"\x89PNG\r\n\x1a\n"),
            Kind::Gif => head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a"),
            Kind::Webp => head.starts_with(b"RIFF") && head.get(8..12) == Some(b"WEBP"),
            Kind::Pdf => head.starts_with(b"%PDF-"),
        }
    }

    /// Images open in the browser; documents download, so nothing in them runs on our
    /// pages' behalf.
    pub fn disposition(self) -> &'static str {
        match self {
            Kind::Pdf => "attachment",
            _ => "inline",
        }
    }
}

/// An attachment as a message carries it (`Attachment` in the OpenAPI document).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attachment {
    pub id: String,
    /// As uploaded, without any path; shown to the recipient
    pub filename: String,
    pub content_type: String,
    /// Bytes.
    pub size: u64,
}

/// What a client asks to upload.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadRequest {
    #[schema(max_length = 200, min_length = 1)]
    pub filename: String,
    /// Common images and PDF; the file's first bytes must match it
    pub content_type: String,
    /// Exact bytes; at most the configured cap (10 MB by default)
    pub size: u64,
}

/// Checks an upload request against the allowlist and the size cap; the clean filename.
pub fn check_upload(request: &UploadRequest, max_bytes: u64) -> Result<(Kind, String)> {
    let filename = filename(&request.filename)?;
    let kind = allowed(&request.content_type)?;
    within_cap(request.size, max_bytes)?;
    Ok((kind, filename))
}

/// Checks what was stored against what it claims to be.
pub fn check_uploaded(content_type: &str, size: u64, head: &[u8], max_bytes: u64) -> Result<Kind> {
    let kind = allowed(content_type)?;
    within_cap(size, max_bytes)?;
    if !kind.starts(head) {
        return Err(Rejection::invalid(format!(
            "attachments: the uploaded file is not {}, as its type says",
            kind.described()
        )));
    }
    Ok(kind)
}

fn allowed(content_type: &str) -> Result<Kind> {
    Kind::from_content_type(content_type).ok_or_else(|| {
        let allowed: Vec<&str> = Kind::ALL.iter().map(|k| k.content_type()).collect();
        Rejection::invalid(format!(
            "content_type: {content_type:?} is not allowed; send one of {}",
            allowed.join(", ")
        ))
    })
}

fn within_cap(size: u64, max_bytes: u64) -> Result<()> {
    if size == 0 {
        return Err(Rejection::invalid("size: the file is empty"));
    }
    if size > max_bytes {
        return Err(Rejection::invalid(format!(
            "size: files are at most {} (got {})",
            megabytes(max_bytes),
            megabytes(size)
        )));
    }
    Ok(())
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
}

/// A filename as people read it: the last path segment, trimmed, no control or
/// invisible characters, 1 to 200 characters.
pub fn filename(text: &str) -> Result<String> {
    let last = text.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last.chars().filter(|c| !hidden_character(*c)).collect();
    let clean = clean.trim();
    let chars = clean.chars().count();
    if chars == 0 || clean == "." || clean == ".." {
        return Err(Rejection::invalid("filename: must name the file"));
    }
    if chars > FILENAME_MAX_CHARS {
        return Err(Rejection::invalid(format!(
            "filename: must be at most {FILENAME_MAX_CHARS} characters (got {chars})"
        )));
    }
    Ok(clean.to_string())
}

/// Control characters, and the invisible ones that reorder or hide text (the
/// right-to-left override makes `gpj.exe` read as `exe.jpg`).
fn hidden_character(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Where an upload is stored: under its owner, so a message can only carry its own
/// author's files and erasing a user's files is one prefix.
pub fn object_key(owner: &str, id: &str) -> String {
    format!("{}{id}", owner_prefix(owner))
}

pub fn owner_prefix(owner: &str) -> String {
    format!("uploads/{owner}/")
}

/// A filename as an HTTP header value (ASCII only): percent-encoded UTF-8.
pub fn encode_filename(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"._-".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

pub fn decode_filename(encoded: &str) -> Option<String> {
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// `Content-Disposition` for a download, with the name for every browser.
pub fn content_disposition(kind: Kind, filename: &str) -> String {
    let ascii: String = filename
        .chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' => c,
            _ => '_',
        })
        .collect();
    format!(
        "{}; filename=\"{ascii}\"; filename*=UTF-8''{}",
        kind.disposition(),
        encode_filename(filename)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(content_type: &str, size: u64) -> UploadRequest {
        UploadRequest {
            filename: "couch.jpg".into(),
            content_type: content_type.into(),
            size,
        }
    }

    #[test]
    fn images_and_pdfs_up_to_the_cap_are_allowed_and_nothing_else() {
        for kind in Kind::ALL {
            assert!(check_upload(&request(kind.content_type(), 1), 10).is_ok());
        }
        assert!(check_upload(&request("IMAGE/PNG", 10), 10).is_ok());
        for refused in ["text/html", "image/svg+xml", "application/zip", ""] {
            let error = check_upload(&request(refused, 1), 10).unwrap_err();
            assert!(error.to_string().starts_with("content_type:"), "{error}");
        }
        let error = check_upload(&request("image/png", 11), 10).unwrap_err();
        assert!(error.to_string().starts_with("size:"), "{error}");
        assert!(check_upload(&request("image/png", 0), 10).is_err());
    }

    #[test]
    fn the_first_bytes_must_be_the_declared_kind() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert!(check_uploaded("image/png", 100, png, 1000).is_ok());
        assert!(check_uploaded("image/jpeg", 100, png, 1000).is_err());
        assert!(check_uploaded("application/pdf", 100, b"%PDF-1.7\n", 1000).is_ok());
        assert!(check_uploaded("image/png", 100, b"<html><script>", 1000).is_err());
        assert!(check_uploaded("image/webp", 100, b"RIFF\0\0\0\0WEBPVP8 ", 1000).is_ok());
        assert!(check_uploaded("image/webp", 100, b"RIFF\0\0\0\0WAVEfmt ", 1000).is_err());
        assert!(check_uploaded("image/png", 2000, png, 1000).is_err());
    }

    #[test]
    fn filenames_lose_paths_and_control_characters() {
        assert_eq!(filename("C:\\Users\\me\\quote.pdf").unwrap(), "quote.pdf");
        assert_eq!(filename("../../etc/passwd").unwrap(), "passwd");
        assert_eq!(filename(" bank\u{202e}fdp.exe ").unwrap(), "bankfdp.exe");
        assert!(filename("a/").is_err());
        assert!(filename("..").is_err());
        assert!(filename(&"x".repeat(201)).is_err());
    }

    #[test]
    fn filenames_survive_a_header_and_come_back() {
        for name in ["Photo 1 (kitchen).jpg", "Ümlaut–résumé.pdf", "100%.png"] {
            let encoded = encode_filename(name);
            assert!(encoded.is_ascii() && !encoded.contains(' '));
            assert_eq!(decode_filename(&encoded).as_deref(), Some(name));
        }
        assert_eq!(decode_filename("%zz"), None);
        assert_eq!(
            content_disposition(Kind::Pdf, "Ünit \"1\".pdf"),
            "attachment; filename=\"_nit _1_.pdf\"; filename*=UTF-8''%C3%9Cnit%20%221%22.pdf"
        );
    }
}
