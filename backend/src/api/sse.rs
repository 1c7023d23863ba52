//! Event streams with bounds: how many are open (in total and per client address), and how many
//! bytes may wait for one client. Each stream has a forwarder task that takes events from the
//! store as they come and queues their frames for the client; a client that reads too slowly to
//! keep its queue under the budget is cut (its socket shut down and reset, so the kernel frees
//! what it holds too) and counted. Never blocks the store: the forwarder never waits on a client.
//! A stream also ends at once when the server stops ([`SseRegistry::shut_down`]: actix's graceful
//! shutdown would otherwise wait its whole deadline for these endless responses) and when the
//! session it was opened with ends (logout, its user removed, a password changed).

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::Duration;

use actix_web::web::{Bytes, Data};
use futures_util::Stream;
use tokio::sync::broadcast::{error::RecvError, Receiver};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::connections::{ConnectionSocket, HttpStats};
use super::error::ApiError;
use crate::store::StoreEvent;

/// A comment line now and then keeps proxies from closing an idle stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// The kernel's send buffer of a stream's socket, at most: what a client does not read waits in
/// our queue, where it is counted, rather than in the kernel.
const SOCKET_SEND_BUFFER: usize = 32 * 1024;

/// Turns a store event into one SSE frame, or None when this stream does not want it.
pub type Encoder = Box<dyn Fn(&StoreEvent) -> Option<String>>;

/// The open streams, per client address.
pub struct SseRegistry {
    stats: Data<HttpStats>,
    open: Mutex<HashMap<Option<IpAddr>, usize>>,
    /// Fired when the server stops: every stream ends.
    shutdown: CancellationToken,
}

impl SseRegistry {
    pub fn new(stats: Data<HttpStats>) -> SseRegistry {
        SseRegistry { stats, open: Mutex::new(HashMap::new()), shutdown: CancellationToken::new() }
    }

    /// Ends every open stream now (and any opened later), so that HTTP can stop at once.
    pub fn shut_down(&self) {
        self.shutdown.cancel();
    }

    /// A place for one more stream from `addr`, or the limit it would break.
    pub fn admit(registry: &Data<Self>, addr: Option<IpAddr>) -> Result<Admission, ApiError> {
        let limits = &registry.stats.limits;
        let mut open = registry.open.lock().unwrap_or_else(|e| e.into_inner());
        let total: usize = open.values().sum();
        let mine = open.get(&addr).copied().unwrap_or(0);
        let refusal = if total >= limits.max_sse_streams {
            Some(ApiError::TooManyStreams { limit: limits.max_sse_streams })
        } else if mine >= limits.max_sse_streams_per_address {
            Some(ApiError::TooManyStreamsFromAddress { limit: limits.max_sse_streams_per_address })
        } else {
            None
        };
        if let Some(refusal) = refusal {
            registry.stats.sse_refused.fetch_add(1, Ordering::Relaxed);
            return Err(refusal);
        }
        *open.entry(addr).or_insert(0) += 1;
        registry.stats.sse_streams.fetch_add(1, Ordering::Relaxed);
        Ok(Admission { registry: registry.clone(), addr })
    }
}

/// One open stream's place; given back when the stream ends.
pub struct Admission {
    registry: Data<SseRegistry>,
    addr: Option<IpAddr>,
}

impl Drop for Admission {
    fn drop(&mut self) {
        let mut open = self.registry.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.addr) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.addr);
            }
        }
        self.registry.stats.sse_streams.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The frames waiting for one client, bounded in bytes.
#[derive(Default)]
struct Outbox {
    frames: RefCell<VecDeque<Bytes>>,
    bytes: Cell<usize>,
    closed: Cell<bool>,
    ready: Notify,
}

impl Outbox {
    /// Queues a frame; false when it would pass `budget` bytes. A client that has read everything
    /// always gets the next frame, however large (a sample of a 4,000-interface device is ~180 KB):
    /// what waits for it stays under the budget plus one event.
    fn push(&self, frame: Bytes, budget: usize) -> bool {
        if !self.frames.borrow().is_empty() && self.bytes.get() + frame.len() > budget {
            return false;
        }
        self.bytes.set(self.bytes.get() + frame.len());
        self.frames.borrow_mut().push_back(frame);
        self.ready.notify_one();
        true
    }

    fn pop(&self) -> Option<Bytes> {
        let frame = self.frames.borrow_mut().pop_front()?;
        self.bytes.set(self.bytes.get() - frame.len());
        Some(frame)
    }

    fn close(&self) {
        self.closed.set(true);
        self.ready.notify_one();
    }
}

/// The session or token a stream was opened with: the stream ends when it does.
pub struct SessionWatch {
    /// Changes each time some sessions or tokens end.
    pub ends: tokio::sync::watch::Receiver<u64>,
    /// Whether this stream's session or token is still valid.
    pub alive: Box<dyn Fn() -> bool>,
}

impl SessionWatch {
    /// Returns once this session or token has ended; never without one (access control off).
    async fn ended(watch: &mut Option<SessionWatch>) {
        let Some(watch) = watch else { return std::future::pending().await };
        loop {
            if watch.ends.changed().await.is_err() {
                return std::future::pending().await;
            }
            if !(watch.alive)() {
                return;
            }
        }
    }
}

/// Ends the forwarder when the response stream is dropped (the client is gone).
struct StreamState {
    outbox: Rc<Outbox>,
    _stop: tokio_util::sync::DropGuard,
    _admission: Admission,
}

/// The body of one event stream: starts its forwarder and yields the frames it queues.
/// Answers a request with an endless `text/event-stream` of the store's events that `encode`
/// keeps: admitted (bounded in number, in total and per client address), ended with the
/// session or token it was opened with, and closing its connection when it ends (at shutdown,
/// nothing is left for HTTP to wait on).
pub fn respond(
    req: &actix_web::HttpRequest,
    streams: &Data<SseRegistry>,
    store: &crate::store::Store,
    auth: &std::sync::Arc<crate::auth::Auth>,
    via: &crate::auth::Via,
    encode: Encoder,
) -> Result<actix_web::HttpResponse, ApiError> {
    use crate::auth::Via;
    let admission = SseRegistry::admit(streams, req.peer_addr().map(|a| a.ip()))?;
    let socket = req.conn_data::<ConnectionSocket>().copied();
    let alive: Option<Box<dyn Fn() -> bool>> = match via {
        Via::Session { key, .. } => {
            let (auth, key) = (auth.clone(), *key);
            Some(Box::new(move || auth.session_alive(&key)))
        }
        Via::Token { id, .. } => {
            let (auth, id) = (auth.clone(), id.clone());
            Some(Box::new(move || auth.token_alive(&id)))
        }
        Via::Local => None,
    };
    let session = alive.map(|alive| SessionWatch { ends: auth.session_ends(), alive });
    let events = stream(admission, store.subscribe(), encode, socket, session);
    Ok(actix_web::HttpResponse::Ok()
        .force_close()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        // Never compressed: a compressor would hold events back until its block fills.
        .insert_header(actix_web::http::header::ContentEncoding::Identity)
        .streaming(events))
}

pub fn stream(
    admission: Admission,
    receiver: Receiver<StoreEvent>,
    encode: Encoder,
    socket: Option<ConnectionSocket>,
    session: Option<SessionWatch>,
) -> impl Stream<Item = Result<Bytes, actix_web::Error>> {
    let outbox = Rc::new(Outbox::default());
    let stop = CancellationToken::new();
    let stats = admission.registry.stats.clone();
    let forwarder = Forwarder {
        outbox: outbox.clone(),
        budget: stats.limits.sse_buffer_bytes,
        socket: socket.and_then(own_socket),
        stats,
    };
    let shutdown = admission.registry.shutdown.clone();
    actix_web::rt::spawn(forwarder.run(receiver, encode, stop.clone(), Ending { shutdown, session }));
    let state = StreamState { outbox, _stop: stop.drop_guard(), _admission: admission };
    futures_util::stream::unfold(state, |state| async move {
        loop {
            if let Some(frame) = state.outbox.pop() {
                return Some((Ok(frame), state));
            }
            if state.outbox.closed.get() {
                return None;
            }
            state.outbox.ready.notified().await;
        }
    })
}

/// Our own handle on the connection's socket, with a small kernel send buffer.
fn own_socket(socket: ConnectionSocket) -> Option<OwnedFd> {
    // SAFETY: the connection, and so its socket, stays open while its request is handled, and
    // this runs inside the handler. The duplicate is ours to close.
    let owned = unsafe { BorrowedFd::borrow_raw(socket.0) }.try_clone_to_owned().ok()?;
    let _ = socket2::SockRef::from(&owned).set_send_buffer_size(SOCKET_SEND_BUFFER);
    Some(owned)
}

/// What ends a stream besides its client.
struct Ending {
    shutdown: CancellationToken,
    session: Option<SessionWatch>,
}

struct Forwarder {
    outbox: Rc<Outbox>,
    budget: usize,
    socket: Option<OwnedFd>,
    stats: Data<HttpStats>,
}

impl Forwarder {
    async fn run(self, mut receiver: Receiver<StoreEvent>, encode: Encoder, stop: CancellationToken, mut end: Ending) {
        let mut keep_alive = tokio::time::interval_at(tokio::time::Instant::now() + KEEP_ALIVE, KEEP_ALIVE);
        loop {
            let frame = tokio::select! {
                _ = stop.cancelled() => return,
                _ = end.shutdown.cancelled() => return self.outbox.close(),
                _ = SessionWatch::ended(&mut end.session) => {
                    log::debug!("An event stream ended with its session.");
                    return self.outbox.close();
                }
                _ = keep_alive.tick() => Some(": keep-alive\n\n".to_string()),
                event = receiver.recv() => match event {
                    Ok(event) => encode(&event),
                    Err(RecvError::Lagged(missed)) => {
                        // Events were lost for this client: end its stream, so that it reconnects
                        // and reloads, rather than show a silently incomplete picture.
                        log::warn!("An event stream fell {missed} events behind the store and was ended.");
                        self.stats.sse_dropped.fetch_add(1, Ordering::Relaxed);
                        return self.outbox.close();
                    }
                    Err(RecvError::Closed) => return self.outbox.close(),
                },
            };
            let Some(frame) = frame else { continue };
            if !self.outbox.push(Bytes::from(frame), self.budget) {
                self.cut();
                return;
            }
        }
    }

    /// The client let `budget` bytes pile up: reset its connection.
    fn cut(&self) {
        self.stats.sse_dropped.fetch_add(1, Ordering::Relaxed);
        log::debug!("An event stream's client left {} bytes unread; its connection is cut.", self.budget);
        self.outbox.close();
        if let Some(socket) = &self.socket {
            let socket = socket2::SockRef::from(socket);
            // Linger 0: the close that follows resets the connection and frees its send queue.
            let _ = socket.set_linger(Some(Duration::ZERO));
            let _ = socket.shutdown(std::net::Shutdown::Both);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_larger_than_the_budget_goes_to_a_client_that_keeps_up_but_not_to_one_behind() {
        let outbox = Outbox::default();
        assert!(outbox.push(Bytes::from(vec![b'x'; 300]), 100), "an empty outbox takes one large frame");
        assert!(!outbox.push(Bytes::from(vec![b'y'; 10]), 100), "nothing more while it waits");
        assert_eq!(outbox.pop().map(|f| f.len()), Some(300));
        assert!(outbox.push(Bytes::from(vec![b'y'; 60]), 100));
        assert!(outbox.push(Bytes::from(vec![b'z'; 40]), 100));
        assert!(!outbox.push(Bytes::from(vec![b'w'; 1]), 100), "the budget still holds behind a frame");
    }
}
