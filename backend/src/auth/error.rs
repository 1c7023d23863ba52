//! What access control refuses, as data; `api/error.rs` maps each to its HTTP status.

use crate::device::InvalidField;
use crate::store::StoreError;

use super::Role;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// A login or a password check failed: the same answer for an unknown user and a wrong
    /// password.
    #[error("wrong username or password")]
    BadCredentials,
    /// Credentials missing, unknown, revoked or expired.
    #[error("{reason}")]
    Unauthenticated { reason: &'static str },
    #[error("this needs the {need} role; {who} has the {have} role", need = need.name(), have = have.name())]
    Forbidden { need: Role, have: Role, who: String },
    #[error("{reason}")]
    NotAUser { reason: &'static str },
    #[error("cross-site request refused: {reason}")]
    CsrfFailed { reason: &'static str },
    /// A session whose user must choose a new password may only do that (or read or end itself).
    #[error("{username} must change their password first (POST /api/v1/session/password)")]
    PasswordChangeRequired { username: String },
    #[error("too many failed logins; try again in {retry_after_secs} seconds")]
    RateLimited { retry_after_secs: u64 },
    #[error("too many password checks are running; try again in a second")]
    Busy,
    #[error("a user named {username} already exists")]
    DuplicateUser { username: String },
    #[error("no user named {username}")]
    UserNotFound { username: String },
    #[error("no token with id {id}")]
    TokenNotFound { id: String },
    #[error("{username} is the last admin: another user must be admin first")]
    LastAdmin { username: String },
    #[error(transparent)]
    Invalid(#[from] InvalidField),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("password hashing failed: {0}")]
    Hashing(String),
}
