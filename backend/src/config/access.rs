//! `[auth]` and `[tls]`: access control on or off (off only on loopback), session lifetimes,
//! and the certificate to serve HTTPS with.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

use crate::auth::SessionPolicy;

/// `[auth]` in the TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSection {
    pub enabled: Option<bool>,
    pub session_idle_secs: Option<i64>,
    pub session_max_secs: Option<i64>,
    /// Mark the session cookie `Secure` without `--tls-cert` (behind a TLS reverse proxy).
    pub cookie_secure: Option<bool>,
}

/// `[tls]` in the TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSection {
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuthConfig {
    pub enabled: bool,
    pub sessions: SessionPolicy,
    pub cookie_secure: bool,
}

/// PEM files: the certificate chain and its private key.
#[derive(Debug, Clone, PartialEq)]
pub struct TlsConfig {
    pub cert: PathBuf,
    pub key: PathBuf,
}

const MAX_SESSION_SECS: i64 = 366 * 86_400;

/// Merges `--auth`, `--tls-cert`, `--tls-key` with the file's sections.
pub fn load(
    cli_auth: Option<&str>,
    cli_tls: (Option<PathBuf>, Option<PathBuf>),
    auth: &AuthSection,
    tls: &TlsSection,
    listen: Option<SocketAddr>,
    problems: &mut Vec<String>,
) -> (AuthConfig, Option<TlsConfig>) {
    let enabled = match cli_auth {
        Some("on") => true,
        Some("off") => false,
        Some(other) => {
            problems.push(format!("auth: '{other}' is neither on nor off"));
            true
        }
        None => auth.enabled.unwrap_or(true),
    };
    if let Some(listen) = listen.filter(|l| !enabled && !l.ip().is_loopback()) {
        problems.push(format!(
            "auth: access control can be off only when Vigie listens on loopback, and it listens on {listen}: \
             anyone who reaches that address could change devices. Turn auth on, or listen on 127.0.0.1"
        ));
    }
    let defaults = SessionPolicy::default();
    let mut secs = |key: &str, value: Option<i64>, default: i64| match value {
        None => default,
        Some(v) if (1..=MAX_SESSION_SECS).contains(&v) => v,
        Some(v) => {
            problems.push(format!("auth.{key}: {v} is out of range (1 to {MAX_SESSION_SECS})"));
            default
        }
    };
    let sessions = SessionPolicy {
        idle_secs: secs("session_idle_secs", auth.session_idle_secs, defaults.idle_secs),
        max_secs: secs("session_max_secs", auth.session_max_secs, defaults.max_secs),
    };
    let tls = match (cli_tls.0.or(tls.cert.clone()), cli_tls.1.or(tls.key.clone())) {
        (None, None) => None,
        (Some(cert), Some(key)) => {
            for (what, path) in [("tls.cert", &cert), ("tls.key", &key)] {
                if !path.is_file() {
                    problems.push(format!("{what}: {} is not a readable file", path.display()));
                }
            }
            Some(TlsConfig { cert, key })
        }
        _ => {
            problems.push("tls: give both the certificate (--tls-cert) and its key (--tls-key)".to_string());
            None
        }
    };
    let cookie_secure = auth.cookie_secure.unwrap_or(tls.is_some());
    (AuthConfig { enabled, sessions, cookie_secure }, tls)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_off_is_refused_unless_vigie_listens_on_loopback() {
        let run = |auth: &str, listen: &str| {
            let mut problems = Vec::new();
            let section = AuthSection::default();
            load(Some(auth), (None, None), &section, &TlsSection::default(), listen.parse().ok(), &mut problems);
            problems
        };
        assert!(run("off", "127.0.0.1:8080").is_empty());
        assert!(run("off", "[::1]:8080").is_empty());
        assert!(run("on", "0.0.0.0:8080").is_empty());
        let problems = run("off", "0.0.0.0:8080");
        assert!(problems[0].contains("can be off only when Vigie listens on loopback"), "{problems:?}");
        assert!(run("maybe", "127.0.0.1:8080")[0].contains("neither on nor off"));
    }
}
