//! A poller's link to its primary: fetches its shard's devices (with their credentials) from
//! `GET /api/v1/poller/devices?shard=I/N`, listens to `GET /api/v1/poller/changes` and fetches
//! again (`If-None-Match`) at every `devices` event, and reconciles what it polls: starts the
//! devices added or changed, stops those gone. A lost stream is retried with backoff while the
//! pollers keep polling the last known set (kept in the poller's own store across restarts).
//! Every wait is bounded; the token is sent, never logged.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{ETAG, IF_NONE_MATCH};
use reqwest::StatusCode;
use tokio_util::sync::CancellationToken;

use super::primary::Primary;
use super::Shard;
use crate::api::views::poller::PollerFeed;
use crate::config::cluster::PollerSettings;
use crate::device::Device;
use crate::poller::FirstPoll;
use crate::poller::Scheduler;
use crate::store::Store;

/// A feed larger than this is refused (about 100,000 devices).
const MAX_FEED_BYTES: usize = 64 * 1024 * 1024;
/// An event frame larger than this ends the stream (the primary's are a few bytes).
const MAX_FRAME_BYTES: usize = 64 * 1024;
/// The primary sends a comment every 15 s: a silent stream past this is dead.
const STREAM_SILENCE: Duration = Duration::from_secs(45);
/// Fetched this often even when no event came (an event lost to a lagging stream).
const REFETCH_EVERY: Duration = Duration::from_secs(60);
/// Events that come this close together are fetched for once.
const SETTLE: Duration = Duration::from_millis(250);
const FETCH_TIMEOUT: Duration = Duration::from_secs(60);
const BACKOFF_MIN: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// What the feed did, for `/status`.
#[derive(Default)]
pub struct FeedStats {
    /// Devices of the shard as last fetched.
    pub devices: AtomicU64,
    /// Unix seconds of the last fetch that answered (200 or 304); 0: none yet.
    pub last_fetch_at: AtomicI64,
    pub fetches_failed: AtomicU64,
    pub stream_connected: AtomicBool,
    pub stream_reconnects: AtomicU64,
}

/// Why a fetch failed, said once per change in the log.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FeedError {
    #[error("cannot reach the primary at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("the primary refused the token (HTTP {status}, {code}): {message}")]
    Refused { status: u16, code: String, message: String },
    #[error("the primary answered HTTP {status}: {message}")]
    Failed { status: u16, message: String },
    #[error("the primary's feed is unreadable: {0}")]
    BadFeed(String),
    #[error("the poller's store: {0}")]
    Store(String),
}

pub struct Feed {
    settings: PollerSettings,
    store: Arc<Store>,
    scheduler: Arc<Scheduler>,
    primary: Primary,
    etag: tokio::sync::Mutex<Option<String>>,
    pub stats: Arc<FeedStats>,
}

impl Feed {
    pub fn new(settings: PollerSettings, primary: Primary, store: Arc<Store>, scheduler: Arc<Scheduler>) -> Feed {
        Feed { settings, store, scheduler, primary, etag: Default::default(), stats: Arc::default() }
    }

    /// Follows the primary until cancelled.
    pub async fn run(self: Arc<Self>, cancel: CancellationToken) {
        let shard = self.settings.shard;
        let mut backoff = BACKOFF_MIN;
        let mut last_error: Option<String> = None;
        loop {
            let outcome = tokio::select! {
                _ = cancel.cancelled() => return,
                outcome = self.follow(&cancel) => outcome,
            };
            self.stats.stream_connected.store(false, Ordering::Relaxed);
            let message = match outcome {
                // Cancelled while following.
                Ok(()) if cancel.is_cancelled() => return,
                Ok(()) => {
                    backoff = BACKOFF_MIN;
                    "the event stream ended".to_string()
                }
                Err(e) => e.to_string(),
            };
            self.stats.stream_reconnects.fetch_add(1, Ordering::Relaxed);
            if last_error.as_deref() != Some(&message) {
                log::warn!(
                    "Poller of shard {shard}: {message}; it keeps polling its {} devices and tries again (backoff up to {} s).",
                    self.stats.devices.load(Ordering::Relaxed),
                    BACKOFF_MAX.as_secs()
                );
                last_error = Some(message);
            }
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(BACKOFF_MAX);
        }
    }

    /// Opens the event stream, fetches, then fetches again at every event (and every minute)
    /// until the stream ends or fails.
    async fn follow(&self, cancel: &CancellationToken) -> Result<(), FeedError> {
        let mut stream = self
            .primary
            .get("changes")
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .send()
            .await
            .map_err(|e| self.unreachable(e))?;
        check(&mut stream).await?;
        self.stats.stream_connected.store(true, Ordering::Relaxed);
        log::info!("Poller of shard {}: following the primary's device changes.", self.settings.shard);
        self.refresh().await?;
        let mut frames = Frames::default();
        let mut refetch = tokio::time::interval(REFETCH_EVERY);
        refetch.reset();
        loop {
            let changed = tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                _ = refetch.tick() => true,
                chunk = tokio::time::timeout(STREAM_SILENCE, stream.chunk()) => match chunk {
                    Err(_) => return Err(FeedError::Unreachable {
                        url: self.primary.url("changes"),
                        reason: format!("the event stream was silent for {} s", STREAM_SILENCE.as_secs()),
                    }),
                    Ok(Err(e)) => return Err(self.unreachable(e)),
                    Ok(Ok(None)) => return Ok(()),
                    Ok(Ok(Some(bytes))) => frames.push(&bytes).map_err(FeedError::BadFeed)?,
                },
            };
            if changed {
                // A burst of changes (one device after another) is fetched for once.
                while let Ok(Ok(Some(bytes))) = tokio::time::timeout(SETTLE, stream.chunk()).await {
                    frames.push(&bytes).map_err(FeedError::BadFeed)?;
                }
                self.refresh().await?;
            }
        }
    }

    /// Fetches the shard's devices (unless unchanged) and reconciles the pollers with them.
    pub async fn refresh(&self) -> Result<(), FeedError> {
        let fetched = self.fetch().await;
        if fetched.is_err() {
            self.stats.fetches_failed.fetch_add(1, Ordering::Relaxed);
        }
        let Some(devices) = fetched? else { return Ok(()) };
        let (store, count) = (self.store.clone(), devices.len());
        let synced = tokio::task::spawn_blocking(move || store.sync_devices(devices))
            .await
            .map_err(|e| FeedError::Store(e.to_string()))?
            .map_err(|e| FeedError::Store(e.to_string()))?;
        // Spread the first polls of many new devices over their interval, as at start.
        let first = if synced.started.len() > 1 { FirstPoll::Spread } else { FirstPoll::Now };
        for device in &synced.started {
            self.scheduler.start(device.clone(), first);
        }
        for id in &synced.stopped {
            self.scheduler.stop(id);
        }
        self.stats.devices.store(count as u64, Ordering::Relaxed);
        if !synced.started.is_empty() || !synced.stopped.is_empty() {
            log::info!(
                "Poller of shard {}: {count} devices from the primary ({} started or changed, {} stopped).",
                self.settings.shard,
                synced.started.len(),
                synced.stopped.len()
            );
        }
        Ok(())
    }

    /// The shard's devices, or None when unchanged since the last fetch (304).
    async fn fetch(&self) -> Result<Option<Vec<Device>>, FeedError> {
        let mut etag = self.etag.lock().await;
        let mut request =
            self.primary.get("devices").query(&[("shard", self.settings.shard.to_string())]).timeout(FETCH_TIMEOUT);
        if let Some(tag) = etag.as_deref() {
            request = request.header(IF_NONE_MATCH, tag);
        }
        let mut response = request.send().await.map_err(|e| self.unreachable(e))?;
        if response.status() == StatusCode::NOT_MODIFIED {
            self.stats.last_fetch_at.store(crate::store::now_secs(), Ordering::Relaxed);
            return Ok(None);
        }
        check(&mut response).await?;
        let tag = response.headers().get(ETAG).and_then(|v| v.to_str().ok()).map(str::to_string);
        let body = read_bounded(&mut response, MAX_FEED_BYTES)
            .await
            .map_err(|reason| FeedError::Unreachable { url: self.settings.registry.to_string(), reason })?;
        let feed: PollerFeed = serde_json::from_slice(&body).map_err(|e| FeedError::BadFeed(e.to_string()))?;
        let devices = parse_feed(feed, self.settings.shard)?;
        self.stats.last_fetch_at.store(crate::store::now_secs(), Ordering::Relaxed);
        *etag = tag;
        Ok(Some(devices))
    }

    fn unreachable(&self, error: reqwest::Error) -> FeedError {
        FeedError::Unreachable { url: self.settings.registry.to_string(), reason: super::primary::why(&error) }
    }
}

/// The devices of a feed, each checked: valid, and of this shard by our own hashing (a primary
/// of another version that hashed differently would otherwise make two pollers poll one device).
fn parse_feed(feed: PollerFeed, shard: Shard) -> Result<Vec<Device>, FeedError> {
    if feed.shard != shard.to_string() {
        return Err(FeedError::BadFeed(format!("it is for shard {}, not {shard}", feed.shard)));
    }
    let mut devices = Vec::with_capacity(feed.devices.len());
    for value in feed.devices {
        let device = crate::store::device_from_feed(value).map_err(FeedError::BadFeed)?;
        if !shard.owns(&device.id) {
            return Err(FeedError::BadFeed(format!(
                "device {} belongs to shard {}/{}, not {shard}: do the primary and the poller hash alike?",
                device.id,
                super::owner(&device.id, shard.count),
                shard.count
            )));
        }
        devices.push(device);
    }
    Ok(devices)
}

/// An answer other than 2xx as an error, with the API's `code` and `message` when it gives them.
async fn check(response: &mut reqwest::Response) -> Result<(), FeedError> {
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let body = read_bounded(response, 16 * 1024).await.unwrap_or_default();
    let error: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let text = |key: &str| error.get(key).and_then(|v| v.as_str()).unwrap_or_default().to_string();
    let (code, message) = (text("code"), text("message"));
    if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
        return Err(FeedError::Refused { status: status.as_u16(), code, message });
    }
    Err(FeedError::Failed { status: status.as_u16(), message: if message.is_empty() { code } else { message } })
}

async fn read_bounded(response: &mut reqwest::Response, limit: usize) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        if body.len() + chunk.len() > limit {
            return Err(format!("the answer is larger than {limit} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The event stream's bytes, cut into frames; says whether a `devices` event came.
#[derive(Default)]
struct Frames {
    pending: Vec<u8>,
}

impl Frames {
    fn push(&mut self, bytes: &[u8]) -> Result<bool, String> {
        self.pending.extend_from_slice(bytes);
        let mut changed = false;
        while let Some(end) = self.pending.windows(2).position(|w| w == b"\n\n") {
            let frame: Vec<u8> = self.pending.drain(..end + 2).collect();
            changed |= frame.split(|&b| b == b'\n').any(|line| line == b"event: devices");
        }
        if self.pending.len() > MAX_FRAME_BYTES {
            return Err(format!("an event of the stream is larger than {MAX_FRAME_BYTES} bytes"));
        }
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{DeviceConfig, DeviceId};

    #[test]
    fn frames_are_cut_across_chunks_and_only_devices_events_count() {
        let mut frames = Frames::default();
        assert_eq!(frames.push(b": keep-alive\n\n"), Ok(false));
        assert_eq!(frames.push(b"event: dev"), Ok(false));
        assert_eq!(frames.push(b"ices\ndata: {}\n"), Ok(false));
        assert_eq!(frames.push(b"\n"), Ok(true));
        assert_eq!(frames.push(&vec![b'x'; MAX_FRAME_BYTES + 1]).map_err(|_| ()), Err(()));
    }

    fn feed_of(shard: &str, ids: &[&str]) -> PollerFeed {
        let devices = ids
            .iter()
            .map(|id| {
                let device = Device {
                    id: DeviceId(id.to_string()),
                    created_at: 1,
                    config: DeviceConfig::v2c(id, "127.0.0.1", 1161, "public"),
                };
                crate::store::feed_record(&device)
            })
            .collect();
        PollerFeed { shard: shard.into(), devices }
    }

    #[test]
    fn a_feed_with_a_device_of_another_shard_is_refused() {
        let shard = Shard { index: 0, count: 2 };
        let ids: Vec<String> = (0..40u32).map(|n| format!("{n:08x}")).collect();
        let (mine, theirs): (Vec<&str>, Vec<&str>) =
            ids.iter().map(String::as_str).partition(|id| shard.owns(&DeviceId(id.to_string())));
        assert_eq!(parse_feed(feed_of("0/2", &mine), shard).unwrap().len(), mine.len());
        let error = parse_feed(feed_of("0/2", &[mine[0], theirs[0]]), shard).unwrap_err();
        assert!(error.to_string().contains("belongs to shard 1/2"), "{error}");
        assert!(parse_feed(feed_of("1/2", &[]), shard).is_err(), "another shard's feed");
    }
}
