//! The syslog receivers: UDP (one message per datagram) and TCP (RFC 6587 octet counting and
//! newline framing, see [`super::framing`]). TCP connections are limited in total and per
//! address (see [`super::tcp_peers`]); a connection is closed when it completes no message for
//! the idle timeout, or leaves a message unfinished past the frame deadline (counted from the
//! message's first byte, not reset by each read). Other peers are not affected.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::framing::{Frame, Framer};
use super::tcp_peers::{Admission, PeerTable, TcpLimits, Warnings};
use super::{syslog, Attribution, Sink, MAX_MESSAGE_BYTES};
use crate::store::now_ms;

/// The longest TCP frame kept: the largest message and room for its header.
const MAX_FRAME_BYTES: usize = MAX_MESSAGE_BYTES + 1024;
/// Bytes read from a peer at a time.
const READ_BYTES: usize = 8 * 1024;
/// Invalid frames tolerated from one peer before it is closed.
const MAX_MALFORMED_PER_PEER: u32 = 10;
/// What the TCP limits did is logged at most this often.
const WARN_EVERY: Duration = Duration::from_secs(60);

/// What the receivers share.
#[derive(Clone)]
pub struct Context {
    pub sink: Arc<Sink>,
    pub attribution: Arc<dyn Attribution>,
}

impl Context {
    fn accept(&self, bytes: &[u8], from: SocketAddr, cut: bool) {
        let counters = &self.sink.counters.syslog;
        counters.received.fetch_add(1, Ordering::Relaxed);
        if is_garbage(bytes) {
            counters.malformed.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let mut entry = syslog::parse(bytes, now_ms() as f64 / 1000.0, from.to_string());
        entry.truncated |= cut;
        if entry.truncated {
            counters.truncated.fetch_add(1, Ordering::Relaxed);
        }
        entry.device_id = self.attribution.device_for(from.ip());
        self.sink.push(entry);
    }
}

/// Not text: empty, or control characters other than tab, CR and LF (binary noise, NUL floods).
fn is_garbage(bytes: &[u8]) -> bool {
    let trimmed = bytes.trim_ascii();
    trimmed.is_empty() || trimmed.iter().any(|&b| b < 0x20 && b != b'\t' && b != b'\r' && b != b'\n' || b == 0x7f)
}

pub async fn run_udp(socket: UdpSocket, ctx: Context, cancel: CancellationToken) {
    let mut buf = vec![0u8; 65_536];
    loop {
        let received = tokio::select! {
            _ = cancel.cancelled() => return,
            received = socket.recv_from(&mut buf) => received,
        };
        match received {
            Ok((n, from)) => ctx.accept(&buf[..n], from, false),
            Err(e) => log::debug!("syslog UDP receive error: {e}"),
        }
    }
}

pub async fn run_tcp(listener: TcpListener, ctx: Context, limits: TcpLimits, cancel: CancellationToken) {
    let peers = PeerTable::shared();
    let counters = &ctx.sink.counters.tcp;
    let mut warnings = Warnings::new();
    let mut warn_tick = tokio::time::interval_at(Instant::now() + WARN_EVERY, WARN_EVERY);
    loop {
        let accepted = tokio::select! {
            _ = cancel.cancelled() => return,
            _ = warn_tick.tick() => {
                warnings.flush(counters, &limits, WARN_EVERY);
                continue;
            }
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, peer)) = accepted else { continue };
        let admission = peers.lock().expect("peer table lock").admit(peer.ip(), &limits, Instant::now().into_std());
        let Admission::Admitted { id, close, evicted } = admission else {
            counters.refused.fetch_add(1, Ordering::Relaxed);
            continue; // dropping the stream closes it
        };
        counters.accepted.fetch_add(1, Ordering::Relaxed);
        counters.open.fetch_add(1, Ordering::Relaxed);
        if evicted {
            counters.evicted.fetch_add(1, Ordering::Relaxed);
        }
        let ctx = ctx.clone();
        let cancel = cancel.clone();
        let peers = peers.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = cancel.cancelled() => {}
                _ = close.cancelled() => log::debug!("Syslog TCP: closed {peer}, the longest idle, to make room."),
                _ = serve_peer(stream, peer, &ctx, &limits, id, &peers) => {}
            }
            peers.lock().expect("peer table lock").remove(id);
            ctx.sink.counters.tcp.open.fetch_sub(1, Ordering::Relaxed);
        });
    }
}

async fn serve_peer(
    mut stream: TcpStream,
    peer: SocketAddr,
    ctx: &Context,
    limits: &TcpLimits,
    id: u64,
    peers: &Mutex<PeerTable>,
) {
    let counters = &ctx.sink.counters.tcp;
    let mut framer = Framer::new(MAX_FRAME_BYTES);
    let mut chunk = vec![0u8; READ_BYTES];
    let mut malformed = 0;
    let mut last_message = Instant::now();
    let mut frame_started: Option<Instant> = None;
    let mut held = Held { gauge: &counters.buffered_bytes, bytes: 0 };
    let end = loop {
        let mut completed = false;
        loop {
            match framer.next_frame() {
                Frame::Message(bytes, cut) => {
                    if cut {
                        counters.frames_cut.fetch_add(1, Ordering::Relaxed);
                    }
                    ctx.accept(&bytes, peer, cut);
                    completed = true;
                }
                Frame::Incomplete => break,
                Frame::Malformed => {
                    ctx.sink.counters.syslog.malformed.fetch_add(1, Ordering::Relaxed);
                    malformed += 1;
                    if malformed >= MAX_MALFORMED_PER_PEER {
                        log::debug!("Syslog TCP: closing {peer} after invalid frames.");
                        break;
                    }
                }
            }
        }
        if malformed >= MAX_MALFORMED_PER_PEER {
            break PeerEnd::Invalid;
        }
        let now = Instant::now();
        if completed {
            last_message = now;
            framer.shrink();
            peers.lock().expect("peer table lock").touch(id, now.into_std());
        }
        // A message's deadline runs from its first byte, whatever trickles in after.
        frame_started = match (framer.buffered(), completed) {
            (0, _) => None,
            (_, true) => Some(now),
            (_, false) => frame_started.or(Some(now)),
        };
        held.set(framer.capacity() + chunk.len());
        let deadline = match frame_started {
            Some(started) => started + limits.frame_deadline,
            None => last_message + limits.idle,
        };
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Ok(Ok(0)) => {
                if let Some(rest) = framer.rest() {
                    ctx.accept(&rest, peer, false); // the last line may lack its newline
                }
                break PeerEnd::Closed;
            }
            Ok(Ok(n)) => framer.push(&chunk[..n]),
            Ok(Err(_)) => break PeerEnd::Closed,
            Err(_) if frame_started.is_some() => {
                ctx.sink.counters.syslog.malformed.fetch_add(1, Ordering::Relaxed);
                break PeerEnd::FrameDeadline;
            }
            Err(_) => break PeerEnd::Idle,
        }
    };
    drop(held);
    match end {
        PeerEnd::FrameDeadline => {
            counters.closed_deadline.fetch_add(1, Ordering::Relaxed);
            log::debug!("Syslog TCP: closed {peer}: a message left unfinished for {:?}.", limits.frame_deadline);
        }
        PeerEnd::Idle => {
            counters.closed_idle.fetch_add(1, Ordering::Relaxed);
            log::debug!("Syslog TCP: closed {peer}: no message for {:?}.", limits.idle);
        }
        PeerEnd::Closed | PeerEnd::Invalid => {}
    }
}

enum PeerEnd {
    Closed,
    Invalid,
    Idle,
    FrameDeadline,
}

/// A peer's share of the buffered-bytes gauge, given back when the peer ends, however it ends
/// (an evicted peer's task is dropped mid-read).
struct Held<'a> {
    gauge: &'a std::sync::atomic::AtomicU64,
    bytes: usize,
}

impl Held<'_> {
    fn set(&mut self, bytes: usize) {
        if bytes > self.bytes {
            self.gauge.fetch_add((bytes - self.bytes) as u64, Ordering::Relaxed);
        } else {
            self.gauge.fetch_sub((self.bytes - bytes) as u64, Ordering::Relaxed);
        }
        self.bytes = bytes;
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.set(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_noise_is_garbage_and_text_is_not() {
        assert!(is_garbage(b"\x00\x01\x02garbage"));
        assert!(is_garbage(b"   "));
        assert!(!is_garbage("<13>h\u{e9}llo\twith tab".as_bytes()));
    }
}
