//! The one place an [`ApiError`] becomes the contract's error shape:
//! `{"error": {"code", "message"}}` with its status (and `Retry-After` when limited).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use messaging::ApiError;
use serde_json::json;

/// An [`ApiError`] on its way out of a route: what handlers and extractors return.
#[derive(Debug)]
pub struct HttpError(pub ApiError);

/// What a route handler returns.
pub type HttpResult<T> = Result<T, HttpError>;

/// Every error an operation or a lower layer returns leaves a route through `?`.
macro_rules! from_errors {
    ($($error:ty),*) => {$(
        impl From<$error> for HttpError {
            fn from(error: $error) -> Self {
                Self(error.into())
            }
        }
    )*};
}

impl From<ApiError> for HttpError {
    fn from(error: ApiError) -> Self {
        Self(error)
    }
}

from_errors!(
    domain::Rejection,
    store::table::TableError,
    store::ListError,
    anyhow::Error
);

fn status_and_code(error: &ApiError) -> (StatusCode, &'static str) {
    match error {
        ApiError::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
        ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
        ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
        ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
        ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
        ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
        ApiError::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
        ApiError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        ApiError::Unexpected(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let error = self.0;
        let (status, code) = status_and_code(&error);
        let message = match &error {
            ApiError::Unexpected(cause) => {
                // The cause chain goes to the log; the caller learns nothing of internals.
                tracing::error!(
                    error = domain::redact::redact(&format!("{cause:#}")),
                    "request failed"
                );
                "internal error; it has been logged".to_string()
            }
            other => other.to_string(),
        };
        let mut response = (
            status,
            axum::Json(json!({ "error": { "code": code, "message": message } })),
        )
            .into_response();
        if let ApiError::RateLimited {
            retry_after_seconds,
            ..
        } = error
        {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_seconds));
        }
        response
    }
}
