//! `vigie_remote_write_*`: each remote-write target's queue and traffic, labelled `target`
//! (the same figures as `/status`'s `remoteWrite`).

use super::exposition::{Exposition, Kind};
use crate::export::TargetStatus;

/// Writes the remote-write families; nothing when no target is configured.
/// A family: its name, help and how a target's value is read.
type Family<T> = (&'static str, &'static str, fn(&TargetStatus) -> T);

pub fn write(out: &mut Exposition, targets: &[TargetStatus]) {
    if targets.is_empty() {
        return;
    }
    let gauges: [Family<f64>; 4] = [
        ("vigie_remote_write_queue_bytes", "Bytes of the target's queue on disk.", |t| t.queue.bytes as f64),
        ("vigie_remote_write_queue_segments", "Segment files holding requests not sent yet.", |t| {
            t.queue.segments as f64
        }),
        ("vigie_remote_write_queue_samples", "Samples queued for the target, not sent yet.", |t| {
            t.queue.samples as f64
        }),
        (
            "vigie_remote_write_lag_seconds",
            "Seconds since the oldest sample not sent to the target was taken (0 when all are sent).",
            |t| t.lag_secs,
        ),
    ];
    for (name, help, value) in gauges {
        out.family(name, Kind::Gauge, help);
        for target in targets {
            out.sample(name, &[("target", &target.name)], value(target));
        }
    }
    let counters: [Family<u64>; 4] = [
        ("vigie_remote_write_samples_sent_total", "Samples the target acknowledged.", |t| t.samples_sent),
        ("vigie_remote_write_bytes_sent_total", "Compressed request bytes the target acknowledged.", |t| t.bytes_sent),
        (
            "vigie_remote_write_failures_total",
            "Requests that failed and are retried (connection errors, 5xx, 429).",
            |t| t.attempts_failed,
        ),
        ("vigie_remote_write_segments_dropped_total", "Queue segments dropped at the queue's bound.", |t| {
            t.segments_dropped
        }),
    ];
    for (name, help, value) in counters {
        out.family(name, Kind::Counter, help);
        for target in targets {
            out.sample(name, &[("target", &target.name)], value(target));
        }
    }
    let name = "vigie_remote_write_samples_dropped_total";
    out.family(name, Kind::Counter, "Samples never sent: the queue's bound (queue_full), refused by the target (rejected), or the hand-off from the store full (handoff).");
    for target in targets {
        for (reason, value) in [
            ("queue_full", target.samples_dropped),
            ("rejected", target.samples_rejected),
            ("handoff", target.samples_dropped_handoff),
        ] {
            out.sample(name, &[("target", &target.name), ("reason", reason)], value);
        }
    }
}
