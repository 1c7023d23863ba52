//! Alert channels as clients send them: to add one (a union tagged by `type`, as the OpenAPI
//! document shows it) and to change one. Both are read through [`ChannelBody`], one flat object
//! with every field optional, so that a mistake is reported at its field (`smtpPort`, `to`):
//! a field another type uses is refused by name, a missing one is named. Secrets are
//! write-only: they arrive as [`Secret`]s.

use std::path::PathBuf;

use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

use super::json_shape::whole_number;
use crate::device::InvalidField;
use crate::notify::channel::{
    Channel, ChannelKind, CommandConfig, EmailConfig, SlackConfig, SmtpTls, WebhookConfig, DEFAULT_COMMAND_TIMEOUT_SECS,
};
use crate::secret::Secret;

/// The types of channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChannelType {
    Webhook,
    Slack,
    Email,
    Command,
}

/// A channel to add, or a change to one: the fields of its `type` (see the `NewAlertChannel`
/// union for which). In a change, an omitted field keeps its value; `null` removes an optional
/// one (`secret`, `username` with `password`); `headers` and `to` are replaced whole.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = AlertChannelPatch)]
pub struct ChannelBody {
    /// Required to add a channel; in a change, it must be the channel's own type.
    #[serde(rename = "type")]
    pub kind: Option<ChannelType>,
    #[schema(example = "NOC webhook", min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// webhook, slack: an http:// or https:// URL. Slack's is write-only.
    #[schema(value_type = Option<String>, example = "https://hooks.example.net/vigie", max_length = 2048, write_only)]
    pub url: Option<Secret>,
    /// webhook: the HMAC-SHA256 key of `X-Vigie-Signature` (write-only); null: no signature.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, write_only, min_length = 1, max_length = 1024)]
    pub secret: Option<Option<Secret>>,
    /// webhook: extra headers sent with each delivery, e.g. {"Authorization": "Bearer …"}
    /// (values write-only).
    #[schema(value_type = Option<std::collections::HashMap<String, String>>, write_only)]
    pub headers: Option<std::collections::BTreeMap<String, Secret>>,
    /// email: the SMTP server.
    #[schema(example = "smtp.example.net", min_length = 1, max_length = 253)]
    pub smtp_host: Option<String>,
    /// email: default 587 (starttls), 465 (tls) or 25 (none).
    #[schema(example = 587, minimum = 1, maximum = 65535)]
    #[serde(default, deserialize_with = "whole_number")]
    pub smtp_port: Option<u16>,
    /// email: default starttls.
    pub tls: Option<SmtpTls>,
    /// email: SMTP authentication user (with `password`); null: no authentication.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, example = "vigie")]
    pub username: Option<Option<String>>,
    /// email: SMTP password (write-only).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, write_only)]
    pub password: Option<Option<Secret>>,
    /// email: the sender address.
    #[schema(example = "vigie@example.net")]
    pub from: Option<String>,
    /// email: 1 to 50 recipient addresses.
    #[schema(example = json!(["noc@example.net"]))]
    pub to: Option<Vec<String>>,
    /// command: absolute path of a program inside `[notify] command_dir`.
    #[schema(value_type = Option<String>, example = "/etc/vigie/notify/page.sh")]
    pub program: Option<PathBuf>,
    /// command: its arguments (no shell: each is passed as it is).
    #[schema(example = json!(["--team", "noc"]))]
    pub args: Option<Vec<String>>,
    /// command: seconds it may run before it is killed (1 to 600); default 30.
    #[schema(example = 30, minimum = 1, maximum = 600)]
    #[serde(default, deserialize_with = "whole_number")]
    pub timeout_secs: Option<u32>,
}

/// `null` as `Some(None)`, absent as `None` (with `#[serde(default)]`).
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

fn invalid(field: &'static str, reason: impl Into<String>) -> InvalidField {
    InvalidField { field, reason: reason.into() }
}

fn required<T>(value: Option<T>, field: &'static str, kind: ChannelType) -> Result<T, InvalidField> {
    value.ok_or_else(|| invalid(field, format!("is required for {} channels", name_of(kind))))
}

fn name_of(kind: ChannelType) -> &'static str {
    match kind {
        ChannelType::Webhook => "webhook",
        ChannelType::Slack => "slack",
        ChannelType::Email => "email",
        ChannelType::Command => "command",
    }
}

fn type_of(kind: &ChannelKind) -> ChannelType {
    match kind {
        ChannelKind::Webhook(_) => ChannelType::Webhook,
        ChannelKind::Slack(_) => ChannelType::Slack,
        ChannelKind::Email(_) => ChannelType::Email,
        ChannelKind::Command(_) => ChannelType::Command,
    }
}

impl ChannelBody {
    /// The fields given, by their JSON names.
    fn given(&self) -> Vec<&'static str> {
        let fields = [
            ("url", self.url.is_some()),
            ("secret", self.secret.is_some()),
            ("headers", self.headers.is_some()),
            ("smtpHost", self.smtp_host.is_some()),
            ("smtpPort", self.smtp_port.is_some()),
            ("tls", self.tls.is_some()),
            ("username", self.username.is_some()),
            ("password", self.password.is_some()),
            ("from", self.from.is_some()),
            ("to", self.to.is_some()),
            ("program", self.program.is_some()),
            ("args", self.args.is_some()),
            ("timeoutSecs", self.timeout_secs.is_some()),
        ];
        fields.into_iter().filter(|(_, given)| *given).map(|(name, _)| name).collect()
    }

    /// Refuses the fields `kind` does not use.
    fn only_fields_of(&self, kind: ChannelType) -> Result<(), InvalidField> {
        let allowed: &[&str] = match kind {
            ChannelType::Webhook => &["url", "secret", "headers"],
            ChannelType::Slack => &["url"],
            ChannelType::Email => &["smtpHost", "smtpPort", "tls", "username", "password", "from", "to"],
            ChannelType::Command => &["program", "args", "timeoutSecs"],
        };
        match self.given().into_iter().find(|field| !allowed.contains(field)) {
            Some(field) => Err(invalid(field, format!("is not a field of {} channels", name_of(kind)))),
            None => Ok(()),
        }
    }

    /// The name and settings of a new channel (checked further by `Channel::validate`).
    pub fn into_new(self) -> Result<(String, ChannelKind), InvalidField> {
        let kind = self.kind.ok_or_else(|| invalid("type", "is required: webhook, slack, email or command"))?;
        self.only_fields_of(kind)?;
        let name = required(self.name.clone(), "name", kind)?;
        let settings = match kind {
            ChannelType::Webhook => ChannelKind::Webhook(WebhookConfig {
                url: required(self.url, "url", kind)?.expose().to_string(),
                secret: self.secret.flatten(),
                headers: self.headers.unwrap_or_default().into_iter().collect(),
            }),
            ChannelType::Slack => ChannelKind::Slack(SlackConfig { url: required(self.url, "url", kind)? }),
            ChannelType::Email => {
                let tls = self.tls.unwrap_or(SmtpTls::Starttls);
                ChannelKind::Email(EmailConfig {
                    smtp_host: required(self.smtp_host, "smtpHost", kind)?,
                    smtp_port: self.smtp_port.unwrap_or(default_port(tls)),
                    tls,
                    username: self.username.flatten(),
                    password: self.password.flatten(),
                    from: required(self.from, "from", kind)?,
                    to: required(self.to, "to", kind)?,
                })
            }
            ChannelType::Command => ChannelKind::Command(CommandConfig {
                program: required(self.program, "program", kind)?,
                args: self.args.unwrap_or_default(),
                timeout_secs: self.timeout_secs.unwrap_or(DEFAULT_COMMAND_TIMEOUT_SECS),
            }),
        };
        Ok((name, settings))
    }

    /// `channel` with this change applied (checked further by `Channel::validate`).
    pub fn apply(self, mut channel: Channel) -> Result<Channel, InvalidField> {
        let kind = type_of(&channel.kind);
        if self.kind.is_some_and(|k| k != kind) {
            return Err(invalid("type", "cannot change: remove the channel and add another"));
        }
        self.only_fields_of(kind)?;
        if let Some(name) = self.name {
            channel.name = name;
        }
        match &mut channel.kind {
            ChannelKind::Webhook(w) => {
                if let Some(url) = self.url {
                    w.url = url.expose().to_string();
                }
                if let Some(secret) = self.secret {
                    w.secret = secret;
                }
                if let Some(headers) = self.headers {
                    w.headers = headers.into_iter().collect();
                }
            }
            ChannelKind::Slack(s) => {
                if let Some(url) = self.url {
                    s.url = url;
                }
            }
            ChannelKind::Email(e) => {
                set(&mut e.smtp_host, self.smtp_host);
                set(&mut e.smtp_port, self.smtp_port);
                set(&mut e.tls, self.tls);
                set(&mut e.from, self.from);
                set(&mut e.to, self.to);
                if let Some(username) = self.username {
                    // A new user needs its password; no user, no password.
                    if username.is_none() || (username != e.username && self.password.is_none()) {
                        e.password = None;
                    }
                    e.username = username;
                }
                if let Some(password) = self.password {
                    e.password = password;
                }
            }
            ChannelKind::Command(c) => {
                set(&mut c.program, self.program);
                set(&mut c.args, self.args);
                set(&mut c.timeout_secs, self.timeout_secs);
            }
        }
        Ok(channel)
    }
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *slot = value;
    }
}

fn default_port(tls: SmtpTls) -> u16 {
    match tls {
        SmtpTls::Starttls => 587,
        SmtpTls::Tls => 465,
        SmtpTls::None => 25,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::extract::parse_json;
    use crate::notify::ChannelId;

    fn new(json: &str) -> Result<(String, ChannelKind), InvalidField> {
        parse_json::<ChannelBody>(json.as_bytes()).unwrap().into_new()
    }

    #[test]
    fn a_new_channel_names_the_field_at_fault() {
        assert_eq!(new(r#"{"name":"n","url":"https://h/"}"#).unwrap_err().field, "type");
        assert_eq!(new(r#"{"type":"webhook","name":"n"}"#).unwrap_err().field, "url");
        assert_eq!(new(r#"{"type":"slack","name":"n","url":"https://h/","secret":"s"}"#).unwrap_err().field, "secret");
        assert_eq!(new(r#"{"type":"email","name":"n","smtpHost":"h","from":"a@b.c"}"#).unwrap_err().field, "to");
        let (_, kind) =
            new(r#"{"type":"email","name":"n","smtpHost":"h","tls":"tls","from":"a@b.c","to":["d@e.f"]}"#).unwrap();
        assert!(matches!(kind, ChannelKind::Email(EmailConfig { smtp_port: 465, .. })), "the port follows tls");
    }

    #[test]
    fn a_change_keeps_omitted_fields_and_null_removes_a_secret() {
        let (name, kind) = new(r#"{"type":"webhook","name":"n","url":"https://h/","secret":"s1"}"#).unwrap();
        let channel = Channel { id: ChannelId("0000000a".into()), name, created_at: 0, kind };
        let patch = |json: &str| parse_json::<ChannelBody>(json.as_bytes()).unwrap().apply(channel.clone());
        let renamed = patch(r#"{"name":"m"}"#).unwrap();
        assert_eq!(renamed.kind, channel.kind);
        let ChannelKind::Webhook(unsigned) = patch(r#"{"secret":null}"#).unwrap().kind else { panic!() };
        assert_eq!(unsigned.secret, None);
        assert_eq!(patch(r#"{"type":"slack"}"#).unwrap_err().field, "type");
        assert_eq!(patch(r#"{"smtpPort":25}"#).unwrap_err().field, "smtpPort");
    }
}
