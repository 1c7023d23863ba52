//! `[[remote_write]]` tables and `--remote-write-url`: where accepted samples are sent (see
//! `export/`). The command line's URL, when given, replaces the file's tables with one target.

use std::collections::BTreeMap;
use std::path::PathBuf;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;

use crate::export::{TargetAuth, TargetSettings};
use crate::secret::Secret;

/// The queue's bound unless `max_queue_bytes` says otherwise.
pub const DEFAULT_MAX_QUEUE_BYTES: u64 = 256 << 20;
const MIN_MAX_QUEUE_BYTES: u64 = 1 << 20;
/// Labels every series already has: an external label must not take one of these names.
const RESERVED_LABELS: [&str; 8] =
    ["__name__", "device", "instance", "device_id", "ifIndex", "ifName", "ifDescr", "ifAlias"];

/// One `[[remote_write]]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteWriteSection {
    pub name: Option<String>,
    pub url: String,
    pub basic_auth: Option<BasicAuthSection>,
    pub bearer_token: Option<Secret>,
    pub tls_ca: Option<PathBuf>,
    #[serde(default)]
    pub insecure_skip_verify: bool,
    #[serde(default)]
    pub external_labels: BTreeMap<String, String>,
    pub max_queue_bytes: Option<i64>,
    /// Sent with every request, e.g. Mimir's tenant: `{ "X-Scope-OrgID" = "lyon" }`.
    #[serde(default)]
    pub headers: BTreeMap<String, Secret>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicAuthSection {
    pub user: String,
    pub password: Secret,
}

/// The targets: the command line's URL alone when given, else the file's tables; each checked.
pub fn load(cli_url: Option<&str>, file: Vec<RemoteWriteSection>, problems: &mut Vec<String>) -> Vec<TargetSettings> {
    let sections = match cli_url {
        Some(url) => vec![RemoteWriteSection { url: url.to_string(), ..Default::default() }],
        None => file,
    };
    let mut targets: Vec<TargetSettings> = Vec::new();
    for (i, section) in sections.into_iter().enumerate() {
        let key = if cli_url.is_some() { "remote_write_url".to_string() } else { format!("remote_write[{i}]") };
        if let Some(target) = target(&key, section, problems) {
            if targets.iter().any(|t| t.name == target.name) {
                problems.push(format!("{key}.name: '{}' is used by another target (name each one)", target.name));
            }
            targets.push(target);
        }
    }
    targets
}

fn target(key: &str, s: RemoteWriteSection, problems: &mut Vec<String>) -> Option<TargetSettings> {
    let before = problems.len();
    let url = match url::Url::parse(&s.url) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => Some(url),
        _ => {
            problems.push(format!(
                "{key}.url: '{}' is not an http:// or https:// URL",
                crate::export::target::shown_url(&s.url)
            ));
            None
        }
    };
    let name = s.name.clone().or_else(|| url.as_ref().map(default_name)).unwrap_or_default();
    if name.is_empty() || name.len() > 64 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        problems.push(format!("{key}.name: '{name}' must be 1 to 64 letters, digits, '-' or '_'"));
    }
    let auth = match (s.basic_auth, s.bearer_token) {
        (Some(_), Some(_)) => {
            problems.push(format!("{key}: basic_auth and bearer_token cannot both be given"));
            TargetAuth::None
        }
        (Some(basic), None) => TargetAuth::Basic { user: basic.user, password: basic.password },
        (None, Some(token)) => TargetAuth::Bearer(token),
        (None, None) => TargetAuth::None,
    };
    if let Some(path) = s.tls_ca.as_ref().filter(|p| !p.is_file()) {
        problems.push(format!("{key}.tls_ca: {} is not a readable file", path.display()));
    }
    for (label, value) in &s.external_labels {
        let valid = label.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid || label.starts_with("__") {
            problems.push(format!(
                "{key}.external_labels: '{label}' is not a label name ([a-zA-Z_][a-zA-Z0-9_]*, not __*)"
            ));
        } else if RESERVED_LABELS.contains(&label.as_str()) {
            problems.push(format!("{key}.external_labels: '{label}' is set by Vigie on every series"));
        } else if value.is_empty() {
            problems.push(format!("{key}.external_labels.{label}: must not be empty"));
        }
    }
    let headers = headers(key, &s.headers, problems);
    let max_queue_bytes = s.max_queue_bytes.unwrap_or(DEFAULT_MAX_QUEUE_BYTES as i64);
    if max_queue_bytes < MIN_MAX_QUEUE_BYTES as i64 {
        problems.push(format!("{key}.max_queue_bytes: {max_queue_bytes} is below the minimum ({MIN_MAX_QUEUE_BYTES})"));
    }
    (problems.len() == before).then(|| TargetSettings {
        name,
        url: s.url,
        auth,
        tls_ca: s.tls_ca,
        insecure_skip_verify: s.insecure_skip_verify,
        external_labels: s.external_labels.into_iter().collect(),
        max_queue_bytes: max_queue_bytes as u64,
        headers,
    })
}

/// Headers Vigie sets itself (or that `basic_auth` and `bearer_token` set): `headers` may not.
const RESERVED_HEADERS: [&str; 8] = [
    "authorization",
    "content-encoding",
    "content-length",
    "content-type",
    "host",
    "transfer-encoding",
    "user-agent",
    "x-prometheus-remote-write-version",
];

/// The `headers` table of `[[remote_write]]` or `[history]` as sent, values marked sensitive
/// (never shown: a header may carry a token). A problem names the header, never its value.
pub fn headers(key: &str, table: &BTreeMap<String, Secret>, problems: &mut Vec<String>) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in table {
        let Ok(header) = HeaderName::from_bytes(name.as_bytes()) else {
            problems.push(format!("{key}.headers: '{name}' is not an HTTP header name"));
            continue;
        };
        if RESERVED_HEADERS.contains(&header.as_str()) {
            problems.push(format!(
                "{key}.headers: '{name}' is set by Vigie (use basic_auth or bearer_token for credentials)"
            ));
            continue;
        }
        match HeaderValue::from_str(value.expose()) {
            Ok(mut value) => {
                value.set_sensitive(true);
                map.insert(header, value);
            }
            Err(_) => problems.push(format!("{key}.headers.{name}: is not a valid header value (visible ASCII only)")),
        }
    }
    map
}

/// A target's name when the file gives none: its host and port, e.g. `127.0.0.1-8428`.
fn default_name(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or("target").trim_matches(['[', ']']);
    let port = url.port_or_known_default().unwrap_or(0);
    format!("{host}-{port}").replace(|c: char| !(c.is_ascii_alphanumeric() || c == '-'), "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<RemoteWriteSection> {
        #[derive(Deserialize)]
        struct File {
            remote_write: Vec<RemoteWriteSection>,
        }
        toml::from_str::<File>(text).unwrap().remote_write
    }

    #[test]
    fn tables_are_read_with_their_defaults_and_secrets() {
        let mut problems = Vec::new();
        let targets = load(
            None,
            parse(
                r#"
                [[remote_write]]
                url = "http://127.0.0.1:8428/api/v1/write"
                external_labels = { site = "lyon", vigie_instance = "a" }
                [[remote_write]]
                name = "mimir"
                url = "https://mimir.example.net/api/v1/push"
                basic_auth = { user = "vigie", password = "s3cret" }
                max_queue_bytes = 1048576
                "#,
            ),
            &mut problems,
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(targets[0].name, "127-0-0-1-8428");
        assert_eq!(targets[0].max_queue_bytes, DEFAULT_MAX_QUEUE_BYTES);
        assert_eq!(targets[0].external_labels, [("site".into(), "lyon".into()), ("vigie_instance".into(), "a".into())]);
        assert_eq!(targets[1].name, "mimir");
        assert!(
            matches!(&targets[1].auth, TargetAuth::Basic { user, password } if user == "vigie" && password.expose() == "s3cret")
        );
        assert!(!format!("{:?}", targets[1]).contains("s3cret"), "the password never shows");
    }

    #[test]
    fn the_command_line_url_replaces_the_tables() {
        let mut problems = Vec::new();
        let file = parse("[[remote_write]]\nurl = \"http://a:1/w\"\n[[remote_write]]\nurl = \"http://b:2/w\"\n");
        let targets = load(Some("http://127.0.0.1:9090/api/v1/write"), file, &mut problems);
        assert!(problems.is_empty());
        assert_eq!(targets.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["127-0-0-1-9090"]);
    }

    #[test]
    fn every_problem_is_reported() {
        let mut problems = Vec::new();
        let targets = load(
            None,
            parse(
                r#"
                [[remote_write]]
                url = "ftp://user:pw@x/"
                [[remote_write]]
                name = "a b"
                url = "http://x:1/w"
                bearer_token = "t"
                basic_auth = { user = "u", password = "p" }
                external_labels = { device = "x", "1x" = "y", site = "" }
                max_queue_bytes = 10
                headers = { "X-Scope-OrgID" = "ok", "Content-Type" = "text/plain", "bad name" = "v", X-Bad = "s3cret\n" }
                [[remote_write]]
                url = "http://x:1/w"
                [[remote_write]]
                url = "http://x:1/other"
                "#,
            ),
            &mut problems,
        );
        assert_eq!(
            problems,
            [
                "remote_write[0].url: 'ftp://x/' is not an http:// or https:// URL",
                "remote_write[0].name: '' must be 1 to 64 letters, digits, '-' or '_'",
                "remote_write[1].name: 'a b' must be 1 to 64 letters, digits, '-' or '_'",
                "remote_write[1]: basic_auth and bearer_token cannot both be given",
                "remote_write[1].external_labels: '1x' is not a label name ([a-zA-Z_][a-zA-Z0-9_]*, not __*)",
                "remote_write[1].external_labels: 'device' is set by Vigie on every series",
                "remote_write[1].external_labels.site: must not be empty",
                "remote_write[1].headers: 'Content-Type' is set by Vigie (use basic_auth or bearer_token for credentials)",
                "remote_write[1].headers.X-Bad: is not a valid header value (visible ASCII only)",
                "remote_write[1].headers: 'bad name' is not an HTTP header name",
                "remote_write[1].max_queue_bytes: 10 is below the minimum (1048576)",
                "remote_write[3].name: 'x-1' is used by another target (name each one)",
            ]
        );
        assert_eq!(targets.len(), 2);
    }
}
