//! The notifier end to end in one process: `send` to a real HTTP receiver on loopback, the
//! outbox's bound, and what a restart reads back.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

use super::*;
use crate::notify::channel::WebhookConfig;

/// A real HTTP receiver on loopback answering 200; answers the JSON bodies it got.
fn sink() -> (String, Arc<Mutex<Vec<serde_json::Value>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let seen = got.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut line, mut length) = (String::new(), 0);
            while reader.read_line(&mut line).unwrap() > 2 {
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
                line.clear();
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            seen.lock().unwrap().push(serde_json::from_slice(&body).unwrap());
            let _ = (&stream).write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (url, got)
}

fn notification(event: NotifyEvent) -> Notification {
    let incident = serde_json::json!({"id": "i1", "ruleId": "r1", "deviceId": "0000abcd", "state": "open"});
    Notification {
        event,
        incident: incident.as_object().unwrap().clone(),
        summary: "core-sw1 unreachable for 2 min (rule: Core down)".into(),
        detail: "host: 192.0.2.1".into(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn send_delivers_an_incident_s_notifications_in_order_and_deliveries_shows_them() {
    let dir = tempfile::tempdir().unwrap();
    let notifier = Arc::new(Notifier::open(dir.path(), NotifySettings::default(), Sink::new()).unwrap());
    let (url, got) = sink();
    let kind = ChannelKind::Webhook(WebhookConfig { url, secret: None, headers: Vec::new() });
    let hook = tokio::task::block_in_place(|| notifier.create_channel("hook".into(), kind)).unwrap();
    notifier.send(&[hook.id.clone(), ChannelId("0000dead".into())], notification(NotifyEvent::Open));
    notifier.send(std::slice::from_ref(&hook.id), notification(NotifyEvent::Resolved));
    assert_eq!(notifier.deliveries("i1").len(), 2, "queued at once, unknown channel skipped");
    let cancel = tokio_util::sync::CancellationToken::new();
    let worker = tokio::spawn(notifier.clone().run(cancel.clone()));
    for _ in 0..200 {
        if notifier.stats().delivered == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    cancel.cancel();
    worker.await.unwrap();
    let events: Vec<_> = got.lock().unwrap().iter().map(|b| b["event"].as_str().unwrap().to_string()).collect();
    assert_eq!(events, vec!["open", "resolved"]);
    let deliveries = notifier.deliveries("i1");
    assert!(deliveries.iter().all(|d| d.state == DeliveryState::Delivered && d.attempts == 1), "{deliveries:?}");
    assert!(notifier.deliveries("i2").is_empty());
    assert!(std::fs::read_dir(dir.path().join("notify/outbox")).unwrap().next().is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_outbox_drops_and_counts_and_pending_deliveries_are_read_back_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let settings = NotifySettings { outbox_max_bytes: 1500, ..NotifySettings::default() };
    let notifier = Notifier::open(dir.path(), settings.clone(), Sink::new()).unwrap();
    let kind =
        ChannelKind::Webhook(WebhookConfig { url: "http://127.0.0.1:9/".into(), secret: None, headers: Vec::new() });
    let hook = tokio::task::block_in_place(|| notifier.create_channel("hook".into(), kind)).unwrap();
    for _ in 0..10 {
        notifier.send(std::slice::from_ref(&hook.id), notification(NotifyEvent::Open));
    }
    let stats = notifier.stats();
    assert!(stats.pending >= 1 && stats.pending < 10, "{stats:?}");
    assert_eq!(stats.queued + stats.dropped, 10);
    assert!(stats.pending_bytes <= 1500, "{stats:?}");
    notifier.persist_fresh().await;
    let reopened = Notifier::open(dir.path(), settings, Sink::new()).unwrap();
    assert_eq!(reopened.stats().pending, stats.pending, "what was pending is read back");
    assert_eq!(reopened.channels(), vec![hook]);
}

/// Figures for the README (debug build unless run with --release): what `send` costs its caller,
/// the bytes one pending delivery takes, and how fast one channel drains to a loopback receiver
/// (each delivery written to disk, made, then removed). Run with
/// `cargo test -p vigie --lib notify::tests::measure -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread")]
#[ignore]
async fn measure_send_and_drain() {
    let dir = tempfile::tempdir().unwrap();
    let settings = NotifySettings { outbox_max_bytes: 256 * 1024 * 1024, ..NotifySettings::default() };
    let notifier = Arc::new(Notifier::open(dir.path(), settings, Sink::new()).unwrap());
    let (url, got) = sink();
    let kind = ChannelKind::Webhook(WebhookConfig { url, secret: Some("k".into()), headers: Vec::new() });
    let hook = tokio::task::block_in_place(|| notifier.create_channel("hook".into(), kind)).unwrap();
    let n = 2000;
    let started = std::time::Instant::now();
    for _ in 0..n {
        notifier.send(std::slice::from_ref(&hook.id), notification(NotifyEvent::Open));
    }
    let send_us = started.elapsed().as_secs_f64() * 1e6 / n as f64;
    let stats = notifier.stats();
    let cancel = tokio_util::sync::CancellationToken::new();
    let started = std::time::Instant::now();
    let worker = tokio::spawn(notifier.clone().run(cancel.clone()));
    while notifier.stats().delivered < n as u64 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let drain = started.elapsed();
    cancel.cancel();
    worker.await.unwrap();
    assert_eq!(got.lock().unwrap().len(), n);
    println!(
        "send: {send_us:.1} µs per call; one pending delivery: {} bytes; one channel drained {n} deliveries in {:.2} s ({:.0}/s)",
        stats.pending_bytes / n,
        drain.as_secs_f64(),
        n as f64 / drain.as_secs_f64()
    );
}
