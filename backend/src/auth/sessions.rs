//! Web sessions, in memory: an opaque random id (256 bits) in the cookie, kept here only as its
//! SHA-256, so a memory dump yields no usable cookie. Each session has a CSRF token, an idle
//! expiry and an absolute one. Bounded: past `MAX_SESSIONS`, expired sessions go first, then the
//! least recently used.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::secret::Secret;

/// Sessions kept at most (about 300 bytes each).
pub const MAX_SESSIONS: usize = 10_000;

/// A session's id as kept: the SHA-256 of the cookie's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SessionKey([u8; 32]);

impl SessionKey {
    pub fn of(cookie: &str) -> SessionKey {
        SessionKey(Sha256::digest(cookie.as_bytes()).into())
    }
}

/// 32 random bytes as 64 hex digits.
pub fn random_hex() -> String {
    use rand::Rng;
    let bytes: [u8; 32] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub struct Session {
    pub username: String,
    pub csrf: Secret,
    pub created_at: i64,
    pub last_seen_at: i64,
}

/// Idle and absolute lifetimes, in seconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SessionPolicy {
    pub idle_secs: i64,
    pub max_secs: i64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy { idle_secs: 12 * 3600, max_secs: 7 * 86_400 }
    }
}

impl SessionPolicy {
    pub fn expires_at(&self, s: &Session) -> i64 {
        (s.last_seen_at + self.idle_secs).min(s.created_at + self.max_secs)
    }
}

pub struct Sessions {
    policy: SessionPolicy,
    by_key: HashMap<SessionKey, Session>,
}

impl Sessions {
    pub fn new(policy: SessionPolicy) -> Sessions {
        Sessions { policy, by_key: HashMap::new() }
    }

    pub fn policy(&self) -> SessionPolicy {
        self.policy
    }

    /// Opens a session for `username`; answers the cookie's value (shown once, to the client).
    pub fn open(&mut self, username: &str, now: i64) -> (Secret, SessionKey) {
        if self.by_key.len() >= MAX_SESSIONS {
            self.by_key.retain(|_, s| self.policy.expires_at(s) > now);
            if self.by_key.len() >= MAX_SESSIONS {
                let oldest = self.by_key.iter().min_by_key(|(_, s)| s.last_seen_at).map(|(k, _)| *k);
                oldest.map(|k| self.by_key.remove(&k));
            }
        }
        let cookie = Secret::new(random_hex());
        let key = SessionKey::of(cookie.expose());
        let session = Session {
            username: username.to_string(),
            csrf: Secret::new(random_hex()),
            created_at: now,
            last_seen_at: now,
        };
        self.by_key.insert(key, session);
        (cookie, key)
    }

    /// The live session of `key`, its last use moved to `now`; an expired one is forgotten.
    pub fn touch(&mut self, key: &SessionKey, now: i64) -> Option<&Session> {
        let session = self.by_key.get(key)?;
        if self.policy.expires_at(session) <= now {
            self.by_key.remove(key);
            return None;
        }
        let session = self.by_key.get_mut(key)?;
        session.last_seen_at = now;
        Some(session)
    }

    /// The session exists and has not expired.
    pub fn is_live(&self, key: &SessionKey, now: i64) -> bool {
        self.by_key.get(key).is_some_and(|s| self.policy.expires_at(s) > now)
    }

    pub fn end(&mut self, key: &SessionKey) -> bool {
        self.by_key.remove(key).is_some()
    }

    /// Ends every session of `username` but `keep`; answers how many ended.
    pub fn end_user(&mut self, username: &str, keep: Option<&SessionKey>) -> usize {
        let before = self.by_key.len();
        self.by_key.retain(|k, s| s.username != username || Some(k) == keep);
        before - self.by_key.len()
    }

    /// Ends the sessions whose user `still_valid` rejects.
    pub fn retain_users(&mut self, mut still_valid: impl FnMut(&str) -> bool) {
        self.by_key.retain(|_, s| still_valid(&s.username));
    }

    pub fn live(&self, now: i64) -> usize {
        self.by_key.values().filter(|s| self.policy.expires_at(s) > now).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sessions() -> Sessions {
        Sessions::new(SessionPolicy { idle_secs: 100, max_secs: 1000 })
    }

    #[test]
    fn a_session_expires_when_idle_too_long() {
        let mut s = sessions();
        let (cookie, key) = s.open("ann", 0);
        assert_eq!(cookie.expose().len(), 64);
        assert_eq!(key, SessionKey::of(cookie.expose()));
        assert!(s.touch(&key, 99).is_some(), "used within the idle time");
        assert!(s.touch(&key, 198).is_some(), "each use restarts the idle time");
        assert!(s.touch(&key, 298).is_none(), "idle for 100 s");
        assert!(s.touch(&key, 299).is_none(), "and it is gone");
    }

    #[test]
    fn a_session_expires_at_its_absolute_limit_however_busy() {
        let mut s = sessions();
        let (_, key) = s.open("ann", 0);
        for t in (50..1000).step_by(50) {
            assert!(s.touch(&key, t).is_some(), "at {t}");
        }
        assert!(s.touch(&key, 1000).is_none(), "7 days (here 1000 s) after login, whatever the use");
    }

    #[test]
    fn ending_a_users_sessions_keeps_the_one_asked_and_other_users() {
        let mut s = sessions();
        let (_, a1) = s.open("ann", 0);
        let (_, a2) = s.open("ann", 0);
        let (_, b) = s.open("bob", 0);
        assert_eq!(s.end_user("ann", Some(&a1)), 1);
        assert!(s.touch(&a1, 1).is_some() && s.touch(&a2, 1).is_none() && s.touch(&b, 1).is_some());
    }

    #[test]
    fn the_number_of_sessions_is_bounded() {
        let mut s = sessions();
        for t in 0..(MAX_SESSIONS as i64 + 50) {
            s.open("ann", t / 1000);
        }
        assert!(s.by_key.len() <= MAX_SESSIONS);
    }
}
