//! Email over SMTP (lettre, rustls): STARTTLS (required once asked, never skipped), TLS from the
//! first byte, or none for a relay on a trusted network; optional authentication. The subject
//! is the event and the summary; the body is the summary and the detail as plain text.

use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::Context;
use crate::notify::channel::{EmailConfig, SmtpTls};
use crate::notify::{Notification, NotifyEvent};

pub async fn send(ctx: &Context, config: &EmailConfig, notification: &Notification) -> Result<(), String> {
    let message = message(config, notification)?;
    let transport = transport(ctx, config)?;
    // lettre's own timeout covers each command; this one bounds the whole exchange.
    match tokio::time::timeout(ctx.timeout * 2, transport.send(message)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!("SMTP to {}:{} failed: {}", config.smtp_host, config.smtp_port, e)),
        Err(_) => Err(format!(
            "SMTP to {}:{} did not finish within {} s",
            config.smtp_host,
            config.smtp_port,
            (ctx.timeout * 2).as_secs()
        )),
    }
}

/// The subject: `[Vigie] OPEN: core-sw1 unreachable for 2 min (rule: Core down)`.
pub fn subject(notification: &Notification) -> String {
    let event = match notification.event {
        NotifyEvent::Open => "OPEN",
        NotifyEvent::Resolved => "RESOLVED",
        NotifyEvent::Reminder => "STILL OPEN",
        NotifyEvent::Test => "TEST",
    };
    format!("[Vigie] {event}: {}", notification.summary)
}

fn message(config: &EmailConfig, notification: &Notification) -> Result<Message, String> {
    let address = |text: &str| text.parse().map_err(|e| format!("'{text}' is not an email address: {e}"));
    let mut builder = Message::builder().from(address(&config.from)?).subject(subject(notification));
    for to in &config.to {
        builder = builder.to(address(to)?);
    }
    let body = format!("{}\n\n{}\n", notification.summary, notification.detail);
    builder.header(ContentType::TEXT_PLAIN).body(body).map_err(|e| format!("the message cannot be built: {e}"))
}

fn transport(ctx: &Context, config: &EmailConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let host = config.smtp_host.as_str();
    let tls_parameters = || TlsParameters::new(host.to_string()).map_err(|e| format!("TLS settings for {host}: {e}"));
    let tls = match config.tls {
        SmtpTls::Starttls => Tls::Required(tls_parameters()?),
        SmtpTls::Tls => Tls::Wrapper(tls_parameters()?),
        SmtpTls::None => Tls::None,
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(config.smtp_port)
        .tls(tls)
        .timeout(Some(ctx.timeout));
    if let (Some(user), Some(password)) = (&config.username, &config.password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.expose().to_string()));
    }
    Ok(builder.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_the_event_in_its_subject_and_every_recipient() {
        let config = EmailConfig {
            smtp_host: "127.0.0.1".into(),
            smtp_port: 25,
            tls: SmtpTls::None,
            username: None,
            password: None,
            from: "vigie@example.net".into(),
            to: vec!["noc@example.net".into(), "oncall@example.net".into()],
        };
        let n = Notification {
            event: NotifyEvent::Open,
            incident: serde_json::Map::new(),
            summary: "core-sw1 unreachable".into(),
            detail: "host: 192.0.2.1".into(),
        };
        let text = String::from_utf8(message(&config, &n).unwrap().formatted()).unwrap();
        assert!(text.contains("Subject: [Vigie] OPEN: core-sw1 unreachable\r\n"), "{text}");
        assert!(text.contains("To: noc@example.net, oncall@example.net\r\n"), "{text}");
        assert!(text.contains("host: 192.0.2.1"), "{text}");
    }
}
