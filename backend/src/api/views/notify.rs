//! Alert channels and deliveries on the wire. A channel is shown as a union tagged by `type`;
//! secrets (a webhook's secret and header values, a Slack URL, an SMTP password) are never
//! shown: `secretSet`, `urlSet`, `passwordSet` and `headerNames` say what is stored.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::notify::channel::{Channel, ChannelKind, SmtpTls};
use crate::notify::{Delivery, DeliveryState, NotifyEvent};

macro_rules! type_tag {
    ($name:ident, $variant:ident, $text:literal) => {
        #[doc = concat!("`", $text, "`.")]
        #[derive(Clone, Copy, Debug, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $variant,
        }
    };
}

type_tag!(WebhookType, Webhook, "webhook");
type_tag!(SlackType, Slack, "slack");
type_tag!(EmailType, Email, "email");
type_tag!(CommandType, Command, "command");

/// A webhook channel to add: each notification is POSTed as JSON, signed with `secret`.
#[allow(dead_code)] // documents the body read as `AlertChannelPatch`
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewWebhookChannel {
    #[serde(rename = "type")]
    pub kind: WebhookType,
    #[schema(example = "NOC webhook", min_length = 1, max_length = 200)]
    pub name: String,
    /// An http:// or https:// URL.
    #[schema(example = "https://hooks.example.net/vigie", max_length = 2048)]
    pub url: String,
    /// Key of the `X-Vigie-Signature` HMAC-SHA256 (write-only); without it, no signature.
    #[schema(write_only, min_length = 1, max_length = 1024)]
    pub secret: Option<String>,
    /// Extra headers, e.g. {"Authorization": "Bearer …"} (values write-only).
    #[schema(write_only)]
    pub headers: Option<HashMap<String, String>>,
}

/// A Slack or Mattermost incoming webhook to add.
#[allow(dead_code)]
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewSlackChannel {
    #[serde(rename = "type")]
    pub kind: SlackType,
    #[schema(example = "#noc", min_length = 1, max_length = 200)]
    pub name: String,
    /// The incoming webhook's URL; its path is a credential (write-only).
    #[schema(write_only, example = "https://hooks.slack.com/services/T000/B000/XXXX", max_length = 2048)]
    pub url: String,
}

/// An email channel to add: SMTP with STARTTLS, TLS or none, optional authentication.
#[allow(dead_code)]
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewEmailChannel {
    #[serde(rename = "type")]
    pub kind: EmailType,
    #[schema(example = "NOC mail", min_length = 1, max_length = 200)]
    pub name: String,
    #[schema(example = "smtp.example.net")]
    pub smtp_host: String,
    /// Default 587 (starttls), 465 (tls) or 25 (none).
    #[schema(example = 587, minimum = 1, maximum = 65535)]
    pub smtp_port: Option<u16>,
    /// Default starttls. `none` with a username only for a relay on loopback.
    pub tls: Option<SmtpTls>,
    #[schema(example = "vigie")]
    pub username: Option<String>,
    /// Required with `username` (write-only).
    #[schema(write_only)]
    pub password: Option<String>,
    #[schema(example = "vigie@example.net")]
    pub from: String,
    #[schema(example = json!(["noc@example.net"]), min_items = 1, max_items = 50)]
    pub to: Vec<String>,
}

/// A command channel to add: a program inside `[notify] command_dir`, run without a shell, the
/// notification as JSON on its standard input.
#[allow(dead_code)]
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewCommandChannel {
    #[serde(rename = "type")]
    pub kind: CommandType,
    #[schema(example = "pager", min_length = 1, max_length = 200)]
    pub name: String,
    #[schema(example = "/etc/vigie/notify/page.sh")]
    pub program: String,
    #[schema(example = json!(["--team", "noc"]))]
    pub args: Option<Vec<String>>,
    /// Seconds before it is killed (1 to 600); default 30.
    #[schema(example = 30, minimum = 1, maximum = 600)]
    pub timeout_secs: Option<u32>,
}

/// An alert channel to add: `type` says which fields follow.
#[allow(dead_code)]
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
#[schema(discriminator(property_name = "type", mapping(
    ("webhook" = "#/components/schemas/NewWebhookChannel"),
    ("slack" = "#/components/schemas/NewSlackChannel"),
    ("email" = "#/components/schemas/NewEmailChannel"),
    ("command" = "#/components/schemas/NewCommandChannel"),
)))]
pub enum NewAlertChannel {
    Webhook(NewWebhookChannel),
    Slack(NewSlackChannel),
    Email(NewEmailChannel),
    Command(NewCommandChannel),
}

/// A webhook channel as shown.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookChannelView {
    #[schema(example = "5e1f0a2b")]
    pub id: String,
    #[serde(rename = "type")]
    pub kind: WebhookType,
    #[schema(example = "NOC webhook")]
    pub name: String,
    #[schema(example = 1764070000)]
    pub created_at: i64,
    #[schema(example = "https://hooks.example.net/vigie")]
    pub url: String,
    /// Whether deliveries are signed (the secret is never returned).
    pub secret_set: bool,
    /// Names of the extra headers (their values are never returned).
    #[schema(example = json!(["Authorization"]))]
    pub header_names: Vec<String>,
}

/// A Slack or Mattermost channel as shown: its URL is a credential, only its host is shown.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlackChannelView {
    #[schema(example = "5e1f0a2b")]
    pub id: String,
    #[serde(rename = "type")]
    pub kind: SlackType,
    #[schema(example = "#noc")]
    pub name: String,
    #[schema(example = 1764070000)]
    pub created_at: i64,
    pub url_set: bool,
    #[schema(example = "hooks.slack.com")]
    pub url_host: String,
}

/// An email channel as shown.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EmailChannelView {
    #[schema(example = "5e1f0a2b")]
    pub id: String,
    #[serde(rename = "type")]
    pub kind: EmailType,
    #[schema(example = "NOC mail")]
    pub name: String,
    #[schema(example = 1764070000)]
    pub created_at: i64,
    #[schema(example = "smtp.example.net")]
    pub smtp_host: String,
    #[schema(example = 587)]
    pub smtp_port: u16,
    pub tls: SmtpTls,
    #[schema(required = true, example = "vigie")]
    pub username: Option<String>,
    pub password_set: bool,
    #[schema(example = "vigie@example.net")]
    pub from: String,
    #[schema(example = json!(["noc@example.net"]))]
    pub to: Vec<String>,
}

/// A command channel as shown.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommandChannelView {
    #[schema(example = "5e1f0a2b")]
    pub id: String,
    #[serde(rename = "type")]
    pub kind: CommandType,
    #[schema(example = "pager")]
    pub name: String,
    #[schema(example = 1764070000)]
    pub created_at: i64,
    #[schema(example = "/etc/vigie/notify/page.sh")]
    pub program: String,
    pub args: Vec<String>,
    #[schema(example = 30)]
    pub timeout_secs: u32,
}

/// An alert channel: `type` says which fields follow. Secrets are never shown.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[schema(discriminator(property_name = "type", mapping(
    ("webhook" = "#/components/schemas/WebhookChannelView"),
    ("slack" = "#/components/schemas/SlackChannelView"),
    ("email" = "#/components/schemas/EmailChannelView"),
    ("command" = "#/components/schemas/CommandChannelView"),
)))]
pub enum AlertChannelView {
    Webhook(WebhookChannelView),
    Slack(SlackChannelView),
    Email(EmailChannelView),
    Command(CommandChannelView),
}

impl From<&Channel> for AlertChannelView {
    fn from(c: &Channel) -> Self {
        let (id, name, created_at) = (c.id.0.clone(), c.name.clone(), c.created_at);
        match &c.kind {
            ChannelKind::Webhook(w) => AlertChannelView::Webhook(WebhookChannelView {
                id,
                kind: WebhookType::Webhook,
                name,
                created_at,
                url: w.url.clone(),
                secret_set: w.secret.is_some(),
                header_names: w.headers.iter().map(|(n, _)| n.clone()).collect(),
            }),
            ChannelKind::Slack(s) => AlertChannelView::Slack(SlackChannelView {
                id,
                kind: SlackType::Slack,
                name,
                created_at,
                url_set: !s.url.is_empty(),
                url_host: url::Url::parse(s.url.expose())
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_string))
                    .unwrap_or_default(),
            }),
            ChannelKind::Email(e) => AlertChannelView::Email(EmailChannelView {
                id,
                kind: EmailType::Email,
                name,
                created_at,
                smtp_host: e.smtp_host.clone(),
                smtp_port: e.smtp_port,
                tls: e.tls,
                username: e.username.clone(),
                password_set: e.password.is_some(),
                from: e.from.clone(),
                to: e.to.clone(),
            }),
            ChannelKind::Command(x) => AlertChannelView::Command(CommandChannelView {
                id,
                kind: CommandType::Command,
                name,
                created_at,
                program: x.program.display().to_string(),
                args: x.args.clone(),
                timeout_secs: x.timeout_secs,
            }),
        }
    }
}

/// One notification's delivery to one channel, with its attempts.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    #[schema(example = "9c2d6e0f1a3b5c7d")]
    pub id: String,
    #[schema(example = "5e1f0a2b")]
    pub channel_id: String,
    /// The incident notified; null for a test.
    #[schema(required = true, example = json!(null))]
    pub incident_id: Option<String>,
    pub event: NotifyEvent,
    /// `pending` (to be made or retried), `delivered`, or `failed` (given up).
    pub state: DeliveryState,
    /// Attempts made so far.
    #[schema(example = 1)]
    pub attempts: u32,
    /// Unix seconds when it was queued.
    #[schema(example = 1764075000)]
    pub created_at: i64,
    #[schema(required = true, example = 1764075000)]
    pub last_attempt_at: Option<i64>,
    /// When it is tried again, while pending.
    #[schema(required = true, example = json!(null))]
    pub next_attempt_at: Option<i64>,
    /// Why the last attempt failed (the receiver's answer, quoted); null once delivered.
    #[schema(required = true, example = json!(null))]
    pub last_error: Option<String>,
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        DeliveryView {
            id: d.id,
            channel_id: d.channel_id.0,
            incident_id: d.incident_id,
            event: d.event,
            state: d.state,
            attempts: d.attempts,
            created_at: d.created_at,
            last_attempt_at: d.last_attempt_at,
            next_attempt_at: d.next_attempt_at,
            last_error: d.last_error,
        }
    }
}

/// The result of a test: whether its first attempt delivered it, and the delivery (a failed
/// one is retried like any notification).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChannelTestView {
    pub delivered: bool,
    pub delivery: DeliveryView,
}
