//! The deliveries waiting to be made, in memory (their copy on disk is the store's
//! [`crate::store::outbox::OutboxDir`]), bounded in bytes; the retry schedule; and the results
//! of the last finished deliveries. Pure bookkeeping: no I/O, no clock of its own.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{ChannelId, Notification};

/// One delivery of one notification to one channel, as kept on disk until it is delivered or
/// given up. Holds no channel secret: the channel is looked up at each attempt.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PendingRecord {
    pub id: String,
    /// Order of arrival: a channel's deliveries are made in this order.
    pub seq: u64,
    pub channel_id: ChannelId,
    pub notification: Notification,
    pub created_at_ms: i64,
    pub attempts: u32,
    pub next_attempt_at_ms: i64,
    pub last_attempt_at_ms: Option<i64>,
    pub last_error: Option<String>,
}

impl PendingRecord {
    pub fn new(id: String, seq: u64, channel_id: ChannelId, notification: Notification, now_ms: i64) -> Self {
        PendingRecord {
            id,
            seq,
            channel_id,
            notification,
            created_at_ms: now_ms,
            attempts: 0,
            next_attempt_at_ms: now_ms,
            last_attempt_at_ms: None,
            last_error: None,
        }
    }

    /// Bytes it takes on disk (and about as many in memory).
    pub fn size_bytes(&self) -> usize {
        serde_json::to_vec(self).map_or(0, |v| v.len())
    }

    pub fn incident_id(&self) -> Option<&str> {
        self.notification.incident.get("id").and_then(|v| v.as_str())
    }

    /// Test notifications jump the queue: they do not wait behind a channel's earlier ones.
    fn keeps_order(&self) -> bool {
        self.notification.event != super::NotifyEvent::Test
    }
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    /// Not made yet, or failed and to be retried.
    Pending,
    Delivered,
    /// Given up: the last retry failed, or the channel was removed.
    Failed,
}

/// A delivery and its attempts, as `deliveries()` and the API show it.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    pub id: String,
    pub channel_id: ChannelId,
    pub incident_id: Option<String>,
    pub event: super::NotifyEvent,
    pub state: DeliveryState,
    pub attempts: u32,
    pub created_at: i64,
    pub last_attempt_at: Option<i64>,
    pub next_attempt_at: Option<i64>,
    pub last_error: Option<String>,
}

impl Delivery {
    pub fn of(record: &PendingRecord, state: DeliveryState) -> Delivery {
        Delivery {
            id: record.id.clone(),
            channel_id: record.channel_id.clone(),
            incident_id: record.incident_id().map(str::to_string),
            event: record.notification.event,
            state,
            attempts: record.attempts,
            created_at: record.created_at_ms.div_euclid(1000),
            last_attempt_at: record.last_attempt_at_ms.map(|ms| ms.div_euclid(1000)),
            next_attempt_at: (state == DeliveryState::Pending).then(|| record.next_attempt_at_ms.div_euclid(1000)),
            last_error: record.last_error.clone(),
        }
    }
}

/// When to try again after a failure, and for how long at all.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    /// The wait after the first failure; each next one doubles, up to `max_wait`.
    pub first_wait: Duration,
    pub max_wait: Duration,
    /// No attempt starts later than this after the notification was queued.
    pub give_up_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            first_wait: Duration::from_secs(10),
            max_wait: Duration::from_secs(600),
            give_up_after: Duration::from_secs(24 * 3600),
        }
    }
}

impl RetryPolicy {
    /// The wait after the `failures`-th failed attempt (1 for the first).
    pub fn wait_after(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(30);
        self.first_wait.saturating_mul(1 << doublings).min(self.max_wait)
    }

    /// When to attempt next after a failure at `now_ms`; `None` to give up.
    pub fn next_attempt_ms(&self, record: &PendingRecord, now_ms: i64) -> Option<i64> {
        let next = now_ms + self.wait_after(record.attempts).as_millis() as i64;
        (next - record.created_at_ms <= self.give_up_after.as_millis() as i64).then_some(next)
    }
}

/// Finished deliveries remembered for the API.
const FINISHED_KEPT: usize = 2000;

struct Entry {
    record: PendingRecord,
    bytes: usize,
    in_flight: bool,
}

/// The pending deliveries (bounded in bytes) and the last finished ones.
pub struct Outbox {
    pending: BTreeMap<u64, Entry>,
    bytes: usize,
    max_bytes: usize,
    finished: VecDeque<Delivery>,
    next_seq: u64,
}

/// Why a delivery was not queued.
#[derive(Debug, PartialEq)]
pub struct Full {
    pub bytes: usize,
}

impl Outbox {
    pub fn new(max_bytes: usize) -> Outbox {
        Outbox { pending: BTreeMap::new(), bytes: 0, max_bytes, finished: VecDeque::new(), next_seq: 1 }
    }

    /// The next sequence number.
    pub fn next_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// Queues a delivery, or refuses it when it does not fit: the ones queued first are kept
    /// (a channel's notifications go out in order; the newest is dropped, and counted).
    pub fn push(&mut self, record: PendingRecord) -> Result<(), Full> {
        let bytes = record.size_bytes();
        if self.bytes + bytes > self.max_bytes {
            return Err(Full { bytes });
        }
        self.insert(record, bytes);
        Ok(())
    }

    /// Takes back a delivery read from disk at start, whatever the bound (it was accepted).
    pub fn restore(&mut self, record: PendingRecord) {
        let bytes = record.size_bytes();
        self.next_seq = self.next_seq.max(record.seq + 1);
        self.insert(record, bytes);
    }

    fn insert(&mut self, record: PendingRecord, bytes: usize) {
        self.bytes += bytes;
        self.pending.insert(record.seq, Entry { record, bytes, in_flight: false });
    }

    /// Deliveries due at `now_ms`, marked in flight: a channel's first pending notification
    /// only (they go out in order), and test notifications whenever due; at most `limit`.
    pub fn take_due(&mut self, now_ms: i64, limit: usize) -> Vec<PendingRecord> {
        let mut busy: HashSet<ChannelId> = HashSet::new();
        let mut due = Vec::new();
        for entry in self.pending.values_mut() {
            let ordered = entry.record.keeps_order();
            if ordered && !busy.insert(entry.record.channel_id.clone()) {
                continue; // an earlier notification of this channel goes first
            }
            if due.len() < limit && !entry.in_flight && entry.record.next_attempt_at_ms <= now_ms {
                entry.in_flight = true;
                due.push(entry.record.clone());
            }
        }
        due
    }

    /// A pending delivery's record.
    pub fn pending_record(&self, seq: u64) -> Option<PendingRecord> {
        self.pending.get(&seq).map(|e| e.record.clone())
    }

    /// When the next delivery [`Outbox::take_due`] would give is due (none while every
    /// channel's first is in flight).
    pub fn next_due_ms(&self) -> Option<i64> {
        let mut first = HashSet::new();
        let eligible = self.pending.values().filter(|e| !e.record.keeps_order() || first.insert(&e.record.channel_id));
        eligible.filter(|e| !e.in_flight).map(|e| e.record.next_attempt_at_ms).min()
    }

    /// Puts a delivery back after a failed attempt (its record updated), no longer in flight.
    pub fn reschedule(&mut self, record: PendingRecord) {
        if let Some(entry) = self.pending.get_mut(&record.seq) {
            let bytes = record.size_bytes();
            self.bytes = self.bytes - entry.bytes + bytes;
            *entry = Entry { record, bytes, in_flight: false };
        }
    }

    /// Removes a delivery that is done, remembering how it ended.
    pub fn finish(&mut self, record: &PendingRecord, state: DeliveryState) -> Delivery {
        if let Some(entry) = self.pending.remove(&record.seq) {
            self.bytes -= entry.bytes;
        }
        let delivery = Delivery::of(record, state);
        if self.finished.len() == FINISHED_KEPT {
            self.finished.pop_front();
        }
        self.finished.push_back(delivery.clone());
        delivery
    }

    /// Forgets that deliveries were in flight (their worker stopped): they are due again.
    pub fn release_all(&mut self) {
        self.pending.values_mut().for_each(|e| e.in_flight = false);
    }

    /// Every delivery, pending then finished, that `keep` selects; newest first.
    pub fn deliveries(&self, keep: impl Fn(&Delivery) -> bool) -> Vec<Delivery> {
        let pending = self.pending.values().map(|e| Delivery::of(&e.record, DeliveryState::Pending));
        let mut all: Vec<Delivery> = pending.chain(self.finished.iter().cloned()).filter(|d| keep(d)).collect();
        all.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| b.id.cmp(&a.id)));
        all
    }

    pub fn pending_count(&self) -> usize {
        self.pending.len()
    }

    /// Pending deliveries that failed at least once.
    pub fn retrying_count(&self) -> usize {
        self.pending.values().filter(|e| e.record.attempts > 0).count()
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::NotifyEvent;

    fn notification(event: NotifyEvent, incident: &str) -> Notification {
        let mut map = serde_json::Map::new();
        map.insert("id".into(), incident.into());
        Notification { event, incident: map, summary: "core-sw1 unreachable".into(), detail: String::new() }
    }

    fn record(outbox: &mut Outbox, channel: &str, event: NotifyEvent) -> PendingRecord {
        let seq = outbox.next_seq();
        PendingRecord::new(format!("d{seq}"), seq, ChannelId(channel.into()), notification(event, "i1"), 1_000)
    }

    #[test]
    fn the_backoff_doubles_from_the_first_wait_up_to_the_maximum() {
        let policy = RetryPolicy::default();
        let waits: Vec<u64> = (1..=9).map(|n| policy.wait_after(n).as_secs()).collect();
        assert_eq!(waits, vec![10, 20, 40, 80, 160, 320, 600, 600, 600]);
        assert_eq!(policy.wait_after(u32::MAX).as_secs(), 600, "no overflow");
    }

    #[test]
    fn retries_stop_once_the_next_would_start_past_the_window() {
        let policy = RetryPolicy { give_up_after: Duration::from_secs(60), ..RetryPolicy::default() };
        let mut outbox = Outbox::new(1 << 20);
        let mut r = record(&mut outbox, "c1", NotifyEvent::Open);
        r.attempts = 1;
        assert_eq!(policy.next_attempt_ms(&r, 1_000), Some(11_000));
        r.attempts = 3; // waits 40 s
        assert_eq!(policy.next_attempt_ms(&r, 21_000), Some(61_000), "exactly at the window's end");
        assert_eq!(policy.next_attempt_ms(&r, 22_000), None);
    }

    #[test]
    fn the_outbox_is_bounded_in_bytes_and_keeps_what_came_first() {
        let mut outbox = Outbox::new(0);
        let one = record(&mut outbox, "c1", NotifyEvent::Open);
        let size = one.size_bytes();
        let mut outbox = Outbox::new(size * 2 + size / 2);
        for _ in 0..2 {
            let r = record(&mut outbox, "c1", NotifyEvent::Open);
            assert_eq!(outbox.push(r), Ok(()));
        }
        let third = record(&mut outbox, "c1", NotifyEvent::Open);
        assert!(outbox.push(third).is_err(), "the newest is refused");
        assert_eq!((outbox.pending_count(), outbox.bytes()), (2, 2 * size));
        let first = outbox.take_due(1_000, 10).remove(0);
        outbox.finish(&first, DeliveryState::Delivered);
        assert_eq!(outbox.bytes(), size, "a finished delivery frees its bytes");
    }

    #[test]
    fn a_channel_s_notifications_go_out_in_order_and_tests_jump_the_queue() {
        let mut outbox = Outbox::new(1 << 20);
        for (channel, event) in [("c1", NotifyEvent::Open), ("c1", NotifyEvent::Resolved), ("c2", NotifyEvent::Open)] {
            let r = record(&mut outbox, channel, event);
            outbox.push(r).unwrap();
        }
        let test = record(&mut outbox, "c1", NotifyEvent::Test);
        outbox.push(test).unwrap();
        let due: Vec<u64> = outbox.take_due(1_000, 10).iter().map(|r| r.seq).collect();
        assert_eq!(due, vec![1, 3, 4], "c1's resolve waits for its open");
        assert!(outbox.take_due(1_000, 10).is_empty(), "nothing twice while in flight");
        let mut open = outbox.pending[&1].record.clone();
        open.attempts = 1;
        open.next_attempt_at_ms = 5_000;
        outbox.reschedule(open);
        assert!(outbox.take_due(2_000, 10).is_empty(), "the resolve still waits behind the retried open");
        assert_eq!(outbox.next_due_ms(), Some(5_000), "not the resolve's time: it is not eligible");
        assert_eq!(outbox.retrying_count(), 1);
        let open = outbox.take_due(5_000, 10).remove(0);
        outbox.finish(&open, DeliveryState::Delivered);
        assert_eq!(outbox.take_due(5_000, 10)[0].seq, 2);
        let for_incident = outbox.deliveries(|d| d.incident_id.as_deref() == Some("i1"));
        assert_eq!(for_incident.len(), 4, "pending and finished");
    }
}
