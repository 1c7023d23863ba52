//! Webhooks: a POST of the incident as JSON plus `event`, `summary`, `detail` and
//! `schemaVersion`, signed in `X-Vigie-Signature: sha256=<hex HMAC-SHA256 of the exact body
//! bytes>` with the channel's secret (GitHub's scheme), with the channel's extra headers.

use hmac::{Hmac, Mac};
use reqwest::header::CONTENT_TYPE;
use sha2::Sha256;

use super::Context;
use crate::notify::channel::WebhookConfig;
use crate::notify::Notification;
use crate::secret::Secret;

/// The webhook body's version: grows when a field changes meaning or goes away.
pub const SCHEMA_VERSION: u32 = 1;

pub async fn send(
    ctx: &Context,
    config: &WebhookConfig,
    delivery_id: &str,
    notification: &Notification,
) -> Result<(), String> {
    let body = body(notification);
    let mut request = ctx
        .http
        .post(&config.url)
        .header(CONTENT_TYPE, "application/json")
        .header("X-Vigie-Event", notification.event.as_str())
        .header("X-Vigie-Delivery", delivery_id);
    if let Some(secret) = &config.secret {
        request = request.header("X-Vigie-Signature", signature(secret, &body));
    }
    for (name, value) in &config.headers {
        let mut value = reqwest::header::HeaderValue::from_str(value.expose())
            .map_err(|_| format!("the value of header {name} is not valid"))?;
        value.set_sensitive(true);
        request = request.header(name.as_str(), value);
    }
    super::post(request.body(body)).await
}

/// The exact bytes sent: the incident's fields, then Vigie's.
pub fn body(notification: &Notification) -> Vec<u8> {
    let mut object = notification.incident.clone();
    object.insert("event".into(), notification.event.as_str().into());
    object.insert("summary".into(), notification.summary.clone().into());
    object.insert("detail".into(), notification.detail.clone().into());
    object.insert("schemaVersion".into(), SCHEMA_VERSION.into());
    serde_json::to_vec(&object).expect("a JSON map serializes")
}

/// `sha256=` and the hex HMAC-SHA256 of `body` keyed with `secret`.
pub fn signature(secret: &Secret, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::NotifyEvent;

    #[test]
    fn the_signature_is_the_hmac_sha256_of_the_body_bytes() {
        // RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            signature(&Secret::new("Jefe"), b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn the_body_is_the_incident_plus_the_event() {
        let incident = serde_json::json!({"id": "i1", "ruleId": "r1", "state": "open"});
        let n = Notification {
            event: NotifyEvent::Open,
            incident: incident.as_object().unwrap().clone(),
            summary: "core-sw1 unreachable".into(),
            detail: "since 12:00".into(),
        };
        let body: serde_json::Value = serde_json::from_slice(&body(&n)).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"id": "i1", "ruleId": "r1", "state": "open", "event": "open",
                "summary": "core-sw1 unreachable", "detail": "since 12:00", "schemaVersion": 1})
        );
    }
}
