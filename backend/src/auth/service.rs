//! [`Auth`]: the users, tokens and sessions of one data dir, and every check of them (the
//! changes are in `changes.rs`). Methods marked *blocking* hash passwords (Argon2id, ~20 ms) or touch disk: call them
//! from a blocking thread. The others read memory only.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use subtle::ConstantTimeEq;

use super::password;
use super::rate_limit::LoginLimiter;
use super::records::AuthRecords;
use super::sessions::{SessionKey, SessionPolicy, Sessions};
use super::tokens;
use super::{AuthError, Clock, Principal, Role, Via};
use crate::secret::Secret;
use crate::store::auth_file::{AuthFile, Stamp};

/// Password hashes computed at once; more logins are refused with `Busy` (Argon2id takes
/// 19 MiB each: this bounds the memory logins can take).
const MAX_HASHING: usize = 4;
/// Characters of the first admin's random password (~140 bits).
const INITIAL_PASSWORD_CHARS: usize = 24;

pub struct Auth {
    pub(super) enabled: bool,
    pub(super) file: AuthFile,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) loaded: Mutex<Loaded>,
    /// Held by whoever writes the file, so writes are in order.
    pub(super) writing: Mutex<()>,
    pub(super) sessions: Mutex<Sessions>,
    pub(super) limiter: Mutex<LoginLimiter>,
    pub(super) hashing: AtomicUsize,
    pub(super) failed_logins: AtomicU64,
    pub(super) rate_limited: AtomicU64,
    /// Counts the times sessions ended (logout, a user removed, a password changed), so that
    /// what a session keeps open (event streams) can end with it.
    pub(super) sessions_ended: tokio::sync::watch::Sender<u64>,
    /// Woken when a login or a token use waits to be written (see [`Auth::uses_recorded`]).
    pub(super) uses: tokio::sync::Notify,
}

pub(super) struct Loaded {
    pub(super) records: AuthRecords,
    pub(super) stamp: Stamp,
    /// Last logins or token uses not written yet.
    pub(super) uses_dirty: bool,
}

/// A successful login: the cookie's value (for the client only) and who logged in.
pub struct LoginOutcome {
    pub cookie: Secret,
    pub principal: Principal,
}

/// What `/status` shows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AuthCounts {
    pub enabled: bool,
    pub users: usize,
    pub tokens: usize,
    pub sessions: usize,
    pub failed_logins: u64,
    pub rate_limited: u64,
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Auth {
    /// Reads `auth.json` (*blocking*).
    pub fn open(
        file: AuthFile,
        enabled: bool,
        policy: SessionPolicy,
        clock: Arc<dyn Clock>,
    ) -> Result<Auth, AuthError> {
        let (records, stamp) = file.read()?;
        Ok(Auth {
            enabled,
            file,
            clock,
            loaded: Mutex::new(Loaded { records, stamp, uses_dirty: false }),
            writing: Mutex::new(()),
            sessions: Mutex::new(Sessions::new(policy)),
            limiter: Mutex::new(LoginLimiter::default()),
            hashing: AtomicUsize::new(0),
            failed_logins: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            sessions_ended: tokio::sync::watch::channel(0).0,
            uses: tokio::sync::Notify::new(),
        })
    }

    /// `auth.json`, which `vigie user` may change while the server runs.
    pub fn file_path(&self) -> &std::path::Path {
        self.file.path()
    }

    /// Completes once a login or a token use has been recorded since the last call: the last
    /// logins and uses then wait to be written by [`Auth::sync`].
    pub async fn uses_recorded(&self) {
        self.uses.notified().await
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    pub fn policy(&self) -> SessionPolicy {
        lock(&self.sessions).policy()
    }

    pub fn file(&self) -> &AuthFile {
        &self.file
    }

    pub(super) fn now(&self) -> i64 {
        self.clock.now_secs()
    }

    /// With access control on and no user, creates `admin` with a random password that must
    /// be changed at first login, and writes it to `initial-admin-password`; answers it, for
    /// the log (*blocking*).
    pub fn ensure_first_admin(&self) -> Result<Option<Secret>, AuthError> {
        if !self.enabled || !lock(&self.loaded).records.users.is_empty() {
            return Ok(None);
        }
        let password = Secret::new(password::random_text(INITIAL_PASSWORD_CHARS));
        self.add_user("admin", &password, Role::Admin, true)?;
        self.file.write_initial_password(&password)?;
        Ok(Some(password))
    }

    // ---- checks ----

    /// Checks a login (*blocking*): rate limit, then the password (a dummy one for an unknown
    /// user, at the same cost), then opens a session.
    pub fn login(&self, username: &str, password: &Secret, address: &str) -> Result<LoginOutcome, AuthError> {
        let now = self.now();
        // Names no user can have share one counter: a flood of long made-up names cannot fill
        // the limiter's memory, and locks out no real user.
        let username_key = if password::validate_username(username).is_ok() { username } else { "<not a username>" };
        if let Some(retry_after_secs) = lock(&self.limiter).retry_after(address, username_key, now) {
            self.rate_limited.fetch_add(1, Ordering::Relaxed);
            return Err(AuthError::RateLimited { retry_after_secs });
        }
        let hash = lock(&self.loaded).records.user(username).map(|u| u.password_hash.clone());
        let matches = self.hashing_slot(|| match &hash {
            Some(hash) => password::verify(password, hash),
            None => {
                password::verify_dummy(password);
                false
            }
        })?;
        if !matches {
            self.failed_logins.fetch_add(1, Ordering::Relaxed);
            lock(&self.limiter).record_failure(address, username_key, now);
            return Err(AuthError::BadCredentials);
        }
        {
            let mut loaded = lock(&self.loaded);
            if let Ok(user) = loaded.records.user_mut(username) {
                user.last_login_at = Some(now);
                loaded.uses_dirty = true;
                self.uses.notify_one();
            }
        }
        let (cookie, key) = lock(&self.sessions).open(username, now);
        let principal = self.session_principal(&key).ok_or(AuthError::BadCredentials)?;
        Ok(LoginOutcome { cookie, principal })
    }

    /// Whether `username` is a user (for the audit log: an unknown name is not logged, it may
    /// be a password typed in the wrong field).
    pub fn is_user(&self, username: &str) -> bool {
        lock(&self.loaded).records.user(username).is_some()
    }

    pub(super) fn hashing_slot<T>(&self, work: impl FnOnce() -> T) -> Result<T, AuthError> {
        if self.hashing.fetch_add(1, Ordering::SeqCst) >= MAX_HASHING {
            self.hashing.fetch_sub(1, Ordering::SeqCst);
            return Err(AuthError::Busy);
        }
        let out = work();
        self.hashing.fetch_sub(1, Ordering::SeqCst);
        Ok(out)
    }

    /// The principal of a session cookie.
    pub fn authenticate_session(&self, cookie: &str) -> Result<Principal, AuthError> {
        self.session_principal(&SessionKey::of(cookie))
            .ok_or(AuthError::Unauthenticated { reason: "the session has expired or ended; log in again" })
    }

    fn session_principal(&self, key: &SessionKey) -> Option<Principal> {
        let now = self.now();
        let (username, csrf, expires_at) = {
            let mut sessions = lock(&self.sessions);
            let policy = sessions.policy();
            let s = sessions.touch(key, now)?;
            (s.username.clone(), s.csrf.clone(), policy.expires_at(s))
        };
        let loaded = lock(&self.loaded);
        let user = loaded.records.user(&username)?;
        let via = Via::Session { key: *key, csrf, must_change_password: user.must_change_password, expires_at };
        Some(Principal { name: username, role: user.role, via })
    }

    /// The principal of a bearer token.
    pub fn authenticate_token(&self, token: &Secret) -> Result<Principal, AuthError> {
        const INVALID: AuthError = AuthError::Unauthenticated { reason: "the token is unknown, revoked or expired" };
        if !token.expose().starts_with(tokens::PREFIX) {
            return Err(INVALID);
        }
        let hash = tokens::hash(token);
        let now = self.now();
        let mut loaded = lock(&self.loaded);
        let found = loaded.records.tokens.iter_mut().find(|t| bool::from(t.hash.as_bytes().ct_eq(hash.as_bytes())));
        let Some(t) = found.filter(|t| t.expires_at.is_none_or(|at| at > now)) else { return Err(INVALID) };
        t.last_used_at = Some(now);
        let principal = Principal {
            name: t.name.clone(),
            role: t.role,
            via: Via::Token { id: t.id.clone(), expires_at: t.expires_at },
        };
        loaded.uses_dirty = true;
        self.uses.notify_one();
        Ok(principal)
    }

    pub fn logout(&self, key: &SessionKey) {
        self.end_sessions(|s| {
            s.end(key);
        });
    }

    /// Changes the sessions with `end`, then tells whoever watches [`Auth::session_ends`].
    pub(super) fn end_sessions(&self, end: impl FnOnce(&mut Sessions)) {
        end(&mut lock(&self.sessions));
        self.credentials_ended();
    }

    /// Tells whoever watches [`Auth::session_ends`] that some sessions or tokens ended.
    pub(super) fn credentials_ended(&self) {
        self.sessions_ended.send_modify(|n| *n += 1);
    }

    /// Changes each time sessions or tokens end: an event stream checks then whether its own
    /// credentials are still [`Auth::session_alive`] or [`Auth::token_alive`].
    pub fn session_ends(&self) -> tokio::sync::watch::Receiver<u64> {
        self.sessions_ended.subscribe()
    }

    /// The token still exists (not revoked, not removed from `auth.json`).
    pub fn token_alive(&self, id: &str) -> bool {
        lock(&self.loaded).records.tokens.iter().any(|t| t.id == id)
    }

    /// The session is open and has not expired.
    pub fn session_alive(&self, key: &SessionKey) -> bool {
        let now = self.now();
        lock(&self.sessions).is_live(key, now)
    }

    pub fn counts(&self) -> AuthCounts {
        let (users, tokens) = {
            let loaded = lock(&self.loaded);
            (loaded.records.users.len(), loaded.records.tokens.len())
        };
        AuthCounts {
            enabled: self.enabled,
            users,
            tokens,
            sessions: lock(&self.sessions).live(self.now()),
            failed_logins: self.failed_logins.load(Ordering::Relaxed),
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::ManualClock;

    fn open(dir: &std::path::Path, clock: Arc<ManualClock>) -> Auth {
        let policy = SessionPolicy { idle_secs: 100, max_secs: 1000 };
        Auth::open(AuthFile::new(dir), true, policy, clock).unwrap()
    }

    fn pw(text: &str) -> Secret {
        Secret::new(text)
    }

    #[test]
    fn first_start_creates_an_admin_who_must_change_the_password() {
        let dir = tempfile::tempdir().unwrap();
        let auth = open(dir.path(), ManualClock::at(1000));
        let password = auth.ensure_first_admin().unwrap().expect("created");
        let user = auth.user("admin").unwrap();
        assert!(user.must_change_password && user.role == Role::Admin);
        let written = std::fs::read_to_string(dir.path().join("initial-admin-password")).unwrap();
        assert_eq!(written.trim(), password.expose());
        assert!(auth.ensure_first_admin().unwrap().is_none(), "only once");
        let file = std::fs::read_to_string(dir.path().join("auth.json")).unwrap();
        assert!(!file.contains(password.expose()), "the file holds a hash");
    }

    #[test]
    fn unknown_user_and_wrong_password_answer_alike_and_sessions_expire() {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::at(1000);
        let auth = open(dir.path(), clock.clone());
        auth.add_user("ann", &pw("ann-password-1"), Role::Operator, false).unwrap();
        let wrong = auth.login("ann", &pw("nope-nope-nope"), "a").err().unwrap().to_string();
        let unknown = auth.login("bob", &pw("ann-password-1"), "a").err().unwrap().to_string();
        assert_eq!(wrong, unknown);
        let ok = auth.login("ann", &pw("ann-password-1"), "a").unwrap();
        assert_eq!((ok.principal.name.as_str(), ok.principal.role), ("ann", Role::Operator));
        clock.advance(99);
        assert!(auth.authenticate_session(ok.cookie.expose()).is_ok());
        clock.advance(100);
        assert!(auth.authenticate_session(ok.cookie.expose()).is_err(), "idle for 100 s");
        assert_eq!(auth.counts().failed_logins, 2);
    }

    #[test]
    fn made_up_names_share_one_rate_limit_counter() {
        let dir = tempfile::tempdir().unwrap();
        let auth = open(dir.path(), ManualClock::at(1000));
        for i in 0..10 {
            let name = format!("{}{i}", "é".repeat(1000));
            assert!(matches!(
                auth.login(&name, &pw("whatever-123"), &format!("10.0.0.{i}")),
                Err(AuthError::BadCredentials)
            ));
        }
        let limited = auth.login("ü", &pw("whatever-123"), "10.0.1.1");
        assert!(matches!(limited, Err(AuthError::RateLimited { .. })), "invalid names share a counter");
        assert!(auth
            .login("ann", &pw("whatever-123"), "10.0.1.1")
            .is_err_and(|e| matches!(e, AuthError::BadCredentials)));
    }

    #[test]
    fn a_revoked_or_expired_token_fails_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::at(1000);
        let auth = open(dir.path(), clock.clone());
        let (token, record) = auth.create_token("ci", Role::Viewer, Some(1500), "admin").unwrap();
        assert_eq!(auth.authenticate_token(&token).unwrap().role, Role::Viewer);
        assert!(auth.authenticate_token(&Secret::new("vgt_0000")).is_err());
        clock.advance(500);
        assert!(auth.authenticate_token(&token).is_err(), "expired");
        let (token, record2) = auth.create_token("ci2", Role::Admin, None, "admin").unwrap();
        assert!(auth.authenticate_token(&token).is_ok());
        auth.revoke_token(&record2.id).unwrap();
        assert!(auth.authenticate_token(&token).is_err(), "revoked");
        assert!(matches!(auth.revoke_token(&record2.id), Err(AuthError::TokenNotFound { .. })));
        assert!(auth.create_token("late", Role::Viewer, Some(10), "admin").is_err(), "expiry in the past");
        let _ = record;
    }

    #[test]
    fn a_change_by_another_process_is_seen_and_ends_the_changed_users_sessions() {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::at(1000);
        let server = open(dir.path(), clock.clone());
        server.add_user("ann", &pw("ann-password-1"), Role::Admin, false).unwrap();
        server.add_user("bob", &pw("bob-password-1"), Role::Viewer, false).unwrap();
        let ann = server.login("ann", &pw("ann-password-1"), "a").unwrap().cookie;
        let bob = server.login("bob", &pw("bob-password-1"), "a").unwrap().cookie;
        let cli = open(dir.path(), clock.clone());
        cli.update_user("bob", None, Some(&pw("bob-password-2")), false).unwrap();
        cli.add_user("cid", &pw("cid-password-1"), Role::Viewer, false).unwrap();
        assert!(server.sync().unwrap(), "re-read");
        assert!(server.authenticate_session(bob.expose()).is_err(), "bob's password changed elsewhere");
        assert!(server.authenticate_session(ann.expose()).is_ok());
        assert!(server.is_user("cid"));
        // The server's own change keeps the CLI's.
        server.add_user("dee", &pw("dee-password-1"), Role::Viewer, false).unwrap();
        let (names, _) = AuthFile::new(dir.path()).read().unwrap();
        assert_eq!(names.users.iter().map(|u| u.username.as_str()).collect::<Vec<_>>(), ["ann", "bob", "cid", "dee"]);
        assert!(!server.sync().unwrap());
    }

    #[test]
    fn last_uses_reach_the_file_at_the_next_sync() {
        let dir = tempfile::tempdir().unwrap();
        let auth = open(dir.path(), ManualClock::at(1000));
        let (token, record) = auth.create_token("ci", Role::Viewer, None, "admin").unwrap();
        auth.authenticate_token(&token).unwrap();
        auth.sync().unwrap();
        let (records, _) = AuthFile::new(dir.path()).read().unwrap();
        assert_eq!(records.tokens[0].id, record.id);
        assert_eq!(records.tokens[0].last_used_at, Some(1000));
    }
}
