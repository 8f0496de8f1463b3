//! The webhook poster: HTTPS (and plain HTTP, for local receivers) with hyper and
//! rustls, the same stack the AWS SDK uses, with a timeout per delivery.

use std::time::Duration;

use async_trait::async_trait;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::{PostError, WebhookPoster};

/// A receiver that takes longer than this has failed this attempt.
const TIMEOUT: Duration = Duration::from_secs(10);

pub struct HttpPoster {
    client: Connection,
}

/// With the machine's TLS roots, or plain HTTP only where it has none (a bare dev
/// machine): local receivers still work, HTTPS deliveries fail and are retried.
enum Connection {
    Tls(Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>),
    PlainOnly(Client<HttpConnector, Full<Bytes>>),
}

impl HttpPoster {
    /// Built once per cold start: connections are pooled across deliveries.
    pub fn new() -> Self {
        let builder = Client::builder(TokioExecutor::new());
        let client = match hyper_rustls::HttpsConnectorBuilder::new().with_native_roots() {
            Ok(tls) => Connection::Tls(builder.build(tls.https_or_http().enable_http1().build())),
            Err(error) => {
                tracing::warn!(%error, "no TLS root certificates: webhooks go to http:// URLs only");
                Connection::PlainOnly(builder.build(HttpConnector::new()))
            }
        };
        Self { client }
    }
}

impl Default for HttpPoster {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl WebhookPoster for HttpPoster {
    async fn post(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: &str,
    ) -> Result<u16, PostError> {
        let mut request = hyper::Request::post(url).header("content-type", "application/json");
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let request = request
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|e| PostError::Request(e.into()))?;
        let send = async {
            let response = match &self.client {
                Connection::Tls(client) => client.request(request).await,
                Connection::PlainOnly(client) => client.request(request).await,
            }
            .map_err(|e| PostError::Unreachable(e.into()))?;
            let status = response.status().as_u16();
            // Drain the body so the connection can be reused.
            let _ = response.into_body().collect().await;
            Ok(status)
        };
        tokio::time::timeout(TIMEOUT, send)
            .await
            .unwrap_or(Err(PostError::Timeout(TIMEOUT)))
    }
}
