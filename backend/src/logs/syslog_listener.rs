//! The syslog receivers: UDP (one message per datagram) and TCP (RFC 6587 octet-counting and
//! newline framing). A TCP peer that sends an invalid frame, or leaves one unfinished, is closed
//! after a limit; other peers are not affected.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::{syslog, Attribution, Sink};
use crate::store::now_ms;

/// A frame larger than this is not syslog: the peer is closed.
const MAX_FRAME_BYTES: usize = 1024 * 1024;
/// A started frame must be finished within this.
const FRAME_DEADLINE: Duration = Duration::from_secs(30);
/// A connection silent this long is closed.
const IDLE: Duration = Duration::from_secs(600);
/// TCP peers at once.
const MAX_PEERS: usize = 1024;
/// Invalid frames tolerated from one peer before it is closed.
const MAX_MALFORMED_PER_PEER: u32 = 10;

/// What the receivers share.
#[derive(Clone)]
pub struct Context {
    pub sink: Arc<Sink>,
    pub attribution: Arc<dyn Attribution>,
}

impl Context {
    fn accept(&self, bytes: &[u8], from: SocketAddr) {
        let counters = &self.sink.counters.syslog;
        counters.received.fetch_add(1, Ordering::Relaxed);
        if is_garbage(bytes) {
            counters.malformed.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let mut entry = syslog::parse(bytes, now_ms() as f64 / 1000.0, from.to_string());
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
            Ok((n, from)) => ctx.accept(&buf[..n], from),
            Err(e) => log::debug!("syslog UDP receive error: {e}"),
        }
    }
}

pub async fn run_tcp(listener: TcpListener, ctx: Context, cancel: CancellationToken) {
    let peers = Arc::new(Semaphore::new(MAX_PEERS));
    loop {
        let accepted = tokio::select! {
            _ = cancel.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, peer)) = accepted else { continue };
        let Ok(permit) = peers.clone().try_acquire_owned() else {
            log::warn!("Syslog TCP: too many peers; refusing {peer}.");
            continue;
        };
        let ctx = ctx.clone();
        let cancel = cancel.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = cancel.cancelled() => {}
                _ = serve_peer(stream, peer, &ctx) => {}
            }
            drop(permit);
        });
    }
}

async fn serve_peer(mut stream: TcpStream, peer: SocketAddr, ctx: &Context) {
    let mut buf: Vec<u8> = Vec::with_capacity(16 * 1024);
    let mut chunk = vec![0u8; 64 * 1024];
    let mut malformed = 0;
    loop {
        loop {
            match next_frame(&mut buf) {
                Frame::Message(bytes) => ctx.accept(&bytes, peer),
                Frame::Incomplete => break,
                Frame::Malformed => {
                    ctx.sink.counters.syslog.malformed.fetch_add(1, Ordering::Relaxed);
                    malformed += 1;
                    if malformed >= MAX_MALFORMED_PER_PEER || buf.len() > MAX_FRAME_BYTES {
                        log::info!("Syslog TCP: closing {peer} after invalid frames.");
                        return;
                    }
                }
            }
        }
        let limit = if buf.is_empty() { IDLE } else { FRAME_DEADLINE };
        match tokio::time::timeout(limit, stream.read(&mut chunk)).await {
            Ok(Ok(0)) => {
                if !buf.is_empty() {
                    ctx.accept(&buf, peer); // the last line may lack its newline
                }
                return;
            }
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Ok(Err(_)) => return,
            Err(_) => {
                if !buf.is_empty() {
                    ctx.sink.counters.syslog.malformed.fetch_add(1, Ordering::Relaxed);
                    log::info!("Syslog TCP: closing {peer}: a frame left unfinished for {FRAME_DEADLINE:?}.");
                }
                return;
            }
        }
    }
}

#[derive(Debug, PartialEq)]
pub enum Frame {
    Message(Vec<u8>),
    Incomplete,
    /// An invalid frame; its bytes are gone from the buffer.
    Malformed,
}

/// Takes the next frame off `buf`: `LEN SP <PRI>…` (octet counting) or a line. Public for the
/// fuzzer (`fuzz/fuzz_targets/syslog.rs`).
pub fn next_frame(buf: &mut Vec<u8>) -> Frame {
    let start = buf.iter().position(|b| !matches!(b, b'\n' | b'\r')).unwrap_or(buf.len());
    buf.drain(..start);
    if buf.is_empty() {
        return Frame::Incomplete;
    }
    if buf[0].is_ascii_digit() {
        let digits = buf.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == buf.len() && digits < 8 {
            return Frame::Incomplete;
        }
        if buf.get(digits) == Some(&b' ') && buf.get(digits + 1).is_none_or(|&b| b == b'<') {
            let len: usize =
                std::str::from_utf8(&buf[..digits]).ok().and_then(|t| t.parse().ok()).unwrap_or(usize::MAX);
            if len == 0 || len > MAX_FRAME_BYTES {
                buf.drain(..digits + 1);
                return Frame::Malformed;
            }
            if buf.len() < digits + 1 + len {
                return Frame::Incomplete;
            }
            let frame = buf[digits + 1..digits + 1 + len].to_vec();
            buf.drain(..digits + 1 + len);
            return Frame::Message(frame);
        }
    }
    match buf.iter().position(|&b| b == b'\n') {
        Some(end) => {
            let frame = buf[..end].to_vec();
            buf.drain(..=end);
            Frame::Message(frame)
        }
        None if buf.len() > MAX_FRAME_BYTES => {
            buf.clear();
            Frame::Malformed
        }
        None => Frame::Incomplete,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_framings_and_partial_frames() {
        let mut buf = b"11 <13>hello a\n<13>line two\n<14>part".to_vec();
        assert_eq!(next_frame(&mut buf), Frame::Message(b"<13>hello a".to_vec()));
        assert_eq!(next_frame(&mut buf), Frame::Message(b"<13>line two".to_vec()));
        assert_eq!(next_frame(&mut buf), Frame::Incomplete);
        buf.extend_from_slice(b"ial\n");
        assert_eq!(next_frame(&mut buf), Frame::Message(b"<14>partial".to_vec()));
        let mut buf = b"2026 starts with digits\n".to_vec();
        assert_eq!(next_frame(&mut buf), Frame::Message(b"2026 starts with digits".to_vec()));
    }

    #[test]
    fn an_absurd_octet_count_is_malformed() {
        let mut buf = b"99999999999 <13>x".to_vec();
        assert_eq!(next_frame(&mut buf), Frame::Malformed);
    }

    #[test]
    fn binary_noise_is_garbage_and_text_is_not() {
        assert!(is_garbage(b"\x00\x01\x02garbage"));
        assert!(is_garbage(b"   "));
        assert!(!is_garbage("<13>h\u{e9}llo\twith tab".as_bytes()));
    }
}
