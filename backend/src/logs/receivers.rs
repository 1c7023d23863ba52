//! Starting the syslog (UDP, TCP) and trap receivers so that none can take the server down: a
//! receiver that cannot bind (port taken, no permission) is logged once as a sentence, shown in
//! `/status` through the [`ReceiverBoard`] (address, listening or failed, the error, the next try)
//! and bound again with backoff (5 s, doubling to 60 s) while the server serves; when the port
//! frees, it starts. Each runs supervised: after a panic it starts again on a duplicate of the
//! same socket. What a receiver does with its socket lives in `syslog_listener` and `traps`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::syslog_listener::{self, Context};
use super::tcp_peers::TcpLimits;
use super::trap_users::TrapUsers;
use super::traps;
use crate::supervisor;

/// The wait before the second attempt to bind; each next wait doubles, up to the maximum.
pub const RETRY_FIRST: Duration = Duration::from_secs(5);
pub const RETRY_MAX: Duration = Duration::from_secs(60);

/// The addresses the receivers listen on (None: turned off).
#[derive(Clone, Copy, Debug)]
pub struct ReceiverAddrs {
    pub syslog_udp: Option<SocketAddr>,
    pub syslog_tcp: Option<SocketAddr>,
    pub trap_udp: Option<SocketAddr>,
    pub tcp_limits: TcpLimits,
}

/// One receiver as `/status` shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ReceiverState {
    /// `syslog_udp`, `syslog_tcp` or `trap_udp`.
    pub name: &'static str,
    pub address: SocketAddr,
    pub listening: bool,
    /// Why the last attempt to bind failed, while it is not listening.
    pub error: Option<String>,
    /// When it tries again (Unix seconds), while it is not listening.
    pub next_retry_at: Option<u64>,
    /// Attempts to bind that failed since start.
    pub failed_attempts: u64,
}

/// The state of every receiver that is turned on.
#[derive(Debug, Default)]
pub struct ReceiverBoard(Mutex<Vec<ReceiverState>>);

impl ReceiverBoard {
    pub fn snapshot(&self) -> Vec<ReceiverState> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn register(&self, name: &'static str, address: SocketAddr) -> usize {
        let mut all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        all.push(ReceiverState {
            name,
            address,
            listening: false,
            error: None,
            next_retry_at: None,
            failed_attempts: 0,
        });
        all.len() - 1
    }

    fn update(&self, slot: usize, change: impl FnOnce(&mut ReceiverState)) {
        if let Some(state) = self.0.lock().unwrap_or_else(|e| e.into_inner()).get_mut(slot) {
            change(state);
        }
    }

    /// Listening on `bound`: the address asked for, with the port the system chose for port 0.
    fn listening(&self, slot: usize, bound: SocketAddr) {
        self.update(slot, |s| (s.address, s.listening, s.error, s.next_retry_at) = (bound, true, None, None));
    }

    fn failed(&self, slot: usize, error: &std::io::Error, retry_in: Duration) {
        let at = (crate::store::now_ms() / 1000).max(0) as u64 + retry_in.as_secs();
        self.update(slot, |s| {
            (s.listening, s.error, s.next_retry_at) = (false, Some(error.to_string()), Some(at));
            s.failed_attempts += 1;
        });
    }
}

/// Tries once to bind every receiver that is turned on (so `/status` and the log say at once
/// which could not) and starts each, supervised; those that failed keep trying in the background.
pub fn start(
    addrs: &ReceiverAddrs,
    trap_users: &TrapUsers,
    ctx: &Context,
    board: &Arc<ReceiverBoard>,
    cancel: &CancellationToken,
) -> Vec<JoinHandle<()>> {
    let mut tasks = Vec::new();
    if let Some(addr) = addrs.syslog_udp {
        let receiver =
            Receiver::bind_first("syslog_udp", "syslog receiver (UDP)", addr, std::net::UdpSocket::bind, board);
        tasks.push(receiver.spawn(tokio::net::UdpSocket::from_std, syslog_listener::run_udp, ctx, cancel));
    }
    if let Some(addr) = addrs.syslog_tcp {
        let receiver =
            Receiver::bind_first("syslog_tcp", "syslog receiver (TCP)", addr, std::net::TcpListener::bind, board);
        let limits = addrs.tcp_limits;
        let run = move |listener, ctx, cancel| syslog_listener::run_tcp(listener, ctx, limits, cancel);
        tasks.push(receiver.spawn(tokio::net::TcpListener::from_std, run, ctx, cancel));
    }
    if let Some(addr) = addrs.trap_udp {
        log::info!("The trap receiver knows {} SNMPv3 trap users.", trap_users.list().len());
        let receiver = Receiver::bind_first("trap_udp", "trap receiver", addr, std::net::UdpSocket::bind, board);
        let v3 = trap_users.receiver().clone();
        let run = move |socket, ctx, cancel| traps::run(socket, ctx, v3.clone(), cancel);
        tasks.push(receiver.spawn(tokio::net::UdpSocket::from_std, run, ctx, cancel));
    }
    tasks
}

/// One receiver's socket, bound now or later, kept so that a restarted receiver gets a
/// duplicate of it.
struct Receiver<S> {
    title: &'static str,
    addr: SocketAddr,
    bind: fn(SocketAddr) -> std::io::Result<S>,
    socket: OnceLock<S>,
    board: Arc<ReceiverBoard>,
    slot: usize,
}

impl<S: Reopen + Send + Sync + 'static> Receiver<S> {
    fn bind_first(
        name: &'static str,
        title: &'static str,
        addr: SocketAddr,
        bind: fn(SocketAddr) -> std::io::Result<S>,
        board: &Arc<ReceiverBoard>,
    ) -> Arc<Self> {
        let slot = board.register(name, addr);
        let receiver = Arc::new(Receiver { title, addr, bind, socket: OnceLock::new(), board: board.clone(), slot });
        match receiver.try_bind() {
            Ok(bound) => log::info!("The {title} listens on {bound}."),
            Err(e) => {
                receiver.board.failed(slot, &e, RETRY_FIRST);
                log::error!(
                    "The {title} cannot listen on {addr}: {e}. Vigie serves without it and tries again in {} s, then every {} s at most.",
                    RETRY_FIRST.as_secs(),
                    RETRY_MAX.as_secs()
                );
            }
        }
        receiver
    }

    /// Binds the socket; answers the address it got.
    fn try_bind(&self) -> std::io::Result<SocketAddr> {
        let socket = (self.bind)(self.addr)?;
        socket.set_nonblocking(true)?;
        let bound = socket.local_addr()?;
        let _ = self.socket.set(socket);
        self.board.listening(self.slot, bound);
        Ok(bound)
    }

    /// The bound socket, binding again with backoff until it can, or None at `stop`.
    async fn bound(&self, stop: &CancellationToken) -> Option<&S> {
        let mut wait = RETRY_FIRST;
        loop {
            if let Some(socket) = self.socket.get() {
                return Some(socket);
            }
            tokio::select! {
                _ = stop.cancelled() => return None,
                _ = tokio::time::sleep(wait) => {}
            }
            let failed = self.board.snapshot().get(self.slot).map_or(0, |s| s.failed_attempts);
            match self.try_bind() {
                Ok(bound) => {
                    log::info!("The {} now listens on {bound} (after {failed} failed attempts to bind).", self.title)
                }
                Err(e) => {
                    wait = (wait * 2).min(RETRY_MAX);
                    self.board.failed(self.slot, &e, wait);
                    log::debug!("The {} still cannot listen on {}: {e}.", self.title, self.addr);
                }
            }
        }
    }

    /// Runs `run` on a Tokio socket made from the bound socket, under supervision.
    fn spawn<T, Fut>(
        self: Arc<Self>,
        into_tokio: fn(S) -> std::io::Result<T>,
        run: impl Fn(T, Context, CancellationToken) -> Fut + Send + Sync + 'static,
        ctx: &Context,
        cancel: &CancellationToken,
    ) -> JoinHandle<()>
    where
        T: Send + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let run = Arc::new(run);
        let (ctx, stop) = (ctx.clone(), cancel.clone());
        supervisor::spawn(self.title, cancel.clone(), move || {
            let (receiver, run, ctx, stop) = (self.clone(), run.clone(), ctx.clone(), stop.clone());
            async move {
                let Some(socket) = receiver.bound(&stop).await else { return };
                if let Some(socket) = reopen(socket, into_tokio, &stop).await {
                    run(socket, ctx, stop).await
                }
            }
        })
    }
}

/// Bound sockets that can be duplicated (`dup`) for a restarted receiver.
trait Reopen: Sized {
    fn set_nonblocking(&self, on: bool) -> std::io::Result<()>;
    fn try_clone(&self) -> std::io::Result<Self>;
    fn local_addr(&self) -> std::io::Result<SocketAddr>;
}

impl Reopen for std::net::UdpSocket {
    fn set_nonblocking(&self, on: bool) -> std::io::Result<()> {
        std::net::UdpSocket::set_nonblocking(self, on)
    }
    fn try_clone(&self) -> std::io::Result<Self> {
        std::net::UdpSocket::try_clone(self)
    }
    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        std::net::UdpSocket::local_addr(self)
    }
}

impl Reopen for std::net::TcpListener {
    fn set_nonblocking(&self, on: bool) -> std::io::Result<()> {
        std::net::TcpListener::set_nonblocking(self, on)
    }
    fn try_clone(&self) -> std::io::Result<Self> {
        std::net::TcpListener::try_clone(self)
    }
    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        std::net::TcpListener::local_addr(self)
    }
}

/// A Tokio socket over a duplicate of `socket`, for a receiver (re)starting. Duplicating a
/// bound descriptor fails only when the process is out of descriptors: then it tries again
/// every second until it can, or until `stop`.
async fn reopen<S: Reopen, T>(
    socket: &S,
    into_tokio: impl Fn(S) -> std::io::Result<T>,
    stop: &CancellationToken,
) -> Option<T> {
    loop {
        match socket.try_clone().and_then(&into_tokio) {
            Ok(socket) => return Some(socket),
            Err(e) => log::error!("A receiver cannot reopen its socket ({e}); trying again in a second."),
        }
        tokio::select! {
            _ = stop.cancelled() => return None,
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_taken_port_is_reported_and_bound_once_it_frees() {
        let holder = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = holder.local_addr().unwrap();
        let board = Arc::new(ReceiverBoard::default());
        let receiver =
            Receiver::bind_first("syslog_udp", "syslog receiver (UDP)", addr, std::net::UdpSocket::bind, &board);
        let state = board.snapshot()[0].clone();
        assert_eq!((state.name, state.address, state.listening, state.failed_attempts), ("syslog_udp", addr, false, 1));
        assert!(state.error.is_some() && state.next_retry_at.is_some(), "{state:?}");

        drop(holder);
        let stop = CancellationToken::new();
        tokio::time::pause();
        let socket = receiver.bound(&stop).await.expect("bound once the port is free");
        assert_eq!(socket.local_addr().unwrap(), addr);
        let state = board.snapshot()[0].clone();
        assert_eq!((state.listening, state.error, state.next_retry_at), (true, None, None));
    }

    #[test]
    fn port_0_is_reported_as_the_port_the_system_chose() {
        let board = Arc::new(ReceiverBoard::default());
        let asked: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let receiver = Receiver::bind_first("trap_udp", "trap receiver", asked, std::net::UdpSocket::bind, &board);
        let bound = receiver.socket.get().expect("bound").local_addr().unwrap();
        assert_ne!(bound.port(), 0);
        let state = board.snapshot()[0].clone();
        assert_eq!((state.address, state.listening), (bound, true));
    }

    #[tokio::test]
    async fn a_receiver_that_never_binds_stops_with_the_server() {
        let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = holder.local_addr().unwrap();
        let board = Arc::new(ReceiverBoard::default());
        let receiver =
            Receiver::bind_first("syslog_tcp", "syslog receiver (TCP)", addr, std::net::TcpListener::bind, &board);
        tokio::time::pause();
        let stop = CancellationToken::new();
        let waiting = tokio::spawn({
            let (receiver, stop) = (receiver.clone(), stop.clone());
            async move { receiver.bound(&stop).await.is_some() }
        });
        tokio::time::sleep(RETRY_FIRST * 4).await;
        let state = board.snapshot()[0].clone();
        assert!(state.failed_attempts >= 3, "{state:?}");
        stop.cancel();
        assert!(!waiting.await.unwrap(), "no socket after the stop");
    }
}
