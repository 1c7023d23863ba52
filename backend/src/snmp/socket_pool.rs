//! The process's few shared UDP sockets for SNMP requests: [`SOCKETS_PER_FAMILY`] unconnected
//! sockets per address family, opened on first use, whatever the number of devices. A device's
//! requests go out on the socket its agent's address hashes to; one receiver thread per socket
//! reads every datagram and routes it to the exchange waiting for that source address and that
//! request id (SNMPv3: msgID), which the socket hands out so that no two exchanges in flight on it
//! share one. A datagram no exchange waits for is dropped and counted; one from a waited-for
//! address with another id or that cannot be decoded is counted against that exchange (a late
//! answer, or a broken agent), never handed to it as its reply. The requests of a round sent
//! together wait as one ([`round`]): one lock to enter, one wake-up and one lock to leave.
//!
//! The sockets set `IP_RECVERR` / `IPV6_RECVERR`: the kernel queues each ICMP error with the
//! destination it came back for, and the receiver hands "port unreachable" to the exchanges
//! waiting on that destination as `ConnectionRefused` (host and net unreachable likewise as their
//! own errors), so a closed port is still seen at once, as with a connected socket.
//!
//! The process's sockets are received by threads rather than tasks of a runtime: the pool belongs
//! to the process, not to one tokio runtime (tests, the CLI and `vigie serve` each run their own),
//! and a thread outlives any of them. A thread that runs one single-threaded runtime for its whole
//! life (the poller's, see [`receive_on_this_thread`]) has sockets of its own instead
//! ([`OWN_SOCKETS_PER_FAMILY`] per family), received by a task of that runtime: a reply reaches
//! its waiter without waking another thread. Either
//! way a receiver reads the datagrams waiting in a batch per system call (`recvmmsg`). The pool
//! knows nothing of devices: it routes bytes by address and id.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::oneshot;

use super::ber::BerError;

mod batch;
mod on_runtime;
mod receiver;
mod round;
mod send_many;

use round::Recipient;
pub(crate) use round::{Entering, RoundSignal, MOST_IN_ROUND};

/// Shared sockets per address family; a device's socket is chosen by its agent's address.
pub const SOCKETS_PER_FAMILY: usize = 2;
/// The same for the poller thread's own sockets ([`receive_on_this_thread`]), which take the
/// replies of a whole burst of polls at once (up to 100, about 6 KB each for 48 interfaces):
/// spread over 8 sockets, a burst fits their receive buffers at a stock `net.core.rmem_max`
/// (212,992 bytes), where 2 sockets dropped replies on loopback (README, Performance, "Bursts of 100
/// polls"). Its receiver is a task, not a thread: more sockets cost a descriptor each.
pub const OWN_SOCKETS_PER_FAMILY: usize = 8;
/// The receive buffer asked of the kernel for each shared socket (it caps it at
/// `net.core.rmem_max`): a socket serves thousands of agents, whose replies may come at once.
const RECEIVE_BUFFER_BYTES: usize = 4 * 1024 * 1024;

/// What came back for an exchange: its reply (in the buffer it lent), or an ICMP error for its
/// destination.
pub(super) enum Arrival {
    Reply(Vec<u8>),
    Failed(io::Error),
}

/// An exchange waiting on a shared socket for (its agent's address, its request id).
struct Waiter {
    id: i64,
    v3: bool,
    /// Taken when the reply or an error is handed over.
    to: Option<Recipient>,
    /// The exchange's reply buffer, lent until the reply comes (its capacity is reused); a
    /// round's reply stays in it until the round takes it.
    buffer: Vec<u8>,
    /// The error handed to a round's waiter.
    failed: Option<io::Error>,
    /// Datagrams from the agent with another id, and the last one that could not be decoded.
    mismatched: u32,
    undecodable: Option<BerError>,
    /// Bytes of every datagram routed to this exchange.
    bytes: u64,
}

impl Waiter {
    fn new(id: i64, v3: bool, to: Option<Recipient>, buffer: Vec<u8>) -> Waiter {
        Waiter { id, v3, to, buffer, failed: None, mismatched: 0, undecodable: None, bytes: 0 }
    }

    fn leftover(self) -> Leftover {
        let Waiter { buffer, failed, mismatched, undecodable, bytes, .. } = self;
        Leftover { buffer, failed, mismatched, undecodable, bytes }
    }
}

/// Exchanges waiting on one socket, by their agent's address; and the next id to hand out.
#[derive(Default)]
struct Waiting {
    by_source: HashMap<SocketAddr, Vec<Waiter>>,
    /// Lists of waiters emptied (their agent has no exchange left), kept for the next agents:
    /// each exchange would otherwise allocate one and free it.
    spare: Vec<Vec<Waiter>>,
    next_id: i32,
}

/// Empty lists of waiters kept at most, and the waiters a list kept may have room for: a capped
/// walk's round (up to 16 requests) finds a list with room for all (with 4, its list was made
/// and freed each round: two allocations a poll). About 2 MB kept at most.
const SPARE_LISTS: usize = 1024;
const SPARE_LIST_WAITERS: usize = 16;

impl Waiting {
    /// Drops `target`'s list if no exchange is left in it, kept for the next agents if small.
    fn forget_if_empty(&mut self, target: SocketAddr) {
        if !self.by_source.get(&target).is_some_and(Vec::is_empty) {
            return;
        }
        let empty = self.by_source.remove(&target).filter(|list| list.capacity() <= SPARE_LIST_WAITERS);
        if let Some(empty) = empty.filter(|_| self.spare.len() < SPARE_LISTS) {
            self.spare.push(empty);
        }
    }
}

/// One shared socket and the exchanges waiting on it.
pub(super) struct SharedSocket {
    socket: UdpSocket,
    waiting: Mutex<Waiting>,
}

/// What [`Ticket::finish`] gives back when no reply came: the lent buffer, and what else did
/// (a round's waiter: its reply in the buffer, or the error it was handed).
pub(super) struct Leftover {
    pub buffer: Vec<u8>,
    pub failed: Option<io::Error>,
    pub mismatched: u32,
    pub undecodable: Option<BerError>,
    pub bytes: u64,
}

/// Counters of the shared sockets since start, for `/status`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SocketStats {
    /// Shared sockets open.
    pub open: u64,
    /// Datagrams from an address no exchange waited for: dropped.
    pub stray_datagrams: u64,
    /// Requests the kernel would not take at once (the socket's send buffer full): dropped, the
    /// exchange resends after its timeout.
    pub sends_dropped: u64,
}

static OPEN: AtomicU64 = AtomicU64::new(0);
static STRAY: AtomicU64 = AtomicU64::new(0);
static SENDS_DROPPED: AtomicU64 = AtomicU64::new(0);

/// The counters of the shared sockets.
pub fn stats() -> SocketStats {
    SocketStats {
        open: OPEN.load(Ordering::Relaxed),
        stray_datagrams: STRAY.load(Ordering::Relaxed),
        sends_dropped: SENDS_DROPPED.load(Ordering::Relaxed),
    }
}

type Slots = [Mutex<Option<Arc<SharedSocket>>>; SOCKETS_PER_FAMILY];
static V4: Slots = [const { Mutex::new(None) }; SOCKETS_PER_FAMILY];
static V6: Slots = [const { Mutex::new(None) }; SOCKETS_PER_FAMILY];

/// A thread's own sockets, IPv4 then IPv6.
type OwnSockets = [[Option<Arc<SharedSocket>>; OWN_SOCKETS_PER_FAMILY]; 2];

thread_local! {
    /// The sockets of a thread whose runtime receives on them ([`receive_on_this_thread`]); none
    /// on other threads.
    static OWN: RefCell<Option<OwnSockets>> = const { RefCell::new(None) };
}

/// Makes the exchanges of this thread use sockets of its own, received by a task of the runtime
/// that runs them, instead of the process's. For a thread that runs one single-threaded runtime
/// for its whole life, and only one such thread per process: the bound on descriptors counts one
/// such set ([`OWN_SOCKETS_PER_FAMILY`]) beside the process's.
pub fn receive_on_this_thread() {
    OWN.with(|own| {
        own.borrow_mut().get_or_insert_with(Default::default);
    });
}

/// The shared socket for requests to `target`, opened (with its receiver) on first use: this
/// thread's own if it has them (and runs a runtime), else the process's. A failure to open is
/// not remembered: the next session tries again.
pub(super) fn socket_for(target: SocketAddr) -> io::Result<Arc<SharedSocket>> {
    let v6 = target.is_ipv6();
    let own = OWN.with(|own| {
        let mut own = own.borrow_mut();
        let sockets = own.as_mut().filter(|_| tokio::runtime::Handle::try_current().is_ok())?;
        let at = slot_of(target, OWN_SOCKETS_PER_FAMILY);
        Some(get_or_open(&mut sockets[usize::from(v6)][at], v6, |socket| {
            on_runtime::start(socket);
            Ok(())
        }))
    });
    if let Some(socket) = own {
        return socket;
    }
    let slots = if v6 { &V6 } else { &V4 };
    get_or_open(&mut lock(&slots[slot_of(target, SOCKETS_PER_FAMILY)]), v6, receiver::start)
}

/// The socket in `slot`, or a new one there, its receiver started by `start`.
fn get_or_open(
    slot: &mut Option<Arc<SharedSocket>>,
    v6: bool,
    start: impl FnOnce(Arc<SharedSocket>) -> io::Result<()>,
) -> io::Result<Arc<SharedSocket>> {
    if let Some(socket) = slot.as_ref() {
        return Ok(socket.clone());
    }
    let socket = Arc::new(SharedSocket::open(v6)?);
    start(socket.clone())?;
    *slot = Some(socket.clone());
    Ok(socket)
}

/// Which of a family's `sockets` serves `target`: all exchanges with one agent use the same.
fn slot_of(target: SocketAddr, sockets: usize) -> usize {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    (BuildHasherDefault::<DefaultHasher>::default().hash_one(target) % sockets as u64) as usize
}

/// A poisoned lock (a panic while it was held) keeps its data: the table stays usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SharedSocket {
    fn open(v6: bool) -> io::Result<SharedSocket> {
        use socket2::{Domain, Protocol, Socket, Type};
        let domain = if v6 { Domain::IPV6 } else { Domain::IPV4 };
        let socket = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
        if v6 {
            socket.set_only_v6(true)?;
        }
        receiver::set_recverr(&socket, v6)?;
        if let Err(e) = socket.set_recv_buffer_size(RECEIVE_BUFFER_BYTES) {
            log::warn!("SNMP: cannot size a shared socket's receive buffer ({e}); the kernel's default stays.");
        }
        let any: SocketAddr = match v6 {
            true => (Ipv6Addr::UNSPECIFIED, 0).into(),
            false => (Ipv4Addr::UNSPECIFIED, 0).into(),
        };
        socket.bind(&any.into())?;
        socket.set_nonblocking(true)?;
        OPEN.fetch_add(1, Ordering::Relaxed);
        Ok(SharedSocket {
            socket: socket.into(),
            waiting: Mutex::new(Waiting { next_id: first_id(), ..Default::default() }),
        })
    }

    /// A request id for an exchange with `target` that no exchange in flight on this socket
    /// waits for.
    pub(super) fn allocate_id(&self, target: SocketAddr) -> i32 {
        let mut waiting = lock(&self.waiting);
        loop {
            let id = waiting.next_id;
            waiting.next_id = if id >= i32::MAX - 1 { 1 } else { id + 1 };
            let taken = waiting.by_source.get(&target).is_some_and(|w| w.iter().any(|w| w.id == i64::from(id)));
            if !taken {
                return id;
            }
        }
    }

    /// Waits for the reply to request `id` from `target` (an SNMPv3 msgID if `v3`), into
    /// `buffer`. The wait ends when the ticket is finished or dropped.
    pub(super) fn wait_for(self: &Arc<Self>, target: SocketAddr, id: i32, v3: bool, buffer: Vec<u8>) -> Ticket {
        let (slot, arrival) = oneshot::channel();
        let waiter = Waiter::new(i64::from(id), v3, Some(Recipient::Alone(slot)), buffer);
        let mut waiting = lock(&self.waiting);
        let Waiting { by_source, spare, .. } = &mut *waiting;
        by_source.entry(target).or_insert_with(|| spare.pop().unwrap_or_default()).push(waiter);
        Ticket { socket: self.clone(), target, id: i64::from(id), arrival, done: false }
    }

    /// Sends `request` to `target` without waiting. A full send buffer drops the request (counted):
    /// the exchange resends after its timeout. An ICMP error pending from another exchange's agent
    /// (the kernel reports it to the next call on the socket) is not this one's: send again.
    pub(super) fn send_to(&self, request: &[u8], target: SocketAddr) -> io::Result<()> {
        let mut stale = 0;
        loop {
            match self.socket.send_to(request, target) {
                Ok(_) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    SENDS_DROPPED.fetch_add(1, Ordering::Relaxed);
                    return Ok(());
                }
                Err(e) if receiver::is_icmp_error(&e) && stale < 4 => stale += 1,
                Err(e) => return Err(e),
            }
        }
    }

    /// Sends `requests` to `target` without waiting, by one system call mostly (see
    /// [`send_many`]), runs of requests of one size cut in segments if `segmented`. Requests the
    /// kernel would not take at once are dropped (counted), as by [`SharedSocket::send_to`].
    /// Answers whether the kernel refused to cut them in segments.
    pub(super) fn send_many(&self, requests: &[&[u8]], target: SocketAddr, segmented: bool) -> io::Result<bool> {
        let fd = std::os::fd::AsRawFd::as_raw_fd(&self.socket);
        let sent = send_many::send_many(fd, requests, target, segmented, receiver::is_icmp_error)?;
        SENDS_DROPPED.fetch_add(sent.dropped as u64, Ordering::Relaxed);
        Ok(sent.unsegmented)
    }

    /// Hands `datagram` from `source` to the exchange waiting for it, or counts it against the
    /// exchanges waiting on `source`, or drops it as a stray.
    fn route(&self, source: SocketAddr, datagram: &[u8]) {
        let mut waiting = lock(&self.waiting);
        let Some(waiters) = waiting.by_source.get_mut(&source) else {
            STRAY.fetch_add(1, Ordering::Relaxed);
            return;
        };
        // Decoded once per kind the waiters speak (v1/v2c, v3), when first asked.
        let mut ids: [Option<Result<i64, BerError>>; 2] = [None, None];
        let mut id_for =
            |w: &Waiter| *ids[usize::from(w.v3)].get_or_insert_with(|| receiver::datagram_id(datagram, w.v3));
        if let Some(waiter) = waiters.iter_mut().find(|w| w.to.is_some() && id_for(w) == Ok(w.id)) {
            waiter.bytes = waiter.bytes.saturating_add(datagram.len() as u64);
            waiter.buffer.clear();
            if waiter.buffer.capacity() < datagram.len() {
                // Room in a power of two, as growing would give, but never past the largest
                // datagram's 64 KiB (doubling could): the thread's pool keeps no larger buffer.
                waiter.buffer.reserve_exact(datagram.len().next_power_of_two());
            }
            waiter.buffer.extend_from_slice(datagram);
            if let Some(to) = waiter.to.take() {
                to.reply(waiter);
            }
            return;
        }
        // Counted against the first exchange with this agent: a late answer or a broken agent.
        let Some(waiter) = waiters.first_mut() else { return };
        waiter.bytes = waiter.bytes.saturating_add(datagram.len() as u64);
        match id_for(waiter) {
            Ok(_) => waiter.mismatched = waiter.mismatched.saturating_add(1),
            Err(e) => waiter.undecodable = Some(e),
        }
    }

    /// Hands an ICMP error for `destination` to every exchange waiting on it.
    fn fail(&self, destination: SocketAddr, error: impl Fn() -> io::Error) {
        let mut waiting = lock(&self.waiting);
        for waiter in waiting.by_source.get_mut(&destination).into_iter().flatten() {
            if let Some(to) = waiter.to.take() {
                to.fail(waiter, error());
            }
        }
    }
}

impl Drop for SharedSocket {
    fn drop(&mut self) {
        OPEN.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Ids start at a random point, as a connected socket's did, so that a restart does not reuse
/// the ids of the requests just before it.
fn first_id() -> i32 {
    rand::random_range(1..i32::MAX / 2)
}

/// An exchange's place in its socket's table: the reply arrives through it.
pub(super) struct Ticket {
    socket: Arc<SharedSocket>,
    target: SocketAddr,
    id: i64,
    pub arrival: oneshot::Receiver<Arrival>,
    done: bool,
}

impl Ticket {
    /// Leaves the table: answers the lent buffer (if no reply took it) and what else came.
    pub(super) fn finish(mut self) -> Leftover {
        self.done = true;
        let waiter = self.leave();
        waiter.map_or(Leftover { buffer: Vec::new(), failed: None, mismatched: 0, undecodable: None, bytes: 0 }, |w| {
            w.leftover()
        })
    }

    fn leave(&self) -> Option<Waiter> {
        let mut waiting = lock(&self.socket.waiting);
        let waiters = waiting.by_source.get_mut(&self.target)?;
        let at = waiters.iter().position(|w| w.id == self.id)?;
        let waiter = waiters.swap_remove(at);
        waiting.forget_if_empty(self.target);
        Some(waiter)
    }
}

impl Drop for Ticket {
    /// An exchange cancelled mid-wait (its poll's task stopped) leaves the table too.
    fn drop(&mut self) {
        if !self.done {
            self.leave();
        }
    }
}

#[cfg(test)]
mod tests;
