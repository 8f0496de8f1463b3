//! The one error type of the API's operations: the contract's kinds of failure. The
//! HTTP layer (`common::http::error`) gives each its status and code; every lower
//! layer's error becomes one of these here, in one place each.

use domain::Rejection;
use store::ListError;
use store::table::TableError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the message names the field at fault.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Unauthorized(String),
    /// 403: the caller's role may not use this route.
    #[error("{0}")]
    Forbidden(String),
    /// 404: absent, or not the caller's to see.
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// 412: a write that may happen once, happening again (the dev server's file store,
    /// as S3 answers a second upload to a signed URL).
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("{0}")]
    TooLarge(String),
    /// 415: a body not declared `application/json`.
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{reason}; retry after {retry_after_seconds} s")]
    RateLimited {
        retry_after_seconds: u64,
        reason: String,
    },
    /// 503: overload or a dependency unavailable (the table throttling or unreachable);
    /// the cause is logged, the caller is told to retry.
    #[error("the service is busy or a dependency is unavailable; please retry shortly")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }
    pub fn not_found(what: &str) -> Self {
        Self::NotFound(format!("{what} not found"))
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict(message.into())
    }
}

impl From<Rejection> for ApiError {
    fn from(rejection: Rejection) -> Self {
        match rejection {
            Rejection::Invalid(message) => ApiError::Invalid(message),
            Rejection::Forbidden(message) => ApiError::Forbidden(message),
            Rejection::Conflict(message) => ApiError::Conflict(message),
            Rejection::TooLarge(message) => ApiError::TooLarge(message),
        }
    }
}

impl From<TableError> for ApiError {
    fn from(error: TableError) -> Self {
        match error {
            // Operations handle the conditions they expect; one that escapes is a race lost.
            TableError::ConditionFailed { .. } | TableError::Conflict => {
                ApiError::conflict("the conversation changed at the same time; please retry")
            }
            TableError::ForeignStartKey => ApiError::invalid("cursor: not a cursor of this list"),
            unavailable @ TableError::Unavailable(_) => {
                ApiError::Unavailable(anyhow::Error::new(unavailable))
            }
            other => ApiError::Unexpected(anyhow::Error::new(other)),
        }
    }
}

impl From<ListError> for ApiError {
    fn from(error: ListError) -> Self {
        match error {
            ListError::BadCursor => ApiError::invalid(ListError::BadCursor.to_string()),
            too_large @ ListError::TooLarge(_) => ApiError::TooLarge(too_large.to_string()),
            ListError::Table(error) => error.into(),
        }
    }
}
