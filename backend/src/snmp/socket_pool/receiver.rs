//! A shared socket's receiver thread (the process's sockets; the poller's are received on its
//! runtime, `on_runtime`): one thread per socket that waits for datagrams and for ICMP errors (as
//! long as it takes: no wake-up while nothing comes), reads the datagrams waiting in batches,
//! routes each by its source and request id, and each error by the destination it came back for.
//! A panic (a bug of ours) is logged and the receiver starts again after a backoff, as the
//! supervisor does for tasks. The reading, routing and error queue are shared with `on_runtime`.

use std::any::Any;
use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use super::batch::{Batch, BATCH};
use super::SharedSocket;
use crate::snmp::ber::BerError;
use crate::snmp::transport::parse_reply;
use crate::snmp::usm::message as v3;

/// A wait for the socket lasts until something arrives: an idle receiver never wakes up.
const POLL_FOREVER: i32 = -1;
/// Restarts after a panic wait this long, twice as long each time, up to the maximum.
pub(super) const RESTART_MIN: Duration = Duration::from_secs(1);
const RESTART_MAX: Duration = Duration::from_secs(60);

/// Starts the receiver of `socket`.
pub(super) fn start(socket: Arc<SharedSocket>) -> io::Result<()> {
    let name = format!("snmp-recv-{}", socket.socket.local_addr().map(|a| a.port()).unwrap_or(0));
    std::thread::Builder::new().name(name).spawn(move || supervise(&socket)).map(|_| ())
}

fn supervise(socket: &SharedSocket) {
    let mut backoff = RESTART_MIN;
    loop {
        let Err(panic) = catch_unwind(AssertUnwindSafe(|| serve(socket))) else { return };
        std::thread::sleep(after_failure(&panic_message(&*panic), &mut backoff));
    }
}

/// What a panic said, if it said it with a string.
pub(super) fn panic_message(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// Logs that a receiver stopped (`what` went wrong) and counts its restart; answers how long to
/// wait before it, and doubles the next wait up to the maximum.
pub(super) fn after_failure(what: &str, backoff: &mut Duration) -> Duration {
    let wait = *backoff;
    log::error!("The receiver of a shared SNMP socket stopped ({what}); it starts again in {} s.", wait.as_secs());
    crate::supervisor::count_restart();
    *backoff = (wait * 2).min(RESTART_MAX);
    wait
}

/// Waits for datagrams and errors and routes them, for as long as the process runs.
fn serve(socket: &SharedSocket) {
    let mut batch = Batch::new();
    let fd = socket.socket.as_raw_fd();
    loop {
        let mut poll = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
        // SAFETY: poll reads and writes the one pollfd it is given, which lives for the call.
        if unsafe { libc::poll(&mut poll, 1, POLL_FOREVER) } <= 0 {
            continue; // nothing yet, or interrupted
        }
        if poll.revents & libc::POLLERR != 0 {
            drain_errors(socket);
        }
        if poll.revents & libc::POLLIN != 0 {
            // Level-triggered: what is left waiting wakes the next poll at once.
            receive_waiting(socket, &mut batch, usize::MAX);
        }
    }
}

/// Routes the datagrams waiting in the socket, a batch per system call, up to `most` batches;
/// answers whether the socket was left empty (a batch came short, or none was waiting).
pub(super) fn receive_waiting(socket: &SharedSocket, batch: &mut Batch, most: usize) -> bool {
    let fd = socket.socket.as_raw_fd();
    let mut batches = 0;
    while batches < most {
        match batch.receive(fd, |from, datagram| socket.route(unmapped(from), datagram)) {
            Ok(received) if received < BATCH => return true,
            Ok(_) => batches += 1,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
            Err(e) if is_icmp_error(&e) => drain_errors(socket),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                log::debug!("SNMP: a shared socket could not receive: {e}");
                return true;
            }
        }
    }
    false
}

/// Whether `error` is an ICMP error the kernel reports on the next call on the socket.
pub(super) fn is_icmp_error(error: &io::Error) -> bool {
    matches!(error.raw_os_error(), Some(libc::ECONNREFUSED | libc::EHOSTUNREACH | libc::ENETUNREACH))
}

/// Asks the kernel to queue ICMP errors with their destination (read with `MSG_ERRQUEUE`).
pub(super) fn set_recverr(socket: &socket2::Socket, v6: bool) -> io::Result<()> {
    let (level, name) = match v6 {
        true => (libc::IPPROTO_IPV6, libc::IPV6_RECVERR),
        false => (libc::IPPROTO_IP, libc::IP_RECVERR),
    };
    let on: libc::c_int = 1;
    // SAFETY: setsockopt reads the int it is given, which lives for the call.
    let done = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            level,
            name,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if done == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Reads the socket's error queue and hands each ICMP error to the exchanges waiting on the
/// destination it came back for.
pub(super) fn drain_errors(socket: &SharedSocket) {
    while let Some((destination, errno)) = read_error(socket.socket.as_raw_fd()) {
        if matches!(errno, libc::ECONNREFUSED | libc::EHOSTUNREACH | libc::ENETUNREACH | libc::EHOSTDOWN) {
            socket.fail(unmapped(destination), || io::Error::from_raw_os_error(errno));
        }
    }
}

/// One entry of the error queue: the original destination and the error's errno.
fn read_error(fd: i32) -> Option<(SocketAddr, i32)> {
    let mut name = socket2::SockAddrStorage::zeroed();
    let mut control = [0u64; 64];
    let mut payload = [0u8; 64];
    let mut iov = libc::iovec { iov_base: payload.as_mut_ptr().cast(), iov_len: payload.len() };
    // SAFETY: an all-zero msghdr is valid (null pointers, zero lengths); it is filled in below.
    let mut message: libc::msghdr = unsafe { std::mem::zeroed() };
    message.msg_namelen = name.size_of();
    message.msg_name = (&mut name as *mut socket2::SockAddrStorage).cast();
    message.msg_iov = &mut iov;
    message.msg_iovlen = 1;
    message.msg_control = control.as_mut_ptr().cast();
    message.msg_controllen = std::mem::size_of_val(&control) as _;
    // SAFETY: every pointer in `message` points into buffers that live for the call, with their
    // lengths.
    if unsafe { libc::recvmsg(fd, &mut message, libc::MSG_ERRQUEUE | libc::MSG_DONTWAIT) } < 0 {
        return None; // the queue is empty
    }
    // SAFETY: recvmsg wrote `msg_namelen` bytes of a socket address into `name`.
    let destination = unsafe { socket2::SockAddr::new(name, message.msg_namelen) }.as_socket()?;
    // SAFETY: the CMSG macros walk the control buffer recvmsg filled, within msg_controllen.
    let mut cmsg = unsafe { libc::CMSG_FIRSTHDR(&message) };
    while !cmsg.is_null() {
        let header = unsafe { &*cmsg };
        let recverr = (header.cmsg_level, header.cmsg_type) == (libc::IPPROTO_IP, libc::IP_RECVERR)
            || (header.cmsg_level, header.cmsg_type) == (libc::IPPROTO_IPV6, libc::IPV6_RECVERR);
        if recverr {
            // SAFETY: an IP_RECVERR control message carries a sock_extended_err (unaligned copy).
            let error = unsafe { std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<libc::sock_extended_err>()) };
            return Some((destination, error.ee_errno as i32));
        }
        cmsg = unsafe { libc::CMSG_NXTHDR(&message, cmsg) };
    }
    Some((destination, 0))
}

/// An IPv4-mapped IPv6 address as the IPv4 address it stands for.
pub(super) fn unmapped(address: SocketAddr) -> SocketAddr {
    match address {
        SocketAddr::V6(v6) => match v6.ip().to_ipv4_mapped() {
            Some(v4) => SocketAddr::new(v4.into(), v6.port()),
            None => address,
        },
        v4 => v4,
    }
}

/// A datagram's id: as an SNMPv3 message (its msgID) if `v3`, else as an SNMPv1/v2c Response
/// (its request-id).
pub(super) fn datagram_id(datagram: &[u8], v3: bool) -> Result<i64, BerError> {
    match v3 {
        true => v3::parse(datagram).map(|m| m.msg_id),
        false => parse_reply(datagram).map(|(id, _)| id),
    }
}
