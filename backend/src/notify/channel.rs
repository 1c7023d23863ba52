//! What a notification channel is: its identity, its type with that type's settings, and the
//! rules its fields must follow (checked once here, for the API and the stored file alike).
//! Secrets (a webhook's secret and extra header values, a Slack URL, an SMTP password) are
//! [`Secret`]s: nothing here prints them.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use crate::device::{free_text, InvalidField};
use crate::secret::Secret;

/// A stable, server-assigned channel id (8 hex digits).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct ChannelId(pub String);

impl ChannelId {
    pub fn random() -> ChannelId {
        ChannelId(format!("{:08x}", rand::random::<u32>()))
    }

    /// Whether `text` can be an id at all.
    pub fn parse(text: &str) -> Option<ChannelId> {
        (text.len() == 8 && text.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
            .then(|| ChannelId(text.to_string()))
    }
}

impl std::fmt::Display for ChannelId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A channel as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct Channel {
    pub id: ChannelId,
    pub name: String,
    pub created_at: i64,
    pub kind: ChannelKind,
}

/// A channel's type and its settings.
#[derive(Clone, Debug, PartialEq)]
pub enum ChannelKind {
    Webhook(WebhookConfig),
    Slack(SlackConfig),
    Email(EmailConfig),
    Command(CommandConfig),
}

impl ChannelKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            ChannelKind::Webhook(_) => "webhook",
            ChannelKind::Slack(_) => "slack",
            ChannelKind::Email(_) => "email",
            ChannelKind::Command(_) => "command",
        }
    }
}

/// POST of the incident as JSON, signed with HMAC-SHA256 when a secret is set.
#[derive(Clone, Debug, PartialEq)]
pub struct WebhookConfig {
    pub url: String,
    pub secret: Option<Secret>,
    /// Extra headers (an `Authorization` for the receiver, say): values are secrets.
    pub headers: Vec<(String, Secret)>,
}

/// A Slack or Mattermost incoming webhook: its URL's path is the credential.
#[derive(Clone, Debug, PartialEq)]
pub struct SlackConfig {
    pub url: Secret,
}

/// How the SMTP connection is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS (required, never skipped); port 587 usually.
    Starttls,
    /// TLS from the first byte (SMTPS); port 465 usually.
    Tls,
    /// No encryption: for a relay on this host or a trusted network; no authentication then
    /// unless the relay is on loopback.
    None,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EmailConfig {
    pub smtp_host: String,
    pub smtp_port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub from: String,
    pub to: Vec<String>,
}

/// A program run with the notification as JSON on its standard input, never through a shell.
#[derive(Clone, Debug, PartialEq)]
pub struct CommandConfig {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub timeout_secs: u32,
}

pub const MAX_NAME_LEN: usize = 200;
const MAX_URL_LEN: usize = 2048;
const MAX_SECRET_LEN: usize = 1024;
const MAX_HEADERS: usize = 16;
const MAX_RECIPIENTS: usize = 50;
const MAX_ARGS: usize = 64;
const MAX_ARG_LEN: usize = 4096;
pub const DEFAULT_COMMAND_TIMEOUT_SECS: u32 = 30;
const MAX_COMMAND_TIMEOUT_SECS: u32 = 600;
/// Headers Vigie sets itself; an extra header may not replace them.
const RESERVED_HEADERS: [&str; 6] =
    ["content-type", "content-length", "host", "user-agent", "x-vigie-signature", "x-vigie-event"];

fn invalid(field: &'static str, reason: impl Into<String>) -> InvalidField {
    InvalidField { field, reason: reason.into() }
}

impl Channel {
    /// Checks every rule; the first broken one is reported, naming its field. `command_dir` is
    /// `[notify] command_dir`: the only directory command channels may run programs from.
    pub fn validate(&self, command_dir: Option<&Path>) -> Result<(), InvalidField> {
        if self.name.trim().is_empty() {
            return Err(invalid("name", "must not be empty"));
        }
        if self.name.chars().count() > MAX_NAME_LEN {
            return Err(invalid("name", format!("must be at most {MAX_NAME_LEN} characters")));
        }
        free_text("name", &self.name)?;
        match &self.kind {
            ChannelKind::Webhook(w) => validate_webhook(w),
            ChannelKind::Slack(s) => validate_url("url", s.url.expose()),
            ChannelKind::Email(e) => validate_email(e),
            ChannelKind::Command(c) => validate_command(c, command_dir),
        }
    }
}

fn validate_webhook(w: &WebhookConfig) -> Result<(), InvalidField> {
    validate_url("url", &w.url)?;
    if let Some(secret) = &w.secret {
        if secret.is_empty() || secret.expose().len() > MAX_SECRET_LEN {
            return Err(invalid("secret", format!("must be 1 to {MAX_SECRET_LEN} bytes (or omitted: no signature)")));
        }
    }
    if w.headers.len() > MAX_HEADERS {
        return Err(invalid("headers", format!("at most {MAX_HEADERS} headers")));
    }
    for (name, value) in &w.headers {
        let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
        if name.is_empty() || name.len() > 128 || !name.bytes().all(token) {
            return Err(invalid("headers", format!("'{name}' is not a header name")));
        }
        if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            return Err(invalid("headers", format!("{name} is set by Vigie")));
        }
        let value = value.expose();
        if value.len() > MAX_SECRET_LEN || value.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
            return Err(invalid(
                "headers",
                format!("the value of {name} must be at most {MAX_SECRET_LEN} bytes without control characters"),
            ));
        }
    }
    Ok(())
}

/// An absolute http or https URL with a host and no user:password part.
fn validate_url(field: &'static str, text: &str) -> Result<(), InvalidField> {
    if text.len() > MAX_URL_LEN {
        return Err(invalid(field, format!("must be at most {MAX_URL_LEN} bytes")));
    }
    // The URL may be a secret (Slack's): reasons never quote it.
    let url = url::Url::parse(text).map_err(|e| invalid(field, format!("is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(field, "must be an http:// or https:// URL"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid(field, "must name a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(field, "must not carry a user or password (use headers)"));
    }
    Ok(())
}

fn validate_email(e: &EmailConfig) -> Result<(), InvalidField> {
    let host_ok = e.smtp_host.parse::<IpAddr>().is_ok()
        || (!e.smtp_host.is_empty()
            && e.smtp_host.len() <= 253
            && e.smtp_host
                .split('.')
                .all(|l| !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')));
    if !host_ok {
        return Err(invalid("smtpHost", "must be an IP address or a DNS name"));
    }
    if e.smtp_port == 0 {
        return Err(invalid("smtpPort", "must be between 1 and 65535"));
    }
    if let Some(user) = &e.username {
        if user.is_empty() || user.len() > 256 || user.chars().any(char::is_control) {
            return Err(invalid("username", "must be 1 to 256 printable characters"));
        }
        if e.password.as_ref().is_none_or(Secret::is_empty) {
            return Err(invalid("password", "is required with a username"));
        }
    } else if e.password.is_some() {
        return Err(invalid("username", "is required with a password"));
    }
    if let Some(password) = &e.password {
        if password.expose().len() > MAX_SECRET_LEN || password.expose().chars().any(char::is_control) {
            return Err(invalid("password", format!("must be at most {MAX_SECRET_LEN} printable characters")));
        }
    }
    if e.tls == SmtpTls::None && e.username.is_some() && !is_loopback(&e.smtp_host) {
        return Err(invalid(
            "tls",
            "\"none\" sends the password in clear: use starttls or tls, or a relay on loopback",
        ));
    }
    check_address("from", &e.from)?;
    if e.to.is_empty() || e.to.len() > MAX_RECIPIENTS {
        return Err(invalid("to", format!("must hold 1 to {MAX_RECIPIENTS} addresses")));
    }
    e.to.iter().try_for_each(|to| check_address("to", to))
}

fn check_address(field: &'static str, address: &str) -> Result<(), InvalidField> {
    match address.parse::<lettre::Address>() {
        Ok(_) if address.len() <= 254 => Ok(()),
        _ => Err(invalid(field, format!("'{address}' is not an email address such as noc@example.net"))),
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn validate_command(c: &CommandConfig, command_dir: Option<&Path>) -> Result<(), InvalidField> {
    let Some(dir) = command_dir else {
        return Err(invalid(
            "type",
            "command channels are off: name the directory their programs live in with [notify] command_dir",
        ));
    };
    if !c.program.is_absolute() {
        return Err(invalid("program", "must be an absolute path"));
    }
    program_in(&c.program, dir).map_err(|reason| invalid("program", reason))?;
    if c.args.len() > MAX_ARGS {
        return Err(invalid("args", format!("at most {MAX_ARGS} arguments")));
    }
    if c.args.iter().any(|a| a.len() > MAX_ARG_LEN || a.contains('\0')) {
        return Err(invalid("args", format!("each argument: at most {MAX_ARG_LEN} bytes, no NUL")));
    }
    if !(1..=MAX_COMMAND_TIMEOUT_SECS).contains(&c.timeout_secs) {
        return Err(invalid("timeoutSecs", format!("must be between 1 and {MAX_COMMAND_TIMEOUT_SECS}")));
    }
    Ok(())
}

/// The program's real path, when it is an executable file inside `dir` (links resolved, so that
/// `..` or a symlink cannot lead out of it).
pub fn program_in(program: &Path, dir: &Path) -> Result<PathBuf, String> {
    use std::os::unix::fs::PermissionsExt;
    let real = program.canonicalize().map_err(|e| format!("cannot be read ({e})"))?;
    let dir = dir.canonicalize().map_err(|e| format!("[notify] command_dir cannot be read ({e})"))?;
    if !real.starts_with(&dir) {
        return Err(format!("must be inside [notify] command_dir ({})", dir.display()));
    }
    let meta = real.metadata().map_err(|e| format!("cannot be read ({e})"))?;
    if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 {
        return Err("must be an executable file".into());
    }
    Ok(real)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(kind: ChannelKind) -> Channel {
        Channel { id: ChannelId("0000abcd".into()), name: "noc".into(), created_at: 0, kind }
    }

    fn webhook(url: &str) -> ChannelKind {
        ChannelKind::Webhook(WebhookConfig { url: url.into(), secret: Some("s".into()), headers: Vec::new() })
    }

    fn email() -> EmailConfig {
        EmailConfig {
            smtp_host: "smtp.example.net".into(),
            smtp_port: 587,
            tls: SmtpTls::Starttls,
            username: Some("vigie".into()),
            password: Some("pw".into()),
            from: "vigie@example.net".into(),
            to: vec!["noc@example.net".into()],
        }
    }

    fn field_of(kind: ChannelKind) -> &'static str {
        channel(kind).validate(None).unwrap_err().field
    }

    #[test]
    fn urls_must_be_http_or_https_with_a_host() {
        assert_eq!(channel(webhook("https://hooks.example.net/x?y=1")).validate(None), Ok(()));
        for bad in ["ftp://example.net/", "example.net/hook", "http://", "file:///etc/passwd", "https://u:p@h/"] {
            assert_eq!(field_of(webhook(bad)), "url", "{bad}");
        }
        let slack = ChannelKind::Slack(SlackConfig { url: "gopher://hooks.slack.com/services/T/B/C".into() });
        let error = channel(slack).validate(None).unwrap_err();
        assert_eq!(error.field, "url");
        assert!(!error.reason.contains("services/T/B/C"), "the URL is a secret: {}", error.reason);
    }

    #[test]
    fn webhook_headers_are_checked_and_vigie_s_own_are_reserved() {
        let with = |name: &str, value: &str| {
            ChannelKind::Webhook(WebhookConfig {
                url: "http://127.0.0.1:9/".into(),
                secret: None,
                headers: vec![(name.into(), value.into())],
            })
        };
        assert_eq!(channel(with("Authorization", "Bearer x")).validate(None), Ok(()));
        assert_eq!(field_of(with("X-Vigie-Signature", "x")), "headers");
        assert_eq!(field_of(with("bad name", "x")), "headers");
        assert_eq!(field_of(with("X-A", "a\r\nInjected: 1")), "headers");
    }

    #[test]
    fn email_rules_name_their_field() {
        let cases: Vec<(EmailConfig, &str)> = vec![
            (EmailConfig { smtp_host: "bad host".into(), ..email() }, "smtpHost"),
            (EmailConfig { smtp_port: 0, ..email() }, "smtpPort"),
            (EmailConfig { password: None, ..email() }, "password"),
            (EmailConfig { username: None, ..email() }, "username"),
            (EmailConfig { tls: SmtpTls::None, ..email() }, "tls"),
            (EmailConfig { from: "not an address".into(), ..email() }, "from"),
            (EmailConfig { to: vec![], ..email() }, "to"),
            (EmailConfig { to: vec!["noc@example.net".into(), "x@".into()], ..email() }, "to"),
        ];
        for (config, field) in cases {
            assert_eq!(field_of(ChannelKind::Email(config)), field);
        }
        let relay = EmailConfig { smtp_host: "127.0.0.1".into(), tls: SmtpTls::None, ..email() };
        assert_eq!(channel(ChannelKind::Email(relay)).validate(None), Ok(()), "credentials in clear on loopback only");
        let anonymous = EmailConfig { tls: SmtpTls::None, username: None, password: None, ..email() };
        assert_eq!(channel(ChannelKind::Email(anonymous)).validate(None), Ok(()));
    }

    #[test]
    fn commands_run_only_from_the_configured_directory() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("notify.sh");
        std::fs::write(&script, "#!/bin/sh\ncat >/dev/null\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let command = |program: &Path| {
            ChannelKind::Command(CommandConfig { program: program.into(), args: vec!["a b".into()], timeout_secs: 5 })
        };
        assert_eq!(channel(command(&script)).validate(None).unwrap_err().field, "type", "off by default");
        assert_eq!(channel(command(&script)).validate(Some(dir.path())), Ok(()));
        let outside = dir.path().join("../../bin/sh");
        assert_eq!(channel(command(&outside)).validate(Some(dir.path())).unwrap_err().field, "program");
        assert_eq!(channel(command(Path::new("notify.sh"))).validate(Some(dir.path())).unwrap_err().field, "program");
        let slow = ChannelKind::Command(CommandConfig { program: script.clone(), args: vec![], timeout_secs: 0 });
        assert_eq!(channel(slow).validate(Some(dir.path())).unwrap_err().field, "timeoutSecs");
    }

    #[test]
    fn names_must_be_printable() {
        let mut c = channel(webhook("https://h/"));
        c.name = "a\nb".into();
        assert_eq!(c.validate(None).unwrap_err().field, "name");
    }
}
