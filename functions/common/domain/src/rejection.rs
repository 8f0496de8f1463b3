//! Why the domain refuses something. Each kind says who is at fault; the layer above
//! maps it to the API's status and code in one place (`messaging::error`).

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The input breaks a rule; the message names the field at fault.
    #[error("{0}")]
    Invalid(String),
    /// The caller's role may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The state of things forbids it (an inactive listing, a stale version).
    #[error("{0}")]
    Conflict(String),
    /// Larger than allowed.
    #[error("{0}")]
    TooLarge(String),
}

pub type Result<T> = std::result::Result<T, Rejection>;

impl Rejection {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict(message.into())
    }
}
