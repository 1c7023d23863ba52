//! The delivery worker: writes newly queued deliveries to disk, makes the due attempts (a few
//! at once, each bounded in time), and after each one removes the delivery, reschedules it with
//! backoff, or gives it up (an event in the log). Disk work runs on blocking threads; nothing
//! here waits on polling, nor polling on it.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::outbox::PendingRecord;
use super::{channels, Delivery, DeliveryState, Notifier, MAX_IN_FLIGHT};
use crate::shown::Shown;
use crate::store::logs::Severity;
use crate::store::now_ms;

/// The longest sleep between two looks at the outbox when nothing is due.
const IDLE_WAKE: Duration = Duration::from_secs(60);

impl Notifier {
    /// Delivers until `cancel`; run it under `crate::supervisor`. Attempts in flight when it
    /// stops are abandoned and made again at the next start (a receiver may see one twice: the
    /// `X-Vigie-Delivery` header tells).
    pub async fn run(self: Arc<Self>, cancel: CancellationToken) {
        self.outbox.lock().expect("outbox lock").release_all();
        let mut attempts: JoinSet<(PendingRecord, Result<(), String>)> = JoinSet::new();
        let mut running: HashMap<tokio::task::Id, PendingRecord> = HashMap::new();
        loop {
            self.persist_fresh().await;
            let room = MAX_IN_FLIGHT.saturating_sub(attempts.len());
            let due = self.outbox.lock().expect("outbox lock").take_due(now_ms(), room);
            for record in due {
                let channel = self.channel(&record.channel_id);
                let ctx = self.ctx.clone();
                let task_record = record.clone();
                let handle = attempts.spawn(async move {
                    let result = match channel {
                        Some(channel) => {
                            channels::deliver(&ctx, &channel, &task_record.id, &task_record.notification).await
                        }
                        None => Err(GONE.to_string()),
                    };
                    (task_record, result)
                });
                running.insert(handle.id(), record);
            }
            // With every slot busy, only a finished attempt can let more start.
            let next_due = match attempts.len() < MAX_IN_FLIGHT {
                true => self.outbox.lock().expect("outbox lock").next_due_ms(),
                false => None,
            };
            let sleep = next_due.map_or(IDLE_WAKE, |at| Duration::from_millis((at - now_ms()).max(0) as u64));
            tokio::select! {
                _ = cancel.cancelled() => return,
                done = attempts.join_next_with_id(), if !attempts.is_empty() => {
                    let (record, result) = match done {
                        Some(Ok((id, outcome))) => {
                            running.remove(&id);
                            outcome
                        }
                        Some(Err(e)) => {
                            let record = running.remove(&e.id()).expect("every attempt is tracked");
                            (record, Err(format!("the attempt failed inside Vigie ({e})")))
                        }
                        None => continue,
                    };
                    self.finish(record, result).await;
                }
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(sleep.min(IDLE_WAKE)) => {}
            }
        }
    }

    /// Writes the deliveries queued since the last look, those still pending.
    pub(super) async fn persist_fresh(&self) {
        let fresh = std::mem::take(&mut *self.fresh.lock().expect("fresh lock"));
        if fresh.is_empty() {
            return;
        }
        let records: Vec<PendingRecord> = {
            let outbox = self.outbox.lock().expect("outbox lock");
            fresh.iter().filter_map(|seq| outbox.pending_record(*seq)).collect()
        };
        for record in records {
            self.write(record).await;
        }
    }

    async fn write(&self, record: PendingRecord) {
        let dir = self.outbox_dir.clone();
        let id = record.id.clone();
        match tokio::task::spawn_blocking(move || dir.write(&record)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                log::error!("The pending notification {id} could not be written ({e}); it is kept in memory only.")
            }
            Err(e) => log::error!("Writing the pending notification {id} failed: {e}"),
        }
    }

    async fn remove(&self, id: &str) {
        let dir = self.outbox_dir.clone();
        let owned = id.to_string();
        match tokio::task::spawn_blocking(move || dir.remove(&owned)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => log::error!("The finished notification {id} could not be removed from disk ({e})."),
            Err(e) => log::error!("Removing the finished notification {id} failed: {e}"),
        }
    }

    /// Records one attempt's result: done, retried later, or given up.
    async fn finish(&self, mut record: PendingRecord, result: Result<(), String>) {
        let now = now_ms();
        record.attempts += 1;
        record.last_attempt_at_ms = Some(now);
        let channel_name = self.channel(&record.channel_id).map_or_else(|| record.channel_id.0.clone(), |c| c.name);
        let delivery = match result {
            Ok(()) => {
                record.last_error = None;
                self.counters.delivered.fetch_add(1, Ordering::Relaxed);
                log::info!(
                    "Notification {} ({}) delivered to alert channel {} after {} attempt(s).",
                    record.id,
                    record.notification.event.as_str(),
                    Shown(&channel_name),
                    record.attempts
                );
                let delivery = self.outbox.lock().expect("outbox lock").finish(&record, DeliveryState::Delivered);
                self.remove(&record.id).await;
                delivery
            }
            Err(error) => {
                self.counters.attempts_failed.fetch_add(1, Ordering::Relaxed);
                record.last_error = Some(error.clone());
                let next = (error != GONE).then(|| self.settings.retry.next_attempt_ms(&record, now)).flatten();
                match next {
                    Some(at) => {
                        record.next_attempt_at_ms = at;
                        log::warn!(
                            "Notification {} to alert channel {} failed (attempt {}): {}; next attempt in {} s.",
                            record.id,
                            Shown(&channel_name),
                            record.attempts,
                            Shown(&error),
                            (at - now) / 1000
                        );
                        self.outbox.lock().expect("outbox lock").reschedule(record.clone());
                        self.write(record.clone()).await;
                        Delivery::of(&record, DeliveryState::Pending)
                    }
                    None => self.give_up(record, &channel_name, &error).await,
                }
            }
        };
        if let Some(waiter) = self.waiters.lock().expect("waiters lock").remove(&delivery.id) {
            let _ = waiter.send(delivery);
        }
    }

    async fn give_up(&self, record: PendingRecord, channel_name: &str, error: &str) -> Delivery {
        self.counters.failed.fetch_add(1, Ordering::Relaxed);
        let n = &record.notification;
        let message = format!(
            "Notification ({}) \"{}\" to alert channel {} failed after {} attempt(s); last error: {}",
            n.event.as_str(),
            n.summary,
            channel_name,
            record.attempts,
            error
        );
        log::error!("{}", Shown(&message));
        // On the incident's device's log too, when the incident names one.
        let device = n.incident.get("deviceId").and_then(|v| v.as_str()).and_then(crate::device::DeviceId::parse);
        self.sink.event(device.as_ref(), Severity::Error, message, Vec::new());
        let delivery = self.outbox.lock().expect("outbox lock").finish(&record, DeliveryState::Failed);
        self.remove(&record.id).await;
        delivery
    }
}

/// The error of a delivery whose channel was removed: not retried.
const GONE: &str = "the alert channel was removed";
