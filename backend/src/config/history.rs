//! `[history]`: where the traffic, latency and counters endpoints read history from — the local
//! store (the default) or a Prometheus-compatible TSDB by PromQL (`backend = "promql"`, or
//! `--history-promql-url`). Credentials are secrets: read from the file only, never shown.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use crate::history::promql::{DEFAULT_MAX_RESPONSE_MIB, DEFAULT_TIMEOUT_SECS};
use crate::history::{PromqlAuth, PromqlSettings};
use crate::secret::Secret;

use super::remote_write::BasicAuthSection;

/// `[history]` in the TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistorySection {
    /// `local` or `promql`; `promql` when only `url` is given.
    pub backend: Option<String>,
    pub url: Option<String>,
    /// `{ user, password }`, as `[[remote_write]]` takes it.
    pub basic_auth: Option<BasicAuthSection>,
    pub bearer_token: Option<Secret>,
    pub timeout_secs: Option<i64>,
    pub max_response_mib: Option<i64>,
    /// Sent with every query, e.g. Mimir's tenant: `{ "X-Scope-OrgID" = "lyon" }`.
    #[serde(default)]
    pub headers: BTreeMap<String, Secret>,
}

/// The history backend of `vigie serve`: `None` for the local store.
pub fn load(file: &HistorySection, cli_url: Option<&str>, problems: &mut Vec<String>) -> Option<PromqlSettings> {
    let backend = match (cli_url, file.backend.as_deref()) {
        (Some(_), _) => "promql",
        (None, Some(backend @ ("local" | "promql"))) => backend,
        (None, Some(other)) => {
            problems.push(format!("history.backend: '{other}' is not local or promql"));
            return None;
        }
        (None, None) if file.url.is_some() => "promql",
        (None, None) => "local",
    };
    if backend == "local" {
        if file.url.is_some() {
            problems.push("history.url: is only used with backend = \"promql\"".to_string());
        }
        return None;
    }
    let Some(text) = cli_url.or(file.url.as_deref()) else {
        problems.push("history.url: is required with backend = \"promql\" (or --history-promql-url)".to_string());
        return None;
    };
    let url = match Url::parse(text) {
        Ok(url) if !matches!(url.scheme(), "http" | "https") => Err("must be http:// or https://".to_string()),
        Ok(url) if !url.username().is_empty() || url.password().is_some() => {
            Err("must not hold credentials: set history.basic_auth".to_string())
        }
        Ok(url) if url.query().is_some() || url.fragment().is_some() => Err("must not have a query".to_string()),
        Ok(url) => Ok(url),
        Err(e) => Err(format!("is not a URL ({e})")),
    };
    // The text of a URL holding credentials is not repeated.
    let url = url.map_err(|reason| problems.push(format!("history.url: {reason}"))).ok();
    let auth = match (&file.basic_auth, &file.bearer_token) {
        (None, None) => None,
        (Some(basic), None) => {
            Some(PromqlAuth::Basic { username: basic.user.clone(), password: basic.password.clone() })
        }
        (None, Some(token)) => Some(PromqlAuth::Bearer(token.clone())),
        (Some(_), Some(_)) => {
            problems.push("history.bearer_token: give either basic_auth or a bearer token, not both".to_string());
            None
        }
    };
    let mut bounded = |key: &str, value: Option<i64>, default: u64, max: i64| -> u64 {
        match value {
            None => default,
            Some(v) if (1..=max).contains(&v) => v as u64,
            Some(v) => {
                problems.push(format!("history.{key}: {v} is out of range (1 to {max})"));
                default
            }
        }
    };
    let timeout = Duration::from_secs(bounded("timeout_secs", file.timeout_secs, DEFAULT_TIMEOUT_SECS, 300));
    let max_response_bytes =
        bounded("max_response_mib", file.max_response_mib, DEFAULT_MAX_RESPONSE_MIB, 1024) as usize * 1024 * 1024;
    let headers = super::remote_write::headers("history", &file.headers, problems);
    Some(PromqlSettings { url: url?, auth, timeout, max_response_bytes, headers })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(text: &str) -> HistorySection {
        toml::from_str::<crate::config::FileConfig>(text).expect("parses").history
    }

    #[test]
    fn local_is_the_default_and_a_url_chooses_promql() {
        let mut problems = Vec::new();
        assert_eq!(load(&HistorySection::default(), None, &mut problems), None);
        let settings = load(&HistorySection::default(), Some("http://127.0.0.1:8428"), &mut problems).unwrap();
        assert_eq!(settings.url.as_str(), "http://127.0.0.1:8428/");
        assert_eq!(settings.timeout, Duration::from_secs(DEFAULT_TIMEOUT_SECS));
        assert_eq!(settings.max_response_bytes, 32 << 20);
        assert_eq!(settings.auth, None);
        let file = section("[history]\nurl = \"https://vm.example.net/select/0/prometheus\"\nbearer_token = \"t0k\"\n");
        let settings = load(&file, None, &mut problems).unwrap();
        assert_eq!(settings.auth, Some(PromqlAuth::Bearer(Secret::new("t0k"))));
        assert!(problems.is_empty(), "{problems:?}");
        assert!(!format!("{settings:?}").contains("t0k"), "the token is never shown");
    }

    #[test]
    fn the_command_line_url_wins_and_keeps_the_files_credentials() {
        let file = section(
            "[history]\nbackend = \"local\"\nbasic_auth = { user = \"vigie\", password = \"pw\" }\ntimeout_secs = 3\n",
        );
        let mut problems = Vec::new();
        let settings = load(&file, Some("http://10.0.0.1:9090/"), &mut problems).unwrap();
        assert_eq!(settings.url.host_str(), Some("10.0.0.1"));
        assert_eq!(settings.timeout, Duration::from_secs(3));
        assert!(matches!(settings.auth, Some(PromqlAuth::Basic { ref username, .. }) if username == "vigie"));
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn every_problem_is_reported_without_repeating_credentials() {
        let file = section(
            "[history]\nbackend = \"promql\"\nurl = \"http://u:s3cret@vm:8428\"\nbasic_auth = { user = \"u\", password = \"p\" }\n\
             bearer_token = \"t\"\ntimeout_secs = 0\nmax_response_mib = 4096\n",
        );
        let mut problems = Vec::new();
        assert_eq!(load(&file, None, &mut problems), None);
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems[0].starts_with("history.url: must not hold credentials"), "{problems:?}");
        assert!(problems.iter().all(|p| !p.contains("s3cret")), "{problems:?}");
        let mut problems = Vec::new();
        load(&section("[history]\nbackend = \"promql\"\n"), None, &mut problems);
        load(&section("[history]\nbackend = \"tsdb\"\n"), None, &mut problems);
        load(&section("[history]\nbackend = \"local\"\nurl = \"http://vm:8428\"\n"), None, &mut problems);
        load(&section("[history]\nurl = \"ftp://vm\"\n"), None, &mut problems);
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems[0].contains("is required"), "{problems:?}");
        assert!(problems[1].contains("not local or promql"), "{problems:?}");
        assert!(problems[3].contains("http://"), "{problems:?}");
    }

    #[test]
    fn the_example_states_the_defaults_and_its_commented_keys_parse() {
        let text = include_str!("../../../vigie.example.toml");
        let file = crate::config::parse_file(text).expect("the example parses");
        assert_eq!(file.history.backend.as_deref(), Some("local"));
        assert_eq!(file.history.timeout_secs, Some(DEFAULT_TIMEOUT_SECS as i64));
        assert_eq!(file.history.max_response_mib, Some(DEFAULT_MAX_RESPONSE_MIB as i64));
        let mut problems = Vec::new();
        assert_eq!(load(&file.history, None, &mut problems), None);
        // Uncommented, the example's keys choose PromQL with basic auth.
        let example: String = text
            .lines()
            .skip_while(|line| *line != "[history]")
            .take_while(|line| !line.is_empty())
            .map(|line| {
                line.strip_prefix("# ").unwrap_or(line).replace("backend = \"local\"", "backend = \"promql\"") + "\n"
            })
            .collect();
        let settings = load(&section(&example), None, &mut problems).expect("promql");
        assert!(matches!(settings.auth, Some(PromqlAuth::Basic { .. })));
        assert!(problems.is_empty(), "{problems:?}");
    }
}
