//! The wire types of `/trap-users`: a user as shown (never a password) and a user to add.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::logs::trap_users::TrapUser;
use crate::secret::Secret;
use crate::snmp::{AuthProtocol, PrivProtocol, SecurityLevel};

/// An SNMPv3 user whose traps and informs Vigie accepts. Passwords are never shown.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrapUserView {
    #[schema(example = "trapper")]
    pub user: String,
    pub security_level: SecurityLevel,
    pub auth_protocol: AuthProtocol,
    pub priv_protocol: Option<PrivProtocol>,
    /// `config` for the TOML file's `[[trap_users]]` (not removable here), `api` otherwise.
    #[schema(example = "api")]
    pub source: &'static str,
}

impl TrapUserView {
    pub fn new(user: &TrapUser, from_config: bool) -> TrapUserView {
        TrapUserView {
            user: user.user.clone(),
            security_level: user.level(),
            auth_protocol: user.auth_protocol,
            priv_protocol: user.priv_protocol,
            source: if from_config { "config" } else { "api" },
        }
    }
}

/// An SNMPv3 trap user to add: authentication is required, privacy optional (both protocol
/// and password, or neither).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewTrapUser {
    /// 1 to 32 bytes.
    #[schema(example = "trapper")]
    pub user: String,
    pub auth_protocol: AuthProtocol,
    /// 8 to 255 characters; write-only.
    #[schema(example = "auth-Pa55word", min_length = 8, max_length = 255)]
    pub auth_password: String,
    #[serde(default)]
    pub priv_protocol: Option<PrivProtocol>,
    /// 8 to 255 characters; write-only.
    #[serde(default)]
    #[schema(example = "priv-Pa55word", min_length = 8, max_length = 255)]
    pub priv_password: Option<String>,
}

impl NewTrapUser {
    pub fn into_user(self) -> TrapUser {
        TrapUser {
            user: self.user,
            auth_protocol: self.auth_protocol,
            auth_password: Secret::new(self.auth_password),
            priv_protocol: self.priv_protocol,
            priv_password: self.priv_password.map(Secret::new),
        }
    }
}
