//! What the HTTP server counts about its connections, and what each connection carries for the
//! handlers (its socket, so an event stream can be cut when its client stops reading).

use std::any::Any;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use actix_web::dev::Extensions;

use crate::config::HttpLimits;

/// Counters of the HTTP server, shown under `http` in `/status`.
#[derive(Debug)]
pub struct HttpStats {
    /// The configured bounds, shown beside the counters.
    pub limits: HttpLimits,
    /// Connections open now.
    pub connections: AtomicU64,
    /// Event streams open now.
    pub sse_streams: AtomicU64,
    /// Event streams cut because their client let its buffer fill.
    pub sse_dropped: AtomicU64,
    /// Event streams refused at a limit.
    pub sse_refused: AtomicU64,
    /// Request bodies refused as too large.
    pub bodies_too_large: AtomicU64,
    /// Request bodies that did not arrive in time.
    pub bodies_timed_out: AtomicU64,
}

impl HttpStats {
    pub fn new(limits: HttpLimits) -> HttpStats {
        HttpStats {
            limits,
            connections: AtomicU64::new(0),
            sse_streams: AtomicU64::new(0),
            sse_dropped: AtomicU64::new(0),
            sse_refused: AtomicU64::new(0),
            bodies_too_large: AtomicU64::new(0),
            bodies_timed_out: AtomicU64::new(0),
        }
    }
}

/// The socket of the connection a request came on. Valid while that request is handled.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionSocket(pub RawFd);

/// Counts a connection while it is open.
struct OpenConnection(Arc<HttpStats>);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Ordering::Relaxed);
    }
}

/// `HttpServer::on_connect`: counts the connection and records its socket.
pub fn on_connect(stats: &Arc<HttpStats>, connection: &dyn Any, data: &mut Extensions) {
    stats.connections.fetch_add(1, Ordering::Relaxed);
    data.insert(OpenConnection(stats.clone()));
    if let Some(tcp) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() {
        data.insert(ConnectionSocket(tcp.as_raw_fd()));
    }
}
