//! Remote-write targets on the wire (`/status`'s `remoteWrite`).

use serde::Serialize;
use utoipa::ToSchema;

/// One remote-write target: its queue on disk, what was sent, failed and dropped since start.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RemoteWriteView {
    /// The target's name (`[[remote_write]] name`), also its queue's directory.
    #[schema(example = "victoria")]
    pub name: String,
    /// Its URL, without any user name or password.
    #[schema(example = "http://127.0.0.1:8428/api/v1/write")]
    pub url: String,
    /// Bytes of the segment files that hold requests not acknowledged yet (compressed); 0 once
    /// everything is sent.
    #[schema(example = 18432)]
    pub queue_bytes: u64,
    /// The queue's bound (`max_queue_bytes`); past it the oldest segment is dropped.
    #[schema(example = 268435456)]
    pub queue_max_bytes: u64,
    /// Segment files that hold requests not acknowledged yet; 0 once everything is sent (the
    /// file appended to stays on disk).
    #[schema(example = 1)]
    pub queue_segments: usize,
    /// Samples queued, not sent yet.
    #[schema(example = 0)]
    pub queue_samples: u64,
    /// Seconds since the oldest sample not sent yet was taken; 0 when everything is sent.
    #[schema(example = 0.0)]
    pub lag_secs: f64,
    /// Samples the target acknowledged (2xx).
    #[schema(example = 120000)]
    pub samples_sent: u64,
    /// Request bytes (compressed) the target acknowledged.
    #[schema(example = 900000)]
    pub bytes_sent: u64,
    /// Requests the target acknowledged.
    #[schema(example = 600)]
    pub requests_sent: u64,
    /// Attempts that failed and are retried (connection errors, 5xx, 429).
    #[schema(example = 0)]
    pub attempts_failed: u64,
    /// Samples dropped because the queue reached its bound (or cut off a torn segment at start).
    #[schema(example = 0)]
    pub samples_dropped: u64,
    /// Segments dropped because the queue reached its bound.
    #[schema(example = 0)]
    pub segments_dropped: u64,
    /// Samples in requests the target refused for good (a 4xx other than 429): dropped.
    #[schema(example = 0)]
    pub samples_rejected: u64,
    /// Samples refused by the in-memory hand-off from the store (it was full); every target
    /// misses them.
    #[schema(example = 0)]
    pub samples_dropped_handoff: u64,
    /// The last failure: the target's status and the head of its answer, or the connection error.
    #[schema(example = json!(null))]
    pub last_error: Option<String>,
    /// Unix seconds of the last failure.
    #[schema(example = json!(null))]
    pub last_error_at: Option<i64>,
    /// Unix seconds of the last acknowledged request.
    #[schema(example = 1764547200)]
    pub last_sent_at: Option<i64>,
}

impl From<crate::export::TargetStatus> for RemoteWriteView {
    fn from(s: crate::export::TargetStatus) -> Self {
        RemoteWriteView {
            name: s.name,
            url: s.url,
            queue_bytes: s.queue.bytes,
            queue_max_bytes: s.queue_max_bytes,
            queue_segments: s.queue.segments,
            queue_samples: s.queue.samples,
            lag_secs: s.lag_secs,
            samples_sent: s.samples_sent,
            bytes_sent: s.bytes_sent,
            requests_sent: s.requests_sent,
            attempts_failed: s.attempts_failed,
            samples_dropped: s.samples_dropped,
            segments_dropped: s.segments_dropped,
            samples_rejected: s.samples_rejected,
            samples_dropped_handoff: s.samples_dropped_handoff,
            last_error: s.last_error,
            last_error_at: s.last_error_at,
            last_sent_at: s.last_sent_at,
        }
    }
}
