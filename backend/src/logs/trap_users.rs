//! The SNMPv3 users whose traps and INFORMs Vigie accepts: those of the TOML file
//! (`[[trap_users]]`) and those added through the API (kept by [`crate::store::trap_users`]),
//! handed together to the trap receiver whenever they change.

use std::sync::Arc;

use serde::Deserialize;

use super::traps_v3::V3Receiver;
use crate::secret::Secret;
use crate::snmp::{AuthProtocol, PrivProtocol, SecurityLevel, UsmCredentials};
use crate::store::trap_users::TrapUserFile;
use crate::store::StoreError;

/// A user whose traps and INFORMs Vigie accepts: authentication is required, privacy optional.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrapUser {
    pub user: String,
    pub auth_protocol: AuthProtocol,
    pub auth_password: Secret,
    #[serde(default)]
    pub priv_protocol: Option<PrivProtocol>,
    #[serde(default)]
    pub priv_password: Option<Secret>,
}

impl TrapUser {
    /// The rules of a trap user, as RFC 3414 and the device credentials have them; the error
    /// names the field.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if self.user.is_empty() || self.user.len() > 32 || self.user.chars().any(char::is_control) {
            return Err(("user", "must be 1 to 32 bytes without control characters".into()));
        }
        let password = |p: &Secret| (8..=255).contains(&p.expose().chars().count());
        if !password(&self.auth_password) {
            return Err(("auth_password", "must be 8 to 255 characters (RFC 3414)".into()));
        }
        match (&self.priv_protocol, &self.priv_password) {
            (Some(_), Some(p)) if !password(p) => {
                Err(("priv_password", "must be 8 to 255 characters (RFC 3414)".into()))
            }
            (Some(_), None) => Err(("priv_password", "is required with a priv_protocol".into())),
            (None, Some(_)) => Err(("priv_protocol", "is required with a priv_password".into())),
            _ => Ok(()),
        }
    }

    pub fn level(&self) -> SecurityLevel {
        match self.priv_protocol {
            Some(_) => SecurityLevel::AuthPriv,
            None => SecurityLevel::AuthNoPriv,
        }
    }

    pub(super) fn credentials(&self) -> UsmCredentials {
        UsmCredentials {
            user: self.user.clone(),
            level: self.level(),
            auth_protocol: Some(self.auth_protocol),
            auth_password: Some(self.auth_password.clone()),
            priv_protocol: self.priv_protocol,
            priv_password: self.priv_password.clone(),
            context_name: String::new(),
        }
    }
}

/// Every trap user, and the receiver that must know them.
pub struct TrapUsers {
    config: Vec<TrapUser>,
    file: TrapUserFile,
    receiver: Arc<V3Receiver>,
}

impl TrapUsers {
    /// The users of the file and of the API, given to `receiver` at once.
    pub fn new(config: Vec<TrapUser>, file: TrapUserFile, receiver: Arc<V3Receiver>) -> TrapUsers {
        let users = TrapUsers { config, file, receiver };
        users.apply(users.file.list());
        users
    }

    pub fn receiver(&self) -> &Arc<V3Receiver> {
        &self.receiver
    }

    /// Every user, with whether it comes from the TOML file.
    pub fn list(&self) -> Vec<(TrapUser, bool)> {
        let config = self.config.iter().map(|u| (u.clone(), true));
        config.chain(self.file.list().into_iter().map(|u| (u, false))).collect()
    }

    /// Adds a user through the API; its name must be new (the TOML file's users included).
    pub fn add(&self, user: TrapUser) -> Result<(), StoreError> {
        if self.config.iter().any(|u| u.user == user.user) {
            return Err(StoreError::DuplicateTrapUser { user: user.user });
        }
        let api = self.file.add(user)?;
        self.apply(api);
        Ok(())
    }

    /// Removes a user added through the API.
    pub fn remove(&self, name: &str) -> Result<(), StoreError> {
        let api = self.file.remove(name)?;
        self.apply(api);
        Ok(())
    }

    /// Whether `name` is a user of the TOML file (which the API cannot remove).
    pub fn is_configured(&self, name: &str) -> bool {
        self.config.iter().any(|u| u.user == name)
    }

    fn apply(&self, api: Vec<TrapUser>) {
        let all: Vec<TrapUser> = self.config.iter().cloned().chain(api).collect();
        self.receiver.set_users(&all);
    }
}
