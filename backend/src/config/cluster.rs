//! `[cluster]` and `--role`: what this process is in a sharded deployment. `single` (the
//! default) polls and serves as always; `primary` serves the API, UI and alerts and polls
//! nothing; `poller` polls one shard of a primary's devices and serves only its own health,
//! metrics and status. The poller's token is a secret: from the file or the environment, never
//! shown.

use std::path::PathBuf;

use serde::Deserialize;
use url::Url;

use crate::secret::Secret;
use crate::shard::Shard;

/// `[cluster]` in the TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSection {
    /// `single`, `primary` or `poller`.
    pub role: Option<String>,
    /// A poller's primary: its base URL, e.g. `https://vigie.example.net:8080`.
    pub registry: Option<String>,
    /// A poller's API token (made on the primary with the `poller` role).
    pub token: Option<Secret>,
    /// A poller's shard, `I/N`.
    pub shard: Option<String>,
    /// A poller's name in the primary's `/status` (default: its host name).
    pub name: Option<String>,
    /// A poller: a PEM file of CA certificates trusted for the primary's certificate, besides
    /// the system's roots (a primary whose certificate a private CA signed).
    pub registry_ca: Option<PathBuf>,
    /// A primary: hand devices' credentials to pollers over plain HTTP from other hosts than
    /// loopback. Off by default: the feed answers 403 `feed_needs_tls` then.
    #[serde(default)]
    pub feed_without_tls: bool,
}

/// The role of `vigie serve`.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Role {
    #[default]
    Single,
    Primary {
        /// Credentials may leave over plain HTTP to a peer that is not loopback.
        feed_without_tls: bool,
    },
    Poller(PollerSettings),
}

/// What a poller needs to find its primary and its share.
#[derive(Debug, Clone, PartialEq)]
pub struct PollerSettings {
    pub registry: Url,
    /// CA certificates (PEM) trusted for the primary besides the system's roots.
    pub registry_ca: Option<PathBuf>,
    pub token: Secret,
    pub shard: Shard,
    pub name: String,
}

impl Role {
    pub fn name(&self) -> &'static str {
        match self {
            Role::Single => "single",
            Role::Primary { .. } => "primary",
            Role::Poller(_) => "poller",
        }
    }

    /// Whether this process polls devices (single and poller).
    pub fn polls(&self) -> bool {
        !matches!(self, Role::Primary { .. })
    }
}

/// The command line's (and environment's) share of the cluster settings.
pub struct ClusterArgs<'a> {
    pub role: Option<&'a str>,
    pub registry: Option<&'a str>,
    pub registry_ca: Option<&'a std::path::Path>,
    pub token: Option<Secret>,
    pub shard: Option<&'a str>,
    pub name: Option<&'a str>,
}

/// The role, from the command line over the file; `remote_write` and `promql_history` say whether
/// those are configured, which the poller and primary roles require.
pub fn load(
    args: ClusterArgs,
    file: ClusterSection,
    remote_write: bool,
    promql_history: bool,
    problems: &mut Vec<String>,
) -> Role {
    let role = args.role.map(str::to_string).or(file.role.clone()).unwrap_or_else(|| "single".into());
    let poller_keys = [
        ("registry", args.registry.is_some() || file.registry.is_some()),
        ("registry_ca", args.registry_ca.is_some() || file.registry_ca.is_some()),
        ("token", args.token.is_some() || file.token.is_some()),
        ("shard", args.shard.is_some() || file.shard.is_some()),
        ("name", args.name.is_some() || file.name.is_some()),
    ];
    if role != "poller" {
        for (key, _) in poller_keys.iter().filter(|(_, given)| *given) {
            problems.push(format!("cluster.{key}: is only used with role = \"poller\""));
        }
    }
    if role != "primary" && file.feed_without_tls {
        problems.push("cluster.feed_without_tls: is only used with role = \"primary\"".to_string());
    }
    match role.as_str() {
        "single" => Role::Single,
        "primary" => {
            if !promql_history {
                problems.push(
                    "cluster.role: primary reads history from the TSDB: set [history] backend = \"promql\" \
                     (or --history-promql-url)"
                        .to_string(),
                );
            }
            Role::Primary { feed_without_tls: file.feed_without_tls }
        }
        "poller" => poller(args, file, remote_write, problems).map_or(Role::Single, Role::Poller),
        other => {
            problems.push(format!("cluster.role: '{other}' is not single, primary or poller"));
            Role::Single
        }
    }
}

fn poller(
    args: ClusterArgs,
    file: ClusterSection,
    remote_write: bool,
    problems: &mut Vec<String>,
) -> Option<PollerSettings> {
    let before = problems.len();
    if !remote_write {
        problems.push(
            "cluster.role: a poller sends its samples by remote-write: give at least one [[remote_write]] \
             (or --remote-write-url)"
                .to_string(),
        );
    }
    let registry = match args.registry.map(str::to_string).or(file.registry) {
        None => {
            problems.push("cluster.registry: a poller needs its primary's URL (--registry)".to_string());
            None
        }
        Some(text) => match Url::parse(&text) {
            Ok(url) if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() => {
                problems.push(format!("cluster.registry: '{text}' is not an http:// or https:// URL"));
                None
            }
            Ok(url) if !url.username().is_empty() || url.password().is_some() => {
                problems.push("cluster.registry: must not hold credentials: give the token".to_string());
                None
            }
            Ok(url) => Some(url),
            Err(e) => {
                problems.push(format!("cluster.registry: '{text}' is not a URL ({e})"));
                None
            }
        },
    };
    let registry_ca = args.registry_ca.map(PathBuf::from).or(file.registry_ca);
    if let Some(path) = &registry_ca {
        if let Err(e) = crate::shard::primary::read_roots(path) {
            problems.push(format!("cluster.registry_ca: {e}"));
        }
    }
    let token = args.token.or(file.token).filter(|t| !t.is_empty());
    if token.is_none() {
        problems.push("cluster.token: a poller needs an API token with the poller role (--token)".to_string());
    }
    let shard = match args.shard.map(str::to_string).or(file.shard) {
        None => {
            problems.push("cluster.shard: a poller needs its shard, I/N (--shard)".to_string());
            None
        }
        Some(text) => text.parse::<Shard>().map_err(|e| problems.push(format!("cluster.shard: {e}"))).ok(),
    };
    let name = args.name.map(str::to_string).or(file.name).unwrap_or_else(default_name);
    if name.is_empty() || name.len() > 64 || name.chars().any(|c| c.is_control()) {
        problems.push(format!("cluster.name: '{}' must be 1 to 64 printable characters", name.escape_debug()));
    }
    if problems.len() > before {
        return None;
    }
    Some(PollerSettings { registry: registry?, registry_ca, token: token?, shard: shard?, name })
}

/// The host's name, else `poller`.
fn default_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "poller".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args<'a>(role: &'a str, shard: Option<&'a str>) -> ClusterArgs<'a> {
        ClusterArgs {
            role: Some(role),
            registry: Some("http://127.0.0.1:8080"),
            registry_ca: None,
            token: Some(Secret::new("vgt_x")),
            shard,
            name: None,
        }
    }

    #[test]
    fn a_poller_needs_remote_write_a_registry_a_token_and_a_shard() {
        let mut problems = Vec::new();
        let role = load(args("poller", Some("1/2")), ClusterSection::default(), true, false, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        let Role::Poller(settings) = role else { panic!("{role:?}") };
        assert_eq!(settings.shard, Shard { index: 1, count: 2 });
        assert_eq!(settings.registry.as_str(), "http://127.0.0.1:8080/");

        let mut problems = Vec::new();
        load(args("poller", None), ClusterSection::default(), false, false, &mut problems);
        assert!(problems.iter().any(|p| p.contains("remote_write")), "{problems:?}");
        assert!(problems.iter().any(|p| p.starts_with("cluster.shard")), "{problems:?}");
    }

    #[test]
    fn a_primary_needs_promql_history_and_no_poller_keys() {
        let mut problems = Vec::new();
        load(args("primary", Some("0/2")), ClusterSection::default(), true, false, &mut problems);
        assert!(problems.iter().any(|p| p.contains("promql")), "{problems:?}");
        assert!(problems.iter().any(|p| p.starts_with("cluster.shard")), "{problems:?}");
        assert!(problems.iter().any(|p| p.starts_with("cluster.token")), "{problems:?}");

        let mut problems = Vec::new();
        let bare = ClusterArgs {
            role: Some("primary"),
            registry: None,
            registry_ca: None,
            token: None,
            shard: None,
            name: None,
        };
        let role =
            load(bare, ClusterSection { feed_without_tls: true, ..Default::default() }, false, true, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(role, Role::Primary { feed_without_tls: true });
    }

    #[test]
    fn single_is_the_default_and_unknown_roles_are_errors() {
        let mut problems = Vec::new();
        let none = ClusterArgs { role: None, registry: None, registry_ca: None, token: None, shard: None, name: None };
        assert_eq!(load(none, ClusterSection::default(), false, false, &mut problems), Role::Single);
        assert!(problems.is_empty());
        let bad = ClusterArgs {
            role: Some("leader"),
            registry: None,
            registry_ca: None,
            token: None,
            shard: None,
            name: None,
        };
        load(bad, ClusterSection::default(), false, false, &mut problems);
        assert_eq!(problems, ["cluster.role: 'leader' is not single, primary or poller"]);
    }

    #[test]
    fn a_registry_ca_must_be_a_file_of_pem_certificates() {
        let dir = tempfile::tempdir().unwrap();
        let not_pem = dir.path().join("ca.pem");
        std::fs::write(&not_pem, "not a certificate").unwrap();
        for (path, says) in [(dir.path().join("missing.pem"), "missing.pem"), (not_pem, "no PEM certificate")] {
            let mut problems = Vec::new();
            let with_ca = ClusterArgs { registry_ca: Some(&path), ..args("poller", Some("0/1")) };
            assert_eq!(load(with_ca, ClusterSection::default(), true, false, &mut problems), Role::Single);
            assert!(problems.iter().any(|p| p.starts_with("cluster.registry_ca") && p.contains(says)), "{problems:?}");
        }
        let mut problems = Vec::new();
        let file = ClusterSection { registry_ca: Some(dir.path().join("ca.pem")), ..Default::default() };
        load(args("single", None), file, true, false, &mut problems);
        assert!(problems.iter().any(|p| p.starts_with("cluster.registry_ca: is only used")), "{problems:?}");
    }
}
