//! Alert channels against real receivers started by each test (an HTTP sink on a free loopback
//! port, aiosmtpd, a script), created through the API of the real binary. Until alerting
//! exists, deliveries are triggered by `POST /alert-channels/{id}/test`, which queues a test
//! notification through the same durable outbox an incident's would take.

pub mod sink;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::vigie::Vigie;
use sink::{HttpSink, SmtpSink};

const WAIT: Duration = Duration::from_secs(30);
const WEBHOOK_SECRET: &str = "whsec-Integration-7f3a";
const HEADER_SECRET: &str = "Bearer hdr-Secret-91c2";
const SLACK_PATH: &str = "/services/T0001/B0001/SlackSecret4d2e";
const SMTP_PASSWORD: &str = "smtp-Passw0rd-e81b";

/// Vigie with short retries (1 s) and a command directory, over `dir/data`.
fn start(dir: &Path) -> Vigie {
    let commands = dir.join("commands");
    std::fs::create_dir_all(&commands).unwrap();
    let config = dir.join("vigie.toml");
    let text = format!(
        "[notify]\nretry_first_secs = 1\nretry_max_secs = 1\ntimeout_secs = 5\ncommand_dir = \"{}\"\n",
        commands.display()
    );
    std::fs::write(&config, text).unwrap();
    Vigie::start_with(&dir.join("data"), &["--config", config.to_str().unwrap()])
}

fn create(vigie: &Vigie, body: Value) -> String {
    let answer = vigie.post_json("/api/v1/alert-channels", &body);
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.body["id"].as_str().unwrap().to_string()
}

fn test(vigie: &Vigie, id: &str) -> Value {
    let answer = vigie.post_json(&format!("/api/v1/alert-channels/{id}/test"), &json!({}));
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body
}

fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_webhook_is_signed_slack_is_readable_and_no_secret_is_ever_shown() {
    let dir = tempfile::tempdir().unwrap();
    let vigie = start(dir.path());
    let sink = HttpSink::start(&[]);
    let hook = create(
        &vigie,
        json!({"name": "NOC hook", "type": "webhook", "url": sink.url("/hook"), "secret": WEBHOOK_SECRET,
               "headers": {"Authorization": HEADER_SECRET}}),
    );
    let result = test(&vigie, &hook);
    assert_eq!(result["delivered"], true, "{result}");
    assert_eq!(
        (result["delivery"]["state"].as_str(), result["delivery"]["attempts"].as_u64()),
        (Some("delivered"), Some(1))
    );
    let got = sink.wait_for(1, WAIT).remove(0);
    assert_eq!(got.path, "/hook");
    let expected = format!("sha256={}", hmac_hex(WEBHOOK_SECRET, &got.body));
    assert_eq!(got.header("x-vigie-signature"), Some(expected.as_str()), "the HMAC of the exact body bytes");
    assert_eq!(got.header("authorization"), Some(HEADER_SECRET));
    assert_eq!(got.header("x-vigie-event"), Some("test"));
    let body = got.json();
    assert_eq!((body["event"].as_str(), body["schemaVersion"].as_u64()), (Some("test"), Some(1)));
    assert!(body["summary"].as_str().unwrap().contains("NOC hook"), "{body}");

    let slack = create(&vigie, json!({"name": "#noc", "type": "slack", "url": sink.url(SLACK_PATH)}));
    assert_eq!(test(&vigie, &slack)["delivered"], true);
    let got = sink.wait_for(2, WAIT).remove(1);
    assert_eq!(got.path, SLACK_PATH);
    let text = got.json()["text"].as_str().unwrap().to_string();
    assert!(text.starts_with(":white_check_mark: *TEST* Test notification from Vigie to channel #noc"), "{text}");

    let mail = create(
        &vigie,
        json!({"name": "mail", "type": "email", "smtpHost": "smtp.example.net", "username": "vigie",
               "password": SMTP_PASSWORD, "from": "vigie@example.net", "to": ["noc@example.net"]}),
    );
    // Secrets are write-only: what is set is said, never shown, in any answer or log line.
    let listed = vigie.get("/api/v1/alert-channels");
    let renamed = vigie.patch_json(&format!("/api/v1/alert-channels/{hook}"), &json!({"name": "NOC hook 2"}));
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    assert_eq!(
        (renamed.body["secretSet"].as_bool(), renamed.body["headerNames"].clone()),
        (Some(true), json!(["Authorization"]))
    );
    let one = vigie.get(&format!("/api/v1/alert-channels/{slack}"));
    assert_eq!((one.body["urlSet"].as_bool(), one.body["urlHost"].as_str()), (Some(true), Some("127.0.0.1")));
    assert_eq!(vigie.get(&format!("/api/v1/alert-channels/{mail}")).body["passwordSet"], true);
    let deliveries = vigie.get(&format!("/api/v1/alert-channels/{hook}/deliveries"));
    assert_eq!(deliveries.body.as_array().unwrap().len(), 1, "{}", deliveries.text);
    let answers = [listed.text, renamed.text, one.text, deliveries.text, vigie.get("/api/v1/status").text];
    for secret in [WEBHOOK_SECRET, HEADER_SECRET, "SlackSecret4d2e", SMTP_PASSWORD] {
        assert!(answers.iter().all(|a| !a.contains(secret)), "{secret} in an answer");
        assert!(!vigie.log().contains(secret), "{secret} in the debug log");
    }
    let file = dir.path().join("data/alert-channels.json");
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
}

#[test]
fn fields_are_checked_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let vigie = start(dir.path());
    let cases = [
        (json!({"name": "x", "type": "webhook", "url": "ftp://127.0.0.1/"}), "url"),
        (json!({"name": "x", "type": "slack"}), "url"),
        (json!({"name": "x", "type": "email", "smtpHost": "h", "from": "vigie", "to": ["a@b.example"]}), "from"),
        (json!({"name": "x", "type": "email", "smtpHost": "h", "from": "v@b.example", "to": ["nope"]}), "to"),
        (json!({"name": "x", "type": "command", "program": "/bin/sh"}), "program"),
        (json!({"name": "x", "type": "pager"}), "type"),
        (json!({"name": "x", "type": "slack", "url": "https://h/", "smtpPort": 25}), "smtpPort"),
    ];
    for (body, field) in cases {
        let answer = vigie.post_json("/api/v1/alert-channels", &body);
        assert_eq!((answer.status, answer.body["field"].as_str()), (422, Some(field)), "{body}: {}", answer.text);
    }
    let missing = vigie.get("/api/v1/alert-channels/0000beef");
    assert_eq!((missing.status, missing.body["code"].as_str()), (404, Some("channel_not_found")));
}

#[test]
fn a_receiver_failing_three_times_gets_the_notification_once() {
    let dir = tempfile::tempdir().unwrap();
    let vigie = start(dir.path());
    let sink = HttpSink::start(&[500, 500, 500]);
    let hook = create(&vigie, json!({"name": "flaky", "type": "webhook", "url": sink.url("/"), "secret": "k"}));
    let first = test(&vigie, &hook);
    assert_eq!(first["delivered"], false);
    let delivery = &first["delivery"];
    assert_eq!(delivery["state"], "pending", "a failed attempt is retried: {first}");
    assert!(delivery["lastError"].as_str().unwrap().contains("HTTP 500"), "{first}");
    assert!(delivery["nextAttemptAt"].is_i64(), "{first}");
    let got = sink.wait_for(4, WAIT);
    assert_eq!(got.iter().map(|r| r.answered).collect::<Vec<_>>(), vec![500, 500, 500, 200]);
    let ids: Vec<_> = got.iter().map(|r| r.header("x-vigie-delivery").unwrap().to_string()).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "one delivery, retried: {ids:?}");
    let mut vigie = vigie;
    let path = format!("/api/v1/alert-channels/{hook}/deliveries");
    let done = vigie.wait_until(WAIT, "the delivery is delivered", |v| {
        let list = v.get(&path).body;
        (list[0]["state"] == "delivered").then_some(list)
    });
    assert_eq!((done[0]["attempts"].as_u64(), done[0]["lastError"].clone()), (Some(4), Value::Null));
    std::thread::sleep(Duration::from_secs(3)); // three retry periods: nothing more may come
    assert_eq!(sink.received().len(), 4, "delivered once, never again");
    let notify = vigie.get("/api/v1/status").body["notify"].clone();
    assert_eq!((notify["delivered"].as_u64(), notify["attemptsFailed"].as_u64()), (Some(1), Some(3)), "{notify}");
    assert_eq!((notify["pending"].as_u64(), notify["retrying"].as_u64()), (Some(0), Some(0)), "{notify}");
    let metrics = vigie.get("/metrics").text;
    assert!(metrics.contains("\nvigie_notify_delivered_total 1\n"), "{metrics}");
    assert!(metrics.contains("\nvigie_notify_pending 0\n"), "{metrics}");
    assert!(std::fs::read_dir(dir.path().join("data/notify/outbox")).unwrap().next().is_none(), "the outbox is empty");
}

#[test]
fn email_reaches_a_real_smtp_server() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpSink::start(dir.path());
    let vigie = start(dir.path());
    let mail = create(
        &vigie,
        json!({"name": "NOC mail", "type": "email", "smtpHost": "127.0.0.1", "smtpPort": smtp.port, "tls": "none",
               "from": "vigie@example.net", "to": ["noc@example.net", "oncall@example.net"]}),
    );
    let result = test(&vigie, &mail);
    assert_eq!(result["delivered"], true, "{result}");
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let message = &messages[0];
    assert!(message.contains("Subject: [Vigie] TEST: Test notification from Vigie to channel NOC mail"), "{message}");
    assert!(message.contains("To: noc@example.net, oncall@example.net"), "{message}");
    assert!(message.contains("X-RcptTo: noc@example.net, oncall@example.net"), "{message}");
    assert!(message.contains("This is a test of the email channel \"NOC mail\""), "{message}");

    // STARTTLS asked of a server that does not offer it: refused, never sent in clear.
    let strict = create(
        &vigie,
        json!({"name": "strict", "type": "email", "smtpHost": "127.0.0.1", "smtpPort": smtp.port, "tls": "starttls",
               "from": "vigie@example.net", "to": ["noc@example.net"]}),
    );
    let result = test(&vigie, &strict);
    assert_eq!(result["delivered"], false, "{result}");
    assert!(result["delivery"]["lastError"].as_str().unwrap().contains("STARTTLS is not supported"), "{result}");
    assert_eq!(smtp.messages().len(), 1, "nothing more arrived");
}

#[test]
fn a_command_channel_gets_the_notification_on_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let vigie = start(dir.path());
    let script = dir.path().join("commands/save.sh");
    std::fs::write(&script, "#!/bin/sh\ncat > \"$1\"\necho \"$VIGIE_EVENT\" > \"$1.event\"\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = dir.path().join("got.json");
    let id =
        create(&vigie, json!({"name": "save", "type": "command", "program": script, "args": [out], "timeoutSecs": 10}));
    assert_eq!(test(&vigie, &id)["delivered"], true);
    let got: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!((got["event"].as_str(), got["schemaVersion"].as_u64()), (Some("test"), Some(1)));
    assert_eq!(std::fs::read_to_string(out.with_extension("json.event")).unwrap(), "test\n");
    let failing = dir.path().join("commands/fail.sh");
    std::fs::write(&failing, "#!/bin/sh\necho 'pager gateway down' >&2\nexit 2\n").unwrap();
    std::fs::set_permissions(&failing, std::fs::Permissions::from_mode(0o755)).unwrap();
    let id = create(&vigie, json!({"name": "fail", "type": "command", "program": failing}));
    let result = test(&vigie, &id);
    assert_eq!(result["delivered"], false);
    assert!(result["delivery"]["lastError"].as_str().unwrap().contains("pager gateway down"), "{result}");
}

#[test]
fn a_delivery_pending_when_vigie_is_killed_is_sent_after_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut vigie = start(dir.path());
    // Nothing listens on the port yet: every attempt is refused.
    let port = crate::vigie::free_tcp_port();
    let hook = create(
        &vigie,
        json!({"name": "later", "type": "webhook", "url": format!("http://127.0.0.1:{port}/late"), "secret": "k"}),
    );
    let result = test(&vigie, &hook);
    assert_eq!((result["delivered"].as_bool(), result["delivery"]["state"].as_str()), (Some(false), Some("pending")));
    vigie.kill9();
    let sink = HttpSink::start_on(std::net::TcpListener::bind(("127.0.0.1", port)).unwrap(), &[]);
    let vigie = start(dir.path());
    let got = sink.wait_for(1, WAIT);
    assert_eq!((got[0].path.as_str(), got[0].json()["event"].as_str()), ("/late", Some("test")));
    let mut vigie = vigie;
    vigie.wait_until(WAIT, "the delivery is counted", |v| {
        (v.get("/api/v1/status").body["notify"]["delivered"] == 1).then_some(())
    });
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(sink.received().len(), 1, "once");
}

#[test]
fn a_delivery_given_up_is_an_event_in_the_log_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut vigie = start(dir.path());
    let port = crate::vigie::free_tcp_port(); // nothing listens: every attempt is refused
    let url = format!("http://127.0.0.1:{port}/");
    let hook = create(&vigie, json!({"name": "gone soon", "type": "webhook", "url": url}));
    assert_eq!(test(&vigie, &hook)["delivery"]["state"], "pending");
    assert_eq!(vigie.delete(&format!("/api/v1/alert-channels/{hook}")).status, 204);
    vigie.wait_until(WAIT, "the delivery is given up", |v| {
        (v.get("/api/v1/status").body["notify"]["failed"] == 1).then_some(())
    });
    let events = vigie.wait_until(WAIT, "the event is written", |v| {
        let page = v.get("/api/v1/logs?source=event&q=gone%20soon").body;
        page["entries"].as_array().filter(|e| !e.is_empty()).cloned()
    });
    let message = events[0]["message"].as_str().unwrap();
    assert!(message.contains("failed after 2 attempt(s); last error: the alert channel was removed"), "{message}");
    assert_eq!(events[0]["severity"], 3, "error: {}", events[0]);
    assert!(std::fs::read_dir(dir.path().join("data/notify/outbox")).unwrap().next().is_none());
}
