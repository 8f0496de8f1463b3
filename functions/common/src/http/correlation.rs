//! Every request's id: API Gateway's `requestContext.requestId` on Lambda; on the dev
//! server a well-formed incoming `X-Request-Id` (at most 64 of `[A-Za-z0-9_-]`), else a
//! new one. It is the `request_id` of the request's span (so in every log line of it),
//! in every error body, in the `X-Request-Id` answer header, and stored on the
//! message and conversation items the request writes (see `store::correlation`), so
//! notify logs it for the records they make.

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, request::Parts};
use axum::middleware::Next;
use axum::response::Response;
use messaging::{AppState, IdentitySource};
use tracing::Instrument;

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request id taken from a caller.
const MAX_LEN: usize = 64;

/// Whether a caller's `X-Request-Id` may be used as the request's id: short, and of
/// characters that cannot carry anything else into a log line.
pub fn well_formed(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn request_id(parts: &Parts, app: &AppState) -> String {
    let given = match app.identity {
        // On AWS only API Gateway's id is trusted: it is the one in its access logs.
        IdentitySource::ApiGateway => api_gateway_request_id(parts),
        IdentitySource::Hs256 { .. } => parts
            .headers
            .get(&X_REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .filter(|id| well_formed(id))
            .map(str::to_string),
    };
    given.unwrap_or_else(|| app.ids.next(app.clock.now()))
}

fn api_gateway_request_id(parts: &Parts) -> Option<String> {
    use lambda_http::request::RequestContext;
    match parts.extensions.get::<RequestContext>()? {
        RequestContext::ApiGatewayV2(context) => context.request_id.clone(),
        _ => None,
    }
}

/// The layer: runs the request in its span and as its id's, and answers the id.
pub(super) async fn correlate(app: AppState, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let id = request_id(&parts, &app);
    let route = parts
        .extensions
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_string());
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %parts.method,
        route = route.as_deref().unwrap_or("unmatched"),
    );
    let started = std::time::Instant::now();
    let work = next
        .run(Request::from_parts(parts, body))
        .instrument(span.clone());
    let mut response = store::correlation::scope(id.clone(), work).await;
    // The access log: one line per request, in its span (so with its id and route).
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "answered"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(X_REQUEST_ID, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::well_formed;

    #[test]
    fn only_short_plain_ids_are_taken_from_callers() {
        assert!(well_formed("01JDX0Y6ZK-abc_9"));
        assert!(well_formed(&"a".repeat(64)));
        assert!(!well_formed(&"a".repeat(65)));
        assert!(!well_formed(""));
        for bad in ["a b", "a\nb", "thandi@example.org", "a.b", "é"] {
            assert!(!well_formed(bad), "{bad:?}");
        }
    }
}
