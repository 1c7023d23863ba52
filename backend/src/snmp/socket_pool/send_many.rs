//! Several requests to one agent sent by one system call: `sendmmsg`, one message per run of
//! requests, and each run of requests of the same size (but its last, which may be shorter)
//! handed to the kernel as one UDP datagram cut in segments (`UDP_SEGMENT`, Linux 4.18): the
//! stack routes, builds and (on loopback) receives the run once, and cuts it into the requests'
//! datagrams at the end. What goes on the wire is the same datagrams as one `sendto` each.
//!
//! A kernel or a route that refuses segmentation (`EIO`: no checksum offload on the way out;
//! `EINVAL`, `ENOPROTOOPT`: an older kernel) has the requests sent again without it, and the
//! caller is told so, to send its next requests without it.

use std::io;
use std::net::SocketAddr;
use std::os::fd::RawFd;

use socket2::SockAddr;

use crate::snmp::transport::MAX_IN_FLIGHT as MAX_TOGETHER;

/// A run cut in segments is at most this many bytes a segment: far under any link's payload, so
/// that no segment needs fragmenting (requests are a hundred bytes or so).
const MOST_SEGMENT_BYTES: usize = 1_200;

/// How the requests went.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct SentMany {
    /// Requests the kernel would not take (its send buffer full): dropped.
    pub dropped: usize,
    /// Whether the kernel refused to cut runs in segments (then they went one datagram each).
    pub unsegmented: bool,
}

/// Runs of `sizes`: (first, end, the size of a segment if the run is cut in segments). A run
/// holds requests of one size, then at most one shorter (the kernel's rule for segments).
fn runs(sizes: &[usize], segmented: bool) -> impl Iterator<Item = (usize, usize, Option<u16>)> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        let first = at;
        let size = *sizes.get(first)?;
        at += 1;
        if segmented && size <= MOST_SEGMENT_BYTES {
            while at < sizes.len() && sizes[at] == size {
                at += 1;
            }
            if at < sizes.len() && sizes[at] < size {
                at += 1;
            }
        }
        let segment = (at - first > 1).then_some(size as u16);
        Some((first, at, segment))
    })
}

/// Sends `requests` to `target` on `fd`, as few system calls as it takes, runs of requests cut
/// in segments if `segmented`. An ICMP error pending from another agent (reported on the next
/// call on the socket) is not these requests': they are sent again, `stale_ok` times at most.
pub(super) fn send_many(
    fd: RawFd,
    requests: &[&[u8]],
    target: SocketAddr,
    segmented: bool,
    is_stale: impl Fn(&io::Error) -> bool,
) -> io::Result<SentMany> {
    let requests = &requests[..requests.len().min(MAX_TOGETHER)];
    let sizes: [usize; MAX_TOGETHER] = std::array::from_fn(|i| requests.get(i).map_or(0, |r| r.len()));
    let sizes = &sizes[..requests.len()];
    let mut sent = SentMany { dropped: 0, unsegmented: false };
    let mut first = 0;
    let mut segmented = segmented;
    let mut stale = 0;
    while first < requests.len() {
        match send_runs(fd, &requests[first..], &sizes[first..], target, segmented) {
            Ok(requests_sent) => first += requests_sent,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                sent.dropped = requests.len() - first;
                return Ok(sent);
            }
            Err(e) if segmented && refuses_segments(&e) => {
                segmented = false;
                sent.unsegmented = true;
            }
            Err(e) if is_stale(&e) && stale < 4 => stale += 1,
            Err(e) => return Err(e),
        }
    }
    Ok(sent)
}

/// Whether `error` says the kernel or the route cannot cut a datagram in segments.
fn refuses_segments(error: &io::Error) -> bool {
    matches!(error.raw_os_error(), Some(libc::EIO | libc::EINVAL | libc::ENOPROTOOPT))
}

/// One `sendmmsg` of `requests`; answers how many requests the kernel took (an error only when
/// it took none).
fn send_runs(fd: RawFd, requests: &[&[u8]], sizes: &[usize], target: SocketAddr, segmented: bool) -> io::Result<usize> {
    let address = SockAddr::from(target);
    let mut iovecs: [libc::iovec; MAX_TOGETHER] =
        [const { libc::iovec { iov_base: std::ptr::null_mut(), iov_len: 0 } }; MAX_TOGETHER];
    for (iovec, request) in iovecs.iter_mut().zip(requests) {
        *iovec = libc::iovec { iov_base: request.as_ptr() as *mut libc::c_void, iov_len: request.len() };
    }
    // Room for one control message holding a u16 (the segment's size) for each run.
    let mut controls = [[0u64; 4]; MAX_TOGETHER];
    // SAFETY: an all-zero mmsghdr is valid (null pointers, zero lengths); filled in below.
    let mut headers: [libc::mmsghdr; MAX_TOGETHER] = unsafe { std::mem::zeroed() };
    let mut ends = [0usize; MAX_TOGETHER];
    let mut messages = 0;
    for (first, end, segment) in runs(sizes, segmented) {
        let header = &mut headers[messages].msg_hdr;
        header.msg_name = address.as_ptr().cast_mut().cast();
        header.msg_namelen = address.len();
        header.msg_iov = iovecs[first..].as_mut_ptr();
        header.msg_iovlen = end - first;
        if let Some(segment) = segment {
            // SAFETY: `controls[messages]` (32 bytes, aligned for cmsghdr) holds CMSG_SPACE(2)
            // bytes; the header and its data are written within it.
            unsafe { write_segment_size(header, &mut controls[messages], segment) };
        }
        ends[messages] = end;
        messages += 1;
    }
    // SAFETY: every header points into `address`, `iovecs` and `controls`, which point into
    // `requests` with their lengths; all live for the call, which only reads them.
    let done = unsafe { libc::sendmmsg(fd, headers.as_mut_ptr(), messages as libc::c_uint, libc::MSG_DONTWAIT) };
    match usize::try_from(done) {
        Ok(0) | Err(_) => Err(io::Error::last_os_error()),
        Ok(done) => Ok(ends[done.min(messages) - 1]),
    }
}

/// Writes into `control` the control message that cuts `header`'s datagram in segments of
/// `segment` bytes, and points `header` at it.
///
/// # Safety
/// `control` must outlive every use of `header`.
unsafe fn write_segment_size(header: &mut libc::msghdr, control: &mut [u64; 4], segment: u16) {
    header.msg_control = control.as_mut_ptr().cast();
    // SAFETY: CMSG_SPACE only computes a length.
    header.msg_controllen = unsafe { libc::CMSG_SPACE(std::mem::size_of::<u16>() as u32) } as _;
    // SAFETY: the control buffer holds CMSG_SPACE(2) bytes (checked by the caller's size), so
    // CMSG_FIRSTHDR is a valid header and CMSG_DATA has room for the u16.
    unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(header);
        (*cmsg).cmsg_level = libc::SOL_UDP;
        (*cmsg).cmsg_type = UDP_SEGMENT;
        (*cmsg).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<u16>() as u32) as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<u16>(), segment);
    }
}

/// The socket option (level `SOL_UDP`) that cuts a datagram in segments of the given size
/// (linux/udp.h).
const UDP_SEGMENT: libc::c_int = 103;

#[cfg(test)]
mod tests {
    use super::*;

    fn runs_of(sizes: &[usize], segmented: bool) -> Vec<(usize, usize, Option<u16>)> {
        runs(sizes, segmented).collect()
    }

    #[test]
    fn runs_hold_requests_of_one_size_then_one_shorter() {
        assert_eq!(runs_of(&[], true), []);
        assert_eq!(runs_of(&[90], true), [(0, 1, None)]);
        // The first (with the scalars) is longer; the last may be shorter, or longer.
        assert_eq!(runs_of(&[120, 90, 90, 90, 89], true), [(0, 2, Some(120)), (2, 5, Some(90))]);
        assert_eq!(runs_of(&[90, 90, 91], true), [(0, 2, Some(90)), (2, 3, None)]);
        assert_eq!(runs_of(&[90, 89, 89], true), [(0, 2, Some(90)), (2, 3, None)]);
        // Not cut: one request a message.
        assert_eq!(runs_of(&[90, 90], false), [(0, 1, None), (1, 2, None)]);
        assert_eq!(runs_of(&[1_300, 1_300], true), [(0, 1, None), (1, 2, None)]);
    }

    /// Sends `requests` to a socket of its own, `segmented` or not, and answers the datagrams
    /// it received, in order, and whether the kernel refused segments.
    fn through_loopback(requests: &[Vec<u8>], segmented: bool) -> (Vec<Vec<u8>>, bool) {
        use std::os::fd::AsRawFd;
        let agent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        agent.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
        let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let slices: Vec<&[u8]> = requests.iter().map(Vec::as_slice).collect();
        let target = agent.local_addr().unwrap();
        let sent = send_many(sender.as_raw_fd(), &slices, target, segmented, |_| false).unwrap();
        assert_eq!(sent.dropped, 0);
        let mut received = Vec::new();
        let mut buffer = [0u8; 2048];
        for _ in requests {
            let (len, from) = agent.recv_from(&mut buffer).unwrap();
            assert_eq!(from, sender.local_addr().unwrap());
            received.push(buffer[..len].to_vec());
        }
        (received, sent.unsegmented)
    }

    #[test]
    fn the_agent_receives_each_request_as_its_own_datagram() {
        let request = |size: usize, fill: u8| vec![fill; size];
        let rounds = [
            vec![request(120, 1), request(90, 2), request(90, 3), request(90, 4), request(89, 5)],
            vec![request(90, 1), request(91, 2), request(90, 3)],
            vec![request(100, 7)],
            (0..MAX_TOGETHER as u8).map(|k| request(95, k)).collect(),
        ];
        for requests in rounds {
            for segmented in [true, false] {
                let (received, unsegmented) = through_loopback(&requests, segmented);
                assert_eq!(received, requests, "segmented {segmented}");
                // Linux 4.18 and later cut datagrams in segments on loopback.
                assert!(!unsegmented, "the kernel refused segments");
            }
        }
    }

    /// This thread's CPU time (user and system) so far, in microseconds.
    fn thread_cpu_us() -> f64 {
        // SAFETY: getrusage fills the struct it is given; RUSAGE_THREAD is this thread's.
        let usage = unsafe {
            let mut usage = std::mem::zeroed::<libc::rusage>();
            assert_eq!(libc::getrusage(libc::RUSAGE_THREAD, &mut usage), 0);
            usage
        };
        let us = |t: libc::timeval| t.tv_sec as f64 * 1e6 + t.tv_usec as f64;
        us(usage.ru_utime) + us(usage.ru_stime)
    }

    /// The sending thread's CPU for a capped walk's round (the first request longer, 7 of one
    /// size) to a loopback socket: one `sendto` a request, one `sendmmsg`, one `sendmmsg` cut in
    /// segments; side by side, several times. On loopback the sender's CPU also counts the
    /// kernel's delivery to the receiving socket.
    #[test]
    #[ignore = "measurement: cargo test -p vigie --lib send_many -- --ignored --nocapture"]
    fn cpu_per_round() {
        use std::os::fd::AsRawFd;
        const ROUNDS: usize = 20_000;
        let agent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let target = agent.local_addr().unwrap();
        let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        sender.set_nonblocking(true).unwrap();
        agent.set_nonblocking(true).unwrap();
        let requests: Vec<Vec<u8>> = [110].into_iter().chain([96; 7]).map(|size| vec![0x30; size]).collect();
        let slices: Vec<&[u8]> = requests.iter().map(Vec::as_slice).collect();
        // Drained every 10 rounds: the receiving socket's buffer never fills, nothing is dropped.
        let drain = || {
            let mut buffer = [0u8; 2048];
            while agent.recv_from(&mut buffer).is_ok() {}
        };
        for _ in 0..3 {
            for way in ["sendto", "sendmmsg", "sendmmsg, segments"] {
                let mut spent = 0.0;
                for _ in 0..ROUNDS / 10 {
                    let before = thread_cpu_us();
                    for _ in 0..10 {
                        match way {
                            "sendto" => slices.iter().for_each(|r| {
                                sender.send_to(r, target).unwrap();
                            }),
                            _ => {
                                let segmented = way != "sendmmsg";
                                send_many(sender.as_raw_fd(), &slices, target, segmented, |_| false).unwrap();
                            }
                        }
                    }
                    spent += thread_cpu_us() - before;
                    drain();
                }
                println!("{way}: {:.2} us CPU a round of {} requests", spent / ROUNDS as f64, requests.len());
            }
        }
    }
}
