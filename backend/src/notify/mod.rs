//! Notifications: the channels people are told through (webhook, Slack/Mattermost, email,
//! command), and the durable delivery of each notification to each channel. Alerting hands
//! notifications over with [`Notifier::send`], which never blocks: deliveries go to a bounded
//! outbox (what does not fit is dropped and counted), are written to disk by the store, made by
//! a supervised worker ([`Notifier::run`]) and retried with backoff for up to
//! `[notify] retry_hours`; they survive a restart. A delivery given up is an event in the log.
//! Channel secrets never leave this module but towards their receiver.

pub mod channel;
pub mod channels;
pub mod outbox;
mod worker;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{oneshot, Notify};

pub use channel::{Channel, ChannelId, ChannelKind};
pub use outbox::{Delivery, DeliveryState, RetryPolicy};

use crate::device::InvalidField;
use crate::logs::Sink;
use crate::store::channels_file::ChannelsFile;
use crate::store::outbox::OutboxDir;
use crate::store::{now_ms, StoreError};
use outbox::{Outbox, PendingRecord};

/// Why a notification is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum NotifyEvent {
    Open,
    Resolved,
    Reminder,
    Test,
}

impl NotifyEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyEvent::Open => "open",
            NotifyEvent::Resolved => "resolved",
            NotifyEvent::Reminder => "reminder",
            NotifyEvent::Test => "test",
        }
    }
}

/// What alerting asks to be told.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub event: NotifyEvent,
    /// The incident as the API shows it (alerts builds it): {"id","ruleId","deviceId","state",
    /// "openedAt","resolvedAt","flapping","acknowledged",...}; the webhook body is this object
    /// plus "event", "summary", "detail" and "schemaVersion".
    pub incident: serde_json::Map<String, serde_json::Value>,
    /// One line for humans: "core-sw1 unreachable for 2 min (rule: Core down)".
    pub summary: String,
    /// A few lines more (device, host, rule, since, reason, link to the UI).
    pub detail: String,
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("no alert channel with id {id}")]
    ChannelNotFound { id: String },
    #[error("there are already {limit} alert channels; remove one first")]
    TooManyChannels { limit: usize },
    #[error(transparent)]
    Invalid(#[from] InvalidField),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `[notify]`: how deliveries are made and retried.
#[derive(Clone, Debug, PartialEq)]
pub struct NotifySettings {
    pub retry: RetryPolicy,
    /// Bytes of pending deliveries (on disk, and as much in memory); past it new ones are dropped.
    pub outbox_max_bytes: usize,
    /// The deadline of one HTTP or SMTP attempt.
    pub attempt_timeout: Duration,
    /// The directory command channels' programs must live in; `None`: no command channels.
    pub command_dir: Option<PathBuf>,
}

impl Default for NotifySettings {
    fn default() -> Self {
        NotifySettings {
            retry: RetryPolicy::default(),
            outbox_max_bytes: 16 * 1024 * 1024,
            attempt_timeout: Duration::from_secs(10),
            command_dir: None,
        }
    }
}

/// Channels at most: each is a small record, but the list is read on every request.
pub const MAX_CHANNELS: usize = 256;
/// Attempts made at once, across channels.
const MAX_IN_FLIGHT: usize = 16;

/// Counters since start.
#[derive(Default, Debug)]
struct Counters {
    queued: AtomicU64,
    delivered: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
    attempts_failed: AtomicU64,
}

/// What `/status` shows of notifications.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NotifyStats {
    /// Deliveries accepted into the outbox since start.
    pub queued: u64,
    pub delivered: u64,
    /// Deliveries given up since start (last retry failed, or channel removed).
    pub failed: u64,
    /// Deliveries refused since start: the outbox was full.
    pub dropped: u64,
    /// Pending deliveries that failed at least once and wait for a retry.
    pub retrying: usize,
    pub pending: usize,
    pub pending_bytes: usize,
    pub max_bytes: usize,
    /// Attempts that failed since start (each retry counts).
    pub attempts_failed: u64,
    pub channels: usize,
}

/// The channels, the outbox and the delivery worker.
pub struct Notifier {
    settings: NotifySettings,
    channels: RwLock<BTreeMap<ChannelId, Channel>>,
    channels_file: ChannelsFile,
    /// Serialises the writers of the channels file (API handlers, on blocking threads).
    channels_writer: Mutex<()>,
    outbox: Mutex<Outbox>,
    outbox_dir: OutboxDir,
    /// Deliveries queued since the worker last wrote them to disk.
    fresh: Mutex<Vec<u64>>,
    wake: Notify,
    /// Callers waiting for a delivery's next attempt (the test button).
    waiters: Mutex<HashMap<String, oneshot::Sender<Delivery>>>,
    counters: Counters,
    sink: Arc<Sink>,
    ctx: channels::Context,
}

impl Notifier {
    /// Loads the channels and the pending deliveries from `data_dir` (blocking).
    pub fn open(data_dir: &std::path::Path, settings: NotifySettings, sink: Arc<Sink>) -> Result<Notifier, StoreError> {
        let channels_file = ChannelsFile::new(data_dir);
        let channels = channels_file.load()?.into_iter().map(|c| (c.id.clone(), c)).collect();
        let outbox_dir = OutboxDir::new(data_dir);
        let mut outbox = Outbox::new(settings.outbox_max_bytes);
        let pending = outbox_dir.load()?;
        if !pending.is_empty() {
            log::info!("{} notification deliveries were pending at the last stop; they are sent now.", pending.len());
        }
        pending.into_iter().for_each(|record| outbox.restore(record));
        let ctx = channels::Context::new(settings.attempt_timeout, settings.command_dir.clone());
        Ok(Notifier {
            settings,
            channels: RwLock::new(channels),
            channels_file,
            channels_writer: Mutex::new(()),
            outbox: Mutex::new(outbox),
            outbox_dir,
            fresh: Mutex::new(Vec::new()),
            wake: Notify::new(),
            waiters: Mutex::new(HashMap::new()),
            counters: Counters::default(),
            sink,
            ctx,
        })
    }

    pub fn settings(&self) -> &NotifySettings {
        &self.settings
    }

    /// Queues one delivery per channel; never blocks (bounded outbox, drops counted), returns
    /// at once. Unknown channels are skipped with a warning.
    pub fn send(&self, channel_ids: &[ChannelId], notification: Notification) {
        for channel_id in channel_ids {
            if self.channel(channel_id).is_none() {
                log::warn!("A notification names alert channel {channel_id}, which does not exist; skipped.");
                continue;
            }
            self.queue(channel_id, notification.clone());
        }
    }

    /// Queues one delivery; answers its id, or `None` when the outbox is full (counted).
    fn queue(&self, channel_id: &ChannelId, notification: Notification) -> Option<String> {
        self.queue_as(new_delivery_id(), channel_id, notification)
    }

    fn queue_as(&self, id: String, channel_id: &ChannelId, notification: Notification) -> Option<String> {
        let queued = {
            let mut outbox = self.outbox.lock().expect("outbox lock");
            let seq = outbox.next_seq();
            let record = PendingRecord::new(id.clone(), seq, channel_id.clone(), notification, now_ms());
            outbox.push(record).map(|()| seq)
        };
        match queued {
            Ok(seq) => {
                self.counters.queued.fetch_add(1, Ordering::Relaxed);
                self.fresh.lock().expect("fresh lock").push(seq);
                self.wake.notify_one();
                Some(id)
            }
            Err(full) => {
                let dropped = self.counters.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                log::error!(
                    "A notification for alert channel {channel_id} ({} bytes) was dropped: the outbox is full \
                     ([notify] outbox_mb); {dropped} dropped since start.",
                    full.bytes
                );
                None
            }
        }
    }

    /// Queues a `test` notification to one channel and waits (up to a bound) for its first
    /// attempt; a failed one stays queued and is retried like any other.
    pub async fn test(&self, channel_id: &ChannelId) -> Result<Delivery, NotifyError> {
        let channel =
            self.channel(channel_id).ok_or_else(|| NotifyError::ChannelNotFound { id: channel_id.0.clone() })?;
        let notification = test_notification(&channel);
        let (tell, told) = oneshot::channel();
        // Waiting before queuing: the attempt may end before `queue_as` returns.
        let id = new_delivery_id();
        self.waiters.lock().expect("waiters lock").insert(id.clone(), tell);
        if self.queue_as(id.clone(), channel_id, notification.clone()).is_none() {
            self.waiters.lock().expect("waiters lock").remove(&id);
            let record = PendingRecord::new(id, 0, channel_id.clone(), notification, now_ms());
            let mut delivery = Delivery::of(&record, DeliveryState::Failed);
            delivery.last_error = Some("the outbox is full ([notify] outbox_mb): nothing was sent".into());
            return Ok(delivery);
        }
        let bound = self.settings.attempt_timeout * 3 + Duration::from_secs(5);
        let answered = tokio::time::timeout(bound, told).await;
        self.waiters.lock().expect("waiters lock").remove(&id);
        if let Ok(Ok(delivery)) = answered {
            return Ok(delivery);
        }
        let found = self.outbox.lock().expect("outbox lock").deliveries(|d| d.id == id).into_iter().next();
        Ok(found.expect("a queued delivery is pending or finished"))
    }

    /// Every attempt made or pending for one incident, for the incident's `deliveries` field.
    pub fn deliveries(&self, incident_id: &str) -> Vec<Delivery> {
        self.outbox.lock().expect("outbox lock").deliveries(|d| d.incident_id.as_deref() == Some(incident_id))
    }

    /// A channel's recent deliveries, newest first (memory only).
    pub fn channel_deliveries(&self, channel_id: &ChannelId, limit: usize) -> Vec<Delivery> {
        let mut all = self.outbox.lock().expect("outbox lock").deliveries(|d| &d.channel_id == channel_id);
        all.truncate(limit);
        all
    }

    pub fn stats(&self) -> NotifyStats {
        let read = |n: &AtomicU64| n.load(Ordering::Relaxed);
        let outbox = self.outbox.lock().expect("outbox lock");
        NotifyStats {
            queued: read(&self.counters.queued),
            delivered: read(&self.counters.delivered),
            failed: read(&self.counters.failed),
            dropped: read(&self.counters.dropped),
            retrying: outbox.retrying_count(),
            pending: outbox.pending_count(),
            pending_bytes: outbox.bytes(),
            max_bytes: outbox.max_bytes(),
            attempts_failed: read(&self.counters.attempts_failed),
            channels: self.channels.read().expect("channels lock").len(),
        }
    }

    /// Every channel, ordered by id (memory only).
    pub fn channels(&self) -> Vec<Channel> {
        self.channels.read().expect("channels lock").values().cloned().collect()
    }

    /// One channel (memory only).
    pub fn channel(&self, id: &ChannelId) -> Option<Channel> {
        self.channels.read().expect("channels lock").get(id).cloned()
    }

    /// Adds a channel after checking it (blocking: writes the channels file).
    pub fn create_channel(&self, name: String, kind: ChannelKind) -> Result<Channel, NotifyError> {
        let channel = Channel { id: ChannelId::random(), name, created_at: crate::store::now_secs(), kind };
        channel.validate(self.settings.command_dir.as_deref())?;
        self.change_channels(|channels| {
            if channels.len() >= MAX_CHANNELS {
                return Err(NotifyError::TooManyChannels { limit: MAX_CHANNELS });
            }
            let mut channel = channel;
            while channels.contains_key(&channel.id) {
                channel.id = ChannelId::random();
            }
            channels.insert(channel.id.clone(), channel.clone());
            Ok(channel)
        })
    }

    /// Replaces a channel's name and settings after checking them (blocking).
    pub fn update_channel(
        &self,
        id: &ChannelId,
        change: impl FnOnce(Channel) -> Result<Channel, InvalidField>,
    ) -> Result<Channel, NotifyError> {
        let current = self.channel(id).ok_or_else(|| NotifyError::ChannelNotFound { id: id.0.clone() })?;
        let changed = change(current)?;
        changed.validate(self.settings.command_dir.as_deref())?;
        self.change_channels(|channels| {
            let slot = channels.get_mut(id).ok_or_else(|| NotifyError::ChannelNotFound { id: id.0.clone() })?;
            *slot = changed.clone();
            Ok(changed)
        })
    }

    /// Removes a channel (blocking); its pending deliveries fail at their next attempt.
    pub fn remove_channel(&self, id: &ChannelId) -> Result<Channel, NotifyError> {
        let removed = self.change_channels(|channels| {
            channels.remove(id).ok_or_else(|| NotifyError::ChannelNotFound { id: id.0.clone() })
        })?;
        self.wake.notify_one();
        Ok(removed)
    }

    /// Applies `change` to a copy, writes it, and shows it to readers only once written.
    fn change_channels<T>(
        &self,
        change: impl FnOnce(&mut BTreeMap<ChannelId, Channel>) -> Result<T, NotifyError>,
    ) -> Result<T, NotifyError> {
        let _writer = self.channels_writer.lock().expect("channels writer lock");
        let mut copy = self.channels.read().expect("channels lock").clone();
        let answer = change(&mut copy)?;
        self.channels_file.save(&copy.values().cloned().collect::<Vec<_>>())?;
        *self.channels.write().expect("channels lock") = copy;
        Ok(answer)
    }
}

/// 64 random bits in hex: a delivery's id, also its file's name.
fn new_delivery_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// What the test button sends.
fn test_notification(channel: &Channel) -> Notification {
    let mut incident = serde_json::Map::new();
    incident.insert("id".into(), serde_json::Value::Null);
    incident.insert("channelId".into(), channel.id.0.clone().into());
    Notification {
        event: NotifyEvent::Test,
        incident,
        summary: format!("Test notification from Vigie to channel {}", channel.name),
        detail: format!(
            "This is a test of the {} channel \"{}\" ({}). No incident is open.",
            channel.kind.type_name(),
            channel.name,
            channel.id
        ),
    }
}

#[cfg(test)]
mod tests;
