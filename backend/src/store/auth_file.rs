//! `<data-dir>/auth.json`: users (Argon2id hashes) and API tokens (SHA-256 hashes), mode 0600,
//! replaced atomically. The server and `vigie user` both edit it; each write first re-reads a
//! file whose [`Stamp`] changed, and the server re-reads it within seconds of a change (see
//! `auth::Auth::sync`). Also `<data-dir>/initial-admin-password` (0600), written once at first
//! start and removed when that admin changes the password.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::{io_error, replace, StoreError};
use crate::auth::AuthRecords;

pub const FILE_NAME: &str = "auth.json";
pub const INITIAL_PASSWORD_FILE: &str = "initial-admin-password";

/// Which version of the file was read: an atomic replace gives a new inode, an edit in place a
/// new modification time or length.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stamp {
    inode: u64,
    modified_ns: i128,
    len: u64,
}

pub struct AuthFile {
    path: PathBuf,
    initial_password: PathBuf,
}

impl AuthFile {
    pub fn new(data_dir: &Path) -> AuthFile {
        AuthFile { path: data_dir.join(FILE_NAME), initial_password: data_dir.join(INITIAL_PASSWORD_FILE) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn initial_password_path(&self) -> &Path {
        &self.initial_password
    }

    /// The file's stamp now; `Stamp::default()` when there is no file.
    pub fn stamp(&self) -> Result<Stamp, StoreError> {
        match std::fs::metadata(&self.path) {
            Ok(m) => Ok(Stamp {
                inode: m.ino(),
                modified_ns: m.mtime() as i128 * 1_000_000_000 + m.mtime_nsec() as i128,
                len: m.len(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Stamp::default()),
            Err(e) => Err(io_error(&self.path)(e)),
        }
    }

    /// The records and the stamp of what was read; empty records when there is no file.
    pub fn read(&self) -> Result<(AuthRecords, Stamp), StoreError> {
        let stamp = self.stamp()?;
        if stamp == Stamp::default() {
            return Ok((AuthRecords::default(), stamp));
        }
        let bytes = std::fs::read(&self.path).map_err(io_error(&self.path))?;
        let records = serde_json::from_slice(&bytes)
            .map_err(|e| StoreError::Corrupt { path: self.path.clone(), reason: e.to_string() })?;
        Ok((records, stamp))
    }

    /// Replaces the file (0600); answers the new stamp.
    pub fn write(&self, records: &AuthRecords) -> Result<Stamp, StoreError> {
        let mut bytes = serde_json::to_vec_pretty(records).expect("auth records serialize");
        bytes.push(b'\n');
        replace::write_atomic(&self.path, &bytes).map_err(io_error(&self.path))?;
        self.stamp()
    }

    /// Writes the first admin's password for the operator to read (0600).
    pub fn write_initial_password(&self, password: &crate::secret::Secret) -> Result<(), StoreError> {
        let text = format!("{}\n", password.expose());
        replace::write_atomic(&self.initial_password, text.as_bytes()).map_err(io_error(&self.initial_password))
    }

    /// Removes the first admin's password file; answers whether there was one.
    pub fn remove_initial_password(&self) -> Result<bool, StoreError> {
        match std::fs::remove_file(&self.initial_password) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io_error(&self.initial_password)(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_file_is_private_and_its_stamp_changes_with_each_write() {
        let dir = tempfile::tempdir().unwrap();
        let file = AuthFile::new(dir.path());
        assert_eq!(file.read().unwrap(), (AuthRecords::default(), Stamp::default()));
        let first = file.write(&AuthRecords::default()).unwrap();
        let second = file.write(&AuthRecords::default()).unwrap();
        assert_ne!(first, second, "an atomic replace is a new inode");
        assert_eq!(file.read().unwrap().1, second);
        let mode = std::fs::metadata(file.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::write(file.path(), "{\"users\": 3}").unwrap();
        assert!(matches!(file.read(), Err(StoreError::Corrupt { .. })));
    }
}
