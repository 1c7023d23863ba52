//! One ICMP socket of one address family: the Linux "ping socket" (an unprivileged datagram
//! socket, allowed by `net.ipv4.ping_group_range`) tried first, else a raw socket (root or
//! `CAP_NET_RAW`). Sends echo requests and drains what arrives without blocking; what the
//! datagrams mean is `packet`'s business, which echo they answer the pinger's.

use std::io;
use std::mem::MaybeUninit;
use std::net::{IpAddr, SocketAddr};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use tokio::io::unix::AsyncFd;

use super::packet::{self, Seen};

/// Datagrams read on one wake-up at most, so that a flood cannot hold the runtime's thread.
const DRAIN_MAX: usize = 256;

pub struct IcmpSocket {
    fd: AsyncFd<Socket>,
    v6: bool,
    raw: bool,
}

impl IcmpSocket {
    /// Opens the family's socket; must run inside a tokio runtime.
    pub fn open(v6: bool) -> io::Result<IcmpSocket> {
        let (domain, protocol) = if v6 { (Domain::IPV6, Protocol::ICMPV6) } else { (Domain::IPV4, Protocol::ICMPV4) };
        let (socket, raw) = match Socket::new(domain, Type::DGRAM, Some(protocol)) {
            Ok(socket) => (socket, false),
            Err(dgram) => match Socket::new(domain, Type::RAW, Some(protocol)) {
                Ok(socket) => (socket, true),
                Err(_) => return Err(dgram),
            },
        };
        socket.set_nonblocking(true)?;
        if raw {
            // A raw socket sees every ICMP message the host receives (on loopback, our own
            // requests too): let the kernel drop all but replies and the errors that may quote
            // a request, rather than wake us for them.
            if let Err(e) = filter(&socket, v6) {
                log::debug!("The raw ICMP socket takes no filter ({e}); every ICMP message wakes the pinger.");
            }
        }
        // SAFETY: the socket is owned by the AsyncFd, so its descriptor stays open and the same
        // for the AsyncFd's whole life.
        let fd = unsafe { AsyncFd::register(socket) }.map_err(|e| e.into_parts().1)?;
        Ok(IcmpSocket { fd, v6, raw })
    }

    pub fn is_raw(&self) -> bool {
        self.raw
    }

    /// Sends echo request `seq` of `ident` to `to`, waiting only while the send buffer is full.
    pub async fn send(&self, to: IpAddr, ident: u16, seq: u16) -> io::Result<()> {
        let request = packet::echo_request(self.v6, ident, seq);
        let to = SockAddr::from(SocketAddr::new(to, 0));
        loop {
            let mut guard = self.fd.writable().await?;
            if let Ok(sent) = guard.try_io(|fd| fd.get_ref().send_to(&request, &to)) {
                return sent.map(drop);
            }
        }
    }

    /// Waits until datagrams are there, then hands each one that concerns an echo request of
    /// `ident` to `seen`, until none is left or [`DRAIN_MAX`] were read. (A ping socket's kernel
    /// sets the identifier and delivers only its own socket's replies; on a raw socket, other
    /// processes' echoes are told apart by it.)
    pub async fn receive(&self, ident: u16, seen: &impl Fn(Seen)) -> io::Result<()> {
        let mut guard = self.fd.readable().await?;
        let mut buf = [MaybeUninit::<u8>::uninit(); 1500];
        for _ in 0..DRAIN_MAX {
            let (len, from) = match guard.try_io(|fd| fd.get_ref().recv_from(&mut buf)) {
                Ok(Ok(got)) => got,
                // An error reported by the socket (e.g. an ICMP error on a ping socket): read
                // and cleared by this call; the echo it concerns is lost.
                Ok(Err(_)) => continue,
                // Nothing left: the readiness is cleared.
                Err(_would_block) => return Ok(()),
            };
            // SAFETY: recv_from initialised the first `len` bytes of `buf`.
            let datagram = unsafe { std::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), len.min(buf.len())) };
            let parsed = match from.as_socket().map(|a| a.ip()) {
                Some(IpAddr::V4(from)) => packet::parse_v4(datagram, self.raw, from),
                Some(IpAddr::V6(from)) => packet::parse_v6(datagram, from),
                None => None,
            };
            if let Some(s) = parsed.filter(|s| !self.raw || s.ident() == ident) {
                seen(s);
            }
        }
        Ok(())
    }
}

/// Lets through a raw socket only echo replies and the ICMP errors that may quote a request.
fn filter(socket: &Socket, v6: bool) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // Linux's ICMP_FILTER (on SOL_RAW) and ICMP6_FILTER (on IPPROTO_ICMPV6): a set bit blocks
    // that message type.
    const ICMP_FILTER: libc::c_int = 1;
    const ICMP6_FILTER: libc::c_int = 1;
    let (level, name, blocked): (libc::c_int, libc::c_int, [u32; 8]) = if v6 {
        let mut blocked = [u32::MAX; 8];
        for kind in [1u8, 2, 3, 4, 129] {
            blocked[usize::from(kind >> 5)] &= !(1 << (kind & 31));
        }
        (libc::IPPROTO_ICMPV6, ICMP6_FILTER, blocked)
    } else {
        let passed = [0u8, 3, 4, 5, 11, 12].iter().fold(0u32, |mask, kind| mask | 1 << kind);
        (libc::SOL_RAW, ICMP_FILTER, [!passed, 0, 0, 0, 0, 0, 0, 0])
    };
    let len = if v6 { std::mem::size_of_val(&blocked) } else { std::mem::size_of::<u32>() };
    // SAFETY: `blocked` outlives the call and `len` does not exceed its size.
    let rc =
        unsafe { libc::setsockopt(socket.as_raw_fd(), level, name, blocked.as_ptr().cast(), len as libc::socklen_t) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
