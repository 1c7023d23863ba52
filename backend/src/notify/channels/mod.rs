//! One module per channel type, each making one attempt to deliver one notification and
//! answering why it failed. Every attempt is bounded in time, and every answer read from a
//! receiver is bounded in bytes. An error text never holds a secret (a Slack URL, a webhook
//! secret, an SMTP password): receivers' URLs are left out of HTTP errors.

pub mod command;
pub mod email;
pub mod slack;
pub mod webhook;

use std::time::Duration;

use super::channel::{Channel, ChannelKind};
use super::Notification;

/// Bytes of a receiver's answer (an HTTP body, a program's output) kept for the error text.
pub const MAX_ANSWER_BYTES: usize = 2048;

/// What every attempt shares.
#[derive(Clone)]
pub struct Context {
    /// One HTTP client for webhooks and Slack (its connection pool): no redirects followed, so
    /// a signed body goes to the configured URL only.
    pub http: reqwest::Client,
    /// The deadline of one HTTP or SMTP attempt.
    pub timeout: Duration,
    /// `[notify] command_dir`: a command channel's program must still be inside it when it runs.
    pub command_dir: Option<std::path::PathBuf>,
}

impl Context {
    pub fn new(timeout: Duration, command_dir: Option<std::path::PathBuf>) -> Context {
        let builder = || {
            reqwest::Client::builder()
                .timeout(timeout)
                .connect_timeout(timeout)
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("Vigie/", env!("CARGO_PKG_VERSION")))
        };
        // Only unreadable system certificates make the first fail: then HTTPS fails per attempt,
        // with a reason, instead of Vigie not starting.
        let http = builder().build().unwrap_or_else(|e| {
            log::error!("The system's TLS root certificates cannot be read ({e}); HTTPS alert channels will fail.");
            builder().tls_built_in_native_certs(false).build().expect("a client without system roots builds")
        });
        Context { http, timeout, command_dir }
    }
}

/// One attempt; `delivery_id` is sent along so that a receiver can spot a repeated delivery.
pub async fn deliver(
    ctx: &Context,
    channel: &Channel,
    delivery_id: &str,
    notification: &Notification,
) -> Result<(), String> {
    match &channel.kind {
        ChannelKind::Webhook(config) => webhook::send(ctx, config, delivery_id, notification).await,
        ChannelKind::Slack(config) => slack::send(ctx, config, notification).await,
        ChannelKind::Email(config) => email::send(ctx, config, notification).await,
        ChannelKind::Command(config) => command::run(ctx, config, delivery_id, notification).await,
    }
}

/// Sends a prepared request; a 2xx answer is success, anything else an error quoting the start
/// of the answer's body.
pub async fn post(request: reqwest::RequestBuilder) -> Result<(), String> {
    let mut response = request.send().await.map_err(|e| http_error(&e))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let mut body = Vec::new();
    while body.len() < MAX_ANSWER_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    Err(format!("the receiver answered HTTP {status}{}", quoted(&body)))
}

/// An HTTP error without its URL (a Slack URL is a secret), with its causes.
fn http_error(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    // The chain repeats itself often (hyper wraps io errors); the deepest cause says most.
    match causes.last() {
        Some(cause) => format!("the request {what}: {cause}"),
        None => format!("the request {what}"),
    }
}

/// `: "…"` with the first bytes of a receiver's answer as text, or nothing for an empty one.
pub fn quoted(answer: &[u8]) -> String {
    let text = String::from_utf8_lossy(&answer[..answer.len().min(MAX_ANSWER_BYTES)]);
    let text: String = text.trim().chars().map(|c| if c.is_control() { ' ' } else { c }).take(500).collect();
    if text.is_empty() {
        String::new()
    } else {
        format!(": \"{text}\"")
    }
}
