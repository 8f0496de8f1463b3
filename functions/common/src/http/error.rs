//! The one place an [`ApiError`] becomes the contract's error shape:
//! `{"error": {"code", "message"}}` with its status (and `Retry-After` when limited).

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
        ApiError::Unexpected(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal),
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
        let body = ErrorBody {
            error: ErrorDetail { code, message },
        };
        let mut response = (status, axum::Json(body)).into_response();
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
    Internal: "Internal error; nothing internal is leaked",
);
