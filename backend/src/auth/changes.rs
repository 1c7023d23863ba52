//! The changes to users and tokens, each *blocking*: written to `auth.json` (re-read first
//! when another process changed it) before it answers.

use super::password;
use super::records::{AuthRecords, TokenRecord, UserRecord};
use super::service::lock;
use super::tokens;
use super::{Auth, AuthError, Principal, Role, Via};
use crate::secret::Secret;
use crate::store::auth_file::Stamp;

impl Auth {
    /// Applies `edit` to the records as on disk now (re-read first when another process
    /// changed the file), writes them, and installs them.
    fn change<T>(&self, edit: impl FnOnce(&mut AuthRecords) -> Result<T, AuthError>) -> Result<T, AuthError> {
        let _writing = lock(&self.writing);
        let (mut records, stamp) = {
            let loaded = lock(&self.loaded);
            (loaded.records.clone(), loaded.stamp)
        };
        if self.file.stamp()? != stamp {
            let (mut on_disk, _) = self.file.read()?;
            on_disk.keep_latest_uses(&records);
            records = on_disk;
        }
        let out = edit(&mut records)?;
        let stamp = self.file.write(&records)?;
        self.install(records, stamp, false);
        Ok(out)
    }

    /// Makes `records` current. Sessions of users gone end; with `end_changed_passwords`
    /// (a change made by another process), so do those of users whose password changed.
    fn install(&self, mut records: AuthRecords, stamp: Stamp, end_changed_passwords: bool) {
        let old = {
            let mut loaded = lock(&self.loaded);
            records.keep_latest_uses(&loaded.records);
            let old = std::mem::replace(&mut loaded.records, records.clone());
            loaded.stamp = stamp;
            old
        };
        self.end_sessions(|s| {
            s.retain_users(|name| match (records.user(name), old.user(name)) {
                (Some(new), Some(old)) => !end_changed_passwords || new.password_hash == old.password_hash,
                (Some(_), None) => true,
                (None, _) => false,
            })
        });
    }

    /// Re-reads `auth.json` when another process (`vigie user`) changed it, and writes last
    /// logins and token uses not written yet (*blocking*). Answers whether it re-read.
    pub fn sync(&self) -> Result<bool, AuthError> {
        let _writing = lock(&self.writing);
        let (stamp, dirty) = {
            let loaded = lock(&self.loaded);
            (loaded.stamp, loaded.uses_dirty)
        };
        let reread = self.file.stamp()? != stamp;
        if reread {
            let (records, stamp) = self.file.read()?;
            self.install(records, stamp, true);
        }
        if dirty || reread {
            let records = {
                let mut loaded = lock(&self.loaded);
                loaded.uses_dirty = false;
                loaded.records.clone()
            };
            if dirty {
                let stamp = self.file.write(&records)?;
                lock(&self.loaded).stamp = stamp;
            }
        }
        Ok(reread)
    }

    pub fn users(&self) -> Vec<UserRecord> {
        lock(&self.loaded).records.users.clone()
    }

    pub fn user(&self, username: &str) -> Result<UserRecord, AuthError> {
        let loaded = lock(&self.loaded);
        loaded.records.user(username).cloned().ok_or_else(|| AuthError::UserNotFound { username: username.into() })
    }

    pub fn add_user(
        &self,
        username: &str,
        password: &Secret,
        role: Role,
        must_change_password: bool,
    ) -> Result<UserRecord, AuthError> {
        password::validate_username(username)?;
        password::validate_password("password", password)?;
        let password_hash = self.hashing_slot(|| password::hash(password))??;
        let user = UserRecord {
            username: username.to_string(),
            role,
            password_hash,
            created_at: self.now(),
            must_change_password,
            last_login_at: None,
        };
        self.change(|r| r.add_user(user.clone()))?;
        Ok(user)
    }

    /// Changes a user's role and/or password. A password set here (by an admin, or the CLI
    /// when `must_change`) ends the user's sessions.
    pub fn update_user(
        &self,
        username: &str,
        role: Option<Role>,
        password: Option<&Secret>,
        must_change: bool,
    ) -> Result<UserRecord, AuthError> {
        let password_hash = match password {
            Some(p) => {
                password::validate_password("password", p)?;
                Some(self.hashing_slot(|| password::hash(p))??)
            }
            None => None,
        };
        let user = self.change(|r| {
            if let Some(role) = role {
                r.set_role(username, role)?;
            }
            let user = r.user_mut(username)?;
            if let Some(hash) = password_hash.clone() {
                user.password_hash = hash;
                user.must_change_password = must_change;
            }
            Ok(user.clone())
        })?;
        if password.is_some() {
            self.end_sessions(|s| {
                s.end_user(username, None);
            });
        }
        Ok(user)
    }

    /// A user changes their own password; their other sessions end.
    pub fn change_own_password(&self, who: &Principal, current: &Secret, new: &Secret) -> Result<(), AuthError> {
        let Via::Session { key, .. } = &who.via else {
            return Err(AuthError::NotAUser { reason: "only a user logged in with a password can change it" });
        };
        password::validate_password("newPassword", new)?;
        let hash = self.user(&who.name)?.password_hash;
        if !self.hashing_slot(|| password::verify(current, &hash))? {
            return Err(AuthError::BadCredentials);
        }
        let new_hash = self.hashing_slot(|| password::hash(new))??;
        self.change(|r| {
            let user = r.user_mut(&who.name)?;
            user.password_hash = new_hash.clone();
            user.must_change_password = false;
            Ok(())
        })?;
        self.end_sessions(|s| {
            s.end_user(&who.name, Some(key));
        });
        if who.name == "admin" {
            self.file.remove_initial_password()?;
        }
        Ok(())
    }

    pub fn remove_user(&self, username: &str) -> Result<UserRecord, AuthError> {
        let user = self.change(|r| r.remove_user(username))?;
        self.end_sessions(|s| {
            s.end_user(username, None);
        });
        Ok(user)
    }

    pub fn tokens(&self) -> Vec<TokenRecord> {
        lock(&self.loaded).records.tokens.clone()
    }

    /// A new token: its text (the only time it exists outside the client) and its record.
    pub fn create_token(
        &self,
        name: &str,
        role: Role,
        expires_at: Option<i64>,
        created_by: &str,
    ) -> Result<(Secret, TokenRecord), AuthError> {
        tokens::validate_name(name)?;
        let now = self.now();
        if expires_at.is_some_and(|at| at <= now) {
            return Err(
                crate::device::InvalidField { field: "expiresAt", reason: "must be in the future".into() }.into()
            );
        }
        let (token, hash) = tokens::generate();
        let record = TokenRecord {
            id: tokens::new_id(),
            name: name.to_string(),
            role,
            hash,
            created_by: created_by.to_string(),
            created_at: now,
            expires_at,
            last_used_at: None,
        };
        self.change(|r| {
            r.tokens.push(record.clone());
            Ok(())
        })?;
        Ok((token, record))
    }

    /// Removes the token at once: its requests are refused and its event streams end.
    pub fn revoke_token(&self, id: &str) -> Result<TokenRecord, AuthError> {
        let revoked = self.change(|r| r.remove_token(id))?;
        self.credentials_ended();
        Ok(revoked)
    }
}
