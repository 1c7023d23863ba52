//! `<data-dir>/alert-channels.json`: the notification channels with their secrets (webhook
//! secrets and headers, Slack URLs, SMTP passwords), mode 0600, replaced atomically. These
//! record types hold the secrets as plain text and never leave the store.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{io_error, replace, StoreError};
use crate::notify::channel::{
    Channel, ChannelId, ChannelKind, CommandConfig, EmailConfig, SlackConfig, SmtpTls, WebhookConfig,
};
use crate::secret::Secret;

pub const FILE_NAME: &str = "alert-channels.json";
const FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChannelsRecord {
    version: u32,
    channels: Vec<ChannelRecord>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChannelRecord {
    id: ChannelId,
    name: String,
    created_at: i64,
    #[serde(flatten)]
    kind: KindRecord,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", rename_all_fields = "camelCase")]
enum KindRecord {
    Webhook {
        url: String,
        secret: Option<String>,
        #[serde(default)]
        headers: Vec<(String, String)>,
    },
    Slack {
        url: String,
    },
    Email {
        smtp_host: String,
        smtp_port: u16,
        tls: SmtpTls,
        username: Option<String>,
        password: Option<String>,
        from: String,
        to: Vec<String>,
    },
    Command {
        program: PathBuf,
        args: Vec<String>,
        timeout_secs: u32,
    },
}

pub struct ChannelsFile {
    path: PathBuf,
}

impl ChannelsFile {
    pub fn new(data_dir: &Path) -> ChannelsFile {
        ChannelsFile { path: data_dir.join(FILE_NAME) }
    }

    /// The channels; none when there is no file. An unreadable file is an error naming it.
    pub fn load(&self) -> Result<Vec<Channel>, StoreError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error(&self.path)(e)),
        };
        let corrupt = |reason: String| StoreError::Corrupt { path: self.path.clone(), reason };
        let file: ChannelsRecord = serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
        if file.version != FORMAT_VERSION {
            return Err(corrupt(format!("format version {} is not {FORMAT_VERSION}", file.version)));
        }
        Ok(file.channels.into_iter().map(Channel::from).collect())
    }

    /// Replaces the file (0600) with `channels`.
    pub fn save(&self, channels: &[Channel]) -> Result<(), StoreError> {
        let file =
            ChannelsRecord { version: FORMAT_VERSION, channels: channels.iter().map(ChannelRecord::from).collect() };
        let mut bytes = serde_json::to_vec_pretty(&file).expect("channel records serialize");
        bytes.push(b'\n');
        replace::write_atomic(&self.path, &bytes).map_err(io_error(&self.path))
    }
}

impl From<&Channel> for ChannelRecord {
    fn from(c: &Channel) -> Self {
        let expose = |s: &Secret| s.expose().to_string();
        let kind = match &c.kind {
            ChannelKind::Webhook(w) => KindRecord::Webhook {
                url: w.url.clone(),
                secret: w.secret.as_ref().map(expose),
                headers: w.headers.iter().map(|(n, v)| (n.clone(), expose(v))).collect(),
            },
            ChannelKind::Slack(s) => KindRecord::Slack { url: expose(&s.url) },
            ChannelKind::Email(e) => KindRecord::Email {
                smtp_host: e.smtp_host.clone(),
                smtp_port: e.smtp_port,
                tls: e.tls,
                username: e.username.clone(),
                password: e.password.as_ref().map(expose),
                from: e.from.clone(),
                to: e.to.clone(),
            },
            ChannelKind::Command(x) => {
                KindRecord::Command { program: x.program.clone(), args: x.args.clone(), timeout_secs: x.timeout_secs }
            }
        };
        ChannelRecord { id: c.id.clone(), name: c.name.clone(), created_at: c.created_at, kind }
    }
}

impl From<ChannelRecord> for Channel {
    fn from(r: ChannelRecord) -> Self {
        let kind = match r.kind {
            KindRecord::Webhook { url, secret, headers } => ChannelKind::Webhook(WebhookConfig {
                url,
                secret: secret.map(Secret::new),
                headers: headers.into_iter().map(|(n, v)| (n, Secret::new(v))).collect(),
            }),
            KindRecord::Slack { url } => ChannelKind::Slack(SlackConfig { url: Secret::new(url) }),
            KindRecord::Email { smtp_host, smtp_port, tls, username, password, from, to } => {
                ChannelKind::Email(EmailConfig {
                    smtp_host,
                    smtp_port,
                    tls,
                    username,
                    password: password.map(Secret::new),
                    from,
                    to,
                })
            }
            KindRecord::Command { program, args, timeout_secs } => {
                ChannelKind::Command(CommandConfig { program, args, timeout_secs })
            }
        };
        Channel { id: r.id, name: r.name, created_at: r.created_at, kind }
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn channels_round_trip_with_their_secrets_in_a_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = ChannelsFile::new(dir.path());
        assert!(file.load().unwrap().is_empty());
        let channels = vec![
            Channel {
                id: ChannelId("0000000a".into()),
                name: "hook".into(),
                created_at: 1,
                kind: ChannelKind::Webhook(WebhookConfig {
                    url: "https://h/x".into(),
                    secret: Some("s3cret".into()),
                    headers: vec![("Authorization".into(), "Bearer t".into())],
                }),
            },
            Channel {
                id: ChannelId("0000000b".into()),
                name: "mail".into(),
                created_at: 2,
                kind: ChannelKind::Email(EmailConfig {
                    smtp_host: "127.0.0.1".into(),
                    smtp_port: 25,
                    tls: SmtpTls::None,
                    username: None,
                    password: None,
                    from: "a@example.net".into(),
                    to: vec!["b@example.net".into()],
                }),
            },
        ];
        file.save(&channels).unwrap();
        assert_eq!(file.load().unwrap(), channels);
        let mode = std::fs::metadata(dir.path().join(FILE_NAME)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::write(dir.path().join(FILE_NAME), "{\"version\": 1, \"channels\": 3}").unwrap();
        assert!(matches!(file.load(), Err(StoreError::Corrupt { .. })));
    }
}
