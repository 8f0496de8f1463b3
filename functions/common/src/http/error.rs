//! The one place an [`ApiError`] becomes the contract's error shape:
//! `{"error": {"code", "message", "request_id"}}` with its status (and `Retry-After`
//! when limited or unavailable).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use messaging::ApiError;
use serde::Serialize;
use utoipa::{ToResponse, ToSchema};

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

fn status_and_code(error: &ApiError) -> (StatusCode, ErrorCode) {
    match error {
        ApiError::Invalid(_) => (StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest),
        ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized),
        ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, ErrorCode::Forbidden),
        ApiError::NotFound(_) => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
        ApiError::Conflict(_) => (StatusCode::CONFLICT, ErrorCode::Conflict),
        ApiError::PreconditionFailed(_) => (
            StatusCode::PRECONDITION_FAILED,
            ErrorCode::PreconditionFailed,
        ),
        ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::TooLarge),
        ApiError::UnsupportedMediaType(_) => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
        ),
        ApiError::MethodNotAllowed(_) => {
            (StatusCode::METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed)
        }
        ApiError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited),
        ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable),
        ApiError::Unexpected(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal),
    }
}

/// When a caller told the service is unavailable should try again.
pub const UNAVAILABLE_RETRY_AFTER_SECONDS: u64 = 2;

/// Whether an unexpected error is, somewhere in its chain, the table being unavailable
/// (an operation that wrapped the table's error with context on its way up).
fn table_unavailable(cause: &anyhow::Error) -> bool {
    cause.chain().any(|e| {
        matches!(
            e.downcast_ref::<store::table::TableError>(),
            Some(store::table::TableError::Unavailable(_))
        )
    })
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let error = match self.0 {
            ApiError::Unexpected(cause) if table_unavailable(&cause) => {
                ApiError::Unavailable(cause)
            }
            other => other,
        };
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
            ApiError::Unavailable(cause) => {
                tracing::warn!(
                    error = domain::redact::redact(&format!("{cause:#}")),
                    "request refused: unavailable"
                );
                error.to_string()
            }
            other => other.to_string(),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message,
                request_id: store::correlation::current().unwrap_or_default(),
            },
        };
        let mut response = (status, axum::Json(body)).into_response();
        let retry_after = match error {
            ApiError::RateLimited {
                retry_after_seconds,
                ..
            } => Some(retry_after_seconds),
            ApiError::Unavailable(_) => Some(UNAVAILABLE_RETRY_AFTER_SECONDS),
            _ => None,
        };
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// The error shape of every failure: `{"error": {"code", "message"}}`.
#[derive(Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// A sentence for people: what is wrong, naming the field at fault.
    pub message: String,
    /// The request's id, also in its `X-Request-Id` header and in every log line of it:
    /// quote it to support.
    pub request_id: String,
}

/// The machine-readable kind of an error.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    PreconditionFailed,
    TooLarge,
    UnsupportedMediaType,
    MethodNotAllowed,
    RateLimited,
    Unavailable,
    Internal,
}

/// The reusable error responses operations list (`response = NotFound`).
macro_rules! error_responses {
    ($($name:ident: $description:literal),* $(,)?) => {$(
        #[derive(ToResponse)]
        #[response(description = $description)]
        pub struct $name(#[allow(dead_code)] ErrorBody);
    )*};
}

error_responses!(
    BadRequest: "Invalid input; the message names the field",
    Unauthorized: "No valid token",
    Forbidden: "Wrong role for this route",
    NotFound: "Not found, or not the caller's to see",
    Conflict: "Conflicts with the current state; the message says what to do",
    TooLarge: "The request, or what it asks for, is too large",
    UnsupportedMediaType: "The body is not declared application/json",
    TooManyRequests: "Rate limited; Retry-After says when to try again",
    MethodNotAllowed: "Method not allowed on this route",
    Unavailable: "Overloaded, or a dependency is unavailable; Retry-After says when to try again",
    Internal: "Internal error; nothing internal is leaked",
);
