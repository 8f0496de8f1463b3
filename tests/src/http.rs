//! Plain HTTP requests, as a browser makes them with the signed URLs the API hands out.

use axum::http::{Method, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;

use crate::TestApp;

/// One plain HTTP request, as a browser would make it with a signed URL: status,
/// headers and body.
pub async fn http(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Vec<u8>,
) -> (u16, axum::http::HeaderMap, Vec<u8>) {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Full<axum::body::Bytes>>();
    let mut request = axum::http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let request = request
        .body(http_body_util::Full::new(axum::body::Bytes::from(body)))
        .unwrap();
    let response = client.request(request).await.expect("HTTP request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, bytes.to_vec())
}

/// A signed request's headers, from its JSON.
pub fn signed_headers(request: &serde_json::Value) -> Vec<(String, String)> {
    request["headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, value)| (name.clone(), value.as_str().unwrap().to_string()))
        .collect()
}

/// PUTs `bytes` with a signed upload's URL and headers, to the dev server.
pub async fn put_signed(
    app: &TestApp,
    upload: &Value,
    bytes: &[u8],
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let headers = signed_headers(upload);
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let url = upload["url"].as_str().unwrap();
    app.raw(Method::PUT, url, &headers, bytes.to_vec()).await
}

pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";
/// A small PDF.
pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";
