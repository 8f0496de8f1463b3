//! The webhook poster: HTTPS (and plain HTTP, for local receivers) with hyper and
//! rustls, the same stack the AWS SDK uses, with a timeout per delivery. It goes only
//! where its [`Reach`] allows: the URL is checked again at each delivery, every address
//! a name resolves to is checked before connecting (so DNS cannot point a public name
//! at the VPC or the metadata service), and redirects are never followed (a 3xx is a
//! failed delivery).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::Duration;

use async_trait::async_trait;
use domain::webhook::{Reach, check_url};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::rt::TokioExecutor;

use super::{PostError, WebhookPoster};

/// A receiver that takes longer than this has failed this attempt.
const TIMEOUT: Duration = Duration::from_secs(10);

pub struct HttpPoster {
    /// Made on the first delivery, then pooled: loading the TLS roots is most of it, and
    /// most of notify's cold starts deliver no webhook.
    client: OnceLock<Connection>,
    reach: Reach,
}

type Connector = HttpConnector<CheckedResolver>;

/// With the machine's TLS roots, or plain HTTP only where it has none (a bare dev
/// machine): local receivers still work, HTTPS deliveries fail and are retried.
enum Connection {
    Tls(Client<hyper_rustls::HttpsConnector<Connector>, Full<Bytes>>),
    PlainOnly(Client<Connector, Full<Bytes>>),
}

impl HttpPoster {
    pub fn new(reach: Reach) -> Self {
        Self {
            client: OnceLock::new(),
            reach,
        }
    }

    fn client(&self) -> &Connection {
        self.client.get_or_init(|| Connection::new(self.reach))
    }
}

impl Connection {
    fn new(reach: Reach) -> Self {
        let builder = Client::builder(TokioExecutor::new());
        let mut http = HttpConnector::new_with_resolver(CheckedResolver { reach });
        match hyper_rustls::HttpsConnectorBuilder::new().with_native_roots() {
            Ok(tls) => {
                // The TLS layer decides the scheme; the TCP layer must take https too.
                http.enforce_http(false);
                Self::Tls(builder.build(tls.https_or_http().enable_http1().wrap_connector(http)))
            }
            Err(error) => {
                tracing::warn!(%error, "no TLS root certificates: webhooks go to http:// URLs only");
                Self::PlainOnly(builder.build(http))
            }
        }
    }
}

/// Resolves a name as the system does, then refuses it unless every address is one
/// `reach` allows: a name with one private address among public ones is refused, since
/// the connector may try any of them.
#[derive(Clone)]
pub struct CheckedResolver {
    reach: Reach,
}

impl tower::Service<Name> for CheckedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let reach = self.reach;
        Box::pin(async move {
            // The port is the URL's; the connector sets it on each address.
            let addresses: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            if let Some(refused) = addresses.iter().find(|a| !reach.allows(a.ip())) {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    format!("{name} resolves to {}, not a public address", refused.ip()),
                ));
            }
            Ok(addresses.into_iter())
        })
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
        // Endpoints registered before a rule tightened are held to today's.
        check_url(url, self.reach).map_err(|e| PostError::Refused(e.to_string()))?;
        let mut request = hyper::Request::post(url).header("content-type", "application/json");
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let request = request
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|e| PostError::Request(e.into()))?;
        let send = async {
            let response = match self.client() {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;
    use tower::ServiceExt;

    async fn resolve(reach: Reach, name: &str) -> std::io::Result<Vec<SocketAddr>> {
        let resolver = CheckedResolver { reach };
        let name = Name::from_str(name).expect("a name");
        Ok(resolver.oneshot(name).await?.collect())
    }

    #[tokio::test]
    async fn a_name_that_resolves_to_this_machine_is_refused_on_aws() {
        let refused = resolve(Reach::Public, "localhost").await.unwrap_err();
        assert_eq!(refused.kind(), std::io::ErrorKind::PermissionDenied);
        assert!(
            refused.to_string().contains("not a public address"),
            "{refused}"
        );
        let local = resolve(Reach::PublicAndThisMachine, "localhost")
            .await
            .unwrap();
        assert!(local.iter().all(|a| a.ip().is_loopback()), "{local:?}");
    }

    #[tokio::test]
    async fn a_literal_address_is_held_to_the_reach_before_any_connection() {
        let poster = HttpPoster::new(Reach::Public);
        for url in [
            "https://127.0.0.1:9/hook",
            "https://169.254.169.254/latest/meta-data/",
            "http://127.0.0.1:9001/2018-06-01/runtime/invocation/next",
        ] {
            let error = poster.post(url, &[], "{}").await.unwrap_err();
            assert!(matches!(error, PostError::Refused(_)), "{url}: {error}");
        }
    }
}
