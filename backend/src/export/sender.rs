//! Sending one target's queue: the oldest request first, one at a time; acknowledged (deleted)
//! on 2xx; retried with a capped exponential backoff on 5xx, 429 and connection errors; dropped
//! on any other 4xx (counted, logged once per status). Stops as soon as it is cancelled.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::proto;
use super::target::{Target, TargetAuth};

/// The first retry waits this long, each next one twice as long, up to the maximum (the
/// defaults of Prometheus's own queue manager are 30 ms and 5 s).
pub const BACKOFF_MIN: Duration = Duration::from_millis(250);
pub const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// The deadline of one request.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Bytes of a refusal's body kept for the log and `/status`.
const BODY_HEAD: usize = 256;

/// Capped exponential backoff.
#[derive(Debug)]
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { next: BACKOFF_MIN }
    }
}

impl Backoff {
    /// The wait after one more failure.
    pub fn failed(&mut self) -> Duration {
        let wait = self.next;
        self.next = (self.next * 2).min(BACKOFF_MAX);
        wait
    }

    pub fn reset(&mut self) {
        self.next = BACKOFF_MIN;
    }
}

/// What became of one request.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    Sent,
    /// Try again later: the receiver is away or overloaded.
    Retry(String),
    /// The receiver will never take it (a 4xx other than 429).
    Rejected {
        status: u16,
        body: String,
    },
}

/// Classifies an answer's status.
pub fn outcome(status: u16, body: &str) -> Outcome {
    match status {
        200..=299 => Outcome::Sent,
        429 | 500..=599 => Outcome::Retry(format!("HTTP {status}: {}", head(body))),
        400..=499 => Outcome::Rejected { status, body: head(body) },
        _ => Outcome::Retry(format!("unexpected HTTP {status}")),
    }
}

fn head(body: &str) -> String {
    let mut end = body.len().min(BODY_HEAD);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    body[..end].replace(['\n', '\r'], " ").trim().to_string()
}

/// One HTTP client per target (its CA, its certificate checks).
pub fn client(target: &Target) -> Result<reqwest::Client, String> {
    let settings = &target.settings;
    let mut builder = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Vigie/", env!("CARGO_PKG_VERSION")))
        .default_headers(settings.headers.clone())
        .danger_accept_invalid_certs(settings.insecure_skip_verify);
    if let Some(path) = &settings.tls_ca {
        let pem = std::fs::read(path).map_err(|e| format!("tls_ca {}: {e}", path.display()))?;
        let certificates = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| format!("tls_ca {}: not PEM certificates ({e})", path.display()))?;
        for certificate in certificates {
            builder = builder.add_root_certificate(certificate);
        }
    }
    builder.build().map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// Sends one request.
async fn send(http: &reqwest::Client, target: &Target, body: bytes::Bytes) -> Outcome {
    let settings = &target.settings;
    let mut request = http
        .post(&settings.url)
        .header(reqwest::header::CONTENT_ENCODING, proto::CONTENT_ENCODING)
        .header(reqwest::header::CONTENT_TYPE, proto::CONTENT_TYPE)
        .header(proto::VERSION_HEADER.0, proto::VERSION_HEADER.1)
        .body(body);
    request = match &settings.auth {
        TargetAuth::None => request,
        TargetAuth::Basic { user, password } => request.basic_auth(user, Some(password.expose())),
        TargetAuth::Bearer(token) => request.bearer_auth(token.expose()),
    };
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let body =
                if response.status().is_success() { String::new() } else { response.text().await.unwrap_or_default() };
            outcome(status, &body)
        }
        // reqwest's error names the URL; the URL may hold a user name but never a password of
        // ours (auth goes in headers), and `without_url` keeps even that out.
        Err(e) => Outcome::Retry(e.without_url().to_string()),
    }
}

/// Sends the target's queue until `cancel` fires.
pub async fn run(target: Arc<Target>, http: reqwest::Client, cancel: CancellationToken) {
    let mut backoff = Backoff::default();
    let mut failing = false;
    let mut rejected_status = None;
    loop {
        if cancel.is_cancelled() {
            return;
        }
        // A blocking thread only when the request must be read from disk.
        let next = match target.peek_in_memory() {
            Some(in_memory) => Ok(Ok(in_memory)),
            None => {
                let target = target.clone();
                tokio::task::spawn_blocking(move || target.peek()).await
            }
        };
        let record = match next {
            Ok(Ok(Some(record))) => record,
            Ok(Ok(None)) => {
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = target.appended.notified() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
                continue;
            }
            Ok(Err(e)) => {
                target.stats.failed(format!("reading the queue: {e}"));
                log::error!("Remote-write target {}: its queue cannot be read ({e}).", target.settings.name);
                sleep_or_cancel(&cancel, BACKOFF_MAX).await;
                continue;
            }
            Err(_) => return, // the runtime is shutting down
        };
        let bytes = record.payload.len() as u64;
        let outcome = tokio::select! {
            _ = cancel.cancelled() => return,
            outcome = send(&http, &target, record.payload) => outcome,
        };
        let name = &target.settings.name;
        let acknowledge = match outcome {
            Outcome::Sent => {
                if failing {
                    log::info!("Remote-write target {name} accepts samples again.");
                }
                (failing, rejected_status) = (false, None);
                backoff.reset();
                target.stats.sent(u64::from(record.samples), bytes);
                true
            }
            Outcome::Rejected { status, body } => {
                if rejected_status != Some(status) {
                    log::warn!(
                        "Remote-write target {name} refused a request of {} samples with HTTP {status} ({body}); \
                         it is dropped (further refusals with this status are counted, not logged).",
                        record.samples
                    );
                    rejected_status = Some(status);
                }
                target.stats.rejected(u64::from(record.samples), format!("HTTP {status}: {body}"));
                true
            }
            Outcome::Retry(reason) => {
                // The outage is absorbed on disk (bounded, kept across a restart), not in memory.
                let spilled = {
                    let target = target.clone();
                    tokio::task::spawn_blocking(move || target.spill()).await
                };
                if let Ok(Err(e)) = spilled {
                    log::error!("Remote-write target {name}: requests waiting cannot be queued on disk ({e}).");
                }
                let wait = backoff.failed();
                if !failing {
                    log::warn!("Remote-write target {name} cannot take samples ({reason}); retrying, the queue on disk holds them meanwhile.");
                    failing = true;
                }
                target.stats.failed(reason);
                sleep_or_cancel(&cancel, wait).await;
                false
            }
        };
        if acknowledge && !target.ack_in_memory(record.at) {
            let (target, at) = (target.clone(), record.at);
            if let Ok(Err(e)) = tokio::task::spawn_blocking(move || target.ack(at)).await {
                log::error!("Remote-write target {name}: a sent request cannot be marked sent ({e}).");
                sleep_or_cancel(&cancel, BACKOFF_MAX).await;
            }
        }
    }
}

async fn sleep_or_cancel(cancel: &CancellationToken, wait: Duration) {
    tokio::select! {
        _ = cancel.cancelled() => {}
        _ = tokio::time::sleep(wait) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap_and_starts_over_after_a_success() {
        let mut backoff = Backoff::default();
        let waits: Vec<u128> = (0..8).map(|_| backoff.failed().as_millis()).collect();
        assert_eq!(waits, [250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
        backoff.reset();
        assert_eq!(backoff.failed(), BACKOFF_MIN);
    }

    #[test]
    fn statuses_are_sent_retried_or_dropped() {
        assert_eq!(outcome(204, ""), Outcome::Sent);
        assert_eq!(outcome(200, ""), Outcome::Sent);
        assert_eq!(outcome(503, "busy\n"), Outcome::Retry("HTTP 503: busy".into()));
        assert_eq!(outcome(429, ""), Outcome::Retry("HTTP 429: ".into()));
        assert_eq!(
            outcome(400, "out of order sample"),
            Outcome::Rejected { status: 400, body: "out of order sample".into() }
        );
        assert_eq!(outcome(401, &"é".repeat(200)), Outcome::Rejected { status: 401, body: "é".repeat(128) });
        assert!(matches!(outcome(302, ""), Outcome::Retry(_)));
    }

    #[tokio::test]
    async fn the_configured_headers_go_with_each_request() {
        let (base, server) = crate::export::capture::one_request().await;
        let table = format!(
            "[[remote_write]]\nurl = \"{base}/api/v1/push\"\nbearer_token = \"t0k\"\nheaders = {{ \"X-Scope-OrgID\" = \"lyon\" }}\n"
        );
        #[derive(serde::Deserialize)]
        struct File {
            remote_write: Vec<crate::config::remote_write::RemoteWriteSection>,
        }
        let mut problems = Vec::new();
        let file: File = toml::from_str(&table).unwrap();
        let settings = crate::config::remote_write::load(None, file.remote_write, &mut problems).remove(0);
        assert!(problems.is_empty(), "{problems:?}");
        assert!(!format!("{settings:?}").contains("lyon"), "header values are not shown");
        let dir = tempfile::tempdir().unwrap();
        let target = Target::open(settings, dir.path()).unwrap();
        let http = client(&target).unwrap();
        assert_eq!(send(&http, &target, bytes::Bytes::from_static(b"body")).await, Outcome::Sent);
        let head = server.await.unwrap();
        for line in ["x-scope-orgid: lyon\r\n", "authorization: bearer t0k\r\n", "content-encoding: snappy\r\n"] {
            assert!(head.contains(line), "{line:?} in {head}");
        }
    }
}
