//! Access control, the domain (no HTTP): roles, users with Argon2id password hashes, web
//! sessions, API tokens, the login rate limiter and the [`Principal`] a request acts as.
//!
//! [`Auth`] is the front the API and the `vigie user` command call; users and tokens live in
//! `<data-dir>/auth.json` through [`crate::store::auth_file`] (the only code that touches disk),
//! sessions and rate-limit counters in memory only (a restart logs everyone out).

mod changes;
mod clock;
mod error;
mod password;
mod rate_limit;
mod records;
mod service;
mod sessions;
mod tokens;
pub mod user_command;

pub use clock::{Clock, SystemClock};
pub use error::AuthError;
pub use password::{validate_password, validate_username};
pub use records::{AuthRecords, TokenRecord, UserRecord};
pub use service::{Auth, AuthCounts, LoginOutcome};
pub use sessions::{SessionKey, SessionPolicy};

#[cfg(test)]
pub use clock::ManualClock;

use serde::{Deserialize, Serialize};

/// A running server re-reads `auth.json` as soon as `vigie user` changes it (inotify; every
/// this many seconds where inotify is not available), and writes last logins and token uses
/// this many seconds after the first one not yet written.
pub const SYNC_EVERY_SECS: u64 = 2;

/// What a principal may do. Ordered: each role can do everything of the roles below it, except
/// `poller`, the lowest, which may call only the poller endpoints (`/api/v1/poller/…`) and no
/// other role may call those: it is a token role for sharded pollers, never a user's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A sharded poller's token: fetches its share of the devices with their credentials, and
    /// reports back. Nothing else.
    Poller,
    /// Reads everything: devices, interfaces, traffic, logs, status, the event stream.
    Viewer,
    /// A viewer that also adds, changes and removes devices.
    Operator,
    /// Everything, users and tokens included.
    Admin,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Poller => "poller",
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(text: &str) -> Result<Role, String> {
        match text {
            "poller" => Ok(Role::Poller),
            "viewer" => Ok(Role::Viewer),
            "operator" => Ok(Role::Operator),
            "admin" => Ok(Role::Admin),
            other => Err(format!("'{other}' is not a role (admin, operator, viewer or poller)")),
        }
    }
}

/// Who a request acts as, found once per request from its cookie or bearer token.
#[derive(Clone, Debug)]
pub struct Principal {
    /// The user's name, or the token's name.
    pub name: String,
    pub role: Role,
    pub via: Via,
}

/// How the principal proved who it is.
#[derive(Clone, Debug)]
pub enum Via {
    /// A web session (cookie): mutations also need its CSRF token.
    Session { key: SessionKey, csrf: crate::secret::Secret, must_change_password: bool, expires_at: i64 },
    /// An API token (`Authorization: Bearer vgt_…`).
    Token { id: String, expires_at: Option<i64> },
    /// `--auth off` on loopback: every request is this local admin.
    Local,
}

impl Principal {
    /// The principal of every request when access control is off.
    pub fn local() -> Principal {
        Principal { name: "local".into(), role: Role::Admin, via: Via::Local }
    }

    /// How the audit log names it: `user admin`, `token ci-backup`, `local admin`.
    pub fn describe(&self) -> String {
        match self.via {
            Via::Session { .. } => format!("user {}", self.name),
            Via::Token { .. } => format!("token {}", crate::shown::Shown(&self.name)),
            Via::Local => "local admin (auth off)".to_string(),
        }
    }
}
