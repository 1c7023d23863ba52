//! Users and tokens as `auth.json` keeps them, and the rules that change them (pure: no disk,
//! no clock), so each rule is tested alone.

use serde::{Deserialize, Serialize};

use super::{AuthError, Role};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthRecords {
    #[serde(default)]
    pub users: Vec<UserRecord>,
    #[serde(default)]
    pub tokens: Vec<TokenRecord>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRecord {
    pub username: String,
    pub role: Role,
    /// Argon2id, PHC string form.
    pub password_hash: String,
    pub created_at: i64,
    pub must_change_password: bool,
    pub last_login_at: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRecord {
    pub id: String,
    pub name: String,
    pub role: Role,
    /// SHA-256 of the token's text, hex.
    pub hash: String,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

impl AuthRecords {
    pub fn user(&self, username: &str) -> Option<&UserRecord> {
        self.users.iter().find(|u| u.username == username)
    }

    pub fn user_mut(&mut self, username: &str) -> Result<&mut UserRecord, AuthError> {
        self.users
            .iter_mut()
            .find(|u| u.username == username)
            .ok_or_else(|| AuthError::UserNotFound { username: username.to_string() })
    }

    pub fn add_user(&mut self, user: UserRecord) -> Result<(), AuthError> {
        refuse_poller_user(user.role)?;
        if self.user(&user.username).is_some() {
            return Err(AuthError::DuplicateUser { username: user.username });
        }
        self.users.push(user);
        Ok(())
    }

    /// Gives `username` the role `role`, unless that leaves no admin.
    pub fn set_role(&mut self, username: &str, role: Role) -> Result<(), AuthError> {
        refuse_poller_user(role)?;
        let current = self.user_mut(username)?.role;
        if current == Role::Admin && role != Role::Admin {
            self.refuse_if_last_admin(username)?;
        }
        self.user_mut(username)?.role = role;
        Ok(())
    }

    pub fn remove_user(&mut self, username: &str) -> Result<UserRecord, AuthError> {
        if self.user_mut(username)?.role == Role::Admin {
            self.refuse_if_last_admin(username)?;
        }
        let at = self.users.iter().position(|u| u.username == username).expect("found above");
        Ok(self.users.remove(at))
    }

    fn refuse_if_last_admin(&self, username: &str) -> Result<(), AuthError> {
        if self.users.iter().filter(|u| u.role == Role::Admin).count() <= 1 {
            return Err(AuthError::LastAdmin { username: username.to_string() });
        }
        Ok(())
    }

    pub fn remove_token(&mut self, id: &str) -> Result<TokenRecord, AuthError> {
        let at =
            self.tokens.iter().position(|t| t.id == id).ok_or_else(|| AuthError::TokenNotFound { id: id.into() })?;
        Ok(self.tokens.remove(at))
    }

    /// Keeps the later of each user's last login and each token's last use from `memory`,
    /// whose times may be newer than the file's (they are written in the background).
    pub fn keep_latest_uses(&mut self, memory: &AuthRecords) {
        for user in &mut self.users {
            if let Some(m) = memory.user(&user.username) {
                user.last_login_at = user.last_login_at.max(m.last_login_at);
            }
        }
        for token in &mut self.tokens {
            if let Some(m) = memory.tokens.iter().find(|t| t.id == token.id) {
                token.last_used_at = token.last_used_at.max(m.last_used_at);
            }
        }
    }
}

/// `poller` is a token role: a user never holds it (it would see every device's credentials).
fn refuse_poller_user(role: Role) -> Result<(), AuthError> {
    if role == Role::Poller {
        let reason = "poller is a role for API tokens only (POST /api/v1/tokens), not for users".to_string();
        return Err(crate::device::InvalidField { field: "role", reason }.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, role: Role) -> UserRecord {
        UserRecord {
            username: name.into(),
            role,
            password_hash: String::new(),
            created_at: 0,
            must_change_password: false,
            last_login_at: None,
        }
    }

    #[test]
    fn the_last_admin_can_be_neither_demoted_nor_removed() {
        let mut r = AuthRecords::default();
        r.add_user(user("root", Role::Admin)).unwrap();
        r.add_user(user("ann", Role::Viewer)).unwrap();
        assert!(matches!(r.set_role("root", Role::Operator), Err(AuthError::LastAdmin { .. })));
        assert!(matches!(r.remove_user("root"), Err(AuthError::LastAdmin { .. })));
        r.set_role("ann", Role::Admin).unwrap();
        r.set_role("root", Role::Viewer).unwrap();
        assert!(matches!(r.remove_user("ann"), Err(AuthError::LastAdmin { .. })));
        r.remove_user("root").unwrap();
        assert!(matches!(r.add_user(user("ann", Role::Viewer)), Err(AuthError::DuplicateUser { .. })));
        assert!(matches!(r.add_user(user("pat", Role::Poller)), Err(AuthError::Invalid(_))), "poller is for tokens");
        assert!(matches!(r.set_role("ann", Role::Poller), Err(AuthError::Invalid(_))));
        assert!(matches!(r.remove_user("nobody"), Err(AuthError::UserNotFound { .. })));
    }
}
