//! Slack and Mattermost incoming webhooks: `{"text": …}`, one readable message. The URL is the
//! channel's credential: it is never logged nor put in an error.

use super::Context;
use crate::notify::channel::SlackConfig;
use crate::notify::{Notification, NotifyEvent};

pub async fn send(ctx: &Context, config: &SlackConfig, notification: &Notification) -> Result<(), String> {
    let body = serde_json::to_vec(&serde_json::json!({ "text": text(notification) })).expect("JSON of a string");
    let request = ctx.http.post(config.url.expose()).header(reqwest::header::CONTENT_TYPE, "application/json");
    super::post(request.body(body)).await
}

/// The message: a marker and the summary in bold on the first line, the detail below.
pub fn text(notification: &Notification) -> String {
    let marker = match notification.event {
        NotifyEvent::Open => ":red_circle: *OPEN*",
        NotifyEvent::Resolved => ":large_green_circle: *RESOLVED*",
        NotifyEvent::Reminder => ":bell: *STILL OPEN*",
        NotifyEvent::Test => ":white_check_mark: *TEST*",
    };
    let mut text = format!("{marker} {}", escape(&notification.summary));
    if !notification.detail.is_empty() {
        text.push('\n');
        text.push_str(&escape(&notification.detail));
    }
    text
}

/// Slack's three control characters in message text.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_leads_with_the_event_and_escapes_slack_markup() {
        let n = Notification {
            event: NotifyEvent::Resolved,
            incident: serde_json::Map::new(),
            summary: "core-sw1 <up> again".into(),
            detail: "host: 192.0.2.1 & more".into(),
        };
        assert_eq!(text(&n), ":large_green_circle: *RESOLVED* core-sw1 &lt;up&gt; again\nhost: 192.0.2.1 &amp; more");
    }
}
