//! The SNMPv3 trap users added through the API, in `trap-users.json` (mode 0600, replaced
//! atomically): their passwords are kept as given, since each sender's engine ID needs its own
//! localised key. Users from the TOML file are not stored here.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::replace::write_atomic;
use super::{io_error, StoreError};
use crate::logs::trap_users::TrapUser;
use crate::secret::Secret;
use crate::snmp::{AuthProtocol, PrivProtocol};

const FILE: &str = "trap-users.json";

/// A trap user as written on disk.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Record {
    user: String,
    auth_protocol: AuthProtocol,
    auth_password: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    priv_protocol: Option<PrivProtocol>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    priv_password: Option<String>,
}

impl Record {
    fn of(user: &TrapUser) -> Record {
        Record {
            user: user.user.clone(),
            auth_protocol: user.auth_protocol,
            auth_password: user.auth_password.expose().to_string(),
            priv_protocol: user.priv_protocol,
            priv_password: user.priv_password.as_ref().map(|p| p.expose().to_string()),
        }
    }

    fn into_user(self) -> TrapUser {
        TrapUser {
            user: self.user,
            auth_protocol: self.auth_protocol,
            auth_password: Secret::new(self.auth_password),
            priv_protocol: self.priv_protocol,
            priv_password: self.priv_password.map(Secret::new),
        }
    }
}

/// The API's trap users and their file.
pub struct TrapUserFile {
    path: PathBuf,
    users: Mutex<Vec<TrapUser>>,
}

impl TrapUserFile {
    pub fn open(dir: &Path) -> Result<TrapUserFile, StoreError> {
        let path = dir.join(FILE);
        let users = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice::<Vec<Record>>(&bytes)
                .map_err(|e| StoreError::Corrupt { path: path.clone(), reason: e.to_string() })?
                .into_iter()
                .map(Record::into_user)
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io_error(&path)(e)),
        };
        Ok(TrapUserFile { path, users: Mutex::new(users) })
    }

    pub fn list(&self) -> Vec<TrapUser> {
        self.users.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Adds `user` (whose name must be new); answers every user now stored.
    pub fn add(&self, user: TrapUser) -> Result<Vec<TrapUser>, StoreError> {
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        if users.iter().any(|u| u.user == user.user) {
            return Err(StoreError::DuplicateTrapUser { user: user.user });
        }
        let mut next = users.clone();
        next.push(user);
        self.write(&next)?;
        *users = next;
        Ok(users.clone())
    }

    /// Removes the user named `name`; answers every user still stored.
    pub fn remove(&self, name: &str) -> Result<Vec<TrapUser>, StoreError> {
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        if !users.iter().any(|u| u.user == name) {
            return Err(StoreError::TrapUserNotFound { user: name.to_string() });
        }
        let next: Vec<TrapUser> = users.iter().filter(|u| u.user != name).cloned().collect();
        self.write(&next)?;
        *users = next;
        Ok(users.clone())
    }

    fn write(&self, users: &[TrapUser]) -> Result<(), StoreError> {
        let records: Vec<Record> = users.iter().map(Record::of).collect();
        let bytes = serde_json::to_vec_pretty(&records)
            .map_err(|e| StoreError::Corrupt { path: self.path.clone(), reason: e.to_string() })?;
        write_atomic(&self.path, &bytes).map_err(io_error(&self.path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str) -> TrapUser {
        TrapUser {
            user: name.into(),
            auth_protocol: AuthProtocol::Sha256,
            auth_password: Secret::new("auth-password"),
            priv_protocol: Some(PrivProtocol::Aes),
            priv_password: Some(Secret::new("priv-password")),
        }
    }

    #[test]
    fn users_are_kept_in_a_private_file_and_read_back() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = TrapUserFile::open(dir.path()).unwrap();
        file.add(user("a")).unwrap();
        file.add(user("b")).unwrap();
        assert!(matches!(file.add(user("a")), Err(StoreError::DuplicateTrapUser { .. })));
        file.remove("a").unwrap();
        assert!(matches!(file.remove("a"), Err(StoreError::TrapUserNotFound { .. })));
        let mode = std::fs::metadata(dir.path().join(FILE)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(TrapUserFile::open(dir.path()).unwrap().list(), vec![user("b")]);
    }
}
