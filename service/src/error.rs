//! The service's errors. Each kind maps to one HTTP status and one CLI exit code, and every
//! message says what to do next.

use crate::aws::error::AwsFailure;
use crate::keeper::people::verify::VerifyError;

#[derive(Debug, thiserror::Error)]
pub enum KeeperError {
    /// The request is malformed or names something invalid (HTTP 400).
    #[error("{0}")]
    Invalid(String),
    /// What the person pasted during verification was refused (HTTP 400).
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// The verification URL was fetched and the answer proves nothing (HTTP 422).
    #[error("verification failed: {0}")]
    NotVerified(String),
    /// Something named does not exist (HTTP 404).
    #[error("{0}")]
    NotFound(String),
    /// The request contradicts the current state (HTTP 409).
    #[error("{0}")]
    Conflict(String),
    /// The person may not have this (HTTP 403).
    #[error("{0}")]
    Forbidden(String),
    /// An AWS limit would be crossed; nothing was changed (HTTP 409).
    #[error("limit reached: {0}")]
    Limit(String),
    /// The caller has as much open as it may; nothing was changed (HTTP 429).
    #[error("too many: {0}")]
    TooMany(String),
    /// The service cannot take this now without breaking a guarantee (for example an upload
    /// ticket whose revocation would not fit); nothing was changed, try later (HTTP 503).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// AWS refused or failed (HTTP 502): one line with the operation, code, message, request id
    /// and a hint.
    #[error("{0}")]
    Aws(AwsFailure),
    /// Configuration or start-up problem.
    #[error("{0}")]
    Config(String),
    /// Reading local files for an upload.
    #[error("{0}")]
    Io(String),
    #[error("database error: {0}")]
    Db(sqlx::Error),
}

impl From<sqlx::Error> for KeeperError {
    /// A unique constraint broken by a concurrent request is a conflict the caller can retry,
    /// not a server fault.
    fn from(e: sqlx::Error) -> Self {
        let unique = e
            .as_database_error()
            .is_some_and(|d| d.is_unique_violation());
        if unique {
            KeeperError::Conflict(
                "a concurrent request changed the same record; try again".to_owned(),
            )
        } else {
            KeeperError::Db(e)
        }
    }
}

impl KeeperError {
    /// The HTTP status the API answers with.
    pub fn status(&self) -> u16 {
        match self {
            KeeperError::Invalid(_) | KeeperError::Verify(_) => 400,
            KeeperError::Forbidden(_) => 403,
            KeeperError::NotFound(_) => 404,
            KeeperError::Conflict(_) | KeeperError::Limit(_) => 409,
            KeeperError::NotVerified(_) => 422,
            KeeperError::TooMany(_) => 429,
            KeeperError::Unavailable(_) => 503,
            KeeperError::Aws(_) => 502,
            KeeperError::Config(_) | KeeperError::Io(_) | KeeperError::Db(_) => 500,
        }
    }

    /// A short machine-readable name for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            KeeperError::Invalid(_) => "Invalid",
            KeeperError::Verify(_) => "VerificationInputRefused",
            KeeperError::NotVerified(_) => "NotVerified",
            KeeperError::NotFound(_) => "NotFound",
            KeeperError::Conflict(_) => "Conflict",
            KeeperError::Forbidden(_) => "Forbidden",
            KeeperError::Limit(_) => "LimitReached",
            KeeperError::TooMany(_) => "TooManyOpenTickets",
            KeeperError::Unavailable(_) => "CapacityReached",
            KeeperError::Aws(_) => "AwsError",
            KeeperError::Config(_) => "Configuration",
            KeeperError::Io(_) => "Io",
            KeeperError::Db(_) => "Database",
        }
    }
}
